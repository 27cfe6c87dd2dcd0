//! `rollup sequencer`: the HTTP API and block production, and the flag groups it shares with
//! the devnet (blocks, backpressure, the HTTP server's bounds).

use super::{ChainArgs, cancel_on_signal};
use anyhow::{Context, Result};
use clap::Args;
use rollup_sequencer::{BacklogLimits, HttpLimits, SequencerConfig, StatusSources, fair::IpNet};
use std::{net::SocketAddr, time::Duration};

/// Runs the sequencer (HTTP API and block production).
#[derive(Debug, Args)]
pub(crate) struct SequencerArgs {
    /// Chain database URL: `sqlite://PATH` (created if missing) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(long = "db.url", alias = "db-url", env = "ROLLUP_DB_URL", default_value = "sqlite://sequencer.sqlite")]
    db_url: String,
    /// Address of the HTTP server (REST and JSON-RPC).
    #[arg(long = "http.addr", env = "ROLLUP_HTTP_ADDR", default_value = "127.0.0.1:8547")]
    http: SocketAddr,
    #[command(flatten)]
    blocks: BlockArgs,
    /// Threads that execute a block (default: every core but one, which is left to ingest and
    /// the database).
    #[arg(long = "exec.threads", alias = "exec-threads", env = "ROLLUP_EXEC_THREADS")]
    exec_threads: Option<usize>,
    /// A state snapshot every this many blocks (and at a clean stop), so that a restart
    /// re-executes only the blocks after the newest one; 0 disables them.
    #[arg(
        long = "state.snapshot-interval",
        alias = "snapshot-interval",
        env = "ROLLUP_SNAPSHOT_INTERVAL",
        default_value_t = 100
    )]
    snapshot_interval: u64,
    /// Milliseconds the leader's lease on the database lasts unless renewed. Another
    /// `rollup sequencer` on the same database stands by and takes over this long after the
    /// leader stopped renewing it (docs/deployment.md).
    #[arg(long = "lease.ms", env = "ROLLUP_LEASE_MS", default_value_t = rollup_sequencer::DEFAULT_LEASE.as_millis() as u64)]
    lease_ms: u64,
    /// The URL other sequencers on the same database reach this one's API at: a follower
    /// forwards submissions to the leader's (default: `http://` and `--http.addr`, the host's
    /// name for 0.0.0.0).
    #[arg(long = "http.advertise", env = "ROLLUP_HTTP_ADVERTISE")]
    advertise: Option<String>,
    #[command(flatten)]
    backlog: BacklogArgs,
    #[command(flatten)]
    http_limits: HttpArgs,
    #[command(flatten)]
    chain: ChainArgs,
}

impl SequencerArgs {
    pub(crate) fn into_config(self) -> Result<SequencerConfig> {
        let defaults = SequencerConfig::default();
        Ok(SequencerConfig {
            listen: self.http,
            db_url: self.db_url,
            chain: self.chain.config()?,
            genesis: self.chain.genesis()?,
            block_time: self.blocks.block_time(),
            empty_block_interval: self.blocks.empty_block_interval(),
            state_history: self.blocks.state_history,
            archive: self.blocks.archive.unwrap_or(false),
            exec_threads: self.exec_threads.unwrap_or(defaults.exec_threads).max(1),
            snapshot_interval: self.snapshot_interval,
            max_block_txs: self.blocks.max_txs(),
            max_block_bytes: self.blocks.max_bytes.unwrap_or(rollup_sequencer::DEFAULT_MAX_BLOCK_BYTES).max(1),
            l1_backlog: self.backlog.limits(),
            admission_nice: self.backlog.admission_nice,
            http: self.http_limits.into_limits(),
            lease: Duration::from_millis(self.lease_ms.max(100)),
            advertise: self.advertise,
            ..defaults
        })
    }

    pub(crate) async fn run(self) -> Result<()> {
        let config = self.into_config()?;
        let handle = match rollup_sequencer::start(config, StatusSources::default(), cancel_on_signal()).await {
            // Asked to stop while standing by.
            Err(rollup_sequencer::SequencerError::Stopped) => return Ok(()),
            started => started?,
        };
        handle.task.await.context("sequencer task")??;
        Ok(())
    }
}

