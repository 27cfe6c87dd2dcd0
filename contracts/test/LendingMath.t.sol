// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {LendingMath} from "../src/logic/LendingMath.sol";

/// @notice The money market's arithmetic (docs/lending.md §3) against the vectors Rust writes
///         (testdata/lending-vectors.json, types/tests/vectors/lending.rs), and its properties
///         under fuzzing: no rounding favours the user, indices never fall, the rate never falls
///         as utilization rises.
contract LendingMathTest is Test {
    string constant FILE = "../testdata/lending-vectors.json";
    uint256 constant RAY = 1e27;

    function test_vectors_utilization() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory debt = vm.parseJsonUintArray(json, ".utilDebt");
        uint256[] memory supply = vm.parseJsonUintArray(json, ".utilSupply");
        uint256[] memory u = vm.parseJsonUintArray(json, ".utilU");
        assertGt(u.length, 20, "cases");
        for (uint256 i; i < u.length; i++) {
            assertEq(LendingMath.utilization(debt[i], supply[i]), u[i], string.concat("utilization ", vm.toString(i)));
        }
    }

    function test_vectors_borrowRate() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory u = vm.parseJsonUintArray(json, ".rateU");
        uint256[] memory base = vm.parseJsonUintArray(json, ".rateBase");
        uint256[] memory s1 = vm.parseJsonUintArray(json, ".rateSlope1");
        uint256[] memory s2 = vm.parseJsonUintArray(json, ".rateSlope2");
        uint256[] memory kink = vm.parseJsonUintArray(json, ".rateKink");
        uint256[] memory rate = vm.parseJsonUintArray(json, ".rateRate");
        assertGt(rate.length, 40, "cases");
        for (uint256 i; i < rate.length; i++) {
            assertEq(
                LendingMath.borrowRate(u[i], base[i], s1[i], s2[i], kink[i]),
                rate[i],
                string.concat("rate ", vm.toString(i))
            );
        }
    }

    function test_vectors_supplyRate() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory rate = vm.parseJsonUintArray(json, ".supplyRate");
        uint256[] memory u = vm.parseJsonUintArray(json, ".supplyU");
        uint256[] memory rf = vm.parseJsonUintArray(json, ".supplyReserveFactor");
        uint256[] memory out = vm.parseJsonUintArray(json, ".supplySupplyRate");
        for (uint256 i; i < out.length; i++) {
            assertEq(
                LendingMath.supplyRate(rate[i], u[i], rf[i]), out[i], string.concat("supply rate ", vm.toString(i))
            );
        }
    }

    function test_vectors_accrue() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory index = vm.parseJsonUintArray(json, ".accrueIndex");
        uint256[] memory rate = vm.parseJsonUintArray(json, ".accrueRate");
        uint256[] memory interval = vm.parseJsonUintArray(json, ".accrueInterval");
        bool[] memory up = vm.parseJsonBoolArray(json, ".accrueRoundUp");
        uint256[] memory out = vm.parseJsonUintArray(json, ".accrueOut");
        for (uint256 i; i < out.length; i++) {
            assertEq(
                LendingMath.accrue(index[i], rate[i], interval[i], up[i]),
                out[i],
                string.concat("accrue ", vm.toString(i))
            );
        }
    }

    function test_vectors_scaled() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory amount = vm.parseJsonUintArray(json, ".scaleAmount");
        uint256[] memory index = vm.parseJsonUintArray(json, ".scaleIndex");
        bool[] memory up = vm.parseJsonBoolArray(json, ".scaleRoundUp");
        uint256[] memory to = vm.parseJsonUintArray(json, ".scaleTo");
        uint256[] memory from = vm.parseJsonUintArray(json, ".scaleFrom");
        for (uint256 i; i < to.length; i++) {
            string memory at = vm.toString(i);
            assertEq(LendingMath.toScaled(amount[i], index[i], up[i]), to[i], string.concat("to scaled ", at));
            assertEq(LendingMath.fromScaled(amount[i], index[i], up[i]), from[i], string.concat("from scaled ", at));
        }
    }

    /// @notice Supplying `amount` and withdrawing what it credited pays at most `amount`; a
    ///         withdrawal of `amount` burns at least what it is worth.
    function testFuzz_noValueFromRounding(uint256 amount, uint256 index) public pure {
        amount = bound(amount, 0, LendingMath.MAX_VALUE);
        index = bound(index, RAY, LendingMath.MAX_VALUE);
        uint256 credited = LendingMath.toScaled(amount, index, false);
        assertLe(LendingMath.fromScaled(credited, index, false), amount, "supply then withdraw");
        uint256 burned = LendingMath.toScaled(amount, index, true);
        assertGe(burned, credited, "burned at least credited");
        if (burned < LendingMath.MAX_VALUE) {
            assertGe(LendingMath.fromScaled(burned, index, true), amount, "a burn is worth the amount");
        }
    }

    /// @notice An index never falls, and a borrow index grows at least as fast as a supply index.
    function testFuzz_indicesNeverFall(uint256 index, uint256 rate, uint256 interval) public pure {
        uint256 down = LendingMath.accrue(index, rate, interval, false);
        uint256 up = LendingMath.accrue(index, rate, interval, true);
        uint256 clamped = index > LendingMath.MAX_VALUE ? LendingMath.MAX_VALUE : index;
        assertGe(down, clamped, "never falls");
        assertGe(up, down, "borrow index at least the supply index");
    }

    /// @notice The borrow rate never falls as utilization rises; suppliers earn at most it.
    function testFuzz_rateRisesWithUtilization(
        uint256 u1,
        uint256 u2,
        uint256 base,
        uint256 slope1,
        uint256 slope2,
        uint256 kink,
        uint256 reserveFactor
    ) public pure {
        (uint256 lo, uint256 hi) = u1 < u2 ? (u1, u2) : (u2, u1);
        uint256 rateLo = LendingMath.borrowRate(lo, base, slope1, slope2, kink);
        uint256 rateHi = LendingMath.borrowRate(hi, base, slope1, slope2, kink);
        assertLe(rateLo, rateHi, "monotone");
        assertLe(LendingMath.supplyRate(rateHi, hi, reserveFactor), rateHi, "suppliers earn at most the rate");
    }
}
