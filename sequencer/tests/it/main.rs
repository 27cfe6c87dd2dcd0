//! The sequencer over HTTP: admission errors, inclusion, receipts, restarts.

use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, hex};
use alloy_sol_types::SolCall;
use reqwest::StatusCode;
use rollup_sequencer::{SequencerConfig, SequencerHandle, StatusSources, start};
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::L2System,
    genesis::{DAI, DEV_ACCOUNTS, USDC, WETH},
    keys,
    signer::Signer,
};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub(crate) struct Seq {
    handle: SequencerHandle,
    cancel: CancellationToken,
    http: reqwest::Client,
}

impl Seq {
    async fn start(config: SequencerConfig) -> Self {
        let cancel = CancellationToken::new();
        let handle = start(config, StatusSources::default(), cancel.clone()).await.expect("sequencer starts");
        Self { handle, cancel, http: reqwest::Client::new() }
    }

    async fn stop(self) {
        self.cancel.cancel();
        self.handle.task.await.expect("joined").expect("clean stop");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url())
    }

    async fn post_raw_body(&self, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn submit(&self, raw: &[u8]) -> (StatusCode, Value) {
        self.post_raw_body("/v1/transactions", json!({ "raw": hex::encode_prefixed(raw) }).to_string()).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string();
        self.post_raw_body("/", body).await.1
    }

    async fn wait_included(&self, hash: &Value) -> Value {
        eventually_json(self, &format!("/v1/transactions/{}", hash.as_str().expect("hash")), |tx| {
            tx["status"] == "included"
        })
        .await
    }
}

/// The JSON at `path` once `done` holds for it (within five seconds).
async fn eventually_json(seq: &Seq, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (_, body) = seq.get(path).await;
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} did not reach the state expected");
}

fn alice() -> Signer {
    Signer::new(&DEV_ACCOUNTS[1].private_key).expect("key")
}

fn transfer(to: Address, amount: u64) -> Bytes {
    L2System::transferCall { token: USDC, to, amount: U256::from(amount) }.abi_encode().into()
}

fn chain_id() -> u64 {
    SequencerConfig::test().chain.chain_id
}

/// An EIP-1559 transaction with every field under the test's control.
fn custom_tx(signer: &Signer, chain_id: u64, nonce: u64, to: TxKind, value: U256, input: Bytes) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: rollup_types::signer::DEFAULT_MAX_FEE,
        max_priority_fee_per_gas: 1,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let sig = signer.sign_hash(tx.signature_hash());
    tx.into_signed(sig).encoded_2718()
}

/// An unsigned EIP-1559 transfer with nonce 0 and zero fees, for tests that sign it oddly.
fn transfer_tx() -> TxEip1559 {
    TxEip1559 {
        chain_id: chain_id(),
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(SYSTEM_CONTRACT),
        value: U256::ZERO,
        access_list: Default::default(),
        input: transfer(Address::repeat_byte(1), 1),
    }
}

