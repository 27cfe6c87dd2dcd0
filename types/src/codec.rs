//! The batch codec, version 7: a field-aware encoding of L2 blocks that the L1 can decode one
//! chunk at a time, and from which every signed transaction is rebuilt exactly. Specified in
//! `docs/batch-codec.md`. A block carries how many entries of the bridge's L1 → L2 queue it
//! consumes; the entries themselves are on L1, not in the batch. A block with items begins with
//! a chunk of its own, its beginning, which holds no item ([`ChunkRef::begins`]); each queue
//! entry and each heavy transaction ([`crate::ops::OpSpec::heavy`]) has a chunk of its own too
//! ([`crate::chain::ChunkCut`]), and the block table says where the heavy ones are.
//!
//! What it leaves out because the chain fixes it: the chain id, the target (the system
//! contract, or for a token call the token, taken from the registry), the value (zero but in
//! a transfer of ether), the access list (empty), the sender (recovered from the signature).
//! The six operations whose arguments are two addresses and some amounts, the three token
//! calls ([`crate::token::TokenCall`]), the transfer of ether (a recipient and a value) and the
//! extended operations of the operation table ([`crate::ops::Form::Extended`]) are stored as an
//! operation code, references into the batch's address registry and compact decimal numbers;
//! anything else keeps its raw calldata. The gas limit and fees most of a batch's transactions
//! share are written once, in its header ([`FeeDefaults`]), and an address a batch uses once is
//! written inline rather than in its registry. Decoding never panics, never allocates more
//! than the input can justify, and rejects anything section 3 of the spec does not allow.

use crate::{
    chain::{ChainConfig, SYSTEM_CONTRACT},
    ops::{Form, Op, Shape},
    token::TokenCall,
    tx::SignedTx,
};
use alloy_consensus::{Signed, TxEip1559, TxLegacy};
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use std::{collections::HashMap, ops::Range};

/// The codec version this module reads and writes.
pub const VERSION: u8 = 8;

/// Most queue entries one block may consume (the encoder's bound; the sequencer takes far
/// fewer per block).
pub const MAX_BLOCK_QUEUE_ENTRIES: u64 = 1 << 32;

/// Most blocks one batch holds (docs/batch-codec.md §3.5): bounds the block table an L1
/// decoder walks.
pub const MAX_BATCH_BLOCKS: u64 = 256;

/// Most addresses in a batch's registry (§3.5): bounds the header every chunk proof carries.
pub const MAX_REGISTRY: u64 = 2048;

/// Most chunks in a batch (§3.5): bounds the chunk roots every chunk proof carries. The inbox
/// refuses a post with more roots.
pub const MAX_BATCH_CHUNKS: u64 = 320;

/// Most batch data one calldata post carries: the inbox refuses more (`DataTooLarge`), which
/// bounds a header proof (it carries the whole data) and the segment hashes of a chunk proof
/// (docs/fraud-proofs.md §7).
pub const MAX_BATCH_BYTES: usize = 120_000;

/// Smallest possible encoded transaction: head, nonce, a raw input of length 0 (its gas limit
/// and fees the batch's defaults) and the signature. Bounds counts before allocating.
pub const MIN_TX_BYTES: usize = 1 + 1 + 1 + 64;

/// The batch's default gas limit and fees (§3.1 `defaults`), written once in its header: a
/// transaction whose head has the default-gas bit has the default gas limit, and one whose head
/// has the default-fees bit has the default fees (a legacy one the fee cap as its gas price).
/// Most of a batch's transactions have the same, which they then do not repeat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeeDefaults {
    /// The default gas limit.
    pub gas_limit: u64,
    /// The default priority fee of an EIP-1559 transaction.
    pub max_priority_fee_per_gas: u128,
    /// The default fee cap of an EIP-1559 transaction; a legacy transaction's gas price.
    pub max_fee_per_gas: u128,
}

impl FeeDefaults {
    /// The fees of `tx` as the defaults hold them: `(priority fee, fee cap)`, a legacy
    /// transaction's `(0, gas price)`.
    fn fees_of(tx: &SignedTx) -> (u128, u128) {
        match tx {
            SignedTx::Legacy(t) => (0, t.tx().gas_price),
            SignedTx::Eip1559(t) => (t.tx().max_priority_fee_per_gas, t.tx().max_fee_per_gas),
        }
    }

    /// Whether `tx` has the default fees: its fee cap (a legacy one's gas price) is the
    /// default's, and so is an EIP-1559 one's priority fee.
    pub fn fees_fit(&self, tx: &SignedTx) -> bool {
        let (priority, max) = Self::fees_of(tx);
        max == self.max_fee_per_gas && (matches!(tx, SignedTx::Legacy(_)) || priority == self.max_priority_fee_per_gas)
    }

    /// Defaults `tx` takes none of: written against them, it takes at least as many bytes as
    /// against any defaults (its gas limit and fees written out).
    fn unlike(tx: &SignedTx) -> Self {
        let (priority, max) = Self::fees_of(tx);
        Self {
            gas_limit: tx.gas_limit().wrapping_add(1),
            max_priority_fee_per_gas: priority.wrapping_add(1),
            max_fee_per_gas: max.wrapping_add(1),
        }
    }

    /// The defaults the reference encoder writes for `txs`: the gas limit most of them have and
    /// the fees most of them have (ties: the first seen), and zero for no transaction.
    fn most_common<'a>(txs: impl Iterator<Item = &'a SignedTx> + Clone) -> Self {
        fn mode<K: std::hash::Hash + Eq + Copy + Default>(keys: impl Iterator<Item = K>) -> K {
            let mut seen: HashMap<K, (usize, usize)> = HashMap::new();
            for k in keys {
                let next = seen.len();
                seen.entry(k).or_insert((0, next)).0 += 1;
            }
            seen.into_iter()
                .max_by(|(_, (ca, fa)), (_, (cb, fb))| ca.cmp(cb).then(fb.cmp(fa)))
                .map_or_else(K::default, |(k, _)| k)
        }
        let gas_limit = mode(txs.clone().map(SignedTx::gas_limit));
        let (max_priority_fee_per_gas, max_fee_per_gas) = mode(txs.map(Self::fees_of));
        Self { gas_limit, max_priority_fee_per_gas, max_fee_per_gas }
    }
}

/// Where a batch's bytes go, field by field (`rollup bench codec` prints it): what
/// [`encode_fields`] counts while it encodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldBytes {
    /// The header: version, defaults, block table, registry and chunk lengths.
    pub header: u64,
    /// Transaction heads.
    pub head: u64,
    /// Nonces.
    pub nonce: u64,
    /// Gas limits written out (none for a transaction of the default: a head bit).
    pub gas_limit: u64,
    /// Fees written out.
    pub fees: u64,
    /// Registry references: pairs, indices, an extended operation's row, list length and
    /// references.
    pub references: u64,
    /// Addresses written inline.
    pub inline: u64,
    /// Numbers of the operations: amounts and values.
    pub amounts: u64,
    /// Raw calldata with its length.
    pub raw: u64,
    /// Signatures.
    pub signature: u64,
}

impl FieldBytes {
    /// The fields in print order, with their names.
    pub fn named(&self) -> [(&'static str, u64); 10] {
        [
            ("header", self.header),
            ("head", self.head),
            ("nonce", self.nonce),
            ("gas limit", self.gas_limit),
            ("fees", self.fees),
            ("references", self.references),
            ("inline", self.inline),
            ("amounts", self.amounts),
            ("raw", self.raw),
            ("signature", self.signature),
        ]
    }
}

impl std::ops::AddAssign for FieldBytes {
    fn add_assign(&mut self, o: Self) {
        self.header += o.header;
        self.head += o.head;
        self.nonce += o.nonce;
        self.gas_limit += o.gas_limit;
        self.fees += o.fees;
        self.references += o.references;
        self.inline += o.inline;
        self.amounts += o.amounts;
        self.raw += o.raw;
        self.signature += o.signature;
    }
}

/// One L2 block as carried by a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchBlock {
    /// Block number.
    pub number: u64,
    /// Block timestamp, in seconds.
    pub timestamp: u64,
    /// Entries of the bridge's L1 → L2 queue the block consumes (they come before its
    /// transactions in the block's order; their contents are read from L1).
    pub queue_count: u64,
    /// The price of a byte on L1 the block commits, in wei (docs/fees.md §4).
    pub l1_byte_price: u64,
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
    /// The data, or a chunk, ended inside a field, or a count cannot fit in what is left.
    #[error("data ends inside {0}")]
    Truncated(&'static str),
    /// Bytes remain after the last chunk, or inside a chunk after its last transaction.
    #[error("{0} unused bytes at the end of the batch or of a chunk")]
    TrailingBytes(usize),
    /// The version byte is not one this decoder knows.
    #[error("unknown codec version {0}")]
    UnknownVersion(u8),
    /// An integer is not in its shortest form, is not canonical, or overflows its field.
    #[error("malformed integer in {0}")]
    BadInteger(&'static str),
    /// A field holds a value the format forbids.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The batch has no blocks, or its block numbers or timestamps overflow or go backwards.
    #[error("bad block sequence: {0}")]
    BadBlocks(&'static str),
    /// A bound of §3.5 is exceeded: too many blocks, registry entries or chunks, or a chunk
    /// longer than its transactions can be.
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// A transaction cannot be represented (wrong chain, target, value or access list).
    #[error("transaction {0} cannot be encoded: {1}")]
    Unencodable(B256, &'static str),
    /// `decode_chunk` was asked for a chunk the batch does not have (a caller error).
    #[error("chunk {index} requested, the batch has {count}")]
    NoSuchChunk {
        /// The chunk asked for.
        index: usize,
        /// Chunks in the batch.
        count: usize,
    },
}

impl CodecError {
    /// A stable, machine-readable code (the names of docs/batch-codec.md §5).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Truncated(_) => "truncated",
            Self::TrailingBytes(_) => "trailing_bytes",
            Self::UnknownVersion(_) => "unknown_version",
            Self::BadInteger(_) => "bad_integer",
            Self::Invalid(_) => "invalid_field",
            Self::BadBlocks(_) => "bad_block_sequence",
            Self::TooLarge(_) => "too_large",
            Self::Unencodable(..) => "unencodable_transaction",
            Self::NoSuchChunk { .. } => "no_such_chunk",
        }
    }
}

// Head byte of a transaction.
const HEAD_EIP1559: u8 = 0b0000_0001;
/// The gas limit is the batch's default ([`FeeDefaults`]): no gas limit field follows.
const HEAD_DEFAULT_GAS: u8 = 0b0000_0010;
/// The fees are the batch's defaults ([`FeeDefaults`]): no fee field follows.
const HEAD_DEFAULT_FEES: u8 = 0b0000_0100;
const HEAD_OP_SHIFT: u32 = 3;
const HEAD_OP_MASK: u8 = 0b0011_1000;
/// The transaction is a token call: its target is the first address of its registry pair.
const HEAD_TOKEN_CALL: u8 = 0b0100_0000;
/// The second address of the registry pair (a transfer of ether's target) is written inline,
/// its 20 bytes in the transaction, not in the registry (§3.3.1).
const HEAD_INLINE: u8 = 0b1000_0000;

/// The bits of `s`'s word that are `s`: the top one is the signature's y-parity (§3.3). A
/// low `s` (EIP-2: at most secp256k1n / 2 < 2^255) never has it.
const S_MASK: U256 = U256::MAX.wrapping_shr(1);

/// Operation code of raw calldata.
const OP_RAW: u8 = 0;
/// Operation code of an extended operation (§3.3.3): the row's number in the operation table
/// follows, then its arguments by the row's shape.
const OP_EXTENDED: u8 = 7;

/// The selector and number of amounts of compact operation `code` (docs/batch-codec.md
/// §3.3.1), from the operation table.
fn compact_op(code: u8) -> Option<([u8; 4], usize)> {
    let spec = Op::of_compact_code(code)?.spec();
    match spec.form {
        Form::Compact { amounts, .. } => Some((spec.selector, usize::from(amounts))),
        _ => None,
    }
}

/// Calls of other addresses, docs/batch-codec.md §3.3.2 (head bit 6): token calls 1 `transfer`,
/// 2 `approve`, 3 `transferFrom`, and 4, the transfer of ether.
const TOKEN_OPS: u8 = 4;
/// Operation code (with head bit 6) of a transfer of ether: the recipient's registry index,
/// then the value; no calldata.
const OP_NATIVE: u8 = 4;

/// Calldata split into its compact parts.
struct Compact {
    /// The operation code (bits 3–5 of the head).
    code: u8,
    /// Whether it is a token call (head bit 6).
    token: bool,
    /// The registry pair's two addresses: for a token call, the token and the call's first
    /// address argument.
    pair: [Address; 2],
    /// `transferFrom`'s recipient, written as one more registry index.
    extra: Option<Address>,
    /// Only the pair's first address is written, as a registry index (a transfer of ether,
    /// whose two addresses are both its recipient).
    single: bool,
    amounts: [U256; 3],
    amount_count: usize,
    /// An extended operation's arguments (code 7); `pair` and `extra` are then unused.
    extended: Option<Box<Extended>>,
}

/// An extended operation's arguments (§3.3.3).
struct Extended {
    /// Its row's number in the operation table.
    index: u64,
    shape: Shape,
    /// The leading addresses, written as one mixed-radix registry reference.
    lead: Vec<Address>,
    /// The address list, written as its length and one mixed-radix registry reference.
    list: Vec<Address>,
    numbers: Vec<U256>,
}

impl Compact {
    fn addresses(&self) -> impl Iterator<Item = Address> + '_ {
        let simple = match self.extended {
            Some(_) => 0,
            None if self.single => 1,
            None => 2,
        };
        let extended = self.extended.iter().flat_map(|e| e.lead.iter().chain(&e.list).copied());
        self.pair.into_iter().take(simple).chain(self.extra).chain(extended)
    }

    /// The address that may be written inline (§3.3.1): the registry pair's second, or a
    /// transfer of ether's target; none for an extended operation.
    fn second(&self) -> Option<Address> {
        match self.extended {
            Some(_) => None,
            None if self.single => Some(self.pair[0]),
            None => Some(self.pair[1]),
        }
    }

    /// The registry references it writes, each with its number of addresses: the pair or the
    /// index, a `transferFrom`'s extra index, an extended operation's lead and list.
    fn references(&self) -> impl Iterator<Item = usize> + '_ {
        let simple = match &self.extended {
            Some(_) => [None, None],
            None if self.single => [Some(1), None],
            None => [Some(2), self.extra.map(|_| 1)],
        };
        let extended = self
            .extended
            .iter()
            .flat_map(|e| [(!e.lead.is_empty()).then_some(e.lead.len()), e.shape.has_list().then_some(e.list.len())]);
        simple.into_iter().chain(extended).flatten()
    }
}

