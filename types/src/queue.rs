//! Entries of the bridge's L1 → L2 queue, mirroring `contracts/src/lib/BridgeQueue.sol`:
//! what each entry commits to and how the accumulator chains them (docs/bridge.md §2).
//!
//! The L1 bridge appends entries (deposits and forced transactions); the sequencer puts them
//! at the start of its blocks, in queue order; the challenger reads them from L1 itself and
//! replays them. Whoever holds an entry's contents proves them with the accumulators before
//! and after it.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;

/// Kind word of a deposit entry (`BridgeQueue.KIND_DEPOSIT`).
pub const KIND_DEPOSIT: u64 = 0;
/// Kind word of a forced-transaction entry (`BridgeQueue.KIND_FORCED_TX`).
pub const KIND_FORCED_TX: u64 = 1;
/// Kind word of a reading of the L1's fees (`BridgeQueue.KIND_L1_FEES`).
pub const KIND_L1_FEES: u64 = 2;

/// The caller of the executor's system calls (`L2System.SYSTEM_CALLER`, EIP-4788's system
/// address): deposits are credited by a call from it, which no key signs for.
pub const SYSTEM_CALLER: Address = Address::new([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xfe,
]);

/// What an entry carries besides its place in the queue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum QueueItem {
    /// `amount` of `l1_token` (zero for ether), credited on L2 to `to` as the bridged token.
    Deposit {
        /// The L2 recipient.
        to: Address,
        /// The L1 asset (the zero address for ether).
        l1_token: Address,
        /// Amount, in the asset's units.
        amount: U256,
        /// The bridged token's metadata word (symbol left-aligned, decimals in the low byte).
        meta: U256,
    },
    /// A signed L2 transaction sent through the L1 (forced inclusion).
    Forced {
        /// Its EIP-2718 encoding, as queued.
        raw: Bytes,
    },
    /// A reading of the L1's fees, queued by the inbox at a post (`L1Bridge.reportL1Fees`):
    /// once consumed, it bounds the L1 price of the chain's blocks (docs/fees.md §4). Its
    /// `from` is the [`SYSTEM_CALLER`], which runs it on L2.
    L1Fees {
        /// The base fee of the L1 block it was queued in.
        base_fee: U256,
        /// That block's blob base fee.
        blob_base_fee: U256,
    },
}

/// One entry of the queue, as the bridge's events describe it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    /// Its position in the queue (0 first).
    pub index: u64,
    /// The L1 account that queued it.
    pub from: Address,
    /// The L1 block it was queued in.
    pub l1_block: u64,
    /// What it carries.
    #[serde(flatten)]
    pub item: QueueItem,
}

impl QueueEntry {
    /// The entry's hash (`BridgeQueue.depositHash` / `forcedTxHash`).
    pub fn hash(&self) -> B256 {
        match &self.item {
            QueueItem::Deposit { to, l1_token, amount, meta } => {
                keccak256((U256::from(KIND_DEPOSIT), self.from, *to, *l1_token, *amount, *meta).abi_encode())
            }
            QueueItem::Forced { raw } => {
                keccak256((U256::from(KIND_FORCED_TX), self.from, keccak256(raw)).abi_encode())
            }
            QueueItem::L1Fees { base_fee, blob_base_fee } => {
                keccak256((U256::from(KIND_L1_FEES), *base_fee, *blob_base_fee).abi_encode())
            }
        }
    }

    /// The accumulator after this entry, `previous` being the one before it
    /// (`BridgeQueue.chain`; zero before entry 0).
    pub fn accumulate(&self, previous: B256) -> B256 {
        accumulate(previous, self.hash(), self.l1_block)
    }

    /// The hash of the forced transaction, for a forced entry (its L2 transaction hash when
    /// it decodes: the keccak-256 of its EIP-2718 bytes).
    pub fn forced_tx_hash(&self) -> Option<B256> {
        match &self.item {
            QueueItem::Forced { raw } => Some(keccak256(raw)),
            QueueItem::Deposit { .. } | QueueItem::L1Fees { .. } => None,
        }
    }
}

impl From<&crate::bindings::L1Bridge::DepositQueued> for QueueEntry {
    fn from(e: &crate::bindings::L1Bridge::DepositQueued) -> Self {
        Self {
            index: e.index.saturating_to(),
            from: e.from,
            l1_block: e.l1Block,
            item: QueueItem::Deposit { to: e.to, l1_token: e.l1Token, amount: e.amount, meta: e.meta },
        }
    }
}

impl From<&crate::bindings::L1Bridge::TransactionForced> for QueueEntry {
    fn from(e: &crate::bindings::L1Bridge::TransactionForced) -> Self {
        Self {
            index: e.index.saturating_to(),
            from: e.from,
            l1_block: e.l1Block,
            item: QueueItem::Forced { raw: e.raw.clone() },
        }
    }
}

impl From<&crate::bindings::L1Bridge::L1FeesQueued> for QueueEntry {
    fn from(e: &crate::bindings::L1Bridge::L1FeesQueued) -> Self {
        Self {
            index: e.index.saturating_to(),
            from: SYSTEM_CALLER,
            l1_block: e.l1Block,
            item: QueueItem::L1Fees { base_fee: e.baseFee, blob_base_fee: e.blobBaseFee },
        }
    }
}

