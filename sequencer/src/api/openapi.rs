//! The route table of the HTTP API and the OpenAPI 3 document generated from it.
//!
//! Every route is declared once, here, with its handler and its documentation; the router
//! and `/v1/openapi.json` are both built from this table, so neither can list a route the
//! other lacks.

use super::{rest, rpc};
use crate::node::Node;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{MethodRouter, get, post},
};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// One documented route.
pub(crate) struct Route {
    /// `get` or `post`.
    method: &'static str,
    /// Path in axum's syntax, which OpenAPI shares (`/v1/blocks/{id}`).
    path: &'static str,
    /// One-line summary.
    summary: &'static str,
    /// Parameters: (name, description, pattern); those not named in the path are optional
    /// query parameters.
    params: &'static [(&'static str, &'static str, &'static str)],
    /// Request body schema, if any.
    body: Option<Value>,
    /// Responses: (status, description, schema).
    responses: Vec<(u16, &'static str, Value)>,
    handler: MethodRouter<Arc<Node>>,
}

fn error_ref() -> Value {
    json!({ "$ref": "#/components/schemas/Error" })
}

fn hex(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^0x[0-9a-fA-F]*$", "description": description })
}

/// Hex of one byte or more (`0x` alone is refused).
fn bytes(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^0x([0-9a-fA-F]{2})+$", "description": description })
}

fn object(properties: Value) -> Value {
    json!({ "type": "object", "properties": properties })
}

/// A batch as the read layer serves it (`read::BatchView`).
fn batch_schema() -> Value {
    object(json!({
        "index": { "type": "integer" }, "firstBlock": { "type": "integer" }, "lastBlock": { "type": "integer" },
        "stateRoot": hex("State root it posted"), "dataLen": { "type": "integer" },
        "chunkCount": { "type": "integer" }, "l1TxHash": hex("L1 transaction of the post"),
        "l1Block": { "type": "integer" }, "postedAt": { "type": "integer" }, "finalized": { "type": "boolean" },
        "stage": { "type": "string", "enum": ["posted", "verified", "final", "disputed"] }
    }))
}

fn submission_errors() -> Vec<(u16, &'static str, Value)> {
    vec![
        (400, "Refused: malformed, badly signed, wrong chain, wrong nonce, unknown operation", error_ref()),
        (409, "A pending transaction has this nonce and the new one does not raise the fees by 10 %", error_ref()),
        (413, "Body too large", error_ref()),
        (429, "Mempool or database queue full (Retry-After: 1)", error_ref()),
        (503, "Database unavailable or shutting down", error_ref()),
    ]
}

