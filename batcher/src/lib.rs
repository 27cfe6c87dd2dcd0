#![doc = include_str!("../README.md")]

mod error;
pub mod fault;
pub mod l1;
mod txmgr;

pub use error::BatcherError;
pub use l1::InboxParams;
pub use txmgr::TxManagerConfig;

use alloy::{
    consensus::TxEnvelope,
    eips::{
        eip2718::Decodable2718,
        eip4844::{Blob, BlobTransactionSidecar, env_settings::EnvKzgSettings},
        eip7594::BlobTransactionSidecarVariant,
    },
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionReceipt},
};
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use rollup_chain_store::{BatchRecord, L1TxRecord, L1TxStatus, Store, StoredBlock};
use rollup_types::{
    ChainConfig, SignedTx,
    bindings::BatchInbox,
    blob,
    codec::{self, Batch, BatchBlock},
    status::{BatcherState, BatcherStatus, InFlightPost},
};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use txmgr::{Chase, Progress, TxManager};

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
    /// Fees, fee bumps and confirmations of the L1 transactions.
    pub txmgr: TxManagerConfig,
    /// Where the batch data goes.
    pub da: DaMode,
    /// A fault to inject into the first batch that can carry it (testing only).
    pub fault: Option<fault::Fault>,
}

/// Where batch data is posted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DaMode {
    /// In the calldata of the post (fraud-provable).
    #[default]
    Calldata,
    /// In EIP-4844 blobs of the post (not yet fraud-provable: docs/batcher.md section 5).
    Blobs,
    /// Blobs when they cost less than calldata at the current fees.
    Auto,
}

impl std::str::FromStr for DaMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "calldata" => Ok(Self::Calldata),
            "blobs" => Ok(Self::Blobs),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown data availability mode {other:?}: expected calldata, blobs or auto")),
        }
    }
}

/// Posts sealed L2 blocks to the L1 inbox.
#[derive(Debug)]
pub struct Batcher {
    config: BatcherConfig,
    store: Store,
    provider: DynProvider,
    bond: U256,
    txmgr: TxManager,
    status: watch::Sender<BatcherStatus>,
    /// The fault still to inject.
    fault: std::sync::Mutex<Option<fault::Fault>>,
}

impl Batcher {
    /// Connects to the L1 and checks the inbox matches this chain.
    pub async fn new(config: BatcherConfig, store: Store) -> Result<Self, BatcherError> {
        let (provider, wallet, address) = l1::signing_provider(&config.l1_rpc, &config.key)?;
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
        if config.da != DaMode::Calldata && !params.blobs_allowed {
            return Err(BatcherError::Config(format!(
                "--da {:?} needs an inbox that takes blob batches, and this one takes calldata only (blob \
                 batches cannot be proven fraudulent yet; deploy with --allow-blobs to accept that)",
                config.da
            )));
        }
        if config.da != DaMode::Calldata {
            // Loading the KZG trusted setup takes seconds: at start, not in the first post.
            tokio::task::spawn_blocking(|| {
                EnvKzgSettings::Default.get();
            })
            .await
            .map_err(|e| BatcherError::Config(format!("loading the KZG trusted setup failed: {e}")))?;
        }
        let txmgr = TxManager::new(provider.clone(), wallet, address, store.clone(), config.txmgr).await?;
        let last = store.latest_batch().await?;
        let status = watch::Sender::new(BatcherStatus {
            last_posted_batch: last.as_ref().map(|b| b.index),
            last_posted_l2_block: last.as_ref().map(|b| b.last_block),
            ..BatcherStatus::default()
        });
        let fault = std::sync::Mutex::new(config.fault);
        Ok(Self { config, store, provider, bond: params.bond, txmgr, status, fault })
    }

    /// Publishes the status through `sender` (created before the batcher, for a component
    /// started earlier) instead of its own channel.
    pub fn publish_to(mut self, sender: watch::Sender<BatcherStatus>) -> Self {
        sender.send_replace(self.status.borrow().clone());
        self.status = sender;
        self
    }

