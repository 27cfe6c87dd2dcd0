//! The L1 transaction manager: signs each post locally with an explicit nonce, stores the
//! signed bytes before broadcasting them, watches for the receipt, re-broadcasts what the L1
//! node lost, and signs the same nonce again with higher fees when a post waits too long.
//!
//! One post is in flight at a time, so nonces never gap: a new post takes the account's
//! pending nonce only when no stored attempt is unsettled. Rules: docs/batcher.md.

use crate::error::BatcherError;
use alloy::{
    consensus::{Transaction, TxEip4844Variant, TxEnvelope},
    eips::{
        eip2718::{Decodable2718, Encodable2718},
        eip7594::BlobTransactionSidecarVariant,
    },
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder, TransactionBuilder4844},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use rollup_chain_store::{L1TxRecord, L1TxStatus, Store};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{info, warn};

/// How posts are priced and chased.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxManagerConfig {
    /// A post not mined after this long is signed again with higher fees.
    pub resubmit_after: Duration,
    /// Fee increase of each bump, percent (at least 10, what L1 nodes require to replace a
    /// transaction).
    pub fee_bump_percent: u64,
    /// Highest fee cap the manager signs, wei per gas; bumps stop there.
    pub max_fee_per_gas: u128,
    /// L1 blocks on top of a post before the batcher stops checking it for reorgs.
    pub confirmations: u64,
}

impl Default for TxManagerConfig {
    fn default() -> Self {
        Self {
            resubmit_after: Duration::from_secs(60),
            fee_bump_percent: 25,
            max_fee_per_gas: 1_000_000_000_000,
            confirmations: 6,
        }
    }
}

/// Where the post in flight stands.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Nothing in flight.
    Idle,
    /// In flight, not mined yet (`attempts` signed so far, the newest last).
    Waiting(Vec<L1TxRecord>),
    /// One attempt was mined and succeeded.
    Mined(L1TxRecord, Box<TransactionReceipt>),
    /// One attempt was mined and reverted.
    Reverted(L1TxRecord, Box<TransactionReceipt>),
    /// The nonce was used by a transaction the manager did not sign (or no longer knows):
    /// the attempts are dropped and L1 decides what was posted.
    NonceTaken(u64),
}

/// Signs, stores, broadcasts and chases L1 transactions.
#[derive(Debug)]
pub(crate) struct TxManager {
    provider: DynProvider,
    wallet: EthereumWallet,
    address: Address,
    chain_id: u64,
    store: Store,
    pub(crate) config: TxManagerConfig,
}

/// How long after its newest attempt a post whose nonce was used without a receipt of its own
/// counts as lost to another transaction.
const NONCE_TAKEN_AFTER: Duration = Duration::from_secs(30);

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Whether an L1 node's refusal says the account cannot pay.
fn is_insufficient_funds(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("insufficient funds") || m.contains("insufficient balance")
}

/// Whether an L1 node's refusal says it has the transaction already (or mined its nonce).
fn is_already_known(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("already known") || m.contains("already imported") || m.contains("nonce too low")
}

impl TxManager {
    pub(crate) async fn new(
        provider: DynProvider,
        wallet: EthereumWallet,
        address: Address,
        store: Store,
        config: TxManagerConfig,
    ) -> Result<Self, BatcherError> {
        if config.fee_bump_percent < 10 {
            return Err(BatcherError::Config(format!(
                "a fee bump of {}% is below the 10% L1 nodes require to replace a transaction",
                config.fee_bump_percent
            )));
        }
        let chain_id = provider.get_chain_id().await.map_err(BatcherError::l1)?;
        Ok(Self { provider, wallet, address, chain_id, store, config })
    }

