//! A batch as the challenger reads it from L1, and where the chain stands when it is judged:
//! the inputs the verifier (`derive`) and the prover (`prove`) both take.

use alloy_primitives::{B256, Bytes};
use rollup_types::queue::QueueEntry;

/// A batch as read from L1: the inbox event and the calldata of the post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedBatch {
    /// Index in the inbox.
    pub index: u64,
    /// L1 block of the post.
    pub l1_block: u64,
    /// L1 transaction of the post.
    pub l1_tx_hash: B256,
    /// Data commitment recorded by the inbox.
    pub data_hash: B256,
    /// The batch data (for a blob post, read back from its blobs; empty if their layout is
    /// not that of `rollup_types::blob`, which then fails to decode).
    pub data: Bytes,
    /// Versioned hashes of the post's blobs; empty for a calldata post.
    pub blob_hashes: Vec<B256>,
    /// Root the poster claimed to build on.
    pub prev_state_root: B256,
    /// State root after each chunk, as posted.
    pub chunk_roots: Vec<B256>,
    /// State root recorded by the inbox.
    pub state_root: B256,
    /// Last L2 block, as posted.
    pub last_block: u64,
    /// How far the batch consumed the bridge's L1 → L2 queue, as posted (`queueEnd`).
    pub queue_end: u64,
    /// The queue entries the post says it consumed (from the previous batch's `queueEnd` to
    /// `queue_end`), read from the L1 bridge and checked against its accumulators.
    pub queue: Vec<QueueEntry>,
    /// The bridge's accumulator before the first of them.
    pub queue_acc: B256,
}

/// Where the verifier stands: the next batch and block it expects, and the first batch it
/// found invalid (later ones descend from it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Index of the next batch to judge.
    pub next_index: u64,
    /// Next L2 block expected.
    pub next_block: u64,
    /// First batch judged invalid and not rolled back yet.
    pub invalid_from: Option<u64>,
    /// Queue entries consumed by the batches verified so far (the last one's `queueEnd`).
    pub queue_end: u64,
}

impl Position {
    /// A chain at genesis: batch 0 and block 1 next, no queue entry consumed.
    pub const GENESIS: Self = Self { next_index: 0, next_block: 1, invalid_from: None, queue_end: 0 };
}
