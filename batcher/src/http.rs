//! The standalone batcher's HTTP endpoints (`rollup batcher --metrics-addr`): `GET /status`
//! (the status JSON, as `batcher` in the sequencer's `/v1/status` in devnet mode) and
//! `GET /metrics` (Prometheus text).

use axum::{Json, Router, extract::State, http::header, response::IntoResponse, routing::get};
use rollup_types::status::BatcherStatus;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::info;

async fn status(State(rx): State<watch::Receiver<BatcherStatus>>) -> Json<BatcherStatus> {
    Json(rx.borrow().clone())
}

async fn metrics(State(rx): State<watch::Receiver<BatcherStatus>>) -> impl IntoResponse {
    let mut out = String::new();
    rx.borrow().render_prometheus(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// Binds `addr` and serves the batcher's status until `cancel` fires.
pub async fn serve(
    addr: SocketAddr,
    rx: watch::Receiver<BatcherStatus>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        std::io::Error::new(err.kind(), format!("cannot listen on {addr} (choose another with --metrics-addr): {err}"))
    })?;
    info!(target: "batcher", addr = %listener.local_addr()?, "serving /status and /metrics");
    let app = Router::new().route("/status", get(status)).route("/metrics", get(metrics)).with_state(rx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await;
    });
    Ok(())
}
