//! The gate a one-shot `aiperture hook` starts opening before it reads its payload.
//!
//! On the team store a connection costs the hook a server-side process (PostgreSQL forks and
//! authenticates a backend: ~1.3 ms on loopback) before the first statement can run. Started
//! first, that wait overlaps the payload read, its parse and the request's analysis, which
//! need no database. The SQLite file opens in microseconds and is opened when the call needs
//! it, as before; its paths and settings, read here to learn which store is selected, are
//! kept for that open, so nothing is read twice.

use crate::config::Settings;
use crate::engine::Gate;
use crate::paths::Paths;
use crate::store::{AnyGate, Location};

/// A gate being opened early (the team store), or what opening it later needs (boxed: both
/// are large, and moved around before use).
pub enum EarlyGate {
    /// The team store's gate, its connection being made ([`crate::store::PgStore::open_deferred`]).
    Started(Box<anyhow::Result<AnyGate>>),
    /// The paths, settings and store location already read (the SQLite file, or a server may
    /// answer).
    Later(Option<Box<(Paths, Settings, Location)>>),
}

impl EarlyGate {
    /// Starts opening the team store when the environment or the config file selects it and
    /// no `aiperture serve` socket is in the home (a running server would answer the call,
    /// and the connection would be made for nothing). Anything that goes wrong here is left
    /// for [`EarlyGate::open`] to meet again and report.
    pub fn start() -> EarlyGate {
        let Ok(paths) = Paths::from_env() else {
            return EarlyGate::Later(None);
        };
        let Ok(settings) = Settings::load(&paths) else {
            return EarlyGate::Later(None);
        };
        let Ok(at) = Location::select(&paths, Some(settings.store_url.as_str())) else {
            return EarlyGate::Later(None);
        };
        let team = matches!(at, Location::Postgres(_));
        if team && !paths.home.join(crate::warm::SOCKET_FILE).exists() {
            return EarlyGate::Started(Box::new(Gate::open_in(paths, settings, &at)));
        }
        EarlyGate::Later(Some(Box::new((paths, settings, at))))
    }

    /// The gate: the one started early, else opened now.
    pub fn open(self) -> anyhow::Result<AnyGate> {
        match self {
            EarlyGate::Started(gate) => *gate,
            EarlyGate::Later(Some(read)) => {
                let (paths, settings, at) = *read;
                Gate::open_in(paths, settings, &at)
            }
            EarlyGate::Later(None) => Gate::open(),
        }
    }
}
