//! What can be wrong with a batch, typed. One judgement gives both the verdict's words
//! (`Display`) and where a proof must show it ([`Fault::header`]: the header alone; otherwise
//! a chunk, or the whole batch for a blob post). The inbox's header rules are written here
//! once, for the verifier and the prover alike ([`header_fault`]).

use crate::batch::{Position, PostedBatch};
use alloy_primitives::B256;
use rollup_types::{FaultKind, codec::Header};
use std::fmt;

/// Why a batch is not what its post claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A segment of the blob's data does not hash to the segment hash its post committed to
    /// (docs/fraud-proofs.md §8): the blob proof shows it.
    BlobSegment(usize),
    /// The chunk roots that end the blob do not hash to the hash its post committed to, or the
    /// last of them is not the recorded state root (docs/fraud-proofs.md §8.8): the roots proof
    /// shows it.
    BlobRoots,
    /// It builds on a root the chain is not at.
    PrevRoot {
        /// The root the post names.
        posted: B256,
        /// The chain's.
        chain: B256,
    },
    /// It descends from an invalid batch.
    BuildsOnInvalid(u64),
    /// Its header breaks a rule of the inbox: the header alone proves it.
    Header(HeaderFault),
    /// Its data past the header does not decode.
    Undecodable(String),
    /// A transaction is not valid (signature, chain, admission).
    InvalidTx {
        /// Its block.
        block: u64,
        /// Its index in the block.
        tx: usize,
        /// Why.
        reason: String,
    },
    /// A transaction does not carry its sender's nonce.
    WrongNonce {
        /// Its block.
        block: u64,
        /// Its index in the block.
        tx: usize,
        /// Why.
        reason: String,
    },
    /// A transaction cannot pay for itself (docs/fees.md §5).
    CannotPay {
        /// Its block.
        block: u64,
        /// Its index in the block.
        tx: usize,
        /// Why.
        reason: String,
    },
    /// A block commits an L1 price out of the bound from its parent's, or above the cap of the
    /// chain's reading of the L1's fees (docs/fees.md §4).
    L1Price {
        /// The block.
        block: u64,
        /// The price of the block before it that held an item.
        parent: u64,
        /// The price it commits.
        proposed: u64,
        /// The cap of the chain's reading of the L1's fees.
        cap: u64,
    },
    /// Execution gives another number of chunk roots than were posted.
    ChunkCount {
        /// Posted.
        posted: usize,
        /// What execution gives.
        computed: usize,
    },
    /// The root after chunk `chunk` is not what the post says.
    ChunkRoot {
        /// The chunk.
        chunk: usize,
        /// Posted.
        posted: B256,
        /// What execution gives.
        computed: B256,
    },
    /// The state root the inbox recorded is not what execution gives.
    StateRoot {
        /// Recorded.
        recorded: B256,
        /// What execution gives.
        computed: B256,
    },
}

impl Fault {
    /// The header fault, when the header alone proves it.
    pub const fn header(&self) -> Option<&HeaderFault> {
        match self {
            Self::Header(fault) => Some(fault),
            _ => None,
        }
    }

    /// What the inbox reports when it is proven (`BatchInbox.Fault`); `None` for what no
    /// proof of this batch shows (it builds on another root, or on an invalid batch: the
    /// earlier batch is the one to prove).
    pub const fn kind(&self) -> Option<FaultKind> {
        Some(match self {
            Self::BlobSegment(_) => FaultKind::BlobDataMismatch,
            Self::BlobRoots => FaultKind::BlobRootsMismatch,
            Self::PrevRoot { .. } | Self::BuildsOnInvalid(_) => return None,
            Self::Header(fault) => fault.kind(),
            Self::Undecodable(_) => FaultKind::UndecodableChunk,
            Self::InvalidTx { .. } => FaultKind::InadmissibleTx,
            Self::WrongNonce { .. } => FaultKind::WrongNonce,
            Self::CannotPay { .. } => FaultKind::CannotPay,
            Self::L1Price { .. } => FaultKind::WrongL1Price,
            Self::ChunkCount { .. } => FaultKind::WrongChunkCount,
            Self::ChunkRoot { .. } | Self::StateRoot { .. } => FaultKind::WrongChunkRoot,
        })
    }

