// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BatchCodec} from "./BatchCodec.sol";

/// @title ForcedTx
/// @notice Reads a forced transaction (the `raw` of a queue entry, docs/bridge.md §3.3) into the
///         fields the codec keeps of a transaction. It is a transaction of the L2 exactly when
///         `raw` is the canonical EIP-2718 encoding the codec rebuilds from those fields
///         (`BatchCodec.encodeSigned`): type 2, or legacy with EIP-155's `v` for this chain;
///         to an address (the system contract, a token for a token call, any other address for
///         a native transfer); no access list; integers that fit their fields. Whether the target and the input make
///         an admissible transaction is the verifier's question (`ChunkVerifier.admissible`).
///         The reader below is permissive (any RLP shape it can walk); the comparison with
///         the rebuilt encoding is what decides, which is the Rust rule too
///         (`rollup_executor::admit_forced`: alloy decodes, the re-encoding must equal `raw`).
///         Anything else is skipped by the L2, not a fault.
library ForcedTx {
    /// @dev One RLP item: its payload's offset and length in the data, whether it is a list,
    ///      and the offset after it.
    struct Item {
        uint256 start;
        uint256 len;
        bool list;
        uint256 next;
    }

    /// @notice The transaction `raw` encodes for chain `chainId`, and whether it is one (when
    ///         `ok` is false, `t` is meaningless).
    function parse(bytes memory raw, uint256 chainId) internal pure returns (bool ok, BatchCodec.Tx memory t) {
        uint256 n = raw.length;
        if (n == 0 || chainId > type(uint64).max) return (false, t);
        uint256 first = uint8(raw[0]);
        Item memory top;
        if (first == 0x02) {
            t.eip1559 = true;
            (ok, top) = _item(raw, 1, n);
        } else if (first >= 0xc0) {
            (ok, top) = _item(raw, 0, n);
        }
        if (!ok || !top.list || top.next != n) return (false, t);
        ok = t.eip1559 ? _readEip1559(raw, top, t) : _readLegacy(raw, top, t, chainId);
        if (!ok) return (false, t);
        bytes memory rebuilt = BatchCodec.encodeSigned(t, chainId);
        return (keccak256(rebuilt) == keccak256(raw), t);
    }

    /// @dev `[chainId, nonce, tip, maxFee, gas, to, value, data, accessList, yParity, r, s]`.
    function _readEip1559(bytes memory raw, Item memory top, BatchCodec.Tx memory t) private pure returns (bool) {
        uint256 p = top.start;
        uint256 end = top.start + top.len;
        bool ok;
        uint256 v;
        // chainId, value and the access list are not kept: the rebuilt encoding has the
        // chain's, zero and an empty list, and must equal `raw`.
        (ok, p) = _skip(raw, p, end);
        if (!ok) return false;
        (ok, v, p) = _uint(raw, p, end, 8);
        if (!ok) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.nonce = uint64(v); // at most 8 bytes
        (ok, v, p) = _uint(raw, p, end, 16);
        if (!ok) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.maxPriorityFeePerGas = uint128(v); // at most 16 bytes
        (ok, v, p) = _uint(raw, p, end, 16);
        if (!ok) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.maxFeePerGas = uint128(v); // at most 16 bytes
        (ok, p) = _readCall(raw, p, end, t);
        if (!ok) return false;
        (ok, p) = _skip(raw, p, end); // access list
        if (!ok) return false;
        (ok, v, p) = _uint(raw, p, end, 1);
        if (!ok || v > 1) return false;
        t.yParity = v == 1;
        return _signature(raw, p, end, t);
    }

    /// @dev `[nonce, gasPrice, gas, to, value, data, v, r, s]` with `v = 35 + 2·chainId + parity`.
    function _readLegacy(bytes memory raw, Item memory top, BatchCodec.Tx memory t, uint256 chainId)
        private
        pure
        returns (bool)
    {
        uint256 p = top.start;
        uint256 end = top.start + top.len;
        bool ok;
        uint256 v;
        (ok, v, p) = _uint(raw, p, end, 8);
        if (!ok) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.nonce = uint64(v); // at most 8 bytes
        (ok, v, p) = _uint(raw, p, end, 16);
        if (!ok) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        t.maxFeePerGas = uint128(v); // at most 16 bytes
        (ok, p) = _readCall(raw, p, end, t);
        if (!ok) return false;
        (ok, v, p) = _uint(raw, p, end, 9);
        // chainId < 2^64: the sums fit.
        if (!ok || (v != 35 + 2 * chainId && v != 36 + 2 * chainId)) return false;
        t.yParity = v == 36 + 2 * chainId;
        return _signature(raw, p, end, t);
    }

    /// @dev `gas, to, value, data`: the gas limit, the target, the value and the input are kept
    ///      (the rebuilt encoding must equal `raw`, so the integers are minimal). The target must be a 20-byte
    ///      string (`0x94 ‖ address`): an empty one would create a contract.
    function _readCall(bytes memory raw, uint256 p, uint256 end, BatchCodec.Tx memory t)
        private
        pure
        returns (bool ok, uint256 next)
    {
        uint256 v;
        (ok, v, p) = _uint(raw, p, end, 8);
        if (!ok) return (false, 0);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.gasLimit = uint64(v); // at most 8 bytes
        (ok, p) = _address(raw, p, end, t);
        if (!ok) return (false, 0);
        (ok, t.value, p) = _uint(raw, p, end, 32);
        if (!ok) return (false, 0);
        (ok, t.input, p) = _bytes(raw, p, end);
        return (ok, p);
    }

    /// @dev `r` and `s`, which must end the list.
    function _signature(bytes memory raw, uint256 p, uint256 end, BatchCodec.Tx memory t) private pure returns (bool) {
        bool ok;
        uint256 v;
        (ok, v, p) = _uint(raw, p, end, 32);
        if (!ok) return false;
        t.r = bytes32(v);
        (ok, v, p) = _uint(raw, p, end, 32);
        if (!ok) return false;
        t.s = bytes32(v);
        return p == end;
    }

    /// @dev The item at `p`, which must end by `end`.
    function _item(bytes memory raw, uint256 p, uint256 end) private pure returns (bool ok, Item memory it) {
        if (p >= end) return (false, it);
        uint256 b = uint8(raw[p]);
        if (b < 0x80) {
            (it.start, it.len) = (p, 1);
        } else if (b < 0xb8) {
            (it.start, it.len) = (p + 1, b - 0x80);
        } else if (b < 0xc0) {
            uint256 n = b - 0xb7;
            (ok, it.len) = _length(raw, p + 1, n, end);
            if (!ok) return (false, it);
            it.start = p + 1 + n;
        } else if (b < 0xf8) {
            (it.start, it.len, it.list) = (p + 1, b - 0xc0, true);
        } else {
            uint256 n = b - 0xf7;
            (ok, it.len) = _length(raw, p + 1, n, end);
            if (!ok) return (false, it);
            (it.start, it.list) = (p + 1 + n, true);
        }
        // Lengths come from at most 8 bytes: no overflow.
        it.next = it.start + it.len;
        return (it.next <= end, it);
    }

    /// @dev A big-endian length of `n` bytes at `p` (at most 8 bytes, all before `end`).
    function _length(bytes memory raw, uint256 p, uint256 n, uint256 end) private pure returns (bool, uint256 len) {
        if (n > 8 || p + n > end) return (false, 0);
        for (uint256 i; i < n; ++i) {
            len = (len << 8) | uint8(raw[p + i]);
        }
        return (true, len);
    }

    function _skip(bytes memory raw, uint256 p, uint256 end) private pure returns (bool ok, uint256 next) {
        Item memory it;
        (ok, it) = _item(raw, p, end);
        return (ok, it.next);
    }

    /// @dev A string item of at most `width` bytes, read as a big-endian integer.
    function _uint(bytes memory raw, uint256 p, uint256 end, uint256 width)
        private
        pure
        returns (bool ok, uint256 v, uint256 next)
    {
        Item memory it;
        (ok, it) = _item(raw, p, end);
        if (!ok || it.list || it.len > width) return (false, 0, 0);
        for (uint256 i; i < it.len; ++i) {
            v = (v << 8) | uint8(raw[it.start + i]);
        }
        return (true, v, it.next);
    }

    /// @dev The target at `p`: exactly `0x94` then 20 bytes, before `end`.
    function _address(bytes memory raw, uint256 p, uint256 end, BatchCodec.Tx memory t)
        private
        pure
        returns (bool, uint256 next)
    {
        if (p + 21 > end || uint8(raw[p]) != 0x94) return (false, 0);
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(add(raw, 33), p))
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        t.to = address(uint160(word >> 96)); // the top 20 bytes
        return (true, p + 21);
    }

    /// @dev A string item's bytes.
    function _bytes(bytes memory raw, uint256 p, uint256 end)
        private
        pure
        returns (bool ok, bytes memory out, uint256 next)
    {
        Item memory it;
        (ok, it) = _item(raw, p, end);
        if (!ok || it.list) return (false, out, 0);
        out = new bytes(it.len);
        uint256 from = it.start;
        uint256 len = it.len;
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(raw, 32), from), len)
        }
        return (true, out, it.next);
    }
}
