//! The JSON-RPC that event readers, wallets and dapps rely on (issue 21): logs by range and
//! block hash with address and topic filters, their bounds, installed filters, block
//! receipts, `eth_sendRawTransactionSync`, errors in geth's wording, dropped transactions
//! named as such, and empty blocks on an idle chain.

use super::{Seq, alice, assert_rpc_error, chain_id, transfer};
use alloy_primitives::{Address, B256, U256, hex, keccak256};
use alloy_sol_types::SolCall;
use rollup_sequencer::SequencerConfig;
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::L2System,
    genesis::{DAI, DEV_ACCOUNTS, USDC, WETH},
    signer::Signer,
};
use serde_json::{Value, json};
use std::time::Duration;

fn topic(address: Address) -> String {
    format!("{}", B256::left_padding_from(address.as_slice()))
}

fn transfer_topic() -> String {
    format!("{}", keccak256("Transfer(address,address,address,uint256)"))
}

#[tokio::test]
async fn logs_are_indexed_filtered_and_consistent_with_receipts() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let b = Signer::new(&DEV_ACCOUNTS[2].private_key).expect("key");
    let (bob, carol) = (Address::repeat_byte(0xb0), Address::repeat_byte(0xc0));
    let mut hashes = Vec::new();
    for (signer, nonce, to) in [(&a, 0, bob), (&b, 0, carol), (&a, 1, carol)] {
        let raw = hex::encode_prefixed(signer.eip1559(chain_id(), nonce, transfer(to, 5)).encoded());
        hashes.push(seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone());
    }
    let mut last = Value::Null;
    for hash in &hashes {
        last = seq.wait_included(hash).await;
    }
    let head = last["blockNumber"].as_u64().expect("block");
    let last_receipt = seq.rpc("eth_getTransactionReceipt", json!([last["hash"]])).await["result"].clone();

    // Everything: each transfer is the system contract's Transfer and the token's ERC-20 one;
    // each block that took fees closes with the fee vault's credit, its two logs (fees.md §8).
    let all = seq.rpc("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "latest" }])).await;
    let (every, credits): (Vec<Value>, Vec<Value>) =
        all["result"].as_array().expect("logs").iter().cloned().partition(|l| hashes.contains(&l["transactionHash"]));
    assert_eq!(every.len(), 6, "{all}");
    let blocks: std::collections::BTreeSet<String> =
        every.iter().map(|l| l["blockNumber"].as_str().expect("number").to_owned()).collect();
    assert_eq!(credits.len(), 2 * blocks.len(), "{all}");
    for credit in credits.chunks(2) {
        assert_eq!(credit[0]["topics"][3], topic(rollup_types::fees::FEE_VAULT), "{all}");
        assert_eq!(credit[1]["topics"][2], topic(rollup_types::fees::FEE_VAULT), "{all}");
        let tx = seq.rpc("eth_getTransactionByHash", json!([credit[0]["transactionHash"]])).await["result"].clone();
        assert_eq!(tx["type"], "0x7e", "{tx}");
    }
    let erc20 = format!("{}", keccak256("Transfer(address,address,uint256)"));
    for pair in every.chunks(2) {
        assert_eq!(pair[1]["address"].as_str().map(str::to_lowercase), Some(format!("{USDC:?}")), "{all}");
        assert_eq!(pair[1]["topics"][0], erc20);
        assert_eq!(pair[1]["transactionHash"], pair[0]["transactionHash"]);
    }
    // The system contract's of USDC: three Transfer logs, in chain order, numbered as the
    // receipts number them.
    let usdc_transfers = json!([transfer_topic(), topic(USDC)]);
    let system = seq
        .rpc("eth_getLogs", json!([{ "fromBlock": "0x0", "address": SYSTEM_CONTRACT, "topics": usdc_transfers }]))
        .await;
    let logs = system["result"].as_array().expect("logs").clone();
    assert_eq!(logs.len(), 3, "{system}");
    for log in &logs {
        assert_eq!(log["address"], json!(SYSTEM_CONTRACT).as_str().map(str::to_lowercase).map(Value::from).expect("a"));
        assert_eq!(log["topics"][0], transfer_topic());
        let receipt = seq.rpc("eth_getTransactionReceipt", json!([log["transactionHash"]])).await["result"].clone();
        let same = receipt["logs"].as_array().expect("logs").iter().find(|l| l["logIndex"] == log["logIndex"]);
        assert_eq!(same, Some(log), "the receipt's log and the index's agree");
        let receipts = seq.rpc("eth_getBlockReceipts", json!([log["blockNumber"]])).await["result"].clone();
        let from_block =
            receipts.as_array().expect("receipts").iter().find(|r| r["transactionHash"] == log["transactionHash"]);
        assert_eq!(from_block, Some(&receipt), "eth_getBlockReceipts agrees with eth_getTransactionReceipt");
    }

    // By topic: transfers to carol (topic 3), and an OR set of senders at topic 2.
    let to_carol = json!([{ "fromBlock": "earliest", "topics": [transfer_topic(), null, null, topic(carol)] }]);
    assert_eq!(seq.rpc("eth_getLogs", to_carol).await["result"].as_array().map(Vec::len), Some(2));
    // Topic 2 is the sender in the system contract's Transfer and the recipient in the
    // token's: a's two system Transfers, and the ERC-20 Transfer to bob.
    let senders = json!([{ "fromBlock": "0x0", "topics": [null, null, [topic(a.address()), topic(bob)]] }]);
    assert_eq!(seq.rpc("eth_getLogs", senders).await["result"].as_array().map(Vec::len), Some(3));
    let other = json!([{ "fromBlock": "0x0", "address": [Address::repeat_byte(1)] }]);
    assert_eq!(seq.rpc("eth_getLogs", other).await["result"], json!([]));
    // By block hash: the logs of that block only.
    let by_hash = json!([{ "blockHash": last_receipt["blockHash"] }]);
    let in_block = seq.rpc("eth_getLogs", by_hash).await["result"].as_array().expect("logs").clone();
    assert!(!in_block.is_empty() && in_block.iter().all(|l| l["blockNumber"] == json!(format!("{head:#x}"))));

    // Bounds and bad ranges, with reasons.
    let wide = seq.rpc("eth_getLogs", json!([{ "fromBlock": "0x0", "toBlock": "0x2710" }])).await;
    assert_rpc_error(&wide, -32005);
    assert_eq!(wide["error"]["data"], "block_range_too_large");
    let backwards = seq.rpc("eth_getLogs", json!([{ "fromBlock": "0x5", "toBlock": "0x1" }])).await;
    assert_rpc_error(&backwards, -32602);
    let unknown = seq.rpc("eth_getLogs", json!([{ "blockHash": B256::repeat_byte(7) }])).await;
    assert_rpc_error(&unknown, -32000);
    let five_topics = seq.rpc("eth_getLogs", json!([{ "topics": [null, null, null, null, null] }])).await;
    assert_rpc_error(&five_topics, -32602);
    seq.stop().await;
}

