//! The kinds of fraud the L1 inbox proves (`BatchInbox.Fault`, docs/fraud-proofs.md §6): the
//! value its `FraudProven` event carries. Declared here once for Rust, in the inbox's order;
//! `contracts/test/Operations.t.sol` checks the Solidity enum against
//! `testdata/operation-vectors.json`, which this table writes.

use std::fmt;

/// What a fraud proof shows, as the inbox reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum FaultKind {
    /// The header does not decode (a codec rule of docs/batch-codec.md §5).
    UndecodableHeader = 0,
    /// The first block is not the one after the previous batch's last block.
    WrongFirstBlock = 1,
    /// The last block is not the posted `lastBlock`.
    WrongLastBlock = 2,
    /// The header's chunk count is not the number of posted chunk roots.
    WrongChunkCount = 3,
    /// A chunk does not decode.
    UndecodableChunk = 4,
    /// A transaction of the chunk is not admissible.
    InadmissibleTx = 5,
    /// A transaction of the chunk does not carry its sender's current nonce.
    WrongNonce = 6,
    /// Replaying the chunk gives another root than the posted one.
    WrongChunkRoot = 7,
    /// The header's queue entries are not the entries the batch was posted to consume.
    WrongQueueCount = 8,
    /// A segment of a blob batch's data does not hash to the segment hash it was posted with.
    BlobDataMismatch = 9,
    /// A transaction of the chunk cannot pay for itself (docs/fees.md §5).
    CannotPay = 10,
    /// A block commits an L1 price out of its bound (docs/fees.md §4).
    WrongL1Price = 11,
    /// The chunk roots that end a blob batch's blob do not hash to the posted hash, or the last
    /// of them is not the posted state root (docs/fraud-proofs.md §8.8).
    BlobRootsMismatch = 12,
}

impl FaultKind {
    /// Every kind, in the inbox's order (`ALL[k as usize] == k`).
    pub const ALL: [Self; 13] = [
        Self::UndecodableHeader,
        Self::WrongFirstBlock,
        Self::WrongLastBlock,
        Self::WrongChunkCount,
        Self::UndecodableChunk,
        Self::InadmissibleTx,
        Self::WrongNonce,
        Self::WrongChunkRoot,
        Self::WrongQueueCount,
        Self::BlobDataMismatch,
        Self::CannotPay,
        Self::WrongL1Price,
        Self::BlobRootsMismatch,
    ];

    /// The kind the inbox reports as `value`, if there is one.
    pub fn from_u8(value: u8) -> Option<Self> {
        Self::ALL.get(usize::from(value)).copied()
    }

    /// Its name in the inbox's enum.
    pub const fn name(self) -> &'static str {
        match self {
            Self::UndecodableHeader => "UndecodableHeader",
            Self::WrongFirstBlock => "WrongFirstBlock",
            Self::WrongLastBlock => "WrongLastBlock",
            Self::WrongChunkCount => "WrongChunkCount",
            Self::UndecodableChunk => "UndecodableChunk",
            Self::InadmissibleTx => "InadmissibleTx",
            Self::WrongNonce => "WrongNonce",
            Self::WrongChunkRoot => "WrongChunkRoot",
            Self::WrongQueueCount => "WrongQueueCount",
            Self::BlobDataMismatch => "BlobDataMismatch",
            Self::CannotPay => "CannotPay",
            Self::WrongL1Price => "WrongL1Price",
            Self::BlobRootsMismatch => "BlobRootsMismatch",
        }
    }

    /// Whether the header alone proves it (`proveHeaderFraud`); the others need a chunk
    /// (`proveChunkFraud`) or, for a blob's data or chunk roots, its cells (`proveBlobFraud`,
    /// `proveBlobRootsFraud`).
    pub const fn by_header(self) -> bool {
        matches!(
            self,
            Self::UndecodableHeader
                | Self::WrongFirstBlock
                | Self::WrongLastBlock
                | Self::WrongChunkCount
                | Self::WrongQueueCount
        )
    }
}

impl From<FaultKind> for u8 {
    fn from(kind: FaultKind) -> Self {
        kind as Self
    }
}

impl TryFrom<u8> for FaultKind {
    type Error = u8;

    fn try_from(value: u8) -> Result<Self, u8> {
        Self::from_u8(value).ok_or(value)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A state a forging batcher claims that the money market's rules forbid (`rollup devnet
/// --batcher.fault wrong-accrual`, …, docs/fraud-proofs.md §6.6): the posted root of one chunk is
/// the root of that state, built by executing the chunk over a state bent for the purpose and
/// bending it back (`rollup_fraud_proof::forge`). The inbox proves each as a wrong chunk root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Forgery {
    /// A lending operation that succeeded, with its market's borrow index a hundredth higher
    /// than its accrual gives.
    WrongAccrual,
    /// A liquidation of a healthy position (one the chain refused) carried out: run over the
    /// borrower's collateral cut twentyfold, the cut then given back.
    HealthyLiquidation,
    /// A borrow beyond the collateral (one the chain refused) carried out: run over the
    /// borrower's collateral made a thousandfold, then put back.
    BorrowBeyondCollateral,
    /// A borrow the chain refused carried out on a wrong read of the oracles: every asset's
    /// window mean but the borrowed one's read 2^10 times higher, then put back.
    WrongTwap,
}

impl Forgery {
    /// Every forgery.
    pub const ALL: [Self; 4] =
        [Self::WrongAccrual, Self::HealthyLiquidation, Self::BorrowBeyondCollateral, Self::WrongTwap];

    /// Its command-line name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::WrongAccrual => "wrong-accrual",
            Self::HealthyLiquidation => "healthy-liquidation",
            Self::BorrowBeyondCollateral => "borrow-beyond-collateral",
            Self::WrongTwap => "wrong-twap",
        }
    }
}

impl fmt::Display for Forgery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_inbox_order() {
        for (i, kind) in FaultKind::ALL.iter().enumerate() {
            assert_eq!(usize::from(u8::from(*kind)), i);
            assert_eq!(FaultKind::from_u8(i as u8), Some(*kind));
        }
        assert_eq!(FaultKind::from_u8(13), None);
        assert_eq!(FaultKind::try_from(255), Err(255));
    }
}
