//! The money market in Rust: a model of `LendingLogic` written from docs/lending.md, apart
//! from the Solidity, that the differential test runs beside revm and the L1 verifier on the
//! same random operations (`rollup-fraud-proof`'s `lending_model`). It holds what the
//! contract holds (the markets, the positions and the balances of the accounts it is told of)
//! as plain Rust values, and answers each call with the logs the contract emits or the
//! revert data it returns; [`MarketModel::words`] lays its state out in the contract's state
//! words, to be compared with the chain's.
//!
//! Prices are an input: the oracles are `OracleLogic`'s (tested on their own), so the test
//! hands the model each block's window means ([`MarketModel::set_mean`]). The arithmetic is
//! `rollup_types::lending`'s, which the shared vectors check against `LendingMath`.

use crate::{
    bindings::L2Lending,
    genesis::GenesisSpec,
    keys,
    lending::{
        MAX_VALUE, RAY, SHARDS, accrue, add_capped, borrow_rate, from_scaled, mul_capped, mul_q128, supply_rate,
        to_scaled, utilization,
    },
    oracle::exp2,
};
use alloy_primitives::{Address, B256, Bytes, LogData, U256};
use alloy_sol_types::{SolError, SolEvent, SolInterface};
use std::collections::{BTreeMap, HashMap};

const BPS: u64 = 10_000;
const YEAR: u64 = 365 * 86_400;
/// Below this health factor (bps) a liquidation may repay all of a debt.
const FULL_CLOSE_HEALTH: u64 = 9_500;
/// The share of a debt one liquidation repays at most (bps).
const CLOSE_FACTOR: u64 = 5_000;

/// A call the contract refused: the revert data it returns.
pub type Revert = Bytes;

fn revert(e: impl SolError) -> Revert {
    e.abi_encode().into()
}

/// Solidity's `Panic(0x11)`: an arithmetic overflow or underflow.
fn overflow() -> Revert {
    let mut data = alloy_primitives::hex!("4e487b71").to_vec();
    data.extend_from_slice(&U256::from(0x11u8).to_be_bytes::<32>());
    data.into()
}

fn bps(v: u64) -> U256 {
    U256::from(v)
}

/// One market: its parameters, its rate model a second in rays, its indices and each shard's
/// scaled supply and debt.
#[derive(Clone, Debug)]
struct Market {
    asset: Address,
    collateral_factor: u64,
    liquidation_threshold: u64,
    liquidation_bonus: u64,
    reserve_factor: u64,
    kink: u64,
    base: U256,
    slope_low: U256,
    slope_high: U256,
    last_accrual: u64,
    supply_index: U256,
    borrow_index: U256,
    shards: [(U256, U256); SHARDS as usize],
}

/// The money market's state and operations (see the module's documentation).
#[derive(Clone, Debug)]
pub struct MarketModel {
    markets: Vec<Market>,
    /// The market the next block's beginning accrues.
    turn: usize,
    dust: U256,
    numeraire: Address,
    /// Scaled supply and debt by account and market.
    positions: BTreeMap<(Address, usize), (U256, U256)>,
    /// Balances by token and owner: the accounts the model was told of, and the shards'.
    balances: BTreeMap<(Address, Address), U256>,
    /// Each asset's window mean (a base-2 logarithm of its price, `oracle`'s fixed point).
    means: HashMap<Address, i64>,
    logs: Vec<LogData>,
}

