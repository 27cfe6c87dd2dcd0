//! Read models over the committed state, straight from the state keys (no EVM call).

use alloy_primitives::{Address, U256};
use rollup_executor::State;
use rollup_types::keys;
use serde::{Serialize, Serializer};

/// Amounts are decimal strings in the REST API: exact, and readable without a hex decoder.
pub(crate) fn decimal<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

/// A listed token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// Its address.
    pub address: Address,
    /// Its symbol.
    pub symbol: String,
    /// Its decimals.
    pub decimals: u8,
    /// Total supply, in base units.
    #[serde(serialize_with = "decimal")]
    pub total_supply: U256,
}

/// A pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolView {
    /// Position in the pool list.
    pub index: u64,
    /// Lower token address.
    pub token0: Address,
    /// Higher token address.
    pub token1: Address,
    /// Symbol of token0.
    pub symbol0: String,
    /// Symbol of token1.
    pub symbol1: String,
    /// Reserve of token0.
    #[serde(serialize_with = "decimal")]
    pub reserve0: U256,
    /// Reserve of token1.
    #[serde(serialize_with = "decimal")]
    pub reserve1: U256,
    /// The pool's liquidity token.
    pub lp_token: Address,
    /// Liquidity tokens in existence.
    #[serde(serialize_with = "decimal")]
    pub total_liquidity: U256,
}

/// One balance of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    /// Token address.
    pub token: Address,
    /// Token symbol ("LP" for liquidity tokens).
    pub symbol: String,
    /// Token decimals.
    pub decimals: u8,
    /// Balance in base units.
    #[serde(serialize_with = "decimal")]
    pub balance: U256,
}

fn load(state: &State, key: alloy_primitives::B256) -> U256 {
    state.storage(&key.into())
}

fn address(v: U256) -> Address {
    Address::from_word(v.into())
}

fn metadata(state: &State, token: &Address) -> Option<(String, u8)> {
    let meta = load(state, keys::token(token));
    if meta.is_zero() {
        return None;
    }
    let bytes = meta.to_be_bytes::<32>();
    let symbol: Vec<u8> = bytes[..31].iter().copied().take_while(|b| *b != 0).collect();
    Some((String::from_utf8_lossy(&symbol).into_owned(), bytes[31]))
}

/// Listed tokens, in listing order.
pub fn tokens(state: &State) -> Vec<TokenView> {
    let count = load(state, keys::token_count()).saturating_to::<u64>();
    (0..count)
        .map(|i| {
            let token = address(load(state, keys::token_at(i)));
            let (symbol, decimals) = metadata(state, &token).unwrap_or_default();
            TokenView { address: token, symbol, decimals, total_supply: load(state, keys::supply(&token)) }
        })
        .collect()
}

/// Pools, in creation order.
pub fn pools(state: &State) -> Vec<PoolView> {
    let count = load(state, keys::pool_count()).saturating_to::<u64>();
    (0..count)
        .map(|index| {
            let token0 = address(load(state, keys::pool_at(index, 0)));
            let token1 = address(load(state, keys::pool_at(index, 1)));
            let packed = load(state, keys::pool(&token0, &token1));
            let lp_token = keys::lp_token(&token0, &token1);
            let symbol = |t: &Address| metadata(state, t).map(|m| m.0).unwrap_or_default();
            PoolView {
                index,
                token0,
                token1,
                symbol0: symbol(&token0),
                symbol1: symbol(&token1),
                reserve0: packed & U256::from(u128::MAX),
                reserve1: packed >> 128,
                lp_token,
                total_liquidity: load(state, keys::supply(&lp_token)),
            }
        })
        .collect()
}

/// Non-zero balances of `owner` in listed tokens and liquidity tokens.
pub fn balances(state: &State, owner: &Address) -> Vec<BalanceView> {
    let listed = tokens(state).into_iter().map(|t| (t.address, t.symbol, t.decimals));
    let lp = pools(state).into_iter().map(|p| (p.lp_token, "LP".to_owned(), 18));
    listed
        .chain(lp)
        .filter_map(|(token, symbol, decimals)| {
            let balance = load(state, keys::balance(&token, owner));
            (!balance.is_zero()).then_some(BalanceView { token, symbol, decimals, balance })
        })
        .collect()
}

