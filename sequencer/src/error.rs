//! Errors of the sequencer, classified for whoever handles them: a client (submission
//! errors, mapped to HTTP and JSON-RPC in `api::error`) or the service loop (fatal).

use alloy_primitives::{Address, B256, U256};
use rollup_types::TxError;

/// The chain database failed (the shared database error).
pub use rollup_chain_store::StoreError;

/// Why a submitted transaction was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// It fails a stateless admission rule (encoding, signature, chain, target, …).
    #[error(transparent)]
    Tx(#[from] TxError),
    /// It makes a token call (`transfer`, `approve`, `transferFrom`) at an address that holds
    /// no token: it would consume the nonce and do nothing.
    #[error("{0} is not a token of this chain: no token is registered at that address")]
    NotAToken(Address),
    /// It sends ether to the system contract or a token, which would hold it for good (on
    /// Ethereum such a contract has no `receive` and the transfer reverts).
    #[error("{0} is a contract of this chain and does not accept ether")]
    EtherToContract(Address),
    /// Its sender cannot pay what it may take, `gasLimit × maxFeePerGas + value` (geth's words,
    /// which wallets and libraries match).
    #[error(transparent)]
    InsufficientFunds(#[from] rollup_types::tx::InsufficientFunds),
    /// Its fee cap is below the next block's base fee (geth's words): refused, not held
    /// (docs/fees.md §5).
    #[error("max fee per gas less than block base fee: address {sender}, maxFeePerGas: {max_fee}, baseFee: {base_fee}")]
    FeeCapTooLow {
        /// The sender.
        sender: Address,
        /// Its fee cap.
        max_fee: u128,
        /// The next block's base fee.
        base_fee: u128,
    },
    /// Its sender holds what it may take, but not with what its held transactions may take
    /// too (geth's overdraft, docs/fees.md §5).
    #[error(
        "transaction would cause overdraft: address {sender} have {have}, its held transactions may take {held}, this one {want}"
    )]
    Overdraft {
        /// The sender.
        sender: Address,
        /// Its ether.
        have: U256,
        /// What its held transactions (and the ones before it in the submission) may take.
        held: U256,
        /// What this one may take.
        want: U256,
    },
    /// Its nonce was already used.
    #[error("nonce too low: the next nonce of this sender is {next}, got {got}")]
    NonceTooLow {
        /// The sender's next nonce.
        next: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// Its nonce is too far ahead of the sender's next nonce.
    #[error("nonce too high: the next nonce of this sender is {next}, got {got} (at most {max_gap} ahead is held)")]
    NonceTooHigh {
        /// The sender's next nonce.
        next: u64,
        /// The transaction's nonce.
        got: u64,
        /// How far ahead a nonce may be.
        max_gap: u64,
    },
    /// Another pending transaction of this sender has the same nonce and the new one does
    /// not raise its fees enough to replace it.
    #[error(
        "replacement transaction underpriced: pending transaction {existing} uses nonce {nonce}; a replacement \
         needs a max fee per gas of at least {min_max_fee} and a priority fee of at least {min_priority_fee} (+10 %)"
    )]
    ReplacementUnderpriced {
        /// The nonce.
        nonce: u64,
        /// The pending transaction using it.
        existing: B256,
        /// Least max fee per gas (gas price for legacy) a replacement must offer.
        min_max_fee: u128,
        /// Least priority fee a replacement must offer.
        min_priority_fee: u128,
    },
    /// Too many transactions are waiting behind nonce gaps.
    #[error("too many transactions wait behind nonce gaps ({limit}); send the missing nonces first")]
    FutureLimit {
        /// Capacity for future transactions.
        limit: usize,
    },
    /// This sender already holds the most transactions behind nonce gaps one sender may.
    #[error("this sender already has {limit} transactions waiting behind a nonce gap; send the missing nonces first")]
    SenderFutureLimit {
        /// Per-sender capacity for future transactions.
        limit: usize,
    },
    /// More is sealed than L1 has taken: the batcher must catch up before more is admitted.
    #[error(
        "the L1 backlog is over its bound: {bytes} bytes of blocks wait to be posted (at most {max_bytes}), the \
         oldest for {oldest_secs} s (at most {max_secs}); retry after {retry_after} s"
    )]
    L1Backlog {
        /// Encoded bytes of the blocks not yet on L1.
        bytes: u64,
        /// Seconds the oldest of them has waited.
        oldest_secs: u64,
        /// The bound on bytes (0: none).
        max_bytes: u64,
        /// The bound on seconds (0: none).
        max_secs: u64,
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// More is sealed than L1 has taken, and this client submitted more than its share
    /// lately: it is refused first, while lighter clients are still taken.
    #[error(
        "the L1 backlog is over its bound ({bytes} bytes of blocks wait to be posted, at most {max_bytes}) and this \
         address submitted more than its share lately: lighter submitters go first; retry after {retry_after} s"
    )]
    L1BacklogShare {
        /// Encoded bytes of the blocks not yet on L1.
        bytes: u64,
        /// The bound on bytes.
        max_bytes: u64,
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// This client submitted more transactions, or bytes of them, than its rate allows.
    #[error("more than {rate} {what} per second from this address; retry after {retry_after} s")]
    RateLimited {
        /// What is counted: `transactions` or `bytes of transactions`.
        what: &'static str,
        /// The rate per second.
        rate: u64,
        /// Seconds until the address may submit again.
        retry_after: u64,
    },
    /// The ingest queue is full: the node is overloaded.
    #[error("the sequencer is overloaded; retry after a second")]
    Overloaded,
    /// The mempool is full.
    #[error("the mempool is full ({limit} transactions); retry later")]
    MempoolFull {
        /// Its capacity.
        limit: usize,
    },
    /// This sender has too many pending transactions.
    #[error("this sender already has {limit} pending transactions; wait for some to be included")]
    SenderLimit {
        /// Per-sender capacity.
        limit: usize,
    },
    /// The transaction could not be made durable.
    #[error("could not persist the transaction: {0}")]
    Store(#[from] StoreError),
    /// The group commit that carried the transaction failed.
    #[error("could not persist the transaction: {0}")]
    Persist(String),
    /// The sequencer is shutting down.
    #[error("the sequencer is shutting down")]
    ShuttingDown,
    /// This sequencer follows another, which takes the submissions (its API forwards them
    /// there; docs/deployment.md).
    #[error("this sequencer follows the leader of its database and takes no transactions itself: {0}")]
    NotLeader(String),
    /// A bug or a failed task of the node itself; the transaction was not taken.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rollup_types::fees::Unpayable> for SubmitError {
    fn from(e: rollup_types::fees::Unpayable) -> Self {
        match e {
            rollup_types::fees::Unpayable::FeeCapBelowBaseFee { sender, max_fee, base_fee } => {
                Self::FeeCapTooLow { sender, max_fee, base_fee }
            }
            rollup_types::fees::Unpayable::InsufficientFunds(e) => Self::InsufficientFunds(e),
        }
    }
}

impl SubmitError {
    /// The same refusal for another copy of the transaction (a database error is carried as
    /// its message).
    pub fn again(&self) -> Self {
        match self {
            Self::Tx(e) => Self::Tx(e.clone()),
            Self::NotAToken(a) => Self::NotAToken(*a),
            Self::EtherToContract(a) => Self::EtherToContract(*a),
            Self::InsufficientFunds(e) => Self::InsufficientFunds(*e),
            Self::FeeCapTooLow { sender, max_fee, base_fee } => {
                Self::FeeCapTooLow { sender: *sender, max_fee: *max_fee, base_fee: *base_fee }
            }
            Self::Overdraft { sender, have, held, want } => {
                Self::Overdraft { sender: *sender, have: *have, held: *held, want: *want }
            }
            Self::NonceTooLow { next, got } => Self::NonceTooLow { next: *next, got: *got },
            Self::NonceTooHigh { next, got, max_gap } => {
                Self::NonceTooHigh { next: *next, got: *got, max_gap: *max_gap }
            }
            Self::ReplacementUnderpriced { nonce, existing, min_max_fee, min_priority_fee } => {
                Self::ReplacementUnderpriced {
                    nonce: *nonce,
                    existing: *existing,
                    min_max_fee: *min_max_fee,
                    min_priority_fee: *min_priority_fee,
                }
            }
            Self::FutureLimit { limit } => Self::FutureLimit { limit: *limit },
            Self::SenderFutureLimit { limit } => Self::SenderFutureLimit { limit: *limit },
            Self::L1Backlog { bytes, oldest_secs, max_bytes, max_secs, retry_after } => Self::L1Backlog {
                bytes: *bytes,
                oldest_secs: *oldest_secs,
                max_bytes: *max_bytes,
                max_secs: *max_secs,
                retry_after: *retry_after,
            },
            Self::L1BacklogShare { bytes, max_bytes, retry_after } => {
                Self::L1BacklogShare { bytes: *bytes, max_bytes: *max_bytes, retry_after: *retry_after }
            }
            Self::RateLimited { what, rate, retry_after } => {
                Self::RateLimited { what, rate: *rate, retry_after: *retry_after }
            }
            Self::Overloaded => Self::Overloaded,
            Self::MempoolFull { limit } => Self::MempoolFull { limit: *limit },
            Self::SenderLimit { limit } => Self::SenderLimit { limit: *limit },
            Self::Store(e) => Self::Persist(e.to_string()),
            Self::Persist(e) => Self::Persist(e.clone()),
            Self::ShuttingDown => Self::ShuttingDown,
            Self::NotLeader(e) => Self::NotLeader(e.clone()),
            Self::Internal(e) => Self::Internal(e.clone()),
        }
    }

    /// A stable, machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Tx(e) => e.code(),
            Self::NotAToken(_) => "not_a_token",
            Self::EtherToContract(_) => "ether_to_contract",
            Self::InsufficientFunds(_) => "insufficient_funds",
            Self::FeeCapTooLow { .. } => "fee_cap_too_low",
            Self::Overdraft { .. } => "overdraft",
            Self::NonceTooLow { .. } => "nonce_too_low",
            Self::NonceTooHigh { .. } => "nonce_too_high",
            Self::ReplacementUnderpriced { .. } => "replacement_underpriced",
            Self::FutureLimit { .. } => "future_limit",
            Self::SenderFutureLimit { .. } => "sender_future_limit",
            Self::Overloaded => "overloaded",
            Self::L1Backlog { .. } | Self::L1BacklogShare { .. } => "l1_backlog",
            Self::RateLimited { .. } => "rate_limited",
            Self::MempoolFull { .. } => "mempool_full",
            Self::SenderLimit { .. } => "sender_limit",
            Self::Store(_) | Self::Persist(_) => "storage_unavailable",
            Self::ShuttingDown => "shutting_down",
            Self::NotLeader(_) => "not_leader",
            Self::Internal(_) => "internal",
        }
    }

    /// What kind of refusal it is, which both APIs turn into their status or error code.
    pub const fn class(&self) -> SubmitClass {
        match self {
            Self::Tx(_)
            | Self::NotAToken(_)
            | Self::EtherToContract(_)
            | Self::InsufficientFunds(_)
            | Self::FeeCapTooLow { .. }
            | Self::Overdraft { .. }
            | Self::NonceTooLow { .. }
            | Self::NonceTooHigh { .. } => SubmitClass::Invalid,
            Self::ReplacementUnderpriced { .. } => SubmitClass::Conflict,
            Self::Store(_) | Self::Persist(_) | Self::ShuttingDown | Self::NotLeader(_) => SubmitClass::Unavailable,
            Self::Internal(_) => SubmitClass::Internal,
            Self::Overloaded
            | Self::MempoolFull { .. }
            | Self::SenderLimit { .. }
            | Self::FutureLimit { .. }
            | Self::SenderFutureLimit { .. }
            | Self::L1Backlog { .. }
            | Self::L1BacklogShare { .. }
            | Self::RateLimited { .. } => SubmitClass::NotNow,
        }
    }

    /// Seconds a client should wait before retrying, for the refusals that say "not now".
    pub const fn retry_after(&self) -> Option<u64> {
        match self {
            Self::L1Backlog { retry_after, .. }
            | Self::L1BacklogShare { retry_after, .. }
            | Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ if matches!(self.class(), SubmitClass::NotNow) => Some(1),
            _ => None,
        }
    }
}

