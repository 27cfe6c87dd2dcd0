//! `rollup bench spam`: what spam costs its sender (docs/fees.md §2, §5). Against a running
//! node, a fresh key funded from a development account sends `--txs` transfers of zero ether
//! (the cheapest transaction there is, signed as a spammer would: the estimated gas limit and
//! twice the gas price) as fast as the node takes them, and the report gives the ether they
//! cost it; meanwhile keys that hold no ether try one transaction each and are refused at the
//! door, and an honest account sends a token transfer four times a second and measures how
//! long each takes to be included.

use crate::{
    hostile::rpc,
    load::{Api, Outcome, Reply, percentile},
};
use alloy_primitives::{Address, B256, U256, hex, keccak256};
use alloy_sol_types::SolCall;
use anyhow::{Context, Result, ensure};
use rollup_types::{
    bindings::L2System,
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// The settings of a run.
#[derive(Clone, Debug)]
pub struct SpamBench {
    /// Base URL of the node's HTTP API.
    pub rpc: url::Url,
    /// Transfers the spammer sends.
    pub txs: usize,
    /// Ether the spammer is given first.
    pub fund: U256,
    /// Keys without ether that each try one transaction.
    pub unfunded: usize,
    /// How long to wait for the spam to be included.
    pub timeout: Duration,
}

/// What a run measured.
#[derive(Debug, Default, Serialize)]
pub struct SpamReport {
    /// Spam transactions sent and included.
    pub spam_sent: u64,
    /// Of them, included.
    pub spam_included: u64,
    /// Seconds from the first spam transaction to the last included.
    pub spam_secs: f64,
    /// The gas limit and fee cap the spammer signed.
    pub gas_limit: u64,
    /// Its fee cap, wei a gas unit.
    pub max_fee: u128,
    /// Ether the spam cost its sender, in wei, and per transaction.
    pub spent_wei: String,
    /// Per transaction, in wei.
    pub wei_per_tx: f64,
    /// The total, in ether.
    pub spent_eth: f64,
    /// Refusals of the spammer's submissions, by code (it waits and sends again).
    pub spam_refused: BTreeMap<String, u64>,
    /// The keys without ether: their refusals by code (accepted ones count as `accepted`).
    pub unfunded: BTreeMap<String, u64>,
    /// The honest account's transfers sent during the spam, and included.
    pub honest_sent: u64,
    /// Included.
    pub honest_included: u64,
    /// Seconds from sending to inclusion: median, 99th percentile, largest.
    pub honest_p50: f64,
    /// 99th percentile.
    pub honest_p99: f64,
    /// Largest.
    pub honest_max: f64,
}

impl fmt::Display for SpamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "spam         {} of {} zero-value transfers included in {:.1} s (gas limit {}, fee cap {} wei)",
            self.spam_included, self.spam_sent, self.spam_secs, self.gas_limit, self.max_fee
        )?;
        writeln!(
            f,
            "cost         {:.9} ETH to its sender ({} wei), {:.0} wei a transaction",
            self.spent_eth, self.spent_wei, self.wei_per_tx
        )?;
        writeln!(
            f,
            "refused      spammer's submissions {:?}; keys without ether {:?}",
            self.spam_refused, self.unfunded
        )?;
        write!(
            f,
            "honest       {} of {} transfers included: p50 {:.2} s, p99 {:.2} s, max {:.2} s",
            self.honest_included, self.honest_sent, self.honest_p50, self.honest_p99, self.honest_max
        )
    }
}

fn quantity(v: &Value) -> Result<U256> {
    let s = v.as_str().context("a hex quantity")?;
    Ok(U256::from_str_radix(s.trim_start_matches("0x"), 16)?)
}

/// Submits raw transactions through `POST /v1/transactions/batch` (the load generator's client,
/// waiting out a 429 as it does): each item's hash or error code.
async fn submit(api: &Api, raws: &[String]) -> Result<Vec<Result<B256, String>>> {
    let raws: Vec<&str> = raws.iter().map(String::as_str).collect();
    loop {
        match api.submit(&raws, true).await?.1 {
            Reply::Throttled(wait) => tokio::time::sleep(wait).await,
            Reply::Done(outcomes) => {
                return Ok(outcomes
                    .into_iter()
                    .map(|o| match o {
                        Outcome::Accepted(hash) => Ok(hash),
                        Outcome::Rejected { code, .. } => Err(code),
                    })
                    .collect());
            }
        }
    }
}

