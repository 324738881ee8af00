//! `aiperture explain`: rates a command (or JSON Lines of requests) with the risk classifier
//! alone. No store, no config: only the classifier, the working directory and the paths
//! aiperture protects about itself.

use crate::cli::ExitCode;
use aiperture::risk::{self, Assessment, Context};
use clap::Args;
use serde_json::Value;
use std::io::{BufRead, Write};

/// Arguments of `aiperture explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Read JSON Lines of {"tool","action","scope"} from stdin; write one JSON verdict line each.
    #[arg(long)]
    pub stdin: bool,
    /// Working directory the command runs in (default: the current directory).
    #[arg(long)]
    pub cwd: Option<String>,
    /// Project root (default: the working directory).
    #[arg(long)]
    pub project: Option<String>,
    /// Tool of the request (default `shell`).
    #[arg(long, default_value = "shell")]
    pub tool: String,
    /// Action of the request (default `execute`).
    #[arg(long, default_value = "execute")]
    pub action: String,
    /// The shell command (or scope) to rate; several words are joined with spaces.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Runs `aiperture explain`.
pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let base = base_context(&args);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.stdin {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let v = explain_line(line, &base);
            writeln!(out, "{v}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.command.is_empty() {
        anyhow::bail!("give a command to rate, or --stdin with JSON Lines");
    }
    let scope = args.command.join(" ");
    let a = risk::assess(&args.tool, &args.action, &scope, &base);
    if args.json {
        writeln!(
            out,
            "{}",
            aiperture::views::to_json(&aiperture::views::explain(
                &args.tool,
                &args.action,
                &scope,
                &a
            ))
        )?;
    } else {
        write!(out, "{}", human(&a))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn base_context(args: &ExplainArgs) -> Context {
    let cwd = args.cwd.clone().unwrap_or_else(|| {
        std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "/".to_string())
    });
    let project = args.project.clone().unwrap_or_else(|| cwd.clone());
    let home = dirs::home_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let protected_paths = aiperture::paths::Paths::from_env()
        .map(|p| {
            p.protected()
                .iter()
                .map(|x| x.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    let resolver = aiperture::realpath::RealFs::with_roots([project.clone(), cwd.clone()]);
    Context {
        cwd,
        project,
        home,
        protected_paths,
        resolver: Some(std::sync::Arc::new(resolver)),
    }
}

/// One JSON Lines input line → one verdict object (an error object rated high when the
/// line is not a request).
fn explain_line(line: &str, base: &Context) -> Value {
    let parsed: Result<Value, _> = serde_json::from_str(line);
    let Ok(Value::Object(obj)) = parsed else {
        return aiperture::views::explain_unreadable();
    };
    let field = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let tool = field("tool");
    let action = field("action");
    let scope = field("scope");
    let mut ctx = base.clone();
    if let Some(c) = obj.get("cwd").and_then(Value::as_str) {
        ctx.cwd = c.to_string();
        if obj.get("project").is_none() {
            ctx.project = c.to_string();
        }
    }
    if let Some(p) = obj.get("project").and_then(Value::as_str) {
        ctx.project = p.to_string();
    }
    let tool = if tool.is_empty() {
        "shell".into()
    } else {
        tool
    };
    let action = if action.is_empty() && tool == "shell" {
        "execute".into()
    } else {
        action
    };
    let a = risk::assess(&tool, &action, &scope, &ctx);
    aiperture::views::to_json(&aiperture::views::explain(&tool, &action, &scope, &a))
}

/// Human output: tier and reason, factors, one line per segment.
fn human(a: &Assessment) -> String {
    let mut s = format!(
        "{} ({:.2}): {}\n",
        a.risk.tier.as_str().to_uppercase(),
        a.risk.score,
        a.reason
    );
    if !a.risk.factors.is_empty() {
        s.push_str(&format!("  factors: {}\n", a.risk.factors.join(", ")));
    }
    for seg in &a.segments {
        let pattern = seg
            .pattern
            .as_deref()
            .map(|p| format!("learnable as `{p}`"))
            .unwrap_or_else(|| "never generalized".to_string());
        s.push_str(&format!(
            "  - [{}] {}\n      {}; {}\n",
            seg.risk.tier, seg.command, seg.reason, pattern
        ));
    }
    s
}
