//! `debug_traceTransaction`, `debug_traceBlockByNumber` and `debug_traceBlockByHash` with
//! geth's `callTracer` (docs/api.md §3.0g): the block runs again over the state before it (a
//! kept block's, or the stored history's when the node keeps it), on a call thread, and each
//! of its transactions gets its call frame.
//!
//! What a frame is for each kind of transaction of the block:
//! - a transaction from the pool or a forced one: the call it made, with its sub-calls; its
//!   top frame carries the transaction's gas limit and its receipt's `gasUsed` (execution is
//!   not metered: an operation uses its scheduled gas, docs/fees.md §2.1), and a transfer of
//!   ether is shown as the transfer it is (to its recipient, with its value), not as the
//!   ledger's call that carries it out;
//! - a deposit or a reading of the L1's fees: the system call that credited it (from the
//!   system caller to the system contract), as it ran;
//! - the fee vault's closing credit: no call runs (the block's chunks add the fees to the
//!   vault); its frame is the credit itself, with its logs.

use super::{ReadAt, error::RpcError};
use crate::{fair::Client, node::Node, store::StoredBlock};
use alloy_eips::BlockId;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_trace::geth::{
    CallConfig, CallFrame, CallLogFrame, GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingOptions,
};
use rollup_executor::{QueueResult, TxResult};
use rollup_types::{RecoveredTx, SignedTx};
use serde_json::{Value, json};
use std::sync::Arc;

/// The tracer a request asks for, checked: only `callTracer` is served.
pub(super) fn call_config(options: Option<GethDebugTracingOptions>) -> Result<CallConfig, RpcError> {
    let options = options.unwrap_or_default();
    match options.tracer {
        Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {}
        None => {
            return Err(RpcError::invalid_params(
                "the struct logger (no \"tracer\") is not served; ask for {\"tracer\": \"callTracer\"}",
            ));
        }
        Some(other) => {
            let name = match other {
                GethDebugTracerType::BuiltInTracer(t) => serde_json::to_string(&t).unwrap_or_default(),
                GethDebugTracerType::JsTracer(_) => "a JavaScript tracer".to_owned(),
            };
            return Err(RpcError::invalid_params(format!(
                "tracer {name} is not served; the tracer served is \"callTracer\""
            )));
        }
    }
    if options.tracer_config.is_null() {
        return Ok(CallConfig::default());
    }
    options
        .tracer_config
        .into_call_config()
        .map_err(|e| RpcError::invalid_params(format!("tracerConfig: {e} (callTracer takes onlyTopCall, withLog)")))
}

