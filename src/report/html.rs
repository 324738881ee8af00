//! The HTML rendering: one self-contained page (inline CSS and SVG, no script, no external
//! resource; a Content-Security-Policy forbids loading any). Every string from the store is
//! escaped ([`super::escape::html`]): commands are attacker-controlled.

use std::fmt::Write;

use super::escape::{clip, html as esc};
use super::markdown::{pct, short_time};
use super::model::*;
use super::svg::{self, thousands};

const CELL: usize = 120;
/// Sessions listed (the JSON has more).
const SESSIONS: usize = 20;

/// The stylesheet, inlined (no external resource).
const CSS: &str = include_str!("report.css");

fn code(s: &str) -> String {
    format!("<code>{}</code>", esc(&clip(s, CELL)))
}

fn text(s: &str) -> String {
    esc(&clip(s, CELL))
}

/// A table: header cells (a leading `#` marks a numeric column) and rows of pre-escaped HTML.
fn table(o: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    o.push_str("<table><thead><tr>");
    for h in head {
        match h.strip_prefix('#') {
            Some(h) => {
                let _ = write!(o, "<th class=\"n\">{h}</th>");
            }
            None => {
                let _ = write!(o, "<th>{h}</th>");
            }
        }
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            if head.get(i).is_some_and(|h| h.starts_with('#')) {
                let _ = write!(o, "<td class=\"n\">{c}</td>");
            } else {
                let _ = write!(o, "<td>{c}</td>");
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
}

fn more<T>(o: &mut String, l: &Listing<T>) {
    if l.truncated() {
        let _ = write!(
            o,
            "<p class=\"more\">… and {} more (<code>--limit N</code> lists more).</p>",
            l.count - l.items.len() as u64
        );
    }
}

fn none(o: &mut String) {
    o.push_str("<p class=\"none\">None.</p>");
}

fn card(o: &mut String, n: &str, label: &str, class: &str) {
    let _ = write!(
        o,
        "<div class=\"card {class}\"><div class=\"n\">{n}</div><div class=\"l\">{label}</div></div>"
    );
}

fn swatch(color: &str, label: &str) -> String {
    format!("<span><span class=\"sw\" style=\"background:{color}\"></span>{label}</span>")
}

/// Renders the whole report as one HTML page.
pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    o.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\
         <title>aiperture compliance report</title><style>",
    );
    o.push_str(CSS);
    o.push_str("</style></head><body><main>");
    let since = r
        .window
        .since_ms
        .map(short_time)
        .unwrap_or_else(|| "the beginning".into());
    let _ = write!(
        o,
        "<h1>aiperture compliance report</h1><p class=\"meta\">{} → {} UTC · project: {} · \
         generated {}</p>",
        esc(&since),
        esc(&short_time(r.window.until_ms)),
        r.window
            .project
            .as_deref()
            .map(code)
            .unwrap_or_else(|| "all".into()),
        esc(&r.generated_at)
    );
    banner(&mut o, r);
    cards(&mut o, r);
    charts(&mut o, r);
    totals(&mut o, r);
    people(&mut o, r);
    patterns(&mut o, r);
    compliance(&mut o, r);
    integrity(&mut o, r);
    o.push_str("</main></body></html>\n");
    o
}

fn banner(o: &mut String, r: &Report) {
    let (class, head) = match r.status {
        Status::Unverified => (
            "unverified",
            "⚠ NOT VERIFIED — the audit chain does not verify. The figures below come from a \
             store that may have been altered: this report is not clean."
                .to_string(),
        ),
        Status::Attention => (
            "attention",
            format!(
                "Attention — the audit chain verifies ({} events), but there are findings.",
                r.integrity.events
            ),
        ),
        Status::Clean => (
            "clean",
            format!(
                "✓ Clean — the audit chain verifies ({} events, signed head checked) and there \
                 are no findings.",
                r.integrity.events
            ),
        ),
    };
    let _ = write!(
        o,
        "<div class=\"banner {class}\" role=\"status\" id=\"status\" data-status=\"{}\">\
         <strong>{}</strong>",
        r.status.as_str(),
        esc(&head)
    );
    if !r.findings.is_empty() {
        o.push_str("<ul>");
        for f in &r.findings {
            let _ = write!(o, "<li>{}</li>", esc(f));
        }
        o.push_str("</ul>");
    }
    o.push_str("</div>");
}

