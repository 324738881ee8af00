//! `aiperture artifact store|show|verify|list`: content-addressed artifacts and what they
//! cost (docs/artifacts.md). A thin shell over `aiperture::artifacts`.

use crate::cli::ExitCode;
use aiperture::artifacts::{self, Artifact, NewArtifact};
use aiperture::clock::format_rfc3339;
use aiperture::engine::Gate;
use aiperture::engine::state::ArtifactFilter;
use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use std::io::{Read, Write};
use std::path::PathBuf;

/// Arguments of `aiperture artifact`.
#[derive(Args, Debug)]
pub struct ArtifactArgs {
    #[command(subcommand)]
    command: ArtifactCommand,
}

#[derive(Subcommand, Debug)]
enum ArtifactCommand {
    /// Store a file (or stdin) as an artifact; prints its id.
    Store(StoreArgs),
    /// Show an artifact's record, or its content with --content.
    Show {
        /// The artifact id.
        id: String,
        /// Print the content as stored instead of the record.
        #[arg(long)]
        content: bool,
        /// Print the record as JSON.
        #[arg(long, conflicts_with = "content")]
        json: bool,
    },
    /// Re-hash an artifact's content: exit 0 verified, 4 failed (changed or missing).
    Verify {
        /// The artifact id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List artifacts, newest first.
    List(ListArgs),
}

/// Arguments of `artifact store`.
#[derive(Args, Debug)]
struct StoreArgs {
    /// The file to store (`-` or nothing: standard input).
    file: Option<PathBuf>,
    /// Type of artifact (default `custom`).
    #[arg(long, default_value = "")]
    kind: String,
    /// Session id.
    #[arg(long, default_value = "")]
    session: String,
    /// Task id.
    #[arg(long, default_value = "")]
    task: String,
    /// Runtime.
    #[arg(long, default_value = "")]
    runtime: String,
    /// Project.
    #[arg(long, default_value = "")]
    project: String,
    /// Tool that produced it.
    #[arg(long, default_value = "")]
    tool: String,
    /// One line.
    #[arg(long, default_value = "")]
    summary: String,
    /// Model that produced it.
    #[arg(long, default_value = "")]
    model: String,
    /// The model's provider.
    #[arg(long, default_value = "")]
    provider: String,
    /// Input tokens.
    #[arg(long, default_value_t = 0)]
    tokens_in: u64,
    /// Output tokens.
    #[arg(long, default_value_t = 0)]
    tokens_out: u64,
    /// Cost in US dollars.
    #[arg(long, default_value_t = 0.0)]
    cost: f64,
    /// Print the stored record as JSON.
    #[arg(long)]
    json: bool,
}

/// Filters shared by `artifact list` and `costs`.
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Only this session.
    #[arg(long)]
    pub session: Option<String>,
    /// Only this task.
    #[arg(long)]
    pub task: Option<String>,
    /// Only this runtime.
    #[arg(long)]
    pub runtime: Option<String>,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only since an age (`7d`, `24h`) or a UTC date.
    #[arg(long)]
    pub since: Option<String>,
}

impl FilterArgs {
    /// The library filter (`limit` 0 = all).
    pub fn filter(&self, now_ms: i64, limit: u32) -> anyhow::Result<ArtifactFilter> {
        Ok(ArtifactFilter {
            session: self.session.clone(),
            task: self.task.clone(),
            runtime: self.runtime.clone(),
            project: self.project.clone(),
            since_ms: match &self.since {
                Some(s) => Some(super::audit::parse_since(s, now_ms)?),
                None => None,
            },
            limit,
        })
    }
}

/// Arguments of `artifact list`.
#[derive(Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// At most this many (0 = all).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Print JSON (one array).
    #[arg(long)]
    json: bool,
}

/// Exit status of a verification that failed.
const FAILED: u8 = 4;