/// Shards of a market (docs/lending.md §3): a user's is the low three bits of its address.
use rollup_types::lending::SHARDS;

/// A market of the money market (docs/lending.md §2), read from its words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketView {
    /// Its index, in genesis order.
    pub index: u64,
    /// The asset it lends.
    pub asset: Address,
    /// The asset's symbol.
    pub symbol: String,
    /// The asset's decimals.
    pub decimals: u8,
    /// Collateral factor, basis points: what a unit of supply lets its owner borrow.
    pub collateral_factor_bps: u64,
    /// Liquidation threshold, basis points.
    pub liquidation_threshold_bps: u64,
    /// Liquidation bonus, basis points.
    pub liquidation_bonus_bps: u64,
    /// Reserve factor, basis points: the share of interest kept by the market.
    pub reserve_factor_bps: u64,
    /// Utilization at the rate model's kink, basis points.
    pub kink_bps: u64,
    /// Supply index, in rays (10^27).
    #[serde(serialize_with = "decimal")]
    pub supply_index: U256,
    /// Borrow index, in rays.
    #[serde(serialize_with = "decimal")]
    pub borrow_index: U256,
    /// Timestamp of its last accrual (the low 32 bits its clock keeps).
    pub last_accrual: u64,
    /// What its suppliers are owed, base units (the shards' scaled supplies at the index,
    /// rounded down).
    #[serde(serialize_with = "decimal")]
    pub total_supply: U256,
    /// What its borrowers owe, base units (rounded up).
    #[serde(serialize_with = "decimal")]
    pub total_debt: U256,
    /// The asset the market holds: the sum of its shards' cash.
    #[serde(serialize_with = "decimal")]
    pub cash: U256,
}

/// One market position of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionView {
    /// The market's index.
    pub market: u64,
    /// Its asset.
    pub asset: Address,
    /// Its asset's symbol.
    pub symbol: String,
    /// What the account supplied with its interest, base units (rounded down, as a
    /// withdrawal pays).
    #[serde(serialize_with = "decimal")]
    pub supplied: U256,
    /// What it owes with interest, base units (rounded up, as a repayment takes).
    #[serde(serialize_with = "decimal")]
    pub borrowed: U256,
}

fn bits(word: U256, from: usize, width: usize) -> u64 {
    ((word >> from) & ((U256::from(1u8) << width) - U256::from(1u8))).saturating_to()
}

/// The money market's markets, in genesis order (none on a chain laid out without them).
pub fn markets(state: &State) -> Vec<MarketView> {
    let count = bits(load(state, keys::markets()), 0, 8);
    let low = U256::from(u128::MAX);
    (0..count)
        .map(|index| {
            let config = load(state, keys::market(index, 0));
            let asset = address(config & ((U256::from(1u8) << 160) - U256::from(1u8)));
            let (symbol, decimals) = metadata(state, &asset).unwrap_or_default();
            let indices = load(state, keys::market(index, 2));
            let (supply_index, borrow_index) = (indices & low, indices >> 128);
            let (mut scaled_supply, mut scaled_debt, mut cash) = (U256::ZERO, U256::ZERO, U256::ZERO);
            for shard in 0..SHARDS {
                let totals = load(state, keys::market_shard(index, shard));
                scaled_supply += totals & low;
                scaled_debt += totals >> 128;
                cash += load(state, keys::balance(&asset, &keys::shard_account(shard)));
            }
            MarketView {
                index,
                asset,
                symbol,
                decimals,
                collateral_factor_bps: bits(config, 160, 16),
                liquidation_threshold_bps: bits(config, 176, 16),
                liquidation_bonus_bps: bits(config, 192, 16),
                reserve_factor_bps: bits(config, 208, 16),
                kink_bps: bits(config, 224, 16),
                supply_index,
                borrow_index,
                last_accrual: bits(load(state, keys::market(index, 1)), 216, 40),
                total_supply: rollup_types::lending::from_scaled(scaled_supply, supply_index, false),
                total_debt: rollup_types::lending::from_scaled(scaled_debt, borrow_index, true),
                cash,
            }
        })
        .collect()
}

