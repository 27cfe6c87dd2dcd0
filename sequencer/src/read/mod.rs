//! The read layer (docs/api.md §1.0): the one place that answers what REST, the explorer page,
//! JSON-RPC and WebSocket ask of the chain: a block, a transaction with its receipt, a batch
//! and where it stands on L1, a queue entry, a withdrawal, an account, the pools and the
//! markets, as typed responses ([`types`]) built from the store and the state ([`state`]).
//!
//! What a reader sees of L1 is what the L1 and the challenger say: a batch is `posted` when
//! its post is mined, `verified` when the challenger of this process re-executed it from L1
//! data, `final` past its window, `disputed` when the challenger found it wrong.
//!
//! Each read is bounded: one record, or a page of at most [`MAX_PAGE`]. The callers run them
//! on the query threads (`node/queries.rs`), off ingest and block production.

pub mod state;
pub mod types;

pub use types::*;

use crate::{
    node::{Node, ProofError, WithdrawalProof},
    store::{BatchRecord, StoreError, StoredBlock, StoredStatus, TxRecord, WithdrawalPayout},
};
use alloy_primitives::{Address, B256};
use rollup_types::{queue::QueueItem, status::ChallengerStatus};

/// The most items one list read returns.
pub const MAX_PAGE: u64 = 100;

/// The challenger's verdicts, when this process runs one (the devnet).
pub fn challenger(node: &Node) -> Option<ChallengerStatus> {
    node.status_sources().challenger.as_ref().map(|c| c.borrow().clone())
}

/// Where block `number` stands on L1.
pub async fn settlement(node: &Node, number: u64) -> Result<Settlement, StoreError> {
    let batch = node.store().batch_of_block(number).await?;
    Ok(settled(batch.as_ref(), challenger(node).as_ref()))
}

fn settled(batch: Option<&BatchRecord>, challenger: Option<&ChallengerStatus>) -> Settlement {
    let status = match batch {
        Some(b) if b.finalized => TxStage::Finalized,
        Some(_) => TxStage::Posted,
        None => TxStage::Included,
    };
    Settlement { status, batch: batch.map(|b| BatchView::new(b, challenger)) }
}

/// The transaction `hash` with its receipt and where it stands; `None` when the node never
/// admitted it.
pub async fn transaction(node: &Node, hash: B256) -> Result<Option<TxView>, StoreError> {
    let Some(record) = node.store().transaction(hash).await? else { return Ok(None) };
    Ok(Some(transaction_view(node, &record).await?))
}

async fn transaction_view(node: &Node, record: &TxRecord) -> Result<TxView, StoreError> {
    let (status, batch) = match (record.status, &record.receipt) {
        (StoredStatus::Pending, _) => (TxStage::Pending, None),
        (StoredStatus::Rejected, _) => (TxStage::Rejected, None),
        (StoredStatus::Replaced, _) => (TxStage::Replaced, None),
        (StoredStatus::Evicted, _) => (TxStage::Evicted, None),
        (StoredStatus::Included, Some(receipt)) => {
            let s = settlement(node, receipt.block_number).await?;
            (s.status, s.batch)
        }
        (StoredStatus::Included, None) => (TxStage::Included, None),
    };
    let receipt = record.receipt.as_ref().map(|r| ReceiptView {
        status: r.outcome,
        gas_used: r.gas_used,
        output: r.output.clone(),
        revert_reason: (r.outcome != rollup_executor::TxStatus::Success).then(|| crate::api::revert_reason(&r.output)),
        logs: r.logs.clone(),
    });
    Ok(TxView {
        hash: record.hash,
        status,
        from: record.sender,
        nonce: record.nonce,
        block_number: record.receipt.as_ref().map(|r| r.block_number),
        index: record.receipt.as_ref().map(|r| r.index),
        receipt,
        reason: record.reason.clone(),
        batch,
    })
}

/// A block by number or hash, or the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockRef {
    /// The head.
    Latest,
    /// By number (0: genesis).
    Number(u64),
    /// By hash.
    Hash(B256),
}

/// The block `id` refers to, if the chain has it.
pub async fn stored_block(node: &Node, id: BlockRef) -> Result<Option<StoredBlock>, StoreError> {
    if let Some(recent) = recent_block(node, id) {
        return Ok(Some(recent.block.clone()));
    }
    let store = node.store();
    match id {
        BlockRef::Latest => store.block(node.head().header.number).await,
        BlockRef::Number(number) => store.block(number).await,
        BlockRef::Hash(hash) => store.block_by_hash(hash).await,
    }
}

/// The block `id` refers to, with its transactions and receipts, if it is one of the recent
/// blocks held in memory.
pub fn recent_block(node: &Node, id: BlockRef) -> Option<std::sync::Arc<crate::node::RecentBlock>> {
    match id {
        BlockRef::Latest => node.recent().block(node.head().header.number),
        BlockRef::Number(number) => node.recent().block(number),
        BlockRef::Hash(hash) => node.recent().block_by_hash(&hash),
    }
}

/// The block `id` refers to with its transactions' hashes.
pub async fn block(node: &Node, id: BlockRef) -> Result<Option<BlockView>, StoreError> {
    let (block, transactions) = match recent_block(node, id) {
        Some(recent) => (recent.block.clone(), recent.records.iter().map(|r| r.hash).collect()),
        None => {
            let Some(block) = stored_block(node, id).await? else { return Ok(None) };
            let hashes = node.store().block_tx_hashes(block.header.number).await?;
            (block, hashes)
        }
    };
    let settlement = settlement(node, block.header.number).await?;
    let h = &block.header;
    Ok(Some(BlockView {
        number: h.number,
        hash: block.hash,
        parent_hash: h.parent_hash,
        timestamp: h.timestamp,
        state_root: h.state_root,
        chunk_roots: block.chunk_roots,
        gas_used: h.gas_used,
        transactions,
        status: settlement.status,
        batch: settlement.batch,
    }))
}

