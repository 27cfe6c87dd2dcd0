//! The last blocks sealed, with their transactions and receipts, in memory (docs/api.md §5,
//! "Recent blocks"): what wallets poll for (a receipt just after sending) and what indexers
//! follow at the head (logs of the last blocks) is answered without the database, as an
//! in-memory node (anvil) answers it.
//!
//! A block enters once it is committed to the database, with the records the database then
//! gives back for it ([`IncludedTx::record`]), so that an answer from here is the one the
//! database would give. The oldest blocks leave first, once more than [`MAX_BLOCKS`] blocks or
//! [`MAX_TXS`] transactions are held. Blocks are held in order and without gaps: a read that
//! does not find all it needs here (an older block, a transaction not held) goes to the
//! database.

use crate::{
    node::lock,
    store::{IncludedTx, LogQuery, ReceiptPosition, StoredBlock, TxRecord},
};
use alloy_primitives::{Address, B256, Bloom, map::HashMap};
use rollup_chain_store::{IndexedLog, LogBlock, block_logs};
use std::{
    collections::VecDeque,
    sync::{Arc, OnceLock, RwLock},
};

/// Most blocks held.
pub(super) const MAX_BLOCKS: usize = 256;
/// Most transactions held over all the blocks (about 1 kB each with its receipt and logs).
pub(super) const MAX_TXS: usize = 50_000;

/// A block with its transactions' records, in block order.
#[derive(Debug)]
pub struct RecentBlock {
    /// The block.
    pub block: StoredBlock,
    /// Its transactions, each with its receipt, in block order.
    pub records: Vec<TxRecord>,
    /// Where each receipt sits among the block's (computed once: a receipt of a block of
    /// thousands would otherwise sum all the ones before it at each request).
    pub positions: Vec<ReceiptPosition>,
    /// Each receipt's logs bloom, computed at its first request: hashing every address and
    /// topic of a receipt was the largest item of a receipt request, and clients ask for the
    /// same recent receipts many times. (Not at the block's commit: that would put the work on
    /// block production, for receipts nobody may ask for.)
    blooms: Vec<OnceLock<Bloom>>,
}

impl RecentBlock {
    /// `block` and its transactions `included`, whose senders and nonces are `senders` (in
    /// the same order), as the database records them once the block is committed.
    pub fn new(block: StoredBlock, included: &[IncludedTx], senders: &[(Address, u64)]) -> Self {
        let number = block.header.number;
        let records: Vec<TxRecord> = included
            .iter()
            .zip(senders)
            .enumerate()
            .map(|(index, (tx, (sender, nonce)))| tx.record(*sender, *nonce, number, index as u64))
            .collect();
        let positions = ReceiptPosition::of_block(&records);
        let blooms = records.iter().map(|_| OnceLock::new()).collect();
        Self { block, records, positions, blooms }
    }

    /// `block` with its transactions' records as the database gives them (a follower's).
    pub fn from_records(block: StoredBlock, records: Vec<TxRecord>) -> Self {
        let positions = ReceiptPosition::of_block(&records);
        let blooms = records.iter().map(|_| OnceLock::new()).collect();
        Self { block, records, positions, blooms }
    }

    /// The logs bloom of the receipt of transaction `index` (empty for one without a receipt).
    pub fn bloom(&self, index: usize) -> Option<Bloom> {
        let cell = self.blooms.get(index)?;
        Some(*cell.get_or_init(|| {
            let mut bloom = Bloom::ZERO;
            for log in self.records[index].receipt.iter().flat_map(|r| &r.logs) {
                bloom.accrue_raw_log(log.address, &log.topics);
            }
            bloom
        }))
    }

    /// Appends the logs of this block `query` matches, in order, as the log index gives
    /// them, stopping at `limit` in all; says whether it got there.
    fn logs(&self, query: &LogQuery, limit: usize, out: &mut Vec<IndexedLog>) -> bool {
        let header = &self.block.header;
        let block = LogBlock { number: header.number, hash: self.block.hash, timestamp: header.timestamp };
        let txs = self.records.iter().map(|record| {
            let logs = record.receipt.as_ref().map_or(&[][..], |receipt| &receipt.logs[..]);
            (record.hash, Ok::<_, std::convert::Infallible>(logs))
        });
        let Ok(full) = block_logs(&block, txs, query, limit, out);
        full
    }
}

#[derive(Debug, Default)]
struct Held {
    /// Consecutive blocks, oldest first.
    blocks: VecDeque<Arc<RecentBlock>>,
    /// Each held transaction's block and position.
    txs: HashMap<B256, (u64, u32)>,
    tx_count: usize,
}

/// The recent blocks (module docs).
#[derive(Debug, Default)]
pub struct RecentBlocks {
    held: RwLock<Held>,
}

impl RecentBlocks {
    /// Takes `block`, the head just committed. A block that does not follow the newest held
    /// one starts the window again from it.
    pub fn push(&self, block: RecentBlock) {
        let block = Arc::new(block);
        let mut held = lock!(self.held.write());
        let number = block.block.header.number;
        if held.blocks.back().is_some_and(|b| b.block.header.number + 1 != number) {
            *held = Held::default();
        }
        for (position, record) in block.records.iter().enumerate() {
            held.txs.insert(record.hash, (number, position as u32));
        }
        held.tx_count += block.records.len();
        held.blocks.push_back(block);
        while held.blocks.len() > MAX_BLOCKS || (held.tx_count > MAX_TXS && held.blocks.len() > 1) {
            let Some(oldest) = held.blocks.pop_front() else { break };
            held.tx_count -= oldest.records.len();
            for record in &oldest.records {
                // A hash may be held again by a later block only if the chain repeated it,
                // which the sequencer never does; the newest entry is kept either way.
                if held.txs.get(&record.hash).is_some_and(|(n, _)| *n == oldest.block.header.number) {
                    held.txs.remove(&record.hash);
                }
            }
        }
    }

