//! The bridge's queue entries at the start of a block (docs/bridge.md §3): deposits credited by
//! a system call, forced transactions run like user transactions when admissible and skipped
//! otherwise. They run in queue order, on the calling thread, before the block's transactions,
//! which then see their changes as a prior layer.

use crate::{
    TxOutcome,
    parallel::BlockContext,
    split,
    state::{Changes, Overlay, Reads, Record, Recorder},
    trace::Watch,
    tx_env,
};
use alloy_primitives::{Address, B256, TxKind, U256};
use alloy_sol_types::SolCall;
use revm::{Context, DatabaseCommit, MainBuilder, MainContext, context::TxEnv};
use rollup_types::{
    ChainConfig, RecoveredTx, SYSTEM_CONTRACT, SignedTx,
    bindings::L2System,
    chain::EXECUTION_GAS_LIMIT,
    queue::{QueueEntry, QueueItem, SYSTEM_CALLER},
};

/// What one queue entry did in its block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueResult {
    /// A deposit, credited (`L2System.creditDeposit`): its logs and writes.
    Deposit(TxOutcome),
    /// A forced transaction that was admissible and ran: its nonce is consumed, whatever the
    /// call did.
    Forced {
        /// Its recovered sender.
        sender: Address,
        /// Its transaction hash.
        hash: B256,
        /// How it ended.
        outcome: TxOutcome,
    },
    /// A forced transaction that could not run (not decodable, not admissible, or not at its
    /// sender's nonce): it changes nothing.
    Skipped(String),
    /// A reading of the L1's fees, taken as the chain's (`L2System.reportL1Fees`): its logs and
    /// its write.
    L1Fees(TxOutcome),
}

impl QueueResult {
    /// The state-tree leaves it wrote.
    pub fn writes(&self) -> &[(B256, B256)] {
        match self {
            Self::Deposit(o) | Self::Forced { outcome: o, .. } | Self::L1Fees(o) => &o.writes,
            Self::Skipped(_) => &[],
        }
    }

    /// Its outcome, unless it was skipped.
    pub fn outcome(&self) -> Option<&TxOutcome> {
        match self {
            Self::Deposit(o) | Self::Forced { outcome: o, .. } | Self::L1Fees(o) => Some(o),
            Self::Skipped(_) => None,
        }
    }
}

/// What running a block's queue entries gave.
pub(crate) struct QueueOutput {
    /// The writes of the system call that began the block (`L2System.beginBlock`), when it ran.
    pub(crate) begin: Vec<(B256, B256)>,
    pub(crate) results: Vec<QueueResult>,
    /// Their changes: the first layer of the block.
    pub(crate) changes: Changes,
    /// What they touched (with [`Record::Keys`]).
    pub(crate) recorder: Option<Recorder>,
}

/// Decodes and admits a forced transaction as the L1 verifier does: the bytes must be the
/// canonical EIP-2718 encoding of a transaction the admission rules accept
/// (docs/bridge.md §3.3). The nonce is checked when it runs.
pub fn admit_forced(raw: &[u8], chain: &ChainConfig) -> Result<RecoveredTx, String> {
    let tx = SignedTx::decode(raw).map_err(|e| e.to_string())?;
    if tx.encoded() != raw {
        return Err("not the canonical encoding of its transaction".into());
    }
    RecoveredTx::from_signed(tx, chain).map_err(|e| e.to_string())
}

/// A system call of the executor's (`L2System.creditDeposit`, `L2System.reportL1Fees`).
fn system_env(data: Vec<u8>, chain_id: u64) -> TxEnv {
    TxEnv {
        caller: SYSTEM_CALLER,
        gas_limit: EXECUTION_GAS_LIMIT,
        gas_price: 0,
        kind: TxKind::Call(SYSTEM_CONTRACT),
        data: data.into(),
        // The system caller's nonce is never stored: it is always 0.
        nonce: 0,
        chain_id: Some(chain_id),
        ..Default::default()
    }
}

/// Runs `entries` in order over the committed state, recording `record`; first, when `begins`,
/// the system call that begins the block (`L2System.beginBlock`: in the beginning of a block
/// with items, the chunk of its own that enters the block, docs/lending.md §3).
pub(crate) fn run_queue(
    ctx: &BlockContext<'_>,
    chain: &ChainConfig,
    entries: &[QueueEntry],
    begins: bool,
    record: Record,
) -> QueueOutput {
    run_queue_watched(ctx, chain, entries, begins, record, ()).0
}