#[tokio::test]
async fn more_results_than_the_bound_are_refused_with_a_range_that_fits() {
    let seq = Seq::start(SequencerConfig { max_logs: 2, ..SequencerConfig::test() }).await;
    let a = alice();
    let mut blocks = Vec::new();
    for nonce in 0..3 {
        let raw = hex::encode_prefixed(a.eip1559(chain_id(), nonce, transfer(Address::repeat_byte(0xb0), 1)).encoded());
        let hash = seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone();
        // One block each: the range that fits ends before the third.
        blocks.push(seq.wait_included(&hash).await["blockNumber"].as_u64().expect("block"));
    }
    // The system contract's logs of USDC: one per transfer (not the vault's credits).
    let usdc = json!([transfer_topic(), topic(USDC)]);
    let answer =
        seq.rpc("eth_getLogs", json!([{ "fromBlock": "0x0", "address": SYSTEM_CONTRACT, "topics": usdc }])).await;
    assert_rpc_error(&answer, -32005);
    assert_eq!(answer["error"]["data"], "too_many_results");
    let message = answer["error"]["message"].as_str().expect("message");
    let fits = format!("query returned more than 2 results. Try with this block range [0x0, {:#x}].", blocks[2] - 1);
    assert_eq!(message, fits);
    let range = json!([{
        "fromBlock": "0x0",
        "toBlock": format!("{:#x}", blocks[2] - 1),
        "address": SYSTEM_CONTRACT,
        "topics": usdc,
    }]);
    let first_two = seq.rpc("eth_getLogs", range).await;
    assert_eq!(first_two["result"].as_array().map(Vec::len), Some(2), "{first_two}");
    // A filter polled past the bound gets whole blocks, the rest at the next poll.
    let filter = seq
        .rpc("eth_newFilter", json!([{ "fromBlock": "0x0", "address": SYSTEM_CONTRACT, "topics": usdc }]))
        .await["result"]
        .clone();
    let first = seq.rpc("eth_getFilterChanges", json!([filter])).await["result"].clone();
    let second = seq.rpc("eth_getFilterChanges", json!([filter])).await["result"].clone();
    assert_eq!(first.as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(second.as_array().map(Vec::len), Some(1), "{second}");
    seq.stop().await;
}

#[tokio::test]
async fn filters_deliver_each_change_once_and_expire_on_request() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    // The system contract's Transfers of USDC (not the fee vault's credits of ether).
    let logs = seq.rpc("eth_newFilter", json!([{ "topics": [transfer_topic(), topic(USDC)] }])).await["result"].clone();
    let blocks = seq.rpc("eth_newBlockFilter", json!([])).await["result"].clone();
    let pending = seq.rpc("eth_newPendingTransactionFilter", json!([])).await["result"].clone();
    assert!(logs.is_string() && blocks.is_string() && pending.is_string());
    let raw = hex::encode_prefixed(a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(0xb0), 9)).encoded());
    let hash = seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone();
    assert_eq!(seq.rpc("eth_getFilterChanges", json!([pending])).await["result"], json!([hash]));
    assert_eq!(seq.rpc("eth_getFilterChanges", json!([pending])).await["result"], json!([]));
    seq.wait_included(&hash).await;
    let tx = seq.rpc("eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    let changes = seq.rpc("eth_getFilterChanges", json!([logs])).await["result"].clone();
    assert_eq!(changes.as_array().map(Vec::len), Some(1), "{changes}");
    assert_eq!(changes[0]["transactionHash"], hash);
    assert_eq!(seq.rpc("eth_getFilterChanges", json!([logs])).await["result"], json!([]));
    assert_eq!(seq.rpc("eth_getFilterLogs", json!([logs])).await["result"].as_array().map(Vec::len), Some(1));
    let new_blocks = seq.rpc("eth_getFilterChanges", json!([blocks])).await["result"].clone();
    assert!(new_blocks.as_array().is_some_and(|b| b.contains(&tx["blockHash"])), "{new_blocks} {tx}");
    assert_eq!(seq.rpc("eth_uninstallFilter", json!([logs])).await["result"], true);
    assert_eq!(seq.rpc("eth_uninstallFilter", json!([logs])).await["result"], false);
    let gone = seq.rpc("eth_getFilterChanges", json!([logs])).await;
    assert_rpc_error(&gone, -32000);
    assert_eq!(gone["error"]["message"], "filter not found");
    seq.stop().await;
}

