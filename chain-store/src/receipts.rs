//! The receipts of a block in one value (`blocks.receipts`), written with the block instead of
//! into each transaction's row: a transaction row is written once at admission (its status
//! at inclusion is a small row of its own), so that the block commit does not grow thousands
//! of rows in place (docs/sequencer.md §1, BENCHMARKS.md "Receipts by block").
//!
//! Encoding (fixed-width integers big-endian; `v` is an unsigned LEB128 number):
//!
//! ```text
//! receipts  := 0xff 0x02 ‖ count:u32 ‖ addresses:u32 ‖ address:20 × addresses
//!              ‖ words:u32 ‖ (n:u8 ‖ n bytes) × words ‖ end:u32 × count ‖ entry × count
//! entry     := outcome:u8 ‖ gas_used:v ‖ data(output) ‖ logs:v ‖ log × logs
//! log       := address:v ‖ topics:u8 ‖ topic × topics ‖ data(log data)
//! topic     := i:v                 (i < words: the block's word i;
//!                                   else n = i − words ≤ 32 bytes follow, the topic's last n)
//! data(d)   := 2·len:v ‖ d         (as it is)
//!            | 2·k+1:v ‖ (n:u8 ‖ n bytes) × k   (k words of 32 bytes, each its last n bytes)
//! ```
//!
//! A block's logs repeat themselves: the emitting contracts are few (each is an index into the
//! block's `addresses`), a transfer's event signature, its sender and its recipient stand in
//! both of its logs (a topic found twice or more in the block is an index into its `words`),
//! and an amount or an address padded to 32 bytes is mostly zeros (a word is stored without
//! its leading zero bytes). A transfer's receipt with two logs takes under a third of the
//! 390 bytes of the first encoding, and a block commit writes it twice (the WAL, then the
//! database file; BENCHMARKS.md, "The chain store's writes").
//!
//! `end[i]` is where entry `i` ends, counted from the first entry, so that one receipt is read
//! without decoding the others (the block's tables are read once). The outcome is 0
//! (success), 1 (revert) or 2 (halt), plus 0x80 when no fee was taken (a queue entry or a
//! credit of the block, docs/fees.md §8).
//!
//! Values written before (the first encoding, which a count below 0xff000000 begins) are read
//! as they were:
//!
//! ```text
//! receipts := count:u32 ‖ end:u32 × count ‖ entry × count
//! entry    := outcome:u8 ‖ gas_used:u64 ‖ len:u32 ‖ output ‖ logs:u32 ‖ log × logs
//! log      := address:20 ‖ topics:u8 ‖ topic:32 × topics ‖ len:u32 ‖ data
//! ```

use crate::{IncludedTx, Store, StoreError, StoredLog, parse_outcome};
use alloy_primitives::{Address, B256, Bytes, map::HashMap};
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

/// The first bytes of a value of the second encoding.
const V2: [u8; 2] = [0xff, 0x02];

/// Appends `v` as unsigned LEB128.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A 32-byte word without its leading zero bytes.
fn significant(word: &[u8]) -> &[u8] {
    let zeros = word.iter().take_while(|b| **b == 0).count();
    &word[zeros..]
}

/// Appends `data`: as 32-byte words without their leading zeros when that is shorter.
fn put_data(out: &mut Vec<u8>, data: &[u8]) {
    if !data.is_empty() && data.len().is_multiple_of(32) {
        let stripped: usize = data.chunks_exact(32).map(|w| 1 + significant(w).len()).sum();
        if stripped < data.len() {
            put_varint(out, 2 * (data.len() / 32) as u64 + 1);
            for word in data.chunks_exact(32) {
                let kept = significant(word);
                out.push(kept.len() as u8);
                out.extend_from_slice(kept);
            }
            return;
        }
    }
    put_varint(out, 2 * data.len() as u64);
    out.extend_from_slice(data);
}