/// How blocks are produced and how many past states are kept.
#[derive(Debug, Args)]
pub(crate) struct BlockArgs {
    /// Milliseconds between blocks.
    #[arg(long = "block.time-ms", alias = "block-time-ms", env = "ROLLUP_BLOCK_TIME_MS", default_value_t = 500)]
    time_ms: u64,
    /// Milliseconds an idle chain waits before sealing an empty block, so that the head and
    /// clients' confirmations move on (0: never).
    #[arg(long = "block.empty-ms", alias = "empty-block-ms", env = "ROLLUP_EMPTY_BLOCK_MS", default_value_t = 2_000)]
    empty_ms: u64,
    /// Most transactions in one block.
    #[arg(long = "block.max-txs", alias = "max-block-txs", env = "ROLLUP_MAX_BLOCK_TXS", default_value_t = 10_000)]
    max_txs: usize,
    /// Most bytes a block may encode to as a batch of its own, so that it fits one L1 post
    /// (default: 120,000 for the sequencer; the devnet's, and a batcher sharing the
    /// database, lower it to what one post carries on the L1).
    #[arg(long = "block.max-bytes", alias = "max-block-bytes", env = "ROLLUP_MAX_BLOCK_BYTES")]
    pub(crate) max_bytes: Option<usize>,
    /// Blocks before the head whose states are kept for reads at a block (eth_call,
    /// eth_getProof, … with a block number or hash).
    #[arg(
        long = "state.history",
        alias = "state-history",
        env = "ROLLUP_STATE_HISTORY",
        default_value_t = rollup_sequencer::DEFAULT_STATE_HISTORY
    )]
    pub(crate) state_history: u64,
    /// Keeps the state's history in the database for reads at any past block (eth_call,
    /// eth_getBalance, … at a block older than --state.history; one row a changed key a
    /// block). Default: off for `rollup sequencer`, on for `rollup devnet`.
    #[arg(long = "state.archive", env = "ROLLUP_STATE_ARCHIVE", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) archive: Option<bool>,
}

impl BlockArgs {
    pub(crate) fn block_time(&self) -> Duration {
        Duration::from_millis(self.time_ms.max(1))
    }

    pub(crate) const fn empty_block_interval(&self) -> Duration {
        Duration::from_millis(self.empty_ms)
    }

    pub(crate) fn max_txs(&self) -> usize {
        self.max_txs.max(1)
    }
}

/// Backpressure: how far the L2 may run ahead of L1.
#[derive(Debug, Args)]
pub(crate) struct BacklogArgs {
    /// Bytes of sealed blocks not yet on L1 past which submissions are refused (429,
    /// `l1_backlog`) until the batcher catches up; 0: no bound. Applies once a batcher shares
    /// the database.
    #[arg(
        long = "backlog.max-bytes",
        alias = "max-l1-backlog-bytes",
        env = "ROLLUP_MAX_L1_BACKLOG_BYTES",
        default_value_t = BacklogLimits::default().max_bytes
    )]
    backlog_max_bytes: u64,
    /// Seconds the oldest sealed block not yet on L1 may wait before submissions are refused;
    /// 0: no bound.
    #[arg(
        long = "backlog.max-secs",
        alias = "max-l1-backlog-secs",
        env = "ROLLUP_MAX_L1_BACKLOG_SECS",
        default_value_t = BacklogLimits::default().max_secs
    )]
    backlog_max_secs: u64,
    /// Nice value of the threads that recover the senders of submissions (Linux): above 0,
    /// block production and settlement take the cores first when more is offered than the
    /// machine settles; 0 keeps admission at the process's priority.
    #[arg(
        long = "admission.nice",
        alias = "admission-nice",
        env = "ROLLUP_ADMISSION_NICE",
        default_value_t = rollup_sequencer::DEFAULT_ADMISSION_NICE,
        value_parser = clap::value_parser!(i32).range(0..=19)
    )]
    pub(crate) admission_nice: i32,
}