#[tokio::test]
async fn send_sync_returns_the_receipt_and_errors_speak_as_geth_does() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let raw = hex::encode_prefixed(a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(0xb0), 1)).encoded());
    let receipt = seq.rpc("eth_sendRawTransactionSync", json!([raw, 5_000])).await;
    assert_eq!(receipt["result"]["status"], "0x1", "{receipt}");
    // The system contract's Transfer and the token's.
    assert_eq!(receipt["result"]["logs"].as_array().map(Vec::len), Some(2));
    // A timeout past the maximum is clamped (EIP-7966: the node's own bound), not refused.
    let next = hex::encode_prefixed(a.eip1559(chain_id(), 1, transfer(Address::repeat_byte(0xb0), 1)).encoded());
    let clamped = seq.rpc("eth_sendRawTransactionSync", json!([next, 60_000])).await;
    assert_eq!(clamped["result"]["status"], "0x1", "{clamped}");
    // Behind a nonce gap: error 5 at once, with the hash; the transaction stays held.
    let gapped = hex::encode_prefixed(a.eip1559(chain_id(), 9, transfer(Address::repeat_byte(0xb0), 1)).encoded());
    let held = seq.rpc("eth_sendRawTransactionSync", json!([gapped, 20_000])).await;
    assert_rpc_error(&held, 5);
    assert!(held["error"]["message"].as_str().is_some_and(|m| m.contains("nonce gap")), "{held}");
    assert!(held["error"]["data"].as_str().is_some_and(|h| h.len() == 66), "{held}");
    // Already used: geth's wording, which ethers and viem match on.
    let again = seq.rpc("eth_sendRawTransaction", json!([raw])).await;
    assert!(again["error"]["message"].as_str().is_some_and(|m| m.starts_with("nonce too low")), "{again}");
    let unknown = seq.rpc("eth_fooBar", json!([])).await;
    assert_rpc_error(&unknown, -32601);
    assert_eq!(unknown["error"]["message"], "the method eth_fooBar does not exist/is not available");
    // A pending transaction replaced: looking the old one up names what happened.
    let first = a.eip1559(chain_id(), 5, transfer(Address::repeat_byte(0xb0), 1)).encoded();
    let old = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(&first)])).await["result"].clone();
    let under = seq
        .rpc(
            "eth_sendRawTransaction",
            json!([hex::encode_prefixed(a.eip1559(chain_id(), 5, transfer(Address::repeat_byte(0xb1), 1)).encoded())]),
        )
        .await;
    assert!(
        under["error"]["message"].as_str().is_some_and(|m| m.starts_with("replacement transaction underpriced")),
        "{under}"
    );
    // A revert reads as the ABI-decoded custom error.
    let swap =
        L2System::swapCall { tokenIn: WETH, tokenOut: DAI, amountIn: U256::from(1000u64), minAmountOut: U256::MAX }
            .abi_encode();
    let call = seq
        .rpc("eth_call", json!([{ "from": a.address(), "to": SYSTEM_CONTRACT, "data": hex::encode_prefixed(&swap) }]))
        .await;
    assert_rpc_error(&call, 3);
    let message = call["error"]["message"].as_str().expect("message");
    assert!(message.starts_with("execution reverted: InsufficientOutput("), "{message}");
    assert!(message.ends_with(&format!(", {})", U256::MAX)), "{message}");
    assert!(old.is_string());
    seq.stop().await;
}

