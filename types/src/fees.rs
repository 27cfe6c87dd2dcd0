//! The fee rules of `docs/fees.md` §2–§4, as pure functions: the gas schedule of the closed
//! operation set, the L1 data fee in gas units, the price a transaction pays, the base fee's
//! EIP-1559 update and the bound on a block's L1 price. Written once more in Solidity
//! (`contracts/src/logic/FeeLogic.sol`, which the L1 verifier runs); both check the shared
//! vectors of `testdata/fee-vectors.json`.
//!
//! Every function is total: no input panics or overflows. Quantities that grow without a
//! natural bound (a base fee under sustained overload, a fee) saturate at their type's maximum,
//! as the Solidity side does.

use crate::keys;
use alloy_primitives::{Address, U256};

/// The lowest base fee: 0.001 gwei (docs/fees.md §3). The genesis base fee.
pub const MIN_BASE_FEE: u128 = 1_000_000;
/// The highest base fee: what 96 bits hold (about 7.9 · 10^28 wei a gas unit, more than all the
/// ether there is), where EIP-1559's update saturates, so that the fee state packs into one word.
pub const MAX_BASE_FEE: u128 = (1 << 96) - 1;
/// Scheduled gas a block aims at; the base fee rises above it and falls below. Half of
/// [`BLOCK_GAS_LIMIT`]: 5,000 transfers, what the chain carries in a 500 ms block at
/// 10,000 transactions a second.
pub const GAS_TARGET: u64 = 150_000_000;
/// Most scheduled gas a block may hold: twice the target (EIP-1559's elasticity); 10,000
/// transfers, the most transactions the sequencer puts in a block.
pub const BLOCK_GAS_LIMIT: u64 = 2 * GAS_TARGET;
/// The base fee moves by at most one eighth a block (EIP-1559's change denominator).
pub const BASE_FEE_CHANGE_DENOMINATOR: u128 = 8;
/// A block's L1 price moves by at most one eighth of its parent's.
pub const L1_PRICE_CHANGE_DENOMINATOR: u64 = 8;
/// The lowest L1 price a block may commit, in wei a byte: below eight, an eighth rounds to
/// nothing and the price could not move. The genesis price: the sequencer raises it towards
/// what a byte costs on L1, an eighth a block at most.
pub const MIN_L1_BYTE_PRICE: u64 = 8;

/// The scheduled gas of each operation of the closed set (docs/fees.md §2.1), as the
/// operation table ([`crate::ops::OPS`]) gives it.
pub mod schedule {
    use crate::Op;

    /// A transfer of ether.
    pub const ETHER_TRANSFER: u64 = Op::EtherTransfer.gas();
    /// The ledger's `transfer`, and a token's.
    pub const TRANSFER: u64 = Op::Transfer.gas();
    /// A token's `approve`.
    pub const APPROVE: u64 = Op::TokenApprove.gas();
    /// A token's `transferFrom`.
    pub const TRANSFER_FROM: u64 = Op::TokenTransferFrom.gas();
    /// `swap`.
    pub const SWAP: u64 = Op::Swap.gas();
    /// `withdraw`, and `withdrawFees`.
    pub const WITHDRAW: u64 = Op::Withdraw.gas();
    /// `addLiquidity` and `removeLiquidity`.
    pub const LIQUIDITY: u64 = Op::AddLiquidity.gas();
    /// `createToken`.
    pub const CREATE_TOKEN: u64 = Op::CreateToken.gas();
    /// `createPool`.
    pub const CREATE_POOL: u64 = Op::CreatePool.gas();
}

/// The scheduled gas of a transaction to `to` with `input`, if it is an operation of the
/// closed set (by its target and selector, [`crate::Op::of_call`]; admission checks the rest
/// of its form). `None` for anything else.
pub fn scheduled_gas(to: Address, input: &[u8]) -> Option<u64> {
    crate::Op::of_call(to, input).map(crate::Op::gas)
}

/// The base fee of the block after one with `base_fee` and `gas` scheduled gas (docs/fees.md
/// §3): EIP-1559's update, with divisions toward zero, never below [`MIN_BASE_FEE`] and
/// saturating at [`MAX_BASE_FEE`].
pub fn next_base_fee(base_fee: u128, gas: u64) -> u128 {
    let base = U256::from(base_fee);
    let target = U256::from(GAS_TARGET);
    let denominator = U256::from(BASE_FEE_CHANGE_DENOMINATOR);
    let next = if gas >= GAS_TARGET {
        base + base * U256::from(gas - GAS_TARGET) / target / denominator
    } else {
        base - base * U256::from(GAS_TARGET - gas) / target / denominator
    };
    next.min(U256::from(MAX_BASE_FEE)).to::<u128>().max(MIN_BASE_FEE)
}

