//! The HTTP surface: REST under `/v1`, Ethereum JSON-RPC on `POST /` and over a WebSocket on
//! `GET /`, health and metrics;
//! every route is declared in `openapi.rs`, which also generates `/v1/openapi.json`.

mod block;
mod decode;
mod error;
mod explorer;
mod forward;
mod openapi;
mod rest;
mod rpc;
mod server;

pub(crate) use error::ApiError;

pub(crate) use decode::revert_reason;
pub use rpc::MAX_SUBSCRIPTIONS_PER_CONNECTION;
pub use server::{PerIp, serve};

use crate::node::Node;
use axum::{Router, extract::DefaultBodyLimit, http::StatusCode};
use std::sync::Arc;
use std::time::Duration;
use tower_http::{cors::CorsLayer, timeout::TimeoutLayer};

/// Longest a request may take before the node answers 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the router of a node from the route table (`openapi.rs`).
pub fn router(node: Arc<Node>) -> Router {
    let limit = node.config().body_limit;
    let per_ip = Arc::new(PerIp::new(node.config().http.clone()));
    openapi::add_routes(Router::new(), openapi::routes(limit))
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(CorsLayer::permissive())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(Gate { node: node.clone(), per_ip, leader: forward::client() }),
            gate,
        ))
        .layer(axum::Extension(Arc::new(rpc::Filters::default())))
        .with_state(node)
}

/// What every request passes before its route, in one middleware: the per-address limits
/// ([`PerIp`]), the refusal of compressed bodies, and the REST reads' place on the query
/// threads.
struct Gate {
    node: Arc<Node>,
    per_ip: Arc<PerIp>,
    /// A follower's client of the leader (`forward`).
    leader: reqwest::Client,
}

async fn gate(
    axum::extract::State(gate): axum::extract::State<Arc<Gate>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let _in_progress = match server::admit(&gate.per_ip, &request) {
        Ok(in_progress) => in_progress,
        Err(refused) => return *refused,
    };
    if let Some(refused) = rest::encoding_refusal(&request) {
        return refused;
    }
    let request = match forward::to_leader(&gate.node, &gate.leader, request).await {
        Ok(answered) => return answered,
        Err(request) => request,
    };
    rest::on_query_threads(&gate.node, request, next).await
}