/// `owner`'s positions in the markets where it supplies or owes something.
pub fn positions(state: &State, owner: &Address) -> Vec<PositionView> {
    markets(state)
        .into_iter()
        .filter_map(|m| {
            let position = load(state, keys::position(owner, m.index));
            let (supply, debt) = (position & U256::from(u128::MAX), position >> 128);
            (!position.is_zero()).then(|| PositionView {
                market: m.index,
                asset: m.asset,
                symbol: m.symbol,
                supplied: rollup_types::lending::from_scaled(supply, m.supply_index, false),
                borrowed: rollup_types::lending::from_scaled(debt, m.borrow_index, true),
            })
        })
        .collect()
}

/// An account's standing in the money market, as `accountHealth` computes it (docs/lending.md
/// §5): every amount in the numeraire's base units at the oracles' window means, the indices as
/// the state holds them (accrued to each market's last accrual).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// Its supplies at their liquidation thresholds.
    #[serde(serialize_with = "decimal")]
    pub collateral: U256,
    /// Its supplies at their collateral factors: what its debt may reach by borrowing.
    #[serde(serialize_with = "decimal")]
    pub borrowable: U256,
    /// Its debts, rounded up.
    #[serde(serialize_with = "decimal")]
    pub debt: U256,
    /// `collateral / debt` with 18 decimals (1e18 is one; below one it may be liquidated);
    /// `None` without debt.
    #[serde(serialize_with = "decimal_or_null")]
    pub health_factor: Option<U256>,
    /// Whether a liquidation of it may go through now.
    pub liquidatable: bool,
}

fn decimal_or_null<S: Serializer>(v: &Option<U256>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

/// `owner`'s standing in the money market (`LendingLogic._health` at both factors, as
/// `accountHealth` returns it); `None` when a market's asset has no price (no oracle: the call
/// reverts).
pub fn health(state: &State, owner: &Address) -> Option<HealthView> {
    use rollup_types::{
        lending::{add_capped, mul_capped, value},
        oracle,
    };
    let low = U256::from(u128::MAX);
    let one = U256::from(10u64).pow(U256::from(18u8));
    let header = load(state, keys::oracles());
    // Supplies at the liquidation thresholds (bits 176–191 of a market's configuration) and at
    // the collateral factors (160–175), debts: capped, never wrapping.
    let (mut collateral, mut borrowable, mut debt) = (U256::ZERO, U256::ZERO, U256::ZERO);
    for i in 0..bits(load(state, keys::markets()), 0, 8) {
        let position = load(state, keys::position(owner, i));
        if position.is_zero() {
            continue;
        }
        let config = load(state, keys::market(i, 0));
        let asset = address(config & ((U256::from(1u8) << 160usize) - U256::from(1u8)));
        let indices = load(state, keys::market(i, 2));
        let price = oracle::lending_price(header, &asset, load(state, keys::oracle(&asset, 1)))?;
        let (supplied, owed) = (position & low, position >> 128usize);
        if !supplied.is_zero() {
            let worth = value(supplied, indices & low, price, false);
            let at = |bit| mul_capped(worth, U256::from(bits(config, bit, 16))) / U256::from(10_000u16);
            collateral = add_capped(collateral, at(176));
            borrowable = add_capped(borrowable, at(160));
        }
        if !owed.is_zero() {
            debt = add_capped(debt, value(owed, indices >> 128usize, price, true));
        }
    }
    let health_factor = (!debt.is_zero()).then(|| mul_capped(collateral, one) / debt);
    let liquidatable = health_factor.is_some_and(|h| h < one);
    Some(HealthView { collateral, borrowable, debt, health_factor, liquidatable })
}
