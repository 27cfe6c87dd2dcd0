//! The batch codec, version 0: a field-aware encoding of L2 blocks that the L1 can decode
//! and from which every signed transaction is rebuilt exactly. Specified in
//! `docs/batch-codec.md`.
//!
//! What it leaves out because the chain fixes it: the chain id, the target (an index into a
//! registry of system contracts), the value (always zero), the access list (always empty),
//! the sender (recovered from the signature). Integers are unsigned LEB128 in their shortest
//! form. Decoding never panics and rejects anything that is not the unique encoding of a
//! batch.

use crate::{
    chain::{ChainConfig, SYSTEM_CONTRACT},
    tx::SignedTx,
};
use alloy_consensus::{Signed, TxEip1559, TxLegacy};
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};

/// The only codec version so far.
pub const VERSION: u8 = 0;

/// The registry of call targets; a transaction stores an index into it.
pub const TARGETS: [Address; 1] = [SYSTEM_CONTRACT];

/// One L2 block as carried by a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchBlock {
    /// Block number.
    pub number: u64,
    /// Block timestamp, in seconds.
    pub timestamp: u64,
    /// Transactions in canonical order.
    pub txs: Vec<SignedTx>,
}

/// A run of consecutive L2 blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The blocks; numbers are consecutive.
    pub blocks: Vec<BatchBlock>,
}

