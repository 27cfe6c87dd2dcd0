//! One hostile client must not take the node down (issue 19): bounded work per request,
//! connection hygiene, a fair mempool. Each test replays an attack and checks that the node
//! refuses it plainly while an honest client is still answered.

use super::{Seq, alice, custom_tx};
use alloy_primitives::{B256, Bytes, TxKind, U256, hex};
use rollup_sequencer::SequencerConfig;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Init code that calls the ecrecover precompile on a valid signature until its gas runs out:
/// the most CPU per unit of gas an `eth_call` can buy (0.45 s for 5,000,000 gas measured).
pub(super) fn ecrecover_loop() -> Bytes {
    let hash = B256::repeat_byte(7);
    let signature = alice().sign_hash(hash);
    let words =
        [hash, B256::from(U256::from(27 + u8::from(signature.v()))), signature.r().into(), signature.s().into()];
    let mut code = Vec::new();
    for (i, word) in words.iter().enumerate() {
        code.push(0x7f); // PUSH32 word
        code.extend_from_slice(word.as_slice());
        code.extend_from_slice(&[0x60, (i * 32) as u8, 0x52]); // PUSH1 offset, MSTORE
    }
    let start = code.len() as u8;
    // JUMPDEST; STATICCALL(GAS, 1, 0, 128, 128, 32); POP; JUMP start
    code.extend_from_slice(&[0x5b, 0x60, 0x20, 0x60, 0x80, 0x60, 0x80, 0x60, 0x00, 0x60, 0x01, 0x5a, 0xfa, 0x50]);
    code.extend_from_slice(&[0x60, start, 0x56]);
    code.into()
}