impl BacklogArgs {
    pub(crate) const fn limits(&self) -> BacklogLimits {
        BacklogLimits { max_bytes: self.backlog_max_bytes, max_secs: self.backlog_max_secs }
    }
}

/// Connection and per-client bounds of the HTTP server (docs/api.md §5).
#[derive(Debug, Args)]
pub(crate) struct HttpArgs {
    /// Most connections open at once; one more is answered 503 `too_many_connections`.
    #[arg(long = "http.max-connections", env = "ROLLUP_HTTP_MAX_CONNECTIONS", default_value_t = HttpLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a request's headers, and to start one on an open
    /// connection, before the connection is closed.
    #[arg(long = "http.header-timeout-secs", env = "ROLLUP_HTTP_HEADER_TIMEOUT_SECS", default_value_t = HttpLimits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Requests per second per client address (a burst of twice as many); 0: no limit.
    #[arg(long = "http.per-ip-rate", env = "ROLLUP_HTTP_PER_IP_RATE", default_value_t = HttpLimits::default().per_ip_rate)]
    per_ip_rate: u32,
    /// Requests in progress at once per client address; 0: no limit.
    #[arg(long = "http.per-ip-concurrency", env = "ROLLUP_HTTP_PER_IP_CONCURRENCY", default_value_t = HttpLimits::default().per_ip_concurrent)]
    per_ip_concurrent: usize,
    /// Connections open at once per client address; 0: no limit.
    #[arg(long = "http.per-ip-connections", env = "ROLLUP_HTTP_PER_IP_CONNECTIONS", default_value_t = HttpLimits::default().per_ip_connections)]
    per_ip_connections: usize,
    /// Apply the per-address limits to 127.0.0.1 and ::1 too (by default they are exempt: the
    /// devnet's tools, and a reverse proxy on the same host, connect from there; other
    /// loopback addresses such as 127.0.0.2 are limited like any client).
    #[arg(long = "http.limit-loopback", env = "ROLLUP_HTTP_LIMIT_LOOPBACK")]
    limit_loopback: bool,
    /// Transactions submitted per second per client address, whatever requests carry them (a
    /// burst of twice as many; past it `429 rate_limited`); 0: no limit.
    #[arg(long = "http.per-ip-tx-rate", env = "ROLLUP_HTTP_PER_IP_TX_RATE", default_value_t = HttpLimits::default().per_ip_tx_rate)]
    per_ip_tx_rate: u32,
    /// Bytes of transactions submitted per second per client address (a burst of twice as
    /// many); 0: no limit.
    #[arg(long = "http.per-ip-tx-bytes", env = "ROLLUP_HTTP_PER_IP_TX_BYTES", default_value_t = HttpLimits::default().per_ip_tx_bytes)]
    per_ip_tx_bytes: u64,
    /// Work units (about a microsecond of one core each, docs/api.md §5) the JSON-RPC requests
    /// of one client address may use per second (a burst of twice as many; past it
    /// `work_rate_limited`); 0: no limit.
    #[arg(long = "http.per-ip-work", env = "ROLLUP_HTTP_PER_IP_WORK", default_value_t = HttpLimits::default().per_ip_work)]
    per_ip_work: u64,
    /// Work units one JSON-RPC request (a batch as a whole) may use; past it the remaining
    /// items get `request_budget`.
    #[arg(long = "http.request-work", env = "ROLLUP_HTTP_REQUEST_WORK", default_value_t = HttpLimits::default().request_work)]
    request_work: u64,
    /// Reads of the chain served at once (on threads below block production's priority),
    /// handed out fairly between client addresses.
    #[arg(long = "http.query-slots", env = "ROLLUP_HTTP_QUERY_SLOTS", default_value_t = HttpLimits::default().query_slots)]
    query_slots: usize,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` or
    /// `Forwarded` header names the client the per-address limits apply to.
    #[arg(long = "http.trusted-proxies", env = "ROLLUP_HTTP_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<IpNet>,
}

impl HttpArgs {
    pub(crate) fn into_limits(self) -> HttpLimits {
        HttpLimits {
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
            trusted_proxies: self.trusted_proxies,
        }
    }
}