/// The kinds of [`SubmitError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitClass {
    /// The transaction is not acceptable as it is.
    Invalid,
    /// It conflicts with one the node holds (a replacement that pays too little).
    Conflict,
    /// Not now: a limit or the backlog; `retry_after` says when to try again.
    NotNow,
    /// The node cannot take anything at the moment (its database, a shutdown).
    Unavailable,
    /// A fault of the node.
    Internal,
}

/// A failure that stops the sequencer.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The executor failed.
    #[error(transparent)]
    Executor(#[from] rollup_executor::ExecutorError),
    /// Replaying the stored chain did not reproduce it.
    #[error("replaying block {number} did not reproduce its stored roots: state root {computed}, stored {stored}")]
    ReplayMismatch {
        /// Block number.
        number: u64,
        /// Root computed.
        computed: B256,
        /// Root stored.
        stored: B256,
    },
    /// The database does not belong to this chain.
    #[error("the database belongs to another chain: {0}")]
    WrongChain(String),
    /// The listener failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking task panicked or was cancelled.
    #[error("block production task failed: {0}")]
    Task(String),
    /// Stopped while standing by, before leading.
    #[error("stopped while standing by")]
    Stopped,
    /// Another sequencer on the database took the lease over from this one (it stalled, or
    /// lost the database for longer than the lease): this process stops leading and exits.
    #[error("lost the lead: this sequencer led at epoch {0}, another sequencer has taken the lease over since")]
    LostLead(u64),
}
