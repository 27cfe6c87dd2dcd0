// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BatchCodec} from "../lib/BatchCodec.sol";
import {DataCommitment} from "../lib/DataCommitment.sol";
import {ForcedTx} from "../lib/ForcedTx.sol";

/// @title BatchDecoder
/// @notice The codec half of the L1 step verifier: reads a batch's header, and one chunk of it
///         from the segments a proof reveals (docs/batch-codec.md §5, §8.2), and tells a codec
///         verdict (the bytes break a codec rule) from a broken proof (a segment that is not
///         the committed one, or not revealed) and from a failure that says nothing about the
///         data (out of gas). Stateless; `ChunkVerifier` creates it and calls it, so that the
///         verifier's own code stays within the 24,576-byte limit of EIP-170.
contract BatchDecoder {
    /// @notice Decoding failed for a reason that is not a codec rule (out of gas, for one).
    error NotCodecError(bytes reason);
    /// @notice A revealed segment is out of order, of the wrong length, or not the committed one.
    error BadSegment(uint256 position);
    /// @notice Decoding needs segment `segment`, which the proof does not reveal.
    error SegmentNotRevealed(uint256 segment);

    /// @notice Part of a batch's data, against its commitment (`DataCommitment`): the length,
    ///         every segment's hash, and the revealed segments (indices ascending) with their
    ///         bytes. A chunk proof reveals the segments of the header and of its chunk.
    struct DataProof {
        uint256 length;
        bytes32[] segmentHashes;
        uint256[] revealed;
        bytes[] segments;
    }

    /// @notice Reads the header of `data`: whether it decodes, and if it does, its first and
    ///         last block, its number of chunks and the queue entries it consumes (the sum of
    ///         its blocks' queue counts). All are 0 when it does not decode.
    function inspectHeader(bytes calldata data, uint256 chunkSize)
        external
        view
        returns (bool decodes, uint64 firstBlock, uint64 lastBlock, uint256 chunkCount, uint256 queueCount)
    {
        try this.decodeHeader(data, chunkSize) returns (BatchCodec.Header memory h) {
            // The codec checked that the last block number fits 64 bits.
            return (true, h.firstNumber, h.firstNumber + h.blockCount - 1, h.chunkCount, h.queueCount);
        } catch (bytes memory reason) {
            if (!_isCodecError(reason)) revert NotCodecError(reason);
            return (false, 0, 0, 0, 0);
        }
    }

    /// @notice Decodes chunk `chunkIndex` from the revealed part of a batch's data. The segments
    ///         are checked against `data.segmentHashes` (the caller checks those against the
    ///         batch's commitment); a header that does not decode reverts with its codec error
    ///         (that is shown by a header proof); a chunk whose transactions do not decode
    ///         returns `decodes = false`.
    /// @return decodes Whether the chunk's transactions decode.
    /// @return txs The chunk's transactions (none when they do not decode, or for a chunk of
    ///         queue entries alone).
    /// @return chunk Where the chunk is in the data and what the header says it holds, whether
    ///         or not its transactions decode: its block (`blockNumber`) and that block's L1
    ///         price (`l1BytePrice`), its first queue entry numbered from the batch's first
    ///         (`queueOffset`) and its queue entries (`queueCount`, before its transactions).
    function decodeChunk(DataProof calldata data, uint256 chunkSize, uint256 chunkIndex)
        external
        view
        returns (bool decodes, BatchCodec.Tx[] memory txs, BatchCodec.Chunk memory chunk)
    {
        bytes memory chunkData;
        BatchCodec.Header memory h;
        (chunkData, h, chunk) = _chunkData(data, chunkSize, chunkIndex);
        // The chunk's bytes follow the header's in `chunkData`: decoded there, then the chunk's
        // own offset is given back.
        uint256 offset = chunk.offset;
        chunk.offset = h.chunksOffset;
        try this.decodeChunkAt(chunkData, h, chunk) returns (BatchCodec.Tx[] memory decoded) {
            (decodes, txs) = (true, decoded);
        } catch (bytes memory reason) {
            if (!_isCodecError(reason)) revert NotCodecError(reason);
        }
        chunk.offset = offset;
    }

    /// @notice The transaction a forced queue entry carries (`ForcedTx.parse`): `ok` false when
    ///         `raw` is not the canonical encoding of a transaction of this chain, which the L2
    ///         skips (docs/bridge.md §3.3). A failure that says nothing about `raw` (out of
    ///         gas) reverts instead.
    function decodeForced(bytes calldata raw, uint256 chainId) external view returns (bool ok, BatchCodec.Tx memory t) {
        try this.parseForced(raw, chainId) returns (bool parsed, BatchCodec.Tx memory decoded) {
            return (parsed, decoded);
        } catch (bytes memory reason) {
            // The reader returns false for what it cannot read; a revert without data is the
            // call running out of gas.
            if (reason.length == 0) revert NotCodecError(reason);
            return (false, t);
        }
    }

    /// @notice `ForcedTx.parse` as an external call, so that its reverts can be caught.
    function parseForced(bytes calldata raw, uint256 chainId) external pure returns (bool, BatchCodec.Tx memory) {
        return ForcedTx.parse(raw, chainId);
    }

    /// @notice `BatchCodec.decodeHeader` as an external call, so that its reverts can be caught.
    function decodeHeader(bytes calldata data, uint256 chunkSize) external pure returns (BatchCodec.Header memory) {
        return BatchCodec.decodeHeader(data, chunkSize);
    }

    /// @notice `BatchCodec.decodeChunkAt` as an external call, so that its reverts can be caught.
    function decodeChunkAt(bytes calldata data, BatchCodec.Header calldata h, BatchCodec.Chunk calldata c)
        external
        pure
        returns (BatchCodec.Tx[] memory)
    {
        return BatchCodec.decodeChunkAt(data, h, c);
    }

    /// @dev Rebuilds the data from the revealed segments, reads the header and locates the
    ///      chunk, checks that every byte the header and the chunk occupy was revealed, and
    ///      returns the header's bytes followed by the chunk's (which start at `h.chunksOffset`).
    function _chunkData(DataProof calldata data, uint256 chunkSize, uint256 chunkIndex)
        private
        pure
        returns (bytes memory chunkData, BatchCodec.Header memory h, BatchCodec.Chunk memory c)
    {
        (bytes memory full, bytes memory seen) = _assemble(data);
        (h, c) = BatchCodec.locateChunk(full, chunkSize, chunkIndex);
        _requireRevealed(seen, 0, h.chunksOffset);
        _requireRevealed(seen, c.offset, c.offset + c.length);
        uint256 head = h.chunksOffset;
        chunkData = new bytes(head + c.length);
        uint256 from = c.offset;
        uint256 size_ = c.length;
        assembly ("memory-safe") {
            mcopy(add(chunkData, 32), add(full, 32), head)
            mcopy(add(add(chunkData, 32), head), add(add(full, 32), from), size_)
        }
    }

    /// @dev The data with the revealed segments in place (zeros elsewhere), each checked against
    ///      its hash, and which segments were revealed (one byte each).
    function _assemble(DataProof calldata data) private pure returns (bytes memory full, bytes memory seen) {
        uint256 length = data.length;
        uint256 n = data.segmentHashes.length;
        full = new bytes(length);
        seen = new bytes(n);
        uint256 next;
        for (uint256 i; i < data.revealed.length; ++i) {
            uint256 s = data.revealed[i];
            if (s < next || s >= n) revert BadSegment(i);
            next = s + 1;
            bytes calldata segment = data.segments[i];
            uint256 start = s * DataCommitment.SEGMENT_BYTES;
            uint256 size = length - start;
            if (size > DataCommitment.SEGMENT_BYTES) size = DataCommitment.SEGMENT_BYTES;
            if (segment.length != size || keccak256(segment) != data.segmentHashes[s]) revert BadSegment(i);
            assembly ("memory-safe") {
                calldatacopy(add(add(full, 32), start), segment.offset, size)
            }
            seen[s] = 0x01;
        }
    }

    /// @dev Every segment holding a byte of `[from, to)` was revealed.
    function _requireRevealed(bytes memory seen, uint256 from, uint256 to) private pure {
        if (to <= from) return;
        uint256 last = (to - 1) / DataCommitment.SEGMENT_BYTES;
        for (uint256 s = from / DataCommitment.SEGMENT_BYTES; s <= last; ++s) {
            if (seen[s] == 0) revert SegmentNotRevealed(s);
        }
    }

    /// @dev Whether `reason` is one of the seven data errors of the codec (not a caller error,
    ///      not a panic, not an out-of-gas with no data).
    function _isCodecError(bytes memory reason) private pure returns (bool) {
        if (reason.length < 4) return false;
        // forge-lint: disable-next-line(unsafe-typecast)
        bytes4 s = bytes4(reason);
        return s == BatchCodec.Truncated.selector || s == BatchCodec.TrailingBytes.selector
            || s == BatchCodec.UnknownVersion.selector || s == BatchCodec.BadInteger.selector
            || s == BatchCodec.InvalidField.selector || s == BatchCodec.BadBlockSequence.selector
            || s == BatchCodec.TooLarge.selector;
    }
}
