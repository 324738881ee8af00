//! `aiperture doctor`: where everything is and whether it is healthy. Creates nothing.

use crate::cli::ExitCode;
use aiperture::config::Settings;
use aiperture::engine::claude_rules::FileReport;
use aiperture::engine::state::State;
use aiperture::engine::store::Store;
use aiperture::key;
use aiperture::paths::Paths;
use aiperture::store::{self, Db, Location, PgStore, audit_sql};
use clap::Args;
use serde::Serialize;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Arguments of `aiperture doctor`.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// One checked item: what, where, and whether it is fine.
#[derive(Debug, Serialize)]
struct Item {
    name: &'static str,
    ok: bool,
    detail: String,
}

/// The runtimes aiperture knows and whether their hook is installed (from
/// `runtimes::setup::status`, which looks in the user's and the current project's settings).
pub fn runtime_hooks_status() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = aiperture::runtimes::setup::status()
        .into_iter()
        .filter_map(|s| {
            let name = aiperture::runtimes::setup::canonical(&s.runtime)?;
            let state = if s.installed {
                "installed in"
            } else {
                "not installed (aiperture setup) in"
            };
            Some((name, format!("{state} {}", s.settings_path.display())))
        })
        .collect();
    out.push((
        "openclaw",
        "plugin: see `aiperture setup openclaw`".to_string(),
    ));
    out
}

/// The runtimes `setup --mcp` knows and whether aiperture's MCP server is registered in
/// their configuration (user's or current project's).
pub fn mcp_status() -> Vec<(String, String)> {
    let home = dirs::home_dir().unwrap_or_default();
    let project = std::env::current_dir().unwrap_or_default();
    aiperture::runtimes::setup::mcp::status_in(&home, &project)
        .into_iter()
        .map(|s| {
            let state = if s.installed {
                "registered in".to_string()
            } else {
                format!("not registered (aiperture setup {} --mcp) in", s.runtime)
            };
            (s.runtime, format!("{state} {}", s.settings_path.display()))
        })
        .collect()
}

/// Runs `aiperture doctor`.
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env()?;
    // A fresh install has no home, key or store until the first hook call creates them: that
    // is healthy. A key missing beside an existing store is not (it was lost).
    let db_missing = matches!(
        std::fs::symlink_metadata(&paths.db),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    );
    let mut items = vec![
        file_item("home", &paths.home, None, false),
        file_item("config", &paths.config, Some(0o600), false),
        file_item(
            "key",
            &paths.key,
            Some(0o600),
            !db_missing && std::env::var_os(key::SECRET_ENV).is_none(),
        ),
    ];
    items.push(identity_item());
    // The team store (AIPERTURE_DB_URL, store.url) replaces the SQLite file.
    let team = match Location::from_env(&paths) {
        Ok(Location::Postgres(url)) => Some(PgStore::open(&url)),
        _ => None,
    };
    if team.is_none() {
        items.push(file_item("db", &paths.db, Some(0o600), false));
    }
    items.push(match Settings::load(&paths) {
        Ok(_) => Item {
            name: "settings",
            ok: true,
            detail: "valid".into(),
        },
        Err(e) => Item {
            name: "settings",
            ok: false,
            detail: format!("{e:#}"),
        },
    });
    if let Some(team) = &team {
        let project_id = Settings::load(&paths)
            .map(|s| s.project_id)
            .unwrap_or_default();
        let presets = team.as_ref().ok().map(|pg| {
            active_presets(&project_id, |project| {
                pg.read(|st| st.presets(project)).unwrap_or_default()
            })
        });
        items.extend(team_items(&paths, team));
        return finish(&paths, args.json, items, presets);
    }
    let db = Db::open_existing(&paths.db);
    items.push(match &db {
        Err(_) if db_missing => Item {
            name: "schema",
            ok: true,
            detail: format!(
                "not created yet (created on first use); this binary: version {}",
                store::current_version()
            ),
        },
        Ok(db) => Item {
            name: "schema",
            ok: true,
            detail: format!(
                "version {} (this binary: {})",
                db.schema_version().unwrap_or(0),
                store::current_version()
            ),
        },
        Err(e) => Item {
            name: "schema",
            ok: false,
            detail: format!("{e:#}"),
        },
    });
    if let Ok(db) = &db {
        let key = key::load_existing(&paths);
        items.push(match key.and_then(|k| audit_sql::verify(db, k.as_ref())) {
            Ok(r) if r.intact => Item {
                name: "audit chain",
                ok: true,
                detail: format!(
                    "intact, {} events{}",
                    r.events,
                    if r.mac_checked {
                        ""
                    } else {
                        " (head signature not checked: no key)"
                    }
                ),
            },
            Ok(r) => Item {
                name: "audit chain",
                ok: false,
                detail: format!(
                    "BROKEN at seq {}: {}{}",
                    r.first_bad_seq.map(|s| s.to_string()).unwrap_or("-".into()),
                    r.problem.unwrap_or_default(),
                    home_without_store(&paths)
                ),
            },
            Err(e) => Item {
                name: "audit chain",
                ok: false,
                detail: format!("{e:#}"),
            },
        });
    }
    // Audit sinks (docs/sinks.md): a failing sink is unhealthy; its events wait in the store.
    if let Ok(settings) = Settings::load(&paths) {
        for (detail, ok) in super::sinks::doctor_lines(&paths, &settings) {
            items.push(Item {
                name: "sink",
                ok,
                detail,
            });
        }
    }
    let project_id = Settings::load(&paths)
        .map(|s| s.project_id)
        .unwrap_or_default();
    let presets = db.as_ref().ok().map(|db| {
        active_presets(&project_id, |project| {
            db.read(|tx| aiperture::store::state::SqliteState::new(tx).presets(project))
                .unwrap_or_default()
        })
    });
    finish(&paths, args.json, items, presets)
}

