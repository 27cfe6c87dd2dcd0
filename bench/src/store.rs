//! `rollup bench store`: the chain store's write path alone, per transaction: admission's
//! group commits ([`Store::insert_pending`]) and the block commits that include what was
//! admitted ([`Store::commit_block`]), then the blocks read back as the batcher reads them
//! ([`Store::block_bodies`]), on a fresh SQLite file (the devnet's) or a fresh
//! PostgreSQL database. The rows look like the whole path's transfers: a 114-byte raw
//! transaction, 4,000 senders, two logs per receipt (the ledger's `Transfer` and the token's
//! ERC-20 `Transfer`), a chunk root per 64 transactions.
//!
//! SQLite runs on one writer thread inside this process, so the process's CPU time is the
//! database's and the bytes it passes to write calls are the database's (WAL frames and
//! checkpoints); on PostgreSQL the server does the work in its own processes: the wall time
//! says what a commit costs, and the bytes written are the server's WAL (the distance its
//! write position moved), the data files' own writes coming later, at its checkpoints.

use alloy_primitives::{Address, B256, Bytes, keccak256};
use anyhow::{Context, Result, ensure};
use rollup_chain_store::{BlockWrite, IncludedTx, PendingRow, Store, StoredBlock, StoredLog};
use rollup_db::testing::PostgresTestDb;
use rollup_types::{BlockHeader, TxStatus};
use serde::Serialize;
use std::{fmt, time::Instant};

/// Bytes of each raw transaction (an EIP-1559 transfer through the system contract).
const RAW_BYTES: usize = 114;
/// Distinct senders.
const SENDERS: usize = 4_000;
/// Transactions per chunk (the devnet's).
const CHUNK_TXS: usize = 64;
/// Blocks the batcher reads at once.
const READ_PAGE: u64 = 16;

/// What to measure.
#[derive(Clone, Debug)]
pub struct StoreBench {
    /// Transactions admitted, then included.
    pub txs: usize,
    /// Transactions per admission group commit.
    pub group: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// PostgreSQL server to create a fresh database on, instead of a SQLite file.
    pub postgres: bool,
    /// Runs, each on a fresh database; the fastest of each phase is reported.
    pub runs: usize,
    /// Blocks also write the state's history (`--state.archive`): a transfer's four keys (the
    /// sender's nonce, ether and token balance, the recipient's token balance) and the block's
    /// fee state.
    pub archive: bool,
}

/// One phase of one run.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PhaseCost {
    /// Wall-clock microseconds per transaction.
    pub wall_us: f64,
    /// This process's CPU microseconds per transaction (SQLite: the database's work).
    pub cpu_us: f64,
    /// Bytes written per transaction: on SQLite those this process passed to write calls
    /// (the WAL and checkpoints), on PostgreSQL the server's WAL.
    pub written_bytes: f64,
}

/// What the runs measured.
#[derive(Clone, Debug, Serialize)]
pub struct StoreReport {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether blocks wrote the state's history too.
    pub archive: bool,
    /// Transactions per run.
    pub txs: usize,
    /// Transactions per admission group commit.
    pub group: usize,
    /// Transactions per block.
    pub block_size: usize,
    /// Admission (`insert_pending`), every run in order.
    pub admission: Vec<PhaseCost>,
    /// Inclusion (`commit_block`), every run in order.
    pub inclusion: Vec<PhaseCost>,
    /// Reading the blocks back as the batcher does (`block_bodies`, 16 blocks a read) through
    /// another opening of the store (from the database, as a batcher in a process of its own
    /// reads them), every run in order.
    pub reading: Vec<PhaseCost>,
}

impl StoreReport {
    fn fastest(phase: &[PhaseCost]) -> PhaseCost {
        phase.iter().copied().min_by(|a, b| a.wall_us.total_cmp(&b.wall_us)).unwrap_or_default()
    }
}

impl fmt::Display for StoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "chain store on {}: {} transactions, admitted in group commits of {}, included in blocks of {}{}",
            self.backend,
            self.txs,
            self.group,
            self.block_size,
            if self.archive { ", with the state's history" } else { "" }
        )?;
        for (name, phase) in
            [("admission", &self.admission), ("inclusion", &self.inclusion), ("reading", &self.reading)]
        {
            let runs: Vec<String> = phase.iter().map(|p| format!("{:.2}", p.wall_us)).collect();
            let best = Self::fastest(phase);
            writeln!(
                f,
                "  {name:<10} {:>6.2} us/tx wall, {:>6.2} us/tx CPU, {:>6.0} bytes/tx written (fastest of runs: {} us/tx)",
                best.wall_us,
                best.cpu_us,
                best.written_bytes,
                runs.join(" / ")
            )?;
        }
        let written = Self::fastest(&self.admission).written_bytes + Self::fastest(&self.inclusion).written_bytes;
        writeln!(f, "  written    {written:>6.0} bytes/tx in all, admission and inclusion")?;
        Ok(())
    }
}

