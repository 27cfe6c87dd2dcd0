//! `rollup bench post`: the whole devnet (anvil mining every `--l1.block-time` seconds,
//! sequencer, batcher, challenger) takes a stream of transfers; the report gives the L1 bytes
//! and gas of posting per L2 transaction, measured from the posting receipts, and the time
//! from a block being sealed to its batch being mined on L1.

use crate::{executor::Rng, load::percentile};
use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use anyhow::{Context, Result, ensure};
use rollup_batcher::DaMode;
use rollup_devnet::{Devnet, DevnetConfig};
use rollup_types::{
    bindings::L2System,
    genesis::{DEV_ACCOUNTS, USDC},
    signer::Signer,
};
use serde::Serialize;
use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, Instant},
};

/// Parameters of a posting run.
#[derive(Clone, Debug)]
pub struct PostBench {
    /// Transfers to send.
    pub txs: usize,
    /// Transfers per second to send them at.
    pub rate: u64,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// Where batch data goes.
    pub da: DaMode,
}

/// What posting cost and how long it took.
#[derive(Clone, Debug, Serialize)]
pub struct PostReport {
    /// L2 transactions posted.
    pub txs: u64,
    /// L2 blocks posted.
    pub blocks: u64,
    /// Batches posted.
    pub batches: u64,
    /// Batch data bytes per L2 transaction.
    pub bytes_per_tx: f64,
    /// L1 gas of the posting transactions per L2 transaction (from their receipts).
    pub gas_per_tx: f64,
    /// L1 gas of one post, mean.
    pub gas_per_batch: f64,
    /// Blob gas per L2 transaction (blob posts).
    pub blob_gas_per_tx: f64,
    /// Where batch data went.
    pub da: String,
    /// Seconds from a block being seen sealed to its batch being seen mined: p50, p95, max.
    pub sealed_to_l1: [f64; 3],
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
}

impl fmt::Display for PostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} transfers in {} L2 blocks, {} batches in {} (L1 block every {} s)",
            self.txs, self.blocks, self.batches, self.da, self.l1_block_time
        )?;
        writeln!(
            f,
            "L1: {:.1} bytes, {:.0} gas and {:.0} blob gas per L2 transaction ({:.0} gas per post)",
            self.bytes_per_tx, self.gas_per_tx, self.blob_gas_per_tx, self.gas_per_batch
        )?;
        write!(
            f,
            "block sealed -> batch mined on L1: p50 {:.2} s, p95 {:.2} s, max {:.2} s",
            self.sealed_to_l1[0], self.sealed_to_l1[1], self.sealed_to_l1[2]
        )
    }
}

/// What the posts of some blocks cost on L1, from their receipts.
#[derive(Clone, Debug, Default)]
pub(crate) struct PostingCost {
    /// Batches holding the blocks.
    pub(crate) batches: u64,
    /// Their transactions.
    pub(crate) txs: u64,
    /// Their batch data.
    pub(crate) bytes: u64,
    /// L1 gas of their posts.
    pub(crate) gas: u64,
    /// Blob gas of their posts.
    pub(crate) blob_gas: u64,
    /// What their posts cost the batcher, in wei: gas at its effective price and blob gas at
    /// the blob gas price (from the receipts).
    pub(crate) wei: U256,
    /// The fees their transactions paid on L2, in wei (`gasUsed × effectiveGasPrice` of each
    /// receipt, docs/fees.md §2).
    pub(crate) fees: U256,
    /// `wei` and `fees` of the later half of the batches: after a cold start the L1 price of
    /// the blocks climbs an eighth a block from the genesis price (docs/fees.md §4).
    pub(crate) later_half: (U256, U256),
    /// By L1 block holding blob posts: their blobs and the bytes those blobs carry (batch data
    /// and chunk roots).
    pub(crate) blobs_by_block: std::collections::BTreeMap<u64, (u64, u64)>,
}

