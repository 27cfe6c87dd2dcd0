//! Errors of the L1, typed for the loop that handles them.

use alloy::transports::{RpcError, TransportErrorKind};
use alloy_primitives::{B256, Bytes};
use alloy_sol_types::SolInterface;
use rollup_types::bindings::{BatchInbox, BlobVerifier, ChunkVerifier, L1Bridge, TestToken};
use std::fmt;

/// What a loop does with an L1 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Try the same again later: the node could not be reached, timed out, or does not hold
    /// yet what it should (a block, a receipt, a log being indexed).
    Retry,
    /// Read the L1 again and decide again: a contract refused the call, or a transaction was
    /// mined and reverted; what this side believed about L1 is out of date.
    Reset,
    /// Stop and tell the operator: retrying cannot help (an answer that does not decode as the
    /// contract this code talks to, an unusable key).
    Stop,
}

/// An error of one of the rollup's L1 contracts, decoded from revert data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractError {
    /// The batch inbox's.
    Inbox(BatchInbox::BatchInboxErrors),
    /// The chunk verifier's (a fraud proof's replay).
    Verifier(ChunkVerifier::ChunkVerifierErrors),
    /// The blob verifier's (a blob proof's cells).
    Blob(BlobVerifier::BlobVerifierErrors),
    /// The L1 bridge's.
    Bridge(L1Bridge::L1BridgeErrors),
    /// The devnet's test ERC-20's.
    Token(TestToken::TestTokenErrors),
}

impl ContractError {
    /// Decodes revert data against the errors of every contract the rollup deploys.
    pub fn decode(data: &[u8]) -> Option<Self> {
        BatchInbox::BatchInboxErrors::abi_decode(data)
            .map(Self::Inbox)
            .or_else(|_| ChunkVerifier::ChunkVerifierErrors::abi_decode(data).map(Self::Verifier))
            .or_else(|_| BlobVerifier::BlobVerifierErrors::abi_decode(data).map(Self::Blob))
            .or_else(|_| L1Bridge::L1BridgeErrors::abi_decode(data).map(Self::Bridge))
            .or_else(|_| TestToken::TestTokenErrors::abi_decode(data).map(Self::Token))
            .ok()
    }

    /// The inbox's error, if it is one.
    pub const fn inbox(&self) -> Option<&BatchInbox::BatchInboxErrors> {
        match self {
            Self::Inbox(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for ContractError {
    /// `Name { field: value, … }`, from the derived `Debug` of the interface's enum without its
    /// outer `Variant(…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Inbox(e) => format!("{e:?}"),
            Self::Verifier(e) => format!("{e:?}"),
            Self::Blob(e) => format!("{e:?}"),
            Self::Bridge(e) => format!("{e:?}"),
            Self::Token(e) => format!("{e:?}"),
        };
        let inner = text.split_once('(').map_or(text.as_str(), |(_, rest)| rest.strip_suffix(')').unwrap_or(rest));
        f.write_str(inner)
    }
}

/// What went wrong talking to the L1.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The node could not be reached, timed out, or answered with an error that is not a
    /// contract's refusal.
    #[error("L1 request failed: {0}")]
    Transport(String),
    /// The node does not hold (yet) what it should: a block, a transaction, a log's field.
    #[error("the L1 node does not have {0}")]
    Missing(String),
    /// The L1 changed while it was read (a reorg between two reads that must agree).
    #[error("the L1 changed while it was read: {0}")]
    Moved(String),
    /// A call or an estimate reverted: the contract refused.
    #[error("the L1 contract refused: {}", match .error { Some(e) => e.to_string(), None => format!("{} (revert data {})", .message, .data) })]
    Refused {
        /// The contract's error, when it is one of the rollup's contracts'.
        error: Option<Box<ContractError>>,
        /// The revert data.
        data: Bytes,
        /// What the node said.
        message: String,
    },
    /// A transaction was mined and reverted.
    #[error("{what}: L1 transaction {tx} reverted")]
    Reverted {
        /// What the transaction did.
        what: String,
        /// The transaction.
        tx: B256,
    },
    /// An answer that does not decode as the contract this code talks to.
    #[error("unexpected answer from the L1: {0}")]
    Decode(String),
    /// A key that is not a usable secp256k1 private key.
    #[error("invalid key: {0}")]
    Key(String),
}

impl L1Error {
    /// What a loop does with it.
    pub const fn action(&self) -> Action {
        match self {
            Self::Transport(_) | Self::Missing(_) | Self::Moved(_) => Action::Retry,
            Self::Refused { .. } | Self::Reverted { .. } => Action::Reset,
            Self::Decode(_) | Self::Key(_) => Action::Stop,
        }
    }