/// A transaction replaced by a faster one is `null` by hash in JSON-RPC, as geth answers, so
/// that viem's `waitForTransactionReceipt` and ethers' `wait()` look for the replacement
/// instead of failing; REST still says what happened to it.
#[tokio::test]
async fn a_replaced_transaction_is_null_by_hash_as_geth_answers() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let signer = Signer::new(&DEV_ACCOUNTS[7].private_key).expect("key");
    // Behind a nonce gap, so that it stays pending until replaced.
    let signed = |fee: u128, to: u8| {
        let mut tx = match signer.eip1559(chain_id(), 3, transfer(Address::repeat_byte(to), 1)) {
            rollup_types::SignedTx::Eip1559(signed) => signed.strip_signature(),
            other => panic!("{other:?}"),
        };
        (tx.max_fee_per_gas, tx.max_priority_fee_per_gas) = (fee, fee);
        hex::encode_prefixed(signer.sign_eip1559(tx).encoded())
    };
    let old = seq.rpc("eth_sendRawTransaction", json!([signed(1_000_000_000, 0xc0)])).await["result"].clone();
    assert!(old.is_string(), "{old}");
    let new = seq.rpc("eth_sendRawTransaction", json!([signed(2_000_000_000, 0xc1)])).await["result"].clone();
    assert!(new.is_string() && new != old, "{new}");
    for method in ["eth_getTransactionByHash", "eth_getTransactionReceipt"] {
        // A result of `null`, not an error.
        let reply = seq.rpc(method, json!([old])).await;
        assert_eq!(reply.get("result"), Some(&Value::Null), "{method}: {reply}");
        assert!(reply.get("error").is_none(), "{method}: {reply}");
    }
    assert_eq!(seq.rpc("eth_getTransactionByHash", json!([new])).await["result"]["nonce"], "0x3");
    let (_, rest) = seq.get(&format!("/v1/transactions/{}", old.as_str().expect("hash"))).await;
    assert_eq!(rest["status"], "replaced", "{rest}");
    seq.stop().await;
}

#[tokio::test]
async fn an_idle_chain_seals_empty_blocks_at_its_cadence() {
    let config = SequencerConfig { empty_block_interval: Duration::from_millis(200), ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let start = seq.rpc("eth_blockNumber", json!([])).await["result"].clone();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let later = seq.rpc("eth_blockNumber", json!([])).await["result"].clone();
    let n = |v: &Value| u64::from_str_radix(v.as_str().expect("hex").trim_start_matches("0x"), 16).expect("n");
    assert!(n(&later) >= n(&start) + 2, "{start} -> {later}");
    let block = seq.rpc("eth_getBlockByNumber", json!(["latest", false])).await["result"].clone();
    assert_eq!(block["transactions"], json!([]));
    seq.stop().await;
}

#[tokio::test]
async fn tokens_answer_as_erc20_contracts_and_token_calls_are_admitted() {
    use rollup_types::{TokenCall, bindings::L2Token, chain::MULTICALL3};
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let bob = Address::repeat_byte(0xb0);
    // Code at the token's address and at Multicall3's, none elsewhere.
    let code = |address: Address| {
        let seq = &seq;
        async move { seq.rpc("eth_getCode", json!([address, "latest"])).await["result"].as_str().map(str::to_owned) }
    };
    assert!(code(USDC).await.is_some_and(|c| c.len() > 100));
    assert!(code(MULTICALL3).await.is_some_and(|c| c.len() > 100));
    assert_eq!(code(bob).await.as_deref(), Some("0x"));

    // A token transfer, sent as any wallet sends one.
    let call = TokenCall::Transfer { to: bob, amount: U256::from(1_234u64) };
    let raw = hex::encode_prefixed(a.eip1559_to(chain_id(), 0, USDC, call.encode().into()).encoded());
    let hash = seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone();
    seq.wait_included(&hash).await;
    let receipt = seq.rpc("eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let erc20 = format!("{}", keccak256("Transfer(address,address,uint256)"));
    let at_token = receipt["logs"].as_array().expect("logs").iter().find(|l| l["topics"][0] == erc20).cloned();
    let at_token = at_token.expect("an ERC-20 Transfer log");
    assert_eq!(at_token["address"].as_str().map(str::to_lowercase), Some(format!("{USDC:?}")));

    // balanceOf through the token.
    let input = hex::encode_prefixed(L2Token::balanceOfCall { owner: bob }.abi_encode());
    let out = seq.rpc("eth_call", json!([{ "to": USDC, "data": input }, "latest"])).await;
    let got = U256::from_str_radix(out["result"].as_str().expect("result").trim_start_matches("0x"), 16);
    assert_eq!(got.expect("hex"), U256::from(1_234u64), "{out}");

    // A token call of an address that holds no token is refused at the door.
    let raw = hex::encode_prefixed(a.eip1559_to(chain_id(), 1, bob, call.encode().into()).encoded());
    let resp = seq.rpc("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(resp["error"]["data"], "not_a_token", "{resp}");
    // And a call of another address that is not a token call at all.
    let raw = hex::encode_prefixed(a.eip1559_to(chain_id(), 1, USDC, vec![1, 2, 3, 4].into()).encoded());
    let resp = seq.rpc("eth_sendRawTransaction", json!([raw])).await;
    assert_eq!(resp["error"]["data"], "not_system_contract", "{resp}");
}

/// A JSON-RPC WebSocket client of the test's own: requests by id, notifications by
/// subscription.
struct Ws {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
    /// Messages read while waiting for something else.
    read: Vec<Value>,
}

impl Ws {
    async fn connect(seq: &Seq) -> Self {
        let url = seq.url("/").replacen("http://", "ws://", 1);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket upgrade");
        Self { socket, next_id: 1, read: Vec::new() }
    }

    async fn next(&mut self) -> Value {
        use futures::StreamExt;
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a message within 10 s")
                .expect("open")
                .expect("read");
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).expect("json");
            }
        }
    }

    async fn send_text(&mut self, text: String) {
        use futures::SinkExt;
        self.socket.send(tokio_tungstenite::tungstenite::Message::Text(text.into())).await.expect("sent");
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_text(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()).await;
        loop {
            let message = self.next().await;
            if message["id"] == json!(id) {
                return message;
            }
            self.read.push(message);
        }
    }

    /// The next notification of subscription `id`.
    async fn notification(&mut self, id: &Value) -> Value {
        if let Some(i) = self.read.iter().position(|m| &m["params"]["subscription"] == id) {
            return self.read.remove(i)["params"]["result"].clone();
        }
        loop {
            let message = self.next().await;
            assert_eq!(message["method"], "eth_subscription", "{message}");
            if &message["params"]["subscription"] == id {
                return message["params"]["result"].clone();
            }
            self.read.push(message);
        }
    }
}

