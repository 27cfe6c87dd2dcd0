//! Fraud proofs, sans-IO: the prover finds each kind of fault where the inbox looks for it,
//! and the L1 verifier (`ChunkVerifier`, its compiled bytecode run in revm) agrees with the
//! Rust executor on random chunks: same outcome, same transaction at fault, same post-root.
//! Also writes the shared vectors `testdata/fraud-vectors.json` that the forge tests replay
//! through the inbox (`UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it`).

use super::l1_replay::{CHAIN, L1, QueueArgs, chunk_data, replay_call, replay_call_with_queue};
use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use alloy_sol_types::{SolCall, SolError};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rollup_executor::{BlockEnvInput, Executor, QueueResult};
use rollup_fraud_proof::{
    derive::{Position, PostedBatch, Verdict, Verifier},
    prove::{self, FraudProof, ReplayOutcome},
};
use rollup_types::{
    FaultKind, RecoveredTx, SYSTEM_CONTRACT, SignedTx, TokenCall,
    bindings::{L2Lending, L2System},
    codec::{self, Batch, BatchBlock},
    genesis::{DAI, DEV_ACCOUNTS, GenesisSpec, USDC, WBTC, WETH},
    keys,
    queue::{QueueEntry, QueueItem},
    signer::Signer,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// A random DeFi world.

/// Accounts that sign, tokens and pools they use, and the chain so far.
struct World {
    rng: StdRng,
    executor: Executor,
    signers: Vec<(Signer, Address)>,
    nonces: Vec<u64>,
    tokens: Vec<Address>,
    pools: Vec<(Address, Address)>,
    next_block: u64,
    /// The bridge's queue so far: the next entry's index and the accumulator after the last.
    queue_next: u64,
    queue_acc: B256,
    /// L1 assets deposited so far (their bridged tokens are in `tokens` too).
    l1_assets: Vec<Address>,
}

impl World {
    fn new(seed: u64) -> Self {
        let signers: Vec<_> =
            DEV_ACCOUNTS[1..7].iter().map(|a| (Signer::new(&a.private_key).expect("key"), a.address)).collect();
        Self {
            rng: StdRng::seed_from_u64(seed),
            executor: Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis"),
            nonces: vec![0; signers.len()],
            signers,
            tokens: vec![WETH, USDC, DAI, WBTC],
            pools: vec![(WETH, USDC), (WETH, DAI), (USDC, DAI), (WBTC, WETH)],
            next_block: 1,
            queue_next: 0,
            queue_acc: B256::ZERO,
            l1_assets: Vec::new(),
        }
    }

    /// The next queue entry: a forced transaction, most often one a signer would send (it
    /// runs), else one that must be skipped: a wrong nonce, another chain, bytes after the
    /// transaction, a high-s signature, bytes that are no transaction.
    fn forced(&mut self) -> QueueEntry {
        let raw: Vec<u8> = match self.rng.random_range(0..10) {
            0..=4 => self.tx(false).encoded(),
            5 => {
                let who = self.rng.random_range(0..self.signers.len());
                let input =
                    L2System::transferCall { token: USDC, to: Address::repeat_byte(3), amount: U256::from(1u8) };
                self.signers[who].0.eip1559(CHAIN.chain_id, self.nonces[who] + 3, input.abi_encode().into()).encoded()
            }
            6 => {
                let input =
                    L2System::transferCall { token: USDC, to: Address::repeat_byte(3), amount: U256::from(1u8) };
                let who = self.rng.random_range(0..self.signers.len());
                self.signers[who].0.legacy(CHAIN.chain_id + 1, self.nonces[who], input.abi_encode().into()).encoded()
            }
            7 => {
                let mut raw = self.tx(false).encoded();
                self.resync_nonces();
                raw.push(0);
                raw
            }
            8 => {
                let raw = self.tx(true).encoded();
                self.resync_nonces();
                raw
            }
            _ => (0..self.rng.random_range(0..40)).map(|_| self.rng.random::<u8>()).collect(),
        };
        let entry = QueueEntry {
            index: self.queue_next,
            from: Address::repeat_byte(0x0e),
            l1_block: 100 + self.queue_next,
            item: QueueItem::Forced { raw: raw.into() },
        };
        self.queue_next += 1;
        entry
    }

    /// The next queue entry: a deposit of ether or of one of a few L1 tokens to a signer or
    /// to a fresh account (the first deposit of an asset registers its bridged token).
    fn deposit(&mut self) -> QueueEntry {
        let l1_token = match self.rng.random_range(0..4) {
            0 => Address::ZERO,
            k => Address::repeat_byte(0x40 + k as u8),
        };
        if !self.l1_assets.contains(&l1_token) {
            self.l1_assets.push(l1_token);
            self.tokens.push(keys::bridged_token(&l1_token));
        }
        let to = if self.rng.random_bool(0.8) {
            self.signers[self.rng.random_range(0..self.signers.len())].1
        } else {
            Address::from(self.rng.random::<[u8; 20]>())
        };
        // Up to the bridge's cap, 2^128 - 1, which keeps every supply far from overflow.
        let amount = match self.rng.random_range(0..8) {
            0 => U256::from(u128::MAX),
            _ => U256::from(self.rng.random_range(1u64..1_000_000_000_000_000)),
        };
        let mut meta = [0u8; 32];
        meta[..4].copy_from_slice(b"BRDG");
        meta[31] = self.rng.random_range(0..=36);
        let entry = QueueEntry {
            index: self.queue_next,
            from: Address::repeat_byte(0x0f),
            l1_block: 100 + self.queue_next,
            item: QueueItem::Deposit { to, l1_token, amount, meta: U256::from_be_bytes(meta) },
        };
        self.queue_next += 1;
        entry
    }

    fn amount(&mut self) -> U256 {
        // Mostly small amounts, sometimes more than anyone holds (a revert).
        match self.rng.random_range(0..10) {
            0 => U256::MAX >> 1,
            1 => U256::ZERO,
            _ => U256::from(self.rng.random_range(1u64..1_000_000_000_000)),
        }
    }

    /// A call of the money market: mostly of the devnet's four markets, sometimes of a token
    /// without one (a revert); supplies of up to one whole unit, borrows small enough for
    /// them to back, withdrawals and repayments of all or part, and liquidations (of healthy
    /// accounts: reverts).
    #[allow(non_snake_case)] // the bindings' field names
    fn lending(&mut self) -> Bytes {
        let pick = |rng: &mut StdRng, tokens: &[Address]| {
            if rng.random_bool(0.05) {
                tokens[rng.random_range(0..tokens.len())]
            } else {
                [WETH, USDC, DAI, WBTC][rng.random_range(0..4)]
            }
        };
        let asset = pick(&mut self.rng, &self.tokens);
        let small = U256::from(self.rng.random_range(1u64..1_000_000));
        let all_or = |rng: &mut StdRng, part: U256| if rng.random_bool(0.4) { U256::MAX } else { part };
        match self.rng.random_range(0..8) {
            0..=2 => {
                let amount = match self.rng.random_range(0..4) {
                    0 => self.amount(),
                    _ => U256::from(self.rng.random_range(1u64..1_000_000_000_000_000_000)),
                };
                L2Lending::supplyCall { asset, amount }.abi_encode().into()
            }
            3 => L2Lending::withdrawSupplyCall { asset, amount: all_or(&mut self.rng, small) }.abi_encode().into(),
            4 | 5 => L2Lending::borrowCall { asset, amount: small }.abi_encode().into(),
            6 => L2Lending::repayCall { asset, amount: all_or(&mut self.rng, small) }.abi_encode().into(),
            _ => {
                let borrower = self.signers[self.rng.random_range(0..self.signers.len())].1;
                let collateralAsset = pick(&mut self.rng, &self.tokens);
                L2Lending::liquidateCall {
                    borrower,
                    debtAsset: asset,
                    collateralAsset,
                    amount: small,
                    minCollateral: U256::ZERO,
                }
                .abi_encode()
                .into()
            }
        }
    }

    /// One random operation by a random signer; `faulty` makes some of them invalid.
    #[allow(non_snake_case)] // the bindings' field names
    fn tx(&mut self, faulty: bool) -> SignedTx {
        let who = self.rng.random_range(0..self.signers.len());
        let sender = self.signers[who].1;
        let mut to = SYSTEM_CONTRACT;
        if self.rng.random_range(0..16) == 0 {
            // A transfer of ether: to a signer, a fresh address, itself or a token's address,
            // of an amount held or not (a revert), or zero (a wallet's "cancel").
            let recipient = match self.rng.random_range(0..4) {
                0 => Address::from(self.rng.random::<[u8; 20]>()),
                1 => sender,
                2 => self.tokens[self.rng.random_range(0..self.tokens.len())],
                _ => self.signers[self.rng.random_range(0..self.signers.len())].1,
            };
            // More than anyone holds: it cannot pay (a fault in a batch).
            let value = match self.rng.random_range(0..6) {
                0 => U256::ZERO,
                1 if faulty => U256::MAX,
                _ => U256::from(self.rng.random_range(1u64..1_000_000_000_000_000_000)),
            };
            let nonce = self.nonces[who];
            self.nonces[who] += 1;
            let eip1559 = self.rng.random_bool(0.7);
            return self.sign(who, eip1559, nonce, recipient, value, Bytes::new(), faulty);
        }
        let input: Bytes = match self.rng.random_range(0..20) {
            16..=19 => self.lending(),
            13..=15 => {
                // A token call: of a token (sometimes one created or bridged in this run), a
                // pool's liquidity token, or an address that holds none (it does nothing).
                to = match self.rng.random_range(0..8) {
                    0 => Address::from(self.rng.random::<[u8; 20]>()),
                    1 => {
                        let (a, b) = self.pools[self.rng.random_range(0..self.pools.len())];
                        let (t0, t1) = keys::sort_pair(a, b);
                        keys::lp_token(&t0, &t1)
                    }
                    _ => self.tokens[self.rng.random_range(0..self.tokens.len())],
                };
                let other = self.signers[self.rng.random_range(0..self.signers.len())].1;
                let amount = if self.rng.random_bool(0.2) { U256::MAX } else { self.amount() };
                let call = match self.rng.random_range(0..3) {
                    0 => TokenCall::Transfer { to: other, amount },
                    1 => TokenCall::Approve { spender: other, amount },
                    _ => TokenCall::TransferFrom {
                        from: other,
                        to: Address::from(self.rng.random::<[u8; 20]>()),
                        amount,
                    },
                };
                call.encode().into()
            }
            12 => {
                // A withdrawal: of a bridged token (most often), or of another one (a revert).
                let l2Token = match self.l1_assets.len() {
                    0 => self.tokens[self.rng.random_range(0..self.tokens.len())],
                    n if self.rng.random_bool(0.8) => keys::bridged_token(&self.l1_assets[self.rng.random_range(0..n)]),
                    _ => self.tokens[self.rng.random_range(0..self.tokens.len())],
                };
                let l1Recipient = if self.rng.random_bool(0.1) {
                    Address::ZERO
                } else {
                    Address::from(self.rng.random::<[u8; 20]>())
                };
                let amount = self.amount();
                if self.rng.random_bool(0.15) {
                    // The fee vault's withdrawal to the genesis fee recipient (anyone may ask;
                    // an empty vault reverts).
                    L2System::withdrawFeesCall {}.abi_encode().into()
                } else {
                    L2System::withdrawCall { l2Token, l1Recipient, amount }.abi_encode().into()
                }
            }
            0..=3 => {
                let token = self.tokens[self.rng.random_range(0..self.tokens.len())];
                let to = if self.rng.random_bool(0.3) {
                    Address::from(self.rng.random::<[u8; 20]>())
                } else {
                    self.signers[self.rng.random_range(0..self.signers.len())].1
                };
                let amount = self.amount();
                L2System::transferCall { token, to, amount }.abi_encode().into()
            }
            4..=6 if self.rng.random_bool(0.3) => {
                // The router: a walk along the genesis pools (sometimes a token without a pool
                // on the way, a revert), of 2 to 5 tokens, before its deadline or after it (blocks
                // are at `1000 + number`).
                // The genesis pools (those created later may not exist), then a walk.
                let genesis = &self.pools[..4];
                let (a, b) = genesis[self.rng.random_range(0..genesis.len())];
                let mut path = vec![a, b];
                let len = self.rng.random_range(2..=usize::from(rollup_types::ops::MAX_PATH));
                while path.len() < len {
                    let last = *path.last().expect("two tokens");
                    let next: Vec<Address> = self.pools[..4]
                        .iter()
                        .filter_map(|&(x, y)| (x == last).then_some(y).or((y == last).then_some(x)))
                        .collect();
                    path.push(if next.is_empty() || self.rng.random_bool(0.05) {
                        self.tokens[self.rng.random_range(0..self.tokens.len())]
                    } else {
                        next[self.rng.random_range(0..next.len())]
                    });
                }
                let now = 1_000 + self.next_block;
                let deadline =
                    U256::from(if self.rng.random_bool(0.2) { now - 1 } else { now + self.rng.random_range(0..100) });
                let minAmountOut = if self.rng.random_bool(0.2) { U256::MAX } else { U256::from(1u64) };
                L2System::swapPathCall { path, amountIn: self.amount(), minAmountOut, deadline }.abi_encode().into()
            }
            4..=6 => {
                let (a, b) = self.pools[self.rng.random_range(0..self.pools.len())];
                let (tokenIn, tokenOut) = if self.rng.random_bool(0.5) { (a, b) } else { (b, a) };
                let amountIn = self.amount();
                // A minimum out that is sometimes unreachable: a slippage revert.
                let minAmountOut = if self.rng.random_bool(0.2) { U256::MAX } else { U256::from(1u64) };
                L2System::swapCall { tokenIn, tokenOut, amountIn, minAmountOut }.abi_encode().into()
            }
            7 => {
                let salt = B256::from(self.rng.random::<[u8; 32]>());
                self.tokens.push(keys::new_token(&sender, &salt));
                // ASCII, and sometimes multi-byte UTF-8 (2, 3 and 4 bytes a character), which
                // the L1 verifier must accept exactly as the Rust admission does.
                const WIDE: [char; 4] = ['é', '€', '中', '🦀'];
                let len = self.rng.random_range(1..6);
                let symbol: String = (0..len)
                    .map(|_| {
                        if self.rng.random_bool(0.2) {
                            WIDE[self.rng.random_range(0..WIDE.len())]
                        } else {
                            self.rng.random_range(b'A'..=b'Z') as char
                        }
                    })
                    .collect();
                let supply = U256::from(self.rng.random_range(1u64..u64::MAX)) * U256::from(1_000_000u64);
                L2System::createTokenCall { salt, symbol, decimals: 18, supply }.abi_encode().into()
            }
            8 => {
                let a = *self.tokens.last().expect("tokens");
                let b = self.tokens[self.rng.random_range(0..4)];
                self.pools.push((a, b));
                let amountA = U256::from(self.rng.random_range(1_000_000u64..1_000_000_000_000));
                let amountB = U256::from(self.rng.random_range(1_000_000u64..1_000_000_000));
                L2System::createPoolCall { tokenA: a, tokenB: b, amountA, amountB }.abi_encode().into()
            }
            9 | 10 => {
                let (tokenA, tokenB) = self.pools[self.rng.random_range(0..self.pools.len())];
                let amountADesired = self.amount();
                let amountBDesired = self.amount();
                L2System::addLiquidityCall { tokenA, tokenB, amountADesired, amountBDesired, minLiquidity: U256::ZERO }
                    .abi_encode()
                    .into()
            }
            _ => {
                let (tokenA, tokenB) = self.pools[self.rng.random_range(0..self.pools.len())];
                let liquidity = U256::from(self.rng.random_range(1u64..1_000_000));
                L2System::removeLiquidityCall {
                    tokenA,
                    tokenB,
                    liquidity,
                    minAmountA: U256::ZERO,
                    minAmountB: U256::ZERO,
                }
                .abi_encode()
                .into()
            }
        };
        let mut nonce = self.nonces[who];
        if faulty && self.rng.random_bool(0.5) {
            // A replayed or skipped nonce.
            nonce = if nonce > 0 && self.rng.random_bool(0.5) { nonce - 1 } else { nonce + 1 };
        } else {
            self.nonces[who] += 1;
        }
        let eip1559 = self.rng.random_bool(0.8);
        let tx = self.sign(who, eip1559, nonce, to, U256::ZERO, input, faulty);
        if faulty && self.rng.random_bool(0.5) {
            // A signature in the upper half of the curve order (EIP-2): not admissible. Below
            // 2^255, where the codec has room for the parity (docs/batch-codec.md §3.3).
            let sig = *tx.signature();
            let n = U256::from_be_bytes(alloy_primitives::hex!(
                "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
            ));
            let s = (n >> 1usize) + U256::from(1u8) + U256::from(sig.s().as_limbs()[0]);
            return tx.with_signature(Signature::new(sig.r(), s, sig.v()));
        }
        tx
    }

    /// Signs a transaction of signer `who` with fees drawn at random (docs/fees.md §2): most
    /// often the signer's defaults, else a tip, a fee cap or a gas price of its own; `faulty`
    /// sometimes gives it a fee cap below the base fee or more to pay than its sender holds.
    #[allow(clippy::too_many_arguments)]
    fn sign(
        &mut self,
        who: usize,
        eip1559: bool,
        nonce: u64,
        to: Address,
        value: U256,
        input: Bytes,
        faulty: bool,
    ) -> SignedTx {
        let base = rollup_types::fees::MIN_BASE_FEE;
        let gas_limit = if self.rng.random_bool(0.2) { self.rng.random_range(160_000u64..30_000_000) } else { 300_000 };
        let (mut max_fee, mut tip) = match self.rng.random_range(0..4) {
            0 => (rollup_types::signer::DEFAULT_MAX_FEE, 0),
            1 => (base, 0),
            2 => {
                let cap = self.rng.random_range(base..10 * rollup_types::signer::DEFAULT_MAX_FEE);
                (cap, self.rng.random_range(0..=cap))
            }
            _ => (self.rng.random_range(base..2 * base), self.rng.random_range(0..base)),
        };
        if faulty && self.rng.random_bool(0.3) {
            if self.rng.random_bool(0.5) {
                // Below the base fee.
                (max_fee, tip) = (self.rng.random_range(0..base), 0);
            } else {
                // gasLimit × maxFeePerGas beyond a hundred ether.
                (max_fee, tip) = (u128::MAX >> 8, 0);
            }
        }
        let tip = tip.min(max_fee);
        let signer = &self.signers[who].0;
        let kind = alloy_primitives::TxKind::Call(to);
        if eip1559 {
            signer.sign_eip1559(alloy_consensus::TxEip1559 {
                chain_id: CHAIN.chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: max_fee,
                max_priority_fee_per_gas: tip,
                to: kind,
                value,
                access_list: Default::default(),
                input,
            })
        } else {
            signer.sign_legacy(alloy_consensus::TxLegacy {
                chain_id: Some(CHAIN.chain_id),
                nonce,
                gas_price: max_fee,
                gas_limit,
                to: kind,
                value,
                input,
            })
        }
    }

    /// Undoes the nonces a discarded chunk consumed.
    fn resync_nonces(&mut self) {
        let state = self.executor.state();
        for (i, (_, address)) in self.signers.iter().enumerate() {
            self.nonces[i] = state.nonce(address);
        }
    }
}

#[test]
fn the_l1_verifier_and_the_executor_agree_on_random_chunks() {
    let chunks: usize = std::env::var("PROOF_FUZZ_CHUNKS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let l1 = L1::new();
    let mut world = World::new(0x5eed);
    let (mut executed, mut faulty, mut reverted_somewhere) = (0, 0, 0);
    let (mut deposits, mut forced_run, mut forced_skipped) = (0, 0, 0);
    let mut token_calls = 0;
    // The router's swaps: paid through their path, and refused past their deadline.
    let (mut routed, mut expired) = (0, 0);
    // The money market's operations that succeeded, by operation.
    let mut lent: std::collections::BTreeMap<rollup_types::Op, usize> = Default::default();
    let (mut cannot_pay, mut fees_paid) = (0, 0);
    let (mut out_of_gas, mut l1_paid, mut wrong_price) = (0, 0, 0);
    let mut carried: Option<SignedTx> = None;
    for round in 0..chunks {
        let with_fault = round % 5 == 4;
        // A third of the chunks are a queue entry's (a deposit or a forced transaction, alone in
        // its chunk: docs/batch-codec.md §3.1), the others transactions'.
        let entries = usize::from(round % 3 == 0);
        let queue: Vec<QueueEntry> =
            (0..entries).map(|_| if world.rng.random_bool(0.3) { world.forced() } else { world.deposit() }).collect();
        let n = if entries == 0 { world.rng.random_range(1..=CHAIN.chunk_size as usize) } else { 0 };
        // A heavy transaction that ended the previous chunk of light ones comes first, alone.
        let mut txs: Vec<SignedTx> = if n > 0 { carried.take().into_iter().collect() } else { Vec::new() };
        while txs.len() < n && !txs.first().is_some_and(codec::is_heavy) {
            let faulty = with_fault && world.rng.random_bool(0.3);
            let tx = world.tx(faulty);
            if codec::is_heavy(&tx) && !txs.is_empty() {
                // The block's first chunk of items holds the light ones before it
                // (docs/batch-codec.md §3.1): it waits for the next round's chunk.
                carried = Some(tx);
                break;
            }
            txs.push(tx);
        }
        let n = txs.len();
        let number = world.next_block;
        // The L1 price climbs towards 10^11 wei a byte for 250 rounds, falls towards the floor
        // for the next 250 (an eighth a block at most), and so on: the L1 part grows from
        // nothing to past most gas limits; now and then a faulty chunk's block breaks the
        // bound.
        let (fees, cap) = (world.executor.fee_state(), world.executor.l1_price_cap());
        let target = if (round / 250) % 2 == 0 { 100_000_000_000 } else { 8 };
        let mut l1_byte_price = fees.propose_l1_price(number, target, cap);
        if with_fault && world.rng.random_bool(0.05) {
            l1_byte_price = fees.l1_byte_price + fees.l1_byte_price / 8 + 1;
        }
        let env = BlockEnvInput { number, timestamp: 1_000 + number, l1_byte_price };
        let data = chunk_data(env, entries as u64, &txs);
        let all: Vec<u64> = (0..data.len().div_ceil(codec::SEGMENT_BYTES) as u64).collect();
        // The chunk is its batch's first of items, after its block's beginning: the batch's
        // first entry is the chunk's.
        let batch_start = queue.first().map_or(0, |e| e.index);
        // The block's beginning first (chunk 0), where the L1 price is checked.
        let pre_root = world.executor.state_root();
        let begin = prove::replay_chunk(&mut world.executor, env, &[], Vec::new()).expect("the witness checks out");
        let args = QueueArgs { entries: Vec::new(), acc_before: world.queue_acc, batch_start };
        let call = replay_call_with_queue(&data, &all, 0, pre_root, begin.keys.clone(), begin.witness.into(), args);
        let (got, _, _) = l1.replay_with_span(&call);
        let got = got.unwrap_or_else(|e| panic!("round {round}: the beginning reverted with {e}: {:?}", begin.outcome));
        match begin.outcome {
            ReplayOutcome::Executed { post_root } => assert_eq!(got, (0, 0, post_root), "round {round}: the beginning"),
            ReplayOutcome::WrongL1Price { .. } => {
                assert_eq!(got, (5, 0, B256::ZERO), "round {round}: the beginning");
                faulty += 1;
                wrong_price += 1;
                world.resync_nonces();
                world.queue_next -= queue.len() as u64;
                carried = None;
                continue;
            }
            other => panic!("round {round}: a beginning runs no transaction: {other:?}"),
        }
        // Then its items (chunk 1), from the state after the beginning.
        let pre_root = world.executor.state_root();
        let replay =
            prove::replay_chunk(&mut world.executor, env, &queue, txs.clone()).expect("the witness checks out");
        let acc_after = rollup_types::queue::accumulate_all(world.queue_acc, &queue);
        let args = QueueArgs { entries: queue.clone(), acc_before: world.queue_acc, batch_start };
        let call =
            replay_call_with_queue(&data, &all, 1, pre_root, replay.keys.clone(), replay.witness.clone().into(), args);
        let (got, span, _gas) = l1.replay_with_span(&call);
        let got =
            got.unwrap_or_else(|e| panic!("round {round}: the verifier reverted with {e}; rust: {:?}", replay.outcome));
        let expected = match &replay.outcome {
            ReplayOutcome::Executed { post_root } => (0, n as u64, *post_root),
            ReplayOutcome::Inadmissible { tx, .. } => (2, *tx as u64, B256::ZERO),
            ReplayOutcome::WrongNonce { tx } => (3, *tx as u64, B256::ZERO),
            ReplayOutcome::CannotPay { tx, .. } => (4, *tx as u64, B256::ZERO),
            ReplayOutcome::WrongL1Price { .. } => (5, 0, B256::ZERO),
        };
        assert_eq!(got, expected, "round {round}: {:?}", replay.outcome);
        // The span names the chunk's entries by queue index and chains them like the bridge.
        if let Some(first) = queue.first() {
            assert_eq!(span, (first.index, entries as u64, world.queue_acc, acc_after), "round {round}");
        }
        match replay.outcome {
            ReplayOutcome::Executed { .. } => {
                // The executor has moved past the chunk.
                reverted_somewhere += replay
                    .results
                    .iter()
                    .filter(|r| matches!(r, rollup_executor::TxResult::Executed(o) if o.status != rollup_executor::TxStatus::Success))
                    .count();
                // Token calls that moved or allowed something (more than the nonce written).
                token_calls += txs
                    .iter()
                    .zip(&replay.results)
                    .filter(|(tx, r)| {
                        tx.kind().to() != Some(&SYSTEM_CONTRACT)
                            && matches!(r, rollup_executor::TxResult::Executed(o) if o.writes.len() > 1)
                    })
                    .count();
                for (tx, r) in txs.iter().zip(&replay.results) {
                    let rollup_executor::TxResult::Executed(o) = r else { continue };
                    if let Some(op) = rollup_types::Op::of_call(SYSTEM_CONTRACT, tx.input())
                        && op >= rollup_types::Op::Supply
                        && tx.kind().to() == Some(&SYSTEM_CONTRACT)
                        && o.status == rollup_executor::TxStatus::Success
                    {
                        *lent.entry(op).or_default() += 1;
                    }
                    if rollup_types::Op::of_call(SYSTEM_CONTRACT, tx.input()) != Some(rollup_types::Op::SwapPath)
                        || tx.kind().to() != Some(&SYSTEM_CONTRACT)
                    {
                        continue;
                    }
                    routed += usize::from(o.status == rollup_executor::TxStatus::Success);
                    expired += usize::from(o.output.starts_with(&L2System::Expired::SELECTOR));
                }
                world.next_block += 1;
                executed += 1;
                deposits += queue.iter().filter(|e| matches!(e.item, QueueItem::Deposit { .. })).count();
                forced_run += replay.queue.iter().filter(|r| matches!(r, QueueResult::Forced { .. })).count();
                forced_skipped += replay.queue.iter().filter(|r| matches!(r, QueueResult::Skipped(_))).count();
                world.queue_acc = acc_after;
                // Skipped forced transactions took no nonce; a carried one took its own.
                world.resync_nonces();
                if let Some(tx) = &carried {
                    let sender = tx.recover_sender().expect("signed");
                    if let Some(i) = world.signers.iter().position(|(_, a)| *a == sender) {
                        world.nonces[i] = tx.nonce() + 1;
                    }
                }
            }
            outcome => {
                faulty += 1;
                cannot_pay += usize::from(matches!(outcome, ReplayOutcome::CannotPay { .. }));
                assert!(!matches!(outcome, ReplayOutcome::WrongL1Price { .. }), "round {round}: only a beginning");
                world.resync_nonces();
                carried = None;
                world.queue_next -= queue.len() as u64;
                // The beginning entered the block: the next round is the next block.
                world.next_block += 1;
            }
        }
        // Fees: every executed transaction paid for itself, some with a tip or a legacy price.
        fees_paid += replay
            .results
            .iter()
            .filter(|r| matches!(r, rollup_executor::TxResult::Executed(o) if !o.fee.is_zero()))
            .count();
        for result in &replay.results {
            if let rollup_executor::TxResult::Executed(o) = result {
                l1_paid += usize::from(o.gas_used > o.scheduled_gas);
                out_of_gas += usize::from(o.status == rollup_executor::TxStatus::Halt);
            }
        }
    }
    assert!(wrong_price > 0 && out_of_gas > 0, "{wrong_price} wrong L1 prices, {out_of_gas} out of gas");
    // (Fewer since a queue entry and a heavy transaction take a chunk each: a third of the
    // chunks hold no transaction.)
    assert!(
        routed > chunks / 100 && expired > chunks / 200,
        "router: {routed} swaps paid, {expired} past their deadline"
    );
    assert!(l1_paid > chunks / 2, "only {l1_paid} transactions paid an L1 part");
    // Supplies, withdrawals, borrows and repayments that did something, replayed alike on L1.
    for op in
        [rollup_types::Op::Supply, rollup_types::Op::WithdrawSupply, rollup_types::Op::Borrow, rollup_types::Op::Repay]
    {
        // At least one of each (the seed is fixed): a heavy one takes a chunk of its own.
        assert!(lent.get(&op).copied().unwrap_or(0) > chunks / 1_000, "the money market: {lent:?}");
    }
    assert!(cannot_pay > chunks / 100, "only {cannot_pay} chunks that cannot pay");
    assert!(fees_paid > chunks / 2, "only {fees_paid} fees paid");
    assert!(deposits > chunks / 10, "only {deposits} deposits replayed");
    assert!(
        forced_run > chunks / 50 && forced_skipped > chunks / 50,
        "forced: {forced_run} run, {forced_skipped} skipped"
    );
    assert!(executed > chunks / 2 && faulty > chunks / 20, "{executed} executed, {faulty} faulty chunks");
    assert!(reverted_somewhere > chunks / 10, "only {reverted_somewhere} reverted transactions");
    assert!(token_calls > chunks / 10, "only {token_calls} token calls changed state");
}

// ---------------------------------------------------------------------------------------------
// The prover on crafted faults, and the shared vectors.

/// A mixed batch: one block of 10 transactions (chunks of 4, 4 and 2) and one of 5 (4 and 1).
fn honest_batch() -> (Executor, PostedBatch) {
    honest_batch_of(&[10, 5])
}

/// A mixed batch with blocks of `sizes` transactions.
fn honest_batch_of(sizes: &[usize]) -> (Executor, PostedBatch) {
    let sizes: Vec<(u64, usize)> = sizes.iter().map(|&n| (0, n)).collect();
    honest_batch_with_queue(&sizes)
}

/// Who makes the deposits of the queue vectors, on L1.
const DEPOSITOR: Address = Address::repeat_byte(0xd0);

/// The metadata word of bridged ether (`L1Bridge.ETHER_META`).
fn ether_meta() -> U256 {
    let mut word = [0u8; 32];
    word[..3].copy_from_slice(b"ETH");
    word[31] = 18;
    U256::from_be_bytes(word)
}

/// Queue entry `index` of the vectors, queued by [`DEPOSITOR`] in L1 block `20 + index`
/// (what a Solidity test reproduces with `depositETH` and `forceTransaction`): entry 2 is a
/// forced transaction a signer would send (it runs), entry 5 one that is no transaction (it
/// is skipped), the others ether deposits to the world's signers.
fn vector_entry(world: &mut World, index: u64) -> QueueEntry {
    let item = match index {
        2 => QueueItem::Forced { raw: world.tx(false).encoded().into() },
        5 => QueueItem::Forced { raw: Bytes::from_static(&[0x02, 0xc1, 0x80]) },
        _ => QueueItem::Deposit {
            to: world.signers[index as usize % world.signers.len()].1,
            l1_token: Address::ZERO,
            amount: U256::from(10u64.pow(15) * (index + 1)),
            meta: ether_meta(),
        },
    };
    QueueEntry { index, from: DEPOSITOR, l1_block: 20 + index, item }
}

/// A mixed batch whose blocks consume `(queue entries, transactions)` each; the entries are the
/// queue's first ([`vector_entry`]), so the batch is batch 0 of a chain whose bridge holds
/// exactly them.
fn honest_batch_with_queue(sizes: &[(u64, usize)]) -> (Executor, PostedBatch) {
    let genesis = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let mut world = World::new(7);
    let mut blocks = Vec::new();
    let mut chunk_roots = Vec::new();
    let mut queue = Vec::new();
    for &(entries, size) in sizes {
        let consumed: Vec<QueueEntry> =
            (0..entries).map(|i| vector_entry(&mut world, queue.len() as u64 + i)).collect();
        if !consumed.is_empty() && !world.l1_assets.contains(&Address::ZERO) {
            world.l1_assets.push(Address::ZERO);
            world.tokens.push(keys::bridged_token(&Address::ZERO));
        }
        let txs: Vec<SignedTx> = (0..size).map(|_| world.tx(false)).collect();
        let recovered: Vec<RecoveredTx> =
            txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).expect("admissible")).collect();
        let number = world.next_block;
        let env = BlockEnvInput { number, timestamp: 1_000 + number, l1_byte_price: 8 + number };
        let block = world.executor.execute_block_with_queue(env, &consumed, &recovered);
        assert!(block.results.iter().all(|r| matches!(r, rollup_executor::TxResult::Executed(_))));
        chunk_roots.extend(block.chunk_roots);
        blocks.push(BatchBlock {
            number,
            timestamp: env.timestamp,
            queue_count: entries,
            l1_byte_price: env.l1_byte_price,
            txs,
        });
        queue.extend(consumed);
        world.next_block += 1;
    }
    let data: Bytes = codec::encode(&Batch { blocks }, &CHAIN).expect("encodes").into();
    let batch = PostedBatch {
        index: 0,
        l1_block: 1,
        l1_tx_hash: B256::ZERO,
        data_hash: codec::data_commitment(&data),
        data,
        blob: None,
        prev_state_root: genesis.state_root(),
        state_root: *chunk_roots.last().expect("chunks"),
        chunk_roots,
        last_block: world.next_block - 1,
        queue_end: queue.len() as u64,
        queue,
        queue_acc: B256::ZERO,
    };
    (genesis, batch)
}

