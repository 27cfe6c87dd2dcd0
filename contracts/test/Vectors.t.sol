// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {vm} from "./utils/Vm.sol";
import {SortedModel} from "./utils/SortedModel.sol";
import {SparseMerkle} from "../src/lib/SparseMerkle.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";
import {BridgeQueue} from "../src/lib/BridgeQueue.sol";

/// @notice Checks the Solidity side of the state commitment against the vectors that the Rust
///         side generates and checks too (types/tests/vectors.rs): tree roots, proofs and
///         update sequences from ../testdata/smt-vectors.json, key derivations from
///         ../testdata/state-keys.json, the bridge queue's hashing from
///         ../testdata/queue-vectors.json. See docs/state-commitment.md and docs/bridge.md §2.
contract VectorsTest is Test {
    string constant SMT_FILE = "../testdata/smt-vectors.json";
    string constant KEYS_FILE = "../testdata/state-keys.json";
    string constant QUEUE_FILE = "../testdata/queue-vectors.json";

    /// @dev `SparseMerkle.computeRoot` recurses once per level, and the EVM stack (1024 slots)
    ///      runs out at about 110 levels: deeper trees (keys sharing a longer prefix) revert
    ///      with a stack overflow. Such cases are left to the proof checks.
    uint256 constant COMPUTE_ROOT_MAX_DEPTH = 100;

    /// @dev One proof of a vector file, as read from `.cases[i].proofs[j]`.
    struct ProofVector {
        bytes32 key;
        bytes32 value;
        bool inclusion;
        bytes32[] siblings;
        bool terminalIsLeaf;
        bytes32 terminalKey;
        bytes32 terminalValue;
    }

    // -----------------------------------------------------------------------------------------
    // Sparse Merkle tree.

    function test_smt_hasCases() public view {
        string memory json = vm.readFile(SMT_FILE);
        uint256 count = vm.parseJsonUint(json, ".caseCount");
        assertGe(count, 8, "caseCount");
        // Case 0 is the empty tree.
        assertEq(vm.parseJsonString(json, ".cases[0].name"), "empty", "first case");
        assertEq(vm.parseJsonUint(json, ".cases[0].leafCount"), 0, "empty case has no leaves");
        assertEq(vm.parseJsonBytes32(json, ".cases[0].root"), bytes32(0), "empty root");
    }

    function test_smt_computeRoot() public view {
        string memory json = vm.readFile(SMT_FILE);
        uint256 count = vm.parseJsonUint(json, ".caseCount");
        uint256 checked;
        for (uint256 i; i < count; i++) {
            string memory c = _case(i);
            (bytes32[] memory keys, bytes32[] memory values) = _leaves(json, c);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(c, ".root"));
            if (keys.length == 1) assertEq(SparseMerkle.leafHash(keys[0], values[0]), root, _at(c, "single leaf"));
            if (_depth(keys) > COMPUTE_ROOT_MAX_DEPTH) {
                // Only the case built for it goes this deep.
                assertEq(vm.parseJsonString(json, string.concat(c, ".name")), "last-bit-split", _at(c, "too deep"));
                continue;
            }
            assertEq(SparseMerkle.computeRoot(keys, values), root, _at(c, "computeRoot"));
            checked++;
        }
        assertEq(checked, count - 1, "computeRoot checked every case but last-bit-split");
    }

    /// @dev Depth of the deepest branch of the tree of ascending `keys`: the longest common
    ///      prefix of two neighbours.
    function _depth(bytes32[] memory keys) internal pure returns (uint256 depth) {
        for (uint256 i = 1; i < keys.length; i++) {
            uint256 shared;
            while (shared < 256 && SparseMerkle.bitAt(keys[i - 1], shared) == SparseMerkle.bitAt(keys[i], shared)) {
                shared++;
            }
            if (shared > depth) depth = shared;
        }
    }

    function test_smt_hashRules() public pure {
        // The byte layouts, spelled out without the library.
        bytes32 k = keccak256("k");
        bytes32 v = bytes32(uint256(7));
        assertEq(SparseMerkle.leafHash(k, v), keccak256(abi.encodePacked(bytes1(0x00), k, v)), "leafHash");
        assertEq(SparseMerkle.nodeHash(k, v), keccak256(abi.encodePacked(k, v)), "nodeHash");
        assertEq(SparseMerkle.bitAt(bytes32(uint256(1) << 255), 0), 1, "bit 0 is the most significant");
        assertEq(SparseMerkle.bitAt(bytes32(uint256(1)), 255), 1, "bit 255 is the least significant");
        assertEq(SparseMerkle.bitAt(bytes32(uint256(1)), 0), 0, "bit 0 of 1");
    }

    function test_smt_proofs() public view {
        string memory json = vm.readFile(SMT_FILE);
        uint256 count = vm.parseJsonUint(json, ".caseCount");
        uint256 inclusions;
        uint256 atLeaf;
        uint256 atEmpty;
        for (uint256 i; i < count; i++) {
            string memory c = _case(i);
            bytes32 root = vm.parseJsonBytes32(json, string.concat(c, ".root"));
            uint256 proofs = vm.parseJsonUint(json, string.concat(c, ".proofCount"));
            for (uint256 j; j < proofs; j++) {
                string memory p = string.concat(c, ".proofs[", vm.toString(j), "]");
                ProofVector memory proof = _proof(json, p);
                _checkProof(proof, root, p);
                if (proof.inclusion) inclusions++;
                else if (proof.terminalIsLeaf) atLeaf++;
                else atEmpty++;
            }
        }
        assertGt(inclusions, 0, "inclusion proofs");
        assertGt(atLeaf, 0, "exclusion proofs ending at another leaf");
        assertGt(atEmpty, 0, "exclusion proofs ending at an empty subtree");
    }

    /// @notice Replays each case's update batches on a sorted model of the leaves: the model
    ///         matches the recorded leaves and `computeRoot` the recorded root after every step.
    function test_smt_updateSteps() public view {
        string memory json = vm.readFile(SMT_FILE);
        uint256 count = vm.parseJsonUint(json, ".caseCount");
        uint256 totalSteps;
        for (uint256 i; i < count; i++) {
            totalSteps += _replaySteps(json, _case(i));
        }
        assertGt(totalSteps, 0, "some case has update steps");
    }

    function _replaySteps(string memory json, string memory c) internal pure returns (uint256 stepCount) {
        stepCount = vm.parseJsonUint(json, string.concat(c, ".stepCount"));
        if (stepCount == 0) return 0;
        uint256 capacity;
        for (uint256 s; s < stepCount; s++) {
            capacity += vm.parseJsonUint(json, string.concat(_step(c, s), ".updateCount"));
        }
        bytes32[] memory modelKeys = new bytes32[](capacity);
        bytes32[] memory modelValues = new bytes32[](capacity);
        uint256 len;
        for (uint256 s; s < stepCount; s++) {
            string memory st = _step(c, s);
            bytes32[] memory uk = vm.parseJsonBytes32Array(json, string.concat(st, ".updateKeys"));
            bytes32[] memory uv = vm.parseJsonBytes32Array(json, string.concat(st, ".updateValues"));
            assertEq(uk.length, uv.length, _at(st, "update arrays"));
            for (uint256 u; u < uk.length; u++) {
                len = SortedModel.set(modelKeys, modelValues, len, uk[u], uv[u]);
            }
            (bytes32[] memory keys, bytes32[] memory values) = _leaves(json, st);
            assertEq(keys.length, len, _at(st, "leaf count after the step"));
            for (uint256 l; l < len; l++) {
                assertEq(keys[l], modelKeys[l], _at(st, "leaf key"));
                assertEq(values[l], modelValues[l], _at(st, "leaf value"));
            }
            bytes32 root = vm.parseJsonBytes32(json, string.concat(st, ".root"));
            assertEq(SparseMerkle.computeRoot(keys, values), root, _at(st, "root after the step"));
        }
        // The case's own leaves and root are those after the last step.
        bytes32 last = vm.parseJsonBytes32(json, string.concat(_step(c, stepCount - 1), ".root"));
        assertEq(vm.parseJsonBytes32(json, string.concat(c, ".root")), last, _at(c, "final root"));
    }

    function _proof(string memory json, string memory p) internal pure returns (ProofVector memory proof) {
        proof.key = vm.parseJsonBytes32(json, string.concat(p, ".key"));
        proof.value = vm.parseJsonBytes32(json, string.concat(p, ".value"));
        proof.siblings = vm.parseJsonBytes32Array(json, string.concat(p, ".siblings"));
        assertEq(proof.siblings.length, vm.parseJsonUint(json, string.concat(p, ".siblingCount")), _at(p, "count"));
        string memory kind = vm.parseJsonString(json, string.concat(p, ".kind"));
        proof.inclusion = keccak256(bytes(kind)) == keccak256("inclusion");
        assertTrue(proof.inclusion || keccak256(bytes(kind)) == keccak256("exclusion"), _at(p, "kind"));
        string memory terminal = vm.parseJsonString(json, string.concat(p, ".terminal.kind"));
        proof.terminalIsLeaf = keccak256(bytes(terminal)) == keccak256("leaf");
        if (proof.terminalIsLeaf) {
            proof.terminalKey = vm.parseJsonBytes32(json, string.concat(p, ".terminal.key"));
            proof.terminalValue = vm.parseJsonBytes32(json, string.concat(p, ".terminal.value"));
        } else {
            assertEq(terminal, "empty", _at(p, "terminal kind"));
        }
    }

    /// @dev The verification of docs/state-commitment.md: the path hashes up to the root, and
    ///      the terminal shows the key's value (inclusion) or its absence (exclusion).
    function _checkProof(ProofVector memory proof, bytes32 root, string memory p) internal pure {
        assertLe(proof.siblings.length, 256, _at(p, "at most 256 siblings"));
        bytes32 terminalHash =
            proof.terminalIsLeaf ? SparseMerkle.leafHash(proof.terminalKey, proof.terminalValue) : SparseMerkle.EMPTY;
        assertEq(SparseMerkle.rootFromPath(proof.key, terminalHash, proof.siblings), root, _at(p, "rootFromPath"));

        bool inclusion = proof.terminalIsLeaf && proof.terminalKey == proof.key;
        assertEq(inclusion, proof.inclusion, _at(p, "inclusion iff the terminal is the key's own leaf"));
        if (inclusion) {
            assertTrue(proof.value != 0, _at(p, "an included value is non-zero"));
            assertEq(proof.terminalValue, proof.value, _at(p, "included value"));
        } else {
            assertEq(proof.value, bytes32(0), _at(p, "an absent key reads zero"));
            if (proof.terminalIsLeaf) {
                // Another key on the same path so far.
                for (uint256 d; d < proof.siblings.length; d++) {
                    assertEq(
                        SparseMerkle.bitAt(proof.terminalKey, d),
                        SparseMerkle.bitAt(proof.key, d),
                        _at(p, "terminal leaf off the key's path")
                    );
                }
            }
        }
        if (proof.siblings.length > 0) {
            // The same siblings do not prove a key on the other side of the top branch.
            bytes32 mirrored = proof.key ^ bytes32(uint256(1) << 255);
            assertTrue(
                SparseMerkle.rootFromPath(mirrored, terminalHash, proof.siblings) != root, _at(p, "mirrored key")
            );
        }
    }

    function _leaves(string memory json, string memory at)
        internal
        pure
        returns (bytes32[] memory keys, bytes32[] memory values)
    {
        keys = vm.parseJsonBytes32Array(json, string.concat(at, ".keys"));
        values = vm.parseJsonBytes32Array(json, string.concat(at, ".values"));
        assertEq(keys.length, values.length, _at(at, "keys and values"));
        assertEq(keys.length, vm.parseJsonUint(json, string.concat(at, ".leafCount")), _at(at, "leafCount"));
    }

    function _case(uint256 i) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(i), "]");
    }

    function _step(string memory c, uint256 s) internal pure returns (string memory) {
        return string.concat(c, ".steps[", vm.toString(s), "]");
    }

    function _at(string memory path, string memory what) internal pure returns (string memory) {
        return string.concat(path, ": ", what);
    }

    // -----------------------------------------------------------------------------------------
    // State keys.

    function test_keys_tags() public view {
        string memory json = vm.readFile(KEYS_FILE);
        assertEq(vm.parseJsonUint(json, ".tags.nonce"), StateKeys.TAG_NONCE, "nonce");
        assertEq(vm.parseJsonUint(json, ".tags.token"), StateKeys.TAG_TOKEN, "token");
        assertEq(vm.parseJsonUint(json, ".tags.balance"), StateKeys.TAG_BALANCE, "balance");
        assertEq(vm.parseJsonUint(json, ".tags.supply"), StateKeys.TAG_SUPPLY, "supply");
        assertEq(vm.parseJsonUint(json, ".tags.pool"), StateKeys.TAG_POOL, "pool");
        assertEq(vm.parseJsonUint(json, ".tags.lpToken"), StateKeys.TAG_LP_TOKEN, "lpToken");
        assertEq(vm.parseJsonUint(json, ".tags.tokenCount"), StateKeys.TAG_TOKEN_COUNT, "tokenCount");
        assertEq(vm.parseJsonUint(json, ".tags.tokenAt"), StateKeys.TAG_TOKEN_AT, "tokenAt");
        assertEq(vm.parseJsonUint(json, ".tags.poolCount"), StateKeys.TAG_POOL_COUNT, "poolCount");
        assertEq(vm.parseJsonUint(json, ".tags.poolAt"), StateKeys.TAG_POOL_AT, "poolAt");
        assertEq(vm.parseJsonUint(json, ".tags.newToken"), StateKeys.TAG_NEW_TOKEN, "newToken");
        assertEq(vm.parseJsonUint(json, ".tags.bridgedToken"), StateKeys.TAG_BRIDGED_TOKEN, "bridgedToken");
        assertEq(vm.parseJsonUint(json, ".tags.tokenOrigin"), StateKeys.TAG_TOKEN_ORIGIN, "tokenOrigin");
        assertEq(vm.parseJsonUint(json, ".tags.withdrawalCount"), StateKeys.TAG_WITHDRAWAL_COUNT, "withdrawalCount");
        assertEq(vm.parseJsonUint(json, ".tags.withdrawal"), StateKeys.TAG_WITHDRAWAL, "withdrawal");
    }

    function test_keys_singleAddress() public view {
        string memory json = vm.readFile(KEYS_FILE);
        (address[] memory a, bytes[] memory pre, bytes32[] memory key) = _oneAddress(json, "nonce", "account");
        for (uint256 i; i < a.length; i++) {
            _checkKey(pre[i], abi.encode(StateKeys.TAG_NONCE, a[i]), StateKeys.nonce(a[i]), key[i], "nonce", i);
        }
        (a, pre, key) = _oneAddress(json, "token", "token");
        for (uint256 i; i < a.length; i++) {
            _checkKey(pre[i], abi.encode(StateKeys.TAG_TOKEN, a[i]), StateKeys.token(a[i]), key[i], "token", i);
        }
        (a, pre, key) = _oneAddress(json, "supply", "token");
        for (uint256 i; i < a.length; i++) {
            _checkKey(pre[i], abi.encode(StateKeys.TAG_SUPPLY, a[i]), StateKeys.supply(a[i]), key[i], "supply", i);
        }
    }

    function test_keys_balance() public view {
        string memory json = vm.readFile(KEYS_FILE);
        (address[] memory t, address[] memory o, bytes[] memory pre, bytes32[] memory key) =
            _twoAddresses(json, "balance", "token", "owner", "key");
        for (uint256 i; i < t.length; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_BALANCE, t[i], o[i]);
            _checkKey(pre[i], encoded, StateKeys.balance(t[i], o[i]), key[i], "balance", i);
        }
    }

    function test_keys_pool() public view {
        string memory json = vm.readFile(KEYS_FILE);
        (address[] memory t0, address[] memory t1, bytes[] memory pre, bytes32[] memory key) =
            _twoAddresses(json, "pool", "token0", "token1", "key");
        for (uint256 i; i < t0.length; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_POOL, t0[i], t1[i]);
            _checkKey(pre[i], encoded, StateKeys.pool(t0[i], t1[i]), key[i], "pool", i);
        }
    }

    function test_keys_lpToken() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".lpToken.count");
        address[] memory t0 = vm.parseJsonAddressArray(json, ".lpToken.token0");
        address[] memory t1 = vm.parseJsonAddressArray(json, ".lpToken.token1");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".lpToken.preimage");
        address[] memory addr = vm.parseJsonAddressArray(json, ".lpToken.address");
        assertGt(n, 0, "lpToken vectors");
        _checkLengths("lpToken", n, t0.length, t1.length, pre.length, addr.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_LP_TOKEN, t0[i], t1[i]);
            _checkAddress(pre[i], encoded, StateKeys.lpToken(t0[i], t1[i]), addr[i], "lpToken", i);
        }
    }

    function test_keys_counters() public view {
        string memory json = vm.readFile(KEYS_FILE);
        bytes memory pre = vm.parseJsonBytes(json, ".tokenCount.preimage");
        bytes32 key = vm.parseJsonBytes32(json, ".tokenCount.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_TOKEN_COUNT), StateKeys.tokenCount(), key, "tokenCount", 0);
        pre = vm.parseJsonBytes(json, ".poolCount.preimage");
        key = vm.parseJsonBytes32(json, ".poolCount.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_POOL_COUNT), StateKeys.poolCount(), key, "poolCount", 0);
        assertEq(vm.parseJsonUint(json, ".tags.feeState"), StateKeys.TAG_FEE_STATE, "feeState tag");
        pre = vm.parseJsonBytes(json, ".feeState.preimage");
        key = vm.parseJsonBytes32(json, ".feeState.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_FEE_STATE), StateKeys.feeState(), key, "feeState", 0);
        assertEq(vm.parseJsonUint(json, ".tags.feeRecipient"), StateKeys.TAG_FEE_RECIPIENT, "feeRecipient tag");
        pre = vm.parseJsonBytes(json, ".feeRecipient.preimage");
        key = vm.parseJsonBytes32(json, ".feeRecipient.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_FEE_RECIPIENT), StateKeys.feeRecipient(), key, "feeRecipient", 0);
        assertEq(vm.parseJsonUint(json, ".tags.l1Fees"), StateKeys.TAG_L1_FEES, "l1Fees tag");
        pre = vm.parseJsonBytes(json, ".l1Fees.preimage");
        key = vm.parseJsonBytes32(json, ".l1Fees.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_L1_FEES), StateKeys.l1Fees(), key, "l1Fees", 0);
        assertEq(vm.parseJsonUint(json, ".tags.clock"), StateKeys.TAG_CLOCK, "clock tag");
        pre = vm.parseJsonBytes(json, ".clock.preimage");
        key = vm.parseJsonBytes32(json, ".clock.key");
        _checkKey(pre, abi.encode(StateKeys.TAG_CLOCK), StateKeys.clock(), key, "clock", 0);
    }

    function test_keys_tokenAt() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".tokenAt.count");
        uint256[] memory index = vm.parseJsonUintArray(json, ".tokenAt.index");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".tokenAt.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".tokenAt.key");
        assertGt(n, 0, "tokenAt vectors");
        _checkLengths("tokenAt", n, index.length, pre.length, key.length, n);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_TOKEN_AT, index[i]);
            _checkKey(pre[i], encoded, StateKeys.tokenAt(index[i]), key[i], "tokenAt", i);
        }
    }

    function test_keys_poolAt() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".poolAt.count");
        uint256[] memory index = vm.parseJsonUintArray(json, ".poolAt.index");
        uint256[] memory side = vm.parseJsonUintArray(json, ".poolAt.side");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".poolAt.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".poolAt.key");
        assertGt(n, 0, "poolAt vectors");
        _checkLengths("poolAt", n, index.length, side.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_POOL_AT, index[i], side[i]);
            _checkKey(pre[i], encoded, StateKeys.poolAt(index[i], side[i]), key[i], "poolAt", i);
        }
    }

    function test_keys_oracles() public view {
        string memory json = vm.readFile(KEYS_FILE);
        assertEq(vm.parseJsonUint(json, ".tags.oracles"), StateKeys.TAG_ORACLES, "oracles tag");
        assertEq(vm.parseJsonUint(json, ".tags.oracleAt"), StateKeys.TAG_ORACLE_AT, "oracleAt tag");
        assertEq(vm.parseJsonUint(json, ".tags.oracle"), StateKeys.TAG_ORACLE, "oracle tag");
        bytes memory pre1 = vm.parseJsonBytes(json, ".oracles.preimage");
        bytes32 key1 = vm.parseJsonBytes32(json, ".oracles.key");
        _checkKey(pre1, abi.encode(StateKeys.TAG_ORACLES), StateKeys.oracles(), key1, "oracles", 0);
        uint256 n = vm.parseJsonUint(json, ".oracleAt.count");
        uint256[] memory index = vm.parseJsonUintArray(json, ".oracleAt.index");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".oracleAt.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".oracleAt.key");
        assertGt(n, 0, "oracleAt vectors");
        _checkLengths("oracleAt", n, index.length, pre.length, key.length, n);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_ORACLE_AT, index[i]);
            _checkKey(pre[i], encoded, StateKeys.oracleAt(index[i]), key[i], "oracleAt", i);
        }
        n = vm.parseJsonUint(json, ".oracle.count");
        address[] memory asset = vm.parseJsonAddressArray(json, ".oracle.asset");
        uint256[] memory part = vm.parseJsonUintArray(json, ".oracle.part");
        pre = vm.parseJsonBytesArray(json, ".oracle.preimage");
        key = vm.parseJsonBytes32Array(json, ".oracle.key");
        assertGt(n, 0, "oracle vectors");
        _checkLengths("oracle", n, asset.length, part.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_ORACLE, asset[i], part[i]);
            _checkKey(pre[i], encoded, StateKeys.oracle(asset[i], part[i]), key[i], "oracle", i);
        }
    }

    /// The money market's keys (tags 23 to 26): the market list, a market's parts, an asset's
    /// market and a market's shards.
    function test_keys_markets() public view {
        string memory json = vm.readFile(KEYS_FILE);
        assertEq(vm.parseJsonUint(json, ".tags.markets"), StateKeys.TAG_MARKETS, "markets tag");
        assertEq(vm.parseJsonUint(json, ".tags.market"), StateKeys.TAG_MARKET, "market tag");
        assertEq(vm.parseJsonUint(json, ".tags.marketOf"), StateKeys.TAG_MARKET_OF, "marketOf tag");
        assertEq(vm.parseJsonUint(json, ".tags.marketShard"), StateKeys.TAG_MARKET_SHARD, "marketShard tag");
        assertEq(vm.parseJsonUint(json, ".tags.position"), StateKeys.TAG_POSITION, "position tag");
        assertEq(vm.parseJsonUint(json, ".tags.shardAccount"), StateKeys.TAG_SHARD_ACCOUNT, "shardAccount tag");
        bytes memory pre1 = vm.parseJsonBytes(json, ".markets.preimage");
        bytes32 key1 = vm.parseJsonBytes32(json, ".markets.key");
        _checkKey(pre1, abi.encode(StateKeys.TAG_MARKETS), StateKeys.markets(), key1, "markets", 0);
        uint256 n = vm.parseJsonUint(json, ".market.count");
        uint256[] memory index = vm.parseJsonUintArray(json, ".market.index");
        uint256[] memory part = vm.parseJsonUintArray(json, ".market.part");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".market.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".market.key");
        assertGt(n, 0, "market vectors");
        _checkLengths("market", n, index.length, part.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_MARKET, index[i], part[i]);
            _checkKey(pre[i], encoded, StateKeys.market(index[i], part[i]), key[i], "market", i);
        }
        address[] memory asset;
        (asset, pre, key) = _oneAddress(json, "marketOf", "asset");
        for (uint256 i; i < asset.length; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_MARKET_OF, asset[i]);
            _checkKey(pre[i], encoded, StateKeys.marketOf(asset[i]), key[i], "marketOf", i);
        }
        n = vm.parseJsonUint(json, ".marketShard.count");
        index = vm.parseJsonUintArray(json, ".marketShard.index");
        uint256[] memory shard = vm.parseJsonUintArray(json, ".marketShard.shard");
        pre = vm.parseJsonBytesArray(json, ".marketShard.preimage");
        key = vm.parseJsonBytes32Array(json, ".marketShard.key");
        assertGt(n, 0, "marketShard vectors");
        _checkLengths("marketShard", n, index.length, shard.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_MARKET_SHARD, index[i], shard[i]);
            _checkKey(pre[i], encoded, StateKeys.marketShard(index[i], shard[i]), key[i], "marketShard", i);
        }
    }

    /// A user's position in a market (tag 27).
    function test_keys_position() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".position.count");
        address[] memory user = vm.parseJsonAddressArray(json, ".position.user");
        uint256[] memory index = vm.parseJsonUintArray(json, ".position.index");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".position.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".position.key");
        assertGt(n, 0, "position vectors");
        _checkLengths("position", n, user.length, index.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_POSITION, user[i], index[i]);
            _checkKey(pre[i], encoded, StateKeys.position(user[i], index[i]), key[i], "position", i);
        }
    }

    /// The shards' cash accounts (tag 28, an address like `lpToken`) and the shard of a user
    /// (`LendingLogic.shardOf`: `uint160(user) & 7`).
    function test_keys_shards() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".shardAccount.count");
        uint256[] memory shard = vm.parseJsonUintArray(json, ".shardAccount.shard");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".shardAccount.preimage");
        address[] memory addr = vm.parseJsonAddressArray(json, ".shardAccount.address");
        assertGt(n, 0, "shardAccount vectors");
        _checkLengths("shardAccount", n, shard.length, pre.length, addr.length, n);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_SHARD_ACCOUNT, shard[i]);
            _checkAddress(pre[i], encoded, StateKeys.shardAccount(shard[i]), addr[i], "shardAccount", i);
        }
        n = vm.parseJsonUint(json, ".shardOf.count");
        address[] memory user = vm.parseJsonAddressArray(json, ".shardOf.user");
        shard = vm.parseJsonUintArray(json, ".shardOf.shard");
        assertGt(n, 0, "shardOf vectors");
        _checkLengths("shardOf", n, user.length, shard.length, n, n);
        bool[8] memory seen;
        for (uint256 i; i < n; i++) {
            uint256 expected = uint160(user[i]) & 7;
            assertEq(shard[i], expected, string.concat("shardOf[", vm.toString(i), "]"));
            seen[expected] = true;
        }
        for (uint256 s; s < 8; s++) {
            assertTrue(seen[s], string.concat("shardOf: shard ", vm.toString(s), " covered"));
        }
    }

    function test_keys_newToken() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".newToken.count");
        address[] memory creator = vm.parseJsonAddressArray(json, ".newToken.creator");
        bytes32[] memory salt = vm.parseJsonBytes32Array(json, ".newToken.salt");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".newToken.preimage");
        address[] memory addr = vm.parseJsonAddressArray(json, ".newToken.address");
        assertGt(n, 0, "newToken vectors");
        _checkLengths("newToken", n, creator.length, salt.length, pre.length, addr.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_NEW_TOKEN, creator[i], salt[i]);
            _checkAddress(pre[i], encoded, StateKeys.newToken(creator[i], salt[i]), addr[i], "newToken", i);
        }
    }

    function test_keys_bridgedToken() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".bridgedToken.count");
        address[] memory l1 = vm.parseJsonAddressArray(json, ".bridgedToken.l1Token");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".bridgedToken.preimage");
        address[] memory addr = vm.parseJsonAddressArray(json, ".bridgedToken.address");
        bytes32[] memory origin = vm.parseJsonBytes32Array(json, ".bridgedToken.originValue");
        assertGt(n, 0, "bridgedToken vectors");
        _checkLengths("bridgedToken", n, l1.length, pre.length, addr.length, origin.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_BRIDGED_TOKEN, l1[i]);
            _checkAddress(pre[i], encoded, StateKeys.bridgedToken(l1[i]), addr[i], "bridgedToken", i);
            assertEq(StateKeys.originValue(l1[i]), origin[i], "bridgedToken: originValue");
        }
    }

    function test_keys_bridgeAccounts() public view {
        string memory json = vm.readFile(KEYS_FILE);
        (address[] memory a, bytes[] memory pre, bytes32[] memory key) = _oneAddress(json, "tokenOrigin", "token");
        for (uint256 i; i < a.length; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_TOKEN_ORIGIN, a[i]);
            _checkKey(pre[i], encoded, StateKeys.tokenOrigin(a[i]), key[i], "tokenOrigin", i);
        }
        (a, pre, key) = _oneAddress(json, "withdrawalCount", "account");
        for (uint256 i; i < a.length; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_WITHDRAWAL_COUNT, a[i]);
            _checkKey(pre[i], encoded, StateKeys.withdrawalCount(a[i]), key[i], "withdrawalCount", i);
        }
    }

    /// The allowance key (tag 15) of every (token, owner, spender) the Rust side lists.
    function test_keys_allowance() public view {
        string memory json = vm.readFile(KEYS_FILE);
        assertEq(vm.parseJsonUint(json, ".tags.allowance"), StateKeys.TAG_ALLOWANCE, "allowance tag");
        uint256 n = vm.parseJsonUint(json, ".allowance.count");
        address[] memory token = vm.parseJsonAddressArray(json, ".allowance.token");
        address[] memory owner = vm.parseJsonAddressArray(json, ".allowance.owner");
        address[] memory spender = vm.parseJsonAddressArray(json, ".allowance.spender");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".allowance.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".allowance.key");
        assertGt(n, 0, "allowance vectors");
        _checkLengths("allowance", n, token.length, owner.length, spender.length, pre.length);
        _checkLengths("allowance", n, key.length, n, n, n);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_ALLOWANCE, token[i], owner[i], spender[i]);
            bytes32 derived = StateKeys.allowance(token[i], owner[i], spender[i]);
            _checkKey(pre[i], encoded, derived, key[i], "allowance", i);
        }
    }

    function test_keys_withdrawal() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".withdrawal.count");
        address[] memory account = vm.parseJsonAddressArray(json, ".withdrawal.account");
        uint256[] memory index = vm.parseJsonUintArray(json, ".withdrawal.index");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".withdrawal.preimage");
        bytes32[] memory key = vm.parseJsonBytes32Array(json, ".withdrawal.key");
        assertGt(n, 0, "withdrawal vectors");
        _checkLengths("withdrawal", n, account.length, index.length, pre.length, key.length);
        for (uint256 i; i < n; i++) {
            bytes memory encoded = abi.encode(StateKeys.TAG_WITHDRAWAL, account[i], index[i]);
            _checkKey(pre[i], encoded, StateKeys.withdrawal(account[i], index[i]), key[i], "withdrawal", i);
        }
    }

    function test_keys_withdrawalLeaf() public view {
        string memory json = vm.readFile(KEYS_FILE);
        uint256 n = vm.parseJsonUint(json, ".withdrawalLeaf.count");
        address[] memory l1 = vm.parseJsonAddressArray(json, ".withdrawalLeaf.l1Token");
        address[] memory to = vm.parseJsonAddressArray(json, ".withdrawalLeaf.recipient");
        uint256[] memory amount = vm.parseJsonUintArray(json, ".withdrawalLeaf.amount");
        bytes[] memory pre = vm.parseJsonBytesArray(json, ".withdrawalLeaf.preimage");
        bytes32[] memory leaf = vm.parseJsonBytes32Array(json, ".withdrawalLeaf.leaf");
        assertGt(n, 0, "withdrawalLeaf vectors");
        _checkLengths("withdrawalLeaf", n, l1.length, to.length, amount.length, pre.length);
        assertEq(leaf.length, n, "withdrawalLeaf: leaf count");
        for (uint256 i; i < n; i++) {
            string memory at = string.concat("withdrawalLeaf[", vm.toString(i), "]");
            assertEq(keccak256(pre[i]), keccak256(abi.encode(l1[i], to[i], amount[i])), _at(at, "preimage"));
            assertEq(keccak256(pre[i]), leaf[i], _at(at, "keccak256(preimage)"));
            assertEq(StateKeys.withdrawalLeaf(l1[i], to[i], amount[i]), leaf[i], _at(at, "StateKeys"));
        }
    }

    function _oneAddress(string memory json, string memory name, string memory field)
        internal
        pure
        returns (address[] memory a, bytes[] memory pre, bytes32[] memory key)
    {
        string memory base = string.concat(".", name);
        uint256 n = vm.parseJsonUint(json, string.concat(base, ".count"));
        a = vm.parseJsonAddressArray(json, string.concat(base, ".", field));
        pre = vm.parseJsonBytesArray(json, string.concat(base, ".preimage"));
        key = vm.parseJsonBytes32Array(json, string.concat(base, ".key"));
        assertGt(n, 0, _at(name, "vectors"));
        _checkLengths(name, n, a.length, pre.length, key.length, n);
    }

    function _twoAddresses(
        string memory json,
        string memory name,
        string memory fieldA,
        string memory fieldB,
        string memory result
    ) internal pure returns (address[] memory a, address[] memory b, bytes[] memory pre, bytes32[] memory key) {
        string memory base = string.concat(".", name);
        uint256 n = vm.parseJsonUint(json, string.concat(base, ".count"));
        a = vm.parseJsonAddressArray(json, string.concat(base, ".", fieldA));
        b = vm.parseJsonAddressArray(json, string.concat(base, ".", fieldB));
        pre = vm.parseJsonBytesArray(json, string.concat(base, ".preimage"));
        key = vm.parseJsonBytes32Array(json, string.concat(base, ".", result));
        assertGt(n, 0, _at(name, "vectors"));
        _checkLengths(name, n, a.length, b.length, pre.length, key.length);
    }

    function _checkLengths(string memory name, uint256 n, uint256 a, uint256 b, uint256 c, uint256 d) internal pure {
        assertTrue(a == n && b == n && c == n && d == n, _at(name, "array lengths differ from count"));
    }

    /// @dev The file's preimage is abi.encode(tag, inputs), its hash is the file's key, and the
    ///      library derives the same key.
    function _checkKey(
        bytes memory preimage,
        bytes memory encoded,
        bytes32 derived,
        bytes32 expected,
        string memory name,
        uint256 i
    ) internal pure {
        string memory at = string.concat(name, "[", vm.toString(i), "]");
        assertEq(keccak256(preimage), keccak256(encoded), _at(at, "preimage"));
        assertEq(keccak256(preimage), expected, _at(at, "keccak256(preimage)"));
        assertEq(derived, expected, _at(at, "StateKeys"));
    }

    function _checkAddress(
        bytes memory preimage,
        bytes memory encoded,
        address derived,
        address expected,
        string memory name,
        uint256 i
    ) internal pure {
        string memory at = string.concat(name, "[", vm.toString(i), "]");
        assertEq(keccak256(preimage), keccak256(encoded), _at(at, "preimage"));
        assertEq(address(uint160(uint256(keccak256(preimage)))), expected, _at(at, "keccak256(preimage)"));
        assertEq(derived, expected, _at(at, "StateKeys"));
    }

    // -----------------------------------------------------------------------------------------
    // Bridge queue.

    /// Every entry hashes as the Rust side hashes it, and the accumulator chains them in order.
    function test_queue_hashesAndAccumulator() public view {
        string memory json = vm.readFile(QUEUE_FILE);
        uint256 n = vm.parseJsonUint(json, ".count");
        assertGt(n, 0, "queue vectors");
        uint256[] memory kind = vm.parseJsonUintArray(json, ".kind");
        address[] memory from = vm.parseJsonAddressArray(json, ".from");
        address[] memory to = vm.parseJsonAddressArray(json, ".to");
        address[] memory l1Token = vm.parseJsonAddressArray(json, ".l1Token");
        uint256[] memory amount = vm.parseJsonUintArray(json, ".amount");
        uint256[] memory meta = vm.parseJsonUintArray(json, ".meta");
        bytes[] memory raw = vm.parseJsonBytesArray(json, ".raw");
        uint256[] memory l1Block = vm.parseJsonUintArray(json, ".l1Block");
        bytes32[] memory entryHash = vm.parseJsonBytes32Array(json, ".entryHash");
        bytes32[] memory accumulator = vm.parseJsonBytes32Array(json, ".accumulator");
        bytes32 acc;
        bool[3] memory seen;
        for (uint256 i; i < n; ++i) {
            bytes32 h;
            if (kind[i] == BridgeQueue.KIND_DEPOSIT) {
                h = BridgeQueue.depositHash(from[i], to[i], l1Token[i], amount[i], meta[i]);
            } else if (kind[i] == BridgeQueue.KIND_L1_FEES) {
                h = BridgeQueue.l1FeesHash(amount[i], meta[i]);
            } else {
                h = BridgeQueue.forcedTxHash(from[i], raw[i]);
            }
            seen[kind[i]] = true;
            assertEq(h, entryHash[i], string.concat("entry hash ", vm.toString(i)));
            // forge-lint: disable-next-line(unsafe-typecast)
            acc = BridgeQueue.chain(acc, h, uint64(l1Block[i])); // the vectors' blocks are small
            assertEq(acc, accumulator[i], string.concat("accumulator ", vm.toString(i)));
        }
        assertTrue(seen[0] && seen[1] && seen[2], "every kind");
    }
}
