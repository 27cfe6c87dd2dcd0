//! The whole system in one process: anvil (or a given L1), the contracts, the sequencer with
//! its executor, the batcher and the challenger, with SQLite under one data directory.

use crate::anvil::{Anvil, AnvilConfig};
use alloy::providers::{Provider, ProviderBuilder};
use alloy_primitives::{Address, B256, U256, utils::format_ether};
use anyhow::{Context, Result, bail};
use rollup_batcher::{Batcher, BatcherConfig, DaMode, TxManagerConfig};
use rollup_fraud_proof::{Challenger, ChallengerConfig};
use rollup_l1::{self as l1, InboxParams};
use rollup_sequencer::{L1Info, SequencerConfig, SequencerHandle, StatusSources};
use rollup_types::{
    ChainConfig, SYSTEM_CONTRACT,
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WBTC, WETH},
    keys,
    status::ChallengerStatus,
};
use serde::{Deserialize, Serialize};
use std::{fmt::Write as _, net::SocketAddr, path::PathBuf, time::Duration};
use tokio::{sync::watch, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// What was deployed on L1 for a chain; kept in `<data-dir>/deployment.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Batch inbox address.
    pub batch_inbox: Address,
    /// L1 block of the inbox's deployment.
    pub inbox_block: u64,
    /// Authorised batcher.
    pub batcher: Address,
    /// Challenge window, in seconds.
    pub challenge_window: u64,
    /// The batcher's required stake, in wei (one proven fraud slashes it; half to the prover).
    #[serde(alias = "bond")]
    pub stake: U256,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Transactions per chunk.
    pub chunk_size: u32,
    /// L2 genesis state root.
    pub genesis_state_root: B256,
    /// The L1 bridge (deposits, forced transactions, withdrawals), attached to the inbox.
    pub bridge: Address,
    /// L1 blocks within which a queue entry must be included.
    pub inclusion_window: u64,
    /// L1 blocks an unconsumed queue entry waits before anyone may freeze the inbox.
    #[serde(default)]
    pub freeze_delay: u64,
    /// The devnet's L1 test token ("TST", 18 decimals, open mint), if one was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_token: Option<Address>,
}

/// Deploys the L1 contracts of a chain with `deployer_key`.
pub async fn deploy(l1_rpc: &url::Url, deployer_key: &B256, params: &InboxParams) -> Result<Deployment> {
    let (provider, _, _) = l1::signing_provider(l1_rpc, deployer_key)?;
    let progress = crate::progress::Progress::stderr("deploying");
    progress.step(0, 2, "reading the L1's chain id");
    let l1_chain_id = provider.get_chain_id().await.context("reading the L1 chain id")?;
    progress.step(1, 2, "the batch inbox, its verifier, decoder and replay logic");
    let (batch_inbox, inbox_block) = l1::deploy::deploy_inbox(&provider, params).await?;
    progress.step(2, 2, "the bridge");
    let bridge =
        l1::deploy::deploy_bridge(&provider, batch_inbox, params.inclusion_window, params.genesis_ether).await?;
    progress.finish(format_args!("the inbox at {batch_inbox}, the bridge at {bridge}"));
    Ok(Deployment {
        l1_chain_id,
        batch_inbox,
        inbox_block,
        batcher: params.batcher,
        challenge_window: params.challenge_window,
        stake: params.stake,
        l2_chain_id: params.l2_chain_id,
        chunk_size: params.chunk_size,
        genesis_state_root: params.genesis_state_root,
        bridge,
        inclusion_window: params.inclusion_window,
        freeze_delay: params.freeze_delay,
        test_token: None,
    })
}

