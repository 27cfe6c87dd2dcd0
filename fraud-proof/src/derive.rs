//! The sans-IO core of the challenger: given batches exactly as posted on L1, rebuild the
//! chain and judge every posted root. No network, no database: the same inputs always give
//! the same verdicts, so they can be replayed from fixtures.

use alloy_primitives::{B256, Bytes, keccak256};
use rayon::prelude::*;
use rollup_executor::{BlockEnvInput, Executor, TxResult};
use rollup_types::{ChainConfig, RecoveredTx, codec};

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
}

/// What the challenger concluded about one batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every posted root matches re-execution.
    Verified {
        /// State root after the batch.
        state_root: B256,
    },
    /// Something does not match; the batch is fraudulent.
    Mismatch {
        /// What differs.
        reason: String,
        /// The root re-execution gives, when the batch could be executed.
        computed_root: Option<B256>,
    },
}

impl Verdict {
    fn mismatch(reason: impl Into<String>) -> Self {
        Self::Mismatch { reason: reason.into(), computed_root: None }
    }
}

/// Rebuilds the chain batch by batch from genesis.
#[derive(Debug)]
pub struct Verifier {
    executor: Executor,
    next_index: u64,
    next_block: u64,
    /// First batch that did not verify: later batches descend from it.
    invalid_from: Option<u64>,
}

impl Verifier {
    /// Starts from a genesis executor.
    pub fn new(genesis: Executor) -> Self {
        Self { executor: genesis, next_index: 0, next_block: 1, invalid_from: None }
    }

    /// The chain parameters.
    pub const fn chain(&self) -> &ChainConfig {
        self.executor.chain()
    }

    /// State root of the last verified batch (genesis before any).
    pub fn state_root(&self) -> B256 {
        self.executor.state_root()
    }

    /// Next L2 block expected.
    pub const fn next_block(&self) -> u64 {
        self.next_block
    }

    /// Index of the next batch to judge.
    pub const fn next_index(&self) -> u64 {
        self.next_index
    }

    /// The proof that `batch`, the first invalid batch (just judged a mismatch by
    /// [`Self::verify`]), is fraudulent, built from the state it builds on.
    pub fn prove(&self, batch: &PostedBatch) -> Result<crate::prove::FraudProof, crate::prove::ProveError> {
        crate::prove::build(&self.executor, self.next_block, batch)
    }

    /// The proof of chunk `chunk` of `batch` (the next batch) whether or not it is at fault,
    /// for tests that honest chunks cannot be proven fraudulent.
    pub fn prove_chunk(
        &self,
        batch: &PostedBatch,
        chunk: usize,
    ) -> Result<crate::prove::FraudProof, crate::prove::ProveError> {
        crate::prove::build_chunk(&self.executor, self.next_block, batch, chunk)
    }

    /// The inbox removed batches `from_index` onwards (a fraud proof succeeded): the next batch
    /// to judge is `from_index` again. `Err` when that removes a batch this verifier found
    /// valid, whose state it has already applied: it can then no longer follow the inbox.
    pub fn roll_back(&mut self, from_index: u64) -> Result<(), String> {
        let first_invalid = self.invalid_from.unwrap_or(self.next_index);
        if from_index < first_invalid {
            return Err(format!(
                "the inbox rolled back to batch {from_index}, but batches up to {} verified",
                first_invalid.saturating_sub(1)
            ));
        }
        if from_index < self.next_index {
            self.next_index = from_index;
        }
        if self.invalid_from.is_some_and(|first| first >= from_index) {
            self.invalid_from = None;
        }
        Ok(())
    }

    /// The first batch judged invalid and not rolled back yet.
    pub const fn invalid_from(&self) -> Option<u64> {
        self.invalid_from
    }

