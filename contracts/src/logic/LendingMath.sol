// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title LendingMath
/// @notice The arithmetic of the money market (docs/lending.md §3), as pure functions: the
///         utilization of a market, the kinked borrow rate, the supply rate, the accrual of an
///         index, and the conversion between amounts and scaled balances. Every rounding
///         favours the market: rates and debts round up, supply and payouts down. Mirrored in
///         Rust (`rollup_types::lending`) and checked against shared vectors
///         (testdata/lending-vectors.json). Every function is total: inputs beyond the stated
///         bounds are clamped, never overflow.
library LendingMath {
    /// @notice Fixed point one: rates are per second and indices start at one, in rays.
    uint256 internal constant RAY = 1e27;
    /// @notice The highest borrow rate a market may reach, per second, in rays (about 0.47 % a
    ///         second): a bound for the accrual's products, far above any market's.
    uint256 internal constant MAX_RATE = 2 ** 72 - 1;
    /// @notice The longest interval one accrual covers, in seconds (about 136 years).
    uint256 internal constant MAX_INTERVAL = 2 ** 32 - 1;
    /// @notice The highest value of an index, and of an amount or a scaled balance.
    uint256 internal constant MAX_VALUE = 2 ** 128 - 1;

    /// @notice The share of a market's supply that is borrowed, in rays, rounded down: 0 for
    ///         an empty market, and at most one (debt beyond the supply, bad debt, counts as
    ///         all of it). `debt` and `supply` are clamped to `MAX_VALUE`.
    function utilization(uint256 debt, uint256 supply) internal pure returns (uint256) {
        if (supply == 0) return 0;
        debt = _clamp(debt, MAX_VALUE);
        supply = _clamp(supply, MAX_VALUE);
        if (debt >= supply) return RAY;
        return debt * RAY / supply;
    }

    /// @notice The borrow rate at utilization `u` (rays, clamped to one), rounded up: `base`
    ///         plus `slope1 × u / kink` up to the kink, and plus `slope1 + slope2 × (u − kink)
    ///         / (1 − kink)` above it (Aave v3's and Compound III's kinked model). The rate
    ///         parameters are clamped to `MAX_RATE` and the result to `MAX_RATE`; `kink` to one.
    function borrowRate(uint256 u, uint256 base, uint256 slope1, uint256 slope2, uint256 kink)
        internal
        pure
        returns (uint256 rate)
    {
        u = _clamp(u, RAY);
        kink = _clamp(kink, RAY);
        base = _clamp(base, MAX_RATE);
        slope1 = _clamp(slope1, MAX_RATE);
        slope2 = _clamp(slope2, MAX_RATE);
        if (u <= kink) {
            // kink = 0 leaves u = 0: nothing below the kink.
            rate = kink == 0 ? base : base + _divUp(slope1 * u, kink);
        } else {
            // u > kink, so kink < RAY.
            rate = base + slope1 + _divUp(slope2 * (u - kink), RAY - kink);
        }
        return _clamp(rate, MAX_RATE);
    }

    /// @notice What suppliers earn at borrow rate `rate` and utilization `u`, less the reserve's
    ///         share `reserveFactor` (rays, clamped to one), rounded down:
    ///         `rate × u × (1 − reserveFactor)`.
    function supplyRate(uint256 rate, uint256 u, uint256 reserveFactor) internal pure returns (uint256) {
        rate = _clamp(rate, MAX_RATE);
        u = _clamp(u, RAY);
        reserveFactor = _clamp(reserveFactor, RAY);
        return rate * u / RAY * (RAY - reserveFactor) / RAY;
    }

    /// @notice `index` after `interval` seconds at `rate` a second, as simple interest within
    ///         the interval (compounded from one accrual to the next): `index × (1 + rate ×
    ///         interval)`, rounded up for a borrow index and down for a supply index, and never
    ///         above `MAX_VALUE`. It never decreases.
    function accrue(uint256 index, uint256 rate, uint256 interval, bool roundUp) internal pure returns (uint256) {
        index = _clamp(index, MAX_VALUE);
        uint256 factor = _clamp(rate, MAX_RATE) * _clamp(interval, MAX_INTERVAL);
        // index < 2^128 and factor < 2^104: the product fits.
        uint256 growth = roundUp ? _divUp(index * factor, RAY) : index * factor / RAY;
        return _clamp(index + growth, MAX_VALUE);
    }

    /// @notice The scaled balance worth `amount` at `index` (at least one ray; below counts as
    ///         one): `amount / index`, rounded up (what a withdrawal burns, a borrow owes) or
    ///         down (what a supply credits, a repayment clears).
    function toScaled(uint256 amount, uint256 index, bool roundUp) internal pure returns (uint256) {
        amount = _clamp(amount, MAX_VALUE);
        index = index < RAY ? RAY : _clamp(index, MAX_VALUE);
        return roundUp ? _divUp(amount * RAY, index) : amount * RAY / index;
    }

    /// @notice The amount `scaled` is worth at `index`: `scaled × index`, rounded up (a debt)
    ///         or down (a supply).
    function fromScaled(uint256 scaled, uint256 index, bool roundUp) internal pure returns (uint256) {
        scaled = _clamp(scaled, MAX_VALUE);
        index = _clamp(index, MAX_VALUE);
        // Both below 2^128: the product fits.
        return roundUp ? _divUp(scaled * index, RAY) : scaled * index / RAY;
    }

    function _divUp(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _clamp(uint256 v, uint256 max) private pure returns (uint256) {
        return v > max ? max : v;
    }

    /// @notice `a · price / 2^128` with `price` in Q128.128 (a value in the numeraire), rounded
    ///         up or down; `2^256 − 1` when it would not fit.
    function mulQ128(uint256 a, uint256 price, bool roundUp) internal pure returns (uint256) {
        (uint256 a1, uint256 a0) = (a >> 128, a & type(uint128).max);
        (uint256 p1, uint256 p0) = (price >> 128, price & type(uint128).max);
        if (a1 != 0 && p1 != 0) return type(uint256).max;
        uint256 low = a0 * p0;
        uint256 result = addCapped(addCapped(a1 * p0, a0 * p1), low >> 128);
        if (roundUp && low & type(uint128).max != 0) result = addCapped(result, 1);
        return result;
    }

    /// @notice `a · b`, `2^256 − 1` when it would not fit.
    function mulCapped(uint256 a, uint256 b) internal pure returns (uint256) {
        if (a == 0) return 0;
        unchecked {
            uint256 product = a * b;
            return product / a == b ? product : type(uint256).max;
        }
    }

    /// @notice `a + b`, `2^256 − 1` when it would not fit.
    function addCapped(uint256 a, uint256 b) internal pure returns (uint256) {
        unchecked {
            uint256 sum = a + b;
            return sum < a ? type(uint256).max : sum;
        }
    }
}
