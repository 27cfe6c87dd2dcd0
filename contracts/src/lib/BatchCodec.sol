// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Operations} from "../logic/Operations.sol";

/// @title BatchCodec
/// @notice L1 decoder of the batch codec, version 7: reads the header of a batch (its block
///         table gives each block's timestamp, queue entries, transactions and L1 price, and the
///         chunk cut over them: each block with items begins with a chunk of its own, with no
///         item), decodes one chunk of it into signed transactions, with the bytes the L1
///         data fee bills each one, and rebuilds their EIP-2718 bytes, signing hash and sender.
///         It is what a fraud proof uses to show which queue entries and transactions a chunk
///         holds, or that the data is malformed. Normative text: docs/batch-codec.md. Mirrors
///         `rollup_types::codec` and is checked against the shared vectors in
///         testdata/codec-vectors.json.
/// @dev Every malformed input reverts with one of the seven codec errors below (the codes of
///      the spec, §5), reporting the first failure in reading order; nothing panics. The
///      caller errors (`ChunkIndexOutOfRange`, `ChainIdTooLarge`) are about the arguments,
///      not the data. Offsets are byte offsets into `data` (not memory pointers).
library BatchCodec {
    // -----------------------------------------------------------------------------------------
    // Errors: the codes of docs/batch-codec.md §5.

    /// @notice The data, or a chunk, ends inside a field; a count bound fails; or the chunk
    ///         lengths add up to more than the bytes left.
    error Truncated();
    /// @notice Bytes after the last chunk, or inside a chunk after its last transaction.
    error TrailingBytes();
    /// @notice The version byte is not 7 (earlier versions are refused too: 6 had no defaults
    ///         and no inline addresses, 5 no heavy runs, 4 no chunk for a block's beginning, 3 no
    ///         extended operations, 2 no L1 prices, 1 no queue counts).
    error UnknownVersion(uint8 version);
    /// @notice A varint or number is not in its one canonical form, or overflows its width.
    error BadInteger();
    /// @notice An operation code that is none, a token call of operation 0 or 5–7 or to the
    ///         system contract, an inline address in raw calldata or an extended operation, a
    ///         first timestamp delta other than 0, a registry pair, index or reference out of
    ///         range, a gas limit and fees written that are the batch's defaults, or raw calldata
    ///         that has a compact form.
    error InvalidField();
    /// @notice No block, or a block number or timestamp overflowing 64 bits.
    error BadBlockSequence();
    /// @notice A bound of §3.5: more than `MAX_BATCH_BLOCKS` blocks, `MAX_REGISTRY` registry
    ///         entries or `MAX_BATCH_CHUNKS` chunks, or a chunk longer than `chunkSize` of the
    ///         largest transactions (`MAX_ENCODED_TX_BYTES` each).
    error TooLarge();

    /// @notice Caller error: the batch has `count` chunks and `index` is not one of them.
    error ChunkIndexOutOfRange(uint256 index, uint256 count);
    /// @notice Caller error: chain ids are 64-bit (`ChainConfig.chain_id`).
    error ChainIdTooLarge(uint256 chainId);

    // -----------------------------------------------------------------------------------------
    // Types.

    /// @notice The checked header of a batch (§3.1). Block timestamps are checked but not kept,
    ///         nor are the per-block counts (the block table at `blocksOffset` holds them).
    struct Header {
        /// The default gas limit and fees of its transactions.
        Defaults defaults;
        /// Number of the first block; block `i` is `firstNumber + i`.
        uint64 firstNumber;
        /// Timestamp of the first block.
        uint64 firstTimestamp;
        /// Number of blocks, at least 1.
        uint64 blockCount;
        /// The chunk size the header was decoded with (0 is taken as 1, as the Rust code does).
        uint256 chunkSize;
        /// Offset of the block table (the first block's timestamp delta); each block is
        /// `timestamp_delta queue_count tx_count l1_byte_price heavy_runs`.
        uint256 blocksOffset;
        /// Offset of the registry's first address; entry `i` is the 20 bytes at
        /// `registryOffset + 20 * i`.
        uint256 registryOffset;
        /// Entries of the registry.
        uint256 registryCount;
        /// Number of chunks: the sum over the blocks with items of their cut (§3.1): the block's
        /// beginning, one chunk a queue entry, one a heavy transaction, and the light ones
        /// between in chunks of `chunkSize`.
        uint256 chunkCount;
        /// Offset of the chunk length table (the first chunk_len varint).
        uint256 chunkLengthsOffset;
        /// Offset of chunk 0; the chunks fill the data from here to its end.
        uint256 chunksOffset;
        /// Queue entries the batch consumes: the sum of its blocks' queue_count. They are the
        /// entries of the bridge's queue from the previous batch's `queueEnd` on.
        uint256 queueCount;
    }

    /// @notice The batch's default gas limit and fees (§3.1 `defaults`): a transaction with the
    ///         default-gas bit has the default gas limit, one with the default-fees bit the
    ///         default fees (a legacy one `maxFeePerGas` as its gas price). With the bytes the L1
    ///         data fee bills for them (docs/fees.md §2.2: as written out against zero defaults).
    struct Defaults {
        uint64 gasLimit;
        uint128 maxPriorityFeePerGas;
        uint128 maxFeePerGas;
        /// Bytes of the default gas limit as a number.
        uint256 gasBytes;
        /// Bytes of the default fees written out in an EIP-1559 transaction (0 when both are
        /// 0), and in a legacy one (0 when the fee cap is 0).
        uint256 feeBytes1559;
        uint256 feeBytesLegacy;
    }

    /// @notice Where one chunk is and what it holds (§3.1): its block's beginning (the block's
    ///         first chunk, with no item), one of its queue entries, one heavy transaction, or up
    ///         to `chunkSize` light ones.
    struct Chunk {
        /// Index of the chunk in the batch.
        uint256 index;
        /// Number of the block the chunk belongs to.
        uint64 blockNumber;
        /// The L1 price of a byte that block commits, in wei (docs/fees.md §4).
        uint64 l1BytePrice;
        /// The timestamp of that block.
        uint64 timestamp;
        /// Transactions in the chunk (from the block table's cut; 0 for a chunk of queue
        /// entries alone).
        uint256 txCount;
        /// Offset of the chunk's first byte.
        uint256 offset;
        /// Byte length of the chunk (its chunk_len); its bytes hold its transactions only.
        uint256 length;
        /// Queue entries of the batch in the chunks before this one: the chunk's first entry
        /// is entry `queueOffset` of the batch (numbered from 0).
        uint256 queueOffset;
        /// Queue entries in the chunk: 1 for an entry's chunk, else 0.
        uint256 queueCount;
        /// Whether its one transaction is heavy; every transaction of a chunk that is not must
        /// be light.
        bool heavy;
    }

    /// @notice A decoded transaction (§4): everything the codec keeps of it. The chain id and
    ///         the access list (empty) are implied; the value is 0 but for a native transfer.
    /// @dev For a legacy transaction `maxFeePerGas` holds its gas price and
    ///      `maxPriorityFeePerGas` is 0.
    struct Tx {
        bool eip1559;
        bool yParity;
        uint64 nonce;
        uint64 gasLimit;
        /// The target: `SYSTEM_CONTRACT` for every system operation, the token for a token
        /// call, the recipient for a native transfer (§3.3.2).
        address to;
        /// Wei the transaction sends: non-zero only for a native transfer (empty input).
        uint256 value;
        uint128 maxPriorityFeePerGas;
        uint128 maxFeePerGas;
        bytes input;
        bytes32 r;
        bytes32 s;
        /// The bytes the L1 data fee bills (docs/fees.md §2.2): the transaction's encoding with
        /// each registry reference (a pair or an index) counted as 2 bytes, whatever its width
        /// in the batch (Rust `codec::billed_bytes`). 0 for a transaction not read from a chunk.
        uint256 billedBytes;
        /// Whether it is an extended operation whose row is heavy (§3.1): it takes a chunk of its
        /// own.
        bool heavy;
    }

    // -----------------------------------------------------------------------------------------
    // Constants.

    /// @notice The version this library decodes.
    uint8 internal constant VERSION = 8;
    /// @notice Target of every transaction but token calls: the L2 system contract.
    address internal constant SYSTEM_CONTRACT = 0x4200000000000000000000000000000000000010;
    /// @notice Smallest encoded transaction: head, nonce and an input length (its gas limit and
    ///         fees the batch's defaults) of one byte each, and the 64 signature bytes; the bound
    ///         of §3.1.
    uint256 internal constant MIN_TX_BYTES = 67;
    /// @notice Most blocks in one batch (§3.5): bounds the block table a decoder walks.
    uint256 internal constant MAX_BATCH_BLOCKS = 256;
    /// @notice Most registry entries in one batch (§3.5): bounds the header a chunk proof carries.
    uint256 internal constant MAX_REGISTRY = 2048;
    /// @notice Most chunks in one batch (§3.5): bounds the chunk roots a chunk proof carries.
    uint256 internal constant MAX_BATCH_CHUNKS = 320;
    /// @notice More bytes than any admissible transaction encodes to (a raw input of 1,024
    ///         bytes with its length, the head, nonce, gas limit, two fees and the signature); a
    ///         chunk is at most `chunkSize` times this long (§3.5).
    uint256 internal constant MAX_ENCODED_TX_BYTES = 1161;
    /// @notice secp256k1n / 2: a larger `s` is refused (EIP-2).
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev The bits of `s`'s word that are `s`; the top one is the y-parity (§3.3).
    uint256 private constant S_MASK = (1 << 255) - 1;

    /// @dev Width of a number's tail varint: m < 2^256, so m >> 2 < 2^254.
    uint256 private constant TAIL_BITS = 254;
    /// @dev Head byte bits (§3.3).
    uint256 private constant HEAD_EIP1559 = 0x01;
    uint256 private constant HEAD_DEFAULT_GAS = 0x02;
    uint256 private constant HEAD_DEFAULT_FEES = 0x04;
    uint256 private constant HEAD_TOKEN_CALL = 0x40;
    uint256 private constant HEAD_INLINE = 0x80;

    /// @dev Selectors of the three ERC-20 calls a token call can be (§3.3.2).

    // -----------------------------------------------------------------------------------------
    // Header and chunks.

    /// @notice Reads and checks the header of `data` (§3.1): every rule of the table in its
    ///         order, the chunk count, and that the chunk lengths add up to the bytes left.
    /// @param chunkSize The chain's chunk size (`BatchInbox.chunkSize`); 0 is taken as 1.
    function decodeHeader(bytes memory data, uint256 chunkSize) internal pure returns (Header memory h) {
        (h,) = _decodeHeader(data, chunkSize, type(uint256).max);
    }

    /// @dev `decodeHeader`, and on the way the chunk `target` (if there is one; `locateChunk`
    ///      checks that), so that a decoder of one chunk walks the block table once.
    function _decodeHeader(bytes memory data, uint256 chunkSize, uint256 target)
        private
        pure
        returns (Header memory h, Chunk memory c)
    {
        h.chunkSize = chunkSize == 0 ? 1 : chunkSize;
        (uint256 base, uint256 end) = _bounds(data);
        if (end == base) revert Truncated();
        uint256 version = _byteAt(base);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (version != VERSION) revert UnknownVersion(uint8(version)); // a byte
        uint256 p = _readDefaults(h.defaults, base + 1, end);
        (h.firstNumber, p) = _varint64(p, end);
        (h.firstTimestamp, p) = _varint64(p, end);
        uint256 v;
        (v, p) = _varint(p, end, 64);
        if (v == 0) revert BadBlockSequence();
        // Both are below 2^64: the sum cannot overflow 256 bits.
        if (h.firstNumber + v - 1 > type(uint64).max) revert BadBlockSequence();
        // Each block takes at least five bytes.
        if (v > (end - p) / 5) revert Truncated();
        if (v > MAX_BATCH_BLOCKS) revert TooLarge();
        // forge-lint: disable-next-line(unsafe-typecast)
        h.blockCount = uint64(v); // a 64-bit varint
        h.blocksOffset = p - base;
        p = _readBlocks(h, c, p, end, target);
        (v, p) = _varint(p, end, 64);
        if (v > (end - p) / 20) revert Truncated();
        if (v > MAX_REGISTRY) revert TooLarge();
        h.registryCount = v;
        h.registryOffset = p - base;
        p += 20 * v;
        // Each chunk length takes at least one byte (the registry bound keeps p <= end).
        if (h.chunkCount > end - p) revert Truncated();
        if (h.chunkCount > MAX_BATCH_CHUNKS) revert TooLarge();
        h.chunkLengthsOffset = p - base;
        uint256 total;
        uint256 count = h.chunkCount;
        // A chunk length is a 64-bit varint: a chunk size of 2^64 or more bounds nothing (the
        // inbox's is at most 16; the Rust side's is 32-bit).
        uint256 maxChunk = h.chunkSize > type(uint64).max ? type(uint256).max : h.chunkSize * MAX_ENCODED_TX_BYTES;
        unchecked {
            // At most 256 values below 2^64: no overflow.
            for (uint256 i; i < count; ++i) {
                (v, p) = _varint(p, end, 64);
                if (v > maxChunk) revert TooLarge();
                if (i == target) (c.offset, c.length) = (total, v);
                total += v;
            }
        }
        h.chunksOffset = p - base;
        c.offset += h.chunksOffset;
        uint256 rest = end - p;
        if (total > rest) revert Truncated();
        if (total < rest) revert TrailingBytes();
    }

    /// @dev The header's defaults at `p` (§3.1): a gas limit of 64 bits and two fees of 128, with
    ///      the bytes they bill. Returns the pointer after them.
    function _readDefaults(Defaults memory d, uint256 p, uint256 end) private pure returns (uint256) {
        uint256 v;
        uint256 q;
        (v, q) = _number(p, end, 64);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.gasLimit = uint64(v); // a 64-bit number
        d.gasBytes = q - p;
        (v, p) = _number(q, end, 128);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.maxPriorityFeePerGas = uint128(v); // a 128-bit number
        uint256 tipBytes = p - q;
        (v, q) = _number(p, end, 128);
        // forge-lint: disable-next-line(unsafe-typecast)
        d.maxFeePerGas = uint128(v); // a 128-bit number
        if (v != 0) d.feeBytesLegacy = q - p;
        if (v != 0 || d.maxPriorityFeePerGas != 0) d.feeBytes1559 = tipBytes + q - p;
        return q;
    }

    /// @notice Reads and checks the header of `data` like `decodeHeader`, and finds its chunk
    ///         `index` on the way: the block it belongs to, its queue entries and transaction
    ///         count (the cut of the block table) and its bytes.
    function locateChunk(bytes memory data, uint256 chunkSize, uint256 index)
        internal
        pure
        returns (Header memory h, Chunk memory c)
    {
        (h, c) = _decodeHeader(data, chunkSize, index);
        if (index >= h.chunkCount) revert ChunkIndexOutOfRange(index, h.chunkCount);
    }

    /// @notice Decodes the header of `data` and only its chunk `index`, as a fraud proof does.
    function decodeChunk(bytes memory data, uint256 chunkSize, uint256 index) internal pure returns (Tx[] memory) {
        (Header memory h, Chunk memory c) = locateChunk(data, chunkSize, index);
        return decodeChunkAt(data, h, c);
    }

    /// @notice Decodes the transactions of chunk `c` (§3.2) from its bytes alone: a transaction
    ///         running past the chunk's end is `Truncated`, bytes left after its last
    ///         transaction are `TrailingBytes` (so a chunk of queue entries alone, which has no
    ///         transaction, decodes only from 0 bytes, to none).
    /// @dev `h` and `c` must come from `locateChunk` of the same `data`.
    function decodeChunkAt(bytes memory data, Header memory h, Chunk memory c) internal pure returns (Tx[] memory txs) {
        (uint256 base, uint256 dataEnd) = _bounds(data);
        uint256 p = base + c.offset;
        uint256 end = p + c.length;
        if (end > dataEnd) revert Truncated();
        uint256 n = c.txCount;
        // At most min(chunkSize, bytes / 68) transactions (the header's bound); the elements
        // are filled below, so they are not preallocated as empty structs.
        assembly ("memory-safe") {
            txs := mload(0x40)
            mstore(txs, n)
            mstore(0x40, add(txs, shl(5, add(n, 1))))
        }
        Registry memory reg = Registry(base + h.registryOffset, h.registryCount);
        bool heavy = c.heavy;
        for (uint256 i; i < n; ++i) {
            (txs[i], p) = _decodeTx(p, end, reg, h.defaults);
            if (txs[i].heavy != heavy) revert InvalidField();
        }
        if (p != end) revert TrailingBytes();
    }

    /// @notice Checks that `data` is a valid batch: the header, then every chunk in order (the
    ///         cut of `locateChunk`: each block's beginning, its queue entries one a chunk, then
    ///         its transactions, each heavy one alone and the light ones in chunks of
    ///         `chunkSize`). The first failure in reading order is the one reported.
    function validate(bytes memory data, uint256 chunkSize) internal pure {
        Header memory h = decodeHeader(data, chunkSize);
        (uint256 base, uint256 end) = _bounds(data);
        Chunk memory c;
        c.offset = h.chunksOffset;
        uint256 blocks = h.blockCount;
        uint256 bp = base + h.blocksOffset;
        uint256 lp = base + h.chunkLengthsOffset;
        for (uint256 i; i < blocks; ++i) {
            uint256 q;
            uint256 n;
            (, bp) = _varint(bp, end, 64);
            (q, bp) = _varint(bp, end, 64);
            (n, bp) = _varint(bp, end, 64);
            {
                uint256 price;
                (price, bp) = _number(bp, end, 64);
                // forge-lint: disable-next-line(unsafe-typecast)
                c.l1BytePrice = uint64(price); // a 64-bit number
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            c.blockNumber = uint64(h.firstNumber + i); // the header checked it fits
            if (q == 0 && n == 0) {
                // No chunk; its heavy runs are the one byte 00.
                (, bp) = _varint(bp, end, 64);
                continue;
            }
            // The beginning (no item, so it decodes only from 0 bytes), then one chunk an entry.
            // The header bounded the chunks by the bytes, so these loops are bounded too.
            (c.queueCount, c.txCount, c.heavy) = (0, 0, false);
            lp = _checkNext(data, h, c, lp, end);
            for (uint256 e; e < q; ++e) {
                (c.queueCount, c.txCount) = (1, 0);
                lp = _checkNext(data, h, c, lp, end);
            }
            c.queueCount = 0;
            (lp, bp) = _checkTxs(data, h, c, lp, bp, n);
        }
    }

    /// @dev `validate`'s chunks of a block's `n` transactions, whose heavy runs (checked by the
    ///      header) are at `bp`: returns the pointers after their lengths and after the runs.
    function _checkTxs(bytes memory data, Header memory h, Chunk memory c, uint256 lp, uint256 bp, uint256 n)
        private
        pure
        returns (uint256, uint256)
    {
        (, uint256 end) = _bounds(data);
        uint256 runs;
        (runs, bp) = _varint(bp, end, 64);
        for (uint256 r; r < runs; ++r) {
            uint256 gap;
            uint256 len;
            (gap, bp) = _varint(bp, end, 64);
            (len, bp) = _varint(bp, end, 64);
            lp = _checkLight(data, h, c, lp, end, gap);
            n -= gap + len;
            (c.heavy, c.txCount) = (true, 1);
            for (; len != 0; --len) {
                lp = _checkNext(data, h, c, lp, end);
            }
            c.heavy = false;
        }
        return (_checkLight(data, h, c, lp, end, n), bp);
    }

    /// @dev `validate`'s chunks of `n` light transactions in a row: `chunkSize` at a time.
    function _checkLight(bytes memory data, Header memory h, Chunk memory c, uint256 lp, uint256 end, uint256 n)
        private
        pure
        returns (uint256)
    {
        uint256 cs = h.chunkSize;
        while (n != 0) {
            c.txCount = n < cs ? n : cs;
            n -= c.txCount;
            lp = _checkNext(data, h, c, lp, end);
        }
        return lp;
    }

    /// @dev `validate`'s next chunk: reads its length at `lp`, decodes it as `c` says, and moves
    ///      `c` past it. Returns the pointer after its length.
    function _checkNext(bytes memory data, Header memory h, Chunk memory c, uint256 lp, uint256 end)
        private
        pure
        returns (uint256)
    {
        (c.length, lp) = _varint(lp, end, 64);
        _checkChunk(data, h, c);
        c.offset += c.length;
        c.queueOffset += c.queueCount;
        ++c.index;
        return lp;
    }

    // -----------------------------------------------------------------------------------------
    // Numbers.

    /// @notice Decodes one number (§2.2) of `width` bits that fills `data` exactly (for tests).
    function decodeNumber(bytes memory data, uint256 width) internal pure returns (uint256 v) {
        (uint256 p, uint256 end) = _bounds(data);
        (v, p) = _number(p, end, width);
        if (p != end) revert TrailingBytes();
    }

    // -----------------------------------------------------------------------------------------
    // Signed transactions (§4.1).

    /// @notice The hash the sender signed: keccak256 of the EIP-1559 signing payload
    ///         (`0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, to, 0, data, []])`), or of the
    ///         EIP-155 one (`rlp([nonce, gasPrice, gas, to, 0, data, chainId, 0, 0])`).
    function signingHash(Tx memory t, uint256 chainId) internal pure returns (bytes32 h) {
        (uint256 start, uint256 finish) = _encode(t, chainId, false);
        assembly ("memory-safe") {
            h := keccak256(start, sub(finish, start))
        }
    }

    /// @notice The EIP-2718 bytes of the transaction as the user submitted them: type 2 is
    ///         `0x02 ‖ rlp([..., [], yParity, r, s])`, legacy is
    ///         `rlp([nonce, gasPrice, gas, to, 0, data, 35 + 2·chainId + yParity, r, s])`.
    function encodeSigned(Tx memory t, uint256 chainId) internal pure returns (bytes memory out) {
        (uint256 start, uint256 finish) = _encode(t, chainId, true);
        // `_encode` leaves at least 32 free bytes before `start`: the length word goes there.
        assembly ("memory-safe") {
            out := sub(start, 32)
            mstore(out, sub(finish, start))
            mstore(finish, 0)
            mstore(0x40, and(add(finish, 31), not(31)))
        }
    }

    /// @notice The transaction hash: keccak256 of `encodeSigned`.
    function txHash(Tx memory t, uint256 chainId) internal pure returns (bytes32 h) {
        (uint256 start, uint256 finish) = _encode(t, chainId, true);
        assembly ("memory-safe") {
            h := keccak256(start, sub(finish, start))
        }
    }

    /// @notice The signer of the transaction, or address(0) when the signature is not valid:
    ///         `r` or `s` zero, `s` above secp256k1n / 2 (EIP-2), or no key recovered.
    function recoverSender(Tx memory t, uint256 chainId) internal pure returns (address) {
        if (t.r == 0 || t.s == 0 || uint256(t.s) > HALF_N) return address(0);
        return ecrecover(signingHash(t, chainId), t.yParity ? 28 : 27, t.r, t.s);
    }

    // -----------------------------------------------------------------------------------------
    // Private: header walk.

    /// @dev The registry as a chunk decoder needs it: a memory pointer and a count.
    struct Registry {
        uint256 ptr;
        uint256 count;
    }

    /// @dev Reads the block table (timestamp delta, queue count, tx count, L1 price per block) of
    ///      `h.blockCount` blocks at `p`, sets `h.chunkCount` to the number of chunks the cut
    ///      gives and `h.queueCount` to the queue entries of the batch, fills `c` with chunk
    ///      `target` if it is one of them, and returns the pointer after the table.
    function _readBlocks(Header memory h, Chunk memory c, uint256 p, uint256 end, uint256 target)
        private
        pure
        returns (uint256)
    {
        uint256 timestamp = h.firstTimestamp;
        uint256 blocks = h.blockCount;
        uint256 v;
        uint256 q;
        // No overflow below: the timestamp is checked against 2^64 at each block, and the other
        // sums add fewer than 2^64 values (one per block) below 2^65 each.
        unchecked {
            for (uint256 i; i < blocks; ++i) {
                (v, p) = _varint(p, end, 64);
                if (i == 0) {
                    if (v != 0) revert InvalidField();
                } else {
                    timestamp += v;
                    if (timestamp > type(uint64).max) revert BadBlockSequence();
                }
                // Queue entries carry no bytes: their count is bounded by the chunk count's check.
                // Most often one byte (00), a whole varint: read here; any other first byte (or
                // none) goes to `_varint`, which reads the longer forms or reports the error.
                assembly ("memory-safe") {
                    q := 0x80
                    if lt(p, end) { q := byte(0, mload(p)) }
                }
                if (q < 0x80) ++p;
                else (q, p) = _varint(p, end, 64);
                (v, p) = _varint(p, end, 64);
                // The price, read before the transaction count's bound is checked (the Rust
                // decoder's order, so that both report the same error). Kept while the target
                // may be this block's chunk: the last one kept is its block's.
                {
                    uint256 price;
                    (price, p) = _number(p, end, 64);
                    if (target >= h.chunkCount) {
                        // forge-lint: disable-next-line(unsafe-typecast)
                        c.l1BytePrice = uint64(price); // a 64-bit number
                        // forge-lint: disable-next-line(unsafe-typecast)
                        c.timestamp = uint64(timestamp); // checked against 2^64 above
                    }
                }
                if (v > (end - p) / MIN_TX_BYTES) revert Truncated();
                p = _cutBlock(h, c, i, q, v, p, end, target);
                if (q != 0) h.queueCount += q;
            }
        }
        return p;
    }

    /// @dev Block `i` of `_readBlocks`, with `q` queue entries and `n` transactions, whose heavy
    ///      runs are at `p`: adds its chunks to `h.chunkCount` (the chunks of the blocks before
    ///      it), fills `c` if chunk `target` is one of them, and returns the pointer after the
    ///      runs.
    function _cutBlock(
        Header memory h,
        Chunk memory c,
        uint256 i,
        uint256 q,
        uint256 n,
        uint256 p,
        uint256 end,
        uint256 target
    ) private pure returns (uint256) {
        uint256 runs = p;
        uint256 k;
        (k, p) = _blockChunks(p, end, q, n, h.chunkSize);
        uint256 first = h.chunkCount;
        // Chunks `first … first + k − 1` are this block's: its beginning, then its items.
        if (target >= first && target - first < k) {
            c.index = target;
            _setChunk(h, c, i, q, n, runs, target - first);
        }
        unchecked {
            // Fewer than 2^64 blocks of fewer than 2^66 chunks each.
            h.chunkCount = first + k;
        }
        return p;
    }

    /// @dev Reads the heavy runs at `p` of a block of `q` queue entries and `n` transactions
    ///      (§3.1: their count, then for each the light transactions before it, at least one but
    ///      before the first, and its heavy ones, at least one, all within the block's
    ///      transactions), and returns the block's chunks and the pointer after the runs. Both
    ///      counts are below 2^64: no sum below overflows.
    function _blockChunks(uint256 p, uint256 end, uint256 q, uint256 n, uint256 cs)
        private
        pure
        returns (uint256 chunks, uint256)
    {
        uint256 count;
        (count, p) = _varint(p, end, 64);
        // Each run takes at least two bytes.
        if (count > (end - p) / 2) revert Truncated();
        uint256 seen;
        unchecked {
            if (q != 0 || n != 0) chunks = 1 + q;
            for (uint256 r; r < count; ++r) {
                uint256 gap;
                uint256 len;
                (gap, p) = _varint(p, end, 64);
                (len, p) = _varint(p, end, 64);
                if (len == 0 || (r != 0 && gap == 0)) revert InvalidField();
                seen += gap + len;
                if (seen > n) revert InvalidField();
                chunks += _ceilDiv(gap, cs) + len;
            }
            chunks += _ceilDiv(n - seen, cs);
        }
        return (chunks, p);
    }

    /// @dev The chunk being located is chunk `j` of block `i`, which holds `q` queue entries
    ///      then `n` transactions whose heavy runs (checked) are at `runs`; `h.queueCount` holds
    ///      the entries of the blocks before it. Chunk 0 is the block's beginning, with no item;
    ///      chunks 1 … q hold an entry each; then the transactions' chunks follow the runs.
    function _setChunk(Header memory h, Chunk memory c, uint256 i, uint256 q, uint256 n, uint256 runs, uint256 j)
        private
        pure
    {
        // forge-lint: disable-next-line(unsafe-typecast)
        c.blockNumber = uint64(h.firstNumber + i); // the header checked it fits
        if (j == 0) {
            // No item: the entries of the batch before it are those of the blocks before.
            c.queueOffset = h.queueCount;
            return;
        }
        if (j <= q) {
            c.queueOffset = h.queueCount + j - 1;
            c.queueCount = 1;
            return;
        }
        c.queueOffset = h.queueCount + q;
        uint256 cs = h.chunkSize;
        // The chunk's rank among the block's chunks of transactions.
        uint256 rest = j - 1 - q;
        uint256 count;
        // The runs were read and checked: no bound to check again.
        (count, runs) = _varint(runs, type(uint256).max, 64);
        unchecked {
            for (uint256 r; r < count; ++r) {
                uint256 gap;
                uint256 len;
                (gap, runs) = _varint(runs, type(uint256).max, 64);
                (len, runs) = _varint(runs, type(uint256).max, 64);
                uint256 light = _ceilDiv(gap, cs);
                if (rest < light) {
                    c.txCount = _lightAt(gap, rest, cs);
                    return;
                }
                rest -= light;
                if (rest < len) {
                    (c.txCount, c.heavy) = (1, true);
                    return;
                }
                rest -= len;
                n -= gap + len;
            }
        }
        c.txCount = _lightAt(n, rest, cs);
    }

    /// @dev ⌈x / cs⌉ for cs ≥ 1, without overflow whatever the chunk size.
    function _ceilDiv(uint256 x, uint256 cs) private pure returns (uint256) {
        unchecked {
            return x == 0 ? 0 : (x - 1) / cs + 1;
        }
    }

    /// @dev Transactions in chunk `k` of a row of `n` light ones cut every `cs`.
    function _lightAt(uint256 n, uint256 k, uint256 cs) private pure returns (uint256) {
        uint256 left = n - k * cs;
        return left < cs ? left : cs;
    }

    /// @dev Decodes one chunk of `validate`, then frees the memory its transactions took.
    function _checkChunk(bytes memory data, Header memory h, Chunk memory c) private pure {
        uint256 free;
        assembly ("memory-safe") {
            free := mload(0x40)
        }
        decodeChunkAt(data, h, c);
        // Nothing refers to the decoded transactions any more.
        assembly ("memory-safe") {
            mstore(0x40, free)
        }
    }

    // -----------------------------------------------------------------------------------------
    // Private: one transaction (§3.3).

    /// @dev One transaction at `p` of a chunk ending at `end`, in a batch with registry `reg` and
    ///      defaults `d`; returns it and the pointer after it.
    function _decodeTx(uint256 p, uint256 end, Registry memory reg, Defaults memory d)
        private
        pure
        returns (Tx memory t, uint256)
    {
        if (p >= end) revert Truncated();
        uint256 start = p;
        uint256 head = _byteAt(p);
        ++p;
        uint256 op = (head >> 3) & 7;
        bool tokenCall = head & HEAD_TOKEN_CALL != 0;
        // System operations 0–6 and 7, extended; token calls 1–3 and the native transfer, 4.
        if (tokenCall ? op == 0 || op > 4 : op != 0 && op != Operations.EXTENDED_CODE && _compactSelector(op) == 0) {
            revert InvalidField();
        }
        // An inline address replaces a registry pair's second (or a native transfer's index).
        if (head & HEAD_INLINE != 0 && !tokenCall && (op == 0 || op == Operations.EXTENDED_CODE)) {
            revert InvalidField();
        }
        t.eip1559 = head & HEAD_EIP1559 != 0;
        (t.nonce, p) = _varint64(p, end);
        p = _gasAndFees(t, head, p, end, d);
        // The bill counts the gas limit and fees as written against zero defaults: `start` moves
        // back by what the defaults it takes add (high half), and on by zero fees written out
        // (low half), which are not billed.
        // forge-lint: disable-next-line(unsafe-typecast)
        start = start + uint128(t.billedBytes) - (t.billedBytes >> 128);
        t.to = SYSTEM_CONTRACT;
        // The registry references start here (all but raw calldata have them).
        uint256 refs = p;
        if (tokenCall && op == 4) (t.to, t.value, p) = _nativeTransfer(p, end, reg, head & HEAD_INLINE != 0);
        else if (tokenCall) (t.input, t.to, p) = _tokenCallInput(op, p, end, reg, head & HEAD_INLINE != 0);
        else if (op == 0) (t.input, p) = _rawInput(p, end);
        else if (op == Operations.EXTENDED_CODE) (t.input, p, t.billedBytes) = _extendedInput(p, end, reg);
        else (t.input, p) = _compactInput(op, p, end, reg, head & HEAD_INLINE != 0);
        if (end - p < 64) revert Truncated();
        // The bytes the L1 data fee bills: the transaction's, with the defaults it takes written,
        // each registry reference (a pair or an index; two for a token transferFrom, its pair
        // then its index) counted as 2 bytes whatever its width, and an address written inline
        // counted as the reference it replaces.
        start = p + 64 - start;
        if (op == Operations.EXTENDED_CODE && !tokenCall) {
            t.heavy = _heavy(t.input);
            // `_extendedInput` gave the references' billed bytes (high half) and their bytes.
            // forge-lint: disable-next-line(unsafe-typecast)
            start = start + (t.billedBytes >> 128) - uint128(t.billedBytes);
        } else if (op != 0 || tokenCall) {
            // The references were read above: each varint ends at a byte below 0x80.
            uint256 q = refs;
            if (head & HEAD_INLINE == 0 || !tokenCall || op != 4) q = _varintEnd(q);
            if (head & HEAD_INLINE != 0) q += 20;
            if (tokenCall && op == 3) q = _varintEnd(q);
            // The references' bytes are part of the transaction's: no underflow.
            start = start + (tokenCall && op == 3 ? 4 : 2) - (q - refs);
        }
        t.billedBytes = start;
        bytes32 r;
        uint256 s;
        assembly ("memory-safe") {
            r := mload(p)
            s := mload(add(p, 32))
        }
        // The y-parity is the top bit of `s`'s word, which a low `s` (EIP-2) leaves free.
        t.r = r;
        t.s = bytes32(s & S_MASK);
        t.yParity = s >> 255 != 0;
        return (t, p + 64);
    }

    /// @dev The pointer after the varint at `q`, one already read and checked.
    function _varintEnd(uint256 q) private pure returns (uint256) {
        assembly ("memory-safe") {
            for {} gt(byte(0, mload(q)), 0x7f) {} { q := add(q, 1) }
        }
        return q + 1;
    }

    /// @dev The gas limit unless `head` has the default-gas bit (the default written out is
    ///      refused), then the fee fields unless it has the default-fees bit. Sets
    ///      `t.billedBytes` to the bytes the defaults it takes add to its bill (high 128 bits) and
    ///      to the bytes of zero fees written out, which it is not billed (low), and returns the
    ///      pointer after the fields.
    function _gasAndFees(Tx memory t, uint256 head, uint256 p, uint256 end, Defaults memory d)
        private
        pure
        returns (uint256)
    {
        uint256 v;
        uint256 extra;
        if (head & HEAD_DEFAULT_GAS != 0) {
            (v, extra) = (d.gasLimit, d.gasBytes);
        } else {
            (v, p) = _number(p, end, 64);
            if (v == d.gasLimit) revert InvalidField();
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        t.gasLimit = uint64(v); // a 64-bit number
        if (head & HEAD_DEFAULT_FEES == 0) {
            uint256 q = _readFees(t, p, end, d);
            (p, v) = (q, q - p);
            t.billedBytes = extra << 128 | (t.maxFeePerGas == 0 && t.maxPriorityFeePerGas == 0 ? v : 0);
            return p;
        } else if (t.eip1559) {
            (t.maxPriorityFeePerGas, t.maxFeePerGas) = (d.maxPriorityFeePerGas, d.maxFeePerGas);
            extra += d.feeBytes1559;
        } else {
            t.maxFeePerGas = d.maxFeePerGas;
            extra += d.feeBytesLegacy;
        }
        t.billedBytes = extra << 128;
        return p;
    }

    /// @dev The fee fields, present when the default-fees bit is clear: not the defaults (they
    ///      have one encoding, the bit).
    function _readFees(Tx memory t, uint256 p, uint256 end, Defaults memory d) private pure returns (uint256) {
        uint256 tip;
        uint256 max;
        if (t.eip1559) (tip, p) = _number(p, end, 128);
        (max, p) = _number(p, end, 128);
        if (max == d.maxFeePerGas && (!t.eip1559 || tip == d.maxPriorityFeePerGas)) revert InvalidField();
        // Both are 128-bit numbers.
        // forge-lint: disable-next-line(unsafe-typecast)
        t.maxPriorityFeePerGas = uint128(tip);
        // forge-lint: disable-next-line(unsafe-typecast)
        t.maxFeePerGas = uint128(max);
        return p;
    }

    /// @dev Operation 0: `input_len` then the bytes, refused when they have a compact form.
    function _rawInput(uint256 p, uint256 end) private pure returns (bytes memory input, uint256) {
        uint256 len;
        (len, p) = _varint(p, end, 64);
        if (len > end - p) revert Truncated();
        assembly ("memory-safe") {
            input := mload(0x40)
            mstore(input, len)
            let dst := add(input, 32)
            mcopy(dst, p, len)
            mstore(add(dst, len), 0)
            mstore(0x40, and(add(add(dst, len), 31), not(31)))
        }
        if (hasCompactForm(input)) revert InvalidField();
        return (input, p + len);
    }

    /// @dev Fresh calldata of `len` bytes starting with `selector`, the rest to be written at
    ///      `w`, its first byte (the selector's), and zero-padded to a whole word.
    function _newCalldata(uint256 selector, uint256 len) private pure returns (bytes memory input, uint256 w) {
        assembly ("memory-safe") {
            input := mload(0x40)
            mstore(input, len)
            w := add(input, 32)
            mstore(w, shl(224, selector))
            mstore(add(w, len), 0)
            mstore(0x40, add(w, and(add(len, 31), not(31))))
        }
    }

    /// @dev Operations 1–6: the registry pair (or with `inline` an index and an inline address)
    ///      and the amounts, rebuilt as the canonical ABI calldata
    ///      `selector ‖ pad32(a0) ‖ pad32(a1) ‖ amount…`.
    function _compactInput(uint256 op, uint256 p, uint256 end, Registry memory reg, bool inlined)
        private
        pure
        returns (bytes memory input, uint256)
    {
        (uint256 selector, uint256 amounts) = Operations.compactOp(op);
        uint256 len = 68 + 32 * amounts;
        uint256 w;
        (input, w) = _newCalldata(selector, len);
        uint256 a0;
        uint256 a1;
        (a0, a1, p) = _pair(p, end, reg, inlined);
        assembly ("memory-safe") {
            mstore(add(w, 4), shr(96, mload(a0)))
            mstore(add(w, 36), shr(96, mload(a1)))
        }
        uint256 v;
        for (uint256 i; i < amounts; ++i) {
            (v, p) = _number(p, end, 256);
            assembly ("memory-safe") {
                mstore(add(w, add(68, shl(5, i))), v)
            }
        }
        return (input, p);
    }

    /// @dev Where a registry pair's two addresses are (memory pointers to their 20 bytes): the
    ///      pair p = i0 · R + i1 (R < 2^64: R² does not overflow; p < R² implies R > 0), or with
    ///      `inline` the index i0 and the second address's 20 bytes in the data.
    function _pair(uint256 p, uint256 end, Registry memory reg, bool inlined)
        private
        pure
        returns (uint256 a0, uint256 a1, uint256)
    {
        uint256 v;
        (v, p) = _varint(p, end, 64);
        uint256 count = reg.count;
        if (inlined) {
            if (v >= count) revert InvalidField();
            if (end - p < 20) revert Truncated();
            return (reg.ptr + 20 * v, p, p + 20);
        }
        if (v >= count * count) revert InvalidField();
        return (reg.ptr + 20 * (v / count), reg.ptr + 20 * (v % count), p);
    }

    /// @dev Whether the extended operation with calldata `input` (its selector first) is heavy
    ///      (§3.1).
    function _heavy(bytes memory input) private pure returns (bool) {
        uint256 selector;
        assembly ("memory-safe") {
            selector := shr(224, mload(add(input, 32)))
        }
        (uint256 row, bool found) = Operations.systemOp(selector);
        return found && Operations.heavyOf(row);
    }

    /// @dev An extended operation's shape and registry references, as read (§3.3.3).
    struct Extended {
        uint256 selector;
        /// Leading address words.
        uint256 addresses;
        /// Whether an address list follows them (its offset word is then a head word).
        bool hasList;
        /// The list's length.
        uint256 list;
        /// Number words after the addresses (and the list's offset).
        uint256 numbers;
        /// The mixed-radix registry references of the leading addresses and of the list.
        uint256 lead;
        uint256 path;
    }

    /// @dev Operation 7 (§3.3.3): the row's number in the operation table, then by the row's
    ///      shape its leading addresses as one mixed-radix registry reference, the length of its
    ///      address list and the list as one reference, then its numbers; rebuilt as the
    ///      canonical ABI calldata `selector ‖ address words ‖ [offset] ‖ numbers ‖ [length ‖
    ///      list words]`. `refs` is the references' billed bytes (high 128 bits) and their bytes
    ///      in the data (low).
    function _extendedInput(uint256 p, uint256 end, Registry memory reg)
        private
        pure
        returns (bytes memory input, uint256, uint256 refs)
    {
        Extended memory e;
        (e, p, refs) = _extendedShape(p, end, reg.count);
        uint256 listWords = e.hasList ? 1 : 0;
        uint256 head = e.addresses + listWords + e.numbers;
        uint256 len = 4 + 32 * (head + (e.hasList ? 1 + e.list : 0));
        uint256 selector = e.selector;
        uint256 w;
        (input, w) = _newCalldata(selector, len);
        w += 4;
        _putAddresses(w, e.lead, e.addresses, reg);
        if (e.hasList) _putList(w, e, head, reg);
        w += 32 * (e.addresses + listWords);
        for (uint256 i; i < e.numbers; ++i) {
            uint256 v;
            (v, p) = _number(p, end, 256);
            assembly ("memory-safe") {
                mstore(add(w, shl(5, i)), v)
            }
        }
        return (input, p, refs);
    }

    /// @dev Writes an extended operation's address list into its calldata's argument words at
    ///      `w`: the list's offset (the head word after the leading addresses), then after the
    ///      `head` words its length and its address words.
    function _putList(uint256 w, Extended memory e, uint256 head, Registry memory reg) private pure {
        uint256 offset = 32 * head;
        uint256 at = w + 32 * e.addresses;
        uint256 n = e.list;
        assembly ("memory-safe") {
            mstore(at, offset)
            mstore(add(w, offset), n)
        }
        _putAddresses(w + offset + 32, e.path, n, reg);
    }

    /// @dev Reads an extended operation's row number and registry references (§3.3.3): the
    ///      row must be extended, each reference below `count^m` for its `m` addresses, the list's
    ///      length within the row's bounds. `refs` as for `_extendedInput`.
    function _extendedShape(uint256 p, uint256 end, uint256 count)
        private
        pure
        returns (Extended memory e, uint256, uint256 refs)
    {
        uint256 v;
        (v, p) = _varint(p, end, 64);
        uint256 listMin;
        uint256 listMax;
        bool found;
        (e.selector, e.addresses, listMin, listMax, e.numbers, found) = Operations.extendedOp(v);
        if (!found) revert InvalidField();
        uint256 before;
        if (e.addresses != 0) {
            before = p;
            (e.lead, p) = _varint(p, end, 64);
            if (e.lead >= _power(count, e.addresses)) revert InvalidField();
            // Billed bytes (high half) and bytes in the data (low).
            refs = _billedReference(e.addresses) << 128 | (p - before);
        }
        if (listMax != 0) {
            e.hasList = true;
            (e.list, p) = _varint(p, end, 64);
            if (e.list < listMin || e.list > listMax) revert InvalidField();
            before = p;
            (e.path, p) = _varint(p, end, 64);
            if (e.path >= _power(count, e.list)) revert InvalidField();
            refs += _billedReference(e.list) << 128 | (p - before);
        }
        return (e, p, refs);
    }

    /// @dev Writes the `m` addresses of mixed-radix reference `v` (most significant first) as
    ///      address words from `at`.
    function _putAddresses(uint256 at, uint256 v, uint256 m, Registry memory reg) private pure {
        uint256 count = reg.count;
        uint256 base = reg.ptr;
        for (uint256 i = m; i != 0; --i) {
            uint256 a = base + 20 * (v % count);
            v /= count;
            assembly ("memory-safe") {
                mstore(add(at, shl(5, sub(i, 1))), shr(96, mload(a)))
            }
        }
    }

    /// @dev `count^m` for `count` ≤ `MAX_REGISTRY` and `m` ≤ 8 (below 2^96).
    function _power(uint256 count, uint256 m) private pure returns (uint256 r) {
        r = 1;
        for (uint256 i; i < m; ++i) {
            r *= count;
        }
    }

    /// @dev Bytes the L1 data fee bills for a registry reference of `m` addresses whatever its
    ///      width: 2 for each two addresses or one left over (a pair and an index bill 2).
    function _billedReference(uint256 m) private pure returns (uint256) {
        return 2 * ((m + 1) / 2);
    }

    /// @dev Token calls 1–3 (§3.3.2): the registry pair (the target, then the first calldata
    ///      address), for transferFrom a registry index (the second), then the amount, rebuilt
    ///      as the canonical ABI calldata `selector ‖ pad32(a1) [‖ pad32(a2)] ‖ amount`. A
    ///      target that is the system contract is refused as soon as the pair is read.
    function _tokenCallInput(uint256 op, uint256 p, uint256 end, Registry memory reg, bool inlined)
        private
        pure
        returns (bytes memory input, address to, uint256)
    {
        // Token call `op` is row TOKEN_TRANSFER + op - 1 of the table.
        uint256 len = op == 3 ? 4 + 32 * 3 : 4 + 32 * 2;
        uint256 w;
        (input, w) = _newCalldata(Operations.selectorOf(Operations.TOKEN_TRANSFER + op - 1), len);
        // The registry pair, as for the system operations.
        {
            uint256 a0;
            uint256 a1;
            (a0, a1, p) = _pair(p, end, reg, inlined);
            assembly ("memory-safe") {
                to := shr(96, mload(a0))
                mstore(add(w, 4), shr(96, mload(a1)))
            }
        }
        // A call of the system contract is never a token call: it has one encoding, bit 6 clear.
        if (to == SYSTEM_CONTRACT) revert InvalidField();
        uint256 v;
        if (op == 3) {
            (v, p) = _varint(p, end, 64);
            if (v >= reg.count) revert InvalidField();
            uint256 a2 = reg.ptr + 20 * v;
            assembly ("memory-safe") {
                mstore(add(w, 36), shr(96, mload(a2)))
            }
        }
        (v, p) = _number(p, end, 256);
        assembly ("memory-safe") {
            mstore(add(w, sub(len, 32)), v)
        }
        return (input, to, p);
    }

    /// @dev The native transfer (§3.3.2, code 4): the registry index of the recipient (with
    ///      `inline`, its 20 bytes), which is not the system contract, then the value; the input
    ///      is empty.
    function _nativeTransfer(uint256 p, uint256 end, Registry memory reg, bool inlined)
        private
        pure
        returns (address to, uint256 value, uint256)
    {
        uint256 a;
        if (inlined) {
            if (end - p < 20) revert Truncated();
            (a, p) = (p, p + 20);
        } else {
            uint256 v;
            (v, p) = _varint(p, end, 64);
            if (v >= reg.count) revert InvalidField();
            a = reg.ptr + 20 * v;
        }
        assembly ("memory-safe") {
            to := shr(96, mload(a))
        }
        if (to == SYSTEM_CONTRACT) revert InvalidField();
        (value, p) = _number(p, end, 256);
        return (to, value, p);
    }

    /// @notice Whether calldata is a canonical token call (§3.3.2): the selector of ERC-20
    ///         `transfer(address,uint256)` or `approve(address,uint256)` and exactly 4 + 32·2
    ///         bytes, or of `transferFrom(address,address,uint256)` and exactly 4 + 32·3 bytes,
    ///         with clean address words (top 12 bytes zero). That is what the codec can carry
    ///         as a token call, and what makes it the canonical ABI encoding of its call.
    function hasTokenCallForm(bytes memory input) internal pure returns (bool) {
        uint256 len = input.length;
        if (len < 4) return false;
        uint256 selector;
        uint256 w0;
        uint256 w1;
        assembly ("memory-safe") {
            selector := shr(224, mload(add(input, 32)))
            w0 := mload(add(input, 36))
            w1 := mload(add(input, 68))
        }
        // The words are only read when the length says they are there.
        (uint256 op, uint256 length, bool found) = Operations.tokenOp(selector);
        return found && len == length && w0 >> 160 == 0 && (op != Operations.TOKEN_TRANSFER_FROM || w1 >> 160 == 0);
    }

    /// @dev The selector of compact operation `code` (§3.3.1), 0 when there is none.
    function _compactSelector(uint256 code) private pure returns (uint256 selector) {
        (selector,) = Operations.compactOp(code);
    }

    /// @notice Whether calldata has a compact form (§3.3.1): the selector of operation 1–6,
    ///         exactly its canonical length, and two clean address words. That is also what
    ///         makes such calldata the canonical ABI encoding of its operation.
    function hasCompactForm(bytes memory input) internal pure returns (bool) {
        uint256 len = input.length;
        if (len < 4) return false;
        uint256 selector;
        uint256 w0;
        uint256 w1;
        assembly ("memory-safe") {
            selector := shr(224, mload(add(input, 32)))
            w0 := mload(add(input, 36))
            w1 := mload(add(input, 68))
        }
        (uint256 op, bool found) = Operations.systemOp(selector);
        if (!found) return false;
        (uint256 compact, uint256 amounts) = Operations.compactOp(op);
        if (compact == 0) return _hasExtendedForm(input, op);
        // The words are only read when the length says they are there.
        return len == 68 + 32 * amounts && w0 >> 160 == 0 && w1 >> 160 == 0;
    }

    /// @dev Whether `input`, calldata with the selector of operation `op`, is what an extended
    ///      form (§3.3.3) rebuilds: `op`'s row is extended, the length is exactly the canonical
    ///      ABI length, the address words are clean, and an address list sits at its canonical
    ///      offset with a length within the row's bounds.
    function _hasExtendedForm(bytes memory input, uint256 op) private pure returns (bool) {
        (, uint256 k, uint256 listMin, uint256 listMax, uint256 n, bool found) = Operations.extendedOp(op);
        if (!found) return false;
        uint256 len = input.length;
        uint256 head = k + n + (listMax != 0 ? 1 : 0);
        if (len < 4 + 32 * head) return false;
        if (!_cleanAddresses(input, 0, k)) return false;
        if (listMax == 0) return len == 4 + 32 * head;
        if (len < 4 + 32 * (head + 1) || _word(input, k) != 32 * head) return false;
        uint256 list = _word(input, head);
        return list >= listMin && list <= listMax && len == 4 + 32 * (head + 1 + list)
            && _cleanAddresses(input, head + 1, list);
    }

    /// @dev Argument word `i` of calldata `input` (after its selector); `input` holds it.
    function _word(bytes memory input, uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := mload(add(add(input, 36), shl(5, i)))
        }
    }

    /// @dev Whether argument words `from … from + m − 1` of `input` are clean address words.
    function _cleanAddresses(bytes memory input, uint256 from, uint256 m) private pure returns (bool) {
        for (uint256 i; i < m; ++i) {
            if (_word(input, from + i) >> 160 != 0) return false;
        }
        return true;
    }

    // -----------------------------------------------------------------------------------------
    // Private: primitives (§2).

    /// @dev Memory pointers to the first byte of `data` and just past its last.
    function _bounds(bytes memory data) private pure returns (uint256 base, uint256 end) {
        assembly ("memory-safe") {
            base := add(data, 32)
            end := add(base, mload(data))
        }
    }

    function _byteAt(uint256 p) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(p))
        }
    }

    /// @dev A varint of `width` bits (§2.1) at `p`, refused when it is not in its shortest form
    ///      or overflows; `Truncated` when the data ends inside it. The loop of the spec, with
    ///      its first byte taken out (for `width` ≥ 7 no check can fail there).
    function _varint(uint256 p, uint256 end, uint256 width) private pure returns (uint256 v, uint256) {
        uint256 failure; // 0: none, 1: truncated, 2: bad integer
        assembly ("memory-safe") {
            switch lt(p, end)
            case 0 { failure := 1 }
            default {
                let b := byte(0, mload(p))
                p := add(p, 1)
                v := and(b, 0x7f)
                if gt(b, 0x7f) {
                    for { let shift := 7 } 1 { shift := add(shift, 7) } {
                        if iszero(lt(p, end)) {
                            failure := 1
                            break
                        }
                        b := byte(0, mload(p))
                        p := add(p, 1)
                        let group := and(b, 0x7f)
                        // room = max(width - shift, 0); shift > 0 here.
                        let room := mul(lt(shift, width), sub(width, shift))
                        if or(or(iszero(room), and(lt(room, 7), gt(shr(room, group), 0))), iszero(b)) {
                            failure := 2
                            break
                        }
                        v := or(v, shl(shift, group))
                        if iszero(and(b, 0x80)) { break }
                    }
                }
            }
        }
        if (failure == 1) revert Truncated();
        if (failure == 2) revert BadInteger();
        return (v, p);
    }

    /// @dev A 64-bit varint.
    function _varint64(uint256 p, uint256 end) private pure returns (uint64, uint256) {
        (uint256 v, uint256 q) = _varint(p, end, 64);
        // forge-lint: disable-next-line(unsafe-typecast)
        return (uint64(v), q); // below 2^64: `_varint` refuses wider values
    }

    /// @dev A number of `width` bits (§2.2): `m · 10^e` with its one canonical encoding.
    function _number(uint256 p, uint256 end, uint256 width) private pure returns (uint256, uint256) {
        if (p >= end) revert Truncated();
        uint256 a = _byteAt(p);
        ++p;
        uint256 e = a & 31;
        uint256 m = (a >> 5) & 3;
        if (a & 0x80 != 0) {
            uint256 tail;
            (tail, p) = _varint(p, end, TAIL_BITS);
            if (tail == 0) revert BadInteger();
            // tail < 2^254: fits.
            m |= tail << 2;
        }
        if (m == 0) {
            if (e != 0) revert BadInteger();
            return (0, p);
        }
        if (e < 31 && m % 10 == 0) revert BadInteger();
        unchecked {
            // 10^31 < 2^104: no overflow; the product is bounded by `max` below.
            uint256 scale = 10 ** e;
            uint256 max = width >= 256 ? type(uint256).max : type(uint256).max >> (256 - width);
            if (m > max / scale) revert BadInteger();
            return (m * scale, p);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Private: RLP (§4.1).

    /// @dev Writes the signing payload (`signed` false) or the signed EIP-2718 bytes in free
    ///      memory, without allocating it, and returns where they start and end. At least 32
    ///      free bytes are left before `start`.
    function _encode(Tx memory t, uint256 chainId, bool signed) private pure returns (uint256 start, uint256 q) {
        if (chainId > type(uint64).max) revert ChainIdTooLarge(chainId);
        uint256 body;
        assembly ("memory-safe") {
            // 32 bytes for a length word, then up to 10 for the type and the list header.
            body := add(mload(0x40), 64)
        }
        q = body;
        if (t.eip1559) {
            q = _putUint(q, chainId);
            q = _putUint(q, t.nonce);
            q = _putUint(q, t.maxPriorityFeePerGas);
            q = _putUint(q, t.maxFeePerGas);
        } else {
            q = _putUint(q, t.nonce);
            q = _putUint(q, t.maxFeePerGas);
        }
        q = _putUint(q, t.gasLimit);
        q = _putCallTail(q, t.to, t.value, t.input);
        if (t.eip1559) {
            assembly ("memory-safe") {
                mstore8(q, 0xc0) // empty access list
                q := add(q, 1)
            }
            if (signed) q = _putUint(q, t.yParity ? 1 : 0);
        } else if (signed) {
            // chainId < 2^64: no overflow.
            q = _putUint(q, 35 + 2 * chainId + (t.yParity ? 1 : 0));
        } else {
            q = _putUint(q, chainId);
            assembly ("memory-safe") {
                mstore8(q, 0x80) // 0
                mstore8(add(q, 1), 0x80) // 0
                q := add(q, 2)
            }
        }
        if (signed) {
            q = _putUint(q, uint256(t.r));
            q = _putUint(q, uint256(t.s));
        }
        start = _listHeader(body, q);
        if (t.eip1559) {
            assembly ("memory-safe") {
                start := sub(start, 1)
                mstore8(start, 0x02) // the transaction type
            }
        }
    }

    /// @dev `to`, `value` and `data`.
    function _putCallTail(uint256 q, address to, uint256 value, bytes memory input) private pure returns (uint256) {
        assembly ("memory-safe") {
            mstore8(q, 0x94)
            mstore(add(q, 1), shl(96, to))
        }
        q = _putUint(q + 21, value);
        assembly ("memory-safe") {
            let len := mload(input)
            let data := add(input, 32)
            // A single byte below 0x80 is its own encoding; otherwise a string header.
            if iszero(and(eq(len, 1), lt(byte(0, mload(data)), 0x80))) {
                switch lt(len, 56)
                case 1 {
                    mstore8(q, add(0x80, len))
                    q := add(q, 1)
                }
                default {
                    // b7 + n then the n bytes of len.
                    let n := 1
                    for {} shr(shl(3, n), len) {} { n := add(n, 1) }
                    mstore8(q, add(0xb7, n))
                    mstore(add(q, 1), shl(sub(256, shl(3, n)), len))
                    q := add(add(q, 1), n)
                }
            }
            mcopy(q, data, len)
            q := add(q, len)
        }
        return q;
    }

    /// @dev An RLP integer: minimal big-endian bytes, 0 as `80`, below 0x80 as itself. Writes
    ///      up to 32 bytes past its end (later writes cover them).
    function _putUint(uint256 q, uint256 v) private pure returns (uint256) {
        assembly ("memory-safe") {
            switch lt(v, 0x80)
            case 1 {
                mstore8(q, or(v, shl(7, iszero(v))))
                q := add(q, 1)
            }
            default {
                // Bytes of v: a binary search for its highest non-zero byte.
                let bits := shl(7, lt(0xffffffffffffffffffffffffffffffff, v))
                bits := or(bits, shl(6, lt(0xffffffffffffffff, shr(bits, v))))
                bits := or(bits, shl(5, lt(0xffffffff, shr(bits, v))))
                bits := or(bits, shl(4, lt(0xffff, shr(bits, v))))
                bits := or(bits, shl(3, lt(0xff, shr(bits, v))))
                let n := add(shr(3, bits), 1)
                mstore8(q, add(0x80, n))
                mstore(add(q, 1), shl(sub(256, shl(3, n)), v))
                q := add(add(q, 1), n)
            }
        }
        return q;
    }

    /// @dev Writes the list header of the payload `[body, q)` just before it, without touching
    ///      the payload, and returns where it starts. Overwrites the 32 bytes before `body`.
    function _listHeader(uint256 body, uint256 q) private pure returns (uint256 start) {
        assembly ("memory-safe") {
            let len := sub(q, body)
            switch lt(len, 56)
            case 1 {
                start := sub(body, 1)
                mstore8(start, add(0xc0, len))
            }
            default {
                let n := 1
                for {} shr(shl(3, n), len) {} { n := add(n, 1) }
                // f7 + n then the n bytes of len, right-aligned in the word that ends at `body`.
                mstore(sub(body, 32), or(shl(shl(3, n), add(0xf7, n)), len))
                start := sub(body, add(1, n))
            }
        }
    }
}