#[tokio::test]
async fn websocket_subscriptions_deliver_heads_logs_and_pending_transactions() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let mut ws = Ws::connect(&seq).await;
    // Every method of POST / is answered over the socket too.
    assert_eq!(ws.call("eth_chainId", json!([])).await["result"], json!(format!("{:#x}", chain_id())));
    let batch = json!([{ "jsonrpc": "2.0", "id": "a", "method": "eth_blockNumber" }]).to_string();
    ws.send_text(batch).await;
    let answer = ws.next().await;
    assert_eq!(answer[0]["id"], "a", "{answer}");

    let heads = ws.call("eth_subscribe", json!(["newHeads"])).await["result"].clone();
    let carol = Address::repeat_byte(0xc0);
    let logs_filter = json!({ "address": SYSTEM_CONTRACT, "topics": [transfer_topic(), null, null, topic(carol)] });
    let logs = ws.call("eth_subscribe", json!(["logs", logs_filter])).await["result"].clone();
    let pending = ws.call("eth_subscribe", json!(["newPendingTransactions"])).await["result"].clone();
    assert!(heads.is_string() && logs.is_string() && pending.is_string() && heads != logs);

    let a = alice();
    let to_bob = hex::encode_prefixed(a.eip1559(chain_id(), 0, transfer(Address::repeat_byte(0xb0), 5)).encoded());
    let to_carol = hex::encode_prefixed(a.eip1559(chain_id(), 1, transfer(carol, 7)).encoded());
    let h0 = seq.rpc("eth_sendRawTransaction", json!([to_bob])).await["result"].clone();
    let h1 = seq.rpc("eth_sendRawTransaction", json!([to_carol])).await["result"].clone();
    assert_eq!(ws.notification(&pending).await, h0);
    assert_eq!(ws.notification(&pending).await, h1);
    let included = seq.wait_included(&h1).await["blockNumber"].as_u64().expect("block");

    // Heads arrive in order, each as eth_getBlockByNumber gives its header.
    let mut head = ws.notification(&heads).await;
    while head["number"] != json!(format!("{included:#x}")) {
        head = ws.notification(&heads).await;
    }
    let block = seq.rpc("eth_getBlockByNumber", json!([format!("{included:#x}"), false])).await["result"].clone();
    assert_eq!(head["hash"], block["hash"]);
    assert_eq!(head["stateRoot"], block["stateRoot"]);
    // Only the transfer to carol matches the logs subscription: as eth_getLogs gives it.
    let log = ws.notification(&logs).await;
    assert_eq!(log["transactionHash"], h1);
    let by_range = json!([{ "fromBlock": "0x0", "topics": [transfer_topic(), null, null, topic(carol)] }]);
    assert_eq!(seq.rpc("eth_getLogs", by_range).await["result"], json!([log]));

    // Unsubscribing stops the deliveries; an unknown id says false.
    assert_eq!(ws.call("eth_unsubscribe", json!([pending])).await["result"], json!(true));
    assert_eq!(ws.call("eth_unsubscribe", json!([pending])).await["result"], json!(false));
    let again = hex::encode_prefixed(a.eip1559(chain_id(), 2, transfer(carol, 1)).encoded());
    let h2 = seq.rpc("eth_sendRawTransaction", json!([again])).await["result"].clone();
    assert_eq!(ws.notification(&logs).await["transactionHash"], h2);
    assert!(ws.read.iter().all(|m| m["params"]["subscription"] != pending), "no delivery after unsubscribing");

    // Bad subscriptions are refused with a reason; a connection's subscriptions are bounded.
    assert_rpc_error(&ws.call("eth_subscribe", json!(["syncing"])).await, -32602);
    assert_rpc_error(&ws.call("eth_subscribe", json!(["newPendingTransactions", true])).await, -32602);
    let mut bound = None;
    for _ in 0..=rollup_sequencer::MAX_SUBSCRIPTIONS_PER_CONNECTION {
        let answer = ws.call("eth_subscribe", json!(["newHeads"])).await;
        if answer.get("error").is_some() {
            bound = Some(answer);
            break;
        }
    }
    let bound = bound.expect("refused past the bound");
    assert_rpc_error(&bound, -32005);
    assert_eq!(bound["error"]["data"], "too_many_subscriptions");

    // Over HTTP, subscriptions are refused with where to ask; a plain GET / is the explorer
    // page, and an upgrade that is not a WebSocket's says what GET / is.
    assert_rpc_error(&seq.rpc("eth_subscribe", json!(["newHeads"])).await, -32601);
    let page = seq.http.get(seq.url("/")).send().await.expect("GET /");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    assert!(page.text().await.expect("a page").contains("Rollup explorer"));
    let upgrade = seq
        .http
        .get(seq.url("/"))
        .header("upgrade", "h2c")
        .header("connection", "upgrade")
        .send()
        .await
        .expect("GET /");
    assert_eq!(upgrade.status(), reqwest::StatusCode::BAD_REQUEST);
    let body: serde_json::Value = upgrade.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_a_websocket");
    drop(ws);
    seq.stop().await;
}

