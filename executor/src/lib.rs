#![doc = include_str!("../README.md")]

mod state;

pub use state::State;

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use revm::{
    Context, DatabaseCommit, ExecuteEvm, MainBuilder, MainContext,
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, TxEnv, result::ExecutionResult},
    database_interface::WrapDatabaseRef,
    primitives::hardfork::SpecId,
};
use rollup_types::{
    ChainConfig, RecoveredTx, bindings::l2_system_creation_code, block::BLOCK_GAS_LIMIT, chain::EXECUTION_GAS_LIMIT,
    genesis::GenesisSpec, smt::SparseMerkleTree,
};
use state::Overlay;
use std::sync::Arc;

/// The EVM rules the L2 runs.
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Errors of the executor.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The genesis could not be laid out.
    #[error("genesis failed: {0}")]
    Genesis(String),
}

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// The operation succeeded.
    Success,
    /// The operation reverted (its nonce is still used).
    Revert,
    /// Execution halted (its nonce is still used).
    Halt,
}

/// The result of an included transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// How it ended.
    pub status: TxStatus,
    /// Gas it used (informational: execution is not metered).
    pub gas_used: u64,
    /// Logs it emitted (none unless it succeeded).
    pub logs: Vec<Log>,
    /// Return data, or revert data.
    pub output: Bytes,
    /// State-tree leaves it wrote, as (key, value); a zero value deletes.
    pub writes: Vec<(B256, B256)>,
}

/// What executing one transaction of a block gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxResult {
    /// Executed: part of the block.
    Executed(TxOutcome),
    /// Not executable in this state (for instance a wrong nonce): not part of the block.
    Invalid(String),
}

/// Block-level values a block executes with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEnvInput {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
}

/// Where the time of a block went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockTimings {
    /// Running the transactions through revm and merging their changes.
    pub execution: std::time::Duration,
    /// Updating the state tree chunk by chunk.
    pub state_root: std::time::Duration,
}

/// The result of executing a block.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// One result per input transaction, in order.
    pub results: Vec<TxResult>,
    /// State root after each chunk of executed transactions.
    pub chunk_roots: Vec<B256>,
    /// State root after the block.
    pub state_root: B256,
    /// Gas used by the executed transactions.
    pub gas_used: u64,
    /// Where the time went (not part of the result's meaning).
    pub timings: BlockTimings,
}

/// The result of a call that changes nothing (`eth_call`, `eth_estimateGas`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// How it ended.
    pub status: TxStatus,
    /// Gas it used.
    pub gas_used: u64,
    /// Return data, or revert data.
    pub output: Bytes,
}

/// A read-only call.
#[derive(Clone, Debug, Default)]
pub struct CallRequest {
    /// Caller (zero when unset).
    pub from: Address,
    /// Callee; `None` is a creation.
    pub to: Option<Address>,
    /// Calldata.
    pub input: Bytes,
    /// Gas limit (defaults to the execution cap).
    pub gas: Option<u64>,
    /// Value.
    pub value: U256,
}

/// Executes L2 blocks over the committed state and keeps the state tree.
#[derive(Clone, Debug)]
pub struct Executor {
    chain: ChainConfig,
    state: Arc<State>,
    tree: SparseMerkleTree,
}

fn cfg(chain: &ChainConfig) -> CfgEnv {
    let mut cfg = CfgEnv::new_with_spec(SPEC);
    cfg.chain_id = chain.chain_id;
    cfg
}

fn block_env(env: BlockEnvInput) -> BlockEnv {
    BlockEnv {
        number: U256::from(env.number),
        timestamp: U256::from(env.timestamp),
        gas_limit: BLOCK_GAS_LIMIT,
        basefee: 0,
        ..Default::default()
    }
}

fn tx_env(tx: &RecoveredTx) -> TxEnv {
    TxEnv {
        tx_type: 0,
        caller: tx.sender,
        gas_limit: EXECUTION_GAS_LIMIT,
        gas_price: 0,
        kind: tx.tx.kind(),
        value: tx.tx.value(),
        data: tx.tx.input().clone(),
        nonce: tx.nonce(),
        chain_id: tx.tx.chain_id(),
        ..Default::default()
    }
}

fn split(result: ExecutionResult) -> (TxStatus, u64, Vec<Log>, Bytes) {
    match result {
        ExecutionResult::Success { gas, logs, output, .. } => {
            (TxStatus::Success, gas.tx_gas_used(), logs, output.into_data())
        }
        ExecutionResult::Revert { gas, output, .. } => (TxStatus::Revert, gas.tx_gas_used(), Vec::new(), output),
        ExecutionResult::Halt { gas, .. } => (TxStatus::Halt, gas.tx_gas_used(), Vec::new(), Bytes::new()),
    }
}

