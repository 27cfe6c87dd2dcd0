//! The HTTP endpoints of a component run on its own (`rollup batcher --batcher.metrics-addr`,
//! `rollup challenger --challenger.metrics-addr`): `GET /status` (the status JSON, as the
//! component's part of the sequencer's `/v1/status` in devnet mode) and `GET /metrics`
//! (Prometheus text).

use axum::{Json, Router, extract::State, http::header, response::IntoResponse, routing::get};
use rollup_types::status::Report;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::info;

async fn status<R: Report>(State(rx): State<watch::Receiver<R>>) -> Json<R> {
    Json(rx.borrow().clone())
}

async fn metrics<R: Report>(State(rx): State<watch::Receiver<R>>) -> impl IntoResponse {
    let mut out = String::new();
    rx.borrow().render_prometheus(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// Binds `addr` and serves the status `rx` publishes until `cancel` fires; `flag` names the
/// option that chose the address, for the error when it is taken.
pub(crate) async fn serve<R: Report>(
    addr: SocketAddr,
    rx: watch::Receiver<R>,
    cancel: CancellationToken,
    flag: &str,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        std::io::Error::new(err.kind(), format!("cannot listen on {addr} (choose another with {flag}): {err}"))
    })?;
    info!(addr = %listener.local_addr()?, "serving /status and /metrics");
    let app = Router::new().route("/status", get(status::<R>)).route("/metrics", get(metrics::<R>)).with_state(rx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await;
    });
    Ok(())
}
