//! `rollup bench executor`: workloads measured on this machine. One definition per workload,
//! used by the command line and by the criterion bench (`benches/executor.rs`).

use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use anyhow::{Context as _, Result, bail, ensure};
use rayon::prelude::*;
use rollup_executor::{
    BlockEnvInput, BlockStats, BlockTimings, ExecutedBlock, Executor, KeyPrediction, ParallelConfig, TxResult, TxStatus,
};
use rollup_types::{
    ChainConfig, RecoveredTx, SYSTEM_CONTRACT, SignedTx, TokenCall,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{GenesisMarket, GenesisOracle, GenesisPool, GenesisSpec, GenesisToken},
    signer::Signer,
};
use serde::Serialize;
use std::{
    fmt,
    str::FromStr,
    time::{Duration, Instant},
};

/// How many pools a swap workload spreads over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pools {
    /// `K` pools, transaction `j` of a block on pool `j mod K`.
    Count(usize),
    /// A pool of its own for every transaction of a block.
    PerTx,
}

/// A kind of block content.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Workload {
    /// Transfers of the four genesis tokens, no two transactions of a block sharing a sender,
    /// a recipient or any other key.
    TransfersIndependent,
    /// Transfers of one token (one contract, distinct slots) between distinct accounts.
    TransfersOneToken,
    /// [`Self::TransfersOneToken`] sent as ERC-20 `transfer` calls of the token's address (its
    /// `L2Token` code calling the system contract).
    Erc20TransfersOneToken,
    /// [`Self::TransfersOneToken`] where a share of the transfers goes to one hot account.
    TransfersHot(f64),
    /// Swaps over some number of pools; one in twenty fails its minimum output.
    Swaps(Pools),
    /// Routed swaps (`swapPath`) through two of `K` pools each: a random token to another
    /// through a third, over the first `K` pairs of tokens.
    Routes(usize),
    /// Transfers (some to first-time accounts, some overdrawn), swaps over 64 pools, liquidity
    /// added and removed, with senders reused so that nonce chains occur.
    Mixed,
    /// Every transaction depends on the previous one: each pays the next one's sender.
    Chain,
    /// The money market (docs/lending.md) over four markets: each sender in turn supplies its
    /// token, borrows a tenth of it in the next market, repays the debt and withdraws a tenth
    /// of its supply. Borrows and withdrawals are heavy: a chunk each (docs/batch-codec.md
    /// §3.1).
    Lending,
}

impl Workload {
    /// The standard set reported in `BENCHMARKS.md`.
    pub fn suite() -> Vec<Self> {
        vec![
            Self::TransfersIndependent,
            Self::TransfersOneToken,
            Self::Erc20TransfersOneToken,
            Self::TransfersHot(0.0),
            Self::TransfersHot(0.1),
            Self::TransfersHot(0.3),
            Self::TransfersHot(0.5),
            Self::Swaps(Pools::Count(1)),
            Self::Swaps(Pools::Count(2)),
            Self::Swaps(Pools::Count(8)),
            Self::Swaps(Pools::Count(64)),
            Self::Swaps(Pools::PerTx),
            Self::Routes(64),
            Self::Mixed,
            Self::Chain,
            Self::Lending,
        ]
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TransfersIndependent => f.write_str("transfers-independent"),
            Self::TransfersOneToken => f.write_str("transfers-one-token"),
            Self::Erc20TransfersOneToken => f.write_str("erc20-transfers-one-token"),
            Self::TransfersHot(r) => write!(f, "transfers-hot-{r}"),
            Self::Swaps(Pools::Count(k)) => write!(f, "swaps-pools-{k}"),
            Self::Swaps(Pools::PerTx) => f.write_str("swaps-pools-tx"),
            Self::Routes(k) => write!(f, "routes-pools-{k}"),
            Self::Mixed => f.write_str("mixed"),
            Self::Chain => f.write_str("chain"),
            Self::Lending => f.write_str("lending"),
        }
    }
}

impl FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "expected transfers-independent, transfers-one-token, erc20-transfers-one-token, transfers-hot-R \
                     (R from 0 to 1), \
                     swaps-pools-K (K >= 1), swaps-pools-tx, routes-pools-K (K >= 3), mixed, chain or lending";
        Ok(match s {
            "transfers-independent" => Self::TransfersIndependent,
            "transfers-one-token" => Self::TransfersOneToken,
            "erc20-transfers-one-token" => Self::Erc20TransfersOneToken,
            "swaps-pools-tx" => Self::Swaps(Pools::PerTx),
            "mixed" => Self::Mixed,
            "chain" => Self::Chain,
            "lending" => Self::Lending,
            _ => {
                if let Some(r) = s.strip_prefix("transfers-hot-") {
                    let r: f64 = r.parse().map_err(|_| format!("bad hot ratio in {s:?}: {usage}"))?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(format!("hot ratio {r} is outside 0..=1"));
                    }
                    Self::TransfersHot(r)
                } else if let Some(k) = s.strip_prefix("swaps-pools-") {
                    let k: usize = k.parse().map_err(|_| format!("bad pool count in {s:?}: {usage}"))?;
                    if k == 0 {
                        return Err("a swap workload needs at least one pool".into());
                    }
                    Self::Swaps(Pools::Count(k))
                } else if let Some(k) = s.strip_prefix("routes-pools-") {
                    let k: usize = k.parse().map_err(|_| format!("bad pool count in {s:?}: {usage}"))?;
                    if k < 3 {
                        return Err("a route workload needs at least three pools (three tokens)".into());
                    }
                    Self::Routes(k)
                } else {
                    return Err(format!("unknown workload {s:?}: {usage}"));
                }
            }
        })
    }
}

