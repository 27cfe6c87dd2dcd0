//! A follower's submissions go to the leader (docs/deployment.md §3): the request is sent on
//! as it came, to where the leader advertised it serves, and the leader's answer comes back as
//! it gave it (status, body, codes), so that a client pointed at a follower sees what the
//! leader would have told it. Forwarded: the REST submissions, and JSON-RPC requests that
//! submit (`eth_sendRawTransaction`, `eth_sendRawTransactionSync`) or that ask about the
//! pending block (a `"pending"` parameter: the nonce a wallet signs its next transaction with
//! counts the transactions the leader holds). A JSON-RPC batch with one such call goes whole.
//! Every other request is answered by the follower from its own state.

use super::error::ApiError;
use crate::Node;
use axum::{
    body::Body,
    extract::Request,
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::{sync::Arc, time::Duration};

/// JSON-RPC methods that submit a transaction.
const SUBMITTING: [&str; 2] = ["eth_sendRawTransaction", "eth_sendRawTransactionSync"];

/// How long a forwarded request may take (what a request may take on the leader, and a little).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(35);

/// The client a follower forwards with.
pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(FORWARD_TIMEOUT).build().unwrap_or_default()
}

/// `request` forwarded to the leader if this node follows and it is one the leader answers;
/// otherwise `Err` with the request to serve here.
pub(super) async fn to_leader(node: &Arc<Node>, http: &reqwest::Client, request: Request) -> Result<Response, Request> {
    if !node.is_following() || request.method() != Method::POST {
        return Err(request);
    }
    let path = request.uri().path().to_owned();
    let rest = matches!(path.as_str(), "/v1/transactions" | "/v1/transactions/batch");
    if !rest && path != "/" {
        return Err(request);
    }
    let (parts, body) = request.into_parts();
    // The bound of the route it goes to (a batch takes more).
    let limit = if path == "/v1/transactions/batch" {
        super::rest::batch_body_limit(node.config().body_limit)
    } else {
        node.config().body_limit
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(err) => {
            return Ok(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", err.to_string()).into_response());
        }
    };
    if !rest && !rpc_for_leader(&bytes) {
        return Err(Request::from_parts(parts, Body::from(bytes)));
    }
    // The lease as last read (every second), or read now (the first requests after a start).
    let leader = match node.cluster().leader {
        Some(leader) => Some(leader),
        None => node.store().lease().await.ok(),
    };
    let Some(leader) = leader.filter(|l| !l.url.is_empty()) else {
        return Ok(not_leader("no leader has advertised where it serves yet; try again".to_owned()));
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
    let mut forwarded = http.post(format!("{}{path}", leader.url.trim_end_matches('/'))).body(bytes);
    // The client's address, for the leader's per-address limits (it honours it from the
    // followers it lists in `--http.trusted-proxies`).
    if let Some(client) = parts.extensions.get::<crate::fair::Client>() {
        forwarded = forwarded.header("x-forwarded-for", client.ip.to_string());
    }
    if let Some(content_type) = content_type {
        forwarded = forwarded.header(header::CONTENT_TYPE, content_type);
    }
    match forwarded.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            let retry_after = answer.headers().get(header::RETRY_AFTER).cloned();
            let body = match answer.bytes().await {
                Ok(body) => body,
                Err(err) => {
                    return Ok(not_leader(format!("the leader {} did not answer in full: {err}", leader.holder)));
                }
            };
            let mut response = Response::builder().status(status);
            if let Some(content_type) = content_type {
                response = response.header(header::CONTENT_TYPE, content_type);
            }
            if let Some(retry_after) = retry_after {
                response = response.header(header::RETRY_AFTER, retry_after);
            }
            Ok(response.body(Body::from(body)).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()))
        }
        Err(err) => Ok(not_leader(format!("the leader {} at {} cannot be reached: {err}", leader.holder, leader.url))),
    }
}

/// `503 not_leader`, with a second to wait: a takeover is under way or the leader is away.
fn not_leader(message: String) -> Response {
    let mut response = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_leader", message).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Whether a JSON-RPC body (one call or a batch) holds a call the leader answers: a submission
/// or one about the pending block. A body that does not parse is served here (and refused).
fn rpc_for_leader(body: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return false };
    let calls = match &value {
        serde_json::Value::Array(calls) => calls.iter().collect(),
        call => vec![call],
    };
    calls.into_iter().any(|call| {
        let submits = call.get("method").and_then(|m| m.as_str()).is_some_and(|m| SUBMITTING.contains(&m));
        let pending = call.get("params").and_then(|p| p.as_array()).is_some_and(|params| {
            params
                .iter()
                .any(|p| p.as_str() == Some("pending") || p.get("blockTag").and_then(|t| t.as_str()) == Some("pending"))
        });
        submits || pending
    })
}

#[cfg(test)]
mod tests {
    use super::rpc_for_leader;

    #[test]
    fn submissions_and_pending_reads_go_to_the_leader() {
        let forwarded = [
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02"]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["0x00000000000000000000000000000000000000aa","pending"]}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransactionSync","params":["0x02"]}]"#,
        ];
        for body in forwarded {
            assert!(rpc_for_leader(body.as_bytes()), "{body}");
        }
        let served = [
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":["0x00000000000000000000000000000000000000aa","latest"]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["0x01"]}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}]"#,
            "not json",
        ];
        for body in served {
            assert!(!rpc_for_leader(body.as_bytes()), "{body}");
        }
    }
}
