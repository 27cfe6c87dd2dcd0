//! Errors of the batcher, classified for its loop.

use alloy_primitives::B256;

/// What went wrong while batching or posting.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The L1 failed (`rollup_l1::L1Error` says how): retried next round.
    #[error(transparent)]
    L1(#[from] rollup_l1::L1Error),
    /// The post was mined but reverted: logged as an error and tried again next round (the
    /// bond is kept by the failed transaction's sender; fix the cause, e.g. fund the batcher).
    #[error("batch {index} post reverted in L1 transaction {tx}")]
    Reverted {
        /// Batch index.
        index: u64,
        /// L1 transaction.
        tx: B256,
    },
    /// The batcher account cannot pay for a post: posting stalls (logged as an error, shown
    /// in the status) and resumes by itself once the account is funded.
    #[error("the batcher account cannot pay for the post: {0}")]
    InsufficientFunds(String),
    /// The L1 node refused to take a post, for a reason retrying the same transaction does
    /// not fix (a rule of its pool: size, gas, fees): posting stalls, with the reason.
    #[error("the L1 node refuses post {tx}: {reason}")]
    Refused {
        /// The attempt refused.
        tx: B256,
        /// What the node said.
        reason: String,
    },
    /// A sealed block does not fit one post on this L1: the sequencer's block limit is above
    /// what the L1 carries (its `--max-block-bytes`, or an L1 whose gas limit fell).
    #[error(
        "block {number} encodes to {bytes} bytes, and one post carries at most {max} on this L1; lower the \
         sequencer's --max-block-bytes to {max} or less"
    )]
    BlockTooLarge {
        /// The block.
        number: u64,
        /// Its encoding as a batch of its own.
        bytes: usize,
        /// What one post carries.
        max: usize,
    },
    /// The L1's block gas limit leaves no room for a post (and its header proof).
    #[error("the L1's block gas limit of {0} leaves no room for a post and its fraud proof")]
    L1TooSmall(u64),
    /// The L1 no longer holds a queue entry an L2 block consumed (a reorg deeper than the queue
    /// reader's confirmations): posting stalls, with the reason.
    #[error("the bridge's queue changed under the L2: {0}")]
    QueueReorged(String),
    /// The L1 inbox and the local record disagree.
    #[error("L1 and the local chain disagree: {0}")]
    Inconsistent(String),
    /// Another batcher on the database took the batchers' lease over from this one (it
    /// stalled, or lost the database for longer than the lease).
    #[error("lost the batchers' lease: this batcher posted at epoch {0}, another has taken it over since")]
    LostLease(u64),
    /// A block could not be batched.
    #[error("cannot encode batch: {0}")]
    Codec(#[from] rollup_types::codec::CodecError),
    /// The chain database failed.
    #[error(transparent)]
    Store(#[from] rollup_chain_store::StoreError),
    /// Bad configuration (URL, parameters).
    #[error("configuration: {0}")]
    Config(String),
}

impl BatcherError {
    /// Whether the loop must stop: errors that retrying cannot fix without an operator.
    pub const fn is_fatal(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Config(_) | Self::Inconsistent(_) | Self::LostLease(_))
    }

    /// Whether posting is stalled until an operator acts (the loop keeps retrying, and the
    /// status says why).
    pub const fn stalls(&self) -> bool {
        matches!(
            self,
            Self::InsufficientFunds(_)
                | Self::Reverted { .. }
                | Self::Refused { .. }
                | Self::BlockTooLarge { .. }
                | Self::L1TooSmall(_)
                | Self::QueueReorged(_)
        )
    }

    pub(crate) fn l1(err: impl Into<rollup_l1::L1Error>) -> Self {
        Self::L1(err.into())
    }

    /// The L1 node does not hold (yet) what it should.
    pub(crate) fn missing(what: impl Into<String>) -> Self {
        Self::L1(rollup_l1::L1Error::missing(what))
    }
}
