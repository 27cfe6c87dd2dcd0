//! Building fraud proofs (sans-IO): given the state a batch builds on and the batch as posted,
//! find the first rule it breaks in the order the L1 inbox checks them, and build the one
//! L1 call that proves it (docs/fraud-proofs.md §6).

use crate::{
    batch::{Position, PostedBatch},
    blob::BlobOpening,
    fault::{Fault, HeaderFault, header_fault},
};
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use rollup_executor::{BlockEnvInput, Executor, InvalidTx, TxResult};
use rollup_types::{
    RecoveredTx, SignedTx,
    bindings::{BatchInbox, ChunkProof, QueueContents},
    codec,
    queue::{self, QueueEntry},
    witness::PartialTree,
};

/// A proof that a batch is fraudulent, ready to be sent to the inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FraudProof {
    /// The header alone shows it (`proveHeaderFraud`).
    Header {
        /// Batch index.
        index: u64,
        /// The batch data.
        data: Bytes,
        /// What is wrong, in words.
        reason: String,
    },
    /// A blob that does not hold the data its post committed to: the cells holding one
    /// segment, opened against the blob's commitment (`proveBlobFraud`, docs/fraud-proofs.md
    /// §8.2).
    Blob {
        /// Batch index.
        index: u64,
        /// The data's length, as posted.
        length: u64,
        /// The segment hashes, as posted.
        segment_hashes: Vec<B256>,
        /// The segment the blob does not hold.
        segment: u64,
        /// The blob's commitment and the cells holding the segment.
        opening: BlobOpening,
        /// What is wrong, in words.
        reason: String,
    },
    /// A blob that does not end with the chunk roots its post committed to: the cells holding
    /// them, opened against the blob's commitment (`proveBlobRootsFraud`, docs/fraud-proofs.md
    /// §8.8).
    BlobRoots {
        /// Batch index.
        index: u64,
        /// The blob's commitment and the cells holding the roots.
        opening: BlobOpening,
        /// What is wrong, in words.
        reason: String,
    },
    /// One chunk shows it (`proveChunkFraud`).
    Chunk {
        /// Batch index.
        index: u64,
        /// The batch data.
        data: Bytes,
        /// The data segments the proof reveals (the header's and the chunk's), ascending.
        revealed: Vec<u64>,
        /// The posted chunk roots.
        chunk_roots: Vec<B256>,
        /// The chunk at fault.
        chunk_index: u64,
        /// Every state key the chunk touches (up to the transaction at fault).
        keys: Vec<B256>,
        /// Their witness against the root before the chunk.
        witness: Bytes,
        /// The queue entries the chunk holds, in order.
        queue: Vec<QueueEntry>,
        /// The bridge's accumulator before the first of them (zero without entries).
        queue_acc_before: B256,
        /// What is wrong, in words.
        reason: String,
    },
}

impl FraudProof {
    /// The batch it proves fraudulent.
    pub const fn index(&self) -> u64 {
        match self {
            Self::Header { index, .. }
            | Self::Blob { index, .. }
            | Self::BlobRoots { index, .. }
            | Self::Chunk { index, .. } => *index,
        }
    }

    /// What it shows, in words.
    pub fn reason(&self) -> &str {
        match self {
            Self::Header { reason, .. }
            | Self::Blob { reason, .. }
            | Self::BlobRoots { reason, .. }
            | Self::Chunk { reason, .. } => reason,
        }
    }

