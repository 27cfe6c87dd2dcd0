// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {BatchInbox} from "../src/l1/BatchInbox.sol";
import {ChunkVerifier} from "../src/l1/ChunkVerifier.sol";
import {L1Bridge} from "../src/l1/L1Bridge.sol";
import {TestToken} from "../src/l1/TestToken.sol";
import {BridgeQueue, IBridgeQueue} from "../src/lib/BridgeQueue.sol";
import {SparseMerkle} from "../src/lib/SparseMerkle.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";

/// @dev L1 blocks an unconsumed queue entry waits before the inbox may be frozen: two of the
///      bridge tests' inclusion windows (20 blocks).
uint256 constant FREEZE_DELAY = 40;

/// @dev A token that keeps 1 % of every transfer.
contract FeeToken is TestToken {
    constructor() TestToken("Fee", "FEE", 6) {}

    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        uint256 fee = amount / 100;
        _spend(from, msg.sender, amount);
        _move(from, to, amount - fee);
        _move(from, address(0xFEE), fee);
        return true;
    }
}

/// @dev An old-style token: `symbol()` returns bytes32, `transfer` returns nothing, no `decimals()`.
contract OldToken {
    mapping(address => uint256) public balanceOf;

    function symbol() external pure returns (bytes32) {
        return "OLD";
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function transferFrom(address from, address to, uint256 amount) external {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
    }

    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }
}

/// @dev A token that answers `symbol()` with garbage and `transferFrom` without moving anything.
contract HollowToken {
    function symbol() external pure returns (uint256, uint256) {
        return (type(uint256).max, 5);
    }

    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }
}

/// @dev A recipient that tries to finalize again while being paid.
contract GreedyRecipient {
    bytes public again;
    bool public reentryRefused;

    function arm(bytes calldata call) external {
        again = call;
    }

    receive() external payable {
        (bool ok,) = msg.sender.call(again);
        reentryRefused = !ok;
    }
}

/// @dev Builds state trees of withdrawal leaves and proofs of them, and posts their roots to
///      an inbox as batches.
abstract contract WithdrawalTrees {
    bytes32[] internal keys;
    bytes32[] internal values;

    /// @dev Adds a leaf, keeping `keys` ascending.
    function _addLeaf(bytes32 key, bytes32 value) internal {
        // A zero value is an absent key.
        if (value == 0) return;
        keys.push(key);
        values.push(value);
        uint256 i = keys.length - 1;
        while (i > 0 && keys[i - 1] > key) {
            (keys[i], keys[i - 1]) = (keys[i - 1], keys[i]);
            (values[i], values[i - 1]) = (values[i - 1], values[i]);
            i--;
        }
    }

    function _root() internal view returns (bytes32) {
        return SparseMerkle.computeRoot(keys, values);
    }

    function _one(bytes32 h) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = h;
    }

    /// @dev The siblings of `key`'s leaf (docs/state-commitment.md §5.2).
    function _proof(bytes32 key) internal view returns (bytes32[] memory siblings) {
        bytes32[] memory k = keys;
        bytes32[] memory v = values;
        siblings = new bytes32[](256);
        uint256 lo;
        uint256 hi = k.length;
        uint256 depth;
        while (hi - lo > 1) {
            uint256 mid = lo;
            while (mid < hi && SparseMerkle.bitAt(k[mid], depth) == 0) mid++;
            if (SparseMerkle.bitAt(key, depth) == 0) {
                siblings[depth] = SparseMerkle.subtree(k, v, mid, hi, depth + 1);
                hi = mid;
            } else {
                siblings[depth] = SparseMerkle.subtree(k, v, lo, mid, depth + 1);
                lo = mid;
            }
            depth++;
        }
        require(k[lo] == key, "no such leaf");
        assembly ("memory-safe") {
            mstore(siblings, depth)
        }
    }

    /// @dev `key`'s value in the tree with its proof, present or absent (`L1Bridge.StateValue`):
    ///      the path ends at its leaf, another key's leaf or an empty subtree.
    function _value(bytes32 key) internal view returns (L1Bridge.StateValue memory out) {
        bytes32[] memory k = keys;
        bytes32[] memory v = values;
        bytes32[] memory siblings = new bytes32[](256);
        uint256 lo;
        uint256 hi = k.length;
        uint256 depth;
        while (hi - lo > 1) {
            uint256 mid = lo;
            while (mid < hi && SparseMerkle.bitAt(k[mid], depth) == 0) mid++;
            if (SparseMerkle.bitAt(key, depth) == 0) {
                siblings[depth] = SparseMerkle.subtree(k, v, mid, hi, depth + 1);
                hi = mid;
            } else {
                siblings[depth] = SparseMerkle.subtree(k, v, lo, mid, depth + 1);
                lo = mid;
            }
            depth++;
        }
        if (hi - lo == 1) {
            if (k[lo] == key) out.value = v[lo];
            else (out.otherKey, out.otherValue) = (k[lo], v[lo]);
        }
        assembly ("memory-safe") {
            mstore(siblings, depth)
        }
        out.siblings = siblings;
    }

    /// @dev Posts a calldata batch whose state root is `root`, as `batcher`.
    function _post(BatchInbox inbox, address batcher, bytes32 root) internal returns (uint256 index) {
        index = inbox.batchCount();
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = root;
        bytes32 prev = inbox.lastStateRoot();
        (uint64 end, bytes32 acc) = _wholeQueue(inbox);
        vm.prank(batcher, batcher);
        inbox.postBatch(index, prev, uint64(index + 1), end, acc, hex"01", roots);
    }

    /// @dev The position and accumulator of a batch that consumes every queued entry.
    function _wholeQueue(BatchInbox inbox) internal view returns (uint64 end, bytes32 acc) {
        IBridgeQueue b = inbox.bridge();
        if (address(b) == address(0)) return (0, bytes32(0));
        (uint256 length,,) = b.queueAt(0);
        (, acc,) = b.queueAt(length);
        end = uint64(length);
    }
}

