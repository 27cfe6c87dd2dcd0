//! REST handlers under `/v1`.

use super::{
    ApiError,
    block::BlockTag,
    decode::{decode_hex, parse_hash, system_abi},
    error::{body_error, json_error},
};
use crate::error::SubmitError;
use crate::{fair::Client, node::Node, read};
use alloy_primitives::Address;
use axum::{
    Extension, Json,
    body::Bytes as Body,
    extract::{
        Path, Query, State,
        rejection::{BytesRejection, QueryRejection},
    },
    http::{StatusCode, header},
    response::IntoResponse,
};
use rollup_types::SYSTEM_CONTRACT;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

type ApiResult = Result<Json<Value>, ApiError>;

fn internal(e: serde_json::Error) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", e.to_string())
}

/// A read layer response as the body.
fn json_of(v: &impl serde::Serialize) -> ApiResult {
    serde_json::to_value(v).map(Json).map_err(internal)
}

/// `GET /healthz`: the process serves HTTP.
pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the node takes transactions and its database answers.
pub(super) async fn readyz(State(node): State<Arc<Node>>) -> Result<Json<Value>, ApiError> {
    if !node.is_accepting() {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the sequencer is shutting down"));
    }
    node.store().latest_block().await?;
    Ok(Json(json!({ "status": "ready", "head": node.head().header.number })))
}

/// `GET /metrics`: Prometheus text exposition.
pub(super) async fn metrics(State(node): State<Arc<Node>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], node.render_metrics())
}

/// Fallback for unknown routes.
pub(super) async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see docs/api.md")
}

/// Fallback for a known route called with the wrong method.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "wrong HTTP method for this route; see docs/api.md",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    raw: String,
}

/// Refuses a body sent with a `Content-Encoding` other than `identity`: 415
/// `unsupported_encoding` (a JSON-RPC error object on `POST /`).
pub(super) fn encoding_refusal(request: &axum::extract::Request) -> Option<axum::response::Response> {
    let encoding = request.headers().get(header::CONTENT_ENCODING)?;
    if encoding.to_str().is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity")) {
        return None;
    }
    let encoding = String::from_utf8_lossy(encoding.as_bytes());
    let message = format!("Content-Encoding {encoding:?} is not supported; send the body uncompressed");
    let body = if request.uri().path() == "/" {
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": -32700, "message": message } })
    } else {
        json!({ "error": { "code": "unsupported_encoding", "message": message } })
    };
    Some((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response())
}

/// Runs the REST reads (`GET /v1/…`) on the query threads once the fair share of the query
/// slots gives them one (docs/api.md §5, "Fair shares").
pub(super) async fn on_query_threads(
    node: &Node,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.method() != axum::http::Method::GET || !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let client = request.extensions().get::<Client>().copied().unwrap_or(Client::LOCAL);
    match node.query(client, next.run(request)).await {
        Ok(response) => response,
        Err(err @ crate::node::QueryError::Slot(_)) => {
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "busy", err.to_string()).into_response()
        }
        Err(err) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", err.to_string()).into_response(),
    }
}