/// Up to `limit` ([`MAX_PAGE`] at most) blocks ending at `last` (the head when `None`),
/// newest first.
pub async fn blocks(node: &Node, last: Option<u64>, limit: u64) -> Result<Vec<BlockSummary>, StoreError> {
    let head = node.head().header.number;
    let last = last.unwrap_or(head).min(head);
    let limit = limit.clamp(1, MAX_PAGE);
    let first = last.saturating_sub(limit - 1);
    let mut blocks: Vec<BlockSummary> = node
        .store()
        .blocks_from(first, last - first + 1)
        .await?
        .into_iter()
        .map(|b| BlockSummary {
            number: b.header.number,
            hash: b.hash,
            timestamp: b.header.timestamp,
            gas_used: b.header.gas_used,
            tx_count: b.tx_count,
            pool_txs: b.pool_txs(),
            batch_bytes: b.batch_bytes,
        })
        .collect();
    blocks.reverse();
    Ok(blocks)
}

/// Batch `index`, judged.
pub async fn batch(node: &Node, index: u64) -> Result<Option<BatchView>, StoreError> {
    let batch = node.store().batch(index).await?;
    Ok(batch.map(|b| BatchView::new(&b, challenger(node).as_ref())))
}

/// Up to `limit` ([`MAX_PAGE`] at most) batches ending at `last` (the newest when `None`),
/// newest first, judged.
pub async fn batches(node: &Node, last: Option<u64>, limit: u64) -> Result<Vec<BatchView>, StoreError> {
    let batches = node.store().batches_to(last.unwrap_or(u64::MAX >> 1), limit.clamp(1, MAX_PAGE)).await?;
    let challenger = challenger(node);
    Ok(batches.iter().map(|b| BatchView::new(b, challenger.as_ref())).collect())
}

/// Entry `index` of the bridge's queue and where it stands; `None` when it was not read from
/// L1.
pub async fn queue_entry(node: &Node, index: u64) -> Result<Option<QueueEntryView>, StoreError> {
    let Some(entry) = node.store().queue_entry(index).await? else { return Ok(None) };
    let e = &entry.queued.entry;
    let item = match &e.item {
        QueueItem::Deposit { to, l1_token, amount, meta: _ } => QueueItemView::Deposit {
            to: *to,
            l1_token: *l1_token,
            l2_token: rollup_types::keys::bridged_token(l1_token),
            amount: *amount,
        },
        QueueItem::Forced { raw } => QueueItemView::Forced { raw: raw.clone(), tx_hash: e.forced_tx_hash() },
        QueueItem::L1Fees { base_fee, blob_base_fee } => {
            QueueItemView::L1Fees { base_fee: *base_fee, blob_base_fee: *blob_base_fee }
        }
    };
    let (status, consumed) = match &entry.consumed {
        None => (QueueStage::Queued, None),
        Some(c) => {
            let s = settlement(node, c.block_number).await?;
            let status = match s.status {
                TxStage::Finalized => QueueStage::Finalized,
                TxStage::Posted => QueueStage::Posted,
                _ => QueueStage::Included,
            };
            let consumed = ConsumedView {
                block_number: c.block_number,
                outcome: c.outcome.clone(),
                reason: c.reason.clone(),
                logs: c.logs.clone(),
                batch: s.batch,
            };
            (status, Some(consumed))
        }
    };
    Ok(Some(QueueEntryView {
        index: e.index,
        from: e.from,
        l1_block: e.l1_block,
        accumulator: entry.queued.accumulator,
        item,
        status,
        consumed,
    }))
}

/// Withdrawal `index` of `sender`, where its block stands and, once the L1 paid it (as far as
/// the queue reader read), the payout; `None` when it was not written.
pub async fn withdrawal(
    node: &Node,
    sender: Address,
    index: u64,
) -> Result<Option<(WithdrawalView, Settlement, Option<WithdrawalPayout>)>, StoreError> {
    let Some(w) = node.store().withdrawal(sender, index).await? else { return Ok(None) };
    let settlement = settlement(node, w.block_number).await?;
    let payout = node.store().withdrawal_payout(sender, index).await?;
    Ok(Some((WithdrawalView::from(&w), settlement, payout)))
}

/// What `L1Bridge.finalizeWithdrawal` takes for withdrawal `index` of `sender`.
pub async fn withdrawal_proof(node: &Node, sender: Address, index: u64) -> Result<WithdrawalProof, ProofError> {
    node.withdrawal_proof(sender, index).await
}

/// `address`'s nonce, its next nonce counting the pool, and its balances.
pub fn account(node: &Node, address: Address) -> AccountView {
    let state = node.committed_state();
    AccountView {
        address,
        nonce: state.nonce(&address),
        pending_nonce: node.pending_nonce(&address),
        balances: state::balances(&state, &address),
    }
}

/// `address`'s positions in the money market and its health.
pub fn positions(node: &Node, address: Address) -> PositionsView {
    let state = node.committed_state();
    PositionsView { address, positions: state::positions(&state, &address), health: state::health(&state, &address) }
}
