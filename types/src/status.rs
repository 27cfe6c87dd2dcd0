//! Status that one component publishes for another to show (the challenger's verdicts are
//! shown by the sequencer's `/v1/status` in devnet mode).

use alloy_primitives::{B256, U256};
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

/// What a component publishes about itself: its status JSON, and the same as Prometheus metrics.
pub trait Report: Serialize + Clone + Send + Sync + 'static {
    /// The status as Prometheus metrics (text exposition format), appended to `out`.
    fn render_prometheus(&self, out: &mut String);
}

impl Report for BatcherStatus {
    fn render_prometheus(&self, out: &mut String) {
        Self::render_prometheus(self, out);
    }
}

impl Report for ChallengerStatus {
    fn render_prometheus(&self, out: &mut String) {
        Self::render_prometheus(self, out);
    }
}

/// A post the challenger cannot read: the inbox recorded a batch whose data it cannot rebuild
/// from the transaction that emitted the event (docs/fraud-proofs.md §5). No verdict can be
/// reached on it, nor on any batch after it: an alarm for an operator, never a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadablePost {
    /// Batch index in the inbox.
    pub batch_index: u64,
    /// The L1 transaction that emitted the inbox's `BatchPosted`.
    pub l1_tx: B256,
    /// Why it cannot be read.
    pub reason: String,
}

/// What the challenger has concluded so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengerStatus {
    /// Last L1 block it has read.
    pub l1_block: u64,
    /// Batches of the inbox it has judged, as the inbox holds them now (a rollback or a reorg
    /// removes the ones it takes out).
    pub batches_checked: u64,
    /// Index of the last batch it verified.
    pub last_verified_batch: Option<u64>,
    /// State root after that batch.
    pub last_verified_state_root: Option<B256>,
    /// Last L2 block covered by that batch.
    pub last_verified_l2_block: Option<u64>,
    /// Batches that did not verify.
    pub mismatches: Vec<Mismatch>,
    /// Fraud proofs it sent, oldest first.
    #[serde(default)]
    pub proofs: Vec<ProofReport>,
    /// Times the inbox rolled batches back.
    #[serde(default)]
    pub rollbacks: u64,
    /// Times it took back what it had read because an L1 reorg replaced it.
    #[serde(default)]
    pub reorgs: u64,
    /// Mismatch verdicts reached since start, including any a reorg later took back (the list
    /// `mismatches` holds the current ones).
    #[serde(default)]
    pub mismatch_verdicts: u64,
    /// The L1 block of the snapshot it resumed from at start (`None`: from genesis).
    #[serde(default)]
    pub resumed_from: Option<u64>,
    /// The post it is stopped at because it cannot read it (`None`: none). It reads that post
    /// again every round, and judges nothing after it until it can.
    #[serde(default)]
    pub unreadable: Option<UnreadablePost>,
    /// Posts it found it could not read, since start.
    #[serde(default)]
    pub unreadable_posts: u64,
}

impl ChallengerStatus {
    /// The status as Prometheus metrics (text exposition format), appended to `out`.
    pub fn render_prometheus(&self, out: &mut String) {
        use std::fmt::Write as _;
        let rows: [(&str, &str, &str, u64); 9] = [
            ("rollup_challenger_l1_block", "gauge", "Last L1 block read", self.l1_block),
            (
                "rollup_challenger_last_verified_batch",
                "gauge",
                "Index of the last batch verified",
                self.last_verified_batch.unwrap_or(0),
            ),
            ("rollup_challenger_batches_checked", "gauge", "Batches of the inbox judged", self.batches_checked),
            (
                "rollup_challenger_mismatches",
                "gauge",
                "Batches judged invalid and not rolled back",
                self.mismatches.len() as u64,
            ),
            (
                "rollup_challenger_unreadable",
                "gauge",
                "1 while it is stopped at a post it cannot read (it judges nothing after it)",
                u64::from(self.unreadable.is_some()),
            ),
            (
                "rollup_challenger_unreadable_posts_total",
                "counter",
                "Posts it could not read since start",
                self.unreadable_posts,
            ),
            (
                "rollup_challenger_mismatch_verdicts_total",
                "counter",
                "Mismatch verdicts since start",
                self.mismatch_verdicts,
            ),
            ("rollup_challenger_rollbacks_total", "counter", "Rollbacks of the inbox seen", self.rollbacks),
            ("rollup_challenger_reorgs_total", "counter", "L1 reorgs taken back", self.reorgs),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        let proven = self.proofs.iter().filter(|p| p.state == ProofState::Proven).count();
        let name = "rollup_challenger_proofs_proven_total";
        let _ =
            writeln!(out, "# HELP {name} Fraud proofs accepted by the inbox\n# TYPE {name} counter\n{name} {proven}");
    }
}

/// Where a fraud proof stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProofState {
    /// Built; the commitment is not mined yet.
    Built,
    /// The commitment is mined; the proof goes in a later L1 block.
    Committed,
    /// The inbox accepted the proof: the batch and its descendants are rolled back.
    Proven,
    /// The proof cannot succeed (the batch was finalized or rolled back meanwhile, or the
    /// inbox refused it); `error` says why.
    Failed,
}

