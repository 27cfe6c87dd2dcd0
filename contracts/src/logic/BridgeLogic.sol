// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeLogic} from "./FeeLogic.sol";
import {LedgerLogic} from "./LedgerLogic.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title BridgeLogic
/// @notice The L2 half of the bridge, shared by the L2 system contract and the L1 step
///         verifier: crediting a deposit taken from the L1 queue, and `withdraw`, which burns
///         a bridged token and writes the withdrawal leaf the L1 bridge pays against, and
///         `withdrawFees`, which does so for the fee vault's ether. Normative text:
///         docs/bridge.md §3.2 and §5.1, docs/fees.md §6.
abstract contract BridgeLogic is LedgerLogic {
    /// @notice Only tokens that came from the L1 leave for it.
    error NotBridged(address token);
    /// @notice A withdrawal moves a positive amount.
    error ZeroWithdrawal();

    /// @notice Deposit `queueIndex` of the L1 queue credited `amount` of `l2Token` (standing for
    ///         `l1Token`) to `to`.
    event DepositCredited(
        uint256 indexed queueIndex, address indexed l1Token, address indexed to, address l2Token, uint256 amount
    );
    /// @notice `sender` burned `amount` of `l2Token` for `recipient` on L1: withdrawal `index` of
    ///         `sender`, whose leaf is `leaf` (docs/bridge.md §5).
    event WithdrawalInitiated(
        address indexed sender,
        uint256 indexed index,
        address indexed l1Token,
        address l2Token,
        address recipient,
        uint256 amount,
        bytes32 leaf
    );
    /// @notice The fee vault's ether, `amount`, left for `recipient` on L1: withdrawal `index`
    ///         of `FeeLogic.FEE_VAULT` (docs/fees.md §6).
    event FeesWithdrawn(address indexed recipient, uint256 indexed index, uint256 amount);
    /// @notice Entry `queueIndex` of the L1 queue read the L1's fees: from the next block on, the
    ///         L1 price a block commits is bounded by `FeeLogic.l1PriceCap` of them
    ///         (docs/fees.md §4).
    event L1FeesReported(uint256 indexed queueIndex, uint256 baseFee, uint256 blobBaseFee);

    /// @notice Burns `amount` of the bridged token `l2Token` from the caller and records a
    ///         withdrawal of as much of its L1 asset to `l1Recipient`, payable on L1 once the
    ///         batch holding it is final. Returns the withdrawal's index among the caller's.
    function withdraw(address l2Token, address l1Recipient, uint256 amount) external returns (uint256 index) {
        return _withdraw(_sender(), l2Token, l1Recipient, amount);
    }

    /// @notice Withdraws the whole of the fee vault's ether (`FeeLogic.FEE_VAULT`, for which no
    ///         key signs) to the fee recipient, the L1 address under `StateKeys.feeRecipient`
    ///         (laid out at genesis): the operator's way of taking the fees to L1
    ///         (docs/fees.md §6). Anyone may call it; the ether goes only to the recipient. It
    ///         burns the vault's ether and writes withdrawal `index` of `FEE_VAULT`, paid on L1
    ///         like any other. The fees of the chunk holding it are credited to the vault after
    ///         it, and stay there for the next withdrawal.
    function withdrawFees() external returns (uint256 index) {
        address recipient = address(uint160(_load(StateKeys.feeRecipient())));
        if (recipient == address(0)) revert InvalidRecipient();
        uint256 amount = _load(StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT));
        if (amount == 0) revert ZeroWithdrawal();
        index = _withdraw(FeeLogic.FEE_VAULT, StateKeys.ETHER, recipient, amount);
        emit FeesWithdrawn(recipient, index, amount);
    }

    /// @notice The L1 asset a bridged token stands for; `bridged` is false for other tokens.
    function l1TokenOf(address l2Token) external view returns (bool bridged, address l1Token) {
        uint256 origin = _load(StateKeys.tokenOrigin(l2Token));
        return (origin != 0, address(uint160(origin)));
    }

    /// @notice Number of withdrawals `account` has made (the index of its next one).
    function withdrawalCount(address account) external view returns (uint256) {
        return _load(StateKeys.withdrawalCount(account));
    }

    /// @notice The leaf of withdrawal `index` of `account` (zero if it does not exist).
    function withdrawalLeafOf(address account, uint256 index) external view returns (bytes32) {
        return bytes32(_load(StateKeys.withdrawal(account, index)));
    }

    /// @dev Burns `amount` of the bridged token `l2Token` from `sender` and writes withdrawal
    ///      `index` of `sender` (the next of its count): a leaf paying as much of the token's
    ///      L1 asset to `l1Recipient` (docs/bridge.md §5.1).
    function _withdraw(address sender, address l2Token, address l1Recipient, uint256 amount)
        internal
        returns (uint256 index)
    {
        if (amount == 0) revert ZeroWithdrawal();
        if (l1Recipient == address(0)) revert InvalidRecipient();
        uint256 origin = _load(StateKeys.tokenOrigin(l2Token));
        if (origin == 0) revert NotBridged(l2Token);
        address l1Token = address(uint160(origin));
        _burn(l2Token, sender, amount);
        bytes32 countKey = StateKeys.withdrawalCount(sender);
        index = _load(countKey);
        _store(countKey, index + 1);
        bytes32 leaf = StateKeys.withdrawalLeaf(l1Token, l1Recipient, amount);
        _store(StateKeys.withdrawal(sender, index), uint256(leaf));
        emit WithdrawalInitiated(sender, index, l1Token, l2Token, l1Recipient, amount, leaf);
    }

    /// @dev Takes entry `queueIndex`'s reading of the L1's fees as the chain's
    ///      (`StateKeys.l1Fees`: `baseFee << 128 | blobBaseFee`, each saturating at 2^128 - 1).
    ///      It cannot revert.
    function _applyL1Fees(uint256 queueIndex, uint256 baseFee, uint256 blobBaseFee) internal {
        uint256 most = type(uint128).max;
        if (baseFee > most) baseFee = most;
        if (blobBaseFee > most) blobBaseFee = most;
        _store(StateKeys.l1Fees(), baseFee << 128 | blobBaseFee);
        emit L1FeesReported(queueIndex, baseFee, blobBaseFee);
    }

    /// @dev Credits deposit `queueIndex`: registers the bridged token of `l1Token` with `meta`
    ///      and its origin at its first deposit, then mints `amount` to `to`. It cannot revert:
    ///      the L1 bridge never queues a zero recipient or a zero amount, keeps what it locks (so
    ///      every supply) below 2^128, and builds `meta` as a valid metadata word; the bridged
    ///      address is derived under a tag of its own, so no other token holds it.
    function _creditDeposit(uint256 queueIndex, address l1Token, address to, uint256 amount, uint256 meta) internal {
        address l2Token = StateKeys.bridgedToken(l1Token);
        bytes32 originKey = StateKeys.tokenOrigin(l2Token);
        if (_load(originKey) == 0) {
            if (_load(StateKeys.token(l2Token)) == 0) {
                _storeToken(l2Token, meta, true);
                // The low byte of the metadata word is the decimals.
                // forge-lint: disable-next-line(unsafe-typecast)
                emit TokenCreated(l2Token, address(0), _symbolOf(meta), uint8(meta), 0);
            }
            _store(originKey, uint256(StateKeys.originValue(l1Token)));
        }
        _mint(l2Token, to, amount);
        emit DepositCredited(queueIndex, l1Token, to, l2Token, amount);
    }
}
