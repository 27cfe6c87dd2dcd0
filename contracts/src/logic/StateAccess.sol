// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title StateAccess
/// @notice The abstract storage interface every piece of DeFi logic is written against.
/// @dev Two contracts implement it: the L2 system contract (plain sload/sstore, executed
///      by revm) and the L1 chunk verifier (`ChunkVerifier`, which reads and writes a
///      sparse-Merkle witness proven against the chunk's pre-state root). Logic must touch
///      state only through these functions and must not depend on gas, gas price,
///      `address(this)` or block values other than `_timestamp()`.
abstract contract StateAccess {
    /// @dev Reads the value stored under a 256-bit state key (zero when absent).
    function _load(bytes32 key) internal view virtual returns (uint256);

    /// @dev Writes the value stored under a 256-bit state key (zero deletes it).
    function _store(bytes32 key, uint256 value) internal virtual;

    /// @dev The account on whose behalf the current operation runs.
    function _sender() internal view virtual returns (address);

    /// @dev The timestamp of the L2 block the current operation runs in: on L2 the block's,
    ///      on L1 the one the batch's block table gives the chunk's block.
    function _timestamp() internal view virtual returns (uint256);
}
