//! Every measurement of the rollup, one module per `rollup bench` command: the executor
//! ([`executor`], with the workloads the others share), the state tree ([`tree`]), kept
//! history ([`history`]), the chain store ([`store`]), the batch codec ([`codec`]), posting
//! ([`post`]), the whole path ([`e2e`]), fraud proofs ([`proof`], [`bounds`]), the bridge
//! ([`bridge`]), the load generator ([`load`]), hostile clients ([`abuse`], [`shares`]) and spam
//! ([`spam`]).
//! BENCHMARKS.md holds their latest figures with the command and the machine.

pub mod abuse;
pub mod bounds;
pub mod bridge;
pub mod codec;
pub mod e2e;
pub mod executor;
pub mod history;
mod hostile;
pub mod kzg;
pub mod load;
pub mod post;
pub mod proof;
mod report;
pub mod shares;
pub mod spam;
pub mod stages;
pub mod store;
pub mod tree;

/// `rollup bench`: one command per bench.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Executes a generated workload block by block and reports throughput and where the
    /// time goes.
    Executor(executor::Args),
    /// Applies chunks of updates to a state tree with its shards cut into 1, 2, 4 … ranges
    /// on a thread pool, and reports each against one thread and against independent copies.
    Tree(tree::Args),
    /// Runs independent transfers with and without the executor recording what each block
    /// overwrites, then reads at the oldest kept block and builds and moves a state-proof
    /// tree between blocks: what keeping recent states costs.
    History(history::Args),
    /// Admits transactions into the chain store in group commits and includes them in block
    /// commits, on a fresh SQLite file or PostgreSQL database, and reports what each costs
    /// per transaction: the database's share of the whole path.
    Store(store::Args),
    /// Fires signed transactions at a running sequencer's HTTP API and reports accepted and
    /// included throughput and inclusion latency.
    Load(load::Args),
    /// Encodes the same blocks with the batch codec, zstd and brotli, and reports bytes and L1
    /// gas per transaction.
    Codec(codec::Args),
    /// Feeds random and mutated inputs to the batch decoder and checks it never panics and
    /// that what it accepts re-encodes to the same transactions.
    CodecFuzz(codec::FuzzArgs),
    /// Runs a devnet in a temporary directory, sends transfers, and reports the L1 bytes and
    /// gas of posting per L2 transaction and the time from a sealed block to its batch on L1.
    Post(post::Args),
    /// Runs a fresh devnet, fires transfers at it, and reports the whole path: included,
    /// posted and verified-from-L1 throughput, the lag of each transaction to its batch posted
    /// and verified, L1 gas and bytes per transaction, and the largest backlog.
    E2e(e2e::Args),
    /// Posts a batch with a wrong root on a fresh anvil for each chunk size, proves the fraud,
    /// and reports the proof's L1 gas, calldata and witness bytes and the time to proven.
    Proof(proof::Args),
    /// Posts, on an anvil that enforces EIP-7825, the batch that makes each kind of fraud proof
    /// as expensive as the inbox's and the codec's bounds allow, proves each, and fails unless
    /// every proof stays under 15,000,000 gas (docs/fraud-proofs.md §7).
    ProofBounds(bounds::Args),
    /// Runs a fresh devnet and reports the L1 gas of the bridge's calls (deposits, forced
    /// transactions, finalized withdrawals) with the proof sizes of a state of `--accounts`
    /// bridged balances.
    Bridge(bridge::Args),
    /// Replays hostile clients against a running node (heavy calls, idle and slow
    /// connections, future-nonce squatting, oversized requests) while an honest client
    /// measures its answers; fails unless the honest client was served.
    Abuse(abuse::Args),
    /// Against a running node, a funded key sends `--txs` zero-value transfers as a spammer
    /// would while keys without ether try one each and an honest account keeps sending:
    /// reports what the spam cost its sender (docs/fees.md).
    Spam(spam::Args),
    /// Times the KZG work of one blob post on one core: the batcher's commitment and blob
    /// proof, the challenger's check of the post's hint, and EIP-7594's cell proofs.
    Kzg(kzg::Args),
}

impl BenchCommand {
    /// Runs the bench and prints its report (text, or JSON with `--json`).
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Executor(args) => args.run().await,
            Self::Tree(args) => args.run().await,
            Self::History(args) => args.run().await,
            Self::Store(args) => args.run().await,
            Self::Load(args) => args.run().await,
            Self::Codec(args) => args.run().await,
            Self::CodecFuzz(args) => args.run(),
            Self::Post(args) => args.run().await,
            Self::E2e(args) => args.run().await,
            Self::Proof(args) => args.run().await,
            Self::ProofBounds(args) => args.run().await,
            Self::Bridge(args) => args.run().await,
            Self::Abuse(args) => args.run().await,
            Self::Spam(args) => args.run().await,
            Self::Kzg(args) => args.run().await,
        }
    }
}
