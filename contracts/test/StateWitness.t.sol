// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {FullWitness} from "./utils/FullWitness.sol";
import {vm} from "./utils/Vm.sol";
import {SortedModel} from "./utils/SortedModel.sol";
import {SparseMerkle} from "../src/lib/SparseMerkle.sol";
import {StateWitness} from "../src/lib/StateWitness.sol";

/// @dev What running a witness gave: its root as given, the reads, the updated keys read back
///      after the updates, and the post-root.
struct Outcome {
    bytes32 pre;
    uint256[] reads;
    uint256[] readBack;
    bytes32 post;
}

/// @dev Gas of each phase of a run.
struct WitnessGas {
    uint256 decode;
    uint256 gets;
    uint256 sets;
    uint256 post;
}

/// @notice Exposes `StateWitness` (internal functions) so that tests can catch its reverts.
contract StateWitnessHarness {
    uint256 public constant DECODE = 1;
    uint256 public constant GET = 2;
    uint256 public constant SET = 3;
    uint256 public constant POST_ROOT = 4;

    /// @notice Decodes `witness`, then (phase by phase, up to `phases`) reads `reads`, sets
    ///         `keys` to `values` in order and reads them back, and takes the post-root.
    function run(
        bytes memory witness,
        bytes32[] memory reads,
        bytes32[] memory keys,
        uint256[] memory values,
        uint256 phases
    ) external pure returns (Outcome memory out) {
        StateWitness.Tree memory t = StateWitness.decode(witness);
        out.pre = StateWitness.preRoot(t);
        if (phases < GET) return out;
        out.reads = new uint256[](reads.length);
        for (uint256 i; i < reads.length; i++) {
            out.reads[i] = StateWitness.get(t, reads[i]);
        }
        if (phases < SET) return out;
        for (uint256 i; i < keys.length; i++) {
            StateWitness.set(t, keys[i], values[i]);
        }
        out.readBack = new uint256[](keys.length);
        for (uint256 i; i < keys.length; i++) {
            out.readBack[i] = StateWitness.get(t, keys[i]);
        }
        if (phases < POST_ROOT) return out;
        out.post = StateWitness.postRoot(t);
        // Taking the post-root changes nothing.
        require(StateWitness.postRoot(t) == out.post, "postRoot twice");
        require(StateWitness.preRoot(t) == out.pre, "preRoot after the updates");
    }

    /// @notice Sets `keys` to `values` in a tree that was never decoded (the empty tree) and
    ///         returns its post-root.
    function fresh(bytes32[] memory keys, uint256[] memory values) external pure returns (bytes32) {
        StateWitness.Tree memory t;
        for (uint256 i; i < keys.length; i++) {
            StateWitness.set(t, keys[i], values[i]);
        }
        return StateWitness.postRoot(t);
    }

    /// @notice The gas of each phase of `run`, and its post-root.
    function gas(bytes memory witness, bytes32[] memory reads, bytes32[] memory keys, uint256[] memory values)
        external
        view
        returns (WitnessGas memory g, bytes32 post)
    {
        uint256 left = gasleft();
        StateWitness.Tree memory t = StateWitness.decode(witness);
        StateWitness.preRoot(t);
        g.decode = left - gasleft();
        left = gasleft();
        for (uint256 i; i < reads.length; i++) {
            StateWitness.get(t, reads[i]);
        }
        g.gets = left - gasleft();
        left = gasleft();
        for (uint256 i; i < keys.length; i++) {
            StateWitness.set(t, keys[i], values[i]);
        }
        g.sets = left - gasleft();
        left = gasleft();
        post = StateWitness.postRoot(t);
        g.post = left - gasleft();
    }
}

