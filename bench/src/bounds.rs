//! `rollup bench proof-bounds`: the most expensive fraud proof of each kind that a hostile
//! batcher can make the honest challenger send, at the bounds the inbox and the codec enforce
//! (docs/fraud-proofs.md §7), proven on an anvil that enforces EIP-7825.
//!
//! Every case posts one batch as large as the bounds allow around the chunk at fault: 120,000
//! bytes of data (the inbox's `MAX_DATA_BYTES`), 256 blocks and 256 chunks, a registry of 2,048
//! addresses (the codec's bounds), far-apart timestamps, the chunk at fault first (after its
//! block's beginning, or the beginning itself). Around it,
//! the L2 state holds at least `--leaves` leaves. The challenger's own proof builder
//! (`prove::build`) builds the proof, which is committed and revealed; the report gives the
//! reveal's L1 gas from its receipt. [`PROOF_GAS_BOUND`] is what every case must stay under.

use alloy::{
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    network::TransactionBuilder4844,
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{Context, Result, bail, ensure};
use rollup_devnet::anvil::{Anvil, AnvilConfig};
use rollup_executor::{BlockEnvInput, Executor, TxResult};
use rollup_fraud_proof::{
    derive::{Position, PostedBatch},
    prove::{self, FraudProof},
};
use rollup_l1::{self as l1, InboxParams};
use rollup_types::{
    ChainConfig, FaultKind, RecoveredTx, SignedTx,
    bindings::{BatchInbox, L1Bridge, L2Lending, L2System, TestToken},
    chain::{EIP7825_TX_GAS_CAP, MAX_CHUNK_SIZE, MAX_INPUT_BYTES},
    codec::{self, Batch, BatchBlock, CodecError, MAX_BATCH_BLOCKS, MAX_BATCH_BYTES, MAX_BATCH_CHUNKS, MAX_REGISTRY},
    genesis::{
        DAI, DEV_ACCOUNTS, GenesisOracle, GenesisPool, GenesisSpec, GenesisToken, MAX_ORACLES, USDC, WBTC, WETH,
    },
    keys,
    queue::{self, QueueEntry},
    signer::Signer,
    testing,
    token::TokenCall,
};
use serde::Serialize;
use std::fmt;

/// The gas every fraud proof must stay under at the bounds, against a batcher that grinds
/// [`GROUND_BUDGET`]: a tenth below the 16,777,216 one L1 transaction may use (EIP-7825),
/// docs/fraud-proofs.md §7.
pub use rollup_types::chain::PROOF_GAS_BOUND;

/// Items of the chunk at fault: a full chunk of the largest chunk size an inbox takes.
const ITEMS: usize = MAX_CHUNK_SIZE as usize;

/// How far below the most padding bytes a batch may stay to reach more chunks (a typical
/// transfer's bytes).
const BYTES_SLACK: usize = 250;

/// Timestamp step between blocks: every delta takes a 7-byte varint (the header at its widest
/// that the timestamps' 64 bits allow over 256 blocks).
const TIMESTAMP_STEP: u64 = 1 << 48;

/// The grinding budget of the test and of `rollup bench proof-bounds` by default: 2^80 hashes
/// in all (millions of GPU-years; 80 bits, the usual line of what no one computes),
/// docs/fraud-proofs.md §7.2.
pub const GROUND_BUDGET: f64 = 80.0;

/// The keys of the `create-pool` chunk whose value a batcher picks freely, one hash a
/// candidate: per `createPool`, its sender (the nonce key) and the salts of its two tokens (its
/// balance of each). Everything else the chunk touches follows from them or is fixed.
pub const FREE_KEYS: usize = 3 * ITEMS;

/// The share of the budget a grinder spends on its stream of candidate leaves (the rest on
/// candidates for the free keys): the split that buys the most proof gas with the per-level
/// gas measured (docs/fraud-proofs.md §7.2): `47 × 2,338 / (47 × 2,338 + 12 × 1,752)`.
const STREAM_SHARE: f64 = 0.84;

/// Expected excess of the longest shared prefix among `n` random pairs over `log2 n`
/// (`Σ_d 1 - exp(-n 2^-d)` less `log2 n`); the same excess for the deepest sibling level a
/// stream of `n` candidates fills.
const MAX_PREFIX_EXCESS: f64 = 0.33;

/// What a batcher that grinds makes of the state around the keys a chunk touches
/// (docs/fraud-proofs.md §7.2), for the `create-pool-ground` case. The tree does not care how
/// the leaves were found: the bench inserts them directly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grinding {
    /// The budget these levels stand for (log2 of hashes), when they come from one.
    pub budget: Option<f64>,
    /// Every touched key gets a leaf beside it sharing each number of leading bits from 16
    /// to `siblings - 1`: the stream of candidate leaves, which serves every key at once,
    /// fills a non-empty sibling at each of the first `siblings` levels of every path.
    pub siblings: u32,
    /// Each of the [`FREE_KEYS`] gets one leaf sharing exactly `pair` leading bits with it (a
    /// birthday match between its candidates and the stream): its path goes `pair` levels
    /// deep, with empty siblings below the stream's reach. 0: none.
    pub pair: u32,
}

impl Grinding {
    /// What 2^`budget` hashes reach: a stream of `STREAM_SHARE × 2^budget` candidate leaves
    /// fills the siblings of the first `log2 (stream) + 0.33` levels of every touched path,
    /// and `(1 - STREAM_SHARE) × 2^budget / FREE_KEYS` candidates for each free key meet the
    /// stream in a prefix of `log2 (stream × candidates) + 0.33` bits.
    pub fn for_budget(budget: f64) -> Self {
        let stream = budget + STREAM_SHARE.log2();
        let candidates = budget + (1.0 - STREAM_SHARE).log2() - (FREE_KEYS as f64).log2();
        Self {
            budget: Some(budget),
            siblings: (stream + MAX_PREFIX_EXCESS).round().clamp(16.0, 255.0) as u32,
            pair: (stream + candidates + MAX_PREFIX_EXCESS).round().clamp(0.0, 255.0) as u32,
        }
    }
}

impl fmt::Display for Grinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(budget) = self.budget {
            write!(f, "2^{budget} hashes: ")?;
        }
        write!(f, "siblings down to level {}", self.siblings)?;
        if self.pair > 0 {
            write!(f, ", {FREE_KEYS} pairs at {}", self.pair)?;
        }
        Ok(())
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct BoundsBench {
    /// Leaves of the L2 state besides the genesis (random keys).
    pub leaves: usize,
    /// Only the cases whose names contain one of these (all when empty).
    pub cases: Vec<String>,
    /// For the `create-pool-ground` case: the state a grinding batcher reaches around the
    /// chunk's keys.
    pub grinding: Grinding,
}

/// One case's proof.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundsRow {
    /// The case.
    pub case: String,
    /// What the inbox found (`FraudProven`'s fault).
    pub fault: String,
    /// Bytes of the batch data.
    pub data_bytes: usize,
    /// Bytes of its header (before the first chunk).
    pub header_bytes: usize,
    /// Chunks of the batch.
    pub chunks: usize,
    /// State keys the proof's witness covers.
    pub keys: usize,
    /// Bytes of the witness.
    pub witness_bytes: usize,
    /// Bytes of the proof's calldata.
    pub calldata_bytes: usize,
    /// L1 gas of the proof transaction (from its receipt).
    pub proof_gas: u64,
}

/// The rows of a run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundsReport {
    /// Leaves of the state the chunk proofs replay over (before each case's own setup).
    pub state_leaves: usize,
    /// The bound every proof must stay under.
    pub bound: u64,
    /// One row per case.
    pub rows: Vec<BoundsRow>,
}

impl BoundsReport {
    /// The cases whose proof needed [`PROOF_GAS_BOUND`] or more.
    pub fn over_bound(&self) -> Vec<&BoundsRow> {
        self.rows.iter().filter(|r| r.proof_gas >= self.bound).collect()
    }
}

