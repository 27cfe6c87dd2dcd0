//! The money market's forgeries (`rollup_fraud_proof::forge`): each lands on the chunk of the
//! transaction it bends, and its state is the one it names, differing from the honest state
//! after that chunk where the rule it breaks says.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use rollup_executor::{BlockEnvInput, Executor, TxResult, TxStatus};
use rollup_fraud_proof::forge::{Forged, forge};
use rollup_types::{
    ChainConfig, Forgery, RecoveredTx, SignedTx,
    bindings::L2Lending,
    codec::{self, Batch, BatchBlock},
    genesis::{DEV_ACCOUNTS, GenesisSpec, USDC, WETH},
    keys,
    signer::Signer,
};

const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: 4 };

fn env(number: u64) -> BlockEnvInput {
    BlockEnvInput { number, timestamp: 1_000 + 12 * number, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE }
}

fn usdc(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000u64)
}

fn word(executor: &Executor, key: B256) -> U256 {
    executor.state().storage(&U256::from_be_bytes(key.0))
}

fn market(executor: &Executor, asset: &Address) -> u64 {
    word(executor, keys::market_of(asset)).to::<u64>() - 1
}

/// (scaled supply, scaled debt) of `user` in the market of `asset`.
fn position(executor: &Executor, user: &Address, asset: &Address) -> (U256, U256) {
    let p = word(executor, keys::position(user, market(executor, asset)));
    (p & U256::from(u128::MAX), p >> 128usize)
}

fn statuses(executor: &mut Executor, number: u64, txs: &[SignedTx]) -> Vec<TxStatus> {
    let recovered: Vec<RecoveredTx> =
        txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).expect("valid")).collect();
    let block = executor.execute_block(env(number), &recovered);
    block
        .results
        .iter()
        .map(|r| match r {
            TxResult::Executed(o) => o.status,
            TxResult::Invalid(e) => panic!("block {number}: {e}"),
        })
        .collect()
}

/// The honest state after chunk `chunk` of one block `number` of `txs` (no queue entries),
/// each transaction in a chunk of its own: the walk the verifier makes.
fn honest_after(base: &Executor, number: u64, txs: &[SignedTx], chunk: usize) -> Executor {
    let mut executor = base.clone();
    executor.execute_beginning(env(number));
    for tx in &txs[..chunk] {
        let tx = RecoveredTx::from_signed(tx.clone(), &CHAIN).expect("valid");
        executor.execute_block(env(number), &[tx]);
    }
    executor
}

/// A batch of block 3 alone, holding `txs`, encoded.
fn block_3(txs: Vec<SignedTx>) -> Vec<u8> {
    let block =
        BatchBlock { number: 3, timestamp: env(3).timestamp, queue_count: 0, l1_byte_price: env(3).l1_byte_price, txs };
    codec::encode(&Batch { blocks: vec![block] }, &CHAIN).expect("encodes")
}

