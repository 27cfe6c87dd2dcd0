// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title StateWitness
/// @notice A state witness: a partial sparse Merkle tree revealing the keys one chunk of L2
///         transactions reads or writes (docs/state-commitment.md §8). Decode it, compare its
///         `preRoot` with the agreed root, `get` and `set` keys, and take the `postRoot`, which
///         is the root the full tree would have after the same updates. Mirrored by
///         `rollup_types::witness` and checked against testdata/smt-witness-vectors.json.
/// @dev Soundness: for a witness whose `preRoot` is an honestly built root, `get` and
///      `postRoot` either return what the full tree gives or revert with `WitnessIncomplete`.
///      Callers MUST compare `preRoot` with the root they trust before using anything else.
///
///      Representation. The tree is a graph of 128-bit references in memory:
///        bits 0-1  kind: 0 EMPTY, 1 LEAF, 2 OPAQUE, 3 BRANCH;
///        bit 2     DECODED_EMPTY: the position was EMPTY in the witness as decoded;
///        bits 8-   a memory pointer: for a LEAF to its key and value (64 bytes), for an OPAQUE
///                  to its hash, for a BRANCH to a one-word record holding the left child's
///                  reference in its high 128 bits and the right child's in its low 128 bits.
///      LEAF and OPAQUE references of the decoded witness point into the witness bytes, which
///      the caller must therefore leave unchanged; `set` never writes to them (it allocates).
///      `get` and `set` walk iteratively; `decode` and `postRoot` use an explicit stack of
///      two-word frames (at most 256, one per branch level), so nothing recurses.
///
///      Hashes are computed inline with the byte layouts of `SparseMerkle.leafHash` and
///      `SparseMerkle.nodeHash` (docs/state-commitment.md §2.2): the hot loops are assembly,
///      which cannot call them, and the tests check the results against `SparseMerkle`.
library StateWitness {
    /// @notice A decoded witness. Pass it around by memory reference; `set` changes it in place.
    ///         The fields are internal to this library.
    struct Tree {
        /// Reference to the root subtree (in the low 128 bits).
        uint256 root;
        /// Hash of the witness as given (§8.2).
        bytes32 preRoot;
        /// Scratch stack of 256 two-word frames for `postRoot`, allocated by `decode`.
        uint256 frames;
    }

    /// @notice The bytes are not a witness; `offset` is where the first offending record starts
    ///         (or the first byte missing or left over).
    error WitnessMalformed(uint256 offset);
    /// @notice The witness does not reveal what the operation needs: `key` is the key read or
    ///         written, or zero in `postRoot`.
    error WitnessIncomplete(bytes32 key);

    /// @dev Keys have 256 bits: a BRANCH sits at depth 255 at most.
    uint256 private constant MAX_DEPTH = 256;

    /// @notice Decodes a witness (§8.1) and computes its root as given (§8.2). Reverts with
    ///         `WitnessMalformed` at the first malformed record in reading order.
    function decode(bytes memory witness) internal pure returns (Tree memory t) {
        if (witness.length == 0) revert WitnessMalformed(0);
        // A frame per branch level: at most 256.
        t.frames = _alloc(MAX_DEPTH << 6);
        uint256 bad = type(uint256).max; // offset of the first malformed record, if any
        uint256 ref;
        bytes32 h;
        assembly ("memory-safe") {
            let len := mload(witness)
            let start := add(witness, 0x20)
            let frames := mload(add(t, 0x40))
            let free := mload(0x40)
            let pos := 0
            let depth := 0
            // Frame of the branch at depth - 1 (the parent of the current position) is at
            // fp - 64: it keeps that branch's left child (reference and hash) while the right
            // one is read.
            let fp := frames
            // Key bits of the current position: bit d (from the top) is the side taken at
            // depth d; bits from `depth` on are zero, and bit depth-1 tells a left child (0)
            // from a right one (1).
            let path := 0
            for {} 1 {} {
                if iszero(lt(pos, len)) {
                    bad := pos
                    break
                }
                let p := add(start, pos)
                let tag := byte(0, mload(p))
                if eq(tag, 3) {
                    // BRANCH: its children follow.
                    if eq(depth, 256) {
                        bad := pos
                        break
                    }
                    depth := add(depth, 1)
                    fp := add(fp, 0x40)
                    pos := add(pos, 1)
                    continue
                }
                switch tag
                case 0 {
                    ref := 4 // EMPTY | DECODED_EMPTY
                    h := 0
                    pos := add(pos, 1)
                }
                case 1 {
                    if gt(add(pos, 65), len) {
                        bad := pos
                        break
                    }
                    let key := mload(add(p, 1))
                    let value := mload(add(p, 33))
                    // A zero value, or a key whose first `depth` bits are not the path's (a shift
                    // by 256 gives zero).
                    if or(iszero(value), shr(sub(256, depth), xor(key, path))) {
                        bad := pos
                        break
                    }
                    // SparseMerkle.leafHash(key, value), in the scratch space above `free`.
                    mstore8(free, 0)
                    mstore(add(free, 1), key)
                    mstore(add(free, 33), value)
                    h := keccak256(free, 65)
                    ref := or(1, shl(8, add(p, 1)))
                    pos := add(pos, 65)
                }
                case 2 {
                    if gt(add(pos, 33), len) {
                        bad := pos
                        break
                    }
                    h := mload(add(p, 1))
                    if iszero(h) {
                        bad := pos
                        break
                    }
                    ref := or(2, shl(8, add(p, 1)))
                    pos := add(pos, 33)
                }
                default {
                    bad := pos
                    break
                }
                // Go up while the subtree just finished is a right child.
                for {} depth {} {
                    let frame := sub(fp, 0x40)
                    let bit := shl(sub(256, depth), 1)
                    if iszero(and(path, bit)) {
                        // A left child: keep it, and read the right one next.
                        mstore(frame, ref)
                        mstore(add(frame, 0x20), h)
                        path := or(path, bit)
                        break
                    }
                    path := xor(path, bit)
                    // SparseMerkle.nodeHash(left, right).
                    mstore(0x00, mload(add(frame, 0x20)))
                    mstore(0x20, h)
                    h := keccak256(0x00, 0x40)
                    mstore(free, or(shl(128, mload(frame)), ref))
                    ref := or(3, shl(8, free))
                    free := add(free, 0x20)
                    fp := frame
                    depth := sub(depth, 1)
                }
                if iszero(depth) { break }
            }
            if and(eq(bad, not(0)), iszero(eq(pos, len))) { bad := pos }
            mstore(0x40, free)
        }
        if (bad != type(uint256).max) revert WitnessMalformed(bad);
        t.root = ref;
        t.preRoot = h;
    }

    /// @notice The witness's root as given: the pre-state root it claims. Unchanged by `set`.
    function preRoot(Tree memory t) internal pure returns (bytes32) {
        return t.preRoot;
    }

    /// @notice The value of `key` in the current state (the pre-state with every `set` so far
    ///         applied), zero when absent. Reverts with `WitnessIncomplete(key)` when the key's
    ///         path ends at an OPAQUE subtree.
    function get(Tree memory t, bytes32 key) internal pure returns (uint256 value) {
        bool incomplete;
        assembly ("memory-safe") {
            let ref := mload(t)
            for { let depth := 0 } eq(and(ref, 3), 3) { depth := add(depth, 1) } {
                let children := mload(shr(8, ref))
                switch and(shr(sub(255, depth), key), 1)
                case 0 { ref := shr(128, children) }
                default { ref := and(children, shr(128, not(0))) }
            }
            switch and(ref, 3)
            case 1 {
                let p := shr(8, ref)
                if eq(mload(p), key) { value := mload(add(p, 0x20)) }
            }
            case 2 { incomplete := 1 }
        }
        if (incomplete) revert WitnessIncomplete(key);
    }

    /// @notice Sets `key` to `value`; zero deletes it (§8.3). Reverts with
    ///         `WitnessIncomplete(key)`, changing nothing, when the key's path ends at an OPAQUE
    ///         subtree.
    function set(Tree memory t, bytes32 key, uint256 value) internal pure {
        bool incomplete;
        assembly ("memory-safe") {
            function allocLeaf(k, v) -> p {
                p := mload(0x40)
                mstore(p, k)
                mstore(add(p, 0x20), v)
                mstore(0x40, add(p, 0x40))
            }
            // Index of the most significant set bit of x (non-zero).
            function msb(x) -> r {
                if gt(x, 0xffffffffffffffffffffffffffffffff) {
                    x := shr(128, x)
                    r := 128
                }
                if gt(x, 0xffffffffffffffff) {
                    x := shr(64, x)
                    r := add(r, 64)
                }
                if gt(x, 0xffffffff) {
                    x := shr(32, x)
                    r := add(r, 32)
                }
                if gt(x, 0xffff) {
                    x := shr(16, x)
                    r := add(r, 16)
                }
                if gt(x, 0xff) {
                    x := shr(8, x)
                    r := add(r, 8)
                }
                if gt(x, 0xf) {
                    x := shr(4, x)
                    r := add(r, 4)
                }
                if gt(x, 0x3) {
                    x := shr(2, x)
                    r := add(r, 2)
                }
                if gt(x, 0x1) { r := add(r, 1) }
            }
            // The subtree replacing the leaf `oldRef` when the leaf `newRef` of key `k` is
            // inserted at `depth`: branches from `depth` down to `fork`, the first bit in which
            // the keys differ, the two leaves as the children there, EMPTY on the other sides.
            // Returns its reference.
            function split(oldRef, newRef, k, fork, depth) -> child {
                let count := add(sub(fork, depth), 1)
                let record := mload(0x40)
                mstore(0x40, add(record, shl(5, count)))
                record := add(record, shl(5, sub(count, 1)))
                switch and(shr(sub(255, fork), k), 1)
                case 0 { mstore(record, or(shl(128, newRef), oldRef)) }
                default { mstore(record, or(shl(128, oldRef), newRef)) }
                child := or(3, shl(8, record))
                for { let d := fork } gt(d, depth) {} {
                    d := sub(d, 1)
                    record := sub(record, 0x20)
                    switch and(shr(sub(255, d), k), 1)
                    case 0 { mstore(record, shl(128, child)) }
                    default { mstore(record, child) }
                    child := or(3, shl(8, record))
                }
            }
            // The new reference for the position of the leaf `ref`, at `depth` on `k`'s path,
            // when `k` is set to `v`.
            function atLeaf(ref, k, v, depth) -> next {
                next := ref
                let flag := and(ref, 4) // DECODED_EMPTY stays with the position
                let old := mload(shr(8, ref))
                switch eq(old, k)
                case 1 {
                    next := flag
                    if v { next := or(or(1, flag), shl(8, allocLeaf(k, v))) }
                }
                default {
                    if v {
                        // Both keys follow the path so far and differ: depth <= fork <= 255.
                        let fork := sub(255, msb(xor(old, k)))
                        let newRef := or(1, shl(8, allocLeaf(k, v)))
                        next := or(split(and(ref, not(4)), newRef, k, fork, depth), flag)
                    }
                }
            }
            // The word holding the current reference and where in it (0: the low half, 128: the
            // high half). The root's is the struct's first field.
            let slot := t
            let shift := 0
            let ref := mload(t)
            let depth := 0
            for {} eq(and(ref, 3), 3) { depth := add(depth, 1) } {
                slot := shr(8, ref)
                let children := mload(slot)
                switch and(shr(sub(255, depth), key), 1)
                case 0 {
                    ref := shr(128, children)
                    shift := 128
                }
                default {
                    ref := and(children, shr(128, not(0)))
                    shift := 0
                }
            }
            let next := ref
            switch and(ref, 3)
            case 0 {
                if value { next := or(or(1, and(ref, 4)), shl(8, allocLeaf(key, value))) }
            }
            case 1 { next := atLeaf(ref, key, value, depth) }
            default { incomplete := 1 }
            if iszero(eq(next, ref)) {
                let word := mload(slot)
                mstore(slot, or(and(word, not(shl(shift, shr(128, not(0))))), shl(shift, next)))
            }
        }
        if (incomplete) revert WitnessIncomplete(key);
    }

    /// @notice The root of the current state (§8.4), as the full tree would compute it.
    ///         Reverts with `WitnessIncomplete(0)` when a branch with no leaves left on one side
    ///         (which was not EMPTY in the witness) has an OPAQUE subtree on the other: it could
    ///         be a single leaf to lift.
    function postRoot(Tree memory t) internal pure returns (bytes32 h) {
        // A tree not made by `decode` has no frames yet.
        if (t.frames == 0) t.frames = _alloc(MAX_DEPTH << 6);
        bool incomplete;
        assembly ("memory-safe") {
            let low := shr(128, not(0))
            // The frames of the branches above the current subtree: frames..fp, two words
            // each, the branch's record (plus its left child's class + 1 once summarised) and
            // its left child's hash. At most 256: a branch sits at depth 255 at most.
            let frames := mload(add(t, 0x40))
            let fp := frames
            let ref := mload(t)
            // Class of the subtree just summarised (§8.4): 0 empty, 1 one leaf, 2 two or more,
            // 3 OPAQUE (unknown but not empty). `h` is its hash.
            let class := 0
            for {} 1 {} {
                // Down the left children to a terminal; a frame per branch on the way.
                for {} eq(and(ref, 3), 3) {} {
                    let record := shr(8, ref)
                    mstore(fp, record)
                    fp := add(fp, 0x40)
                    ref := shr(128, mload(record))
                }
                switch and(ref, 3)
                case 0 {
                    class := 0
                    h := 0
                }
                case 1 {
                    // SparseMerkle.leafHash(key, value), in the scratch space above the free
                    // memory pointer.
                    let p := shr(8, ref)
                    let f := mload(0x40)
                    mstore8(f, 0)
                    mstore(add(f, 1), mload(p))
                    mstore(add(f, 33), mload(add(p, 0x20)))
                    h := keccak256(f, 65)
                    class := 1
                }
                default {
                    h := mload(shr(8, ref))
                    class := 3
                }
                // Up while the subtree just summarised is a right child.
                for {} gt(fp, frames) {} {
                    let frame := sub(fp, 0x40)
                    let head := mload(frame)
                    let record := and(head, low)
                    if iszero(shr(128, head)) {
                        // A left child: keep its summary (class + 1, never zero), go right.
                        mstore(frame, or(record, shl(128, add(class, 1))))
                        mstore(add(frame, 0x20), h)
                        ref := and(mload(record), low)
                        break
                    }
                    let lc := sub(shr(128, head), 1)
                    let lh := mload(add(frame, 0x20))
                    fp := frame
                    switch or(iszero(lc), iszero(class))
                    case 0 {
                        // Leaves on both sides: a node.
                        mstore(0x00, lh)
                        mstore(0x20, h)
                        h := keccak256(0x00, 0x40)
                        class := 2
                    }
                    default {
                        // One side (or both) holds no leaves; its hash is zero.
                        let other := class
                        let otherHash := h
                        let emptyRef := shr(128, mload(record))
                        if lc {
                            other := lc
                            otherHash := lh
                            emptyRef := and(mload(record), low)
                        }
                        switch other
                        case 0 { h := 0 }
                        case 1 { h := otherHash }
                        default {
                            // Two or more leaves on the other side; or, for an OPAQUE side, an
                            // unchanged decoded branch (the empty side was EMPTY in the
                            // witness), which for an honest root holds two or more leaves.
                            if and(eq(other, 3), iszero(and(emptyRef, 4))) {
                                incomplete := 1
                                fp := frames
                                break
                            }
                            mstore(0x00, lh)
                            mstore(0x20, h)
                            h := keccak256(0x00, 0x40)
                            other := 2
                        }
                        class := other
                    }
                }
                if eq(fp, frames) { break }
            }
        }
        if (incomplete) revert WitnessIncomplete(0);
    }

    function _alloc(uint256 size) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, size))
        }
    }
}
