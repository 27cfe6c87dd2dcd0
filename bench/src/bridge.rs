//! `rollup bench bridge`: the L1 gas of the bridge's operations against a real anvil, with the
//! proof sizes of a state that holds `--accounts` bridged balances (docs/bridge.md §8): a
//! fresh devnet, ether and ERC-20 deposits to that many accounts, a forced transaction, and a
//! withdrawal finalized on L1 with the API's proof.

use crate::load::percentile;
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use anyhow::{Context, Result, ensure};
use rollup_devnet::{
    Devnet, DevnetConfig,
    bridge::{self, Endpoints},
};
use rollup_types::{
    bindings::{L1Bridge, L2System, TestToken},
    genesis::{DEV_ACCOUNTS, USDC},
    keys,
    signer::Signer,
};
use serde::Serialize;
use std::{fmt, time::Duration};

/// Parameters of a run.
#[derive(Clone, Copy, Debug)]
pub struct BridgeBench {
    /// Accounts that receive a deposit (the state's size, hence the proofs' length).
    pub accounts: usize,
}

/// Gas of one kind of call: first, median and largest over the run (receipts' `gasUsed`, which
/// includes the 21,000 of a transaction and its calldata).
#[derive(Clone, Debug, Serialize)]
pub struct GasFigures {
    /// Calls measured.
    pub calls: usize,
    /// The first call (cold storage: a new queue, a token's first deposit).
    pub first: u64,
    /// Median.
    pub median: u64,
    /// Largest.
    pub max: u64,
}

impl GasFigures {
    fn of(gas: &[u64]) -> Self {
        let mut sorted = gas.to_vec();
        sorted.sort_unstable();
        let f: Vec<f64> = sorted.iter().map(|g| *g as f64).collect();
        Self {
            calls: gas.len(),
            first: gas.first().copied().unwrap_or_default(),
            median: percentile(&f, 0.5) as u64,
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// What the bridge's operations cost on L1.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BridgeReport {
    /// Accounts with a bridged balance in the state.
    pub accounts: usize,
    /// `depositETH`.
    pub deposit_eth: GasFigures,
    /// `depositERC20` (after an approval, not counted).
    pub deposit_erc20: GasFigures,
    /// `forceTransaction` of a signed transfer.
    pub force_transaction: GasFigures,
    /// Bytes of that transfer.
    pub forced_tx_bytes: usize,
    /// `finalizeWithdrawal` of an ether withdrawal.
    pub finalize_withdrawal: GasFigures,
    /// Siblings of its proof.
    pub proof_siblings: usize,
}

impl fmt::Display for BridgeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bridge calls on anvil, a state of {} bridged balances (gas per L1 transaction):", self.accounts)?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, g: &GasFigures| {
            writeln!(
                f,
                "  {name:<22} first {:>7}  median {:>7}  max {:>7}  ({} calls)",
                g.first, g.median, g.max, g.calls
            )
        };
        row(f, "depositETH", &self.deposit_eth)?;
        row(f, "depositERC20", &self.deposit_erc20)?;
        row(f, "forceTransaction", &self.force_transaction)?;
        row(f, "finalizeWithdrawal", &self.finalize_withdrawal)?;
        write!(
            f,
            "  forced transfer: {} bytes; withdrawal proof: {} siblings",
            self.forced_tx_bytes, self.proof_siblings
        )
    }
}

async fn gas_of(l1: &DynProvider, to: Address, input: Vec<u8>, value: U256) -> Result<u64> {
    let receipt = l1
        .send_transaction(TransactionRequest::default().with_to(to).with_input(input).with_value(value))
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "L1 call to {to} reverted");
    Ok(receipt.gas_used)
}

impl BridgeBench {
    /// Runs the bench on a fresh devnet in a temporary directory.
    pub async fn run(&self) -> Result<BridgeReport> {
        let dir = tempfile::tempdir().context("temporary directory")?;
        // Anvil mines a block per transaction here: a window of 20 blocks would pass within a
        // burst of deposits, long before the L2's next post.
        let config = DevnetConfig { inclusion_window: 100_000, ..DevnetConfig::test(dir.path().to_path_buf())? };
        let devnet = Devnet::start(config).await?;
        let result = self.measure(&devnet).await;
        devnet.stop().await?;
        result
    }

