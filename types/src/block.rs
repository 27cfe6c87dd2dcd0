//! L2 block headers.

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_primitives::{Address, B256, Bloom, Bytes, keccak256};
use serde::{Deserialize, Serialize};

/// How an included transaction ended (its receipt status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// The operation succeeded.
    Success,
    /// The operation reverted (its nonce is still used).
    Revert,
    /// Execution halted (its nonce is still used).
    Halt,
}

/// What identifies a sealed L2 block. Its hash is the keccak-256 of the RLP of an
/// Ethereum-shaped header whose state root is the sparse-Merkle root (see
/// `docs/state-commitment.md`), whose transactions root is the keccak-256 of the concatenated
/// transaction hashes, and whose extra data is, once the chain has consumed entries of the
/// bridge's queue, `queue_end` (8 bytes, big-endian) followed by `queue_accumulator`. The
/// default is all zeros (a starting point for tests and tools, not a block of any chain).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Block number (genesis is 0).
    pub number: u64,
    /// Hash of the parent block (zero for genesis).
    pub parent_hash: B256,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// State root after the block.
    pub state_root: B256,
    /// keccak-256 of the concatenated transaction hashes.
    pub transactions_root: B256,
    /// Bloom filter of the block's logs.
    pub logs_bloom: Bloom,
    /// Scheduled gas of the block's transactions (docs/fees.md §2.1; execution is not
    /// metered).
    pub gas_used: u64,
    /// The block's base fee (docs/fees.md §3).
    #[serde(default)]
    pub base_fee: u128,
    /// The L1 price of a byte the block commits, in wei (docs/fees.md §4); in the batch, and
    /// in the state root through the fee state when the block holds an item.
    #[serde(default)]
    pub l1_byte_price: u64,
    /// Entries of the bridge's L1 → L2 queue consumed by the end of this block.
    #[serde(default)]
    pub queue_end: u64,
    /// The bridge's accumulator after those entries (zero for none).
    #[serde(default)]
    pub queue_accumulator: B256,
}

impl BlockHeader {
    /// The Ethereum-shaped header.
    pub fn to_header(&self) -> Header {
        Header {
            parent_hash: self.parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: Address::ZERO,
            state_root: self.state_root,
            transactions_root: self.transactions_root,
            receipts_root: B256::ZERO,
            logs_bloom: self.logs_bloom,
            difficulty: Default::default(),
            number: self.number,
            gas_limit: crate::fees::BLOCK_GAS_LIMIT,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            extra_data: self.extra_data(),
            mix_hash: B256::ZERO,
            nonce: Default::default(),
            base_fee_per_gas: Some(u64::try_from(self.base_fee).unwrap_or(u64::MAX)),
            withdrawals_root: None,
            blob_gas_used: None,
            excess_blob_gas: None,
            parent_beacon_block_root: None,
            requests_hash: None,
            block_access_list_hash: None,
            slot_number: None,
        }
    }

    /// The header's extra data: empty until the chain consumes queue entries, then the queue's
    /// accumulator after the block (so that the block hash commits to the deposits it
    /// credited: the accumulator chains every entry, so it commits to their number too). 32
    /// bytes, Ethereum's bound, which clients check (web3.py refuses a block with more).
    pub fn extra_data(&self) -> Bytes {
        if self.queue_end == 0 {
            return Bytes::new();
        }
        Bytes::copy_from_slice(self.queue_accumulator.as_slice())
    }

    /// The base fee of the block after this one (docs/fees.md §3): EIP-1559's update from
    /// this block's base fee and scheduled gas.
    pub fn next_base_fee(&self) -> u128 {
        let fees = crate::fees::FeeState {
            number: self.number,
            gas: self.gas_used,
            l1_byte_price: self.l1_byte_price,
            base_fee: self.base_fee,
        };
        fees.base_fee_of(self.number.saturating_add(1))
    }

    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.to_header().hash_slow()
    }
}

/// keccak-256 of the concatenated transaction hashes.
pub fn transactions_root(hashes: &[B256]) -> B256 {
    let mut buf = Vec::with_capacity(hashes.len() * 32);
    for h in hashes {
        buf.extend_from_slice(h.as_slice());
    }
    keccak256(buf)
}
