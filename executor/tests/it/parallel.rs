//! The parallel path must equal the sequential path byte for byte, whatever the block.
//!
//! Random blocks are generated from a seed (`SEED=n` replays one; `PARALLEL_SEEDS=n` runs
//! more) with hot keys, nonce chains, replayed and skipped nonces, failing swaps, overdrawn
//! transfers, first-time senders and recipients, token and pool creation, liquidity, token
//! calls (ERC-20 `transfer`, `approve`, `transferFrom` at token addresses, including tokens
//! created in the same block, liquidity tokens and addresses that hold no token), and
//! transactions whose keys cannot be predicted.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rollup_executor::{BlockEnvInput, ExecutedBlock, Executor, KeyPrediction, ParallelConfig, Pipeline, State};
use rollup_types::{
    ChainConfig, RecoveredTx, SYSTEM_CONTRACT, SignedTx, TokenCall,
    bindings::{L2Lending, L2System},
    genesis::{DAI, GenesisSpec, USDC, WBTC, WETH},
    keys,
    signer::Signer,
};

const GENESIS_TOKENS: [Address; 4] = [WETH, USDC, DAI, WBTC];

fn chain() -> ChainConfig {
    // Small chunks: many chunk roots per block.
    ChainConfig { chunk_size: 4, ..ChainConfig::default() }
}

fn env(number: u64) -> BlockEnvInput {
    BlockEnvInput { number, timestamp: 1_700_000_000 + number, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE }
}

fn signer(i: u64) -> Signer {
    let mut key = [0u8; 32];
    key[0] = 0x11;
    key[24..].copy_from_slice(&i.to_be_bytes());
    Signer::new(&B256::from(key)).expect("valid key")
}

/// Accounts of a test: the first `FUNDED` hold every genesis token.
const FUNDED: u64 = 24;
/// Senders that hold nothing (first-time accounts).
const UNFUNDED: u64 = 8;

struct Generator {
    rng: StdRng,
    chain: ChainConfig,
    signers: Vec<Signer>,
    nonces: Vec<u64>,
    /// Tokens that exist or may exist (created by earlier transactions).
    tokens: Vec<Address>,
    pairs: Vec<(Address, Address)>,
    hot: Address,
}

impl Generator {
    fn new(seed: u64) -> Self {
        let signers: Vec<Signer> = (0..FUNDED + UNFUNDED).map(signer).collect();
        Self {
            rng: StdRng::seed_from_u64(seed),
            chain: chain(),
            nonces: vec![0; signers.len()],
            signers,
            tokens: GENESIS_TOKENS.to_vec(),
            pairs: vec![(WETH, USDC), (WETH, DAI), (USDC, DAI), (WBTC, WETH)],
            hot: Address::repeat_byte(0x40),
        }
    }

    fn genesis(&self) -> GenesisSpec {
        GenesisSpec::devnet().with_funded(self.signers[..FUNDED as usize].iter().map(Signer::address))
    }

    fn amount(&mut self) -> U256 {
        match self.rng.random_range(0..10) {
            // More than anyone holds: reverts.
            0 => U256::from(10u64).pow(U256::from(40)),
            1 => U256::ZERO,
            _ => U256::from(self.rng.random_range(1..1_000_000_000u64)) * U256::from(1_000_000_000u64),
        }
    }

    fn recipient(&mut self) -> Address {
        match self.rng.random_range(0..6) {
            0 => self.hot,
            1 => Address::ZERO,
            2 => Address::from(self.rng.random::<[u8; 20]>()),
            _ => self.signers[self.rng.random_range(0..self.signers.len())].address(),
        }
    }

    fn token(&mut self) -> Address {
        self.tokens[self.rng.random_range(0..self.tokens.len())]
    }

