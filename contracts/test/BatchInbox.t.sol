// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {BatchInbox} from "../src/l1/BatchInbox.sol";
import {BlobVerifier} from "../src/l1/BlobVerifier.sol";
import {ChunkVerifier} from "../src/l1/ChunkVerifier.sol";
import {BatchDecoder} from "../src/l1/BatchDecoder.sol";
import {LendingReplay} from "../src/l1/LendingReplay.sol";
import {ReplayLogic} from "../src/l1/ReplayLogic.sol";

/// @dev L1 blocks an unconsumed queue entry waits before the inbox may be frozen (no bridge here).
uint256 constant FREEZE_DELAY = 2_000;

/// @dev A batcher contract that cannot receive ether back.
contract RejectingBatcher {
    function withdraw(BatchInbox inbox, uint256 amount) external {
        inbox.withdrawStake(amount);
    }
}

/// @dev A batcher contract that tries to withdraw its stake again while being paid.
contract ReentrantBatcher {
    BatchInbox public inbox;
    uint256 public payments;
    bool public reentryFailed;

    function withdraw(BatchInbox inbox_, uint256 amount) external {
        inbox = inbox_;
        inbox_.withdrawStake(amount);
    }

    receive() external payable {
        payments++;
        if (payments == 1) {
            try inbox.withdrawStake(msg.value) {}
            catch {
                reentryFailed = true;
            }
        }
    }
}

/// @dev What a delegated batcher's account runs (EIP-7702, issue 53's attack): its transaction's
///      input is an ordinary-looking call, and the code forwards to the inbox the `n` bytes before
///      the input's last word, `n`. A reader of the transaction's input sees the decoy.
contract ForwardingDelegate {
    address public immutable inbox;

    constructor(address inbox_) {
        inbox = inbox_;
    }

    fallback() external {
        uint256 n = uint256(bytes32(msg.data[msg.data.length - 32:]));
        bytes calldata hidden = msg.data[msg.data.length - 32 - n:msg.data.length - 32];
        (bool ok, bytes memory out) = inbox.call(hidden);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(out, 32), mload(out))
            }
        }
    }
}

/// @dev A contract that posts from its constructor, at an address that has no code yet.
contract ConstructorPoster {
    constructor(BatchInbox inbox, bytes32[] memory roots) {
        inbox.postBatch(0, inbox.lastStateRoot(), 1, 0, bytes32(0), hex"01", roots);
    }
}

