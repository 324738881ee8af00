//! `aiperture report` against the built binary, on a store seeded through the public commands
//! (Claude Code PreToolUse/PostToolUse/Stop hook payloads, `aiperture check --batch`,
//! `aiperture config set`) in a temporary `AIPERTURE_HOME` and `AIPERTURE_DB_PATH`: the known
//! figures in every format, the JSON against `docs/report.schema.json`, `--fail-on` exits, a
//! tampered store reported as not verified, and attacker-controlled commands escaped.

mod admin_support;

use admin_support::AdminCmd;
use assert_cmd::Command;
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::path::PathBuf;

const T0: i64 = 1_795_680_000_000;

/// What the seeding commands answered, to compare the report with.
#[derive(Default, Debug)]
struct Expect {
    allow: u64,
    ask: u64,
    deny: u64,
    executions: u64,
    gaps: u64,
    unresolved: u64,
    inferred: u64,
    critical_denies: u64,
}

struct Env {
    dir: tempfile::TempDir,
    now: Cell<i64>,
    expect: RefCell<Expect>,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            now: Cell::new(T0),
            expect: RefCell::new(Expect::default()),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("data/aiperture.db")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", self.dir.path().join("home"))
            .env("AIPERTURE_DB_PATH", self.db())
            .env("AIPERTURE_NOW_MS", self.now.get().to_string())
            .current_dir(self.dir.path());
        c
    }

    fn tick(&self) {
        self.now.set(self.now.get() + 5 * 60 * 1000);
    }

    fn hook(&self, payload: Value) -> String {
        let out = self
            .cmd()
            .args(["hook", "claude-code"])
            .write_stdin(payload.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    }

    /// PreToolUse: returns the decision and counts it.
    fn pre(&self, session: &str, id: &str, command: &str) -> String {
        let out = self.hook(bash("PreToolUse", session, id, command));
        let v: Value = serde_json::from_str(&out).unwrap_or(json!({}));
        let d = v["hookSpecificOutput"]["permissionDecision"]
            .as_str()
            .unwrap_or("ask")
            .to_string();
        let mut e = self.expect.borrow_mut();
        match d.as_str() {
            "allow" => e.allow += 1,
            "deny" => e.deny += 1,
            _ => e.ask += 1,
        }
        d
    }

    fn post(&self, session: &str, id: &str, command: &str) {
        self.hook(bash("PostToolUse", session, id, command));
        self.expect.borrow_mut().executions += 1;
    }

    fn stop(&self, session: &str) {
        self.hook(json!({"session_id": session, "cwd": "/tmp/acme",
            "hook_event_name": "Stop", "permission_mode": "default", "stop_hook_active": false}));
    }

    fn report(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.cmd().arg("report").args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        let (code, out, err) = self.report(&a);
        assert_eq!(code, Some(0), "{err}");
        serde_json::from_str(&out).unwrap()
    }
}

fn bash(event: &str, session: &str, id: &str, command: &str) -> Value {
    json!({
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/acme",
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "run"},
        "tool_use_id": id,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false, "isImage": false},
    })
}

const XSS: &str = "echo \"><img src=x onerror=alert(1)><script>alert('x')</script>|`x`";

