//! `debug_traceTransaction` and `debug_traceBlockBy*` with the `callTracer` (issue 55,
//! docs/api.md §3.0g): a swap's frame, a token call's frames, every transaction of a block,
//! at a kept block and at one only the stored history has, and the options refused with the
//! reason.

use super::{Seq, alice, assert_rpc_error, chain_id, transfer};
use alloy_primitives::{Address, B256, U256, hex};
use alloy_sol_types::SolCall;
use rollup_sequencer::SequencerConfig;
use rollup_types::{
    SYSTEM_CONTRACT, TokenCall,
    bindings::L2System,
    genesis::{DAI, USDC, WETH},
};
use serde_json::{Value, json};

fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("a hex string, got {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

/// Sends `raw` and waits for its receipt.
async fn included(seq: &Seq, raw: Vec<u8>) -> (Value, Value) {
    let hash = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(raw)])).await["result"].clone();
    assert!(hash.is_string(), "accepted: {hash}");
    seq.wait_included(&hash).await;
    let receipt = seq.rpc("eth_getTransactionReceipt", json!([hash])).await["result"].clone();
    (hash, receipt)
}

/// A frame's logs and its sub-calls', in the order they were emitted.
fn logs_in_order(frame: &Value, out: &mut Vec<Value>) {
    let logs = frame["logs"].as_array().cloned().unwrap_or_default();
    let calls = frame["calls"].as_array().cloned().unwrap_or_default();
    let mut logs = logs.into_iter().peekable();
    for (i, call) in calls.iter().enumerate() {
        while let Some(log) = logs.next_if(|l| quantity(&l["position"]) == i as u64) {
            out.push(log);
        }
        logs_in_order(call, out);
    }
    out.extend(logs);
}

#[tokio::test]
async fn a_swap_and_every_transaction_of_a_block_are_traced_with_the_call_tracer() {
    let config = SequencerConfig { state_history: 2, archive: true, ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let a = alice();
    let one = U256::from(10u64).pow(U256::from(18u8));
    let swap = L2System::swapCall { tokenIn: WETH, tokenOut: DAI, amountIn: one, minAmountOut: U256::from(1) };
    let (swap_hash, swap_receipt) = included(&seq, a.eip1559(chain_id(), 0, swap.abi_encode().into()).encoded()).await;
    let carol = Address::repeat_byte(0xca);
    let token_call = TokenCall::Transfer { to: carol, amount: U256::from(9u64) }.encode();
    let (token_hash, _) = included(&seq, a.eip1559_to(chain_id(), 1, USDC, token_call.into()).encoded()).await;
    let (ether_hash, _) = included(&seq, a.eip1559_ether(chain_id(), 2, carol, one).encoded()).await;

    let call_tracer = json!({ "tracer": "callTracer" });
    let with_log = json!({ "tracer": "callTracer", "tracerConfig": { "withLog": true } });
    // The swap, while its block is kept and once only the stored history has the state before
    // it: the same frame.
    let recent = seq.rpc("debug_traceTransaction", json!([swap_hash, call_tracer])).await;
    for nonce in 3..7 {
        included(&seq, a.eip1559(chain_id(), nonce, transfer(carol, 1)).encoded()).await;
    }
    let frame = seq.rpc("debug_traceTransaction", json!([swap_hash, call_tracer])).await;
    assert_eq!(frame, recent, "traced from memory and from the stored history");
    let frame = &frame["result"];
    assert_eq!(frame["type"], "CALL", "{frame}");
    assert_eq!(frame["from"], json!(a.address()));
    assert_eq!(frame["to"], json!(SYSTEM_CONTRACT));
    assert_eq!(frame["input"], json!(hex::encode_prefixed(swap.abi_encode())));
    assert_eq!(frame["gasUsed"], swap_receipt["gasUsed"], "the receipt's gas");
    assert!(frame["output"].is_string() && frame.get("error").is_none(), "{frame}");
    // Its logs, with withLog, are its receipt's.
    let logged = seq.rpc("debug_traceTransaction", json!([swap_hash, with_log])).await;
    let mut logs = Vec::new();
    logs_in_order(&logged["result"], &mut logs);
    let receipt_logs = swap_receipt["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), receipt_logs.len(), "{logged}");
    for (log, receipt) in logs.iter().zip(receipt_logs) {
        assert_eq!(
            (&log["address"], &log["topics"], &log["data"]),
            (&receipt["address"], &receipt["topics"], &receipt["data"])
        );
    }

    // The token call: the token's frame, the ledger's below it.
    let token = seq.rpc("debug_traceTransaction", json!([token_hash, call_tracer])).await["result"].clone();
    assert_eq!(token["to"], json!(USDC), "{token}");
    let below = token["calls"].as_array().expect("sub-calls");
    assert!(below.iter().any(|c| c["from"] == json!(USDC) && c["to"] == json!(SYSTEM_CONTRACT)), "{token}");
    let top = json!({ "tracer": "callTracer", "tracerConfig": { "onlyTopCall": true } });
    let only = seq.rpc("debug_traceTransaction", json!([token_hash, top])).await["result"].clone();
    assert!(only.get("calls").is_none(), "{only}");
    // A transfer of ether is shown as the transfer: to its recipient, with its value.
    let ether = seq.rpc("debug_traceTransaction", json!([ether_hash, call_tracer])).await["result"].clone();
    assert_eq!((&ether["to"], &ether["value"], &ether["input"]), (&json!(carol), &json!(one), &json!("0x")));

    // The swap's block by number and by hash: one frame per transaction it lists, in order.
    let number = swap_receipt["blockNumber"].clone();
    let block = seq.rpc("eth_getBlockByNumber", json!([number, false])).await["result"].clone();
    let listed = block["transactions"].as_array().expect("hashes").clone();
    let by_number = seq.rpc("debug_traceBlockByNumber", json!([number, call_tracer])).await["result"].clone();
    let by_hash = seq.rpc("debug_traceBlockByHash", json!([block["hash"], call_tracer])).await["result"].clone();
    assert_eq!(by_number, by_hash);
    let traced: Vec<Value> = by_number.as_array().expect("frames").iter().map(|t| t["txHash"].clone()).collect();
    assert_eq!(traced, listed, "{by_number}");
    let swap_item = by_number.as_array().expect("frames").iter().find(|t| t["txHash"] == swap_hash).expect("the swap");
    assert_eq!(swap_item["result"], recent["result"]);

    // Refused with the reason: the struct logger, other tracers, a bad config, unknown things.
    for options in [json!({}), json!({ "tracer": "prestateTracer" }), json!({ "tracer": "{ result: function() {} }" })]
    {
        let refused = seq.rpc("debug_traceTransaction", json!([swap_hash, options])).await;
        assert_rpc_error(&refused, -32602);
        assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains("callTracer")), "{refused}");
    }
    let bad = seq
        .rpc("debug_traceTransaction", json!([swap_hash, { "tracer": "callTracer", "tracerConfig": { "withLog": 3 } }]))
        .await;
    assert_rpc_error(&bad, -32602);
    let unknown = seq.rpc("debug_traceTransaction", json!([B256::repeat_byte(1), call_tracer])).await;
    assert_rpc_error(&unknown, -32000);
    let future = seq.rpc("debug_traceBlockByNumber", json!(["0xffffff", call_tracer])).await;
    assert_rpc_error(&future, -32000);
    // Genesis has no parent state to run it over (the spec requires an error).
    let genesis = seq.rpc("debug_traceBlockByNumber", json!(["0x0", call_tracer])).await;
    assert_rpc_error(&genesis, -32000);
    seq.stop().await;
}