/// Configuration of a devnet.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Where the databases, the anvil state and the deployment record live.
    pub data_dir: PathBuf,
    /// Use this L1 instead of starting anvil.
    pub l1_rpc: Option<url::Url>,
    /// Port of the anvil to start (0: a free one, chosen again if taken before anvil binds it;
    /// the devnet's `l1_rpc` says which).
    pub l1_port: u16,
    /// Seconds between anvil blocks (`None`: a block per transaction).
    pub l1_block_time: Option<u64>,
    /// Block gas limit of the anvil to start (`None`: anvil's default, 30,000,000).
    pub l1_gas_limit: Option<u64>,
    /// Address of the sequencer's HTTP server.
    pub listen: SocketAddr,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Interval between L2 blocks.
    pub block_time: Duration,
    /// Interval between empty L2 blocks on an idle chain (zero: none).
    pub empty_block_interval: Duration,
    /// Blocks before the head whose states the sequencer keeps (reads at a block).
    pub state_history: u64,
    /// Whether the sequencer keeps the state's history for reads at any past block.
    pub archive: bool,
    /// Most transactions in one L2 block.
    pub max_block_txs: usize,
    /// Most bytes an L2 block may encode to (`None`: what one post carries on the L1).
    pub max_block_bytes: Option<usize>,
    /// Interval between batcher rounds.
    pub batch_interval: Duration,
    /// Most batch data in one post (less where the L1's gas limit binds first).
    pub max_post_bytes: usize,
    /// Most posts in flight at once.
    pub max_in_flight: usize,
    /// How far the L2 may run ahead of L1 before submissions are refused.
    pub l1_backlog: rollup_sequencer::BacklogLimits,
    /// Nice value of the sequencer's admission threads (`SequencerConfig::admission_nice`).
    pub admission_nice: i32,
    /// Connection and per-client bounds of the sequencer's HTTP server.
    pub http: rollup_sequencer::HttpLimits,
    /// Challenge window of the inbox, in seconds.
    pub challenge_window: u64,
    /// The batcher's required stake, in wei.
    pub stake: U256,
    /// Interval between challenger polls.
    pub challenger_poll: Duration,
    /// Key that deploys the contracts.
    pub deployer_key: B256,
    /// Key of the authorised batcher.
    pub batcher_key: B256,
    /// Where the batcher puts batch data.
    pub da: DaMode,
    /// Most cores the batcher's blob work may take with `DaMode::Auto`, idle ones only
    /// (`BatcherConfig::blob_cores`).
    pub blob_cores: f64,
    /// Most blob batches in one post (`BatcherConfig::blobs_per_post`).
    pub blobs_per_post: usize,
    /// Most blobs in flight at once (`BatcherConfig::blobs_per_block`).
    pub blobs_per_block: usize,
    /// Most L2 blocks in one batch (`BatcherConfig::max_blocks`).
    pub max_batch_blocks: u64,
    /// A fault the batcher injects into one batch (testing the fraud proofs).
    pub fault: Option<rollup_batcher::fault::Fault>,
    /// The L2 genesis (the devnet's, [`GenesisSpec::devnet`], unless a test lays out another:
    /// every process of the chain, and an escape's derivation, must take the same).
    pub genesis: GenesisSpec,
    /// Key of the challenger, which sends fraud proofs (`None`: the devnet's challenger only
    /// verifies; another one may prove).
    pub challenger_key: Option<B256>,
    /// L1 blocks a bridge queue entry must be under before the L2 includes it.
    pub queue_confirmations: u64,
    /// L1 blocks within which the L2 must include a queue entry (the bridge's, at deployment).
    pub inclusion_window: u64,
    /// L1 blocks an unconsumed queue entry waits before anyone may freeze the inbox (at
    /// deployment; at least twice the inclusion window).
    pub freeze_delay: u64,
    /// Lay out the genesis fee state at the L1 price of a byte the L1 gives when the devnet
    /// starts (docs/fees.md §4), instead of the floor: the chain does not undercharge its first
    /// blocks while the price climbs. Only for a fresh data directory: every process of the
    /// chain must lay out the same genesis (the devnet's own do; `rollup challenger` and the
    /// others started apart use the floor).
    pub genesis_l1_price_from_l1: bool,
    /// Lay out the genesis fee state at this L1 price of a byte (`--genesis.l1-byte-price`),
    /// which then wins over `genesis_l1_price_from_l1`.
    pub genesis_l1_byte_price: Option<u64>,
}

