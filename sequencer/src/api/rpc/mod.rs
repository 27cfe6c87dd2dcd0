//! The Ethereum JSON-RPC subset wallets and tools use (cast, alloy, viem, ethers), on
//! `POST /`: the transport (single requests and batches, bounded) here, requests parsed once
//! into typed [`EthRequest`]s (`request.rs`), errors mapped in one place (`error.rs`), and the
//! node's records shaped as the standard types (`convert.rs`).

mod convert;
mod cost;
mod error;
mod filters;
mod json;
mod logs;
mod raw;
mod request;
mod ws;

pub(crate) use filters::Filters;
pub use ws::MAX_SUBSCRIPTIONS_PER_CONNECTION;
pub(super) use ws::upgrade;

use self::{
    convert::{rpc_block, rpc_receipt, rpc_transaction},
    error::RpcError,
    request::EthRequest,
};
use super::{
    block::BlockTag,
    decode::{decode_hex, revert_reason},
    error::body_error,
    error::json_error,
};
use crate::{
    error::SubmitError,
    fair::Client,
    node::{BlockRef, CallBudget, HistoryError, Node, QueryError, StateView},
    store::{ReceiptPosition, StoredBlock, StoredStatus, TxRecord},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U64, U256};
use alloy_rpc_types_eth::{FeeHistory, TransactionRequest};
use axum::{
    Extension, Json,
    body::Bytes as Body,
    extract::{State, rejection::BytesRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use rollup_executor::{BlockEnvInput, CallRequest, Fetched, StateAt, TxStatus};
use rollup_types::smt::{Proof, Terminal};
use rollup_types::{
    SYSTEM_CONTRACT,
    chain::{MAX_TX_GAS_LIMIT, MIN_TX_GAS_LIMIT},
};
use serde_json::{Value, json};
use std::sync::Arc;

fn reply(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(err) => json!({ "jsonrpc": "2.0", "id": id, "error": err.to_json() }),
    }
}

/// A result: a JSON value, or JSON already serialized from a typed answer (receipts, logs,
/// transactions: written once, without a JSON tree in between).
enum Answer {
    Value(Value),
    Raw(Vec<u8>),
}

impl From<Value> for Answer {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

/// `v` serialized once, as the result.
fn raw<T: serde::Serialize>(v: &T) -> Result<Answer, RpcError> {
    serde_json::to_vec(v).map(Answer::Raw).map_err(|e| RpcError::internal(e.to_string()))
}

/// A receipt as JSON bytes: written directly when it is of a shape `json::receipt_json`
/// writes, by serde otherwise.
fn receipt_bytes(receipt: &convert::Shaped<alloy_rpc_types_eth::TransactionReceipt>) -> Result<Vec<u8>, RpcError> {
    if let convert::Shaped::Typed(typed) = receipt
        && let Some(bytes) = json::receipt_json(typed)
    {
        return Ok(bytes);
    }
    serde_json::to_vec(receipt).map_err(|e| RpcError::internal(e.to_string()))
}

/// A reply as bytes: `{"jsonrpc":"2.0","id":…,"result":…}` or `…,"error":…}`.
fn reply_bytes(id: Value, result: Result<Answer, RpcError>) -> Vec<u8> {
    match result {
        Ok(Answer::Raw(result)) => {
            let id = serde_json::to_vec(&id).unwrap_or_else(|_| b"null".to_vec());
            let mut out = Vec::with_capacity(36 + id.len() + result.len());
            out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
            out.extend_from_slice(&id);
            out.extend_from_slice(br#","result":"#);
            out.extend_from_slice(&result);
            out.push(b'}');
            out
        }
        Ok(Answer::Value(value)) => serde_json::to_vec(&reply(id, Ok(value))).unwrap_or_default(),
        Err(err) => serde_json::to_vec(&reply(id, Err(err))).unwrap_or_default(),
    }
}

/// `POST /`: one request or a batch.
pub(super) async fn handle(
    State(node): State<Arc<Node>>,
    Extension(filters): Extension<Arc<Filters>>,
    client: Option<Extension<Client>>,
    body: Result<Body, BytesRejection>,
) -> Response {
    let client = client.map_or(Client::LOCAL, |Extension(c)| c);
    let ctx = Ctx { node, filters, client };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let (status, _, message) = body_error(&rejection);
            let err = RpcError::new(if status == StatusCode::PAYLOAD_TOO_LARGE { -32600 } else { -32700 }, message);
            return (status, Json(reply(Value::Null, Err(err)))).into_response();
        }
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("parse error: {}", json_error(&body, &e));
            return Json(reply(Value::Null, Err(RpcError::new(-32700, message)))).into_response();
        }
    };
    ([(axum::http::header::CONTENT_TYPE, "application/json")], answer(&ctx, request).await).into_response()
}

/// The answer to one parsed request or a batch, as JSON bytes: what `POST /` and a WebSocket
/// message are both answered with. A request alone that answers from memory (or waits in a
/// fair pool of its own) is answered here; anything else, batches included, on the query
/// threads once the fair share of the query slots gives it one.
async fn answer(ctx: &Ctx, request: Value) -> Vec<u8> {
    if request.is_object() {
        // A request alone is parsed once, here, whichever threads answer it.
        let parsed = match Parsed::of(request) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        };
        let inline = parsed.request.as_ref().map_or(true, |r| cost::answered_inline(r, &ctx.node));
        if inline {
            return one_parsed(ctx, parsed, &mut Budget::new(ctx)).await;
        }
        let id = parsed.id.clone();
        let task = {
            let ctx = ctx.clone();
            async move { one_parsed(&ctx, parsed, &mut Budget::new(&ctx)).await }
        };
        return match ctx.node.query(ctx.client, task).await {
            Ok(body) => body,
            Err(err) => reply_bytes(id, Err(query_error(&err))),
        };
    }
    let ids: Vec<Value> = match &request {
        Value::Array(items) => items.iter().map(|r| r.get("id").cloned().unwrap_or(Value::Null)).collect(),
        single => vec![single.get("id").cloned().unwrap_or(Value::Null)],
    };
    let batch = request.is_array();
    let task = {
        let ctx = ctx.clone();
        async move { answer_here(&ctx, request).await }
    };
    match ctx.node.query(ctx.client, task).await {
        Ok(body) => body,
        Err(err) => {
            let err = query_error(&err);
            if batch && !ids.is_empty() {
                let replies: Vec<Value> = ids.into_iter().map(|id| reply(id, Err(err.clone()))).collect();
                serde_json::to_vec(&replies).unwrap_or_default()
            } else {
                let id = ids.into_iter().next().unwrap_or(Value::Null);
                serde_json::to_vec(&reply(id, Err(err))).unwrap_or_default()
            }
        }
    }
}

