#![allow(clippy::print_stderr)]
//! The proof bound (docs/fraud-proofs.md §7), held at its worst: for every kind of fault, the
//! batch that makes the honest challenger's proof as expensive as the inbox's and the codec's
//! bounds allow, over a state of a million leaves, posted on an anvil that enforces EIP-7825,
//! and proven there under 15,000,000 gas, the ground case after a batcher spent 2^80 hashes
//! deepening the witness. The same cases as `rollup bench proof-bounds`, whose figures
//! BENCHMARKS.md records.

use rollup_bench::bounds::{BoundsBench, FREE_KEYS, GROUND_BUDGET, Grinding, PROOF_GAS_BOUND};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fraud_at_the_bounds_is_proven_under_the_proof_bound() {
    // The state a batcher that grinds 2^80 hashes reaches around the chunk's keys
    // (docs/fraud-proofs.md §7.2): a non-empty sibling at each of the first 80 levels of every
    // touched path, and each of the 12 free keys 154 levels deep (empty siblings below 80).
    let grinding = Grinding::for_budget(GROUND_BUDGET);
    assert_eq!((grinding.siblings, grinding.pair, FREE_KEYS), (80, 154, 12));
    let bench = BoundsBench { leaves: 1_000_000, cases: Vec::new(), grinding };
    let report = bench.run().await.expect("every case posts and proves");
    // The figures, for whoever runs it with --nocapture.
    eprintln!("{report}");
    assert_eq!(report.bound, PROOF_GAS_BOUND);
    assert!(report.state_leaves >= 1_000_000, "{} leaves", report.state_leaves);
    let over = report.over_bound();
    assert!(over.is_empty(), "proofs at or over {PROOF_GAS_BOUND} gas: {over:?}");
    // Each case was proven as the fault it was built to show, at the bounds.
    let fault = |case: &str| report.rows.iter().find(|r| r.case.starts_with(case)).map(|r| r.fault.as_str());
    assert_eq!(fault("header-lie"), Some("WrongLastBlock"));
    // A block's beginning is a chunk of its own, proven with its own keys alone: the fee state,
    // the L1's fee reading, the vault, the clock, the oracles' header and four keys an oracle
    // (its entry, its pool, its two words), for the devnet's three and for the most, eight;
    // then the accrual of the market in turn: the markets' header, the market's three words,
    // its eight shards and their eight cash balances (docs/lending.md §3).
    assert_eq!(fault("beginning"), Some("WrongChunkRoot"));
    let keys = |case: &str| report.rows.iter().find(|r| r.case.starts_with(case)).map(|r| r.keys);
    let accrual = 1 + 3 + 8 + 8;
    assert_eq!(keys("beginning"), Some(5 + 4 * 3 + accrual));
    assert_eq!(keys("beginning-ground"), Some(5 + 4 * 8 + accrual));
    assert_eq!(fault("header-undecodable"), Some("UndecodableHeader"));
    assert_eq!(fault("chunk-oversized"), Some("UndecodableHeader"));
    assert_eq!(fault("chunk-undecodable"), Some("UndecodableChunk"));
    assert_eq!(fault("chunk-inadmissible"), Some("InadmissibleTx"));
    // The widest blob proof: two cells opened (docs/fraud-proofs.md §8.3).
    assert_eq!(fault("blob-segment"), Some("BlobDataMismatch"));
    // The widest roots proof: the most chunk roots a post carries at the end of a blob, six cells
    // (§8.8), after the 116,736 bytes of data they leave room for.
    assert_eq!(fault("blob-roots"), Some("BlobRootsMismatch"));
    let blob_roots = report.rows.iter().find(|r| r.case == "blob-roots").expect("the roots case");
    let most = rollup_types::codec::MAX_BATCH_CHUNKS as usize;
    assert_eq!(blob_roots.data_bytes, rollup_types::blob::roots_range(most).start);
    assert_eq!(blob_roots.data_bytes, 116_736);
    // The money market's heaviest chunks (docs/lending.md §7), each one heavy transaction alone
    // (docs/batch-codec.md §3.1): a borrow and a withdrawal whose payout reads and takes from
    // the cash of all eight shards after a health check over all four markets, and a
    // liquidation that writes off what the borrower's collateral did not cover, touching its
    // shard of every market; then each over a state ground around its keys.
    for case in ["borrow", "withdraw-supply", "liquidate"] {
        assert_eq!(fault(case), Some("WrongChunkRoot"), "{case}");
        let ground = format!("{case}-ground");
        assert_eq!(fault(&ground), Some("WrongChunkRoot"), "{ground}");
        assert_eq!(keys(case), keys(&ground), "{case}: the grinding deepens its paths, adds none");
    }
    for row in report.rows.iter().filter(|r| r.case != "chunk-oversized" && r.case != "blob-roots") {
        // Within a few transactions (about 120 bytes with its fees) of the 120,000-byte bound:
        // the most chunks come first, and each block of one padding call takes a byte of heavy
        // runs beside its beginning and its chunk.
        assert!(row.data_bytes > 119_600 && row.data_bytes <= 120_000, "{row:?}");
        // 255 chunks or more: with a registry of 2,048 addresses, 120,000 bytes leave room for
        // 255 to 269 of the 320 a batch may have (a block of one transaction takes two: its
        // beginning and its item).
        assert!(row.chunks >= 255, "{row:?}");
        if !row.case.starts_with("header") && !row.case.starts_with("chunk-") && !row.case.starts_with("blob") {
            assert_eq!(row.fault, "WrongChunkRoot", "{row:?}");
        }
    }
}