impl MarketModel {
    /// The markets of `spec` as a genesis at `timestamp` lays them out, no balance known.
    pub fn genesis(spec: &GenesisSpec, timestamp: u64) -> Self {
        let per_second = |yearly: u32| {
            let numerator = U256::from(yearly) * (RAY / bps(BPS));
            if numerator.is_zero() {
                numerator
            } else {
                (numerator - U256::from(1u8)) / U256::from(YEAR) + U256::from(1u8)
            }
        };
        let markets = spec
            .markets
            .iter()
            .map(|m| Market {
                asset: m.asset,
                collateral_factor: m.collateral_factor.into(),
                liquidation_threshold: m.liquidation_threshold.into(),
                liquidation_bonus: m.liquidation_bonus.into(),
                reserve_factor: m.reserve_factor.into(),
                kink: m.kink.into(),
                base: per_second(m.base_rate),
                slope_low: per_second(m.slope_low),
                slope_high: per_second(m.slope_high),
                last_accrual: timestamp.min(u32::MAX.into()),
                supply_index: RAY,
                borrow_index: RAY,
                shards: Default::default(),
            })
            .collect();
        Self {
            markets,
            turn: 0,
            dust: spec.liquidation_dust.min(MAX_VALUE),
            numeraire: spec.numeraire,
            positions: BTreeMap::new(),
            balances: BTreeMap::new(),
            means: HashMap::new(),
            logs: Vec::new(),
        }
    }

    /// Tells the model `owner`'s balance of `token`.
    pub fn set_balance(&mut self, token: Address, owner: Address, amount: U256) {
        self.balances.insert((token, owner), amount);
    }

    /// Moves `owner`'s balance of `token` by what something outside the money market (a swap)
    /// took and gave.
    pub fn adjust_balance(&mut self, token: Address, owner: Address, took: U256, gave: U256) {
        let balance = self.balances.entry((token, owner)).or_default();
        *balance = *balance - took + gave;
    }

    /// Sets `asset`'s window mean for the block.
    pub fn set_mean(&mut self, asset: Address, mean: i64) {
        self.means.insert(asset, mean);
    }

    /// The block's beginning at `timestamp`: the market whose turn it is accrues, and its cash
    /// is spread evenly over its shards. The logs it emitted.
    pub fn begin_block(&mut self, timestamp: u64) -> Vec<LogData> {
        if !self.markets.is_empty() {
            self.accrue(self.turn, timestamp);
            self.turn = (self.turn + 1) % self.markets.len();
        }
        std::mem::take(&mut self.logs)
    }

    /// `sender`'s call `input` of the money market: the logs it emitted or the revert data,
    /// its effects kept only when it went through; `None` when `input` is no call of the
    /// money market's operations.
    pub fn call(&mut self, sender: Address, input: &[u8]) -> Option<Result<Vec<LogData>, Revert>> {
        use L2Lending::L2LendingCalls as C;
        let call = C::abi_decode(input).ok()?;
        let before = self.clone();
        let done = match call {
            C::supply(c) => self.supply(sender, c.asset, c.amount),
            C::withdrawSupply(c) => self.withdraw_supply(sender, c.asset, c.amount),
            C::borrow(c) => self.borrow(sender, c.asset, c.amount),
            C::repay(c) => self.repay(sender, c.asset, c.amount),
            C::liquidate(c) => {
                self.liquidate(sender, c.borrower, c.debtAsset, c.collateralAsset, c.amount, c.minCollateral)
            }
            _ => return None,
        };
        Some(match done {
            Ok(()) => Ok(std::mem::take(&mut self.logs)),
            Err(e) => {
                *self = before;
                Err(e)
            }
        })
    }

    /// `user`'s collateral at its markets' liquidation thresholds and its debt, in the
    /// numeraire (what a liquidation weighs); `None` when a price is missing.
    pub fn collateral_and_debt(&self, user: Address) -> Option<(U256, U256)> {
        self.health(user, true).ok()
    }