/// The error a request gets when the query threads did not answer it.
fn query_error(err: &QueryError) -> RpcError {
    match err {
        QueryError::Slot(_) => RpcError::limit("busy", err.to_string()),
        QueryError::Failed(_) => RpcError::internal(err.to_string()),
    }
}

/// One request taken apart: its id, its method and what it asks, parsed (or why not).
struct Parsed {
    id: Value,
    method: String,
    request: Result<EthRequest, RpcError>,
}

impl Parsed {
    /// Takes `request` apart without copying its parameters; `Err` is the reply to a request
    /// that is not one (no method, parameters not an array).
    fn of(mut request: Value) -> Result<Self, Vec<u8>> {
        let id = request.get_mut("id").map(Value::take).unwrap_or(Value::Null);
        let params = match request.get_mut("params").map(Value::take) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(reply_bytes(id, Err(RpcError::new(-32602, "params must be an array")))),
        };
        let Some(method) = request.get("method").and_then(Value::as_str) else {
            let err = RpcError::new(-32600, "invalid request: a \"method\" string is required");
            return Err(reply_bytes(id, Err(err)));
        };
        let parsed = EthRequest::parse(method, params);
        Ok(Self { id, method: method.to_owned(), request: parsed })
    }
}

impl Budget {
    /// A request's whole budget (a batch's, shared by its items).
    fn new(ctx: &Ctx) -> Self {
        let config = ctx.node.config();
        Self { calls: CallBudget::new(&config.calls, ctx.client), work_left: config.http.request_work }
    }
}

/// [`answer`], where it is called.
async fn answer_here(ctx: &Ctx, request: Value) -> Vec<u8> {
    let mut budget = Budget::new(ctx);
    match request {
        Value::Array(requests) if requests.is_empty() => {
            serde_json::to_vec(&reply(Value::Null, Err(RpcError::new(-32600, "empty batch")))).unwrap_or_default()
        }
        Value::Array(requests) if requests.len() > MAX_BATCH_ITEMS => serde_json::to_vec(&reply(
            Value::Null,
            Err(RpcError::new(
                -32600,
                format!("batch of {} requests; at most {MAX_BATCH_ITEMS} per batch", requests.len()),
            )),
        ))
        .unwrap_or_default(),
        Value::Array(requests) => {
            // Replies are written as they come, and the answer is bounded: once it would pass
            // MAX_RESPONSE_BYTES, the remaining requests are answered with an error instead.
            let mut body = Vec::with_capacity(1024);
            body.push(b'[');
            for (i, request) in requests.into_iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                let id = request.get("id").cloned().unwrap_or(Value::Null);
                let mut item =
                    if body.len() < MAX_RESPONSE_BYTES { one(ctx, request, &mut budget).await } else { Vec::new() };
                if item.is_empty() || body.len() + item.len() > MAX_RESPONSE_BYTES {
                    let err = RpcError::limit(
                        "response_too_large",
                        format!(
                            "the answer to this batch would pass {MAX_RESPONSE_BYTES} bytes; ask for less per batch"
                        ),
                    );
                    item = serde_json::to_vec(&reply(id, Err(err))).unwrap_or_default();
                }
                body.extend_from_slice(&item);
            }
            body.push(b']');
            body
        }
        request => one(ctx, request, &mut budget).await,
    }
}

/// What one request (a batch as a whole) may still spend: its calls' gas and time, and work
/// units for everything else.
struct Budget {
    calls: CallBudget,
    work_left: u64,
}

/// Most requests in one JSON-RPC batch (geth's default too).
pub(crate) const MAX_BATCH_ITEMS: usize = 1_000;
/// Largest answer to a JSON-RPC batch, in bytes (geth's default too).
pub(crate) const MAX_RESPONSE_BYTES: usize = 25 * 1024 * 1024;
/// Most blocks one `eth_feeHistory` answers for.
pub(crate) const MAX_FEE_HISTORY_BLOCKS: u64 = 1_024;
/// Most blocks `eth_feeHistory` answers with reward percentiles: each reads every transaction
/// of its block (up to 10,000), so fewer are answered, the newest (the answer's
/// `oldestBlock` says from where, as the method allows).
pub(crate) const MAX_FEE_HISTORY_REWARD_BLOCKS: u64 = 64;

/// What a request is answered with: the node, the installed filters and whose it is.
#[derive(Clone)]
struct Ctx {
    node: Arc<Node>,
    filters: Arc<Filters>,
    client: Client,
}

/// One request's reply as JSON bytes, within the request's budget and its client's work rate;
/// what it cost is charged to both.
async fn one(ctx: &Ctx, request: Value, budget: &mut Budget) -> Vec<u8> {
    match Parsed::of(request) {
        Ok(parsed) => one_parsed(ctx, parsed, budget).await,
        Err(reply) => reply,
    }
}

