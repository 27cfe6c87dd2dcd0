// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {L2System} from "../src/l2/L2System.sol";
import {_noMarkets} from "./L2System.t.sol";
import {OracleLogic} from "../src/logic/OracleLogic.sol";
import {OracleMath} from "../src/logic/OracleMath.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";

/// @dev `OracleLogic`'s state machine over plain storage, driven sample by sample.
contract OracleHarness is OracleLogic {
    address constant ASSET = address(0xA55E7);
    mapping(bytes32 => uint256) private slots;

    function setWords(uint256 window, uint256 latest) external {
        slots[StateKeys.oracle(ASSET, 0)] = window;
        slots[StateKeys.oracle(ASSET, 1)] = latest;
    }

    function sample(int256 spot, uint256 now_, uint256 maxWeight) external returns (int256) {
        return _sample(ASSET, spot, now_, maxWeight);
    }

    function words() external view returns (uint256, uint256) {
        return (slots[StateKeys.oracle(ASSET, 0)], slots[StateKeys.oracle(ASSET, 1)]);
    }

    function _load(bytes32 key) internal view override returns (uint256) {
        return slots[key];
    }

    function _store(bytes32 key, uint256 value) internal override {
        slots[key] = value;
    }

    function _sender() internal view override returns (address) {
        return msg.sender;
    }

    function _timestamp() internal view override returns (uint256) {
        return block.timestamp;
    }
}

