//! What a byte of batch data will cost on L1 once it is posted (docs/fees.md §4): the number the
//! sequencer prices each block's L1 data from. The queue reader records it each time it reads
//! a new confirmed L1 block, from the fees up to the head.
//!
//! A byte is priced when its transaction is included and paid for when its batch is mined, a
//! backlog later. Under load the L1 fees rise over that lag (the rollup's own posts fill the L1
//! blocks: EIP-1559 raises the base fee by an eighth a full block), and a price read from the
//! fees of the moment left the operator short: fees covered 0.82 of what the posts cost in the
//! later half of a `rollup bench e2e` run with calldata (BENCHMARKS.md, "What fees pay for").
//! So the fees read are projected over the lag: at the rate they rose over the last
//! [`FEE_HISTORY_BLOCKS`] L1 blocks (never more than an eighth a block, what EIP-1559 and
//! EIP-4844 allow; never down), for as many L1 blocks as the oldest block not yet posted has
//! waited, and one more for the post to be mined.

use crate::{DaMode, error::BatcherError};
use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
};
use alloy_primitives::U256;
use rollup_chain_store::Store;
use tracing::warn;

/// L1 blocks of fee history the rise of the fees is measured over.
pub const FEE_HISTORY_BLOCKS: u64 = 8;
/// L1 blocks of fee history read: alloy's fee estimate reads ten, so that one request gives both
/// the rise and the tip the batcher's posts are given.
const FEE_HISTORY_READ: u64 = if alloy::providers::utils::EIP1559_FEE_ESTIMATION_PAST_BLOCKS > FEE_HISTORY_BLOCKS {
    alloy::providers::utils::EIP1559_FEE_ESTIMATION_PAST_BLOCKS
} else {
    FEE_HISTORY_BLOCKS
};
/// Most L1 blocks a fee is projected over: 16 blocks at the largest rise multiply it by 6.6.
pub const MAX_LAG_BLOCKS: u64 = 16;
/// The largest rise of an L1 fee in a block: EIP-1559's eighth of the base fee; the blob base
/// fee's is at most as much (e^(3·131,072/3,338,477) = 1.125 under Cancun's parameters, 1.082
/// under Prague's and BPO2's).
const MAX_RISE_PER_BLOCK: f64 = 1.125;

/// Parts of a thousand: how [`CalldataShare`] counts.
pub const PERMILLE: u64 = 1_000;

/// Posts the share of posts in calldata is averaged over: each post moves it a
/// thirty-second of the way (an exponential moving average).
pub const SHARE_SMOOTHING: u64 = 32;

/// The share of its posts the batcher sends in calldata with `--batcher.da auto`, in parts of
/// a thousand, averaged over its last posts ([`SHARE_SMOOTHING`]): what it expects of its next
/// ones. A snapshot of the posts in flight swung between 18 % and 47 % within an L1 block at
/// 12 s blocks (the blob posts are built first, the calldata ones once the blob room is full).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CalldataShare(pub u64);

impl CalldataShare {
    /// The share after one more post, in calldata if `in_calldata`.
    pub const fn after_post(self, in_calldata: bool) -> Self {
        let post = if in_calldata { PERMILLE } else { 0 };
        let old = if self.0 > PERMILLE { PERMILLE } else { self.0 };
        Self((old * (SHARE_SMOOTHING - 1) + post + SHARE_SMOOTHING / 2) / SHARE_SMOOTHING)
    }
}

/// What a byte of batch data costs on L1 when a post's gas costs `gas_price` wei and blob gas
/// `blob_fee` wei (`None`: not read), the batcher posting as `da` says: in calldata; in a blob;
/// or with auto, blobs when they are the cheaper, for the share of posts not in calldata
/// (`calldata`, what the batcher expects), calldata's for the rest. Calldata's without a blob
/// fee.
pub fn l1_byte_cost(da: DaMode, gas_price: u128, blob_fee: Option<u128>, calldata: CalldataShare) -> u128 {
    let in_calldata = rollup_types::fees::calldata_byte_cost(gas_price);
    let Some(blob_fee) = blob_fee.filter(|_| da != DaMode::Calldata) else { return in_calldata };
    let in_blob = rollup_types::fees::blob_byte_cost(gas_price, blob_fee);
    match da {
        DaMode::Blobs => in_blob,
        _ => {
            let share = U256::from(calldata.0.min(PERMILLE));
            let mixed = U256::from(in_calldata) * share + U256::from(in_blob) * (U256::from(PERMILLE) - share);
            mixed.div_ceil(U256::from(PERMILLE)).saturating_to::<u128>().min(in_calldata)
        }
    }
}

