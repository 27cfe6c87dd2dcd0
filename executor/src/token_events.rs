//! Every change of the ledger as the token's own ERC-20 event (docs/api.md §3.0d).
//!
//! The system contract logs each move of the ledger once, in its own events. A wallet or an
//! indexer following a token reads the token's `Transfer` and `Approval` at the token's
//! address, so after each ledger event of the system contract the executor appends its ERC-20
//! form at the token: a rule of this chain's receipts, like the code it serves at token
//! addresses. Logs are not part of the state: the L1 verifier and the state root do not see
//! them, and the challenger, running this executor, derives the same receipts.
//!
//! | system contract event | appended at the token(s) |
//! | --- | --- |
//! | `Transfer(token, from, to, amount)` (transfers, mints, burns) | `Transfer(from, to, amount)` at `token` |
//! | `Approval(token, owner, spender, amount)` | `Approval(owner, spender, amount)` at `token` |
//! | `Swap(trader, tokenIn, tokenOut, in, out)` | `Transfer(trader, pool, in)` at `tokenIn`, `Transfer(pool, trader, out)` at `tokenOut` |
//! | `LiquidityAdded(provider, token0, token1, a0, a1, _)` | `Transfer(provider, pool, a0)` at `token0`, the same at `token1` |
//! | `LiquidityRemoved(provider, token0, token1, a0, a1, _)` | `Transfer(pool, provider, a0)` at `token0`, the same at `token1` |
//!
//! A pool's side is its liquidity token's address ([`keys::lp_token`]).

use alloy_primitives::{Address, B256, Log, LogData, U256};
use alloy_sol_types::SolEvent;
use rollup_types::{
    SYSTEM_CONTRACT,
    bindings::{L2System, L2Token},
    keys,
};

/// `logs` with the tokens' ERC-20 events appended after each ledger event they follow from.
pub(crate) fn with_token_events(logs: Vec<Log>) -> Vec<Log> {
    if !logs.iter().any(|l| l.address == SYSTEM_CONTRACT) {
        return logs;
    }
    let mut out = Vec::with_capacity(logs.len() * 2);
    for log in logs {
        let derived = if log.address == SYSTEM_CONTRACT { token_events(&log) } else { Derived::None };
        out.push(log);
        match derived {
            Derived::None => {}
            Derived::One(a) => out.push(a),
            Derived::Two(a, b) => out.extend([a, b]),
        }
    }
    out
}

/// The logs of the fee vault's credit at the end of a block (docs/fees.md §8): the fees the
/// block's chunks added to the vault, as the system contract's ether `Transfer` from the zero
/// address to the vault and its ERC-20 form at the ether token. No contract emits them: the
/// vault is written by the block, not by a call.
pub fn fee_credit_logs(fees: U256) -> Vec<Log> {
    let credit = L2System::Transfer {
        token: rollup_types::keys::ETHER,
        from: Address::ZERO,
        to: rollup_types::fees::FEE_VAULT,
        amount: fees,
    };
    with_token_events(vec![Log { address: SYSTEM_CONTRACT, data: credit.encode_log_data() }])
}

/// What one system contract log gives.
enum Derived {
    None,
    One(Log),
    Two(Log, Log),
}

fn word(address: Address) -> B256 {
    B256::left_padding_from(address.as_slice())
}

fn erc20_transfer(token: Address, from: Address, to: Address, amount: U256) -> Log {
    let data = LogData::new_unchecked(
        vec![L2Token::Transfer::SIGNATURE_HASH, word(from), word(to)],
        amount.to_be_bytes::<32>().to_vec().into(),
    );
    Log { address: token, data }
}

fn erc20_approval(token: Address, owner: Address, spender: Address, amount: U256) -> Log {
    let data = LogData::new_unchecked(
        vec![L2Token::Approval::SIGNATURE_HASH, word(owner), word(spender)],
        amount.to_be_bytes::<32>().to_vec().into(),
    );
    Log { address: token, data }
}

