//! The queue reader: takes the bridge's L1 → L2 queue (its `DepositQueued` and
//! `TransactionForced` events) into the chain database, in queue order with the accumulator
//! after each entry, at a confirmation depth; the sequencer includes what is there in its next
//! blocks (docs/bridge.md §2-3). It runs in the batcher's rounds: whoever posts batches keeps
//! the queue the batches must consume current. From the same blocks it records the withdrawals
//! the bridge paid (`WithdrawalFinalized`), for the API's withdrawal lifecycle (§5).
//!
//! L1 reorgs: the reader remembers the last block it read and its hash. When that block is no
//! longer canonical it compares its newest entries with the bridge's accumulators, drops the
//! ones the L1 no longer holds and reads again from the block of the last one it kept. An
//! entry an L2 block already consumed cannot be dropped: that needs a reorg deeper than the
//! confirmations, and posting stalls with the reason (the inbox would refuse the post anyway).

use crate::{
    DaMode,
    error::BatcherError,
    l1_price::{CalldataShare, FeesAhead},
};
use alloy::{
    eips::BlockId,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use rollup_chain_store::{QueueReaderPosition, QueuedEntry, Store, WithdrawalPayout};
use rollup_types::{bindings::L1Bridge, queue};
use tracing::{info, warn};

/// Most L1 blocks one `eth_getLogs` asks for.
const MAX_LOG_RANGE: u64 = 2_000;

/// Where and how deep the queue reader reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueReaderConfig {
    /// The first L1 block that can hold an entry (the bridge's deployment block).
    pub from_block: u64,
    /// L1 blocks an entry must be under before the L2 includes it. It must stay well below
    /// the bridge's inclusion window (the devnet: 2 against 20).
    pub confirmations: u64,
    /// How the batcher posts, which says what a byte costs on L1 (the batcher sets it from its
    /// own `da`).
    pub da: DaMode,
}

impl Default for QueueReaderConfig {
    fn default() -> Self {
        Self { from_block: 0, confirmations: 2, da: DaMode::Auto }
    }
}

/// Reads the bridge's queue into the chain database.
#[derive(Debug)]
pub struct QueueReader {
    provider: DynProvider,
    bridge: Address,
    store: Store,
    config: QueueReaderConfig,
    /// The share of its posts the batcher sends in calldata (`l1_price::CalldataShare`).
    calldata_share: std::sync::atomic::AtomicU64,
    /// The L1 fees last read, and the cost of a byte last recorded at them.
    fees: std::sync::Mutex<Option<(FeesAhead, u128)>>,
}

impl QueueReader {
    /// A reader of `bridge`'s queue.
    pub fn new(provider: DynProvider, bridge: Address, store: Store, config: QueueReaderConfig) -> Self {
        Self {
            provider,
            bridge,
            store,
            config,
            calldata_share: std::sync::atomic::AtomicU64::new(0),
            fees: std::sync::Mutex::new(None),
        }
    }

    /// Counts the posts the batcher built in a round (`true` for each in calldata) into the
    /// share of its posts in calldata, and records the L1 cost of a byte again at the fees last
    /// read when the share moved it by more than a sixty-fourth (the sequencer prices its next
    /// blocks from it; the fees are read once an L1 block).
    pub async fn count_posts(&self, in_calldata: &[bool]) -> Result<(), BatcherError> {
        if in_calldata.is_empty() {
            return Ok(());
        }
        let share = in_calldata.iter().fold(self.calldata_share(), |share, c| share.after_post(*c));
        self.calldata_share.store(share.0, std::sync::atomic::Ordering::Relaxed);
        let last = *self.fees.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((fees, recorded)) = last else { return Ok(()) };
        let cost = fees.byte_cost(self.config.da, share);
        if cost.abs_diff(recorded) > recorded / 64 {
            self.record_cost(fees, cost).await?;
        }
        Ok(())
    }

    /// The share of its posts the batcher sends in calldata, as counted.
    pub fn calldata_share(&self) -> CalldataShare {
        CalldataShare(self.calldata_share.load(std::sync::atomic::Ordering::Relaxed))
    }

    async fn record_cost(&self, fees: FeesAhead, cost: u128) -> Result<(), BatcherError> {
        self.store.set_l1_byte_cost(fees.newest, cost).await?;
        *self.fees.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((fees, cost));
        Ok(())
    }

