//! The L1 verifier (`ChunkVerifier`, its compiled bytecode) run in revm, as an L1 transaction
//! runs it: the tests that replay chunks on it (`prove`, `lending_model`) build their calls
//! here.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolInterface};
use revm::{
    Context, DatabaseRef, ExecuteEvm, MainBuilder, MainContext,
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, TxEnv, result::ExecutionResult},
    database_interface::WrapDatabaseRef,
    primitives::{StorageKey, StorageValue, TxKind, hardfork::SpecId},
    state::{AccountInfo, EvmState},
};
use rollup_executor::BlockEnvInput;
use rollup_fraud_proof::prove;
use rollup_types::{
    ChainConfig, SignedTx,
    bindings::{
        ChunkVerifier, VerifierDataProof, VerifierQueueContents, batch_decoder_creation_code,
        chunk_verifier_deploy_code, lending_replay_creation_code, replay_logic_deploy_code,
    },
    codec::{self, Batch, BatchBlock},
    queue::QueueEntry,
};
use std::{collections::HashMap, convert::Infallible};

/// The chain of the replays: chunks as large as the codec allows.
pub(crate) const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: rollup_types::chain::MAX_CHUNK_SIZE };

/// The queue span a replay returned: `(first, count, accBefore, accAfter)`.
pub(crate) type Span = (u64, u64, B256, B256);

/// Who deploys the verifier and sends the replays.
const CALLER: Address = Address::repeat_byte(0xee);

/// An L1 state holding only the chunk verifier and the decoder and logic it creates.
pub(crate) struct L1 {
    accounts: HashMap<Address, AccountInfo>,
    verifier: Address,
    /// The queue span of the last successful replay.
    last_span: std::cell::Cell<Span>,
}

impl L1 {
    /// Deploys the decoder, the two logics and the verifier built from them, as `rollup deploy`
    /// does, and keeps the accounts with code.
    pub(crate) fn new() -> Self {
        let mut l1 = Self { accounts: HashMap::new(), verifier: CALLER.create(3), last_span: Default::default() };
        let codes = [
            batch_decoder_creation_code().to_vec(),
            lending_replay_creation_code().to_vec(),
            replay_logic_deploy_code(CALLER.create(1)),
            chunk_verifier_deploy_code(CALLER.create(0), CALLER.create(2)),
        ];
        for (nonce, code) in codes.into_iter().enumerate() {
            let tx = TxEnv {
                caller: CALLER,
                kind: TxKind::Create,
                data: code.into(),
                nonce: nonce as u64,
                gas_limit: 100_000_000,
                gas_price: 0,
                ..Default::default()
            };
            let (result, state) = l1.transact(tx);
            assert!(result.is_success(), "part {nonce} of the verifier deploys: {result:?}");
            for (address, account) in state {
                if address == CALLER || account.info.code.as_ref().is_some_and(|c| !c.is_empty()) {
                    l1.accounts.insert(address, account.info);
                }
            }
        }
        l1.accounts.remove(&CALLER);
        assert!(
            l1.accounts.contains_key(&l1.verifier) && l1.accounts.len() == 4,
            "verifier, decoder and the two logics"
        );
        l1
    }

    /// Runs `tx` on this state without committing it: its result and the accounts it touched.
    pub(crate) fn transact(&self, tx: TxEnv) -> (ExecutionResult, EvmState) {
        let mut cfg = CfgEnv::new_with_spec(SpecId::PRAGUE);
        cfg.chain_id = 1;
        let block = BlockEnv { gas_limit: u64::MAX / 4, basefee: 0, ..Default::default() };
        let mut evm = Context::mainnet().with_db(WrapDatabaseRef(self)).with_cfg(cfg).with_block(block).build_mainnet();
        let out = evm.transact(tx).expect("the transaction runs");
        (out.result, out.state)
    }

    /// [`Self::replay`], with the queue span the verifier returned: `(first, count, accBefore,
    /// accAfter)` (zeros when it reverted).
    pub(crate) fn replay_with_span(
        &self,
        call: &ChunkVerifier::replayChunkCall,
    ) -> (Result<(u8, u64, B256), String>, Span, u64) {
        let (out, gas) = self.replay(call);
        let span = self.last_span.take();
        (out, span, gas)
    }

