//! The HTTP surface: REST under `/v1`, Ethereum JSON-RPC on `POST /` and over a WebSocket on
//! `GET /`, health and metrics;
//! every route is declared in `openapi.rs`, which also generates `/v1/openapi.json`.

mod openapi;
mod rest;
mod rpc;
mod server;

pub use rpc::MAX_SUBSCRIPTIONS_PER_CONNECTION;
pub use server::{HttpLimits, PerIp, serve};

use crate::{
    error::{StoreError, SubmitError},
    node::Node,
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, rejection::BytesRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
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

/// An error of the REST API: an HTTP status, a stable code and a reason.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds for `Retry-After` (a 429 without one says 1).
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<SubmitError> for ApiError {
    fn from(err: SubmitError) -> Self {
        let status = match &err {
            SubmitError::Tx(_)
            | SubmitError::NotAToken(_)
            | SubmitError::NonceTooLow { .. }
            | SubmitError::NonceTooHigh { .. } => StatusCode::BAD_REQUEST,
            SubmitError::ReplacementUnderpriced { .. } => StatusCode::CONFLICT,
            SubmitError::MempoolFull { .. }
            | SubmitError::SenderLimit { .. }
            | SubmitError::FutureLimit { .. }
            | SubmitError::SenderFutureLimit { .. }
            | SubmitError::Overloaded
            | SubmitError::L1Backlog { .. }
            | SubmitError::L1BacklogShare { .. }
            | SubmitError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            SubmitError::Store(_) | SubmitError::Persist(_) | SubmitError::ShuttingDown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            SubmitError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self { retry_after: err.retry_after(), ..Self::new(status, err.code(), err.to_string()) }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(target: "sequencer::api", ?err, "database error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", err.to_string())
    }
}

impl From<crate::error::SequencerError> for ApiError {
    fn from(err: crate::error::SequencerError) -> Self {
        match err {
            crate::error::SequencerError::Store(e) => e.into(),
            other => {
                tracing::error!(target: "sequencer::api", ?other, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", other.to_string())
            }
        }
    }
}

/// Maps a body that could not be read: too large (413) or broken (400).
pub(crate) fn body_error(rejection: &BytesRejection) -> (StatusCode, &'static str, String) {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "request body is larger than the limit".to_owned())
    } else {
        (StatusCode::BAD_REQUEST, "bad_body", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(json!({ "error": { "code": self.code, "message": self.message } }))).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(self.retry_after.unwrap_or(1)));
        }
        response
    }
}
