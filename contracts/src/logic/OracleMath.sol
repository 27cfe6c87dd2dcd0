// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title OracleMath
/// @notice The arithmetic of the chain's price oracle (docs/lending.md §4): base-2 logarithms
///         of pool prices in fixed point (40 fractional bits), their mean over time, and the
///         power of two that turns a mean back into a price. A geometric mean: a push of the
///         price up by a factor moves it as much as a push down by the same factor, and a spike
///         held briefly moves it little. Exact in integers and rounded down everywhere, so that
///         revm on L2 and the L1 verifier compute the same bits. Mirrored in Rust
///         (`rollup_types::oracle`) and checked against shared vectors
///         (testdata/oracle-vectors.json).
library OracleMath {
    /// @notice Fractional bits of a logarithm.
    uint256 internal constant FRAC_BITS = 40;
    /// @notice One in the fixed point of `log2`.
    int256 internal constant ONE = int256(1 << FRAC_BITS);

    /// @notice `⌊log2(v) · 2^40⌋` for `v ≥ 1`; `v = 0` counts as one (a pool's reserve is never
    ///         zero). The integer part is `v`'s highest bit; the fraction is read one bit at a
    ///         time by squaring `v`'s mantissa in Q1.127 and halving it whenever it reaches two.
    function log2(uint256 v) internal pure returns (int256) {
        if (v == 0) v = 1;
        uint256 n = _msb(v);
        uint256 m = n >= 127 ? v >> (n - 127) : v << (127 - n);
        uint256 r = n << FRAC_BITS;
        unchecked {
            // m < 2^128 throughout: its square fits.
            for (uint256 bit = 1 << (FRAC_BITS - 1); bit != 0; bit >>= 1) {
                m = (m * m) >> 127;
                if (m >> 128 != 0) {
                    m >>= 1;
                    r |= bit;
                }
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(r); // below 256 · 2^40
    }

    /// @notice The logarithm of a pool's price of its asset in the numeraire, `numeraire /
    ///         asset` in raw units: `log2(numeraire) − log2(asset)`.
    function logPrice(uint256 numeraire, uint256 asset) internal pure returns (int256) {
        return log2(numeraire) - log2(asset);
    }

    /// @notice `⌊2^(x / 2^40) · 2^128⌋`: the price a logarithm stands for, in Q128.128;
    ///         `2^256 − 1` from `x ≥ 128 · 2^40` on, zero below `−128 · 2^40`.
    function exp2(int256 x) internal pure returns (uint256) {
        if (x >= 128 * ONE) return type(uint256).max;
        if (x < -128 * ONE) return 0;
        int256 whole = x >> FRAC_BITS; // toward minus infinity
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 frac = uint256(x - (whole << FRAC_BITS)); // in [0, 2^40)
        uint256 r = 1 << 127;
        bytes memory table = TABLE;
        unchecked {
            // r and each constant are below 2^128: the products fit.
            for (uint256 k = 1; k <= FRAC_BITS; ++k) {
                if (frac & (1 << (FRAC_BITS - k)) != 0) r = (r * _at(table, k)) >> 127;
            }
        }
        // r / 2^127 is in [1, 2): times 2^whole, in Q128.128.
        int256 shift = whole + 1;
        // forge-lint: disable-next-line(unsafe-typecast)
        return shift >= 0 ? r << uint256(shift) : r >> uint256(-shift);
    }

    /// @notice The mean of logarithms accumulated as `sum` over a clock of `span` seconds,
    ///         rounded toward minus infinity; zero for an empty span.
    function mean(int256 sum, uint256 span) internal pure returns (int256 m) {
        if (span == 0) return 0;
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 s = int256(span); // a clock in seconds, far below 2^255
        m = sum / s;
        if (m * s != sum && (sum < 0)) m -= 1;
    }

    /// @notice `2^(2^−k)` in Q1.127 (`2^127` is one), rounded down, for `k` = 1…40: `C₀ = 2`
    ///         and each `C_k = ⌊√(C_(k−1) · 2^127)⌋`, 16 bytes each (the vectors check it).
    bytes internal constant TABLE = hex"b504f333f9de6484597d89b3754abe9f9837f0518db8a96f46ad23182e42f6f6"
        hex"8b95c1e3ea8bd6e6fbe4628758a53c8f85aac367cc487b14c5c95b8c2154c1b1"
        hex"82cd8698ac2ba1d73e2a475b46520bfe8164d1f3bc0307737be56527bd14def4"
        hex"80b1ed4fd999ab6c25335719b6e6fd1f8058d7d2d5e5f6b094d589f608ee4aa1"
        hex"802c6436d0e04f50ff8ce94a6797b3cd8016302f174676283690dfe44d11d007"
        hex"800b179c82028fd0945e54e2ae18f2ef80058baf7fee3b5d1c718b38e549cb92"
        hex"8002c5d00fdcfcb6b6566a58c048be1e800162e61bed4a48e84c2e1a463473d9"
        hex"8000b17292f702a3aa22beacca949012800058b92abbae02030c5fa5256f41fd"
        hex"80002c5c8dade4d71776c0f4dbea67d58000162e44eaf636526be456600bdbe4"
        hex"80000b1721fa7c188307016c1cd4e8b68000058b90de7e4cecfc487503488bb1"
        hex"800002c5c8678f36cbfce50a6de60b1380000162e431db9f80b2347b5d62e515"
        hex"800000b1721872d0c7b08cf1e011415280000058b90c1aa8a5c3736cb77e8dff"
        hex"8000002c5c8605a4635f2efc2362d977800000162e4300e635cf4a109e3939bc"
        hex"8000000b17217ff81bef9c551590cf82800000058b90bfdd4e39cd52c0cfa27c"
        hex"80000002c5c85fe6f72d669e0e76e4118000000162e42ff18f9ad35186d0df28"
        hex"80000000b17217f84cce71aa0dcfffe78000000058b90bfc07a77ad56ed22aa9"
        hex"800000002c5c85fdfc23cdead40da8d680000000162e42fefc25eb1571853a65"
        hex"800000000b17217f7d97f692baacded480000000058b90bfbead3b8b5dd254d6"
        hex"8000000002c5c85fdf4eedd62f084e66800000000162e42fefa58aef378bf586"
        hex"8000000000b17217f7d24a78a3c7ef02800000000058b90bfbe9067c93e474a6";

    /// @notice Constant `k` of `TABLE` (1…40).
    function constantAt(uint256 k) internal pure returns (uint256) {
        return _at(TABLE, k);
    }

    function _at(bytes memory table, uint256 k) private pure returns (uint256 c) {
        assembly ("memory-safe") {
            c := shr(128, mload(add(table, mul(16, add(k, 1)))))
        }
    }

    /// @dev The index of the highest set bit of `v > 0`.
    function _msb(uint256 v) private pure returns (uint256 n) {
        unchecked {
            for (uint256 s = 128; s != 0; s >>= 1) {
                if (v >> s != 0) {
                    v >>= s;
                    n += s;
                }
            }
        }
    }
}