    fn operation(&mut self, sender: Address) -> Bytes {
        match self.rng.random_range(0..120) {
            100.. => self.lending(),
            0..45 => {
                let (token, to, amount) = (self.token(), self.recipient(), self.amount());
                L2System::transferCall { token, to, amount }.abi_encode().into()
            }
            45..75 => {
                let (a, b) = if self.rng.random_bool(0.9) {
                    self.pairs[self.rng.random_range(0..self.pairs.len())]
                } else {
                    (self.token(), self.token())
                };
                let (token_in, token_out) = if self.rng.random_bool(0.5) { (a, b) } else { (b, a) };
                let amount_in = self.amount() / U256::from(1000u64);
                let min_out = if self.rng.random_bool(0.15) { U256::MAX } else { U256::ZERO };
                L2System::swapCall {
                    tokenIn: token_in,
                    tokenOut: token_out,
                    amountIn: amount_in,
                    minAmountOut: min_out,
                }
                .abi_encode()
                .into()
            }
            75..85 => {
                let (a, b) = self.pairs[self.rng.random_range(0..self.pairs.len())];
                let desired = self.amount() / U256::from(100u64);
                L2System::addLiquidityCall {
                    tokenA: a,
                    tokenB: b,
                    amountADesired: desired,
                    amountBDesired: desired,
                    minLiquidity: U256::ZERO,
                }
                .abi_encode()
                .into()
            }
            85..90 => {
                let (a, b) = self.pairs[self.rng.random_range(0..self.pairs.len())];
                L2System::removeLiquidityCall {
                    tokenA: a,
                    tokenB: b,
                    liquidity: U256::from(self.rng.random_range(1..1_000_000_000u64)),
                    minAmountA: U256::ZERO,
                    minAmountB: U256::ZERO,
                }
                .abi_encode()
                .into()
            }
            90..95 => {
                // A few salts only, so that some creations collide.
                let salt = B256::with_last_byte(self.rng.random_range(0..3));
                self.tokens.push(keys::new_token(&sender, &salt));
                L2System::createTokenCall {
                    salt,
                    symbol: "NEW".into(),
                    decimals: 18,
                    supply: U256::from(10u64).pow(U256::from(30)),
                }
                .abi_encode()
                .into()
            }
            _ => {
                let (a, b) = (self.token(), self.token());
                self.pairs.push((a, b));
                let amount = U256::from(10u64).pow(U256::from(21));
                L2System::createPoolCall { tokenA: a, tokenB: b, amountA: amount, amountB: amount }.abi_encode().into()
            }
        }
    }

    /// A call of the money market: supplies, withdrawals, borrows small enough to succeed
    /// often (and to spill over shards whose cash is short), repayments and liquidations (of
    /// healthy accounts: reverts, which still read every market).
    fn lending(&mut self) -> Bytes {
        let asset = [WETH, USDC, DAI, WBTC][self.rng.random_range(0..4)];
        let amount = self.amount();
        let small = amount / U256::from(1_000_000_000u64);
        match self.rng.random_range(0..10) {
            0..4 => L2Lending::supplyCall { asset, amount }.abi_encode().into(),
            4 => L2Lending::withdrawSupplyCall { asset, amount: small }.abi_encode().into(),
            5..8 => L2Lending::borrowCall { asset, amount: small }.abi_encode().into(),
            8 => L2Lending::repayCall { asset, amount: U256::MAX }.abi_encode().into(),
            _ => {
                let borrower = self.recipient();
                L2Lending::liquidateCall {
                    borrower,
                    debtAsset: asset,
                    collateralAsset: WETH,
                    amount: small,
                    minCollateral: U256::ZERO,
                }
                .abi_encode()
                .into()
            }
        }
    }

    /// A token call: its target (a token, a pool's liquidity token, or now and
    /// then an address without one) and calldata. Spenders and owners are few, so allowances
    /// are set, spent and run out.
    fn token_call(&mut self) -> (Address, Bytes) {
        let target = match self.rng.random_range(0..10) {
            0 => Address::from(self.rng.random::<[u8; 20]>()),
            1 => {
                let (a, b) = self.pairs[self.rng.random_range(0..self.pairs.len())];
                let (t0, t1) = keys::sort_pair(a, b);
                keys::lp_token(&t0, &t1)
            }
            _ => self.token(),
        };
        let few = |rng: &mut StdRng, signers: &[Signer]| signers[rng.random_range(0..4)].address();
        let amount = self.amount();
        let call = match self.rng.random_range(0..3) {
            0 => TokenCall::Transfer { to: self.recipient(), amount },
            1 => {
                let spender = few(&mut self.rng, &self.signers);
                let amount = if self.rng.random_bool(0.3) { U256::MAX } else { amount };
                TokenCall::Approve { spender, amount }
            }
            _ => {
                let from = few(&mut self.rng, &self.signers);
                TokenCall::TransferFrom { from, to: self.recipient(), amount }
            }
        };
        (target, call.encode().into())
    }

