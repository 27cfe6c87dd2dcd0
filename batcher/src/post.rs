//! Building a post: the blocks after the last posted one packed into one batch as large as the
//! L1 takes (exact encoding, exact calldata gas), its chunk roots, and the `postBatch`,
//! `postBatchBlobs` or `postBatchesBlobs` call that carries it (the last one several batches,
//! one blob each).

use crate::{
    error::BatcherError,
    limits::{self, PostCapacity},
};
use alloy::eips::{
    eip4844::{Blob, BlobTransactionSidecar, env_settings::EnvKzgSettings},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{B256, U256};
use alloy_sol_types::SolCall;
use rollup_chain_store::{Store, StoredBlock};
use rollup_l1::inbox::{PostCall, PostData, PostRoots};
use rollup_types::{
    ChainConfig, SignedTx,
    bindings::BatchInbox,
    blob::{self, KzgHint},
    codec::{self, Batch, BatchBlock},
};
use std::collections::VecDeque;

/// A batch ready to be posted.
#[derive(Debug)]
pub(crate) struct Built {
    /// The batch (its blocks and transactions).
    pub(crate) batch: Batch,
    /// Its encoding.
    pub(crate) data: Vec<u8>,
    /// The state root after each chunk.
    pub(crate) chunk_roots: Vec<B256>,
    /// How far its last block consumed the bridge's queue.
    pub(crate) queue: QueuePosition,
    /// Bytes to lay in the blob instead of `data`, for a blob post (fault injection only:
    /// a blob that does not hold the data the post commits to).
    pub(crate) blob_data: Option<Vec<u8>>,
    /// Roots to lay at the end of the blob instead of `chunk_roots`, for a blob post (fault
    /// injection only: a blob that does not end with the roots the post commits to).
    pub(crate) blob_roots: Option<Vec<B256>>,
}

impl Built {
    /// Number of its last block.
    pub(crate) fn last_block(&self) -> u64 {
        self.batch.blocks.last().map_or(0, |b| b.number)
    }

    /// Number of its first block.
    pub(crate) fn first_block(&self) -> u64 {
        self.batch.blocks.first().map_or(0, |b| b.number)
    }

    /// How far the batch consumes the bridge's L1 → L2 queue: its last block's position
    /// (docs/bridge.md §2.3), which the inbox checks against the bridge.
    pub(crate) fn queue(&self) -> QueuePosition {
        self.queue
    }

    /// Its state root: the last chunk root, or `prev_root` for a batch without transactions.
    pub(crate) fn state_root(&self, prev_root: B256) -> B256 {
        self.chunk_roots.last().copied().unwrap_or(prev_root)
    }
}

/// How far a batch consumed the bridge's queue: the number of entries consumed by the end of
/// its last block and the bridge's accumulator after them (docs/bridge.md §2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueuePosition {
    pub(crate) end: u64,
    pub(crate) accumulator: B256,
}

impl QueuePosition {
    /// The position whose calldata costs the most gas (no zero byte): what a post is sized
    /// with, so that it fits whatever position it is sent with.
    const COSTLIEST: Self = Self { end: u64::MAX, accumulator: B256::repeat_byte(0xff) };
}

/// The `postBatch` calldata of a batch.
pub(crate) fn calldata(
    index: u64,
    prev_root: B256,
    last_block: u64,
    queue: QueuePosition,
    data: &[u8],
    roots: &[B256],
) -> Vec<u8> {
    BatchInbox::postBatchCall {
        index: U256::from(index),
        prevStateRoot: prev_root,
        lastBlock: last_block,
        queueEnd: queue.end,
        queueAccumulator: queue.accumulator,
        data: data.to_vec().into(),
        chunkRoots: roots.to_vec(),
    }
    .abi_encode()
}

/// Where the next post starts: its batch index, the last block posted before it, and the
/// state root it builds on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Next {
    pub(crate) index: u64,
    pub(crate) after: u64,
    pub(crate) prev_root: B256,
}

