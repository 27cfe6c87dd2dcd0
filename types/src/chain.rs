//! Parameters of an L2 chain that every component must agree on.

use alloy_primitives::{Address, address};
use serde::{Deserialize, Serialize};

/// Address of the L2 system contract (ledger and AMM), fixed at genesis.
pub const SYSTEM_CONTRACT: Address = address!("0x4200000000000000000000000000000000000010");

/// Where the executor serves the money market's code (`L2Lending`), which the system contract
/// runs over its own storage (`L2System.LENDING`): the market's operations are calls of the
/// system contract.
pub const LENDING: Address = address!("0x4200000000000000000000000000000000000012");

/// Multicall3's canonical address (the same on every chain that has it). On this L2 its code
/// is served for read-only calls (`eth_call`) only: no transaction may call it.
pub const MULTICALL3: Address = address!("0xcA11bde05977b3631167028862bE2a173976CA11");

/// The ERC-20 face of market 0's supplies (`L2SupplyToken.FACE_BASE`); market `i`'s is `i`
/// above it ([`supply_face`]). Served for read-only calls only (docs/lending.md §8).
pub const SUPPLY_FACE_BASE: Address = address!("0x4200000000000000000000000000000000000100");

/// The most markets a genesis lays out (the market count is the low byte of their header).
pub const MAX_MARKETS: u64 = 256;

/// The address of the ERC-20 face of the supplies of market `index` (< [`MAX_MARKETS`]).
pub fn supply_face(index: u64) -> Address {
    let mut bytes = SUPPLY_FACE_BASE.0;
    let at = u16::from_be_bytes([bytes[18], bytes[19]]) + (index % MAX_MARKETS) as u16;
    bytes[18..].copy_from_slice(&at.to_be_bytes());
    Address::from(bytes)
}

/// The market whose supplies' face is at `address`, if it is a face's address (of a market
/// that may not exist: the count is the state's).
pub fn face_market(address: &Address) -> Option<u64> {
    let base = SUPPLY_FACE_BASE.0;
    if address.0[..18] != base[..18] {
        return None;
    }
    let at = u16::from_be_bytes([address.0[18], address.0[19]]);
    let first = u16::from_be_bytes([base[18], base[19]]);
    at.checked_sub(first).map(u64::from).filter(|i| *i < MAX_MARKETS)
}

/// Chain id of the devnet L2.
pub const DEFAULT_CHAIN_ID: u64 = 42_069;

/// Default number of light transactions per chunk ([`ChunkCut`]): a deployment parameter of
/// the inbox, at most [`MAX_CHUNK_SIZE`].
pub const DEFAULT_CHUNK_SIZE: u32 = 4;

/// The largest chunk size an inbox takes (`BatchInbox.MAX_CHUNK_SIZE`): the proof bound of
/// docs/fraud-proofs.md §7 replays at most this many items in one L1 transaction, and the keys
/// they touch are what grinding deepens (§7.2: at 8 the cap fell to 2^58 hashes, at 4 it holds
/// to 2^108).
pub const MAX_CHUNK_SIZE: u32 = 4;

/// Most queue entries of the bridge one L2 block consumes (the rest wait for the next blocks,
/// well within the inclusion window: a block every half second consumes hundreds per L1
/// block). Each takes a chunk, and a chunk root on L1, of its own (docs/batch-codec.md §3.1):
/// the batcher's bound on what one block's post needs counts them.
pub const MAX_BLOCK_QUEUE_ENTRIES: u64 = 16;

/// EIP-7825 (Osaka, on Ethereum since Fusaka): the most gas one L1 transaction may use. Every
/// L1 transaction the system sends must fit it, a fraud proof above all.
pub const EIP7825_TX_GAS_CAP: u64 = 1 << 24;

/// The gas every fraud proof stays under at the bounds of docs/fraud-proofs.md §7, against a
/// batcher that grinds 2^80 hashes to deepen the witness (§7.2): a tenth below
/// [`EIP7825_TX_GAS_CAP`], held by `rollup bench proof-bounds` and its test. Against more
/// grinding the proof grows by about 133,000 gas a doubling and passes the cap at about 2^108.
pub const PROOF_GAS_BOUND: u64 = 15_000_000;

/// More gas than the transaction of the commitment that precedes a proof uses (`commitProof`:
/// 45,679 of execution, about 67,000 in all).
pub const COMMIT_GAS_BOUND: u64 = 80_000;

/// More gas than the transaction that collects a proof's reward uses (`claimReward`: at most
/// 59,205 of execution, about 80,500 in all).
pub const CLAIM_GAS_BOUND: u64 = 100_000;

/// The stake an inbox must require so that proving pays for itself at `wei_per_gas`: the reward
/// (half the slashed stake) covers the commitment, the costliest proof any post allows (no
/// proof can use more than one L1 transaction's gas, [`EIP7825_TX_GAS_CAP`], whatever a
/// grinding batcher made the state: docs/fraud-proofs.md §7.2) and the claim of the reward
/// (docs/fraud-proofs.md §7.4).
pub fn stake_for_gas_price(wei_per_gas: u128) -> alloy_primitives::U256 {
    alloy_primitives::U256::from(2 * (EIP7825_TX_GAS_CAP + COMMIT_GAS_BOUND + CLAIM_GAS_BOUND))
        * alloy_primitives::U256::from(wei_per_gas)
}

