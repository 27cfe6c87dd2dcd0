//! The bridge's accounting over random sequences of deposits, transfers, withdrawals, payouts
//! and fraudulent batches (docs/bridge.md §5.3): the L1 side is modelled as `L1Bridge` keeps
//! it (locked per asset, each withdrawal paid once, only from verified batches), the L2 runs
//! on the real executor, and the challenger's verifier judges every batch. After every step:
//!
//! - each bridged token's supply plus the withdrawals written equals the deposits credited,
//!   in the state verified from L1;
//! - `locked` equals what was deposited less what was paid, and covers what can still be
//!   claimed (the supply and the unpaid withdrawals);
//! - every deposit is credited exactly once (one `DepositCredited` per queue index);
//! - a fraudulent batch moves nothing: its withdrawals are never paid, and the verified state
//!   stays where it was until the honest batch is posted in its place.
//!
//! `SEED=n` replays a run.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolEvent};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rollup_executor::{BlockEnvInput, Executor, QueueResult, TxResult};
use rollup_fraud_proof::derive::{PostedBatch, Verdict, Verifier};
use rollup_types::{
    ChainConfig, RecoveredTx,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{DEV_ACCOUNTS, GenesisSpec},
    keys,
    queue::{QueueEntry, QueueItem, accumulate_all},
    signer::Signer,
};
use std::collections::{BTreeMap, HashMap, HashSet};

const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: 4 };
/// The L1 assets: ether and two tokens.
const ASSETS: [Address; 3] = [Address::ZERO, Address::repeat_byte(0x7a), Address::repeat_byte(0x7b)];

/// The L1 bridge's books.
#[derive(Default)]
struct L1Model {
    queue: Vec<QueueEntry>,
    locked: HashMap<Address, U256>,
    deposited: HashMap<Address, U256>,
    paid: HashMap<Address, U256>,
    /// Withdrawals paid, by (sender, index).
    paid_once: HashSet<(Address, u64)>,
}

/// A withdrawal as its event described it.
#[derive(Clone, Debug)]
struct Written {
    sender: Address,
    index: u64,
    l1_token: Address,
    amount: U256,
}

fn seed() -> u64 {
    std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xb1d6e)
}

fn state_word(executor: &Executor, key: B256) -> U256 {
    executor.state().storage(&key.into())
}