/// @notice Tests of the L1 state witness (docs/state-commitment.md §8): the shared vectors of
///         ../testdata/smt-witness-vectors.json (written and checked by the Rust side,
///         types/tests/vectors/witness.rs), full witnesses built here against
///         `SparseMerkle.computeRoot`, and fuzzing for soundness: no witness that hashes to the
///         honest root gives a wrong read or post-root.
contract StateWitnessTest is Test, FullWitness {
    event log_named_uint(string key, uint256 val);

    string constant FILE = "../testdata/smt-witness-vectors.json";

    StateWitnessHarness h;

    /// @dev A valid vector, with what a run must give.
    struct Case {
        string name;
        bytes witness;
        bytes32 root;
        bytes32[] reads;
        uint256[] readValues;
        bytes32[] keys;
        uint256[] values;
        uint256[] readBack;
        bytes32 post;
    }

    /// @dev The fuzz bases (valid vectors), loaded once.
    Case[] bases;

    function setUp() public override {
        h = new StateWitnessHarness();
        string memory json = vm.readFile(FILE);
        uint256 count = vm.parseJsonUint(json, ".validCount");
        for (uint256 i; i < count; i++) {
            string memory name = vm.parseJsonString(json, string.concat(_valid(i), ".name"));
            if (_is(name, "shared-prefix-24") || _is(name, "full-reveal") || _is(name, "delete-both-siblings")) {
                bases.push(_case(json, i));
            }
        }
        assertEq(bases.length, 3, "fuzz bases");
    }

    // =========================================================================================
    // Shared vectors.

    function test_validVectors() public view {
        string memory json = vm.readFile(FILE);
        uint256 count = vm.parseJsonUint(json, ".validCount");
        assertGe(count, 12, "validCount");
        for (uint256 i; i < count; i++) {
            Case memory c = _case(json, i);
            Outcome memory out = h.run(c.witness, c.reads, c.keys, c.values, 4);
            _assertOutcome(out, c);
        }
    }

    function test_invalidVectors() public view {
        string memory json = vm.readFile(FILE);
        uint256 count = vm.parseJsonUint(json, ".invalidCount");
        assertGe(count, 20, "invalidCount");
        for (uint256 i; i < count; i++) {
            string memory c = string.concat(".invalid[", vm.toString(i), "]");
            string memory name = vm.parseJsonString(json, string.concat(c, ".name"));
            bytes memory witness = vm.parseJsonBytes(json, string.concat(c, ".witness"));
            bytes32[] memory reads = vm.parseJsonBytes32Array(json, string.concat(c, ".reads"));
            (bytes32[] memory keys, uint256[] memory values) = _entries(json, c, "updates", "updateCount");
            uint256 phase = _phase(vm.parseJsonString(json, string.concat(c, ".phase")));
            string memory error = vm.parseJsonString(json, string.concat(c, ".error"));
            bytes memory expected;
            if (_is(error, "malformed")) {
                expected = abi.encodeWithSelector(
                    StateWitness.WitnessMalformed.selector, vm.parseJsonUint(json, string.concat(c, ".offset"))
                );
            } else {
                assertEq(error, "incomplete", _at(name, "error"));
                expected = abi.encodeWithSelector(
                    StateWitness.WitnessIncomplete.selector, vm.parseJsonBytes32(json, string.concat(c, ".key"))
                );
            }
            // The phases before the failing one succeed...
            if (phase > 1) h.run(witness, reads, keys, values, phase - 1);
            // ...and the failing one reverts with the expected error.
            try h.run(witness, reads, keys, values, phase) {
                fail(_at(name, "accepted"));
            } catch (bytes memory err) {
                assertEq(keccak256(err), keccak256(expected), _at(name, "error data"));
            }
        }
    }

    /// @notice Gas of a chunk-sized case: 200 keys over 2,000 leaves (100 reads, 100 updates).
    function test_gas_chunk200of2000() public {
        string memory json = vm.readFile(FILE);
        uint256 count = vm.parseJsonUint(json, ".validCount");
        for (uint256 i; i < count; i++) {
            if (!_is(vm.parseJsonString(json, string.concat(_valid(i), ".name")), "chunk-200-of-2000")) continue;
            Case memory c = _case(json, i);
            (WitnessGas memory g, bytes32 post) = h.gas(c.witness, c.reads, c.keys, c.values);
            assertEq(post, c.post, "post-root");
            emit log_named_uint("witness bytes", c.witness.length);
            emit log_named_uint("decode + preRoot gas", g.decode);
            emit log_named_uint("get gas (100 reads)", g.gets);
            emit log_named_uint("set gas (100 updates)", g.sets);
            emit log_named_uint("postRoot gas", g.post);
            emit log_named_uint("total gas", g.decode + g.gets + g.sets + g.post);
            return;
        }
        fail("no chunk-200-of-2000 case");
    }

    /// @notice Gas of one level of a deep path, by what is beside it (docs/fraud-proofs.md §7.2):
    ///         a key whose path a grinder deepened, read and updated (decode and preRoot, get,
    ///         set, postRoot), with an OPAQUE sibling at every level (a leaf beside it at each
    ///         depth) or EMPTY ones (one leaf sharing all its bits but the last level's); and an
    ///         absent key inserted beside a leaf it shares the levels with (the witness ends at
    ///         that leaf, the insert builds the branches). The library alone, from 40 levels to
    ///         80: a proof adds the witness's calldata and its copies.
    function test_gas_perLevel() public {
        string[3] memory names = ["OPAQUE sibling", "EMPTY sibling", "insert"];
        uint256[3] memory perLevel;
        for (uint256 kind; kind < 3; kind++) {
            WitnessGas memory shallow = _deepPathGas(40, kind);
            WitnessGas memory deep = _deepPathGas(80, kind);
            emit log_named_uint(
                string.concat(names[kind], ": decode + preRoot, gas a level"), (deep.decode - shallow.decode) / 40
            );
            emit log_named_uint(string.concat(names[kind], ": get, gas a level"), (deep.gets - shallow.gets) / 40);
            emit log_named_uint(string.concat(names[kind], ": set, gas a level"), (deep.sets - shallow.sets) / 40);
            emit log_named_uint(string.concat(names[kind], ": postRoot, gas a level"), (deep.post - shallow.post) / 40);
            perLevel[kind] = (_total(deep) - _total(shallow)) / 40;
            emit log_named_uint(string.concat(names[kind], ": gas a level"), perLevel[kind]);
        }
        // An EMPTY sibling saves the library nothing: decoding it is cheaper, summarising the
        // branch above it dearer. Only the 32 bytes of calldata differ (§7.2).
        assertGt(perLevel[1] * 10, perLevel[0] * 9, "EMPTY at least 90 % of OPAQUE");
        assertGt(perLevel[0] * 10, perLevel[1] * 9, "OPAQUE at least 90 % of EMPTY");
    }

    function _total(WitnessGas memory g) internal pure returns (uint256) {
        return g.decode + g.gets + g.sets + g.post;
    }

    /// @dev The gas of each phase for one key at `depth` (kind 0: an existing key with OPAQUE
    ///      siblings, 1: with EMPTY siblings, 2: an absent key inserted beside a leaf sharing
    ///      `depth` bits with it).
    function _deepPathGas(uint256 depth, uint256 kind) internal view returns (WitnessGas memory g) {
        // The key takes the left child at every level (its first 255 bits are zero); the leaf
        // beside it shares exactly `depth` bits with it.
        bytes32 key = bytes32(uint256(1));
        bytes32 near = bytes32(uint256(1) | (uint256(1) << (255 - depth)));
        bytes memory w;
        if (kind == 2) {
            w = bytes.concat(bytes1(0x01), near, bytes32(uint256(7)));
        } else {
            bytes32 nearHash = SparseMerkle.leafHash(near, bytes32(uint256(7)));
            w = bytes.concat(bytes1(0x03), bytes1(0x01), key, bytes32(uint256(5)), bytes1(0x02), nearHash);
            for (uint256 d = depth; d > 0; d--) {
                bytes memory sibling = kind == 0
                    ? bytes.concat(bytes1(0x02), keccak256(abi.encode("sibling", d)))
                    : bytes.concat(bytes1(0x00));
                w = bytes.concat(bytes1(0x03), w, sibling);
            }
        }
        bytes32[] memory keys = new bytes32[](1);
        keys[0] = key;
        uint256[] memory values = new uint256[](1);
        values[0] = 9;
        (g,) = h.gas(w, keys, keys, values);
    }

    // =========================================================================================
    // Full witnesses built here: every leaf revealed, checked against `computeRoot`.

    /// @notice Random leaf sets (some with shared prefixes), fully revealed, random updates:
    ///         preRoot and postRoot equal `computeRoot` of the leaves before and after.
    function testFuzz_fullWitness(uint256 seed) public view {
        (bytes32[] memory keys, bytes32[] memory values) = _randomLeaves(seed, 1 + seed % 24);
        bytes memory witness = _encodeFull(keys, values, 0, keys.length, 0);
        // Updates: existing keys (updates and deletes) and new ones.
        uint256 n = 1 + (seed >> 8) % 12;
        bytes32[] memory uk = new bytes32[](n);
        uint256[] memory uv = new uint256[](n);
        for (uint256 i; i < n; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, "update", i)));
            uk[i] = r % 3 == 0 ? _randomKey(r, r >> 8) : keys[(r >> 16) % keys.length];
            uv[i] = r % 4 == 1 ? 0 : r >> 128;
        }
        bytes32[] memory reads = new bytes32[](keys.length + 1);
        for (uint256 i; i < keys.length; i++) {
            reads[i] = keys[i];
        }
        reads[keys.length] = _randomKey(seed, 1000); // leaves use indices below 24
        Outcome memory out = h.run(witness, reads, uk, uv, 4);
        assertEq(out.pre, SparseMerkle.computeRoot(keys, values), "preRoot");
        for (uint256 i; i < keys.length; i++) {
            assertEq(out.reads[i], uint256(values[i]), "read");
        }
        assertEq(out.reads[keys.length], 0, "absent read");
        // The model after the updates.
        bytes32[] memory mk = new bytes32[](keys.length + n);
        bytes32[] memory mv = new bytes32[](keys.length + n);
        for (uint256 i; i < keys.length; i++) {
            (mk[i], mv[i]) = (keys[i], values[i]);
        }
        uint256 len = keys.length;
        for (uint256 i; i < n; i++) {
            len = SortedModel.set(mk, mv, len, uk[i], bytes32(uv[i]));
        }
        assembly ("memory-safe") {
            mstore(mk, len)
            mstore(mv, len)
        }
        assertEq(out.post, SparseMerkle.computeRoot(mk, mv), "postRoot");
        // The same updates applied to a tree never decoded, after inserting the leaves.
        assertEq(_fresh(keys, values, uk, uv), out.post, "from the empty tree");
    }

    function _fresh(bytes32[] memory keys, bytes32[] memory values, bytes32[] memory uk, uint256[] memory uv)
        internal
        view
        returns (bytes32)
    {
        bytes32[] memory fk = new bytes32[](keys.length + uk.length);
        uint256[] memory fv = new uint256[](keys.length + uk.length);
        for (uint256 i; i < keys.length; i++) {
            (fk[i], fv[i]) = (keys[i], uint256(values[i]));
        }
        for (uint256 i; i < uk.length; i++) {
            (fk[keys.length + i], fv[keys.length + i]) = (uk[i], uv[i]);
        }
        return h.fresh(fk, fv);
    }

    function test_handBuilt() public view {
        bytes32 a = bytes32(uint256(1));
        bytes32 b = bytes32(uint256(1) << 255);
        bytes32 v = bytes32(uint256(7));
        bytes memory w = abi.encodePacked(uint8(3), uint8(1), a, v, uint8(1), b, v);
        bytes32[] memory none = new bytes32[](0);
        bytes32[] memory keys = new bytes32[](1);
        uint256[] memory values = new uint256[](1);
        keys[0] = b;
        Outcome memory out = h.run(w, none, keys, values, 4);
        assertEq(out.pre, SparseMerkle.nodeHash(SparseMerkle.leafHash(a, v), SparseMerkle.leafHash(b, v)), "pre");
        assertEq(out.post, SparseMerkle.leafHash(a, v), "deleting b lifts a");
        // The same with b hidden: deleting a cannot tell whether b's side is one leaf.
        w = abi.encodePacked(uint8(3), uint8(1), a, v, uint8(2), SparseMerkle.leafHash(b, v));
        keys[0] = a;
        try h.run(w, none, keys, values, 4) {
            fail("accepted");
        } catch (bytes memory err) {
            assertEq(
                keccak256(err), keccak256(abi.encodeWithSelector(StateWitness.WitnessIncomplete.selector, 0)), "err"
            );
        }
        // An insert sharing 200 bits with a: a split into a 200-deep chain, and back.
        bytes32 c = a ^ bytes32(uint256(1) << 55);
        keys = new bytes32[](2);
        values = new uint256[](2);
        (keys[0], values[0]) = (c, 5);
        (keys[1], values[1]) = (b, 0);
        w = abi.encodePacked(uint8(3), uint8(1), a, v, uint8(1), b, v);
        out = h.run(w, none, keys, values, 4);
        bytes32 chain =
            SparseMerkle.nodeHash(SparseMerkle.leafHash(a, v), SparseMerkle.leafHash(c, bytes32(uint256(5))));
        for (uint256 d = 200; d > 0; d--) {
            chain = SparseMerkle.nodeHash(chain, 0);
        }
        assertEq(out.post, chain, "a 200-deep chain");
    }

    // =========================================================================================
    // Soundness fuzzing.

    /// @notice Random bytes: a revert with one of the two errors, or (if they happen to hash to
    ///         the honest root) the honest answers.
    function testFuzz_randomBytes(bytes memory data, uint256 which) public view {
        _assertSound(bases[which % bases.length], data);
    }

    /// @notice Random bytes made of records: mostly tags and short runs.
    function testFuzz_randomRecords(uint256 seed) public view {
        bytes memory w = new bytes(seed % 200);
        for (uint256 i; i < w.length; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            w[i] = bytes1(uint8(r % 3 == 0 ? r >> 8 : (r >> 8) % 4));
        }
        _assertSound(bases[(seed >> 200) % bases.length], w);
    }

    /// @notice Mutations of valid witnesses: hidden subtrees (which keep the honest root),
    ///         flipped, replaced, inserted and deleted bytes, truncation.
    function testFuzz_mutations(uint256 seed) public view {
        Case memory base = bases[seed % bases.length];
        bytes memory w = base.witness;
        uint256 rounds = 1 + (seed >> 8) % 3;
        for (uint256 m; m < rounds; m++) {
            uint256 r = uint256(keccak256(abi.encode(seed, m)));
            uint256 kind = r % 8;
            r >>= 8;
            if (kind <= 2 && m == 0) {
                // Hide a subtree: the root stays the honest one.
                (uint256 start, uint256 end) = _record(w, r % _recordCount(w));
                if (uint8(w[start]) != 0) w = _collapse(w, start, end);
            } else if (kind == 3 && w.length > 0) {
                w[r % w.length] ^= bytes1(uint8(1 << ((r >> 16) % 8)));
            } else if (kind == 4 && w.length > 0) {
                w[r % w.length] = bytes1(uint8((r >> 16) % 5));
            } else if (kind == 5) {
                w = _slice(w, 0, r % (w.length + 1));
            } else if (kind == 6) {
                uint256 at = r % (w.length + 1);
                w = bytes.concat(_slice(w, 0, at), bytes1(uint8((r >> 16) % 4)), _slice(w, at, w.length));
            } else if (w.length > 0) {
                uint256 at = r % w.length;
                w = bytes.concat(_slice(w, 0, at), _slice(w, at + 1, w.length));
            }
        }
        _assertSound(base, w);
    }

    /// @notice Every single hidden subtree of every base: the honest answers or incomplete, and
    ///         hiding a subtree the run needs is noticed.
    function test_everyCollapse() public view {
        uint256 honest;
        uint256 incomplete;
        for (uint256 b; b < bases.length; b++) {
            Case memory base = bases[b];
            uint256 records = _recordCount(base.witness);
            for (uint256 i; i < records; i++) {
                (uint256 start, uint256 end) = _record(base.witness, i);
                if (uint8(base.witness[start]) == 0) continue;
                bytes memory w = _collapse(base.witness, start, end);
                if (_assertSound(base, w)) honest++;
                else incomplete++;
            }
        }
        assertGt(honest, 0, "some hidden subtrees are not needed");
        assertGt(incomplete, 0, "hiding a needed subtree is noticed");
    }

    /// @dev Runs `w` with `base`'s reads and updates. Returns true when it gave the honest
    ///      answers for the honest root; false when it reverted with `WitnessIncomplete`; reverts
    ///      on anything else: a wrong answer for the honest root, or another error.
    function _assertSound(Case memory base, bytes memory w) internal view returns (bool) {
        try h.run(w, base.reads, base.keys, base.values, 4) returns (Outcome memory out) {
            if (out.pre != base.root) return false;
            _assertOutcome(out, base);
            return true;
        } catch (bytes memory err) {
            bytes4 selector = bytes4(err);
            assertTrue(
                err.length == 36
                    && (selector == StateWitness.WitnessMalformed.selector
                        || selector == StateWitness.WitnessIncomplete.selector),
                "only the two errors"
            );
            return false;
        }
    }

    function _assertOutcome(Outcome memory out, Case memory c) internal pure {
        assertEq(out.pre, c.root, _at(c.name, "preRoot"));
        assertEq(out.reads.length, c.readValues.length, _at(c.name, "read count"));
        for (uint256 j; j < c.readValues.length; j++) {
            assertEq(out.reads[j], c.readValues[j], _at(c.name, "read"));
        }
        for (uint256 j; j < c.keys.length; j++) {
            assertEq(out.readBack[j], c.readBack[j], _at(c.name, "read back"));
        }
        assertEq(out.post, c.post, _at(c.name, "postRoot"));
    }

    // =========================================================================================
    // Witness surgery: records in pre-order, subtree hashes (as given), hiding a subtree.

    function _recordLength(bytes memory w, uint256 at) internal pure returns (uint256) {
        uint8 tag = uint8(w[at]);
        return tag == 1 ? 65 : tag == 2 ? 33 : 1;
    }

    function _recordCount(bytes memory w) internal pure returns (uint256 n) {
        for (uint256 at; at < w.length; at += _recordLength(w, at)) {
            n++;
        }
    }

    /// @dev Start of record `i` of a valid witness, and the end of its subtree.
    function _record(bytes memory w, uint256 i) internal pure returns (uint256 start, uint256 end) {
        for (; i > 0; i--) {
            start += _recordLength(w, start);
        }
        (, end) = _hashAt(w, start);
    }

    function _hashAt(bytes memory w, uint256 at) internal pure returns (bytes32 hash, uint256 end) {
        uint8 tag = uint8(w[at]);
        if (tag == 0) return (0, at + 1);
        if (tag == 1) return (SparseMerkle.leafHash(_wordAt(w, at + 1), _wordAt(w, at + 33)), at + 65);
        if (tag == 2) return (_wordAt(w, at + 1), at + 33);
        (bytes32 left, uint256 mid) = _hashAt(w, at + 1);
        (bytes32 right, uint256 stop) = _hashAt(w, mid);
        return (SparseMerkle.nodeHash(left, right), stop);
    }

    function _collapse(bytes memory w, uint256 start, uint256 end) internal pure returns (bytes memory) {
        (bytes32 hash,) = _hashAt(w, start);
        return bytes.concat(_slice(w, 0, start), bytes1(uint8(2)), hash, _slice(w, end, w.length));
    }

    function _wordAt(bytes memory w, uint256 at) internal pure returns (bytes32 x) {
        assembly ("memory-safe") {
            x := mload(add(add(w, 0x20), at))
        }
    }

    function _slice(bytes memory w, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i; i < out.length; i++) {
            out[i] = w[from + i];
        }
    }

    /// @dev A random key; for some `r` its top bits are zero, so that keys share long prefixes.
    function _randomKey(uint256 seed, uint256 i) internal pure returns (bytes32) {
        uint256 r = uint256(keccak256(abi.encode(seed, "key", i)));
        return bytes32(r >> ((seed >> 128) % 2 == 0 ? 0 : (r % 40)));
    }

    /// @dev `n` distinct random leaves, ascending by key, values non-zero.
    function _randomLeaves(uint256 seed, uint256 n)
        internal
        pure
        returns (bytes32[] memory keys, bytes32[] memory values)
    {
        keys = new bytes32[](n);
        values = new bytes32[](n);
        uint256 len;
        for (uint256 i; i < n; i++) {
            len = SortedModel.set(keys, values, len, _randomKey(seed, i), keccak256(abi.encode(seed, "value", i)));
        }
        assembly ("memory-safe") {
            mstore(keys, len)
            mstore(values, len)
        }
    }

    // =========================================================================================
    // Vector parsing.

    function _case(string memory json, uint256 i) internal pure returns (Case memory c) {
        string memory p = _valid(i);
        c.name = vm.parseJsonString(json, string.concat(p, ".name"));
        c.witness = vm.parseJsonBytes(json, string.concat(p, ".witness"));
        c.root = vm.parseJsonBytes32(json, string.concat(p, ".root"));
        (c.reads, c.readValues) = _entries(json, p, "reads", "readCount");
        (c.keys, c.values) = _entries(json, p, "updates", "updateCount");
        c.post = vm.parseJsonBytes32(json, string.concat(p, ".postRoot"));
        // After the updates, each key reads as its last value.
        c.readBack = new uint256[](c.keys.length);
        for (uint256 j; j < c.keys.length; j++) {
            for (uint256 l = c.keys.length; l > 0; l--) {
                if (c.keys[l - 1] == c.keys[j]) {
                    c.readBack[j] = c.values[l - 1];
                    break;
                }
            }
        }
    }

    /// @dev The array of `{key, value}` objects at `<c>.<field>`, of length `<c>.<countField>`.
    function _entries(string memory json, string memory c, string memory field, string memory countField)
        internal
        pure
        returns (bytes32[] memory keys, uint256[] memory values)
    {
        uint256 count = vm.parseJsonUint(json, string.concat(c, ".", countField));
        if (count == 0) return (new bytes32[](0), new uint256[](0));
        keys = new bytes32[](count);
        values = new uint256[](count);
        for (uint256 j; j < count; j++) {
            string memory e = string.concat(c, ".", field, "[", vm.toString(j), "]");
            keys[j] = vm.parseJsonBytes32(json, string.concat(e, ".key"));
            values[j] = uint256(vm.parseJsonBytes32(json, string.concat(e, ".value")));
        }
    }

    function _phase(string memory phase) internal pure returns (uint256) {
        if (_is(phase, "decode")) return 1;
        if (_is(phase, "get")) return 2;
        if (_is(phase, "set")) return 3;
        if (_is(phase, "postRoot")) return 4;
        revert(string.concat("unknown phase ", phase));
    }

    function _valid(uint256 i) internal pure returns (string memory) {
        return string.concat(".valid[", vm.toString(i), "]");
    }

    function _is(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function _at(string memory path, string memory what) internal pure returns (string memory) {
        return string.concat(path, ": ", what);
    }
}