/// The L1 data fee of `billed_bytes` bytes at `l1_byte_price` wei a byte, in gas units at
/// `base_fee` (rounded down: a transaction pays whole gas units; docs/fees.md §2.2),
/// saturating at `u64::MAX`. A base fee of zero (below the minimum, which no block has) counts
/// as one wei.
pub fn l1_gas(billed_bytes: u64, l1_byte_price: u64, base_fee: u128) -> u64 {
    let cost = U256::from(billed_bytes) * U256::from(l1_byte_price);
    (cost / U256::from(base_fee.max(1))).saturating_to()
}

/// L1 gas a byte of a batch costs in calldata: EIP-7623's floor for data-heavy transactions.
pub const L1_GAS_PER_BYTE: u64 = 40;
/// Blob gas a blob costs (EIP-4844: one gas per byte of the blob).
pub const BLOB_GAS_PER_BLOB: u64 = 131_072;
/// The most data bytes a blob post carries (the inbox's `MAX_DATA_BYTES`).
pub const BLOB_DATA_BYTES: u64 = 120_000;
/// L1 gas a byte of data posted in a blob costs beside its blob gas: its post's segment hashes
/// (32 bytes of calldata per 1,024 at 40 gas: 1.25) and the post's execution and base cost
/// spread over a full post (about 250,000 gas for 120,000 bytes: 2.1), rounded up.
pub const BLOB_POST_GAS_PER_BYTE: u64 = 4;
/// What the sequencer adds to the cost of a byte on L1, in percent: the batch's own bytes
/// (header, registry, chunk roots: about 92 bytes posted for a transfer that bills 75), the
/// post's execution, the fees it pays above the estimate, and the bound's lag (docs/fees.md §4;
/// measured in BENCHMARKS.md, "What fees pay for").
pub const L1_PRICE_MARGIN_PERCENT: u64 = 200;

/// What a byte of batch data costs in calldata when a post's gas costs `gas_price` wei.
pub fn calldata_byte_cost(gas_price: u128) -> u128 {
    gas_price.saturating_mul(u128::from(L1_GAS_PER_BYTE))
}

/// What a byte of batch data costs in a blob when a post's gas costs `gas_price` wei and blob
/// gas `blob_fee` wei: a full blob's blob gas over the data it carries (rounded up), and
/// [`BLOB_POST_GAS_PER_BYTE`] gas.
pub fn blob_byte_cost(gas_price: u128, blob_fee: u128) -> u128 {
    let blob = (U256::from(blob_fee) * U256::from(BLOB_GAS_PER_BLOB)).div_ceil(U256::from(BLOB_DATA_BYTES));
    (blob + U256::from(gas_price) * U256::from(BLOB_POST_GAS_PER_BYTE)).saturating_to()
}

/// The L1 price of a byte an honest sequencer aims at when a byte of its batches costs
/// `byte_cost` wei on L1 (in calldata or in a blob, as the batcher posts; docs/fees.md §4): that
/// cost with [`L1_PRICE_MARGIN_PERCENT`], saturating, and never below the minimum.
pub fn l1_price_target(byte_cost: u128) -> u64 {
    let wei = U256::from(byte_cost) * U256::from(L1_PRICE_MARGIN_PERCENT) / U256::from(100);
    wei.saturating_to::<u64>().max(MIN_L1_BYTE_PRICE)
}

/// The L1 gas `eth_estimateGas` counts for `billed_bytes` bytes in block `number` after the
/// fee state `fees` under the chain's cap `cap` ([`l1_price_cap`]; docs/fees.md §2.2): at the
/// highest L1 price and the lowest base fee the block after may have (an eighth up but never
/// above the cap, an eighth down), so that a transaction signed with the estimate does not run
/// out of gas when it lands a block later.
pub fn l1_gas_estimate(billed_bytes: u64, fees: &FeeState, number: u64, cap: u64) -> u64 {
    let price = l1_price_range(fees.l1_byte_price, cap).1.max(MIN_L1_BYTE_PRICE);
    let base_fee = fees.base_fee_of(number);
    l1_gas(billed_bytes, price, (base_fee - base_fee / BASE_FEE_CHANGE_DENOMINATOR).max(MIN_BASE_FEE))
}

