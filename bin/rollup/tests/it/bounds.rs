#![allow(clippy::print_stderr)]
//! The proof bound (docs/fraud-proofs.md §7), held at its worst: for every kind of fault, the
//! batch that makes the honest challenger's proof as expensive as the inbox's and the codec's
//! bounds allow, over a state of a million leaves, posted on an anvil that enforces EIP-7825,
//! and proven there under 12,000,000 gas. The same cases as `rollup bench proof-bounds`, whose
//! figures BENCHMARKS.md records.

use rollup::bounds_bench::{BoundsBench, PROOF_GAS_BOUND};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fraud_at_the_bounds_is_proven_under_the_proof_bound() {
    let bench = BoundsBench { leaves: 1_000_000, cases: Vec::new(), ground_bits: 40 };
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
    assert_eq!(fault("header-undecodable"), Some("UndecodableHeader"));
    assert_eq!(fault("chunk-undecodable"), Some("UndecodableChunk"));
    assert_eq!(fault("chunk-inadmissible"), Some("InadmissibleTx"));
    for row in &report.rows {
        assert!(row.data_bytes > 119_900 && row.data_bytes <= 120_000, "{row:?}");
        assert_eq!(row.chunks, 256, "{row:?}");
        if !row.case.starts_with("header") && !row.case.starts_with("chunk-") {
            assert_eq!(row.fault, "WrongChunkRoot", "{row:?}");
        }
    }
}