fn cards(o: &mut String, r: &Report) {
    let t = &r.totals;
    let c = &r.compliance;
    o.push_str("<div class=\"cards\">");
    card(o, &thousands(t.checks), "checks", "");
    card(
        o,
        &thousands(t.prompts.avoided_by_learning),
        "prompts avoided by learning",
        "good",
    );
    card(o, &thousands(t.prompts.shown), "prompts shown", "");
    card(o, &thousands(t.sessions), "sessions", "");
    card(
        o,
        &thousands(c.gaps),
        &format!("executions without a check ({})", pct(c.gap_ratio)),
        if c.gaps > 0 { "bad" } else { "good" },
    );
    card(
        o,
        &thousands(c.critical_denies.count),
        "CRITICAL denies",
        if c.critical_denies.count > 0 {
            "bad"
        } else {
            ""
        },
    );
    card(
        o,
        if r.integrity.verified {
            "verified"
        } else {
            "NOT verified"
        },
        "audit chain",
        if r.integrity.verified { "good" } else { "bad" },
    );
    o.push_str("</div>");
}

fn charts(o: &mut String, r: &Report) {
    let tl = &r.timeline;
    o.push_str("<h2>At a glance</h2><div class=\"charts\">");
    let _ = write!(
        o,
        "<figure id=\"chart-decisions\" class=\"wide\"><figcaption>Decisions over time</figcaption>{}\
         <div class=\"legend\">{}{}{}</div></figure>",
        svg::decisions_over_time(&tl.buckets, tl.bucket_ms),
        swatch(svg::ALLOW, "allowed"),
        swatch(svg::ASK, "asked"),
        swatch(svg::DENY, "denied")
    );
    let _ = write!(
        o,
        "<figure id=\"chart-prompts\" class=\"wide\"><figcaption>Prompts avoided by learning</figcaption>{}\
         <div class=\"legend\">{}{}</div></figure>",
        svg::prompts_over_time(&tl.buckets, tl.bucket_ms),
        swatch(svg::LEARNED, "avoided by learning (solid)"),
        swatch(svg::ASK, "shown to a human (dashed)")
    );
    let items: Vec<(String, u64)> = r
        .top_asked
        .iter()
        .map(|a| (a.pattern.clone(), a.asks))
        .collect();
    let _ = write!(
        o,
        "<figure id=\"chart-asked\"><figcaption>Most asked patterns</figcaption>{}</figure>",
        svg::hbars("Most asked patterns", &items, svg::ASK)
    );
    let _ = write!(
        o,
        "<figure id=\"chart-risk\"><figcaption>Risk mix</figcaption>{}</figure>",
        svg::risk_mix(&r.totals.by_tier)
    );
    o.push_str("</div>");
}

fn group_rows(v: &[Group]) -> Vec<Vec<String>> {
    v.iter()
        .map(|g| {
            vec![
                code(&g.name),
                g.checks.to_string(),
                g.decisions.allow.to_string(),
                g.decisions.ask.to_string(),
                g.decisions.deny.to_string(),
            ]
        })
        .collect()
}

fn totals(o: &mut String, r: &Report) {
    let t = &r.totals;
    let _ = write!(
        o,
        "<h2>Totals</h2><p><strong>{}</strong> checks in <strong>{}</strong> sessions: {} \
         allowed ({} automatically by learning), {} asked, {} denied. Share of would-be prompts \
         avoided by learning: <strong>{}</strong>.</p>",
        t.checks,
        t.sessions,
        t.by_decision.allow,
        t.prompts.avoided_by_learning,
        t.by_decision.ask,
        t.by_decision.deny,
        pct(t.prompts.avoided_ratio)
    );
    let head = ["Stage", "#Checks", "#Allow", "#Ask", "#Deny"];
    o.push_str("<h3>By stage (<code>decided_by</code>)</h3>");
    table(o, &head, group_rows(&t.by_stage));
    o.push_str("<h3>By runtime</h3>");
    let mut head_rt = head;
    head_rt[0] = "Runtime";
    table(o, &head_rt, group_rows(&t.by_runtime));
    o.push_str("<h3>Sessions (most checks first)</h3>");
    let rows = t
        .top_sessions
        .iter()
        .take(SESSIONS)
        .map(|s| {
            vec![
                code(&s.session),
                text(&s.runtime),
                s.checks.to_string(),
                s.decisions.allow.to_string(),
                s.decisions.ask.to_string(),
                s.decisions.deny.to_string(),
                short_time(s.first_ms),
                short_time(s.last_ms),
            ]
        })
        .collect();
    table(
        o,
        &[
            "Session", "Runtime", "#Checks", "#Allow", "#Ask", "#Deny", "First", "Last",
        ],
        rows,
    );
    let shown = t.top_sessions.len().min(SESSIONS) as u64;
    if t.sessions > shown {
        let _ = write!(
            o,
            "<p class=\"more\">… and {} more sessions.</p>",
            t.sessions - shown
        );
    }
}

