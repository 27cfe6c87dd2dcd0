// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {FullWitness} from "./utils/FullWitness.sol";
import {entryAt} from "./utils/QueueEntries.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {BatchInbox} from "../src/l1/BatchInbox.sol";
import {ChunkVerifier} from "../src/l1/ChunkVerifier.sol";
import {BatchDecoder} from "../src/l1/BatchDecoder.sol";
import {LendingReplay} from "../src/l1/LendingReplay.sol";
import {ReplayLogic} from "../src/l1/ReplayLogic.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";
import {L1Bridge} from "../src/l1/L1Bridge.sol";
import {DataCommitment} from "../src/lib/DataCommitment.sol";
import {IBridgeQueue, BridgeQueue} from "../src/lib/BridgeQueue.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";
import {FeeLogic} from "../src/logic/FeeLogic.sol";
import {StateWitness} from "../src/lib/StateWitness.sol";

/// @dev L1 blocks an unconsumed queue entry waits before the inbox may be frozen: two of the
///      queue tests' inclusion windows (1,000 blocks).
uint256 constant FREEZE_DELAY = 2_000;

/// @notice Fraud proofs through the inbox, on the shared vectors that the Rust prover writes
///         (../testdata/fraud-vectors.json, fraud-proof/tests/it/prove.rs): every crafted fraud
///         is proven with its fault, rolls the batch back and pays half the slashed stake; no proof of
///         an honest batch succeeds, however its keys and witness are varied; the reward
///         cannot be taken by copying a proof. See docs/fraud-proofs.md §6. Also hand-built
///         batches that consume the bridge's queue: header proofs of their queue counts
///         (`WrongQueueCount`, docs/bridge.md §6) and chunks holding queue entries.
contract FraudProofTest is Test, FullWitness {
    string constant FILE = "../testdata/fraud-vectors.json";
    address constant BATCHER = address(0xBA7C4E5);
    address constant PROVER = address(0x9807E5);
    address constant COPIER = address(0xC0C0);
    uint256 constant WINDOW = 7 days;
    uint256 constant BOND = 1 ether;
    uint256 constant T0 = 1_700_000_000;
    uint256 constant B0 = 19_000_000;
    bytes32 constant FRAUD_PROVEN = keccak256("FraudProven(uint256,address,uint8,uint256,uint256,uint256)");
    /// @dev `L1Bridge.ETHER_META`: "ETH", 18 decimals.
    uint256 constant ETHER_META = (uint256(bytes32("ETH")) & ~uint256(0xff)) | 18;

    /// @dev One proof of the vector file.
    struct Proof {
        string name;
        bytes data;
        bytes32 dataHash;
        uint64 lastBlock;
        bytes32[] chunkRoots;
        bool header;
        uint256[] revealed;
        uint256 chunkIndex;
        bytes32[] keys;
        bytes witness;
        uint256 fault;
        uint256[] queueKind;
        bytes[] queueRaw;
        address[] queueTo;
        uint256[] queueAmount;
        uint256[] queueL1Block;
        bytes32 queueAccBefore;
    }

    string json;
    ChunkVerifier verifier;
    BatchInbox inbox;

    function setUp() public override {
        json = vm.readFile(FILE);
        verifier = new ChunkVerifier(new BatchDecoder(), new ReplayLogic(address(new LendingReplay())));
        inbox = _inbox();
        vm.deal(BATCHER, 100 ether);
        vm.deal(PROVER, 1 ether);
        vm.deal(COPIER, 1 ether);
        vm.warp(T0);
        vm.roll(B0);
    }

    function _inbox() internal returns (BatchInbox target) {
        target = new BatchInbox(
            BATCHER,
            WINDOW,
            BOND,
            vm.parseJsonBytes32(json, ".genesisRoot"),
            vm.parseJsonUint(json, ".chunkSize"),
            vm.parseJsonUint(json, ".chainId"),
            verifier,
            FREEZE_DELAY
        );
        target.stake{value: BOND}();
    }

    /// @dev Proof `i` of `list`, read in a call of its own (`proofAt`): the vectors are read
    ///      from storage once, and their copy in memory is dropped with the call's memory.
    function _proof(string memory list, uint256 i) internal view returns (Proof memory) {
        return this.proofAt(list, i);
    }

    /// @dev `_proof`'s call.
    function proofAt(string memory list, uint256 i) external view returns (Proof memory p) {
        string memory j = json;
        string memory at = string.concat(".", list, "[", vm.toString(i), "]");
        p.name = vm.parseJsonString(j, string.concat(at, ".name"));
        p.data = vm.parseJsonBytes(j, string.concat(at, ".data"));
        p.dataHash = vm.parseJsonBytes32(j, string.concat(at, ".dataHash"));
        p.lastBlock = uint64(vm.parseJsonUint(j, string.concat(at, ".lastBlock")));
        p.chunkRoots = vm.parseJsonBytes32Array(j, string.concat(at, ".chunkRoots"));
        p.header = vm.parseJsonBool(j, string.concat(at, ".header"));
        p.revealed = vm.parseJsonUintArray(j, string.concat(at, ".revealed"));
        p.chunkIndex = vm.parseJsonUint(j, string.concat(at, ".chunkIndex"));
        p.keys = vm.parseJsonBytes32Array(j, string.concat(at, ".keys"));
        p.witness = vm.parseJsonBytes(j, string.concat(at, ".witness"));
        p.fault = vm.parseJsonUint(j, string.concat(at, ".fault"));
        p.queueKind = vm.parseJsonUintArray(j, string.concat(at, ".queueKind"));
        p.queueRaw = vm.parseJsonBytesArray(j, string.concat(at, ".queueRaw"));
        p.queueTo = vm.parseJsonAddressArray(j, string.concat(at, ".queueTo"));
        p.queueAmount = vm.parseJsonUintArray(j, string.concat(at, ".queueAmount"));
        p.queueL1Block = vm.parseJsonUintArray(j, string.concat(at, ".queueL1Block"));
        p.queueAccBefore = vm.parseJsonBytes32(j, string.concat(at, ".queueAccBefore"));
    }

    /// @dev The queue entries of a proof, all queued by the vectors' depositor: ether deposits
    ///      and forced transactions.
    function _entries(Proof memory p) internal view returns (BridgeQueue.Contents[] memory entries) {
        entries = new BridgeQueue.Contents[](p.queueTo.length);
        address depositor = vm.parseJsonAddress(json, ".deposits.depositor");
        for (uint256 i; i < entries.length; i++) {
            entries[i].kind = p.queueKind[i];
            entries[i].from = depositor;
            if (p.queueKind[i] == BridgeQueue.KIND_FORCED_TX) {
                entries[i].raw = p.queueRaw[i];
            } else {
                entries[i].to = p.queueTo[i];
                entries[i].amount = p.queueAmount[i];
                entries[i].meta = ETHER_META;
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            entries[i].l1Block = uint64(p.queueL1Block[i]); // small block numbers
        }
    }

    function _count(string memory list) internal view returns (uint256 n) {
        // The arrays are small: probe until a name is missing.
        while (true) {
            try this.nameAt(list, n) {
                n++;
            } catch {
                return n;
            }
        }
    }

    function nameAt(string memory list, uint256 i) external view returns (string memory) {
        return vm.parseJsonString(json, string.concat(".", list, "[", vm.toString(i), "].name"));
    }

    function _post(BatchInbox target, Proof memory p) internal {
        uint256 index = target.batchCount();
        bytes32 prev = target.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        target.postBatch(index, prev, p.lastBlock, 0, bytes32(0), p.data, p.chunkRoots);
    }

    /// @dev Posts `p`'s data as a blob batch: its length and segment hashes, with a blob (the
    ///      header and chunk proofs never look at it).
    function _postBlob(BatchInbox target, Proof memory p) internal {
        uint256 index = target.batchCount();
        bytes32 prev = target.lastStateRoot();
        bytes32[] memory blob = new bytes32[](1);
        blob[0] = bytes32(uint256(0x01) << 248 | 0xb10b);
        vm.blobhashes(blob);
        bytes32[] memory hashes = _dataProof(p.data, new uint256[](0)).segmentHashes;
        // The chunk roots are in the blob: the post carries their count, hash and last.
        bytes32[] memory roots = p.chunkRoots;
        bytes32 last = roots.length == 0 ? prev : roots[roots.length - 1];
        vm.prank(BATCHER, BATCHER);
        target.postBatchBlobs(
            index,
            prev,
            p.lastBlock,
            0,
            bytes32(0),
            p.data.length,
            hashes,
            roots.length,
            keccak256(abi.encodePacked(roots)),
            last
        );
    }

    function _call(uint256 index, Proof memory p) internal view returns (bytes memory) {
        if (p.header) return abi.encodeCall(BatchInbox.proveHeaderFraud, (index, p.data));
        return abi.encodeCall(
            BatchInbox.proveChunkFraud,
            (
                index,
                _dataProof(p.data, p.revealed),
                p.chunkRoots,
                ChunkVerifier.ChunkProof(p.chunkIndex, p.keys, p.witness, _entries(p), p.queueAccBefore)
            )
        );
    }

    /// @dev The data proof of `data` revealing the segments `revealed`.
    function _dataProof(bytes memory data, uint256[] memory revealed)
        internal
        pure
        returns (BatchDecoder.DataProof memory d)
    {
        uint256 n = DataCommitment.segmentCount(data.length);
        d.length = data.length;
        d.segmentHashes = new bytes32[](n);
        for (uint256 i; i < n; i++) {
            d.segmentHashes[i] = keccak256(_segment(data, i));
        }
        d.revealed = revealed;
        d.segments = new bytes[](revealed.length);
        for (uint256 i; i < revealed.length; i++) {
            d.segments[i] = _segment(data, revealed[i]);
        }
    }

    function _segment(bytes memory data, uint256 s) internal pure returns (bytes memory out) {
        uint256 start = s * DataCommitment.SEGMENT_BYTES;
        uint256 end = start + DataCommitment.SEGMENT_BYTES;
        if (end > data.length) end = data.length;
        out = new bytes(end - start);
        for (uint256 i; i < out.length; i++) {
            out[i] = data[start + i];
        }
    }

    /// @dev Commits as `who` in the block after the post, moves to the next block, and reveals.
    function _prove(BatchInbox target, address who, bytes memory call) internal returns (bool ok, bytes memory ret) {
        vm.roll(block.number + 1);
        vm.prank(who);
        target.commitProof(target.proofCommitment(who, call));
        vm.roll(block.number + 1);
        vm.prank(who);
        (ok, ret) = address(target).call(call);
    }

    // -----------------------------------------------------------------------------------------

    function test_vectors_present() public view {
        assertGe(_count("honest"), 3, "honest proofs");
        assertGe(_count("frauds"), 8, "fraud proofs");
    }

    /// The inbox commits to each vector's data exactly as the Rust side does.
    function test_dataCommitmentMatchesRust() public {
        uint256 n = _count("frauds");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("frauds", i);
            BatchInbox target = _inbox();
            _post(target, p);
            assertEq(target.getBatch(0).dataHash, p.dataHash, p.name);
        }
    }

    /// Every chunk of the honest batch replays on L1 to its posted root.
    function test_honestChunksReplayToTheirRoots() public {
        uint256 n = _count("honest");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("honest", i);
            if (p.header) continue;
            bytes32 pre = p.chunkIndex == 0 ? inbox.genesisStateRoot() : p.chunkRoots[p.chunkIndex - 1];
            ChunkVerifier.Params memory params = ChunkVerifier.Params(inbox.chunkSize(), inbox.l2ChainId(), pre, 0);
            (ChunkVerifier.Outcome outcome,, bytes32 post,) = verifier.replayChunk(
                _dataProof(p.data, p.revealed),
                params,
                ChunkVerifier.ChunkProof(p.chunkIndex, p.keys, p.witness, new BridgeQueue.Contents[](0), bytes32(0))
            );
            assertEq(uint256(outcome), 0, p.name);
            assertEq(post, p.chunkRoots[p.chunkIndex], p.name);
        }
    }

    /// No proof of the honest batch succeeds, through the inbox.
    function test_honestBatchCannotBeProven() public {
        _post(inbox, _proof("honest", 0));
        _noHonestProofSucceeds();
        assertEq(inbox.batchCount(), 1, "still there");
    }

    /// Every proof of the honest vectors, against batch 0 of `inbox`, reverts with `NoFraud`.
    function _noHonestProofSucceeds() private {
        uint256 n = _count("honest");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("honest", i);
            (bool ok, bytes memory ret) = _prove(inbox, PROVER, _call(0, p));
            assertFalse(ok, p.name);
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bytes4(ret), BatchInbox.NoFraud.selector, p.name);
        }
    }

    /// Keys dropped, repeated, added or reordered, witness bytes flipped, another chunk named:
    /// a proof of an honest batch still never succeeds.
    function testFuzz_honestChunkCannotBeProven(uint256 which, uint256 drop, bytes32 extra, uint256 flip, uint8 mask)
        public
    {
        uint256 n = _count("honest");
        Proof memory p = _proof("honest", bound(which, 0, n - 1));
        _post(inbox, p);
        if (p.keys.length > 0 && drop % 3 == 0) {
            // Drop one key.
            uint256 at = drop % p.keys.length;
            bytes32[] memory fewer = new bytes32[](p.keys.length - 1);
            for (uint256 k; k < fewer.length; k++) {
                fewer[k] = p.keys[k < at ? k : k + 1];
            }
            p.keys = fewer;
        } else if (p.keys.length > 0 && drop % 3 == 1) {
            // Replace one by an unrelated key.
            p.keys[drop % p.keys.length] = extra;
        }
        if (p.witness.length > 0 && mask != 0) p.witness[flip % p.witness.length] ^= bytes1(mask);
        if (drop % 7 == 0) p.chunkIndex = (p.chunkIndex + 1) % p.chunkRoots.length;
        if (drop % 5 == 0 && p.revealed.length > 0) {
            // Hide one of the segments the decoder reads.
            uint256[] memory fewer = new uint256[](p.revealed.length - 1);
            uint256 at = flip % p.revealed.length;
            for (uint256 k; k < fewer.length; k++) {
                fewer[k] = p.revealed[k < at ? k : k + 1];
            }
            p.revealed = fewer;
        }
        (bool ok,) = _prove(inbox, PROVER, _call(0, p));
        assertFalse(ok, p.name);
        assertEq(inbox.batchCount(), 1, "nothing rolled back");
    }

    /// Each crafted fraud is proven with its fault; the batch is rolled back and the prover
    /// holds a claim to half the slashed stake, paid at once for batch 0 (no batch before it can
    /// be proven).
    function test_fraudsAreProven() public {
        uint256 n = _count("frauds");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("frauds", i);
            BatchInbox target = _inbox();
            _post(target, p);
            uint256 before = PROVER.balance;
            vm.recordLogs();
            (bool ok, bytes memory ret) = _prove(target, PROVER, _call(0, p));
            assertTrue(ok, string.concat(p.name, ": ", vm.toString(bytes32(ret))));
            assertEq(target.batchCount(), 0, p.name);
            assertEq(target.lastStateRoot(), target.genesisStateRoot(), p.name);
            assertEq(target.staked(), 0, "one stake slashed");
            assertEq(target.rewardPot(), BOND / 2, "half in the pot");
            _assertFraudProven(p);
            target.claimReward(0);
            assertEq(PROVER.balance - before, BOND / 2, p.name);
            assertEq(address(target).balance, BOND / 2, "the other half stays: burned");
        }
    }

    /// The logs recorded since `vm.recordLogs()` hold `FraudProven` with `p`'s fault, and for
    /// a chunk proof its chunk.
    function _assertFraudProven(Proof memory p) private {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool seen;
        for (uint256 j; j < logs.length; j++) {
            if (logs[j].topics[0] != FRAUD_PROVEN) continue;
            (uint8 fault, uint256 chunkIndex,,) = abi.decode(logs[j].data, (uint8, uint256, uint256, uint256));
            assertEq(fault, p.fault, p.name);
            if (!p.header) assertEq(chunkIndex, p.chunkIndex, p.name);
            seen = true;
        }
        assertTrue(seen, p.name);
    }

    /// A blob batch is judged from the data its segment hashes commit to, exactly as a calldata
    /// batch: each crafted fraud posted as a blob batch is proven with the same proof and fault,
    /// and no proof of the honest batch posted as a blob batch succeeds.
    function test_blobBatchesAreProvenTheSameWay() public {
        uint256 n = _count("frauds");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("frauds", i);
            BatchInbox target = _inbox();
            _postBlob(target, p);
            assertEq(target.getBatch(0).dataHash, p.dataHash, p.name);
            vm.recordLogs();
            (bool ok, bytes memory ret) = _prove(target, PROVER, _call(0, p));
            assertTrue(ok, string.concat(p.name, ": ", vm.toString(ret)));
            assertEq(target.batchCount(), 0, p.name);
            _assertFraudProven(p);
        }
        _postBlob(inbox, _proof("honest", 0));
        _noHonestProofSucceeds();
        assertEq(inbox.batchCount(), 1, "the honest blob batch stands");
    }

    /// A proof needs its sender's commitment from an earlier block, made after the post: a copy
    /// sent by someone else, a reveal in the commitment's own block, or a commitment made in or
    /// before the post's block (a batcher holding a proof of its own fraud ready) fails.
    function test_commitRevealBindsTheRewardToTheProver() public {
        Proof memory p = _proof("frauds", 0);
        bytes memory call = _call(0, p);
        bytes32 mine = inbox.proofCommitment(PROVER, call);
        bytes32 copy = inbox.proofCommitment(COPIER, call);
        // Committed in the block before the post, and in the post's own block.
        uint256 early = block.number;
        vm.prank(PROVER);
        inbox.commitProof(mine);
        vm.roll(early + 1);
        _post(inbox, p);
        vm.prank(COPIER);
        inbox.commitProof(copy);
        vm.roll(early + 2);
        vm.prank(PROVER);
        (bool ok, bytes memory ret) = address(inbox).call(call);
        assertFalse(ok, "committed before the post");
        assertEq(
            ret, abi.encodeWithSelector(BatchInbox.CommittedBeforePost.selector, early, early + 1), "before the post"
        );
        vm.prank(COPIER);
        (ok, ret) = address(inbox).call(call);
        assertEq(
            ret, abi.encodeWithSelector(BatchInbox.CommittedBeforePost.selector, early + 1, early + 1), "in its block"
        );

        // A batch posted again on a fresh inbox; commitments after its post.
        BatchInbox fresh = _inbox();
        _post(fresh, p);
        vm.roll(block.number + 1);
        vm.prank(PROVER);
        (ok, ret) = address(fresh).call(call);
        assertFalse(ok, "no commitment");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.ProofNotCommitted.selector, "no commitment");

        vm.prank(PROVER);
        fresh.commitProof(mine);
        vm.prank(PROVER);
        (ok, ret) = address(fresh).call(call);
        assertFalse(ok, "same block");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.ProofNotCommitted.selector, "same block");

        vm.roll(block.number + 1);
        vm.prank(COPIER);
        (ok, ret) = address(fresh).call(call);
        assertFalse(ok, "copied");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.ProofNotCommitted.selector, "copied");

        vm.prank(PROVER);
        (ok,) = address(fresh).call(call);
        assertTrue(ok, "the prover's own reveal");
        fresh.claimReward(0);
        assertEq(PROVER.balance, 1 ether + BOND / 2, "paid");
        assertEq(COPIER.balance, 1 ether, "not paid");
    }

    /// A batch past its window cannot be proven fraudulent.
    function test_aFinalizedBatchCannotBeProven() public {
        Proof memory p = _proof("frauds", 0);
        _post(inbox, p);
        vm.warp(T0 + WINDOW);
        (bool ok, bytes memory ret) = _prove(inbox, PROVER, _call(0, p));
        assertFalse(ok, "finalized");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.BatchFinalized.selector, "finalized");
    }

    /// Proving batch 1 of 3 removes batches 1 and 2; the batcher re-posts from batch 0's root.
    function test_rollbackRemovesDescendantsAndPostingResumes() public {
        Proof memory good = _proof("honest", 0);
        Proof memory bad = _proof("frauds", 0);
        // Batch 0: the honest batch. Batches 1 and 2: anything on top (the fraud's data with
        // block numbers the inbox accepts; it never decodes them).
        _post(inbox, good);
        bytes32 root0 = inbox.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, root0, good.lastBlock + 10, 0, bytes32(0), bad.data, bad.chunkRoots);
        bytes32 root1 = inbox.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(2, root1, good.lastBlock + 20, 0, bytes32(0), bad.data, bad.chunkRoots);
        assertEq(inbox.batchCount(), 3, "three batches");

        // Batch 1 starts at block 1 again: a header fraud (wrong first block).
        Proof memory header = bad;
        header.header = true;
        (bool ok, bytes memory ret) = _prove(inbox, PROVER, _call(1, header));
        assertTrue(ok, vm.toString(bytes32(ret)));
        assertEq(inbox.batchCount(), 1, "batches 1 and 2 removed");
        assertEq(inbox.lastStateRoot(), root0, "back to batch 0's root");
        assertEq(uint256(inbox.lastL2Block()), good.lastBlock, "and its last block");
        // The claim is paid once batch 0, the one before the batch proven, is final.
        (BatchInbox.ClaimState state, uint256 dueAt) = inbox.claimState(0);
        assertEq(uint256(state), uint256(BatchInbox.ClaimState.Pending), "pending");
        assertEq(dueAt, inbox.getBatch(0).postedAt + WINDOW, "due when batch 0 is final");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.RewardNotDue.selector, 0, dueAt));
        inbox.claimReward(0);
        vm.warp(dueAt);
        inbox.claimReward(0);
        assertEq(PROVER.balance, 1 ether + BOND / 2, "half of one slashed stake");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.RewardAlreadyPaid.selector, 0));
        inbox.claimReward(0);
        vm.warp(T0);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, 2));
        inbox.getBatch(2);

        // Posting resumes at index 1 on batch 0's root, once the stake is topped up.
        vm.prank(BATCHER, BATCHER);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotStaked.selector, 0, BOND));
        inbox.postBatch(1, root0, good.lastBlock + 5, 0, bytes32(0), hex"01", new bytes32[](0));
        inbox.stake{value: BOND}();
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(1, root0, good.lastBlock + 5, 0, bytes32(0), hex"01", new bytes32[](0));
        assertEq(inbox.batchCount(), 2, "re-posted");
        assertEq(uint256(inbox.getBatch(1).lastL2Block), good.lastBlock + 5, "the new record");
    }

    // -----------------------------------------------------------------------------------------
    // Queue counts (docs/bridge.md §6): hand-built batches against a real bridge.

    uint256 constant QUEUE_CHUNK_SIZE = 2;
    uint256 constant INCLUSION = 1000;
    address constant DEPOSITOR = address(0xD3);

    /// @dev An inbox of chunk size 2 with a bridge attached and `deposits` ether deposits queued.
    function _queueInbox(uint256 deposits) internal returns (BatchInbox target, L1Bridge bridge) {
        target = new BatchInbox(
            BATCHER, WINDOW, BOND, keccak256("genesis"), QUEUE_CHUNK_SIZE, 42069, verifier, FREEZE_DELAY
        );
        target.stake{value: 10 * BOND}();
        bridge = new L1Bridge(target, INCLUSION);
        target.attachBridge(IBridgeQueue(address(bridge)));
        vm.deal(DEPOSITOR, deposits);
        for (uint256 i; i < deposits; i++) {
            vm.prank(DEPOSITOR);
            bridge.depositETH{value: 1}(DEPOSITOR);
        }
    }

    /// @dev Codec bytes (version 7) of blocks `firstBlock …` consuming `queues[i]` entries each
    ///      and holding no transaction (no heavy run), each committing the genesis L1 price (8
    ///      wei a byte), without registry: for each block with entries, its beginning, then one
    ///      chunk per entry, all empty. Also returns the number of chunks.
    function _queueData(uint256 firstBlock, uint256[] memory queues)
        internal
        pure
        returns (bytes memory data, uint256 chunks)
    {
        return _queueDataAt(firstBlock, queues, hex"8002");
    }

    /// @dev `_queueData` with every block committing the L1 price written as `price` (a number,
    ///      docs/batch-codec.md §2.2).
    function _queueDataAt(uint256 firstBlock, uint256[] memory queues, bytes memory price)
        internal
        pure
        returns (bytes memory data, uint256 chunks)
    {
        require(firstBlock < 0x80 && queues.length < 0x80, "one-byte varints");
        // forge-lint: disable-next-line(unsafe-typecast)
        data = abi.encodePacked(hex"08000000", uint8(firstBlock), hex"00", uint8(queues.length)); // checked above
        for (uint256 i; i < queues.length; i++) {
            require(queues[i] < 0x80, "one-byte varints");
            // forge-lint: disable-next-line(unsafe-typecast)
            data = abi.encodePacked(data, hex"00", uint8(queues[i]), hex"00", price, hex"00"); // checked above
            if (queues[i] != 0) chunks += 1 + queues[i];
        }
        data = abi.encodePacked(data, hex"00", new bytes(chunks));
    }

    /// @dev Posts the next batch of `target`: the blocks after its last one with these queue
    ///      counts, posted as consuming the queue up to `queueEnd`, with `roots` chunk roots
    ///      (the data's chunk count unless given).
    function _postQueue(BatchInbox target, uint256[] memory queues, uint64 queueEnd, uint256 roots)
        internal
        returns (bytes memory data)
    {
        uint256 chunks;
        uint64 first = target.lastL2Block() + 1;
        (data, chunks) = _queueData(first, queues);
        if (roots == type(uint256).max) roots = chunks;
        bytes32[] memory chunkRoots = new bytes32[](roots);
        for (uint256 i; i < roots; i++) {
            chunkRoots[i] = keccak256(abi.encode("root", i));
        }
        (, bytes32 acc,) = target.bridge().queueAt(queueEnd);
        uint256 index = target.batchCount();
        bytes32 prev = target.lastStateRoot();
        vm.prank(BATCHER, BATCHER);
        target.postBatch(index, prev, first + uint64(queues.length) - 1, queueEnd, acc, data, chunkRoots);
    }

    /// @dev Proves batch `index` of `target` from its header, as PROVER, and returns the fault
    ///      it was proven with; `NoFraud` (and the batch kept) is returned as `type(uint8).max`.
    function _proveQueueHeader(BatchInbox target, uint256 index, bytes memory data) internal returns (uint8 fault) {
        uint256 count = target.batchCount();
        vm.recordLogs();
        (bool ok, bytes memory ret) = _prove(target, PROVER, abi.encodeCall(BatchInbox.proveHeaderFraud, (index, data)));
        if (!ok) {
            assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(BatchInbox.NoFraud.selector)), "NoFraud");
            assertEq(target.batchCount(), count, "no fraud: nothing rolled back");
            return type(uint8).max;
        }
        assertEq(target.batchCount(), index, "rolled back from the batch");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 j; j < logs.length; j++) {
            if (logs[j].topics[0] != FRAUD_PROVEN) continue;
            (fault,,,) = abi.decode(logs[j].data, (uint8, uint256, uint256, uint256));
            return fault;
        }
        fail("no FraudProven event");
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory x) {
        x = new uint256[](2);
        (x[0], x[1]) = (a, b);
    }

    /// @notice New faults and outcomes keep the numbers of the others (Rust decodes them).
    function test_faultNumbersAreStable() public pure {
        assertEq(uint256(BatchInbox.Fault.WrongChunkRoot), 7, "WrongChunkRoot");
        assertEq(uint256(BatchInbox.Fault.WrongQueueCount), 8, "WrongQueueCount");
        assertEq(uint256(BatchInbox.Fault.BlobDataMismatch), 9, "BlobDataMismatch");
        assertEq(uint256(BatchInbox.Fault.CannotPay), 10, "CannotPay");
        assertEq(uint256(BatchInbox.Fault.WrongL1Price), 11, "WrongL1Price");
        assertEq(uint256(ChunkVerifier.Outcome.CannotPay), 4, "Outcome.CannotPay");
        assertEq(uint256(ChunkVerifier.Outcome.WrongL1Price), 5, "Outcome.WrongL1Price");
    }

    /// @notice Batch 0 consumes entries 0-1 and batch 1 entries 2-4 of the queue, as posted,
    ///         and their headers say so: neither header proves fraud.
    function test_queueCountsMatchingThePostsAreNoFraud() public {
        (BatchInbox target,) = _queueInbox(5);
        bytes memory data0 = _postQueue(target, _two(1, 1), 2, type(uint256).max);
        // Entries 2-4 in blocks of 1 and 2 entries: a beginning and a chunk an entry each.
        bytes memory data1 = _postQueue(target, _two(1, 2), 5, type(uint256).max);
        assertEq(target.getBatch(1).chunkCount, 5, "five chunks");
        (, uint64 first, uint64 last, uint256 chunks, uint256 entries) =
            verifier.decoder().inspectHeader(data1, QUEUE_CHUNK_SIZE);
        assertEq(uint256(first), 3, "first block");
        assertEq(uint256(last), 4, "last block");
        assertEq(chunks, 5, "chunks");
        assertEq(entries, 3, "inspectHeader: the queue count");
        // Data that does not decode (version 1 here) has no queue count.
        bytes memory v1 = bytes.concat(data1);
        v1[0] = 0x01;
        bool decodes;
        (decodes, first, last, chunks, entries) = verifier.decoder().inspectHeader(v1, QUEUE_CHUNK_SIZE);
        assertFalse(decodes, "version 1 does not decode");
        assertEq(uint256(first) + last + chunks + entries, 0, "all zero");
        assertEq(_proveQueueHeader(target, 1, data1), type(uint8).max, "batch 1: no fraud");
        assertEq(_proveQueueHeader(target, 0, data0), type(uint8).max, "batch 0: no fraud");
        assertEq(target.batchCount(), 2, "both kept");
    }

    /// @notice Batch 1 is posted as consuming entries 2-4 (3 entries) but its blocks consume 4
    ///         entries: proven `WrongQueueCount`; so is a batch 0 whose blocks consume more
    ///         than the entries it was posted with.
    function test_moreQueueEntriesThanPostedIsWrongQueueCount() public {
        (BatchInbox target,) = _queueInbox(5);
        _postQueue(target, _two(1, 1), 2, type(uint256).max);
        bytes memory data1 = _postQueue(target, _two(2, 2), 5, type(uint256).max);
        assertEq(_proveQueueHeader(target, 1, data1), uint8(BatchInbox.Fault.WrongQueueCount), "4 entries for 3 posted");
        assertEq(uint256(target.lastQueueEnd()), 2, "the queue position goes back to batch 0's");

        (target,) = _queueInbox(5);
        bytes memory data0 = _postQueue(target, _two(2, 1), 2, type(uint256).max);
        assertEq(
            _proveQueueHeader(target, 0, data0), uint8(BatchInbox.Fault.WrongQueueCount), "batch 0: 3 for 2 posted"
        );
    }

    /// @notice A rollback gives the entries it leaves waiting again a fresh freeze delay: a
    ///         proof against a batch that consumed long-waiting entries cannot let anyone freeze
    ///         the chain before its batcher could post again (docs/bridge.md §7).
    function test_aRollbackRestartsTheFreezeDelay() public {
        (BatchInbox target,) = _queueInbox(3);
        uint256 queued = block.number;
        // Batch 0 consumes all three entries, but its blocks say four: fraudulent.
        bytes memory data0 = _postQueue(target, _two(2, 2), 3, type(uint256).max);
        // Long after the entries were queued, the batch is proven wrong and rolled back.
        vm.roll(queued + 5 * INCLUSION);
        assertEq(_proveQueueHeader(target, 0, data0), uint8(BatchInbox.Fault.WrongQueueCount), "proven");
        uint256 rolledBack = block.number;
        assertEq(target.lastRollbackBlock(), rolledBack, "rollback block");
        // Entry 0 waited five windows, but the rollback was just now: no freeze yet.
        uint256 freezable = rolledBack + FREEZE_DELAY + 1;
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.FreezeNotDue.selector, 0, freezable));
        target.freeze();
        // Entry 3 is the reading of the L1's fees batch 0's post queued (docs/fees.md §4): it is
        // overdue too, and a post that leaves it behind is refused.
        (uint256 length,,) = target.bridge().queueAt(0);
        assertEq(length, 4, "three deposits and a reading");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.QueueEntryOverdue.selector, 3, queued, queued + INCLUSION));
        this.postQueue(target, _two(2, 1), 3);
        // The batcher posts again, including every entry (they are overdue: it must); its post
        // reads the L1's fees again (an hour and more after the last reading), entry 4.
        _postQueue(target, _two(2, 2), 4, type(uint256).max);
        uint256 reposted = block.number;
        (length,,) = target.bridge().queueAt(0);
        assertEq(length, 5, "a new reading");
        vm.roll(reposted + FREEZE_DELAY);
        // Only the new reading waits, and it waits its own delay (here as long as the rollback's).
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.FreezeNotDue.selector, 4, reposted + FREEZE_DELAY + 1));
        target.freeze();
    }

    /// @dev `_postQueue` as an external call, for `expectRevert`.
    function postQueue(BatchInbox target, uint256[] memory queues, uint64 queueEnd) external {
        _postQueue(target, queues, queueEnd, type(uint256).max);
    }

    /// @notice Fewer entries in the blocks than posted (including none at all) is
    ///         `WrongQueueCount` too.
    function test_fewerQueueEntriesThanPostedIsWrongQueueCount() public {
        (BatchInbox target,) = _queueInbox(5);
        _postQueue(target, _two(1, 1), 2, type(uint256).max);
        bytes memory data1 = _postQueue(target, _two(1, 1), 5, type(uint256).max);
        assertEq(_proveQueueHeader(target, 1, data1), uint8(BatchInbox.Fault.WrongQueueCount), "2 entries for 3 posted");

        (target,) = _queueInbox(5);
        bytes memory data0 = _postQueue(target, _two(0, 0), 2, 1);
        assertEq(_proveQueueHeader(target, 0, data0), uint8(BatchInbox.Fault.WrongChunkCount), "the chunk count first");
        (target,) = _queueInbox(5);
        data0 = _postQueue(target, _two(0, 0), 2, 0);
        assertEq(
            _proveQueueHeader(target, 0, data0), uint8(BatchInbox.Fault.WrongQueueCount), "batch 0: none for 2 posted"
        );
    }

    /// @notice A chunk proof of a chunk that holds a queue entry (one at most: each entry has a
    ///         chunk of its own) must give exactly its contents (the verifier counts them from
    ///         the header); forced transactions that are not transactions are skipped. A chunk
    ///         whose transactions do not decode is `Undecodable`.
    function test_chunkProofsGiveTheirQueueEntries() public {
        _checkChunkBlockNumber();
        // Block 1: () (e0) (e1) (e2); block 2: () (e3) (e4), () a block's beginning.
        (bytes memory data,) = _queueData(1, _two(3, 2));
        uint256[] memory all = new uint256[](1);
        BatchDecoder.DataProof memory proof = _dataProof(data, all);
        BatchDecoder decoder = verifier.decoder();
        (bool decodes, BatchCodec.Tx[] memory txs, BatchCodec.Chunk memory located) =
            decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 3);
        assertTrue(decodes, "an entry's chunk decodes");
        assertEq(txs.length, 0, "to no transaction");
        assertEq(located.queueOffset, 2, "queueOffset");
        assertEq(located.queueCount, 1, "queueCount");
        (decodes, txs, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 4);
        assertTrue(decodes, "a beginning decodes");
        assertEq(txs.length, 0, "a beginning: no transaction");
        assertEq(located.queueOffset, 3, "chunk 4 (beginning): queueOffset");
        assertEq(located.queueCount, 0, "chunk 4 (beginning): queueCount");
        (,, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 5);
        assertEq(located.queueOffset, 3, "chunk 5: queueOffset");
        assertEq(located.queueCount, 1, "chunk 5: queueCount");
        (,, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 6);
        assertEq(located.queueOffset, 4, "chunk 6: queueOffset");
        assertEq(located.queueCount, 1, "chunk 6: queueCount");
        ChunkVerifier.Params memory params = ChunkVerifier.Params(
            QUEUE_CHUNK_SIZE, 42069, StateWitness.preRoot(StateWitness.decode(_genesisFees())), 10
        );
        // The witness of the genesis state (the fee state alone) proves the keys every replay
        // reads: the fee state and the vault's ether.
        // And, entering its block, the clock (`ClockLogic`: at timestamp 0 it stays 0).
        bytes32[] memory feeKey = new bytes32[](4);
        feeKey[0] = StateKeys.feeState();
        feeKey[1] = StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT);
        feeKey[2] = StateKeys.l1Fees();
        feeKey[3] = StateKeys.clock();
        // Chunk 5, replayed from the genesis state (not yet in block 2), enters the block itself.
        ChunkVerifier.ChunkProof memory chunk =
            ChunkVerifier.ChunkProof(5, feeKey, _genesisFees(), new BridgeQueue.Contents[](2), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ChunkVerifier.QueueEntryCount.selector, 1, 2));
        verifier.replayChunk(proof, params, chunk);
        // The chunk's entry is queue entry 13 (the batch starts at 10). A forced transaction
        // that is not a transaction: skipped (no state change), and chained into the
        // accumulator the inbox then checks against the bridge.
        chunk.entries = new BridgeQueue.Contents[](1);
        chunk.entries[0].kind = BridgeQueue.KIND_FORCED_TX;
        (ChunkVerifier.Outcome replayed,, bytes32 post, ChunkVerifier.QueueSpan memory span) =
            verifier.replayChunk(proof, params, chunk);
        assertEq(uint256(replayed), uint256(ChunkVerifier.Outcome.Executed), "a skipped entry replays");
        assertEq(post, _feeStateOnly(2, 8), "nothing changed the genesis state but the fee state (block 2's)");
        assertEq(span.first, 13, "first queue index");
        assertEq(span.count, 1, "count");
        bytes32 acc = BridgeQueue.chain(bytes32(0), BridgeQueue.forcedTxHash(address(0), ""), 0);
        assertEq(span.accAfter, acc, "accumulator after it");
        // Chunk 6, queue entry 14, replayed from there (the block entered): chained after entry
        // 13, nothing changed.
        chunk = ChunkVerifier.ChunkProof(6, feeKey, _feesAt(2, 8), new BridgeQueue.Contents[](1), acc);
        chunk.entries[0].kind = BridgeQueue.KIND_FORCED_TX;
        chunk.entries[0].raw = hex"02c0";
        params.preRoot = post;
        (replayed,, post, span) = verifier.replayChunk(proof, params, chunk);
        assertEq(uint256(replayed), uint256(ChunkVerifier.Outcome.Executed), "the next entry replays");
        assertEq(post, params.preRoot, "nothing changed");
        assertEq(span.first, 14, "chunk 6: first queue index");
        assertEq(span.count, 1, "chunk 6: count");
        assertEq(span.accBefore, acc, "chunk 6: accumulator before it");
        assertEq(
            span.accAfter,
            BridgeQueue.chain(acc, BridgeQueue.forcedTxHash(address(0), hex"02c0"), 0),
            "chunk 6: accumulator after it"
        );

        // The same blocks committing 10 wei a byte, more than an eighth above the genesis price
        // of 8: `WrongL1Price` before the entry runs, from the fee state alone; the entry is
        // chained all the same, for the inbox to check against the bridge.
        (data,) = _queueDataAt(1, _two(3, 2), hex"21");
        proof = _dataProof(data, all);
        (,, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 5);
        assertEq(uint256(located.l1BytePrice), 10, "the price of the chunk's block");
        params.preRoot = StateWitness.preRoot(StateWitness.decode(_genesisFees()));
        chunk = ChunkVerifier.ChunkProof(5, new bytes32[](2), _genesisFees(), new BridgeQueue.Contents[](1), bytes32(0));
        chunk.entries[0].kind = BridgeQueue.KIND_FORCED_TX;
        (chunk.keys[0], chunk.keys[1]) = (StateKeys.feeState(), StateKeys.l1Fees());
        uint256 index;
        (replayed, index, post, span) = verifier.replayChunk(proof, params, chunk);
        assertEq(uint256(replayed), uint256(ChunkVerifier.Outcome.WrongL1Price), "WrongL1Price");
        assertEq(index, 0, "no transaction at fault");
        assertEq(post, bytes32(0), "no root");
        assertEq(span.first, 13, "WrongL1Price: first queue index");
        assertEq(span.count, 1, "WrongL1Price: count");
        assertEq(span.accAfter, acc, "WrongL1Price: accumulator after it");

        // One block of 1 entry and 1 transaction whose 68 bytes do not decode (zero fees
        // written out, the batch's defaults): its beginning and its entry's chunk (chunk lengths 0),
        // then the transaction's chunk, Undecodable. The entry's chunk still decodes.
        data = abi.encodePacked(hex"08000000", hex"01000100010100", hex"00", hex"00", hex"000044", new bytes(68));
        proof = _dataProof(data, all);
        (decodes,, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 2);
        assertFalse(decodes, "does not decode");
        assertEq(located.queueOffset, 1, "queueOffset all the same: after the block's entry");
        assertEq(located.queueCount, 0, "no entry with the transactions");
        (decodes,, located) = decoder.decodeChunk(proof, QUEUE_CHUNK_SIZE, 1);
        assertTrue(decodes, "the entry's chunk decodes");
        assertEq(located.queueOffset, 0, "the entry's chunk: queueOffset");
        assertEq(located.queueCount, 1, "the entry's chunk: queueCount");
        chunk = ChunkVerifier.ChunkProof(2, new bytes32[](0), "", new BridgeQueue.Contents[](0), bytes32(0));
        (ChunkVerifier.Outcome outcome,,,) = verifier.replayChunk(proof, params, chunk);
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Undecodable), "Undecodable");
    }

    /// @dev The decoder names the block of a chunk, and the L1 price the block commits.
    function _checkChunkBlockNumber() private view {
        (bytes memory data,) = _queueData(1, _two(3, 2));
        uint256[] memory all = new uint256[](1);
        (,, BatchCodec.Chunk memory c) = verifier.decoder().decodeChunk(_dataProof(data, all), QUEUE_CHUNK_SIZE, 2);
        assertEq(uint256(c.blockNumber), 1, "the chunk's block");
        assertEq(uint256(c.l1BytePrice), 8, "its L1 price");
        // Its offset is the chunk's in the data (an entry's chunk has no byte).
        assertEq(c.length, 0, "no byte");
        assertEq(c.offset, data.length, "after the chunk lengths");
    }

    /// @dev The genesis fee state (docs/fees.md §6): block 0, no gas, the lowest L1 price and
    ///      base fee.
    uint256 constant GENESIS_FEES = (FeeLogic.MIN_L1_BYTE_PRICE << 96) | FeeLogic.MIN_BASE_FEE;

    /// @dev The witness of a state that holds the genesis fee state alone.
    function _genesisFees() private pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), StateKeys.feeState(), GENESIS_FEES);
    }

    /// @dev The root of the genesis state (`_genesisFees`) after a chunk of block `number` that
    ///      held no transaction and committed `l1BytePrice`: the fee state alone, at the block
    ///      (no gas, the base fee that follows block 0).
    function _feeStateOnly(uint256 number, uint256 l1BytePrice) private pure returns (bytes32) {
        StateWitness.Tree memory tree = StateWitness.decode(_genesisFees());
        StateWitness.set(tree, StateKeys.feeState(), _feeWord(number, l1BytePrice));
        return StateWitness.postRoot(tree);
    }

    /// @dev The fee state of `_feeStateOnly`: at block `number`, no gas, `l1BytePrice`, the base
    ///      fee that follows block 0.
    function _feeWord(uint256 number, uint256 l1BytePrice) private pure returns (uint256) {
        return (number << 192) | (l1BytePrice << 96) | FeeLogic.baseFeeOf(GENESIS_FEES, number);
    }

    /// @dev The witness of the state `_feeStateOnly(number, l1BytePrice)`: that fee state alone.
    function _feesAt(uint256 number, uint256 l1BytePrice) private pure returns (bytes memory) {
        return abi.encodePacked(uint8(1), StateKeys.feeState(), _feeWord(number, l1BytePrice));
    }

    /// @notice A block whose L1 price is more than an eighth from the fee state's is proven
    ///         `WrongL1Price` through the inbox at the block's beginning (its chunk 0, with no
    ///         item, which enters the block), from the fee state alone; one within the bound is
    ///         no such fault (docs/fees.md §4). The chunks of its two forced transactions, one
    ///         an entry after it, read no price, and the inbox still checks their entries
    ///         against the bridge.
    function test_wrongL1PriceIsProven() public {
        bytes memory witness = _genesisFees();
        bytes32 genesis = StateWitness.preRoot(StateWitness.decode(witness));
        // Entering a block reads the fee state and the chain's reading of the L1's fees (absent
        // here: no cap).
        bytes32[] memory feeKey = new bytes32[](2);
        feeKey[0] = StateKeys.feeState();
        feeKey[1] = StateKeys.l1Fees();
        // From the genesis price of 8 wei a byte: 9 is within an eighth, 10 is not (0x21: 1·10^1).
        (BatchInbox target, BridgeQueue.Contents[] memory entries) = _forcedInbox(genesis);
        // The beginning's root, and the entries' chunks' (which change nothing).
        bytes32 root = _feeStateOnly(1, 9);
        bytes memory data = _postForced(target, hex"a002", root);
        bytes32[] memory keys = new bytes32[](4);
        keys[0] = StateKeys.feeState();
        keys[1] = StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT);
        keys[2] = StateKeys.l1Fees();
        keys[3] = StateKeys.clock();
        ChunkVerifier.ChunkProof memory proof =
            ChunkVerifier.ChunkProof(0, keys, witness, new BridgeQueue.Contents[](0), bytes32(0));
        (bool ok, bytes memory ret) = _prove(target, PROVER, _chunkCall(data, root, proof));
        assertFalse(ok, "9 after 8: no fraud");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.NoFraud.selector, "NoFraud");

        (target, entries) = _forcedInbox(genesis);
        root = _feeStateOnly(1, 10);
        data = _postForced(target, hex"21", root);
        // Each entry's chunk replays from the root before it, the fee state already in the
        // block: it reads no price. An entry that is not the bridge's proves nothing; the
        // bridge's replay to the posted root (forced transactions that are not transactions
        // change nothing). The second entry's chunk chains from the bridge's accumulator after
        // the first.
        keys = new bytes32[](2);
        (keys[0], keys[1]) = (StateKeys.feeState(), StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT));
        (, bytes32 afterFirst,) = target.bridge().queueAt(1);
        ChunkVerifier.ChunkProof memory items =
            ChunkVerifier.ChunkProof(2, keys, _feesAt(1, 10), entryAt(entries, 1), afterFirst);
        items.entries[0].l1Block += 1;
        (ok, ret) = _prove(target, PROVER, _chunkCall(data, root, items));
        assertFalse(ok, "forged entries");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.QueueEntriesMismatch.selector, "QueueEntriesMismatch");
        items.entries[0].l1Block -= 1;
        (ok, ret) = _prove(target, PROVER, _chunkCall(data, root, items));
        assertFalse(ok, "the second entry's chunk: no fraud");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.NoFraud.selector, "the second entry's chunk: NoFraud");
        items = ChunkVerifier.ChunkProof(1, keys, _feesAt(1, 10), entryAt(entries, 0), bytes32(0));
        (ok, ret) = _prove(target, PROVER, _chunkCall(data, root, items));
        assertFalse(ok, "the first entry's chunk: no fraud");
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), BatchInbox.NoFraud.selector, "the first entry's chunk: NoFraud");
        // The beginning, from the fee state and the reading alone.
        proof.keys = feeKey;
        vm.recordLogs();
        (ok, ret) = _prove(target, PROVER, _chunkCall(data, root, proof));
        // forge-lint: disable-next-line(unsafe-typecast)
        assertTrue(ok, vm.toString(bytes32(ret))); // the first word of the reason, for the message
        assertEq(target.batchCount(), 0, "rolled back");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 fault = type(uint256).max;
        for (uint256 j; j < logs.length; j++) {
            if (logs[j].topics[0] == FRAUD_PROVEN) {
                (fault,,,) = abi.decode(logs[j].data, (uint8, uint256, uint256, uint256));
            }
        }
        assertEq(fault, uint256(BatchInbox.Fault.WrongL1Price), "WrongL1Price");
    }

    /// @notice The filler-block ratchet of issue 53: within an eighth a block, a batcher could
    ///         raise the L1 price without end by blocks of its own. The chain's reading of the
    ///         L1's fees caps it (docs/fees.md §4): with a reading of a 3 gwei base fee the cap is
    ///         16 × 40 × (3 + 2) gwei = 3.2 · 10^12 wei a byte, and after a parent of 3 · 10^12 a
    ///         block may commit 3.2 · 10^12 but not 3.3 · 10^12, though both are within an eighth.
    ///         The proof, of the block's beginning, reads the fee state and the reading alone.
    function test_anL1PriceAboveTheL1sCapIsProven() public {
        uint256 parent = 3e12;
        bytes32[] memory keys = new bytes32[](2);
        bytes32[] memory values = new bytes32[](2);
        (keys[0], keys[1]) = (StateKeys.feeState(), StateKeys.l1Fees());
        (values[0], values[1]) = (bytes32((parent << 96) | FeeLogic.MIN_BASE_FEE), bytes32(uint256(3e9) << 128 | 1));
        if (keys[0] > keys[1]) {
            (keys[0], keys[1]) = (keys[1], keys[0]);
            (values[0], values[1]) = (values[1], values[0]);
        }
        bytes memory witness = _encodeFull(keys, values, 0, 2, 0);
        bytes32 genesis = StateWitness.preRoot(StateWitness.decode(witness));
        assertEq(FeeLogic.l1PriceCap(uint256(3e9) << 128 | 1), 3.2e12, "the cap");
        bytes32[] memory read = new bytes32[](4);
        (read[0], read[1], read[2], read[3]) =
        (
            StateKeys.feeState(),
            StateKeys.l1Fees(),
            StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT),
            StateKeys.clock()
        );
        // At the cap (0x8b08: 32·10^11) the block's beginning enters it: a wrong root is what the
        // proof shows, not its price.
        (BatchInbox target,) = _forcedInbox(genesis);
        bytes32 root = keccak256("any root");
        bytes memory data = _postForced(target, hex"8b08", root);
        ChunkVerifier.ChunkProof memory proof =
            ChunkVerifier.ChunkProof(0, read, witness, new BridgeQueue.Contents[](0), bytes32(0));
        (bool proven, uint256 fault) = _proveAndReadFault(target, _chunkCall(data, root, proof));
        assertTrue(proven, "a wrong root");
        assertEq(fault, uint256(BatchInbox.Fault.WrongChunkRoot), "at the cap: WrongChunkRoot");
        // Above it (0xab08: 33·10^11), within an eighth of the parent: WrongL1Price.
        (target,) = _forcedInbox(genesis);
        data = _postForced(target, hex"ab08", root);
        (proven, fault) = _proveAndReadFault(target, _chunkCall(data, root, proof));
        assertTrue(proven, "proven");
        assertEq(fault, uint256(BatchInbox.Fault.WrongL1Price), "WrongL1Price");
    }

    /// @dev Proves `call` as the prover; whether it succeeded and the fault `FraudProven` named.
    function _proveAndReadFault(BatchInbox target, bytes memory call) private returns (bool ok, uint256 fault) {
        vm.recordLogs();
        (ok,) = _prove(target, PROVER, call);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        fault = type(uint256).max;
        for (uint256 j; j < logs.length; j++) {
            if (logs[j].topics[0] == FRAUD_PROVEN) {
                (fault,,,) = abi.decode(logs[j].data, (uint8, uint256, uint256, uint256));
            }
        }
    }

    /// @dev An inbox of chunk size 2 whose genesis root is `genesis`, with a bridge holding two
    ///      forced "transactions" that are not transactions (skipped on L2), and their contents.
    function _forcedInbox(bytes32 genesis) private returns (BatchInbox target, BridgeQueue.Contents[] memory entries) {
        target = new BatchInbox(BATCHER, WINDOW, BOND, genesis, QUEUE_CHUNK_SIZE, 42069, verifier, FREEZE_DELAY);
        target.stake{value: BOND}();
        L1Bridge bridge = new L1Bridge(target, INCLUSION);
        target.attachBridge(IBridgeQueue(address(bridge)));
        entries = new BridgeQueue.Contents[](2);
        (entries[0].raw, entries[1].raw) = (hex"01", hex"02c0");
        for (uint256 i; i < 2; i++) {
            (entries[i].kind, entries[i].from, entries[i].l1Block) =
            (BridgeQueue.KIND_FORCED_TX, DEPOSITOR, uint64(block.number));
            vm.prank(DEPOSITOR);
            bridge.forceTransaction(entries[i].raw);
        }
    }

    /// @dev Posts batch 0 of `target`: block 1 committing the L1 price written as `price` and
    ///      consuming the two entries, in its beginning (chunk 0) then a chunk for each entry,
    ///      all three of posted root `root`.
    function _postForced(BatchInbox target, bytes memory price, bytes32 root) private returns (bytes memory data) {
        (data,) = _queueDataAt(1, _one(2), price);
        bytes32[] memory roots = _forcedRoots(root);
        (, bytes32 acc,) = target.bridge().queueAt(2);
        bytes32 genesis = target.genesisStateRoot();
        vm.prank(BATCHER, BATCHER);
        target.postBatch(0, genesis, 1, 2, acc, data, roots);
    }

    function _one(uint256 a) internal pure returns (uint256[] memory x) {
        x = new uint256[](1);
        x[0] = a;
    }

    /// @dev The chunk roots `_postForced` posts: `root` for the beginning and each entry's chunk.
    function _forcedRoots(bytes32 root) private pure returns (bytes32[] memory roots) {
        roots = new bytes32[](3);
        (roots[0], roots[1], roots[2]) = (root, root, root);
    }

    /// @dev The chunk proof of batch 0 of `data` (one segment, three chunks of posted root
    ///      `root`).
    function _chunkCall(bytes memory data, bytes32 root, ChunkVerifier.ChunkProof memory proof)
        private
        pure
        returns (bytes memory)
    {
        return abi.encodeCall(
            BatchInbox.proveChunkFraud, (0, _dataProof(data, new uint256[](1)), _forcedRoots(root), proof)
        );
    }

    // -----------------------------------------------------------------------------------------
    // The queue batch of the vectors: deposits replayed by chunk proofs.

    /// @dev An inbox whose bridge holds the vectors' deposits, made on L1 as the Rust side
    ///      describes them (depositor, recipient, amount, L1 block), with the queue batch
    ///      posted as batch 0, consuming them all.
    function _queueVectorInbox(Proof memory p) internal returns (BatchInbox target) {
        target = _inbox();
        L1Bridge bridge = new L1Bridge(target, 1000);
        target.attachBridge(IBridgeQueue(address(bridge)));
        uint256 n = _makeVectorDeposits(bridge);
        (, bytes32 acc,) = bridge.queueAt(n);
        assertEq(acc, vm.parseJsonBytes32(json, ".deposits.accumulator"), "the bridge chains the deposits as Rust does");
        bytes32 genesis = target.genesisStateRoot();
        vm.prank(BATCHER, BATCHER);
        // forge-lint: disable-next-line(unsafe-typecast)
        target.postBatch(0, genesis, p.lastBlock, uint64(n), acc, p.data, p.chunkRoots);
    }

    /// @dev Makes the vectors' queue entries on `bridge` (ether deposits, forced transactions),
    ///      each in its L1 block, and returns their number.
    function _makeVectorDeposits(L1Bridge bridge) internal returns (uint256) {
        address depositor = vm.parseJsonAddress(json, ".deposits.depositor");
        uint256[] memory kind = vm.parseJsonUintArray(json, ".deposits.kind");
        bytes[] memory raw = vm.parseJsonBytesArray(json, ".deposits.raw");
        address[] memory to = vm.parseJsonAddressArray(json, ".deposits.to");
        uint256[] memory amount = vm.parseJsonUintArray(json, ".deposits.amount");
        uint256[] memory l1Block = vm.parseJsonUintArray(json, ".deposits.l1Block");
        for (uint256 i; i < to.length; i++) {
            vm.roll(l1Block[i]);
            vm.deal(depositor, amount[i]);
            vm.prank(depositor);
            if (kind[i] == BridgeQueue.KIND_FORCED_TX) bridge.forceTransaction(raw[i]);
            else bridge.depositETH{value: amount[i]}(to[i]);
        }
        vm.roll(B0);
        return to.length;
    }

    /// No chunk proof of the honest queue batch succeeds: its deposits replay to its roots.
    function test_queueBatchCannotBeProven() public {
        uint256 n = _count("queueHonest");
        assertGt(n, 0, "queue vectors");
        BatchInbox target = _queueVectorInbox(_proof("queueHonest", 0));
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("queueHonest", i);
            (bool ok, bytes memory ret) = _prove(target, PROVER, _call(0, p));
            assertFalse(ok, p.name);
            // forge-lint: disable-next-line(unsafe-typecast)
            assertEq(bytes4(ret), BatchInbox.NoFraud.selector, p.name);
        }
        assertEq(target.batchCount(), 1, "still there");
    }

    /// A wrong root at a chunk holding deposits is proven; a proof whose entries are not the
    /// bridge's (an amount or an L1 block changed) proves nothing, whatever the roots.
    function test_queueFraudsAreProvenAndForgedEntriesRefused() public {
        uint256 n = _count("queueFrauds");
        for (uint256 i; i < n; i++) {
            Proof memory p = _proof("queueFrauds", i);
            BatchInbox target = _queueVectorInbox(p);
            vm.recordLogs();
            (bool ok, bytes memory ret) = _prove(target, PROVER, _call(0, p));
            if (p.fault == 254) {
                assertFalse(ok, p.name);
                // forge-lint: disable-next-line(unsafe-typecast)
                assertEq(bytes4(ret), BatchInbox.QueueEntriesMismatch.selector, p.name);
                assertEq(target.batchCount(), 1, p.name);
                continue;
            }
            assertTrue(ok, string.concat(p.name, ": ", vm.toString(bytes32(ret))));
            assertEq(target.batchCount(), 0, p.name);
            // Chunk proofs, every one: the helper checks their chunk too.
            assertFalse(p.header, p.name);
            _assertFraudProven(p);
        }
    }
}
