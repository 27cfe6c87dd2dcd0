// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerLogic} from "./LedgerLogic.sol";
import {LendingMath} from "./LendingMath.sol";
import {OracleLogic} from "./OracleLogic.sol";
import {OracleMath} from "./OracleMath.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title LendingLogic
/// @notice The money market (docs/lending.md): one market per asset, laid out at genesis;
///         supply, withdraw, borrow, repay and liquidate; interest by a supply and a borrow
///         index under a kinked rate model (`LendingMath`), accrued by the block's beginning,
///         one market a block in turn; collateral priced by the chain's own oracles
///         (`OracleLogic`). Every rounding favours the market.
/// @dev Parallel by construction (docs/lending.md §3): a market's configuration, rates and
///      indices are written only by genesis and the block's beginning, so within a block's
///      items they are read-only; a market's totals and cash are split in `SHARDS` shards, and
///      a user's operations touch only its own shard's (`shardOf`), but for a payout larger
///      than its shard's cash, which takes the rest from the next shards. The accrual spreads
///      each market's cash evenly over its shards.
///
///      State (`StateKeys`): `markets()` the header; `market(i, 0)` the asset (bits 0–159),
///      collateral factor (160–175), liquidation threshold (176–191), liquidation bonus
///      (192–207), reserve factor (208–223) and kink (224–239), all in basis points;
///      `market(i, 1)` the rate model, per second in rays: base (0–71), slope below the kink
///      (72–143), slope above it (144–215), and the time of the last accrual (216–247);
///      `market(i, 2)` the supply index (low 128 bits) and the borrow index (high 128);
///      `marketShard(i, s)` and `position(user, i)` scaled supply (low) and debt (high).
abstract contract LendingLogic is LedgerLogic, OracleLogic {
    /// @notice The shards of each market's totals and cash.
    uint256 public constant SHARDS = 8;
    /// @notice The most markets a genesis lays out: a health factor reads every one.
    uint256 public constant MAX_MARKETS = 8;
    /// @notice One in basis points.
    uint256 internal constant BPS = 10_000;
    /// @notice A year of seconds: the rate model's parameters are given a year.
    uint256 internal constant YEAR = 365 days;
    /// @notice Below this health factor (in basis points) a liquidation may repay all of a debt.
    uint256 public constant FULL_CLOSE_HEALTH = 9_500;
    /// @notice The share of a debt one liquidation repays at most (the close factor, bps).
    uint256 public constant CLOSE_FACTOR = 5_000;
    /// @notice The highest yearly rate parameter of a market, in basis points (1,000 %).
    uint256 public constant MAX_YEARLY_RATE = 100_000;

    uint256 private constant MASK16 = (1 << 16) - 1;
    uint256 private constant MASK32 = (1 << 32) - 1;
    uint256 private constant MASK72 = (1 << 72) - 1;
    uint256 private constant MAX128 = (1 << 128) - 1;

    /// @notice A market laid out at genesis. Factors and the kink in basis points, rates in
    ///         basis points a year (docs/lending.md §6 says where each number comes from).
    struct MarketParams {
        address asset;
        uint16 collateralFactor;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
        uint16 reserveFactor;
        uint16 kink;
        uint32 baseRate;
        uint32 slopeLow;
        uint32 slopeHigh;
    }

    /// @notice `asset` has no market.
    error NoMarket(address asset);
    /// @notice A genesis market is not one: its asset repeated or unpriced, or its factors out
    ///         of order (collateral factor ≤ liquidation threshold, threshold × (1 + bonus) ≤ 1).
    error BadMarket(address asset);
    /// @notice A genesis lays out more than `MAX_MARKETS` markets.
    error TooManyMarkets(uint256 count);
    /// @notice A balance or total would pass 2^128 − 1.
    error AmountTooLarge(uint256 amount);
    /// @notice `user` holds `available` of `asset` supplied, less than `required`.
    error InsufficientSupply(address user, address asset, uint256 available, uint256 required);
    /// @notice The market of `asset` holds `available` cash (what is supplied and not
    ///         borrowed), less than `required`.
    error InsufficientCash(address asset, uint256 available, uint256 required);
    /// @notice The operation would leave `user`'s debt (`debtValue`, in the numeraire) above
    ///         what its collateral may borrow (`borrowable`).
    error Undercollateralized(address user, uint256 borrowable, uint256 debtValue);
    /// @notice `borrower`'s collateral at its liquidation thresholds (`collateralValue`) covers
    ///         its debt (`debtValue`): it may not be liquidated.
    error Healthy(address borrower, uint256 collateralValue, uint256 debtValue);
    /// @notice `borrower` owes nothing of `asset`, or supplies none of the collateral.
    error NothingToLiquidate(address borrower, address debtAsset, address collateralAsset);
    /// @notice The liquidation seizes `seized`, less than the liquidator's `minimum`.
    error InsufficientCollateralOut(uint256 seized, uint256 minimum);
    /// @notice A liquidator may not liquidate itself.
    error SelfLiquidation();

    /// @notice A market was laid out at genesis.
    event MarketCreated(address indexed asset, uint256 index);
    /// @notice `user` supplied `amount` of `asset`, credited `scaled`.
    event Supplied(address indexed user, address indexed asset, uint256 amount, uint256 scaled);
    /// @notice `user` withdrew `amount` of its supply of `asset`, burning `scaled`.
    event SupplyWithdrawn(address indexed user, address indexed asset, uint256 amount, uint256 scaled);
    /// @notice `user` borrowed `amount` of `asset`, owing `scaled`.
    event Borrowed(address indexed user, address indexed asset, uint256 amount, uint256 scaled);
    /// @notice `user` repaid `amount` of its debt in `asset`, clearing `scaled`.
    event Repaid(address indexed user, address indexed asset, uint256 amount, uint256 scaled);
    /// @notice `liquidator` repaid `repaid` of `borrower`'s debt in `debtAsset` and took
    ///         `seized` of its supply of `collateralAsset`.
    event Liquidated(
        address indexed liquidator,
        address indexed borrower,
        address indexed debtAsset,
        address collateralAsset,
        uint256 repaid,
        uint256 seized
    );
    /// @notice `borrower` has no collateral left: its remaining debt of `asset`, `amount`, is
    ///         written off against the market's reserves (docs/lending.md §5).
    event BadDebt(address indexed borrower, address indexed asset, uint256 amount);
    /// @notice The market of `asset` accrued: its new indices and the rates a second (rays).
    event Accrued(
        address indexed asset, uint256 supplyIndex, uint256 borrowIndex, uint256 borrowRate, uint256 supplyRate
    );

    // -----------------------------------------------------------------------------------------
    // Operations.

    /// @notice Supplies `amount` of `asset` from the caller to its market.
    function supply(address asset, uint256 amount) external {
        address user = _sender();
        uint256 i = _marketIndex(asset);
        (uint256 supplyIndex,) = _indices(i);
        uint256 scaled = LendingMath.toScaled(_checked(amount), supplyIndex, false);
        if (scaled == 0) revert ZeroAmount();
        uint256 shard = shardOf(user);
        _transfer(asset, user, StateKeys.shardAccount(shard), amount);
        _addPosition(user, i, shard, scaled, 0);
        emit Supplied(user, asset, amount, scaled);
    }

    /// @notice Withdraws `amount` of the caller's supply of `asset` (`type(uint256).max`: all
    ///         of it), if what it still borrows stays within its collateral's borrowing power.
    function withdrawSupply(address asset, uint256 amount) external {
        address user = _sender();
        uint256 i = _marketIndex(asset);
        (uint256 supplyIndex,) = _indices(i);
        uint256 held = _load(StateKeys.position(user, i)) & MAX128;
        uint256 scaled;
        if (amount == type(uint256).max) {
            scaled = held;
            amount = LendingMath.fromScaled(held, supplyIndex, false);
        } else {
            scaled = LendingMath.toScaled(_checked(amount), supplyIndex, true);
        }
        if (amount == 0) revert ZeroAmount();
        if (scaled > held) {
            revert InsufficientSupply(user, asset, LendingMath.fromScaled(held, supplyIndex, false), amount);
        }
        uint256 shard = shardOf(user);
        _subPosition(user, i, shard, scaled, 0);
        _payOut(asset, shard, user, amount);
        _requireCollateralized(user);
        emit SupplyWithdrawn(user, asset, amount, scaled);
    }

    /// @notice Borrows `amount` of `asset`, within the borrowing power of the caller's
    ///         collateral (each supply at its market's collateral factor).
    function borrow(address asset, uint256 amount) external {
        address user = _sender();
        uint256 i = _marketIndex(asset);
        (, uint256 borrowIndex) = _indices(i);
        if (amount == 0) revert ZeroAmount();
        uint256 scaled = LendingMath.toScaled(_checked(amount), borrowIndex, true);
        uint256 shard = shardOf(user);
        _addPosition(user, i, shard, 0, scaled);
        _payOut(asset, shard, user, amount);
        _requireCollateralized(user);
        emit Borrowed(user, asset, amount, scaled);
    }

    /// @notice Repays up to `amount` of the caller's debt in `asset` (`type(uint256).max`, or
    ///         anything above the debt: all of it).
    function repay(address asset, uint256 amount) external {
        address user = _sender();
        uint256 i = _marketIndex(asset);
        (, uint256 borrowIndex) = _indices(i);
        uint256 owedScaled = _load(StateKeys.position(user, i)) >> 128;
        uint256 owed = LendingMath.fromScaled(owedScaled, borrowIndex, true);
        uint256 scaled;
        if (amount >= owed) {
            (amount, scaled) = (owed, owedScaled);
        } else {
            scaled = LendingMath.toScaled(amount, borrowIndex, false);
        }
        if (amount == 0) revert ZeroAmount();
        uint256 shard = shardOf(user);
        _transfer(asset, user, StateKeys.shardAccount(shard), amount);
        _subPosition(user, i, shard, 0, scaled);
        emit Repaid(user, asset, amount, scaled);
    }

    /// @notice Repays up to `amount` of an unhealthy `borrower`'s debt in `debtAsset` (at most
    ///         `CLOSE_FACTOR` of it, all of it below `FULL_CLOSE_HEALTH` or under the dust
    ///         threshold) from the caller's balance, and takes the borrower's supply of
    ///         `collateralAsset` worth the repaid amount plus the market's liquidation bonus, as
    ///         a supply of its own; reverts if that is less than `minCollateral`. A borrower left
    ///         with no collateral has its remaining debts written off (`BadDebt`).
    function liquidate(
        address borrower,
        address debtAsset,
        address collateralAsset,
        uint256 amount,
        uint256 minCollateral
    ) external {
        address liquidator = _sender();
        if (liquidator == borrower) revert SelfLiquidation();
        (uint256 d, uint256 c) = (_marketIndex(debtAsset), _marketIndex(collateralAsset));
        (uint256 repaid, uint256 seized) = _liquidation(borrower, d, c, amount);
        if (seized < minCollateral) revert InsufficientCollateralOut(seized, minCollateral);
        uint256 shard = shardOf(borrower);
        _settleDebt(liquidator, borrower, d, shard, repaid);
        _seize(liquidator, borrower, c, shard, seized);
        emit Liquidated(liquidator, borrower, debtAsset, collateralAsset, repaid, seized);
        _writeOffIfBare(borrower, shard);
    }

    // -----------------------------------------------------------------------------------------
    // Views shared by L2 and the replay (the L2 system contract adds more).

    /// @notice The shard of `user`: the low bits of its address.
    function shardOf(address user) public pure returns (uint256) {
        return uint160(user) & (SHARDS - 1);
    }

    // -----------------------------------------------------------------------------------------
    // Genesis and the block's beginning.

    /// @dev Lays out the markets of a genesis; each asset needs an oracle or is the numeraire.
    function _createMarkets(uint256 dust, MarketParams[] memory params) internal {
        uint256 count = params.length;
        if (count > MAX_MARKETS) revert TooManyMarkets(count);
        if (count == 0) return;
        uint256 now_ = _timestamp() > MASK32 ? MASK32 : _timestamp();
        for (uint256 i; i < count; ++i) {
            MarketParams memory m = params[i];
            bool ordered = m.collateralFactor <= m.liquidationThreshold && m.liquidationThreshold < BPS
                && uint256(m.liquidationThreshold) * (BPS + m.liquidationBonus) <= BPS * BPS && m.reserveFactor <= BPS
                && m.kink <= BPS && m.baseRate <= MAX_YEARLY_RATE && m.slopeLow <= MAX_YEARLY_RATE
                && m.slopeHigh <= MAX_YEARLY_RATE;
            if (!ordered || m.asset == address(0) || _load(StateKeys.marketOf(m.asset)) != 0) {
                revert BadMarket(m.asset);
            }
            _meanLog(m.asset); // reverts when the asset has no price
            _store(StateKeys.marketOf(m.asset), i + 1);
            _store(
                StateKeys.market(i, 0),
                uint160(m.asset) | uint256(m.collateralFactor) << 160 | uint256(m.liquidationThreshold) << 176
                    | uint256(m.liquidationBonus) << 192 | uint256(m.reserveFactor) << 208 | uint256(m.kink) << 224
            );
            _store(
                StateKeys.market(i, 1),
                _perSecond(m.baseRate) | _perSecond(m.slopeLow) << 72 | _perSecond(m.slopeHigh) << 144 | (now_ & MASK32)
                    << 216
            );
            _store(StateKeys.market(i, 2), LendingMath.RAY | LendingMath.RAY << 128);
            emit MarketCreated(m.asset, i);
        }
        _store(StateKeys.markets(), count | (dust > MAX128 ? MAX128 : dust) << 16);
    }

    /// @dev Accrues the market whose turn it is, at the block's beginning (after the oracles'
    ///      samples), and passes the turn on.
    function _accrueInTurn() internal {
        bytes32 headerKey = StateKeys.markets();
        uint256 header = _load(headerKey);
        uint256 count = header & 0xff;
        if (count == 0) return;
        uint256 turn = (header >> 8) & 0xff;
        _accrue(turn);
        _store(headerKey, header & ~uint256(0xff00) | ((turn + 1) % count) << 8);
    }

    /// @dev Accrues market `i` for the seconds since its last accrual at the rates its
    ///      utilization gives now, then spreads its cash evenly over its shards.
    function _accrue(uint256 i) private {
        address asset = _assetOf(_load(StateKeys.market(i, 0)));
        uint256[SHARDS] memory cash;
        (uint256 supplied, uint256 owed, uint256 totalCash) = (0, 0, 0);
        for (uint256 s; s < SHARDS; ++s) {
            uint256 shard = _load(StateKeys.marketShard(i, s));
            supplied += shard & MAX128;
            owed += shard >> 128;
            cash[s] = _load(StateKeys.balance(asset, StateKeys.shardAccount(s)));
            // Balances of a token sum to at most its supply: no overflow.
            totalCash += cash[s];
        }
        _accrueIndices(i, asset, supplied, owed);
        // An even share of the cash in each shard; the last takes what rounding leaves.
        uint256 share = totalCash / SHARDS;
        for (uint256 s; s < SHARDS; ++s) {
            uint256 target = s == SHARDS - 1 ? totalCash - share * (SHARDS - 1) : share;
            if (target != cash[s]) _store(StateKeys.balance(asset, StateKeys.shardAccount(s)), target);
        }
    }

    /// @dev Moves market `i`'s indices by the interest since its last accrual, at the rates of
    ///      its utilization by the scaled sums `supplied` and `owed`.
    function _accrueIndices(uint256 i, address asset, uint256 supplied, uint256 owed) private {
        bytes32 ratesKey = StateKeys.market(i, 1);
        uint256 rates = _load(ratesKey);
        (uint256 supplyIndex, uint256 borrowIndex) = _indices(i);
        // The clock is a uint32 of seconds (until 2106): past it a market stands still, as the
        // oracles do, rather than charge the interest of a wrapped clock.
        uint256 now_ = _timestamp() > MASK32 ? MASK32 : _timestamp();
        uint256 last = rates >> 216;
        // A genesis at time 0 (the executor's) starts the clock at the first accrual.
        uint256 interval = last == 0 || now_ <= last ? 0 : now_ - last;
        (uint256 borrowRate, uint256 supplyRate) = _rates(
            i,
            LendingMath.utilization(
                LendingMath.fromScaled(owed, borrowIndex, true), LendingMath.fromScaled(supplied, supplyIndex, false)
            )
        );
        borrowIndex = LendingMath.accrue(borrowIndex, borrowRate, interval, true);
        supplyIndex = LendingMath.accrue(supplyIndex, supplyRate, interval, false);
        _store(StateKeys.market(i, 2), supplyIndex | borrowIndex << 128);
        _store(ratesKey, rates & ((1 << 216) - 1) | now_ << 216);
        emit Accrued(asset, supplyIndex, borrowIndex, borrowRate, supplyRate);
    }

    /// @dev The borrow and supply rates a second (rays) of market `i` at utilization `u`.
    function _rates(uint256 i, uint256 u) internal view returns (uint256 borrowRate, uint256 supplyRate) {
        uint256 config = _load(StateKeys.market(i, 0));
        uint256 rates = _load(StateKeys.market(i, 1));
        borrowRate = LendingMath.borrowRate(
            u, rates & MASK72, (rates >> 72) & MASK72, (rates >> 144) & MASK72, _ray((config >> 224) & MASK16)
        );
        supplyRate = LendingMath.supplyRate(borrowRate, u, _ray((config >> 208) & MASK16));
    }

    // -----------------------------------------------------------------------------------------
    // Health and liquidation.

    /// @dev What `user`'s collateral is worth at its markets' collateral factors
    ///      (`byThreshold` false) or liquidation thresholds (true), and what its debt is worth,
    ///      in raw units of the numeraire: collateral rounded down, debt up.
    function _health(address user, bool byThreshold) internal view returns (uint256 collateral, uint256 debt) {
        uint256 count = _load(StateKeys.markets()) & 0xff;
        for (uint256 i; i < count; ++i) {
            uint256 position_ = _load(StateKeys.position(user, i));
            if (position_ == 0) continue;
            uint256 config = _load(StateKeys.market(i, 0));
            (uint256 supplyIndex, uint256 borrowIndex) = _indices(i);
            uint256 price = OracleMath.exp2(_meanLog(_assetOf(config)));
            uint256 supplied = position_ & MAX128;
            if (supplied != 0) {
                uint256 factor = (config >> (byThreshold ? 176 : 160)) & MASK16;
                uint256 value = _mulQ128(LendingMath.fromScaled(supplied, supplyIndex, false), price, false);
                collateral = _addCapped(collateral, _mulCapped(value, factor) / BPS);
            }
            uint256 owed = position_ >> 128;
            if (owed != 0) {
                debt = _addCapped(debt, _mulQ128(LendingMath.fromScaled(owed, borrowIndex, true), price, true));
            }
        }
    }

    /// @dev What a liquidation of `borrower` repays of its debt in market `d` (`amount` at
    ///      most) and seizes of its supply in market `c`; reverts when the borrower is healthy.
    function _liquidation(address borrower, uint256 d, uint256 c, uint256 amount)
        internal
        view
        returns (uint256 repaid, uint256 seized)
    {
        uint256 most = _closeable(borrower, d);
        (uint256 supplyIndex,) = _indices(c);
        uint256 held = LendingMath.fromScaled(_load(StateKeys.position(borrower, c)) & MAX128, supplyIndex, false);
        if (most == 0 || held == 0) {
            revert NothingToLiquidate(
                borrower, _assetOf(_load(StateKeys.market(d, 0))), _assetOf(_load(StateKeys.market(c, 0)))
            );
        }
        repaid = amount < most ? amount : most;
        if (repaid == 0) revert ZeroAmount();
        return _seizure(d, c, repaid, held);
    }

    /// @dev The most of `borrower`'s debt in market `d` one liquidation may repay: the close
    ///      factor's share, or all of it below `FULL_CLOSE_HEALTH` or under the dust threshold;
    ///      reverts when the borrower is healthy.
    function _closeable(address borrower, uint256 d) private view returns (uint256) {
        (uint256 collateral, uint256 debtValue) = _health(borrower, true);
        if (collateral >= debtValue) revert Healthy(borrower, collateral, debtValue);
        (, uint256 borrowIndex) = _indices(d);
        uint256 owed = LendingMath.fromScaled(_load(StateKeys.position(borrower, d)) >> 128, borrowIndex, true);
        uint256 dust = _load(StateKeys.markets()) >> 16;
        bool full = _mulCapped(collateral, BPS) < _mulCapped(debtValue, FULL_CLOSE_HEALTH) || debtValue < dust;
        return full ? owed : owed * CLOSE_FACTOR / BPS;
    }

    /// @dev The collateral of market `c` that repaying `repaid` of market `d`'s asset buys (at
    ///      the price ratio plus `c`'s bonus, rounded down), at most `held`: when that is short,
    ///      all of `held` for what it is worth (rounded up).
    function _seizure(uint256 d, uint256 c, uint256 repaid, uint256 held)
        private
        view
        returns (uint256, uint256 seized)
    {
        uint256 configC = _load(StateKeys.market(c, 0));
        int256 logD = _meanLog(_assetOf(_load(StateKeys.market(d, 0))));
        int256 logC = _meanLog(_assetOf(configC));
        uint256 bonus = BPS + ((configC >> 192) & MASK16);
        seized = _mulCapped(_mulQ128(repaid, OracleMath.exp2(logD - logC), false), bonus) / BPS;
        if (seized <= held) return (repaid, seized);
        uint256 worth = _mulQ128(_mulCapped(held, BPS), OracleMath.exp2(logC - logD), true);
        worth = worth / bonus + (worth % bonus == 0 ? 0 : 1);
        if (worth < repaid) repaid = worth;
        if (repaid == 0) revert ZeroAmount();
        return (repaid, held);
    }

    /// @dev A liquidation's repayment: `liquidator` pays `repaid` of `borrower`'s debt in market
    ///      `d` to the borrower's shard.
    function _settleDebt(address liquidator, address borrower, uint256 d, uint256 shard, uint256 repaid) private {
        (, uint256 borrowIndex) = _indices(d);
        uint256 owedScaled = _load(StateKeys.position(borrower, d)) >> 128;
        uint256 clearedScaled = repaid == LendingMath.fromScaled(owedScaled, borrowIndex, true)
            ? owedScaled
            : LendingMath.toScaled(repaid, borrowIndex, false);
        address asset = _assetOf(_load(StateKeys.market(d, 0)));
        _transfer(asset, liquidator, StateKeys.shardAccount(shard), repaid);
        _subPosition(borrower, d, shard, 0, clearedScaled);
    }

    /// @dev A liquidation's seizure: `seized` of `borrower`'s supply in market `c` becomes
    ///      `liquidator`'s, scaled as it is (rounded up, at most all of it).
    function _seize(address liquidator, address borrower, uint256 c, uint256 shard, uint256 seized) private {
        (uint256 supplyIndex,) = _indices(c);
        uint256 heldScaled = _load(StateKeys.position(borrower, c)) & MAX128;
        uint256 seizedScaled = LendingMath.toScaled(seized, supplyIndex, true);
        if (seizedScaled > heldScaled) seizedScaled = heldScaled;
        _subPosition(borrower, c, shard, seizedScaled, 0);
        _addPosition(liquidator, c, shardOf(liquidator), seizedScaled, 0);
    }

    /// @dev Writes off every debt of `borrower` when it has no collateral left in any market.
    function _writeOffIfBare(address borrower, uint256 shard) private {
        uint256 count = _load(StateKeys.markets()) & 0xff;
        for (uint256 i; i < count; ++i) {
            if (_load(StateKeys.position(borrower, i)) & MAX128 != 0) return;
        }
        for (uint256 i; i < count; ++i) {
            uint256 owedScaled = _load(StateKeys.position(borrower, i)) >> 128;
            if (owedScaled == 0) continue;
            (, uint256 borrowIndex) = _indices(i);
            _subPosition(borrower, i, shard, 0, owedScaled);
            address asset = _assetOf(_load(StateKeys.market(i, 0)));
            emit BadDebt(borrower, asset, LendingMath.fromScaled(owedScaled, borrowIndex, true));
        }
    }

    /// @dev Reverts unless `user`'s debt is within its collateral's borrowing power.
    function _requireCollateralized(address user) private view {
        (uint256 borrowable, uint256 debt) = _health(user, false);
        if (debt > borrowable) revert Undercollateralized(user, borrowable, debt);
    }

    // -----------------------------------------------------------------------------------------
    // Positions and cash.

    function _addPosition(address user, uint256 i, uint256 shard, uint256 supplied, uint256 owed) private {
        _store(StateKeys.position(user, i), _addPair(_load(StateKeys.position(user, i)), supplied, owed));
        bytes32 shardKey = StateKeys.marketShard(i, shard);
        _store(shardKey, _addPair(_load(shardKey), supplied, owed));
    }

    function _subPosition(address user, uint256 i, uint256 shard, uint256 supplied, uint256 owed) private {
        // The position is part of its shard: what the position holds the shard holds.
        bytes32 positionKey = StateKeys.position(user, i);
        _store(positionKey, _load(positionKey) - supplied - (owed << 128));
        bytes32 shardKey = StateKeys.marketShard(i, shard);
        _store(shardKey, _load(shardKey) - supplied - (owed << 128));
    }

    /// @dev `pair` (low and high 128 bits) plus `low` and `high`, each within 128 bits.
    function _addPair(uint256 pair, uint256 low, uint256 high) private pure returns (uint256) {
        uint256 newLow = (pair & MAX128) + low;
        uint256 newHigh = (pair >> 128) + high;
        if (newLow > MAX128) revert AmountTooLarge(newLow);
        if (newHigh > MAX128) revert AmountTooLarge(newHigh);
        return newLow | newHigh << 128;
    }

    /// @dev Pays `amount` of `asset` to `to` from the cash of `shard`, and when that is short
    ///      from the next shards in turn (a spill, which touches their keys too).
    function _payOut(address asset, uint256 shard, address to, uint256 amount) private {
        uint256 left = amount;
        for (uint256 k; k < SHARDS && left != 0; ++k) {
            address account = StateKeys.shardAccount((shard + k) % SHARDS);
            uint256 available = _load(StateKeys.balance(asset, account));
            uint256 take = available < left ? available : left;
            if (take != 0) _transfer(asset, account, to, take);
            left -= take;
        }
        if (left != 0) revert InsufficientCash(asset, amount - left, amount);
    }

    /// @dev The asset of a market's configuration word (its low 160 bits).
    function _assetOf(uint256 config) internal pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return address(uint160(config)); // the low 160 bits are the asset, by layout
    }

    /// @dev The index of the market of `asset`.
    function _marketIndex(address asset) internal view returns (uint256) {
        uint256 entry = _load(StateKeys.marketOf(asset));
        if (entry == 0) revert NoMarket(asset);
        return entry - 1;
    }

    /// @dev The supply and borrow indices of market `i`.
    function _indices(uint256 i) internal view returns (uint256 supplyIndex, uint256 borrowIndex) {
        uint256 word = _load(StateKeys.market(i, 2));
        return (word & MAX128, word >> 128);
    }

    // -----------------------------------------------------------------------------------------
    // Arithmetic.

    function _checked(uint256 amount) private pure returns (uint256) {
        if (amount == 0) revert ZeroAmount();
        if (amount > MAX128) revert AmountTooLarge(amount);
        return amount;
    }

    /// @dev A yearly rate in basis points as a rate a second in rays, rounded up.
    function _perSecond(uint256 yearlyBps) private pure returns (uint256) {
        uint256 numerator = yearlyBps * (LendingMath.RAY / BPS);
        return numerator == 0 ? 0 : (numerator - 1) / YEAR + 1;
    }

    /// @dev Basis points as rays.
    function _ray(uint256 bps) private pure returns (uint256) {
        return bps * (LendingMath.RAY / BPS);
    }

    /// @dev `a × price / 2^128` for a Q128.128 `price`, rounded down or up, at most 2^256 − 1.
    function _mulQ128(uint256 a, uint256 price, bool roundUp) internal pure returns (uint256) {
        return LendingMath.mulQ128(a, price, roundUp);
    }

    function _mulCapped(uint256 a, uint256 b) internal pure returns (uint256) {
        return LendingMath.mulCapped(a, b);
    }

    function _addCapped(uint256 a, uint256 b) internal pure returns (uint256) {
        return LendingMath.addCapped(a, b);
    }
}