/// @notice The L1 bridge: the queue of deposits and forced transactions, and withdrawals
///         proven against final batches.
contract L1BridgeTest is Test, WithdrawalTrees {
    address constant BATCHER = address(0xBA7C4E5);
    address constant ALICE = address(0xA11CE);
    address constant BOB = address(0xB0B);
    uint256 constant WINDOW = 7 days;
    uint256 constant INCLUSION = 20;
    /// @dev A token created on L2 (no L1 origin).
    address constant L2T = address(0x12D0);

    BatchInbox inbox;
    L1Bridge bridge;
    TestToken token;

    function setUp() public override {
        inbox = new BatchInbox(
            BATCHER, WINDOW, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), FREEZE_DELAY
        );
        inbox.stake{value: 1 ether}();
        bridge = new L1Bridge(inbox, INCLUSION);
        inbox.attachBridge(IBridgeQueue(address(bridge)));
        token = new TestToken("Test Token", "TST", 18);
        vm.roll(100);
        vm.warp(1_700_000_000);
    }

    function test_an_ether_deposit_is_queued_and_locked() public {
        vm.deal(ALICE, 5 ether);
        vm.prank(ALICE);
        uint256 index = bridge.depositETH{value: 2 ether}(BOB);
        assertEq(index, 0, "first entry");
        assertEq(bridge.queueLength(), 1, "one entry");
        assertEq(bridge.locked(address(0)), 2 ether, "locked");
        assertEq(address(bridge).balance, 2 ether, "held");
        bytes32 entryHash = BridgeQueue.depositHash(ALICE, BOB, address(0), 2 ether, bridge.ETHER_META());
        L1Bridge.Entry memory e = bridge.entry(0);
        assertEq(e.accumulator, BridgeQueue.chain(bytes32(0), entryHash, 100), "accumulator");
        assertEq(uint256(e.l1Block), 100, "l1 block");
        assertEq(uint256(e.timestamp), 1_700_000_000, "timestamp");
        assertEq(bridge.accumulatorAt(1), e.accumulator, "accumulatorAt");
        assertEq(bridge.accumulatorAt(0), bytes32(0), "empty accumulator");
        assertEq(bridge.metaOf(address(0)), (uint256(bytes32("ETH")) & ~uint256(0xff)) | 18, "ether meta");
    }

    function test_entries_of_both_kinds_chain_in_order() public {
        token.mint(ALICE, 100);
        vm.startPrank(ALICE);
        token.approve(address(bridge), 100);
        bridge.depositERC20(address(token), ALICE, 60);
        vm.roll(101);
        bytes memory raw = hex"02f86b";
        bridge.forceTransaction(raw);
        vm.roll(105);
        vm.deal(ALICE, 1);
        bridge.depositETH{value: 1}(BOB);
        vm.stopPrank();

        uint256 meta = bridge.metaOf(address(token));
        assertEq(meta, (uint256(bytes32("TST")) & ~uint256(0xff)) | 18, "token meta");
        bytes32 acc = BridgeQueue.chain(0, BridgeQueue.depositHash(ALICE, ALICE, address(token), 60, meta), 100);
        acc = BridgeQueue.chain(acc, BridgeQueue.forcedTxHash(ALICE, raw), 101);
        acc = BridgeQueue.chain(acc, BridgeQueue.depositHash(ALICE, BOB, address(0), 1, bridge.ETHER_META()), 105);
        assertEq(bridge.accumulatorAt(3), acc, "chained accumulator");
        assertEq(bridge.locked(address(token)), 60, "token locked");
        assertEq(token.balanceOf(address(bridge)), 60, "token held");
        assertEq(bridge.l2TokenOf(address(token)), StateKeys.bridgedToken(address(token)), "l2 token");
    }

    function test_a_fee_on_transfer_token_is_credited_what_arrived() public {
        FeeToken fee = new FeeToken();
        fee.mint(ALICE, 1000);
        vm.startPrank(ALICE);
        fee.approve(address(bridge), 1000);
        bridge.depositERC20(address(fee), BOB, 1000);
        vm.stopPrank();
        assertEq(bridge.locked(address(fee)), 990, "locked what arrived");
        uint256 meta = bridge.metaOf(address(fee));
        assertEq(meta, (uint256(bytes32("FEE")) & ~uint256(0xff)) | 6, "decimals read");
        bytes32 entryHash = BridgeQueue.depositHash(ALICE, BOB, address(fee), 990, meta);
        assertEq(bridge.accumulatorAt(1), BridgeQueue.chain(0, entryHash, 100), "entry carries 990");
    }

    function test_metadata_of_odd_tokens() public {
        OldToken old = new OldToken();
        old.mint(ALICE, 10);
        vm.prank(ALICE);
        bridge.depositERC20(address(old), ALICE, 10);
        assertEq(bridge.metaOf(address(old)), (uint256(bytes32("OLD")) & ~uint256(0xff)) | 18, "bytes32 symbol");

        HollowToken hollow = new HollowToken();
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NothingReceived.selector, address(hollow)));
        bridge.depositERC20(address(hollow), ALICE, 10);
    }

    function test_deposits_that_are_refused() public {
        vm.deal(ALICE, 1 ether);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroAmount.selector));
        bridge.depositETH(BOB);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidRecipient.selector));
        bridge.depositETH{value: 1}(address(0));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NotAToken.selector, BOB));
        bridge.depositERC20(BOB, ALICE, 1);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ZeroAmount.selector));
        bridge.depositERC20(address(token), ALICE, 0);
        // Not approved.
        token.mint(ALICE, 5);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.TokenTransferFailed.selector, address(token)));
        bridge.depositERC20(address(token), ALICE, 5);
        vm.stopPrank();

        uint256 cap = bridge.MAX_LOCKED();
        token.mint(ALICE, cap);
        vm.startPrank(ALICE);
        token.approve(address(bridge), type(uint256).max);
        bridge.depositERC20(address(token), ALICE, cap);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DepositCapExceeded.selector, address(token), cap, 1));
        bridge.depositERC20(address(token), ALICE, 1);
        vm.stopPrank();
        assertEq(bridge.queueLength(), 1, "only the accepted deposit is queued");
    }

    function test_forced_transactions_are_bounded() public {
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ForcedTxSize.selector, 0));
        bridge.forceTransaction("");
        uint256 max = bridge.MAX_FORCED_TX_BYTES();
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ForcedTxSize.selector, max + 1));
        bridge.forceTransaction(new bytes(max + 1));
        bridge.forceTransaction(new bytes(max));
        assertEq(bridge.queueLength(), 1, "queued");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.UnknownEntry.selector, 1));
        bridge.entry(1);
    }

    function _depositAndWithdrawalTree(uint256 deposited, uint256 withdrawn)
        private
        returns (uint256 batch, bytes32 key)
    {
        vm.deal(ALICE, deposited);
        vm.prank(ALICE);
        bridge.depositETH{value: deposited}(ALICE);
        // The tree holds some other state besides the withdrawal.
        _addLeaf(StateKeys.nonce(ALICE), bytes32(uint256(3)));
        _addLeaf(StateKeys.balance(StateKeys.bridgedToken(address(0)), ALICE), bytes32(deposited - withdrawn));
        key = StateKeys.withdrawal(ALICE, 0);
        _addLeaf(key, bridge.withdrawalLeaf(address(0), BOB, withdrawn));
        _addLeaf(StateKeys.withdrawalCount(ALICE), bytes32(uint256(1)));
        batch = _post(inbox, BATCHER, _root());
    }

    function test_a_withdrawal_is_paid_once_from_a_final_batch() public {
        (uint256 batch, bytes32 key) = _depositAndWithdrawalTree(3 ether, 1 ether);
        bytes32[] memory proof = _proof(key);

        vm.expectRevert(abi.encodeWithSelector(L1Bridge.BatchNotFinal.selector, batch));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);

        vm.warp(block.timestamp + WINDOW);
        // Anyone may finalize; the payment goes to the recipient the leaf names.
        vm.prank(address(0xCAFE));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);
        assertEq(BOB.balance, 1 ether, "paid");
        assertEq(bridge.locked(address(0)), 2 ether, "locked after");
        assertTrue(bridge.withdrawalFinalized(key), "recorded");

        vm.expectRevert(abi.encodeWithSelector(L1Bridge.WithdrawalAlreadyFinalized.selector, key));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);
        // Nor from a later batch that still holds the leaf.
        uint256 later = _post(inbox, BATCHER, _root());
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.WithdrawalAlreadyFinalized.selector, key));
        bridge.finalizeWithdrawal(later, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);
    }

    function test_a_withdrawal_that_is_not_in_the_state_is_refused() public {
        (uint256 batch, bytes32 key) = _depositAndWithdrawalTree(3 ether, 1 ether);
        bytes32[] memory proof = _proof(key);
        vm.warp(block.timestamp + WINDOW);
        bytes32 root = inbox.getBatch(batch).stateRoot;
        // Another amount, recipient, token or index: another leaf.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidWithdrawalProof.selector, key, root));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 2 ether), proof);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidWithdrawalProof.selector, key, root));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), ALICE, 1 ether), proof);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidWithdrawalProof.selector, key, root));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(token), BOB, 1 ether), proof);
        bytes32 other = StateKeys.withdrawal(ALICE, 1);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidWithdrawalProof.selector, other, root));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 1, address(0), BOB, 1 ether), proof);
        // A balance leaf is not a withdrawal, even with the right shape of proof.
        bytes32 balanceKey = StateKeys.balance(StateKeys.bridgedToken(address(0)), ALICE);
        bytes32[] memory balanceProof = _proof(balanceKey);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidWithdrawalProof.selector, key, root));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), balanceProof);
        // Unknown batch.
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.UnknownBatch.selector, batch + 1));
        bridge.finalizeWithdrawal(batch + 1, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.ProofTooLong.selector, 257));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), new bytes32[](257));
        assertEq(bridge.locked(address(0)), 3 ether, "nothing paid");
    }

    /// A final blob batch stands like a final calldata batch: it could have been proven
    /// fraudulent during its window (docs/fraud-proofs.md §8).
    function test_a_withdrawal_from_a_final_blob_batch_is_paid() public {
        (, bytes32 key) = _depositAndWithdrawalTree(1 ether, 1 ether);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(0x01) << 248 | 1);
        vm.blobhashes(hashes);
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = _root();
        uint256 index = inbox.batchCount();
        bytes32 prev = inbox.lastStateRoot();
        vm.deal(BATCHER, 1 ether);
        (uint64 end, bytes32 acc) = _wholeQueue(inbox);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(
            index,
            prev,
            uint64(index + 1),
            end,
            acc,
            1,
            _one(keccak256(hex"01")),
            1,
            keccak256(abi.encodePacked(roots)),
            roots[0]
        );
        vm.warp(block.timestamp + WINDOW);
        bytes32[] memory proof = _proof(key);
        uint256 before = BOB.balance;
        bridge.finalizeWithdrawal(index, L1Bridge.Withdrawal(ALICE, 0, address(0), BOB, 1 ether), proof);
        assertEq(BOB.balance - before, 1 ether, "paid");
    }

    function test_a_withdrawal_cannot_take_more_than_is_locked() public {
        // A state root claiming a withdrawal larger than every deposit (only a broken L2
        // could produce it; it is refused all the same).
        (uint256 batch,) = _depositAndWithdrawalTree(1 ether, 0);
        bytes32 key = StateKeys.withdrawal(BOB, 0);
        _addLeaf(key, bridge.withdrawalLeaf(address(0), BOB, 2 ether));
        batch = _post(inbox, BATCHER, _root());
        vm.warp(block.timestamp + WINDOW);
        bytes32[] memory proof = _proof(key);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InsufficientLocked.selector, address(0), 1 ether, 2 ether));
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(BOB, 0, address(0), BOB, 2 ether), proof);
    }

    function test_an_erc20_withdrawal_is_paid_in_the_token() public {
        OldToken old = new OldToken();
        old.mint(ALICE, 50);
        vm.prank(ALICE);
        bridge.depositERC20(address(old), ALICE, 50);
        bytes32 key = StateKeys.withdrawal(ALICE, 0);
        _addLeaf(key, bridge.withdrawalLeaf(address(old), BOB, 20));
        uint256 batch = _post(inbox, BATCHER, _root());
        vm.warp(block.timestamp + WINDOW);
        bridge.finalizeWithdrawal(batch, L1Bridge.Withdrawal(ALICE, 0, address(old), BOB, 20), _proof(key));
        assertEq(old.balanceOf(BOB), 20, "paid in a token that returns nothing");
        assertEq(bridge.locked(address(old)), 30, "locked after");
    }

    function test_a_recipient_cannot_reenter() public {
        GreedyRecipient greedy = new GreedyRecipient();
        vm.deal(ALICE, 2 ether);
        vm.prank(ALICE);
        bridge.depositETH{value: 2 ether}(ALICE);
        bytes32 k0 = StateKeys.withdrawal(ALICE, 0);
        bytes32 k1 = StateKeys.withdrawal(ALICE, 1);
        _addLeaf(k0, bridge.withdrawalLeaf(address(0), address(greedy), 1 ether));
        _addLeaf(k1, bridge.withdrawalLeaf(address(0), address(greedy), 1 ether));
        uint256 batch = _post(inbox, BATCHER, _root());
        vm.warp(block.timestamp + WINDOW);
        greedy.arm(
            abi.encodeCall(
                L1Bridge.finalizeWithdrawal,
                (batch, L1Bridge.Withdrawal(ALICE, 1, address(0), address(greedy), 1 ether), _proof(k1))
            )
        );
        bridge.finalizeWithdrawal(
            batch, L1Bridge.Withdrawal(ALICE, 0, address(0), address(greedy), 1 ether), _proof(k0)
        );
        assertTrue(greedy.reentryRefused(), "reentry refused");
        assertEq(address(greedy).balance, 1 ether, "paid once");
        assertFalse(bridge.withdrawalFinalized(k1), "second withdrawal still open");
    }

    /// @dev Any sequence of deposits (ether and token) leaves locked = held = sum of amounts,
    ///      and the queue's accumulator commits to each in order.
    // -----------------------------------------------------------------------------------------
    // The inbox's queue rules (docs/bridge.md §2.3).

    function test_the_bridge_is_attached_once_by_the_deployer() public {
        BatchInbox other = new BatchInbox(
            BATCHER, WINDOW, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), FREEZE_DELAY
        );
        L1Bridge detached = new L1Bridge(other, INCLUSION);
        vm.deal(ALICE, 1 ether);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.BridgeNotAttached.selector));
        detached.depositETH{value: 1}(BOB);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NotDeployer.selector, ALICE));
        other.attachBridge(IBridgeQueue(address(detached)));
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BridgeOfAnotherInbox.selector, address(inbox)));
        other.attachBridge(IBridgeQueue(address(bridge)));
        vm.expectEmit(address(other));
        emit BatchInbox.BridgeAttached(address(detached), INCLUSION);
        other.attachBridge(IBridgeQueue(address(detached)));
        assertEq(address(other.bridge()), address(detached), "attached");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BridgeAlreadyAttached.selector, address(detached)));
        other.attachBridge(IBridgeQueue(address(detached)));
        vm.prank(ALICE);
        detached.depositETH{value: 1}(BOB);
        assertEq(detached.queueLength(), 1, "deposits open once attached");
    }

    function test_a_post_cannot_invent_skip_back_or_alter_entries() public {
        vm.deal(ALICE, 3);
        vm.startPrank(ALICE);
        bridge.depositETH{value: 1}(BOB);
        bridge.depositETH{value: 1}(BOB);
        vm.stopPrank();
        bytes32 acc1 = bridge.accumulatorAt(1);
        bytes32 acc2 = bridge.accumulatorAt(2);
        (uint256 length, bytes32 accAt, uint64 next) = bridge.queueAt(1);
        assertEq(length, 2, "queueAt: length");
        assertEq(accAt, acc1, "queueAt: accumulator");
        assertEq(uint256(next), 100, "queueAt: next entry's block");
        (, accAt, next) = bridge.queueAt(3);
        assertEq(accAt, bytes32(0), "queueAt beyond the queue");
        assertEq(uint256(next), 0, "nothing waits beyond the queue");

        _postQueueReverting(3, acc2, abi.encodeWithSelector(BatchInbox.QueueEndBeyondQueue.selector, 3, 2));
        _postQueueReverting(1, acc2, abi.encodeWithSelector(BatchInbox.QueueAccumulatorMismatch.selector, acc1, acc2));
        _postQueueReverting(
            2, bytes32(0), abi.encodeWithSelector(BatchInbox.QueueAccumulatorMismatch.selector, acc2, bytes32(0))
        );
        _postQueue(1, acc1);
        assertEq(uint256(inbox.getBatch(0).queueEnd), 1, "recorded");
        assertEq(uint256(inbox.lastQueueEnd()), 1, "lastQueueEnd");
        _postQueueReverting(0, bytes32(0), abi.encodeWithSelector(BatchInbox.QueueEndBackwards.selector, 1, 0));
        vm.expectEmit(address(inbox));
        emit BatchInbox.BatchPosted(
            1,
            BATCHER,
            keccak256(abi.encode(uint256(1), keccak256(hex"01"))),
            keccak256(abi.encodePacked(bytes32(uint256(1)))),
            bytes32(uint256(1)),
            2,
            1,
            2
        );
        _postQueue(2, acc2);
        assertEq(uint256(inbox.lastQueueEnd()), 2, "the whole queue");
    }

    function test_a_post_cannot_leave_an_overdue_entry_behind() public {
        vm.deal(ALICE, 2);
        vm.prank(ALICE);
        bridge.depositETH{value: 1}(BOB);
        vm.roll(100 + INCLUSION);
        _postQueue(0, bytes32(0)); // on its last block, it may still wait
        vm.roll(100 + INCLUSION + 1);
        vm.prank(ALICE);
        bridge.depositETH{value: 1}(BOB);
        _postQueueReverting(
            0, bytes32(0), abi.encodeWithSelector(BatchInbox.QueueEntryOverdue.selector, 0, 100, 100 + INCLUSION)
        );
        // Entry 1 is the reading of the L1's fees the first post queued (docs/fees.md §4), the
        // second deposit entry 2. Consuming the overdue entry is what lets posting resume; the
        // next one is not due yet.
        assertEq(bridge.queueLength(), 3, "a deposit, a reading, a deposit");
        _postQueue(1, bridge.accumulatorAt(1));
        vm.roll(100 + INCLUSION + 1 + INCLUSION + 1);
        // The reading is due like any entry.
        _postQueueReverting(
            1,
            bridge.accumulatorAt(1),
            abi.encodeWithSelector(BatchInbox.QueueEntryOverdue.selector, 1, 100 + INCLUSION, 100 + 2 * INCLUSION)
        );
        _postQueueReverting(
            2,
            bridge.accumulatorAt(2),
            abi.encodeWithSelector(
                BatchInbox.QueueEntryOverdue.selector, 2, 100 + INCLUSION + 1, 100 + 2 * INCLUSION + 1
            )
        );
        _postQueue(3, bridge.accumulatorAt(3));
    }

    function test_blob_posts_follow_the_queue_rules_too() public {
        vm.deal(ALICE, 1);
        vm.prank(ALICE);
        bridge.depositETH{value: 1}(BOB);
        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(0x01) << 248 | 1);
        vm.blobhashes(hashes);
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = bytes32(uint256(1));
        bytes32[] memory segments = _one(keccak256(hex"01"));
        bytes32 rootsHash = keccak256(abi.encodePacked(roots));
        vm.deal(BATCHER, 2 ether);
        bytes32 prev = inbox.lastStateRoot();
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.QueueEndBeyondQueue.selector, 2, 1));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(0, prev, 1, 2, bytes32(0), 1, segments, 1, rootsHash, roots[0]);
        vm.roll(100 + INCLUSION + 1);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.QueueEntryOverdue.selector, 0, 100, 100 + INCLUSION));
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(0, prev, 1, 0, bytes32(0), 1, segments, 1, rootsHash, roots[0]);
        bytes32 acc = bridge.accumulatorAt(1);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatchBlobs(0, prev, 1, 1, acc, 1, segments, 1, rootsHash, roots[0]);
        assertEq(uint256(inbox.lastQueueEnd()), 1, "consumed");
    }

    /// @dev Posts the next calldata batch (state root 1, one block further) at queue position `end`.
    function _postQueue(uint64 end, bytes32 acc) internal {
        _postQueueReverting(end, acc, "");
    }

    /// @dev The same, expecting the post to revert with `err` (unless empty).
    function _postQueueReverting(uint64 end, bytes32 acc, bytes memory err) internal {
        uint256 index = inbox.batchCount();
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = bytes32(uint256(1));
        vm.deal(BATCHER, BATCHER.balance + 1 ether);
        bytes32 prev = inbox.lastStateRoot();
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(BATCHER, BATCHER);
        inbox.postBatch(index, prev, uint64(index + 1), end, acc, hex"01", roots);
    }

    // -----------------------------------------------------------------------------------------
    // The escape hatch (docs/bridge.md §7).

    /// @dev ALICE deposits `ethers` of ether and `tokens` of TST; the L2 tokens they bridge to.
    function _aliceDeposits(uint256 ethers, uint256 tokens) private returns (address weth, address tst) {
        vm.deal(ALICE, ethers);
        vm.prank(ALICE);
        bridge.depositETH{value: ethers}(ALICE);
        token.mint(ALICE, tokens);
        vm.prank(ALICE);
        token.approve(address(bridge), tokens);
        vm.prank(ALICE);
        bridge.depositERC20(address(token), ALICE, tokens);
        return (StateKeys.bridgedToken(address(0)), StateKeys.bridgedToken(address(token)));
    }

    /// @dev The frozen chain of the escape tests: ALICE deposited 5 ether and 300 TST, which the
    ///      one batch consumed and credited; in its state ALICE holds 2 ether and 100 TST, and
    ///      the pool of both (reserves 3 ether and 200 TST, 1,000 shares of which ALICE holds
    ///      250); then BOB deposits 1 ether that no batch consumes, the operator stops, the
    ///      entry goes overdue and the inbox is frozen.
    function _frozenChain() private returns (address weth, address tst) {
        (weth, tst) = _aliceDeposits(5 ether, 300 ether);
        (address t0, address t1) = weth < tst ? (weth, tst) : (tst, weth);
        (uint256 r0, uint256 r1) =
            t0 == weth ? (uint256(3 ether), uint256(200 ether)) : (uint256(200 ether), uint256(3 ether));
        address lp = StateKeys.lpToken(t0, t1);
        _addLeaf(StateKeys.balance(weth, ALICE), bytes32(uint256(2 ether)));
        _addLeaf(StateKeys.balance(tst, ALICE), bytes32(uint256(100 ether)));
        _addLeaf(StateKeys.pool(t0, t1), bytes32(r0 | (r1 << 128)));
        _addLeaf(StateKeys.supply(lp), bytes32(uint256(1000)));
        _addLeaf(StateKeys.balance(lp, ALICE), bytes32(uint256(250)));
        _addLeaf(StateKeys.balance(lp, address(0)), bytes32(uint256(750)));
        _addLeaf(StateKeys.nonce(ALICE), bytes32(uint256(4)));
        // Both bridged tokens carry their L1 origin (uint160(l1Token) | 1 << 160).
        _addLeaf(StateKeys.tokenOrigin(weth), bytes32(uint256(1) << 160));
        _addLeaf(StateKeys.tokenOrigin(tst), bytes32(uint256(uint160(address(token))) | (uint256(1) << 160)));
        // A pool of TST and a token created on L2 (no origin): reserves 40 TST and 900 L2T,
        // 300 shares of which ALICE holds 100.
        (address m0, address m1) = tst < L2T ? (tst, L2T) : (L2T, tst);
        (uint256 q0, uint256 q1) =
            m0 == tst ? (uint256(40 ether), uint256(900 ether)) : (uint256(900 ether), uint256(40 ether));
        address mixed = StateKeys.lpToken(m0, m1);
        _addLeaf(StateKeys.pool(m0, m1), bytes32(q0 | (q1 << 128)));
        _addLeaf(StateKeys.supply(mixed), bytes32(uint256(300)));
        _addLeaf(StateKeys.balance(mixed, ALICE), bytes32(uint256(100)));
        _addLeaf(StateKeys.balance(mixed, address(0)), bytes32(uint256(200)));
        _addLeaf(StateKeys.token(L2T), bytes32(uint256(0x4c3254 << 232) | 18));
        _post(inbox, BATCHER, _root());
        vm.deal(BOB, 1 ether);
        vm.prank(BOB);
        bridge.depositETH{value: 1 ether}(BOB);
    }

    event L1FeesQueued(uint256 indexed index, uint256 baseFee, uint256 blobBaseFee, uint64 l1Block);

    /// Every post reads the L1's fees into the queue when the last reading is an hour old or the
    /// base fee moved by more than an eighth since, whatever the batcher wants (docs/fees.md §4):
    /// the first post reads; one at the same base fee does not; one after a move of more than an
    /// eighth, up or down, does; one an hour later does. Only the inbox queues readings.
    function test_posts_read_the_l1s_fees_into_the_queue() public {
        vm.fee(1 gwei);
        uint256 blobFee = block.blobbasefee;
        vm.expectEmit(address(bridge));
        emit L1FeesQueued(0, 1 gwei, blobFee, uint64(block.number));
        _postQueue(0, bytes32(0));
        assertEq(bridge.queueLength(), 1, "the first post reads");
        assertEq(inbox.lastL1FeesBlock(), block.number, "when");
        assertEq(inbox.lastL1FeesBaseFee(), 1 gwei, "what");
        bytes32 acc = bridge.accumulatorAt(1);
        (, bytes32 expected,) = bridge.queueAt(1);
        assertEq(acc, expected, "the accumulator");
        assertEq(
            acc,
            BridgeQueue.chain(bytes32(0), BridgeQueue.l1FeesHash(1 gwei, blobFee), uint64(block.number)),
            "its hash"
        );
        vm.roll(block.number + 1);
        vm.fee(1.125 gwei);
        _postQueue(1, acc);
        assertEq(bridge.queueLength(), 1, "within an eighth: no reading");
        vm.roll(block.number + 1);
        vm.fee(1.126 gwei);
        _postQueue(1, acc);
        assertEq(bridge.queueLength(), 2, "more than an eighth up");
        vm.roll(block.number + 1);
        vm.fee(0.985 gwei);
        _postQueue(2, bridge.accumulatorAt(2));
        assertEq(bridge.queueLength(), 3, "more than an eighth down");
        vm.roll(block.number + inbox.L1_FEES_REPORT_INTERVAL() - 1);
        _postQueue(3, bridge.accumulatorAt(3));
        assertEq(bridge.queueLength(), 3, "not an hour yet");
        vm.roll(block.number + 1);
        _postQueue(3, bridge.accumulatorAt(3));
        assertEq(bridge.queueLength(), 4, "an hour later");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NotInbox.selector, address(this)));
        bridge.reportL1Fees();
        vm.prank(BATCHER, BATCHER);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NotInbox.selector, BATCHER));
        bridge.reportL1Fees();
    }

    function test_the_inbox_freezes_only_once_an_entry_waited_the_freeze_delay() public {
        _frozenChain();
        // BOB's deposit is in block 100: due until block 100 + INCLUSION, and the inbox freezes
        // from 100 + FREEZE_DELAY + 1 on. Between the two the operator may still post, if the
        // post includes it.
        uint256 freezable = 100 + FREEZE_DELAY + 1;
        vm.roll(100 + INCLUSION + 1);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.FreezeNotDue.selector, 2, freezable));
        inbox.freeze();
        vm.roll(freezable - 1);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.FreezeNotDue.selector, 2, freezable));
        inbox.freeze();
        (bool ready,,) = inbox.escapeState();
        assertFalse(ready, "not frozen");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.EscapeNotReady.selector));
        bridge.escapeBalance(address(0), ALICE, 2 ether, new bytes32[](0));

        vm.roll(freezable);
        vm.prank(address(0xF0F0));
        inbox.freeze();
        assertEq(inbox.frozenAt(), freezable, "frozen at");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.InboxFrozen.selector));
        inbox.freeze();
        // Nothing more reaches the L2: no deposit, no forced transaction.
        vm.deal(BOB, 1 ether);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InboxFrozen.selector));
        bridge.depositETH{value: 1 ether}(BOB);
        token.mint(BOB, 10);
        vm.startPrank(BOB);
        token.approve(address(bridge), 10);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InboxFrozen.selector));
        bridge.depositERC20(address(token), BOB, 10);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InboxFrozen.selector));
        bridge.forceTransaction(hex"02");
        vm.stopPrank();
        assertEq(bridge.queueLength(), 4, "nothing queued after the freeze (two deposits, a reading, BOB's)");
        // No post from now on, not even one consuming the entry.
        (uint64 end, bytes32 acc) = _wholeQueue(inbox);
        _postQueueReverting(end, acc, abi.encodeWithSelector(BatchInbox.InboxFrozen.selector));
        // The last batch is not final yet: the escape waits for it.
        (ready,,) = inbox.escapeState();
        assertFalse(ready, "the last batch is still challengeable");
        vm.warp(block.timestamp + WINDOW);
        bytes32 root;
        uint64 queueEnd;
        (ready, root, queueEnd) = inbox.escapeState();
        assertTrue(ready, "ready");
        assertEq(root, _root(), "the last batch's root");
        assertEq(queueEnd, 2, "the frozen state consumed the first two entries");
    }

    function test_nothing_is_overdue_when_every_entry_is_consumed() public {
        vm.roll(10_000);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NothingOverdue.selector, 0, 0));
        inbox.freeze();
        BatchInbox bare = new BatchInbox(
            BATCHER, WINDOW, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), FREEZE_DELAY
        );
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.NoBridge.selector));
        bare.freeze();
    }

    /// The freeze delay is at least two inclusion windows: the inbox refuses a bridge whose
    /// window would let it freeze before the operator had a window to include an overdue entry.
    function test_the_freeze_delay_is_at_least_two_inclusion_windows() public {
        BatchInbox short = new BatchInbox(
            BATCHER, WINDOW, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), 2 * INCLUSION - 1
        );
        L1Bridge b = new L1Bridge(short, INCLUSION);
        vm.expectRevert(
            abi.encodeWithSelector(BatchInbox.FreezeDelayTooShort.selector, 2 * INCLUSION - 1, 2 * INCLUSION)
        );
        short.attachBridge(IBridgeQueue(address(b)));
        assertEq(inbox.freezeDelay(), FREEZE_DELAY, "the deployed delay");
    }

    function _freezeAndFinalize() private {
        vm.roll(100 + FREEZE_DELAY + 1);
        inbox.freeze();
        vm.warp(block.timestamp + WINDOW);
    }

    function test_balances_of_the_frozen_state_are_paid_once() public {
        (address weth, address tst) = _frozenChain();
        _freezeAndFinalize();
        bytes32[] memory proof = _proof(StateKeys.balance(weth, ALICE));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.balance(weth, ALICE)));
        bridge.escapeBalance(address(0), ALICE, 3 ether, proof);
        uint256 before = ALICE.balance;
        vm.prank(address(0xCAFE)); // anyone may send it
        bridge.escapeBalance(address(0), ALICE, 2 ether, proof);
        assertEq(ALICE.balance - before, 2 ether, "paid to the owner");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(weth, ALICE)));
        bridge.escapeBalance(address(0), ALICE, 2 ether, proof);
        bridge.escapeBalance(address(token), ALICE, 100 ether, _proof(StateKeys.balance(tst, ALICE)));
        assertEq(token.balanceOf(ALICE), 100 ether, "paid in the token");
        // A balance that is not in the state proves nothing.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.balance(weth, BOB)));
        bridge.escapeBalance(address(0), BOB, 1 ether, proof);
    }

    /// The money market's cash, held by its shard accounts, is owed to its suppliers and
    /// borrowers: no claim pays it to a shard's address, which no key holds (it would burn it).
    function test_the_money_markets_cash_is_no_ones_balance() public {
        _frozenChain();
        _freezeAndFinalize();
        for (uint256 s; s < 8; ++s) {
            address shard = StateKeys.shardAccount(s);
            vm.expectRevert(abi.encodeWithSelector(L1Bridge.MarketCash.selector, shard));
            bridge.escapeBalance(address(0), shard, 1 ether, new bytes32[](0));
        }
    }

    // The money market at an escape (docs/bridge.md §7.4).

    address constant CAROL = address(0xCA201);
    uint256 constant RAY = 1e27;

    /// @dev A frozen money market of two bridged assets: market 0 ether (`weth`, 2,048 TST
    ///      each by its oracle's mean, 2^11), market 1 TST, the numeraire (borrow index 1.25).
    ///      ALICE supplies 12,000 TST; BOB supplies 5 ether and owes 8,000 TST (net 2,240);
    ///      CAROL supplies 1 ether and owes 3,000 TST (net −952), and a million of a token born
    ///      on L2 (market 2, L2T at one TST by its oracle), which counts for nothing on L1. The
    ///      cash: 6 ether and 1,000 TST, split over two shards, and the L2T. `N` = 13,288 TST.
    function _frozenMarket() private returns (address weth, address tst) {
        (weth, tst) = _aliceDeposits(6 ether, 1_000 ether);
        _addLeaf(StateKeys.tokenOrigin(weth), bytes32(uint256(1) << 160));
        _addLeaf(StateKeys.tokenOrigin(tst), bytes32(uint256(uint160(address(token))) | (uint256(1) << 160)));
        _addLeaf(StateKeys.markets(), bytes32(uint256(3)));
        _addLeaf(StateKeys.oracles(), bytes32(uint256(2) | (uint256(uint160(tst)) << 16)));
        _addLeaf(StateKeys.oracle(L2T, 1), bytes32(uint256(9)));
        _addLeaf(StateKeys.market(2, 0), bytes32(uint256(uint160(L2T)) | (7500 << 160)));
        _addLeaf(StateKeys.market(2, 2), bytes32(RAY | (RAY << 128)));
        _addLeaf(StateKeys.marketShard(2, 6), bytes32(uint256(1_000_000 ether)));
        _addLeaf(StateKeys.balance(L2T, StateKeys.shardAccount(6)), bytes32(uint256(1_000_000 ether)));
        _addLeaf(StateKeys.position(CAROL, 2), bytes32(uint256(1_000_000 ether)));
        _addLeaf(StateKeys.oracle(weth, 1), bytes32(uint256(11 << 40) << 128 | 7));
        _addLeaf(StateKeys.market(0, 0), bytes32(uint256(uint160(weth)) | (8250 << 160)));
        _addLeaf(StateKeys.market(0, 2), bytes32(RAY | (RAY << 128)));
        _addLeaf(StateKeys.market(1, 0), bytes32(uint256(uint160(tst)) | (7500 << 160)));
        _addLeaf(StateKeys.market(1, 2), bytes32(RAY | ((RAY * 5 / 4) << 128)));
        // Shard 1: ALICE's and BOB's; shard 6: CAROL's (the split does not matter to the sums).
        _addLeaf(StateKeys.marketShard(0, 1), bytes32(uint256(5 ether)));
        _addLeaf(StateKeys.marketShard(0, 6), bytes32(uint256(1 ether)));
        _addLeaf(StateKeys.marketShard(1, 1), bytes32(uint256(12_000 ether) | (uint256(6_400 ether) << 128)));
        _addLeaf(StateKeys.marketShard(1, 6), bytes32(uint256(2_400 ether) << 128));
        _addLeaf(StateKeys.balance(weth, StateKeys.shardAccount(1)), bytes32(uint256(4 ether)));
        _addLeaf(StateKeys.balance(weth, StateKeys.shardAccount(6)), bytes32(uint256(2 ether)));
        _addLeaf(StateKeys.balance(tst, StateKeys.shardAccount(6)), bytes32(uint256(1_000 ether)));
        _addLeaf(StateKeys.position(ALICE, 1), bytes32(uint256(12_000 ether)));
        _addLeaf(StateKeys.position(BOB, 0), bytes32(uint256(5 ether)));
        _addLeaf(StateKeys.position(BOB, 1), bytes32(uint256(6_400 ether) << 128));
        _addLeaf(StateKeys.position(CAROL, 0), bytes32(uint256(1 ether)));
        _addLeaf(StateKeys.position(CAROL, 1), bytes32(uint256(2_400 ether) << 128));
        _post(inbox, BATCHER, _root());
        vm.deal(BOB, 1 ether);
        vm.prank(BOB);
        bridge.depositETH{value: 1 ether}(BOB);
        _freezeAndFinalize();
    }

    function _marketProof(uint256 i, address asset) private view returns (L1Bridge.MarketProof memory q) {
        q.config = _value(StateKeys.market(i, 0));
        q.indices = _value(StateKeys.market(i, 2));
        q.shards = new L1Bridge.StateValue[](8);
        q.cash = new L1Bridge.StateValue[](8);
        for (uint256 s; s < 8; ++s) {
            q.shards[s] = _value(StateKeys.marketShard(i, s));
            q.cash[s] = _value(StateKeys.balance(asset, StateKeys.shardAccount(s)));
        }
        q.oracle = _value(StateKeys.oracle(asset, 1));
        q.origin = _value(StateKeys.tokenOrigin(asset));
    }

    function _positions(address user) private view returns (L1Bridge.StateValue[] memory p) {
        p = new L1Bridge.StateValue[](3);
        for (uint256 i; i < 3; ++i) {
            p[i] = _value(StateKeys.position(user, i));
        }
    }

    function _proveMarket(address weth, address tst) private {
        L1Bridge.MarketProof[] memory q = new L1Bridge.MarketProof[](3);
        (q[0], q[1], q[2]) = (_marketProof(0, weth), _marketProof(1, tst), _marketProof(2, L2T));
        bridge.proveLendingTotals(_value(StateKeys.markets()), _value(StateKeys.oracles()), q);
    }

    /// A supplier is paid its supply, a borrower its collateral less its debt, both as a share
    /// of every market's cash; a registered shortfall is paid nothing and shrinks every share,
    /// so that the shares add up to the cash, each paid once.
    function test_the_money_market_pays_each_account_its_net_share_of_the_cash() public {
        (address weth, address tst) = _frozenMarket();
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.LendingTotalsUnproven.selector));
        bridge.escapeLending(ALICE, _positions(ALICE));
        _proveMarket(weth, tst);
        assertEq(uint256(bridge.lendingNet()), 13_288 ether, "N");
        (,,, uint256 price,,, uint256 cash,) = bridge.frozenMarkets(0);
        assertEq(price, 2048 << 128, "ether at 2^11 TST");
        assertEq(cash, 6 ether, "the shards' ether");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.LendingTotalsAlreadyProven.selector));
        _proveMarket(weth, tst);
        uint256 until = block.timestamp + WINDOW;
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.SettlementWindow.selector, until));
        bridge.escapeLending(ALICE, _positions(ALICE));
        // BOB is no shortfall; CAROL is, once.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.WrongNet.selector, BOB, int256(2_240 ether)));
        bridge.registerShortfall(BOB, _positions(BOB));
        bridge.registerShortfall(CAROL, _positions(CAROL));
        assertEq(bridge.lendingShortfall(), 952 ether, "CAROL's 3,000 owed less 2,048 held");
        bytes32 carol = keccak256(abi.encode("lending", CAROL));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, carol));
        bridge.registerShortfall(CAROL, _positions(CAROL));
        // A position proven wrong proves nothing.
        L1Bridge.StateValue[] memory forged = _positions(ALICE);
        forged[1].value = bytes32(uint256(13_000 ether));
        vm.warp(until);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.position(ALICE, 1)));
        bridge.escapeLending(ALICE, forged);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.SettlementWindow.selector, until));
        bridge.registerShortfall(CAROL, _positions(CAROL));

        // Shares of 12,000 and 2,240 in 14,240 (N plus the shortfall).
        (uint256 ether0, uint256 tst0) = (ALICE.balance, token.balanceOf(ALICE));
        vm.prank(address(0xCAFE)); // anyone may send it
        bridge.escapeLending(ALICE, _positions(ALICE));
        assertEq(ALICE.balance - ether0, uint256(6 ether) * 12_000 / 14_240, "ALICE's ether");
        assertEq(token.balanceOf(ALICE) - tst0, uint256(1_000 ether) * 12_000 / 14_240, "ALICE's TST");
        (ether0, tst0) = (BOB.balance, token.balanceOf(BOB));
        bridge.escapeLending(BOB, _positions(BOB));
        assertEq(BOB.balance - ether0, uint256(6 ether) * 2_240 / 14_240, "BOB's collateral less its debt");
        assertEq(token.balanceOf(BOB) - tst0, uint256(1_000 ether) * 2_240 / 14_240, "BOB's TST");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, carol));
        bridge.escapeLending(CAROL, _positions(CAROL));
        bytes32 alice = keccak256(abi.encode("lending", ALICE));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, alice));
        bridge.escapeLending(ALICE, _positions(ALICE));
        // Every unit of the cash went out but the rounding.
        (,,,,,, uint256 etherCash, uint256 etherPaid) = bridge.frozenMarkets(0);
        (,,,,,, uint256 tstCash, uint256 tstPaid) = bridge.frozenMarkets(1);
        assertLe(etherCash - etherPaid, 1, "the ether left");
        assertLe(tstCash - tstPaid, 1, "the TST left");
    }

    /// Without the shortfall registered, the shares add past the cash: the last claim is short,
    /// never paid out of another market or another's share.
    function test_an_unregistered_shortfall_leaves_the_last_claim_short() public {
        (address weth, address tst) = _frozenMarket();
        _proveMarket(weth, tst);
        vm.warp(block.timestamp + WINDOW);
        uint256 before = ALICE.balance;
        bridge.escapeLending(ALICE, _positions(ALICE));
        assertEq(ALICE.balance - before, uint256(6 ether) * 12_000 / 13_288, "ALICE's share of N");
        before = BOB.balance;
        bridge.escapeLending(BOB, _positions(BOB));
        assertEq(BOB.balance - before, 6 ether - uint256(6 ether) * 12_000 / 13_288, "what is left");
        (,,,,,, uint256 cash, uint256 paid) = bridge.frozenMarkets(0);
        assertEq(paid, cash, "no more than the cash");
        // Nothing is owed to an account without positions.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.WrongNet.selector, address(0xD00D), int256(0)));
        bridge.escapeLending(address(0xD00D), _positions(address(0xD00D)));
    }

    function test_liquidity_of_the_frozen_state_is_paid_pro_rata_once() public {
        (address weth, address tst) = _frozenChain();
        _freezeAndFinalize();
        (address t0, address t1) = weth < tst ? (weth, tst) : (tst, weth);
        address lp = StateKeys.lpToken(t0, t1);
        L1Bridge.LiquidityProof memory p = _liquidityProof(weth, tst, ALICE);
        // A side's origin cannot be proven absent when it is there (a third party cannot
        // make the owner forfeit it).
        L1Bridge.LiquidityProof memory forfeit = _liquidityProof(weth, tst, ALICE);
        forfeit.pool.originA = _value(StateKeys.tokenOrigin(L2T));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.tokenOrigin(weth)));
        bridge.escapeLiquidity(weth, tst, ALICE, forfeit);
        uint256 before = ALICE.balance;
        vm.prank(address(0xCAFE)); // anyone may send it
        bridge.escapeLiquidity(weth, tst, ALICE, p);
        assertEq(ALICE.balance - before, 0.75 ether, "a quarter of 3 ether");
        assertEq(token.balanceOf(ALICE), 50 ether, "a quarter of 200 TST");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(lp, ALICE)));
        bridge.escapeLiquidity(tst, weth, ALICE, _liquidityProof(tst, weth, ALICE));
        // More shares than held proves nothing.
        p.shares = 500;
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.balance(lp, BOB)));
        bridge.escapeLiquidity(weth, tst, BOB, p);
    }

    /// @dev What proves `owner`'s shares of the pool of L2 tokens `a` and `b` in the tree.
    function _liquidityProof(address a, address b, address owner)
        private
        view
        returns (L1Bridge.LiquidityProof memory)
    {
        (address t0, address t1) = a < b ? (a, b) : (b, a);
        address lp = StateKeys.lpToken(t0, t1);
        bytes32 sharesKey = StateKeys.balance(lp, owner);
        return L1Bridge.LiquidityProof({
            shares: uint256(values[_indexOf(sharesKey)]),
            sharesProof: _proof(sharesKey),
            pool: L1Bridge.PoolProof({
                supply: uint256(values[_indexOf(StateKeys.supply(lp))]),
                supplyProof: _proof(StateKeys.supply(lp)),
                reserves: uint256(values[_indexOf(StateKeys.pool(t0, t1))]),
                reservesProof: _proof(StateKeys.pool(t0, t1)),
                originA: _value(StateKeys.tokenOrigin(a)),
                originB: _value(StateKeys.tokenOrigin(b))
            })
        });
    }

    /// The bridged side of a pool whose other token was created on L2 is paid pro rata; the
    /// L2 token's side has no L1 asset (its origin is proven absent) and pays nothing.
    function test_the_bridged_side_of_a_mixed_pool_is_paid() public {
        (, address tst) = _frozenChain();
        _freezeAndFinalize();
        (address m0, address m1) = tst < L2T ? (tst, L2T) : (L2T, tst);
        address mixed = StateKeys.lpToken(m0, m1);
        L1Bridge.LiquidityProof memory p = _liquidityProof(L2T, tst, ALICE);
        assertEq(p.pool.originA.value, bytes32(0), "the L2 token has no origin");
        // Claiming an origin for the L2 token proves nothing.
        L1Bridge.LiquidityProof memory forged = _liquidityProof(L2T, tst, ALICE);
        forged.pool.originA.value = bytes32(uint256(uint160(address(token))) | (uint256(1) << 160));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.tokenOrigin(L2T)));
        bridge.escapeLiquidity(L2T, tst, ALICE, forged);
        uint256 lockedBefore = bridge.locked(address(token));
        bridge.escapeLiquidity(L2T, tst, ALICE, p);
        assertEq(token.balanceOf(ALICE), uint256(40 ether) / 3, "a third of 40 TST");
        assertEq(lockedBefore - bridge.locked(address(token)), uint256(40 ether) / 3, "paid from what is locked");
        // The L2 token's part is held for her (it could be another pool's liquidity token), and
        // nothing ever pays it: no pool has it as its liquidity token.
        assertEq(bridge.heldShares(L2T, ALICE), 300 ether, "a third of 900 L2T, held");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(mixed, ALICE)));
        bridge.escapeLiquidity(L2T, tst, ALICE, p);
    }

    function test_deposits_the_frozen_state_never_consumed_are_refunded_once() public {
        _frozenChain();
        _freezeAndFinalize();
        BridgeQueue.Contents memory bobs = BridgeQueue.Contents({
            kind: BridgeQueue.KIND_DEPOSIT,
            from: BOB,
            to: BOB,
            l1Token: address(0),
            amount: 1 ether,
            meta: bridge.ETHER_META(),
            raw: "",
            l1Block: 100
        });
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.DepositIncluded.selector, 1, 2));
        bridge.refundDeposit(1, bobs);
        // Entry 2 is the reading of the L1's fees the last post queued: no deposit, nothing to
        // refund, whatever contents are given.
        BridgeQueue.Contents memory reading;
        (reading.kind, reading.amount, reading.meta, reading.l1Block) =
        (BridgeQueue.KIND_L1_FEES, block.basefee, block.blobbasefee, 100);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NotTheDeposit.selector, 2));
        bridge.refundDeposit(2, reading);
        // BOB's deposit is entry 3.
        bobs.amount = 2 ether;
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NotTheDeposit.selector, 3));
        bridge.refundDeposit(3, bobs);
        bobs.amount = 1 ether;
        bridge.refundDeposit(3, bobs);
        assertEq(BOB.balance, 1 ether, "refunded to the depositor");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, keccak256(abi.encode("refund", 3))));
        bridge.refundDeposit(3, bobs);
        // What is left locked covers what the frozen state still holds.
        assertEq(bridge.locked(address(0)), 5 ether, "ALICE's deposit");
    }

    function _indexOf(bytes32 key) private view returns (uint256 i) {
        while (keys[i] != key) i++;
    }

    function testFuzz_deposits_are_accounted_exactly(uint96[8] calldata amounts, uint8 kinds) public {
        token.mint(ALICE, type(uint128).max);
        vm.deal(ALICE, type(uint128).max);
        vm.startPrank(ALICE);
        token.approve(address(bridge), type(uint256).max);
        uint256 eth;
        uint256 tok;
        bytes32 acc;
        for (uint256 i; i < amounts.length; i++) {
            uint256 amount = uint256(amounts[i]) + 1;
            bool isEther = (kinds >> i) & 1 == 1;
            if (isEther) {
                bridge.depositETH{value: amount}(BOB);
                eth += amount;
                acc = BridgeQueue.chain(
                    acc, BridgeQueue.depositHash(ALICE, BOB, address(0), amount, bridge.ETHER_META()), 100
                );
            } else {
                bridge.depositERC20(address(token), BOB, amount);
                tok += amount;
                acc = BridgeQueue.chain(
                    acc, BridgeQueue.depositHash(ALICE, BOB, address(token), amount, bridge.metaOf(address(token))), 100
                );
            }
        }
        vm.stopPrank();
        assertEq(bridge.locked(address(0)), eth, "ether locked");
        assertEq(address(bridge).balance, eth, "ether held");
        assertEq(bridge.locked(address(token)), tok, "token locked");
        assertEq(token.balanceOf(address(bridge)), tok, "token held");
        assertEq(bridge.accumulatorAt(amounts.length), acc, "accumulator");
    }
}

