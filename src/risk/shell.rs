//! Shell requests: parse, judge every simple command, then the composition of the line.

use super::args::{read_target, scan_args};
use super::budget::{self, Budget, Tally, Work};
use super::judge::Judge;
use super::rater::Rater;
use super::{Assessment, Context, SegmentAssessment, describe, pattern, registry, rules_fs};
use super::{grammar, readonly, rules_sys};
use crate::request::RiskTier;
use crate::shell::{self, Origin, SimpleCommand, Word};

/// Rates a whole command line.
pub(super) fn assess_command(command: &str, ctx: &Context) -> Assessment {
    assess_tallied(command, ctx).0
}

/// Rates a whole command line, the root of its work budget, and says what it spent.
pub(super) fn assess_tallied(command: &str, ctx: &Context) -> (Assessment, Tally) {
    let budget = Budget::default();
    let mut a = assess_nested(command, ctx, budget.root());
    budget.settle(&mut a);
    (a, budget.tally())
}

/// The walker's [`Rater`]: nested command lines are rated by [`assess_nested`] one level
/// below `w`, on its budget.
struct Nested<'a>(Work<'a>);

/// The walker as a [`Rater`] for the commands nested at `w` (one level below it).
pub(super) fn nested_rater(w: Work<'_>) -> impl Rater + '_ {
    Nested(w)
}

impl Rater for Nested<'_> {
    fn searches_nested(&self) -> bool {
        self.0.searches_nested()
    }

    fn rate(&self, line: &str, ctx: &Context) -> Assessment {
        assess_nested(line, ctx, self.0.deeper())
    }
}

/// Rates a command line found inside code (`os.system("…")`), `w.depth` levels down, charging
/// its parse and its simple commands to `w`'s budget: a line that does not fit is not judged
/// but rated HIGH "too complex".
pub(super) fn assess_nested(command: &str, ctx: &Context, w: Work) -> Assessment {
    // Longer text is refused by the parser unread.
    if !w.charge_parse(command.len().min(shell::MAX_INPUT_BYTES + 1)) {
        return budget::too_complex(command);
    }
    let parsed = shell::parse(command);
    let unwrapped = parsed.parsed_bytes.saturating_sub(command.len());
    let words: usize = parsed
        .commands
        .iter()
        .map(|c| c.argv.len() + c.assignments.len() + c.redirects.len())
        .sum();
    if !w.charge_unwrapped(unwrapped) || !w.charge_segments(parsed.commands.len(), words) {
        return budget::too_complex(command);
    }
    let mut overall = Judge::default();
    let mut segments = Vec::new();
    let mut judges = Vec::new();
    for cmd in &parsed.commands {
        let j = judge_segment(cmd, ctx, w);
        judges.push(j);
    }
    super::scripts::judge_written(&parsed.commands, &mut judges, ctx, &Nested(w));
    super::elsewhere::judge_dynamic_programs(&parsed.commands, &mut judges, ctx, &Nested(w));
    super::elsewhere::judge_download_then_run(&parsed.commands, &mut judges);
    // Composition of the whole line.
    if parsed.parse_error {
        overall.raise(
            RiskTier::High,
            "parse_error",
            "the command could not be parsed completely, so it cannot be vetted",
        );
    }
    if let Some(limit) = parsed.limit {
        overall.raise(
            RiskTier::High,
            limit.as_str(),
            "the command is too long or too deeply nested to be vetted",
        );
    }
    if command.chars().any(|c| {
        matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        ) || (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    }) {
        overall.raise(
            RiskTier::High,
            "hidden_characters",
            "the command holds invisible, bidirectional or control characters that hide what runs",
        );
    }
    if super::elsewhere::busy_background_loop(command) {
        overall.raise(
            RiskTier::High,
            "busy_loop",
            "starts an endless loop in the background that burns a CPU until killed",
        );
    }
    if parsed.functions.iter().any(|f| f.self_spawning) {
        overall.raise(
            RiskTier::Critical,
            "fork_bomb",
            "a function spawns itself recursively (fork bomb)",
        );
    }
    let any_secret = judges.iter().any(|j| j.secret);
    let any_send = judges.iter().any(|j| j.sends);
    if any_secret && any_send {
        overall.raise(
            RiskTier::Critical,
            "exfiltration",
            "reads a secret and sends data over the network in the same command",
        );
    }
    if parsed.commands.is_empty() && !parsed.parse_error && parsed.limit.is_none() {
        overall.note("empty_command", "nothing to run");
    }
    let composition = overall.clone();
    for (cmd, j) in parsed.commands.iter().zip(judges.iter()) {
        overall.absorb(j);
        let risk = j.risk();
        let pat = pattern::derive_shell(cmd, j);
        segments.push(SegmentAssessment {
            command: cmd.display(),
            program: cmd.program(),
            reason: j.reason(default_reason(risk.tier)),
            risk,
            pattern: pat,
        });
    }
    let risk = overall.risk();
    let reason = if composition.tier >= overall.tier && !composition.ordered().is_empty() {
        composition.reason("")
    } else {
        segments
            .iter()
            .find(|s| s.risk.tier == risk.tier)
            .map(|s| format!("{}: {}", s.program_or_text(), s.reason))
            .unwrap_or_else(|| overall.reason(default_reason(risk.tier)))
    };
    let mut explanation = describe("shell", "execute", command);
    for s in &segments {
        explanation.push_str(&format!(
            "\n  [{}] {} — {}",
            s.risk.tier, s.command, s.reason
        ));
    }
    for (t, f, r) in composition.ordered() {
        if t > RiskTier::Low {
            explanation.push_str(&format!("\n  [{t}] whole command ({f}) — {r}"));
        }
    }
    Assessment {
        risk,
        reason,
        explanation,
        segments,
    }
}

