// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LendingLogic} from "../logic/LendingLogic.sol";
import {ReplayAccess} from "./ReplayAccess.sol";

/// @title LendingReplay
/// @notice The money market (`LendingLogic`) as the L1 verifier replays it: `ReplayLogic`
///         delegates to it every call it does not know (the market's operations) and, at a
///         block's beginning, the accrual in turn; the verifier's replay state is the storage
///         throughout (`ReplayAccess`). A contract of its own for the code size limit
///         (EIP-170), deployed before `ReplayLogic`, which names it.
contract LendingReplay is LendingLogic, ReplayAccess {
    /// @notice Accrues the market whose turn it is, inside a replay of a block's beginning
    ///         (what the L2's `beginBlock` system call runs after the oracles).
    function replayAccrue() external {
        _inReplay();
        _accrueInTurn();
    }
}