    /// The chunk whose replay shows it, when the judgement located one.
    pub const fn chunk(&self) -> Option<usize> {
        match self {
            Self::ChunkRoot { chunk, .. } => Some(*chunk),
            _ => None,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BlobSegment(segment) => {
                write!(f, "segment {segment} of the blob's data does not hash to the segment hash posted for it")
            }
            Self::BlobRoots => {
                f.write_str("the chunk roots that end the blob are not the ones posted (their hash or the state root)")
            }
            Self::PrevRoot { posted, chain } => write!(f, "builds on root {posted}, the chain is at {chain}"),
            Self::BuildsOnInvalid(first) => write!(f, "builds on batch {first}, which is invalid"),
            Self::Header(fault) => fault.fmt(f),
            Self::Undecodable(e) => write!(f, "batch data does not decode: {e}"),
            Self::InvalidTx { block, tx, reason } => write!(f, "block {block} transaction {tx} is invalid: {reason}"),
            Self::WrongNonce { block, tx, reason } | Self::CannotPay { block, tx, reason } => {
                write!(f, "block {block} transaction {tx} cannot execute: {reason}")
            }
            Self::L1Price { block, parent, proposed, cap } if *proposed > *cap => write!(
                f,
                "block {block} commits an L1 price of {proposed} wei a byte, above the cap of {cap} the chain's \
                 reading of the L1's fees allows"
            ),
            Self::L1Price { block, parent, proposed, .. } => write!(
                f,
                "block {block} commits an L1 price of {proposed} wei a byte, more than an eighth from {parent}"
            ),
            Self::ChunkCount { posted, computed } => {
                write!(f, "{posted} chunk roots posted, execution gives {computed}")
            }
            Self::ChunkRoot { chunk, posted, computed } => {
                write!(f, "chunk {chunk}: posted root {posted}, execution gives {computed}")
            }
            Self::StateRoot { recorded, computed } => {
                write!(f, "state root {recorded} recorded, execution gives {computed}")
            }
        }
    }
}

/// A rule of the inbox's header check that a batch breaks (`proveHeaderFraud`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderFault {
    /// The header does not decode.
    Undecodable(String),
    /// It does not start at the block after the previous batch's last.
    FirstBlock {
        /// Its first block.
        got: u64,
        /// The block expected.
        expected: u64,
    },
    /// Its last block is not the one the post names.
    LastBlock {
        /// Its last block.
        got: u64,
        /// The post's.
        posted: u64,
    },
    /// It holds another number of chunks than roots were posted.
    ChunkCount {
        /// Chunks in the data.
        data: usize,
        /// Roots posted.
        posted: usize,
    },
    /// Its blocks consume another number of queue entries than the post moves the queue by
    /// (docs/bridge.md §6, `WrongQueueCount`).
    QueueCount {
        /// Entries its blocks consume.
        count: u128,
        /// Where the queue stood.
        start: u64,
        /// Where the post moves it.
        queue_end: u64,
    },
}

impl HeaderFault {
    /// What the inbox reports when it is proven.
    pub const fn kind(&self) -> FaultKind {
        match self {
            Self::Undecodable(_) => FaultKind::UndecodableHeader,
            Self::FirstBlock { .. } => FaultKind::WrongFirstBlock,
            Self::LastBlock { .. } => FaultKind::WrongLastBlock,
            Self::ChunkCount { .. } => FaultKind::WrongChunkCount,
            Self::QueueCount { .. } => FaultKind::WrongQueueCount,
        }
    }
}

impl fmt::Display for HeaderFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undecodable(e) => write!(f, "the header does not decode: {e}"),
            Self::FirstBlock { got, expected } => write!(f, "starts at block {got}, expected {expected}"),
            Self::LastBlock { got, posted } => write!(f, "ends at block {got}, the post says {posted}"),
            Self::ChunkCount { data, posted } => write!(f, "{data} chunks in the data, {posted} chunk roots posted"),
            Self::QueueCount { count, start, queue_end } => write!(
                f,
                "its blocks consume {count} queue entries, the post moves the queue from {start} to {queue_end}"
            ),
        }
    }
}

/// The inbox's header rules in its order (first block, last block, chunk count, queue count),
/// for a batch whose header decoded, at `at`.
pub fn header_fault(header: &Header, at: &Position, batch: &PostedBatch) -> Option<HeaderFault> {
    let first = header.first_number;
    let last = header.blocks.last().map_or(first, |b| b.number);
    if first != at.next_block {
        return Some(HeaderFault::FirstBlock { got: first, expected: at.next_block });
    }
    if last != batch.last_block {
        return Some(HeaderFault::LastBlock { got: last, posted: batch.last_block });
    }
    if header.chunks.len() != batch.chunk_roots.len() {
        return Some(HeaderFault::ChunkCount { data: header.chunks.len(), posted: batch.chunk_roots.len() });
    }
    let count = header.queue_count();
    let posted = u128::from(batch.queue_end).checked_sub(u128::from(at.queue_end));
    (posted != Some(count)).then_some(HeaderFault::QueueCount {
        count,
        start: at.queue_end,
        queue_end: batch.queue_end,
    })
}
