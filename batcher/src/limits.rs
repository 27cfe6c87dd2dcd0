//! What one post may carry on the L1 it goes to: the limits read from the node, the gas a
//! `postBatch` call uses, and from both the largest batch data a post, and a block, may hold
//! (docs/batcher.md §2).
//!
//! The gas of a post is computed here rather than asked of the node: a post that follows
//! others still in flight builds on batches the node has not executed yet, so the node's
//! estimate of it would revert. What the computation covers is exact where it matters (the
//! calldata cost, with the EIP-7623 floor that a data-heavy post pays) and an upper bound
//! where it is small (the inbox's execution), checked against a real anvil by the tests.

use crate::error::BatcherError;
use alloy::providers::{DynProvider, Provider};
use rollup_types::{
    chain::MAX_BLOCK_QUEUE_ENTRIES,
    codec::{MAX_BATCH_CHUNKS, MIN_TX_BYTES, SEGMENT_BYTES},
};
use serde::{Deserialize, Serialize};

/// EIP-7825 (Osaka): the most gas one transaction may use.
pub use rollup_types::chain::EIP7825_TX_GAS_CAP;

/// Gas kept free under the cap beside the post, for the batch's own header proof, which carries
/// the same data (docs/fraud-proofs.md §6.2) and costs at most this much more than the post. On
/// L1s whose gas limit is below what 120,000 bytes need, posts shrink so that the proof of any
/// honest post fits; whatever a hostile batcher posts, the inbox's own bounds keep every proof
/// under 15,000,000 gas against 2^48 hashes of grinding (§7).
pub const HEADER_PROOF_MARGIN: u64 = 500_000;

/// The most blobs one transaction may carry under Osaka (EIP-7594's `MAX_BLOBS_PER_TX`): what
/// one post of several blob batches carries at most, whatever the configuration asks.
pub const MAX_BLOBS_PER_TX: usize = 6;

/// The blobs of this chain's posts an L1 block takes by default: Ethereum's blob target since
/// BPO2 (2026-01-07; the most is 21), so that the chain uses the room the L1 prices at its
/// target, within what the node allows (anvil 1.7.1's schedule allows 9).
pub const DEFAULT_BLOBS_PER_BLOCK: usize = 14;

/// Base cost of every transaction.
const TX_BASE_GAS: u64 = 21_000;
/// The inbox's execution of `postBatch`, beyond its data and roots: checks (the batcher's stake
/// among them), the bridge's queue (a call to the bridge that reads its length, an accumulator
/// and an entry's block), the five storage slots of a new record, the batch count and the
/// event. An upper bound: checked against real posts on anvil (1.7.1, Osaka rules), the first
/// one (which also sets the record array's length and the count from zero) included
/// (`the_post_gas_model_covers_real_posts`). A post carries no ether since the batcher stakes
/// once (it carried a bond, in a sixth slot, before).
const EXEC_BASE_GAS: u64 = 185_000;
/// A post's reading of the L1's fees, when it is due (docs/fees.md §4): the inbox's own slot for
/// it, the call to the bridge, which checks it is attached and the inbox not frozen and appends
/// an entry to the queue (two new slots), and its event. An upper bound, as the base is: most
/// posts do not read, and use that much less.
pub const L1_FEES_REPORT_GAS: u64 = 100_000;
/// Per 1,024-byte segment of data: copying and hashing it for the data commitment (measured
/// about 400).
const EXEC_GAS_PER_SEGMENT: u64 = 500;
/// Per chunk root: copying and hashing it.
const EXEC_GAS_PER_ROOT: u64 = 60;

/// Limits of the L1 node, read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Limits {
    /// Gas limit of its latest block.
    pub block_gas_limit: u64,
    /// The most gas one transaction may use (EIP-7825), when the node's fork has that rule.
    pub tx_gas_cap: Option<u64>,
    /// The most blobs one block takes, when the node reports its blob schedule (`eth_config`).
    pub max_blobs_per_block: Option<u64>,
}

impl L1Limits {
    /// Reads the limits: the latest block's gas limit, and from `eth_config` (EIP-7910) whether
    /// the node runs Osaka or later (it lists the P256VERIFY precompile, EIP-7951, which came
    /// with EIP-7825) and its blob schedule. A node without `eth_config` predates Osaka: no
    /// per-transaction cap.
    pub async fn read(provider: &DynProvider) -> Result<Self, BatcherError> {
        let block = provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::missing("a latest block"))?;
        let config: Option<serde_json::Value> =
            provider.raw_request("eth_config".into(), serde_json::json!([])).await.ok();
        let current = config.as_ref().map(|c| &c["current"]);
        let osaka = current.is_some_and(|c| c["precompiles"].get("P256VERIFY").is_some());
        let max_blobs = current.and_then(|c| c["blobSchedule"]["max"].as_u64());
        Ok(Self {
            block_gas_limit: block.header.gas_limit,
            tx_gas_cap: osaka.then_some(EIP7825_TX_GAS_CAP),
            max_blobs_per_block: max_blobs,
        })
    }

    /// The most gas one transaction may be signed with on this L1.
    pub fn tx_gas_limit(&self) -> u64 {
        self.tx_gas_cap.map_or(self.block_gas_limit, |cap| cap.min(self.block_gas_limit))
    }
}

