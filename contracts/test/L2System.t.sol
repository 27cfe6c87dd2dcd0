// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {L2System} from "../src/l2/L2System.sol";
import {LedgerLogic} from "../src/logic/LedgerLogic.sol";
import {LendingLogic} from "../src/logic/LendingLogic.sol";
import {AmmLogic} from "../src/logic/AmmLogic.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";
import {BridgeLogic} from "../src/logic/BridgeLogic.sol";

/// @notice Behavioural tests of the L2 system contract: ledger (transfer, createToken, listing)
///         and AMM (createPool, swap, addLiquidity, removeLiquidity) over a small genesis.
///         Expected values are computed in the tests (or hard-coded from an off-chain
///         computation), not read back from the contract.

/// @dev No oracles: a genesis of tokens and pools only.
function _noOracles() pure returns (L2System.GenesisOracles memory) {
    return L2System.GenesisOracles(address(0), new L2System.OracleRoute[](0));
}

function _noMarkets() pure returns (L2System.GenesisMarkets memory) {
    return L2System.GenesisMarkets(0, new LendingLogic.MarketParams[](0));
}

contract L2SystemTest is Test {
    event Transfer(address indexed token, address indexed from, address indexed to, uint256 amount);
    event TokenCreated(address indexed token, address indexed creator, string symbol, uint8 decimals, uint256 supply);
    event PoolCreated(address indexed token0, address indexed token1, address lpToken, uint256 index);
    event Swap(
        address indexed sender, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut
    );
    event LiquidityAdded(
        address indexed provider,
        address indexed token0,
        address indexed token1,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );
    event LiquidityRemoved(
        address indexed provider,
        address indexed token0,
        address indexed token1,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );

    // Genesis tokens; TKA < TKB < TKC < TKD.
    address constant TKA = 0x7000000000000000000000000000000000000001;
    address constant TKB = 0x7000000000000000000000000000000000000002;
    address constant TKC = 0x7000000000000000000000000000000000000003;
    address constant TKD = 0x7000000000000000000000000000000000000004; // listed, no pool

    address constant PROVIDER = address(0x5EED);
    address constant ALICE = address(0xA11CE);
    address constant BOB = address(0xB0B);
    address constant WHALE = address(0x3A1E);
    address constant CAROL = address(0xCA201);

    uint256 constant E18 = 1e18;
    uint256 constant TRADER_AMOUNT = 1_000e18;
    uint256 constant WHALE_AMOUNT = 1e33;

    // Genesis pool A/B (token0 = TKA): 1M A, 4M B -> sqrt = 2M.
    uint256 constant AB_RESERVE_A = 1_000_000e18;
    uint256 constant AB_RESERVE_B = 4_000_000e18;
    uint256 constant AB_SUPPLY = 2_000_000e18;
    // Genesis pool B/C, seeded in (C, B) order: 900k C, 100k B -> sqrt = 300k.
    uint256 constant BC_RESERVE_B = 100_000e18;
    uint256 constant BC_RESERVE_C = 900_000e18;
    uint256 constant BC_SUPPLY = 300_000e18;

    uint256 constant PROVIDER_A = 2_000_000e18;
    uint256 constant PROVIDER_B = 5_000_000e18;
    uint256 constant PROVIDER_C = 1_000_000e18;

    uint256 constant SUPPLY_A = PROVIDER_A + 2 * TRADER_AMOUNT + WHALE_AMOUNT;
    uint256 constant SUPPLY_B = PROVIDER_B + 2 * TRADER_AMOUNT + WHALE_AMOUNT;
    uint256 constant SUPPLY_C = PROVIDER_C + 2 * TRADER_AMOUNT + WHALE_AMOUNT;
    uint256 constant SUPPLY_D = 500;

    // Token metadata words: symbol bytes left-aligned, decimals in the lowest byte.
    bytes32 constant USDB_META = 0x5553444200000000000000000000000000000000000000000000000000000006; // "USDB", 6
    bytes32 constant LP_META = 0x4c50000000000000000000000000000000000000000000000000000000000012; // "LP", 18

    L2System sys;
    address lpAB;
    address lpBC;

    function setUp() public override {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](4);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        tokens[1] = L2System.GenesisToken(TKB, "USDB", 6);
        tokens[2] = L2System.GenesisToken(TKC, "WBTC", 8);
        tokens[3] = L2System.GenesisToken(TKD, "DUST", 0);

        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](13);
        mints[0] = L2System.GenesisMint(TKA, PROVIDER, PROVIDER_A);
        mints[1] = L2System.GenesisMint(TKB, PROVIDER, PROVIDER_B);
        mints[2] = L2System.GenesisMint(TKC, PROVIDER, PROVIDER_C);
        mints[3] = L2System.GenesisMint(TKA, ALICE, TRADER_AMOUNT);
        mints[4] = L2System.GenesisMint(TKB, ALICE, TRADER_AMOUNT);
        mints[5] = L2System.GenesisMint(TKC, ALICE, TRADER_AMOUNT);
        mints[6] = L2System.GenesisMint(TKA, BOB, TRADER_AMOUNT);
        mints[7] = L2System.GenesisMint(TKB, BOB, TRADER_AMOUNT);
        mints[8] = L2System.GenesisMint(TKC, BOB, TRADER_AMOUNT);
        mints[9] = L2System.GenesisMint(TKA, WHALE, WHALE_AMOUNT);
        mints[10] = L2System.GenesisMint(TKB, WHALE, WHALE_AMOUNT);
        mints[11] = L2System.GenesisMint(TKC, WHALE, WHALE_AMOUNT);
        mints[12] = L2System.GenesisMint(TKD, ALICE, SUPPLY_D);

        L2System.GenesisPool[] memory pools = new L2System.GenesisPool[](2);
        pools[0] = L2System.GenesisPool(PROVIDER, TKA, TKB, AB_RESERVE_A, AB_RESERVE_B);
        // Seeded in reverse order on purpose: the pool must still be stored as (TKB, TKC).
        pools[1] = L2System.GenesisPool(PROVIDER, TKC, TKB, BC_RESERVE_C, BC_RESERVE_B);

        sys = new L2System(tokens, mints, pools, _noOracles(), _noMarkets());
        lpAB = _lpToken(TKA, TKB);
        lpBC = _lpToken(TKB, TKC);
    }

    // ---------------------------------------------------------------------------------------
    // Independent re-derivations
    // ---------------------------------------------------------------------------------------

    /// @dev keccak256(abi.encode(5, token0, token1)) truncated to an address.
    function _lpToken(address token0, address token1) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(uint256(5), token0, token1)))));
    }

    /// @dev keccak256(abi.encode(10, creator, salt)) truncated to an address.
    function _newToken(address creator, bytes32 salt) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(uint256(10), creator, salt)))));
    }

    /// @dev Uniswap v2 output for an exact input with a 0.3% fee.
    function _out(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        uint256 inAfterFee = amountIn * 997;
        return (inAfterFee * reserveOut) / (reserveIn * 1000 + inAfterFee);
    }

    /// @dev Digit-by-digit integer square root (a different algorithm from the contract's).
    function _isqrt(uint256 x) internal pure returns (uint256 r) {
        uint256 bit = 1 << 254;
        while (bit > x) bit >>= 2;
        while (bit != 0) {
            if (x >= r + bit) {
                x -= r + bit;
                r = (r >> 1) + bit;
            } else {
                r >>= 1;
            }
            bit >>= 2;
        }
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _reserves(address tokenA, address tokenB) internal view returns (uint256 rA, uint256 rB) {
        (rA, rB,,) = sys.getPool(tokenA, tokenB);
    }

    function _supply(address tokenA, address tokenB) internal view returns (uint256 s) {
        (,, s,) = sys.getPool(tokenA, tokenB);
    }

    function _k(address tokenA, address tokenB) internal view returns (uint256) {
        (uint256 rA, uint256 rB) = _reserves(tokenA, tokenB);
        return rA * rB;
    }

    function _bal(address token, address owner) internal view returns (uint256) {
        return sys.balanceOf(token, owner);
    }

    function _insufficient(address token, address owner, uint256 available, uint256 required)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(LedgerLogic.InsufficientBalance.selector, token, owner, available, required);
    }

    // ---------------------------------------------------------------------------------------
    // Genesis
    // ---------------------------------------------------------------------------------------

    function test_genesis_tokenListing() public view {
        assertEq(sys.tokenCount(), 5, "tokenCount");
        assertEq(sys.tokenAt(0), StateKeys.ETHER, "ether is listed first");
        assertEq(sys.tokenAt(1), TKA, "tokenAt(0)");
        assertEq(sys.tokenAt(2), TKB, "tokenAt(1)");
        assertEq(sys.tokenAt(3), TKC, "tokenAt(2)");
        assertEq(sys.tokenAt(4), TKD, "tokenAt(3)");
        assertEq(sys.tokenAt(5), address(0), "tokenAt past the end");

        (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(TKB);
        assertTrue(exists, "TKB exists");
        assertEq(symbol, "USDB", "TKB symbol");
        assertEq(decimals, 6, "TKB decimals");
        assertEq(supply, SUPPLY_B, "TKB supply");

        (exists, symbol, decimals, supply) = sys.tokenInfo(TKD);
        assertTrue(exists, "TKD exists");
        assertEq(symbol, "DUST", "TKD symbol");
        assertEq(decimals, 0, "TKD decimals");
        assertEq(supply, SUPPLY_D, "TKD supply");

        (exists, symbol, decimals, supply) = sys.tokenInfo(address(0x1234));
        assertFalse(exists, "unknown token exists");
        assertEq(symbol, "", "unknown symbol");
        assertEq(decimals, 0, "unknown decimals");
        assertEq(supply, 0, "unknown supply");
    }

    function test_genesis_balancesAndSupply() public view {
        assertEq(sys.totalSupply(TKA), SUPPLY_A, "supply A");
        assertEq(sys.totalSupply(TKB), SUPPLY_B, "supply B");
        assertEq(sys.totalSupply(TKC), SUPPLY_C, "supply C");
        assertEq(_bal(TKA, PROVIDER), PROVIDER_A - AB_RESERVE_A, "provider A");
        assertEq(_bal(TKB, PROVIDER), PROVIDER_B - AB_RESERVE_B - BC_RESERVE_B, "provider B");
        assertEq(_bal(TKC, PROVIDER), PROVIDER_C - BC_RESERVE_C, "provider C");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT, "alice A");
        assertEq(_bal(TKC, BOB), TRADER_AMOUNT, "bob C");
        assertEq(_bal(TKD, ALICE), SUPPLY_D, "alice D");
        assertEq(_bal(TKD, BOB), 0, "bob D");
    }

    function test_genesis_pools() public view {
        assertEq(sys.poolCount(), 2, "poolCount");
        (address t0, address t1) = sys.poolAt(0);
        assertEq(t0, TKA, "pool 0 token0");
        assertEq(t1, TKB, "pool 0 token1");
        (t0, t1) = sys.poolAt(1);
        assertEq(t0, TKB, "pool 1 token0 (sorted although seeded as C,B)");
        assertEq(t1, TKC, "pool 1 token1");
        (t0, t1) = sys.poolAt(2);
        assertEq(t0, address(0), "poolAt past end token0");
        assertEq(t1, address(0), "poolAt past end token1");

        (uint256 rA, uint256 rB, uint256 total, address lp) = sys.getPool(TKA, TKB);
        assertEq(rA, AB_RESERVE_A, "AB reserve A");
        assertEq(rB, AB_RESERVE_B, "AB reserve B");
        assertEq(total, AB_SUPPLY, "AB total liquidity");
        assertEq(lp, lpAB, "AB lp token");
        assertEq(lp, StateKeys.lpToken(TKA, TKB), "AB lp token (StateKeys)");

        (uint256 rC, uint256 rB2, uint256 total2, address lp2) = sys.getPool(TKC, TKB);
        assertEq(rC, BC_RESERVE_C, "BC reserve C (caller order)");
        assertEq(rB2, BC_RESERVE_B, "BC reserve B (caller order)");
        assertEq(total2, BC_SUPPLY, "BC total liquidity");
        assertEq(lp2, lpBC, "BC lp token");

        assertEq(_bal(lpAB, PROVIDER), AB_SUPPLY - 1000, "AB provider liquidity");
        assertEq(_bal(lpAB, address(0)), 1000, "AB locked liquidity");
        assertEq(_bal(lpBC, PROVIDER), BC_SUPPLY - 1000, "BC provider liquidity");
        assertEq(_bal(lpBC, address(0)), 1000, "BC locked liquidity");
        assertEq(sys.MINIMUM_LIQUIDITY(), 1000, "MINIMUM_LIQUIDITY");

        (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(lpAB);
        assertTrue(exists, "lp token registered");
        assertEq(symbol, "LP", "lp symbol");
        assertEq(decimals, 18, "lp decimals");
        assertEq(supply, AB_SUPPLY, "lp supply");

        (rA, rC, total, lp) = sys.getPool(TKA, TKC);
        assertEq(rA + rC + total, 0, "missing pool reserves are zero");
        assertEq(lp, address(0), "missing pool lp token");
    }

    /// @notice Every storage slot of the system contract is a state key (what the Rust side reads).
    function test_genesis_storageLayoutIsStateKeys() public view {
        address s = address(sys);
        assertEq(uint256(vm.load(s, StateKeys.balance(TKA, ALICE))), TRADER_AMOUNT, "balance slot");
        assertEq(uint256(vm.load(s, StateKeys.supply(TKA))), SUPPLY_A, "supply slot");
        assertEq(uint256(vm.load(s, StateKeys.tokenCount())), 5, "tokenCount slot");
        assertEq(uint256(vm.load(s, StateKeys.tokenAt(3))), uint256(uint160(TKC)), "tokenAt slot");
        assertEq(vm.load(s, StateKeys.token(TKB)), USDB_META, "token metadata slot");
        assertEq(
            uint256(vm.load(s, StateKeys.pool(TKA, TKB))),
            AB_RESERVE_A | (AB_RESERVE_B << 128),
            "pool slot: reserve0 low, reserve1 high"
        );
        assertEq(uint256(vm.load(s, StateKeys.poolCount())), 2, "poolCount slot");
        assertEq(uint256(vm.load(s, StateKeys.poolAt(1, 0))), uint256(uint160(TKB)), "poolAt(1,0) slot");
        assertEq(uint256(vm.load(s, StateKeys.poolAt(1, 1))), uint256(uint160(TKC)), "poolAt(1,1) slot");
        assertEq(uint256(vm.load(s, StateKeys.token(lpBC))), uint256(LP_META), "lp metadata slot");
        assertEq(uint256(vm.load(s, bytes32(0))), 0, "slot 0 unused");
        assertEq(uint256(vm.load(s, bytes32(uint256(1)))), 0, "slot 1 unused");
    }

    function test_genesis_revertsWhenPoolProviderLacksBalance() public {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](2);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        tokens[1] = L2System.GenesisToken(TKB, "TKB", 18);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](1);
        mints[0] = L2System.GenesisMint(TKA, PROVIDER, 10e18);
        L2System.GenesisPool[] memory pools = new L2System.GenesisPool[](1);
        pools[0] = L2System.GenesisPool(PROVIDER, TKA, TKB, 10e18, 10e18);
        vm.expectRevert(_insufficient(TKB, PROVIDER, 0, 10e18));
        new L2System(tokens, mints, pools, _noOracles(), _noMarkets());
    }

    function test_genesis_revertsOnDuplicateToken() public {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](2);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        tokens[1] = L2System.GenesisToken(TKA, "AGAIN", 6);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.TokenExists.selector, TKA));
        new L2System(tokens, new L2System.GenesisMint[](0), new L2System.GenesisPool[](0), _noOracles(), _noMarkets());
    }

    // ---------------------------------------------------------------------------------------
    // transfer
    // ---------------------------------------------------------------------------------------

    function test_transfer_movesBalance() public {
        vm.expectEmit(address(sys));
        emit Transfer(TKA, ALICE, BOB, 250e18);
        vm.prank(ALICE);
        bool ok = sys.transfer(TKA, BOB, 250e18);
        assertTrue(ok, "transfer returns true");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 250e18, "alice A");
        assertEq(_bal(TKA, BOB), TRADER_AMOUNT + 250e18, "bob A");
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT, "alice B untouched");
        assertEq(sys.totalSupply(TKA), SUPPLY_A, "supply unchanged");
    }

    function test_transfer_wholeBalanceToNewAccount() public {
        vm.prank(ALICE);
        sys.transfer(TKC, CAROL, TRADER_AMOUNT);
        assertEq(_bal(TKC, ALICE), 0, "alice C");
        assertEq(_bal(TKC, CAROL), TRADER_AMOUNT, "carol C");
        assertEq(uint256(vm.load(address(sys), StateKeys.balance(TKC, ALICE))), 0, "emptied slot is zero");
    }

    function test_transfer_revertsOnInsufficientBalance() public {
        vm.expectRevert(_insufficient(TKA, ALICE, TRADER_AMOUNT, TRADER_AMOUNT + 1));
        vm.prank(ALICE);
        sys.transfer(TKA, BOB, TRADER_AMOUNT + 1);
    }

    function test_transfer_revertsForUnknownToken() public {
        address unknown = address(0xDEAD);
        vm.expectRevert(_insufficient(unknown, ALICE, 0, 1));
        vm.prank(ALICE);
        sys.transfer(unknown, BOB, 1);
    }

    function test_transfer_revertsForZeroRecipient() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        vm.prank(ALICE);
        sys.transfer(TKA, address(0), 1e18);
        // The recipient check comes before the balance check.
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        vm.prank(BOB);
        sys.transfer(TKA, address(0), TRADER_AMOUNT + 1);
    }

    function test_transfer_toSelfKeepsBalance() public {
        vm.prank(ALICE);
        sys.transfer(TKB, ALICE, 400e18);
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT, "self transfer keeps balance");
        vm.prank(ALICE);
        sys.transfer(TKB, ALICE, TRADER_AMOUNT);
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT, "self transfer of everything keeps balance");
        // ...but is still limited by the balance.
        vm.expectRevert(_insufficient(TKB, ALICE, TRADER_AMOUNT, TRADER_AMOUNT + 1));
        vm.prank(ALICE);
        sys.transfer(TKB, ALICE, TRADER_AMOUNT + 1);
    }

    function test_transfer_zeroAmount() public {
        vm.prank(CAROL); // holds nothing
        sys.transfer(TKA, BOB, 0);
        assertEq(_bal(TKA, BOB), TRADER_AMOUNT, "bob unchanged");
        assertEq(_bal(TKA, CAROL), 0, "carol unchanged");
    }

    function test_transfer_liquidityTokens() public {
        vm.prank(PROVIDER);
        sys.transfer(lpAB, BOB, 5e18);
        assertEq(_bal(lpAB, BOB), 5e18, "bob lp");
        assertEq(_bal(lpAB, PROVIDER), AB_SUPPLY - 1000 - 5e18, "provider lp");
    }

    function testFuzz_transfer(uint256 amount, address to) public {
        vm.assume(to != address(0) && to != ALICE);
        amount = bound(amount, 0, TRADER_AMOUNT);
        uint256 toBefore = _bal(TKA, to);
        vm.prank(ALICE);
        sys.transfer(TKA, to, amount);
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - amount, "sender");
        assertEq(_bal(TKA, to), toBefore + amount, "recipient");
        assertEq(sys.totalSupply(TKA), SUPPLY_A, "supply");
    }

    // ---------------------------------------------------------------------------------------
    // createToken
    // ---------------------------------------------------------------------------------------

    function test_createToken_registersAndMints() public {
        bytes32 salt = keccak256("gold");
        address expected = _newToken(ALICE, salt);
        assertEq(expected, StateKeys.newToken(ALICE, salt), "StateKeys.newToken matches the spec");

        vm.expectEmit(address(sys));
        emit Transfer(expected, address(0), ALICE, 21_000_000e9);
        vm.expectEmit(address(sys));
        emit TokenCreated(expected, ALICE, "GOLD", 9, 21_000_000e9);
        vm.prank(ALICE);
        address token = sys.createToken(salt, "GOLD", 9, 21_000_000e9);

        assertEq(token, expected, "token address");
        (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(token);
        assertTrue(exists, "exists");
        assertEq(symbol, "GOLD", "symbol");
        assertEq(decimals, 9, "decimals");
        assertEq(supply, 21_000_000e9, "supply");
        assertEq(sys.totalSupply(token), 21_000_000e9, "totalSupply");
        assertEq(_bal(token, ALICE), 21_000_000e9, "creator balance");
        assertEq(sys.tokenCount(), 6, "tokenCount");
        assertEq(sys.tokenAt(5), token, "tokenAt(4)");
    }

    function test_createToken_addressDependsOnCreatorAndSalt() public {
        bytes32 salt = bytes32(uint256(7));
        vm.prank(ALICE);
        address a1 = sys.createToken(salt, "A1", 18, 1);
        vm.prank(BOB);
        address b1 = sys.createToken(salt, "B1", 18, 2);
        vm.prank(ALICE);
        address a2 = sys.createToken(bytes32(uint256(8)), "A2", 18, 3);

        assertEq(a1, _newToken(ALICE, salt), "alice/7");
        assertEq(b1, _newToken(BOB, salt), "bob/7");
        assertEq(a2, _newToken(ALICE, bytes32(uint256(8))), "alice/8");
        assertTrue(a1 != b1 && a1 != a2 && b1 != a2, "distinct addresses");
        assertEq(sys.tokenCount(), 8, "tokenCount");
        assertEq(sys.tokenAt(5), a1, "tokenAt(4)");
        assertEq(sys.tokenAt(6), b1, "tokenAt(5)");
        assertEq(sys.tokenAt(7), a2, "tokenAt(6)");
        assertEq(_bal(b1, BOB), 2, "bob balance of his token");
        assertEq(_bal(b1, ALICE), 0, "alice balance of bob's token");
    }

    function test_createToken_revertsOnDuplicateSalt() public {
        bytes32 salt = keccak256("dup");
        vm.prank(ALICE);
        address token = sys.createToken(salt, "DUP", 18, 100);

        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.TokenExists.selector, token));
        vm.prank(ALICE);
        sys.createToken(salt, "OTHER", 6, 1_000);

        assertEq(sys.tokenCount(), 6, "tokenCount unchanged");
        assertEq(sys.totalSupply(token), 100, "supply unchanged");
        (, string memory symbol, uint8 decimals,) = sys.tokenInfo(token);
        assertEq(symbol, "DUP", "symbol unchanged");
        assertEq(decimals, 18, "decimals unchanged");
    }

    function test_createToken_revertsOnEmptySymbol() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidSymbol.selector));
        vm.prank(ALICE);
        sys.createToken(bytes32(0), "", 18, 1);
    }

    function test_createToken_revertsOnSymbolLongerThan31Bytes() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidSymbol.selector));
        vm.prank(ALICE);
        sys.createToken(bytes32(0), "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 18, 1); // 32 bytes
    }

    function test_createToken_31ByteSymbolRoundTrips() public {
        string memory sym = "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"; // 31 bytes
        assertEq(bytes(sym).length, 31, "fixture length");
        vm.prank(ALICE);
        address token = sys.createToken(bytes32(0), sym, 255, 1);
        (bool exists, string memory symbol, uint8 decimals,) = sys.tokenInfo(token);
        assertTrue(exists, "exists");
        assertEq(symbol, sym, "31-byte symbol");
        assertEq(decimals, 255, "decimals 255 does not bleed into the symbol");
    }

    function test_createToken_oneByteSymbolZeroDecimalsZeroSupply() public {
        vm.prank(BOB);
        address token = sys.createToken(keccak256("x"), "X", 0, 0);
        (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(token);
        assertTrue(exists, "exists");
        assertEq(symbol, "X", "symbol");
        assertEq(decimals, 0, "decimals");
        assertEq(supply, 0, "supply");
        assertEq(sys.tokenAt(5), token, "listed");
    }

    function testFuzz_createToken(address creator, bytes32 salt, uint8 decimals, uint256 supply, uint256 len) public {
        len = bound(len, 1, 31);
        bytes memory raw = new bytes(len);
        for (uint256 i; i < len; i++) {
            raw[i] = bytes1(uint8(0x41 + (uint256(keccak256(abi.encode(salt, i))) % 26))); // A-Z
        }
        vm.prank(creator);
        address token = sys.createToken(salt, string(raw), decimals, supply);
        assertEq(token, _newToken(creator, salt), "address");
        (bool exists, string memory symbol, uint8 dec, uint256 sup) = sys.tokenInfo(token);
        assertTrue(exists, "exists");
        assertEq(symbol, string(raw), "symbol");
        assertEq(dec, decimals, "decimals");
        assertEq(sup, supply, "supply");
        assertEq(_bal(token, creator), supply, "creator balance");
        assertEq(sys.tokenCount(), 6, "tokenCount");
    }

    /// @dev Regression: token metadata is `symbolBytes | decimals` and must never be zero. A
    ///      symbol of NUL bytes with 0 decimals used to store 0 ("no token"), letting the same
    ///      salt re-mint the supply; NUL bytes are now refused.
    function test_createToken_revertsOnAllNulSymbol() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidSymbol.selector));
        vm.prank(ALICE);
        sys.createToken(keccak256("nul"), "\x00", 0, 100);
        assertEq(sys.tokenCount(), 5, "nothing listed");
    }

    /// @dev Regression: a NUL inside a symbol would be truncated by `tokenInfo`.
    function test_createToken_revertsOnEmbeddedNul() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidSymbol.selector));
        vm.prank(ALICE);
        sys.createToken(keccak256("nul2"), "A\x00B", 18, 1);
    }

    // ---------------------------------------------------------------------------------------
    // createPool
    // ---------------------------------------------------------------------------------------

    function test_createPool_revertsOnIdenticalTokens() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.IdenticalTokens.selector));
        vm.prank(ALICE);
        sys.createPool(TKA, TKA, 10e18, 10e18);
    }

    function test_createPool_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 0, 10e18);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 10e18, 0);
    }

    function test_createPool_revertsOnExistingPool() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolExists.selector, TKA, TKB));
        vm.prank(ALICE);
        sys.createPool(TKA, TKB, 10e18, 10e18);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolExists.selector, TKA, TKB));
        vm.prank(ALICE);
        sys.createPool(TKB, TKA, 10e18, 10e18);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolExists.selector, TKB, TKC));
        vm.prank(ALICE);
        sys.createPool(TKC, TKB, 10e18, 10e18);
    }

    function test_createPool_revertsOnTooLittleLiquidity() public {
        bytes memory err = abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 0, 1);
        vm.expectRevert(err);
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 1000, 1000); // sqrt = 1000 = MINIMUM_LIQUIDITY
        vm.expectRevert(err);
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 1, 1_000_999); // sqrt = 1000
        vm.expectRevert(err);
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 1, 1);
    }

    function test_createPool_smallestPoolMintsOneShare() public {
        vm.prank(ALICE);
        uint256 liquidity = sys.createPool(TKA, TKC, 1001, 1001);
        assertEq(liquidity, 1, "sqrt(1001*1001) - 1000");
        (uint256 rA, uint256 rC, uint256 total,) = sys.getPool(TKA, TKC);
        assertEq(rA, 1001, "reserve A");
        assertEq(rC, 1001, "reserve C");
        assertEq(total, 1001, "total liquidity");
    }

    function test_createPool_revertsOnInsufficientBalance() public {
        vm.expectRevert(_insufficient(TKA, ALICE, TRADER_AMOUNT, TRADER_AMOUNT + 1));
        vm.prank(ALICE);
        sys.createPool(TKC, TKA, 10e18, TRADER_AMOUNT + 1);
        // token1 short: the whole call reverts, token0 is not debited.
        vm.expectRevert(_insufficient(TKC, ALICE, TRADER_AMOUNT, 2 * TRADER_AMOUNT));
        vm.prank(ALICE);
        sys.createPool(TKA, TKC, 10e18, 2 * TRADER_AMOUNT);
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT, "A untouched");
        assertEq(sys.poolCount(), 2, "no pool");
    }

    function test_createPool_success() public {
        address lp = _lpToken(TKA, TKC);
        uint256 expectedLiquidity = 200e18 - 1000; // sqrt(100e18 * 400e18) = 200e18

        vm.expectEmit(address(sys));
        emit PoolCreated(TKA, TKC, lp, 2);
        vm.expectEmit(address(sys));
        emit LiquidityAdded(ALICE, TKA, TKC, 100e18, 400e18, expectedLiquidity);
        vm.prank(ALICE);
        uint256 liquidity = sys.createPool(TKC, TKA, 400e18, 100e18); // caller order (C, A)

        assertEq(liquidity, expectedLiquidity, "liquidity = sqrt(a*b) - 1000");
        assertEq(sys.poolCount(), 3, "poolCount");
        (address t0, address t1) = sys.poolAt(2);
        assertEq(t0, TKA, "poolAt(2).token0");
        assertEq(t1, TKC, "poolAt(2).token1");

        (uint256 rC, uint256 rA, uint256 total, address lpGot) = sys.getPool(TKC, TKA);
        assertEq(rC, 400e18, "reserve C (caller order C,A)");
        assertEq(rA, 100e18, "reserve A (caller order C,A)");
        assertEq(total, 200e18, "total liquidity");
        assertEq(lpGot, lp, "lp token");
        (rA, rC,,) = sys.getPool(TKA, TKC);
        assertEq(rA, 100e18, "reserve A (caller order A,C)");
        assertEq(rC, 400e18, "reserve C (caller order A,C)");

        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 100e18, "alice A");
        assertEq(_bal(TKC, ALICE), TRADER_AMOUNT - 400e18, "alice C");
        assertEq(_bal(lp, ALICE), expectedLiquidity, "alice lp");
        assertEq(_bal(lp, address(0)), 1000, "locked lp");
        assertEq(sys.totalSupply(lp), 200e18, "lp supply");
        assertEq(sys.tokenCount(), 5, "lp tokens are not listed");
        (bool exists, string memory symbol, uint8 decimals,) = sys.tokenInfo(lp);
        assertTrue(exists, "lp registered");
        assertEq(symbol, "LP", "lp symbol");
        assertEq(decimals, 18, "lp decimals");
    }

    function test_createPool_withCreatedToken() public {
        vm.prank(WHALE);
        address gold = sys.createToken(keccak256("gold"), "GOLD", 18, 1_000_000e18);
        vm.prank(WHALE);
        uint256 liquidity = sys.createPool(gold, TKB, 12_345e18, 67_890e18);
        assertEq(liquidity, 28949992227978231357853, "liquidity (computed off-chain)");
        assertEq(liquidity, _isqrt(12_345e18 * 67_890e18) - 1000, "liquidity (isqrt)");
        (address t0, address t1) = sys.poolAt(2);
        (address lo, address hi) = gold < TKB ? (gold, TKB) : (TKB, gold);
        assertEq(t0, lo, "token0");
        assertEq(t1, hi, "token1");
        (uint256 rGold, uint256 rB,,) = sys.getPool(gold, TKB);
        assertEq(rGold, 12_345e18, "reserve gold");
        assertEq(rB, 67_890e18, "reserve B");
    }

    function test_createPool_revertsOnReserveOverflow() public {
        vm.prank(ALICE);
        address big = sys.createToken(keccak256("big"), "BIG", 18, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.ReserveOverflow.selector));
        vm.prank(ALICE);
        sys.createPool(big, TKA, uint256(type(uint128).max) + 1, 1e18);
        // The largest reserve fits.
        vm.prank(ALICE);
        sys.createPool(big, TKA, type(uint128).max, 1e18);
        (uint256 rBig,,,) = sys.getPool(big, TKA);
        assertEq(rBig, type(uint128).max, "max reserve");
    }

    function testFuzz_createPool_liquidityIsSqrtMinusMinimum(uint256 a, uint256 c) public {
        a = bound(a, 1, WHALE_AMOUNT);
        c = bound(c, 1, WHALE_AMOUNT);
        uint256 root = _isqrt(a * c);
        assertTrue(root * root <= a * c && (root + 1) * (root + 1) > a * c, "test isqrt");
        if (root <= 1000) {
            vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 0, 1));
            vm.prank(WHALE);
            sys.createPool(TKA, TKC, a, c);
            return;
        }
        vm.prank(WHALE);
        uint256 liquidity = sys.createPool(TKA, TKC, a, c);
        assertEq(liquidity, root - 1000, "liquidity");
        address lp = _lpToken(TKA, TKC);
        assertEq(_bal(lp, WHALE), root - 1000, "whale lp");
        assertEq(_bal(lp, address(0)), 1000, "locked");
        assertEq(_bal(TKA, WHALE), WHALE_AMOUNT - a, "whale A");
        assertEq(_bal(TKC, WHALE), WHALE_AMOUNT - c, "whale C");
    }

    // ---------------------------------------------------------------------------------------
    // swap
    // ---------------------------------------------------------------------------------------

    function test_swap_tokenAForTokenB() public {
        uint256 expected = 398760243603712709842; // computed off-chain
        assertEq(_out(100e18, AB_RESERVE_A, AB_RESERVE_B), expected, "formula");

        vm.expectEmit(address(sys));
        emit Swap(ALICE, TKA, TKB, 100e18, expected);
        vm.prank(ALICE);
        uint256 out = sys.swap(TKA, TKB, 100e18, expected);

        assertEq(out, expected, "amount out");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 100e18, "alice A");
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT + expected, "alice B");
        (uint256 rA, uint256 rB, uint256 total,) = sys.getPool(TKA, TKB);
        assertEq(rA, AB_RESERVE_A + 100e18, "reserve A");
        assertEq(rB, AB_RESERVE_B - expected, "reserve B");
        assertEq(total, AB_SUPPLY, "liquidity unchanged");
        assertEq(sys.totalSupply(TKA), SUPPLY_A, "supply A unchanged");
        assertEq(sys.totalSupply(TKB), SUPPLY_B, "supply B unchanged");
    }

    function test_swap_tokenBForTokenA() public {
        uint256 expected = 24924378759859410504; // computed off-chain
        assertEq(_out(100e18, AB_RESERVE_B, AB_RESERVE_A), expected, "formula");
        vm.prank(BOB);
        uint256 out = sys.swap(TKB, TKA, 100e18, 0);
        assertEq(out, expected, "amount out");
        assertEq(_bal(TKB, BOB), TRADER_AMOUNT - 100e18, "bob B");
        assertEq(_bal(TKA, BOB), TRADER_AMOUNT + expected, "bob A");
        (uint256 rB, uint256 rA,,) = sys.getPool(TKB, TKA);
        assertEq(rA, AB_RESERVE_A - expected, "reserve A");
        assertEq(rB, AB_RESERVE_B + 100e18, "reserve B");
    }

    function test_swap_consecutiveSwapsUseUpdatedReserves() public {
        vm.prank(ALICE);
        uint256 out1 = sys.swap(TKA, TKB, 100e18, 0);
        vm.prank(BOB);
        uint256 out2 = sys.swap(TKB, TKA, 50e18, 0);
        assertEq(out1, 398760243603712709842, "first");
        assertEq(out2, 12464833527025598556, "second (computed off-chain)");
        assertEq(out2, _out(50e18, AB_RESERVE_B - out1, AB_RESERVE_A + 100e18), "second (formula)");
        (uint256 rA, uint256 rB) = _reserves(TKA, TKB);
        assertEq(rA, AB_RESERVE_A + 100e18 - out2, "reserve A");
        assertEq(rB, AB_RESERVE_B - out1 + 50e18, "reserve B");
    }

    function test_swap_inPoolSeededInReverseOrder() public {
        uint256 expected = 1107765506197670232; // computed off-chain
        vm.prank(ALICE);
        uint256 out = sys.swap(TKC, TKB, 10e18, 0);
        assertEq(out, expected, "C -> B");
        (uint256 rB, uint256 rC) = _reserves(TKB, TKC);
        assertEq(rB, BC_RESERVE_B - expected, "reserve B");
        assertEq(rC, BC_RESERVE_C + 10e18, "reserve C");
        assertEq(
            uint256(vm.load(address(sys), StateKeys.pool(TKB, TKC))),
            rB | (rC << 128),
            "packed as reserve0 (B) low, reserve1 (C) high"
        );

        uint256 expectedBack = _out(1e18, rB, rC);
        vm.prank(BOB);
        out = sys.swap(TKB, TKC, 1e18, 0);
        assertEq(out, expectedBack, "B -> C");
        assertEq(_bal(TKC, BOB), TRADER_AMOUNT + expectedBack, "bob C");
    }

    function test_swap_revertsBelowMinAmountOut() public {
        uint256 expected = _out(100e18, AB_RESERVE_A, AB_RESERVE_B);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientOutput.selector, expected, expected + 1));
        vm.prank(ALICE);
        sys.swap(TKA, TKB, 100e18, expected + 1);
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT, "nothing moved");
        (uint256 rA,) = _reserves(TKA, TKB);
        assertEq(rA, AB_RESERVE_A, "reserve unchanged");
    }

    function test_swap_revertsWhenOutputRoundsToZero() public {
        assertEq(_out(1, AB_RESERVE_B, AB_RESERVE_A), 0, "fixture");
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientOutput.selector, 0, 0));
        vm.prank(ALICE);
        sys.swap(TKB, TKA, 1, 0);
    }

    function test_swap_revertsForUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKD));
        vm.prank(ALICE);
        sys.swap(TKA, TKD, 1e18, 0);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKD));
        vm.prank(ALICE);
        sys.swap(TKD, TKA, 100, 0);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKC));
        vm.prank(ALICE);
        sys.swap(TKC, TKA, 1e18, 0);
    }

    function test_swap_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(ALICE);
        sys.swap(TKA, TKB, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(ALICE);
        sys.swap(TKA, TKD, 0, 0);
    }

    function test_swap_revertsOnIdenticalTokens() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.IdenticalTokens.selector));
        vm.prank(ALICE);
        sys.swap(TKA, TKA, 1e18, 0);
    }

    function test_swap_revertsOnInsufficientBalance() public {
        vm.expectRevert(_insufficient(TKA, ALICE, TRADER_AMOUNT, TRADER_AMOUNT + 1));
        vm.prank(ALICE);
        sys.swap(TKA, TKB, TRADER_AMOUNT + 1, 0);
        vm.expectRevert(_insufficient(TKB, CAROL, 0, 5e18));
        vm.prank(CAROL);
        sys.swap(TKB, TKC, 5e18, 0);
    }

    function test_swap_revertsOnReserveOverflow() public {
        vm.startPrank(ALICE);
        address big = sys.createToken(keccak256("big"), "BIG", 18, type(uint256).max);
        sys.createPool(big, TKA, type(uint128).max, TRADER_AMOUNT);
        uint256 amountIn = 1 << 127;
        assertGt(sys.getAmountOut(big, TKA, amountIn), 0, "fixture: output is positive");
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.ReserveOverflow.selector));
        sys.swap(big, TKA, amountIn, 0);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------------------------------
    // swapPath: the router (docs/api.md)
    // ---------------------------------------------------------------------------------------

    function _path(address a, address b, address c) internal pure returns (address[] memory p) {
        p = new address[](3);
        (p[0], p[1], p[2]) = (a, b, c);
    }

    /// A → B → C pays what two swaps in a row pay, moves both pools, and touches only the
    /// first and last balances of the trader.
    function test_swapPath_twoHopsEqualTwoSwaps() public {
        uint256 mid = _out(100e18, AB_RESERVE_A, AB_RESERVE_B);
        uint256 expected = _out(mid, BC_RESERVE_B, BC_RESERVE_C);
        vm.expectEmit(address(sys));
        emit Swap(ALICE, TKA, TKB, 100e18, mid);
        vm.expectEmit(address(sys));
        emit Swap(ALICE, TKB, TKC, mid, expected);
        vm.prank(ALICE);
        uint256 out = sys.swapPath(_path(TKA, TKB, TKC), 100e18, expected, block.timestamp);
        assertEq(out, expected, "amount out");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 100e18, "first token paid");
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT, "intermediate untouched");
        assertEq(_bal(TKC, ALICE), TRADER_AMOUNT + expected, "last token received");
        (uint256 rA, uint256 rB) = _reserves(TKA, TKB);
        assertEq(rA, AB_RESERVE_A + 100e18, "A/B reserve A");
        assertEq(rB, AB_RESERVE_B - mid, "A/B reserve B");
        (uint256 rB2, uint256 rC) = _reserves(TKB, TKC);
        assertEq(rB2, BC_RESERVE_B + mid, "B/C reserve B");
        assertEq(rC, BC_RESERVE_C - expected, "B/C reserve C");

        // The same through two single swaps from the same state, by BOB in a fresh setup.
        setUp();
        vm.startPrank(BOB);
        uint256 first = sys.swap(TKA, TKB, 100e18, 0);
        uint256 second = sys.swap(TKB, TKC, first, 0);
        vm.stopPrank();
        assertEq(second, expected, "two swaps pay the same");
    }

    /// A path through one pool is `swap`; a path back to its first token round-trips.
    function test_swapPath_oneHopAndRoundTrip() public {
        address[] memory p = new address[](2);
        (p[0], p[1]) = (TKB, TKA);
        uint256 expected = _out(100e18, AB_RESERVE_B, AB_RESERVE_A);
        vm.prank(BOB);
        assertEq(sys.swapPath(p, 100e18, 0, type(uint256).max), expected, "one hop");

        uint256 before = _bal(TKA, ALICE);
        vm.prank(ALICE);
        uint256 back = sys.swapPath(_path(TKA, TKB, TKA), 10e18, 0, block.timestamp);
        assertGt(10e18, back, "a round trip pays the fees twice");
        assertEq(_bal(TKA, ALICE), before - 10e18 + back, "net of the round trip");
    }

    function test_swapPath_revertsPastTheDeadline() public {
        vm.warp(1_000_000);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.Expired.selector, 999_999, 1_000_000));
        vm.prank(ALICE);
        sys.swapPath(_path(TKA, TKB, TKC), 1e18, 0, 999_999);
        vm.prank(ALICE);
        assertGt(sys.swapPath(_path(TKA, TKB, TKC), 1e18, 0, 1_000_000), 0, "at the deadline itself");
    }

    /// All or nothing: below the minimum, with a missing pool anywhere on the path, or without
    /// the first token, nothing moves.
    function test_swapPath_allOrNothing() public {
        uint256 mid = _out(100e18, AB_RESERVE_A, AB_RESERVE_B);
        uint256 expected = _out(mid, BC_RESERVE_B, BC_RESERVE_C);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientOutput.selector, expected, expected + 1));
        vm.prank(ALICE);
        sys.swapPath(_path(TKA, TKB, TKC), 100e18, expected + 1, block.timestamp);

        // The second pool is missing: the first moved, and is rolled back.
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKC, TKD));
        vm.prank(ALICE);
        sys.swapPath(_path(TKB, TKC, TKD), 1e18, 0, block.timestamp);

        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKC));
        vm.prank(ALICE);
        sys.swapPath(_path(TKB, TKC, TKA), 1e18, 0, block.timestamp);

        vm.expectRevert(_insufficient(TKA, CAROL, 0, 1e18));
        vm.prank(CAROL);
        sys.swapPath(_path(TKA, TKB, TKC), 1e18, 0, block.timestamp);

        (uint256 rA, uint256 rB) = _reserves(TKA, TKB);
        assertEq(rA + rB, AB_RESERVE_A + AB_RESERVE_B, "A/B did not move");
        (uint256 rB2, uint256 rC) = _reserves(TKB, TKC);
        assertEq(rB2 + rC, BC_RESERVE_B + BC_RESERVE_C, "B/C did not move");
    }

    function test_swapPath_revertsOnBadPaths() public {
        address[] memory p = new address[](1);
        p[0] = TKA;
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.BadPathLength.selector, 1));
        vm.prank(ALICE);
        sys.swapPath(p, 1e18, 0, block.timestamp);
        p = new address[](6);
        (p[0], p[1], p[2], p[3], p[4], p[5]) = (TKA, TKB, TKA, TKB, TKA, TKB);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.BadPathLength.selector, 6));
        vm.prank(ALICE);
        sys.swapPath(p, 1e18, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.IdenticalTokens.selector));
        vm.prank(ALICE);
        sys.swapPath(_path(TKA, TKA, TKB), 1e18, 0, block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(ALICE);
        sys.swapPath(_path(TKA, TKB, TKC), 0, 0, block.timestamp);
    }

    /// The quote is what the swap pays, hop by hop, on any path over the two pools (a pool
    /// twice included), from any state the fuzzer's first swap leaves.
    function testFuzz_getAmountsOutQuotesSwapPath(uint256 seed, uint256 amountIn, uint256 first) public {
        address[3] memory tokens = [TKA, TKB, TKC];
        uint256 len = 2 + seed % 4;
        address[] memory p = new address[](len);
        // A walk over A - B - C: B is next to both.
        p[0] = tokens[seed % 3];
        for (uint256 i = 1; i < len; i++) {
            seed = uint256(keccak256(abi.encode(seed)));
            p[i] = p[i - 1] == TKB ? (seed % 2 == 0 ? TKA : TKC) : TKB;
        }
        vm.prank(WHALE);
        sys.swap(TKA, TKB, bound(first, 1, 1e24), 0);
        amountIn = bound(amountIn, 1, 1e24);
        uint256[] memory quoted = sys.getAmountsOut(p, amountIn);
        assertEq(quoted.length, len, "one amount a token");
        assertEq(quoted[0], amountIn, "the input");
        if (quoted[len - 1] == 0) return;
        vm.prank(WHALE);
        uint256 out = sys.swapPath(p, amountIn, quoted[len - 1], block.timestamp);
        assertEq(out, quoted[len - 1], "the swap pays the quote");
    }

    /// Four pools, the longest path: A → B → C → B → A.
    function test_swapPath_fourHops() public {
        address[] memory p = new address[](5);
        (p[0], p[1], p[2], p[3], p[4]) = (TKA, TKB, TKC, TKB, TKA);
        vm.prank(WHALE);
        uint256 out = sys.swapPath(p, 1e18, 1, block.timestamp);
        assertGt(out, 0, "paid");
        assertEq(_bal(TKA, WHALE), WHALE_AMOUNT - 1e18 + out, "net");
        assertEq(_bal(TKB, WHALE), WHALE_AMOUNT, "B untouched");
        assertEq(_bal(TKC, WHALE), WHALE_AMOUNT, "C untouched");
    }

    function test_getAmountOut() public {
        assertEq(sys.getAmountOut(TKA, TKB, 100e18), 398760243603712709842, "A -> B");
        assertEq(sys.getAmountOut(TKB, TKA, 100e18), 24924378759859410504, "B -> A");
        assertEq(sys.getAmountOut(TKC, TKB, 10e18), 1107765506197670232, "C -> B");
        assertEq(sys.getAmountOut(TKA, TKB, 0), 0, "zero in");
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKC));
        sys.getAmountOut(TKC, TKA, 1);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.IdenticalTokens.selector));
        sys.getAmountOut(TKC, TKC, 1);
    }

    function testFuzz_getAmountOutEqualsSwap(uint256 amountIn, uint8 route) public {
        (address tokenIn, address tokenOut) = _route(route);
        amountIn = bound(amountIn, 1, WHALE_AMOUNT);
        (uint256 rIn, uint256 rOut) = _reserves(tokenIn, tokenOut);
        uint256 quoted = sys.getAmountOut(tokenIn, tokenOut, amountIn);
        assertEq(quoted, _out(amountIn, rIn, rOut), "quote matches formula");
        if (quoted == 0) {
            vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientOutput.selector, 0, 0));
            vm.prank(WHALE);
            sys.swap(tokenIn, tokenOut, amountIn, 0);
            return;
        }
        vm.prank(WHALE);
        uint256 out = sys.swap(tokenIn, tokenOut, amountIn, quoted);
        assertEq(out, quoted, "swap pays the quote");
        (uint256 rIn2, uint256 rOut2) = _reserves(tokenIn, tokenOut);
        assertEq(rIn2, rIn + amountIn, "reserve in");
        assertEq(rOut2, rOut - quoted, "reserve out");
        assertEq(_bal(tokenIn, WHALE), WHALE_AMOUNT - amountIn, "whale in");
        assertEq(_bal(tokenOut, WHALE), WHALE_AMOUNT + quoted, "whale out");
    }

    function _route(uint256 route) internal pure returns (address tokenIn, address tokenOut) {
        route %= 4;
        if (route == 0) return (TKA, TKB);
        if (route == 1) return (TKB, TKA);
        if (route == 2) return (TKB, TKC);
        return (TKC, TKB);
    }

    // ---------------------------------------------------------------------------------------
    // addLiquidity
    // ---------------------------------------------------------------------------------------

    function test_addLiquidity_limitedByTokenA() public {
        vm.expectEmit(address(sys));
        emit LiquidityAdded(ALICE, TKA, TKB, 10e18, 40e18, 20e18);
        vm.prank(ALICE);
        (uint256 amountA, uint256 amountB, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 10e18, 100e18, 0);
        assertEq(amountA, 10e18, "amountA");
        assertEq(amountB, 40e18, "amountB at the 1:4 price");
        assertEq(liquidity, 20e18, "liquidity = 10e18 * 2e24 / 1e24");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 10e18, "alice A");
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT - 40e18, "alice B");
        assertEq(_bal(lpAB, ALICE), 20e18, "alice lp");
        (uint256 rA, uint256 rB, uint256 total,) = sys.getPool(TKA, TKB);
        assertEq(rA, AB_RESERVE_A + 10e18, "reserve A");
        assertEq(rB, AB_RESERVE_B + 40e18, "reserve B");
        assertEq(total, AB_SUPPLY + 20e18, "total liquidity");
    }

    function test_addLiquidity_limitedByTokenB() public {
        vm.prank(ALICE);
        (uint256 amountA, uint256 amountB, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 100e18, 40e18, 0);
        assertEq(amountA, 10e18, "amountA");
        assertEq(amountB, 40e18, "amountB");
        assertEq(liquidity, 20e18, "liquidity");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT - 10e18, "alice A");
    }

    function test_addLiquidity_returnsInCallerOrder() public {
        vm.prank(ALICE);
        (uint256 amountB, uint256 amountA, uint256 liquidity) = sys.addLiquidity(TKB, TKA, 100e18, 10e18, 0);
        assertEq(amountB, 40e18, "first return is token B");
        assertEq(amountA, 10e18, "second return is token A");
        assertEq(liquidity, 20e18, "liquidity");

        // Pool (B, C) addressed as (C, B): C is token1.
        vm.prank(BOB);
        (uint256 amountC, uint256 amountB2, uint256 liquidity2) = sys.addLiquidity(TKC, TKB, 90e18, 100e18, 0);
        assertEq(amountC, 90e18, "amountC");
        assertEq(amountB2, 10e18, "amountB at 1:9");
        assertEq(liquidity2, 30e18, "liquidity = 10e18 * 3e23 / 1e23");
        assertEq(_bal(TKC, BOB), TRADER_AMOUNT - 90e18, "bob C");
        assertEq(_bal(TKB, BOB), TRADER_AMOUNT - 10e18, "bob B");
        assertEq(_bal(lpBC, BOB), 30e18, "bob lp");
    }

    function test_addLiquidity_afterSwapRoundsDown() public {
        vm.prank(BOB);
        sys.swap(TKA, TKB, 333e18, 0);
        (uint256 r0, uint256 r1) = _reserves(TKA, TKB);
        uint256 supply = _supply(TKA, TKB);

        uint256 want0 = 7e18 + 3;
        uint256 want1 = 500e18;
        uint256 use1 = want0 * r1 / r0;
        assertLe(use1, want1, "fixture: A is the limit");
        uint256 expectedLiquidity = _min(want0 * supply / r0, use1 * supply / r1);

        vm.prank(ALICE);
        (uint256 a0, uint256 a1, uint256 liquidity) = sys.addLiquidity(TKA, TKB, want0, want1, 0);
        assertEq(a0, want0, "amount0");
        assertEq(a1, use1, "amount1");
        assertEq(liquidity, expectedLiquidity, "liquidity");
        assertEq(_supply(TKA, TKB), supply + expectedLiquidity, "supply");
    }

    function test_addLiquidity_revertsBelowMinLiquidity() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 20e18, 20e18 + 1));
        vm.prank(ALICE);
        sys.addLiquidity(TKA, TKB, 10e18, 40e18, 20e18 + 1);
        // Exactly the minimum passes.
        vm.prank(ALICE);
        (,, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 10e18, 40e18, 20e18);
        assertEq(liquidity, 20e18, "liquidity");
    }

    function test_addLiquidity_revertsWhenNothingMinted() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 0, 0));
        vm.prank(ALICE);
        sys.addLiquidity(TKA, TKB, 0, 40e18, 0);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 0, 0));
        vm.prank(ALICE);
        sys.addLiquidity(TKA, TKB, 10e18, 0, 0);
    }

    function test_addLiquidity_revertsForUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKC));
        vm.prank(ALICE);
        sys.addLiquidity(TKC, TKA, 10e18, 10e18, 0);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.IdenticalTokens.selector));
        vm.prank(ALICE);
        sys.addLiquidity(TKA, TKA, 10e18, 10e18, 0);
    }

    function test_addLiquidity_revertsOnInsufficientBalance() public {
        vm.expectRevert(_insufficient(TKB, ALICE, TRADER_AMOUNT, 4 * TRADER_AMOUNT));
        vm.prank(ALICE);
        sys.addLiquidity(TKA, TKB, TRADER_AMOUNT, 4 * TRADER_AMOUNT, 0);
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT, "A untouched");
    }

    // ---------------------------------------------------------------------------------------
    // removeLiquidity
    // ---------------------------------------------------------------------------------------

    function test_removeLiquidity_proportional() public {
        uint256 liquidity = AB_SUPPLY / 10;
        uint256 providerA = _bal(TKA, PROVIDER);
        uint256 providerB = _bal(TKB, PROVIDER);

        vm.expectEmit(address(sys));
        emit LiquidityRemoved(PROVIDER, TKA, TKB, AB_RESERVE_A / 10, AB_RESERVE_B / 10, liquidity);
        vm.prank(PROVIDER);
        (uint256 amountA, uint256 amountB) = sys.removeLiquidity(TKA, TKB, liquidity, 0, 0);

        assertEq(amountA, AB_RESERVE_A / 10, "amountA");
        assertEq(amountB, AB_RESERVE_B / 10, "amountB");
        assertEq(_bal(TKA, PROVIDER), providerA + amountA, "provider A");
        assertEq(_bal(TKB, PROVIDER), providerB + amountB, "provider B");
        assertEq(_bal(lpAB, PROVIDER), AB_SUPPLY - 1000 - liquidity, "provider lp");
        (uint256 rA, uint256 rB, uint256 total,) = sys.getPool(TKA, TKB);
        assertEq(rA, AB_RESERVE_A - amountA, "reserve A");
        assertEq(rB, AB_RESERVE_B - amountB, "reserve B");
        assertEq(total, AB_SUPPLY - liquidity, "total liquidity");
        assertEq(sys.totalSupply(lpAB), AB_SUPPLY - liquidity, "lp supply burnt");
    }

    function test_removeLiquidity_returnsInCallerOrder() public {
        vm.prank(PROVIDER);
        (uint256 amountB, uint256 amountA) = sys.removeLiquidity(TKB, TKA, AB_SUPPLY / 4, 0, 0);
        assertEq(amountB, AB_RESERVE_B / 4, "first return is token B");
        assertEq(amountA, AB_RESERVE_A / 4, "second return is token A");

        vm.prank(PROVIDER);
        (uint256 amountC, uint256 amountB2) = sys.removeLiquidity(TKC, TKB, BC_SUPPLY / 3, 0, 0);
        assertEq(amountC, BC_RESERVE_C / 3, "amountC");
        assertEq(amountB2, BC_RESERVE_B / 3, "amountB");
    }

    function test_removeLiquidity_afterSwapRoundsDown() public {
        vm.prank(ALICE);
        sys.swap(TKB, TKA, 777e18 + 1, 0);
        (uint256 r0, uint256 r1) = _reserves(TKA, TKB);
        uint256 liquidity = 123456789e9 + 7;
        vm.prank(PROVIDER);
        (uint256 a0, uint256 a1) = sys.removeLiquidity(TKA, TKB, liquidity, 0, 0);
        assertEq(a0, liquidity * r0 / AB_SUPPLY, "amount0");
        assertEq(a1, liquidity * r1 / AB_SUPPLY, "amount1");
    }

    function test_removeLiquidity_addThenRemoveRoundTrips() public {
        vm.startPrank(ALICE);
        (,, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 10e18, 40e18, 0);
        (uint256 amountA, uint256 amountB) = sys.removeLiquidity(TKA, TKB, liquidity, 10e18, 40e18);
        vm.stopPrank();
        assertEq(amountA, 10e18, "A back");
        assertEq(amountB, 40e18, "B back");
        assertEq(_bal(TKA, ALICE), TRADER_AMOUNT, "alice A");
        assertEq(_bal(TKB, ALICE), TRADER_AMOUNT, "alice B");
        assertEq(_bal(lpAB, ALICE), 0, "alice lp");
    }

    function test_removeLiquidity_revertsBelowMinAmounts() public {
        uint256 liquidity = AB_SUPPLY / 10;
        uint256 a = AB_RESERVE_A / 10;
        uint256 b = AB_RESERVE_B / 10;
        bytes memory err = abi.encodeWithSelector(AmmLogic.InsufficientAmounts.selector, a, b);

        vm.expectRevert(err);
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKA, TKB, liquidity, a + 1, 0);
        vm.expectRevert(err);
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKA, TKB, liquidity, 0, b + 1);
        // Caller order (B, A): minimums are given as (minB, minA); the error stays in pool order.
        vm.expectRevert(err);
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKB, TKA, liquidity, b + 1, 0);
        vm.expectRevert(err);
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKB, TKA, liquidity, 0, a + 1);

        // Exactly the minimums pass.
        vm.prank(PROVIDER);
        (uint256 gotB, uint256 gotA) = sys.removeLiquidity(TKB, TKA, liquidity, b, a);
        assertEq(gotB, b, "B");
        assertEq(gotA, a, "A");
    }

    function test_removeLiquidity_revertsWhenAnAmountRoundsToZero() public {
        // 1 share of (1e24 A, 4e24 B) over 2e24 shares: 0 A, 2 B.
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientAmounts.selector, 0, 2));
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKA, TKB, 1, 0, 0);
    }

    function test_removeLiquidity_cannotBurnMoreThanOwned() public {
        vm.prank(ALICE);
        (,, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 10e18, 40e18, 0);
        vm.expectRevert(_insufficient(lpAB, ALICE, liquidity, liquidity + 1));
        vm.prank(ALICE);
        sys.removeLiquidity(TKA, TKB, liquidity + 1, 0, 0);

        vm.expectRevert(_insufficient(lpBC, ALICE, 0, 1e18));
        vm.prank(ALICE);
        sys.removeLiquidity(TKB, TKC, 1e18, 0, 0);

        // Not even the provider can burn the locked minimum.
        vm.expectRevert(_insufficient(lpAB, PROVIDER, AB_SUPPLY - 1000, AB_SUPPLY));
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKA, TKB, AB_SUPPLY, 0, 0);
    }

    function test_removeLiquidity_revertsOnZeroAndUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKA, TKB, 0, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(AmmLogic.PoolNotFound.selector, TKA, TKC));
        vm.prank(PROVIDER);
        sys.removeLiquidity(TKC, TKA, 1e18, 0, 0);
    }

    function test_removeLiquidity_allButLockedThenRefill() public {
        uint256 owned = AB_SUPPLY - 1000;
        vm.prank(PROVIDER);
        (uint256 a, uint256 b) = sys.removeLiquidity(TKA, TKB, owned, 0, 0);
        assertEq(a, AB_RESERVE_A - 500, "A out");
        assertEq(b, AB_RESERVE_B - 2000, "B out");
        (uint256 rA, uint256 rB, uint256 total,) = sys.getPool(TKA, TKB);
        assertEq(rA, 500, "A left for the locked shares");
        assertEq(rB, 2000, "B left for the locked shares");
        assertEq(total, 1000, "only locked shares");
        assertEq(sys.poolCount(), 2, "pool still listed");

        // The pool still works at the same price.
        vm.prank(ALICE);
        (uint256 usedA, uint256 usedB, uint256 liquidity) = sys.addLiquidity(TKA, TKB, 1e18, 10e18, 0);
        assertEq(usedA, 1e18, "used A");
        assertEq(usedB, 4e18, "used B");
        assertEq(liquidity, 2e18, "liquidity = 1e18 * 1000 / 500");
    }

    function test_removeLiquidity_transferredSharesAreRedeemable() public {
        vm.prank(PROVIDER);
        sys.transfer(lpAB, BOB, 2e18);
        vm.prank(BOB);
        (uint256 a, uint256 b) = sys.removeLiquidity(TKA, TKB, 2e18, 0, 0);
        assertEq(a, 1e18, "A");
        assertEq(b, 4e18, "B");
        assertEq(_bal(lpAB, BOB), 0, "bob lp");
        assertEq(_bal(TKA, BOB), TRADER_AMOUNT + 1e18, "bob A");
    }

    function testFuzz_removeLiquidityIsProportional(uint256 liquidity) public {
        liquidity = bound(liquidity, 1, AB_SUPPLY - 1000);
        uint256 a = liquidity * AB_RESERVE_A / AB_SUPPLY;
        uint256 b = liquidity * AB_RESERVE_B / AB_SUPPLY;
        if (a == 0 || b == 0) {
            vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientAmounts.selector, a, b));
            vm.prank(PROVIDER);
            sys.removeLiquidity(TKA, TKB, liquidity, 0, 0);
            return;
        }
        vm.prank(PROVIDER);
        (uint256 gotA, uint256 gotB) = sys.removeLiquidity(TKA, TKB, liquidity, a, b);
        assertEq(gotA, a, "A");
        assertEq(gotB, b, "B");
        assertEq(_supply(TKA, TKB), AB_SUPPLY - liquidity, "supply");
    }

    // ---------------------------------------------------------------------------------------
    // Invariants (fuzzed)
    // ---------------------------------------------------------------------------------------

    /// @dev Sum over every holder plus pool reserves, for each token; pools: (A,B) and (B,C).
    function _accounted(address token) internal view returns (uint256 sum) {
        sum = _bal(token, PROVIDER) + _bal(token, ALICE) + _bal(token, BOB) + _bal(token, WHALE) + _bal(token, CAROL);
        (uint256 rA, uint256 rB) = _reserves(TKA, TKB);
        (uint256 rB2, uint256 rC) = _reserves(TKB, TKC);
        if (token == TKA) sum += rA;
        if (token == TKB) sum += rB + rB2;
        if (token == TKC) sum += rC;
    }

    function _assertConserved() internal view {
        assertEq(_accounted(TKA), SUPPLY_A, "A conserved");
        assertEq(_accounted(TKB), SUPPLY_B, "B conserved");
        assertEq(_accounted(TKC), SUPPLY_C, "C conserved");
        assertEq(sys.totalSupply(TKA), SUPPLY_A, "A supply");
        assertEq(sys.totalSupply(TKB), SUPPLY_B, "B supply");
        assertEq(sys.totalSupply(TKC), SUPPLY_C, "C supply");
    }

    /// @notice (a) and (b): any sequence of swaps by two traders conserves every token, and no
    ///         swap decreases k of its pool.
    function testFuzz_swapSequenceConservesTokensAndNeverDecreasesK(uint256[12] calldata amounts, uint256 choices)
        public
    {
        _assertConserved();
        for (uint256 i; i < amounts.length; i++) {
            uint256 c = choices >> (3 * i);
            address trader = c & 1 == 0 ? ALICE : BOB;
            (address tokenIn, address tokenOut) = _route(c >> 1);
            uint256 balance = _bal(tokenIn, trader);
            if (balance == 0) continue;
            uint256 amountIn = bound(amounts[i], 1, balance);
            uint256 quoted = sys.getAmountOut(tokenIn, tokenOut, amountIn);
            if (quoted == 0) continue;

            (uint256 rIn, uint256 rOut) = _reserves(tokenIn, tokenOut);
            uint256 outBefore = _bal(tokenOut, trader);
            vm.prank(trader);
            uint256 out = sys.swap(tokenIn, tokenOut, amountIn, 0);
            assertEq(out, _out(amountIn, rIn, rOut), "amount out");
            assertEq(_bal(tokenIn, trader), balance - amountIn, "trader in");
            assertEq(_bal(tokenOut, trader), outBefore + out, "trader out");

            (uint256 rIn2, uint256 rOut2) = _reserves(tokenIn, tokenOut);
            assertGe(rIn2 * rOut2, rIn * rOut, "k never decreases");
            _assertConserved();
        }
    }

    /// @notice (b) with large trades, both directions of both pools.
    function testFuzz_swapNeverDecreasesK(uint256 amountIn, uint8 route) public {
        (address tokenIn, address tokenOut) = _route(route);
        amountIn = bound(amountIn, 1, WHALE_AMOUNT);
        uint256 kBefore = _k(tokenIn, tokenOut);
        if (sys.getAmountOut(tokenIn, tokenOut, amountIn) == 0) return;
        vm.prank(WHALE);
        sys.swap(tokenIn, tokenOut, amountIn, 0);
        assertGe(_k(tokenIn, tokenOut), kBefore, "k never decreases");
        _assertConserved();
    }

    /// @notice A swap and its reverse never leave the trader with more than they started with.
    function testFuzz_roundTripNeverProfits(uint256 amountIn, uint8 route) public {
        (address tokenIn, address tokenOut) = _route(route);
        amountIn = bound(amountIn, 1, WHALE_AMOUNT);
        if (sys.getAmountOut(tokenIn, tokenOut, amountIn) == 0) return;
        vm.startPrank(WHALE);
        uint256 out = sys.swap(tokenIn, tokenOut, amountIn, 0);
        uint256 back = sys.getAmountOut(tokenOut, tokenIn, out);
        if (back == 0) {
            vm.stopPrank();
            return;
        }
        assertEq(sys.swap(tokenOut, tokenIn, out, 0), back, "reverse swap pays the quote");
        vm.stopPrank();
        assertLe(back, amountIn, "never more back than sent");
        assertEq(_bal(tokenIn, WHALE), WHALE_AMOUNT - amountIn + back, "in-token");
        assertEq(_bal(tokenOut, WHALE), WHALE_AMOUNT, "out-token back to start");
    }

    /// @notice (c) Adding then removing liquidity never returns more than was deposited, also
    ///         after the price was moved by a swap.
    function testFuzz_addThenRemoveNeverReturnsMore(uint256 want0, uint256 want1, uint256 swapIn, uint8 route) public {
        // Move the price of pool (A, B) first, possibly a lot.
        (address tokenIn, address tokenOut) = _route(route % 2);
        swapIn = bound(swapIn, 0, WHALE_AMOUNT / 1000);
        if (swapIn > 0 && sys.getAmountOut(tokenIn, tokenOut, swapIn) > 0) {
            vm.prank(WHALE);
            sys.swap(tokenIn, tokenOut, swapIn, 0);
        }
        vm.startPrank(WHALE);
        sys.transfer(TKA, CAROL, 1e30);
        sys.transfer(TKB, CAROL, 1e30);
        vm.stopPrank();

        (uint256 a0, uint256 a1, uint256 liquidity) = _addChecked(bound(want0, 1, 1e30), bound(want1, 1, 1e30));
        if (liquidity > 0) _removeChecked(a0, a1, liquidity);
        assertLe(_bal(TKA, CAROL), 1e30, "carol A not gained");
        assertLe(_bal(TKB, CAROL), 1e30, "carol B not gained");
        _assertConserved();
    }

    /// @dev CAROL adds to (A, B); checks the amounts used and the shares minted against the
    ///      formula. Returns zero liquidity when the add (expectedly) reverted.
    function _addChecked(uint256 want0, uint256 want1) internal returns (uint256 a0, uint256 a1, uint256 liquidity) {
        (uint256 r0, uint256 r1) = _reserves(TKA, TKB);
        uint256 supply = _supply(TKA, TKB);
        (uint256 use0, uint256 use1) = want0 * r1 / r0 <= want1 ? (want0, want0 * r1 / r0) : (want1 * r0 / r1, want1);
        uint256 expectedLiquidity = _min(use0 * supply / r0, use1 * supply / r1);
        if (expectedLiquidity == 0) {
            vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientLiquidityMinted.selector, 0, 0));
            vm.prank(CAROL);
            sys.addLiquidity(TKA, TKB, want0, want1, 0);
            return (0, 0, 0);
        }
        vm.prank(CAROL);
        (a0, a1, liquidity) = sys.addLiquidity(TKA, TKB, want0, want1, 0);
        assertEq(a0, use0, "used 0");
        assertEq(a1, use1, "used 1");
        assertLe(a0, want0, "used 0 <= desired");
        assertLe(a1, want1, "used 1 <= desired");
        assertEq(liquidity, expectedLiquidity, "liquidity");
        assertEq(_bal(lpAB, CAROL), liquidity, "carol lp");
    }

    /// @dev CAROL burns `liquidity` of (A, B); what comes back never exceeds the deposit.
    function _removeChecked(uint256 a0, uint256 a1, uint256 liquidity) internal {
        (uint256 r0, uint256 r1) = _reserves(TKA, TKB);
        uint256 supply = _supply(TKA, TKB);
        uint256 back0 = liquidity * r0 / supply;
        uint256 back1 = liquidity * r1 / supply;
        if (back0 == 0 || back1 == 0) {
            vm.expectRevert(abi.encodeWithSelector(AmmLogic.InsufficientAmounts.selector, back0, back1));
            vm.prank(CAROL);
            sys.removeLiquidity(TKA, TKB, liquidity, 0, 0);
            return;
        }
        vm.prank(CAROL);
        (uint256 b0, uint256 b1) = sys.removeLiquidity(TKA, TKB, liquidity, 0, 0);
        assertEq(b0, back0, "back 0");
        assertEq(b1, back1, "back 1");
        assertLe(b0, a0, "never more token0 than deposited");
        assertLe(b1, a1, "never more token1 than deposited");
        assertEq(_bal(lpAB, CAROL), 0, "carol lp burnt");
    }
}