/// [`one`] of a request taken apart.
async fn one_parsed(ctx: &Ctx, parsed: Parsed, budget: &mut Budget) -> Vec<u8> {
    let Parsed { id, method, request: parsed } = parsed;
    let mut charge = None;
    let result = match parsed {
        Ok(request) => {
            let estimate = cost::estimate(&request, MAX_FEE_HISTORY_BLOCKS);
            let call = cost::is_call(&request);
            if !call && estimate > budget.work_left {
                Err(RpcError::limit(
                    "request_budget",
                    format!(
                        "this request used its work budget ({} units; this item needs about {estimate}, {} are left); \
                         send fewer or smaller requests per batch",
                        ctx.node.config().http.request_work,
                        budget.work_left
                    ),
                ))
            } else if let Err(err) = ctx.node.check_work(ctx.client, estimate) {
                Err(RpcError::limit("work_rate_limited", err.to_string()))
            } else {
                let gas_before = budget.calls.gas_left();
                let result = dispatch(ctx, request, &mut budget.calls).await;
                charge = Some((estimate, call, gas_before.saturating_sub(budget.calls.gas_left())));
                result
            }
        }
        Err(err) => Err(err),
    };
    if let Err(err) = &result {
        tracing::debug!(target: "sequencer::rpc", method, code = err.code, message = %err.message, "request failed");
    }
    let body = reply_bytes(id, result);
    if let Some((estimate, call, gas)) = charge {
        let units = cost::charged(estimate, body.len(), gas);
        if !call {
            budget.work_left = budget.work_left.saturating_sub(units);
        }
        ctx.node.spend_work(ctx.client, units);
    }
    body
}

fn quantity(v: u64) -> Value {
    json!(U64::from(v))
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::internal(e.to_string()))
}

/// The block a read at `id` is answered at (docs/api.md §3.0f): the head for no block,
/// `latest`, `pending`, `safe` and `finalized`; otherwise the block by number, `earliest` or
/// hash. A number past the head or an unknown hash is "header not found".
async fn block_number(node: &Node, id: Option<BlockId>) -> Result<u64, RpcError> {
    match id {
        None
        | Some(BlockId::Number(
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending | BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized,
        )) => Ok(node.latest_state().block.number),
        Some(BlockId::Number(BlockNumberOrTag::Number(n))) => Ok(n),
        Some(BlockId::Number(BlockNumberOrTag::Earliest)) => Ok(0),
        Some(BlockId::Hash(h)) => match node.state_at_hash(&h.block_hash) {
            Ok(view) => Ok(view.block.number),
            // A sealed block older than the history is refused as such, not as unknown.
            Err(_) => match node.store().block_by_hash(h.block_hash).await? {
                Some(block) => Ok(block.header.number),
                None => Err(HistoryError::NotFound.into()),
            },
        },
    }
}

/// Most state keys one read at an archived block fetches from the stored history.
const MAX_ARCHIVE_KEYS: usize = 10_000;
/// Most times such a read runs (each run fetches what the one before read and lacked).
const ARCHIVE_ROUNDS: usize = 32;

/// A read at block `id` (docs/api.md §3.0f): over the head's or a kept block's state; over an
/// older block's, when the node keeps the state's history (`--state.archive`), from that
/// history: the read runs over the values fetched so far, the keys it read and lacked are
/// fetched (one index seek each), and it runs again until it lacks none ([`at_block!`]).
/// Without the history an older block is refused with the range that is kept, rather than
/// answered wrongly.
struct ReadAt {
    view: StateView,
    archived: Option<Archived>,
}

/// A read at a block older than the kept ones, from the stored history.
struct Archived {
    fetched: Arc<Fetched>,
    rounds: usize,
}

impl ReadAt {
    async fn new(node: &Node, id: Option<BlockId>) -> Result<Self, RpcError> {
        let number = match kept_state(node, id).await? {
            Ok(view) => return Ok(Self { view, archived: None }),
            Err(HistoryError::Pruned { number, .. }) if node.archive_from().is_some_and(|first| number >= first) => {
                number
            }
            Err(err) => return Err(err.into()),
        };
        let block = node.store().block(number).await?.ok_or(HistoryError::NotFound)?;
        let block = BlockRef {
            number,
            hash: block.hash,
            timestamp: block.header.timestamp,
            state_root: block.header.state_root,
        };
        // The newest state is taken once, before the history is read: a key that no block
        // after `number` up to it changed has its value there.
        let fetched = Arc::new(Fetched::default());
        let state = StateAt::archived(node.committed_state(), fetched.clone());
        Ok(Self { view: StateView { block, state }, archived: Some(Archived { fetched, rounds: 0 }) })
    }

    /// The state to read (again).
    fn view(&self) -> StateView {
        self.view.clone()
    }

    /// `answer` if the read lacked nothing; `None` after fetching what it lacked (read again).
    async fn settle<T>(&mut self, node: &Node, answer: Result<T, RpcError>) -> Result<Option<T>, RpcError> {
        let Some(archived) = &mut self.archived else { return answer.map(Some) };
        let missed = archived.fetched.take_misses();
        if missed.is_empty() {
            return answer.map(Some);
        }
        let number = self.view.block.number;
        archived.rounds += 1;
        if archived.rounds > ARCHIVE_ROUNDS || archived.fetched.len() + missed.len() > MAX_ARCHIVE_KEYS {
            return Err(RpcError::limit(
                "archive_keys",
                format!(
                    "the read at block {number} needs more than {MAX_ARCHIVE_KEYS} keys of the stored history; read \
                     at a recent block or split the call"
                ),
            ));
        }
        for (key, value) in missed.iter().zip(node.store().history_values(number, &missed).await?) {
            match value {
                Some(value) => archived.fetched.insert(*key, value),
                None => archived.fetched.keep_newest(*key),
            }
        }
        Ok(None)
    }
}

/// `$body` (a `Result<_, RpcError>`, which may await) over the state after block `$id` as
/// `$view`, run again while the stored history lacked something it read ([`ReadAt`]).
macro_rules! at_block {
    ($node:expr, $id:expr, |$view:ident| $body:expr) => {{
        let mut read = ReadAt::new($node, $id).await?;
        loop {
            let $view = read.view();
            let answer = $body;
            if let Some(answer) = read.settle($node, answer).await? {
                break Ok::<_, RpcError>(answer);
            }
        }
    }};
}

// After `at_block!`, which it uses.
mod trace;

/// The state after block `id` if the node keeps it in memory (the head's or a recent block's),
/// else why not.
async fn kept_state(node: &Node, id: Option<BlockId>) -> Result<Result<StateView, HistoryError>, RpcError> {
    if matches!(id, None | Some(BlockId::Number(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending))) {
        return Ok(Ok(node.latest_state()));
    }
    Ok(node.state_at(block_number(node, id).await?))
}

