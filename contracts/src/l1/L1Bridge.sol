// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BatchInbox} from "./BatchInbox.sol";
import {BridgeQueue} from "../lib/BridgeQueue.sol";
import {SparseMerkle} from "../lib/SparseMerkle.sol";
import {FeeLogic} from "../logic/FeeLogic.sol";
import {LendingMath} from "../logic/LendingMath.sol";
import {OracleMath} from "../logic/OracleMath.sol";
import {StateKeys} from "../logic/StateKeys.sol";

/// @title L1Bridge
/// @notice The L1 side of the bridge. It holds what was deposited, keeps the L1 → L2 queue
///         (deposits and forced L2 transactions, in one order, each with the L1 block it was
///         queued in) and pays out withdrawals proven against the state root of a final batch
///         of the inbox. Rules and formats: docs/bridge.md.
contract L1Bridge {
    /// @notice What the bridge keeps of each queue entry: the accumulator after it
    ///         (`BridgeQueue.chain`), and when it was queued.
    struct Entry {
        bytes32 accumulator;
        uint64 l1Block;
        uint64 timestamp;
    }

    /// @notice A withdrawal as the L2 wrote it: the `index`-th of `l2Sender`, paying `amount`
    ///         of `l1Token` (the zero address for ether) to `recipient` on L1.
    struct Withdrawal {
        address l2Sender;
        uint256 index;
        address l1Token;
        address recipient;
        uint256 amount;
    }

    /// @notice The amount must be positive.
    error ZeroAmount();
    /// @notice Deposits go to a non-zero L2 account.
    error InvalidRecipient();
    /// @notice At most `MAX_LOCKED` of one asset is held (so that no L2 supply can overflow).
    error DepositCapExceeded(address l1Token, uint256 locked, uint256 amount);
    /// @notice The token moved nothing into the bridge.
    error NothingReceived(address l1Token);
    /// @notice Ether goes through `depositETH`; `depositERC20` takes contracts only.
    error NotAToken(address l1Token);
    /// @notice A token transfer failed or returned false.
    error TokenTransferFailed(address l1Token);
    /// @notice Paying out ether failed.
    error EtherTransferFailed(address recipient);
    /// @notice A forced transaction is 1 to `MAX_FORCED_TX_BYTES` bytes long.
    error ForcedTxSize(uint256 length);
    /// @notice Only the inbox queues readings of the L1's fees (at its posts).
    error NotInbox(address caller);
    /// @notice No queue entry has this index.
    error UnknownEntry(uint256 index);
    /// @notice The withdrawal was already paid out.
    error WithdrawalAlreadyFinalized(bytes32 key);
    /// @notice The batch is still inside its challenge window.
    error BatchNotFinal(uint256 batchIndex);
    /// @notice The proof does not lead from the withdrawal's leaf to the batch's state root.
    error InvalidWithdrawalProof(bytes32 key, bytes32 stateRoot);
    /// @notice A proof has at most 256 siblings.
    error ProofTooLong(uint256 length);
    /// @notice The withdrawal asks for more than the bridge holds of the asset.
    error InsufficientLocked(address l1Token, uint256 locked, uint256 amount);
    /// @notice A call into the bridge while another one is running.
    error Reentered();
    /// @notice The escape hatch is not open: the inbox is not frozen, or its last batch is not
    ///         final yet (whether posted in calldata or in a blob).
    error EscapeNotReady();
    /// @notice This claim of the escape hatch was already paid.
    error AlreadyEscaped(bytes32 claim);
    /// @notice A proof of the escape hatch does not lead to the frozen state root.
    error InvalidStateProof(bytes32 key);
    /// @notice The deposit was consumed by the frozen state: it is claimed on L2's side.
    error DepositIncluded(uint256 index, uint64 queueEnd);
    /// @notice The contents given are not those of queue entry `index`, or it is no deposit.
    error NotTheDeposit(uint256 index);
    /// @notice The escape holds none of the liquidity shares `lpToken` for `account`: they were
    ///         paid already, no pool paid any to it, or the pair named is not the one whose
    ///         liquidity token `lpToken` is (docs/bridge.md §7.2).
    error NoHeldShares(address lpToken, address account);
    /// @notice A claim of the fee vault pays the fee recipient of the frozen state, which
    ///         `proveFeeRecipient` has not recorded yet.
    error FeeRecipientUnproven();
    /// @notice The frozen state names no fee recipient (its `feeRecipient` leaf is absent or
    ///         zero): what the fee vault holds cannot be paid to anyone.
    error NoFeeRecipient();
    /// @notice The inbox does not enforce this bridge's queue (`BatchInbox.attachBridge` was not
    ///         called with it), so nothing would make the sequencer include an entry.
    error BridgeNotAttached();
    /// @notice The inbox is frozen (docs/bridge.md §7): nothing more can reach the L2, so the
    ///         bridge takes no deposit and no forced transaction.
    error InboxFrozen();
    /// @notice `owner` is a shard account of the money market: what it holds is the market's
    ///         cash, owed to the market's suppliers and borrowers, and no escape claim pays it
    ///         to the shard's address, which no key holds (docs/bridge.md §7.4).
    error MarketCash(address owner);
    /// @notice The money market's totals were proven already (`proveLendingTotals`).
    error LendingTotalsAlreadyProven();
    /// @notice The money market's totals are not proven yet (`proveLendingTotals`).
    error LendingTotalsUnproven();
    /// @notice `given` market proofs for a frozen state of `count` markets.
    error WrongMarketCount(uint256 given, uint256 count);
    /// @notice A market's asset has no price in the frozen state (no oracle sample).
    error NoPrice(address asset);
    /// @notice Shortfalls may be registered until `until` only, and payouts start then.
    error SettlementWindow(uint256 until);
    /// @notice `user`'s positions net to `net` in the numeraire: not a shortfall, or nothing
    ///         owed.
    error WrongNet(address user, int256 net);

    /// @notice Entry `index` of the queue is a deposit of `amount` of `l1Token` (the zero
    ///         address for ether) from `from` on L1 to `to` on L2, as `l2Token`.
    event DepositQueued(
        uint256 indexed index,
        address indexed from,
        address indexed to,
        address l1Token,
        address l2Token,
        uint256 amount,
        uint256 meta,
        uint64 l1Block
    );
    /// @notice Entry `index` of the queue is the signed L2 transaction `raw`, sent by `from`.
    event TransactionForced(uint256 indexed index, address indexed from, bytes raw, uint64 l1Block);
    /// @notice Entry `index` of the queue is a reading of the L1's fees in L1 block `l1Block`:
    ///         its base fee and its blob base fee (docs/fees.md §4).
    event L1FeesQueued(uint256 indexed index, uint256 baseFee, uint256 blobBaseFee, uint64 l1Block);
    /// @notice The withdrawal `key` (`l2Sender`'s `withdrawalIndex`-th) was paid to `recipient`,
    ///         proven against batch `batchIndex`.
    event WithdrawalFinalized(
        bytes32 indexed key,
        address indexed l2Sender,
        address indexed recipient,
        uint256 withdrawalIndex,
        address l1Token,
        uint256 amount,
        uint256 batchIndex
    );

    /// @notice The deployment locked `amount` of ether for the L2's genesis balances.
    event GenesisEtherLocked(uint256 amount);
    /// @notice `owner`'s balance of bridged `l1Token` in the frozen state was paid on L1.
    event BalanceEscaped(address indexed owner, address indexed l1Token, uint256 amount);
    /// @notice `owner`'s liquidity shares of the pool of the L2 tokens `tokenA` and `tokenB`
    ///         were paid on L1: `amountA` and `amountB` in the L1 assets the tokens were bridged
    ///         from (nothing for a side that was not bridged: its part is held, `SharesHeld`).
    event LiquidityEscaped(address indexed owner, address tokenA, address tokenB, uint256 amountA, uint256 amountB);
    /// @notice A pool paid `account` `amount` of its side `token`, which has no L1 asset: the
    ///         bridge holds it for `account` (`heldShares`), to be paid from the pool whose
    ///         liquidity token `token` is, if it is one (`escapeHeldShares`).
    event SharesHeld(address indexed account, address indexed token, uint256 amount);
    /// @notice The `shares` of the pool of `tokenA` and `tokenB` held for `account` were paid:
    ///         `amountA` and `amountB` in the sides' L1 assets (a side not bridged is held in
    ///         turn, `SharesHeld`).
    event HeldSharesEscaped(
        address indexed account, address tokenA, address tokenB, uint256 shares, uint256 amountA, uint256 amountB
    );
    /// @notice The frozen state's fee recipient, paid whatever the fee vault is owed, is
    ///         `recipient`.
    event FeeRecipientProven(address recipient);
    /// @notice The frozen money market's `markets` markets were proven; its positions net to
    ///         `net` in the numeraire; shortfalls may be registered until `settlementEnds`.
    event LendingTotalsProven(uint256 markets, int256 net, uint256 settlementEnds);
    /// @notice `user` owed `shortfall` more than it held (numeraire units): paid nothing.
    event ShortfallRegistered(address indexed user, uint256 shortfall);
    /// @notice `owner`'s positions, netting to `net`, were paid `amounts` of each market's cash
    ///         (in market order; a market of a token born on L2 pays nothing).
    event LendingEscaped(address indexed owner, uint256 net, uint256[] amounts);
    /// @notice Deposit `index`, which the frozen state never consumed, went back to `from`.
    event DepositRefunded(uint256 indexed index, address indexed from, address l1Token, uint256 amount);

    /// @notice Most that the bridge holds of one asset: 2^128 - 1.
    uint256 public constant MAX_LOCKED = type(uint128).max;
    /// @notice Longest forced transaction, in bytes (an admissible L2 transaction has at most
    ///         1,024 bytes of input, docs/fraud-proofs.md §3.1).
    uint256 public constant MAX_FORCED_TX_BYTES = 1536;
    /// @notice Metadata word of bridged ether: symbol "ETH", 18 decimals.
    uint256 public constant ETHER_META = StateKeys.ETHER_META;
    /// @dev Gas given to a token's `symbol()` and `decimals()` when it is first deposited.
    uint256 private constant METADATA_GAS = 50_000;
    /// @dev Transient slot of the reentrancy lock.
    bytes32 private constant LOCK = keccak256("L1Bridge.lock");

    /// @notice The inbox whose final state roots withdrawals are proven against.
    BatchInbox public immutable inbox;
    /// @notice L1 blocks within which the sequencer must include a queue entry (docs/bridge.md §2.3).
    uint256 public immutable inclusionWindow;

    /// @notice Amount of each asset held for L2 (deposited, less paid out).
    mapping(address => uint256) public locked;
    /// @notice Whether each withdrawal (by its state key) was paid out.
    mapping(bytes32 => bool) public withdrawalFinalized;
    /// @notice Whether each claim of the escape hatch was paid (by the state key claimed, or
    ///         `keccak256("refund", index)` for a deposit refund).
    mapping(bytes32 => bool) public escaped;
    /// @notice Amount of an L2 token without an L1 asset that pools paid out in the escape and
    ///         the bridge holds for an L1 account (`heldShares[token][account]`): liquidity
    ///         shares of the pool whose liquidity token `token` is, paid from that pool by
    ///         `escapeHeldShares` (zeroed when paid); for a token created on L2, nothing ever
    ///         pays it. Docs/bridge.md §7.2.
    mapping(address => mapping(address => uint256)) public heldShares;
    /// @notice The fee recipient proven from the frozen state (`proveFeeRecipient`), paid every
    ///         escape claim of the fee vault; zero until proven.
    address public feeRecipient;

    /// @notice A market of the frozen money market, as `proveLendingTotals` recorded it.
    struct FrozenMarket {
        address asset;
        address l1Token;
        bool bridged;
        /// @dev The asset's price in the numeraire, Q128.128 (2^mean of its oracle).
        uint256 price;
        uint256 supplyIndex;
        uint256 borrowIndex;
        /// @dev What its shards held, and what claims have taken of it.
        uint256 cash;
        uint256 paid;
    }

    /// @notice The frozen money market's markets, in genesis order.
    FrozenMarket[] public frozenMarkets;
    /// @notice When the money market's totals were proven (0: not yet).
    uint256 public lendingProvenAt;
    /// @notice The net of every position of the frozen market, in the numeraire (`N`).
    int256 public lendingNet;
    /// @notice What registered shortfalls owed beyond their collateral (`B`).
    uint256 public lendingShortfall;
    /// @dev L2 metadata word of each token, read at its first deposit (0: never deposited).
    mapping(address => uint256) private _meta;
    Entry[] private _queue;

    /// @notice Ether the L2's genesis holds, locked by the deployer (docs/bridge.md §5.3).
    uint256 public immutable genesisEther;

    /// @notice The ether sent with the deployment backs the L2's genesis balances of ether: the
    ///         deployer locks exactly what the genesis credits (`genesisEther`), so that every
    ///         ether balance on L2 is held here and can be withdrawn or escaped.
    constructor(BatchInbox inbox_, uint256 inclusionWindow_) payable {
        inbox = inbox_;
        inclusionWindow = inclusionWindow_;
        genesisEther = msg.value;
        _lock(address(0), msg.value);
        emit GenesisEtherLocked(msg.value);
    }

    modifier nonReentrant() {
        bytes32 slot = LOCK;
        uint256 held;
        assembly ("memory-safe") {
            held := tload(slot)
        }
        if (held != 0) revert Reentered();
        assembly ("memory-safe") {
            tstore(slot, 1)
        }
        _;
        assembly ("memory-safe") {
            tstore(slot, 0)
        }
    }

    // -----------------------------------------------------------------------------------------
    // L1 → L2: the queue.

    /// @notice Deposits the ether sent to `to` on L2 (as the bridged token of ether).
    function depositETH(address to) external payable nonReentrant returns (uint256 index) {
        if (msg.value == 0) revert ZeroAmount();
        _lock(address(0), msg.value);
        return _queueDeposit(to, address(0), msg.value, ETHER_META);
    }

    /// @notice Deposits `amount` of the ERC-20 `l1Token` (approved to the bridge beforehand) to
    ///         `to` on L2. What is credited is what the bridge received, which a token that
    ///         charges a fee on transfers makes less than `amount`.
    function depositERC20(address l1Token, address to, uint256 amount) external nonReentrant returns (uint256 index) {
        if (amount == 0) revert ZeroAmount();
        if (l1Token.code.length == 0) revert NotAToken(l1Token);
        uint256 meta = _meta[l1Token];
        if (meta == 0) {
            meta = _readMeta(l1Token);
            _meta[l1Token] = meta;
        }
        uint256 before = _balanceOf(l1Token);
        _call(
            l1Token, abi.encodeWithSignature("transferFrom(address,address,uint256)", msg.sender, address(this), amount)
        );
        uint256 received = _balanceOf(l1Token) - before;
        if (received == 0) revert NothingReceived(l1Token);
        _lock(l1Token, received);
        return _queueDeposit(to, l1Token, received, meta);
    }

    /// @notice Queues a reading of this L1 block's fees: its base fee and its blob base fee. The
    ///         inbox calls it at a post when the base fee moved by more than an eighth since its
    ///         last reading, or that reading is `BatchInbox.L1_FEES_REPORT_INTERVAL` blocks old;
    ///         the L2 must consume it within `inclusionWindow` like any entry, and from then on
    ///         its blocks' L1 price is bounded by it (docs/fees.md §4).
    function reportL1Fees() external returns (uint256 index) {
        if (msg.sender != address(inbox)) revert NotInbox(msg.sender);
        index = _append(BridgeQueue.l1FeesHash(block.basefee, block.blobbasefee));
        emit L1FeesQueued(index, block.basefee, block.blobbasefee, uint64(block.number));
    }

    /// @notice Queues the signed L2 transaction `raw`: the sequencer must include it (execute it
    ///         if it is admissible at its place, skip it if not) within `inclusionWindow` L1
    ///         blocks, like a deposit.
    function forceTransaction(bytes calldata raw) external nonReentrant returns (uint256 index) {
        if (raw.length == 0 || raw.length > MAX_FORCED_TX_BYTES) revert ForcedTxSize(raw.length);
        index = _append(BridgeQueue.forcedTxHash(msg.sender, raw));
        emit TransactionForced(index, msg.sender, raw, uint64(block.number));
    }

    /// @notice Number of entries ever queued.
    function queueLength() external view returns (uint256) {
        return _queue.length;
    }

    /// @notice Entry `index` of the queue.
    function entry(uint256 index) external view returns (Entry memory) {
        if (index >= _queue.length) revert UnknownEntry(index);
        return _queue[index];
    }

    /// @notice For a batch that consumed the first `count` entries: the queue's length, the
    ///         accumulator after them (zero when `count` is zero or beyond the queue) and the L1
    ///         block of entry `count`, the first one left waiting (zero if none). What the inbox
    ///         checks a post against (docs/bridge.md §2.3).
    function queueAt(uint256 count) external view returns (uint256 length, bytes32 accumulator, uint64 nextL1Block) {
        length = _queue.length;
        if (count != 0 && count <= length) accumulator = _queue[count - 1].accumulator;
        if (count < length) nextL1Block = _queue[count].l1Block;
    }

    /// @notice The accumulator after the first `count` entries (zero for none).
    function accumulatorAt(uint256 count) external view returns (bytes32) {
        if (count > _queue.length) revert UnknownEntry(count - 1);
        return count == 0 ? bytes32(0) : _queue[count - 1].accumulator;
    }

    /// @notice The L2 metadata word (`StateKeys.token`'s value) a deposit of `l1Token` carries,
    ///         zero if it was never deposited.
    function metaOf(address l1Token) external view returns (uint256) {
        return l1Token == address(0) ? ETHER_META : _meta[l1Token];
    }

    /// @notice The L2 token that represents `l1Token`.
    function l2TokenOf(address l1Token) external pure returns (address) {
        return StateKeys.bridgedToken(l1Token);
    }

    // -----------------------------------------------------------------------------------------
    // L2 → L1: withdrawals.

    /// @notice The value of a withdrawal's leaf in the state tree (docs/bridge.md §5.1).
    function withdrawalLeaf(address l1Token, address recipient, uint256 amount) public pure returns (bytes32) {
        return StateKeys.withdrawalLeaf(l1Token, recipient, amount);
    }

    /// @notice Pays out the withdrawal `w`: `w.amount` of `w.l1Token` to `w.recipient`.
    ///         `siblings` prove its leaf against the state root of batch `batchIndex`, which
    ///         must be final (a blob batch too: it could be disputed during its window,
    ///         docs/fraud-proofs.md §6.7). Anyone may call this; the payment always goes to the
    ///         recipient the withdrawal names.
    function finalizeWithdrawal(uint256 batchIndex, Withdrawal calldata w, bytes32[] calldata siblings)
        external
        nonReentrant
    {
        bytes32 key = StateKeys.withdrawal(w.l2Sender, w.index);
        if (withdrawalFinalized[key]) revert WithdrawalAlreadyFinalized(key);
        _checkProof(batchIndex, key, withdrawalLeaf(w.l1Token, w.recipient, w.amount), siblings);
        uint256 held = locked[w.l1Token];
        if (w.amount > held) revert InsufficientLocked(w.l1Token, held, w.amount);
        withdrawalFinalized[key] = true;
        unchecked {
            locked[w.l1Token] = held - w.amount;
        }
        emit WithdrawalFinalized(key, w.l2Sender, w.recipient, w.index, w.l1Token, w.amount, batchIndex);
        if (w.l1Token == address(0)) {
            (bool ok,) = w.recipient.call{value: w.amount}("");
            if (!ok) revert EtherTransferFailed(w.recipient);
        } else {
            _call(w.l1Token, abi.encodeWithSignature("transfer(address,uint256)", w.recipient, w.amount));
        }
    }

    /// @dev Requires that `key` holds `value` in the state root of batch `batchIndex`, a final
    ///      batch.
    function _checkProof(uint256 batchIndex, bytes32 key, bytes32 value, bytes32[] calldata siblings) private view {
        // `getBatch` reverts for a batch that does not exist or was rolled back.
        BatchInbox.Batch memory batch = inbox.getBatch(batchIndex);
        if (!inbox.isFinalized(batchIndex)) revert BatchNotFinal(batchIndex);
        if (siblings.length > 256) revert ProofTooLong(siblings.length);
        if (SparseMerkle.rootFromPath(key, SparseMerkle.leafHash(key, value), siblings) != batch.stateRoot) {
            revert InvalidWithdrawalProof(key, batch.stateRoot);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The escape hatch (docs/bridge.md §7): once the inbox is frozen and its last batch final,
    // what the frozen state holds is paid out on L1, claim by claim, each once.

    /// @notice Pays `owner` its balance `amount` of the bridged token of `l1Token` in the frozen
    ///         state (`siblings` prove the leaf `balance(bridgedToken(l1Token), owner)`). The
    ///         L2 account and the L1 account are the same address, but for the fee vault, whose
    ///         claims pay the fee recipient (`proveFeeRecipient`). Anyone may call it.
    function escapeBalance(address l1Token, address owner, uint256 amount, bytes32[] calldata siblings)
        external
        nonReentrant
    {
        (bytes32 root,) = _escapeState();
        address payee = _payee(owner);
        bytes32 key = StateKeys.balance(StateKeys.bridgedToken(l1Token), owner);
        _claim(key);
        if (amount == 0) revert ZeroAmount();
        _proveFrozen(root, key, bytes32(amount), siblings);
        _payOut(l1Token, payee, amount);
        emit BalanceEscaped(owner, l1Token, amount);
    }

    /// @notice A value of the frozen state and its proof: `siblings` (root down) lead to the
    ///         subtree at the key's position, which is the key's own leaf when `value` is not
    ///         zero; for an absent key (`value` zero) it is empty (`otherValue` zero) or the leaf
    ///         of another key sharing the position (`otherKey`, `otherValue`).
    struct StateValue {
        bytes32 value;
        bytes32 otherKey;
        bytes32 otherValue;
        bytes32[] siblings;
    }

    /// @notice What proves a pool in the frozen state: the total supply of its liquidity shares
    ///         and its packed reserves (reserve of the lower token address in the low 128 bits),
    ///         each with its siblings, and the L1 origin of each token (`tokenOrigin`, absent
    ///         for a token that was not bridged).
    struct PoolProof {
        uint256 supply;
        bytes32[] supplyProof;
        uint256 reserves;
        bytes32[] reservesProof;
        StateValue originA;
        StateValue originB;
    }

    /// @notice What proves `owner`'s share of a pool in the frozen state: its liquidity shares
    ///         with their siblings, and the pool (`PoolProof`).
    struct LiquidityProof {
        uint256 shares;
        bytes32[] sharesProof;
        PoolProof pool;
    }

    /// @notice Pays `owner` its share of the pool of the L2 tokens `tokenA` and `tokenB` in the
    ///         frozen state: `reserve · shares / supply` of each side whose token was bridged
    ///         from L1, in that L1 asset. A side whose token was not bridged (its origin proven
    ///         absent) is held instead for the account paid (`heldShares`): if it is the
    ///         liquidity token of another pool, `escapeHeldShares` pays those shares from that
    ///         pool; a token created on L2 has no L1 asset, and its part is never paid. The
    ///         bridged side of such a pool is paid all the same. Anyone may call it; each
    ///         owner's shares are claimed once. The account paid is `owner`, but the fee
    ///         recipient for the fee vault (`proveFeeRecipient`).
    function escapeLiquidity(address tokenA, address tokenB, address owner, LiquidityProof calldata p)
        external
        nonReentrant
    {
        (bytes32 root,) = _escapeState();
        address payee = _payee(owner);
        bytes32 key = StateKeys.balance(_lpToken(tokenA, tokenB), owner);
        _claim(key);
        if (p.shares == 0) revert ZeroAmount();
        _proveFrozen(root, key, bytes32(p.shares), p.sharesProof);
        (uint256 amountA, uint256 amountB) = _payPool(root, tokenA, tokenB, p.shares, p.pool, payee);
        emit LiquidityEscaped(owner, tokenA, tokenB, amountA, amountB);
    }

    /// @notice Pays `account` the liquidity shares of the pool of the L2 tokens `tokenA` and
    ///         `tokenB` that the bridge holds for it (`heldShares` of the pool's liquidity token,
    ///         paid to it by the pools whose side that token is): `reserve · shares / supply` of
    ///         each bridged side, proven against the frozen state like `escapeLiquidity`; a side
    ///         not bridged is held in turn, so that nested pools are paid one level per call.
    ///         Naming a pair whose liquidity token is not the one held finds nothing
    ///         (`NoHeldShares`). Anyone may call it; the shares are zeroed when paid.
    function escapeHeldShares(address tokenA, address tokenB, address account, PoolProof calldata p)
        external
        nonReentrant
    {
        (bytes32 root,) = _escapeState();
        address lp = _lpToken(tokenA, tokenB);
        uint256 shares = heldShares[lp][account];
        if (shares == 0) revert NoHeldShares(lp, account);
        heldShares[lp][account] = 0;
        (uint256 amountA, uint256 amountB) = _payPool(root, tokenA, tokenB, shares, p, account);
        emit HeldSharesEscaped(account, tokenA, tokenB, shares, amountA, amountB);
    }

    /// @notice Records the fee recipient of the frozen state (its `feeRecipient` leaf, proven by
    ///         `v`), which every escape claim of the fee vault then pays. The leaf is laid out at
    ///         genesis and written by no operation. Anyone may call it; an absent or zero
    ///         recipient is refused (`NoFeeRecipient`).
    function proveFeeRecipient(StateValue calldata v) external {
        (bytes32 root,) = _escapeState();
        address recipient = address(uint160(uint256(_valueFrozen(root, StateKeys.feeRecipient(), v))));
        if (recipient == address(0)) revert NoFeeRecipient();
        feeRecipient = recipient;
        emit FeeRecipientProven(recipient);
    }

    /// @notice What proves one market of the frozen money market (docs/bridge.md §7.4): its
    ///         configuration (`market(i, 0)`, the asset in the low 160 bits) and indices
    ///         (`market(i, 2)`), its eight shards' totals and cash (`marketShard(i, s)`,
    ///         `balance(asset, shardAccount(s))`), its asset's latest oracle sample (`oracle(asset,
    ///         1)`, absent for the numeraire) and its asset's L1 origin (`tokenOrigin`).
    struct MarketProof {
        StateValue config;
        StateValue indices;
        StateValue[] shards;
        StateValue[] cash;
        StateValue oracle;
        StateValue origin;
    }

    /// @notice Records the frozen money market (docs/bridge.md §7.4): every market's asset,
    ///         price at its oracle's window mean, indices and cash, and the net of all positions
    ///         `N` (supplies rounded down less debts rounded up, at the prices). Opens a
    ///         settlement window of the inbox's challenge window for `registerShortfall`, after
    ///         which `escapeLending` pays. Anyone may call it, once.
    function proveLendingTotals(StateValue calldata markets, StateValue calldata oracles, MarketProof[] calldata p)
        external
    {
        if (lendingProvenAt != 0) revert LendingTotalsAlreadyProven();
        (bytes32 root,) = _escapeState();
        uint256 count = uint256(_valueFrozen(root, StateKeys.markets(), markets)) & 0xff;
        if (p.length != count) revert WrongMarketCount(p.length, count);
        address numeraire = address(uint160(uint256(_valueFrozen(root, StateKeys.oracles(), oracles)) >> 16));
        int256 net;
        for (uint256 i; i < count; ++i) {
            net += _proveMarket(root, i, numeraire, p[i]);
        }
        lendingNet = net;
        lendingProvenAt = block.timestamp;
        emit LendingTotalsProven(count, net, block.timestamp + inbox.challengeWindow());
    }

    /// @notice Registers `user`'s shortfall: its positions (`positions[i]` proving
    ///         `position(user, i)` for every market) net below zero at the frozen prices, and
    ///         what it owes beyond what it holds is added to `lendingShortfall`, which every
    ///         payout divides by. Only within the settlement window; `user` is then paid nothing.
    ///         Anyone may call it, once a user.
    function registerShortfall(address user, StateValue[] calldata positions) external {
        uint256 until = _settlementEnds();
        if (block.timestamp >= until) revert SettlementWindow(until);
        (bytes32 root,) = _escapeState();
        _claim(keccak256(abi.encode("lending", user)));
        int256 net = _netOf(root, user, positions);
        if (net >= 0) revert WrongNet(user, net);
        lendingShortfall += uint256(-net);
        emit ShortfallRegistered(user, uint256(-net));
    }

    /// @notice Pays `owner` what its positions net to at the frozen prices, `W` (its supplies
    ///         less its debts: a borrower its collateral less its debt, a supplier its supply), as
    ///         a share `W / (N + B)` of every market's cash, each in its L1 asset (a market of a
    ///         token born on L2 pays nothing); never more of a market than its cash. After the
    ///         settlement window; anyone may call it, once an owner. The account paid is `owner`,
    ///         but the fee recipient for the fee vault.
    function escapeLending(address owner, StateValue[] calldata positions) external nonReentrant {
        uint256 until = _settlementEnds();
        if (block.timestamp < until) revert SettlementWindow(until);
        (bytes32 root,) = _escapeState();
        address payee = _payee(owner);
        _claim(keccak256(abi.encode("lending", owner)));
        int256 net = _netOf(root, owner, positions);
        if (net <= 0) revert WrongNet(owner, net);
        uint256 w = uint256(net);
        int256 total = lendingNet + int256(lendingShortfall);
        // The denominator is at least the claim: no claim takes more than a market's cash.
        uint256 d = total > net ? uint256(total) : w;
        uint256[] memory amounts = new uint256[](frozenMarkets.length);
        for (uint256 i; i < amounts.length; ++i) {
            FrozenMarket storage m = frozenMarkets[i];
            uint256 amount = _share(m.cash, w, d);
            uint256 left = m.cash - m.paid;
            if (amount > left) amount = left;
            m.paid += amount;
            if (m.bridged && amount != 0) {
                amounts[i] = amount;
                _payOut(m.l1Token, payee, amount);
            }
        }
        emit LendingEscaped(owner, w, amounts);
    }

    /// @dev Proves market `i` and records it; returns its net (supplies less debts) in the
    ///      numeraire.
    function _proveMarket(bytes32 root, uint256 i, address numeraire, MarketProof calldata q) private returns (int256) {
        address asset = address(uint160(uint256(_valueFrozen(root, StateKeys.market(i, 0), q.config))));
        uint256 indices = uint256(_valueFrozen(root, StateKeys.market(i, 2), q.indices));
        if (q.shards.length != StateKeys.SHARD_COUNT || q.cash.length != StateKeys.SHARD_COUNT) {
            revert WrongMarketCount(q.shards.length, StateKeys.SHARD_COUNT);
        }
        (uint256 scaledSupply, uint256 scaledDebt, uint256 cash) = (0, 0, 0);
        for (uint256 s; s < StateKeys.SHARD_COUNT; ++s) {
            uint256 totals = uint256(_valueFrozen(root, StateKeys.marketShard(i, s), q.shards[s]));
            scaledSupply += totals & type(uint128).max;
            scaledDebt += totals >> 128;
            cash += uint256(_valueFrozen(root, StateKeys.balance(asset, StateKeys.shardAccount(s)), q.cash[s]));
        }
        uint256 price = 1 << 128;
        if (asset != numeraire) {
            uint256 sample = uint256(_valueFrozen(root, StateKeys.oracle(asset, 1), q.oracle));
            if (sample == 0) revert NoPrice(asset);
            // The window's mean: a signed 48-bit logarithm at bits 128–175 (`OracleLogic`).
            // forge-lint: disable-next-line(unsafe-typecast)
            price = OracleMath.exp2(int256(int48(uint48(sample >> 128))));
        }
        (bool bridged, address l1Token) = _origin(root, asset, q.origin);
        FrozenMarket memory m = FrozenMarket({
            asset: asset,
            l1Token: l1Token,
            bridged: bridged,
            price: price,
            supplyIndex: indices & type(uint128).max,
            borrowIndex: indices >> 128,
            cash: cash,
            paid: 0
        });
        frozenMarkets.push(m);
        // Only what L1 can pay counts: a market of a token born on L2 is left out of every net.
        if (!bridged) return 0;
        return _value(scaledSupply, m.supplyIndex, price, false) - _value(scaledDebt, m.borrowIndex, price, true);
    }

    /// @dev What `user`'s positions net to at the frozen prices (`positions[i]` proves
    ///      `position(user, i)`): supplies rounded down less debts rounded up, in the markets of
    ///      bridged assets (a token born on L2 pays nothing on L1, and is owed nothing there).
    function _netOf(bytes32 root, address user, StateValue[] calldata positions) private view returns (int256 net) {
        uint256 count = frozenMarkets.length;
        if (positions.length != count) revert WrongMarketCount(positions.length, count);
        for (uint256 i; i < count; ++i) {
            uint256 p = uint256(_valueFrozen(root, StateKeys.position(user, i), positions[i]));
            if (p == 0) continue;
            FrozenMarket storage m = frozenMarkets[i];
            if (!m.bridged) continue;
            net += _value(p & type(uint128).max, m.supplyIndex, m.price, false);
            net -= _value(p >> 128, m.borrowIndex, m.price, true);
        }
    }

    /// @dev `scaled` at `index` and `price` in the numeraire, at most 2^200 (a bound no real
    ///      position nears, that keeps every sum of them within `int256`).
    function _value(uint256 scaled, uint256 index, uint256 price, bool roundUp) private pure returns (int256) {
        uint256 v = LendingMath.mulQ128(LendingMath.fromScaled(scaled, index, roundUp), price, roundUp);
        return int256(v < 1 << 200 ? v : 1 << 200);
    }

    /// @dev `⌊cash · w / d⌋` for `w ≤ d`, `d > 0`, without overflow: `w` and `d` are first
    ///      brought below 2^128, `d` rounded up, so that the share only shrinks.
    function _share(uint256 cash, uint256 w, uint256 d) private pure returns (uint256) {
        while (d >= 1 << 128) {
            w >>= 1;
            d = (d >> 1) + (d & 1);
        }
        return (cash / d) * w + (cash % d) * w / d;
    }

    /// @dev When the settlement window ends, or `LendingTotalsUnproven`.
    function _settlementEnds() private view returns (uint256) {
        uint256 at = lendingProvenAt;
        if (at == 0) revert LendingTotalsUnproven();
        return at + inbox.challengeWindow();
    }

    /// @dev Who an escape claim of `owner` pays: `owner` (the same address on L1 and L2), but
    ///      the fee recipient for the fee vault, which no key holds on either chain.
    function _payee(address owner) private view returns (address) {
        for (uint256 s; s < StateKeys.SHARD_COUNT; ++s) {
            if (owner == StateKeys.shardAccount(s)) revert MarketCash(owner);
        }
        if (owner != FeeLogic.FEE_VAULT) return owner;
        address recipient = feeRecipient;
        if (recipient == address(0)) revert FeeRecipientUnproven();
        return recipient;
    }

    /// @dev The liquidity token of the pool of `a` and `b`, in either order.
    function _lpToken(address a, address b) private pure returns (address) {
        return a < b ? StateKeys.lpToken(a, b) : StateKeys.lpToken(b, a);
    }

    /// @dev Pays `payee` what `shares` of the pool of `a` and `b` are worth (`_poolShare`),
    ///      each side settled by `_settle`; returns what each side paid on L1.
    function _payPool(bytes32 root, address a, address b, uint256 shares, PoolProof calldata p, address payee)
        private
        returns (uint256 paidA, uint256 paidB)
    {
        (uint256 amountA, uint256 amountB) = _poolShare(root, a, b, shares, p);
        paidA = _settle(root, a, p.originA, payee, amountA);
        paidB = _settle(root, b, p.originB, payee, amountB);
    }

    /// @dev Proves the supply and reserves of the pool of `a` and `b` against the frozen root and
    ///      returns what `shares` of it are worth of each side, rounded down.
    function _poolShare(bytes32 root, address a, address b, uint256 shares, PoolProof calldata p)
        private
        pure
        returns (uint256 amountA, uint256 amountB)
    {
        uint256 supply = p.supply;
        if (shares > supply) revert ZeroAmount();
        (address token0, address token1) = a < b ? (a, b) : (b, a);
        _proveFrozen(root, StateKeys.supply(StateKeys.lpToken(token0, token1)), bytes32(supply), p.supplyProof);
        _proveFrozen(root, StateKeys.pool(token0, token1), bytes32(p.reserves), p.reservesProof);
        // The low half is token0's reserve; shares ≤ supply, and reserves < 2^128: no overflow.
        uint256 amount0 = (p.reserves & type(uint128).max) * shares / supply;
        uint256 amount1 = (p.reserves >> 128) * shares / supply;
        (amountA, amountB) = a == token0 ? (amount0, amount1) : (amount1, amount0);
    }

    /// @dev Settles `amount` of pool side `token` for `payee`: paid in its L1 asset if the
    ///      token was bridged (its origin proven by `origin`), held for `payee` otherwise.
    ///      Returns what was paid.
    function _settle(bytes32 root, address token, StateValue calldata origin, address payee, uint256 amount)
        private
        returns (uint256 paid)
    {
        if (amount == 0) return 0;
        (bool bridged, address l1Token) = _origin(root, token, origin);
        if (bridged) {
            _payOut(l1Token, payee, amount);
            return amount;
        }
        heldShares[token][payee] += amount;
        emit SharesHeld(payee, token, amount);
    }

    /// @dev Whether L2 token `token` was bridged from L1 in the frozen state, and from which L1
    ///      token: its `tokenOrigin` leaf (`uint160(l1Token) | 1 << 160`), proven present or
    ///      absent by `v`.
    function _origin(bytes32 root, address token, StateValue calldata v)
        private
        pure
        returns (bool bridged, address l1Token)
    {
        uint256 origin = uint256(_valueFrozen(root, StateKeys.tokenOrigin(token), v));
        if (origin == 0) return (false, address(0));
        return (true, address(uint160(origin)));
    }

    /// @dev The value of `key` in the frozen state (zero: absent), proven by `v` against `root`.
    function _valueFrozen(bytes32 root, bytes32 key, StateValue calldata v) private pure returns (bytes32) {
        uint256 depth = v.siblings.length;
        if (depth > 256) revert ProofTooLong(depth);
        bytes32 terminal;
        if (v.value != 0) {
            terminal = SparseMerkle.leafHash(key, v.value);
        } else if (v.otherValue != 0) {
            // Another key's leaf at the key's position: it holds that key alone, so `key` is
            // absent. It must differ from `key` and share the position's `depth` bits with it.
            uint256 diff = uint256(v.otherKey ^ key);
            if (diff == 0 || (depth != 0 && diff >> (256 - depth) != 0)) revert InvalidStateProof(key);
            terminal = SparseMerkle.leafHash(v.otherKey, v.otherValue);
        }
        if (SparseMerkle.rootFromPath(key, terminal, v.siblings) != root) revert InvalidStateProof(key);
        return v.value;
    }

    /// @notice Refunds deposit `index`, which the frozen state never consumed (its index is at
    ///         or past the frozen `queueEnd`), to the L1 account that made it. `e` is its
    ///         contents, checked against the queue's accumulators.
    function refundDeposit(uint256 index, BridgeQueue.Contents calldata e) external nonReentrant {
        (, uint64 queueEnd) = _escapeState();
        if (index < queueEnd) revert DepositIncluded(index, queueEnd);
        if (index >= _queue.length) revert UnknownEntry(index);
        bytes32 previous = index == 0 ? bytes32(0) : _queue[index - 1].accumulator;
        if (
            e.kind != BridgeQueue.KIND_DEPOSIT
                || BridgeQueue.chain(previous, BridgeQueue.hashOf(e), e.l1Block) != _queue[index].accumulator
        ) revert NotTheDeposit(index);
        _claim(keccak256(abi.encode("refund", index)));
        _payOut(e.l1Token, e.from, e.amount);
        emit DepositRefunded(index, e.from, e.l1Token, e.amount);
    }

    /// @dev The frozen state root and queue position, or `EscapeNotReady`.
    function _escapeState() private view returns (bytes32 root, uint64 queueEnd) {
        bool ready;
        (ready, root, queueEnd) = inbox.escapeState();
        if (!ready) revert EscapeNotReady();
    }

    function _claim(bytes32 claim) private {
        if (escaped[claim]) revert AlreadyEscaped(claim);
        escaped[claim] = true;
    }

    function _proveFrozen(bytes32 root, bytes32 key, bytes32 value, bytes32[] calldata siblings) private pure {
        if (siblings.length > 256) revert ProofTooLong(siblings.length);
        if (SparseMerkle.rootFromPath(key, SparseMerkle.leafHash(key, value), siblings) != root) {
            revert InvalidStateProof(key);
        }
    }

    /// @dev Lowers `locked` and pays `amount` of `l1Token` to `to` (ether by a call).
    function _payOut(address l1Token, address to, uint256 amount) private {
        uint256 held = locked[l1Token];
        if (amount > held) revert InsufficientLocked(l1Token, held, amount);
        unchecked {
            locked[l1Token] = held - amount;
        }
        if (l1Token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EtherTransferFailed(to);
        } else {
            _call(l1Token, abi.encodeWithSignature("transfer(address,uint256)", to, amount));
        }
    }

    // -----------------------------------------------------------------------------------------

    function _lock(address l1Token, uint256 amount) private {
        uint256 held = locked[l1Token];
        if (amount > MAX_LOCKED - held) revert DepositCapExceeded(l1Token, held, amount);
        locked[l1Token] = held + amount;
    }

    function _queueDeposit(address to, address l1Token, uint256 amount, uint256 meta) private returns (uint256 index) {
        if (to == address(0)) revert InvalidRecipient();
        index = _append(BridgeQueue.depositHash(msg.sender, to, l1Token, amount, meta));
        emit DepositQueued(
            index, msg.sender, to, l1Token, StateKeys.bridgedToken(l1Token), amount, meta, uint64(block.number)
        );
    }

    function _append(bytes32 entryHash) private returns (uint256 index) {
        if (address(inbox.bridge()) != address(this)) revert BridgeNotAttached();
        if (inbox.frozenAt() != 0) revert InboxFrozen();
        index = _queue.length;
        bytes32 previous = index == 0 ? bytes32(0) : _queue[index - 1].accumulator;
        uint64 l1Block = uint64(block.number);
        _queue.push(
            Entry({
                accumulator: BridgeQueue.chain(previous, entryHash, l1Block),
                l1Block: l1Block,
                timestamp: uint64(block.timestamp)
            })
        );
    }

    function _balanceOf(address l1Token) private view returns (uint256) {
        (bool ok, bytes memory out) = l1Token.staticcall(abi.encodeWithSignature("balanceOf(address)", address(this)));
        if (!ok || out.length < 32) revert NotAToken(l1Token);
        return abi.decode(out, (uint256));
    }

    /// @dev Calls a token, accepting both tokens that return `true` and tokens that return
    ///      nothing.
    function _call(address l1Token, bytes memory data) private {
        (bool ok, bytes memory out) = l1Token.call(data);
        if (!ok || (out.length != 0 && (out.length < 32 || abi.decode(out, (uint256)) != 1))) {
            revert TokenTransferFailed(l1Token);
        }
    }

    /// @dev The L2 metadata word of a token: its symbol (1 to 31 bytes without NUL, as a string
    ///      or, for old tokens, a bytes32; "BRIDGED" otherwise) and its decimals (18 if it
    ///      does not say).
    function _readMeta(address l1Token) private view returns (uint256) {
        bytes32 symbol = "BRIDGED";
        (bool ok, bytes memory out) = l1Token.staticcall{gas: METADATA_GAS}(abi.encodeWithSignature("symbol()"));
        if (ok) {
            bytes memory raw;
            if (out.length >= 64) {
                uint256 offset = abi.decode(out, (uint256));
                if (offset <= out.length - 32) {
                    uint256 len;
                    assembly ("memory-safe") {
                        len := mload(add(add(out, 32), offset))
                    }
                    if (len <= out.length - 32 - offset) raw = abi.decode(out, (bytes));
                }
            } else if (out.length == 32) {
                raw = abi.encodePacked(bytes32(abi.decode(out, (uint256))));
                uint256 len;
                while (len < 32 && raw[len] != 0) len++;
                assembly ("memory-safe") {
                    mstore(raw, len)
                }
            }
            if (_validSymbol(raw)) symbol = bytes32(raw);
        }
        uint256 decimals = 18;
        (ok, out) = l1Token.staticcall{gas: METADATA_GAS}(abi.encodeWithSignature("decimals()"));
        if (ok && out.length >= 32) {
            uint256 d = abi.decode(out, (uint256));
            if (d <= type(uint8).max) decimals = d;
        }
        return (uint256(symbol) & ~uint256(0xff)) | decimals;
    }

    function _validSymbol(bytes memory raw) private pure returns (bool) {
        if (raw.length == 0 || raw.length > 31) return false;
        for (uint256 i; i < raw.length; i++) {
            if (raw[i] == 0) return false;
        }
        return true;
    }
}
