//! Reads at recent blocks and state proofs (issue 21): `eth_call`, `eth_getStorageAt`,
//! `eth_getTransactionCount` and `eth_getCode` at a block number or hash answer with that
//! block's state; blocks older than the history kept, or not sealed, are refused with the
//! reason; `eth_getProof` proofs verify against the block's state root, at the head and at
//! older blocks in any order.

use super::{Seq, alice, assert_rpc_error, chain_id, transfer};
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use alloy_sol_types::SolCall;
use rollup_sequencer::SequencerConfig;
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::L2Token,
    genesis::USDC,
    keys,
    smt::{Proof, Terminal},
};
use serde_json::{Value, json};

fn quantity(v: &Value) -> U256 {
    let s = v.as_str().unwrap_or_else(|| panic!("a hex string, got {v}"));
    U256::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

fn block_tag(n: u64) -> String {
    format!("{n:#x}")
}

/// Sends `count` transfers of 1 from alice to `to`, one block each; the block of each.
async fn transfers_in_own_blocks(seq: &Seq, to: Address, count: u64) -> Vec<u64> {
    let a = alice();
    let mut blocks = Vec::new();
    for nonce in 0..count {
        let raw = hex::encode_prefixed(a.eip1559(chain_id(), nonce, transfer(to, 1)).encoded());
        let hash = seq.rpc("eth_sendRawTransaction", json!([raw])).await["result"].clone();
        let included = seq.wait_included(&hash).await;
        blocks.push(included["blockNumber"].as_u64().expect("block"));
    }
    blocks
}

/// A proof as `eth_getProof` lists it, back into siblings and terminal.
fn parse_proof(items: &Value) -> Proof {
    let items: Vec<Vec<u8>> =
        items.as_array().expect("proof").iter().map(|i| hex::decode(i.as_str().expect("hex")).expect("hex")).collect();
    let (terminal, siblings) = items.split_last().expect("a terminal");
    let terminal = match terminal.len() {
        0 => Terminal::Empty,
        64 => Terminal::Leaf { key: B256::from_slice(&terminal[..32]), value: B256::from_slice(&terminal[32..]) },
        n => panic!("a terminal of {n} bytes"),
    };
    Proof { siblings: siblings.iter().map(|s| B256::from_slice(s)).collect(), terminal }
}

#[tokio::test]
async fn reads_at_recent_blocks_see_those_blocks_states() {
    let config = SequencerConfig { state_history: 4, ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let (a, bob) = (alice(), Address::repeat_byte(0xb0));
    let blocks = transfers_in_own_blocks(&seq, bob, 6).await;
    let balance_of = |block: Value| {
        let seq = &seq;
        async move {
            let input = hex::encode_prefixed(L2Token::balanceOfCall { owner: bob }.abi_encode());
            let out = seq.rpc("eth_call", json!([{ "to": USDC, "data": input }, block])).await;
            quantity(&out["result"])
        }
    };
    let slot = U256::from_be_bytes(keys::balance(&USDC, &bob).0);
    let head = *blocks.last().expect("blocks");
    // Blocks of their own: the sixth transfer's is the head (no empty blocks in tests).
    assert_eq!(seq.rpc("eth_blockNumber", json!([])).await["result"], json!(block_tag(head)));

    // Each of the last blocks by number: bob had received as many transfers as sealed by then.
    for (i, block) in blocks.iter().enumerate().skip(2) {
        let sent = i as u64 + 1;
        assert_eq!(balance_of(json!(block_tag(*block))).await, U256::from(sent), "eth_call at block {block}");
        let nonce = seq.rpc("eth_getTransactionCount", json!([a.address(), block_tag(*block)])).await;
        assert_eq!(quantity(&nonce["result"]), U256::from(sent), "nonce at block {block}: {nonce}");
        let stored = seq.rpc("eth_getStorageAt", json!([SYSTEM_CONTRACT, slot, block_tag(*block)])).await;
        assert_eq!(quantity(&stored["result"]), U256::from(sent), "slot at block {block}: {stored}");
        // The same block by hash (EIP-1898 object and plain hash).
        let hash = seq.rpc("eth_getBlockByNumber", json!([block_tag(*block), false])).await["result"]["hash"].clone();
        assert_eq!(balance_of(json!({ "blockHash": hash })).await, U256::from(sent));
        let nonce = seq.rpc("eth_getTransactionCount", json!([a.address(), hash])).await;
        assert_eq!(quantity(&nonce["result"]), U256::from(sent), "nonce at {hash}: {nonce}");
    }
    // The head's, by tag.
    assert_eq!(balance_of(json!("latest")).await, U256::from(6));
    assert_eq!(balance_of(json!("safe")).await, U256::from(6));

    // Four blocks of history: the state after head - 4 is kept, the one before is not, and the
    // refusal says which blocks are.
    assert_eq!(balance_of(json!(block_tag(head - 4))).await, U256::from(2));
    let old = seq.rpc("eth_getTransactionCount", json!([a.address(), block_tag(head - 5)])).await;
    assert_rpc_error(&old, -32000);
    assert_eq!(old["error"]["data"], "state_not_kept", "{old}");
    let message = old["error"]["message"].as_str().expect("message");
    assert!(message.contains(&format!("from {} to the head ({head})", head - 4)), "{message}");
    let old_hash = seq.rpc("eth_getBlockByNumber", json!([block_tag(head - 5), false])).await["result"]["hash"].clone();
    let by_hash = seq.rpc("eth_getStorageAt", json!([SYSTEM_CONTRACT, slot, { "blockHash": old_hash }])).await;
    assert_eq!(by_hash["error"]["data"], "state_not_kept", "a sealed block past the history: {by_hash}");
    let input = hex::encode_prefixed(L2Token::balanceOfCall { owner: bob }.abi_encode());
    let call = seq.rpc("eth_call", json!([{ "to": USDC, "data": input }, block_tag(head - 5)])).await;
    assert_eq!(call["error"]["data"], "state_not_kept", "{call}");
    // Not sealed, or unknown: geth's "header not found".
    for block in [json!(block_tag(head + 100)), json!({ "blockHash": B256::repeat_byte(9) })] {
        let future = seq.rpc("eth_getTransactionCount", json!([a.address(), block])).await;
        assert_rpc_error(&future, -32000);
        assert_eq!(future["error"]["message"], "header not found", "{future}");
    }
    seq.stop().await;
}

#[tokio::test]
async fn state_proofs_verify_against_the_blocks_state_roots() {
    let config = SequencerConfig { state_history: 8, ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let (a, bob) = (alice(), Address::repeat_byte(0xb0));
    let blocks = transfers_in_own_blocks(&seq, bob, 5).await;
    let head = *blocks.last().expect("blocks");
    let slot = U256::from_be_bytes(keys::balance(&USDC, &bob).0);
    let absent = U256::from_be_bytes(keys::balance(&USDC, &Address::repeat_byte(0xee)).0);

    // At the head, then older blocks, then the head again: the node's proof tree moves both
    // ways, and every proof leads to the block's own state root.
    for block in [head, blocks[1], blocks[3], blocks[0], head, blocks[2]] {
        let header = seq.rpc("eth_getBlockByNumber", json!([block_tag(block), false])).await["result"].clone();
        let root: B256 = header["stateRoot"].as_str().expect("root").parse().expect("b256");
        let got = seq.rpc("eth_getProof", json!([SYSTEM_CONTRACT, [slot, absent], block_tag(block)])).await;
        let result = &got["result"];
        assert_eq!(result["storageHash"], json!(root), "the system contract's storage is the state tree: {got}");
        let sent = blocks.iter().position(|b| *b == block).expect("one of ours") as u64 + 1;
        let proofs = result["storageProof"].as_array().expect("storage proofs");
        assert_eq!(proofs.len(), 2);
        let proof = parse_proof(&proofs[0]["proof"]);
        assert_eq!(proof.verify(&root, &slot.into()), Some(B256::from(U256::from(sent))), "slot at block {block}");
        assert_eq!(quantity(&proofs[0]["value"]), U256::from(sent));
        let proof = parse_proof(&proofs[1]["proof"]);
        assert_eq!(proof.verify(&root, &absent.into()), Some(B256::ZERO), "an absent slot is proven absent");
        assert_eq!(quantity(&proofs[1]["value"]), U256::ZERO);

        // An account: its nonce leaf.
        let got = seq.rpc("eth_getProof", json!([a.address(), [], block_tag(block)])).await;
        let result = &got["result"];
        assert_eq!(quantity(&result["nonce"]), U256::from(sent), "{got}");
        let proof = parse_proof(&result["accountProof"]);
        assert_eq!(proof.verify(&root, &keys::nonce(&a.address())), Some(B256::from(U256::from(sent))));
        assert_eq!(result["storageHash"], json!(B256::ZERO), "no storage outside the system contract");
    }

    // A token's storage is empty: every slot is zero, proven by the empty tree's terminal.
    let got = seq.rpc("eth_getProof", json!([USDC, [slot], "latest"])).await;
    let proof = parse_proof(&got["result"]["storageProof"][0]["proof"]);
    assert_eq!(proof.verify(&B256::ZERO, &slot.into()), Some(B256::ZERO), "{got}");
    assert_ne!(got["result"]["codeHash"], json!(alloy_primitives::KECCAK256_EMPTY), "a token has code");

    // Bounds and refusals.
    let many: Vec<Bytes> = (0..1_001u64).map(|i| Bytes::from(U256::from(i).to_be_bytes_vec())).collect();
    assert_rpc_error(&seq.rpc("eth_getProof", json!([SYSTEM_CONTRACT, many, "latest"])).await, -32602);
    let future = seq.rpc("eth_getProof", json!([SYSTEM_CONTRACT, [slot], block_tag(head + 50)])).await;
    assert_eq!(future["error"]["message"], "header not found", "{future}");
    seq.stop().await;
}

/// The state's history (`--state.archive`, issue 55): reads at blocks older than the kept
/// records answer from the database, as Ponder reads a balance at an event's block: the same
/// answers as when the block was recent, for `eth_getBalance`, `eth_call`,
/// `eth_getTransactionCount`, `eth_getStorageAt` and `eth_getCode`; the blocks before the
/// history started and proofs there are refused with the reason.
#[tokio::test]
async fn reads_at_old_blocks_answer_from_the_stored_history() {
    let config = SequencerConfig { state_history: 2, archive: true, ..SequencerConfig::test() };
    let seq = Seq::start(config).await;
    let (a, bob) = (alice(), Address::repeat_byte(0xb1));
    let blocks = transfers_in_own_blocks(&seq, bob, 8).await;
    let head = *blocks.last().expect("blocks");
    let input = hex::encode_prefixed(L2Token::balanceOfCall { owner: bob }.abi_encode());
    let slot = U256::from_be_bytes(keys::balance(&USDC, &bob).0);
    // Every block of the run, from the one before the first transfer: its answers now, when
    // most of them are far older than the two blocks kept in memory.
    for block in blocks[0] - 1..=head {
        let sent = blocks.iter().filter(|b| **b <= block).count() as u64;
        let tag = block_tag(block);
        let call = seq.rpc("eth_call", json!([{ "to": USDC, "data": input }, tag])).await;
        assert_eq!(quantity(&call["result"]), U256::from(sent), "eth_call at block {block}: {call}");
        let nonce = seq.rpc("eth_getTransactionCount", json!([a.address(), tag])).await;
        assert_eq!(quantity(&nonce["result"]), U256::from(sent), "nonce at block {block}: {nonce}");
        let stored = seq.rpc("eth_getStorageAt", json!([SYSTEM_CONTRACT, slot, tag])).await;
        assert_eq!(quantity(&stored["result"]), U256::from(sent), "slot at block {block}: {stored}");
        let ether = seq.rpc("eth_getBalance", json!([a.address(), tag])).await;
        let now = seq.rpc("eth_getBalance", json!([a.address(), "latest"])).await;
        // Each transfer paid its fee in ether: the older the block, the more alice held.
        if block < head {
            assert!(quantity(&ether["result"]) > quantity(&now["result"]), "ether at block {block}: {ether}");
        }
        let code = seq.rpc("eth_getCode", json!([USDC, tag])).await;
        assert!(code["result"].as_str().is_some_and(|c| c.len() > 2), "token code at block {block}: {code}");
    }
    // The history started with the node (at genesis here): block 0's state is answered too,
    // and an unknown block is still "header not found".
    let genesis = seq.rpc("eth_getTransactionCount", json!([a.address(), "0x0"])).await;
    assert_eq!(quantity(&genesis["result"]), U256::ZERO, "{genesis}");
    let future = seq.rpc("eth_getTransactionCount", json!([a.address(), block_tag(head + 100)])).await;
    assert_eq!(future["error"]["message"], "header not found", "{future}");
    // Proofs need the state tree, which only the kept blocks have.
    let proof = seq.rpc("eth_getProof", json!([SYSTEM_CONTRACT, [slot], block_tag(blocks[0])])).await;
    assert_eq!(proof["error"]["data"], "state_not_kept", "{proof}");
    seq.stop().await;
}