impl fmt::Display for BoundsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| case | proven as | data B | header B | chunks | keys | witness B | proof calldata B | proof gas | of the bound |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|---|---|---|")?;
        for r in &self.rows {
            writeln!(
                f,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} % |",
                r.case,
                r.fault,
                r.data_bytes,
                r.header_bytes,
                r.chunks,
                r.keys,
                r.witness_bytes,
                r.calldata_bytes,
                r.proof_gas,
                100.0 * r.proof_gas as f64 / self.bound as f64
            )?;
        }
        write!(
            f,
            "(state: {} leaves before each case's setup; bound {} gas; EIP-7825 cap {} enforced by anvil)",
            self.state_leaves, self.bound, EIP7825_TX_GAS_CAP
        )
    }
}

/// The cases, each the worst of its kind (docs/fraud-proofs.md §7.3).
const CASES: [&str; 31] = [
    "header-lie",
    "beginning",
    "beginning-ground",
    "header-undecodable",
    "chunk-oversized",
    "chunk-undecodable",
    "chunk-inadmissible",
    "transfer",
    "swap",
    "swap-path",
    "create-pool",
    "create-pool-ground",
    "add-liquidity",
    "remove-liquidity",
    "create-token",
    "create-token-long-symbol",
    "withdraw",
    "token-transfer-from",
    "token-approve",
    "ether-transfer",
    "borrow",
    "borrow-ground",
    "withdraw-supply",
    "withdraw-supply-ground",
    "liquidate",
    "liquidate-ground",
    "deposits",
    "forced-create-pool",
    "forced-unreadable",
    "blob-segment",
    "blob-roots",
];

/// The chain every case runs: chunks of the largest size an inbox takes.
const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: MAX_CHUNK_SIZE };

/// The L1, the accounts, and the L2 state every case starts from.
struct World {
    url: url::Url,
    batcher: DynProvider,
    prover: DynProvider,
    prover_address: Address,
    user: DynProvider,
    user_address: Address,
    base: Executor,
    /// The genesis the base was laid out from, and the random leaves beside it.
    genesis: GenesisSpec,
    leaves: usize,
    /// Senders of the chunk at fault, funded at genesis.
    senders: Vec<Signer>,
    /// Owners that approve the senders (token calls), funded at genesis.
    owners: Vec<Signer>,
    /// Signs the transactions around the chunk at fault.
    padder: Signer,
}

/// The chunk at fault of a case, and what the post says (the state before the batch comes
/// beside it).
struct Prepared {
    txs: Vec<SignedTx>,
    /// Forced transactions to queue on the L1 bridge (the chunk's items).
    forced: Vec<Bytes>,
    /// Whether the chunk's items are sixteen first deposits of new L1 tokens.
    deposits: bool,
    /// A change made to the encoded data before posting (undecodable cases).
    corrupt: Option<Corruption>,
    /// Post the last block one too high (a header lie).
    lie_last_block: bool,
    /// The fault is the root of the block's beginning (its chunk 0), not of its items.
    beginning: bool,
}

/// The key `k` with bit `i` inverted: it shares exactly `i` leading bits with `k`.
fn near(k: &B256, i: u32) -> B256 {
    let mut near = *k;
    near.0[i as usize / 8] ^= 0x80 >> (i % 8);
    near
}

/// How an undecodable case spoils the data the encoder wrote.
#[derive(Clone, Copy, Debug)]
enum Corruption {
    /// One byte more than the chunk lengths cover: `trailing_bytes` in the header.
    TrailingByte,
    /// The inline bit on the head of the chunk's last transaction, raw calldata `len` bytes
    /// long, which has no address to write inline (docs/batch-codec.md §3.3).
    LastHead { len: usize },
    /// In place of the whole batch, one block of one transaction whose one chunk is all the
    /// data left, zeros (issue 38's first attack: before the codec's bounds, its proof grew
    /// with the square of the chunk and passed the cap from 700 kB on).
    OversizedChunk,
}

/// The header of [`Corruption::OversizedChunk`]'s data: everything before its one chunk of
/// bytes.
const OVERSIZED_HEADER_BYTES: usize = 16;

impl Corruption {
    fn apply(self, data: &mut Vec<u8>, header: &codec::Header) {
        match self {
            Self::TrailingByte => data.push(0),
            Self::LastHead { len } => data[header.chunks[1].bytes.end - len] |= 0x80,
            Self::OversizedChunk => {
                // Version, zero defaults, block 1, timestamp 0, one block (delta 0, no entry,
                // one transaction, price 0), no registry, the beginning's length 0, then the
                // transaction chunk's length as a three-byte varint and the chunk.
                let len = MAX_BATCH_BYTES - OVERSIZED_HEADER_BYTES;
                let mut out = vec![codec::VERSION, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0];
                out.extend([(len & 0x7f) as u8 | 0x80, ((len >> 7) & 0x7f) as u8 | 0x80, (len >> 14) as u8]);
                out.resize(MAX_BATCH_BYTES, 0);
                *data = out;
            }
        }
    }
}

fn signer(label: &str, i: usize) -> Result<Signer> {
    Signer::new(&keccak256(format!("proof bounds {label} {i}"))).map_err(|_| anyhow::anyhow!("bad derived key"))
}

fn fresh(label: &str, i: usize) -> Address {
    Address::from_word(keccak256(format!("proof bounds fresh {label} {i}")))
}

async fn call(provider: &DynProvider, to: Address, input: Vec<u8>) -> Result<TransactionReceipt> {
    Ok(l1::send_ok(provider, TransactionRequest::default().with_to(to).with_input(input), "a call").await?)
}

/// Executes `txs` over `exec` as one block and requires each to succeed.
fn setup(exec: &mut Executor, queue: &[QueueEntry], txs: &[SignedTx]) -> Result<()> {
    let recovered: Vec<RecoveredTx> =
        txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN)).collect::<Result<_, _>>()?;
    let block = exec.execute_block_with_queue(
        BlockEnvInput { number: 0, timestamp: 0, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE },
        queue,
        &recovered,
    );
    for (i, r) in block.results.iter().enumerate() {
        match r {
            TxResult::Executed(o) if o.status == rollup_types::block::TxStatus::Success => {}
            other => bail!("setup transaction {i} did not succeed: {other:?}"),
        }
    }
    Ok(())
}

fn units(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

/// The two tokens sender `i` creates for itself (symbols of 31 bytes: the widest metadata).
fn own_tokens(s: &Signer, i: usize) -> [(B256, Address); 2] {
    [0u8, 1].map(|k| {
        let salt = keccak256(format!("proof bounds token {i} {k}"));
        (salt, keys::new_token(&s.address(), &salt))
    })
}

fn create_token(s: &Signer, nonce: u64, salt: B256, symbol: String) -> SignedTx {
    let call = L2System::createTokenCall { salt, symbol, decimals: 18, supply: units(1_000_000_000) };
    s.eip1559(CHAIN.chain_id, nonce, call.abi_encode().into())
}

fn symbol31(i: usize, k: usize) -> String {
    format!("B{i:02}{k}{}", "X".repeat(27))
}

/// A `createToken` whose symbol is the longest an admissible input carries: 832 bytes of
/// four-byte UTF-8 (which the verifier checks character by character before the logic
/// refuses a symbol over 31 bytes).
fn long_symbol_token(s: &Signer, i: usize) -> SignedTx {
    // The symbol's words follow 164 bytes of selector, head words and length.
    let symbol = "\u{1D11E}".repeat((MAX_INPUT_BYTES - 164) / 32 * 32 / 4);
    let call = L2System::createTokenCall {
        salt: keccak256(format!("long {i}")),
        symbol,
        decimals: 18,
        supply: U256::from(1u8),
    };
    s.eip1559(CHAIN.chain_id, 0, call.abi_encode().into())
}

/// The trace of `txs` as the first chunk of items of block 1, after its block's beginning: the
/// chunk at fault of the cases that check or grind its keys.
fn trace_after_beginning(pre: &Executor, txs: &[SignedTx]) -> Result<rollup_executor::Trace> {
    let recovered: Vec<RecoveredTx> =
        txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN)).collect::<Result<_, _>>()?;
    let env =
        BlockEnvInput { number: 1, timestamp: TIMESTAMP_STEP, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE };
    let mut begun = pre.clone();
    begun.execute_beginning(env);
    Ok(begun.trace_chunk(env, &[], &recovered))
}

