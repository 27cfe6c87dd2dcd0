//! The transactions of a block that nobody signed on L2 (docs/fees.md §8): a deposit's credit
//! and the fee vault's, served as transactions of type `0x7e`, the type OP Stack chains give
//! their deposit transactions, so that wallets, client libraries and indexers find every
//! credit in a block's receipts and logs.
//!
//! Encoding (OP's deposit transaction): `0x7e ‖ rlp([sourceHash, from, to, mint, value, gas,
//! isSystemTx, input])`, hash `keccak256` of it. `to` empty is a creation (never used here).

use crate::{fees::FEE_VAULT, queue::QueueEntry, queue::QueueItem};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::{Decodable, Encodable, Header};

/// The EIP-2718 type byte of a deposit transaction.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// A transaction of type `0x7e`: a credit the block makes without a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositTx {
    /// What makes it unique: for a deposit, the bridge's queue accumulator after its entry;
    /// for the fee vault's credit, [`DepositTx::fee_credit`]'s.
    pub source_hash: B256,
    /// The L1 account that queued a deposit; the fee vault for its credit.
    pub from: Address,
    /// The account credited.
    pub to: Option<Address>,
    /// Ether created on L2 by it (a deposit of ether), in wei.
    pub mint: U256,
    /// Ether moved to `to` (equal to `mint`: a deposit's ether goes to its recipient).
    pub value: U256,
    /// Gas it may use (0: paid on L1, never metered on L2).
    pub gas: u64,
    /// OP's flag for its own system deposits: false here.
    pub is_system_tx: bool,
    /// Call data (empty: the credit is a rule of the block, not a call).
    pub input: Bytes,
}

/// Why bytes are not a deposit transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a deposit transaction: {0}")]
pub struct DepositDecodeError(String);

impl DepositTx {
    /// The transaction that credits queue entry `entry` (a deposit), the queue's accumulator
    /// after it being `accumulator`; `None` for a forced transaction (served as itself).
    pub fn for_deposit(entry: &QueueEntry, accumulator: B256) -> Option<Self> {
        let QueueItem::Deposit { to, l1_token, amount, .. } = &entry.item else { return None };
        let mint = if l1_token.is_zero() { *amount } else { U256::ZERO };
        Some(Self {
            source_hash: accumulator,
            from: entry.from,
            to: Some(*to),
            mint,
            value: mint,
            gas: 0,
            is_system_tx: false,
            input: Bytes::new(),
        })
    }

    /// A reading of the L1's fees taken at the start of a block (docs/fees.md §4): from the
    /// system caller to the system contract with the `reportL1Fees` call it runs (as OP Stack's
    /// L1 attributes transaction), unique by the queue's accumulator after the entry.
    pub fn for_l1_fees(entry: &QueueEntry, accumulator: B256) -> Option<Self> {
        let QueueItem::L1Fees { base_fee, blob_base_fee } = &entry.item else { return None };
        let call = crate::bindings::L2System::reportL1FeesCall {
            queueIndex: U256::from(entry.index),
            baseFee: *base_fee,
            blobBaseFee: *blob_base_fee,
        };
        Some(Self {
            source_hash: accumulator,
            from: entry.from,
            to: Some(crate::SYSTEM_CONTRACT),
            mint: U256::ZERO,
            value: U256::ZERO,
            gas: 0,
            is_system_tx: false,
            input: alloy_sol_types::SolCall::abi_encode(&call).into(),
        })
    }

    /// The fee vault's credit at the end of block `number`: from the vault to the vault,
    /// unique by its block (`keccak256("fee-vault" ‖ number)`, 8-byte big-endian number).
    pub fn fee_credit(number: u64) -> Self {
        let mut seed = b"fee-vault".to_vec();
        seed.extend_from_slice(&number.to_be_bytes());
        Self {
            source_hash: keccak256(&seed),
            from: FEE_VAULT,
            to: Some(FEE_VAULT),
            mint: U256::ZERO,
            value: U256::ZERO,
            gas: 0,
            is_system_tx: false,
            input: Bytes::new(),
        }
    }

    fn fields_len(&self) -> usize {
        self.source_hash.length()
            + self.from.length()
            + self.to.map_or(1, |to| to.length())
            + self.mint.length()
            + self.value.length()
            + self.gas.length()
            + self.is_system_tx.length()
            + self.input.length()
    }

    /// Its EIP-2718 encoding.
    pub fn encoded(&self) -> Bytes {
        let payload_length = self.fields_len();
        let mut out = Vec::with_capacity(1 + payload_length + 9);
        out.push(DEPOSIT_TX_TYPE);
        Header { list: true, payload_length }.encode(&mut out);
        self.source_hash.encode(&mut out);
        self.from.encode(&mut out);
        match &self.to {
            Some(to) => to.encode(&mut out),
            None => out.push(alloy_rlp::EMPTY_STRING_CODE),
        }
        self.mint.encode(&mut out);
        self.value.encode(&mut out);
        self.gas.encode(&mut out);
        self.is_system_tx.encode(&mut out);
        self.input.encode(&mut out);
        out.into()
    }