/// @notice The L2 half of the bridge on the system contract: deposits credited by the system
///         caller (registering the bridged token once), and withdrawals that burn and write
///         their leaf. Keys and leaves are re-derived here from their definitions
///         (docs/bridge.md §3-§5), not through StateKeys.
contract L2SystemBridgeTest is Test {
    address constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    address constant TKA = 0x7000000000000000000000000000000000000001;
    address constant L1_TOKEN = address(0x70C3);
    address constant ALICE = address(0xA11CE);
    address constant BOB = address(0xB0B);
    uint256 constant ETH_META = 0x4554480000000000000000000000000000000000000000000000000000000012; // "ETH", 18
    uint256 constant TST_META = 0x5453540000000000000000000000000000000000000000000000000000000006; // "TST", 6

    L2System sys;

    function setUp() public override {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](1);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](1);
        mints[0] = L2System.GenesisMint(TKA, ALICE, 1000);
        sys = new L2System(tokens, mints, new L2System.GenesisPool[](0), _noOracles(), _noMarkets());
    }

    function _bridged(address l1Token) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(uint256(11), l1Token)))));
    }

    function _slot(bytes memory preimage) internal view returns (uint256) {
        return uint256(vm.load(address(sys), keccak256(preimage)));
    }

    function test_ether_exists_from_genesis_and_a_deposit_of_it_mints() public {
        address weth = _bridged(address(0));
        assertEq(weth, StateKeys.ETHER, "ether is the bridged token of L1 ether");
        (bool exists, string memory symbol, uint8 decimals, uint256 supply) = sys.tokenInfo(weth);
        assertTrue(exists, "registered at genesis");
        assertEq(symbol, "ETH", "symbol");
        assertEq(uint256(decimals), 18, "decimals");
        assertEq(supply, 0, "no genesis balances of ether here");
        assertEq(sys.tokenCount(), 2, "ether and the genesis token");
        assertEq(sys.tokenAt(0), weth, "ether is listed first");
        assertEq(_slot(abi.encode(uint256(12), weth)), uint256(1) << 160, "origin of ether is 1 << 160");
        (bool bridged, address l1) = sys.l1TokenOf(weth);
        assertTrue(bridged, "bridged");
        assertEq(l1, address(0), "ether");

        // A deposit only mints.
        vm.expectEmit(address(sys));
        emit LedgerLogic.Transfer(weth, address(0), BOB, 5 ether);
        vm.expectEmit(address(sys));
        emit BridgeLogic.DepositCredited(0, address(0), BOB, weth, 5 ether);
        vm.prank(SYSTEM);
        sys.creditDeposit(0, address(0), BOB, 5 ether, ETH_META);
        assertEq(sys.balanceOf(weth, BOB), 5 ether, "balance");
        vm.prank(SYSTEM);
        sys.creditDeposit(1, address(0), ALICE, 1 ether, ETH_META);
        assertEq(sys.tokenCount(), 2, "registered once");
        (,,, supply) = sys.tokenInfo(weth);
        assertEq(supply, 6 ether, "supply grows");
        assertEq(sys.balanceOf(weth, ALICE), 1 ether, "second recipient");
    }

    function test_genesis_mints_of_ether_are_balances_of_ether() public {
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](2);
        mints[0] = L2System.GenesisMint(StateKeys.ETHER, ALICE, 100 ether);
        mints[1] = L2System.GenesisMint(StateKeys.ETHER, BOB, 1 ether);
        L2System fresh = new L2System(
            new L2System.GenesisToken[](0), mints, new L2System.GenesisPool[](0), _noOracles(), _noMarkets()
        );
        assertEq(fresh.balanceOf(StateKeys.ETHER, ALICE), 100 ether, "alice");
        assertEq(fresh.balanceOf(StateKeys.ETHER, BOB), 1 ether, "bob");
        assertEq(fresh.totalSupply(StateKeys.ETHER), 101 ether, "supply");
    }

    /// The queue's readings of the L1's fees: only the system caller takes one; it is stored as
    ///      `baseFee << 128 | blobBaseFee` (each saturating at 2^128 - 1) and sets the cap on the
    ///      L1 price the next blocks commit (docs/fees.md §4).
    function test_only_the_system_caller_takes_the_l1s_fees_and_they_set_the_cap() public {
        (uint256 baseFee, uint256 blobBaseFee) = sys.l1Fees();
        assertEq(baseFee + blobBaseFee, 0, "no reading in this genesis");
        assertEq(sys.l1PriceCap(), type(uint64).max, "no bound without one");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L2System.NotSystemCaller.selector, ALICE));
        sys.reportL1Fees(3, 3 gwei, 1);
        vm.expectEmit(address(sys));
        emit BridgeLogic.L1FeesReported(3, 3 gwei, 1);
        vm.prank(SYSTEM);
        sys.reportL1Fees(3, 3 gwei, 1);
        (baseFee, blobBaseFee) = sys.l1Fees();
        assertEq(baseFee, 3 gwei, "base fee");
        assertEq(blobBaseFee, 1, "blob base fee");
        assertEq(_slot(abi.encode(uint256(18))), (uint256(3 gwei) << 128) | 1, "the l1Fees leaf");
        assertEq(sys.l1PriceCap(), 16 * 40 * 5 gwei, "16 calldata bytes at 3 + 2 gwei");
        vm.prank(SYSTEM);
        sys.reportL1Fees(4, type(uint256).max, type(uint256).max);
        (baseFee, blobBaseFee) = sys.l1Fees();
        assertEq(baseFee, type(uint128).max, "saturates");
        assertEq(blobBaseFee, type(uint128).max, "saturates");
        assertEq(sys.l1PriceCap(), type(uint64).max, "the cap saturates too");
    }

    function test_only_the_system_caller_credits_deposits() public {
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(L2System.NotSystemCaller.selector, ALICE));
        sys.creditDeposit(0, address(0), ALICE, 1 ether, ETH_META);
        assertEq(sys.SYSTEM_CALLER(), SYSTEM, "EIP-4788's system address");
    }

    function test_a_deposit_of_the_largest_lockable_amount_twice_does_not_overflow() public {
        uint256 cap = type(uint128).max;
        vm.startPrank(SYSTEM);
        sys.creditDeposit(0, L1_TOKEN, ALICE, cap, TST_META);
        sys.creditDeposit(1, L1_TOKEN, BOB, cap, TST_META);
        vm.stopPrank();
        (,,, uint256 supply) = sys.tokenInfo(_bridged(L1_TOKEN));
        assertEq(supply, 2 * cap, "supply");
    }

    function test_a_withdrawal_burns_and_writes_its_leaf() public {
        address tst = _bridged(L1_TOKEN);
        vm.prank(SYSTEM);
        sys.creditDeposit(0, L1_TOKEN, ALICE, 100, TST_META);

        bytes32 leaf0 = keccak256(abi.encode(L1_TOKEN, BOB, uint256(30)));
        vm.expectEmit(address(sys));
        emit BridgeLogic.WithdrawalInitiated(ALICE, 0, L1_TOKEN, tst, BOB, 30, leaf0);
        vm.prank(ALICE);
        assertEq(sys.withdraw(tst, BOB, 30), 0, "first index");
        vm.prank(ALICE);
        assertEq(sys.withdraw(tst, ALICE, 70), 1, "second index");

        assertEq(sys.balanceOf(tst, ALICE), 0, "burned");
        (,,, uint256 supply) = sys.tokenInfo(tst);
        assertEq(supply, 0, "supply burned");
        assertEq(sys.withdrawalCount(ALICE), 2, "count");
        assertEq(_slot(abi.encode(uint256(13), ALICE)), 2, "count key");
        assertEq(sys.withdrawalLeafOf(ALICE, 0), leaf0, "leaf 0");
        assertEq(bytes32(_slot(abi.encode(uint256(14), ALICE, uint256(0)))), leaf0, "leaf key 0");
        assertEq(
            bytes32(_slot(abi.encode(uint256(14), ALICE, uint256(1)))),
            keccak256(abi.encode(L1_TOKEN, ALICE, uint256(70))),
            "leaf key 1"
        );
        assertEq(sys.withdrawalCount(BOB), 0, "per sender");
    }

    function test_withdrawals_that_are_refused() public {
        address tst = _bridged(L1_TOKEN);
        vm.prank(SYSTEM);
        sys.creditDeposit(0, L1_TOKEN, ALICE, 100, TST_META);
        vm.startPrank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(BridgeLogic.NotBridged.selector, TKA));
        sys.withdraw(TKA, BOB, 1);
        vm.expectRevert(abi.encodeWithSelector(BridgeLogic.ZeroWithdrawal.selector));
        sys.withdraw(tst, BOB, 0);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        sys.withdraw(tst, address(0), 1);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InsufficientBalance.selector, tst, ALICE, 100, 101));
        sys.withdraw(tst, BOB, 101);
        vm.stopPrank();
        assertEq(sys.withdrawalCount(ALICE), 0, "nothing written");
        assertEq(sys.balanceOf(tst, ALICE), 100, "nothing burned");
    }

    // ---------------------------------------------------------------------------------------
    // The fee vault's withdrawal (docs/fees.md §6)
    // ---------------------------------------------------------------------------------------

    address constant FEE_VAULT = 0x4200000000000000000000000000000000000011;
    address constant FEE_RECIPIENT = address(0xFEE5);

    /// @dev keccak256(abi.encode(17)): the fee recipient's key, which genesis lays out.
    function _setFeeRecipient(address recipient) internal {
        vm.store(address(sys), keccak256(abi.encode(uint256(17))), bytes32(uint256(uint160(recipient))));
    }

    /// @dev Ether reaches the vault as it does on L2 (the chunk's fees, or a transfer to it):
    ///      here a deposit of ether to it.
    function _fundVault(uint256 queueIndex, uint256 amount) internal {
        vm.prank(SYSTEM);
        sys.creditDeposit(queueIndex, address(0), FEE_VAULT, amount, ETH_META);
    }

    function test_withdrawFees_selector() public pure {
        assertEq(uint32(BridgeLogic.withdrawFees.selector), 0x476343ee, "withdrawFees()");
        assertEq(uint32(BridgeLogic.withdrawFees.selector), uint32(bytes4(keccak256("withdrawFees()"))), "signature");
        assertEq(StateKeys.feeRecipient(), keccak256(abi.encode(uint256(17))), "fee recipient key, tag 17");
        assertEq(StateKeys.TAG_FEE_RECIPIENT, 17, "tag");
    }

    function test_withdrawFees_burnsTheVaultsEtherForTheRecipient() public {
        address ether_ = _bridged(address(0));
        _fundVault(0, 5 ether);
        _setFeeRecipient(FEE_RECIPIENT);
        bytes32 leaf = keccak256(abi.encode(address(0), FEE_RECIPIENT, uint256(5 ether)));
        vm.expectEmit(address(sys));
        emit LedgerLogic.Transfer(ether_, FEE_VAULT, address(0), 5 ether);
        vm.expectEmit(address(sys));
        emit BridgeLogic.WithdrawalInitiated(FEE_VAULT, 0, address(0), ether_, FEE_RECIPIENT, 5 ether, leaf);
        vm.expectEmit(address(sys));
        emit BridgeLogic.FeesWithdrawn(FEE_RECIPIENT, 0, 5 ether);
        // Anyone may call it: the ether goes to the recipient only.
        vm.prank(BOB);
        assertEq(sys.withdrawFees(), 0, "first index");

        assertEq(sys.balanceOf(ether_, FEE_VAULT), 0, "the vault is emptied");
        (,,, uint256 supply) = sys.tokenInfo(ether_);
        assertEq(supply, 0, "supply burned");
        assertEq(sys.withdrawalCount(FEE_VAULT), 1, "the vault's count");
        assertEq(_slot(abi.encode(uint256(13), FEE_VAULT)), 1, "count key");
        assertEq(bytes32(_slot(abi.encode(uint256(14), FEE_VAULT, uint256(0)))), leaf, "leaf key");
        assertEq(sys.withdrawalCount(BOB), 0, "not the caller's");

        // More fees, a second withdrawal under the next index.
        _fundVault(1, 7);
        vm.prank(ALICE);
        assertEq(sys.withdrawFees(), 1, "second index");
        assertEq(
            bytes32(_slot(abi.encode(uint256(14), FEE_VAULT, uint256(1)))),
            keccak256(abi.encode(address(0), FEE_RECIPIENT, uint256(7))),
            "second leaf"
        );
        assertEq(sys.withdrawalCount(FEE_VAULT), 2, "count");
    }

    function test_withdrawFees_refusedWithoutARecipient() public {
        _fundVault(0, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        sys.withdrawFees();
        // Only the low 160 bits are the address: high bits alone are no recipient.
        vm.store(address(sys), keccak256(abi.encode(uint256(17))), bytes32(uint256(1) << 160));
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        sys.withdrawFees();
        assertEq(sys.balanceOf(StateKeys.ETHER, FEE_VAULT), 5 ether, "nothing burned");
        assertEq(sys.withdrawalCount(FEE_VAULT), 0, "nothing written");
    }

    function test_withdrawFees_refusedForAnEmptyVault() public {
        _setFeeRecipient(FEE_RECIPIENT);
        vm.expectRevert(abi.encodeWithSelector(BridgeLogic.ZeroWithdrawal.selector));
        sys.withdrawFees();
        // The recipient is checked first.
        _setFeeRecipient(address(0));
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.InvalidRecipient.selector));
        sys.withdrawFees();
        assertEq(sys.withdrawalCount(FEE_VAULT), 0, "nothing written");
    }

    /// @notice `withdraw` is unchanged beside it: a sender's own ether leaves under its own
    ///         count, whatever the fee recipient, and the vault's withdrawals count apart.
    function test_withdraw_ofEtherIsTheSendersBesideTheFees() public {
        address ether_ = _bridged(address(0));
        _setFeeRecipient(FEE_RECIPIENT);
        vm.prank(SYSTEM);
        sys.creditDeposit(0, address(0), ALICE, 3 ether, ETH_META);
        _fundVault(1, 2 ether);
        bytes32 leaf = keccak256(abi.encode(address(0), BOB, uint256(1 ether)));
        vm.expectEmit(address(sys));
        emit BridgeLogic.WithdrawalInitiated(ALICE, 0, address(0), ether_, BOB, 1 ether, leaf);
        vm.prank(ALICE);
        assertEq(sys.withdraw(ether_, BOB, 1 ether), 0, "alice's first");
        assertEq(sys.withdrawFees(), 0, "the vault's first");
        assertEq(sys.balanceOf(ether_, ALICE), 2 ether, "alice burned her own");
        assertEq(sys.withdrawalLeafOf(ALICE, 0), leaf, "alice's leaf");
        assertEq(sys.withdrawalCount(ALICE), 1, "alice's count");
        assertEq(sys.withdrawalCount(FEE_VAULT), 1, "the vault's count");
        (,,, uint256 supply) = sys.tokenInfo(ether_);
        assertEq(supply, 2 ether, "both burned");
        // `withdraw` burns the caller's own ether, never the vault's.
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(LedgerLogic.InsufficientBalance.selector, ether_, ALICE, 2 ether, 3 ether)
        );
        sys.withdraw(ether_, FEE_RECIPIENT, 3 ether);
    }
}
