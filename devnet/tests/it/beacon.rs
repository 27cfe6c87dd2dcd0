//! A beacon node's blob API for the tests, over anvil's blobs.

use axum::{
    http::{Method, StatusCode, Uri, header::CONTENT_TYPE},
    response::IntoResponse,
};
use serde_json::json;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The beacon chain a [`SpecBeacon`] serves.
pub(crate) struct BeaconChain {
    /// `genesis_time` of `/eth/v1/beacon/genesis`.
    pub(crate) genesis_time: u64,
    /// The `data` of `/eth/v1/config/spec`.
    pub(crate) spec: serde_json::Value,
    /// The execution block of each slot that has a block.
    pub(crate) slots: HashMap<u64, u64>,
    /// Whether it has pruned every blob (past its 18 days): 404 for every block.
    pub(crate) pruned: bool,
}

/// The blob routes of a beacon node as the beacon-APIs spec (ethereum/beacon-APIs) describes
/// them, not a consensus client (none can be installed here): `GET /eth/v1/beacon/genesis`,
/// `GET /eth/v1/config/spec`, and `GET /eth/v1/beacon/blobs/{block_id}` where `block_id` is a
/// slot (the blobs of the execution block in that slot, read from anvil by its number with the
/// request's query), 404 for a slot without a block or a block root it does not know,
/// an empty list for `head`, `genesis`, `finalized` and `justified`, 400 for anything else; 404
/// for every other route. It records the path and query of every request.
pub(crate) struct SpecBeacon {
    pub(crate) url: url::Url,
    asked: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl SpecBeacon {
    pub(crate) async fn start(l1: url::Url, chain: BeaconChain) -> Self {
        // Bound once and kept: the server owns the port from here on.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr")).parse().expect("url");
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (log, chain, client) = (asked.clone(), Arc::new(chain), reqwest::Client::new());
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
            let (log, chain, client, l1) = (log.clone(), chain.clone(), client.clone(), l1.clone());
            async move {
                let query = uri.query().unwrap_or_default();
                log.lock().expect("log").push(uri.path_and_query().map(ToString::to_string).unwrap_or_default());
                let error = |status: StatusCode, message: String| {
                    (status, axum::Json(json!({ "code": status.as_u16(), "message": message }))).into_response()
                };
                if method != Method::GET {
                    return error(StatusCode::METHOD_NOT_ALLOWED, format!("{method} {}", uri.path()));
                }
                let block_id = match uri.path() {
                    "/eth/v1/beacon/genesis" => {
                        let data = json!({
                            "genesis_time": chain.genesis_time.to_string(),
                            "genesis_validators_root": format!("{:#066x}", 0),
                            "genesis_fork_version": "0x00000000",
                        });
                        return axum::Json(json!({ "data": data })).into_response();
                    }
                    "/eth/v1/config/spec" => return axum::Json(json!({ "data": chain.spec })).into_response(),
                    path => match path.strip_prefix("/eth/v1/beacon/blobs/") {
                        Some(block_id) => block_id.to_string(),
                        None => return error(StatusCode::NOT_FOUND, format!("no route {path}")),
                    },
                };
                let not_found = || error(StatusCode::NOT_FOUND, format!("NOT_FOUND: beacon block {block_id}"));
                if chain.pruned {
                    return not_found();
                }
                let Ok(slot) = block_id.parse::<u64>() else {
                    return match block_id.as_str() {
                        "head" | "genesis" | "finalized" | "justified" => {
                            let empty = json!({ "execution_optimistic": false, "finalized": false, "data": [] });
                            axum::Json(empty).into_response()
                        }
                        root if root.len() == 66 && root.starts_with("0x") => not_found(),
                        _ => error(StatusCode::BAD_REQUEST, format!("Invalid block ID: {block_id}")),
                    };
                };
                let Some(number) = chain.slots.get(&slot) else { return not_found() };
                let from_l1 = format!("{}/eth/v1/beacon/blobs/{number}?{query}", l1.as_str().trim_end_matches('/'));
                match client.get(from_l1).send().await {
                    Ok(answer) => {
                        let status = StatusCode::from_u16(answer.status().as_u16()).expect("a status");
                        let body = answer.bytes().await.unwrap_or_default();
                        (status, [(CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    Err(err) => error(StatusCode::BAD_GATEWAY, err.to_string()),
                }
            }
        });
        let server = tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
        Self { url, asked, server }
    }

    /// The path and query of every request so far, in order.
    pub(crate) fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("log").clone()
    }
}

impl Drop for SpecBeacon {
    fn drop(&mut self) {
        self.server.abort();
    }
}