fn token_events(log: &Log) -> Derived {
    let Some(topic0) = log.topics().first() else { return Derived::None };
    match *topic0 {
        L2System::Transfer::SIGNATURE_HASH => match L2System::Transfer::decode_log_data(&log.data) {
            Ok(e) => Derived::One(erc20_transfer(e.token, e.from, e.to, e.amount)),
            Err(_) => Derived::None,
        },
        L2System::Approval::SIGNATURE_HASH => match L2System::Approval::decode_log_data(&log.data) {
            Ok(e) => Derived::One(erc20_approval(e.token, e.owner, e.spender, e.amount)),
            Err(_) => Derived::None,
        },
        L2System::Swap::SIGNATURE_HASH => match L2System::Swap::decode_log_data(&log.data) {
            Ok(e) => {
                let (token0, token1) = keys::sort_pair(e.tokenIn, e.tokenOut);
                let pool = keys::lp_token(&token0, &token1);
                Derived::Two(
                    erc20_transfer(e.tokenIn, e.sender, pool, e.amountIn),
                    erc20_transfer(e.tokenOut, pool, e.sender, e.amountOut),
                )
            }
            Err(_) => Derived::None,
        },
        L2System::LiquidityAdded::SIGNATURE_HASH => match L2System::LiquidityAdded::decode_log_data(&log.data) {
            Ok(e) => {
                let pool = keys::lp_token(&e.token0, &e.token1);
                Derived::Two(
                    erc20_transfer(e.token0, e.provider, pool, e.amount0),
                    erc20_transfer(e.token1, e.provider, pool, e.amount1),
                )
            }
            Err(_) => Derived::None,
        },
        L2System::LiquidityRemoved::SIGNATURE_HASH => match L2System::LiquidityRemoved::decode_log_data(&log.data) {
            Ok(e) => {
                let pool = keys::lp_token(&e.token0, &e.token1);
                Derived::Two(
                    erc20_transfer(e.token0, pool, e.provider, e.amount0),
                    erc20_transfer(e.token1, pool, e.provider, e.amount1),
                )
            }
            Err(_) => Derived::None,
        },
        _ => Derived::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::SolEvent;

    fn system_log<E: SolEvent>(event: &E) -> Log {
        Log { address: SYSTEM_CONTRACT, data: event.encode_log_data() }
    }

    #[test]
    fn each_ledger_event_is_followed_by_its_erc20_form_at_the_token() {
        let (token, other, alice, bob) = (
            Address::repeat_byte(0x70),
            Address::repeat_byte(0x71),
            Address::repeat_byte(0xa1),
            Address::repeat_byte(0xb0),
        );
        let unrelated =
            Log { address: token, data: LogData::new_unchecked(vec![B256::repeat_byte(1)], Default::default()) };
        let logs = vec![
            system_log(&L2System::Transfer { token, from: alice, to: bob, amount: U256::from(5) }),
            unrelated.clone(),
            system_log(&L2System::Approval { token, owner: alice, spender: bob, amount: U256::from(6) }),
            system_log(&L2System::Swap {
                sender: alice,
                tokenIn: other,
                tokenOut: token,
                amountIn: U256::from(7),
                amountOut: U256::from(8),
            }),
        ];
        let out = with_token_events(logs.clone());
        let pool = keys::lp_token(&token, &other);
        let expected = vec![
            logs[0].clone(),
            erc20_transfer(token, alice, bob, U256::from(5)),
            unrelated,
            logs[2].clone(),
            erc20_approval(token, alice, bob, U256::from(6)),
            logs[3].clone(),
            erc20_transfer(other, alice, pool, U256::from(7)),
            erc20_transfer(token, pool, alice, U256::from(8)),
        ];
        assert_eq!(out, expected);
        // What a wallet decodes: the ERC-20 event at the token.
        let decoded = L2Token::Transfer::decode_log(&out[1]).expect("an ERC-20 Transfer");
        assert_eq!((decoded.address, decoded.from, decoded.to, decoded.value), (token, alice, bob, U256::from(5)));
        // Logs of other contracts only: unchanged.
        assert_eq!(with_token_events(vec![out[2].clone()]), vec![out[2].clone()]);
    }
}
