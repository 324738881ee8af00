//! `aiperture artifact store|show|verify|list` and `aiperture costs` through the binary, in a
//! temporary `AIPERTURE_HOME` and store: the SHA-256 of a known content, inline and file
//! storage, a changed and a missing file failing verification (exit 4), listings and cost sums
//! by model, provider, task, session and runtime, and the audit chain still verifying. In the
//! store matrix (`AIPERTURE_TEST_STORE=postgres`, .ci/run) the same on the team store.

use assert_cmd::Command;
use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    /// The team store's URL under the store matrix (`AIPERTURE_TEST_STORE=postgres`).
    db_url: Option<String>,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            db_url: aiperture::store::postgres::testing::matrix_url("artifacts"),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("aiperture").unwrap();
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AIPERTURE_HOME", self.dir.path().join("home"))
            .env(
                "AIPERTURE_DB_PATH",
                self.dir.path().join("data/aiperture.db"),
            )
            .env("AIPERTURE_ARTIFACTS_INLINE_MAX_BYTES", "32")
            .current_dir(self.dir.path());
        if let Some(url) = &self.db_url {
            c.env("AIPERTURE_DB_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let out = self.cmd().args(args).write_stdin(stdin).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str], stdin: &str) -> Value {
        let (code, out, err) = self.run(args, stdin);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }
}

#[test]
fn store_show_verify_list_inline_and_file() {
    let env = Env::new();
    let small = env.json(&["artifact", "store", "--json", "--kind", "note"], "hello");
    assert_eq!(
        small["sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(small["backend"], "inline");
    let id = small["id"].as_str().unwrap().to_string();
    let (code, out, _) = env.run(&["artifact", "show", &id, "--content"], "");
    assert_eq!((code, out.as_str()), (0, "hello"));
    let (code, out, _) = env.run(&["artifact", "verify", &id], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verified"), "{out}");

    // A file argument larger than the inline limit becomes a file under the home.
    let big = "x".repeat(100);
    let src = env.dir.path().join("out.txt");
    std::fs::write(&src, &big).unwrap();
    let large = env.json(&["artifact", "store", "--json", src.to_str().unwrap()], "");
    assert_eq!(large["backend"], "file");
    assert_eq!(large["size"], 100);
    let lid = large["id"].as_str().unwrap().to_string();
    let file = env
        .dir
        .path()
        .join("home/artifacts")
        .join(large["path"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), big);
    let shown = env.json(&["artifact", "show", &lid, "--json"], "");
    assert_eq!(shown["sha256"], large["sha256"]);

    // Changed, then missing: exit 4 and the reason.
    std::fs::write(&file, "y".repeat(100)).unwrap();
    let (code, out, _) = env.run(&["artifact", "verify", &lid], "");
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("FAILED") && out.contains("content changed"),
        "{out}"
    );
    std::fs::remove_file(&file).unwrap();
    let v = env.run(&["artifact", "verify", &lid, "--json"], "");
    assert_eq!(v.0, 4);
    let v: Value = serde_json::from_str(&v.1).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(v["problem"].as_str().unwrap().contains("missing"), "{v}");
    assert!(v["actual_sha256"].is_null());

    let list = env.json(&["artifact", "list", "--json"], "");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id.as_str()) && ids.contains(&lid.as_str()));
    let failed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == lid.as_str());
    assert_eq!(failed.unwrap()["status"], "failed");

    // Unknown ids are an error, not an empty success.
    let (code, _, err) = env.run(&["artifact", "show", "0123456789abcdef"], "");
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
    let (code, _, _) = env.run(&["artifact", "verify", "../../etc/passwd"], "");
    assert_eq!(code, 1);

    // Every store and verification is in the audit chain, which still verifies.
    let (code, out, err) = env.run(&["audit", "verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = env.run(&["audit", "list", "--type", "artifact.stored"], "");
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn costs_sum_by_each_dimension_and_filter() {
    let env = Env::new();
    let store = |session: &str, model: &str, provider: &str, tin: &str, cost: &str| {
        env.json(
            &[
                "artifact",
                "store",
                "--json",
                "--session",
                session,
                "--task",
                "t-1",
                "--runtime",
                "claude-code",
                "--model",
                model,
                "--provider",
                provider,
                "--tokens-in",
                tin,
                "--tokens-out",
                "5",
                "--cost",
                cost,
            ],
            &format!("{session}-{model}"),
        )
    };
    store("s1", "opus", "anthropic", "1000", "0.75");
    store("s1", "haiku", "anthropic", "500", "0.05");
    store("s2", "gpt-5", "openai", "200", "0.2");
    let c = env.json(&["costs", "--json"], "");
    assert_eq!(c["artifacts"], 3);
    assert_eq!(c["tokens_in"], 1700);
    assert_eq!(c["tokens_out"], 15);
    assert!((c["cost_usd"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{c}");
    assert_eq!(c["by_model"][0]["name"], "opus");
    assert_eq!(c["by_provider"][0]["name"], "anthropic");
    assert!((c["by_provider"][0]["cost_usd"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(c["by_session"][0]["name"], "s1");
    assert_eq!(c["by_task"][0]["artifacts"], 3);
    assert_eq!(c["by_runtime"][0]["name"], "claude-code");

    let s2 = env.json(&["costs", "--json", "--session", "s2"], "");
    assert_eq!(s2["artifacts"], 1);
    assert_eq!(s2["by_model"][0]["name"], "gpt-5");

    let (code, out, _) = env.run(&["costs"], "");
    assert_eq!(code, 0);
    assert!(
        out.starts_with("total: $1.0000, 1700 input + 15 output tokens, 3 artifacts"),
        "{out}"
    );
    assert!(
        out.contains("by provider:") && out.contains("anthropic"),
        "{out}"
    );

    // A negative cost is refused and nothing is stored.
    let (code, _, err) = env.run(&["artifact", "store", "--cost=-1"], "x");
    assert_eq!(code, 1, "{err}");
    assert_eq!(env.json(&["costs", "--json"], "")["artifacts"], 3);
}
