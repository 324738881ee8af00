//! [`GateError`]: what went wrong at the engine's and the store's boundary, typed by what a
//! caller does about it. The one-shot hook answers every kind with the runtime's "ask"; a
//! server maps them to statuses (busy 503, malformed 400, policy 422, not found 404,
//! integrity 500 with an alarm, store 500).

use std::fmt;

/// The kinds of failure a caller can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The store is locked by other writers past the wait limit; retrying later may succeed.
    Busy,
    /// The request itself is unusable (missing or ill-typed fields).
    Malformed,
    /// A policy, grant or setting is invalid.
    Policy,
    /// The audit chain or the learned state does not verify: tampering, or a changed key.
    Integrity,
    /// What the call names does not exist (no such pending ask, nothing to revoke).
    NotFound,
    /// The store failed otherwise (I/O, corruption, a newer schema, …).
    Store,
}

impl ErrorKind {
    /// A short stable name (`busy`, `malformed`, `policy`, `integrity`, `store`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Busy => "busy",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Policy => "policy",
            ErrorKind::Integrity => "integrity",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Store => "store",
        }
    }
}

/// A failure of the gate or its store: a kind and a one-line message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One line, naming the file or the rule where there is one.
    pub message: String,
}

impl GateError {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GateError {
            kind,
            message: message.into(),
        }
    }

    /// The store is busy.
    pub fn busy(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Busy, message)
    }

    /// The request is malformed.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    /// A policy or setting is invalid.
    pub fn policy(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Policy, message)
    }

    /// The chain or the learned state does not verify.
    pub fn integrity(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Integrity, message)
    }

    /// What the call names does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The store failed.
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Store, message)
    }

    /// Classifies an error from below: a [`GateError`] anywhere in its chain keeps its kind;
    /// anything else is a store failure, with the whole chain as the message.
    pub fn classify(e: anyhow::Error) -> Self {
        let kind = e
            .chain()
            .find_map(|c| c.downcast_ref::<GateError>())
            .map_or(ErrorKind::Store, |g| g.kind);
        GateError::new(kind, format!("{e:#}"))
    }
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GateError {}

impl From<anyhow::Error> for GateError {
    fn from(e: anyhow::Error) -> Self {
        GateError::classify(e)
    }
}

/// A result at the engine's and the store's boundary.
pub type GateResult<T> = Result<T, GateError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_keeps_a_kind_below_context() {
        let e = anyhow::Error::from(GateError::busy("database is locked"));
        assert_eq!(GateError::classify(e).kind, ErrorKind::Busy);
        let e = anyhow::Error::from(GateError::integrity("head does not verify"))
            .context("cannot append");
        let g = GateError::classify(e);
        assert_eq!(g.kind, ErrorKind::Integrity);
        assert!(g.message.contains("cannot append") && g.message.contains("head does not verify"));
        let g = GateError::classify(anyhow::anyhow!("disk I/O error"));
        assert_eq!(
            (g.kind, g.message.as_str()),
            (ErrorKind::Store, "disk I/O error")
        );
        assert_eq!(ErrorKind::Policy.as_str(), "policy");
    }
}