/// Encodes the receipts of a block's transactions, in order.
pub(crate) fn encode<'a, I>(receipts: I) -> Result<Vec<u8>, StoreError>
where
    I: ExactSizeIterator<Item = (TxStatus, bool, u64, &'a [u8], &'a [StoredLog])>,
{
    let receipts: Vec<_> = receipts.collect();
    // The block's tables: every emitting contract, and every topic found twice or more, in
    // the order they first appear.
    let mut addresses: Vec<Address> = Vec::new();
    let mut address_index: HashMap<Address, usize> = HashMap::default();
    let mut seen: HashMap<B256, u32> = HashMap::default();
    let mut order: Vec<B256> = Vec::new();
    for (_, _, _, _, logs) in &receipts {
        for log in logs.iter() {
            address_index.entry(log.address).or_insert_with(|| {
                addresses.push(log.address);
                addresses.len() - 1
            });
            for topic in &log.topics {
                let count = seen.entry(*topic).or_insert_with(|| {
                    order.push(*topic);
                    0
                });
                *count += 1;
            }
        }
    }
    let words: Vec<B256> = order.into_iter().filter(|w| seen.get(w).is_some_and(|c| *c >= 2)).collect();
    let word_index: HashMap<B256, usize> = words.iter().enumerate().map(|(i, w)| (*w, i)).collect();

    let mut entries = Vec::new();
    let mut ends = Vec::with_capacity(receipts.len());
    for (outcome, fee_exempt, gas_used, output, logs) in &receipts {
        entries.push(outcome_byte(*outcome) | if *fee_exempt { FEE_EXEMPT } else { 0 });
        put_varint(&mut entries, *gas_used);
        put_data(&mut entries, output);
        put_varint(&mut entries, logs.len() as u64);
        for log in logs.iter() {
            put_varint(&mut entries, address_index[&log.address] as u64);
            let topics = u8::try_from(log.topics.len())
                .map_err(|_| StoreError::Corrupt(format!("a log with {} topics", log.topics.len())))?;
            entries.push(topics);
            for topic in &log.topics {
                match word_index.get(topic) {
                    Some(i) => put_varint(&mut entries, *i as u64),
                    None => {
                        let kept = significant(topic.as_slice());
                        put_varint(&mut entries, (words.len() + kept.len()) as u64);
                        entries.extend_from_slice(kept);
                    }
                }
            }
            put_data(&mut entries, &log.data);
        }
        ends.push(len_u32(entries.len(), "a block's receipts")?);
    }
    let mut out = Vec::with_capacity(64 + 20 * addresses.len() + 33 * words.len() + 4 * ends.len() + entries.len());
    out.extend_from_slice(&V2);
    out.extend_from_slice(&len_u32(receipts.len(), "a block's transactions")?.to_be_bytes());
    out.extend_from_slice(&len_u32(addresses.len(), "a block's emitting contracts")?.to_be_bytes());
    for address in &addresses {
        out.extend_from_slice(address.as_slice());
    }
    out.extend_from_slice(&len_u32(words.len(), "a block's repeated topics")?.to_be_bytes());
    for word in &words {
        let kept = significant(word.as_slice());
        out.push(kept.len() as u8);
        out.extend_from_slice(kept);
    }
    for end in ends {
        out.extend_from_slice(&end.to_be_bytes());
    }
    out.extend_from_slice(&entries);
    Ok(out)
}

/// Encodes in the first encoding (what blocks sealed before the second hold).
#[cfg(test)]
pub(crate) fn encode_v1<'a, I>(receipts: I) -> Result<Vec<u8>, StoreError>
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
            entries.push(log.topics.len() as u8);
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
    /// The block's tables (second encoding), `None` for the first.
    tables: Option<Tables>,
}

/// The tables of a value of the second encoding.
#[derive(Debug)]
struct Tables {
    addresses: Vec<Address>,
    words: Vec<B256>,
}

