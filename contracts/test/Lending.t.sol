// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {Vm, vm} from "./utils/Vm.sol";
import {L2System} from "../src/l2/L2System.sol";
import {L2Lending} from "../src/l2/L2Lending.sol";
import {LedgerLogic} from "../src/logic/LedgerLogic.sol";
import {LendingLogic} from "../src/logic/LendingLogic.sol";
import {LendingMath} from "../src/logic/LendingMath.sol";
import {OracleLogic} from "../src/logic/OracleLogic.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";

/// @dev A genesis of three tokens, two pools, two oracles and three markets, and the steps the
///      money market's tests and invariants take on it.
abstract contract LendingWorld {
    address constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    address constant LENDING = 0x4200000000000000000000000000000000000012;
    address constant PROVIDER = address(0x9001);
    address constant TRADER = address(0x9002);
    // Shards are the low three bits of an address: Alice in 0, Bob in 1, Carol (a liquidator) in 2.
    address constant ALICE = address(0xA11CE0);
    address constant BOB = address(0xB0B001);
    address constant CAROL = address(0xCA0102);
    address constant ETH = address(0x7001);
    address constant USD = address(0x7002);
    address constant BTC = address(0x7004);
    uint256 constant T0 = 1_000_000;
    uint256 constant RAY = 1e27;

    L2System sys;
    L2Lending market;
    uint256 now_ = T0;

    function _params() internal pure returns (LendingLogic.MarketParams[] memory m) {
        m = new LendingLogic.MarketParams[](3);
        m[0] = LendingLogic.MarketParams(USD, 8000, 8500, 500, 1000, 8000, 150, 280, 500);
        m[1] = LendingLogic.MarketParams(ETH, 8250, 8950, 500, 1000, 8000, 150, 280, 500);
        m[2] = LendingLogic.MarketParams(BTC, 7000, 7700, 500, 1000, 8000, 150, 280, 500);
    }

    function _genesis(LendingLogic.MarketParams[] memory params) internal returns (L2System) {
        vm.etch(LENDING, type(L2Lending).runtimeCode);
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](3);
        tokens[0] = L2System.GenesisToken(ETH, "ETH2", 18);
        tokens[1] = L2System.GenesisToken(USD, "USD", 6);
        tokens[2] = L2System.GenesisToken(BTC, "BTC", 8);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](9);
        mints[0] = L2System.GenesisMint(ETH, PROVIDER, 2_000e18);
        mints[1] = L2System.GenesisMint(USD, PROVIDER, 3_000_000e6);
        mints[2] = L2System.GenesisMint(BTC, PROVIDER, 50e8);
        mints[3] = L2System.GenesisMint(ETH, TRADER, 10_000e18);
        mints[4] = L2System.GenesisMint(USD, TRADER, 100_000_000e6);
        mints[5] = L2System.GenesisMint(ETH, ALICE, 100e18);
        mints[6] = L2System.GenesisMint(USD, BOB, 10_000_000e6);
        mints[7] = L2System.GenesisMint(USD, CAROL, 10_000_000e6);
        mints[8] = L2System.GenesisMint(BTC, ALICE, 10e8);
        L2System.GenesisPool[] memory pools = new L2System.GenesisPool[](2);
        pools[0] = L2System.GenesisPool(PROVIDER, ETH, USD, 1_000e18, 3_000_000e6);
        pools[1] = L2System.GenesisPool(PROVIDER, BTC, ETH, 50e8, 1_000e18);
        L2System.OracleRoute[] memory routes = new L2System.OracleRoute[](2);
        routes[0] = OracleLogic.OracleRoute(ETH, address(0));
        routes[1] = OracleLogic.OracleRoute(BTC, ETH);
        return new L2System(
            tokens, mints, pools, L2System.GenesisOracles(USD, routes), L2System.GenesisMarkets(2_000e6, params)
        );
    }

    /// @dev Begins `n` blocks `dt` seconds apart.
    function _blocks(uint256 n, uint256 dt) internal {
        for (uint256 i; i < n; ++i) {
            now_ += dt;
            vm.warp(now_);
            vm.prank(SYSTEM);
            sys.beginBlock();
        }
    }

    function _start() internal {
        vm.warp(T0);
        sys = _genesis(_params());
        market = L2Lending(address(sys));
    }
}

