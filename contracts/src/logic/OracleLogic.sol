// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ClockLogic} from "./ClockLogic.sol";
import {OracleMath} from "./OracleMath.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title OracleLogic
/// @notice Prices from the chain's own pools (docs/lending.md §4). Each oracle, laid out at
///         genesis, keeps a time-weighted mean of the base-2 logarithm of its asset's price in
///         the numeraire (a geometric mean) over a window of `ORACLE_WINDOW` seconds of sample
///         weight. The block's beginning (`ClockLogic`), a chunk of its own (docs/batch-codec.md
///         §3.1), samples every oracle, in order, from its pool's reserves as the previous block
///         left them. A sample weighs the seconds since the oracle's last one, at most
///         `MAX_SAMPLE_WEIGHT`, and moves at most `MAX_LOG_MOVE_PER_SECOND` a weighed second
///         from the last sample (a truncated oracle). An asset without a pool against the
///         numeraire is priced along one step: its pool with an earlier oracle's asset, plus
///         that oracle's logarithm sampled just before in the same beginning.
/// @dev State per oracle (`StateKeys.oracle(asset, part)`): part 0, the window's two
///      observations (the oldest kept in the low 128 bits, the newest checkpoint above), each
///      an accumulator (`int96`, low) and the clock of weights it covers (`uint32`, above); part
///      1, the latest sample: accumulator (`int96`), weights (`uint32`), the window's mean
///      logarithm (`int48`), the last sampled logarithm (`int48`) and the timestamp of that
///      sample (`uint32`). Logarithms are `OracleMath`'s (40 fractional bits), kept within
///      ±(2^47 − 1).
abstract contract OracleLogic is ClockLogic {
    /// @notice The seconds (of sample weight) a mean covers at least; at most twice this.
    uint256 public constant ORACLE_WINDOW = 1800;
    /// @notice The most seconds a sample weighs: a block that claims an hour counts twelve
    ///         seconds (docs/lending.md §4, rule 3).
    uint256 public constant MAX_SAMPLE_WEIGHT = 12;
    /// @notice The largest logarithm a sample takes (and its negation the smallest): a price
    ///         of about 2^±128.
    int256 public constant MAX_LOG = 2 ** 47 - 1;
    /// @notice The most a sampled logarithm moves from the last sample, a weighed second:
    ///         `log2(1.01)` (a price follows at most 1 % a second).
    int256 public constant MAX_LOG_MOVE_PER_SECOND = 15_783_802_966;
    /// @notice The most oracles a genesis lays out: each is sampled in every block.
    uint256 public constant MAX_ORACLES = 8;

    /// @notice An oracle laid out at genesis: `asset`, priced by its pool with `via` (the zero
    ///         address: with the numeraire; otherwise an earlier oracle's asset).
    struct OracleRoute {
        address asset;
        address via;
    }

    /// @notice `asset` has no oracle (nor is it the numeraire).
    error NoOracle(address asset);
    /// @notice A genesis lays out `count` oracles, above `MAX_ORACLES`, or none with a numeraire.
    error BadOracleCount(uint256 count);
    /// @notice A genesis oracle's route is not one: a repeated asset or the numeraire, a `via`
    ///         that is no earlier oracle's asset, or a pool that does not exist.
    error BadOracleRoute(address asset, address via);

    /// @notice An oracle was laid out at genesis (`via` zero: priced by its pool with the
    ///         numeraire).
    event OracleCreated(address indexed asset, address indexed via, address numeraire, uint256 index);

    uint256 private constant MASK32 = (1 << 32) - 1;
    uint256 private constant MASK48 = (1 << 48) - 1;
    uint256 private constant MASK96 = (1 << 96) - 1;
    uint256 internal constant MASK128 = (1 << 128) - 1;

    /// @dev Lays out the oracles of a genesis, each as if its pool's price had held for a whole
    ///      window, so that a mean exists from the first block and moving it costs from the
    ///      start what it costs later.
    function _createOracles(address numeraire, OracleRoute[] memory routes) internal {
        uint256 count = routes.length;
        if (count > MAX_ORACLES || (count != 0 && numeraire == address(0))) revert BadOracleCount(count);
        if (count == 0) return;
        int256[] memory spot = new int256[](count);
        for (uint256 i; i < count; ++i) {
            OracleRoute memory r = routes[i];
            uint256 route;
            int256 log;
            if (r.via == address(0)) {
                log = _spotLog(r.asset, numeraire);
            } else {
                uint256 j;
                while (j < i && routes[j].asset != r.via) ++j;
                if (j == i) revert BadOracleRoute(r.asset, r.via);
                route = j + 1;
                log = _clampLog(_spotLog(r.asset, r.via) + spot[j]);
            }
            if (r.asset == numeraire || _load(StateKeys.oracle(r.asset, 1)) != 0) {
                revert BadOracleRoute(r.asset, r.via);
            }
            spot[i] = log;
            _store(StateKeys.oracleAt(i), uint160(r.asset) | route << 160);
            _store(StateKeys.oracle(r.asset, 1), _packLatest(log * int256(ORACLE_WINDOW), ORACLE_WINDOW, log, log, 0));
            emit OracleCreated(r.asset, r.via, numeraire, i);
        }
        _store(StateKeys.oracles(), count | uint256(uint160(numeraire)) << 16);
    }

    /// @dev Samples every oracle at the block's beginning, in the order of genesis.
    function _onClock(uint256 elapsed) internal virtual override {
        super._onClock(elapsed);
        uint256 header = _load(StateKeys.oracles());
        uint256 count = header & 0xff;
        address numeraire = address(uint160(header >> 16));
        uint256 now_ = _timestamp();
        for (uint256 i; i < count; ++i) {
            uint256 entry = _load(StateKeys.oracleAt(i));
            address asset = address(uint160(entry));
            uint256 route = entry >> 160;
            int256 spot;
            if (route == 0) {
                spot = _spotLog(asset, numeraire);
            } else {
                // Genesis checked the route: an earlier oracle's asset, sampled just before.
                address via = address(uint160(_load(StateKeys.oracleAt(route - 1))));
                (,,, int256 viaLast,) = _unpackLatest(_load(StateKeys.oracle(via, 1)));
                spot = _spotLog(asset, via) + viaLast;
            }
            _sample(asset, spot, now_, MAX_SAMPLE_WEIGHT);
        }
    }

    /// @dev Adds a sample of `spot` at time `now_` to the oracle of `asset`, weighing the
    ///      seconds since its last sample, at most `maxWeight`; returns the logarithm sampled
    ///      (the spot clamped to ±`MAX_LOG`, then truncated).
    function _sample(address asset, int256 spot, uint256 now_, uint256 maxWeight) internal returns (int256) {
        (,,,, uint256 time) = _unpackLatest(_load(StateKeys.oracle(asset, 1)));
        uint256 weight = now_ > time ? now_ - time : 0;
        return _addSample(asset, spot, weight > maxWeight ? maxWeight : weight, now_ > MASK32 ? MASK32 : now_);
    }

    /// @dev Adds a sample of `spot` weighing `weight` seconds, taken at `stamp`, to the oracle
    ///      of `asset`; returns the logarithm sampled.
    function _addSample(address asset, int256 spot, uint256 weight, uint256 stamp) private returns (int256 log) {
        bytes32 latestKey = StateKeys.oracle(asset, 1);
        (int256 acc, uint256 clk,, int256 last,) = _unpackLatest(_load(latestKey));
        // The clock of weights is a uint32 (136 years): past it the oracle stands still.
        if (weight == 0 || clk + weight > MASK32) return last;
        log = _truncate(_clampLog(spot), last, weight);
        // forge-lint: disable-next-line(unsafe-typecast)
        acc += log * int256(weight); // weight ≤ 12 × MAX_ORACLES
        clk += weight;
        _store(latestKey, _packLatest(acc, clk, _window(asset, acc, clk), log, stamp));
    }

    /// @dev `log` within ±`MAX_LOG`.
    function _clampLog(int256 log) private pure returns (int256) {
        if (log > MAX_LOG) return MAX_LOG;
        if (log < -MAX_LOG) return -MAX_LOG;
        return log;
    }

    /// @dev `spot`, moved at most `MAX_LOG_MOVE_PER_SECOND × weight` from `last`.
    function _truncate(int256 spot, int256 last, uint256 weight) private pure returns (int256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 maxMove = MAX_LOG_MOVE_PER_SECOND * int256(weight); // weight ≤ 12 × MAX_ORACLES
        if (spot > last + maxMove) return last + maxMove;
        if (spot < last - maxMove) return last - maxMove;
        return spot;
    }

    /// @dev Rotates the window of `asset` to the new observation (`acc`, `clk`) when its
    ///      newest checkpoint is a window old, and returns the mean since its oldest.
    function _window(address asset, int256 acc, uint256 clk) private returns (int256) {
        bytes32 windowKey = StateKeys.oracle(asset, 0);
        uint256 window = _load(windowKey);
        (, uint256 midClock) = _unpackObservation(window >> 128);
        if (clk - midClock >= ORACLE_WINDOW) {
            // The newest checkpoint becomes the oldest, and the new observation the newest.
            window = window >> 128 | _packObservation(acc, clk) << 128;
            _store(windowKey, window);
        }
        (int256 oldAcc, uint256 oldClock) = _unpackObservation(window & MASK128);
        return OracleMath.mean(acc - oldAcc, clk - oldClock);
    }

    /// @dev The logarithm of the price of `asset` in `quote` by their pool's reserves now
    ///      (`quote / asset` in raw units).
    function _spotLog(address asset, address quote) internal view returns (int256) {
        (address token0, address token1) = asset < quote ? (asset, quote) : (quote, asset);
        uint256 reserves = _load(StateKeys.pool(token0, token1));
        if (reserves == 0) revert BadOracleRoute(asset, quote);
        (uint256 r0, uint256 r1) = (reserves & MASK128, reserves >> 128);
        return asset == token0 ? OracleMath.logPrice(r1, r0) : OracleMath.logPrice(r0, r1);
    }

    /// @dev The mean logarithm of the price of `asset` in the numeraire as the block began (0
    ///      for the numeraire itself).
    function _meanLog(address asset) internal view returns (int256) {
        uint256 header = _load(StateKeys.oracles());
        if (header != 0 && asset == address(uint160(header >> 16))) return 0;
        uint256 latest = _load(StateKeys.oracle(asset, 1));
        if (latest == 0) revert NoOracle(asset);
        (,, int256 mean_,,) = _unpackLatest(latest);
        return mean_;
    }

    function _packObservation(int256 acc, uint256 clk) private pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint256(acc) & MASK96 | clk << 96;
    }

    function _unpackObservation(uint256 word) internal pure returns (int256 acc, uint256 clk) {
        // forge-lint: disable-next-line(unsafe-typecast)
        acc = int256(int96(uint96(word & MASK96)));
        clk = (word >> 96) & MASK32;
    }

    function _packLatest(int256 acc, uint256 clk, int256 mean_, int256 last, uint256 time)
        private
        pure
        returns (uint256)
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 logs = (uint256(mean_) & MASK48) | (uint256(last) & MASK48) << 48;
        return _packObservation(acc, clk) | logs << 128 | time << 224;
    }

    function _unpackLatest(uint256 word)
        internal
        pure
        returns (int256 acc, uint256 clk, int256 mean_, int256 last, uint256 time)
    {
        (acc, clk) = _unpackObservation(word & MASK128);
        // forge-lint: disable-next-line(unsafe-typecast)
        mean_ = int256(int48(uint48((word >> 128) & MASK48)));
        // forge-lint: disable-next-line(unsafe-typecast)
        last = int256(int48(uint48((word >> 176) & MASK48)));
        time = word >> 224;
    }
}
