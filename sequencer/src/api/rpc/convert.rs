//! The node's records as the Ethereum JSON-RPC types clients expect (alloy's RPC types):
//! transactions, receipts (log indices counted across the block) and blocks.

use super::error::RpcError;
use crate::{
    node::Node,
    store::{StoredBlock, StoredReceipt, TxRecord},
};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, transaction::Recovered};
use alloy_primitives::{Bloom, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use rollup_executor::TxStatus;
use rollup_types::SignedTx;

/// The price `tx` paid for a gas unit in a block of `base_fee` (docs/fees.md §2).
fn effective_gas_price(tx: &SignedTx, base_fee: u128) -> u128 {
    rollup_types::fees::effective_price(tx.max_fee_per_gas(), tx.max_priority_fee_per_gas(), base_fee)
}

pub(super) fn rpc_transaction(record: &TxRecord, block: Option<&StoredBlock>) -> Result<Transaction, RpcError> {
    let signed = SignedTx::decode(&record.raw).map_err(|e| RpcError::internal(format!("stored transaction: {e}")))?;
    // Included: what it paid a gas unit; pending: its fee cap, as geth answers.
    let price = match (block, &record.receipt) {
        (Some(b), Some(_)) => effective_gas_price(&signed, b.header.base_fee),
        _ => signed.max_fee_per_gas(),
    };
    Ok(Transaction {
        inner: Recovered::new_unchecked(signed.to_envelope(), record.sender),
        block_hash: block.map(|b| b.hash),
        block_number: record.receipt.as_ref().map(|r| r.block_number),
        transaction_index: record.receipt.as_ref().map(|r| r.index),
        effective_gas_price: Some(price),
        block_timestamp: block.map(|b| b.header.timestamp),
    })
}

pub(super) fn rpc_receipt(
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
        // `gasUsed × effectiveGasPrice` is exactly what was taken from the sender.
        effective_gas_price: effective_gas_price(&signed, block.header.base_fee),
        blob_gas_used: None,
        blob_gas_price: None,
        from: record.sender,
        to: signed.kind().to().copied(),
        contract_address: None,
    })
}

pub(super) async fn rpc_block(node: &Node, block: &StoredBlock, full: bool) -> Result<Block, RpcError> {
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
