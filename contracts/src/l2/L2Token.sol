// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2System} from "./L2System.sol";

/// @title L2Token
/// @notice The ERC-20 face of a ledger token. The L2 executor serves this contract's runtime
///         code at the address of every registered token (derived from state: it is never
///         deployed, has nonce 0 and no storage of its own), so that wallets and dapps can
///         hold and move ledger tokens as ERC-20 tokens. Every function forwards to the system
///         contract with `address(this)` as the token; balances, allowances and supply live
///         in the ledger's state (`LedgerLogic`), and the system's reverts reach the caller
///         unchanged. The token's `Transfer` and `Approval` events are not emitted by this
///         code: the L2 executor appends them, at the token's address, after each of the
///         system contract's ledger events, whatever started the move (docs/api.md §3.0d), so
///         that a token's logs show every change of its balances.
/// @dev No constructor, no immutables, no storage: the code is the same at every token.
contract L2Token {
    /// @notice The L2 system contract that holds the ledger.
    address internal constant SYSTEM = 0x4200000000000000000000000000000000000010;

    /// @notice ERC-20: `value` tokens moved from `from` to `to` (appended by the executor).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20: `owner` allowed `spender` to move `value` of its tokens (appended by the
    ///         executor).
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The token's name: its symbol, since the ledger keeps only a symbol.
    function name() external view returns (string memory) {
        (, string memory symbol_,,) = L2System(SYSTEM).tokenInfo(address(this));
        return symbol_;
    }

    /// @notice The token's symbol.
    function symbol() external view returns (string memory) {
        (, string memory symbol_,,) = L2System(SYSTEM).tokenInfo(address(this));
        return symbol_;
    }

    /// @notice The token's decimals.
    function decimals() external view returns (uint8) {
        (,, uint8 decimals_,) = L2System(SYSTEM).tokenInfo(address(this));
        return decimals_;
    }

    /// @notice The token's total supply.
    function totalSupply() external view returns (uint256) {
        return L2System(SYSTEM).totalSupply(address(this));
    }

    /// @notice The balance of `owner`.
    function balanceOf(address owner) external view returns (uint256) {
        return L2System(SYSTEM).balanceOf(address(this), owner);
    }

    /// @notice The amount `spender` may still move from `owner`'s balance.
    function allowance(address owner, address spender) external view returns (uint256) {
        return L2System(SYSTEM).allowance(address(this), owner, spender);
    }

    /// @notice Sends `amount` from the caller to `to`.
    function transfer(address to, uint256 amount) external returns (bool) {
        L2System(SYSTEM).tokenTransfer(msg.sender, to, amount);
        return true;
    }

    /// @notice Allows `spender` to move `amount` of the caller's tokens (replacing any earlier
    ///         allowance; `type(uint256).max` is never spent).
    function approve(address spender, uint256 amount) external returns (bool) {
        L2System(SYSTEM).tokenApprove(msg.sender, spender, amount);
        return true;
    }

    /// @notice Moves `amount` from `from` to `to`, spending the caller's allowance.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        L2System(SYSTEM).tokenTransferFrom(msg.sender, from, to, amount);
        return true;
    }
}