/// Blob gas of one blob (EIP-4844's `GAS_PER_BLOB`).
const GAS_PER_BLOB: u64 = 1 << 17;

/// What posting blocks `first..=last` of `devnet` cost: every batch holding one of them.
pub(crate) async fn posting_cost(devnet: &Devnet, first: u64, last: u64) -> Result<PostingCost> {
    let store = devnet.sequencer.node.store();
    let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
    let mut cost = PostingCost::default();
    let mut per_batch: Vec<(U256, U256)> = Vec::new();
    let mut index = store.batch_of_block(first).await?.map(|b| b.index).context("first block posted")?;
    let mut previous_post = None;
    while let Some(batch) = store.batch(index).await? {
        if batch.first_block > last {
            break;
        }
        // The batches of one post share its transaction: its cost is counted once, with the
        // first of them.
        let mut wei = U256::ZERO;
        let blob_post = match previous_post {
            Some((hash, blobs)) if hash == batch.l1_tx_hash => blobs,
            _ => {
                let receipt = l1.get_transaction_receipt(batch.l1_tx_hash).await?.context("posting receipt")?;
                cost.gas += receipt.gas_used;
                let blob_gas = receipt.blob_gas_used.unwrap_or_default();
                cost.blob_gas += blob_gas;
                wei = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
                    + U256::from(blob_gas) * U256::from(receipt.blob_gas_price.unwrap_or_default());
                cost.wei += wei;
                if blob_gas > 0 {
                    cost.blobs_by_block.entry(batch.l1_block).or_default().0 += blob_gas / GAS_PER_BLOB;
                }
                blob_gas > 0
            }
        };
        if blob_post {
            // The blob holds the batch's data and, at its end, its chunk roots.
            cost.blobs_by_block.entry(batch.l1_block).or_default().1 += batch.data_len + 32 * batch.chunk_count;
        }
        previous_post = Some((batch.l1_tx_hash, blob_post));
        let fees_before = cost.fees;
        cost.bytes += batch.data_len;
        cost.batches += 1;
        for b in batch.first_block..=batch.last_block {
            let Some(block) = store.block(b).await? else { continue };
            // Its pool transactions: not the queue's nor the vault's credit.
            cost.txs += block.pool_txs();
            if block.tx_count == 0 {
                continue;
            }
            for record in store.block_transaction_records(b).await? {
                let (Some(receipt), Ok(tx)) = (&record.receipt, rollup_types::SignedTx::decode(&record.raw)) else {
                    continue;
                };
                if receipt.fee_exempt {
                    continue;
                }
                let offer = tx.offer();
                let price = rollup_types::fees::effective_price(offer.max_fee, offer.tip, block.header.base_fee);
                cost.fees += rollup_types::fees::fee(receipt.gas_used, price);
            }
        }
        per_batch.push((wei, cost.fees - fees_before));
        index += 1;
    }
    for (wei, fees) in &per_batch[per_batch.len() / 2..] {
        cost.later_half.0 += *wei;
        cost.later_half.1 += *fees;
    }
    Ok(cost)
}

impl PostBench {
    /// Runs the devnet in a temporary directory and measures.
    pub async fn run(&self) -> Result<PostReport> {
        ensure!(self.txs > 0 && self.rate > 0, "a run needs transactions and a rate above zero");
        let dir = tempfile::tempdir()?;
        let mut config = DevnetConfig::test(dir.path().to_path_buf())?;
        config.l1_block_time = Some(self.l1_block_time.max(1));
        config.da = self.da;
        let devnet = Devnet::start(config).await?;
        let result = self.measure(&devnet).await;
        devnet.stop().await?;
        result
    }

