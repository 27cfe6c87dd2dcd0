//! Leadership of the sequencers sharing one database: a lease in the `sequencer_lease` row,
//! and the fencing epoch every block and admission is written under (docs/deployment.md).
//!
//! The lease's clock is the database's, so that processes on machines whose clocks disagree
//! still agree on when it expires.

use super::{Store, StoreError};
use rollup_db::{Backend, i64_of, sqlx, u64_of};
use sqlx::Row;
use std::{sync::atomic::Ordering, time::Duration};

/// The lease as the database holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseState {
    /// Incremented by each takeover; 0 before any sequencer led.
    pub epoch: u64,
    /// The id the leading process drew at start (empty before any led).
    pub holder: String,
    /// Milliseconds until the lease expires unless renewed (negative: expired that long ago).
    pub remaining_ms: i64,
    /// Where the leader serves its API, as it advertised it (followers forward submissions
    /// there); empty if it advertised none.
    pub url: String,
}

/// A sequencer on the database as it last reported itself ([`Store::report_member`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its id.
    pub holder: String,
    /// Where it serves.
    pub url: String,
    /// `leader` or `follower`.
    pub role: String,
    /// The last block it applied (a leader: sealed).
    pub head: u64,
    /// Milliseconds since its report, by the database's clock.
    pub age_ms: i64,
}

/// Whose lease a row of `sequencer_lease` is: the sequencers' (row 1) or the batchers' (row
/// 2, migration 0025). Each is taken, renewed and fenced on its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeaseOf {
    /// The sequencer that produces blocks.
    #[default]
    Sequencer,
    /// The batcher that posts them to the L1.
    Batcher,
}

impl LeaseOf {
    /// Its row's id.
    pub const fn row(self) -> i64 {
        match self {
            Self::Sequencer => 1,
            Self::Batcher => 2,
        }
    }
}

/// An id for this process among those sharing a lease: host, process id and a clock reading
/// (a restarted process is another holder).
pub fn holder_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    // Nanoseconds of the clock: two processes of one id on one host would have to start in
    // the same nanosecond.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:08x}", std::process::id())
}

/// Milliseconds since the Unix epoch by the database's clock, as SQL.
const fn now_ms(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    }
}

