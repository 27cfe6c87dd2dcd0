// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ReplayState
/// @notice The transient state of one chunk replay (docs/fraud-proofs.md §6), shared by the
///         verifier (`ChunkVerifier`, which loads the witness, takes fees and nonces and
///         computes the post-root) and the logic it delegates each transaction to
///         (`ReplayLogic`, which runs under the verifier's transient storage): the value of a
///         witness key at slot `key`, at `knownSlot(key)` the number of the replay that loaded
///         it (a key loaded by an earlier replay of the same L1 transaction is not known), the
///         replay's number, the chunk's block timestamp and the running transaction's sender.
library ReplayState {
    /// @notice What the replay needed was not in the witness: the proof is incomplete, not a
    ///         verdict on the chunk.
    error KeyNotInWitness(bytes32 key);

    /// @notice Transient slot of the sender of the transaction running now.
    bytes32 internal constant SENDER_SLOT = keccak256("rollup.chunk-verifier.sender");
    /// @notice Transient slot of the timestamp of the block the chunk being replayed belongs to.
    bytes32 internal constant TIMESTAMP_SLOT = keccak256("rollup.chunk-verifier.timestamp");
    /// @notice Transient slot of the number of the current replay.
    bytes32 internal constant REPLAY_SLOT = keccak256("rollup.chunk-verifier.replay");

    /// @notice The value of a key loaded by replay `replay`, or `KeyNotInWitness`.
    function known(bytes32 key, uint256 replay) internal view returns (uint256) {
        if (replay == 0 || load(knownSlot(key)) != replay) revert KeyNotInWitness(key);
        return load(key);
    }

    /// @notice Where the number of the replay that loaded `key` is kept.
    function knownSlot(bytes32 key) internal pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            mstore(0x00, key)
            mstore(0x20, 0x6b6e6f776e) // "known"
            slot := keccak256(0x00, 0x40)
        }
    }

    function load(bytes32 slot) internal view returns (uint256 v) {
        assembly ("memory-safe") {
            v := tload(slot)
        }
    }

    function store(bytes32 slot, uint256 v) internal {
        assembly ("memory-safe") {
            tstore(slot, v)
        }
    }
}
