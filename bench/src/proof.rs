//! `rollup bench proof`: what a fraud proof costs on L1. For each chunk size, on a fresh anvil
//! with a state of `--accounts` funded accounts, a batch of `--batch-chunks` full chunks
//! (transfers and swaps from distinct accounts) is posted with a wrong root for its middle
//! chunk; the prover builds the proof,
//! commits and reveals it. The report gives the proof's L1 gas, its calldata and witness
//! bytes, and the time from the bad batch being mined to the fraud being proven.

use alloy::{eips::BlockNumberOrTag, network::TransactionBuilder, providers::Provider, rpc::types::TransactionRequest};
use alloy_primitives::{B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use anyhow::{Context, Result, ensure};
use rollup_devnet::anvil::{Anvil, AnvilConfig};
use rollup_executor::{BlockEnvInput, Executor};
use rollup_fraud_proof::{
    derive::{Position, PostedBatch},
    prove::{self, FraudProof},
};
use rollup_l1::{self as l1, InboxParams};
use rollup_types::{
    ChainConfig, RecoveredTx,
    bindings::{BatchInbox, L2System},
    codec::{self, Batch, BatchBlock},
    genesis::{DEV_ACCOUNTS, GenesisSpec, USDC, WETH},
    signer::Signer,
};
use serde::Serialize;
use std::{fmt, time::Instant};

/// Parameters of a proof run.
#[derive(Clone, Debug)]
pub struct ProofBench {
    /// Chunk sizes to measure.
    pub chunk_sizes: Vec<u32>,
    /// Funded accounts in the state (each holds four token balances and a nonce later).
    pub accounts: usize,
    /// Seconds between L1 blocks (`None`: a block per transaction).
    pub l1_block_time: Option<u64>,
    /// Also run a whole devnet whose batcher posts a wrong root, and time detection and proof.
    pub devnet: bool,
    /// Chunks in the batch (one block); the wrong root is the middle chunk's.
    pub batch_chunks: u32,
}

/// One chunk size's proof.
#[derive(Clone, Debug, Serialize)]
pub struct ProofRow {
    /// Transactions in the chunk.
    pub chunk_size: u32,
    /// Leaves of the state tree.
    pub state_leaves: usize,
    /// Chunks in the batch, and its data bytes.
    pub batch_chunks: u32,
    /// Bytes of the batch data.
    pub batch_bytes: usize,
    /// State keys the chunk touches (the witness covers them).
    pub keys: usize,
    /// Bytes of the witness.
    pub witness_bytes: usize,
    /// Bytes of the proof's calldata (batch data, chunk roots, keys, witness).
    pub calldata_bytes: usize,
    /// L1 gas of the proof transaction (from its receipt).
    pub proof_gas: u64,
    /// L1 gas of the commitment transaction.
    pub commit_gas: u64,
    /// Seconds from the bad batch mined to the proof mined (build, commit, reveal).
    pub seconds_to_proven: f64,
}

/// The rows of a run.
#[derive(Clone, Debug, Serialize)]
pub struct ProofReport {
    /// One row per chunk size.
    pub rows: Vec<ProofRow>,
    /// Seconds between L1 blocks (0: a block per transaction).
    pub l1_block_time: u64,
    /// The devnet run, if asked for.
    pub devnet: Option<DevnetRow>,
}

/// A whole devnet catching a wrong root.
#[derive(Clone, Debug, Serialize)]
pub struct DevnetRow {
    /// Seconds from the bad batch seen on L1 to the fraud proven on L1 (the challenger's
    /// poll, replay, proof building, commitment and reveal).
    pub seconds_posted_to_proven: f64,
    /// L1 gas of the proof.
    pub proof_gas: u64,
    /// Bytes of the proof's calldata.
    pub calldata_bytes: u64,
    /// Seconds from the rollback to the re-posted batch verified by the challenger.
    pub seconds_rollback_to_reverified: f64,
}

impl fmt::Display for ProofReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| chunk txs | state leaves | batch chunks | batch B | keys | witness B | proof calldata B | proof gas | gas / tx | commit gas | bad batch mined → proven |"
        )?;
        writeln!(f, "|---|---|---|---|---|---|---|---|---|---|---|")?;
        for r in &self.rows {
            writeln!(
                f,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} s |",
                r.chunk_size,
                r.state_leaves,
                r.batch_chunks,
                r.batch_bytes,
                r.keys,
                r.witness_bytes,
                r.calldata_bytes,
                r.proof_gas,
                r.proof_gas / u64::from(r.chunk_size.max(1)),
                r.commit_gas,
                r.seconds_to_proven
            )?;
        }
        write!(f, "(L1 block time: {} s; 0 = a block per transaction)", self.l1_block_time)?;
        if let Some(d) = &self.devnet {
            write!(
                f,
                "\ndevnet (1 s L1 blocks, root-first-chunk fault): bad batch on L1 → fraud proven {:.2} s; \
                 proof gas {}, calldata {} B; rollback → re-posted batch verified {:.2} s",
                d.seconds_posted_to_proven, d.proof_gas, d.calldata_bytes, d.seconds_rollback_to_reverified
            )?;
        }
        Ok(())
    }
}