    /// Signs a post of batch `index` calling `to` with `input` and `value` (and blobs, when a
    /// sidecar is given), stores it, then broadcasts it.
    pub(crate) async fn send(
        &self,
        index: u64,
        to: Address,
        input: Bytes,
        value: U256,
        blobs: Option<BlobTransactionSidecarVariant>,
    ) -> Result<L1TxRecord, BatcherError> {
        let nonce = self.provider.get_transaction_count(self.address).pending().await.map_err(BatcherError::l1)?;
        let mut call =
            TransactionRequest::default().with_from(self.address).with_to(to).with_input(input).with_value(value);
        if let Some(sidecar) = blobs {
            // Twice the current blob base fee: room for it to rise while the post waits.
            let blob_fee = self.provider.get_blob_base_fee().await.map_err(BatcherError::l1)?;
            call = call.with_blob_sidecar(sidecar).with_max_fee_per_blob_gas(blob_fee.saturating_mul(2).max(1));
        }
        // The estimate needs the blobs' versioned hashes, not the blobs themselves (128 KiB
        // each would travel to the node once more).
        let mut estimate = call.clone();
        estimate.sidecar = None;
        let gas = self.provider.estimate_gas(estimate).await.map_err(|e| {
            let message = e.to_string();
            if is_insufficient_funds(&message) {
                BatcherError::InsufficientFunds(message)
            } else {
                BatcherError::L1(format!("estimating the post of batch {index}: {message}"))
            }
        })?;
        let fees = self.provider.estimate_eip1559_fees().await.map_err(BatcherError::l1)?;
        let max_fee = fees.max_fee_per_gas.min(self.config.max_fee_per_gas);
        let priority = fees.max_priority_fee_per_gas.min(max_fee);
        // A margin over the estimate: the inbox's cost does not depend on state that changes
        // between estimate and inclusion, but an L1 node's estimate may be tight.
        let request = call.with_nonce(nonce).with_gas_limit(gas + gas / 5 + 10_000);
        let attempt = self.sign(index, request, max_fee, priority).await?;
        self.store.insert_l1_tx(&attempt).await?;
        self.broadcast(&attempt).await?;
        info!(target: "batcher", index, nonce, tx = %attempt.tx_hash, max_fee, priority, "post sent");
        Ok(attempt)
    }

