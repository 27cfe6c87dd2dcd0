// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title BatchInbox
/// @notice The L1 record of the L2 chain: for each batch, a commitment to its data, a
///         commitment to its chunk roots, its final state root, the L1 block it was posted
///         in and the poster's bond. Only the authorised batcher posts; a batch is final
///         once `challengeWindow` seconds have passed since it was posted.
/// @dev Fraud proofs (invalidating a batch and its descendants, paying the prover from the
///      bond) attach here in a later version; see docs/fraud-proofs.md.
contract BatchInbox {
    /// @notice What the inbox records of one batch.
    struct Batch {
        bytes32 dataHash;
        bytes32 chunkRootsHash;
        bytes32 stateRoot;
        address poster;
        uint64 l1Block;
        uint64 postedAt;
        uint64 lastL2Block;
        uint32 chunkCount;
        uint128 bond;
        bool bondClaimed;
        uint8 blobCount;
    }

    /// @notice Only the authorised batcher may post.
    error NotBatcher(address caller);
    /// @notice Batches are posted in order: `expected` is the next index.
    error WrongBatchIndex(uint256 expected, uint256 got);
    /// @notice The batch does not build on the last posted state root.
    error WrongPrevStateRoot(bytes32 expected, bytes32 got);
    /// @notice Each batch carries exactly the bond.
    error WrongBond(uint256 expected, uint256 got);
    /// @notice Each batch ends at a later L2 block than the previous one.
    error L2BlocksNotAdvancing(uint64 previous, uint64 got);
    /// @notice A batch carries data.
    error EmptyBatchData();
    /// @notice A blob post carries at least one blob.
    error NoBlobs();
    /// @notice No batch has this index.
    error UnknownBatch(uint256 index);
    /// @notice The batch is still inside its challenge window.
    error NotFinalized(uint256 index, uint256 finalizedAt);
    /// @notice A chunk holds at least one transaction.
    error ZeroChunkSize();
    /// @notice The L2 chain id must fit 64 bits (the batch codec rebuilds EIP-155 signatures
    ///         from it).
    error ChainIdTooLarge(uint256 chainId);
    /// @notice The bond was already returned.
    error BondAlreadyClaimed(uint256 index);
    /// @notice Only the poster of a batch claims its bond.
    error NotPoster(address caller);
    /// @notice Returning the bond failed.
    error BondTransferFailed();

    /// @notice A batch was recorded.
    event BatchPosted(
        uint256 indexed index,
        address indexed poster,
        bytes32 dataHash,
        bytes32 chunkRootsHash,
        bytes32 stateRoot,
        uint64 lastL2Block,
        uint32 chunkCount
    );
    /// @notice The bond of a final batch went back to its poster.
    event BondClaimed(uint256 indexed index, address indexed poster, uint256 amount);

    /// @notice The only account allowed to post batches.
    address public immutable batcher;
    /// @notice Seconds after posting during which a batch can be challenged.
    uint256 public immutable challengeWindow;
    /// @notice Wei staked with every batch.
    uint256 public immutable bondAmount;
    /// @notice State root of the L2 genesis.
    bytes32 public immutable genesisStateRoot;
    /// @notice Transactions per chunk (the last chunk of a block may be shorter).
    uint256 public immutable chunkSize;
    /// @notice Chain id of the L2.
    uint256 public immutable l2ChainId;

    Batch[] private _batches;

    constructor(
        address batcher_,
        uint256 challengeWindow_,
        uint256 bondAmount_,
        bytes32 genesisStateRoot_,
        uint256 chunkSize_,
        uint256 l2ChainId_
    ) {
        if (chunkSize_ == 0) revert ZeroChunkSize();
        if (l2ChainId_ > type(uint64).max) revert ChainIdTooLarge(l2ChainId_);
        batcher = batcher_;
        challengeWindow = challengeWindow_;
        bondAmount = bondAmount_;
        genesisStateRoot = genesisStateRoot_;
        chunkSize = chunkSize_;
        l2ChainId = l2ChainId_;
    }

    /// @notice Records batch `index`, built on `prevStateRoot`, covering L2 blocks up to
    ///         `lastBlock`, with its data in calldata. `chunkRoots[i]` is the state root after
    ///         chunk `i`; the last one is the batch's state root (a batch of empty blocks keeps
    ///         `prevStateRoot`). The data commitment is `keccak256(data)`.
    function postBatch(
        uint256 index,
        bytes32 prevStateRoot,
        uint64 lastBlock,
        bytes calldata data,
        bytes32[] calldata chunkRoots
    ) external payable {
        _check(index, prevStateRoot, lastBlock);
        if (data.length == 0) revert EmptyBatchData();
        _record(index, prevStateRoot, lastBlock, keccak256(data), chunkRoots, 0);
    }

    /// @notice The same as `postBatch` with the data in this transaction's blobs (EIP-4844).
    ///         The data commitment is `keccak256` of the blobs' versioned hashes, concatenated
    ///         in blob order.
    function postBatchBlobs(uint256 index, bytes32 prevStateRoot, uint64 lastBlock, bytes32[] calldata chunkRoots)
        external
        payable
    {
        _check(index, prevStateRoot, lastBlock);
        uint256 count;
        while (blobhash(count) != bytes32(0)) {
            count++;
        }
        if (count == 0) revert NoBlobs();
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i; i < count; i++) {
            hashes[i] = blobhash(i);
        }
        // A transaction carries a handful of blobs (6 under Cancun, 9 under Prague).
        // forge-lint: disable-next-line(unsafe-typecast)
        _record(index, prevStateRoot, lastBlock, keccak256(abi.encodePacked(hashes)), chunkRoots, uint8(count));
    }

    function _check(uint256 index, bytes32 prevStateRoot, uint64 lastBlock) private view {
        if (msg.sender != batcher) revert NotBatcher(msg.sender);
        if (index != _batches.length) revert WrongBatchIndex(_batches.length, index);
        bytes32 expectedPrev = lastStateRoot();
        if (prevStateRoot != expectedPrev) revert WrongPrevStateRoot(expectedPrev, prevStateRoot);
        if (msg.value != bondAmount) revert WrongBond(bondAmount, msg.value);
        uint64 previousL2Block = lastL2Block();
        if (lastBlock <= previousL2Block) revert L2BlocksNotAdvancing(previousL2Block, lastBlock);
    }

    function _record(
        uint256 index,
        bytes32 prevStateRoot,
        uint64 lastBlock,
        bytes32 dataHash,
        bytes32[] calldata chunkRoots,
        uint8 blobCount
    ) private {
        bytes32 stateRoot = chunkRoots.length == 0 ? prevStateRoot : chunkRoots[chunkRoots.length - 1];
        bytes32 chunkRootsHash = keccak256(abi.encodePacked(chunkRoots));
        _batches.push(
            Batch({
                dataHash: dataHash,
                chunkRootsHash: chunkRootsHash,
                stateRoot: stateRoot,
                poster: msg.sender,
                l1Block: uint64(block.number),
                postedAt: uint64(block.timestamp),
                lastL2Block: lastBlock,
                chunkCount: uint32(chunkRoots.length),
                bond: uint128(msg.value),
                bondClaimed: false,
                blobCount: blobCount
            })
        );
        emit BatchPosted(index, msg.sender, dataHash, chunkRootsHash, stateRoot, lastBlock, uint32(chunkRoots.length));
    }

    /// @notice Returns the bond of a final batch to its poster.
    function claimBond(uint256 index) external {
        Batch storage b = _batch(index);
        if (msg.sender != b.poster) revert NotPoster(msg.sender);
        uint256 at = uint256(b.postedAt) + challengeWindow;
        if (block.timestamp < at) revert NotFinalized(index, at);
        if (b.bondClaimed) revert BondAlreadyClaimed(index);
        b.bondClaimed = true;
        uint256 amount = b.bond;
        (bool ok,) = b.poster.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
        emit BondClaimed(index, b.poster, amount);
    }

    /// @notice Number of batches recorded.
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @notice The record of batch `index`.
    function getBatch(uint256 index) external view returns (Batch memory) {
        return _batch(index);
    }

    /// @notice State root of the last batch, or the genesis root before the first.
    function lastStateRoot() public view returns (bytes32) {
        uint256 n = _batches.length;
        return n == 0 ? genesisStateRoot : _batches[n - 1].stateRoot;
    }

    /// @notice Last L2 block covered by the batches (0, the genesis block, before the first).
    function lastL2Block() public view returns (uint64) {
        uint256 n = _batches.length;
        return n == 0 ? 0 : _batches[n - 1].lastL2Block;
    }

    /// @notice Whether batch `index` is past its challenge window.
    function isFinalized(uint256 index) external view returns (bool) {
        return block.timestamp >= uint256(_batch(index).postedAt) + challengeWindow;
    }

    function _batch(uint256 index) private view returns (Batch storage) {
        if (index >= _batches.length) revert UnknownBatch(index);
        return _batches[index];
    }
}