impl DevnetConfig {
    /// The defaults of `rollup devnet`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            l1_rpc: None,
            l1_port: 8545,
            l1_block_time: Some(1),
            l1_gas_limit: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8547)),
            chain: ChainConfig::default(),
            block_time: Duration::from_millis(500),
            empty_block_interval: rollup_sequencer::DEFAULT_EMPTY_BLOCK_INTERVAL,
            state_history: rollup_sequencer::DEFAULT_STATE_HISTORY,
            archive: true,
            max_block_txs: 10_000,
            max_block_bytes: None,
            // Several rounds per L1 block: posts go out as blocks are sealed, and a post
            // mined is followed by the next within a quarter of a second.
            batch_interval: Duration::from_millis(250),
            max_post_bytes: 120_000,
            max_in_flight: TxManagerConfig::default().max_in_flight,
            l1_backlog: rollup_sequencer::BacklogLimits::default(),
            admission_nice: rollup_sequencer::DEFAULT_ADMISSION_NICE,
            http: rollup_sequencer::HttpLimits::default(),
            challenge_window: 120,
            stake: rollup_types::chain::stake_for_gas_price(rollup_types::chain::STAKE_GAS_PRICE),
            // A few polls per L1 block: a batch is verified soon after it is mined.
            challenger_poll: Duration::from_millis(250),
            deployer_key: DEV_ACCOUNTS[0].private_key,
            batcher_key: DEV_ACCOUNTS[1].private_key,
            // Blobs when they cost less than calldata, as the batcher's flag defaults to.
            da: DaMode::Auto,
            blob_cores: rollup_batcher::blob_cpu::default_cores(),
            blobs_per_post: rollup_batcher::limits::MAX_BLOBS_PER_TX,
            blobs_per_block: rollup_batcher::limits::DEFAULT_BLOBS_PER_BLOCK,
            max_batch_blocks: 1_000,
            fault: None,
            genesis: GenesisSpec::devnet(),
            challenger_key: Some(DEV_ACCOUNTS[2].private_key),
            queue_confirmations: 2,
            inclusion_window: l1::DEFAULT_INCLUSION_WINDOW,
            freeze_delay: l1::DEFAULT_FREEZE_DELAY,
            genesis_l1_price_from_l1: false,
            genesis_l1_byte_price: None,
        }
    }

    /// A configuration for tests: free ports, an anvil mining every transaction, fast loops.
    pub fn test(data_dir: PathBuf) -> Result<Self> {
        Ok(Self {
            // Anvil chooses a free port, and another if something takes it first.
            l1_port: 0,
            l1_block_time: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            block_time: Duration::from_millis(200),
            batch_interval: Duration::from_millis(500),
            challenger_poll: Duration::from_millis(300),
            challenge_window: 2,
            // Calldata unless a test asks for blobs: the blob paths have tests of their own.
            da: DaMode::Calldata,
            ..Self::new(data_dir)
        })
    }
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    anvil: Option<Anvil>,
    /// L1 JSON-RPC URL.
    pub l1_rpc: url::Url,
    /// What is deployed on L1.
    pub deployment: Deployment,
    /// The sequencer (REST and JSON-RPC).
    pub sequencer: SequencerHandle,
    /// The challenger's verdicts.
    pub challenger: watch::Receiver<ChallengerStatus>,
    /// The batcher's fault switch (tests: hold the posting, inject a fault).
    pub faults: rollup_batcher::fault::FaultSwitch,
    tasks: JoinSet<Result<&'static str>>,
    cancel: CancellationToken,
}