    /// Every state word the model holds, by key: the header, each market's three words and its
    /// shards' totals and cash, each position, each balance it knows.
    pub fn words(&self) -> Vec<(B256, U256)> {
        let mut words =
            vec![(keys::markets(), U256::from(self.markets.len()) | U256::from(self.turn) << 8 | self.dust << 16)];
        for (i, m) in self.markets.iter().enumerate() {
            let i64_ = i as u64;
            let config = U256::from_be_slice(m.asset.as_slice())
                | bps(m.collateral_factor) << 160
                | bps(m.liquidation_threshold) << 176
                | bps(m.liquidation_bonus) << 192
                | bps(m.reserve_factor) << 208
                | bps(m.kink) << 224;
            words.push((keys::market(i64_, 0), config));
            let rates = m.base | m.slope_low << 72 | m.slope_high << 144 | U256::from(m.last_accrual) << 216;
            words.push((keys::market(i64_, 1), rates));
            words.push((keys::market(i64_, 2), m.supply_index | m.borrow_index << 128));
            for (s, (supplied, owed)) in m.shards.iter().enumerate() {
                words.push((keys::market_shard(i64_, s as u64), *supplied | *owed << 128));
            }
        }
        for ((user, i), (supplied, owed)) in &self.positions {
            words.push((keys::position(user, *i as u64), *supplied | *owed << 128));
        }
        for ((token, owner), amount) in &self.balances {
            words.push((keys::balance(token, owner), *amount));
        }
        words
    }

    // -----------------------------------------------------------------------------------------
    // The operations, in the contract's order of checks.

    fn supply(&mut self, user: Address, asset: Address, amount: U256) -> Result<(), Revert> {
        let i = self.market_index(asset)?;
        let scaled = to_scaled(checked(amount)?, self.markets[i].supply_index, false);
        if scaled.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        let shard = shard_of(user);
        self.transfer(asset, user, keys::shard_account(shard), amount)?;
        self.add_position(user, i, shard, scaled, U256::ZERO)?;
        self.emit(L2Lending::Supplied { user, asset, amount, scaled });
        Ok(())
    }

    fn withdraw_supply(&mut self, user: Address, asset: Address, mut amount: U256) -> Result<(), Revert> {
        let i = self.market_index(asset)?;
        let index = self.markets[i].supply_index;
        let held = self.position(user, i).0;
        let scaled = if amount == U256::MAX {
            amount = from_scaled(held, index, false);
            held
        } else {
            to_scaled(checked(amount)?, index, true)
        };
        if amount.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        if scaled > held {
            let available = from_scaled(held, index, false);
            return Err(revert(L2Lending::InsufficientSupply { user, asset, available, required: amount }));
        }
        let shard = shard_of(user);
        self.sub_position(user, i, shard, scaled, U256::ZERO)?;
        self.pay_out(asset, shard, user, amount)?;
        self.require_collateralized(user)?;
        self.emit(L2Lending::SupplyWithdrawn { user, asset, amount, scaled });
        Ok(())
    }

    fn borrow(&mut self, user: Address, asset: Address, amount: U256) -> Result<(), Revert> {
        let i = self.market_index(asset)?;
        if amount.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        let scaled = to_scaled(checked(amount)?, self.markets[i].borrow_index, true);
        let shard = shard_of(user);
        self.add_position(user, i, shard, U256::ZERO, scaled)?;
        self.pay_out(asset, shard, user, amount)?;
        self.require_collateralized(user)?;
        self.emit(L2Lending::Borrowed { user, asset, amount, scaled });
        Ok(())
    }

    fn repay(&mut self, user: Address, asset: Address, mut amount: U256) -> Result<(), Revert> {
        let i = self.market_index(asset)?;
        let index = self.markets[i].borrow_index;
        let owed_scaled = self.position(user, i).1;
        let owed = from_scaled(owed_scaled, index, true);
        let scaled = if amount >= owed {
            amount = owed;
            owed_scaled
        } else {
            to_scaled(amount, index, false)
        };
        if amount.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        let shard = shard_of(user);
        self.transfer(asset, user, keys::shard_account(shard), amount)?;
        self.sub_position(user, i, shard, U256::ZERO, scaled)?;
        self.emit(L2Lending::Repaid { user, asset, amount, scaled });
        Ok(())
    }