#[tokio::test]
async fn a_websocket_keeps_its_connection_slot_until_it_closes() {
    let mut config = SequencerConfig::test();
    config.http.max_connections = 2;
    let seq = Seq::start(config).await;
    let mut first = Ws::connect(&seq).await;
    let mut second = Ws::connect(&seq).await;
    // Both sockets outlive their upgrade requests, and both still count.
    assert!(first.call("eth_blockNumber", json!([])).await["result"].is_string());
    assert!(second.call("eth_blockNumber", json!([])).await["result"].is_string());
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let refused = client.get(seq.url("/healthz")).send().await.expect("answered");
    assert_eq!(refused.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    drop(second);
    let mut served = false;
    for _ in 0..50 {
        if client.get(seq.url("/healthz")).send().await.expect("answered").status().is_success() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "a closed socket gives its slot back");
    drop(first);
    seq.stop().await;
}

/// The execution-apis methods of blocks by index, uncles, `eth_coinbase`,
/// `eth_createAccessList` and the `debug_getRaw*` family (issue 55): each answers as geth
/// does, and the raw bytes are the block's, header's, transaction's and receipts' own (the
/// header's bytes hash to the block hash, the block's length is its `size`).
#[tokio::test]
async fn blocks_by_index_uncles_access_lists_and_raw_bytes_answer_as_geth() {
    use alloy_rlp::Decodable;
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let mut raws = Vec::new();
    for nonce in 0..2 {
        raws.push(a.eip1559(chain_id(), nonce, transfer(Address::repeat_byte(0xb2), 3)).encoded());
    }
    let mut hashes = Vec::new();
    for raw in &raws {
        hashes.push(seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(raw)])).await["result"].clone());
    }
    let last = seq.wait_included(&hashes[1]).await;
    let number = last["blockNumber"].as_u64().expect("a block");
    let tag = format!("{number:#x}");
    let block = seq.rpc("eth_getBlockByNumber", json!([tag, false])).await["result"].clone();
    let (hash, txs) = (block["hash"].clone(), block["transactions"].as_array().expect("hashes").clone());
    let count = format!("{:#x}", txs.len());
    assert_eq!(seq.rpc("eth_getBlockTransactionCountByNumber", json!([tag])).await["result"], json!(count));
    assert_eq!(seq.rpc("eth_getBlockTransactionCountByHash", json!([hash])).await["result"], json!(count));
    assert_eq!(seq.rpc("eth_getUncleCountByBlockNumber", json!([tag])).await["result"], json!("0x0"));
    assert_eq!(seq.rpc("eth_getUncleCountByBlockHash", json!([hash])).await["result"], json!("0x0"));
    assert_eq!(seq.rpc("eth_getUncleCountByBlockNumber", json!(["0xffffff"])).await["result"], Value::Null);
    for (i, tx) in txs.iter().enumerate() {
        let index = format!("{i:#x}");
        let by_number = seq.rpc("eth_getTransactionByBlockNumberAndIndex", json!([tag, index])).await;
        assert_eq!(by_number["result"]["hash"], *tx, "{by_number}");
        assert_eq!(by_number["result"]["transactionIndex"], json!(index));
        let by_hash = seq.rpc("eth_getTransactionByBlockHashAndIndex", json!([hash, index])).await;
        assert_eq!(by_hash["result"], by_number["result"]);
    }
    let past = seq.rpc("eth_getTransactionByBlockNumberAndIndex", json!([tag, format!("{:#x}", txs.len())])).await;
    assert_eq!(past["result"], Value::Null);
    assert_eq!(seq.rpc("eth_coinbase", json!([])).await["result"], json!(Address::ZERO));

    // An access list changes nothing here: empty, and the estimate's gas.
    let call = json!({ "from": a.address(), "to": SYSTEM_CONTRACT, "data": hex::encode_prefixed(transfer(Address::repeat_byte(0xb3), 1)) });
    let list = seq.rpc("eth_createAccessList", json!([call])).await;
    assert_eq!(list["result"]["accessList"], json!([]), "{list}");
    assert_eq!(list["result"]["gasUsed"], seq.rpc("eth_estimateGas", json!([call])).await["result"]);

    // The raw bytes.
    let header = seq.rpc("debug_getRawHeader", json!([tag])).await["result"].clone();
    let header = hex::decode(header.as_str().expect("hex")).expect("hex");
    assert_eq!(json!(keccak256(&header)), hash, "the header's bytes hash to the block's hash");
    let raw_block = seq.rpc("debug_getRawBlock", json!([tag])).await["result"].clone();
    let raw_block = hex::decode(raw_block.as_str().expect("hex")).expect("hex");
    assert_eq!(block["size"], json!(format!("{:#x}", raw_block.len())), "size is the raw block's length");
    let mut buf = &raw_block[..];
    assert!(alloy_rlp::Header::decode(&mut buf).expect("a list").list);
    let decoded = alloy_consensus::Header::decode(&mut buf).expect("its header");
    assert_eq!(alloy_rlp::encode(&decoded), header);
    let body = alloy_rlp::Header::decode(&mut buf).expect("its transactions");
    let mut txs_buf = &buf[..body.payload_length];
    let mut found = Vec::new();
    while !txs_buf.is_empty() {
        // Typed transactions as RLP strings of their EIP-2718 bytes.
        found.push(alloy_primitives::Bytes::decode(&mut txs_buf).expect("a typed transaction").to_vec());
    }
    for raw in &raws {
        assert!(found.contains(raw), "the block's bytes hold each of its transactions");
    }
    for (hash, raw) in hashes.iter().zip(&raws) {
        let got = seq.rpc("debug_getRawTransaction", json!([hash])).await["result"].clone();
        assert_eq!(got, json!(hex::encode_prefixed(raw)));
    }
    let receipts = seq.rpc("debug_getRawReceipts", json!([tag])).await["result"].clone();
    let receipts = receipts.as_array().expect("a list");
    assert_eq!(receipts.len(), txs.len());
    // EIP-1559 receipts (0x02), and a fee-vault credit's (0x7e) when the block holds one.
    assert!(
        receipts.iter().all(|r| r.as_str().is_some_and(|r| r.starts_with("0x02f") || r.starts_with("0x7ef"))),
        "{receipts:?}"
    );
    assert_eq!(seq.rpc("debug_getBadBlocks", json!([])).await["result"], json!([]));
    assert_eq!(seq.rpc("debug_getRawHeader", json!(["0xffffff"])).await["result"], Value::Null);
    seq.stop().await;
}

