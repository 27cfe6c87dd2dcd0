//! The receipts of a block in one value (`blocks.receipts`), written with the block instead of
//! into each transaction's row: a transaction row is written once at admission and at
//! inclusion only gains its status and position, so that the block commit does not grow
//! thousands of rows in place (docs/sequencer.md §1, BENCHMARKS.md "Receipts by block").
//!
//! Encoding (all integers big-endian):
//!
//! ```text
//! receipts := count:u32 ‖ end:u32 × count ‖ entry × count
//! entry    := outcome:u8 ‖ gas_used:u64 ‖ len:u32 ‖ output ‖ logs:u32 ‖ log × logs
//! log      := address:20 ‖ topics:u8 ‖ topic:32 × topics ‖ len:u32 ‖ data
//! ```
//!
//! `end[i]` is where entry `i` ends, counted from the first entry, so that one receipt is read
//! without decoding the others. The outcome is 0 (success), 1 (revert) or 2 (halt), plus 0x80
//! when no fee was taken (a queue entry or a credit of the block, docs/fees.md §8).

use crate::{IncludedTx, Store, StoreError, StoredLog, parse_outcome};
use alloy_primitives::{Address, B256, Bytes};
use rollup_db::{i64_of, sqlx, u64_of};
use rollup_types::TxStatus;
use sqlx::Row;

/// One transaction's receipt as the block's receipts hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReceiptEntry {
    pub outcome: TxStatus,
    pub gas_used: u64,
    pub output: Bytes,
    pub logs: Vec<StoredLog>,
    pub fee_exempt: bool,
}

/// The outcome byte's flag for a receipt whose transaction paid no fee.
const FEE_EXEMPT: u8 = 0x80;

const fn outcome_byte(outcome: TxStatus) -> u8 {
    match outcome {
        TxStatus::Success => 0,
        TxStatus::Revert => 1,
        TxStatus::Halt => 2,
    }
}

/// A length that the encoding stores in 4 bytes (transactions, outputs and log data are far
/// below 4 GiB: a block is bounded by its L1 post).
fn len_u32(len: usize, what: &str) -> Result<u32, StoreError> {
    u32::try_from(len).map_err(|_| StoreError::Corrupt(format!("{what} of {len} does not fit a receipt")))
}

/// Encodes the receipts of a block's transactions, in order.
pub(crate) fn encode<'a, I>(receipts: I) -> Result<Vec<u8>, StoreError>
where
    I: ExactSizeIterator<Item = (TxStatus, bool, u64, &'a [u8], &'a [StoredLog])>,
{
    let count = receipts.len();
    let mut entries = Vec::new();
    let mut ends = Vec::with_capacity(count);
    for (outcome, fee_exempt, gas_used, output, logs) in receipts {
        entries.push(outcome_byte(outcome) | if fee_exempt { FEE_EXEMPT } else { 0 });
        entries.extend_from_slice(&gas_used.to_be_bytes());
        entries.extend_from_slice(&len_u32(output.len(), "an output")?.to_be_bytes());
        entries.extend_from_slice(output);
        entries.extend_from_slice(&len_u32(logs.len(), "a log count")?.to_be_bytes());
        for log in logs {
            entries.extend_from_slice(log.address.as_slice());
            let topics = u8::try_from(log.topics.len())
                .map_err(|_| StoreError::Corrupt(format!("a log with {} topics", log.topics.len())))?;
            entries.push(topics);
            for topic in &log.topics {
                entries.extend_from_slice(topic.as_slice());
            }
            entries.extend_from_slice(&len_u32(log.data.len(), "log data")?.to_be_bytes());
            entries.extend_from_slice(&log.data);
        }
        ends.push(len_u32(entries.len(), "a block's receipts")?);
    }
    let mut out = Vec::with_capacity(4 + 4 * count + entries.len());
    out.extend_from_slice(&len_u32(count, "a block's transactions")?.to_be_bytes());
    for end in ends {
        out.extend_from_slice(&end.to_be_bytes());
    }
    out.extend_from_slice(&entries);
    Ok(out)
}

