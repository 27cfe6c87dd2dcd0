//! Forged chunk roots, for testing the fraud proofs against the money market's own rules
//! (`rollup devnet --batcher.fault wrong-accrual`, …, docs/fraud-proofs.md §6.6): the root a
//! dishonest batcher would post for one chunk if its executor broke a rule of the market. The
//! chunk is executed for real, over a state bent for the purpose (more collateral, a higher
//! price read), and the bend taken back afterwards, so that the posted root is the root of a
//! state the rules forbid: a borrow paid out beyond the collateral, a healthy position
//! liquidated, an index the accrual never gave. The challenger, replaying the chunk honestly,
//! gets another root and proves it on L1.
//!
//! A walk of the batch chunk by chunk, as the prover replays it ([`crate::prove`]): it needs the
//! state before the batch.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use rollup_executor::{BlockEnvInput, ExecutedBlock, Executor, TxResult, TxStatus};
use rollup_types::{
    Forgery, Op, RecoveredTx, SYSTEM_CONTRACT,
    bindings::L2Lending,
    codec, keys,
    oracle::{self, OracleState},
    queue::QueueEntry,
};

/// Where a forgery lands, and what it claims.
#[derive(Clone, Debug)]
pub struct Forged {
    /// The chunk of the batch whose root it replaces.
    pub chunk: usize,
    /// The root posted for that chunk instead of the honest one.
    pub root: B256,
    /// The transaction whose outcome it bends.
    pub tx: B256,
    /// The forged state after the chunk, whose root is `root`.
    pub state: Executor,
}

/// The first chunk of the batch `data` (with `queue`, the queue entries it consumes) that can
/// carry `forgery`, and its forged root; `None` when no chunk can (no transaction of the kind,
/// or none with the outcome the forgery bends). `executor` is the state before the batch,
/// which the walk moves forward.
pub fn forge(mut executor: Executor, data: &[u8], queue: &[QueueEntry], forgery: Forgery) -> Option<Forged> {
    let chain = *executor.chain();
    let header = codec::decode_header(data, &chain).ok()?;
    let batch = codec::decode_with_header(data, &header, &chain).ok()?;
    // The transactions of each block taken so far.
    let mut taken = vec![0usize; batch.blocks.len()];
    for (c, chunk) in header.chunks.iter().enumerate() {
        let block = &header.blocks[chunk.block];
        let env =
            BlockEnvInput { number: block.number, timestamp: block.timestamp, l1_byte_price: block.l1_byte_price };
        if chunk.begins {
            executor.execute_beginning(env);
            continue;
        }
        let entries = queue.get(chunk.queue.start as usize..chunk.queue.end as usize)?;
        let from = taken[chunk.block];
        taken[chunk.block] += chunk.tx_count as usize;
        let signed = batch.blocks[chunk.block].txs.get(from..taken[chunk.block])?;
        let txs: Vec<RecoveredTx> =
            signed.iter().map(|tx| RecoveredTx::from_signed(tx.clone(), &chain)).collect::<Result<_, _>>().ok()?;
        let Some(at) = txs.iter().position(|tx| call_of(tx).is_some_and(|(op, _)| targets(forgery, op))) else {
            executor.execute_block_with_queue(env, entries, &txs);
            continue;
        };
        let pre = executor.clone();
        let honest = executor.execute_block_with_queue(env, entries, &txs);
        let forged = match forgery {
            Forgery::WrongAccrual => succeeded(&honest, at).then(|| wrong_accrual(&executor, &txs[at])).flatten(),
            _ if succeeded(&honest, at) => None,
            _ => bent(pre, env, entries, &txs, at, forgery),
        };
        if let Some(state) = forged.filter(|f| f.state_root() != executor.state_root()) {
            return Some(Forged { chunk: c, root: state.state_root(), tx: txs[at].hash(), state });
        }
    }
    None
}

/// Whether a transaction of operation `op` is what `forgery` bends.
fn targets(forgery: Forgery, op: Op) -> bool {
    match forgery {
        Forgery::WrongAccrual => {
            matches!(op, Op::Supply | Op::WithdrawSupply | Op::Borrow | Op::Repay | Op::Liquidate)
        }
        Forgery::HealthyLiquidation => op == Op::Liquidate,
        Forgery::BorrowBeyondCollateral | Forgery::WrongTwap => op == Op::Borrow,
    }
}

/// The operation of a call to the system contract, and its asset: the debt's for a liquidation.
fn call_of(tx: &RecoveredTx) -> Option<(Op, Address)> {
    let to = *tx.tx.kind().to()?;
    let input = tx.tx.input();
    let op = Op::of_call(to, input).filter(|_| to == SYSTEM_CONTRACT)?;
    let asset = match op {
        Op::Supply => L2Lending::supplyCall::abi_decode(input).ok()?.asset,
        Op::WithdrawSupply => L2Lending::withdrawSupplyCall::abi_decode(input).ok()?.asset,
        Op::Borrow => L2Lending::borrowCall::abi_decode(input).ok()?.asset,
        Op::Repay => L2Lending::repayCall::abi_decode(input).ok()?.asset,
        Op::Liquidate => L2Lending::liquidateCall::abi_decode(input).ok()?.debtAsset,
        _ => Address::ZERO,
    };
    Some((op, asset))
}

