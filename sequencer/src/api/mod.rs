//! The HTTP surface: REST under `/v1`, Ethereum JSON-RPC on `POST /` and over a WebSocket on
//! `GET /`, health and metrics;
//! every route is declared in `openapi.rs`, which also generates `/v1/openapi.json`.

mod block;
mod decode;
mod error;
mod explorer;
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
        .layer(axum::middleware::from_fn(rest::refuse_encoded))
        .layer(axum::middleware::from_fn_with_state(node.clone(), rest::reads_on_query_threads))
        .layer(axum::middleware::from_fn_with_state(per_ip, server::per_ip))
        .layer(axum::Extension(Arc::new(rpc::Filters::default())))
        .with_state(node)
}