/// `eth_capabilities`: the head, and from which block each kind of read is answered. Blocks,
/// transactions, receipts and logs are all kept from genesis; the state at any block with the
/// stored history (`--state.archive`), else at the blocks kept in memory (a window that moves
/// with the head); proofs at the kept blocks only (docs/api.md §3.0f).
fn capabilities(node: &Node) -> Value {
    let head = node.head();
    let kept = node.oldest_kept_state();
    let window = json!({ "type": "window", "retentionBlocks": quantity(node.config().state_history) });
    let all = json!({ "disabled": false, "oldestBlock": quantity(0) });
    let state = match node.archive_from() {
        Some(first) => json!({ "disabled": false, "oldestBlock": quantity(first.min(kept)) }),
        None => json!({ "disabled": false, "oldestBlock": quantity(kept), "deleteStrategy": window }),
    };
    json!({
        "head": { "number": quantity(head.header.number), "hash": head.hash },
        "state": state,
        "tx": all,
        "logs": all,
        "receipts": all,
        "blocks": all,
        "stateproofs": { "disabled": false, "oldestBlock": quantity(kept), "deleteStrategy": window },
    })
}

/// `eth_getProof` (EIP-1186's shape over the sparse Merkle tree, docs/api.md §3.0f): the
/// account's nonce leaf proven against the block's state root and, for the system contract
/// (whose storage is the state tree), each slot proven against it too. Every other address
/// has no storage: its storage root is the empty tree's (zero) and each slot's proof is the
/// empty terminal alone.
async fn get_proof(
    node: &Node,
    client: Client,
    address: Address,
    slots: Vec<U256>,
    block: Option<BlockId>,
) -> Result<Value, RpcError> {
    let number = block_number(node, block).await?;
    let system = address == SYSTEM_CONTRACT;
    let mut keys = vec![rollup_types::keys::nonce(&address)];
    if system {
        keys.extend(slots.iter().map(|s| B256::from(*s)));
    }
    let (view, proofs) = node.state_proofs(client, number, keys).await?;
    let storage_proof: Vec<Value> = slots
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            let (value, proof) = if system {
                (view.state.storage(slot), proof_json(&proofs[i + 1]))
            } else {
                (U256::ZERO, proof_json(&Proof { siblings: Vec::new(), terminal: Terminal::Empty }))
            };
            json!({ "key": B256::from(*slot), "value": value, "proof": proof })
        })
        .collect();
    let code_hash = view.state.code_at(&address).map_or(KECCAK256_EMPTY, alloy_primitives::keccak256);
    Ok(json!({
        "address": address,
        // The ether balance is a leaf of the system contract's storage (`balance(ETHER, a)`),
        // which a client proves with `eth_getProof(SYSTEM_CONTRACT, [that key])`.
        "balance": view.state.ether_balance(&address),
        "codeHash": code_hash,
        "nonce": quantity(view.state.nonce(&address)),
        "storageHash": if system { view.block.state_root } else { B256::ZERO },
        "accountProof": proof_json(&proofs[0]),
        "storageProof": storage_proof,
    }))
}

/// A proof as `eth_getProof` lists it: the sibling hashes from the root down, then the
/// terminal: `0x` for an empty subtree, `key ‖ value` (64 bytes) for a leaf.
fn proof_json(proof: &Proof) -> Vec<Bytes> {
    let terminal = match &proof.terminal {
        Terminal::Empty => Bytes::new(),
        Terminal::Leaf { key, value } => [key.as_slice(), value.as_slice()].concat().into(),
    };
    proof.siblings.iter().map(|s| Bytes::copy_from_slice(s.as_slice())).chain(std::iter::once(terminal)).collect()
}