/// Who and which machine this process's audit events will name (`AIPERTURE_ACTOR`, the login
/// name; `AIPERTURE_HOST`, the host name). Informational: an unknown person is recorded as
/// empty, which a team quorum (`learning_min_humans`) counts as one anonymous human.
fn identity_item() -> Item {
    let env = aiperture::client_env::ClientEnv::of_process();
    let site = aiperture::callsite::CallSite::detect("", "cli", &env);
    let (who, host) = (site.principal.user, site.principal.host);
    Item {
        name: "identity",
        ok: true,
        detail: format!(
            "actor {} on host {}",
            if who.is_empty() {
                "(unknown: set AIPERTURE_ACTOR)"
            } else {
                &who
            },
            if host.is_empty() { "(unknown)" } else { &host },
        ),
    }
}

/// What doctor says of a team store: where it is, the server's and the schema's versions,
/// one query's round trip, and the audit chain.
fn team_items(paths: &Paths, team: &anyhow::Result<PgStore>) -> Vec<Item> {
    let pg = match team {
        Ok(pg) => pg,
        Err(e) => {
            return vec![Item {
                name: "store",
                ok: false,
                detail: format!("postgresql: {e:#} (hooks answer their fail-closed form)"),
            }];
        }
    };
    let mut items = vec![match pg.info() {
        Ok(i) => Item {
            name: "store",
            ok: i.schema_version == store::current_version(),
            detail: format!(
                "postgresql {} at {}, schema version {} (this binary: {}), latency {:.2} ms",
                i.server_version,
                i.url,
                i.schema_version,
                store::current_version(),
                i.latency.as_secs_f64() * 1000.0
            ),
        },
        Err(e) => Item {
            name: "store",
            ok: false,
            detail: format!("postgresql at {}: {e:#}", pg.url()),
        },
    }];
    let key = key::load_existing(paths);
    items.push(
        match key.and_then(|k| aiperture::store::postgres::chain::verify(pg, k.as_ref())) {
            Ok(r) if r.intact => Item {
                name: "audit chain",
                ok: true,
                detail: format!(
                    "intact, {} events (one chain for the team){}",
                    r.events,
                    if r.mac_checked {
                        ""
                    } else {
                        " (head signature not checked: no key)"
                    }
                ),
            },
            Ok(r) => Item {
                name: "audit chain",
                ok: false,
                detail: format!(
                    "BROKEN at seq {}: {} (every machine of the team must share one key: \
                     AIPERTURE_HMAC_SECRET or the same key file; docs/team.md)",
                    r.first_bad_seq.map(|s| s.to_string()).unwrap_or("-".into()),
                    r.problem.unwrap_or_default(),
                ),
            },
            Err(e) => Item {
                name: "audit chain",
                ok: false,
                detail: format!("{e:#}"),
            },
        },
    );
    items
}

