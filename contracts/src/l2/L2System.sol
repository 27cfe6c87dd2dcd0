// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AmmLogic} from "../logic/AmmLogic.sol";
import {BridgeLogic} from "../logic/BridgeLogic.sol";
import {FeeLogic} from "../logic/FeeLogic.sol";
import {LendingLogic} from "../logic/LendingLogic.sol";
import {L2Access} from "./L2Access.sol";
import {L2Lending} from "./L2Lending.sol";
import {OracleLogic} from "../logic/OracleLogic.sol";
import {OracleMath} from "../logic/OracleMath.sol";
import {StateKeys} from "../logic/StateKeys.sol";

/// @title L2System
/// @notice The L2 system contract: the ledger, the AMM, the oracles, the money market and the L2 half of the bridge over
///         plain contract storage, where every storage slot is a key of the state tree.
///         Deployed at genesis at a fixed address; its constructor lays out the genesis state
///         with the same logic. Each registered token also has an ERC-20 face (`L2Token`),
///         which calls the `token*` entry points below.
contract L2System is AmmLogic, BridgeLogic, OracleLogic, L2Access {
    /// @notice The caller of `creditDeposit`: the executor's system calls come from this
    ///         address (as EIP-4788's do), which no key signs for.
    address public constant SYSTEM_CALLER = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    /// @notice Where the executor serves the money market's code (`L2Lending`), which this
    ///         contract runs over its own storage.
    address public constant LENDING = 0x4200000000000000000000000000000000000012;

    /// @notice Only the executor credits deposits.
    error NotSystemCaller(address caller);
    /// @notice The `token*` entry points serve token contracts (`L2Token`) only.
    error NotATokenContract(address caller);

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

    /// @notice The oracles of a genesis: the numeraire they price in and each one's route.
    struct GenesisOracles {
        address numeraire;
        OracleRoute[] routes;
    }

    /// @notice The money market of a genesis: the dust threshold of liquidations (raw units of
    ///         the numeraire) and each market.
    struct GenesisMarkets {
        uint256 dust;
        LendingLogic.MarketParams[] markets;
    }

    /// @dev Ether, the chain's currency, exists from genesis (its origin is L1 ether, so it
    ///      leaves by `withdraw` and the escape hatch like any bridged token); genesis mints of
    ///      `StateKeys.ETHER` are the genesis balances of ether, which the L1 bridge's deployer
    ///      locks (`L1Bridge.genesisEther`).
    ///      The oracles (`OracleLogic`) price from the pools laid out before them, and the
    ///      markets (`LendingLogic`) from the oracles.
    constructor(
        GenesisToken[] memory tokens,
        GenesisMint[] memory mints,
        GenesisPool[] memory pools,
        GenesisOracles memory oracles_,
        GenesisMarkets memory markets_
    ) {
        _storeToken(StateKeys.ETHER, StateKeys.ETHER_META, true);
        _store(StateKeys.tokenOrigin(StateKeys.ETHER), uint256(StateKeys.originValue(address(0))));
        emit TokenCreated(StateKeys.ETHER, address(0), "ETH", 18, 0);
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
        _createOracles(oracles_.numeraire, oracles_.routes);
        _delegate(abi.encodeCall(L2Lending.createMarkets, (markets_.dust, markets_.markets)));
    }

    /// @notice Credits deposit `queueIndex` of the L1 queue (docs/bridge.md §3.2). Called by
    ///         the executor, as a system call at the deposit's place in its block; users cannot.
    function creditDeposit(uint256 queueIndex, address l1Token, address to, uint256 amount, uint256 meta) external {
        if (msg.sender != SYSTEM_CALLER) revert NotSystemCaller(msg.sender);
        _creditDeposit(queueIndex, l1Token, to, amount, meta);
    }

    /// @notice Takes entry `queueIndex` of the L1 queue, a reading of the L1's fees, as the
    ///         chain's (docs/fees.md §4). Called by the executor, as a system call at the
    ///         entry's place in its block; users cannot.
    function reportL1Fees(uint256 queueIndex, uint256 baseFee, uint256 blobBaseFee) external {
        if (msg.sender != SYSTEM_CALLER) revert NotSystemCaller(msg.sender);
        _applyL1Fees(queueIndex, baseFee, blobBaseFee);
    }

    /// @notice Begins a block that holds an item, before its first one (`ClockLogic`,
    ///         docs/lending.md §3). Called by the executor, as a system call, in the chunk
    ///         that enters the block; users cannot.
    function beginBlock() external {
        if (msg.sender != SYSTEM_CALLER) revert NotSystemCaller(msg.sender);
        _beginBlock();
    }

    /// @notice The L1's fees as the chain last read them from the queue (zero before any).
    function l1Fees() external view returns (uint256 baseFee, uint256 blobBaseFee) {
        uint256 word = _load(StateKeys.l1Fees());
        return (word >> 128, word & type(uint128).max);
    }

    /// @notice The most L1 price, in wei a byte, the next block may commit by the chain's
    ///         reading of the L1's fees (`FeeLogic.l1PriceCap`, docs/fees.md §4).
    function l1PriceCap() external view returns (uint256) {
        return FeeLogic.l1PriceCap(_load(StateKeys.l1Fees()));
    }

    // -----------------------------------------------------------------------------------------
    // The oracles' views (`OracleLogic`, docs/lending.md §4), on L2 only: the verifier's replay
    // needs none of them.

    /// @notice The price of `asset` the chain lends at in this block: the mean over the window
    ///         as the block began, in raw units of the numeraire per raw unit of `asset`, in
    ///         Q128.128 (`2^128` is one; the numeraire's own price is one).
    function oraclePrice(address asset) external view returns (uint256) {
        return OracleMath.exp2(_meanLog(asset));
    }

    /// @notice The oracles: the numeraire they price in, each oracle's asset and the asset its
    ///         pool pairs it with (the numeraire, or an earlier oracle's asset).
    function oracles() external view returns (address numeraire, address[] memory assets, address[] memory vias) {
        uint256 header = _load(StateKeys.oracles());
        uint256 count = header & 0xff;
        numeraire = address(uint160(header >> 16));
        assets = new address[](count);
        vias = new address[](count);
        for (uint256 i; i < count; ++i) {
            uint256 entry = _load(StateKeys.oracleAt(i));
            assets[i] = address(uint160(entry));
            uint256 route = entry >> 160;
            vias[i] = route == 0 ? numeraire : assets[route - 1];
        }
    }

    /// @notice The oracle of `asset` in full: the window's mean logarithm and the last sampled
    ///         one (`OracleMath`, 40 fractional bits), the seconds of weight it has seen, the
    ///         seconds its mean covers, and the timestamp of its last sample (0: none since
    ///         genesis). The price is `oraclePrice`.
    function oracleState(address asset)
        external
        view
        returns (int256 meanLog, int256 lastLog, uint256 weight, uint256 span, uint256 sampledAt)
    {
        uint256 latest = _load(StateKeys.oracle(asset, 1));
        if (latest == 0) revert NoOracle(asset);
        (, weight, meanLog, lastLog, sampledAt) = _unpackLatest(latest);
        (, uint256 oldClock) = _unpackObservation(_load(StateKeys.oracle(asset, 0)) & MASK128);
        span = weight - oldClock;
    }

    // -----------------------------------------------------------------------------------------
    // The money market (`LendingLogic`), in code of its own at `LENDING` (`L2Lending`) for the
    // code size limit, run over this contract's storage.

    /// @dev Samples the oracles (`OracleLogic`), then runs the money market's accrual in turn.
    function _onClock(uint256 elapsed) internal override {
        super._onClock(elapsed);
        _delegate(abi.encodeCall(L2Lending.accrue, ()));
    }

    /// @notice Every other call (the money market's operations and views, docs/api.md) runs in
    ///         `L2Lending`'s code over this contract's storage.
    fallback() external {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), LENDING, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev Runs `data` in `L2Lending`'s code over this contract's storage, bubbling a revert.
    function _delegate(bytes memory data) private {
        (bool ok, bytes memory ret) = LENDING.delegatecall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The ledger behind each token's ERC-20 face (`L2Token`): the calling token is the token.
    //
    // Only token contracts call these. On L2 only the system contract and the registered
    // tokens have code: the executor serves `L2Token`'s code exactly at the addresses whose
    // `StateKeys.token` word is set, and nothing can be deployed. So a caller with code is a
    // registered token, and `msg.sender.code.length != 0` is the check. It reads no state key:
    // reading the token's metadata instead would make every call of a busy token read one
    // shared key, and conflict in the parallel executor. (Multicall3's code is served too, for
    // `eth_call` only: nothing it reaches there is kept.) These entry points are not operations
    // a user transaction may call (admission refuses them, so they have no codec form; called
    // from an account without code they revert).

    /// @notice ERC-20 `transfer` of the calling token: moves `amount` from `from` (the token's
    ///         caller) to `to`.
    function tokenTransfer(address from, address to, uint256 amount) external returns (bool) {
        _onlyToken();
        _transfer(msg.sender, from, to, amount);
        return true;
    }

    /// @notice ERC-20 `approve` of the calling token: `owner` (the token's caller) allows
    ///         `spender` to move `amount`.
    function tokenApprove(address owner, address spender, uint256 amount) external returns (bool) {
        _onlyToken();
        _approve(msg.sender, owner, spender, amount);
        return true;
    }

    /// @notice ERC-20 `transferFrom` of the calling token: `spender` (the token's caller) moves
    ///         `amount` from `from` to `to`, spending its allowance.
    function tokenTransferFrom(address spender, address from, address to, uint256 amount) external returns (bool) {
        _onlyToken();
        _transferFrom(msg.sender, spender, from, to, amount);
        return true;
    }

    /// @dev Reverts unless the caller has code, which on L2 means it is a registered token.
    function _onlyToken() private view {
        if (msg.sender.code.length == 0) revert NotATokenContract(msg.sender);
    }
}
