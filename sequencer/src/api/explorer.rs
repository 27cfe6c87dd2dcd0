//! The explorer page at `/` (docs/explorer.md): one HTML file with its style and script,
//! built into the binary, that reads the node's own REST API and JSON-RPC from the browser.
//! No CDN, no external service; a WebSocket upgrade of `GET /` still opens JSON-RPC.

use axum::{
    http::header,
    response::{IntoResponse, Response},
};

/// The page.
const PAGE: &str = include_str!("explorer/index.html");

/// What a browser may load and reach from the page: itself and this node.
const POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                      connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

/// `GET /` without a WebSocket upgrade.
pub(super) fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
        .into_response()
}
