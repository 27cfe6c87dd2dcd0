//! The responses of the read layer: what REST, the explorer page and the WebSocket serve,
//! typed once (as alloy's RPC types are for JSON-RPC) with the wire names of docs/api.md.

use crate::store::{BatchRecord, StoredLog, WithdrawalRecord};
use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_executor::TxStatus;
use rollup_types::status::ChallengerStatus;
use serde::Serialize;

use super::state::decimal;

/// Where a transaction stands: in the pool, refused or dropped, or in a block and, after
/// that, on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TxStage {
    /// Admitted, not in a block yet.
    Pending,
    /// Refused at execution.
    Rejected,
    /// Replaced by another of the same nonce.
    Replaced,
    /// Dropped from the pool.
    Evicted,
    /// In a block that no batch holds yet.
    Included,
    /// In a batch on L1 within its challenge window.
    Posted,
    /// In a batch past its challenge window.
    Finalized,
}

/// Where a batch stands on L1, as the L1 and the challenger say: `posted` (mined, in its
/// challenge window), `verified` (the challenger re-executed it from L1 data and agrees),
/// `final` (past its window), `disputed` (the challenger found it wrong: a fraud proof follows
/// and, once it lands, the batch and those after it are rolled back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BatchStage {
    /// Mined on L1, not yet judged.
    Posted,
    /// Re-executed by the challenger and found right.
    Verified,
    /// Past its challenge window.
    Final,
    /// Found wrong by the challenger.
    Disputed,
}

impl BatchStage {
    /// The stage of `batch` given the challenger's verdicts, when this process runs one.
    pub fn of(batch: &BatchRecord, challenger: Option<&ChallengerStatus>) -> Self {
        let disputed = challenger.is_some_and(|c| c.mismatches.iter().any(|m| m.batch_index == batch.index));
        let verified = challenger.and_then(|c| c.last_verified_batch).is_some_and(|v| v >= batch.index);
        match (disputed, batch.finalized, verified) {
            (true, _, _) => Self::Disputed,
            (false, true, _) => Self::Final,
            (false, false, true) => Self::Verified,
            (false, false, false) => Self::Posted,
        }
    }
}

/// A batch on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Its index in the inbox.
    pub index: u64,
    /// Its first L2 block.
    pub first_block: u64,
    /// Its last L2 block.
    pub last_block: u64,
    /// The state root it posted.
    pub state_root: B256,
    /// Bytes of its data.
    pub data_len: u64,
    /// Its chunks.
    pub chunk_count: u64,
    /// The L1 transaction that posted it.
    pub l1_tx_hash: B256,
    /// The L1 block of the post.
    pub l1_block: u64,
    /// That block's timestamp.
    pub posted_at: u64,
    /// Past its challenge window.
    pub finalized: bool,
    /// Where it stands ([`BatchStage`]).
    pub stage: BatchStage,
}

impl BatchView {
    /// `batch` as served, judged by `challenger`.
    pub fn new(batch: &BatchRecord, challenger: Option<&ChallengerStatus>) -> Self {
        Self {
            index: batch.index,
            first_block: batch.first_block,
            last_block: batch.last_block,
            state_root: batch.state_root,
            data_len: batch.data_len,
            chunk_count: batch.chunk_count,
            l1_tx_hash: batch.l1_tx_hash,
            l1_block: batch.l1_block,
            posted_at: batch.posted_at,
            finalized: batch.finalized,
            stage: BatchStage::of(batch, challenger),
        }
    }
}

/// Where a block (or what a block holds) stands on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    /// `included` (no batch holds it yet), `posted` or `finalized`.
    pub status: TxStage,
    /// The batch that holds it.
    pub batch: Option<BatchView>,
}

/// What an included transaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptView {
    /// `success`, `revert` or `halt`.
    pub status: TxStatus,
    /// Gas it used.
    pub gas_used: u64,
    /// What it returned (a revert's data).
    pub output: Bytes,
    /// A revert's reason, decoded by the system contract's errors.
    pub revert_reason: Option<String>,
    /// Its logs, in order.
    pub logs: Vec<StoredLog>,
}