/// The money market's assets in the order of the lending cases' senders: sender 0 takes USDC,
/// the market block 1's beginning accrues (its turn comes first), which spreads its cash
/// evenly over the eight shards (docs/lending.md §3); the others take markets whose cash stays
/// in the shards it was supplied to.
const MARKETS: [Address; 4] = [USDC, WETH, DAI, WBTC];

/// Blocks the `liquidate` case's setup begins after its swap, 2^32 seconds apart: every
/// sample weighs the 12-second cap, so that 150 of them fill the oracle's 30-minute window
/// and the window turns over to the new price (docs/lending.md §4); ten more let the truncated
/// samples (1 % a weighed second) catch up first.
const ORACLE_BLOCKS: u64 = 160;

/// `n` millionths of a whole `asset` (the devnet's decimals: USDC 6, WBTC 8, the others 18).
fn micro(asset: Address, n: u64) -> U256 {
    let decimals: u8 = if asset == USDC {
        6
    } else if asset == WBTC {
        8
    } else {
        18
    };
    U256::from(n) * U256::from(10u64).pow(U256::from(decimals - 6))
}

/// `n` whole `asset`.
fn whole(asset: Address, n: u64) -> U256 {
    micro(asset, n * 1_000_000)
}

/// What the lending cases leave in every shard and every position: a thousandth of a unit
/// (WBTC: a hundred-thousandth, 0.6 USDC).
fn dust(asset: Address) -> U256 {
    micro(asset, if asset == WBTC { 10 } else { 1_000 })
}

/// The first of the signers `label 0`, `label 1`, … whose address falls in `shard` of the
/// money market (the low three bits).
fn in_shard(label: &str, shard: u64) -> Result<Signer> {
    for i in 0..1_000 {
        let s = signer(label, i)?;
        if keys::shard_of(&s.address()) == shard {
            return Ok(s);
        }
    }
    bail!("no {label} in shard {shard}")
}

/// `input` to the system contract as `s`'s transaction of nonce `nonce`, which is counted on.
fn next(s: &Signer, nonce: &mut u64, input: Vec<u8>) -> SignedTx {
    *nonce += 1;
    s.eip1559(CHAIN.chain_id, *nonce - 1, input.into())
}

/// Sends `who` one ether (fees) and `tokens` from `owner`.
fn fund(owner: &Signer, nonce: &mut u64, who: Address, tokens: &[(Address, U256)]) -> Vec<SignedTx> {
    *nonce += 1;
    let mut txs = vec![owner.eip1559_ether(CHAIN.chain_id, *nonce - 1, who, units(1))];
    for &(token, amount) in tokens {
        txs.push(next(owner, nonce, L2System::transferCall { token, to: who, amount }.abi_encode()));
    }
    txs
}

impl World {
    async fn new(anvil: &Anvil, leaves: usize) -> Result<Self> {
        let url: url::Url = anvil.url().parse()?;
        let (batcher, _, _) = l1::signing_provider(&url, &DEV_ACCOUNTS[1].private_key)?;
        let (prover, _, prover_address) = l1::signing_provider(&url, &DEV_ACCOUNTS[2].private_key)?;
        let (user, _, user_address) = l1::signing_provider(&url, &DEV_ACCOUNTS[3].private_key)?;
        let senders: Vec<Signer> = (0..ITEMS).map(|i| signer("sender", i)).collect::<Result<_>>()?;
        let owners: Vec<Signer> = (0..ITEMS).map(|i| signer("owner", i)).collect::<Result<_>>()?;
        let genesis = GenesisSpec::devnet().with_funded(senders.iter().chain(&owners).map(Signer::address));
        let base = Self::base(&genesis, leaves, Vec::new()).await?;
        Ok(Self {
            url,
            batcher,
            prover,
            prover_address,
            user,
            user_address,
            base,
            genesis,
            leaves,
            senders,
            owners,
            padder: signer("padder", 0)?,
        })
    }

    /// The genesis with `leaves` random leaves (the tree's depth is what a witness pays for)
    /// and the `extra` ones.
    async fn base(genesis: &GenesisSpec, leaves: usize, extra: Vec<B256>) -> Result<Executor> {
        let genesis = genesis.clone();
        let filler = (0..leaves as u64)
            .map(|i| keccak256(i.to_be_bytes()))
            .chain(extra)
            .map(|k| (U256::from_be_bytes(k.0), U256::from(1u8)));
        Ok(tokio::task::spawn_blocking(move || Executor::genesis_with_slots(CHAIN, &genesis, filler)).await??)
    }

    /// `create-pool` over the state a grinding batcher reaches (docs/fraud-proofs.md §7.2):
    /// every key the chunk touches has a leaf beside it sharing each number of leading bits
    /// from 16 to `siblings - 1` (a non-empty sibling at every level the stream fills), and
    /// each free key (a sender's nonce, its balance of each of its tokens) one more sharing
    /// exactly `pair` bits with it (its birthday match), so that its path goes `pair` levels
    /// deep with empty siblings below the stream's reach.
    async fn ground(&self, grinding: Grinding) -> Result<(Executor, Prepared)> {
        let (pre, prepared) = self.prepare(&self.base, "create-pool")?;
        let keys = trace_after_beginning(&pre, &prepared.txs)?.keys;
        let mut beside: Vec<B256> =
            keys.iter().flat_map(|k| (16..grinding.siblings.min(255)).map(move |i| near(k, i))).collect();
        if grinding.pair > 0 {
            let free: Vec<B256> = self
                .senders
                .iter()
                .enumerate()
                .flat_map(|(i, s)| {
                    let [(_, a), (_, b)] = own_tokens(s, i);
                    [keys::nonce(&s.address()), keys::balance(&a, &s.address()), keys::balance(&b, &s.address())]
                })
                .collect();
            ensure!(
                free.len() == FREE_KEYS && free.iter().all(|k| keys.contains(k)),
                "the chunk touches its free keys"
            );
            beside.extend(free.iter().map(|k| near(k, grinding.pair.min(255))));
        }
        let base = Self::base(&self.genesis, self.leaves, beside).await?;
        self.prepare(&base, "create-pool")
    }

    /// A heavy case (`borrow`, `withdraw-supply`, `liquidate`) over the state a grinding batcher
    /// reaches around the keys of its chunk at fault, which holds its first transaction alone
    /// (docs/batch-codec.md §3.1): a leaf beside each at every level from 16 to `siblings - 1`,
    /// and beside the sender's nonce one more sharing `pair` bits (the sender is the chunk's one
    /// free parameter: its positions, balances and nonce all follow from it, and a parameter
    /// buys one deep path, docs/fraud-proofs.md §7.2).
    async fn ground_heavy(&self, case: &str, grinding: Grinding) -> Result<(Executor, Prepared)> {
        let (pre, prepared) = self.prepare(&self.base, case)?;
        let first = prepared.txs.first().context("a heavy case has a chunk")?;
        ensure!(codec::is_heavy(first), "{case}: its chunk at fault is one heavy transaction");
        let keys = trace_after_beginning(&pre, std::slice::from_ref(first))?.keys;
        let mut beside: Vec<B256> =
            keys.iter().flat_map(|k| (16..grinding.siblings.min(255)).map(move |i| near(k, i))).collect();
        if grinding.pair > 0 {
            let sender = first.recover_sender()?;
            beside.push(near(&keys::nonce(&sender), grinding.pair.min(255)));
        }
        let base = Self::base(&self.genesis, self.leaves, beside).await?;
        self.prepare(&base, case)
    }