    /// `replayChunk` as an L1 transaction would run it: its outcome, or the name of the error
    /// it reverted with; and the gas it used.
    pub(crate) fn replay(&self, call: &ChunkVerifier::replayChunkCall) -> (Result<(u8, u64, B256), String>, u64) {
        let tx = TxEnv {
            caller: CALLER,
            kind: TxKind::Call(self.verifier),
            data: call.abi_encode().into(),
            gas_limit: 1_000_000_000,
            gas_price: 0,
            ..Default::default()
        };
        match self.transact(tx).0 {
            ExecutionResult::Success { output, gas, .. } => {
                let ret = ChunkVerifier::replayChunkCall::abi_decode_returns(output.data()).expect("returns");
                self.last_span.set((
                    ret.span.first.saturating_to(),
                    ret.span.count.saturating_to(),
                    ret.span.accBefore,
                    ret.span.accAfter,
                ));
                (Ok((ret.outcome, ret.txIndex.saturating_to(), ret.postRoot)), gas.tx_gas_used())
            }
            ExecutionResult::Revert { output, gas, .. } => {
                let name = ChunkVerifier::ChunkVerifierErrors::abi_decode(&output)
                    .map_or_else(|_| format!("revert {output}"), |e| format!("{e:?}"));
                (Err(name), gas.tx_gas_used())
            }
            ExecutionResult::Halt { reason, gas, .. } => (Err(format!("halt {reason:?}")), gas.tx_gas_used()),
        }
    }
}

impl DatabaseRef for L1 {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        Ok(self.accounts.get(&address).cloned())
    }

    fn code_by_hash_ref(&self, hash: B256) -> Result<Bytecode, Infallible> {
        Ok(self.accounts.values().find(|a| a.code_hash == hash).and_then(|a| a.code.clone()).unwrap_or_default())
    }

    fn storage_ref(&self, _address: Address, _index: StorageKey) -> Result<StorageValue, Infallible> {
        Ok(U256::ZERO)
    }

    fn block_hash_ref(&self, _number: u64) -> Result<B256, Infallible> {
        Ok(B256::ZERO)
    }
}

/// The verifier call that replays chunk `chunk` of `data` from `pre`, holding no queue entry.
pub(crate) fn replay_call(
    data: &[u8],
    revealed: &[u64],
    chunk: u64,
    pre: B256,
    keys: Vec<B256>,
    witness: Bytes,
) -> ChunkVerifier::replayChunkCall {
    replay_call_with_queue(data, revealed, chunk, pre, keys, witness, QueueArgs::default())
}

/// The queue part of a replay: the chunk's entries, the accumulator before them and the queue
/// index of the batch's first entry.
#[derive(Default)]
pub(crate) struct QueueArgs {
    pub(crate) entries: Vec<QueueEntry>,
    pub(crate) acc_before: B256,
    pub(crate) batch_start: u64,
}

/// [`replay_call`] of a chunk that holds the queue entries `queue`.
pub(crate) fn replay_call_with_queue(
    data: &[u8],
    revealed: &[u64],
    chunk: u64,
    pre: B256,
    keys: Vec<B256>,
    witness: Bytes,
    queue: QueueArgs,
) -> ChunkVerifier::replayChunkCall {
    let d = prove::data_proof(data, revealed);
    let entries = queue.entries.iter().map(VerifierQueueContents::from).collect();
    ChunkVerifier::replayChunkCall {
        data: VerifierDataProof {
            length: d.length,
            segmentHashes: d.segmentHashes,
            revealed: d.revealed,
            segments: d.segments,
        },
        params: ChunkVerifier::Params {
            chunkSize: U256::from(CHAIN.chunk_size),
            chainId: U256::from(CHAIN.chain_id),
            preRoot: pre,
            queueStart: U256::from(queue.batch_start),
        },
        proof: ChunkVerifier::ChunkProof {
            chunkIndex: U256::from(chunk),
            keys,
            witness,
            entries,
            queueAccBefore: queue.acc_before,
        },
    }
}

/// The one-chunk batch data of `queue` entries then `txs` as block `env`.
pub(crate) fn chunk_data(env: BlockEnvInput, queue: u64, txs: &[SignedTx]) -> Bytes {
    let block = BatchBlock {
        number: env.number,
        timestamp: env.timestamp,
        queue_count: queue,
        l1_byte_price: env.l1_byte_price,
        txs: txs.to_vec(),
    };
    let batch = Batch { blocks: vec![block] };
    codec::encode(&batch, &CHAIN).expect("encodes").into()
}
