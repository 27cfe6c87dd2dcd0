//! The node's records as the Ethereum JSON-RPC types clients expect (alloy's RPC types):
//! transactions, receipts (log indices counted across the block) and blocks. A block's credits
//! (deposits, the fee vault's) are type-0x7e transactions in the shape OP Stack nodes serve
//! their deposit transactions (docs/fees.md §8); queue entries and credits pay no fee, so their
//! effective gas price is 0.

use super::error::RpcError;
use crate::{
    node::Node,
    store::{ReceiptPosition, StoredBlock, StoredReceipt, TxRecord},
};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, transaction::Recovered};
use alloy_primitives::{Bloom, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use rollup_executor::TxStatus;
use rollup_types::{
    SignedTx,
    deposit::{DepositTx, is_deposit},
};
use serde_json::{Value, json};

fn stored(e: impl std::fmt::Display) -> RpcError {
    RpcError::internal(format!("stored transaction: {e}"))
}

fn value_of(v: impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::internal(e.to_string()))
}

/// An answer in alloy's type, serialized as it is, or shaped by hand where alloy has no type
/// (a type-0x7e transaction or receipt).
#[derive(Debug)]
pub(super) enum Shaped<T> {
    /// alloy's type.
    Typed(Box<T>),
    /// Shaped by hand.
    Json(Value),
}

impl<T: serde::Serialize> serde::Serialize for Shaped<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Typed(t) => t.serialize(serializer),
            Self::Json(v) => v.serialize(serializer),
        }
    }
}

/// A type-0x7e transaction as OP Stack nodes serve one: its fields, no signature (v, r, s 0),
/// no fee.
fn deposit_transaction(record: &TxRecord, deposit: &DepositTx, block: Option<&StoredBlock>) -> Value {
    let mut tx = json!({
        "type": "0x7e",
        "hash": record.hash,
        "sourceHash": deposit.source_hash,
        "from": deposit.from,
        "to": deposit.to,
        "mint": deposit.mint,
        "value": deposit.value,
        "gas": format!("{:#x}", deposit.gas),
        "gasPrice": "0x0",
        "input": deposit.input,
        "nonce": "0x0",
        "v": "0x0",
        "r": "0x0",
        "s": "0x0",
        "blockHash": block.map(|b| b.hash),
        "blockNumber": record.receipt.as_ref().map(|r| format!("{:#x}", r.block_number)),
        "blockTimestamp": block.map(|b| format!("{:#x}", b.header.timestamp)),
        "transactionIndex": record.receipt.as_ref().map(|r| format!("{:#x}", r.index)),
    });
    if deposit.is_system_tx {
        tx["isSystemTx"] = Value::Bool(true);
    }
    tx
}

/// The price `tx` paid for a gas unit in a block of `base_fee` (docs/fees.md §2).
fn effective_gas_price(tx: &SignedTx, base_fee: u128) -> u128 {
    rollup_types::fees::effective_price(tx.max_fee_per_gas(), tx.max_priority_fee_per_gas(), base_fee)
}

pub(super) fn rpc_transaction(record: &TxRecord, block: Option<&StoredBlock>) -> Result<Shaped<Transaction>, RpcError> {
    if is_deposit(&record.raw) {
        let deposit = DepositTx::decode(&record.raw).map_err(stored)?;
        return Ok(Shaped::Json(deposit_transaction(record, &deposit, block)));
    }
    let signed = SignedTx::decode(&record.raw).map_err(stored)?;
    // Included: what it paid a gas unit (nothing for a forced transaction, paid on L1);
    // pending: its fee cap, as geth answers.
    let price = match (block, &record.receipt) {
        (_, Some(r)) if r.fee_exempt => 0,
        (Some(b), Some(_)) => effective_gas_price(&signed, b.header.base_fee),
        _ => signed.max_fee_per_gas(),
    };
    Ok(Shaped::Typed(Box::new(Transaction {
        inner: Recovered::new_unchecked(signed.to_envelope(), record.sender),
        block_hash: block.map(|b| b.hash),
        block_number: record.receipt.as_ref().map(|r| r.block_number),
        transaction_index: record.receipt.as_ref().map(|r| r.index),
        effective_gas_price: Some(price),
        block_timestamp: block.map(|b| b.header.timestamp),
    })))
}

