//! `rollup bench load`: a load generator for the sequencer's REST API.
//!
//! It derives deterministic load accounts, funds them from the development accounts (not
//! measured), pre-signs every transaction, then fires them at `POST /v1/transactions` (or
//! `POST /v1/transactions/batch`) from concurrent workers while a separate task watches new
//! blocks, and reports submission throughput, inclusion throughput and latency.

use crate::executor::Rng;
use alloy_primitives::{Address, B256, Bytes, U256, hex, keccak256};
use alloy_sol_types::SolCall;
use anyhow::{Context as _, Result, bail, ensure};
use rayon::prelude::*;
use reqwest::{StatusCode, header};
use rollup_types::{
    bindings::L2System,
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WETH},
    signer::Signer,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How many nonces ahead of its committed nonce the sequencer holds for a sender.
const MAX_NONCE_GAP: usize = 64;
/// How often the inclusion tracker polls the head.
const POLL: Duration = Duration::from_millis(20);
/// How long a transaction refused for a transient reason (`nonce_too_high`, `sender_limit`,
/// `mempool_full`) is retried before it counts as rejected.
const RETRY_LIMIT: Duration = Duration::from_secs(60);
/// How long funding waits for a development account's transactions to be included.
const FUNDING_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts of a request that fails in transport (connection refused or reset, timeout).
const TRANSPORT_ATTEMPTS: u32 = 3;
/// Concurrent requests while reading accounts during setup.
const SETUP_CONCURRENCY: usize = 32;
/// Submission codes that mean "not now" rather than "never".
/// A leader that lost its lease or its database refuses a group commit (`storage_unavailable`,
/// `not_leader`, `shutting_down`) without taking it: sent again, to its successor.
const RETRYABLE: [&str; 9] = [
    "nonce_too_high",
    "sender_limit",
    "mempool_full",
    "future_limit",
    "overloaded",
    "l1_backlog",
    "storage_unavailable",
    "not_leader",
    "shutting_down",
];

/// What the load is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mix {
    /// USDC and DAI transfers between load accounts.
    Transfers,
    /// Small swaps with no minimum output over the genesis pools of WETH, USDC and DAI.
    Swaps,
    /// 70 % transfers, 30 % swaps.
    Mixed,
    /// Routed swaps (`swapPath`) through two of the genesis pools of WETH, USDC and DAI.
    Routes,
    /// The money market (docs/lending.md): each account in turn supplies USDC or DAI, borrows a
    /// tenth of that in the other, repays all of it and withdraws a tenth of its supply.
    /// Borrows and withdrawals are heavy: a chunk each (docs/batch-codec.md §3.1).
    Lending,
}

impl Mix {
    /// Tokens a load account must hold.
    fn tokens(self) -> &'static [Address] {
        match self {
            Self::Transfers | Self::Lending => &[USDC, DAI],
            Self::Swaps | Self::Mixed | Self::Routes => &[WETH, USDC, DAI],
        }
    }

    /// Percentage of transfers.
    const fn transfer_percent(self) -> u64 {
        match self {
            Self::Transfers => 100,
            Self::Swaps | Self::Routes | Self::Lending => 0,
            Self::Mixed => 70,
        }
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Transfers => "transfers",
            Self::Swaps => "swaps",
            Self::Mixed => "mixed",
            Self::Routes => "routes",
            Self::Lending => "lending",
        })
    }
}

impl FromStr for Mix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "transfers" => Ok(Self::Transfers),
            "swaps" => Ok(Self::Swaps),
            "mixed" => Ok(Self::Mixed),
            "routes" => Ok(Self::Routes),
            "lending" => Ok(Self::Lending),
            _ => Err(format!("unknown mix {s:?}: expected transfers, swaps, mixed, routes or lending")),
        }
    }
}

/// Parameters of a load run.
#[derive(Clone, Debug)]
pub struct LoadBench {
    /// Base URL of the sequencer's HTTP API.
    pub rpc: url::Url,
    /// Other sequencers of the same chain (followers, on one database): a request that cannot
    /// reach the current one, or that it answers 503 (`not_leader`, a takeover), goes to the
    /// next (docs/deployment.md).
    pub failover: Vec<url::Url>,
    /// Load accounts.
    pub accounts: usize,
    /// Transactions fired.
    pub txs: usize,
    /// Concurrent workers (at most one per account).
    pub concurrency: usize,
    /// What the transactions do.
    pub mix: Mix,
    /// Transactions per request to the batch endpoint; `None` submits one by one.
    pub batch: Option<usize>,
    /// Cap on the submission rate, in transactions per second.
    pub rate: Option<f64>,
    /// Seed of the accounts and the transactions.
    pub seed: u64,
    /// How long to wait for inclusion after the last submission.
    pub inclusion_timeout: Duration,
}

