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
    /// The batch data (for a blob post, the blob's first `length` bytes).
    pub data: Bytes,
    /// The blob of a blob post and what the post says of it; `None` for a calldata post.
    pub blob: Option<BlobPost>,
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

impl PostedBatch {
    /// Why the data is not what the inbox committed to (`data_hash`), if it is not: then this
    /// is not the post's data, and no verdict can be reached on it (a post is read from the
    /// transaction that emitted the inbox's event, which holds exactly what the inbox committed
    /// to, docs/fraud-proofs.md §5).
    pub fn commitment_mismatch(&self) -> Option<String> {
        let commitment = match &self.blob {
            None => rollup_types::codec::data_commitment(&self.data),
            Some(blob) => rollup_types::codec::data_commitment_of(self.data.len(), &blob.segment_hashes),
        };
        (commitment != self.data_hash)
            .then(|| format!("the data read commits to {commitment}, the inbox recorded {}", self.data_hash))
    }
}

/// A blob post's blob and the segment hashes its call committed to (docs/fraud-proofs.md §8.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobPost {
    /// The blob's versioned hash (the inbox's `blobHash`).
    pub versioned_hash: B256,
    /// The posted hash of each 1,024-byte segment of the data.
    pub segment_hashes: Vec<B256>,
    /// The posted hash of the chunk roots that end the blob (docs/fraud-proofs.md §8.8); the
    /// roots read from the blob are the batch's `chunk_roots`.
    pub chunk_roots_hash: B256,
    /// The blob (131,072 bytes).
    pub raw: Bytes,
}

impl BlobPost {
    /// Whether `roots`, read from the end of the blob, are not the ones the post committed to:
    /// they do not hash to the posted hash, or the last of them is not the recorded state root
    /// (`proveBlobRootsFraud` shows it).
    pub fn roots_mismatch(&self, roots: &[B256], state_root: B256) -> bool {
        let hash = rollup_types::codec::chunk_roots_hash(roots);
        hash != self.chunk_roots_hash || roots.last().is_some_and(|last| *last != state_root)
    }

    /// The first segment of `data` (the blob's data) that does not hash to its posted hash.
    pub fn mismatch(&self, data: &[u8]) -> Option<usize> {
        let held = rollup_types::codec::segment_hashes(data);
        (0..self.segment_hashes.len()).find(|&s| held.get(s) != Some(&self.segment_hashes[s]))
    }
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