    /// A transaction the closed operation set does not contain: a call to another address,
    /// or unknown calldata. Admission refuses both; a batch may still carry them.
    fn unpredictable(&mut self, s: usize, nonce: u64) -> RecoveredTx {
        let (to, input): (Address, Bytes) = if self.rng.random_bool(0.5) {
            (self.signers[self.rng.random_range(0..self.signers.len())].address(), Bytes::new())
        } else {
            let token = self.token();
            let owner = self.recipient();
            (SYSTEM_CONTRACT, L2System::balanceOfCall { token, owner }.abi_encode().into())
        };
        let tx = TxEip1559 {
            chain_id: self.chain.chain_id,
            nonce,
            gas_limit: 300_000,
            to: TxKind::Call(to),
            input,
            ..Default::default()
        };
        let signature = self.signers[s].sign_hash(tx.signature_hash());
        RecoveredTx::with_sender(SignedTx::Eip1559(tx.into_signed(signature)), self.signers[s].address())
    }

    fn block(&mut self) -> Vec<RecoveredTx> {
        let len = self.rng.random_range(1..160);
        // Sometimes a small set of senders (nonce chains, shared balances), sometimes all.
        let senders = if self.rng.random_bool(0.3) { 3 } else { self.signers.len() };
        (0..len)
            .map(|_| {
                let s = self.rng.random_range(0..senders);
                let nonce = match self.rng.random_range(0..40) {
                    0 => self.nonces[s].saturating_sub(1), // replayed
                    1 => self.nonces[s] + 2,               // gap
                    _ => self.nonces[s],
                };
                let tx = if self.rng.random_range(0..30) == 0 {
                    self.unpredictable(s, nonce)
                } else if self.rng.random_bool(0.1) {
                    // A transfer of ether (the ledger's balance of `keys::ETHER`).
                    let (to, value) = (self.recipient(), self.amount());
                    let tx = self.signers[s].eip1559_ether(self.chain.chain_id, nonce, to, value);
                    RecoveredTx::from_signed(tx, &self.chain).expect("transfers of ether are admissible")
                } else if self.rng.random_bool(0.2) {
                    let (to, input) = self.token_call();
                    let tx = self.signers[s].eip1559_to(self.chain.chain_id, nonce, to, input);
                    RecoveredTx::from_signed(tx, &self.chain).expect("token calls are admissible")
                } else {
                    let input = self.operation(self.signers[s].address());
                    RecoveredTx::from_signed(self.signers[s].eip1559(self.chain.chain_id, nonce, input), &self.chain)
                        .expect("admissible")
                };
                // The generator cannot know which transactions will be valid; it assumes the
                // intended nonce advanced, so later ones may be invalid too, which is fine.
                if nonce == self.nonces[s] {
                    self.nonces[s] += 1;
                }
                tx
            })
            .collect()
    }
}

fn assert_same(seed: u64, block: u64, label: &str, expected: &ExecutedBlock, got: &ExecutedBlock) {
    let replay = format!("replay with SEED={seed} ({label}, block {block})");
    assert_eq!(expected.results.len(), got.results.len(), "{replay}");
    for (i, (e, g)) in expected.results.iter().zip(&got.results).enumerate() {
        assert_eq!(e, g, "transaction {i} differs: {replay}");
    }
    assert_eq!(expected.chunk_roots, got.chunk_roots, "{replay}");
    assert_eq!(expected.state_root, got.state_root, "{replay}");
    assert_eq!(expected.gas_used, got.gas_used, "{replay}");
}

fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let n = std::env::var("PARALLEL_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    (0..n).map(|i| 0xb10c_0000 + i).collect()
}