#[test]
fn each_forgery_lands_on_its_transaction_and_claims_the_state_it_names() {
    let borrower = Signer::new(&DEV_ACCOUNTS[6].private_key).expect("key");
    let lender = Signer::new(&DEV_ACCOUNTS[7].private_key).expect("key");
    let (b, l) = (borrower.address(), lender.address());
    let call = |signer: &Signer, nonce: u64, input: Vec<u8>| signer.eip1559(CHAIN.chain_id, nonce, input.into());
    let mut base = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let one_weth = U256::from(10u64).pow(U256::from(18u8));
    let supplies = [
        call(&borrower, 0, L2Lending::supplyCall { asset: WETH, amount: one_weth }.abi_encode()),
        call(&lender, 0, L2Lending::supplyCall { asset: USDC, amount: usdc(100_000) }.abi_encode()),
    ];
    assert_eq!(statuses(&mut base, 1, &supplies), [TxStatus::Success; 2]);
    let first = [call(&borrower, 1, L2Lending::borrowCall { asset: USDC, amount: usdc(1_000) }.abi_encode())];
    assert_eq!(statuses(&mut base, 2, &first), [TxStatus::Success]);

    // The batch: a borrow beyond the collateral, a liquidation of the healthy position (both
    // refused), then a repayment; a chunk each after the block's beginning.
    let liquidate = L2Lending::liquidateCall {
        borrower: b,
        debtAsset: USDC,
        collateralAsset: WETH,
        amount: usdc(10),
        minCollateral: U256::ZERO,
    };
    let txs = vec![
        call(&borrower, 2, L2Lending::borrowCall { asset: USDC, amount: usdc(5_000) }.abi_encode()),
        call(&lender, 1, liquidate.abi_encode()),
        call(&borrower, 3, L2Lending::repayCall { asset: USDC, amount: usdc(1) }.abi_encode()),
    ];
    assert_eq!(
        statuses(&mut base.clone(), 3, &txs),
        [TxStatus::Revert, TxStatus::Revert, TxStatus::Success],
        "the chain refuses the borrow and the liquidation"
    );
    let data = block_3(txs.clone());
    let forged = |forgery| -> (Forged, Executor) {
        let f = forge(base.clone(), &data, &[], forgery).unwrap_or_else(|| panic!("{forgery} lands"));
        assert_eq!(f.root, f.state.state_root());
        let honest = honest_after(&base, 3, &txs, f.chunk);
        assert_ne!(f.root, honest.state_root(), "{forgery}");
        (f, honest)
    };
    let balance = |e: &Executor, who: &Address| word(e, keys::balance(&USDC, who));

    // The refused borrow, paid out: over a thousandfold collateral, or a price read 2^10 too high.
    for forgery in [Forgery::BorrowBeyondCollateral, Forgery::WrongTwap] {
        let (f, honest) = forged(forgery);
        assert_eq!((f.chunk, f.tx), (1, txs[0].hash()), "{forgery}");
        assert_eq!(balance(&f.state, &b), balance(&honest, &b) + usdc(5_000), "{forgery}: the borrower is paid");
        let (forged_supply, forged_debt) = position(&f.state, &b, &USDC);
        let (honest_supply, honest_debt) = position(&honest, &b, &USDC);
        assert!(forged_debt > honest_debt && forged_supply == honest_supply, "{forgery}: the debt is recorded");
        assert_eq!(position(&f.state, &b, &WETH), position(&honest, &b, &WETH), "{forgery}: the collateral as held");
        for asset in [WETH, USDC] {
            for part in [0, 1] {
                assert_eq!(word(&f.state, keys::oracle(&asset, part)), word(&honest, keys::oracle(&asset, part)));
            }
        }
    }

    // The refused liquidation, carried out: debt repaid, collateral seized, the rest as held.
    let (f, honest) = forged(Forgery::HealthyLiquidation);
    assert_eq!((f.chunk, f.tx), (2, txs[1].hash()));
    let (forged_collateral, _) = position(&f.state, &b, &WETH);
    let (honest_collateral, _) = position(&honest, &b, &WETH);
    assert!(forged_collateral < honest_collateral, "collateral seized");
    assert!(honest_collateral - forged_collateral < honest_collateral / U256::from(100u8), "only what 10 USDC buys");
    assert!(position(&f.state, &b, &USDC).1 < position(&honest, &b, &USDC).1, "debt repaid");
    assert!(balance(&f.state, &l) < balance(&honest, &l), "by the liquidator");

    // The repayment (the first lending operation the chain carries out), its market's borrow
    // index a hundredth higher.
    let (f, honest) = forged(Forgery::WrongAccrual);
    assert_eq!((f.chunk, f.tx), (3, txs[2].hash()));
    let index = |e: &Executor| word(e, keys::market(market(e, &USDC), 2)) >> 128usize;
    assert_eq!(index(&f.state), index(&honest) + index(&honest) / U256::from(100u8));

    // A batch without a target carries none.
    let quiet = block_3(vec![txs[2].clone()]);
    for forgery in [Forgery::BorrowBeyondCollateral, Forgery::WrongTwap, Forgery::HealthyLiquidation] {
        assert!(forge(base.clone(), &quiet, &[], forgery).is_none(), "{forgery}");
    }
}