    /// The `beginning` case over the state a grinding batcher reaches around the beginning's
    /// keys, with the most oracles a genesis lays out: the devnet's genesis and five more tokens,
    /// each with a pool against USDC and an oracle ([`MAX_ORACLES`]), all sampled by every
    /// beginning (docs/lending.md §4), then the devnet's first market accrued in its turn (§3:
    /// twenty keys, as any market's). The beginning's keys are all fixed (no free parameter):
    /// the grinding gives each a leaf beside it at every level from 16 to `siblings - 1`.
    async fn ground_beginning(&self, grinding: Grinding) -> Result<(Executor, Prepared)> {
        let mut genesis = self.genesis.clone();
        for i in 0..MAX_ORACLES - genesis.oracles.len() {
            let address = Address::from_word(keccak256(format!("proof bounds oracle token {i}")));
            genesis.tokens.push(GenesisToken { address, symbol: format!("O{i}"), decimals: 18, per_account: 1_000 });
            genesis.pools.push(GenesisPool { token_a: address, amount_a: 1_000, token_b: USDC, amount_b: 2_000 });
            genesis.oracles.push(GenesisOracle { asset: address, via: None });
        }
        let env = BlockEnvInput {
            number: 1,
            timestamp: TIMESTAMP_STEP,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        };
        let keys = Self::base(&genesis, self.leaves, Vec::new()).await?.trace_chunk(env, &[], &[]).keys;
        let beside = keys.iter().flat_map(|k| (16..grinding.siblings.min(255)).map(move |i| near(k, i))).collect();
        let base = Self::base(&genesis, self.leaves, beside).await?;
        self.prepare(&base, "beginning")
    }

    /// The chunk of `borrow` or `withdraw-supply`, after its setup. Its four senders are of
    /// their own, sender `k` in shard `k` of the money market, and each pays out of market
    /// `MARKETS[k]` more than the shards its payout passes hold before the last (docs/lending.md
    /// §3: its own shard, then the next in turn): every payout reads the cash of all eight
    /// shards and takes from each, 32 cash keys. Sender 0's USDC is spread evenly by the block's
    /// beginning: it pays out more than seven eighths of that market's cash. The other markets'
    /// cash stays where it was supplied: dust in every shard (the cash earlier accruals spread),
    /// and the bulk as the collateral of sender `k - 1`, in shard `k - 1`, the last of sender
    /// `k`'s walk. Every sender holds a supply and a debt in every market, which the health
    /// check after the payout prices.
    fn lending(&self, pre: &mut Executor, case: &str) -> Result<Vec<SignedTx>> {
        let senders: Vec<Signer> = (0..ITEMS as u64).map(|shard| in_shard("lender", shard)).collect::<Result<_>>()?;
        let withdraw = case == "withdraw-supply";
        let mut txs = Vec::new();
        for (k, owner) in self.owners.iter().enumerate() {
            let mut nonce = 0;
            let tokens = [
                (WETH, whole(WETH, 10)),
                (USDC, whole(USDC, 100_000)),
                (DAI, whole(DAI, 100_000)),
                (WBTC, whole(WBTC, 2)),
            ];
            txs.extend(fund(owner, &mut nonce, senders[k].address(), &tokens));
            let asset = MARKETS[k];
            for shard in 0..8 {
                let call = L2System::transferCall { token: asset, to: keys::shard_account(shard), amount: dust(asset) };
                txs.push(next(owner, &mut nonce, call.abi_encode()));
            }
        }
        // Sender k's collateral, in market k + 1 (sender 3's in USDC, which the beginning spreads).
        let collateral = [whole(WETH, 1), whole(DAI, 10_000), whole(WBTC, 1), whole(USDC, 1_000)];
        // What sender k pays out in the chunk: a borrow of more than the shards before the last
        // of its walk hold (sender 0: 950 of the 1,000 USDC spread), or the withdrawal of a
        // supply whose cash is no longer in its shard (sender 0: 19,000 of its 20,000 USDC, of
        // the 21,000 spread; the others borrowed theirs back out of their own shard).
        let amounts = if withdraw {
            [whole(USDC, 19_000), micro(WETH, 500_000), whole(DAI, 1_000), micro(WBTC, 10_000)]
        } else {
            [whole(USDC, 950), micro(WETH, 500_000), whole(DAI, 5_000), micro(WBTC, 10_000)]
        };
        let mut nonces = [0u64; ITEMS];
        for (k, sender) in senders.iter().enumerate() {
            let nonce = &mut nonces[k];
            for asset in MARKETS {
                let amount = dust(asset) * U256::from(2u8);
                txs.push(next(sender, nonce, L2Lending::supplyCall { asset, amount }.abi_encode()));
                txs.push(next(sender, nonce, L2Lending::borrowCall { asset, amount: dust(asset) }.abi_encode()));
            }
            let call = L2Lending::supplyCall { asset: MARKETS[(k + 1) % MARKETS.len()], amount: collateral[k] };
            txs.push(next(sender, nonce, call.abi_encode()));
            if withdraw {
                let asset = MARKETS[k];
                if k == 0 {
                    txs.push(next(
                        sender,
                        nonce,
                        L2Lending::supplyCall { asset, amount: whole(USDC, 20_000) }.abi_encode(),
                    ));
                } else {
                    let amount = amounts[k];
                    txs.push(next(sender, nonce, L2Lending::supplyCall { asset, amount }.abi_encode()));
                    txs.push(next(sender, nonce, L2Lending::borrowCall { asset, amount }.abi_encode()));
                }
            }
        }
        setup(pre, &[], &txs)?;
        let chunk: Vec<SignedTx> = senders
            .iter()
            .zip(&mut nonces)
            .enumerate()
            .map(|(k, (sender, nonce))| {
                let (asset, amount) = (MARKETS[k], amounts[k]);
                let input = if withdraw {
                    L2Lending::withdrawSupplyCall { asset, amount }.abi_encode()
                } else {
                    L2Lending::borrowCall { asset, amount }.abi_encode()
                };
                next(sender, nonce, input)
            })
            .collect();
        let walks =
            MARKETS.iter().flat_map(|asset| (0..8).map(|shard| keys::balance(asset, &keys::shard_account(shard))));
        Self::check(pre, &chunk, walks.collect())?;
        Ok(chunk)
    }