/// How posts are packed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packing {
    pub(crate) chain: ChainConfig,
    pub(crate) capacity: PostCapacity,
    /// Most blocks in one batch.
    pub(crate) max_blocks: u64,
    /// Whether the post carries its data in blobs.
    pub(crate) blobs: bool,
}

impl Packing {
    /// The most batch data the post may hold.
    fn budget(&self) -> usize {
        // A blob batch is bounded as a calldata one (its header proof carries the data in
        // calldata, docs/fraud-proofs.md §8.3), and by what one blob holds.
        if self.blobs { self.capacity.max_post_bytes.min(blob::PAYLOAD_PER_BLOB) } else { self.capacity.max_post_bytes }
    }
}

/// A block's encoded size as the sequencer bounded it (about 100 bytes a transaction for
/// blocks sealed before the bound was recorded).
fn block_estimate(block: &StoredBlock) -> usize {
    if block.batch_bytes > 0 { block.batch_bytes as usize } else { block.tx_count as usize * 100 + 16 }
}

/// Blocks read from the chain database at once.
const READ_PAGE: u64 = 16;

/// The sealed blocks waiting to be posted, read from the chain database as the posts of a
/// round need them and kept for the posts after: a round reads each block once (its header and
/// its body, one row each), however many posts it builds.
#[derive(Debug)]
pub(crate) struct Waiting<'a> {
    store: &'a Store,
    /// Read and not yet in a post, in order.
    blocks: VecDeque<(StoredBlock, BatchBlock)>,
    /// The number of the next block to read.
    next: u64,
    /// No block after the last one read existed when it was read.
    exhausted: bool,
    /// The queue position after the last block read (`None` until the block before the first
    /// one is read).
    queue_end: Option<u64>,
}

impl<'a> Waiting<'a> {
    /// The blocks after block `after`.
    pub(crate) fn after(store: &'a Store, after: u64) -> Self {
        Self { store, blocks: VecDeque::new(), next: after + 1, exhausted: false, queue_end: None }
    }

    /// Reads blocks until those held may fill a post twice over (by their recorded size bounds;
    /// blocks in one batch share their registry, so they encode to less than the sum of their
    /// bounds) and are at least two, or `max_blocks` are held, or no block is left.
    async fn fill(&mut self, budget: usize, max_blocks: usize) -> Result<(), BatcherError> {
        loop {
            let held: usize = self.blocks.iter().map(|(b, _)| block_estimate(b)).sum();
            if self.exhausted || self.blocks.len() >= max_blocks || (self.blocks.len() >= 2 && held > 2 * budget) {
                return Ok(());
            }
            let headers = self.store.blocks_from(self.next, READ_PAGE).await?;
            let (Some(first), Some(last)) = (headers.first(), headers.last()) else {
                self.exhausted = true;
                return Ok(());
            };
            let (first, last) = (first.header.number, last.header.number);
            if first != self.next {
                return Err(BatcherError::Inconsistent(format!(
                    "block {} is missing from the chain database",
                    self.next
                )));
            }
            let mut queue_end = match self.queue_end {
                Some(end) => end,
                None => {
                    let before = self.store.block(first - 1).await?.ok_or_else(|| {
                        BatcherError::Inconsistent(format!("block {} is missing from the chain database", first - 1))
                    })?;
                    before.header.queue_end
                }
            };
            let bodies = self.store.block_bodies(first, last).await?;
            if bodies.len() != headers.len() {
                return Err(BatcherError::Inconsistent(format!("blocks {first}..={last} changed while being read")));
            }
            for (header, (n, body)) in headers.into_iter().zip(bodies) {
                let txs: Vec<SignedTx> =
                    body.iter().map(|(_, raw)| SignedTx::decode(raw)).collect::<Result<_, _>>().map_err(|e| {
                        BatcherError::Inconsistent(format!("block {n} holds an undecodable transaction: {e}"))
                    })?;
                let queue_count = header.header.queue_end.checked_sub(queue_end).ok_or_else(|| {
                    BatcherError::Inconsistent(format!(
                        "block {n} moves the bridge's queue back from {queue_end} to {}",
                        header.header.queue_end
                    ))
                })?;
                queue_end = header.header.queue_end;
                let l1_byte_price = header.header.l1_byte_price;
                let block =
                    BatchBlock { number: n, timestamp: header.header.timestamp, queue_count, l1_byte_price, txs };
                self.blocks.push_back((header, block));
            }
            self.next = last + 1;
            self.queue_end = Some(queue_end);
            self.exhausted = (last - first + 1) < READ_PAGE;
        }
    }

