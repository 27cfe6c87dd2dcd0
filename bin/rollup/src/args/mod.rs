//! The command line's flag groups, one per concern, each turned into its crate's `Config` by
//! one `into_config()`. A group shared by several commands (the chain, the L1, the block
//! limits, posting, the inbox's parameters) is written once and flattened into each.
//!
//! Flags are dotted by concern (`--l1.rpc`, `--block.time-ms`, `--batcher.da`); every
//! operational flag has an environment variable, and the spellings of earlier releases stay
//! as aliases.

pub(crate) mod batcher;
pub(crate) mod bridge;
pub(crate) mod challenger;
pub(crate) mod deploy;
pub(crate) mod devnet;
pub(crate) mod escape;
pub(crate) mod sequencer;

use alloy_primitives::Address;
use anyhow::Result;
use clap::Args;
use rollup_types::{
    ChainConfig,
    chain::{DEFAULT_CHAIN_ID, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE},
    genesis::GenesisSpec,
};
use tokio_util::sync::CancellationToken;

/// Parameters every component of one chain must agree on.
#[derive(Debug, Args)]
pub(crate) struct ChainArgs {
    /// L2 chain id.
    #[arg(long = "chain.id", env = "ROLLUP_CHAIN_ID", default_value_t = DEFAULT_CHAIN_ID)]
    chain_id: u64,
    /// Transactions per chunk.
    #[arg(long = "chain.chunk-size", env = "ROLLUP_CHUNK_SIZE", default_value_t = DEFAULT_CHUNK_SIZE)]
    chunk_size: u32,
    /// The L1 price of a byte (wei per L1 gas unit of a batch byte's share) the genesis fee
    /// state starts at (docs/fees.md §4); the floor, 8, by default. It is part of the genesis
    /// state root: `deploy`, `sequencer`, `challenger` and `escape` of one chain must agree
    /// (`rollup devnet` logs the one it laid out).
    #[arg(long = "genesis.l1-byte-price", env = "ROLLUP_GENESIS_L1_BYTE_PRICE")]
    genesis_l1_byte_price: Option<u64>,
}

impl ChainArgs {
    pub(crate) fn config(&self) -> Result<ChainConfig> {
        anyhow::ensure!(
            (1..=MAX_CHUNK_SIZE).contains(&self.chunk_size),
            "--chain.chunk-size must be between 1 and {MAX_CHUNK_SIZE} (the largest chunk a fraud proof replays in one L1 \
             transaction, docs/fraud-proofs.md §7)"
        );
        Ok(ChainConfig { chain_id: self.chain_id, chunk_size: self.chunk_size })
    }

    /// The genesis laid out (the devnet's allocation, at `--genesis.l1-byte-price`).
    pub(crate) fn genesis(&self) -> Result<GenesisSpec> {
        let spec = GenesisSpec::devnet();
        let Some(price) = self.genesis_l1_byte_price else { return Ok(spec) };
        anyhow::ensure!(
            price >= rollup_types::fees::MIN_L1_BYTE_PRICE,
            "--genesis.l1-byte-price must be at least {} wei (the floor of the L1 price, docs/fees.md §4)",
            rollup_types::fees::MIN_L1_BYTE_PRICE
        );
        Ok(spec.with_l1_byte_price(price))
    }

    /// The genesis L1 price asked for, if any.
    pub(crate) const fn genesis_l1_byte_price(&self) -> Option<u64> {
        self.genesis_l1_byte_price
    }
}

/// The L1 node and the chain's inbox on it.
#[derive(Debug, Args)]
pub(crate) struct L1Args {
    /// L1 JSON-RPC URL.
    #[arg(long = "l1.rpc", alias = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    rpc: url::Url,
    /// Batch inbox address.
    #[arg(long = "l1.inbox", alias = "inbox", env = "ROLLUP_INBOX")]
    inbox: Address,
}

/// Where blobs are read from: the beacon API, then its fallbacks (the challenger, and the
/// escape hatch that derives the chain as a challenger does).
#[derive(Debug, Args)]
pub(crate) struct BeaconArgs {
    /// Beacon API URL serving the blobs of blob posts (`GET /eth/v1/beacon/blobs/{block_id}`,
    /// asked by slot of a beacon node, which serves `/eth/v1/config/spec`, by L1 block number of
    /// a server that answers 404 there, as anvil); default: the L1 RPC URL (anvil serves both).
    #[arg(long = "l1.beacon", alias = "l1-beacon", env = "ROLLUP_L1_BEACON")]
    pub(crate) beacon: Option<url::Url>,
    /// Further beacon API URLs asked, in order, for a blob `--l1.beacon` does not serve (an
    /// archive keeping blobs past the 18 days beacon nodes keep them); comma-separated in the
    /// environment. Blobs read are also kept in the database.
    #[arg(long = "l1.beacon-fallback", env = "ROLLUP_L1_BEACON_FALLBACK", value_delimiter = ',')]
    pub(crate) fallbacks: Vec<url::Url>,
}

/// A token cancelled on Ctrl-C or SIGTERM: a long-running command stops cleanly on either.
pub(crate) fn cancel_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        cancel.cancel();
    });
    token
}

/// Prints a command's result as JSON on standard output.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}