    /// The chunk of `liquidate`, after its setup: four liquidators (in shards 0 to 3) each
    /// liquidate a borrower of their own (in shards 4 to 7) that supplied 10 WETH and borrowed
    /// 23,000 USDC, 100 DAI and 0.001 WBTC against it at the genesis price (3,000 USDC), within
    /// its borrowing power (82.5 %: 24,750). Then 200 WETH sold into the WETH/USDC pool drop its
    /// price by about 30 %, and [`ORACLE_BLOCKS`] beginnings carry the oracle's mean there: the
    /// borrower's health falls under the 0.95 that lets a liquidation repay a whole debt.
    /// Repaying its USDC takes all its WETH (worth less than the debt and the bonus), which
    /// leaves debts without collateral: they are written off, and the liquidation touches the
    /// borrower's position and shard totals in all four markets (which `check` requires: only
    /// the write-off touches the DAI and WBTC shards).
    fn liquidation(&self, pre: &mut Executor) -> Result<Vec<SignedTx>> {
        let liquidators: Vec<Signer> =
            (0..ITEMS as u64).map(|shard| in_shard("lender", shard)).collect::<Result<_>>()?;
        let borrowers: Vec<Signer> =
            (0..ITEMS as u64).map(|shard| in_shard("borrower", 4 + shard)).collect::<Result<_>>()?;
        let mut txs = Vec::new();
        let mut owner_nonces = [0u64; ITEMS];
        for (k, owner) in self.owners.iter().enumerate() {
            let nonce = &mut owner_nonces[k];
            txs.extend(fund(owner, nonce, liquidators[k].address(), &[(USDC, whole(USDC, 50_000))]));
            txs.extend(fund(owner, nonce, borrowers[k].address(), &[(WETH, whole(WETH, 10))]));
            // The markets' cash the borrowers borrow.
            for (asset, amount) in [(USDC, whole(USDC, 30_000)), (DAI, whole(DAI, 1_000)), (WBTC, micro(WBTC, 100_000))]
            {
                txs.push(next(owner, nonce, L2Lending::supplyCall { asset, amount }.abi_encode()));
            }
        }
        for borrower in &borrowers {
            let mut nonce = 0;
            txs.push(next(
                borrower,
                &mut nonce,
                L2Lending::supplyCall { asset: WETH, amount: whole(WETH, 10) }.abi_encode(),
            ));
            for (asset, amount) in [(USDC, whole(USDC, 23_000)), (DAI, whole(DAI, 100)), (WBTC, micro(WBTC, 1_000))] {
                txs.push(next(borrower, &mut nonce, L2Lending::borrowCall { asset, amount }.abi_encode()));
            }
        }
        for (k, owner) in self.owners.iter().enumerate() {
            let call = L2System::swapCall {
                tokenIn: WETH,
                tokenOut: USDC,
                amountIn: whole(WETH, 50),
                minAmountOut: U256::from(1u8),
            };
            txs.push(next(owner, &mut owner_nonces[k], call.abi_encode()));
        }
        setup(pre, &[], &txs)?;
        // Blocks 2^32 seconds apart (the batch's own steps are multiples of 2^32): each sample
        // weighs the 12-second cap, and the markets' accrual clocks, which keep a timestamp's
        // low 32 bits, stay unstarted, as over the batch: no interest. The batch then starts at
        // block 1 again, a block the fee state is not in, which its beginning enters.
        for number in 1..=ORACLE_BLOCKS {
            pre.execute_beginning(BlockEnvInput {
                number,
                timestamp: number << 32,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
            });
        }
        let chunk: Vec<SignedTx> = liquidators
            .iter()
            .zip(&borrowers)
            .map(|(liquidator, borrower)| {
                let call = L2Lending::liquidateCall {
                    borrower: borrower.address(),
                    debtAsset: USDC,
                    collateralAsset: WETH,
                    amount: U256::MAX,
                    minCollateral: U256::from(1u8),
                };
                liquidator.eip1559(CHAIN.chain_id, 0, call.abi_encode().into())
            })
            .collect();
        // The repayment, the seizure and the write-offs touch the borrower's shard of every market.
        let shards = borrowers.iter().flat_map(|b| (0..4).map(|i| keys::market_shard(i, keys::shard_of(&b.address()))));
        Self::check(pre, &chunk, shards.collect())?;
        Ok(chunk)
    }

    /// Requires every transaction of `chunk` to succeed after block 1's beginning over `pre`,
    /// and the chunk to touch each of `expected`.
    fn check(pre: &Executor, chunk: &[SignedTx], expected: Vec<B256>) -> Result<()> {
        let trace = trace_after_beginning(pre, chunk)?;
        for (i, r) in trace.results.iter().enumerate() {
            match r {
                TxResult::Executed(o) if o.status == rollup_types::block::TxStatus::Success => {}
                other => bail!("chunk transaction {i} did not succeed: {other:?}"),
            }
        }
        let missing = expected.iter().filter(|k| trace.keys.binary_search(k).is_err()).count();
        ensure!(missing == 0, "the chunk does not touch {missing} of the {} keys expected", expected.len());
        Ok(())
    }

    /// Deploys a fresh inbox (and bridge) whose genesis is `pre_root`.
    async fn deploy(&self, pre_root: B256) -> Result<rollup_devnet::Deployment> {
        let params = InboxParams {
            batcher: DEV_ACCOUNTS[1].address,
            challenge_window: 3_600,
            stake: U256::from(10u64).pow(U256::from(17u8)),
            genesis_state_root: pre_root,
            // The cases' states are built off-chain and nothing is withdrawn: no ether locked.
            genesis_ether: U256::ZERO,
            chunk_size: CHAIN.chunk_size,
            l2_chain_id: CHAIN.chain_id,
            // Room for the cases' own deposits and forced transactions before the post.
            inclusion_window: 10_000,
            freeze_delay: 20_000,
        };
        rollup_devnet::deploy(&self.url, &DEV_ACCOUNTS[0].private_key, &params).await
    }