/// @notice The money market on L2 (`LendingLogic` in `L2Lending`'s code, run over the system
///         contract's storage): genesis markets, supply, withdraw, borrow, repay, the accrual in
///         turn, liquidation with its close factor and bonus, and bad debt (docs/lending.md).
contract LendingTest is Test, LendingWorld {
    function setUp() public override {
        _start();
    }

    function _supply(address user, address asset, uint256 amount) internal {
        vm.prank(user);
        market.supply(asset, amount);
    }

    function _borrow(address user, address asset, uint256 amount) internal {
        vm.prank(user);
        market.borrow(asset, amount);
    }

    /// @dev Bob supplies 1,000,000 USD, Alice 10 ETH and borrows `borrowed` USD.
    function _aliceBorrows(uint256 borrowed) internal {
        _supply(BOB, USD, 1_000_000e6);
        _supply(ALICE, ETH, 10e18);
        _borrow(ALICE, USD, borrowed);
    }

    /// @dev Sells `amount` ETH into its pool, then lets an hour of 12-second blocks pass so that
    ///      the oracle's mean follows.
    function _pushEthDown(uint256 amount) internal {
        vm.prank(TRADER);
        sys.swap(ETH, USD, amount, 0);
        _blocks(300, 12);
    }

    function test_genesisLaysOutMarkets() public view {
        address[] memory assets = market.marketAssets();
        assertEq(assets.length, 3, "three markets");
        assertEq(assets[1], ETH, "in genesis order");
        (uint256[5] memory factors, uint256[3] memory rates, uint256 at) = market.marketParams(ETH);
        assertEq(factors[0], 8250, "collateral factor");
        assertEq(factors[1], 8950, "liquidation threshold");
        assertEq(factors[2], 500, "bonus");
        // 1.5 % a year, per second in rays, rounded up.
        assertEq(rates[0], (uint256(150e23) - 1) / 365 days + 1, "base rate");
        assertEq(at, T0, "accrued at genesis");
        (uint256 supplied, uint256 owed, uint256 cash, uint256 si, uint256 bi,,) = market.marketState(USD);
        assertEq(supplied + owed + cash, 0, "empty");
        assertEq(si, RAY, "supply index one");
        assertEq(bi, RAY, "borrow index one");
        // The bridge refuses escape claims of the shard accounts by StateKeys' count.
        assertEq(L2Lending(LENDING).SHARDS(), StateKeys.SHARD_COUNT, "the shards the bridge knows");
    }

    function test_genesisRefusesBadMarkets() public {
        LendingLogic.MarketParams[] memory m = _params();
        // 89.5 % × 1.12 > 1: a liquidation would leave less than it repays.
        m[1].liquidationBonus = 1200;
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.BadMarket.selector, ETH));
        _genesis(m);
        m = _params();
        m[2].collateralFactor = 7800; // above its threshold
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.BadMarket.selector, BTC));
        _genesis(m);
        m = _params();
        m[2].asset = ETH; // twice
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.BadMarket.selector, ETH));
        _genesis(m);
        m = _params();
        m[2].asset = address(0xdead); // no price
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.NoOracle.selector, address(0xdead)));
        _genesis(m);
    }

    function test_onlyTheSystemLaysOutAndAccrues() public {
        vm.expectRevert(abi.encodeWithSelector(L2Lending.NotInSystem.selector));
        market.createMarkets(0, _params());
        vm.expectRevert(abi.encodeWithSelector(L2Lending.NotInSystem.selector));
        market.accrue();
        vm.prank(SYSTEM);
        market.accrue(); // the system caller may (it is what beginBlock delegates)
    }

    function test_supplyAndWithdraw() public {
        _supply(ALICE, ETH, 10e18);
        (uint256 supplied, uint256 owed) = market.positionOf(ALICE, ETH);
        assertEq(supplied, 10e18, "supplied");
        assertEq(owed, 0, "owes nothing");
        assertEq(sys.balanceOf(ETH, ALICE), 90e18, "paid in");
        assertEq(sys.balanceOf(ETH, StateKeys.shardAccount(0)), 10e18, "into Alice's shard");
        vm.prank(ALICE);
        market.withdrawSupply(ETH, 4e18);
        (supplied,) = market.positionOf(ALICE, ETH);
        assertEq(supplied, 6e18, "six left");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.InsufficientSupply.selector, ALICE, ETH, 6e18, 7e18));
        market.withdrawSupply(ETH, 7e18);
        vm.prank(ALICE);
        market.withdrawSupply(ETH, type(uint256).max);
        (supplied,) = market.positionOf(ALICE, ETH);
        assertEq(supplied, 0, "all out");
        assertEq(sys.balanceOf(ETH, ALICE), 100e18, "all back");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        market.supply(ETH, 0);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.NoMarket.selector, address(0xdead)));
        market.supply(address(0xdead), 1);
    }

    /// A borrow is limited by the collateral factors at the oracle's price, and is paid from the
    /// borrower's shard, spilling to the next shards when it is short.
    function test_borrowWithinCollateralFactor() public {
        _supply(BOB, USD, 1_000_000e6);
        _supply(ALICE, ETH, 10e18);
        (, uint256 borrowable,, uint256 health) = market.accountHealth(ALICE);
        assertEq(health, type(uint256).max, "no debt");
        // 10 ETH at 3,000 USD at 82.5 %: 24,750 USD, within the oracle's rounding.
        assertLe(borrowable, 24_750e6, "at most the factor");
        assertGe(borrowable, 24_749e6, "at the price");
        vm.prank(ALICE);
        vm.expectRevert();
        market.borrow(USD, borrowable + 1);
        // Alice's shard holds no USD: the borrow spills into Bob's.
        _borrow(ALICE, USD, 20_000e6);
        assertEq(sys.balanceOf(USD, ALICE), 20_000e6, "paid");
        (, uint256 owed) = market.positionOf(ALICE, USD);
        assertEq(owed, 20_000e6, "owed");
        (,, uint256 debt, uint256 hf) = market.accountHealth(ALICE);
        assertEq(debt, 20_000e6, "debt in USD");
        assertGt(hf, 1.3e18, "healthy");
        assertLt(hf, 1.35e18, "26,850 / 20,000");
        // Withdrawing the collateral that backs it is refused.
        vm.prank(ALICE);
        vm.expectRevert();
        market.withdrawSupply(ETH, 5e18);
        // More than the market's cash is refused whoever asks.
        _supply(ALICE, BTC, 10e8);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.InsufficientCash.selector, USD, 980_000e6, 990_000e6));
        market.borrow(USD, 990_000e6);
    }

    /// The beginning of each block accrues one market in turn, for the time since its last
    /// accrual, and spreads its cash evenly over the shards.
    function test_accrualInTurnGrowsDebtsAndSupplies() public {
        _aliceBorrows(20_000e6);
        // A year in one block: the USD market's turn (the first).
        _blocks(1, 365 days);
        (uint256 supplied, uint256 owed, uint256 cash, uint256 si, uint256 bi, uint256 rate,) = market.marketState(USD);
        // Utilization 2 %: 1.5 % + 2.8 % × 0.02 / 0.8 = 1.57 % a year on the debt.
        (, uint256 aliceOwes) = market.positionOf(ALICE, USD);
        assertGt(aliceOwes, 20_313e6, "a year of interest");
        assertLt(aliceOwes, 20_315e6, "at 1.57 %");
        // Suppliers earn it less the reserve's 10 %: 20,000 × 1.57 % × 0.9 = 282.6 USD.
        (uint256 bobHas,) = market.positionOf(BOB, USD);
        assertGt(bobHas, 1_000_282e6, "the suppliers' share");
        assertLt(bobHas, 1_000_283e6, "less the reserve");
        assertGt(bi, si, "the borrow index leads");
        assertGe(cash + owed, supplied, "solvent: the reserve is what is left over");
        assertGt(rate, 0, "a rate");
        // The cash spread evenly over the shards.
        for (uint256 s; s < 8; ++s) {
            assertEq(sys.balanceOf(USD, StateKeys.shardAccount(s)), 980_000e6 / 8, "an even share");
        }
        // The next block is ETH's turn: USD's indices stand still in between.
        _blocks(1, 12);
        (,,, uint256 si2, uint256 bi2,,) = market.marketState(USD);
        assertEq(si2, si, "USD waits for its turn");
        assertEq(bi2, bi, "USD waits for its turn");
        _blocks(2, 12);
        (,,, si2, bi2,,) = market.marketState(USD);
        assertGe(si2, si, "indices never fall");
        assertGt(bi2, bi, "36 seconds of interest");
        (,, uint256 accruedAt) = market.marketParams(USD);
        assertEq(accruedAt, now_, "accrued now");
    }

    function test_liquidationRepaysAtMostHalfAndSeizesWithTheBonus() public {
        _aliceBorrows(24_000e6);
        vm.prank(CAROL);
        vm.expectRevert();
        market.liquidate(ALICE, USD, ETH, 1_000e6, 0);
        // ETH about 13 % down, and the oracle's hour: health between 0.95 and 1.
        _pushEthDown(70e18);
        (,,, uint256 hf) = market.accountHealth(ALICE);
        assertLt(hf, 1e18, "liquidatable");
        assertGt(hf, 0.95e18, "not deep");
        (uint256 repaid, uint256 seized) = market.liquidationQuote(ALICE, USD, ETH, type(uint256).max);
        (, uint256 owed) = market.positionOf(ALICE, USD);
        assertEq(repaid, owed / 2, "the close factor");
        // Seized: the repaid amount at the price ratio, plus 5 %.
        assertGt(seized, repaid * 1e18 / 2_700e6 * 105 / 100, "with the bonus");
        assertLt(seized, repaid * 1e18 / 2_500e6 * 105 / 100, "at the oracle's price");
        vm.prank(CAROL);
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.InsufficientCollateralOut.selector, seized, seized + 1));
        market.liquidate(ALICE, USD, ETH, type(uint256).max, seized + 1);
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LendingLogic.SelfLiquidation.selector));
        market.liquidate(ALICE, USD, ETH, 1, 0);
        vm.expectEmit(address(sys));
        emit LendingLogic.Liquidated(CAROL, ALICE, USD, ETH, repaid, seized);
        vm.prank(CAROL);
        market.liquidate(ALICE, USD, ETH, type(uint256).max, seized);
        (uint256 carolEth,) = market.positionOf(CAROL, ETH);
        assertGe(carolEth + 1, seized, "the liquidator holds the seized supply");
        assertLe(carolEth, seized, "rounded for the market");
        (uint256 aliceEth,) = market.positionOf(ALICE, ETH);
        assertLe(aliceEth, 10e18 - seized, "collateral gone");
        (, uint256 left) = market.positionOf(ALICE, USD);
        assertEq(left, owed - repaid, "half the debt left");
        (,,, uint256 after_) = market.accountHealth(ALICE);
        assertGt(after_, hf, "what remains is healthier");
        assertEq(sys.balanceOf(USD, CAROL), 10_000_000e6 - repaid, "the liquidator paid");
    }

    function test_badDebtIsWrittenOffWhenTheCollateralRunsOut() public {
        _aliceBorrows(24_000e6);
        _pushEthDown(300e18); // ETH about 40 % down
        (uint256 collateral,, uint256 debt, uint256 hf) = market.accountHealth(ALICE);
        assertLt(hf, 0.95e18, "deep underwater: the whole debt may be repaid");
        assertLt(collateral * 10_000 / 8950 * 105 / 100, debt, "the collateral cannot cover it");
        (uint256 repaid, uint256 seized) = market.liquidationQuote(ALICE, USD, ETH, type(uint256).max);
        assertEq(seized, 10e18, "all of the collateral");
        (, uint256 owed) = market.positionOf(ALICE, USD);
        assertLt(repaid, owed, "worth less than the debt");
        (uint256 suppliedBefore,,,,,,) = market.marketState(USD);
        vm.recordLogs();
        vm.prank(CAROL);
        market.liquidate(ALICE, USD, ETH, type(uint256).max, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Vm.Log memory last = logs[logs.length - 1];
        assertEq(last.topics[0], LendingLogic.BadDebt.selector, "the write-off is the last event");
        assertEq(uint256(last.topics[1]), uint160(ALICE), "Alice's");
        // What is left of the debt, rounded up (the debt's rounding).
        uint256 writtenOff = abi.decode(last.data, (uint256));
        assertGe(writtenOff, owed - repaid, "what was left");
        assertLe(writtenOff, owed - repaid + 1, "what was left");
        (uint256 e, uint256 o) = market.positionOf(ALICE, USD);
        assertEq(e + o, 0, "nothing left in USD");
        (e, o) = market.positionOf(ALICE, ETH);
        assertEq(e + o, 0, "nothing left in ETH");
        // The suppliers keep their claims: the market's reserve absorbs the loss.
        (uint256 supplied, uint256 owedNow, uint256 cash,,,,) = market.marketState(USD);
        assertEq(supplied, suppliedBefore, "supplies untouched");
        assertLt(cash + owedNow, supplied, "a negative reserve");
    }

    /// The market's clock is a uint32: past 2^32 − 1 seconds it stands still (no interest of
    /// a wrapped clock), as the oracles' does.
    function test_theClockStandsStillPast32Bits() public {
        _aliceBorrows(20_000e6);
        now_ = 2 ** 32 - 13;
        _blocks(4, 12); // USDC accrues at 2^32 − 1 (clamped), then the others in turn
        (,,, uint256 si, uint256 bi,,) = market.marketState(USD);
        (,, uint256 at) = market.marketParams(USD);
        assertEq(at, 2 ** 32 - 1, "clamped");
        now_ = 2 ** 40;
        _blocks(4, 12);
        (,,, uint256 si2, uint256 bi2,,) = market.marketState(USD);
        assertEq(si2, si, "no interest past the clock");
        assertEq(bi2, bi, "no interest past the clock");
    }

    function test_repay() public {
        _aliceBorrows(20_000e6);
        vm.prank(ALICE);
        market.repay(USD, 5_000e6);
        (, uint256 owed) = market.positionOf(ALICE, USD);
        assertEq(owed, 15_000e6, "part repaid");
        vm.prank(ALICE);
        market.repay(USD, type(uint256).max);
        (, owed) = market.positionOf(ALICE, USD);
        assertEq(owed, 0, "all repaid");
        assertEq(sys.balanceOf(USD, ALICE), 0, "paid back all of it");
        vm.prank(ALICE);
        vm.expectRevert(abi.encodeWithSelector(LedgerLogic.ZeroAmount.selector));
        market.repay(USD, 1);
    }
}