    async fn measure(&self, devnet: &Devnet) -> Result<BridgeReport> {
        let d = &devnet.deployment;
        let token = d.test_token.context("the devnet deploys a test token")?;
        let key = DEV_ACCOUNTS[6].private_key;
        let signer = PrivateKeySigner::from_bytes(&key)?;
        let me = signer.address();
        let l1 =
            ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(devnet.l1_rpc.clone()).erased();
        let amount = U256::from(10u64).pow(U256::from(15));
        let recipient = |i: usize| Address::from_word(alloy_primitives::keccak256((i as u64).to_be_bytes()));

        let mut eth = Vec::with_capacity(self.accounts);
        for i in 0..self.accounts {
            let call = L1Bridge::depositETHCall { to: recipient(i) };
            eth.push(gas_of(&l1, d.bridge, call.abi_encode(), amount).await?);
        }
        let total = amount * U256::from(self.accounts.max(1));
        gas_of(&l1, token, TestToken::mintCall { to: me, amount: total }.abi_encode(), U256::ZERO).await?;
        gas_of(&l1, token, TestToken::approveCall { spender: d.bridge, amount: total }.abi_encode(), U256::ZERO)
            .await?;
        let mut erc20 = Vec::new();
        for i in 0..self.accounts.min(100) {
            let call = L1Bridge::depositERC20Call { l1Token: token, to: recipient(i), amount };
            erc20.push(gas_of(&l1, d.bridge, call.abi_encode(), U256::ZERO).await?);
        }
        // One account that can sign on L2 receives ether to withdraw.
        let alice = Signer::new(&DEV_ACCOUNTS[3].private_key).map_err(|e| anyhow::anyhow!("{e}"))?;
        gas_of(&l1, d.bridge, L1Bridge::depositETHCall { to: alice.address() }.abi_encode(), amount).await?;
        let mut forced = Vec::new();
        let mut forced_bytes = 0;
        let forcer = Signer::new(&DEV_ACCOUNTS[5].private_key).map_err(|e| anyhow::anyhow!("{e}"))?;
        for n in 0..10u64 {
            let call = L2System::transferCall { token: USDC, to: Address::repeat_byte(9), amount: U256::from(1u8) };
            let raw = forcer.eip1559(d.l2_chain_id, n, call.abi_encode().into()).encoded();
            forced_bytes = raw.len();
            forced.push(
                gas_of(&l1, d.bridge, L1Bridge::forceTransactionCall { raw: raw.into() }.abi_encode(), U256::ZERO)
                    .await?,
            );
        }
        // Blocks move the L1 (anvil mines on transactions only) so that the queue reader sees
        // the entries confirmed and batches become final.
        let miner = {
            let l1 = ProviderBuilder::new().connect_http(devnet.l1_rpc.clone());
            tokio::spawn(async move {
                loop {
                    let _: Result<serde_json::Value, _> =
                        l1.raw_request("evm_mine".into(), serde_json::json!([])).await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            })
        };
        let ends = Endpoints { l2: devnet.url(), l1: devnet.l1_rpc.clone(), bridge: Some(d.bridge) };
        let result = async {
            let weth_l2 = keys::bridged_token(&Address::ZERO);
            let started = std::time::Instant::now();
            loop {
                let account = reqwest::get(format!("{}/v1/accounts/{}", devnet.url(), alice.address())).await?;
                let body: serde_json::Value = account.json().await?;
                let credited = body["balances"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|b| b["token"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(&weth_l2.to_string())));
                if credited {
                    break;
                }
                ensure!(started.elapsed() < Duration::from_secs(120), "the deposits were not credited on L2");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let mut finalize = Vec::new();
            let mut siblings = 0;
            for _ in 0..3 {
                let w = bridge::withdraw(&ends, &DEV_ACCOUNTS[3].private_key, weth_l2, me, amount / U256::from(4u8))
                    .await?;
                let paid =
                    bridge::finalize_withdrawal(&ends, &key, w.sender, w.index, Duration::from_secs(120)).await?;
                let receipt = l1.get_transaction_receipt(paid.l1_tx).await?.context("receipt")?;
                finalize.push(receipt.gas_used);
                siblings = siblings.max(paid.proof_siblings);
            }
            Ok::<_, anyhow::Error>((finalize, siblings))
        }
        .await;
        miner.abort();
        let (finalize, siblings) = result?;
        Ok(BridgeReport {
            accounts: self.accounts,
            deposit_eth: GasFigures::of(&eth),
            deposit_erc20: GasFigures::of(&erc20),
            force_transaction: GasFigures::of(&forced),
            forced_tx_bytes: forced_bytes,
            finalize_withdrawal: GasFigures::of(&finalize),
            proof_siblings: siblings,
        })
    }
}

/// The arguments of `rollup bench bridge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Accounts that receive a deposit.
    #[arg(long, default_value_t = 1_000)]
    accounts: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let report = BridgeBench { accounts: args.accounts }.run().await?;
        crate::report::print(&report, args.json)
    }
}