impl<'a> BlockReceipts<'a> {
    /// Reads the header of an encoded value (and its tables).
    pub(crate) fn new(value: &'a [u8]) -> Result<Self, StoreError> {
        let mut c = Cursor(value);
        let tables = if value.starts_with(&V2) {
            c.take(2)?;
            let count = c.u32()? as usize;
            let n = c.u32()? as usize;
            let addresses =
                c.take(n.checked_mul(20).ok_or_else(corrupt)?)?.chunks_exact(20).map(Address::from_slice).collect();
            let n = c.u32()? as usize;
            // Each word takes at least a byte: a count beyond what is left is corrupt, not an
            // allocation to make.
            let mut words = Vec::with_capacity(n.min(c.0.len()));
            for _ in 0..n {
                words.push(c.word()?);
            }
            Some((count, Tables { addresses, words }))
        } else {
            None
        };
        let count = match &tables {
            Some((count, _)) => *count,
            None => c.u32()? as usize,
        };
        let table = c.take(count.checked_mul(4).ok_or_else(corrupt)?)?;
        Ok(Self { ends: table, entries: c.0, tables: tables.map(|(_, t)| t) })
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
        match &self.tables {
            Some(tables) => decode_entry_v2(entry, tables),
            None => decode_entry(entry),
        }
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

    fn varint(&mut self) -> Result<u64, StoreError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(StoreError::Corrupt("a receipt's number overflows".into()));
            }
            v |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StoreError::Corrupt("a receipt's number overflows".into()))
    }

    /// `n:u8 ‖ n bytes`, the last bytes of a 32-byte word.
    fn word(&mut self) -> Result<B256, StoreError> {
        let n = usize::from(self.u8()?);
        self.word_of(n)
    }

    /// The last `n` bytes of a 32-byte word.
    fn word_of(&mut self, n: usize) -> Result<B256, StoreError> {
        if n > 32 {
            return Err(StoreError::Corrupt(format!("a word of {n} bytes in a receipt")));
        }
        let mut word = B256::ZERO;
        word[32 - n..].copy_from_slice(self.take(n)?);
        Ok(word)
    }

    /// `data(d)` of the second encoding.
    fn data(&mut self) -> Result<Bytes, StoreError> {
        let v = self.varint()?;
        let half = usize::try_from(v / 2).map_err(|_| corrupt())?;
        if v % 2 == 0 {
            return Ok(Bytes::copy_from_slice(self.take(half)?));
        }
        // Each word takes at least a byte.
        if half > self.0.len() {
            return Err(corrupt());
        }
        let mut out = Vec::with_capacity(32 * half);
        for _ in 0..half {
            out.extend_from_slice(self.word()?.as_slice());
        }
        Ok(Bytes::from(out))
    }
}

/// The outcome byte's outcome and fee flag.
fn outcome_of(byte: u8) -> Result<(TxStatus, bool), StoreError> {
    let outcome = match byte & !FEE_EXEMPT {
        0 => TxStatus::Success,
        1 => TxStatus::Revert,
        2 => TxStatus::Halt,
        other => return Err(StoreError::Corrupt(format!("unknown receipt outcome {other}"))),
    };
    Ok((outcome, byte & FEE_EXEMPT != 0))
}

fn decode_entry_v2(entry: &[u8], tables: &Tables) -> Result<ReceiptEntry, StoreError> {
    let mut c = Cursor(entry);
    let (outcome, fee_exempt) = outcome_of(c.u8()?)?;
    let gas_used = c.varint()?;
    let output = c.data()?;
    let count = usize::try_from(c.varint()?).map_err(|_| corrupt())?;
    // Each log takes at least 3 bytes: a count beyond what is left is corrupt, not an
    // allocation to make.
    let mut logs = Vec::with_capacity(count.min(c.0.len() / 3));
    for _ in 0..count {
        let i = usize::try_from(c.varint()?).map_err(|_| corrupt())?;
        let address =
            *tables.addresses.get(i).ok_or_else(|| StoreError::Corrupt(format!("no emitting contract {i}")))?;
        let topics = (0..c.u8()?)
            .map(|_| {
                let i = usize::try_from(c.varint()?).map_err(|_| corrupt())?;
                match tables.words.get(i) {
                    Some(word) => Ok(*word),
                    None => c.word_of(i - tables.words.len()),
                }
            })
            .collect::<Result<_, StoreError>>()?;
        let data = c.data()?;
        logs.push(StoredLog { address, topics, data });
    }
    if !c.0.is_empty() {
        return Err(StoreError::Corrupt(format!("a receipt has {} bytes past its logs", c.0.len())));
    }
    Ok(ReceiptEntry { outcome, gas_used, output, logs, fee_exempt })
}

