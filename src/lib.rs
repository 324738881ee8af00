//! aiperture: the permission layer for AI coding agents.
//!
//! One request flows one way: a runtime adapter ([`runtimes`]) turns a hook payload into a
//! [`request::Request`]; the [`engine`] decides it (using [`risk`], which uses [`shell`], and the
//! [`store`]) and returns a [`request::Verdict`]; the adapter renders the verdict in the form the
//! runtime understands. The library knows no command line: `src/main.rs` and `src/cli/` do.

pub mod admin_proof;
pub mod artifacts;
pub mod atomic;
pub mod audit;
pub mod callsite;
pub mod client_env;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod files;
pub mod hook_process;
pub mod identity;
pub mod key;
pub mod pathnorm;
pub mod paths;
pub mod realpath;
pub mod report;
pub mod request;
pub mod request_id;
pub mod risk;
pub mod runtimes;
pub mod server;
pub mod shell;
pub mod store;
pub mod views;
pub mod warm;
