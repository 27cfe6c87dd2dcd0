//! Providers, sending and viewing.

use crate::error::L1Error;
use alloy::{
    eips::BlockId,
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256};
use alloy_sol_types::SolCall;
use std::time::Duration;

/// How long `send` waits for a receipt.
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A read-only provider.
pub fn provider(rpc: &url::Url) -> DynProvider {
    ProviderBuilder::new().connect_http(rpc.clone()).erased()
}

/// A provider that signs with `key`, the wallet itself (to sign locally) and its address.
pub fn signing_provider(rpc: &url::Url, key: &B256) -> Result<(DynProvider, EthereumWallet, Address), L1Error> {
    let signer = PrivateKeySigner::from_bytes(key).map_err(|e| L1Error::Key(e.to_string()))?;
    let address = signer.address();
    let wallet = EthereumWallet::from(signer);
    let provider = ProviderBuilder::new().wallet(wallet.clone()).connect_http(rpc.clone()).erased();
    Ok((provider, wallet, address))
}

/// Sends `request` and waits for its receipt, whatever its status.
pub async fn send(provider: &DynProvider, request: TransactionRequest) -> Result<TransactionReceipt, L1Error> {
    let pending = provider.send_transaction(request).await?;
    Ok(pending.with_timeout(Some(RECEIPT_TIMEOUT)).get_receipt().await?)
}

/// Sends `request` and waits for its receipt; a reverted transaction is
/// [`L1Error::Reverted`] with `what` it did.
pub async fn send_ok(
    provider: &DynProvider,
    request: TransactionRequest,
    what: &str,
) -> Result<TransactionReceipt, L1Error> {
    let receipt = send(provider, request).await?;
    if !receipt.status() {
        return Err(L1Error::Reverted { what: what.to_owned(), tx: receipt.transaction_hash });
    }
    Ok(receipt)
}

/// Calls a view function of `to` on the node's default block (for some nodes, anvil among
/// them, the pending block).
pub async fn view<C: SolCall>(provider: &DynProvider, to: Address, call: C) -> Result<C::Return, L1Error> {
    let out = provider.call(TransactionRequest::default().with_to(to).with_input(call.abi_encode())).await?;
    Ok(C::abi_decode_returns(&out)?)
}

/// Calls a view function of `to` on block `at` (`BlockNumberOrTag::Latest.into()`: what is
/// mined, without what waits in the node's pool).
pub async fn view_at<C: SolCall>(
    provider: &DynProvider,
    to: Address,
    call: C,
    at: BlockId,
) -> Result<C::Return, L1Error> {
    let out = provider.call(TransactionRequest::default().with_to(to).with_input(call.abi_encode())).block(at).await?;
    Ok(C::abi_decode_returns(&out)?)
}