fn with_txs(batch: &PostedBatch, edit: impl FnOnce(&mut Vec<SignedTx>)) -> PostedBatch {
    let mut decoded = codec::decode(&batch.data, &CHAIN).expect("decodes");
    edit(&mut decoded.blocks[0].txs);
    with_data(batch, codec::encode(&decoded, &CHAIN).expect("encodes"))
}

fn with_data(batch: &PostedBatch, data: Vec<u8>) -> PostedBatch {
    PostedBatch { data_hash: codec::data_commitment(&data), data: data.into(), ..batch.clone() }
}

/// The crafted frauds: name, batch, and the inbox fault (`BatchInbox.Fault`) the proof shows.
fn frauds(batch: &PostedBatch) -> Vec<(&'static str, PostedBatch, FaultKind)> {
    let mut out = Vec::new();
    let mut b = batch.clone();
    b.chunk_roots[1] = B256::repeat_byte(0xee);
    out.push(("wrong-root-chunk-1", b, FaultKind::WrongChunkRoot));
    let mut b = batch.clone();
    let last = b.chunk_roots.len() - 1;
    b.chunk_roots[last] = B256::repeat_byte(0xdd);
    b.state_root = b.chunk_roots[last];
    out.push(("wrong-root-last-chunk", b, FaultKind::WrongChunkRoot));
    out.push(("replayed-nonce", with_txs(batch, |txs| txs[3] = txs[2].clone()), FaultKind::WrongNonce));
    out.push((
        "high-s-signature",
        with_txs(batch, |txs| {
            // The smallest high `s`, secp256k1n / 2 + 1. The high twin of a real signature,
            // secp256k1n − s, is at least 2^255 but in a range of width about 2^127, which leaves
            // no bit for the parity: the codec cannot carry it (docs/batch-codec.md §3.3).
            let sig = *txs[5].signature();
            let n = U256::from_be_bytes(alloy_primitives::hex!(
                "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
            ));
            txs[5] = txs[5].with_signature(Signature::new(sig.r(), (n >> 1usize) + U256::from(1u8), sig.v()));
        }),
        FaultKind::InadmissibleTx,
    ));
    // Inputs the codec carries raw but that are not the canonical encoding of an operation:
    // a byte after a createToken call, and a symbol that is not UTF-8.
    let fresh = Signer::new(&keccak256("a fresh account")).expect("key");
    let create =
        L2System::createTokenCall { salt: B256::ZERO, symbol: "AB".into(), decimals: 18, supply: U256::from(1u64) }
            .abi_encode();
    let mut trailing = create.clone();
    trailing.push(0);
    let mut not_utf8 = create.clone();
    not_utf8[164..166].copy_from_slice(&[0xff, 0xfe]);
    let mut dirty_padding = create.clone();
    *dirty_padding.last_mut().expect("bytes") = 1;
    let mut wide_decimals = create.clone();
    wide_decimals[4 + 64 + 30] = 1;
    let mut moved_offset = create;
    moved_offset[4 + 63] = 0xa0;
    moved_offset.extend_from_slice(&[0; 32]);
    for (name, input) in [
        ("non-canonical-trailing-byte", trailing),
        ("non-utf8-symbol", not_utf8),
        ("non-canonical-padding", dirty_padding),
        ("non-canonical-decimals", wide_decimals),
        ("non-canonical-offset", moved_offset),
    ] {
        out.push((
            name,
            with_txs(batch, |txs| txs[0] = fresh.eip1559(CHAIN.chain_id, 0, input.into())),
            FaultKind::InadmissibleTx,
        ));
    }
    let header = codec::decode_header(&batch.data, &CHAIN).expect("header");
    let mut data = batch.data.to_vec();
    // Raw calldata with the inline bit (docs/batch-codec.md §3.3).
    let head = &mut data[header.chunks[1].bytes.start];
    *head = (*head & 0b0000_0111) | 0x80;
    out.push(("malformed-chunk-1", with_data(batch, data), FaultKind::UndecodableChunk));
    let mut data = batch.data.to_vec();
    // Version 1, which had no queue counts, is refused like any unknown version.
    data[0] = 1;
    out.push(("unknown-version", with_data(batch, data), FaultKind::UndecodableHeader));
    // Block 1 (five transactions, two chunks) says it consumes a queue entry the post did not
    // consume: the chunk count is unchanged, the queue count is wrong.
    let mut decoded = codec::decode(&batch.data, &CHAIN).expect("decodes");
    decoded.blocks[1].queue_count = 1;
    // The entry's chunk comes with a root, so that the count of roots is right.
    let mut b = with_data(batch, codec::encode(&decoded, &CHAIN).expect("encodes"));
    let at =
        codec::decode_header(&b.data, &CHAIN).expect("decodes").chunks.iter().position(|c| c.queue.end > c.queue.start);
    let at = at.expect("the entry's chunk");
    b.chunk_roots.insert(at, b.chunk_roots[at - 1]);
    out.push(("queue-count-without-entries", b, FaultKind::WrongQueueCount));
    let mut b = batch.clone();
    b.chunk_roots.push(B256::repeat_byte(1));
    out.push(("extra-chunk-root", b, FaultKind::WrongChunkCount));
    let mut b = batch.clone();
    b.last_block += 1;
    out.push(("wrong-last-block", b, FaultKind::WrongLastBlock));
    out
}

