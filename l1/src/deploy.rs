//! Deploying the chain's L1 contracts from their committed artifacts.

use crate::{
    error::L1Error,
    rpc::{send, send_ok},
};
use alloy::{network::TransactionBuilder, providers::DynProvider, rpc::types::TransactionRequest};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use rollup_types::bindings::{
    BatchInbox, L1Bridge, TestToken, batch_decoder_creation_code, batch_inbox_creation_code,
    chunk_verifier_deploy_code, l1_bridge_creation_code, lending_replay_creation_code, replay_logic_deploy_code,
    test_token_creation_code,
};

/// Parameters of a batch inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboxParams {
    /// The only account allowed to post.
    pub batcher: Address,
    /// Seconds during which a batch can be challenged.
    pub challenge_window: u64,
    /// Wei the batcher keeps staked to post; one proven fraud slashes it (half to the prover).
    pub stake: U256,
    /// State root of the L2 genesis.
    pub genesis_state_root: B256,
    /// Wei of ether the L2 genesis holds, which the deployer locks in the bridge
    /// (`GenesisSpec::genesis_ether`, `L1Bridge.genesisEther`).
    pub genesis_ether: U256,
    /// Transactions per chunk.
    pub chunk_size: u32,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// L1 blocks within which the sequencer must include a bridge queue entry (the bridge's
    /// `inclusionWindow`, docs/bridge.md §2.3; 0 when read from an inbox without a bridge).
    pub inclusion_window: u64,
    /// L1 blocks the first entry no batch consumed must wait before anyone may freeze the inbox
    /// (`BatchInbox.freezeDelay`, docs/bridge.md §7): at least twice the inclusion window.
    pub freeze_delay: u64,
}

/// The devnet's inclusion window: 20 L1 blocks, against the sequencer's 2 confirmations (a
/// demonstration value: an outage of 40 blocks lets anyone freeze a devnet).
pub const DEFAULT_INCLUSION_WINDOW: u64 = 20;

/// `rollup deploy`'s inclusion window: 3,600 L1 blocks, 12 hours of 12-second blocks (OP
/// Stack's sequencing window). Posts may not leave an entry behind past it; the inbox can be
/// frozen only after [`DEPLOY_FREEZE_DELAY`].
pub const DEPLOY_INCLUSION_WINDOW: u64 = 3_600;

/// The devnet's freeze delay: two of its inclusion windows, 40 L1 blocks (a demonstration
/// value, as the window is).
pub const DEFAULT_FREEZE_DELAY: u64 = 2 * DEFAULT_INCLUSION_WINDOW;

/// `rollup deploy`'s freeze delay: 50,400 L1 blocks, a week of 12-second blocks. No honest
/// operator leaves an outage that long unmended (a lost key, a bug, a stake to top up), while
/// an operator that stopped for good holds users' funds a week longer (docs/bridge.md §7).
pub const DEPLOY_FREEZE_DELAY: u64 = 50_400;

/// Deploys a batch inbox from the committed artifact; returns its address and L1 block.
pub async fn deploy_inbox(provider: &DynProvider, params: &InboxParams) -> Result<(Address, u64), L1Error> {
    // The verifier's parts first, each on its own (EIP-170, EIP-3860): the decoder, the money
    // market's logic, the logic that delegates to it; then the verifier.
    let decoder = deploy_code(provider, batch_decoder_creation_code().to_vec(), "batch decoder").await?.0;
    let lending = deploy_code(provider, lending_replay_creation_code().to_vec(), "lending replay logic").await?.0;
    let logic = deploy_code(provider, replay_logic_deploy_code(lending), "replay logic").await?.0;
    let verifier = deploy_code(provider, chunk_verifier_deploy_code(decoder, logic), "chunk verifier").await?.0;
    let mut code = batch_inbox_creation_code().to_vec();
    code.extend_from_slice(
        &BatchInbox::constructorCall {
            batcher_: params.batcher,
            challengeWindow_: U256::from(params.challenge_window),
            stakeAmount_: params.stake,
            genesisStateRoot_: params.genesis_state_root,
            chunkSize_: U256::from(params.chunk_size),
            l2ChainId_: U256::from(params.l2_chain_id),
            verifier_: verifier,
            freezeDelay_: U256::from(params.freeze_delay),
        }
        .abi_encode(),
    );
    deploy_code(provider, code, "inbox").await
}

/// Stakes `amount` in `inbox` for its batcher (anyone may add to the batcher's stake).
pub async fn stake(provider: &DynProvider, inbox: Address, amount: U256) -> Result<(), L1Error> {
    let request = TransactionRequest::default()
        .with_to(inbox)
        .with_input(BatchInbox::stakeCall {}.abi_encode())
        .with_value(amount);
    send_ok(provider, request, &format!("staking {amount} wei in the inbox {inbox}")).await?;
    Ok(())
}

/// Deploys the L1 bridge of `inbox` (queue entries due within `inclusion_window` L1 blocks),
/// locking `genesis_ether` wei for the L2's genesis balances of ether, and attaches it to the
/// inbox. Only the inbox's deployer may attach: `provider` must sign for the account that
/// deployed `inbox` (and hold the ether). Returns the bridge's address.
pub async fn deploy_bridge(
    provider: &DynProvider,
    inbox: Address,
    inclusion_window: u64,
    genesis_ether: U256,
) -> Result<Address, L1Error> {
    let mut code = l1_bridge_creation_code().to_vec();
    code.extend_from_slice(
        &L1Bridge::constructorCall { inbox_: inbox, inclusionWindow_: U256::from(inclusion_window) }.abi_encode(),
    );
    let request = TransactionRequest::default().with_deploy_code(Bytes::from(code)).with_value(genesis_ether);
    let (bridge, _) = deploy_request(provider, request, "bridge").await?;
    let attach = BatchInbox::attachBridgeCall { bridge_: bridge }.abi_encode();
    let request = TransactionRequest::default().with_to(inbox).with_input(attach);
    send_ok(provider, request, &format!("attaching the bridge {bridge} to the inbox {inbox}")).await?;
    Ok(bridge)
}

/// Deploys an open-mint ERC-20 for devnets and tests (`TestToken`).
pub async fn deploy_test_token(
    provider: &DynProvider,
    name: &str,
    symbol: &str,
    decimals: u8,
) -> Result<Address, L1Error> {
    let mut code = test_token_creation_code().to_vec();
    code.extend_from_slice(
        &TestToken::constructorCall { name_: name.into(), symbol_: symbol.into(), decimals_: decimals }.abi_encode(),
    );
    Ok(deploy_code(provider, code, "test token").await?.0)
}

/// Deploys `code` and returns the new contract's address and L1 block.
async fn deploy_code(provider: &DynProvider, code: Vec<u8>, what: &str) -> Result<(Address, u64), L1Error> {
    deploy_request(provider, TransactionRequest::default().with_deploy_code(Bytes::from(code)), what).await
}

/// Sends the deployment `request` and returns the new contract's address and L1 block.
async fn deploy_request(
    provider: &DynProvider,
    request: TransactionRequest,
    what: &str,
) -> Result<(Address, u64), L1Error> {
    let receipt = send(provider, request).await?;
    let address = receipt
        .contract_address
        .filter(|_| receipt.status())
        .ok_or_else(|| L1Error::Reverted { what: format!("{what} deployment"), tx: receipt.transaction_hash })?;
    let block = receipt.block_number.ok_or_else(|| L1Error::missing(format!("the block of the {what} deployment")))?;
    Ok((address, block))
}