/// The price a gas unit costs a transaction (docs/fees.md §2): an EIP-1559 transaction's fee cap
/// or the base fee plus its tip, whichever is lower; a legacy transaction's gas price
/// (`tip` `None`).
pub const fn effective_price(max_fee: u128, tip: Option<u128>, base_fee: u128) -> u128 {
    match tip {
        None => max_fee,
        Some(tip) => {
            let offered = base_fee.saturating_add(tip);
            if offered < max_fee { offered } else { max_fee }
        }
    }
}

/// What `gas_used` gas at `price` costs, in wei (never more than `gasLimit × maxFeePerGas`
/// when `gas_used` ≤ gasLimit and `price` ≤ maxFeePerGas).
pub fn fee(gas_used: u64, price: u128) -> U256 {
    U256::from(gas_used) * U256::from(price)
}

/// What the chain's reading of the L1's fees allows for the tip a post pays above the base fee:
/// 2 gwei (`FeeLogic.L1_TIP_ALLOWANCE`).
pub const L1_TIP_ALLOWANCE: u128 = 2_000_000_000;
/// A block's L1 price is at most this many times what a byte of calldata costs at the chain's
/// reading of the L1 base fee plus [`L1_TIP_ALLOWANCE`] (`FeeLogic.L1_PRICE_CAP_MULTIPLE`,
/// docs/fees.md §4): room for the sequencer's margin projected over a posting lag, no more.
pub const L1_PRICE_CAP_MULTIPLE: u64 = 16;

/// The L1's fees as the chain last read them from the bridge's queue (a report the inbox queued
/// at a post, docs/fees.md §4): one leaf of the state ([`keys::l1_fees`]), `baseFee << 128 |
/// blobBaseFee`, which bounds the L1 price of every block after the one that consumed it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Fees {
    /// The L1 block's base fee, in wei a gas unit.
    pub base_fee: u128,
    /// The L1 block's blob base fee, in wei a unit of blob gas.
    pub blob_base_fee: u128,
}

impl L1Fees {
    /// The leaf (each field saturating at `2^128 - 1`, as `BridgeLogic._applyL1Fees` stores it).
    pub fn to_word(&self) -> U256 {
        U256::from(self.base_fee) << 128 | U256::from(self.blob_base_fee)
    }

    /// The reading a leaf holds; `None` for an empty one (no reading).
    pub fn from_word(word: U256) -> Option<Self> {
        let limbs = word.as_limbs();
        (!word.is_zero()).then(|| Self {
            base_fee: u128::from(limbs[3]) << 64 | u128::from(limbs[2]),
            blob_base_fee: u128::from(limbs[1]) << 64 | u128::from(limbs[0]),
        })
    }

    /// The most L1 price a block may commit after this reading (docs/fees.md §4):
    /// [`L1_PRICE_CAP_MULTIPLE`] times a calldata byte's cost at its base fee plus
    /// [`L1_TIP_ALLOWANCE`], at most `u64::MAX`.
    pub fn price_cap(&self) -> u64 {
        let gas_price = U256::from(self.base_fee) + U256::from(L1_TIP_ALLOWANCE);
        (gas_price * U256::from(L1_PRICE_CAP_MULTIPLE) * U256::from(L1_GAS_PER_BYTE)).saturating_to()
    }

    /// The leaf's key ([`keys::l1_fees`]).
    pub fn key() -> alloy_primitives::B256 {
        keys::l1_fees()
    }
}

/// The chain's reading of the L1's fees at genesis, until the first one the inbox queues is
/// consumed (at its first post, within the inclusion window): a base fee of 1 gwei, what
/// Ethereum's blocks cost in 2026 at most of the time, which caps the L1 price at 1,920 gwei a
/// byte meanwhile.
pub const GENESIS_L1_FEES: L1Fees = L1Fees { base_fee: 1_000_000_000, blob_base_fee: 1 };

/// The cap on a block's L1 price after the chain's reading leaf `word` (`FeeLogic.l1PriceCap`):
/// [`L1Fees::price_cap`], or no bound (`u64::MAX`) without a reading.
pub fn l1_price_cap(word: U256) -> u64 {
    L1Fees::from_word(word).map_or(u64::MAX, |fees| fees.price_cap())
}

