//! The Markdown rendering, for pull requests and tickets (GitHub-flavoured tables).
//! Every string from the store is escaped ([`super::escape::md`]) and clipped.

use std::fmt::Write;

use super::escape::{clip, md};
use super::model::*;
use crate::clock::format_rfc3339;

/// Longest command or scope shown in a table cell.
const CELL: usize = 100;
/// Sessions listed (the JSON has more).
const SESSIONS: usize = 10;

/// `2026-11-27 10:51` (UTC) for a time in ms.
pub fn short_time(ms: i64) -> String {
    let s = format_rfc3339(ms);
    format!(
        "{} {}",
        s.get(..10).unwrap_or_default(),
        s.get(11..16).unwrap_or_default()
    )
}

/// A percentage with one decimal.
pub fn pct(r: f64) -> String {
    format!("{:.1} %", r * 100.0)
}

fn share(n: u64, total: u64) -> String {
    if total == 0 {
        "–".into()
    } else {
        pct(n as f64 / total as f64)
    }
}

fn cell(s: &str) -> String {
    md(&clip(s, CELL))
}

fn code(s: &str) -> String {
    // Escaped text inside <code>: no backtick fences to break out of.
    format!("<code>{}</code>", cell(s))
}

fn more<T>(out: &mut String, l: &Listing<T>) {
    if l.truncated() {
        let _ = writeln!(
            out,
            "\n_… and {} more (`--limit N` lists more)._",
            l.count - l.items.len() as u64
        );
    }
}

/// Renders the whole report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# aiperture compliance report\n");
    match r.status {
        Status::Unverified => {
            let _ = writeln!(
                o,
                "> **⚠ NOT VERIFIED — the audit chain does not verify. The figures below come \
                 from a store that may have been altered; this report is not clean.**  \n> {}\n",
                md(r.integrity.problem.as_deref().unwrap_or("unknown problem"))
            );
        }
        Status::Attention => {
            let _ = writeln!(
                o,
                "> **Status: attention.** The audit chain verifies ({} events); see the findings.\n",
                r.integrity.events
            );
        }
        Status::Clean => {
            let _ = writeln!(
                o,
                "> **Status: clean.** The audit chain verifies ({} events, signed head checked) \
                 and there are no findings.\n",
                r.integrity.events
            );
        }
    }
    let since = r
        .window
        .since_ms
        .map(short_time)
        .unwrap_or_else(|| "the beginning".into());
    let _ = writeln!(
        o,
        "- Window: {since} → {} UTC",
        short_time(r.window.until_ms)
    );
    let _ = writeln!(
        o,
        "- Project: {}",
        r.window
            .project
            .as_deref()
            .map(code)
            .unwrap_or_else(|| "all".into())
    );
    let _ = writeln!(o, "- Generated: {}", r.generated_at);
    let _ = writeln!(o, "- Status: **{}**\n", r.status.as_str());

    if !r.findings.is_empty() {
        let _ = writeln!(o, "## Findings\n");
        for f in &r.findings {
            let _ = writeln!(o, "- {}", md(f));
        }
        o.push('\n');
    }

    totals(&mut o, r);
    people(&mut o, r);
    patterns(&mut o, r);
    compliance(&mut o, r);
    integrity(&mut o, r);
    o
}

fn decision_row(o: &mut String, name: &str, checks: u64, d: &ByDecision, total: u64) {
    let _ = writeln!(
        o,
        "| {} | {checks} | {} | {} | {} | {} |",
        name,
        d.allow,
        d.ask,
        d.deny,
        share(checks, total)
    );
}