impl SegmentAssessment {
    fn program_or_text(&self) -> String {
        if self.program.is_empty() {
            self.command.chars().take(60).collect()
        } else {
            self.program.clone()
        }
    }
}

fn default_reason(tier: RiskTier) -> &'static str {
    match tier {
        RiskTier::Low => "read-only or harmless command",
        RiskTier::Medium => "changes state in a recoverable way",
        RiskTier::High => "hard to undo or security relevant",
        RiskTier::Critical => "destructive or self-tampering",
    }
}

/// Judges one simple command.
pub(super) fn judge_segment(cmd: &SimpleCommand, ctx: &Context, w: Work) -> Judge {
    let nested = Nested(w);
    let mut j = Judge::default();
    let prog = cmd.program();
    // Assignments (bare or before the command).
    // Builtins that only print or exit run no code: a variable set on them changes nothing
    // but aiperture's own settings (`GIT_DIR=… echo $GIT_DIR`).
    // (Only the builtins: `/bin/echo` or `env … echo` is a program that loads libraries.)
    let inert = cmd
        .argv
        .first()
        .is_some_and(|w| !w.dynamic && !w.text.contains('/'))
        && cmd.wrappers.is_empty()
        && matches!(prog.as_str(), "echo" | "printf" | "true" | "false" | ":");
    for (name, value) in &cmd.assignments {
        if inert && !name.to_ascii_uppercase().starts_with("AIPERTURE") {
            j.raise(
                RiskTier::Medium,
                "assignment_on_builtin",
                &format!("sets {name} on a shell builtin, which runs no code"),
            );
            j.no_pattern = true;
            continue;
        }
        rules_sys::assignment(name, value, ctx, &mut j);
        // Variables that name a command the program will run (`PAGER='…' git log`).
        if rules_sys::command_var(name) {
            let line = value.text.trim_start_matches('|');
            nested.judge_inner(
                &mut j,
                line,
                ctx,
                (RiskTier::Medium, "command_in_env", name),
            );
        }
    }
    // Redirections.
    for r in &cmd.redirects {
        if r.op.starts_with("<<") {
            continue;
        }
        if r.writes() {
            rules_fs::write_target(&r.target, ctx, &mut j);
        } else if r.op.contains('<') && !r.op.contains('&') {
            read_target(&r.target.text, r.target.dynamic, ctx, &mut j, false);
        }
    }
    if cmd.argv.is_empty() {
        if cmd.assignments.is_empty() && cmd.redirects.iter().all(|r| r.op.starts_with("<<")) {
            j.note("no_command", "");
        }
        return j;
    }
    if cmd
        .argv
        .first()
        .map(|w| w.dynamic || (w.raw == w.text && w.text.contains(['*', '?', '['])))
        .unwrap_or(false)
    {
        j.raise(
            RiskTier::Medium,
            "dynamic_program",
            "the program name comes from an expansion, so what runs is unknown",
        );
        j.no_pattern = true;
    }
    if cmd.wrappers.iter().any(|w| w.ends_with("(download)")) {
        j.raise(
            RiskTier::Critical,
            "download_to_interpreter",
            "runs shell code downloaded from the network",
        );
        j.no_pattern = true;
    } else if crate::shell::runs_input_as_code(cmd) {
        j.raise(
            RiskTier::High,
            "code_from_input",
            "runs commands read from its input, as piping a file into a shell does",
        );
        j.no_pattern = true;
    } else if cmd.wrappers.iter().any(|w| w.ends_with("(dynamic)")) {
        j.raise(
            RiskTier::Medium,
            "dynamic_code",
            "runs shell code produced by another command at run time",
        );
        j.no_pattern = true;
    }
    match cmd.origin {
        Some(Origin::Remote) => {
            j.raise(
                RiskTier::Medium,
                "remote_command",
                "runs a command on another host",
            );
            j.no_pattern = true;
        }
        Some(Origin::Eval) => {
            j.raise(RiskTier::Medium, "eval", "runs text through eval");
            j.no_pattern = true;
        }
        Some(Origin::Detached) => {
            j.raise(
                RiskTier::Medium,
                "detached_session",
                "keeps running in a terminal session or service of its own after the call",
            );
        }
        Some(Origin::Typed) => {
            j.raise(
                RiskTier::High,
                "typed_into_terminal",
                "is typed into another terminal session or driven by an automation script, \
                 where it can answer prompts meant for a human and later input is not checked",
            );
            j.no_pattern = true;
        }
        _ => {}
    }
    // Variables set by builtins (`printf -v NAME`, `read NAME`): their values come from input.
    for name in rules_sys::builtin_assignments(cmd, &prog) {
        let value = Word {
            text: format!("${name}"),
            raw: format!("${name}"),
            dynamic: true,
            substitution: false,
        };
        rules_sys::assignment(&name, &value, ctx, &mut j);
    }
    // A program named by its path is a file a repository or a download ships, not the
    // program of that name on PATH (`./git status`).
    if cmd.program_by_path() {
        let written = cmd.argv.first().map(|w| w.text.as_str()).unwrap_or("");
        j.raise(
            RiskTier::Medium,
            "program_by_path",
            &format!(
                "runs the file `{written}`, not the `{prog}` on PATH: what it does is whatever that file holds"
            ),
        );
    }
    // Commands run by tools that otherwise only read (awk system(), sed e, tar --to-command…).
    super::embedded::judge(cmd, &prog, ctx, &mut j, &nested);
    // Options and variables that swap the code that runs (`make -f`, `--script-shell`, …).
    super::swaps::judge(cmd, &prog, ctx, &mut j, &nested);
    // Program rules: those of the one family that owns the program.
    let inv = registry::invocation(cmd, &prog);
    let handled = !grammar::family_rules_off() && registry::judge(&inv, ctx, &mut j, &nested);
    if handled {
        // The word grammar as a floor: it may raise the family's rating, never lower it.
        let cloud = registry::owner(&prog) == Some(registry::Family::Cloud);
        grammar::floor(cmd, &prog, cloud, &mut j);
    } else if readonly::is_read_only(&prog) {
        j.note("read_only", "read-only command");
    } else {
        let verdict = grammar::judge_unowned(cmd, &prog, &mut j);
        grammar::nested_commands(cmd, ctx, &mut j, &nested);
        if verdict == grammar::Verdict::Undecided {
            j.raise(
                RiskTier::Medium,
                "unknown_program",
                "runs a program without a specific rule; it may change state",
            );
        }
        if verdict != grammar::Verdict::Destructive {
            let joined: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
            if rules_sys::mentions_tamper(&joined.join(" ")) {
                j.raise(
                    RiskTier::Critical,
                    "self_protection",
                    "hands an aiperture approval or reconfiguration to another program to run",
                );
                j.no_pattern = true;
            }
        }
    }
    // Second pass (issue 14): commands run elsewhere, aliases, and the family floors.
    if !grammar::family_rules_off() {
        super::elsewhere::judge_remote(cmd, &prog, ctx, &mut j, &nested);
        super::elsewhere::judge_alias(cmd, &prog, ctx, &mut j, &nested);
        super::abuse::floor(&inv, ctx, &mut j);
    }
    // Exposure and secrets in motion, whatever the program.
    grammar::exposure_and_secrets(cmd, &prog, ctx, &mut j);
    // Generic: any argument naming a secret or a protected file.
    scan_args(cmd, &prog, ctx, &mut j);
    // Privilege.
    if cmd.wrappers.iter().any(|w| {
        matches!(
            w.as_str(),
            "sudo" | "doas" | "pkexec" | "run0" | "su" | "runuser" | "chroot"
        )
    }) {
        let bumped = match j.tier {
            RiskTier::Low => RiskTier::Medium,
            RiskTier::Medium => RiskTier::High,
            t => t,
        };
        j.raise(
            bumped,
            "privileged",
            "runs with elevated privileges (sudo/doas/su)",
        );
        j.no_pattern = true;
    }
    if matches!(cmd.origin, Some(Origin::ShellStdin)) && cmd.depth > 0 {
        j.note("shell_stdin", "");
    }
    j
}
