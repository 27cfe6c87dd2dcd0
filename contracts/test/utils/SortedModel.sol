// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A sorted (key, value) list: the reference model the tree tests compare against.
library SortedModel {
    /// @dev Sets `key` to `value` (zero deletes) in the first `len` entries of a sorted model;
    ///      returns the new length (the arrays must have room for one more entry).
    function set(bytes32[] memory keys, bytes32[] memory values, uint256 len, bytes32 key, bytes32 value)
        internal
        pure
        returns (uint256)
    {
        uint256 at;
        while (at < len && keys[at] < key) at++;
        bool present = at < len && keys[at] == key;
        if (present && value != 0) {
            values[at] = value;
        } else if (present) {
            for (uint256 m = at; m + 1 < len; m++) {
                (keys[m], values[m]) = (keys[m + 1], values[m + 1]);
            }
            len--;
        } else if (value != 0) {
            for (uint256 m = len; m > at; m--) {
                (keys[m], values[m]) = (keys[m - 1], values[m - 1]);
            }
            (keys[at], values[at]) = (key, value);
            len++;
        }
        return len;
    }
}