    /// Judges `batch`, the next batch of the inbox. A verified batch extends the local chain;
    /// a mismatch leaves it where it was, and every later batch is judged to descend from an
    /// invalid one.
    pub fn verify(&mut self, batch: &PostedBatch) -> Verdict {
        if batch.index != self.next_index {
            return Verdict::mismatch(format!("expected batch {}, got {}", self.next_index, batch.index));
        }
        self.next_index += 1;
        if let Some(first) = self.invalid_from {
            return Verdict::mismatch(format!("builds on batch {first}, which is invalid"));
        }
        let verdict = self.check(batch);
        if matches!(verdict, Verdict::Mismatch { .. }) {
            self.invalid_from = Some(batch.index);
        }
        verdict
    }

    fn check(&mut self, batch: &PostedBatch) -> Verdict {
        let commitment = if batch.blob_hashes.is_empty() {
            codec::data_commitment(&batch.data)
        } else {
            keccak256(batch.blob_hashes.iter().flat_map(|h| h.0).collect::<Vec<u8>>())
        };
        if commitment != batch.data_hash {
            return Verdict::mismatch("posted data does not match the inbox's data commitment");
        }
        if batch.prev_state_root != self.executor.state_root() {
            return Verdict::mismatch(format!(
                "builds on root {}, the chain is at {}",
                batch.prev_state_root,
                self.executor.state_root()
            ));
        }
        let chain = *self.executor.chain();
        let decoded = match codec::decode(&batch.data, &chain) {
            Ok(b) => b,
            Err(e) => return Verdict::mismatch(format!("batch data does not decode: {e}")),
        };
        let (Some(first), Some(last)) = (decoded.blocks.first(), decoded.blocks.last()) else {
            return Verdict::mismatch("batch holds no blocks");
        };
        if first.number != self.next_block {
            return Verdict::mismatch(format!("starts at block {}, expected {}", first.number, self.next_block));
        }
        if last.number != batch.last_block {
            return Verdict::mismatch(format!("ends at block {}, the post says {}", last.number, batch.last_block));
        }
        // Execute on a copy: a fraudulent batch must not move the local chain.
        let mut executor = self.executor.clone();
        let mut computed = Vec::with_capacity(batch.chunk_roots.len());
        for block in &decoded.blocks {
            // Senders are recovered on all cores before the block executes.
            let recovered: Vec<_> =
                block.txs.par_iter().map(|tx| RecoveredTx::from_signed(tx.clone(), &chain)).collect();
            let mut txs = Vec::with_capacity(recovered.len());
            for (i, tx) in recovered.into_iter().enumerate() {
                match tx {
                    Ok(tx) => txs.push(tx),
                    Err(e) => {
                        return Verdict::mismatch(format!("block {} transaction {i} is invalid: {e}", block.number));
                    }
                }
            }
            let executed =
                executor.execute_block(BlockEnvInput { number: block.number, timestamp: block.timestamp }, &txs);
            if let Some((i, TxResult::Invalid(reason))) =
                executed.results.iter().enumerate().find(|(_, r)| matches!(r, TxResult::Invalid(_)))
            {
                return Verdict::mismatch(format!("block {} transaction {i} cannot execute: {reason}", block.number));
            }
            computed.extend(executed.chunk_roots);
        }
        let computed_root = computed.last().copied().unwrap_or(batch.prev_state_root);
        if computed.len() != batch.chunk_roots.len() {
            return Verdict::Mismatch {
                reason: format!("{} chunk roots posted, execution gives {}", batch.chunk_roots.len(), computed.len()),
                computed_root: Some(computed_root),
            };
        }
        if let Some(i) = computed.iter().zip(&batch.chunk_roots).position(|(a, b)| a != b) {
            return Verdict::Mismatch {
                reason: format!("chunk {i}: posted root {}, execution gives {}", batch.chunk_roots[i], computed[i]),
                computed_root: Some(computed_root),
            };
        }
        if computed_root != batch.state_root {
            return Verdict::Mismatch {
                reason: format!("state root {} recorded, execution gives {computed_root}", batch.state_root),
                computed_root: Some(computed_root),
            };
        }
        self.executor = executor;
        self.next_block = batch.last_block + 1;
        Verdict::Verified { state_root: computed_root }
    }
}
