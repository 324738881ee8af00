//! The compliance report: what agents did, who approved it, and whether the log is intact.
