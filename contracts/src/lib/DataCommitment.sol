// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DataCommitment
/// @notice The inbox's commitment to the data of a batch, in calldata or in a blob: the data
///         is cut into segments of `SEGMENT_BYTES` (the last one shorter), and the commitment is
///         `keccak256(abi.encodePacked(uint256(length), keccak256(segment_0), …))`. A fraud
///         proof then carries only the segments it reads (the header's and one chunk's) plus the
///         segment hashes, not the whole batch. Normative text: docs/batch-codec.md §8.2.
///         Mirrored by `rollup_types::codec::data_commitment`.
library DataCommitment {
    /// @notice Bytes per segment.
    uint256 internal constant SEGMENT_BYTES = 1024;

    /// @notice Number of segments of `length` bytes of data.
    function segmentCount(uint256 length) internal pure returns (uint256) {
        return (length + SEGMENT_BYTES - 1) / SEGMENT_BYTES;
    }

    /// @notice The commitment to `data`.
    function commit(bytes calldata data) internal pure returns (bytes32 h) {
        uint256 length = data.length;
        uint256 n = segmentCount(length);
        assembly ("memory-safe") {
            // [length, hash_0, …, hash_{n-1}] after the free pointer, then one segment of
            // scratch space; nothing is kept, so the free pointer does not move.
            let list := mload(0x40)
            mstore(list, length)
            let scratch := add(list, shl(5, add(n, 1)))
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let start := mul(i, SEGMENT_BYTES)
                let len := sub(length, start)
                if gt(len, SEGMENT_BYTES) { len := SEGMENT_BYTES }
                calldatacopy(scratch, add(data.offset, start), len)
                mstore(add(list, shl(5, add(i, 1))), keccak256(scratch, len))
            }
            h := keccak256(list, shl(5, add(n, 1)))
        }
    }

    /// @notice The commitment to data of `length` bytes whose segments hash to `hashes`.
    function ofHashes(uint256 length, bytes32[] calldata hashes) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(length, hashes));
    }
}