/// Each transaction of `block` with its call frame, in block order; with `only`, the frame of
/// that transaction alone (the block then runs only up to it).
pub(super) async fn trace_block(
    node: &Node,
    client: Client,
    block: &StoredBlock,
    only: Option<B256>,
    config: CallConfig,
) -> Result<Vec<(B256, CallFrame)>, RpcError> {
    let number = block.header.number;
    if number == 0 {
        return Err(RpcError::new(-32000, "genesis is not traceable: it has no parent state to run it over"));
    }
    if block.tx_count == 0 {
        return Ok(Vec::new());
    }
    let store = node.store();
    let records = store.block_transaction_records(number).await?;
    if records.len() as u64 != block.tx_count {
        return Err(RpcError::internal(format!(
            "block {number} lists {} transactions and {} are stored",
            block.tx_count,
            records.len()
        )));
    }
    let parent = store.block(number - 1).await?.ok_or_else(|| RpcError::internal("the parent block is not stored"))?;
    let queue = Arc::new(store.queue_range(parent.header.queue_end, block.header.queue_end).await?);
    let (queued, pool) = (block.queue_txs as usize, block.pool_txs() as usize);
    let mut txs = Vec::with_capacity(pool);
    for record in &records[queued..queued + pool] {
        let tx = SignedTx::decode(&record.raw)
            .map_err(|e| RpcError::internal(format!("block {number} holds an undecodable transaction: {e}")))?;
        txs.push(RecoveredTx::with_sender(tx, record.sender));
    }
    // A transaction's frame needs only the block up to it.
    let upto = match only {
        Some(hash) => {
            let at =
                records.iter().position(|r| r.hash == hash).ok_or_else(|| RpcError::internal("not in its block"))?;
            Some(at.saturating_sub(queued) + 1)
        }
        None => None,
    };
    let txs = Arc::new(txs);
    let env = crate::node::env_of(&block.header);
    let chain = *node.chain();
    let traced = at_block!(node, Some(BlockId::number(number - 1)), |view| {
        let (queue, txs, config) = (queue.clone(), txs.clone(), config);
        node.on_read_thread(client, move || {
            rollup_executor::trace_block(&chain, &view.state, env, &queue, &txs, upto, config)
        })
        .await
        .map_err(RpcError::from)
    })?;
    let mut frames = Vec::with_capacity(records.len());
    let queue_frames = traced.queue.into_iter().filter(|(r, _)| !matches!(r, QueueResult::Skipped(_)));
    for ((result, frame), record) in queue_frames.zip(&records[..queued]) {
        let frame = frame.unwrap_or_else(|| unrun(record.sender, result.outcome().map_or(0, |o| o.gas_used)));
        frames.push((record.hash, frame));
    }
    let pool_frames = traced.txs.into_iter().filter(|(r, _)| matches!(r, TxResult::Executed(_)));
    for (((_, frame), record), tx) in pool_frames.zip(&records[queued..queued + pool]).zip(txs.iter()) {
        let gas_used = record.receipt.as_ref().map_or(0, |r| r.gas_used);
        let frame = frame.unwrap_or_else(|| {
            let mut frame = unrun(tx.sender, gas_used);
            frame.error = Some("out of gas".to_owned());
            frame
        });
        frames.push((record.hash, as_sent(frame, &tx.tx, gas_used)));
    }
    for record in &records[queued + pool..] {
        frames.push((record.hash, closing_credit(record, &config)));
    }
    if only.is_none() && frames.len() != records.len() {
        return Err(RpcError::internal(format!(
            "block {number} ran {} of its {} transactions when traced again",
            frames.len(),
            records.len()
        )));
    }
    Ok(match only {
        Some(hash) => frames.into_iter().filter(|(h, _)| *h == hash).collect(),
        None => frames,
    })
}

/// A transaction's top frame as the transaction was sent: its gas limit and its receipt's gas,
/// and a transfer of ether as the transfer (the ledger's call that carries it out is what ran).
fn as_sent(mut frame: CallFrame, tx: &SignedTx, gas_used: u64) -> CallFrame {
    frame.gas = U256::from(tx.gas_limit());
    frame.gas_used = U256::from(gas_used);
    if let Some((to, value)) = tx.native_transfer() {
        frame.to = Some(to);
        frame.value = Some(value);
        frame.input = tx.input().clone();
        frame.output = None;
    }
    frame
}

/// The frame of an item that did not run in the EVM (a transaction out of gas: its operation
/// does not run, docs/fees.md §2).
fn unrun(from: alloy_primitives::Address, gas_used: u64) -> CallFrame {
    CallFrame { from, gas_used: U256::from(gas_used), typ: "CALL".to_owned(), ..Default::default() }
}

/// The fee vault's closing credit: no call, its logs.
fn closing_credit(record: &crate::store::TxRecord, config: &CallConfig) -> CallFrame {
    let credit = rollup_types::deposit::DepositTx::decode(&record.raw).ok();
    let logs = match (&record.receipt, config.with_log.unwrap_or(false)) {
        (Some(receipt), true) => receipt
            .logs
            .iter()
            .map(|log| CallLogFrame {
                address: Some(log.address),
                topics: Some(log.topics.clone()),
                data: Some(log.data.clone()),
                position: Some(0),
                index: None,
            })
            .collect(),
        _ => Vec::new(),
    };
    CallFrame {
        from: record.sender,
        to: credit.as_ref().and_then(|c| c.to),
        value: Some(credit.map_or(U256::ZERO, |c| c.value)),
        typ: "CALL".to_owned(),
        logs,
        ..Default::default()
    }
}

/// The answer of `debug_traceBlockBy*`: `[{txHash, result}]`, as geth gives it.
pub(super) fn block_answer(frames: Vec<(B256, CallFrame)>) -> Result<Value, RpcError> {
    let items: Vec<Value> = frames
        .into_iter()
        .map(|(hash, frame)| Ok(json!({ "txHash": hash, "result": super::to_json(frame)? })))
        .collect::<Result<_, RpcError>>()?;
    Ok(Value::Array(items))
}