impl Devnet {
    /// Starts everything; on a second run with the same data directory, resumes.
    pub async fn start(config: DevnetConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {:?}", config.data_dir))?;
        let (anvil, l1_rpc) = match &config.l1_rpc {
            Some(url) => (None, url.clone()),
            None => {
                let anvil = Anvil::spawn(&AnvilConfig {
                    port: config.l1_port,
                    block_time: config.l1_block_time,
                    gas_limit: config.l1_gas_limit,
                    state_file: Some(config.data_dir.join("anvil-state.json")),
                    log_file: Some(config.data_dir.join("anvil.log")),
                })
                .await?;
                let url = anvil.url().parse()?;
                (Some(anvil), url)
            }
        };
        let mut genesis = config.genesis.clone();
        if let Some(price) = config.genesis_l1_byte_price {
            genesis = genesis.with_l1_byte_price(price);
        } else if config.genesis_l1_price_from_l1 {
            let price = genesis_l1_byte_price(&l1_rpc, config.da).await?;
            info!(target: "devnet", l1_byte_price = price, "the genesis L1 price, from the L1's gas price");
            genesis = genesis.with_l1_byte_price(price);
        }
        info!(
            target: "devnet",
            l1_byte_price = genesis.fee_state().l1_byte_price,
            "the genesis L1 price (processes started apart take it as --genesis.l1-byte-price)"
        );
        let genesis_root = rollup_executor::Executor::genesis(config.chain, &genesis)?.state_root();
        let deployment = ensure_deployment(&config, &l1_rpc, genesis_root, genesis.genesis_ether()).await?;

        // Every block must fit one post: the sequencer's blocks are bounded by what the L1
        // carries (the batcher keeps the bound current in the chain database).
        let capacity = rollup_batcher::read_capacity(&l1_rpc, config.max_post_bytes).await?;
        let max_block_bytes =
            config.max_block_bytes.map_or(capacity.max_block_bytes, |m| m.min(capacity.max_block_bytes));
        info!(
            target: "devnet",
            l1_block_gas_limit = capacity.l1.block_gas_limit,
            max_post_bytes = capacity.max_post_bytes,
            max_block_bytes,
            "what one post carries on this L1"
        );

        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let challenger = Challenger::new(ChallengerConfig {
            l1_rpc: l1_rpc.clone(),
            inbox: deployment.batch_inbox,
            from_block: deployment.inbox_block,
            db_url: sqlite_url(&config.data_dir, "challenger.sqlite"),
            chain: config.chain,
            genesis: genesis.clone(),
            poll: config.challenger_poll,
            confirmations: 0,
            l1_beacon: None,
            l1_beacon_fallbacks: Vec::new(),
            prover_key: config.challenger_key,
            undo_blocks: ChallengerConfig::DEFAULT_UNDO_BLOCKS,
            snapshot_txs: ChallengerConfig::DEFAULT_SNAPSHOT_TXS,
        })
        .await?;
        let challenger_status = challenger.subscribe();
        let batcher_status = watch::Sender::new(rollup_types::status::BatcherStatus::default());

        let sequencer = rollup_sequencer::start(
            SequencerConfig {
                listen: config.listen,
                db_url: sqlite_url(&config.data_dir, "sequencer.sqlite"),
                chain: config.chain,
                genesis,
                block_time: config.block_time,
                empty_block_interval: config.empty_block_interval,
                state_history: config.state_history,
                archive: config.archive,
                max_block_txs: config.max_block_txs,
                max_block_bytes,
                l1_backlog: config.l1_backlog,
                admission_nice: config.admission_nice,
                http: config.http.clone(),
                ..SequencerConfig::default()
            },
            StatusSources {
                l1: Some(L1Info {
                    chain_id: deployment.l1_chain_id,
                    rpc_url: l1_rpc.to_string(),
                    batch_inbox: deployment.batch_inbox,
                    bridge: deployment.bridge,
                }),
                challenger: Some(challenger_status.clone()),
                batcher: Some(batcher_status.subscribe()),
            },
            cancel.clone(),
        )
        .await?;

        let batcher = Batcher::new(
            BatcherConfig {
                l1_rpc: l1_rpc.clone(),
                inbox: deployment.batch_inbox,
                key: config.batcher_key,
                chain: config.chain,
                interval: config.batch_interval,
                max_blocks: config.max_batch_blocks,
                max_bytes: config.max_post_bytes,
                // anvil mines every second by default: a post waiting ten is stuck. With slower
                // L1 blocks, three of them (a post that waits for the next block is not stuck:
                // at 12 s blocks every blob post was re-signed once before it was mined).
                txmgr: TxManagerConfig {
                    resubmit_after: Duration::from_secs(10.max(3 * config.l1_block_time.unwrap_or(1))),
                    confirmations: 2,
                    max_in_flight: config.max_in_flight,
                    ..TxManagerConfig::default()
                },
                da: config.da,
                blob_cores: config.blob_cores,
                blobs_per_post: config.blobs_per_post,
                blobs_per_block: config.blobs_per_block,
                fault: config.fault,
                queue: rollup_batcher::QueueReaderConfig {
                    from_block: deployment.inbox_block,
                    confirmations: config.queue_confirmations,
                    da: config.da,
                },
            },
            sequencer.node.store().clone(),
        )
        .await?
        .publish_to(batcher_status);
        let faults = batcher.fault_switch();
        faults.set_forge(std::sync::Arc::new(crate::forge::NodeForge::new(sequencer.node.clone())));
        let c = cancel.clone();
        tasks.spawn(async move { batcher.run(c).await.map(|_| "batcher").context("batcher") });
        let c = cancel.clone();
        tasks.spawn(async move { challenger.run(c).await.map(|_| "challenger").context("challenger") });

        Ok(Self { anvil, l1_rpc, deployment, sequencer, challenger: challenger_status, faults, tasks, cancel })
    }

    /// The sequencer's URL.
    pub fn url(&self) -> String {
        self.sequencer.url()
    }