/// @dev Drives the bridge for the invariant test: deposits, withdrawals written into the
///      state of posted batches, finalizations (and attempts to finalize twice or early).
contract BridgeHandler is WithdrawalTrees {
    address constant BATCHER = address(0xBA7C4E5);
    BatchInbox public inbox;
    L1Bridge public bridge;
    TestToken public token;

    struct Pending {
        address sender;
        uint256 index;
        address l1Token;
        address recipient;
        uint256 amount;
        bool finalized;
    }

    Pending[] public withdrawals;
    mapping(address => uint256) public deposited;
    mapping(address => uint256) public withdrawn;
    mapping(address => uint256) public paid;
    /// @dev What the L2 still holds per asset: deposited less withdrawals written.
    mapping(address => uint256) public onL2;
    mapping(address => uint256) private _count;
    uint256 public doubleFinalizations;
    uint256 public lastBatch;
    bool public posted;

    constructor(BatchInbox inbox_, L1Bridge bridge_, TestToken token_) {
        inbox = inbox_;
        bridge = bridge_;
        token = token_;
    }

    function deposit(uint256 amount, bool isEther) external {
        amount = amount % 1e30 + 1;
        if (isEther) {
            vm.deal(address(this), amount);
            bridge.depositETH{value: amount}(address(this));
            deposited[address(0)] += amount;
            onL2[address(0)] += amount;
        } else {
            token.mint(address(this), amount);
            token.approve(address(bridge), amount);
            bridge.depositERC20(address(token), address(this), amount);
            deposited[address(token)] += amount;
            onL2[address(token)] += amount;
        }
    }

    /// @dev An L2 withdrawal of part of what the L2 holds, written into a new batch's state.
    function withdraw(uint256 amount, bool isEther, uint8 who) external {
        address asset = isEther ? address(0) : address(token);
        if (onL2[asset] == 0) return;
        amount = amount % onL2[asset] + 1;
        address sender = address(uint160(0x5000 + who % 4));
        uint256 index = _count[sender]++;
        address recipient = address(uint160(0x9000 + who));
        _addLeaf(StateKeys.withdrawal(sender, index), bridge.withdrawalLeaf(asset, recipient, amount));
        withdrawals.push(Pending(sender, index, asset, recipient, amount, false));
        onL2[asset] -= amount;
        withdrawn[asset] += amount;
        lastBatch = _post(inbox, BATCHER, _root());
        posted = true;
    }

    function finalize(uint256 which, bool wait) external {
        if (withdrawals.length == 0 || !posted) return;
        Pending storage w = withdrawals[which % withdrawals.length];
        if (wait) vm.warp(block.timestamp + inbox.challengeWindow());
        bytes32[] memory proof = _proof(StateKeys.withdrawal(w.sender, w.index));
        try bridge.finalizeWithdrawal(
            lastBatch, L1Bridge.Withdrawal(w.sender, w.index, w.l1Token, w.recipient, w.amount), proof
        ) {
            if (w.finalized) doubleFinalizations++;
            w.finalized = true;
            paid[w.l1Token] += w.amount;
        } catch {}
    }

    receive() external payable {}
}