    fn liquidate(
        &mut self,
        liquidator: Address,
        borrower: Address,
        debt_asset: Address,
        collateral_asset: Address,
        amount: U256,
        minimum: U256,
    ) -> Result<(), Revert> {
        if liquidator == borrower {
            return Err(revert(L2Lending::SelfLiquidation {}));
        }
        let (d, c) = (self.market_index(debt_asset)?, self.market_index(collateral_asset)?);
        // What it may repay: the close factor's share of the debt, or all of it when deep
        // underwater or under the dust; refused when the borrower is healthy.
        let (collateral, debt) = self.health(borrower, true)?;
        if collateral >= debt {
            return Err(revert(L2Lending::Healthy { borrower, collateralValue: collateral, debtValue: debt }));
        }
        let owed = from_scaled(self.position(borrower, d).1, self.markets[d].borrow_index, true);
        let full = mul_capped(collateral, bps(BPS)) < mul_capped(debt, bps(FULL_CLOSE_HEALTH)) || debt < self.dust;
        let most = if full { owed } else { owed * bps(CLOSE_FACTOR) / bps(BPS) };
        let held = from_scaled(self.position(borrower, c).0, self.markets[c].supply_index, false);
        if most.is_zero() || held.is_zero() {
            return Err(revert(L2Lending::NothingToLiquidate {
                borrower,
                debtAsset: debt_asset,
                collateralAsset: collateral_asset,
            }));
        }
        let repaid = amount.min(most);
        if repaid.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        let (repaid, seized) = self.seizure(d, c, repaid, held)?;
        if seized < minimum {
            return Err(revert(L2Lending::InsufficientCollateralOut { seized, minimum }));
        }
        let shard = shard_of(borrower);
        // The repayment.
        let index = self.markets[d].borrow_index;
        let owed_scaled = self.position(borrower, d).1;
        let cleared =
            if repaid == from_scaled(owed_scaled, index, true) { owed_scaled } else { to_scaled(repaid, index, false) };
        self.transfer(debt_asset, liquidator, keys::shard_account(shard), repaid)?;
        self.sub_position(borrower, d, shard, U256::ZERO, cleared)?;
        // The seizure: the borrower's supply, scaled as it is (rounded up, at most all of it).
        let held_scaled = self.position(borrower, c).0;
        let seized_scaled = to_scaled(seized, self.markets[c].supply_index, true).min(held_scaled);
        self.sub_position(borrower, c, shard, seized_scaled, U256::ZERO)?;
        self.add_position(liquidator, c, shard_of(liquidator), seized_scaled, U256::ZERO)?;
        self.emit(L2Lending::Liquidated {
            liquidator,
            borrower,
            debtAsset: debt_asset,
            collateralAsset: collateral_asset,
            repaid,
            seized,
        });
        // A borrower left with no collateral anywhere has its debts written off.
        if (0..self.markets.len()).all(|i| self.position(borrower, i).0.is_zero()) {
            for i in 0..self.markets.len() {
                let owed_scaled = self.position(borrower, i).1;
                if owed_scaled.is_zero() {
                    continue;
                }
                self.sub_position(borrower, i, shard, U256::ZERO, owed_scaled)?;
                let amount = from_scaled(owed_scaled, self.markets[i].borrow_index, true);
                self.emit(L2Lending::BadDebt { borrower, asset: self.markets[i].asset, amount });
            }
        }
        Ok(())
    }

    /// What repaying `repaid` of market `d` buys of market `c`'s collateral at the price ratio
    /// plus `c`'s bonus (rounded down); when that passes `held`, all of it for what it is worth
    /// (rounded up).
    fn seizure(&self, d: usize, c: usize, repaid: U256, held: U256) -> Result<(U256, U256), Revert> {
        let (log_d, log_c) = (self.mean(self.markets[d].asset)?, self.mean(self.markets[c].asset)?);
        let bonus = bps(BPS + self.markets[c].liquidation_bonus);
        let seized = mul_capped(mul_q128(repaid, exp2(log_d - log_c), false), bonus) / bps(BPS);
        if seized <= held {
            return Ok((repaid, seized));
        }
        let worth = mul_q128(mul_capped(held, bps(BPS)), exp2(log_c - log_d), true);
        let worth = worth / bonus + U256::from(!(worth % bonus).is_zero());
        let repaid = repaid.min(worth);
        if repaid.is_zero() {
            return Err(revert(L2Lending::ZeroAmount {}));
        }
        Ok((repaid, held))
    }