    /// The calldata of the inbox call that reveals it.
    pub fn calldata(&self) -> Vec<u8> {
        match self {
            Self::Header { index, data, .. } => {
                BatchInbox::proveHeaderFraudCall { index: U256::from(*index), data: data.clone() }.abi_encode()
            }
            Self::Blob { index, length, segment_hashes, segment, opening, .. } => BatchInbox::proveBlobFraudCall {
                index: U256::from(*index),
                length: U256::from(*length),
                segmentHashes: segment_hashes.clone(),
                segment: U256::from(*segment),
                commitment: opening.commitment.clone(),
                cells: opening.cells.clone(),
            }
            .abi_encode(),
            Self::BlobRoots { index, opening, .. } => BatchInbox::proveBlobRootsFraudCall {
                index: U256::from(*index),
                commitment: opening.commitment.clone(),
                cells: opening.cells.clone(),
            }
            .abi_encode(),
            Self::Chunk {
                index,
                data,
                revealed,
                chunk_roots,
                chunk_index,
                keys,
                witness,
                queue,
                queue_acc_before,
                ..
            } => BatchInbox::proveChunkFraudCall {
                index: U256::from(*index),
                data: data_proof(data, revealed),
                chunkRoots: chunk_roots.clone(),
                proof: ChunkProof {
                    chunkIndex: U256::from(*chunk_index),
                    keys: keys.clone(),
                    witness: witness.clone(),
                    entries: queue.iter().map(contents).collect(),
                    queueAccBefore: *queue_acc_before,
                },
            }
            .abi_encode(),
        }
    }
}

/// The part of `data` a chunk proof carries: every segment hash, and the segments `revealed`.
pub fn data_proof(data: &[u8], revealed: &[u64]) -> rollup_types::bindings::DataProof {
    let segments: Vec<&[u8]> = data.chunks(codec::SEGMENT_BYTES).collect();
    rollup_types::bindings::DataProof {
        length: U256::from(data.len()),
        segmentHashes: codec::segment_hashes(data),
        revealed: revealed.iter().map(|s| U256::from(*s)).collect(),
        segments: revealed.iter().map(|s| Bytes::copy_from_slice(segments[*s as usize])).collect(),
    }
}

/// A queue entry's contents as a chunk proof presents them (`BridgeQueue.Contents`).
pub fn contents(entry: &QueueEntry) -> QueueContents {
    entry.into()
}