impl ProofBench {
    /// Runs every chunk size.
    pub async fn run(&self) -> Result<ProofReport> {
        let mut rows = Vec::new();
        for &size in &self.chunk_sizes {
            rows.push(self.one(size).await.with_context(|| format!("chunk size {size}"))?);
        }
        let devnet = if self.devnet { Some(devnet_run().await.context("devnet run")?) } else { None };
        Ok(ProofReport { rows, l1_block_time: self.l1_block_time.unwrap_or(0), devnet })
    }

    async fn one(&self, chunk_size: u32) -> Result<ProofRow> {
        let chain = ChainConfig { chunk_size, ..ChainConfig::default() };
        let batch_txs = chunk_size as usize * self.batch_chunks.max(1) as usize;
        let signers: Vec<Signer> = (0..self.accounts.max(batch_txs))
            .map(|i| Signer::new(&keccak256(format!("proof bench account {i}"))))
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow::anyhow!("bad derived key"))?;
        // A thousandth of an ether each: what the deployer locks stays small for any count.
        let genesis = GenesisSpec::devnet()
            .with_funded(signers.iter().map(Signer::address))
            .with_ether_per_account(U256::from(1_000_000_000_000_000u64));
        let executor = Executor::genesis(chain, &genesis)?;
        let state_leaves = executor.tree().len();