/// `POST /v1/transactions` with `{"raw": "0x…"}`.
pub(super) async fn submit(
    State(node): State<Arc<Node>>,
    client: Option<Extension<Client>>,
    body: Result<Body, BytesRejection>,
) -> ApiResult {
    let client = client.map_or(Client::LOCAL, |Extension(c)| c);
    let body = body.map_err(|r| {
        let (status, code, message) = body_error(&r);
        ApiError::new(status, code, message)
    })?;
    let request: SubmitBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("expected {{\"raw\": \"0x…\"}}: {}", json_error(&body, &e)))
    })?;
    let raw = decode_hex(&request.raw).map_err(|e| ApiError::bad_request("invalid_hex", e))?;
    let hash = node.submit_raw_from(client, raw).await?;
    Ok(Json(json!({ "hash": hash })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    transactions: Vec<String>,
}

/// Most transactions in one batch request.
pub(crate) const MAX_BATCH_ITEMS: usize = 10_000;

/// The bound on a batch request's body: 2 KiB an item, or the bound of any body if larger.
pub(crate) const fn batch_body_limit(body_limit: usize) -> usize {
    let batch = MAX_BATCH_ITEMS * 2 * 1_024;
    if batch > body_limit { batch } else { body_limit }
}

/// `POST /v1/transactions/batch` with `{"transactions": ["0x…", …]}`: one result per item, in
/// order, each `{"hash"}` or `{"error": {"code", "message"}}`. 429 (with `Retry-After`) when
/// the node is overloaded and took none of them.
pub(super) async fn submit_batch(
    State(node): State<Arc<Node>>,
    client: Option<Extension<Client>>,
    body: Result<Body, BytesRejection>,
) -> ApiResult {
    let client = client.map_or(Client::LOCAL, |Extension(c)| c);
    let body = body.map_err(|r| {
        let (status, code, message) = body_error(&r);
        ApiError::new(status, code, message)
    })?;
    let request: BatchBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "invalid_json",
            format!("expected {{\"transactions\": [\"0x…\", …]}}: {}", json_error(&body, &e)),
        )
    })?;
    if request.transactions.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_transactions",
            format!("{} transactions in one batch; at most {MAX_BATCH_ITEMS}", request.transactions.len()),
        ));
    }
    let mut results: Vec<Option<Value>> = Vec::with_capacity(request.transactions.len());
    let mut raws = Vec::with_capacity(request.transactions.len());
    for item in &request.transactions {
        match decode_hex(item) {
            Ok(raw) => {
                raws.push(raw);
                results.push(None);
            }
            Err(e) => results.push(Some(json!({ "error": { "code": "invalid_hex", "message": e } }))),
        }
    }
    let mut submitted = node.submit_from(client, raws).await;
    // Nothing taken because the node cannot take anything now: the whole request is refused.
    if !submitted.is_empty()
        && submitted.iter().all(|r| {
            matches!(
                r,
                Err(SubmitError::Overloaded
                    | SubmitError::L1Backlog { .. }
                    | SubmitError::L1BacklogShare { .. }
                    | SubmitError::RateLimited { .. })
            )
        })
        && let Some(Err(err)) = submitted.pop()
    {
        return Err(err.into());
    }
    let mut submitted = submitted.into_iter();
    let results: Vec<Value> = results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| match submitted.next() {
                Some(Ok(hash)) => json!({ "hash": hash }),
                Some(Err(err)) => json!({ "error": { "code": err.code(), "message": err.to_string() } }),
                None => json!({ "error": { "code": "internal", "message": "no result" } }),
            })
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}

/// `GET /v1/transactions/{hash}`.
pub(super) async fn transaction(State(node): State<Arc<Node>>, Path(hash): Path<String>) -> ApiResult {
    let hash = parse_hash(&hash)?;
    let tx = read::transaction(&node, hash).await?.ok_or_else(|| ApiError::not_found("unknown transaction"))?;
    json_of(&tx)
}

/// `GET /v1/blocks/{number|hash|latest}`.
pub(super) async fn block(State(node): State<Arc<Node>>, Path(id): Path<String>) -> ApiResult {
    let block = read::block(&node, BlockTag::parse(&id)?.into()).await?;
    json_of(&block.ok_or_else(|| ApiError::not_found("unknown block"))?)
}

/// The paging of a list read: `?limit=` (1 to 100) and `?last=` (its newest item).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Page {
    limit: Option<u64>,
    last: Option<u64>,
}

const DEFAULT_PAGE: u64 = 20;

fn page(query: Result<Query<Page>, QueryRejection>) -> Result<Page, ApiError> {
    query.map(|Query(p)| p).map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
}

