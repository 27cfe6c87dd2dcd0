//! Proofs against the state tree.
//!
//! State proofs (`eth_getProof`, docs/api.md §3.0f): proofs of any keys against the state root
//! of the head or a recent block. The node keeps one state tree of its own for them (the
//! producer's is busy with the next block), built on the first request from the state and
//! then moved from block to block with what the blocks in between overwrote: each key they
//! changed is set to its value at the block asked for. Its root is checked against the
//! block's before any proof is given.
//!
//! Withdrawal proofs (docs/bridge.md §5.2): a single-key proof of a withdrawal's leaf against
//! the state root of a batch on L1, which the L1 bridge pays against once the batch is final.
//!
//! The head's state tree is not a batch's: the node keeps a second executor that follows the
//! newest batch the batcher recorded on L1 (restored from the newest snapshot at or before it
//! and replayed from the chain database, then moved forward batch by batch). It is built on
//! the first request and kept; its state is checked against the batch's recorded root.

use super::{
    BlockRef, CallError, Head, HistoryError, Node, StateView,
    startup::{replay, restore},
};
use crate::{
    error::{SequencerError, StoreError},
    fair::Client,
    store::BatchRecord,
};
use alloy_primitives::{Address, B256};
use rollup_chain_store::WithdrawalRecord;
use rollup_executor::{Executor, StateAt};
use rollup_types::{
    keys,
    smt::{Proof, SparseMerkleTree, Terminal},
};
use std::time::Instant;

/// The state after a stored block, rebuilt from the store ([`Node::state_after_block`]): kept
/// to move forward from.
#[derive(Debug)]
pub struct BlockState {
    /// The executor after the block.
    pub executor: Executor,
    /// The block.
    pub head: Head,
}

/// A withdrawal with the proof of its leaf against a batch's state root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalProof {
    /// The withdrawal as written.
    pub withdrawal: WithdrawalRecord,
    /// The batch whose state root the proof leads to.
    pub batch: BatchRecord,
    /// Siblings from the root down to the leaf (`SparseMerkle.rootFromPath`'s order).
    pub siblings: Vec<B256>,
}

/// Why no proof is given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// No sealed block wrote this withdrawal.
    #[error("no withdrawal {index} of {sender} was written on L2")]
    Unknown {
        /// The L2 sender.
        sender: Address,
        /// Its index.
        index: u64,
    },
    /// The withdrawal is not in a batch on L1 yet.
    #[error("withdrawal {index} of {sender} is in L2 block {block}, which no batch on L1 holds yet")]
    NotPosted {
        /// The L2 sender.
        sender: Address,
        /// Its index.
        index: u64,
        /// Its block.
        block: u64,
    },
    /// The node could not build the state of the batch.
    #[error(transparent)]
    Node(#[from] SequencerError),
}

