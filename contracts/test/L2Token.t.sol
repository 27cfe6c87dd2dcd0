// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {L2System} from "../src/l2/L2System.sol";
import {_noMarkets} from "./L2System.t.sol";
import {L2Token} from "../src/l2/L2Token.sol";
import {Multicall3} from "../src/l2/Multicall3.sol";
import {LedgerLogic} from "../src/logic/LedgerLogic.sol";

/// @dev Cheatcodes these tests use beyond the shared subset of utils/Vm.sol.
interface VmCode {
    function etch(address target, bytes calldata code) external;
}

VmCode constant vmc = VmCode(address(vm));

/// @notice The ERC-20 face of ledger tokens (`L2Token`) over a real `L2System` at its L2
///         address, with `L2Token`'s runtime code placed at registered tokens as the executor
///         serves it; and `Multicall3` reading through them.
contract L2TokenTest is Test {
    address constant SYSTEM = 0x4200000000000000000000000000000000000010;
    address constant MULTICALL = 0xcA11bde05977b3631167028862bE2a173976CA11;

    // Genesis tokens.
    address constant TKA = 0x7000000000000000000000000000000000000001;
    address constant TKB = 0x7000000000000000000000000000000000000002;

    address constant PROVIDER = address(0x5EED);
    address constant ALICE = address(0xA11CE);
    address constant BOB = address(0xB0B);
    address constant CAROL = address(0xCA201);

    uint256 constant ALICE_A = 1_000e18;
    uint256 constant ALICE_B = 2_500e6;
    uint256 constant BOB_A = 300e18;
    uint256 constant POOL_A = 10_000e18;
    uint256 constant POOL_B = 40_000e6;

    bytes32 constant LEDGER_TRANSFER = keccak256("Transfer(address,address,address,uint256)");
    bytes32 constant LEDGER_APPROVAL = keccak256("Approval(address,address,address,uint256)");

    L2System sys = L2System(SYSTEM);
    L2Token a = L2Token(TKA);
    L2Token b = L2Token(TKB);
    address lp;

    function setUp() public override {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](2);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        tokens[1] = L2System.GenesisToken(TKB, "USDB", 6);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](5);
        mints[0] = L2System.GenesisMint(TKA, ALICE, ALICE_A);
        mints[1] = L2System.GenesisMint(TKB, ALICE, ALICE_B);
        mints[2] = L2System.GenesisMint(TKA, BOB, BOB_A);
        mints[3] = L2System.GenesisMint(TKA, PROVIDER, POOL_A);
        mints[4] = L2System.GenesisMint(TKB, PROVIDER, POOL_B);
        L2System.GenesisPool[] memory pools = new L2System.GenesisPool[](1);
        pools[0] = L2System.GenesisPool(PROVIDER, TKA, TKB, POOL_A, POOL_B);
        // The system contract at its L2 address, its genesis laid out there: run the creation
        // code at that address, then put the runtime code it returns in its place.
        bytes memory creation = abi.encodePacked(
            type(L2System).creationCode,
            abi.encode(
                tokens, mints, pools, L2System.GenesisOracles(address(0), new L2System.OracleRoute[](0)), _noMarkets()
            )
        );
        vmc.etch(SYSTEM, creation);
        (bool ok, bytes memory runtime) = SYSTEM.call("");
        require(ok, "genesis");
        vmc.etch(SYSTEM, runtime);
        (,,, lp) = sys.getPool(TKA, TKB);
        // What the executor does: L2Token's code at every registered token.
        vmc.etch(TKA, type(L2Token).runtimeCode);
        vmc.etch(TKB, type(L2Token).runtimeCode);
        vmc.etch(lp, type(L2Token).runtimeCode);
    }

    function _allowanceError(address token, address owner, address spender, uint256 allowed, uint256 required)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            LedgerLogic.InsufficientAllowance.selector, token, owner, spender, allowed, required
        );
    }

    function _balanceError(address token, address owner, uint256 available, uint256 required)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(LedgerLogic.InsufficientBalance.selector, token, owner, available, required);
    }

    function _topic(address a_) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(a_)));
    }

    /// @dev Log `i` of `logs` is `emitter`'s event `sig` with these indexed topics and data.
    function _checkLog(
        Vm.Log[] memory logs,
        uint256 i,
        address emitter,
        bytes32[] memory topics,
        bytes memory data,
        string memory what
    ) internal pure {
        assertGt(logs.length, i, string.concat(what, ": log present"));
        assertEq(logs[i].emitter, emitter, string.concat(what, ": emitter"));
        assertEq(logs[i].topics.length, topics.length, string.concat(what, ": topic count"));
        for (uint256 k; k < topics.length; k++) {
            assertEq(logs[i].topics[k], topics[k], string.concat(what, ": topic"));
        }
        assertEq(keccak256(logs[i].data), keccak256(data), string.concat(what, ": data"));
    }

    function _topics(bytes32 t0, address t1, address t2) internal pure returns (bytes32[] memory t) {
        t = new bytes32[](3);
        (t[0], t[1], t[2]) = (t0, _topic(t1), _topic(t2));
    }

    function _topics(bytes32 t0, address t1, address t2, address t3) internal pure returns (bytes32[] memory t) {
        t = new bytes32[](4);
        (t[0], t[1], t[2], t[3]) = (t0, _topic(t1), _topic(t2), _topic(t3));
    }

    // -----------------------------------------------------------------------------------------
    // Views.

    function test_views_agreeWithTheLedger() public view {
        address[3] memory tokens = [TKA, TKB, lp];
        for (uint256 i; i < tokens.length; i++) {
            L2Token t = L2Token(tokens[i]);
            (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(tokens[i]);
            assertTrue(exists, "registered");
            assertEq(t.name(), symbol, "name is the symbol");
            assertEq(t.symbol(), symbol, "symbol");
            assertEq(uint256(t.decimals()), uint256(decimals), "decimals");
            assertEq(t.totalSupply(), supply, "totalSupply");
            assertEq(t.balanceOf(ALICE), sys.balanceOf(tokens[i], ALICE), "balanceOf alice");
            assertEq(t.balanceOf(PROVIDER), sys.balanceOf(tokens[i], PROVIDER), "balanceOf provider");
        }
        assertEq(b.symbol(), "USDB", "USDB");
        assertEq(b.name(), "USDB", "name");
        assertEq(uint256(b.decimals()), 6, "6 decimals");
        assertEq(a.totalSupply(), ALICE_A + BOB_A + POOL_A, "A supply");
        assertEq(a.balanceOf(ALICE), ALICE_A, "alice A");
        assertEq(b.balanceOf(BOB), 0, "bob B");
        assertEq(L2Token(lp).symbol(), "LP", "liquidity token");
        assertEq(uint256(L2Token(lp).decimals()), 18, "liquidity token decimals");
        assertGt(L2Token(lp).balanceOf(PROVIDER), 0, "the provider's liquidity");
        assertEq(a.allowance(ALICE, BOB), 0, "no allowance");
    }

    // -----------------------------------------------------------------------------------------
    // transfer.

    function test_transfer_movesTheLedgerBalanceAndEmitsTheLedgerEvent() public {
        vm.recordLogs();
        vm.prank(ALICE);
        assertTrue(b.transfer(CAROL, 700e6), "returns true");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(sys.balanceOf(TKB, ALICE), ALICE_B - 700e6, "alice");
        assertEq(sys.balanceOf(TKB, CAROL), 700e6, "carol");
        assertEq(b.balanceOf(CAROL), 700e6, "carol through the token");
        assertEq(b.totalSupply(), ALICE_B + POOL_B, "supply unchanged");
        // The ledger's event only: the token's ERC-20 event is appended by the L2 executor
        // (executor/src/token_events.rs), not emitted by this code.
        assertEq(logs.length, 1, "one log");
        _checkLog(
            logs, 0, SYSTEM, _topics(LEDGER_TRANSFER, TKB, ALICE, CAROL), abi.encode(uint256(700e6)), "ledger Transfer"
        );
    }

    function test_transfer_ofALiquidityToken() public {
        uint256 held = sys.balanceOf(lp, PROVIDER);
        vm.prank(PROVIDER);
        assertTrue(L2Token(lp).transfer(BOB, 5), "returns true");
        assertEq(sys.balanceOf(lp, PROVIDER), held - 5, "provider");
        assertEq(sys.balanceOf(lp, BOB), 5, "bob");
    }

    function test_transfer_revertsBubbleUpExactly() public {
        vm.prank(ALICE);
        vm.expectRevert(_balanceError(TKB, ALICE, ALICE_B, ALICE_B + 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        b.transfer(BOB, ALICE_B + 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        b.transfer(address(0), 1);
        // The caller's own balance, not another's: Bob has no B.
        vm.prank(BOB);
        vm.expectRevert(_balanceError(TKB, BOB, 0, 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        b.transfer(ALICE, 1);
    }

    // -----------------------------------------------------------------------------------------
    // approve, allowance and transferFrom.

    function test_approve_setsTheAllowanceAndEmitsTheLedgerEvent() public {
        vm.recordLogs();
        vm.prank(ALICE);
        assertTrue(a.approve(BOB, 100e18), "returns true");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(a.allowance(ALICE, BOB), 100e18, "allowance");
        assertEq(sys.allowance(TKA, ALICE, BOB), 100e18, "ledger allowance");
        assertEq(sys.allowance(TKB, ALICE, BOB), 0, "per token");
        assertEq(a.allowance(BOB, ALICE), 0, "per direction");
        // The ledger's event only: the token's ERC-20 event is appended by the L2 executor
        // (executor/src/token_events.rs), not emitted by this code.
        assertEq(logs.length, 1, "one log");
        _checkLog(
            logs, 0, SYSTEM, _topics(LEDGER_APPROVAL, TKA, ALICE, BOB), abi.encode(uint256(100e18)), "ledger Approval"
        );
        // Replaced, not added to.
        vm.prank(ALICE);
        a.approve(BOB, 7);
        assertEq(a.allowance(ALICE, BOB), 7, "replaced");
        vm.prank(ALICE);
        a.approve(BOB, 0);
        assertEq(a.allowance(ALICE, BOB), 0, "revoked");
    }

    function test_approve_zeroSpenderIsInvalid() public {
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidSpender.selector));
        a.approve(address(0), 1);
    }

    function test_transferFrom_spendsTheAllowance() public {
        vm.prank(ALICE);
        a.approve(BOB, 100e18);
        vm.recordLogs();
        vm.prank(BOB);
        assertTrue(a.transferFrom(ALICE, CAROL, 40e18), "returns true");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(a.allowance(ALICE, BOB), 60e18, "allowance spent");
        assertEq(a.balanceOf(ALICE), ALICE_A - 40e18, "alice");
        assertEq(a.balanceOf(CAROL), 40e18, "carol");
        assertEq(a.balanceOf(BOB), BOB_A, "bob, the spender, unchanged");
        // The ledger's event only: the token's ERC-20 event is appended by the L2 executor
        // (executor/src/token_events.rs), not emitted by this code.
        assertEq(logs.length, 1, "one log");
        _checkLog(
            logs, 0, SYSTEM, _topics(LEDGER_TRANSFER, TKA, ALICE, CAROL), abi.encode(uint256(40e18)), "ledger Transfer"
        );
        // The whole rest, then nothing more.
        vm.prank(BOB);
        assertTrue(a.transferFrom(ALICE, BOB, 60e18), "returns true");
        assertEq(a.allowance(ALICE, BOB), 0, "all spent");
        vm.prank(BOB);
        vm.expectRevert(_allowanceError(TKA, ALICE, BOB, 0, 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        a.transferFrom(ALICE, BOB, 1);
    }

    function test_transferFrom_maxAllowanceIsNotSpent() public {
        vm.prank(ALICE);
        a.approve(BOB, type(uint256).max);
        vm.prank(BOB);
        assertTrue(a.transferFrom(ALICE, CAROL, 123), "returns true");
        assertEq(a.allowance(ALICE, BOB), type(uint256).max, "still max");
        assertEq(a.balanceOf(CAROL), 123, "moved");
    }

    function test_transferFrom_revertsBubbleUpExactly() public {
        vm.prank(ALICE);
        a.approve(BOB, 10);
        vm.prank(BOB);
        vm.expectRevert(_allowanceError(TKA, ALICE, BOB, 10, 11));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        a.transferFrom(ALICE, CAROL, 11);
        // Another token's allowance does not count.
        vm.prank(BOB);
        vm.expectRevert(_allowanceError(TKB, ALICE, BOB, 0, 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        b.transferFrom(ALICE, CAROL, 1);
        // Enough allowance, not enough balance: the balance error, and the allowance unspent.
        vm.prank(CAROL);
        a.approve(BOB, 50);
        vm.prank(BOB);
        vm.expectRevert(_balanceError(TKA, CAROL, 0, 50));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        a.transferFrom(CAROL, ALICE, 50);
        assertEq(a.allowance(CAROL, BOB), 50, "unspent after the revert");
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        a.transferFrom(ALICE, address(0), 1);
        assertEq(a.allowance(ALICE, BOB), 10, "unspent");
    }

    // -----------------------------------------------------------------------------------------
    // The system's token entry points and what else a token refuses.

    function test_tokenEntryPoints_refuseAccountsWithoutCode() public {
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L2System.NotATokenContract.selector, ALICE));
        sys.tokenTransfer(ALICE, BOB, 1);
        vm.expectRevert(abi.encodeWithSelector(L2System.NotATokenContract.selector, ALICE));
        sys.tokenApprove(ALICE, BOB, 1);
        vm.expectRevert(abi.encodeWithSelector(L2System.NotATokenContract.selector, ALICE));
        sys.tokenTransferFrom(BOB, ALICE, BOB, 0);
        vm.stopPrank();
        assertEq(a.balanceOf(ALICE), ALICE_A, "nothing moved");
    }

    /// @notice The entry points take the caller as the token: a token's calls reach its own
    ///         balances only.
    function test_tokenEntryPoints_actOnTheCallingToken() public {
        vm.prank(TKB);
        sys.tokenTransfer(ALICE, BOB, 5);
        assertEq(sys.balanceOf(TKB, BOB), 5, "B moved");
        assertEq(sys.balanceOf(TKA, BOB), BOB_A, "A untouched");
        vm.prank(TKA);
        sys.tokenApprove(BOB, CAROL, 9);
        assertEq(sys.allowance(TKA, BOB, CAROL), 9, "A allowance");
        vm.prank(TKA);
        sys.tokenTransferFrom(CAROL, BOB, ALICE, 9);
        assertEq(sys.balanceOf(TKA, ALICE), ALICE_A + 9, "spent by carol");
        assertEq(sys.allowance(TKA, BOB, CAROL), 0, "spent");
    }

    function test_otherCallsRevert() public {
        (bool ok,) = TKA.call(abi.encodeWithSignature("mint(address,uint256)", ALICE, 1));
        assertFalse(ok, "unknown selector");
        (ok,) = TKA.call("");
        assertFalse(ok, "empty calldata");
        vm.deal(ALICE, 1 ether);
        vm.prank(ALICE);
        (ok,) = TKA.call{value: 1}("");
        assertFalse(ok, "plain value send");
        vm.prank(ALICE);
        (ok,) = TKA.call{value: 1}(abi.encodeCall(L2Token.transfer, (BOB, 1)));
        assertFalse(ok, "value with a transfer");
        assertEq(a.balanceOf(BOB), BOB_A, "nothing moved");
    }

    /// @notice The code keeps nothing of its own: no storage or transient storage opcode
    ///         (`type(...).runtimeCode` would not compile with immutables), so the same bytes
    ///         serve every token.
    function test_runtimeUsesNoStorage() public pure {
        bytes memory code = type(L2Token).runtimeCode;
        assertLe(code.length, 4096, "small runtime");
        for (uint256 i; i < code.length; i++) {
            uint8 op = uint8(code[i]);
            assertTrue(op != 0x54 && op != 0x55 && op != 0x5c && op != 0x5d, "SLOAD, SSTORE, TLOAD or TSTORE");
            // PUSH1..PUSH32: skip the pushed bytes.
            if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
        }
    }

    // -----------------------------------------------------------------------------------------
    // Multicall3 over the tokens' views.

    function _multicall() internal returns (Multicall3 m) {
        vmc.etch(MULTICALL, type(Multicall3).runtimeCode);
        m = Multicall3(MULTICALL);
    }

    function test_multicall_aggregate3OverTokenViews() public {
        Multicall3 m = _multicall();
        vm.prank(ALICE);
        a.approve(BOB, 77);
        Multicall3.Call3[] memory calls = new Multicall3.Call3[](7);
        calls[0] = Multicall3.Call3(TKA, false, abi.encodeCall(L2Token.balanceOf, (ALICE)));
        calls[1] = Multicall3.Call3(TKB, false, abi.encodeCall(L2Token.balanceOf, (ALICE)));
        calls[2] = Multicall3.Call3(TKB, false, abi.encodeCall(L2Token.symbol, ()));
        calls[3] = Multicall3.Call3(TKB, false, abi.encodeCall(L2Token.decimals, ()));
        calls[4] = Multicall3.Call3(TKA, false, abi.encodeCall(L2Token.totalSupply, ()));
        calls[5] = Multicall3.Call3(TKA, false, abi.encodeCall(L2Token.allowance, (ALICE, BOB)));
        // A failing call that may fail: an unknown selector.
        calls[6] = Multicall3.Call3(TKA, true, abi.encodeWithSignature("owner()"));
        Multicall3.Result[] memory r = m.aggregate3(calls);
        assertEq(r.length, 7, "results");
        for (uint256 i; i < 6; i++) {
            assertTrue(r[i].success, "success");
        }
        assertEq(abi.decode(r[0].returnData, (uint256)), ALICE_A, "balance A");
        assertEq(abi.decode(r[1].returnData, (uint256)), ALICE_B, "balance B");
        assertEq(abi.decode(r[2].returnData, (string)), "USDB", "symbol");
        assertEq(abi.decode(r[3].returnData, (uint256)), 6, "decimals");
        assertEq(abi.decode(r[4].returnData, (uint256)), ALICE_A + BOB_A + POOL_A, "supply");
        assertEq(abi.decode(r[5].returnData, (uint256)), 77, "allowance");
        assertFalse(r[6].success, "unknown selector fails");
        assertEq(r[6].returnData.length, 0, "without data");
        // The same failing call not allowed to fail.
        calls[6].allowFailure = false;
        vm.expectRevert(abi.encodeWithSignature("Error(string)", "Multicall3: call failed"));
        m.aggregate3(calls);
    }

    function test_multicall_otherAggregatesAndGetters() public {
        Multicall3 m = _multicall();
        vm.roll(50);
        vm.warp(1_700_000_000);
        Multicall3.Call[] memory calls = new Multicall3.Call[](2);
        calls[0] = Multicall3.Call(TKA, abi.encodeCall(L2Token.balanceOf, (BOB)));
        calls[1] = Multicall3.Call(MULTICALL, abi.encodeCall(Multicall3.getBlockNumber, ()));
        (uint256 number, bytes[] memory ret) = m.aggregate(calls);
        assertEq(number, 50, "aggregate: block number");
        assertEq(abi.decode(ret[0], (uint256)), BOB_A, "aggregate: balance");
        assertEq(abi.decode(ret[1], (uint256)), 50, "aggregate: nested getter");
        bytes32 hash;
        Multicall3.Result[] memory r;
        (number, hash, r) = m.blockAndAggregate(calls);
        assertEq(number, 50, "blockAndAggregate: number");
        assertEq(hash, blockhash(50), "blockAndAggregate: hash");
        assertTrue(r[0].success && r[1].success, "blockAndAggregate: success");
        calls[1] = Multicall3.Call(TKA, hex"12345678");
        r = m.tryAggregate(false, calls);
        assertTrue(r[0].success, "tryAggregate: first");
        assertFalse(r[1].success, "tryAggregate: second fails");
        vm.expectRevert(abi.encodeWithSignature("Error(string)", "Multicall3: call failed"));
        m.tryAggregate(true, calls);
        vm.expectRevert(abi.encodeWithSignature("Error(string)", "Multicall3: call failed"));
        m.aggregate(calls);
        (number, hash, r) = m.tryBlockAndAggregate(false, calls);
        assertFalse(r[1].success, "tryBlockAndAggregate: second fails");
        // Values: none on this chain; zero values pass, a mismatch does not.
        Multicall3.Call3Value[] memory valued = new Multicall3.Call3Value[](1);
        valued[0] = Multicall3.Call3Value(TKB, false, 0, abi.encodeCall(L2Token.decimals, ()));
        r = m.aggregate3Value(valued);
        assertEq(abi.decode(r[0].returnData, (uint256)), 6, "aggregate3Value");
        vm.deal(ALICE, 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSignature("Error(string)", "Multicall3: value mismatch"));
        m.aggregate3Value{value: 1}(valued);
        // Getters.
        assertEq(m.getBlockNumber(), 50, "getBlockNumber");
        assertEq(m.getCurrentBlockTimestamp(), 1_700_000_000, "getCurrentBlockTimestamp");
        assertEq(m.getChainId(), block.chainid, "getChainId");
        assertEq(m.getBlockHash(49), blockhash(49), "getBlockHash");
        assertEq(m.getLastBlockHash(), blockhash(49), "getLastBlockHash");
        assertEq(m.getCurrentBlockCoinbase(), block.coinbase, "getCurrentBlockCoinbase");
        assertEq(m.getCurrentBlockDifficulty(), block.prevrandao, "getCurrentBlockDifficulty");
        assertEq(m.getCurrentBlockGasLimit(), block.gaslimit, "getCurrentBlockGasLimit");
        assertEq(m.getBasefee(), block.basefee, "getBasefee");
        assertEq(m.getEthBalance(ALICE), ALICE.balance, "getEthBalance");
    }
}
