//! Key prediction: the state an operation may touch, read off its decoded call.
//!
//! Every transaction of the closed operation set touches a small set of state keys that
//! follows from its sender and its arguments alone (see `docs/parallel-execution.md`). The
//! prediction is a *hint* for partitioning: the commit checks what each transaction really
//! touched, so a wrong prediction costs time, never correctness.
//!
//! Keys are 64-bit fingerprints of `(kind, fields)` rather than the state tree's keccak keys:
//! computing the real keys would cost a keccak each (about 0.3 µs), while a fingerprint costs
//! a few nanoseconds. Two different keys sharing a fingerprint only merge two groups.

use alloy_primitives::Address;
use rollup_types::{Op, RecoveredTx, SYSTEM_CONTRACT, TokenCall, keys};

/// How the executor predicts the keys of a transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyPrediction {
    /// From the decoded operation (exact for the closed operation set).
    #[default]
    Operations,
    /// Only the sender's nonce: every other key is discovered at commit, as an escape. For
    /// measuring what prediction buys, and for testing the escape path.
    SenderOnly,
}

/// Most keys one transaction is predicted to touch (`createPool`, and its sender's ether, which
/// pays the fee).
const MAX_KEYS: usize = 10;

/// The predicted keys and relative cost of one transaction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prediction {
    keys: [u64; MAX_KEYS],
    len: u8,
    /// Relative execution cost, for balancing workers (roughly thousands of gas).
    pub(crate) cost: u32,
}

impl Prediction {
    fn new(cost: u32) -> Self {
        Self { keys: [0; MAX_KEYS], len: 0, cost }
    }

    fn push(&mut self, key: u64) {
        // MAX_KEYS bounds every operation below; a debug assertion guards new ones.
        debug_assert!((self.len as usize) < MAX_KEYS);
        if let Some(slot) = self.keys.get_mut(self.len as usize) {
            *slot = key;
            self.len += 1;
        }
    }

    /// The predicted keys.
    pub(crate) fn keys(&self) -> &[u64] {
        &self.keys[..self.len as usize]
    }
}

// Kinds of predicted keys (fingerprint domains; not the state tree's tags).
const NONCE: u64 = 1;
const BALANCE: u64 = 2;
const SUPPLY: u64 = 3;
const TOKEN: u64 = 4;
const POOL: u64 = 5;
const TOKEN_LIST: u64 = 6;
const POOL_LIST: u64 = 7;
const TOKEN_ORIGIN: u64 = 8;
const ALLOWANCE: u64 = 9;
const POSITIONS: u64 = 10;
const MARKET_SHARD: u64 = 11;

/// The accounts that hold the money market's shards' cash ([`keys::shard_account`]).
static SHARD_ACCOUNTS: std::sync::LazyLock<[Address; 8]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|s| keys::shard_account(s as u64)));

#[inline]
fn mix(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
}

#[inline]
fn address_words(a: &Address) -> (u64, u64, u64) {
    let mut buf = [0u8; 24];
    buf[..20].copy_from_slice(a.as_slice());
    let word = |i: usize| u64::from_le_bytes(buf[i..i + 8].try_into().unwrap_or_default());
    (word(0), word(8), word(16))
}

/// Fingerprint of a key of `kind` over up to two addresses.
#[inline]
fn fingerprint(kind: u64, a: &Address, b: &Address) -> u64 {
    let (a0, a1, a2) = address_words(a);
    let (b0, b1, b2) = address_words(b);
    let mut h = mix(0x243f_6a88_85a3_08d3, kind);
    for w in [a0, a1, a2, b0, b1, b2] {
        h = mix(h, w);
    }
    h ^ (h >> 32)
}

/// Fingerprint of an allowance key: `token`, `owner`, `spender`.
#[inline]
fn allowance_fingerprint(token: &Address, owner: &Address, spender: &Address) -> u64 {
    let (s0, s1, s2) = address_words(spender);
    let h = [s0, s1, s2].into_iter().fold(fingerprint(ALLOWANCE, token, owner), mix);
    h ^ (h >> 32)
}

/// The keys of a token call at `token` by `sender`: the balances it moves and the allowance
/// it sets or spends. The token's metadata, which says whether the address holds a token, is
/// not one of them: once registered it never changes, so calls of a hot token do not share
/// it (see `state::Overlay::basic`); a token registered in the same block is caught by the
/// commit check.
fn predict_token_call(token: &Address, sender: &Address, call: TokenCall, nonce: u64) -> Prediction {
    let balance = |owner: &Address| fingerprint(BALANCE, token, owner);
    let mut p = Prediction::new(Op::TokenTransfer.spec().cost);
    p.push(nonce);
    match call {
        TokenCall::Transfer { to, .. } => {
            p.push(balance(sender));
            p.push(balance(&to));
        }
        TokenCall::Approve { spender, .. } => p.push(allowance_fingerprint(token, sender, &spender)),
        TokenCall::TransferFrom { from, to, .. } => {
            p.push(allowance_fingerprint(token, &from, sender));
            p.push(balance(&from));
            p.push(balance(&to));
        }
    }
    p
}