/// Whether a block may commit `proposed` as its L1 price after a parent that committed
/// `parent`, under the chain's cap `cap` ([`l1_price_cap`], docs/fees.md §4): at least
/// [`MIN_L1_BYTE_PRICE`], at most `cap`, and within one eighth of the parent's, up or down;
/// after a parent more than an eighth above the cap, the cap itself.
pub const fn l1_price_in_bounds(parent: u64, proposed: u64, cap: u64) -> bool {
    let (low, high) = l1_price_range(parent, cap);
    proposed >= MIN_L1_BYTE_PRICE && proposed >= low && proposed <= high
}

/// The lowest and highest L1 price a block may commit after `parent` under `cap` (before the
/// floor [`MIN_L1_BYTE_PRICE`]).
const fn l1_price_range(parent: u64, cap: u64) -> (u64, u64) {
    let step = parent / L1_PRICE_CHANGE_DENOMINATOR;
    let up = parent.saturating_add(step);
    let high = if up < cap { up } else { cap };
    let down = parent - step;
    (if down < high { down } else { high }, high)
}

/// The address whose ether balance collects every fee (docs/fees.md §6): OP Stack's sequencer
/// fee vault address. No key signs for it; the fees are credited once per chunk, not by the
/// transactions, so that they add no conflict between transactions.
pub const FEE_VAULT: Address = alloy_primitives::address!("0x4200000000000000000000000000000000000011");

/// What a transaction signed it would pay: its gas limit, fee cap (a legacy transaction's gas
/// price), tip (`None` for a legacy transaction) and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The signed gas limit.
    pub gas_limit: u64,
    /// `maxFeePerGas`, or a legacy transaction's `gasPrice`.
    pub max_fee: u128,
    /// `maxPriorityFeePerGas`; `None` for a legacy transaction.
    pub tip: Option<u128>,
    /// The ether it sends.
    pub value: U256,
}

impl Offer {
    /// The most the transaction may take: `gasLimit × maxFeePerGas + value` (geth's "gas * price
    /// + value"), saturating.
    pub fn most(&self) -> U256 {
        (U256::from(self.gas_limit) * U256::from(self.max_fee)).saturating_add(self.value)
    }
}

/// What a transaction pays (docs/fees.md §2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Charge {
    /// Gas it used: its scheduled gas and its L1 gas, or its whole gas limit when that is less
    /// (out of gas).
    pub gas_used: u64,
    /// The L1 data fee in gas units ([`l1_gas`]), part of `gas_used`.
    pub l1_gas: u64,
    /// The price of a gas unit ([`effective_price`]): the receipt's `effectiveGasPrice`.
    pub price: u128,
    /// `gas_used × price`, taken from its sender.
    pub fee: U256,
    /// Its gas limit is below its scheduled gas and its L1 gas: it pays its gas limit and its
    /// operation does not run (Ethereum's out of gas).
    pub out_of_gas: bool,
}

/// A sender that cannot pay what a transaction may take, in geth's words ("insufficient funds
/// for gas * price + value: address A have H want W"), which wallets and libraries match. The
/// one message of the sequencer's refusal, of a block's and of a read-only call's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insufficient funds for gas * price + value: address {sender} have {have} want {want}")]
pub struct InsufficientFunds {
    /// The sender.
    pub sender: Address,
    /// Its ether.
    pub have: U256,
    /// What the transaction may take.
    pub want: U256,
}

/// Why a transaction cannot pay for itself in a block: not included (docs/fees.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unpayable {
    /// Its fee cap is below the block's base fee (geth's words).
    #[error("max fee per gas less than block base fee: address {sender}, maxFeePerGas: {max_fee}, baseFee: {base_fee}")]
    FeeCapBelowBaseFee {
        /// The sender.
        sender: Address,
        /// Its fee cap.
        max_fee: u128,
        /// The block's base fee.
        base_fee: u128,
    },
    /// Its sender holds less than it may take.
    #[error(transparent)]
    InsufficientFunds(#[from] InsufficientFunds),
}

/// The charge of a transaction of `scheduled` gas and `l1_gas` L1 gas ([`l1_gas`]) that offers
/// `offer`, from `sender` holding `balance` ether, in a block of `base_fee` (docs/fees.md §2,
/// §5): refused when its fee cap is below the base fee or its sender holds less than
/// `gasLimit × maxFeePerGas + value`; otherwise `scheduled + l1_gas` gas at
/// [`effective_price`], or its gas limit when that is less (out of gas): never more than the
/// offer allows.
pub fn charge(
    offer: &Offer,
    scheduled: u64,
    l1_gas: u64,
    base_fee: u128,
    sender: Address,
    balance: U256,
) -> Result<Charge, Unpayable> {
    if offer.max_fee < base_fee {
        return Err(Unpayable::FeeCapBelowBaseFee { sender, max_fee: offer.max_fee, base_fee });
    }
    let want = offer.most();
    if balance < want {
        return Err(InsufficientFunds { sender, have: balance, want }.into());
    }
    let price = effective_price(offer.max_fee, offer.tip, base_fee);
    let needed = scheduled.saturating_add(l1_gas);
    let out_of_gas = needed > offer.gas_limit;
    let gas_used = needed.min(offer.gas_limit);
    Ok(Charge { gas_used, l1_gas, price, fee: fee(gas_used, price), out_of_gas })
}

