// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title StateKeys
/// @notice Derivation of every key of the L2 state tree. Each key is
///         keccak256(abi.encode(uint256 tag, ...fields)); tags never repeat, so keys of
///         different kinds cannot collide. Mirrored in Rust (`rollup_types::keys`) and
///         checked against shared vectors (testdata/state-keys.json). See docs/state-commitment.md.
library StateKeys {
    uint256 internal constant TAG_NONCE = 0;
    uint256 internal constant TAG_TOKEN = 1;
    uint256 internal constant TAG_BALANCE = 2;
    uint256 internal constant TAG_SUPPLY = 3;
    uint256 internal constant TAG_POOL = 4;
    uint256 internal constant TAG_LP_TOKEN = 5;
    uint256 internal constant TAG_TOKEN_COUNT = 6;
    uint256 internal constant TAG_TOKEN_AT = 7;
    uint256 internal constant TAG_POOL_COUNT = 8;
    uint256 internal constant TAG_POOL_AT = 9;
    uint256 internal constant TAG_NEW_TOKEN = 10;
    uint256 internal constant TAG_BRIDGED_TOKEN = 11;
    uint256 internal constant TAG_TOKEN_ORIGIN = 12;
    uint256 internal constant TAG_WITHDRAWAL_COUNT = 13;
    uint256 internal constant TAG_WITHDRAWAL = 14;
    uint256 internal constant TAG_ALLOWANCE = 15;
    uint256 internal constant TAG_FEE_STATE = 16;
    uint256 internal constant TAG_FEE_RECIPIENT = 17;
    uint256 internal constant TAG_L1_FEES = 18;
    uint256 internal constant TAG_CLOCK = 19;
    uint256 internal constant TAG_ORACLES = 20;
    uint256 internal constant TAG_ORACLE_AT = 21;
    uint256 internal constant TAG_ORACLE = 22;
    uint256 internal constant TAG_MARKETS = 23;
    uint256 internal constant TAG_MARKET = 24;
    uint256 internal constant TAG_MARKET_OF = 25;
    uint256 internal constant TAG_MARKET_SHARD = 26;
    uint256 internal constant TAG_POSITION = 27;
    uint256 internal constant TAG_SHARD_ACCOUNT = 28;

    /// @notice The chain's native currency: the bridged token of L1 ether,
    ///         `bridgedToken(address(0))`. `eth_getBalance` of an account is its balance of this
    ///         token, and a value transfer moves it (docs/state-commitment.md §3.1).
    address internal constant ETHER = 0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6;
    /// @notice Metadata word of ether: symbol "ETH", 18 decimals.
    uint256 internal constant ETHER_META = (uint256(bytes32("ETH")) & ~uint256(0xff)) | 18;

    /// @notice Key of an account's transaction nonce.
    function nonce(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_NONCE, account));
    }

    /// @notice Key of a token's metadata: symbol in the high 31 bytes, decimals in the low byte.
    function token(address token_) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_TOKEN, token_));
    }

    /// @notice Key of the balance of `owner` in `token_`.
    function balance(address token_, address owner) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_BALANCE, token_, owner));
    }

    /// @notice Key of the total supply of `token_`.
    function supply(address token_) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_SUPPLY, token_));
    }

    /// @notice Key of a pool's packed reserves (reserve0 low 128 bits, reserve1 high 128 bits);
    ///         `token0 < token1`.
    function pool(address token0, address token1) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_POOL, token0, token1));
    }

    /// @notice Address of a pool's liquidity token; `token0 < token1`.
    function lpToken(address token0, address token1) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(TAG_LP_TOKEN, token0, token1)))));
    }

    /// @notice Key of the chain's fee state (`FeeLogic.FeeState`, docs/fees.md §6), which no
    ///         operation writes.
    function feeState() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_FEE_STATE));
    }

    /// @notice Key of the L1 address that receives the fee vault's ether (`uint160` of it),
    ///         laid out at genesis and written by no operation (docs/fees.md §6).
    function feeRecipient() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_FEE_RECIPIENT));
    }

    /// @notice Key of the L1's fees as the L2 last read them from the bridge's queue
    ///         (`baseFee << 128 | blobBaseFee`, docs/fees.md §4): the reading that bounds every
    ///         block's L1 price, laid out at genesis and written by the queue's fee reports only.
    function l1Fees() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_L1_FEES));
    }

    /// @notice Key of the chain's clock: the latest timestamp of a block that held an item,
    ///         which never goes back; written only by the system call that begins each such
    ///         block (`ClockLogic._beginBlock`, docs/lending.md §3).
    function clock() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_CLOCK));
    }

    /// @notice Key of the chain's price oracles (docs/lending.md §4): their number in the low
    ///         byte and the numeraire they price in above it; laid out at genesis only.
    function oracles() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_ORACLES));
    }

    /// @notice Key of the `index`-th oracle: its asset (low 160 bits) and its route above it
    ///         (0: the asset's pool with the numeraire; `j + 1`: its pool with oracle `j`'s asset,
    ///         `j < index`); laid out at genesis only.
    function oracleAt(uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_ORACLE_AT, index));
    }

    /// @notice Key of part `part` of the oracle of `asset`: 0 its window's two observations, 1
    ///         its latest sample (`OracleLogic`); written only by the block's beginning.
    function oracle(address asset, uint256 part) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_ORACLE, asset, part));
    }

    /// @notice Key of the money market's header (docs/lending.md §2): the number of markets
    ///         (bits 0–7), the market whose turn to accrue is next (8–15) and the dust
    ///         threshold of liquidations in raw units of the numeraire (16–143); written by
    ///         genesis and, for the turn, by the block's beginning only.
    function markets() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_MARKETS));
    }

    /// @notice Key of part `part` of the `index`-th market: 0 its configuration (genesis only),
    ///         1 its rate model and the time of its last accrual, 2 its supply and borrow
    ///         indices (both written by its accrual only).
    function market(uint256 index, uint256 part) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_MARKET, index, part));
    }

    /// @notice Key of the market of `asset`: its index plus one (zero: none); genesis only.
    function marketOf(address asset) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_MARKET_OF, asset));
    }

    /// @notice Key of shard `shard` of the `index`-th market: the scaled supply (low 128 bits)
    ///         and scaled debt (high 128 bits) of the users of that shard.
    function marketShard(uint256 index, uint256 shard) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_MARKET_SHARD, index, shard));
    }

    /// @notice Key of `user`'s position in the `index`-th market: its scaled supply (low 128
    ///         bits) and scaled debt (high 128 bits).
    function position(address user, uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_POSITION, user, index));
    }

    /// @notice The money market's shards: each market's totals and cash are split in this many.
    uint256 internal constant SHARD_COUNT = 8;

    /// @notice The account that holds the cash of shard `shard` of every market, as ledger
    ///         balances (`balance(asset, shardAccount(shard))`).
    function shardAccount(uint256 shard) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(TAG_SHARD_ACCOUNT, shard)))));
    }

    /// @notice Key of the number of registered (non-liquidity) tokens.
    function tokenCount() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_TOKEN_COUNT));
    }

    /// @notice Key of the address of the `index`-th registered token.
    function tokenAt(uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_TOKEN_AT, index));
    }

    /// @notice Key of the number of pools.
    function poolCount() internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_POOL_COUNT));
    }

    /// @notice Key of one token of the `index`-th pool: `side` 0 holds token0, 1 holds token1.
    function poolAt(uint256 index, uint256 side) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_POOL_AT, index, side));
    }

    /// @notice Address of a token created on L2 by `creator` with `salt`.
    function newToken(address creator, bytes32 salt) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(TAG_NEW_TOKEN, creator, salt)))));
    }

    /// @notice Address of the L2 token that represents the L1 asset `l1Token` (the zero
    ///         address for ether). See docs/bridge.md §3.
    function bridgedToken(address l1Token) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(TAG_BRIDGED_TOKEN, l1Token)))));
    }

    /// @notice Key of the L1 origin of a bridged L2 token: `uint160(l1Token) | 1 << 160`, so
    ///         that ether's origin (the zero address) is a non-zero word.
    function tokenOrigin(address l2Token) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_TOKEN_ORIGIN, l2Token));
    }

    /// @notice Key of the number of withdrawals `account` has made.
    function withdrawalCount(address account) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_WITHDRAWAL_COUNT, account));
    }

    /// @notice Key of the `index`-th withdrawal of `account` (its leaf: docs/bridge.md §5).
    function withdrawal(address account, uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_WITHDRAWAL, account, index));
    }

    /// @notice Key of the amount of `token_` that `spender` may move from `owner`'s balance
    ///         (the ERC-20 allowance of the token's contract face, `L2Token`).
    function allowance(address token_, address owner, address spender) internal pure returns (bytes32) {
        return keccak256(abi.encode(TAG_ALLOWANCE, token_, owner, spender));
    }

    /// @notice The value stored at `tokenOrigin(l2Token)` for the L1 asset `l1Token`.
    function originValue(address l1Token) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(l1Token)) | (1 << 160));
    }

    /// @notice The value of a withdrawal's key: what it pays, to whom, in which L1 asset.
    function withdrawalLeaf(address l1Token, address recipient, uint256 amount) internal pure returns (bytes32) {
        return keccak256(abi.encode(l1Token, recipient, amount));
    }
}