/// Latency percentiles, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// What a load run measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    /// Base URL of the sequencer.
    pub rpc: String,
    /// What the transactions did.
    pub mix: Mix,
    /// Load accounts.
    pub accounts: usize,
    /// Workers that fired (the concurrency, at most one per account).
    pub workers: usize,
    /// Transactions per batch request, if batched.
    pub batch: Option<usize>,
    /// Rate cap in tx/s, if any.
    pub rate: Option<f64>,
    /// Transfers sent by the development accounts to fund the load accounts.
    pub funding_txs: usize,
    /// Seconds of setup: reading accounts, funding, signing.
    pub setup_secs: f64,
    /// Transactions fired (each counted once, however often it was retried).
    pub sent: usize,
    /// HTTP requests made while firing, retries included.
    pub requests: u64,
    /// Requests answered 429 and retried after `Retry-After`.
    pub throttled: u64,
    /// Transactions re-sent after a transient refusal (`nonce_too_high`, …).
    pub retried: u64,
    /// Transactions the sequencer accepted.
    pub accepted: usize,
    /// Transactions rejected, by error code.
    pub rejected: BTreeMap<String, u64>,
    /// The first message seen for each rejection code.
    pub rejection_examples: BTreeMap<String, String>,
    /// Seconds from the first submission to the last response.
    pub firing_secs: f64,
    /// Accepted transactions per second of firing.
    pub accepted_tx_per_sec: f64,
    /// Accepted transactions seen in a block.
    pub included: usize,
    /// Accepted transactions not seen in a block before the timeout.
    pub missing: usize,
    /// Seconds from the first submission to the block with the last inclusion.
    pub inclusion_secs: f64,
    /// Included transactions per second, from the first submission to the last inclusion.
    pub included_tx_per_sec: f64,
    /// From the submission request to its block being seen; `None` if nothing was included.
    pub latency_ms: Option<LatencyMs>,
    /// Blocks seen from the first submission to the last inclusion.
    pub blocks_seen: usize,
    /// Transactions (of anyone) per block in those blocks.
    pub avg_txs_per_block: f64,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let batch = self.batch.map_or_else(|| "none".to_owned(), |b| b.to_string());
        let rate = self.rate.map_or_else(|| "unlimited".to_owned(), |r| format!("{r} tx/s"));
        writeln!(
            f,
            "load {} against {}: {} accounts, {} workers, batch {batch}, rate {rate}",
            self.mix, self.rpc, self.accounts, self.workers
        )?;
        writeln!(f, "  setup        {:.2} s ({} funding transfers)", self.setup_secs, self.funding_txs)?;
        writeln!(
            f,
            "  sent         {} txs in {} requests ({} throttled, {} txs retried)",
            self.sent, self.requests, self.throttled, self.retried
        )?;
        writeln!(f, "  accepted     {}", self.accepted)?;
        if self.rejected.is_empty() {
            writeln!(f, "  rejected     0")?;
        } else {
            for (code, n) in &self.rejected {
                let example = self.rejection_examples.get(code).map_or("", String::as_str);
                writeln!(f, "  rejected     {n} {code} (e.g. {example})")?;
            }
        }
        writeln!(f, "  firing       {:.3} s, {:.0} accepted tx/s", self.firing_secs, self.accepted_tx_per_sec)?;
        writeln!(
            f,
            "  included     {} ({} missing) in {:.3} s, {:.0} included tx/s",
            self.included, self.missing, self.inclusion_secs, self.included_tx_per_sec
        )?;
        match &self.latency_ms {
            Some(l) => {
                writeln!(f, "  latency ms   p50 {:.0}, p95 {:.0}, p99 {:.0}, max {:.0}", l.p50, l.p95, l.p99, l.max)?
            }
            None => writeln!(f, "  latency ms   n/a (nothing included)")?,
        }
        write!(f, "  blocks       {} seen, {:.1} txs per block", self.blocks_seen, self.avg_txs_per_block)
    }
}

/// Prints a setup step to stderr (stdout carries only the report, so `--json` stays clean).
fn progress(message: fmt::Arguments<'_>) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("bench load: {message}");
    }
}

/// The `p`-th percentile (0 to 100, nearest rank) of ascending `sorted`; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn latency(mut samples: Vec<f64>) -> Option<LatencyMs> {
    samples.sort_by(f64::total_cmp);
    let max = *samples.last()?;
    Some(LatencyMs {
        p50: percentile(&samples, 50.0),
        p95: percentile(&samples, 95.0),
        p99: percentile(&samples, 99.0),
        max,
    })
}

/// The `count` load signers of `seed`: key `i` is keccak256("rollup-load" ‖ seed ‖ i), seed
/// and `i` as big-endian u64; invalid keys are skipped.
pub fn load_signers(seed: u64, count: usize) -> Vec<Signer> {
    (0u64..)
        .filter_map(|i| {
            let mut preimage = b"rollup-load".to_vec();
            preimage.extend_from_slice(&seed.to_be_bytes());
            preimage.extend_from_slice(&i.to_be_bytes());
            Signer::new(&keccak256(&preimage)).ok()
        })
        .take(count)
        .collect()
}

/// Tokens and pools of the devnet genesis the load uses.
#[derive(Clone, Debug)]
struct Assets {
    decimals: HashMap<Address, u8>,
    /// Pools whose both tokens a load account holds.
    pools: Vec<(Address, Address)>,
}

impl Assets {
    fn devnet() -> Result<Self> {
        let genesis = GenesisSpec::devnet();
        let decimals = genesis.tokens.iter().map(|t| (t.address, t.decimals)).collect();
        let held = Mix::Swaps.tokens();
        let pools: Vec<_> = genesis
            .pools
            .iter()
            .filter(|p| held.contains(&p.token_a) && held.contains(&p.token_b))
            .map(|p| (p.token_a, p.token_b))
            .collect();
        ensure!(!pools.is_empty(), "the devnet genesis has no pool between WETH, USDC and DAI");
        Ok(Self { decimals, pools })
    }

    /// `mantissa` × 10^(decimals − shift) base units of `token`: with `mantissa` up to 100
    /// and `shift` 4, at most a hundredth of a whole token.
    fn amount(&self, token: Address, mantissa: u64, shift: u8) -> U256 {
        let decimals = self.decimals.get(&token).copied().unwrap_or(18);
        U256::from(mantissa) * U256::from(10u64).pow(U256::from(decimals.saturating_sub(shift)))
    }
}

/// One operation of the load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Transfer {
        token: Address,
        to: Address,
        amount: U256,
    },
    Swap {
        token_in: Address,
        token_out: Address,
        amount_in: U256,
    },
    Route {
        path: [Address; 3],
        amount_in: U256,
    },
    /// Step `step` (0 to 3) of a lender of `own` that borrows `other`: supply `supply` of
    /// `own`, borrow `borrow` of `other` (a tenth of the supply's worth), repay the whole debt,
    /// withdraw a tenth of the supply.
    Lend {
        step: u8,
        own: Address,
        other: Address,
        supply: U256,
        borrow: U256,
    },
}

impl Op {
    fn calldata(&self) -> Bytes {
        match *self {
            Self::Transfer { token, to, amount } => L2System::transferCall { token, to, amount }.abi_encode().into(),
            Self::Swap { token_in, token_out, amount_in } => L2System::swapCall {
                tokenIn: token_in,
                tokenOut: token_out,
                amountIn: amount_in,
                minAmountOut: U256::ZERO,
            }
            .abi_encode()
            .into(),
            Self::Route { path, amount_in } => L2System::swapPathCall {
                path: path.to_vec(),
                amountIn: amount_in,
                minAmountOut: U256::ZERO,
                deadline: U256::from(ROUTE_DEADLINE),
            }
            .abi_encode()
            .into(),
            Self::Lend { step, own, other, supply, borrow } => {
                use rollup_types::bindings::L2Lending;
                let tenth = supply / U256::from(10u8);
                match step {
                    0 => L2Lending::supplyCall { asset: own, amount: supply }.abi_encode(),
                    1 => L2Lending::borrowCall { asset: other, amount: borrow }.abi_encode(),
                    2 => L2Lending::repayCall { asset: other, amount: U256::MAX }.abi_encode(),
                    _ => L2Lending::withdrawSupplyCall { asset: own, amount: tenth }.abi_encode(),
                }
                .into()
            }
        }
    }