/// @notice Invariants of the bridge's accounting under random deposits, withdrawals and
///         finalizations (including repeated and early ones).
contract L1BridgeInvariantTest is Test {
    BatchInbox inbox;
    L1Bridge bridge;
    TestToken token;
    BridgeHandler handler;

    function setUp() public override {
        inbox = new BatchInbox(
            address(0xBA7C4E5), 1 days, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), FREEZE_DELAY
        );
        inbox.stake{value: 1 ether}();
        bridge = new L1Bridge(inbox, 20);
        inbox.attachBridge(IBridgeQueue(address(bridge)));
        token = new TestToken("Test Token", "TST", 18);
        handler = new BridgeHandler(inbox, bridge, token);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariant_locked_is_held_and_covers_what_is_claimable() public view {
        address[2] memory assets = [address(0), address(token)];
        for (uint256 i; i < 2; i++) {
            address a = assets[i];
            uint256 held = a == address(0) ? address(bridge).balance : token.balanceOf(address(bridge));
            assertEq(bridge.locked(a), held, "locked = held");
            assertEq(bridge.locked(a), handler.deposited(a) - handler.paid(a), "locked = deposited - paid");
            // Everything written as a withdrawal and not yet paid can still be paid.
            assertGe(bridge.locked(a), handler.withdrawn(a) - handler.paid(a), "locked covers claimable");
        }
    }

    /// forge-config: default.invariant.runs = 64
    /// forge-config: default.invariant.depth = 100
    function invariant_no_withdrawal_is_paid_twice() public view {
        assertEq(handler.doubleFinalizations(), 0, "double finalizations");
    }
}