fn decode_entry(entry: &[u8]) -> Result<ReceiptEntry, StoreError> {
    let mut c = Cursor(entry);
    let (outcome, fee_exempt) = outcome_of(c.u8()?)?;
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
    /// transactions' rows (`tx_legacy` since migration 0022) into their block's `receipts` (once: a database created with it has
    /// none to move), newest first, each block in one database transaction with the progress.
    /// Returns how many blocks it moved.
    pub async fn backfill_receipts(&self) -> Result<u64, StoreError> {
        let mut below = self.backfill_below("receipts_backfill").await?;
        let mut moved = 0;
        while below > 0 {
            let number = i64_of(below - 1)?;
            let rows = sqlx::query(
                "SELECT tx_index, outcome, gas_used, output, logs FROM tx_legacy WHERE block_number = $1
                 ORDER BY tx_index",
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
                "UPDATE tx_legacy SET outcome = NULL, gas_used = NULL, output = NULL, logs = NULL
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
        let mut word = [0u8; 64];
        word[31] = 5;
        word[40] = 1;
        let entries = vec![
            entry(TxStatus::Success, 21_000, &[1; 32], vec![log(1, 3, &[7; 32]), log(2, 0, &[])]),
            entry(TxStatus::Revert, 30_000, b"reason", vec![]),
            entry(TxStatus::Halt, u64::MAX, &word, vec![log(3, 4, &[9; 100]), log(1, 2, &word)]),
            ReceiptEntry { fee_exempt: true, ..entry(TxStatus::Revert, 0, &[0; 32], vec![log(4, 1, &[])]) },
            entry(
                TxStatus::Success,
                1,
                &[],
                vec![StoredLog {
                    address: Address::ZERO,
                    topics: vec![B256::ZERO, B256::with_last_byte(3)],
                    data: Bytes::new(),
                }],
            ),
        ];
        let v1 = encode_v1(
            entries.iter().map(|e| (e.outcome, e.fee_exempt, e.gas_used, e.output.as_ref(), e.logs.as_slice())),
        )
        .expect("encodes");
        // The second encoding, and the first (blocks sealed before), read back alike.
        for value in [encoded(&entries), v1] {
            let block = BlockReceipts::new(&value).expect("header");
            assert_eq!(block.len(), entries.len());
            for (i, e) in entries.iter().enumerate() {
                assert_eq!(&block.get(i).expect("entry"), e);
            }
            assert_eq!(block.all().expect("all"), entries);
            assert!(block.get(entries.len()).is_err());
        }
        let empty = encoded(&[]);
        assert_eq!(BlockReceipts::new(&empty).expect("header").all().expect("none"), vec![]);
        assert_eq!(BlockReceipts::new(&[0, 0, 0, 0]).expect("header").all().expect("none"), vec![]);
    }

    /// A block of token transfers (two logs each, as the ledger and the token emit them)
    /// takes a fraction of the first encoding's bytes.
    #[test]
    fn a_block_of_transfers_is_a_fraction_of_the_first_encoding() {
        let entries: Vec<ReceiptEntry> = (0..1_000u64)
            .map(|i| {
                let from = B256::left_padding_from(Address::with_last_byte((i % 300) as u8).as_slice());
                let to = alloy_primitives::keccak256(i.to_be_bytes());
                let amount = Bytes::from(B256::from(alloy_primitives::U256::from(i * 1_000)).to_vec());
                let logs = vec![
                    StoredLog {
                        address: Address::repeat_byte(0x42),
                        topics: vec![B256::repeat_byte(0xdd), B256::repeat_byte(1), from, to],
                        data: amount.clone(),
                    },
                    StoredLog {
                        address: Address::repeat_byte(1),
                        topics: vec![B256::repeat_byte(0xdd), from, to],
                        data: amount,
                    },
                ];
                entry(TxStatus::Success, 48_000, B256::with_last_byte(1).as_slice(), logs)
            })
            .collect();
        let v2 = encoded(&entries);
        let v1 = encode_v1(
            entries.iter().map(|e| (e.outcome, e.fee_exempt, e.gas_used, e.output.as_ref(), e.logs.as_slice())),
        )
        .expect("encodes");
        assert!(v2.len() * 3 < v1.len(), "{} bytes against {}", v2.len(), v1.len());
        assert_eq!(BlockReceipts::new(&v2).expect("header").all().expect("all"), entries);
    }

    #[test]
    fn a_damaged_value_is_an_error_not_a_panic() {
        let log = StoredLog {
            address: Address::repeat_byte(3),
            topics: vec![B256::repeat_byte(1), B256::with_last_byte(2)],
            data: Bytes::from(B256::with_last_byte(9).to_vec()),
        };
        let value = encoded(&[
            entry(TxStatus::Success, 1, &[2; 5], vec![log.clone()]),
            entry(TxStatus::Revert, 300, &[], vec![log]),
        ]);
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