/// Encodes the receipts of the transactions a block includes.
pub(crate) fn encode_included(included: &[IncludedTx]) -> Result<Vec<u8>, StoreError> {
    encode(
        included
            .iter()
            .map(|t| (t.outcome, t.origin != crate::TxOrigin::Pool, t.gas_used, t.output.as_ref(), t.logs.as_slice())),
    )
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("a block's receipts are truncated".into())
}

/// A reader over the receipts of one block.
#[derive(Debug)]
pub(crate) struct BlockReceipts<'a> {
    ends: &'a [u8],
    entries: &'a [u8],
}

impl<'a> BlockReceipts<'a> {
    /// Reads the header of an encoded value.
    pub(crate) fn new(value: &'a [u8]) -> Result<Self, StoreError> {
        let count = u32::from_be_bytes(value.get(..4).ok_or_else(corrupt)?.try_into().map_err(|_| corrupt())?);
        let table_end = 4usize.checked_add(4 * count as usize).filter(|e| *e <= value.len()).ok_or_else(corrupt)?;
        Ok(Self { ends: &value[4..table_end], entries: &value[table_end..] })
    }

    /// How many receipts the block has.
    pub(crate) const fn len(&self) -> usize {
        self.ends.len() / 4
    }

    fn end(&self, index: usize) -> usize {
        let at = 4 * index;
        u32::from_be_bytes([self.ends[at], self.ends[at + 1], self.ends[at + 2], self.ends[at + 3]]) as usize
    }

    /// The receipt of the block's transaction `index`.
    pub(crate) fn get(&self, index: usize) -> Result<ReceiptEntry, StoreError> {
        if index >= self.len() {
            return Err(StoreError::Corrupt(format!("a block has no receipt at {index} (it has {})", self.len())));
        }
        let start = if index == 0 { 0 } else { self.end(index - 1) };
        let entry = self.entries.get(start..self.end(index)).ok_or_else(corrupt)?;
        decode_entry(entry)
    }

    /// Every receipt, in order.
    #[cfg(test)]
    pub(crate) fn all(&self) -> Result<Vec<ReceiptEntry>, StoreError> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

/// Reads fixed pieces off the front of an entry.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| corrupt())?))
    }

    fn u64(&mut self) -> Result<u64, StoreError> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| corrupt())?))
    }

    fn bytes(&mut self) -> Result<Bytes, StoreError> {
        let len = self.u32()? as usize;
        Ok(Bytes::copy_from_slice(self.take(len)?))
    }
}

fn decode_entry(entry: &[u8]) -> Result<ReceiptEntry, StoreError> {
    let mut c = Cursor(entry);
    let byte = c.u8()?;
    let fee_exempt = byte & FEE_EXEMPT != 0;
    let outcome = match byte & !FEE_EXEMPT {
        0 => TxStatus::Success,
        1 => TxStatus::Revert,
        2 => TxStatus::Halt,
        other => return Err(StoreError::Corrupt(format!("unknown receipt outcome {other}"))),
    };
    let gas_used = c.u64()?;
    let output = c.bytes()?;
    let count = c.u32()? as usize;
    // Each log takes at least 25 bytes: a count beyond what is left is corrupt, not an
    // allocation to make.
    let mut logs = Vec::with_capacity(count.min(c.0.len() / 25));
    for _ in 0..count {
        let address = Address::from_slice(c.take(20)?);
        let topics = (0..c.u8()?).map(|_| c.take(32).map(B256::from_slice)).collect::<Result<_, _>>()?;
        let data = c.bytes()?;
        logs.push(StoredLog { address, topics, data });
    }
    if !c.0.is_empty() {
        return Err(StoreError::Corrupt(format!("a receipt has {} bytes past its logs", c.0.len())));
    }
    Ok(ReceiptEntry { outcome, gas_used, output, logs, fee_exempt })
}