    /// What the batcher publishes about its posting.
    pub fn subscribe(&self) -> watch::Receiver<BatcherStatus> {
        self.status.subscribe()
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
                Err(err) if err.stalls() => {
                    error!(target: "batcher", %err, "posting is stalled until this is fixed; retrying");
                }
                Err(err) => warn!(target: "batcher", %err, "will retry"),
            }
        }
    }

    /// One round: reconcile with L1 (including reorgs), track finality, follow the post in
    /// flight, or post the next batch if there are new blocks. Returns the batch whose post
    /// was mined in this round, if any.
    pub async fn step(&self) -> Result<Option<BatchRecord>, BatcherError> {
        let result = self.round().await;
        self.status.send_modify(|s| match &result {
            Err(err) if err.stalls() => {
                s.state = BatcherState::Stalled;
                s.last_error = Some(err.to_string());
            }
            Err(err) => s.last_error = Some(err.to_string()),
            Ok(Some(_)) => s.state = BatcherState::Running,
            Ok(None) => {}
        });
        result
    }

    async fn round(&self) -> Result<Option<BatchRecord>, BatcherError> {
        // The post in flight first: once mined, it is recorded with its own attempt.
        let followed = self.follow().await?;
        self.reconcile().await?;
        self.track_finality().await?;
        if let Some(done) = followed {
            return Ok(done);
        }
        let Some(sent) = self.post_next().await? else { return Ok(None) };
        // On an L1 that mines at once (anvil's default), the post is settled in this round.
        if let Some(done) = self.follow().await? {
            return Ok(done);
        }
        self.publish_in_flight(std::slice::from_ref(&sent));
        Ok(None)
    }

    /// Follows the post in flight. `None` when nothing is in flight (a new post may go),
    /// `Some(record)` when it settled or is still waiting.
    async fn follow(&self) -> Result<Option<Option<BatchRecord>>, BatcherError> {
        let (progress, chase) = self.txmgr.progress().await?;
        match chase {
            Chase::None => {}
            Chase::Bumped => self.status.send_modify(|s| s.fee_bumps += 1),
            Chase::Rebroadcast => self.status.send_modify(|s| s.rebroadcasts += 1),
        }
        match progress {
            Progress::Idle => Ok(None),
            Progress::Waiting(attempts) => {
                self.publish_in_flight(&attempts);
                Ok(Some(None))
            }
            Progress::Mined(attempt, receipt) => {
                let record = self.mined_record(&attempt, &receipt).await?;
                self.store.record_mined_post(&record).await?;
                self.status.send_modify(|s| {
                    s.in_flight = None;
                    s.last_posted_batch = Some(record.index);
                    s.last_posted_l2_block = Some(record.last_block);
                    s.batches_posted += 1;
                    s.state = BatcherState::Running;
                    s.last_error = None;
                });
                info!(
                    target: "batcher",
                    index = record.index,
                    blocks = %format!("{}..={}", record.first_block, record.last_block),
                    bytes = record.data_len,
                    chunks = record.chunk_count,
                    l1_tx = %record.l1_tx_hash,
                    l1_block = record.l1_block,
                    state_root = %record.state_root,
                    "batch posted"
                );
                Ok(Some(Some(record)))
            }
            Progress::Reverted(attempt, receipt) => {
                self.store.settle_pending_l1_txs(attempt.batch_index, L1TxStatus::Reverted).await?;
                self.status.send_modify(|s| {
                    s.in_flight = None;
                    s.reverted_posts += 1;
                });
                Err(BatcherError::Reverted { index: attempt.batch_index, tx: receipt.transaction_hash })
            }
            Progress::NonceTaken(index) => {
                warn!(target: "batcher", index, "the post's nonce was used by another transaction; L1 decides what was posted");
                self.store.settle_pending_l1_txs(index, L1TxStatus::Dropped).await?;
                self.status.send_modify(|s| s.in_flight = None);
                Ok(Some(None))
            }
        }
    }

    fn publish_in_flight(&self, attempts: &[L1TxRecord]) {
        let Some(newest) = attempts.last() else { return };
        let post = InFlightPost {
            batch_index: newest.batch_index,
            nonce: newest.nonce,
            tx_hash: newest.tx_hash,
            attempts: attempts.len() as u64,
        };
        self.status.send_modify(|s| s.in_flight = Some(post));
    }

    /// The record of a mined post, from the signed call itself.
    async fn mined_record(
        &self,
        attempt: &L1TxRecord,
        receipt: &TransactionReceipt,
    ) -> Result<BatchRecord, BatcherError> {
        let tx = TxEnvelope::decode_2718(&mut attempt.raw.as_slice()).map_err(|e| {
            BatcherError::Inconsistent(format!("stored L1 transaction {} is corrupt: {e}", attempt.tx_hash))
        })?;
        let blob_hashes = alloy::consensus::Transaction::blob_versioned_hashes(&tx).unwrap_or_default();
        let call = PostedCall::decode(alloy::consensus::Transaction::input(&tx), blob_hashes)
            .map_err(|e| BatcherError::Inconsistent(format!("stored post {} does not decode: {e}", attempt.tx_hash)))?;
        let previous = if attempt.batch_index == 0 {
            0
        } else {
            self.store
                .latest_batch()
                .await?
                .filter(|b| b.index + 1 == attempt.batch_index)
                .map(|b| b.last_block)
                .ok_or_else(|| {
                    BatcherError::Inconsistent(format!(
                        "batch {} was mined before its predecessor was recorded",
                        attempt.batch_index
                    ))
                })?
        };
        let l1_block = receipt
            .block_number
            .ok_or_else(|| BatcherError::L1(format!("receipt of {} has no block number", receipt.transaction_hash)))?;
        Ok(BatchRecord {
            index: attempt.batch_index,
            first_block: previous + 1,
            last_block: call.last_block,
            state_root: call.chunk_roots.last().copied().unwrap_or(call.prev_state_root),
            data_hash: call.data_hash,
            data_len: call.data_len,
            chunk_count: call.chunk_roots.len() as u64,
            l1_tx_hash: receipt.transaction_hash,
            l1_block,
            posted_at: self.block_timestamp(l1_block).await?,
            finalized: false,
        })
    }

    /// Brings the local record in line with the inbox: batches on L1 but not recorded (a crash
    /// between a post being mined and its record) are recorded; recorded batches that are no
    /// longer on L1 (a reorg took them out) are forgotten and posted again, in order.
    async fn reconcile(&self) -> Result<(), BatcherError> {
        let on_l1: u64 =
            l1::view_mined(&self.provider, self.config.inbox, BatchInbox::batchCountCall {}).await?.saturating_to();
        let recorded = self.store.latest_batch().await?.map_or(0, |b| b.index + 1);
        if on_l1 < recorded {
            // A post the L1 node put back in its pool is followed again rather than re-signed,
            // so the same nonce is not used twice.
            let mut back_in_pool = Vec::new();
            for index in on_l1..recorded {
                for attempt in self.store.l1_txs_of_batch(index).await? {
                    if attempt.status == L1TxStatus::Mined && self.txmgr.is_pending_on_l1(attempt.tx_hash).await? {
                        back_in_pool.push(attempt.tx_hash);
                    }
                }
            }
            let dropped = self.store.drop_batches_from(on_l1).await?;
            for hash in back_in_pool {
                self.store.set_l1_tx_status(hash, L1TxStatus::Pending).await?;
            }
            warn!(target: "batcher", from = on_l1, dropped, "batches fell out of L1 in a reorg; posting them again");
            self.status.send_modify(|s| {
                s.reorged_batches += dropped;
                s.last_posted_batch = on_l1.checked_sub(1);
            });
            return Ok(());
        }
        for index in recorded..on_l1 {
            let record = self.read_posted(index).await?;
            warn!(target: "batcher", index, l1_tx = %record.l1_tx_hash, "recorded a batch found on L1");
            self.store.record_mined_post(&record).await?;
        }
        self.check_recent_posts().await
    }

    /// Checks that the posts of the last batches not yet `confirmations` deep are still in
    /// the blocks they were mined in; a post that moved or vanished means a reorg, handled by
    /// forgetting that batch and the later ones.
    async fn check_recent_posts(&self) -> Result<(), BatcherError> {
        let head = self.provider.get_block_number().await.map_err(BatcherError::l1)?;
        let depth = self.txmgr.config.confirmations;
        let Some(last) = self.store.latest_batch().await? else { return Ok(()) };
        let mut index = last.index;
        loop {
            let Some(batch) = self.store.batch(index).await? else { break };
            if batch.l1_block + depth <= head {
                break;
            }
            let receipt = self.provider.get_transaction_receipt(batch.l1_tx_hash).await.map_err(BatcherError::l1)?;
            match receipt.and_then(|r| r.block_number) {
                Some(block) if block == batch.l1_block => {}
                // Re-mined in another block by the reorg: still posted, now there.
                Some(block) => {
                    let posted_at = self.block_timestamp(block).await?;
                    self.store.move_batch(index, block, posted_at).await?;
                    warn!(target: "batcher", index, from = batch.l1_block, to = block, "a reorg moved a post to another L1 block");
                }
                None => {
                    let dropped = self.store.drop_batches_from(index).await?;
                    warn!(target: "batcher", from = index, dropped, "a recent post left L1 in a reorg; posting again");
                    self.status.send_modify(|s| {
                        s.reorged_batches += dropped;
                        s.last_posted_batch = index.checked_sub(1);
                    });
                }
            }
            if index == 0 {
                break;
            }
            index -= 1;
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
            // The count and the logs can be a moment apart on a node: retried next round.
            logs.last().ok_or_else(|| BatcherError::L1(format!("no BatchPosted event for batch {index} yet")))?;
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
        let blob_hashes = alloy::consensus::Transaction::blob_versioned_hashes(tx.inner.inner()).unwrap_or_default();
        let call = PostedCall::decode(alloy::consensus::Transaction::input(tx.inner.inner()), blob_hashes)
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
            data_len: call.data_len,
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
            bytes += txs.iter().map(codec::typical_tx_bytes).sum::<usize>() + 8;
            if bytes > self.max_batch_bytes() && !out.is_empty() {
                break;
            }
            out.push((block, txs));
        }
        Ok(out)
    }

    /// Signs and sends the post of the blocks after the last posted batch, if there are any.
    async fn post_next(&self) -> Result<Option<L1TxRecord>, BatcherError> {
        let last = self.store.latest_batch().await?;
        let (index, after) = last.as_ref().map_or((0, 0), |b| (b.index + 1, b.last_block));
        let blocks = self.next_blocks(after).await?;
        let Some((first, _)) = blocks.first() else { return Ok(None) };
        // The root the inbox holds: the last batch's as posted (the genesis root before any).
        let prev_root = match &last {
            Some(b) => b.state_root,
            None => {
                self.store
                    .block(0)
                    .await?
                    .ok_or_else(|| BatcherError::Inconsistent("the genesis block is missing".into()))?
                    .header
                    .state_root
            }
        };
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
        while data.len() > self.max_batch_bytes() && batch.blocks.len() > 1 {
            batch.blocks.pop();
            data = codec::encode(&batch, &self.config.chain)?;
        }
        let kept = batch.blocks.len();
        let last_number = batch.blocks[kept - 1].number;
        let mut chunk_roots: Vec<B256> = block_chunk_roots.iter().take(kept).flatten().copied().collect();
        self.inject_fault(&batch, &mut data, &mut chunk_roots, index);
        let state_root = chunk_roots.last().copied().unwrap_or(prev_root);
        let blobs = self.use_blobs(&data).await?;
        let (input, sidecar) = if blobs {
            let call = BatchInbox::postBatchBlobsCall {
                index: U256::from(index),
                prevStateRoot: prev_root,
                lastBlock: last_number,
                chunkRoots: chunk_roots.clone(),
            };
            // KZG commitments and proofs are CPU work: off the async runtime.
            let blob_data = data.clone();
            let sidecar = tokio::task::spawn_blocking(move || sidecar_for(&blob_data))
                .await
                .map_err(|e| BatcherError::Inconsistent(format!("blob commitment task failed: {e}")))??;
            (call.abi_encode(), Some(sidecar))
        } else {
            let call = BatchInbox::postBatchCall {
                index: U256::from(index),
                prevStateRoot: prev_root,
                lastBlock: last_number,
                data: data.clone().into(),
                chunkRoots: chunk_roots.clone(),
            };
            (call.abi_encode(), None)
        };
        let attempt = self.txmgr.send(index, self.config.inbox, input.into(), self.bond, sidecar).await?;
        info!(
            target: "batcher",
            index,
            blocks = %format!("{first_block}..={last_number}"),
            bytes = data.len(),
            chunks = chunk_roots.len(),
            l1_tx = %attempt.tx_hash,
            %state_root,
            blobs,
            "batch sent"
        );
        Ok(Some(attempt))
    }

    /// Replaces the batch with the faulty one, if a fault is still to be injected and this
    /// batch can carry it.
    fn inject_fault(&self, batch: &Batch, data: &mut Vec<u8>, chunk_roots: &mut Vec<B256>, index: u64) {
        let mut pending = self.fault.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(fault) = *pending else { return };
        if let Some((bad_data, bad_roots)) = fault.apply(batch, data, chunk_roots, &self.config.chain) {
            warn!(target: "batcher", index, %fault, "INJECTING A FAULT: this batch is fraudulent on purpose");
            *data = bad_data;
            *chunk_roots = bad_roots;
            *pending = None;
        }
    }

    /// Largest batch data: `max_bytes`, or with `--da blobs` what the most blobs of one post
    /// hold (a post's fixed cost is then spread over as many transactions as fit).
    fn max_batch_bytes(&self) -> usize {
        match self.config.da {
            DaMode::Blobs => blob::MAX_BLOBS * blob::PAYLOAD_PER_BLOB - 4,
            DaMode::Calldata | DaMode::Auto => self.config.max_bytes,
        }
    }

    /// Whether this batch's data goes in blobs.
    async fn use_blobs(&self, data: &[u8]) -> Result<bool, BatcherError> {
        let fits = blob::blobs_for(data.len()) <= blob::MAX_BLOBS;
        Ok(match self.config.da {
            DaMode::Calldata => false,
            DaMode::Blobs => fits,
            DaMode::Auto if !fits => false,
            DaMode::Auto => {
                // Blob gas against the calldata floor (EIP-7623: 10 per zero byte, 40 otherwise).
                let blob_fee = self.provider.get_blob_base_fee().await.map_err(BatcherError::l1)?;
                let gas_price = self.provider.get_gas_price().await.map_err(BatcherError::l1)?;
                let zeros = data.iter().filter(|&&b| b == 0).count() as u128;
                let calldata = (10 * zeros + 40 * (data.len() as u128 - zeros)) * gas_price;
                let blobs = blob::blobs_for(data.len()) as u128 * blob::BYTES_PER_BLOB as u128 * blob_fee.max(1);
                blobs < calldata
            }
        })
    }
}