/// `eth_baseFee`, `eth_getStorageValues` and `eth_capabilities` (issue 55, the execution-apis
/// methods added for indexers and routers).
#[tokio::test]
async fn storage_values_capabilities_and_the_base_fee_answer_as_the_spec_says() {
    let config = SequencerConfig { state_history: 3, ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let a = alice();
    let bob = Address::repeat_byte(0xb5);
    for nonce in 0..5 {
        let raw = hex::encode_prefixed(a.eip1559(chain_id(), nonce, transfer(bob, 2)).encoded());
        let hash = seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone();
        seq.wait_included(&hash).await;
    }
    let base_fee = seq.rpc("eth_baseFee", json!([])).await;
    assert_eq!(base_fee["result"], seq.rpc("eth_gasPrice", json!([])).await["result"], "{base_fee}");

    // The slots of the system contract as eth_getStorageAt reads them; any other address's
    // slots are zero; a block earlier than the kept ones is refused as for eth_getStorageAt.
    let slot = rollup_types::keys::balance(&USDC, &bob);
    let values = seq
        .rpc(
            "eth_getStorageValues",
            json!([{ SYSTEM_CONTRACT.to_string(): [slot, "0x0"], DAI.to_string(): ["0x1"] }, "latest"]),
        )
        .await;
    let one = seq.rpc("eth_getStorageAt", json!([SYSTEM_CONTRACT, slot, "latest"])).await["result"].clone();
    assert_eq!(values["result"][SYSTEM_CONTRACT.to_string()][0], one, "{values}");
    assert_eq!(
        U256::from_str_radix(one.as_str().expect("hex").trim_start_matches("0x"), 16).expect("hex"),
        U256::from(10u64)
    );
    assert_eq!(values["result"][DAI.to_string()], json!([B256::ZERO]), "{values}");
    let too_many: Vec<String> = (0..1001).map(|i| format!("{i:#x}")).collect();
    assert_rpc_error(
        &seq.rpc("eth_getStorageValues", json!([{ SYSTEM_CONTRACT.to_string(): too_many }])).await,
        -32602,
    );
    let old = seq.rpc("eth_getStorageValues", json!([{ SYSTEM_CONTRACT.to_string(): [slot] }, "0x1"])).await;
    assert_eq!(old["error"]["data"], "state_not_kept", "{old}");

    // What a router reads: the head, everything but state and proofs from genesis, those in a
    // window of the kept blocks.
    let caps = seq.rpc("eth_capabilities", json!([])).await["result"].clone();
    let head = seq.rpc("eth_blockNumber", json!([])).await["result"].clone();
    assert_eq!(caps["head"]["number"], head, "{caps}");
    for kind in ["tx", "logs", "receipts", "blocks"] {
        assert_eq!(caps[kind], json!({ "disabled": false, "oldestBlock": "0x0" }), "{kind}: {caps}");
    }
    let oldest = u64::from_str_radix(caps["state"]["oldestBlock"].as_str().expect("hex").trim_start_matches("0x"), 16)
        .expect("hex");
    let head = u64::from_str_radix(head.as_str().expect("hex").trim_start_matches("0x"), 16).expect("hex");
    assert_eq!(oldest, head - 3, "{caps}");
    assert_eq!(caps["state"]["deleteStrategy"], json!({ "type": "window", "retentionBlocks": "0x3" }));
    assert_eq!(caps["stateproofs"], caps["state"]);

    // eth_fillTransaction: the next nonce, the estimate, the chain id and fees; a wallet that
    // signs what it gets is admitted.
    let call = json!({ "from": a.address(), "to": USDC, "data": hex::encode_prefixed(rollup_types::TokenCall::Transfer { to: bob, amount: U256::from(1u64) }.encode()) });
    let filled = seq.rpc("eth_fillTransaction", json!([call])).await["result"]["tx"].clone();
    let estimate = seq.rpc("eth_estimateGas", json!([call])).await["result"].clone();
    let q = |v: &Value| u128::from_str_radix(v.as_str().expect("hex").trim_start_matches("0x"), 16).expect("hex");
    assert_eq!(
        (filled["nonce"].clone(), filled["gas"].clone(), filled["type"].clone()),
        (json!("0x5"), estimate, json!("0x2")),
        "{filled}"
    );
    assert_eq!(q(&filled["chainId"]), u128::from(chain_id()));
    assert_eq!(q(&filled["maxFeePerGas"]), 2 * q(&base_fee["result"]));
    assert_eq!((q(&filled["maxPriorityFeePerGas"]), q(&filled["gasPrice"])), (0, q(&base_fee["result"])));
    let tx = alloy_consensus::TxEip1559 {
        chain_id: chain_id(),
        nonce: 5,
        gas_limit: q(&filled["gas"]) as u64,
        max_fee_per_gas: q(&filled["maxFeePerGas"]),
        max_priority_fee_per_gas: 0,
        to: alloy_primitives::TxKind::Call(USDC),
        value: U256::ZERO,
        access_list: Default::default(),
        input: hex::decode(filled["input"].as_str().expect("hex")).expect("hex").into(),
    };
    let sent = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(a.sign_eip1559(tx).encoded())])).await;
    assert!(sent["result"].is_string(), "the filled transaction is admitted: {sent}");
    let no_sender = seq.rpc("eth_fillTransaction", json!([{ "to": USDC }])).await;
    assert_rpc_error(&no_sender, -32602);
    seq.stop().await;
}
