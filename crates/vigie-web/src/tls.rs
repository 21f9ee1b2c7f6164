//! HTTPS: rustls (with ring) over the router, one hyper HTTP/1 connection per TLS stream.
//!
//! The certificate chain and the private key come from PEM files (`[server.tls]`); TLS 1.2 and
//! 1.3 only, with rustls's default cipher suites (all AEAD, forward secret). When TLS is on,
//! the server keeps no plaintext listener but an optional one that answers `/health` only
//! (`health_router`), for load balancers that cannot speak TLS.

use crate::AppState;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections (live streams included) have to end at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the TLS configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate file {path}")]
    Certificate {
        path: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error("the certificate file {path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("cannot read a private key from {path}")]
    Key {
        path: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error("the certificate and key do not make a TLS configuration")]
    Config(#[source] rustls::Error),
}

/// Reads a PEM certificate chain and private key (PKCS#8, PKCS#1 or SEC1) into a rustls server
/// configuration (HTTP/1.1 over TLS 1.2 or 1.3, with ring).
pub fn load_server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certificates = CertificateDer::pem_file_iter(cert_path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Certificate { path: cert_path.to_path_buf(), source })?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate { path: cert_path.to_path_buf() });
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|source| TlsError::Key { path: key_path.to_path_buf(), source })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` completes, then gives open
/// connections `DRAIN_TIMEOUT` to end.
pub(crate) async fn serve_tls(
    listener: TcpListener,
    app: Router,
    tls: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls_stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => tls_stream,
                Ok(Err(error)) => {
                    tracing::debug!(peer = %peer, error = %error, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(request)
            });
            let connection =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls_stream), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(peer = %peer, error = %error, "HTTPS connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::info!("some HTTPS connections were still open at shutdown; closing them");
    }
    Ok(())
}

/// The plaintext router of a TLS server: `/health` only, everything else 404.
pub fn health_router(state: AppState) -> Router {
    Router::new()
        .route("/health", axum::routing::get(crate::routes::health))
        .fallback(|| async { crate::ApiError::not_found("route_not_found", "this port serves /health only") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::hardening::protect))
        .with_state(state)
}

/// Tells whether an address is a loopback one (for the warning of a plaintext listener).
pub(crate) fn is_loopback(address: &SocketAddr) -> bool {
    address.ip().is_loopback()
}