/// The fee state of the chain: one leaf of the state tree ([`keys::fee_state`]), which no
/// operation writes (docs/fees.md §6). It is the block that last held an item, the scheduled
/// gas of its transactions so far, its L1 price and its base fee; the first chunk of a block
/// moves it to the block ([`Self::enter`]) and every chunk ends by writing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeState {
    /// The block.
    pub number: u64,
    /// Scheduled gas of its transactions so far (the block's, once it is over): at most
    /// [`BLOCK_GAS_LIMIT`], which 32 bits hold.
    pub gas: u64,
    /// The L1 price the block commits, in wei a byte (docs/fees.md §4).
    pub l1_byte_price: u64,
    /// Its base fee, at most [`MAX_BASE_FEE`].
    pub base_fee: u128,
}

impl FeeState {
    /// The state of the genesis block: no gas, the lowest L1 price and base fee.
    pub const GENESIS: Self = Self { number: 0, gas: 0, l1_byte_price: MIN_L1_BYTE_PRICE, base_fee: MIN_BASE_FEE };

    /// The leaf: `number << 192 | gas << 160 | l1BytePrice << 96 | baseFee`.
    pub fn to_word(&self) -> U256 {
        U256::from(self.number) << 192
            | U256::from(self.gas & u64::from(u32::MAX)) << 160
            | U256::from(self.l1_byte_price) << 96
            | U256::from(self.base_fee & MAX_BASE_FEE)
    }

    /// The state a leaf holds (every word is one: the fields are its bit ranges).
    pub fn from_word(word: U256) -> Self {
        let limbs = word.as_limbs();
        Self {
            number: limbs[3],
            gas: limbs[2] >> 32,
            l1_byte_price: limbs[2] << 32 | limbs[1] >> 32,
            base_fee: u128::from(limbs[1] & u64::from(u32::MAX)) << 64 | u128::from(limbs[0]),
        }
    }

    /// The base fee of block `number`, which follows this state's block: its own for the same
    /// block; otherwise EIP-1559's update from this block's gas, then once more with no gas for
    /// each block in between (blocks without items, which leave no trace in the state), until
    /// the floor, where the base fee stays. At most about 560 steps from any base fee.
    pub fn base_fee_of(&self, number: u64) -> u128 {
        if number == self.number {
            return self.base_fee;
        }
        let mut base_fee = next_base_fee(self.base_fee, self.gas);
        let mut between = number.saturating_sub(self.number).saturating_sub(1);
        while between > 0 && base_fee > MIN_BASE_FEE {
            base_fee = next_base_fee(base_fee, 0);
            between -= 1;
        }
        base_fee
    }

    /// Whether block `number` is another block than this state's: entering it bounds its L1
    /// price, under the chain's cap ([`l1_price_cap`] of the [`keys::l1_fees`] leaf), which the
    /// L1 verifier then reads.
    pub const fn enters_new_block(&self, number: u64) -> bool {
        number != self.number
    }

    /// The state at the start of block `number`'s items, which commits `l1_byte_price`: this
    /// one when it is that block's already (a later chunk of the block, whose price must be the
    /// same), else the block with no gas, its base fee and its price, which must be within the
    /// bound of [`l1_price_in_bounds`] from this one's under `cap` ([`l1_price_cap`]). `None`
    /// when the price breaks the rule.
    pub fn enter(&self, number: u64, l1_byte_price: u64, cap: u64) -> Option<Self> {
        if !self.enters_new_block(number) {
            return (l1_byte_price == self.l1_byte_price).then_some(*self);
        }
        l1_price_in_bounds(self.l1_byte_price, l1_byte_price, cap).then(|| Self {
            number,
            gas: 0,
            l1_byte_price,
            base_fee: self.base_fee_of(number),
        })
    }

