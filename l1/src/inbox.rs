//! The batch inbox: its parameters read back, and a post's call decoded.

use crate::{deploy::InboxParams, error::L1Error, rpc::view};
use alloy::providers::DynProvider;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_types::{
    bindings::{BatchInbox, L1Bridge},
    blob::{KZG_HINT_BYTES, KzgHint},
};

/// The bridge attached to `inbox` (zero if none).
pub async fn bridge(provider: &DynProvider, inbox: Address) -> Result<Address, L1Error> {
    view(provider, inbox, BatchInbox::bridgeCall {}).await
}

/// Reads the inbox's deployment parameters.
pub async fn params(provider: &DynProvider, inbox: Address) -> Result<InboxParams, L1Error> {
    let bridge = bridge(provider, inbox).await?;
    Ok(InboxParams {
        batcher: view(provider, inbox, BatchInbox::batcherCall {}).await?,
        challenge_window: view(provider, inbox, BatchInbox::challengeWindowCall {}).await?.saturating_to(),
        stake: view(provider, inbox, BatchInbox::stakeAmountCall {}).await?,
        genesis_state_root: view(provider, inbox, BatchInbox::genesisStateRootCall {}).await?,
        chunk_size: view(provider, inbox, BatchInbox::chunkSizeCall {}).await?.saturating_to(),
        l2_chain_id: view(provider, inbox, BatchInbox::l2ChainIdCall {}).await?.saturating_to(),
        freeze_delay: view(provider, inbox, BatchInbox::freezeDelayCall {}).await?.saturating_to(),
        inclusion_window: match bridge {
            Address::ZERO => 0,
            bridge => view(provider, bridge, L1Bridge::inclusionWindowCall {}).await?.saturating_to(),
        },
        genesis_ether: match bridge {
            Address::ZERO => U256::ZERO,
            bridge => view(provider, bridge, L1Bridge::genesisEtherCall {}).await?,
        },
    })
}

/// Where a fraud proof's claim to its reward stands (`BatchInbox.ClaimState`, in its order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimState {
    /// No claim has the id.
    Unknown,
    /// It stands; paid once the batch before the one proven is final.
    Pending,
    /// It stands and can be paid now.
    Due,
    /// It was paid.
    Paid,
    /// A proof of an earlier batch rolled back the batch before the one proven.
    Superseded,
}

impl ClaimState {
    /// The state `BatchInbox.claimState` returns as `code` (`Unknown` for a code it never
    /// returns).
    pub const fn of(code: u8) -> Self {
        match code {
            1 => Self::Pending,
            2 => Self::Due,
            3 => Self::Paid,
            4 => Self::Superseded,
            _ => Self::Unknown,
        }
    }
}

/// Where a post's batch data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostData {
    /// In the call's calldata (`postBatch`).
    Calldata(Bytes),
    /// In a blob of the transaction (`postBatchBlobs`, or `postBatchesBlobs` for several), whose
    /// bytes are fetched from a beacon API; the call carries the data's length and segment hashes
    /// (docs/fraud-proofs.md §8.1).
    Blob {
        /// Which of the transaction's blobs holds the data: the batch's place in its call.
        blob: usize,
        /// Bytes of data the blob holds.
        length: u64,
        /// `keccak256` of each 1,024-byte segment of the data, as posted.
        segment_hashes: Vec<B256>,
        /// The blob's commitment and proof, when the post appended them to its call (unchecked:
        /// the reader checks them against the blob's versioned hash).
        kzg_hint: Option<KzgHint>,
    },
}

/// Where a post's chunk roots are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostRoots {
    /// In the call (`postBatch`, whose data is in calldata): every root.
    Listed(Vec<B256>),
    /// At the end of the batch's blob (docs/fraud-proofs.md §8.8): the call carries their
    /// count, the hash of their bytes and the last one, the batch's state root.
    InBlob {
        /// How many.
        count: u64,
        /// `keccak256` of their 32-byte words, in order.
        hash: B256,
        /// The last of them (the root the batch builds on, without chunks).
        state_root: B256,
    },
}

impl PostRoots {
    /// How many roots the post says the batch has.
    pub fn count(&self) -> u64 {
        match self {
            Self::Listed(roots) => roots.len() as u64,
            Self::InBlob { count, .. } => *count,
        }
    }

    /// The hash the inbox records of them (`chunkRootsHash`).
    pub fn hash(&self) -> B256 {
        match self {
            Self::Listed(roots) => rollup_types::codec::chunk_roots_hash(roots),
            Self::InBlob { hash, .. } => *hash,
        }
    }

    /// The state root the inbox records for the batch, which builds on `prev_state_root`.
    pub fn state_root(&self, prev_state_root: B256) -> B256 {
        match self {
            Self::Listed(roots) => roots.last().copied().unwrap_or(prev_state_root),
            Self::InBlob { state_root, .. } => *state_root,
        }
    }
}

