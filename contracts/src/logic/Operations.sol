// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Operations
/// @notice The closed operation set as one table (docs/operations.md), the twin of Rust's
///         `rollup_types::ops::OPS`: for each operation a user transaction may perform, its
///         selector, what it is sent to, its form in the batch codec (docs/batch-codec.md §3.3)
///         and its scheduled gas (docs/fees.md §2.1). The codec (`BatchCodec`), the fee
///         schedule (`FeeLogic`) and admission (`ChunkVerifier`) read it here. Both sides check
///         testdata/operation-vectors.json (contracts/test/Operations.t.sol).
library Operations {
    /// @notice Operations, numbered as Rust's `Op`. A compact operation's number is its
    ///         codec code (1–6).
    uint256 internal constant ETHER_TRANSFER = 0;
    uint256 internal constant TRANSFER = 1;
    uint256 internal constant SWAP = 2;
    uint256 internal constant CREATE_POOL = 3;
    uint256 internal constant ADD_LIQUIDITY = 4;
    uint256 internal constant REMOVE_LIQUIDITY = 5;
    uint256 internal constant WITHDRAW = 6;
    uint256 internal constant WITHDRAW_FEES = 7;
    uint256 internal constant CREATE_TOKEN = 8;
    uint256 internal constant TOKEN_TRANSFER = 9;
    uint256 internal constant TOKEN_APPROVE = 10;
    uint256 internal constant TOKEN_TRANSFER_FROM = 11;
    uint256 internal constant SWAP_PATH = 12;
    uint256 internal constant SUPPLY = 13;
    uint256 internal constant WITHDRAW_SUPPLY = 14;
    uint256 internal constant BORROW = 15;
    uint256 internal constant REPAY = 16;
    uint256 internal constant LIQUIDATE = 17;
    /// @notice How many rows the table has.
    uint256 internal constant COUNT = 18;

    /// @notice What a transaction of an operation is sent to: the system contract, a token's
    ///         ERC-20 face, or any other address (a transfer of ether).
    uint256 internal constant TARGET_SYSTEM = 0;
    uint256 internal constant TARGET_TOKEN = 1;
    uint256 internal constant TARGET_ACCOUNT = 2;

    /// @notice How the codec writes an operation: a registry pair and `amounts` numbers
    ///         (§3.3.1), a token call (§3.3.2, head bit 6), raw calldata, or an extended
    ///         operation (§3.3.3, operation code 7: the row's number, then its arguments by the
    ///         row's shape).
    uint256 internal constant FORM_COMPACT = 0;
    uint256 internal constant FORM_TOKEN_CALL = 1;
    uint256 internal constant FORM_RAW = 2;
    uint256 internal constant FORM_EXTENDED = 3;

    /// @notice The head's operation code of an extended operation (§3.3.3).
    uint256 internal constant EXTENDED_CODE = 7;

    // Selectors, by the operation's Solidity signature.
    /// @notice `transfer(address,address,uint256)`
    uint256 internal constant SELECTOR_TRANSFER = 0xbeabacc8;
    /// @notice `swap(address,address,uint256,uint256)`
    uint256 internal constant SELECTOR_SWAP = 0xfe029156;
    /// @notice `createPool(address,address,uint256,uint256)`
    uint256 internal constant SELECTOR_CREATE_POOL = 0x884db063;
    /// @notice `addLiquidity(address,address,uint256,uint256,uint256)`
    uint256 internal constant SELECTOR_ADD_LIQUIDITY = 0x91c98a2a;
    /// @notice `removeLiquidity(address,address,uint256,uint256,uint256)`
    uint256 internal constant SELECTOR_REMOVE_LIQUIDITY = 0xe2dc85dc;
    /// @notice `withdraw(address,address,uint256)`
    uint256 internal constant SELECTOR_WITHDRAW = 0xd9caed12;
    /// @notice `withdrawFees()`
    uint256 internal constant SELECTOR_WITHDRAW_FEES = 0x476343ee;
    /// @notice `createToken(bytes32,string,uint8,uint256)`
    uint256 internal constant SELECTOR_CREATE_TOKEN = 0xe3296505;
    /// @notice `transfer(address,uint256)`
    uint256 internal constant SELECTOR_TOKEN_TRANSFER = 0xa9059cbb;
    /// @notice `approve(address,uint256)`
    uint256 internal constant SELECTOR_TOKEN_APPROVE = 0x095ea7b3;
    /// @notice `transferFrom(address,address,uint256)`
    uint256 internal constant SELECTOR_TOKEN_TRANSFER_FROM = 0x23b872dd;
    /// @notice `swapPath(address[],uint256,uint256,uint256)`
    uint256 internal constant SELECTOR_SWAP_PATH = 0xf0916b94;
    /// @notice `supply(address,uint256)`
    uint256 internal constant SELECTOR_SUPPLY = 0xf2b9fdb8;
    /// @notice `withdrawSupply(address,uint256)`
    uint256 internal constant SELECTOR_WITHDRAW_SUPPLY = 0xe72b6026;
    /// @notice `borrow(address,uint256)`
    uint256 internal constant SELECTOR_BORROW = 0x4b8a3529;
    /// @notice `repay(address,uint256)`
    uint256 internal constant SELECTOR_REPAY = 0x22867d78;
    /// @notice `liquidate(address,address,address,uint256,uint256)`
    uint256 internal constant SELECTOR_LIQUIDATE = 0x6f70e66f;

    // The rows, one word each: selector (bits 0–31), target (32–39), codec form (40–47), codec
    // code (48–55), numbers (56–63: after the registry pair of a compact form, the numbers of an
    // extended form), scheduled gas (64–95), and an extended form's shape: its leading
    // addresses (96–103) and the shortest and longest address list after them (104–111,
    // 112–119; 0 and 0 for none); bit 120 marks a heavy operation, whose transactions take a
    // chunk of their own (docs/batch-codec.md §3.1).
    /// @dev Bit 120 of a row: the operation is heavy.
    uint256 private constant HEAVY = 1 << 120;

    uint256 private constant ROW_ETHER_TRANSFER =
        0 | TARGET_ACCOUNT << 32 | FORM_TOKEN_CALL << 40 | 4 << 48 | 0 << 56 | 21_000 << 64;
    uint256 private constant ROW_TRANSFER =
        SELECTOR_TRANSFER | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 1 << 48 | 1 << 56 | 30_000 << 64;
    uint256 private constant ROW_SWAP =
        SELECTOR_SWAP | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 2 << 48 | 2 << 56 | 60_000 << 64;
    uint256 private constant ROW_CREATE_POOL =
        SELECTOR_CREATE_POOL | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 3 << 48 | 2 << 56 | 160_000 << 64;
    uint256 private constant ROW_ADD_LIQUIDITY =
        SELECTOR_ADD_LIQUIDITY | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 4 << 48 | 3 << 56 | 90_000 << 64;
    uint256 private constant ROW_REMOVE_LIQUIDITY =
        SELECTOR_REMOVE_LIQUIDITY | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 5 << 48 | 3 << 56 | 90_000 << 64;
    uint256 private constant ROW_WITHDRAW =
        SELECTOR_WITHDRAW | TARGET_SYSTEM << 32 | FORM_COMPACT << 40 | 6 << 48 | 1 << 56 | 60_000 << 64;
    uint256 private constant ROW_WITHDRAW_FEES =
        SELECTOR_WITHDRAW_FEES | TARGET_SYSTEM << 32 | FORM_RAW << 40 | 0 << 48 | 0 << 56 | 60_000 << 64;
    uint256 private constant ROW_CREATE_TOKEN =
        SELECTOR_CREATE_TOKEN | TARGET_SYSTEM << 32 | FORM_RAW << 40 | 0 << 48 | 0 << 56 | 120_000 << 64;
    uint256 private constant ROW_TOKEN_TRANSFER =
        SELECTOR_TOKEN_TRANSFER | TARGET_TOKEN << 32 | FORM_TOKEN_CALL << 40 | 1 << 48 | 0 << 56 | 30_000 << 64;
    uint256 private constant ROW_TOKEN_APPROVE =
        SELECTOR_TOKEN_APPROVE | TARGET_TOKEN << 32 | FORM_TOKEN_CALL << 40 | 2 << 48 | 0 << 56 | 26_000 << 64;
    uint256 private constant ROW_TOKEN_TRANSFER_FROM =
        SELECTOR_TOKEN_TRANSFER_FROM | TARGET_TOKEN << 32 | FORM_TOKEN_CALL << 40 | 3 << 48 | 0 << 56 | 36_000 << 64;
    uint256 private constant ROW_SWAP_PATH = SELECTOR_SWAP_PATH | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40
        | EXTENDED_CODE << 48 | 3 << 56 | 150_000 << 64 | 0 << 96 | 2 << 104 | MAX_PATH << 112;

    uint256 private constant ROW_SUPPLY = SELECTOR_SUPPLY | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40 | EXTENDED_CODE
        << 48 | 1 << 56 | 100_000 << 64 | 1 << 96;
    uint256 private constant ROW_WITHDRAW_SUPPLY = SELECTOR_WITHDRAW_SUPPLY | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40
        | EXTENDED_CODE << 48 | 1 << 56 | 150_000 << 64 | 1 << 96 | HEAVY;
    uint256 private constant ROW_BORROW = SELECTOR_BORROW | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40 | EXTENDED_CODE
        << 48 | 1 << 56 | 150_000 << 64 | 1 << 96 | HEAVY;
    uint256 private constant ROW_REPAY = SELECTOR_REPAY | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40 | EXTENDED_CODE
        << 48 | 1 << 56 | 90_000 << 64 | 1 << 96;
    uint256 private constant ROW_LIQUIDATE = SELECTOR_LIQUIDATE | TARGET_SYSTEM << 32 | FORM_EXTENDED << 40
        | EXTENDED_CODE << 48 | 2 << 56 | 300_000 << 64 | 3 << 96 | HEAVY;

    /// @notice Most tokens on a `swapPath` path: four pools.
    uint256 internal constant MAX_PATH = 5;

    /// @dev Row `op` as one word (see the layout above); 0 past the table.
    function _word(uint256 op) private pure returns (uint256) {
        if (op == ETHER_TRANSFER) return ROW_ETHER_TRANSFER;
        if (op == TRANSFER) return ROW_TRANSFER;
        if (op == SWAP) return ROW_SWAP;
        if (op == CREATE_POOL) return ROW_CREATE_POOL;
        if (op == ADD_LIQUIDITY) return ROW_ADD_LIQUIDITY;
        if (op == REMOVE_LIQUIDITY) return ROW_REMOVE_LIQUIDITY;
        if (op == WITHDRAW) return ROW_WITHDRAW;
        if (op == WITHDRAW_FEES) return ROW_WITHDRAW_FEES;
        if (op == CREATE_TOKEN) return ROW_CREATE_TOKEN;
        if (op == TOKEN_TRANSFER) return ROW_TOKEN_TRANSFER;
        if (op == TOKEN_APPROVE) return ROW_TOKEN_APPROVE;
        if (op == TOKEN_TRANSFER_FROM) return ROW_TOKEN_TRANSFER_FROM;
        if (op == SWAP_PATH) return ROW_SWAP_PATH;
        if (op == SUPPLY) return ROW_SUPPLY;
        if (op == WITHDRAW_SUPPLY) return ROW_WITHDRAW_SUPPLY;
        if (op == BORROW) return ROW_BORROW;
        if (op == REPAY) return ROW_REPAY;
        if (op == LIQUIDATE) return ROW_LIQUIDATE;
        return 0;
    }

    /// @notice Row `op` of the table: its selector (0 for a transfer of ether), target, codec
    ///         form, codec code, numbers after the registry pair (compact form) and scheduled
    ///         gas. All zero past the table.
    function row(uint256 op)
        internal
        pure
        returns (uint256 selector, uint256 target, uint256 form, uint256 code, uint256 amounts, uint256 gas)
    {
        uint256 w = _word(op);
        return (w & 0xffffffff, (w >> 32) & 0xff, (w >> 40) & 0xff, (w >> 48) & 0xff, (w >> 56) & 0xff, gasOf(op));
    }

    /// @notice The shape of extended row `op` (§3.3.3): its leading addresses, the shortest
    ///         and longest list of addresses after them (0 and 0 for none) and its numbers; all
    ///         zero and `found` false when row `op` is not extended.
    function extendedOp(uint256 op)
        internal
        pure
        returns (uint256 selector, uint256 addresses, uint256 listMin, uint256 listMax, uint256 numbers, bool found)
    {
        uint256 w = _word(op);
        if ((w >> 40) & 0xff != FORM_EXTENDED) return (0, 0, 0, 0, 0, false);
        return (w & 0xffffffff, (w >> 96) & 0xff, (w >> 104) & 0xff, (w >> 112) & 0xff, (w >> 56) & 0xff, true);
    }

    /// @notice The selector of row `op`.
    function selectorOf(uint256 op) internal pure returns (uint256) {
        return _word(op) & 0xffffffff;
    }

    /// @notice Whether row `op` is heavy: its transactions take a chunk of their own
    ///         (docs/batch-codec.md §3.1; Rust `OpSpec::heavy`).
    function heavyOf(uint256 op) internal pure returns (bool) {
        return _word(op) & HEAVY != 0;
    }

    /// @notice The scheduled gas of row `op`.
    function gasOf(uint256 op) internal pure returns (uint256) {
        return (_word(op) >> 64) & 0xffffffff;
    }

    /// @notice The system contract's operation with `selector`, and whether there is one.
    function systemOp(uint256 selector) internal pure returns (uint256 op, bool found) {
        if (selector == SELECTOR_TRANSFER) return (TRANSFER, true);
        if (selector == SELECTOR_SWAP) return (SWAP, true);
        if (selector == SELECTOR_CREATE_POOL) return (CREATE_POOL, true);
        if (selector == SELECTOR_ADD_LIQUIDITY) return (ADD_LIQUIDITY, true);
        if (selector == SELECTOR_REMOVE_LIQUIDITY) return (REMOVE_LIQUIDITY, true);
        if (selector == SELECTOR_WITHDRAW) return (WITHDRAW, true);
        if (selector == SELECTOR_WITHDRAW_FEES) return (WITHDRAW_FEES, true);
        if (selector == SELECTOR_CREATE_TOKEN) return (CREATE_TOKEN, true);
        if (selector == SELECTOR_SWAP_PATH) return (SWAP_PATH, true);
        for (op = SUPPLY; op <= LIQUIDATE; ++op) {
            if (selectorOf(op) == selector) return (op, true);
        }
        return (0, false);
    }

    /// @notice The selector and number of amounts of compact operation `code` (§3.3.1); a
    ///         selector of 0 when no operation has that code. A compact operation's number is
    ///         its code.
    function compactOp(uint256 code) internal pure returns (uint256 selector, uint256 amounts) {
        uint256 w = _word(code);
        // Form compact (0) and the code equal to the row's number.
        if ((w >> 40) & 0xffff != code << 8) return (0, 0);
        return (w & 0xffffffff, (w >> 56) & 0xff);
    }

    /// @notice The token call of selector `selector` and its canonical calldata length (68 or
    ///         100 bytes), and whether there is one.
    function tokenOp(uint256 selector) internal pure returns (uint256 op, uint256 length, bool found) {
        for (op = TOKEN_TRANSFER; op <= TOKEN_TRANSFER_FROM; ++op) {
            if (selectorOf(op) == selector) return (op, op == TOKEN_TRANSFER_FROM ? 100 : 68, true);
        }
        return (0, 0, false);
    }
}