/// A fraud proof the challenger sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofReport {
    /// Batch it proves fraudulent.
    pub batch_index: u64,
    /// `header` or `chunk N`.
    pub target: String,
    /// The commitment made for it (`BatchInbox.proofCommitment`), when it could be built and a
    /// prover key is set.
    #[serde(default)]
    pub commitment: Option<B256>,
    /// What it shows.
    pub reason: String,
    /// Where it stands.
    pub state: ProofState,
    /// L1 transaction of the commitment.
    pub commit_tx: Option<B256>,
    /// L1 transaction of the proof.
    pub proof_tx: Option<B256>,
    /// L1 gas the proof used.
    pub gas_used: Option<u64>,
    /// Bytes of the proof's calldata.
    pub calldata_bytes: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// The claim to the reward the proof earned (`BatchInbox.claims`), once proven.
    #[serde(default)]
    pub claim: Option<u64>,
    /// Where the reward stands, once proven.
    #[serde(default)]
    pub reward: Option<RewardState>,
    /// L1 transaction that collected the reward (`claimReward`).
    #[serde(default)]
    pub reward_tx: Option<B256>,
    /// Wei the reward paid.
    #[serde(default)]
    pub reward_wei: Option<U256>,
}

/// Where the reward of a proven fraud proof stands (docs/fraud-proofs.md §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RewardState {
    /// Paid once the batch before the one proven is final.
    Pending,
    /// Collected.
    Paid,
    /// A proof of an earlier batch rolled back the batch before the one proven: the reward
    /// went to that proof's prover.
    Superseded,
}

impl RewardState {
    /// Its name in the challenger's database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Superseded => "superseded",
        }
    }

    /// The state a name in the challenger's database stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "paid" => Some(Self::Paid),
            "superseded" => Some(Self::Superseded),
            _ => None,
        }
    }
}

/// Whether the batcher is getting batches onto L1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BatcherState {
    /// Nothing to post, or a post is on its way.
    #[default]
    Running,
    /// Posting fails and needs an operator (no funds, reverted posts): it keeps retrying and
    /// resumes by itself once the cause is fixed.
    Stalled,
}

/// What one post, and one block, can carry on the L1 (read from the L1 node by the batcher).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostLimits {
    /// The L1's block gas limit.
    pub l1_block_gas_limit: u64,
    /// The L1's per-transaction gas cap (EIP-7825), when it has one.
    pub l1_tx_gas_cap: Option<u64>,
    /// The most gas a post may use (room is kept for its header proof).
    pub post_gas: u64,
    /// The most batch data one post carries.
    pub max_post_bytes: u64,
    /// The most a block may encode to on its own to fit one post (what the sequencer bounds
    /// its blocks by).
    pub max_block_bytes: u64,
}

/// A post the batcher has in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InFlightPost {
    /// Index of the (first) batch it posts.
    pub batch_index: u64,
    /// Batches it posts (several for a post of several blobs, one each).
    #[serde(default)]
    pub batches: u64,
    /// Blobs it carries (none for a calldata post).
    #[serde(default)]
    pub blobs: u64,
    /// The batcher account's nonce.
    pub nonce: u64,
    /// Latest signed attempt.
    pub tx_hash: B256,
    /// Attempts signed so far (1 + fee bumps).
    pub attempts: u64,
}