pub(super) fn rpc_receipt(
    record: &TxRecord,
    receipt: &StoredReceipt,
    block: &StoredBlock,
    position: ReceiptPosition,
    bloom: Option<Bloom>,
) -> Result<Shaped<TransactionReceipt>, RpcError> {
    let ReceiptPosition { cumulative_gas_used, first_log_index } = position;
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
    // Held for a recent block (`RecentBlock::bloom`), else computed here.
    let bloom = bloom.unwrap_or_else(|| {
        let mut bloom = Bloom::ZERO;
        for log in &logs {
            bloom.accrue_log(&log.inner);
        }
        bloom
    });
    let inner = ReceiptWithBloom {
        receipt: Receipt {
            status: Eip658Value::Eip658(receipt.outcome == TxStatus::Success),
            cumulative_gas_used,
            logs,
        },
        logs_bloom: bloom,
    };
    if is_deposit(&record.raw) {
        // Served in the EIP-1559 receipt's shape, then given its own type.
        let deposit = DepositTx::decode(&record.raw).map_err(stored)?;
        let mut value = value_of(TransactionReceipt {
            inner: ReceiptEnvelope::Eip1559(inner),
            transaction_hash: record.hash,
            transaction_index: Some(receipt.index),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            gas_used: receipt.gas_used,
            effective_gas_price: 0,
            blob_gas_used: None,
            blob_gas_price: None,
            from: deposit.from,
            to: deposit.to,
            contract_address: None,
        })?;
        value["type"] = json!("0x7e");
        return Ok(Shaped::Json(value));
    }
    let signed = SignedTx::decode(&record.raw).map_err(stored)?;
    let envelope = match signed {
        SignedTx::Legacy(_) => ReceiptEnvelope::Legacy(inner),
        SignedTx::Eip1559(_) => ReceiptEnvelope::Eip1559(inner),
    };
    // `gasUsed × effectiveGasPrice` is exactly what was taken from the sender: nothing from a
    // forced transaction, paid on L1.
    let effective_gas_price = if receipt.fee_exempt { 0 } else { effective_gas_price(&signed, block.header.base_fee) };
    Ok(Shaped::Typed(Box::new(TransactionReceipt {
        inner: envelope,
        transaction_hash: record.hash,
        transaction_index: Some(receipt.index),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: receipt.gas_used,
        effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: record.sender,
        to: signed.kind().to().copied(),
        contract_address: None,
    })))
}

pub(super) async fn rpc_block(
    node: &Node,
    block: &StoredBlock,
    full: bool,
) -> Result<Block<Shaped<Transaction>>, RpcError> {
    // One read of the block's transactions: their records in full, else the block's body.
    let (raws, transactions): (Vec<alloy_primitives::Bytes>, _) = if full {
        let records = node.store().block_transaction_records(block.header.number).await?;
        let full = records.iter().map(|r| rpc_transaction(r, Some(block))).collect::<Result<_, _>>()?;
        (records.into_iter().map(|r| r.raw).collect(), BlockTransactions::Full(full))
    } else {
        let txs = node.store().block_txs(block.header.number).await?;
        let hashes = txs.iter().map(|(hash, _)| *hash).collect();
        (txs.into_iter().map(|(_, raw)| raw).collect(), BlockTransactions::Hashes(hashes))
    };
    // The size of the block's RLP encoding (`debug_getRawBlock`'s bytes).
    let size = U256::from(super::raw::block(block, &raws).len());
    let header = Header {
        hash: block.hash,
        inner: block.header.to_header(),
        total_difficulty: Some(U256::ZERO),
        size: Some(size),
    };
    Ok(Block { header, uncles: Vec::new(), transactions, withdrawals: None })
}