impl Store {
    /// Moves the receipts of the blocks sealed before migration 0013 out of their
    /// transactions' rows into their block's `receipts` (once: a database created with it has
    /// none to move), newest first, each block in one database transaction with the progress.
    /// Returns how many blocks it moved.
    pub async fn backfill_receipts(&self) -> Result<u64, StoreError> {
        let mut below = self.backfill_below("receipts_backfill").await?;
        let mut moved = 0;
        while below > 0 {
            let number = i64_of(below - 1)?;
            let rows = sqlx::query(
                "SELECT tx_index, outcome, gas_used, output, logs FROM transactions
                 WHERE block_number = $1 AND status = 'included' ORDER BY tx_index",
            )
            .bind(number)
            .fetch_all(&self.pool)
            .await?;
            let mut entries = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                if u64_of(row, "tx_index")? != i as u64 {
                    return Err(StoreError::Corrupt(format!("block {number} has no transaction at {i}")));
                }
                let logs: String = row.try_get("logs")?;
                entries.push(ReceiptEntry {
                    outcome: parse_outcome(&row.try_get::<String, _>("outcome")?)?,
                    gas_used: u64_of(row, "gas_used")?,
                    output: Bytes::from(row.try_get::<Vec<u8>, _>("output")?),
                    logs: serde_json::from_str(&logs).map_err(|e| StoreError::Corrupt(format!("logs: {e}")))?,
                    fee_exempt: false,
                });
            }
            let value = encode(
                entries.iter().map(|e| (e.outcome, e.fee_exempt, e.gas_used, e.output.as_ref(), e.logs.as_slice())),
            )?;
            let mut tx = self.db.writer().begin().await?;
            sqlx::query("UPDATE blocks SET receipts = $1 WHERE number = $2")
                .bind(value)
                .bind(number)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE transactions SET outcome = NULL, gas_used = NULL, output = NULL, logs = NULL
                 WHERE block_number = $1",
            )
            .bind(number)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE receipts_backfill SET below = $1").bind(number).execute(&mut *tx).await?;
            tx.commit().await?;
            below -= 1;
            moved += 1;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(outcome: TxStatus, gas_used: u64, output: &[u8], logs: Vec<StoredLog>) -> ReceiptEntry {
        ReceiptEntry { outcome, gas_used, output: Bytes::copy_from_slice(output), logs, fee_exempt: false }
    }

    fn encoded(entries: &[ReceiptEntry]) -> Vec<u8> {
        encode(entries.iter().map(|e| (e.outcome, e.fee_exempt, e.gas_used, e.output.as_ref(), e.logs.as_slice())))
            .expect("encodes")
    }

    #[test]
    fn receipts_read_back_one_at_a_time_and_all_together() {
        let log = |a: u8, topics: usize, data: &[u8]| StoredLog {
            address: Address::repeat_byte(a),
            topics: (0..topics).map(|t| B256::repeat_byte(t as u8 + 1)).collect(),
            data: Bytes::copy_from_slice(data),
        };
        let entries = vec![
            entry(TxStatus::Success, 21_000, &[1; 32], vec![log(1, 3, &[7; 32]), log(2, 0, &[])]),
            entry(TxStatus::Revert, 30_000, b"reason", vec![]),
            entry(TxStatus::Halt, u64::MAX, &[], vec![log(3, 4, &[9; 100])]),
            ReceiptEntry { fee_exempt: true, ..entry(TxStatus::Revert, 0, &[], vec![log(4, 1, &[])]) },
        ];
        let value = encoded(&entries);
        let block = BlockReceipts::new(&value).expect("header");
        assert_eq!(block.len(), 4);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(&block.get(i).expect("entry"), e);
        }
        assert_eq!(block.all().expect("all"), entries);
        assert!(block.get(4).is_err());
        let empty = encoded(&[]);
        assert_eq!(empty, vec![0, 0, 0, 0]);
        assert_eq!(BlockReceipts::new(&empty).expect("header").all().expect("none"), vec![]);
    }

    #[test]
    fn a_damaged_value_is_an_error_not_a_panic() {
        let value = encoded(&[entry(TxStatus::Success, 1, &[2; 5], vec![])]);
        // Every truncation and every single-byte change either fails or decodes to something.
        for cut in 0..value.len() {
            if let Ok(block) = BlockReceipts::new(&value[..cut]) {
                let _ = block.all();
            }
        }
        for at in 0..value.len() {
            for byte in [0u8, 1, 0x7f, 0xff] {
                let mut damaged = value.clone();
                damaged[at] = byte;
                if let Ok(block) = BlockReceipts::new(&damaged) {
                    let _ = block.all();
                }
            }
        }
        assert!(BlockReceipts::new(&[0, 0, 0, 9, 0]).is_err());
    }
}