/// @notice Behavioural tests of the L1 batch inbox: posting rules, recorded fields, finality
///         and the batcher's stake; blob posts and the proof that a blob does not hold the
///         committed data (on the vectors of ../testdata/blob-cells.json).
contract BatchInboxTest is Test {
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
    event StakeWithdrawn(uint256 amount, uint256 staked);

    address constant BATCHER = address(0xBA7C4E5);
    address constant ALICE = address(0xA11CE);
    uint256 constant WINDOW = 7 days;
    uint256 constant BOND = 1 ether;
    bytes32 constant GENESIS = keccak256("genesis state root");
    uint256 constant CHUNK_SIZE = 4;
    uint256 constant CHAIN_ID = 42069;
    uint256 constant T0 = 1_700_000_000;
    uint256 constant B0 = 19_000_000;
    /// @dev These tests never prove fraud (FraudProof.t.sol does): no verifier is needed.
    ChunkVerifier constant VERIFIER = ChunkVerifier(address(0));

    BatchInbox inbox;

    function setUp() public override {
        inbox = new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.deal(BATCHER, 100 ether + BOND);
        vm.prank(BATCHER, BATCHER);
        inbox.stake{value: BOND}();
        vm.deal(ALICE, 100 ether);
        vm.warp(T0);
        vm.roll(B0);
    }

    function _roots(uint256 n, uint256 seed) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](n);
        for (uint256 i; i < n; i++) {
            roots[i] = keccak256(abi.encode("root", seed, i));
        }
    }

    /// @dev The data commitment, computed independently of `DataCommitment`: the length, then
    ///      the keccak256 of each 1,024-byte segment, hashed together.
    function _commitment(bytes memory data) internal pure returns (bytes32) {
        bytes memory preimage = abi.encodePacked(data.length);
        for (uint256 start; start < data.length; start += 1024) {
            uint256 end = start + 1024 > data.length ? data.length : start + 1024;
            bytes memory segment = new bytes(end - start);
            for (uint256 i; i < segment.length; i++) {
                segment[i] = data[start + i];
            }
            preimage = bytes.concat(preimage, keccak256(segment));
        }
        return keccak256(preimage);
    }

    /// @dev Posts the next batch on top of the current state as the batcher.
    function _postNext(uint64 lastBlock, bytes memory data, bytes32[] memory roots) internal {
        uint256 index = inbox.batchCount();
        bytes32 prev = inbox.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(index, prev, lastBlock, 0, bytes32(0), data, roots);
    }

    // ---------------------------------------------------------------------------------------
    // Construction and the empty inbox
    // ---------------------------------------------------------------------------------------

    function test_constructor_setsParameters() public view {
        assertEq(inbox.batcher(), BATCHER, "batcher");
        assertEq(inbox.challengeWindow(), WINDOW, "challengeWindow");
        assertEq(inbox.stakeAmount(), BOND, "stakeAmount");
        assertEq(inbox.staked(), BOND, "staked in setUp");
        assertEq(inbox.genesisStateRoot(), GENESIS, "genesisStateRoot");
        assertEq(inbox.chunkSize(), CHUNK_SIZE, "chunkSize");
        assertEq(inbox.l2ChainId(), CHAIN_ID, "l2ChainId");
        assertEq(uint256(BatchInbox.Fault.BlobDataMismatch), 9, "the blob proof's fault number (Rust decodes it)");
        assertEq(uint256(BatchInbox.Fault.BlobRootsMismatch), 12, "the blob roots proof's fault number");
        assertTrue(address(inbox.blobVerifier()) != address(0), "the inbox made its blob verifier");
    }

    function test_constructor_refusesAZeroChunkSizeAndAWideChainId() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ZeroChunkSize.selector));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, 0, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        uint256 wide = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ChainIdTooLarge.selector, wide));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, wide, VERIFIER, FREEZE_DELAY);
    }

    function test_emptyInbox() public {
        assertEq(inbox.batchCount(), 0, "batchCount");
        assertEq(inbox.lastStateRoot(), GENESIS, "lastStateRoot is the genesis root");
        assertEq(inbox.lastL2Block(), 0, "lastL2Block is the genesis block");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 0));
        inbox.getBatch(0);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 0));
        inbox.isFinalized(0);
    }

    // ---------------------------------------------------------------------------------------
    // postBatch: recorded fields
    // ---------------------------------------------------------------------------------------

    function test_postBatch_recordsFields() public {
        bytes memory data = hex"c0ffee0102030405";
        bytes32[] memory roots = _roots(3, 1);
        bytes32 expectedDataHash = _commitment(data);
        bytes32 expectedRootsHash = keccak256(bytes.concat(roots[0], roots[1], roots[2]));

        vm.warp(T0 + 123);
        vm.roll(B0 + 7);
        vm.expectEmit(address(inbox));
        emit BatchPosted(0, BATCHER, expectedDataHash, expectedRootsHash, roots[2], 10, 3, 0);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 10, 0, bytes32(0), data, roots);

        assertEq(inbox.batchCount(), 1, "batchCount");
        BatchInbox.Batch memory b = inbox.getBatch(0);
        assertEq(b.dataHash, expectedDataHash, "dataHash");
        assertEq(b.chunkRootsHash, expectedRootsHash, "chunkRootsHash");
        assertEq(b.stateRoot, roots[2], "stateRoot is the last chunk root");
        assertEq(b.poster, BATCHER, "poster");
        assertEq(b.l1Block, B0 + 7, "l1Block");
        assertEq(b.postedAt, T0 + 123, "postedAt");
        assertEq(b.lastL2Block, 10, "lastL2Block");
        assertEq(b.chunkCount, 3, "chunkCount");

        assertEq(inbox.lastStateRoot(), roots[2], "lastStateRoot");
        assertEq(inbox.lastL2Block(), 10, "lastL2Block");
        assertEq(address(inbox).balance, BOND, "the inbox holds the stake alone");
        assertEq(BATCHER.balance, 100 ether, "a post carries no ether");
    }

    // ---------------------------------------------------------------------------------------
    // Blob posts and blob proofs
    // ---------------------------------------------------------------------------------------

    string constant BLOB_FILE = "../testdata/blob-cells.json";
    /// @dev The "flipped" case of the blob vectors: 5,000 bytes of the data rule, bytes 1,500
    ///      and 2,100 flipped in the blob; cells 0, 1, 2.
    uint256 constant FLIPPED = 3;
    /// @dev The "small" case: the same 5,000 bytes, none flipped.
    uint256 constant SMALL = 1;
    address constant PROVER = address(0x9807E5);
    bytes32 constant FRAUD_PROVEN = keccak256("FraudProven(uint256,address,uint8,uint256,uint256,uint256)");

    /// @dev The blob vectors' data rule: byte `i` is `(i * 131 + 7) mod 256`.
    function _ruleData(uint256 length) internal pure returns (bytes memory d) {
        d = new bytes(length);
        for (uint256 i; i < length; i++) {
            d[i] = bytes1(uint8((i * 131 + 7) % 256));
        }
    }

    /// @dev keccak256 of each 1,024-byte segment of `data`.
    function _segmentHashes(bytes memory data) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[]((data.length + 1023) / 1024);
        for (uint256 s; s < hashes.length; s++) {
            uint256 start = s * 1024;
            uint256 end = start + 1024 > data.length ? data.length : start + 1024;
            bytes memory segment = new bytes(end - start);
            for (uint256 i; i < segment.length; i++) {
                segment[i] = data[start + i];
            }
            hashes[s] = keccak256(segment);
        }
    }

    /// @dev What a blob post carries of chunk roots `roots` (which its blob holds): their hash...
    function _hashOf(bytes32[] memory roots) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(roots));
    }

    /// @dev ... and the batch's state root, the last of them (`prev` for none).
    function _lastOf(bytes32[] memory roots, bytes32 prev) internal pure returns (bytes32) {
        return roots.length == 0 ? prev : roots[roots.length - 1];
    }

    function _one(bytes32 h) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = h;
    }

    /// @dev Case `c` of the blob vectors: its versioned hash and commitment, and its cells
    ///      `first … last` (the file holds cells 0, 1, 2 of the 5,000-byte cases, in order).
    function _blob(uint256 c, uint256 first, uint256 last)
        internal
        view
        returns (bytes32 versionedHash, bytes memory commitment, BlobVerifier.Cell[] memory cells)
    {
        (versionedHash, commitment, cells) = _blobListed(c, first, last);
        for (uint256 k = first; k <= last; k++) {
            assertEq(cells[k - first].index, k, "the file's cells are 0, 1, 2");
        }
    }

    /// @dev Case `c` of the blob vectors: its versioned hash and commitment, and the cells it
    ///      lists at positions `first … last` (whatever their indices).
    function _blobListed(uint256 c, uint256 first, uint256 last)
        internal
        view
        returns (bytes32 versionedHash, bytes memory commitment, BlobVerifier.Cell[] memory cells)
    {
        string memory json = vm.readFile(BLOB_FILE);
        string memory at = string.concat(".cases[", vm.toString(c), "]");
        versionedHash = vm.parseJsonBytes32(json, string.concat(at, ".versionedHash"));
        commitment = vm.parseJsonBytes(json, string.concat(at, ".commitment"));
        cells = new BlobVerifier.Cell[](last - first + 1);
        for (uint256 k = first; k <= last; k++) {
            string memory cell = string.concat(at, ".cells[", vm.toString(k), "]");
            cells[k - first] = BlobVerifier.Cell(
                vm.parseJsonUint(json, string.concat(cell, ".index")),
                vm.parseJsonBytes(json, string.concat(cell, ".values")),
                vm.parseJsonBytes(json, string.concat(cell, ".proof"))
            );
        }
    }

    /// @dev Posts the next batch as a blob batch: `length` bytes whose segments hash to
    ///      `hashes`, in the blob whose versioned hash is `blobHash`.
    function _postBlobNext(uint64 lastBlock, bytes32 blobHash, uint256 length, bytes32[] memory hashes) internal {
        uint256 index = inbox.batchCount();
        bytes32 prev = inbox.lastStateRoot();
        bytes32[] memory roots = _roots(1, index);
        vm.blobhashes(_one(blobHash));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(index, prev, lastBlock, 0, bytes32(0), length, hashes, 1, _hashOf(roots), roots[0]);
    }

    /// @dev Commits as `who` in the block after the post, and moves to the next block.
    function _commit(BatchInbox target, address who, bytes memory call) internal {
        vm.roll(block.number + 1);
        vm.prank(who);
        target.commitProof(target.proofCommitment(who, call));
        vm.roll(block.number + 1);
    }

    /// @dev Reveals a committed proof as `who`; returns the reveal's gas too.
    function _reveal(BatchInbox target, address who, bytes memory call)
        internal
        returns (bool ok, bytes memory ret, uint256 gas)
    {
        vm.prank(who);
        gas = gasleft();
        (ok, ret) = address(target).call(call);
        gas -= gasleft();
    }

    /// @dev Commits as `who`, moves to the next block, and reveals.
    function _prove(BatchInbox target, address who, bytes memory call)
        internal
        returns (bool ok, bytes memory ret, uint256 gas)
    {
        _commit(target, who, call);
        return _reveal(target, who, call);
    }

    /// A blob post records the same data commitment as a calldata post of the same data (from
    /// the length and the segment hashes it carries) and the versioned hash of its one blob.
    function test_postBatchBlobs_recordsTheDataCommitmentAndTheBlob() public {
        bytes memory data = _ruleData(3000);
        bytes32[] memory hashes = _segmentHashes(data);
        assertEq(hashes.length, 3, "three segments");
        bytes32 blobHash = bytes32(uint256(0x01) << 248 | 0xaa);
        vm.blobhashes(_one(blobHash));
        bytes32[] memory roots = _roots(2, 1);
        vm.expectEmit(address(inbox));
        emit BatchPosted(0, BATCHER, _commitment(data), keccak256(abi.encodePacked(roots)), roots[1], 10, 2, 0);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 3000, hashes, 2, _hashOf(roots), roots[1]);
        BatchInbox.Batch memory b = inbox.getBatch(0);
        assertEq(b.dataHash, _commitment(data), "dataHash: that of the data in calldata");
        assertEq(b.blobHash, blobHash, "blobHash");
        assertEq(b.stateRoot, roots[1], "stateRoot");
        assertEq(b.chunkCount, 2, "chunkCount");
        assertEq(inbox.lastL2Block(), 10, "lastL2Block");
        // A calldata batch has no blob.
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, roots[1], 11, 0, bytes32(0), data, roots);
        assertEq(inbox.getBatch(1).blobHash, bytes32(0), "no blob");
        assertEq(inbox.getBatch(1).dataHash, b.dataHash, "the same commitment");
    }

    /// @dev Posts batch 0 (on the genesis root, up to block 10) to `target` as a blob batch:
    ///      `length` bytes whose segments hash to `hashes`, and chunk roots `roots` in its blob.
    function _postFirstBlob(BatchInbox target, uint256 length, bytes32[] memory hashes, bytes32[] memory roots)
        internal
    {
        target.postBatchBlobs(
            0, GENESIS, 10, 0, bytes32(0), length, hashes, roots.length, _hashOf(roots), _lastOf(roots, GENESIS)
        );
    }

    /// Exactly one blob, as many segment hashes as the length has, 1 to `MAX_DATA_BYTES` bytes,
    /// and the checks of every post.
    function test_postBatchBlobs_needsOneBlobAndTheRightSegments() public {
        bytes32[] memory roots = _roots(1, 1);
        bytes32[] memory three = _segmentHashes(_ruleData(3000));
        vm.startPrank(BATCHER, BATCHER);
        vm.blobhashes(new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobCount.selector, 1));
        _postFirstBlob(inbox, 3000, three, roots);
        bytes32[] memory two = new bytes32[](2);
        two[0] = bytes32(uint256(0x01) << 248 | 0xaa);
        two[1] = bytes32(uint256(0x01) << 248 | 0xbb);
        vm.blobhashes(two);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobCount.selector, 1));
        _postFirstBlob(inbox, 3000, three, roots);
        vm.blobhashes(_one(two[0]));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.SegmentCountMismatch.selector, 3, 2));
        _postFirstBlob(inbox, 3000, two, roots);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.SegmentCountMismatch.selector, 2, 3));
        _postFirstBlob(inbox, 2048, three, roots);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.EmptyBatchData.selector));
        _postFirstBlob(inbox, 0, new bytes32[](0), roots);
        uint256 max = inbox.MAX_DATA_BYTES();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.DataTooLarge.selector, max + 1, max));
        _postFirstBlob(inbox, max + 1, new bytes32[](118), roots);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.TooManyChunks.selector, 321, 320));
        _postFirstBlob(inbox, 3000, three, _roots(321, 1));
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, address(this)));
        _postFirstBlob(inbox, 3000, three, roots);
        BatchInbox unstaked =
            new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.prank(BATCHER, BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        _postFirstBlob(unstaked, 3000, three, roots);
        // At the bound: 120,000 bytes in 118 segments.
        vm.prank(BATCHER, BATCHER);
        _postFirstBlob(inbox, max, new bytes32[](118), roots);
        assertEq(inbox.batchCount(), 1, "posted at the bound");
    }

    /// @dev Batch `index` of a `postBatchesBlobs`: `length` bytes whose segments hash to
    ///      `hashes`, built on `prev`, ending at `lastBlock`, with one chunk (root `_roots(1,
    ///      index)[0]`, its state root).
    function _blobBatch(uint256 index, bytes32 prev, uint64 lastBlock, uint256 length, bytes32[] memory hashes)
        internal
        pure
        returns (BatchInbox.BlobBatch memory)
    {
        return BatchInbox.BlobBatch({
            index: index,
            prevStateRoot: prev,
            lastBlock: lastBlock,
            queueEnd: 0,
            queueAccumulator: bytes32(0),
            length: length,
            segmentHashes: hashes,
            chunkCount: 1,
            chunkRootsHash: _hashOf(_roots(1, index)),
            stateRoot: _roots(1, index)[0]
        });
    }

    /// One transaction posts three consecutive blob batches, batch `i` in blob `i`: each is
    /// recorded as `postBatchBlobs` would record it, with its own blob's versioned hash.
    function test_postBatchesBlobs_recordsEachBatchWithItsBlob() public {
        bytes memory data = _ruleData(3000);
        bytes32[] memory hashes = _segmentHashes(data);
        bytes32[] memory blobs = new bytes32[](3);
        BatchInbox.BlobBatch[] memory batches = new BatchInbox.BlobBatch[](3);
        bytes32 prev = GENESIS;
        for (uint256 i; i < 3; i++) {
            blobs[i] = bytes32(uint256(0x01) << 248 | (0xa0 + i));
            batches[i] = _blobBatch(i, prev, uint64(10 * (i + 1)), 3000 - i, _segmentHashes(_ruleData(3000 - i)));
            prev = batches[i].stateRoot;
        }
        vm.blobhashes(blobs);
        for (uint256 i; i < 3; i++) {
            vm.expectEmit(address(inbox));
            bytes32 root = batches[i].stateRoot;
            emit BatchPosted(
                i,
                BATCHER,
                _commitment(_ruleData(3000 - i)),
                keccak256(abi.encodePacked(_roots(1, i))),
                root,
                uint64(10 * (i + 1)),
                1,
                0
            );
        }
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchesBlobs(batches);
        assertEq(inbox.batchCount(), 3, "three batches");
        for (uint256 i; i < 3; i++) {
            BatchInbox.Batch memory b = inbox.getBatch(i);
            assertEq(b.blobHash, blobs[i], "batch i's blob is blob i");
            assertEq(b.dataHash, _commitment(_ruleData(3000 - i)), "the commitment of the data in calldata");
        }
        assertEq(inbox.lastL2Block(), 30, "lastL2Block");
        assertEq(inbox.lastStateRoot(), prev, "the last batch's root");
        // A single-blob post follows as usual.
        vm.blobhashes(_one(blobs[0]));
        vm.prank(BATCHER, BATCHER);
        bytes32[] memory roots = _roots(1, 3);
        inbox.postBatchBlobs(3, prev, 40, 0, bytes32(0), 3000, hashes, 1, _hashOf(roots), roots[0]);
        assertEq(inbox.batchCount(), 4, "and a fourth");
    }

    /// As many blobs as batches, none missing; each batch passes the checks of a single post
    /// (its index, the root it builds on, its blocks, its segments), or nothing is recorded.
    function test_postBatchesBlobs_refusals() public {
        bytes32[] memory hashes = _segmentHashes(_ruleData(3000));
        BatchInbox.BlobBatch[] memory two = new BatchInbox.BlobBatch[](2);
        two[0] = _blobBatch(0, GENESIS, 10, 3000, hashes);
        two[1] = _blobBatch(1, two[0].stateRoot, 20, 3000, hashes);
        bytes32[] memory blobs = new bytes32[](3);
        blobs[0] = bytes32(uint256(0x01) << 248 | 0xaa);
        blobs[1] = bytes32(uint256(0x01) << 248 | 0xbb);
        blobs[2] = bytes32(uint256(0x01) << 248 | 0xcc);
        vm.startPrank(BATCHER, BATCHER);
        // No batch; fewer blobs than batches; more.
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobCount.selector, 0));
        inbox.postBatchesBlobs(new BatchInbox.BlobBatch[](0));
        vm.blobhashes(_one(blobs[0]));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobCount.selector, 2));
        inbox.postBatchesBlobs(two);
        vm.blobhashes(blobs);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobCount.selector, 2));
        inbox.postBatchesBlobs(two);
        bytes32[] memory pair = new bytes32[](2);
        (pair[0], pair[1]) = (blobs[0], blobs[1]);
        vm.blobhashes(pair);
        // The second batch out of order, on another root, not advancing, with a segment missing.
        BatchInbox.BlobBatch[] memory bad = new BatchInbox.BlobBatch[](2);
        bad[0] = two[0];
        bad[1] = _blobBatch(2, two[0].stateRoot, 20, 3000, hashes);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 1, 2));
        inbox.postBatchesBlobs(bad);
        bad[1] = _blobBatch(1, GENESIS, 20, 3000, hashes);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, two[0].stateRoot, GENESIS));
        inbox.postBatchesBlobs(bad);
        bad[1] = _blobBatch(1, two[0].stateRoot, 10, 3000, hashes);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 10, 10));
        inbox.postBatchesBlobs(bad);
        bad[1] = _blobBatch(1, two[0].stateRoot, 20, 3000, _segmentHashes(_ruleData(2000)));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.SegmentCountMismatch.selector, 3, 2));
        inbox.postBatchesBlobs(bad);
        vm.stopPrank();
        assertEq(inbox.batchCount(), 0, "nothing recorded");
        // Only the batcher, only from an account without code.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, address(this)));
        inbox.postBatchesBlobs(two);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchesBlobs(two);
        assertEq(inbox.batchCount(), 2, "the two batches");
    }

    /// A blob that does not hold its batch's data is proven from that batch's own blob when the
    /// batch came second in a multi-blob post; the first batch of the post stands.
    function test_proveBlobFraud_ofTheSecondBlobOfAPost() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _blob(FLIPPED, 0, 1);
        bytes32[] memory hashes = _segmentHashes(_ruleData(5000));
        BatchInbox.BlobBatch[] memory batches = new BatchInbox.BlobBatch[](2);
        batches[0] = _blobBatch(0, GENESIS, 10, 5000, hashes);
        batches[1] = _blobBatch(1, batches[0].stateRoot, 20, 5000, hashes);
        bytes32[] memory blobs = new bytes32[](2);
        (blobs[0], blobs[1]) = (bytes32(uint256(0x01) << 248 | 0xaa), blobHash);
        vm.blobhashes(blobs);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchesBlobs(batches);
        assertEq(inbox.getBatch(1).blobHash, blobHash, "the second batch's blob");
        // Proving batch 0 with the second blob's commitment fails: it names another blob.
        bytes memory wrong = abi.encodeCall(BatchInbox.proveBlobFraud, (0, 5000, hashes, 1, commitment, cells));
        (bool ok,,) = _prove(inbox, PROVER, wrong);
        assertFalse(ok, "the first batch's blob is not the second's");
        bytes memory call = abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 1, commitment, cells));
        _commit(inbox, PROVER, call);
        vm.expectEmit(address(inbox));
        emit BatchInbox.FraudProven(1, PROVER, BatchInbox.Fault.BlobDataMismatch, 1, 0, 0);
        bytes memory ret;
        (ok, ret,) = _reveal(inbox, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        assertEq(inbox.batchCount(), 1, "the second batch rolled back, the first stands");
    }

    /// The batcher posted the segment hashes of the rule's 5,000 bytes but a blob with bytes
    /// 1,500 and 2,100 flipped: segment 1 (bytes 1,024 … 2,047, in cells 0 and 1) read from the
    /// blob proves it, rolls the batch and the later ones back and pays the prover; so does
    /// segment 2 (in cell 1 alone).
    function test_proveBlobFraud_provesABlobThatIsNotTheCommittedData() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _blob(FLIPPED, 0, 1);
        bytes32[] memory hashes = _segmentHashes(_ruleData(5000));
        _postNext(5, hex"01", _roots(1, 9));
        _postBlobNext(10, blobHash, 5000, hashes);
        _postNext(15, hex"03", _roots(1, 10));
        assertEq(inbox.getBatch(1).blobHash, blobHash, "the blob batch");

        bytes memory call = abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 1, commitment, cells));
        uint256 before = PROVER.balance;
        _commit(inbox, PROVER, call);
        vm.expectEmit(address(inbox));
        emit BatchInbox.FraudProven(1, PROVER, BatchInbox.Fault.BlobDataMismatch, 1, 0, 0);
        (bool ok, bytes memory ret, uint256 gas) = _reveal(inbox, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        emit log_named_uint("proveBlobFraud gas, 2 cells", gas);
        vm.warp(inbox.getBatch(0).postedAt + WINDOW);
        inbox.claimReward(0);
        assertEq(PROVER.balance - before, BOND / 2, "half the slashed stake, once batch 0 is final");
        vm.warp(T0);
        assertEq(inbox.staked(), 0, "the stake slashed");
        assertEq(inbox.batchCount(), 1, "the blob batch and the one after it rolled back");

        // Segment 2, in cell 1 alone, of the same batch posted again.
        vm.prank(BATCHER, BATCHER);
        inbox.stake{value: BOND}();
        _postBlobNext(10, blobHash, 5000, hashes);
        (,, BlobVerifier.Cell[] memory cell1) = _blob(FLIPPED, 1, 1);
        call = abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 2, commitment, cell1));
        _commit(inbox, PROVER, call);
        vm.expectEmit(address(inbox));
        emit BatchInbox.FraudProven(1, PROVER, BatchInbox.Fault.BlobDataMismatch, 2, 0, 1);
        (ok, ret, gas) = _reveal(inbox, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        emit log_named_uint("proveBlobFraud gas, 1 cell", gas);
        assertEq(inbox.batchCount(), 1, "rolled back again");
    }

    /// The segments of the flipped blob that hold no flipped byte are the committed ones: no
    /// fraud; nor is any segment of the honest blob.
    function test_proveBlobFraud_anHonestSegmentIsNoFraud() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _blob(FLIPPED, 0, 2);
        bytes32[] memory hashes = _segmentHashes(_ruleData(5000));
        _postBlobNext(10, blobHash, 5000, hashes);
        BlobVerifier.Cell[] memory cell0 = new BlobVerifier.Cell[](1);
        cell0[0] = cells[0];
        BlobVerifier.Cell[] memory cells12 = new BlobVerifier.Cell[](2);
        (cells12[0], cells12[1]) = (cells[1], cells[2]);
        BlobVerifier.Cell[] memory cell2 = new BlobVerifier.Cell[](1);
        cell2[0] = cells[2];
        _expectNoFraud(abi.encodeCall(BatchInbox.proveBlobFraud, (0, 5000, hashes, 0, commitment, cell0)));
        _expectNoFraud(abi.encodeCall(BatchInbox.proveBlobFraud, (0, 5000, hashes, 3, commitment, cells12)));
        _expectNoFraud(abi.encodeCall(BatchInbox.proveBlobFraud, (0, 5000, hashes, 4, commitment, cell2)));

        (bytes32 honestHash, bytes memory honestCommitment, BlobVerifier.Cell[] memory honest) = _blob(SMALL, 0, 2);
        _postBlobNext(20, honestHash, 5000, hashes);
        BlobVerifier.Cell[] memory pair = new BlobVerifier.Cell[](2);
        (pair[0], pair[1]) = (honest[0], honest[1]);
        _expectNoFraud(abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 1, honestCommitment, pair)));
        BlobVerifier.Cell[] memory one = new BlobVerifier.Cell[](1);
        one[0] = honest[1];
        _expectNoFraud(abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 2, honestCommitment, one)));
        assertEq(inbox.batchCount(), 2, "nothing rolled back");
    }

    function _expectNoFraud(bytes memory call) internal {
        (bool ok, bytes memory ret,) = _prove(inbox, PROVER, call);
        assertFalse(ok, "no fraud");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(BatchInbox.NoFraud.selector)), "NoFraud");
    }

    /// What a blob proof must get right before the blob is read: a blob batch in its window, its
    /// length and segment hashes, a segment it has; then the blob verifier's own checks.
    function test_proveBlobFraud_refusals() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _blob(FLIPPED, 0, 1);
        bytes32[] memory hashes = _segmentHashes(_ruleData(5000));
        _postNext(5, hex"01", _roots(1, 9));
        _postBlobNext(10, blobHash, 5000, hashes);
        // A calldata batch.
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (0, 1, _segmentHashes(hex"01"), 0, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.NotABlobBatch.selector, 0)
        );
        // Another length, other hashes, hashes missing.
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 4999, hashes, 1, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.DataMismatch.selector, 1)
        );
        bytes32[] memory other = _segmentHashes(_ruleData(5000));
        other[4] = bytes32(0);
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, other, 1, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.DataMismatch.selector, 1)
        );
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, new bytes32[](0), 0, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.DataMismatch.selector, 1)
        );
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 5, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.NoSuchSegment.selector, 5, 5)
        );
        // The verifier's checks: the cells of another segment, another blob's commitment.
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 0, commitment, cells)),
            abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 0)
        );
        (bytes32 smallHash, bytes memory smallCommitment,) = _blob(SMALL, 0, 0);
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 1, smallCommitment, cells)),
            abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, blobHash, smallHash)
        );
        // Past its window.
        vm.warp(block.timestamp + WINDOW);
        _expectRevert(
            abi.encodeCall(BatchInbox.proveBlobFraud, (1, 5000, hashes, 1, commitment, cells)),
            abi.encodeWithSelector(BatchInbox.BatchFinalized.selector, 1)
        );
        assertEq(inbox.batchCount(), 2, "nothing rolled back");
    }

    function _expectRevert(bytes memory call, bytes memory reason) internal {
        (bool ok, bytes memory ret,) = _prove(inbox, PROVER, call);
        assertFalse(ok, "refused");
        assertEq(keccak256(ret), keccak256(reason), string.concat("reason: ", vm.toString(ret)));
    }

    // ---------------------------------------------------------------------------------------
    // Chunk roots at the end of the blob (docs/fraud-proofs.md §8.8)
    // ---------------------------------------------------------------------------------------

    /// @dev The index of the blob vectors' case named `name`.
    function _caseNamed(string memory name) internal view returns (uint256 c) {
        string memory json = vm.readFile(BLOB_FILE);
        for (; vm.keyExistsJson(json, string.concat(".cases[", vm.toString(c), "]")); c++) {
            string memory got = vm.parseJsonString(json, string.concat(".cases[", vm.toString(c), "].name"));
            if (keccak256(bytes(got)) == keccak256(bytes(name))) return c;
        }
        fail(string.concat("no blob case ", name));
    }

    /// @dev The vectors' chunk roots: root `i` is the keccak256 of `i` as a word.
    function _vectorRoots(uint256 n) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](n);
        for (uint256 i; i < n; i++) {
            roots[i] = keccak256(abi.encode(i));
        }
    }

    /// @dev The "roots" case: 5,000 bytes of the rule's data and 3 roots at the end of the blob,
    ///      in its last cell (63, the fourth the file lists).
    function _rootsCase()
        internal
        view
        returns (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells)
    {
        (blobHash, commitment, cells) = _blobListed(_caseNamed("roots"), 3, 3);
        assertEq(cells[0].index, 63, "the roots' cell");
    }

    /// @dev Posts the next batch, 10 L2 blocks on, as a blob batch in the blob `blobHash`:
    ///      `length` bytes of the rule's data, with the chunk count, roots hash and state root
    ///      given.
    function _postRootsNext(bytes32 blobHash, uint256 length, uint256 count, bytes32 rootsHash, bytes32 stateRoot)
        internal
    {
        bytes32[] memory hashes = _segmentHashes(_ruleData(length));
        uint256 index = inbox.batchCount();
        bytes32 prev = inbox.lastStateRoot();
        uint64 lastBlock = inbox.lastL2Block() + 10;
        vm.blobhashes(_one(blobHash));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(index, prev, lastBlock, 0, bytes32(0), length, hashes, count, rootsHash, stateRoot);
    }

    function _rootsCall(uint256 index, bytes memory commitment, BlobVerifier.Cell[] memory cells)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(BatchInbox.proveBlobRootsFraud, (index, commitment, cells));
    }

    /// @dev Proves `call` as `PROVER` (committed, then revealed): batch `index` and the later
    ///      ones are rolled back for `BlobRootsMismatch`, claim `claim`. Returns the reveal's gas.
    function _expectRootsFraud(uint256 index, uint256 claim, bytes memory call) internal returns (uint256 gas) {
        _commit(inbox, PROVER, call);
        vm.expectEmit(address(inbox));
        emit BatchInbox.FraudProven(index, PROVER, BatchInbox.Fault.BlobRootsMismatch, 0, 0, claim);
        bool ok;
        bytes memory ret;
        (ok, ret, gas) = _reveal(inbox, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        assertEq(inbox.batchCount(), index, "the batch and the later ones rolled back");
    }

    /// A blob batch's roots fit after its data in its blob (218 after 120,000 bytes, not 219),
    /// are at most `MAX_BATCH_CHUNKS` (checked first), and a batch of no chunks carries the hash
    /// of no roots and the root it builds on: it is then recorded as a calldata post of no roots
    /// is.
    function test_postBatchBlobs_rootsFitTheBlob() public {
        bytes32[] memory full = new bytes32[](118);
        bytes32[] memory roots = _vectorRoots(219);
        bytes32 hash219 = _hashOf(roots);
        bytes32 empty = keccak256("");
        vm.blobhashes(_one(bytes32(uint256(0x01) << 248 | 0xaa)));
        vm.startPrank(BATCHER, BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobOverfull.selector, 120_000, 219));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 120_000, full, 219, hash219, roots[218]);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.TooManyChunks.selector, 321, 320));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 120_000, full, 321, hash219, roots[218]);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.TooManyChunks.selector, 321, 320));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 1, _one(bytes32(0)), 321, hash219, roots[218]);
        // No chunks: the hash of no roots and the previous state root, nothing else.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.RootsOfNoChunks.selector, hash219, GENESIS));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 120_000, full, 0, hash219, GENESIS);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.RootsOfNoChunks.selector, empty, roots[0]));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 120_000, full, 0, empty, roots[0]);
        // 218 roots after 120,000 bytes fill the blob exactly; 320 after 116,736.
        assembly {
            mstore(roots, 218)
        }
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 120_000, full, 218, _hashOf(roots), roots[217]);
        assertEq(inbox.getBatch(0).chunkCount, 218, "218 roots");
        bytes32[] memory many = _vectorRoots(320);
        inbox.postBatchBlobs(
            1, roots[217], 20, 0, bytes32(0), 116_736, new bytes32[](114), 320, _hashOf(many), many[319]
        );
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BlobOverfull.selector, 116_737, 320));
        inbox.postBatchBlobs(
            2, many[319], 30, 0, bytes32(0), 116_737, new bytes32[](115), 320, _hashOf(many), many[319]
        );
        vm.expectEmit(address(inbox));
        emit BatchPosted(2, BATCHER, _commitment(hex"01"), empty, many[319], 30, 0, 0);
        inbox.postBatchBlobs(2, many[319], 30, 0, bytes32(0), 1, _segmentHashes(hex"01"), 0, empty, many[319]);
        // The same batch in calldata, no roots: the same record.
        inbox.postBatch(3, many[319], 40, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.stopPrank();
        BatchInbox.Batch memory blob = inbox.getBatch(2);
        BatchInbox.Batch memory data = inbox.getBatch(3);
        assertEq(blob.chunkCount, 0, "no chunks");
        assertEq(blob.chunkRootsHash, data.chunkRootsHash, "the hash of no roots, as in calldata");
        assertEq(blob.stateRoot, data.stateRoot, "the state root unchanged, as in calldata");
        assertEq(blob.stateRoot, many[319], "the previous batch's");
    }

    /// An honest post of the "roots" case (its 3 roots' count and hash, the last as its state
    /// root) is no fraud; nor is a post of 2 chunks whose roots are the blob's last two; nor a
    /// batch of no chunks (its blob holds no roots).
    function test_proveBlobRootsFraud_anHonestBlobIsNoFraud() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _rootsCase();
        bytes32[] memory roots = _vectorRoots(3);
        _postRootsNext(blobHash, 5000, 3, _hashOf(roots), roots[2]);
        (bool ok, bytes memory ret, uint256 gas) = _prove(inbox, PROVER, _rootsCall(0, commitment, cells));
        assertFalse(ok, "no fraud");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(BatchInbox.NoFraud.selector)), "NoFraud");
        emit log_named_uint("proveBlobRootsFraud gas, 3 roots (1 cell), no fraud", gas);
        bytes32[] memory lastTwo = new bytes32[](2);
        (lastTwo[0], lastTwo[1]) = (roots[1], roots[2]);
        _postRootsNext(blobHash, 5000, 2, _hashOf(lastTwo), roots[2]);
        _expectNoFraud(_rootsCall(1, commitment, cells));
        _postRootsNext(blobHash, 5000, 0, keccak256(""), roots[2]);
        _expectNoFraud(_rootsCall(2, commitment, cells));
        assertEq(inbox.batchCount(), 3, "nothing rolled back");
    }

    /// The blob's roots do not hash to the posted hash, or their last is not the posted state
    /// root, or the batch claims another count than the blob's (2 roots hashing as the blob's
    /// first two, where its last two are roots 1 and 2): each rolls the batch and the later
    /// ones back with `BlobRootsMismatch`.
    function test_proveBlobRootsFraud_provesABlobWithoutThePostedRoots() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _rootsCase();
        bytes32[] memory roots = _vectorRoots(3);
        bytes memory call = _rootsCall(1, commitment, cells);
        _postNext(5, hex"01", _roots(1, 9));
        _postRootsNext(blobHash, 5000, 3, keccak256("other roots"), roots[2]);
        _postNext(30, hex"03", _roots(1, 10));
        uint256 gas = _expectRootsFraud(1, 0, call);
        emit log_named_uint("proveBlobRootsFraud gas, 3 roots (1 cell), proven", gas);
        assertEq(inbox.staked(), 0, "the stake slashed");

        vm.prank(BATCHER, BATCHER);
        inbox.stake{value: BOND}();
        _postRootsNext(blobHash, 5000, 3, _hashOf(roots), roots[1]);
        _expectRootsFraud(1, 1, call);

        vm.prank(BATCHER, BATCHER);
        inbox.stake{value: BOND}();
        bytes32[] memory firstTwo = new bytes32[](2);
        (firstTwo[0], firstTwo[1]) = (roots[0], roots[1]);
        _postRootsNext(blobHash, 5000, 2, _hashOf(firstTwo), roots[1]);
        _expectRootsFraud(1, 2, call);
        assertEq(inbox.lastStateRoot(), _roots(1, 9)[0], "back to batch 0's root");
    }

    /// 218 roots after 120,000 bytes lie in the blob's last four cells (60 … 63, the first of
    /// them shared with the data): an honest post is no fraud, a wrong state root is proven,
    /// both far under the 15,000,000-gas bound of a proof.
    function test_proveBlobRootsFraud_ofAFullBlob() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) =
            _blobListed(_caseNamed("full-roots"), 0, 3);
        assertEq(cells[0].index, 60, "the roots start in cell 60");
        assertEq(cells[3].index, 63, "and end in cell 63");
        bytes32[] memory roots = _vectorRoots(218);
        _postRootsNext(blobHash, 120_000, 218, _hashOf(roots), roots[217]);
        (bool ok, bytes memory ret, uint256 gas) = _prove(inbox, PROVER, _rootsCall(0, commitment, cells));
        assertFalse(ok, "no fraud");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(BatchInbox.NoFraud.selector)), "NoFraud");
        emit log_named_uint("proveBlobRootsFraud gas, 218 roots (4 cells), no fraud", gas);
        assertLt(gas, 3_000_000, "218 roots");
        _postRootsNext(blobHash, 120_000, 218, _hashOf(roots), roots[216]);
        gas = _expectRootsFraud(1, 0, _rootsCall(1, commitment, cells));
        emit log_named_uint("proveBlobRootsFraud gas, 218 roots (4 cells), proven", gas);
        assertLt(gas, 3_000_000, "218 roots, proven");
    }

    /// The roots of the second batch of a `postBatchesBlobs` are read from its own blob: that
    /// batch is rolled back, the first stands (and is not proven with the second's blob).
    function test_proveBlobRootsFraud_ofTheSecondBlobOfAPost() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _rootsCase();
        bytes32[] memory roots = _vectorRoots(3);
        bytes32[] memory hashes = _segmentHashes(_ruleData(5000));
        BatchInbox.BlobBatch[] memory batches = new BatchInbox.BlobBatch[](2);
        batches[0] = _blobBatch(0, GENESIS, 10, 5000, hashes);
        batches[1] = BatchInbox.BlobBatch({
            index: 1,
            prevStateRoot: batches[0].stateRoot,
            lastBlock: 20,
            queueEnd: 0,
            queueAccumulator: bytes32(0),
            length: 5000,
            segmentHashes: hashes,
            chunkCount: 3,
            chunkRootsHash: keccak256("other roots"),
            stateRoot: roots[2]
        });
        bytes32 other = bytes32(uint256(0x01) << 248 | 0xaa);
        bytes32[] memory blobs = new bytes32[](2);
        (blobs[0], blobs[1]) = (other, blobHash);
        vm.blobhashes(blobs);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchesBlobs(batches);
        _expectRevert(
            _rootsCall(0, commitment, cells),
            abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, other, blobHash)
        );
        _expectRootsFraud(1, 0, _rootsCall(1, commitment, cells));
        assertEq(inbox.getBatch(0).blobHash, other, "the first batch stands");
    }

    /// What a roots proof must get right: a blob batch, known and in its window, and the cells
    /// that hold its roots, opened against its blob's commitment (the verifier's checks); none of
    /// these reaches a verdict.
    function test_proveBlobRootsFraud_refusals() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _rootsCase();
        _postNext(5, hex"01", _roots(1, 9));
        _postRootsNext(blobHash, 5000, 3, keccak256("other roots"), bytes32(uint256(1)));
        _expectRevert(_rootsCall(0, commitment, cells), abi.encodeWithSelector(BatchInbox.NotABlobBatch.selector, 0));
        _expectRevert(_rootsCall(2, commitment, cells), abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 2));
        // Another cell than the roots' (63); cell 63 carrying another cell's values.
        (,, BlobVerifier.Cell[] memory first) = _blobListed(_caseNamed("roots"), 0, 0);
        _expectRevert(
            _rootsCall(1, commitment, first), abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 63, 63)
        );
        BlobVerifier.Cell[] memory forged = new BlobVerifier.Cell[](1);
        forged[0] = BlobVerifier.Cell(63, first[0].values, cells[0].proof);
        _expectRevert(
            _rootsCall(1, commitment, forged), abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 63)
        );
        // Another blob's commitment.
        (bytes32 smallHash, bytes memory smallCommitment,) = _blob(SMALL, 0, 0);
        _expectRevert(
            _rootsCall(1, smallCommitment, cells),
            abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, blobHash, smallHash)
        );
        // Past its window.
        vm.warp(block.timestamp + WINDOW);
        _expectRevert(_rootsCall(1, commitment, cells), abi.encodeWithSelector(BatchInbox.BatchFinalized.selector, 1));
        assertEq(inbox.batchCount(), 2, "nothing rolled back");
    }

    /// A roots proof is committed to first, as every proof: revealed without a commitment, with
    /// another account's, or in the block of its commitment, it is refused; committed by its
    /// sender in an earlier block, it proves.
    function test_proveBlobRootsFraud_needsItsCommitment() public {
        (bytes32 blobHash, bytes memory commitment, BlobVerifier.Cell[] memory cells) = _rootsCase();
        _postRootsNext(blobHash, 5000, 3, keccak256("other roots"), bytes32(uint256(1)));
        bytes memory call = _rootsCall(0, commitment, cells);
        bytes memory notCommitted =
            abi.encodeWithSelector(BatchInbox.ProofNotCommitted.selector, inbox.proofCommitment(PROVER, call));
        vm.roll(block.number + 1);
        (bool ok, bytes memory ret,) = _reveal(inbox, PROVER, call);
        assertFalse(ok, "not committed");
        assertEq(ret, notCommitted, "ProofNotCommitted");
        _commit(inbox, ALICE, call);
        (ok, ret,) = _reveal(inbox, PROVER, call);
        assertFalse(ok, "committed by another");
        assertEq(ret, notCommitted, "ProofNotCommitted: another's commitment");
        vm.prank(PROVER);
        inbox.commitProof(inbox.proofCommitment(PROVER, call));
        (ok, ret,) = _reveal(inbox, PROVER, call);
        assertFalse(ok, "committed in this block");
        assertEq(ret, notCommitted, "ProofNotCommitted: this block");
        vm.roll(block.number + 1);
        (ok, ret,) = _reveal(inbox, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        assertEq(inbox.batchCount(), 0, "proven");
    }

    /// @dev An inbox of the test's parameters with a real verifier (its decoder and logic
    ///      deployed first, as `rollup deploy` does).
    function _inboxWithVerifier() internal returns (BatchInbox) {
        return new BatchInbox(
            BATCHER,
            WINDOW,
            BOND,
            GENESIS,
            CHUNK_SIZE,
            CHAIN_ID,
            new ChunkVerifier(new BatchDecoder(), new ReplayLogic(address(new LendingReplay()))),
            FREEZE_DELAY
        );
    }

    /// Header and chunk proofs read a blob batch's data from its commitment, as a calldata
    /// batch's: a blob batch whose data has an undecodable header is proven so from the data in
    /// calldata.
    function test_proveHeaderFraud_ofABlobBatch() public {
        BatchInbox target = _inboxWithVerifier();
        target.stake{value: BOND}();
        bytes memory data = hex"ff";
        vm.blobhashes(_one(bytes32(uint256(0x01) << 248 | 0xaa)));
        vm.prank(BATCHER, BATCHER);
        bytes32[] memory roots = _roots(1, 1);
        target.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), 1, _segmentHashes(data), 1, _hashOf(roots), roots[0]);
        bytes memory call = abi.encodeCall(BatchInbox.proveHeaderFraud, (0, data));
        _commit(target, PROVER, call);
        vm.expectEmit(address(target));
        emit BatchInbox.FraudProven(0, PROVER, BatchInbox.Fault.UndecodableHeader, 0, 0, 0);
        (bool ok, bytes memory ret,) = _reveal(target, PROVER, call);
        assertTrue(ok, vm.toString(ret));
        assertEq(target.batchCount(), 0, "rolled back");
    }

    // ---------------------------------------------------------------------------------------
    // Rewards: whoever proves the earliest fraud is paid (docs/fraud-proofs.md §6.4, §7.4)
    // ---------------------------------------------------------------------------------------

    /// @dev An inbox with a real verifier, `stakes` stakes staked, and `n` batches posted in
    ///      consecutive L1 blocks: those in `frauds` carry an undecodable header (provable from the
    ///      header alone), the others one the tests never prove.
    function _rewardInbox(uint256 stakes, uint256 n, uint256[] memory frauds) internal returns (BatchInbox target) {
        target = _inboxWithVerifier();
        target.stake{value: stakes * BOND}();
        for (uint256 i; i < n; i++) {
            _postOn(target, i, _isIn(i, frauds) ? bytes(hex"ff") : bytes(hex"01"));
        }
    }

    function _postOn(BatchInbox target, uint256 index, bytes memory data) internal {
        vm.roll(block.number + 1);
        bytes32 prev = target.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        target.postBatch(index, prev, uint64(index * 10 + 10), 0, bytes32(0), data, _roots(1, index));
    }

    function _isIn(uint256 x, uint256[] memory xs) internal pure returns (bool) {
        for (uint256 i; i < xs.length; i++) {
            if (xs[i] == x) return true;
        }
        return false;
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](2);
        (xs[0], xs[1]) = (a, b);
    }

    /// @dev Proves batch `index`'s undecodable header as `who`; returns the claim's id.
    function _proveHeader(BatchInbox target, address who, uint256 index) internal returns (uint256 claim) {
        claim = target.claimCount();
        (bool ok, bytes memory ret,) =
            _prove(target, who, abi.encodeCall(BatchInbox.proveHeaderFraud, (index, hex"ff")));
        assertTrue(ok, vm.toString(ret));
    }

    function _state(BatchInbox target, uint256 claim) internal view returns (BatchInbox.ClaimState state) {
        (state,) = target.claimState(claim);
    }

    /// The trick of issue 53: the batcher posts a fraud (batch 1), then a later one (batch 3),
    /// and proves the later one itself first, which slashes the whole stake. The honest proof of
    /// batch 1 still earns a full reward: the batcher's claim is superseded (the batch before
    /// batch 3 was rolled back) and what its slash put in the pot pays the honest claim, once
    /// batch 0 is final.
    function test_theEarliestFraudsProverIsPaidWhenTheBatcherProvesALaterFraudFirst() public {
        BatchInbox target = _rewardInbox(1, 4, _two(1, 3));
        address batcherProver = address(0xBADB07);
        uint256 trick = _proveHeader(target, batcherProver, 3);
        assertEq(target.staked(), 0, "the whole stake slashed");
        assertEq(target.rewardPot(), BOND / 2, "half of it in the pot");
        uint256 honest = _proveHeader(target, PROVER, 1);
        assertEq(target.rewardPot(), BOND / 2, "nothing left to slash");
        assertEq(uint256(_state(target, trick)), uint256(BatchInbox.ClaimState.Superseded), "superseded");
        assertEq(uint256(_state(target, honest)), uint256(BatchInbox.ClaimState.Pending), "pending");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ClaimSuperseded.selector, trick));
        target.claimReward(trick);
        vm.warp(target.getBatch(0).postedAt + WINDOW);
        uint256 before = PROVER.balance;
        target.claimReward(honest);
        assertEq(PROVER.balance - before, BOND / 2, "a full reward");
        assertEq(batcherProver.balance, 0, "the batcher's own proof earned nothing");
        assertEq(target.rewardPot(), 0, "the pot paid out");
        assertEq(address(target).balance, BOND / 2, "the other half burned");
    }

    /// Two later frauds proven first (each proof of a later batch superseded by the next) and the
    /// honest proof of the earliest: still one full reward, from the first slash.
    function test_theEarliestFraudsProverIsPaidWhateverTheBatcherProvedBefore() public {
        uint256[] memory frauds = new uint256[](3);
        (frauds[0], frauds[1], frauds[2]) = (1, 3, 5);
        BatchInbox target = _rewardInbox(1, 6, frauds);
        address batcherProver = address(0xBADB07);
        uint256 first = _proveHeader(target, batcherProver, 5);
        uint256 second = _proveHeader(target, batcherProver, 3);
        uint256 honest = _proveHeader(target, PROVER, 1);
        assertEq(uint256(_state(target, first)), uint256(BatchInbox.ClaimState.Superseded), "first superseded");
        assertEq(uint256(_state(target, second)), uint256(BatchInbox.ClaimState.Superseded), "second superseded");
        vm.warp(target.getBatch(0).postedAt + WINDOW);
        assertEq(uint256(_state(target, honest)), uint256(BatchInbox.ClaimState.Due), "due");
        target.claimReward(honest);
        assertEq(PROVER.balance, BOND / 2, "a full reward");
    }

    /// Each proof of a fraud that stands earns its own reward: a batch posted again at the same
    /// index after a rollback and proven again is a second claim, backed by a second stake. A
    /// claim stands only while the batch before the one it proved does.
    function test_everyStandingClaimIsPaidAndAReorderedChainSupersedes() public {
        BatchInbox target = _rewardInbox(1, 3, _two(2, 2));
        uint256 a = _proveHeader(target, PROVER, 2);
        target.stake{value: BOND}();
        _postOn(target, 2, hex"ff");
        uint256 b = _proveHeader(target, address(0xB0B), 2);
        assertEq(target.rewardPot(), BOND, "two slashes, two halves");
        vm.warp(target.getBatch(1).postedAt + WINDOW);
        target.claimReward(a);
        target.claimReward(b);
        assertEq(PROVER.balance, BOND / 2, "the first");
        assertEq(address(0xB0B).balance, BOND / 2, "the second");
        assertEq(uint256(_state(target, a)), uint256(BatchInbox.ClaimState.Paid), "paid");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.RewardAlreadyPaid.selector, a));
        target.claimReward(a);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownClaim.selector, 9));
        target.claimReward(9);
    }

    /// A proof of batch 0 can be paid at once: no batch before it can be proven.
    function test_aProofOfTheFirstBatchIsPaidAtOnce() public {
        uint256[] memory frauds = new uint256[](1);
        BatchInbox target = _rewardInbox(1, 2, frauds);
        uint256 claim = _proveHeader(target, PROVER, 0);
        assertEq(uint256(_state(target, claim)), uint256(BatchInbox.ClaimState.Due), "due at once");
        target.claimReward(claim);
        assertEq(PROVER.balance, BOND / 2, "paid");
    }

    event log_named_uint(string key, uint256 val);

    function test_postBatch_withoutABridgeConsumesNothing() public {
        assertEq(address(inbox.bridge()), address(0), "no bridge");
        vm.deal(BATCHER, 2 * BOND);
        vm.startPrank(BATCHER, BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.QueueEndBeyondQueue.selector, 1, 0));
        inbox.postBatch(0, GENESIS, 3, 1, bytes32(0), hex"01", _roots(1, 1));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.QueueAccumulatorMismatch.selector, bytes32(0), GENESIS));
        inbox.postBatch(0, GENESIS, 3, 0, GENESIS, hex"01", _roots(1, 1));
        inbox.postBatch(0, GENESIS, 3, 0, bytes32(0), hex"01", _roots(1, 1));
        vm.stopPrank();
        assertEq(uint256(inbox.lastQueueEnd()), 0, "nothing consumed");
    }

    function test_postBatch_withoutChunksKeepsPrevRoot() public {
        bytes memory data = hex"00";
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 3, 0, bytes32(0), data, new bytes32[](0));
        BatchInbox.Batch memory b = inbox.getBatch(0);
        assertEq(b.stateRoot, GENESIS, "stateRoot = prevStateRoot");
        assertEq(b.chunkCount, 0, "chunkCount");
        assertEq(
            b.chunkRootsHash,
            0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470,
            "chunkRootsHash = keccak256 of nothing"
        );
        assertEq(b.dataHash, _commitment(hex"00"), "dataHash");
        assertEq(inbox.lastStateRoot(), GENESIS, "lastStateRoot unchanged");
        assertEq(inbox.lastL2Block(), 3, "lastL2Block advanced");

        // The next batch still builds on the genesis root.
        bytes32[] memory roots = _roots(1, 2);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, GENESIS, 4, 0, bytes32(0), hex"01", roots);
        assertEq(inbox.lastStateRoot(), roots[0], "single chunk root");
    }

    function test_postBatch_chainsBatches() public {
        bytes32[] memory r1 = _roots(2, 1);
        bytes32[] memory r2 = _roots(5, 2);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 10, 0, bytes32(0), hex"aa", r1);
        vm.warp(T0 + 60);
        vm.roll(B0 + 5);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, r1[1], 25, 0, bytes32(0), hex"bbbb", r2);

        assertEq(inbox.batchCount(), 2, "batchCount");
        assertEq(inbox.lastStateRoot(), r2[4], "lastStateRoot");
        assertEq(inbox.lastL2Block(), 25, "lastL2Block");
        BatchInbox.Batch memory b0 = inbox.getBatch(0);
        BatchInbox.Batch memory b1 = inbox.getBatch(1);
        assertEq(b0.stateRoot, r1[1], "batch 0 root");
        assertEq(b0.postedAt, T0, "batch 0 postedAt");
        assertEq(b0.l1Block, B0, "batch 0 l1Block");
        assertEq(b1.stateRoot, r2[4], "batch 1 root");
        assertEq(b1.chunkCount, 5, "batch 1 chunkCount");
        assertEq(b1.postedAt, T0 + 60, "batch 1 postedAt");
        assertEq(b1.l1Block, B0 + 5, "batch 1 l1Block");
        assertEq(b1.dataHash, _commitment(hex"bbbb"), "batch 1 dataHash");
        assertEq(address(inbox).balance, BOND, "one stake backs both");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 2));
        inbox.getBatch(2);
    }

    function testFuzz_postBatch_recordsHashes(bytes calldata data, bytes32[] calldata roots, uint64 lastBlock) public {
        vm.assume(data.length > 0 && lastBlock > 0);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, lastBlock, 0, bytes32(0), data, roots);
        BatchInbox.Batch memory b = inbox.getBatch(0);

        bytes memory packed;
        for (uint256 i; i < roots.length; i++) {
            packed = bytes.concat(packed, roots[i]);
        }
        assertEq(b.dataHash, _commitment(data), "dataHash");
        assertEq(b.chunkRootsHash, keccak256(packed), "chunkRootsHash");
        assertEq(b.stateRoot, roots.length == 0 ? GENESIS : roots[roots.length - 1], "stateRoot");
        assertEq(b.chunkCount, roots.length, "chunkCount");
        assertEq(b.lastL2Block, lastBlock, "lastL2Block");
        assertEq(inbox.lastStateRoot(), b.stateRoot, "lastStateRoot");
    }

    // ---------------------------------------------------------------------------------------
    // postBatch: rejections
    // ---------------------------------------------------------------------------------------

    function test_postBatch_revertsForNonBatcher() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, ALICE));
        vm.prank(ALICE);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        vm.deal(address(this), BOND);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, address(this)));
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        assertEq(inbox.batchCount(), 0, "nothing posted");
    }

    /// The attack of issue 53: the batcher delegates its account to code that forwards hidden
    /// bytes to the inbox, and sends itself an input that decodes as a `postBatch` of a decoy.
    /// The inbox refuses a post from an account with code, so what it commits to is always the
    /// input (or blob) of a transaction sent to it.
    function test_postBatch_refusesADelegatedBatcher() public {
        uint256 key = 0xB47C4E5;
        address batcher = vm.addr(key);
        BatchInbox target = new BatchInbox(batcher, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.deal(batcher, 10 ether);
        vm.prank(batcher, batcher);
        target.stake{value: BOND}();
        ForwardingDelegate forwarder = new ForwardingDelegate(address(target));
        vm.signAndAttachDelegation(address(forwarder), key);
        assertEq(batcher.code.length, 23, "the delegated account carries the 23-byte designator");
        assertEq(bytes3(batcher.code), bytes3(0xef0100), "an EIP-7702 designator");

        bytes32[] memory roots = _roots(1, 7);
        bytes memory hidden = abi.encodeCall(BatchInbox.postBatch, (0, GENESIS, 1, 0, bytes32(0), hex"deadbeef", roots));
        bytes memory decoy = abi.encodeCall(BatchInbox.postBatch, (0, GENESIS, 1, 0, bytes32(0), hex"01", roots));
        bytes memory input = bytes.concat(decoy, hidden, bytes32(hidden.length));
        assertEq(bytes4(input), BatchInbox.postBatch.selector, "the input reads as an inbox post");
        vm.prank(batcher, batcher);
        (bool ok, bytes memory out) = batcher.call(input);
        assertFalse(ok, "the forwarded post is refused");
        assertEq(out, abi.encodeWithSelector(BatchInbox.NotDirectPost.selector, batcher, 23), "NotDirectPost");
        assertEq(target.batchCount(), 0, "nothing recorded");

        // A blob post is refused the same way.
        vm.blobhashes(_one(bytes32(uint256(0x01) << 248 | 0xaa)));
        bytes memory blobPost = abi.encodeCall(
            BatchInbox.postBatchBlobs,
            (0, GENESIS, 1, 0, bytes32(0), 4, _segmentHashes(hex"deadbeef"), 1, _hashOf(roots), roots[0])
        );
        vm.prank(batcher, batcher);
        (ok, out) = batcher.call(bytes.concat(decoy, blobPost, bytes32(blobPost.length)));
        assertFalse(ok, "the forwarded blob post is refused");
        assertEq(out, abi.encodeWithSelector(BatchInbox.NotDirectPost.selector, batcher, 23), "NotDirectPost");

        // A call straight to the inbox from the delegated account is refused too: its code could
        // have been the one to make it.
        vm.prank(batcher, batcher);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotDirectPost.selector, batcher, 23));
        target.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", roots);

        // Once the delegation is cleared (a delegation to the zero address), the account posts
        // again, as the top-level call of its transaction.
        vm.signAndAttachDelegation(address(0), key);
        assertEq(batcher.code.length, 0, "the delegation is cleared");
        vm.prank(batcher, batcher);
        target.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", roots);
        assertEq(target.getBatch(0).dataHash, _commitment(hex"01"), "the input's data, committed");
    }

    /// A post must be its transaction's own call: not one made by a contract the batcher's
    /// transaction called (`tx.origin` differs), nor one made from the batcher's address while
    /// code is constructed there (no code yet, but not an externally owned account's call).
    function test_postBatch_refusesACallThatIsNotTheTransactions() public {
        vm.prank(BATCHER, ALICE);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotDirectPost.selector, ALICE, 0));
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        // The batcher's address is where a contract is being created.
        address creator = address(0xC4EA704);
        address poster = _createdBy(creator, 0);
        BatchInbox target = new BatchInbox(poster, WINDOW, 0, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.prank(creator, creator);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotDirectPost.selector, creator, 0));
        new ConstructorPoster(target, new bytes32[](0));
        assertEq(target.batchCount(), 0, "nothing recorded");
    }

    /// @dev The address of the contract `deployer` creates with its nonce `nonce` (below 128).
    function _createdBy(address deployer, uint8 nonce) internal pure returns (address) {
        bytes memory rlpNonce = nonce == 0 ? bytes(hex"80") : abi.encodePacked(nonce);
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), deployer, rlpNonce)))));
    }

    function test_postBatch_revertsOnWrongIndex() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 0, 1));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        bytes32[] memory roots = _roots(1, 1);
        _postNext(1, hex"01", roots);

        // (Arguments are computed before the prank: a view call would consume it.)
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 1, 0));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 1, 2));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(2, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
    }

    function test_postBatch_revertsOnWrongPrevStateRoot() public {
        bytes32 bad = keccak256("not the genesis root");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, GENESIS, bad));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, bad, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        bytes32[] memory roots = _roots(2, 9);
        _postNext(1, hex"01", roots);

        // Building on the genesis root again is rejected once a batch moved the state.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, roots[1], GENESIS));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, GENESIS, 2, 0, bytes32(0), hex"01", new bytes32[](0));
        // So is building on an intermediate chunk root.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, roots[1], roots[0]));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
    }

    /// One stake backs every post: without `stakeAmount` staked nothing is posted, and posts
    /// carry no ether.
    function test_postBatch_needsTheStake() public {
        BatchInbox unstaked =
            new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        vm.prank(BATCHER, BATCHER);
        unstaked.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        // Anyone may stake for the batcher.
        vm.prank(ALICE);
        unstaked.stake{value: BOND - 1}();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, BOND - 1, BOND));
        vm.prank(BATCHER, BATCHER);
        unstaked.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.prank(ALICE);
        unstaked.stake{value: 1}();
        for (uint64 i; i < 5; i++) {
            bytes32 prev = unstaked.lastStateRoot();
            vm.prank(BATCHER, BATCHER);
            unstaked.postBatch(i, prev, i + 1, 0, bytes32(0), hex"01", _roots(1, i));
        }
        assertEq(unstaked.batchCount(), 5, "five posts on one stake");
        assertEq(address(unstaked).balance, BOND, "the stake alone");
    }

    function test_postBatch_revertsWhenL2BlocksDoNotAdvance() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 0, 0));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 0, 0, bytes32(0), hex"01", new bytes32[](0));

        _postNext(10, hex"01", new bytes32[](0));

        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 10, 10));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, GENESIS, 10, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 10, 9));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, GENESIS, 9, 0, bytes32(0), hex"01", new bytes32[](0));

        _postNext(11, hex"01", new bytes32[](0));
        assertEq(inbox.lastL2Block(), 11, "advanced by one block");
    }

    function test_postBatch_revertsOnEmptyData() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.EmptyBatchData.selector));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), "", _roots(1, 1));
    }

    /// The bounds that keep every fraud proof inside one L1 transaction (docs/fraud-proofs.md
    /// §7): at most 120,000 bytes of data and 256 chunk roots; both limits are taken exactly.
    function test_postBatch_refusesMoreDataOrChunksThanAProofCanCarry() public {
        uint256 max = inbox.MAX_DATA_BYTES();
        assertEq(max, 120_000, "MAX_DATA_BYTES");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.DataTooLarge.selector, max + 1, max));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), new bytes(max + 1), _roots(1, 1));
        uint256 chunks = inbox.MAX_BATCH_CHUNKS();
        assertEq(chunks, 320, "MAX_BATCH_CHUNKS");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.TooManyChunks.selector, chunks + 1, chunks));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", _roots(chunks + 1, 1));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), new bytes(max), _roots(chunks, 1));
        assertEq(inbox.batchCount(), 1, "posted at both limits");
    }

    function test_constructor_refusesAChunkSizeOverTheProofBound() public {
        uint256 max = inbox.MAX_CHUNK_SIZE();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ChunkSizeTooLarge.selector, max + 1, max));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, max + 1, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        assertEq(
            new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, max, CHAIN_ID, VERIFIER, FREEZE_DELAY).chunkSize(),
            max,
            "at the bound"
        );
    }

    function test_postBatch_checksCallerFirst() public {
        // Everything is wrong; the caller is reported.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, ALICE));
        vm.prank(ALICE);
        inbox.postBatch(5, bytes32(uint256(1)), 0, 0, bytes32(0), "", new bytes32[](0));
    }

    // ---------------------------------------------------------------------------------------
    // Finality and the stake
    // ---------------------------------------------------------------------------------------

    function test_isFinalized_afterChallengeWindow() public {
        _postNext(1, hex"01", _roots(1, 1));
        assertFalse(inbox.isFinalized(0), "just posted");
        vm.warp(T0 + WINDOW - 1);
        assertFalse(inbox.isFinalized(0), "one second before the end of the window");
        vm.warp(T0 + WINDOW);
        assertTrue(inbox.isFinalized(0), "at postedAt + window");
        vm.warp(T0 + 10 * WINDOW);
        assertTrue(inbox.isFinalized(0), "long after");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 1));
        inbox.isFinalized(1);
    }

    function test_isFinalized_eachBatchHasItsOwnWindow() public {
        _postNext(1, hex"01", new bytes32[](0));
        vm.warp(T0 + 1 days);
        _postNext(2, hex"02", new bytes32[](0));
        vm.warp(T0 + WINDOW);
        assertTrue(inbox.isFinalized(0), "first final");
        assertFalse(inbox.isFinalized(1), "second still challengeable");
        vm.warp(T0 + 1 days + WINDOW);
        assertTrue(inbox.isFinalized(1), "second final");
    }

    /// What exceeds `stakeAmount` comes back at any time; the rest only once the last batch is
    /// final (no open batch left to back), and only to the batcher.
    function test_withdrawStake_keepsWhatBacksOpenBatches() public {
        vm.prank(ALICE);
        inbox.stake{value: 3 ether}();
        _postNext(1, hex"01", new bytes32[](0));
        vm.warp(T0 + 100);
        _postNext(2, hex"02", new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, ALICE));
        vm.prank(ALICE);
        inbox.withdrawStake(1 ether);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeTooSmall.selector, BOND + 3 ether, BOND + 4 ether));
        vm.prank(BATCHER, BATCHER);
        inbox.withdrawStake(BOND + 4 ether);
        uint256 before = BATCHER.balance;
        vm.expectEmit(address(inbox));
        emit StakeWithdrawn(3 ether, BOND);
        vm.prank(BATCHER, BATCHER);
        inbox.withdrawStake(3 ether);
        assertEq(BATCHER.balance - before, 3 ether, "the excess back");
        // The last batch is open until T0 + 100 + WINDOW: the stake itself stays.
        vm.warp(T0 + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeLocked.selector, T0 + 100 + WINDOW));
        vm.prank(BATCHER, BATCHER);
        inbox.withdrawStake(1);
        vm.warp(T0 + 100 + WINDOW);
        vm.prank(BATCHER, BATCHER);
        inbox.withdrawStake(BOND);
        assertEq(inbox.staked(), 0, "all back");
        assertEq(address(inbox).balance, 0, "inbox empty");
        // Without a stake no more posts.
        bytes32 prev = inbox.lastStateRoot();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(2, prev, 3, 0, bytes32(0), hex"03", new bytes32[](0));
    }

    function test_withdrawStake_revertsWhenTheBatcherRejectsEther() public {
        RejectingBatcher rejecting = new RejectingBatcher();
        BatchInbox inbox2 =
            new BatchInbox(address(rejecting), WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        inbox2.stake{value: BOND}();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeTransferFailed.selector));
        rejecting.withdraw(inbox2, BOND);
        assertEq(inbox2.staked(), BOND, "withdrawal rolled back");
    }

    function test_withdrawStake_reentrantWithdrawalCannotPayTwice() public {
        ReentrantBatcher reentrant = new ReentrantBatcher();
        BatchInbox inbox2 =
            new BatchInbox(address(reentrant), WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        inbox2.stake{value: BOND}();
        reentrant.withdraw(inbox2, BOND);
        assertTrue(reentrant.reentryFailed(), "re-entry reverted");
        assertEq(reentrant.payments(), 1, "paid once");
        assertEq(address(reentrant).balance, BOND, "the stake received once");
        assertEq(inbox2.staked(), 0, "nothing left");
    }

    function test_zeroStakeInbox() public {
        BatchInbox free = new BatchInbox(BATCHER, WINDOW, 0, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER, FREEZE_DELAY);
        vm.prank(BATCHER, BATCHER);
        free.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        assertEq(free.batchCount(), 1, "posted without a stake");
    }

    function testFuzz_finalityBoundary(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 100 * WINDOW);
        _postNext(1, hex"01", new bytes32[](0));
        vm.warp(T0 + elapsed);
        bool final_ = elapsed >= WINDOW;
        assertEq(inbox.isFinalized(0), final_, "isFinalized");
        if (!final_) vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeLocked.selector, T0 + WINDOW));
        vm.prank(BATCHER, BATCHER);
        inbox.withdrawStake(BOND);
        assertEq(inbox.staked(), final_ ? 0 : BOND, "the stake back once final");
    }
}
