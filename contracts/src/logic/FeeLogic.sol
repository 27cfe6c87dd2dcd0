// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Operations} from "./Operations.sol";

/// @title FeeLogic
/// @notice The fee rules of docs/fees.md §2–§4 as pure functions: the gas schedule of the
///         closed operation set, the L1 data fee in gas units, the price a transaction pays,
///         the base fee's EIP-1559 update and the bound on a block's L1 price. Mirrored in Rust
///         (`rollup_types::fees`) and checked against shared vectors (testdata/fee-vectors.json).
///         Every function is total: quantities that grow without a natural bound saturate,
///         as the Rust side does.
library FeeLogic {
    /// @notice The lowest base fee: 0.001 gwei. The genesis base fee.
    uint256 internal constant MIN_BASE_FEE = 1_000_000;
    /// @notice The highest base fee: what 96 bits hold, where the update saturates, so that the
    ///         fee state packs into one word.
    uint256 internal constant MAX_BASE_FEE = 2 ** 96 - 1;
    /// @notice Scheduled gas a block aims at.
    uint256 internal constant GAS_TARGET = 150_000_000;
    /// @notice Most scheduled gas a block may hold: twice the target.
    uint256 internal constant BLOCK_GAS_LIMIT = 2 * GAS_TARGET;
    /// @notice The base fee moves by at most one eighth a block.
    uint256 internal constant BASE_FEE_CHANGE_DENOMINATOR = 8;
    /// @notice A block's L1 price moves by at most one eighth of its parent's.
    uint256 internal constant L1_PRICE_CHANGE_DENOMINATOR = 8;
    /// @notice The lowest L1 price a block may commit, in wei a byte.
    uint256 internal constant MIN_L1_BYTE_PRICE = 8;
    /// @notice Gas a byte of calldata costs on L1 at least (EIP-7623's floor for data-heavy
    ///         transactions): the dearest way a byte is posted.
    uint256 internal constant L1_CALLDATA_GAS_PER_BYTE = 40;
    /// @notice What the L1's reading allows for the tip a post pays above the base fee: 2 gwei.
    uint256 internal constant L1_TIP_ALLOWANCE = 2_000_000_000;
    /// @notice The L1 price a block commits is at most this many times what a byte of calldata
    ///         costs at the chain's reading of the L1 base fee plus `L1_TIP_ALLOWANCE`: room for
    ///         the sequencer's margin (twice the cost) projected over a posting lag (docs/fees.md
    ///         §4), and no more.
    uint256 internal constant L1_PRICE_CAP_MULTIPLE = 16;

    /// @notice The address whose ether collects every fee (OP Stack's sequencer fee vault).
    address internal constant FEE_VAULT = 0x4200000000000000000000000000000000000011;

    address private constant SYSTEM_CONTRACT = 0x4200000000000000000000000000000000000010;
    /// @dev Where the fee state word holds its scheduled gas (32 bits) and its L1 price (64 bits).
    uint256 private constant GAS_SHIFT = 160;
    uint256 private constant PRICE_SHIFT = 96;

    /// @notice The scheduled gas of a transaction to `to` with `input`, by its target and
    ///         selector from the operation table (`Operations`; admission checks the rest of
    ///         its form); 0 when it is no operation of the closed set.
    function scheduledGas(address to, bytes memory input) internal pure returns (uint256) {
        uint256 len = input.length;
        if (to != SYSTEM_CONTRACT && len == 0) return Operations.gasOf(Operations.ETHER_TRANSFER);
        if (len < 4) return 0;
        uint256 selector;
        assembly ("memory-safe") {
            selector := shr(224, mload(add(input, 32)))
        }
        if (to != SYSTEM_CONTRACT) {
            (uint256 tokenOp, uint256 length, bool isToken) = Operations.tokenOp(selector);
            return isToken && len == length ? Operations.gasOf(tokenOp) : 0;
        }
        (uint256 op, bool found) = Operations.systemOp(selector);
        // The fee vault's withdrawal takes no argument (docs/fees.md §6).
        if (!found || (op == Operations.WITHDRAW_FEES && len != 4)) return 0;
        return Operations.gasOf(op);
    }

    /// @notice The base fee of the block after one with `baseFee` and `gas` scheduled gas:
    ///         EIP-1559's update, divisions toward zero, never below `MIN_BASE_FEE`, saturating
    ///         at `MAX_BASE_FEE`. `baseFee` is below 2^128 and `gas` below 2^64.
    function nextBaseFee(uint256 baseFee, uint256 gas) internal pure returns (uint256 next) {
        // baseFee < 2^128 and |gas - target| < 2^64: the products fit.
        if (gas >= GAS_TARGET) {
            next = baseFee + baseFee * (gas - GAS_TARGET) / GAS_TARGET / BASE_FEE_CHANGE_DENOMINATOR;
        } else {
            next = baseFee - baseFee * (GAS_TARGET - gas) / GAS_TARGET / BASE_FEE_CHANGE_DENOMINATOR;
        }
        if (next > MAX_BASE_FEE) next = MAX_BASE_FEE;
        if (next < MIN_BASE_FEE) next = MIN_BASE_FEE;
    }

    /// @notice The L1 data fee of `billedBytes` bytes at `l1BytePrice` wei a byte, in gas units
    ///         at `baseFee`, rounded down (a transaction pays whole gas units) and saturating at
    ///         2^64 - 1 (a base fee of zero counts as one wei). `billedBytes` and `l1BytePrice`
    ///         are below 2^64.
    function l1Gas(uint256 billedBytes, uint256 l1BytePrice, uint256 baseFee) internal pure returns (uint256 units) {
        if (baseFee == 0) baseFee = 1;
        // Both below 2^64: the product fits.
        units = billedBytes * l1BytePrice / baseFee;
        if (units > type(uint64).max) units = type(uint64).max;
    }

    /// @notice The price of a gas unit: an EIP-1559 transaction's fee cap or the base fee plus
    ///         its tip, whichever is lower; a legacy transaction's gas price.
    function effectivePrice(bool eip1559, uint256 maxFee, uint256 tip, uint256 baseFee)
        internal
        pure
        returns (uint256)
    {
        if (!eip1559) return maxFee;
        // Both below 2^128: the sum fits.
        uint256 offered = baseFee + tip;
        return offered < maxFee ? offered : maxFee;
    }

    /// @notice What a transaction that needs `needed` gas (its scheduled gas and its L1 gas,
    ///         `l1Gas`) pays (docs/fees.md §2, §5), from a sender holding `balance` ether, in a
    ///         block of `baseFee`: nothing, and `paid` false, when its fee cap is below the base
    ///         fee or `balance` is below `gasLimit × maxFee + value` (saturating); otherwise
    ///         `gasUsed` gas at `effectivePrice`: `needed`, or its gas limit when that is less
    ///         (`outOfGas`: its operation does not run). `gasLimit` is below 2^64, `needed` below
    ///         2^65, the fees below 2^128.
    function charge(
        bool eip1559,
        uint256 gasLimit,
        uint256 maxFee,
        uint256 tip,
        uint256 value,
        uint256 needed,
        uint256 baseFee,
        uint256 balance
    ) internal pure returns (bool paid, uint256 fee, uint256 gasUsed, bool outOfGas) {
        if (maxFee < baseFee) return (false, 0, 0, false);
        // gasLimit × maxFee < 2^192; with the value the sum saturates at 2^256 - 1 (Rust's
        // `Offer::most`).
        uint256 most = gasLimit * maxFee;
        most = value > type(uint256).max - most ? type(uint256).max : most + value;
        if (balance < most) return (false, 0, 0, false);
        outOfGas = needed > gasLimit;
        gasUsed = outOfGas ? gasLimit : needed;
        return (true, gasUsed * effectivePrice(eip1559, maxFee, tip, baseFee), gasUsed, outOfGas);
    }

    /// @notice The base fee of the fee state `word` (docs/fees.md §6: the block that last held
    ///         an item, the scheduled gas of its transactions so far, its L1 price and its base
    ///         fee, packed as `number << 192 | gas << 160 | l1BytePrice << 96 | baseFee`, of
    ///         64, 32, 64 and 96 bits).
    function baseFeeOfWord(uint256 word) internal pure returns (uint256) {
        return word & MAX_BASE_FEE;
    }

    /// @notice The L1 price, in wei a byte, of the fee state `word` (see `baseFeeOfWord`).
    function l1PriceOfWord(uint256 word) internal pure returns (uint256) {
        return (word >> PRICE_SHIFT) & type(uint64).max;
    }

    /// @notice The base fee of block `number` after the fee state `word` (see `baseFeeOfWord`):
    ///         that block's own for the same block; otherwise the update from its gas, then one
    ///         with no gas for each block in between (blocks without items), until the floor.
    ///         At most about 560 steps.
    function baseFeeOf(uint256 word, uint256 number) internal pure returns (uint256 baseFee) {
        uint256 last = word >> 192;
        baseFee = word & MAX_BASE_FEE;
        if (number == last) return baseFee;
        baseFee = nextBaseFee(baseFee, (word >> GAS_SHIFT) & type(uint32).max);
        uint256 between = number > last ? number - last - 1 : 0;
        while (between > 0 && baseFee > MIN_BASE_FEE) {
            baseFee = nextBaseFee(baseFee, 0);
            --between;
        }
    }

    /// @notice Whether block `number` starts a block after the fee state `word`'s, so that
    ///         entering it bounds its L1 price, which needs the chain's reading of the L1's fees
    ///         (`enterBlock`'s `cap`).
    function entersNewBlock(uint256 word, uint256 number) internal pure returns (bool) {
        return word >> 192 != number;
    }

    /// @notice The most L1 price, in wei a byte, a block may commit after the chain's reading of
    ///         the L1's fees `l1FeesWord` (`StateKeys.l1Fees`: `baseFee << 128 | blobBaseFee`):
    ///         `L1_PRICE_CAP_MULTIPLE` times a calldata byte's cost at its base fee plus
    ///         `L1_TIP_ALLOWANCE`, at most 2^64 - 1; no bound (2^64 - 1) without a reading.
    function l1PriceCap(uint256 l1FeesWord) internal pure returns (uint256 cap) {
        if (l1FeesWord == 0) return type(uint64).max;
        // The base fee is below 2^128: the product fits.
        cap = L1_PRICE_CAP_MULTIPLE * L1_CALLDATA_GAS_PER_BYTE * ((l1FeesWord >> 128) + L1_TIP_ALLOWANCE);
        if (cap > type(uint64).max) cap = type(uint64).max;
    }

    /// @notice The fee state at the start of block `number`'s items, a block that commits
    ///         `l1BytePrice` (below 2^64): `word` when it is that block's already (a later chunk
    ///         of the block, whose price must be the word's), else the block with no gas, its
    ///         price (within `l1PriceInBounds` of the word's, under `cap`, the chain's
    ///         `l1PriceCap`; unused for a later chunk) and its base fee (`baseFeeOf`). `ok` is
    ///         false, and `word` returned unchanged, when the price breaks the rule.
    function enterBlock(uint256 word, uint256 number, uint256 l1BytePrice, uint256 cap)
        internal
        pure
        returns (uint256 entered, bool ok)
    {
        uint256 price = (word >> PRICE_SHIFT) & type(uint64).max;
        if (!entersNewBlock(word, number)) return (word, l1BytePrice == price);
        if (!l1PriceInBounds(price, l1BytePrice, cap)) return (word, false);
        return ((number << 192) | (l1BytePrice << PRICE_SHIFT) | baseFeeOf(word, number), true);
    }

    /// @notice The fee state `word` after a transaction of `scheduled` gas, and whether the
    ///         block can hold it (`BLOCK_GAS_LIMIT`); the word is unchanged when it cannot.
    function addGas(uint256 word, uint256 scheduled) internal pure returns (uint256, bool) {
        uint256 gas = ((word >> GAS_SHIFT) & type(uint32).max) + scheduled;
        if (gas > BLOCK_GAS_LIMIT) return (word, false);
        // gas ≤ BLOCK_GAS_LIMIT < 2^32: it fits its field.
        return ((word & ~(uint256(type(uint32).max) << GAS_SHIFT)) | (gas << GAS_SHIFT), true);
    }

    /// @notice Whether a block may commit `proposed` as its L1 price after a parent that
    ///         committed `parent`, under the chain's cap `cap` (`l1PriceCap`): at least
    ///         `MIN_L1_BYTE_PRICE`, at most `cap`, and within an eighth of `parent`, except that
    ///         after a parent more than an eighth above the cap the price is the cap (it falls
    ///         to it at once). `parent` and `cap` are below 2^64.
    function l1PriceInBounds(uint256 parent, uint256 proposed, uint256 cap) internal pure returns (bool) {
        uint256 step = parent / L1_PRICE_CHANGE_DENOMINATOR;
        uint256 high = parent + step < cap ? parent + step : cap;
        uint256 low = parent - step < high ? parent - step : high;
        return proposed >= MIN_L1_BYTE_PRICE && proposed >= low && proposed <= high;
    }
}
