//! Databases for tests: a fresh PostgreSQL database per test on the server at
//! `127.0.0.1:5432` (or `ROLLUP_TEST_POSTGRES_URL`), when one answers.
//!
//! A test that needs PostgreSQL and finds none prints `SKIPPED (no PostgreSQL …)` and
//! returns; with `ROLLUP_REQUIRE_POSTGRES=1` it fails instead. `make test` checks for the
//! server first and says which tests will not run.

use crate::DbError;
use sqlx::{AnyConnection, Connection as _, Executor as _};
use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

/// Where tests look for PostgreSQL.
pub const POSTGRES_URL_ENV: &str = "ROLLUP_TEST_POSTGRES_URL";
/// The server CI provides (trust authentication, database `test`).
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The administrative URL tests use.
pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_URL_ENV).ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// A database created for one test; [`Self::drop_database`] removes it.
#[derive(Debug)]
pub struct PostgresTestDb {
    admin_url: String,
    name: String,
    url: String,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl PostgresTestDb {
    /// Creates an empty database for `test`, or `None` (after saying so) if no server answers.
    ///
    /// # Panics
    /// If no server answers and `ROLLUP_REQUIRE_POSTGRES` is set.
    pub async fn create(test: &str) -> Option<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        sqlx::any::install_default_drivers();
        let admin_url = postgres_admin_url();
        let mut admin = match AnyConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(err) => {
                let required = std::env::var_os("ROLLUP_REQUIRE_POSTGRES").is_some_and(|v| v != "0");
                assert!(!required, "ROLLUP_REQUIRE_POSTGRES is set but PostgreSQL at {admin_url} refused: {err}");
                tracing::warn!("SKIPPED {test} (no PostgreSQL at {admin_url}: {err})");
                // Tests report skips on stderr so that `make test` output shows them.
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("SKIPPED {test}: no PostgreSQL at {admin_url} ({err})");
                }
                return None;
            }
        };
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
        let name = format!(
            "rollup_{}_{}_{}_{}",
            test.chars().filter(char::is_ascii_alphanumeric).take(24).collect::<String>().to_lowercase(),
            std::process::id(),
            stamp % 1_000_000_000,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let created = admin.execute(format!("CREATE DATABASE {name}").as_str()).await;
        let _ = admin.close().await;
        if let Err(err) = created {
            panic!("PostgreSQL at {admin_url} answered but refused CREATE DATABASE {name}: {err}");
        }
        let url = with_database(&admin_url, &name);
        Some(Self { admin_url, name, url })
    }

    /// The URL of the test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Removes the database (disconnecting whoever still uses it).
    pub async fn drop_database(self) -> Result<(), DbError> {
        let mut admin = AnyConnection::connect(&self.admin_url).await?;
        admin.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str()).await?;
        admin.close().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_replace_the_path() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
