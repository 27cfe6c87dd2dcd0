//! Read models over the committed state, straight from the state keys (no EVM call).

use alloy_primitives::{Address, U256};
use rollup_executor::State;
use rollup_types::keys;
use serde::{Serialize, Serializer};

/// Amounts are decimal strings in the REST API: exact, and readable without a hex decoder.
fn decimal<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
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
