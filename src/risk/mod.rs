//! Risk classification of a normalized request, pure (no I/O, no store).
//!
//! [`assess`] rates any tool call; shell commands are judged per simple command using
//! [`crate::shell`]. Tables are compiled into the binary.

use crate::request::{Risk, RiskTier};

/// What the classifier needs to know about where the call happens.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Working directory of the call (absolute).
    pub cwd: String,
    /// Project root (absolute).
    pub project: String,
    /// The user's home directory (absolute).
    pub home: String,
    /// Paths aiperture protects about itself (DB, key, config, runtime hook settings).
    pub protected_paths: Vec<String>,
}

/// The risk of one simple command (or of the whole request for non-shell tools).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentAssessment {
    /// The simple command's text (or the scope for non-shell tools).
    pub command: String,
    /// Resolved program name for shell, empty otherwise.
    pub program: String,
    /// The segment's risk.
    pub risk: Risk,
    /// Learnable pattern derived from it; `None` when it must never be generalized.
    pub pattern: Option<String>,
    /// One line saying why.
    pub reason: String,
}

/// The classifier's answer for a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Overall risk (the highest segment's).
    pub risk: Risk,
    /// One line for the agent or the human.
    pub reason: String,
    /// A longer explanation.
    pub explanation: String,
    /// One entry per simple command for shell; exactly one entry for other tools.
    pub segments: Vec<SegmentAssessment>,
}

/// Rates a request. Placeholder until the classifier lands: everything is medium.
pub fn assess(_tool: &str, _action: &str, scope: &str, _ctx: &Context) -> Assessment {
    let risk = Risk {
        tier: RiskTier::Medium,
        score: 0.3,
        factors: vec!["unclassified".to_string()],
    };
    Assessment {
        risk: risk.clone(),
        reason: "not classified".to_string(),
        explanation: String::new(),
        segments: vec![SegmentAssessment {
            command: scope.to_string(),
            program: String::new(),
            risk,
            pattern: None,
            reason: "not classified".to_string(),
        }],
    }
}