fn millis(d: Duration) -> Result<i64, StoreError> {
    i64_of(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Store {
    /// Takes the lease for `holder`, which serves at `url`, for `lease` if it is free (never
    /// taken, released, or expired), and returns the new epoch; `None` while another holds it.
    pub async fn try_lead(&self, holder: &str, url: &str, lease: Duration) -> Result<Option<u64>, StoreError> {
        self.try_lead_of(LeaseOf::Sequencer, holder, url, lease).await
    }

    /// [`Self::try_lead`] of the lease `of`.
    pub async fn try_lead_of(
        &self,
        of: LeaseOf,
        holder: &str,
        url: &str,
        lease: Duration,
    ) -> Result<Option<u64>, StoreError> {
        let now = now_ms(self.backend());
        let sql = format!(
            "UPDATE sequencer_lease SET epoch = epoch + 1, holder = $1, url = $3, expires_at = {now} + $2
             WHERE id = $4 AND expires_at <= {now} RETURNING epoch"
        );
        let row = sqlx::query(&sql)
            .bind(holder)
            .bind(millis(lease)?)
            .bind(url)
            .bind(of.row())
            .fetch_optional(self.db.writer())
            .await?;
        row.map(|r| u64_of(&r, "epoch")).transpose()
    }

    /// Extends the lease `holder` took at `epoch` to `lease` from now; `false` if another
    /// has taken it over since (this process no longer leads).
    pub async fn renew_lead(&self, holder: &str, epoch: u64, lease: Duration) -> Result<bool, StoreError> {
        self.renew_lead_of(LeaseOf::Sequencer, holder, epoch, lease).await
    }

    /// [`Self::renew_lead`] of the lease `of`.
    pub async fn renew_lead_of(
        &self,
        of: LeaseOf,
        holder: &str,
        epoch: u64,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE sequencer_lease SET expires_at = {} + $1 WHERE id = $4 AND epoch = $2 AND holder = $3",
            now_ms(self.backend())
        );
        let done = sqlx::query(&sql)
            .bind(millis(lease)?)
            .bind(i64_of(epoch)?)
            .bind(holder)
            .bind(of.row())
            .execute(self.db.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives up the lease taken at `epoch` (at a clean stop), so that a standby takes over at
    /// once; nothing if another holds it already.
    pub async fn release_lead(&self, epoch: u64) -> Result<(), StoreError> {
        self.release_lead_of(LeaseOf::Sequencer, epoch).await
    }

    /// [`Self::release_lead`] of the lease `of`.
    pub async fn release_lead_of(&self, of: LeaseOf, epoch: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sequencer_lease SET expires_at = 0 WHERE id = $2 AND epoch = $1")
            .bind(i64_of(epoch)?)
            .bind(of.row())
            .execute(self.db.writer())
            .await?;
        Ok(())
    }

    /// The lease as the database holds it now.
    pub async fn lease(&self) -> Result<LeaseState, StoreError> {
        self.lease_of(LeaseOf::Sequencer).await
    }

    /// [`Self::lease`] of the lease `of`.
    pub async fn lease_of(&self, of: LeaseOf) -> Result<LeaseState, StoreError> {
        let sql = format!(
            "SELECT epoch, holder, url, expires_at - {} AS remaining FROM sequencer_lease WHERE id = $1",
            now_ms(self.backend())
        );
        let row = sqlx::query(&sql).bind(of.row()).fetch_one(&self.pool).await?;
        Ok(LeaseState {
            epoch: u64_of(&row, "epoch")?,
            holder: row.try_get("holder")?,
            remaining_ms: row.try_get("remaining")?,
            url: row.try_get("url")?,
        })
    }

    /// Records that `holder`, serving at `url` as `role`, has applied every block up to
    /// `head`, now (by the database's clock). Not fenced: each sequencer writes only its own
    /// row, and it is a report, not the chain.
    pub async fn report_member(&self, holder: &str, url: &str, role: &str, head: u64) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO sequencer_members (holder, url, role, head, seen_at) VALUES ($1, $2, $3, $4, {now})
             ON CONFLICT (holder) DO UPDATE
             SET url = excluded.url, role = excluded.role, head = excluded.head, seen_at = excluded.seen_at",
            now = now_ms(self.backend())
        );
        sqlx::query(&sql).bind(holder).bind(url).bind(role).bind(i64_of(head)?).execute(self.db.writer()).await?;
        Ok(())
    }

    /// The sequencers that reported within `within`, most recent head first; older rows (of
    /// processes gone for longer than a minute) are deleted on the way.
    pub async fn members(&self, within: Duration) -> Result<Vec<Member>, StoreError> {
        let now = now_ms(self.backend());
        sqlx::query(&format!("DELETE FROM sequencer_members WHERE seen_at < {now} - 60000"))
            .execute(self.db.writer())
            .await?;
        let sql = format!(
            "SELECT holder, url, role, head, {now} - seen_at AS age FROM sequencer_members
             WHERE seen_at >= {now} - $1 ORDER BY head DESC, holder"
        );
        let rows = sqlx::query(&sql).bind(millis(within)?).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    holder: row.try_get("holder")?,
                    url: row.try_get("url")?,
                    role: row.try_get("role")?,
                    head: u64_of(row, "head")?,
                    age_ms: row.try_get("age")?,
                })
            })
            .collect()
    }

    /// Writes from now on (blocks, admissions, status changes, snapshots) only while the
    /// database's epoch is `epoch`: each such transaction checks it last, just before its
    /// commit, and fails with
    /// [`StoreError::Fenced`], writing nothing, once another sequencer has taken the lease.
    /// Shared by this store's clones.
    pub fn fence(&self, epoch: u64) {
        self.fence_of(LeaseOf::Sequencer, epoch);
    }

    /// [`Self::fence`] by the lease `of`: a batcher's store writes under the batchers' epoch.
    pub fn fence_of(&self, of: LeaseOf, epoch: u64) {
        self.fence_row.store(of.row(), Ordering::Release);
        self.fence.store(epoch, Ordering::Release);
    }

    /// The epoch this store writes under (0: unfenced, a single process).
    pub fn fenced_epoch(&self) -> u64 {
        self.fence.load(Ordering::Acquire)
    }

    /// Checks, inside `tx`, that the database's epoch is still the one this store writes
    /// under, and locks the lease's row until `tx` ends: a takeover waits for this transaction
    /// and then sees what it wrote (see [`Self::fence`]). Called last before the commit, so
    /// that the row is locked for a round trip, not for the whole write (renewals and a
    /// standby's asking wait on it).
    pub(crate) async fn check_fence(
        &self,
        tx: &mut rollup_db::Transaction<'static, rollup_db::Any>,
    ) -> Result<(), StoreError> {
        let epoch = self.fenced_epoch();
        if epoch == 0 {
            return Ok(());
        }
        let row = match self.fence_row.load(Ordering::Acquire) {
            0 => LeaseOf::Sequencer.row(),
            row => row,
        };
        let done = sqlx::query("UPDATE sequencer_lease SET epoch = epoch WHERE id = $2 AND epoch = $1")
            .bind(i64_of(epoch)?)
            .bind(row)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Fenced(epoch)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BlockWrite, tests::block_of, tests::pending_row};

    /// Two processes on one database: one leads, the other cannot take the lease while it is
    /// renewed; once it lapses the other takes it at the next epoch, and from then on the
    /// first one's writes (a block, an admission, a status change, a snapshot) fail at commit
    /// and leave nothing behind, while the new leader's succeed; a released lease is free at
    /// once.
    async fn a_taken_over_leader_writes_nothing(url: &str) {
        let (first, second) = (Store::open(url).await.expect("opens"), Store::open(url).await.expect("opens"));
        let long = Duration::from_secs(60);
        assert_eq!(first.try_lead("a", "", Duration::ZERO).await.expect("asks"), Some(1), "free at first");
        first.fence(1);
        first.commit_block(&BlockWrite::new(&block_of(0, &[]), &[], &[])).await.expect("leads");
        assert!(first.renew_lead("a", 1, long).await.expect("renews"));
        assert_eq!(second.try_lead("b", "", long).await.expect("asks"), None, "held");
        let held = second.lease().await.expect("reads");
        assert_eq!((held.epoch, held.holder.as_str()), (1, "a"));
        assert!(held.remaining_ms > 50_000 && held.remaining_ms <= 60_000, "{held:?}");

        // The lease lapses (renewed for no time at all) and the second process takes it.
        assert!(first.renew_lead("a", 1, Duration::ZERO).await.expect("renews"));
        assert_eq!(second.try_lead("b", "", long).await.expect("asks"), Some(2), "taken over");
        second.fence(2);
        assert!(!first.renew_lead("a", 1, long).await.expect("asks"), "the first no longer leads");

        // The first one wakes up: every write it tries is refused, nothing of it is written.
        let fenced = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Fenced(1)));
        assert!(fenced(first.commit_block(&BlockWrite::new(&block_of(1, &[]), &[], &[])).await));
        assert!(fenced(first.insert_pending(&[pending_row(1, 0)]).await));
        assert!(first.block(1).await.expect("reads").is_none(), "no block of the fenced leader");
        assert!(first.pending().await.expect("reads").is_empty(), "no admission of the fenced leader");

        // The new leader writes at the height the old one tried.
        second.commit_block(&BlockWrite::new(&block_of(1, &[]), &[], &[])).await.expect("the new leader writes");
        second.insert_pending(&[pending_row(2, 0)]).await.expect("the new leader admits");
        assert_eq!(second.pending().await.expect("reads").len(), 1);

        // Released: free at once for a third.
        second.release_lead(1).await.expect("no-op for an old epoch");
        assert_eq!(first.try_lead("c", "", long).await.expect("asks"), None, "an old epoch's release frees nothing");
        second.release_lead(2).await.expect("releases");
        assert_eq!(first.try_lead("c", "", long).await.expect("asks"), Some(3));
        first.close().await;
        second.close().await;
    }

    /// The batchers' lease is a row of its own: taken, fenced and taken over apart from the
    /// sequencers'; a deposed batcher's writes are refused, the sequencer's go on.
    #[tokio::test]
    async fn the_batchers_lease_fences_the_batchers_writes_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("lease.sqlite").display());
        let (sequencer, batcher, next) = (
            Store::open(&url).await.expect("opens"),
            Store::open(&url).await.expect("opens"),
            Store::open(&url).await.expect("opens"),
        );
        let long = Duration::from_secs(60);
        assert_eq!(sequencer.try_lead("s", "", long).await.expect("asks"), Some(1));
        sequencer.fence(1);
        assert_eq!(batcher.try_lead_of(LeaseOf::Batcher, "b", "", Duration::ZERO).await.expect("asks"), Some(1));
        batcher.fence_of(LeaseOf::Batcher, 1);
        batcher.set_l1_byte_cost(1, 10).await.expect("the batcher writes");
        // Taken over: the old batcher's writes fail, the new one's and the sequencer's do not.
        assert_eq!(next.try_lead_of(LeaseOf::Batcher, "c", "", long).await.expect("asks"), Some(2));
        next.fence_of(LeaseOf::Batcher, 2);
        assert!(matches!(batcher.set_l1_byte_cost(2, 20).await, Err(StoreError::Fenced(1))));
        assert_eq!(next.l1_byte_cost().await.expect("reads"), Some((1, 10)), "nothing of the deposed batcher");
        next.set_l1_byte_cost(3, 30).await.expect("the new batcher writes");
        sequencer
            .commit_block(&BlockWrite::new(&block_of(0, &[]), &[], &[]))
            .await
            .expect("the sequencer still writes");
        assert_eq!(next.lease_of(LeaseOf::Batcher).await.expect("reads").holder, "c");
        assert_eq!(next.lease().await.expect("reads").holder, "s");
        for store in [sequencer, batcher, next] {
            store.close().await;
        }
    }

    #[tokio::test]
    async fn a_taken_over_leader_writes_nothing_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        a_taken_over_leader_writes_nothing(&format!("sqlite://{}", dir.path().join("lease.sqlite").display())).await;
    }

    #[tokio::test]
    async fn a_taken_over_leader_writes_nothing_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("sequencer_lease").await else { return };
        a_taken_over_leader_writes_nothing(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    /// On PostgreSQL a takeover waits for a leader's write in progress and then sees it: the
    /// new leader starts from every block the old one committed, and the old one's next write
    /// is refused.
    #[tokio::test]
    async fn a_takeover_waits_for_the_write_in_progress_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("sequencer_lease_race").await else { return };
        let (first, second) =
            (Store::open(db.url()).await.expect("opens"), Store::open(db.url()).await.expect("opens"));
        assert_eq!(first.try_lead("a", "", Duration::ZERO).await.expect("asks"), Some(1));
        first.fence(1);
        let mut tx = first.db.writer().begin().await.expect("begins");
        first.check_fence(&mut tx).await.expect("still leads");
        let takeover = tokio::spawn({
            let second = second.clone();
            async move { second.try_lead("b", "", Duration::from_secs(60)).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!takeover.is_finished(), "the takeover waits for the leader's transaction");
        sqlx::query("INSERT INTO tx_pending (id) VALUES (77)").execute(&mut *tx).await.expect("writes");
        tx.commit().await.expect("the leader's write in progress commits");
        assert_eq!(takeover.await.expect("joins").expect("asks"), Some(2));
        let row = sqlx::query("SELECT COUNT(*) AS n FROM tx_pending WHERE id = 77")
            .fetch_one(&second.pool)
            .await
            .expect("reads");
        assert_eq!(u64_of(&row, "n").expect("count"), 1, "the new leader sees it");
        assert!(matches!(first.insert_pending(&[pending_row(1, 0)]).await, Err(StoreError::Fenced(1))));
        first.close().await;
        second.close().await;
        db.drop_database().await.expect("dropped");
    }
}