    /// The bridge it reads.
    pub const fn bridge(&self) -> Address {
        self.bridge
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, BatcherError> {
        let block = self.provider.get_block_by_number(number.into()).await.map_err(BatcherError::l1)?;
        Ok(block.map(|b| b.header.hash))
    }

    /// The bridge's accumulator after `count` entries, on block `at`.
    async fn accumulator(&self, count: u64, at: BlockId) -> Result<B256, BatcherError> {
        let call = L1Bridge::queueAtCall { count: U256::from(count) };
        Ok(rollup_l1::view_at(&self.provider, self.bridge, call, at).await?.accumulator)
    }

    /// Reads the confirmed L1 blocks after the last one read (at most [`MAX_LOG_RANGE`]) and
    /// stores the entries they queued; returns how many.
    pub async fn step(&self) -> Result<u64, BatcherError> {
        let head = self.provider.get_block_number().await.map_err(BatcherError::l1)?;
        let safe = head.saturating_sub(self.config.confirmations);
        let start = match self.store.queue_reader().await? {
            Some(p) => {
                if self.block_hash(p.l1_block).await? != Some(p.l1_hash) {
                    self.rewind(safe).await?;
                    return Ok(0);
                }
                p.l1_block + 1
            }
            None => self.config.from_block,
        };
        if start > safe {
            return Ok(0);
        }
        let to = safe.min(start + MAX_LOG_RANGE - 1);
        let Some(block) = self.provider.get_block_by_number(to.into()).await.map_err(BatcherError::l1)? else {
            return Ok(0);
        };
        let to_hash = block.header.hash;
        // The sequencer prices each block's L1 data from what a byte of a post will cost when it
        // is posted (`l1_price`; docs/fees.md §4). An L1 without EIP-1559 leaves the last one; a
        // failed reading costs the price one reading, never the queue its entries.
        match crate::l1_price::fees_ahead(&self.provider, &self.store, self.config.da, head).await {
            Ok(Some(fees)) => self.record_cost(fees, fees.byte_cost(self.config.da, self.calldata_share())).await?,
            Ok(None) => {}
            Err(err) => {
                warn!(target: "batcher::queue", %err, "could not read the L1's fees; the L1 price keeps its last reading")
            }
        }
        let mut signatures = queue::event_signatures();
        signatures.push(L1Bridge::WithdrawalFinalized::SIGNATURE_HASH);
        let filter = Filter::new().address(self.bridge).event_signature(signatures).from_block(start).to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(BatcherError::l1)?;
        let length = self.store.queue_length().await?;
        let mut acc = match length {
            0 => B256::ZERO,
            n => self.store.queue_entries(n - 1, 1).await?.first().map_or(B256::ZERO, |q| q.accumulator),
        };
        let mut entries: Vec<_> =
            logs.iter().filter_map(|l| queue::entry_of_log(&l.inner.data)).filter(|e| e.index >= length).collect();
        entries.sort_by_key(|e| e.index);
        queue::check_consecutive(length, &entries).map_err(|e| {
            BatcherError::L1(rollup_l1::L1Error::Moved(format!(
                "the bridge's events of blocks {start}..={to} are not the queue's next entries: {e}"
            )))
        })?;
        let queued: Vec<QueuedEntry> = entries
            .into_iter()
            .map(|entry| {
                acc = entry.accumulate(acc);
                QueuedEntry { entry, accumulator: acc }
            })
            .collect();
        if let Some(last) = queued.last() {
            // The events and the bridge's storage agree at the block read up to (a view of the
            // L1 that moved between the calls is read again).
            let held = self.accumulator(last.entry.index + 1, BlockId::hash(to_hash)).await?;
            if held != last.accumulator {
                return Err(BatcherError::L1(rollup_l1::L1Error::Moved(format!(
                    "queue entries up to {} accumulate to {}, the bridge holds {held} at block {to}",
                    last.entry.index, last.accumulator
                ))));
            }
        }
        let payouts: Vec<WithdrawalPayout> = logs.iter().filter_map(payout_of_log).collect();
        let added = queued.len() as u64;
        self.store.append_queue(&queued, &payouts, QueueReaderPosition { l1_block: to, l1_hash: to_hash }).await?;
        if added > 0 {
            info!(target: "batcher::queue", added, next = length + added, l1_block = to, "read bridge queue entries");
        }
        Ok(added)
    }

    /// The last block read left the canonical L1: keeps the entries the bridge still holds
    /// (their accumulators match on block `safe`), drops the rest, and reads again from the
    /// block of the last one kept.
    async fn rewind(&self, safe: u64) -> Result<(), BatcherError> {
        let length = self.store.queue_length().await?;
        let at = BlockId::number(safe);
        let mut kept = length;
        while kept > 0 {
            let stored = self.store.queue_entries(kept - 1, 1).await?;
            let Some(last) = stored.first() else { break };
            if self.accumulator(kept, at).await? == last.accumulator {
                break;
            }
            kept -= 1;
        }
        let consumed = self.store.latest_block().await?.map_or(0, |b| b.header.queue_end);
        if kept < consumed {
            return Err(BatcherError::QueueReorged(format!(
                "queue entry {kept} was consumed by the L2 and the L1 no longer holds it (a reorg deeper than the \
                 queue reader's {} confirmations); the L2 must be rebuilt from before it",
                self.config.confirmations
            )));
        }
        // Read again from the block of the last entry kept (it may hold later entries too).
        let from = match kept {
            0 => self.config.from_block,
            k => self.store.queue_entries(k - 1, 1).await?.first().map_or(self.config.from_block, |q| q.entry.l1_block),
        };
        let back = from.saturating_sub(1);
        let hash = self.block_hash(back).await?.unwrap_or_default();
        let dropped = self.store.drop_queue_from(kept, QueueReaderPosition { l1_block: back, l1_hash: hash }).await?;
        warn!(target: "batcher::queue", kept, dropped, from, "an L1 reorg replaced blocks the queue reader had read");
        Ok(())
    }
}

/// The payout a `WithdrawalFinalized` log records; `None` for any other log (or one a reorg
/// left without its block).
fn payout_of_log(log: &alloy::rpc::types::Log) -> Option<WithdrawalPayout> {
    if log.topic0() != Some(&L1Bridge::WithdrawalFinalized::SIGNATURE_HASH) {
        return None;
    }
    let event = L1Bridge::WithdrawalFinalized::decode_log_data(&log.inner.data).ok()?;
    Some(WithdrawalPayout {
        l2_sender: event.l2Sender,
        index: u64::try_from(event.withdrawalIndex).ok()?,
        l1_block: log.block_number?,
        l1_tx_hash: log.transaction_hash?,
        batch_index: u64::try_from(event.batchIndex).ok()?,
    })
}