/// The L1 gas price (wei) `rollup deploy` and the devnet size the stake by: 100 gwei, tens of
/// times the price of Ethereum's blocks in 2026, and one a proof can wait for within a
/// challenge window of days. The reward is then 1.696 ETH, the stake 3.391 ETH.
pub const STAKE_GAS_PRICE: u128 = 100_000_000_000;

/// Gas every transaction executes with, whatever its signed gas limit: execution must not
/// depend on gas (the L1 verifier cannot meter it the same way), and no operation of the
/// closed set comes near this cap.
pub const EXECUTION_GAS_LIMIT: u64 = 5_000_000;

/// Smallest signed gas limit accepted (the intrinsic cost of a call on Ethereum).
pub const MIN_TX_GAS_LIMIT: u64 = 21_000;

/// Largest signed gas limit accepted.
pub const MAX_TX_GAS_LIMIT: u64 = 30_000_000;

/// Largest calldata accepted, in bytes. Every operation of the closed set needs far less;
/// the cap keeps execution clear of the gas cap (intrinsic calldata gas), so validity never
/// depends on gas.
pub const MAX_INPUT_BYTES: usize = 1_024;

/// Largest raw signed transaction accepted, in bytes.
pub const MAX_RAW_TX_BYTES: usize = 16 * 1024;

/// What defines one L2 chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    /// EIP-155 chain id of the L2.
    pub chain_id: u64,
    /// Light transactions per chunk: each block's light transactions are cut into chunks of
    /// this size ([`ChunkCut`]).
    pub chunk_size: u32,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self { chain_id: DEFAULT_CHAIN_ID, chunk_size: DEFAULT_CHUNK_SIZE }
    }
}

impl ChainConfig {
    /// The cut of a block's items into chunks ([`ChunkCut`]) for this chain's chunk size.
    pub fn cut(&self, queue: u64) -> ChunkCut {
        ChunkCut::new(self.chunk_size, queue)
    }

    /// The chunks of a block with `queue` queue entries and transactions of which `heavy` tells
    /// which take a chunk of their own (docs/batch-codec.md §3.1): none for a block without
    /// items; otherwise its beginning (a chunk with no item), each entry in a chunk of its own,
    /// then its transactions as [`ChunkCut`] cuts them. The one expansion of the cut that the
    /// decoder, the executor and the batcher share.
    pub fn block_cut(&self, queue: u64, heavy: impl IntoIterator<Item = bool>) -> Vec<CutChunk> {
        let mut cut = self.cut(queue);
        let mut out = Vec::new();
        if queue > 0 {
            out.push(CutChunk::BEGINNING);
            out.extend((0..queue).map(|_| CutChunk { entries: 1, txs: 0, heavy: false }));
        }
        for h in heavy {
            if cut.chunks() == 0 {
                out.push(CutChunk::BEGINNING);
            }
            if cut.push(h) {
                out.push(CutChunk { entries: 0, txs: 1, heavy: h });
            } else {
                out.last_mut().expect("a light transaction continuing a chunk follows one").txs += 1;
            }
        }
        debug_assert_eq!(out.len() as u64, cut.chunks());
        out
    }

    /// The item counts of a block's chunks after its beginning ([`Self::block_cut`]).
    pub fn chunk_items(&self, queue: u64, heavy: impl IntoIterator<Item = bool>) -> Vec<u64> {
        self.block_cut(queue, heavy).iter().skip(1).map(CutChunk::items).collect()
    }

    /// Number of chunks of a block ([`Self::block_cut`]) without listing them; saturates at
    /// `u64::MAX` for a `queue` count near it (as a hostile header may state).
    pub fn chunk_count(&self, queue: u64, heavy: impl IntoIterator<Item = bool>) -> u64 {
        let mut cut = self.cut(queue);
        heavy.into_iter().for_each(|h| {
            cut.push(h);
        });
        cut.chunks()
    }
}

/// One chunk of a block's cut ([`ChainConfig::block_cut`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutChunk {
    /// Queue entries among its items (1 for an entry's chunk, else 0).
    pub entries: u64,
    /// Transactions among its items (they follow the entries).
    pub txs: u64,
    /// Whether its one transaction is heavy; the transactions of any other chunk are light.
    pub heavy: bool,
}

impl CutChunk {
    /// A block's beginning: the first chunk of a block with items, holding none.
    pub const BEGINNING: Self = Self { entries: 0, txs: 0, heavy: false };

    /// Its items: entries and transactions.
    pub const fn items(&self) -> u64 {
        self.entries + self.txs
    }
}