impl Executor {
    /// Lays out the genesis state by running the system contract's constructor with `spec`,
    /// then installs the contract at [`SYSTEM_CONTRACT`].
    pub fn genesis(chain: ChainConfig, spec: &GenesisSpec) -> Result<Self, ExecutorError> {
        let mut initcode = l2_system_creation_code().to_vec();
        initcode.extend_from_slice(&spec.constructor_args());
        let empty = State::new(Bytecode::default(), Default::default());
        // The genesis constructor carries every funded account: its initcode may exceed the
        // EIP-3860 limit and its gas the block's. It runs once, off-chain.
        let mut genesis_cfg = cfg(&chain);
        genesis_cfg.limit_contract_initcode_size = Some(usize::MAX);
        let mut evm = Context::mainnet()
            .with_db(WrapDatabaseRef(&empty))
            .with_cfg(genesis_cfg)
            .with_block(BlockEnv { gas_limit: u64::MAX, ..block_env(BlockEnvInput { number: 0, timestamp: 0 }) })
            .build_mainnet();
        let tx = TxEnv {
            caller: Address::ZERO,
            gas_limit: u64::MAX / 2,
            kind: TxKind::Create,
            data: initcode.into(),
            chain_id: Some(chain.chain_id),
            ..Default::default()
        };
        let out = evm.transact(tx).map_err(|e| ExecutorError::Genesis(format!("{e:?}")))?;
        let created = out
            .result
            .created_address()
            .ok_or_else(|| ExecutorError::Genesis(format!("constructor failed: {:?}", out.result)))?;
        let account = out.state.get(&created).ok_or_else(|| ExecutorError::Genesis("no created account".into()))?;
        let code = account.info.code.clone().ok_or_else(|| ExecutorError::Genesis("no runtime code".into()))?;
        let storage =
            account.storage.iter().filter(|(_, s)| !s.present_value.is_zero()).map(|(k, s)| (*k, s.present_value));
        let state = State::new(code, storage.collect());
        let mut tree = SparseMerkleTree::new();
        tree.update(state.leaves());
        Ok(Self { chain, state: Arc::new(state), tree })
    }

    /// The chain parameters.
    pub const fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    /// The current state root.
    pub fn state_root(&self) -> B256 {
        self.tree.root()
    }

    /// The state tree.
    pub const fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// A snapshot of the committed state (cheap to clone; blocks replace it, never mutate it).
    pub fn state(&self) -> Arc<State> {
        self.state.clone()
    }

    /// Executes `txs` in order as block `env` and commits the result. Transactions that
    /// cannot execute in this state are reported [`TxResult::Invalid`] and leave no trace.
    pub fn execute_block(&mut self, env: BlockEnvInput, txs: &[RecoveredTx]) -> ExecutedBlock {
        let started = std::time::Instant::now();
        let mut evm = Context::mainnet()
            .with_db(Overlay::new(&self.state))
            .with_cfg(cfg(&self.chain))
            .with_block(block_env(env))
            .build_mainnet();
        let mut results = Vec::with_capacity(txs.len());
        for tx in txs {
            match evm.transact(tx_env(tx)) {
                Ok(out) => {
                    evm.ctx.journaled_state.database.commit(out.state);
                    let writes = std::mem::take(&mut evm.ctx.journaled_state.database.last_writes);
                    let (status, gas_used, logs, output) = split(out.result);
                    results.push(TxResult::Executed(TxOutcome { status, gas_used, logs, output, writes }));
                }
                Err(err) => results.push(TxResult::Invalid(err.to_string())),
            }
        }
        let changes = std::mem::take(&mut evm.ctx.journaled_state.database.changes);
        drop(evm);
        Arc::make_mut(&mut self.state).apply(&changes);
        let executed_at = std::time::Instant::now();

        // Chunk roots from the write sets, chunk by chunk, in canonical order.
        let executed: Vec<&TxOutcome> = results
            .iter()
            .filter_map(|r| match r {
                TxResult::Executed(o) => Some(o),
                TxResult::Invalid(_) => None,
            })
            .collect();
        let chunk_roots = executed
            .chunks(self.chain.chunk_size as usize)
            .map(|chunk| self.tree.update(chunk.iter().flat_map(|o| o.writes.iter().copied())))
            .collect();
        let gas_used = executed.iter().map(|o| o.gas_used).sum();
        let timings = BlockTimings { execution: executed_at - started, state_root: executed_at.elapsed() };
        ExecutedBlock { results, chunk_roots, state_root: self.tree.root(), gas_used, timings }
    }

    /// Runs a call against the committed state without changing it (nonce checks off, as
    /// `eth_call` does); `Err` when the call is not executable at all (as opposed to
    /// reverting).
    pub fn call(&self, request: &CallRequest, env: BlockEnvInput) -> Result<CallOutcome, String> {
        let mut cfg = cfg(&self.chain);
        cfg.disable_nonce_check = true;
        let mut evm = Context::mainnet()
            .with_db(WrapDatabaseRef(&*self.state))
            .with_cfg(cfg)
            .with_block(block_env(env))
            .build_mainnet();
        let tx = TxEnv {
            caller: request.from,
            gas_limit: request.gas.unwrap_or(EXECUTION_GAS_LIMIT).min(EXECUTION_GAS_LIMIT),
            kind: request.to.map_or(TxKind::Create, TxKind::Call),
            value: request.value,
            data: request.input.clone(),
            chain_id: Some(self.chain.chain_id),
            ..Default::default()
        };
        let out = evm.transact(tx).map_err(|e| e.to_string())?;
        let (status, gas_used, _, output) = split(out.result);
        Ok(CallOutcome { status, gas_used, output })
    }
}
