//! `rollup bench`: workloads measured on this machine. One definition per workload, used by
//! the command line (and, later, by criterion benches).

use alloy_primitives::{Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use anyhow::Result;
use rollup_executor::{BlockEnvInput, Executor, TxResult, TxStatus};
use rollup_types::{
    ChainConfig, RecoveredTx, SignedTx,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{DAI, GenesisSpec, USDC, WBTC, WETH},
    signer::Signer,
};
use serde::Serialize;
use std::time::{Duration, Instant};

/// A kind of block content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// USDC transfers between random accounts.
    Transfers,
    /// Swaps of small amounts through the four genesis pools, both directions.
    Swaps,
}

/// Parameters of an executor run.
#[derive(Clone, Debug)]
pub struct ExecutorBench {
    /// Block content.
    pub workload: Workload,
    /// Transactions in all.
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Distinct senders.
    pub accounts: usize,
    /// Seed of the workload.
    pub seed: u64,
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ExecutorReport {
    /// Workload.
    pub workload: Workload,
    /// Transactions executed.
    pub txs: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Execution threads (1: the sequential executor).
    pub threads: usize,
    /// Transactions per second through execution and state root.
    pub tx_per_sec: f64,
    /// Millions of gas per second.
    pub mgas_per_sec: f64,
    /// Seconds spent recovering senders (one core).
    pub recovery_secs: f64,
    /// Seconds in revm execution.
    pub execution_secs: f64,
    /// Seconds updating the state tree.
    pub state_root_secs: f64,
    /// Share of execution time spent on the state root.
    pub state_root_share: f64,
    /// Transactions that reverted (failed swaps are part of a realistic load).
    pub reverted: usize,
    /// Batch bytes per transaction with codec v0.
    pub batch_bytes_per_tx: f64,
}

fn signer(seed: u64, i: usize) -> Signer {
    let mut material = [0u8; 16];
    material[..8].copy_from_slice(&seed.to_be_bytes());
    material[8..].copy_from_slice(&(i as u64).to_be_bytes());
    Signer::new(&keccak256(material)).expect("a keccak output is a valid key with overwhelming probability")
}

fn genesis_decimals(token: alloy_primitives::Address) -> u64 {
    GenesisSpec::devnet().tokens.iter().find(|t| t.address == token).map_or(18, |t| u64::from(t.decimals))
}

/// A small deterministic generator (splitmix64), so workloads are identical everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl ExecutorBench {
    /// Signed transactions of the workload, and the genesis that funds their senders.
    pub fn generate(&self, chain: &ChainConfig) -> (GenesisSpec, Vec<SignedTx>) {
        let signers: Vec<Signer> = (0..self.accounts.max(1)).map(|i| signer(self.seed, i)).collect();
        let genesis = GenesisSpec::devnet().with_funded(signers.iter().map(Signer::address));
        let mut rng = Rng(self.seed);
        let mut nonces = vec![0u64; signers.len()];
        let pairs = [(WETH, USDC), (WETH, DAI), (USDC, DAI), (WBTC, WETH)];
        let txs = (0..self.txs)
            .map(|_| {
                let s = rng.below(signers.len());
                let input: Bytes = match self.workload {
                    Workload::Transfers => {
                        let to = signers[rng.below(signers.len())].address();
                        L2System::transferCall { token: USDC, to, amount: U256::from(1 + rng.below(1_000_000)) }
                            .abi_encode()
                            .into()
                    }
                    Workload::Swaps => {
                        let (a, b) = pairs[rng.below(pairs.len())];
                        let (token_in, token_out) = if rng.below(2) == 0 { (a, b) } else { (b, a) };
                        // 0.0001 to 0.01 of a whole token; one swap in twenty asks too much and reverts.
                        let decimals = genesis_decimals(token_in);
                        let amount_in =
                            U256::from(1 + rng.below(100)) * U256::from(10u64).pow(U256::from(decimals - 4));
                        let min_out = if rng.below(20) == 0 { U256::MAX } else { U256::ZERO };
                        L2System::swapCall {
                            tokenIn: token_in,
                            tokenOut: token_out,
                            amountIn: amount_in,
                            minAmountOut: min_out,
                        }
                        .abi_encode()
                        .into()
                    }
                };
                let tx = signers[s].eip1559(chain.chain_id, nonces[s], input);
                nonces[s] += 1;
                tx
            })
            .collect();
        (genesis, txs)
    }

    /// Runs the workload through the executor, block by block.
    pub fn run(&self) -> Result<ExecutorReport> {
        let chain = ChainConfig::default();
        let (genesis, signed) = self.generate(&chain);
        let data_len = codec::encode(
            &Batch { blocks: vec![BatchBlock { number: 1, timestamp: 1, txs: signed.clone() }] },
            &chain,
        )?
        .len();
        let mut executor = Executor::genesis(chain, &genesis)?;

        let started = Instant::now();
        let txs: Vec<RecoveredTx> =
            signed.into_iter().map(|t| RecoveredTx::from_signed(t, &chain)).collect::<Result<_, _>>()?;
        let recovery = started.elapsed();

        let (mut execution, mut state_root, mut gas, mut reverted) = (Duration::ZERO, Duration::ZERO, 0u64, 0usize);
        for (i, block) in txs.chunks(self.block_size.max(1)).enumerate() {
            let env = BlockEnvInput { number: i as u64 + 1, timestamp: 1_700_000_000 + i as u64 };
            let out = executor.execute_block(env, block);
            execution += out.timings.execution;
            state_root += out.timings.state_root;
            gas += out.gas_used;
            for r in &out.results {
                match r {
                    TxResult::Executed(o) if o.status != TxStatus::Success => reverted += 1,
                    TxResult::Executed(_) => {}
                    TxResult::Invalid(e) => anyhow::bail!("workload produced an invalid transaction: {e}"),
                }
            }
        }
        let total = (execution + state_root).as_secs_f64();
        Ok(ExecutorReport {
            workload: self.workload,
            txs: txs.len(),
            block_size: self.block_size,
            threads: 1,
            tx_per_sec: txs.len() as f64 / total,
            mgas_per_sec: gas as f64 / total / 1e6,
            recovery_secs: recovery.as_secs_f64(),
            execution_secs: execution.as_secs_f64(),
            state_root_secs: state_root.as_secs_f64(),
            state_root_share: state_root.as_secs_f64() / total,
            reverted,
            batch_bytes_per_tx: data_len as f64 / txs.len().max(1) as f64,
        })
    }
}