    /// Runs until `shutdown` completes or a component fails, then stops everything.
    pub async fn run_until(mut self, shutdown: impl std::future::Future<Output = ()>) -> Result<()> {
        let failure = tokio::select! {
            _ = shutdown => None,
            Some(ended) = self.tasks.join_next() => Some(ended),
        };
        let result = match failure {
            Some(Ok(Ok(name))) => Err(anyhow::anyhow!("{name} stopped unexpectedly")),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(e)) => Err(anyhow::anyhow!("a component panicked: {e}")),
            None => Ok(()),
        };
        self.stop().await?;
        result
    }

    /// Stops every component, then anvil (which writes its state).
    pub async fn stop(mut self) -> Result<()> {
        info!(target: "devnet", "stopping");
        self.cancel.cancel();
        while let Some(ended) = self.tasks.join_next().await {
            if let Ok(Err(e)) = ended {
                tracing::warn!(target: "devnet", error = %e, "component ended with an error");
            }
        }
        let sequencer = (&mut self.sequencer.task).await;
        if let Some(anvil) = self.anvil.take() {
            anvil.stop().await?;
        }
        sequencer.context("sequencer task")??;
        Ok(())
    }

    /// What a newcomer needs: URLs, chain ids, addresses, keys and a first command.
    pub fn banner(&self) -> String {
        let d = &self.deployment;
        let url = self.url();
        let mut s = String::new();
        let _ = writeln!(s, "\nrollup devnet is up\n");
        let _ = writeln!(s, "  L2 JSON-RPC + REST  {url}   (chain id {})", d.l2_chain_id);
        let ws = url.replacen("http://", "ws://", 1);
        let _ = writeln!(s, "  L2 WebSocket        {ws}   (JSON-RPC and eth_subscribe)");
        let _ = writeln!(s, "  L1 (anvil)          {}   (chain id {})", self.l1_rpc, d.l1_chain_id);
        let _ = writeln!(s, "\n  L1 BatchInbox       {}  (deployed in L1 block {})", d.batch_inbox, d.inbox_block);
        let _ = writeln!(s, "  L1 batcher          {}", d.batcher);
        let _ = writeln!(
            s,
            "  L1 L1Bridge         {}  (queue entries due within {} L1 blocks; docs/bridge.md)",
            d.bridge, d.inclusion_window
        );
        if let Some(token) = d.test_token {
            let _ = writeln!(s, "  L1 test token       {token}  (TST, 18 decimals, anyone may mint)");
        }
        let _ = writeln!(
            s,
            "  challenge window    {} s, batcher's stake {} ETH, {} items per chunk",
            d.challenge_window,
            format_ether(d.stake),
            d.chunk_size
        );
        let _ = writeln!(s, "  L2 system contract  {SYSTEM_CONTRACT}  (ledger + AMM; ABI at {url}/v1/contracts)");
        let _ = writeln!(s, "  L2 tokens (ERC-20)  WETH {WETH}\n                      USDC {USDC}");
        let _ = writeln!(s, "                      DAI  {DAI}\n                      WBTC {WBTC}");
        let _ = writeln!(s, "\n  Funded accounts (the standard anvil keys; funded on L2 with every token):");
        for a in DEV_ACCOUNTS.iter().take(4) {
            let _ = writeln!(s, "    {}  {}", a.address, a.private_key);
        }
        let _ = writeln!(s, "    … and the other 6 keys of the `test … junk` mnemonic");
        let _ = writeln!(s, "\n  Swap 1 WETH for USDC:");
        let _ = writeln!(
            s,
            "    cast send --rpc-url {url} --private-key {} {SYSTEM_CONTRACT} \\\n      \"swap(address,address,uint256,uint256)\" {WETH} {USDC} 1000000000000000000 0",
            DEV_ACCOUNTS[2].private_key
        );
        let _ = writeln!(s, "\n  Each token is an ERC-20 contract; send 1 USDC and read a balance:");
        let _ = writeln!(
            s,
            "    cast send --rpc-url {url} --private-key {} {USDC} \"transfer(address,uint256)\" {} 1000000\n    cast call --rpc-url {url} {USDC} \"balanceOf(address)(uint256)\" {}",
            DEV_ACCOUNTS[2].private_key, DEV_ACCOUNTS[3].address, DEV_ACCOUNTS[3].address
        );
        let _ = writeln!(
            s,
            "\n  Deposit 1 ETH from L1 (credited on L2 as bridged ETH, {}, a few L1 blocks later):",
            keys::bridged_token(&Address::ZERO)
        );
        let _ = writeln!(
            s,
            "    cast send --rpc-url {} --private-key {} {} \\\n      \"depositETH(address)\" {} --value 1ether",
            self.l1_rpc, DEV_ACCOUNTS[3].private_key, d.bridge, DEV_ACCOUNTS[3].address
        );
        let _ = writeln!(
            s,
            "    follow it: curl {url}/v1/deposits/0; then rollup withdraw and rollup finalize-withdrawal\n    (README, \"The bridge\"; docs/bridge.md)"
        );
        let _ = writeln!(s, "\n  Status: curl {url}/v1/status      Ctrl-C stops; run again to resume.");
        s
    }
}