/// Bytes the L1 data fee bills for a registry reference of `m` addresses whatever its width
/// (docs/fees.md §2.2): [`BILLED_REFERENCE_BYTES`] for each two addresses or one left over.
const fn billed_reference(m: usize) -> u64 {
    BILLED_REFERENCE_BYTES * m.div_ceil(2) as u64
}

/// The compact form of `tx`, if it has one: a transfer of ether, or the compact form of its
/// calldata ([`compact_form`]).
fn form_of(tx: &SignedTx) -> Option<Compact> {
    if let Some((to, value)) = tx.native_transfer() {
        let amounts = [value, U256::ZERO, U256::ZERO];
        return Some(Compact {
            code: OP_NATIVE,
            token: true,
            pair: [to, to],
            extra: None,
            single: true,
            amounts,
            amount_count: 1,
            extended: None,
        });
    }
    compact_form(&target(tx), tx.input())
}

/// The compact form of a transaction to `to` with `input`, if it has one: for the system
/// contract, the selector of operation 1–6, exactly the canonical length, and clean address
/// words; for any other target, a token call in its canonical encoding.
fn compact_form(to: &Address, input: &[u8]) -> Option<Compact> {
    if *to != SYSTEM_CONTRACT {
        let call = TokenCall::decode(input)?;
        let (code, first, extra) = match call {
            TokenCall::Transfer { to, .. } => (1, to, None),
            TokenCall::Approve { spender, .. } => (2, spender, None),
            TokenCall::TransferFrom { from, to, .. } => (3, from, Some(to)),
        };
        let amounts = [call.amount(), U256::ZERO, U256::ZERO];
        return Some(Compact {
            code,
            token: true,
            pair: [*to, first],
            extra,
            single: false,
            amounts,
            amount_count: 1,
            extended: None,
        });
    }
    let selector: [u8; 4] = input.get(..4)?.try_into().ok()?;
    let op = Op::of_system_selector(selector)?;
    let (code, amounts) = match op.spec().form {
        Form::Compact { code, amounts } => (code, amounts),
        Form::Extended(shape) => return extended_form(op, shape, &input[4..]),
        _ => return None,
    };
    let amounts = usize::from(amounts);
    if input.len() != 4 + 32 * (2 + amounts) {
        return None;
    }
    let word = |i: usize| &input[4 + 32 * i..4 + 32 * (i + 1)];
    let mut pair = [Address::ZERO; 2];
    for (i, a) in pair.iter_mut().enumerate() {
        let w = word(i);
        if w[..12].iter().any(|&b| b != 0) {
            return None;
        }
        *a = Address::from_slice(&w[12..]);
    }
    let count = amounts;
    let mut amounts = [U256::ZERO; 3];
    for (i, v) in amounts.iter_mut().take(count).enumerate() {
        *v = U256::from_be_slice(word(2 + i));
    }
    Some(Compact { code, token: false, pair, extra: None, single: false, amounts, amount_count: count, extended: None })
}

/// The extended form (§3.3.3) of the arguments `args` (calldata after the selector) of `op`,
/// whose row has `shape`: exactly their canonical ABI encoding, clean address words, the list
/// (if any) at its canonical offset with a length within the row's bounds.
fn extended_form(op: Op, shape: Shape, args: &[u8]) -> Option<Compact> {
    let word = |i: usize| args.get(32 * i..32 * (i + 1));
    let address = |i: usize| {
        let w = word(i)?;
        w[..12].iter().all(|&b| b == 0).then(|| Address::from_slice(&w[12..]))
    };
    let head = shape.head_words();
    let lead: Vec<Address> = (0..usize::from(shape.addresses)).map(address).collect::<Option<_>>()?;
    let mut list = Vec::new();
    if shape.has_list() {
        let offset = U256::from_be_slice(word(usize::from(shape.addresses))?);
        let len = U256::from_be_slice(word(head)?);
        if offset != U256::from(32 * head) || len < U256::from(shape.list_min) || len > U256::from(shape.list_max) {
            return None;
        }
        list = (head + 1..head + 1 + len.to::<usize>()).map(address).collect::<Option<_>>()?;
    }
    if args.len() != 32 * (head + usize::from(shape.has_list()) + list.len()) {
        return None;
    }
    let first_number = usize::from(shape.addresses) + usize::from(shape.has_list());
    let numbers = (first_number..first_number + usize::from(shape.numbers))
        .map(|i| word(i).map(U256::from_be_slice))
        .collect::<Option<_>>()?;
    Some(Compact {
        code: OP_EXTENDED,
        token: false,
        pair: [Address::ZERO; 2],
        extra: None,
        single: false,
        amounts: [U256::ZERO; 3],
        amount_count: 0,
        extended: Some(Box::new(Extended { index: op as u64, shape, lead, list, numbers })),
    })
}

/// Whether a call of the system contract with `input` has a compact or extended form (what
/// the codec writes without raw calldata, and what makes `input` the canonical ABI encoding of
/// its operation within the bounds the codec carries).
pub fn has_compact_form(input: &[u8]) -> bool {
    compact_form(&SYSTEM_CONTRACT, input).is_some()
}

/// Whether a transaction to `to` with `input` is heavy: the extended form of a heavy operation
/// of the table ([`crate::ops::OpSpec::heavy`]), which takes a chunk of its own
/// (docs/batch-codec.md §3.1). Its selector is looked at first, so a light call costs little.
pub fn is_heavy_call(to: &Address, input: &[u8]) -> bool {
    if *to != SYSTEM_CONTRACT {
        return false;
    }
    let Some(selector) = input.get(..4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
        return false;
    };
    Op::of_system_selector(selector).is_some_and(Op::heavy) && compact_form(to, input).is_some()
}

/// Whether `tx` is heavy ([`is_heavy_call`]); a transfer of ether never is.
pub fn is_heavy(tx: &SignedTx) -> bool {
    tx.native_transfer().is_none() && is_heavy_call(&target(tx), tx.input())
}

