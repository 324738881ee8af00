//! `aiperture patterns --suggest`: policy rules proposed from consistent human history, printed
//! in the policy file's TOML (docs/policy.md) for a human to review and paste into the user
//! file. Only patterns below HIGH risk, with at least the decisions their tier needs, not
//! revoked or expired, and an approval rate at or past `auto_approve_threshold` (an `allow`
//! rule) or at or below `auto_deny_threshold` (a `deny` rule).

use crate::cli::ExitCode;
use serde::Serialize;
use serde_json::Value;

/// One proposed rule, as the policy file spells it.
#[derive(Debug, Serialize, PartialEq)]
struct Rule {
    tool: String,
    action: String,
    scope: String,
    decision: &'static str,
    reason: String,
}

#[derive(Serialize)]
struct File<'a> {
    rule: &'a [Rule],
}

/// The rule a `patterns --json` row supports, if its history is consistent enough.
fn rule_of(row: &Value, approve: f64, deny: f64) -> Option<Rule> {
    let s = |k: &str| row[k].as_str().unwrap_or("");
    if matches!(s("tier"), "high" | "critical" | "") {
        return None;
    }
    if matches!(s("status"), "revoked" | "expired" | "never (risk)") {
        return None;
    }
    let n = row["decisions"].as_f64()?;
    let needed = row["needed"].as_f64()?;
    let rate = row["approval_rate"].as_f64()?;
    if n < needed.max(1.0) || row["humans"].as_u64().unwrap_or(0) == 0 {
        return None;
    }
    let decision = if rate >= approve {
        "allow"
    } else if rate <= deny {
        "deny"
    } else {
        return None;
    };
    let scope = s("pattern").to_string();
    if !valid_scope(s("tool"), &scope) {
        return None;
    }
    Some(Rule {
        tool: s("tool").into(),
        action: s("action").into(),
        reason: format!(
            "suggested from history: {} of {n} decisions approved ({:.0}%) by {} human(s), {} risk",
            row["approvals"].as_u64().unwrap_or(0),
            rate * 100.0,
            row["humans"].as_u64().unwrap_or(0),
            s("tier"),
        ),
        scope,
        decision,
    })
}

/// Whether a learned key is a valid scope of a user policy file: a shell pattern whose only
/// wildcard is a final ` *` word, or an absolute (or `~/`) path glob.
fn valid_scope(tool: &str, scope: &str) -> bool {
    if scope.trim().is_empty() || scope.chars().any(char::is_control) {
        return false;
    }
    if tool == "shell" {
        let body = scope.strip_suffix(" *").unwrap_or(scope);
        return !body.contains(['*', '?']);
    }
    if tool == "filesystem" {
        return scope.starts_with('/') || scope.starts_with("~/");
    }
    true
}

/// Prints the proposed rules (TOML, or `--json` an array of them).
pub fn print(rows: &[Value], json: bool) -> anyhow::Result<ExitCode> {
    let settings = aiperture::config::Settings::load(&aiperture::paths::Paths::from_env()?)?;
    let mut rules: Vec<Rule> = rows
        .iter()
        .filter_map(|r| {
            rule_of(
                r,
                settings.auto_approve_threshold,
                settings.auto_deny_threshold,
            )
        })
        .collect();
    rules.dedup();
    if json {
        println!("{}", serde_json::to_string(&rules)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rules.is_empty() {
        println!("# no suggestions: no pattern below HIGH risk has a consistent history yet");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "# Suggested by `aiperture patterns --suggest` from consistent human decisions.\n\
         # Review each rule, then add it to the user policy file ($AIPERTURE_HOME/policy.toml).\n\
         # No rule is suggested for HIGH or CRITICAL risk.\n"
    );
    print!("{}", toml::to_string(&File { rule: &rules })?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(tier: &str, n: f64, rate: f64, pattern: &str) -> Value {
        json!({"tool": "shell", "action": "execute", "pattern": pattern, "tier": tier,
            "status": "auto-approve", "decisions": n, "needed": 3, "approval_rate": rate,
            "approvals": n as u64, "humans": 1})
    }

    #[test]
    fn only_consistent_history_below_high_is_suggested() {
        let allow = rule_of(&row("low", 3.0, 1.0, "npm test *"), 0.95, 0.05).unwrap();
        assert_eq!(
            (allow.decision, allow.scope.as_str()),
            ("allow", "npm test *")
        );
        let deny = rule_of(&row("medium", 4.0, 0.0, "make deploy *"), 0.95, 0.05).unwrap();
        assert_eq!(deny.decision, "deny");
        for (tier, n, rate, p) in [
            ("high", 30.0, 1.0, "git push *"),
            ("critical", 30.0, 0.0, "rm -rf /"),
            ("low", 2.0, 1.0, "ls *"),
            ("low", 10.0, 0.5, "cat *"),
            ("low", 10.0, 1.0, "ls *.txt"),
        ] {
            assert!(
                rule_of(&row(tier, n, rate, p), 0.95, 0.05).is_none(),
                "{tier} {p}"
            );
        }
    }
}