/// What the batcher publishes about its posting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatcherStatus {
    /// Running or stalled.
    pub state: BatcherState,
    /// Why it is stalled, or the last error it recovered from.
    pub last_error: Option<String>,
    /// The posts in flight (signed, not yet mined), by nonce.
    #[serde(default)]
    pub in_flight: Vec<InFlightPost>,
    /// What one post can carry on the L1.
    #[serde(default)]
    pub limits: Option<PostLimits>,
    /// Sealed L2 blocks not yet in a batch mined on L1.
    #[serde(default)]
    pub unposted_blocks: u64,
    /// The most blobs of its posts it keeps in flight: `--batcher.blobs-per-block` within the
    /// L1's blob schedule (0 when it posts calldata only).
    #[serde(default)]
    pub blob_room: u64,
    /// Index of the last batch mined on L1.
    pub last_posted_batch: Option<u64>,
    /// Its last L2 block.
    pub last_posted_l2_block: Option<u64>,
    /// Batches posted since start.
    pub batches_posted: u64,
    /// Fee bumps since start.
    pub fee_bumps: u64,
    /// Posts re-broadcast (after a restart, or dropped by the L1 node) since start.
    pub rebroadcasts: u64,
    /// Batches that fell out of L1 in a reorg and were posted again, since start.
    pub reorged_batches: u64,
    /// Posts that were mined and reverted, since start.
    pub reverted_posts: u64,
    /// EIP-7702 delegations of the batcher account it found and cleared since start (the inbox
    /// takes posts only from an account without code).
    #[serde(default)]
    pub delegations_cleared: u64,
}

impl BatcherStatus {
    /// The status as Prometheus metrics (text exposition format), appended to `out`.
    pub fn render_prometheus(&self, out: &mut String) {
        use std::fmt::Write as _;
        let rows: [(&str, &str, &str, u64); 14] = [
            (
                "rollup_batcher_stalled",
                "gauge",
                "1 while posting fails until an operator acts",
                u64::from(self.state == BatcherState::Stalled),
            ),
            ("rollup_batcher_posts_in_flight", "gauge", "Posts signed and not yet mined", self.in_flight.len() as u64),
            (
                "rollup_batcher_in_flight_attempts",
                "gauge",
                "Signed attempts of the posts in flight",
                self.in_flight.iter().map(|p| p.attempts).sum(),
            ),
            (
                "rollup_batcher_blobs_in_flight",
                "gauge",
                "Blobs of the posts signed and not yet mined",
                self.in_flight.iter().map(|p| p.blobs).sum(),
            ),
            (
                "rollup_batcher_blob_room",
                "gauge",
                "Most blobs of its posts the batcher keeps in flight (its share of an L1 block's blob room)",
                self.blob_room,
            ),
            (
                "rollup_batcher_unposted_blocks",
                "gauge",
                "Sealed L2 blocks not yet in a batch mined on L1",
                self.unposted_blocks,
            ),
            (
                "rollup_batcher_max_post_bytes",
                "gauge",
                "Most batch data one post carries on this L1",
                self.limits.map_or(0, |l| l.max_post_bytes),
            ),
            (
                "rollup_batcher_last_posted_batch",
                "gauge",
                "Index of the last batch mined on L1",
                self.last_posted_batch.unwrap_or(0),
            ),
            ("rollup_batcher_batches_posted_total", "counter", "Batches mined on L1 since start", self.batches_posted),
            (
                "rollup_batcher_fee_bumps_total",
                "counter",
                "Posts re-signed with higher fees since start",
                self.fee_bumps,
            ),
            ("rollup_batcher_rebroadcasts_total", "counter", "Posts broadcast again since start", self.rebroadcasts),
            (
                "rollup_batcher_reorged_batches_total",
                "counter",
                "Batches an L1 reorg took out since start",
                self.reorged_batches,
            ),
            (
                "rollup_batcher_reverted_posts_total",
                "counter",
                "Posts mined and reverted since start",
                self.reverted_posts,
            ),
            (
                "rollup_batcher_delegations_cleared_total",
                "counter",
                "EIP-7702 delegations of the batcher account cleared since start",
                self.delegations_cleared,
            ),
        ];
        for (name, kind, help, value) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
    }
}