/// Parameters of an executor run.
#[derive(Clone, Debug)]
pub struct ExecutorBench {
    /// Block content.
    pub workload: Workload,
    /// Transactions in all.
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Distinct senders (at least the block size, so that independent workloads are).
    pub accounts: usize,
    /// Seed of the workload.
    pub seed: u64,
    /// Worker threads of the parallel path.
    pub threads: usize,
    /// Key prediction of the parallel path.
    pub prediction: KeyPrediction,
    /// Runs of each path (alternating); the fastest is reported.
    pub runs: usize,
    /// The parallel path runs the blocks as a pipeline, each block's state tree beside the
    /// next block's execution, as a producer under load does ([`Executor::execute_blocks`]);
    /// `false`: block by block ([`Executor::execute_block`]).
    pub pipeline: bool,
}

/// Seconds of each phase, summed over the blocks.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct TimeSplit {
    /// Key prediction.
    pub prediction: f64,
    /// Grouping and packing.
    pub partition: f64,
    /// revm execution, including re-executions.
    pub execution: f64,
    /// Commit check, result assembly, state application.
    pub merge: f64,
    /// State tree (chunk roots).
    pub state_root: f64,
}

impl TimeSplit {
    /// `part` as a percentage of all the time.
    fn percent(&self, part: f64) -> f64 {
        let total = self.prediction + self.partition + self.execution + self.merge + self.state_root;
        if total > 0.0 { 100.0 * part / total } else { 0.0 }
    }
}

impl From<BlockTimings> for TimeSplit {
    fn from(t: BlockTimings) -> Self {
        Self {
            prediction: t.prediction.as_secs_f64(),
            partition: t.partition.as_secs_f64(),
            execution: t.execution.as_secs_f64(),
            merge: t.merge.as_secs_f64(),
            state_root: t.state_root.as_secs_f64(),
        }
    }
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ExecutorReport {
    /// Workload.
    pub workload: String,
    /// Transactions executed.
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Worker threads of the parallel path.
    pub threads: usize,
    /// The parallel path ran as a pipeline (each block's state tree beside the next block's
    /// execution; its phase times then overlap and add up to more than its wall time).
    pub pipelined: bool,
    /// How the state tree hashed: `scalar`, `four-lane AVX2` or `eight-lane AVX-512`
    /// (`rollup_types::keccak::Backend`).
    pub hashing: String,
    /// Parallel path: transactions per second through execution and state root.
    pub tx_per_sec: f64,
    /// Parallel path: millions of gas per second.
    pub mgas_per_sec: f64,
    /// Sequential path on the same input: transactions per second.
    pub sequential_tx_per_sec: f64,
    /// Parallel over sequential.
    pub speedup: f64,
    /// Conflict groups per block, on average.
    pub groups_per_block: f64,
    /// The largest group's share of a block's predicted work, on average.
    pub largest_group_share: f64,
    /// Transactions executed again after a conflict at commit.
    pub reexecuted: usize,
    /// Times per block a state-tree range split its remaining work for an idle thread.
    pub tree_splits_per_block: f64,
    /// Share of the helping threads' time in the parallel pass spent with nothing to take
    /// (the pool's threads but the one that drives the blocks; 0 with one thread).
    pub helpers_idle: f64,
    /// Parallel path: where the time went.
    pub split: TimeSplit,
    /// Sequential path: where the time went.
    pub sequential_split: TimeSplit,
    /// Seconds to recover every sender on the executor's threads (before the blocks, not
    /// included above).
    pub recovery_secs: f64,
    /// Transactions that reverted.
    pub reverted: usize,
    /// Batch bytes per transaction with the batch codec.
    pub batch_bytes_per_tx: f64,
    /// What this machine gave during the run for perfectly parallel work: a pure hashing
    /// loop on `threads` threads against one ([`machine_ceiling`]). The shared vCPUs of the
    /// benchmark machines make this vary from run to run; the speedup cannot exceed it.
    pub machine_ceiling: f64,
    /// What this machine gave during the run for this very workload made perfectly
    /// parallel: `threads` independent copies of the sequential pass at once, against one
    /// copy alone (`threads × t(1) / t(threads copies)`). Unlike [`Self::machine_ceiling`]
    /// it has the workload's own mix of interpreter, hashing and memory traffic, so the
    /// shared caches and memory bandwidth weigh on it as they weigh on the parallel path.
    pub workload_ceiling: f64,
}

/// Speedup of a pure CPU loop (keccak-256 of 64 bytes, nothing shared) on `threads` threads
/// over one thread, each thread doing the same work: `threads × t(1) / t(threads)`. The fastest
/// of three alternating tries of each, as for the executor's passes.
pub fn machine_ceiling(threads: usize) -> f64 {
    fn spin(rounds: u32) -> alloy_primitives::B256 {
        let mut h = alloy_primitives::B256::ZERO;
        for _ in 0..rounds {
            h = rollup_types::smt::node_hash(&h, &h);
        }
        h
    }
    const ROUNDS: u32 = 100_000;
    if threads <= 1 {
        return 1.0;
    }
    let (mut one, mut many) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        let started = Instant::now();
        std::hint::black_box(spin(ROUNDS));
        one = one.min(started.elapsed());
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| std::hint::black_box(spin(ROUNDS)));
            }
        });
        many = many.min(started.elapsed());
    }
    threads as f64 * one.as_secs_f64() / many.as_secs_f64().max(f64::MIN_POSITIVE)
}