/// The fee `lag_blocks` L1 blocks after the last of `fees` (a fee history, oldest first), at the
/// rate it rose over them: their geometric mean rise a block, at most an eighth, never below
/// one; `lag_blocks` at most [`MAX_LAG_BLOCKS`]. The last fee as it is when the history holds
/// fewer than two fees or a zero.
pub fn project(fees: &[u128], lag_blocks: u64) -> u128 {
    let (Some(&first), Some(&last)) = (fees.first(), fees.last()) else { return 0 };
    if fees.len() < 2 || first == 0 || last <= first {
        return last;
    }
    let rise = (last as f64 / first as f64).powf(1.0 / (fees.len() - 1) as f64).min(MAX_RISE_PER_BLOCK);
    let factor = rise.powi(lag_blocks.min(MAX_LAG_BLOCKS) as i32);
    // A float cast saturates; the factor is at least one, so the projection never falls.
    ((last as f64 * factor) as u128).max(last)
}

/// L1 blocks from now until a byte included now is paid for on L1: as many as the oldest block
/// not yet posted has waited (`backlog_secs`, L1 blocks `l1_block_secs` apart), rounded up,
/// and one for its post to be mined.
pub fn lag_blocks(backlog_secs: u64, l1_block_secs: u64) -> u64 {
    backlog_secs.div_ceil(l1_block_secs.max(1)).saturating_add(1).min(MAX_LAG_BLOCKS)
}

/// Seconds the oldest L2 block not in a mined batch has waited (0 when every block is posted).
async fn backlog_secs(store: &Store) -> Result<u64, BatcherError> {
    let next = store.latest_batch().await?.map_or(1, |b| b.last_block + 1);
    let Some(block) = store.block(next).await? else { return Ok(0) };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    Ok(now.saturating_sub(block.header.timestamp))
}

/// Seconds between the L1 blocks of the [`FEE_HISTORY_BLOCKS`] up to `newest`, on average (at
/// least one).
async fn l1_block_secs(provider: &DynProvider, newest: u64) -> Result<u64, BatcherError> {
    let oldest = newest.saturating_sub(FEE_HISTORY_BLOCKS);
    let timestamp = async |n: u64| -> Result<Option<u64>, BatcherError> {
        let block = provider.get_block_by_number(n.into()).await.map_err(BatcherError::l1)?;
        Ok(block.map(|b| b.header.timestamp))
    };
    match (timestamp(oldest).await?, timestamp(newest).await?) {
        (Some(a), Some(b)) if newest > oldest => Ok((b.saturating_sub(a) / (newest - oldest)).max(1)),
        _ => Ok(1),
    }
}

/// The L1 fees a post will pay, projected over the lag (the module's rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeesAhead {
    /// The newest L1 block read.
    pub newest: u64,
    /// A post's gas price: the projected base fee plus the tip the batcher's fee estimate gives
    /// a post.
    pub gas_price: u128,
    /// The projected blob base fee (`None`: not read, or the batcher posts calldata only).
    pub blob_fee: Option<u128>,
}

impl FeesAhead {
    /// What a byte of batch data costs at these fees, the batcher posting as `da` says with
    /// `calldata` of its posts in calldata.
    pub fn byte_cost(&self, da: DaMode, calldata: CalldataShare) -> u128 {
        l1_byte_cost(da, self.gas_price, self.blob_fee, calldata)
    }
}

/// The fees of the last [`FEE_HISTORY_BLOCKS`] blocks of a fee history and the next block's.
fn recent(fees: &[u128]) -> &[u128] {
    &fees[fees.len().saturating_sub(FEE_HISTORY_BLOCKS as usize + 1)..]
}

