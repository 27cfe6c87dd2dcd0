// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {BlobVerifier} from "../src/l1/BlobVerifier.sol";

/// @notice The blob verifier against the shared vectors of testdata/blob-cells.json (blobs,
///         commitments, cells and cell proofs made by c-kzg): its setup points, versioned hashes,
///         the payload it reads from honest cells, and every way a wrong opening is refused.
contract BlobVerifierTest is Test {
    event log_named_uint(string key, uint256 val);

    string constant FILE = "../testdata/blob-cells.json";
    uint256 constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @dev Gas for the calls expected to fail: a refused precompile input burns what it is given.
    uint256 constant GAS = 5_000_000;

    BlobVerifier verifier;
    string json;

    function setUp() public override {
        verifier = new BlobVerifier();
        json = vm.readFile(FILE);
    }

    function _case(uint256 c) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(c), "]");
    }

    function _cellAt(string memory c, uint256 i) internal view returns (BlobVerifier.Cell memory cell) {
        string memory p = string.concat(c, ".cells[", vm.toString(i), "]");
        cell.index = vm.parseJsonUint(json, string.concat(p, ".index"));
        cell.values = vm.parseJsonBytes(json, string.concat(p, ".values"));
        cell.proof = vm.parseJsonBytes(json, string.concat(p, ".proof"));
    }

    /// @dev Cells `first … last` of case `c`, and whether the file has them all.
    function _cells(string memory c, uint256 first, uint256 last)
        internal
        view
        returns (BlobVerifier.Cell[] memory cells, bool all)
    {
        uint256[] memory indices = new uint256[](64);
        uint256 count;
        while (vm.keyExistsJson(json, string.concat(c, ".cells[", vm.toString(count), "]"))) {
            indices[count] = vm.parseJsonUint(json, string.concat(c, ".cells[", vm.toString(count), "].index"));
            count++;
        }
        cells = new BlobVerifier.Cell[](last - first + 1);
        for (uint256 k = first; k <= last; k++) {
            bool found;
            for (uint256 i; i < count; i++) {
                if (indices[i] != k) continue;
                cells[k - first] = _cellAt(c, i);
                found = true;
            }
            if (!found) return (cells, false);
        }
        return (cells, true);
    }

    /// @dev The vectors' data rule: payload byte `i` is `(i * 131 + 7) mod 256`.
    function _data(uint256 from, uint256 to) internal pure returns (bytes memory d) {
        d = new bytes(to - from);
        for (uint256 i = from; i < to; i++) {
            d[i - from] = bytes1(uint8((i * 131 + 7) % 256));
        }
    }

    function _commitment(string memory c) internal view returns (bytes memory) {
        return vm.parseJsonBytes(json, string.concat(c, ".commitment"));
    }

    function _versioned(string memory c) internal view returns (bytes32) {
        return vm.parseJsonBytes32(json, string.concat(c, ".versionedHash"));
    }

    /// @dev Reads `from … to − 1` of case `c` with the cells the file has (they must cover it).
    function _read(string memory c, uint256 from, uint256 to) internal view returns (bytes32) {
        (BlobVerifier.Cell[] memory cells, bool all) = _cells(c, from / 1984, (to - 1) / 1984);
        assertTrue(all, "the file has the cells");
        return verifier.payloadHash(_versioned(c), _commitment(c), from, to, cells);
    }

    /// @dev Payload bytes `from … to − 1` of case `c`, with the cells the file has.
    function _payload(string memory c, uint256 from, uint256 to) internal view returns (bytes memory) {
        (BlobVerifier.Cell[] memory cells, bool all) = _cells(c, from / 1984, (to - 1) / 1984);
        assertTrue(all, "the file has the cells");
        return verifier.payload(_versioned(c), _commitment(c), from, to, cells);
    }

    /// @dev The case named `name`.
    function _caseNamed(string memory name) internal view returns (string memory) {
        for (uint256 c; vm.keyExistsJson(json, _case(c)); c++) {
            if (keccak256(bytes(vm.parseJsonString(json, string.concat(_case(c), ".name")))) == keccak256(bytes(name)))
            {
                return _case(c);
            }
        }
        fail(string.concat("no case ", name));
    }

    /// @dev The chunk roots of case `c`, checked against the vectors' rule: root `i` is the
    ///      keccak256 of `i` as a word.
    function _roots(string memory c, uint256 n) internal view returns (bytes32[] memory roots) {
        roots = vm.parseJsonBytes32Array(json, string.concat(c, ".roots"));
        assertEq(roots.length, n, string.concat(c, ": roots"));
        for (uint256 i; i < n; i++) {
            assertEq(roots[i], keccak256(abi.encode(i)), "root i");
        }
    }

    function _caseCount() internal view returns (uint256) {
        uint256 n;
        while (vm.keyExistsJson(json, string.concat(".cases[", vm.toString(n), "]"))) {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------
    // The precompiles and the constants
    // ---------------------------------------------------------------------------------------

    /// The EIP-2537 precompiles answer in this EVM (evm_version osaka): an MSM of the
    /// generator by 1 is the generator, and a pairing with the point at infinity is the identity.
    function test_precompilesAnswer() public view {
        (bytes memory g1, bytes memory g2,) = verifier.setup();
        bytes memory generator = new bytes(128);
        for (uint256 i; i < 128; i++) {
            generator[i] = g1[i];
        }
        (bool ok, bytes memory out) = address(0x0c).staticcall(bytes.concat(generator, bytes32(uint256(1))));
        assertTrue(ok, "G1MSM answers");
        assertEq(keccak256(out), keccak256(generator), "1 * G = G");
        (ok, out) = address(0x0f).staticcall(bytes.concat(new bytes(128), g2));
        assertTrue(ok, "PAIRING_CHECK answers");
        assertEq(abi.decode(out, (uint256)), 1, "e(O, G2) = 1");
    }

    function test_setupIsTheVectors() public view {
        (bytes memory g1, bytes memory g2, bytes memory tau64Neg) = verifier.setup();
        assertEq(g1.length, 8192, "64 G1 points");
        assertEq(keccak256(g1), keccak256(vm.parseJsonBytes(json, ".setup.g1Monomial")), "g1Monomial");
        assertEq(keccak256(g2), keccak256(vm.parseJsonBytes(json, ".setup.g2Generator")), "g2Generator");
        assertEq(keccak256(tau64Neg), keccak256(vm.parseJsonBytes(json, ".setup.g2Tau64Neg")), "g2Tau64Neg");
        assertEq(verifier.PAYLOAD_BYTES(), 4096 * 31, "PAYLOAD_BYTES");
        assertEq(verifier.CELL_PAYLOAD_BYTES(), 64 * 31, "CELL_PAYLOAD_BYTES");
    }

    function test_versionedHashOfEveryCase() public view {
        uint256 n = _caseCount();
        assertEq(n, 6, "six cases");
        for (uint256 c; c < n; c++) {
            assertEq(verifier.versionedHash(_commitment(_case(c))), _versioned(_case(c)), _case(c));
        }
        // The point at infinity (the commitment of the zero blob).
        assertEq(
            verifier.versionedHash(new bytes(128)),
            bytes32(uint256(0x01) << 248 | uint256(sha256(bytes.concat(bytes1(0xc0), new bytes(47)))) << 8 >> 8),
            "infinity"
        );
    }

    // ---------------------------------------------------------------------------------------
    // Reading the payload
    // ---------------------------------------------------------------------------------------

    /// Every 1,024-byte segment of every case whose cells are in the file reads as the data rule
    /// says, unless one of the case's flipped bytes lies in it.
    function test_payloadHashOfEverySegment() public view {
        uint256 n = _caseCount();
        uint256 checked;
        for (uint256 c; c < n; c++) {
            string memory cs = _case(c);
            uint256 length = vm.parseJsonUint(json, string.concat(cs, ".length"));
            uint256[] memory flips = vm.parseJsonUintArray(json, string.concat(cs, ".flips"));
            for (uint256 from; from < length; from += 1024) {
                uint256 to = from + 1024 < length ? from + 1024 : length;
                (BlobVerifier.Cell[] memory cells, bool all) = _cells(cs, from / 1984, (to - 1) / 1984);
                if (!all) continue;
                bool flipped;
                for (uint256 f; f < flips.length; f++) {
                    if (flips[f] >= from && flips[f] < to) flipped = true;
                }
                bytes32 got = verifier.payloadHash(_versioned(cs), _commitment(cs), from, to, cells);
                bytes32 rule = keccak256(_data(from, to));
                if (flipped) assertTrue(got != rule, string.concat(cs, ": a flipped segment reads otherwise"));
                else assertEq(got, rule, string.concat(cs, ": segment at ", vm.toString(from)));
                checked++;
            }
        }
        // short 1, small 5, full 3 + 4 + 1 (cells 0-1, 30-32, 60), flipped 5, roots 5,
        // full-roots 1 (cell 60).
        assertEq(checked, 25, "segments checked");
    }

    /// Ranges other than segments: one byte, an element's edges, bytes past the data (zero) and
    /// the last cell of the blob, the flipped bytes themselves.
    function test_payloadHashOfOtherRanges() public view {
        string memory small = _case(1);
        assertEq(_read(small, 0, 1), keccak256(_data(0, 1)), "the first byte");
        assertEq(_read(small, 30, 32), keccak256(_data(30, 32)), "across two elements");
        assertEq(_read(small, 1983, 1985), keccak256(_data(1983, 1985)), "across two cells");
        assertEq(_read(small, 0, 5000), keccak256(_data(0, 5000)), "the whole data, three cells");
        assertEq(
            _read(small, 4990, 5010), keccak256(bytes.concat(_data(4990, 5000), new bytes(10))), "zeros past the data"
        );
        string memory full = _case(2);
        assertEq(_read(full, 63 * 1984, 4096 * 31), keccak256(new bytes(1984)), "the last cell is empty");
        string memory flipped = _case(3);
        bytes memory data = _data(1500, 1501);
        data[0] ^= 0xff;
        assertEq(_read(flipped, 1500, 1501), keccak256(data), "the flipped byte");
        assertEq(_read(flipped, 1501, 2100), keccak256(_data(1501, 2100)), "between the flips");
    }

    /// `payload` returns the bytes whose keccak256 `payloadHash` returns, whatever the range;
    /// the "roots" case's payload is the rule's 5,000 bytes, zeros, and its 3 roots as the last
    /// 96 bytes; the "full-roots" case's, 120,000 bytes and then its 218 roots.
    function test_payloadIsWhatPayloadHashHashes() public view {
        string memory small = _case(1);
        _samePayload(small, 0, 1);
        _samePayload(small, 30, 32);
        _samePayload(small, 1983, 1985);
        _samePayload(small, 4990, 5010);
        assertEq(_payload(small, 0, 5000), _data(0, 5000), "the whole data, three cells");
        assertEq(_payload(small, 4990, 5010), bytes.concat(_data(4990, 5000), new bytes(10)), "zeros past the data");
        string memory full = _case(2);
        _samePayload(full, 30 * 1984 + 5, 33 * 1984);
        _samePayload(full, 63 * 1984, 4096 * 31);

        string memory rc = _caseNamed("roots");
        bytes32[] memory roots = _roots(rc, 3);
        assertEq(_payload(rc, 4096 * 31 - 96, 4096 * 31), abi.encodePacked(roots), "the last 96 bytes: the 3 roots");
        _samePayload(rc, 4096 * 31 - 96, 4096 * 31);
        assertEq(_payload(rc, 4096 * 31 - 32, 4096 * 31), abi.encodePacked(roots[2]), "the last root");
        assertEq(_payload(rc, 63 * 1984, 4096 * 31 - 96), new bytes(1984 - 96), "zeros before the roots");
        assertEq(_payload(rc, 0, 5000), _data(0, 5000), "the data");
        _samePayload(rc, 0, 5000);

        string memory fr = _caseNamed("full-roots");
        roots = _roots(fr, 218);
        assertEq(_payload(fr, 120_000, 4096 * 31), abi.encodePacked(roots), "218 roots right after the data");
        _samePayload(fr, 120_000, 4096 * 31);
        assertEq(_payload(fr, 60 * 1984, 120_000), _data(60 * 1984, 120_000), "the data in cell 60");
        _samePayload(fr, 60 * 1984, 4096 * 31);
    }

    function _samePayload(string memory c, uint256 from, uint256 to) internal view {
        bytes memory got = _payload(c, from, to);
        assertEq(got.length, to - from, "as many bytes as the range");
        assertEq(keccak256(got), _read(c, from, to), string.concat(c, ": payload at ", vm.toString(from)));
    }

    /// `payload` refuses what `payloadHash` refuses, with the same errors.
    function test_payloadRefusesAsPayloadHashDoes() public {
        string memory cs = _case(1);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        (BlobVerifier.Cell[] memory two,) = _cells(cs, 0, 1);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadRange.selector, 0, 4096 * 31 + 1));
        verifier.payload(vh, commitment, 0, 4096 * 31 + 1, two);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 0));
        verifier.payload(vh, commitment, 0, 1024, two);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadCommitmentLength.selector, 96));
        verifier.payload(vh, new bytes(96), 1024, 2048, two);
        string memory other = _case(3);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, vh, _versioned(other)));
        verifier.payload(vh, _commitment(other), 1024, 2048, two);
        two[1].values[100] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 1));
        verifier.payload{gas: GAS}(vh, commitment, 1024, 2048, two);
        two[1].values[100] ^= 0x01;
        two[0].values[0] = 0xff;
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.NotCanonical.selector, 0, 0));
        verifier.payload(vh, commitment, 1024, 2048, two);
    }

    /// The gas of reading chunk roots: 3 from the last cell, 218 from the last four.
    function test_gasOfRoots() public {
        string memory rc = _caseNamed("roots");
        (BlobVerifier.Cell[] memory last,) = _cells(rc, 63, 63);
        uint256 g = _gas(
            abi.encodeCall(BlobVerifier.payload, (_versioned(rc), _commitment(rc), 4096 * 31 - 96, 4096 * 31, last))
        );
        emit log_named_uint("payload gas, 3 roots (1 cell)", g);
        assertLe(g, 650_000, "one cell");
        string memory fr = _caseNamed("full-roots");
        (BlobVerifier.Cell[] memory four,) = _cells(fr, 60, 63);
        g = _gas(abi.encodeCall(BlobVerifier.payload, (_versioned(fr), _commitment(fr), 120_000, 4096 * 31, four)));
        emit log_named_uint("payload gas, 218 roots (4 cells)", g);
        assertLe(g, 1_500_000, "four cells");
        uint256 h =
            _gas(abi.encodeCall(BlobVerifier.payloadHash, (_versioned(fr), _commitment(fr), 120_000, 4096 * 31, four)));
        emit log_named_uint("payloadHash gas, the same 218 roots", h);
    }

    /// The gas of reading one segment from one cell and from two (the call alone: its calldata
    /// is encoded before it is measured), and of three cells.
    function test_gasOfOneAndTwoCells() public {
        string memory cs = _case(1);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        (BlobVerifier.Cell[] memory one,) = _cells(cs, 0, 0);
        (BlobVerifier.Cell[] memory two,) = _cells(cs, 0, 1);
        (BlobVerifier.Cell[] memory three,) = _cells(cs, 0, 2);
        uint256 g = _gas(abi.encodeCall(BlobVerifier.payloadHash, (vh, commitment, 0, 1024, one)));
        emit log_named_uint("payloadHash gas, 1 cell (segment 0)", g);
        assertLe(g, 650_000, "one cell");
        g = _gas(abi.encodeCall(BlobVerifier.payloadHash, (vh, commitment, 1024, 2048, two)));
        emit log_named_uint("payloadHash gas, 2 cells (segment 1)", g);
        assertLe(g, 750_000, "two cells");
        g = _gas(abi.encodeCall(BlobVerifier.payloadHash, (vh, commitment, 0, 5000, three)));
        emit log_named_uint("payloadHash gas, 3 cells (5,000 bytes)", g);
    }

    function _gas(bytes memory call) internal view returns (uint256 g) {
        g = gasleft();
        (bool ok,) = address(verifier).staticcall(call);
        g -= gasleft();
        assertTrue(ok, "the call succeeds");
    }

    // ---------------------------------------------------------------------------------------
    // Refusals
    // ---------------------------------------------------------------------------------------

    function test_refusesARangeOutsideTheBlob() public {
        string memory cs = _case(1);
        (BlobVerifier.Cell[] memory one,) = _cells(cs, 0, 0);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadRange.selector, 10, 10));
        verifier.payloadHash(vh, commitment, 10, 10, one);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadRange.selector, 11, 10));
        verifier.payloadHash(vh, commitment, 11, 10, one);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadRange.selector, 0, 4096 * 31 + 1));
        verifier.payloadHash(vh, commitment, 0, 4096 * 31 + 1, one);
    }

    function test_refusesCellsThatAreNotExactlyTheRangesCells() public {
        string memory cs = _case(1);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        (BlobVerifier.Cell[] memory three,) = _cells(cs, 0, 2);
        // Missing: segment 1 lies in cells 0 and 1.
        BlobVerifier.Cell[] memory cells = new BlobVerifier.Cell[](1);
        cells[0] = three[0];
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 1));
        verifier.payloadHash(vh, commitment, 1024, 2048, cells);
        cells[0] = three[1];
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 1));
        verifier.payloadHash(vh, commitment, 1024, 2048, cells);
        // Out of order.
        cells = new BlobVerifier.Cell[](2);
        (cells[0], cells[1]) = (three[1], three[0]);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 1));
        verifier.payloadHash(vh, commitment, 1024, 2048, cells);
        // Not contiguous.
        (cells[0], cells[1]) = (three[0], three[2]);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 1));
        verifier.payloadHash(vh, commitment, 1024, 2048, cells);
        // Extra: segment 0 lies in cell 0 alone.
        (cells[0], cells[1]) = (three[0], three[1]);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellsDoNotCover.selector, 0, 0));
        verifier.payloadHash(vh, commitment, 0, 1024, cells);
        // Another cell under the right index: its proof does not hold there.
        cells = new BlobVerifier.Cell[](1);
        cells[0] = BlobVerifier.Cell(0, three[1].values, three[1].proof);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 0));
        verifier.payloadHash{gas: GAS}(vh, commitment, 0, 1024, cells);
    }

    /// A value at or above R is refused even when it is the right value plus R (which the proof
    /// alone, working modulo R, would accept): otherwise a prover could show other bytes.
    function test_refusesAValueThatIsNotAFieldElement() public {
        string memory cs = _case(1);
        (BlobVerifier.Cell[] memory two,) = _cells(cs, 0, 1);
        bytes memory values = two[1].values;
        uint256 v;
        assembly {
            v := mload(add(values, add(32, mul(5, 32))))
        }
        uint256 lifted = v + R;
        assembly {
            mstore(add(values, add(32, mul(5, 32))), lifted)
        }
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.NotCanonical.selector, 1, 5));
        verifier.payloadHash(_versioned(cs), _commitment(cs), 1024, 2048, two);
    }

    function test_refusesAWrongProofOrValue() public {
        string memory cs = _case(1);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        (BlobVerifier.Cell[] memory two,) = _cells(cs, 0, 1);
        // The proofs swapped: both wrong, the first is named.
        (two[0].proof, two[1].proof) = (two[1].proof, two[0].proof);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 0));
        verifier.payloadHash{gas: GAS}(vh, commitment, 1024, 2048, two);
        (two[0].proof, two[1].proof) = (two[1].proof, two[0].proof);
        // The second cell's proof negated (a valid point, not the proof).
        bytes memory proof = two[1].proof;
        two[1].proof = _negate(proof);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 1));
        verifier.payloadHash{gas: GAS}(vh, commitment, 1024, 2048, two);
        two[1].proof = proof;
        // A value changed (still a field element): the proof no longer holds.
        two[1].values[100] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CellProofInvalid.selector, 1));
        verifier.payloadHash{gas: GAS}(vh, commitment, 1024, 2048, two);
        two[1].values[100] ^= 0x01;
        // A proof off the curve: the MSM refuses it.
        two[0].proof[127] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.PrecompileFailed.selector, address(0x0c)));
        verifier.payloadHash{gas: GAS}(vh, commitment, 1024, 2048, two);
        two[0].proof[127] ^= 0x01;
        // Malformed lengths.
        two[0].proof = new bytes(127);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadCellLength.selector, 0));
        verifier.payloadHash(vh, commitment, 1024, 2048, two);
        two[0].proof = proof;
        two[1].values = new bytes(2016);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadCellLength.selector, 1));
        verifier.payloadHash(vh, commitment, 1024, 2048, two);
    }

    function test_refusesAnotherCommitmentOrVersionedHash() public {
        string memory cs = _case(1);
        bytes32 vh = _versioned(cs);
        bytes memory commitment = _commitment(cs);
        (BlobVerifier.Cell[] memory one,) = _cells(cs, 0, 0);
        // Another blob's commitment.
        string memory other = _case(3);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, vh, _versioned(other)));
        verifier.payloadHash(vh, _commitment(other), 0, 1024, one);
        // The right commitment, another versioned hash.
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, _versioned(other), vh));
        verifier.payloadHash(_versioned(other), commitment, 0, 1024, one);
        // The commitment negated: another point, another versioned hash.
        bytes memory negated = _negate(commitment);
        bytes32 negatedHash = verifier.versionedHash(negated);
        assertTrue(negatedHash != vh, "-C has another versioned hash");
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.CommitmentMismatch.selector, vh, negatedHash));
        verifier.payloadHash(vh, negated, 0, 1024, one);
        // The commitment with its padding dirtied: the same compressed point, refused by the MSM.
        bytes memory dirty = bytes.concat(commitment);
        dirty[0] = 0x01;
        assertEq(verifier.versionedHash(dirty), vh, "compression ignores the padding");
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.PrecompileFailed.selector, address(0x0c)));
        verifier.payloadHash{gas: GAS}(vh, dirty, 0, 1024, one);
        // A commitment of another length.
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadCommitmentLength.selector, 96));
        verifier.payloadHash(vh, new bytes(96), 0, 1024, one);
        vm.expectRevert(abi.encodeWithSelector(BlobVerifier.BadCommitmentLength.selector, 48));
        verifier.versionedHash(new bytes(48));
    }

    /// @dev −(x, y) = (x, p − y) for an EIP-2537 G1 point (not the point at infinity).
    function _negate(bytes memory point) internal pure returns (bytes memory neg) {
        // p = 0x1a0111ea…aaab, as the two words of a 64-byte field element.
        uint256 pHi = 0x000000000000000000000000000000001a0111ea397fe69a4b1ba7b6434bacd7;
        uint256 pLo = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;
        uint256 yHi;
        uint256 yLo;
        assembly {
            yHi := mload(add(point, 96))
            yLo := mload(add(point, 128))
        }
        uint256 lo;
        uint256 hi;
        unchecked {
            lo = pLo - yLo;
            hi = pHi - yHi - (yLo > pLo ? 1 : 0);
        }
        neg = bytes.concat(point);
        assembly {
            mstore(add(neg, 96), hi)
            mstore(add(neg, 128), lo)
        }
    }
}
