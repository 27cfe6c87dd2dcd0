//! The sans-IO core of the challenger: given batches exactly as posted on L1, rebuild the
//! chain and judge every posted root. No network, no database: the same inputs always give
//! the same verdicts, so they can be replayed from fixtures.

use alloy_primitives::{B256, Bytes, keccak256};
use rayon::prelude::*;
use rollup_executor::{BlockEnvInput, Executor, ExecutorError, TxResult, Undo};
use rollup_types::{
    ChainConfig, RecoveredTx, SignedTx, codec,
    queue::{self, QueueEntry},
};

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

/// What handling one inbox event did to the verifier, so that it can be taken back when an L1
/// reorg removes the event ([`Verifier::unapply`]).
#[derive(Debug)]
pub struct Applied {
    /// The position before the event.
    before: Position,
    /// What undoes the state change of a verified batch (`None`: no state change, or the undo
    /// was let go to bound memory).
    undo: Option<Undo>,
    /// Whether the event changed the state (a verified batch).
    moved: bool,
}

impl Applied {
    /// Whether the event can still be taken back.
    pub const fn can_unapply(&self) -> bool {
        !self.moved || self.undo.is_some()
    }

    /// Keys its undo restores (what it costs to keep).
    pub fn undo_len(&self) -> usize {
        self.undo.as_ref().map_or(0, Undo::len)
    }

    /// Lets the undo go: the event can no longer be taken back (unwinding past it needs a
    /// snapshot).
    pub fn forget_undo(&mut self) {
        self.undo = None;
    }
}

/// Why the verifier could not handle an event. None of these is a verdict on a batch.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The batch given is not the one the verifier expects: the caller's view of L1 is not
    /// consistent (a reorg under a read); it re-reads L1.
    #[error("expected batch {expected}, got batch {got}: the view of L1 is out of step")]
    OutOfSync {
        /// The batch expected.
        expected: u64,
        /// The batch given.
        got: u64,
    },
    /// The queue entries given with a batch are not the ones its post consumed (the caller read
    /// the L1 bridge wrong or out of step): no verdict; it re-reads L1.
    #[error("batch {index}: {reason}")]
    QueueEntries {
        /// The batch.
        index: u64,
        /// What is wrong with them.
        reason: String,
    },
    /// An event cannot be taken back (its undo was let go): the caller restores a snapshot.
    #[error("a verified batch cannot be taken back any more (its undo was let go)")]
    Forgotten,
    /// Taking a batch back did not restore the state (a bug; the verifier must be rebuilt).
    #[error(transparent)]
    Executor(#[from] ExecutorError),
}

/// Rebuilds the chain batch by batch, from genesis or from a snapshot.
#[derive(Debug)]
pub struct Verifier {
    executor: Executor,
    position: Position,
}

impl Verifier {
    /// Starts from a genesis executor.
    pub fn new(genesis: Executor) -> Self {
        Self { executor: genesis, position: Position::GENESIS }
    }

    /// Resumes from `executor`, the state after the batches before `position` (a snapshot).
    pub const fn resume(executor: Executor, position: Position) -> Self {
        Self { executor, position }
    }

    /// The chain parameters.
    pub const fn chain(&self) -> &ChainConfig {
        self.executor.chain()
    }

    /// State root of the last verified batch (genesis before any).
    pub fn state_root(&self) -> B256 {
        self.executor.state_root()
    }

    /// The state after the last verified batch.
    pub const fn executor(&self) -> &Executor {
        &self.executor
    }

    /// Where it stands.
    pub const fn position(&self) -> Position {
        self.position
    }

    /// Next L2 block expected.
    pub const fn next_block(&self) -> u64 {
        self.position.next_block
    }

    /// Index of the next batch to judge.
    pub const fn next_index(&self) -> u64 {
        self.position.next_index
    }

