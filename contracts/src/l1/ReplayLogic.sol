// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AmmLogic} from "../logic/AmmLogic.sol";
import {BridgeLogic} from "../logic/BridgeLogic.sol";
import {Operations} from "../logic/Operations.sol";
import {OracleLogic} from "../logic/OracleLogic.sol";
import {StateKeys} from "../logic/StateKeys.sol";
import {ReplayState} from "../lib/ReplayState.sol";

/// @title ReplayLogic
/// @notice The DeFi logic of the L2 system contract (`AmmLogic`, `BridgeLogic`, over
///         `StateAccess`) as the L1 verifier replays it: `ChunkVerifier` runs each transaction
///         of a chunk as a DELEGATECALL into this contract with the transaction's own calldata,
///         so that the logic reads and writes the verifier's transient replay state
///         (`ReplayState`) and a revert rolls its writes back exactly as the EVM does on L2.
///         Its external functions (inherited from the logic, and the `replay*` entry points
///         below) are the dispatch. Kept apart from the verifier so that each stays under the
///         EVM's code size limit (EIP-170) as operations are added (docs/operations.md).
/// @dev Runs only under a DELEGATECALL: called directly, every state access reverts with
///      `NotInReplay` (its own transient storage holds no replay).
contract ReplayLogic is AmmLogic, BridgeLogic, OracleLogic {
    /// @notice What the replay needed was not in the witness (`ReplayState.KeyNotInWitness`).
    error KeyNotInWitness(bytes32 key);
    /// @notice The logic runs only inside a replay, delegated to by the verifier.
    error NotInReplay();

    /// @dev This contract's own address: under a DELEGATECALL `address(this)` is the verifier's.
    address private immutable SELF = address(this);

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
    // StateAccess over the verifier's transient witness.

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

    function _inReplay() private view {
        if (address(this) == SELF) revert NotInReplay();
    }
}
