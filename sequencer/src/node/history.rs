//! The states of recent blocks, for reads at a block (`eth_call`, `eth_getStorageAt`,
//! `eth_getProof`, … with a block number or hash; docs/api.md §3.0f).
//!
//! No state is copied: the node keeps the committed state after the head and, for each of the
//! last [`SequencerConfig::state_history`](super::SequencerConfig) blocks, what the block
//! overwrote (recorded by the executor as it applies the block). The state after an older
//! block is the head's seen through those values ([`StateAt`]). The head's state and the
//! blocks' records are replaced together, under one lock, so that a reader always sees a
//! head and a history that belong together.

use super::Head;
use alloy_primitives::B256;
use rollup_executor::{Overwritten, State, StateAt};
use std::{collections::VecDeque, sync::Arc};

/// Most overwritten keys kept over all the recorded blocks (64 bytes of data each): under full
/// load the oldest blocks are let go sooner, so that the history's memory stays bounded
/// whatever the block size.
pub const MAX_HISTORY_KEYS: usize = 4_000_000;

/// A block whose state is kept.
#[derive(Clone, Debug)]
pub struct BlockRef {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// The state root after it.
    pub state_root: B256,
}

impl From<&Head> for BlockRef {
    fn from(head: &Head) -> Self {
        Self {
            number: head.header.number,
            hash: head.hash,
            timestamp: head.header.timestamp,
            state_root: head.header.state_root,
        }
    }
}

/// The state after a block, with the block.
#[derive(Clone, Debug)]
pub struct StateView {
    /// The block.
    pub block: BlockRef,
    /// The state after it.
    pub state: StateAt,
}

/// Why the state after a block cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The block is older than the history kept.
    #[error(
        "historical state is not available for block {number}: this node keeps the states of the blocks from \
         {oldest} to the head ({head})"
    )]
    Pruned {
        /// The block asked for.
        number: u64,
        /// The oldest block whose state is kept.
        oldest: u64,
        /// The head.
        head: u64,
    },
    /// No such block has been sealed (a number past the head, or an unknown hash).
    #[error("header not found")]
    NotFound,
}

#[derive(Debug)]
struct Recorded {
    block: BlockRef,
    overwritten: Arc<Overwritten>,
}

/// The committed state after the head and what each recent block overwrote.
#[derive(Debug)]
pub(super) struct Committed {
    state: Arc<State>,
    head: BlockRef,
    /// The oldest block whose state is kept: the one before the oldest record (the head when
    /// there is none).
    floor: BlockRef,
    /// The recorded blocks, oldest first, consecutive, the newest being the head.
    recent: VecDeque<Recorded>,
    keys: usize,
    limit: u64,
}

impl Committed {
    /// The state after `head`, with no history yet; `limit` blocks before the head are kept
    /// once sealed.
    pub(super) fn new(state: Arc<State>, head: &Head, limit: u64) -> Self {
        Self { state, head: head.into(), floor: head.into(), recent: VecDeque::new(), keys: 0, limit }
    }

