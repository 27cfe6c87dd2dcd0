//! `rollup deploy`: the chain's L1 contracts, and the inbox parameters it shares with the
//! devnet.

use super::{ChainArgs, print_json};
use alloy_primitives::{Address, B256, U256};
use anyhow::Result;
use clap::Args;
use rollup_l1::{self as l1, InboxParams};
use rollup_types::{ChainConfig, chain::stake_for_gas_price, genesis::GenesisSpec};

/// Deploys the L1 contracts of a chain and prints the deployment as JSON.
#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// L1 JSON-RPC URL.
    #[arg(long = "l1.rpc", alias = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: url::Url,
    /// Private key that pays for the deployment.
    #[arg(long = "l1.deployer-key", alias = "key", env = "ROLLUP_DEPLOYER_KEY", hide_env_values = true)]
    key: B256,
    /// The only account allowed to post batches.
    #[arg(long = "inbox.batcher", alias = "batcher", env = "ROLLUP_BATCHER_ADDRESS")]
    batcher: Address,
    #[command(flatten)]
    inbox: InboxArgs,
    #[command(flatten)]
    chain: ChainArgs,
}

impl DeployArgs {
    /// A week: what a wrong root waits for its fraud proof on a public L1.
    const CHALLENGE_WINDOW: u64 = 604_800;

    pub(crate) fn into_params(self) -> Result<(url::Url, B256, InboxParams)> {
        let (chain, genesis) = (self.chain.config()?, self.chain.genesis()?);
        let params = self.inbox.into_params(
            &chain,
            &genesis,
            self.batcher,
            Self::CHALLENGE_WINDOW,
            l1::DEPLOY_INCLUSION_WINDOW,
            l1::DEPLOY_FREEZE_DELAY,
        )?;
        Ok((self.l1_rpc, self.key, params))
    }

    pub(crate) async fn run(self) -> Result<()> {
        let (l1_rpc, key, params) = self.into_params()?;
        print_json(&rollup_devnet::deploy(&l1_rpc, &key, &params).await?)
    }
}

/// The inbox's parameters, fixed at deployment.
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    /// Challenge window, in seconds (default: a week for `rollup deploy`, 120 for the devnet).
    #[arg(long = "inbox.challenge-window", alias = "challenge-window", env = "ROLLUP_CHALLENGE_WINDOW")]
    challenge_window: Option<u64>,
    /// L1 blocks within which the sequencer must include a deposit or forced transaction
    /// queued on the bridge; a post that leaves an older entry behind is refused. `rollup
    /// deploy`'s 3,600 blocks are 12 hours of 12-second blocks, OP Stack's sequencing window.
    /// The devnet's 20 keep it short for demonstrations.
    #[arg(long = "inbox.inclusion-window", alias = "inclusion-window", env = "ROLLUP_INCLUSION_WINDOW")]
    inclusion_window: Option<u64>,
    /// L1 blocks the first entry left waiting must have waited (or the last rollback be past)
    /// before anyone may freeze the inbox, the last resort when the operator has stopped; at
    /// least twice the inclusion window. `rollup deploy`'s 50,400 blocks are a week of
    /// 12-second blocks: an outage no honest operator leaves unmended (docs/bridge.md §7). The
    /// devnet's 40 keep it short for demonstrations.
    #[arg(long = "inbox.freeze-delay", env = "ROLLUP_FREEZE_DELAY")]
    freeze_delay: Option<u64>,
    /// The stake the batcher must keep in the inbox to post, in wei; a proven fraud slashes it
    /// and pays half to the prover (default: sized by `--inbox.proof-gas-price-gwei`).
    #[arg(long = "inbox.stake-wei", aliases = ["stake-wei", "bond-wei"], env = "ROLLUP_STAKE_WEI")]
    stake: Option<U256>,
    /// The L1 gas price, in gwei, at which a prover's reward (half the stake) must still pay for
    /// the commitment, the most expensive proof any post allows (one L1 transaction's gas,
    /// 16,777,216) and the claim of the reward (16,957,216 gas; docs/fraud-proofs.md §7.4).
    #[arg(
        long = "inbox.proof-gas-price-gwei",
        alias = "proof-gas-price-gwei",
        env = "ROLLUP_PROOF_GAS_PRICE_GWEI",
        default_value_t = 100
    )]
    proof_gas_price_gwei: u64,
}

impl InboxArgs {
    /// The stake: given, or sized for proofs at `--inbox.proof-gas-price-gwei`.
    pub(crate) fn stake(&self) -> U256 {
        self.stake.unwrap_or_else(|| stake_for_gas_price(u128::from(self.proof_gas_price_gwei) * 1_000_000_000))
    }

    pub(crate) fn challenge_window(&self, default: u64) -> u64 {
        self.challenge_window.unwrap_or(default)
    }

    pub(crate) fn inclusion_window(&self, default: u64) -> u64 {
        self.inclusion_window.unwrap_or(default)
    }

    pub(crate) fn freeze_delay(&self, default: u64) -> u64 {
        self.freeze_delay.unwrap_or(default)
    }

    /// The parameters of a deployment for `chain` from `genesis`.
    fn into_params(
        self,
        chain: &ChainConfig,
        genesis: &GenesisSpec,
        batcher: Address,
        challenge_window: u64,
        inclusion_window: u64,
        freeze_delay: u64,
    ) -> Result<InboxParams> {
        let genesis_state_root = rollup_executor::Executor::genesis(*chain, genesis)?.state_root();
        Ok(InboxParams {
            batcher,
            challenge_window: self.challenge_window(challenge_window),
            stake: self.stake(),
            genesis_state_root,
            genesis_ether: genesis.genesis_ether(),
            chunk_size: chain.chunk_size,
            l2_chain_id: chain.chain_id,
            inclusion_window: self.inclusion_window(inclusion_window),
            // The default is at least two of the inclusion windows chosen: the least the inbox takes.
            freeze_delay: self.freeze_delay(freeze_delay.max(2 * self.inclusion_window(inclusion_window))),
        })
    }
}
