//! The bridge from a user's side (docs/bridge.md): deposit on L1, withdraw on L2, and finalize
//! a withdrawal on L1 with the proof the L2 API builds. What `rollup deposit`, `rollup
//! withdraw` and `rollup finalize-withdrawal` run; tests call the same functions.

use alloy::{network::TransactionBuilder, providers::DynProvider, rpc::types::TransactionRequest};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{Context, Result, anyhow, bail, ensure};
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::{L1Bridge, L2System, TestToken},
    signer::Signer,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Where the L2 and the L1 are.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// The L2 sequencer's HTTP URL (REST and JSON-RPC).
    pub l2: String,
    /// The L1 JSON-RPC URL.
    pub l1: url::Url,
    /// The L1 bridge; read from the inbox the L2 settles on when not given.
    pub bridge: Option<Address>,
}

impl Endpoints {
    /// The bridge: as given, or the one attached to the inbox the L2 reports in `/v1/status`.
    pub async fn bridge(&self) -> Result<Address> {
        if let Some(bridge) = self.bridge {
            return Ok(bridge);
        }
        let status = get_json(&format!("{}/v1/status", self.l2)).await?;
        let inbox: Address = status["l1"]["settlement"]["batchInbox"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("the L2 at {} does not say which inbox it settles on: pass --bridge", self.l2))?;
        let bridge = rollup_l1::inbox::bridge(&rollup_l1::provider(&self.l1), inbox)
            .await
            .with_context(|| format!("reading the bridge of inbox {inbox}"))?;
        ensure!(!bridge.is_zero(), "inbox {inbox} has no bridge attached");
        Ok(bridge)
    }
}

/// Signs a call of the system contract as a wallet does (docs/fees.md §2): the gas
/// `eth_estimateGas` gives, which covers the L1 data fee at the dearest price the next block
/// may have, and twice `eth_gasPrice` as the fee cap. A fixed gas limit would run out of gas
/// once the L1 price has climbed.
async fn sign_l2_call(
    ends: &Endpoints,
    signer: &Signer,
    chain_id: u64,
    nonce: u64,
    input: Bytes,
) -> Result<rollup_types::SignedTx> {
    use alloy::providers::{Provider, ProviderBuilder};
    let l2 = ProviderBuilder::new().connect_http(ends.l2.parse().with_context(|| format!("the L2 URL {}", ends.l2))?);
    let request =
        TransactionRequest::default().with_from(signer.address()).with_to(SYSTEM_CONTRACT).with_input(input.clone());
    let gas = l2.estimate_gas(request).await.context("eth_estimateGas on the L2")?;
    let price = l2.get_gas_price().await.context("eth_gasPrice on the L2")?;
    Ok(signer.sign_eip1559(alloy::consensus::TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: price.saturating_mul(2),
        max_priority_fee_per_gas: 0,
        to: alloy_primitives::TxKind::Call(SYSTEM_CONTRACT),
        value: U256::ZERO,
        access_list: Default::default(),
        input,
    }))
}

async fn get_json(url: &str) -> Result<Value> {
    let response = reqwest::get(url).await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body: Value = response.json().await.with_context(|| format!("GET {url}: not JSON"))?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {}", body["error"]["message"].as_str().unwrap_or("no message"));
    }
    Ok(body)
}

fn l1_wallet(l1: &url::Url, key: &B256) -> Result<(DynProvider, Address)> {
    let (provider, _, address) = rollup_l1::signing_provider(l1, key)?;
    Ok((provider, address))
}

async fn send_l1(
    provider: &DynProvider,
    to: Address,
    input: Vec<u8>,
    value: U256,
) -> Result<alloy::rpc::types::TransactionReceipt> {
    let request = TransactionRequest::default().with_to(to).with_input(input).with_value(value);
    Ok(rollup_l1::send_ok(provider, request, "the L1 transaction").await?)
}

/// A deposit queued on L1.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposited {
    /// Its index in the bridge's queue (`GET /v1/deposits/{index}` on the L2).
    pub queue_index: u64,
    /// The L1 transaction.
    pub l1_tx: B256,
    /// The L2 token that will be credited.
    pub l2_token: Address,
    /// The amount queued (what arrived, for a token that takes a fee).
    pub amount: U256,
}

