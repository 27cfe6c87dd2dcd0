// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {BatchInbox} from "../src/l1/BatchInbox.sol";
import {ChunkVerifier} from "../src/l1/ChunkVerifier.sol";

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

/// @notice Behavioural tests of the L1 batch inbox: posting rules, recorded fields, finality
///         and the batcher's stake.
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
    uint256 constant CHUNK_SIZE = 8;
    uint256 constant CHAIN_ID = 42069;
    uint256 constant T0 = 1_700_000_000;
    uint256 constant B0 = 19_000_000;
    /// @dev These tests never prove fraud (FraudProof.t.sol does): no verifier is needed.
    ChunkVerifier constant VERIFIER = ChunkVerifier(address(0));

    BatchInbox inbox;

    function setUp() public override {
        inbox = new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        vm.deal(BATCHER, 100 ether + BOND);
        vm.prank(BATCHER);
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
        vm.prank(BATCHER);
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
        assertEq(uint256(BatchInbox.Fault.UnprovenBlobBatch), 9, "the dispute's fault number (Rust decodes it)");
    }

    function test_constructor_refusesAZeroChunkSizeAndAWideChainId() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ZeroChunkSize.selector));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, 0, CHAIN_ID, VERIFIER);
        uint256 wide = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ChainIdTooLarge.selector, wide));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, wide, VERIFIER);
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
        vm.prank(BATCHER);
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

    function test_postBatchBlobs_commitsToTheVersionedHashes() public {
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = bytes32(uint256(0x01) << 248 | 0xaa);
        hashes[1] = bytes32(uint256(0x01) << 248 | 0xbb);
        vm.blobhashes(hashes);
        bytes32[] memory roots = _roots(2, 1);
        vm.prank(BATCHER);
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), roots);
        BatchInbox.Batch memory b = inbox.getBatch(0);
        assertEq(b.dataHash, keccak256(bytes.concat(hashes[0], hashes[1])), "dataHash");
        assertEq(uint256(b.blobCount), 2, "blobCount");
        assertEq(b.stateRoot, roots[1], "stateRoot");
        assertEq(inbox.lastL2Block(), 10, "lastL2Block");
    }

    function test_postBatchBlobs_needsABlobAndTheSameChecks() public {
        bytes32[] memory roots = _roots(1, 1);
        vm.prank(BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NoBlobs.selector));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), roots);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(0x01) << 248 | 0xaa);
        vm.blobhashes(hashes);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotBatcher.selector, address(this)));
        inbox.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), roots);
        BatchInbox unstaked = new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        vm.prank(BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        unstaked.postBatchBlobs(0, GENESIS, 10, 0, bytes32(0), roots);
    }

    /// A blob batch cannot be proven fraudulent yet, so it loses when disputed: anyone may
    /// dispute one inside its window (committed first, like a proof), which rolls it and every
    /// later batch back and pays the disputer half the slashed stake. A calldata batch is proven instead,
    /// and a final blob batch stands.
    function test_disputeBlobBatch_rollsBackAnyBlobBatchInItsWindow() public {
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(0x01) << 248 | 0xaa);
        vm.deal(BATCHER, 4 * BOND);
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 10, 0, bytes32(0), hex"01", _roots(1, 1));
        bytes32 root0 = inbox.lastStateRoot();
        vm.blobhashes(hashes);
        vm.prank(BATCHER);
        inbox.postBatchBlobs(1, root0, 20, 0, bytes32(0), _roots(1, 2));
        bytes32 root1 = inbox.lastStateRoot();
        vm.prank(BATCHER);
        inbox.postBatch(2, root1, 30, 0, bytes32(0), hex"03", _roots(1, 3));
        assertEq(inbox.batchCount(), 3, "posted");

        bytes memory dispute1 = abi.encodeCall(BatchInbox.disputeBlobBatch, (1));
        // Uncommitted: refused, so a copy of someone's dispute earns nothing.
        bytes32 commitment1 = inbox.proofCommitment(ALICE, dispute1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ProofNotCommitted.selector, commitment1));
        inbox.disputeBlobBatch(1);
        // A calldata batch is not disputed but proven.
        bytes32 commitment0 = inbox.proofCommitment(ALICE, abi.encodeCall(BatchInbox.disputeBlobBatch, (0)));
        vm.prank(ALICE);
        inbox.commitProof(commitment0);
        vm.prank(ALICE);
        inbox.commitProof(commitment1);
        vm.roll(block.number + 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotABlobBatch.selector, 0));
        inbox.disputeBlobBatch(0);
        uint256 before = ALICE.balance;
        vm.expectEmit(address(inbox));
        emit BatchInbox.FraudProven(1, ALICE, BatchInbox.Fault.UnprovenBlobBatch, 0, 0, BOND / 2);
        vm.prank(ALICE);
        inbox.disputeBlobBatch(1);
        assertEq(ALICE.balance - before, BOND / 2, "half the slashed stake");
        assertEq(inbox.staked(), 0, "the stake slashed");
        assertEq(inbox.batchCount(), 1, "the blob batch and the one after it are rolled back");

        // Past its window a blob batch stands (once the stake is topped up, it posts again).
        vm.prank(BATCHER);
        inbox.stake{value: BOND}();
        vm.blobhashes(hashes);
        vm.prank(BATCHER);
        inbox.postBatchBlobs(1, root0, 20, 0, bytes32(0), _roots(1, 2));
        vm.warp(block.timestamp + WINDOW);
        vm.prank(ALICE);
        inbox.commitProof(commitment1);
        vm.roll(block.number + 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchFinalized.selector, 1));
        inbox.disputeBlobBatch(1);
    }

    function test_postBatch_withoutABridgeConsumesNothing() public {
        assertEq(address(inbox.bridge()), address(0), "no bridge");
        vm.deal(BATCHER, 2 * BOND);
        vm.startPrank(BATCHER);
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
        vm.prank(BATCHER);
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
        vm.prank(BATCHER);
        inbox.postBatch(1, GENESIS, 4, 0, bytes32(0), hex"01", roots);
        assertEq(inbox.lastStateRoot(), roots[0], "single chunk root");
    }

    function test_postBatch_chainsBatches() public {
        bytes32[] memory r1 = _roots(2, 1);
        bytes32[] memory r2 = _roots(5, 2);
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 10, 0, bytes32(0), hex"aa", r1);
        vm.warp(T0 + 60);
        vm.roll(B0 + 5);
        vm.prank(BATCHER);
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
        vm.prank(BATCHER);
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

    function test_postBatch_revertsOnWrongIndex() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 0, 1));
        vm.prank(BATCHER);
        inbox.postBatch(1, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        bytes32[] memory roots = _roots(1, 1);
        _postNext(1, hex"01", roots);

        // (Arguments are computed before the prank: a view call would consume it.)
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 1, 0));
        vm.prank(BATCHER);
        inbox.postBatch(0, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongBatchIndex.selector, 1, 2));
        vm.prank(BATCHER);
        inbox.postBatch(2, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
    }

    function test_postBatch_revertsOnWrongPrevStateRoot() public {
        bytes32 bad = keccak256("not the genesis root");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, GENESIS, bad));
        vm.prank(BATCHER);
        inbox.postBatch(0, bad, 1, 0, bytes32(0), hex"01", new bytes32[](0));

        bytes32[] memory roots = _roots(2, 9);
        _postNext(1, hex"01", roots);

        // Building on the genesis root again is rejected once a batch moved the state.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, roots[1], GENESIS));
        vm.prank(BATCHER);
        inbox.postBatch(1, GENESIS, 2, 0, bytes32(0), hex"01", new bytes32[](0));
        // So is building on an intermediate chunk root.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.WrongPrevStateRoot.selector, roots[1], roots[0]));
        vm.prank(BATCHER);
        inbox.postBatch(1, roots[0], 2, 0, bytes32(0), hex"01", new bytes32[](0));
    }

    /// One stake backs every post: without `stakeAmount` staked nothing is posted, and posts
    /// carry no ether.
    function test_postBatch_needsTheStake() public {
        BatchInbox unstaked = new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        vm.prank(BATCHER);
        unstaked.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        // Anyone may stake for the batcher.
        vm.prank(ALICE);
        unstaked.stake{value: BOND - 1}();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, BOND - 1, BOND));
        vm.prank(BATCHER);
        unstaked.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.prank(ALICE);
        unstaked.stake{value: 1}();
        for (uint64 i; i < 5; i++) {
            bytes32 prev = unstaked.lastStateRoot();
            vm.prank(BATCHER);
            unstaked.postBatch(i, prev, i + 1, 0, bytes32(0), hex"01", _roots(1, i));
        }
        assertEq(unstaked.batchCount(), 5, "five posts on one stake");
        assertEq(address(unstaked).balance, BOND, "the stake alone");
    }

    function test_postBatch_revertsWhenL2BlocksDoNotAdvance() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 0, 0));
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 0, 0, bytes32(0), hex"01", new bytes32[](0));

        _postNext(10, hex"01", new bytes32[](0));

        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 10, 10));
        vm.prank(BATCHER);
        inbox.postBatch(1, GENESIS, 10, 0, bytes32(0), hex"01", new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.L2BlocksNotAdvancing.selector, 10, 9));
        vm.prank(BATCHER);
        inbox.postBatch(1, GENESIS, 9, 0, bytes32(0), hex"01", new bytes32[](0));

        _postNext(11, hex"01", new bytes32[](0));
        assertEq(inbox.lastL2Block(), 11, "advanced by one block");
    }

    function test_postBatch_revertsOnEmptyData() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.EmptyBatchData.selector));
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), "", _roots(1, 1));
    }

    /// The bounds that keep every fraud proof inside one L1 transaction (docs/fraud-proofs.md
    /// §7): at most 120,000 bytes of data and 256 chunk roots; both limits are taken exactly.
    function test_postBatch_refusesMoreDataOrChunksThanAProofCanCarry() public {
        uint256 max = inbox.MAX_DATA_BYTES();
        assertEq(max, 120_000, "MAX_DATA_BYTES");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.DataTooLarge.selector, max + 1, max));
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), new bytes(max + 1), _roots(1, 1));
        uint256 chunks = inbox.MAX_BATCH_CHUNKS();
        assertEq(chunks, 256, "MAX_BATCH_CHUNKS");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.TooManyChunks.selector, chunks + 1, chunks));
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), hex"01", _roots(chunks + 1, 1));
        vm.prank(BATCHER);
        inbox.postBatch(0, GENESIS, 1, 0, bytes32(0), new bytes(max), _roots(chunks, 1));
        assertEq(inbox.batchCount(), 1, "posted at both limits");
    }

    function test_constructor_refusesAChunkSizeOverTheProofBound() public {
        uint256 max = inbox.MAX_CHUNK_SIZE();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.ChunkSizeTooLarge.selector, max + 1, max));
        new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, max + 1, CHAIN_ID, VERIFIER);
        assertEq(new BatchInbox(BATCHER, WINDOW, BOND, GENESIS, max, CHAIN_ID, VERIFIER).chunkSize(), max, "at the bound");
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
        vm.prank(BATCHER);
        inbox.withdrawStake(BOND + 4 ether);
        uint256 before = BATCHER.balance;
        vm.expectEmit(address(inbox));
        emit StakeWithdrawn(3 ether, BOND);
        vm.prank(BATCHER);
        inbox.withdrawStake(3 ether);
        assertEq(BATCHER.balance - before, 3 ether, "the excess back");
        // The last batch is open until T0 + 100 + WINDOW: the stake itself stays.
        vm.warp(T0 + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeLocked.selector, T0 + 100 + WINDOW));
        vm.prank(BATCHER);
        inbox.withdrawStake(1);
        vm.warp(T0 + 100 + WINDOW);
        vm.prank(BATCHER);
        inbox.withdrawStake(BOND);
        assertEq(inbox.staked(), 0, "all back");
        assertEq(address(inbox).balance, 0, "inbox empty");
        // Without a stake no more posts.
        bytes32 prev = inbox.lastStateRoot();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        vm.prank(BATCHER);
        inbox.postBatch(2, prev, 3, 0, bytes32(0), hex"03", new bytes32[](0));
    }

    function test_withdrawStake_revertsWhenTheBatcherRejectsEther() public {
        RejectingBatcher rejecting = new RejectingBatcher();
        BatchInbox inbox2 = new BatchInbox(address(rejecting), WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        inbox2.stake{value: BOND}();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.StakeTransferFailed.selector));
        rejecting.withdraw(inbox2, BOND);
        assertEq(inbox2.staked(), BOND, "withdrawal rolled back");
    }

    function test_withdrawStake_reentrantWithdrawalCannotPayTwice() public {
        ReentrantBatcher reentrant = new ReentrantBatcher();
        BatchInbox inbox2 = new BatchInbox(address(reentrant), WINDOW, BOND, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        inbox2.stake{value: BOND}();
        reentrant.withdraw(inbox2, BOND);
        assertTrue(reentrant.reentryFailed(), "re-entry reverted");
        assertEq(reentrant.payments(), 1, "paid once");
        assertEq(address(reentrant).balance, BOND, "the stake received once");
        assertEq(inbox2.staked(), 0, "nothing left");
    }

    function test_zeroStakeInbox() public {
        BatchInbox free = new BatchInbox(BATCHER, WINDOW, 0, GENESIS, CHUNK_SIZE, CHAIN_ID, VERIFIER);
        vm.prank(BATCHER);
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
        vm.prank(BATCHER);
        inbox.withdrawStake(BOND);
        assertEq(inbox.staked(), final_ ? 0 : BOND, "the stake back once final");
    }
}