        // One block of full chunks: transfers and swaps, each from its own account.
        let txs: Vec<_> = signers
            .iter()
            .take(batch_txs)
            .enumerate()
            .map(|(i, s)| {
                let input: Bytes = if i % 2 == 0 {
                    L2System::transferCall {
                        token: USDC,
                        to: signers[(i + 7) % signers.len()].address(),
                        amount: U256::from(1_000 + i),
                    }
                    .abi_encode()
                    .into()
                } else {
                    L2System::swapCall {
                        tokenIn: WETH,
                        tokenOut: USDC,
                        amountIn: U256::from(10u64).pow(U256::from(15)),
                        minAmountOut: U256::from(1u64),
                    }
                    .abi_encode()
                    .into()
                };
                s.eip1559(chain.chain_id, 0, input)
            })
            .collect();
        let recovered: Vec<RecoveredTx> =
            txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &chain)).collect::<Result<_, _>>()?;
        let mut after = executor.clone();
        let env = BlockEnvInput { number: 1, timestamp: 1, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE };
        let mut chunk_roots = after.execute_block(env, &recovered).chunk_roots;
        ensure!(chunk_roots.len() == self.batch_chunks.max(1) as usize, "{} chunks", chunk_roots.len());
        let bad = chunk_roots.len() / 2;
        chunk_roots[bad] = keccak256(chunk_roots[bad]);
        let data: Bytes = codec::encode(
            &Batch {
                blocks: vec![BatchBlock {
                    number: 1,
                    timestamp: 1,
                    queue_count: 0,
                    l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                    txs,
                }],
            },
            &chain,
        )?
        .into();
        let batch_bytes = data.len();

        let anvil = Anvil::spawn(&AnvilConfig {
            // A free port, chosen again if taken before anvil binds it.
            port: 0,
            block_time: self.l1_block_time,
            gas_limit: None,
            state_file: None,
            log_file: None,
        })
        .await?;
        let url: url::Url = anvil.url().parse()?;
        let params = InboxParams {
            batcher: DEV_ACCOUNTS[1].address,
            challenge_window: 3_600,
            stake: U256::from(10u64).pow(U256::from(17u8)),
            genesis_state_root: executor.state_root(),
            genesis_ether: genesis.genesis_ether(),
            chunk_size,
            l2_chain_id: chain.chain_id,
            inclusion_window: rollup_l1::DEFAULT_INCLUSION_WINDOW,
            freeze_delay: rollup_l1::DEFAULT_FREEZE_DELAY,
        };
        let deployment = rollup_devnet::deploy(&url, &DEV_ACCOUNTS[0].private_key, &params).await?;
        let inbox = deployment.batch_inbox;
        let (batcher, _, _) = l1::signing_provider(&url, &DEV_ACCOUNTS[1].private_key)?;
        let (prover, _, prover_address) = l1::signing_provider(&url, &DEV_ACCOUNTS[2].private_key)?;

        let post = BatchInbox::postBatchCall {
            index: U256::ZERO,
            prevStateRoot: executor.state_root(),
            lastBlock: 1,
            queueEnd: 0,
            queueAccumulator: B256::ZERO,
            data: data.clone(),
            chunkRoots: chunk_roots.clone(),
        };
        l1::deploy::stake(&batcher, inbox, params.stake).await?;
        let request = TransactionRequest::default().with_to(inbox).with_input(post.abi_encode());
        let posted = l1::send_ok(&batcher, request, "the post").await?;
        let started = Instant::now();

        let batch = PostedBatch {
            index: 0,
            l1_block: posted.block_number.unwrap_or_default(),
            l1_tx_hash: posted.transaction_hash,
            data_hash: codec::data_commitment(&data),
            data,
            blob: None,
            prev_state_root: executor.state_root(),
            state_root: *chunk_roots.last().unwrap_or(&B256::ZERO),
            chunk_roots,
            last_block: 1,
            queue_end: 0,
            queue: Vec::new(),
            queue_acc: B256::ZERO,
        };
        let proof = tokio::task::spawn_blocking(move || prove::build(&executor, Position::GENESIS, &batch)).await??;
        let FraudProof::Chunk { keys, witness, .. } = &proof else { anyhow::bail!("expected a chunk proof") };
        let (keys, witness_bytes) = (keys.len(), witness.len());
        let calldata = proof.calldata();
        let commitment = prove::commitment(prover_address, &calldata);
        let commit = TransactionRequest::default()
            .with_to(inbox)
            .with_input(BatchInbox::commitProofCall { commitment }.abi_encode());
        let commit = l1::send_ok(&prover, commit, "the commitment").await?;
        let request = TransactionRequest::default().with_to(inbox).with_input(calldata.clone());
        let gas = loop {
            // Estimated on the pending block, which must come after the commitment's.
            match prover.estimate_gas(request.clone()).block(BlockNumberOrTag::Pending.into()).await {
                Ok(gas) => break gas,
                Err(e) => {
                    let e = l1::L1Error::from(e);
                    let waiting = matches!(e.inbox_error(), Some(BatchInbox::BatchInboxErrors::ProofNotCommitted(_)));
                    if !waiting || started.elapsed().as_secs() >= 30 {
                        return Err(e).context("estimating the proof");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        };
        let proven = l1::send_ok(&prover, request.with_gas_limit(gas + gas / 5), "the proof").await?;
        let seconds_to_proven = started.elapsed().as_secs_f64();
        let count: U256 = l1::view(&prover, inbox, BatchInbox::batchCountCall {}).await?;
        ensure!(count.is_zero(), "the bad batch was not rolled back");
        anvil.stop().await?;
        Ok(ProofRow {
            chunk_size,
            state_leaves,
            batch_chunks: self.batch_chunks.max(1),
            batch_bytes,
            keys,
            witness_bytes,
            calldata_bytes: calldata.len(),
            proof_gas: proven.gas_used,
            commit_gas: commit.gas_used,
            seconds_to_proven,
        })
    }
}

/// A devnet (L1 block every second, challenger polling every second) whose batcher posts a
/// wrong first chunk root: times the challenger from the bad batch on L1 to the fraud proven,
/// then to the re-posted batch verified.
async fn devnet_run() -> Result<DevnetRow> {
    use rollup_devnet::{Devnet, DevnetConfig};
    use rollup_types::status::ProofState;
    let dir = tempfile::tempdir()?;
    let mut config = DevnetConfig::test(dir.path().to_path_buf())?;
    config.l1_block_time = Some(1);
    config.challenger_poll = std::time::Duration::from_secs(1);
    config.batch_interval = std::time::Duration::from_secs(2);
    config.challenge_window = 600;
    config.fault = Some(rollup_batcher::fault::Fault::RootFirstChunk);
    let devnet = Devnet::start(config).await?;
    let chain = devnet.deployment.l2_chain_id;
    let signer = Signer::new(&DEV_ACCOUNTS[4].private_key).map_err(|_| anyhow::anyhow!("key"))?;
    let raws = (0..64)
        .map(|nonce| {
            let call = L2System::transferCall { token: USDC, to: DEV_ACCOUNTS[5].address, amount: U256::from(1u64) };
            Bytes::from(signer.eip1559(chain, nonce, call.abi_encode().into()).encoded())
        })
        .collect();
    for r in devnet.sequencer.node.submit_many(raws).await {
        r.map_err(|e| anyhow::anyhow!("submit: {e}"))?;
    }
    let l1 = l1::provider(&devnet.l1_rpc);
    let inbox = devnet.deployment.batch_inbox;
    let count = || async { anyhow::Ok(l1::view(&l1, inbox, BatchInbox::batchCountCall {}).await?) };
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    while count().await?.is_zero() {
        ensure!(Instant::now() < deadline, "no batch posted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let posted = Instant::now();
    let mut status = devnet.challenger.clone();
    let proven = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        status.wait_for(|s| s.proofs.iter().any(|p| p.state == ProofState::Proven)),
    )
    .await
    .context("no proof within 120 s")??
    .clone();
    let seconds_posted_to_proven = posted.elapsed().as_secs_f64();
    let proof = proven.proofs.iter().find(|p| p.state == ProofState::Proven).context("proven")?.clone();
    let rolled = Instant::now();
    let last = devnet.sequencer.node.head().header.number;
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        status.wait_for(|s| s.rollbacks >= 1 && s.last_verified_l2_block.is_some_and(|b| b >= last)),
    )
    .await
    .context("the re-posted chain was not verified within 120 s")??;
    let seconds_rollback_to_reverified = rolled.elapsed().as_secs_f64();
    devnet.stop().await?;
    Ok(DevnetRow {
        seconds_posted_to_proven,
        proof_gas: proof.gas_used.unwrap_or_default(),
        calldata_bytes: proof.calldata_bytes,
        seconds_rollback_to_reverified,
    })
}

/// The arguments of `rollup bench proof`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Chunk sizes (transactions per chunk) to measure.
    #[arg(long = "chunk-sizes", value_delimiter = ',', default_value = "2,4,8")]
    chunk_sizes: Vec<u32>,
    /// Funded accounts in the L2 state (the witness grows with the tree's depth).
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Seconds between L1 blocks (default: a block per transaction).
    #[arg(long = "l1.block-time", alias = "l1-block-time")]
    l1_block_time: Option<u64>,
    /// Also run a devnet (1 s L1 blocks) whose batcher posts a wrong root, and time the
    /// challenger from the bad batch on L1 to the fraud proven.
    #[arg(long)]
    devnet: bool,
    /// Chunks in the batch; the wrong root is the middle chunk's.
    #[arg(long = "batch-chunks", default_value_t = 1)]
    batch_chunks: u32,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = ProofBench {
            chunk_sizes: args.chunk_sizes,
            accounts: args.accounts,
            l1_block_time: args.l1_block_time,
            devnet: args.devnet,
            batch_chunks: args.batch_chunks,
        };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)
    }
}
