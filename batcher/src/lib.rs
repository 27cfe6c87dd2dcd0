#![doc = include_str!("../README.md")]

mod error;
pub mod l1;

pub use error::BatcherError;
pub use l1::InboxParams;

use alloy::{
    network::TransactionBuilder,
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionRequest},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use rollup_sequencer::{
    Store,
    store::{BatchRecord, StoredBlock},
};
use rollup_types::{
    ChainConfig, SignedTx,
    bindings::BatchInbox,
    codec::{self, Batch, BatchBlock},
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Configuration of the batcher.
#[derive(Clone, Debug)]
pub struct BatcherConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc: url::Url,
    /// Batch inbox address.
    pub inbox: Address,
    /// Private key of the authorised batcher account.
    pub key: B256,
    /// Chain parameters (must match the inbox's).
    pub chain: ChainConfig,
    /// How often to look for new blocks to post.
    pub interval: Duration,
    /// Most L2 blocks in one batch.
    pub max_blocks: u64,
    /// Largest batch data, in bytes (an L1 transaction carries it as calldata).
    pub max_bytes: usize,
}

/// Posts sealed L2 blocks to the L1 inbox.
#[derive(Debug)]
pub struct Batcher {
    config: BatcherConfig,
    store: Store,
    provider: DynProvider,
    bond: U256,
}

impl Batcher {
    /// Connects to the L1 and checks the inbox matches this chain.
    pub async fn new(config: BatcherConfig, store: Store) -> Result<Self, BatcherError> {
        let (provider, address) = l1::signing_provider(&config.l1_rpc, &config.key)?;
        let params = l1::inbox_params(&provider, config.inbox).await?;
        if params.batcher != address {
            return Err(BatcherError::Config(format!(
                "the inbox accepts batches from {}, this key is {address}",
                params.batcher
            )));
        }
        if params.l2_chain_id != config.chain.chain_id || params.chunk_size != config.chain.chunk_size {
            return Err(BatcherError::Config(format!(
                "the inbox is for chain {} with chunks of {}, this chain is {} with chunks of {}",
                params.l2_chain_id, params.chunk_size, config.chain.chain_id, config.chain.chunk_size
            )));
        }
        let genesis = store.block(0).await?.map(|b| b.header.state_root);
        if genesis != Some(params.genesis_state_root) {
            return Err(BatcherError::Config(format!(
                "the inbox's genesis root is {}, the chain's is {genesis:?}",
                params.genesis_state_root
            )));
        }
        Ok(Self { config, store, provider, bond: params.bond })
    }