#[test]
fn the_prover_finds_each_fault_where_the_inbox_looks_and_never_in_an_honest_batch() {
    let (genesis, batch) = honest_batch();
    let l1 = L1::new();
    assert!(matches!(prove::build(&genesis, Position::GENESIS, &batch), Err(prove::ProveError::NoFault(0))));
    for (name, bad, fault) in frauds(&batch) {
        // The judge names the kind the inbox will report.
        let mut judge = Verifier::new(genesis.clone());
        let judged = match judge.verify(&bad).unwrap_or_else(|e| panic!("{name}: {e}")).0 {
            Verdict::Mismatch { fault, .. } => fault.kind(),
            Verdict::Verified { .. } => None,
        };
        assert_eq!(judged, Some(fault), "{name}: judged");
        let proof = prove::build(&genesis, Position::GENESIS, &bad).unwrap_or_else(|e| panic!("{name}: {e}"));
        match (&proof, fault.by_header()) {
            (FraudProof::Header { .. }, true) => {}
            (FraudProof::Chunk { chunk_index, keys, witness, data, revealed, .. }, false) => {
                let pre =
                    if *chunk_index == 0 { genesis.state_root() } else { bad.chunk_roots[*chunk_index as usize - 1] };
                let call = replay_call(data, revealed, *chunk_index, pre, keys.clone(), witness.clone());
                let (outcome, _) = l1.replay(&call);
                let (outcome, _, post) = outcome.unwrap_or_else(|e| panic!("{name}: verifier reverted {e}"));
                let shown = match outcome {
                    0 if post != bad.chunk_roots[*chunk_index as usize] => FaultKind::WrongChunkRoot,
                    0 => panic!("{name}: the verifier replays the posted root"),
                    1 => FaultKind::UndecodableChunk,
                    2 => FaultKind::InadmissibleTx,
                    _ => FaultKind::WrongNonce,
                };
                assert_eq!(shown, fault, "{name}");
            }
            _ => panic!("{name}: {proof:?} does not show fault {fault}"),
        }
    }
    // Every chunk of the honest batch replays on L1 to its posted root.
    let verifier = Verifier::new(genesis.clone());
    for c in 0..batch.chunk_roots.len() {
        let FraudProof::Chunk { keys, witness, revealed, .. } = verifier.prove_chunk(&batch, c).expect("proof") else {
            panic!("chunk proof")
        };
        let pre = if c == 0 { genesis.state_root() } else { batch.chunk_roots[c - 1] };
        let call = replay_call(&batch.data, &revealed, c as u64, pre, keys, witness);
        let (outcome, _) = l1.replay(&call);
        let (kind, _, post) = outcome.expect("replays");
        assert_eq!((kind, post), (0, batch.chunk_roots[c]), "chunk {c}");
    }
}