/// A transaction, its receipt and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TxView {
    /// Its hash.
    pub hash: B256,
    /// Where it stands.
    pub status: TxStage,
    /// Its sender.
    pub from: Address,
    /// Its nonce.
    pub nonce: u64,
    /// Its block.
    pub block_number: Option<u64>,
    /// Its index in its block.
    pub index: Option<u64>,
    /// What it did, once in a block.
    pub receipt: Option<ReceiptView>,
    /// Why it was refused or dropped.
    pub reason: Option<String>,
    /// The batch that holds its block.
    pub batch: Option<BatchView>,
}

/// A block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its parent's hash.
    pub parent_hash: B256,
    /// Its timestamp (seconds).
    pub timestamp: u64,
    /// The state root after it.
    pub state_root: B256,
    /// The state roots after each of its chunks.
    pub chunk_roots: Vec<B256>,
    /// Gas it used.
    pub gas_used: u64,
    /// Its transactions' hashes, in order (queue entries and credits included).
    pub transactions: Vec<B256>,
    /// `included` (no batch holds it yet), `posted` or `finalized`.
    pub status: TxStage,
    /// The batch that holds it, with its stage.
    pub batch: Option<BatchView>,
}

/// A block in a list: its header and counts, without its transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockSummary {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp (seconds).
    pub timestamp: u64,
    /// Gas it used.
    pub gas_used: u64,
    /// Transactions of every kind, and those from the pool (signed by users).
    pub tx_count: u64,
    /// Those users signed (from the pool).
    pub pool_txs: u64,
    /// Bytes it adds to a batch.
    pub batch_bytes: u64,
}

/// What a queue entry carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum QueueItemView {
    /// A deposit of `amount` of `l1_token` (the zero address: ether), credited as `l2_token`.
    Deposit {
        /// The L2 account credited.
        to: Address,
        /// The L1 token (zero: ether).
        l1_token: Address,
        /// Its L2 token.
        l2_token: Address,
        /// The amount, base units.
        #[serde(serialize_with = "decimal")]
        amount: U256,
    },
    /// A forced transaction.
    Forced {
        /// Its bytes as queued.
        raw: Bytes,
        /// Its hash.
        tx_hash: Option<B256>,
    },
    /// A reading of the L1's fees.
    L1Fees {
        /// The base fee of the L1 block it was queued in.
        #[serde(serialize_with = "decimal")]
        base_fee: U256,
        /// That block's blob base fee.
        #[serde(serialize_with = "decimal")]
        blob_base_fee: U256,
    },
}

/// What the L2 did with a queue entry, and where its block stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedView {
    /// The block that consumed it.
    pub block_number: u64,
    /// `credited`, `success`, `revert`, `halt` or `skipped`.
    pub outcome: String,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// Its logs, in order.
    pub logs: Vec<StoredLog>,
    /// The batch that holds its block.
    pub batch: Option<BatchView>,
}

/// An entry of the bridge's queue: a deposit, a forced transaction or an L1 fee reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntryView {
    /// Its index.
    pub index: u64,
    /// The L1 account that queued it.
    pub from: Address,
    /// The L1 block it was queued in.
    pub l1_block: u64,
    /// The queue's accumulator after it.
    pub accumulator: B256,
    /// What it carries.
    #[serde(flatten)]
    pub item: QueueItemView,
    /// `queued` (read from L1, in no block yet), then as a block's settlement.
    pub status: QueueStage,
    /// What the L2 did with it.
    #[serde(flatten)]
    pub consumed: Option<ConsumedView>,
}

/// Where a queue entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum QueueStage {
    /// Read from L1, in no block yet.
    Queued,
    /// In a block no batch holds yet.
    Included,
    /// In a posted batch.
    Posted,
    /// In a batch past its window.
    Finalized,
}