/// The committed nonce of `who`.
async fn nonce(api: &Api, who: Address) -> Result<u64> {
    Ok(api.account(who).await?.nonce)
}

async fn balance(http: &reqwest::Client, base: &str, who: Address) -> Result<U256> {
    quantity(&rpc(http, base, "eth_getBalance", json!([who, "latest"])).await?)
}

/// Waits until `who` has used nonces up to `target` (its transactions are included).
async fn until_nonce(api: &Api, who: Address, target: u64, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while nonce(api, who).await? < target {
        ensure!(Instant::now() < deadline, "{who} did not reach nonce {target} within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

impl SpamBench {
    /// Funds the spammer, runs the spam with the unfunded keys and the honest account beside
    /// it, and reports.
    pub async fn run(&self) -> Result<SpamReport> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        let api = Api::new(&self.rpc, 4)?;
        let base = self.rpc.as_str().trim_end_matches('/').to_owned();
        let chain_id = quantity(&rpc(&http, &base, "eth_chainId", json!([])).await?)?.to::<u64>();
        let funder = Signer::new(&DEV_ACCOUNTS[8].private_key)?;
        let honest = Signer::new(&DEV_ACCOUNTS[7].private_key)?;
        let spammer = Signer::new(&keccak256(format!("spam bench {}", std::process::id())))?;
        let to = Address::repeat_byte(0x5a);

        // The spammer's ether.
        let n = nonce(&api, funder.address()).await?;
        let fund = funder.eip1559_ether(chain_id, n, spammer.address(), self.fund);
        submit(&api, &[hex::encode_prefixed(fund.encoded())]).await?.remove(0).map_err(anyhow::Error::msg)?;
        until_nonce(&api, funder.address(), n + 1, self.timeout).await?;

        // Signed as a spammer would: the estimate, and twice the price.
        let estimate =
            rpc(&http, &base, "eth_estimateGas", json!([{ "from": spammer.address(), "to": to, "value": "0x0" }]));
        let gas_limit = quantity(&estimate.await?)?.to::<u64>();
        let max_fee = 2 * quantity(&rpc(&http, &base, "eth_gasPrice", json!([])).await?)?.to::<u128>();
        let sign = |nonce: u64| {
            let tx = spammer.sign_eip1559(alloy_consensus::TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: 0,
                to: alloy_primitives::TxKind::Call(to),
                value: U256::ZERO,
                access_list: Default::default(),
                input: Default::default(),
            });
            hex::encode_prefixed(tx.encoded())
        };
        let before = balance(&http, &base, spammer.address()).await?;

        let cancel = CancellationToken::new();
        let honest_task = tokio::spawn(honest_transfers(api.clone(), honest, chain_id, cancel.clone()));
        let unfunded_task = tokio::spawn(unfunded_keys(api.clone(), chain_id, self.unfunded));

        let mut report = SpamReport { gas_limit, max_fee, ..SpamReport::default() };
        let started = Instant::now();
        let deadline = started + self.timeout;
        let mut next = 0u64;
        while (next as usize) < self.txs {
            ensure!(Instant::now() < deadline, "the spam was not taken within {:?}", self.timeout);
            let raws: Vec<String> = (next..(next + 500).min(self.txs as u64)).map(sign).collect();
            let results = submit(&api, &raws).await?;
            let taken = results.iter().take_while(|r| r.is_ok()).count();
            for refused in results.iter().skip(taken).filter_map(|r| r.as_ref().err()) {
                *report.spam_refused.entry(refused.clone()).or_default() += 1;
            }
            next += taken as u64;
            report.spam_sent = next;
            if taken < raws.len() {
                // Refused (the backlog, its rate, what it may hold): wait and send the rest.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        until_nonce(&api, spammer.address(), next, self.timeout).await?;
        report.spam_secs = started.elapsed().as_secs_f64();
        report.spam_included = nonce(&api, spammer.address()).await?;
        cancel.cancel();
        let spent = before.saturating_sub(balance(&http, &base, spammer.address()).await?);
        report.spent_wei = spent.to_string();
        report.spent_eth = f64::from(spent) / 1e18;
        report.wei_per_tx = f64::from(spent) / report.spam_included.max(1) as f64;
        report.unfunded = unfunded_task.await??;
        let (sent, mut lags) = honest_task.await??;
        lags.sort_by(f64::total_cmp);
        report.honest_sent = sent;
        report.honest_included = lags.len() as u64;
        (report.honest_p50, report.honest_p99, report.honest_max) =
            (percentile(&lags, 50.0), percentile(&lags, 99.0), percentile(&lags, 100.0));
        Ok(report)
    }
}

/// `count` fresh keys that hold no ether each send one transfer: the refusals by code.
async fn unfunded_keys(api: Api, chain_id: u64, count: usize) -> Result<BTreeMap<String, u64>> {
    let mut codes = BTreeMap::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(100) {
        let raws: Vec<String> = chunk
            .iter()
            .map(|i| {
                let key = Signer::new(&keccak256(format!("unfunded spam key {i} {}", std::process::id())))?;
                Ok(hex::encode_prefixed(
                    key.eip1559_ether(chain_id, 0, Address::repeat_byte(0x5b), U256::ZERO).encoded(),
                ))
            })
            .collect::<Result<_>>()?;
        for result in submit(&api, &raws).await? {
            *codes.entry(result.err().unwrap_or_else(|| "accepted".to_owned())).or_default() += 1;
        }
    }
    Ok(codes)
}

/// The honest account sends a token transfer every 250 ms until cancelled, and waits for
/// each: how many it sent, and the seconds each took to be included.
async fn honest_transfers(
    api: Api,
    signer: Signer,
    chain_id: u64,
    cancel: CancellationToken,
) -> Result<(u64, Vec<f64>)> {
    let mut next = nonce(&api, signer.address()).await?;
    let (mut sent, mut lags) = (0u64, Vec::new());
    while !cancel.is_cancelled() {
        let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(0x5c), amount: U256::from(1u8) };
        let raw = hex::encode_prefixed(signer.eip1559(chain_id, next, call.abi_encode().into()).encoded());
        let at = Instant::now();
        if submit(&api, &[raw]).await?.remove(0).is_ok() {
            sent += 1;
            next += 1;
            until_nonce(&api, signer.address(), next, Duration::from_secs(60)).await?;
            lags.push(at.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(250).saturating_sub(at.elapsed())).await;
    }
    Ok((sent, lags))
}

/// The arguments of `rollup bench spam`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the node's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: url::Url,
    /// Zero-value transfers the spammer sends.
    #[arg(long, default_value_t = 10_000)]
    txs: usize,
    /// Ether the spammer is given first (from development account 8).
    #[arg(long = "fund-eth", default_value_t = 1.0)]
    fund_eth: f64,
    /// Keys without ether that each try one transaction.
    #[arg(long, default_value_t = 1_000)]
    unfunded: usize,
    /// Seconds to wait for the spam to be included.
    #[arg(long = "timeout-secs", default_value_t = 300)]
    timeout_secs: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report; fails unless every key without ether was
    /// refused and the honest account's transfers were all included.
    pub async fn run(self) -> Result<()> {
        let bench = SpamBench {
            rpc: self.rpc,
            txs: self.txs,
            fund: U256::from((self.fund_eth * 1e18) as u128),
            unfunded: self.unfunded,
            timeout: Duration::from_secs(self.timeout_secs),
        };
        let report = bench.run().await?;
        crate::report::print(&report, self.json)?;
        ensure!(!report.unfunded.contains_key("accepted"), "a key without ether was accepted");
        ensure!(report.honest_included == report.honest_sent, "an honest transfer was not included");
        Ok(())
    }
}