    /// The price block `number` proposes for `target` wei a byte: `target` brought within the
    /// bound of [`l1_price_in_bounds`] from this state's price under `cap` (what an honest
    /// sequencer commits). A later chunk of this state's block keeps its price.
    pub fn propose_l1_price(&self, number: u64, target: u64, cap: u64) -> u64 {
        if number == self.number {
            return self.l1_byte_price;
        }
        let (low, high) = l1_price_range(self.l1_byte_price, cap);
        target.clamp(low, high).max(MIN_L1_BYTE_PRICE)
    }

    /// The state after a transaction of `scheduled` gas, if the block can hold it
    /// ([`BLOCK_GAS_LIMIT`]).
    pub fn with_gas(&self, scheduled: u64) -> Option<Self> {
        let gas = self.gas.checked_add(scheduled).filter(|g| *g <= BLOCK_GAS_LIMIT)?;
        Some(Self { gas, ..*self })
    }

    /// The leaf's key ([`keys::fee_state`]).
    pub fn key() -> alloy_primitives::B256 {
        keys::fee_state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SYSTEM_CONTRACT, TokenCall, bindings::L2System};
    use alloy_primitives::B256;
    use alloy_sol_types::SolCall;

    #[test]
    fn the_base_fee_follows_eip1559_and_keeps_its_floor() {
        let base = 1_000_000_000u128;
        assert_eq!(next_base_fee(base, GAS_TARGET), base, "at the target it holds");
        assert_eq!(next_base_fee(base, BLOCK_GAS_LIMIT), base + base / 8, "a full block: +1/8");
        assert_eq!(next_base_fee(base, 0), base - base / 8, "an empty block: -1/8");
        assert_eq!(next_base_fee(MIN_BASE_FEE, 0), MIN_BASE_FEE, "never below the floor");
        assert_eq!(next_base_fee(0, 0), MIN_BASE_FEE, "a zero base fee is lifted to the floor");
        assert_eq!(next_base_fee(u128::MAX, u64::MAX), MAX_BASE_FEE, "saturates");
        assert_eq!(next_base_fee(MAX_BASE_FEE, BLOCK_GAS_LIMIT), MAX_BASE_FEE, "saturates");
        // Sixteen full blocks raise it about 6.6-fold.
        let after = (0..16).fold(base, |b, _| next_base_fee(b, BLOCK_GAS_LIMIT));
        assert!((6_500_000_000..6_700_000_000).contains(&after), "{after}");
    }

    #[test]
    fn the_fee_state_packs_into_one_word_and_follows_blocks() {
        let state = FeeState { number: u64::MAX, gas: 7, l1_byte_price: u64::MAX - 2, base_fee: MAX_BASE_FEE - 1 };
        assert_eq!(FeeState::from_word(state.to_word()), state);
        assert_eq!(FeeState::from_word(FeeState::GENESIS.to_word()), FeeState::GENESIS);
        assert_eq!(FeeState::from_word(U256::MAX).to_word(), U256::MAX, "every word is a state");
        let busy = FeeState { number: 10, gas: BLOCK_GAS_LIMIT, l1_byte_price: 800, base_fee: 1_000_000_000 };
        let none = u64::MAX;
        assert_eq!(busy.enter(10, 800, 0), Some(busy), "a later chunk of the same block, whatever the cap");
        assert_eq!(busy.enter(10, 801, none), None, "a later chunk keeps its block's price");
        assert_eq!(
            busy.enter(11, 900, none),
            Some(FeeState { number: 11, gas: 0, l1_byte_price: 900, base_fee: 1_125_000_000 })
        );
        assert_eq!(busy.enter(11, 901, none), None, "more than an eighth up");
        assert_eq!(busy.enter(11, 699, none), None, "more than an eighth down");
        assert_eq!(busy.enter(11, 851, 850), None, "above the cap");
        assert!(busy.enter(11, 850, 850).is_some(), "at the cap");
        assert!(busy.enter(11, 600, 600).is_some(), "down to a cap far below at once");
        assert_eq!(busy.enter(11, 599, 600), None, "but no further");
        assert_eq!(busy.propose_l1_price(11, 10_000, none), 900);
        assert_eq!(busy.propose_l1_price(11, 10_000, 850), 850, "the cap binds");
        assert_eq!(busy.propose_l1_price(11, 10_000, 100), 100, "a cap far below: at once");
        assert_eq!(busy.propose_l1_price(11, 0, none), 700);
        assert_eq!(busy.propose_l1_price(11, 750, none), 750);
        assert_eq!(busy.propose_l1_price(10, 0, none), 800, "the same block keeps its price");
        assert_eq!(FeeState::GENESIS.propose_l1_price(1, 0, none), MIN_L1_BYTE_PRICE, "never below the floor");
        // Two blocks without items after it: two more steps down from there.
        let after_gap = next_base_fee(next_base_fee(1_125_000_000, 0), 0);
        assert_eq!(busy.base_fee_of(13), after_gap);
        // A long idle stretch ends at the floor, in a bounded number of steps.
        let top = FeeState { number: 0, gas: 0, l1_byte_price: 8, base_fee: MAX_BASE_FEE };
        assert_eq!(top.base_fee_of(u64::MAX), MIN_BASE_FEE);
        assert_eq!(busy.with_gas(1), None, "the block is full");
        assert_eq!(FeeState::GENESIS.with_gas(30_000).map(|s| s.gas), Some(30_000));
        assert_eq!(FeeState { gas: u64::MAX, ..busy }.with_gas(u64::MAX), None, "no overflow");
    }