#[test]
fn chunk_proofs_reveal_only_the_header_and_their_chunk() {
    let (genesis, batch) = honest_batch_of(&[40, 40]);
    let segments = batch.data.len().div_ceil(codec::SEGMENT_BYTES);
    assert!(segments >= 6, "{segments} segments");
    let l1 = L1::new();
    let verifier = Verifier::new(genesis.clone());
    for c in 0..batch.chunk_roots.len() {
        let FraudProof::Chunk { keys, witness, revealed, .. } = verifier.prove_chunk(&batch, c).expect("proof") else {
            panic!("chunk proof")
        };
        assert!(revealed.len() < segments, "chunk {c} reveals {revealed:?} of {segments}");
        let pre = if c == 0 { genesis.state_root() } else { batch.chunk_roots[c - 1] };
        let (outcome, _) =
            l1.replay(&replay_call(&batch.data, &revealed, c as u64, pre, keys.clone(), witness.clone()));
        assert_eq!(outcome.map(|(kind, _, post)| (kind, post)), Ok((0, batch.chunk_roots[c])), "chunk {c}");
        // Hiding any revealed segment makes the proof revert, never decide.
        for hide in 0..revealed.len() {
            let mut fewer = revealed.clone();
            fewer.remove(hide);
            let (outcome, _) =
                l1.replay(&replay_call(&batch.data, &fewer, c as u64, pre, keys.clone(), witness.clone()));
            // (A hidden header segment reads as zeros: the header does not decode and the
            // replay reverts with the codec's error; a hidden chunk segment is named.)
            outcome.expect_err("a hidden segment");
        }
    }
}

