//! Command-line interface: one subcommand per component, each turned into the component's
//! plain `Config`.

use crate::devnet::{Devnet, DevnetConfig, deploy};
use alloy_primitives::{Address, B256, Bytes, U256};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use rollup_batcher::{Batcher, BatcherConfig, DaMode, InboxParams, TxManagerConfig};
use rollup_executor::KeyPrediction;
use rollup_fraud_proof::{Challenger, ChallengerConfig};
use rollup_sequencer::{SequencerConfig, StatusSources};
use rollup_types::{
    ChainConfig,
    chain::{DEFAULT_CHAIN_ID, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE},
    genesis::GenesisSpec,
};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// An optimistic rollup for DeFi, settled on an Ethereum L1.
#[derive(Debug, Parser)]
#[command(name = "rollup", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the whole system locally: anvil, contracts, sequencer, executor, batcher, challenger.
    Devnet(Box<DevnetArgs>),
    /// Runs the sequencer (HTTP API and block production).
    Sequencer(Box<SequencerArgs>),
    /// Runs the batcher, posting the sequencer's blocks to L1.
    Batcher(BatcherArgs),
    /// Runs the challenger, verifying every batch posted to L1.
    Challenger(ChallengerArgs),
    /// Deploys the L1 contracts of a chain and prints the deployment as JSON.
    Deploy(DeployArgs),
    /// Deposits ether or an ERC-20 from L1 to an L2 account through the bridge (prints its
    /// queue index; `GET /v1/deposits/{index}` on the L2 follows it).
    Deposit(DepositArgs),
    /// Withdraws a bridged token from L2 to an L1 recipient (prints the withdrawal's index).
    Withdraw(WithdrawArgs),
    /// Pays a withdrawal on L1 once its batch is final, with the proof the L2 API builds.
    FinalizeWithdrawal(FinalizeWithdrawalArgs),
    /// Sends a signed L2 transaction through the L1 bridge (forced inclusion: the sequencer
    /// must include it within the inclusion window).
    ForceTx(ForceTxArgs),
    /// The escape hatch, when the operator stops (docs/bridge.md §7): freeze the inbox, then
    /// take out on L1 what the frozen state holds, proven from L1 data alone.
    #[command(subcommand)]
    Escape(EscapeCommand),
    /// Measures a component on this machine.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Executes a generated workload block by block and reports throughput and where the
    /// time goes.
    Executor(ExecutorBenchArgs),
    /// Applies chunks of updates to a state tree with its shards cut into 1, 2, 4 … ranges
    /// on a thread pool, and reports each against one thread and against independent copies.
    Tree(TreeBenchArgs),
    /// Runs independent transfers with and without the executor recording what each block
    /// overwrites, then reads at the oldest kept block and builds and moves a state-proof
    /// tree between blocks: what keeping recent states costs.
    History(HistoryBenchArgs),
    /// Admits transactions into the chain store in group commits and includes them in block
    /// commits, on a fresh SQLite file or PostgreSQL database, and reports what each costs
    /// per transaction: the database's share of the whole path.
    Store(StoreBenchArgs),
    /// Fires signed transactions at a running sequencer's HTTP API and reports accepted and
    /// included throughput and inclusion latency.
    Load(LoadBenchArgs),
    /// Encodes the same blocks with the batch codec, zstd and brotli, and reports bytes and L1
    /// gas per transaction.
    Codec(CodecBenchArgs),
    /// Feeds random and mutated inputs to the batch decoder and checks it never panics and
    /// that what it accepts re-encodes to the same transactions.
    CodecFuzz(CodecFuzzArgs),
    /// Runs a devnet in a temporary directory, sends transfers, and reports the L1 bytes and
    /// gas of posting per L2 transaction and the time from a sealed block to its batch on L1.
    Post(PostBenchArgs),
    /// Runs a fresh devnet, fires transfers at it, and reports the whole path: included,
    /// posted and verified-from-L1 throughput, the lag of each transaction to its batch posted
    /// and verified, L1 gas and bytes per transaction, and the largest backlog.
    E2e(E2eBenchArgs),
    /// Posts a batch with a wrong root on a fresh anvil for each chunk size, proves the fraud,
    /// and reports the proof's L1 gas, calldata and witness bytes and the time to proven.
    Proof(ProofBenchArgs),
    /// Posts, on an anvil that enforces EIP-7825, the batch that makes each kind of fraud proof
    /// as expensive as the inbox's and the codec's bounds allow, proves each, and fails unless
    /// every proof stays under 12,000,000 gas (docs/fraud-proofs.md §7).
    ProofBounds(ProofBoundsArgs),
    /// Runs a fresh devnet and reports the L1 gas of the bridge's calls (deposits, forced
    /// transactions, finalized withdrawals) with the proof sizes of a state of `--accounts`
    /// bridged balances.
    Bridge(BridgeBenchArgs),
    /// Replays hostile clients against a running node (heavy calls, idle and slow
    /// connections, future-nonce squatting, oversized requests) while an honest client
    /// measures its answers; fails unless the honest client was served.
    Abuse(AbuseBenchArgs),
}