    /// The held block `number`.
    pub fn block(&self, number: u64) -> Option<Arc<RecentBlock>> {
        let held = lock!(self.held.read());
        let first = held.blocks.front()?.block.header.number;
        held.blocks.get(usize::try_from(number.checked_sub(first)?).ok()?).cloned()
    }

    /// The held block with hash `hash`.
    pub fn block_by_hash(&self, hash: &B256) -> Option<Arc<RecentBlock>> {
        lock!(self.held.read()).blocks.iter().rev().find(|b| b.block.hash == *hash).cloned()
    }

    /// The held transaction `hash`: its block and its position there.
    pub fn transaction(&self, hash: &B256) -> Option<(Arc<RecentBlock>, usize)> {
        let held = lock!(self.held.read());
        let (number, position) = *held.txs.get(hash)?;
        let first = held.blocks.front()?.block.header.number;
        let block = held.blocks.get(usize::try_from(number.checked_sub(first)?).ok()?)?.clone();
        Some((block, position as usize))
    }

    /// Whether every block of `from..=to` is held.
    pub fn holds(&self, from: u64, to: u64) -> bool {
        let held = lock!(self.held.read());
        match (held.blocks.front(), held.blocks.back()) {
            (Some(first), Some(last)) => first.block.header.number <= from && to <= last.block.header.number,
            _ => false,
        }
    }

    /// How many logs blocks `from..=to` hold, if they are all held: the work of a query over
    /// them (counted under the lock, nothing collected).
    pub fn log_count(&self, from: u64, to: u64) -> Option<usize> {
        if from > to {
            return Some(0);
        }
        let held = lock!(self.held.read());
        let (start, end) = held.span(from, to)?;
        let blocks = held.blocks.range(start..=end);
        Some(blocks.flat_map(|b| &b.records).filter_map(|r| r.receipt.as_ref()).map(|r| r.logs.len()).sum())
    }

    /// The logs `query` matches, at most `limit`, if all its blocks are held.
    pub fn logs(&self, query: &LogQuery, limit: usize) -> Option<Vec<IndexedLog>> {
        let blocks = self.range(query.from_block, query.to_block)?;
        let mut out = Vec::new();
        for block in blocks {
            if block.logs(query, limit, &mut out) {
                break;
            }
        }
        Some(out)
    }

    /// Blocks `from..=to`, if they are all held (none for an empty range).
    fn range(&self, from: u64, to: u64) -> Option<Vec<Arc<RecentBlock>>> {
        if from > to {
            return Some(Vec::new());
        }
        let held = lock!(self.held.read());
        let (start, end) = held.span(from, to)?;
        Some(held.blocks.range(start..=end).cloned().collect())
    }
}

impl Held {
    /// The positions of blocks `from..=to` (`from <= to`), if they are all held.
    fn span(&self, from: u64, to: u64) -> Option<(usize, usize)> {
        let first = self.blocks.front()?.block.header.number;
        let start = usize::try_from(from.checked_sub(first)?).ok()?;
        let end = usize::try_from(to - first).ok()?;
        (end < self.blocks.len()).then_some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{StoredLog, TxOrigin};
    use alloy_primitives::Bytes;
    use rollup_types::{BlockHeader, TxStatus};

    /// A held receipt's bloom is the one its logs make, computed once.
    #[test]
    fn a_held_receipts_bloom_is_that_of_its_logs() {
        let log = |a: u8, t: u8| StoredLog {
            address: Address::repeat_byte(a),
            topics: vec![B256::repeat_byte(t), B256::with_last_byte(a)],
            data: Bytes::new(),
        };
        let included: Vec<IncludedTx> = [vec![log(1, 2), log(3, 4)], vec![]]
            .into_iter()
            .enumerate()
            .map(|(i, logs)| IncludedTx {
                origin: TxOrigin::Pool,
                hash: B256::with_last_byte(i as u8),
                raw: Bytes::new(),
                outcome: TxStatus::Success,
                gas_used: 21_000,
                output: Bytes::new(),
                logs,
            })
            .collect();
        let header = BlockHeader { number: 1, ..BlockHeader::default() };
        let block = StoredBlock {
            hash: header.hash(),
            header,
            chunk_roots: Vec::new(),
            tx_count: 2,
            batch_bytes: 0,
            queue_txs: 0,
            closing_txs: 0,
        };
        let recent = RecentBlock::new(block, &included, &[(Address::ZERO, 0), (Address::ZERO, 1)]);
        let mut expect = Bloom::ZERO;
        for l in &included[0].logs {
            expect.accrue_log(&alloy_primitives::Log::new_unchecked(l.address, l.topics.clone(), l.data.clone()));
        }
        assert_ne!(expect, Bloom::ZERO);
        assert_eq!(recent.bloom(0), Some(expect));
        assert_eq!(recent.bloom(0), Some(expect), "the second time, held");
        assert_eq!(recent.bloom(1), Some(Bloom::ZERO));
        assert_eq!(recent.bloom(2), None);
    }
}
