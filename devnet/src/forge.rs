//! The forge of a faulty batcher ([`rollup_batcher::fault::Forge`]): the state before a batch
//! rebuilt from the node's store, then the batch walked by `rollup_fraud_proof::forge` to the
//! first chunk that can carry the forgery. For testing the fraud proofs only.

use alloy_primitives::B256;
use rollup_batcher::fault::{Forge, Forging};
use rollup_sequencer::{BlockState, Node};
use rollup_types::{Forgery, codec::Batch};
use std::sync::Arc;
use tracing::{info, warn};

/// Forges from `node`'s store, keeping the last state it rebuilt to move forward from.
#[derive(Debug)]
pub struct NodeForge {
    node: Arc<Node>,
    held: tokio::sync::Mutex<Option<BlockState>>,
}

impl NodeForge {
    /// A forge over `node`'s chain.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node, held: tokio::sync::Mutex::new(None) }
    }

    async fn forge_batch(&self, forgery: Forgery, batch: &Batch, data: &[u8]) -> Option<(usize, B256)> {
        let parent = batch.blocks.first()?.number.checked_sub(1)?;
        let mut held = self.held.lock().await;
        let state = match self.node.state_after_block(held.take(), parent).await {
            Ok(state) if state.head.header.number == parent => state,
            Ok(state) => {
                warn!(target: "batcher", parent, reached = state.head.header.number, "forge: the batch's parent is not stored");
                return None;
            }
            Err(err) => {
                warn!(target: "batcher", %err, "forge: the state before the batch cannot be rebuilt");
                return None;
            }
        };
        let from = state.head.header.queue_end;
        let entries: u64 = batch.blocks.iter().map(|b| b.queue_count).sum();
        let queue = self.node.store().queue_range(from, from + entries).await.ok()?;
        let base = state.executor.clone();
        *held = Some(state);
        let data = data.to_vec();
        let forged =
            tokio::task::spawn_blocking(move || rollup_fraud_proof::forge::forge(base, &data, &queue, forgery))
                .await
                .ok()??;
        info!(target: "batcher", %forgery, chunk = forged.chunk, tx = %forged.tx, root = %forged.root, "forged a chunk root");
        Some((forged.chunk, forged.root))
    }
}

impl Forge for NodeForge {
    fn forge<'a>(&'a self, forgery: Forgery, batch: &'a Batch, data: &'a [u8]) -> Forging<'a> {
        Box::pin(self.forge_batch(forgery, batch, data))
    }
}
