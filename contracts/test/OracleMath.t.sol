// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {OracleMath} from "../src/logic/OracleMath.sol";

/// @notice The price oracle's arithmetic (docs/lending.md §4) against the vectors Rust writes
///         (testdata/oracle-vectors.json, types/tests/vectors/oracle.rs), and its properties
///         under fuzzing: the logarithm and the power never fall as their input rises, a price
///         through its logarithm and back is within a relative 2^−37 of it, and the gas a
///         pool's sample costs.
contract OracleMathTest is Test {
    event log_named_uint(string key, uint256 val);

    string constant FILE = "../testdata/oracle-vectors.json";

    /// @dev A vector's signed value, written as its 256-bit two's complement.
    function _int(uint256 raw) private pure returns (int256 v) {
        assembly {
            v := raw
        }
    }

    function test_vectors_constants() public view {
        uint256[] memory c = vm.parseJsonUintArray(vm.readFile(FILE), ".constants");
        assertEq(c.length, 40, "forty constants");
        for (uint256 k = 1; k <= 40; k++) {
            assertEq(OracleMath.constantAt(k), c[k - 1], string.concat("C", vm.toString(k)));
        }
    }

    function test_vectors_log2() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory input = vm.parseJsonUintArray(json, ".logIn");
        uint256[] memory out = vm.parseJsonUintArray(json, ".logOut");
        assertGt(input.length, 50, "cases");
        for (uint256 i; i < input.length; i++) {
            assertTrue(OracleMath.log2(input[i]) == _int(out[i]), string.concat("log2 ", vm.toString(i)));
        }
        uint256[] memory num = vm.parseJsonUintArray(json, ".priceNumeraire");
        uint256[] memory asset = vm.parseJsonUintArray(json, ".priceAsset");
        uint256[] memory price = vm.parseJsonUintArray(json, ".priceLog");
        for (uint256 i; i < price.length; i++) {
            assertTrue(
                OracleMath.logPrice(num[i], asset[i]) == _int(price[i]), string.concat("logPrice ", vm.toString(i))
            );
        }
    }

    function test_vectors_exp2AndMean() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory input = vm.parseJsonUintArray(json, ".expIn");
        uint256[] memory out = vm.parseJsonUintArray(json, ".expOut");
        assertGt(input.length, 60, "cases");
        for (uint256 i; i < input.length; i++) {
            assertEq(OracleMath.exp2(_int(input[i])), out[i], string.concat("exp2 ", vm.toString(i)));
        }
        uint256[] memory sum = vm.parseJsonUintArray(json, ".meanSum");
        uint256[] memory span = vm.parseJsonUintArray(json, ".meanSpan");
        uint256[] memory mean = vm.parseJsonUintArray(json, ".meanOut");
        for (uint256 i; i < mean.length; i++) {
            assertTrue(OracleMath.mean(_int(sum[i]), span[i]) == _int(mean[i]), string.concat("mean ", vm.toString(i)));
        }
    }

    function testFuzz_log2IsMonotone(uint256 a, uint256 b) public pure {
        if (a > b) (a, b) = (b, a);
        assertTrue(OracleMath.log2(a) <= OracleMath.log2(b), "log2 never falls as its input rises");
    }

    /// A price of two 128-bit reserves, through its logarithm and back (in Q128.128), is
    /// within a relative 2^−37 of the true price.
    function testFuzz_priceRoundTrip(uint128 numeraire, uint128 asset) public pure {
        vm.assume(numeraire != 0 && asset != 0);
        uint256 back = OracleMath.exp2(OracleMath.logPrice(numeraire, asset));
        // The true price in Q128.128, rounded down: numeraire · 2^128 / asset.
        uint256 exact = (uint256(numeraire) << 128) / asset;
        // Each logarithm is rounded down, so their difference is within 2^-40 either way.
        assertLe(back, exact + exact / (1 << 37) + 1, "within 2^-37 above");
        assertGe(back, exact - exact / (1 << 37) - 1, "within 2^-37 below");
    }

    function testFuzz_exp2IsMonotone(int64 x, int64 y) public pure {
        if (x > y) (x, y) = (y, x);
        assertLe(OracleMath.exp2(x), OracleMath.exp2(y), "exp2 never falls as its input rises");
    }

    /// What a sample costs the block's accrual: a pool's logarithm of price and a price from a
    /// mean (the accrual's per-market work, docs/lending.md §4).
    function test_gas_sampleAndPrice() public {
        uint256 g = gasleft();
        int256 l = OracleMath.logPrice(3_000_000e6, 1_000e18);
        uint256 logGas = g - gasleft();
        g = gasleft();
        uint256 p = OracleMath.exp2(l);
        uint256 expGas = g - gasleft();
        emit log_named_uint("logPrice gas", logGas);
        emit log_named_uint("exp2 gas", expGas);
        assertGt(p, 0, "a price");
        assertLe(logGas + expGas, 20_000, "a sample and a price");
    }
}