/// `GET /v1/blocks?limit=&last=`.
pub(super) async fn blocks(State(node): State<Arc<Node>>, query: Result<Query<Page>, QueryRejection>) -> ApiResult {
    let p = page(query)?;
    let blocks = read::blocks(&node, p.last, p.limit.unwrap_or(DEFAULT_PAGE)).await?;
    Ok(Json(json!({ "blocks": blocks })))
}

/// `GET /v1/batches?limit=&last=`.
pub(super) async fn batches(State(node): State<Arc<Node>>, query: Result<Query<Page>, QueryRejection>) -> ApiResult {
    let p = page(query)?;
    let batches = read::batches(&node, p.last, p.limit.unwrap_or(DEFAULT_PAGE)).await?;
    Ok(Json(json!({ "batches": batches })))
}

/// `GET /v1/batches/{index}`.
pub(super) async fn batch(State(node): State<Arc<Node>>, Path(index): Path<String>) -> ApiResult {
    let index = parse_u64("batch index", &index)?;
    let batch = read::batch(&node, index).await?;
    json_of(&batch.ok_or_else(|| ApiError::not_found(format!("batch {index} is not on L1 (yet)")))?)
}

/// `GET /v1/accounts/{address}`.
pub(super) async fn account(State(node): State<Arc<Node>>, Path(address): Path<String>) -> ApiResult {
    json_of(&read::account(&node, parse_address(&address)?))
}

/// `GET /v1/pools`.
pub(super) async fn pools(State(node): State<Arc<Node>>) -> ApiResult {
    let pools = read::state::pools(&node.committed_state());
    Ok(Json(json!({ "pools": pools })))
}

/// `GET /v1/markets`.
pub(super) async fn markets(State(node): State<Arc<Node>>) -> ApiResult {
    let markets = read::state::markets(&node.committed_state());
    Ok(Json(json!({ "markets": markets })))
}

/// `GET /v1/accounts/{address}/positions`.
pub(super) async fn positions(State(node): State<Arc<Node>>, Path(address): Path<String>) -> ApiResult {
    json_of(&read::positions(&node, parse_address(&address)?))
}

/// `GET /v1/contracts`.
pub(super) async fn contracts(State(node): State<Arc<Node>>) -> ApiResult {
    let tokens = read::state::tokens(&node.committed_state());
    Ok(Json(json!({
        "chainId": node.chain().chain_id,
        "contracts": [{
            "name": "L2System",
            "description": "Multi-token ledger and constant-product AMM with a router (transfer, createToken, createPool, swap, swapPath, addLiquidity, removeLiquidity)",
            "address": SYSTEM_CONTRACT,
            "abi": system_abi(),
        }],
        "tokens": tokens,
    })))
}

/// `GET /v1/status`.
pub(super) async fn status(State(node): State<Arc<Node>>) -> ApiResult {
    let head = node.head();
    let last_batch = node.store().latest_batch().await?;
    let mempool = node.mempool_len();
    let sources = node.status_sources();
    let cluster = node.cluster();
    let following = node.is_following();
    let mut body = json!({
        "role": node.role(),
        "lead": node.lead(),
        "leader": cluster.leader.as_ref().map(|l| json!({
            "holder": l.holder, "epoch": l.epoch, "url": l.url, "leaseRemainingMs": l.remaining_ms,
        })),
        "lag": if following { cluster.stored_head.saturating_sub(head.header.number) } else { 0 },
        "sequencers": cluster.members,
        "chainId": node.chain().chain_id,
        "chunkSize": node.chain().chunk_size,
        "head": {
            "number": head.header.number,
            "hash": head.hash,
            "stateRoot": head.header.state_root,
            "timestamp": head.header.timestamp,
        },
        "mempool": { "pending": mempool.0, "future": mempool.1 },
        "l1Backlog": node.l1_backlog(),
        "blocks": {
            "maxTxs": node.config().max_block_txs,
            "maxBytes": node.max_block_bytes(),
            "configuredMaxBytes": node.config().max_block_bytes,
            "l1MaxBytes": node.l1_max_block_bytes(),
            "blockTimeMs": node.config().block_time.as_millis() as u64,
        },
        "startup": node.startup(),
        "l1": {
            "settlement": sources.l1,
            "lastBatch": last_batch,
        },
    });
    if let Some(batcher) = &sources.batcher {
        body["batcher"] = serde_json::to_value(&*batcher.borrow()).unwrap_or(Value::Null);
    }
    if let Some(challenger) = &sources.challenger {
        body["challenger"] = serde_json::to_value(&*challenger.borrow()).unwrap_or(Value::Null);
    }
    Ok(Json(body))
}