    /// The state before the batch and the chunk at fault of `case` (computed locally; queue
    /// entries are put on the L1 bridge by [`Self::queue`] once the inbox is deployed).
    fn prepare(&self, base: &Executor, case: &str) -> Result<(Executor, Prepared)> {
        let mut pre = base.clone();
        let s = &self.senders;
        let chain = CHAIN.chain_id;
        let prepared = |txs: Vec<SignedTx>| Prepared {
            txs,
            forced: Vec::new(),
            deposits: false,
            corrupt: None,
            lie_last_block: false,
            beginning: false,
        };
        let tokens = [WETH, USDC, DAI, WBTC];
        // Sender i's two tokens of its own, and their pool if asked, created in the setup.
        let pools = |pre: &mut Executor, create_pool: bool| -> Result<Vec<[Address; 2]>> {
            let mut txs = Vec::new();
            let mut pairs = Vec::new();
            for (i, sender) in s.iter().enumerate() {
                let [(sa, a), (sb, b)] = own_tokens(sender, i);
                txs.push(create_token(sender, 0, sa, symbol31(i, 0)));
                txs.push(create_token(sender, 1, sb, symbol31(i, 1)));
                if create_pool {
                    let call =
                        L2System::createPoolCall { tokenA: a, tokenB: b, amountA: units(1_000), amountB: units(2_000) };
                    txs.push(sender.eip1559(chain, 2, call.abi_encode().into()));
                }
                pairs.push([a, b]);
            }
            setup(pre, &[], &txs)?;
            Ok(pairs)
        };
        // Sender i's call `input` after the setup's `after` transactions of its own.
        let each = |after: u64, input: &dyn Fn(usize) -> Vec<u8>| -> Vec<SignedTx> {
            s.iter().enumerate().map(|(i, sender)| sender.eip1559(chain, after, input(i).into())).collect()
        };
        let out = match case {
            "header-lie" | "beginning" | "transfer" | "header-undecodable" | "blob-segment" | "blob-roots" => {
                let mut p = prepared(each(0, &|i| {
                    L2System::transferCall { token: tokens[i % 4], to: fresh("to", i), amount: U256::from(1u8) }
                        .abi_encode()
                }));
                p.lie_last_block = case == "header-lie";
                p.beginning = case == "beginning";
                if case == "header-undecodable" {
                    p.corrupt = Some(Corruption::TrailingByte);
                }
                p
            }
            "chunk-oversized" => Prepared { corrupt: Some(Corruption::OversizedChunk), ..prepared(Vec::new()) },
            "chunk-undecodable" | "chunk-inadmissible" => {
                // Distinct fills give distinct gas limits and fees: only the first takes the
                // batch's defaults, the others write theirs out at their widest.
                let txs: Vec<SignedTx> =
                    (0..ITEMS).map(|i| testing::widest_tx(&self.padder, &CHAIN, 0x81 + 2 * i as u8)).collect();
                // The last one's bytes: raw calldata (no registry reference), its gas limit and
                // non-zero fees written out, which is what the L1 data fee bills.
                let last = txs.last().ok_or_else(|| anyhow::anyhow!("no transaction"))?;
                let len = codec::billed_bytes(last) as usize;
                let mut p = prepared(txs);
                if case == "chunk-undecodable" {
                    p.corrupt = Some(Corruption::LastHead { len });
                }
                p
            }
            "swap" | "add-liquidity" | "remove-liquidity" => {
                let pairs = pools(&mut pre, true)?;
                prepared(each(3, &|i| {
                    let [a, b] = pairs[i];
                    match case {
                        "swap" => L2System::swapCall {
                            tokenIn: a,
                            tokenOut: b,
                            amountIn: units(1),
                            minAmountOut: U256::from(1u8),
                        }
                        .abi_encode(),
                        "add-liquidity" => L2System::addLiquidityCall {
                            tokenA: a,
                            tokenB: b,
                            amountADesired: units(10),
                            amountBDesired: units(20),
                            minLiquidity: U256::from(1u8),
                        }
                        .abi_encode(),
                        _ => L2System::removeLiquidityCall {
                            tokenA: a,
                            tokenB: b,
                            liquidity: units(100),
                            minAmountA: U256::from(1u8),
                            minAmountB: U256::from(1u8),
                        }
                        .abi_encode(),
                    }
                }))
            }
            "swap-path" => {
                // The longest path, through four pools of the sender's own (each a key no other
                // sender touches), and the widest deadline.
                let mut txs = Vec::new();
                let mut paths = Vec::new();
                for (i, sender) in s.iter().enumerate() {
                    let mut path = Vec::new();
                    for k in 0..usize::from(rollup_types::ops::MAX_PATH) {
                        let salt = keccak256(format!("proof bounds path {i} {k}"));
                        txs.push(create_token(sender, k as u64, salt, symbol31(i, k)));
                        path.push(keys::new_token(&sender.address(), &salt));
                    }
                    for (k, pair) in path.windows(2).enumerate() {
                        let call = L2System::createPoolCall {
                            tokenA: pair[0],
                            tokenB: pair[1],
                            amountA: units(1_000),
                            amountB: units(2_000),
                        };
                        txs.push(sender.eip1559(chain, (path.len() + k) as u64, call.abi_encode().into()));
                    }
                    paths.push(path);
                }
                setup(&mut pre, &[], &txs)?;
                let after = (2 * paths[0].len() - 1) as u64;
                prepared(each(after, &|i| {
                    L2System::swapPathCall {
                        path: paths[i].clone(),
                        amountIn: units(1),
                        minAmountOut: U256::from(1u8),
                        deadline: U256::MAX,
                    }
                    .abi_encode()
                }))
            }
            "create-pool" | "forced-create-pool" => {
                let pairs = pools(&mut pre, false)?;
                let txs = each(2, &|i| {
                    let [a, b] = pairs[i];
                    L2System::createPoolCall { tokenA: a, tokenB: b, amountA: units(1_000), amountB: units(3_000) }
                        .abi_encode()
                });
                if case == "create-pool" {
                    prepared(txs)
                } else {
                    Prepared { forced: txs.iter().map(|t| Bytes::from(t.encoded())).collect(), ..prepared(Vec::new()) }
                }
            }
            "forced-unreadable" => Prepared {
                // The longest entry the bridge queues: 1,536 bytes that are no transaction.
                forced: (0..ITEMS).map(|i| Bytes::from(vec![0xf0 | (i as u8 & 0x0f); 1_536])).collect(),
                ..prepared(Vec::new())
            },
            "deposits" => Prepared { deposits: true, ..prepared(Vec::new()) },
            "create-token" => prepared(
                s.iter()
                    .enumerate()
                    .map(|(i, sender)| create_token(sender, 0, own_tokens(sender, i)[0].0, symbol31(i, 0)))
                    .collect(),
            ),
            "create-token-long-symbol" => {
                prepared(s.iter().enumerate().map(|(i, sender)| long_symbol_token(sender, i)).collect())
            }
            "withdraw" => {
                // Each sender holds a bridged token of its own (deposits in the setup).
                let entries: Vec<QueueEntry> = s
                    .iter()
                    .enumerate()
                    .map(|(i, sender)| QueueEntry {
                        index: i as u64,
                        from: DEV_ACCOUNTS[3].address,
                        l1_block: 1,
                        item: queue::QueueItem::Deposit {
                            to: sender.address(),
                            l1_token: fresh("l1 token", i),
                            amount: units(100),
                            meta: U256::from_be_bytes(B256::right_padding_from(b"BRIDGED").0) | U256::from(18u8),
                        },
                    })
                    .collect();
                setup(&mut pre, &entries, &[])?;
                prepared(each(0, &|i| {
                    L2System::withdrawCall {
                        l2Token: keys::bridged_token(&fresh("l1 token", i)),
                        l1Recipient: fresh("l1 recipient", i),
                        amount: units(1),
                    }
                    .abi_encode()
                }))
            }
            "token-transfer-from" | "token-approve" => {
                let on = |i: usize| tokens[i % 4];
                if case == "token-transfer-from" {
                    let approve: Vec<SignedTx> = self
                        .owners
                        .iter()
                        .enumerate()
                        .map(|(i, owner)| {
                            let call = TokenCall::Approve { spender: s[i].address(), amount: units(1_000) };
                            owner.eip1559_to(chain, 0, on(i), call.encode().into())
                        })
                        .collect();
                    setup(&mut pre, &[], &approve)?;
                }
                prepared(
                    s.iter()
                        .enumerate()
                        .map(|(i, sender)| {
                            let call = if case == "token-approve" {
                                TokenCall::Approve { spender: fresh("spender", i), amount: units(5) }
                            } else {
                                TokenCall::TransferFrom {
                                    from: self.owners[i].address(),
                                    to: fresh("to", i),
                                    amount: U256::from(3u8),
                                }
                            };
                            sender.eip1559_to(chain, 0, on(i), call.encode().into())
                        })
                        .collect(),
                )
            }
            "borrow" | "withdraw-supply" => prepared(self.lending(&mut pre, case)?),
            "liquidate" => prepared(self.liquidation(&mut pre)?),
            "ether-transfer" => prepared(
                s.iter()
                    .enumerate()
                    .map(|(i, sender)| sender.eip1559_ether(chain, 0, fresh("to", i), U256::from(1u8)))
                    .collect(),
            ),
            other => bail!("unknown case {other}"),
        };
        Ok((pre, out))
    }

    /// Puts the case's queue entries on the L1 `bridge` and returns them as the bridge's
    /// events describe them.
    async fn queue(&self, prepared: &Prepared, bridge: Address) -> Result<Vec<QueueEntry>> {
        let mut entries = Vec::new();
        let mut collect = |receipt: TransactionReceipt| {
            entries.extend(receipt.inner.logs().iter().filter_map(|l| queue::entry_of_log(&l.inner.data)));
        };
        if prepared.deposits {
            // A first deposit of sixteen L1 tokens: each registers its bridged token.
            for i in 0..ITEMS {
                let symbol = format!("T{i:02}{}", "Y".repeat(28));
                let token = l1::deploy::deploy_test_token(&self.user, &format!("Token {i}"), &symbol, 18).await?;
                call(&self.user, token, TestToken::mintCall { to: self.user_address, amount: units(10) }.abi_encode())
                    .await?;
                call(&self.user, token, TestToken::approveCall { spender: bridge, amount: units(10) }.abi_encode())
                    .await?;
                let deposit =
                    L1Bridge::depositERC20Call { l1Token: token, to: fresh("depositee", i), amount: units(1) };
                collect(call(&self.user, bridge, deposit.abi_encode()).await?);
            }
        }
        for raw in &prepared.forced {
            collect(call(&self.user, bridge, L1Bridge::forceTransactionCall { raw: raw.clone() }.abi_encode()).await?);
        }
        Ok(entries)
    }

    /// Signs `n` padding token calls (`transferFrom` of USDC, two registry addresses each: the
    /// header grows fastest) between `addresses` fresh addresses in turn.
    fn padding(&self, n: usize, addresses: usize) -> Vec<SignedTx> {
        let address = |k: usize| fresh("pad", k % addresses.max(1));
        (0..n)
            .map(|j| {
                let call =
                    TokenCall::TransferFrom { from: address(2 * j), to: address(2 * j + 1), amount: U256::from(1u8) };
                self.padder.eip1559_to(CHAIN.chain_id, j as u64, USDC, call.encode().into())
            })
            .collect()
    }

