//! Database rules: destructive SQL (`DROP`, `TRUNCATE`, `DELETE`/`UPDATE` without `WHERE`,
//! privilege changes) given to database clients or typed as a command, `dropdb`, Redis flushes.

use super::invocation::Invocation;
use super::judge::Judge;
use super::judge::Programs;
use crate::request::RiskTier;
use crate::shell::{SimpleCommand, Word};

/// The programs these rules judge (the registry's data); `mysqladmin` only with `drop`. SQL
/// statement keywords typed as a command (`DROP TABLE x;`) are judged as SQL; `truncate` is
/// the file-system rules' (coreutils), which hand `TRUNCATE TABLE …` to [`bare_sql`].
#[rustfmt::skip]
pub(super) const PROGRAMS: Programs = Programs {
    names: &[
        "psql", "mysql", "mariadb", "sqlite3", "duckdb", "clickhouse-client", "clickhouse", "cqlsh",
        "mongo", "mongosh", "sqlcmd", "cockroach", "pgcli", "mycli", "litecli", "usql", "bq",
        "snowsql", "dropdb", "dropuser", "mysqladmin", "redis-cli", "valkey-cli", "keydb-cli",
        "drop", "delete", "update", "alter", "grant", "revoke", "insert",
    ],
    versioned: &[],
    prefixes: &[],
    value_options: super::invocation::COMMON_VALUE_OPTIONS,
};

/// Handles database clients. Returns true when handled.
pub(super) fn judge(inv: &Invocation, j: &mut Judge) -> bool {
    let (cmd, prog) = (inv.cmd, inv.program);
    let args = inv.args();
    let words = inv.words();
    let has = |s: &str| inv.has(s);
    let first = inv.first();
    let _ = (&has, first);
    match prog {
        // Databases.
        "psql" | "mysql" | "mariadb" | "sqlite3" | "duckdb" | "clickhouse-client"
        | "clickhouse" | "cqlsh" | "mongo" | "mongosh" | "sqlcmd" | "cockroach" | "pgcli"
        | "mycli" | "litecli" | "usql" | "bq" | "snowsql" => {
            let mut sql = String::new();
            for (i, w) in args.iter().enumerate() {
                let t = w.text.as_str();
                if matches!(
                    t,
                    "-c" | "--command" | "-e" | "--execute" | "--eval" | "-q" | "--query" | "-Q"
                ) {
                    if let Some(v) = args.get(i + 1) {
                        sql.push_str(&v.text);
                        sql.push('\n');
                    }
                } else if let Some(v) = t
                    .strip_prefix("--command=")
                    .or_else(|| t.strip_prefix("--execute="))
                    .or_else(|| t.strip_prefix("--eval="))
                {
                    sql.push_str(v);
                    sql.push('\n');
                }
            }
            if matches!(prog, "sqlite3" | "duckdb" | "litecli") {
                // sqlite3 DB "SQL"
                let ops: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
                if let Some(s) = ops.get(1) {
                    sql.push_str(&s.text);
                }
            }
            if let Some(t) = &cmd.stdin_text {
                sql.push_str(t);
            }
            j.raise(RiskTier::Medium, "database", "connects to a database");
            if cmd.piped_stdin && cmd.stdin_text.is_none() {
                j.raise(
                    RiskTier::High,
                    "pipe_to_database",
                    "pipes generated SQL into a database client",
                );
            }
            if words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "-readonly" | "--readonly" | "-safe" | "--read-only" | "-r"
                ) && matches!(prog, "sqlite3" | "duckdb" | "litecli")
            }) {
                j.note("read_only_database", "opens the database read-only");
            } else {
                sql_risk(&sql, j);
            }
            true
        }
        "dropdb" | "dropuser" | "mysqladmin" if prog != "mysqladmin" || has("drop") => {
            j.raise(RiskTier::High, "database_drop", "drops a database or user");
            j.no_pattern = true;
            true
        }
        "redis-cli" | "valkey-cli" | "keydb-cli" => {
            if words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "flushall" | "flushdb" | "shutdown" | "config" | "del" | "unlink" | "debug"
                )
            }) {
                j.raise(
                    RiskTier::High,
                    "database_flush",
                    "flushes or deletes data in Redis",
                );
                j.no_pattern = true;
            } else {
                j.raise(RiskTier::Medium, "database", "talks to Redis");
            }
            true
        }
        p if sql_keyword(p) => {
            bare_sql(cmd, j);
            true
        }
        _ => false,
    }
}

/// SQL statements that destroy data.
fn sql_risk(sql: &str, j: &mut Judge) {
    if sql.is_empty() {
        return;
    }
    let lower = sql.to_lowercase();
    for stmt in lower.split(';') {
        let s = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.starts_with("drop database")
            || s.starts_with("drop schema")
            || s.contains("dropdatabase(")
        {
            j.raise(RiskTier::Critical, "sql_drop_database", "drops a database");
        } else if s.starts_with("drop ") || s.contains(".drop(") || s.contains("dropcollection") {
            j.raise(RiskTier::High, "sql_drop", "drops a database object");
        } else if s.starts_with("truncate") {
            j.raise(RiskTier::High, "sql_truncate", "empties a table");
        } else if (s.starts_with("delete from") || s.starts_with("delete "))
            && !s.contains(" where ")
        {
            j.raise(
                RiskTier::High,
                "sql_delete_all",
                "deletes every row (DELETE without WHERE)",
            );
        } else if s.starts_with("update ") && !s.contains(" where ") {
            j.raise(
                RiskTier::High,
                "sql_update_all",
                "updates every row (UPDATE without WHERE)",
            );
        } else if s.starts_with("alter ") && s.contains(" drop ") {
            j.raise(
                RiskTier::High,
                "sql_alter_drop",
                "drops a column or constraint",
            );
        } else if s.contains("deletemany({})") || s.contains("remove({})") {
            j.raise(RiskTier::High, "sql_delete_all", "deletes every document");
        } else if s.starts_with("grant ")
            || s.starts_with("revoke ")
            || s.starts_with("create user")
            || s.starts_with("alter user")
        {
            j.raise(
                RiskTier::High,
                "sql_privilege",
                "changes database privileges",
            );
        } else if s.starts_with("insert")
            || s.starts_with("update")
            || s.starts_with("delete")
            || s.starts_with("create")
            || s.starts_with("alter")
        {
            j.raise(RiskTier::Medium, "sql_write", "writes to the database");
        }
    }
    if j.tier >= RiskTier::High {
        j.no_pattern = true;
    }
}

/// True for SQL statement keywords used as a command (`DROP TABLE x;` typed at a shell).
fn sql_keyword(prog: &str) -> bool {
    matches!(
        prog,
        "drop" | "delete" | "update" | "alter" | "grant" | "revoke" | "insert"
    )
}

/// Rates SQL typed as a command line.
pub(super) fn bare_sql(cmd: &SimpleCommand, j: &mut Judge) {
    let text: Vec<&str> = cmd.argv.iter().map(|w| w.text.as_str()).collect();
    j.raise(RiskTier::Medium, "sql_text", "SQL typed as a command");
    sql_risk(&text.join(" "), j);
}