/// Prints the items, the runtimes' hooks and rules, and the presets; healthy = every item ok.
fn finish(
    paths: &Paths,
    json: bool,
    items: Vec<Item>,
    presets: Option<(String, Vec<String>)>,
) -> anyhow::Result<ExitCode> {
    let hooks = runtime_hooks_status();
    let mcp = mcp_status();
    let claude = claude_rules_status();
    let codex = runtime_rules_status("codex");
    let gemini = runtime_rules_status("gemini");
    let healthy = items.iter().all(|i| i.ok);
    if json {
        let out = serde_json::json!({
            "healthy": healthy,
            "paths": {
                "home": paths.home, "config": paths.config, "key": paths.key, "db": paths.db,
            },
            "checks": items,
            "runtimes": hooks.iter().map(|(r, s)| serde_json::json!({"runtime": r, "hook": s})).collect::<Vec<_>>(),
            "mcp": mcp.iter().map(|(r, s)| serde_json::json!({"runtime": r, "server": s})).collect::<Vec<_>>(),
            "claude_rules": claude,
            "codex_rules": codex,
            "gemini_rules": gemini,
            "presets": presets,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for i in &items {
            println!(
                "{} {:<12} {}",
                if i.ok { "ok  " } else { "FAIL" },
                i.name,
                i.detail
            );
        }
        for (r, s) in &hooks {
            println!("hook {r:<12} {s}");
        }
        for (r, s) in &mcp {
            println!("mcp  {r:<12} {s}");
        }
        for line in &claude {
            println!("claude-rules {line}");
        }
        for line in &codex {
            println!("codex-rules  {line}");
        }
        for line in &gemini {
            println!("gemini-policy {line}");
        }
        if let Some((project, names)) = &presets {
            let shown = if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            };
            println!("presets      {shown} for {project} (aiperture bootstrap --list, --remove)");
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The current project and its enabled presets (`names` reads them; empty if the store
/// cannot say).
fn active_presets(
    project_id: &str,
    names: impl FnOnce(&str) -> Vec<String>,
) -> (String, Vec<String>) {
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let id = Some(project_id).filter(|s| !s.is_empty());
    let project = aiperture::callsite::detect(&cwd, id);
    let names = names(&project);
    (project, names)
}

/// The user's home directory and the current project root (absolute, or `None`).
fn home_and_root() -> (String, Option<String>) {
    let home = dirs::home_dir()
        .map(|h| h.display().to_string())
        .unwrap_or_default();
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let project = aiperture::callsite::detect(&cwd, None);
    (home, Some(project).filter(|p| p.starts_with('/')))
}

/// One line per rule file found: rules read, skipped, and what was ignored or not applied.
fn file_lines(files: &[FileReport], none: &str) -> Vec<String> {
    let lines: Vec<String> = files
        .iter()
        .map(|f| {
            let mut l = format!(
                "{} rules read from {} ({})",
                f.rules,
                f.path,
                f.source.as_str()
            );
            if f.skipped > 0 {
                l.push_str(&format!(", {} not understood or ignored", f.skipped));
            }
            if let Some(p) = &f.problem {
                l.push_str(&format!("; {p}"));
            }
            l
        })
        .collect();
    if lines.is_empty() {
        return vec![none.to_string()];
    }
    lines
}

/// What the user's Claude Code permission rules (read for requests from Claude Code) give for
/// the current project: one line per settings file found, or one saying there are none.
fn claude_rules_status() -> Vec<String> {
    let (home, root) = home_and_root();
    let (_, files) = aiperture::engine::claude_rules::load(&home, root.as_deref());
    file_lines(
        &files,
        "no Claude Code settings with permission rules found",
    )
}

/// What Codex's execpolicy rules (`codex`) or Gemini CLI's policies (`gemini`), read for
/// requests from that runtime, give for the current project: one line per file found.
fn runtime_rules_status(runtime: &str) -> Vec<String> {
    let (home, root) = home_and_root();
    let root = root.as_deref();
    if runtime == "codex" {
        let (_, files) = aiperture::engine::codex_rules::load(&home, root);
        file_lines(&files, "no Codex rule files (.codex/rules/*.rules) found")
    } else {
        let (_, files) = aiperture::engine::gemini_rules::load(&home, root);
        file_lines(
            &files,
            "no Gemini CLI policy files (.gemini/policies/*.toml) found",
        )
    }
}

/// Reports a path: existence, kind and (for files) whether its mode is at most `max_mode`.
/// A missing file is fine unless `required` (a fresh install has no config file).
fn file_item(name: &'static str, path: &Path, max_mode: Option<u32>, required: bool) -> Item {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            let too_open = max_mode.is_some_and(|max| mode & !max != 0);
            Item {
                name,
                ok: !too_open,
                detail: if too_open {
                    format!("{shown} (mode {mode:o}: readable by others; chmod 600)")
                } else {
                    format!("{shown} (mode {mode:o})")
                },
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Item {
            name,
            ok: !required,
            detail: format!("{shown}: not created yet (created on first use)"),
        },
        Err(e) => Item {
            name,
            ok: false,
            detail: format!("{shown}: {}", store::io_problem(&e)),
        },
    }
}

/// A hint when `AIPERTURE_HOME` is set without `AIPERTURE_DB_PATH`: the home's key is then
/// checked against the default store, which another home's key may have signed (every check
/// fails closed until the pair agrees). Empty otherwise.
fn home_without_store(paths: &Paths) -> String {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("AIPERTURE_HOME") && !set("AIPERTURE_DB_PATH") {
        format!(
            "; note: AIPERTURE_HOME is set but AIPERTURE_DB_PATH is not, so this home's key is \
             checked against the default store {}; set AIPERTURE_DB_PATH to give the home its \
             own store",
            paths.db.display()
        )
    } else {
        String::new()
    }
}
