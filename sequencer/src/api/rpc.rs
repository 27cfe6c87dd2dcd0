//! The Ethereum JSON-RPC subset wallets and tools use (cast, alloy, viem, ethers), on
//! `POST /`. Errors use the standard codes: -32700 parse, -32600 invalid request, -32601
//! unknown method, -32602 invalid params, -32000 rejected transaction, -32005 limit reached,
//! -32603 internal, 3 execution reverted (with the revert data).

use super::{
    body_error,
    rest::{decode_hex, find_block, json_error, revert_reason},
};
use crate::{
    error::{StoreError, SubmitError},
    node::{CallBudget, CallError, Node},
    store::{StoredBlock, StoredReceipt, TxRecord},
};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, transaction::Recovered};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bloom, Bytes, U64, U256};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, FeeHistory, Header, Log, Transaction, TransactionReceipt, TransactionRequest,
};
use axum::{
    Json,
    body::Bytes as Body,
    extract::{State, rejection::BytesRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use rollup_executor::{BlockEnvInput, CallRequest, TxStatus};
use rollup_types::{
    SYSTEM_CONTRACT, SignedTx,
    chain::{MAX_TX_GAS_LIMIT, MIN_TX_GAS_LIMIT},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// A JSON-RPC error object.
#[derive(Debug)]
struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }

    fn internal(message: impl Into<String>) -> Self {
        Self::new(-32603, message)
    }

    fn to_json(&self) -> Value {
        let mut err = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            err["data"] = data.clone();
        }
        err
    }
}

impl From<SubmitError> for RpcError {
    fn from(err: SubmitError) -> Self {
        let code = match &err {
            SubmitError::MempoolFull { .. }
            | SubmitError::SenderLimit { .. }
            | SubmitError::FutureLimit { .. }
            | SubmitError::SenderFutureLimit { .. }
            | SubmitError::Overloaded
            | SubmitError::L1Backlog { .. } => -32005,
            SubmitError::Store(_) | SubmitError::Persist(_) | SubmitError::ShuttingDown | SubmitError::Internal(_) => {
                -32603
            }
            _ => -32000,
        };
        Self { code, message: err.to_string(), data: Some(json!(err.code())) }
    }
}

impl From<CallError> for RpcError {
    fn from(err: CallError) -> Self {
        let code = match err {
            CallError::Invalid(_) | CallError::Timeout(_) => -32000,
            CallError::Budget(_) | CallError::Busy(_) => -32005,
        };
        Self { code, message: err.to_string(), data: Some(json!(err.code())) }
    }
}

impl From<StoreError> for RpcError {
    fn from(err: StoreError) -> Self {
        tracing::error!(target: "sequencer::rpc", ?err, "database error");
        Self::internal(err.to_string())
    }
}

impl From<super::ApiError> for RpcError {
    fn from(err: super::ApiError) -> Self {
        let code = if err.status.is_client_error() { -32602 } else { -32603 };
        Self::new(code, err.message)
    }
}

fn reply(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(err) => json!({ "jsonrpc": "2.0", "id": id, "error": err.to_json() }),
    }
}

/// `POST /`: one request or a batch.
pub(super) async fn handle(State(node): State<Arc<Node>>, body: Result<Body, BytesRejection>) -> Response {
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
    let mut budget = CallBudget::new(&node.config().calls);
    match request {
        Value::Array(requests) if requests.is_empty() => {
            Json(reply(Value::Null, Err(RpcError::new(-32600, "empty batch")))).into_response()
        }
        Value::Array(requests) if requests.len() > MAX_BATCH_ITEMS => Json(reply(
            Value::Null,
            Err(RpcError::new(
                -32600,
                format!("batch of {} requests; at most {MAX_BATCH_ITEMS} per batch", requests.len()),
            )),
        ))
        .into_response(),
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
                let mut item = if body.len() < MAX_RESPONSE_BYTES {
                    serde_json::to_vec(&one(&node, request, &mut budget).await).unwrap_or_default()
                } else {
                    Vec::new()
                };
                if item.is_empty() || body.len() + item.len() > MAX_RESPONSE_BYTES {
                    let err = RpcError {
                        code: -32005,
                        message: format!(
                            "the answer to this batch would pass {MAX_RESPONSE_BYTES} bytes; ask for less per batch"
                        ),
                        data: Some(json!("response_too_large")),
                    };
                    item = serde_json::to_vec(&reply(id, Err(err))).unwrap_or_default();
                }
                body.extend_from_slice(&item);
            }
            body.push(b']');
            ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        request => Json(one(&node, request, &mut budget).await).into_response(),
    }
}