/// Answers `request`: the reads clients poll most (receipts, transactions, logs), serialized
/// once from their types and returned as they are; the rest as JSON values.
async fn dispatch(ctx: &Ctx, request: EthRequest, budget: &mut CallBudget) -> Result<Answer, RpcError> {
    let node = &ctx.node;
    let chain_id = node.chain().chain_id;
    let value = match request {
        EthRequest::GetTransactionByHash(hash) => {
            return match node.recent().transaction(&hash) {
                Some((recent, i)) => raw(&rpc_transaction(&recent.records[i], Some(&recent.block))?),
                None => transaction_by_hash(node, hash).await,
            };
        }
        EthRequest::GetTransactionReceipt(hash) => {
            return match node.recent().transaction(&hash) {
                Some((recent, i)) => {
                    let record = &recent.records[i];
                    let Some(receipt) = &record.receipt else { return Ok(Value::Null.into()) };
                    let bloom = recent.bloom(i);
                    receipt_bytes(&rpc_receipt(record, receipt, &recent.block, recent.positions[i], bloom)?)
                        .map(Answer::Raw)
                }
                None => transaction_receipt(node, hash).await,
            };
        }
        EthRequest::GetLogs(filter) => {
            let query = logs::resolve(node, &filter).await?;
            return Ok(Answer::Raw(json::logs_json(&logs::get_logs(node, &query).await?)));
        }
        EthRequest::GetBlockReceipts(id) => {
            let tag = BlockTag::from(id);
            if let Some(recent) = crate::read::recent_block(node, tag.into()) {
                let blooms: Vec<Option<_>> = (0..recent.records.len()).map(|i| recent.bloom(i)).collect();
                return block_receipts(&recent.block, &recent.records, &recent.positions, &blooms);
            }
            let Some(block) = tag.find(node).await? else { return Ok(Value::Null.into()) };
            let records = node.store().block_transaction_records(block.header.number).await?;
            return block_receipts(&block, &records, &ReceiptPosition::of_block(&records), &[]);
        }
        EthRequest::GetBlock(id, full) => {
            let Some(block) = id.find(node).await? else { return Ok(Value::Null.into()) };
            return raw(&rpc_block(node, &block, full).await?);
        }
        EthRequest::ClientVersion => Ok(json!(concat!("optimistic-rollup/", env!("CARGO_PKG_VERSION")))),
        EthRequest::ChainId => Ok(quantity(chain_id)),
        EthRequest::NetVersion => Ok(json!(chain_id.to_string())),
        EthRequest::NetListening => Ok(json!(true)),
        EthRequest::Syncing => Ok(json!(false)),
        EthRequest::Accounts => Ok(json!([])),
        EthRequest::BlockNumber => Ok(quantity(node.head().header.number)),
        EthRequest::ZeroFee => Ok(quantity(0)),
        EthRequest::GasPrice => Ok(json!(U256::from(node.head().header.next_base_fee()))),
        EthRequest::FeeHistory { count, newest, percentiles } => fee_history(node, count, newest, percentiles).await,
        // Ether is the ledger's balance of the bridged token of L1 ether.
        EthRequest::GetBalance(address, block) => {
            at_block!(node, block, |view| Ok(json!(view.state.ether_balance(&address))))
        }
        EthRequest::GetCode(address, block) => {
            at_block!(node, block, |view| Ok(json!(view.state.code_at(&address).unwrap_or_default())))
        }
        EthRequest::GetStorageValues(requests, block) => at_block!(node, block, |view| {
            let mut values = serde_json::Map::with_capacity(requests.len());
            for (address, slots) in &requests {
                let read = |slot: &U256| {
                    B256::from(if *address == SYSTEM_CONTRACT { view.state.storage(slot) } else { U256::ZERO })
                };
                values.insert(address.to_string(), json!(slots.iter().map(read).collect::<Vec<_>>()));
            }
            Ok(Value::Object(values))
        }),
        EthRequest::Capabilities => Ok(capabilities(node)),
        EthRequest::GetStorageAt(address, slot, block) => at_block!(node, block, |view| {
            let value = if address == SYSTEM_CONTRACT { view.state.storage(&slot) } else { U256::ZERO };
            Ok(json!(B256::from(value)))
        }),
        EthRequest::GetTransactionCount(address, block) => {
            if matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
                return Ok(quantity(node.pending_nonce(&address)).into());
            }
            at_block!(node, block, |view| Ok(quantity(view.state.nonce(&address))))
        }
        EthRequest::SendRawTransaction(raw) => {
            let raw =
                decode_hex(&raw).map_err(|e| RpcError::from(SubmitError::Tx(rollup_types::TxError::InvalidHex(e))))?;
            Ok(json!(node.submit_raw_from(ctx.client, raw).await?))
        }
        EthRequest::Call(request, block) => {
            let outcome = at_block!(node, block, |view| call(node, &request, view, budget).await)?;
            Ok(json!(outcome.output))
        }
        EthRequest::EstimateGas(request, block) => Ok(quantity(estimate_gas(node, &request, block, budget).await?)),
        EthRequest::FillTransaction(request) => fill_transaction(node, &request, budget).await,
        EthRequest::CreateAccessList(request, block) => {
            // The state is one contract's storage and the fees do not count cold reads: an
            // access list changes nothing a transaction pays or does here.
            let gas = estimate_gas(node, &request, block, budget).await?;
            Ok(json!({ "accessList": [], "gasUsed": quantity(gas) }))
        }
        EthRequest::BlockTxCount(id) => match id.find(node).await? {
            Some(block) => Ok(quantity(block.tx_count)),
            None => Ok(Value::Null),
        },
        EthRequest::UncleCount(id) => Ok(id.find(node).await?.map_or(Value::Null, |_| quantity(0))),
        EthRequest::TxByBlockAndIndex(id, index) => {
            let Some(block) = id.find(node).await? else { return Ok(Value::Null.into()) };
            let records = node.store().block_transaction_records(block.header.number).await?;
            let index = index.to::<u64>();
            match records.iter().find(|r| r.receipt.as_ref().is_some_and(|x| x.index == index)) {
                Some(record) => to_json(rpc_transaction(record, Some(&block))?),
                None => Ok(Value::Null),
            }
        }
        EthRequest::Coinbase => Ok(json!(node.head().header.to_header().beneficiary)),
        EthRequest::RawHeader(id) => Ok(id.find(node).await?.map_or(Value::Null, |b| json!(raw::header(&b)))),
        EthRequest::RawBlock(id) => {
            let Some(block) = id.find(node).await? else { return Ok(Value::Null.into()) };
            Ok(json!(raw::block(&block, &block_raws(node, &block).await?)))
        }
        EthRequest::RawReceipts(id) => {
            let Some(block) = id.find(node).await? else { return Ok(Value::Null.into()) };
            Ok(json!(raw::receipts(&node.store().block_transaction_records(block.header.number).await?)?))
        }
        EthRequest::RawTransaction(hash) => match node.store().transaction(hash).await? {
            Some(record) if held(&record) => Ok(json!(record.raw)),
            _ => Ok(Value::Null),
        },
        EthRequest::BadBlocks => Ok(json!([])),
        EthRequest::TraceTransaction(hash, options) => {
            let config = trace::call_config(options.map(|o| *o))?;
            let Some(record) = node.store().transaction(hash).await?.filter(held) else {
                return Err(RpcError::new(-32000, format!("transaction {hash} not found")));
            };
            let Some(receipt) = &record.receipt else {
                return Err(RpcError::new(
                    -32000,
                    format!("transaction {hash} is pending: it has no block to trace yet"),
                ));
            };
            let Some(block) = node.store().block(receipt.block_number).await? else {
                return Err(RpcError::new(-32000, format!("transaction {hash} not found")));
            };
            let frames = trace::trace_block(node, ctx.client, &block, Some(hash), config).await?;
            let (_, frame) =
                frames.into_iter().next().ok_or_else(|| RpcError::internal("no frame for the transaction"))?;
            to_json(frame)
        }
        EthRequest::TraceBlock(id, options) => {
            let config = trace::call_config(options.map(|o| *o))?;
            let Some(block) = id.find(node).await? else {
                return Err(RpcError::new(-32000, "block not found"));
            };
            trace::block_answer(trace::trace_block(node, ctx.client, &block, None, config).await?)
        }
        EthRequest::SendRawTransactionSync(raw, timeout) => send_sync(node, ctx.client, &raw, timeout).await,
        EthRequest::GetProof(address, slots, block) => get_proof(node, ctx.client, address, slots, block).await,
        EthRequest::NewFilter(filter) => {
            // Checked as eth_getLogs would check it, so that a filter that can never be
            // answered is refused now rather than at each poll.
            logs::resolve(node, &filter).await?;
            ctx.filters.new_log_filter(node, *filter).await
        }
        EthRequest::NewBlockFilter => ctx.filters.new_block_filter(node),
        EthRequest::NewPendingTransactionFilter => ctx.filters.new_pending_filter(node),
        EthRequest::GetFilterChanges(id) => ctx.filters.changes(node, id).await,
        EthRequest::GetFilterLogs(id) => ctx.filters.logs(node, id).await,
        EthRequest::UninstallFilter(id) => Ok(json!(ctx.filters.uninstall(id))),
    };
    value.map(Answer::Value)
}