/// The scenario: learning, a learned allow, a gap, asks left open, an inferred denial, a
/// CRITICAL command, rubber stamps, a rate-limited session and a hostile command.
fn seeded() -> Env {
    let env = Env::new();
    let out = env
        .cmd()
        .admin(
            &env.dir.path().join("home"),
            &["config", "set", "rate_limit_per_minute", "6"],
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", out);
    // Ten approvals in the runtime's prompt teach `npm test`.
    for i in 0..10 {
        env.tick();
        let (s, id) = (format!("s-{i}"), format!("toolu_npm_{i}"));
        assert_eq!(env.pre(&s, &id, "npm test"), "ask", "round {i}");
        env.tick();
        env.post(&s, &id, "npm test");
        env.tick();
        env.stop(&s);
    }
    // The eleventh is allowed by learning: a prompt avoided.
    env.tick();
    assert_eq!(env.pre("s-learned", "toolu_l", "npm test"), "allow");
    env.post("s-learned", "toolu_l", "npm test");
    // A tool call that ran with no check: a gap.
    env.tick();
    env.post("s-gap", "toolu_gap", "make deploy");
    env.expect.borrow_mut().gaps += 1;
    // An ask never resolved.
    env.tick();
    if env.pre("s-open", "toolu_o", "terraform apply") == "ask" {
        env.expect.borrow_mut().unresolved += 1;
    }
    // An ask that never ran, then the session ended: an inferred denial.
    env.tick();
    assert_eq!(env.pre("s-deny", "toolu_d", "npm run release"), "ask");
    env.tick();
    env.stop("s-deny");
    env.expect.borrow_mut().inferred += 1;
    // A CRITICAL command, denied by the risk floor, and a hostile one.
    env.tick();
    assert_eq!(env.pre("s-crit", "toolu_c", "rm -rf /"), "deny");
    env.expect.borrow_mut().critical_denies += 1;
    env.tick();
    if env.pre("s-xss", "toolu_x", XSS) == "ask" {
        env.expect.borrow_mut().unresolved += 1;
    }
    // Five approvals within a minute in one session: the fifth is a rubber stamp.
    env.tick();
    for k in 0..5 {
        let (id, c) = (format!("toolu_r{k}"), format!("mkdir -p rapid{k}"));
        assert_eq!(env.pre("s-rapid", &id, &c), "ask");
        env.post("s-rapid", &id, &c);
    }
    // Eight checks in one minute with a limit of six: two rate-limit denies.
    env.tick();
    let lines: String = (0..8)
        .map(|i| format!("{}\n", json!({"command": format!("ls dir{i}")})))
        .collect();
    let out = env
        .cmd()
        .args(["check", "--batch", "--session", "s-flood"])
        .write_stdin(lines)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut limited = 0;
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let mut e = env.expect.borrow_mut();
        match v["decision"].as_str().unwrap() {
            "allow" => e.allow += 1,
            "deny" => e.deny += 1,
            _ => {
                e.ask += 1;
                e.unresolved += 1;
            }
        }
        if v["decided_by"] == "rate_limit" {
            limited += 1;
        }
    }
    assert_eq!(limited, 2, "{stdout}");
    env.tick();
    env
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn report_states_the_known_figures_in_every_format() {
    let env = seeded();
    let e = env.expect.borrow();
    let r = env.json(&[]);
    validate(&schema(), &r, "$", &schema());

    let t = &r["totals"];
    let checks = e.allow + e.ask + e.deny;
    assert_eq!(checks, 28);
    assert_eq!(n(&t["checks"]), checks);
    assert_eq!(n(&t["by_decision"]["allow"]), e.allow);
    assert_eq!(n(&t["by_decision"]["ask"]), e.ask);
    assert_eq!(n(&t["by_decision"]["deny"]), e.deny);
    assert_eq!(n(&t["prompts"]["avoided_by_learning"]), 1);
    assert_eq!(n(&t["prompts"]["shown"]), e.ask);
    assert_eq!(
        n(&t["sessions"]),
        17,
        "s-0..s-9, learned, open, deny, crit, xss, rapid, flood"
    );
    let stage = |name: &str| {
        t["by_stage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .map(|g| n(&g["checks"]))
            .unwrap_or(0)
    };
    assert_eq!(stage("learned"), 1);
    assert_eq!(stage("rate_limit"), 2);
    let runtime = |name: &str| {
        t["by_runtime"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .map(|g| n(&g["checks"]))
            .unwrap_or(0)
    };
    assert_eq!(runtime("claude-code"), 20);
    assert_eq!(runtime("cli"), 8);
    let tiers = &t["by_tier"];
    let tier_sum: u64 = ["low", "medium", "high", "critical"]
        .iter()
        .map(|k| n(&tiers[*k]))
        .sum();
    assert_eq!(tier_sum, checks);
    let timeline: u64 = r["timeline"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            n(&b["decisions"]["allow"]) + n(&b["decisions"]["ask"]) + n(&b["decisions"]["deny"])
        })
        .sum();
    assert_eq!(timeline, checks);

    let c = &r["compliance"];
    assert_eq!(n(&c["executions"]), e.executions);
    assert_eq!(e.executions, 17);
    assert_eq!(n(&c["gaps"]), e.gaps);
    assert!((c["gap_ratio"].as_f64().unwrap() - 1.0 / 17.0).abs() < 1e-9);
    assert_eq!(c["gaps_by_session"]["items"][0]["name"], "s-gap");
    assert_eq!(c["gaps_by_runtime"][0]["name"], "claude-code");
    assert_eq!(n(&c["unresolved_asks"]["count"]), e.unresolved);
    assert_eq!(n(&c["inferred_denials"]), e.inferred);
    assert_eq!(n(&c["rubber_stamps"]["count"]), 1);
    assert_eq!(c["rubber_stamps"]["items"][0]["session"], "s-rapid");
    assert_eq!(n(&c["rate_limited_sessions"]["count"]), 1);
    assert_eq!(c["rate_limited_sessions"]["items"][0]["session"], "s-flood");
    assert_eq!(n(&c["rate_limited_sessions"]["items"][0]["hits"]), 2);
    assert_eq!(n(&c["critical_denies"]["count"]), e.critical_denies);
    assert_eq!(e.critical_denies, 1);
    assert_eq!(c["critical_denies"]["items"][0]["scope"], "rm -rf /");
    assert_eq!(c["critical_denies"]["items"][0]["decided_by"], "risk_floor");
    assert_eq!(n(&t["by_tier"]["critical"]), 1);

    let p = &r["patterns"];
    assert_eq!(n(&p["auto_approved"]["count"]), 1);
    let learned = &p["auto_approved"]["items"][0];
    assert_eq!(n(&learned["approvals"]), 10);
    assert_eq!(n(&learned["humans"]), 1);
    assert_eq!(learned["rate"].as_f64(), Some(1.0));
    assert_eq!(learned["decides"], "allow");
    assert_eq!(n(&p["auto_denied"]["count"]), 0);

    assert_eq!(r["integrity"]["verified"], true);
    assert_eq!(r["status"], "attention");
    assert!(
        r["findings"][0]
            .as_str()
            .unwrap()
            .contains("1 tool call ran without")
    );

    // Markdown: the same figures, in words and tables.
    let (code, md, _) = env.report(&[]);
    assert_eq!(code, Some(0));
    assert!(
        md.contains(&format!("**{checks}** checks in **17** sessions")),
        "{md}"
    );
    assert!(md.contains("**Prompts avoided by learning: 1**"), "{md}");
    assert!(md.contains("**17 tool executions, 1 without a prior check (gap ratio 5.9 %).**"));
    assert!(md.contains("### Rubber-stamped approvals (1)"));
    assert!(md.contains("The audit chain verifies"));
    assert!(!md.contains("NOT VERIFIED"));

    // HTML: the same figures, four charts, no script.
    let (code, html, _) = env.report(&["--format", "html"]);
    assert_eq!(code, Some(0));
    for id in [
        "chart-decisions",
        "chart-prompts",
        "chart-asked",
        "chart-risk",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(html.contains(&format!("<div class=\"n\">{checks}</div>")));
    assert!(html.contains("data-status=\"attention\""));
    assert_eq!(html.matches("<svg").count(), 4);
}

#[test]
fn store_text_is_escaped_in_html_and_markdown() {
    let env = seeded();
    let (_, html, _) = env.report(&["--format", "html"]);
    assert!(
        !html.to_lowercase().contains("<script"),
        "script tag in HTML"
    );
    assert!(!html.contains("<img"), "img tag in HTML");
    assert!(!html.contains("onerror=alert(1)>"));
    assert!(
        html.contains("&lt;script&gt;"),
        "the hostile command is shown, escaped"
    );
    // Self-contained: nothing to fetch.
    assert!(!html.contains(" src=\"") && !html.contains("<link") && !html.contains("url("));
    let (_, md, _) = env.report(&[]);
    assert!(!md.contains("<script") && !md.contains("<img"), "{md}");
    assert!(md.contains("&lt;script&gt;"));
}

#[test]
fn since_and_project_filter_the_window() {
    let env = seeded();
    // Only the last ten minutes: the rapid approvals and the flood session.
    let r = env.json(&["--since", "10m"]);
    let checks = n(&r["totals"]["checks"]);
    assert_eq!(checks, 8 + 5, "{}", r["totals"]);
    let r = env.json(&["--since", "2020-01-01"]);
    assert_eq!(n(&r["totals"]["checks"]), 28);
    let r = env.json(&["--project", "/no/such/project"]);
    assert_eq!(n(&r["totals"]["checks"]), 0);
    assert_eq!(r["window"]["project"], "/no/such/project");
    let (code, _, err) = env.report(&["--since", "yesterday"]);
    assert_eq!(code, Some(1), "{err}");
    let r = env.json(&["--limit", "2"]);
    assert_eq!(r["totals"]["top_sessions"].as_array().unwrap().len(), 2);
    assert_eq!(n(&r["totals"]["sessions"]), 17);
    assert_eq!(
        r["compliance"]["unresolved_asks"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Extreme windows neither panic nor overflow.
    let r = env.json(&["--since", "9999999999999d"]);
    assert_eq!(n(&r["totals"]["checks"]), 28);
    // A future date is refused, not reported as an empty (clean-looking) window.
    let (code, out, err) = env.report(&["--since", "9999-12-31"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("future"), "{err}");
}

#[test]
fn fail_on_exits_4_after_writing_the_report() {
    let env = seeded();
    let out = env.dir.path().join("r.md");
    let (code, stdout, err) = env.report(&["--fail-on", "gaps", "--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{err}");
    assert!(stdout.is_empty());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("# aiperture compliance report")
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "commands may hold secrets");
    assert!(err.contains("gaps"), "{err}");
    let (code, _, _) = env.report(&["--fail-on", "unverified"]);
    assert_eq!(code, Some(0));
    let (code, _, _) = env.report(&["--fail-on", "critical"]);
    assert_eq!(code, Some(4));
    let (code, _, _) = env.report(&["--fail-on", "unverified,gaps"]);
    assert_eq!(code, Some(4));
    let (code, _, _) = env.report(&["--fail-on", "unverified", "--fail-on", "gaps"]);
    assert_eq!(code, Some(4));
    let (code, _, err) = env.report(&["--fail-on", "nonsense"]);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn a_tampered_store_is_reported_unverified_in_every_format() {
    let env = seeded();
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let changed = conn
        .execute(
            "UPDATE audit_events SET summary = 'ALLOW nothing to see' WHERE seq = 3",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let r = env.json(&[]);
    validate(&schema(), &r, "$", &schema());
    assert_eq!(r["status"], "unverified");
    assert_eq!(r["integrity"]["verified"], false);
    assert_eq!(r["integrity"]["first_bad_seq"], 3);
    assert!(
        r["findings"][0]
            .as_str()
            .unwrap()
            .starts_with("AUDIT CHAIN NOT VERIFIED at event 3")
    );
    let (code, md, err) = env.report(&[]);
    assert_eq!(code, Some(0));
    assert!(err.contains("does not verify"), "{err}");
    assert!(md.contains("NOT VERIFIED"));
    assert!(!md.contains("Status: clean") && !md.contains("The audit chain verifies"));
    let (_, html, _) = env.report(&["--format", "html"]);
    assert!(html.contains("data-status=\"unverified\"") && html.contains("NOT VERIFIED"));
    let (code, _, _) = env.report(&["--fail-on", "unverified"]);
    assert_eq!(code, Some(4));
}

#[test]
fn hiding_a_gap_in_the_executions_table_is_caught() {
    let env = seeded();
    assert_eq!(env.json(&[])["integrity"]["executions_in_chain"], 17);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let removed = conn
        .execute("DELETE FROM executions WHERE checked = 0", [])
        .unwrap();
    assert_eq!(removed, 1);
    drop(conn);
    let r = env.json(&[]);
    assert_eq!(
        n(&r["compliance"]["gaps"]),
        0,
        "the gap is gone from the table…"
    );
    assert_eq!(r["status"], "unverified", "…but the chain still records it");
    assert_eq!(n(&r["integrity"]["executions_in_chain"]), 17);
    assert!(
        r["integrity"]["problem"]
            .as_str()
            .unwrap()
            .contains("executions table holds 16"),
        "{}",
        r["integrity"]
    );
    let (code, _, _) = env.report(&["--fail-on", "unverified"]);
    assert_eq!(code, Some(4));
}

#[test]
fn a_missing_key_cannot_be_called_verified() {
    let env = Env::new();
    env.pre("s", "toolu_1", "npm test");
    std::fs::remove_file(env.dir.path().join("home/key")).unwrap();
    let r = env.json(&[]);
    assert_eq!(r["status"], "unverified");
    assert_eq!(r["integrity"]["mac_checked"], false);
    assert!(
        r["integrity"]["problem"]
            .as_str()
            .unwrap()
            .contains("no install key")
    );
}

#[test]
fn an_empty_store_is_clean_and_valid() {
    let env = Env::new();
    // No store yet: the report does not invent one.
    let (code, _, err) = env.report(&[]);
    assert_eq!(code, Some(1), "{err}");
    drop(rusqlite_open(&env));
    let r = env.json(&[]);
    validate(&schema(), &r, "$", &schema());
    assert_eq!(r["status"], "clean");
    assert_eq!(n(&r["totals"]["checks"]), 0);
    let (code, md, _) = env.report(&["--fail-on", "gaps,critical,unverified"]);
    assert_eq!(code, Some(0));
    assert!(md.contains("**Status: clean.**"), "{md}");
    let (_, html, _) = env.report(&["--format", "html"]);
    assert_eq!(html.matches("<svg").count(), 4);
}

fn rusqlite_open(env: &Env) -> aiperture::store::Db {
    aiperture::store::Db::open(&env.db()).unwrap()
}

// ---- a validator for the JSON Schema subset docs/report.schema.json uses ----

fn schema() -> Value {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        other => panic!("schema uses unknown type {other}"),
    }
}

/// Validates `v` against `s` (draft 2020-12 subset: type, properties, required,
/// additionalProperties: false, items, enum, const, minimum, maximum, $ref into $defs).
/// Panics with the JSON path on the first violation, and on any keyword it does not know.
fn validate(s: &Value, v: &Value, path: &str, root: &Value) {
    let obj = s.as_object().expect("schema is an object");
    for (k, sv) in obj {
        match k.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let name = sv.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                validate(&root["$defs"][name], v, path, root);
            }
            "type" => {
                let ok = match sv {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                    _ => panic!("bad type keyword"),
                };
                assert!(ok, "{path}: {v} is not of type {sv}");
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (pk, ps) in sv.as_object().unwrap() {
                        if let Some(pv) = o.get(pk) {
                            validate(ps, pv, &format!("{path}.{pk}"), root);
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for r in sv.as_array().unwrap() {
                        let r = r.as_str().unwrap();
                        assert!(o.contains_key(r), "{path}: missing {r}");
                    }
                }
            }
            "additionalProperties" => {
                assert_eq!(sv, &Value::Bool(false), "only `false` is supported");
                if let Some(o) = v.as_object() {
                    let props = obj["properties"].as_object().unwrap();
                    for key in o.keys() {
                        assert!(props.contains_key(key), "{path}: unexpected {key}");
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, iv) in a.iter().enumerate() {
                        validate(sv, iv, &format!("{path}[{i}]"), root);
                    }
                }
            }
            "enum" => assert!(
                sv.as_array().unwrap().contains(v),
                "{path}: {v} not in {sv}"
            ),
            "const" => assert_eq!(sv, v, "{path}"),
            "minimum" => {
                if let Some(x) = v.as_f64() {
                    assert!(x >= sv.as_f64().unwrap(), "{path}: {x} < {sv}");
                }
            }
            "maximum" => {
                if let Some(x) = v.as_f64() {
                    assert!(x <= sv.as_f64().unwrap(), "{path}: {x} > {sv}");
                }
            }
            other => panic!("schema uses unsupported keyword {other} at {path}"),
        }
    }
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let s = schema();
    let env = Env::new();
    drop(rusqlite_open(&env));
    let good = env.json(&[]);
    let mut bad = good.clone();
    bad["status"] = json!("fine");
    assert!(std::panic::catch_unwind(|| validate(&s, &bad, "$", &s)).is_err());
    let mut bad = good.clone();
    bad["totals"]["extra"] = json!(1);
    assert!(std::panic::catch_unwind(|| validate(&s, &bad, "$", &s)).is_err());
    let mut bad = good;
    bad["compliance"].as_object_mut().unwrap().remove("gaps");
    assert!(std::panic::catch_unwind(|| validate(&s, &bad, "$", &s)).is_err());
}