/// What a post says, whether its data is in calldata or in blobs.
struct PostedCall {
    prev_state_root: B256,
    last_block: u64,
    chunk_roots: Vec<B256>,
    /// The inbox's data commitment: `codec::data_commitment(data)`, or `keccak256` of the
    /// versioned hashes.
    data_hash: B256,
    /// Calldata bytes, or blob bytes (131072 per blob) for a blob post.
    data_len: u64,
}

impl PostedCall {
    fn decode(input: &[u8], blob_hashes: &[B256]) -> Result<Self, alloy_sol_types::Error> {
        if input.starts_with(&BatchInbox::postBatchBlobsCall::SELECTOR) {
            let call = BatchInbox::postBatchBlobsCall::abi_decode(input)?;
            let joined: Vec<u8> = blob_hashes.iter().flat_map(|h| h.0).collect();
            return Ok(Self {
                prev_state_root: call.prevStateRoot,
                last_block: call.lastBlock,
                chunk_roots: call.chunkRoots,
                data_hash: keccak256(&joined),
                data_len: (blob_hashes.len() * blob::BYTES_PER_BLOB) as u64,
            });
        }
        let call = BatchInbox::postBatchCall::abi_decode(input)?;
        Ok(Self {
            prev_state_root: call.prevStateRoot,
            last_block: call.lastBlock,
            chunk_roots: call.chunkRoots,
            data_hash: codec::data_commitment(&call.data),
            data_len: call.data.len() as u64,
        })
    }
}

/// The blobs, KZG commitments and proofs that carry `data` (layout: `rollup_types::blob`).
fn sidecar_for(data: &[u8]) -> Result<BlobTransactionSidecarVariant, BatcherError> {
    let blobs = blob::to_blobs(data)
        .map_err(|e| BatcherError::Inconsistent(format!("batch data does not fit in blobs: {e}")))?
        .iter()
        .map(|b| Blob::try_from(b.as_slice()).map_err(|e| BatcherError::Inconsistent(format!("blob: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let sidecar = BlobTransactionSidecar::try_from_blobs_with_settings(blobs, EnvKzgSettings::Default.get())
        .map_err(|e| BatcherError::Inconsistent(format!("KZG commitment of a blob failed: {e}")))?;
    Ok(BlobTransactionSidecarVariant::Eip4844(sidecar))
}