/// Issue 38's first attack as posted: a megabyte of data, whose proof needed 33.7 M gas, is
/// refused at posting, on an L1 that enforces EIP-7825, before any proof is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_larger_than_a_proof_can_carry_is_refused() {
    use alloy::{network::TransactionBuilder, providers::Provider, rpc::types::TransactionRequest};
    use alloy_primitives::{B256, U256};
    use alloy_sol_types::SolCall;
    use rollup_devnet::anvil::{Anvil, AnvilConfig};
    use rollup_l1::{self as l1, InboxParams};
    use rollup_types::{bindings::BatchInbox, genesis::DEV_ACCOUNTS};

    let config = AnvilConfig {
        // A free port, chosen again if taken before anvil binds it.
        port: 0,
        block_time: None,
        gas_limit: Some(60_000_000),
        state_file: None,
        log_file: None,
    };
    let anvil = Anvil::spawn(&config).await.expect("anvil");
    let url: url::Url = anvil.url().parse().expect("url");
    let params = InboxParams {
        batcher: DEV_ACCOUNTS[1].address,
        challenge_window: 3_600,
        stake: U256::from(1_000u64),
        genesis_state_root: B256::repeat_byte(0x11),
        genesis_ether: U256::ZERO,
        chunk_size: rollup_types::chain::DEFAULT_CHUNK_SIZE,
        l2_chain_id: 42_069,
        inclusion_window: l1::DEFAULT_INCLUSION_WINDOW,
        freeze_delay: l1::DEFAULT_FREEZE_DELAY,
    };
    let deployment = rollup_devnet::deploy(&url, &DEV_ACCOUNTS[0].private_key, &params).await.expect("deploy");
    let (batcher, _, _) = l1::signing_provider(&url, &DEV_ACCOUNTS[1].private_key).expect("batcher");
    l1::deploy::stake(&batcher, deployment.batch_inbox, params.stake).await.expect("stake");
    let post = |bytes: usize| {
        let call = BatchInbox::postBatchCall {
            index: U256::ZERO,
            prevStateRoot: params.genesis_state_root,
            lastBlock: 1,
            queueEnd: 0,
            queueAccumulator: B256::ZERO,
            data: vec![0u8; bytes].into(),
            chunkRoots: vec![B256::repeat_byte(0x66)],
        };
        TransactionRequest::default()
            .with_to(deployment.batch_inbox)
            .with_input(call.abi_encode())
            .with_gas_limit(16_000_000)
    };
    let refused = batcher.call(post(1_000_000)).await.expect_err("a megabyte is refused");
    let error = refused
        .as_error_resp()
        .and_then(|e| e.as_decoded_interface_error::<BatchInbox::BatchInboxErrors>())
        .expect("a decoded inbox error");
    assert!(
        matches!(&error, BatchInbox::BatchInboxErrors::DataTooLarge(e) if e.length == U256::from(1_000_000u64) && e.max == U256::from(120_000u64)),
        "{error:?}"
    );
    // At the bound the same post is taken.
    batcher.call(post(120_000)).await.expect("120,000 bytes are taken");
    anvil.stop().await.expect("stop");
}