/// Deposits `amount` of ether (`token` `None`) or of the ERC-20 `token` (approving the bridge
/// first when its allowance is short) from `key`'s L1 account to `to` on L2.
pub async fn deposit(
    ends: &Endpoints,
    key: &B256,
    to: Address,
    amount: U256,
    token: Option<Address>,
) -> Result<Deposited> {
    let bridge = ends.bridge().await?;
    let (l1, me) = l1_wallet(&ends.l1, key)?;
    let receipt = match token {
        None => send_l1(&l1, bridge, L1Bridge::depositETHCall { to }.abi_encode(), amount).await?,
        Some(token) => {
            let allowance = rollup_l1::view(&l1, token, TestToken::allowanceCall { _0: me, _1: bridge })
                .await
                .with_context(|| format!("reading the allowance of {token}"))?;
            if allowance < amount {
                send_l1(&l1, token, TestToken::approveCall { spender: bridge, amount }.abi_encode(), U256::ZERO)
                    .await?;
            }
            let call = L1Bridge::depositERC20Call { l1Token: token, to, amount };
            send_l1(&l1, bridge, call.abi_encode(), U256::ZERO).await?
        }
    };
    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            (l.address() == bridge).then(|| L1Bridge::DepositQueued::decode_log_data(&l.inner.data).ok()).flatten()
        })
        .ok_or_else(|| anyhow!("the bridge emitted no DepositQueued in {}", receipt.transaction_hash))?;
    Ok(Deposited {
        queue_index: event.index.saturating_to(),
        l1_tx: receipt.transaction_hash,
        l2_token: event.l2Token,
        amount: event.amount,
    })
}

/// A transaction forced through L1.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forced {
    /// Its index in the bridge's queue (`GET /v1/deposits/{index}` on the L2 says whether it
    /// ran or was skipped).
    pub queue_index: u64,
    /// The L1 transaction.
    pub l1_tx: B256,
    /// The L2 transaction's hash.
    pub tx_hash: B256,
}

/// Sends the signed L2 transaction `raw` through the L1 bridge (forced inclusion,
/// docs/bridge.md §3.3) from `key`'s L1 account: the sequencer must include it within the
/// inclusion window, where it runs if it is admissible at its sender's nonce.
pub async fn force_transaction(ends: &Endpoints, key: &B256, raw: Bytes) -> Result<Forced> {
    let bridge = ends.bridge().await?;
    let (l1, _) = l1_wallet(&ends.l1, key)?;
    let tx_hash = alloy_primitives::keccak256(&raw);
    let receipt = send_l1(&l1, bridge, L1Bridge::forceTransactionCall { raw }.abi_encode(), U256::ZERO).await?;
    let event = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            (l.address() == bridge).then(|| L1Bridge::TransactionForced::decode_log_data(&l.inner.data).ok()).flatten()
        })
        .ok_or_else(|| anyhow!("the bridge emitted no TransactionForced in {}", receipt.transaction_hash))?;
    Ok(Forced { queue_index: event.index.saturating_to(), l1_tx: receipt.transaction_hash, tx_hash })
}

/// A withdrawal written on L2.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawn {
    /// The L2 account that withdrew.
    pub sender: Address,
    /// Its index among the sender's withdrawals.
    pub index: u64,
    /// The L2 transaction.
    pub tx_hash: B256,
    /// The L2 block that holds it.
    pub block: u64,
}

