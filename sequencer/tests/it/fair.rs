//! Fair shares (issue 39): one client address, or several acting together, cannot take what
//! all clients share. Each test runs an attack from 127.0.0.2 (a limited address) while an
//! honest client on 127.0.0.3 is served, and checks the bound that holds the attack.

use super::{Seq, abuse::ecrecover_loop, alice, custom_tx, transfer};
use alloy_primitives::{Address, TxKind, U256, hex};
use rollup_sequencer::SequencerConfig;
use rollup_types::signer::Signer;
use serde_json::{Value, json};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const HONEST: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// An HTTP client whose connections come from `ip`.
fn from(ip: IpAddr) -> reqwest::Client {
    reqwest::Client::builder().local_address(ip).build().expect("client")
}

async fn post(client: &reqwest::Client, seq: &Seq, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    let response = client.post(seq.url(path)).json(&body).send().await.expect("answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn rpc(client: &reqwest::Client, seq: &Seq, method: &str, params: Value) -> Value {
    post(client, seq, "/", json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_the_call_threads() {
    // Before: 64 threads of heavy eth_calls from one address held every call slot, and an
    // honest client's eth_call failed 10 of 14 times (`busy` or `call_timeout`).
    let mut config = SequencerConfig::test();
    config.calls.threads = 2;
    // The work rate would stop the attacker on its own: off, to test the call threads' shares.
    config.http.per_ip_work = 0;
    let seq = std::sync::Arc::new(Seq::start(config).await);
    let data = hex::encode_prefixed(ecrecover_loop());
    let stop = tokio_util::sync::CancellationToken::new();
    let attackers: Vec<_> = (0..16)
        .map(|_| {
            let (seq, data, stop) = (seq.clone(), data.clone(), stop.clone());
            tokio::spawn(async move {
                let client = from(ATTACKER);
                let mut ran = 0u32;
                while !stop.is_cancelled() {
                    let reply = rpc(&client, &seq, "eth_call", json!([{ "data": data }, "latest"])).await;
                    // Ran on a thread: to its end (reverted, out of gas) or until its time was
                    // up (a loaded machine runs fewer loops in the same time).
                    ran += u32::from(reply["error"]["code"] == 3 || reply["error"]["data"] == "call_timeout");
                }
                ran
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let honest = from(HONEST);
    for _ in 0..6 {
        let call = rpc(&honest, &seq, "eth_call", json!([{ "data": "0x600160005260206000f3" }, "latest"])).await;
        assert_eq!(call["result"], format!("0x{:064x}", 1), "{call}");
        let estimate = rpc(&honest, &seq, "eth_estimateGas", json!([{ "data": "0x600160005260206000f3" }])).await;
        assert!(estimate["result"].is_string(), "{estimate}");
    }
    stop.cancel();
    let mut ran = 0;
    for attacker in attackers {
        ran += attacker.await.expect("joined");
    }
    assert!(ran > 0, "the attacker's calls ran too, on its share");
    std::sync::Arc::into_inner(seq).expect("one owner").stop().await;
}

#[tokio::test]
async fn a_batch_and_an_address_are_held_to_their_work() {
    // Before: a batch of 466 eth_feeHistory items ran 1.66 CPU-seconds and answered 26 MB;
    // only calls had budgets.
    let mut config = SequencerConfig::test();
    config.http.request_work = 2_000;
    config.http.per_ip_work = 500;
    let seq = Seq::start(config).await;
    let attacker = from(ATTACKER);
    // Each item of 1024 blocks and 100 percentiles is estimated at ~52,000 units: over the
    // request's budget at once. Cheap items run until the budget is spent.
    let heavy: Vec<Value> = (0..3)
        .map(|i| {
            json!({ "jsonrpc": "2.0", "id": i, "method": "eth_feeHistory",
                    "params": ["0x400", "latest", vec![50.0; 100]] })
        })
        .collect();
    let (_, replies) = post(&attacker, &seq, "/", Value::Array(heavy)).await;
    let replies = replies.as_array().expect("a batch answer");
    assert_eq!(replies.len(), 3);
    for reply in replies {
        assert_eq!(reply["error"]["code"], -32005, "{reply}");
        assert_eq!(reply["error"]["data"], "request_budget", "{reply}");
    }
    let cheap: Vec<Value> = (0..1_000)
        .map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber", "params": ["latest", false] }))
        .collect();
    let (_, replies) = post(&attacker, &seq, "/", Value::Array(cheap.clone())).await;
    let replies = replies.as_array().expect("a batch answer");
    let answered = replies.iter().filter(|r| r["result"].is_object()).count();
    assert!(answered > 0 && answered < 100, "{answered} of 1000 answered within the address's 1,000 units");
    let refused = &replies[999]["error"];
    assert!(refused["data"] == "request_budget" || refused["data"] == "work_rate_limited", "{refused}");
    // The address has spent its rate: its next request is refused, saying when to come back.
    // The batch left it less than one cheap item; a request of ~770 units needs 1.5 s of
    // refill at 500 a second, so the check does not race the clock (a cheap item did: a few
    // milliseconds of refill let it through on a fast machine).
    let medium = json!(["0x80", "latest", vec![50.0; 10]]);
    let again = rpc(&attacker, &seq, "eth_feeHistory", medium.clone()).await;
    assert_eq!(again["error"]["data"], "work_rate_limited", "{again}");
    assert!(again["error"]["message"].as_str().unwrap_or_default().contains("retry in"), "{again}");
    // Another address is not: the same request is answered.
    let honest = rpc(&from(HONEST), &seq, "eth_feeHistory", medium).await;
    assert!(honest["result"].is_object(), "{honest}");
    seq.stop().await;
}

/// Key `i` of the fresh keys of `seed`.
fn fresh_key(seed: u8, i: usize) -> Signer {
    let mut key = [seed; 32];
    key[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    Signer::new(&key.into()).expect("key")
}

/// The test configuration with the fresh keys of `seeds` (`count` each) funded at genesis:
/// many addresses, each able to pay its fee (an unfunded one is refused at the door).
fn funding(seeds: std::ops::Range<u8>, count: usize) -> SequencerConfig {
    let mut config = SequencerConfig::test();
    let keys: Vec<_> = seeds.flat_map(|seed| (0..count).map(move |i| fresh_key(seed, i).address())).collect();
    config.genesis = config.genesis.with_funded(keys);
    config
}

/// Signed transfers of `count` fresh keys (nonce 0 each), funded by [`funding`].
fn fresh_transfers(seed: u8, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let signer = fresh_key(seed, i);
            let raw = custom_tx(
                &signer,
                super::chain_id(),
                0,
                TxKind::Call(rollup_types::SYSTEM_CONTRACT),
                U256::ZERO,
                transfer(Address::repeat_byte(9), 0),
            );
            hex::encode_prefixed(raw)
        })
        .collect()
}

#[tokio::test]
async fn an_address_is_held_to_its_rate_of_transactions_not_of_requests() {
    // Before: one request to /v1/transactions/batch counted once against the rate; one
    // address pushed 240,000 transfers in 11.8 s.
    let mut config = funding(7..11, 50);
    config.http.per_ip_tx_rate = 10;
    let seq = Seq::start(config).await;
    let (status, body) =
        post(&from(ATTACKER), &seq, "/v1/transactions/batch", json!({ "transactions": fresh_transfers(7, 50) })).await;
    assert!(status.is_success(), "{body}");
    let results = body["results"].as_array().expect("results");
    let taken = results.iter().filter(|r| r["hash"].is_string()).count();
    assert_eq!(taken, 20, "a burst of twice the rate: {body}");
    assert_eq!(results[49]["error"]["code"], "rate_limited", "{body}");
    assert!(results[49]["error"]["message"].as_str().unwrap_or_default().contains("10 transactions per second"));
    // Next: nothing left, the whole request is refused with Retry-After.
    let response = from(ATTACKER)
        .post(seq.url("/v1/transactions/batch"))
        .json(&json!({ "transactions": fresh_transfers(8, 5) }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    // JSON-RPC submissions count the same way.
    let sent = rpc(&from(ATTACKER), &seq, "eth_sendRawTransaction", json!([fresh_transfers(9, 1)[0]])).await;
    assert_eq!(sent["error"]["data"], "rate_limited", "{sent}");
    // The honest address has its own.
    let (status, body) =
        post(&from(HONEST), &seq, "/v1/transactions", json!({ "raw": fresh_transfers(10, 1)[0] })).await;
    assert!(status.is_success(), "{body}");
    seq.stop().await;
}

#[tokio::test]
async fn under_l1_backpressure_the_heaviest_submitter_is_refused_first() {
    // Before: past the backlog bound every submission was refused, `429 l1_backlog` to honest
    // senders too, because of one address's flood.
    let mut config = funding(20..80, 5);
    config.block_time = Duration::from_millis(50);
    config.l1_backlog = rollup_sequencer::BacklogLimits { max_bytes: 3_000, max_secs: 0 };
    let seq = Seq::start(config).await;
    // A batcher that records the L1's limits and never posts: the backlog only grows.
    seq.handle
        .node
        .store()
        .record_post_limits(&rollup_sequencer::store::PostLimitsRecord {
            max_block_bytes: 120_000,
            max_post_bytes: 120_000,
            post_gas: 10_000_000,
            l1_block_gas_limit: 30_000_000,
            l1_tx_gas_cap: None,
            updated_at: 0,
        })
        .await
        .expect("limits");
    let attacker = from(ATTACKER);
    let mut refused = None;
    for round in 0..60u8 {
        let (status, body) =
            post(&attacker, &seq, "/v1/transactions/batch", json!({ "transactions": fresh_transfers(round + 20, 5) }))
                .await;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            refused = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let refused = refused.expect("the flood met the backlog bound");
    assert_eq!(refused["error"]["code"], "l1_backlog", "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap_or_default().contains("more than its share"), "{refused}");
    // A light submitter is still taken while the backlog is under twice its bound.
    let honest = from(HONEST);
    let signer = alice();
    let raw = custom_tx(
        &signer,
        super::chain_id(),
        0,
        TxKind::Call(rollup_types::SYSTEM_CONTRACT),
        U256::ZERO,
        transfer(Address::repeat_byte(3), 1),
    );
    let (status, body) = post(&honest, &seq, "/v1/transactions", json!({ "raw": hex::encode_prefixed(raw) })).await;
    assert!(status.is_success(), "the honest transfer is taken: {body}");
    let view = seq.handle.node.l1_backlog();
    assert!(view.throttling, "{view:?}");
    seq.stop().await;
}

#[tokio::test]
async fn a_full_connection_table_makes_room_for_an_address_that_holds_few() {
    // Before: 80 addresses holding 250 idle connections each kept the 4,096 places, and 13 of
    // 30 honest requests got `503 too_many_connections` or a closed connection.
    let mut config = SequencerConfig::test();
    config.http.max_connections = 8;
    config.http.header_timeout = Duration::from_secs(30);
    let seq = Seq::start(config).await;
    let addr = seq.handle.local_addr;
    let mut held = Vec::new();
    for _ in 0..8 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(ATTACKER, 0)).expect("bind");
        held.push(socket.connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The attacker's ninth is refused: it holds the most.
    let refused = reqwest::Client::builder()
        .local_address(ATTACKER)
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
        .get(seq.url("/healthz"))
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    // Honest clients, limited or exempt, each take the place of one of its idle connections.
    // (Each keeps its connection open, as a browser would.)
    let mut honest = Vec::new();
    for ip in [HONEST, IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4))] {
        let client = reqwest::Client::builder().local_address(ip).build().expect("client");
        let answer = client.get(seq.url("/healthz")).send().await.expect("answered");
        assert!(answer.status().is_success(), "{ip}: {}", answer.status());
        honest.push(client);
    }
    let mut closed = 0;
    for stream in &held {
        let mut buf = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(100), stream.peek(&mut buf)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 3, "one of the attacker's idle connections gave its place to each");
    drop((held, honest));
    seq.stop().await;
}

#[tokio::test]
async fn a_trusted_proxy_passes_its_clients_address() {
    let mut config = SequencerConfig::test();
    config.http.per_ip_rate = 2;
    config.http.trusted_proxies = vec!["127.0.0.1".parse().expect("net")];
    let seq = Seq::start(config).await;
    let proxy = reqwest::Client::new();
    let get_as = |client: &'static str| {
        proxy.get(seq.url("/healthz")).header("x-forwarded-for", format!("{client}, 127.0.0.1")).send()
    };
    // The burst of one forwarded client is 4; the fifth is refused, for that client only.
    for _ in 0..4 {
        assert!(get_as("203.0.113.5").await.expect("answered").status().is_success());
    }
    assert_eq!(get_as("203.0.113.5").await.expect("answered").status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(get_as("203.0.113.6").await.expect("answered").status().is_success());
    // The proxy itself, forwarding nothing, is exempt loopback.
    for _ in 0..8 {
        assert!(proxy.get(seq.url("/healthz")).send().await.expect("answered").status().is_success());
    }
    // An untrusted peer cannot claim another address.
    let attacker = from(ATTACKER);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = attacker
            .get(seq.url("/healthz"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .send()
            .await
            .expect("answered");
        statuses.push(r.status());
    }
    assert!(statuses.contains(&reqwest::StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    seq.stop().await;
}
