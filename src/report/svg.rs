//! Server-rendered inline SVG charts for the HTML report: no script, no external resource.
//! Colours are the Okabe–Ito palette (distinguishable with the common colour-vision
//! deficiencies); every chart also has a text legend with the figures, a `<title>` per mark and
//! an `aria-label`. All labels are escaped.

use std::fmt::Write;

use super::escape::{clip, html};
use super::model::{Bucket, ByTier};
use crate::clock::format_rfc3339;

/// Allow (bluish green).
pub const ALLOW: &str = "#009E73";
/// Ask (orange).
pub const ASK: &str = "#E69F00";
/// Deny (vermillion).
pub const DENY: &str = "#D55E00";
/// Avoided by learning (blue).
pub const LEARNED: &str = "#0072B2";
/// Risk tiers: low, medium, high, critical.
pub const TIERS: [&str; 4] = ["#56B4E9", "#E69F00", "#D55E00", "#6C1D5F"];

/// Width of the full-width time charts (viewBox units).
const W: f64 = 1000.0;
/// Width of the half-width charts.
const WH: f64 = 560.0;
const H: f64 = 250.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

/// A "nice" axis maximum ≥ `v` (1, 2, 5 × 10^k).
fn nice_max(v: u64) -> u64 {
    if v <= 5 {
        return 5;
    }
    let mut base = 1u64;
    while base <= v / 10 {
        base *= 10;
    }
    for m in [1, 2, 5, 10] {
        if base.saturating_mul(m) >= v {
            return base.saturating_mul(m);
        }
    }
    v
}

fn bucket_label(ms: i64, width_ms: i64) -> String {
    let s = format_rfc3339(ms);
    if width_ms < 86_400_000 {
        format!(
            "{} {}",
            s.get(5..10).unwrap_or_default(),
            s.get(11..16).unwrap_or_default()
        )
    } else {
        s.get(5..10).unwrap_or_default().to_string()
    }
}

fn open(o: &mut String, label: &str, w: f64, h: f64) {
    let _ = write!(
        o,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-label=\"{0}\"><title>{0}</title>",
        html(label)
    );
}

/// Tick count for a nice maximum: 1·10^k → 5 ticks, 2·10^k → 4, 5·10^k → 5.
fn ticks(max: u64) -> u64 {
    let mut lead = max;
    while lead >= 10 {
        lead /= 10;
    }
    if lead == 2 { 4 } else { 5 }
}

/// `12,345` for 12345.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Y grid lines and labels for a `max` axis over the plot height.
fn y_axis(o: &mut String, max: u64) {
    let ph = H - TOP - BOTTOM;
    let n = ticks(max);
    for i in 0..=n {
        let v = max * i / n;
        let y = TOP + ph - ph * (i as f64) / n as f64;
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"ylab\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            thousands(v)
        );
    }
}

/// X labels: at most about twelve, evenly spaced.
fn x_labels(o: &mut String, buckets: &[Bucket], width_ms: i64, step_px: f64) {
    let n = buckets.len().max(1);
    let every = n.div_ceil(12).max(1);
    let mut last_day = String::new();
    for (i, b) in buckets.iter().enumerate() {
        if i % every == 0 {
            let x = (LEFT + step_px * (i as f64 + 0.5)).min(W - RIGHT - 30.0);
            let full = bucket_label(b.start_ms, width_ms);
            // Hourly labels name the day only when it changes: `11-26 09:00`, `10:00`, ….
            let label = match full.split_once(' ') {
                Some((day, hour)) if day == last_day => hour.to_string(),
                Some((day, _)) => {
                    last_day = day.to_string();
                    full.clone()
                }
                None => full.clone(),
            };
            let _ = write!(
                o,
                "<text x=\"{x:.1}\" y=\"{}\" class=\"xlab\">{}</text>",
                H - 10.0,
                html(&label)
            );
        }
    }
}

/// Decisions over time: stacked columns (allow, ask, deny) per bucket.
pub fn decisions_over_time(buckets: &[Bucket], width_ms: i64) -> String {
    let mut o = String::new();
    open(
        &mut o,
        "Decisions over time: allowed, asked, denied checks per period",
        W,
        H,
    );
    let max = nice_max(
        buckets
            .iter()
            .map(|b| b.decisions.total())
            .max()
            .unwrap_or(0),
    );
    y_axis(&mut o, max);
    let ph = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / buckets.len().max(1) as f64;
    let bar = (step * 0.8).max(1.0);
    for (i, b) in buckets.iter().enumerate() {
        let x = LEFT + step * i as f64 + (step - bar) / 2.0;
        let mut y = TOP + ph;
        let label = bucket_label(b.start_ms, width_ms);
        for (name, v, color) in [
            ("allowed", b.decisions.allow, ALLOW),
            ("asked", b.decisions.ask, ASK),
            ("denied", b.decisions.deny, DENY),
        ] {
            if v == 0 {
                continue;
            }
            let h = ph * v as f64 / max as f64;
            y -= h;
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" \
                 fill=\"{color}\"><title>{} — {v} {name}</title></rect>",
                html(&label)
            );
        }
    }
    x_labels(&mut o, buckets, width_ms, step);
    o.push_str("</svg>");
    o
}