/// `eth_getBlockReceipts`: the receipts of `block`'s transactions `records` (in order, at
/// `positions`, with their blooms when held: `blooms`, else empty).
fn block_receipts(
    block: &StoredBlock,
    records: &[TxRecord],
    positions: &[ReceiptPosition],
    blooms: &[Option<alloy_primitives::Bloom>],
) -> Result<Answer, RpcError> {
    let mut out = Vec::with_capacity(1_000 * records.len() + 2);
    out.push(b'[');
    for (i, (record, position)) in records.iter().zip(positions).enumerate() {
        let Some(receipt) = &record.receipt else { continue };
        if out.len() > 1 {
            out.push(b',');
        }
        let bloom = blooms.get(i).copied().flatten();
        out.extend_from_slice(&receipt_bytes(&rpc_receipt(record, receipt, block, *position, bloom)?)?);
    }
    out.push(b']');
    Ok(Answer::Raw(out))
}

/// `eth_getTransactionByHash` from the database. A transaction the node no longer holds
/// (replaced, evicted, rejected after its acknowledgement) is `null`, as geth answers: wallets
/// then look for what replaced it. `GET /v1/transactions/{hash}` says what happened.
async fn transaction_by_hash(node: &Node, hash: B256) -> Result<Answer, RpcError> {
    match node.store().transaction(hash).await? {
        Some(record) if held(&record) => {
            let block = match &record.receipt {
                Some(r) => node.store().block(r.block_number).await?,
                None => None,
            };
            raw(&rpc_transaction(&record, block.as_ref())?)
        }
        _ => Ok(Value::Null.into()),
    }
}

/// `eth_getTransactionReceipt` from the database.
async fn transaction_receipt(node: &Node, hash: B256) -> Result<Answer, RpcError> {
    let null = || Ok(Value::Null.into());
    let Some((record, siblings)) = node.store().transaction_with_block(hash).await? else { return null() };
    if !held(&record) {
        return null();
    }
    let Some(receipt) = &record.receipt else { return null() };
    let Some(block) = node.store().block(receipt.block_number).await? else { return null() };
    receipt_bytes(&rpc_receipt(&record, receipt, &block, ReceiptPosition::among(receipt, &siblings), None)?)
        .map(Answer::Raw)
}

/// A transaction the node acknowledged and then dropped is an error naming the reason, not
/// `null` (a client would wait for it until its timeout).
/// Whether the node holds `record`: pending or included.
const fn held(record: &TxRecord) -> bool {
    matches!(record.status, StoredStatus::Pending | StoredStatus::Included)
}

/// A transaction the caller submitted and waits for, dropped since: an error with what
/// happened to it (`eth_sendRawTransactionSync`).
fn dropped(record: &TxRecord) -> Result<(), RpcError> {
    let code = match record.status {
        StoredStatus::Pending | StoredStatus::Included => return Ok(()),
        StoredStatus::Rejected => "transaction_rejected",
        StoredStatus::Replaced => "transaction_replaced",
        StoredStatus::Evicted => "transaction_evicted",
    };
    let reason = record.reason.as_deref().unwrap_or("no reason recorded");
    Err(RpcError {
        code: -32000,
        message: format!("transaction {} was {}: {reason}", record.hash, record.status.as_str()),
        data: Some(json!(code)),
    })
}

/// Default wait of `eth_sendRawTransactionSync`, and the longest a client may ask for (below
/// the request timeout).
const SYNC_DEFAULT_MS: u64 = 5_000;
const SYNC_MAX_MS: u64 = 20_000;

/// `eth_sendRawTransactionSync` (EIP-7966): submits, then waits for the receipt; past the
/// timeout, error 4 with the hash (the transaction stays pending).
async fn send_sync(node: &Node, client: Client, raw: &str, timeout: Option<u64>) -> Result<Value, RpcError> {
    let raw = decode_hex(raw).map_err(|e| RpcError::from(SubmitError::Tx(rollup_types::TxError::InvalidHex(e))))?;
    // EIP-7966: a timeout the node does not serve falls back to its default; geth clamps to its
    // maximum.
    let timeout_ms = match timeout {
        None | Some(0) => SYNC_DEFAULT_MS,
        Some(ms) => ms.min(SYNC_MAX_MS),
    };
    let mut heads = node.events().heads();
    let tx = rollup_types::SignedTx::decode(&raw).ok();
    let hash = node.submit_raw_from(client, raw).await?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(timeout_ms);
    let mut gap_checked = false;
    loop {
        if let Some((record, siblings)) = node.store().transaction_with_block(hash).await? {
            dropped(&record)?;
            if let Some(receipt) = &record.receipt
                && let Some(block) = node.store().block(receipt.block_number).await?
            {
                return to_json(rpc_receipt(
                    &record,
                    receipt,
                    &block,
                    ReceiptPosition::among(receipt, &siblings),
                    None,
                )?);
            }
        }
        // Held behind a nonce gap, it cannot be included until the gap is filled: say so now
        // (error 5) instead of waiting out the timeout. Admission recovered the sender already;
        // this recovers it once more, only for a transaction not included at once.
        if !gap_checked && let Some(tx) = &tx {
            gap_checked = true;
            if let Ok(sender) = tx.recover_sender()
                && node.pending_nonce(&sender) <= tx.nonce()
            {
                return Err(RpcError {
                    code: 5,
                    message: "The transaction was added to the mempool but wasn't processed due to a nonce gap.".into(),
                    data: Some(json!(hash)),
                });
            }
        }
        match tokio::time::timeout_at(deadline, heads.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(RpcError::internal("the node is shutting down")),
            Err(_) => {
                return Err(RpcError {
                    code: 4,
                    message: format!(
                        "The transaction was added to the mempool but wasn't processed within {timeout_ms} ms."
                    ),
                    data: Some(json!(hash)),
                });
            }
        }
    }
}