fn totals(o: &mut String, r: &Report) {
    let t = &r.totals;
    let _ = writeln!(o, "## Totals\n");
    let _ = writeln!(
        o,
        "**{}** checks in **{}** sessions: {} allowed, {} asked, {} denied.\n",
        t.checks, t.sessions, t.by_decision.allow, t.by_decision.ask, t.by_decision.deny
    );
    let p = &t.prompts;
    let _ = writeln!(
        o,
        "**Prompts avoided by learning: {}** · prompts shown: {} · avoided share: {} · \
         allowed automatically by any stage: {} · left to the runtime's classifier: {}\n",
        p.avoided_by_learning,
        p.shown,
        pct(p.avoided_ratio),
        p.auto_allowed,
        p.left_to_runtime_classifier
    );
    let _ = writeln!(o, "### By stage\n");
    let _ = writeln!(o, "| Stage | Checks | Allow | Ask | Deny | Share |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for g in &t.by_stage {
        decision_row(o, &code(&g.name), g.checks, &g.decisions, t.checks);
    }
    let _ = writeln!(o, "\n### By risk tier\n");
    let _ = writeln!(o, "| Tier | Checks | Share |");
    let _ = writeln!(o, "|---|---:|---:|");
    let b = &t.by_tier;
    for (name, n) in [
        ("LOW", b.low),
        ("MEDIUM", b.medium),
        ("HIGH", b.high),
        ("CRITICAL", b.critical),
    ] {
        let _ = writeln!(o, "| {name} | {n} | {} |", share(n, t.checks));
    }
    let _ = writeln!(o, "\n### By runtime\n");
    let _ = writeln!(o, "| Runtime | Checks | Allow | Ask | Deny | Share |");
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for g in &t.by_runtime {
        decision_row(o, &code(&g.name), g.checks, &g.decisions, t.checks);
    }
    let _ = writeln!(o, "\n### Sessions (most checks first)\n");
    let _ = writeln!(
        o,
        "| Session | Runtime | Checks | Allow | Ask | Deny | First | Last |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---|---|");
    let shown = &t.top_sessions[..t.top_sessions.len().min(SESSIONS)];
    for s in shown {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            code(&s.session),
            cell(&s.runtime),
            s.checks,
            s.decisions.allow,
            s.decisions.ask,
            s.decisions.deny,
            short_time(s.first_ms),
            short_time(s.last_ms)
        );
    }
    if t.sessions > shown.len() as u64 {
        let _ = writeln!(
            o,
            "\n_… and {} more sessions._",
            t.sessions - shown.len() as u64
        );
    }
    if !r.top_asked.is_empty() {
        let _ = writeln!(o, "\n### Most asked\n");
        let _ = writeln!(o, "| Tool | Pattern | Asks |");
        let _ = writeln!(o, "|---|---|---:|");
        for a in &r.top_asked {
            let _ = writeln!(
                o,
                "| {}/{} | {} | {} |",
                cell(&a.tool),
                cell(&a.action),
                code(&a.pattern),
                a.asks
            );
        }
    }
    o.push('\n');
}

fn people(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## By person\n");
    if r.people.is_empty() {
        let _ = writeln!(o, "No checks or human decisions in the window.\n");
        return;
    }
    let _ = writeln!(
        o,
        "| Actor | Checks | Asks | Approvals | Denials | Machines |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for p in &r.people {
        let who = if p.actor.is_empty() {
            "(not recorded)".to_string()
        } else {
            code(&p.actor)
        };
        let _ = writeln!(
            o,
            "| {who} | {} | {} | {} | {} | {} |",
            p.checks, p.asks, p.approvals, p.denials, p.machines
        );
    }
    o.push('\n');
}

fn pattern_table(o: &mut String, title: &str, l: &Listing<PatternItem>, empty: &str) {
    let _ = writeln!(o, "### {title} ({})\n", l.count);
    if l.items.is_empty() {
        let _ = writeln!(o, "{empty}\n");
        return;
    }
    let _ = writeln!(
        o,
        "| Project | Tool | Pattern | n | Rate | Humans | Age (days) | Expires |"
    );
    let _ = writeln!(o, "|---|---|---|---:|---:|---:|---:|---|");
    for p in &l.items {
        let _ = writeln!(
            o,
            "| {} | {}/{} | {} | {:.1} | {} | {} | {:.1} | {} |",
            code(&p.project),
            cell(&p.tool),
            cell(&p.action),
            code(&p.key),
            p.n,
            pct(p.rate),
            p.humans,
            p.age_days,
            short_time(p.expires_ms)
        );
    }
    more(o, l);
    o.push('\n');
}

fn patterns(o: &mut String, r: &Report) {
    let p = &r.patterns;
    let s = &r.settings;
    let _ = writeln!(o, "## Learned patterns\n");
    let _ = writeln!(
        o,
        "A pattern decides after {} human decisions with an approval rate ≥ {} (allow) or ≤ {} \
         (deny); it stops deciding {} days after its last human confirmation.\n",
        s.min_decisions,
        pct(s.approve_threshold),
        pct(s.deny_threshold),
        s.pattern_max_age_days
    );
    pattern_table(o, "Auto-approved", &p.auto_approved, "None.");
    pattern_table(o, "Auto-denied", &p.auto_denied, "None.");
    pattern_table(
        o,
        &format!("About to expire (within {} days)", s.expiring_within_days),
        &p.expiring,
        "None.",
    );
    pattern_table(
        o,
        "Close to being learned (candidates to confirm)",
        &p.candidates,
        "None.",
    );
    let _ = writeln!(o, "### Revoked ({})\n", p.revoked.count);
    if p.revoked.items.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(
            o,
            "| When | Project | Tool | Pattern | By | Reason | Decisions voided |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---:|");
        for v in &p.revoked.items {
            let _ = writeln!(
                o,
                "| {} | {} | {}/{} | {} | {} | {} | {} |",
                short_time(v.ts_ms),
                code(&v.project),
                cell(&v.tool),
                cell(&v.action),
                code(&v.key),
                cell(&v.revoked_by),
                cell(&v.reason),
                v.decisions
            );
        }
        more(o, &p.revoked);
        o.push('\n');
    }
}

fn gap_rows(o: &mut String, first: &str, v: &[GapGroup], session: bool) {
    let _ = writeln!(o, "| {first} | Executions | Gaps | Gap ratio |");
    let _ = writeln!(o, "|---|---:|---:|---:|");
    for g in v {
        let name = if session {
            format!("{} ({})", code(&g.name), cell(&g.runtime))
        } else {
            code(&g.name)
        };
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} |",
            g.executions,
            g.gaps,
            pct(g.ratio)
        );
    }
}