    async fn measure(&self, devnet: &Devnet) -> Result<PostReport> {
        let node = &devnet.sequencer.node;
        let chain = node.chain();
        let signers: Vec<Signer> =
            DEV_ACCOUNTS[2..].iter().map(|a| Signer::new(&a.private_key)).collect::<Result<_, _>>()?;
        let mut rng = Rng(7);
        let mut nonces = vec![0u64; signers.len()];
        let first_block = node.head().header.number + 1;
        let mut sealed: BTreeMap<u64, Instant> = BTreeMap::new();
        let mut mined: BTreeMap<u64, Instant> = BTreeMap::new();
        let store = node.store().clone();
        let started = Instant::now();
        let mut sent = 0usize;
        let tick = Duration::from_millis(50);
        let per_tick = (self.rate as usize * tick.as_millis() as usize / 1000).max(1);
        let deadline = Duration::from_secs(120) + Duration::from_secs(self.txs as u64 / self.rate.max(1));
        let mut last_block = 0;
        loop {
            ensure!(started.elapsed() < deadline, "posting did not catch up within {deadline:?}");
            if sent < self.txs {
                let n = per_tick.min(self.txs - sent);
                let raws: Vec<Bytes> = (0..n)
                    .map(|k| {
                        let s = (sent + k) % signers.len();
                        let mut to = [0u8; 20];
                        to[..8].copy_from_slice(&rng.next().to_be_bytes());
                        let amount = U256::from(1 + rng.below(1_000_000)) * U256::from(1_000u64);
                        let call = L2System::transferCall { token: USDC, to: Address::from(to), amount };
                        let raw = signers[s].eip1559(chain.chain_id, nonces[s], call.abi_encode().into()).encoded();
                        nonces[s] += 1;
                        raw.into()
                    })
                    .collect();
                for r in node.submit_many(raws).await {
                    r.context("the sequencer refused a transfer")?;
                }
                sent += n;
            }
            let head = node.head().header.number;
            let now = Instant::now();
            for b in first_block..=head {
                sealed.entry(b).or_insert(now);
            }
            if let Some(batch) = store.latest_batch().await? {
                for b in first_block..=batch.last_block {
                    mined.entry(b).or_insert(now);
                }
            }
            // Once everything is sent: wait until every transfer is in a block, then until that
            // block's batch is mined.
            if sent == self.txs {
                if last_block == 0 {
                    if node.mempool_len() == (0, 0) {
                        last_block = head;
                    }
                } else if mined.contains_key(&last_block) {
                    break;
                }
            }
            tokio::time::sleep(tick).await;
        }
        let mut latencies: Vec<f64> = sealed
            .iter()
            .filter(|(b, _)| **b <= last_block)
            .filter_map(|(b, s)| mined.get(b).map(|m| m.duration_since(*s).as_secs_f64()))
            .collect();
        latencies.sort_by(f64::total_cmp);
        let PostingCost { batches, txs, bytes, gas, blob_gas, .. } =
            posting_cost(devnet, first_block, last_block).await?;
        ensure!(txs > 0, "nothing was posted");
        Ok(PostReport {
            txs,
            blocks: last_block + 1 - first_block,
            batches,
            bytes_per_tx: bytes as f64 / txs as f64,
            gas_per_tx: gas as f64 / txs as f64,
            gas_per_batch: gas as f64 / batches as f64,
            blob_gas_per_tx: blob_gas as f64 / txs as f64,
            da: format!("{:?}", self.da).to_lowercase(),
            sealed_to_l1: [percentile(&latencies, 50.0), percentile(&latencies, 95.0), percentile(&latencies, 100.0)],
            l1_block_time: self.l1_block_time,
        })
    }
}

/// The arguments of `rollup bench post`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transfers to send.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transfers per second.
    #[arg(long, default_value_t = 2_000)]
    rate: u64,
    /// Seconds between L1 blocks.
    #[arg(long = "l1.block-time", alias = "l1-block-time", default_value_t = 1)]
    l1_block_time: u64,
    /// Where batch data goes: calldata, blobs or auto.
    #[arg(long, default_value = "calldata")]
    da: DaMode,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = PostBench { txs: args.txs, rate: args.rate, l1_block_time: args.l1_block_time, da: args.da };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)
    }
}
