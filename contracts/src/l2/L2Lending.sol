// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LendingLogic} from "../logic/LendingLogic.sol";
import {L2Access} from "./L2Access.sol";
import {LendingMath} from "../logic/LendingMath.sol";
import {StateKeys} from "../logic/StateKeys.sol";

/// @title L2Lending
/// @notice The money market (`LendingLogic`) on L2: code served by the executor at a fixed
///         address (`L2System.LENDING`) and run only under the system contract's DELEGATECALL,
///         so that its storage is the system contract's, the state tree. The system contract
///         delegates to it every call it does not know (the market's operations and views
///         below), the genesis markets, and the accrual of each block's beginning. A contract
///         of its own for the code size limit (EIP-170).
contract L2Lending is LendingLogic, L2Access {
    /// @notice The executor's system calls come from this address (`L2System.SYSTEM_CALLER`).
    address public constant SYSTEM_CALLER = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    /// @notice Only the system contract's constructor lays out markets, and only its
    ///         `beginBlock` accrues.
    error NotInSystem();

    /// @notice Lays out the markets of a genesis (`LendingLogic._createMarkets`): only from the
    ///         system contract's constructor, while its address has no code yet.
    function createMarkets(uint256 dust, MarketParams[] calldata params) external {
        if (address(this).code.length != 0) revert NotInSystem();
        _createMarkets(dust, params);
    }

    /// @notice Accrues the market whose turn it is: the system contract's `beginBlock`, called by
    ///         the executor, delegates it after sampling the oracles.
    function accrue() external {
        if (msg.sender != SYSTEM_CALLER) revert NotInSystem();
        _accrueInTurn();
    }

    // -----------------------------------------------------------------------------------------
    // Views (docs/api.md).

    /// @notice The assets that have a market, in the order of genesis.
    function marketAssets() external view returns (address[] memory assets) {
        uint256 count = _load(StateKeys.markets()) & 0xff;
        assets = new address[](count);
        for (uint256 i; i < count; ++i) {
            assets[i] = _assetOf(_load(StateKeys.market(i, 0)));
        }
    }

    /// @notice The market of `asset` as this block sees it: what is supplied and owed (the sums
    ///         of its shards at its indices), its cash, its indices (rays) and its borrow and
    ///         supply rates a second (rays) at its utilization now.
    function marketState(address asset)
        external
        view
        returns (
            uint256 supplied,
            uint256 owed,
            uint256 cash,
            uint256 supplyIndex,
            uint256 borrowIndex,
            uint256 borrowRate,
            uint256 supplyRate
        )
    {
        uint256 i = _marketIndex(asset);
        (supplyIndex, borrowIndex) = _indices(i);
        uint256 scaledSupply;
        uint256 scaledDebt;
        for (uint256 s; s < SHARDS; ++s) {
            uint256 shard = _load(StateKeys.marketShard(i, s));
            scaledSupply += shard & MASK128;
            scaledDebt += shard >> 128;
            cash += _load(StateKeys.balance(asset, StateKeys.shardAccount(s)));
        }
        supplied = LendingMath.fromScaled(scaledSupply, supplyIndex, false);
        owed = LendingMath.fromScaled(scaledDebt, borrowIndex, true);
        (borrowRate, supplyRate) = _rates(i, LendingMath.utilization(owed, supplied));
    }

    /// @notice The market of `asset`'s parameters: collateral factor, liquidation threshold,
    ///         liquidation bonus, reserve factor and kink in basis points; base rate and slopes
    ///         a second in rays; the time of its last accrual.
    function marketParams(address asset)
        external
        view
        returns (uint256[5] memory factors, uint256[3] memory rates, uint256 accruedAt)
    {
        uint256 i = _marketIndex(asset);
        uint256 config = _load(StateKeys.market(i, 0));
        for (uint256 k; k < 5; ++k) {
            factors[k] = (config >> (160 + 16 * k)) & 0xffff;
        }
        uint256 word = _load(StateKeys.market(i, 1));
        for (uint256 k; k < 3; ++k) {
            rates[k] = (word >> (72 * k)) & ((1 << 72) - 1);
        }
        accruedAt = word >> 216;
    }

    /// @notice What `user` supplies and owes of `asset` now.
    function positionOf(address user, address asset) external view returns (uint256 supplied, uint256 owed) {
        uint256 i = _marketIndex(asset);
        (uint256 supplyIndex, uint256 borrowIndex) = _indices(i);
        uint256 word = _load(StateKeys.position(user, i));
        return (
            LendingMath.fromScaled(word & MASK128, supplyIndex, false),
            LendingMath.fromScaled(word >> 128, borrowIndex, true)
        );
    }

    /// @notice `user`'s account in the numeraire's raw units: its collateral at the liquidation
    ///         thresholds, its borrowing power (at the collateral factors), its debt, and its
    ///         health factor (collateral over debt, 1e18 is one; `type(uint256).max` with no
    ///         debt). Below one it may be liquidated.
    function accountHealth(address user)
        external
        view
        returns (uint256 collateral, uint256 borrowable, uint256 debt, uint256 healthFactor)
    {
        (collateral, debt) = _health(user, true);
        (borrowable,) = _health(user, false);
        healthFactor = debt == 0 ? type(uint256).max : _mulCapped(collateral, 1e18) / debt;
    }

    /// @notice What a liquidation of `borrower` would repay of its debt in `debtAsset` (up to
    ///         `amount`) and seize of its supply of `collateralAsset` in this block; reverts as
    ///         the liquidation would (`Healthy`, `NothingToLiquidate`).
    function liquidationQuote(address borrower, address debtAsset, address collateralAsset, uint256 amount)
        external
        view
        returns (uint256 repaid, uint256 seized)
    {
        return _liquidation(borrower, _marketIndex(debtAsset), _marketIndex(collateralAsset), amount);
    }
}
