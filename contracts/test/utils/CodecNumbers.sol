// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The batch codec's number forms written from the spec (docs/batch-codec.md §2.2), for
///         tests that build batches by hand: a varint (LEB128) and a number `m · 10^e`.
abstract contract CodecNumbers {
    /// @dev The low byte of `v`.
    function _byte(uint256 v) internal pure returns (bytes1) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return bytes1(uint8(v & 0xff));
    }

    /// @dev `v` as a varint: seven bits a byte, least significant first, the high bit set on
    ///      every byte but the last.
    function _varint(uint256 v) internal pure returns (bytes memory out) {
        out = new bytes(37);
        uint256 n;
        while (v >= 0x80) {
            out[n++] = _byte((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out[n++] = _byte(v);
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }

    /// @dev A number: `m · 10^e`, e < 32 and m not a multiple of 10.
    function _num(uint256 v) internal pure returns (bytes memory) {
        if (v == 0) return hex"00";
        uint256 e;
        while (e < 31 && v % 10 == 0) {
            v /= 10;
            e++;
        }
        bytes1 a = _byte(((v & 3) << 5) | e);
        uint256 tail = v >> 2;
        if (tail == 0) return abi.encodePacked(a);
        return abi.encodePacked(a | 0x80, _varint(tail));
    }
}
