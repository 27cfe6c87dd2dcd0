// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateAccess} from "../logic/StateAccess.sol";

/// @title L2Access
/// @notice `StateAccess` on L2: every key of the state tree is a storage slot of the system
///         contract, read and written with plain SLOAD and SSTORE. The system contract
///         (`L2System`) and the money market's code it runs over its own storage with
///         DELEGATECALL (`L2Lending`) both use it.
abstract contract L2Access is StateAccess {
    function _load(bytes32 key) internal view override returns (uint256 value) {
        assembly {
            value := sload(key)
        }
    }

    function _store(bytes32 key, uint256 value) internal override {
        assembly {
            sstore(key, value)
        }
    }

    function _sender() internal view override returns (address) {
        return msg.sender;
    }

    function _timestamp() internal view override returns (uint256) {
        return block.timestamp;
    }
}