    /// Packs the next blocks into the largest batch that fits one post (`next` builds on the
    /// block before them): by the data bytes and the gas of its calldata for a calldata post,
    /// by the blobs' bytes for a blob post. `None` when no block waits. `Err(BlockTooLarge)`
    /// when the next block alone does not fit.
    pub(crate) async fn build(&mut self, packing: Packing, next: Next) -> Result<Option<Built>, BatcherError> {
        if self.blocks.front().is_some_and(|(b, _)| b.header.number != next.after + 1) {
            return Err(BatcherError::Inconsistent(format!(
                "a post after block {} was asked of the blocks from {}",
                next.after,
                self.next - self.blocks.len() as u64
            )));
        }
        let max_blocks = usize::try_from(packing.max_blocks.min(codec::MAX_BATCH_BLOCKS)).unwrap_or(usize::MAX).max(1);
        self.fill(packing.budget(), max_blocks).await?;
        if self.blocks.is_empty() {
            return Ok(None);
        }
        let window = self.blocks.len().min(max_blocks);
        let (stored, blocks): (Vec<StoredBlock>, Vec<BatchBlock>) =
            self.blocks.iter().take(window).map(|(s, b)| (s.clone(), b.clone())).unzip();
        // Encoding a full batch takes about a millisecond: off the async runtime.
        let built = tokio::task::spawn_blocking(move || {
            rollup_types::cpu::charged(rollup_types::cpu::Stage::Encoding, || pack(&packing, next, blocks, &stored))
        })
        .await
        .map_err(|e| BatcherError::Inconsistent(format!("batch building task failed: {e}")))??;
        if let Some(built) = &built {
            self.blocks.drain(..built.batch.blocks.len());
        }
        Ok(built)
    }
}