/// One proof of the vectors: what the inbox is given and what it must conclude.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct ProofVector {
    name: String,
    data: Bytes,
    /// The inbox's commitment to `data` (`codec::data_commitment`, `DataCommitment.commit`).
    data_hash: B256,
    last_block: u64,
    chunk_roots: Vec<B256>,
    /// `header`, or the chunk proven.
    header: bool,
    /// The data segments a chunk proof reveals.
    revealed: Vec<u64>,
    chunk_index: u64,
    keys: Vec<B256>,
    witness: Bytes,
    /// `BatchInbox.Fault`; 255 for an honest chunk (the proof must revert with `NoFraud`);
    /// 254 for queue entries that are not the bridge's (`QueueEntriesMismatch`).
    fault: u8,
    /// The chunk's queue entries, all queued by the vectors' depositor: kinds, recipients and
    /// amounts (ether deposits), raw bytes (forced transactions) and L1 blocks; empty for a
    /// chunk without entries.
    queue_kind: Vec<u64>,
    queue_raw: Vec<Bytes>,
    queue_to: Vec<Address>,
    queue_amount: Vec<U256>,
    queue_l1_block: Vec<u64>,
    /// The bridge's accumulator before the first of them.
    queue_acc_before: B256,
}

/// The bridge queue a Solidity test builds before posting the queue batch: ether deposits by
/// `depositor`, entry `i` to `to[i]` of `amount[i]` in L1 block `l1Block[i]`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct DepositVectors {
    depositor: Address,
    /// `BridgeQueue.KIND_DEPOSIT` (ether deposit) or `KIND_FORCED_TX` (`raw` forced).
    kind: Vec<u64>,
    raw: Vec<Bytes>,
    to: Vec<Address>,
    amount: Vec<U256>,
    l1_block: Vec<u64>,
    /// The accumulator after every entry: what the post carries.
    accumulator: B256,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct FraudVectors {
    comment: String,
    chain_id: u64,
    chunk_size: u32,
    genesis_root: B256,
    /// Proofs against the honest batch (every one must fail).
    honest: Vec<ProofVector>,
    /// Proofs of crafted frauds, each against its own batch.
    frauds: Vec<ProofVector>,
    /// The deposits the queue batch consumes (its `queueEnd` is their number).
    deposits: DepositVectors,
    /// Proofs against the honest queue batch.
    queue_honest: Vec<ProofVector>,
    /// Proofs of frauds of the queue batch, and proofs giving entries the bridge does not hold.
    queue_frauds: Vec<ProofVector>,
}