    // -----------------------------------------------------------------------------------------
    // Accrual.

    fn accrue(&mut self, i: usize, timestamp: u64) {
        let asset = self.markets[i].asset;
        let (supplied, owed) =
            self.markets[i].shards.iter().fold((U256::ZERO, U256::ZERO), |(s, o), (a, b)| (s + a, o + b));
        let cash: Vec<U256> = (0..SHARDS).map(|s| self.balance(asset, keys::shard_account(s))).collect();
        let total: U256 = cash.iter().sum();
        let m = &mut self.markets[i];
        let now = timestamp.min(u32::MAX.into());
        // A genesis at time 0 starts the clock at the first accrual.
        let interval = if m.last_accrual == 0 || now <= m.last_accrual { 0 } else { now - m.last_accrual };
        let u = utilization(from_scaled(owed, m.borrow_index, true), from_scaled(supplied, m.supply_index, false));
        let ray = |v: u64| bps(v) * (RAY / bps(BPS));
        let borrow = borrow_rate(u, m.base, m.slope_low, m.slope_high, ray(m.kink));
        let supply = supply_rate(borrow, u, ray(m.reserve_factor));
        m.borrow_index = accrue(m.borrow_index, borrow, interval, true);
        m.supply_index = accrue(m.supply_index, supply, interval, false);
        m.last_accrual = now;
        let event = L2Lending::Accrued {
            asset,
            supplyIndex: m.supply_index,
            borrowIndex: m.borrow_index,
            borrowRate: borrow,
            supplyRate: supply,
        };
        self.emit(event);
        // An even share of the cash in each shard; the last takes what rounding leaves.
        let share = total / U256::from(SHARDS);
        for s in 0..SHARDS {
            let target = if s == SHARDS - 1 { total - share * U256::from(SHARDS - 1) } else { share };
            self.balances.insert((asset, keys::shard_account(s)), target);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Health.

    /// `user`'s collateral at its markets' collateral factors (`by_threshold` false) or
    /// liquidation thresholds (true), and its debt, in the numeraire: collateral rounded down,
    /// debt up, both capped.
    fn health(&self, user: Address, by_threshold: bool) -> Result<(U256, U256), Revert> {
        let (mut collateral, mut debt) = (U256::ZERO, U256::ZERO);
        for (i, m) in self.markets.iter().enumerate() {
            let (supplied, owed) = self.position(user, i);
            if supplied.is_zero() && owed.is_zero() {
                continue;
            }
            let price = exp2(self.mean(m.asset)?);
            if !supplied.is_zero() {
                let factor = if by_threshold { m.liquidation_threshold } else { m.collateral_factor };
                let value = mul_q128(from_scaled(supplied, m.supply_index, false), price, false);
                collateral = add_capped(collateral, mul_capped(value, bps(factor)) / bps(BPS));
            }
            if !owed.is_zero() {
                debt = add_capped(debt, mul_q128(from_scaled(owed, m.borrow_index, true), price, true));
            }
        }
        Ok((collateral, debt))
    }

    fn require_collateralized(&self, user: Address) -> Result<(), Revert> {
        let (borrowable, debt) = self.health(user, false)?;
        if debt > borrowable {
            return Err(revert(L2Lending::Undercollateralized { user, borrowable, debtValue: debt }));
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Positions, balances, cash.

    fn position(&self, user: Address, i: usize) -> (U256, U256) {
        self.positions.get(&(user, i)).copied().unwrap_or_default()
    }

    fn add_position(&mut self, user: Address, i: usize, shard: u64, supplied: U256, owed: U256) -> Result<(), Revert> {
        let add = |(low, high): (U256, U256)| {
            let (low, high) = (low + supplied, high + owed);
            if low > MAX_VALUE {
                return Err(revert(L2Lending::AmountTooLarge { amount: low }));
            }
            if high > MAX_VALUE {
                return Err(revert(L2Lending::AmountTooLarge { amount: high }));
            }
            Ok((low, high))
        };
        let position = add(self.position(user, i))?;
        self.positions.insert((user, i), position);
        let totals = &mut self.markets[i].shards[shard as usize];
        *totals = add(*totals)?;
        Ok(())
    }

    fn sub_position(&mut self, user: Address, i: usize, shard: u64, supplied: U256, owed: U256) -> Result<(), Revert> {
        let sub = |(low, high): (U256, U256)| match (low.checked_sub(supplied), high.checked_sub(owed)) {
            (Some(low), Some(high)) => Ok((low, high)),
            _ => Err(overflow()),
        };
        let position = sub(self.position(user, i))?;
        if position == (U256::ZERO, U256::ZERO) {
            self.positions.remove(&(user, i));
        } else {
            self.positions.insert((user, i), position);
        }
        let totals = &mut self.markets[i].shards[shard as usize];
        *totals = sub(*totals)?;
        Ok(())
    }

    fn balance(&self, token: Address, owner: Address) -> U256 {
        self.balances.get(&(token, owner)).copied().unwrap_or_default()
    }

    fn transfer(&mut self, token: Address, from: Address, to: Address, amount: U256) -> Result<(), Revert> {
        let available = self.balance(token, from);
        if available < amount {
            return Err(revert(L2Lending::InsufficientBalance { token, owner: from, available, required: amount }));
        }
        self.balances.insert((token, from), available - amount);
        let credited = self.balance(token, to).checked_add(amount).ok_or_else(overflow)?;
        self.balances.insert((token, to), credited);
        self.emit(L2Lending::Transfer { token, from, to, amount });
        Ok(())
    }

    /// Pays `amount` of `asset` from `shard`'s cash, and when that is short from the next
    /// shards in turn.
    fn pay_out(&mut self, asset: Address, shard: u64, to: Address, amount: U256) -> Result<(), Revert> {
        let mut left = amount;
        for k in 0..SHARDS {
            if left.is_zero() {
                break;
            }
            let account = keys::shard_account((shard + k) % SHARDS);
            let take = self.balance(asset, account).min(left);
            if !take.is_zero() {
                self.transfer(asset, account, to, take)?;
            }
            left -= take;
        }
        if !left.is_zero() {
            return Err(revert(L2Lending::InsufficientCash { asset, available: amount - left, required: amount }));
        }
        Ok(())
    }

    fn market_index(&self, asset: Address) -> Result<usize, Revert> {
        self.markets.iter().position(|m| m.asset == asset).ok_or_else(|| revert(L2Lending::NoMarket { asset }))
    }

    fn mean(&self, asset: Address) -> Result<i64, Revert> {
        if asset == self.numeraire {
            return Ok(0);
        }
        self.means.get(&asset).copied().ok_or_else(|| revert(L2Lending::NoOracle { asset }))
    }

    fn emit(&mut self, event: impl SolEvent) {
        self.logs.push(event.encode_log_data());
    }
}

/// The shard of `user`: the low bits of its address.
pub fn shard_of(user: Address) -> u64 {
    u64::from(user.0[19]) & (SHARDS - 1)
}

fn checked(amount: U256) -> Result<U256, Revert> {
    if amount.is_zero() {
        return Err(revert(L2Lending::ZeroAmount {}));
    }
    if amount > MAX_VALUE {
        return Err(revert(L2Lending::AmountTooLarge { amount }));
    }
    Ok(amount)
}