/// A JSON-RPC batch of `n` heavy `eth_call`s.
fn heavy_batch(n: usize) -> String {
    let data = hex::encode_prefixed(ecrecover_loop());
    let calls: Vec<Value> = (0..n)
        .map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_call", "params": [{ "data": data }, "latest"] }))
        .collect();
    Value::Array(calls).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_calls_are_bounded_per_request_and_never_stall_the_node() {
    // Before: a batch of 326 such calls (here 250, longer init code) (within the 128 KiB body limit) ran 269 s on the
    // async runtime, and two at once stopped the node answering anyone for 277 s.
    let seq = std::sync::Arc::new(Seq::start(SequencerConfig::test()).await);
    let body = heavy_batch(250);
    assert!(body.len() < 128 * 1024, "the attack fits the body limit");
    let attacks: Vec<_> = (0..2)
        .map(|_| {
            let (seq, body) = (seq.clone(), body.clone());
            tokio::spawn(async move { seq.post_raw_body("/", body).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile an honest client is answered at once (the bound is loose: the machine is busy).
    for _ in 0..3 {
        let started = Instant::now();
        let (status, _) = tokio::time::timeout(Duration::from_secs(10), seq.get("/healthz")).await.expect("answered");
        assert!(status.is_success());
        let head = tokio::time::timeout(Duration::from_secs(10), seq.rpc("eth_blockNumber", json!([])))
            .await
            .expect("answered");
        assert!(head["result"].is_string(), "{head}");
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for attack in attacks {
        let (status, replies) = attack.await.expect("joined");
        assert!(status.is_success());
        let replies = replies.as_array().expect("a batch answer");
        assert_eq!(replies.len(), 250, "every request is answered");
        let spent: Vec<&Value> = replies.iter().filter(|r| r["error"]["data"] == "call_budget").collect();
        // 50,000,000 gas per request buys ten calls of 5,000,000; the rest are refused.
        assert!(spent.len() >= 235, "{} refused for the budget", spent.len());
        assert_eq!(spent[0]["error"]["code"], -32005);
        let ran = replies.iter().filter(|r| r["error"]["code"] == 3).count();
        assert!(ran <= 11, "{ran} calls ran");
    }
    // An honest call still runs (the budget is per request).
    let call = seq.rpc("eth_call", json!([{ "data": "0x600160005260206000f3" }, "latest"])).await;
    assert_eq!(call["result"], format!("0x{:064x}", 1), "{call}");
    std::sync::Arc::into_inner(seq).expect("one owner").stop().await;
}

#[tokio::test]
async fn batches_are_capped_in_items() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let batch: Vec<Value> = (0..1_001).map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_chainId" })).collect();
    let (_, reply) = seq.post_raw_body("/", Value::Array(batch).to_string()).await;
    let error = &reply["error"];
    assert_eq!(error["code"], -32600, "{error}");
    assert!(error["message"].as_str().unwrap_or_default().contains("at most 1000"), "{error}");
    seq.stop().await;
}

/// A signed transfer of `signer` with `nonce`.
fn nonce_tx(signer: &rollup_types::signer::Signer, nonce: u64) -> Vec<u8> {
    custom_tx(
        signer,
        super::chain_id(),
        nonce,
        TxKind::Call(rollup_types::SYSTEM_CONTRACT),
        U256::ZERO,
        super::transfer(alloy_primitives::Address::repeat_byte(9), 1),
    )
}

#[tokio::test]
async fn a_batch_of_consecutive_nonces_is_admitted_whole_and_a_sender_reaches_its_limit() {
    // Before: a batch holding nonces n, n+1, … of one sender was refused after the 65th item
    // ("next nonce is 64, got 65 (at most 64 ahead is held)"): the gap was counted from the
    // committed nonce, so no sender could hold the documented 1024.
    let seq = Seq::start(SequencerConfig { block_time: Duration::from_secs(3600), ..SequencerConfig::test() }).await;
    let signer = alice();
    let batch: Vec<Value> = (0..200)
        .map(|n| {
            json!({ "jsonrpc": "2.0", "id": n, "method": "eth_sendRawTransaction",
                    "params": [hex::encode_prefixed(nonce_tx(&signer, n))] })
        })
        .collect();
    let (_, replies) = seq.post_raw_body("/", Value::Array(batch).to_string()).await;
    let refused: Vec<&Value> = replies.as_array().expect("batch").iter().filter(|r| r.get("error").is_some()).collect();
    assert!(refused.is_empty(), "{} refused, first {}", refused.len(), refused[0]);
    let pending = seq.rpc("eth_getTransactionCount", json!([signer.address(), "pending"])).await;
    assert_eq!(pending["result"], "0xc8", "{pending}");
    seq.stop().await;
}

/// Reads from `stream` until the node closes it; `None` if it is still open after `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()
    .map(|()| seen)
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed() {
    // Before: connections that sent nothing, or headers slowly, stayed open past 60-70 s, and
    // about 20,000 of them exhausted the process's file limit.
    use tokio::io::AsyncWriteExt;
    let mut config = SequencerConfig::test();
    config.http.header_timeout = Duration::from_secs(1);
    let seq = Seq::start(config).await;
    let addr = seq.handle.local_addr;
    // Sends nothing.
    let mut silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // Sends half a request line and stops.
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    // Sends one request, reads the answer, then idles on the kept-alive connection.
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    for (name, stream) in [("silent", &mut silent), ("slow", &mut slow), ("idle", &mut idle)] {
        let seen = closed_within(stream, Duration::from_secs(8)).await;
        assert!(seen.is_some(), "the {name} connection is still open");
        if name == "idle" {
            assert!(seen.unwrap_or_default().starts_with(b"HTTP/1.1 200"), "the request was answered first");
        }
    }
    seq.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_plainly() {
    let mut config = SequencerConfig::test();
    config.http.max_connections = 4;
    config.http.header_timeout = Duration::from_secs(30);
    let seq = Seq::start(config).await;
    let addr = seq.handle.local_addr;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let refused = client.get(seq.url("/healthz")).send().await.expect("answered");
    assert_eq!(refused.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_connections", "{body}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ok = client.get(seq.url("/healthz")).send().await.expect("answered");
    assert!(ok.status().is_success(), "{}", ok.status());
    seq.stop().await;

    // Per address: 127.0.0.2 may hold two; 127.0.0.1 (exempt by default) is still served.
    let mut config = SequencerConfig::test();
    config.http.per_ip_connections = 2;
    config.http.header_timeout = Duration::from_secs(30);
    let seq = Seq::start(config).await;
    let addr = seq.handle.local_addr;
    let from = std::net::SocketAddr::from(([127, 0, 0, 2], 0));
    let mut held = Vec::new();
    for _ in 0..2 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(from).expect("bind 127.0.0.2");
        held.push(socket.connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let other = reqwest::Client::builder().local_address(from.ip()).build().expect("client");
    let refused = other.get(seq.url("/healthz")).send().await.expect("answered");
    assert_eq!(refused.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = refused.json().await.expect("json");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("this address has 2 connections"), "{body}");
    assert!(client.get(seq.url("/healthz")).send().await.expect("answered").status().is_success());
    drop(held);
    seq.stop().await;
}

#[tokio::test]
async fn one_address_is_held_to_its_rate_and_concurrency() {
    use tokio::io::AsyncWriteExt;
    let mut config = SequencerConfig::test();
    config.http.limit_loopback = true;
    config.http.per_ip_rate = 5;
    config.http.per_ip_concurrent = 2;
    let seq = Seq::start(config).await;
    let addr = seq.handle.local_addr;
    // Two requests whose bodies never finish are in progress.
    let mut stuck = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            .await
            .expect("write");
        stuck.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = seq.get("/healthz").await;
    assert_eq!(status, reqwest::StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_concurrent_requests", "{body}");
    let rpc = seq.rpc("eth_chainId", json!([])).await;
    assert_eq!(rpc["error"]["code"], -32005, "{rpc}");
    assert_eq!(rpc["error"]["data"], "too_many_concurrent_requests", "{rpc}");
    drop(stuck);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The rate: a burst of 10 (twice 5 per second), then 429 with Retry-After.
    let mut limited = None;
    for _ in 0..30 {
        let response = seq.http.get(seq.url("/healthz")).send().await.expect("answered");
        if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the rate is enforced");
    assert!(limited.headers().contains_key("retry-after"));
    let body: Value = limited.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    seq.stop().await;
}

#[tokio::test]
async fn errors_say_what_is_wrong() {
    // Before: a gzip body got "expected value at line 1 column 1", a non-ASCII character in
    // hex was reported garbled, calldata without a selector read "selector :", and the OpenAPI
    // document had no pattern on path parameters and let `raw` be "0x".
    let seq = Seq::start(SequencerConfig::test()).await;
    let gzip_magic = vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
    let (status, body) = seq.post_raw_body("/v1/transactions", gzip_magic.clone()).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("gzip-compressed"), "{body}");
    let (_, rpc) = seq.post_raw_body("/", gzip_magic.clone()).await;
    assert!(rpc["error"]["message"].as_str().unwrap_or_default().contains("gzip-compressed"), "{rpc}");
    let encoded = seq
        .http
        .post(seq.url("/v1/transactions"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip_magic)
        .send()
        .await
        .expect("answered");
    assert_eq!(encoded.status(), reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = encoded.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unsupported_encoding", "{body}");

    let (_, body) = seq.post_raw_body("/v1/transactions", json!({ "raw": "0x02é1" }).to_string()).await;
    assert_eq!(body["error"]["code"], "invalid_hex");
    assert_eq!(body["error"]["message"], "invalid hex: 'é' at character 4 is not a hex digit", "{body}");
    let (_, body) = seq.post_raw_body("/v1/transactions", json!({ "raw": "0x021" }).to_string()).await;
    assert_eq!(body["error"]["message"], "invalid hex: an odd number of digits (3)", "{body}");

    let short = custom_tx(
        &alice(),
        super::chain_id(),
        0,
        TxKind::Call(rollup_types::SYSTEM_CONTRACT),
        U256::ZERO,
        Bytes::from(vec![0xab, 0xcd]),
    );
    let (_, body) = seq.submit(&short).await;
    assert_eq!(body["error"]["code"], "unknown_operation", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("(2 bytes) is too short to hold a 4-byte function selector"),
        "{body}"
    );

    let (_, spec) = seq.get("/v1/openapi.json").await;
    let mut params = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for op in item.as_object().expect("operations").values() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                params += 1;
                assert!(param["schema"]["pattern"].is_string(), "{path}: {param}");
            }
        }
    }
    // Transaction hash, block id, account address twice (its balances, its market positions);
    // queue index; sender and index twice; a batch index; the pages of the blocks and the
    // batches (limit and last each).
    assert_eq!(params, 14);
    let raw = &spec["paths"]["/v1/transactions"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
        ["raw"]["pattern"];
    assert_eq!(raw, "^0x([0-9a-fA-F]{2})+$");
    seq.stop().await;
}
