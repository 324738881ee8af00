//! How the runtime launched the hook: the few environment variables a runtime sets in its
//! hook processes that change what an answer means (today: whether a human can be asked at
//! all). Read once, in the hook process — the client side — and carried to a server by the
//! warm path, so a resident gate judges the caller's launch, not its own environment. The
//! engine never reads the environment; an adapter reads a [`Launch`] (see
//! [`super::Adapter::headless`]).

/// The variables read, and nothing else: Claude Code's `CLAUDE_CODE_ENTRYPOINT` (`cli` in an
/// interactive session, `sdk-cli` under `claude -p`, `sdk-ts`/`sdk-py` from the Agent SDK).
pub const VARS: &[&str] = &["CLAUDE_CODE_ENTRYPOINT"];

/// The longest value kept; a longer one is dropped (no runtime writes one).
const MAX_VALUE: usize = 64;

/// The launch variables one hook call saw (only the names in [`VARS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Launch {
    vars: Vec<(&'static str, String)>,
}

impl Launch {
    /// Nothing known about the launch (a caller over HTTP): every adapter answers as for an
    /// interactive session.
    pub fn unknown() -> Launch {
        Launch::default()
    }

    /// The launch variables of this process's environment.
    pub fn of_process() -> Launch {
        Launch::from_pairs(
            VARS.iter()
                .filter_map(|n| std::env::var(n).ok().map(|v| (*n, v))),
        )
    }

    /// The launch from `(name, value)` pairs: names outside [`VARS`], empty values, values
    /// longer than 64 bytes or holding control characters are dropped.
    pub fn from_pairs<'a, I, N, V>(pairs: I) -> Launch
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str> + 'a,
        V: Into<String>,
    {
        let mut vars = Vec::new();
        for (n, v) in pairs {
            let Some(name) = VARS.iter().find(|k| **k == n.as_ref()) else {
                continue;
            };
            let v: String = v.into();
            if v.is_empty() || v.len() > MAX_VALUE || v.chars().any(char::is_control) {
                continue;
            }
            if !vars.iter().any(|(k, _)| k == name) {
                vars.push((*name, v));
            }
        }
        Launch { vars }
    }

    /// The value of `name`, when the launch set it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, in the order of [`VARS`]'s first appearance (for the warm path's header).
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.vars.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// One line for the warm path's header: `NAME=value` pairs joined by `;` (a value may
    /// hold `=`: each pair is split at its first one). A value holding `;` is left out; no
    /// runtime writes one.
    pub fn encode(&self) -> String {
        self.vars
            .iter()
            .filter(|(_, v)| !v.contains(';'))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Parses [`Launch::encode`]'s line; anything malformed is dropped, pair by pair.
    pub fn decode(line: &str) -> Launch {
        Launch::from_pairs(
            line.split(';')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_names_with_sane_values_are_kept() {
        let l = Launch::from_pairs([
            ("CLAUDE_CODE_ENTRYPOINT", "sdk-cli"),
            ("HOME", "/root"),
            ("CLAUDE_CODE_ENTRYPOINT", "cli"),
        ]);
        assert_eq!(l.get("CLAUDE_CODE_ENTRYPOINT"), Some("sdk-cli"));
        assert_eq!(l.get("HOME"), None);
        for bad in ["", "a\nb", &"x".repeat(65)] {
            let l = Launch::from_pairs([("CLAUDE_CODE_ENTRYPOINT", bad)]);
            assert_eq!(l.get("CLAUDE_CODE_ENTRYPOINT"), None, "{bad:?}");
        }
    }

    #[test]
    fn the_warm_line_round_trips_and_drops_what_it_cannot_carry() {
        let l = Launch::from_pairs([("CLAUDE_CODE_ENTRYPOINT", "sdk-cli")]);
        assert_eq!(l.encode(), "CLAUDE_CODE_ENTRYPOINT=sdk-cli");
        assert_eq!(Launch::decode(&l.encode()), l);
        let semi = Launch::from_pairs([("CLAUDE_CODE_ENTRYPOINT", "a;b")]);
        assert_eq!(semi.encode(), "");
        assert_eq!(Launch::decode(""), Launch::unknown());
        assert_eq!(Launch::decode("garbage;X=1;=;;"), Launch::unknown());
    }
}
