// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {CodecNumbers} from "./utils/CodecNumbers.sol";
import {vm} from "./utils/Vm.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";

/// @dev Cheatcodes these tests use beyond the shared subset of utils/Vm.sol.
interface VmExtra {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    function toString(bytes calldata value) external pure returns (string memory);
}

VmExtra constant vmx = VmExtra(address(vm));

/// @dev Gas of the library calls of a fraud proof over one chunk.
struct GasFigures {
    uint256 header; // decodeHeader
    uint256 decode; // decodeChunk (header included)
    uint256 recover; // recoverSender of every transaction
    uint256 hash; // signingHash of every transaction (part of recoverSender)
    uint256 txs;
}

/// @notice Exposes the internal functions of `BatchCodec` so that tests can catch their reverts.
contract BatchCodecHarness {
    function validate(bytes calldata data, uint256 chunkSize) external pure {
        BatchCodec.validate(data, chunkSize);
    }

    function decodeHeader(bytes calldata data, uint256 chunkSize) external pure returns (BatchCodec.Header memory) {
        return BatchCodec.decodeHeader(data, chunkSize);
    }

    function locateChunk(bytes calldata data, uint256 chunkSize, uint256 index)
        external
        pure
        returns (BatchCodec.Chunk memory)
    {
        (, BatchCodec.Chunk memory c) = BatchCodec.locateChunk(data, chunkSize, index);
        return c;
    }

    function decodeChunk(bytes calldata data, uint256 chunkSize, uint256 index)
        external
        pure
        returns (BatchCodec.Tx[] memory)
    {
        return BatchCodec.decodeChunk(data, chunkSize, index);
    }

    function decodeNumber(bytes calldata data, uint256 width) external pure returns (uint256) {
        return BatchCodec.decodeNumber(data, width);
    }

    function signingHash(BatchCodec.Tx memory t, uint256 chainId) external pure returns (bytes32) {
        return BatchCodec.signingHash(t, chainId);
    }

    function encodeSigned(BatchCodec.Tx memory t, uint256 chainId) external pure returns (bytes memory) {
        return BatchCodec.encodeSigned(t, chainId);
    }

    function txHash(BatchCodec.Tx memory t, uint256 chainId) external pure returns (bytes32) {
        return BatchCodec.txHash(t, chainId);
    }

    function recoverSender(BatchCodec.Tx memory t, uint256 chainId) external pure returns (address) {
        return BatchCodec.recoverSender(t, chainId);
    }

    function hasTokenCallForm(bytes calldata input) external pure returns (bool) {
        return BatchCodec.hasTokenCallForm(input);
    }

    /// @dev Gas of the library calls alone (the calldata copy and ABI encoding excluded).
    function measure(bytes calldata data, uint256 chunkSize, uint256 index, uint256 chainId)
        external
        view
        returns (GasFigures memory f)
    {
        bytes memory d = data;
        uint256 g = gasleft();
        BatchCodec.decodeHeader(d, chunkSize);
        f.header = g - gasleft();
        g = gasleft();
        BatchCodec.Tx[] memory txs = BatchCodec.decodeChunk(d, chunkSize, index);
        f.decode = g - gasleft();
        g = gasleft();
        for (uint256 i; i < txs.length; i++) {
            BatchCodec.recoverSender(txs[i], chainId);
        }
        f.recover = g - gasleft();
        g = gasleft();
        for (uint256 i; i < txs.length; i++) {
            BatchCodec.signingHash(txs[i], chainId);
        }
        f.hash = g - gasleft();
        f.txs = txs.length;
    }
}

