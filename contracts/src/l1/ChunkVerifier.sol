// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FeeLogic} from "../logic/FeeLogic.sol";
import {LedgerLogic} from "../logic/LedgerLogic.sol";
import {Operations} from "../logic/Operations.sol";
import {StateKeys} from "../logic/StateKeys.sol";
import {BatchCodec} from "../lib/BatchCodec.sol";
import {StateWitness} from "../lib/StateWitness.sol";
import {BatchDecoder} from "./BatchDecoder.sol";
import {BridgeQueue} from "../lib/BridgeQueue.sol";
import {ReplayState} from "../lib/ReplayState.sol";
import {ReplayLogic} from "./ReplayLogic.sol";

/// @title ChunkVerifier
/// @notice The L1 step verifier: replays one chunk of an L2 batch with the same DeFi logic the
///         L2 system contract runs (`ReplayLogic`: `AmmLogic` and `BridgeLogic` over
///         `StateAccess`), against a state witness proven against the chunk's pre-state root,
///         and reports what the chunk does: the state root after it, or the first rule it
///         breaks (undecodable bytes, an L1 price out of its bound, an inadmissible
///         transaction, a wrong nonce, a fee it cannot pay). Stateless: the inbox calls it
///         while it judges a fraud proof. Normative text: docs/fraud-proofs.md §6.
/// @dev State lives in transient storage (EIP-1153) for the length of one replay
///      (`ReplayState`). Each transaction runs as a DELEGATECALL into `logic` with its own
///      calldata, so that a revert rolls its writes back exactly as the EVM does on L2, and the
///      logic's external functions are the dispatch. A token call (a transaction to a token's
///      ERC-20 face, `L2Token`) runs as `ReplayLogic.replayTokenCall`, which does what the
///      token's code does on L2.
contract ChunkVerifier {
    /// @notice What a replayed chunk turned out to be.
    enum Outcome {
        /// Every transaction is valid; `postRoot` is the state root after the chunk.
        Executed,
        /// The header or the chunk's bytes break a codec rule (docs/batch-codec.md §5).
        Undecodable,
        /// Transaction `txIndex` is not admissible (docs/fraud-proofs.md §3.1).
        Inadmissible,
        /// Transaction `txIndex` does not carry its sender's current nonce.
        WrongNonce,
        /// Transaction `txIndex` cannot pay for itself (docs/fees.md §5): its fee cap is below
        /// the block's base fee, or its sender holds less than `gasLimit × maxFeePerGas + value`.
        CannotPay,
        /// The chunk's block commits an L1 price out of the bound from the fee state's
        /// (docs/fees.md §4), or another price than its earlier chunks: the chunk is invalid
        /// before any of its items.
        WrongL1Price
    }

    /// @notice What the replay needed was not in the witness: the proof is incomplete, not a
    ///         verdict on the chunk.
    error KeyNotInWitness(bytes32 key);
    /// @notice The witness does not hash to the chunk's pre-state root.
    error WrongPreRoot(bytes32 expected, bytes32 witnessRoot);
    /// @notice Transaction `txIndex` ran out of L1 gas: the proof needs more gas.
    error StepOutOfGas(uint256 txIndex);
    /// @notice Decoding failed for a reason that is not a codec rule (out of gas, for one).
    ///         Raised by the decoder and passed on; declared here so that the verifier's ABI
    ///         names every error a replay can end with.
    error NotCodecError(bytes reason);
    /// @notice A revealed segment is out of order, of the wrong length, or not the committed
    ///         one (raised by the decoder, see `NotCodecError`).
    error BadSegment(uint256 position);
    /// @notice Decoding needs segment `segment`, which the proof does not reveal (raised by the
    ///         decoder, see `NotCodecError`).
    error SegmentNotRevealed(uint256 segment);
    /// @notice The chunk holds `expected` entries of the bridge's queue; the proof gives `given`.
    error QueueEntryCount(uint256 expected, uint256 given);
    /// @notice Entry `position` of the proof has a kind the bridge does not queue.
    error UnknownQueueEntryKind(uint256 position, uint256 kind);

    /// @notice Signed gas limits outside this range are not admissible.
    uint256 public constant MIN_GAS_LIMIT = 21_000;
    /// @notice See `MIN_GAS_LIMIT`.
    uint256 public constant MAX_GAS_LIMIT = 30_000_000;
    /// @notice Longest admissible calldata.
    uint256 public constant MAX_INPUT_BYTES = 1024;

    /// @notice A part the verifier is built from has no code.
    error NoCode(address part);

    /// @notice Reads the batch data and its chunks for the verifier.
    BatchDecoder public immutable decoder;
    /// @notice The logic each transaction runs as, delegated to.
    ReplayLogic public immutable logic;

    /// @dev The decoder and the logic are deployed first, each on its own, so that every part
    ///      stays under EIP-170's code size and the verifier's creation code under EIP-3860's
    ///      (docs/operations.md). The deployer chooses them as it chooses the verifier the
    ///      inbox trusts: `rollup deploy` deploys all three from the committed artifacts, and an
    ///      auditor checks the three runtime codes against them.
    constructor(BatchDecoder decoder_, ReplayLogic logic_) {
        if (address(decoder_).code.length == 0) revert NoCode(address(decoder_));
        if (address(logic_).code.length == 0) revert NoCode(address(logic_));
        decoder = decoder_;
        logic = logic_;
    }

    /// @notice What a replay needs besides the data and the witness.
    struct Params {
        /// The chain's chunk size (`BatchInbox.chunkSize`).
        uint256 chunkSize;
        /// The L2 chain id (`BatchInbox.l2ChainId`).
        uint256 chainId;
        /// The state root before the chunk.
        bytes32 preRoot;
        /// The queue index of the batch's first entry (the previous batch's `queueEnd`).
        uint256 queueStart;
    }

    /// @notice A chunk proof (docs/fraud-proofs.md §6.3): the chunk, every state key it touches
    ///         with their witness, and the contents of the queue entries it holds.
    struct ChunkProof {
        /// The chunk at fault.
        uint256 chunkIndex;
        /// Every state key the chunk touches (up to the transaction at fault).
        bytes32[] keys;
        /// Their witness against the root before the chunk (docs/state-commitment.md §8).
        bytes witness;
        /// The contents of the queue entries the chunk holds, in order (docs/bridge.md §6).
        BridgeQueue.Contents[] entries;
        /// The bridge's accumulator before the first of them (unused without entries).
        bytes32 queueAccBefore;
    }

    /// @notice The queue entries of a replayed chunk: entries `first … first + count - 1` of the
    ///         bridge's queue, which the proof claims follow accumulator `accBefore`; replayed,
    ///         they chain to `accAfter`. The caller checks both against the bridge: only then
    ///         are the entries the queue's (docs/bridge.md §6).
    struct QueueSpan {
        uint256 first;
        uint256 count;
        bytes32 accBefore;
        bytes32 accAfter;
    }

    /// @notice Replays chunk `proof.chunkIndex` of `data` from `params.preRoot`: first the queue
    ///         entries it holds (`proof.entries`, their contents; `proof.queueAccBefore` the
    ///         bridge's accumulator before the first), then its transactions. `proof.keys` lists
    ///         every state key the chunk reads or writes (storage keys and the senders' nonce
    ///         keys) and `proof.witness` proves their values against the pre-root
    ///         (docs/state-commitment.md §8). The caller must check `span` against the bridge
    ///         before trusting the outcome.
    /// @return outcome What the chunk is.
    /// @return txIndex For `Inadmissible`, `WrongNonce` and `CannotPay`, the transaction at fault (its
    ///         position among the chunk's transactions); for `WrongL1Price` 0; otherwise the
    ///         number of transactions.
    /// @return postRoot For `Executed`, the state root after the chunk.
    /// @return span The queue entries the chunk holds (none for an undecodable chunk; for
    ///         `WrongL1Price` they are chained, not run).
    function replayChunk(BatchDecoder.DataProof calldata data, Params calldata params, ChunkProof calldata proof)
        external
        returns (Outcome outcome, uint256 txIndex, bytes32 postRoot, QueueSpan memory span)
    {
        BatchCodec.Tx[] memory txs;
        BatchCodec.Chunk memory chunk;
        (txs, span, chunk) = _decode(data, params, proof);
        if (span.first == type(uint256).max) return (Outcome.Undecodable, 0, bytes32(0), QueueSpan(0, 0, 0, 0));
        (outcome, txIndex, postRoot) = _execute(txs, chunk, params, proof, span);
    }

    /// @dev Loads the witness, enters the chunk's block in the fee state with the block's L1
    ///      price (`WrongL1Price`, before any item runs, when the price breaks its bound: the
    ///      witness then needs the fee state alone), runs the queue entries (setting
    ///      `span.accAfter`) and the transactions, and when every transaction is valid writes
    ///      the fee state and computes the post-root.
    function _execute(
        BatchCodec.Tx[] memory txs,
        BatchCodec.Chunk memory chunk,
        Params calldata params,
        ChunkProof calldata proof,
        QueueSpan memory span
    ) private returns (Outcome outcome, uint256 txIndex, bytes32 postRoot) {
        (StateWitness.Tree memory tree, uint256 replay) = _loadWitness(params.preRoot, proof.keys, proof.witness);
        // The logic's `_timestamp()`: the chunk's block's, from the batch's block table.
        _tstore(ReplayState.TIMESTAMP_SLOT, chunk.timestamp);
        bytes32 feeKey = StateKeys.feeState();
        (uint256 fees, bool entered) = _enterBlock(feeKey, chunk, replay);
        // The entries are chained all the same, for the caller's check against the bridge.
        span.accAfter = _runQueue(proof.entries, span, params.chainId, replay, entered);
        if (!entered) return (Outcome.WrongL1Price, 0, bytes32(0));
        uint256 taken;
        (outcome, txIndex, fees, taken) = _runTransactions(txs, params.chainId, replay, fees);
        if (outcome == Outcome.Executed) {
            _tstore(feeKey, fees);
            // The vault is credited once, after the chunk's transactions (which may have sent
            // it ether themselves): docs/fees.md §6.
            bytes32 vaultKey = StateKeys.balance(StateKeys.ETHER, FeeLogic.FEE_VAULT);
            uint256 vault = _known(vaultKey, replay);
            unchecked {
                vault = vault + taken < vault ? type(uint256).max : vault + taken;
            }
            _tstore(vaultKey, vault);
            postRoot = _postRoot(tree, proof.keys);
        }
    }

    /// @dev The fee state entered into the chunk's block (`FeeLogic.enterBlock`), and whether the
    ///      block's L1 price keeps its bound. The chain's reading of the L1's fees bounds the
    ///      price of a block as it is entered (docs/fees.md §4): a later chunk of the block reads
    ///      neither it nor the bound. A chunk that enters its block with a price in bound then
    ///      begins the block (`ReplayLogic.replayBeginBlock`, the L2's `beginBlock` system call),
    ///      before its first item.
    function _enterBlock(bytes32 feeKey, BatchCodec.Chunk memory chunk, uint256 replay)
        private
        returns (uint256 fees, bool entered)
    {
        uint256 word = _known(feeKey, replay);
        bool begins = FeeLogic.entersNewBlock(word, chunk.blockNumber);
        uint256 cap = begins ? FeeLogic.l1PriceCap(_known(StateKeys.l1Fees(), replay)) : 0;
        (fees, entered) = FeeLogic.enterBlock(word, chunk.blockNumber, chunk.l1BytePrice, cap);
        if (entered && begins) _call(abi.encodeCall(ReplayLogic.replayBeginBlock, ()), 0);
    }

    /// @dev The state root after the replay: the witness tree with every key's value now.
    function _postRoot(StateWitness.Tree memory tree, bytes32[] calldata keys) private view returns (bytes32) {
        for (uint256 i; i < keys.length; ++i) {
            bytes32 key = keys[i];
            StateWitness.set(tree, key, _tload(key));
        }
        return StateWitness.postRoot(tree);
    }

    /// @dev Decodes the chunk and checks that the proof gives as many queue entries as it
    ///      holds; `span.first` is `type(uint256).max` when the chunk does not decode.
    function _decode(BatchDecoder.DataProof calldata data, Params calldata params, ChunkProof calldata proof)
        private
        view
        returns (BatchCodec.Tx[] memory txs, QueueSpan memory span, BatchCodec.Chunk memory chunk)
    {
        bool decodes;
        (decodes, txs, chunk) = decoder.decodeChunk(data, params.chunkSize, proof.chunkIndex);
        if (!decodes) {
            span.first = type(uint256).max;
            return (txs, span, chunk);
        }
        span.count = chunk.queueCount;
        if (proof.entries.length != span.count) revert QueueEntryCount(span.count, proof.entries.length);
        span.first = params.queueStart + chunk.queueOffset;
        span.accBefore = proof.queueAccBefore;
    }

    /// @dev Replays the chunk's queue entries in order (entry `i` is queue entry
    ///      `span.first + i`), or only chains them when `run` is false, and returns the
    ///      accumulator after them, chained from `span.accBefore`.
    function _runQueue(
        BridgeQueue.Contents[] calldata entries,
        QueueSpan memory span,
        uint256 chainId,
        uint256 replay,
        bool run
    ) private returns (bytes32 acc) {
        acc = span.accBefore;
        for (uint256 i; i < entries.length; ++i) {
            BridgeQueue.Contents calldata e = entries[i];
            if (e.kind > BridgeQueue.KIND_L1_FEES) revert UnknownQueueEntryKind(i, e.kind);
            acc = BridgeQueue.chain(acc, BridgeQueue.hashOf(e), e.l1Block);
            if (!run) continue;
            if (e.kind == BridgeQueue.KIND_FORCED_TX) {
                _runForced(e.raw, chainId, replay, i);
                continue;
            }
            if (e.kind == BridgeQueue.KIND_L1_FEES) {
                // What the L2's `reportL1Fees` system call runs; it cannot revert.
                _call(abi.encodeCall(ReplayLogic.replayL1Fees, (span.first + i, e.amount, e.meta)), i);
                continue;
            }
            // As on L2, a deposit runs as a call of its own: a revert (which the logic never
            // does for an entry the bridge queued) would leave no trace.
            _call(abi.encodeCall(ReplayLogic.replayDeposit, (span.first + i, e.l1Token, e.to, e.amount, e.meta)), i);
        }
    }

    /// @dev A forced transaction (docs/bridge.md §3.3): run like a transaction of the chunk
    ///      when it decodes, is admissible and carries its sender's nonce; skipped otherwise
    ///      (no state change, and not a fault).
    function _runForced(bytes calldata raw, uint256 chainId, uint256 replay, uint256 position) private {
        (bool ok, BatchCodec.Tx memory t) = decoder.decodeForced(raw, chainId);
        if (!ok || !admissible(t)) return;
        address sender = BatchCodec.recoverSender(t, chainId);
        if (sender == address(0)) return;
        bytes32 nonceKey = StateKeys.nonce(sender);
        uint256 nonce = _known(nonceKey, replay);
        if (t.nonce != nonce) return;
        _tstore(nonceKey, nonce + 1);
        _tstore(ReplayState.SENDER_SLOT, uint256(uint160(sender)));
        _run(t, position);
        _tstore(ReplayState.SENDER_SLOT, 0);
    }

    /// @dev Runs an admitted transaction of the current sender: a system operation as a call
    ///      with its own calldata, a native transfer as the ledger's `transfer` of ether (what
    ///      the executor runs on L2), a token call through `replayTokenCall`.
    function _run(BatchCodec.Tx memory t, uint256 position) private {
        if (t.to == BatchCodec.SYSTEM_CONTRACT) {
            _call(t.input, position);
        } else if (t.input.length == 0) {
            _call(abi.encodeCall(LedgerLogic.transfer, (StateKeys.ETHER, t.to, t.value)), position);
        } else {
            _call(abi.encodeCall(ReplayLogic.replayTokenCall, (t.to, t.input)), position);
        }
    }

    /// @dev Delegates `input` to the logic (its dispatch, under the replay's transient
    ///      state). A revert of the logic is an outcome, as on L2; a revert
    ///      without data is the L1 call running out of gas (`StepOutOfGas` at `position`), and a
    ///      key missing from the witness aborts the proof.
    function _call(bytes memory input, uint256 position) private {
        (bool ok, bytes memory ret) = address(logic).delegatecall(input);
        if (!ok) {
            // The logic always reverts with data (a custom error or a panic).
            if (ret.length == 0) revert StepOutOfGas(position);
            // forge-lint: disable-next-line(unsafe-typecast)
            if (bytes4(ret) == KeyNotInWitness.selector) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }

    /// @dev Checks the witness against `preRoot` and loads the value of every listed key into
    ///      transient storage, for a new replay whose number it returns.
    function _loadWitness(bytes32 preRoot, bytes32[] calldata keys, bytes calldata witness)
        private
        returns (StateWitness.Tree memory tree, uint256 replay)
    {
        tree = StateWitness.decode(witness);
        bytes32 witnessRoot = StateWitness.preRoot(tree);
        if (witnessRoot != preRoot) revert WrongPreRoot(preRoot, witnessRoot);
        replay = _tload(ReplayState.REPLAY_SLOT) + 1;
        _tstore(ReplayState.REPLAY_SLOT, replay);
        for (uint256 i; i < keys.length; ++i) {
            bytes32 key = keys[i];
            _tstore(key, StateWitness.get(tree, key));
            _tstore(ReplayState.knownSlot(key), replay);
        }
    }

    /// @dev Admits and runs the transactions in order, adding each one's scheduled gas to the
    ///      fee state `fees` and its fee to `taken` (docs/fees.md §6); stops at the first that is
    ///      not admissible, that the block cannot hold (`FeeLogic.BLOCK_GAS_LIMIT`), that carries
    ///      a wrong nonce or that cannot pay. A transaction out of gas pays and uses its nonce
    ///      but does not run.
    function _runTransactions(BatchCodec.Tx[] memory txs, uint256 chainId, uint256 replay, uint256 fees)
        private
        returns (Outcome, uint256, uint256, uint256 taken)
    {
        for (uint256 i; i < txs.length; ++i) {
            BatchCodec.Tx memory t = txs[i];
            Outcome outcome;
            uint256 fee;
            bool outOfGas;
            (outcome, fees, fee, outOfGas) = _begin(t, chainId, replay, fees);
            if (outcome != Outcome.Executed) return (outcome, i, fees, taken);
            // Fees are at most the ether there is: below 2^256.
            taken += fee;
            if (!outOfGas) _run(t, i);
        }
        _tstore(ReplayState.SENDER_SLOT, 0);
        return (Outcome.Executed, txs.length, fees, taken);
    }

    /// @dev The checks of one transaction before it runs, in order: admissible, signed, held by
    ///      the block (its scheduled gas added to `fees`), its sender's nonce (consumed), its fee
    ///      (taken). `Executed` when it may run (the sender is then the current one), unless it
    ///      is `outOfGas`: it then paid its gas limit and used its nonce, and does not run
    ///      (docs/fees.md §2).
    function _begin(BatchCodec.Tx memory t, uint256 chainId, uint256 replay, uint256 fees)
        private
        returns (Outcome, uint256, uint256 fee, bool outOfGas)
    {
        if (!admissible(t)) return (Outcome.Inadmissible, fees, 0, false);
        address sender = BatchCodec.recoverSender(t, chainId);
        if (sender == address(0)) return (Outcome.Inadmissible, fees, 0, false);
        uint256 scheduled = FeeLogic.scheduledGas(t.to, t.input);
        bool ok;
        (fees, ok) = FeeLogic.addGas(fees, scheduled);
        if (!ok) return (Outcome.Inadmissible, fees, 0, false);
        bytes32 nonceKey = StateKeys.nonce(sender);
        uint256 nonce = _known(nonceKey, replay);
        if (t.nonce != nonce) return (Outcome.WrongNonce, fees, 0, false);
        (ok, fee, outOfGas) = _pay(t, sender, scheduled, fees, replay);
        if (!ok) return (Outcome.CannotPay, fees, 0, false);
        // The nonce is consumed whatever the call does, or when it does not run.
        _tstore(nonceKey, nonce + 1);
        _tstore(ReplayState.SENDER_SLOT, uint256(uint160(sender)));
        return (Outcome.Executed, fees, fee, outOfGas);
    }

    /// @dev Takes the fee of `t`, a transaction of `scheduled` gas from `sender`, in the block
    ///      of the fee state `fees` (its base fee and L1 price) from the sender's ether, before
    ///      its operation runs (docs/fees.md §2, §5): `FeeLogic.charge` of its scheduled gas and
    ///      its L1 gas (`FeeLogic.l1Gas` of its billed bytes). `paid` is false, and nothing
    ///      changes, when it cannot pay; `outOfGas` when its gas limit is below what it needs.
    function _pay(BatchCodec.Tx memory t, address sender, uint256 scheduled, uint256 fees, uint256 replay)
        private
        returns (bool paid, uint256 fee, bool outOfGas)
    {
        bytes32 key = StateKeys.balance(StateKeys.ETHER, sender);
        uint256 balance = _known(key, replay);
        uint256 baseFee = FeeLogic.baseFeeOfWord(fees);
        // What it needs: its scheduled gas and its L1 gas, both below 2^64 (the sum fits).
        scheduled += FeeLogic.l1Gas(t.billedBytes, FeeLogic.l1PriceOfWord(fees), baseFee);
        (paid, fee,, outOfGas) = FeeLogic.charge(
            t.eip1559, t.gasLimit, t.maxFeePerGas, t.maxPriorityFeePerGas, t.value, scheduled, baseFee, balance
        );
        if (paid) _tstore(key, balance - fee);
    }

    /// @notice Whether a decoded transaction passes the admission rules that the codec does not
    ///         already imply (docs/fraud-proofs.md §3.1): the gas limit range, the tip, the
    ///         input length, and an input that is, for the system contract, the canonical ABI
    ///         encoding of one of the nine state-changing operations (`withdrawFees`'s is its
    ///         selector alone), and for any other target either empty (a native transfer, the
    ///         only transaction that may carry value) or a canonical token call (ERC-20
    ///         `transfer`, `approve` or `transferFrom`, `BatchCodec.hasTokenCallForm`). The
    ///         signature is checked by `recoverSender`.
    function admissible(BatchCodec.Tx memory t) public pure returns (bool) {
        if (t.gasLimit < MIN_GAS_LIMIT || t.gasLimit > MAX_GAS_LIMIT) return false;
        // The gas limit covers the operation's scheduled gas (geth's "intrinsic gas too low").
        if (t.gasLimit < FeeLogic.scheduledGas(t.to, t.input)) return false;
        if (t.eip1559 && t.maxPriorityFeePerGas > t.maxFeePerGas) return false;
        bytes memory input = t.input;
        if (input.length > MAX_INPUT_BYTES) return false;
        if (input.length == 0) return t.to != BatchCodec.SYSTEM_CONTRACT;
        if (t.value != 0) return false;
        if (t.to != BatchCodec.SYSTEM_CONTRACT) return BatchCodec.hasTokenCallForm(input);
        // A 4-byte input is its selector alone.
        // forge-lint: disable-next-line(unsafe-typecast)
        if (input.length == 4) return uint32(bytes4(input)) == Operations.SELECTOR_WITHDRAW_FEES;
        return BatchCodec.hasCompactForm(input) || _canonicalCreateToken(input);
    }

    // -----------------------------------------------------------------------------------------
    // Private helpers.

    /// @dev The value of a key loaded by replay `replay`, or `KeyNotInWitness`.
    function _known(bytes32 key, uint256 replay) private view returns (uint256) {
        return ReplayState.known(key, replay);
    }

    function _tload(bytes32 slot) private view returns (uint256) {
        return ReplayState.load(slot);
    }

    function _tstore(bytes32 slot, uint256 v) private {
        ReplayState.store(slot, v);
    }

    /// @dev createToken(bytes32 salt, string symbol, uint8 decimals, uint256 supply) in its
    ///      canonical ABI form: the symbol's offset is 0x80, decimals fit a byte, the symbol
    ///      is valid UTF-8, zero-padded to a word, and nothing follows it.
    function _canonicalCreateToken(bytes memory input) private pure returns (bool) {
        uint256 len = input.length;
        if (len < 164) return false;
        uint256 selector;
        uint256 offset;
        uint256 decimals;
        uint256 symbolLen;
        assembly ("memory-safe") {
            let p := add(input, 32)
            selector := shr(224, mload(p))
            offset := mload(add(p, 36))
            decimals := mload(add(p, 68))
            symbolLen := mload(add(p, 132))
        }
        if (selector != Operations.SELECTOR_CREATE_TOKEN || offset != 0x80 || decimals > 0xff) return false;
        if (symbolLen > len) return false;
        uint256 padded = (symbolLen + 31) & ~uint256(31);
        if (len != 164 + padded) return false;
        if (padded != symbolLen) {
            // The padding after the symbol, within its last word, must be zero.
            uint256 last;
            assembly ("memory-safe") {
                last := mload(add(add(input, 32), sub(len, 32)))
            }
            if (last & ((uint256(1) << (8 * (padded - symbolLen))) - 1) != 0) return false;
        }
        return _isUtf8(input, 164, symbolLen);
    }

    /// @dev Whether `len` bytes of `data` from `start` are well-formed UTF-8 (RFC 3629: no
    ///      overlong forms, no surrogates, nothing above U+10FFFF), as Rust's `str::from_utf8`
    ///      requires.
    function _isUtf8(bytes memory data, uint256 start, uint256 len) private pure returns (bool) {
        uint256 i = start;
        uint256 end = start + len;
        while (i < end) {
            uint256 b = uint8(data[i]);
            if (b < 0x80) {
                ++i;
                continue;
            }
            uint256 n;
            uint256 lo = 0x80;
            uint256 hi = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                n = 1;
            } else if (b >= 0xe0 && b <= 0xef) {
                n = 2;
                if (b == 0xe0) lo = 0xa0;
                if (b == 0xed) hi = 0x9f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                n = 3;
                if (b == 0xf0) lo = 0x90;
                if (b == 0xf4) hi = 0x8f;
            } else {
                return false;
            }
            if (end - i <= n) return false;
            uint256 c = uint8(data[i + 1]);
            if (c < lo || c > hi) return false;
            for (uint256 k = 2; k <= n; ++k) {
                c = uint8(data[i + k]);
                if (c < 0x80 || c > 0xbf) return false;
            }
            i += n + 1;
        }
        return true;
    }
}