impl fmt::Display for ExecutorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.split;
        let pct = |x: f64| s.percent(x);
        writeln!(
            f,
            "{}: {} txs in blocks of {}, {} threads{}, {} tree hashing",
            self.workload,
            self.txs,
            self.block_size,
            self.threads,
            if self.pipelined { ", pipelined" } else { ", block by block" },
            self.hashing
        )?;
        writeln!(
            f,
            "  {:.0} tx/s, {:.1} Mgas/s; sequential {:.0} tx/s; speedup {:.2}x (ceilings: machine {:.2}x, workload {:.2}x)",
            self.tx_per_sec,
            self.mgas_per_sec,
            self.sequential_tx_per_sec,
            self.speedup,
            self.machine_ceiling,
            self.workload_ceiling
        )?;
        writeln!(
            f,
            "  {:.1} groups/block, largest group {:.1}% of the work, {} re-executed, {} reverted",
            self.groups_per_block,
            self.largest_group_share * 100.0,
            self.reexecuted,
            self.reverted
        )?;
        if self.threads > 1 {
            writeln!(
                f,
                "  tree ranges split for an idle thread {:.1} times per block; helpers idle {:.1}% of their time",
                self.tree_splits_per_block,
                self.helpers_idle * 100.0
            )?;
        }
        writeln!(
            f,
            "  time: prediction {:.1}%, partition {:.1}%, execution {:.1}%, merge {:.1}%, state root {:.1}%",
            pct(s.prediction),
            pct(s.partition),
            pct(s.execution),
            pct(s.merge),
            pct(s.state_root)
        )?;
        let q = &self.sequential_split;
        writeln!(
            f,
            "  seconds: parallel execution {:.3}, state root {:.3}, other {:.3}; sequential execution {:.3}, state root {:.3}",
            s.execution,
            s.state_root,
            s.prediction + s.partition + s.merge,
            q.execution,
            q.state_root
        )?;
        write!(
            f,
            "  sender recovery {:.3} s on {} threads (before the blocks); codec v1 {:.1} B/tx",
            self.recovery_secs, self.threads, self.batch_bytes_per_tx
        )
    }
}

fn signer(seed: u64, i: usize) -> Signer {
    let mut material = [0u8; 16];
    material[..8].copy_from_slice(&seed.to_be_bytes());
    material[8..].copy_from_slice(&(i as u64).to_be_bytes());
    Signer::new(&keccak256(material)).expect("a keccak output is a valid key with overwhelming probability")
}

/// An address derived from a label and an index (no key: a recipient).
fn derived(label: &str, seed: u64, i: usize) -> Address {
    let mut material = label.as_bytes().to_vec();
    material.extend_from_slice(&seed.to_be_bytes());
    material.extend_from_slice(&(i as u64).to_be_bytes());
    Address::from_slice(&keccak256(material)[12..])
}

/// A small deterministic generator (splitmix64), so workloads are identical everywhere.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// Whole units of every token minted to every account, and deposited on each side of a pool.
const PER_ACCOUNT: u64 = 1_000_000;
const PER_POOL: u64 = 1_000_000;

fn unit() -> U256 {
    U256::from(10u64).pow(U256::from(18))
}

fn token_address(i: usize) -> Address {
    let mut a = [0u8; 20];
    a[0] = 0x71;
    a[12..].copy_from_slice(&(i as u64).to_be_bytes());
    Address::from(a)
}

/// The first `count` token pairs, `(0,1), (0,2), (1,2), (0,3), …`, so that the pools of a
/// smaller set are a prefix of a larger one.
fn pairs(count: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(count);
    let mut j = 1;
    while out.len() < count {
        for i in 0..j {
            if out.len() < count {
                out.push((i, j));
            }
        }
        j += 1;
    }
    out
}

/// Everything a workload's blocks are generated from.
struct Setup {
    tokens: Vec<Address>,
    pools: Vec<(Address, Address)>,
    senders: Vec<Signer>,
}

impl Setup {
    fn new(bench: &ExecutorBench) -> Self {
        let pools_needed = match bench.workload {
            Workload::Swaps(Pools::Count(k)) => k,
            Workload::Swaps(Pools::PerTx) => bench.block_size.max(1),
            Workload::Routes(k) => k,
            Workload::Mixed => 64,
            // Tokens 0 to 3, each of 1 to 3 paired with token 0: four markets, three oracles.
            Workload::Lending => 6,
            _ => 0,
        };
        let pairs = pairs(pools_needed);
        let token_count = pairs.iter().map(|(_, j)| j + 1).max().unwrap_or(0).max(4);
        let tokens: Vec<Address> = (0..token_count).map(token_address).collect();
        let pools = pairs.iter().map(|(i, j)| (tokens[*i], tokens[*j])).collect();
        let senders = (0..bench.accounts.max(bench.block_size).max(2)).map(|i| signer(bench.seed, i)).collect();
        Self { tokens, pools, senders }
    }