/// The target of a transaction: the system contract for contract creation too (which no
/// encodable transaction is).
fn target(tx: &SignedTx) -> Address {
    tx.kind().to().copied().unwrap_or(SYSTEM_CONTRACT)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint_wide(out: &mut Vec<u8>, mut v: U256) {
    loop {
        let byte = (v.as_limbs()[0] & 0x7f) as u8;
        v >>= 7;
        if v.is_zero() {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Largest decimal exponent a number's head byte holds.
const MAX_EXPONENT: u8 = 31;

/// Writes `v` as a number (docs/batch-codec.md §2.2): `v = m · 10^e`, `e` the trailing
/// decimal zeros capped at 31.
fn put_number(out: &mut Vec<u8>, v: U256) {
    let (m, e) = if v.is_zero() {
        (U256::ZERO, 0u8)
    } else if let Ok(small) = u128::try_from(v) {
        let (mut m, mut e) = (small, 0u8);
        while e < MAX_EXPONENT && m % 10 == 0 {
            m /= 10;
            e += 1;
        }
        (U256::from(m), e)
    } else {
        let ten = U256::from(10u8);
        let (mut m, mut e) = (v, 0u8);
        while e < MAX_EXPONENT && (m % ten).is_zero() {
            m /= ten;
            e += 1;
        }
        (m, e)
    };
    let low = (m.as_limbs()[0] & 3) as u8;
    let tail: U256 = m >> 2usize;
    if tail.is_zero() {
        out.push(low << 5 | e);
    } else {
        out.push(0x80 | low << 5 | e);
        put_varint_wide(out, tail);
    }
}

/// Width of a number's tail varint: `m < 2^256`, so `m >> 2 < 2^254`.
const TAIL_BITS: u32 = 254;

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

    /// One byte of a varint of `bits` bits at `shift`: the 7-bit group, after the shortest
    /// form and overflow checks of §2.1.
    fn group(&mut self, bits: u32, shift: u32, what: &'static str) -> Result<(u8, bool), CodecError> {
        let b = self.byte(what)?;
        let chunk = b & 0x7f;
        let room = bits.saturating_sub(shift);
        if room == 0 || (room < 7 && chunk >> room != 0) || (b == 0 && shift > 0) {
            return Err(CodecError::BadInteger(what));
        }
        Ok((chunk, b & 0x80 != 0))
    }

    /// An unsigned LEB128 integer of at most 64 bits, in its shortest form.
    fn varint(&mut self, what: &'static str) -> Result<u64, CodecError> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let (chunk, more) = self.group(64, shift, what)?;
            v |= u64::from(chunk) << shift;
            if !more {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// An unsigned LEB128 integer of at most 254 bits (a number's tail).
    fn varint_wide(&mut self, what: &'static str) -> Result<U256, CodecError> {
        let (mut v, mut shift) = (U256::ZERO, 0u32);
        loop {
            let (chunk, more) = self.group(TAIL_BITS, shift, what)?;
            v |= U256::from(chunk) << shift as usize;
            if !more {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A number of at most `bits` bits (§2.2).
    fn number(&mut self, bits: usize, what: &'static str) -> Result<U256, CodecError> {
        let a = self.byte(what)?;
        let e = a & 0x1f;
        let low = U256::from((a >> 5) & 3);
        let m = if a & 0x80 != 0 {
            let tail = self.varint_wide(what)?;
            if tail.is_zero() {
                return Err(CodecError::BadInteger(what));
            }
            tail << 2 | low
        } else {
            low
        };
        let canonical = if m.is_zero() { e == 0 } else { e == MAX_EXPONENT || !(m % U256::from(10u8)).is_zero() };
        if !canonical {
            return Err(CodecError::BadInteger(what));
        }
        let v = m.checked_mul(U256::from(10u8).pow(U256::from(e))).ok_or(CodecError::BadInteger(what))?;
        if v.bit_len() > bits {
            return Err(CodecError::BadInteger(what));
        }
        Ok(v)
    }

    fn number_u64(&mut self, what: &'static str) -> Result<u64, CodecError> {
        // Fits: `number(64)` refuses anything wider.
        Ok(self.number(64, what)?.to::<u64>())
    }

    fn number_u128(&mut self, what: &'static str) -> Result<u128, CodecError> {
        Ok(self.number(128, what)?.to::<u128>())
    }
}

/// Decodes one number of `bits` bits that must fill `bytes` exactly (for test vectors and the
/// fuzzer).
pub fn decode_number(bytes: &[u8], bits: usize) -> Result<U256, CodecError> {
    let mut r = Reader { buf: bytes };
    let v = r.number(bits, "number")?;
    if !r.buf.is_empty() {
        return Err(CodecError::TrailingBytes(r.buf.len()));
    }
    Ok(v)
}

/// Encodes one number (for test vectors).
pub fn encode_number(v: U256) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    put_number(&mut out, v);
    out
}

/// Bytes per segment of the inbox's data commitment (docs/batch-codec.md §8.2).
pub const SEGMENT_BYTES: usize = 1024;

/// The hash of each [`SEGMENT_BYTES`] segment of `data` (the last one shorter).
pub fn segment_hashes(data: &[u8]) -> Vec<B256> {
    data.chunks(SEGMENT_BYTES).map(keccak256).collect()
}

/// The inbox's commitment to batch data (`DataCommitment.commit`):
/// `keccak256(uint256(len) ‖ keccak256(segment_0) ‖ …)`.
pub fn data_commitment(data: &[u8]) -> B256 {
    data_commitment_of(data.len(), &segment_hashes(data))
}

/// The commitment to data of `len` bytes whose segments hash to `hashes`
/// (`DataCommitment.ofHashes`; what a blob post records, docs/fraud-proofs.md §8.1).
pub fn data_commitment_of(len: usize, hashes: &[B256]) -> B256 {
    let mut preimage = Vec::with_capacity(32 * (hashes.len() + 1));
    preimage.extend_from_slice(&U256::from(len).to_be_bytes::<32>());
    for h in hashes {
        preimage.extend_from_slice(h.as_slice());
    }
    keccak256(preimage)
}

/// The inbox's commitment to a batch's chunk roots (`chunkRootsHash`):
/// `keccak256(root_0 ‖ root_1 ‖ …)`, `keccak256("")` for none (docs/fraud-proofs.md §8.8).
pub fn chunk_roots_hash(roots: &[B256]) -> B256 {
    let mut preimage = Vec::with_capacity(32 * roots.len());
    for root in roots {
        preimage.extend_from_slice(root.as_slice());
    }
    keccak256(preimage)
}

/// The header of a batch: its blocks, its registry and where each chunk's bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The default gas limit and fees of its transactions.
    pub defaults: FeeDefaults,
    /// Number of the first block.
    pub first_number: u64,
    /// Timestamp of the first block.
    pub first_timestamp: u64,
    /// Each block of the block table.
    pub blocks: Vec<HeaderBlock>,
    /// The address registry.
    pub registry: Vec<Address>,
    /// Every chunk, in order.
    pub chunks: Vec<ChunkRef>,
}

/// One block of a header's block table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderBlock {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Queue entries the block consumes.
    pub queue_count: u64,
    /// Transactions in the block.
    pub tx_count: u64,
    /// The price of a byte on L1 the block commits, in wei (docs/fees.md §4).
    pub l1_byte_price: u64,
}

impl HeaderBlock {
    /// Items of the block (queue entries, then transactions), as the chunk cut counts them.
    pub fn items(&self) -> u128 {
        u128::from(self.queue_count) + u128::from(self.tx_count)
    }
}

impl Header {
    /// Queue entries the batch consumes: the sum over its blocks.
    pub fn queue_count(&self) -> u128 {
        self.blocks.iter().map(|b| u128::from(b.queue_count)).sum()
    }
}

/// Where one chunk is: its block, its items and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRef {
    /// Index of its block in [`Header::blocks`].
    pub block: usize,
    /// Whether it is its block's beginning: the first chunk of a block, which holds no item
    /// (docs/batch-codec.md §3.1) and only begins the block.
    pub begins: bool,
    /// The queue entries among its items, numbered from the batch's first entry (0).
    pub queue: Range<u64>,
    /// Number of transactions among its items (they follow the entries).
    pub tx_count: u64,
    /// Whether its one transaction is heavy (`tx_count` is then 1); every transaction of a
    /// chunk that is not is light.
    pub heavy: bool,
    /// Its bytes in the batch data (its transactions only).
    pub bytes: Range<usize>,
}

/// Reads and checks the header (docs/batch-codec.md §3.1), without decoding any chunk.
pub fn decode_header(data: &[u8], chain: &ChainConfig) -> Result<Header, CodecError> {
    let mut r = Reader { buf: data };
    let version = r.byte("version")?;
    if version != VERSION {
        return Err(CodecError::UnknownVersion(version));
    }
    let defaults = FeeDefaults {
        gas_limit: r.number_u64("default gas limit")?,
        max_priority_fee_per_gas: r.number_u128("default priority fee")?,
        max_fee_per_gas: r.number_u128("default fee cap")?,
    };
    let first_number = r.varint("first block number")?;
    let first_timestamp = r.varint("first timestamp")?;
    let block_count = r.varint("block count")?;
    if block_count == 0 {
        return Err(CodecError::BadBlocks("a batch holds at least one block"));
    }
    if first_number.checked_add(block_count - 1).is_none() {
        return Err(CodecError::BadBlocks("block number overflows"));
    }
    // Each block takes at least five bytes.
    if block_count > (r.buf.len() / 5) as u64 {
        return Err(CodecError::Truncated("blocks"));
    }
    if block_count > MAX_BATCH_BLOCKS {
        return Err(CodecError::TooLarge("more blocks than a batch may hold"));
    }
    let mut blocks = Vec::with_capacity(block_count as usize);
    let mut heavy: Vec<Vec<(u64, u64)>> = Vec::with_capacity(block_count as usize);
    let mut timestamp = first_timestamp;
    for i in 0..block_count {
        let delta = r.varint("timestamp delta")?;
        if i == 0 && delta != 0 {
            return Err(CodecError::Invalid("first block's timestamp delta"));
        }
        timestamp = timestamp.checked_add(delta).ok_or(CodecError::BadBlocks("timestamp overflows"))?;
        // Queue entries carry no bytes: their count is bounded by the chunk count below.
        let queue_count = r.varint("queue count")?;
        let tx_count = r.varint("transaction count")?;
        let l1_byte_price = r.number_u64("l1 byte price")?;
        if tx_count > (r.buf.len() / MIN_TX_BYTES) as u64 {
            return Err(CodecError::Truncated("transactions"));
        }
        heavy.push(read_heavy_runs(&mut r, tx_count)?);
        blocks.push(HeaderBlock { number: first_number + i, timestamp, queue_count, tx_count, l1_byte_price });
    }
    let registry_count = r.varint("registry count")?;
    if registry_count > (r.buf.len() / 20) as u64 {
        return Err(CodecError::Truncated("registry"));
    }
    if registry_count > MAX_REGISTRY {
        return Err(CodecError::TooLarge("more registry entries than a batch may hold"));
    }
    let registry =
        r.bytes(registry_count as usize * 20, "registry")?.chunks_exact(20).map(Address::from_slice).collect();
    // Each block's transactions were bounded by the bytes above, so is the work of counting
    // its chunks; a hostile queue count saturates (at most 2^64 blocks of at most 2^64 chunks:
    // the sum fits 128 bits).
    let chunk_count: u128 = blocks
        .iter()
        .zip(&heavy)
        .map(|(b, runs)| u128::from(chain.chunk_count(b.queue_count, run_weights(runs, b.tx_count))))
        .sum();
    if chunk_count > r.buf.len() as u128 {
        return Err(CodecError::Truncated("chunk lengths"));
    }
    if chunk_count > u128::from(MAX_BATCH_CHUNKS) {
        return Err(CodecError::TooLarge("more chunks than a batch may hold"));
    }
    let max_chunk = max_chunk_bytes(chain.chunk_size);
    let mut lengths = Vec::with_capacity(chunk_count as usize);
    for _ in 0..chunk_count {
        let length = r.varint("chunk length")?;
        if length > max_chunk {
            return Err(CodecError::TooLarge("a chunk longer than its transactions can be"));
        }
        lengths.push(length);
    }
    let total: u128 = lengths.iter().map(|&l| u128::from(l)).sum();
    let rest = r.buf.len() as u128;
    if total > rest {
        return Err(CodecError::Truncated("chunks"));
    }
    if total < rest {
        return Err(CodecError::TrailingBytes((rest - total) as usize));
    }
    let mut chunks = Vec::with_capacity(lengths.len());
    let mut offset = data.len() - r.buf.len();
    // The cut (docs/batch-codec.md §3.1); the chunk count above bounded it by the bytes left.
    let cut = blocks.iter().zip(&heavy).enumerate().flat_map(|(block, (b, runs))| {
        chain
            .block_cut(b.queue_count, run_weights(runs, b.tx_count))
            .into_iter()
            .enumerate()
            .map(move |(k, c)| (block, k == 0, c))
    });
    let mut queue = 0u64;
    for ((block, begins, c), len) in cut.zip(lengths) {
        // Every length fits: their sum is the bytes left.
        let len = len as usize;
        chunks.push(ChunkRef {
            block,
            begins,
            queue: queue..queue + c.entries,
            tx_count: c.txs,
            heavy: c.heavy,
            bytes: offset..offset + len,
        });
        queue += c.entries;
        offset += len;
    }
    Ok(Header { defaults, first_number, first_timestamp, blocks, registry, chunks })
}

/// Reads a block's heavy runs (docs/batch-codec.md §3.1) for a block of `tx_count`
/// transactions: their count, then for each the light transactions before it (after the
/// previous run; at least one but before the first) and its heavy ones (at least one), all
/// within the block's transactions.
fn read_heavy_runs(r: &mut Reader<'_>, tx_count: u64) -> Result<Vec<(u64, u64)>, CodecError> {
    let count = r.varint("heavy run count")?;
    // Each run takes at least two bytes.
    if count > (r.buf.len() / 2) as u64 {
        return Err(CodecError::Truncated("heavy runs"));
    }
    let mut runs = Vec::with_capacity(count as usize);
    let mut seen = 0u64;
    for k in 0..count {
        let gap = r.varint("heavy run gap")?;
        let len = r.varint("heavy run length")?;
        if len == 0 || (k > 0 && gap == 0) {
            return Err(CodecError::Invalid("heavy run"));
        }
        seen = seen
            .checked_add(gap)
            .and_then(|s| s.checked_add(len))
            .filter(|&s| s <= tx_count)
            .ok_or(CodecError::Invalid("heavy runs past the block's transactions"))?;
        runs.push((gap, len));
    }
    Ok(runs)
}

/// The weights of a block of `txs` transactions whose heavy ones are `runs` (checked by
/// [`read_heavy_runs`]), in order: the inverse of [`heavy_runs`].
fn run_weights(runs: &[(u64, u64)], txs: u64) -> impl Iterator<Item = bool> + '_ {
    let seen: u64 = runs.iter().map(|&(gap, len)| gap + len).sum();
    let n = |k: u64| usize::try_from(k).unwrap_or(usize::MAX);
    runs.iter()
        .flat_map(move |&(gap, len)| std::iter::repeat_n(false, n(gap)).chain(std::iter::repeat_n(true, n(len))))
        .chain(std::iter::repeat_n(false, n(txs - seen)))
}

/// Decodes the transactions of one chunk of a checked header.
fn chunk_txs(data: &[u8], header: &Header, chunk: &ChunkRef, chain: &ChainConfig) -> Result<Vec<SignedTx>, CodecError> {
    let mut r = Reader { buf: &data[chunk.bytes.clone()] };
    // The header bounded every count by the bytes, so this allocation is bounded too.
    let mut txs = Vec::with_capacity((chunk.tx_count as usize).min(r.buf.len() / MIN_TX_BYTES + 1));
    for _ in 0..chunk.tx_count {
        let tx = decode_tx(&mut r, header, chain)?;
        if is_heavy(&tx) != chunk.heavy {
            return Err(CodecError::Invalid("a transaction's weight is not its chunk's"));
        }
        txs.push(tx);
    }
    if !r.buf.is_empty() {
        return Err(CodecError::TrailingBytes(r.buf.len()));
    }
    Ok(txs)
}

/// Decodes the header and only chunk `index`, as the L1 decoder does for a fraud proof.
pub fn decode_chunk(data: &[u8], chain: &ChainConfig, index: usize) -> Result<Vec<SignedTx>, CodecError> {
    let header = decode_header(data, chain)?;
    let chunk = header.chunks.get(index).ok_or(CodecError::NoSuchChunk { index, count: header.chunks.len() })?;
    chunk_txs(data, &header, chunk, chain)
}

/// Decodes a batch for `chain`. Every transaction is rebuilt exactly as it was signed; the
/// signatures are not checked here.
pub fn decode(data: &[u8], chain: &ChainConfig) -> Result<Batch, CodecError> {
    decode_with_header(data, &decode_header(data, chain)?, chain)
}

/// Decodes the transactions of a batch whose header (`decode_header` of the same `data`) a
/// caller has already read and checked.
pub fn decode_with_header(data: &[u8], header: &Header, chain: &ChainConfig) -> Result<Batch, CodecError> {
    let mut blocks: Vec<BatchBlock> = header
        .blocks
        .iter()
        .map(|b| BatchBlock {
            number: b.number,
            timestamp: b.timestamp,
            queue_count: b.queue_count,
            l1_byte_price: b.l1_byte_price,
            txs: Vec::with_capacity((b.tx_count as usize).min(data.len() / MIN_TX_BYTES)),
        })
        .collect();
    for chunk in &header.chunks {
        let txs = chunk_txs(data, header, chunk, chain)?;
        blocks[chunk.block].txs.extend(txs);
    }
    Ok(Batch { blocks })
}

fn decode_tx(r: &mut Reader<'_>, header: &Header, chain: &ChainConfig) -> Result<SignedTx, CodecError> {
    let registry = &header.registry[..];
    let head = r.byte("transaction head")?;
    let op = (head & HEAD_OP_MASK) >> HEAD_OP_SHIFT;
    let token_call = head & HEAD_TOKEN_CALL != 0;
    let extended = !token_call && op == OP_EXTENDED;
    let compact = if token_call || op == OP_RAW || extended { None } else { compact_op(op) };
    if (!token_call && op != OP_RAW && !extended && compact.is_none())
        || (token_call && (op == OP_RAW || op > TOKEN_OPS))
    {
        return Err(CodecError::Invalid("operation"));
    }
    let inline = head & HEAD_INLINE != 0;
    if inline && !token_call && (op == OP_RAW || extended) {
        return Err(CodecError::Invalid("an inline address in an operation without a registry pair"));
    }
    let eip1559 = head & HEAD_EIP1559 != 0;
    let nonce = r.varint("nonce")?;
    let d = header.defaults;
    // The default gas limit is the head's bit; written out it is refused (one encoding).
    let gas_limit = if head & HEAD_DEFAULT_GAS != 0 {
        d.gas_limit
    } else {
        match r.number_u64("gas limit")? {
            g if g == d.gas_limit => return Err(CodecError::Invalid("the default gas limit written out")),
            g => g,
        }
    };
    let (priority, max_fee) = if head & HEAD_DEFAULT_FEES != 0 {
        (if eip1559 { d.max_priority_fee_per_gas } else { 0 }, d.max_fee_per_gas)
    } else {
        let priority = if eip1559 { r.number_u128("max priority fee")? } else { 0 };
        let max_fee = r.number_u128(if eip1559 { "max fee" } else { "gas price" })?;
        if max_fee == d.max_fee_per_gas && (!eip1559 || priority == d.max_priority_fee_per_gas) {
            return Err(CodecError::Invalid("the default fees written out"));
        }
        (priority, max_fee)
    };
    let mut to = SYSTEM_CONTRACT;
    let mut value = U256::ZERO;
    let input: Bytes = if token_call && op == OP_NATIVE {
        to = if inline {
            Address::from_slice(r.bytes(20, "inline address")?)
        } else {
            let index = r.varint("registry index")?;
            *registry.get(index as usize).ok_or(CodecError::Invalid("registry index"))?
        };
        if to == SYSTEM_CONTRACT {
            return Err(CodecError::Invalid("a transfer of ether to the system contract"));
        }
        value = r.number(256, "value")?;
        Bytes::new()
    } else if op == OP_RAW {
        let len = r.varint("input length")?;
        if len > r.buf.len() as u64 {
            return Err(CodecError::Truncated("input"));
        }
        let input = r.bytes(len as usize, "input")?;
        if compact_form(&SYSTEM_CONTRACT, input).is_some() {
            return Err(CodecError::Invalid("raw calldata that has a compact form"));
        }
        Bytes::copy_from_slice(input)
    } else if extended {
        extended_input(r, registry)?
    } else {
        // The pair `i0 · R + i1` of registry indices, R the registry's length; or with the
        // inline bit, `i0` and the second address's 20 bytes.
        let (a0, a1) = if inline {
            let index = r.varint("registry index")?;
            let a0 = *registry.get(index as usize).ok_or(CodecError::Invalid("registry index"))?;
            (a0, Address::from_slice(r.bytes(20, "inline address")?))
        } else {
            let pair = u128::from(r.varint("registry pair")?);
            let count = registry.len() as u128;
            if pair >= count * count {
                return Err(CodecError::Invalid("registry pair"));
            }
            (registry[(pair / count) as usize], registry[(pair % count) as usize])
        };
        if token_call {
            if a0 == SYSTEM_CONTRACT {
                return Err(CodecError::Invalid("a token call of the system contract"));
            }
            to = a0;
            let call = match op {
                1 => TokenCall::Transfer { to: a1, amount: r.number(256, "amount")? },
                2 => TokenCall::Approve { spender: a1, amount: r.number(256, "amount")? },
                _ => {
                    let i2 = r.varint("registry index")?;
                    let recipient = *registry.get(i2 as usize).ok_or(CodecError::Invalid("registry index"))?;
                    TokenCall::TransferFrom { from: a1, to: recipient, amount: r.number(256, "amount")? }
                }
            };
            call.encode().into()
        } else {
            let (selector, amounts) = compact.ok_or(CodecError::Invalid("operation"))?;
            let mut input = Vec::with_capacity(4 + 32 * (2 + amounts));
            input.extend_from_slice(&selector);
            for a in [a0, a1] {
                input.extend_from_slice(&[0u8; 12]);
                input.extend_from_slice(a.as_slice());
            }
            for _ in 0..amounts {
                input.extend_from_slice(&r.number(256, "amount")?.to_be_bytes::<32>());
            }
            input.into()
        }
    };
    // The y-parity is the top bit of `s`'s word, which a low `s` (EIP-2) leaves free.
    let rs = r.bytes(64, "signature")?;
    let s = U256::from_be_slice(&rs[32..]);
    let signature = Signature::new(U256::from_be_slice(&rs[..32]), s & S_MASK, s.bit(255));
    let to = TxKind::Call(to);
    Ok(if eip1559 {
        SignedTx::Eip1559(Signed::new_unhashed(
            TxEip1559 {
                chain_id: chain.chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: priority,
                to,
                value,
                access_list: AccessList::default(),
                input,
            },
            signature,
        ))
    } else {
        SignedTx::Legacy(Signed::new_unhashed(
            TxLegacy { chain_id: Some(chain.chain_id), nonce, gas_price: max_fee, gas_limit, to, value, input },
            signature,
        ))
    })
}

/// `R^m`, or `None` past `u64` (every reference of `m` addresses fits then).
fn registry_power(count: usize, m: usize) -> Option<u64> {
    (count as u64).checked_pow(m as u32)
}

/// Reads a mixed-radix registry reference of `m` addresses (`i₀·R^(m−1) + … + i_(m−1)`).
fn read_reference(r: &mut Reader<'_>, registry: &[Address], m: usize) -> Result<Vec<Address>, CodecError> {
    let mut v = r.varint("registry reference")?;
    if registry_power(registry.len(), m).is_some_and(|limit| v >= limit) {
        return Err(CodecError::Invalid("registry reference"));
    }
    // Below R^m: every digit is a registry index (and R > 0).
    let count = registry.len() as u64;
    let mut out = vec![Address::ZERO; m];
    for slot in out.iter_mut().rev() {
        *slot = registry[(v % count) as usize];
        v /= count;
    }
    Ok(out)
}

/// An extended operation (§3.3.3) after its fees: its row's number, its leading addresses,
/// its address list, its numbers; rebuilt as its canonical ABI calldata.
fn extended_input(r: &mut Reader<'_>, registry: &[Address]) -> Result<Bytes, CodecError> {
    let index = r.varint("operation")?;
    let (op, shape) = Op::of_extended_index(index).ok_or(CodecError::Invalid("operation"))?;
    let lead =
        if shape.addresses == 0 { Vec::new() } else { read_reference(r, registry, usize::from(shape.addresses))? };
    let mut list = Vec::new();
    if shape.has_list() {
        let len = r.varint("address list length")?;
        if len < u64::from(shape.list_min) || len > u64::from(shape.list_max) {
            return Err(CodecError::Invalid("address list length"));
        }
        list = read_reference(r, registry, len as usize)?;
    }
    let head = shape.head_words();
    let mut input = Vec::with_capacity(4 + 32 * (head + 1 + list.len()));
    input.extend_from_slice(&op.spec().selector);
    let address_word = |input: &mut Vec<u8>, a: &Address| {
        input.extend_from_slice(&[0u8; 12]);
        input.extend_from_slice(a.as_slice());
    };
    for a in &lead {
        address_word(&mut input, a);
    }
    if shape.has_list() {
        input.extend_from_slice(&U256::from(32 * head).to_be_bytes::<32>());
    }
    for _ in 0..shape.numbers {
        input.extend_from_slice(&r.number(256, "amount")?.to_be_bytes::<32>());
    }
    if shape.has_list() {
        input.extend_from_slice(&U256::from(list.len()).to_be_bytes::<32>());
        for a in &list {
            address_word(&mut input, a);
        }
    }
    Ok(input.into())
}

/// Bytes of `v` as a varint.
const fn varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    if bits == 0 { 1 } else { bits.div_ceil(7) }
}

/// More bytes than any admissible transaction encodes to: a raw input of at most
/// [`crate::chain::MAX_INPUT_BYTES`] with its length, the head, a nonce, a gas limit and two fees
/// (each at most 20 bytes), and the signature. A chunk of `chunk_size` transactions is at most
/// `chunk_size` times this long ([`max_chunk_bytes`], §3.5).
pub const MAX_ENCODED_TX_BYTES: u64 = 1 + 10 + 20 + 2 * 20 + 2 + crate::chain::MAX_INPUT_BYTES as u64 + 64;

/// Most bytes a number of 64 bits takes (§2.2): the first byte and a tail of at most 62 bits.
const MAX_NUMBER64_BYTES: usize = 1 + 9;

/// Most bytes a number of 128 bits takes: the first byte and a tail of at most 126 bits.
const MAX_NUMBER128_BYTES: usize = 1 + 18;

/// Bytes a registry reference (a pair or an index) counts for in [`billed_bytes`].
pub const BILLED_REFERENCE_BYTES: u64 = 2;

/// The bytes of `tx` the L1 data fee bills (docs/fees.md §2.2): its encoding (§3.3) with each
/// registry reference, a pair or an index, counted as [`BILLED_REFERENCE_BYTES`] whatever its
/// width in the batch. A function of the transaction alone (the batch's registry is not known
/// when it runs), which the L1 decoder computes from the same bytes.
pub fn billed_bytes(tx: &SignedTx) -> u64 {
    let form = form_of(tx);
    let mut out = Vec::with_capacity(128 + tx.input().len());
    // References written as 0 take one byte each; the gas limit is written out (against a
    // default it does not have) and the fees unless zero (against zero defaults).
    let defaults = FeeDefaults { gas_limit: tx.gas_limit().wrapping_add(1), ..FeeDefaults::default() };
    encode_tx(&mut out, tx, form.as_ref(), 0, 0, &defaults, false);
    // Each reference was written as one byte.
    let billed: u64 = form.iter().flat_map(Compact::references).map(|m| billed_reference(m) - 1).sum();
    out.len() as u64 + billed
}

/// An upper bound on [`billed_bytes`] of any transaction of `chain` to `to` with `input` and
/// `value`, whatever its nonce (below 2^35), gas limit, fees and signature: what
/// `eth_estimateGas` bills before the transaction is signed. Within about 50 bytes of the
/// real figure.
pub fn billed_bytes_bound(chain: &ChainConfig, to: Address, input: &Bytes, value: U256) -> u64 {
    // The widest forms of the fields not known yet: numbers with no trailing zero.
    let tx = TxEip1559 {
        chain_id: chain.chain_id,
        nonce: (1 << 35) - 1,
        gas_limit: u64::MAX,
        max_fee_per_gas: u128::MAX,
        max_priority_fee_per_gas: u128::MAX,
        to: TxKind::Call(to),
        value,
        access_list: AccessList::default(),
        input: input.clone(),
    };
    let signature = Signature::new(U256::MAX, U256::MAX, true);
    billed_bytes(&SignedTx::Eip1559(Signed::new_unhashed(tx, signature)))
}

/// The longest chunk a batch of chunks of `chunk_size` items may hold (§3.5): what
/// `chunk_size` of the largest admissible transactions encode to.
pub const fn max_chunk_bytes(chunk_size: u32) -> u64 {
    let size = if chunk_size == 0 { 1 } else { chunk_size as u64 };
    size * MAX_ENCODED_TX_BYTES
}

/// An upper bound on the encoded size of a batch holding one block, grown one transaction at a
/// time. The sequencer bounds each block with it so that every block fits one post on its
/// own, whatever the blocks around it; it also keeps the block within the bounds of
/// docs/batch-codec.md §3.5 (registry entries and chunks), so that a one-block batch decodes.
///
/// Exact but for two terms: each registry reference of `m` addresses (an index, a pair, an
/// extended operation's lead or list) is counted at the width of the largest the final registry
/// allows (`R^m − 1`), and each chunk length at the width a full chunk of the largest
/// transactions would need. Everything else is what [`encode`] writes, so the bound is
/// within a few bytes per transaction of the real size (tested).
#[derive(Clone, Debug)]
pub struct BlockSizeBound {
    chunk_size: u64,
    /// Queue entries the block consumes (no bytes of their own, but chunks).
    queue: u64,
    txs: u64,
    /// The cut of the block so far, and its runs of heavy transactions.
    cut: crate::chain::ChunkCut,
    runs: u64,
    last_heavy: bool,
    /// Registry references written, by their number of addresses.
    references: References,
    /// Their encoded bytes without the registry references.
    tx_bytes: usize,
    registry: std::collections::HashSet<Address>,
    scratch: Vec<u8>,
}

/// Registry references by their number of addresses (`[m]`, `m` ≤ 5 by the operation table).
type References = [u64; 8];

/// What one more transaction adds to a [`BlockSizeBound`].
#[derive(Clone, Copy)]
struct Counts {
    txs: u64,
    cut: crate::chain::ChunkCut,
    runs: u64,
    last_heavy: bool,
    references: References,
    tx_bytes: usize,
    registry: u64,
}

impl BlockSizeBound {
    /// An empty block of `chain`.
    pub fn new(chain: &ChainConfig) -> Self {
        Self {
            chunk_size: u64::from(chain.chunk_size.max(1)),
            queue: 0,
            txs: 0,
            cut: chain.cut(0),
            runs: 0,
            last_heavy: false,
            references: [0; 8],
            tx_bytes: 0,
            registry: Default::default(),
            scratch: Vec::with_capacity(256),
        }
    }

    /// The same block consuming `entries` queue entries before its transactions.
    pub fn with_queue(mut self, entries: u64) -> Self {
        self.queue = entries;
        self.cut = crate::chain::ChunkCut::new(u32::try_from(self.chunk_size).unwrap_or(u32::MAX), entries);
        self
    }

    fn counts(&self) -> Counts {
        Counts {
            txs: self.txs,
            cut: self.cut,
            runs: self.runs,
            last_heavy: self.last_heavy,
            references: self.references,
            tx_bytes: self.tx_bytes,
            registry: self.registry.len() as u64,
        }
    }

    fn total(&self, c: Counts) -> usize {
        let header = 1
            + MAX_NUMBER64_BYTES
            + 2 * MAX_NUMBER128_BYTES
            + 10
            + 10
            + 1
            + 1
            + varint_len(self.queue)
            + varint_len(c.txs)
            + MAX_NUMBER64_BYTES
            // The heavy runs: their count, and a gap and a length each, at most the
            // transaction count.
            + varint_len(c.runs)
            + 2 * c.runs as usize * varint_len(c.txs)
            + varint_len(c.registry)
            + 20 * c.registry as usize;
        let references: usize = (1..c.references.len())
            .filter(|&m| c.references[m] != 0)
            .map(|m| {
                let widest = c.registry.checked_pow(m as u32).map_or(u64::MAX, |r| r.saturating_sub(1));
                c.references[m] as usize * varint_len(widest)
            })
            .sum();
        let chunk_len = varint_len(self.chunk_size.saturating_mul(MAX_ENCODED_TX_BYTES));
        let chunks = c.cut.chunks() as usize;
        // The beginning and the chunks of queue entries have no bytes: their length is the
        // one byte 00.
        let empty = if chunks > 0 { 1 + self.queue as usize } else { 0 };
        header + c.tx_bytes + references + empty + (chunks - empty) * chunk_len
    }

    /// The bound for the transactions added so far.
    pub fn bytes(&self) -> usize {
        self.total(self.counts())
    }

    /// Adds `tx` if the bound then stays at most `max` bytes; returns whether it did.
    pub fn try_push(&mut self, tx: &SignedTx, max: usize) -> bool {
        let form = form_of(tx);
        self.scratch.clear();
        encode_tx(&mut self.scratch, tx, form.as_ref(), 0, 0, &FeeDefaults::unlike(tx), false);
        // The references written above (0) take one byte each; the bound counts them apart.
        let mut references = self.references;
        let mut written = 0;
        for m in form.iter().flat_map(Compact::references) {
            references[m.min(references.len() - 1)] += 1;
            written += 1;
        }
        let own = self.scratch.len() - written;
        let mut new: Vec<Address> = Vec::new();
        for a in form.iter().flat_map(Compact::addresses) {
            if !self.registry.contains(&a) && !new.contains(&a) {
                new.push(a);
            }
        }
        let heavy = is_heavy(tx);
        let mut cut = self.cut;
        cut.push(heavy);
        let next = Counts {
            txs: self.txs + 1,
            cut,
            runs: self.runs + u64::from(heavy && !self.last_heavy),
            last_heavy: heavy,
            references,
            tx_bytes: self.tx_bytes + own,
            registry: self.registry.len() as u64 + new.len() as u64,
        };
        // The bounds of §3.5 too: a one-block batch must decode.
        let chunks = next.cut.chunks();
        if self.total(next) > max || next.registry > MAX_REGISTRY || chunks > MAX_BATCH_CHUNKS {
            return false;
        }
        self.txs = next.txs;
        self.cut = next.cut;
        self.runs = next.runs;
        self.last_heavy = next.last_heavy;
        self.references = next.references;
        self.tx_bytes = next.tx_bytes;
        self.registry.extend(new);
        true
    }
}

/// The heavy runs of a block's transactions whose heaviness is `heavy` (docs/batch-codec.md
/// §3.1): for each maximal run of heavy ones, the light ones before it (since the previous run)
/// and its length.
fn heavy_runs(heavy: &[bool]) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut gap = 0u64;
    for (i, &h) in heavy.iter().enumerate() {
        match (h, i > 0 && heavy[i - 1]) {
            (true, true) => runs.last_mut().expect("a heavy one precedes").1 += 1,
            (true, false) => {
                runs.push((gap, 1));
                gap = 0;
            }
            (false, _) => gap += 1,
        }
    }
    runs
}

/// Encodes `batch` for `chain`.
pub fn encode(batch: &Batch, chain: &ChainConfig) -> Result<Vec<u8>, CodecError> {
    encode_as(batch, chain, true, &mut FieldBytes::default())
}

/// [`encode`], and where the bytes went, field by field.
pub fn encode_fields(batch: &Batch, chain: &ChainConfig) -> Result<(Vec<u8>, FieldBytes), CodecError> {
    let mut fields = FieldBytes::default();
    let data = encode_as(batch, chain, true, &mut fields)?;
    Ok((data, fields))
}

/// Encodes `batch` for `chain` at its widest: every address in the registry, none inline, and
/// defaults that no transaction takes (but one whose gas limit or fees are their type's
/// largest value), so that each writes its gas limit and fees out. Valid, but not what the reference encoder writes (§3.4):
/// what a batcher that wants the largest header and chunks for its transactions posts, the
/// proof bounds' worst case (`rollup bench bounds`).
pub fn encode_widest(batch: &Batch, chain: &ChainConfig) -> Result<Vec<u8>, CodecError> {
    encode_as(batch, chain, false, &mut FieldBytes::default())
}

/// [`encode`] (`reference`) or [`encode_widest`], adding to `fields` the bytes of each field.
fn encode_as(
    batch: &Batch,
    chain: &ChainConfig,
    reference: bool,
    fields: &mut FieldBytes,
) -> Result<Vec<u8>, CodecError> {
    let first = batch.blocks.first().ok_or(CodecError::BadBlocks("a batch holds at least one block"))?;
    for pair in batch.blocks.windows(2) {
        if pair[0].number.checked_add(1) != Some(pair[1].number) {
            return Err(CodecError::BadBlocks("block numbers are not consecutive"));
        }
        if pair[1].timestamp < pair[0].timestamp {
            return Err(CodecError::BadBlocks("timestamps go backwards"));
        }
    }
    if batch.blocks.iter().any(|b| b.queue_count > MAX_BLOCK_QUEUE_ENTRIES) {
        return Err(CodecError::BadBlocks("a block consumes more queue entries than a block may"));
    }
    // Check every transaction and split its calldata before writing anything.
    let mut forms = Vec::with_capacity(batch.blocks.iter().map(|b| b.txs.len()).sum());
    for tx in batch.blocks.iter().flat_map(|b| &b.txs) {
        check_encodable(tx, chain)?;
        forms.push(form_of(tx));
    }
    let txs = batch.blocks.iter().flat_map(|b| &b.txs);
    let (defaults, inline) = if reference {
        (FeeDefaults::most_common(txs), inline_seconds(&forms))
    } else {
        let widest =
            FeeDefaults { gas_limit: u64::MAX, max_priority_fee_per_gas: u128::MAX, max_fee_per_gas: u128::MAX };
        (widest, vec![false; forms.len()])
    };
    let registry = Registry::build(&forms, &inline);
    // What the decoder refuses is never written (§3.5).
    if batch.blocks.len() as u64 > MAX_BATCH_BLOCKS {
        return Err(CodecError::TooLarge("more blocks than a batch may hold"));
    }
    if registry.addresses.len() as u64 > MAX_REGISTRY {
        return Err(CodecError::TooLarge("more registry entries than a batch may hold"));
    }

    let mut out = Vec::with_capacity(64 + registry.addresses.len() * 20 + forms.len() * 110);
    out.push(VERSION);
    put_number(&mut out, U256::from(defaults.gas_limit));
    put_number(&mut out, U256::from(defaults.max_priority_fee_per_gas));
    put_number(&mut out, U256::from(defaults.max_fee_per_gas));
    put_varint(&mut out, first.number);
    put_varint(&mut out, first.timestamp);
    put_varint(&mut out, batch.blocks.len() as u64);
    let heavy: Vec<bool> = batch.blocks.iter().flat_map(|b| &b.txs).map(is_heavy).collect();
    let mut at = 0;
    let mut chunk_count = 0u64;
    for block in &batch.blocks {
        let n = block.txs.len();
        chunk_count =
            chunk_count.saturating_add(chain.chunk_count(block.queue_count, heavy[at..at + n].iter().copied()));
        at += n;
    }
    if chunk_count > MAX_BATCH_CHUNKS {
        return Err(CodecError::TooLarge("more chunks than a batch may hold"));
    }
    let mut prev = first.timestamp;
    at = 0;
    for block in &batch.blocks {
        put_varint(&mut out, block.timestamp - prev);
        put_varint(&mut out, block.queue_count);
        put_varint(&mut out, block.txs.len() as u64);
        put_number(&mut out, U256::from(block.l1_byte_price));
        let runs = heavy_runs(&heavy[at..at + block.txs.len()]);
        put_varint(&mut out, runs.len() as u64);
        for (gap, len) in runs {
            put_varint(&mut out, gap);
            put_varint(&mut out, len);
        }
        at += block.txs.len();
        prev = block.timestamp;
    }
    put_varint(&mut out, registry.addresses.len() as u64);
    for a in &registry.addresses {
        out.extend_from_slice(a.as_slice());
    }
    // A chunk's bytes are its transactions: none for a block's beginning or an entry's chunk.
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut txs = batch.blocks.iter().flat_map(|b| &b.txs).zip(&forms).zip(&inline);
    at = 0;
    for block in &batch.blocks {
        let n = block.txs.len();
        for c in chain.block_cut(block.queue_count, heavy[at..at + n].iter().copied()) {
            let mut chunk = Vec::with_capacity(c.txs as usize * 110);
            for ((tx, form), &inline) in txs.by_ref().take(c.txs as usize) {
                let (pair, extra) = match form {
                    None => (0, 0),
                    Some(Compact { extended: Some(e), .. }) => {
                        (registry.reference(&e.lead), registry.reference(&e.list))
                    }
                    Some(c) => (
                        match (c.single, inline) {
                            (true, true) => 0,
                            (true, false) | (false, true) => registry.index_of(&c.pair[0]),
                            (false, false) => registry.pair(c.pair),
                        },
                        c.extra.map_or(0, |a| registry.index_of(&a)),
                    ),
                };
                *fields += encode_tx(&mut chunk, tx, form.as_ref(), pair, extra, &defaults, inline);
            }
            chunks.push(chunk);
        }
        at += n;
    }
    if chunks.len() as u64 > MAX_BATCH_CHUNKS {
        return Err(CodecError::TooLarge("more chunks than a batch may hold"));
    }
    let max_chunk = max_chunk_bytes(chain.chunk_size);
    for chunk in &chunks {
        if chunk.len() as u64 > max_chunk {
            return Err(CodecError::TooLarge("a chunk longer than its transactions can be"));
        }
        put_varint(&mut out, chunk.len() as u64);
    }
    fields.header += out.len() as u64;
    for chunk in chunks {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn check_encodable(tx: &SignedTx, chain: &ChainConfig) -> Result<(), CodecError> {
    let unencodable = |why| Err(CodecError::Unencodable(tx.hash(), why));
    if tx.chain_id() != Some(chain.chain_id) {
        return unencodable("chain id");
    }
    if tx.signature().s().bit(255) {
        return unencodable("signature s above 2^255");
    }
    let native = tx.native_transfer().is_some();
    match tx.kind() {
        TxKind::Create => return unencodable("contract creation"),
        TxKind::Call(to) if to != SYSTEM_CONTRACT && !native && TokenCall::decode(tx.input()).is_none() => {
            return unencodable("target");
        }
        TxKind::Call(_) => {}
    }
    if !tx.value().is_zero() && !native {
        return unencodable("non-zero value");
    }
    if let SignedTx::Eip1559(t) = tx
        && !t.tx().access_list.is_empty()
    {
        return unencodable("access list");
    }
    Ok(())
}

/// The batch's address registry: every address the compact operations use, most referenced
/// first (ties: first use first).
struct Registry {
    addresses: Vec<Address>,
    index: HashMap<Address, u64>,
}

/// Which of `forms` write their second address inline (head bit 7, §3.3.1): those whose
/// second address (a transfer of ether's target) is used nowhere else in the batch, where a
/// registry entry would cost its 20 bytes and widen every reference.
fn inline_seconds(forms: &[Option<Compact>]) -> Vec<bool> {
    let mut uses: HashMap<Address, u32> = HashMap::new();
    for a in forms.iter().flatten().flat_map(Compact::addresses) {
        *uses.entry(a).or_default() += 1;
    }
    forms.iter().map(|f| f.as_ref().and_then(Compact::second).is_some_and(|a| uses.get(&a) == Some(&1))).collect()
}

impl Registry {
    /// The registry of `forms`, without the addresses they write inline (`inline`, one flag
    /// each).
    fn build(forms: &[Option<Compact>], inline: &[bool]) -> Self {
        // address -> (references, first use)
        let mut seen: HashMap<Address, (u64, usize)> = HashMap::new();
        for (form, &inline) in forms.iter().zip(inline) {
            let Some(form) = form else { continue };
            let skip = if inline { form.second() } else { None };
            for a in form.addresses().filter(|a| Some(*a) != skip) {
                let next = seen.len();
                seen.entry(a).or_insert((0, next)).0 += 1;
            }
        }
        let mut order: Vec<(Address, (u64, usize))> = seen.into_iter().collect();
        order.sort_unstable_by(|(_, (ca, fa)), (_, (cb, fb))| cb.cmp(ca).then(fa.cmp(fb)));
        let addresses: Vec<Address> = order.into_iter().map(|(a, _)| a).collect();
        let index = addresses.iter().enumerate().map(|(i, a)| (*a, i as u64)).collect();
        Self { addresses, index }
    }

    /// The index of an address of the registry.
    fn index_of(&self, a: &Address) -> u64 {
        // Every address of a compact form is in the registry built from the forms.
        self.index.get(a).copied().unwrap_or_default()
    }

    /// The registry pair of two addresses of the registry: `i₀ · R + i₁`.
    fn pair(&self, [a0, a1]: [Address; 2]) -> u64 {
        self.reference(&[a0, a1])
    }

    /// The mixed-radix reference of addresses of the registry: `i₀·R^(m−1) + … + i_(m−1)`
    /// (below 2^64: R ≤ 2048 and m ≤ 5, checked by the operation table's tests).
    fn reference(&self, addresses: &[Address]) -> u64 {
        let count = self.addresses.len() as u64;
        addresses.iter().fold(0, |v, a| v * count + self.index_of(a))
    }
}

/// Writes `tx`; `pair` is its registry pair (docs/batch-codec.md §3.3.1), written only for a
/// compact form (with `inline`, the index of its first address, or nothing for a transfer of
/// ether), and `extra` the registry index of a token `transferFrom`'s recipient; for an
/// extended form (§3.3.3) they are the references of its leading addresses and of its list.
/// Its gas limit and fees are written against the batch's `defaults`.
fn encode_tx(
    out: &mut Vec<u8>,
    tx: &SignedTx,
    form: Option<&Compact>,
    pair: u64,
    extra: u64,
    defaults: &FeeDefaults,
    inline: bool,
) -> FieldBytes {
    let signature = tx.signature();
    let (priority, max_fee) = FeeDefaults::fees_of(tx);
    let default_fees = defaults.fees_fit(tx);
    let mut head = form.map_or(OP_RAW, |c| c.code) << HEAD_OP_SHIFT;
    if form.is_some_and(|c| c.token) {
        head |= HEAD_TOKEN_CALL;
    }
    if matches!(tx, SignedTx::Eip1559(_)) {
        head |= HEAD_EIP1559;
    }
    let default_gas = tx.gas_limit() == defaults.gas_limit;
    if default_gas {
        head |= HEAD_DEFAULT_GAS;
    }
    if default_fees {
        head |= HEAD_DEFAULT_FEES;
    }
    if inline {
        head |= HEAD_INLINE;
    }
    let mut fields = FieldBytes { head: 1, signature: 64, ..FieldBytes::default() };
    let mut mark = out.len() + 1;
    let mut since = |out: &Vec<u8>| {
        let n = (out.len() - mark) as u64;
        mark = out.len();
        n
    };
    out.push(head);
    put_varint(out, tx.nonce());
    fields.nonce = since(out);
    if !default_gas {
        put_number(out, U256::from(tx.gas_limit()));
    }
    fields.gas_limit = since(out);
    if !default_fees {
        if let SignedTx::Eip1559(_) = tx {
            put_number(out, U256::from(priority));
        }
        put_number(out, U256::from(max_fee));
    }
    fields.fees = since(out);
    match form {
        None => {
            let input = tx.input();
            put_varint(out, input.len() as u64);
            out.extend_from_slice(input);
            fields.raw = since(out);
        }
        Some(Compact { extended: Some(e), .. }) => {
            put_varint(out, e.index);
            if !e.lead.is_empty() {
                put_varint(out, pair);
            }
            if e.shape.has_list() {
                put_varint(out, e.list.len() as u64);
                put_varint(out, extra);
            }
            fields.references = since(out);
            for v in &e.numbers {
                put_number(out, *v);
            }
            fields.amounts = since(out);
        }
        Some(c) => {
            match (inline, c.second()) {
                (true, Some(second)) => {
                    if !c.single {
                        put_varint(out, pair);
                    }
                    out.extend_from_slice(second.as_slice());
                    fields.inline = 20;
                }
                _ => put_varint(out, pair),
            }
            if c.extra.is_some() {
                put_varint(out, extra);
            }
            fields.references = since(out) - fields.inline;
            for v in &c.amounts[..c.amount_count] {
                put_number(out, *v);
            }
            fields.amounts = since(out);
        }
    }
    out.extend_from_slice(&signature.r().to_be_bytes::<32>());
    // The y-parity in the top bit of `s`'s word (`check_encodable`: a low `s` leaves it free).
    let mut s = signature.s();
    s.set_bit(255, signature.v());
    out.extend_from_slice(&s.to_be_bytes::<32>());
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::L2System;
    use crate::testing::{sign_eip1559, sign_legacy, swap_calldata, transfer_calldata};
    use alloy_primitives::hex;
    use alloy_sol_types::SolCall;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Block 1 at time 0, with no queue entry and the genesis L1 price, holding `txs`.
    fn block_one(txs: Vec<SignedTx>) -> BatchBlock {
        BatchBlock { number: 1, timestamp: 0, queue_count: 0, l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE, txs }
    }

    fn sample_batch(chain: &ChainConfig) -> Batch {
        let key = [7u8; 32];
        let create_token = L2System::createTokenCall {
            salt: B256::repeat_byte(1),
            symbol: "NEW".into(),
            decimals: 6,
            supply: U256::from(1_000_000u64),
        }
        .abi_encode();
        let borrow = crate::bindings::L2Lending::borrowCall { asset: Address::repeat_byte(3), amount: U256::from(5u8) };
        let txs0 = vec![
            sign_eip1559(&key, chain.chain_id, 0, transfer_calldata()),
            sign_eip1559(&key, chain.chain_id, 1, borrow.abi_encode().into()),
            sign_legacy(&key, chain.chain_id, 2, swap_calldata()),
            sign_eip1559(&key, chain.chain_id, 3, create_token.into()),
        ];
        Batch {
            blocks: vec![
                BatchBlock {
                    number: 5,
                    timestamp: 1_700_000_000,
                    queue_count: 1,
                    l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                    txs: txs0,
                },
                BatchBlock {
                    number: 6,
                    timestamp: 1_700_000_000,
                    queue_count: 3,
                    l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                    txs: vec![],
                },
                BatchBlock {
                    number: 7,
                    timestamp: 1_700_000_003,
                    queue_count: 0,
                    l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                    txs: vec![sign_eip1559(&key, chain.chain_id, 4, swap_calldata())],
                },
            ],
        }
    }

    fn same(a: &Batch, b: &Batch) {
        assert_eq!(a.blocks.len(), b.blocks.len());
        for (x, y) in a.blocks.iter().zip(&b.blocks) {
            assert_eq!(
                (x.number, x.timestamp, x.queue_count, x.txs.len()),
                (y.number, y.timestamp, y.queue_count, y.txs.len())
            );
            for (p, q) in x.txs.iter().zip(&y.txs) {
                assert_eq!(p.encoded(), q.encoded());
                assert_eq!(p.hash(), q.hash());
            }
        }
    }

    #[test]
    fn round_trip_rebuilds_signed_transactions_exactly() {
        let chain = ChainConfig { chunk_size: 2, ..ChainConfig::default() };
        let batch = sample_batch(&chain);
        let data = encode(&batch, &chain).expect("encodes");
        let decoded = decode(&data, &chain).expect("decodes");
        same(&batch, &decoded);
        // The widest encoding of the same batch decodes to it too, in more bytes.
        let widest = encode_widest(&batch, &chain).expect("encodes");
        same(&batch, &decode(&widest, &chain).expect("decodes"));
        assert!(widest.len() > data.len());
        for (a, b) in batch.blocks.iter().flat_map(|b| &b.txs).zip(decoded.blocks.iter().flat_map(|b| &b.txs)) {
            assert_eq!(a.recover_sender(), b.recover_sender());
        }
        // Each block with items begins with a chunk of its own (no item, no byte), then a chunk
        // for each queue entry (no byte) and for each heavy transaction, and the light ones
        // between in chunks of two: block 5 has an entry and 4 txs (transfer; borrow, heavy;
        // swap and createToken), block 6 three entries and no tx, block 7 one tx.
        let header = decode_header(&data, &chain).expect("header");
        assert_eq!(
            header
                .chunks
                .iter()
                .map(|c| (c.block, c.begins, c.queue.clone(), c.tx_count, c.heavy, !c.bytes.is_empty()))
                .collect::<Vec<_>>(),
            [
                (0, true, 0..0, 0, false, false),
                (0, false, 0..1, 0, false, false),
                (0, false, 1..1, 1, false, true),
                (0, false, 1..1, 1, true, true),
                (0, false, 1..1, 2, false, true),
                (1, true, 1..1, 0, false, false),
                (1, false, 1..2, 0, false, false),
                (1, false, 2..3, 0, false, false),
                (1, false, 3..4, 0, false, false),
                (2, true, 4..4, 0, false, false),
                (2, false, 4..4, 1, false, true)
            ]
        );
        assert_eq!(header.queue_count(), 4);
        assert_eq!(decode_chunk(&data, &chain, 3).expect("the heavy chunk"), decoded.blocks[0].txs[1..2]);
        assert_eq!(decode_chunk(&data, &chain, 8).expect("an entry's chunk"), []);
        assert_eq!(decode_chunk(&data, &chain, 9).expect("a beginning"), []);
        assert_eq!(decode_chunk(&data, &chain, 10).expect("chunk 10"), decoded.blocks[2].txs);
        assert_eq!(decode_chunk(&data, &chain, 11), Err(CodecError::NoSuchChunk { index: 11, count: 11 }));
        assert_eq!(encode(&decoded, &chain).expect("re-encodes"), data);
    }

    /// A block's heavy runs are canonical and within its transactions, and a transaction in a
    /// chunk of the other weight is refused.
    #[test]
    fn heavy_runs_are_checked_and_a_chunk_of_the_wrong_weight_is_refused() {
        let runs = |bytes: &[u8], txs: u64| read_heavy_runs(&mut Reader { buf: bytes }, txs);
        assert_eq!(runs(&[0], 0), Ok(vec![]));
        assert_eq!(runs(&[2, 0, 1, 1, 2], 4), Ok(vec![(0, 1), (1, 2)]));
        assert_eq!(runs(&[2, 0, 1, 0, 1], 3), Err(CodecError::Invalid("heavy run")), "runs are maximal");
        assert_eq!(runs(&[1, 1, 0], 3), Err(CodecError::Invalid("heavy run")), "a run is not empty");
        assert_eq!(runs(&[1, 1, 2], 2), Err(CodecError::Invalid("heavy runs past the block's transactions")));
        assert_eq!(runs(&[3, 0, 1, 1], 9), Err(CodecError::Truncated("heavy runs")));
        assert_eq!(heavy_runs(&[true, true, false, false, true]), [(0, 2), (2, 1)]);
        assert_eq!(heavy_runs(&[false, false]), []);
        // A transfer then a borrow: runs (1, 1). Declaring the transfer heavy instead, (0, 1),
        // puts the transfer alone in a heavy chunk and the borrow in a light one.
        let chain = ChainConfig::default();
        let key = [7u8; 32];
        let borrow = crate::bindings::L2Lending::borrowCall { asset: Address::repeat_byte(3), amount: U256::from(5u8) };
        let txs = vec![
            sign_eip1559(&key, chain.chain_id, 0, transfer_calldata()),
            sign_eip1559(&key, chain.chain_id, 1, borrow.abi_encode().into()),
        ];
        let data = encode(&Batch { blocks: vec![block_one(txs)] }, &chain).expect("encodes");
        let mut price = Vec::new();
        put_number(&mut price, U256::from(crate::fees::MIN_L1_BYTE_PRICE));
        let at = 10 + price.len();
        // The defaults (gas limit 300000, no tip, a fee cap of 1 gwei), then one block.
        let head = [VERSION, 0x65, 0x00, 0x29, 1, 0, 1, 0, 0, 2];
        assert_eq!(data[..at + 3], [&head[..], &price, &[1, 1, 1]].concat()[..]);
        let mut swapped = data.clone();
        swapped[at + 1] = 0;
        assert_eq!(decode(&swapped, &chain), Err(CodecError::Invalid("a transaction's weight is not its chunk's")));
        assert_eq!(
            decode_chunk(&swapped, &chain, 1),
            Err(CodecError::Invalid("a transaction's weight is not its chunk's"))
        );
    }

    #[test]
    fn the_parity_is_in_s_and_the_default_gas_limit_in_the_head() {
        let chain = ChainConfig::default();
        let key = [7u8; 32];
        // Seven transactions of the default gas limit, one of its own; parities of both kinds.
        let mut txs: Vec<SignedTx> =
            (0..8).map(|n| sign_eip1559(&key, chain.chain_id, n, transfer_calldata())).collect();
        let SignedTx::Eip1559(own) = &txs[1] else { unreachable!("an EIP-1559 transaction") };
        let mut other = own.tx().clone();
        other.gas_limit = 123_456;
        let signed = crate::signer::Signer::new(&key.into()).expect("a key").sign_eip1559(other);
        txs[1] = signed;
        assert!(txs.iter().any(|t| t.signature().v()) && txs.iter().any(|t| !t.signature().v()));
        let batch = Batch { blocks: vec![block_one(txs.clone())] };
        let (data, fields) = encode_fields(&batch, &chain).expect("encodes");
        same(&decode(&data, &chain).expect("decodes"), &batch);
        let sum: u64 = fields.named().iter().map(|(_, n)| n).sum();
        assert_eq!(sum, data.len() as u64, "every byte counted once");
        assert_eq!(fields.gas_limit, encode_number(U256::from(123_456u64)).len() as u64, "one gas limit written");
        let header = decode_header(&data, &chain).expect("header");
        let chunk = &data[header.chunks[1].bytes.clone()];
        assert_eq!(chunk[0] & HEAD_DEFAULT_GAS, HEAD_DEFAULT_GAS, "the default: the head's bit");
        // A transaction's `s` word ends it: its top bit is the parity.
        for tx in &txs {
            let data = encode(&Batch { blocks: vec![block_one(vec![tx.clone()])] }, &chain).expect("encodes");
            assert_eq!(data[data.len() - 32] >> 7 == 1, tx.signature().v(), "the parity in s");
            assert_eq!(data[data.len() - 32] & 0x7f, tx.signature().s().to_be_bytes::<32>()[0], "s");
        }
        // An `s` of 2^255 or more leaves no bit for the parity: not encodable.
        let SignedTx::Eip1559(first) = &txs[0] else { unreachable!("an EIP-1559 transaction") };
        let high = Signature::new(first.signature().r(), first.signature().s() | U256::from(1u8) << 255, false);
        let high = SignedTx::Eip1559(Signed::new_unhashed(first.tx().clone(), high));
        assert!(matches!(
            encode(&Batch { blocks: vec![block_one(vec![high])] }, &chain),
            Err(CodecError::Unencodable(_, "signature s above 2^255"))
        ));
    }

    #[test]
    fn a_beginning_holds_no_byte() {
        let chain = ChainConfig::default();
        let tx = sign_eip1559(&[7u8; 32], chain.chain_id, 0, transfer_calldata());
        let data = encode(&Batch { blocks: vec![block_one(vec![tx])] }, &chain).expect("encodes");
        let header = decode_header(&data, &chain).expect("header");
        assert_eq!(header.chunks.len(), 2);
        assert!(header.chunks[0].begins && header.chunks[0].bytes.is_empty());
        // Move the transaction's first byte into the beginning: lengths 1 and len − 1.
        let lengths = header.chunks[0].bytes.start - 2;
        let len = header.chunks[1].bytes.len();
        assert!(len < 0x80, "a one-byte length");
        let mut moved = data.clone();
        moved[lengths] = 1;
        moved[lengths + 1] = (len - 1) as u8;
        assert_eq!(decode(&moved, &chain), Err(CodecError::TrailingBytes(1)));
        assert_eq!(decode_chunk(&moved, &chain, 0), Err(CodecError::TrailingBytes(1)));
    }

    #[test]
    fn every_truncation_and_most_corruptions_are_rejected_without_panic() {
        let chain = ChainConfig { chunk_size: 2, ..ChainConfig::default() };
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
            // Must not panic; a decode that succeeds must re-encode to the same bytes (the
            // registry is in the reference order unless the corruption hit it).
            if let Ok(batch) = decode(&corrupt, &chain)
                && let Ok(again) = encode(&batch, &chain)
                && again.len() == corrupt.len()
            {
                same(&decode(&again, &chain).expect("re-encoding decodes"), &batch);
            }
        }
        for _ in 0..20_000 {
            let len = rng.random_range(0..200);
            let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let _ = decode(&junk, &chain);
        }
    }

    #[test]
    fn numbers_follow_the_spec_table() {
        let cases: [(U256, &str); 7] = [
            (U256::ZERO, "00"),
            (U256::from(1u8), "20"),
            (U256::from(300_000u64), "65"),
            (U256::from(10u64.pow(16)), "30"),
            (U256::from(10u64.pow(18)), "32"),
            (U256::from(12_345u64), "a08e18"),
            (U256::from(15u64) * U256::from(10u64.pow(17)), "f103"),
        ];
        for (v, hex_bytes) in cases {
            assert_eq!(hex::encode(encode_number(v)), hex_bytes, "{v}");
            assert_eq!(decode_number(&hex::decode(hex_bytes).expect("hex"), 256), Ok(v));
        }
        for v in
            [U256::MAX, U256::MAX - U256::from(1u8), U256::from(10u8).pow(U256::from(77u8)), U256::from(1u8) << 255]
        {
            assert_eq!(decode_number(&encode_number(v), 256), Ok(v), "{v}");
        }
        // Not canonical: 10 written as m = 10, e = 0 (A = 0x80 | 2 << 5, tail 2).
        assert_eq!(decode_number(&[0xc0, 0x02], 256), Err(CodecError::BadInteger("number")));
        // Zero with an exponent, a zero tail, overflow of the width.
        assert_eq!(decode_number(&[0x05], 256), Err(CodecError::BadInteger("number")));
        assert_eq!(decode_number(&[0x80, 0x00], 256), Err(CodecError::BadInteger("number")));
        assert_eq!(
            decode_number(&encode_number(U256::from(u64::MAX) + U256::from(1u8)), 64).map(|_| ()),
            Err(CodecError::BadInteger("number"))
        );
        assert_eq!(decode_number(&encode_number(U256::from(u64::MAX)), 64), Ok(U256::from(u64::MAX)));
    }

    #[test]
    fn the_block_size_bound_covers_the_encoding_and_stays_close_to_it() {
        let mut rng = StdRng::seed_from_u64(11);
        for chunk_size in [1u32, 3, 16, 64] {
            let chain = ChainConfig { chunk_size, ..ChainConfig::default() };
            for round in 0..40 {
                let n = rng.random_range(0..300);
                let recipients = rng.random_range(1..400u64);
                let queue = if round % 3 == 0 { rng.random_range(0..100u64) } else { 0 };
                let mut bound = BlockSizeBound::new(&chain).with_queue(queue);
                let mut txs = Vec::new();
                for i in 0..n {
                    let to = Address::from_word(B256::from(U256::from(rng.random_range(0..recipients))));
                    let amount =
                        U256::from(rng.random::<u64>()) * U256::from(10u64).pow(U256::from(rng.random_range(0..20)));
                    let input: Bytes = match rng.random_range(0..10) {
                        0 => L2System::createTokenCall {
                            salt: B256::repeat_byte(i as u8),
                            symbol: "T".repeat(i % 40),
                            decimals: 6,
                            supply: amount,
                        }
                        .abi_encode()
                        .into(),
                        1 => L2System::swapCall {
                            tokenIn: to,
                            tokenOut: Address::repeat_byte(1),
                            amountIn: amount,
                            minAmountOut: U256::from(i),
                        }
                        .abi_encode()
                        .into(),
                        2 | 3 => {
                            // A path of 2 to 5 tokens, some shared with the other operations.
                            let len = rng.random_range(2..=usize::from(crate::ops::MAX_PATH));
                            let path = (0..len)
                                .map(|k| if k % 2 == 0 { to } else { Address::repeat_byte(1 + (k % 3) as u8) })
                                .collect();
                            L2System::swapPathCall {
                                path,
                                amountIn: amount,
                                minAmountOut: U256::from(i),
                                deadline: U256::from(rng.random::<u32>()),
                            }
                            .abi_encode()
                            .into()
                        }
                        // Heavy ones, alone in their chunks, in runs.
                        4 => crate::bindings::L2Lending::borrowCall { asset: to, amount }.abi_encode().into(),
                        _ => L2System::transferCall { token: Address::repeat_byte(2), to, amount }.abi_encode().into(),
                    };
                    let key = [1 + (i % 200) as u8; 32];
                    let tx = if i % 7 == 0 {
                        sign_legacy(&key, chain.chain_id, i as u64, input)
                    } else {
                        sign_eip1559(&key, chain.chain_id, i as u64, input)
                    };
                    if !bound.try_push(&tx, usize::MAX) {
                        // Only the chunk bound of §3.5 stops an unbounded size (chunk size 1).
                        assert_eq!(
                            chain.chunk_count(queue, txs.iter().chain([&tx]).map(is_heavy)),
                            MAX_BATCH_CHUNKS + 1
                        );
                        break;
                    }
                    txs.push(tx);
                }
                let batch = Batch {
                    blocks: vec![BatchBlock {
                        number: u64::MAX - 1,
                        timestamp: u64::MAX,
                        queue_count: queue,
                        l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                        txs,
                    }],
                };
                let data = encode(&batch, &chain).expect("encodes");
                same(&decode(&data, &chain).expect("decodes"), &batch);
                let real = data.len();
                let bound = bound.bytes();
                assert!(bound >= real, "chunk size {chunk_size}, round {round}: bound {bound} < {real}");
                // The defaults are counted at their widest (48 bytes) and each transaction's gas
                // limit and fees written out (2 bytes more than the defaults take here).
                let close = real + 30 + 48 + 6 * n;
                assert!(bound <= close, "chunk size {chunk_size}, round {round}: bound {bound} for {real}");
            }
        }
        // A full bound refuses the transaction and leaves the bound as it was.
        let chain = ChainConfig::default();
        let mut bound = BlockSizeBound::new(&chain);
        let tx = sign_eip1559(&[7u8; 32], chain.chain_id, 0, transfer_calldata());
        assert!(bound.try_push(&tx, 300));
        let before = bound.bytes();
        assert!(!bound.try_push(&tx, before + 10), "a second transfer needs more than ten bytes");
        assert_eq!(bound.bytes(), before);
    }

    #[test]
    fn token_calls_round_trip_compactly_and_stay_within_the_bound() {
        use crate::testing::sign_token_call;
        let chain = ChainConfig { chunk_size: 2, ..ChainConfig::default() };
        let (a, b) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
        let token = crate::genesis::USDC;
        let calls = [
            TokenCall::Transfer { to: a, amount: U256::from(1_000_000u64) },
            TokenCall::Approve { spender: b, amount: U256::MAX },
            TokenCall::TransferFrom { from: a, to: b, amount: U256::from(25u64) },
            TokenCall::TransferFrom { from: token, to: token, amount: U256::ZERO },
        ];
        let mut txs: Vec<SignedTx> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| sign_token_call(&[9u8; 32], chain.chain_id, i as u64, token, *c))
            .collect();
        txs.push(sign_eip1559(&[9u8; 32], chain.chain_id, 4, transfer_calldata()));
        let batch = Batch {
            blocks: vec![BatchBlock {
                number: 3,
                timestamp: 9,
                queue_count: 1,
                l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                txs: txs.clone(),
            }],
        };
        let data = encode(&batch, &chain).expect("token calls encode");
        let decoded = decode(&data, &chain).expect("decodes");
        same(&batch, &decoded);
        for (tx, back) in txs.iter().zip(&decoded.blocks[0].txs) {
            assert_eq!(back.kind(), tx.kind(), "the target is rebuilt");
            assert_eq!(back.recover_sender(), tx.recover_sender());
        }
        assert_eq!(encode(&decoded, &chain).expect("re-encodes"), data);
        // A transfer of a token costs what the system contract's transfer costs.
        let one = |tx: SignedTx| {
            let b = Batch { blocks: vec![block_one(vec![tx])] };
            encode(&b, &chain).expect("encodes").len()
        };
        let token_transfer = sign_token_call(&[9u8; 32], chain.chain_id, 0, token, calls[0]);
        assert_eq!(one(token_transfer), one(sign_eip1559(&[9u8; 32], chain.chain_id, 0, transfer_calldata())));
        // The size bound covers them.
        let mut bound = BlockSizeBound::new(&chain).with_queue(1);
        for tx in &txs {
            assert!(bound.try_push(tx, usize::MAX));
        }
        assert!(bound.bytes() >= data.len(), "bound {} below the encoding {}", bound.bytes(), data.len());
        // The header's defaults are counted at their widest (48 bytes).
        let close = data.len() + 48 + 8 * txs.len();
        assert!(bound.bytes() <= close, "bound {} far above {}", bound.bytes(), data.len());
        // Another call of another address cannot be encoded; neither can a token call of the
        // system contract be told apart from a system call (it has no compact form there).
        let elsewhere = signer_tx_to(Address::repeat_byte(0x11), Bytes::from_static(&[1, 2, 3, 4]));
        let batch = Batch { blocks: vec![block_one(vec![elsewhere])] };
        assert!(matches!(encode(&batch, &chain), Err(CodecError::Unencodable(_, "target"))));
    }

    fn signer_tx_to(to: Address, input: Bytes) -> SignedTx {
        crate::signer::Signer::new(&B256::repeat_byte(9)).expect("key").eip1559_to(
            ChainConfig::default().chain_id,
            0,
            to,
            input,
        )
    }

    #[test]
    fn the_bounds_of_a_batch_are_exact_and_the_encoder_keeps_them() {
        let chain = ChainConfig { chain_id: 42_069, chunk_size: 16 };
        let signer = crate::signer::Signer::new(&B256::repeat_byte(9)).expect("key");
        let block = |number: u64, txs: Vec<SignedTx>| BatchBlock {
            number,
            timestamp: 0,
            queue_count: 0,
            l1_byte_price: 8,
            txs,
        };
        // The widest transactions fill a chunk to at most its bound.
        let wide: Vec<SignedTx> = (1..=16).map(|i| crate::testing::widest_tx(&signer, &chain, i)).collect();
        let data = encode(&Batch { blocks: vec![block(1, wide.clone())] }, &chain).expect("encodes");
        let header = decode_header(&data, &chain).expect("decodes");
        let len = header.chunks[1].bytes.len() as u64;
        assert!(len <= max_chunk_bytes(16) && len + 16 * 20 > max_chunk_bytes(16), "{len}");
        // Registry: 2,048 entries decode, 2,049 are refused by both sides. Each transfer's token
        // is its recipient, used twice: a registry entry, not an inline address.
        let transfers = |n: u64| -> Vec<SignedTx> {
            (0..n)
                .map(|i| {
                    let to = Address::from_word(keccak256(i.to_be_bytes()));
                    let input = L2System::transferCall { token: to, to, amount: U256::from(1u8) };
                    signer.eip1559(chain.chain_id, i, input.abi_encode().into())
                })
                .collect()
        };
        let full = Batch { blocks: vec![block(1, transfers(MAX_REGISTRY))] };
        let data = encode(&full, &chain).expect("2,048 registry entries encode");
        assert_eq!(decode_header(&data, &chain).expect("decodes").registry.len() as u64, MAX_REGISTRY);
        let over = Batch { blocks: vec![block(1, transfers(MAX_REGISTRY + 1))] };
        assert_eq!(encode(&over, &chain), Err(CodecError::TooLarge("more registry entries than a batch may hold")));
        // Blocks: 256 encode, 257 do not.
        let blocks = |n: u64| Batch { blocks: (1..=n).map(|b| block(b, Vec::new())).collect() };
        assert!(encode(&blocks(MAX_BATCH_BLOCKS), &chain).is_ok());
        assert!(matches!(encode(&blocks(MAX_BATCH_BLOCKS + 1), &chain), Err(CodecError::TooLarge(_))));
        // Chunks: a beginning and 255 queue entries' chunks encode, one more entry does not.
        let entries = |q: u64| Batch {
            blocks: vec![BatchBlock {
                number: 1,
                timestamp: 0,
                queue_count: q,
                l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
                txs: vec![],
            }],
        };
        let at = encode(&entries(MAX_BATCH_CHUNKS - 1), &chain).expect("256 chunks encode");
        assert_eq!(decode_header(&at, &chain).expect("decodes").chunks.len() as u64, MAX_BATCH_CHUNKS);
        assert!(matches!(encode(&entries(MAX_BATCH_CHUNKS), &chain), Err(CodecError::TooLarge(_))));
        // The sequencer's block bound stops at the registry bound.
        let mut bound = BlockSizeBound::new(&chain);
        let pushed = transfers(MAX_REGISTRY + 10).iter().take_while(|t| bound.try_push(t, usize::MAX)).count() as u64;
        assert_eq!(pushed, MAX_REGISTRY, "one registry entry each");
        let mut bound = BlockSizeBound::new(&chain).with_queue(MAX_BATCH_CHUNKS - 2);
        let pushed = transfers(40).iter().take_while(|t| bound.try_push(t, usize::MAX)).count();
        assert_eq!(pushed, 16, "the last chunk of the batch's 256");
    }

    #[test]
    fn billed_bytes_count_every_reference_as_two_bytes_whatever_the_registry() {
        let chain = ChainConfig { chain_id: 42_069, chunk_size: 64 };
        let key = [7u8; 32];
        let transfer = sign_eip1559(&key, chain.chain_id, 0, transfer_calldata());
        // Its gas limit written out, its fees not (zero defaults).
        let unlike = FeeDefaults { gas_limit: transfer.gas_limit() + 1, ..FeeDefaults::default() };
        let mut alone = Vec::new();
        encode_tx(&mut alone, &transfer, form_of(&transfer).as_ref(), 0, 0, &unlike, false);
        assert_eq!(billed_bytes(&transfer), alone.len() as u64 + 1, "one pair, counted as two bytes");
        // In a batch whose registry makes the pair three bytes wide, the bill is the same.
        let mut wide = Vec::new();
        encode_tx(&mut wide, &transfer, form_of(&transfer).as_ref(), 1 << 20, 0, &unlike, false);
        assert_eq!(wide.len(), alone.len() + 2);
        let bound = billed_bytes_bound(&chain, *transfer.kind().to().expect("a call"), transfer.input(), U256::ZERO);
        assert!(bound >= billed_bytes(&transfer) && bound <= billed_bytes(&transfer) + 56, "{bound}");
    }

    #[test]
    fn raw_calldata_with_a_compact_form_is_refused() {
        let chain = ChainConfig::default();
        let tx = sign_eip1559(&[7u8; 32], chain.chain_id, 0, transfer_calldata());
        let batch = Batch { blocks: vec![block_one(vec![tx.clone()])] };
        let data = encode(&batch, &chain).expect("encodes");
        // Hand-build the same transaction with raw calldata.
        // One block of one transaction: two chunks, the beginning's length 0 first.
        // The defaults: the transaction's gas limit and fees.
        let mut raw = vec![VERSION];
        put_number(&mut raw, U256::from(tx.gas_limit()));
        put_number(&mut raw, U256::ZERO);
        put_number(&mut raw, U256::from(crate::signer::DEFAULT_MAX_FEE));
        raw.extend_from_slice(&[1, 0, 1, 0, 0, 1, 0x80, 0x02, 0, 0, 0]);
        // The default gas limit and fees (the head bits), nonce 0.
        let mut chunk = vec![HEAD_EIP1559 | HEAD_DEFAULT_GAS | HEAD_DEFAULT_FEES, 0];
        put_varint(&mut chunk, tx.input().len() as u64);
        chunk.extend_from_slice(tx.input());
        chunk.extend_from_slice(&tx.signature().r().to_be_bytes::<32>());
        let mut s = tx.signature().s();
        s.set_bit(255, tx.signature().v());
        chunk.extend_from_slice(&s.to_be_bytes::<32>());
        put_varint(&mut raw, chunk.len() as u64);
        raw.extend_from_slice(&chunk);
        assert_eq!(decode(&raw, &chain), Err(CodecError::Invalid("raw calldata that has a compact form")));
        assert!(
            raw.len() > data.len() + 40,
            "the compact form saves the ABI padding, even with two fresh registry entries"
        );
    }
}