    /// The rollup contract's error behind a refusal.
    pub fn contract_error(&self) -> Option<&ContractError> {
        match self {
            Self::Refused { error: Some(error), .. } => Some(error),
            _ => None,
        }
    }

    /// The inbox's error behind a refusal.
    pub fn inbox_error(&self) -> Option<&BatchInbox::BatchInboxErrors> {
        self.contract_error().and_then(ContractError::inbox)
    }

    /// `Missing` of `what`.
    pub fn missing(what: impl Into<String>) -> Self {
        Self::Missing(what.into())
    }
}

impl From<RpcError<TransportErrorKind>> for L1Error {
    fn from(err: RpcError<TransportErrorKind>) -> Self {
        if let Some(payload) = err.as_error_resp()
            && let Some(data) = payload.as_revert_data()
        {
            let error = ContractError::decode(&data).map(Box::new);
            return Self::Refused { error, data, message: payload.message.to_string() };
        }
        Self::Transport(err.to_string())
    }
}

impl From<alloy::providers::PendingTransactionError> for L1Error {
    fn from(err: alloy::providers::PendingTransactionError) -> Self {
        match err {
            alloy::providers::PendingTransactionError::TransportError(e) => e.into(),
            other => Self::Transport(other.to_string()),
        }
    }
}

impl From<alloy_sol_types::Error> for L1Error {
    fn from(err: alloy_sol_types::Error) -> Self {
        Self::Decode(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use alloy_sol_types::SolError;

    #[test]
    fn reverts_of_every_contract_are_named() {
        let inbox = BatchInbox::NothingOverdue { queueEnd: 2, queueLength: U256::from(2u8) }.abi_encode();
        let decoded = ContractError::decode(&inbox).expect("the inbox's");
        assert_eq!(decoded.to_string(), "NothingOverdue { queueEnd: 2, queueLength: 2 }");
        assert!(matches!(decoded.inbox(), Some(BatchInbox::BatchInboxErrors::NothingOverdue(_))));
        let bridge = L1Bridge::AlreadyEscaped { claim: B256::repeat_byte(1) }.abi_encode();
        let decoded = ContractError::decode(&bridge).expect("the bridge's");
        assert!(decoded.to_string().starts_with("AlreadyEscaped { claim: 0x0101"), "{decoded}");
        assert_eq!(decoded.inbox(), None);
        assert_eq!(ContractError::decode(&[0xde, 0xad, 0xbe, 0xef]), None);
    }

    #[test]
    fn each_error_says_what_to_do() {
        assert_eq!(L1Error::Transport("connection refused".into()).action(), Action::Retry);
        assert_eq!(L1Error::missing("block 7").action(), Action::Retry);
        let refused = L1Error::Refused {
            error: ContractError::decode(&BatchInbox::ProofNotCommitted { commitment: B256::ZERO }.abi_encode())
                .map(Box::new),
            data: Bytes::new(),
            message: "execution reverted".into(),
        };
        assert_eq!(refused.action(), Action::Reset);
        assert!(matches!(refused.inbox_error(), Some(BatchInbox::BatchInboxErrors::ProofNotCommitted(_))));
        assert!(
            refused.to_string().starts_with("the L1 contract refused: ProofNotCommitted { commitment: 0x0000"),
            "{refused}"
        );
        assert_eq!(L1Error::Reverted { what: "staking".into(), tx: B256::ZERO }.action(), Action::Reset);
        assert_eq!(L1Error::Key("not 32 bytes".into()).action(), Action::Stop);
    }
}