    fn genesis(&self, seed: u64) -> GenesisSpec {
        GenesisSpec {
            // An ether each, the chain's currency (no L1 bridge backs this bench's genesis).
            ether_per_account: U256::from(10u64).pow(U256::from(18u8)),
            tokens: self
                .tokens
                .iter()
                .enumerate()
                .map(|(i, t)| GenesisToken {
                    address: *t,
                    symbol: format!("T{i}"),
                    decimals: 18,
                    per_account: PER_ACCOUNT,
                })
                .collect(),
            // The first funded account seeds the pools and sends nothing.
            funded: std::iter::once(derived("seeder", seed, 0))
                .chain(self.senders.iter().map(Signer::address))
                .collect(),
            pools: self
                .pools
                .iter()
                .map(|(a, b)| GenesisPool { token_a: *a, amount_a: PER_POOL, token_b: *b, amount_b: PER_POOL })
                .collect(),
            fee_recipient: Address::ZERO,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
            l1_fees: rollup_types::fees::GENESIS_L1_FEES,
            // Oracles as a chain with lending has them (docs/lending.md §4): the first token the
            // numeraire, each token paired with it an oracle (at most eight), every one sampled at
            // the beginning of every block.
            numeraire: self.tokens[0],
            oracles: self
                .pools
                .iter()
                .filter(|(a, _)| *a == self.tokens[0])
                .take(rollup_types::genesis::MAX_ORACLES)
                .map(|(_, b)| GenesisOracle { asset: *b, via: None })
                .collect(),
            // A market for the numeraire and each priced token (at most eight), each accrued in
            // its turn at the beginning of a block; none without prices.
            markets: match self.pools.iter().any(|(a, _)| *a == self.tokens[0]) {
                false => Vec::new(),
                true => std::iter::once(self.tokens[0])
                    .chain(self.pools.iter().filter(|(a, _)| *a == self.tokens[0]).map(|(_, b)| *b))
                    .take(rollup_types::genesis::MAX_MARKETS)
                    .map(|asset| GenesisMarket { asset, ..rollup_types::genesis::devnet_markets()[1] })
                    .collect(),
            },
            liquidation_dust: U256::ZERO,
        }
    }
}

/// The index of the pool of tokens `i` and `j` among the pairs of [`pairs`].
fn pair_index(i: usize, j: usize) -> usize {
    let (i, j) = (i.min(j), i.max(j));
    j * (j - 1) / 2 + i
}

/// A `swapPath` of `amount` from a random token to another through a third, each step one of
/// the first `pools` pairs (whose tokens form a full graph up to the last one).
fn route(rng: &mut Rng, tokens: &[Address], pools: usize, amount: U256) -> Bytes {
    let n = (0..tokens.len()).take_while(|&j| j == 0 || pair_index(0, j) < pools).count();
    loop {
        let (a, b, c) = (rng.below(n), rng.below(n), rng.below(n));
        if a == b || b == c || a == c || pair_index(a, b) >= pools || pair_index(b, c) >= pools {
            continue;
        }
        return L2System::swapPathCall {
            path: vec![tokens[a], tokens[b], tokens[c]],
            amountIn: amount,
            minAmountOut: U256::from(1u8),
            deadline: U256::from(crate::load::ROUTE_DEADLINE),
        }
        .abi_encode()
        .into();
    }
}

/// Step `step` (0 to 3) of a lender of `own` that borrows `other`: supply 10 units, borrow one
/// unit of the other market (within its power at any price the pools give: collateral factors
/// are 70 % and more), repay all of it, withdraw one unit.
fn lend(step: u8, own: Address, other: Address) -> Bytes {
    use rollup_types::bindings::L2Lending;
    match step {
        0 => L2Lending::supplyCall { asset: own, amount: unit() * U256::from(10u8) }.abi_encode(),
        1 => L2Lending::borrowCall { asset: other, amount: unit() }.abi_encode(),
        2 => L2Lending::repayCall { asset: other, amount: U256::MAX }.abi_encode(),
        _ => L2Lending::withdrawSupplyCall { asset: own, amount: unit() }.abi_encode(),
    }
    .into()
}

fn transfer(token: Address, to: Address, amount: U256) -> Bytes {
    L2System::transferCall { token, to, amount }.abi_encode().into()
}

/// A swap on pool `(a, b)` whose reserves (in that token order) the generator follows.
fn swap(rng: &mut Rng, (a, b): (Address, Address), reserves: &mut (U256, U256)) -> Bytes {
    let a_in = rng.below(2) == 0;
    let (token_in, token_out) = if a_in { (a, b) } else { (b, a) };
    let (reserve_in, reserve_out) =
        if a_in { (&mut reserves.0, &mut reserves.1) } else { (&mut reserves.1, &mut reserves.0) };
    // 0.000001 to 0.01 of a token against a million in the pool. The minimum output is what a
    // wallet asks: the quote at the pool's current reserves less 0.5 % slippage; one swap in
    // twenty asks for 1 % more than the quote, reverts and leaves the pool as it was.
    let amount_in = U256::from(1 + rng.below(10_000)) * unit() / U256::from(1_000_000u64);
    let with_fee = amount_in * U256::from(997u64);
    let quote = with_fee * *reserve_out / (*reserve_in * U256::from(1000u64) + with_fee);
    let min_out = if rng.below(20) == 0 {
        quote * U256::from(101u64) / U256::from(100u64)
    } else {
        *reserve_in += amount_in;
        *reserve_out -= quote;
        quote * U256::from(995u64) / U256::from(1000u64)
    };
    L2System::swapCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount_in, minAmountOut: min_out }
        .abi_encode()
        .into()
}