/// Most requests in one JSON-RPC batch (geth's default too).
pub(crate) const MAX_BATCH_ITEMS: usize = 1_000;
/// Largest answer to a JSON-RPC batch, in bytes (geth's default too).
pub(crate) const MAX_RESPONSE_BYTES: usize = 25 * 1024 * 1024;

async fn one(node: &Arc<Node>, request: Value, budget: &mut CallBudget) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return reply(id, Err(RpcError::new(-32600, "invalid request: a \"method\" string is required")));
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return reply(id, Err(RpcError::new(-32602, "params must be an array"))),
    };
    let result = dispatch(node, method, &params, budget).await;
    if let Err(err) = &result {
        tracing::debug!(target: "sequencer::rpc", method, code = err.code, message = %err.message, "request failed");
    }
    reply(id, result)
}

fn param<T: DeserializeOwned>(params: &[Value], i: usize, what: &str) -> Result<T, RpcError> {
    let v = params.get(i).ok_or_else(|| RpcError::invalid_params(format!("missing parameter {i}: {what}")))?;
    serde_json::from_value(v.clone()).map_err(|e| RpcError::invalid_params(format!("parameter {i} ({what}): {e}")))
}

fn opt_param<T: DeserializeOwned>(params: &[Value], i: usize, what: &str) -> Result<Option<T>, RpcError> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => param(params, i, what).map(Some),
    }
}

fn quantity(v: u64) -> Value {
    json!(U64::from(v))
}

fn to_json<T: serde::Serialize>(v: T) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::internal(e.to_string()))
}

/// Only the latest state is kept: reads at an older block are refused rather than answered
/// wrongly.
fn require_latest(node: &Node, id: Option<BlockId>) -> Result<(), RpcError> {
    let head = node.head().header.number;
    let ok = match id {
        None | Some(BlockId::Number(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending)) => true,
        Some(BlockId::Number(BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized)) => true,
        Some(BlockId::Number(BlockNumberOrTag::Number(n))) => n >= head,
        Some(BlockId::Number(BlockNumberOrTag::Earliest)) => head == 0,
        Some(BlockId::Hash(h)) => h.block_hash == node.head().hash,
    };
    if ok { Ok(()) } else { Err(RpcError::new(-32000, "historical state is not available; query the latest block")) }
}