/// What a post's call says of one batch: `postBatch`, `postBatchBlobs` or one of the batches of
/// a `postBatchesBlobs`, decoded once for whoever reads posts back (the batcher checking its
/// own, the challenger reading batches).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostCall {
    /// The batch's index in the inbox.
    pub index: u64,
    /// The state root the batch builds on.
    pub prev_state_root: B256,
    /// The last L2 block the batch holds.
    pub last_block: u64,
    /// The bridge queue's position after the batch.
    pub queue_end: u64,
    /// The bridge queue's accumulator at `queue_end`.
    pub queue_accumulator: B256,
    /// The state root after each chunk: listed in a calldata post, at the end of the blob of a
    /// blob post.
    pub chunk_roots: PostRoots,
    /// Where the data is.
    pub data: PostData,
}

impl PostCall {
    /// Decodes a post's input into the batches it posts, in order (one, but for a
    /// `postBatchesBlobs`); an input that is no post is an error. The KZG hints after the call's
    /// arguments (docs/fraud-proofs.md §8.6) are one per blob, in the blobs' order; bytes there
    /// that are not exactly that are no hint at all.
    pub fn decode_all(input: &[u8]) -> Result<Vec<Self>, L1Error> {
        if input.starts_with(&BatchInbox::postBatchesBlobsCall::SELECTOR) {
            let call = BatchInbox::postBatchesBlobsCall::abi_decode(input)?;
            let hints = hints(input, 4 + call.abi_encoded_size(), call.batches.len());
            return Ok(call
                .batches
                .into_iter()
                .enumerate()
                .map(|(blob, b)| Self {
                    index: b.index.saturating_to(),
                    prev_state_root: b.prevStateRoot,
                    last_block: b.lastBlock,
                    queue_end: b.queueEnd,
                    queue_accumulator: b.queueAccumulator,
                    chunk_roots: PostRoots::InBlob {
                        count: b.chunkCount.saturating_to(),
                        hash: b.chunkRootsHash,
                        state_root: b.stateRoot,
                    },
                    data: PostData::Blob {
                        blob,
                        length: b.length.saturating_to(),
                        segment_hashes: b.segmentHashes,
                        kzg_hint: hints.as_ref().map(|h| h[blob]),
                    },
                })
                .collect());
        }
        if input.starts_with(&BatchInbox::postBatchBlobsCall::SELECTOR) {
            let call = BatchInbox::postBatchBlobsCall::abi_decode(input)?;
            let kzg_hint = hints(input, 4 + call.abi_encoded_size(), 1).map(|h| h[0]);
            return Ok(vec![Self {
                index: call.index.saturating_to(),
                prev_state_root: call.prevStateRoot,
                last_block: call.lastBlock,
                queue_end: call.queueEnd,
                queue_accumulator: call.queueAccumulator,
                chunk_roots: PostRoots::InBlob {
                    count: call.chunkCount.saturating_to(),
                    hash: call.chunkRootsHash,
                    state_root: call.stateRoot,
                },
                data: PostData::Blob {
                    blob: 0,
                    length: call.length.saturating_to(),
                    segment_hashes: call.segmentHashes,
                    kzg_hint,
                },
            }]);
        }
        let call = BatchInbox::postBatchCall::abi_decode(input)?;
        Ok(vec![Self {
            index: call.index.saturating_to(),
            prev_state_root: call.prevStateRoot,
            last_block: call.lastBlock,
            queue_end: call.queueEnd,
            queue_accumulator: call.queueAccumulator,
            chunk_roots: PostRoots::Listed(call.chunkRoots),
            data: PostData::Calldata(call.data),
        }])
    }

    /// The batch `index` that a post's input posts; `Ok(None)` when the post holds other batches.
    pub fn decode_batch(input: &[u8], index: u64) -> Result<Option<Self>, L1Error> {
        Ok(Self::decode_all(input)?.into_iter().find(|b| b.index == index))
    }
}