    /// The batch around the chunk at fault: block 1 is its beginning and that chunk, block 2
    /// holds padding token calls between fresh addresses until the registry holds 2,048 of them,
    /// as many as fit 120,000 bytes and the 256 chunks (every block with items takes one chunk
    /// for its beginning, so one padding block leaves the most chunks for items). Then, while
    /// chunks are left, the last padding calls move to blocks of one each (a beginning and a
    /// chunk, and no byte more: the block table lists every block anyway), so that the batch
    /// reaches 256 chunks too; the other blocks up to 256 are empty.
    fn padded(&self, queue_count: u64, txs: &[SignedTx], max_bytes: usize) -> Result<(Batch, Vec<u8>)> {
        // The block at fault commits the genesis L1 price (within the bound); the padding
        // blocks, whose prices only the header walk reads, the widest there is (10 bytes).
        let block = |number: u64, queue_count: u64, txs: Vec<SignedTx>| BatchBlock {
            number,
            timestamp: number * TIMESTAMP_STEP,
            queue_count,
            l1_byte_price: if number == 1 { rollup_types::fees::MIN_L1_BYTE_PRICE } else { u64::MAX },
            txs,
        };
        let target = block(1, queue_count, txs.to_vec());
        let alone = codec::encode_widest(&Batch { blocks: vec![target.clone()] }, &CHAIN)?;
        let mut registry = codec::decode_header(&alone, &CHAIN)?.registry;
        let usdc = !registry.contains(&USDC);
        registry.dedup();
        let recipients = MAX_REGISTRY as usize - registry.len() - usize::from(usdc);
        // Chunks left for padding items: all but block 1's and block 2's beginning.
        let room = (MAX_BATCH_CHUNKS as usize - 3) * ITEMS;
        let all = self.padding(room, recipients);
        let build_with = |n: usize, singles: usize| -> Result<Option<(Batch, Vec<u8>)>> {
            let (many, ones) = all[..n].split_at(n - singles.min(n));
            let mut blocks = vec![target.clone(), block(2, 0, many.to_vec())];
            blocks.extend((3..=MAX_BATCH_BLOCKS).map(|number| {
                let one = ones.get(number as usize - 3).map(|tx| vec![tx.clone()]).unwrap_or_default();
                block(number, 0, one)
            }));
            let batch = Batch { blocks };
            // At its widest: every address in the registry, the largest header a batch of
            // these transactions can carry, which every chunk proof carries (an honest encoder
            // writes the padding's addresses, each used once, inline), and every gas limit and
            // fee written out.
            match codec::encode_widest(&batch, &CHAIN) {
                Ok(data) if data.len() <= max_bytes => Ok(Some((batch, data))),
                Ok(_) | Err(CodecError::TooLarge(_)) => Ok(None),
                Err(e) => Err(e.into()),
            }
        };
        let build = |n: usize| build_with(n, 0);
        // The most padding that fits.
        let (mut low, mut high) = (0, room);
        let mut best = build(0)?.context("the chunk at fault alone does not fit a batch")?;
        while low < high {
            let mid = low + (high - low).div_ceil(2);
            match build(mid)? {
                Some(found) => {
                    best = found;
                    low = mid;
                }
                None => high = mid - 1,
            }
        }
        // Then the most chunks, and the most bytes with them, within a typical transaction's
        // bytes of the most (the header's bytes cost a proof more than a chunk root): a single
        // moved out of the padding block adds one chunk or two (its beginning, its item, and one
        // chunk fewer in the padding block when its items cross a multiple of four), so a few
        // fewer padding calls or singles more reach 256, or 255.
        let chunks = |data: &[u8]| codec::decode_header(data, &CHAIN).map(|h| h.chunks.len());
        let floor = best.1.len().saturating_sub(BYTES_SLACK);
        let mut most = (chunks(&best.1)?, best.1.len());
        for n in low.saturating_sub(3)..=low {
            for singles in 1..=8.min(n) {
                if let Some(found) = build_with(n, singles)? {
                    let score = (chunks(&found.1)?, found.1.len());
                    if score > most && score.1 >= floor {
                        (most, best) = (score, found);
                    }
                }
            }
        }
        Ok(best)
    }

