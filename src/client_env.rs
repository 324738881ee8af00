//! The caller's environment: the few variables of the process a runtime launched that change
//! how a request is judged — who and where the caller is (`HOME`, `USER`, the explicit
//! project id) and how the runtime runs the session (Claude Code's entry point: is there a
//! human to ask?). Read once, on the client side (the hook process, the command line), and
//! carried to a server by the warm path, so a resident gate judges the caller's environment,
//! not its own. The engine never reads the environment: the call site
//! ([`crate::callsite`]) and the runtime adapters read a [`ClientEnv`].

/// The variables read, and nothing else.
///
/// * `HOME`: what `~` means to the caller.
/// * `USER`, `LOGNAME`: the caller's login name.
/// * `AIPERTURE_PROJECT_ID`: the project named explicitly ([`crate::callsite::PROJECT_ID_ENV`]).
/// * `CLAUDE_CODE_ENTRYPOINT`: `cli` in an interactive Claude Code session, `sdk-cli` under
///   `claude -p`, `sdk-ts`/`sdk-py` from the Agent SDK.
/// * `AIPERTURE_ACTOR`, `AIPERTURE_HOST`: who and which machine the audit records
///   ([`crate::identity`]); [`ClientEnv::of_process`] fills the host from the system.
pub const VARS: &[&str] = &[
    "HOME",
    "USER",
    "LOGNAME",
    "AIPERTURE_PROJECT_ID",
    "CLAUDE_CODE_ENTRYPOINT",
    "AIPERTURE_ACTOR",
    "AIPERTURE_HOST",
];

/// The longest value kept; a longer one is dropped (as if unset).
const MAX_VALUE: usize = 4096;

/// The caller's values of the variables in [`VARS`] (unset ones are absent), and the id of
/// this call when the hook handed it to a server (`crate::request_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnv {
    vars: Vec<(&'static str, String)>,
    request_id: Option<String>,
}

/// The name the call's id travels under in [`ClientEnv::encode`]'s line (no variable has it).
const REQUEST_ID: &str = "request_id";

impl ClientEnv {
    /// An environment with none of the variables set.
    pub fn empty() -> ClientEnv {
        ClientEnv::default()
    }

    /// The variables of this process's environment; with no `HOME`, the home directory the
    /// system's user database gives; with no `AIPERTURE_HOST`, this machine's host name (one
    /// system call per process, so a server records the client's machine, not its own).
    pub fn of_process() -> ClientEnv {
        let mut env = ClientEnv::from_pairs(
            VARS.iter()
                .filter_map(|n| std::env::var(n).ok().map(|v| (*n, v))),
        );
        if env.non_empty("HOME").is_none()
            && let Some(h) = dirs::home_dir()
        {
            env.vars.retain(|(k, _)| *k != "HOME");
            env.vars.push(("HOME", h.display().to_string()));
        }
        let host_env = crate::identity::HOST_ENV;
        if env.non_empty(host_env).is_none()
            && let Some(h) = crate::identity::system_host_name()
        {
            env.vars.retain(|(k, _)| *k != host_env);
            env.vars.push(("AIPERTURE_HOST", h));
        }
        env
    }

    /// The environment from `(name, value)` pairs: names outside [`VARS`], values longer
    /// than 4 KiB or holding control characters are dropped; the first of a repeated name
    /// wins.
    pub fn from_pairs<I, N, V>(pairs: I) -> ClientEnv
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: Into<String>,
    {
        let mut vars: Vec<(&'static str, String)> = Vec::new();
        for (n, v) in pairs {
            let Some(name) = VARS.iter().find(|k| **k == n.as_ref()) else {
                continue;
            };
            let v: String = v.into();
            if v.len() > MAX_VALUE || v.chars().any(char::is_control) {
                continue;
            }
            if !vars.iter().any(|(k, _)| k == name) {
                vars.push((*name, v));
            }
        }
        ClientEnv {
            vars,
            request_id: None,
        }
    }

    /// The same environment for a call with id `id` (ignored unless it has the shape
    /// `crate::request_id::fresh` gives).
    pub fn with_request_id(mut self, id: &str) -> ClientEnv {
        if crate::request_id::well_formed(id) {
            self.request_id = Some(id.to_string());
        }
        self
    }

    /// The call's id, when it has one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The value of `name`, when the caller set it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` when set and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// One header line for the warm path: `NAME=hex(value)` pairs joined by `;` (only
    /// printable ASCII, whatever the values hold).
    pub fn encode(&self) -> String {
        self.vars
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(self.request_id.as_deref().map(|id| (REQUEST_ID, id)))
            .map(|(k, v)| format!("{k}={}", hex::encode(v)))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Parses [`ClientEnv::encode`]'s line; a malformed pair is dropped, the rest kept.
    pub fn decode(line: &str) -> ClientEnv {
        let pairs: Vec<(String, String)> = line
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                let v = String::from_utf8(hex::decode(v).ok()?).ok()?;
                Some((k.to_string(), v))
            })
            .collect();
        let id = pairs
            .iter()
            .find(|(k, _)| k == REQUEST_ID)
            .map(|(_, v)| v.clone());
        let env = ClientEnv::from_pairs(pairs);
        match id {
            Some(id) => env.with_request_id(&id),
            None => env,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_names_with_sane_values_are_kept() {
        let e = ClientEnv::from_pairs([
            ("CLAUDE_CODE_ENTRYPOINT", "sdk-cli"),
            ("PATH", "/usr/bin"),
            ("CLAUDE_CODE_ENTRYPOINT", "cli"),
            ("HOME", ""),
        ]);
        assert_eq!(e.get("CLAUDE_CODE_ENTRYPOINT"), Some("sdk-cli"));
        assert_eq!(e.get("PATH"), None);
        assert_eq!(e.get("HOME"), Some(""));
        assert_eq!(e.non_empty("HOME"), None);
        for bad in ["a\nb", "\u{7}", &"x".repeat(4097)] {
            let e = ClientEnv::from_pairs([("USER", bad)]);
            assert_eq!(e.get("USER"), None, "{bad:?}");
        }
    }

    #[test]
    fn the_warm_line_round_trips_any_value() {
        let e = ClientEnv::from_pairs([
            ("HOME", "/home/a;b=c é"),
            ("CLAUDE_CODE_ENTRYPOINT", "sdk-cli"),
            ("USER", ""),
        ]);
        let line = e.encode();
        assert!(line.bytes().all(|b| (0x21..0x7f).contains(&b)), "{line}");
        assert_eq!(ClientEnv::decode(&line), e);
        assert_eq!(ClientEnv::decode(""), ClientEnv::empty());
        let id = crate::request_id::fresh(1).unwrap_or_default();
        let with = e.clone().with_request_id(&id);
        assert_eq!(
            ClientEnv::decode(&with.encode()).request_id(),
            Some(id.as_str())
        );
        assert_eq!(e.clone().with_request_id("not-an-id").request_id(), None);
        assert_eq!(
            ClientEnv::decode("garbage;PATH=2f;HOME=zz;=;;USER=616c"),
            ClientEnv::from_pairs([("USER", "al")])
        );
    }
}