async fn dispatch(
    node: &Arc<Node>,
    method: &str,
    params: &[Value],
    budget: &mut CallBudget,
) -> Result<Value, RpcError> {
    let chain_id = node.chain().chain_id;
    match method {
        "web3_clientVersion" => Ok(json!(concat!("optimistic-rollup/", env!("CARGO_PKG_VERSION")))),
        "eth_chainId" => Ok(quantity(chain_id)),
        "net_version" => Ok(json!(chain_id.to_string())),
        "net_listening" => Ok(json!(true)),
        "eth_syncing" => Ok(json!(false)),
        "eth_accounts" => Ok(json!([])),
        "eth_blockNumber" => Ok(quantity(node.head().header.number)),
        "eth_gasPrice" | "eth_maxPriorityFeePerGas" | "eth_blobBaseFee" => Ok(quantity(0)),
        "eth_feeHistory" => fee_history(node, params),
        "eth_getBalance" => {
            let _: Address = param(params, 0, "address")?;
            // There is no ether on this L2: fees are not charged.
            Ok(quantity(0))
        }
        "eth_getCode" => {
            let address: Address = param(params, 0, "address")?;
            require_latest(node, opt_param(params, 1, "block")?)?;
            let code =
                if address == SYSTEM_CONTRACT { node.committed_state().code().original_bytes() } else { Bytes::new() };
            Ok(json!(code))
        }
        "eth_getStorageAt" => {
            let address: Address = param(params, 0, "address")?;
            let slot: U256 = param(params, 1, "slot")?;
            require_latest(node, opt_param(params, 2, "block")?)?;
            let value = if address == SYSTEM_CONTRACT { node.committed_state().storage(&slot) } else { U256::ZERO };
            Ok(json!(B256::from(value)))
        }
        "eth_getTransactionCount" => {
            let address: Address = param(params, 0, "address")?;
            let tag: Option<BlockId> = opt_param(params, 1, "block")?;
            if matches!(tag, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
                return Ok(quantity(node.pending_nonce(&address)));
            }
            require_latest(node, tag)?;
            Ok(quantity(node.state_nonce(&address)))
        }
        "eth_sendRawTransaction" => {
            let raw: String = param(params, 0, "raw transaction")?;
            let raw =
                decode_hex(&raw).map_err(|e| RpcError::from(SubmitError::Tx(rollup_types::TxError::InvalidHex(e))))?;
            Ok(json!(node.submit_raw(raw).await?))
        }
        "eth_getTransactionByHash" => {
            let hash: B256 = param(params, 0, "transaction hash")?;
            match node.store().transaction(hash).await? {
                Some(record)
                    if matches!(
                        record.status,
                        crate::store::StoredStatus::Pending | crate::store::StoredStatus::Included
                    ) =>
                {
                    let block = match &record.receipt {
                        Some(r) => node.store().block(r.block_number).await?,
                        None => None,
                    };
                    to_json(rpc_transaction(&record, block.as_ref())?)
                }
                _ => Ok(Value::Null),
            }
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = param(params, 0, "transaction hash")?;
            let Some(record) = node.store().transaction(hash).await? else { return Ok(Value::Null) };
            let Some(receipt) = &record.receipt else { return Ok(Value::Null) };
            let Some(block) = node.store().block(receipt.block_number).await? else { return Ok(Value::Null) };
            let siblings = node.store().block_transaction_records(receipt.block_number).await?;
            to_json(rpc_receipt(&record, receipt, &block, &siblings)?)
        }
        "eth_getBlockByNumber" | "eth_getBlockByHash" => {
            let id: Value = param(params, 0, "block")?;
            let full: bool = opt_param(params, 1, "full transactions")?.unwrap_or(false);
            let id = match &id {
                Value::String(s) if s == "pending" || s == "safe" || s == "finalized" => "latest".to_owned(),
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => return Err(RpcError::invalid_params(format!("bad block id {other}"))),
            };
            let Some(block) = find_block(node, &id).await? else { return Ok(Value::Null) };
            to_json(rpc_block(node, &block, full).await?)
        }
        "eth_call" | "eth_estimateGas" => {
            let request: TransactionRequest = param(params, 0, "transaction")?;
            require_latest(node, opt_param(params, 1, "block")?)?;
            let call = CallRequest {
                from: request.from.unwrap_or_default(),
                to: request.to.and_then(|k| k.to().copied()),
                input: request.input.input().cloned().unwrap_or_default(),
                gas: request.gas,
                value: request.value.unwrap_or_default(),
            };
            let head = node.head().header;
            let env = BlockEnvInput { number: head.number + 1, timestamp: head.timestamp };
            let outcome = node.call(call, env, budget).await?;
            if outcome.status != TxStatus::Success {
                return Err(RpcError {
                    code: 3,
                    message: format!("execution reverted: {}", revert_reason(&outcome.output)),
                    data: Some(json!(outcome.output)),
                });
            }
            if method == "eth_call" {
                Ok(json!(outcome.output))
            } else {
                // Execution is not metered; the estimate only has to be a gas limit the
                // sequencer accepts, with headroom for state changing before inclusion.
                let estimate = (outcome.gas_used.saturating_mul(5) / 4).clamp(MIN_TX_GAS_LIMIT, MAX_TX_GAS_LIMIT);
                Ok(quantity(estimate))
            }
        }
        _ => Err(RpcError::new(-32601, format!("method {method} is not supported"))),
    }
}

fn fee_history(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let count: U64 = param(params, 0, "block count")?;
    let newest: BlockNumberOrTag = param(params, 1, "newest block")?;
    let percentiles: Option<Vec<f64>> = opt_param(params, 2, "reward percentiles")?;
    if let Some(p) = &percentiles {
        check_percentiles(p)?;
    }
    let head = node.head().header.number;
    let newest = match newest {
        BlockNumberOrTag::Number(n) => n.min(head),
        BlockNumberOrTag::Earliest => 0,
        _ => head,
    };
    let count = count.to::<u64>().min(1024).min(newest + 1);
    let history = FeeHistory {
        base_fee_per_gas: vec![0; count as usize + 1],
        gas_used_ratio: vec![0.0; count as usize],
        base_fee_per_blob_gas: Vec::new(),
        blob_gas_used_ratio: Vec::new(),
        oldest_block: newest + 1 - count,
        reward: percentiles.map(|p| vec![vec![0u128; p.len()]; count as usize]),
    };
    to_json(history)
}