/// Prompts avoided by learning (area and line) against prompts shown (line) per bucket.
pub fn prompts_over_time(buckets: &[Bucket], width_ms: i64) -> String {
    let mut o = String::new();
    open(
        &mut o,
        "Prompts avoided by learning and prompts shown per period",
        W,
        H,
    );
    let max = nice_max(
        buckets
            .iter()
            .map(|b| b.avoided_by_learning.max(b.decisions.ask))
            .max()
            .unwrap_or(0),
    );
    y_axis(&mut o, max);
    let ph = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / buckets.len().max(1) as f64;
    let pt = |i: usize, v: u64| {
        (
            LEFT + step * (i as f64 + 0.5),
            TOP + ph - ph * v as f64 / max as f64,
        )
    };
    let line = |f: &dyn Fn(&Bucket) -> u64| -> String {
        buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let (x, y) = pt(i, f(b));
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let avoided = line(&|b| b.avoided_by_learning);
    let shown = line(&|b| b.decisions.ask);
    if !buckets.is_empty() {
        let (x0, _) = pt(0, 0);
        let (x1, y0) = pt(buckets.len() - 1, 0);
        let _ = write!(
            o,
            "<polygon points=\"{x0:.1},{y0:.1} {avoided} {x1:.1},{y0:.1}\" fill=\"{LEARNED}\" \
             fill-opacity=\"0.18\"/>"
        );
    }
    let _ = write!(
        o,
        "<polyline points=\"{avoided}\" fill=\"none\" stroke=\"{LEARNED}\" stroke-width=\"2.5\"/>\
         <polyline points=\"{shown}\" fill=\"none\" stroke=\"{ASK}\" stroke-width=\"2.5\" \
         stroke-dasharray=\"6 4\"/>"
    );
    for (i, b) in buckets.iter().enumerate() {
        let label = html(&bucket_label(b.start_ms, width_ms));
        let (x, y) = pt(i, b.avoided_by_learning);
        let _ = write!(
            o,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{LEARNED}\"><title>{label} — \
             {} prompts avoided by learning</title></circle>",
            b.avoided_by_learning
        );
        let (x, y) = pt(i, b.decisions.ask);
        let _ = write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"6\" height=\"6\" fill=\"{ASK}\"><title>{label} \
             — {} prompts shown</title></rect>",
            x - 3.0,
            y - 3.0,
            b.decisions.ask
        );
    }
    x_labels(&mut o, buckets, width_ms, step);
    o.push_str("</svg>");
    o
}

/// Horizontal bars, one per labelled value (largest first as given).
pub fn hbars(title: &str, items: &[(String, u64)], color: &str) -> String {
    let row = 26.0;
    let label_w = 250.0;
    let h = (items.len().max(1) as f64) * row + 8.0;
    let mut o = String::new();
    open(&mut o, title, WH, h);
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let avail = WH - label_w - 50.0;
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = (avail * *v as f64 / max as f64).max(2.0);
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"blab\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"3\" \
             fill=\"{color}\"><title>{} — {v}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" class=\"bval\">{}</text>",
            label_w - 8.0,
            y + row * 0.62,
            html(&clip(label, 34)),
            y + 3.0,
            row - 8.0,
            html(label),
            label_w + w + 6.0,
            y + row * 0.62,
            thousands(*v)
        );
    }
    if items.is_empty() {
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"20\" class=\"blab\" text-anchor=\"middle\">No asks in this \
             window</text>",
            WH / 2.0
        );
    }
    o.push_str("</svg>");
    o
}

/// The risk mix as a donut with a legend of counts and shares.
pub fn risk_mix(t: &ByTier) -> String {
    let parts = [
        ("LOW", t.low),
        ("MEDIUM", t.medium),
        ("HIGH", t.high),
        ("CRITICAL", t.critical),
    ];
    let total: u64 = parts.iter().map(|(_, v)| v).sum();
    let h = 200.0;
    let mut o = String::new();
    open(&mut o, "Risk mix: checks per risk tier", WH, h);
    let (cx, cy, r) = (105.0, 100.0, 72.0);
    let c = 2.0 * std::f64::consts::PI * r;
    let _ = write!(
        o,
        "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"none\" stroke=\"#e5e7eb\" \
         stroke-width=\"34\"/>"
    );
    let mut start = 0.0;
    for ((name, v), color) in parts.iter().zip(TIERS) {
        if *v == 0 || total == 0 {
            continue;
        }
        let len = c * *v as f64 / total as f64;
        let _ = write!(
            o,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"none\" stroke=\"{color}\" \
             stroke-width=\"34\" stroke-dasharray=\"{len:.2} {:.2}\" stroke-dashoffset=\"{:.2}\" \
             transform=\"rotate(-90 {cx} {cy})\"><title>{name} — {v}</title></circle>",
            c - len,
            -start
        );
        start += len;
    }
    let _ = write!(
        o,
        "<text x=\"{cx}\" y=\"{}\" class=\"donut-n\">{total}</text>\
         <text x=\"{cx}\" y=\"{}\" class=\"donut-l\">checks</text>",
        cy + 4.0,
        cy + 22.0,
        total = thousands(total)
    );
    for (i, ((name, v), color)) in parts.iter().zip(TIERS).enumerate() {
        let y = 46.0 + 30.0 * i as f64;
        let share = if total == 0 {
            0.0
        } else {
            *v as f64 * 100.0 / total as f64
        };
        let _ = write!(
            o,
            "<rect x=\"250\" y=\"{:.1}\" width=\"16\" height=\"16\" rx=\"3\" fill=\"{color}\"/>\
             <text x=\"276\" y=\"{:.1}\" class=\"leg\">{name}: {} ({share:.1} %)</text>",
            y - 12.0,
            y + 1.0,
            thousands(*v)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_max_rounds_up() {
        assert_eq!(nice_max(0), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(350), 500);
        assert_eq!(nice_max(1000), 1000);
        assert!(nice_max(u64::MAX) >= u64::MAX / 2);
        assert_eq!((ticks(5000), ticks(2000), ticks(10)), (5, 4, 5));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn labels_are_escaped() {
        let s = hbars("t<", &[("<script>x</script>".into(), 3)], ALLOW);
        assert!(!s.contains("<script>"), "{s}");
        assert!(s.contains("&lt;script&gt;"));
    }
}