fn sqlite_url(dir: &std::path::Path, file: &str) -> String {
    format!("sqlite://{}", dir.join(file).display())
}

/// Reuses the deployment recorded in the data directory if it is still on L1, or deploys.
async fn ensure_deployment(
    config: &DevnetConfig,
    l1_rpc: &url::Url,
    genesis_root: B256,
    genesis_ether: U256,
) -> Result<Deployment> {
    let path = config.data_dir.join("deployment.json");
    let provider = ProviderBuilder::new().connect_http(l1_rpc.clone());
    if path.exists() {
        let recorded: Deployment = serde_json::from_slice(&std::fs::read(&path)?).context("reading deployment.json")?;
        let code = provider.get_code_at(recorded.batch_inbox).await.context("reading the inbox code")?;
        if !code.is_empty() && recorded.genesis_state_root == genesis_root {
            info!(target: "devnet", inbox = %recorded.batch_inbox, "resuming the recorded deployment");
            return Ok(recorded);
        }
        bail!(
            "{path:?} records an inbox at {} that this L1 does not have (or another genesis); \
             delete the data directory {:?} to start a fresh devnet",
            recorded.batch_inbox,
            config.data_dir
        );
    }
    if config.data_dir.join("sequencer.sqlite").exists() {
        bail!("{:?} holds a chain but no deployment record; delete it to start afresh", config.data_dir);
    }
    let batcher = rollup_types::signer::Signer::new(&config.batcher_key)?.address();
    let params = InboxParams {
        batcher,
        challenge_window: config.challenge_window,
        stake: config.stake,
        genesis_state_root: genesis_root,
        genesis_ether,
        chunk_size: config.chain.chunk_size,
        l2_chain_id: config.chain.chain_id,
        inclusion_window: config.inclusion_window,
        freeze_delay: config.freeze_delay,
    };
    let mut deployment = deploy(l1_rpc, &config.deployer_key, &params).await?;
    let (deployer, _, _) = l1::signing_provider(l1_rpc, &config.deployer_key)?;
    deployment.test_token = Some(l1::deploy::deploy_test_token(&deployer, "Test Token", "TST", 18).await?);
    std::fs::write(&path, serde_json::to_vec_pretty(&deployment)?)?;
    info!(
        target: "devnet",
        inbox = %deployment.batch_inbox,
        bridge = %deployment.bridge,
        test_token = ?deployment.test_token,
        "deployed the L1 contracts"
    );
    Ok(deployment)
}

/// The L1 price of a byte the sequencer would aim at on the L1 at `l1_rpc` now, its batcher
/// posting as `da` says ([`rollup_types::fees::l1_price_target`] of what a byte costs at the
/// newest base fee plus an estimated tip, and the blob base fee).
async fn genesis_l1_byte_price(l1_rpc: &url::Url, da: DaMode) -> Result<u64> {
    use alloy::providers::{Provider, ProviderBuilder};
    let provider = ProviderBuilder::new().connect_http(l1_rpc.clone()).erased();
    let block = provider.get_block_by_number(alloy::eips::BlockNumberOrTag::Latest).await?.context("no L1 block")?;
    let tip = provider.estimate_eip1559_fees().await?.max_priority_fee_per_gas;
    let base_fee = u128::from(block.header.base_fee_per_gas.unwrap_or_default());
    let blob_fee = provider.get_blob_base_fee().await.ok();
    let cost = rollup_batcher::l1_price::l1_byte_cost(da, base_fee.saturating_add(tip), blob_fee, Default::default());
    Ok(rollup_types::fees::l1_price_target(cost))
}