    async fn sign(
        &self,
        index: u64,
        request: TransactionRequest,
        max_fee: u128,
        priority: u128,
    ) -> Result<L1TxRecord, BatcherError> {
        let nonce = request.nonce.unwrap_or_default();
        let envelope: TxEnvelope = request
            .with_chain_id(self.chain_id)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority)
            .build(&self.wallet)
            .await
            .map_err(|e| BatcherError::Config(format!("cannot sign the post of batch {index}: {e}")))?;
        Ok(L1TxRecord {
            tx_hash: *envelope.tx_hash(),
            batch_index: index,
            nonce,
            raw: envelope.encoded_2718(),
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: priority,
            sent_at: now_ms(),
            status: L1TxStatus::Pending,
        })
    }

    /// Hands a stored attempt to the L1 node. A node that already has it is fine.
    pub(crate) async fn broadcast(&self, attempt: &L1TxRecord) -> Result<(), BatcherError> {
        match self.provider.send_raw_transaction(&attempt.raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let message = e.to_string();
                if is_already_known(&message) {
                    Ok(())
                } else if is_insufficient_funds(&message) {
                    Err(BatcherError::InsufficientFunds(message))
                } else {
                    Err(BatcherError::L1(format!("broadcasting {}: {message}", attempt.tx_hash)))
                }
            }
        }
    }

    /// Looks at the post in flight: mined, reverted, lost, or still waiting (re-broadcast
    /// when the node lost it, fee-bumped when it waited too long). Returns whether a
    /// re-broadcast or a bump happened with the progress.
    pub(crate) async fn progress(&self) -> Result<(Progress, Chase), BatcherError> {
        let attempts = self.store.pending_l1_txs().await?;
        let Some(newest) = attempts.last().cloned() else { return Ok((Progress::Idle, Chase::None)) };
        for attempt in attempts.iter().rev() {
            if let Some(receipt) =
                self.provider.get_transaction_receipt(attempt.tx_hash).await.map_err(BatcherError::l1)?
            {
                let receipt = Box::new(receipt);
                return Ok(if receipt.status() {
                    (Progress::Mined(attempt.clone(), receipt), Chase::None)
                } else {
                    (Progress::Reverted(attempt.clone(), receipt), Chase::None)
                });
            }
        }
        let waited = Duration::from_millis(now_ms().saturating_sub(newest.sent_at));
        let mined_nonce = self.provider.get_transaction_count(self.address).latest().await.map_err(BatcherError::l1)?;
        if mined_nonce > newest.nonce {
            // A node can count the nonce a moment before it serves the receipt: only a nonce
            // used for a while without a receipt of ours was taken by something else.
            if waited >= NONCE_TAKEN_AFTER {
                return Ok((Progress::NonceTaken(newest.batch_index), Chase::None));
            }
            return Ok((Progress::Waiting(attempts), Chase::None));
        }
        if waited >= self.config.resubmit_after
            && let Some(bumped) = self.bump(&newest).await?
        {
            let mut attempts = attempts;
            attempts.push(bumped);
            return Ok((Progress::Waiting(attempts), Chase::Bumped));
        }
        let known = self.provider.get_transaction_by_hash(newest.tx_hash).await.map_err(BatcherError::l1)?.is_some();
        if !known {
            warn!(target: "batcher", index = newest.batch_index, tx = %newest.tx_hash, "the L1 node lost the post; broadcasting it again");
            self.broadcast(&newest).await?;
            return Ok((Progress::Waiting(attempts), Chase::Rebroadcast));
        }
        Ok((Progress::Waiting(attempts), Chase::None))
    }

    /// Signs `attempt` again with fees raised by the bump percentage (and at least the
    /// current estimate), stores and broadcasts it. `None` when the fee cap forbids a bump.
    async fn bump(&self, attempt: &L1TxRecord) -> Result<Option<L1TxRecord>, BatcherError> {
        let tx = TxEnvelope::decode_2718(&mut attempt.raw.as_slice()).map_err(|e| {
            BatcherError::Inconsistent(format!("stored L1 transaction {} is corrupt: {e}", attempt.tx_hash))
        })?;
        let raise = |v: u128| v + (v * u128::from(self.config.fee_bump_percent)).div_ceil(100).max(1);
        let fees = self.provider.estimate_eip1559_fees().await.map_err(BatcherError::l1)?;
        let priority = raise(attempt.max_priority_fee_per_gas).max(fees.max_priority_fee_per_gas);
        let max_fee = raise(attempt.max_fee_per_gas).max(fees.max_fee_per_gas).max(priority);
        if max_fee > self.config.max_fee_per_gas {
            warn!(
                target: "batcher",
                index = attempt.batch_index,
                max_fee,
                cap = self.config.max_fee_per_gas,
                "post is waiting but its fee cap is reached; not bumping"
            );
            return Ok(None);
        }
        let Some(to) = tx.to() else {
            return Err(BatcherError::Inconsistent(format!("stored L1 transaction {} has no target", attempt.tx_hash)));
        };
        let mut request = TransactionRequest::default()
            .with_from(self.address)
            .with_to(to)
            .with_input(tx.input().clone())
            .with_value(tx.value())
            .with_nonce(tx.nonce())
            .with_gas_limit(tx.gas_limit());
        if let TxEnvelope::Eip4844(signed) = &tx {
            let TxEip4844Variant::TxEip4844WithSidecar(with) = signed.tx() else {
                return Err(BatcherError::Inconsistent(format!(
                    "stored blob post {} has no blobs to sign again",
                    attempt.tx_hash
                )));
            };
            // L1 nodes replace a blob transaction only for twice its blob fee.
            let blob_fee = with.tx.max_fee_per_blob_gas.saturating_mul(2);
            request = request.with_blob_sidecar(with.sidecar.clone()).with_max_fee_per_blob_gas(blob_fee);
        }
        let bumped = self.sign(attempt.batch_index, request, max_fee, priority).await?;
        self.store.insert_l1_tx(&bumped).await?;
        self.broadcast(&bumped).await?;
        info!(
            target: "batcher",
            index = attempt.batch_index,
            nonce = attempt.nonce,
            replaces = %attempt.tx_hash,
            tx = %bumped.tx_hash,
            max_fee,
            priority,
            "post re-signed with higher fees"
        );
        Ok(Some(bumped))
    }

    /// Whether the L1 node still holds `hash` unmined (a post that a reorg took out of a
    /// block but that the node put back in its pool).
    pub(crate) async fn is_pending_on_l1(&self, hash: B256) -> Result<bool, BatcherError> {
        let tx = self.provider.get_transaction_by_hash(hash).await.map_err(BatcherError::l1)?;
        Ok(tx.is_some_and(|t| t.block_number.is_none()))
    }
}

/// What the manager did to a waiting post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chase {
    /// Nothing.
    None,
    /// Broadcast it again.
    Rebroadcast,
    /// Signed it again with higher fees.
    Bumped,
}