fn assert_rejected(resp: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(resp.0, status, "body: {}", resp.1);
    assert_eq!(resp.1["error"]["code"], code, "body: {}", resp.1);
    assert!(resp.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a reason is given");
}

fn assert_rpc_error(resp: &Value, code: i64) {
    assert_eq!(resp["error"]["code"], code, "response: {resp}");
    assert!(resp["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a reason is given");
}

#[tokio::test]
async fn bad_input_gets_a_client_error_with_a_reason_on_rest_and_rpc() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let valid = a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(1), 1)).encoded();

    // Invalid JSON.
    assert_rejected(&seq.post_raw_body("/v1/transactions", "{not json").await, StatusCode::BAD_REQUEST, "invalid_json");
    let resp = seq.post_raw_body("/", "{not json").await;
    assert_eq!(resp.0, StatusCode::OK);
    assert_rpc_error(&resp.1, -32700);

    // Invalid hex.
    assert_rejected(
        &seq.post_raw_body("/v1/transactions", r#"{"raw":"0xzz"}"#).await,
        StatusCode::BAD_REQUEST,
        "invalid_hex",
    );
    let resp = seq.rpc("eth_sendRawTransaction", json!(["0xzz"])).await;
    assert_rpc_error(&resp, -32000);
    assert_eq!(resp["error"]["data"], "invalid_hex");

    // Bad RLP: truncated, and garbage.
    let truncated = &valid[..valid.len() - 5];
    assert_rejected(&seq.submit(truncated).await, StatusCode::BAD_REQUEST, "bad_rlp");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed([0xf8, 0x01, 0x02])])).await;
    assert_eq!(resp["error"]["data"], "bad_rlp", "{resp}");

    // Bad signature: s = 0, and a high-s (malleable) signature.
    let tx = transfer_tx();
    let good = a.sign_hash(tx.signature_hash());
    let zero_s = tx.clone().into_signed(Signature::new(good.r(), U256::ZERO, good.v())).encoded_2718();
    assert_rejected(&seq.submit(&zero_s).await, StatusCode::BAD_REQUEST, "bad_signature");
    let order =
        U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).expect("n");
    let high_s = tx.into_signed(Signature::new(good.r(), order - good.s(), !good.v())).encoded_2718();
    assert_rejected(&seq.submit(&high_s).await, StatusCode::BAD_REQUEST, "bad_signature");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&high_s)])).await;
    assert_eq!(resp["error"]["data"], "bad_signature");

    // Wrong chain id, and a legacy transaction without EIP-155.
    let wrong_chain = custom_tx(&a, 1, 0, TxKind::Call(SYSTEM_CONTRACT), U256::ZERO, transfer(Address::ZERO, 1));
    assert_rejected(&seq.submit(&wrong_chain).await, StatusCode::BAD_REQUEST, "wrong_chain_id");
    let legacy = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 0,
        gas_limit: 100_000,
        to: TxKind::Call(SYSTEM_CONTRACT),
        value: U256::ZERO,
        input: transfer(Address::repeat_byte(1), 1),
    };
    let sig = a.sign_hash(legacy.signature_hash());
    let pre155 = legacy.into_signed(sig).encoded_2718();
    assert_rejected(&seq.submit(&pre155).await, StatusCode::BAD_REQUEST, "wrong_chain_id");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&wrong_chain)])).await;
    assert_eq!(resp["error"]["data"], "wrong_chain_id");

    // Contract creation.
    let create = custom_tx(&a, chain_id(), 0, TxKind::Create, U256::ZERO, Bytes::from_static(&[0x60, 0x00]));
    assert_rejected(&seq.submit(&create).await, StatusCode::BAD_REQUEST, "contract_creation");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&create)])).await;
    assert_eq!(resp["error"]["data"], "contract_creation");

    // A call to anything but the system contract (with calldata: without, it sends ether).
    let elsewhere = custom_tx(
        &a,
        chain_id(),
        0,
        TxKind::Call(Address::repeat_byte(0x11)),
        U256::ZERO,
        Bytes::from_static(&[0xde, 0xad]),
    );
    assert_rejected(&seq.submit(&elsewhere).await, StatusCode::BAD_REQUEST, "not_system_contract");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&elsewhere)])).await;
    assert_eq!(resp["error"]["data"], "not_system_contract");

    // Non-zero value.
    let valued = custom_tx(&a, chain_id(), 0, TxKind::Call(SYSTEM_CONTRACT), U256::from(1), transfer(Address::ZERO, 1));
    assert_rejected(&seq.submit(&valued).await, StatusCode::BAD_REQUEST, "value_not_allowed");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&valued)])).await;
    assert_eq!(resp["error"]["data"], "value_not_allowed");

    // Ether to a token's address, and more ether than the sender holds (geth's words).
    let to_token = custom_tx(&a, chain_id(), 0, TxKind::Call(USDC), U256::from(1), Bytes::new());
    assert_rejected(&seq.submit(&to_token).await, StatusCode::BAD_REQUEST, "ether_to_contract");
    let too_much = U256::from(10u64).pow(U256::from(30u8));
    let overdraft = custom_tx(&a, chain_id(), 0, TxKind::Call(Address::repeat_byte(0x11)), too_much, Bytes::new());
    assert_rejected(&seq.submit(&overdraft).await, StatusCode::BAD_REQUEST, "insufficient_funds");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&overdraft)])).await;
    assert_rpc_error(&resp, -32000);
    assert_eq!(resp["error"]["data"], "insufficient_funds");
    let message = resp["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("insufficient funds for gas * price + value: address "), "{message}");

    // Fees (docs/fees.md §5): a fee cap below the base fee is refused, in geth's words; a
    // sender must hold gasLimit × maxFeePerGas, not only the value; the gas limit must cover
    // the operation's scheduled gas.
    let cheap = TxEip1559 { max_fee_per_gas: 1, ..transfer_tx() };
    let sig = a.sign_hash(cheap.signature_hash());
    let cheap = cheap.into_signed(sig).encoded_2718();
    assert_rejected(&seq.submit(&cheap).await, StatusCode::BAD_REQUEST, "fee_cap_too_low");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&cheap)])).await;
    let message = resp["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("max fee per gas less than block base fee: address "), "{message}");
    assert!(message.ends_with(&format!("maxFeePerGas: 1, baseFee: {}", rollup_types::fees::MIN_BASE_FEE)), "{message}");
    let dear = TxEip1559 { max_fee_per_gas: 10u128.pow(30), ..transfer_tx() };
    let sig = a.sign_hash(dear.signature_hash());
    assert_rejected(
        &seq.submit(&dear.into_signed(sig).encoded_2718()).await,
        StatusCode::BAD_REQUEST,
        "insufficient_funds",
    );
    let short = TxEip1559 { gas_limit: 29_999, max_fee_per_gas: 1_000_000_000, ..transfer_tx() };
    let sig = a.sign_hash(short.signature_hash());
    let short = short.into_signed(sig).encoded_2718();
    assert_rejected(&seq.submit(&short).await, StatusCode::BAD_REQUEST, "intrinsic_gas_too_low");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&short)])).await;
    assert_eq!(resp["error"]["message"], "intrinsic gas too low: gas 29999, minimum needed 30000", "{resp}");

    // A view function or unknown selector is not an operation.
    let view = L2System::balanceOfCall { token: USDC, owner: a.address() }.abi_encode();
    let view_tx = custom_tx(&a, chain_id(), 0, TxKind::Call(SYSTEM_CONTRACT), U256::ZERO, view.into());
    assert_rejected(&seq.submit(&view_tx).await, StatusCode::BAD_REQUEST, "unknown_operation");

    // Fee cap below the tip, and calldata larger than any operation.
    let tip_tx = TxEip1559 { max_fee_per_gas: 1, max_priority_fee_per_gas: 2, ..transfer_tx() };
    let sig = a.sign_hash(tip_tx.signature_hash());
    assert_rejected(
        &seq.submit(&tip_tx.into_signed(sig).encoded_2718()).await,
        StatusCode::BAD_REQUEST,
        "tip_above_fee_cap",
    );
    let mut long_input = transfer(Address::repeat_byte(1), 1).to_vec();
    long_input.resize(2_000, 0);
    let long = custom_tx(&a, chain_id(), 0, TxKind::Call(SYSTEM_CONTRACT), U256::ZERO, long_input.into());
    assert_rejected(&seq.submit(&long).await, StatusCode::BAD_REQUEST, "input_too_large");

    // Oversized body.
    let huge = format!(r#"{{"raw":"0x{}"}}"#, "00".repeat(200 * 1024));
    let resp = seq.post_raw_body("/v1/transactions", huge.clone()).await;
    assert_rejected(&resp, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    let resp = seq.post_raw_body("/", huge).await;
    assert_eq!(resp.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_rpc_error(&resp.1, -32600);

    // Nonce too low: include nonce 0, then send another transaction with nonce 0.
    let (status, body) = seq.submit(&valid).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    seq.wait_included(&body["hash"]).await;
    let again = a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(2), 2)).encoded();
    assert_rejected(&seq.submit(&again).await, StatusCode::BAD_REQUEST, "nonce_too_low");
    let resp = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&again)])).await;
    assert_rpc_error(&resp, -32000);
    assert_eq!(resp["error"]["data"], "nonce_too_low");

    // Unknown routes, methods and malformed lookups.
    assert_eq!(seq.get("/v1/nope").await.0, StatusCode::NOT_FOUND);
    assert_rejected(&seq.post_raw_body("/v1/pools", "{}").await, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(seq.get("/v1/transactions/0x1234").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(seq.get("/v1/accounts/0xnothex").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(seq.get(&format!("/v1/transactions/{}", B256::repeat_byte(3))).await.0, StatusCode::NOT_FOUND);
    assert_rpc_error(&seq.rpc("eth_mine", json!([])).await, -32601);
    assert_rpc_error(&seq.rpc("eth_getTransactionCount", json!(["0x12"])).await, -32602);
    seq.stop().await;
}

#[tokio::test]
async fn transactions_are_included_with_receipts_and_visible_everywhere() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let bob = Address::repeat_byte(0xb0);
    let (status, body) = seq.submit(&a.eip1559(chain_id(), 0, transfer(bob, 1_234_567)).encoded()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Resubmitting the same transaction is idempotent.
    let again = seq.submit(&a.eip1559(chain_id(), 0, transfer(bob, 1_234_567)).encoded()).await;
    assert!(again.0 == StatusCode::OK || again.1["error"]["code"] == "nonce_too_low", "{}", again.1);
    // A swap through JSON-RPC, legacy-signed, with a slippage limit that fails.
    let swap = L2System::swapCall {
        tokenIn: WETH,
        tokenOut: DAI,
        amountIn: U256::from(10u64.pow(18)),
        minAmountOut: U256::MAX,
    }
    .abi_encode();
    let resp = seq
        .rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(a.legacy(chain_id(), 1, swap.into()).encoded())]))
        .await;
    let swap_hash = resp["result"].clone();
    assert!(swap_hash.is_string(), "{resp}");

    let tx = seq.wait_included(&body["hash"]).await;
    assert_eq!(tx["receipt"]["status"], "success");
    assert_eq!(tx["from"], json!(a.address()));
    let swap_tx = seq.wait_included(&swap_hash).await;
    assert_eq!(swap_tx["receipt"]["status"], "revert");
    assert!(swap_tx["receipt"]["revertReason"].as_str().is_some_and(|r| r.contains("InsufficientOutput")), "{swap_tx}");

    // JSON-RPC views of the same facts.
    let receipt = seq.rpc("eth_getTransactionReceipt", json!([body["hash"]])).await["result"].clone();
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["from"], json!(a.address()).as_str().map(str::to_lowercase).map(Value::from).expect("s"));
    // The system contract's Transfer, and the token's ERC-20 Transfer appended after it.
    assert_eq!(receipt["logs"].as_array().map(Vec::len), Some(2));
    let failed = seq.rpc("eth_getTransactionReceipt", json!([swap_hash])).await["result"].clone();
    assert_eq!(failed["status"], "0x0");
    assert_eq!(seq.rpc("eth_getTransactionCount", json!([a.address(), "latest"])).await["result"], "0x2");
    let block = seq.rpc("eth_getBlockByNumber", json!([receipt["blockNumber"], true])).await["result"].clone();
    assert_eq!(block["hash"], receipt["blockHash"]);
    assert!(block["transactions"].as_array().is_some_and(|t| !t.is_empty()));
    let by_hash = seq.rpc("eth_getTransactionByHash", json!([body["hash"]])).await["result"].clone();
    assert_eq!(by_hash["nonce"], "0x0");

    // eth_call reads the new balance; a reverting call is error 3 with data.
    let call = L2System::balanceOfCall { token: USDC, owner: bob }.abi_encode();
    let out =
        seq.rpc("eth_call", json!([{ "to": SYSTEM_CONTRACT, "data": hex::encode_prefixed(&call) }, "latest"])).await;
    let value = U256::from_str_radix(out["result"].as_str().expect("hex").trim_start_matches("0x"), 16).expect("uint");
    assert_eq!(value, U256::from(1_234_567u64));
    let failing = L2System::transferCall { token: USDC, to: bob, amount: U256::MAX }.abi_encode();
    let est = seq
        .rpc("eth_estimateGas", json!([{ "from": bob, "to": SYSTEM_CONTRACT, "data": hex::encode_prefixed(&failing) }]))
        .await;
    assert_rpc_error(&est, 3);
    assert!(est["error"]["data"].as_str().is_some_and(|d| d.len() > 10));

    // REST views.
    let (_, account) = seq.get(&format!("/v1/accounts/{bob}")).await;
    assert_eq!(account["balances"][0]["symbol"], "USDC");
    let (_, pools) = seq.get("/v1/pools").await;
    assert_eq!(pools["pools"].as_array().map(Vec::len), Some(4));
    let (_, contracts) = seq.get("/v1/contracts").await;
    assert_eq!(contracts["contracts"][0]["address"], json!(SYSTEM_CONTRACT));
    assert!(contracts["contracts"][0]["abi"].as_array().is_some_and(|a| a.len() > 10));
    let (_, latest) = seq.get("/v1/blocks/latest").await;
    let (_, status) = seq.get("/v1/status").await;
    assert_eq!(status["head"]["number"], latest["number"]);
    assert_eq!(status["head"]["stateRoot"], latest["stateRoot"]);
    // No L1 here: the block is in no batch.
    assert_eq!((&latest["status"], &latest["batch"]), (&json!("included"), &Value::Null));
    assert_eq!(seq.get("/healthz").await.1["status"], "ok");

    // The lists: the newest blocks first, a page at most 100; no batch without an L1.
    let head = latest["number"].as_u64().expect("a number");
    let (_, blocks) = seq.get("/v1/blocks?limit=2").await;
    let numbers: Vec<u64> =
        blocks["blocks"].as_array().expect("blocks").iter().filter_map(|b| b["number"].as_u64()).collect();
    assert!(numbers.len() == 2 && numbers[0] >= head && numbers[1] + 1 == numbers[0], "{blocks}");
    let (_, page) = seq.get(&format!("/v1/blocks?limit=1000&last={head}")).await;
    assert_eq!(page["blocks"].as_array().map(Vec::len), Some((head + 1).min(100) as usize));
    assert_eq!(page["blocks"][0]["number"], json!(head));
    let with_tx = page["blocks"].as_array().expect("blocks").iter().find(|b| b["poolTxs"].as_u64() >= Some(1));
    assert!(with_tx.is_some_and(|b| b["txCount"].as_u64() >= b["poolTxs"].as_u64()), "the transfers' block: {page}");
    for bad in ["/v1/blocks?limit=many", "/v1/blocks?since=3", "/v1/batches?last=-1"] {
        let (status, body) = seq.get(bad).await;
        assert_eq!((status, &body["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_query")), "{bad}");
    }
    assert_eq!(seq.get("/v1/batches").await.1, json!({ "batches": [] }));
    let (status, body) = seq.get("/v1/batches/0").await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::NOT_FOUND, &json!("not_found")));
    seq.stop().await;
}