    /// Posts until `cancel` fires. Temporary failures are logged and retried; a fatal one
    /// stops the loop.
    pub async fn run(self, cancel: CancellationToken) -> Result<(), BatcherError> {
        let mut interval = tokio::time::interval(self.config.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = interval.tick() => {}
            }
            match self.step().await {
                Ok(_) => {}
                Err(err) if err.is_fatal() => {
                    error!(target: "batcher", %err, "stopping");
                    return Err(err);
                }
                Err(err) => warn!(target: "batcher", %err, "will retry"),
            }
        }
    }

    /// One round: reconcile with L1, track finality, post the next batch if there are new
    /// blocks. Returns the batch posted, if any.
    pub async fn step(&self) -> Result<Option<BatchRecord>, BatcherError> {
        self.reconcile().await?;
        self.track_finality().await?;
        self.post_next().await
    }

    /// Records batches that are on L1 but not in the database (a crash between sending a
    /// post and recording it), so nothing is posted twice.
    async fn reconcile(&self) -> Result<(), BatcherError> {
        let on_l1: u64 =
            l1::view(&self.provider, self.config.inbox, BatchInbox::batchCountCall {}).await?.saturating_to();
        let recorded = self.store.latest_batch().await?.map_or(0, |b| b.index + 1);
        if on_l1 < recorded {
            return Err(BatcherError::Inconsistent(format!(
                "the inbox holds {on_l1} batches but {recorded} were recorded as posted"
            )));
        }
        for index in recorded..on_l1 {
            let record = self.read_posted(index).await?;
            warn!(target: "batcher", index, l1_tx = %record.l1_tx_hash, "recorded a batch found on L1");
            self.store.insert_batch(&record).await?;
        }
        Ok(())
    }

    async fn read_posted(&self, index: u64) -> Result<BatchRecord, BatcherError> {
        let filter = Filter::new()
            .address(self.config.inbox)
            .event_signature(BatchInbox::BatchPosted::SIGNATURE_HASH)
            .topic1(B256::from(U256::from(index)))
            .from_block(0);
        let logs = self.provider.get_logs(&filter).await.map_err(BatcherError::l1)?;
        let log =
            logs.last().ok_or_else(|| BatcherError::Inconsistent(format!("no BatchPosted event for batch {index}")))?;
        let event = BatchInbox::BatchPosted::decode_log_data(&log.inner.data).map_err(BatcherError::l1)?;
        let tx_hash = log
            .transaction_hash
            .ok_or_else(|| BatcherError::L1(format!("BatchPosted log of batch {index} has no transaction")))?;
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::L1(format!("L1 transaction {tx_hash} not found")))?;
        let call = BatchInbox::postBatchCall::abi_decode(alloy::consensus::Transaction::input(tx.inner.inner()))
            .map_err(BatcherError::l1)?;
        let previous = if index == 0 { 0 } else { self.store.latest_batch().await?.map_or(0, |b| b.last_block) };
        let l1_block = log
            .block_number
            .ok_or_else(|| BatcherError::L1(format!("BatchPosted log of batch {index} has no block")))?;
        Ok(BatchRecord {
            index,
            first_block: previous + 1,
            last_block: event.lastL2Block,
            state_root: event.stateRoot,
            data_hash: event.dataHash,
            data_len: call.data.len() as u64,
            chunk_count: u64::from(event.chunkCount),
            l1_tx_hash: tx_hash,
            l1_block,
            posted_at: self.block_timestamp(l1_block).await?,
            finalized: false,
        })
    }

    async fn block_timestamp(&self, number: u64) -> Result<u64, BatcherError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(BatcherError::l1)?
            .ok_or_else(|| BatcherError::L1(format!("L1 block {number} not found")))?;
        Ok(block.header.timestamp)
    }

    async fn track_finality(&self) -> Result<(), BatcherError> {
        for batch in self.store.unfinalized_batches().await? {
            let call = BatchInbox::isFinalizedCall { index: U256::from(batch.index) };
            if !l1::view(&self.provider, self.config.inbox, call).await? {
                break;
            }
            info!(target: "batcher", index = batch.index, "batch finalized");
            self.store.mark_finalized(batch.index).await?;
        }
        Ok(())
    }

    /// Blocks after the last posted one, as many as fit the limits.
    async fn next_blocks(&self, after: u64) -> Result<Vec<(StoredBlock, Vec<SignedTx>)>, BatcherError> {
        let blocks = self.store.blocks_from(after + 1, self.config.max_blocks).await?;
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else { return Ok(Vec::new()) };
        let raws = self.store.block_transactions(first.header.number, last.header.number).await?;
        let mut out = Vec::with_capacity(blocks.len());
        let mut bytes = 0usize;
        for block in blocks {
            let n = block.header.number;
            let txs: Vec<SignedTx> = raws
                .iter()
                .filter(|(b, _)| *b == n)
                .map(|(_, raw)| SignedTx::decode(raw))
                .collect::<Result<_, _>>()
                .map_err(|e| BatcherError::Inconsistent(format!("block {n} holds an undecodable transaction: {e}")))?;
            bytes += txs.iter().map(|t| t.input().len() + 96).sum::<usize>() + 8;
            if bytes > self.config.max_bytes && !out.is_empty() {
                break;
            }
            out.push((block, txs));
        }
        Ok(out)
    }

    async fn post_next(&self) -> Result<Option<BatchRecord>, BatcherError> {
        let last = self.store.latest_batch().await?;
        let (index, after) = last.as_ref().map_or((0, 0), |b| (b.index + 1, b.last_block));
        let blocks = self.next_blocks(after).await?;
        let Some((first, _)) = blocks.first() else { return Ok(None) };
        let prev_root = self
            .store
            .block(after)
            .await?
            .ok_or_else(|| BatcherError::Inconsistent(format!("block {after} is missing")))?
            .header
            .state_root;
        let first_block = first.header.number;
        let block_chunk_roots: Vec<Vec<B256>> = blocks.iter().map(|(b, _)| b.chunk_roots.clone()).collect();
        let mut batch = Batch {
            blocks: blocks
                .into_iter()
                .map(|(b, txs)| BatchBlock { number: b.header.number, timestamp: b.header.timestamp, txs })
                .collect(),
        };
        let mut data = codec::encode(&batch, &self.config.chain)?;
        // The per-block estimate can undershoot: drop blocks until the data fits (a single
        // block is always posted, whatever its size).
        while data.len() > self.config.max_bytes && batch.blocks.len() > 1 {
            batch.blocks.pop();
            data = codec::encode(&batch, &self.config.chain)?;
        }
        let kept = batch.blocks.len();
        let last_number = batch.blocks[kept - 1].number;
        let chunk_roots: Vec<B256> = block_chunk_roots.iter().take(kept).flatten().copied().collect();
        let state_root = chunk_roots.last().copied().unwrap_or(prev_root);
        let call = BatchInbox::postBatchCall {
            index: U256::from(index),
            prevStateRoot: prev_root,
            lastBlock: last_number,
            data: data.clone().into(),
            chunkRoots: chunk_roots.clone(),
        };
        let request = TransactionRequest::default()
            .with_to(self.config.inbox)
            .with_input(call.abi_encode())
            .with_value(self.bond);
        let receipt = l1::send(&self.provider, request).await?;
        if !receipt.status() {
            return Err(BatcherError::Reverted { index, tx: receipt.transaction_hash });
        }
        let l1_block = receipt
            .block_number
            .ok_or_else(|| BatcherError::L1(format!("receipt of {} has no block number", receipt.transaction_hash)))?;
        let record = BatchRecord {
            index,
            first_block,
            last_block: last_number,
            state_root,
            data_hash: keccak256(&data),
            data_len: data.len() as u64,
            chunk_count: chunk_roots.len() as u64,
            l1_tx_hash: receipt.transaction_hash,
            l1_block,
            posted_at: self.block_timestamp(l1_block).await?,
            finalized: false,
        };
        self.store.insert_batch(&record).await?;
        info!(
            target: "batcher",
            index,
            blocks = %format!("{first_block}..={last_number}"),
            bytes = data.len(),
            chunks = chunk_roots.len(),
            l1_tx = %receipt.transaction_hash,
            l1_block,
            %state_root,
            "posted batch"
        );
        Ok(Some(record))
    }
}
