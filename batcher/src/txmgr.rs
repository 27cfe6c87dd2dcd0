//! The L1 transaction manager: signs each post locally with an explicit nonce and gas limit,
//! stores the signed bytes before broadcasting them, watches for receipts, re-broadcasts what
//! the L1 node lost, and signs the same nonce again with higher fees when a post waits too
//! long.
//!
//! Several posts are in flight at once, on consecutive nonces of the batcher account: one post
//! per nonce, each with the attempts signed for it (the first and its fee bumps). The database
//! is the record of what is in flight (`pending` attempts), so a restart resumes exactly
//! where the process stopped. Rules: docs/batcher.md §2.

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
use rollup_chain_store::{L1TxRecord, L1TxStatus, PendingL1Tx, Store};
use rollup_l1::{L1Error, pool::Refusal};
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
    /// Most posts in flight at once (signed, not yet mined), on consecutive nonces.
    pub max_in_flight: usize,
}

impl Default for TxManagerConfig {
    fn default() -> Self {
        Self {
            resubmit_after: Duration::from_secs(60),
            fee_bump_percent: 25,
            max_fee_per_gas: 1_000_000_000_000,
            confirmations: 6,
            max_in_flight: 16,
        }
    }
}

/// A post in flight: one nonce, one batch, and the attempts signed for it, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct Post {
    /// The batcher account's nonce it uses.
    pub(crate) nonce: u64,
    /// The batch it posts.
    pub(crate) index: u64,
    /// Its attempts, oldest first, without their signed bytes ([`TxManager::signed`] reads
    /// them).
    pub(crate) attempts: Vec<L1TxRecord>,
    /// The attempt whose signed bytes are kept (the newest one that has them).
    pub(crate) signed: Option<B256>,
}

impl Post {
    /// The newest attempt.
    pub(crate) fn newest(&self) -> &L1TxRecord {
        // A post is made of at least one attempt (`in_flight` groups existing rows).
        &self.attempts[self.attempts.len() - 1]
    }
}

/// Where one post in flight stands.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Not mined yet.
    Waiting,
    /// One attempt was mined and succeeded.
    Mined(L1TxRecord, Box<TransactionReceipt>),
    /// One attempt was mined and reverted.
    Reverted(L1TxRecord, Box<TransactionReceipt>),
    /// The nonce was used by a transaction the manager did not sign (or no longer knows):
    /// the attempts are dropped and L1 decides what was posted.
    NonceTaken,
}

/// A post's attempt that was mined, with its receipt.
pub(crate) type Mined = (L1TxRecord, Box<TransactionReceipt>);

/// The batcher account's nonces on the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Nonces {
    /// In the latest block.
    pub(crate) mined: u64,
    /// Counting the transactions the node holds in its pool.
    pub(crate) pending: u64,
    /// The node's latest block number, read with them.
    pub(crate) head: u64,
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

/// Fees a post is signed with, wei per gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fees {
    pub(crate) max_fee: u128,
    pub(crate) priority: u128,
    /// Blob fee cap, for blob posts.
    pub(crate) blob_fee: u128,
}

/// A post to sign.
#[derive(Debug)]
pub(crate) struct NewPost {
    pub(crate) index: u64,
    pub(crate) nonce: u64,
    pub(crate) to: Address,
    pub(crate) input: Bytes,
    pub(crate) value: U256,
    pub(crate) gas_limit: u64,
    pub(crate) blobs: Option<BlobTransactionSidecarVariant>,
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
    /// When this manager started (Unix milliseconds): posts signed before are checked at once.
    started_at: u64,
    /// Posts (by their newest attempt) the node held neither in its pool nor by hash, and when
    /// that was first seen: Unix milliseconds and the node's latest block.
    missing: std::sync::Mutex<std::collections::HashMap<B256, (u64, u64)>>,
    /// The account's mined nonce while it stayed below the first post in flight, and when that
    /// was first seen: Unix milliseconds and the node's latest block.
    gap: std::sync::Mutex<Option<(u64, u64, u64)>>,
    /// Fees of the newest filler signed for each nonce of a gap, so that the next replaces it.
    fillers: std::sync::Mutex<std::collections::HashMap<u64, (u128, u128)>>,
}

/// How long after its newest attempt a post whose nonce was used without a receipt of its own
/// counts as lost to another transaction.
const NONCE_TAKEN_AFTER: Duration = Duration::from_secs(30);

