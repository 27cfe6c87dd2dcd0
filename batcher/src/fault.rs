//! Fault injection: a batcher that posts one wrong batch on purpose, so that the challenger
//! and the L1 verifier can be seen to catch every kind of fraud (`rollup batcher --fault`).
//! Never use it on a chain that matters: the bond of the faulty batch is lost.

use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use rollup_types::{
    ChainConfig, FaultKind, Forgery, Op, SignedTx,
    codec::{self, Batch},
    tx::recover_signer,
};
use std::{
    fmt,
    future::Future,
    pin::Pin,
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
};

/// The operation of `tx`, from the operation table.
fn op_of(tx: &SignedTx) -> Option<Op> {
    Op::of_call(*tx.kind().to()?, tx.input())
}

/// What the batcher gets wrong in the one faulty batch it posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A wrong root for the first chunk of the batch (its first block's beginning).
    RootFirstChunk,
    /// A wrong root for a middle chunk (the batch needs 3 chunks or more).
    RootMiddleChunk,
    /// A wrong root for the last chunk, hence a wrong state root (2 chunks or more).
    RootLastChunk,
    /// A wrong root for the chunk holding the batch's first transaction of this operation
    /// (any operation of the table, `op-<name>`).
    Operation(Op),
    /// The root of a state the money market's rules forbid, for the first chunk that can
    /// carry it (`wrong-accrual`, `healthy-liquidation`, `borrow-beyond-collateral`,
    /// `wrong-twap`): built by a [`Forge`] from the chain's state before the batch.
    Forged(Forgery),
    /// The first transaction's signature replaced by one no public key recovers from.
    ForgedSignature,
    /// The second transaction of a block replaced by a copy of the first: a used nonce.
    ReplayedNonce,
    /// The first chunk with bytes given the head of raw calldata with the inline bit, which
    /// has no address to write inline: the chunk does not decode.
    MalformedChunk,
    /// The version byte set to one the codec does not read (the next one): the header does not
    /// decode.
    MalformedHeader,
    /// Every block renumbered one up: the batch does not start after the previous one.
    WrongFirstBlock,
    /// An empty block appended after the last: the data ends after the block the post names.
    WrongLastBlock,
    /// A wrong root for the first chunk holding queue entries (deposits, forced
    /// transactions): its proof carries their contents, checked against the bridge.
    QueueChunkRoot,
    /// The batch's blocks say they consume no queue entry while the post consumes them (a
    /// sequencer censoring the bridge): a header fault.
    SkippedQueue,
    /// A wrong root for the first chunk holding a transaction: every transaction pays a fee
    /// into the fee vault, which the chunk's root commits (docs/fees.md §2, §6).
    WrongFee,
    /// A wrong root for the beginning of the batch's last block holding a transaction: the
    /// chunk that enters the block, its base fee following from the blocks before it
    /// (docs/fees.md §3).
    WrongBaseFee,
    /// A wrong root for the chunk holding the batch's first transfer of ether.
    WrongEtherTransfer,
    /// The second transaction of a block replaced by a transfer signed by a key that holds no
    /// ether: a transaction that cannot pay its fee (docs/fees.md §5).
    CannotPay,
    /// The first block holding an item given an L1 price twice its own and more: out of the
    /// bound from its parent's (docs/fees.md §4).
    WrongL1Price,
    /// A blob post whose blob holds the batch's data with one byte inverted, while the post
    /// commits to the honest data's segment hashes (docs/fraud-proofs.md §8): only a blob post
    /// can carry it.
    BlobMismatch,
    /// A blob post whose blob ends with the batch's chunk roots, the first one changed, while
    /// the post carries the honest roots' hash and last root (docs/fraud-proofs.md §8.8): only a
    /// blob post can carry it.
    BlobRoots,
    /// The batch's state root (its last chunk's root) replaced by this one: the poster claims a
    /// state the chain never reached, such as the honest one plus a withdrawal nobody made
    /// (a test computes it while the posting is held, [`FaultSwitch`]).
    StateRoot(B256),
}

