//! The recent blocks held in memory (issue 55, docs/api.md §5 "Recent blocks") answer as the
//! database does: the same records (transactions, receipts, logs) for every held block, and the
//! same logs for log queries over them.

use super::{Seq, alice, chain_id, transfer};
use alloy_primitives::{Address, B256, U256, hex};
use alloy_sol_types::SolCall;
use rollup_sequencer::{SequencerConfig, store::LogQuery};
use rollup_types::{
    TokenCall,
    bindings::L2System,
    genesis::{DAI, USDC, WETH},
};
use serde_json::json;

#[tokio::test]
async fn recent_blocks_hold_what_the_database_gives_back() {
    let seq = Seq::start(SequencerConfig::test()).await;
    let a = alice();
    let carol = Address::repeat_byte(0xc1);
    let one = U256::from(10u64).pow(U256::from(18u8));
    let raws = [
        a.eip1559(chain_id(), 0, transfer(carol, 3)).encoded(),
        a.eip1559_to(chain_id(), 1, USDC, TokenCall::Transfer { to: carol, amount: U256::from(4u64) }.encode().into())
            .encoded(),
        a.eip1559(
            chain_id(),
            2,
            L2System::swapCall { tokenIn: WETH, tokenOut: DAI, amountIn: one, minAmountOut: U256::from(1) }
                .abi_encode()
                .into(),
        )
        .encoded(),
        // Reverts: no logs, a receipt with status 0.
        a.eip1559(
            chain_id(),
            3,
            L2System::swapCall { tokenIn: WETH, tokenOut: DAI, amountIn: one, minAmountOut: U256::MAX }
                .abi_encode()
                .into(),
        )
        .encoded(),
        a.eip1559_ether(chain_id(), 4, carol, one).encoded(),
    ];
    let mut last = json!(null);
    for raw in raws {
        last = seq.rpc("eth_sendRawTransaction", json!([hex::encode_prefixed(raw)])).await["result"].clone();
        assert!(last.is_string(), "{last}");
    }
    seq.wait_included(&last).await;
    let node = &seq.handle.node;
    let head = node.head().header.number;
    let mut held = 0;
    for number in 1..=head {
        let Some(recent) = node.recent().block(number) else { continue };
        held += 1;
        let stored = node.store().block(number).await.expect("read").expect("stored");
        assert_eq!(recent.block, stored, "block {number}");
        let records = node.store().block_transaction_records(number).await.expect("read");
        assert_eq!(recent.records, records, "the records of block {number}");
        for record in &records {
            let (block, position) = node.recent().transaction(&record.hash).expect("held");
            assert_eq!((block.block.header.number, &block.records[position]), (number, record));
        }
    }
    assert_eq!(held, head, "every block of the run is held");
    // Log queries: by address, by topic, both, none, and an empty range.
    let transfer_topic = alloy_primitives::keccak256("Transfer(address,address,uint256)");
    let queries = [
        LogQuery { from_block: 1, to_block: head, ..Default::default() },
        LogQuery { from_block: 1, to_block: head, addresses: vec![USDC], ..Default::default() },
        LogQuery {
            from_block: 1,
            to_block: head,
            topics: [vec![transfer_topic], vec![], vec![], vec![]],
            ..Default::default()
        },
        LogQuery { from_block: head, to_block: head, addresses: vec![DAI, WETH], ..Default::default() },
        LogQuery { from_block: 2, to_block: 1, ..Default::default() },
    ];
    for query in &queries {
        let memory = node.recent().logs(query, 10_000).expect("held");
        let stored = node.store().logs(query, 10_000).await.expect("read");
        assert_eq!(memory, stored, "{query:?}");
    }
    let all = node.recent().logs(&queries[0], 10_000).expect("held");
    assert!(all.len() >= 6, "the run logged: {all:?}");
    assert_eq!(node.recent().logs(&queries[0], 2).expect("held"), all[..2], "a limit cuts in chain order");
    // A block not held is not answered from memory.
    assert!(
        node.recent().block(head + 1).is_none()
            && node.recent().logs(&LogQuery { from_block: 0, to_block: head + 5, ..Default::default() }, 10).is_none()
    );
    assert!(node.recent().transaction(&B256::repeat_byte(9)).is_none());
    seq.stop().await;
}