/// Withdraws `amount` of the bridged token `l2_token` from `key`'s L2 account to `recipient`
/// on L1: signs and submits `withdraw` to the L2 and waits for its receipt.
pub async fn withdraw(
    ends: &Endpoints,
    key: &B256,
    l2_token: Address,
    recipient: Address,
    amount: U256,
) -> Result<Withdrawn> {
    let signer = Signer::new(key).map_err(|e| anyhow!("invalid private key: {e}"))?;
    let sender = signer.address();
    let status = get_json(&format!("{}/v1/status", ends.l2)).await?;
    let chain_id = status["chainId"].as_u64().ok_or_else(|| anyhow!("the L2's status has no chainId"))?;
    let account = get_json(&format!("{}/v1/accounts/{sender}", ends.l2)).await?;
    let nonce = account["pendingNonce"].as_u64().ok_or_else(|| anyhow!("no pending nonce for {sender}"))?;
    let call = L2System::withdrawCall { l2Token: l2_token, l1Recipient: recipient, amount };
    let raw = sign_l2_call(ends, &signer, chain_id, nonce, call.abi_encode().into()).await?.encoded();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/v1/transactions", ends.l2))
        .json(&serde_json::json!({ "raw": alloy_primitives::hex::encode_prefixed(raw) }))
        .send()
        .await
        .context("submitting the withdrawal")?;
    let code = response.status();
    let body: Value = response.json().await?;
    ensure!(code.is_success(), "the L2 refused the withdrawal: {}", body["error"]["message"]);
    let hash: B256 = body["hash"].as_str().and_then(|h| h.parse().ok()).ok_or_else(|| anyhow!("no hash in {body}"))?;
    let started = Instant::now();
    let tx = loop {
        let tx = get_json(&format!("{}/v1/transactions/{hash}", ends.l2)).await?;
        if tx["status"] != "pending" {
            break tx;
        }
        ensure!(started.elapsed() < Duration::from_secs(60), "withdrawal {hash} not included after 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let receipt = &tx["receipt"];
    ensure!(receipt["status"] == "success", "the withdrawal did not succeed: {tx}");
    let event = receipt["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|log| {
            let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).ok()?;
            let data: Bytes = serde_json::from_value(log["data"].clone()).ok()?;
            let log = alloy_primitives::LogData::new(topics, data)?;
            L2System::WithdrawalInitiated::decode_log_data(&log).ok()
        })
        .ok_or_else(|| anyhow!("the receipt of {hash} holds no WithdrawalInitiated"))?;
    Ok(Withdrawn {
        sender,
        index: event.index.saturating_to(),
        tx_hash: hash,
        block: tx["blockNumber"].as_u64().unwrap_or_default(),
    })
}

/// A withdrawal paid on L1.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finalized {
    /// The L1 transaction that paid it.
    pub l1_tx: B256,
    /// The batch its proof leads to.
    pub batch_index: u64,
    /// Who was paid.
    pub recipient: Address,
    /// How much.
    pub amount: U256,
    /// Siblings of the proof.
    pub proof_siblings: usize,
}

/// Pays withdrawal `index` of `sender` on L1, sent from `key`'s account (anyone may send it;
/// the money goes to the recipient the withdrawal names): reads its proof from the L2 API,
/// waits (up to `wait`) for the proof's batch to be final, and calls
/// `L1Bridge.finalizeWithdrawal`.
pub async fn finalize_withdrawal(
    ends: &Endpoints,
    key: &B256,
    sender: Address,
    index: u64,
    wait: Duration,
) -> Result<Finalized> {
    let bridge = ends.bridge().await?;
    let (l1, _) = l1_wallet(&ends.l1, key)?;
    let leaf = rollup_types::keys::withdrawal(&sender, index);
    let paid =
        rollup_l1::view(&l1, bridge, L1Bridge::withdrawalFinalizedCall(leaf)).await.context("reading the bridge")?;
    if paid {
        bail!("withdrawal {index} of {sender} was already paid on L1");
    }
    let started = Instant::now();
    let proof = loop {
        let url = format!("{}/v1/withdrawals/{sender}/{index}/proof", ends.l2);
        match get_json(&url).await {
            Ok(proof) if proof["finalized"] == true => break proof,
            Ok(proof) if started.elapsed() >= wait => {
                bail!("batch {} holding the withdrawal is not final yet; try again later", proof["batchIndex"])
            }
            Err(e) if started.elapsed() >= wait || !e.to_string().contains("409") => return Err(e),
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    };
    let w = &proof["withdrawal"];
    let field = |name: &str| -> Result<Address> {
        w[name].as_str().and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("the proof has no {name}: {proof}"))
    };
    let amount: U256 = w["amount"].as_str().and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("no amount"))?;
    let (l1_token, recipient) = (field("l1Token")?, field("recipient")?);
    let batch_index = proof["batchIndex"].as_u64().ok_or_else(|| anyhow!("no batchIndex"))?;
    let siblings: Vec<B256> = serde_json::from_value(proof["siblings"].clone())?;
    let proof_siblings = siblings.len();
    let call = L1Bridge::finalizeWithdrawalCall {
        batchIndex: U256::from(batch_index),
        w: L1Bridge::Withdrawal { l2Sender: sender, index: U256::from(index), l1Token: l1_token, recipient, amount },
        siblings,
    };
    let receipt = send_l1(&l1, bridge, call.abi_encode(), U256::ZERO).await?;
    Ok(Finalized { l1_tx: receipt.transaction_hash, batch_index, recipient, amount, proof_siblings })
}