/// Runs `blocks` random blocks per seed through the sequential path and, with each
/// configuration, through a parallel executor block by block, through a [`Pipeline`] (each
/// block's tree beside the next one's execution) and through [`Executor::execute_blocks`];
/// returns the re-executions seen.
fn check(configs: &[ParallelConfig], blocks: u64) -> usize {
    let mut reexecuted = 0;
    for seed in seeds() {
        let mut generator = Generator::new(seed);
        let genesis = Executor::genesis(chain(), &generator.genesis()).expect("genesis");
        let mut sequential = genesis.clone();
        let parallel_at_genesis: Vec<Executor> =
            configs.iter().map(|c| genesis.clone().with_parallelism(*c).expect("threads")).collect();
        let mut parallel = parallel_at_genesis.clone();
        let mut pipelines: Vec<(Pipeline, usize)> =
            parallel_at_genesis.iter().map(|e| (Pipeline::new(e.clone()), 0)).collect();
        let mut all_txs = Vec::new();
        let mut expected_blocks = Vec::new();
        for number in 1..=blocks {
            let txs = generator.block();
            let expected = sequential.execute_block_sequential(env(number), &txs);
            for (config, executor) in configs.iter().zip(&mut parallel) {
                let got = executor.execute_block(env(number), &txs);
                assert_same(seed, number, &format!("{config:?}"), &expected, &got);
                reexecuted += got.stats.reexecuted;
            }
            expected_blocks.push(expected);
            for (config, (pipeline, completed)) in configs.iter().zip(&mut pipelines) {
                for got in pipeline.push(env(number), &txs) {
                    let label = format!("pipeline {config:?}");
                    assert_same(seed, *completed as u64 + 1, &label, &expected_blocks[*completed], &got);
                    *completed += 1;
                }
                // The state is applied before the block's tree is updated.
                assert_eq!(sorted_leaves(&pipeline.state()), sorted_leaves(&sequential.state()), "SEED={seed}");
                if let Some(pending) = pipeline.pending() {
                    assert_eq!(pending.results, expected_blocks[number as usize - 1].results, "SEED={seed}");
                }
            }
            all_txs.push(txs);
        }
        for (config, (pipeline, completed)) in configs.iter().zip(pipelines) {
            let (executor, last) = pipeline.finish();
            let mut completed = completed;
            if let Some(got) = last {
                assert_same(seed, completed as u64 + 1, "pipeline flush", &expected_blocks[completed], &got);
                completed += 1;
            }
            assert_eq!(completed as u64, blocks, "every pushed block completes: {config:?}, SEED={seed}");
            assert_eq!(executor.state_root(), sequential.state_root(), "SEED={seed}");
        }
        let input: Vec<(BlockEnvInput, &[rollup_types::queue::QueueEntry], &[RecoveredTx])> =
            all_txs.iter().enumerate().map(|(i, txs)| (env(i as u64 + 1), &[][..], &txs[..])).collect();
        for (config, mut executor) in configs.iter().zip(parallel_at_genesis) {
            let got = executor.execute_blocks(&input);
            assert_eq!(got.len(), expected_blocks.len());
            for (i, (e, g)) in expected_blocks.iter().zip(&got).enumerate() {
                assert_same(seed, i as u64 + 1, &format!("execute_blocks {config:?}"), e, g);
            }
        }
        for executor in &parallel {
            assert_eq!(
                sorted_leaves(&sequential.state()),
                sorted_leaves(&executor.state()),
                "committed state differs: replay with SEED={seed}"
            );
        }
    }
    reexecuted
}

fn sorted_leaves(state: &State) -> Vec<(B256, B256)> {
    let mut leaves = state.leaves();
    leaves.sort_unstable();
    leaves
}

#[test]
fn random_blocks_match_sequential_execution_on_1_2_3_4_and_8_threads() {
    // 3 as well: a thread count that is not a power of two cuts the tree differently.
    let configs: Vec<ParallelConfig> = [1, 2, 3, 4, 8].into_iter().map(ParallelConfig::threads).collect();
    check(&configs, 4);
}

#[test]
fn escapes_from_a_wrong_prediction_are_caught_and_re_executed() {
    // Predicting only the sender's nonce leaves every shared balance and pool to the commit
    // check: it must find each conflict and re-execute from there.
    let configs: Vec<ParallelConfig> =
        [2, 4].into_iter().map(|threads| ParallelConfig { threads, prediction: KeyPrediction::SenderOnly }).collect();
    let reexecuted = check(&configs, 3);
    assert!(reexecuted > 0, "the random blocks must exercise the escape path");
}

