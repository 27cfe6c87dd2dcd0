// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateAccess} from "./StateAccess.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title ClockLogic
/// @notice The chain's clock, and the work that begins a block (docs/lending.md §3). The
///         system call `beginBlock` runs once in each block that holds an item, before its
///         first one: in the chunk that enters the block, on L2 and in the L1 verifier alike.
///         It keeps the clock, the latest block timestamp, which never goes back whatever
///         timestamps a sequencer writes: what interest and prices weigh time by.
abstract contract ClockLogic is StateAccess {
    /// @dev Begins the block: moves the clock forward to its timestamp (never back), then lets
    ///      what runs on the clock (`_onClock`) see the seconds it moved, when it moved.
    function _beginBlock() internal {
        bytes32 key = StateKeys.clock();
        uint256 before = _load(key);
        uint256 now_ = _timestamp();
        if (now_ <= before) return;
        _store(key, now_);
        _onClock(now_ - before);
    }

    /// @dev What runs when the clock moves `elapsed` (> 0) seconds at a block's beginning.
    function _onClock(uint256 elapsed) internal virtual {}

    /// @notice The chain's clock: the latest timestamp of a block that held an item (0 before
    ///         the first).
    function clock() external view returns (uint256) {
        return _load(StateKeys.clock());
    }
}