/// The routes, with their handlers. `body_limit` is the ordinary request limit; batches get
/// room for their most items.
pub(crate) fn routes(body_limit: usize) -> Vec<Route> {
    let batch_limit = rest::batch_body_limit(body_limit);
    let mut submit_responses =
        vec![(200, "Acknowledged: on disk and held for a block", object(json!({ "hash": hex("Transaction hash") })))];
    submit_responses.extend(submission_errors());
    let item = json!({
        "oneOf": [
            object(json!({ "hash": hex("Transaction hash") })),
            object(json!({ "error": error_ref() })),
        ]
    });
    vec![
        Route {
            method: "post",
            path: "/",
            summary: "Ethereum JSON-RPC (one request or a batch); see docs/api.md section 3",
            params: &[],
            body: Some(json!({ "oneOf": [{ "type": "object" }, { "type": "array", "items": { "type": "object" } }] })),
            responses: vec![(200, "JSON-RPC response (errors use the standard codes)", json!({}))],
            handler: post(rpc::handle),
        },
        Route {
            method: "get",
            path: "/",
            summary: "Ethereum JSON-RPC over a WebSocket (upgrade): every method of POST /, plus eth_subscribe \
                      (newHeads, logs, newPendingTransactions) and eth_unsubscribe; see docs/api.md section 3.0e. \
                      Without an upgrade: the explorer page",
            params: &[],
            body: None,
            responses: vec![
                (101, "Switching to the WebSocket protocol", json!({})),
                (200, "Without an Upgrade header: the explorer page (docs/explorer.md)", json!({ "type": "string" })),
                (400, "A WebSocket upgrade that is not one (not_a_websocket)", error_ref()),
            ],
            handler: get(rpc::upgrade),
        },
        Route {
            method: "get",
            path: "/healthz",
            summary: "Liveness: the process serves HTTP",
            params: &[],
            body: None,
            responses: vec![(200, "Alive", object(json!({ "status": { "type": "string" } })))],
            handler: get(rest::healthz),
        },
        Route {
            method: "get",
            path: "/readyz",
            summary: "Readiness: takes transactions and the database answers",
            params: &[],
            body: None,
            responses: vec![
                (200, "Ready", object(json!({ "status": { "type": "string" }, "head": { "type": "integer" } }))),
                (503, "Shutting down or database unavailable", error_ref()),
            ],
            handler: get(rest::readyz),
        },
        Route {
            method: "get",
            path: "/metrics",
            summary: "Prometheus metrics, text exposition format 0.0.4",
            params: &[],
            body: None,
            responses: vec![(200, "Metrics", json!({ "type": "string" }))],
            handler: get(rest::metrics),
        },
        Route {
            method: "get",
            path: "/v1/openapi.json",
            summary: "This document",
            params: &[],
            body: None,
            responses: vec![(200, "OpenAPI 3.0 document", json!({ "type": "object" }))],
            handler: get(openapi_handler),
        },
        Route {
            method: "post",
            path: "/v1/transactions",
            summary: "Submit one signed transaction (EIP-2718 bytes, hex)",
            params: &[],
            body: Some(json!({
                "type": "object", "required": ["raw"], "additionalProperties": false,
                "properties": { "raw": bytes("The signed transaction, EIP-2718 encoded (at least one byte)") }
            })),
            responses: submit_responses,
            handler: post(rest::submit),
        },
        Route {
            method: "post",
            path: "/v1/transactions/batch",
            summary: "Submit up to 10000 signed transactions; one result per item, in order",
            params: &[],
            body: Some(json!({
                "type": "object", "required": ["transactions"], "additionalProperties": false,
                "properties": { "transactions": { "type": "array", "maxItems": rest::MAX_BATCH_ITEMS, "items": bytes("A signed transaction") } }
            })),
            responses: vec![
                (200, "One result per item", object(json!({ "results": { "type": "array", "items": item } }))),
                (400, "The body is not the expected JSON", error_ref()),
                (413, "More than 10000 items, or body too large", error_ref()),
                (429, "Overloaded: none was taken (Retry-After: 1)", error_ref()),
            ],
            handler: post(rest::submit_batch).layer(DefaultBodyLimit::max(batch_limit)),
        },
        Route {
            method: "get",
            path: "/v1/transactions/{hash}",
            summary: "A transaction, its lifecycle (pending, included, posted, finalized, rejected, replaced, evicted) and receipt",
            params: &[("hash", "Transaction hash, 0x-hex", "^0x[0-9a-fA-F]{64}$")],
            body: None,
            responses: vec![
                (
                    200,
                    "The transaction",
                    object(json!({
                        "hash": hex("Hash"), "status": { "type": "string", "enum": ["pending", "included", "posted", "finalized", "rejected", "replaced", "evicted"] },
                        "from": hex("Sender"), "nonce": { "type": "integer" }, "blockNumber": { "type": "integer", "nullable": true },
                        "index": { "type": "integer", "nullable": true }, "receipt": { "type": "object", "nullable": true },
                        "reason": { "type": "string", "nullable": true }, "batch": { "type": "object", "nullable": true }
                    })),
                ),
                (400, "Not a hash", error_ref()),
                (404, "Unknown transaction", error_ref()),
            ],
            handler: get(rest::transaction),
        },
        Route {
            method: "get",
            path: "/v1/blocks/{id}",
            summary: "A block by number (decimal or 0x), hash, latest or earliest",
            params: &[(
                "id",
                "Block number (decimal or 0x-hex, below 2^64), hash, latest or earliest",
                "^(latest|earliest|[0-9]{1,20}|0x[0-9a-fA-F]{1,16}|0x[0-9a-fA-F]{64})$",
            )],
            body: None,
            responses: vec![
                (
                    200,
                    "The block",
                    object(json!({
                        "number": { "type": "integer" }, "hash": hex("Hash"), "parentHash": hex("Parent"),
                        "timestamp": { "type": "integer" }, "stateRoot": hex("State root"),
                        "chunkRoots": { "type": "array", "items": hex("State root after a chunk") },
                        "gasUsed": { "type": "integer" }, "transactions": { "type": "array", "items": hex("Hash") },
                        "status": { "type": "string", "enum": ["included", "posted", "finalized"] },
                        "batch": { "oneOf": [batch_schema(), { "type": "null" }] }
                    })),
                ),
                (400, "Not a block id", error_ref()),
                (404, "Unknown block", error_ref()),
            ],
            handler: get(rest::block),
        },
        Route {
            method: "get",
            path: "/v1/blocks",
            summary: "The latest blocks, newest first: header fields and transaction counts",
            params: &[
                ("limit", "How many, 1 to 100 (default 20)", "^[0-9]{1,20}$"),
                ("last", "The newest block of the page (default: the head)", "^[0-9]{1,20}$"),
            ],
            body: None,
            responses: vec![
                (
                    200,
                    "The blocks",
                    object(json!({ "blocks": { "type": "array", "items": object(json!({
                        "number": { "type": "integer" }, "hash": hex("Hash"), "timestamp": { "type": "integer" },
                        "gasUsed": { "type": "integer" }, "txCount": { "type": "integer" },
                        "poolTxs": { "type": "integer" }, "batchBytes": { "type": "integer" }
                    })) } })),
                ),
                (400, "Not a number", error_ref()),
            ],
            handler: get(rest::blocks),
        },
        Route {
            method: "get",
            path: "/v1/batches",
            summary: "The latest batches on L1, newest first, each with its stage (posted, verified, final, disputed)",
            params: &[
                ("limit", "How many, 1 to 100 (default 20)", "^[0-9]{1,20}$"),
                ("last", "The newest batch of the page (default: the newest)", "^[0-9]{1,20}$"),
            ],
            body: None,
            responses: vec![
                (200, "The batches", object(json!({ "batches": { "type": "array", "items": batch_schema() } }))),
                (400, "Not a number", error_ref()),
            ],
            handler: get(rest::batches),
        },
        Route {
            method: "get",
            path: "/v1/batches/{index}",
            summary: "A batch on L1 by its inbox index, with its stage",
            params: &[("index", "Inbox index, decimal", "^[0-9]{1,20}$")],
            body: None,
            responses: vec![
                (200, "The batch", batch_schema()),
                (400, "Not an index", error_ref()),
                (404, "No such batch on L1 (yet)", error_ref()),
            ],
            handler: get(rest::batch),
        },
        Route {
            method: "get",
            path: "/v1/accounts/{address}",
            summary: "Committed and pending nonce, token balances",
            params: &[("address", "Account address, 0x-hex", "^(0x)?[0-9a-fA-F]{40}$")],
            body: None,
            responses: vec![
                (
                    200,
                    "The account",
                    object(json!({
                        "address": hex("Address"), "nonce": { "type": "integer" }, "pendingNonce": { "type": "integer" },
                        "balances": { "type": "array", "items": { "type": "object" } }
                    })),
                ),
                (400, "Not an address", error_ref()),
            ],
            handler: get(rest::account),
        },
        Route {
            method: "get",
            path: "/v1/pools",
            summary: "AMM pools and reserves",
            params: &[],
            body: None,
            responses: vec![(
                200,
                "Pools",
                object(json!({ "pools": { "type": "array", "items": { "type": "object" } } })),
            )],
            handler: get(rest::pools),
        },
        Route {
            method: "get",
            path: "/v1/markets",
            summary: "The money market's markets: parameters, indices, totals and cash",
            params: &[],
            body: None,
            responses: vec![(
                200,
                "Markets",
                object(json!({ "markets": { "type": "array", "items": { "type": "object" } } })),
            )],
            handler: get(rest::markets),
        },
        Route {
            method: "get",
            path: "/v1/accounts/{address}/positions",
            summary: "An account's supplies and debts in the money market, and its health",
            params: &[("address", "Account address, 0x-hex", "^(0x)?[0-9a-fA-F]{40}$")],
            body: None,
            responses: vec![
                (
                    200,
                    "Its positions and health (null when a market's asset has no price)",
                    object(json!({
                        "address": hex("Address"),
                        "positions": { "type": "array", "items": { "type": "object" } },
                        "health": {
                            "type": ["object", "null"],
                            "properties": {
                                "collateral": { "type": "string" },
                                "borrowable": { "type": "string" },
                                "debt": { "type": "string" },
                                "healthFactor": { "type": ["string", "null"] },
                                "liquidatable": { "type": "boolean" }
                            }
                        }
                    })),
                ),
                (400, "Not an address", error_ref()),
            ],
            handler: get(rest::positions),
        },
        Route {
            method: "get",
            path: "/v1/contracts",
            summary: "The system contract (address, ABI) and the tokens",
            params: &[],
            body: None,
            responses: vec![(200, "Contracts", json!({ "type": "object" }))],
            handler: get(rest::contracts),
        },
        Route {
            method: "get",
            path: "/v1/deposits/{index}",
            summary: "Entry of the bridge's L1 → L2 queue (a deposit or a forced transaction): queued, or the block that consumed it, its outcome and settlement",
            params: &[("index", "Queue index, decimal", "^[0-9]{1,20}$")],
            body: None,
            responses: vec![
                (
                    200,
                    "The entry",
                    object(json!({
                        "index": { "type": "integer" }, "kind": { "type": "string", "enum": ["deposit", "forced"] },
                        "from": hex("L1 account that queued it"), "l1Block": { "type": "integer" },
                        "status": { "type": "string", "enum": ["queued", "included", "posted", "finalized"] },
                        "blockNumber": { "type": "integer", "nullable": true },
                        "outcome": { "type": "string", "nullable": true, "enum": ["credited", "success", "revert", "halt", "skipped"] },
                        "batch": { "type": "object", "nullable": true }
                    })),
                ),
                (400, "Not an index", error_ref()),
                (404, "Not read from L1 (yet)", error_ref()),
            ],
            handler: get(rest::deposit),
        },
        Route {
            method: "get",
            path: "/v1/withdrawals/{sender}/{index}",
            summary: "A withdrawal written on L2, where its block stands (included, posted, finalized) and its payout on L1",
            params: &[
                ("sender", "The L2 account that withdrew, 0x-hex", "^(0x)?[0-9a-fA-F]{40}$"),
                ("index", "Its index among the sender's withdrawals, decimal", "^[0-9]{1,20}$"),
            ],
            body: None,
            responses: vec![
                (
                    200,
                    "The withdrawal",
                    object(json!({
                        "l2Sender": hex("Sender"), "index": { "type": "integer" }, "l1Token": hex("L1 asset (zero: ether)"),
                        "recipient": hex("L1 recipient"), "amount": { "type": "string" }, "leaf": hex("Leaf value"),
                        "status": { "type": "string", "enum": ["included", "posted", "finalized"] },
                        "payout": {
                            "description": "The L1 transaction that paid it (L1Bridge.WithdrawalFinalized, read at the \
                                            queue reader's confirmation depth); null until then",
                            "oneOf": [{ "type": "null" }, object(json!({
                                "l1Block": { "type": "integer" }, "l1TxHash": hex("L1 transaction"),
                                "batchIndex": { "type": "integer" }
                            }))]
                        }
                    })),
                ),
                (400, "Not an address or index", error_ref()),
                (404, "No such withdrawal", error_ref()),
            ],
            handler: get(rest::withdrawal),
        },
        Route {
            method: "get",
            path: "/v1/withdrawals/{sender}/{index}/proof",
            summary: "What L1Bridge.finalizeWithdrawal takes: the newest batch on L1, the withdrawal and the siblings of its leaf",
            params: &[
                ("sender", "The L2 account that withdrew, 0x-hex", "^(0x)?[0-9a-fA-F]{40}$"),
                ("index", "Its index among the sender's withdrawals, decimal", "^[0-9]{1,20}$"),
            ],
            body: None,
            responses: vec![
                (
                    200,
                    "The proof",
                    object(json!({
                        "batchIndex": { "type": "integer" }, "stateRoot": hex("The batch's state root"),
                        "finalized": { "type": "boolean" }, "withdrawal": { "type": "object" },
                        "siblings": { "type": "array", "items": hex("Sibling, root down") }
                    })),
                ),
                (400, "Not an address or index", error_ref()),
                (404, "No such withdrawal", error_ref()),
                (409, "Not in a batch on L1 yet (not_posted)", error_ref()),
            ],
            handler: get(rest::withdrawal_proof),
        },
        Route {
            method: "get",
            path: "/v1/status",
            summary: "Role (leader or follower), head, mempool, startup, L1 settlement, batcher and challenger",
            params: &[],
            body: None,
            responses: vec![(200, "Status", json!({ "type": "object" }))],
            handler: get(rest::status),
        },
    ]
}