/// `eth_estimateGas`: execution is not metered, so an operation of the closed set uses its
/// scheduled gas (docs/fees.md §2.1) and its L1 data fee in gas units (§2.2), estimated at the
/// dearest prices the next block may have; anything else (which admission refuses) gets revm's
/// figure with headroom. The call must succeed at the block.
async fn estimate_gas(
    node: &Node,
    request: &TransactionRequest,
    block: Option<BlockId>,
    budget: &mut CallBudget,
) -> Result<u64, RpcError> {
    let (number, fees, cap, outcome) = at_block!(node, block, |view| {
        let (number, fees, cap) = (view.block.number + 1, view.state.fee_state(), view.state.l1_price_cap());
        call(node, request, view, budget).await.map(|outcome| (number, fees, cap, outcome))
    })?;
    let to = request.to.and_then(|to| to.to().copied()).unwrap_or(SYSTEM_CONTRACT);
    let input = request.input.input().cloned().unwrap_or_default();
    Ok(match rollup_types::fees::scheduled_gas(to, &input) {
        Some(scheduled) => {
            let value = request.value.unwrap_or_default();
            let billed = rollup_types::codec::billed_bytes_bound(node.chain(), to, &input, value);
            scheduled.saturating_add(rollup_types::fees::l1_gas_estimate(billed, &fees, number, cap))
        }
        None => (outcome.gas_used.saturating_mul(5) / 4).clamp(MIN_TX_GAS_LIMIT, MAX_TX_GAS_LIMIT),
    })
}

/// `eth_fillTransaction`: the transaction with what a wallet leaves out filled in, unsigned:
/// the sender's next nonce counting its pending transactions, `eth_estimateGas`'s gas, the
/// chain id, and fees: no tip (the sequencer orders by arrival) and a fee cap of twice the
/// next block's base fee plus the tip (ethers' rule: it holds through six full blocks of a
/// rising base fee). `gasPrice` is what it would pay a gas unit in the next block. A
/// `gasPrice` given makes it a legacy transaction. `from` is required.
async fn fill_transaction(
    node: &Node,
    request: &TransactionRequest,
    budget: &mut CallBudget,
) -> Result<Value, RpcError> {
    let from = request
        .from
        .ok_or_else(|| RpcError::invalid_params("from is required: the nonce and the gas are the sender's"))?;
    let chain_id = node.chain().chain_id;
    if request.chain_id.is_some_and(|id| id != chain_id) {
        return Err(RpcError::invalid_params(format!("chainId is not this chain's ({chain_id})")));
    }
    if request.gas_price.is_some() && (request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some())
    {
        return Err(RpcError::invalid_params("both gasPrice and maxFeePerGas or maxPriorityFeePerGas specified"));
    }
    let nonce = request.nonce.unwrap_or_else(|| node.pending_nonce(&from));
    let gas = match request.gas {
        Some(gas) => gas,
        None => estimate_gas(node, request, None, budget).await?,
    };
    let base_fee = node.head().header.next_base_fee();
    let common = json!({
        "nonce": quantity(nonce),
        "to": request.to.and_then(|k| k.to().copied()),
        "gas": quantity(gas),
        "value": request.value.unwrap_or_default(),
        "input": request.input.input().cloned().unwrap_or_default(),
        "chainId": quantity(chain_id),
    });
    let mut tx = match request.gas_price {
        Some(price) => json!({ "type": "0x0", "gasPrice": U256::from(price) }),
        None => {
            let tip = request.max_priority_fee_per_gas.unwrap_or(0);
            let cap = request.max_fee_per_gas.unwrap_or_else(|| base_fee.saturating_mul(2).saturating_add(tip));
            let price = rollup_types::fees::effective_price(cap, Some(tip), base_fee);
            json!({
                "type": "0x2",
                "maxPriorityFeePerGas": U256::from(tip),
                "maxFeePerGas": U256::from(cap),
                "gasPrice": U256::from(price),
                "accessList": [],
            })
        }
    };
    if let (Value::Object(tx), Value::Object(common)) = (&mut tx, common) {
        tx.extend(common);
    }
    Ok(json!({ "tx": tx }))
}

/// The transactions of `block` as stored, in block order.
async fn block_raws(node: &Node, block: &StoredBlock) -> Result<Vec<Bytes>, RpcError> {
    Ok(node.store().block_txs(block.header.number).await?.into_iter().map(|(_, raw)| raw).collect())
}

/// Runs `request` on the state after a block in the environment of the block after it; a
/// revert is error 3 with the revert data.
async fn call(
    node: &Node,
    request: &TransactionRequest,
    view: StateView,
    budget: &mut CallBudget,
) -> Result<rollup_executor::CallOutcome, RpcError> {
    let call = CallRequest {
        from: request.from.unwrap_or_default(),
        to: request.to.and_then(|k| k.to().copied()),
        input: request.input.input().cloned().unwrap_or_default(),
        gas: request.gas,
        value: request.value.unwrap_or_default(),
    };
    let number = view.block.number + 1;
    let fees = view.state.fee_state();
    let l1_byte_price = fees.propose_l1_price(number, fees.l1_byte_price, view.state.l1_price_cap());
    let env = BlockEnvInput { number, timestamp: view.block.timestamp, l1_byte_price };
    let outcome = node.call(call, view.state, env, budget).await?;
    if outcome.status != TxStatus::Success {
        return Err(RpcError {
            code: 3,
            message: format!("execution reverted: {}", revert_reason(&outcome.output)),
            data: Some(json!(outcome.output)),
        });
    }
    Ok(outcome)
}