/// A withdrawal written on L2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    /// The L2 account that withdrew.
    pub l2_sender: Address,
    /// Its index.
    pub index: u64,
    /// The L1 token (zero: ether).
    pub l1_token: Address,
    /// Its L2 token.
    pub l2_token: Address,
    /// Who the L1 bridge pays.
    pub recipient: Address,
    /// The amount, base units.
    #[serde(serialize_with = "decimal")]
    pub amount: U256,
    /// Its leaf in the state tree and the key of that leaf.
    pub leaf: B256,
    /// The key of that leaf.
    pub key: B256,
    /// Its block.
    pub block_number: u64,
    /// The transaction that wrote it.
    pub tx_hash: B256,
}

impl From<&WithdrawalRecord> for WithdrawalView {
    fn from(w: &WithdrawalRecord) -> Self {
        Self {
            l2_sender: w.l2_sender,
            index: w.index,
            l1_token: w.l1_token,
            l2_token: w.l2_token,
            recipient: w.recipient,
            amount: w.amount,
            leaf: w.leaf,
            key: rollup_types::keys::withdrawal(&w.l2_sender, w.index),
            block_number: w.block_number,
            tx_hash: w.tx_hash,
        }
    }
}

/// An account: its nonce, its next nonce counting the pool, its balances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// Its nonce.
    pub nonce: u64,
    /// Its next nonce, counting the pool.
    pub pending_nonce: u64,
    /// Its token balances.
    pub balances: Vec<super::state::BalanceView>,
}

/// An account's positions in the money market and its health (`None` without a price).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionsView {
    /// The account.
    pub address: Address,
    /// Its positions.
    pub positions: Vec<super::state::PositionView>,
    /// Its health (`None` when a market has no price).
    pub health: Option<super::state::HealthView>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollup_types::status::Mismatch;

    fn batch(index: u64, finalized: bool) -> BatchRecord {
        BatchRecord {
            index,
            first_block: 1,
            last_block: 2,
            state_root: B256::ZERO,
            data_hash: B256::ZERO,
            data_len: 1,
            chunk_count: 1,
            l1_tx_hash: B256::ZERO,
            l1_block: 1,
            l1_block_hash: None,
            posted_at: 0,
            finalized,
        }
    }

    /// A batch is verified only by a challenger's verdict, disputed whatever else holds once the
    /// challenger found it wrong, and without a challenger only posted or final.
    #[test]
    fn a_batch_stage_is_what_the_l1_and_the_challenger_say() {
        let verified_through = |v| ChallengerStatus { last_verified_batch: v, ..Default::default() };
        assert_eq!(BatchStage::of(&batch(3, false), None), BatchStage::Posted);
        assert_eq!(BatchStage::of(&batch(3, true), None), BatchStage::Final);
        assert_eq!(BatchStage::of(&batch(3, false), Some(&verified_through(None))), BatchStage::Posted);
        assert_eq!(BatchStage::of(&batch(3, false), Some(&verified_through(Some(2)))), BatchStage::Posted);
        assert_eq!(BatchStage::of(&batch(3, false), Some(&verified_through(Some(3)))), BatchStage::Verified);
        assert_eq!(BatchStage::of(&batch(3, true), Some(&verified_through(Some(3)))), BatchStage::Final);
        let mut disputed = verified_through(Some(2));
        disputed.mismatches.push(Mismatch {
            batch_index: 3,
            reason: "chunk 1".into(),
            posted_root: B256::ZERO,
            computed_root: None,
        });
        assert_eq!(BatchStage::of(&batch(3, true), Some(&disputed)), BatchStage::Disputed);
        assert_eq!(BatchStage::of(&batch(2, false), Some(&disputed)), BatchStage::Verified);
        let json = serde_json::to_value(BatchView::new(&batch(3, false), Some(&disputed))).expect("json");
        assert_eq!(json["stage"], "disputed");
        assert_eq!(json["l1TxHash"], serde_json::json!(B256::ZERO));
    }
}
