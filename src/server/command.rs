//! The `aiperture serve` command, run by the `aiperture-serve` binary: the gate over HTTP
//! (default 127.0.0.1:8100) and a Unix socket (default `AIPERTURE_HOME/serve.sock`, mode 0600)
//! until SIGINT or SIGTERM. Checks what the command line asks (a loopback address, or a
//! configured key and `--allow-remote`), takes the home's server lock, loads or creates the API
//! key, opens the gate, and serves. The server lives in its own binary so that the one-shot
//! hook's binary carries none of its code (tokio, axum, hyper): a larger binary costs every
//! hook call its start-up relocations. See docs/http.md.

use super::{Options, auth, lock};
use crate::config::Settings;
use crate::paths::Paths;
use crate::store::AnyGate;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The exit status of a usage error (BSD sysexits' EX_USAGE), as the main binary's.
pub const EX_USAGE: i32 = 64;

/// Arguments of `aiperture serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Listen for HTTP on this address (default: the api_host and api_port settings,
    /// 127.0.0.1:8100; port 0 picks a free port, and the bound address is printed). A
    /// non-loopback address needs a configured API key and --allow-remote.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Listen on this Unix socket (default: serve.sock in AIPERTURE_HOME; mode 0600).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Allow a non-loopback --http address (the API key must already be configured:
    /// AIPERTURE_API_KEY, `config set api_key`, or the api_key file of an earlier serve).
    #[arg(long)]
    pub allow_remote: bool,
    /// Speak MCP on stdin and stdout instead of listening (what an agent runtime starts; see
    /// docs/mcp.md). Takes no --http, --socket or --allow-remote; several may run at once.
    #[arg(long, conflicts_with_all = ["http", "socket", "allow_remote"])]
    pub mcp: bool,
}

/// Parses `--http`: an IP address and port, or `localhost:PORT`.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Some(a);
    }
    let port = text.strip_prefix("localhost:")?.parse::<u16>().ok()?;
    Some(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A usage error: one line on stderr, exit 64.
fn usage(msg: &str) -> anyhow::Result<i32> {
    eprintln!("aiperture serve: {msg}");
    Ok(EX_USAGE)
}

/// Runs `aiperture serve`; the process's exit status.
pub fn run(args: ServeArgs) -> anyhow::Result<i32> {
    let paths = Paths::from_env()?;
    let settings = Settings::load(&paths)?;
    if args.mcp {
        // One per agent session, on its own pipes: no listener, so no home lock and no key.
        // One agent session: one connection to a team store.
        let gate =
            AnyGate::open_pooled(paths.clone(), settings, crate::engine::clock_from_env(), 1)?;
        super::mcp::serve_stdio(gate, paths)?;
        return Ok(0);
    }
    let http = args.http.clone().unwrap_or_else(|| {
        let host = settings.api_host.trim();
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", settings.api_port)
        } else {
            format!("{host}:{}", settings.api_port)
        }
    });
    let Some(addr) = parse_addr(http.trim()) else {
        return usage(&format!(
            "--http {http}: not an address (expected IP:PORT or localhost:PORT)"
        ));
    };
    if !addr.ip().is_loopback() {
        if !args.allow_remote {
            return usage(&format!(
                "--http {addr}: not a loopback address; refusing to listen beyond this machine \
                 without --allow-remote (and a configured API key)"
            ));
        }
        if !auth::configured(&paths, &settings) {
            return usage(&format!(
                "--http {addr}: no API key is configured; set AIPERTURE_API_KEY (or run \
                 `aiperture serve` once on loopback to create {}) before listening beyond \
                 this machine",
                auth::key_file(&paths).display()
            ));
        }
    }
    let socket = args
        .socket
        .unwrap_or_else(|| paths.home.join(super::SOCKET_FILE));
    if !socket.is_absolute() {
        return usage(&format!(
            "--socket {}: must be an absolute path",
            socket.display()
        ));
    }
    let _lock = lock::acquire(&paths.home)?;
    let key = auth::load_or_create(&paths, &settings)?;
    let pool = settings.store_pool_size as usize;
    let gate = AnyGate::open_pooled(
        paths.clone(),
        settings,
        crate::engine::clock_from_env(),
        pool,
    )?;
    let opts = Options {
        http: Some(addr),
        socket: Some(socket),
    };
    super::serve(gate, paths, key, &opts, |bound| {
        if let Some(a) = bound.http {
            println!("aiperture serve: listening on http://{a}");
        }
        if let Some(p) = &bound.socket {
            println!("aiperture serve: listening on unix:{}", p.display());
        }
        println!("aiperture serve: ready (pid {})", std::process::id());
    })?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn addresses_parse_as_ip_and_port_or_localhost() {
        assert_eq!(
            parse_addr("127.0.0.1:8100").map(|a| a.to_string()),
            Some("127.0.0.1:8100".into())
        );
        assert_eq!(
            parse_addr("[::1]:0").map(|a| a.to_string()),
            Some("[::1]:0".into())
        );
        assert_eq!(
            parse_addr("localhost:9").map(|a| a.to_string()),
            Some("127.0.0.1:9".into())
        );
        for bad in ["", "8100", "example.com:80", "localhost", "127.0.0.1"] {
            assert_eq!(parse_addr(bad), None, "{bad}");
        }
    }
}