/// `eth_feeHistory`: each block's base fee and its scheduled gas against the block gas limit
/// (what moves the base fee), then the base fee of the block after the newest; with reward
/// percentiles, each block's tips at those percentiles of its gas, as geth gives them: the
/// effective tips (`effectiveGasPrice − baseFee`) sorted, each weighted by the gas its
/// transaction used, and for percentile `p` the first tip at which `p` % of the block's gas is
/// reached (0 for a block without transactions).
async fn fee_history(
    node: &Node,
    count: U64,
    newest: BlockNumberOrTag,
    percentiles: Option<Vec<f64>>,
) -> Result<Value, RpcError> {
    let head = node.head().header.number;
    let newest = match newest {
        BlockNumberOrTag::Number(n) => n.min(head),
        BlockNumberOrTag::Earliest => 0,
        _ => head,
    };
    let most = if percentiles.is_some() { MAX_FEE_HISTORY_REWARD_BLOCKS } else { MAX_FEE_HISTORY_BLOCKS };
    let count = count.to::<u64>().min(most).min(newest + 1);
    let blocks = node.store().blocks_from(newest + 1 - count, count).await?;
    if blocks.len() as u64 != count || blocks.last().is_some_and(|b| b.header.number != newest) {
        return Err(RpcError::internal("the blocks of the fee history are not all stored".to_owned()));
    }
    let mut base_fee_per_gas: Vec<u128> = blocks.iter().map(|b| b.header.base_fee).collect();
    base_fee_per_gas.extend(blocks.last().map(|b| b.header.next_base_fee()));
    let limit = rollup_types::fees::BLOCK_GAS_LIMIT as f64;
    let reward = match percentiles {
        None => None,
        Some(percentiles) => {
            let mut rewards = Vec::with_capacity(blocks.len());
            for block in &blocks {
                let records = if block.tx_count == 0 {
                    Vec::new()
                } else {
                    node.store().block_transaction_records(block.header.number).await?
                };
                rewards.push(block_rewards(&records, block.header.base_fee, &percentiles));
            }
            Some(rewards)
        }
    };
    let history = FeeHistory {
        base_fee_per_gas,
        gas_used_ratio: blocks.iter().map(|b| b.header.gas_used as f64 / limit).collect(),
        base_fee_per_blob_gas: Vec::new(),
        blob_gas_used_ratio: Vec::new(),
        oldest_block: newest + 1 - count,
        reward,
    };
    to_json(history)
}

/// The tips of one block's transactions at `percentiles` of its gas (`eth_feeHistory`'s
/// rewards, geth's rule).
fn block_rewards(records: &[rollup_chain_store::TxRecord], base_fee: u128, percentiles: &[f64]) -> Vec<u128> {
    let mut tips: Vec<(u128, u64)> = records
        .iter()
        .filter_map(|r| {
            // A queue entry or a credit paid no tip (nor fee).
            let receipt = r.receipt.as_ref().filter(|r| !r.fee_exempt)?;
            let tx = rollup_types::SignedTx::decode(&r.raw).ok()?;
            let offer = tx.offer();
            let price = rollup_types::fees::effective_price(offer.max_fee, offer.tip, base_fee);
            Some((price.saturating_sub(base_fee), receipt.gas_used))
        })
        .collect();
    if tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    tips.sort_unstable();
    let total: u128 = tips.iter().map(|(_, gas)| u128::from(*gas)).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u128;
            let mut sum = 0u128;
            tips.iter()
                .find(|(_, gas)| {
                    sum += u128::from(*gas);
                    sum >= threshold
                })
                .or(tips.last())
                .map_or(0, |(tip, _)| *tip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::block_rewards;
    use alloy_primitives::{Address, B256, Bytes, U256};
    use rollup_chain_store::{StoredReceipt, StoredStatus, TxRecord};
    use rollup_types::{SYSTEM_CONTRACT, TxStatus, signer::Signer};

    /// A record of a transaction tipping `tip` (EIP-1559, fee cap 10 gwei) that used `gas`.
    fn record(nonce: u64, tip: u128, gas: u64) -> TxRecord {
        let signer = Signer::new(&B256::repeat_byte(3)).expect("key");
        let tx = signer.sign_eip1559(alloy_consensus::TxEip1559 {
            chain_id: 1,
            nonce,
            gas_limit: 1_000_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: tip,
            to: alloy_primitives::TxKind::Call(SYSTEM_CONTRACT),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        });
        TxRecord {
            hash: B256::ZERO,
            raw: tx.encoded().into(),
            sender: Address::ZERO,
            nonce,
            status: StoredStatus::Included,
            receipt: Some(StoredReceipt {
                block_number: 1,
                index: nonce,
                outcome: TxStatus::Success,
                gas_used: gas,
                output: Bytes::new(),
                logs: Vec::new(),
                fee_exempt: false,
            }),
            reason: None,
        }
    }

    #[test]
    fn rewards_are_the_tips_at_percentiles_of_the_gas() {
        // Tips 1, 5 and 9 gwei-wei over 30k, 60k and 10k gas: 30 %, 90 % and 100 % of the gas.
        let records = [record(0, 5, 60_000), record(1, 1, 30_000), record(2, 9, 10_000)];
        assert_eq!(block_rewards(&records, 1_000, &[0.0, 30.0, 31.0, 90.0, 95.0, 100.0]), [1, 1, 5, 5, 9, 9]);
        assert_eq!(block_rewards(&[], 1_000, &[50.0]), [0], "a block without transactions");
        // A tip above what the fee cap leaves is paid only up to the cap.
        assert_eq!(block_rewards(&[record(0, u128::from(u64::MAX), 21_000)], 1_000, &[50.0]), [10_000_000_000 - 1_000]);
    }
}
