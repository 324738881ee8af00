//! aiperture's MCP server (issue 12, docs/mcp.md): the tools of [`tools`] over the Model
//! Context Protocol, on stdio (`aiperture serve --mcp`, one process per agent session, started
//! by the runtime) and over streamable HTTP at `/mcp` on the HTTP server (behind the same
//! bearer key as every route), on the same engine and store as the hooks.
//!
//! Built on rmcp, the protocol's official Rust SDK, which negotiates the revisions: the
//! `initialize` handshake of 2024-11-05 to 2025-11-25 and the stateless 2026-07-28
//! (`server/discover`, the version in each request's `_meta`; an unsupported one is answered
//! with -32022 and the supported list). Every tool call is checked by the engine as
//! `mcp__aiperture__<tool>` and audited before it runs ([`call`]).

pub mod call;
pub mod http;
pub mod tools;

use crate::paths::Paths;
use crate::store::AnyGate;
use anyhow::Context as _;
use call::{Ctx, Outcome};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use std::sync::Arc;
use std::time::Duration;

/// What the server tells an agent about itself on connecting.
const INSTRUCTIONS: &str = "aiperture is the permission gate in front of this agent's tool \
calls. Use check_permission before an action you are unsure of, explain_action to see why an \
action is risky, and request_permission to ask a human (who answers in a terminal; you cannot \
approve anything yourself). Every call to these tools is checked and recorded.";

/// The MCP handler: the tools on one gate.
#[derive(Clone)]
pub struct McpServer {
    ctx: Ctx,
}

impl McpServer {
    /// A handler on `gate`; the server's own checks are made in `session` with `cwd` as the
    /// default working directory.
    pub fn new(gate: Arc<AnyGate>, paths: Paths, session: String, cwd: String) -> Self {
        McpServer {
            ctx: Ctx {
                gate,
                paths,
                session,
                cwd,
            },
        }
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                tools::SERVER_NAME,
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::list().into_iter().find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !tools::TOOL_NAMES.contains(&name.as_str()) {
            // An unknown tool is a protocol error (-32602), as MCP asks.
            let shown: String = name.chars().take(100).collect();
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{shown}`"),
                None,
            ));
        }
        let args = request.arguments.unwrap_or_default();
        let ctx = self.ctx.clone();
        let outcome = tokio::task::spawn_blocking(move || call::call(&ctx, &name, &args)).await;
        let result = match outcome {
            Ok(Outcome::Done(v)) => CallToolResult::structured(v),
            Ok(Outcome::Refused(v, text)) => {
                let mut r = CallToolResult::structured_error(v);
                r.content = vec![ContentBlock::text(text)];
                r
            }
            Err(_) => CallToolResult::error(vec![ContentBlock::text(
                "aiperture hit an internal error; the call did not run",
            )]),
        };
        Ok(result.into())
    }
}

/// The streamable HTTP transport, mounted at `/mcp` by the HTTP server (behind its key check,
/// see [`http`]). Stateless, answering in JSON: no session is kept between requests
/// (nothing a client can pile up), and no long-lived stream holds up a stopping server.
/// Browser origins are refused (a page cannot present the key anyway); any `Host` is accepted,
/// since the key, not the address, is what authorizes a caller.
pub fn http_service(
    gate: Arc<AnyGate>,
    paths: Paths,
) -> StreamableHttpService<McpServer, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts()
        .enforce_origin_validation()
        .with_max_request_body_bytes(http::MAX_BODY);
    let server = McpServer::new(gate, paths, String::new(), String::new());
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

/// `aiperture serve --mcp`: MCP on stdin and stdout until the client closes stdin (or SIGINT
/// or SIGTERM). Nothing else is written to stdout; diagnostics go to stderr.
pub fn serve_stdio(gate: AnyGate, paths: Paths) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(crate::server::MAX_ENGINE_THREADS)
        .thread_name("aiperture-mcp")
        .enable_all()
        .build()
        .context("cannot start the MCP server's runtime")?;
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let session = format!("mcp-stdio-{}", std::process::id());
    let server = McpServer::new(Arc::new(gate), paths, session, cwd);
    let result = rt.block_on(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let running = match server.serve(rmcp::transport::stdio()).await {
            Ok(r) => r,
            // The client went away before starting a session: nothing failed.
            Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
            Err(e) => anyhow::bail!("the MCP session did not start: {e}"),
        };
        tokio::select! {
            r = running.waiting() => { r.context("the MCP session failed")?; }
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        anyhow::Ok(())
    });
    // A read of stdin still blocked on a thread must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}