    /// The token and amount it takes from the sender (a repayment: twice what was borrowed,
    /// room for the interest).
    fn spends(&self) -> (Address, U256) {
        match *self {
            Self::Transfer { token, amount, .. } => (token, amount),
            Self::Swap { token_in, amount_in, .. } | Self::Route { path: [token_in, _, _], amount_in } => {
                (token_in, amount_in)
            }
            Self::Lend { step: 0, own, supply, .. } => (own, supply),
            Self::Lend { step: 2, other, borrow, .. } => (other, borrow * U256::from(2u8)),
            Self::Lend { own, .. } => (own, U256::ZERO),
        }
    }
}

/// The deadline the load's routed swaps carry, as a wallet's would be a timestamp: the start
/// of 2100 (five bytes in the codec).
pub const ROUTE_DEADLINE: u64 = 4_102_444_800;

/// A transaction before signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Planned {
    account: usize,
    nonce: u64,
    op: Op,
}

/// `txs` operations round-robin over `addresses` (transaction `k` from account `k mod N`),
/// each account's nonces counting up from `start_nonces`.
fn plan(mix: Mix, txs: usize, addresses: &[Address], start_nonces: &[u64], seed: u64, assets: &Assets) -> Vec<Planned> {
    let n = addresses.len();
    let mut rng = Rng(seed ^ 0x6c6f_6164);
    (0..txs)
        .map(|k| {
            let account = k % n;
            let nonce = start_nonces[account] + (k / n) as u64;
            let op = if (rng.below(100) as u64) < mix.transfer_percent() {
                let token = if rng.below(2) == 0 { USDC } else { DAI };
                // Another load account (itself only if it is alone).
                let to = addresses[(account + 1 + rng.below(n.saturating_sub(1).max(1))) % n];
                Op::Transfer { token, to, amount: assets.amount(token, 1 + rng.below(100) as u64, 4) }
            } else if mix == Mix::Lending {
                // Half the accounts lend USDC and borrow DAI, the other half the other way.
                let (own, other) = if account.is_multiple_of(2) { (USDC, DAI) } else { (DAI, USDC) };
                let step = ((nonce - start_nonces[account]) % 4) as u8;
                // The same mantissa for the account's whole cycle: 1 to 100 of `own` supplied, a
                // tenth of that borrowed (both stablecoins, priced alike).
                let mantissa = 1 + u64::from(keccak256(addresses[account]).0[0] % 100);
                let (supply, borrow) = (assets.amount(own, mantissa, 0), assets.amount(other, mantissa, 1));
                Op::Lend { step, own, other, supply, borrow }
            } else if mix == Mix::Routes {
                // The three tokens in any order: two of the three genesis pools.
                const ORDERS: [[Address; 3]; 6] = [
                    [WETH, USDC, DAI],
                    [WETH, DAI, USDC],
                    [USDC, WETH, DAI],
                    [USDC, DAI, WETH],
                    [DAI, WETH, USDC],
                    [DAI, USDC, WETH],
                ];
                let path = ORDERS[rng.below(ORDERS.len())];
                let shift = if path[0] == WETH { 7 } else { 4 };
                Op::Route { path, amount_in: assets.amount(path[0], 1 + rng.below(100) as u64, shift) }
            } else {
                let (a, b) = assets.pools[rng.below(assets.pools.len())];
                let (token_in, token_out) = if rng.below(2) == 0 { (a, b) } else { (b, a) };
                // WETH is worth thousands of dollars: a thousandth of the stablecoins' amount.
                let shift = if token_in == WETH { 7 } else { 4 };
                Op::Swap { token_in, token_out, amount_in: assets.amount(token_in, 1 + rng.below(100) as u64, shift) }
            };
            Planned { account, nonce, op }
        })
        .collect()
}

/// The gas limit the load signs, as a wallet would from `eth_estimateGas`: room for the
/// operation and its L1 data fee in gas units (docs/fees.md §2) while a post's L1 gas costs up
/// to about 1.6 gwei, against the lowest L2 base fee.
pub const LOAD_GAS_LIMIT: u64 = 10_000_000;
/// The fee cap the load signs: ten times the lowest base fee, as a wallet offers a multiple
/// of the current one.
pub const LOAD_MAX_FEE: u128 = 10 * rollup_types::fees::MIN_BASE_FEE;

/// What each account spends in all, per token (incoming transfers and swap outputs ignored).
fn spending(plan: &[Planned], accounts: usize) -> Vec<HashMap<Address, U256>> {
    let mut out = vec![HashMap::new(); accounts];
    // Each transaction may take `gasLimit × maxFeePerGas` of its sender's ether, which admission
    // wants held (docs/fees.md §5): that much more for each, and once more to be admitted last.
    let most = U256::from(LOAD_GAS_LIMIT) * U256::from(LOAD_MAX_FEE);
    for p in plan {
        let (token, amount) = p.op.spends();
        *out[p.account].entry(token).or_insert(U256::ZERO) += amount;
        *out[p.account].entry(rollup_types::keys::ETHER).or_insert(most) += most;
    }
    out
}

/// A signed transaction ready to fire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadTx {
    /// Index of the sending load account.
    pub account: usize,
    /// Its nonce.
    pub nonce: u64,
    /// The EIP-2718 encoding as `0x` hex.
    pub raw: String,
}

fn sign(signers: &[Signer], chain_id: u64, plan: &[Planned]) -> Vec<LoadTx> {
    plan.par_iter()
        .map(|p| {
            let tx = sign_call(&signers[p.account], chain_id, p.nonce, p.op.calldata());
            LoadTx { account: p.account, nonce: p.nonce, raw: hex::encode_prefixed(tx.encoded()) }
        })
        .collect()
}

/// A call of the system contract signed as a wallet does ([`LOAD_GAS_LIMIT`],
/// [`LOAD_MAX_FEE`]): the load's transactions and the funding of its accounts.
fn sign_call(signer: &Signer, chain_id: u64, nonce: u64, input: Bytes) -> rollup_types::SignedTx {
    signer.sign_eip1559(alloy_consensus::TxEip1559 {
        chain_id,
        nonce,
        gas_limit: LOAD_GAS_LIMIT,
        max_fee_per_gas: LOAD_MAX_FEE,
        max_priority_fee_per_gas: 0,
        to: alloy_primitives::TxKind::Call(rollup_types::SYSTEM_CONTRACT),
        value: U256::ZERO,
        access_list: Default::default(),
        input,
    })
}

/// Splits `txs` over `workers` so that each account belongs to one worker (account `a` to
/// worker `a mod workers`), keeping the order of `txs` within each worker.
pub fn partition(txs: Vec<LoadTx>, workers: usize) -> Vec<Vec<LoadTx>> {
    let workers = workers.max(1);
    let mut parts = vec![Vec::with_capacity(txs.len() / workers + 1); workers];
    for tx in txs {
        parts[tx.account % workers].push(tx);
    }
    parts
}

