#![doc = include_str!("../README.md")]

pub mod derive;
pub mod prove;
pub mod store;

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    eips::eip4844::{AsCkzg, Blob, env_settings::EnvKzgSettings, kzg_to_versioned_hash},
    network::{EthereumWallet, TransactionBuilder},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use derive::{PostedBatch, Verdict, Verifier};
use prove::FraudProof;
use rollup_executor::Executor;
use rollup_types::{
    ChainConfig,
    bindings::{BatchInbox, ChunkVerifier},
    genesis::GenesisSpec,
    status::{ChallengerStatus, Mismatch, ProofReport, ProofState},
};
use std::{
    collections::HashMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use store::VerdictStore;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Errors of the challenger.
#[derive(Debug, thiserror::Error)]
pub enum ChallengerError {
    /// The L1 could not be read: retried next round.
    #[error("L1 request failed: {0}")]
    L1(String),
    /// The challenger's database failed.
    #[error(transparent)]
    Store(#[from] rollup_db::DbError),
    /// The inbox is not for this chain, or the configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// Genesis could not be laid out.
    #[error(transparent)]
    Executor(#[from] rollup_executor::ExecutorError),
}

impl ChallengerError {
    /// Whether the loop must stop.
    pub const fn is_fatal(&self) -> bool {
        !matches!(self, Self::L1(_))
    }

    fn l1(err: impl std::fmt::Display) -> Self {
        Self::L1(err.to_string())
    }
}

/// Calls a view function of the inbox.
async fn view<C: SolCall>(provider: &DynProvider, inbox: Address, call: C) -> Result<C::Return, ChallengerError> {
    let out = provider
        .call(TransactionRequest::default().to(inbox).input(call.abi_encode().into()))
        .await
        .map_err(ChallengerError::l1)?;
    C::abi_decode_returns(&out).map_err(ChallengerError::l1)
}

/// Configuration of the challenger.
#[derive(Clone, Debug)]
pub struct ChallengerConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc: url::Url,
    /// Batch inbox address.
    pub inbox: Address,
    /// L1 block to start reading from (the inbox's deployment block).
    pub from_block: u64,
    /// The challenger's own database URL.
    pub db_url: String,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Genesis.
    pub genesis: GenesisSpec,
    /// How often to poll L1.
    pub poll: Duration,
    /// L1 blocks to wait before reading a block.
    pub confirmations: u64,
    /// Beacon API base URL that serves the blobs of blob posts
    /// (`GET /eth/v1/beacon/blobs/{block}`); `None`: the L1 RPC URL (anvil serves both).
    pub l1_beacon: Option<url::Url>,
    /// Key that commits and sends fraud proofs (and receives the rewards); `None`: the
    /// challenger only verifies and reports.
    pub prover_key: Option<B256>,
}

/// A fraud proof on its way to L1.
#[derive(Debug)]
struct PendingProof {
    proof: FraudProof,
    calldata: Bytes,
    commitment: B256,
    /// L1 block of the mined commitment.
    committed_at: Option<u64>,
    /// Its entry in the status's `proofs`.
    report: usize,
}

/// Follows the inbox and judges every batch from L1 data alone.
#[derive(Debug)]
pub struct Challenger {
    config: ChallengerConfig,
    provider: DynProvider,
    store: VerdictStore,
    verifier: Verifier,
    cursor: u64,
    /// Position (L1 block, log index) of the last inbox event handled.
    last_event: Option<(u64, u64)>,
    status: watch::Sender<ChallengerStatus>,
    /// Signing provider and address of the prover.
    prover: Option<(DynProvider, Address)>,
    pending: Option<PendingProof>,
    /// The proof reports as last written to the database.
    persisted: Vec<ProofReport>,
}

impl Challenger {
    /// Opens its database, lays out genesis and checks the inbox belongs to this chain.
    pub async fn new(config: ChallengerConfig) -> Result<Self, ChallengerError> {
        let provider = ProviderBuilder::new().connect_http(config.l1_rpc.clone()).erased();
        let store = VerdictStore::open(&config.db_url).await?;
        // The sequential path on purpose: the challenger is an independent check of the
        // sequencer, whose blocks run through the parallel path.
        let executor = Executor::genesis(config.chain, &config.genesis)?;
        let genesis_root = view(&provider, config.inbox, BatchInbox::genesisStateRootCall {}).await?;
        if genesis_root != executor.state_root() {
            return Err(ChallengerError::Config(format!(
                "the inbox's genesis root is {genesis_root}, this genesis gives {}",
                executor.state_root()
            )));
        }
        let chunk = view(&provider, config.inbox, BatchInbox::chunkSizeCall {}).await?;
        if chunk != U256::from(config.chain.chunk_size) {
            return Err(ChallengerError::Config(format!(
                "the inbox uses chunks of {chunk}, this chain {}",
                config.chain.chunk_size
            )));
        }
        let l2_chain = view(&provider, config.inbox, BatchInbox::l2ChainIdCall {}).await?;
        if l2_chain != U256::from(config.chain.chain_id) {
            return Err(ChallengerError::Config(format!(
                "the inbox is for L2 chain {l2_chain}, this challenger for {}",
                config.chain.chain_id
            )));
        }
        let cursor = config.from_block;
        let prover = match &config.prover_key {
            Some(key) => {
                let signer = PrivateKeySigner::from_bytes(key)
                    .map_err(|e| ChallengerError::Config(format!("invalid prover key: {e}")))?;
                let address = signer.address();
                let provider =
                    ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(config.l1_rpc.clone());
                Some((provider.erased(), address))
            }
            None => None,
        };
        Ok(Self {
            config,
            provider,
            store,
            verifier: Verifier::new(executor),
            cursor,
            last_event: None,
            status: watch::Sender::new(ChallengerStatus::default()),
            prover,
            pending: None,
            persisted: Vec::new(),
        })
    }

    /// Verdicts as they are reached.
    pub fn subscribe(&self) -> watch::Receiver<ChallengerStatus> {
        self.status.subscribe()
    }

    /// Follows L1 until `cancel` fires.
    pub async fn run(mut self, cancel: CancellationToken) -> Result<(), ChallengerError> {
        let mut interval = tokio::time::interval(self.config.poll);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = interval.tick() => {}
            }
            match self.step().await {
                Ok(()) => {}
                Err(err) if err.is_fatal() => {
                    error!(target: "challenger", %err, "stopping");
                    return Err(err);
                }
                Err(err) => warn!(target: "challenger", %err, "will retry"),
            }
        }
    }

    /// Reads the L1 blocks not read yet and judges the batches they post.
    pub async fn step(&mut self) -> Result<(), ChallengerError> {
        const RANGE: u64 = 2_000;
        let latest = self.provider.get_block_number().await.map_err(ChallengerError::l1)?;
        let Some(safe) = latest.checked_sub(self.config.confirmations) else { return Ok(()) };
        while self.cursor <= safe {
            let to = safe.min(self.cursor + RANGE - 1);
            let filter = Filter::new()
                .address(self.config.inbox)
                .event_signature(vec![
                    BatchInbox::BatchPosted::SIGNATURE_HASH,
                    BatchInbox::BatchesRolledBack::SIGNATURE_HASH,
                ])
                .from_block(self.cursor)
                .to_block(to);
            let logs = self.provider.get_logs(&filter).await.map_err(ChallengerError::l1)?;
            for log in &logs {
                let at = (
                    log.block_number.ok_or_else(|| ChallengerError::L1("log without block number".into()))?,
                    log.log_index.ok_or_else(|| ChallengerError::L1("log without index".into()))?,
                );
                // A round that failed half way is read again: skip what was handled already.
                if self.last_event.is_some_and(|last| at <= last) {
                    continue;
                }
                if log.topic0() == Some(&BatchInbox::BatchesRolledBack::SIGNATURE_HASH) {
                    let event =
                        BatchInbox::BatchesRolledBack::decode_log_data(&log.inner.data).map_err(ChallengerError::l1)?;
                    self.rolled_back(event.fromIndex.saturating_to(), event.count.saturating_to());
                } else {
                    let event =
                        BatchInbox::BatchPosted::decode_log_data(&log.inner.data).map_err(ChallengerError::l1)?;
                    let batch = self.fetch(log, event).await?;
                    self.judge(&batch).await?;
                }
                self.last_event = Some(at);
            }
            self.cursor = to + 1;
            self.status.send_modify(|s| s.l1_block = to);
        }
        let advanced = self.advance_proof().await;
        self.persist_proofs().await?;
        advanced
    }

    /// Writes the proofs whose report changed since the last call to the database.
    async fn persist_proofs(&mut self) -> Result<(), ChallengerError> {
        let proofs = self.status.borrow().proofs.clone();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        for (i, report) in proofs.iter().enumerate() {
            let Some(commitment) = report.commitment else { continue };
            if self.persisted.get(i) != Some(report) {
                self.store.record_proof(commitment, report, now).await?;
            }
        }
        self.persisted = proofs;
        Ok(())
    }

    /// The inbox removed `count` batches from `from`.
    fn rolled_back(&mut self, from: u64, count: u64) {
        match self.verifier.roll_back(from) {
            Ok(()) => {
                info!(target: "challenger", from, count, "the inbox rolled batches back; following the re-posted chain")
            }
            Err(reason) => {
                error!(target: "challenger", from, count, %reason, "the inbox rolled back batches this challenger verified")
            }
        }
        self.status.send_modify(|s| s.rollbacks += 1);
        if let Some(pending) = self.pending.take_if(|p| p.proof.index() >= from) {
            self.status.send_modify(|s| {
                let report = &mut s.proofs[pending.report];
                if report.state != ProofState::Proven {
                    report.state = ProofState::Failed;
                    report.error = Some(format!(
                        "batch {} was rolled back (by an earlier proof, possibly this challenger's before a restart) \
                         before this proof was sent",
                        report.batch_index
                    ));
                }
            });
        }
    }

    /// Builds the proof that `batch`, the first invalid batch, is fraudulent, and queues it.
    fn start_proof(&mut self, batch: &PostedBatch) {
        let proof = match self.verifier.prove(batch) {
            Ok(proof) => proof,
            Err(e) => {
                error!(target: "challenger", index = batch.index, error = %e, "cannot build a fraud proof");
                self.status.send_modify(|s| {
                    s.proofs.push(ProofReport {
                        batch_index: batch.index,
                        target: String::new(),
                        commitment: None,
                        reason: String::new(),
                        state: ProofState::Failed,
                        commit_tx: None,
                        proof_tx: None,
                        gas_used: None,
                        calldata_bytes: 0,
                        error: Some(e.to_string()),
                    });
                });
                return;
            }
        };
        let Some((_, prover)) = &self.prover else {
            warn!(target: "challenger", index = batch.index, reason = proof.reason(), "fraud found; no prover key, so no proof is sent");
            return;
        };
        let calldata: Bytes = proof.calldata().into();
        let commitment = prove::commitment(*prover, &calldata);
        let target = match &proof {
            FraudProof::Header { .. } => "header".to_string(),
            FraudProof::Chunk { chunk_index, .. } => format!("chunk {chunk_index}"),
        };
        info!(target: "challenger", index = batch.index, %target, reason = proof.reason(), bytes = calldata.len(), "proving fraud");
        let mut report = 0;
        self.status.send_modify(|s| {
            report = s.proofs.len();
            s.proofs.push(ProofReport {
                batch_index: batch.index,
                target,
                commitment: Some(commitment),
                reason: proof.reason().to_string(),
                state: ProofState::Built,
                commit_tx: None,
                proof_tx: None,
                gas_used: None,
                calldata_bytes: calldata.len() as u64,
                error: None,
            });
        });
        self.pending = Some(PendingProof { proof, calldata, commitment, committed_at: None, report });
    }

    /// Moves the pending proof on: commit it, then (in a later L1 block) reveal it.
    async fn advance_proof(&mut self) -> Result<(), ChallengerError> {
        let (Some(pending), Some((provider, _))) = (&mut self.pending, &self.prover) else { return Ok(()) };
        let inbox = self.config.inbox;
        if pending.committed_at.is_none() {
            let input = BatchInbox::commitProofCall { commitment: pending.commitment }.abi_encode();
            let receipt = send(provider, TransactionRequest::default().with_to(inbox).with_input(input)).await?;
            if !receipt.status() {
                return Err(ChallengerError::L1(format!("commitment {} reverted", receipt.transaction_hash)));
            }
            pending.committed_at = receipt.block_number;
            let (report, tx) = (pending.report, receipt.transaction_hash);
            self.status.send_modify(|s| {
                s.proofs[report].state = ProofState::Committed;
                s.proofs[report].commit_tx = Some(tx);
            });
        }
        let request = TransactionRequest::default().with_to(inbox).with_input(pending.calldata.clone());
        // Estimated on the pending block: the commitment must be in an earlier one.
        let gas = match provider.estimate_gas(request.clone()).block(BlockNumberOrTag::Pending.into()).await {
            Ok(gas) => gas,
            Err(err) => {
                let reason = inbox_error(&err);
                if reason.contains("ProofNotCommitted") {
                    // The node has not moved past the commitment's block yet.
                    return Ok(());
                }
                if reason.starts_with("L1:") {
                    return Err(ChallengerError::L1(reason));
                }
                error!(target: "challenger", index = pending.proof.index(), %reason, "the inbox refuses the fraud proof");
                let report = pending.report;
                self.status.send_modify(|s| {
                    s.proofs[report].state = ProofState::Failed;
                    s.proofs[report].error = Some(reason);
                });
                self.pending = None;
                return Ok(());
            }
        };
        let receipt = send(provider, request.with_gas_limit(gas + gas / 5)).await?;
        let report = pending.report;
        let index = pending.proof.index();
        if receipt.status() {
            info!(target: "challenger", index, tx = %receipt.transaction_hash, gas = receipt.gas_used, "fraud proven");
            self.status.send_modify(|s| {
                s.proofs[report].state = ProofState::Proven;
                s.proofs[report].proof_tx = Some(receipt.transaction_hash);
                s.proofs[report].gas_used = Some(receipt.gas_used);
            });
            self.pending = None;
        } else {
            // Estimated to succeed but reverted (a race with another prover or a rollback):
            // judged again next round from what L1 says.
            warn!(target: "challenger", index, tx = %receipt.transaction_hash, "fraud proof reverted; retrying");
            self.status.send_modify(|s| s.proofs[report].proof_tx = Some(receipt.transaction_hash));
        }
        Ok(())
    }

    async fn fetch(&self, log: &Log, event: BatchInbox::BatchPosted) -> Result<PostedBatch, ChallengerError> {
        let tx_hash = log.transaction_hash.ok_or_else(|| ChallengerError::L1("log without transaction".into()))?;
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(ChallengerError::l1)?
            .ok_or_else(|| ChallengerError::L1(format!("L1 transaction {tx_hash} not found")))?;
        // The inbox only accepts posts from the batcher account, so the batch is in the
        // transaction that emitted the event: its calldata, or its blobs.
        let input = tx.inner.inner().input();
        let l1_block = log.block_number.ok_or_else(|| ChallengerError::L1("log without block number".into()))?;
        let not_a_post = |e: alloy_sol_types::Error| {
            ChallengerError::Config(format!(
                "L1 transaction {tx_hash} is not a direct postBatch or postBatchBlobs call ({e}); this challenger reads \
                 batches from posts made by an externally owned batcher account"
            ))
        };
        let (data, blob_hashes, prev_state_root, chunk_roots) =
            if input.starts_with(&BatchInbox::postBatchBlobsCall::SELECTOR) {
                let call = BatchInbox::postBatchBlobsCall::abi_decode(input).map_err(not_a_post)?;
                let hashes = tx.inner.inner().blob_versioned_hashes().unwrap_or_default().to_vec();
                let data = self.blob_data(l1_block, &hashes).await?;
                (data, hashes, call.prevStateRoot, call.chunkRoots)
            } else {
                let call = BatchInbox::postBatchCall::abi_decode(input).map_err(not_a_post)?;
                (call.data, Vec::new(), call.prevStateRoot, call.chunkRoots)
            };
        Ok(PostedBatch {
            index: event.index.saturating_to(),
            l1_block,
            l1_tx_hash: tx_hash,
            data_hash: event.dataHash,
            data,
            blob_hashes,
            prev_state_root,
            chunk_roots,
            state_root: event.stateRoot,
            last_block: event.lastL2Block,
        })
    }

    /// The batch data carried by the blobs `hashes` of L1 block `block`, read from the beacon
    /// API and checked against the versioned hashes (KZG commitment of each blob).
    async fn blob_data(&self, block: u64, hashes: &[B256]) -> Result<Bytes, ChallengerError> {
        let base = self.config.l1_beacon.as_ref().unwrap_or(&self.config.l1_rpc);
        let url = format!("{}/eth/v1/beacon/blobs/{block}", base.as_str().trim_end_matches('/'));
        let body: serde_json::Value = reqwest::get(&url)
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(ChallengerError::l1)?
            .json()
            .await
            .map_err(ChallengerError::l1)?;
        let served = body["data"].as_array().cloned().unwrap_or_default();
        let settings = EnvKzgSettings::Default.get();
        let mut by_hash: HashMap<B256, Blob> = HashMap::new();
        for item in served {
            let hex = item.as_str().or_else(|| item["blob"].as_str()).unwrap_or_default();
            // A malformed entry cannot be any of the post's blobs; a missing blob is reported
            // below.
            let Ok(bytes) = alloy_primitives::hex::decode(hex) else { continue };
            let Ok(blob) = Blob::try_from(bytes.as_slice()) else { continue };
            let commitment = settings.blob_to_kzg_commitment(blob.as_ckzg()).map_err(ChallengerError::l1)?;
            by_hash.insert(kzg_to_versioned_hash(commitment.to_bytes().as_slice()), blob);
        }
        let mut blobs = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let blob = by_hash
                .get(hash)
                .ok_or_else(|| ChallengerError::L1(format!("the beacon API at {url} does not serve blob {hash}")))?;
            blobs.push(blob.as_slice());
        }
        // A layout that is not the batcher's makes the batch invalid: its data is empty, which
        // does not decode, and the verdict says so.
        Ok(match rollup_types::blob::from_blobs(&blobs) {
            Ok(data) => data.into(),
            Err(e) => {
                warn!(target: "challenger", block, error = %e, "blob contents are not batch data");
                Bytes::new()
            }
        })
    }

    async fn judge(&mut self, batch: &PostedBatch) -> Result<(), ChallengerError> {
        let verdict = self.verifier.verify(batch);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.store.record(batch, &verdict, now).await?;
        match &verdict {
            Verdict::Verified { state_root } => {
                info!(target: "challenger", index = batch.index, l1_block = batch.l1_block, %state_root, "batch verified");
                self.status.send_modify(|s| {
                    s.batches_checked += 1;
                    s.last_verified_batch = Some(batch.index);
                    s.last_verified_state_root = Some(*state_root);
                    s.last_verified_l2_block = Some(batch.last_block);
                });
            }
            Verdict::Mismatch { reason, computed_root } => {
                error!(target: "challenger", index = batch.index, %reason, posted = %batch.state_root, ?computed_root, "batch MISMATCH");
                self.status.send_modify(|s| {
                    s.batches_checked += 1;
                    s.mismatches.push(Mismatch {
                        batch_index: batch.index,
                        reason: reason.clone(),
                        posted_root: batch.state_root,
                        computed_root: *computed_root,
                    });
                });
                if self.verifier.invalid_from() == Some(batch.index) && self.pending.is_none() {
                    self.start_proof(batch);
                }
            }
        }
        Ok(())
    }
}

/// Sends `request` from the prover and waits for its receipt.
async fn send(
    provider: &DynProvider,
    request: TransactionRequest,
) -> Result<alloy::rpc::types::TransactionReceipt, ChallengerError> {
    let pending = provider.send_transaction(request).await.map_err(ChallengerError::l1)?;
    pending.with_timeout(Some(Duration::from_secs(120))).get_receipt().await.map_err(ChallengerError::l1)
}

/// The inbox's (or its verifier's) error behind a failed call, by name; `L1: …` when the
/// call failed for another reason.
fn inbox_error(err: &alloy::transports::TransportError) -> String {
    if let Some(payload) = err.as_error_resp() {
        if let Some(e) = payload.as_decoded_interface_error::<BatchInbox::BatchInboxErrors>() {
            return format!("{e:?}");
        }
        if let Some(e) = payload.as_decoded_interface_error::<ChunkVerifier::ChunkVerifierErrors>() {
            return format!("{e:?}");
        }
        if payload.as_revert_data().is_some() {
            return format!("reverted: {}", payload.message);
        }
    }
    format!("L1: {err}")
}