impl ExecutorBench {
    /// Signed transactions of the workload, and the genesis that funds their senders.
    pub fn generate(&self, chain: &ChainConfig) -> (GenesisSpec, Vec<SignedTx>) {
        let setup = Setup::new(self);
        let genesis = setup.genesis(self.seed);
        let senders = &setup.senders;
        let n_senders = senders.len();
        let block_size = self.block_size.max(1);
        let mut rng = Rng(self.seed);
        let mut nonces = vec![0u64; n_senders];
        let hot = derived("hot", self.seed, 0);
        // Mixed: (sender, pool) pairs that have added liquidity, so may remove some.
        let mut providers: Vec<(usize, usize)> = Vec::new();
        // Pool reserves as swaps move them (liquidity changes keep the price and are ignored;
        // the slippage allowance covers the difference).
        let pool_reserve = U256::from(PER_POOL) * unit();
        let mut reserves = vec![(pool_reserve, pool_reserve); setup.pools.len()];
        let mut txs = Vec::with_capacity(self.txs);
        // Lending: each sender's next step.
        let mut steps = vec![0u8; n_senders];
        for n in 0..self.txs {
            let (block, j) = (n / block_size, n % block_size);
            // Distinct senders within a block (there are at least `block_size` of them).
            let rotating = (block * block_size + j) % n_senders;
            let small = U256::from(1 + rng.below(1_000_000)) * unit() / U256::from(1_000_000u64);
            let mut target = SYSTEM_CONTRACT;
            let (s, input): (usize, Bytes) = match self.workload {
                Workload::Erc20TransfersOneToken => {
                    target = setup.tokens[0];
                    let call = TokenCall::Transfer { to: derived("to", self.seed, rotating), amount: small };
                    (rotating, call.encode().into())
                }
                Workload::TransfersIndependent => {
                    let token = setup.tokens[j % 4];
                    (rotating, transfer(token, derived("to", self.seed, rotating), small))
                }
                Workload::TransfersOneToken => {
                    (rotating, transfer(setup.tokens[0], derived("to", self.seed, rotating), small))
                }
                Workload::TransfersHot(ratio) => {
                    let to = if rng.chance(ratio) { hot } else { derived("to", self.seed, rotating) };
                    (rotating, transfer(setup.tokens[0], to, small))
                }
                Workload::Swaps(pools) => {
                    let k = match pools {
                        Pools::Count(k) => k,
                        Pools::PerTx => block_size,
                    };
                    (rotating, swap(&mut rng, setup.pools[j % k], &mut reserves[j % k]))
                }
                Workload::Routes(k) => (rotating, route(&mut rng, &setup.tokens, k, small)),
                Workload::Lending => {
                    let step = steps[rotating];
                    steps[rotating] = (step + 1) % 4;
                    (rotating, lend(step, setup.tokens[rotating % 4], setup.tokens[(rotating + 1) % 4]))
                }
                Workload::Chain => {
                    // Sender n pays sender n + 1, who spends it in the next transaction.
                    let next = senders[(n + 1) % n_senders].address();
                    (n % n_senders, transfer(setup.tokens[0], next, small))
                }
                Workload::Mixed => {
                    // A quarter of the senders of a block come from a small set, so nonce
                    // chains and shared balances occur.
                    let s = if rng.chance(0.25) { rng.below(n_senders.min(32)) } else { rotating };
                    let roll = rng.below(100);
                    let input = if roll < 55 {
                        let token = setup.tokens[rng.below(setup.tokens.len())];
                        let to = match rng.below(4) {
                            0 => derived("fresh", self.seed, n),
                            1 => senders[rng.below(n_senders)].address(),
                            _ => derived("to", self.seed, rng.below(n_senders)),
                        };
                        // One in fifty asks for more than the balance and reverts.
                        let amount =
                            if rng.below(50) == 0 { U256::from(PER_ACCOUNT) * unit() * U256::from(2) } else { small };
                        transfer(token, to, amount)
                    } else if roll < 85 {
                        let p = rng.below(setup.pools.len());
                        swap(&mut rng, setup.pools[p], &mut reserves[p])
                    } else if roll < 95 || providers.is_empty() {
                        let p = rng.below(setup.pools.len());
                        let (a, b) = setup.pools[p];
                        providers.push((s, p));
                        L2System::addLiquidityCall {
                            tokenA: a,
                            tokenB: b,
                            amountADesired: unit(),
                            amountBDesired: unit(),
                            minLiquidity: U256::ZERO,
                        }
                        .abi_encode()
                        .into()
                    } else {
                        let (provider, p) = providers[rng.below(providers.len())];
                        let (a, b) = setup.pools[p];
                        let input = L2System::removeLiquidityCall {
                            tokenA: a,
                            tokenB: b,
                            liquidity: unit() / U256::from(1000u64),
                            minAmountA: U256::ZERO,
                            minAmountB: U256::ZERO,
                        }
                        .abi_encode()
                        .into();
                        let tx = senders[provider].eip1559(chain.chain_id, nonces[provider], input);
                        nonces[provider] += 1;
                        txs.push(tx);
                        continue;
                    };
                    (s, input)
                }
            };
            txs.push(senders[s].eip1559_to(chain.chain_id, nonces[s], target, input));
            nonces[s] += 1;
        }
        (genesis, txs)
    }