/// Most reward percentiles `eth_feeHistory` answers for: the answer holds one reward per
/// percentile per block (up to 1024 blocks), so the count bounds its size (docs/api.md).
const MAX_REWARD_PERCENTILES: usize = 100;

/// Reward percentiles must be at most [`MAX_REWARD_PERCENTILES`], each within 0–100 and
/// non-decreasing (as geth requires).
fn check_percentiles(p: &[f64]) -> Result<(), RpcError> {
    if p.len() > MAX_REWARD_PERCENTILES {
        return Err(RpcError::invalid_params(format!(
            "too many reward percentiles: {}, at most {MAX_REWARD_PERCENTILES}",
            p.len()
        )));
    }
    if let Some(bad) = p.iter().find(|v| !(0.0..=100.0).contains(*v)) {
        return Err(RpcError::invalid_params(format!("invalid reward percentile {bad}: not within 0 and 100")));
    }
    if let Some(w) = p.windows(2).find(|w| w[1] < w[0]) {
        return Err(RpcError::invalid_params(format!(
            "invalid reward percentiles: {} after {}, they must not decrease",
            w[1], w[0]
        )));
    }
    Ok(())
}

fn rpc_transaction(record: &TxRecord, block: Option<&StoredBlock>) -> Result<Transaction, RpcError> {
    let signed = SignedTx::decode(&record.raw).map_err(|e| RpcError::internal(format!("stored transaction: {e}")))?;
    Ok(Transaction {
        inner: Recovered::new_unchecked(signed.to_envelope(), record.sender),
        block_hash: block.map(|b| b.hash),
        block_number: record.receipt.as_ref().map(|r| r.block_number),
        transaction_index: record.receipt.as_ref().map(|r| r.index),
        effective_gas_price: Some(0),
        block_timestamp: block.map(|b| b.header.timestamp),
    })
}

fn rpc_receipt(
    record: &TxRecord,
    receipt: &StoredReceipt,
    block: &StoredBlock,
    siblings: &[TxRecord],
) -> Result<TransactionReceipt, RpcError> {
    let before: Vec<&StoredReceipt> =
        siblings.iter().filter_map(|t| t.receipt.as_ref()).filter(|r| r.index < receipt.index).collect();
    let cumulative_gas_used = before.iter().map(|r| r.gas_used).sum::<u64>() + receipt.gas_used;
    let first_log_index = before.iter().map(|r| r.logs.len() as u64).sum::<u64>();
    let logs: Vec<Log> = receipt
        .logs
        .iter()
        .enumerate()
        .map(|(i, l)| Log {
            inner: alloy_primitives::Log::new_unchecked(l.address, l.topics.clone(), l.data.clone()),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(record.hash),
            transaction_index: Some(receipt.index),
            log_index: Some(first_log_index + i as u64),
            removed: false,
        })
        .collect();
    let mut bloom = Bloom::ZERO;
    for log in &logs {
        bloom.accrue_log(&log.inner);
    }
    let inner = ReceiptWithBloom {
        receipt: Receipt {
            status: Eip658Value::Eip658(receipt.outcome == TxStatus::Success),
            cumulative_gas_used,
            logs,
        },
        logs_bloom: bloom,
    };
    let signed = SignedTx::decode(&record.raw).map_err(|e| RpcError::internal(format!("stored transaction: {e}")))?;
    let envelope = match signed {
        SignedTx::Legacy(_) => ReceiptEnvelope::Legacy(inner),
        SignedTx::Eip1559(_) => ReceiptEnvelope::Eip1559(inner),
    };
    Ok(TransactionReceipt {
        inner: envelope,
        transaction_hash: record.hash,
        transaction_index: Some(receipt.index),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: receipt.gas_used,
        effective_gas_price: 0,
        blob_gas_used: None,
        blob_gas_price: None,
        from: record.sender,
        to: signed.kind().to().copied(),
        contract_address: None,
    })
}

async fn rpc_block(node: &Node, block: &StoredBlock, full: bool) -> Result<Block, RpcError> {
    let header =
        Header { hash: block.hash, inner: block.header.to_header(), total_difficulty: Some(U256::ZERO), size: None };
    let transactions = if full {
        let records = node.store().block_transaction_records(block.header.number).await?;
        BlockTransactions::Full(records.iter().map(|r| rpc_transaction(r, Some(block))).collect::<Result<_, _>>()?)
    } else {
        BlockTransactions::Hashes(node.store().block_tx_hashes(block.header.number).await?)
    };
    Ok(Block { header, uncles: Vec::new(), transactions, withdrawals: None })
}