/// The fees a post will pay, read from the L1 up to block `newest` and projected over the lag
/// (the module's rule). `None` on an L1 without EIP-1559.
pub async fn fees_ahead(
    provider: &DynProvider,
    store: &Store,
    da: DaMode,
    newest: u64,
) -> Result<Option<FeesAhead>, BatcherError> {
    let percentile = alloy::providers::utils::EIP1559_FEE_ESTIMATION_REWARD_PERCENTILE;
    let history = provider
        .get_fee_history(FEE_HISTORY_READ, BlockNumberOrTag::Number(newest), &[percentile])
        .await
        .map_err(BatcherError::l1)?;
    let Some(&next_base_fee) =
        history.base_fee_per_gas.last().filter(|_| history.base_fee_per_gas.iter().any(|f| *f > 0))
    else {
        return Ok(None);
    };
    // The tip the batcher's posts are given (`estimate_eip1559_fees`, from the same history).
    let rewards = history.reward.as_deref().unwrap_or_default();
    let tip = alloy::providers::utils::eip1559_default_estimator(next_base_fee, rewards).max_priority_fee_per_gas;
    let lag = lag_blocks(backlog_secs(store).await?, l1_block_secs(provider, newest).await?);
    let gas_price = project(recent(&history.base_fee_per_gas), lag).saturating_add(tip);
    let blob_fee = match da {
        DaMode::Calldata => None,
        _ if history.base_fee_per_blob_gas.iter().any(|f| *f > 0) => {
            Some(project(recent(&history.base_fee_per_blob_gas), lag))
        }
        _ => match provider.get_blob_base_fee().await {
            Ok(fee) => Some(fee),
            Err(err) => {
                warn!(target: "batcher::queue", %err, "could not read the blob base fee; pricing calldata");
                None
            }
        },
    };
    Ok(Some(FeesAhead { newest, gas_price, blob_fee }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rising_fee_is_projected_at_its_rate_capped_at_an_eighth_a_block() {
        // 1,000 to 1,210 over two blocks: a tenth a block, for three blocks more.
        assert_eq!(project(&[1_000, 1_100, 1_210], 3), 1_610);
        // Doubling a block is projected at an eighth.
        assert_eq!(project(&[1_000, 2_000], 2), 2_531, "2,000 · 1.125²");
        // No lag, no change; the lag is capped.
        assert_eq!(project(&[1_000, 2_000], 0), 2_000);
        assert_eq!(project(&[1_000, 2_000], 100), project(&[1_000, 2_000], MAX_LAG_BLOCKS));
        assert_eq!(project(&[1_000, 2_000], MAX_LAG_BLOCKS), 13_166, "2,000 · 1.125^16");
    }

    #[test]
    fn a_falling_flat_short_or_zero_history_is_the_last_fee() {
        assert_eq!(project(&[2_000, 1_000], 10), 1_000, "never projected down");
        assert_eq!(project(&[1_000, 1_000], 10), 1_000);
        assert_eq!(project(&[1_000], 10), 1_000);
        assert_eq!(project(&[], 10), 0);
        assert_eq!(project(&[0, 5], 10), 5, "a zero (pre-fork) block gives no rate");
        assert_eq!(project(&[1, u128::MAX], 16), u128::MAX, "saturates");
    }

    #[test]
    fn the_lag_counts_the_backlog_in_l1_blocks_and_the_post() {
        assert_eq!(lag_blocks(0, 12), 1);
        assert_eq!(lag_blocks(1, 12), 2);
        assert_eq!(lag_blocks(24, 12), 3);
        assert_eq!(lag_blocks(5, 1), 6);
        assert_eq!(lag_blocks(5, 0), 6, "a zero interval counts as a second");
        assert_eq!(lag_blocks(u64::MAX, 1), MAX_LAG_BLOCKS);
    }

    #[test]
    fn the_cost_of_a_byte_follows_how_the_batcher_posts() {
        let gas = 1_000_000_000;
        let calldata = rollup_types::fees::calldata_byte_cost(gas);
        let blob = rollup_types::fees::blob_byte_cost(gas, 1);
        assert!(blob < calldata);
        let none = CalldataShare(0);
        assert_eq!(l1_byte_cost(DaMode::Calldata, gas, Some(1), none), calldata);
        assert_eq!(l1_byte_cost(DaMode::Blobs, gas, Some(1), CalldataShare(PERMILLE)), blob);
        assert_eq!(l1_byte_cost(DaMode::Auto, gas, Some(1), none), blob);
        assert_eq!(l1_byte_cost(DaMode::Auto, gas, Some(1), CalldataShare(PERMILLE)), calldata, "all in calldata");
        let half = l1_byte_cost(DaMode::Auto, gas, Some(1), CalldataShare(500));
        assert_eq!(half, (calldata + blob).div_ceil(2), "half the posts in calldata");
        assert_eq!(l1_byte_cost(DaMode::Auto, gas, Some(1), CalldataShare(u64::MAX)), calldata, "a share over all");
        assert_eq!(l1_byte_cost(DaMode::Auto, gas, None, none), calldata, "no blob fee read");
        assert_eq!(l1_byte_cost(DaMode::Auto, gas, Some(u128::MAX), none), calldata, "blobs dearer");
        assert_eq!(l1_byte_cost(DaMode::Blobs, gas, None, none), calldata, "no blob fee read");
    }

    #[test]
    fn the_share_averages_the_posts() {
        let mut share = CalldataShare(0);
        assert_eq!(share.after_post(false), CalldataShare(0));
        assert_eq!(share.after_post(true), CalldataShare(31), "a thirty-second of the way");
        assert_eq!(CalldataShare(PERMILLE).after_post(true), CalldataShare(PERMILLE));
        assert_eq!(CalldataShare(u64::MAX).after_post(true), CalldataShare(PERMILLE), "over all counts as all");
        // Nine blob posts and seven calldata ones an L1 block, as at 12 s blocks: the share
        // settles near 7/16 and moves little within a block.
        let (mut low, mut high) = (PERMILLE, 0);
        for block in 0..40 {
            for post in 0..16 {
                share = share.after_post(post >= 9);
                if block >= 30 {
                    (low, high) = (low.min(share.0), high.max(share.0));
                }
            }
        }
        assert!(low > 330 && high < 560, "{low}..{high}");
    }
}