/// Adds every route of `routes` to a router.
pub(crate) fn add_routes(mut router: Router<Arc<Node>>, routes: Vec<Route>) -> Router<Arc<Node>> {
    for route in routes {
        router = router.route(route.path, route.handler);
    }
    router
}

/// The OpenAPI 3.0 document of `routes`.
pub(crate) fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let mut responses = Map::new();
        for (status, description, schema) in &route.responses {
            let content_type = match (route.path, *status) {
                ("/metrics", _) => "text/plain",
                ("/", 200) if route.method == "get" => "text/html",
                _ => "application/json",
            };
            responses.insert(
                status.to_string(),
                json!({ "description": description, "content": { content_type: { "schema": schema } } }),
            );
        }
        let mut operation = json!({
            "summary": route.summary,
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '.'], "_")),
            "responses": responses,
        });
        if !route.params.is_empty() {
            // A parameter named in the path is the path's; the others are optional queries.
            operation["parameters"] = route
                .params
                .iter()
                .map(|(name, description, pattern)| {
                    let in_path = route.path.contains(&format!("{{{name}}}"));
                    json!({
                        "name": name, "in": if in_path { "path" } else { "query" }, "required": in_path,
                        "description": description, "schema": { "type": "string", "pattern": pattern },
                    })
                })
                .collect();
        }
        if let Some(body) = &route.body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": body } } });
        }
        let entry = paths.entry(route.path.to_owned()).or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Optimistic rollup sequencer",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST and JSON-RPC of the sequencer. Errors carry a stable code; see docs/api.md.",
        },
        "paths": paths,
        "components": { "schemas": { "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message"],
                "properties": { "code": { "type": "string", "description": "Stable, machine-readable" }, "message": { "type": "string" } }
            } }
        } } },
    })
}

/// `GET /v1/openapi.json`: the document does not depend on the node's settings, so it is
/// generated once.
async fn openapi_handler() -> axum::Json<Value> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    axum::Json(DOCUMENT.get_or_init(|| document(&routes(0))).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_once_with_its_parameters() {
        let routes = routes(128 * 1024);
        let doc = document(&routes);
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(paths.values().map(|p| p.as_object().map_or(0, Map::len)).sum::<usize>(), routes.len());
        for route in &routes {
            let op = &doc["paths"][route.path][route.method];
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{}", route.path);
            // Every `{name}` of the path is a declared parameter.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|p| p.iter().filter(|x| x["in"] == "path").filter_map(|x| x["name"].as_str()).collect())
                .unwrap_or_default();
            let in_path: Vec<&str> =
                route.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
            assert_eq!(declared, in_path, "{}", route.path);
        }
    }
}
