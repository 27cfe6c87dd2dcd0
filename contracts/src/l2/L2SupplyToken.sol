// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2Lending} from "./L2Lending.sol";
import {L2System} from "./L2System.sol";

/// @title L2SupplyToken
/// @notice The ERC-20 face of the supplies of one market of the money market
///         (docs/lending.md §8), as an Aave aToken shows a deposit: at `FACE_BASE + i` for the
///         market `i` (in genesis order), the balance of an account is what it supplied with
///         its interest, growing with the market's supply index, and the total supply is what
///         the market owes its suppliers. The L2 executor serves this code at those addresses
///         for read-only calls (`eth_call`, `eth_getCode`), so that a wallet that imports the
///         address shows the supply; it is never deployed and no transaction reaches it (the
///         operation set is closed): a supply moves by `supply` and `withdrawSupply`, and the
///         face refuses `transfer`, `transferFrom` and `approve` (`NotTransferable`).
/// @dev No constructor, no storage: the code is the same at every face, and its market is
///      its address's offset from `FACE_BASE`.
contract L2SupplyToken {
    /// @notice The L2 system contract, whose fallback runs the money market.
    address internal constant SYSTEM = 0x4200000000000000000000000000000000000010;
    /// @notice The face of market 0; market `i`'s is `i` above it.
    uint160 public constant FACE_BASE = (0x42 << 152) | 0x100;

    /// @notice A supply moves only by the money market's own operations.
    error NotTransferable();

    /// @notice The asset the market lends, whose supplies this face shows.
    function underlying() public view returns (address) {
        address[] memory assets = L2Lending(SYSTEM).marketAssets();
        return assets[uint160(address(this)) - FACE_BASE];
    }

    /// @notice `s` and the asset's symbol.
    function symbol() public view returns (string memory) {
        (, string memory symbol_,,) = L2System(SYSTEM).tokenInfo(underlying());
        return string.concat("s", symbol_);
    }

    /// @notice "Supplied " and the asset's symbol.
    function name() external view returns (string memory) {
        (, string memory symbol_,,) = L2System(SYSTEM).tokenInfo(underlying());
        return string.concat("Supplied ", symbol_);
    }

    /// @notice The asset's decimals.
    function decimals() external view returns (uint8) {
        (,, uint8 decimals_,) = L2System(SYSTEM).tokenInfo(underlying());
        return decimals_;
    }

    /// @notice What the market owes its suppliers (its shards' scaled supplies at its index,
    ///         rounded down).
    function totalSupply() external view returns (uint256 supplied) {
        (supplied,,,,,,) = L2Lending(SYSTEM).marketState(underlying());
    }

    /// @notice What `owner` supplied with its interest: what a withdrawal of everything pays.
    function balanceOf(address owner) external view returns (uint256 supplied) {
        (supplied,) = L2Lending(SYSTEM).positionOf(owner, underlying());
    }

    /// @notice Always 0: no one may move another's supply.
    function allowance(address, address) external pure returns (uint256) {
        return 0;
    }

    /// @notice Refused: a supply moves by `withdrawSupply` and `supply`.
    function transfer(address, uint256) external pure returns (bool) {
        revert NotTransferable();
    }

    /// @notice Refused, as `transfer`.
    function transferFrom(address, address, uint256) external pure returns (bool) {
        revert NotTransferable();
    }

    /// @notice Refused, as `transfer`.
    function approve(address, uint256) external pure returns (bool) {
        revert NotTransferable();
    }
}
