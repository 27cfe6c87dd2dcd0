// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IBridgeQueue
/// @notice What the inbox reads of the bridge's queue when it takes a post (docs/bridge.md §2.3).
interface IBridgeQueue {
    /// @notice The inbox the bridge pays withdrawals against.
    function inbox() external view returns (address);

    /// @notice L1 blocks within which a queue entry must be included.
    function inclusionWindow() external view returns (uint256);

    /// @notice For a batch that consumed the first `count` entries: the queue's length, the
    ///         accumulator after those entries (zero when `count` is zero or beyond the queue)
    ///         and the L1 block of entry `count`, the first one left waiting (zero if none).
    function queueAt(uint256 count) external view returns (uint256 length, bytes32 accumulator, uint64 nextL1Block);

    /// @notice Queues a reading of this L1 block's fees (its base fee and blob base fee), which
    ///         the L2 must consume like any entry; only the inbox may (docs/fees.md §4).
    function reportL1Fees() external returns (uint256 index);
}

/// @title BridgeQueue
/// @notice Hashing rules of the L1 → L2 queue: what each entry commits to and how the entries
///         are chained, so that one stored word binds every entry before it. Normative text:
///         docs/bridge.md §2. Used by `L1Bridge` (which appends) and, for fraud proofs, by
///         whatever checks an entry's contents against the queue.
library BridgeQueue {
    /// @notice An L1 deposit of ether or an ERC-20 token, credited on L2.
    uint256 internal constant KIND_DEPOSIT = 0;
    /// @notice A signed L2 transaction sent through L1 (forced inclusion).
    uint256 internal constant KIND_FORCED_TX = 1;
    /// @notice A reading of the L1's fees, queued by the inbox at a post: the L2's bound on the
    ///         L1 price its blocks commit (docs/fees.md §4).
    uint256 internal constant KIND_L1_FEES = 2;

    /// @notice The contents of one entry, as a fraud proof presents them (docs/bridge.md §6):
    ///         for a deposit `raw` is empty, for a forced transaction the deposit fields are
    ///         zero, for a reading of the L1's fees `amount` is the base fee and `meta` the blob
    ///         base fee (the rest zero). `l1Block` is the L1 block it was queued in.
    struct Contents {
        uint256 kind;
        address from;
        address to;
        address l1Token;
        uint256 amount;
        uint256 meta;
        bytes raw;
        uint64 l1Block;
    }

    /// @notice Hash of an entry from its contents: `depositHash`, `forcedTxHash` or
    ///         `l1FeesHash` by kind (any other kind is not an entry the bridge queues; its hash
    ///         is `forcedTxHash`'s, which no entry of the queue has under that kind).
    function hashOf(Contents calldata e) internal pure returns (bytes32) {
        if (e.kind == KIND_DEPOSIT) return depositHash(e.from, e.to, e.l1Token, e.amount, e.meta);
        if (e.kind == KIND_L1_FEES) return l1FeesHash(e.amount, e.meta);
        return forcedTxHash(e.from, e.raw);
    }

    /// @notice Hash of a reading of the L1's fees: the base fee and the blob base fee of the L1
    ///         block it was queued in.
    function l1FeesHash(uint256 baseFee, uint256 blobBaseFee) internal pure returns (bytes32) {
        return keccak256(abi.encode(KIND_L1_FEES, baseFee, blobBaseFee));
    }

    /// @notice Hash of a deposit entry. `meta` is the L2 token metadata word (symbol bytes
    ///         left-aligned, decimals in the lowest byte) used if the deposit registers the
    ///         bridged token.
    function depositHash(address from, address to, address l1Token, uint256 amount, uint256 meta)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(KIND_DEPOSIT, from, to, l1Token, amount, meta));
    }

    /// @notice Hash of a forced-transaction entry: `raw` is the signed L2 transaction as the
    ///         sender gave it, `from` the L1 account that queued it.
    function forcedTxHash(address from, bytes memory raw) internal pure returns (bytes32) {
        return keccak256(abi.encode(KIND_FORCED_TX, from, keccak256(raw)));
    }

    /// @notice The accumulator after an entry: `previous` is the accumulator before it (zero
    ///         before entry 0), `l1Block` the L1 block the entry was queued in.
    function chain(bytes32 previous, bytes32 entryHash, uint64 l1Block) internal pure returns (bytes32) {
        return keccak256(abi.encode(previous, entryHash, uint256(l1Block)));
    }
}