/// @dev Random steps of four users (one a shard) and a trader on the market: supplies,
///      withdrawals, borrows, repayments, liquidations, swaps that move the oracles, and blocks
///      that accrue. It counts what the invariants check: a borrow or withdrawal that left its
///      account beyond its borrowing power, an index that fell, and the debts written off.
contract LendingHandler is LendingWorld {
    address[4] internal users = [address(0x5E0000), address(0x5E0001), address(0x5E0002), address(0x5E0003)];
    address[3] internal assets = [USD, ETH, BTC];
    uint256 public violations;
    uint256 public fallen;
    /// @dev Steps that did something, by kind: supply, withdraw, borrow, repay, liquidate.
    uint256[5] public done;
    mapping(address => uint256) public writtenOff;
    mapping(uint256 => uint256) internal maxSupplyIndex;
    mapping(uint256 => uint256) internal maxBorrowIndex;

    constructor() {
        _start();
        for (uint256 u; u < 4; ++u) {
            vm.startPrank(TRADER);
            sys.transfer(ETH, users[u], 100e18);
            sys.transfer(USD, users[u], 1_000_000e6);
            vm.stopPrank();
            vm.prank(ALICE);
            sys.transfer(BTC, users[u], 2e8);
        }
    }

    function system() external view returns (address) {
        return address(sys);
    }

    function user(uint256 i) external view returns (address) {
        return users[i];
    }

    function asset(uint256 i) external view returns (address) {
        return assets[i];
    }

    function supply(uint8 who, uint8 which, uint256 amount) external {
        (address u, address a) = (users[who % 4], assets[which % 3]);
        amount = _bound(amount, 1, sys.balanceOf(a, u) + 1);
        vm.prank(u);
        try market.supply(a, amount) {
            ++done[0];
        } catch {}
        _after();
    }

    function withdrawSupply(uint8 who, uint8 which, uint256 amount) external {
        (address u, address a) = (users[who % 4], assets[which % 3]);
        (uint256 held,) = market.positionOf(u, a);
        amount = amount % 5 == 0 ? type(uint256).max : _bound(amount, 1, held + 1);
        vm.prank(u);
        try market.withdrawSupply(a, amount) {
            ++done[1];
            _checkCollateralized(u);
        } catch {}
        _after();
    }

    function borrow(uint8 who, uint8 which, uint256 amount) external {
        (address u, address a) = (users[who % 4], assets[which % 3]);
        (, uint256 borrowable, uint256 debt,) = market.accountHealth(u);
        // Around the borrowing power, in the asset's raw units (a rough price is enough).
        uint256 room = borrowable > debt ? borrowable - debt : 1;
        uint256 perUnit = a == USD ? 1 : a == ETH ? 3_000e6 * 1e12 / 1e18 : 60_000e6 / 1e8;
        uint256 scale = a == ETH ? 1e12 : 1;
        amount = _bound(amount, 1, room * scale / perUnit * 11 / 10 + 1);
        vm.prank(u);
        try market.borrow(a, amount) {
            ++done[2];
            _checkCollateralized(u);
        } catch {}
        _after();
    }

    function repay(uint8 who, uint8 which, uint256 amount) external {
        (address u, address a) = (users[who % 4], assets[which % 3]);
        (, uint256 owed) = market.positionOf(u, a);
        amount = amount % 4 == 0 ? type(uint256).max : _bound(amount, 1, owed + 1);
        vm.prank(u);
        try market.repay(a, amount) {
            ++done[3];
        } catch {}
        _after();
    }

    function liquidate(uint8 who, uint8 victim, uint8 debt, uint8 collateral, uint256 amount) external {
        (address u, address v) = (users[who % 4], users[victim % 4]);
        vm.recordLogs();
        vm.prank(u);
        try market.liquidate(v, assets[debt % 3], assets[collateral % 3], amount, 0) {
            ++done[4];
        } catch {}
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == LendingLogic.BadDebt.selector) {
                writtenOff[address(uint160(uint256(logs[i].topics[2])))] += abi.decode(logs[i].data, (uint256));
            }
        }
        _after();
    }

    /// The trader moves ETH's price by up to a fifth of its pool, either way.
    function swap(bool sellEth, uint256 amount) external {
        vm.prank(TRADER);
        if (sellEth) {
            try sys.swap(ETH, USD, _bound(amount, 1e15, 200e18), 0) {} catch {}
        } else {
            try sys.swap(USD, ETH, _bound(amount, 1e6, 600_000e6), 0) {} catch {}
        }
    }

    function blocks(uint8 n) external {
        _blocks(uint256(n) % 40 + 1, 12);
        _after();
    }

    function _checkCollateralized(address u) private {
        (, uint256 borrowable, uint256 debt,) = market.accountHealth(u);
        if (debt > borrowable) ++violations;
    }

    /// @dev Indices only grow.
    function _after() private {
        for (uint256 i; i < 3; ++i) {
            (,,, uint256 si, uint256 bi,,) = market.marketState(assets[i]);
            if (si < maxSupplyIndex[i] || bi < maxBorrowIndex[i]) ++fallen;
            maxSupplyIndex[i] = si;
            maxBorrowIndex[i] = bi;
        }
    }

    function _bound(uint256 x, uint256 lo, uint256 hi) private pure returns (uint256) {
        return hi <= lo ? lo : lo + x % (hi - lo + 1);
    }

    /// @dev What the ledger holds of `a` across the users, the shards' cash, the trader, the
    ///      provider and the pools' reserves.
    function held(address a) external view returns (uint256 total) {
        for (uint256 u; u < 4; ++u) {
            total += sys.balanceOf(a, users[u]);
        }
        for (uint256 s; s < 8; ++s) {
            total += sys.balanceOf(a, StateKeys.shardAccount(s));
        }
        total += sys.balanceOf(a, TRADER) + sys.balanceOf(a, PROVIDER);
        (uint256 r0,,,) = sys.getPool(a, a == BTC ? ETH : a == ETH ? USD : ETH);
        total += r0;
        if (a == ETH) {
            (uint256 r1,,,) = sys.getPool(ETH, BTC);
            total += r1;
        }
    }
}