/// Ether is the chain's currency: `eth_getBalance` at the head and at an earlier block, a
/// plain send through `eth_sendRawTransaction`, `eth_estimateGas` of a send, and geth's
/// "insufficient funds" for one its sender cannot pay.
#[tokio::test]
async fn ether_is_the_balance_wallets_read_and_plain_sends_move_it() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let fresh = Address::repeat_byte(0xf5);
    let quantity =
        |v: &Value| U256::from_str_radix(v.as_str().expect("hex").trim_start_matches("0x"), 16).expect("uint");
    let genesis = rollup_types::genesis::DEVNET_ETHER_PER_ACCOUNT;
    assert_eq!(quantity(&seq.rpc("eth_getBalance", json!([a.address(), "latest"])).await["result"]), genesis);
    assert_eq!(quantity(&seq.rpc("eth_getBalance", json!([fresh, "pending"])).await["result"]), U256::ZERO);
    let one = U256::from(10u64).pow(U256::from(18u8));
    let send = json!([{ "from": a.address(), "to": fresh, "value": one }]);
    let gas = seq.rpc("eth_estimateGas", send.clone()).await;
    assert!(gas["result"].is_string(), "a send estimates: {gas}");
    let overdraft = json!([{ "from": fresh, "to": a.address(), "value": "0x1" }]);
    let refused = seq.rpc("eth_estimateGas", overdraft).await;
    assert_rpc_error(&refused, -32000);
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("insufficient funds for gas * price + value"), "{refused}");

    let raw = a.eip1559_ether(chain_id(), 0, fresh, one).encoded();
    let hash = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(raw)])).await["result"].clone();
    let tx = seq.wait_included(&hash).await;
    assert_eq!(tx["receipt"]["status"], "success", "{tx}");
    let block = tx["blockNumber"].as_u64().expect("block");
    let at = |n: u64| json!(format!("0x{n:x}"));
    assert_eq!(quantity(&seq.rpc("eth_getBalance", json!([fresh, "latest"])).await["result"]), one);
    assert_eq!(quantity(&seq.rpc("eth_getBalance", json!([fresh, at(block - 1)])).await["result"]), U256::ZERO);
    // The sender paid the value and its fee: 21,000 gas at the base fee (it tipped nothing).
    let receipt = seq.rpc("eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    assert_eq!(quantity(&receipt["gasUsed"]), U256::from(21_000u64), "{receipt}");
    let price = quantity(&receipt["effectiveGasPrice"]);
    assert_eq!(price, U256::from(rollup_types::fees::MIN_BASE_FEE), "{receipt}");
    let fee = U256::from(21_000u64) * price;
    assert_eq!(
        quantity(&seq.rpc("eth_getBalance", json!([a.address(), at(block)])).await["result"]),
        genesis - one - fee
    );
    let vault = |n: u64| json!([rollup_types::fees::FEE_VAULT, at(n)]);
    let collected = quantity(&seq.rpc("eth_getBalance", vault(block)).await["result"])
        - quantity(&seq.rpc("eth_getBalance", vault(block - 1)).await["result"]);
    assert_eq!(collected, fee, "the vault took the fee in the same block");
    let proof = seq.rpc("eth_getProof", json!([fresh, [], "latest"])).await["result"].clone();
    assert_eq!(quantity(&proof["balance"]), one);
    // The same balance through the token's ERC-20 face.
    let call = L2System::balanceOfCall { token: keys::ETHER, owner: fresh }.abi_encode();
    let out =
        seq.rpc("eth_call", json!([{ "to": SYSTEM_CONTRACT, "data": hex::encode_prefixed(&call) }, "latest"])).await;
    assert_eq!(quantity(&out["result"]), one);
    seq.stop().await;
}

