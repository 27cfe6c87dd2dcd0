//! The databases of the rollup: SQLite by default, PostgreSQL when the URL says
//! `postgres://`. Both run the same migrations and the same statements (sqlx's `Any`
//! driver), written in the common subset: `$n` placeholders, `BIGINT`, `BYTEA`, `TEXT`,
//! `ON CONFLICT … DO UPDATE`, no booleans, no `NUMERIC` results.
//!
//! Durability: SQLite runs in WAL mode with `synchronous = NORMAL`, so a committed
//! transaction survives the death of the process at any instant (`kill -9`); only an
//! operating-system crash can lose the last commits. The log is copied into the database
//! file every [`WAL_CHECKPOINT_PAGES`] pages (64 MiB), not SQLite's 4 MiB. PostgreSQL commits
//! are durable with its defaults.

pub mod testing;

use alloy_primitives::{Address, B256};
use sqlx::{
    AnyPool, Executor as _, Row,
    any::{AnyConnectOptions, AnyPoolOptions, AnyRow},
    migrate::Migrator,
};
use std::{str::FromStr, time::Duration};

pub use sqlx::{self, Any, AnyPool as Pool, Transaction};

/// The database failed, or holds something this code cannot read.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite://PATH, sqlite::memory: or postgres://USER@HOST:PORT/DB")]
    Url(String),
    /// The driver failed.
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value read back is not what was written.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// This writer's leadership epoch is no longer the database's: another process took the
    /// lease over, and nothing of this transaction was written.
    #[error("fenced: this process wrote under epoch {0} of its lease, another has taken the lease over since")]
    Fenced(u64),
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A file (or memory) database.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend of `url`.
    pub fn of(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::Url(url.to_owned()))
        }
    }

    /// Most bind parameters one statement may carry (SQLite ≥ 3.32: 32766; PostgreSQL: 65535).
    pub const fn max_params(self) -> usize {
        match self {
            Self::Sqlite => 32_766,
            Self::Postgres => 65_535,
        }
    }
}

/// An open database with its migrations applied.
///
/// SQLite allows one writer at a time, and a connection that finds the database locked
/// sleeps in SQLite's busy handler (for up to 100 ms per try) instead of queueing. So on
/// SQLite every write goes through a pool of exactly one connection ([`Self::writer`]), where
/// writes wait their turn in order, and reads use the others; on PostgreSQL both are the
/// same pool.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    writer: AnyPool,
    /// Reads of the service itself (two connections apart from `pool`), so that they never
    /// wait behind clients' queries.
    internal: AnyPool,
    backend: Backend,
}

/// SQLite URLs open read-write and create the file (sqlx's default would refuse a missing
/// file).
fn sqlite_url(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Connections of [`Database::internal`].
const INTERNAL_CONNECTIONS: u32 = 2;

/// Pages of write-ahead log after which a commit copies the log into the database file (a
/// checkpoint), instead of SQLite's default of 1,000 (4 MiB).
///
/// A checkpoint copies every page the log holds. When the transactions table was indexed by
/// hash (a random page for every admitted transaction, until migration 0021 of the chain
/// store), the same index pages were copied into the database file again and again with
/// 1,000 pages (a checkpoint every fraction of a second under load); with a log of 64 MiB, a
/// page written many times between two checkpoints is copied once: admission wrote 4.3 kB per
/// transaction instead of 6.5 kB (`rollup bench store`, BENCHMARKS.md "The chain store's
/// writes"). The same holds for the pages a block commit rewrites (each transaction's row,
/// admitted moments before).
/// The price: up to 64 MiB more disk for the log, and a restart after a crash reads that
/// much log.
pub const WAL_CHECKPOINT_PAGES: u32 = 16_384;
/// After a checkpoint that empties the log, a log file grown beyond this many bytes (by a
/// reader that held a checkpoint back, say) is cut back to it: twice the checkpoint's size
/// in pages of 4 kB (SQLite's default page size, which the store keeps).
const WAL_SIZE_LIMIT_BYTES: u64 = 2 * WAL_CHECKPOINT_PAGES as u64 * 4096;

impl Database {
    /// Opens the database at `url` with at most `max_connections` connections and applies
    /// `migrations`.
    pub async fn open(url: &str, migrations: &Migrator, max_connections: u32) -> Result<Self, DbError> {
        Self::open_stalls_bounded(url, migrations, max_connections, None).await
    }

    /// [`Self::open`], and on PostgreSQL a transaction of these connections left idle (its
    /// client stalled: stopped, paused, partitioned) for longer than `idle_in_transaction` is
    /// aborted by the server, its locks released (`idle_in_transaction_session_timeout`). A
    /// sequencer leading the database opens it so: a leader stalled in the middle of a write
    /// must not hold the locks its successor needs (docs/deployment.md §2).
    pub async fn open_stalls_bounded(
        url: &str,
        migrations: &Migrator,
        max_connections: u32,
        idle_in_transaction: Option<Duration>,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let in_memory = url.contains(":memory:");
        let url = match backend {
            Backend::Sqlite => sqlite_url(url),
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let connect = |connections: u32| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(60))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if let (Backend::Postgres, Some(idle)) = (backend, idle_in_transaction) {
                            let ms = idle.as_millis().max(1);
                            conn.execute(format!("SET idle_in_transaction_session_timeout = {ms}").as_str()).await?;
                        }
                        if backend == Backend::Sqlite {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            // 64 MiB of page cache and reads through mmap: lookups by hash
                            // read one page per run of the chain store's hash index, and
                            // the state's history is written at random places.
                            conn.execute("PRAGMA cache_size = -65536").await?;
                            conn.execute("PRAGMA mmap_size = 1073741824").await?;
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            // Checkpoint every 64 MiB of log instead of SQLite's 4 MiB: see
                            // `WAL_CHECKPOINT_PAGES`.
                            conn.execute(format!("PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}").as_str())
                                .await?;
                            conn.execute(format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}").as_str())
                                .await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
        };
        let (pool, writer, internal) = match backend {
            // An in-memory SQLite database is private to its connection: one for everything.
            Backend::Sqlite if in_memory => {
                let pool = connect(1).await?;
                (pool.clone(), pool.clone(), pool)
            }
            Backend::Sqlite => {
                let writer = connect(1).await?;
                (connect(max_connections.max(1)).await?, writer, connect(INTERNAL_CONNECTIONS).await?)
            }
            Backend::Postgres => {
                let pool = connect(max_connections.max(1)).await?;
                (pool.clone(), pool, connect(INTERNAL_CONNECTIONS).await?)
            }
        };
        migrations.run(&writer).await?;
        Ok(Self { pool, writer, internal, backend })
    }

    /// The connection pool for reads.
    pub const fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The connection pool for the service's own reads, apart from [`Self::pool`].
    pub const fn internal(&self) -> &AnyPool {
        &self.internal
    }

    /// The connection pool for writes (one connection on SQLite).
    pub const fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Which database this is.
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        self.writer.close().await;
        self.internal.close().await;
        self.pool.close().await;
    }
}