/// The `count` KZG hints a post appended after its arguments, which end at `end`.
fn hints(input: &[u8], end: usize, count: usize) -> Option<Vec<KzgHint>> {
    let tail = input.get(end..)?;
    if tail.len() != count * KZG_HINT_BYTES {
        return None;
    }
    tail.chunks_exact(KZG_HINT_BYTES).map(KzgHint::from_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &[u8]) -> PostCall {
        let mut all = PostCall::decode_all(input).expect("a post");
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn every_call_decodes_and_anything_else_is_refused() {
        let roots = vec![B256::repeat_byte(2), B256::repeat_byte(3)];
        let calldata = BatchInbox::postBatchCall {
            index: alloy_primitives::U256::from(6u8),
            prevStateRoot: B256::repeat_byte(1),
            lastBlock: 9,
            queueEnd: 4,
            queueAccumulator: B256::repeat_byte(5),
            data: Bytes::from_static(b"batch"),
            chunkRoots: roots.clone(),
        }
        .abi_encode();
        let post = one(&calldata);
        assert_eq!(post.data, PostData::Calldata(Bytes::from_static(b"batch")));
        assert_eq!(
            (post.index, post.last_block, post.queue_end, post.chunk_roots),
            (6, 9, 4, PostRoots::Listed(roots.clone()))
        );
        let blobs = BatchInbox::postBatchBlobsCall {
            index: alloy_primitives::U256::from(6u8),
            prevStateRoot: B256::repeat_byte(1),
            lastBlock: 9,
            queueEnd: 4,
            queueAccumulator: B256::repeat_byte(5),
            length: U256::from(1_500u16),
            segmentHashes: vec![B256::repeat_byte(7), B256::repeat_byte(8)],
            chunkCount: U256::from(2u8),
            chunkRootsHash: PostRoots::Listed(roots.clone()).hash(),
            stateRoot: roots[1],
        }
        .abi_encode();
        let segment_hashes = vec![B256::repeat_byte(7), B256::repeat_byte(8)];
        let blob =
            |kzg_hint| PostData::Blob { blob: 0, length: 1_500, segment_hashes: segment_hashes.clone(), kzg_hint };
        assert_eq!(one(&blobs).data, blob(None));
        let in_blob = one(&blobs).chunk_roots;
        assert_eq!((in_blob.count(), in_blob.state_root(B256::ZERO)), (2, roots[1]));
        assert_eq!(in_blob.hash(), alloy_primitives::keccak256([[2u8; 32], [3u8; 32]].concat()));
        assert_eq!(PostRoots::Listed(vec![]).state_root(B256::repeat_byte(9)), B256::repeat_byte(9));
        // The KZG hint after the arguments; anything else there is not one.
        let hint = KzgHint { commitment: [0xc0; 48], proof: [0x9f; 48] };
        let hinted = [blobs.as_slice(), &hint.to_bytes()].concat();
        assert_eq!(one(&hinted).data, blob(Some(hint)));
        let odd = [blobs.as_slice(), &[1u8; 95]].concat();
        assert_eq!(one(&odd).data, blob(None));
        let other = BatchInbox::stakeCall {}.abi_encode();
        assert_eq!(PostCall::decode_all(&other).expect_err("not a post").action(), crate::Action::Stop);
        assert_eq!(PostCall::decode_batch(&calldata, 6).expect("a post").map(|p| p.index), Some(6));
        assert_eq!(PostCall::decode_batch(&calldata, 7).expect("a post"), None);
    }

    #[test]
    fn a_multi_blob_post_decodes_into_its_batches_each_with_its_blob_and_hint() {
        let batch = |i: u8| BatchInbox::BlobBatch {
            index: U256::from(10 + i),
            prevStateRoot: B256::repeat_byte(i),
            lastBlock: 20 + u64::from(i),
            queueEnd: 3,
            queueAccumulator: B256::repeat_byte(0xa0),
            length: U256::from(100 * (u64::from(i) + 1)),
            segmentHashes: vec![B256::repeat_byte(0x70 + i)],
            chunkCount: U256::from(1u8),
            chunkRootsHash: alloy_primitives::keccak256(B256::repeat_byte(i + 1)),
            stateRoot: B256::repeat_byte(i + 1),
        };
        let input = BatchInbox::postBatchesBlobsCall { batches: vec![batch(0), batch(1), batch(2)] }.abi_encode();
        let hint = |i: u8| KzgHint { commitment: [0xc0 + i; 48], proof: [0x90 + i; 48] };
        let hinted: Vec<u8> =
            [input.clone()].into_iter().chain((0..3).map(|i| hint(i).to_bytes().to_vec())).flatten().collect();
        for (bytes, hinted) in [(&input, false), (&hinted, true)] {
            let posts = PostCall::decode_all(bytes).expect("a post");
            assert_eq!(posts.len(), 3);
            for (i, post) in posts.iter().enumerate() {
                let n = i as u8;
                assert_eq!(
                    (post.index, post.last_block, post.prev_state_root),
                    (10 + i as u64, 20 + i as u64, B256::repeat_byte(n))
                );
                assert_eq!(
                    post.chunk_roots,
                    PostRoots::InBlob {
                        count: 1,
                        hash: alloy_primitives::keccak256(B256::repeat_byte(n + 1)),
                        state_root: B256::repeat_byte(n + 1),
                    }
                );
                assert_eq!(
                    post.data,
                    PostData::Blob {
                        blob: i,
                        length: 100 * (i as u64 + 1),
                        segment_hashes: vec![B256::repeat_byte(0x70 + n)],
                        kzg_hint: hinted.then(|| hint(n)),
                    }
                );
            }
        }
        // Hints for fewer blobs than batches are none at all.
        let short = [input.as_slice(), &hint(0).to_bytes()].concat();
        assert!(
            PostCall::decode_all(&short)
                .expect("a post")
                .iter()
                .all(|p| matches!(p.data, PostData::Blob { kzg_hint: None, .. }))
        );
        assert_eq!(
            PostCall::decode_batch(&input, 12).expect("a post").map(|p| p.data),
            Some(PostData::Blob {
                blob: 2,
                length: 300,
                segment_hashes: vec![B256::repeat_byte(0x72)],
                kzg_hint: None,
            })
        );
        assert_eq!(
            PostCall::decode_all(&input[..input.len() - 1]).expect_err("truncated").action(),
            crate::Action::Stop
        );
    }
}