/// Gas of the inbox's execution of a `postBatch` of `data_len` bytes and `roots` chunk roots
/// (an upper bound).
pub fn execution_gas(data_len: usize, roots: usize) -> u64 {
    let segments = data_len.div_ceil(SEGMENT_BYTES) as u64;
    // Memory: the segment hashes with the length, one segment of scratch, the packed roots.
    let words = segments + 1 + (SEGMENT_BYTES as u64 / 32) + roots as u64 + 16;
    EXEC_BASE_GAS
        + L1_FEES_REPORT_GAS
        + EXEC_GAS_PER_SEGMENT * segments
        + EXEC_GAS_PER_ROOT * roots as u64
        + words * words / 512
}

/// Gas of the inbox's execution of a `postBatchBlobs` with `segments` segment hashes (an upper
/// bound): a calldata post's without the data's hashing and the roots (they end the blob, the
/// call carries their count, hash and last), plus hashing the segment hashes and the blob's
/// versioned hash in a sixth slot of the record.
pub fn blob_execution_gas(segments: usize) -> u64 {
    blobs_execution_gas(&[segments])
}

/// Gas of the inbox's execution of a blob post of several batches (`postBatchesBlobs`), each
/// given as its number of segment hashes (an upper bound): each batch's checks and record as if
/// posted alone, one reading of the L1's fees, and the memory all of them take (the inbox frees
/// none between batches).
pub fn blobs_execution_gas(batches: &[usize]) -> u64 {
    let words: u64 = batches.iter().map(|&segments| segments as u64 + 1 + 16).sum();
    let each: u64 = batches.iter().map(|&segments| EXEC_BASE_GAS + BLOB_HASH_SLOT_GAS + 12 * segments as u64).sum();
    let warm = EXEC_WARM_SAVING * batches.len().saturating_sub(1) as u64;
    L1_FEES_REPORT_GAS + each - warm + words * words / 512
}

/// What a batch after the first of one post does not pay again (an upper bound's saving, checked
/// against real posts on anvil): the accounts and slots the first one read are warm (EIP-2929:
/// the bridge's account and the slots of its queue, the inbox's stake, batcher, count, bridge
/// and frozen flag), and the batch count's slot is already non-zero.
const EXEC_WARM_SAVING: u64 = 50_000;

/// Storing the blob's versioned hash in a fresh slot (EIP-2929 cold, zero to non-zero).
const BLOB_HASH_SLOT_GAS: u64 = 22_100;

/// The gas a transaction with `calldata` whose execution costs `execution` uses at most:
/// the larger of the standard cost (4 gas per zero byte of calldata, 16 per other byte,
/// plus execution) and the EIP-7623 floor (10 gas per token, a token being a zero byte or a
/// quarter of another). Nodes before Prague charge only the first, which is smaller.
pub fn transaction_gas(calldata: &[u8], execution: u64) -> u64 {
    let zeros = calldata.iter().filter(|&&b| b == 0).count() as u64;
    let tokens = zeros + 4 * (calldata.len() as u64 - zeros);
    let standard = TX_BASE_GAS + 4 * tokens + execution;
    let floor = TX_BASE_GAS + 10 * tokens;
    standard.max(floor)
}

/// The gas of a `postBatch` call with `calldata`, carrying `data_len` bytes of batch data and
/// `roots` chunk roots.
pub fn post_gas(calldata: &[u8], data_len: usize, roots: usize) -> u64 {
    transaction_gas(calldata, execution_gas(data_len, roots))
}

/// The most gas a calldata post of `data_len` bytes and `roots` chunk roots uses, whatever its
/// bytes (every one non-zero).
pub fn post_gas_bound(data_len: usize, roots: usize) -> u64 {
    let bytes = post_calldata_len(data_len, roots) as u64;
    TX_BASE_GAS + (16 * bytes + execution_gas(data_len, roots)).max(40 * bytes)
}

/// Bytes of `postBatch(index, prevStateRoot, lastBlock, queueEnd, queueAccumulator, data,
/// chunkRoots)` calldata for `data_len` bytes of data and `roots` roots: the selector, seven
/// head words, the data's length and padded bytes, the roots' length and words.
pub const fn post_calldata_len(data_len: usize, roots: usize) -> usize {
    4 + 7 * 32 + 32 + data_len.div_ceil(32) * 32 + 32 + 32 * roots
}