impl Fault {
    /// Every fault, by its command-line name.
    pub fn all() -> Vec<Self> {
        let mut all = vec![Self::RootFirstChunk, Self::RootMiddleChunk, Self::RootLastChunk];
        all.extend(Op::ALL.iter().map(|op| Self::Operation(*op)));
        all.extend(Forgery::ALL.iter().map(|f| Self::Forged(*f)));
        all.extend([Self::ForgedSignature, Self::ReplayedNonce, Self::MalformedChunk, Self::MalformedHeader]);
        all.extend([Self::WrongFirstBlock, Self::WrongLastBlock]);
        all.extend([Self::QueueChunkRoot, Self::SkippedQueue]);
        all.extend([Self::WrongFee, Self::WrongBaseFee, Self::WrongEtherTransfer, Self::CannotPay, Self::WrongL1Price]);
        all.extend([Self::BlobMismatch, Self::BlobRoots]);
        all
    }

    /// What the inbox reports when the fault is proven (`BatchInbox.Fault`): one kind, or
    /// for [`Self::SkippedQueue`] either header rule it breaks first (the chunk count changes
    /// when the skipped entries filled chunks of their own).
    pub const fn proven_as(self) -> &'static [FaultKind] {
        match self {
            Self::RootFirstChunk
            | Self::RootMiddleChunk
            | Self::RootLastChunk
            | Self::Operation(_)
            | Self::Forged(_)
            | Self::QueueChunkRoot
            | Self::WrongFee
            | Self::WrongBaseFee
            | Self::WrongEtherTransfer
            | Self::StateRoot(_) => &[FaultKind::WrongChunkRoot],
            Self::ForgedSignature => &[FaultKind::InadmissibleTx],
            Self::ReplayedNonce => &[FaultKind::WrongNonce],
            Self::MalformedChunk => &[FaultKind::UndecodableChunk],
            Self::MalformedHeader => &[FaultKind::UndecodableHeader],
            Self::WrongFirstBlock => &[FaultKind::WrongFirstBlock],
            Self::WrongLastBlock => &[FaultKind::WrongLastBlock],
            Self::SkippedQueue => &[FaultKind::WrongChunkCount, FaultKind::WrongQueueCount],
            Self::CannotPay => &[FaultKind::CannotPay],
            Self::WrongL1Price => &[FaultKind::WrongL1Price],
            Self::BlobMismatch => &[FaultKind::BlobDataMismatch],
            Self::BlobRoots => &[FaultKind::BlobRootsMismatch],
        }
    }

    /// The data and chunk roots to post instead of the honest ones, or `None` when this batch
    /// cannot carry the fault (too few chunks, no transaction of the operation): a later one
    /// will.
    pub fn apply(
        self,
        batch: &Batch,
        data: &[u8],
        chunk_roots: &[B256],
        chain: &ChainConfig,
    ) -> Option<(Vec<u8>, Vec<B256>)> {
        let wrong_root = |at: usize| {
            let mut roots = chunk_roots.to_vec();
            roots[at] = keccak256([roots[at].as_slice(), b"fault"].concat());
            Some((data.to_vec(), roots))
        };
        let n = chunk_roots.len();
        match self {
            Self::RootFirstChunk if n >= 1 => wrong_root(0),
            Self::RootMiddleChunk if n >= 3 => wrong_root(n / 2),
            Self::RootLastChunk if n >= 2 => wrong_root(n - 1),
            Self::StateRoot(root) if n >= 1 => {
                let mut roots = chunk_roots.to_vec();
                roots[n - 1] = root;
                Some((data.to_vec(), roots))
            }
            Self::Operation(op) => wrong_root(chunk_of(batch, chain, |tx| op_of(tx) == Some(op))?),
            Self::WrongFee => wrong_root(chunk_of(batch, chain, |_| true)?),
            Self::WrongEtherTransfer => wrong_root(chunk_of(batch, chain, |tx| tx.native_transfer().is_some())?),
            Self::WrongBaseFee => {
                // The block's beginning enters the fee state, base fee included, into the block.
                let mut last = None;
                for (block, first) in batch.blocks.iter().zip(first_chunks(batch, chain)) {
                    if !block.txs.is_empty() {
                        last = Some(first);
                    }
                }
                wrong_root(last?)
            }
            Self::CannotPay => {
                let mut unpaid = batch.clone();
                let block = unpaid.blocks.iter_mut().find(|b| b.txs.len() >= 2)?;
                let key = keccak256(b"rollup fault injection: a key that holds no ether");
                let signer = rollup_types::signer::Signer::new(&key).ok()?;
                block.txs[1] = signer.eip1559_ether(chain.chain_id, 0, Address::repeat_byte(0xfe), U256::ZERO);
                Some((codec::encode(&unpaid, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::WrongL1Price => {
                let mut priced = batch.clone();
                let block = priced.blocks.iter_mut().find(|b| b.queue_count > 0 || !b.txs.is_empty())?;
                block.l1_byte_price = block.l1_byte_price.saturating_mul(2).saturating_add(8);
                Some((codec::encode(&priced, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::QueueChunkRoot => {
                // The entries come first among the block's items, after its beginning.
                let (_, first) =
                    batch.blocks.iter().zip(first_chunks(batch, chain)).find(|(b, _)| b.queue_count > 0)?;
                wrong_root(first + 1)
            }
            Self::SkippedQueue => {
                if batch.blocks.iter().all(|b| b.queue_count == 0) {
                    return None;
                }
                let mut censored = batch.clone();
                for block in &mut censored.blocks {
                    block.queue_count = 0;
                }
                Some((codec::encode(&censored, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::ForgedSignature => {
                let mut forged = batch.clone();
                let tx = forged.blocks.iter_mut().flat_map(|b| b.txs.iter_mut()).next()?;
                let sig = *tx.signature();
                // About half of all x coordinates are on the curve: the first few r values
                // include one that is not.
                let r = (1u64..256).map(U256::from).find(|r| {
                    let candidate = Signature::new(*r, sig.s(), sig.v());
                    recover_signer(&candidate, tx.signature_hash()).is_err()
                })?;
                *tx = tx.with_signature(Signature::new(r, sig.s(), sig.v()));
                Some((codec::encode(&forged, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::ReplayedNonce => {
                let mut replayed = batch.clone();
                let block = replayed.blocks.iter_mut().find(|b| b.txs.len() >= 2)?;
                block.txs[1] = block.txs[0].clone();
                Some((codec::encode(&replayed, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::MalformedChunk => {
                let header = codec::decode_header(data, chain).ok()?;
                let at = header.chunks.iter().find(|c| !c.bytes.is_empty())?.bytes.start;
                let mut bad = data.to_vec();
                // Raw calldata (operation 0, no token call) with the inline bit: invalid
                // (docs/batch-codec.md §3.3).
                bad[at] = (bad[at] & 0b0000_0111) | 0x80;
                Some((bad, chunk_roots.to_vec()))
            }
            Self::MalformedHeader => {
                let mut bad = data.to_vec();
                *bad.first_mut()? = codec::VERSION + 1;
                Some((bad, chunk_roots.to_vec()))
            }
            Self::WrongFirstBlock => {
                let mut shifted = batch.clone();
                for block in &mut shifted.blocks {
                    block.number += 1;
                }
                Some((codec::encode(&shifted, chain).ok()?, chunk_roots.to_vec()))
            }
            Self::WrongLastBlock => {
                let mut longer = batch.clone();
                let last = longer.blocks.last()?;
                let empty = codec::BatchBlock {
                    number: last.number + 1,
                    timestamp: last.timestamp,
                    l1_byte_price: last.l1_byte_price,
                    queue_count: 0,
                    txs: Vec::new(),
                };
                longer.blocks.push(empty);
                Some((codec::encode(&longer, chain).ok()?, chunk_roots.to_vec()))
            }
            // The data and roots stay honest: the batcher lays other bytes in the blob.
            Self::BlobMismatch | Self::BlobRoots => Some((data.to_vec(), chunk_roots.to_vec())),
            // A forgery needs the chain's state: the batcher asks its [`Forge`].
            Self::RootFirstChunk
            | Self::RootMiddleChunk
            | Self::RootLastChunk
            | Self::StateRoot(_)
            | Self::Forged(_) => None,
        }
    }
}

/// The chunk holding the batch's first transaction that `is` accepts (after the block's
/// beginning, its queue entries and its transactions by the chain's cut, docs/batch-codec.md
/// §3.1).
fn chunk_of(batch: &Batch, chain: &ChainConfig, is: impl Fn(&SignedTx) -> bool) -> Option<usize> {
    batch.blocks.iter().zip(first_chunks(batch, chain)).find_map(|(block, first)| {
        let at = block.txs.iter().position(&is)?;
        let mut cut = chain.cut(block.queue_count);
        block.txs[..=at].iter().for_each(|tx| {
            cut.push(codec::is_heavy(tx));
        });
        Some(first + cut.chunks() as usize - 1)
    })
}

/// The index of each block's first chunk, its beginning (docs/batch-codec.md §3.1): for a
/// block without items, where the next block's chunks start.
fn first_chunks<'a>(batch: &'a Batch, chain: &'a ChainConfig) -> impl Iterator<Item = usize> + 'a {
    batch.blocks.iter().scan(0usize, |next, block| {
        let first = *next;
        *next += chain.chunk_count(block.queue_count, block.txs.iter().map(codec::is_heavy)) as usize;
        Some(first)
    })
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RootFirstChunk => "root-first-chunk",
            Self::RootMiddleChunk => "root-middle-chunk",
            Self::RootLastChunk => "root-last-chunk",
            Self::Operation(op) => return write!(f, "op-{op}"),
            Self::Forged(forgery) => forgery.name(),
            Self::StateRoot(root) => return write!(f, "state-root:{root}"),
            Self::ForgedSignature => "forged-signature",
            Self::ReplayedNonce => "replayed-nonce",
            Self::MalformedChunk => "malformed-chunk",
            Self::MalformedHeader => "malformed-header",
            Self::WrongFirstBlock => "wrong-first-block",
            Self::WrongLastBlock => "wrong-last-block",
            Self::QueueChunkRoot => "root-queue-chunk",
            Self::SkippedQueue => "skipped-queue",
            Self::WrongFee => "wrong-fee",
            Self::WrongBaseFee => "wrong-base-fee",
            Self::WrongEtherTransfer => "wrong-ether-transfer",
            Self::CannotPay => "cannot-pay",
            Self::WrongL1Price => "wrong-l1-price",
            Self::BlobMismatch => "blob-mismatch",
            Self::BlobRoots => "blob-roots",
        })
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(root) = s.strip_prefix("state-root:") {
            return root.parse().map(Self::StateRoot).map_err(|e| format!("state-root:<32-byte hex>: {e}"));
        }
        Self::all().into_iter().find(|f| f.to_string() == s).ok_or_else(|| {
            let names: Vec<String> = Self::all().iter().map(ToString::to_string).collect();
            format!("unknown fault {s:?}; one of {}", names.join(", "))
        })
    }
}

/// What builds a [`Fault::Forged`] root: the batcher holds no state, the chain's node does
/// (`rollup_devnet`'s forge re-executes the stored blocks up to the batch, then walks the batch
/// with `rollup_fraud_proof::forge`).
pub trait Forge: Send + Sync + fmt::Debug {
    /// The chunk of `batch` (encoded as `data`) that can carry `forgery` and the root to post
    /// for it; `None` when no chunk of this batch can.
    fn forge<'a>(&'a self, forgery: Forgery, batch: &'a Batch, data: &'a [u8]) -> Forging<'a>;
}

/// A [`Forge`] at work: the chunk and root to post, if the batch can carry the forgery.
pub type Forging<'a> = Pin<Box<dyn Future<Output = Option<(usize, B256)>> + Send + 'a>>;

/// The fault a running batcher is still to inject, shared with whoever set it: a test holds
/// the posting, computes a fault from the state the chain reached (a [`Fault::StateRoot`]),
/// sets it and releases the posting.
#[derive(Clone, Debug, Default)]
pub struct FaultSwitch(Arc<Mutex<Switch>>);

#[derive(Debug, Default)]
struct Switch {
    pending: Option<Fault>,
    /// The first batch index the pending fault may go into.
    from_index: u64,
    held: bool,
    forge: Option<Arc<dyn Forge>>,
}

impl FaultSwitch {
    /// A switch with `fault` pending and the posting not held.
    pub fn new(fault: Option<Fault>) -> Self {
        Self(Arc::new(Mutex::new(Switch { pending: fault, from_index: 0, held: false, forge: None })))
    }

    /// Gives the switch what builds forged roots ([`Fault::Forged`]).
    pub fn set_forge(&self, forge: Arc<dyn Forge>) {
        self.lock().forge = Some(forge);
    }

    /// What builds forged roots, if it was given one.
    pub fn forge(&self) -> Option<Arc<dyn Forge>> {
        self.lock().forge.clone()
    }

    /// Marks `fault` carried, if it is still the pending one; returns whether it was.
    pub(crate) fn carried(&self, fault: Fault) -> bool {
        let mut switch = self.lock();
        let was = switch.pending == Some(fault);
        if was {
            switch.pending = None;
        }
        was
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Switch> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the batcher from sending new posts (it still follows the ones in flight) until
    /// [`release`](Self::release).
    pub fn hold(&self) {
        self.lock().held = true;
    }

    /// Lets the batcher post again, injecting `fault` into the first batch that can carry it.
    pub fn release(&self, fault: Option<Fault>) {
        self.release_from(fault, 0);
    }

    /// Lets the batcher post again, injecting `fault` into the first batch from index
    /// `from_index` on that can carry it (a test puts it in a later blob of a post).
    pub fn release_from(&self, fault: Option<Fault>, from_index: u64) {
        let mut switch = self.lock();
        switch.pending = fault;
        switch.from_index = from_index;
        switch.held = false;
    }

    /// Whether the pending fault may go into batch `index`.
    pub(crate) fn due_at(&self, index: u64) -> bool {
        index >= self.lock().from_index
    }

    /// Whether posting is held.
    pub fn held(&self) -> bool {
        self.lock().held
    }

    /// The fault still to inject.
    pub fn pending(&self) -> Option<Fault> {
        self.lock().pending
    }

    /// Applies the pending fault to a batch; once it was carried, nothing is pending.
    pub(crate) fn apply(
        &self,
        batch: &Batch,
        data: &[u8],
        chunk_roots: &[B256],
        chain: &ChainConfig,
    ) -> Option<(Fault, Vec<u8>, Vec<B256>)> {
        let mut switch = self.lock();
        let fault = switch.pending?;
        let (data, roots) = fault.apply(batch, data, chunk_roots, chain)?;
        switch.pending = None;
        Some((fault, data, roots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_the_inbox_proves_can_be_injected() {
        for kind in FaultKind::ALL {
            assert!(Fault::all().iter().any(|f| f.proven_as().contains(&kind)), "no injection proves {kind}");
        }
        assert_eq!("op-create-pool".parse::<Fault>(), Ok(Fault::Operation(Op::CreatePool)));
    }

    #[test]
    fn names_round_trip() {
        for fault in Fault::all() {
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
        }
        assert_eq!(Fault::all().len(), 3 + Op::ALL.len() + Forgery::ALL.len() + 6 + 2 + 5 + 2);
        assert_eq!("wrong-twap".parse::<Fault>(), Ok(Fault::Forged(Forgery::WrongTwap)));
        assert!("root-everywhere".parse::<Fault>().expect_err("unknown").contains("op-swap"));
        let root = Fault::StateRoot(B256::repeat_byte(0xab));
        assert_eq!(root.to_string().parse::<Fault>(), Ok(root));
        assert!("state-root:0x12".parse::<Fault>().is_err());
    }
}