    /// The first batch judged invalid and not rolled back yet.
    pub const fn invalid_from(&self) -> Option<u64> {
        self.position.invalid_from
    }

    /// The last batch that verified, if any: every batch before the first invalid one (or
    /// before the next) is valid.
    pub fn last_verified(&self) -> Option<u64> {
        self.position.invalid_from.unwrap_or(self.position.next_index).checked_sub(1)
    }

    /// The proof that `batch`, the first invalid batch (just judged a mismatch by
    /// [`Self::verify`]), is fraudulent, built from the state it builds on.
    pub fn prove(&self, batch: &PostedBatch) -> Result<crate::prove::FraudProof, crate::prove::ProveError> {
        crate::prove::build(&self.executor, self.position, batch)
    }

    /// The proof of chunk `chunk` of `batch` (the next batch) whether or not it is at fault,
    /// for tests that honest chunks cannot be proven fraudulent.
    pub fn prove_chunk(
        &self,
        batch: &PostedBatch,
        chunk: usize,
    ) -> Result<crate::prove::FraudProof, crate::prove::ProveError> {
        crate::prove::build_chunk(&self.executor, self.position, batch, chunk)
    }

    /// The inbox removed batches `from_index` onwards (a fraud proof succeeded): the next batch
    /// to judge is `from_index` again. `Err` when that removes a batch this verifier found
    /// valid, whose state it has already applied: its judgement and the inbox's then differ,
    /// and it can no longer follow the inbox.
    pub fn roll_back(&mut self, from_index: u64) -> Result<Applied, String> {
        let before = self.position;
        let first_invalid = before.invalid_from.unwrap_or(before.next_index);
        if from_index < first_invalid {
            return Err(format!(
                "the inbox rolled back to batch {from_index}, but batches up to {} verified",
                first_invalid.saturating_sub(1)
            ));
        }
        if from_index < self.position.next_index {
            self.position.next_index = from_index;
        }
        if self.position.invalid_from.is_some_and(|first| first >= from_index) {
            self.position.invalid_from = None;
        }
        Ok(Applied { before, undo: None, moved: false })
    }

    /// Judges `batch`, the next batch of the inbox, and returns the verdict with what it did. A
    /// verified batch extends the local chain; a mismatch leaves it where it was (its state
    /// changes undone), and every later batch is judged to descend from an invalid one.
    /// `Err` when `batch` is not the next batch (the caller's view of L1 is inconsistent: no
    /// verdict).
    pub fn verify(&mut self, batch: &PostedBatch) -> Result<(Verdict, Applied), VerifyError> {
        if batch.index != self.position.next_index {
            return Err(VerifyError::OutOfSync { expected: self.position.next_index, got: batch.index });
        }
        if self.position.invalid_from.is_none() {
            // The entries the post consumed, as the caller read them from L1.
            let start = self.position.queue_end;
            let posted = batch.queue_end.saturating_sub(start);
            let reason = if batch.queue.len() as u64 != posted {
                Some(format!(
                    "{} queue entries given, the post consumed {posted} (from {start} to {})",
                    batch.queue.len(),
                    batch.queue_end
                ))
            } else {
                queue::check_consecutive(start, &batch.queue).err().map(|e| e.to_string())
            };
            if let Some(reason) = reason {
                return Err(VerifyError::QueueEntries { index: batch.index, reason });
            }
        }
        let before = self.position;
        self.position.next_index += 1;
        if let Some(first) = self.position.invalid_from {
            let verdict = Verdict::mismatch(format!("builds on batch {first}, which is invalid"));
            return Ok((verdict, Applied { before, undo: None, moved: false }));
        }
        let mut undo = Undo::default();
        let verdict = self.check(batch, &mut undo);
        if matches!(verdict, Verdict::Mismatch { .. }) {
            // A fraudulent batch must not move the local chain.
            self.executor.undo(undo)?;
            self.position.invalid_from = Some(batch.index);
            return Ok((verdict, Applied { before, undo: None, moved: false }));
        }
        self.position.next_block = batch.last_block + 1;
        self.position.queue_end = batch.queue_end;
        Ok((verdict, Applied { before, undo: Some(undo), moved: true }))
    }