/// The process's CPU seconds and the bytes it has passed to write calls so far.
fn counters() -> (f64, f64) {
    let written = std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| io.lines().find_map(|l| l.strip_prefix("wchar:").and_then(|v| v.trim().parse::<f64>().ok())))
        .unwrap_or(0.0);
    (crate::load::process_cpu_secs(), written)
}

/// How far the WAL of the PostgreSQL server at `url` has come, in bytes.
async fn wal_position(url: &str) -> Result<f64> {
    use rollup_db::sqlx::{Connection, Row};
    let mut conn = rollup_db::sqlx::AnyConnection::connect(url).await?;
    let row = rollup_db::sqlx::query("SELECT CAST(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS BIGINT) AS at")
        .fetch_one(&mut conn)
        .await?;
    let at: i64 = row.try_get("at")?;
    conn.close().await?;
    Ok(at as f64)
}

/// Times `work` over `txs` transactions; on PostgreSQL (`postgres`: the database's URL) the
/// bytes written are the server's WAL.
async fn measure<F: std::future::Future<Output = Result<()>>>(
    txs: usize,
    postgres: Option<&str>,
    work: F,
) -> Result<PhaseCost> {
    let wal = match postgres {
        Some(url) => Some(wal_position(url).await?),
        None => None,
    };
    let (cpu, written) = counters();
    let started = Instant::now();
    work.await?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu_after, mut written_after) = counters();
    let mut written = written;
    if let (Some(url), Some(before)) = (postgres, wal) {
        written = before;
        written_after = wal_position(url).await?;
    }
    let per_tx = |v: f64| v / txs as f64;
    Ok(PhaseCost {
        wall_us: per_tx(wall * 1e6),
        cpu_us: per_tx((cpu_after - cpu) * 1e6),
        written_bytes: per_tx(written_after - written),
    })
}

/// The `i`-th admitted transaction.
fn pending_row(i: usize) -> PendingRow {
    let seed = keccak256((i as u64).to_be_bytes());
    let raw: Vec<u8> = seed.iter().cycle().take(RAW_BYTES).copied().collect();
    PendingRow {
        hash: keccak256(&raw),
        raw: Bytes::from(raw),
        sender: Address::from_word(keccak256(((i % SENDERS) as u64).to_le_bytes())),
        nonce: (i / SENDERS) as u64,
        seq: i as u64,
        received_at: 1_700_000_000_000 + i as u64 / 10,
    }
}

/// A transfer's receipt for `row`: the ledger's event at the system contract and the token's.
/// A block to commit: its header, its transactions, its state-history rows.
type BenchBlock = (StoredBlock, Vec<IncludedTx>, Vec<(B256, B256)>);

/// The state-history rows of a block of `txs` transfers: what each changed, with plausible
/// old values (a nonce, balances of 9 to 12 significant bytes), and the block's fee state.
fn history_of(txs: &[PendingRow]) -> Vec<(B256, B256)> {
    let mut rows = vec![(B256::repeat_byte(0xfe), B256::left_padding_from(&[7; 16]))];
    for row in txs {
        let key = |k: u8| B256::from(keccak256([row.hash.as_slice(), &[k]].concat()));
        rows.push((key(0), B256::left_padding_from(&row.nonce.to_be_bytes())));
        rows.push((key(1), B256::left_padding_from(&[0x56; 12])));
        rows.push((key(2), B256::left_padding_from(&[0x4c; 9])));
        rows.push((key(3), B256::left_padding_from(&[0x11; 10])));
    }
    rows
}

fn included(row: &PendingRow) -> IncludedTx {
    let to = B256::from(keccak256(row.hash));
    let amount = Bytes::from(B256::with_last_byte(1).to_vec());
    let from = B256::left_padding_from(row.sender.as_slice());
    IncludedTx {
        origin: rollup_chain_store::TxOrigin::Pool,
        hash: row.hash,
        raw: row.raw.clone(),
        outcome: TxStatus::Success,
        gas_used: 48_000,
        output: Bytes::from(B256::with_last_byte(1).to_vec()),
        logs: vec![
            StoredLog {
                address: rollup_types::SYSTEM_CONTRACT,
                topics: vec![B256::repeat_byte(0xdd), B256::repeat_byte(0x01), from, to],
                data: amount.clone(),
            },
            StoredLog {
                address: Address::repeat_byte(0x01),
                topics: vec![B256::repeat_byte(0xdd), from, to],
                data: amount,
            },
        ],
    }
}

