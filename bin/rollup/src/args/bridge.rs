//! The bridge's user commands: `deposit`, `withdraw`, `force-tx` and `finalize-withdrawal`.

use super::print_json;
use alloy_primitives::{Address, B256, Bytes, U256};
use anyhow::Result;
use clap::Args;
use rollup_devnet::bridge::{self, Endpoints};
use std::time::Duration;

/// Where a bridge command finds the L2, the L1 and the bridge, and whose key it signs with.
#[derive(Debug, Args)]
pub(crate) struct BridgeEndpointArgs {
    /// The L2 sequencer's HTTP URL.
    #[arg(long = "rpc", env = "ROLLUP_RPC", default_value = "http://127.0.0.1:8547")]
    rpc: String,
    /// L1 JSON-RPC URL.
    #[arg(long = "l1.rpc", alias = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: url::Url,
    /// The L1 bridge (default: the one attached to the inbox the L2 reports in /v1/status).
    #[arg(long = "l1.bridge", alias = "bridge", env = "ROLLUP_BRIDGE")]
    bridge: Option<Address>,
    /// Private key of the account that signs.
    #[arg(long = "key", env = "ROLLUP_KEY", hide_env_values = true)]
    key: B256,
}

impl BridgeEndpointArgs {
    fn endpoints(&self) -> Endpoints {
        Endpoints { l2: self.rpc.trim_end_matches('/').to_owned(), l1: self.l1_rpc.clone(), bridge: self.bridge }
    }
}

/// Deposits ether or an ERC-20 from L1 to an L2 account through the bridge (prints its queue
/// index; `GET /v1/deposits/{index}` on the L2 follows it).
#[derive(Debug, Args)]
pub(crate) struct DepositArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The L2 account credited.
    #[arg(long = "to")]
    to: Address,
    /// Amount in the asset's smallest unit (wei for ether).
    #[arg(long = "amount")]
    amount: U256,
    /// An ERC-20 to deposit instead of ether (the bridge is approved first when needed).
    #[arg(long = "token")]
    token: Option<Address>,
}

impl DepositArgs {
    pub(crate) async fn run(self) -> Result<()> {
        print_json(&bridge::deposit(&self.ends.endpoints(), &self.ends.key, self.to, self.amount, self.token).await?)
    }
}

/// Withdraws a bridged token from L2 to an L1 recipient (prints the withdrawal's index).
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The bridged L2 token to withdraw (its L1 asset is paid out).
    #[arg(long = "token")]
    token: Address,
    /// The L1 recipient.
    #[arg(long = "to")]
    to: Address,
    /// Amount in the token's smallest unit.
    #[arg(long = "amount")]
    amount: U256,
}

impl WithdrawArgs {
    pub(crate) async fn run(self) -> Result<()> {
        print_json(&bridge::withdraw(&self.ends.endpoints(), &self.ends.key, self.token, self.to, self.amount).await?)
    }
}

/// Sends a signed L2 transaction through the L1 bridge (forced inclusion: the sequencer must
/// include it within the inclusion window).
#[derive(Debug, Args)]
pub(crate) struct ForceTxArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The signed L2 transaction, EIP-2718 bytes in hex (what eth_sendRawTransaction takes).
    #[arg(long = "raw")]
    raw: Bytes,
}

impl ForceTxArgs {
    pub(crate) async fn run(self) -> Result<()> {
        print_json(&bridge::force_transaction(&self.ends.endpoints(), &self.ends.key, self.raw).await?)
    }
}

/// Pays a withdrawal on L1 once its batch is final, with the proof the L2 API builds.
#[derive(Debug, Args)]
pub(crate) struct FinalizeWithdrawalArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The L2 account that withdrew.
    #[arg(long = "sender")]
    sender: Address,
    /// The withdrawal's index among the sender's.
    #[arg(long = "index")]
    index: u64,
    /// Seconds to wait for the batch holding it to be final (0: fail at once if it is not).
    #[arg(long = "wait-secs", default_value_t = 0)]
    wait_secs: u64,
}

impl FinalizeWithdrawalArgs {
    pub(crate) async fn run(self) -> Result<()> {
        let wait = Duration::from_secs(self.wait_secs);
        let ends = self.ends.endpoints();
        print_json(&bridge::finalize_withdrawal(&ends, &self.ends.key, self.sender, self.index, wait).await?)
    }
}