/// Whether the first `n` blocks fit one post; their encoding when they do.
fn try_fit(
    packing: &Packing,
    next: Next,
    blocks: &[BatchBlock],
    stored: &[StoredBlock],
    n: usize,
) -> Result<Option<Vec<u8>>, BatcherError> {
    let batch = Batch { blocks: blocks[..n].to_vec() };
    let data = match codec::encode(&batch, &packing.chain) {
        Ok(data) => data,
        // Past a bound of the codec (blocks, registry entries, chunks): not in one batch.
        Err(codec::CodecError::TooLarge(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let roots = stored[..n].iter().map(|b| b.chunk_roots.len()).sum();
    let fits = if packing.blobs {
        // Its chunk roots end its blob (docs/fraud-proofs.md §8.8).
        data.len() <= packing.budget() && blob::fits(data.len(), roots)
    } else {
        let roots: Vec<B256> = stored[..n].iter().flat_map(|b| b.chunk_roots.iter().copied()).collect();
        let input = calldata(next.index, next.prev_root, blocks[n - 1].number, QueuePosition::COSTLIEST, &data, &roots);
        packing.capacity.fits(&input, data.len(), roots.len())
    };
    Ok(fits.then_some(data))
}

fn pack(
    packing: &Packing,
    next: Next,
    blocks: Vec<BatchBlock>,
    stored: &[StoredBlock],
) -> Result<Option<Built>, BatcherError> {
    let fit = |n: usize| try_fit(packing, next, &blocks, stored, n);
    let Some(mut best) = fit(1)? else {
        if packing.blobs {
            // A block whose data and chunk roots do not fit a blob together (at most 120,000
            // bytes with up to 256 roots: 8,192 bytes) is posted in calldata, alone or with
            // the blocks after it (`use_blobs` finds that it does not fit a blob).
            return pack(&Packing { blobs: false, ..*packing }, next, blocks, stored);
        }
        let batch = Batch { blocks: blocks[..1].to_vec() };
        return Err(BatcherError::BlockTooLarge {
            number: blocks[0].number,
            bytes: codec::encode(&batch, &packing.chain)?.len(),
            max: packing.capacity.max_block_bytes,
        });
    };
    // The largest n that fits: a first guess from the blocks' size bounds, a gallop up from
    // what fits, then a binary search (each step encodes the candidate exactly).
    let budget = packing.budget();
    let mut guess = 0;
    let mut bytes = 0;
    for block in stored {
        bytes += block_estimate(block);
        if bytes > budget {
            break;
        }
        guess += 1;
    }
    let (mut low, mut high) = (1, blocks.len());
    let guess = guess.clamp(1, blocks.len());
    if guess > 1 {
        match fit(guess)? {
            Some(data) => (low, best) = (guess, data),
            None => high = guess - 1,
        }
    }
    if low == guess {
        // The guess fits: gallop up while it still does.
        let mut step = 1;
        while low < high {
            let probe = (low + step).min(high);
            match fit(probe)? {
                Some(data) => {
                    (low, best) = (probe, data);
                    step *= 2;
                }
                None => high = probe - 1,
            }
            if high < low + step {
                break;
            }
        }
    }
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        match fit(mid)? {
            Some(data) => (low, best) = (mid, data),
            None => high = mid - 1,
        }
    }
    let chunk_roots = stored[..low].iter().flat_map(|b| b.chunk_roots.iter().copied()).collect();
    let last = &stored[low - 1].header;
    let queue = QueuePosition { end: last.queue_end, accumulator: last.queue_accumulator };
    let batch = Batch { blocks: blocks[..low].to_vec() };
    Ok(Some(Built { batch, data: best, chunk_roots, queue, blob_data: None, blob_roots: None }))
}

/// What a post says, whether its data is in calldata or in blobs.
#[derive(Debug)]
pub(crate) struct PostedCall {
    pub(crate) last_block: u64,
    /// Read back once blocks carry their queue position (docs/bridge.md §3, to build).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) queue: QueuePosition,
    /// How many chunk roots it posts (in its calldata, or at the end of its blob).
    pub(crate) chunk_count: u64,
    /// The state root the inbox records: the last chunk root, or the previous state root.
    pub(crate) state_root: B256,
    /// The inbox's data commitment: `codec::data_commitment(data)` (for a blob post, of the
    /// posted length and segment hashes).
    pub(crate) data_hash: B256,
    /// Bytes of batch data.
    pub(crate) data_len: u64,
}

impl PostedCall {
    /// What a post's input says of each batch it posts, in order.
    pub(crate) fn decode(input: &[u8]) -> Result<Vec<Self>, rollup_l1::L1Error> {
        Ok(PostCall::decode_all(input)?.into_iter().map(Self::of).collect())
    }

    /// What `call` says of its batch.
    pub(crate) fn of(call: PostCall) -> Self {
        let (data_hash, data_len) = match &call.data {
            PostData::Calldata(data) => (codec::data_commitment(data), data.len() as u64),
            PostData::Blob { length, segment_hashes, .. } => {
                (codec::data_commitment_of(*length as usize, segment_hashes), *length)
            }
        };
        Self {
            last_block: call.last_block,
            queue: QueuePosition { end: call.queue_end, accumulator: call.queue_accumulator },
            chunk_count: call.chunk_roots.count(),
            state_root: call.chunk_roots.state_root(call.prev_state_root),
            data_hash,
            data_len,
        }
    }

    /// What a `postBatch` call of `data` with `chunk_roots` says (as [`Self::decode`] reads it
    /// back).
    pub(crate) fn of_calldata(
        prev_state_root: B256,
        last_block: u64,
        queue: QueuePosition,
        data: &[u8],
        chunk_roots: Vec<B256>,
    ) -> Self {
        let roots = PostRoots::Listed(chunk_roots);
        Self {
            last_block,
            queue,
            chunk_count: roots.count(),
            state_root: roots.state_root(prev_state_root),
            data_hash: codec::data_commitment(data),
            data_len: data.len() as u64,
        }
    }
}

/// One batch of a blob post: where it goes in the chain and its data, with its blob's KZG hint.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlobPart<'a> {
    pub(crate) index: u64,
    pub(crate) prev_root: B256,
    pub(crate) last_block: u64,
    pub(crate) queue: QueuePosition,
    pub(crate) data: &'a [u8],
    pub(crate) roots: &'a [B256],
    pub(crate) hint: Option<&'a KzgHint>,
}

/// The calldata and gas of a blob post of `parts`, consecutive batches, batch `i` in the
/// transaction's blob `i`: `postBatchBlobs` for one, `postBatchesBlobs` for more. Each batch's
/// length and segment hashes go in the call, its data in its blob (docs/fraud-proofs.md §8.1);
/// its chunk roots end the blob, the call carrying their count, hash and last (§8.8); the
/// blobs' KZG hints follow the call's arguments, in the blobs' order (§8.6), when every part
/// has one.
pub(crate) fn blob_call(parts: &[BlobPart<'_>]) -> (Vec<u8>, u64) {
    let roots = |part: &BlobPart<'_>| {
        let state_root = part.roots.last().copied().unwrap_or(part.prev_root);
        (U256::from(part.roots.len()), codec::chunk_roots_hash(part.roots), state_root)
    };
    let mut input = match parts {
        [part] => {
            let (chunk_count, chunk_roots_hash, state_root) = roots(part);
            BatchInbox::postBatchBlobsCall {
                index: U256::from(part.index),
                prevStateRoot: part.prev_root,
                lastBlock: part.last_block,
                queueEnd: part.queue.end,
                queueAccumulator: part.queue.accumulator,
                length: U256::from(part.data.len()),
                segmentHashes: codec::segment_hashes(part.data),
                chunkCount: chunk_count,
                chunkRootsHash: chunk_roots_hash,
                stateRoot: state_root,
            }
            .abi_encode()
        }
        parts => BatchInbox::postBatchesBlobsCall {
            batches: parts
                .iter()
                .map(|part| {
                    let (chunk_count, chunk_roots_hash, state_root) = roots(part);
                    BatchInbox::BlobBatch {
                        index: U256::from(part.index),
                        prevStateRoot: part.prev_root,
                        lastBlock: part.last_block,
                        queueEnd: part.queue.end,
                        queueAccumulator: part.queue.accumulator,
                        length: U256::from(part.data.len()),
                        segmentHashes: codec::segment_hashes(part.data),
                        chunkCount: chunk_count,
                        chunkRootsHash: chunk_roots_hash,
                        stateRoot: state_root,
                    }
                })
                .collect(),
        }
        .abi_encode(),
    };
    if parts.iter().all(|p| p.hint.is_some()) {
        for hint in parts.iter().filter_map(|p| p.hint) {
            input.extend_from_slice(&hint.to_bytes());
        }
    }
    // The inbox hashes the segment hashes instead of the data, and records each blob's
    // versioned hash in one more slot.
    let segments: Vec<usize> = parts.iter().map(|p| p.data.len().div_ceil(codec::SEGMENT_BYTES)).collect();
    let gas = limits::transaction_gas(&input, limits::blobs_execution_gas(&segments));
    (input, gas)
}

/// The blob, KZG commitment and proof that carry `data` and `roots` (layout:
/// `rollup_types::blob`), and the hint of the two for the post's calldata.
pub(crate) fn sidecar_for(data: &[u8], roots: &[B256]) -> Result<(BlobTransactionSidecar, KzgHint), BatcherError> {
    let raw = blob::to_blob(data, roots)
        .map_err(|e| BatcherError::Inconsistent(format!("batch data does not fit in a blob: {e}")))?;
    // Filled in place on the heap: a blob is 128 KiB, and iterator adapters that pass blobs by
    // value stack a copy per frame (enough, unoptimised, to overflow a 2 MiB thread stack).
    let mut blobs = vec![Blob::ZERO; 1];
    blobs[0].copy_from_slice(&raw);
    let sidecar = BlobTransactionSidecar::try_from_blobs_with_settings(blobs, EnvKzgSettings::Default.get())
        .map_err(|e| BatcherError::Inconsistent(format!("KZG commitment of a blob failed: {e}")))?;
    let hint = KzgHint { commitment: sidecar.commitments[0].0, proof: sidecar.proofs[0].0 };
    Ok((sidecar, hint))
}

/// One sidecar of the blobs of `sidecars`, in their order: a post's blob `i` is `sidecars[i]`'s.
pub(crate) fn joined(sidecars: Vec<BlobTransactionSidecar>) -> BlobTransactionSidecarVariant {
    let mut all = BlobTransactionSidecar { blobs: Vec::new(), commitments: Vec::new(), proofs: Vec::new() };
    for sidecar in sidecars {
        all.blobs.extend(sidecar.blobs);
        all.commitments.extend(sidecar.commitments);
        all.proofs.extend(sidecar.proofs);
    }
    BlobTransactionSidecarVariant::Eip4844(all)
}

/// The CPU time one full blob's KZG work (commitment and blob proof) takes on this thread, from
/// 120,000 bytes that look like batch data (hashes: every field element as costly as it can be).
pub(crate) fn measure_blob_work() -> Result<std::time::Duration, BatcherError> {
    let data: Vec<u8> = (0..codec::MAX_BATCH_BYTES.div_ceil(32) as u64)
        .flat_map(|i| alloy_primitives::keccak256(i.to_be_bytes()).0)
        .take(codec::MAX_BATCH_BYTES)
        .collect();
    let (sidecar, cpu) = crate::blob_cpu::measured(|| sidecar_for(&data, &[]));
    sidecar?;
    Ok(cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of 119,000 bytes and 256 chunk roots holds more than a blob (126,976 bytes with
    /// the roots at its end): with `--da blobs` it is packed for calldata, where it fits, rather
    /// than stalling the batcher; one with room for its roots is packed for a blob.
    #[test]
    fn a_block_whose_data_and_roots_do_not_fit_a_blob_is_packed_for_calldata() {
        let chain = ChainConfig::default();
        let signer = rollup_types::signer::Signer::new(&B256::from(rollup_types::genesis::DEV_ACCOUNTS[0].private_key))
            .expect("a key");
        let txs: Vec<SignedTx> =
            (0..112).map(|n| signer.eip1559(chain.chain_id, n, vec![0xab; 1_000].into())).collect();
        let block = BatchBlock { number: 1, timestamp: 1, queue_count: 0, l1_byte_price: 1, txs };
        let l1 = limits::L1Limits {
            block_gas_limit: 60_000_000,
            tx_gas_cap: Some(limits::EIP7825_TX_GAS_CAP),
            max_blobs_per_block: None,
        };
        let capacity = PostCapacity::new(l1, codec::MAX_BATCH_BYTES).expect("room");
        let packing = Packing { chain, capacity, max_blocks: 16, blobs: true };
        let next = Next { index: 0, after: 0, prev_root: B256::ZERO };
        for (roots, in_blob) in [(256, false), (29, true)] {
            let stored = StoredBlock {
                header: Default::default(),
                hash: B256::ZERO,
                chunk_roots: vec![B256::repeat_byte(7); roots],
                tx_count: 112,
                batch_bytes: 0,
                queue_txs: 0,
                closing_txs: 0,
            };
            let built = pack(&packing, next, vec![block.clone()], &[stored]).expect("packs").expect("a batch");
            assert!(built.data.len() > 118_784, "{} bytes", built.data.len());
            assert_eq!(built.chunk_roots.len(), roots);
            assert_eq!(blob::fits(built.data.len(), roots), in_blob, "{roots} roots");
        }
    }

    #[test]
    fn calldata_has_the_length_the_gas_model_assumes_and_decodes_back() {
        let queue = QueuePosition { end: 7, accumulator: B256::repeat_byte(0xac) };
        for (len, roots) in [(1, 0), (31, 1), (1_024, 3), (5_000, 17)] {
            let data = vec![0x5a; len];
            let chunk_roots: Vec<B256> = (0..roots).map(|i| B256::with_last_byte(i as u8)).collect();
            let input = calldata(3, B256::repeat_byte(1), 9, queue, &data, &chunk_roots);
            assert_eq!(input.len(), limits::post_calldata_len(len, roots), "{len} bytes, {roots} roots");
            let call = PostedCall::decode(&input).expect("decodes").remove(0);
            assert_eq!(call.queue, queue);
            assert_eq!(call.last_block, 9);
            assert_eq!(call.chunk_count, roots as u64);
            assert_eq!(call.state_root, chunk_roots.last().copied().unwrap_or(B256::repeat_byte(1)));
            let expected = PostedCall::of_calldata(B256::repeat_byte(1), 9, queue, &data, chunk_roots);
            assert_eq!(call.data_hash, expected.data_hash);
            assert_eq!(call.queue, expected.queue);
        }
        let data = vec![0x5a; 2_500];
        let hint = KzgHint { commitment: [0xc0; 48], proof: [0x9f; 48] };
        let part = BlobPart {
            index: 3,
            prev_root: B256::ZERO,
            last_block: 9,
            queue,
            data: &data,
            roots: &[B256::ZERO],
            hint: Some(&hint),
        };
        let (input, _) = blob_call(&[part]);
        let call = PostedCall::decode(&input).expect("decodes").remove(0);
        assert_eq!(call.queue, queue);
        assert_eq!((call.chunk_count, call.state_root), (1, B256::ZERO), "the roots' count and last, not the roots");
        assert_eq!(call.data_len, 2_500);
        assert_eq!(call.data_hash, codec::data_commitment(&data), "a blob post commits as calldata would");
        // Three batches in one post: each read back as posted, in order, with its hint.
        let other = vec![0x17; 700];
        let parts = [
            part,
            BlobPart { index: 4, prev_root: B256::ZERO, last_block: 10, data: &other, ..part },
            BlobPart { index: 5, last_block: 12, ..part },
        ];
        let (input, gas) = blob_call(&parts);
        let (single, single_gas) = blob_call(&parts[..1]);
        assert!(gas > single_gas && input.len() > single.len());
        assert!(input.ends_with(&[hint.to_bytes(); 3].concat()), "a hint per blob");
        let calls = PostedCall::decode(&input).expect("decodes");
        assert_eq!(
            calls.iter().map(|c| (c.last_block, c.data_len)).collect::<Vec<_>>(),
            [(9, 2_500), (10, 700), (12, 2_500)]
        );
        assert_eq!(calls[1].data_hash, codec::data_commitment(&other));
        let posts = PostCall::decode_all(&input).expect("decodes");
        assert!(
            posts
                .iter()
                .enumerate()
                .all(|(i, p)| matches!(p.data, PostData::Blob { blob, kzg_hint: Some(_), .. } if blob == i))
        );
    }
}