/// @notice The chain's price oracles (`OracleLogic`, docs/lending.md §4): the state machine
///         against the sequence Rust writes (testdata/oracle-vectors.json, `OracleState`), and
///         the oracles of an `L2System` genesis sampled at each block's beginning: the weight
///         cap, the truncation, the window, routes through another oracle, and the genesis'
///         refusals.
contract OracleTest is Test {
    string constant FILE = "../testdata/oracle-vectors.json";
    address constant SYSTEM = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    address constant PROVIDER = address(0x9001);
    address constant TRADER = address(0x9002);
    // A 18-decimal asset, the 6-decimal numeraire, an 8-decimal asset priced through the first.
    address constant ETH = address(0x7001);
    address constant USD = address(0x7002);
    address constant BTC = address(0x7004);
    uint256 constant ETH_RESERVE = 1_000e18;
    uint256 constant USD_RESERVE = 3_000_000e6;
    uint256 constant BTC_RESERVE = 50e8;
    uint256 constant T0 = 1_000_000;

    L2System sys;

    function _int(uint256 raw) private pure returns (int256 v) {
        assembly {
            v := raw
        }
    }

    function test_vectors_stateMachine() public {
        string memory json = vm.readFile(FILE);
        uint256[] memory spot = vm.parseJsonUintArray(json, ".sampleSpot");
        uint256[] memory time = vm.parseJsonUintArray(json, ".sampleTime");
        uint256 maxWeight = vm.parseJsonUint(json, ".sampleMaxWeight");
        uint256[] memory log = vm.parseJsonUintArray(json, ".sampleLog");
        uint256[] memory window = vm.parseJsonUintArray(json, ".sampleWindow");
        uint256[] memory latest = vm.parseJsonUintArray(json, ".sampleLatest");
        assertGt(spot.length, 500, "samples");
        OracleHarness h = new OracleHarness();
        h.setWords(window[0], latest[0]);
        for (uint256 i = 1; i < spot.length; i++) {
            assertTrue(
                h.sample(_int(spot[i]), time[i], maxWeight) == _int(log[i]), string.concat("log ", vm.toString(i))
            );
            (uint256 w, uint256 l) = h.words();
            assertEq(w, window[i], string.concat("window ", vm.toString(i)));
            assertEq(l, latest[i], string.concat("latest ", vm.toString(i)));
        }
    }

    function _genesis(L2System.OracleRoute[] memory routes, address numeraire) private returns (L2System) {
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](3);
        tokens[0] = L2System.GenesisToken(ETH, "ETH2", 18);
        tokens[1] = L2System.GenesisToken(USD, "USD", 6);
        tokens[2] = L2System.GenesisToken(BTC, "BTC", 8);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](6);
        mints[0] = L2System.GenesisMint(ETH, PROVIDER, 2 * ETH_RESERVE);
        mints[1] = L2System.GenesisMint(USD, PROVIDER, USD_RESERVE);
        mints[2] = L2System.GenesisMint(BTC, PROVIDER, BTC_RESERVE);
        mints[3] = L2System.GenesisMint(ETH, TRADER, 10_000e18);
        mints[4] = L2System.GenesisMint(USD, TRADER, 100_000_000e6);
        mints[5] = L2System.GenesisMint(BTC, TRADER, 1_000e8);
        L2System.GenesisPool[] memory pools = new L2System.GenesisPool[](2);
        pools[0] = L2System.GenesisPool(PROVIDER, ETH, USD, ETH_RESERVE, USD_RESERVE);
        pools[1] = L2System.GenesisPool(PROVIDER, BTC, ETH, BTC_RESERVE, ETH_RESERVE);
        return new L2System(tokens, mints, pools, L2System.GenesisOracles(numeraire, routes), _noMarkets());
    }

    function _routes() private pure returns (L2System.OracleRoute[] memory routes) {
        routes = new L2System.OracleRoute[](2);
        routes[0] = OracleLogic.OracleRoute(ETH, address(0));
        routes[1] = OracleLogic.OracleRoute(BTC, ETH);
    }

    function setUp() public override {
        sys = _genesis(_routes(), USD);
        vm.warp(T0);
    }

    /// @dev `got` within a relative 10^-10 of `want`.
    function _assertNear(uint256 got, uint256 want, string memory message) private pure {
        uint256 diff = got > want ? got - want : want - got;
        assertLe(diff, want / 1e10, message);
    }

    function _begin(uint256 timestamp) private {
        vm.warp(timestamp);
        vm.prank(SYSTEM);
        sys.beginBlock();
    }

    function _spot(address asset) private view returns (int256) {
        (uint256 rEth, uint256 rUsd,,) = sys.getPool(ETH, USD);
        int256 eth = OracleMath.logPrice(rUsd, rEth);
        if (asset == ETH) return eth;
        (uint256 rBtc, uint256 rEth2,,) = sys.getPool(BTC, ETH);
        return OracleMath.logPrice(rEth2, rBtc) + eth;
    }

    function test_genesisHoldsTheSpotForAWindow() public view {
        (address numeraire, address[] memory assets, address[] memory vias) = sys.oracles();
        assertEq(numeraire, USD, "numeraire");
        assertEq(assets.length, 2, "two oracles");
        assertEq(assets[1], BTC, "second asset");
        assertEq(vias[0], USD, "ETH against the numeraire");
        assertEq(vias[1], ETH, "BTC through ETH");
        for (uint256 i; i < 2; i++) {
            (int256 meanLog, int256 lastLog, uint256 weight, uint256 span, uint256 at) = sys.oracleState(assets[i]);
            assertTrue(meanLog == _spot(assets[i]) && lastLog == meanLog, "the spot");
            assertEq(weight, sys.ORACLE_WINDOW(), "a window of weight");
            assertEq(span, sys.ORACLE_WINDOW(), "over a window");
            assertEq(at, 0, "never sampled");
        }
        // 3,000 USD an ETH: 3e9 raw USD per 1e18 raw ETH, within 2^-37.
        _assertNear(sys.oraclePrice(ETH), (uint256(3) << 128) / 1e9, "3,000 USD");
        // BTC: 20 ETH, 60,000 USD: 6e10 raw USD per 1e8 raw BTC.
        _assertNear(sys.oraclePrice(BTC), uint256(600) << 128, "60,000 USD");
        assertEq(sys.oraclePrice(USD), 1 << 128, "the numeraire is one");
    }

    function test_unknownAssetsHaveNoOracle() public {
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.NoOracle.selector, address(0xdead)));
        sys.oraclePrice(address(0xdead));
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.NoOracle.selector, address(0xdead)));
        sys.oracleState(address(0xdead));
    }

    /// Every oracle is sampled in every block, in the order of genesis: a swap that doubles
    /// ETH's price is sampled truncated to 1 % a weighed second, the first sample weighing the
    /// cap (12 seconds); BTC, in the same beginning, follows ETH's sampled price through its own
    /// pool.
    function test_everyOracleIsSampledTruncatedAndWeighed() public {
        int256 before = _spot(ETH);
        int256 btcGenesis = _spot(BTC);
        vm.prank(TRADER);
        sys.swap(USD, ETH, 1_250_000e6, 0); // ETH's price roughly doubles
        int256 pushed = _spot(ETH);
        assertTrue(pushed - before > OracleMath.ONE * 9 / 10, "about a doubling");
        _begin(T0);
        (int256 meanLog, int256 lastLog, uint256 weight, uint256 span, uint256 at) = sys.oracleState(ETH);
        assertEq(weight, sys.ORACLE_WINDOW() + 12, "twelve seconds, the cap");
        assertEq(span, sys.ORACLE_WINDOW() + 12, "the window rotated: since genesis' origin");
        assertEq(at, T0, "sampled now");
        int256 step = sys.MAX_LOG_MOVE_PER_SECOND() * 12;
        assertTrue(lastLog == before + step, "truncated");
        assertTrue(meanLog == OracleMath.mean(before * 1800 + lastLog * 12, 1812), "weighed");
        (, int256 btcLast, uint256 btcWeight,, uint256 btcAt) = sys.oracleState(BTC);
        assertEq(btcAt, T0, "BTC in the same beginning");
        assertEq(btcWeight, sys.ORACLE_WINDOW() + 12, "the cap");
        assertTrue(btcLast == btcGenesis + step, "ETH's sampled step, not its spot");
        // The same second again does not sample.
        _begin(T0);
        (,, uint256 again,,) = sys.oracleState(BTC);
        assertEq(again, btcWeight, "the clock did not move");
        // Five seconds on: both weigh five seconds more.
        _begin(T0 + 5);
        (,, uint256 ethWeight,, uint256 ethAt) = sys.oracleState(ETH);
        (,, btcWeight,, btcAt) = sys.oracleState(BTC);
        assertEq(ethAt, T0 + 5, "ETH sampled");
        assertEq(btcAt, T0 + 5, "BTC sampled");
        assertEq(ethWeight, sys.ORACLE_WINDOW() + 12 + 5, "five seconds since");
        assertEq(btcWeight, sys.ORACLE_WINDOW() + 12 + 5, "five seconds since");
    }

    /// Held long enough, the mean reaches the new price, and stays within one to two windows.
    function test_theMeanFollowsOverTheWindow() public {
        vm.prank(TRADER);
        sys.swap(USD, ETH, 1_250_000e6, 0);
        int256 pushed = _spot(ETH);
        uint256 t = T0;
        for (uint256 i; i < 800; i++) {
            t += 6;
            _begin(t);
            (,,, uint256 span,) = sys.oracleState(ETH);
            assertGe(span, sys.ORACLE_WINDOW(), "at least a window");
            assertTrue(span < 2 * sys.ORACLE_WINDOW() + 24, "under two");
        }
        (int256 meanLog,,,,) = sys.oracleState(ETH);
        assertTrue(meanLog == pushed, "the new price");
    }

    function test_onlyTheSystemBeginsABlock() public {
        vm.expectRevert(abi.encodeWithSelector(L2System.NotSystemCaller.selector, TRADER));
        vm.prank(TRADER);
        sys.beginBlock();
    }

    function test_genesisRefusesBadRoutes() public {
        L2System.OracleRoute[] memory r = _routes();
        // Through an asset no earlier oracle prices.
        (r[0], r[1]) = (r[1], r[0]);
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleRoute.selector, BTC, ETH));
        _genesis(r, USD);
        // The numeraire itself, a repeated asset, a missing pool.
        r = new L2System.OracleRoute[](1);
        r[0] = OracleLogic.OracleRoute(USD, ETH);
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleRoute.selector, USD, ETH));
        _genesis(r, USD);
        r = _routes();
        r[1] = r[0];
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleRoute.selector, ETH, address(0)));
        _genesis(r, USD);
        r = new L2System.OracleRoute[](1);
        r[0] = OracleLogic.OracleRoute(BTC, address(0));
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleRoute.selector, BTC, USD));
        _genesis(r, USD);
        // No numeraire, too many.
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleCount.selector, 2));
        _genesis(_routes(), address(0));
        vm.expectRevert(abi.encodeWithSelector(OracleLogic.BadOracleCount.selector, 9));
        _genesis(new L2System.OracleRoute[](9), USD);
    }

    /// What the block's beginning costs: sampling an oracle against the numeraire and one
    /// through it, the first time (cold) and in the next block.
    function test_gas_beginBlock() public {
        uint256[2] memory used;
        for (uint256 i; i < 2; i++) {
            vm.warp(T0 + i);
            vm.prank(SYSTEM);
            uint256 g = gasleft();
            sys.beginBlock();
            used[i] = g - gasleft();
        }
        emit log_named_uint("beginBlock gas, two oracles, first block", used[0]);
        emit log_named_uint("beginBlock gas, two oracles, next block", used[1]);
    }

    event log_named_uint(string key, uint256 val);
}
