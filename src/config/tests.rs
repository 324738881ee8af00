use super::*;
use std::collections::HashMap;

fn paths() -> (tempfile::TempDir, Paths) {
    let t = tempfile::tempdir().unwrap();
    let p = Paths::at(&t.path().join("home"), &t.path().join("data/a.db"));
    (t, p)
}

fn load(file: &str, env: &[(&str, &str)]) -> anyhow::Result<Loaded> {
    let (_t, p) = paths();
    let table = if file.is_empty() {
        None
    } else {
        Some(parse_file(file).map_err(|e| anyhow!("{e}"))?)
    };
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    resolve(table.as_ref(), &|n| env.get(n).cloned(), &p)
}

#[test]
fn defaults_are_the_documented_ones() {
    let l = load("", &[]).unwrap();
    assert_eq!(l.settings, Settings::default());
    let s = &l.settings;
    assert!(s.permission_learning_enabled);
    assert_eq!(s.permission_learning_min_decisions, 10);
    assert_eq!(
        (s.auto_approve_threshold, s.auto_deny_threshold),
        (0.95, 0.05)
    );
    assert_eq!(s.default_decision, Decision::Ask);
    assert_eq!(s.critical_decision, Decision::Deny);
    assert_eq!(s.api_host, "127.0.0.1");
    assert_eq!(s.rate_limit_per_minute, 200);
    assert!(l.sources.values().all(|s| *s == Source::Default));
    assert_eq!(l.sources.len(), SETTINGS.len());
}

#[test]
fn env_beats_file_beats_default() {
    let l = load(
        "rate_limit_per_minute = 10\nrapid_approval_min_count = 7\n",
        &[("AIPERTURE_RATE_LIMIT_PER_MINUTE", "20")],
    )
    .unwrap();
    assert_eq!(l.settings.rate_limit_per_minute, 20);
    assert_eq!(l.sources["rate_limit_per_minute"], Source::Env);
    assert_eq!(l.settings.rapid_approval_min_count, 7);
    assert_eq!(l.sources["rapid_approval_min_count"], Source::File);
    assert_eq!(l.settings.session_risk_budget, 50.0);
    assert_eq!(l.sources["session_risk_budget"], Source::Default);
}

#[test]
fn booleans_parse_every_usual_form() {
    for (text, want) in [
        ("true", true),
        ("1", true),
        ("yes", true),
        ("ON", true),
        ("false", false),
        ("0", false),
        ("no", false),
        ("Off", false),
    ] {
        let l = load("", &[("AIPERTURE_PERMISSION_LEARNING_ENABLED", text)]).unwrap();
        assert_eq!(l.settings.permission_learning_enabled, want, "{text}");
    }
    let e = load("", &[("AIPERTURE_PERMISSION_LEARNING_ENABLED", "maybe")]).unwrap_err();
    assert!(
        e.to_string()
            .contains("AIPERTURE_PERMISSION_LEARNING_ENABLED"),
        "{e}"
    );
    let l = load("permission_learning_enabled = false", &[]).unwrap();
    assert!(!l.settings.permission_learning_enabled);
    let l = load("permission_learning_enabled = \"false\"", &[]).unwrap();
    assert!(!l.settings.permission_learning_enabled);
}

#[test]
fn invalid_values_are_refused_with_the_setting_named() {
    for (env, val, want) in [
        (
            "AIPERTURE_PERMISSION_LEARNING_MIN_DECISIONS",
            "0",
            "between 1",
        ),
        (
            "AIPERTURE_PERMISSION_LEARNING_MIN_DECISIONS",
            "ten",
            "integer",
        ),
        ("AIPERTURE_AUTO_APPROVE_THRESHOLD", "1.5", "between 0"),
        ("AIPERTURE_AUTO_DENY_THRESHOLD", "0.99", "thresholds"),
        ("AIPERTURE_DEFAULT_DECISION", "allow", "ask, deny"),
        ("AIPERTURE_CRITICAL_DECISION", "allow", "deny, ask"),
        ("AIPERTURE_API_PORT", "70000", "between 1 and 65535"),
        ("AIPERTURE_LOG_LEVEL", "loud", "debug"),
        ("AIPERTURE_SESSION_RISK_BUDGET", "NaN", "number"),
    ] {
        let e = format!("{:#}", load("", &[(env, val)]).unwrap_err());
        assert!(e.contains(want), "{env}={val}: {e}");
    }
}