/// Runs `aiperture artifact`.
pub fn run(args: ArtifactArgs) -> anyhow::Result<ExitCode> {
    let gate = Gate::open()?;
    match args.command {
        ArtifactCommand::Store(a) => {
            let content = read_input(a.file.as_deref())?;
            let stored = artifacts::store(
                &gate,
                NewArtifact {
                    content,
                    kind: a.kind,
                    project: a.project,
                    session: a.session,
                    task: a.task,
                    runtime: a.runtime,
                    tool: a.tool,
                    summary: a.summary,
                    model: a.model,
                    provider: a.provider,
                    tokens_in: a.tokens_in,
                    tokens_out: a.tokens_out,
                    cost_usd: a.cost,
                },
            )?;
            if a.json {
                println!("{}", serde_json::to_string(&stored)?);
            } else {
                println!("{}", stored.id);
            }
        }
        ArtifactCommand::Show { id, content, json } => {
            if content {
                let bytes = artifacts::content(&gate, &id)?;
                std::io::stdout().lock().write_all(&bytes)?;
                return Ok(ExitCode::SUCCESS);
            }
            let a =
                artifacts::get(&gate, &id)?.ok_or_else(|| anyhow!("artifact not found: {id}"))?;
            if json {
                println!("{}", serde_json::to_string(&a)?);
            } else {
                print_record(&a);
            }
        }
        ArtifactCommand::Verify { id, json } => {
            let v = artifacts::verify(&gate, &id)?;
            if json {
                println!("{}", serde_json::to_string(&v)?);
            } else if let Some(p) = &v.problem {
                println!("artifact {} FAILED: {p}", v.id);
            } else {
                println!("artifact {} verified (sha256 {})", v.id, v.expected_sha256);
            }
            if v.status != "verified" {
                return Ok(ExitCode::from(FAILED));
            }
        }
        ArtifactCommand::List(a) => {
            let filter = a.filter.filter(gate.now_ms(), a.limit)?;
            let items = artifacts::list(&gate, &filter)?;
            if a.json {
                println!("{}", serde_json::to_string(&items)?);
                return Ok(ExitCode::SUCCESS);
            }
            if items.is_empty() {
                println!("no artifacts");
            }
            for x in &items {
                println!(
                    "{}  {}  {:<11} {:>9} B  {:<6} {:<10} {}",
                    x.id,
                    format_rfc3339(x.created_ms),
                    shown(&x.kind),
                    x.size,
                    x.backend,
                    x.status,
                    shown(&x.summary)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the content to store: a file, or standard input (`-` or none), at most
/// [`artifacts::MAX_CONTENT`] bytes (more is refused, never cut).
fn read_input(file: Option<&std::path::Path>) -> anyhow::Result<Vec<u8>> {
    let limit = artifacts::MAX_CONTENT as u64 + 1;
    let mut out = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).map_err(|e| anyhow!("{}: {e}", p.display()))?;
            f.take(limit)
                .read_to_end(&mut out)
                .map_err(|e| anyhow!("{}: {e}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| anyhow!("standard input: {e}"))?;
        }
    }
    if out.len() > artifacts::MAX_CONTENT {
        bail!(
            "artifact too large (at most {} bytes)",
            artifacts::MAX_CONTENT
        );
    }
    Ok(out)
}

/// Text from the store as one terminal-safe line (control characters replaced).
pub fn shown(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn print_record(a: &Artifact) {
    let v = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            shown(s)
        }
    };
    println!("id          {}", a.id);
    println!("stored      {}", format_rfc3339(a.created_ms));
    println!("sha256      {}", a.sha256);
    println!("size        {} bytes ({})", a.size, a.backend);
    if let Some(p) = &a.path {
        println!("file        {}", shown(p));
    }
    println!("kind        {}", v(&a.kind));
    println!("summary     {}", v(&a.summary));
    println!("session     {}", v(&a.session));
    println!("task        {}", v(&a.task));
    println!("runtime     {}", v(&a.runtime));
    println!("project     {}", v(&a.project));
    println!("tool        {}", v(&a.tool));
    println!("model       {} ({})", v(&a.model), v(&a.provider));
    println!(
        "cost        {} in + {} out tokens, ${:.4}",
        a.tokens_in, a.tokens_out, a.cost_usd
    );
    let when = a.verified_ms.map(format_rfc3339).unwrap_or_default();
    println!("status      {} {when}", a.status);
}