    /// Takes back an event handled last (events are taken back newest first): the position
    /// before it, and the state before it for a verified batch.
    pub fn unapply(&mut self, applied: Applied) -> Result<(), VerifyError> {
        if applied.moved {
            self.executor.undo(applied.undo.ok_or(VerifyError::Forgotten)?)?;
        }
        self.position = applied.before;
        Ok(())
    }

    fn check(&mut self, batch: &PostedBatch, undo: &mut Undo) -> Verdict {
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
        let mut decoded = match codec::decode(&batch.data, &chain) {
            Ok(b) => b,
            Err(e) => return Verdict::mismatch(format!("batch data does not decode: {e}")),
        };
        let (Some(first), Some(last)) = (decoded.blocks.first(), decoded.blocks.last()) else {
            return Verdict::mismatch("batch holds no blocks");
        };
        if first.number != self.position.next_block {
            return Verdict::mismatch(format!(
                "starts at block {}, expected {}",
                first.number, self.position.next_block
            ));
        }
        if last.number != batch.last_block {
            return Verdict::mismatch(format!("ends at block {}, the post says {}", last.number, batch.last_block));
        }
        let queue: u128 = decoded.blocks.iter().map(|b| u128::from(b.queue_count)).sum();
        if let Some(reason) = queue_count_fault(queue, self.position.queue_end, batch.queue_end) {
            return Verdict::mismatch(reason);
        }
        // The counts agree, so the blocks consume exactly the entries given (checked by
        // `verify`), in order.
        let mut entries = &batch.queue[..];
        // Every sender of the batch is recovered at once, on all cores.
        // (Split by transaction, not by block: a batch is often one block.)
        let all: Vec<(usize, SignedTx)> = decoded
            .blocks
            .iter_mut()
            .enumerate()
            .flat_map(|(b, block)| std::mem::take(&mut block.txs).into_iter().map(move |tx| (b, tx)))
            .collect();
        let recovered: Vec<(usize, Result<RecoveredTx, rollup_types::TxError>)> =
            all.into_par_iter().map(|(b, tx)| (b, RecoveredTx::from_signed(tx, &chain))).collect();
        let mut recovered = recovered.into_iter().peekable();
        let mut computed = Vec::with_capacity(batch.chunk_roots.len());
        for (b, block) in decoded.blocks.iter().enumerate() {
            let mut txs = Vec::with_capacity(block.txs.len());
            while let Some((_, tx)) = recovered.next_if(|(at, _)| *at == b) {
                match tx {
                    Ok(tx) => txs.push(tx),
                    Err(e) => {
                        let i = txs.len();
                        return Verdict::mismatch(format!("block {} transaction {i} is invalid: {e}", block.number));
                    }
                }
            }
            let (consumed, rest) = entries.split_at(block.queue_count as usize);
            entries = rest;
            let executed = self.executor.execute_block_undoable(
                BlockEnvInput { number: block.number, timestamp: block.timestamp },
                consumed,
                &txs,
                undo,
            );
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
        Verdict::Verified { state_root: computed_root }
    }
}

/// Why a batch that consumes `count` queue entries by its blocks' queue counts, after
/// batches that consumed `start`, cannot have posted `queue_end` (docs/bridge.md §6,
/// `WrongQueueCount`); `None` when the counts agree.
pub(crate) fn queue_count_fault(count: u128, start: u64, queue_end: u64) -> Option<String> {
    let posted = u128::from(queue_end).checked_sub(u128::from(start));
    (posted != Some(count)).then(|| {
        format!("its blocks consume {count} queue entries, the post moves the queue from {start} to {queue_end}")
    })
}