/// @notice The escape hatch's nested liquidity and fee vault (docs/bridge.md §7.2, §7.3): a pool
///         whose side is the liquidity token of a pool whose side is itself a liquidity token is
///         paid level by level through held shares, never more than any pool's reserves; the fee
///         vault's claims pay the fee recipient proven from the frozen state.
contract L1BridgeNestedEscapeTest is Test, WithdrawalTrees {
    address constant BATCHER = address(0xBA7C4E5);
    address constant ALICE = address(0xA11CE);
    address constant BOB = address(0xB0B);
    address constant CAROL = address(0xCA201);
    address constant RECIPIENT = address(0xFEE5);
    address constant VAULT = 0x4200000000000000000000000000000000000011;
    /// @dev Holder of each pool's locked minimum in these states (the L2 mints it to the zero
    ///      address; a holder that can be paid lets the fuzz test claim every share).
    address constant DEAD = address(0xDEAD);
    uint256 constant MIN = 1000;
    /// @dev CAROL's balance of every asset: locked, never claimed here.
    uint256 constant EXTRA = 1 ether;
    uint256 constant VAULT_ETHER = 0.5 ether;
    uint256 constant VAULT_TST = 7 ether;
    uint256 constant WINDOW = 7 days;
    uint256 constant INCLUSION = 20;

    /// @dev Three pools, each side's reserve and each holder's shares:
    ///      P1 = (ether, TST), whose liquidity token LP1 DEAD (MIN), ALICE (`alice1`) and P2
    ///      (`in2`) hold; P2 = (LP1, TWO), LP2 held by DEAD, BOB (`bob2`) and P3 (`in3`);
    ///      P3 = (LP2, THREE), LP3 held by DEAD, ALICE (`alice3`) and the fee vault (`vault3`).
    struct Nest {
        uint256 ether1;
        uint256 tst1;
        uint256 two2;
        uint256 three3;
        uint256 alice1;
        uint256 in2;
        uint256 bob2;
        uint256 in3;
        uint256 alice3;
        uint256 vault3;
    }

    BatchInbox inbox;
    L1Bridge bridge;
    TestToken tst;
    TestToken two;
    TestToken three;
    address weth;
    address l2Tst;
    address l2Two;
    address l2Three;
    address lp1;
    address lp2;
    address lp3;

    function setUp() public override {
        inbox = new BatchInbox(
            BATCHER, WINDOW, 1 ether, keccak256("genesis"), 4, 42069, ChunkVerifier(address(0)), FREEZE_DELAY
        );
        inbox.stake{value: 1 ether}();
        bridge = new L1Bridge(inbox, INCLUSION);
        inbox.attachBridge(IBridgeQueue(address(bridge)));
        tst = new TestToken("Test Token", "TST", 18);
        two = new TestToken("Two", "TWO", 18);
        three = new TestToken("Three", "THREE", 18);
        (weth, l2Tst) = (StateKeys.bridgedToken(address(0)), StateKeys.bridgedToken(address(tst)));
        (l2Two, l2Three) = (StateKeys.bridgedToken(address(two)), StateKeys.bridgedToken(address(three)));
        lp1 = _lp(weth, l2Tst);
        lp2 = _lp(lp1, l2Two);
        lp3 = _lp(lp2, l2Three);
        vm.roll(100);
        vm.warp(1_700_000_000);
    }

    /// @dev 4 ether and 400 TST in P1 (2,000 LP1: ALICE 500, P2 500); 500 LP1 and 60 TWO in P2
    ///      (1,500 LP2: BOB 100, P3 400); 400 LP2 and 30 THREE in P3 (1,200 LP3: ALICE 150, the
    ///      fee vault 50).
    function _standard() private pure returns (Nest memory) {
        return Nest({
            ether1: 4 ether,
            tst1: 400 ether,
            two2: 60 ether,
            three3: 30 ether,
            alice1: 500,
            in2: 500,
            bob2: 100,
            in3: 400,
            alice3: 150,
            vault3: 50
        });
    }

    function _lp(address a, address b) private pure returns (address) {
        return a < b ? StateKeys.lpToken(a, b) : StateKeys.lpToken(b, a);
    }

    function _pool(address a, address b, uint256 ra, uint256 rb, uint256 supply) private {
        (address t0, address t1, uint256 r0, uint256 r1) = a < b ? (a, b, ra, rb) : (b, a, rb, ra);
        _addLeaf(StateKeys.pool(t0, t1), bytes32(r0 | (r1 << 128)));
        _addLeaf(StateKeys.supply(StateKeys.lpToken(t0, t1)), bytes32(supply));
        // A liquidity token's metadata word: "LP", 18 decimals.
        // forge-lint: disable-next-line(unsafe-typecast)
        _addLeaf(StateKeys.token(StateKeys.lpToken(t0, t1)), bytes32((uint256(bytes32("LP")) & ~uint256(0xff)) | 18));
        _addLeaf(StateKeys.balance(StateKeys.lpToken(t0, t1), DEAD), bytes32(MIN));
    }

    function _deposit(address l1Token, uint256 amount) private {
        if (l1Token == address(0)) {
            vm.deal(ALICE, amount);
            vm.prank(ALICE);
            bridge.depositETH{value: amount}(ALICE);
            return;
        }
        TestToken(l1Token).mint(ALICE, amount);
        vm.prank(ALICE);
        TestToken(l1Token).approve(address(bridge), amount);
        vm.prank(ALICE);
        bridge.depositERC20(l1Token, ALICE, amount);
    }

    /// @dev ALICE deposits what the state of `n` holds of each asset (the reserves, CAROL's
    ///      `EXTRA` of each, the fee vault's ether and TST), the one batch posts that state and
    ///      consumes the deposits; BOB's later deposit is never consumed, goes overdue, the inbox
    ///      is frozen and the batch becomes final. The fee recipient is laid out or not.
    function _frozenNest(Nest memory n, bool withRecipient) private {
        _deposit(address(0), n.ether1 + EXTRA + VAULT_ETHER);
        _deposit(address(tst), n.tst1 + EXTRA + VAULT_TST);
        _deposit(address(two), n.two2 + EXTRA);
        _deposit(address(three), n.three3 + EXTRA);
        _addLeaf(StateKeys.tokenOrigin(weth), StateKeys.originValue(address(0)));
        _addLeaf(StateKeys.tokenOrigin(l2Tst), StateKeys.originValue(address(tst)));
        _addLeaf(StateKeys.tokenOrigin(l2Two), StateKeys.originValue(address(two)));
        _addLeaf(StateKeys.tokenOrigin(l2Three), StateKeys.originValue(address(three)));
        _pool(weth, l2Tst, n.ether1, n.tst1, MIN + n.alice1 + n.in2);
        _addLeaf(StateKeys.balance(lp1, ALICE), bytes32(n.alice1));
        _pool(lp1, l2Two, n.in2, n.two2, MIN + n.bob2 + n.in3);
        _addLeaf(StateKeys.balance(lp2, BOB), bytes32(n.bob2));
        _pool(lp2, l2Three, n.in3, n.three3, MIN + n.alice3 + n.vault3);
        _addLeaf(StateKeys.balance(lp3, ALICE), bytes32(n.alice3));
        _addLeaf(StateKeys.balance(lp3, VAULT), bytes32(n.vault3));
        _addLeaf(StateKeys.balance(weth, CAROL), bytes32(EXTRA));
        _addLeaf(StateKeys.balance(l2Tst, CAROL), bytes32(EXTRA));
        _addLeaf(StateKeys.balance(l2Two, CAROL), bytes32(EXTRA));
        _addLeaf(StateKeys.balance(l2Three, CAROL), bytes32(EXTRA));
        _addLeaf(StateKeys.balance(weth, VAULT), bytes32(VAULT_ETHER));
        _addLeaf(StateKeys.balance(l2Tst, VAULT), bytes32(VAULT_TST));
        if (withRecipient) _addLeaf(StateKeys.feeRecipient(), bytes32(uint256(uint160(RECIPIENT))));
        _post(inbox, BATCHER, _root());
        vm.deal(BOB, 1 ether);
        vm.prank(BOB);
        bridge.depositETH{value: 1 ether}(BOB);
        vm.roll(100 + FREEZE_DELAY + 1);
        inbox.freeze();
        vm.warp(block.timestamp + WINDOW);
    }

    function _valueOf(bytes32 key) private view returns (uint256) {
        for (uint256 i; i < keys.length; i++) {
            if (keys[i] == key) return uint256(values[i]);
        }
        return 0;
    }

    /// @dev What proves the pool of `a` and `b` (origins in that order).
    function _poolProof(address a, address b) private view returns (L1Bridge.PoolProof memory) {
        (address t0, address t1) = a < b ? (a, b) : (b, a);
        address lp = StateKeys.lpToken(t0, t1);
        return L1Bridge.PoolProof({
            supply: _valueOf(StateKeys.supply(lp)),
            supplyProof: _proof(StateKeys.supply(lp)),
            reserves: _valueOf(StateKeys.pool(t0, t1)),
            reservesProof: _proof(StateKeys.pool(t0, t1)),
            originA: _value(StateKeys.tokenOrigin(a)),
            originB: _value(StateKeys.tokenOrigin(b))
        });
    }

    /// @dev What proves `owner`'s shares of the pool of `a` and `b`.
    function _shares(address a, address b, address owner) private view returns (L1Bridge.LiquidityProof memory) {
        bytes32 key = StateKeys.balance(_lp(a, b), owner);
        return L1Bridge.LiquidityProof({shares: _valueOf(key), sharesProof: _proof(key), pool: _poolProof(a, b)});
    }

    function _escape(address a, address b, address owner) private {
        bridge.escapeLiquidity(a, b, owner, _shares(a, b, owner));
    }

    function _redeem(address a, address b, address account) private {
        bridge.escapeHeldShares(a, b, account, _poolProof(a, b));
    }

    function test_nested_liquidity_is_paid_level_by_level() public {
        _frozenNest(_standard(), true);
        // P3 pays ALICE's LP3 in its bridged side and holds its LP2 side for her.
        vm.prank(address(0xCAFE)); // anyone may send it
        _escape(lp2, l2Three, ALICE);
        assertEq(three.balanceOf(ALICE), 3.75 ether, "150/1200 of 30 THREE");
        assertEq(bridge.heldShares(lp2, ALICE), 50, "150/1200 of 400 LP2, held");
        L1Bridge.LiquidityProof memory again = _shares(lp2, l2Three, ALICE);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(lp3, ALICE)));
        bridge.escapeLiquidity(l2Three, lp2, ALICE, again);

        // Her held LP2 is paid from P2, named by its pair: TWO paid, LP1 held in turn.
        vm.prank(address(0xCAFE));
        _redeem(lp1, l2Two, ALICE);
        assertEq(two.balanceOf(ALICE), 2 ether, "50/1500 of 60 TWO");
        assertEq(bridge.heldShares(lp2, ALICE), 0, "the held LP2 paid");
        assertEq(bridge.heldShares(lp1, ALICE), 16, "50/1500 of 500 LP1, rounded down");
        L1Bridge.PoolProof memory p2 = _poolProof(lp1, l2Two);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, lp2, ALICE));
        bridge.escapeHeldShares(lp1, l2Two, ALICE, p2);

        // Her held LP1 is paid from P1, both sides bridged (in either order).
        _redeem(l2Tst, weth, ALICE);
        assertEq(ALICE.balance, 0.032 ether, "16/2000 of 4 ether");
        assertEq(tst.balanceOf(ALICE), 3.2 ether, "16/2000 of 400 TST");
        assertEq(bridge.heldShares(lp1, ALICE), 0, "the held LP1 paid");
        // Her own LP1 balance is a claim of its own, beside what she was paid through P2 and P3.
        _escape(weth, l2Tst, ALICE);
        assertEq(ALICE.balance, 1.032 ether, "and 500/2000 of 4 ether");
        assertEq(tst.balanceOf(ALICE), 103.2 ether, "and 500/2000 of 400 TST");

        // BOB's LP2, one level down.
        _escape(lp1, l2Two, BOB);
        assertEq(two.balanceOf(BOB), 4 ether, "100/1500 of 60 TWO");
        assertEq(bridge.heldShares(lp1, BOB), 33, "100/1500 of 500 LP1, rounded down");
        _redeem(weth, l2Tst, BOB);
        assertEq(BOB.balance, 0.066 ether, "33/2000 of 4 ether");
        assertEq(tst.balanceOf(BOB), 6.6 ether, "33/2000 of 400 TST");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, lp1, BOB));
        bridge.escapeHeldShares(weth, l2Tst, BOB, _poolProofNow(weth, l2Tst));
        // Paid from what is locked, never beyond the pools' reserves.
        assertEq(bridge.locked(address(0)), 4 ether - 1.098 ether + EXTRA + VAULT_ETHER + 1 ether, "ether");
        assertEq(bridge.locked(address(two)), 60 ether - 6 ether + EXTRA, "TWO");
    }

    /// @dev `_poolProof`, for a call after `vm.expectRevert` (computed before it by the caller).
    function _poolProofNow(address a, address b) private view returns (L1Bridge.PoolProof memory) {
        return _poolProof(a, b);
    }

    function test_held_shares_are_paid_only_from_the_pool_named() public {
        _frozenNest(_standard(), true);
        _escape(lp2, l2Three, ALICE); // 50 LP2 held for her
        // A pair whose liquidity token she holds none of: her LP1 is a balance (claimed by
        // `escapeLiquidity`), not held.
        L1Bridge.PoolProof memory p1 = _poolProof(weth, l2Tst);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, lp1, ALICE));
        bridge.escapeHeldShares(weth, l2Tst, ALICE, p1);
        // The held token paired with another side derives another liquidity token.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, _lp(lp1, l2Three), ALICE));
        bridge.escapeHeldShares(lp1, l2Three, ALICE, p1);
        // The right pair with another pool's supply and reserves proves nothing.
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.supply(lp2)));
        bridge.escapeHeldShares(lp1, l2Two, ALICE, p1);
        // Nor with a bridged side's origin proven absent (it would be held instead of paid).
        L1Bridge.PoolProof memory forfeit = _poolProof(lp1, l2Two);
        forfeit.originB = _value(StateKeys.tokenOrigin(lp1));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.tokenOrigin(l2Two)));
        bridge.escapeHeldShares(lp1, l2Two, ALICE, forfeit);
        // BOB's LP2 is a balance: nothing is held for him until P2 or P3 pays him some.
        L1Bridge.PoolProof memory p2 = _poolProof(l2Two, lp1);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, lp2, BOB));
        bridge.escapeHeldShares(l2Two, lp1, BOB, p2);
        // Named right, they are paid once.
        bridge.escapeHeldShares(l2Two, lp1, ALICE, p2);
        assertEq(two.balanceOf(ALICE), 2 ether, "50/1500 of 60 TWO");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoHeldShares.selector, lp2, ALICE));
        bridge.escapeHeldShares(l2Two, lp1, ALICE, p2);
    }

    function test_the_fee_vault_pays_the_fee_recipient() public {
        _frozenNest(_standard(), true);
        bytes32[] memory proof = _proof(StateKeys.balance(weth, VAULT));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.FeeRecipientUnproven.selector));
        bridge.escapeBalance(address(0), VAULT, VAULT_ETHER, proof);
        L1Bridge.StateValue memory forged = _value(StateKeys.feeRecipient());
        forged.value = bytes32(uint256(uint160(CAROL)));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.InvalidStateProof.selector, StateKeys.feeRecipient()));
        bridge.proveFeeRecipient(forged);
        vm.prank(address(0xCAFE)); // anyone may send it
        bridge.proveFeeRecipient(_value(StateKeys.feeRecipient()));
        assertEq(bridge.feeRecipient(), RECIPIENT, "recorded");

        // The vault's balances, of ether and of a token.
        vm.prank(address(0xCAFE));
        bridge.escapeBalance(address(0), VAULT, VAULT_ETHER, proof);
        assertEq(RECIPIENT.balance, VAULT_ETHER, "the vault's ether, to the fee recipient");
        assertEq(VAULT.balance, 0, "nothing sent to the vault's keyless L1 address");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(weth, VAULT)));
        bridge.escapeBalance(address(0), VAULT, VAULT_ETHER, proof);
        bridge.escapeBalance(address(tst), VAULT, VAULT_TST, _proof(StateKeys.balance(l2Tst, VAULT)));
        assertEq(tst.balanceOf(RECIPIENT), VAULT_TST, "the vault's TST");
        assertEq(tst.balanceOf(VAULT), 0, "none at the vault");

        // Its liquidity, at every level: what is held is held for the recipient.
        _escape(lp2, l2Three, VAULT);
        assertEq(three.balanceOf(RECIPIENT), 1.25 ether, "50/1200 of 30 THREE");
        assertEq(bridge.heldShares(lp2, RECIPIENT), 16, "50/1200 of 400 LP2, rounded down");
        assertEq(bridge.heldShares(lp2, VAULT), 0, "nothing held for the vault itself");
        L1Bridge.LiquidityProof memory again = _shares(lp2, l2Three, VAULT);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.AlreadyEscaped.selector, StateKeys.balance(lp3, VAULT)));
        bridge.escapeLiquidity(lp2, l2Three, VAULT, again);
        _redeem(lp1, l2Two, RECIPIENT);
        assertEq(two.balanceOf(RECIPIENT), 0.64 ether, "16/1500 of 60 TWO");
        assertEq(bridge.heldShares(lp1, RECIPIENT), 5, "16/1500 of 500 LP1, rounded down");
        _redeem(weth, l2Tst, RECIPIENT);
        assertEq(RECIPIENT.balance, VAULT_ETHER + 0.01 ether, "and 5/2000 of 4 ether");
        assertEq(tst.balanceOf(RECIPIENT), VAULT_TST + 1 ether, "and 5/2000 of 400 TST");
        assertEq(VAULT.balance, 0, "still nothing at the vault");
    }

    function test_without_a_fee_recipient_the_vault_is_refused() public {
        _frozenNest(_standard(), false);
        L1Bridge.StateValue memory absent = _value(StateKeys.feeRecipient());
        assertEq(absent.value, bytes32(0), "no recipient in the state");
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.NoFeeRecipient.selector));
        bridge.proveFeeRecipient(absent);
        bytes32[] memory proof = _proof(StateKeys.balance(weth, VAULT));
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.FeeRecipientUnproven.selector));
        bridge.escapeBalance(address(0), VAULT, VAULT_ETHER, proof);
        L1Bridge.LiquidityProof memory p = _shares(lp2, l2Three, VAULT);
        vm.expectRevert(abi.encodeWithSelector(L1Bridge.FeeRecipientUnproven.selector));
        bridge.escapeLiquidity(lp2, l2Three, VAULT, p);
        assertEq(VAULT.balance, 0, "nothing sent to the vault's keyless L1 address");
        assertEq(bridge.locked(address(0)), 4 ether + EXTRA + VAULT_ETHER + 1 ether, "all still locked");
    }

    /// Every share of every level claimed, the locked minimums included: each pool pays at most
    /// its reserves (its bridged side is its own L1 asset here, so what left of each asset is
    /// what its pool paid), nothing stays held, and what is locked still covers the balances
    /// and the unconsumed deposit.
    function testFuzz_nested_pools_pay_at_most_their_reserves(uint96[4] calldata reserves, uint64[6] calldata shares)
        public
    {
        Nest memory n = Nest({
            ether1: bound(reserves[0], 1, type(uint96).max),
            tst1: bound(reserves[1], 1, type(uint96).max),
            two2: bound(reserves[2], 1, type(uint96).max),
            three3: bound(reserves[3], 1, type(uint96).max),
            alice1: shares[0],
            in2: bound(shares[1], 1, type(uint64).max),
            bob2: shares[2],
            in3: bound(shares[3], 1, type(uint64).max),
            alice3: shares[4],
            vault3: shares[5]
        });
        _frozenNest(n, true);
        bridge.proveFeeRecipient(_value(StateKeys.feeRecipient()));
        address[3] memory direct3 = [DEAD, ALICE, VAULT];
        for (uint256 i; i < 3; i++) {
            if (_valueOf(StateKeys.balance(lp3, direct3[i])) != 0) _escape(lp2, l2Three, direct3[i]);
        }
        address[2] memory direct2 = [DEAD, BOB];
        for (uint256 i; i < 2; i++) {
            if (_valueOf(StateKeys.balance(lp2, direct2[i])) != 0) _escape(lp1, l2Two, direct2[i]);
        }
        address[2] memory direct1 = [DEAD, ALICE];
        for (uint256 i; i < 2; i++) {
            if (_valueOf(StateKeys.balance(lp1, direct1[i])) != 0) _escape(weth, l2Tst, direct1[i]);
        }
        address[4] memory accounts = [DEAD, ALICE, BOB, RECIPIENT];
        for (uint256 i; i < 4; i++) {
            if (bridge.heldShares(lp2, accounts[i]) != 0) _redeem(lp1, l2Two, accounts[i]);
        }
        for (uint256 i; i < 4; i++) {
            if (bridge.heldShares(lp1, accounts[i]) != 0) _redeem(weth, l2Tst, accounts[i]);
            assertEq(bridge.heldShares(lp1, accounts[i]), 0, "no LP1 left held");
            assertEq(bridge.heldShares(lp2, accounts[i]), 0, "no LP2 left held");
        }
        assertGe(bridge.locked(address(0)), EXTRA + VAULT_ETHER + 1 ether, "P1 paid at most its ether");
        assertGe(bridge.locked(address(tst)), EXTRA + VAULT_TST, "P1 paid at most its TST");
        assertGe(bridge.locked(address(two)), EXTRA, "P2 paid at most its TWO");
        assertGe(bridge.locked(address(three)), EXTRA, "P3 paid at most its THREE");
        assertEq(address(bridge).balance, bridge.locked(address(0)), "ether held is what is locked");
        assertEq(tst.balanceOf(address(bridge)), bridge.locked(address(tst)), "TST held is what is locked");
        assertEq(two.balanceOf(address(bridge)), bridge.locked(address(two)), "TWO held is what is locked");
        assertEq(three.balanceOf(address(bridge)), bridge.locked(address(three)), "THREE held");
    }
}
