// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SparseMerkle} from "../../src/lib/SparseMerkle.sol";

/// @notice The witness that reveals a whole tree (docs/state-commitment.md §8.1), written from
///         the spec, for tests that build witnesses by hand.
abstract contract FullWitness {
    /// @dev The full witness of the leaves `keys[lo..hi)` (ascending) at `depth`: EMPTY, a LEAF,
    ///      or a BRANCH over the two halves split at the key bit of `depth`.
    function _encodeFull(bytes32[] memory keys, bytes32[] memory values, uint256 lo, uint256 hi, uint256 depth)
        internal
        pure
        returns (bytes memory)
    {
        if (hi == lo) return hex"00";
        if (hi - lo == 1) return abi.encodePacked(uint8(1), keys[lo], values[lo]);
        uint256 mid = lo;
        while (mid < hi && SparseMerkle.bitAt(keys[mid], depth) == 0) mid++;
        return bytes.concat(
            hex"03", _encodeFull(keys, values, lo, mid, depth + 1), _encodeFull(keys, values, mid, hi, depth + 1)
        );
    }
}
