// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {Operations} from "../src/logic/Operations.sol";
import {FeeLogic} from "../src/logic/FeeLogic.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";
import {BatchInbox} from "../src/l1/BatchInbox.sol";

/// @notice The operation table's Solidity twin (`Operations.sol`) and what reads it (the
///         codec's forms, the fee schedule) against the vectors Rust writes from its table
///         (testdata/operation-vectors.json, types/tests/vectors/ops.rs), and the inbox's fault
///         kinds against Rust's `FaultKind` (docs/operations.md).
contract OperationsTest is Test {
    string constant FILE = "../testdata/operation-vectors.json";
    address constant SYSTEM = 0x4200000000000000000000000000000000000010;

    function test_vectors_rows() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory selector = vm.parseJsonUintArray(json, ".opSelector");
        uint256[] memory target = vm.parseJsonUintArray(json, ".opTarget");
        uint256[] memory form = vm.parseJsonUintArray(json, ".opForm");
        uint256[] memory code = vm.parseJsonUintArray(json, ".opCode");
        uint256[] memory amounts = vm.parseJsonUintArray(json, ".opAmounts");
        uint256[] memory gas = vm.parseJsonUintArray(json, ".opGas");
        assertEq(selector.length, Operations.COUNT, "rows");
        for (uint256 op; op < Operations.COUNT; op++) {
            string memory at = string.concat("row ", vm.toString(op));
            (uint256 s, uint256 t, uint256 f, uint256 c, uint256 n, uint256 g) = Operations.row(op);
            assertEq(s, selector[op], string.concat(at, " selector"));
            assertEq(t, target[op], string.concat(at, " target"));
            assertEq(f, form[op], string.concat(at, " form"));
            assertEq(c, code[op], string.concat(at, " code"));
            assertEq(n, amounts[op], string.concat(at, " amounts"));
            assertEq(g, gas[op], string.concat(at, " gas"));
        }
        (uint256 past,,,,, uint256 pastGas) = Operations.row(Operations.COUNT);
        assertEq(past + pastGas, 0, "nothing past the table");
    }

    /// @notice Each extended row's shape (§3.3.3) is the vectors', and no other row has one.
    function test_vectors_shapes() public view {
        string memory json = vm.readFile(FILE);
        uint256[] memory form = vm.parseJsonUintArray(json, ".opForm");
        uint256[] memory amounts = vm.parseJsonUintArray(json, ".opAmounts");
        uint256[] memory addresses = vm.parseJsonUintArray(json, ".opAddresses");
        uint256[] memory listMin = vm.parseJsonUintArray(json, ".opListMin");
        uint256[] memory listMax = vm.parseJsonUintArray(json, ".opListMax");
        uint256[] memory heavy = vm.parseJsonUintArray(json, ".opHeavy");
        for (uint256 op; op <= Operations.COUNT; op++) {
            string memory at = string.concat("row ", vm.toString(op));
            assertEq(Operations.heavyOf(op), op < Operations.COUNT && heavy[op] == 1, string.concat(at, " heavy"));
            (uint256 s, uint256 k, uint256 lo, uint256 hi, uint256 n, bool found) = Operations.extendedOp(op);
            bool extended = op < Operations.COUNT && form[op] == Operations.FORM_EXTENDED;
            assertEq(found, extended, at);
            if (!extended) {
                assertEq(s + k + lo + hi + n, 0, string.concat(at, " no shape"));
                continue;
            }
            assertEq(s, Operations.selectorOf(op), string.concat(at, " selector"));
            assertEq(k, addresses[op], string.concat(at, " addresses"));
            assertEq(lo, listMin[op], string.concat(at, " shortest list"));
            assertEq(hi, listMax[op], string.concat(at, " longest list"));
            assertEq(n, amounts[op], string.concat(at, " numbers"));
        }
    }

    /// @notice Each operation's canonical call is read as that operation by every lookup: the
    ///         fee schedule, the codec's compact and token-call forms, the system selectors.
    function test_vectors_calls() public view {
        string memory json = vm.readFile(FILE);
        address[] memory to = vm.parseJsonAddressArray(json, ".callTo");
        bytes[] memory input = vm.parseJsonBytesArray(json, ".callInput");
        assertEq(to.length, Operations.COUNT, "calls");
        for (uint256 op; op < Operations.COUNT; op++) {
            string memory at = string.concat("call ", vm.toString(op));
            (uint256 selector, uint256 target, uint256 form,,, uint256 gas) = Operations.row(op);
            assertEq(FeeLogic.scheduledGas(to[op], input[op]), gas, string.concat(at, " scheduled gas"));
            assertEq(to[op] == SYSTEM, target == Operations.TARGET_SYSTEM, string.concat(at, " target"));
            bool compact = form == Operations.FORM_COMPACT || form == Operations.FORM_EXTENDED;
            assertEq(BatchCodec.hasCompactForm(input[op]), compact, string.concat(at, " compact form"));
            bool tokenCall = target == Operations.TARGET_TOKEN;
            assertEq(BatchCodec.hasTokenCallForm(input[op]), tokenCall, string.concat(at, " token-call form"));
            if (target == Operations.TARGET_SYSTEM) {
                (uint256 found, bool ok) = Operations.systemOp(selector);
                assertTrue(ok && found == op, string.concat(at, " system selector"));
            }
            if (form == Operations.FORM_COMPACT) {
                (uint256 s,) = Operations.compactOp(op);
                assertEq(s, selector, string.concat(at, " compact code"));
            }
        }
        // No compact operation past the six, and none at code 0 (raw calldata) or 7.
        for (uint256 code = 0; code < 8; code += 7) {
            (uint256 s,) = Operations.compactOp(code);
            assertEq(s, 0, "no compact operation");
        }
    }

    /// @notice `BatchInbox.Fault` is Rust's `FaultKind`, member by member, in order.
    function test_vectors_faults() public view {
        string memory json = vm.readFile(FILE);
        string[] memory names = vm.parseJsonStringArray(json, ".faultName");
        assertEq(names.length, uint256(type(BatchInbox.Fault).max) + 1, "fault kinds");
        for (uint256 i; i < names.length; i++) {
            assertEq(_fault(names[i]), i, names[i]);
        }
    }

    function _fault(string memory name) private pure returns (uint256) {
        bytes32 h = keccak256(bytes(name));
        if (h == keccak256("UndecodableHeader")) return uint8(BatchInbox.Fault.UndecodableHeader);
        if (h == keccak256("WrongFirstBlock")) return uint8(BatchInbox.Fault.WrongFirstBlock);
        if (h == keccak256("WrongLastBlock")) return uint8(BatchInbox.Fault.WrongLastBlock);
        if (h == keccak256("WrongChunkCount")) return uint8(BatchInbox.Fault.WrongChunkCount);
        if (h == keccak256("UndecodableChunk")) return uint8(BatchInbox.Fault.UndecodableChunk);
        if (h == keccak256("InadmissibleTx")) return uint8(BatchInbox.Fault.InadmissibleTx);
        if (h == keccak256("WrongNonce")) return uint8(BatchInbox.Fault.WrongNonce);
        if (h == keccak256("WrongChunkRoot")) return uint8(BatchInbox.Fault.WrongChunkRoot);
        if (h == keccak256("WrongQueueCount")) return uint8(BatchInbox.Fault.WrongQueueCount);
        if (h == keccak256("BlobDataMismatch")) return uint8(BatchInbox.Fault.BlobDataMismatch);
        if (h == keccak256("CannotPay")) return uint8(BatchInbox.Fault.CannotPay);
        if (h == keccak256("WrongL1Price")) return uint8(BatchInbox.Fault.WrongL1Price);
        if (h == keccak256("BlobRootsMismatch")) return uint8(BatchInbox.Fault.BlobRootsMismatch);
        return type(uint256).max;
    }
}