#[test]
fn bridge_accounting_holds_over_random_deposits_withdrawals_and_frauds() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let signers: Vec<Signer> = DEV_ACCOUNTS[1..5].iter().map(|a| Signer::new(&a.private_key).expect("key")).collect();
    let genesis = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let mut sequencer = genesis.clone();
    let mut verifier = Verifier::new(genesis);
    let mut l1 = L1Model::default();
    // The genesis's ether, locked by the deployer (L1Bridge.genesisEther): deposited at the start.
    let genesis_ether = GenesisSpec::devnet().genesis_ether();
    l1.locked.insert(Address::ZERO, genesis_ether);
    l1.deposited.insert(Address::ZERO, genesis_ether);
    let (mut consumed, mut next_block, mut batch_index) = (0usize, 1u64, 0u64);
    let mut nonces = vec![0u64; signers.len()];
    // Withdrawals in verified batches, and those of every batch judged fraudulent.
    let (mut written, mut fraudulent): (Vec<Written>, Vec<Written>) = (Vec::new(), Vec::new());
    let mut credited: BTreeMap<u64, usize> = BTreeMap::new();
    let (mut frauds, mut payouts) = (0, 0);

    for step in 0..150 {
        match rng.random_range(0..10) {
            // An L1 deposit.
            0..=3 => {
                let asset = ASSETS[rng.random_range(0..ASSETS.len())];
                let amount = U256::from(rng.random_range(1u64..1_000_000));
                let to = signers[rng.random_range(0..signers.len())].address();
                *l1.locked.entry(asset).or_default() += amount;
                *l1.deposited.entry(asset).or_default() += amount;
                let index = l1.queue.len() as u64;
                l1.queue.push(QueueEntry {
                    index,
                    from: Address::repeat_byte(0xde),
                    l1_block: 10 + index,
                    item: QueueItem::Deposit { to, l1_token: asset, amount, meta: U256::from(18u8) },
                });
            }
            // Payouts of the verified withdrawals not paid yet.
            4 => {
                for w in &written {
                    if l1.paid_once.insert((w.sender, w.index)) {
                        let locked = l1.locked.entry(w.l1_token).or_default();
                        assert!(*locked >= w.amount, "SEED={seed} step {step}: a payout above what is locked");
                        *locked -= w.amount;
                        *l1.paid.entry(w.l1_token).or_default() += w.amount;
                        payouts += 1;
                    }
                }
            }
            // A batch of one block: the waiting entries, then random transfers and withdrawals.
            _ => {
                let entries: Vec<QueueEntry> = l1.queue[consumed..].to_vec();
                let mut txs = Vec::new();
                for _ in 0..rng.random_range(0..6) {
                    let who = rng.random_range(0..signers.len());
                    let token = keys::bridged_token(&ASSETS[rng.random_range(0..ASSETS.len())]);
                    // Sometimes more than anyone holds: a revert, which still uses the nonce.
                    let amount = U256::from(rng.random_range(1u64..400_000));
                    let input: Bytes = if rng.random_bool(0.5) {
                        let to = signers[rng.random_range(0..signers.len())].address();
                        L2System::transferCall { token, to, amount }.abi_encode().into()
                    } else {
                        L2System::withdrawCall { l2Token: token, l1Recipient: Address::repeat_byte(0x11), amount }
                            .abi_encode()
                            .into()
                    };
                    let tx = signers[who].eip1559(CHAIN.chain_id, nonces[who], input);
                    nonces[who] += 1;
                    txs.push(tx);
                }
                let recovered: Vec<RecoveredTx> =
                    txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).expect("admissible")).collect();
                let env = BlockEnvInput {
                    number: next_block,
                    timestamp: 1_000 + next_block,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                };
                let prev_state_root = sequencer.state_root();
                let executed = sequencer.execute_block_with_queue(env, &entries, &recovered);
                assert!(executed.results.iter().all(|r| matches!(r, TxResult::Executed(_))), "SEED={seed}");
                let mut withdrawals = Vec::new();
                for (i, r) in executed.queue.iter().enumerate() {
                    let QueueResult::Deposit(out) = r else { panic!("SEED={seed}: {r:?}") };
                    for log in &out.logs {
                        if log.topics().first() == Some(&L2System::DepositCredited::SIGNATURE_HASH) {
                            *credited.entry(entries[i].index).or_default() += 1;
                        }
                    }
                }
                for r in &executed.results {
                    let TxResult::Executed(out) = r else { continue };
                    for log in &out.logs {
                        if let Ok(e) = L2System::WithdrawalInitiated::decode_log_data(&log.data) {
                            withdrawals.push(Written {
                                sender: e.sender,
                                index: e.index.saturating_to(),
                                l1_token: e.l1Token,
                                amount: e.amount,
                            });
                        }
                    }
                }
                let data: Bytes = codec::encode(
                    &Batch {
                        blocks: vec![BatchBlock {
                            number: next_block,
                            timestamp: env.timestamp,
                            queue_count: entries.len() as u64,
                            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                            txs,
                        }],
                    },
                    &CHAIN,
                )
                .expect("encodes")
                .into();
                let honest = PostedBatch {
                    index: batch_index,
                    l1_block: 100 + batch_index,
                    l1_tx_hash: B256::repeat_byte(1),
                    data_hash: codec::data_commitment(&data),
                    data,
                    blob: None,
                    prev_state_root,
                    state_root: executed.state_root,
                    chunk_roots: executed.chunk_roots.clone(),
                    last_block: next_block,
                    queue_end: l1.queue.len() as u64,
                    queue_acc: accumulate_all(B256::ZERO, &l1.queue[..consumed]),
                    queue: entries.clone(),
                };
                if !honest.chunk_roots.is_empty() && rng.random_bool(0.25) {
                    // A dishonest post of the same block: a wrong root. It is judged invalid,
                    // moves nothing, and the inbox rolls it back; the honest one replaces it.
                    let mut bad = honest.clone();
                    let last = bad.chunk_roots.len() - 1;
                    bad.chunk_roots[last] = B256::repeat_byte(0xee);
                    bad.state_root = bad.chunk_roots[last];
                    let before = verifier.state_root();
                    let (verdict, _) = verifier.verify(&bad).expect("the next batch");
                    assert!(matches!(verdict, Verdict::Mismatch { .. }), "SEED={seed} step {step}");
                    assert_eq!(verifier.state_root(), before, "SEED={seed}: a fraudulent batch moved the state");
                    verifier.roll_back(batch_index).expect("rolled back");
                    fraudulent.extend(withdrawals.iter().cloned());
                    frauds += 1;
                }
                let (verdict, _) = verifier.verify(&honest).expect("the next batch");
                assert_eq!(verdict, Verdict::Verified { state_root: executed.state_root }, "SEED={seed} step {step}");
                written.extend(withdrawals);
                consumed = l1.queue.len();
                next_block += 1;
                batch_index += 1;
            }
        }

        // The invariants, on the state verified from L1.
        let state = verifier.executor();
        for asset in ASSETS {
            let l2 = keys::bridged_token(&asset);
            let supply = state_word(state, keys::supply(&l2));
            let included: U256 = l1.queue[..verifier.position().queue_end as usize]
                .iter()
                .filter_map(|e| match &e.item {
                    QueueItem::Deposit { l1_token, amount, .. } if *l1_token == asset => Some(*amount),
                    _ => None,
                })
                .sum::<U256>()
                + if asset.is_zero() { genesis_ether } else { U256::ZERO };
            let withdrawn: U256 = written.iter().filter(|w| w.l1_token == asset).map(|w| w.amount).sum();
            assert_eq!(supply + withdrawn, included, "SEED={seed} step {step}: {asset} supply and withdrawals");
            let deposited = l1.deposited.get(&asset).copied().unwrap_or_default();
            let paid = l1.paid.get(&asset).copied().unwrap_or_default();
            let locked = l1.locked.get(&asset).copied().unwrap_or_default();
            assert_eq!(locked, deposited - paid, "SEED={seed} step {step}: locked is deposited less paid");
            let unpaid: U256 = written
                .iter()
                .filter(|w| w.l1_token == asset && !l1.paid_once.contains(&(w.sender, w.index)))
                .map(|w| w.amount)
                .sum();
            assert!(locked >= supply + unpaid, "SEED={seed} step {step}: {asset} locked below what is claimable");
        }
        assert!(credited.values().all(|n| *n == 1), "SEED={seed} step {step}: a deposit credited twice");
        assert_eq!(
            credited.len(),
            verifier.position().queue_end as usize,
            "SEED={seed}: every included deposit credited"
        );
    }
    // Withdrawals of fraudulent posts were written again by the honest one, never paid twice.
    for w in &fraudulent {
        assert!(written.iter().any(|x| (x.sender, x.index) == (w.sender, w.index)), "SEED={seed}");
    }
    assert!(
        frauds > 3 && payouts > 3 && written.len() > 10 && !credited.is_empty(),
        "SEED={seed}: {frauds} frauds, {payouts} payouts, {} withdrawals",
        written.len()
    );
}