    async fn run_case(&self, case: &str, grinding: Grinding) -> Result<BoundsRow> {
        let (pre, prepared) = match case {
            "create-pool-ground" => self.ground(grinding).await?,
            "beginning-ground" => self.ground_beginning(grinding).await?,
            "borrow-ground" | "withdraw-supply-ground" | "liquidate-ground" => {
                self.ground_heavy(case.trim_end_matches("-ground"), grinding).await?
            }
            _ => self.prepare(&self.base, case)?,
        };
        let pre_root = pre.state_root();
        // The inbox's genesis is the state before the batch.
        let deployment = self.deploy(pre_root).await?;
        let entries = self.queue(&prepared, deployment.bridge).await?;
        // Room for the byte a trailing-byte case adds.
        let room = MAX_BATCH_BYTES - usize::from(matches!(prepared.corrupt, Some(Corruption::TrailingByte)));
        let (batch, mut data) = self.padded(entries.len() as u64, &prepared.txs, room)?;
        let header = codec::decode_header(&data, &CHAIN)?;
        if let Some(corrupt) = prepared.corrupt {
            corrupt.apply(&mut data, &header);
        }
        let (chunk_count, header_bytes) = match prepared.corrupt {
            Some(Corruption::OversizedChunk) => (2, OVERSIZED_HEADER_BYTES),
            _ => (header.chunks.len(), header.chunks.first().map_or(data.len(), |c| c.bytes.start)),
        };
        // The honest roots of block 1's beginning (chunk 0) and of its items' chunks (chunk 1, the
        // first of them, is the chunk at fault but in the `beginning` case), then any roots for
        // the others.
        let recovered: Vec<RecoveredTx> =
            prepared.txs.iter().filter_map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).ok()).collect();
        let mut after = pre.clone();
        let env = BlockEnvInput {
            number: 1,
            timestamp: TIMESTAMP_STEP,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        };
        let begun = after.execute_beginning(env);
        // Its items' chunks follow the beginning's (a queue entry or a heavy transaction alone).
        let items = after.execute_block_with_queue(env, &entries, &recovered).chunk_roots;
        let honest: Vec<B256> = std::iter::once(begun).chain(items.into_iter().skip(1)).collect();
        let mut chunk_roots: Vec<B256> = (0..chunk_count).map(|c| keccak256(format!("padding root {c}"))).collect();
        for (posted, honest) in chunk_roots.iter_mut().zip(honest) {
            *posted = honest;
        }
        let at = usize::from(!prepared.beginning).min(chunk_count - 1);
        if !prepared.lie_last_block {
            chunk_roots[at] = keccak256(chunk_roots[at]);
        }
        let last = match prepared.corrupt {
            Some(Corruption::OversizedChunk) => 1,
            _ => batch.blocks.last().map_or(1, |b| b.number) + u64::from(prepared.lie_last_block),
        };
        let queue_end = entries.len() as u64;
        let inbox = deployment.batch_inbox;
        l1::deploy::stake(&self.batcher, inbox, deployment.stake).await?;
        let queue_acc = queue::accumulate_all(B256::ZERO, &entries);
        // The blob cases. `blob-segment` posts the data's segment hashes with a blob holding it
        // with a byte of segment 1 (which spans cells 0 and 1) inverted: the widest blob proof;
        // the chunk roots end the blob, as many as fit after the data (218 of the header's 256:
        // a header fault too, which the blob's is found before). `blob-roots` posts the most
        // roots a post may carry (`MAX_BATCH_CHUNKS`), with the data they leave room for, at the
        // end of a blob whose first root is not the posted one: the widest roots proof
        // (docs/fraud-proofs.md §8.8; the data is cut short and the count is not the header's,
        // header faults found after it).
        let (request, read, blob, data) = if case == "blob-segment" || case == "blob-roots" {
            let mut data = data.clone();
            let mut held = data.clone();
            let mut held_roots = chunk_roots.clone();
            if case == "blob-segment" {
                held[codec::SEGMENT_BYTES + 1_000] ^= 0xff;
                held_roots.truncate((rollup_types::blob::PAYLOAD_PER_BLOB - data.len()) / 32);
            } else {
                // The most roots a post may carry, past the header's count (a later fault).
                let most = MAX_BATCH_CHUNKS as usize;
                chunk_roots.extend((chunk_roots.len()..most).map(|c| keccak256(format!("padding root {c}"))));
                held_roots.clone_from(&chunk_roots);
                let room = rollup_types::blob::roots_range(most).start;
                data.truncate(room);
                held.truncate(room);
                held_roots[0] = keccak256(held_roots[0]);
            }
            chunk_roots.truncate(held_roots.len());
            let raw: Bytes = rollup_types::blob::to_blob(&held, &held_roots)?.into();
            let mut blobs = vec![alloy::eips::eip4844::Blob::ZERO; 1];
            blobs[0].copy_from_slice(&raw);
            let sidecar = alloy::eips::eip4844::BlobTransactionSidecar::try_from_blobs_with_settings(
                blobs,
                alloy::eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
            )?;
            let post = BatchInbox::postBatchBlobsCall {
                index: U256::ZERO,
                prevStateRoot: pre_root,
                lastBlock: last,
                queueEnd: queue_end,
                queueAccumulator: queue_acc,
                length: U256::from(data.len()),
                segmentHashes: codec::segment_hashes(&data),
                chunkCount: U256::from(chunk_roots.len()),
                chunkRootsHash: rollup_types::codec::chunk_roots_hash(&chunk_roots),
                stateRoot: *chunk_roots.last().unwrap_or(&pre_root),
            };
            let blob_fee = self.batcher.get_blob_base_fee().await?;
            let request = TransactionRequest::default()
                .with_to(inbox)
                .with_input(post.abi_encode())
                .with_blob_sidecar(alloy::eips::eip7594::BlobTransactionSidecarVariant::Eip4844(sidecar))
                .with_max_fee_per_blob_gas(blob_fee.max(1) * 2);
            let versioned_hash = rollup_fraud_proof::blob::open(&raw, 0, 1)?.versioned_hash;
            let post = rollup_fraud_proof::batch::BlobPost {
                versioned_hash,
                segment_hashes: codec::segment_hashes(&data),
                chunk_roots_hash: rollup_types::codec::chunk_roots_hash(&chunk_roots),
                raw: raw.clone(),
            };
            let read = Bytes::from(rollup_types::blob::payload(&raw, data.len())?);
            chunk_roots = rollup_types::blob::chunk_roots(&raw, chunk_roots.len())?;
            (request, read, Some(post), data)
        } else {
            let post = BatchInbox::postBatchCall {
                index: U256::ZERO,
                prevStateRoot: pre_root,
                lastBlock: last,
                queueEnd: queue_end,
                queueAccumulator: queue_acc,
                data: data.clone().into(),
                chunkRoots: chunk_roots.clone(),
            };
            let request = TransactionRequest::default().with_to(inbox).with_input(post.abi_encode());
            (request, data.clone().into(), None, data)
        };
        // The blob cases' roots read back from the blob: the last is the posted one.
        let posted_state_root = *chunk_roots.last().unwrap_or(&pre_root);
        let posted = l1::send_ok(&self.batcher, request, "posting the batch").await?;
        let posted_batch = PostedBatch {
            index: 0,
            l1_block: posted.block_number.unwrap_or_default(),
            l1_tx_hash: posted.transaction_hash,
            data_hash: codec::data_commitment(&data),
            data: read,
            blob,
            prev_state_root: pre_root,
            state_root: posted_state_root,
            chunk_roots,
            last_block: last,
            queue_end,
            queue: entries,
            queue_acc: B256::ZERO,
        };
        let proof = tokio::task::spawn_blocking(move || prove::build(&pre, Position::GENESIS, &posted_batch)).await??;
        let (keys, witness_bytes) = match &proof {
            FraudProof::Chunk { keys, witness, .. } => (keys.len(), witness.len()),
            FraudProof::Header { .. } | FraudProof::Blob { .. } | FraudProof::BlobRoots { .. } => (0, 0),
        };
        let calldata = proof.calldata();
        let commitment = prove::commitment(self.prover_address, &calldata);
        call(&self.prover, inbox, BatchInbox::commitProofCall { commitment }.abi_encode()).await?;
        let request = TransactionRequest::default().with_to(inbox).with_input(calldata.clone());
        let gas = self
            .prover
            .estimate_gas(request.clone())
            .block(BlockNumberOrTag::Pending.into())
            .await
            .with_context(|| format!("estimating the proof ({})", proof.reason()))?;
        let limit = (gas + gas / 5).min(EIP7825_TX_GAS_CAP).max(gas);
        let proven = l1::send_ok(&self.prover, request.with_gas_limit(limit), "the proof").await?;
        let fault = proven
            .inner
            .logs()
            .iter()
            .find_map(|l| BatchInbox::FraudProven::decode_log_data(&l.inner.data).ok())
            .map(|e| FaultKind::from_u8(e.fault).map_or("unknown", FaultKind::name))
            .context("no FraudProven event")?;
        Ok(BoundsRow {
            case: match case {
                "create-pool-ground" => format!("{case} ({grinding})"),
                "borrow-ground" | "withdraw-supply-ground" | "liquidate-ground" => {
                    format!("{case} (siblings to level {}, 1 pair at {})", grinding.siblings, grinding.pair)
                }
                // The beginning has no free key: no pair.
                "beginning-ground" => format!("{case} ({})", Grinding { pair: 0, ..grinding }),
                _ => case.to_owned(),
            },
            fault: fault.to_owned(),
            data_bytes: data.len(),
            header_bytes,
            chunks: chunk_count,
            keys,
            witness_bytes,
            calldata_bytes: calldata.len(),
            proof_gas: proven.gas_used,
        })
    }
}

impl BoundsBench {
    /// Runs every case (or those asked for) on one anvil that enforces EIP-7825.
    pub async fn run(&self) -> Result<BoundsReport> {
        let anvil = Anvil::spawn(&AnvilConfig {
            // A free port, chosen again if taken before anvil binds it.
            port: 0,
            block_time: None,
            gas_limit: Some(60_000_000),
            state_file: None,
            log_file: None,
        })
        .await?;
        let world = World::new(&anvil, self.leaves).await?;
        let mut rows = Vec::new();
        for case in CASES {
            if !self.cases.is_empty() && !self.cases.iter().any(|c| case.contains(c.as_str())) {
                continue;
            }
            rows.push(world.run_case(case, self.grinding).await.with_context(|| format!("case {case}"))?);
        }
        anvil.stop().await?;
        Ok(BoundsReport { state_leaves: world.base.tree().len(), bound: PROOF_GAS_BOUND, rows })
    }
}

/// The arguments of `rollup bench proof-bounds`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Leaves of the L2 state besides the genesis (random keys): the witness grows with the
    /// tree's depth.
    #[arg(long, default_value_t = 1_000_000)]
    leaves: usize,
    /// Only the cases whose names contain one of these (comma-separated; all by default).
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// The `create-pool-ground` case: the state a batcher that grinds 2^this hashes reaches
    /// (docs/fraud-proofs.md §7.2).
    #[arg(long, default_value_t = GROUND_BUDGET)]
    ground_budget: f64,
    /// Instead of the budget's: a non-empty sibling on every touched path at each level from
    /// 16 to this minus one.
    #[arg(long)]
    ground_siblings: Option<u32>,
    /// Instead of the budget's: the depth of each free key's pair (0: none).
    #[arg(long)]
    ground_pair: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let mut grinding = Grinding::for_budget(args.ground_budget);
        if args.ground_siblings.is_some() || args.ground_pair.is_some() {
            grinding = Grinding {
                budget: None,
                siblings: args.ground_siblings.unwrap_or(grinding.siblings),
                pair: args.ground_pair.unwrap_or(grinding.pair),
            };
        }
        let bench = BoundsBench { leaves: args.leaves, cases: args.cases, grinding };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)?;
        let over = report.over_bound();
        anyhow::ensure!(over.is_empty(), "{} proof(s) at or over the bound: {over:?}", over.len());
        Ok(())
    }
}
