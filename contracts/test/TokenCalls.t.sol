// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {FullWitness} from "./utils/FullWitness.sol";
import {entryAt} from "./utils/QueueEntries.sol";
import {vm} from "./utils/Vm.sol";
import {SortedModel} from "./utils/SortedModel.sol";
import {CodecNumbers} from "./utils/CodecNumbers.sol";
import {ChunkVerifier} from "../src/l1/ChunkVerifier.sol";
import {LendingReplay} from "../src/l1/LendingReplay.sol";
import {ReplayAccess} from "../src/l1/ReplayAccess.sol";
import {ReplayLogic} from "../src/l1/ReplayLogic.sol";
import {BatchDecoder} from "../src/l1/BatchDecoder.sol";
import {L2System} from "../src/l2/L2System.sol";
import {_noMarkets} from "./L2System.t.sol";
import {L2Token} from "../src/l2/L2Token.sol";
import {BatchCodec} from "../src/lib/BatchCodec.sol";
import {BridgeQueue} from "../src/lib/BridgeQueue.sol";
import {DataCommitment} from "../src/lib/DataCommitment.sol";
import {SparseMerkle} from "../src/lib/SparseMerkle.sol";
import {StateKeys} from "../src/logic/StateKeys.sol";
import {FeeLogic} from "../src/logic/FeeLogic.sol";

/// @dev Cheatcodes these tests use beyond the shared subset of utils/Vm.sol.
interface VmTokenCalls {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function etch(address target, bytes calldata code) external;
    function store(address target, bytes32 slot, bytes32 value) external;
}

VmTokenCalls constant vmt = VmTokenCalls(address(vm));

