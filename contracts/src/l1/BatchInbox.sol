// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChunkVerifier} from "./ChunkVerifier.sol";
import {BatchDecoder} from "./BatchDecoder.sol";
import {BlobVerifier, BLOB_PAYLOAD_BYTES} from "./BlobVerifier.sol";
import {BatchCodec} from "../lib/BatchCodec.sol";
import {DataCommitment} from "../lib/DataCommitment.sol";
import {IBridgeQueue} from "../lib/BridgeQueue.sol";

/// @title BatchInbox
/// @notice The L1 record of the L2 chain: for each batch, a commitment to its data, a
///         commitment to its chunk roots, its final state root, the L1 block it was posted
///         in, and for a blob batch the versioned hash of its blob. Only the authorised batcher
///         posts, as the top-level call of a transaction from its account while that account
///         carries no code (`NotDirectPost`: what is committed to is what the transaction shows
///         on L1), and while it keeps `stakeAmount` staked; a batch is final once `challengeWindow`
///         seconds have passed since it was posted. The data goes in the posting transaction's
///         calldata (`postBatch`) or in its one blob (`postBatchBlobs`, with the data's segment
///         hashes in calldata, and the chunk roots at the end of the blob): both are committed
///         to the same way and proven the same way.
///         Within the window anyone can prove a batch fraudulent in one L1 transaction
///         (after committing to the proof in an earlier block, and after the post): the batch
///         and every later one are rolled back, and one `stakeAmount` is slashed from the
///         batcher's stake: half into the reward pot, half locked here for good. The prover gets
///         a claim to one `reward`, paid once the batch before the one it proved is final, unless
///         a proof of an earlier batch rolled that one back meanwhile: the reward goes to whoever
///         proved the earliest fraud, whatever the batcher proves first (docs/fraud-proofs.md
///         §6.4, §7.4). For a blob batch, a proof may also show that the
///         blob does not hold the committed data (`proveBlobFraud`) or does not end with the
///         posted chunk roots (`proveBlobRootsFraud`). Rules: docs/fraud-proofs.md.
///         Each batch also says how far it consumed the bridge's L1 → L2 queue; a post that
///         invents entries, goes backwards, or leaves an overdue entry behind is refused
///         (docs/bridge.md §2.3).
contract BatchInbox {
    /// @notice What a fraud proof showed.
    enum Fault {
        /// The header does not decode (a codec rule of docs/batch-codec.md §5).
        UndecodableHeader,
        /// The first block is not the one after the previous batch's last block.
        WrongFirstBlock,
        /// The last block is not the posted `lastBlock`.
        WrongLastBlock,
        /// The header's chunk count is not the number of posted chunk roots (a blob batch's
        /// posted `chunkCount`).
        WrongChunkCount,
        /// A chunk does not decode.
        UndecodableChunk,
        /// A transaction of the chunk is not admissible.
        InadmissibleTx,
        /// A transaction of the chunk does not carry its sender's current nonce.
        WrongNonce,
        /// Replaying the chunk gives another root than the posted one.
        WrongChunkRoot,
        /// The header's queue entries (the sum of its blocks' queue counts) are not the entries
        /// the batch was posted to consume (its `queueEnd` minus the previous batch's).
        WrongQueueCount,
        /// A segment of a blob batch's data, read from its blob, does not hash to the segment hash
        /// the batch was posted with: the blob does not hold the committed data.
        BlobDataMismatch,
        /// A transaction of the chunk cannot pay for itself (docs/fees.md §5).
        CannotPay,
        /// The chunk's block commits an L1 price out of the bound from the one before it
        /// (docs/fees.md §4).
        WrongL1Price,
        /// The chunk roots at the end of a blob batch's blob do not hash to the posted
        /// chunkRootsHash, or the last of them is not the posted state root
        /// (docs/fraud-proofs.md §8.8).
        BlobRootsMismatch
    }

    /// @notice What the inbox records of one batch. `blobHash` is the versioned hash of a blob
    ///         batch's blob, zero for a calldata batch.
    struct Batch {
        bytes32 dataHash;
        bytes32 chunkRootsHash;
        bytes32 stateRoot;
        address poster;
        uint64 l1Block;
        uint64 postedAt;
        uint64 lastL2Block;
        uint32 chunkCount;
        uint64 queueEnd;
        bytes32 blobHash;
    }

    /// @notice Only the authorised batcher may post.
    error NotBatcher(address caller);
    /// @notice A post counts only as the top-level call of a transaction that the batcher's
    ///         account sends to the inbox while it carries no code (no contract, no EIP-7702
    ///         delegation): then what the inbox commits to is that transaction's own input (or
    ///         blob), which is what the challenger reads from L1. `origin` sent the transaction;
    ///         `codeSize` is the code the batcher's account carries.
    error NotDirectPost(address origin, uint256 codeSize);
    /// @notice Batches are posted in order: `expected` is the next index.
    error WrongBatchIndex(uint256 expected, uint256 got);
    /// @notice The batch does not build on the last posted state root.
    error WrongPrevStateRoot(bytes32 expected, bytes32 got);
    /// @notice Posting needs `required` staked (`stake`); `staked` is.
    error NotStaked(uint256 staked, uint256 required);
    /// @notice The stake backs the batches still open: only what exceeds `stakeAmount` may be
    ///         withdrawn before the last one is final (at `finalAt`).
    error StakeLocked(uint256 finalAt);
    /// @notice More than is staked was asked for.
    error StakeTooSmall(uint256 staked, uint256 asked);
    /// @notice Sending the stake back failed.
    error StakeTransferFailed();
    /// @notice Each batch ends at a later L2 block than the previous one.
    error L2BlocksNotAdvancing(uint64 previous, uint64 got);
    /// @notice A batch carries data.
    error EmptyBatchData();
    /// @notice A batch carries at most `MAX_DATA_BYTES` (docs/fraud-proofs.md §7).
    error DataTooLarge(uint256 length, uint256 max);
    /// @notice A batch has at most `MAX_BATCH_CHUNKS` chunks (docs/fraud-proofs.md §7).
    error TooManyChunks(uint256 count, uint256 max);
    /// @notice A chunk holds at most `MAX_CHUNK_SIZE` items, so that every chunk's replay fits
    ///         one L1 transaction (docs/fraud-proofs.md §7).
    error ChunkSizeTooLarge(uint256 chunkSize, uint256 max);
    /// @notice A blob post's transaction carries exactly one blob per batch it posts, `batches`
    ///         of them (at least one).
    error BlobCount(uint256 batches);
    /// @notice A blob post carries the hash of each segment of its data: `expected` of them.
    error SegmentCountMismatch(uint256 expected, uint256 got);
    /// @notice A blob batch's blob holds its data and then its chunk roots, 32 bytes each, at the
    ///         end of its payload (`BlobVerifier.PAYLOAD_BYTES`): `length` bytes of data and
    ///         `chunkCount` roots do not both fit.
    error BlobOverfull(uint256 length, uint256 chunkCount);
    /// @notice A blob batch of no chunks is posted with the hash of no roots, `keccak256("")`,
    ///         and the state root it builds on, as a calldata post of no roots records them.
    error RootsOfNoChunks(bytes32 chunkRootsHash, bytes32 stateRoot);
    /// @notice `proveBlobFraud` and `proveBlobRootsFraud` are for blob batches.
    error NotABlobBatch(uint256 index);
    /// @notice The batch's data has `count` segments.
    error NoSuchSegment(uint256 segment, uint256 count);
    /// @notice No batch has this index.
    error UnknownBatch(uint256 index);
    /// @notice A chunk holds at least one transaction.
    error ZeroChunkSize();
    /// @notice The L2 chain id must fit 64 bits (the batch codec rebuilds EIP-155 signatures
    ///         from it).
    error ChainIdTooLarge(uint256 chainId);
    /// @notice The batch is past its challenge window: it can no longer be proven fraudulent.
    error BatchFinalized(uint256 index);
    /// @notice The data given is not the batch's data (its commitment is not `dataHash`).
    error DataMismatch(uint256 index);
    /// @notice The chunk roots given are not the batch's (`chunkRootsHash`).
    error ChunkRootsMismatch(uint256 index);
    /// @notice The batch has `count` chunks.
    error NoSuchChunk(uint256 chunkIndex, uint256 count);
    /// @notice The proof was not committed to in an earlier L1 block by its sender
    ///         (`commitProof(proofCommitment(msg.sender, msg.data))`).
    error ProofNotCommitted(bytes32 commitment);
    /// @notice The proof shows no fraud: the batch follows the rules as far as it checked.
    error NoFraud();
    /// @notice Paying the prover failed.
    error RewardTransferFailed();
    /// @notice The proof was committed to in L1 block `committedAt`, not after the batch was
    ///         posted (in `postedAt`): a proof must be committed to after the post it proves.
    error CommittedBeforePost(uint256 committedAt, uint256 postedAt);
    /// @notice No claim has this id.
    error UnknownClaim(uint256 claim);
    /// @notice The claim's reward was paid.
    error RewardAlreadyPaid(uint256 claim);
    /// @notice A proof of an earlier batch rolled back the batch before the claim's: the reward
    ///         went to the earlier fraud's prover.
    error ClaimSuperseded(uint256 claim);
    /// @notice The reward is paid once the batch before the one proven is final (at `dueAt`).
    error RewardNotDue(uint256 claim, uint256 dueAt);
    /// @notice The freeze delay must be at least two inclusion windows (`minimum` L1 blocks).
    error FreezeDelayTooShort(uint256 freezeDelay, uint256 minimum);
    /// @notice Only the deployer attaches the bridge.
    error NotDeployer(address caller);
    /// @notice The bridge is attached once.
    error BridgeAlreadyAttached(address bridge);
    /// @notice The bridge pays withdrawals against another inbox.
    error BridgeOfAnotherInbox(address bridgeInbox);
    /// @notice The queue entries of a chunk proof are not the bridge's: the accumulators
    ///         before (`expectedBefore`) and after (`expectedAfter`) entries `first … first +
    ///         count - 1` differ from the proof's.
    error QueueEntriesMismatch(uint256 first, uint256 count, bytes32 expectedBefore, bytes32 expectedAfter);
    /// @notice A batch cannot un-consume queue entries.
    error QueueEndBackwards(uint64 previous, uint64 got);
    /// @notice A batch cannot consume entries that were never queued.
    error QueueEndBeyondQueue(uint64 got, uint256 length);
    /// @notice The entries the batch was built from are not the queue's (an L1 reorg changed it).
    error QueueAccumulatorMismatch(bytes32 expected, bytes32 got);
    /// @notice Entry `index`, queued in L1 block `l1Block`, had to be included by `deadline`.
    error QueueEntryOverdue(uint256 index, uint64 l1Block, uint256 deadline);
    /// @notice The inbox is frozen (the escape hatch, docs/bridge.md §7): it takes no post.
    error InboxFrozen();
    /// @notice `freeze` needs an entry of the bridge's queue left waiting: none waits (the batches
    ///         consumed `queueEnd` of `queueLength` entries).
    error NothingOverdue(uint64 queueEnd, uint256 queueLength);
    /// @notice Entry `index` waits, but the inbox may be frozen only from L1 block `freezableFrom`
    ///         on: `freezeDelay` L1 blocks after the entry was queued, or after the last rollback
    ///         if that came later (docs/bridge.md §7).
    error FreezeNotDue(uint64 index, uint256 freezableFrom);
    /// @notice Without a bridge there is no queue to be overdue.
    error NoBridge();

    /// @notice A batch was recorded.
    event BatchPosted(
        uint256 indexed index,
        address indexed poster,
        bytes32 dataHash,
        bytes32 chunkRootsHash,
        bytes32 stateRoot,
        uint64 lastL2Block,
        uint32 chunkCount,
        uint64 queueEnd
    );
    /// @notice `amount` was staked for the batcher, which now has `staked`.
    event Staked(address indexed from, uint256 amount, uint256 staked);
    /// @notice The batcher took `amount` of its stake back, leaving `staked`.
    event StakeWithdrawn(uint256 amount, uint256 staked);
    /// @notice `prover` committed to a proof (to be revealed in a later block).
    event ProofCommitted(bytes32 indexed commitment, address indexed prover);
    /// @notice Batch `index` was proven fraudulent by `prover`, who holds claim `claim` to the
    ///         reward (`claimReward`). For chunk faults `chunkIndex` is the chunk, and for
    ///         transaction faults `txIndex` the transaction's position in it; for
    ///         `BlobDataMismatch` `chunkIndex` is the segment; for `BlobRootsMismatch` both are 0.
    event FraudProven(
        uint256 indexed index, address indexed prover, Fault fault, uint256 chunkIndex, uint256 txIndex, uint256 claim
    );
    /// @notice Claim `claim` paid `prover` `amount`.
    event RewardPaid(uint256 indexed claim, address indexed prover, uint256 amount);
    /// @notice Batches `fromIndex` to `fromIndex + count - 1` were removed; posting resumes at
    ///         `fromIndex` on `stateRoot`.
    event BatchesRolledBack(uint256 indexed fromIndex, uint256 count, bytes32 stateRoot);
    /// @notice The bridge whose queue the batches consume.
    event BridgeAttached(address indexed bridge, uint256 inclusionWindow);
    /// @notice Queue entry `index` waited past its deadline with no post consuming it: the
    ///         inbox is frozen from L1 block `l1Block` on (docs/bridge.md §7).
    event InboxFrozenAt(uint256 l1Block, uint256 index, uint64 entryL1Block);

    /// @notice Most bytes of data one post carries: a header proof carries them all, and a
    ///         chunk proof one hash per 1,024 of them (docs/fraud-proofs.md §7). A blob holds
    ///         126,976, a blob batch's data and its chunk roots together (`BlobOverfull`).
    uint256 public constant MAX_DATA_BYTES = 120_000;
    /// @notice Most chunk roots one post carries: a chunk proof carries them all (the codec's
    ///         bound, `BatchCodec.MAX_BATCH_CHUNKS`).
    uint256 public constant MAX_BATCH_CHUNKS = BatchCodec.MAX_BATCH_CHUNKS;
    /// @notice A post queues a reading of the L1's fees on the bridge (`L1Bridge.reportL1Fees`)
    ///         when the last one is this many L1 blocks old (an hour of 12-second blocks)...
    uint256 public constant L1_FEES_REPORT_INTERVAL = 300;
    /// @notice ... or the base fee moved by more than this fraction (1/8) of the last one's:
    ///         the L2 prices its L1 data by the latest reading it consumed (docs/fees.md §4).
    uint256 public constant L1_FEES_REPORT_DENOMINATOR = 8;

    /// @notice The largest chunk size a chain may have: the bound of docs/fraud-proofs.md §7
    ///         replays at most this many queue entries and transactions in one proof.
    uint256 public constant MAX_CHUNK_SIZE = 4;

    /// @notice What a fraud proof earned: its prover, the batch it proved, and the batch before
    ///         it as it stood then (its L1 block and data commitment). The claim stands while
    ///         that batch does, and is paid once it is final (`claimReward`).
    struct Claim {
        address prover;
        uint64 index;
        bool paid;
        uint64 prevL1Block;
        bytes32 prevDataHash;
    }

    /// @notice Where a claim stands (`claimState`).
    enum ClaimState {
        /// No claim has the id.
        Unknown,
        /// It stands; paid once the batch before the one proven is final.
        Pending,
        /// It stands and can be paid now.
        Due,
        /// It was paid.
        Paid,
        /// A proof of an earlier batch rolled back the batch before it: the reward went there.
        Superseded
    }

    /// @notice The only account allowed to post batches.
    address public immutable batcher;
    /// @notice Seconds after posting during which a batch can be challenged.
    uint256 public immutable challengeWindow;
    /// @notice Wei the batcher must keep staked to post, and what one proven fraud slashes from
    ///         it: half into the reward pot, half burned. Sized so that the reward pays for the
    ///         most expensive proof at a stated L1 gas price (docs/fraud-proofs.md §7.4).
    uint256 public immutable stakeAmount;
    /// @notice What one claim pays, `stakeAmount / 2` (less only if the pot holds less).
    uint256 public immutable reward;
    /// @notice L1 blocks the first queue entry no batch consumed must have waited before anyone
    ///         may freeze the inbox (docs/bridge.md §7): an outage no honest operator would
    ///         leave unmended (a week of 12-second blocks, 50,400, where deployed for real).
    uint256 public immutable freezeDelay;
    /// @notice State root of the L2 genesis.
    bytes32 public immutable genesisStateRoot;
    /// @notice Transactions per chunk (the last chunk of a block may be shorter).
    uint256 public immutable chunkSize;
    /// @notice Chain id of the L2.
    uint256 public immutable l2ChainId;
    /// @notice The step verifier that replays chunks for fraud proofs.
    ChunkVerifier public immutable verifier;
    /// @notice The verifier that reads a blob batch's bytes from its blob (`proveBlobFraud`,
    ///         `proveBlobRootsFraud`).
    BlobVerifier public immutable blobVerifier;

    /// @notice L1 block in which each proof commitment was made.
    mapping(bytes32 => uint256) public proofCommitments;

    /// @dev The account that may attach the bridge, once.
    address private immutable _deployer;

    /// @dev Records of batches `0 … _count - 1`; entries past `_count` are rolled back and get
    ///      overwritten by later posts.
    Batch[] private _batches;
    uint256 private _count;

    /// @notice The bridge whose L1 → L2 queue the batches consume (zero until attached: every
    ///         batch then consumes nothing).
    IBridgeQueue public bridge;
    /// @notice The L1 block the inbox was frozen in (0: not frozen; docs/bridge.md §7).
    uint256 public frozenAt;
    /// @notice Wei staked for the batcher: it posts only while this is at least `stakeAmount`.
    uint256 public staked;
    /// @notice The L1 block of the last rollback (0: none). Entries a rollback left waiting
    ///         again get a fresh freeze delay from it, so that a proof cannot freeze a chain
    ///         whose batcher has had no time to post again.
    uint256 public lastRollbackBlock;

    // The claims come after the records in storage: `_count` stays in slot 2, where the tests
    // that stand in for a rollback on anvil write it.
    /// @notice The claims of the fraud proofs made, by id (`FraudProven`'s `claim`).
    mapping(uint256 => Claim) public claims;
    /// @notice Claims made so far (the next claim's id).
    uint256 public claimCount;
    /// @notice Wei held for claims: half of every slash, less what was paid. What a superseded
    ///         claim's slash put in stays for the claim that superseded it.
    uint256 public rewardPot;
    /// @notice The L1 block of the last reading of the L1's fees a post queued on the bridge
    ///         (0: none yet), and the base fee it read.
    uint64 public lastL1FeesBlock;
    uint192 public lastL1FeesBaseFee;

    constructor(
        address batcher_,
        uint256 challengeWindow_,
        uint256 stakeAmount_,
        bytes32 genesisStateRoot_,
        uint256 chunkSize_,
        uint256 l2ChainId_,
        ChunkVerifier verifier_,
        uint256 freezeDelay_
    ) {
        if (chunkSize_ == 0) revert ZeroChunkSize();
        if (chunkSize_ > MAX_CHUNK_SIZE) revert ChunkSizeTooLarge(chunkSize_, MAX_CHUNK_SIZE);
        if (l2ChainId_ > type(uint64).max) revert ChainIdTooLarge(l2ChainId_);
        batcher = batcher_;
        challengeWindow = challengeWindow_;
        stakeAmount = stakeAmount_;
        reward = stakeAmount_ / 2;
        freezeDelay = freezeDelay_;
        genesisStateRoot = genesisStateRoot_;
        chunkSize = chunkSize_;
        l2ChainId = l2ChainId_;
        verifier = verifier_;
        blobVerifier = new BlobVerifier();
        _deployer = msg.sender;
    }

    /// @notice Attaches the bridge whose queue the batches consume. The bridge is deployed
    ///         after the inbox (it names the inbox it pays against), so the deployer attaches
    ///         it in a second step, once; the bridge takes no entries before that.
    function attachBridge(IBridgeQueue bridge_) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (address(bridge) != address(0)) revert BridgeAlreadyAttached(address(bridge));
        address bridgeInbox = bridge_.inbox();
        if (bridgeInbox != address(this)) revert BridgeOfAnotherInbox(bridgeInbox);
        // No freeze before the operator has had a window to include an entry after the one
        // in which no post may leave it behind.
        uint256 minimum = 2 * bridge_.inclusionWindow();
        if (freezeDelay < minimum) revert FreezeDelayTooShort(freezeDelay, minimum);
        bridge = bridge_;
        emit BridgeAttached(address(bridge_), bridge_.inclusionWindow());
    }

    /// @notice Records batch `index`, built on `prevStateRoot`, covering L2 blocks up to
    ///         `lastBlock`, with its data in calldata. `chunkRoots[i]` is the state root after
    ///         chunk `i`; the last one is the batch's state root (a batch of empty blocks keeps
    ///         `prevStateRoot`). The data commitment is `DataCommitment.commit(data)`: the length
    ///         and the hash of each 1,024-byte segment, hashed together. By the end of
    ///         `lastBlock` the L2 has consumed the first `queueEnd` entries of the bridge's
    ///         queue, whose accumulator the batcher built them from is `queueAccumulator`.
    function postBatch(
        uint256 index,
        bytes32 prevStateRoot,
        uint64 lastBlock,
        uint64 queueEnd,
        bytes32 queueAccumulator,
        bytes calldata data,
        bytes32[] calldata chunkRoots
    ) external {
        _check(index, prevStateRoot, lastBlock);
        _checkQueue(queueEnd, queueAccumulator);
        if (data.length == 0) revert EmptyBatchData();
        if (data.length > MAX_DATA_BYTES) revert DataTooLarge(data.length, MAX_DATA_BYTES);
        uint256 n = chunkRoots.length;
        if (n > MAX_BATCH_CHUNKS) revert TooManyChunks(n, MAX_BATCH_CHUNKS);
        _record(
            index,
            lastBlock,
            queueEnd,
            DataCommitment.commit(data),
            n,
            keccak256(abi.encodePacked(chunkRoots)),
            n == 0 ? prevStateRoot : chunkRoots[n - 1],
            bytes32(0)
        );
        _reportL1Fees();
    }

    /// @notice The same as `postBatch` with the data, `length` bytes, in this transaction's one
    ///         blob (EIP-4844; docs/fraud-proofs.md §8.1 for the layout) and the keccak256 of each
    ///         1,024-byte segment of it in `segmentHashes`. The data commitment is
    ///         `DataCommitment.ofHashes(length, segmentHashes)`, the same as for the data in
    ///         calldata, so header and chunk proofs read a blob batch's data the same way; the
    ///         blob's versioned hash is recorded too. The `chunkCount` chunk roots are not in
    ///         calldata but at the end of the blob's payload: root `i` is payload bytes
    ///         `PAYLOAD_BYTES − 32 · (chunkCount − i) …` (32 bytes; `BlobVerifier.PAYLOAD_BYTES`),
    ///         after the data (`BlobOverfull`). The call carries their keccak256 (of the roots
    ///         packed, as `postBatch` records it), `chunkRootsHash`, and the last of them, the
    ///         batch's state root `stateRoot`; a batch of no chunks carries `keccak256("")` and
    ///         `prevStateRoot` (`RootsOfNoChunks`). Chunk proofs take the roots in calldata
    ///         against `chunkRootsHash`, as for a calldata batch. A batch whose blob does not
    ///         hold the data the segment hashes commit to is proven fraudulent by
    ///         `proveBlobFraud`; one whose blob does not end with roots that hash to
    ///         `chunkRootsHash` and end with `stateRoot`, by `proveBlobRootsFraud`.
    function postBatchBlobs(
        uint256 index,
        bytes32 prevStateRoot,
        uint64 lastBlock,
        uint64 queueEnd,
        bytes32 queueAccumulator,
        uint256 length,
        bytes32[] calldata segmentHashes,
        uint256 chunkCount,
        bytes32 chunkRootsHash,
        bytes32 stateRoot
    ) external {
        bytes32 blobHash = blobhash(0);
        if (blobHash == bytes32(0) || blobhash(1) != bytes32(0)) revert BlobCount(1);
        _postBlob(
            index,
            prevStateRoot,
            lastBlock,
            queueEnd,
            queueAccumulator,
            length,
            segmentHashes,
            chunkCount,
            chunkRootsHash,
            stateRoot,
            blobHash
        );
        _reportL1Fees();
    }

    /// @notice One batch of a `postBatchesBlobs`: the arguments of a `postBatchBlobs` (its chunk
    ///         roots at the end of its own blob, `chunkCount` of them, hashing to
    ///         `chunkRootsHash`, the last being `stateRoot`).
    struct BlobBatch {
        uint256 index;
        bytes32 prevStateRoot;
        uint64 lastBlock;
        uint64 queueEnd;
        bytes32 queueAccumulator;
        uint256 length;
        bytes32[] segmentHashes;
        uint256 chunkCount;
        bytes32 chunkRootsHash;
        bytes32 stateRoot;
    }

    /// @notice Records consecutive blob batches posted in one transaction: `batches[i]`, as
    ///         `postBatchBlobs` would record it, with its data in the transaction's blob `i`.
    ///         The transaction carries exactly as many blobs as batches (`BlobCount`); each batch
    ///         builds on the one before it, so `batches[i].index` is the inbox's count and
    ///         `batches[i].prevStateRoot` the previous batch's state root, whether that batch came
    ///         in this call or an earlier one. Each batch is proven as if it had been posted alone
    ///         (docs/fraud-proofs.md §8.7): only the blob its versioned hash names is ever read,
    ///         for its data (`proveBlobFraud`) and for its chunk roots, at the end of that blob
    ///         (`proveBlobRootsFraud`).
    function postBatchesBlobs(BlobBatch[] calldata batches) external {
        uint256 count = batches.length;
        if (count == 0 || blobhash(count) != bytes32(0)) revert BlobCount(count);
        for (uint256 i = 0; i < count; i++) {
            bytes32 blobHash = blobhash(i);
            if (blobHash == bytes32(0)) revert BlobCount(count);
            BlobBatch calldata b = batches[i];
            _postBlob(
                b.index,
                b.prevStateRoot,
                b.lastBlock,
                b.queueEnd,
                b.queueAccumulator,
                b.length,
                b.segmentHashes,
                b.chunkCount,
                b.chunkRootsHash,
                b.stateRoot,
                blobHash
            );
        }
        _reportL1Fees();
    }

    /// @dev Checks and records one blob batch whose blob has versioned hash `blobHash`.
    function _postBlob(
        uint256 index,
        bytes32 prevStateRoot,
        uint64 lastBlock,
        uint64 queueEnd,
        bytes32 queueAccumulator,
        uint256 length,
        bytes32[] calldata segmentHashes,
        uint256 chunkCount,
        bytes32 chunkRootsHash,
        bytes32 stateRoot,
        bytes32 blobHash
    ) private {
        _check(index, prevStateRoot, lastBlock);
        _checkQueue(queueEnd, queueAccumulator);
        if (length == 0) revert EmptyBatchData();
        if (length > MAX_DATA_BYTES) revert DataTooLarge(length, MAX_DATA_BYTES);
        uint256 segments = DataCommitment.segmentCount(length);
        if (segmentHashes.length != segments) revert SegmentCountMismatch(segments, segmentHashes.length);
        _checkBlobRoots(prevStateRoot, length, chunkCount, chunkRootsHash, stateRoot);
        _record(
            index,
            lastBlock,
            queueEnd,
            DataCommitment.ofHashes(length, segmentHashes),
            chunkCount,
            chunkRootsHash,
            stateRoot,
            blobHash
        );
    }

    /// @dev The rules of a blob batch's chunk roots that posting can check: at most
    ///      `MAX_BATCH_CHUNKS` of them, room for them after the data in the blob, and for a batch
    ///      of none, the hash of none and the state root unchanged (what `postBatch` records for
    ///      no roots). Whether the blob holds them is `proveBlobRootsFraud`'s.
    function _checkBlobRoots(
        bytes32 prevStateRoot,
        uint256 length,
        uint256 chunkCount,
        bytes32 chunkRootsHash,
        bytes32 stateRoot
    ) private pure {
        if (chunkCount > MAX_BATCH_CHUNKS) revert TooManyChunks(chunkCount, MAX_BATCH_CHUNKS);
        // length ≤ MAX_DATA_BYTES and chunkCount ≤ MAX_BATCH_CHUNKS: no overflow.
        if (length + 32 * chunkCount > BLOB_PAYLOAD_BYTES) revert BlobOverfull(length, chunkCount);
        if (chunkCount == 0 && (chunkRootsHash != keccak256("") || stateRoot != prevStateRoot)) {
            revert RootsOfNoChunks(chunkRootsHash, stateRoot);
        }
    }

    /// @dev Queues a reading of the L1's fees on the bridge when the last one is
    ///      `L1_FEES_REPORT_INTERVAL` blocks old or the base fee moved by more than an eighth
    ///      since: every post checks, so the reading the L2 must consume follows the L1 as long
    ///      as the chain posts, whether the fees rise or fall, whatever the batcher wants.
    function _reportL1Fees() private {
        IBridgeQueue b = bridge;
        if (address(b) == address(0)) return;
        uint256 fee = block.basefee;
        uint256 at = lastL1FeesBlock;
        if (at != 0 && block.number < at + L1_FEES_REPORT_INTERVAL) {
            uint256 last = lastL1FeesBaseFee;
            uint256 step = last / L1_FEES_REPORT_DENOMINATOR;
            if (fee >= last - step && fee <= last + step) return;
        }
        lastL1FeesBlock = uint64(block.number);
        // A base fee is far below 2^192 wei.
        // forge-lint: disable-next-line(unsafe-typecast)
        lastL1FeesBaseFee = uint192(fee);
        b.reportL1Fees();
    }

    function _check(uint256 index, bytes32 prevStateRoot, uint64 lastBlock) private view {
        if (msg.sender != batcher) revert NotBatcher(msg.sender);
        // An account without code calls only as a transaction's sender, so the call is the
        // transaction's own, sent to this contract: its input is this call's calldata and its
        // blob this call's `blobhash(0)`. A delegated EOA (EIP-7702) carries the 23-byte
        // designator and could forward bytes that its transaction's input does not show.
        // (`tx.origin` rules out the batcher's address being a contract under construction.)
        if (tx.origin != msg.sender || msg.sender.code.length != 0) {
            revert NotDirectPost(tx.origin, msg.sender.code.length);
        }
        if (frozenAt != 0) revert InboxFrozen();
        if (index != _count) revert WrongBatchIndex(_count, index);
        bytes32 expectedPrev = lastStateRoot();
        if (prevStateRoot != expectedPrev) revert WrongPrevStateRoot(expectedPrev, prevStateRoot);
        if (staked < stakeAmount) revert NotStaked(staked, stakeAmount);
        uint64 previousL2Block = lastL2Block();
        if (lastBlock <= previousL2Block) revert L2BlocksNotAdvancing(previousL2Block, lastBlock);
    }

    /// @dev The three queue rules of docs/bridge.md §2.3: the queue position never moves
    ///         backwards nor past the queue's end, the entries the batch was built from are the
    ///         queue's, and the first entry left waiting is not overdue.
    function _checkQueue(uint64 queueEnd, bytes32 queueAccumulator) private view {
        uint64 previous = lastQueueEnd();
        if (queueEnd < previous) revert QueueEndBackwards(previous, queueEnd);
        IBridgeQueue b = bridge;
        uint256 length;
        bytes32 accumulator;
        uint64 nextL1Block;
        if (address(b) != address(0)) (length, accumulator, nextL1Block) = b.queueAt(queueEnd);
        if (queueEnd > length) revert QueueEndBeyondQueue(queueEnd, length);
        if (queueAccumulator != accumulator) revert QueueAccumulatorMismatch(accumulator, queueAccumulator);
        if (queueEnd < length) {
            uint256 deadline = uint256(nextL1Block) + b.inclusionWindow();
            if (deadline < block.number) revert QueueEntryOverdue(queueEnd, nextL1Block, deadline);
        }
    }

    /// @dev Records batch `index` (checked): its data commitment, its `chunkCount` chunk roots'
    ///      hash and its state root (the last root, or the previous batch's for no chunks), and
    ///      for a blob batch its blob's versioned hash. `chunkCount` is at most
    ///      `MAX_BATCH_CHUNKS`.
    function _record(
        uint256 index,
        uint64 lastBlock,
        uint64 queueEnd,
        bytes32 dataHash,
        uint256 chunkCount,
        bytes32 chunkRootsHash,
        bytes32 stateRoot,
        bytes32 blobHash
    ) private {
        // Both posts checked that chunkCount ≤ MAX_BATCH_CHUNKS.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 count = uint32(chunkCount);
        Batch memory record = Batch({
            dataHash: dataHash,
            chunkRootsHash: chunkRootsHash,
            stateRoot: stateRoot,
            poster: msg.sender,
            l1Block: uint64(block.number),
            postedAt: uint64(block.timestamp),
            lastL2Block: lastBlock,
            chunkCount: count,
            queueEnd: queueEnd,
            blobHash: blobHash
        });
        if (index < _batches.length) _batches[index] = record;
        else _batches.push(record);
        _count = index + 1;
        emit BatchPosted(index, msg.sender, dataHash, chunkRootsHash, stateRoot, lastBlock, count, queueEnd);
    }

    // -----------------------------------------------------------------------------------------
    // Fraud proofs (docs/fraud-proofs.md §6).

    /// @notice The commitment a prover makes before revealing a proof: `proofCall` is the whole
    ///         calldata of the `proveHeaderFraud`, `proveChunkFraud`, `proveBlobFraud` or
    ///         `proveBlobRootsFraud` call it will send.
    function proofCommitment(address prover, bytes calldata proofCall) public pure returns (bytes32) {
        return keccak256(abi.encode(prover, keccak256(proofCall)));
    }

    /// @notice Commits to a proof, to be revealed by the same sender in a later L1 block. A
    ///         copy of a revealed proof sent by someone else finds no commitment of its own.
    function commitProof(bytes32 commitment) external {
        if (proofCommitments[commitment] == 0) {
            proofCommitments[commitment] = block.number;
            emit ProofCommitted(commitment, msg.sender);
        }
    }

    /// @notice Proves that batch `index` is invalid from its header alone, checked in this
    ///         order: it does not decode, it does not start right after the previous batch, it
    ///         does not end at its posted last block, its chunk count is not the number of
    ///         posted chunk roots, or the queue entries its blocks consume (the sum of their
    ///         queue counts) are not `queueEnd` minus the previous batch's `queueEnd` (0 for
    ///         batch 0), the entries it was posted to consume (docs/bridge.md §6).
    function proveHeaderFraud(uint256 index, bytes calldata data) external {
        Batch storage b = _openBatch(index);
        if (DataCommitment.commit(data) != b.dataHash) revert DataMismatch(index);
        _consumeCommitment(b);
        (bool decodes, uint64 firstBlock, uint64 lastBlock, uint256 chunks, uint256 entries) =
            verifier.decoder().inspectHeader(data, chunkSize);
        Fault fault;
        if (!decodes) fault = Fault.UndecodableHeader;
        else if (firstBlock != (index == 0 ? 1 : _batches[index - 1].lastL2Block + 1)) fault = Fault.WrongFirstBlock;
        else if (lastBlock != b.lastL2Block) fault = Fault.WrongLastBlock;
        else if (chunks != b.chunkCount) fault = Fault.WrongChunkCount;
        // Posting keeps queueEnd from going backwards: no underflow.
        else if (entries != b.queueEnd - (index == 0 ? 0 : _batches[index - 1].queueEnd)) fault = Fault.WrongQueueCount;
        else revert NoFraud();
        _rollBack(index, fault, 0, 0);
    }

    /// @notice Proves that chunk `proof.chunkIndex` of batch `index` is invalid: it does not decode,
    ///         its block commits an L1 price out of its bound, one of its transactions is
    ///         inadmissible, carries a wrong nonce or cannot pay, or replaying it
    ///         from the root before it (the previous chunk's root, or the previous batch's state
    ///         root for chunk 0) does not give its posted root. `proof.keys` and
    ///         `proof.witness` prove every state key the chunk touches against that root
    ///         (docs/state-commitment.md §8).
    function proveChunkFraud(
        uint256 index,
        BatchDecoder.DataProof calldata data,
        bytes32[] calldata chunkRoots,
        ChunkVerifier.ChunkProof calldata proof
    ) external {
        Batch storage b = _openBatch(index);
        if (
            data.segmentHashes.length != DataCommitment.segmentCount(data.length)
                || DataCommitment.ofHashes(data.length, data.segmentHashes) != b.dataHash
        ) revert DataMismatch(index);
        if (keccak256(abi.encodePacked(chunkRoots)) != b.chunkRootsHash) revert ChunkRootsMismatch(index);
        uint256 chunkIndex = proof.chunkIndex;
        if (chunkIndex >= chunkRoots.length) revert NoSuchChunk(chunkIndex, chunkRoots.length);
        _consumeCommitment(b);
        (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) = _replay(index, data, chunkRoots, proof);
        Fault fault;
        if (outcome == ChunkVerifier.Outcome.Undecodable) fault = Fault.UndecodableChunk;
        else if (outcome == ChunkVerifier.Outcome.Inadmissible) fault = Fault.InadmissibleTx;
        else if (outcome == ChunkVerifier.Outcome.WrongNonce) fault = Fault.WrongNonce;
        else if (outcome == ChunkVerifier.Outcome.CannotPay) fault = Fault.CannotPay;
        else if (outcome == ChunkVerifier.Outcome.WrongL1Price) fault = Fault.WrongL1Price;
        else if (postRoot != chunkRoots[chunkIndex]) fault = Fault.WrongChunkRoot;
        else revert NoFraud();
        _rollBack(index, fault, chunkIndex, txIndex);
    }

    /// @notice Proves that the blob of blob batch `index` does not hold the data the batch was
    ///         posted with: segment `segment` of the data (bytes `1024 · segment …
    ///         min(1024 · segment + 1024, length) − 1`), read from the blob, does not hash to
    ///         `segmentHashes[segment]`. `length` and `segmentHashes` are the ones the batch was
    ///         posted with; `commitment` is the blob's KZG commitment (an EIP-2537 G1 point) and
    ///         `cells` the blob's cells that hold the segment, with their KZG proofs
    ///         (`BlobVerifier.payloadHash`). `FraudProven`'s `chunkIndex` is the segment
    ///         (docs/fraud-proofs.md §8.2).
    function proveBlobFraud(
        uint256 index,
        uint256 length,
        bytes32[] calldata segmentHashes,
        uint256 segment,
        bytes calldata commitment,
        BlobVerifier.Cell[] calldata cells
    ) external {
        Batch storage b = _openBatch(index);
        bytes32 blobHash = b.blobHash;
        if (blobHash == bytes32(0)) revert NotABlobBatch(index);
        if (
            segmentHashes.length != DataCommitment.segmentCount(length)
                || DataCommitment.ofHashes(length, segmentHashes) != b.dataHash
        ) revert DataMismatch(index);
        if (segment >= segmentHashes.length) revert NoSuchSegment(segment, segmentHashes.length);
        _consumeCommitment(b);
        uint256 from = segment * DataCommitment.SEGMENT_BYTES;
        uint256 to = from + DataCommitment.SEGMENT_BYTES < length ? from + DataCommitment.SEGMENT_BYTES : length;
        if (blobVerifier.payloadHash(blobHash, commitment, from, to, cells) == segmentHashes[segment]) {
            revert NoFraud();
        }
        _rollBack(index, Fault.BlobDataMismatch, segment, 0);
    }

    /// @notice Proves that the blob of blob batch `index` does not end with the chunk roots the
    ///         batch was posted with: its last `32 · chunkCount` payload bytes, read from the
    ///         blob, do not hash to the posted `chunkRootsHash`, or their last 32 bytes are not
    ///         the posted state root. `commitment` is the blob's KZG commitment (an EIP-2537 G1
    ///         point) and `cells` the blob's cells that hold those bytes, with their KZG proofs
    ///         (`BlobVerifier.payload`); 256 roots lie in the last 5 cells. `FraudProven`'s
    ///         `chunkIndex` and `txIndex` are 0 (docs/fraud-proofs.md §8.8).
    /// @dev Chunk proofs take the roots in calldata and check them against `chunkRootsHash`
    ///      alone; a challenger reads them from the blob, public for the retention period. If
    ///      the blob's roots are the posted ones (their hash, and the last one the state root),
    ///      every chunk proof has the roots it needs; if not, this proof rolls the batch back.
    ///      A batch of no chunks has no roots in its blob: posting checked its hash and root.
    function proveBlobRootsFraud(uint256 index, bytes calldata commitment, BlobVerifier.Cell[] calldata cells)
        external
    {
        Batch storage b = _openBatch(index);
        bytes32 blobHash = b.blobHash;
        if (blobHash == bytes32(0)) revert NotABlobBatch(index);
        uint256 n = b.chunkCount;
        if (n == 0) revert NoFraud();
        _consumeCommitment(b);
        uint256 end = BLOB_PAYLOAD_BYTES;
        bytes memory roots = blobVerifier.payload(blobHash, commitment, end - 32 * n, end, cells);
        bytes32 last;
        assembly ("memory-safe") {
            last := mload(add(roots, mload(roots)))
        }
        if (keccak256(roots) == b.chunkRootsHash && last == b.stateRoot) revert NoFraud();
        _rollBack(index, Fault.BlobRootsMismatch, 0, 0);
    }

    /// @dev Replays the proof's chunk with the verifier, from the root before it, and checks
    ///      that the queue entries it replayed are the bridge's.
    function _replay(
        uint256 index,
        BatchDecoder.DataProof calldata data,
        bytes32[] calldata chunkRoots,
        ChunkVerifier.ChunkProof calldata proof
    ) private returns (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) {
        ChunkVerifier.QueueSpan memory span;
        (outcome, txIndex, postRoot, span) =
            verifier.replayChunk(data, _params(index, chunkRoots, proof.chunkIndex), proof);
        if (span.count != 0) _checkQueueSpan(span);
    }

    /// @dev What the verifier needs to replay chunk `chunkIndex` of batch `index`.
    function _params(uint256 index, bytes32[] calldata chunkRoots, uint256 chunkIndex)
        private
        view
        returns (ChunkVerifier.Params memory)
    {
        return ChunkVerifier.Params({
            chunkSize: chunkSize,
            chainId: l2ChainId,
            preRoot: chunkIndex == 0 ? _rootBefore(index) : chunkRoots[chunkIndex - 1],
            queueStart: index == 0 ? 0 : _batches[index - 1].queueEnd
        });
    }

    /// @dev The queue entries a chunk proof replayed are the bridge's: the accumulators before
    ///      and after them are the ones the bridge holds. (Entries the batch consumed exist:
    ///      posting checked its `queueEnd` against the queue, so a span inside it is in range.)
    function _checkQueueSpan(ChunkVerifier.QueueSpan memory span) private view {
        (, bytes32 before,) = bridge.queueAt(span.first);
        (, bytes32 afterwards,) = bridge.queueAt(span.first + span.count);
        if (before != span.accBefore || afterwards != span.accAfter) {
            revert QueueEntriesMismatch(span.first, span.count, before, afterwards);
        }
    }

    /// @dev A batch that can still be challenged.
    function _openBatch(uint256 index) private view returns (Batch storage b) {
        b = _batch(index);
        if (block.timestamp >= uint256(b.postedAt) + challengeWindow) revert BatchFinalized(index);
    }

    /// @dev Checks and removes the sender's commitment to this very call, made in an earlier L1
    ///      block than this one and a later one than `b`'s post: a batcher cannot hold a proof
    ///      ready before it posts.
    function _consumeCommitment(Batch storage b) private {
        bytes32 commitment = proofCommitment(msg.sender, msg.data);
        uint256 at = proofCommitments[commitment];
        if (at == 0 || at >= block.number) revert ProofNotCommitted(commitment);
        if (at <= b.l1Block) revert CommittedBeforePost(at, b.l1Block);
        delete proofCommitments[commitment];
    }

    /// @dev The state root batch `index` builds on.
    function _rootBefore(uint256 index) private view returns (bytes32) {
        return index == 0 ? genesisStateRoot : _batches[index - 1].stateRoot;
    }

    /// @dev Removes batch `index` and every later one, slashes one `stakeAmount` from the stake
    ///      (or what is left of it), puts half of it in the reward pot and gives the prover a
    ///      claim. The other half stays in the inbox, which has no way to pay it out: it is
    ///      burned. Posting needs the stake topped up again.
    function _rollBack(uint256 index, Fault fault, uint256 chunkIndex, uint256 txIndex) private {
        uint256 removed = _count - index;
        uint256 slashed = staked < stakeAmount ? staked : stakeAmount;
        staked -= slashed;
        rewardPot += slashed / 2;
        uint256 claim = claimCount++;
        Claim storage c = claims[claim];
        c.prover = msg.sender;
        c.index = uint64(index);
        if (index != 0) {
            Batch storage prev = _batches[index - 1];
            c.prevL1Block = prev.l1Block;
            c.prevDataHash = prev.dataHash;
        }
        _count = index;
        lastRollbackBlock = block.number;
        emit FraudProven(index, msg.sender, fault, chunkIndex, txIndex, claim);
        emit BatchesRolledBack(index, removed, lastStateRoot());
    }

    /// @notice Where claim `claim` stands, and from when it can be paid (the L1 timestamp at
    ///         which the batch before the one it proved is final; 0 for a proof of batch 0).
    ///         A claim stands while the batch before the one it proved is the one that was
    ///         there when it was made: a proof of an earlier batch that rolled that one back
    ///         supersedes it.
    function claimState(uint256 claim) public view returns (ClaimState state, uint256 dueAt) {
        Claim storage c = claims[claim];
        if (c.prover == address(0)) return (ClaimState.Unknown, 0);
        if (c.paid) return (ClaimState.Paid, 0);
        if (c.index == 0) return (ClaimState.Due, 0);
        uint256 prev = uint256(c.index) - 1;
        if (prev >= _count) return (ClaimState.Superseded, 0);
        Batch storage b = _batches[prev];
        if (b.l1Block != c.prevL1Block || b.dataHash != c.prevDataHash) return (ClaimState.Superseded, 0);
        dueAt = uint256(b.postedAt) + challengeWindow;
        state = block.timestamp >= dueAt ? ClaimState.Due : ClaimState.Pending;
    }

    /// @notice Pays claim `claim` its reward: `reward`, or what the pot holds if less (it holds
    ///         a reward for every claim that stands, docs/fraud-proofs.md §7.4). Anyone may call
    ///         it; the prover is paid.
    function claimReward(uint256 claim) external {
        (ClaimState state, uint256 dueAt) = claimState(claim);
        if (state == ClaimState.Unknown) revert UnknownClaim(claim);
        if (state == ClaimState.Paid) revert RewardAlreadyPaid(claim);
        if (state == ClaimState.Superseded) revert ClaimSuperseded(claim);
        if (state == ClaimState.Pending) revert RewardNotDue(claim, dueAt);
        Claim storage c = claims[claim];
        c.paid = true;
        uint256 amount = rewardPot < reward ? rewardPot : reward;
        rewardPot -= amount;
        address prover = c.prover;
        emit RewardPaid(claim, prover, amount);
        (bool ok,) = prover.call{value: amount}("");
        if (!ok) revert RewardTransferFailed();
    }

    /// @notice Stakes `msg.value` for the batcher (anyone may add to it; only the batcher takes
    ///         it back). One stake backs every batch: posting needs `stakeAmount` staked, and a
    ///         proven fraud slashes one `stakeAmount`.
    function stake() external payable {
        staked += msg.value;
        emit Staked(msg.sender, msg.value, staked);
    }

    /// @notice Sends `amount` of the stake back to the batcher: what exceeds `stakeAmount` at
    ///         any time, the rest once the last batch is final (no batch is open to back).
    function withdrawStake(uint256 amount) external {
        if (msg.sender != batcher) revert NotBatcher(msg.sender);
        if (amount > staked) revert StakeTooSmall(staked, amount);
        uint256 n = _count;
        if (staked - amount < stakeAmount && n != 0 && !isFinalized(n - 1)) {
            revert StakeLocked(uint256(_batches[n - 1].postedAt) + challengeWindow);
        }
        staked -= amount;
        emit StakeWithdrawn(amount, staked);
        (bool ok,) = batcher.call{value: amount}("");
        if (!ok) revert StakeTransferFailed();
    }

    /// @notice Number of batches recorded.
    function batchCount() external view returns (uint256) {
        return _count;
    }

    /// @notice The record of batch `index`.
    function getBatch(uint256 index) external view returns (Batch memory) {
        return _batch(index);
    }

    /// @notice State root of the last batch, or the genesis root before the first.
    function lastStateRoot() public view returns (bytes32) {
        uint256 n = _count;
        return n == 0 ? genesisStateRoot : _batches[n - 1].stateRoot;
    }

    /// @notice Last L2 block covered by the batches (0, the genesis block, before the first).
    function lastL2Block() public view returns (uint64) {
        uint256 n = _count;
        return n == 0 ? 0 : _batches[n - 1].lastL2Block;
    }

    /// @notice Queue entries consumed by the end of the last batch (0 before the first).
    function lastQueueEnd() public view returns (uint64) {
        uint256 n = _count;
        return n == 0 ? 0 : _batches[n - 1].queueEnd;
    }

    /// @notice Whether batch `index` is past its challenge window.
    function isFinalized(uint256 index) public view returns (bool) {
        return block.timestamp >= uint256(_batch(index).postedAt) + challengeWindow;
    }

    // -----------------------------------------------------------------------------------------
    // The escape hatch (docs/bridge.md §7).

    /// @notice Freezes the inbox, the last resort when the operator has stopped: the first entry
    ///         no batch consumed has waited `freezeDelay` L1 blocks since it was queued, or since
    ///         the last rollback if that came later (after one inclusion window no post may leave
    ///         it behind; after the delay, an outage no honest operator leaves unmended, the
    ///         operator is taken to have stopped). Anyone may call it. From then on no post is
    ///         taken and the bridge takes no deposit; fraud proofs still work. The state of the
    ///         last batch left, once final, is what users exit from (`escapeState`).
    function freeze() external {
        if (frozenAt != 0) revert InboxFrozen();
        IBridgeQueue b = bridge;
        if (address(b) == address(0)) revert NoBridge();
        uint64 end = lastQueueEnd();
        (uint256 length,, uint64 nextL1Block) = b.queueAt(end);
        if (end >= length) revert NothingOverdue(end, length);
        uint256 since = nextL1Block > lastRollbackBlock ? nextL1Block : lastRollbackBlock;
        uint256 freezableFrom = since + freezeDelay + 1;
        if (block.number < freezableFrom) revert FreezeNotDue(end, freezableFrom);
        frozenAt = block.number;
        emit InboxFrozenAt(block.number, end, nextL1Block);
    }

    /// @notice The state users exit from once the inbox is frozen: whether it is ready (frozen,
    ///         and the last batch left final, or no batch at all), its state root, and the queue
    ///         entries it consumed (later deposits are refunded on L1). Before that, `ready` is
    ///         false.
    function escapeState() external view returns (bool ready, bytes32 stateRoot, uint64 queueEnd) {
        if (frozenAt == 0) return (false, bytes32(0), 0);
        uint256 n = _count;
        if (n != 0 && !isFinalized(n - 1)) return (false, bytes32(0), 0);
        return (true, lastStateRoot(), lastQueueEnd());
    }

    function _batch(uint256 index) private view returns (Batch storage) {
        if (index >= _count) revert UnknownBatch(index);
        return _batches[index];
    }
}
