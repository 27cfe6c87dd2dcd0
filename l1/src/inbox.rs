//! The batch inbox: its parameters read back, and a post's call decoded.

use crate::{deploy::InboxParams, error::L1Error, rpc::view};
use alloy::providers::DynProvider;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_types::{
    bindings::{BatchInbox, L1Bridge},
    blob::KzgHint,
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
    /// In the transaction's blob (`postBatchBlobs`), whose bytes are fetched from a beacon API;
    /// the call carries the data's length and segment hashes (docs/fraud-proofs.md §8.1).
    Blob {
        /// Bytes of data the blob holds.
        length: u64,
        /// `keccak256` of each 1,024-byte segment of the data, as posted.
        segment_hashes: Vec<B256>,
        /// The blob's commitment and proof, when the post appended them to its call (unchecked:
        /// the reader checks them against the blob's versioned hash).
        kzg_hint: Option<KzgHint>,
    },
}

/// What a post's call says: `postBatch` or `postBatchBlobs`, decoded once for whoever reads
/// posts back (the batcher checking its own, the challenger reading batches).
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
    /// The state root after each chunk.
    pub chunk_roots: Vec<B256>,
    /// Where the data is.
    pub data: PostData,
}

impl PostCall {
    /// Decodes a post's input; an input that is neither call is an error.
    pub fn decode(input: &[u8]) -> Result<Self, L1Error> {
        if input.starts_with(&BatchInbox::postBatchBlobsCall::SELECTOR) {
            let call = BatchInbox::postBatchBlobsCall::abi_decode(input)?;
            // What follows the call's arguments: the KZG hint, or nothing the reader uses.
            let kzg_hint = input.get(4 + call.abi_encoded_size()..).and_then(KzgHint::from_bytes);
            return Ok(Self {
                index: call.index.saturating_to(),
                prev_state_root: call.prevStateRoot,
                last_block: call.lastBlock,
                queue_end: call.queueEnd,
                queue_accumulator: call.queueAccumulator,
                chunk_roots: call.chunkRoots,
                data: PostData::Blob {
                    length: call.length.saturating_to(),
                    segment_hashes: call.segmentHashes,
                    kzg_hint,
                },
            });
        }
        let call = BatchInbox::postBatchCall::abi_decode(input)?;
        Ok(Self {
            index: call.index.saturating_to(),
            prev_state_root: call.prevStateRoot,
            last_block: call.lastBlock,
            queue_end: call.queueEnd,
            queue_accumulator: call.queueAccumulator,
            chunk_roots: call.chunkRoots,
            data: PostData::Calldata(call.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_calls_decode_and_anything_else_is_refused() {
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
        let post = PostCall::decode(&calldata).expect("postBatch");
        assert_eq!(post.data, PostData::Calldata(Bytes::from_static(b"batch")));
        assert_eq!((post.index, post.last_block, post.queue_end, post.chunk_roots), (6, 9, 4, roots.clone()));
        let blobs = BatchInbox::postBatchBlobsCall {
            index: alloy_primitives::U256::from(6u8),
            prevStateRoot: B256::repeat_byte(1),
            lastBlock: 9,
            queueEnd: 4,
            queueAccumulator: B256::repeat_byte(5),
            length: U256::from(1_500u16),
            segmentHashes: vec![B256::repeat_byte(7), B256::repeat_byte(8)],
            chunkRoots: roots,
        }
        .abi_encode();
        let segment_hashes = vec![B256::repeat_byte(7), B256::repeat_byte(8)];
        assert_eq!(
            PostCall::decode(&blobs).expect("postBatchBlobs").data,
            PostData::Blob { length: 1_500, segment_hashes: segment_hashes.clone(), kzg_hint: None }
        );
        // The KZG hint after the arguments; anything else there is not one.
        let hint = KzgHint { commitment: [0xc0; 48], proof: [0x9f; 48] };
        let hinted = [blobs.as_slice(), &hint.to_bytes()].concat();
        assert_eq!(
            PostCall::decode(&hinted).expect("postBatchBlobs with a hint").data,
            PostData::Blob { length: 1_500, segment_hashes: segment_hashes.clone(), kzg_hint: Some(hint) }
        );
        let odd = [blobs.as_slice(), &[1u8; 95]].concat();
        assert_eq!(
            PostCall::decode(&odd).expect("postBatchBlobs with trailing bytes").data,
            PostData::Blob { length: 1_500, segment_hashes, kzg_hint: None }
        );
        let other = BatchInbox::stakeCall {}.abi_encode();
        assert_eq!(PostCall::decode(&other).expect_err("not a post").action(), crate::Action::Stop);
    }
}
