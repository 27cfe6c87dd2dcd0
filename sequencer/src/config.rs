//! Everything a sequencer is configured with, and the defaults: the node and the HTTP server
//! both read it, and neither reaches into the other for it.

use crate::{
    fair::{Client, IpNet, canonical, forwarded_client},
    mempool::MempoolLimits,
};
use rollup_types::{ChainConfig, genesis::GenesisSpec};
use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

/// The default number of blocks before the head whose states are kept.
pub const DEFAULT_STATE_HISTORY: u64 = 128;

/// The default bound on a block's encoded size: the batcher's default post (120,000 bytes,
/// under the 128 KiB an L1 mempool takes for one transaction).
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 120_000;

/// The default nice value of the admission threads: at 10 the scheduler gives a busy thread
/// of normal priority about nine times their share of a core.
pub const DEFAULT_ADMISSION_NICE: i32 = 10;

/// The leader's lease on the database (docs/deployment.md): a standby takes over at most
/// this long after the leader stopped renewing it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(2);

/// Configuration of a sequencer.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// Address of the HTTP server (REST and JSON-RPC).
    pub listen: SocketAddr,
    /// Database URL (`sqlite://path`).
    pub db_url: String,
    /// Chain parameters.
    pub chain: ChainConfig,
    /// Genesis.
    pub genesis: GenesisSpec,
    /// Interval between blocks (a block is sealed only when transactions are ready; after a
    /// full block the next one is sealed at once).
    pub block_time: Duration,
    /// On an idle chain, an empty block once this long has passed since the last block, so
    /// that the head (and clients' confirmations) move on; zero: never.
    pub empty_block_interval: Duration,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most bytes a block may encode to as a batch of its own, so that every block fits one
    /// L1 post (docs/batcher.md §2). The batcher records what the L1 carries in the chain
    /// database; the lower of the two applies.
    pub max_block_bytes: usize,
    /// Bounds on what may be sealed but not yet on L1 before submissions are refused
    /// (`l1_backlog`); they apply once a batcher shares the database.
    pub l1_backlog: BacklogLimits,
    /// Mempool limits.
    pub mempool: MempoolLimits,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Threads that execute a block (the parallel executor; 1 still partitions, on one
    /// thread). Default: every core but one.
    pub exec_threads: usize,
    /// A state snapshot every this many blocks, or sooner once 50000 transactions were
    /// sealed since the last one, and at a clean stop; 0 disables them.
    pub snapshot_interval: u64,
    /// The nice value of the threads that recover the senders of submissions (Linux; 0 keeps
    /// them at the process's priority): above 0, admission yields the cores to block
    /// production and settlement when they are all busy.
    pub admission_nice: i32,
    /// Bounds on read-only calls (`eth_call`, `eth_estimateGas`).
    pub calls: CallLimits,
    /// Blocks before the head whose states are kept for reads at a block (docs/api.md
    /// §3.0f); 0 keeps the head's only.
    pub state_history: u64,
    /// Keeps the state's history in the database for reads at any past block, older than
    /// `state_history` (docs/api.md §3.0f): each block writes the values it overwrote.
    pub archive: bool,
    /// Most logs one `eth_getLogs` answer holds; past it the query is refused with a range
    /// that fits (docs/api.md §3.3).
    pub max_logs: usize,
    /// Connection and per-client bounds of the HTTP server.
    pub http: HttpLimits,
    /// How long the leader's lease on the database lasts unless renewed (it renews four times
    /// a lease): a standby on the same database takes over this long after the leader died
    /// (docs/deployment.md).
    pub lease: Duration,
    /// Where other sequencers on the database reach this one's API (a follower forwards
    /// submissions to the leader's); `None`: `http://` and the listening address, the host's
    /// name for an unspecified one (docs/deployment.md).
    pub advertise: Option<String>,
}

/// The default bound on the logs of one `eth_getLogs` answer.
pub const DEFAULT_MAX_LOGS: usize = 10_000;

/// The default interval between empty blocks on an idle chain.
pub const DEFAULT_EMPTY_BLOCK_INTERVAL: Duration = Duration::from_secs(2);

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8547)),
            db_url: "sqlite://sequencer.sqlite".into(),
            chain: ChainConfig::default(),
            genesis: GenesisSpec::devnet(),
            block_time: Duration::from_millis(500),
            empty_block_interval: DEFAULT_EMPTY_BLOCK_INTERVAL,
            max_block_txs: 10_000,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
            l1_backlog: BacklogLimits::default(),
            mempool: MempoolLimits::default(),
            body_limit: 128 * 1024,
            // One core is left to ingest (sender recovery, HTTP) and the database writer,
            // which run during blocks: measured on two cores in BENCHMARKS.md.
            exec_threads: std::thread::available_parallelism().map_or(1, |n| usize::from(n).saturating_sub(1).max(1)),
            snapshot_interval: 100,
            admission_nice: DEFAULT_ADMISSION_NICE,
            calls: CallLimits::default(),
            state_history: DEFAULT_STATE_HISTORY,
            archive: false,
            max_logs: DEFAULT_MAX_LOGS,
            http: HttpLimits::default(),
            lease: DEFAULT_LEASE,
            advertise: None,
        }
    }
}