/// The address in the low 20 bytes of the `index`-th argument word.
#[inline]
fn address_arg(input: &[u8], index: usize) -> Option<Address> {
    let start = 4 + 32 * index + 12;
    input.get(start..start + 20).map(Address::from_slice)
}

/// The `index`-th argument word.
#[inline]
fn word_arg(input: &[u8], index: usize) -> Option<alloy_primitives::B256> {
    let start = 4 + 32 * index;
    input.get(start..start + 32).map(alloy_primitives::B256::from_slice)
}

/// Predicts the keys `tx` may touch; `None` when they cannot be predicted (a call outside the
/// operation set, or to another address), in which case the transaction runs alone, in order.
/// Every transaction pays its fee from its sender's ether (docs/fees.md §2): a transfer of
/// ether to its sender in the same block is one of its conflicts.
pub(crate) fn predict(tx: &RecoveredTx, mode: KeyPrediction) -> Option<Prediction> {
    let mut p = predict_operation(tx, mode)?;
    if mode == KeyPrediction::Operations {
        p.push(fingerprint(BALANCE, &keys::ETHER, &tx.sender));
    }
    Some(p)
}

/// The keys of `tx`'s operation, as [`predict`] describes.
fn predict_operation(tx: &RecoveredTx, mode: KeyPrediction) -> Option<Prediction> {
    let sender = tx.sender;
    // revm loads the block's beneficiary (the zero address) for every transaction and the
    // commit check ignores it: a transaction from it must run alone.
    let to = *tx.tx.kind().to()?;
    if sender.is_zero() {
        return None;
    }
    let nonce = fingerprint(NONCE, &sender, &Address::ZERO);
    let input = tx.tx.input().as_ref();
    // A token call is decoded once: for its operation and for its keys.
    let token_call = if to != SYSTEM_CONTRACT && !input.is_empty() { Some(TokenCall::decode(input)?) } else { None };
    // The operation table names the operation and its relative cost.
    let op = match &token_call {
        Some(call) => Op::of_token_call(call),
        None => Op::of_call(to, input)?,
    };
    if mode == KeyPrediction::SenderOnly {
        let mut p = Prediction::new(op.spec().cost);
        p.push(nonce);
        return Some(p);
    }
    let balance = |token: &Address, owner: &Address| fingerprint(BALANCE, token, owner);
    let pool = |a: &Address, b: &Address| {
        let (t0, t1) = keys::sort_pair(*a, *b);
        (t0, t1, fingerprint(POOL, &t0, &t1))
    };
    let mut p = Prediction::new(op.spec().cost);
    p.push(nonce);
    match op {
        Op::EtherTransfer => {
            // The ledger's `transfer` of ether: the two balances.
            // (The sender's is added with the fee's.)
            p.push(balance(&keys::ETHER, &to));
        }
        Op::TokenTransfer | Op::TokenApprove | Op::TokenTransferFrom => {
            return Some(predict_token_call(&to, &sender, token_call?, nonce));
        }
        Op::Transfer => {
            let (token, to) = (address_arg(input, 0)?, address_arg(input, 1)?);
            p.push(balance(&token, &sender));
            p.push(balance(&token, &to));
        }
        Op::Swap => {
            let (token_in, token_out) = (address_arg(input, 0)?, address_arg(input, 1)?);
            let (_, _, pool_key) = pool(&token_in, &token_out);
            p.push(pool_key);
            p.push(balance(&token_in, &sender));
            p.push(balance(&token_out, &sender));
        }
        Op::AddLiquidity | Op::RemoveLiquidity => {
            let (a, b) = (address_arg(input, 0)?, address_arg(input, 1)?);
            let (t0, t1, pool_key) = pool(&a, &b);
            let lp = keys::lp_token(&t0, &t1);
            p.push(pool_key);
            p.push(fingerprint(SUPPLY, &lp, &Address::ZERO));
            p.push(balance(&t0, &sender));
            p.push(balance(&t1, &sender));
            p.push(balance(&lp, &sender));
        }
        Op::CreateToken => {
            let token = keys::new_token(&sender, &word_arg(input, 0)?);
            p.push(fingerprint(TOKEN, &token, &Address::ZERO));
            // The token counter and the list entry it indexes: one key for the whole list.
            p.push(fingerprint(TOKEN_LIST, &Address::ZERO, &Address::ZERO));
            p.push(fingerprint(SUPPLY, &token, &Address::ZERO));
            p.push(balance(&token, &sender));
        }
        Op::CreatePool => {
            let (a, b) = (address_arg(input, 0)?, address_arg(input, 1)?);
            let (t0, t1, pool_key) = pool(&a, &b);
            let lp = keys::lp_token(&t0, &t1);
            p.push(pool_key);
            p.push(fingerprint(POOL_LIST, &Address::ZERO, &Address::ZERO));
            p.push(fingerprint(TOKEN, &lp, &Address::ZERO));
            p.push(fingerprint(SUPPLY, &lp, &Address::ZERO));
            p.push(balance(&t0, &sender));
            p.push(balance(&t1, &sender));
            p.push(balance(&lp, &sender));
            // The minimum liquidity is minted to the zero address.
            p.push(balance(&lp, &Address::ZERO));
        }
        Op::Withdraw => {
            let token = address_arg(input, 0)?;
            // The sender's nonce also stands for its withdrawal count and leaves, which no
            // other sender touches.
            p.push(fingerprint(TOKEN_ORIGIN, &token, &Address::ZERO));
            p.push(fingerprint(SUPPLY, &token, &Address::ZERO));
            p.push(balance(&token, &sender));
        }
        Op::WithdrawFees => {
            // The vault's ether, its withdrawal count and leaves (its nonce stands for them:
            // no one else writes them), and ether's supply (docs/fees.md §6).
            let vault = rollup_types::fees::FEE_VAULT;
            p.push(fingerprint(NONCE, &vault, &Address::ZERO));
            p.push(fingerprint(TOKEN_ORIGIN, &keys::ETHER, &Address::ZERO));
            p.push(fingerprint(SUPPLY, &keys::ETHER, &Address::ZERO));
            p.push(balance(&keys::ETHER, &vault));
        }
        Op::Supply | Op::WithdrawSupply | Op::Borrow | Op::Repay => {
            // The sender's positions (one key for all its markets: a health check reads every
            // one, and only the sender and its liquidators write them), its balance, its
            // shard's totals and cash. A payout larger than the shard's cash spills into the
            // next shards (docs/lending.md §3): the commit catches that. The market's
            // configuration, indices and prices are block-constant: no touch.
            let asset = address_arg(input, 0)?;
            let shard = keys::shard_of(&sender);
            p.push(fingerprint(POSITIONS, &sender, &Address::ZERO));
            p.push(balance(&asset, &sender));
            p.push(fingerprint(MARKET_SHARD, &asset, &Address::with_last_byte(shard as u8)));
            p.push(balance(&asset, &SHARD_ACCOUNTS[shard as usize]));
        }
        Op::Liquidate => {
            // Both accounts' positions, the liquidator's balance of the debt, the borrower's
            // shard (its debt, its collateral, the debt's cash) and the liquidator's (the
            // collateral it receives).
            let (borrower, debt, collateral) = (address_arg(input, 0)?, address_arg(input, 1)?, address_arg(input, 2)?);
            let (shard, own) = (keys::shard_of(&borrower), keys::shard_of(&sender));
            p.push(fingerprint(POSITIONS, &borrower, &Address::ZERO));
            p.push(fingerprint(POSITIONS, &sender, &Address::ZERO));
            p.push(balance(&debt, &sender));
            p.push(fingerprint(MARKET_SHARD, &debt, &Address::with_last_byte(shard as u8)));
            p.push(balance(&debt, &SHARD_ACCOUNTS[shard as usize]));
            p.push(fingerprint(MARKET_SHARD, &collateral, &Address::with_last_byte(shard as u8)));
            p.push(fingerprint(MARKET_SHARD, &collateral, &Address::with_last_byte(own as u8)));
        }
        Op::SwapPath => {
            // The canonical encoding (admission): the list's length at word 4, its addresses
            // after it; only the first token is debited and the last credited.
            let len = word_arg(input, 4)?;
            let len = usize::from(*len.last()?).min(usize::from(rollup_types::ops::MAX_PATH));
            if len < 2 {
                return None;
            }
            let token = |i: usize| address_arg(input, 5 + i);
            for i in 1..len {
                p.push(pool(&token(i - 1)?, &token(i)?).2);
            }
            p.push(balance(&token(0)?, &sender));
            p.push(balance(&token(len - 1)?, &sender));
        }
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_separate_kinds_and_fields() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let all = [
            fingerprint(BALANCE, &a, &b),
            fingerprint(BALANCE, &b, &a),
            fingerprint(SUPPLY, &a, &b),
            fingerprint(NONCE, &a, &Address::ZERO),
            fingerprint(NONCE, &b, &Address::ZERO),
        ];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_eq!(fingerprint(BALANCE, &a, &b), fingerprint(BALANCE, &a, &b));
    }
}
