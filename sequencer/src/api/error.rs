//! The error both APIs answer with: an HTTP status, a stable code and a reason (REST's
//! `{"error": {"code", "message"}}`; JSON-RPC maps it to an error object).

use crate::error::{StoreError, SubmitClass, SubmitError};
use axum::{
    Json,
    extract::rejection::BytesRejection,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An error of the API: an HTTP status, a stable code and a reason.
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

    /// Its HTTP status.
    pub(crate) const fn status(&self) -> StatusCode {
        self.status
    }

    /// Its reason.
    pub(crate) fn into_message(self) -> String {
        self.message
    }
}

impl From<SubmitError> for ApiError {
    fn from(err: SubmitError) -> Self {
        let status = match err.class() {
            SubmitClass::Invalid => StatusCode::BAD_REQUEST,
            SubmitClass::Conflict => StatusCode::CONFLICT,
            SubmitClass::NotNow => StatusCode::TOO_MANY_REQUESTS,
            SubmitClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            SubmitClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
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

/// Why a body is not the JSON expected: serde's reason, or that the body is compressed
/// (the node takes uncompressed bodies only).
pub(crate) fn json_error(body: &[u8], err: &serde_json::Error) -> String {
    if body.starts_with(&[0x1f, 0x8b]) {
        "the body is gzip-compressed; send it uncompressed (no Content-Encoding is supported)".to_owned()
    } else {
        err.to_string()
    }
}