/// @notice The money market's invariants over random steps (docs/lending.md): the cash and the
///         debts cover the supplies (with what bad debt wrote off), the shards' totals are the
///         sum of the positions, indices never fall, no borrow or withdrawal leaves its account
///         beyond its borrowing power, and the ledger neither creates nor loses a unit.
contract LendingInvariantTest is Test {
    LendingHandler handler;
    uint256[3] supplyAtStart;

    function setUp() public override {
        handler = new LendingHandler();
        for (uint256 i; i < 3; ++i) {
            supplyAtStart[i] = handler.held(handler.asset(i));
        }
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// The handler's steps do what they say: a fixed walk supplies, borrows near the limit,
    /// repays a part, pushes ETH down over an hour of blocks, liquidates (writing debt off) and
    /// withdraws; the invariants hold after it.
    function test_theHandlersStepsSucceed() public {
        handler.supply(0, 0, 900_000e6); // user 0 supplies USDC
        handler.supply(1, 1, 10e18); // user 1 supplies 10 ETH
        handler.borrow(1, 0, 24_000e6 - 1); // and borrows 24,000 USDC, near its limit
        handler.repay(1, 0, 1_000e6 + 1); // and repays a thousand
        handler.swap(true, 200e18 - 1e15); // 200 ETH sold: about 30 % down
        for (uint256 i; i < 8; ++i) {
            handler.blocks(39);
        }
        handler.liquidate(0, 1, 0, 1, type(uint256).max);
        handler.withdrawSupply(0, 0, 1_000e6 + 1); // a thousand USDC of its supply
        for (uint256 k; k < 5; ++k) {
            assertGt(handler.done(k), 0, string.concat("step kind ", vm.toString(k)));
        }
        invariant_cashAndDebtsCoverSupplies();
        invariant_shardsAreTheSumOfPositions();
        invariant_indicesNeverFallAndNoBorrowBeyondPower();
        invariant_theLedgerIsConserved();
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_cashAndDebtsCoverSupplies() public view {
        L2Lending market = L2Lending(handler.system());
        for (uint256 i; i < 3; ++i) {
            address a = handler.asset(i);
            (uint256 supplied, uint256 owed, uint256 cash,,,,) = market.marketState(a);
            assertGe(cash + owed + handler.writtenOff(a), supplied, "solvent but for bad debt");
        }
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_shardsAreTheSumOfPositions() public view {
        address sys = handler.system();
        for (uint256 i; i < 3; ++i) {
            uint256 shards;
            uint256 positions;
            for (uint256 s; s < 8; ++s) {
                uint256 w = uint256(vm.load(sys, StateKeys.marketShard(i, s)));
                shards += (w & type(uint128).max) + (w >> 128);
            }
            for (uint256 u; u < 4; ++u) {
                uint256 w = uint256(vm.load(sys, StateKeys.position(handler.user(u), i)));
                positions += (w & type(uint128).max) + (w >> 128);
            }
            assertEq(shards, positions, "shards = positions");
        }
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_indicesNeverFallAndNoBorrowBeyondPower() public view {
        assertEq(handler.fallen(), 0, "an index fell");
        assertEq(handler.violations(), 0, "beyond the borrowing power");
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_theLedgerIsConserved() public view {
        for (uint256 i; i < 3; ++i) {
            assertEq(handler.held(handler.asset(i)), supplyAtStart[i], "units");
        }
    }
}