    /// The committed state after the head.
    pub(super) fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Moves to `head`, whose state is `state`, recording what it overwrote (without the
    /// record, or out of sequence, the history starts again at this head).
    pub(super) fn advance(&mut self, state: Arc<State>, head: &Head, overwritten: Option<Arc<Overwritten>>) {
        let block = BlockRef::from(head);
        let follows = block.number == self.head.number + 1;
        match overwritten {
            Some(overwritten) if follows && self.limit > 0 => {
                self.keys += overwritten.len();
                self.recent.push_back(Recorded { block: block.clone(), overwritten });
            }
            _ => {
                self.recent.clear();
                self.keys = 0;
                self.floor = block.clone();
            }
        }
        while self.recent.len() as u64 > self.limit || (self.keys > MAX_HISTORY_KEYS && self.recent.len() > 1) {
            if let Some(gone) = self.recent.pop_front() {
                self.keys -= gone.overwritten.len();
                self.floor = gone.block;
            }
        }
        self.state = state;
        self.head = block;
    }

    /// The oldest block whose state is kept.
    pub(super) fn oldest(&self) -> u64 {
        self.floor.number
    }

    /// The state after the head.
    pub(super) fn latest(&self) -> StateView {
        StateView { block: self.head.clone(), state: StateAt::new(self.state.clone(), Vec::new()) }
    }

    /// The state after block `number`.
    pub(super) fn at(&self, number: u64) -> Result<StateView, HistoryError> {
        let head = self.head.number;
        if number > head {
            return Err(HistoryError::NotFound);
        }
        if number == head {
            return Ok(self.latest());
        }
        let oldest = self.oldest();
        if number < oldest {
            return Err(HistoryError::Pruned { number, oldest, head });
        }
        // recent[i] is block oldest + 1 + i; the blocks after `number` start at its index.
        let first = (number - oldest) as usize;
        let block = if first == 0 { self.floor.clone() } else { self.recent[first - 1].block.clone() };
        let since = self.recent.range(first..).map(|r| r.overwritten.clone()).collect();
        Ok(StateView { block, state: StateAt::new(self.state.clone(), since) })
    }

    /// The kept block `number`.
    pub(super) fn block(&self, number: u64) -> Option<&BlockRef> {
        let oldest = self.oldest();
        match number.checked_sub(oldest)? {
            0 => Some(&self.floor),
            i => self.recent.get(i as usize - 1).map(|r| &r.block),
        }
    }

    /// The records of blocks `from + 1 ..= to`, if `from` and `to` are kept blocks (`from` ≤
    /// `to`).
    pub(super) fn between(&self, from: u64, to: u64) -> Option<Vec<Arc<Overwritten>>> {
        let oldest = self.oldest();
        if from < oldest || to > self.head.number || from > to {
            return None;
        }
        Some(
            self.recent
                .range((from - oldest) as usize..(to - oldest) as usize)
                .map(|r| r.overwritten.clone())
                .collect(),
        )
    }

    /// The number of the kept block with hash `hash`.
    pub(super) fn number_of(&self, hash: &B256) -> Option<u64> {
        std::iter::once(&self.floor)
            .chain(self.recent.iter().map(|r| &r.block))
            .find(|b| b.hash == *hash)
            .map(|b| b.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollup_types::BlockHeader;

    fn head(number: u64) -> Head {
        Head {
            header: BlockHeader { number, timestamp: 1_000 + number, ..BlockHeader::default() },
            hash: B256::with_last_byte(number as u8),
        }
    }

    fn state() -> Arc<State> {
        Arc::new(State::new(Default::default(), Default::default()))
    }

    #[test]
    fn keeps_the_last_blocks_and_starts_again_on_a_gap() {
        let mut c = Committed::new(state(), &head(10), 3);
        assert_eq!(c.oldest(), 10);
        assert!(matches!(c.at(9), Err(HistoryError::Pruned { number: 9, oldest: 10, head: 10 })));
        for n in 11..=15 {
            c.advance(state(), &head(n), Some(Arc::default()));
        }
        // Three records (13, 14, 15): the states after 12 to 15.
        assert_eq!(c.oldest(), 12);
        assert!(c.at(12).is_ok());
        assert_eq!(c.at(13).map(|v| v.block.timestamp), Ok(1_013));
        assert_eq!(c.at(15).map(|v| v.block.hash), Ok(head(15).hash));
        assert_eq!(c.at(16).map(|_| ()), Err(HistoryError::NotFound));
        assert_eq!(c.at(12).map(|v| v.block.timestamp), Ok(1_012));
        assert_eq!(c.number_of(&head(14).hash), Some(14));
        assert_eq!(c.number_of(&head(12).hash), Some(12));
        assert_eq!(c.number_of(&head(11).hash), None);
        // A block without its record (or out of sequence) drops the history.
        assert_eq!(c.between(12, 15).map(|b| b.len()), Some(3));
        assert_eq!(c.between(13, 13).map(|b| b.len()), Some(0));
        assert_eq!(c.between(11, 15).map(|b| b.len()), None);
        assert_eq!(c.between(13, 16).map(|b| b.len()), None);
        assert_eq!(c.block(12).map(|b| b.hash), Some(head(12).hash));
        assert_eq!(c.block(15).map(|b| b.hash), Some(head(15).hash));
        assert!(c.block(11).is_none() && c.block(16).is_none());
        c.advance(state(), &head(16), None);
        assert_eq!(c.oldest(), 16);
        c.advance(state(), &head(18), Some(Arc::default()));
        assert_eq!(c.oldest(), 18);
    }
}
