// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {vm} from "./Vm.sol";

/// @notice Minimal test base: assertions that revert with a readable message, and `bound`.
abstract contract Test {
    function setUp() public virtual {}

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(message);
    }

    function assertEq(uint256 got, uint256 expected, string memory message) internal pure {
        if (got != expected) fail(_mismatch(message, vm.toString(got), vm.toString(expected)));
    }

    function assertEq(bytes32 got, bytes32 expected, string memory message) internal pure {
        if (got != expected) fail(_mismatch(message, vm.toString(got), vm.toString(expected)));
    }

    function assertEq(address got, address expected, string memory message) internal pure {
        if (got != expected) fail(_mismatch(message, vm.toString(got), vm.toString(expected)));
    }

    function assertEq(bool got, bool expected, string memory message) internal pure {
        if (got != expected) fail(_mismatch(message, vm.toString(got), vm.toString(expected)));
    }

    function assertEq(bytes memory got, bytes memory expected, string memory message) internal pure {
        if (keccak256(got) != keccak256(expected)) fail(_mismatch(message, vm.toString(got), vm.toString(expected)));
    }

    function assertEq(string memory got, string memory expected, string memory message) internal pure {
        if (keccak256(bytes(got)) != keccak256(bytes(expected))) {
            fail(_mismatch(message, string.concat('"', got, '"'), string.concat('"', expected, '"')));
        }
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) fail(string.concat(message, ": ", vm.toString(a), " > ", vm.toString(b)));
    }

    function assertLt(uint256 a, uint256 b, string memory message) internal pure {
        if (a >= b) fail(string.concat(message, ": ", vm.toString(a), " >= ", vm.toString(b)));
    }

    function assertGe(uint256 a, uint256 b, string memory message) internal pure {
        if (a < b) fail(string.concat(message, ": ", vm.toString(a), " < ", vm.toString(b)));
    }

    function assertGt(uint256 a, uint256 b, string memory message) internal pure {
        if (a <= b) fail(string.concat(message, ": ", vm.toString(a), " <= ", vm.toString(b)));
    }

    /// @dev Maps any `x` into [lo, hi] (inclusive); values already inside are kept.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        require(lo <= hi, "bound: lo > hi");
        if (x >= lo && x <= hi) return x;
        uint256 span = hi - lo;
        if (span == type(uint256).max) return x;
        return lo + x % (span + 1);
    }

    function _mismatch(string memory message, string memory got, string memory expected)
        private
        pure
        returns (string memory)
    {
        return string.concat(message, ": got ", got, ", expected ", expected);
    }
}