/// The cut of one block's items into chunks, one transaction at a time (docs/batch-codec.md
/// §3.1). A block with items has first its beginning (a chunk with no item), then each of its
/// queue entries in a chunk of its own (a forced transaction may be of any operation), then its
/// transactions: each heavy one ([`crate::ops::OpSpec::heavy`]) in a chunk of its own, the light
/// ones between them cut every `chunk_size` from the first after a heavy one (or after the
/// entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkCut {
    size: u64,
    /// Chunks so far, the beginning included (0 while the block has no item).
    chunks: u64,
    /// Light transactions in the last chunk, when it is a chunk of light ones.
    light: u64,
}

impl ChunkCut {
    /// The cut of a block of `chunk_size` (0 is taken as 1) that consumes `queue` entries.
    pub fn new(chunk_size: u32, queue: u64) -> Self {
        let chunks = if queue == 0 { 0 } else { queue.saturating_add(1) };
        Self { size: u64::from(chunk_size.max(1)), chunks, light: 0 }
    }

    /// Adds the next transaction; returns whether it starts a chunk.
    pub fn push(&mut self, heavy: bool) -> bool {
        if self.chunks == 0 {
            // The block's first item: its beginning comes before it.
            self.chunks = 1;
        }
        if heavy {
            self.chunks = self.chunks.saturating_add(1);
            self.light = 0;
            return true;
        }
        if self.light == 0 || self.light == self.size {
            self.chunks = self.chunks.saturating_add(1);
            self.light = 1;
            return true;
        }
        self.light += 1;
        false
    }

    /// Chunks of the block so far, its beginning included; 0 without items.
    pub const fn chunks(&self) -> u64 {
        self.chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain's fixed addresses are distinct, and each matches its Solidity twin: an address
    /// serving code must not be an account that holds a balance or signs (the money market's
    /// code once stood at the fee vault's address).
    #[test]
    fn the_fixed_addresses_are_distinct_and_match_the_contracts() {
        let fixed = [
            ("system contract", SYSTEM_CONTRACT),
            ("money market's code", LENDING),
            ("Multicall3", MULTICALL3),
            ("first supply face", supply_face(0)),
            ("last supply face", supply_face(MAX_MARKETS - 1)),
            ("fee vault", crate::fees::FEE_VAULT),
            ("system caller", crate::queue::SYSTEM_CALLER),
            ("ether", crate::keys::ETHER),
        ];
        for (i, (a, x)) in fixed.iter().enumerate() {
            for (b, y) in &fixed[i + 1..] {
                assert_ne!(x, y, "{a} and {b}");
            }
        }
        assert_eq!(face_market(&supply_face(3)), Some(3));
        assert_eq!(face_market(&LENDING), None);
        assert_eq!(supply_face(255), address!("0x42000000000000000000000000000000000001ff"));
        let face = include_str!("../../contracts/src/l2/L2SupplyToken.sol");
        assert!(face.contains("FACE_BASE = (0x42 << 152) | 0x100;"), "L2SupplyToken.FACE_BASE");
        let system = include_str!("../../contracts/src/l2/L2System.sol");
        assert!(system.contains(&format!("LENDING = {}", LENDING.to_checksum(None))), "L2System.LENDING");
    }

    /// Queue entries and heavy transactions take a chunk each; light runs are cut every
    /// `chunk_size` from their first transaction.
    #[test]
    fn the_cut_isolates_entries_and_heavy_transactions() {
        let chain = ChainConfig { chain_id: 1, chunk_size: 4 };
        assert_eq!(chain.chunk_count(0, []), 0);
        assert_eq!(chain.chunk_items(0, []), Vec::<u64>::new());
        assert_eq!(chain.chunk_count(2, []), 3);
        assert_eq!(chain.chunk_items(2, []), [1, 1]);
        let (l, h) = (false, true);
        let txs = [l, l, l, l, l, h, l, l, h, h, l, l, l, l, l, l];
        assert_eq!(chain.chunk_items(1, txs), [1, 4, 1, 1, 2, 1, 1, 4, 2]);
        assert_eq!(chain.chunk_count(1, txs), 10);
        assert_eq!(chain.chunk_count(0, [l; 9]), 1 + 3);
        assert_eq!(chain.chunk_count(0, [h]), 2);
        // Chunk size 0 is taken as 1.
        assert_eq!(ChainConfig { chain_id: 1, chunk_size: 0 }.chunk_count(0, [l, l]), 3);
        // The list the decoder, the encoder and the executor share: weights and entries.
        let cut = chain.block_cut(1, [l, h, l]);
        let entry = CutChunk { entries: 1, txs: 0, heavy: false };
        let (light, heavy) =
            (CutChunk { entries: 0, txs: 1, heavy: false }, CutChunk { entries: 0, txs: 1, heavy: true });
        assert_eq!(cut, [CutChunk::BEGINNING, entry, light, heavy, light]);
        assert_eq!(chain.block_cut(0, []), []);
        // A hostile header's queue count saturates rather than wraps.
        assert_eq!(chain.chunk_count(u64::MAX, [l, h]), u64::MAX);
    }
}