/// Sizes a client chooses are bounded or answered plainly: block numbers past what a row can
/// hold (2^63 to 2^64 - 1) are unknown blocks, not a storage error (issue 19, item 4), and the
/// reward percentiles of `eth_feeHistory` are capped and checked (item 3: 100 percentiles of
/// 1024 blocks at most, instead of a 32 KB request answered with 40 MB).
#[tokio::test]
async fn hostile_sizes_are_refused_or_answered_plainly() {
    let seq = Seq::start(SequencerConfig::test()).await;
    for n in ["9223372036854775807", "9223372036854775808", "18446744073709551615"] {
        let (status, body) = seq.get(&format!("/v1/blocks/{n}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "block {n}: {body}");
    }
    for n in ["0x7fffffffffffffff", "0x8000000000000000", "0xffffffffffffffff"] {
        let out = seq.rpc("eth_getBlockByNumber", json!([n, false])).await;
        assert!(out["error"].is_null(), "block {n}: {out}");
        assert!(out["result"].is_null(), "block {n}: {out}");
    }

    let percentiles: Vec<f64> = (0..=100).map(f64::from).collect();
    let many = seq.rpc("eth_feeHistory", json!(["0x400", "latest", percentiles])).await;
    assert_rpc_error(&many, -32602);
    assert!(many["error"]["message"].as_str().is_some_and(|m| m.contains("at most 100")), "{many}");
    let ok = seq.rpc("eth_feeHistory", json!(["0x400", "latest", &percentiles[..100]])).await;
    // With rewards, the newest 64 blocks at most (each reads its transactions).
    let rewards = ok["result"]["reward"].as_array().expect("rewards");
    assert!(rewards.iter().all(|r| r.as_array().map(Vec::len) == Some(100)), "{ok}");
    assert_rpc_error(&seq.rpc("eth_feeHistory", json!(["0x1", "latest", [50.0, 10.0]])).await, -32602);
    assert_rpc_error(&seq.rpc("eth_feeHistory", json!(["0x1", "latest", [101.0]])).await, -32602);
    seq.stop().await;
}

#[tokio::test]
async fn a_restart_resumes_the_chain_and_the_mempool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = SequencerConfig::test();
    config.db_url = format!("sqlite://{}", dir.path().join("chain.sqlite").display());
    let a = alice();

    let seq = Seq::start(config.clone()).await;
    let (_, body) = seq.submit(&a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(5), 10)).encoded()).await;
    seq.wait_included(&body["hash"]).await;
    let (_, before) = seq.get("/v1/status").await;
    seq.stop().await;

    // A transaction acknowledged by a node that never seals a block (as if the process died
    // right after the acknowledgement) is pending on disk and survives into the next run.
    let node = rollup_sequencer::Node::open(config.clone(), StatusSources::default()).await.expect("reopens");
    assert_eq!(
        node.head().header.state_root,
        before["head"]["stateRoot"].as_str().expect("root").parse::<B256>().expect("b256")
    );
    let raw = a.eip1559(chain_id(), 1, transfer(Address::repeat_byte(5), 20)).encoded();
    let hash2 = node.submit_raw(raw.into()).await.expect("acknowledged");
    drop(node);
    let body2 = json!({ "hash": hash2 });

    let seq = Seq::start(config).await;
    let tx = seq.wait_included(&body2["hash"]).await;
    assert_eq!(tx["nonce"], 1);
    let (_, account) = seq.get(&format!("/v1/accounts/{}", Address::repeat_byte(5))).await;
    assert_eq!(account["balances"][0]["balance"], "30");
    seq.stop().await;
}