/// The segments holding the bytes `ranges`, ascending and once each.
fn segments_of(ranges: &[std::ops::Range<usize>]) -> Vec<u64> {
    let mut out: Vec<u64> = ranges
        .iter()
        .filter(|r| !r.is_empty())
        .flat_map(|r| (r.start / codec::SEGMENT_BYTES..=(r.end - 1) / codec::SEGMENT_BYTES).map(|s| s as u64))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The commitment `prover` makes before revealing a proof with `calldata`: the inbox's
/// `proofCommitment(prover, calldata)`.
pub fn commitment(prover: alloy_primitives::Address, calldata: &[u8]) -> B256 {
    keccak256((prover, keccak256(calldata)).abi_encode())
}

/// Why no proof could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    /// The cells of a blob batch's segment could not be opened.
    #[error("batch {index}: the blob's segment {segment} cannot be opened: {reason}")]
    Blob {
        /// Batch index.
        index: u64,
        /// The segment.
        segment: u64,
        /// Why.
        reason: String,
    },
    /// The cells holding a blob batch's chunk roots could not be opened.
    #[error("batch {index}: the chunk roots at the end of the blob cannot be opened: {reason}")]
    BlobRoots {
        /// Batch index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// Every check the inbox makes passes: the batch is valid by the L1 rules.
    #[error("batch {0} passes every check of the L1 verifier")]
    NoFault(u64),
    /// The proof built does not check out locally (a bug: it is not sent).
    #[error("batch {index}: the proof of chunk {chunk} does not check out locally: {reason}")]
    Inconsistent {
        /// Batch index.
        index: u64,
        /// Chunk.
        chunk: u64,
        /// What failed.
        reason: String,
    },
}

/// Finds the first fault of `batch` in the inbox's order (header, then chunk by chunk: codec,
/// admission, nonces, root) and builds its proof. `base` is the state after the previous
/// batch and `at` where that leaves the chain (the block the batch must start with, the queue
/// position it must start from). A blob batch whose blob does not hold the data its post
/// committed to is proven so first ([`FraudProof::Blob`]); otherwise a blob batch is proven as a
/// calldata batch of the same data.
pub fn build(base: &Executor, at: Position, batch: &PostedBatch) -> Result<FraudProof, ProveError> {
    if let Some(segment) = batch.blob.as_ref().and_then(|blob| blob.mismatch(&batch.data)) {
        return blob_proof(batch, segment, Fault::BlobSegment(segment).to_string());
    }
    if batch.blob.as_ref().is_some_and(|blob| blob.roots_mismatch(&batch.chunk_roots, batch.state_root)) {
        return roots_proof(batch, Fault::BlobRoots.to_string());
    }
    build_for(base, at, batch, None)
}

/// The proof that the blob of `batch` does not end with the chunk roots its post committed to:
/// the cells holding the last `32 · count` payload bytes (docs/fraud-proofs.md §8.8).
fn roots_proof(batch: &PostedBatch, reason: String) -> Result<FraudProof, ProveError> {
    let failed = |reason: String| ProveError::BlobRoots { index: batch.index, reason };
    let blob = batch.blob.as_ref().ok_or_else(|| failed("a calldata batch has no blob".to_string()))?;
    if batch.chunk_roots.is_empty() {
        return Err(failed("a batch without chunks has no roots in its blob".to_string()));
    }
    let range = rollup_types::blob::roots_range(batch.chunk_roots.len());
    let opening = crate::blob::open(&blob.raw, range.start, range.end).map_err(|e| failed(e.to_string()))?;
    if opening.versioned_hash != blob.versioned_hash {
        return Err(failed(format!("the blob read is {}, the post's {}", opening.versioned_hash, blob.versioned_hash)));
    }
    Ok(FraudProof::BlobRoots { index: batch.index, opening, reason })
}

/// The proof that the blob of `batch` does not hold segment `segment` of the committed data.
fn blob_proof(batch: &PostedBatch, segment: usize, reason: String) -> Result<FraudProof, ProveError> {
    let failed = |reason: String| ProveError::Blob { index: batch.index, segment: segment as u64, reason };
    let blob = batch.blob.as_ref().ok_or_else(|| failed("a calldata batch has no blob".to_string()))?;
    let length = batch.data.len();
    let from = segment * codec::SEGMENT_BYTES;
    let to = (from + codec::SEGMENT_BYTES).min(length);
    let opening = crate::blob::open(&blob.raw, from, to).map_err(|e| failed(e.to_string()))?;
    if opening.versioned_hash != blob.versioned_hash {
        return Err(failed(format!("the blob read is {}, the post's {}", opening.versioned_hash, blob.versioned_hash)));
    }
    Ok(FraudProof::Blob {
        index: batch.index,
        length: length as u64,
        segment_hashes: blob.segment_hashes.clone(),
        segment: segment as u64,
        opening,
        reason,
    })
}

/// The proof of `fault`, which the verifier found in `batch` (judged once): a header fault is
/// proven with the header, as judged; a wrong chunk root with that chunk's replay; a blob that
/// does not hold the committed data with its cells; any other fault is located the way the
/// inbox checks ([`build`]).
pub fn build_for_fault(
    base: &Executor,
    at: Position,
    batch: &PostedBatch,
    fault: &Fault,
) -> Result<FraudProof, ProveError> {
    if let Fault::BlobSegment(segment) = fault {
        return blob_proof(batch, *segment, fault.to_string());
    }
    if *fault == Fault::BlobRoots {
        return roots_proof(batch, fault.to_string());
    }
    if fault.header().is_some() {
        return Ok(FraudProof::Header { index: batch.index, data: batch.data.clone(), reason: fault.to_string() });
    }
    let mut proof = build_for(base, at, batch, fault.chunk())?;
    if let (FraudProof::Chunk { chunk_index, reason, .. }, Some(chunk)) = (&mut proof, fault.chunk())
        && *chunk_index == chunk as u64
    {
        *reason = fault.to_string();
    }
    Ok(proof)
}

/// The blob proof for segment `segment` of blob batch `batch` whether or not the blob holds it
/// (for tests that an honest blob cannot be proven fraudulent).
pub fn build_blob(batch: &PostedBatch, segment: usize) -> Result<FraudProof, ProveError> {
    blob_proof(batch, segment, format!("segment {segment} of the blob, tried"))
}

/// The roots proof of blob batch `batch` whether or not its blob ends with the posted roots (for
/// tests that an honest blob cannot be proven fraudulent).
pub fn build_blob_roots(batch: &PostedBatch) -> Result<FraudProof, ProveError> {
    roots_proof(batch, "the chunk roots at the end of the blob, tried".to_string())
}

/// The chunk proof for chunk `chunk` of `batch` whether or not that chunk is at fault (for
/// tests that an honest chunk cannot be proven fraudulent): what [`build`] would send if
/// it were. Header faults and faults in earlier chunks still come first.
pub fn build_chunk(base: &Executor, at: Position, batch: &PostedBatch, chunk: usize) -> Result<FraudProof, ProveError> {
    build_for(base, at, batch, Some(chunk))
}

fn build_for(
    base: &Executor,
    at: Position,
    batch: &PostedBatch,
    target: Option<usize>,
) -> Result<FraudProof, ProveError> {
    let index = batch.index;
    let chain = *base.chain();
    let header_proof =
        |fault: HeaderFault| Ok(FraudProof::Header { index, data: batch.data.clone(), reason: fault.to_string() });
    let header = match codec::decode_header(&batch.data, &chain) {
        Ok(h) => h,
        Err(e) => return header_proof(HeaderFault::Undecodable(e.to_string())),
    };
    if let Some(fault) = header_fault(&header, &at, batch) {
        return header_proof(fault);
    }

    let mut executor = base.clone();
    for (c, chunk) in header.chunks.iter().enumerate() {
        let block = header.blocks[chunk.block];
        let env =
            BlockEnvInput { number: block.number, timestamp: block.timestamp, l1_byte_price: block.l1_byte_price };
        // The header's queue count is the entries given (checked above and by the verifier).
        let (from, to) = (chunk.queue.start as usize, chunk.queue.end as usize);
        let entries = batch.queue.get(from..to).ok_or_else(|| ProveError::Inconsistent {
            index,
            chunk: c as u64,
            reason: format!("the chunk holds queue entries {from}..{to} of the batch, {} given", batch.queue.len()),
        })?;
        let queue_acc_before = queue::accumulate_all(batch.queue_acc, &batch.queue[..from]);
        // The verifier reads the header and this chunk: those segments are revealed.
        let revealed = segments_of(&[0..header.chunks[0].bytes.start, chunk.bytes.clone()]);
        let chunk_proof = |keys: Vec<B256>, witness: Vec<u8>, reason: String| FraudProof::Chunk {
            index,
            data: batch.data.clone(),
            revealed: revealed.clone(),
            chunk_roots: batch.chunk_roots.clone(),
            chunk_index: c as u64,
            keys,
            witness: witness.into(),
            queue: entries.to_vec(),
            queue_acc_before,
            reason,
        };
        let txs = match codec::decode_chunk(&batch.data, &chain, c) {
            Ok(txs) => txs,
            // The verifier stops before reading the witness: the empty tree will do.
            Err(e) => return Ok(chunk_proof(Vec::new(), vec![0], format!("chunk {c} does not decode: {e}"))),
        };
        let replay = replay_chunk(&mut executor, env, entries, txs).map_err(|reason| ProveError::Inconsistent {
            index,
            chunk: c as u64,
            reason,
        })?;
        let reason = match replay.outcome {
            ReplayOutcome::Inadmissible { tx, reason } => {
                format!("chunk {c} transaction {tx} is not admissible: {reason}")
            }
            ReplayOutcome::WrongNonce { tx } => format!("chunk {c} transaction {tx} does not carry its sender's nonce"),
            ReplayOutcome::CannotPay { tx, reason } => format!("chunk {c} transaction {tx} cannot pay: {reason}"),
            ReplayOutcome::WrongL1Price { parent, proposed } => {
                format!("chunk {c}: block {} commits an L1 price of {proposed} after {parent}", block.number)
            }
            ReplayOutcome::Executed { post_root } if post_root != batch.chunk_roots[c] || target == Some(c) => {
                format!("chunk {c}: posted root {}, replay gives {post_root}", batch.chunk_roots[c])
            }
            // The executor has moved past the chunk: on to the next.
            ReplayOutcome::Executed { .. } => continue,
        };
        return Ok(chunk_proof(replay.keys, replay.witness, reason));
    }
    Err(ProveError::NoFault(index))
}

/// What one chunk does when replayed the way `ChunkVerifier.replayChunk` replays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayOutcome {
    /// Every transaction is valid: the state root after the chunk.
    Executed {
        /// State root after the chunk.
        post_root: B256,
    },
    /// Transaction `tx` is not admissible.
    Inadmissible {
        /// Its position in the chunk.
        tx: usize,
        /// Why, in words.
        reason: String,
    },
    /// Transaction `tx` does not carry its sender's current nonce.
    WrongNonce {
        /// Its position in the chunk.
        tx: usize,
    },
    /// Transaction `tx` cannot pay for itself (docs/fees.md §5).
    CannotPay {
        /// Its position in the chunk.
        tx: usize,
        /// Why, in words.
        reason: String,
    },
    /// The chunk's block commits an L1 price out of the bound from the fee state's
    /// (docs/fees.md §4): the chunk is invalid before any of its items.
    WrongL1Price {
        /// The price of the fee state's block.
        parent: u64,
        /// The price the chunk's block commits.
        proposed: u64,
    },
}

