//! The HTTP surface: REST under `/v1`, Ethereum JSON-RPC on `POST /`, `/healthz`.

mod rest;
mod rpc;

use crate::{
    error::{StoreError, SubmitError},
    node::Node,
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, rejection::BytesRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;
use std::sync::Arc;
use tower_http::cors::CorsLayer;

/// Builds the router of a node.
pub fn router(node: Arc<Node>) -> Router {
    let limit = node.config().body_limit;
    Router::new()
        .route("/", post(rpc::handle))
        .route("/healthz", get(rest::healthz))
        .route("/v1/transactions", post(rest::submit))
        .route("/v1/transactions/{hash}", get(rest::transaction))
        .route("/v1/blocks/{id}", get(rest::block))
        .route("/v1/accounts/{address}", get(rest::account))
        .route("/v1/pools", get(rest::pools))
        .route("/v1/contracts", get(rest::contracts))
        .route("/v1/status", get(rest::status))
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(CorsLayer::permissive())
        .with_state(node)
}

/// An error of the REST API: an HTTP status, a stable code and a reason.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
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
            SubmitError::Tx(_) | SubmitError::NonceTooLow { .. } | SubmitError::NonceTooHigh { .. } => {
                StatusCode::BAD_REQUEST
            }
            SubmitError::NonceConflict { .. } => StatusCode::CONFLICT,
            SubmitError::MempoolFull { .. } | SubmitError::SenderLimit { .. } => StatusCode::TOO_MANY_REQUESTS,
            SubmitError::Store(_) | SubmitError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, err.code(), err.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(target: "sequencer::api", ?err, "database error");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", err.to_string())
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
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
