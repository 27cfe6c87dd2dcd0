// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SparseMerkle
/// @notice Hashing rules of the L2 state commitment: a binary sparse Merkle tree over 256-bit
///         keys in which a subtree holding a single leaf is represented by that leaf.
///         Normative text: docs/state-commitment.md. Mirrored by `rollup_types::smt` and
///         checked against the shared vectors in testdata/smt-vectors.json.
library SparseMerkle {
    /// @notice Hash of a subtree with no leaves.
    bytes32 internal constant EMPTY = bytes32(0);

    /// @notice keccak256(0x00 ‖ key ‖ value): the hash of a subtree holding one leaf.
    function leafHash(bytes32 key, bytes32 value) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0)
            mstore(add(p, 1), key)
            mstore(add(p, 33), value)
            h := keccak256(p, 65)
        }
    }

    /// @notice keccak256(left ‖ right): the hash of a subtree holding two or more leaves.
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Bit `depth` of `key`, most significant first: 0 goes left, 1 goes right.
    function bitAt(bytes32 key, uint256 depth) internal pure returns (uint256) {
        return (uint256(key) >> (255 - depth)) & 1;
    }

    /// @notice Root reached from the subtree `terminal` at depth `siblings.length` on the path
    ///         of `key`; `siblings[i]` is the hash of the sibling subtree at depth `i + 1`.
    function rootFromPath(bytes32 key, bytes32 terminal, bytes32[] memory siblings) internal pure returns (bytes32 h) {
        h = terminal;
        for (uint256 i = siblings.length; i > 0; i--) {
            h = bitAt(key, i - 1) == 0 ? nodeHash(h, siblings[i - 1]) : nodeHash(siblings[i - 1], h);
        }
    }

    /// @notice Root of the tree holding exactly these leaves; `keys` strictly ascending,
    ///         every value non-zero (a zero value is an absent key).
    function computeRoot(bytes32[] memory keys, bytes32[] memory values) internal pure returns (bytes32) {
        require(keys.length == values.length, "SparseMerkle: length mismatch");
        for (uint256 i = 1; i < keys.length; i++) {
            require(keys[i - 1] < keys[i], "SparseMerkle: keys not ascending");
        }
        return subtree(keys, values, 0, keys.length, 0);
    }

    /// @notice Hash of the subtree at `depth` holding the leaves `lo … hi - 1` (which share
    ///         their first `depth` bits); same preconditions as `computeRoot`, unchecked.
    function subtree(bytes32[] memory keys, bytes32[] memory values, uint256 lo, uint256 hi, uint256 depth)
        internal
        pure
        returns (bytes32)
    {
        if (hi == lo) return EMPTY;
        if (hi - lo == 1) {
            require(values[lo] != 0, "SparseMerkle: zero value");
            return leafHash(keys[lo], values[lo]);
        }
        uint256 mid = lo;
        while (mid < hi && bitAt(keys[mid], depth) == 0) mid++;
        return nodeHash(subtree(keys, values, lo, mid, depth + 1), subtree(keys, values, mid, hi, depth + 1));
    }
}