/// Why a batch could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The data ended inside a field.
    #[error("data ends inside {0}")]
    Truncated(&'static str),
    /// Bytes remain after the last block.
    #[error("{0} bytes after the last block")]
    TrailingBytes(usize),
    /// The version byte is not one this decoder knows.
    #[error("unknown codec version {0}")]
    UnknownVersion(u8),
    /// An integer is not in its shortest LEB128 form or overflows its field.
    #[error("malformed integer in {0}")]
    BadInteger(&'static str),
    /// A field holds a value the format forbids.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The batch has no blocks, or its blocks are not consecutive or not in time order.
    #[error("bad block sequence: {0}")]
    BadBlocks(&'static str),
    /// A transaction cannot be represented (wrong chain, target, value or access list).
    #[error("transaction {0} cannot be encoded: {1}")]
    Unencodable(alloy_primitives::B256, &'static str),
}

impl CodecError {
    /// A stable, machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Truncated(_) => "truncated",
            Self::TrailingBytes(_) => "trailing_bytes",
            Self::UnknownVersion(_) => "unknown_version",
            Self::BadInteger(_) => "bad_integer",
            Self::Invalid(_) => "invalid_field",
            Self::BadBlocks(_) => "bad_block_sequence",
            Self::Unencodable(..) => "unencodable_transaction",
        }
    }
}

const FLAG_EIP1559: u8 = 0b01;
const FLAG_PARITY: u8 = 0b10;

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self, what: &'static str) -> Result<u8, CodecError> {
        let (&b, rest) = self.buf.split_first().ok_or(CodecError::Truncated(what))?;
        self.buf = rest;
        Ok(b)
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], CodecError> {
        if self.buf.len() < n {
            return Err(CodecError::Truncated(what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// An unsigned LEB128 integer of at most `bits` bits, in its shortest form.
    fn varint(&mut self, bits: u32, what: &'static str) -> Result<u128, CodecError> {
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte(what)?;
            let chunk = u128::from(b & 0x7f);
            let room = bits.saturating_sub(shift);
            // Overflow of the field, or a last group of zero bits (not the shortest form).
            if room == 0 || (room < 7 && chunk >> room != 0) || (b == 0 && shift > 0) {
                return Err(CodecError::BadInteger(what));
            }
            v |= chunk << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        // Fits: varint(64) rejects anything wider.
        self.varint(64, what).map(|v| v as u64)
    }

    fn u128(&mut self, what: &'static str) -> Result<u128, CodecError> {
        self.varint(128, what)
    }
}

/// Encodes `batch` for `chain`.
pub fn encode(batch: &Batch, chain: &ChainConfig) -> Result<Vec<u8>, CodecError> {
    let first = batch.blocks.first().ok_or(CodecError::BadBlocks("a batch holds at least one block"))?;
    let mut out = Vec::with_capacity(64 + batch.blocks.iter().map(|b| b.txs.len() * 180).sum::<usize>());
    out.push(VERSION);
    put_varint(&mut out, first.number.into());
    put_varint(&mut out, batch.blocks.len() as u128);
    put_varint(&mut out, first.timestamp.into());
    let mut prev = first;
    for (i, block) in batch.blocks.iter().enumerate() {
        if i > 0 {
            if block.number != prev.number + 1 {
                return Err(CodecError::BadBlocks("block numbers are not consecutive"));
            }
            if block.timestamp < prev.timestamp {
                return Err(CodecError::BadBlocks("timestamps go backwards"));
            }
        }
        put_varint(&mut out, (block.timestamp - prev.timestamp).into());
        put_varint(&mut out, block.txs.len() as u128);
        for tx in &block.txs {
            encode_tx(&mut out, tx, chain)?;
        }
        prev = block;
    }
    Ok(out)
}

fn encode_tx(out: &mut Vec<u8>, tx: &SignedTx, chain: &ChainConfig) -> Result<(), CodecError> {
    let unencodable = |why| CodecError::Unencodable(tx.hash(), why);
    if tx.chain_id() != Some(chain.chain_id) {
        return Err(unencodable("chain id"));
    }
    let target = match tx.kind() {
        TxKind::Call(to) => TARGETS.iter().position(|t| *t == to).ok_or_else(|| unencodable("target"))?,
        TxKind::Create => return Err(unencodable("contract creation")),
    };
    if !tx.value().is_zero() {
        return Err(unencodable("non-zero value"));
    }
    let signature = tx.signature();
    let mut flags = if signature.v() { FLAG_PARITY } else { 0 };
    if let SignedTx::Eip1559(t) = tx {
        if !t.tx().access_list.is_empty() {
            return Err(unencodable("access list"));
        }
        flags |= FLAG_EIP1559;
    }
    out.push(flags);
    out.push(target as u8);
    put_varint(out, tx.nonce().into());
    put_varint(out, tx.gas_limit().into());
    match tx {
        SignedTx::Legacy(t) => put_varint(out, t.tx().gas_price),
        SignedTx::Eip1559(t) => {
            put_varint(out, t.tx().max_priority_fee_per_gas);
            put_varint(out, t.tx().max_fee_per_gas);
        }
    }
    let input = tx.input();
    put_varint(out, input.len() as u128);
    out.extend_from_slice(input);
    out.extend_from_slice(&signature.r().to_be_bytes::<32>());
    out.extend_from_slice(&signature.s().to_be_bytes::<32>());
    Ok(())
}

/// Smallest possible encoded transaction, used to bound counts before allocating.
const MIN_TX_BYTES: usize = 1 + 1 + 1 + 1 + 1 + 1 + 64;

/// Decodes a batch for `chain`. Every transaction is rebuilt exactly as it was signed; the
/// signatures are not checked here.
pub fn decode(data: &[u8], chain: &ChainConfig) -> Result<Batch, CodecError> {
    let mut r = Reader { buf: data };
    let version = r.byte("version")?;
    if version != VERSION {
        return Err(CodecError::UnknownVersion(version));
    }
    let first_number = r.u64("first block number")?;
    let count = r.u64("block count")?;
    if count == 0 {
        return Err(CodecError::BadBlocks("a batch holds at least one block"));
    }
    // Each block takes at least two bytes.
    if count > (r.buf.len() / 2) as u64 + 1 {
        return Err(CodecError::Truncated("blocks"));
    }
    let mut timestamp = r.u64("first timestamp")?;
    let mut blocks = Vec::with_capacity(count as usize);
    for i in 0..count {
        let number = first_number.checked_add(i).ok_or(CodecError::BadBlocks("block number overflows"))?;
        let delta = r.u64("timestamp delta")?;
        if i == 0 && delta != 0 {
            return Err(CodecError::Invalid("first block's timestamp delta"));
        }
        timestamp = timestamp.checked_add(delta).ok_or(CodecError::BadBlocks("timestamp overflows"))?;
        let tx_count = r.u64("transaction count")?;
        if tx_count > (r.buf.len() / MIN_TX_BYTES) as u64 {
            return Err(CodecError::Truncated("transactions"));
        }
        let mut txs = Vec::with_capacity(tx_count as usize);
        for _ in 0..tx_count {
            txs.push(decode_tx(&mut r, chain)?);
        }
        blocks.push(BatchBlock { number, timestamp, txs });
    }
    if !r.buf.is_empty() {
        return Err(CodecError::TrailingBytes(r.buf.len()));
    }
    Ok(Batch { blocks })
}

fn decode_tx(r: &mut Reader<'_>, chain: &ChainConfig) -> Result<SignedTx, CodecError> {
    let flags = r.byte("transaction flags")?;
    if flags & !(FLAG_EIP1559 | FLAG_PARITY) != 0 {
        return Err(CodecError::Invalid("transaction flags"));
    }
    let target = r.byte("target")?;
    let to = *TARGETS.get(target as usize).ok_or(CodecError::Invalid("target"))?;
    let nonce = r.u64("nonce")?;
    let gas_limit = r.u64("gas limit")?;
    let fees = if flags & FLAG_EIP1559 != 0 {
        let priority = r.u128("max priority fee")?;
        let max = r.u128("max fee")?;
        (Some(priority), max)
    } else {
        (None, r.u128("gas price")?)
    };
    let input_len = r.u64("input length")?;
    if input_len > r.buf.len() as u64 {
        return Err(CodecError::Truncated("input"));
    }
    let input = Bytes::copy_from_slice(r.bytes(input_len as usize, "input")?);
    let rs = r.bytes(64, "signature")?;
    let signature =
        Signature::new(U256::from_be_slice(&rs[..32]), U256::from_be_slice(&rs[32..]), flags & FLAG_PARITY != 0);
    let to = TxKind::Call(to);
    Ok(match fees {
        (Some(max_priority_fee_per_gas), max_fee_per_gas) => SignedTx::Eip1559(Signed::new_unhashed(
            TxEip1559 {
                chain_id: chain.chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
                to,
                value: U256::ZERO,
                access_list: AccessList::default(),
                input,
            },
            signature,
        )),
        (None, gas_price) => SignedTx::Legacy(Signed::new_unhashed(
            TxLegacy { chain_id: Some(chain.chain_id), nonce, gas_price, gas_limit, to, value: U256::ZERO, input },
            signature,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{sign_eip1559, sign_legacy, swap_calldata, transfer_calldata};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn sample_batch(chain: &ChainConfig) -> Batch {
        let key = [7u8; 32];
        let txs0 = vec![
            sign_eip1559(&key, chain.chain_id, 0, transfer_calldata()),
            sign_legacy(&key, chain.chain_id, 1, swap_calldata()),
        ];
        Batch {
            blocks: vec![
                BatchBlock { number: 5, timestamp: 1_700_000_000, txs: txs0 },
                BatchBlock { number: 6, timestamp: 1_700_000_000, txs: vec![] },
                BatchBlock {
                    number: 7,
                    timestamp: 1_700_000_003,
                    txs: vec![sign_eip1559(&key, chain.chain_id, 2, swap_calldata())],
                },
            ],
        }
    }

    #[test]
    fn round_trip_rebuilds_signed_transactions_exactly() {
        let chain = ChainConfig::default();
        let batch = sample_batch(&chain);
        let data = encode(&batch, &chain).expect("encodes");
        let decoded = decode(&data, &chain).expect("decodes");
        assert_eq!(decoded.blocks.len(), 3);
        for (a, b) in batch.blocks.iter().zip(&decoded.blocks) {
            assert_eq!(a.number, b.number);
            assert_eq!(a.timestamp, b.timestamp);
            for (x, y) in a.txs.iter().zip(&b.txs) {
                assert_eq!(x.hash(), y.hash());
                assert_eq!(x.encoded(), y.encoded());
                assert_eq!(x.recover_sender(), y.recover_sender());
            }
        }
    }

    #[test]
    fn every_truncation_and_most_corruptions_are_rejected_without_panic() {
        let chain = ChainConfig::default();
        let data = encode(&sample_batch(&chain), &chain).expect("encodes");
        for n in 0..data.len() {
            assert!(decode(&data[..n], &chain).is_err(), "prefix of {n} bytes decoded");
        }
        let mut extended = data.clone();
        extended.push(0);
        assert_eq!(decode(&extended, &chain), Err(CodecError::TrailingBytes(1)));
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let mut corrupt = data.clone();
            let i = rng.random_range(0..corrupt.len());
            corrupt[i] = rng.random();
            // Must not panic; a decode that succeeds must re-encode to the same bytes.
            if let Ok(batch) = decode(&corrupt, &chain) {
                assert_eq!(encode(&batch, &chain).ok(), Some(corrupt));
            }
        }
        for _ in 0..20_000 {
            let len = rng.random_range(0..200);
            let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let _ = decode(&junk, &chain);
        }
    }

    #[test]
    fn varints_must_be_shortest() {
        let chain = ChainConfig::default();
        // version 0, first block 0x80 0x00 (overlong zero) …
        assert_eq!(decode(&[0, 0x80, 0x00], &chain), Err(CodecError::BadInteger("first block number")));
        // u64 overflow: ten bytes of 0xff.
        let mut data = vec![0];
        data.extend_from_slice(&[0xff; 10]);
        data.push(0x01);
        assert_eq!(decode(&data, &chain), Err(CodecError::BadInteger("first block number")));
    }
}
