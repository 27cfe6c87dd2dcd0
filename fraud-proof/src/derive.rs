//! The sans-IO core of the challenger: given batches exactly as posted on L1, rebuild the
//! chain and judge every posted root. No network, no database: the same inputs always give
//! the same verdicts, so they can be replayed from fixtures.

pub use crate::batch::{Position, PostedBatch};
use crate::{
    fault::{Fault, HeaderFault, header_fault},
    prove::{self, FraudProof, ProveError},
};
use alloy_primitives::B256;
use rayon::prelude::*;
use rollup_executor::{BlockEnvInput, Executor, ExecutorError, InvalidTx, TxResult, Undo};
use rollup_types::{ChainConfig, RecoveredTx, SignedTx, codec, queue};

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
        /// What is wrong (its `Display` is the verdict in words) and where a proof shows it.
        fault: Fault,
        /// The root re-execution gives, when the batch could be executed.
        computed_root: Option<B256>,
    },
}

impl Verdict {
    const fn mismatch(fault: Fault) -> Self {
        Self::Mismatch { fault, computed_root: None }
    }
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
    /// Transactions a verified batch applied.
    txs: u64,
}

impl Applied {
    /// Transactions the event applied (those of a verified batch; 0 otherwise).
    pub const fn txs(&self) -> u64 {
        self.txs
    }

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
    /// The batch's data is not what the inbox committed to: the caller did not read the post
    /// (the inbox takes a post only as its transaction's own call, so the transaction that
    /// emitted the event holds the data); no verdict, on it or on any batch after it.
    #[error("batch {index} cannot be read from L1 transaction {tx}: {reason}")]
    Unreadable {
        /// The batch.
        index: u64,
        /// The L1 transaction it was read from.
        tx: B256,
        /// Why.
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
    /// The fault of the first invalid batch (its index and data commitment, and the fault),
    /// from which its proof is built.
    fault: Option<(u64, B256, Fault)>,
}

impl Verifier {
    /// Starts from a genesis executor.
    pub fn new(genesis: Executor) -> Self {
        Self { executor: genesis, position: Position::GENESIS, fault: None }
    }

