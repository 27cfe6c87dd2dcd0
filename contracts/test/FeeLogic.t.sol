// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {FeeLogic} from "../src/logic/FeeLogic.sol";
import {Operations} from "../src/logic/Operations.sol";

/// @notice The fee rules (docs/fees.md §2–§4) against the vectors Rust writes
///         (testdata/fee-vectors.json, types/tests/vectors/fees.rs), and at their bounds.
contract FeeLogicTest is Test {
    string constant FILE = "../testdata/fee-vectors.json";

    function test_vectors_schedule() public view {
        string memory json = vm.readFile(FILE);
        address[] memory to = vm.parseJsonAddressArray(json, ".scheduleTo");
        bytes[] memory input = vm.parseJsonBytesArray(json, ".scheduleInput");
        uint256[] memory gas = vm.parseJsonUintArray(json, ".scheduleGas");
        assertEq(to.length, gas.length, "schedule lengths");
        assertGt(to.length, 10, "schedule cases");
        for (uint256 i; i < to.length; i++) {
            assertEq(FeeLogic.scheduledGas(to[i], input[i]), gas[i], string.concat("schedule ", vm.toString(i)));
        }
    }

    /// @notice `withdrawFees()` is scheduled as `withdraw` is, for exactly its 4-byte calldata
    ///         to the system contract; no other 4-byte input, and no longer one under its
    ///         selector, is.
    function test_schedule_withdrawFees() public pure {
        address system = 0x4200000000000000000000000000000000000010;
        bytes memory input = abi.encodeWithSignature("withdrawFees()");
        assertEq(input.length, 4, "selector alone");
        assertEq(uint32(bytes4(input)), 0x476343ee, "selector");
        assertEq(FeeLogic.scheduledGas(system, input), Operations.gasOf(Operations.WITHDRAW), "as withdraw");
        assertEq(Operations.gasOf(Operations.WITHDRAW_FEES), 60_000, "60,000");
        assertEq(FeeLogic.scheduledGas(system, abi.encodePacked(input, uint8(0))), 0, "5 bytes");
        assertEq(FeeLogic.scheduledGas(system, abi.encodePacked(input, uint256(0))), 0, "36 bytes");
        assertEq(FeeLogic.scheduledGas(system, hex"476343"), 0, "3 bytes");
        assertEq(FeeLogic.scheduledGas(system, hex"476343ef"), 0, "another selector");
        assertEq(FeeLogic.scheduledGas(system, hex"00000000"), 0, "zero selector");
        assertEq(FeeLogic.scheduledGas(address(0x7001), input), 0, "not at a token");
        // `withdraw`'s own schedule is unchanged.
        assertEq(FeeLogic.scheduledGas(system, abi.encodeWithSelector(bytes4(0xd9caed12), 1, 2, 3)), 60_000, "withdraw");
    }

    function test_vectors_baseFee() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory base = vm.parseJsonUintArray(json, ".baseFee");
        uint256[] memory gas = vm.parseJsonUintArray(json, ".baseGas");
        uint256[] memory next = vm.parseJsonUintArray(json, ".baseNext");
        assertEq(base.length, next.length, "base fee lengths");
        for (uint256 i; i < base.length; i++) {
            assertEq(FeeLogic.nextBaseFee(base[i], gas[i]), next[i], string.concat("base fee ", vm.toString(i)));
        }
    }

    function test_vectors_l1Gas() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory bytes_ = vm.parseJsonUintArray(json, ".l1Bytes");
        uint256[] memory price = vm.parseJsonUintArray(json, ".l1Price");
        uint256[] memory base = vm.parseJsonUintArray(json, ".l1BaseFee");
        uint256[] memory units = vm.parseJsonUintArray(json, ".l1Units");
        assertEq(bytes_.length, units.length, "l1 lengths");
        for (uint256 i; i < units.length; i++) {
            assertEq(FeeLogic.l1Gas(bytes_[i], price[i], base[i]), units[i], string.concat("l1 gas ", vm.toString(i)));
        }
    }

    function test_vectors_price() public view {
        string memory json = vm.readFile(FILE);
        bool[] memory eip1559 = vm.parseJsonBoolArray(json, ".priceEip1559");
        uint256[] memory maxFee = vm.parseJsonUintArray(json, ".priceMaxFee");
        uint256[] memory tip = vm.parseJsonUintArray(json, ".priceTip");
        uint256[] memory base = vm.parseJsonUintArray(json, ".priceBaseFee");
        uint256[] memory price = vm.parseJsonUintArray(json, ".pricePrice");
        assertEq(eip1559.length, price.length, "price lengths");
        for (uint256 i; i < price.length; i++) {
            assertEq(
                FeeLogic.effectivePrice(eip1559[i], maxFee[i], tip[i], base[i]),
                price[i],
                string.concat("price ", vm.toString(i))
            );
        }
    }

    function test_vectors_l1PriceBound() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory parent = vm.parseJsonUintArray(json, ".boundParent");
        uint256[] memory proposed = vm.parseJsonUintArray(json, ".boundProposed");
        uint256[] memory cap = vm.parseJsonUintArray(json, ".boundCap");
        bool[] memory ok = vm.parseJsonBoolArray(json, ".boundOk");
        assertEq(parent.length, ok.length, "bound lengths");
        assertEq(cap.length, ok.length, "bound lengths");
        for (uint256 i; i < ok.length; i++) {
            assertEq(
                FeeLogic.l1PriceInBounds(parent[i], proposed[i], cap[i]), ok[i], string.concat("bound ", vm.toString(i))
            );
        }
    }

    /// The cap the chain's reading of the L1's fees puts on a block's L1 price.
    function test_vectors_l1PriceCap() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory word = vm.parseJsonUintArray(json, ".capL1Fees");
        uint256[] memory cap = vm.parseJsonUintArray(json, ".capCap");
        assertEq(word.length, cap.length, "cap lengths");
        for (uint256 i; i < cap.length; i++) {
            assertEq(FeeLogic.l1PriceCap(word[i]), cap[i], string.concat("cap ", vm.toString(i)));
        }
    }

    function test_vectors_charge() public view {
        string memory json = vm.readFile(FILE);
        uint256 n = vm.parseJsonBoolArray(json, ".chargeEip1559").length;
        assertEq(vm.parseJsonBoolArray(json, ".chargeOutOfGas").length, n, "charge lengths");
        bool[4] memory seen; // paid, refused, out of gas, paid in full
        for (uint256 i; i < n; i++) {
            (bool paid, bool outOfGas) = _checkCharge(json, i);
            seen[paid ? 0 : 1] = true;
            if (paid) seen[outOfGas ? 2 : 3] = true;
        }
        assertTrue(seen[0] && seen[1] && seen[2] && seen[3], "every verdict");
    }

    /// @dev `FeeLogic.charge` of charge case `i`, of `scheduled + l1Gas` gas, against the case.
    function _checkCharge(string memory json, uint256 i) internal pure returns (bool paid, bool outOfGas) {
        uint256 fee;
        uint256 gasUsed;
        (paid, fee, gasUsed, outOfGas) = FeeLogic.charge(
            vm.parseJsonBoolArray(json, ".chargeEip1559")[i],
            vm.parseJsonUintArray(json, ".chargeGasLimit")[i],
            vm.parseJsonUintArray(json, ".chargeMaxFee")[i],
            vm.parseJsonUintArray(json, ".chargeTip")[i],
            vm.parseJsonUintArray(json, ".chargeValue")[i],
            vm.parseJsonUintArray(json, ".chargeScheduled")[i] + vm.parseJsonUintArray(json, ".chargeL1Gas")[i],
            vm.parseJsonUintArray(json, ".chargeBaseFee")[i],
            vm.parseJsonUintArray(json, ".chargeBalance")[i]
        );
        string memory at = vm.toString(i);
        assertEq(paid, vm.parseJsonBoolArray(json, ".chargePaid")[i], string.concat("paid ", at));
        assertEq(fee, vm.parseJsonUintArray(json, ".chargeFee")[i], string.concat("fee ", at));
        assertEq(gasUsed, vm.parseJsonUintArray(json, ".chargeGasUsed")[i], string.concat("gas used ", at));
        assertEq(outOfGas, vm.parseJsonBoolArray(json, ".chargeOutOfGas")[i], string.concat("out of gas ", at));
    }

    function test_vectors_feeState() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory word = vm.parseJsonUintArray(json, ".stateWord");
        uint256[] memory number = vm.parseJsonUintArray(json, ".stateNumber");
        uint256[] memory price = vm.parseJsonUintArray(json, ".statePrice");
        uint256[] memory cap = vm.parseJsonUintArray(json, ".stateCap");
        bool[] memory enters = vm.parseJsonBoolArray(json, ".stateEnters");
        uint256[] memory entered = vm.parseJsonUintArray(json, ".stateEntered");
        uint256[] memory gas = vm.parseJsonUintArray(json, ".stateGas");
        uint256[] memory after_ = vm.parseJsonUintArray(json, ".stateAfter");
        bool[] memory fits = vm.parseJsonBoolArray(json, ".stateFits");
        assertEq(word.length, fits.length, "fee state lengths");
        assertEq(word.length, enters.length, "fee state lengths");
        assertEq(word.length, cap.length, "fee state lengths");
        for (uint256 i; i < word.length; i++) {
            (uint256 e, bool ok) = FeeLogic.enterBlock(word[i], number[i], price[i], cap[i]);
            assertEq(ok, enters[i], string.concat("enters ", vm.toString(i)));
            assertEq(e, entered[i], string.concat("entered ", vm.toString(i)));
            (uint256 a, bool fit) = FeeLogic.addGas(e, gas[i]);
            assertEq(fit, fits[i], string.concat("fits ", vm.toString(i)));
            assertEq(a, after_[i], string.concat("after ", vm.toString(i)));
        }
    }

    /// @notice The fields of the fee state word: `number << 192 | gas << 160 | l1BytePrice << 96
    ///         | baseFee`, read back by the accessors, and an entered block keeps its number,
    ///         price and base fee.
    function test_feeStateWordLayout() public pure {
        uint256 word = (uint256(7) << 192) | (uint256(90_000) << 160) | (uint256(800) << 96) | 2_000_000;
        assertEq(FeeLogic.baseFeeOfWord(word), 2_000_000, "base fee");
        assertEq(FeeLogic.l1PriceOfWord(word), 800, "price");
        assertEq(FeeLogic.baseFeeOf(word, 7), 2_000_000, "the same block");
        uint256 none = type(uint64).max;
        (uint256 same, bool ok) = FeeLogic.enterBlock(word, 7, 800, 0);
        assertTrue(ok && same == word, "a later chunk of the block, whatever the cap");
        (same, ok) = FeeLogic.enterBlock(word, 7, 801, none);
        assertTrue(!ok && same == word, "a later chunk with another price");
        (uint256 next, bool entered) = FeeLogic.enterBlock(word, 8, 900, none);
        assertTrue(entered, "an eighth up");
        assertEq(next, (uint256(8) << 192) | (uint256(900) << 96) | FeeLogic.nextBaseFee(2_000_000, 90_000), "next");
        (next, entered) = FeeLogic.enterBlock(word, 8, 901, none);
        assertTrue(!entered && next == word, "more than an eighth up: unchanged");
        (next, entered) = FeeLogic.enterBlock(word, 8, 851, 850);
        assertTrue(!entered && next == word, "above the cap: unchanged");
        (, entered) = FeeLogic.enterBlock(word, 8, 850, 850);
        assertTrue(entered, "at the cap");
        (, entered) = FeeLogic.enterBlock(word, 8, 600, 600);
        assertTrue(entered, "down to a cap more than an eighth below at once");
        (, entered) = FeeLogic.enterBlock(word, 8, 599, 600);
        assertTrue(!entered, "but no further");
        // Every field at its top: the accessors read them apart.
        uint256 top = type(uint256).max;
        assertEq(FeeLogic.baseFeeOfWord(top), FeeLogic.MAX_BASE_FEE, "top base fee");
        assertEq(FeeLogic.l1PriceOfWord(top), type(uint64).max, "top price");
        (uint256 full, bool fits) = FeeLogic.addGas(top, 0);
        assertFalse(fits, "2^32 - 1 gas is over the block's limit");
        assertEq(full, top, "unchanged");
    }

    /// @notice Inside their stated domains (fees below 2^128, gas, bytes and L1 prices below
    ///         2^64) the rules never revert, and the base fee stays within [floor, MAX_BASE_FEE].
    function testFuzz_rulesAreTotal(uint128 base, uint64 gas, uint64 bytes_, uint64 l1Price, uint128 price, uint128 tip)
        public
        pure
    {
        uint256 next = FeeLogic.nextBaseFee(base, gas);
        assertGe(next, FeeLogic.MIN_BASE_FEE, "floor");
        assertLe(next, FeeLogic.MAX_BASE_FEE, "ceiling");
        assertLe(FeeLogic.l1Gas(bytes_, l1Price, base), type(uint64).max, "l1 gas fits 64 bits");
        uint256 p = FeeLogic.effectivePrice(true, price, tip, base);
        assertLe(p, price, "never above the fee cap");
        FeeLogic.l1PriceInBounds(gas, l1Price, FeeLogic.l1PriceCap(uint256(base) << 128 | tip));
    }

    /// @notice A charge never takes more than the gas limit at the fee cap, whatever the gas the
    ///         transaction needs; it runs out of gas exactly when it needs more than its limit.
    function testFuzz_chargeNeverTakesMoreThanSigned(
        uint64 gasLimit,
        uint128 maxFee,
        uint128 tip,
        uint128 base,
        uint64 l1
    ) public pure {
        uint256 needed = uint256(gasLimit / 2) + l1;
        (bool paid, uint256 fee, uint256 used, bool outOfGas) =
            FeeLogic.charge(true, gasLimit, maxFee, tip, 0, needed, base, type(uint256).max);
        assertEq(paid, maxFee >= base, "paid unless the cap is below the base fee");
        assertLe(used, gasLimit, "never more than the gas limit");
        assertLe(fee, uint256(gasLimit) * maxFee, "never more than it signed");
        assertEq(outOfGas, paid && needed > gasLimit, "out of gas");
        if (paid && !outOfGas) assertEq(used, needed, "what it needs");
    }
}