fn limited(o: &mut String, title: &str, l: &Listing<LimitedSession>) {
    let _ = writeln!(o, "### {title} ({})\n", l.count);
    if l.items.is_empty() {
        let _ = writeln!(o, "None.\n");
        return;
    }
    let _ = writeln!(o, "| Session | Runtime | Checks affected | First |");
    let _ = writeln!(o, "|---|---|---:|---|");
    for s in &l.items {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            code(&s.session),
            cell(&s.runtime),
            s.hits,
            short_time(s.first_ms)
        );
    }
    more(o, l);
    o.push('\n');
}

fn compliance(o: &mut String, r: &Report) {
    let c = &r.compliance;
    let _ = writeln!(o, "## Compliance\n");
    let _ = writeln!(
        o,
        "**{} tool executions, {} without a prior check (gap ratio {}).** A gap is a tool \
         call the runtime ran that aiperture was never asked about.\n",
        c.executions,
        c.gaps,
        pct(c.gap_ratio)
    );
    if !c.gaps_by_runtime.is_empty() {
        gap_rows(o, "Runtime", &c.gaps_by_runtime, false);
        o.push('\n');
    }
    if !c.gaps_by_session.items.is_empty() {
        let _ = writeln!(o, "Sessions with gaps ({}):\n", c.gaps_by_session.count);
        gap_rows(o, "Session", &c.gaps_by_session.items, true);
        more(o, &c.gaps_by_session);
        o.push('\n');
    }
    if !c.unchecked.items.is_empty() {
        let _ = writeln!(
            o,
            "### What ran unchecked ({})\n\nCredentials in commands are shown as `[REDACTED]`.\n",
            c.unchecked.count
        );
        let _ = writeln!(
            o,
            "| When | Session | Runtime | Tool | Command or target | Outcome |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for u in &c.unchecked.items {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}/{} | {} | {} |",
                short_time(u.ts_ms),
                code(&u.session),
                cell(&u.runtime),
                cell(&u.tool),
                cell(&u.action),
                code(&u.scope),
                cell(&u.outcome)
            );
        }
        more(o, &c.unchecked);
        o.push('\n');
    }
    let _ = writeln!(o, "### CRITICAL denies ({})\n", c.critical_denies.count);
    if c.critical_denies.items.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(o, "| When | Session | Tool | Command | Decided by |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for d in &c.critical_denies.items {
            let _ = writeln!(
                o,
                "| {} | {} | {}/{} | {} | {} |",
                short_time(d.ts_ms),
                code(&d.session),
                cell(&d.tool),
                cell(&d.action),
                code(&d.scope),
                code(&d.decided_by)
            );
        }
        more(o, &c.critical_denies);
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "### Asks never resolved ({})\n\nIn addition, {} asks ended with their session without \
         the tool running (inferred denials). The runtime's classifier refused {} actions.\n",
        c.unresolved_asks.count, c.inferred_denials, c.classifier_refusals
    );
    if !c.unresolved_asks.items.is_empty() {
        let _ = writeln!(o, "| When | Session | Tool | Request | Tier |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for a in &c.unresolved_asks.items {
            let _ = writeln!(
                o,
                "| {} | {} | {}/{} | {} | {} |",
                short_time(a.ts_ms),
                code(&a.session),
                cell(&a.tool),
                cell(&a.action),
                code(&a.scope),
                cell(&a.risk_tier)
            );
        }
        more(o, &c.unresolved_asks);
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "### Rubber-stamped approvals ({})\n",
        c.rubber_stamps.count
    );
    if c.rubber_stamps.items.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(o, "| When | Session | Who | Tool | Request |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for s in &c.rubber_stamps.items {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}/{} | {} |",
                short_time(s.ts_ms),
                code(&s.session),
                cell(&s.who),
                cell(&s.tool),
                cell(&s.action),
                code(&s.scope)
            );
        }
        more(o, &c.rubber_stamps);
        o.push('\n');
    }
    limited(
        o,
        "Sessions that hit the rate limit",
        &c.rate_limited_sessions,
    );
    limited(
        o,
        "Sessions that exhausted their risk budget",
        &c.budget_exhausted_sessions,
    );
}

fn integrity(o: &mut String, r: &Report) {
    let i = &r.integrity;
    let _ = writeln!(o, "## Integrity\n");
    if i.verified {
        let _ = writeln!(
            o,
            "The audit chain verifies: {} events, every hash and link checked, signed head \
             {}.",
            i.events,
            if i.mac_checked {
                "checked with the install key"
            } else {
                "absent (empty chain)"
            }
        );
    } else {
        let at = i
            .first_bad_seq
            .map(|s| format!(" (first bad event: {s})"))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "**⚠ NOT VERIFIED{at}: {}.** {} events read. Do not rely on this report until the \
             store is explained (`aiperture audit verify`).",
            md(i.problem.as_deref().unwrap_or("unknown problem")),
            i.events
        );
    }
}