    /// Resumes from `executor`, the state after the batches before `position` (a snapshot).
    pub const fn resume(executor: Executor, position: Position) -> Self {
        Self { executor, position, fault: None }
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
    pub fn prove(&self, batch: &PostedBatch) -> Result<FraudProof, ProveError> {
        match &self.fault {
            Some((index, data_hash, fault))
                if *index == batch.index
                    && *data_hash == batch.data_hash
                    && self.position.invalid_from == Some(batch.index) =>
            {
                prove::build_for_fault(&self.executor, self.position, batch, fault)
            }
            _ => prove::build(&self.executor, self.position, batch),
        }
    }

    /// The proof of chunk `chunk` of `batch` (the next batch) whether or not it is at fault,
    /// for tests that honest chunks cannot be proven fraudulent.
    pub fn prove_chunk(&self, batch: &PostedBatch, chunk: usize) -> Result<FraudProof, ProveError> {
        prove::build_chunk(&self.executor, self.position, batch, chunk)
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
        Ok(Applied { before, undo: None, moved: false, txs: 0 })
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
        if let Some(reason) = batch.commitment_mismatch() {
            return Err(VerifyError::Unreadable { index: batch.index, tx: batch.l1_tx_hash, reason });
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
            let verdict = Verdict::mismatch(Fault::BuildsOnInvalid(first));
            return Ok((verdict, Applied { before, undo: None, moved: false, txs: 0 }));
        }
        let mut undo = Undo::default();
        let (verdict, txs) = self.check(batch, &mut undo);
        if let Verdict::Mismatch { fault, .. } = &verdict {
            // A fraudulent batch must not move the local chain.
            self.executor.undo(undo)?;
            self.position.invalid_from = Some(batch.index);
            self.fault = Some((batch.index, batch.data_hash, fault.clone()));
            return Ok((verdict, Applied { before, undo: None, moved: false, txs: 0 }));
        }
        self.position.next_block = batch.last_block + 1;
        self.position.queue_end = batch.queue_end;
        Ok((verdict, Applied { before, undo: Some(undo), moved: true, txs }))
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

    /// The verdict on `batch`, and the transactions it applied when it verified.
    fn check(&mut self, batch: &PostedBatch, undo: &mut Undo) -> (Verdict, u64) {
        let header = match self.header_of(batch) {
            Ok(header) => header,
            Err(fault) => return (Verdict::mismatch(fault), 0),
        };
        let verdict = self.execute(batch, &header, undo);
        let txs = match verdict {
            Verdict::Verified { .. } => header.blocks.iter().map(|b| b.tx_count).sum(),
            Verdict::Mismatch { .. } => 0,
        };
        (verdict, txs)
    }

    /// The batch's header, once its data, the root it builds on and the inbox's header rules
    /// check out.
    fn header_of(&self, batch: &PostedBatch) -> Result<codec::Header, Fault> {
        // (The data is the one the inbox committed to: `verify` checked it.)
        // A blob must hold the data its post committed to, segment by segment (§8.1).
        if let Some(segment) = batch.blob.as_ref().and_then(|blob| blob.mismatch(&batch.data)) {
            return Err(Fault::BlobSegment(segment));
        }
        if batch.blob.as_ref().is_some_and(|blob| blob.roots_mismatch(&batch.chunk_roots, batch.state_root)) {
            return Err(Fault::BlobRoots);
        }
        if batch.prev_state_root != self.executor.state_root() {
            return Err(Fault::PrevRoot { posted: batch.prev_state_root, chain: self.executor.state_root() });
        }
        // The inbox's header rules first, as the L1 verifier checks them.
        let header = codec::decode_header(&batch.data, self.executor.chain())
            .map_err(|e| Fault::Header(HeaderFault::Undecodable(e.to_string())))?;
        match header_fault(&header, &self.position, batch) {
            Some(fault) => Err(Fault::Header(fault)),
            None => Ok(header),
        }
    }

    /// Decodes and executes `batch`, whose header checked out, and compares every root.
    fn execute(&mut self, batch: &PostedBatch, header: &codec::Header, undo: &mut Undo) -> Verdict {
        let chain = *self.executor.chain();
        let mut decoded = match codec::decode_with_header(&batch.data, header, &chain) {
            Ok(b) => b,
            Err(e) => return Verdict::mismatch(Fault::Undecodable(e.to_string())),
        };
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
                        let (block, tx, reason) = (block.number, txs.len(), e.to_string());
                        return Verdict::mismatch(Fault::InvalidTx { block, tx, reason });
                    }
                }
            }
            // The block's scheduled gas stays within its limit (docs/fees.md §3), or the
            // transaction that passes it is not admissible in the chunk.
            let (committed, cap) = (self.executor.fee_state(), self.executor.l1_price_cap());
            let Some(mut fees) = committed.enter(block.number, block.l1_byte_price, cap) else {
                let (parent, proposed) = (committed.l1_byte_price, block.l1_byte_price);
                return Verdict::mismatch(Fault::L1Price { block: block.number, parent, proposed, cap });
            };
            if let Some(i) = txs.iter().position(|tx| match fees.with_gas(tx.tx.scheduled_gas()) {
                Some(next) => {
                    fees = next;
                    false
                }
                None => true,
            }) {
                let reason =
                    format!("the block's scheduled gas passes its limit of {}", rollup_types::fees::BLOCK_GAS_LIMIT);
                return Verdict::mismatch(Fault::InvalidTx { block: block.number, tx: i, reason });
            }
            let (consumed, rest) = entries.split_at(block.queue_count as usize);
            entries = rest;
            let executed = self.executor.execute_block_undoable(
                BlockEnvInput { number: block.number, timestamp: block.timestamp, l1_byte_price: block.l1_byte_price },
                consumed,
                &txs,
                undo,
            );
            if let Some((i, TxResult::Invalid(reason))) =
                executed.results.iter().enumerate().find(|(_, r)| matches!(r, TxResult::Invalid(_)))
            {
                let (block, tx, text) = (block.number, i, reason.to_string());
                return Verdict::mismatch(match reason {
                    InvalidTx::Refused(_) => Fault::WrongNonce { block, tx, reason: text },
                    InvalidTx::Unpayable(_) => Fault::CannotPay { block, tx, reason: text },
                });
            }
            computed.extend(executed.chunk_roots);
        }
        let computed_root = computed.last().copied().unwrap_or(batch.prev_state_root);
        if computed.len() != batch.chunk_roots.len() {
            return Verdict::Mismatch {
                fault: Fault::ChunkCount { posted: batch.chunk_roots.len(), computed: computed.len() },
                computed_root: Some(computed_root),
            };
        }
        if let Some(i) = computed.iter().zip(&batch.chunk_roots).position(|(a, b)| a != b) {
            return Verdict::Mismatch {
                fault: Fault::ChunkRoot { chunk: i, posted: batch.chunk_roots[i], computed: computed[i] },
                computed_root: Some(computed_root),
            };
        }
        if computed_root != batch.state_root {
            return Verdict::Mismatch {
                fault: Fault::StateRoot { recorded: batch.state_root, computed: computed_root },
                computed_root: Some(computed_root),
            };
        }
        Verdict::Verified { state_root: computed_root }
    }
}