impl StoreBench {
    /// Runs every pass and reports them.
    pub async fn run(&self) -> Result<StoreReport> {
        ensure!(
            self.txs > 0 && self.group > 0 && self.block_size > 0,
            "--txs, --group and --block-size must be positive"
        );
        let rows: Vec<PendingRow> = (0..self.txs).map(pending_row).collect();
        let mut admission = Vec::new();
        let mut inclusion = Vec::new();
        let mut reading = Vec::new();
        for _ in 0..self.runs.max(1) {
            let (a, i, r) = if self.postgres {
                let db = PostgresTestDb::create("bench_store")
                    .await
                    .context("no PostgreSQL answers (ROLLUP_TEST_POSTGRES_URL or 127.0.0.1:5432)")?;
                let costs = self.pass(db.url(), &rows).await;
                db.drop_database().await?;
                costs?
            } else {
                let dir = tempfile::tempdir()?;
                self.pass(&format!("sqlite://{}", dir.path().join("chain.sqlite").display()), &rows).await?
            };
            admission.push(a);
            inclusion.push(i);
            reading.push(r);
        }
        Ok(StoreReport {
            backend: if self.postgres { "postgres" } else { "sqlite" },
            archive: self.archive,
            txs: self.txs,
            group: self.group,
            block_size: self.block_size,
            admission,
            inclusion,
            reading,
        })
    }

    /// One pass on the fresh database at `url`.
    async fn pass(&self, url: &str, rows: &[PendingRow]) -> Result<(PhaseCost, PhaseCost, PhaseCost)> {
        let store = Store::open(url).await?;
        let postgres = self.postgres.then_some(url);
        let admission = measure(rows.len(), postgres, async {
            for group in rows.chunks(self.group) {
                store.insert_pending(group).await?;
            }
            Ok(())
        })
        .await?;
        // Receipts are built before the clock starts: the sequencer has them from execution.
        let blocks: Vec<BenchBlock> = rows
            .chunks(self.block_size)
            .enumerate()
            .map(|(number, txs)| {
                let header =
                    BlockHeader { number: number as u64 + 1, timestamp: number as u64, ..BlockHeader::default() };
                let block = StoredBlock {
                    hash: header.hash(),
                    header,
                    chunk_roots: vec![B256::repeat_byte(7); txs.len().div_ceil(CHUNK_TXS)],
                    tx_count: txs.len() as u64,
                    batch_bytes: 0,
                    queue_txs: 0,
                    closing_txs: 0,
                };
                let history = if self.archive { history_of(txs) } else { Vec::new() };
                (block, txs.iter().map(included).collect(), history)
            })
            .collect();
        if self.archive {
            store.start_history(0).await?;
        }
        let inclusion = measure(rows.len(), postgres, async {
            for (block, txs, history) in &blocks {
                let write =
                    BlockWrite { history: self.archive.then_some(&history[..]), ..BlockWrite::new(block, txs, &[]) };
                store.commit_block(&write).await?;
            }
            Ok(())
        })
        .await?;
        // Read through a new opening: from the database, not what this one holds of the
        // blocks it committed (the batcher of a split deployment's reads).
        store.close().await;
        let store = Store::open(url).await?;
        let last = blocks.len() as u64;
        let reading = measure(rows.len(), postgres, async {
            let mut read = 0;
            for first in (1..=last).step_by(READ_PAGE as usize) {
                let bodies = store.block_bodies(first, (first + READ_PAGE - 1).min(last)).await?;
                read += bodies.iter().map(|(_, txs)| txs.len()).sum::<usize>();
            }
            ensure!(read == rows.len(), "read {read} transactions back of {}", rows.len());
            Ok(())
        })
        .await?;
        store.close().await;
        Ok((admission, inclusion, reading))
    }
}

/// The arguments of `rollup bench store`.
#[derive(Debug, clap::Args)]
pub struct Args {
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
    /// Blocks also write the state's history (`--state.archive`), four keys a transfer.
    #[arg(long = "state.archive")]
    archive: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Runs the bench and prints its report.
    pub async fn run(self) -> anyhow::Result<()> {
        let args = self;
        let bench = StoreBench {
            txs: args.txs,
            group: args.group,
            block_size: args.block_size,
            postgres: args.postgres,
            runs: args.runs,
            archive: args.archive,
        };
        let report = bench.run().await?;
        crate::report::print(&report, args.json)
    }
}
