//! The state's history for reads at any past block (docs/api.md §3.0f, `--state.archive`): for
//! each state-tree key a block changed, its value before the block, written with the block.
//! The value of a key after block `N` is the old value of its first change after `N`, or the
//! newest state's when no block after `N` changed it: one index seek a key, however old `N`.

use crate::{Store, StoreError, rows_per_statement};
use alloy_primitives::B256;
use rollup_db::{Backend, i64_of, sqlx, u64_of, values_clause};
use sqlx::Row;

/// The blocks the history is whole for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryRange {
    /// The first block whose state it answers (the head when it was started).
    pub first: u64,
    /// The newest block written with it.
    pub last: u64,
}

/// A 32-byte word without its leading zero bytes.
fn trimmed(value: &B256) -> &[u8] {
    let zeros = value.iter().take_while(|b| **b == 0).count();
    &value[zeros..]
}

fn word(bytes: &[u8]) -> Result<B256, StoreError> {
    if bytes.len() > 32 {
        return Err(StoreError::Corrupt(format!("a state history value of {} bytes", bytes.len())));
    }
    let mut out = B256::ZERO;
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

impl Store {
    /// Records in `tx` the values block `number` overwrote (`(key, value before)`), and that the
    /// history now reaches it.
    pub(crate) async fn insert_history_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        backend: Backend,
        number: u64,
        overwritten: &[(B256, B256)],
    ) -> Result<(), StoreError> {
        const COLUMNS: usize = 3;
        let block = i64_of(number)?;
        for chunk in overwritten.chunks(rows_per_statement(backend, COLUMNS)) {
            let sql = format!(
                "INSERT INTO state_history (state_key, block_number, old_value) {}",
                values_clause(backend, chunk.len(), COLUMNS, "")
            );
            let mut query = sqlx::query(&sql);
            for (key, old) in chunk {
                query = query.bind(key.as_slice()).bind(block).bind(trimmed(old));
            }
            query.execute(&mut **tx).await?;
        }
        sqlx::query("UPDATE state_history_range SET last_block = $1").bind(block).execute(&mut **tx).await?;
        Ok(())
    }

    /// The blocks the history is whole for; `None` before it was started.
    pub async fn history_range(&self) -> Result<Option<HistoryRange>, StoreError> {
        let row =
            sqlx::query("SELECT first_block, last_block FROM state_history_range").fetch_optional(&self.pool).await?;
        row.map(|r| Ok(HistoryRange { first: u64_of(&r, "first_block")?, last: u64_of(&r, "last_block")? })).transpose()
    }

    /// Starts the history at `head` unless it already reaches it: a node that ran without it
    /// (or one that never did) answers from `head` on, not from the blocks it did not record.
    pub async fn start_history(&self, head: u64) -> Result<HistoryRange, StoreError> {
        if let Some(range) = self.history_range().await?
            && range.last == head
        {
            return Ok(range);
        }
        let mut tx = self.db.writer().begin().await?;
        sqlx::query("DELETE FROM state_history_range").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO state_history_range (first_block, last_block) VALUES ($1, $1)")
            .bind(i64_of(head)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(HistoryRange { first: head, last: head })
    }

    /// The values of `keys` after block `number` that a later block changed (in the order of
    /// `keys`); `None` for a key no block after `number` changed, whose value is the newest.
    pub async fn history_values(&self, number: u64, keys: &[B256]) -> Result<Vec<Option<B256>>, StoreError> {
        let block = i64_of(number)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query(
                "SELECT old_value FROM state_history WHERE state_key = $1 AND block_number > $2
                 ORDER BY block_number LIMIT 1",
            )
            .bind(key.as_slice())
            .bind(block)
            .fetch_optional(&self.pool)
            .await?;
            out.push(row.map(|r| word(&r.try_get::<Vec<u8>, _>("old_value")?)).transpose()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values after a block are the old values of the first later change, or none (the
    /// newest's); a node started again at the block it recorded last keeps its range, at any
    /// other starts anew; thousands of changes of a block span several statements.
    async fn the_history_answers_the_value_after_any_block(url: &str) {
        let store = Store::open(url).await.expect("opens");
        let (a, b, c) = (B256::repeat_byte(0xa), B256::repeat_byte(0xb), B256::repeat_byte(0xc));
        let word = |v: u8| B256::with_last_byte(v);
        assert_eq!(store.history_range().await.expect("read"), None);
        assert_eq!(store.start_history(3).await.expect("started"), HistoryRange { first: 3, last: 3 });
        // Block 4 sets a (from 0) and b (from 7), block 6 sets a again (from 1), block 7 many.
        let many: Vec<(B256, B256)> =
            (0..4_000u32).map(|i| (B256::left_padding_from(&i.to_be_bytes()), word(9))).collect();
        for (number, changes) in [(4, vec![(a, B256::ZERO), (b, word(7))]), (6, vec![(a, word(1))]), (7, many)] {
            let mut tx = store.db.writer().begin().await.expect("begins");
            Store::insert_history_in(&mut tx, store.backend(), number, &changes).await.expect("written");
            tx.commit().await.expect("commits");
        }
        assert_eq!(store.history_range().await.expect("read"), Some(HistoryRange { first: 3, last: 7 }));
        let after = |n| {
            let store = &store;
            async move { store.history_values(n, &[a, b, c]).await.expect("read") }
        };
        assert_eq!(after(3).await, vec![Some(B256::ZERO), Some(word(7)), None]);
        assert_eq!(after(4).await, vec![Some(word(1)), None, None]);
        assert_eq!(after(5).await, vec![Some(word(1)), None, None]);
        assert_eq!(after(6).await, vec![None, None, None]);
        let key = B256::left_padding_from(&3_999u32.to_be_bytes());
        assert_eq!(store.history_values(6, &[key]).await.expect("read"), vec![Some(word(9))]);
        // Started again at its last block: kept; at another: from there.
        assert_eq!(store.start_history(7).await.expect("kept"), HistoryRange { first: 3, last: 7 });
        assert_eq!(store.start_history(9).await.expect("anew"), HistoryRange { first: 9, last: 9 });
        store.close().await;
    }

    #[tokio::test]
    async fn the_history_answers_the_value_after_any_block_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        the_history_answers_the_value_after_any_block(&format!("sqlite://{}", dir.path().join("h.sqlite").display()))
            .await;
    }

    #[tokio::test]
    async fn the_history_answers_the_value_after_any_block_on_postgres() {
        let Some(db) = rollup_db::testing::PostgresTestDb::create("state_history").await else { return };
        the_history_answers_the_value_after_any_block(db.url()).await;
        db.drop_database().await.expect("dropped");
    }

    #[test]
    fn a_word_is_stored_without_its_leading_zeros_and_read_back_whole() {
        for value in [B256::ZERO, B256::with_last_byte(7), B256::repeat_byte(0xff), B256::left_padding_from(&[1, 0, 2])]
        {
            assert_eq!(word(trimmed(&value)).expect("fits"), value);
        }
        assert!(trimmed(&B256::ZERO).is_empty());
        assert!(word(&[0; 33]).is_err());
    }
}