/// A vector's `fault` for an honest chunk: the proof must revert with `NoFraud`.
const NO_FRAUD: u8 = 255;
/// A vector's `fault` for queue entries that are not the bridge's (`QueueEntriesMismatch`).
const NOT_THE_BRIDGES: u8 = 254;

fn vector(name: &str, batch: &PostedBatch, proof: &FraudProof, fault: u8) -> ProofVector {
    let (header, revealed, chunk_index, keys, witness, queue, queue_acc_before) = match proof {
        FraudProof::Header { .. } => (true, Vec::new(), 0, Vec::new(), Bytes::new(), Vec::new(), B256::ZERO),
        FraudProof::Blob { .. } | FraudProof::BlobRoots { .. } => unreachable!("the vectors are calldata batches"),
        FraudProof::Chunk { revealed, chunk_index, keys, witness, queue, queue_acc_before, .. } => {
            (false, revealed.clone(), *chunk_index, keys.clone(), witness.clone(), queue.clone(), *queue_acc_before)
        }
    };
    let deposit = |e: &QueueEntry| match &e.item {
        QueueItem::Deposit { to, amount, l1_token, meta } => {
            assert!(e.from == DEPOSITOR && l1_token.is_zero() && *meta == ether_meta(), "an ether deposit");
            (*to, *amount, e.l1_block)
        }
        QueueItem::Forced { .. } | QueueItem::L1Fees { .. } => (Address::ZERO, U256::ZERO, e.l1_block),
    };
    ProofVector {
        name: name.to_owned(),
        data: batch.data.clone(),
        data_hash: codec::data_commitment(&batch.data),
        last_block: batch.last_block,
        chunk_roots: batch.chunk_roots.clone(),
        header,
        revealed,
        chunk_index,
        keys,
        witness,
        fault,
        queue_kind: queue.iter().map(|e| prove::contents(e).kind.saturating_to()).collect(),
        queue_raw: queue.iter().map(|e| prove::contents(e).raw).collect(),
        queue_to: queue.iter().map(|e| deposit(e).0).collect(),
        queue_amount: queue.iter().map(|e| deposit(e).1).collect(),
        queue_l1_block: queue.iter().map(|e| deposit(e).2).collect(),
        queue_acc_before,
    }
}