/// `VALUES (…), (…)` for `rows` rows of `columns` parameters each followed by the SQL
/// `literals` (e.g. `", 'pending'"`, or `""`): numbered `$1, $2, …` on PostgreSQL, anonymous
/// `?` on SQLite (SQLite looks a numbered parameter up by name in a list, which makes binding
/// thousands of them quadratic).
pub fn values_clause(backend: Backend, rows: usize, columns: usize, literals: &str) -> String {
    let mut out = String::with_capacity(8 + rows * columns * 5);
    out.push_str("VALUES ");
    for r in 0..rows {
        out.push_str(if r > 0 { ", (" } else { "(" });
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(1 + r * columns + c).to_string());
                }
            }
        }
        out.push_str(literals);
        out.push(')');
    }
    out
}

/// A 32-byte column.
pub fn b256(row: &AnyRow, col: &str) -> Result<B256, DbError> {
    let bytes: Vec<u8> = row.try_get(col)?;
    B256::try_from(bytes.as_slice()).map_err(|_| DbError::Corrupt(format!("{col} is not 32 bytes")))
}

/// A 20-byte column.
pub fn address(row: &AnyRow, col: &str) -> Result<Address, DbError> {
    let bytes: Vec<u8> = row.try_get(col)?;
    Address::try_from(bytes.as_slice()).map_err(|_| DbError::Corrupt(format!("{col} is not 20 bytes")))
}

/// A non-negative `BIGINT` column.
pub fn u64_of(row: &AnyRow, col: &str) -> Result<u64, DbError> {
    let v: i64 = row.try_get(col)?;
    u64::try_from(v).map_err(|_| DbError::Corrupt(format!("{col} is negative")))
}

/// A `u64` as a `BIGINT` (values past `i64::MAX` are refused, never wrapped).
pub fn i64_of(v: u64) -> Result<i64, DbError> {
    i64::try_from(v).map_err(|_| DbError::Corrupt(format!("{v} does not fit a BIGINT")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Backend::of("sqlite::memory:").expect("sqlite"), Backend::Sqlite);
        assert_eq!(Backend::of("sqlite://x.db").expect("sqlite"), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h:5432/d").expect("pg"), Backend::Postgres);
        assert!(matches!(Backend::of("mysql://h/d"), Err(DbError::Url(_))));
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite://a.db?cache=shared"), "sqlite://a.db?cache=shared&mode=rwc");
        assert_eq!(sqlite_url("sqlite::memory:"), "sqlite::memory:");
    }

    /// Every connection of a file database runs in WAL mode with the log's checkpoint at
    /// [`WAL_CHECKPOINT_PAGES`], the writer's (whose commits checkpoint) and the readers'.
    #[tokio::test]
    async fn sqlite_connections_checkpoint_at_the_set_log_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let db = Database::open(&url, &Migrator::DEFAULT, 2).await.expect("open");
        for pool in [db.writer(), db.pool(), db.internal()] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.expect("mode");
            assert_eq!(mode, "wal");
            let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(pool).await.expect("pages");
            assert_eq!(pages, i64::from(WAL_CHECKPOINT_PAGES));
            let limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit").fetch_one(pool).await.expect("limit");
            assert_eq!(limit, 128 << 20);
            assert_eq!(u64::try_from(limit).ok(), Some(WAL_SIZE_LIMIT_BYTES));
        }
        db.close().await;
    }

    #[test]
    fn values_are_numbered_row_by_row() {
        assert_eq!(values_clause(Backend::Postgres, 2, 3, ""), "VALUES ($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_clause(Backend::Sqlite, 2, 2, ", 'x'"), "VALUES (?, ?, 'x'), (?, ?, 'x')");
    }
}