/// A queue entry's contents as the contracts take them (`BridgeQueue.Contents`: in a chunk
/// proof, to the verifier, and to the bridge's `refundDeposit`); each contract's bindings
/// have a type of their own.
macro_rules! contents_from_entry {
    ($($t:ty),*) => {$(
        impl From<&QueueEntry> for $t {
            fn from(entry: &QueueEntry) -> Self {
                let mut c = Self { from: entry.from, l1Block: entry.l1_block, ..Default::default() };
                match &entry.item {
                    QueueItem::Deposit { to, l1_token, amount, meta } => {
                        c.kind = U256::from(KIND_DEPOSIT);
                        (c.to, c.l1Token, c.amount, c.meta) = (*to, *l1_token, *amount, *meta);
                    }
                    QueueItem::Forced { raw } => {
                        c.kind = U256::from(KIND_FORCED_TX);
                        c.raw = raw.clone();
                    }
                    QueueItem::L1Fees { base_fee, blob_base_fee } => {
                        // The hash holds neither the sender nor the block's other fields.
                        c.kind = U256::from(KIND_L1_FEES);
                        c.from = Address::ZERO;
                        (c.amount, c.meta) = (*base_fee, *blob_base_fee);
                    }
                }
                c
            }
        }
    )*};
}

contents_from_entry!(
    crate::bindings::QueueContents,
    crate::bindings::VerifierQueueContents,
    crate::bindings::BridgeQueueContents
);

/// The queue entry an `L1Bridge` log describes (`DepositQueued`, `TransactionForced` or
/// `L1FeesQueued`), or `None` for another log.
pub fn entry_of_log(log: &alloy_primitives::LogData) -> Option<QueueEntry> {
    use crate::bindings::L1Bridge::{DepositQueued, L1FeesQueued, TransactionForced};
    use alloy_sol_types::SolEvent;
    match log.topics().first()? {
        t if *t == DepositQueued::SIGNATURE_HASH => DepositQueued::decode_log_data(log).ok().map(|e| (&e).into()),
        t if *t == TransactionForced::SIGNATURE_HASH => {
            TransactionForced::decode_log_data(log).ok().map(|e| (&e).into())
        }
        t if *t == L1FeesQueued::SIGNATURE_HASH => L1FeesQueued::decode_log_data(log).ok().map(|e| (&e).into()),
        _ => None,
    }
}

/// The event signatures of the bridge's queue (`DepositQueued`, `TransactionForced`,
/// `L1FeesQueued`).
pub fn event_signatures() -> Vec<B256> {
    use crate::bindings::L1Bridge::{DepositQueued, L1FeesQueued, TransactionForced};
    use alloy_sol_types::SolEvent;
    vec![DepositQueued::SIGNATURE_HASH, TransactionForced::SIGNATURE_HASH, L1FeesQueued::SIGNATURE_HASH]
}

/// `keccak256(abi.encode(previous, entryHash, uint256(l1Block)))`.
pub fn accumulate(previous: B256, entry_hash: B256, l1_block: u64) -> B256 {
    keccak256((previous, entry_hash, U256::from(l1_block)).abi_encode())
}

/// The accumulator after `entries` (consecutive, in order), starting from `previous`.
pub fn accumulate_all<'a>(previous: B256, entries: impl IntoIterator<Item = &'a QueueEntry>) -> B256 {
    entries.into_iter().fold(previous, |acc, e| e.accumulate(acc))
}

/// Why a run of entries cannot be what a block or a batch consumes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The entries are not consecutive from the expected index.
    #[error("queue entry {got} where entry {expected} was expected")]
    OutOfOrder {
        /// The index expected.
        expected: u64,
        /// The index found.
        got: u64,
    },
    /// The entries do not chain to the accumulator the L1 holds.
    #[error("the queue entries up to {end} accumulate to {computed}, the L1 bridge holds {expected}")]
    Accumulator {
        /// The number of entries consumed after them.
        end: u64,
        /// What they accumulate to.
        computed: B256,
        /// What the bridge holds.
        expected: B256,
    },
}

/// Checks that `entries` are the consecutive entries from `start` on.
pub fn check_consecutive(start: u64, entries: &[QueueEntry]) -> Result<(), QueueError> {
    for (i, e) in entries.iter().enumerate() {
        let expected = start + i as u64;
        if e.index != expected {
            return Err(QueueError::OutOfOrder { expected, got: e.index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_caller_is_eip_4788s_address() {
        assert_eq!(SYSTEM_CALLER, "0xfffffffffffffffffffffffffffffffffffffffe".parse::<Address>().expect("address"));
    }

    #[test]
    fn entries_hash_by_kind_and_chain_in_order() {
        let deposit = QueueEntry {
            index: 0,
            from: Address::repeat_byte(1),
            l1_block: 7,
            item: QueueItem::Deposit {
                to: Address::repeat_byte(2),
                l1_token: Address::ZERO,
                amount: U256::from(5u8),
                meta: U256::from(18u8),
            },
        };
        let forced = QueueEntry {
            index: 1,
            from: Address::repeat_byte(1),
            l1_block: 8,
            item: QueueItem::Forced { raw: Bytes::from_static(&[1, 2, 3]) },
        };
        assert_ne!(deposit.hash(), forced.hash());
        let acc = accumulate_all(B256::ZERO, [&deposit, &forced]);
        assert_eq!(acc, forced.accumulate(deposit.accumulate(B256::ZERO)));
        assert_ne!(acc, deposit.accumulate(forced.accumulate(B256::ZERO)));
        assert_eq!(check_consecutive(0, &[deposit.clone(), forced.clone()]), Ok(()));
        assert_eq!(check_consecutive(1, &[deposit]), Err(QueueError::OutOfOrder { expected: 1, got: 0 }));
        assert_eq!(forced.forced_tx_hash(), Some(keccak256([1u8, 2, 3])));
    }
}
