//! Withdrawal proofs (docs/bridge.md §5.2): a single-key proof of a withdrawal's leaf against
//! the state root of a batch on L1, which the L1 bridge pays against once the batch is final.
//!
//! The head's state tree is not a batch's: the node keeps a second executor that follows the
//! newest batch the batcher recorded on L1 (restored from the newest snapshot at or before it
//! and replayed from the chain database, then moved forward batch by batch). It is built on
//! the first request and kept; its state is checked against the batch's recorded root.

use super::{
    Head, Node,
    startup::{replay, restore},
};
use crate::{
    error::{SequencerError, StoreError},
    store::BatchRecord,
};
use alloy_primitives::{Address, B256};
use rollup_chain_store::WithdrawalRecord;
use rollup_executor::Executor;
use rollup_types::{keys, smt::Terminal};

/// The state after a batch posted on L1.
#[derive(Debug)]
pub(super) struct BatchState {
    executor: Executor,
    head: Head,
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

impl From<StoreError> for ProofError {
    fn from(err: StoreError) -> Self {
        Self::Node(err.into())
    }
}

impl Node {
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
        let state = self.state_at(held.take(), &batch).await?;
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

    /// The state after `batch`'s last block: `held` moved forward when it is behind, rebuilt
    /// from a snapshot when it is ahead (the batch was rolled back) or absent.
    async fn state_at(&self, held: Option<BatchState>, batch: &BatchRecord) -> Result<BatchState, SequencerError> {
        let target = batch.last_block;
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
        if head.header.number != target || head.header.state_root != batch.state_root {
            return Err(SequencerError::Task(format!(
                "rebuilding the state of batch {} reached block {} with root {}, the batch ends at block {target} \
                 with root {}",
                batch.index, head.header.number, head.header.state_root, batch.state_root
            )));
        }
        Ok(BatchState { executor, head })
    }
}