    /// Generates the workload, lays out its genesis and recovers every sender (in parallel,
    /// on `self.threads` threads), ready to execute.
    pub fn prepare(&self) -> Result<Prepared> {
        ensure!(self.txs > 0 && self.block_size > 0, "a run needs transactions and a block size above zero");
        let chain = ChainConfig::default();
        let (genesis, signed) = self.generate(&chain);
        // The workload's bytes in the batch codec, in one-block batches of 300 transactions (at
        // most three registry addresses each: within a batch's bounds, docs/batch-codec.md §3.5),
        // of 120 for the money market's (a heavy transaction takes a chunk of its own).
        let per_batch = if self.workload == Workload::Lending { 120 } else { 300 };
        let data_len = signed
            .chunks(per_batch)
            .map(|txs| {
                let block = BatchBlock {
                    number: 1,
                    timestamp: 1,
                    queue_count: 0,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                    txs: txs.to_vec(),
                };
                codec::encode(&Batch { blocks: vec![block] }, &chain).map(|d| d.len())
            })
            .sum::<Result<usize, _>>()?;
        let executor = Executor::genesis(chain, &genesis)?;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(self.threads.max(1)).build()?;
        let started = Instant::now();
        let txs: Vec<RecoveredTx> = pool.install(|| {
            signed.into_par_iter().map(|t| RecoveredTx::from_signed(t, &chain)).collect::<Result<_, _>>()
        })?;
        let recovery = started.elapsed();
        Ok(Prepared { executor, txs, block_size: self.block_size, recovery, batch_bytes: data_len })
    }

    /// Runs the workload through the sequential and the parallel path on the same input,
    /// checks that they agree block by block, and reports both.
    pub fn run(&self) -> Result<ExecutorReport> {
        let Prepared { executor: genesis_executor, txs, recovery, batch_bytes: data_len, .. } = self.prepare()?;
        let parallel_executor = genesis_executor
            .clone()
            .with_parallelism(ParallelConfig { threads: self.threads, prediction: self.prediction })?;
        let blocks: Vec<&[RecoveredTx]> = txs.chunks(self.block_size).collect();
        // The machine is shared and noisy: the paths alternate, whole pass by whole pass (the
        // order swapping every run), and the fastest pass of each is kept. A pass runs its
        // blocks back to back, as a loaded sequencer does, so the executor's threads stay
        // awake between blocks.
        let mut best_seq: Option<Run> = None;
        let mut best_par: Option<Run> = None;
        let mut best_copies = Duration::MAX;
        let ceiling_before = machine_ceiling(self.threads);
        let path = if self.pipeline { Path::Pipeline } else { Path::Blocks };
        for run in 0..self.runs.max(1) {
            let (seq, par) = if run % 2 == 0 {
                let seq = Run::execute(genesis_executor.clone(), &blocks, Path::Sequential);
                (seq, Run::execute(parallel_executor.clone(), &blocks, path))
            } else {
                let par = Run::execute(parallel_executor.clone(), &blocks, path);
                (Run::execute(genesis_executor.clone(), &blocks, Path::Sequential), par)
            };
            if self.threads > 1 {
                best_copies = best_copies.min(Run::copies(&genesis_executor, &blocks, self.threads));
            }
            if let Some(i) = seq.outputs.iter().zip(&par.outputs).position(|(s, p)| !same_block(s, p)) {
                bail!("the parallel path differs from the sequential path at block {}", i + 1);
            }
            if best_seq.as_ref().is_none_or(|b| seq.wall < b.wall) {
                best_seq = Some(seq);
            }
            if best_par.as_ref().is_none_or(|b| par.wall < b.wall) {
                best_par = Some(par);
            }
        }
        let (seq, par) = (best_seq.context("no run")?, best_par.context("no run")?);
        let machine_ceiling = (ceiling_before + machine_ceiling(self.threads)) / 2.0;
        let workload_ceiling = if self.threads > 1 {
            self.threads as f64 * seq.wall.as_secs_f64() / best_copies.as_secs_f64().max(f64::MIN_POSITIVE)
        } else {
            1.0
        };

        let mut reverted = 0;
        for r in par.outputs.iter().flat_map(|b| &b.results) {
            match r {
                TxResult::Executed(o) if o.status != TxStatus::Success => reverted += 1,
                TxResult::Executed(_) => {}
                TxResult::Invalid(e) => bail!("the workload produced an invalid transaction: {e}"),
            }
        }
        let gas: u64 = par.outputs.iter().map(|b| b.gas_used).sum();
        let stats: Vec<BlockStats> = par.outputs.iter().map(|b| b.stats).collect();
        let n_blocks = stats.len().max(1) as f64;
        let wall = par.wall.as_secs_f64();
        Ok(ExecutorReport {
            workload: self.workload.to_string(),
            txs: txs.len(),
            block_size: self.block_size,
            threads: self.threads,
            pipelined: self.pipeline && self.threads > 1,
            hashing: rollup_types::keccak::Backend::detect().to_string(),
            tx_per_sec: txs.len() as f64 / wall,
            mgas_per_sec: gas as f64 / wall / 1e6,
            sequential_tx_per_sec: txs.len() as f64 / seq.wall.as_secs_f64(),
            speedup: seq.wall.as_secs_f64() / wall,
            groups_per_block: stats.iter().map(|s| s.groups as f64).sum::<f64>() / n_blocks,
            largest_group_share: stats.iter().map(BlockStats::largest_group_share).sum::<f64>() / n_blocks,
            reexecuted: stats.iter().map(|s| s.reexecuted).sum(),
            tree_splits_per_block: stats.iter().map(|s| s.tree_splits as f64).sum::<f64>() / n_blocks,
            helpers_idle: if self.threads > 1 {
                par.idle.as_secs_f64() / (wall * (self.threads - 1) as f64).max(f64::MIN_POSITIVE)
            } else {
                0.0
            },
            split: par.timings.into(),
            sequential_split: seq.timings.into(),
            recovery_secs: recovery.as_secs_f64(),
            reverted,
            batch_bytes_per_tx: data_len as f64 / txs.len() as f64,
            machine_ceiling,
            workload_ceiling,
        })
    }
}