/// The queue batch (6 entries, among them 2 forced transactions, and 5 transactions: three
/// blocks, of 3 entries and 1 transaction (its beginning, a chunk an entry, one of the
/// transaction), of 3 transactions (its beginning and one chunk), and of 3 entries and 1
/// transaction: 12 chunks) and its proofs.
fn queue_vectors() -> (DepositVectors, Vec<ProofVector>, Vec<ProofVector>) {
    let (genesis, batch) = honest_batch_with_queue(&[(3, 1), (0, 3), (3, 1)]);
    assert_eq!(batch.chunk_roots.len(), 12);
    let verifier = Verifier::new(genesis.clone());
    let honest = (0..batch.chunk_roots.len())
        .map(|c| {
            vector(
                &format!("queue-honest-chunk-{c}"),
                &batch,
                &verifier.prove_chunk(&batch, c).expect("proof"),
                NO_FRAUD,
            )
        })
        .collect();
    let mut frauds = Vec::new();
    // Chunks of entries: the first block's first (entry 0, a deposit) and third (entry 2, a
    // forced transaction), the last block's second (entry 4, a deposit).
    for c in [1, 3, 9] {
        let mut bad = batch.clone();
        bad.chunk_roots[c] = B256::repeat_byte(0xe0 + c as u8);
        let proof = prove::build(&genesis, Position::GENESIS, &bad).expect("a fault");
        frauds.push(vector(&format!("queue-wrong-root-chunk-{c}"), &bad, &proof, FaultKind::WrongChunkRoot.into()));
        // The same proof with its entry's amount raised, or its L1 block moved, or a forced
        // transaction given as another one: not the bridge's entries, whatever the roots say.
        if c == 3 {
            let mut v = vector("queue-altered-forced-chunk-3", &bad, &proof, NOT_THE_BRIDGES);
            v.queue_raw[0] = Bytes::from_static(&[0x02, 0xc0]);
            frauds.push(v);
        } else {
            let mut v = vector(&format!("queue-altered-amount-chunk-{c}"), &bad, &proof, NOT_THE_BRIDGES);
            v.queue_amount[0] += U256::from(1u8);
            frauds.push(v);
        }
        let mut v = vector(&format!("queue-altered-block-chunk-{c}"), &bad, &proof, NOT_THE_BRIDGES);
        let last = v.queue_l1_block.len() - 1;
        v.queue_l1_block[last] += 1;
        frauds.push(v);
    }
    let deposits = DepositVectors {
        depositor: DEPOSITOR,
        kind: batch.queue.iter().map(|e| prove::contents(e).kind.saturating_to()).collect(),
        raw: batch.queue.iter().map(|e| prove::contents(e).raw).collect(),
        to: batch
            .queue
            .iter()
            .map(|e| match &e.item {
                QueueItem::Deposit { to, .. } => *to,
                QueueItem::Forced { .. } | QueueItem::L1Fees { .. } => Address::ZERO,
            })
            .collect(),
        amount: batch
            .queue
            .iter()
            .map(|e| match &e.item {
                QueueItem::Deposit { amount, .. } => *amount,
                QueueItem::Forced { .. } | QueueItem::L1Fees { .. } => U256::ZERO,
            })
            .collect(),
        l1_block: batch.queue.iter().map(|e| e.l1_block).collect(),
        accumulator: rollup_types::queue::accumulate_all(B256::ZERO, &batch.queue),
    };
    (deposits, honest, frauds)
}

