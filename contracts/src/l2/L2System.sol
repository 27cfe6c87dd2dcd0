// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AmmLogic} from "../logic/AmmLogic.sol";
import {BridgeLogic} from "../logic/BridgeLogic.sol";

/// @title L2System
/// @notice The L2 system contract: the ledger, the AMM and the L2 half of the bridge over
///         plain contract storage, where every storage slot is a key of the state tree.
///         Deployed at genesis at a fixed address; its constructor lays out the genesis state
///         with the same logic.
contract L2System is AmmLogic, BridgeLogic {
    /// @notice The caller of `creditDeposit`: the executor's system calls come from this
    ///         address (as EIP-4788's do), which no key signs for.
    address public constant SYSTEM_CALLER = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice Only the executor credits deposits.
    error NotSystemCaller(address caller);

    /// @notice A token that exists at genesis.
    struct GenesisToken {
        address token;
        string symbol;
        uint8 decimals;
    }

    /// @notice An amount minted at genesis.
    struct GenesisMint {
        address token;
        address to;
        uint256 amount;
    }

    /// @notice A pool seeded at genesis from `provider`'s balances.
    struct GenesisPool {
        address provider;
        address tokenA;
        address tokenB;
        uint256 amountA;
        uint256 amountB;
    }

    constructor(GenesisToken[] memory tokens, GenesisMint[] memory mints, GenesisPool[] memory pools) {
        for (uint256 i; i < tokens.length; i++) {
            _registerToken(tokens[i].token, tokens[i].symbol, tokens[i].decimals, true);
            emit TokenCreated(tokens[i].token, address(0), tokens[i].symbol, tokens[i].decimals, 0);
        }
        for (uint256 i; i < mints.length; i++) {
            _mint(mints[i].token, mints[i].to, mints[i].amount);
        }
        for (uint256 i; i < pools.length; i++) {
            GenesisPool memory p = pools[i];
            _createPool(p.provider, p.tokenA, p.tokenB, p.amountA, p.amountB);
        }
    }

    /// @notice Credits deposit `queueIndex` of the L1 queue (docs/bridge.md §3.2). Called by
    ///         the executor, as a system call at the deposit's place in its block; users cannot.
    function creditDeposit(uint256 queueIndex, address l1Token, address to, uint256 amount, uint256 meta) external {
        if (msg.sender != SYSTEM_CALLER) revert NotSystemCaller(msg.sender);
        _creditDeposit(queueIndex, l1Token, to, amount, meta);
    }

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
}
