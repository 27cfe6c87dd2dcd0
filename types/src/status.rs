//! Status that one component publishes for another to show (the challenger's verdicts are
//! shown by the sequencer's `/v1/status` in devnet mode).

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// A batch whose posted roots the challenger could not reproduce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    /// Batch index in the inbox.
    pub batch_index: u64,
    /// What differed.
    pub reason: String,
    /// State root posted on L1.
    pub posted_root: B256,
    /// State root the challenger computed, when it could execute the batch.
    pub computed_root: Option<B256>,
}

/// What the challenger has concluded so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengerStatus {
    /// Last L1 block it has read.
    pub l1_block: u64,
    /// Batches it has checked.
    pub batches_checked: u64,
    /// Index of the last batch it verified.
    pub last_verified_batch: Option<u64>,
    /// State root after that batch.
    pub last_verified_state_root: Option<B256>,
    /// Last L2 block covered by that batch.
    pub last_verified_l2_block: Option<u64>,
    /// Batches that did not verify.
    pub mismatches: Vec<Mismatch>,
}