#[derive(Debug, Args)]
struct ProofBoundsArgs {
    /// Leaves of the L2 state besides the genesis (random keys): the witness grows with the
    /// tree's depth.
    #[arg(long, default_value_t = 1_000_000)]
    leaves: usize,
    /// Only the cases whose names contain one of these (comma-separated; all by default).
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// The `create-pool-ground` case: a leaf beside every key the chunk touches for each
    /// number of shared leading bits below this (a batcher grinding about 2^bits hashes per
    /// key).
    #[arg(long, default_value_t = 40)]
    ground_bits: u32,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct AbuseBenchArgs {
    /// Base URL of the node's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: url::Url,
    /// Seconds the attacks last.
    #[arg(long = "duration-secs", default_value_t = 30)]
    duration_secs: u64,
    /// Connections kept open sending nothing.
    #[arg(long = "idle-connections", default_value_t = 2_000)]
    idle_connections: usize,
    /// Connections sending their headers one byte every two seconds.
    #[arg(long = "slow-connections", default_value_t = 200)]
    slow_connections: usize,
    /// Clients sending batches of 250 heavy calls back to back.
    #[arg(long = "call-attackers", default_value_t = 2)]
    call_attackers: usize,
    /// Fresh keys each sending nonces 1..=17 (never 0); 4000 of them fill the 50000 slots for
    /// transactions behind a gap.
    #[arg(long = "squat-keys", default_value_t = 4_000)]
    squat_keys: usize,
    /// The honest client's p99 latency must stay under this many milliseconds.
    #[arg(long = "honest-p99-bound-ms", default_value_t = 2_000)]
    honest_p99_bound_ms: u64,
    /// Address the attackers connect from (default on loopback: 127.0.0.2, which the node
    /// limits like any client while the honest client's 127.0.0.1 is exempt).
    #[arg(long = "attacker-ip")]
    attacker_ip: Option<std::net::IpAddr>,
    /// Run these attacks of issue 39 one after the other instead (comma-separated), each with
    /// an honest client on `--honest-ip` and 127.0.0.1: the attackers use 127.0.0.10 and up.
    #[arg(long = "attack", value_delimiter = ',')]
    attacks: Vec<crate::shares_bench::Attack>,
    /// Threads of the `call-slots` attack.
    #[arg(long = "call-threads", default_value_t = 64)]
    call_threads: usize,
    /// Addresses of the `tx-flood` attack.
    #[arg(long = "flood-addresses", default_value_t = 16)]
    flood_addresses: usize,
    /// Addresses of the `connections` attack.
    #[arg(long = "conn-addresses", default_value_t = 80)]
    conn_addresses: usize,
    /// Connections per address of the `connections` attack.
    #[arg(long = "conn-per-address", default_value_t = 240)]
    conn_per_address: usize,
    /// The honest client's address during `--attack` runs.
    #[arg(long = "honest-ip", default_value = "127.0.0.3")]
    honest_ip: std::net::IpAddr,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct TreeBenchArgs {
    /// Leaves in the tree before the blocks.
    #[arg(long, default_value_t = 12_000)]
    leaves: u64,
    /// Blocks of chunks.
    #[arg(long, default_value_t = 20)]
    blocks: usize,
    /// Chunks per block.
    #[arg(long, default_value_t = 16)]
    chunks: usize,
    /// Updates per chunk (a chunk of 64 transfers writes 192 keys).
    #[arg(long, default_value_t = 192)]
    keys: usize,
    /// Threads of the pool (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Largest split level measured (2^level ranges).
    #[arg(long = "max-level", default_value_t = 6)]
    max_level: u32,
    /// Rounds; the fastest of each measurement is kept.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ProofBenchArgs {
    /// Chunk sizes (transactions per chunk) to measure.
    #[arg(long = "chunk-sizes", value_delimiter = ',', default_value = "2,4,8")]
    chunk_sizes: Vec<u32>,
    /// Funded accounts in the L2 state (the witness grows with the tree's depth).
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    /// Seconds between L1 blocks (default: a block per transaction).
    #[arg(long = "l1-block-time")]
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

#[derive(Debug, Args)]
struct E2eBenchArgs {
    /// Transactions fired.
    #[arg(long, default_value_t = 200_000)]
    txs: usize,
    /// Load accounts (funded from the development accounts first, not measured).
    #[arg(long, default_value_t = 4_000)]
    accounts: usize,
    /// Concurrent load workers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Transactions per request to `POST /v1/transactions/batch`.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Cap on the submission rate, tx/s (default: as fast as it goes).
    #[arg(long)]
    rate: Option<f64>,
    /// Transactions: transfers, swaps or mixed.
    #[arg(long, default_value = "transfers")]
    mix: crate::load::Mix,
    /// Seconds between L1 blocks.
    #[arg(long = "l1-block-time", default_value_t = 1)]
    l1_block_time: u64,
    /// Block gas limit of the L1 (default: anvil's, 30,000,000).
    #[arg(long = "l1-gas-limit")]
    l1_gas_limit: Option<u64>,
    /// Seconds to wait, after the load, for its last transaction to be verified.
    #[arg(long = "settle-timeout", default_value_t = 300)]
    settle_timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct BridgeBenchArgs {
    /// Accounts that receive a deposit.
    #[arg(long, default_value_t = 1_000)]
    accounts: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PostBenchArgs {
    /// Transfers to send.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transfers per second.
    #[arg(long, default_value_t = 2_000)]
    rate: u64,
    /// Seconds between L1 blocks.
    #[arg(long = "l1-block-time", default_value_t = 1)]
    l1_block_time: u64,
    /// Where batch data goes: calldata, blobs or auto.
    #[arg(long, default_value = "calldata")]
    da: DaMode,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CodecBenchArgs {
    /// Transactions per mix.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 500)]
    block_size: usize,
    /// Largest batch in bytes (the batcher cuts calldata batches at 120000).
    #[arg(long = "max-bytes", default_value_t = 120_000)]
    max_bytes: usize,
    /// Seed of the workloads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CodecFuzzArgs {
    /// Inputs to try.
    #[arg(long, default_value_t = 1_000_000)]
    iterations: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ExecutorBenchArgs {
    /// Block content: transfers-independent, transfers-one-token, transfers-hot-R (R from 0
    /// to 1), swaps-pools-K, swaps-pools-tx (a pool per transaction), mixed, chain.
    #[arg(long, default_value = "transfers-independent")]
    workload: crate::bench::Workload,
    /// Run the standard set of workloads and print a Markdown table (ignores --workload).
    #[arg(long)]
    suite: bool,
    /// Transactions in all.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 1_000)]
    block_size: usize,
    /// Distinct senders (raised to the block size if lower).
    #[arg(long, default_value_t = 4_000)]
    accounts: usize,
    /// Seed of the workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads of the parallel path (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Key prediction of the parallel path: `operations`, or `sender-only` (every other key
    /// is found at commit; shows what prediction buys).
    #[arg(long, default_value = "operations", value_parser = parse_prediction)]
    prediction: KeyPrediction,
    /// Runs of each path, alternating; the fastest is reported (the machine is noisy).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Run the parallel path block by block, each block's state tree after its execution,
    /// instead of as a pipeline (each block's state tree beside the next one's execution).
    #[arg(long = "block-by-block")]
    block_by_block: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct HistoryBenchArgs {
    /// Transactions in all.
    #[arg(long, default_value_t = 128_000)]
    txs: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 1_000)]
    block_size: usize,
    /// Funded accounts (the state's size).
    #[arg(long, default_value_t = 100_000)]
    accounts: usize,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Passes of each kind, alternating; the fastest is kept.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct StoreBenchArgs {
    /// Transactions admitted, then included.
    #[arg(long, default_value_t = 200_000)]
    txs: usize,
    /// Transactions per admission group commit.
    #[arg(long, default_value_t = 500)]
    group: usize,
    /// Transactions per block.
    #[arg(long = "block-size", default_value_t = 1_300)]
    block_size: usize,
    /// Use a fresh database on the PostgreSQL server of the tests (ROLLUP_TEST_POSTGRES_URL,
    /// else 127.0.0.1:5432) instead of a SQLite file.
    #[arg(long)]
    postgres: bool,
    /// Runs, each on a fresh database.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct LoadBenchArgs {
    /// Base URL of the sequencer's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8547")]
    rpc: url::Url,
    /// Load accounts (derived from the seed, funded from the development accounts).
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    /// Transactions fired, round-robin over the accounts.
    #[arg(long, default_value_t = 5_000)]
    txs: usize,
    /// Concurrent workers, each owning a disjoint set of accounts.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Transactions: transfers, swaps or mixed (70 % transfers, 30 % swaps).
    #[arg(long, default_value = "mixed")]
    mix: crate::load::Mix,
    /// Transactions per request to `POST /v1/transactions/batch` (default: one per request
    /// to `POST /v1/transactions`).
    #[arg(long)]
    batch: Option<usize>,
    /// Cap on the submission rate, in transactions per second (default: as fast as possible).
    #[arg(long)]
    rate: Option<f64>,
    /// Seed of the load accounts and transactions.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seconds to wait after the last submission for every accepted transaction to be included.
    #[arg(long = "inclusion-timeout", default_value_t = 60)]
    inclusion_timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_prediction(s: &str) -> Result<KeyPrediction, String> {
    match s {
        "operations" => Ok(KeyPrediction::Operations),
        "sender-only" => Ok(KeyPrediction::SenderOnly),
        _ => Err(format!("unknown prediction {s:?}: expected operations or sender-only")),
    }
}

/// Parameters every component of one chain must agree on.
#[derive(Debug, Args)]
struct ChainArgs {
    /// L2 chain id.
    #[arg(long = "chain.id", env = "ROLLUP_CHAIN_ID", default_value_t = DEFAULT_CHAIN_ID)]
    chain_id: u64,
    /// Transactions per chunk.
    #[arg(long = "chain.chunk-size", env = "ROLLUP_CHUNK_SIZE", default_value_t = DEFAULT_CHUNK_SIZE)]
    chunk_size: u32,
}

impl ChainArgs {
    fn config(&self) -> Result<ChainConfig> {
        anyhow::ensure!(
            (1..=MAX_CHUNK_SIZE).contains(&self.chunk_size),
            "--chain.chunk-size must be between 1 and {MAX_CHUNK_SIZE} (the largest chunk a fraud proof replays in one L1 \
             transaction, docs/fraud-proofs.md §7)"
        );
        Ok(ChainConfig { chain_id: self.chain_id, chunk_size: self.chunk_size })
    }
}

#[derive(Debug, Args)]
struct DevnetArgs {
    /// Directory of the databases, the anvil state and the deployment record.
    #[arg(long, env = "ROLLUP_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// Use this L1 JSON-RPC instead of starting anvil.
    #[arg(long = "l1-rpc", env = "ROLLUP_L1_RPC")]
    l1_rpc: Option<url::Url>,
    /// Port of the anvil to start.
    #[arg(long = "l1.port", default_value_t = 8545)]
    l1_port: u16,
    /// Address of the L2 HTTP server (REST and JSON-RPC).
    #[arg(long = "http.addr", env = "ROLLUP_HTTP_ADDR", default_value = "127.0.0.1:8547")]
    http: SocketAddr,
    /// Block gas limit of the anvil to start (default: anvil's, 30,000,000). What one post
    /// carries, and so the largest block, follows from it.
    #[arg(long = "l1.gas-limit")]
    l1_gas_limit: Option<u64>,
    /// Milliseconds between L2 blocks.
    #[arg(long = "block-time-ms", default_value_t = 500)]
    block_time_ms: u64,
    /// Milliseconds an idle chain waits before sealing an empty block (0: never).
    #[arg(long = "empty-block-ms", default_value_t = 2_000)]
    empty_block_ms: u64,
    /// Blocks before the head whose states are kept for reads at a block (eth_call,
    /// eth_getProof, … with a block number or hash).
    #[arg(long = "state-history", default_value_t = rollup_sequencer::DEFAULT_STATE_HISTORY)]
    state_history: u64,
    /// Most transactions in one L2 block.
    #[arg(long = "max-block-txs", default_value_t = 10_000)]
    max_block_txs: usize,
    /// Most bytes an L2 block may encode to (default, and at most: what one post carries on
    /// the L1).
    #[arg(long = "max-block-bytes")]
    max_block_bytes: Option<usize>,
    /// Milliseconds between batcher rounds.
    #[arg(long = "batch-interval-ms", default_value_t = 250)]
    batch_interval_ms: u64,
    /// Most batch data in one post, in bytes (less where the L1's gas limit binds first).
    #[arg(long = "max-post-bytes", default_value_t = 120_000)]
    max_post_bytes: usize,
    /// Most posts in flight at once (consecutive nonces of the batcher account).
    #[arg(long = "max-in-flight", default_value_t = 16)]
    max_in_flight: usize,
    #[command(flatten)]
    backlog: BacklogArgs,
    #[command(flatten)]
    http_limits: HttpArgs,
    /// Challenge window of the inbox, in seconds.
    #[arg(long = "challenge-window", default_value_t = 120)]
    challenge_window: u64,
    /// L1 blocks within which the L2 must include an entry of the bridge's queue (deposits,
    /// forced transactions); past it, no post may leave the entry behind, and past twice it
    /// anyone may freeze the inbox. The devnet keeps it short for demonstrations.
    #[arg(long = "inclusion-window", default_value_t = rollup_batcher::l1::DEFAULT_INCLUSION_WINDOW)]
    inclusion_window: u64,
    /// Key that deploys the L1 contracts (default: anvil account 0).
    #[arg(long = "l1.deployer-key", env = "ROLLUP_DEPLOYER_KEY", hide_env_values = true)]
    deployer_key: Option<B256>,
    /// Key of the authorised batcher (default: anvil account 1).
    #[arg(long = "l1.batcher-key", env = "ROLLUP_BATCHER_KEY", hide_env_values = true)]
    batcher_key: Option<B256>,
    /// Where batch data goes: `calldata` (fraud-provable), `blobs` (EIP-4844; not yet
    /// provable: anyone may dispute a blob batch within its window, and it loses, see
    /// docs/fraud-proofs.md §6.7), or `auto` (blobs when cheaper).
    #[arg(long, default_value = "calldata")]
    da: DaMode,
    /// Serve the batcher's status at `/status` and Prometheus metrics at `/metrics` here.
    #[arg(long = "metrics-addr", env = "ROLLUP_BATCHER_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// TESTING ONLY: post one fraudulent batch on purpose (the first that can carry it), to
    /// see the challenger prove it: root-first-chunk, root-middle-chunk, root-last-chunk,
    /// op-transfer, op-swap, op-create-pool, op-add-liquidity, op-remove-liquidity,
    /// op-create-token, forged-signature, replayed-nonce, malformed-chunk, malformed-header,
    /// root-queue-chunk (a chunk holding bridge queue entries), skipped-queue (blocks that
    /// censor the queue), state-root:0x<32 bytes> (this root as the batch's state root).
    #[arg(long)]
    fault: Option<rollup_batcher::fault::Fault>,
    /// Key of the challenger, which sends fraud proofs and receives the rewards (default:
    /// anvil account 2).
    #[arg(long = "l1.challenger-key", env = "ROLLUP_CHALLENGER_KEY", hide_env_values = true)]
    challenger_key: Option<B256>,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
struct SequencerArgs {
    /// Chain database URL: `sqlite://PATH` (created if missing) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(long = "db-url", env = "ROLLUP_DB_URL", default_value = "sqlite://sequencer.sqlite")]
    db_url: String,
    /// Address of the HTTP server (REST and JSON-RPC).
    #[arg(long = "http.addr", env = "ROLLUP_HTTP_ADDR", default_value = "127.0.0.1:8547")]
    http: SocketAddr,
    /// Milliseconds between blocks.
    #[arg(long = "block-time-ms", env = "ROLLUP_BLOCK_TIME_MS", default_value_t = 500)]
    block_time_ms: u64,
    /// Milliseconds an idle chain waits before sealing an empty block, so that the head and
    /// clients' confirmations move on (0: never).
    #[arg(long = "empty-block-ms", env = "ROLLUP_EMPTY_BLOCK_MS", default_value_t = 2_000)]
    empty_block_ms: u64,
    /// Blocks before the head whose states are kept for reads at a block (eth_call,
    /// eth_getProof, … with a block number or hash).
    #[arg(long = "state-history", env = "ROLLUP_STATE_HISTORY", default_value_t = rollup_sequencer::DEFAULT_STATE_HISTORY)]
    state_history: u64,
    /// Threads that execute a block (default: every core but one, which is left to ingest and
    /// the database).
    #[arg(long = "exec-threads", env = "ROLLUP_EXEC_THREADS")]
    exec_threads: Option<usize>,
    /// Most transactions in one block.
    #[arg(long = "max-block-txs", env = "ROLLUP_MAX_BLOCK_TXS", default_value_t = 10_000)]
    max_block_txs: usize,
    /// Most bytes a block may encode to as a batch of its own, so that it fits one L1 post;
    /// a batcher sharing the database lowers it to what the L1 carries.
    #[arg(long = "max-block-bytes", env = "ROLLUP_MAX_BLOCK_BYTES", default_value_t = rollup_sequencer::DEFAULT_MAX_BLOCK_BYTES)]
    max_block_bytes: usize,
    #[command(flatten)]
    backlog: BacklogArgs,
    #[command(flatten)]
    http_limits: HttpArgs,
    /// A state snapshot every this many blocks (and at a clean stop), so that a restart
    /// re-executes only the blocks after the newest one; 0 disables them.
    #[arg(long = "snapshot-interval", env = "ROLLUP_SNAPSHOT_INTERVAL", default_value_t = 100)]
    snapshot_interval: u64,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Backpressure: how far the L2 may run ahead of L1.
#[derive(Debug, Args)]
struct BacklogArgs {
    /// Bytes of sealed blocks not yet on L1 past which submissions are refused (429,
    /// `l1_backlog`) until the batcher catches up; 0: no bound. Applies once a batcher shares
    /// the database.
    #[arg(long = "max-l1-backlog-bytes", env = "ROLLUP_MAX_L1_BACKLOG_BYTES", default_value_t = rollup_sequencer::BacklogLimits::default().max_bytes)]
    max_bytes: u64,
    /// Seconds the oldest sealed block not yet on L1 may wait before submissions are refused;
    /// 0: no bound.
    #[arg(long = "max-l1-backlog-secs", env = "ROLLUP_MAX_L1_BACKLOG_SECS", default_value_t = rollup_sequencer::BacklogLimits::default().max_secs)]
    max_secs: u64,
    /// Nice value of the threads that recover the senders of submissions (Linux): above 0,
    /// block production and settlement take the cores first when more is offered than the
    /// machine settles; 0 keeps admission at the process's priority.
    #[arg(long = "admission-nice", env = "ROLLUP_ADMISSION_NICE", default_value_t = rollup_sequencer::DEFAULT_ADMISSION_NICE, value_parser = clap::value_parser!(i32).range(0..=19))]
    admission_nice: i32,
}

/// Connection and per-client bounds of the HTTP server (docs/api.md §5).
#[derive(Debug, Args)]
struct HttpArgs {
    /// Most connections open at once; one more is answered 503 `too_many_connections`.
    #[arg(long = "http.max-connections", env = "ROLLUP_HTTP_MAX_CONNECTIONS", default_value_t = rollup_sequencer::HttpLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers, and to start one on an open
    /// connection, before the connection is closed.
    #[arg(long = "http.header-timeout-secs", env = "ROLLUP_HTTP_HEADER_TIMEOUT_SECS", default_value_t = rollup_sequencer::HttpLimits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Requests per second per client address (a burst of twice as many); 0: no limit.
    #[arg(long = "http.per-ip-rate", env = "ROLLUP_HTTP_PER_IP_RATE", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_rate)]
    per_ip_rate: u32,
    /// Requests in progress at once per client address; 0: no limit.
    #[arg(long = "http.per-ip-concurrency", env = "ROLLUP_HTTP_PER_IP_CONCURRENCY", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_concurrent)]
    per_ip_concurrent: usize,
    /// Connections open at once per client address; 0: no limit.
    #[arg(long = "http.per-ip-connections", env = "ROLLUP_HTTP_PER_IP_CONNECTIONS", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_connections)]
    per_ip_connections: usize,
    /// Apply the per-address limits to 127.0.0.1 and ::1 too (by default they are exempt: the
    /// devnet's tools, and a reverse proxy on the same host, connect from there; other
    /// loopback addresses such as 127.0.0.2 are limited like any client).
    #[arg(long = "http.limit-loopback", env = "ROLLUP_HTTP_LIMIT_LOOPBACK")]
    limit_loopback: bool,
    /// Transactions submitted per second per client address, whatever requests carry them (a
    /// burst of twice as many; past it `429 rate_limited`); 0: no limit.
    #[arg(long = "http.per-ip-tx-rate", env = "ROLLUP_HTTP_PER_IP_TX_RATE", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_tx_rate)]
    per_ip_tx_rate: u32,
    /// Bytes of transactions submitted per second per client address (a burst of twice as
    /// many); 0: no limit.
    #[arg(long = "http.per-ip-tx-bytes", env = "ROLLUP_HTTP_PER_IP_TX_BYTES", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_tx_bytes)]
    per_ip_tx_bytes: u64,
    /// Work units (about a microsecond of one core each, docs/api.md §5) the JSON-RPC requests
    /// of one client address may use per second (a burst of twice as many; past it
    /// `work_rate_limited`); 0: no limit.
    #[arg(long = "http.per-ip-work", env = "ROLLUP_HTTP_PER_IP_WORK", default_value_t = rollup_sequencer::HttpLimits::default().per_ip_work)]
    per_ip_work: u64,
    /// Work units one JSON-RPC request (a batch as a whole) may use; past it the remaining
    /// items get `request_budget`.
    #[arg(long = "http.request-work", env = "ROLLUP_HTTP_REQUEST_WORK", default_value_t = rollup_sequencer::HttpLimits::default().request_work)]
    request_work: u64,
    /// Reads of the chain served at once (on threads below block production's priority),
    /// handed out fairly between client addresses.
    #[arg(long = "http.query-slots", env = "ROLLUP_HTTP_QUERY_SLOTS", default_value_t = rollup_sequencer::HttpLimits::default().query_slots)]
    query_slots: usize,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` or
    /// `Forwarded` header names the client the per-address limits apply to.
    #[arg(long = "http.trusted-proxies", env = "ROLLUP_HTTP_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<rollup_sequencer::fair::IpNet>,
}

impl HttpArgs {
    fn limits(&self) -> rollup_sequencer::HttpLimits {
        rollup_sequencer::HttpLimits {
            max_connections: self.max_connections.max(1),
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            per_ip_rate: self.per_ip_rate,
            per_ip_concurrent: self.per_ip_concurrent,
            per_ip_connections: self.per_ip_connections,
            limit_loopback: self.limit_loopback,
            per_ip_tx_rate: self.per_ip_tx_rate,
            per_ip_tx_bytes: self.per_ip_tx_bytes,
            per_ip_work: self.per_ip_work,
            request_work: self.request_work.max(1),
            query_slots: self.query_slots.max(1),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

impl BacklogArgs {
    const fn limits(&self) -> rollup_sequencer::BacklogLimits {
        rollup_sequencer::BacklogLimits { max_bytes: self.max_bytes, max_secs: self.max_secs }
    }
}

/// Where a bridge command finds the L2, the L1 and the bridge, and whose key it signs with.
#[derive(Debug, Args)]
struct BridgeEndpointArgs {
    /// The L2 sequencer's HTTP URL.
    #[arg(long = "rpc", env = "ROLLUP_RPC", default_value = "http://127.0.0.1:8547")]
    rpc: String,
    /// L1 JSON-RPC URL.
    #[arg(long = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: url::Url,
    /// The L1 bridge (default: the one attached to the inbox the L2 reports in /v1/status).
    #[arg(long = "bridge", env = "ROLLUP_BRIDGE")]
    bridge: Option<Address>,
    /// Private key of the account that signs.
    #[arg(long = "key", env = "ROLLUP_KEY", hide_env_values = true)]
    key: B256,
}

impl BridgeEndpointArgs {
    fn endpoints(&self) -> crate::bridge::Endpoints {
        crate::bridge::Endpoints {
            l2: self.rpc.trim_end_matches('/').to_owned(),
            l1: self.l1_rpc.clone(),
            bridge: self.bridge,
        }
    }
}

#[derive(Debug, Args)]
struct DepositArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The L2 account credited.
    #[arg(long = "to")]
    to: Address,
    /// Amount in the asset's smallest unit (wei for ether).
    #[arg(long = "amount")]
    amount: U256,
    /// An ERC-20 to deposit instead of ether (the bridge is approved first when needed).
    #[arg(long = "token")]
    token: Option<Address>,
}

#[derive(Debug, Args)]
struct WithdrawArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The bridged L2 token to withdraw (its L1 asset is paid out).
    #[arg(long = "token")]
    token: Address,
    /// The L1 recipient.
    #[arg(long = "to")]
    to: Address,
    /// Amount in the token's smallest unit.
    #[arg(long = "amount")]
    amount: U256,
}

#[derive(Debug, Subcommand)]
enum EscapeCommand {
    /// Freezes the inbox once an entry of the bridge's queue has waited two inclusion windows
    /// (anyone may): the last resort when the operator has stopped.
    Freeze(EscapeArgs),
    /// Pays an account its balance of a bridged token in the frozen state, on L1.
    Balance {
        #[command(flatten)]
        args: EscapeArgs,
        /// The L1 asset (omit for ether).
        #[arg(long = "token", default_value_t = Address::ZERO)]
        token: Address,
        /// The account (the same address on L1 and L2).
        #[arg(long = "owner")]
        owner: Address,
    },
    /// Pays an account its share of a pool in the frozen state, on L1: each side bridged from
    /// L1 in its L1 asset, pro rata of the reserves (a side created on L2 has no L1 asset and
    /// pays nothing). Name each side by its L1 asset (`--token-a`, the zero address for ether)
    /// or by its L2 token address (`--l2-token-a`, for a token created on L2 or known by it).
    Liquidity {
        #[command(flatten)]
        args: EscapeArgs,
        /// One side of the pool, by the L1 asset it was bridged from (zero address: ether).
        #[arg(long = "token-a", required_unless_present = "l2_token_a", conflicts_with = "l2_token_a")]
        token_a: Option<Address>,
        /// One side of the pool, by its L2 token address.
        #[arg(long = "l2-token-a")]
        l2_token_a: Option<Address>,
        /// The other side, by its L1 asset.
        #[arg(long = "token-b", required_unless_present = "l2_token_b", conflicts_with = "l2_token_b")]
        token_b: Option<Address>,
        /// The other side, by its L2 token address.
        #[arg(long = "l2-token-b")]
        l2_token_b: Option<Address>,
        /// The account.
        #[arg(long = "owner")]
        owner: Address,
    },
    /// Pays a withdrawal written on L2 before the freeze, with a proof derived from L1 alone
    /// (no L2 API needed): its leaf holds only the hash of its L1 asset, recipient and amount,
    /// which are given here and checked against the frozen state before anything is sent.
    Withdrawal {
        #[command(flatten)]
        args: EscapeArgs,
        /// The L2 account that withdrew.
        #[arg(long = "sender")]
        sender: Address,
        /// Its withdrawal's index (0 for its first).
        #[arg(long = "index")]
        index: u64,
        /// The L1 asset withdrawn (omit for ether).
        #[arg(long = "token", default_value_t = Address::ZERO)]
        token: Address,
        /// The L1 recipient it named (default: the sender).
        #[arg(long = "recipient")]
        recipient: Option<Address>,
        /// The amount, in the asset's smallest unit.
        #[arg(long = "amount")]
        amount: U256,
    },
    /// Refunds a deposit the frozen state never consumed to the L1 account that made it.
    Refund {
        #[command(flatten)]
        args: EscapeArgs,
        /// The deposit's queue index.
        #[arg(long = "index")]
        index: u64,
    },
}

/// Where the chain settles and how its state is derived for the escape hatch.
#[derive(Debug, Args)]
struct EscapeArgs {
    #[command(flatten)]
    l1: L1Args,
    /// The L1 block the inbox was deployed in (where the derivation from L1 starts).
    #[arg(long = "from-block", env = "ROLLUP_FROM_BLOCK", default_value_t = 0)]
    from_block: u64,
    /// Database of the derivation (a challenger's; it resumes from its snapshots).
    #[arg(long = "db-url", env = "ROLLUP_ESCAPE_DB_URL", default_value = "sqlite://escape.sqlite")]
    db_url: String,
    /// Private key of the L1 account that sends the transaction (anyone may: the payment goes
    /// to the account the claim names).
    #[arg(long = "key", env = "ROLLUP_KEY", hide_env_values = true)]
    key: B256,
    #[command(flatten)]
    chain: ChainArgs,
}

impl EscapeArgs {
    fn config(&self) -> Result<crate::escape::EscapeConfig> {
        Ok(crate::escape::EscapeConfig {
            l1: self.l1.l1_rpc.clone(),
            inbox: self.l1.inbox,
            from_block: self.from_block,
            chain: self.chain.config()?,
            genesis: GenesisSpec::devnet(),
            db_url: self.db_url.clone(),
        })
    }
}

#[derive(Debug, Args)]
struct ForceTxArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The signed L2 transaction, EIP-2718 bytes in hex (what eth_sendRawTransaction takes).
    #[arg(long = "raw")]
    raw: Bytes,
}

#[derive(Debug, Args)]
struct FinalizeWithdrawalArgs {
    #[command(flatten)]
    ends: BridgeEndpointArgs,
    /// The L2 account that withdrew.
    #[arg(long = "sender")]
    sender: Address,
    /// The withdrawal's index among the sender's.
    #[arg(long = "index")]
    index: u64,
    /// Seconds to wait for the batch holding it to be final (0: fail at once if it is not).
    #[arg(long = "wait-secs", default_value_t = 0)]
    wait_secs: u64,
}

#[derive(Debug, Args)]
struct L1Args {
    /// L1 JSON-RPC URL.
    #[arg(long = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: url::Url,
    /// Batch inbox address.
    #[arg(long = "inbox", env = "ROLLUP_INBOX")]
    inbox: Address,
}

#[derive(Debug, Args)]
struct BatcherArgs {
    /// The sequencer's chain database URL (the batcher reads sealed blocks from it).
    #[arg(long = "db-url", env = "ROLLUP_DB_URL", default_value = "sqlite://sequencer.sqlite")]
    db_url: String,
    #[command(flatten)]
    l1: L1Args,
    /// Private key of the authorised batcher account.
    #[arg(long = "key", env = "ROLLUP_BATCHER_KEY", hide_env_values = true)]
    key: B256,
    /// Milliseconds between rounds.
    #[arg(long = "interval-ms", env = "ROLLUP_BATCH_INTERVAL_MS", default_value_t = 1_000)]
    interval_ms: u64,
    /// Most batch data in one post, in bytes (less where the L1's gas limit binds first);
    /// 120,000 keeps a post under the 128 KiB L1 mempools take for one transaction.
    #[arg(long = "max-post-bytes", env = "ROLLUP_MAX_POST_BYTES", default_value_t = 120_000)]
    max_post_bytes: usize,
    /// Most posts in flight at once (consecutive nonces of the batcher account).
    #[arg(long = "max-in-flight", env = "ROLLUP_MAX_IN_FLIGHT", default_value_t = 16)]
    max_in_flight: usize,
    /// Seconds a post may wait unmined before it is signed again with higher fees.
    #[arg(long = "resubmit-after-secs", default_value_t = 60)]
    resubmit_after_secs: u64,
    /// Fee increase of each re-signing, percent (at least 10).
    #[arg(long = "fee-bump-percent", default_value_t = 25)]
    fee_bump_percent: u64,
    /// Highest fee cap the batcher signs, in gwei.
    #[arg(long = "max-fee-gwei", default_value_t = 1_000)]
    max_fee_gwei: u64,
    /// L1 blocks on top of a post before it is no longer checked for reorgs.
    #[arg(long, default_value_t = 6)]
    confirmations: u64,
    /// Where batch data goes: `calldata` (fraud-provable), `blobs` (EIP-4844; not yet
    /// provable: anyone may dispute a blob batch within its window, and it loses, see
    /// docs/fraud-proofs.md §6.7), or `auto` (blobs when cheaper).
    #[arg(long, default_value = "calldata")]
    da: DaMode,
    /// Serve the batcher's status at `/status` and Prometheus metrics at `/metrics` here.
    #[arg(long = "metrics-addr", env = "ROLLUP_BATCHER_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// The first L1 block that can hold an entry of the bridge's queue (its deployment block):
    /// where the queue reader starts.
    #[arg(long = "queue.from-block", env = "ROLLUP_QUEUE_FROM_BLOCK", default_value_t = 0)]
    queue_from_block: u64,
    /// L1 blocks a queue entry must be under before the L2 includes it; keep it well below
    /// the bridge's inclusion window.
    #[arg(long = "queue.confirmations", env = "ROLLUP_QUEUE_CONFIRMATIONS", default_value_t = 2)]
    queue_confirmations: u64,
    /// TESTING ONLY: post one fraudulent batch on purpose (the first that can carry it), to
    /// see the challenger prove it: root-first-chunk, root-middle-chunk, root-last-chunk,
    /// op-transfer, op-swap, op-create-pool, op-add-liquidity, op-remove-liquidity,
    /// op-create-token, forged-signature, replayed-nonce, malformed-chunk, malformed-header,
    /// root-queue-chunk (a chunk holding bridge queue entries), skipped-queue (blocks that
    /// censor the queue), state-root:0x<32 bytes> (this root as the batch's state root).
    #[arg(long)]
    fault: Option<rollup_batcher::fault::Fault>,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
struct ChallengerArgs {
    /// The challenger's own database URL.
    #[arg(long = "db-url", env = "ROLLUP_CHALLENGER_DB_URL", default_value = "sqlite://challenger.sqlite")]
    db_url: String,
    #[command(flatten)]
    l1: L1Args,
    /// L1 block to start from (the inbox's deployment block).
    #[arg(long = "from-block", env = "ROLLUP_FROM_BLOCK", default_value_t = 0)]
    from_block: u64,
    /// Milliseconds between L1 polls.
    #[arg(long = "poll-ms", default_value_t = 1_000)]
    poll_ms: u64,
    /// L1 blocks to wait before reading a block.
    #[arg(long, default_value_t = 0)]
    confirmations: u64,
    /// Beacon API URL serving the blobs of blob posts (`GET /eth/v1/beacon/blobs/{block}`);
    /// default: the L1 RPC URL (anvil serves both).
    #[arg(long = "l1-beacon", env = "ROLLUP_L1_BEACON")]
    l1_beacon: Option<url::Url>,
    /// Key that commits and sends fraud proofs and receives the rewards; without it the
    /// challenger only verifies and reports.
    #[arg(long = "prover-key", env = "ROLLUP_PROVER_KEY", hide_env_values = true)]
    prover_key: Option<B256>,
    /// L1 blocks back that a reorg is taken back in memory (deeper ones restore a snapshot).
    #[arg(long = "undo-blocks", default_value_t = ChallengerConfig::DEFAULT_UNDO_BLOCKS)]
    undo_blocks: u64,
    /// A snapshot of the verified state every this many verified transactions (and at a clean
    /// stop): a restart re-executes at most this many.
    #[arg(long = "snapshot-txs", default_value_t = ChallengerConfig::DEFAULT_SNAPSHOT_TXS)]
    snapshot_txs: u64,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
struct DeployArgs {
    /// L1 JSON-RPC URL.
    #[arg(long = "l1-rpc", env = "ROLLUP_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: url::Url,
    /// Private key that pays for the deployment.
    #[arg(long = "key", env = "ROLLUP_DEPLOYER_KEY", hide_env_values = true)]
    key: B256,
    /// The only account allowed to post batches.
    #[arg(long)]
    batcher: Address,
    /// Challenge window, in seconds.
    #[arg(long = "challenge-window", default_value_t = 604_800)]
    challenge_window: u64,
    /// The stake the batcher must keep in the inbox to post, in wei; a proven fraud slashes it
    /// and pays half to the prover (default: sized by `--proof-gas-price-gwei`).
    #[arg(long = "stake-wei", alias = "bond-wei")]
    stake: Option<U256>,
    /// The L1 gas price, in gwei, at which a prover's reward (half the stake) must still pay for
    /// the commitment and the most expensive proof (12,060,000 gas; docs/fraud-proofs.md §7.4).
    #[arg(long = "proof-gas-price-gwei", default_value_t = 50)]
    proof_gas_price_gwei: u64,
    /// L1 blocks within which the sequencer must include a deposit or forced transaction
    /// queued on the bridge; a post that leaves an older entry behind is refused, and once the
    /// first entry left waiting has waited twice this long (or twice this long since the last
    /// rollback), anyone may freeze the inbox. 3,600 blocks are 12 hours of 12-second blocks,
    /// OP Stack's sequencing window: an outage shorter than a day never stops the chain.
    #[arg(long = "inclusion-window", default_value_t = rollup_batcher::l1::DEPLOY_INCLUSION_WINDOW)]
    inclusion_window: u64,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Logs to stderr, filtered by `RUST_LOG`; one JSON object per line when `ROLLUP_LOG_FORMAT`
/// is `json` (for log shippers), human-readable text otherwise.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_writer(std::io::stderr);
    let _ = if std::env::var("ROLLUP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Cancels `token` on Ctrl-C or SIGTERM.
fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        token.cancel();
    });
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> Result<()> {
        init_tracing();
        match self.command {
            Command::Devnet(args) => run_devnet(*args).await,
            Command::Sequencer(args) => {
                let cancel = CancellationToken::new();
                cancel_on_signal(cancel.clone());
                let defaults = SequencerConfig::default();
                let config = SequencerConfig {
                    listen: args.http,
                    db_url: args.db_url,
                    chain: args.chain.config()?,
                    genesis: GenesisSpec::devnet(),
                    block_time: Duration::from_millis(args.block_time_ms.max(1)),
                    empty_block_interval: Duration::from_millis(args.empty_block_ms),
                    state_history: args.state_history,
                    exec_threads: args.exec_threads.unwrap_or(defaults.exec_threads).max(1),
                    snapshot_interval: args.snapshot_interval,
                    max_block_txs: args.max_block_txs.max(1),
                    max_block_bytes: args.max_block_bytes.max(1),
                    l1_backlog: args.backlog.limits(),
                    admission_nice: args.backlog.admission_nice,
                    http: args.http_limits.limits(),
                    ..defaults
                };
                let handle = rollup_sequencer::start(config, StatusSources::default(), cancel).await?;
                handle.task.await.context("sequencer task")??;
                Ok(())
            }
            Command::Batcher(args) => {
                let cancel = CancellationToken::new();
                cancel_on_signal(cancel.clone());
                let store = rollup_chain_store::Store::open(&args.db_url).await?;
                let config = BatcherConfig {
                    l1_rpc: args.l1.l1_rpc,
                    inbox: args.l1.inbox,
                    key: args.key,
                    chain: args.chain.config()?,
                    interval: Duration::from_millis(args.interval_ms.max(1)),
                    max_blocks: 1_000,
                    max_bytes: args.max_post_bytes,
                    txmgr: TxManagerConfig {
                        resubmit_after: Duration::from_secs(args.resubmit_after_secs),
                        fee_bump_percent: args.fee_bump_percent,
                        max_fee_per_gas: u128::from(args.max_fee_gwei) * 1_000_000_000,
                        confirmations: args.confirmations,
                        max_in_flight: args.max_in_flight.max(1),
                    },
                    da: args.da,
                    fault: args.fault,
                    queue: rollup_batcher::QueueReaderConfig {
                        from_block: args.queue_from_block,
                        confirmations: args.queue_confirmations,
                    },
                };
                let batcher = Batcher::new(config, store).await?;
                if let Some(addr) = args.metrics_addr {
                    crate::batcher_http::serve(addr, batcher.subscribe(), cancel.clone()).await?;
                }
                batcher.run(cancel).await?;
                Ok(())
            }
            Command::Challenger(args) => {
                let cancel = CancellationToken::new();
                cancel_on_signal(cancel.clone());
                let config = ChallengerConfig {
                    l1_rpc: args.l1.l1_rpc,
                    inbox: args.l1.inbox,
                    from_block: args.from_block,
                    db_url: args.db_url,
                    chain: args.chain.config()?,
                    genesis: GenesisSpec::devnet(),
                    poll: Duration::from_millis(args.poll_ms.max(1)),
                    confirmations: args.confirmations,
                    l1_beacon: args.l1_beacon,
                    prover_key: args.prover_key,
                    undo_blocks: args.undo_blocks,
                    snapshot_txs: args.snapshot_txs.max(1),
                };
                Challenger::new(config).await?.run(cancel).await?;
                Ok(())
            }
            Command::Bench(BenchCommand::Executor(args)) => {
                let threads =
                    args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
                let workloads = if args.suite { crate::bench::Workload::suite() } else { vec![args.workload] };
                let json = args.json;
                tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                    let mut reports = Vec::new();
                    for workload in workloads {
                        let bench = crate::bench::ExecutorBench {
                            workload,
                            txs: args.txs,
                            block_size: args.block_size,
                            accounts: args.accounts,
                            seed: args.seed,
                            threads,
                            prediction: args.prediction,
                            runs: args.runs,
                            pipeline: !args.block_by_block,
                        };
                        let report = bench.run()?;
                        #[allow(clippy::print_stdout, clippy::print_stderr)]
                        if json {
                            println!("{}", serde_json::to_string(&report)?);
                        } else if !args.suite {
                            println!("{report}");
                        } else {
                            eprintln!("{report}");
                        }
                        reports.push(report);
                    }
                    #[allow(clippy::print_stdout)]
                    if args.suite && !json {
                        println!("{}", crate::bench::markdown_table(&reports));
                    }
                    Ok(())
                })
                .await??;
                Ok(())
            }
            Command::Bench(BenchCommand::Tree(args)) => {
                let bench = crate::tree_bench::TreeBench {
                    leaves: args.leaves.max(1),
                    blocks: args.blocks,
                    chunks: args.chunks,
                    keys: args.keys,
                    threads: args
                        .threads
                        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
                    levels: args.max_level.min(8),
                    runs: args.runs,
                };
                let report = bench.run()?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::History(args)) => {
                let bench = crate::history_bench::HistoryBench {
                    txs: args.txs,
                    block_size: args.block_size.max(1),
                    accounts: args.accounts,
                    threads: args
                        .threads
                        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
                    runs: args.runs,
                };
                let report = tokio::task::spawn_blocking(move || bench.run()).await??;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::Store(args)) => {
                let bench = crate::store_bench::StoreBench {
                    txs: args.txs,
                    group: args.group,
                    block_size: args.block_size,
                    postgres: args.postgres,
                    runs: args.runs,
                };
                let report = bench.run().await?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::Codec(args)) => {
                let bench = crate::codec_bench::CodecBench {
                    txs: args.txs,
                    block_size: args.block_size,
                    max_bytes: args.max_bytes,
                    seed: args.seed,
                };
                let report = bench.run()?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::CodecFuzz(args)) => {
                let report = crate::codec_bench::CodecFuzz { iterations: args.iterations, seed: args.seed }.run()?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::Bridge(args)) => {
                let report = crate::bridge_bench::BridgeBench { accounts: args.accounts }.run().await?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::Post(args)) => {
                let bench = crate::post_bench::PostBench {
                    txs: args.txs,
                    rate: args.rate,
                    l1_block_time: args.l1_block_time,
                    da: args.da,
                };
                let report = bench.run().await?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::E2e(args)) => {
                let bench = crate::e2e_bench::E2eBench {
                    txs: args.txs,
                    accounts: args.accounts,
                    concurrency: args.concurrency,
                    batch: Some(args.batch.max(1)),
                    rate: args.rate,
                    mix: args.mix,
                    l1_block_time: args.l1_block_time,
                    l1_gas_limit: args.l1_gas_limit,
                    settle_timeout: Duration::from_secs(args.settle_timeout),
                };
                let report = bench.run().await?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::Proof(args)) => {
                let bench = crate::proof_bench::ProofBench {
                    chunk_sizes: args.chunk_sizes,
                    accounts: args.accounts,
                    l1_block_time: args.l1_block_time,
                    devnet: args.devnet,
                    batch_chunks: args.batch_chunks,
                };
                let report = bench.run().await?;
                print_report(&report, args.json)
            }
            Command::Bench(BenchCommand::ProofBounds(args)) => {
                let bench = crate::bounds_bench::BoundsBench {
                    leaves: args.leaves,
                    cases: args.cases,
                    ground_bits: args.ground_bits,
                };
                let report = bench.run().await?;
                print_report(&report, args.json)?;
                let over = report.over_bound();
                anyhow::ensure!(over.is_empty(), "{} proof(s) at or over the bound: {over:?}", over.len());
                Ok(())
            }
            Command::Bench(BenchCommand::Abuse(args)) if !args.attacks.is_empty() => {
                let bench = crate::shares_bench::SharesBench {
                    rpc: args.rpc.clone(),
                    attacks: args.attacks.clone(),
                    duration: Duration::from_secs(args.duration_secs.max(1)),
                    call_threads: args.call_threads,
                    flood_addresses: args.flood_addresses,
                    conn_addresses: args.conn_addresses,
                    conn_per_address: args.conn_per_address,
                    honest_ip: args.honest_ip,
                    honest_bound: Duration::from_millis(args.honest_p99_bound_ms),
                };
                let report = bench.run().await?;
                print_report(&report, args.json)?;
                anyhow::ensure!(report.served(), "the honest client was not served within the bounds");
                Ok(())
            }
            Command::Bench(BenchCommand::Abuse(args)) => {
                let bench = crate::hostile::AbuseBench {
                    rpc: args.rpc.clone(),
                    duration: Duration::from_secs(args.duration_secs.max(1)),
                    idle_connections: args.idle_connections,
                    slow_connections: args.slow_connections,
                    call_attackers: args.call_attackers,
                    squat_keys: args.squat_keys,
                    honest_bound: Duration::from_millis(args.honest_p99_bound_ms),
                    attacker_ip: args.attacker_ip.or_else(|| {
                        let loopback = args.rpc.host_str().is_some_and(|h| h == "127.0.0.1" || h == "localhost");
                        loopback.then_some(std::net::IpAddr::from([127, 0, 0, 2]))
                    }),
                    // Free memory goes back to the system every 5 s.
                    settle: Duration::from_secs(7),
                };
                let report = bench.run().await?;
                print_report(&report, args.json)?;
                anyhow::ensure!(report.honest_served, "the honest client was not served within the bounds");
                Ok(())
            }
            Command::Bench(BenchCommand::Load(args)) => {
                let bench = crate::load::LoadBench {
                    rpc: args.rpc,
                    accounts: args.accounts,
                    txs: args.txs,
                    concurrency: args.concurrency,
                    mix: args.mix,
                    batch: args.batch,
                    rate: args.rate,
                    seed: args.seed,
                    inclusion_timeout: Duration::from_secs(args.inclusion_timeout),
                };
                let report = bench.run().await?;
                print_report(&report, args.json)
            }
            Command::Deploy(args) => {
                let chain = args.chain.config()?;
                let genesis_root = rollup_executor::Executor::genesis(chain, &GenesisSpec::devnet())?.state_root();
                let params = InboxParams {
                    batcher: args.batcher,
                    challenge_window: args.challenge_window,
                    stake: args.stake.unwrap_or_else(|| {
                        rollup_types::chain::stake_for_gas_price(u128::from(args.proof_gas_price_gwei) * 1_000_000_000)
                    }),
                    genesis_state_root: genesis_root,
                    chunk_size: chain.chunk_size,
                    l2_chain_id: chain.chain_id,
                    inclusion_window: args.inclusion_window,
                };
                let deployment = deploy(&args.l1_rpc, &args.key, &params).await?;
                #[allow(clippy::print_stdout)]
                {
                    println!("{}", serde_json::to_string_pretty(&deployment)?);
                }
                Ok(())
            }
            Command::Deposit(args) => {
                let done =
                    crate::bridge::deposit(&args.ends.endpoints(), &args.ends.key, args.to, args.amount, args.token)
                        .await?;
                print_json(&done)
            }
            Command::Withdraw(args) => {
                let done =
                    crate::bridge::withdraw(&args.ends.endpoints(), &args.ends.key, args.token, args.to, args.amount)
                        .await?;
                print_json(&done)
            }
            Command::Escape(command) => run_escape(command).await,
            Command::ForceTx(args) => {
                let done = crate::bridge::force_transaction(&args.ends.endpoints(), &args.ends.key, args.raw).await?;
                print_json(&done)
            }
            Command::FinalizeWithdrawal(args) => {
                let wait = Duration::from_secs(args.wait_secs);
                let done = crate::bridge::finalize_withdrawal(
                    &args.ends.endpoints(),
                    &args.ends.key,
                    args.sender,
                    args.index,
                    wait,
                )
                .await?;
                print_json(&done)
            }
        }
    }
}

async fn run_escape(command: EscapeCommand) -> Result<()> {
    use crate::escape::{FrozenState, freeze, refund_deposit};
    match command {
        EscapeCommand::Freeze(args) => {
            let tx = freeze(&args.config()?, &args.key).await?;
            print_json(&serde_json::json!({ "frozen": true, "l1Tx": tx }))
        }
        EscapeCommand::Balance { args, token, owner } => {
            let config = args.config()?;
            let frozen = FrozenState::derive(&config).await?;
            let (amount, tx) = frozen.escape_balance(&config, &args.key, token, owner).await?;
            print_json(
                &serde_json::json!({ "owner": owner, "l1Token": token, "amount": amount.to_string(), "l1Tx": tx }),
            )
        }
        EscapeCommand::Liquidity { args, token_a, l2_token_a, token_b, l2_token_b, owner } => {
            let side = |l1: Option<Address>, l2: Option<Address>| {
                l2.or_else(|| l1.map(|t| rollup_types::keys::bridged_token(&t)))
                    .ok_or_else(|| anyhow::anyhow!("name each side of the pool by --token-… or --l2-token-…"))
            };
            let (a, b) = (side(token_a, l2_token_a)?, side(token_b, l2_token_b)?);
            let config = args.config()?;
            let frozen = FrozenState::derive(&config).await?;
            let (amount_a, amount_b, tx) = frozen.escape_liquidity(&config, &args.key, a, b, owner).await?;
            print_json(&serde_json::json!({
                "owner": owner,
                "tokenA": a, "l1TokenA": frozen.origin(a), "amountA": amount_a.to_string(),
                "tokenB": b, "l1TokenB": frozen.origin(b), "amountB": amount_b.to_string(),
                "l1Tx": tx,
            }))
        }
        EscapeCommand::Withdrawal { args, sender, index, token, recipient, amount } => {
            let config = args.config()?;
            let frozen = FrozenState::derive(&config).await?;
            let recipient = recipient.unwrap_or(sender);
            let w = rollup_types::bindings::L1Bridge::Withdrawal {
                l2Sender: sender,
                index: U256::from(index),
                l1Token: token,
                recipient,
                amount,
            };
            let tx = frozen.escape_withdrawal(&config, &args.key, w).await?;
            print_json(&serde_json::json!({
                "sender": sender, "index": index, "l1Token": token, "recipient": recipient,
                "amount": amount.to_string(), "l1Tx": tx,
            }))
        }
        EscapeCommand::Refund { args, index } => {
            let tx = refund_deposit(&args.config()?, &args.key, index).await?;
            print_json(&serde_json::json!({ "index": index, "l1Tx": tx }))
        }
    }
}

/// Prints a command's result as JSON on standard output.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}

async fn run_devnet(args: DevnetArgs) -> Result<()> {
    let mut config = DevnetConfig::new(args.data_dir);
    config.l1_rpc = args.l1_rpc;
    config.l1_port = args.l1_port;
    config.listen = args.http;
    config.chain = args.chain.config()?;
    config.l1_gas_limit = args.l1_gas_limit;
    config.block_time = Duration::from_millis(args.block_time_ms.max(1));
    config.empty_block_interval = Duration::from_millis(args.empty_block_ms);
    config.state_history = args.state_history;
    config.max_block_txs = args.max_block_txs.max(1);
    config.max_block_bytes = args.max_block_bytes;
    config.batch_interval = Duration::from_millis(args.batch_interval_ms.max(1));
    config.max_post_bytes = args.max_post_bytes;
    config.max_in_flight = args.max_in_flight.max(1);
    config.l1_backlog = args.backlog.limits();
    config.admission_nice = args.backlog.admission_nice;
    config.http = args.http_limits.limits();
    config.challenge_window = args.challenge_window;
    config.inclusion_window = args.inclusion_window;
    if let Some(key) = args.deployer_key {
        config.deployer_key = key;
    }
    if let Some(key) = args.batcher_key {
        config.batcher_key = key;
    }
    config.da = args.da;
    config.fault = args.fault;
    if let Some(key) = args.challenger_key {
        config.challenger_key = Some(key);
    }
    // A signal while starting stops the start: dropping it kills the anvil it spawned (anvil
    // runs in its own process group, so it would not get the terminal's signal).
    let cancel = CancellationToken::new();
    cancel_on_signal(cancel.clone());
    let devnet = tokio::select! {
        devnet = Devnet::start(config) => devnet?,
        _ = cancel.cancelled() => return Ok(()),
    };
    #[allow(clippy::print_stdout)]
    {
        println!("{}", devnet.banner());
    }
    devnet.run_until(cancel.cancelled_owned()).await
}

/// Prints a report as text or JSON.
#[allow(clippy::print_stdout)]
fn print_report<R: std::fmt::Display + serde::Serialize>(report: &R, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
