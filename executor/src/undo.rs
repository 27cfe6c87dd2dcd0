//! Taking blocks back without copying the state: an [`Undo`] holds the value every key had
//! before the blocks it covers, and [`Executor::undo`] puts those values back in the state and
//! the state tree. The tree's root depends only on its leaves, so the root comes back exactly
//! (and is checked).
//!
//! The challenger needs it twice: a batch that does not verify must leave its chain where it
//! was, and an L1 reorg takes back batches it verified (docs/fraud-proofs.md §5).

use crate::{BlockEnvInput, ExecutedBlock, Executor, ExecutorError, Overwritten, state::Changes};
use alloy_primitives::{B256, U256};
use rollup_types::{RecoveredTx, queue::QueueEntry};
use std::sync::Arc;

/// The values a run of blocks overwrote, each key's value from before the first of them.
#[derive(Clone, Debug, Default)]
pub struct Undo {
    old: Overwritten,
    /// The state root before the first block.
    root: Option<B256>,
}

impl Undo {
    /// Keys it restores.
    pub fn len(&self) -> usize {
        self.old.len()
    }

    /// Whether it restores nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `older`, the undo of blocks just before these: its values win, and its root is the
    /// one restored.
    pub fn merge_older(&mut self, older: Self) {
        self.old.merge_older(older.old);
        if older.root.is_some() {
            self.root = older.root;
        }
    }
}

impl Executor {
    /// Executes `queue` then `txs` as block `env` on the calling thread (the reference path, as
    /// [`Executor::execute_block_sequential`]) and adds to `undo` what it takes to come back to
    /// the state before it: the old value of each key it changes that `undo` does not hold yet.
    pub fn execute_block_undoable(
        &mut self,
        env: BlockEnvInput,
        queue: &[QueueEntry],
        txs: &[RecoveredTx],
        undo: &mut Undo,
    ) -> ExecutedBlock {
        self.execute_sequential_with(env, queue, txs, Some(undo))
    }

    /// Records in `undo` the current value of every key `layers` change (keys it already holds
    /// keep their older value), before they are applied.
    pub(crate) fn remember(&self, layers: &[Changes], undo: &mut Undo) {
        undo.root.get_or_insert_with(|| self.tree.root());
        undo.old.remember(&self.state, layers);
    }

    /// Puts back every value `undo` holds, in the state and in the state tree. `Err` when the
    /// tree's root does not come back to the one before the blocks (a bug: the executor is then
    /// unusable and must be rebuilt).
    pub fn undo(&mut self, undo: Undo) -> Result<(), ExecutorError> {
        let Some(root) = undo.root else { return Ok(()) };
        let leaves: Vec<(B256, B256)> = undo.old.leaves().collect();
        Arc::make_mut(&mut self.state).restore(undo.old.changes());
        let restored = self.tree.update(leaves);
        if restored != root {
            return Err(ExecutorError::Undo { expected: root, got: restored });
        }
        Ok(())
    }
}

impl Executor {
    /// Sets the storage words `slots` (state-tree keys and values; a zero value deletes) in
    /// the state and the state tree as no transaction wrote them, and returns the new root.
    /// Only a fault injection bends a state so (`rollup_fraud_proof::forge`, testing the fraud
    /// proofs): an honest node never does.
    pub fn overwrite_slots(&mut self, slots: &[(B256, B256)]) -> B256 {
        let mut changes = Changes::default();
        changes.storage.extend(slots.iter().map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0))));
        Arc::make_mut(&mut self.state).restore(&changes);
        self.tree.update(slots.iter().copied())
    }
}