mod abuse;
mod fair;
mod follow;
mod ingest;
mod lending_props;
mod queue;
mod recent;
mod rpc;
mod state_at;
mod trace;

/// The money market's REST views (docs/api.md §1.6): the devnet's four markets with their
/// parameters, indices, totals and cash, and an account's supply and debt once it supplied
/// WETH and borrowed USDC that another account supplied.
#[tokio::test]
async fn the_markets_and_an_accounts_positions_are_served() {
    use rollup_types::bindings::L2Lending;
    let seq = Seq::start(SequencerConfig::test()).await;
    let (status, markets) = seq.get("/v1/markets").await;
    assert_eq!(status, StatusCode::OK, "{markets}");
    let list = markets["markets"].as_array().expect("markets");
    let symbols: Vec<&str> = list.iter().filter_map(|m| m["symbol"].as_str()).collect();
    assert_eq!(symbols, ["USDC", "WETH", "DAI", "WBTC"]);
    let weth = &list[1];
    assert_eq!(
        (&weth["asset"], &weth["collateralFactorBps"], &weth["liquidationThresholdBps"], &weth["liquidationBonusBps"]),
        (&json!(WETH), &json!(8_250), &json!(8_950), &json!(500))
    );
    assert_eq!((&weth["reserveFactorBps"], &weth["kinkBps"]), (&json!(1_000), &json!(8_000)));
    assert_eq!(weth["supplyIndex"], "1000000000000000000000000000", "a ray");
    assert_eq!((&weth["totalSupply"], &weth["totalDebt"], &weth["cash"]), (&json!("0"), &json!("0"), &json!("0")));

    let (lender, borrower) = (Signer::new(&DEV_ACCOUNTS[2].private_key).expect("key"), alice());
    let usdc = |n: u64| U256::from(n) * U256::from(1_000_000u64);
    let steps = [
        (&lender, 0, L2Lending::supplyCall { asset: USDC, amount: usdc(10_000) }.abi_encode()),
        (
            &borrower,
            0,
            L2Lending::supplyCall { asset: WETH, amount: U256::from(10u64).pow(U256::from(18u8)) }.abi_encode(),
        ),
        (&borrower, 1, L2Lending::borrowCall { asset: USDC, amount: usdc(100) }.abi_encode()),
    ];
    for (signer, nonce, input) in steps {
        let (status, body) = seq.submit(&signer.eip1559(chain_id(), nonce, input.into()).encoded()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let tx = seq.wait_included(&body["hash"]).await;
        assert_eq!(tx["receipt"]["status"], "success", "{tx}");
    }
    let (_, positions) = seq.get(&format!("/v1/accounts/{}/positions", borrower.address())).await;
    let positions = positions["positions"].as_array().expect("positions");
    assert_eq!(positions.len(), 2, "{positions:?}");
    assert_eq!((&positions[0]["symbol"], &positions[0]["supplied"]), (&json!("USDC"), &json!("0")));
    // With a few seconds' interest at most, rounded up.
    let amount = |v: &Value| v.as_str().and_then(|s| s.parse::<U256>().ok()).expect("a decimal amount");
    let owed = amount(&positions[0]["borrowed"]);
    assert!(owed >= usdc(100) && owed < usdc(100) + U256::from(100u8), "{owed}");
    assert_eq!((&positions[1]["symbol"], &positions[1]["supplied"]), (&json!("WETH"), &json!("1000000000000000000")));
    let (_, markets) = seq.get("/v1/markets").await;
    let usdc_market = &markets["markets"][0];
    let supplied = amount(&usdc_market["totalSupply"]);
    assert!(supplied >= usdc(10_000) - U256::from(1u8) && supplied < usdc(10_000) + U256::from(100u8), "{supplied}");
    assert_eq!(amount(&usdc_market["totalDebt"]), owed);
    assert_eq!(usdc_market["cash"], usdc(9_900).to_string());
    // The health the REST view computes is `accountHealth`'s, to the unit.
    let (_, body) = seq.get(&format!("/v1/accounts/{}/positions", borrower.address())).await;
    let call = L2Lending::accountHealthCall { user: borrower.address() }.abi_encode();
    let out = seq
        .rpc("eth_call", json!([{ "to": rollup_types::SYSTEM_CONTRACT, "data": alloy_primitives::hex::encode_prefixed(call) }, "latest"]))
        .await;
    let out: alloy_primitives::Bytes = serde_json::from_value(out["result"].clone()).expect("call output");
    let on_chain = L2Lending::accountHealthCall::abi_decode_returns(&out).expect("decode");
    let health = &body["health"];
    assert_eq!(amount(&health["collateral"]), on_chain.collateral, "{health}");
    assert_eq!(amount(&health["borrowable"]), on_chain.borrowable, "{health}");
    assert_eq!(amount(&health["debt"]), on_chain.debt, "{health}");
    assert_eq!(amount(&health["healthFactor"]), on_chain.healthFactor, "{health}");
    assert_eq!(health["liquidatable"], json!(false));
    // 1 WETH at 3,000 USDC, at WETH's 89.5 % threshold, over 100 USDC of debt.
    let factor = amount(&health["healthFactor"]);
    assert!(factor > U256::from(26u8) * U256::from(10u64).pow(U256::from(18u8)), "{health}");
    assert!(factor < U256::from(28u8) * U256::from(10u64).pow(U256::from(18u8)), "{health}");
    // The supplies' ERC-20 faces, as a wallet reads them: the WETH market's (market 1) shows
    // the borrower's supply, the USDC market's the lender's with its interest.
    use rollup_types::{bindings::L2SupplyToken, chain::supply_face};
    let face_call = |face: Address, data: Vec<u8>| {
        let seq = &seq;
        async move {
            let params = json!([{ "to": face, "data": alloy_primitives::hex::encode_prefixed(data) }, "latest"]);
            seq.rpc("eth_call", params).await
        }
    };
    let decode =
        |out: &Value| -> alloy_primitives::Bytes { serde_json::from_value(out["result"].clone()).expect("output") };
    let (weth_face, usdc_face) = (supply_face(1), supply_face(0));
    let out = face_call(weth_face, L2SupplyToken::balanceOfCall { owner: borrower.address() }.abi_encode()).await;
    let balance = L2SupplyToken::balanceOfCall::abi_decode_returns(&decode(&out)).expect("decode");
    assert_eq!(balance, U256::from(10u64).pow(U256::from(18u8)), "{out}");
    let out = face_call(usdc_face, L2SupplyToken::balanceOfCall { owner: lender.address() }.abi_encode()).await;
    let lent = L2SupplyToken::balanceOfCall::abi_decode_returns(&decode(&out)).expect("decode");
    assert!(lent >= usdc(10_000) - U256::from(1u8) && lent <= supplied, "{lent}");
    let out = face_call(usdc_face, L2SupplyToken::totalSupplyCall {}.abi_encode()).await;
    assert_eq!(L2SupplyToken::totalSupplyCall::abi_decode_returns(&decode(&out)).expect("decode"), supplied);
    let out = face_call(usdc_face, L2SupplyToken::symbolCall {}.abi_encode()).await;
    assert_eq!(L2SupplyToken::symbolCall::abi_decode_returns(&decode(&out)).expect("decode"), "sUSDC");
    let out = face_call(usdc_face, L2SupplyToken::decimalsCall {}.abi_encode()).await;
    assert_eq!(L2SupplyToken::decimalsCall::abi_decode_returns(&decode(&out)).expect("decode"), 6);
    let out = face_call(weth_face, L2SupplyToken::underlyingCall {}.abi_encode()).await;
    assert_eq!(L2SupplyToken::underlyingCall::abi_decode_returns(&decode(&out)).expect("decode"), WETH);
    let transfer = L2SupplyToken::transferCall { _0: lender.address(), _1: U256::from(1u8) }.abi_encode();
    let out = face_call(weth_face, transfer).await;
    let reverted = out["error"]["data"].as_str().expect("revert data");
    assert_eq!(
        reverted,
        alloy_primitives::hex::encode_prefixed(<L2SupplyToken::NotTransferable as alloy_sol_types::SolError>::SELECTOR),
        "{out}"
    );
    let code = seq.rpc("eth_getCode", json!([weth_face, "latest"])).await;
    assert_ne!(code["result"], "0x", "a wallet sees a contract");
    // Past the four markets, no face.
    let code = seq.rpc("eth_getCode", json!([supply_face(4), "latest"])).await;
    assert_eq!(code["result"], "0x");
    let (_, none) = seq.get(&format!("/v1/accounts/{}/positions", Address::repeat_byte(0x77))).await;
    assert_eq!(none["positions"], json!([]));
    assert_eq!(none["health"]["healthFactor"], Value::Null, "no debt");
    assert_eq!((&none["health"]["debt"], &none["health"]["liquidatable"]), (&json!("0"), &json!(false)));
    assert_rejected(&seq.get("/v1/accounts/0x12/positions").await, StatusCode::BAD_REQUEST, "invalid_address");
    seq.stop().await;
}