/// @notice Token calls on L1 (docs/fraud-proofs.md §3.1, docs/batch-codec.md §3.3.2): the
///         verifier's admission of them, and replays of chunks and forced transactions that
///         hold them, checked against the same transactions run on L2 (`L2System` at its
///         address, `L2Token` code at the registered token) and against the state root of the
///         resulting state, computed independently (`SparseMerkle.computeRoot`).
contract TokenCallsTest is Test, CodecNumbers, FullWitness {
    uint256 constant CHAIN_ID = 42069;
    uint256 constant CHUNK_SIZE = 16;
    /// @dev The chunk of a one-block batch's transactions: chunk 0 is the block's beginning
    ///      (codec version 6; the block has no queue entry and no heavy transaction). Replayed
    ///      from a state not yet in the block, it enters the block itself.
    uint256 constant ITEMS = 1;
    address constant SYSTEM = 0x4200000000000000000000000000000000000010;
    address constant TKA = 0x7000000000000000000000000000000000000001;
    /// @dev No token is registered here: on L2 it has no code.
    address constant NOWHERE = 0x7000000000000000000000000000000000000009;
    address constant CAROL = address(0xCA201);
    uint256 constant ALICE_KEY = 0xA11CE;
    uint256 constant BOB_KEY = 0xB0B;
    uint256 constant ALICE_A = 1_000;
    uint256 constant BOB_A = 50;
    uint256 constant ETHER_EACH = 1 ether;
    /// @dev Every transaction here signs the lowest base fee as its fee cap, and no tip: it pays
    ///      its scheduled gas at that price.
    uint256 constant PRICE = FeeLogic.MIN_BASE_FEE;

    ChunkVerifier verifier;
    address alice;
    address bob;

    /// @dev One transaction: who signs it, its target and its calldata.
    struct Step {
        uint256 key;
        address to;
        bytes input;
    }

    function setUp() public override {
        verifier = new ChunkVerifier(new BatchDecoder(), new ReplayLogic(address(new LendingReplay())));
        alice = vmt.addr(ALICE_KEY);
        bob = vmt.addr(BOB_KEY);
        L2System.GenesisToken[] memory tokens = new L2System.GenesisToken[](1);
        tokens[0] = L2System.GenesisToken(TKA, "TKA", 18);
        L2System.GenesisMint[] memory mints = new L2System.GenesisMint[](4);
        mints[0] = L2System.GenesisMint(TKA, alice, ALICE_A);
        mints[1] = L2System.GenesisMint(TKA, bob, BOB_A);
        // Ether to pay their fees with.
        mints[2] = L2System.GenesisMint(StateKeys.ETHER, alice, ETHER_EACH);
        mints[3] = L2System.GenesisMint(StateKeys.ETHER, bob, ETHER_EACH);
        // The system contract at its L2 address with its genesis state (the creation code run
        // there, then replaced by the runtime code it returns), and the token's ERC-20 face.
        bytes memory creation = abi.encodePacked(
            type(L2System).creationCode,
            abi.encode(
                tokens,
                mints,
                new L2System.GenesisPool[](0),
                L2System.GenesisOracles(address(0), new L2System.OracleRoute[](0)),
                _noMarkets()
            )
        );
        vmt.etch(SYSTEM, creation);
        (bool ok, bytes memory runtime) = SYSTEM.call("");
        require(ok, "genesis");
        vmt.etch(SYSTEM, runtime);
        vmt.etch(TKA, type(L2Token).runtimeCode);
    }

    // =========================================================================================
    // Admission.

    function _tx(address to, bytes memory input) internal pure returns (BatchCodec.Tx memory t) {
        t.eip1559 = true;
        t.gasLimit = 100_000;
        t.to = to;
        t.input = input;
    }

    function test_admissible_tokenCalls() public view {
        bytes4 transfer = 0xa9059cbb;
        bytes4 approve = 0x095ea7b3;
        bytes4 transferFrom = 0x23b872dd;
        // Canonical token calls, of any target but the system contract.
        assertTrue(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transfer, CAROL, 1))), "transfer");
        assertTrue(verifier.admissible(_tx(TKA, abi.encodeWithSelector(approve, CAROL, 1))), "approve");
        assertTrue(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transferFrom, alice, CAROL, 1))), "from");
        assertTrue(
            verifier.admissible(_tx(NOWHERE, abi.encodeWithSelector(transfer, CAROL, 1))), "no token there: admissible"
        );
        // Wrong length.
        assertFalse(
            verifier.admissible(_tx(TKA, abi.encodePacked(abi.encodeWithSelector(transfer, CAROL, 1), hex"00"))),
            "69 bytes"
        );
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transfer, CAROL))), "36 bytes");
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transferFrom, alice, 1))), "from, 68 bytes");
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSelector(approve, CAROL, 1, 2))), "approve, 100 bytes");
        // A dirty address word.
        uint256 dirty = uint256(uint160(CAROL)) | (1 << 200);
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transfer, dirty, 1))), "dirty to");
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSelector(transferFrom, alice, dirty, 1))), "dirty");
        // Unknown selectors, views, the system's own operations at a token.
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSignature("mint(address,uint256)", CAROL, 1))), "mint");
        assertFalse(verifier.admissible(_tx(TKA, abi.encodeWithSignature("balanceOf(address)", CAROL))), "view");
        // No calldata is a transfer of ether (to a token it credits the token's address).
        assertTrue(verifier.admissible(_tx(TKA, "")), "empty input");
        assertFalse(
            verifier.admissible(_tx(TKA, abi.encodeWithSelector(bytes4(0xbeabacc8), TKA, CAROL, 1))),
            "the system's transfer at a token"
        );
        // The system contract with ERC-20 calldata, or the token entry points: not operations.
        assertFalse(verifier.admissible(_tx(SYSTEM, abi.encodeWithSelector(transfer, CAROL, 1))), "ERC-20 at system");
        assertFalse(
            verifier.admissible(_tx(SYSTEM, abi.encodeCall(L2System.tokenTransfer, (alice, CAROL, 1)))), "tokenTransfer"
        );
        assertFalse(
            verifier.admissible(_tx(SYSTEM, abi.encodeCall(ReplayLogic.replayTokenCall, (TKA, hex"")))),
            "replayTokenCall"
        );
        assertTrue(
            verifier.admissible(_tx(SYSTEM, abi.encodeWithSelector(bytes4(0xbeabacc8), TKA, CAROL, 1))),
            "the system's transfer"
        );
        // The other rules apply to token calls too.
        BatchCodec.Tx memory t = _tx(TKA, abi.encodeWithSelector(transfer, CAROL, 1));
        t.gasLimit = 20_999;
        assertFalse(verifier.admissible(t), "gas limit");
        t.gasLimit = 100_000;
        t.maxPriorityFeePerGas = 2;
        t.maxFeePerGas = 1;
        assertFalse(verifier.admissible(t), "tip above the fee cap");
    }

    /// @notice The replay's logic runs only delegated to by the verifier: called directly, it
    ///         has no replay to read or write.
    function test_replayTokenCall_onlyInAReplay() public {
        ReplayLogic logic = verifier.logic();
        vm.expectRevert(abi.encodeWithSelector(ReplayAccess.NotInReplay.selector));
        logic.replayTokenCall(TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 1));
        vm.expectRevert(abi.encodeWithSelector(ReplayAccess.NotInReplay.selector));
        logic.transfer(TKA, CAROL, 1);
    }

    // =========================================================================================
    // A chunk of token calls, replayed on L1 and run on L2.

    /// @dev Alice transfers, approves Bob, Bob spends part of it, Alice calls an address
    ///      without a token, Bob overspends (reverts), Alice approves the zero address
    ///      (reverts), then a system transfer.
    function _steps() internal view returns (Step[] memory s) {
        s = new Step[](7);
        s[0] = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 100));
        s[1] = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0x095ea7b3), bob, 300));
        s[2] = Step(BOB_KEY, TKA, abi.encodeWithSelector(bytes4(0x23b872dd), alice, CAROL, 200));
        s[3] = Step(ALICE_KEY, NOWHERE, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 5));
        s[4] = Step(BOB_KEY, TKA, abi.encodeWithSelector(bytes4(0x23b872dd), alice, bob, 101));
        s[5] = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0x095ea7b3), address(0), 1));
        s[6] = Step(ALICE_KEY, SYSTEM, abi.encodeWithSelector(bytes4(0xbeabacc8), TKA, bob, 1));
    }

    /// @dev The registry of the chunk.
    function _registry() internal view returns (address[] memory reg) {
        reg = new address[](6);
        (reg[0], reg[1], reg[2], reg[3], reg[4], reg[5]) = (TKA, CAROL, bob, NOWHERE, alice, address(0));
    }

    /// @dev The fee state after a chunk of block 1 (every chunk here is one, committing the
    ///      genesis L1 price) whose transactions hold `gas` scheduled gas, from the genesis fee
    ///      state: the lowest base fee.
    function _feeState(uint256 gas) internal pure returns (bytes32) {
        return _feeStateAt(gas, FeeLogic.MIN_L1_BYTE_PRICE);
    }

    /// @dev `_feeState` with the L1 price `l1BytePrice`.
    function _feeStateAt(uint256 gas, uint256 l1BytePrice) internal pure returns (bytes32) {
        return bytes32((uint256(1) << 192) | (gas << 160) | (l1BytePrice << 96) | FeeLogic.MIN_BASE_FEE);
    }

    /// @dev The genesis fee state (docs/fees.md §6), which the executor lays out beside the
    ///      system contract's constructor: block 0, no gas, the lowest L1 price and base fee.
    bytes32 constant GENESIS_FEES = bytes32((FeeLogic.MIN_L1_BYTE_PRICE << 96) | FeeLogic.MIN_BASE_FEE);

    /// @dev The pre-state of every chunk here, in a model with room for `room` leaves: the
    ///      system's genesis storage, the values on L2 of the keys the steps touch, the genesis
    ///      fee state, nonces 0.
    function _genesis(uint256 room) internal view returns (bytes32[] memory keys, bytes32[] memory values, uint256 n) {
        (keys, values, n) = _model(room);
        n = _fromL2(keys, values, n, _genesisKeys());
        n = _fromL2(keys, values, n, _touched());
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), GENESIS_FEES);
    }

    /// @dev Every chunk here enters its block (at `CHUNK_TIME`), and so begins it: the chain's
    ///      clock moves to the block's timestamp (`ClockLogic`), and the oracles' and the money
    ///      market's headers are read (this genesis has neither).
    uint256 constant CHUNK_TIME = 1000;

    function _begun(bytes32[] memory keys, bytes32[] memory values, uint256 n) internal pure returns (uint256) {
        return SortedModel.set(keys, values, n, StateKeys.clock(), bytes32(CHUNK_TIME));
    }

    /// @dev The key of `owner`'s ether.
    function _ether(address owner) internal pure returns (bytes32) {
        return StateKeys.balance(StateKeys.ETHER, owner);
    }

    /// @dev Every key the steps touch: nonces, the fee state, the chain's reading of the L1's
    ///      fees (read as the chunk enters its block), the senders' ether and the vault's
    ///      included.
    function _touched() internal view returns (bytes32[] memory k) {
        k = new bytes32[](16);
        k[15] = StateKeys.markets();
        k[14] = StateKeys.oracles();
        k[13] = StateKeys.clock();
        k[12] = StateKeys.l1Fees();
        k[8] = StateKeys.feeState();
        k[9] = _ether(alice);
        k[10] = _ether(bob);
        k[11] = _ether(FeeLogic.FEE_VAULT);
        k[0] = StateKeys.nonce(alice);
        k[1] = StateKeys.nonce(bob);
        k[2] = StateKeys.token(TKA);
        k[3] = StateKeys.token(NOWHERE);
        k[4] = StateKeys.balance(TKA, alice);
        k[5] = StateKeys.balance(TKA, bob);
        k[6] = StateKeys.balance(TKA, CAROL);
        k[7] = StateKeys.allowance(TKA, alice, bob);
    }

    /// @dev The genesis storage of the system contract (every key the constructor wrote).
    function _genesisKeys() internal pure returns (bytes32[] memory k) {
        k = new bytes32[](4);
        k[0] = StateKeys.token(TKA);
        k[1] = StateKeys.tokenCount();
        k[2] = StateKeys.tokenAt(0);
        k[3] = StateKeys.supply(TKA);
    }

    /// @notice The chunk replays on L1 to the state the same transactions leave on L2: token
    ///         calls through `L2Token` and the system's entry points, a call of an address
    ///         without a token that changes nothing but the nonce, reverted calls, and a system
    ///         operation among them.
    function test_replay_chunkOfTokenCallsMatchesL2() public {
        Step[] memory steps = _steps();
        bytes32[] memory touched = _touched();
        // The pre-state: the system's genesis storage, the genesis fee state, nonces 0.
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(24);
        bytes memory witness = _fullWitness(keys, values, n);
        bytes32 preRoot = _root(keys, values, n);
        bytes memory data = _chunkOf(steps);

        uint256[2] memory nonces = _runOnL2(steps);
        // What L2 holds now, by hand.
        assertEq(_l2(StateKeys.balance(TKA, alice)), ALICE_A - 100 - 200 - 1, "alice");
        assertEq(_l2(StateKeys.balance(TKA, bob)), BOB_A + 1, "bob");
        assertEq(_l2(StateKeys.balance(TKA, CAROL)), 300, "carol");
        assertEq(_l2(StateKeys.allowance(TKA, alice, bob)), 100, "allowance left");
        assertEq(_l2(StateKeys.token(NOWHERE)), 0, "no token there");

        // L1: the replay from the pre-root.
        (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) =
            _replay(data, preRoot, touched, witness, new BridgeQueue.Contents[](0));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "executed");
        assertEq(txIndex, steps.length, "every transaction");

        // The post-state: L2's storage, and the nonces.
        n = _fromL2(keys, values, n, touched);
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(nonces[0]));
        n = SortedModel.set(keys, values, n, StateKeys.nonce(bob), bytes32(nonces[1]));
        // Scheduled gas: 30,000 + 26,000 + 36,000 + 30,000 + 36,000 + 26,000 + 30,000, paid at
        // PRICE by Alice (five) and Bob (two transferFrom), into the vault.
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), _feeState(214_000));
        n = SortedModel.set(keys, values, n, _ether(alice), bytes32(ETHER_EACH - 142_000 * PRICE));
        n = SortedModel.set(keys, values, n, _ether(bob), bytes32(ETHER_EACH - 72_000 * PRICE));
        n = SortedModel.set(keys, values, n, _ether(FeeLogic.FEE_VAULT), bytes32(214_000 * PRICE));
        n = _begun(keys, values, n);
        assertEq(postRoot, _root(keys, values, n), "the L2 state's root");
        assertTrue(postRoot != preRoot, "something changed");
    }

    /// @dev Runs `steps` on L2, each as its sender to its target, checks which succeed, and
    ///      returns how many transactions Alice and Bob sent.
    function _runOnL2(Step[] memory steps) internal returns (uint256[2] memory nonces) {
        bool[7] memory expectOk = [true, true, true, true, false, false, true];
        for (uint256 i; i < steps.length; i++) {
            vm.prank(vmt.addr(steps[i].key));
            (bool ok,) = steps[i].to.call(steps[i].input);
            assertEq(ok, expectOk[i], string.concat("L2 step ", vm.toString(i)));
            nonces[steps[i].key == ALICE_KEY ? 0 : 1]++;
        }
    }

    /// @dev Replays chunk `ITEMS` of `data` (chunk size 16) from `preRoot`.
    function _replay(
        bytes memory data,
        bytes32 preRoot,
        bytes32[] memory keys,
        bytes memory witness,
        BridgeQueue.Contents[] memory entries
    ) internal returns (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) {
        return _replayAt(ITEMS, data, preRoot, keys, witness, entries);
    }

    /// @dev Replays chunk `index` of `data` (chunk size 16) from `preRoot`.
    function _replayAt(
        uint256 index,
        bytes memory data,
        bytes32 preRoot,
        bytes32[] memory keys,
        bytes memory witness,
        BridgeQueue.Contents[] memory entries
    ) internal returns (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) {
        (outcome, txIndex, postRoot,) = verifier.replayChunk(
            _dataProof(data),
            ChunkVerifier.Params(CHUNK_SIZE, CHAIN_ID, preRoot, 0),
            ChunkVerifier.ChunkProof(index, keys, witness, entries, bytes32(0))
        );
    }

    /// @notice A chunk whose only transaction calls an address without a token: the nonce is
    ///         consumed, nothing else changes (the witness must hold the token's metadata key).
    function test_replay_callOfAnAddressWithoutATokenChangesOnlyTheNonce() public {
        Step[] memory steps = new Step[](1);
        steps[0] = Step(ALICE_KEY, NOWHERE, abi.encodeWithSelector(bytes4(0x23b872dd), bob, CAROL, 7));
        bytes32[] memory touched = new bytes32[](9);
        touched[8] = StateKeys.markets();
        touched[7] = StateKeys.oracles();
        touched[6] = StateKeys.clock();
        touched[0] = StateKeys.nonce(alice);
        touched[1] = StateKeys.feeState();
        touched[2] = _ether(alice);
        touched[3] = _ether(FeeLogic.FEE_VAULT);
        touched[4] = StateKeys.token(NOWHERE);
        touched[5] = StateKeys.l1Fees();
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(24);
        bytes32 preRoot = _root(keys, values, n);
        bytes memory data = _chunkOf(steps);
        (ChunkVerifier.Outcome outcome,, bytes32 postRoot) =
            _replay(data, preRoot, touched, _fullWitness(keys, values, n), new BridgeQueue.Contents[](0));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "executed");
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(uint256(1)));
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), _feeState(36_000)); // a transferFrom
        n = SortedModel.set(keys, values, n, _ether(alice), bytes32(ETHER_EACH - 36_000 * PRICE));
        n = SortedModel.set(keys, values, n, _ether(FeeLogic.FEE_VAULT), bytes32(36_000 * PRICE));
        n = _begun(keys, values, n);
        assertEq(postRoot, _root(keys, values, n), "only the nonce, the fee and the fee state");
        // Without the token's metadata key the proof is incomplete, not a verdict.
        bytes32[] memory fewer = new bytes32[](8);
        (fewer[0], fewer[1], fewer[2], fewer[3], fewer[4], fewer[5], fewer[6], fewer[7]) =
        (touched[0], touched[1], touched[2], touched[3], touched[5], touched[6], touched[7], touched[8]);
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), 0);
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), GENESIS_FEES);
        n = SortedModel.set(keys, values, n, _ether(alice), bytes32(ETHER_EACH));
        n = SortedModel.set(keys, values, n, _ether(FeeLogic.FEE_VAULT), 0);
        n = SortedModel.set(keys, values, n, StateKeys.clock(), 0);
        vm.expectRevert(abi.encodeWithSelector(ChunkVerifier.KeyNotInWitness.selector, StateKeys.token(NOWHERE)));
        verifier.replayChunk(
            _dataProof(data),
            ChunkVerifier.Params(CHUNK_SIZE, CHAIN_ID, preRoot, 0),
            ChunkVerifier.ChunkProof(
                ITEMS, fewer, _fullWitness(keys, values, n), new BridgeQueue.Contents[](0), bytes32(0)
            )
        );
    }

    // =========================================================================================
    // The fee vault's withdrawal (docs/fees.md §6).

    /// @dev Selector of withdrawFees(): the whole calldata of the operation.
    bytes4 constant WITHDRAW_FEES = 0x476343ee;
    /// @dev The L1 address that receives the fees.
    address constant FEE_RECIPIENT = address(0xFEE5);
    /// @dev What the vault holds before the chunk.
    uint256 constant VAULT_FEES = 0.25 ether;

    function test_admissible_withdrawFees() public view {
        bytes memory input = abi.encodeWithSignature("withdrawFees()");
        assertEq(uint32(bytes4(input)), uint32(WITHDRAW_FEES), "selector");
        assertTrue(verifier.admissible(_tx(SYSTEM, input)), "its 4 bytes");
        assertFalse(verifier.admissible(_tx(SYSTEM, abi.encodePacked(input, hex"00"))), "5 bytes");
        assertFalse(verifier.admissible(_tx(SYSTEM, abi.encodePacked(input, uint256(0)))), "36 bytes");
        assertFalse(verifier.admissible(_tx(SYSTEM, hex"476343")), "3 bytes");
        assertFalse(verifier.admissible(_tx(SYSTEM, hex"d9caed12")), "withdraw's selector alone");
        assertFalse(verifier.admissible(_tx(SYSTEM, hex"00000000")), "another 4 bytes");
        assertFalse(verifier.admissible(_tx(TKA, input)), "at a token");
        // No compact form: the codec keeps it as raw calldata.
        assertFalse(BatchCodec.hasCompactForm(input), "no compact form");
        BatchCodec.Tx memory t = _tx(SYSTEM, input);
        t.value = 1;
        assertFalse(verifier.admissible(t), "with value");
        t.value = 0;
        t.gasLimit = 59_999;
        assertFalse(verifier.admissible(t), "below its scheduled gas");
        t.gasLimit = 60_000;
        assertTrue(verifier.admissible(t), "its scheduled gas");
    }

    /// @notice A chunk in which Alice withdraws the vault's fees to the fee recipient, then Bob
    ///         tries again (the vault is empty: the chunk's fees reach it only after its
    ///         transactions, so his reverts), replays on L1 to the state L2 leaves: the vault's
    ///         ether burned, withdrawal 0 of `FEE_VAULT` paying it in L1 ether to the recipient,
    ///         and the vault holding the chunk's fees alone.
    function test_replay_withdrawFeesMatchesL2() public {
        // The genesis the executor lays out beside the constructor's (which registered ether
        // and its origin, L1 ether): the fee recipient, and fees already in the vault.
        assertEq(_l2(StateKeys.tokenOrigin(StateKeys.ETHER)), uint256(StateKeys.originValue(address(0))), "origin");
        assertEq(_l2(StateKeys.supply(StateKeys.ETHER)), 2 * ETHER_EACH, "genesis ether");
        vmt.store(SYSTEM, StateKeys.feeRecipient(), bytes32(uint256(uint160(FEE_RECIPIENT))));
        vmt.store(SYSTEM, _ether(FeeLogic.FEE_VAULT), bytes32(VAULT_FEES));
        vmt.store(SYSTEM, StateKeys.supply(StateKeys.ETHER), bytes32(2 * ETHER_EACH + VAULT_FEES));
        bytes32[] memory touched = _feeTouched();
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(32);
        n = _fromL2(keys, values, n, touched);
        // The fee state is no storage of the system contract: the genesis one.
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), GENESIS_FEES);
        n = SortedModel.set(
            keys, values, n, StateKeys.token(StateKeys.ETHER), vm.load(SYSTEM, StateKeys.token(StateKeys.ETHER))
        );
        bytes32 preRoot = _root(keys, values, n);

        Step[] memory steps = new Step[](2);
        steps[0] = Step(ALICE_KEY, SYSTEM, abi.encodeWithSignature("withdrawFees()"));
        steps[1] = Step(BOB_KEY, SYSTEM, abi.encodeWithSignature("withdrawFees()"));
        (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) =
            _replay(_chunkOf(steps), preRoot, touched, _fullWitness(keys, values, n), new BridgeQueue.Contents[](0));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "executed");
        assertEq(txIndex, 2, "every transaction");

        // L2: Alice's runs, Bob's reverts.
        vm.prank(alice);
        (bool ok, bytes memory ret) = SYSTEM.call(steps[0].input);
        assertTrue(ok, "alice withdraws the fees");
        assertEq(abi.decode(ret, (uint256)), 0, "withdrawal 0 of the vault");
        vm.prank(bob);
        (ok, ret) = SYSTEM.call(steps[1].input);
        assertFalse(ok, "the vault is empty for bob");
        assertEq(keccak256(ret), keccak256(abi.encodeWithSignature("ZeroWithdrawal()")), "ZeroWithdrawal");
        assertEq(_l2(_ether(FeeLogic.FEE_VAULT)), 0, "the vault's ether burned");
        assertEq(_l2(StateKeys.supply(StateKeys.ETHER)), 2 * ETHER_EACH, "the supply with it");
        assertEq(_l2(StateKeys.withdrawalCount(FeeLogic.FEE_VAULT)), 1, "the vault's count");
        assertEq(
            bytes32(_l2(StateKeys.withdrawal(FeeLogic.FEE_VAULT, 0))),
            StateKeys.withdrawalLeaf(address(0), FEE_RECIPIENT, VAULT_FEES),
            "the leaf: L1 ether to the recipient"
        );

        // The post-state: L2's storage, the nonces, and the chunk's end: both pay withdraw's
        // 60,000 gas at PRICE (their L1 part rounds to nothing at the genesis L1 price), which
        // the vault receives after the transactions.
        n = _fromL2(keys, values, n, touched);
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(uint256(1)));
        n = SortedModel.set(keys, values, n, StateKeys.nonce(bob), bytes32(uint256(1)));
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), _feeState(120_000));
        n = SortedModel.set(keys, values, n, _ether(alice), bytes32(ETHER_EACH - 60_000 * PRICE));
        n = SortedModel.set(keys, values, n, _ether(bob), bytes32(ETHER_EACH - 60_000 * PRICE));
        n = SortedModel.set(keys, values, n, _ether(FeeLogic.FEE_VAULT), bytes32(120_000 * PRICE));
        n = _begun(keys, values, n);
        assertEq(postRoot, _root(keys, values, n), "the L2 state's root");
        assertEq(_billed(_signed(steps[0], 0)) * FeeLogic.MIN_L1_BYTE_PRICE / FeeLogic.MIN_BASE_FEE, 0, "no L1 part");
    }

    /// @dev Every key a chunk of `withdrawFees()` calls touches.
    function _feeTouched() internal view returns (bytes32[] memory k) {
        k = new bytes32[](15);
        k[14] = StateKeys.markets();
        k[13] = StateKeys.oracles();
        k[12] = StateKeys.clock();
        k[11] = StateKeys.l1Fees();
        k[0] = StateKeys.nonce(alice);
        k[1] = StateKeys.nonce(bob);
        k[2] = StateKeys.feeState();
        k[3] = _ether(alice);
        k[4] = _ether(bob);
        k[5] = _ether(FeeLogic.FEE_VAULT);
        k[6] = StateKeys.feeRecipient();
        k[7] = StateKeys.tokenOrigin(StateKeys.ETHER);
        k[8] = StateKeys.supply(StateKeys.ETHER);
        k[9] = StateKeys.withdrawalCount(FeeLogic.FEE_VAULT);
        k[10] = StateKeys.withdrawal(FeeLogic.FEE_VAULT, 0);
    }

    /// @notice Without the fee recipient's key in the witness the proof is incomplete, not a
    ///         verdict.
    function test_replay_withdrawFeesNeedsTheRecipientKey() public {
        vmt.store(SYSTEM, StateKeys.feeRecipient(), bytes32(uint256(uint160(FEE_RECIPIENT))));
        bytes32[] memory touched = _feeTouched();
        bytes32[] memory fewer = new bytes32[](10);
        for (uint256 i; i < 6; i++) {
            fewer[i] = touched[i];
        }
        fewer[6] = StateKeys.l1Fees();
        fewer[7] = StateKeys.clock();
        fewer[8] = StateKeys.oracles();
        fewer[9] = StateKeys.markets();
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(32);
        n = _fromL2(keys, values, n, touched);
        // The fee state is no storage of the system contract: the genesis one.
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), GENESIS_FEES);
        Step[] memory steps = new Step[](1);
        steps[0] = Step(ALICE_KEY, SYSTEM, abi.encodeWithSignature("withdrawFees()"));
        vm.expectRevert(abi.encodeWithSelector(ChunkVerifier.KeyNotInWitness.selector, StateKeys.feeRecipient()));
        verifier.replayChunk(
            _dataProof(_chunkOf(steps)),
            ChunkVerifier.Params(CHUNK_SIZE, CHAIN_ID, _root(keys, values, n), 0),
            ChunkVerifier.ChunkProof(
                ITEMS, fewer, _fullWitness(keys, values, n), new BridgeQueue.Contents[](0), bytes32(0)
            )
        );
    }

    // =========================================================================================
    // The L1 data fee (docs/fees.md §2).

    /// @dev The L1 price of the block below: 3.6 gwei a byte. At the lowest base fee, a token
    ///      transfer's 72 billed bytes come to 259,200 gas.
    uint256 constant L1_PRICE = 3.6e9;

    /// @notice Each transaction pays its scheduled gas and its L1 part (its billed bytes at the
    ///         block's L1 price, in gas units at the base fee, rounded down). One whose gas limit
    ///         is below both runs out of gas: it pays its gas limit and uses its nonce, and its
    ///         operation does not run; the transactions after it run. The block's gas counts
    ///         scheduled gas alone, the out-of-gas transaction's included.
    function test_replay_l1PartAndOutOfGas() public {
        Step[] memory steps = new Step[](3);
        steps[0] = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 100));
        steps[1] = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 7));
        steps[2] = Step(BOB_KEY, TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 1));
        BatchCodec.Tx[] memory txs = new BatchCodec.Tx[](3);
        txs[0] = _signedWith(steps[0], 0, 300_000);
        txs[1] = _signedWith(steps[1], 1, 100_000);
        txs[2] = _signedWith(steps[2], 0, 300_000);
        uint256[3] memory l1;
        for (uint256 i; i < 3; i++) {
            l1[i] = _billed(txs[i]) * L1_PRICE / FeeLogic.MIN_BASE_FEE;
        }
        assertEq(l1[0], 259_200, "72 bytes at 3,600 gas a byte");
        assertLe(30_000 + l1[0], 300_000, "the first pays its L1 part");
        assertGt(30_000 + l1[1], 100_000, "the second runs out of gas");
        // The pre-state: the fee state of block 0 committed L1_PRICE.
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(24);
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), bytes32((L1_PRICE << 96) | FeeLogic.MIN_BASE_FEE));
        bytes32 preRoot = _root(keys, values, n);
        (ChunkVerifier.Outcome outcome, uint256 txIndex, bytes32 postRoot) = _replay(
            _batchOf(txs, L1_PRICE), preRoot, _touched(), _fullWitness(keys, values, n), new BridgeQueue.Contents[](0)
        );
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "executed");
        assertEq(txIndex, 3, "every transaction");

        // L2 runs the first and the third; the second changes nothing but its nonce and ether.
        vm.prank(alice);
        (bool ok,) = TKA.call(steps[0].input);
        assertTrue(ok, "the first runs");
        vm.prank(bob);
        (ok,) = TKA.call(steps[2].input);
        assertTrue(ok, "the third runs");
        assertEq(_l2(StateKeys.balance(TKA, CAROL)), 101, "7 not sent");
        n = _fromL2(keys, values, n, _touched());
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(uint256(2)));
        n = SortedModel.set(keys, values, n, StateKeys.nonce(bob), bytes32(uint256(1)));
        // Alice: the first's scheduled gas and L1 part, the second's gas limit; Bob: the third's.
        uint256 alicePays = (30_000 + l1[0] + 100_000) * PRICE;
        uint256 bobPays = (30_000 + l1[2]) * PRICE;
        n = SortedModel.set(keys, values, n, _ether(alice), bytes32(ETHER_EACH - alicePays));
        n = SortedModel.set(keys, values, n, _ether(bob), bytes32(ETHER_EACH - bobPays));
        n = SortedModel.set(keys, values, n, _ether(FeeLogic.FEE_VAULT), bytes32(alicePays + bobPays));
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), _feeStateAt(90_000, L1_PRICE));
        n = _begun(keys, values, n);
        assertEq(postRoot, _root(keys, values, n), "the L2 state's root");
    }

    // =========================================================================================
    // Forced token calls.

    /// @dev The signed EIP-1559 bytes of `step` at `nonce`, at PRICE.
    function _signedRaw(Step memory step, uint64 nonce) internal pure returns (bytes memory) {
        BatchCodec.Tx memory t = _signed(step, nonce);
        return BatchCodec.encodeSigned(t, CHAIN_ID);
    }

    /// @notice Forced transactions reach the token calls too: a transfer runs, a call of an
    ///         address without a token consumes the nonce, ERC-20 calldata sent to the system
    ///         contract is not admissible and is skipped. Each entry has a chunk of its own
    ///         (codec version 6), replayed in turn from the state the one before left.
    function test_replay_forcedTokenCalls() public {
        bytes[] memory raws = new bytes[](3);
        raws[0] = _signedRaw(Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 100)), 0);
        raws[1] = _signedRaw(Step(ALICE_KEY, NOWHERE, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 1)), 1);
        raws[2] = _signedRaw(Step(ALICE_KEY, SYSTEM, abi.encodeWithSelector(bytes4(0xa9059cbb), CAROL, 1)), 2);
        BridgeQueue.Contents[] memory entries = new BridgeQueue.Contents[](3);
        for (uint256 i; i < 3; i++) {
            entries[i].kind = BridgeQueue.KIND_FORCED_TX;
            entries[i].from = alice;
            entries[i].raw = raws[i];
        }
        // One block of 3 queue entries and no transaction, at the genesis L1 price (80 02), no
        // heavy run, no registry: its beginning, then a chunk an entry (chunks 1 to 3), all
        // without bytes.
        bytes memory data = hex"08000000" hex"01e8070100030080020000" hex"00000000";
        bytes32[] memory touched = _touched();
        (bytes32[] memory keys, bytes32[] memory values, uint256 n) = _genesis(24);
        bytes32 root = _root(keys, values, n);
        // Chunk 1, from a state not yet in the block, enters it; its entry, the transfer, runs.
        ChunkVerifier.Outcome outcome;
        (outcome,, root) = _replayAt(1, data, root, touched, _fullWitness(keys, values, n), entryAt(entries, 0));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "entry 0 executed");
        n = SortedModel.set(keys, values, n, StateKeys.balance(TKA, alice), bytes32(ALICE_A - 100));
        n = SortedModel.set(keys, values, n, StateKeys.balance(TKA, CAROL), bytes32(uint256(100)));
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(uint256(1)));
        // Forced transactions are paid for on L1: the block's scheduled gas stays 0.
        n = SortedModel.set(keys, values, n, StateKeys.feeState(), _feeState(0));
        n = _begun(keys, values, n);
        assertEq(root, _root(keys, values, n), "the transfer, nonce 1");
        // Chunk 2, in the block: the call of an address without a token consumes the nonce.
        (outcome,, root) = _replayAt(2, data, root, touched, _fullWitness(keys, values, n), entryAt(entries, 1));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "entry 1 executed");
        n = SortedModel.set(keys, values, n, StateKeys.nonce(alice), bytes32(uint256(2)));
        assertEq(root, _root(keys, values, n), "nonce 2");
        // Chunk 3: the third is skipped, nothing changes.
        (outcome,, root) = _replayAt(3, data, root, touched, _fullWitness(keys, values, n), entryAt(entries, 2));
        assertEq(uint256(outcome), uint256(ChunkVerifier.Outcome.Executed), "entry 2 executed");
        assertEq(root, _root(keys, values, n), "transfer, nonce 2, third skipped");
        // A chunk holds one entry: chunk 1 given all three is refused.
        vm.expectRevert(abi.encodeWithSelector(ChunkVerifier.QueueEntryCount.selector, 1, 3));
        _replayAt(1, data, root, touched, _fullWitness(keys, values, n), entries);
    }

    /// @notice `ForcedTx` reads the target: a token's is kept; a target that is not 20 bytes
    ///         (an empty one would create a contract) is not a transaction.
    function test_forcedTx_readsTheTarget() public view {
        BatchDecoder decoder = verifier.decoder();
        Step memory step = Step(ALICE_KEY, TKA, abi.encodeWithSelector(bytes4(0x095ea7b3), bob, 9));
        BatchCodec.Tx memory t = _signed(step, 4);
        (bool ok, BatchCodec.Tx memory d) = decoder.decodeForced(BatchCodec.encodeSigned(t, CHAIN_ID), CHAIN_ID);
        assertTrue(ok, "a token call");
        assertEq(d.to, TKA, "to");
        assertEq(keccak256(d.input), keccak256(step.input), "input");
        assertEq(uint256(d.nonce), 4, "nonce");
        // The same fields with another `to` item.
        _eqRaw(_rlpSigned(t, abi.encodePacked(hex"94", TKA)), BatchCodec.encodeSigned(t, CHAIN_ID), "the rebuild");
        bytes[] memory bad = new bytes[](4);
        bad[0] = hex"80";
        bad[1] = abi.encodePacked(hex"93", bytes19(bytes20(TKA)));
        bad[2] = abi.encodePacked(hex"95", TKA, hex"00");
        bad[3] = abi.encodePacked(hex"d5", hex"94", TKA);
        for (uint256 i; i < bad.length; i++) {
            (ok,) = decoder.decodeForced(_rlpSigned(t, bad[i]), CHAIN_ID);
            assertFalse(ok, string.concat("to item ", vm.toString(i)));
        }
    }

    function _eqRaw(bytes memory got, bytes memory expected, string memory what) internal pure {
        assertEq(keccak256(got), keccak256(expected), what);
    }

    // =========================================================================================
    // Helpers: signing, the chunk's bytes, the data proof, the state model and its witness.

    /// @dev `step` as a signed EIP-1559 transaction at `nonce`, fee cap PRICE and no tip, gas
    ///      limit 300,000.
    function _signed(Step memory step, uint64 nonce) internal pure returns (BatchCodec.Tx memory t) {
        return _signedWith(step, nonce, 300_000);
    }

    /// @dev `_signed` with the gas limit `gasLimit`.
    function _signedWith(Step memory step, uint64 nonce, uint64 gasLimit)
        internal
        pure
        returns (BatchCodec.Tx memory t)
    {
        t.eip1559 = true;
        t.nonce = nonce;
        t.gasLimit = gasLimit;
        t.maxFeePerGas = uint128(PRICE);
        t.to = step.to;
        t.input = step.input;
        (uint8 v, bytes32 r, bytes32 s) = vmt.sign(step.key, BatchCodec.signingHash(t, CHAIN_ID));
        (t.yParity, t.r, t.s) = (v == 28, r, s);
    }

    /// @dev A batch of one block (number 1, at the genesis L1 price) holding `steps` in one
    ///      chunk (`ITEMS`, after the block's beginning), signed at their senders' nonces from 0.
    function _chunkOf(Step[] memory steps) internal view returns (bytes memory) {
        BatchCodec.Tx[] memory txs = new BatchCodec.Tx[](steps.length);
        uint64[2] memory nonces;
        for (uint256 i; i < steps.length; i++) {
            uint256 who = steps[i].key == ALICE_KEY ? 0 : 1;
            txs[i] = _signed(steps[i], nonces[who]++);
        }
        return _batchOf(txs, FeeLogic.MIN_L1_BYTE_PRICE);
    }

    /// @dev A batch (version 6) of one block (number 1) committing the L1 price `l1BytePrice`,
    ///      holding `txs` (light, at most `CHUNK_SIZE`) in one chunk (`ITEMS`), after the
    ///      block's beginning (chunk length 0).
    function _batchOf(BatchCodec.Tx[] memory txs, uint256 l1BytePrice) internal view returns (bytes memory) {
        require(txs.length <= CHUNK_SIZE, "one chunk");
        address[] memory reg = _registry();
        bytes memory chunk;
        for (uint256 i; i < txs.length; i++) {
            chunk = abi.encodePacked(chunk, _encode(txs[i], reg));
        }
        // Delta 0, no queue entry; after the L1 price, no heavy run (00).
        bytes memory out =
            abi.encodePacked(hex"08000000", hex"01e8070100", hex"00", _varint(txs.length), _num(l1BytePrice), hex"00");
        out = abi.encodePacked(out, _varint(reg.length));
        for (uint256 i; i < reg.length; i++) {
            out = abi.encodePacked(out, reg[i]);
        }
        return abi.encodePacked(out, hex"00", _varint(chunk.length), chunk);
    }

    /// @dev The bytes the L1 data fee bills of `t` (docs/fees.md §2.2): its encoding, each
    ///      registry reference counted as 2 bytes (every one here takes 1: the registry is small).
    function _billed(BatchCodec.Tx memory t) internal view returns (uint256) {
        // Raw calldata has no registry reference.
        if (t.to == SYSTEM && t.input.length == 4) return _encode(t, _registry()).length;
        uint256 references = bytes4(t.input) == 0x23b872dd ? 2 : 1;
        return _encode(t, _registry()).length + references;
    }

    /// @dev The codec bytes (§3.3) of an EIP-1559 transaction at PRICE: a system `transfer`,
    ///      `withdrawFees()` as raw calldata (operation 0: its length, then its 4 bytes), or a
    ///      token call (head bit 6: target and first address as the pair, for transferFrom the
    ///      second address's index, then the amount).
    function _encode(BatchCodec.Tx memory t, address[] memory reg) internal pure returns (bytes memory) {
        bytes4 sel = bytes4(t.input);
        // EIP-1559; the gas limit and fees written out (zero defaults); the y-parity in `s`.
        uint256 head = 0x01;
        bytes32 s = bytes32(uint256(t.s) | (t.yParity ? 1 << 255 : 0));
        if (t.to == SYSTEM && sel == WITHDRAW_FEES) {
            require(t.input.length == 4 && t.nonce < 0x80 && t.maxFeePerGas == PRICE, "withdrawFees() alone");
            return
                abi.encodePacked(_byte(head), _byte(t.nonce), _num(t.gasLimit), hex"0026", _varint(4), t.input, t.r, s);
        }
        uint256 i0;
        uint256 i1;
        bytes memory rest;
        if (t.to == SYSTEM) {
            require(sel == 0xbeabacc8, "only the system's transfer");
            head |= 1 << 3;
            (i0, i1) = (_indexOf(reg, _addressWord(t.input, 0)), _indexOf(reg, _addressWord(t.input, 1)));
            rest = _num(_word(t.input, 2));
        } else {
            uint256 op = sel == 0xa9059cbb ? 1 : sel == 0x095ea7b3 ? 2 : 3;
            head |= 0x40 | (op << 3);
            (i0, i1) = (_indexOf(reg, t.to), _indexOf(reg, _addressWord(t.input, 0)));
            rest = op == 3
                ? abi.encodePacked(_varint(_indexOf(reg, _addressWord(t.input, 1))), _num(_word(t.input, 2)))
                : _num(_word(t.input, 1));
        }
        // Nonce (below 128 here), gas limit (300,000 is the number 0x65), the tip 0 (00) and the
        // fee cap 10^6 (0x26: m 1, e 6), the pair.
        require(t.nonce < 0x80 && t.maxFeePerGas == PRICE, "one-byte nonce, the fee cap PRICE");
        return abi.encodePacked(
            _byte(head), _byte(t.nonce), _num(t.gasLimit), hex"0026", _varint(i0 * reg.length + i1), rest, t.r, s
        );
    }

    function _word(bytes memory input, uint256 i) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(input, 36), shl(5, i)))
        }
    }

    function _addressWord(bytes memory input, uint256 i) internal pure returns (address) {
        return address(uint160(_word(input, i)));
    }

    function _indexOf(address[] memory reg, address a) internal pure returns (uint256) {
        for (uint256 i; i < reg.length; i++) {
            if (reg[i] == a) return i;
        }
        revert("address not in the registry");
    }

    /// @dev The data proof of `data` revealing every segment.
    function _dataProof(bytes memory data) internal pure returns (BatchDecoder.DataProof memory d) {
        uint256 n = DataCommitment.segmentCount(data.length);
        d.length = data.length;
        d.segmentHashes = new bytes32[](n);
        d.revealed = new uint256[](n);
        d.segments = new bytes[](n);
        for (uint256 i; i < n; i++) {
            uint256 start = i * DataCommitment.SEGMENT_BYTES;
            uint256 end = start + DataCommitment.SEGMENT_BYTES;
            if (end > data.length) end = data.length;
            bytes memory segment = new bytes(end - start);
            for (uint256 j; j < segment.length; j++) {
                segment[j] = data[start + j];
            }
            d.segmentHashes[i] = keccak256(segment);
            d.revealed[i] = i;
            d.segments[i] = segment;
        }
    }

    /// @dev An empty sorted state model with room for `room` leaves.
    function _model(uint256 room) internal pure returns (bytes32[] memory keys, bytes32[] memory values, uint256) {
        return (new bytes32[](room), new bytes32[](room), 0);
    }

    /// @dev Sets each of `ks` in the model to its value in the system contract's storage on L2
    ///      (nonce keys are not storage: they read as 0 there and are left alone).
    function _fromL2(bytes32[] memory keys, bytes32[] memory values, uint256 n, bytes32[] memory ks)
        internal
        view
        returns (uint256)
    {
        for (uint256 i; i < ks.length; i++) {
            if (ks[i] == StateKeys.nonce(alice) || ks[i] == StateKeys.nonce(bob)) continue;
            n = SortedModel.set(keys, values, n, ks[i], vm.load(SYSTEM, ks[i]));
        }
        return n;
    }

    function _l2(bytes32 key) internal view returns (uint256) {
        return uint256(vm.load(SYSTEM, key));
    }

    /// @dev The first `n` entries of the model as their own arrays.
    function _prefix(bytes32[] memory a, uint256 n) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](n);
        for (uint256 i; i < n; i++) {
            out[i] = a[i];
        }
    }

    function _root(bytes32[] memory keys, bytes32[] memory values, uint256 n) internal pure returns (bytes32) {
        return SparseMerkle.computeRoot(_prefix(keys, n), _prefix(values, n));
    }

    /// @dev The witness revealing the whole tree of the model (docs/state-commitment.md §8.1).
    function _fullWitness(bytes32[] memory keys, bytes32[] memory values, uint256 n)
        internal
        pure
        returns (bytes memory)
    {
        return _encodeFull(keys, values, 0, n, 0);
    }

    // -----------------------------------------------------------------------------------------
    // A small RLP encoder, for signed transactions with a chosen `to` item.

    function _rlpUint(uint256 v) internal pure returns (bytes memory) {
        if (v == 0) return hex"80";
        if (v < 0x80) return abi.encodePacked(_byte(v));
        uint256 n;
        for (uint256 x = v; x != 0; x >>= 8) {
            n++;
        }
        bytes memory b = new bytes(n);
        for (uint256 i; i < n; i++) {
            b[i] = _byte(v >> (8 * (n - 1 - i)));
        }
        return abi.encodePacked(_byte(0x80 + n), b);
    }

    function _rlpBytes(bytes memory b) internal pure returns (bytes memory) {
        require(b.length < 256, "one length byte");
        if (b.length == 1 && uint8(b[0]) < 0x80) return b;
        if (b.length < 56) return abi.encodePacked(_byte(0x80 + b.length), b);
        return abi.encodePacked(hex"b8", _byte(b.length), b);
    }

    /// @dev `0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, <toItem>, 0, data, [], parity, r, s])`.
    function _rlpSigned(BatchCodec.Tx memory t, bytes memory toItem) internal pure returns (bytes memory) {
        bytes memory p = abi.encodePacked(
            _rlpUint(CHAIN_ID), _rlpUint(t.nonce), _rlpUint(t.maxPriorityFeePerGas), _rlpUint(t.maxFeePerGas)
        );
        p = abi.encodePacked(p, _rlpUint(t.gasLimit), toItem, hex"80", _rlpBytes(t.input), hex"c0");
        p = abi.encodePacked(p, _rlpUint(t.yParity ? 1 : 0), _rlpUint(uint256(t.r)), _rlpUint(uint256(t.s)));
        require(p.length < 256, "one length byte");
        return abi.encodePacked(hex"02", hex"f8", _byte(p.length), p);
    }
}