/// Why no state proof is given.
#[derive(Debug, thiserror::Error)]
pub enum StateProofError {
    /// The block's state is not kept.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// No call thread was free.
    #[error(transparent)]
    Busy(#[from] CallError),
    /// The node could not build the state or its tree.
    #[error(transparent)]
    Node(#[from] SequencerError),
}

impl From<StoreError> for StateProofError {
    fn from(err: StoreError) -> Self {
        Self::Node(err.into())
    }
}

/// The node's state tree for state proofs, at a kept block.
#[derive(Debug)]
pub(super) struct ProofTree {
    tree: SparseMerkleTree,
    block: BlockRef,
}

impl From<StoreError> for ProofError {
    fn from(err: StoreError) -> Self {
        Self::Node(err.into())
    }
}

impl Node {
    /// Proofs of `keys` (state-tree keys) against the state root after block `number`, with
    /// that state: for the head or a block whose state is kept, or the last block of the
    /// newest batch on L1 (what withdrawals are proven against).
    pub async fn state_proofs(
        &self,
        client: Client,
        number: u64,
        keys: Vec<B256>,
    ) -> Result<(StateView, Vec<Proof>), StateProofError> {
        let view = match self.state_at(number) {
            Ok(view) => view,
            Err(err @ HistoryError::Pruned { .. }) => {
                let Some(batch) = self.store.latest_batch().await?.filter(|b| b.last_block == number) else {
                    return Err(err.into());
                };
                let mut held = self.batch_state.lock().await;
                let state = self.batch_state_at(held.take(), &batch).await?;
                let proofs = keys.iter().map(|k| state.executor.tree().prove(k)).collect();
                let view = StateView {
                    block: BlockRef::from(&state.head),
                    state: StateAt::new(state.executor.state(), Vec::new()),
                };
                *held = Some(state);
                return Ok((view, proofs));
            }
            Err(err) => return Err(err.into()),
        };
        // The slot first, given fairly between clients; then the tree, which the few holding
        // a slot share in turn.
        let slot = self.call_slot(client, Instant::now() + self.config.calls.request_time).await?;
        let mut held = self.proof_tree.lock().await;
        let current = held.take();
        // Where the tree is, and the records from there to the block asked for (none: build
        // it anew), read together.
        let between = current.as_ref().and_then(|t| {
            let committed = super::lock!(self.committed.read());
            let (from, to) = (t.block.number.min(number), t.block.number.max(number));
            committed.block(t.block.number).filter(|b| b.hash == t.block.hash)?;
            committed.between(from, to)
        });
        let target = view.clone();
        let work = move || {
            let tree = match (current, between) {
                (Some(mut held), Some(between)) => {
                    target.state.update_tree(&mut held.tree, &between);
                    held.tree
                }
                _ => target.state.tree(),
            };
            let proofs: Vec<Proof> = keys.iter().map(|k| tree.prove(k)).collect();
            (ProofTree { tree, block: target.block }, proofs)
        };
        let (tree, proofs) = self.on_call_thread(slot, work).await?;
        if tree.tree.root() != tree.block.state_root {
            return Err(StateProofError::Node(SequencerError::Task(format!(
                "the proof tree for block {} has root {}, the block's state root is {}",
                tree.block.number,
                tree.tree.root(),
                tree.block.state_root
            ))));
        }
        *held = Some(tree);
        Ok((view, proofs))
    }

    /// The proof of withdrawal `index` of `sender` against the state root of the newest batch
    /// on L1 (any batch after the one that holds it serves: leaves are never removed).
    pub async fn withdrawal_proof(&self, sender: Address, index: u64) -> Result<WithdrawalProof, ProofError> {
        let withdrawal = self.store.withdrawal(sender, index).await?.ok_or(ProofError::Unknown { sender, index })?;
        let batch = self
            .store
            .latest_batch()
            .await?
            .filter(|b| b.last_block >= withdrawal.block_number)
            .ok_or(ProofError::NotPosted { sender, index, block: withdrawal.block_number })?;
        let mut held = self.batch_state.lock().await;
        let state = self.batch_state_at(held.take(), &batch).await?;
        let key = keys::withdrawal(&sender, index);
        let proof = state.executor.tree().prove(&key);
        *held = Some(state);
        match proof.terminal {
            Terminal::Leaf { key: k, value } if k == key && value == withdrawal.leaf => {
                Ok(WithdrawalProof { withdrawal, batch, siblings: proof.siblings })
            }
            _ => Err(ProofError::Node(SequencerError::Task(format!(
                "the state after batch {} does not hold withdrawal {index} of {sender} written in block {}",
                batch.index, withdrawal.block_number
            )))),
        }
    }

    /// The state after `batch`'s last block ([`Self::state_after_block`]), checked against the
    /// batch's state root.
    async fn batch_state_at(
        &self,
        held: Option<BlockState>,
        batch: &BatchRecord,
    ) -> Result<BlockState, SequencerError> {
        let target = batch.last_block;
        let state = self.state_after_block(held, target).await?;
        if state.head.header.number != target || state.head.header.state_root != batch.state_root {
            return Err(SequencerError::Task(format!(
                "rebuilding the state of batch {} reached block {} with root {}, the batch ends at block {target} \
                 with root {}",
                batch.index, state.head.header.number, state.head.header.state_root, batch.state_root
            )));
        }
        Ok(state)
    }

    /// The state after stored block `target` (or the chain's last block, when it is not yet
    /// stored), rebuilt by re-executing the stored blocks: `held` moved forward when it is
    /// behind, else rebuilt from the newest snapshot at or before it (or genesis).
    pub async fn state_after_block(&self, held: Option<BlockState>, target: u64) -> Result<BlockState, SequencerError> {
        let (executor, from) = match held.filter(|h| h.head.header.number <= target) {
            Some(h) => (h.executor, h.head),
            None => match restore(&self.own_store, &self.config, target).await? {
                Some((executor, block)) => (executor, Head { header: block.header, hash: block.hash }),
                None => {
                    let genesis = Executor::genesis(self.config.chain, &self.config.genesis)?;
                    let block =
                        self.own_store.block(0).await?.ok_or_else(|| StoreError::Corrupt("no genesis block".into()))?;
                    (genesis, Head { header: block.header, hash: block.hash })
                }
            },
        };
        let (executor, head) = replay(&self.own_store, executor, &self.config.chain, from, target, None).await?;
        Ok(BlockState { executor, head })
    }
}
