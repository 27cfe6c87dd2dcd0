// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AmmLogic} from "../logic/AmmLogic.sol";
import {BridgeLogic} from "../logic/BridgeLogic.sol";
import {OracleLogic} from "../logic/OracleLogic.sol";
import {Operations} from "../logic/Operations.sol";
import {StateKeys} from "../logic/StateKeys.sol";
import {LendingReplay} from "./LendingReplay.sol";
import {ReplayAccess} from "./ReplayAccess.sol";

/// @title ReplayLogic
/// @notice The DeFi logic of the L2 system contract (`AmmLogic`, `BridgeLogic`, `OracleLogic`, over
///         `StateAccess`) as the L1 verifier replays it: `ChunkVerifier` runs each transaction
///         of a chunk as a DELEGATECALL into this contract with the transaction's own calldata,
///         so that the logic reads and writes the verifier's transient replay state
///         (`ReplayState`) and a revert rolls its writes back exactly as the EVM does on L2.
///         Its external functions (inherited from the logic, and the `replay*` entry points
///         below) are the dispatch. Kept apart from the verifier so that each stays under the
///         EVM's code size limit (EIP-170) as operations are added (docs/operations.md).
/// @dev Runs only under a DELEGATECALL: called directly, every state access reverts with
///      `NotInReplay` (its own transient storage holds no replay).
contract ReplayLogic is AmmLogic, BridgeLogic, OracleLogic, ReplayAccess {
    /// @notice What the replay needed was not in the witness (`ReplayState.KeyNotInWitness`).
    error KeyNotInWitness(bytes32 key);

    /// @notice The money market's replay logic (`LendingReplay`), delegated to in turn.
    address public immutable LENDING;

    constructor(address lending) {
        LENDING = lending;
    }

    /// @notice Credits a deposit inside a replay (`BridgeLogic._creditDeposit`, what the L2's
    ///         `creditDeposit` system call runs).
    function replayDeposit(uint256 queueIndex, address l1Token, address to, uint256 amount, uint256 meta) external {
        _inReplay();
        _creditDeposit(queueIndex, l1Token, to, amount, meta);
    }

    /// @notice Begins the chunk's block inside a replay (`ClockLogic._beginBlock`, what the L2's
    ///         `beginBlock` system call runs), when the chunk enters it.
    function replayBeginBlock() external {
        _inReplay();
        _beginBlock();
    }

    /// @notice Takes a reading of the L1's fees inside a replay (`BridgeLogic._applyL1Fees`,
    ///         what the L2's `reportL1Fees` system call runs).
    function replayL1Fees(uint256 queueIndex, uint256 baseFee, uint256 blobBaseFee) external {
        _inReplay();
        _applyL1Fees(queueIndex, baseFee, blobBaseFee);
    }

    /// @notice Replays a token call: what the ERC-20 face of `token` (`L2Token`) does on L2 when
    ///         the transaction's sender calls it with `input`, an input of canonical token-call
    ///         form (`BatchCodec.hasTokenCallForm`, checked by admission).
    /// @dev On L2 the executor serves the token's code only at a registered token: any other
    ///      target has no code, and the call succeeds and changes nothing (but the nonce).
    function replayTokenCall(address token, bytes calldata input) external {
        if (_load(StateKeys.token(token)) == 0) return;
        uint256 selector = uint32(bytes4(input[:4]));
        if (selector == Operations.SELECTOR_TOKEN_TRANSFER) {
            (address to, uint256 amount) = abi.decode(input[4:], (address, uint256));
            _transfer(token, _sender(), to, amount);
        } else if (selector == Operations.SELECTOR_TOKEN_APPROVE) {
            (address spender, uint256 amount) = abi.decode(input[4:], (address, uint256));
            _approve(token, _sender(), spender, amount);
        } else if (selector == Operations.SELECTOR_TOKEN_TRANSFER_FROM) {
            (address from, address to, uint256 amount) = abi.decode(input[4:], (address, address, uint256));
            _transferFrom(token, _sender(), from, to, amount);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The money market, in a logic contract of its own (`LendingReplay`) for the code size limit.

    /// @dev Samples the oracles (`OracleLogic`), then runs the money market's accrual in turn.
    function _onClock(uint256 elapsed) internal override {
        super._onClock(elapsed);
        _delegate(LENDING, abi.encodeCall(LendingReplay.replayAccrue, ()));
    }

    /// @notice Every other call of the replay (the money market's operations) runs in
    ///         `LendingReplay`'s code over the same replay state.
    fallback() external {
        _inReplay();
        address lending = LENDING;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), lending, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