// ---------------------------------------------------------------------------------------
// The REST API.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusJson {
    chain_id: u64,
    head: HeadJson,
}

#[derive(Deserialize)]
struct HeadJson {
    number: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountJson {
    nonce: u64,
    pending_nonce: u64,
    #[serde(default)]
    balances: Vec<BalanceJson>,
}

#[derive(Deserialize)]
struct BalanceJson {
    token: Address,
    /// Decimal base units.
    balance: String,
}

/// An account as the load needs it.
#[derive(Clone, Debug)]
pub(crate) struct AccountInfo {
    pub(crate) nonce: u64,
    pending_nonce: u64,
    balances: HashMap<Address, U256>,
}

impl AccountInfo {
    fn balance(&self, token: &Address) -> U256 {
        self.balances.get(token).copied().unwrap_or(U256::ZERO)
    }
}

#[derive(Deserialize)]
struct BlockJson {
    transactions: Vec<B256>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorJson,
}

#[derive(Deserialize)]
struct ErrorJson {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct HashJson {
    hash: B256,
}

#[derive(Deserialize)]
struct BatchJson {
    results: Vec<ItemJson>,
}

#[derive(Deserialize)]
struct ItemJson {
    hash: Option<B256>,
    error: Option<ErrorJson>,
}

/// What the sequencer said about one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Accepted(B256),
    Rejected { code: String, message: String },
}

/// The answer to one submission request.
pub(crate) enum Reply {
    /// 429: retry the same request after this long.
    Throttled(Duration),
    /// One outcome per transaction sent, in order.
    Done(Vec<Outcome>),
}

/// The start of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// `Retry-After` in seconds (1 s if absent or unreadable, at most 30 s).
fn retry_after(headers: &header::HeaderMap) -> Duration {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(1), |s| Duration::from_secs_f64(s.min(30.0)))
}

/// A client of the sequencer's REST API.
#[derive(Clone)]
pub(crate) struct Api {
    client: reqwest::Client,
    /// The sequencers it may ask: the first, then the others in turn when one fails.
    bases: Arc<[Arc<str>]>,
    /// The one asked now (an index into `bases`, modulo).
    at: Arc<std::sync::atomic::AtomicUsize>,
}

impl Api {
    pub(crate) fn new(base: &url::Url, connections: usize) -> Result<Self> {
        Self::with_failover(base, &[], connections)
    }

    /// A client of `base` that turns to each of `others` in turn when the one it asks fails.
    pub(crate) fn with_failover(base: &url::Url, others: &[url::Url], connections: usize) -> Result<Self> {
        let mut bases = Vec::with_capacity(1 + others.len());
        for url in std::iter::once(base).chain(others) {
            ensure!(matches!(url.scheme(), "http" | "https"), "--rpc must be an http URL, got {url}");
            bases.push(Arc::from(url.as_str().trim_end_matches('/')));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(connections + 4)
            .tcp_nodelay(true)
            .build()
            .context("building the HTTP client")?;
        Ok(Self { client, bases: bases.into(), at: Arc::default() })
    }

    fn url(&self, path: &str) -> String {
        let at = self.at.load(std::sync::atomic::Ordering::Relaxed) % self.bases.len();
        format!("{}{path}", self.bases[at])
    }

    /// Turns to the next sequencer, if there is another, unless another request already did
    /// since `seen` (the index it asked).
    fn fail_over(&self, seen: &str) {
        if self.bases.len() > 1 && self.url("").as_str() == seen {
            let at = self.at.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(target: "bench::load", from = %self.bases[at % self.bases.len()], "failing over");
        }
    }

    /// Sends the request `request` builds for the URL of `path` (rebuilt for each attempt),
    /// retrying transport failures, on the next sequencer when there are others.
    async fn send(
        &self,
        what: &str,
        path: &str,
        request: impl Fn(String) -> reqwest::RequestBuilder,
    ) -> Result<(Instant, StatusCode, header::HeaderMap, Vec<u8>)> {
        let mut attempt = 1;
        // With others to turn to, as many attempts as it takes to try each a few times.
        let attempts = TRANSPORT_ATTEMPTS * u32::try_from(self.bases.len()).unwrap_or(1);
        loop {
            let sent_at = Instant::now();
            let base = self.url("");
            let result = async {
                let response = request(self.url(path)).send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body.to_vec()))
            }
            .await;
            match result {
                Ok((status, headers, body)) => return Ok((sent_at, status, headers, body)),
                Err(err) if attempt < attempts => {
                    tracing::debug!(target: "bench::load", %err, what, "request failed; retrying");
                    self.fail_over(&base);
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(10)))).await;
                }
                Err(err) => return Err(err).with_context(|| format!("{what} ({attempt} attempts)")),
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let what = format!("GET {path}");
        let mut unavailable = 0;
        let (_, status, _, body) = loop {
            let base = self.url("");
            let answer = self.send(&what, path, |url| self.client.get(url)).await?;
            // A follower in a takeover, or a standby: ask the next one after a while (for a
            // minute at most).
            if answer.1 == StatusCode::SERVICE_UNAVAILABLE && self.bases.len() > 1 && unavailable < 300 {
                unavailable += 1;
                self.fail_over(&base);
                tokio::time::sleep(retry_after(&answer.2).min(Duration::from_millis(200))).await;
                continue;
            }
            break answer;
        };
        if !status.is_success() {
            match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => bail!("{what}: HTTP {status}: {}: {}", e.error.code, e.error.message),
                Err(_) => bail!("{what}: HTTP {status}: {}", snippet(&body)),
            }
        }
        serde_json::from_slice(&body).with_context(|| format!("{what}: malformed response: {}", snippet(&body)))
    }

    async fn status(&self) -> Result<StatusJson> {
        self.get("/v1/status").await
    }

    pub(crate) async fn account(&self, address: Address) -> Result<AccountInfo> {
        let json: AccountJson = self.get(&format!("/v1/accounts/{address}")).await?;
        let mut balances = HashMap::new();
        for b in json.balances {
            let amount: U256 = b
                .balance
                .parse()
                .with_context(|| format!("account {address}: balance {:?} is not a number", b.balance))?;
            balances.insert(b.token, amount);
        }
        Ok(AccountInfo { nonce: json.nonce, pending_nonce: json.pending_nonce, balances })
    }

    /// Reads many accounts, a few requests at a time, in the order given.
    async fn accounts(&self, addresses: &[Address]) -> Result<Vec<AccountInfo>> {
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(SETUP_CONCURRENCY) {
            let mut set = JoinSet::new();
            for (i, address) in chunk.iter().copied().enumerate() {
                let api = self.clone();
                set.spawn(async move { (i, api.account(address).await) });
            }
            let mut infos = vec![None; chunk.len()];
            while let Some(joined) = set.join_next().await {
                let (i, info) = joined.context("an account request panicked")?;
                infos[i] = Some(info?);
            }
            out.extend(
                infos
                    .into_iter()
                    .map(|i| i.context("an account request did not finish"))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        Ok(out)
    }

    async fn block_txs(&self, number: u64) -> Result<Vec<B256>> {
        Ok(self.get::<BlockJson>(&format!("/v1/blocks/{number}")).await?.transactions)
    }

    /// One submission request: `POST /v1/transactions` with one transaction, or
    /// `POST /v1/transactions/batch` with several. Returns when the request was sent.
    pub(crate) async fn submit(&self, raws: &[&str], batch: bool) -> Result<(Instant, Reply)> {
        let (path, body) = if batch {
            ("/v1/transactions/batch", serde_json::json!({ "transactions": raws }).to_string())
        } else {
            let raw = raws.first().context("a submission needs a transaction")?;
            ("/v1/transactions", serde_json::json!({ "raw": raw }).to_string())
        };
        let what = format!("POST {path}");
        let base = self.url("");
        let (sent_at, status, headers, body) = self
            .send(&what, path, |url| {
                self.client.post(url).header(header::CONTENT_TYPE, "application/json").body(body.clone())
            })
            .await?;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Ok((sent_at, Reply::Throttled(retry_after(&headers))));
        }
        // Nothing was taken (a takeover under way, a leader that lost its lease): with others
        // to turn to, the same request again there (a transaction taken before the answer was
        // lost is known to the new leader: the same hash back).
        if status == StatusCode::SERVICE_UNAVAILABLE && self.bases.len() > 1 {
            self.fail_over(&base);
            return Ok((sent_at, Reply::Throttled(retry_after(&headers).min(Duration::from_millis(200)))));
        }
        let malformed = || format!("{what}: HTTP {status} with a malformed body: {}", snippet(&body));
        if !batch {
            let outcome = if status.is_success() {
                Outcome::Accepted(serde_json::from_slice::<HashJson>(&body).with_context(malformed)?.hash)
            } else {
                let e = serde_json::from_slice::<ErrorBody>(&body).with_context(malformed)?.error;
                Outcome::Rejected { code: e.code, message: e.message }
            };
            return Ok((sent_at, Reply::Done(vec![outcome])));
        }
        if !status.is_success() {
            let e = serde_json::from_slice::<ErrorBody>(&body).with_context(malformed)?.error;
            bail!("{what}: the batch was refused: HTTP {status}: {}: {}", e.code, e.message);
        }
        let results = serde_json::from_slice::<BatchJson>(&body).with_context(malformed)?.results;
        ensure!(
            results.len() == raws.len(),
            "{what}: {} results for {} transactions: {}",
            results.len(),
            raws.len(),
            snippet(&body)
        );
        let outcomes = results
            .into_iter()
            .enumerate()
            .map(|(i, item)| match (item.hash, item.error) {
                (_, Some(e)) => Ok(Outcome::Rejected { code: e.code, message: e.message }),
                (Some(hash), None) => Ok(Outcome::Accepted(hash)),
                (None, None) => bail!("{what}: result {i} has neither a hash nor an error: {}", snippet(&body)),
            })
            .collect::<Result<_>>()?;
        Ok((sent_at, Reply::Done(outcomes)))
    }
}