fn people(o: &mut String, r: &Report) {
    o.push_str("<h2>By person</h2>");
    if r.people.is_empty() {
        none(o);
        return;
    }
    let rows = r
        .people
        .iter()
        .map(|p| {
            vec![
                if p.actor.is_empty() {
                    "(not recorded)".to_string()
                } else {
                    code(&p.actor)
                },
                p.checks.to_string(),
                p.asks.to_string(),
                p.approvals.to_string(),
                p.denials.to_string(),
                p.machines.to_string(),
            ]
        })
        .collect();
    table(
        o,
        &[
            "Actor",
            "#Checks",
            "#Asks",
            "#Approvals",
            "#Denials",
            "#Machines",
        ],
        rows,
    );
}

fn pattern_list(o: &mut String, title: &str, l: &Listing<PatternItem>) {
    let _ = write!(o, "<h3>{} ({})</h3>", esc(title), l.count);
    if l.items.is_empty() {
        return none(o);
    }
    let rows = l
        .items
        .iter()
        .map(|p| {
            vec![
                code(&p.project),
                text(&format!("{}/{}", p.tool, p.action)),
                code(&p.key),
                format!("{:.1}", p.n),
                pct(p.rate),
                p.humans.to_string(),
                format!("{:.1}", p.age_days),
                short_time(p.expires_ms),
            ]
        })
        .collect();
    table(
        o,
        &[
            "Project",
            "Tool",
            "Pattern",
            "#n",
            "#Rate",
            "#Humans",
            "#Age (days)",
            "Expires",
        ],
        rows,
    );
    more(o, l);
}

fn patterns(o: &mut String, r: &Report) {
    let p = &r.patterns;
    let s = &r.settings;
    let _ = write!(
        o,
        "<h2>Learned patterns</h2><p>A pattern decides after {} human decisions with an approval \
         rate ≥ {} (allow) or ≤ {} (deny), and stops deciding {} days after its last human \
         confirmation.</p>",
        s.min_decisions,
        pct(s.approve_threshold),
        pct(s.deny_threshold),
        s.pattern_max_age_days
    );
    pattern_list(o, "Auto-approved", &p.auto_approved);
    pattern_list(o, "Auto-denied", &p.auto_denied);
    pattern_list(
        o,
        &format!("About to expire (within {} days)", s.expiring_within_days),
        &p.expiring,
    );
    pattern_list(
        o,
        "Close to being learned (candidates to confirm)",
        &p.candidates,
    );
    let _ = write!(o, "<h3>Revoked ({})</h3>", p.revoked.count);
    if p.revoked.items.is_empty() {
        none(o);
    } else {
        let rows = p
            .revoked
            .items
            .iter()
            .map(|v| {
                vec![
                    short_time(v.ts_ms),
                    code(&v.project),
                    text(&format!("{}/{}", v.tool, v.action)),
                    code(&v.key),
                    text(&v.revoked_by),
                    text(&v.reason),
                    v.decisions.to_string(),
                ]
            })
            .collect();
        table(
            o,
            &[
                "When", "Project", "Tool", "Pattern", "By", "Reason", "#Voided",
            ],
            rows,
        );
        more(o, &p.revoked);
    }
}

fn gap_rows(v: &[GapGroup]) -> Vec<Vec<String>> {
    v.iter()
        .map(|g| {
            vec![
                code(&g.name),
                text(&g.runtime),
                g.executions.to_string(),
                g.gaps.to_string(),
                pct(g.ratio),
            ]
        })
        .collect()
}

fn limited(o: &mut String, title: &str, l: &Listing<LimitedSession>) {
    let _ = write!(o, "<h3>{} ({})</h3>", esc(title), l.count);
    if l.items.is_empty() {
        return none(o);
    }
    let rows = l
        .items
        .iter()
        .map(|s| {
            vec![
                code(&s.session),
                text(&s.runtime),
                s.hits.to_string(),
                short_time(s.first_ms),
            ]
        })
        .collect();
    table(
        o,
        &["Session", "Runtime", "#Checks affected", "First"],
        rows,
    );
    more(o, l);
}