/// A workload ready to execute.
pub struct Prepared {
    /// The executor at the workload's genesis (sequential; see [`Executor::with_parallelism`]).
    pub executor: Executor,
    /// Every transaction, senders recovered.
    pub txs: Vec<RecoveredTx>,
    /// Transactions per block.
    pub block_size: usize,
    /// Time sender recovery took.
    pub recovery: Duration,
    /// Bytes of the whole workload as one batch.
    pub batch_bytes: usize,
}

impl Prepared {
    /// Executes every block on `executor` (a clone of [`Self::executor`], possibly parallel,
    /// then pipelined: [`Executor::execute_blocks`]) and returns the final state root.
    pub fn execute_all(&self, mut executor: Executor) -> alloy_primitives::B256 {
        executor.execute_blocks(&numbered(self.txs.chunks(self.block_size)));
        executor.state_root()
    }
}

/// The environment of the `i`-th block of a workload (from 0).
fn block_env(i: usize) -> BlockEnvInput {
    BlockEnvInput {
        number: i as u64 + 1,
        timestamp: 1_700_000_000 + i as u64,
        l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
    }
}

/// `blocks` with the environments of a workload's blocks, for [`Executor::execute_blocks`].
/// The blocks `blocks` numbered from 1, consuming no queue entry.
pub(crate) type NumberedBlock<'a> = (BlockEnvInput, &'a [rollup_types::queue::QueueEntry], &'a [RecoveredTx]);

pub(crate) fn numbered<'a>(blocks: impl Iterator<Item = &'a [RecoveredTx]>) -> Vec<NumberedBlock<'a>> {
    blocks.enumerate().map(|(i, b)| (block_env(i), &[][..], b)).collect()
}

/// How a pass executes its blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// [`Executor::execute_block_sequential`], block by block.
    Sequential,
    /// [`Executor::execute_block`], block by block.
    Blocks,
    /// [`Executor::execute_blocks`] over all of them.
    Pipeline,
}

/// One pass over all the blocks.
struct Run {
    outputs: Vec<ExecutedBlock>,
    wall: Duration,
    timings: BlockTimings,
    /// Time the pool's helping threads spent with nothing to take during the pass.
    idle: Duration,
}

impl Run {
    fn execute(mut executor: Executor, blocks: &[&[RecoveredTx]], mode: Path) -> Self {
        let mut outputs = Vec::with_capacity(blocks.len());
        let mut wall = Duration::ZERO;
        let mut timings = BlockTimings::default();
        let idle_before = executor.pool_idle_time().unwrap_or_default();
        let idle = |executor: &Executor| executor.pool_idle_time().unwrap_or_default().saturating_sub(idle_before);
        if mode == Path::Pipeline {
            let input = numbered(blocks.iter().copied());
            let started = Instant::now();
            let outputs = executor.execute_blocks(&input);
            let wall = started.elapsed();
            for o in &outputs {
                timings.add(&o.timings);
            }
            return Self { outputs, wall, timings, idle: idle(&executor) };
        }
        for (i, block) in blocks.iter().enumerate() {
            let started = Instant::now();
            let out = if mode == Path::Sequential {
                executor.execute_block_sequential(block_env(i), block)
            } else {
                executor.execute_block(block_env(i), block)
            };
            wall += started.elapsed();
            timings.add(&out.timings);
            outputs.push(out);
        }
        Self { outputs, wall, timings, idle: idle(&executor) }
    }

    /// Runs `copies` independent sequential passes at once, one per thread, each on its own
    /// clone of `executor`; returns the longest pass's time in blocks (what perfectly
    /// parallel work of this kind takes on this machine).
    fn copies(executor: &Executor, blocks: &[&[RecoveredTx]], copies: usize) -> Duration {
        let executors: Vec<Executor> = (0..copies).map(|_| executor.clone()).collect();
        std::thread::scope(|scope| {
            let passes: Vec<_> = executors
                .into_iter()
                .map(|e| scope.spawn(move || Run::execute(e, blocks, Path::Sequential).wall))
                .collect();
            passes.into_iter().map(|p| p.join().unwrap_or(Duration::MAX)).max().unwrap_or(Duration::MAX)
        })
    }
}

/// Whether two executions of a block agree on everything that has meaning.
pub fn same_block(a: &ExecutedBlock, b: &ExecutedBlock) -> bool {
    a.results == b.results && a.chunk_roots == b.chunk_roots && a.state_root == b.state_root && a.gas_used == b.gas_used
}

/// The reports as a Markdown table (the form `BENCHMARKS.md` keeps).
pub fn markdown_table(reports: &[ExecutorReport]) -> String {
    let mut out = String::from(
        "| workload | threads | tx/s | Mgas/s | sequential tx/s | speedup | machine ceiling | workload ceiling | groups/block | \
         largest group | re-executed | tree splits/block | helpers idle | prediction | partition | execution | merge | state root |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let s = &r.split;
        let pct = |x: f64| format!("{:.1}%", s.percent(x));
        out.push_str(&format!(
            "| {} | {} | {:.0} | {:.1} | {:.0} | {:.2}x | {:.2}x | {:.2}x | {:.1} | {:.1}% | {} | {:.1} | {:.1}% | {} | {} | {} | {} | {} |\n",
            r.workload,
            r.threads,
            r.tx_per_sec,
            r.mgas_per_sec,
            r.sequential_tx_per_sec,
            r.speedup,
            r.machine_ceiling,
            r.workload_ceiling,
            r.groups_per_block,
            r.largest_group_share * 100.0,
            r.reexecuted,
            r.tree_splits_per_block,
            r.helpers_idle * 100.0,
            pct(s.prediction),
            pct(s.partition),
            pct(s.execution),
            pct(s.merge),
            pct(s.state_root),
        ));
    }
    out
}