impl SequencerConfig {
    /// A configuration for tests: ephemeral port, in-memory database, fast blocks.
    pub fn test() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_url: "sqlite::memory:".into(),
            block_time: Duration::from_millis(100),
            empty_block_interval: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// Bounds on what may be sealed but not on L1 before admission is throttled; 0 disables one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BacklogLimits {
    /// Bytes of encoded blocks not yet in a batch mined on L1.
    pub max_bytes: u64,
    /// Seconds the oldest of them has waited.
    pub max_secs: u64,
}

impl Default for BacklogLimits {
    fn default() -> Self {
        // About 90,000 transfers, or half a minute.
        Self { max_bytes: 8 * 1024 * 1024, max_secs: 30 }
    }
}

/// Bounds on read-only calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// Threads that run calls: calls running at once. One client address may hold half of them
    /// (at least one) while others wait.
    pub threads: usize,
    /// Calls running or waiting for a thread at once, over all requests; more are refused
    /// (`busy`), the heaviest client's first.
    pub max_calls: usize,
    /// Calls of one client address waiting for a thread at once; more are refused (`busy`).
    pub waiting_per_client: usize,
    /// Gas the calls of one HTTP request (a batch counts as one) may use together.
    pub request_gas: u64,
    /// Time the calls of one HTTP request may take together; a call is not started after it.
    pub request_time: Duration,
    /// Longest one call may run, counted from when it is asked for; it is then stopped.
    pub call_time: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            max_calls: 64,
            waiting_per_client: 8,
            request_gas: 50_000_000,
            request_time: Duration::from_secs(5),
            call_time: Duration::from_secs(2),
        }
    }
}

/// Connection and per-client bounds of the HTTP server.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and to start one on an open
    /// connection.
    pub header_timeout: Duration,
    /// Requests per second per client address (a burst of twice that); 0: no limit.
    pub per_ip_rate: u32,
    /// Requests in progress at once per client address; 0: no limit.
    pub per_ip_concurrent: usize,
    /// Connections open at once per client address; 0: no limit.
    pub per_ip_connections: usize,
    /// Transactions submitted per second per client address, whatever requests carry them
    /// (a burst of twice that); 0: no limit.
    pub per_ip_tx_rate: u32,
    /// Bytes of transactions submitted per second per client address (a burst of twice
    /// that); 0: no limit.
    pub per_ip_tx_bytes: u64,
    /// Work units (docs/api.md §5: about a microsecond of one core each) the JSON-RPC
    /// requests of one client address may use per second (a burst of twice that); 0: no
    /// limit.
    pub per_ip_work: u64,
    /// Work units one JSON-RPC request (a batch as a whole) may use.
    pub request_work: u64,
    /// Requests that read the chain (JSON-RPC other than the constant-time methods, REST reads)
    /// served at once, on threads below block production's priority, handed out fairly between
    /// client addresses.
    pub query_slots: usize,
    /// Whether the per-address limits apply to 127.0.0.1 and ::1 too (off by default: the
    /// devnet's tools and a reverse proxy on the same host connect from there). Other
    /// loopback addresses (127.0.0.2 …) are limited like any client.
    pub limit_loopback: bool,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client; their own
    /// connections are not limited per address.
    pub trusted_proxies: Vec<IpNet>,
}

impl HttpLimits {
    /// Whether the per-address limits apply to `ip`.
    pub fn limits(&self, ip: IpAddr) -> bool {
        let exempt = match canonical(ip) {
            IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
            IpAddr::V6(v6) => v6 == std::net::Ipv6Addr::LOCALHOST,
        };
        self.limit_loopback || !exempt
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &axum::http::HeaderMap) -> Client {
        let ip = forwarded_client(peer, &self.trusted_proxies, headers);
        Client { ip, limited: self.limits(ip) }
    }

    pub(crate) fn trusts(&self, peer: IpAddr) -> bool {
        let peer = canonical(peer);
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            max_connections: 4_096,
            header_timeout: Duration::from_secs(10),
            per_ip_rate: 1_000,
            per_ip_concurrent: 64,
            per_ip_connections: 256,
            per_ip_tx_rate: 1_000,
            per_ip_tx_bytes: 1 << 20,
            per_ip_work: 250_000,
            request_work: 500_000,
            query_slots: 2 * cores,
            limit_loopback: false,
            trusted_proxies: Vec::new(),
        }
    }
}
