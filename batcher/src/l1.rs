//! Talking to the L1: a signing provider, contract deployment, reading the inbox.

use crate::error::BatcherError;
use alloy::{
    eips::BlockNumberOrTag,
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use rollup_types::bindings::{
    BatchInbox, L1Bridge, TestToken, batch_inbox_creation_code, chunk_verifier_creation_code, l1_bridge_creation_code,
    test_token_creation_code,
};
use std::time::Duration;

/// A provider that signs with `key`, the wallet itself (to sign locally) and its address.
pub fn signing_provider(rpc: &url::Url, key: &B256) -> Result<(DynProvider, EthereumWallet, Address), BatcherError> {
    let signer = PrivateKeySigner::from_bytes(key).map_err(|e| BatcherError::Config(format!("invalid key: {e}")))?;
    let address = signer.address();
    let wallet = EthereumWallet::from(signer);
    let provider = ProviderBuilder::new().wallet(wallet.clone()).connect_http(rpc.clone()).erased();
    Ok((provider, wallet, address))
}

/// A read-only provider.
pub fn provider(rpc: &url::Url) -> DynProvider {
    ProviderBuilder::new().connect_http(rpc.clone()).erased()
}

/// Sends `request` and waits for its receipt.
pub async fn send(provider: &DynProvider, request: TransactionRequest) -> Result<TransactionReceipt, BatcherError> {
    let pending = provider.send_transaction(request).await.map_err(BatcherError::l1)?;
    pending.with_timeout(Some(Duration::from_secs(120))).get_receipt().await.map_err(BatcherError::l1)
}

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
    /// Transactions per chunk.
    pub chunk_size: u32,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// L1 blocks within which the sequencer must include a bridge queue entry (the bridge's
    /// `inclusionWindow`, docs/bridge.md §2.3; 0 when read from an inbox without a bridge).
    pub inclusion_window: u64,
}

/// The devnet's inclusion window: 20 L1 blocks, against the sequencer's 2 confirmations (a
/// demonstration value: an outage of 40 blocks lets anyone freeze a devnet).
pub const DEFAULT_INCLUSION_WINDOW: u64 = 20;

/// `rollup deploy`'s inclusion window: 3,600 L1 blocks, 12 hours of 12-second blocks (OP
/// Stack's sequencing window). Posts may not leave an entry behind past it, and the inbox can
/// be frozen only after twice that, so a posting gap of less than a day never stops the chain.
pub const DEPLOY_INCLUSION_WINDOW: u64 = 3_600;

/// Deploys a batch inbox from the committed artifact; returns its address and L1 block.
pub async fn deploy_inbox(provider: &DynProvider, params: &InboxParams) -> Result<(Address, u64), BatcherError> {
    let verifier = deploy_code(provider, chunk_verifier_creation_code().to_vec(), "chunk verifier").await?.0;
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
        }
        .abi_encode(),
    );
    deploy_code(provider, code, "inbox").await
}

/// Stakes `amount` in `inbox` for its batcher (anyone may add to the batcher's stake).
pub async fn stake(provider: &DynProvider, inbox: Address, amount: U256) -> Result<(), BatcherError> {
    let request = TransactionRequest::default()
        .with_to(inbox)
        .with_input(BatchInbox::stakeCall {}.abi_encode())
        .with_value(amount);
    let receipt = send(provider, request).await?;
    if !receipt.status() {
        return Err(BatcherError::L1(format!("staking {amount} wei in the inbox {inbox} reverted")));
    }
    Ok(())
}

/// Deploys the L1 bridge of `inbox` (queue entries due within `inclusion_window` L1 blocks)
/// and attaches it to the inbox. Only the inbox's deployer may attach: `provider` must sign
/// for the account that deployed `inbox`. Returns the bridge's address.
pub async fn deploy_bridge(
    provider: &DynProvider,
    inbox: Address,
    inclusion_window: u64,
) -> Result<Address, BatcherError> {
    let mut code = l1_bridge_creation_code().to_vec();
    code.extend_from_slice(
        &L1Bridge::constructorCall { inbox_: inbox, inclusionWindow_: U256::from(inclusion_window) }.abi_encode(),
    );
    let (bridge, _) = deploy_code(provider, code, "bridge").await?;
    let attach = BatchInbox::attachBridgeCall { bridge_: bridge }.abi_encode();
    let receipt = send(provider, TransactionRequest::default().with_to(inbox).with_input(attach)).await?;
    if !receipt.status() {
        return Err(BatcherError::L1(format!("attaching the bridge {bridge} to the inbox {inbox} reverted")));
    }
    Ok(bridge)
}

