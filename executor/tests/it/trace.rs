//! Tracing a block again over the state before it (docs/api.md §3.0g).

use super::{chain, env, recovered, signer, swap, token_tx, transfer};
use alloy_primitives::{Address, Log, U256};
use alloy_rpc_types_trace::geth::{CallConfig, CallFrame};
use rollup_executor::{Executor, ParallelConfig, StateAt, TxResult, TxStatus};
use rollup_types::{
    RecoveredTx, SYSTEM_CONTRACT, TokenCall,
    genesis::{DAI, GenesisSpec, USDC, WETH},
};

/// The frame's logs and its sub-calls', in the order they were emitted.
fn logs_in_order(frame: &CallFrame, out: &mut Vec<Log>) {
    let mut logs = frame.logs.iter().peekable();
    for (i, call) in frame.calls.iter().enumerate() {
        while let Some(log) = logs.next_if(|l| l.position == Some(i as u64)) {
            out.push(log.clone().into_log());
        }
        logs_in_order(call, out);
    }
    out.extend(logs.map(|l| l.clone().into_log()));
}

#[test]
fn a_block_traced_again_runs_as_it_was_sealed_with_a_frame_per_transaction() {
    let chain = chain(4);
    let genesis = Executor::genesis(chain, &GenesisSpec::devnet()).expect("genesis");
    // Sealed on the parallel path, as the sequencer seals blocks.
    let mut exec = genesis.with_parallelism(ParallelConfig::threads(2)).expect("threads").recording_overwritten();
    let (alice, bob) = (signer(1), signer(2));
    let carol = Address::repeat_byte(0xca);
    let one = U256::from(10u64).pow(U256::from(18u8));
    exec.execute_block(env(1), &[recovered(&chain, &alice, 0, transfer(USDC, carol, 5))]);
    let txs: Vec<RecoveredTx> = vec![
        recovered(&chain, &alice, 1, swap(WETH, DAI, one, U256::from(1))),
        // A token's ERC-20 call: the token's code calls the ledger.
        token_tx(&chain, &bob, 0, USDC, TokenCall::Transfer { to: carol, amount: U256::from(7u64) }),
        // A swap that cannot give what it asks: reverts with the ledger's reason.
        recovered(&chain, &bob, 1, swap(WETH, DAI, one, U256::MAX)),
        // A transfer of ether.
        RecoveredTx::from_signed(alice.eip1559_ether(chain.chain_id, 2, carol, one), &chain).expect("admissible"),
    ];
    let sealed = exec.execute_block(env(2), &txs);
    let before = StateAt::new(exec.state(), vec![sealed.overwritten.clone().expect("recorded")]);

    let config = CallConfig { only_top_call: None, with_log: Some(true) };
    let traced = rollup_executor::trace_block(&chain, &before, env(2), &[], &txs, None, config);
    assert!(traced.queue.is_empty());
    assert_eq!(traced.txs.len(), txs.len());
    for (i, ((result, frame), sealed)) in traced.txs.iter().zip(&sealed.results).enumerate() {
        assert_eq!(result, sealed, "transaction {i} ran again as it was sealed");
        let TxResult::Executed(outcome) = result else { panic!("transaction {i} executed") };
        let frame = frame.as_ref().unwrap_or_else(|| panic!("transaction {i} has a frame"));
        assert_eq!(frame.from, txs[i].sender, "transaction {i}'s caller");
        assert_eq!(frame.typ, "CALL");
        let mut logs = Vec::new();
        logs_in_order(frame, &mut logs);
        if outcome.status == TxStatus::Success {
            assert_eq!(logs, outcome.logs, "transaction {i}'s frame logs are its receipt's");
            assert!(frame.error.is_none());
        }
    }
    let frame = |i: usize| traced.txs[i].1.clone().expect("frame");
    // The swap: a call of the ledger with its calldata and its answer.
    let swapped = frame(0);
    assert_eq!((swapped.to, &swapped.input), (Some(SYSTEM_CONTRACT), txs[0].tx.input()));
    assert!(swapped.output.is_some() && swapped.gas_used > U256::ZERO);
    // The token call: the token's frame with the ledger's below it.
    let token = frame(1);
    assert_eq!(token.to, Some(USDC));
    assert!(
        token.calls.iter().any(|c| c.to == Some(SYSTEM_CONTRACT) && c.from == USDC),
        "the token calls the ledger: {token:?}"
    );
    // The failed swap: reverted, with its reason, and no logs.
    let failed = frame(2);
    assert_eq!(failed.error.as_deref(), Some("execution reverted"));
    assert!(failed.revert_reason.is_some() || failed.output.is_some(), "{failed:?}");
    assert!(failed.logs.is_empty());

    // Only the top call, and only up to the second transaction.
    let top = CallConfig { only_top_call: Some(true), with_log: None };
    let traced = rollup_executor::trace_block(&chain, &before, env(2), &[], &txs, Some(2), top);
    assert_eq!(traced.txs.len(), 2);
    let token = traced.txs[1].1.clone().expect("frame");
    assert!(token.calls.is_empty() && token.logs.is_empty(), "{token:?}");
    assert_eq!(token.gas_used, frame(1).gas_used);

    // Over the wrong state (the head's) the same block does not run as it was sealed.
    let head = StateAt::new(exec.state(), Vec::new());
    let wrong = rollup_executor::trace_block(&chain, &head, env(2), &[], &txs, None, CallConfig::default());
    assert!(wrong.txs.iter().all(|(r, _)| matches!(r, TxResult::Invalid(_))), "the nonces are used already");
}