    /// Its hash: `keccak256` of its encoding.
    pub fn hash(&self) -> B256 {
        keccak256(self.encoded())
    }

    /// Decodes an EIP-2718 encoding made by [`DepositTx::encoded`] (all of it).
    pub fn decode(raw: &[u8]) -> Result<Self, DepositDecodeError> {
        let err = |e: alloy_rlp::Error| DepositDecodeError(e.to_string());
        let Some((&DEPOSIT_TX_TYPE, mut buf)) = raw.split_first() else {
            return Err(DepositDecodeError("the type byte is not 0x7e".into()));
        };
        let header = Header::decode(&mut buf).map_err(err)?;
        if !header.list || header.payload_length != buf.len() {
            return Err(DepositDecodeError("not one RLP list".into()));
        }
        let source_hash = B256::decode(&mut buf).map_err(err)?;
        let from = Address::decode(&mut buf).map_err(err)?;
        let to = if buf.first() == Some(&alloy_rlp::EMPTY_STRING_CODE) {
            buf = &buf[1..];
            None
        } else {
            Some(Address::decode(&mut buf).map_err(err)?)
        };
        let tx = Self {
            source_hash,
            from,
            to,
            mint: U256::decode(&mut buf).map_err(err)?,
            value: U256::decode(&mut buf).map_err(err)?,
            gas: u64::decode(&mut buf).map_err(err)?,
            is_system_tx: bool::decode(&mut buf).map_err(err)?,
            input: Bytes::decode(&mut buf).map_err(err)?,
        };
        if !buf.is_empty() {
            return Err(DepositDecodeError("bytes after its fields".into()));
        }
        Ok(tx)
    }
}

/// Whether an EIP-2718 encoding is a deposit transaction's.
pub fn is_deposit(raw: &[u8]) -> bool {
    raw.first() == Some(&DEPOSIT_TX_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::QueueItem;

    fn deposit(l1_token: Address) -> DepositTx {
        let entry = QueueEntry {
            index: 3,
            from: Address::repeat_byte(1),
            l1_block: 9,
            item: QueueItem::Deposit {
                to: Address::repeat_byte(2),
                l1_token,
                amount: U256::from(10u64).pow(U256::from(18u64)),
                meta: U256::ZERO,
            },
        };
        DepositTx::for_deposit(&entry, B256::repeat_byte(7)).expect("a deposit")
    }

    #[test]
    fn a_deposit_round_trips_and_its_hash_is_its_encodings() {
        for tx in [deposit(Address::ZERO), deposit(Address::repeat_byte(5)), DepositTx::fee_credit(12)] {
            let raw = tx.encoded();
            assert!(is_deposit(&raw));
            assert_eq!(DepositTx::decode(&raw).expect("decodes"), tx);
            assert_eq!(tx.hash(), keccak256(&raw));
        }
        let ether = deposit(Address::ZERO);
        assert_eq!((ether.mint, ether.value), (U256::from(10u64).pow(U256::from(18u64)), ether.mint));
        assert_eq!(deposit(Address::repeat_byte(5)).mint, U256::ZERO);
        assert_ne!(DepositTx::fee_credit(1).hash(), DepositTx::fee_credit(2).hash());
    }

    /// The same fields as OP's deposit transaction, RLP field by field: a vector an OP
    /// decoder reads (alloy-consensus' `TxDeposit` gives the same bytes).
    #[test]
    fn the_encoding_is_the_rlp_list_of_ops_fields() {
        let tx = deposit(Address::ZERO);
        let raw = tx.encoded();
        let mut fields = Vec::new();
        tx.source_hash.encode(&mut fields);
        tx.from.encode(&mut fields);
        tx.to.expect("to").encode(&mut fields);
        tx.mint.encode(&mut fields);
        tx.value.encode(&mut fields);
        0u64.encode(&mut fields);
        false.encode(&mut fields);
        Bytes::new().encode(&mut fields);
        let mut expected = vec![0x7e];
        Header { list: true, payload_length: fields.len() }.encode(&mut expected);
        expected.extend_from_slice(&fields);
        assert_eq!(raw.as_ref(), expected.as_slice());
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let raw = deposit(Address::ZERO).encoded();
        for cut in 0..raw.len() {
            assert!(DepositTx::decode(&raw[..cut]).is_err());
        }
        let mut longer = raw.to_vec();
        longer.push(0);
        assert!(DepositTx::decode(&longer).is_err());
        for at in 0..raw.len() {
            let mut damaged = raw.to_vec();
            damaged[at] ^= 0xff;
            let _ = DepositTx::decode(&damaged);
        }
    }
}