/// [`run_queue`] over any view of the state, with `watch` seeing each item run (the
/// beginning's system call first, when it runs).
pub(crate) fn run_queue_watched<B: Reads, W: Watch>(
    ctx: &BlockContext<'_, B>,
    chain: &ChainConfig,
    entries: &[QueueEntry],
    begins: bool,
    record: Record,
    watch: W,
) -> (QueueOutput, W) {
    let overlay = Overlay::new(ctx.base, &[], ctx.block.beneficiary, record, entries.len() + usize::from(begins));
    let mut evm = Context::mainnet()
        .with_db(overlay)
        .with_cfg(ctx.cfg.clone())
        .with_block(ctx.block.clone())
        .build_mainnet_with_inspector(watch);
    // It cannot fail (it reads and writes the clock); were revm to refuse it, it changes nothing,
    // as the verifier's delegate call then does.
    let begin = if begins {
        let writes = system_call(&mut evm, L2System::beginBlockCall {}.abi_encode(), chain.chain_id)
            .map_or_else(|_| Vec::new(), |o| o.writes);
        evm.inspector.after();
        writes
    } else {
        Vec::new()
    };
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let result = match &entry.item {
            QueueItem::L1Fees { base_fee, blob_base_fee } => {
                let call = L2System::reportL1FeesCall {
                    queueIndex: U256::from(entry.index),
                    baseFee: *base_fee,
                    blobBaseFee: *blob_base_fee,
                };
                // It cannot fail either (docs/fees.md §4).
                system_call(&mut evm, call.abi_encode(), chain.chain_id).map_or_else(
                    |err| QueueResult::Skipped(format!("the L1's fees could not be taken: {err}")),
                    QueueResult::L1Fees,
                )
            }
            QueueItem::Deposit { to, l1_token, amount, meta } => {
                let call = L2System::creditDepositCall {
                    queueIndex: U256::from(entry.index),
                    l1Token: *l1_token,
                    to: *to,
                    amount: *amount,
                    meta: *meta,
                };
                // A deposit cannot fail (docs/bridge.md §3.2); were revm to refuse the system
                // call, the entry changes nothing, as on L1.
                system_call(&mut evm, call.abi_encode(), chain.chain_id).map_or_else(
                    |err| QueueResult::Skipped(format!("the deposit could not be credited: {err}")),
                    QueueResult::Deposit,
                )
            }
            QueueItem::Forced { raw } => match admit_forced(raw, chain) {
                Err(reason) => QueueResult::Skipped(reason),
                Ok(tx) => {
                    evm.ctx.journaled_state.database.sender = Some((tx.sender, tx.sender_nonce_key()));
                    match crate::trace::run_tx(&mut evm, tx_env(&tx)) {
                        Ok(out) => {
                            let db = &mut evm.ctx.journaled_state.database;
                            db.commit(out.state);
                            let writes = std::mem::take(&mut db.last_writes);
                            // Scheduled gas, as for a transaction of the block (not counted
                            // in the block's fee state: forced transactions are paid on L1).
                            let (status, _, logs, output) = split(out.result);
                            let gas_used = tx.tx.scheduled_gas();
                            QueueResult::Forced {
                                sender: tx.sender,
                                hash: tx.hash(),
                                outcome: TxOutcome::paid_on_l1(status, gas_used, logs, output, writes),
                            }
                        }
                        Err(err) => QueueResult::Skipped(err.to_string()),
                    }
                }
            },
        };
        results.push(result);
        evm.inspector.after();
    }
    let db = std::mem::replace(
        &mut evm.ctx.journaled_state.database,
        Overlay::new(ctx.base, &[], Default::default(), Record::Off, 0),
    );
    (QueueOutput { begin, results, changes: db.changes, recorder: db.recorder }, evm.inspector)
}

/// Runs a call of the system caller to the system contract (a deposit's credit, a reading of
/// the L1's fees) and commits it: paid on L1, with no sender whose nonce it consumes.
fn system_call<B: Reads, W: Watch>(
    evm: &mut revm::handler::MainnetEvm<revm::handler::MainnetContext<Overlay<'_, B>>, W>,
    input: Vec<u8>,
    chain_id: u64,
) -> Result<TxOutcome, String> {
    evm.ctx.journaled_state.database.sender = None;
    let mut out = crate::trace::run_tx(evm, system_env(input, chain_id)).map_err(|err| err.to_string())?;
    // The system caller is no account of the L2: its nonce is not state.
    out.state.remove(&SYSTEM_CALLER);
    let db = &mut evm.ctx.journaled_state.database;
    db.commit(out.state);
    let writes = std::mem::take(&mut db.last_writes);
    let (status, gas_used, logs, output) = split(out.result);
    Ok(TxOutcome::paid_on_l1(status, gas_used, logs, output, writes))
}
