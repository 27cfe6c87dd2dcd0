//! `rollup devnet`: the whole system in one process, with the flag groups of the sequencer,
//! the batcher and the deployment it runs.

use super::{
    ChainArgs,
    batcher::PostingArgs,
    cancel_on_signal,
    deploy::InboxArgs,
    sequencer::{BacklogArgs, BlockArgs, HttpArgs},
};
use alloy_primitives::B256;
use anyhow::Result;
use clap::Args;
use rollup_devnet::{Devnet, DevnetConfig};
use std::{net::SocketAddr, path::PathBuf};

/// Runs the whole system locally: anvil, contracts, sequencer, executor, batcher, challenger.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Directory of the databases, the anvil state and the deployment record.
    #[arg(long = "data-dir", alias = "datadir", env = "ROLLUP_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// Use this L1 JSON-RPC instead of starting anvil.
    #[arg(long = "l1.rpc", alias = "l1-rpc", env = "ROLLUP_L1_RPC")]
    l1_rpc: Option<url::Url>,
    /// Port of the anvil to start (0: a free one, which the banner shows).
    #[arg(long = "l1.port", env = "ROLLUP_L1_PORT", default_value_t = 8545)]
    l1_port: u16,
    /// Block gas limit of the anvil to start (default: anvil's, 30,000,000). What one post
    /// carries, and so the largest block, follows from it.
    #[arg(long = "l1.gas-limit", alias = "l1-gas-limit", env = "ROLLUP_L1_GAS_LIMIT")]
    l1_gas_limit: Option<u64>,
    /// Key that deploys the L1 contracts (default: anvil account 0).
    #[arg(long = "l1.deployer-key", env = "ROLLUP_DEPLOYER_KEY", hide_env_values = true)]
    deployer_key: Option<B256>,
    /// Key of the authorised batcher (default: anvil account 1).
    #[arg(long = "l1.batcher-key", env = "ROLLUP_BATCHER_KEY", hide_env_values = true)]
    batcher_key: Option<B256>,
    /// Key of the challenger, which sends fraud proofs and receives the rewards (default:
    /// anvil account 2).
    #[arg(long = "l1.challenger-key", env = "ROLLUP_CHALLENGER_KEY", hide_env_values = true)]
    challenger_key: Option<B256>,
    /// Address of the L2 HTTP server (REST and JSON-RPC).
    #[arg(long = "http.addr", env = "ROLLUP_HTTP_ADDR", default_value = "127.0.0.1:8547")]
    http: SocketAddr,
    /// L1 blocks the bridge's queue entries wait before the L2 consumes them: an entry the L2
    /// consumed that a deeper L1 reorg takes out stalls posting (docs/bridge.md §2.3). Must be
    /// below the inbox's inclusion window.
    #[arg(long = "queue.confirmations", env = "ROLLUP_QUEUE_CONFIRMATIONS", default_value_t = 2)]
    queue_confirmations: u64,
    #[command(flatten)]
    blocks: BlockArgs,
    #[command(flatten)]
    backlog: BacklogArgs,
    #[command(flatten)]
    http_limits: HttpArgs,
    #[command(flatten)]
    posting: PostingArgs,
    #[command(flatten)]
    inbox: InboxArgs,
    #[command(flatten)]
    chain: ChainArgs,
}

impl DevnetArgs {
    pub(crate) fn into_config(self) -> Result<DevnetConfig> {
        let mut config = DevnetConfig::new(self.data_dir);
        config.l1_rpc = self.l1_rpc;
        config.l1_port = self.l1_port;
        config.l1_gas_limit = self.l1_gas_limit;
        config.listen = self.http;
        config.chain = self.chain.config()?;
        // Checked as the other commands check it (the devnet lays out its genesis itself).
        self.chain.genesis()?;
        config.genesis_l1_byte_price = self.chain.genesis_l1_byte_price();
        config.block_time = self.blocks.block_time();
        config.empty_block_interval = self.blocks.empty_block_interval();
        config.state_history = self.blocks.state_history;
        config.archive = self.blocks.archive.unwrap_or(true);
        config.max_block_txs = self.blocks.max_txs();
        config.max_block_bytes = self.blocks.max_bytes;
        config.batch_interval = self.posting.interval(config.batch_interval);
        config.max_post_bytes = self.posting.max_post_bytes;
        config.max_in_flight = self.posting.max_in_flight();
        config.da = self.posting.da;
        config.blob_cores = self.posting.blob_cores();
        config.blobs_per_post = self.posting.blobs_per_post;
        config.blobs_per_block = self.posting.blobs_per_block;
        config.fault = self.posting.fault;
        config.l1_backlog = self.backlog.limits();
        config.admission_nice = self.backlog.admission_nice;
        config.http = self.http_limits.into_limits();
        config.challenge_window = self.inbox.challenge_window(config.challenge_window);
        config.inclusion_window = self.inbox.inclusion_window(config.inclusion_window);
        // Two inclusion windows unless given: the least the inbox takes.
        config.freeze_delay = self.inbox.freeze_delay(config.freeze_delay.max(2 * config.inclusion_window));
        config.stake = self.inbox.stake();
        config.queue_confirmations = self.queue_confirmations;
        anyhow::ensure!(
            self.queue_confirmations < config.inclusion_window,
            "--queue.confirmations {} must be below the inclusion window ({} L1 blocks): the L2 must consume an \
             entry before it is overdue",
            self.queue_confirmations,
            config.inclusion_window
        );
        config.deployer_key = self.deployer_key.unwrap_or(config.deployer_key);
        config.batcher_key = self.batcher_key.unwrap_or(config.batcher_key);
        config.challenger_key = self.challenger_key.or(config.challenger_key);
        Ok(config)
    }

    pub(crate) async fn run(self) -> Result<()> {
        let config = self.into_config()?;
        // A signal while starting stops the start: dropping it kills the anvil it spawned
        // (anvil runs in its own process group, so it would not get the terminal's signal).
        let cancel = cancel_on_signal();
        let devnet = tokio::select! {
            devnet = Devnet::start(config) => devnet?,
            _ = cancel.cancelled() => return Ok(()),
        };
        #[allow(clippy::print_stdout)]
        {
            println!("{}", devnet.banner());
        }
        devnet.run_until(cancel.cancelled_owned()).await
    }
}