fn transfer_from(chain: &ChainConfig, s: &Signer, nonce: u64, to: Address) -> RecoveredTx {
    let input = L2System::transferCall { token: USDC, to, amount: U256::from(1u64) }.abi_encode().into();
    RecoveredTx::from_signed(s.eip1559(chain.chain_id, nonce, input), chain).expect("admissible")
}

#[test]
fn groups_follow_the_keys_transactions_share() {
    let chain = chain();
    let generator = Generator::new(1);
    let genesis = Executor::genesis(chain, &generator.genesis()).expect("genesis");
    let mut exec = genesis.clone().with_parallelism(ParallelConfig::threads(2)).expect("threads");
    let signers = &generator.signers[..FUNDED as usize];

    // Independent transfers of one token: a group each, nothing re-executed.
    let independent: Vec<RecoveredTx> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| transfer_from(&chain, s, 0, Address::repeat_byte(i as u8 + 1)))
        .collect();
    let block = exec.execute_block(env(1), &independent);
    assert_eq!(block.stats.groups, independent.len());
    assert_eq!(block.stats.reexecuted, 0);
    assert_eq!(block.stats.tasks, 8, "four tasks per thread");

    // A chain: each pays the next sender; one group.
    let chained: Vec<RecoveredTx> =
        signers.windows(2).map(|w| transfer_from(&chain, &w[0], 1, w[1].address())).collect();
    let block = exec.execute_block(env(2), &chained);
    assert_eq!(block.stats.groups, 1);
    assert!((block.stats.largest_group_share() - 1.0).abs() < 1e-9);

    // Half the block pays one hot account: one group holds that half, the rest run beside it.
    let hot: Vec<RecoveredTx> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let to = if i % 2 == 0 { Address::repeat_byte(0xee) } else { Address::repeat_byte(0x80 + i as u8) };
            transfer_from(&chain, s, if i + 1 < signers.len() { 2 } else { 1 }, to)
        })
        .collect();
    let block = exec.execute_block(env(3), &hot);
    assert_eq!(block.stats.groups, signers.len() / 2 + 1);
    assert!((block.stats.largest_group_share() - 0.5).abs() < 1e-9);
    assert_eq!(block.stats.tasks, 8, "four tasks per thread");

    // And all of it equals the sequential path.
    let mut reference = genesis;
    for (n, txs) in [independent, chained, hot].iter().enumerate() {
        reference.execute_block_sequential(env(n as u64 + 1), txs);
    }
    assert_eq!(reference.state_root(), exec.state_root());
}

#[test]
fn calls_of_one_hot_token_run_in_parallel_without_conflicts() {
    // Every sender makes a token call of USDC: all read USDC's metadata (it decides that the
    // address has code), which must not make them conflict.
    let chain = chain();
    let generator = Generator::new(2);
    let genesis = Executor::genesis(chain, &generator.genesis()).expect("genesis");
    let mut exec = genesis.clone().with_parallelism(ParallelConfig::threads(2)).expect("threads");
    let signers = &generator.signers[..FUNDED as usize];
    let calls: Vec<RecoveredTx> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let call = TokenCall::Transfer { to: Address::repeat_byte(i as u8 + 1), amount: U256::from(1u64) };
            RecoveredTx::from_signed(s.eip1559_to(chain.chain_id, 0, USDC, call.encode().into()), &chain)
                .expect("admissible")
        })
        .collect();
    let block = exec.execute_block(env(1), &calls);
    assert_eq!(block.stats.groups, calls.len());
    assert_eq!(block.stats.reexecuted, 0, "a registered token's metadata is read by all without conflict");
    assert!(block.results.iter().all(
        |r| matches!(r, rollup_executor::TxResult::Executed(o) if o.status == rollup_executor::TxStatus::Success)
    ));
    let mut reference = genesis;
    let expected = reference.execute_block_sequential(env(1), &calls);
    assert_same(0, 1, "hot token", &expected, &block);
}