fn succeeded(block: &ExecutedBlock, at: usize) -> bool {
    matches!(block.results.get(at), Some(TxResult::Executed(o)) if o.status == TxStatus::Success)
}

fn word(executor: &Executor, key: B256) -> U256 {
    executor.state().storage(&U256::from_be_bytes(key.0))
}

const LOW128: U256 = U256::from_limbs([u64::MAX, u64::MAX, 0, 0]);

/// The state after `tx` with its market's borrow index a hundredth higher (at least one unit).
fn wrong_accrual(after: &Executor, tx: &RecoveredTx) -> Option<Executor> {
    let (_, asset) = call_of(tx)?;
    let index = word(after, keys::market_of(&asset)).checked_sub(U256::from(1u8))?.to::<u64>();
    let key = keys::market(index, 2);
    let indices = word(after, key);
    let borrow: U256 = indices >> 128usize;
    let higher = borrow + (borrow / U256::from(100u8)).max(U256::from(1u8));
    (higher <= LOW128).then_some(())?;
    let mut forged = after.clone();
    forged.overwrite_slots(&[(key, B256::from(higher << 128usize | (indices & LOW128)))]);
    Some(forged)
}

/// What takes a bend back, from the state after the bent run: the words to set.
type TakeBack = Box<dyn Fn(&Executor) -> Option<Vec<(B256, B256)>>>;

/// The state after transaction `at` of the chunk run over `pre` bent by `forgery`, the bend
/// then taken back; `None` unless the bent run carries the transaction out.
fn bent(
    mut pre: Executor,
    env: BlockEnvInput,
    entries: &[QueueEntry],
    txs: &[RecoveredTx],
    at: usize,
    forgery: Forgery,
) -> Option<Executor> {
    let tx = &txs[at];
    let borrower = match forgery {
        Forgery::HealthyLiquidation => L2Lending::liquidateCall::abi_decode(tx.tx.input()).ok()?.borrower,
        _ => tx.sender,
    };
    let markets = (word(&pre, keys::markets()) & U256::from(0xffu8)).to::<u64>();
    let supplies: Vec<(B256, U256)> = (0..markets)
        .map(|m| keys::position(&borrower, m))
        .map(|key| (key, word(&pre, key)))
        .filter(|(_, position)| !(position & LOW128).is_zero())
        .collect();
    // The bend, and what gives it back from the state after the run.
    let (bend, back): (Vec<(B256, B256)>, TakeBack) = match forgery {
        Forgery::BorrowBeyondCollateral => {
            // A thousandfold collateral; back to the collateral held (a borrow leaves it).
            let bend = supplies
                .iter()
                .map(|(key, p)| {
                    let supply = (p & LOW128).saturating_mul(U256::from(1000u16)).min(LOW128);
                    (*key, B256::from(*p & !LOW128 | supply))
                })
                .collect();
            let supplies = supplies.clone();
            let back = move |after: &Executor| {
                supplies
                    .iter()
                    .map(|(key, p)| Some((*key, B256::from(word(after, *key) & !LOW128 | (p & LOW128)))))
                    .collect()
            };
            (bend, Box::new(back))
        }
        Forgery::HealthyLiquidation => {
            // A twentieth of the collateral; what the liquidation seized from it stays seized.
            let bend = supplies
                .iter()
                .map(|(key, p)| (*key, B256::from(*p & !LOW128 | ((p & LOW128) / U256::from(20u8)))))
                .collect();
            let supplies = supplies.clone();
            let back = move |after: &Executor| {
                supplies
                    .iter()
                    .map(|(key, p)| {
                        let cut = (p & LOW128) - (p & LOW128) / U256::from(20u8);
                        let now = word(after, *key);
                        let supply = (now & LOW128).checked_add(cut).filter(|s| *s <= LOW128)?;
                        Some((*key, B256::from(now & !LOW128 | supply)))
                    })
                    .collect()
            };
            (bend, Box::new(back))
        }
        Forgery::WrongTwap => {
            // Every oracle's window mean but the borrowed asset's, 2^10 times higher.
            let borrowed = L2Lending::borrowCall::abi_decode(tx.tx.input()).ok()?.asset;
            let oracles = (word(&pre, keys::oracles()) & U256::from(0xffu8)).to::<u64>();
            let samples: Vec<(B256, U256)> = (0..oracles)
                .map(|i| Address::from_word(word(&pre, keys::oracle_at(i)).into()))
                .filter(|asset| *asset != borrowed)
                .map(|asset| keys::oracle(&asset, 1))
                .map(|key| (key, word(&pre, key)))
                .collect();
            let bend = samples
                .iter()
                .map(|(key, sample)| {
                    let mut sampled = OracleState::from_words(U256::ZERO, *sample);
                    sampled.mean = sampled.mean.saturating_add(10 << 40).min(oracle::MAX_LOG);
                    (*key, B256::from(sampled.words().1))
                })
                .collect();
            let back = move |_: &Executor| Some(samples.iter().map(|(key, s)| (*key, B256::from(*s))).collect());
            (bend, Box::new(back))
        }
        Forgery::WrongAccrual => return None,
    };
    if bend.is_empty() {
        return None;
    }
    pre.overwrite_slots(&bend);
    let run = pre.execute_block_with_queue(env, entries, txs);
    if !succeeded(&run, at) {
        return None;
    }
    let back = back(&pre)?;
    pre.overwrite_slots(&back);
    Some(pre)
}