/// A replayed chunk with the witness that lets the L1 verifier replay it too.
#[derive(Clone, Debug)]
pub struct ChunkReplay {
    /// What the chunk does.
    pub outcome: ReplayOutcome,
    /// Every key the verifier reads or writes, up to the transaction at fault.
    pub keys: Vec<B256>,
    /// Their witness against the root before the chunk.
    pub witness: Vec<u8>,
    /// The result of each transaction, when all are valid (the chunk was executed).
    pub results: Vec<TxResult>,
    /// The result of each queue entry, when the chunk was executed.
    pub queue: Vec<rollup_executor::QueueResult>,
}

/// Replays one chunk over `executor`'s state: its queue entries `queue`, then its decoded
/// transactions `txs`, in the verifier's order: admission, nonce, execution, then the
/// post-root. When every transaction is valid
/// the executor is left after the chunk; at a fault it is left unchanged. The witness is
/// checked with the Rust mirror of the verifier's tree before it is returned; `Err` says why
/// it does not check out (a bug: nothing is sent).
pub fn replay_chunk(
    executor: &mut Executor,
    env: BlockEnvInput,
    queue: &[QueueEntry],
    txs: Vec<SignedTx>,
) -> Result<ChunkReplay, String> {
    let chain = *executor.chain();
    let txs_len = txs.len();
    let mut recovered = Vec::with_capacity(txs.len());
    let mut inadmissible = None;
    // The block's scheduled gas so far: the fee state's, entered into the chunk's block, whose
    // L1 price the verifier checks first.
    let committed = executor.fee_state();
    let Some(mut fees) = committed.enter(env.number, env.l1_byte_price, executor.l1_price_cap()) else {
        // Out of the bound: the verifier reads the fee state and, entering the block, the
        // chain's reading of the L1's fees (a later chunk of a block never fails here).
        let keys = vec![rollup_types::fees::FeeState::key(), rollup_types::fees::L1Fees::key()];
        let witness = executor.tree().witness(&keys, &[]);
        check_witness(&witness, executor.state_root(), &keys, None)?;
        let outcome = ReplayOutcome::WrongL1Price { parent: committed.l1_byte_price, proposed: env.l1_byte_price };
        return Ok(ChunkReplay { outcome, keys, witness, results: Vec::new(), queue: Vec::new() });
    };
    for (i, tx) in txs.into_iter().enumerate() {
        let admitted = RecoveredTx::from_signed(tx, &chain).map_err(|e| e.to_string()).and_then(|tx| {
            // The verifier checks the block's gas limit after the signature, before the nonce.
            fees = fees.with_gas(tx.tx.scheduled_gas()).ok_or_else(|| {
                format!("the block's scheduled gas would pass its limit of {}", rollup_types::fees::BLOCK_GAS_LIMIT)
            })?;
            Ok(tx)
        });
        match admitted {
            Ok(tx) => recovered.push(tx),
            Err(reason) => {
                inadmissible = Some(ReplayOutcome::Inadmissible { tx: i, reason });
                break;
            }
        }
    }
    // A chunk without items is its block's beginning (docs/batch-codec.md §3.1): a chunk of
    // items always holds one. Whichever it is, a chunk that enters its block begins it before
    // anything is checked.
    let beginning = queue.is_empty() && txs_len == 0;
    let trace = executor.trace_chunk(env, queue, &recovered);
    let pre_root = executor.state_root();
    // The first transaction the executor refuses comes before any inadmissible one (which
    // ends `recovered`): its nonce, or its fee, is the fault.
    if let Some((i, TxResult::Invalid(invalid))) =
        trace.results.iter().enumerate().find(|(_, r)| matches!(r, TxResult::Invalid(_)))
    {
        let outcome = match invalid {
            InvalidTx::Refused(_) => ReplayOutcome::WrongNonce { tx: i },
            InvalidTx::Unpayable(e) => ReplayOutcome::CannotPay { tx: i, reason: e.to_string() },
        };
        let trace = executor.trace_chunk(env, queue, &recovered[..=i]);
        let witness = executor.tree().witness(&trace.keys, &[]);
        check_witness(&witness, pre_root, &trace.keys, None)?;
        return Ok(ChunkReplay { outcome, keys: trace.keys, witness, results: Vec::new(), queue: Vec::new() });
    }
    if let Some(outcome) = inadmissible {
        let witness = executor.tree().witness(&trace.keys, &[]);
        check_witness(&witness, pre_root, &trace.keys, None)?;
        return Ok(ChunkReplay { outcome, keys: trace.keys, witness, results: Vec::new(), queue: Vec::new() });
    }
    // The witness is of the state before the chunk: built before the executor moves on.
    let witness = executor.tree().witness(&trace.keys, &trace.post);
    let (results, queue) = if beginning {
        executor.execute_beginning(env);
        (Vec::new(), Vec::new())
    } else {
        let executed = executor.execute_block_with_queue(env, queue, &recovered);
        (executed.results, executed.queue)
    };
    let post_root = executor.state_root();
    check_witness(&witness, pre_root, &trace.keys, Some((&trace.post, post_root)))?;
    Ok(ChunkReplay { outcome: ReplayOutcome::Executed { post_root }, keys: trace.keys, witness, results, queue })
}

/// Checks a witness the way the L1 verifier will: it hashes to `pre_root`, covers `keys`, and
/// (when `post` is given) gives the expected root after the chunk.
fn check_witness(
    witness: &[u8],
    pre_root: B256,
    keys: &[B256],
    post: Option<(&[(B256, B256)], B256)>,
) -> Result<(), String> {
    let mut tree = PartialTree::decode(witness).map_err(|e| e.to_string())?;
    if tree.root() != pre_root {
        return Err(format!("the witness hashes to {}, not {pre_root}", tree.root()));
    }
    for key in keys {
        tree.get(key).map_err(|e| e.to_string())?;
    }
    if let Some((post, expected)) = post {
        for (key, value) in post {
            tree.set(*key, *value).map_err(|e| e.to_string())?;
        }
        let root = tree.post_root().map_err(|e| e.to_string())?;
        if root != expected {
            return Err(format!("the witness gives {root} after the chunk, execution {expected}"));
        }
    }
    Ok(())
}