#[test]
fn file_errors_name_line_and_key() {
    let e = parse_file("a = 1\nb = = 2\n").unwrap_err();
    assert!(e.starts_with("line 2"), "{e}");
    let e = load("rate_limit_per_minit = 3", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `rate_limit_per_minute`"), "{e}");
    let e = load("hook_auto_allowed_tools = \"Read\"", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("never skips"), "{e}");
    let e = load("api_port = \"x\"", &[]).unwrap_err().to_string();
    assert!(e.contains("api_port") && e.contains("integer"), "{e}");
    let e = load("sensitive_patterns = 3", &[]).unwrap_err().to_string();
    assert!(e.contains("list"), "{e}");
}

#[test]
fn lists_parse_from_env_and_file() {
    let l = load("", &[("AIPERTURE_SENSITIVE_PATTERNS", " *.a , ,*.b")]).unwrap();
    assert_eq!(l.settings.sensitive_patterns, ["*.a", "*.b"]);
    let l = load("sensitive_patterns = [\"*.c\"]", &[]).unwrap();
    assert_eq!(l.settings.sensitive_patterns, ["*.c"]);
}

#[test]
fn set_writes_atomically_preserves_keys_and_validates() {
    use std::os::unix::fs::PermissionsExt;
    let (_t, p) = paths();
    let c = set(&p, "rate_limit_per_minute", "30").unwrap();
    assert_eq!((c.old.as_str(), c.new.as_str()), ("200", "30"));
    set(&p, "default_decision", "deny").unwrap();
    let mode = std::fs::metadata(&p.config).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let s = Settings::load(&p).unwrap();
    assert_eq!(s.rate_limit_per_minute, 30);
    assert_eq!(s.default_decision, Decision::Deny);

    // Refusals leave the file untouched.
    let before = std::fs::read_to_string(&p.config).unwrap();
    assert!(
        set(&p, "nope", "1")
            .unwrap_err()
            .to_string()
            .contains("unknown setting")
    );
    assert!(set(&p, "api_port", "abc").is_err());
    assert!(set(&p, "permission_learning_enabled", "perhaps").is_err());
    // Checked against the merged values: deny 0.96 >= approve 0.95.
    let e = set(&p, "auto_deny_threshold", "0.96")
        .unwrap_err()
        .to_string();
    assert!(e.contains("thresholds"), "{e}");
    assert_eq!(std::fs::read_to_string(&p.config).unwrap(), before);
    // Leftover temp or lock files: none.
    let names: Vec<_> = std::fs::read_dir(&p.home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["config.toml"], "{names:?}");
}

#[test]
fn set_bool_false_is_false() {
    let (_t, p) = paths();
    set(&p, "permission_learning_enabled", "false").unwrap();
    assert!(!Settings::load(&p).unwrap().permission_learning_enabled);
}

#[test]
fn api_key_is_masked() {
    let s = Settings {
        api_key: "sekrit".into(),
        ..Settings::default()
    };
    assert_eq!(s.display("api_key").unwrap(), "(set)");
    assert_eq!(s.json("api_key").unwrap(), serde_json::json!(true));
}

#[test]
fn malformed_file_on_disk_names_the_file_and_line() {
    let (_t, p) = paths();
    std::fs::create_dir_all(&p.home).unwrap();
    std::fs::write(&p.config, "x = [\n").unwrap();
    let e = Settings::load(&p).unwrap_err().to_string();
    assert!(e.contains("config.toml") && e.contains("line"), "{e}");
}

#[test]
fn unset_removes_the_key_restores_the_default_and_keeps_the_rest() {
    let (_t, p) = paths();
    // No file: nothing to do, nothing created.
    assert_eq!(unset(&p, "rate_limit_per_minute").unwrap(), None);
    assert!(!p.home.exists());
    set(&p, "rate_limit_per_minute", "30").unwrap();
    set(&p, "default_decision", "deny").unwrap();
    let c = unset(&p, "rate_limit_per_minute").unwrap().unwrap();
    assert_eq!((c.old.as_str(), c.new.as_str()), ("30", "200"));
    let s = Settings::load(&p).unwrap();
    assert_eq!(s.rate_limit_per_minute, 200);
    assert_eq!(s.default_decision, Decision::Deny);
    // Already unset: nothing written.
    let before = std::fs::read_to_string(&p.config).unwrap();
    assert_eq!(unset(&p, "rate_limit_per_minute").unwrap(), None);
    assert_eq!(std::fs::read_to_string(&p.config).unwrap(), before);
    assert!(
        unset(&p, "nope")
            .unwrap_err()
            .to_string()
            .contains("unknown setting `nope`")
    );
}

#[test]
fn unset_refuses_to_leave_invalid_thresholds_and_repairs_a_bad_value() {
    let (_t, p) = paths();
    // deny 0.01 < approve 0.04 is valid; unsetting deny would bring back its default 0.05,
    // which is not below approve: refused, the file unchanged.
    set(&p, "auto_deny_threshold", "0.01").unwrap();
    set(&p, "auto_approve_threshold", "0.04").unwrap();
    assert_eq!(Settings::default().auto_deny_threshold, 0.05);
    let before = std::fs::read_to_string(&p.config).unwrap();
    let e = unset(&p, "auto_deny_threshold").unwrap_err().to_string();
    assert!(e.contains("thresholds"), "{e}");
    assert_eq!(std::fs::read_to_string(&p.config).unwrap(), before);
    // Unsetting approve instead (back to 0.95) is fine.
    assert!(unset(&p, "auto_approve_threshold").unwrap().is_some());
    // A value the file holds but cannot be loaded with is removed, shown as written.
    std::fs::write(&p.config, "rate_limit_per_minute = \"lots\"\n").unwrap();
    assert!(Settings::load(&p).is_err());
    let c = unset(&p, "rate_limit_per_minute").unwrap().unwrap();
    assert_eq!(c.old, "\"lots\"");
    assert_eq!(Settings::load(&p).unwrap().rate_limit_per_minute, 200);
}