/// The arguments of `rollup bench executor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Block content: transfers-independent, transfers-one-token, transfers-hot-R (R from 0
    /// to 1), swaps-pools-K, swaps-pools-tx (a pool per transaction), routes-pools-K, mixed, chain.
    #[arg(long, default_value = "transfers-independent")]
    workload: Workload,
    /// Run the standard set of workloads and print a Markdown table (ignores --workload).
    #[arg(long)]
    suite: bool,
    /// Transactions in all.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 1_000)]
    block_size: usize,
    /// Distinct senders (raised to the block size if lower).
    #[arg(long, default_value_t = 4_000)]
    accounts: usize,
    /// Seed of the workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads of the parallel path (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Key prediction of the parallel path: `operations`, or `sender-only` (every other key
    /// is found at commit; shows what prediction buys).
    #[arg(long, default_value = "operations", value_parser = parse_prediction)]
    prediction: KeyPrediction,
    /// Runs of each path, alternating; the fastest is reported (the machine is noisy).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Run the parallel path block by block, each block's state tree after its execution,
    /// instead of as a pipeline (each block's state tree beside the next one's execution).
    #[arg(long = "block-by-block")]
    block_by_block: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        let workloads = if args.suite { Workload::suite() } else { vec![args.workload] };
        let json = args.json;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut reports = Vec::new();
            for workload in workloads {
                let bench = ExecutorBench {
                    workload,
                    txs: args.txs,
                    block_size: args.block_size,
                    accounts: args.accounts,
                    seed: args.seed,
                    threads,
                    prediction: args.prediction,
                    runs: args.runs,
                    pipeline: !args.block_by_block,
                };
                let report = bench.run()?;
                #[allow(clippy::print_stdout, clippy::print_stderr)]
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else if !args.suite {
                    println!("{report}");
                } else {
                    eprintln!("{report}");
                }
                reports.push(report);
            }
            #[allow(clippy::print_stdout)]
            if args.suite && !json {
                println!("{}", markdown_table(&reports));
            }
            Ok(())
        })
        .await??;
        Ok(())
    }
}

fn parse_prediction(s: &str) -> Result<KeyPrediction, String> {
    match s {
        "operations" => Ok(KeyPrediction::Operations),
        "sender-only" => Ok(KeyPrediction::SenderOnly),
        _ => Err(format!("unknown prediction {s:?}: expected operations or sender-only")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_agrees_across_paths_and_reports_both_ceilings() {
        for (workload, pipeline) in [("transfers-one-token", true), ("chain", true), ("transfers-one-token", false)] {
            let bench = ExecutorBench {
                workload: workload.parse().expect("a workload"),
                txs: 120,
                block_size: 40,
                accounts: 40,
                seed: 3,
                threads: 2,
                prediction: KeyPrediction::Operations,
                runs: 2,
                pipeline,
            };
            let report = bench.run().expect("the paths agree");
            assert_eq!(report.txs, 120);
            for x in [report.speedup, report.machine_ceiling, report.workload_ceiling] {
                assert!(x.is_finite() && x > 0.0, "{workload}: {x}");
            }
            assert_eq!(report.reexecuted, 0, "{workload}");
            assert_eq!(report.pipelined, pipeline, "{workload}");
        }
    }

    /// The money market's workload: every step of the cycle runs and most succeed (the
    /// borrows after the first supplies, every repayment of a debt, every withdrawal), alike on
    /// both paths, with the heavy ones alone in their chunks.
    #[test]
    fn the_lending_workload_runs_its_cycle_alike_on_both_paths() {
        let bench = ExecutorBench {
            workload: Workload::Lending,
            txs: 320,
            block_size: 40,
            accounts: 40,
            seed: 5,
            threads: 2,
            prediction: KeyPrediction::Operations,
            runs: 1,
            pipeline: true,
        };
        let chain = ChainConfig::default();
        let (genesis, txs) = bench.generate(&chain);
        let heavy = txs.iter().filter(|t| codec::is_heavy(t)).count();
        assert_eq!(heavy, 160, "borrows and withdrawals: half the cycle");
        let mut exec = Executor::genesis(chain, &genesis).expect("genesis");
        let recovered: Vec<RecoveredTx> =
            txs.into_iter().map(|t| RecoveredTx::from_signed(t, &chain).expect("admissible")).collect();
        let (mut succeeded, mut chunks) = (0, 0);
        for (b, block) in recovered.chunks(40).enumerate() {
            let env = BlockEnvInput { number: b as u64 + 1, timestamp: 12 * (b as u64 + 1), l1_byte_price: 8 };
            let out = exec.execute_block(env, block);
            chunks += out.chunk_roots.len();
            succeeded += out
                .results
                .iter()
                .filter(|r| matches!(r, TxResult::Executed(o) if o.status == TxStatus::Success))
                .count();
        }
        assert!(succeeded > 280, "{succeeded} of 320 succeeded");
        // Each block's senders take the same step: blocks of supplies and of repayments have
        // their beginning and ten chunks of four, blocks of borrows and of withdrawals their
        // beginning and forty chunks of one.
        assert_eq!(chunks, 2 * (11 + 41 + 11 + 41));
        let report = bench.run().expect("the paths agree");
        assert_eq!(report.txs, 320);
    }
}
