// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StateAccess} from "./StateAccess.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title LedgerLogic
/// @notice A multi-token ledger: every token of the L2 (genesis, created on L2, later
///         bridged) lives here as balances keyed by (token, owner).
abstract contract LedgerLogic is StateAccess {
    /// @notice `owner` holds `available` of `token`, less than the `required` amount.
    error InsufficientBalance(address token, address owner, uint256 available, uint256 required);
    /// @notice Tokens cannot be sent to the zero address.
    error InvalidRecipient();
    /// @notice A token already exists at this address.
    error TokenExists(address token);
    /// @notice Symbols are 1 to 31 bytes long, without NUL bytes.
    error InvalidSymbol();
    /// @notice `spender` may move `allowance` of `owner`'s `token`, less than the `required` amount.
    error InsufficientAllowance(address token, address owner, address spender, uint256 allowance, uint256 required);
    /// @notice An allowance cannot be given to the zero address.
    error InvalidSpender();
    /// @notice An operation's amount is zero, or worth nothing once rounded.
    error ZeroAmount();

    /// @notice `amount` of `token` moved from `from` to `to` (from = 0 for a mint, to = 0 for a burn).
    event Transfer(address indexed token, address indexed from, address indexed to, uint256 amount);
    /// @notice A token was registered.
    event TokenCreated(address indexed token, address indexed creator, string symbol, uint8 decimals, uint256 supply);
    /// @notice `owner` allowed `spender` to move `amount` of its `token` (ERC-20 `approve`).
    event Approval(address indexed token, address indexed owner, address indexed spender, uint256 amount);

    /// @notice Sends `amount` of `token` from the caller to `to`.
    function transfer(address token, address to, uint256 amount) external returns (bool) {
        _transfer(token, _sender(), to, amount);
        return true;
    }

    /// @notice Creates a token with the whole `supply` credited to the caller. Its address is
    ///         derived from the caller and `salt` (see `StateKeys.newToken`).
    function createToken(bytes32 salt, string calldata symbol, uint8 decimals, uint256 supply)
        external
        returns (address token)
    {
        address creator = _sender();
        token = StateKeys.newToken(creator, salt);
        _registerToken(token, symbol, decimals, true);
        _mint(token, creator, supply);
        emit TokenCreated(token, creator, symbol, decimals, supply);
    }

    /// @notice Balance of `owner` in `token`.
    function balanceOf(address token, address owner) external view returns (uint256) {
        return _load(StateKeys.balance(token, owner));
    }

    /// @notice Total supply of `token`.
    function totalSupply(address token) external view returns (uint256) {
        return _load(StateKeys.supply(token));
    }

    /// @notice Amount of `token` that `spender` may still move from `owner`'s balance.
    function allowance(address token, address owner, address spender) external view returns (uint256) {
        return _load(StateKeys.allowance(token, owner, spender));
    }

    /// @notice Metadata of `token`; `exists` is false for an unknown token.
    function tokenInfo(address token)
        external
        view
        returns (bool exists, string memory symbol, uint8 decimals, uint256 supply)
    {
        uint256 meta = _load(StateKeys.token(token));
        if (meta == 0) return (false, "", 0, 0);
        // forge-lint: disable-next-line(unsafe-typecast)
        return (true, _symbolOf(meta), uint8(meta), _load(StateKeys.supply(token))); // low byte is decimals
    }

    /// @notice Number of listed tokens (liquidity tokens are not listed).
    function tokenCount() external view returns (uint256) {
        return _load(StateKeys.tokenCount());
    }

    /// @notice The `index`-th listed token.
    function tokenAt(uint256 index) external view returns (address) {
        return address(uint160(_load(StateKeys.tokenAt(index))));
    }

    function _transfer(address token, address from, address to, uint256 amount) internal {
        if (to == address(0)) revert InvalidRecipient();
        _debit(token, from, amount);
        _credit(token, to, amount);
        emit Transfer(token, from, to, amount);
    }

    /// @dev Sets the amount of `token` that `spender` may move from `owner` (ERC-20 `approve`:
    ///      replaced, not added to). Does not check that `token` is registered: the callers do.
    function _approve(address token, address owner, address spender, uint256 amount) internal {
        if (spender == address(0)) revert InvalidSpender();
        _store(StateKeys.allowance(token, owner, spender), amount);
        emit Approval(token, owner, spender, amount);
    }

    /// @dev Moves `amount` of `token` from `from` to `to` on behalf of `spender`, spending its
    ///      allowance (ERC-20 `transferFrom`); an allowance of `type(uint256).max` is never
    ///      spent. Does not check that `token` is registered: the callers do.
    function _transferFrom(address token, address spender, address from, address to, uint256 amount) internal {
        bytes32 key = StateKeys.allowance(token, from, spender);
        uint256 allowed = _load(key);
        if (allowed < amount) revert InsufficientAllowance(token, from, spender, allowed, amount);
        if (allowed != type(uint256).max) {
            unchecked {
                _store(key, allowed - amount);
            }
        }
        _transfer(token, from, to, amount);
    }

    function _debit(address token, address owner, uint256 amount) internal {
        bytes32 key = StateKeys.balance(token, owner);
        uint256 available = _load(key);
        if (available < amount) revert InsufficientBalance(token, owner, available, amount);
        unchecked {
            _store(key, available - amount);
        }
    }

    function _credit(address token, address owner, uint256 amount) internal {
        bytes32 key = StateKeys.balance(token, owner);
        _store(key, _load(key) + amount);
    }

    function _mint(address token, address to, uint256 amount) internal {
        bytes32 supplyKey = StateKeys.supply(token);
        _store(supplyKey, _load(supplyKey) + amount);
        _credit(token, to, amount);
        emit Transfer(token, address(0), to, amount);
    }

    function _burn(address token, address from, uint256 amount) internal {
        _debit(token, from, amount);
        bytes32 supplyKey = StateKeys.supply(token);
        _store(supplyKey, _load(supplyKey) - amount);
        emit Transfer(token, from, address(0), amount);
    }

    /// @dev Records the metadata of a new token; `listed` tokens are enumerable by `tokenAt`.
    function _registerToken(address token, string memory symbol, uint8 decimals, bool listed) internal {
        bytes memory raw = bytes(symbol);
        if (raw.length == 0 || raw.length > 31) revert InvalidSymbol();
        // A NUL byte would truncate the symbol on reading, and an all-NUL symbol with zero
        // decimals would store a zero word, which reads as "no such token".
        for (uint256 i; i < raw.length; i++) {
            if (raw[i] == 0) revert InvalidSymbol();
        }
        if (_load(StateKeys.token(token)) != 0) revert TokenExists(token);
        // Symbol bytes left-aligned in the word, decimals in the lowest byte; never zero.
        // forge-lint: disable-next-line(unsafe-typecast)
        _storeToken(token, (uint256(bytes32(raw)) & ~uint256(0xff)) | decimals, listed);
    }

    /// @dev Stores the metadata word `meta` of a token that has none and, if `listed`, appends
    ///      it to the enumerable list. Callers check the word and that the token is new.
    function _storeToken(address token, uint256 meta, bool listed) internal {
        _store(StateKeys.token(token), meta);
        if (listed) {
            bytes32 countKey = StateKeys.tokenCount();
            uint256 count = _load(countKey);
            _store(StateKeys.tokenAt(count), uint160(token));
            _store(countKey, count + 1);
        }
    }

    function _symbolOf(uint256 meta) internal pure returns (string memory) {
        bytes32 word = bytes32(meta & ~uint256(0xff));
        uint256 len;
        while (len < 31 && word[len] != 0) len++;
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; i++) {
            out[i] = word[i];
        }
        return string(out);
    }
}
