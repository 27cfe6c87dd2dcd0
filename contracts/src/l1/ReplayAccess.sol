// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateAccess} from "../logic/StateAccess.sol";
import {ReplayState} from "../lib/ReplayState.sol";

/// @title ReplayAccess
/// @notice `StateAccess` over the L1 verifier's transient replay state (`ReplayState`), for the
///         logic contracts the verifier delegates to (`ReplayLogic`, and `LendingReplay` behind
///         it): under a DELEGATECALL from `ChunkVerifier` their reads and writes are the
///         verifier's witness, and a revert rolls them back exactly as the EVM does on L2.
/// @dev Runs only under a DELEGATECALL: called directly, every state access reverts with
///      `NotInReplay` (the contract's own transient storage holds no replay).
abstract contract ReplayAccess is StateAccess {
    /// @notice The logic runs only inside a replay, delegated to by the verifier.
    error NotInReplay();

    /// @dev This contract's own address: under a DELEGATECALL `address(this)` is the verifier's.
    address private immutable SELF = address(this);

    function _load(bytes32 key) internal view override returns (uint256) {
        _inReplay();
        return ReplayState.known(key, ReplayState.load(ReplayState.REPLAY_SLOT));
    }

    function _store(bytes32 key, uint256 value) internal override {
        _inReplay();
        // Writing a key the witness does not cover would make the post-state unprovable.
        ReplayState.known(key, ReplayState.load(ReplayState.REPLAY_SLOT));
        ReplayState.store(key, value);
    }

    function _sender() internal view override returns (address) {
        _inReplay();
        return address(uint160(ReplayState.load(ReplayState.SENDER_SLOT)));
    }

    function _timestamp() internal view override returns (uint256) {
        _inReplay();
        return ReplayState.load(ReplayState.TIMESTAMP_SLOT);
    }

    function _inReplay() internal view {
        if (address(this) == SELF) revert NotInReplay();
    }

    /// @dev Runs `data` in `target`'s code over this replay (a DELEGATECALL), bubbling a revert.
    function _delegate(address target, bytes memory data) internal {
        (bool ok, bytes memory ret) = target.delegatecall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