/// How long a post waits before the manager asks the node whether it still holds it. The
/// answer carries the whole transaction (up to 128 kB of calldata, twice as hex): asked of
/// every post every round, it would cost more than posting. A node that lost a post is found
/// out within this, and a restart asks at once (its posts were signed before it).
const LOST_CHECK_AFTER: Duration = Duration::from_secs(3);

/// How long a post the node holds neither in its pool nor by hash must stay so, if no two
/// blocks came in the meantime, before it is taken for lost: a node's pool count and index can
/// lag a post, and a block in the making can hold it.
const LOST_CONFIRM: Duration = Duration::from_secs(10);

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The error for a node that refused to take a post.
fn refused(hash: B256, message: String) -> BatcherError {
    match Refusal::of(&message) {
        Refusal::InsufficientFunds => BatcherError::InsufficientFunds(message),
        Refusal::Busy => BatcherError::L1(L1Error::Transport(format!("broadcasting {hash}: {message}"))),
        Refusal::Known | Refusal::Rule => BatcherError::Refused { tx: hash, reason: message },
    }
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
        if config.max_in_flight == 0 {
            return Err(BatcherError::Config("at least one post must be allowed in flight".into()));
        }
        let chain_id = provider.get_chain_id().await.map_err(BatcherError::l1)?;
        Ok(Self {
            provider,
            wallet,
            address,
            chain_id,
            store,
            config,
            started_at: now_ms(),
            missing: Default::default(),
            gap: Default::default(),
            fillers: Default::default(),
        })
    }

    /// The posts in flight, by nonce.
    pub(crate) async fn in_flight(&self) -> Result<Vec<Post>, BatcherError> {
        let mut posts: Vec<Post> = Vec::new();
        for PendingL1Tx { record: attempt, signed } in self.store.pending_l1_txs().await? {
            let hash = attempt.tx_hash;
            match posts.last_mut() {
                Some(post) if post.nonce == attempt.nonce => {
                    if post.index != attempt.batch_index {
                        return Err(BatcherError::Inconsistent(format!(
                            "nonce {} carries posts of batches {} and {}",
                            attempt.nonce, post.index, attempt.batch_index
                        )));
                    }
                    post.attempts.push(attempt);
                }
                _ => posts.push(Post {
                    nonce: attempt.nonce,
                    index: attempt.batch_index,
                    attempts: vec![attempt],
                    signed: None,
                }),
            }
            if signed && let Some(post) = posts.last_mut() {
                post.signed = Some(hash);
            }
        }
        Ok(posts)
    }

    /// The attempt of `post` whose signed bytes are kept, with them.
    pub(crate) async fn signed(&self, post: &Post) -> Result<L1TxRecord, BatcherError> {
        let missing = || {
            BatcherError::Inconsistent(format!(
                "the post of batch {} (nonce {}) has no stored signed bytes",
                post.index, post.nonce
            ))
        };
        let hash = post.signed.ok_or_else(missing)?;
        self.store.l1_tx(hash).await?.filter(|a| !a.raw.is_empty()).ok_or_else(missing)
    }

    /// The receipt of the attempt of `post` that was mined, if one was (newest attempt first).
    pub(crate) async fn receipt(&self, post: &Post) -> Result<Option<Mined>, BatcherError> {
        for attempt in post.attempts.iter().rev() {
            if let Some(receipt) =
                self.provider.get_transaction_receipt(attempt.tx_hash).await.map_err(BatcherError::l1)?
            {
                return Ok(Some((attempt.clone(), Box::new(receipt))));
            }
        }
        Ok(None)
    }

    /// [`Self::receipt`] of every post, asked of the node at once.
    pub(crate) async fn receipts(&self, posts: &[Post]) -> Result<Vec<Option<Mined>>, BatcherError> {
        futures::future::try_join_all(posts.iter().map(|post| self.receipt(post))).await
    }

    /// The nonce of the next post: after the newest in flight, or the account's pending nonce
    /// when none is (which counts transactions of the account the node still holds). `None`
    /// when the L1 no longer has the nonce of `last_recorded`, the post of the last recorded
    /// batch: a reorg took it out since the round's reconciliation, and a post now would take
    /// the nonce that post must land with again (the next round reconciles first).
    pub(crate) async fn next_nonce(
        &self,
        in_flight: &[Post],
        last_recorded: Option<B256>,
    ) -> Result<Option<u64>, BatcherError> {
        if let Some(post) = in_flight.last() {
            return Ok(Some(post.nonce + 1));
        }
        let pending = self.provider.get_transaction_count(self.address).pending().await.map_err(BatcherError::l1)?;
        if let Some(hash) = last_recorded
            && let Some(recorded) = self.store.l1_tx(hash).await?
            && pending <= recorded.nonce
        {
            return Ok(None);
        }
        Ok(Some(pending))
    }

    /// The fees of new posts: the node's EIP-1559 estimate (and twice the blob base fee for
    /// blob posts), capped at the configured maximum.
    pub(crate) async fn fees(&self, blobs: bool) -> Result<Fees, BatcherError> {
        let fees = self.provider.estimate_eip1559_fees().await.map_err(BatcherError::l1)?;
        let max_fee = fees.max_fee_per_gas.min(self.config.max_fee_per_gas);
        let priority = fees.max_priority_fee_per_gas.min(max_fee);
        let blob_fee = if blobs {
            // Twice the current blob base fee: room for it to rise while the post waits.
            self.provider.get_blob_base_fee().await.map_err(BatcherError::l1)?.saturating_mul(2).max(1)
        } else {
            0
        };
        Ok(Fees { max_fee, priority, blob_fee })
    }

    /// The account's balance, to check posts against before signing them ([`Self::can_pay`]).
    pub(crate) async fn balance(&self) -> Result<U256, BatcherError> {
        self.provider.get_balance(self.address).await.map_err(BatcherError::l1)
    }

    /// Takes what a post may cost (gas at `fees`, plus `value`) from `balance`, or says the
    /// account cannot pay: checked before signing so that a post that cannot be paid is never
    /// stored.
    pub(crate) fn can_pay(&self, balance: &mut U256, gas: u64, fees: Fees, value: U256) -> Result<(), BatcherError> {
        let cost = U256::from(gas) * U256::from(fees.max_fee) + value;
        if *balance < cost {
            return Err(BatcherError::InsufficientFunds(format!(
                "the batcher account {} holds {balance} wei besides its posts in this round; the next post needs up \
                 to {cost}",
                self.address
            )));
        }
        *balance -= cost;
        Ok(())
    }

    /// Signs `post` with `fees` (it is neither stored nor sent: [`Self::store_and_broadcast`]).
    pub(crate) async fn sign_post(&self, post: NewPost, fees: Fees) -> Result<L1TxRecord, BatcherError> {
        let NewPost { index, nonce, to, input, value, gas_limit, blobs } = post;
        let mut request = TransactionRequest::default()
            .with_from(self.address)
            .with_to(to)
            .with_input(input)
            .with_value(value)
            .with_nonce(nonce)
            .with_gas_limit(gas_limit);
        if let Some(sidecar) = blobs {
            request = request.with_blob_sidecar(sidecar).with_max_fee_per_blob_gas(fees.blob_fee);
        }
        self.sign(index, request, fees.max_fee, fees.priority).await
    }

    /// Stores signed posts in one database transaction, then broadcasts them in order: nothing
    /// is sent that is not stored. A post not broadcast because of an error is followed like
    /// any post the node lost.
    pub(crate) async fn store_and_broadcast(&self, attempts: &[L1TxRecord]) -> Result<(), BatcherError> {
        self.store.insert_l1_txs(attempts).await?;
        for attempt in attempts {
            self.broadcast(attempt).await?;
            info!(target: "batcher", index = attempt.batch_index, nonce = attempt.nonce, tx = %attempt.tx_hash, max_fee = attempt.max_fee_per_gas, "post sent");
        }
        Ok(())
    }

    /// Signs `request` with the chain id and these fees; `what` names it in the error.
    async fn sign_envelope(
        &self,
        request: TransactionRequest,
        max_fee: u128,
        priority: u128,
        what: impl FnOnce() -> String,
    ) -> Result<TxEnvelope, BatcherError> {
        request
            .with_chain_id(self.chain_id)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority)
            .build(&self.wallet)
            .await
            .map_err(|e| BatcherError::Config(format!("cannot sign {}: {e}", what())))
    }

    async fn sign(
        &self,
        index: u64,
        request: TransactionRequest,
        max_fee: u128,
        priority: u128,
    ) -> Result<L1TxRecord, BatcherError> {
        let nonce = request.nonce.unwrap_or_default();
        let envelope = self.sign_envelope(request, max_fee, priority, || format!("the post of batch {index}")).await?;
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

    /// Hands a stored attempt to the L1 node. A node that already has it is fine; one that
    /// refuses it for good (too large, too much gas, a rule of its pool) stalls posting with
    /// its reason.
    pub(crate) async fn broadcast(&self, attempt: &L1TxRecord) -> Result<(), BatcherError> {
        match self.provider.send_raw_transaction(&attempt.raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let message = e.to_string();
                if Refusal::of(&message) == Refusal::Known { Ok(()) } else { Err(refused(attempt.tx_hash, message)) }
            }
        }
    }

    /// Looks at one post in flight: mined, reverted, lost to another transaction, or still
    /// waiting (broadcast again when the node lost it, fee-bumped when it waited too long).
    /// `nonces` are the account's nonces in the latest block and counting the node's pool;
    /// `mined` is what [`Self::receipt`] found for it.
    pub(crate) async fn progress(
        &self,
        post: &mut Post,
        nonces: Nonces,
        mined: Option<Mined>,
    ) -> Result<(Progress, Chase), BatcherError> {
        let Nonces { mined: mined_nonce, pending: pending_nonce, head } = nonces;
        if let Some((attempt, receipt)) = mined {
            return Ok(if receipt.status() {
                (Progress::Mined(attempt, receipt), Chase::None)
            } else {
                (Progress::Reverted(attempt, receipt), Chase::None)
            });
        }
        let newest = post.newest().clone();
        let waited = Duration::from_millis(now_ms().saturating_sub(newest.sent_at));
        if mined_nonce > post.nonce {
            // A node can count the nonce a moment before it serves the receipt: only a nonce
            // used for a while without a receipt of ours was taken by something else.
            if waited >= NONCE_TAKEN_AFTER {
                return Ok((Progress::NonceTaken, Chase::None));
            }
            return Ok((Progress::Waiting, Chase::None));
        }
        if waited >= self.config.resubmit_after
            && let Some(bumped) = self.bump(post).await?
        {
            post.signed = Some(bumped.tx_hash);
            post.attempts.push(L1TxRecord { raw: Vec::new(), ..bumped });
            return Ok((Progress::Waiting, Chase::Bumped));
        }
        // The node's pending count stops below this nonce: it may have lost the post, or its
        // count may lag a post it took a moment ago (anvil's does under bursts), so the post
        // itself is asked for (an answer as large as broadcasting it again). Otherwise the node
        // holds something at this nonce, most likely this post: asked about only once it has
        // waited a while, or at once when it was signed before a restart.
        let restarted = newest.sent_at < self.started_at;
        if !(pending_nonce <= post.nonce || waited >= LOST_CHECK_AFTER || restarted) {
            return Ok((Progress::Waiting, Chase::None));
        }
        let held = self.provider.get_transaction_by_hash(newest.tx_hash).await.map_err(BatcherError::l1)?.is_some();
        let now = now_ms();
        let lost = {
            let mut missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
            if held {
                missing.remove(&newest.tx_hash);
                false
            } else {
                // Lost once the node still holds nothing two blocks after it was first seen so,
                // or a while after (a node that mines only when sent something), and at once
                // for a post signed before a restart.
                missing.retain(|_, (first, _)| now.saturating_sub(*first) < 60_000);
                let (first, first_head) = *missing.entry(newest.tx_hash).or_insert((now, head));
                let lost =
                    restarted || head >= first_head + 2 || now.saturating_sub(first) >= LOST_CONFIRM.as_millis() as u64;
                if lost {
                    missing.remove(&newest.tx_hash);
                }
                lost
            }
        };
        if lost {
            // A node drops a transaction whose max fee fell under the base fee (anvil does, as
            // soon as it builds a block with that base fee): the same bytes would be refused,
            // or dropped again. Signed again with higher fees instead.
            let base_fee = self.next_base_fee().await?;
            if newest.max_fee_per_gas < base_fee
                && let Some(bumped) = self.bump(post).await?
            {
                info!(target: "batcher", index = post.index, nonce = post.nonce, max_fee = newest.max_fee_per_gas, base_fee, tx = %bumped.tx_hash, "the L1 node dropped the post, its max fee now under the base fee; signed again with higher fees");
                post.signed = Some(bumped.tx_hash);
                post.attempts.push(L1TxRecord { raw: Vec::new(), ..bumped });
                return Ok((Progress::Waiting, Chase::Bumped));
            }
            let signed = self.signed(post).await?;
            warn!(target: "batcher", index = post.index, nonce = post.nonce, tx = %signed.tx_hash, "the L1 node lost the post; broadcasting it again");
            self.broadcast(&signed).await?;
            return Ok((Progress::Waiting, Chase::Rebroadcast));
        }
        Ok((Progress::Waiting, Chase::None))
    }

    /// Signs the post again with fees raised by the bump percentage (and at least the current
    /// estimate), stores and broadcasts it. `None` when the fee cap forbids a bump.
    async fn bump(&self, post: &Post) -> Result<Option<L1TxRecord>, BatcherError> {
        let newest = post.newest();
        let signed = self.signed(post).await?;
        let tx = TxEnvelope::decode_2718(&mut signed.raw.as_slice()).map_err(|e| {
            BatcherError::Inconsistent(format!("stored L1 transaction {} is corrupt: {e}", signed.tx_hash))
        })?;
        let raise = |v: u128| v + (v * u128::from(self.config.fee_bump_percent)).div_ceil(100).max(1);
        let fees = self.provider.estimate_eip1559_fees().await.map_err(BatcherError::l1)?;
        let priority = raise(newest.max_priority_fee_per_gas).max(fees.max_priority_fee_per_gas);
        let max_fee = raise(newest.max_fee_per_gas).max(fees.max_fee_per_gas).max(priority);
        if max_fee > self.config.max_fee_per_gas {
            warn!(
                target: "batcher",
                index = post.index,
                max_fee,
                cap = self.config.max_fee_per_gas,
                "post is waiting but its fee cap is reached; not bumping"
            );
            return Ok(None);
        }
        let Some(to) = tx.to() else {
            return Err(BatcherError::Inconsistent(format!("stored L1 transaction {} has no target", signed.tx_hash)));
        };
        let mut request = TransactionRequest::default()
            .with_from(self.address)
            .with_to(to)
            .with_input(tx.input().clone())
            .with_value(tx.value())
            .with_nonce(tx.nonce())
            .with_gas_limit(tx.gas_limit());
        if let TxEnvelope::Eip4844(blob_tx) = &tx {
            let TxEip4844Variant::TxEip4844WithSidecar(with) = blob_tx.tx() else {
                return Err(BatcherError::Inconsistent(format!(
                    "stored blob post {} has no blobs to sign again",
                    signed.tx_hash
                )));
            };
            // L1 nodes replace a blob transaction only for twice its blob fee.
            let blob_fee = with.tx.max_fee_per_blob_gas.saturating_mul(2);
            request = request.with_blob_sidecar(with.sidecar.clone()).with_max_fee_per_blob_gas(blob_fee);
        }
        let bumped = self.sign(post.index, request, max_fee, priority).await?;
        self.store.insert_l1_tx(&bumped).await?;
        self.broadcast(&bumped).await?;
        info!(
            target: "batcher",
            index = post.index,
            nonce = post.nonce,
            replaces = %newest.tx_hash,
            tx = %bumped.tx_hash,
            max_fee,
            priority,
            "post re-signed with higher fees"
        );
        Ok(Some(bumped))
    }

    /// Whether the nonces from the account's mined one up to `first_post`, the nonce of the
    /// first post in flight, have stayed unmined long enough to be filled: two L1 blocks, or
    /// [`LOST_CONFIRM`] if no blocks come (a node may mine a reorged transaction again from its
    /// pool, and a block in the making may hold it). No post holds those nonces: they were a
    /// transaction of the batcher other than a post, its stake, that a reorg took out, and the
    /// posts behind cannot be mined until they are used (docs/batcher.md §2, "Nonce gap"). The
    /// wait starts again after each fill, so that a filler gets as long.
    pub(crate) fn gap_lasted(&self, nonces: Nonces, first_post: u64) -> bool {
        let mut gap = self.gap.lock().unwrap_or_else(|p| p.into_inner());
        if nonces.mined >= first_post {
            *gap = None;
            self.fillers.lock().unwrap_or_else(|p| p.into_inner()).clear();
            return false;
        }
        let now = now_ms();
        let (from, first, first_head) = match *gap {
            Some(seen) if seen.0 == nonces.mined => seen,
            _ => *gap.insert((nonces.mined, now, nonces.head)),
        };
        let lasted = nonces.head >= first_head + 2 || now.saturating_sub(first) >= LOST_CONFIRM.as_millis() as u64;
        if lasted {
            *gap = Some((from, now, nonces.head));
        }
        lasted
    }

    /// Signs `request` (target, input, value) for `nonce`, a nonce of a gap below the posts in
    /// flight, with the node's fee estimate raised over the previous filler of that nonce (so
    /// that it replaces it), and broadcasts it. Not stored: a restart finds the gap again. A
    /// refusal (the node holds another transaction at the nonce and asks more to replace it) is
    /// logged; the gap stays, and the next filler pays more.
    pub(crate) async fn fill(&self, nonce: u64, request: TransactionRequest, what: &str) -> Result<(), BatcherError> {
        let request = request.with_from(self.address);
        let gas = self.provider.estimate_gas(request.clone()).await.map_err(BatcherError::l1)?;
        let fees = self.provider.estimate_eip1559_fees().await.map_err(BatcherError::l1)?;
        let raise = |v: u128| v + (v * u128::from(self.config.fee_bump_percent)).div_ceil(100).max(1);
        let (mut max_fee, mut priority) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas);
        if let Some(&(last_fee, last_priority)) = self.fillers.lock().unwrap_or_else(|p| p.into_inner()).get(&nonce) {
            max_fee = max_fee.max(raise(last_fee));
            priority = priority.max(raise(last_priority));
        }
        let max_fee = max_fee.max(priority).min(self.config.max_fee_per_gas);
        let priority = priority.min(max_fee);
        let request = request.with_nonce(nonce).with_gas_limit(gas);
        let envelope = self.sign_envelope(request, max_fee, priority, || format!("{what} for nonce {nonce}")).await?;
        self.fillers.lock().unwrap_or_else(|p| p.into_inner()).insert(nonce, (max_fee, priority));
        let hash = *envelope.tx_hash();
        match self.provider.send_raw_transaction(&envelope.encoded_2718()).await {
            Ok(_) => {
                warn!(target: "batcher", nonce, tx = %hash, max_fee, "a nonce below the posts in flight was not mined (a reorg took the transaction out); filled with {what}")
            }
            Err(e) => {
                let message = e.to_string();
                match Refusal::of(&message) {
                    Refusal::Known => {}
                    Refusal::InsufficientFunds => return Err(BatcherError::InsufficientFunds(message)),
                    Refusal::Busy | Refusal::Rule => {
                        warn!(target: "batcher", nonce, tx = %hash, reason = %message, "the L1 node refused {what} for a nonce gap; trying again with higher fees")
                    }
                }
            }
        }
        Ok(())
    }

    /// The batcher account.
    pub(crate) fn address(&self) -> Address {
        self.address
    }

    /// The account's nonce in the latest block.
    pub(crate) async fn mined_nonce(&self) -> Result<u64, BatcherError> {
        self.provider.get_transaction_count(self.address).latest().await.map_err(BatcherError::l1)
    }

    /// The most the next block's base fee can be: the latest block's plus an eighth (EIP-1559's
    /// largest step).
    async fn next_base_fee(&self) -> Result<u128, BatcherError> {
        let latest = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(BatcherError::l1)?
            .and_then(|b| b.header.base_fee_per_gas)
            .unwrap_or(0);
        Ok(u128::from(latest) + u128::from(latest).div_ceil(8))
    }

    /// The account's nonces in the latest block and counting the node's pool.
    pub(crate) async fn nonces(&self) -> Result<Nonces, BatcherError> {
        let mined = self.mined_nonce().await?;
        let pending = self.provider.get_transaction_count(self.address).pending().await.map_err(BatcherError::l1)?;
        let head = self.provider.get_block_number().await.map_err(BatcherError::l1)?;
        Ok(Nonces { mined, pending, head })
    }

    /// Whether the L1 node has `hash` mined, and successful, in its canonical chain.
    pub(crate) async fn mined_ok(&self, hash: B256) -> Result<bool, BatcherError> {
        let receipt = self.provider.get_transaction_receipt(hash).await.map_err(BatcherError::l1)?;
        Ok(receipt.is_some_and(|r| r.block_number.is_some() && r.status()))
    }
}