fn compliance(o: &mut String, r: &Report) {
    let c = &r.compliance;
    let _ = write!(
        o,
        "<h2>Compliance</h2><p><strong>{} tool executions, {} without a prior check</strong> \
         (gap ratio {}). A gap is a tool call the runtime ran that aiperture was never asked \
         about.</p>",
        c.executions,
        c.gaps,
        pct(c.gap_ratio)
    );
    if !c.gaps_by_runtime.is_empty() {
        table(
            o,
            &["Runtime", "", "#Executions", "#Gaps", "#Gap ratio"],
            gap_rows(&c.gaps_by_runtime),
        );
    }
    if !c.gaps_by_session.items.is_empty() {
        let _ = write!(
            o,
            "<h3>Sessions with gaps ({})</h3>",
            c.gaps_by_session.count
        );
        table(
            o,
            &["Session", "Runtime", "#Executions", "#Gaps", "#Gap ratio"],
            gap_rows(&c.gaps_by_session.items),
        );
        more(o, &c.gaps_by_session);
    }
    if !c.unchecked.items.is_empty() {
        let _ = write!(
            o,
            "<h3>What ran unchecked ({})</h3><p>Credentials in commands are shown as \
             <code>[REDACTED]</code>.</p>",
            c.unchecked.count
        );
        let rows = c
            .unchecked
            .items
            .iter()
            .map(|u| {
                vec![
                    short_time(u.ts_ms),
                    code(&u.session),
                    text(&u.runtime),
                    text(&format!("{}/{}", u.tool, u.action)),
                    code(&u.scope),
                    text(&u.outcome),
                ]
            })
            .collect();
        table(
            o,
            &[
                "When",
                "Session",
                "Runtime",
                "Tool",
                "Command or target",
                "Outcome",
            ],
            rows,
        );
        more(o, &c.unchecked);
    }
    let _ = write!(o, "<h3>CRITICAL denies ({})</h3>", c.critical_denies.count);
    if c.critical_denies.items.is_empty() {
        none(o);
    } else {
        let rows = c
            .critical_denies
            .items
            .iter()
            .map(|d| {
                vec![
                    short_time(d.ts_ms),
                    code(&d.session),
                    text(&format!("{}/{}", d.tool, d.action)),
                    code(&d.scope),
                    code(&d.decided_by),
                ]
            })
            .collect();
        table(
            o,
            &["When", "Session", "Tool", "Command", "Decided by"],
            rows,
        );
        more(o, &c.critical_denies);
    }
    let _ = write!(
        o,
        "<h3>Asks never resolved ({})</h3><p>In addition, {} asks ended with their session \
         without the tool running (inferred denials). The runtime's classifier refused {} \
         actions; {} checks were left to it.</p>",
        c.unresolved_asks.count,
        c.inferred_denials,
        c.classifier_refusals,
        r.totals.prompts.left_to_runtime_classifier
    );
    if !c.unresolved_asks.items.is_empty() {
        let rows = c
            .unresolved_asks
            .items
            .iter()
            .map(|a| {
                vec![
                    short_time(a.ts_ms),
                    code(&a.session),
                    text(&format!("{}/{}", a.tool, a.action)),
                    code(&a.scope),
                    text(&a.risk_tier),
                ]
            })
            .collect();
        table(o, &["When", "Session", "Tool", "Request", "Tier"], rows);
        more(o, &c.unresolved_asks);
    }
    let _ = write!(
        o,
        "<h3>Rubber-stamped approvals ({})</h3>",
        c.rubber_stamps.count
    );
    if c.rubber_stamps.items.is_empty() {
        none(o);
    } else {
        let rows = c
            .rubber_stamps
            .items
            .iter()
            .map(|s| {
                vec![
                    short_time(s.ts_ms),
                    code(&s.session),
                    text(&s.who),
                    text(&format!("{}/{}", s.tool, s.action)),
                    code(&s.scope),
                ]
            })
            .collect();
        table(o, &["When", "Session", "Who", "Tool", "Request"], rows);
        more(o, &c.rubber_stamps);
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
    o.push_str("<h2 id=\"integrity\">Integrity</h2>");
    if i.verified {
        let _ = write!(
            o,
            "<p>The audit chain verifies: {} events, every hash and link checked, signed head {}.\
             </p>",
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
        let _ = write!(
            o,
            "<div class=\"banner unverified\"><strong>⚠ NOT VERIFIED{}: {}.</strong> {} events \
             read. Do not rely on this report until the store is explained \
             (<code>aiperture audit verify</code>).</div>",
            esc(&at),
            esc(i.problem.as_deref().unwrap_or("unknown problem")),
            i.events
        );
    }
}