/// What one post, and one block, can carry on an L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostCapacity {
    /// The L1's limits it was computed from.
    pub l1: L1Limits,
    /// The most gas a post may use: the L1's per-transaction limit less the room its header
    /// proof needs ([`HEADER_PROOF_MARGIN`]).
    pub post_gas: u64,
    /// The most batch data one post carries (the batcher's `max_bytes`, or less where the gas
    /// limit binds first).
    pub max_post_bytes: usize,
    /// The most a block may encode to on its own (a one-block batch) so that it fits one post
    /// whatever its content: what the sequencer bounds its blocks by.
    pub max_block_bytes: usize,
}

impl PostCapacity {
    /// The capacity on an L1 with `l1`'s limits, for posts of at most `max_bytes` of data.
    /// `None` when the L1's gas limit leaves no room for a post at all.
    pub fn new(l1: L1Limits, max_bytes: usize) -> Option<Self> {
        let post_gas = l1.tx_gas_limit().checked_sub(HEADER_PROOF_MARGIN)?;
        // The worst case for `n` bytes of one block: every calldata byte non-zero, and as many
        // chunk roots as the block can have (docs/batch-codec.md §3.1): its beginning, one for
        // each of the most queue entries a block consumes (they take no byte), and one for
        // each of the smallest transactions, each heavy and alone in its chunk; at most a
        // batch's 256 (§3.5).
        let roots = |n: usize| (n / MIN_TX_BYTES + 1 + MAX_BLOCK_QUEUE_ENTRIES as usize).min(MAX_BATCH_CHUNKS as usize);
        let worst = |n: usize| post_gas_bound(n, roots(n));
        // The largest n ≤ max_bytes with worst(n) ≤ post_gas (worst grows with n).
        let (mut low, mut high) = (0usize, max_bytes);
        if worst(0) > post_gas {
            return None;
        }
        while low < high {
            let mid = low + (high - low).div_ceil(2);
            if worst(mid) <= post_gas { low = mid } else { high = mid - 1 }
        }
        (low > 0).then_some(Self { l1, post_gas, max_post_bytes: low, max_block_bytes: low })
    }

    /// Whether a post with `calldata` carrying `data_len` bytes and `roots` roots fits.
    pub fn fits(&self, calldata: &[u8], data_len: usize, roots: usize) -> bool {
        data_len <= self.max_post_bytes && post_gas(calldata, data_len, roots) <= self.post_gas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l1(block_gas_limit: u64, cap: bool) -> L1Limits {
        L1Limits { block_gas_limit, tx_gas_cap: cap.then_some(EIP7825_TX_GAS_CAP), max_blobs_per_block: None }
    }

    #[test]
    fn the_floor_prices_data_heavy_posts() {
        let calldata = vec![0xab; 10_000];
        assert_eq!(transaction_gas(&calldata, 100_000), 21_000 + 10 * 4 * 10_000);
        let small = vec![0xab; 100];
        assert_eq!(transaction_gas(&small, 100_000), 21_000 + 16 * 100 + 100_000);
        let zeros = vec![0; 1000];
        assert_eq!(transaction_gas(&zeros, 0), 21_000 + 10 * 1000);
    }

    #[test]
    fn capacity_follows_the_gas_limit_where_it_binds() {
        // Mainnet-like: the 120,000-byte cap binds.
        let big = PostCapacity::new(l1(60_000_000, true), 120_000).expect("room");
        assert_eq!(big.max_post_bytes, 120_000);
        assert_eq!(big.post_gas, EIP7825_TX_GAS_CAP - HEADER_PROOF_MARGIN);
        // A small L1: the gas binds, and a worst-case post of that size fits.
        let small = PostCapacity::new(l1(2_500_000, true), 120_000).expect("room");
        assert!(small.max_post_bytes < 60_000 && small.max_post_bytes > 35_000, "{small:?}");
        let n = small.max_block_bytes;
        let roots = (n / MIN_TX_BYTES + 1 + MAX_BLOCK_QUEUE_ENTRIES as usize).min(MAX_BATCH_CHUNKS as usize);
        let calldata = vec![0xff; post_calldata_len(n, roots)];
        assert!(small.fits(&calldata, n, roots));
        let over = vec![0xff; post_calldata_len(n + 100, roots)];
        assert!(!small.fits(&over, n + 100, roots));
        // Without EIP-7825 a large block gas limit allows larger posts.
        let uncapped = PostCapacity::new(l1(60_000_000, false), 1_000_000).expect("room");
        assert!(uncapped.max_post_bytes > 1_000_000 - 1, "{uncapped:?}");
        let capped = PostCapacity::new(l1(60_000_000, true), 1_000_000).expect("room");
        assert!(capped.max_post_bytes < 420_000, "{capped:?}");
        // No room at all.
        assert_eq!(PostCapacity::new(l1(400_000, true), 120_000), None);
    }
}
