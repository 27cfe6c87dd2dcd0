// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {FeeLogic} from "../src/logic/FeeLogic.sol";

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
        bool[] memory ok = vm.parseJsonBoolArray(json, ".boundOk");
        assertEq(parent.length, ok.length, "bound lengths");
        for (uint256 i; i < ok.length; i++) {
            assertEq(FeeLogic.l1PriceInBounds(parent[i], proposed[i]), ok[i], string.concat("bound ", vm.toString(i)));
        }
    }

    function test_vectors_feeState() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory word = vm.parseJsonUintArray(json, ".stateWord");
        uint256[] memory number = vm.parseJsonUintArray(json, ".stateNumber");
        uint256[] memory entered = vm.parseJsonUintArray(json, ".stateEntered");
        uint256[] memory gas = vm.parseJsonUintArray(json, ".stateGas");
        uint256[] memory after_ = vm.parseJsonUintArray(json, ".stateAfter");
        bool[] memory fits = vm.parseJsonBoolArray(json, ".stateFits");
        assertEq(word.length, fits.length, "fee state lengths");
        for (uint256 i; i < word.length; i++) {
            uint256 e = FeeLogic.enterBlock(word[i], number[i]);
            assertEq(e, entered[i], string.concat("entered ", vm.toString(i)));
            (uint256 a, bool ok) = FeeLogic.addGas(e, gas[i]);
            assertEq(ok, fits[i], string.concat("fits ", vm.toString(i)));
            assertEq(a, after_[i], string.concat("after ", vm.toString(i)));
        }
    }

    /// @notice Inside their stated domains (prices below 2^128, gas and bytes below 2^64) the
    ///         rules never revert, and the base fee stays within [floor, 2^128 - 1].
    function testFuzz_rulesAreTotal(uint128 base, uint64 gas, uint64 bytes_, uint128 price, uint128 tip) public pure {
        uint256 next = FeeLogic.nextBaseFee(base, gas);
        assertGe(next, FeeLogic.MIN_BASE_FEE, "floor");
        assertLe(next, type(uint128).max, "ceiling");
        assertLe(FeeLogic.l1Gas(bytes_, price, base), type(uint64).max, "l1 gas fits 64 bits");
        uint256 p = FeeLogic.effectivePrice(true, price, tip, base);
        assertLe(p, price, "never above the fee cap");
        FeeLogic.l1PriceInBounds(base, price);
    }
}