    #[test]
    fn the_l1_part_is_rounded_up_and_the_price_never_passes_the_cap() {
        assert_eq!(l1_gas(100, 3, 7), 42, "300 / 7 rounded down");
        assert_eq!(l1_gas(90, 8, MIN_BASE_FEE), 0, "the genesis price is below a gas unit");
        assert_eq!(l1_gas(0, u64::MAX, 1), 0);
        assert_eq!(l1_gas(u64::MAX, u64::MAX, 1), u64::MAX, "saturates");
        assert_eq!(l1_gas(1, 1, 0), 1, "a zero base fee counts as one wei");
        assert_eq!(effective_price(100, Some(5), 90), 95);
        assert_eq!(effective_price(100, Some(50), 90), 100, "capped by the fee cap");
        assert_eq!(effective_price(100, Some(u128::MAX), u128::MAX), 100, "no overflow");
        assert_eq!(effective_price(7, None, 3), 7, "legacy: its gas price");
        assert_eq!(fee(u64::MAX, u128::MAX), U256::from(u64::MAX) * U256::from(u128::MAX));
    }

    #[test]
    fn a_charge_is_the_scheduled_gas_at_the_price_and_never_more_than_signed() {
        let sender = Address::repeat_byte(1);
        let offer = Offer { gas_limit: 100_000, max_fee: 10, tip: Some(3), value: U256::from(5u8) };
        let most = U256::from(100_000u64 * 10 + 5);
        assert_eq!(offer.most(), most);
        let paid = charge(&offer, 30_000, 0, 4, sender, most).expect("pays");
        let expected = Charge { gas_used: 30_000, l1_gas: 0, price: 7, fee: U256::from(210_000u64), out_of_gas: false };
        assert_eq!(paid, expected, "base 4 + tip 3");
        let with_l1 = charge(&offer, 30_000, 1_000, 4, sender, most).expect("pays");
        assert_eq!((with_l1.gas_used, with_l1.l1_gas, with_l1.fee), (31_000, 1_000, U256::from(217_000u64)));
        assert_eq!(charge(&offer, 30_000, 0, 9, sender, most).expect("pays").price, 10, "capped by the fee cap");
        let legacy = Offer { tip: None, ..offer };
        assert_eq!(charge(&legacy, 30_000, 0, 1, sender, most).expect("pays").price, 10, "a gas price is paid whole");
        assert_eq!(
            charge(&offer, 30_000, 0, 11, sender, most),
            Err(Unpayable::FeeCapBelowBaseFee { sender, max_fee: 10, base_fee: 11 })
        );
        let short = charge(&offer, 30_000, 0, 4, sender, most - U256::from(1u8)).expect_err("one wei short");
        assert!(short.to_string().starts_with("insufficient funds for gas * price + value: address"), "{short}");
        // An L1 part past the gas limit: out of gas, the limit paid, never more.
        let oog = charge(&offer, 30_000, 70_001, 4, sender, most).expect("pays");
        assert!(oog.out_of_gas);
        assert_eq!((oog.gas_used, oog.fee), (100_000, U256::from(700_000u64)));
        assert!(!charge(&offer, 30_000, 70_000, 4, sender, most).expect("pays").out_of_gas, "exactly the limit");
        // A gas limit below the schedule (which admission refuses) pays its limit.
        assert_eq!(charge(&offer, 200_000, 0, 4, sender, most).expect("pays").gas_used, 100_000);
        assert!(charge(&offer, u64::MAX, u64::MAX, 4, sender, most).expect("pays").out_of_gas, "no overflow");
        let huge = Offer { gas_limit: u64::MAX, max_fee: u128::MAX, tip: Some(u128::MAX), value: U256::MAX };
        assert_eq!(huge.most(), U256::MAX, "saturates");
    }