fn parse_u64(what: &'static str, s: &str) -> Result<u64, ApiError> {
    s.parse()
        .map_err(|_| ApiError::bad_request("invalid_index", format!("{s:?} is not a {what} (a decimal below 2^64)")))
}

/// `GET /v1/deposits/{index}`: entry `index` of the bridge's queue (a deposit, a forced
/// transaction or an L1 fee reading) and where it stands: `queued` (read from L1, not in a block
/// yet) or the block that consumed it, its outcome, and that block's settlement.
pub(super) async fn deposit(State(node): State<Arc<Node>>, Path(index): Path<String>) -> ApiResult {
    let index = parse_u64("queue index", &index)?;
    let entry = read::queue_entry(&node, index).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "queue entry {index} was not read from L1 (it does not exist, or is less than the queue reader's \
             confirmations deep)"
        ))
    })?;
    json_of(&entry)
}

fn parse_address(address: &str) -> Result<Address, ApiError> {
    address
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_address", format!("{address:?} is not a 20-byte 0x-hex address")))
}

/// `GET /v1/withdrawals/{sender}/{index}`: withdrawal `index` of `sender`, where its block
/// stands (`included`, `posted`, `finalized`) and, once the L1 bridge paid it, `payout`.
pub(super) async fn withdrawal(
    State(node): State<Arc<Node>>,
    Path((sender, index)): Path<(String, String)>,
) -> ApiResult {
    let (sender, index) = (parse_address(&sender)?, parse_u64("withdrawal index", &index)?);
    let (w, settlement, payout) = read::withdrawal(&node, sender, index)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no withdrawal {index} of {sender} was written on L2")))?;
    let mut body = serde_json::to_value(&w).map_err(internal)?;
    body["status"] = json!(settlement.status);
    body["batch"] = json!(settlement.batch);
    body["payout"] = json!(payout.map(|p| json!({
        "l1Block": p.l1_block,
        "l1TxHash": p.l1_tx_hash,
        "batchIndex": p.batch_index,
    })));
    Ok(Json(body))
}

/// `GET /v1/withdrawals/{sender}/{index}/proof`: what `L1Bridge.finalizeWithdrawal` takes for
/// this withdrawal: the newest batch on L1, the withdrawal's fields and the siblings of its
/// leaf up to that batch's state root (docs/bridge.md §5.2). The batch must be final before
/// the bridge pays (`finalized` says whether it is).
pub(super) async fn withdrawal_proof(
    State(node): State<Arc<Node>>,
    Path((sender, index)): Path<(String, String)>,
) -> ApiResult {
    use crate::node::ProofError;
    let (sender, index) = (parse_address(&sender)?, parse_u64("withdrawal index", &index)?);
    let proof = read::withdrawal_proof(&node, sender, index).await.map_err(|e| match e {
        ProofError::Unknown { .. } => ApiError::not_found(e.to_string()),
        ProofError::NotPosted { .. } => ApiError::new(StatusCode::CONFLICT, "not_posted", e.to_string()),
        ProofError::Node(err) => ApiError::from(err),
    })?;
    Ok(Json(json!({
        "batchIndex": proof.batch.index,
        "stateRoot": proof.batch.state_root,
        "finalized": proof.batch.finalized,
        "postedAt": proof.batch.posted_at,
        "withdrawal": read::WithdrawalView::from(&proof.withdrawal),
        "siblings": proof.siblings,
    })))
}