fn generate_vectors() -> FraudVectors {
    let (genesis, batch) = honest_batch();
    let verifier = Verifier::new(genesis.clone());
    let mut honest = Vec::new();
    for c in 0..batch.chunk_roots.len() {
        let proof = verifier.prove_chunk(&batch, c).expect("proof");
        honest.push(vector(&format!("honest-chunk-{c}"), &batch, &proof, NO_FRAUD));
    }
    let header = FraudProof::Header { index: 0, data: batch.data.clone(), reason: String::new() };
    honest.push(vector("honest-header", &batch, &header, NO_FRAUD));
    let frauds = frauds(&batch)
        .into_iter()
        .map(|(name, bad, fault)| {
            vector(name, &bad, &prove::build(&genesis, Position::GENESIS, &bad).expect("a fault"), fault.into())
        })
        .collect();
    let (deposits, queue_honest, queue_frauds) = queue_vectors();
    FraudVectors {
        comment: "Fraud-proof vectors (docs/fraud-proofs.md section 6). Generated by fraud-proof/tests/it/prove.rs: \
                  do not edit; regenerate with UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it."
            .to_owned(),
        chain_id: CHAIN.chain_id,
        chunk_size: CHAIN.chunk_size,
        genesis_root: genesis.state_root(),
        honest,
        frauds,
        deposits,
        queue_honest,
        queue_frauds,
    }
}

#[test]
fn fraud_vectors() {
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/fraud-vectors.json");
    let mut text = serde_json::to_string_pretty(&generate_vectors()).expect("serialise");
    text.push('\n');
    if std::env::var("UPDATE_VECTORS").is_ok_and(|v| v == "1") {
        std::fs::write(&file, &text).expect("write vectors");
        return;
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("{}: {e}; run UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it", file.display())
    });
    assert!(
        on_disk == text,
        "{} differs from the generator's output; if intended, run UPDATE_VECTORS=1 cargo test -p rollup-fraud-proof --test it",
        file.display()
    );
}