/// @notice Tests of the L1 batch decoder (docs/batch-codec.md): hand-built cases from the spec,
///         the shared vectors of ../testdata/codec-vectors.json (written and checked by the
///         Rust side, types/tests/vectors/codec.rs), and fuzzing for "never panic".
contract BatchCodecTest is Test, CodecNumbers {
    event log_named_uint(string key, uint256 val);

    string constant FILE = "../testdata/codec-vectors.json";
    uint256 constant CHAIN_ID = 42069;
    address constant SYSTEM = 0x4200000000000000000000000000000000000010;
    address constant T = 0x7000000000000000000000000000000000000002;
    address constant R = 0x00000000000000000000000000000000000000AA;
    uint256 constant KEY = 0xA11CE;
    bytes32 constant R0 = bytes32(uint256(0x1111));
    bytes32 constant S0 = bytes32(uint256(0x2222));

    BatchCodecHarness h;

    function setUp() public override {
        h = new BatchCodecHarness();
    }

    // =========================================================================================
    // A small reference encoder, written from the spec for the hand-built cases.

    /// @dev Operation code and amounts of calldata that has a compact form, else (0, 0).
    function _compactOp(bytes memory input) internal pure returns (uint256 op, uint256 amounts) {
        if (input.length < 4) return (0, 0);
        bytes4 sel = _selectorOf(input);
        if (sel == 0xbeabacc8) (op, amounts) = (1, 1);
        else if (sel == 0xfe029156) (op, amounts) = (2, 2);
        else if (sel == 0x884db063) (op, amounts) = (3, 2);
        else if (sel == 0x91c98a2a) (op, amounts) = (4, 3);
        else if (sel == 0xe2dc85dc) (op, amounts) = (5, 3);
        else return (0, 0);
        if (input.length != 68 + 32 * amounts || _word(input, 0) >> 160 != 0 || _word(input, 1) >> 160 != 0) {
            return (0, 0);
        }
    }

    /// @dev Row, leading addresses `k`, numbers `n` and weight of calldata in the extended form
    ///      (§3.3.3) of an operation without address list: supply (13), withdrawSupply (14),
    ///      borrow (15), repay (16), liquidate (17); else row 0. Rows 14, 15 and 17 are heavy
    ///      (§3.1).
    function _extendedOp(bytes memory input) internal pure returns (uint256 row, uint256 k, uint256 n, bool heavy) {
        if (input.length < 4) return (0, 0, 0, false);
        bytes4 sel = _selectorOf(input);
        if (sel == 0xf2b9fdb8) (row, k, n) = (13, 1, 1);
        else if (sel == 0xe72b6026) (row, k, n, heavy) = (14, 1, 1, true);
        else if (sel == 0x4b8a3529) (row, k, n, heavy) = (15, 1, 1, true);
        else if (sel == 0x22867d78) (row, k, n) = (16, 1, 1);
        else if (sel == 0x6f70e66f) (row, k, n, heavy) = (17, 3, 2, true);
        else return (0, 0, 0, false);
        bool clean = input.length == 4 + 32 * (k + n);
        for (uint256 i; clean && i < k; i++) {
            clean = _word(input, i) >> 160 == 0;
        }
        if (!clean) return (0, 0, 0, false);
    }

    /// @dev Token-call operation code (§3.3.2) of calldata in canonical token-call form, else 0.
    function _tokenOp(bytes memory input) internal pure returns (uint256 op) {
        if (input.length < 4) return 0;
        bytes4 sel = _selectorOf(input);
        if (sel == 0xa9059cbb && input.length == 68) op = 1;
        else if (sel == 0x095ea7b3 && input.length == 68) op = 2;
        else if (sel == 0x23b872dd && input.length == 100) op = 3;
        else return 0;
        if (_word(input, 0) >> 160 != 0 || (op == 3 && _word(input, 1) >> 160 != 0)) return 0;
    }

    /// @dev ABI word `i` after the selector.
    function _word(bytes memory input, uint256 i) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(input, 36), shl(5, i)))
        }
    }

    function _indexOf(address[] memory registry, address a) internal pure returns (uint256) {
        for (uint256 i; i < registry.length; i++) {
            if (registry[i] == a) return i;
        }
        revert("address not in the registry");
    }

    /// @dev The codec bytes of one transaction (§3.3): a token call (§3.3.2) when its target
    ///      is not the system contract, an extended operation (§3.3.3) when its calldata has
    ///      that form.
    function _encodeTx(BatchCodec.Tx memory t, address[] memory registry) internal pure returns (bytes memory out) {
        bool token = t.to != SYSTEM;
        (uint256 op, uint256 amounts) = token ? (_tokenOp(t.input), 1) : _compactOp(t.input);
        require(!token || op != 0, "a call of another target that is not a token call");
        (uint256 row,,,) = _extendedOp(t.input);
        if (!token && row != 0) op = 7;
        bool zero = t.maxPriorityFeePerGas == 0 && t.maxFeePerGas == 0;
        // Against zero defaults: a gas limit of 0 is the default (head bit 1), any other written.
        out = abi.encodePacked(
            _byte((t.eip1559 ? 1 : 0) | (t.gasLimit == 0 ? 2 : 0) | (zero ? 4 : 0) | (op << 3) | (token ? 0x40 : 0)),
            _varint(t.nonce),
            t.gasLimit == 0 ? bytes("") : _num(t.gasLimit)
        );
        if (!zero && t.eip1559) out = abi.encodePacked(out, _num(t.maxPriorityFeePerGas), _num(t.maxFeePerGas));
        if (!zero && !t.eip1559) out = abi.encodePacked(out, _num(t.maxFeePerGas));
        if (token) {
            // The pair (target, first calldata address), for transferFrom the recipient's index,
            // then the amount (the last word).
            uint256 i0 = _indexOf(registry, t.to);
            uint256 i1 = _indexOf(registry, address(uint160(_word(t.input, 0))));
            out = abi.encodePacked(out, _varint(i0 * registry.length + i1));
            if (op == 3) out = abi.encodePacked(out, _varint(_indexOf(registry, address(uint160(_word(t.input, 1))))));
            out = abi.encodePacked(out, _num(_word(t.input, op == 3 ? 2 : 1)));
        } else if (op == 0) {
            out = abi.encodePacked(out, _varint(t.input.length), t.input);
        } else if (op == 7) {
            out = abi.encodePacked(out, _extendedArgs(t.input, registry));
        } else {
            // The registry pair i0 · R + i1.
            uint256 i0 = _indexOf(registry, address(uint160(_word(t.input, 0))));
            uint256 i1 = _indexOf(registry, address(uint160(_word(t.input, 1))));
            out = abi.encodePacked(out, _varint(i0 * registry.length + i1));
            for (uint256 i; i < amounts; i++) {
                out = abi.encodePacked(out, _num(_word(t.input, 2 + i)));
            }
        }
        out = abi.encodePacked(out, t.r, _sWord(t));
    }

    /// @dev The word a transaction's `s` is written as (§3.3): `s` with the y-parity in its top bit.
    function _sWord(BatchCodec.Tx memory t) internal pure returns (bytes32) {
        return bytes32(uint256(t.s) | (t.yParity ? 1 << 255 : 0));
    }

    /// @dev The `args` of an extended operation (§3.3.3) without address list: its row, one
    ///      registry reference `i₀·R^(k−1) + … + i_(k−1)` of its `k` leading addresses, its
    ///      numbers.
    function _extendedArgs(bytes memory input, address[] memory registry) internal pure returns (bytes memory out) {
        (uint256 row, uint256 k, uint256 n,) = _extendedOp(input);
        uint256 ref;
        for (uint256 i; i < k; i++) {
            ref = ref * registry.length + _indexOf(registry, address(uint160(_word(input, i))));
        }
        out = abi.encodePacked(_varint(row), _varint(ref));
        for (uint256 i; i < n; i++) {
            out = abi.encodePacked(out, _num(_word(input, k + i)));
        }
    }

    /// @dev A batch (§3) of blocks without queue entries: blocks from `firstNumber` with the
    ///      given timestamp deltas and tx counts, the registry, then the chunks with their lengths.
    function _batch(
        uint256 firstNumber,
        uint256 firstTimestamp,
        uint256[] memory deltas,
        uint256[] memory txCounts,
        address[] memory registry,
        bytes[] memory chunks
    ) internal pure returns (bytes memory) {
        return _batchQ(firstNumber, firstTimestamp, deltas, new uint256[](deltas.length), txCounts, registry, chunks);
    }

    /// @dev A batch (§3) of version 8: blocks from `firstNumber` with the given timestamp
    ///      deltas, queue counts and tx counts, block `i` committing the L1 price `_price(i)`
    ///      and holding no heavy transaction (`timestamp_delta queue_count tx_count
    ///      l1_byte_price heavy_runs` each, the heavy runs the one byte 00), the registry, then
    ///      the chunks with their lengths. `chunks` lists every chunk, each block's beginning and
    ///      each queue entry's chunk (no byte) included.
    function _batchQ(
        uint256 firstNumber,
        uint256 firstTimestamp,
        uint256[] memory deltas,
        uint256[] memory queueCounts,
        uint256[] memory txCounts,
        address[] memory registry,
        bytes[] memory chunks
    ) internal pure returns (bytes memory) {
        bytes[] memory runs = new bytes[](deltas.length);
        bytes memory blocks = _blocks(firstNumber, firstTimestamp, deltas, queueCounts, txCounts, runs);
        return _withChunks(blocks, registry, chunks);
    }

    /// @dev The header of version 8 (zero defaults) up to the end of its block table: blocks from
    ///      `firstNumber` with the given timestamp deltas, queue counts and tx counts, block `i`
    ///      committing the L1 price `_price(i)`, its heavy runs written as `runs[i]` (the one
    ///      byte 00, no run, when empty; see `_runs`).
    function _blocks(
        uint256 firstNumber,
        uint256 firstTimestamp,
        uint256[] memory deltas,
        uint256[] memory queueCounts,
        uint256[] memory txCounts,
        bytes[] memory runs
    ) internal pure returns (bytes memory out) {
        out = abi.encodePacked(
            uint8(8), hex"000000", _varint(firstNumber), _varint(firstTimestamp), _varint(deltas.length)
        );
        for (uint256 i; i < deltas.length; i++) {
            out = abi.encodePacked(out, _varint(deltas[i]), _varint(queueCounts[i]), _varint(txCounts[i]));
            out = abi.encodePacked(out, _num(_price(i)), runs[i].length == 0 ? bytes(hex"00") : runs[i]);
        }
    }

    /// @dev Heavy runs (§3.1) written from their (gap, len) pairs, in order: their count, then
    ///      each pair.
    function _runs(uint256[] memory pairs) internal pure returns (bytes memory out) {
        out = _varint(pairs.length / 2);
        for (uint256 i; i < pairs.length; i++) {
            out = abi.encodePacked(out, _varint(pairs[i]));
        }
    }

    /// @dev `out`, a header up to the end of its block table, followed by the registry, the
    ///      chunk lengths and the chunks.
    function _withChunks(bytes memory out, address[] memory registry, bytes[] memory chunks)
        internal
        pure
        returns (bytes memory)
    {
        out = abi.encodePacked(out, _varint(registry.length));
        for (uint256 i; i < registry.length; i++) {
            out = abi.encodePacked(out, registry[i]);
        }
        for (uint256 i; i < chunks.length; i++) {
            out = abi.encodePacked(out, _varint(chunks[i].length));
        }
        for (uint256 i; i < chunks.length; i++) {
            out = abi.encodePacked(out, chunks[i]);
        }
        return out;
    }

    /// @dev The L1 price `_batchQ` writes for its block `i`: the lowest price, 8 (two bytes,
    ///      `80 02`), then prices of one to nine bytes.
    function _price(uint256 i) internal pure returns (uint256) {
        if (i == 0) return 8;
        return [uint256(10), 11, 123_456_789, type(uint64).max, 7e18][(i - 1) % 5];
    }

    /// @dev A batch of one block (number 5) holding the given transactions (at least one) in
    ///      one chunk: chunk 0 is the block's beginning, without byte, chunk 1 the transactions.
    function _oneBlock(bytes memory txBytes, uint256 txCount, address[] memory registry)
        internal
        pure
        returns (bytes memory)
    {
        bytes[] memory chunks = new bytes[](2);
        chunks[1] = txBytes;
        return _batch(5, 1_700_000_000, _arr(0), _arr(txCount), registry, chunks);
    }

    function _arr(uint256 a) internal pure returns (uint256[] memory x) {
        x = new uint256[](1);
        x[0] = a;
    }

    function _arr(uint256 a, uint256 b) internal pure returns (uint256[] memory x) {
        x = new uint256[](2);
        (x[0], x[1]) = (a, b);
    }

    function _arr(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory x) {
        x = new uint256[](3);
        (x[0], x[1], x[2]) = (a, b, c);
    }

    function _arr(uint256 a, uint256 b, uint256 c, uint256 d) internal pure returns (uint256[] memory x) {
        x = new uint256[](4);
        (x[0], x[1], x[2], x[3]) = (a, b, c, d);
    }

    function _four() internal pure returns (address[] memory reg) {
        reg = new address[](4);
        (reg[0], reg[1], reg[2], reg[3]) = (T, R, address(0xBEEF), address(0xCAFE));
    }

    function _tr() internal pure returns (address[] memory reg) {
        reg = new address[](2);
        (reg[0], reg[1]) = (T, R);
    }

    // -----------------------------------------------------------------------------------------
    // A reference RLP encoder (§4.1), independent of the library's.

    function _rlpUint(uint256 v) internal pure returns (bytes memory) {
        if (v == 0) return hex"80";
        if (v < 0x80) return abi.encodePacked(_byte(v));
        bytes memory b = _minimal(v);
        return abi.encodePacked(uint8(0x80 + b.length), b);
    }

    function _minimal(uint256 v) internal pure returns (bytes memory b) {
        uint256 n;
        for (uint256 x = v; x != 0; x >>= 8) {
            n++;
        }
        b = new bytes(n);
        for (uint256 i; i < n; i++) {
            b[i] = _byte(v >> (8 * (n - 1 - i)));
        }
    }

    function _rlpBytes(bytes memory b) internal pure returns (bytes memory) {
        if (b.length == 1 && uint8(b[0]) < 0x80) return b;
        if (b.length < 56) return abi.encodePacked(uint8(0x80 + b.length), b);
        bytes memory len = _minimal(b.length);
        return abi.encodePacked(uint8(0xb7 + len.length), len, b);
    }

    function _rlpList(bytes memory payload) internal pure returns (bytes memory) {
        if (payload.length < 56) return abi.encodePacked(uint8(0xc0 + payload.length), payload);
        bytes memory len = _minimal(payload.length);
        return abi.encodePacked(uint8(0xf7 + len.length), len, payload);
    }

    /// @dev The signing payload (`signed` false) or the EIP-2718 bytes of `t`.
    function _refEncode(BatchCodec.Tx memory t, uint256 chainId, bool signed) internal pure returns (bytes memory) {
        bytes memory call = abi.encodePacked(_rlpUint(t.gasLimit), hex"94", t.to, _rlpUint(t.value), _rlpBytes(t.input));
        uint256 parity = t.yParity ? 1 : 0;
        bytes memory sig = abi.encodePacked(_rlpUint(parity), _rlpUint(uint256(t.r)), _rlpUint(uint256(t.s)));
        if (t.eip1559) {
            bytes memory p = abi.encodePacked(
                _rlpUint(chainId), _rlpUint(t.nonce), _rlpUint(t.maxPriorityFeePerGas), _rlpUint(t.maxFeePerGas)
            );
            p = abi.encodePacked(p, call, hex"c0", signed ? sig : bytes(""));
            return abi.encodePacked(hex"02", _rlpList(p));
        }
        bytes memory q = abi.encodePacked(_rlpUint(t.nonce), _rlpUint(t.maxFeePerGas), call);
        if (signed) {
            q = abi.encodePacked(
                q, _rlpUint(35 + 2 * chainId + (t.yParity ? 1 : 0)), _rlpUint(uint256(t.r)), _rlpUint(uint256(t.s))
            );
        } else {
            q = abi.encodePacked(q, _rlpUint(chainId), hex"8080");
        }
        return _rlpList(q);
    }

    /// @dev Signs `t` with `key` for CHAIN_ID (signing hash from the reference encoder).
    function _sign(BatchCodec.Tx memory t, uint256 key) internal pure {
        (uint8 v, bytes32 r, bytes32 s) = vmx.sign(key, keccak256(_refEncode(t, CHAIN_ID, false)));
        t.yParity = v == 28;
        (t.r, t.s) = (r, s);
    }

    function _transferInput(address token, address to, uint256 amount) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(bytes4(0xbeabacc8), token, to, amount);
    }

    // -----------------------------------------------------------------------------------------
    // Revert checks.

    function _codecSelector(string memory code) internal pure returns (bytes4 sel) {
        bytes32 k = keccak256(bytes(code));
        if (k == keccak256("truncated")) return BatchCodec.Truncated.selector;
        if (k == keccak256("trailing_bytes")) return BatchCodec.TrailingBytes.selector;
        if (k == keccak256("unknown_version")) return BatchCodec.UnknownVersion.selector;
        if (k == keccak256("bad_integer")) return BatchCodec.BadInteger.selector;
        if (k == keccak256("invalid_field")) return BatchCodec.InvalidField.selector;
        if (k == keccak256("bad_block_sequence")) return BatchCodec.BadBlockSequence.selector;
        if (k == keccak256("too_large")) return BatchCodec.TooLarge.selector;
        fail(string.concat("unknown error code ", code));
    }

    /// @dev Whether `reason` is exactly one of the seven codec errors (or, if allowed, the
    ///      out-of-range chunk index): never a panic, an empty revert or a string.
    function _isCodecError(bytes memory reason, bool indexAllowed) internal pure returns (bool) {
        if (reason.length < 4) return false;
        bytes4 sel = _selectorOf(reason);
        if (sel == BatchCodec.UnknownVersion.selector) return reason.length == 36;
        if (indexAllowed && sel == BatchCodec.ChunkIndexOutOfRange.selector) return reason.length == 68;
        return reason.length == 4
            && (sel == BatchCodec.Truncated.selector
                || sel == BatchCodec.TrailingBytes.selector
                || sel == BatchCodec.BadInteger.selector
                || sel == BatchCodec.InvalidField.selector
                || sel == BatchCodec.BadBlockSequence.selector
                || sel == BatchCodec.TooLarge.selector);
    }

    /// @dev The first 4 bytes of `b` (0 if shorter).
    function _selectorOf(bytes memory b) internal pure returns (bytes4 sel) {
        if (b.length < 4) return 0;
        assembly ("memory-safe") {
            sel := and(mload(add(b, 32)), shl(224, 0xffffffff))
        }
    }

    function _u64(uint256 v) internal pure returns (uint64) {
        require(v <= type(uint64).max, "u64");
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(v);
    }

    function _expectInvalid(bytes memory data, uint256 chunkSize, bytes4 expected, string memory what) internal view {
        try h.validate(data, chunkSize) {
            fail(string.concat(what, ": validate accepted the data"));
        } catch (bytes memory reason) {
            assertTrue(_isCodecError(reason, false), string.concat(what, ": not a codec error"));
            assertEq(bytes32(_selectorOf(reason)), bytes32(expected), string.concat(what, ": error"));
        }
    }

    function _expectChunkInvalid(
        bytes memory data,
        uint256 chunkSize,
        uint256 index,
        bytes4 expected,
        string memory what
    ) internal view {
        try h.decodeChunk(data, chunkSize, index) {
            fail(string.concat(what, ": decodeChunk accepted the chunk"));
        } catch (bytes memory reason) {
            assertEq(bytes32(_selectorOf(reason)), bytes32(expected), string.concat(what, ": error"));
        }
    }

    function _expectNumber(bytes memory b, uint256 width, bytes4 expected, string memory what) internal view {
        try h.decodeNumber(b, width) returns (uint256 v) {
            fail(string.concat(what, ": decoded to ", vm.toString(v)));
        } catch (bytes memory reason) {
            assertTrue(_isCodecError(reason, false), string.concat(what, ": not a codec error"));
            assertEq(bytes32(_selectorOf(reason)), bytes32(expected), string.concat(what, ": error"));
        }
    }

    function _eqBytes(bytes memory got, bytes memory expected, string memory what) internal pure {
        if (keccak256(got) != keccak256(expected)) {
            fail(string.concat(what, ": got ", vmx.toString(got), ", expected ", vmx.toString(expected)));
        }
    }

    // =========================================================================================
    // The worked example (§6).

    /// @dev The bytes of the worked example, field by field as the spec's table lists them.
    function _example(bytes32 r, bytes32 s) internal pure returns (bytes memory) {
        return abi.encodePacked(
            hex"08", // version 8
            hex"650000", // defaults: gas limit 300000, no priority fee, a fee cap of 0
            hex"05", // first block number 5
            hex"80e2cfaa06", // first timestamp 1700000000
            hex"01", // block count
            hex"000001", // block 5: delta 0, no queue entry, 1 transaction
            hex"8002", // block 5: L1 price 8 wei a byte (m = 8: m & 3 = 0, tail 2)
            hex"00", // block 5: no heavy run
            hex"01",
            T, // registry: the token (the recipient is used once: it is written inline)
            hex"00", // chunk 0, the block's beginning, is 0 bytes
            hex"58", // chunk 1 is 88 bytes
            hex"8f0000", // head (default gas, default fees, inline), nonce, token registry[0]
            R, // the recipient, inline
            hex"26", // amount 10^6
            r,
            bytes32(uint256(s) | 1 << 255) // s, the y-parity (1) in its top bit
        );
    }

    function test_example_header() public view {
        bytes memory data = _example(R0, S0);
        assertEq(data.length, 128, "length");
        BatchCodec.Header memory hd = h.decodeHeader(data, 64);
        assertEq(hd.firstNumber, 5, "firstNumber");
        assertEq(hd.firstTimestamp, 1_700_000_000, "firstTimestamp");
        assertEq(hd.blockCount, 1, "blockCount");
        assertEq(hd.registryCount, 1, "registryCount");
        assertEq(hd.registryOffset, 18, "registryOffset");
        assertEq(hd.chunkCount, 2, "chunkCount: the block's beginning and its transaction");
        assertEq(hd.chunkLengthsOffset, 38, "chunkLengthsOffset");
        assertEq(hd.chunksOffset, 40, "chunksOffset");
        assertEq(hd.blocksOffset, 11, "blocksOffset");
        assertEq(hd.defaults.gasLimit, 300_000, "default gas limit");
        assertEq(hd.defaults.maxFeePerGas, 0, "default fee cap");
        assertEq(hd.queueCount, 0, "queueCount");
        BatchCodec.Chunk memory c = h.locateChunk(data, 64, 1);
        assertEq(c.index, 1, "index");
        assertEq(c.blockNumber, 5, "blockNumber");
        assertEq(c.l1BytePrice, 8, "l1BytePrice");
        assertEq(c.txCount, 1, "txCount");
        assertEq(c.offset, 40, "offset");
        assertEq(c.length, 88, "length");
        assertEq(c.queueOffset, 0, "queueOffset");
        assertEq(c.queueCount, 0, "chunk queueCount");
        assertFalse(c.heavy, "a light chunk");
        h.validate(data, 64);
    }

    function test_example_transaction() public view {
        bytes memory data = _example(R0, S0);
        BatchCodec.Tx[] memory txs = h.decodeChunk(data, 64, 1);
        assertEq(txs.length, 1, "one transaction");
        BatchCodec.Tx memory t = txs[0];
        assertTrue(t.eip1559, "eip1559");
        assertTrue(t.yParity, "parity");
        assertEq(t.nonce, 0, "nonce");
        assertEq(t.gasLimit, 300_000, "gasLimit");
        assertEq(t.maxPriorityFeePerGas, 0, "tip");
        assertEq(t.maxFeePerGas, 0, "maxFee");
        assertEq(t.r, R0, "r");
        assertEq(t.s, S0, "s");
        // 88 bytes, its gas limit billed as written out (one byte), its token index and inline
        // recipient as a pair, two bytes
        // (docs/fees.md §2.2).
        assertEq(t.billedBytes, 70, "billedBytes");
        assertFalse(t.heavy, "a transfer is light");
        _eqBytes(t.input, _transferInput(T, R, 1e6), "calldata");
        // The EIP-2718 bytes, spelled out: 0x02 ‖ f8 8e (142 bytes) ‖ chainId 82a455, nonce 80,
        // fees 80 80, gas 830493e0, to, value 80, data b864 ‖ 100 bytes, [] c0, parity 01,
        // r 821111, s 822222 (leading zeros dropped).
        bytes memory signed = abi.encodePacked(
            hex"02f88e82a455808080830493e094", SYSTEM, hex"80b864", _transferInput(T, R, 1e6), hex"c001821111822222"
        );
        _eqBytes(h.encodeSigned(t, CHAIN_ID), signed, "signed");
        assertEq(h.txHash(t, CHAIN_ID), keccak256(signed), "txHash");
        bytes memory unsigned = abi.encodePacked(
            hex"02f88782a455808080830493e094", SYSTEM, hex"80b864", _transferInput(T, R, 1e6), hex"c0"
        );
        assertEq(h.signingHash(t, CHAIN_ID), keccak256(unsigned), "signingHash");
    }

    /// @notice The example signed for real: the decoded transaction recovers to the signer.
    function test_example_signedRecoversSender() public view {
        BatchCodec.Tx memory t;
        t.eip1559 = true;
        t.gasLimit = 300_000;
        t.to = SYSTEM;
        t.input = _transferInput(T, R, 1e6);
        _sign(t, KEY);
        bytes memory data = _oneBlock(_encodeTx(t, _tr()), 1, _tr());
        BatchCodec.Tx[] memory txs = h.decodeChunk(data, 64, 1);
        assertEq(h.recoverSender(txs[0], CHAIN_ID), vmx.addr(KEY), "sender");
        // Another chain id is another signing hash: not the signer.
        assertTrue(h.recoverSender(txs[0], CHAIN_ID + 1) != vmx.addr(KEY), "another chain id");
    }

    /// @notice The example's chunk 0 is its block's beginning: no item, no byte, no
    ///         transaction. A beginning given a byte (taken from the next chunk) is refused with
    ///         `TrailingBytes`, in the batch and alone.
    function test_example_beginning() public view {
        bytes memory data = _example(R0, S0);
        BatchCodec.Chunk memory c = h.locateChunk(data, 64, 0);
        assertEq(c.index, 0, "index");
        assertEq(c.blockNumber, 5, "blockNumber");
        assertEq(c.timestamp, 1_700_000_000, "timestamp");
        assertEq(c.l1BytePrice, 8, "l1BytePrice");
        assertEq(c.queueOffset, 0, "queueOffset");
        assertEq(c.queueCount, 0, "queueCount");
        assertEq(c.txCount, 0, "txCount");
        assertFalse(c.heavy, "heavy");
        assertEq(c.offset, 40, "offset");
        assertEq(c.length, 0, "length");
        assertEq(h.decodeChunk(data, 64, 0).length, 0, "no transaction");
        // Lengths 1 and 87 instead of 0 and 88: the sum still fills the data.
        (data[38], data[39]) = (0x01, 0x57);
        _expectInvalid(data, 64, BatchCodec.TrailingBytes.selector, "a beginning of one byte");
        _expectChunkInvalid(data, 64, 0, BatchCodec.TrailingBytes.selector, "the beginning alone");
    }

    // =========================================================================================
    // Numbers (§2.2) and varints (§2.1).

    function test_numbers_specTable() public view {
        assertEq(h.decodeNumber(hex"00", 256), 0, "0");
        assertEq(h.decodeNumber(hex"20", 256), 1, "1");
        assertEq(h.decodeNumber(hex"65", 64), 300_000, "300000");
        assertEq(h.decodeNumber(hex"30", 256), 1e16, "1e16");
        assertEq(h.decodeNumber(hex"32", 256), 1e18, "1e18");
        assertEq(h.decodeNumber(hex"a08e18", 256), 12_345, "12345");
        assertEq(h.decodeNumber(hex"f103", 256), 1.5e18, "1.5e18");
    }

    function test_numbers_limits() public view {
        assertEq(h.decodeNumber(_num(type(uint64).max), 64), type(uint64).max, "u64 max");
        assertEq(h.decodeNumber(_num(type(uint128).max), 128), type(uint128).max, "u128 max");
        assertEq(h.decodeNumber(_num(type(uint256).max), 256), type(uint256).max, "u256 max");
        assertEq(_num(type(uint256).max).length, 38, "1 + 37 bytes at most");
        // e = 31 with m divisible by 10: the only case of a multiple of 10 in m.
        assertEq(h.decodeNumber(hex"df02", 256), 1e32, "m = 10, e = 31");
        assertEq(h.decodeNumber(_num(1e40), 256), 1e40, "1e40");
        _expectNumber(_num(uint256(type(uint64).max) + 1), 64, BatchCodec.BadInteger.selector, "u64 max + 1");
        _expectNumber(_num(uint256(type(uint128).max) + 1), 128, BatchCodec.BadInteger.selector, "u128 max + 1");
        _expectNumber(_num(1e20), 64, BatchCodec.BadInteger.selector, "1e20 in 64 bits");
        _expectNumber(_num(1e39), 128, BatchCodec.BadInteger.selector, "1e39 in 128 bits");
    }

    function test_numbers_refused() public view {
        bytes4 bad = BatchCodec.BadInteger.selector;
        _expectNumber(hex"05", 256, bad, "m = 0, e = 5");
        _expectNumber(hex"8000", 256, bad, "zero tail");
        _expectNumber(hex"c002", 256, bad, "m = 10, e = 0");
        _expectNumber(hex"a08e98", 256, BatchCodec.Truncated.selector, "tail cut");
        _expectNumber(hex"", 256, BatchCodec.Truncated.selector, "empty");
        _expectNumber(hex"2000", 256, BatchCodec.TrailingBytes.selector, "trailing byte");
        _expectNumber(hex"a08e1800", 256, BatchCodec.TrailingBytes.selector, "trailing byte after a tail");
        _expectNumber(hex"a08e8000", 256, bad, "tail not in shortest form");
        // A tail of 254 bits: 36 full groups (252 bits), then at most 2 bits.
        bytes memory tail = new bytes(37);
        for (uint256 i; i < 36; i++) {
            tail[i] = 0xff;
        }
        tail[36] = 0x03;
        assertEq(h.decodeNumber(abi.encodePacked(hex"e0", tail), 256), type(uint256).max, "widest tail");
        tail[36] = 0x04;
        _expectNumber(abi.encodePacked(hex"e0", tail), 256, bad, "255-bit tail");
        tail[36] = 0x83;
        _expectNumber(abi.encodePacked(hex"e0", tail, hex"01"), 256, bad, "38-byte tail");
        // m = 2^256 - 1 with e = 1 overflows.
        tail[36] = 0x03;
        _expectNumber(abi.encodePacked(hex"e1", tail), 256, bad, "m * 10 overflows 256 bits");
    }

    function test_varints_inTheHeader() public view {
        // first_timestamp 0, one block (delta 0, no entry, no transaction, L1 price 0, no heavy
        // run), no registry.
        bytes memory rest = hex"0001000000000000";
        bytes4 bad = BatchCodec.BadInteger.selector;
        // first_number = 0 written in two bytes.
        _expectInvalid(abi.encodePacked(hex"080000008000", rest), 64, bad, "overlong zero");
        _expectInvalid(abi.encodePacked(hex"08000000ff00", rest), 64, bad, "last byte 00");
        // u64 max is 9 full groups and a last byte of 01; 02 or a tenth continuation overflows.
        bytes memory max = hex"ffffffffffffffffff01";
        BatchCodec.Header memory hd = h.decodeHeader(_withFirstNumber(max), 64);
        assertEq(hd.firstNumber, type(uint64).max, "u64 max first number");
        _expectInvalid(_withFirstNumber(hex"ffffffffffffffffff02"), 64, bad, "2^64");
        _expectInvalid(_withFirstNumber(hex"ffffffffffffffffff8101"), 64, bad, "eleven bytes");
        _expectInvalid(hex"08000000ffff", 64, BatchCodec.Truncated.selector, "data ends inside a varint");
        // The queue count: a 64-bit varint like the others.
        _expectInvalid(_withQueueCount(hex"8000", 1), 64, bad, "overlong queue count");
        _expectInvalid(_withQueueCount(hex"ffffffffffffffffff02", 1), 64, bad, "queue count 2^64");
        // Five bytes after the block count (a block's least), the queue count cut in them.
        _expectInvalid(
            hex"0800000005000100ffffffff", 64, BatchCodec.Truncated.selector, "data ends inside the queue count"
        );
        // u64 max is a queue count, but its entries need a chunk each (§3.1): far more chunks
        // than bytes left, whatever the chunk size.
        _expectInvalid(_withQueueCount(max, 2), type(uint256).max, BatchCodec.Truncated.selector, "u64 max entries");
        // Two bytes (200) and one: the beginning and a chunk an entry.
        BatchCodec.Header memory q = h.decodeHeader(_withQueueCount(hex"c801", 201), type(uint256).max);
        assertEq(q.queueCount, 200, "queue count 200");
        assertEq(q.chunkCount, 201, "the beginning and the 200 entries' chunks");
        q = h.decodeHeader(_withQueueCount(hex"03", 4), 1);
        assertEq(q.queueCount, 3, "queue count 3");
        assertEq(q.chunkCount, 4, "the beginning and the 3 entries' chunks");
        // The L1 price: a number of 64 bits (§2.2), read right after the transaction count.
        _expectInvalid(_withPrice(hex"8000"), 64, bad, "price with a zero tail");
        _expectInvalid(_withPrice(hex"0a"), 64, bad, "price m = 0, e = 10");
        _expectInvalid(_withPrice(hex"c002"), 64, bad, "price m = 10");
        _expectInvalid(_withPrice(_num(uint256(type(uint64).max) + 1)), 64, bad, "price 2^64");
        _expectInvalid(_withPrice(_num(1e20)), 64, bad, "price 10^20");
        _expectInvalid(hex"08000000050001000000a08e", 64, BatchCodec.Truncated.selector, "data ends inside the price");
        uint256[5] memory prices = [uint256(0), 8, 12_345, 1e19, type(uint64).max];
        for (uint256 i; i < prices.length; i++) {
            bytes memory data = _withPrice(_num(prices[i]));
            h.validate(data, 64);
            // A block without items has no chunk: the price is read, and checked, all the same.
            assertEq(h.decodeHeader(data, 64).chunkCount, 0, "no chunk");
        }
    }

    /// @dev A batch of one empty block (5) committing the L1 price written as `price`, no
    ///      heavy run, no registry, no chunk.
    function _withPrice(bytes memory price) internal pure returns (bytes memory) {
        return abi.encodePacked(hex"0800000005000100", hex"0000", price, hex"00", hex"00");
    }

    /// @dev A batch of one empty block (L1 price 0, no heavy run, no registry, no chunk)
    ///      numbered by the given varint.
    function _withFirstNumber(bytes memory firstNumber) internal pure returns (bytes memory) {
        return abi.encodePacked(hex"08000000", firstNumber, hex"00", hex"01", hex"0000000000", hex"00");
    }

    /// @dev A batch of one block (5) of the given queue count, no transaction, L1 price 0, no
    ///      heavy run and no registry, with `lengths` chunk lengths 0 (the block's beginning,
    ///      then one chunk an entry: 1 + its queue count for a valid batch).
    function _withQueueCount(bytes memory queueCount, uint256 lengths) internal pure returns (bytes memory) {
        return
            abi.encodePacked(hex"0800000005000100", queueCount, hex"00", hex"00", hex"00", hex"00", new bytes(lengths));
    }

    // =========================================================================================
    // Header rules (§3.1), in their order.

    function test_header_errors() public view {
        bytes4 trunc = BatchCodec.Truncated.selector;
        _expectInvalid(hex"", 64, trunc, "empty");
        _expectInvalid(hex"08", 64, trunc, "version only");
        _expectInvalid(hex"08000000", 64, trunc, "version and defaults only");
        _expectInvalid(hex"0800", 64, trunc, "data ends inside the defaults");
        _expectInvalid(hex"08000080", 64, trunc, "data ends inside the default fee cap");
        _expectInvalid(hex"0805000005", 64, BatchCodec.BadInteger.selector, "default gas limit m = 0, e = 5");
        _expectInvalid(hex"00", 64, BatchCodec.UnknownVersion.selector, "version 0");
        for (uint256 v; v < 256; v += 85) {
            // Versions 0, 85, 170, 255, then 1, 2, 3, 4 and 5 below.
            // forge-lint: disable-next-line(unsafe-typecast)
            _expectVersionRefused(abi.encodePacked(uint8(v), hex"01"), v); // v < 256
        }
        _expectVersionRefused(hex"0301", 3);
        _expectVersionRefused(hex"0401", 4);
        _expectVersionRefused(hex"0501", 5);
        _expectVersionRefused(hex"0101", 1);
        _expectVersionRefused(hex"0601", 6);
        // Version 7 (the y-parity in the head, a gas limit field 0 for the default): the worked
        // example as it wrote it.
        _expectVersionRefused(
            abi.encodePacked(
                hex"076500000580e2cfaa0601000001",
                hex"8002",
                hex"00",
                hex"01",
                T,
                hex"0059",
                hex"8f000000",
                R,
                hex"26",
                R0,
                S0
            ),
            7
        );
        // Version 5 (blocks without heavy runs): the worked example as it wrote it.
        _expectVersionRefused(
            abi.encodePacked(hex"050580e2cfaa0601000001", hex"8002", hex"02", T, R, hex"0045", hex"0f00650126", R0, S0),
            5
        );
        // Version 4 (no chunk for a block's beginning): the worked example as it wrote it.
        _expectVersionRefused(
            abi.encodePacked(hex"040580e2cfaa0601000001", hex"8002", hex"02", T, R, hex"45", hex"0f00650126", R0, S0), 4
        );
        // Version 2 (blocks without an L1 price): the worked example as it wrote it.
        _expectVersionRefused(
            abi.encodePacked(hex"020580e2cfaa0601000001", hex"02", T, R, hex"45", hex"0f00650126", R0, S0), 2
        );
        // Block count.
        _expectInvalid(hex"0800000005000000", 64, BatchCodec.BadBlockSequence.selector, "no block");
        _expectInvalid(
            hex"08000000ffffffffffffffffff010002" hex"0000000000" hex"0000000000" hex"00",
            64,
            BatchCodec.BadBlockSequence.selector,
            "last number > u64"
        );
        assertEq(
            h.decodeHeader(hex"08000000feffffffffffffffff010002" hex"0000000000" hex"0000000000" hex"00", 64)
            .blockCount,
            2,
            "last number = u64 max"
        );
        // Each block takes at least 5 bytes: 2 blocks with 9 bytes left are cut before the first
        // block is read; with 10 left, the first block is read (and its delta 1 refused).
        _expectInvalid(
            hex"0800000005000201" hex"000000000000000000", 64, BatchCodec.InvalidField.selector, "2 blocks, 10 bytes"
        );
        _expectInvalid(hex"0800000005000201" hex"0000000000000000", 64, trunc, "2 blocks, 9 bytes");
        _expectInvalid(hex"080000000500020000", 64, trunc, "2 blocks in 2 bytes");
        // Timestamps.
        _expectInvalid(hex"0800000005000101" hex"00000000", 64, BatchCodec.InvalidField.selector, "first delta 1");
        _expectInvalid(
            hex"0800000005ffffffffffffffffff0102" hex"0000000000" hex"0100000000" hex"00",
            64,
            BatchCodec.BadBlockSequence.selector,
            "timestamp > u64"
        );
        assertEq(
            h.decodeHeader(hex"0800000005feffffffffffffffff0102" hex"0000000000" hex"0100000000" hex"00", 64)
            .blockCount,
            2,
            "timestamp = u64 max"
        );
        // The delta is checked before the queue count is read.
        _expectInvalid(
            hex"0800000005000101" hex"80808080", 64, BatchCodec.InvalidField.selector, "first delta 1, queue cut"
        );
        // Transaction count: 67 bytes per transaction after the L1 price (the queue count, before
        // it, has no bound), checked once the price is read and before the heavy runs.
        bytes memory sixtyEight = new bytes(68);
        _expectInvalid(abi.encodePacked(hex"08000000050001000002", hex"00", sixtyEight), 64, trunc, "2 txs, 68 bytes");
        _expectInvalid(
            abi.encodePacked(hex"080000000500010005", hex"02", hex"00", sixtyEight), 64, trunc, "5 entries, 2 txs"
        );
        _expectInvalid(
            hex"08000000050001000005" hex"8000" hex"00", 64, BatchCodec.BadInteger.selector, "the price first"
        );
        _expectInvalid(hex"08000000050001000005" hex"a08e", 64, trunc, "the price cut first");
        // Registry: 20 bytes per entry.
        _expectInvalid(
            abi.encodePacked(hex"08000000050001000000000002", new bytes(39)), 64, trunc, "2 addresses, 39 bytes"
        );
        // Chunk count against the bytes left: two blocks of one transaction each pass their
        // bound, a registry of 4 takes 80 bytes, and 3 bytes are left for 4 chunk lengths (each
        // block's beginning and its transaction).
        bytes memory twoChunks = abi.encodePacked(
            hex"08000000050002", hex"0000010000", hex"0000010000", hex"04", new bytes(80), hex"000000"
        );
        _expectInvalid(twoChunks, 1, trunc, "more chunks than bytes left");
        // The same with queue entries: 2 entries and no transaction (the beginning and a chunk an
        // entry, whatever the chunk size), 2 bytes left.
        _expectInvalid(hex"080000000500010002000000" hex"00" hex"0000", 1, trunc, "more entry chunks than bytes left");
        _expectInvalid(hex"080000000500010002000000" hex"00" hex"0000", 64, trunc, "the same in chunks of 64");
        assertEq(
            h.decodeHeader(hex"080000000500010002000000" hex"00" hex"000000", 64).chunkCount,
            3,
            "the beginning and 2 entries' chunks"
        );
        // The heavy runs, after the L1 price.
        _checkHeavyRunRules();
    }

    /// @dev `validate` refuses `data` with `UnknownVersion(version)` (a version byte).
    function _expectVersionRefused(bytes memory data, uint256 version) internal view {
        try h.validate(data, 64) {
            fail(string.concat("version ", vm.toString(version), " accepted"));
        } catch (bytes memory reason) {
            _eqBytes(
                reason,
                // forge-lint: disable-next-line(unsafe-typecast)
                abi.encodeWithSelector(BatchCodec.UnknownVersion.selector, uint8(version)), // a byte
                string.concat("UnknownVersion(", vm.toString(version), ")")
            );
        }
    }

    function test_header_chunkLengthsAgainstTheRest() public view {
        bytes memory data = _example(R0, S0);
        // Σ chunk_len > rest.
        _expectInvalid(_slice(data, 0, data.length - 1), 64, BatchCodec.Truncated.selector, "one byte short");
        // Σ chunk_len < rest.
        _expectInvalid(abi.encodePacked(data, hex"00"), 64, BatchCodec.TrailingBytes.selector, "one byte more");
        // A chunk length not in its shortest form (the beginning's 0 in two bytes, the second
        // one the next chunk's length).
        bytes memory overlong = _example(R0, S0);
        (overlong[38], overlong[39]) = (0x80, 0x00);
        _expectInvalid(overlong, 64, BatchCodec.BadInteger.selector, "overlong chunk length");
    }

    /// @notice The cut of §3.1: per block with items, its beginning (no byte) then, without
    ///         queue entry or heavy transaction, ⌈tx_count / chunkSize⌉ chunks, the last of a
    ///         block shorter; none for an empty block; a chunk's bytes and block are found
    ///         directly. Then blocks with heavy transactions (`_checkHeavyCut`).
    function test_chunks_cutAndLocate() public view {
        (bytes memory data, BatchCodec.Tx[] memory txs) = _threeBlocks();
        BatchCodec.Header memory hd = h.decodeHeader(data, 2);
        assertEq(hd.chunkCount, 6, "a beginning and 5 txs in chunks of 2, an empty block, a beginning and 1 tx");
        uint256[6] memory counts = [uint256(0), 2, 2, 1, 0, 1];
        uint256[6] memory blocks = [uint256(10), 10, 10, 10, 12, 12];
        uint256 offset = hd.chunksOffset;
        uint256 seen; // transactions before chunk k
        for (uint256 k; k < 6; k++) {
            BatchCodec.Chunk memory c = h.locateChunk(data, 2, k);
            assertEq(c.index, k, "index");
            assertEq(c.txCount, counts[k], "txCount");
            assertEq(c.blockNumber, blocks[k], "blockNumber");
            assertEq(c.l1BytePrice, _price(blocks[k] - 10), "l1BytePrice");
            assertEq(c.offset, offset, "offset");
            assertEq(c.queueOffset, 0, "no queue entry before");
            assertEq(c.queueCount, 0, "no queue entry");
            assertFalse(c.heavy, "no heavy transaction");
            if (counts[k] == 0) assertEq(c.length, 0, "a beginning has no byte");
            offset += c.length;
            BatchCodec.Tx[] memory decoded = h.decodeChunk(data, 2, k);
            assertEq(decoded.length, counts[k], "decoded txs");
            for (uint256 j; j < decoded.length; j++) {
                _checkSame(decoded[j], txs[seen], "three blocks");
                assertEq(h.recoverSender(decoded[j], CHAIN_ID), vmx.addr(KEY + seen), "sender");
                seen++;
            }
        }
        assertEq(offset, data.length, "chunks fill the data");
        assertEq(seen, 6, "every transaction");
        h.validate(data, 2);
        try h.decodeChunk(data, 2, 6) {
            fail("chunk 6 decoded");
        } catch (bytes memory reason) {
            _eqBytes(reason, abi.encodeWithSelector(BatchCodec.ChunkIndexOutOfRange.selector, 6, 6), "out of range");
        }
        // Chunk size 0 is taken as 1 (as in the Rust code): (1 + 5) + 0 + (1 + 1) chunks.
        assertEq(h.decodeHeader(_threeBlocksInSingles(), 0).chunkCount, 8, "chunk size 0");
        // A chunk size larger than every block: a beginning and one chunk per non-empty block.
        (data,) = _threeBlocks();
        _expectInvalid(data, type(uint256).max, BatchCodec.TrailingBytes.selector, "4 chunks, 6 lengths: bytes left");
        // Heavy transactions: a chunk each.
        _checkHeavyCut();
    }

    /// @dev Blocks 10 (5 transfers, delta 0), 11 (empty, delta 2), 12 (1 transfer, delta 0),
    ///      cut in chunks of 2: () (t0 t1) (t2 t3) (t4) () (t5), () a block's beginning.
    function _threeBlocks() internal pure returns (bytes memory data, BatchCodec.Tx[] memory txs) {
        txs = new BatchCodec.Tx[](6);
        bytes[] memory enc = new bytes[](6);
        for (uint256 i; i < 6; i++) {
            BatchCodec.Tx memory t = txs[i];
            t.eip1559 = i % 2 == 0;
            t.nonce = _u64(i);
            t.gasLimit = 21_000;
            t.to = SYSTEM;
            t.maxFeePerGas = 1e9 + _u64(i);
            t.maxPriorityFeePerGas = t.eip1559 ? 1e9 : 0;
            t.input = _transferInput(i % 2 == 0 ? T : R, i % 3 == 0 ? R : T, 10 ** i);
            _sign(t, KEY + i);
            enc[i] = _encodeTx(t, _tr());
        }
        bytes[] memory chunks = new bytes[](6);
        chunks[1] = abi.encodePacked(enc[0], enc[1]);
        chunks[2] = abi.encodePacked(enc[2], enc[3]);
        chunks[3] = enc[4];
        chunks[5] = enc[5];
        data = _batch(10, 1000, _arr(0, 2, 0), _arr(5, 0, 1), _tr(), chunks);
    }

    /// @dev The same transactions, each block's in one chunk: () (t0 … t4) () (t5).
    function _threeBlocksWhole() internal pure returns (bytes memory) {
        (, BatchCodec.Tx[] memory txs) = _threeBlocks();
        bytes[] memory chunks = new bytes[](4);
        for (uint256 i; i < 5; i++) {
            chunks[1] = abi.encodePacked(chunks[1], _encodeTx(txs[i], _tr()));
        }
        chunks[3] = _encodeTx(txs[5], _tr());
        return _batch(10, 1000, _arr(0, 2, 0), _arr(5, 0, 1), _tr(), chunks);
    }

    /// @notice A chunk size past every block holds each block's transactions in one chunk, up
    ///         to the largest a word holds: the cut's rounding up never overflows.
    function test_chunks_theLargestChunkSizes() public view {
        bytes memory data = _threeBlocksWhole();
        uint256[3] memory sizes = [uint256(5), type(uint256).max - 1, type(uint256).max];
        for (uint256 k; k < 3; k++) {
            assertEq(h.decodeHeader(data, sizes[k]).chunkCount, 4, "two beginnings and two chunks");
            h.validate(data, sizes[k]);
            assertEq(h.locateChunk(data, sizes[k], 1).txCount, 5, "the first block's five");
            assertEq(h.locateChunk(data, sizes[k], 3).txCount, 1, "the last block's one");
        }
    }

    /// @dev The same transactions, one per chunk: () (t0) (t1) (t2) (t3) (t4) () (t5).
    function _threeBlocksInSingles() internal pure returns (bytes memory) {
        (, BatchCodec.Tx[] memory txs) = _threeBlocks();
        bytes[] memory chunks = new bytes[](8);
        for (uint256 i; i < 6; i++) {
            chunks[i < 5 ? i + 1 : i + 2] = _encodeTx(txs[i], _tr());
        }
        return _batch(10, 1000, _arr(0, 2, 0), _arr(5, 0, 1), _tr(), chunks);
    }

    // =========================================================================================
    // Queue entries (§3.1): items, a chunk of its own for each entry, queue offsets.

    /// @notice A block of 3 entries alone between two blocks of one transaction: its entries'
    ///         chunks (chunks 3 to 5, after its beginning) hold one entry each, have no bytes
    ///         and decode to no transaction; a byte in one is a trailing byte.
    function test_queue_chunkOfEntriesAlone() public view {
        bytes memory a = _encodeTx(_transfer(0, 0, 0, 1e6), _tr());
        bytes memory b = _encodeTx(_transfer(1, 1e9, 2e9, 5), _tr());
        // () (a) () (e0) (e1) (e2) () (b), () a block's beginning.
        bytes[] memory chunks = new bytes[](8);
        (chunks[1], chunks[7]) = (a, b);
        bytes memory data = _batchQ(5, 1_700_000_000, _arr(0, 1, 1), _arr(0, 3, 0), _arr(1, 0, 1), _tr(), chunks);
        h.validate(data, 64);
        BatchCodec.Header memory hd = h.decodeHeader(data, 64);
        assertEq(hd.chunkCount, 8, "chunkCount");
        assertEq(hd.queueCount, 3, "queueCount");
        for (uint256 e; e < 3; e++) {
            BatchCodec.Chunk memory entry = h.locateChunk(data, 64, 3 + e);
            string memory what = string.concat("entry ", vm.toString(e));
            assertEq(entry.index, 3 + e, _cat(what, "index"));
            assertEq(entry.blockNumber, 6, _cat(what, "blockNumber"));
            assertEq(entry.queueOffset, e, _cat(what, "queueOffset"));
            assertEq(entry.queueCount, 1, _cat(what, "one entry"));
            assertEq(entry.txCount, 0, _cat(what, "txCount"));
            assertFalse(entry.heavy, _cat(what, "heavy"));
            assertEq(entry.length, 0, _cat(what, "chunk_len 0"));
            assertEq(entry.offset, hd.chunksOffset + a.length, _cat(what, "offset"));
            assertEq(h.decodeChunk(data, 64, 3 + e).length, 0, _cat(what, "no transaction"));
        }
        // Its block's beginning, before them, and the next block's, after them.
        _checkBeginning(data, 64, 2, 6, 0);
        _checkBeginning(data, 64, 6, 7, 3);
        // The transactions around them.
        BatchCodec.Chunk memory c = h.locateChunk(data, 64, 7);
        assertEq(c.blockNumber, 7, "blockNumber after");
        assertEq(c.queueOffset, 3, "queueOffset after");
        assertEq(c.queueCount, 0, "queueCount after");
        assertEq(c.txCount, 1, "txCount after");
        _checkSame(h.decodeChunk(data, 64, 7)[0], _transfer(1, 1e9, 2e9, 5), "after the entries");
        _checkSame(h.decodeChunk(data, 64, 1)[0], _transfer(0, 0, 0, 1e6), "before the entries");
        // A byte in the middle entry's chunk: trailing, in the batch and in the chunk alone.
        chunks[4] = abi.encodePacked(b[0]);
        chunks[7] = _slice(b, 1, b.length);
        bytes memory moved = _batchQ(5, 1_700_000_000, _arr(0, 1, 1), _arr(0, 3, 0), _arr(1, 0, 1), _tr(), chunks);
        _expectInvalid(moved, 64, BatchCodec.TrailingBytes.selector, "a byte in an entry's chunk");
        _expectChunkInvalid(moved, 64, 4, BatchCodec.TrailingBytes.selector, "the entry's chunk alone");
        // A block of entries alone: its beginning and a chunk an entry, none with bytes,
        // whatever the chunk size (0 taken as 1).
        data = _batchQ(5, 1_700_000_000, _arr(0), _arr(3), _arr(0), _tr(), new bytes[](4));
        uint256[5] memory sizes = [uint256(0), 1, 2, 64, type(uint256).max];
        for (uint256 i; i < sizes.length; i++) {
            h.validate(data, sizes[i]);
            assertEq(h.decodeHeader(data, sizes[i]).chunkCount, 4, "the beginning and 3 entries' chunks");
            c = h.locateChunk(data, sizes[i], 3);
            assertEq(c.queueOffset, 2, "third entry's chunk: offset");
            assertEq(c.queueCount, 1, "third entry's chunk: count");
            assertEq(h.decodeChunk(data, sizes[i], 2).length, 0, "second entry's chunk");
        }
    }

    /// @notice Chunk size 2, one block of 3 entries then 2 transactions: its beginning, a chunk
    ///         for each entry, then (t0 t1), with their queue offsets and bytes. Entries and
    ///         transactions never share a chunk, nor do two entries, under every chunk size.
    function test_queue_entriesAndTransactionsNeverShareAChunk() public view {
        BatchCodec.Tx[] memory txs = new BatchCodec.Tx[](2);
        txs[0] = _transfer(0, 0, 0, 1e6);
        txs[1] = _transfer(1, 1e9, 2e9, 12_345);
        bytes[] memory chunks = new bytes[](5);
        chunks[4] = abi.encodePacked(_encodeTx(txs[0], _tr()), _encodeTx(txs[1], _tr()));
        bytes memory data = _batchQ(9, 1000, _arr(0), _arr(3), _arr(2), _tr(), chunks);
        h.validate(data, 2);
        BatchCodec.Header memory hd = h.decodeHeader(data, 2);
        assertEq(hd.chunkCount, 5, "the beginning, 3 entries' chunks, 2 transactions in one chunk of 2");
        assertEq(hd.queueCount, 3, "queueCount");
        // Chunk k: entry k − 1 for k = 1 … 3 (queue offsets 0, 0, 1, 2, 3), then both
        // transactions in chunk 4, the only one with bytes.
        uint256 at = hd.chunksOffset;
        for (uint256 k; k < 5; k++) {
            BatchCodec.Chunk memory c = h.locateChunk(data, 2, k);
            string memory what = string.concat("chunk ", vm.toString(k));
            assertEq(c.blockNumber, 9, _cat(what, "blockNumber"));
            assertEq(c.queueCount, k >= 1 && k <= 3 ? 1 : 0, _cat(what, "queueCount"));
            assertEq(c.queueOffset, k == 0 ? 0 : k - 1, _cat(what, "queueOffset"));
            assertEq(c.txCount, k < 4 ? 0 : 2, _cat(what, "txCount"));
            assertEq(c.length, k < 4 ? 0 : chunks[4].length, _cat(what, "length"));
            assertEq(c.offset, at, _cat(what, "offset"));
            at += c.length;
            BatchCodec.Tx[] memory decoded = h.decodeChunk(data, 2, k);
            assertEq(decoded.length, c.txCount, _cat(what, "decoded"));
            for (uint256 j; j < decoded.length; j++) {
                _checkSame(decoded[j], txs[j], what);
            }
        }
        assertEq(at, data.length, "chunks fill the data");
        // An entry's chunk given the first transaction (and the transactions' chunk the second
        // alone): the entry's chunk holds no transaction, so its bytes are trailing.
        (chunks[3], chunks[4]) = (_encodeTx(txs[0], _tr()), _encodeTx(txs[1], _tr()));
        bytes memory mixed = _batchQ(9, 1000, _arr(0), _arr(3), _arr(2), _tr(), chunks);
        _expectInvalid(mixed, 2, BatchCodec.TrailingBytes.selector, "a transaction in an entry's chunk");
        _expectChunkInvalid(mixed, 2, 3, BatchCodec.TrailingBytes.selector, "the entry's chunk alone");
        // Chunk sizes 0 (taken as 1) to 6, each after the beginning: (e)(e)(e)(t0)(t1) for 1,
        // (e)(e)(e)(t0 t1) for the others.
        for (uint256 cs; cs <= 6; cs++) {
            _checkCutAt(cs, txs);
        }
    }

    /// @dev The one block 9 of 3 entries and the 2 transactions `txs` in chunks of `cs` (0 taken
    ///      as 1): validates, and checks its beginning, then each chunk's entries, offset and
    ///      transactions.
    function _checkCutAt(uint256 cs, BatchCodec.Tx[] memory txs) internal view {
        uint256 size = cs == 0 ? 1 : cs;
        Cut memory c = _cut(txs, _arr(3), _arr(2), size, _tr());
        bytes memory data = _batchOf(9, _arr(0), _arr(3), _arr(2), c, _tr());
        h.validate(data, cs);
        BatchCodec.Header memory hd = h.decodeHeader(data, cs);
        assertEq(hd.chunkCount, 1 + 3 + (2 + size - 1) / size, "chunk count");
        assertEq(hd.chunkSize, size, "chunk size");
        _checkBeginning(data, cs, 0, 9, 0);
        _checkCut(data, cs, 9, txs, c);
    }

    /// @dev Chunk `k` of `data` is a block's beginning: in block `number`, after `queueOffset`
    ///      entries of the batch, without item or byte, and it decodes to no transaction.
    function _checkBeginning(bytes memory data, uint256 cs, uint256 k, uint256 number, uint256 queueOffset)
        internal
        view
    {
        BatchCodec.Chunk memory c = h.locateChunk(data, cs, k);
        assertEq(c.index, k, "beginning: index");
        assertEq(c.blockNumber, number, "beginning: blockNumber");
        assertEq(c.queueOffset, queueOffset, "beginning: queueOffset");
        assertEq(c.queueCount, 0, "beginning: queueCount");
        assertEq(c.txCount, 0, "beginning: txCount");
        assertFalse(c.heavy, "beginning: heavy");
        assertEq(c.length, 0, "beginning: length");
        assertEq(h.decodeChunk(data, cs, k).length, 0, "beginning: no transaction");
    }

    /// @dev Blocks 10 (1 entry, 1 tx), 11 (2 txs), 12 (4 entries), 13 (2 entries, 1 tx) in
    ///      chunks of 2: () (e0) (t0) () (t1 t2) () (e1) (e2) (e3) (e4) () (e5) (e6) (t3), () a
    ///      block's beginning.
    function _queueBlocks() internal pure returns (bytes memory data, BatchCodec.Tx[] memory txs) {
        txs = new BatchCodec.Tx[](4);
        for (uint256 i; i < 4; i++) {
            txs[i] = _transfer(_u64(i), 0, 0, (i + 1) * 1e6);
        }
        bytes[] memory chunks = new bytes[](14);
        chunks[2] = _encodeTx(txs[0], _tr());
        chunks[4] = abi.encodePacked(_encodeTx(txs[1], _tr()), _encodeTx(txs[2], _tr()));
        chunks[13] = _encodeTx(txs[3], _tr());
        data = _batchQ(10, 1000, _arr(0, 1, 0, 3), _arr(1, 0, 4, 2), _arr(1, 2, 0, 1), _tr(), chunks);
    }

    /// @notice Entries in several blocks: each chunk's queue offset counts the entries of every
    ///         chunk before it, across blocks (a block's beginning: those of the blocks before);
    ///         the header's queue count is their sum.
    function test_queue_offsetsRunAcrossBlocks() public view {
        (bytes memory data, BatchCodec.Tx[] memory txs) = _queueBlocks();
        h.validate(data, 2);
        BatchCodec.Header memory hd = h.decodeHeader(data, 2);
        assertEq(hd.chunkCount, 14, "chunkCount");
        assertEq(hd.queueCount, 7, "queueCount: 1 + 0 + 4 + 2");
        uint256[14] memory blocks = [uint256(10), 10, 10, 11, 11, 12, 12, 12, 12, 12, 13, 13, 13, 13];
        uint256[14] memory offsets = [uint256(0), 0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 7];
        uint256[14] memory entries = [uint256(0), 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0];
        uint256[14] memory counts = [uint256(0), 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        uint256 next;
        for (uint256 k; k < 14; k++) {
            BatchCodec.Chunk memory c = h.locateChunk(data, 2, k);
            string memory what = string.concat("chunk ", vm.toString(k));
            assertEq(c.blockNumber, blocks[k], _cat(what, "blockNumber"));
            assertEq(c.l1BytePrice, _price(blocks[k] - 10), _cat(what, "l1BytePrice"));
            assertEq(c.queueOffset, offsets[k], _cat(what, "queueOffset"));
            assertEq(c.queueCount, entries[k], _cat(what, "queueCount"));
            assertEq(c.txCount, counts[k], _cat(what, "txCount"));
            BatchCodec.Tx[] memory decoded = h.decodeChunk(data, 2, k);
            assertEq(decoded.length, counts[k], _cat(what, "decoded"));
            for (uint256 j; j < decoded.length; j++) {
                _checkSame(decoded[j], txs[next++], what);
            }
        }
        _queueBlocksInOtherChunkSizes(txs);
    }

    /// @dev The blocks of `_queueBlocks` in chunks of 1: () (e0) (t0) () (t1) (t2) () (e1) (e2)
    ///      (e3) (e4) () (e5) (e6) (t3); in chunks of 3, the cut of chunks of 2 (no run of
    ///      transactions is longer): the entries' chunks do not depend on the chunk size.
    function _queueBlocksInOtherChunkSizes(BatchCodec.Tx[] memory txs) internal view {
        uint256[] memory queues = _arr(1, 0, 4, 2);
        uint256[] memory txCounts = _arr(1, 2, 0, 1);
        for (uint256 cs = 1; cs <= 3; cs += 2) {
            Cut memory c = _cut(txs, queues, txCounts, cs, _tr());
            bytes memory data = _batchOf(10, _arr(0, 1, 0, 3), queues, txCounts, c, _tr());
            h.validate(data, cs);
            assertEq(h.decodeHeader(data, cs).chunkCount, cs == 1 ? 15 : 14, "chunks of 1 and 3");
            _checkCut(data, cs, 10, txs, c);
            BatchCodec.Chunk memory last = h.locateChunk(data, cs, cs == 1 ? 14 : 13);
            assertEq(last.queueOffset, 7, "last chunk: queueOffset");
            assertEq(last.queueCount, 0, "last chunk: queueCount");
            assertEq(last.txCount, 1, "last chunk: txCount");
        }
    }

    /// @notice Every queue entry takes a chunk of its own (§3.1): 2^64 − 1 entries in one
    ///         block need 2^64 chunks whatever the chunk size, far more than the bytes left:
    ///         `Truncated`, not an overflow or a panic; so do two such blocks (chunks past 64
    ///         bits). Entries within the bytes left but past 256 chunks are `TooLarge`, checked
    ///         after (§3.5, as the Rust `decode_header`): a beginning and 255 entries decode, one
    ///         entry more does not.
    function test_queue_hugeQueueCount() public view {
        bytes memory huge = _withQueueCount(hex"ffffffffffffffffff01", 2);
        uint256[10] memory sizes =
            [uint256(0), 1, 2, 64, 2 ** 32, 2 ** 63, 2 ** 64 - 2, 2 ** 64 - 1, 2 ** 64, type(uint256).max];
        for (uint256 i; i < sizes.length; i++) {
            _expectInvalid(huge, sizes[i], BatchCodec.Truncated.selector, "2^64 - 1 entries");
            _expectChunkInvalid(huge, sizes[i], 1, BatchCodec.Truncated.selector, "2^64 - 1 entries, chunk 1");
            _expectHeaderInvalid(huge, sizes[i], BatchCodec.Truncated.selector, "2^64 - 1 entries, the header");
        }
        // Two blocks of 2^64 − 1 entries, the second with a transaction too: 2^65 + 1 chunks.
        uint256 max = type(uint64).max;
        bytes[] memory chunks = new bytes[](5);
        chunks[4] = _encodeTx(_transfer(0, 0, 0, 1e6), _tr());
        bytes memory data = _batchQ(5, 1000, _arr(0, 0), _arr(max, max), _arr(0, 1), _tr(), chunks);
        for (uint256 i; i < sizes.length; i++) {
            _expectInvalid(data, sizes[i], BatchCodec.Truncated.selector, "2 blocks of 2^64 - 1 entries");
            _expectChunkInvalid(data, sizes[i], 4, BatchCodec.Truncated.selector, "2 blocks: chunk 4");
        }
        // 320 entries: 321 chunks. With a length for each, `TooLarge`; with a length short,
        // `Truncated` first.
        _expectInvalid(_withQueueCount(hex"c002", 321), 64, BatchCodec.TooLarge.selector, "321 chunks");
        _expectInvalid(_withQueueCount(hex"c002", 320), 64, BatchCodec.Truncated.selector, "321 chunks, 320 bytes");
        // 319 entries: 320 chunks, the bound.
        data = _withQueueCount(hex"bf02", 320);
        h.validate(data, 64);
        BatchCodec.Header memory hd = h.decodeHeader(data, 64);
        assertEq(hd.chunkCount, 320, "320 chunks");
        assertEq(hd.queueCount, 319, "queueCount");
        BatchCodec.Chunk memory c = h.locateChunk(data, 64, 319);
        assertEq(c.queueOffset, 318, "the last entry's chunk: queueOffset");
        assertEq(c.queueCount, 1, "the last entry's chunk: one entry");
        assertEq(h.decodeChunk(data, 64, 319).length, 0, "decodes to nothing");
        _expectChunkInvalid(data, 64, 320, BatchCodec.ChunkIndexOutOfRange.selector, "past the last");
    }

    /// @dev `decodeHeader` refuses `data` with `expected`.
    function _expectHeaderInvalid(bytes memory data, uint256 chunkSize, bytes4 expected, string memory what)
        internal
        view
    {
        try h.decodeHeader(data, chunkSize) {
            fail(string.concat(what, ": decodeHeader accepted the data"));
        } catch (bytes memory reason) {
            assertTrue(_isCodecError(reason, false), string.concat(what, ": not a codec error"));
            assertEq(bytes32(_selectorOf(reason)), bytes32(expected), string.concat(what, ": error"));
        }
    }

    /// @notice Version 1 (blocks without queue counts) is refused: the worked example as
    ///         version 1 wrote it, and today's with its version byte set to 1.
    function test_queue_versionOneRefused() public view {
        bytes memory v1 = abi.encodePacked(hex"010580e2cfaa06010001", hex"02", T, R, hex"45", hex"0f00650126", R0, S0);
        bytes memory v2 = _example(R0, S0);
        v2[0] = 0x01;
        bytes memory expected = abi.encodeWithSelector(BatchCodec.UnknownVersion.selector, uint8(1));
        for (uint256 i; i < 2; i++) {
            bytes memory data = i == 0 ? v1 : v2;
            _expectVersionRefused(data, 1);
            try h.decodeChunk(data, 64, 0) {
                fail("decodeChunk accepted version 1");
            } catch (bytes memory reason) {
                _eqBytes(reason, expected, "decodeChunk: UnknownVersion(1)");
            }
            try h.decodeHeader(data, 64) {
                fail("decodeHeader accepted version 1");
            } catch (bytes memory reason) {
                _eqBytes(reason, expected, "decodeHeader: UnknownVersion(1)");
            }
        }
    }

    /// @notice The header's queue count is the sum of the blocks' queue counts (blocks of
    ///         entries alone, each its beginning and a chunk an entry, whatever the chunk size;
    ///         at most 63 a block, so that their chunks stay within the bound of 256).
    function testFuzz_queue_headerQueueCountIsTheSum(uint64[4] memory q, uint8 blocks) public view {
        uint256 n = 1 + blocks % 4;
        uint256[] memory queues = new uint256[](n);
        uint256 sum;
        uint256 chunkCount;
        for (uint256 i; i < n; i++) {
            queues[i] = q[i] % 64;
            sum += queues[i];
            if (queues[i] != 0) chunkCount += 1 + queues[i];
        }
        bytes memory data =
            _batchQ(1, 1, new uint256[](n), queues, new uint256[](n), new address[](0), new bytes[](chunkCount));
        uint256 cs = blocks >= 128 ? type(uint256).max : 1 + blocks % 8;
        BatchCodec.Header memory hd = h.decodeHeader(data, cs);
        assertEq(hd.queueCount, sum, "sum");
        assertEq(hd.chunkCount, chunkCount, "a beginning and a chunk an entry per block with entries");
        h.validate(data, cs);
    }

    // =========================================================================================
    // Transactions (§3.3): fields, operations and their errors.

    /// @dev A signed EIP-1559 transfer of `amount` from KEY with the given fees.
    function _transfer(uint64 nonce, uint128 tip, uint128 maxFee, uint256 amount)
        internal
        pure
        returns (BatchCodec.Tx memory t)
    {
        t.eip1559 = true;
        t.nonce = nonce;
        t.gasLimit = 300_000;
        t.to = SYSTEM;
        t.maxPriorityFeePerGas = tip;
        t.maxFeePerGas = maxFee;
        t.input = _transferInput(T, R, amount);
        _sign(t, KEY);
    }

    /// @dev The codec bytes of one transaction with `head` instead of its own head byte.
    function _withHead(bytes memory txBytes, uint8 head) internal pure returns (bytes memory out) {
        out = bytes.concat(txBytes);
        out[0] = bytes1(head);
    }

    function _single(bytes memory txBytes) internal pure returns (bytes memory) {
        return _oneBlock(txBytes, 1, _tr());
    }

    function test_tx_headRules() public view {
        bytes memory ok = _encodeTx(_transfer(0, 0, 0, 1e6), _tr());
        h.validate(_single(ok), 64);
        uint8 head = uint8(ok[0]);
        bytes4 invalid = BatchCodec.InvalidField.selector;
        // Bit 6 makes the same bytes a token call: ERC-20 transfer of token T to R.
        BatchCodec.Tx memory asToken = h.decodeChunk(_single(_withHead(ok, head | 0x40)), 64, 1)[0];
        assertEq(asToken.to, T, "bit 6: a token call of T");
        _eqBytes(asToken.input, abi.encodeWithSelector(bytes4(0xa9059cbb), R, 1e6), "bit 6: ERC-20 transfer");
        // Bit 7 writes the pair's second address inline: the pair byte (01) is then the first's
        // index, and the 20 bytes after it run past the chunk.
        _expectInvalid(_single(_withHead(ok, head | 0x80)), 64, BatchCodec.Truncated.selector, "bit 7");
        // Raw calldata and an extended operation have no pair to write inline.
        _expectInvalid(_single(_withHead(ok, head & 0xc7 | 0x80)), 64, invalid, "bit 7 on raw calldata");
        _expectInvalid(_single(_withHead(ok, head | 0xb8)), 64, invalid, "bit 7 on an extended operation");
        // Operation 6 is withdraw, which takes two addresses and one amount like transfer.
        h.validate(_single(_withHead(ok, (head & 0xc7) | (6 << 3))), 64);
        _expectInvalid(_single(_withHead(ok, (head & 0xc7) | (7 << 3))), 64, invalid, "operation 7");
        // Zero fees written out instead of the default-fees bit (the defaults are zero).
        bytes memory written = abi.encodePacked(
            uint8(head & 0xfb), hex"0065", hex"0000", hex"01", hex"26", bytes32(uint256(1)), bytes32(uint256(2))
        );
        _expectInvalid(_single(written), 64, invalid, "EIP-1559 fees 0 and 0 without the bit");
        written = abi.encodePacked(
            uint8(head & 0xfa), hex"0065", hex"00", hex"01", hex"26", bytes32(uint256(1)), bytes32(uint256(2))
        );
        _expectInvalid(_single(written), 64, invalid, "legacy gas price 0 without the bit");
        // One of the two EIP-1559 fees may be 0.
        h.validate(_single(_encodeTx(_transfer(0, 0, 7, 1e6), _tr())), 64);
        h.validate(_single(_encodeTx(_transfer(0, 7, 0, 1e6), _tr())), 64);
    }

    /// @notice Head bit 1 takes the batch's default gas limit (no field follows); the default
    ///         written out is refused, any other gas limit is read (§3.3).
    function test_tx_defaultGasBit() public view {
        bytes32 r = bytes32(uint256(1));
        bytes32 s = bytes32(uint256(2));
        // The header's default gas limit (byte 1) set to 65, 300000.
        bytes memory data = _single(abi.encodePacked(hex"0f0001", hex"26", r, s));
        data[1] = 0x65;
        BatchCodec.Tx memory t = h.decodeChunk(data, 64, 1)[0];
        assertEq(t.gasLimit, 300_000, "the default");
        assertEq(t.billedBytes, 70, "billed as written out, one byte");
        data = _single(abi.encodePacked(hex"0d006601", hex"26", r, s));
        data[1] = 0x65;
        assertEq(h.decodeChunk(data, 64, 1)[0].gasLimit, 3_000_000, "another, written out");
        data = _single(abi.encodePacked(hex"0d006501", hex"26", r, s));
        data[1] = 0x65;
        _expectInvalid(data, 64, BatchCodec.InvalidField.selector, "the default written out");
        // Under zero defaults the bit reads a gas limit of 0.
        assertEq(h.decodeChunk(_single(abi.encodePacked(hex"0f0001", hex"26", r, s)), 64, 1)[0].gasLimit, 0, "0");
    }

    /// @notice The y-parity is the top bit of the word `s` is written in, and `s` the rest.
    function test_tx_parityInS() public view {
        bytes32 r = bytes32(uint256(1));
        BatchCodec.Tx memory t =
            h.decodeChunk(_single(abi.encodePacked(hex"0d006501", hex"26", r, bytes32(uint256(2)))), 64, 1)[0];
        assertFalse(t.yParity, "parity 0");
        assertEq(t.s, bytes32(uint256(2)), "s");
        t = h.decodeChunk(
            _single(abi.encodePacked(hex"0d006501", hex"26", r, bytes32(uint256(1 << 255 | 2)))), 64, 1
        )[0];
        assertTrue(t.yParity, "parity 1");
        assertEq(t.s, bytes32(uint256(2)), "s without the parity");
    }

    function test_tx_fieldErrors() public view {
        // head 0d (EIP-1559, zero fees, transfer), nonce 00, gas 65, pair 01, amount 26.
        bytes32 r = bytes32(uint256(1));
        bytes32 s = bytes32(uint256(2));
        bytes4 bad = BatchCodec.BadInteger.selector;
        h.validate(_single(abi.encodePacked(hex"0d006501", hex"26", r, s)), 64);
        _expectInvalid(_single(abi.encodePacked(hex"0d80006501", hex"26", r, s)), 64, bad, "overlong nonce");
        _expectInvalid(_single(abi.encodePacked(hex"0d000501", hex"26", r, s)), 64, bad, "gas limit m = 0, e = 5");
        _expectInvalid(_single(abi.encodePacked(hex"0d003401", hex"26", r, s)), 64, bad, "gas limit 10^20");
        _expectInvalid(_single(abi.encodePacked(hex"0d00c00201", hex"26", r, s)), 64, bad, "gas limit m = 10");
        // Fees: 10^39 is beyond 128 bits (m = 10^8, e = 31).
        bytes memory fee = _num(1e39);
        _expectInvalid(_single(abi.encodePacked(hex"090065", hex"20", fee, hex"01", hex"26", r, s)), 64, bad, "fee");
        _expectInvalid(_single(abi.encodePacked(hex"080065", fee, hex"01", hex"26", r, s)), 64, bad, "gas price");
        // Amount: m = 2^254 - 1 (tail of 252 + 2 bits) times 10^31 overflows 256 bits.
        bytes memory tail = new bytes(37);
        for (uint256 i; i < 36; i++) {
            tail[i] = 0xff;
        }
        tail[36] = 0x03;
        _expectInvalid(_single(abi.encodePacked(hex"0d006501", hex"ff", tail, r, s)), 64, bad, "amount over 256 bits");
        // The registry pair: below R² = 4.
        bytes4 invalid = BatchCodec.InvalidField.selector;
        h.validate(_single(abi.encodePacked(hex"0d006503", hex"26", r, s)), 64);
        _expectInvalid(_single(abi.encodePacked(hex"0d006504", hex"26", r, s)), 64, invalid, "pair 4 of R = 2");
        // Refused before the rest is read, even if it is cut (a registry of 4 keeps the header's
        // bound of 67 bytes per transaction satisfied).
        _expectInvalid(_oneBlock(hex"0d006510", 1, _four()), 64, invalid, "pair 16 of R = 4");
        _expectInvalid(
            _single(abi.encodePacked(hex"0d00658080808080808080808002", hex"26", r, s)), 64, bad, "pair over 64 bits"
        );
        // Pair 14 = 3 * 4 + 2 with R = 4.
        BatchCodec.Tx[] memory txs =
            h.decodeChunk(_oneBlock(abi.encodePacked(hex"0d00650e", hex"26", r, s), 1, _four()), 64, 1);
        _eqBytes(txs[0].input, _transferInput(address(0xCAFE), address(0xBEEF), 1e6), "pair 14 of R = 4");
        // No registry: every pair is out of range (no heavy run, chunk lengths 0, the
        // beginning's, and 69).
        bytes memory noRegistry =
            abi.encodePacked(hex"0800000005000100000100", hex"00", hex"00", hex"0045", hex"0d006500", hex"26", r, s);
        _expectInvalid(noRegistry, 64, invalid, "pair 0 of R = 0");
        // The signature: 64 bytes.
        bytes4 trunc = BatchCodec.Truncated.selector;
        _expectInvalid(
            _single(abi.encodePacked(hex"0d006501", hex"26", r, _slice(abi.encodePacked(s), 0, 31))), 64, trunc, "s cut"
        );
        _expectInvalid(_oneBlock(hex"0d006501", 1, _four()), 64, trunc, "amount missing");
        _expectInvalid(_oneBlock(hex"", 1, _four()), 64, trunc, "empty chunk");
        _expectChunkInvalid(_oneBlock(hex"", 1, _four()), 64, 1, trunc, "empty chunk alone");
    }

    function test_tx_rawCalldata() public view {
        bytes32 r = bytes32(uint256(1));
        bytes32 s = bytes32(uint256(2));
        // Raw calldata (op 0) that has no compact form.
        bytes[] memory inputs = new bytes[](7);
        inputs[0] = "";
        inputs[1] = hex"7f";
        inputs[2] = hex"80";
        inputs[3] = hex"beabacc8";
        inputs[4] = abi.encodePacked(_transferInput(T, R, 1), hex"00"); // one byte too long
        inputs[5] = abi.encodeWithSelector(bytes4(0xbeabacc8), uint256(1) << 160, R, 1); // dirty address word
        inputs[6] = abi.encodeWithSignature("createToken(string,uint256)", "Token", 1e24);
        for (uint256 i; i < inputs.length; i++) {
            BatchCodec.Tx memory t = _transfer(_u64(i), 0, 0, 0);
            t.input = inputs[i];
            _sign(t, KEY);
            bytes memory enc = _encodeTx(t, _tr());
            assertEq(uint8(enc[0]) >> 3, 0, "raw");
            BatchCodec.Tx[] memory txs = h.decodeChunk(_single(enc), 64, 1);
            _eqBytes(txs[0].input, inputs[i], "raw input");
            _eqBytes(h.encodeSigned(txs[0], CHAIN_ID), _refEncode(t, CHAIN_ID, true), "signed");
            assertEq(h.recoverSender(txs[0], CHAIN_ID), vmx.addr(KEY), "sender");
        }
        // Raw calldata of every compact operation is refused.
        bytes[] memory compact = new bytes[](5);
        compact[0] = _transferInput(T, R, 1);
        compact[1] = abi.encodeWithSelector(bytes4(0xfe029156), T, R, 1, 2);
        compact[2] = abi.encodeWithSelector(bytes4(0x884db063), T, R, 1, 2);
        compact[3] = abi.encodeWithSelector(bytes4(0x91c98a2a), T, R, 1, 2, 3);
        compact[4] = abi.encodeWithSelector(bytes4(0xe2dc85dc), T, R, 1, 2, 3);
        for (uint256 i; i < 5; i++) {
            bytes memory enc = abi.encodePacked(hex"050065", _varint(compact[i].length), compact[i], r, s);
            _expectInvalid(_single(enc), 64, BatchCodec.InvalidField.selector, "raw calldata with a compact form");
        }
        // An input length beyond the chunk.
        _expectInvalid(
            _single(abi.encodePacked(hex"05006581", hex"01", new bytes(100))), 64, BatchCodec.Truncated.selector, "len"
        );
    }

    /// @notice Each compact operation rebuilds its canonical calldata (§3.3.1).
    function test_tx_compactOperations() public view {
        bytes[] memory inputs = new bytes[](5);
        inputs[0] = _transferInput(R, T, 12_345);
        inputs[1] = abi.encodeWithSelector(bytes4(0xfe029156), T, R, 1.5e18, 0);
        inputs[2] = abi.encodeWithSelector(bytes4(0x884db063), T, R, type(uint256).max, 1e30);
        inputs[3] = abi.encodeWithSelector(bytes4(0x91c98a2a), R, R, 1, 2, 3);
        inputs[4] = abi.encodeWithSelector(bytes4(0xe2dc85dc), T, T, 0, 10, 1e77);
        for (uint256 i; i < 5; i++) {
            BatchCodec.Tx memory t = _transfer(_u64(1000 * i), 1, 2e9, 0);
            t.input = inputs[i];
            t.eip1559 = i % 2 == 0;
            if (!t.eip1559) t.maxPriorityFeePerGas = 0;
            _sign(t, KEY);
            bytes memory enc = _encodeTx(t, _tr());
            assertEq(uint8(enc[0]) >> 3, i + 1, "operation code");
            BatchCodec.Tx memory d = h.decodeChunk(_single(enc), 64, 1)[0];
            _checkSame(d, t, "operation");
            assertEq(h.recoverSender(d, CHAIN_ID), vmx.addr(KEY), "sender");
        }
    }

    /// @notice The bytes the L1 data fee bills (docs/fees.md §2.2): a transaction's encoding
    ///         with each registry reference, a pair or an index, counted as 2 bytes whatever its
    ///         width (1 to 3 bytes here, in a registry of 300); raw calldata has none.
    function test_tx_billedBytes() public view {
        address[] memory reg = new address[](300);
        for (uint256 i; i < reg.length; i++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            reg[i] = address(uint160(0x1000 + i)); // below 2^160
        }
        // Each transaction: the bytes before its references, the references, the bytes after
        // them (the signature added below), and how many references.
        bytes[3][8] memory parts = [
            // A system transfer (head 0f: operation 1, zero fees) of pair 0·300 + 1: one byte.
            [bytes(hex"0d0065"), _varint(1), bytes(hex"26")],
            // Pair 1·300 + 2: two bytes.
            [bytes(hex"0d0065"), _varint(302), bytes(hex"26")],
            // Pair 299·300 + 299: three bytes.
            [bytes(hex"0d0065"), _varint(89_999), bytes(hex"26")],
            // A token approve (head 57) of pair 0·300 + 3.
            [bytes(hex"550065"), _varint(3), bytes(hex"26")],
            // A token transferFrom (head 5f): pair 5·300 + 6 (two bytes), then index 299 (two).
            [bytes(hex"5d0065"), abi.encodePacked(_varint(1506), _varint(299)), bytes(hex"26")],
            // A transfer of ether (head 67) to index 4 (one byte), then to index 299 (two).
            [bytes(hex"650065"), _varint(4), bytes(hex"26")],
            [bytes(hex"650065"), _varint(299), bytes(hex"26")],
            // Raw calldata (head 07, operation 0): one byte of input, no reference.
            [bytes(hex"050065"), bytes(""), bytes(hex"017f")]
        ];
        uint256[8] memory refs = [uint256(1), 1, 1, 1, 2, 1, 1, 0];
        // What each bills, counted by hand: head, nonce and gas limit (3), the references (2
        // each), the amount (1) or the input and its length (2), the signature (64).
        uint256[8] memory expected = [uint256(70), 70, 70, 70, 72, 70, 70, 69];
        bytes memory chunk;
        for (uint256 i; i < parts.length; i++) {
            chunk = abi.encodePacked(chunk, parts[i][0], parts[i][1], parts[i][2], R0, S0);
        }
        BatchCodec.Tx[] memory txs = h.decodeChunk(_oneBlock(chunk, parts.length, reg), 64, 1);
        assertEq(txs.length, parts.length, "every transaction");
        for (uint256 i; i < parts.length; i++) {
            string memory what = string.concat("transaction ", vm.toString(i));
            uint256 length = parts[i][0].length + parts[i][1].length + parts[i][2].length + 64;
            assertEq(txs[i].billedBytes, length - parts[i][1].length + 2 * refs[i], what);
            assertEq(txs[i].billedBytes, expected[i], what);
        }
        assertEq(txs[4].to, reg[5], "transferFrom: the token");
        assertEq(txs[6].to, reg[299], "ether: the recipient");
    }

    /// @dev `d` (decoded) equals `t` field by field, and rebuilds its reference encodings.
    function _checkSame(BatchCodec.Tx memory d, BatchCodec.Tx memory t, string memory what) internal view {
        assertEq(d.eip1559, t.eip1559, string.concat(what, ": eip1559"));
        assertEq(d.yParity, t.yParity, string.concat(what, ": yParity"));
        assertEq(d.nonce, t.nonce, string.concat(what, ": nonce"));
        assertEq(d.gasLimit, t.gasLimit, string.concat(what, ": gasLimit"));
        assertEq(d.to, t.to, string.concat(what, ": to"));
        assertEq(d.value, t.value, string.concat(what, ": value"));
        assertEq(d.maxPriorityFeePerGas, t.maxPriorityFeePerGas, string.concat(what, ": tip"));
        assertEq(d.maxFeePerGas, t.maxFeePerGas, string.concat(what, ": maxFee"));
        assertEq(d.r, t.r, string.concat(what, ": r"));
        assertEq(d.s, t.s, string.concat(what, ": s"));
        _eqBytes(d.input, t.input, string.concat(what, ": input"));
        assertEq(d.heavy, t.heavy, string.concat(what, ": heavy"));
        bytes memory signed = _refEncode(t, CHAIN_ID, true);
        _eqBytes(h.encodeSigned(d, CHAIN_ID), signed, string.concat(what, ": signed"));
        assertEq(h.txHash(d, CHAIN_ID), keccak256(signed), string.concat(what, ": txHash"));
        assertEq(
            h.signingHash(d, CHAIN_ID), keccak256(_refEncode(t, CHAIN_ID, false)), string.concat(what, ": sigHash")
        );
    }

    /// @notice A legacy (EIP-155) transaction: gas price in `maxFeePerGas`, v = 35 + 2·chainId + parity.
    function test_tx_legacy() public view {
        BatchCodec.Tx memory t = _transfer(7, 0, 3e9, 5e17);
        t.eip1559 = false;
        _sign(t, KEY);
        bytes memory enc = _encodeTx(t, _tr());
        assertEq(uint8(enc[0]) & 1, 0, "legacy head");
        BatchCodec.Tx memory d = h.decodeChunk(_single(enc), 64, 1)[0];
        _checkSame(d, t, "legacy");
        assertEq(d.maxPriorityFeePerGas, 0, "no tip");
        assertEq(h.recoverSender(d, CHAIN_ID), vmx.addr(KEY), "sender");
        bytes memory signed = h.encodeSigned(d, CHAIN_ID);
        // rlp([nonce 07, gasPrice 84b2d05e00, gas 830493e0, to, 80, b864 data, v, r, s]):
        // v = 35 + 84138 + parity = 0x01 48cd / 0x01 48ce, written 83 0148cd.
        bytes memory v = d.yParity ? bytes(hex"830148ce") : bytes(hex"830148cd");
        bytes memory prefix =
            abi.encodePacked(hex"0784b2d05e00830493e094", SYSTEM, hex"80b864", _transferInput(T, R, 5e17), v);
        assertEq(uint8(signed[0]), 0xf8, "list of 56 to 255 bytes");
        assertEq(uint8(signed[1]), signed.length - 2, "list length");
        for (uint256 i; i < prefix.length; i++) {
            assertEq(uint8(signed[2 + i]), uint8(prefix[i]), "legacy fields");
        }
    }

    function test_recoverSender_refusals() public view {
        BatchCodec.Tx memory t = _transfer(0, 0, 0, 1e6);
        address signer = vmx.addr(KEY);
        assertEq(h.recoverSender(t, CHAIN_ID), signer, "valid");
        // The high-s twin (n - s, other parity) recovers the same key in ecrecover: refused.
        uint256 n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
        BatchCodec.Tx memory twin = _copy(t);
        twin.s = bytes32(n - uint256(t.s));
        twin.yParity = !t.yParity;
        assertEq(ecrecover(h.signingHash(twin, CHAIN_ID), twin.yParity ? 28 : 27, twin.r, twin.s), signer, "twin");
        assertEq(h.recoverSender(twin, CHAIN_ID), address(0), "high s");
        BatchCodec.Tx memory x = _copy(t);
        x.r = 0;
        assertEq(h.recoverSender(x, CHAIN_ID), address(0), "r = 0");
        x = _copy(t);
        x.s = 0;
        assertEq(h.recoverSender(x, CHAIN_ID), address(0), "s = 0");
        x = _copy(t);
        x.r = bytes32(n);
        assertEq(h.recoverSender(x, CHAIN_ID), address(0), "r = n");
        x = _copy(t);
        x.r = bytes32(type(uint256).max);
        assertEq(h.recoverSender(x, CHAIN_ID), address(0), "r > n");
        x = _copy(t);
        x.s = bytes32(BatchCodec.HALF_N + 1);
        assertEq(h.recoverSender(x, CHAIN_ID), address(0), "s = n/2 + 1");
        x.s = bytes32(BatchCodec.HALF_N);
        h.recoverSender(x, CHAIN_ID); // allowed: whatever ecrecover gives
    }

    function _copy(BatchCodec.Tx memory t) internal pure returns (BatchCodec.Tx memory c) {
        c = BatchCodec.Tx(
            t.eip1559,
            t.yParity,
            t.nonce,
            t.gasLimit,
            t.to,
            t.value,
            t.maxPriorityFeePerGas,
            t.maxFeePerGas,
            t.input,
            t.r,
            t.s,
            t.billedBytes,
            t.heavy
        );
    }

    function test_chainIdTooLarge() public {
        BatchCodec.Tx memory t = _transfer(0, 0, 0, 1e6);
        uint256 big = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(BatchCodec.ChainIdTooLarge.selector, big));
        h.encodeSigned(t, big);
        vm.expectRevert(abi.encodeWithSelector(BatchCodec.ChainIdTooLarge.selector, big));
        h.recoverSender(t, big);
        t.eip1559 = false;
        h.encodeSigned(t, type(uint64).max); // the largest chain id: v still fits
    }

    // =========================================================================================
    // Token calls (§3.3.2): head bit 6, a call of a token's ERC-20 face.

    /// @dev A signed EIP-1559 token call of `token` with `input` from KEY, zero fees.
    function _tokenCall(address token, bytes memory input) internal pure returns (BatchCodec.Tx memory t) {
        t.eip1559 = true;
        t.nonce = 3;
        t.gasLimit = 300_000;
        t.to = token;
        t.input = input;
        _sign(t, KEY);
    }

    /// @notice Each token call, hand-built: the target is the pair's first address, the
    ///         calldata the canonical ERC-20 call, and a signature over the library's own
    ///         signing hash recovers the signer.
    function test_tokenCall_handBuilt() public view {
        // Registry (T, R, BEEF, CAFE), R = 4. Head: bit 6, operation, zero fees, EIP-1559.
        address[] memory reg = _four();
        // transfer: pair 0·4 + 1 = (T, R), amount 10^6.
        _checkTokenCall(
            hex"4d00650126", reg, T, abi.encodeWithSignature("transfer(address,uint256)", R, 1e6), "transfer"
        );
        // approve: pair 1·4 + 3 = (R, CAFE), amount 2^256 - 1.
        _checkTokenCall(
            abi.encodePacked(hex"55006507", _num(type(uint256).max)),
            reg,
            R,
            abi.encodeWithSignature("approve(address,uint256)", address(0xCAFE), type(uint256).max),
            "approve"
        );
        // transferFrom: pair 0·4 + 2 = (T, BEEF), i2 = 3 (CAFE), amount 1.5e18.
        _checkTokenCall(
            hex"5d00650203f103",
            reg,
            T,
            abi.encodeWithSignature("transferFrom(address,address,uint256)", address(0xBEEF), address(0xCAFE), 1.5e18),
            "transferFrom"
        );
        // The system contract as a calldata address (not the target) is fine.
        reg[2] = SYSTEM;
        _checkTokenCall(
            hex"4d00650226",
            reg,
            T,
            abi.encodeWithSignature("transfer(address,uint256)", SYSTEM, 1e6),
            "transfer to the system contract's address"
        );
    }

    /// @dev Decodes the token call `head ‖ args` (without signature) alone in a chunk: checks
    ///      target and calldata, signs the rebuilt signing hash, decodes again with that
    ///      signature, and checks the sender and the rebuilt signed bytes.
    function _checkTokenCall(
        bytes memory txBytes,
        address[] memory reg,
        address token,
        bytes memory input,
        string memory what
    ) internal view {
        BatchCodec.Tx memory d = h.decodeChunk(_oneBlock(abi.encodePacked(txBytes, R0, S0), 1, reg), 64, 1)[0];
        assertEq(d.to, token, _cat(what, "to"));
        _eqBytes(d.input, input, _cat(what, "calldata"));
        assertEq(d.nonce, 0, _cat(what, "nonce"));
        assertEq(d.gasLimit, 300_000, _cat(what, "gasLimit"));
        assertTrue(d.eip1559, _cat(what, "eip1559"));
        // Sign what the library rebuilt; the reference encoder must agree with it.
        bytes32 digest = h.signingHash(d, CHAIN_ID);
        assertEq(digest, keccak256(_refEncode(d, CHAIN_ID, false)), _cat(what, "signing hash"));
        (uint8 v, bytes32 r, bytes32 s) = vmx.sign(KEY, digest);
        // The y-parity goes in the top bit of the `s` word.
        if (v == 28) s = bytes32(uint256(s) | 1 << 255);
        d = h.decodeChunk(_oneBlock(abi.encodePacked(txBytes, r, s), 1, reg), 64, 1)[0];
        assertEq(h.recoverSender(d, CHAIN_ID), vmx.addr(KEY), _cat(what, "sender"));
        // The signed bytes name the token as `to`: 0x02 ‖ rlp([chainId, nonce, 0, 0, gas, to, ...]).
        bytes memory expected = abi.encodePacked(hex"82a455808080830493e094", token, hex"80");
        bytes memory enc = h.encodeSigned(d, CHAIN_ID);
        for (uint256 i; i < expected.length; i++) {
            assertEq(uint8(enc[3 + i]), uint8(expected[i]), _cat(what, "signed: chainId to value"));
        }
        _eqBytes(enc, _refEncode(d, CHAIN_ID, true), _cat(what, "signed"));
    }

    /// @notice Token calls built and signed by the reference encoder round-trip, legacy ones too.
    function test_tokenCall_roundTrip() public view {
        bytes[] memory inputs = new bytes[](3);
        inputs[0] = abi.encodeWithSelector(bytes4(0xa9059cbb), R, 12_345);
        inputs[1] = abi.encodeWithSelector(bytes4(0x095ea7b3), address(0xBEEF), 0);
        inputs[2] = abi.encodeWithSelector(bytes4(0x23b872dd), address(0xCAFE), T, 1e30);
        for (uint256 i; i < 3; i++) {
            BatchCodec.Tx memory t = _tokenCall(i == 1 ? R : T, inputs[i]);
            t.eip1559 = i != 2;
            t.maxFeePerGas = 2e9;
            _sign(t, KEY);
            bytes memory enc = _encodeTx(t, _four());
            assertEq(uint8(enc[0]) & 0x40, 0x40, "bit 6");
            assertEq((uint8(enc[0]) >> 3) & 7, i + 1, "operation code");
            BatchCodec.Tx memory d = h.decodeChunk(_oneBlock(enc, 1, _four()), 64, 1)[0];
            _checkSame(d, t, "token call");
            assertEq(h.recoverSender(d, CHAIN_ID), vmx.addr(KEY), "sender");
        }
    }

    /// @notice What a token call cannot be: operation 0 or 4–7, bit 7, a call of the system
    ///         contract, a pair or an index out of range. Each is refused where it is read.
    function test_tokenCall_invalidFields() public view {
        bytes4 invalid = BatchCodec.InvalidField.selector;
        address[] memory reg = _four();
        // Operations 0 and 5–7 with bit 6 (zero fees, EIP-1559), then a valid transfer's args.
        uint8[4] memory ops = [0, 5, 6, 7];
        for (uint256 i; i < ops.length; i++) {
            uint8 head = 0x45 | (ops[i] << 3);
            _expectInvalid(
                _oneBlock(abi.encodePacked(head, hex"00650126", R0, S0), 1, reg),
                64,
                invalid,
                string.concat("operation ", vm.toString(ops[i]), " with bit 6")
            );
        }
        // Bit 7: the recipient inline after the token's index; an index >= R is refused first.
        BatchCodec.Tx memory inlined =
            h.decodeChunk(_oneBlock(abi.encodePacked(hex"cd006501", R, hex"26", R0, S0), 1, reg), 64, 1)[0];
        assertEq(inlined.to, reg[1], "bit 7: the token by its index");
        _eqBytes(inlined.input, abi.encodeWithSelector(bytes4(0xa9059cbb), R, 1e6), "bit 7: the recipient inline");
        assertEq(inlined.billedBytes, 1 + 1 + 1 + 2 + 1 + 64, "bit 7: billed as a pair");
        _expectInvalid(_oneBlock(abi.encodePacked(hex"cd006504", R), 1, reg), 64, invalid, "bit 7: index >= R");
        _expectInvalid(_oneBlock(hex"cd006501", 1, reg), 64, BatchCodec.Truncated.selector, "bit 7: address missing");
        BatchCodec.Tx memory toEther =
            h.decodeChunk(_oneBlock(abi.encodePacked(hex"e50065", R, hex"26", R0, S0), 1, reg), 64, 1)[0];
        assertEq(toEther.to, R, "bit 7: ether to an inline recipient");
        assertEq(toEther.value, 1e6, "bit 7: ether's value");
        assertEq(toEther.billedBytes, 1 + 1 + 1 + 2 + 1 + 64, "bit 7: ether's recipient billed as an index");
        // Pair 16 of R = 4, refused before the (missing) rest.
        _expectInvalid(_oneBlock(hex"4d006510", 1, reg), 64, invalid, "pair >= R^2");
        // transferFrom with i2 = 4 of R = 4, refused before the (missing) amount.
        _expectInvalid(_oneBlock(hex"5d00650204", 1, reg), 64, invalid, "i2 >= R");
        _expectInvalid(_oneBlock(hex"5d006502", 1, reg), 64, BatchCodec.Truncated.selector, "i2 missing");
        _expectInvalid(_oneBlock(hex"5d00650280", 1, reg), 64, BatchCodec.Truncated.selector, "i2 cut");
        // The transfer of ether (operation 4) names its recipient by one index: 4 of R = 4.
        _expectInvalid(_oneBlock(hex"65006504", 1, reg), 64, invalid, "ether: index >= R");
        _expectInvalid(_oneBlock(hex"650065", 1, reg), 64, BatchCodec.Truncated.selector, "ether: index missing");
        // The system contract as the target: refused as soon as the pair is read.
        reg[2] = SYSTEM;
        _expectInvalid(_oneBlock(abi.encodePacked(hex"4d00650926", R0, S0), 1, reg), 64, invalid, "transfer");
        _expectInvalid(_oneBlock(abi.encodePacked(hex"55006509", hex"26", R0, S0), 1, reg), 64, invalid, "approve");
        _expectInvalid(_oneBlock(hex"5d006509", 1, reg), 64, invalid, "transferFrom, i2 missing");
        _expectInvalid(_oneBlock(hex"65006502", 1, reg), 64, invalid, "ether to the system contract");
        _expectInvalid(
            _oneBlock(abi.encodePacked(hex"e50065", SYSTEM), 1, reg), 64, invalid, "ether inline to the system"
        );
        // The same pair without bit 6 is a system transfer whose token is the system's address.
        h.validate(_oneBlock(abi.encodePacked(hex"0d00650926", R0, S0), 1, reg), 64);
    }

    /// @notice A call of the system contract with ERC-20 calldata is raw calldata (bit 6 clear):
    ///         it decodes, to the system contract (admission then refuses it).
    function test_tokenCall_erc20CalldataToTheSystemIsRaw() public view {
        BatchCodec.Tx memory t = _tokenCall(SYSTEM, abi.encodeWithSelector(bytes4(0xa9059cbb), R, 1));
        bytes memory enc = _encodeTx(t, _tr());
        assertEq(uint8(enc[0]) >> 3, 0, "raw, bit 6 clear");
        BatchCodec.Tx memory d = h.decodeChunk(_single(enc), 64, 1)[0];
        _checkSame(d, t, "raw ERC-20 calldata");
    }

    /// @notice `hasTokenCallForm`: the three selectors, their exact lengths, clean address words.
    function test_tokenCall_form() public view {
        assertTrue(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0xa9059cbb), R, 1)), "transfer");
        assertTrue(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0x095ea7b3), R, 1)), "approve");
        assertTrue(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0x23b872dd), R, T, 1)), "transferFrom");
        // The amount word is free.
        assertTrue(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0xa9059cbb), R, type(uint256).max)), "max");
        assertFalse(h.hasTokenCallForm(""), "empty");
        assertFalse(h.hasTokenCallForm(hex"a9059c"), "3 bytes");
        assertFalse(h.hasTokenCallForm(hex"a9059cbb"), "selector alone");
        assertFalse(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0xa9059cbb), R, 1, 2)), "transfer, 100 bytes");
        assertFalse(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0x23b872dd), R, 1)), "transferFrom, 68 bytes");
        assertFalse(
            h.hasTokenCallForm(abi.encodePacked(abi.encodeWithSelector(bytes4(0x095ea7b3), R, 1), hex"00")), "69 bytes"
        );
        assertFalse(
            h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0xa9059cbb), uint256(1) << 160, 1)), "dirty address"
        );
        assertFalse(
            h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0x23b872dd), R, uint256(1) << 255, 1)),
            "dirty second address"
        );
        assertFalse(h.hasTokenCallForm(_transferInput(T, R, 1)), "the system's transfer");
        assertFalse(h.hasTokenCallForm(abi.encodeWithSelector(bytes4(0x70a08231), R, 1)), "balanceOf selector");
    }

    // =========================================================================================
    // Heavy transactions (§3.1): a chunk of their own, where the block's heavy runs say.

    /// @dev A signed EIP-1559 call of the system contract with `input`, zero fees, from KEY;
    ///      `heavy` as the codec will decode it.
    function _systemCall(uint64 nonce, bytes memory input, bool heavy) internal pure returns (BatchCodec.Tx memory t) {
        t = _transfer(nonce, 0, 0, 0);
        (t.input, t.heavy) = (input, heavy);
        _sign(t, KEY);
    }

    /// @dev A transfer, borrow and withdrawSupply (heavy), supply and repay (light), liquidate
    ///      (heavy), each an operation of the registry `_four()`.
    function _mixedWeights() internal pure returns (BatchCodec.Tx[] memory txs) {
        txs = new BatchCodec.Tx[](6);
        txs[0] = _transfer(0, 0, 0, 1e6);
        txs[1] = _systemCall(1, abi.encodeWithSelector(bytes4(0x4b8a3529), T, 5e18), true);
        txs[2] = _systemCall(2, abi.encodeWithSelector(bytes4(0xe72b6026), R, 7), true);
        txs[3] = _systemCall(3, abi.encodeWithSelector(bytes4(0xf2b9fdb8), T, 1e18), false);
        txs[4] = _systemCall(4, abi.encodeWithSelector(bytes4(0x22867d78), address(0xBEEF), 12_345), false);
        txs[5] = _systemCall(5, abi.encodeWithSelector(bytes4(0x6f70e66f), address(0xCAFE), T, R, 100, 90), true);
    }

    /// @dev The cut with heavy transactions (part of `test_chunks_cutAndLocate`): one block of
    ///      an entry and the six transactions of `_mixedWeights`, heavy runs (gap 1, len 2) and
    ///      (gap 2, len 1), written 02 01 02 02 01, and in chunks of 2 its beginning, the
    ///      entry's chunk, (t0), (t1), (t2), (t3 t4), (t5): each heavy transaction alone in a
    ///      heavy chunk, the light ones between cut every 2. Under chunks of 1 the light run
    ///      splits; a heavy transaction first is a run of gap 0.
    function _checkHeavyCut() internal view {
        BatchCodec.Tx[] memory txs = _mixedWeights();
        Cut memory c = _cut(txs, _arr(1), _arr(6), 2, _four());
        _eqBytes(c.runs[0], hex"0201020201", "the heavy runs");
        _eqBytes(c.runs[0], _runs(_arr(1, 2, 2, 1)), "the heavy runs, pair by pair");
        bytes memory data = _batchOf(5, _arr(0), _arr(1), _arr(6), c, _four());
        h.validate(data, 2);
        assertEq(h.decodeHeader(data, 2).chunkCount, 7, "chunkCount");
        bool[7] memory heavy = [false, false, false, true, true, false, true];
        uint256[7] memory counts = [uint256(0), 0, 1, 1, 1, 2, 1];
        for (uint256 k; k < 7; k++) {
            BatchCodec.Chunk memory located = h.locateChunk(data, 2, k);
            assertEq(located.heavy, heavy[k], string.concat("chunk ", vm.toString(k), ": heavy"));
            assertEq(located.txCount, counts[k], string.concat("chunk ", vm.toString(k), ": txCount"));
        }
        _checkCut(data, 2, 5, txs, c);
        // Chunks of 1: (t3) and (t4) apart.
        c = _cut(txs, _arr(1), _arr(6), 1, _four());
        data = _batchOf(5, _arr(0), _arr(1), _arr(6), c, _four());
        h.validate(data, 1);
        assertEq(h.decodeHeader(data, 1).chunkCount, 8, "chunks of 1");
        _checkCut(data, 1, 5, txs, c);
        // A heavy transaction first, then a light one: one run (0, 1), written 01 00 01.
        BatchCodec.Tx[] memory two = new BatchCodec.Tx[](2);
        (two[0], two[1]) = (txs[1], txs[0]);
        c = _cut(two, _arr(0), _arr(2), 64, _four());
        _eqBytes(c.runs[0], hex"010001", "a heavy transaction first");
        data = _batchOf(5, _arr(0), _arr(0), _arr(2), c, _four());
        h.validate(data, 64);
        assertTrue(h.locateChunk(data, 64, 1).heavy, "chunk 1 heavy");
        assertFalse(h.locateChunk(data, 64, 2).heavy, "chunk 2 light");
        _checkCut(data, 64, 5, two, c);
        // A heavy operation's calldata without its extended form (a byte more) is raw calldata,
        // and light.
        two[1] = _systemCall(1, abi.encodePacked(txs[1].input, hex"00"), false);
        data = _oneBlock(_encodeTx(two[1], _four()), 1, _four());
        h.validate(data, 64);
        _checkSame(h.decodeChunk(data, 64, 1)[0], two[1], "raw, light");
    }

    /// @dev Block 5 of the transfer t0 (light) and the borrow t1 (heavy) of `_mixedWeights`,
    ///      its heavy runs written as `runs`, and the chunks `chunks` (their beginning's
    ///      included), registry `_four()`.
    function _twoWeights(bytes memory runs, bytes[] memory chunks) internal pure returns (bytes memory) {
        bytes[] memory r = new bytes[](1);
        r[0] = runs;
        return _withChunks(_blocks(5, 1000, _arr(0), _arr(0), _arr(2), r), _four(), chunks);
    }

    /// @dev The heavy runs' rules (§3.1, part of `test_header_errors`), each where it is read,
    ///      and a transaction in a chunk of the other weight (`InvalidField`, in `validate` and
    ///      in the chunk alone).
    function _checkHeavyRunRules() internal view {
        BatchCodec.Tx[] memory txs = _mixedWeights();
        bytes memory t0 = _encodeTx(txs[0], _four());
        bytes memory t1 = _encodeTx(txs[1], _four());
        assertEq(uint8(t1[0]) >> 3 & 7, 7, "the borrow: an extended operation");
        bytes[] memory three = new bytes[](3);
        (three[1], three[2]) = (t0, t1);
        h.validate(_twoWeights(hex"010101", three), 64);
        bytes4 invalid = BatchCodec.InvalidField.selector;
        // The runs swapped, (0, 1): the transfer in a heavy chunk, the borrow in a light one.
        bytes memory swapped = _twoWeights(hex"010001", three);
        assertEq(h.decodeHeader(swapped, 64).chunkCount, 3, "the same chunks");
        _expectInvalid(swapped, 64, invalid, "a light transaction in a heavy chunk");
        _expectChunkInvalid(swapped, 64, 1, invalid, "chunk 1 alone");
        _expectChunkInvalid(swapped, 64, 2, invalid, "a heavy transaction in a light chunk, alone");
        // No run: both in one light chunk.
        bytes[] memory two = new bytes[](2);
        two[1] = abi.encodePacked(t0, t1);
        _expectInvalid(_twoWeights(hex"00", two), 64, invalid, "no run: the borrow in a light chunk");
        // Both heavy, (0, 2): the transfer's chunk is heavy.
        _expectInvalid(_twoWeights(hex"010002", three), 64, invalid, "the transfer in a heavy chunk");
        // Header rules: a run of 0, a gap of 0 after the first run, past the transactions.
        _expectInvalid(_twoWeights(hex"010100", three), 64, invalid, "an empty run");
        _expectInvalid(_twoWeights(hex"0200010001", three), 64, invalid, "a second run right after the first");
        _expectInvalid(_twoWeights(hex"010102", three), 64, invalid, "gap 1 + len 2 > 2 transactions");
        _expectInvalid(_twoWeights(hex"010201", three), 64, invalid, "gap 2 + len 1 > 2 transactions");
        _expectInvalid(_twoWeights(hex"01ffffffffffffffffff0101", three), 64, invalid, "a gap of u64 max");
        _expectInvalid(_twoWeights(hex"01018000", three), 64, BatchCodec.BadInteger.selector, "overlong length");
        // More runs than pairs of bytes left: cut before any is read.
        _expectInvalid(_twoWeights(hex"ffff03", three), 64, BatchCodec.Truncated.selector, "65535 runs");
        _expectHeaderInvalid(_twoWeights(hex"ffff03", three), 64, BatchCodec.Truncated.selector, "65535 runs, header");
        // A block without transactions has no run, queue entries or not.
        bytes memory entries = abi.encodePacked(hex"0800000005000100010000", hex"010001", hex"00", hex"0000");
        _expectInvalid(entries, 64, invalid, "a run in a block of entries alone");
        h.validate(abi.encodePacked(hex"0800000005000100010000", hex"00", hex"00", hex"0000"), 64);
    }

    // =========================================================================================
    // Chunks (§3.2): boundaries, first failure in reading order, locality.

    /// @dev Two blocks of one transaction each (chunk size 64): chunks 1 and 3, of `a` and `b`,
    ///      each after its block's beginning (chunks 0 and 2, without bytes).
    function _twoChunks(bytes memory a, bytes memory b) internal pure returns (bytes memory) {
        bytes[] memory chunks = new bytes[](4);
        (chunks[1], chunks[3]) = (a, b);
        return _batch(5, 1_700_000_000, _arr(0, 12), _arr(1, 1), _tr(), chunks);
    }

    function test_chunks_boundaries() public view {
        bytes memory a = _encodeTx(_transfer(0, 0, 0, 1e6), _tr());
        bytes memory b = _encodeTx(_transfer(1, 1e9, 2e9, 5), _tr());
        bytes memory data = _twoChunks(a, b);
        h.validate(data, 64);
        // Move the boundary one byte left: chunk 1 ends inside its transaction's s.
        bytes[] memory chunks = new bytes[](4);
        chunks[1] = _slice(a, 0, a.length - 1);
        chunks[3] = abi.encodePacked(a[a.length - 1], b);
        bytes memory moved = _batch(5, 1_700_000_000, _arr(0, 12), _arr(1, 1), _tr(), chunks);
        _expectInvalid(moved, 64, BatchCodec.Truncated.selector, "tx runs past its chunk");
        _expectChunkInvalid(moved, 64, 1, BatchCodec.Truncated.selector, "chunk 1");
        // One byte right: a byte left in chunk 1.
        chunks[1] = abi.encodePacked(a, b[0]);
        chunks[3] = _slice(b, 1, b.length);
        moved = _batch(5, 1_700_000_000, _arr(0, 12), _arr(1, 1), _tr(), chunks);
        _expectInvalid(moved, 64, BatchCodec.TrailingBytes.selector, "byte left in chunk 1");
        _expectChunkInvalid(moved, 64, 1, BatchCodec.TrailingBytes.selector, "chunk 1");
    }

    function test_chunks_firstFailureInReadingOrder() public view {
        bytes memory good = _encodeTx(_transfer(0, 0, 0, 1e6), _tr());
        // The nonce (00) written in two bytes.
        bytes memory badInteger = abi.encodePacked(good[0], hex"8000", _slice(good, 2, good.length));
        // Raw calldata with the inline bit.
        bytes memory invalid = _withHead(good, uint8(good[0]) & 0xc7 | 0x80);
        // Chunk 1 then chunk 3.
        _expectInvalid(_twoChunks(badInteger, invalid), 64, BatchCodec.BadInteger.selector, "chunk 1 first");
        _expectInvalid(_twoChunks(invalid, badInteger), 64, BatchCodec.InvalidField.selector, "chunk 1 first");
        // The header before any chunk.
        _expectInvalid(
            abi.encodePacked(_twoChunks(invalid, badInteger), hex"00"),
            64,
            BatchCodec.TrailingBytes.selector,
            "header first"
        );
        // Locality: a bad chunk 1 does not stop chunk 3, nor the beginnings, from decoding.
        BatchCodec.Tx[] memory txs = h.decodeChunk(_twoChunks(invalid, good), 64, 3);
        assertEq(txs.length, 1, "chunk 3 decodes alone");
        assertEq(h.decodeChunk(_twoChunks(invalid, good), 64, 0).length, 0, "chunk 0 decodes alone");
        assertEq(h.decodeChunk(_twoChunks(invalid, good), 64, 2).length, 0, "chunk 2 decodes alone");
        _expectChunkInvalid(_twoChunks(invalid, good), 64, 1, BatchCodec.InvalidField.selector, "chunk 1 alone");
    }

    /// @notice Round trip of random transactions through the reference encoder, the decoder
    ///         and the rebuild of their signed bytes, hashes and sender.
    function testFuzz_roundTrip(uint256 seed, bytes memory raw) public view {
        address[] memory reg = _registry(seed, 3);
        BatchCodec.Tx[] memory one = new BatchCodec.Tx[](1);
        one[0] = _randomTx(seed, raw, reg);
        uint256 cs = 1 + seed % 64;
        // One block of the transaction, in chunk 1 after the block's beginning; a heavy one's
        // block says so in its heavy runs (01 00 01).
        bytes memory data = _batchOf(5, _arr(0), _arr(0), _arr(1), _cut(one, _arr(0), _arr(1), cs, reg), reg);
        h.validate(data, cs);
        assertEq(h.locateChunk(data, cs, 1).heavy, one[0].heavy, "the chunk's weight");
        BatchCodec.Tx memory d = h.decodeChunk(data, cs, 1)[0];
        _checkSame(d, one[0], "round trip");
        assertEq(h.recoverSender(d, CHAIN_ID), vmx.addr(KEY + seed % 1000), "sender");
    }

    /// @notice Round trip of a random batch: several blocks (some empty, some with queue
    ///         entries), random transactions of every kind, heavy ones among them, cut as §3.1
    ///         says under a random chunk size, each chunk decoded alone.
    function testFuzz_batchRoundTrip(uint256 seed) public view {
        uint256 cs = 1 + (seed >> 8) % 4;
        address[] memory reg = _registry(seed, 1 + (seed >> 16) % 5);
        (uint256[] memory deltas, uint256[] memory queues, uint256[] memory counts, uint256 total) = _randomBlocks(seed);
        BatchCodec.Tx[] memory txs = new BatchCodec.Tx[](total);
        for (uint256 i; i < total; i++) {
            txs[i] = _randomTx(_rand(seed, i), "", reg);
        }
        Cut memory c = _cut(txs, queues, counts, cs, reg);
        bytes memory data = _batchOf(7, deltas, queues, counts, c, reg);
        h.validate(data, cs);
        _checkCut(data, cs, 7, txs, c);
        uint256 sum;
        for (uint256 b; b < queues.length; b++) {
            sum += queues[b];
        }
        assertEq(h.decodeHeader(data, cs).queueCount, sum, "header: the sum of the queue counts");
    }

    /// @dev 1 to 4 blocks of random timestamp deltas, queue counts (half of the blocks none)
    ///      and transaction counts, and the number of transactions.
    function _randomBlocks(uint256 seed)
        internal
        pure
        returns (uint256[] memory deltas, uint256[] memory queues, uint256[] memory counts, uint256 total)
    {
        uint256 blocks = 1 + seed % 4;
        counts = new uint256[](blocks);
        queues = new uint256[](blocks);
        deltas = new uint256[](blocks);
        for (uint256 b; b < blocks; b++) {
            counts[b] = _rand(seed, string.concat("count", vm.toString(b))) % 6;
            uint256 q = _rand(seed, string.concat("queue", vm.toString(b)));
            queues[b] = q % 2 == 0 ? 0 : (q >> 1) % 6;
            if (b > 0) deltas[b] = _rand(seed, string.concat("delta", vm.toString(b))) % 3;
            total += counts[b];
        }
    }

    /// @dev What the reference cut (§3.1) makes of blocks: every chunk's bytes (its
    ///      transactions), block (its index among the blocks), queue entries (0 or 1),
    ///      transactions and weight; and each block's heavy runs as the header writes them.
    struct Cut {
        bytes[] chunks;
        uint256[] blockOf;
        uint256[] entries;
        uint256[] txCounts;
        bool[] heavy;
        bytes[] runs;
    }

    /// @dev The cut of `txs` for blocks of `queues` entries then `counts` transactions, in
    ///      chunks of `cs`: for each block with items, its beginning (no byte), one chunk a queue
    ///      entry (no byte), then its transactions, each heavy one alone and the light ones
    ///      between cut every `cs`.
    function _cut(
        BatchCodec.Tx[] memory txs,
        uint256[] memory queues,
        uint256[] memory counts,
        uint256 cs,
        address[] memory reg
    ) internal pure returns (Cut memory c) {
        uint256 most;
        for (uint256 b; b < counts.length; b++) {
            if (queues[b] + counts[b] != 0) most += 1 + queues[b] + counts[b];
        }
        c.chunks = new bytes[](most);
        c.blockOf = new uint256[](most);
        c.entries = new uint256[](most);
        c.txCounts = new uint256[](most);
        c.heavy = new bool[](most);
        c.runs = new bytes[](counts.length);
        (uint256 k, uint256 next) = (0, 0);
        for (uint256 b; b < counts.length; b++) {
            c.runs[b] = _runsOf(txs, next, counts[b]);
            if (queues[b] + counts[b] == 0) continue;
            // The beginning, then a chunk an entry.
            for (uint256 e; e <= queues[b]; e++) {
                (c.blockOf[k], c.entries[k]) = (b, e == 0 ? 0 : 1);
                k++;
            }
            // Light transactions in the open chunk (none open: 0).
            uint256 light;
            for (uint256 j; j < counts[b]; j++) {
                BatchCodec.Tx memory t = txs[next++];
                if (t.heavy || light == 0 || light == cs) {
                    (c.blockOf[k], c.heavy[k]) = (b, t.heavy);
                    k++;
                    light = 0;
                }
                if (!t.heavy) light++;
                c.chunks[k - 1] = abi.encodePacked(c.chunks[k - 1], _encodeTx(t, reg));
                c.txCounts[k - 1]++;
            }
        }
        (bytes[] memory chunks, uint256[] memory blockOf, uint256[] memory entries) = (c.chunks, c.blockOf, c.entries);
        (uint256[] memory txCounts, bool[] memory heavy) = (c.txCounts, c.heavy);
        assembly ("memory-safe") {
            mstore(chunks, k)
            mstore(blockOf, k)
            mstore(entries, k)
            mstore(txCounts, k)
            mstore(heavy, k)
        }
    }

    /// @dev The heavy runs (§3.1) of the `n` transactions of `txs` from `from`: for each
    ///      maximal run of heavy ones, the light ones before it (after the previous run) and
    ///      its length.
    function _runsOf(BatchCodec.Tx[] memory txs, uint256 from, uint256 n) internal pure returns (bytes memory) {
        (uint256 count, uint256 gap, uint256 j) = (0, 0, from);
        bytes memory pairs;
        while (j < from + n) {
            if (!txs[j].heavy) {
                (gap, j) = (gap + 1, j + 1);
                continue;
            }
            uint256 len;
            while (j < from + n && txs[j].heavy) {
                (len, j) = (len + 1, j + 1);
            }
            pairs = abi.encodePacked(pairs, _varint(gap), _varint(len));
            (gap, count) = (0, count + 1);
        }
        return abi.encodePacked(_varint(count), pairs);
    }

    /// @dev The batch of the blocks of `_cut` (`c`), from block `firstNumber` at
    ///      `firstTimestamp`, with the registry `reg`.
    function _batchOf(
        uint256 firstNumber,
        uint256[] memory deltas,
        uint256[] memory queues,
        uint256[] memory counts,
        Cut memory c,
        address[] memory reg
    ) internal pure returns (bytes memory) {
        return _withChunks(_blocks(firstNumber, 1000, deltas, queues, counts, c.runs), reg, c.chunks);
    }

    /// @dev Every chunk of `data` (blocks from `firstNumber`, cut as `c`) decodes alone to its
    ///      transactions, in order, with its block number, its weight and its queue entries
    ///      (numbered across the blocks, one at most); the header counts the cut's chunks and
    ///      sums the entries.
    function _checkCut(bytes memory data, uint256 cs, uint256 firstNumber, BatchCodec.Tx[] memory txs, Cut memory c)
        internal
        view
    {
        BatchCodec.Header memory hd = h.decodeHeader(data, cs);
        assertEq(hd.chunkCount, c.chunks.length, "the cut's chunks");
        (uint256 next, uint256 entries) = (0, 0);
        for (uint256 k; k < hd.chunkCount; k++) {
            BatchCodec.Chunk memory located = h.locateChunk(data, cs, k);
            assertEq(located.blockNumber, firstNumber + c.blockOf[k], "block number");
            assertEq(located.l1BytePrice, _price(c.blockOf[k]), "the block's L1 price");
            assertEq(located.queueOffset, entries, "queue offset");
            assertEq(located.queueCount, c.entries[k], "the cut: entries");
            assertEq(located.txCount, c.txCounts[k], "the cut: transactions");
            assertEq(located.heavy, c.heavy[k], "the cut: weight");
            assertEq(located.length, c.chunks[k].length, "the cut: bytes");
            assertTrue(c.entries[k] == 0 || c.txCounts[k] == 0, "never entries and transactions together");
            BatchCodec.Tx[] memory decoded = h.decodeChunk(data, cs, k);
            assertEq(decoded.length, c.txCounts[k], "decoded");
            for (uint256 j; j < decoded.length; j++) {
                _checkSame(decoded[j], txs[next++], "batch round trip");
            }
            entries += c.entries[k];
        }
        assertEq(next, txs.length, "every transaction decoded");
        assertEq(hd.queueCount, entries, "header: the entries of the chunks");
    }

    function _registry(uint256 seed, uint256 n) internal pure returns (address[] memory reg) {
        reg = new address[](n);
        for (uint256 i; i < n; i++) {
            reg[i] = address(uint160(uint256(keccak256(abi.encode(seed, "registry", i)))));
        }
    }

    /// @dev A random transaction signed by `KEY + seed % 1000`; compact and extended
    ///      operations and token calls use `reg`. Its `heavy` says whether it is (§3.1).
    function _randomTx(uint256 seed, bytes memory raw, address[] memory reg)
        internal
        pure
        returns (BatchCodec.Tx memory t)
    {
        t.eip1559 = seed & 1 == 0;
        t.nonce = uint64(_rand(seed, "nonce"));
        t.gasLimit = uint64(_roundish(_rand(seed, "gas"), 64));
        uint256 fees = (seed >> 1) % 4; // 0: zero fees; 1: random; 2, 3: one of them 0
        if (fees != 0) {
            t.maxFeePerGas = uint128(_roundish(_rand(seed, "max"), 128));
            if (t.eip1559 && fees != 3) t.maxPriorityFeePerGas = uint128(_roundish(_rand(seed, "tip"), 128));
            if (t.eip1559 && fees == 2) t.maxFeePerGas = 0;
            if (t.maxFeePerGas == 0 && t.maxPriorityFeePerGas == 0) t.maxFeePerGas = 1;
        }
        uint256 op = (seed >> 8) % 14;
        t.to = SYSTEM;
        if (op >= 9) {
            // An extended operation (§3.3.3): supply, withdrawSupply, borrow, repay (one asset
            // and an amount) or liquidate (three addresses, two amounts); the second, third and
            // fifth are heavy.
            bytes4[5] memory sel = [bytes4(0xf2b9fdb8), 0xe72b6026, 0x4b8a3529, 0x22867d78, 0x6f70e66f];
            t.input = abi.encodePacked(sel[op - 9], abi.encode(reg[(seed >> 16) % reg.length]));
            if (op == 13) {
                t.input = abi.encodePacked(
                    t.input, abi.encode(reg[(seed >> 24) % reg.length]), abi.encode(reg[(seed >> 32) % reg.length])
                );
            }
            t.input = abi.encodePacked(t.input, _roundish(_rand(seed, 0), 256));
            if (op == 13) t.input = abi.encodePacked(t.input, _roundish(_rand(seed, 1), 256));
            t.heavy = op == 10 || op == 11 || op == 13;
        } else if (op >= 6) {
            // A token call of a registry address: transfer, approve or transferFrom.
            t.to = reg[(seed >> 16) % reg.length];
            address a1 = reg[(seed >> 24) % reg.length];
            address a2 = reg[(seed >> 32) % reg.length];
            uint256 amount = _roundish(_rand(seed, 0), 256);
            if (op == 6) t.input = abi.encodeWithSelector(bytes4(0xa9059cbb), a1, amount);
            else if (op == 7) t.input = abi.encodeWithSelector(bytes4(0x095ea7b3), a1, amount);
            else t.input = abi.encodeWithSelector(bytes4(0x23b872dd), a1, a2, amount);
        } else if (op == 0) {
            t.input = raw;
            (uint256 compactOp,) = _compactOp(raw);
            (uint256 row,,,) = _extendedOp(raw);
            if (compactOp != 0 || row != 0) t.input = abi.encodePacked(raw, hex"00");
        } else {
            bytes4[5] memory sel = [bytes4(0xbeabacc8), 0xfe029156, 0x884db063, 0x91c98a2a, 0xe2dc85dc];
            uint256[5] memory amounts = [uint256(1), 2, 2, 3, 3];
            address a0 = reg[(seed >> 16) % reg.length];
            address a1 = reg[(seed >> 24) % reg.length];
            t.input = abi.encodePacked(sel[op - 1], abi.encode(a0), abi.encode(a1));
            for (uint256 i; i < amounts[op - 1]; i++) {
                t.input = abi.encodePacked(t.input, _roundish(_rand(seed, i), 256));
            }
        }
        _sign(t, KEY + seed % 1000);
    }

    function _rand(uint256 seed, string memory what) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, what)));
    }

    function _rand(uint256 seed, uint256 i) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, "amount", i)));
    }

    /// @dev A value of at most `bits` bits, often small or with trailing decimal zeros.
    function _roundish(uint256 x, uint256 bits) internal pure returns (uint256 v) {
        v = x >> (256 - bits + (x % bits));
        if (x % 3 == 0) return v;
        uint256 e = (x >> 8) % 40;
        uint256 max = bits == 256 ? type(uint256).max : (uint256(1) << bits) - 1;
        while (e > 0 && v <= max / 10) {
            v *= 10;
            e--;
        }
    }

    // =========================================================================================
    // Shared vectors (../testdata/codec-vectors.json).

    function _count(string memory json, string memory array) internal view returns (uint256 n) {
        while (vmx.keyExistsJson(json, string.concat(array, "[", vm.toString(n), "]"))) n++;
    }

    function _at(string memory array, uint256 i) internal pure returns (string memory) {
        return string.concat(array, "[", vm.toString(i), "]");
    }

    function test_vectors_exampleIsTheSpecsExample() public view {
        string memory json = vm.readFile(FILE);
        assertEq(vm.parseJsonUint(json, ".chainId"), CHAIN_ID, "chainId");
        assertEq(vm.parseJsonString(json, ".valid[0].name"), "transfer-example", "first case");
        bytes memory data = vm.parseJsonBytes(json, ".valid[0].data");
        assertEq(vm.parseJsonUint(json, ".valid[0].chunkSize"), 64, "chunk size");
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(data, add(32, 64)))
            s := mload(add(data, add(32, 96)))
        }
        _eqBytes(data, _example(r, s), "the bytes of section 6");
    }

    function test_vectors_valid() public view {
        string memory json = vm.readFile(FILE);
        uint256 chainId = vm.parseJsonUint(json, ".chainId");
        uint256 n = _count(json, ".valid");
        assertGt(n, 0, "valid cases");
        uint256 txs;
        for (uint256 i; i < n; i++) {
            txs += _checkValid(json, _at(".valid", i), chainId);
        }
        assertGt(txs, 0, "transactions checked");
    }

    function _checkValid(string memory json, string memory c, uint256 chainId) internal view returns (uint256 txs) {
        bytes memory data = vm.parseJsonBytes(json, string.concat(c, ".data"));
        uint256 cs = vm.parseJsonUint(json, string.concat(c, ".chunkSize"));
        string memory at = string.concat(c, " ", vm.parseJsonString(json, string.concat(c, ".name")));
        try h.validate(data, cs) {}
        catch (bytes memory reason) {
            fail(string.concat(at, ": validate reverted with ", vm.toString(bytes32(_selectorOf(reason)))));
        }
        BatchCodec.Header memory hd = h.decodeHeader(data, cs);
        assertEq(hd.firstNumber, vm.parseJsonUint(json, string.concat(c, ".firstNumber")), _cat(at, "firstNumber"));
        assertEq(
            hd.firstTimestamp, vm.parseJsonUint(json, string.concat(c, ".firstTimestamp")), _cat(at, "firstTimestamp")
        );
        assertEq(hd.blockCount, vm.parseJsonUint(json, string.concat(c, ".blockCount")), _cat(at, "blockCount"));
        assertEq(hd.queueCount, vm.parseJsonUint(json, string.concat(c, ".queueCount")), _cat(at, "queueCount"));
        address[] memory reg = vm.parseJsonAddressArray(json, string.concat(c, ".registry"));
        assertEq(hd.registryCount, reg.length, _cat(at, "registryCount"));
        for (uint256 j; j < reg.length; j++) {
            assertEq(_addressAt(data, hd.registryOffset + 20 * j), reg[j], _cat(at, "registry entry"));
        }
        uint256 chunks = vm.parseJsonUint(json, string.concat(c, ".chunkCount"));
        assertEq(hd.chunkCount, chunks, _cat(at, "chunkCount"));
        assertEq(_count(json, string.concat(c, ".chunks")), chunks, _cat(at, "chunks listed"));
        for (uint256 k; k < chunks; k++) {
            txs += _checkChunk(json, _at(string.concat(c, ".chunks"), k), data, cs, k, chainId);
        }
        _expectChunkInvalid(data, cs, chunks, BatchCodec.ChunkIndexOutOfRange.selector, _cat(at, "past the last"));
    }

    function _checkChunk(string memory json, string memory c, bytes memory data, uint256 cs, uint256 k, uint256 chainId)
        internal
        view
        returns (uint256)
    {
        BatchCodec.Chunk memory ch = h.locateChunk(data, cs, k);
        assertEq(ch.blockNumber, vm.parseJsonUint(json, string.concat(c, ".blockNumber")), _cat(c, "blockNumber"));
        assertEq(ch.l1BytePrice, vm.parseJsonUint(json, string.concat(c, ".l1BytePrice")), _cat(c, "l1BytePrice"));
        assertEq(ch.timestamp, vm.parseJsonUint(json, string.concat(c, ".timestamp")), _cat(c, "timestamp"));
        assertEq(ch.queueOffset, vm.parseJsonUint(json, string.concat(c, ".queueOffset")), _cat(c, "queueOffset"));
        assertEq(ch.queueCount, vm.parseJsonUint(json, string.concat(c, ".queueCount")), _cat(c, "queueCount"));
        assertEq(ch.heavy, vmx.parseJsonBool(json, string.concat(c, ".heavy")), _cat(c, "heavy"));
        if (ch.txCount == 0) assertEq(ch.length, 0, _cat(c, "no transaction, no byte"));
        BatchCodec.Tx[] memory txs = h.decodeChunk(data, cs, k);
        assertEq(txs.length, _count(json, string.concat(c, ".txs")), _cat(c, "transactions"));
        assertEq(ch.txCount, txs.length, _cat(c, "txCount"));
        if (ch.heavy) assertEq(txs.length, 1, _cat(c, "a heavy chunk holds one transaction"));
        for (uint256 j; j < txs.length; j++) {
            _checkTx(json, _at(string.concat(c, ".txs"), j), txs[j], chainId);
            assertEq(txs[j].heavy, ch.heavy, _cat(c, "the chunk's weight"));
        }
        return txs.length;
    }

    function _checkTx(string memory json, string memory p, BatchCodec.Tx memory t, uint256 chainId) internal view {
        bytes memory signed = vm.parseJsonBytes(json, string.concat(p, ".signed"));
        _eqBytes(h.encodeSigned(t, chainId), signed, _cat(p, "signed"));
        _eqBytes(_refEncode(t, chainId, true), signed, _cat(p, "signed (test's RLP)"));
        assertEq(h.txHash(t, chainId), vm.parseJsonBytes32(json, string.concat(p, ".hash")), _cat(p, "hash"));
        bytes32 sigHash = vm.parseJsonBytes32(json, string.concat(p, ".sigHash"));
        assertEq(h.signingHash(t, chainId), sigHash, _cat(p, "sigHash"));
        assertEq(
            h.recoverSender(t, chainId), vmx.parseJsonAddress(json, string.concat(p, ".sender")), _cat(p, "sender")
        );
        _eqBytes(t.input, vm.parseJsonBytes(json, string.concat(p, ".input")), _cat(p, "input"));
        assertEq(t.nonce, vm.parseJsonUint(json, string.concat(p, ".nonce")), _cat(p, "nonce"));
        assertEq(t.gasLimit, vm.parseJsonUint(json, string.concat(p, ".gasLimit")), _cat(p, "gasLimit"));
        assertEq(t.eip1559, vmx.parseJsonBool(json, string.concat(p, ".eip1559")), _cat(p, "eip1559"));
        assertEq(t.billedBytes, vm.parseJsonUint(json, string.concat(p, ".billedBytes")), _cat(p, "billedBytes"));
        // The target is in the signed bytes checked above; where the vectors name it, it is
        // checked on its own too.
        if (vmx.keyExistsJson(json, string.concat(p, ".to"))) {
            assertEq(t.to, vmx.parseJsonAddress(json, string.concat(p, ".to")), _cat(p, "to"));
        }
    }

    function _addressAt(bytes memory data, uint256 offset) internal pure returns (address a) {
        assembly ("memory-safe") {
            a := shr(96, mload(add(add(data, 32), offset)))
        }
    }

    function _cat(string memory at, string memory what) internal pure returns (string memory) {
        return string.concat(at, ": ", what);
    }

    /// @notice Every invalid case fails with its code, both in `validate` and along the fraud
    ///         proof's path: the header alone, or the header and the first failing chunk.
    function test_vectors_invalid() public view {
        string memory json = vm.readFile(FILE);
        uint256 n = _count(json, ".invalid");
        assertGt(n, 0, "invalid cases");
        for (uint256 i; i < n; i++) {
            string memory c = _at(".invalid", i);
            bytes memory data = vm.parseJsonBytes(json, string.concat(c, ".data"));
            uint256 cs = vm.parseJsonUint(json, string.concat(c, ".chunkSize"));
            string memory at = string.concat(c, " ", vm.parseJsonString(json, string.concat(c, ".name")));
            bytes4 expected = _codecSelector(vm.parseJsonString(json, string.concat(c, ".error")));
            _expectInvalid(data, cs, expected, at);
            assertEq(bytes32(_firstFailure(data, cs)), bytes32(expected), _cat(at, "header or one chunk"));
        }
    }

    /// @dev The error of the header, or else of the first chunk that fails to decode alone
    ///      (0 when everything decodes). What a fraud proof would show.
    function _firstFailure(bytes memory data, uint256 cs) internal view returns (bytes4) {
        uint256 chunks;
        try h.decodeHeader(data, cs) returns (BatchCodec.Header memory hd) {
            chunks = hd.chunkCount;
        } catch (bytes memory reason) {
            assertTrue(_isCodecError(reason, false), "decodeHeader: not a codec error");
            return _selectorOf(reason);
        }
        for (uint256 k; k < chunks; k++) {
            try h.decodeChunk(data, cs, k) {}
            catch (bytes memory reason) {
                assertTrue(_isCodecError(reason, false), "decodeChunk: not a codec error");
                return _selectorOf(reason);
            }
        }
        return 0;
    }

    function test_vectors_numbers() public view {
        string memory json = vm.readFile(FILE);
        uint256 n = _count(json, ".numbers");
        assertGt(n, 0, "numbers");
        for (uint256 i; i < n; i++) {
            string memory c = _at(".numbers", i);
            uint256 width = vm.parseJsonUint(json, string.concat(c, ".width"));
            uint256 value = uint256(vm.parseJsonBytes32(json, string.concat(c, ".value")));
            bytes memory b = vm.parseJsonBytes(json, string.concat(c, ".bytes"));
            assertEq(h.decodeNumber(b, width), value, _cat(c, "value"));
            _eqBytes(_num(value), b, _cat(c, "the test's encoder"));
        }
        n = _count(json, ".badNumbers");
        assertGt(n, 0, "badNumbers");
        for (uint256 i; i < n; i++) {
            string memory c = _at(".badNumbers", i);
            _expectNumber(
                vm.parseJsonBytes(json, string.concat(c, ".bytes")),
                vm.parseJsonUint(json, string.concat(c, ".width")),
                _codecSelector(vm.parseJsonString(json, string.concat(c, ".error"))),
                c
            );
        }
    }

    /// @notice Every strict prefix of a valid batch is `Truncated`, every extension
    ///         `TrailingBytes` (the header sees the chunk lengths disagree with the rest).
    function test_vectors_truncationsAndExtensions() public view {
        string memory json = vm.readFile(FILE);
        uint256 n = _count(json, ".valid");
        for (uint256 i; i < n; i++) {
            string memory c = _at(".valid", i);
            bytes memory data = vm.parseJsonBytes(json, string.concat(c, ".data"));
            uint256 cs = vm.parseJsonUint(json, string.concat(c, ".chunkSize"));
            for (uint256 len; len < data.length; len++) {
                // Each prefix's copies are dropped after its check: the memory of thousands of
                // them would pass the EVM's limit.
                uint256 free;
                assembly ("memory-safe") {
                    free := mload(0x40)
                }
                _expectInvalid(_prefix(data, len), cs, BatchCodec.Truncated.selector, _cat(c, vm.toString(len)));
                assembly ("memory-safe") {
                    mstore(0x40, free)
                }
            }
            _expectInvalid(abi.encodePacked(data, hex"00"), cs, BatchCodec.TrailingBytes.selector, _cat(c, "+1"));
        }
    }

    /// @dev The first `len` bytes of `data`, sharing its memory.
    function _prefix(bytes memory data, uint256 len) internal pure returns (bytes memory out) {
        out = bytes.concat(data);
        assembly ("memory-safe") {
            mstore(out, len)
        }
    }

    // =========================================================================================
    // Never panic: any bytes give a result or one of the six codec errors.

    /// @dev `validate` succeeds or reverts with a codec error, and agrees with the fraud
    ///      proof's path (the header, then each chunk alone).
    function _checkNoPanic(bytes memory data, uint256 cs) internal view {
        bytes4 validated;
        try h.validate(data, cs) {}
        catch (bytes memory reason) {
            assertTrue(
                _isCodecError(reason, false), string.concat("validate: ", vm.toString(bytes32(_selectorOf(reason))))
            );
            validated = _selectorOf(reason);
        }
        assertEq(bytes32(_firstFailure(data, cs)), bytes32(validated), "validate and decodeChunk agree");
        try h.decodeChunk(data, cs, 0) {}
        catch (bytes memory reason) {
            assertTrue(_isCodecError(reason, true), "decodeChunk(0): not a codec error");
        }
    }

    function _chunkSize(uint256 x) internal pure returns (uint256) {
        if (x % 8 == 0) return x; // anything, 0 and huge included
        return bound(x, 1, 8);
    }

    function testFuzz_randomBytesNeverPanic(bytes memory data, uint256 cs) public view {
        _checkNoPanic(data, _chunkSize(cs));
    }

    /// @notice Random bytes after a valid version byte (6), so that the header is exercised.
    function testFuzz_randomAfterVersionNeverPanic(bytes memory data, uint256 cs) public view {
        _checkNoPanic(abi.encodePacked(hex"08000000", data), _chunkSize(cs));
    }

    /// @notice One byte of a valid vector changed: decodes or fails with a codec error.
    function testFuzz_mutatedVectorNeverPanics(uint256 which, uint256 pos, uint8 value, uint256 csNoise) public view {
        string memory json = vm.readFile(FILE);
        string memory c = _at(".valid", which % _count(json, ".valid"));
        bytes memory data = vm.parseJsonBytes(json, string.concat(c, ".data"));
        uint256 cs = vm.parseJsonUint(json, string.concat(c, ".chunkSize"));
        pos %= data.length;
        if (uint8(data[pos]) == value) value ^= 0x01;
        data[pos] = bytes1(value);
        _checkNoPanic(data, csNoise % 16 == 0 ? _chunkSize(csNoise >> 4) : cs);
    }

    /// @notice A valid hand-built batch (without queue entries, or with some) with one byte
    ///         changed.
    function testFuzz_mutatedBatchNeverPanics(uint256 pos, uint8 value) public view {
        bytes memory data;
        if (pos % 2 == 0) (data,) = _threeBlocks();
        else (data,) = _queueBlocks();
        pos %= data.length;
        if (uint8(data[pos]) == value) value ^= 0x80;
        data[pos] = bytes1(value);
        _checkNoPanic(data, 2);
    }

    // =========================================================================================
    // Gas.

    /// @notice Gas of the fraud proof's decoding of the largest vector chunk: header, chunk and
    ///         the senders (library calls only; calldata copy and ABI encoding excluded).
    function test_gas_largestVectorChunk() public {
        string memory json = vm.readFile(FILE);
        uint256 n = _count(json, ".valid");
        (uint256 bestCase, uint256 bestChunk, uint256 bestLen) = (0, 0, 0);
        for (uint256 i; i < n; i++) {
            string memory c = _at(".valid", i);
            bytes memory data = vm.parseJsonBytes(json, string.concat(c, ".data"));
            uint256 cs = vm.parseJsonUint(json, string.concat(c, ".chunkSize"));
            uint256 chunks = h.decodeHeader(data, cs).chunkCount;
            for (uint256 k; k < chunks; k++) {
                uint256 len = h.locateChunk(data, cs, k).length;
                if (len > bestLen) (bestCase, bestChunk, bestLen) = (i, k, len);
            }
        }
        string memory b = _at(".valid", bestCase);
        bytes memory d = vm.parseJsonBytes(json, string.concat(b, ".data"));
        GasFigures memory f = h.measure(d, vm.parseJsonUint(json, string.concat(b, ".chunkSize")), bestChunk, CHAIN_ID);
        emit log_named_uint("batch bytes", d.length);
        emit log_named_uint("chunk bytes", bestLen);
        _logGas("", f);
    }

    function _logGas(string memory prefix, GasFigures memory f) internal {
        emit log_named_uint(string.concat(prefix, "chunk transactions"), f.txs);
        emit log_named_uint(string.concat(prefix, "decodeHeader gas"), f.header);
        emit log_named_uint(string.concat(prefix, "decodeChunk gas (header included)"), f.decode);
        emit log_named_uint(string.concat(prefix, "decodeChunk gas per transaction"), f.decode / f.txs);
        emit log_named_uint(string.concat(prefix, "recoverSender gas per transaction"), f.recover / f.txs);
        emit log_named_uint(string.concat(prefix, "  of which signingHash"), f.hash / f.txs);
        // Loose bounds, to notice a regression by an order of magnitude.
        assertLe(f.decode / f.txs, 30_000, "decode per transaction");
        assertLe(f.recover / f.txs, 15_000, "recoverSender per transaction");
    }

    /// @notice Gas of decoding a full chunk of 64 transfers (the default chunk size).
    function test_gas_chunkOf64Transfers() public {
        bytes memory chunk;
        for (uint256 i; i < 64; i++) {
            chunk = abi.encodePacked(chunk, _encodeTx(_transfer(_u64(i), 1e9, 3e10, (i + 1) * 1e18), _tr()));
        }
        bytes memory data = _oneBlock(chunk, 64, _tr());
        GasFigures memory f = h.measure(data, 64, 1, CHAIN_ID);
        assertEq(f.txs, 64, "transactions");
        emit log_named_uint("64 transfers: chunk bytes", chunk.length);
        _logGas("64 transfers: ", f);
    }

    function _slice(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; i++) {
            out[i] = b[from + i];
        }
    }
}
