//! Connecting, with or without TLS: `sslmode=disable` connects in the clear; any other mode
//! (`prefer`, the default, or `require`) offers TLS through rustls (the `ring` provider),
//! verifying the server's certificate against the system's roots plus the PEM file named by
//! `AIPERTURE_DB_CA_FILE` (a team's private CA). A certificate that does not verify is an
//! error, never a silent fall back to the clear.

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The environment variable naming an extra PEM file of CA certificates.
pub const CA_FILE_ENV: &str = "AIPERTURE_DB_CA_FILE";

/// A connection being made on a helper thread, to be taken within its deadline.
///
/// The client's own connect timeout bounds only the TCP connect: a server that accepts the
/// connection and never answers (hung, overloaded, a proxy in front of a dead server) would
/// hold the handshake forever. So the connection is made on a helper thread and given up
/// at the deadline; the abandoned thread ends with the process (a hook exits right after
/// answering) or when the server finally answers or closes. Meanwhile the caller goes on
/// with work that needs no database (a hook analyses its request while the server forks
/// and authenticates its backend).
pub(super) struct Connecting {
    made: std::sync::mpsc::Receiver<Result<Client, postgres::Error>>,
    deadline: Instant,
    within: Duration,
}

impl Connecting {
    /// Starts connecting with `config`; the connection is due within `within` from now.
    pub(super) fn start(config: &Config, within: Duration) -> anyhow::Result<Connecting> {
        let (tx, made) = std::sync::mpsc::channel();
        let config = config.clone();
        std::thread::Builder::new()
            .name("aiperture-pg-connect".into())
            .spawn(move || {
                let _ = tx.send(connect(&config));
            })?;
        Ok(Connecting {
            made,
            deadline: Instant::now() + within,
            within,
        })
    }

    /// The connection, waiting for it until the deadline at most.
    pub(super) fn finish(self) -> anyhow::Result<Client> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.made.recv_timeout(left) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(anyhow::anyhow!("{}", super::problem(&e))),
            Err(_) => Err(anyhow::anyhow!(
                "the server did not complete the connection within {} ms",
                self.within.as_millis()
            )),
        }
    }
}

/// Connects with `config` within `deadline`, start-up handshake included ([`Connecting`]).
pub(super) fn connect_within(config: &Config, deadline: Duration) -> anyhow::Result<Client> {
    Connecting::start(config, deadline)?.finish()
}

/// Connects with `config`, building a TLS connector only when the mode may use one.
fn connect(config: &Config) -> Result<Client, postgres::Error> {
    if config.get_ssl_mode() == SslMode::Disable {
        return config.connect(NoTls);
    }
    config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(
        client_config(),
    ))
}

/// The rustls client configuration: system roots and the team's CA file, if any.
fn client_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = std::env::var_os(CA_FILE_ENV).filter(|p| !p.is_empty()) {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        if let Ok(certs) = CertificateDer::pem_file_iter(&path) {
            for cert in certs.flatten() {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
        // The ring provider supports the default versions; this arm is never taken, and if it
        // were, an empty-root config fails every handshake (closed, not open).
        Err(_) => rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
        .unwrap_or_else(|_| {
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        }),
    }
}