/// Deploys an open-mint ERC-20 for devnets and tests (`TestToken`).
pub async fn deploy_test_token(
    provider: &DynProvider,
    name: &str,
    symbol: &str,
    decimals: u8,
) -> Result<Address, BatcherError> {
    let mut code = test_token_creation_code().to_vec();
    code.extend_from_slice(
        &TestToken::constructorCall { name_: name.into(), symbol_: symbol.into(), decimals_: decimals }.abi_encode(),
    );
    Ok(deploy_code(provider, code, "test token").await?.0)
}

/// Deploys `code` and returns the new contract's address and L1 block.
async fn deploy_code(provider: &DynProvider, code: Vec<u8>, what: &str) -> Result<(Address, u64), BatcherError> {
    let receipt = send(provider, TransactionRequest::default().with_deploy_code(Bytes::from(code))).await?;
    let address = receipt
        .contract_address
        .filter(|_| receipt.status())
        .ok_or_else(|| BatcherError::L1(format!("{what} deployment reverted")))?;
    let block = receipt
        .block_number
        .ok_or_else(|| BatcherError::L1(format!("{what} deployment receipt has no block number")))?;
    Ok((address, block))
}

/// Calls a view function of the inbox (on the node's default block, which for some nodes,
/// anvil among them, is the pending block).
pub async fn view<C: SolCall>(provider: &DynProvider, inbox: Address, call: C) -> Result<C::Return, BatcherError> {
    call_at(provider, inbox, call, None).await
}

/// Calls a view function of the inbox on the latest mined block: what is on L1, without the
/// posts still waiting in the node's pool.
pub async fn view_mined<C: SolCall>(
    provider: &DynProvider,
    inbox: Address,
    call: C,
) -> Result<C::Return, BatcherError> {
    call_at(provider, inbox, call, Some(BlockNumberOrTag::Latest)).await
}

async fn call_at<C: SolCall>(
    provider: &DynProvider,
    inbox: Address,
    call: C,
    block: Option<BlockNumberOrTag>,
) -> Result<C::Return, BatcherError> {
    let request = provider.call(TransactionRequest::default().with_to(inbox).with_input(call.abi_encode()));
    let out = match block {
        Some(block) => request.block(block.into()).await,
        None => request.await,
    }
    .map_err(BatcherError::l1)?;
    C::abi_decode_returns(&out).map_err(BatcherError::l1)
}

/// The bridge attached to `inbox` (zero if none).
pub async fn inbox_bridge(provider: &DynProvider, inbox: Address) -> Result<Address, BatcherError> {
    view(provider, inbox, BatchInbox::bridgeCall {}).await
}

/// Reads the inbox's deployment parameters.
pub async fn inbox_params(provider: &DynProvider, inbox: Address) -> Result<InboxParams, BatcherError> {
    Ok(InboxParams {
        batcher: view(provider, inbox, BatchInbox::batcherCall {}).await?,
        challenge_window: view(provider, inbox, BatchInbox::challengeWindowCall {}).await?.saturating_to(),
        stake: view(provider, inbox, BatchInbox::stakeAmountCall {}).await?,
        genesis_state_root: view(provider, inbox, BatchInbox::genesisStateRootCall {}).await?,
        chunk_size: view(provider, inbox, BatchInbox::chunkSizeCall {}).await?.saturating_to(),
        l2_chain_id: view(provider, inbox, BatchInbox::l2ChainIdCall {}).await?.saturating_to(),
        inclusion_window: match view(provider, inbox, BatchInbox::bridgeCall {}).await? {
            Address::ZERO => 0,
            bridge => view(provider, bridge, L1Bridge::inclusionWindowCall {}).await?.saturating_to(),
        },
    })
}
