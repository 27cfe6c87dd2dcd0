// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerLogic} from "./LedgerLogic.sol";
import {Operations} from "./Operations.sol";
import {StateKeys} from "./StateKeys.sol";

/// @title AmmLogic
/// @notice Constant-product pools (x * y = k, 0.3% fee) over ledger tokens. A pool's
///         reserves live in one state key; its liquidity shares are a ledger token.
abstract contract AmmLogic is LedgerLogic {
    /// @notice Liquidity locked forever at pool creation, so reserves never return to zero.
    uint256 public constant MINIMUM_LIQUIDITY = 1000;

    /// @notice A pool needs two different tokens.
    error IdenticalTokens();
    /// @notice The pool for this pair already exists.
    error PoolExists(address token0, address token1);
    /// @notice There is no pool for this pair.
    error PoolNotFound(address token0, address token1);
    /// @notice The swap would return `amountOut`, below the caller's `minAmountOut`.
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);
    /// @notice Too little liquidity would be minted (`liquidity` < `minLiquidity`, or zero).
    error InsufficientLiquidityMinted(uint256 liquidity, uint256 minLiquidity);
    /// @notice Removing liquidity would return less than the minimums (amounts in pool token order).
    error InsufficientAmounts(uint256 amount0, uint256 amount1);
    /// @notice A reserve would exceed 2^128 - 1.
    error ReserveOverflow();
    /// @notice A `swapPath` path holds `length` tokens: it needs 2 to `Operations.MAX_PATH`.
    error BadPathLength(uint256 length);
    /// @notice The block's timestamp is past the caller's deadline.
    error Expired(uint256 deadline, uint256 timestamp);

    /// @notice A pool was created; `index` is its position in `poolAt`.
    event PoolCreated(address indexed token0, address indexed token1, address lpToken, uint256 index);
    /// @notice `sender` swapped `amountIn` of `tokenIn` for `amountOut` of `tokenOut`.
    event Swap(
        address indexed sender, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut
    );
    /// @notice Liquidity was added to the (token0, token1) pool.
    event LiquidityAdded(
        address indexed provider,
        address indexed token0,
        address indexed token1,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );
    /// @notice Liquidity was removed from the (token0, token1) pool.
    event LiquidityRemoved(
        address indexed provider,
        address indexed token0,
        address indexed token1,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    );

    /// @notice Creates the pool of `tokenA` and `tokenB`, seeded with the caller's amounts.
    function createPool(address tokenA, address tokenB, uint256 amountA, uint256 amountB)
        external
        returns (uint256 liquidity)
    {
        return _createPool(_sender(), tokenA, tokenB, amountA, amountB);
    }

    /// @notice Swaps exactly `amountIn` of `tokenIn` for at least `minAmountOut` of `tokenOut`.
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut)
        external
        returns (uint256 amountOut)
    {
        if (amountIn == 0) revert ZeroAmount();
        (address token0, address token1, bool inIsToken0) = _sortTokens(tokenIn, tokenOut);
        bytes32 poolKey = StateKeys.pool(token0, token1);
        (uint256 reserveIn, uint256 reserveOut) = _reserves(poolKey, token0, token1);
        if (!inIsToken0) (reserveIn, reserveOut) = (reserveOut, reserveIn);

        amountOut = _amountOut(amountIn, reserveIn, reserveOut);
        if (amountOut == 0 || amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);

        address trader = _sender();
        _debit(tokenIn, trader, amountIn);
        _credit(tokenOut, trader, amountOut);
        if (inIsToken0) _storeReserves(poolKey, reserveIn + amountIn, reserveOut - amountOut);
        else _storeReserves(poolKey, reserveOut - amountOut, reserveIn + amountIn);
        emit Swap(trader, tokenIn, tokenOut, amountIn, amountOut);
    }

    /// @notice Swaps exactly `amountIn` of `path[0]` along `path` (through the pool of each
    ///         consecutive pair, at most four pools) for at least `minAmountOut` of its last
    ///         token, in a block whose timestamp is at most `deadline`; all or nothing. Only the
    ///         first token is taken from the caller and only the last paid to it: the
    ///         intermediate amounts go from pool to pool. One `Swap` event per pool.
    function swapPath(address[] calldata path, uint256 amountIn, uint256 minAmountOut, uint256 deadline)
        external
        returns (uint256 amountOut)
    {
        uint256 hops = path.length;
        if (hops < 2 || hops > Operations.MAX_PATH) revert BadPathLength(hops);
        if (_timestamp() > deadline) revert Expired(deadline, _timestamp());
        if (amountIn == 0) revert ZeroAmount();
        address trader = _sender();
        amountOut = amountIn;
        for (uint256 i = 1; i < hops; ++i) {
            uint256 amount = amountOut;
            amountOut = _swapAt(path[i - 1], path[i], amount);
            emit Swap(trader, path[i - 1], path[i], amount, amountOut);
        }
        if (amountOut == 0 || amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);
        _debit(path[0], trader, amountIn);
        _credit(path[hops - 1], trader, amountOut);
    }

    /// @dev Moves the reserves of the pool of `tokenIn` and `tokenOut` for `amountIn` in, and
    ///      returns what comes out (which may be zero).
    function _swapAt(address tokenIn, address tokenOut, uint256 amountIn) private returns (uint256 amountOut) {
        (address token0, address token1, bool inIsToken0) = _sortTokens(tokenIn, tokenOut);
        bytes32 poolKey = StateKeys.pool(token0, token1);
        (uint256 reserve0, uint256 reserve1) = _reserves(poolKey, token0, token1);
        if (inIsToken0) {
            amountOut = _amountOut(amountIn, reserve0, reserve1);
            _storeReserves(poolKey, reserve0 + amountIn, reserve1 - amountOut);
        } else {
            amountOut = _amountOut(amountIn, reserve1, reserve0);
            _storeReserves(poolKey, reserve0 - amountOut, reserve1 + amountIn);
        }
    }

    /// @notice Adds liquidity at the pool's current price, using at most the desired amounts.
    function addLiquidity(
        address tokenA,
        address tokenB,
        uint256 amountADesired,
        uint256 amountBDesired,
        uint256 minLiquidity
    ) external returns (uint256 amountA, uint256 amountB, uint256 liquidity) {
        (address token0, address token1, bool aIsToken0) = _sortTokens(tokenA, tokenB);
        if (!aIsToken0) (amountADesired, amountBDesired) = (amountBDesired, amountADesired);
        (amountA, amountB, liquidity) =
            _addLiquidity(_sender(), token0, token1, amountADesired, amountBDesired, minLiquidity);
        if (!aIsToken0) (amountA, amountB) = (amountB, amountA);
    }

    /// @notice Burns `liquidity` of the caller's shares for its part of both reserves.
    function removeLiquidity(address tokenA, address tokenB, uint256 liquidity, uint256 minAmountA, uint256 minAmountB)
        external
        returns (uint256 amountA, uint256 amountB)
    {
        if (liquidity == 0) revert ZeroAmount();
        (address token0, address token1, bool aIsToken0) = _sortTokens(tokenA, tokenB);
        if (!aIsToken0) (minAmountA, minAmountB) = (minAmountB, minAmountA);
        (amountA, amountB) = _removeLiquidity(_sender(), token0, token1, liquidity, minAmountA, minAmountB);
        if (!aIsToken0) (amountA, amountB) = (amountB, amountA);
    }

    /// @notice Reserves (in the caller's token order), total liquidity and liquidity token of a
    ///         pool; all zero when it does not exist.
    function getPool(address tokenA, address tokenB)
        external
        view
        returns (uint256 reserveA, uint256 reserveB, uint256 totalLiquidity, address lpToken)
    {
        (address token0, address token1, bool aIsToken0) = _sortTokens(tokenA, tokenB);
        uint256 packed = _load(StateKeys.pool(token0, token1));
        if (packed == 0) return (0, 0, 0, address(0));
        // forge-lint: disable-next-line(unsafe-typecast)
        (uint256 reserve0, uint256 reserve1) = (uint128(packed), packed >> 128); // low half is reserve0
        (reserveA, reserveB) = aIsToken0 ? (reserve0, reserve1) : (reserve1, reserve0);
        lpToken = StateKeys.lpToken(token0, token1);
        totalLiquidity = _load(StateKeys.supply(lpToken));
    }

    /// @notice What `swap` would pay for `amountIn` of `tokenIn` at the current reserves.
    function getAmountOut(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256) {
        (address token0, address token1, bool inIsToken0) = _sortTokens(tokenIn, tokenOut);
        (uint256 reserve0, uint256 reserve1) = _reserves(StateKeys.pool(token0, token1), token0, token1);
        return inIsToken0 ? _amountOut(amountIn, reserve0, reserve1) : _amountOut(amountIn, reserve1, reserve0);
    }

    /// @notice What `swapPath` would pay along `path` for `amountIn` at the current reserves:
    ///         `amounts[i]` is what reaches `path[i]` (`amounts[0]` is `amountIn`), each pool's
    ///         reserves moved by the hops before it, as `swapPath` moves them (a path through a
    ///         pool twice is quoted exactly). Reverts as `swapPath` would for a bad path.
    function getAmountsOut(address[] calldata path, uint256 amountIn) external view returns (uint256[] memory amounts) {
        uint256 hops = path.length;
        if (hops < 2 || hops > Operations.MAX_PATH) revert BadPathLength(hops);
        amounts = new uint256[](hops);
        amounts[0] = amountIn;
        bytes32[] memory keys = new bytes32[](hops);
        uint256[] memory words = new uint256[](hops);
        for (uint256 i = 1; i < hops; ++i) {
            (address token0, address token1, bool inIsToken0) = _sortTokens(path[i - 1], path[i]);
            bytes32 key = StateKeys.pool(token0, token1);
            // The pool's reserves as the earlier hops left them, else as stored.
            uint256 packed;
            for (uint256 k = 1; k < i; ++k) {
                if (keys[k] == key) packed = words[k];
            }
            if (packed == 0) {
                packed = _load(key);
                if (packed == 0) revert PoolNotFound(token0, token1);
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            (uint256 reserve0, uint256 reserve1) = (uint128(packed), packed >> 128);
            uint256 amountIn_ = amounts[i - 1];
            uint256 out;
            if (inIsToken0) {
                out = _amountOut(amountIn_, reserve0, reserve1);
                (reserve0, reserve1) = (reserve0 + amountIn_, reserve1 - out);
            } else {
                out = _amountOut(amountIn_, reserve1, reserve0);
                (reserve0, reserve1) = (reserve0 - out, reserve1 + amountIn_);
            }
            if (reserve0 > type(uint128).max || reserve1 > type(uint128).max) revert ReserveOverflow();
            amounts[i] = out;
            keys[i] = key;
            words[i] = reserve0 | (reserve1 << 128);
        }
    }

    /// @notice Number of pools.
    function poolCount() external view returns (uint256) {
        return _load(StateKeys.poolCount());
    }

    /// @notice Tokens of the `index`-th pool, `token0 < token1`.
    function poolAt(uint256 index) external view returns (address token0, address token1) {
        token0 = address(uint160(_load(StateKeys.poolAt(index, 0))));
        token1 = address(uint160(_load(StateKeys.poolAt(index, 1))));
    }

    function _createPool(address provider, address tokenA, address tokenB, uint256 amountA, uint256 amountB)
        internal
        returns (uint256 liquidity)
    {
        if (amountA == 0 || amountB == 0) revert ZeroAmount();
        (address token0, address token1, bool aIsToken0) = _sortTokens(tokenA, tokenB);
        (uint256 amount0, uint256 amount1) = aIsToken0 ? (amountA, amountB) : (amountB, amountA);
        return _seedPool(provider, token0, token1, amount0, amount1);
    }

    function _seedPool(address provider, address token0, address token1, uint256 amount0, uint256 amount1)
        private
        returns (uint256 liquidity)
    {
        bytes32 poolKey = StateKeys.pool(token0, token1);
        if (_load(poolKey) != 0) revert PoolExists(token0, token1);
        if (amount0 > type(uint128).max || amount1 > type(uint128).max) revert ReserveOverflow();
        uint256 root = _sqrt(amount0 * amount1);
        if (root <= MINIMUM_LIQUIDITY) revert InsufficientLiquidityMinted(0, 1);
        liquidity = root - MINIMUM_LIQUIDITY;

        _debit(token0, provider, amount0);
        _debit(token1, provider, amount1);
        address lp = StateKeys.lpToken(token0, token1);
        _registerToken(lp, "LP", 18, false);
        _mint(lp, address(0), MINIMUM_LIQUIDITY);
        _mint(lp, provider, liquidity);
        _storeReserves(poolKey, amount0, amount1);
        emit PoolCreated(token0, token1, lp, _listPool(token0, token1));
        emit LiquidityAdded(provider, token0, token1, amount0, amount1, liquidity);
    }

    function _listPool(address token0, address token1) private returns (uint256 index) {
        bytes32 countKey = StateKeys.poolCount();
        index = _load(countKey);
        _store(StateKeys.poolAt(index, 0), uint160(token0));
        _store(StateKeys.poolAt(index, 1), uint160(token1));
        _store(countKey, index + 1);
    }

    function _addLiquidity(
        address provider,
        address token0,
        address token1,
        uint256 amount0,
        uint256 amount1,
        uint256 minLiquidity
    ) private returns (uint256, uint256, uint256 liquidity) {
        bytes32 poolKey = StateKeys.pool(token0, token1);
        (uint256 reserve0, uint256 reserve1) = _reserves(poolKey, token0, token1);
        // Use all of one desired amount and the matching part of the other.
        if (amount0 * reserve1 / reserve0 <= amount1) amount1 = amount0 * reserve1 / reserve0;
        else amount0 = amount1 * reserve0 / reserve1;
        liquidity = _sharesFor(token0, token1, amount0, amount1, reserve0, reserve1);
        if (liquidity == 0 || liquidity < minLiquidity) revert InsufficientLiquidityMinted(liquidity, minLiquidity);
        _storeReserves(poolKey, reserve0 + amount0, reserve1 + amount1);
        _settleAdd(provider, token0, token1, amount0, amount1, liquidity);
        return (amount0, amount1, liquidity);
    }

    function _sharesFor(
        address token0,
        address token1,
        uint256 amount0,
        uint256 amount1,
        uint256 reserve0,
        uint256 reserve1
    ) private view returns (uint256) {
        uint256 supply = _load(StateKeys.supply(StateKeys.lpToken(token0, token1)));
        return _min(amount0 * supply / reserve0, amount1 * supply / reserve1);
    }

    function _settleAdd(
        address provider,
        address token0,
        address token1,
        uint256 amount0,
        uint256 amount1,
        uint256 liquidity
    ) private {
        _debit(token0, provider, amount0);
        _debit(token1, provider, amount1);
        _mint(StateKeys.lpToken(token0, token1), provider, liquidity);
        emit LiquidityAdded(provider, token0, token1, amount0, amount1, liquidity);
    }

    function _removeLiquidity(
        address provider,
        address token0,
        address token1,
        uint256 liquidity,
        uint256 min0,
        uint256 min1
    ) private returns (uint256 amount0, uint256 amount1) {
        bytes32 poolKey = StateKeys.pool(token0, token1);
        (uint256 reserve0, uint256 reserve1) = _reserves(poolKey, token0, token1);
        address lp = StateKeys.lpToken(token0, token1);
        uint256 supply = _load(StateKeys.supply(lp));
        amount0 = liquidity * reserve0 / supply;
        amount1 = liquidity * reserve1 / supply;
        if (amount0 == 0 || amount1 == 0 || amount0 < min0 || amount1 < min1) {
            revert InsufficientAmounts(amount0, amount1);
        }

        _burn(lp, provider, liquidity);
        _credit(token0, provider, amount0);
        _credit(token1, provider, amount1);
        _storeReserves(poolKey, reserve0 - amount0, reserve1 - amount1);
        emit LiquidityRemoved(provider, token0, token1, amount0, amount1, liquidity);
    }

    function _reserves(bytes32 poolKey, address token0, address token1)
        internal
        view
        returns (uint256 reserve0, uint256 reserve1)
    {
        uint256 packed = _load(poolKey);
        if (packed == 0) revert PoolNotFound(token0, token1);
        // forge-lint: disable-next-line(unsafe-typecast)
        return (uint128(packed), packed >> 128); // low half is reserve0
    }

    function _storeReserves(bytes32 poolKey, uint256 reserve0, uint256 reserve1) internal {
        if (reserve0 > type(uint128).max || reserve1 > type(uint128).max) revert ReserveOverflow();
        _store(poolKey, reserve0 | (reserve1 << 128));
    }

    function _sortTokens(address tokenA, address tokenB)
        internal
        pure
        returns (address token0, address token1, bool aIsToken0)
    {
        if (tokenA == tokenB) revert IdenticalTokens();
        aIsToken0 = tokenA < tokenB;
        (token0, token1) = aIsToken0 ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        uint256 amountInWithFee = amountIn * 997;
        return amountInWithFee * reserveOut / (reserveIn * 1000 + amountInWithFee);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function _sqrt(uint256 y) internal pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