// ---------------------------------------------------------------------------------------
// Setup: funding the load accounts.

/// Waits until `address`'s committed nonce reaches `nonce`.
async fn wait_nonce(api: &Api, address: Address, nonce: u64) -> Result<()> {
    let deadline = Instant::now() + FUNDING_TIMEOUT;
    loop {
        let info = api.account(address).await?;
        if info.nonce >= nonce {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{address}: nonce {} after {} s, waiting for {nonce} (pending nonce {}): funding is not being included",
            info.nonce,
            FUNDING_TIMEOUT.as_secs(),
            info.pending_nonce
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends `transfers` (token, to, amount) from one development account, at most
/// [`MAX_NONCE_GAP`] at a time, each wave included before the next is sent.
async fn fund_from(api: Api, key: B256, chain_id: u64, transfers: Vec<(Address, Address, U256)>) -> Result<()> {
    let signer = Signer::new(&key).context("a development key is invalid")?;
    let address = signer.address();
    let mut next = api.account(address).await?.pending_nonce;
    for wave in transfers.chunks(MAX_NONCE_GAP) {
        // Nothing of ours pending: the whole wave fits in the nonce window.
        wait_nonce(&api, address, next).await?;
        for &(token, to, amount) in wave {
            let raw = hex::encode_prefixed(
                sign_call(&signer, chain_id, next, Op::Transfer { token, to, amount }.calldata()).encoded(),
            );
            loop {
                match api.submit(&[raw.as_str()], false).await? {
                    (_, Reply::Throttled(wait)) => tokio::time::sleep(wait).await,
                    (_, Reply::Done(outcomes)) => match outcomes.into_iter().next() {
                        Some(Outcome::Accepted(_)) => break,
                        Some(Outcome::Rejected { code, message }) => {
                            bail!("funding from {address} (nonce {next}) was rejected: {code}: {message}")
                        }
                        None => bail!("funding from {address}: no outcome"),
                    },
                }
            }
            next += 1;
        }
    }
    wait_nonce(&api, address, next).await
}

/// Tops up every load account to twice what it will spend, from the development accounts,
/// and checks that the funds arrived. Returns the number of funding transfers.
async fn fund(
    api: &Api,
    chain_id: u64,
    addresses: &[Address],
    infos: &[AccountInfo],
    needs: &[HashMap<Address, U256>],
) -> Result<usize> {
    let mut transfers = Vec::new();
    for ((address, info), need) in addresses.iter().zip(infos).zip(needs) {
        let mut tokens: Vec<_> = need.iter().collect();
        tokens.sort();
        for (token, amount) in tokens {
            if info.balance(token) < *amount {
                transfers.push((*token, *address, *amount * U256::from(2u64) - info.balance(token)));
            }
        }
    }
    if transfers.is_empty() {
        return Ok(0);
    }
    let devs: Vec<_> = DEV_ACCOUNTS.iter().collect();
    let mut per_dev: Vec<Vec<(Address, Address, U256)>> = vec![Vec::new(); devs.len()];
    for (i, t) in transfers.iter().enumerate() {
        per_dev[i % devs.len()].push(*t);
    }
    // Every development account must hold what it gives.
    let dev_infos = api.accounts(&devs.iter().map(|d| d.address).collect::<Vec<_>>()).await?;
    for ((dev, info), sends) in devs.iter().zip(&dev_infos).zip(&per_dev) {
        let mut total: HashMap<Address, U256> = HashMap::new();
        for (token, _, amount) in sends {
            *total.entry(*token).or_insert(U256::ZERO) += *amount;
        }
        for (token, amount) in total {
            ensure!(
                info.balance(&token) >= amount,
                "development account {} holds {} of token {token}, the load needs {amount} from it: \
                 use fewer transactions or a fresh chain",
                dev.address,
                info.balance(&token)
            );
        }
    }
    progress(format_args!(
        "funding {} load accounts: {} transfers from {} development accounts",
        addresses.len(),
        transfers.len(),
        devs.len()
    ));
    let mut set = JoinSet::new();
    for (dev, sends) in devs.iter().zip(per_dev) {
        if !sends.is_empty() {
            set.spawn(fund_from(api.clone(), dev.private_key, chain_id, sends));
        }
    }
    while let Some(joined) = set.join_next().await {
        joined.context("a funding task panicked")??;
    }
    let after = api.accounts(addresses).await?;
    for ((address, info), need) in addresses.iter().zip(&after).zip(needs) {
        for (token, amount) in need {
            ensure!(
                info.balance(token) >= *amount,
                "funding did not arrive: load account {address} holds {} of token {token}, needs {amount}",
                info.balance(token)
            );
        }
    }
    Ok(transfers.len())
}

// ---------------------------------------------------------------------------------------
// Firing.

/// A token bucket shared by the workers; requests take their transactions' worth of tokens
/// and wait for the bucket to refill when it is in debt.
struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(rate: f64) -> Self {
        // A twentieth of a second's worth of burst, at least one transaction.
        let capacity = (rate / 20.0).max(1.0);
        Self { rate, capacity, state: Mutex::new((capacity, Instant::now())) }
    }

    async fn acquire(&self, n: usize) {
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let (tokens, last) = *state;
            let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.capacity) - n as f64;
            *state = (tokens, now);
            if tokens < 0.0 { Duration::from_secs_f64(-tokens / self.rate) } else { Duration::ZERO }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// What one worker did.
#[derive(Default)]
struct WorkerStats {
    /// Accepted transactions with the time their accepted request was sent.
    accepted: Vec<(B256, Instant)>,
    rejected: BTreeMap<String, u64>,
    examples: BTreeMap<String, String>,
    requests: u64,
    throttled: u64,
    retried: u64,
}

impl WorkerStats {
    fn reject(&mut self, code: String, message: String) {
        *self.rejected.entry(code.clone()).or_default() += 1;
        self.examples.entry(code).or_insert(message);
    }

    fn merge(&mut self, other: Self) {
        self.accepted.extend(other.accepted);
        for (code, n) in other.rejected {
            *self.rejected.entry(code).or_default() += n;
        }
        for (code, message) in other.examples {
            self.examples.entry(code).or_insert(message);
        }
        self.requests += other.requests;
        self.throttled += other.throttled;
        self.retried += other.retried;
    }
}

/// Sends `txs` in order, `batch` per request (or one by one), retrying what is refused for
/// a transient reason before moving on, so each account's nonces arrive in order.
async fn worker(
    api: Api,
    txs: Vec<LoadTx>,
    batch: Option<usize>,
    limiter: Option<Arc<TokenBucket>>,
) -> Result<WorkerStats> {
    let mut stats = WorkerStats::default();
    for chunk in txs.chunks(batch.unwrap_or(1).max(1)) {
        let mut pending: Vec<&str> = chunk.iter().map(|t| t.raw.as_str()).collect();
        let first_try = Instant::now();
        let mut backoff = Duration::from_millis(20);
        while !pending.is_empty() {
            if let Some(limiter) = &limiter {
                limiter.acquire(pending.len()).await;
            }
            stats.requests += 1;
            let (sent_at, outcomes) = match api.submit(&pending, batch.is_some()).await? {
                (_, Reply::Throttled(wait)) => {
                    stats.throttled += 1;
                    tokio::time::sleep(wait).await;
                    continue;
                }
                (sent_at, Reply::Done(outcomes)) => (sent_at, outcomes),
            };
            let mut retry = Vec::new();
            for (raw, outcome) in pending.iter().zip(outcomes) {
                match outcome {
                    Outcome::Accepted(hash) => stats.accepted.push((hash, sent_at)),
                    Outcome::Rejected { code, .. }
                        if RETRYABLE.contains(&code.as_str()) && first_try.elapsed() < RETRY_LIMIT =>
                    {
                        retry.push(*raw);
                    }
                    Outcome::Rejected { code, message } => stats.reject(code, message),
                }
            }
            if !retry.is_empty() {
                stats.retried += retry.len() as u64;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
            pending = retry;
        }
    }
    Ok(stats)
}

// ---------------------------------------------------------------------------------------
// Inclusion tracking.

/// A block the tracker saw.
#[derive(Clone, Copy, Debug)]
struct BlockSeen {
    number: u64,
    txs: usize,
}

/// What the tracker saw.
#[derive(Default)]
struct Inclusions {
    /// Every transaction in a block seen, with the time its block was seen.
    seen: HashMap<B256, (Instant, u64)>,
    blocks: Vec<BlockSeen>,
}

/// Polls the head every [`POLL`] and records the transactions of every block after `from`.
async fn track(api: Api, from: u64, shared: Arc<Mutex<Inclusions>>, cancel: CancellationToken) -> Result<()> {
    let mut last = from;
    let mut interval = tokio::time::interval(POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            _ = interval.tick() => {}
        }
        let head = api.status().await.context("inclusion tracker")?.head.number;
        let at = Instant::now();
        for number in last + 1..=head {
            let txs = api.block_txs(number).await.context("inclusion tracker")?;
            let mut inc = shared.lock().unwrap_or_else(PoisonError::into_inner);
            inc.blocks.push(BlockSeen { number, txs: txs.len() });
            for hash in txs {
                inc.seen.insert(hash, (at, number));
            }
        }
        last = last.max(head);
    }
}

/// CPU seconds (user and system) this process has used so far.
pub fn process_cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// When firing started, and the process's CPU seconds then.
#[derive(Debug)]
pub struct FireStart {
    /// The first submission.
    pub at: Instant,
    /// [`process_cpu_secs`] then.
    pub cpu_secs: f64,
    /// Every CPU counter then, for the report by stage.
    pub cpu: crate::stages::CpuSnapshot,
}

/// One accepted transaction: when its request was sent, and the block it was seen in.
#[derive(Clone, Copy, Debug)]
pub struct Accepted {
    /// When the request that carried it was sent.
    pub sent_at: Instant,
    /// The block it was seen in, if it was before the timeout.
    pub block: Option<u64>,
}

impl LoadBench {
    /// Sets up, fires, waits for inclusion and reports.
    pub async fn run(&self) -> Result<LoadReport> {
        Ok(self.run_traced().await?.0)
    }

    /// [`Self::run`], with every accepted transaction's submission time and block, and when
    /// firing started.
    pub async fn run_traced(&self) -> Result<(LoadReport, Vec<Accepted>, FireStart)> {
        ensure!(self.accounts > 0, "--accounts must be positive");
        ensure!(self.txs > 0, "--txs must be positive");
        ensure!(self.concurrency > 0, "--concurrency must be positive");
        ensure!(self.batch.is_none_or(|b| b > 0), "--batch must be positive");
        ensure!(self.rate.is_none_or(|r| r.is_finite() && r > 0.0), "--rate must be a positive number");
        let api = Api::with_failover(&self.rpc, &self.failover, self.concurrency)?;
        let assets = Assets::devnet()?;

        // Setup (not measured).
        let setup_started = Instant::now();
        let status = api.status().await.with_context(|| format!("reading the sequencer's status at {}", self.rpc))?;
        let chain_id = status.chain_id;
        let signers = load_signers(self.seed, self.accounts);
        let addresses: Vec<Address> = signers.iter().map(Signer::address).collect();
        let infos = api.accounts(&addresses).await.context("reading the load accounts")?;
        let starts: Vec<u64> = infos.iter().map(|i| i.pending_nonce).collect();
        let planned = plan(self.mix, self.txs, &addresses, &starts, self.seed, &assets);
        let per_account = self.txs.div_ceil(self.accounts);
        if per_account > MAX_NONCE_GAP {
            progress(format_args!(
                "{per_account} transactions per account: more than the {MAX_NONCE_GAP} nonces the sequencer holds \
                 ahead; expect nonce_too_high retries (use more --accounts)"
            ));
        }
        let funding_txs = fund(&api, chain_id, &addresses, &infos, &spending(&planned, addresses.len()))
            .await
            .context("funding the load accounts")?;
        let signing_started = Instant::now();
        let signed = tokio::task::spawn_blocking(move || sign(&signers, chain_id, &planned))
            .await
            .context("the signing task panicked")?;
        progress(format_args!(
            "signed {} transactions in {:.2} s; firing with {} workers",
            signed.len(),
            signing_started.elapsed().as_secs_f64(),
            self.concurrency.min(addresses.len())
        ));
        let sent = signed.len();
        let parts = partition(signed, self.concurrency.min(addresses.len()));
        let workers = parts.len();
        let setup_secs = setup_started.elapsed().as_secs_f64();

        // Inclusion tracking starts from the current head.
        let head = api.status().await?.head.number;
        let inclusions = Arc::new(Mutex::new(Inclusions::default()));
        let cancel = CancellationToken::new();
        let _stop_tracker = cancel.clone().drop_guard();
        let tracker = tokio::spawn(track(api.clone(), head, inclusions.clone(), cancel.clone()));

        // Firing.
        let limiter = self.rate.map(|r| Arc::new(TokenBucket::new(r)));
        let fire_start = Instant::now();
        let fired = FireStart { at: fire_start, cpu_secs: process_cpu_secs(), cpu: crate::stages::CpuSnapshot::now() };
        let mut set = JoinSet::new();
        for part in parts {
            set.spawn(worker(api.clone(), part, self.batch, limiter.clone()));
        }
        let mut stats = WorkerStats::default();
        while let Some(joined) = set.join_next().await {
            stats.merge(joined.context("a load worker panicked")?.context("a load worker failed")?);
        }
        let fire_end = Instant::now();
        let firing_secs = fire_end.duration_since(fire_start).as_secs_f64();
        progress(format_args!(
            "fired in {firing_secs:.2} s; waiting up to {} s for inclusion",
            self.inclusion_timeout.as_secs()
        ));

        // Waiting for every accepted transaction to be seen in a block.
        let deadline = fire_end + self.inclusion_timeout;
        let mut waiting: Vec<B256> = stats.accepted.iter().map(|(h, _)| *h).collect();
        loop {
            {
                let inc = inclusions.lock().unwrap_or_else(PoisonError::into_inner);
                waiting.retain(|h| !inc.seen.contains_key(h));
            }
            if waiting.is_empty() || Instant::now() >= deadline || tracker.is_finished() {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        cancel.cancel();
        tracker.await.context("the inclusion tracker panicked")??;

        // The report.
        let inc = inclusions.lock().unwrap_or_else(PoisonError::into_inner);
        let mut samples = Vec::with_capacity(stats.accepted.len());
        let mut last_seen: Option<(Instant, u64)> = None;
        for (hash, sent_at) in &stats.accepted {
            if let Some(&(at, number)) = inc.seen.get(hash) {
                samples.push(at.saturating_duration_since(*sent_at).as_secs_f64() * 1e3);
                if last_seen.is_none_or(|(t, _)| at > t) {
                    last_seen = Some((at, number));
                }
            }
        }
        let traces: Vec<Accepted> = stats
            .accepted
            .iter()
            .map(|(hash, sent_at)| Accepted { sent_at: *sent_at, block: inc.seen.get(hash).map(|(_, n)| *n) })
            .collect();
        let included = samples.len();
        let inclusion_secs = last_seen.map_or(0.0, |(at, _)| at.saturating_duration_since(fire_start).as_secs_f64());
        let last_block = last_seen.map_or(u64::MAX, |(_, n)| n);
        let blocks: Vec<_> = inc.blocks.iter().filter(|b| b.number <= last_block).collect();
        let block_txs: usize = blocks.iter().map(|b| b.txs).sum();
        let accepted = stats.accepted.len();
        let report = LoadReport {
            rpc: self.rpc.to_string(),
            mix: self.mix,
            accounts: addresses.len(),
            workers,
            batch: self.batch,
            rate: self.rate,
            funding_txs,
            setup_secs,
            sent,
            requests: stats.requests,
            throttled: stats.throttled,
            retried: stats.retried,
            accepted,
            rejected: stats.rejected,
            rejection_examples: stats.examples,
            firing_secs,
            accepted_tx_per_sec: if firing_secs > 0.0 { accepted as f64 / firing_secs } else { 0.0 },
            included,
            missing: accepted - included,
            inclusion_secs,
            included_tx_per_sec: if inclusion_secs > 0.0 { included as f64 / inclusion_secs } else { 0.0 },
            latency_ms: latency(samples),
            blocks_seen: blocks.len(),
            avg_txs_per_block: if blocks.is_empty() { 0.0 } else { block_txs as f64 / blocks.len() as f64 },
        };
        Ok((report, traces, fired))
    }
}

/// The arguments of `rollup bench load`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the sequencer's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: url::Url,
    /// Other sequencers of the same chain (on one database, docs/deployment.md), comma
    /// separated: requests go to the next when the one asked cannot be reached or answers 503
    /// (a takeover under way).
    #[arg(long = "rpc.failover", value_delimiter = ',')]
    failover: Vec<url::Url>,
    /// Load accounts (derived from the seed, funded from the development accounts).
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    /// Transactions fired, round-robin over the accounts.
    #[arg(long, default_value_t = 5_000)]
    txs: usize,
    /// Concurrent workers, each owning a disjoint set of accounts.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Transactions: transfers, swaps, mixed (70 % transfers, 30 % swaps) or routes (swapPath
    /// through two pools).
    #[arg(long, default_value = "mixed")]
    mix: Mix,
    /// Transactions per request to `POST /v1/transactions/batch` (default: one per request
    /// to `POST /v1/transactions`).
    #[arg(long)]
    batch: Option<usize>,
    /// Cap on the submission rate, in transactions per second (default: as fast as possible).
    #[arg(long)]
    rate: Option<f64>,
    /// Seed of the load accounts and transactions.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seconds to wait after the last submission for every accepted transaction to be included.
    #[arg(long = "inclusion-timeout", default_value_t = 60)]
    inclusion_timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = LoadBench {
            rpc: args.rpc,
            failover: args.failover,
            accounts: args.accounts,
            txs: args.txs,
            concurrency: args.concurrency,
            mix: args.mix,
            batch: args.batch,
            rate: args.rate,
            seed: args.seed,
            inclusion_timeout: Duration::from_secs(args.inclusion_timeout),
        };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 50.0), 50.0);
        assert_eq!(percentile(&samples, 95.0), 95.0);
        assert_eq!(percentile(&samples, 99.0), 99.0);
        assert_eq!(percentile(&samples, 100.0), 100.0);
        assert_eq!(percentile(&samples, 0.0), 1.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        let l = latency(vec![3.0, 1.0, 2.0, 10.0]).expect("samples");
        assert_eq!((l.p50, l.p95, l.p99, l.max), (2.0, 10.0, 10.0, 10.0));
        assert!(latency(Vec::new()).is_none());
    }

    #[test]
    fn partition_gives_each_account_to_one_worker_in_nonce_order() {
        let accounts = 7;
        let addresses: Vec<Address> = (0..accounts).map(|i| Address::with_last_byte(i as u8 + 1)).collect();
        let starts: Vec<u64> = (0..accounts as u64).map(|i| i * 3).collect();
        let assets = Assets::devnet().expect("devnet assets");
        let planned = plan(Mix::Mixed, 100, &addresses, &starts, 5, &assets);
        let txs: Vec<LoadTx> =
            planned.iter().map(|p| LoadTx { account: p.account, nonce: p.nonce, raw: String::new() }).collect();
        let parts = partition(txs.clone(), 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), txs.len());
        let mut owner = HashMap::new();
        for (w, part) in parts.iter().enumerate() {
            let mut next: HashMap<usize, u64> = HashMap::new();
            for tx in part {
                assert_eq!(*owner.entry(tx.account).or_insert(w), w, "account {} has two workers", tx.account);
                // Consecutive nonces from the account's start, in order.
                let expected = next.entry(tx.account).or_insert(starts[tx.account]);
                assert_eq!(tx.nonce, *expected);
                *expected += 1;
            }
        }
        assert_eq!(owner.len(), accounts);
    }

    #[test]
    fn plans_spend_only_held_tokens_and_never_send_to_self() {
        let addresses: Vec<Address> = (0..4u8).map(|i| Address::with_last_byte(i + 1)).collect();
        let assets = Assets::devnet().expect("devnet assets");
        for mix in [Mix::Transfers, Mix::Swaps, Mix::Mixed, Mix::Routes, Mix::Lending] {
            let planned = plan(mix, 400, &addresses, &[0; 4], 1, &assets);
            let transfers = planned.iter().filter(|p| matches!(p.op, Op::Transfer { .. })).count();
            let routes = planned.iter().filter(|p| matches!(p.op, Op::Route { .. })).count();
            match mix {
                Mix::Transfers => assert_eq!(transfers, 400),
                Mix::Swaps => assert_eq!(transfers + routes, 0),
                Mix::Mixed => assert!((200..360).contains(&transfers) && routes == 0, "{transfers} transfers of 400"),
                Mix::Routes => assert_eq!(routes, 400),
                Mix::Lending => {
                    // Each account's four steps in turn: supply, borrow, repay, withdraw.
                    let lends: Vec<u8> = planned
                        .iter()
                        .filter_map(|p| if let Op::Lend { step, .. } = p.op { Some(step) } else { None })
                        .collect();
                    assert_eq!(lends.len(), 400);
                    assert!(
                        planned.iter().all(|p| matches!(p.op, Op::Lend { step, .. } if u64::from(step) == p.nonce % 4))
                    );
                }
            }
            for p in &planned {
                assert!(mix.tokens().contains(&p.op.spends().0));
                if let Op::Transfer { to, .. } = p.op {
                    assert_ne!(to, addresses[p.account]);
                }
            }
        }
    }

    #[test]
    fn load_keys_are_deterministic_and_distinct() {
        let a = load_signers(1, 5);
        let b = load_signers(1, 5);
        let c = load_signers(2, 5);
        assert_eq!(a.len(), 5);
        assert_eq!(
            a.iter().map(Signer::address).collect::<Vec<_>>(),
            b.iter().map(Signer::address).collect::<Vec<_>>()
        );
        assert_ne!(a[0].address(), c[0].address());
        let distinct: std::collections::HashSet<_> = a.iter().map(Signer::address).collect();
        assert_eq!(distinct.len(), 5);
    }

    #[test]
    fn mix_parses_and_prints() {
        for mix in [Mix::Transfers, Mix::Swaps, Mix::Mixed, Mix::Routes, Mix::Lending] {
            assert_eq!(mix.to_string().parse::<Mix>(), Ok(mix));
        }
        assert!("everything".parse::<Mix>().is_err());
    }
}