    #[test]
    fn a_byte_costs_its_calldata_floor_or_its_share_of_a_blob() {
        let gwei = 1_000_000_000u128;
        assert_eq!(calldata_byte_cost(gwei), 40 * gwei);
        // An idle blob market (1 wei): the post's own gas, 4 a byte, is the cost.
        assert_eq!(blob_byte_cost(gwei, 1), 2 + 4 * gwei);
        // Blob gas at 10 gwei: 131,072 × 10 gwei over 120,000 bytes.
        assert_eq!(blob_byte_cost(gwei, 10 * gwei), 10_922_666_667 + 4 * gwei);
        assert_eq!(l1_price_target(calldata_byte_cost(gwei)), 80_000_000_000);
        assert_eq!(l1_price_target(0), MIN_L1_BYTE_PRICE);
        assert_eq!(blob_byte_cost(u128::MAX, u128::MAX), u128::MAX, "saturates");
    }

    #[test]
    fn the_l1_price_moves_an_eighth_at_most_and_stays_under_the_l1s_cap() {
        let none = u64::MAX;
        assert!(l1_price_in_bounds(800, 900, none) && l1_price_in_bounds(800, 700, none));
        assert!(!l1_price_in_bounds(800, 901, none) && !l1_price_in_bounds(800, 699, none));
        assert!(l1_price_in_bounds(8, 9, none) && l1_price_in_bounds(8, 8, none));
        assert!(!l1_price_in_bounds(8, 7, none), "the floor");
        assert!(l1_price_in_bounds(u64::MAX, u64::MAX, none), "no overflow");
        assert!(!l1_price_in_bounds(800, 801, 800) && l1_price_in_bounds(800, 800, 800), "the cap");
        assert!(l1_price_in_bounds(800, 100, 100) && !l1_price_in_bounds(800, 99, 100), "down to the cap at once");
    }

    #[test]
    fn the_cap_follows_the_l1s_base_fee() {
        let gwei = 1_000_000_000u128;
        assert_eq!(l1_price_cap(U256::ZERO), u64::MAX, "no reading, no bound");
        let reading = L1Fees { base_fee: gwei, blob_base_fee: 3 };
        assert_eq!(L1Fees::from_word(reading.to_word()), Some(reading));
        assert_eq!(L1Fees::from_word(U256::ZERO), None);
        // 16 × 40 gas × (1 + 2) gwei.
        assert_eq!(l1_price_cap(reading.to_word()), 16 * 40 * 3 * 1_000_000_000);
        let top = L1Fees { base_fee: u128::MAX, blob_base_fee: u128::MAX };
        assert_eq!(L1Fees::from_word(top.to_word()), Some(top));
        assert_eq!(l1_price_cap(top.to_word()), u64::MAX, "saturates");
    }

    #[test]
    fn every_operation_has_its_scheduled_gas() {
        let token = Address::repeat_byte(1);
        let call = |c: TokenCall| c.encode();
        let transfer = L2System::transferCall { token, to: token, amount: U256::ZERO }.abi_encode();
        assert_eq!(scheduled_gas(token, &[]), Some(21_000), "a transfer of ether");
        assert_eq!(scheduled_gas(SYSTEM_CONTRACT, &transfer), Some(30_000));
        assert_eq!(scheduled_gas(token, &call(TokenCall::Transfer { to: token, amount: U256::ZERO })), Some(30_000));
        assert_eq!(
            scheduled_gas(token, &call(TokenCall::Approve { spender: token, amount: U256::ZERO })),
            Some(26_000)
        );
        let from = TokenCall::TransferFrom { from: token, to: token, amount: U256::ZERO };
        assert_eq!(scheduled_gas(token, &call(from)), Some(36_000));
        let create =
            L2System::createTokenCall { salt: B256::ZERO, symbol: "A".into(), decimals: 1, supply: U256::ZERO };
        assert_eq!(scheduled_gas(SYSTEM_CONTRACT, &create.abi_encode()), Some(120_000));
        let view = L2System::balanceOfCall { token, owner: token }.abi_encode();
        assert_eq!(scheduled_gas(SYSTEM_CONTRACT, &view), None, "a view is no operation");
        assert_eq!(scheduled_gas(SYSTEM_CONTRACT, &[]), None);
        assert_eq!(scheduled_gas(token, &transfer), None, "the system's transfer at a token");
    }
}
