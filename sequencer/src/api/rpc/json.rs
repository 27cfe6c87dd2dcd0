//! JSON written directly for the answers clients poll most (logs, receipts): their fields are
//! hex strings, numbers and fixed keys, which need no escaping, while serde's writer checks
//! each character of each string (a receipt's 514-character bloom above all). Each writer is
//! held by a test to exactly what serde writes for the same value.

use alloy_consensus::{Eip658Value, ReceiptEnvelope};
use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::{Log, TransactionReceipt};
use rollup_chain_store::IndexedLog;

/// `bytes` as a JSON string `"0x…"` (lowercase hex).
pub(super) fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"\"0x");
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    // The slice is exactly twice as long as the input: encoding cannot fail.
    let _ = alloy_primitives::hex::encode_to_slice(bytes, &mut out[start..]);
    out.push(b'"');
}

/// `v` as a JSON quantity `"0x…"` (no leading zeros).
pub(super) fn push_quantity(out: &mut Vec<u8>, v: impl std::fmt::LowerHex) {
    use std::io::Write;
    let _ = write!(out, "\"{v:#x}\"");
}

/// An address or `null`.
fn push_address(out: &mut Vec<u8>, address: Option<&Address>) {
    match address {
        Some(a) => push_hex(out, a.as_slice()),
        None => out.extend_from_slice(b"null"),
    }
}

/// Where a log was emitted, as an RPC log names it.
struct LogAt {
    block_hash: B256,
    block_number: u64,
    block_timestamp: u64,
    tx_hash: B256,
    tx_index: u64,
    log_index: u64,
}

impl LogAt {
    /// Of an RPC log that names all of it.
    fn of(log: &Log) -> Option<Self> {
        Some(Self {
            block_hash: log.block_hash?,
            block_number: log.block_number?,
            block_timestamp: log.block_timestamp?,
            tx_hash: log.transaction_hash?,
            tx_index: log.transaction_index?,
            log_index: log.log_index?,
        })
    }
}

/// One RPC log object.
fn push_log(out: &mut Vec<u8>, address: &Address, topics: &[B256], data: &[u8], at: &LogAt) {
    out.extend_from_slice(br#"{"address":"#);
    push_hex(out, address.as_slice());
    out.extend_from_slice(br#","topics":["#);
    for (t, topic) in topics.iter().enumerate() {
        if t > 0 {
            out.push(b',');
        }
        push_hex(out, topic.as_slice());
    }
    out.extend_from_slice(br#"],"data":"#);
    push_hex(out, data);
    out.extend_from_slice(br#","blockHash":"#);
    push_hex(out, at.block_hash.as_slice());
    out.extend_from_slice(br#","blockNumber":"#);
    push_quantity(out, at.block_number);
    out.extend_from_slice(br#","blockTimestamp":"#);
    push_quantity(out, at.block_timestamp);
    out.extend_from_slice(br#","transactionHash":"#);
    push_hex(out, at.tx_hash.as_slice());
    out.extend_from_slice(br#","transactionIndex":"#);
    push_quantity(out, at.tx_index);
    out.extend_from_slice(br#","logIndex":"#);
    push_quantity(out, at.log_index);
    out.extend_from_slice(br#","removed":false}"#);
}

/// Index rows as the JSON array of RPC logs (`logs::to_rpc_logs` gives the same as types).
pub(super) fn logs_json(rows: &[IndexedLog]) -> Vec<u8> {
    let bytes: usize = rows.iter().map(|r| 420 + 68 * r.topics.len() + 2 * r.data.len()).sum();
    let mut out = Vec::with_capacity(bytes + 2);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let at = LogAt {
            block_hash: row.block_hash,
            block_number: row.block_number,
            block_timestamp: row.block_timestamp,
            tx_hash: row.tx_hash,
            tx_index: row.tx_index,
            log_index: row.log_index,
        };
        push_log(&mut out, &row.address, &row.topics, &row.data, &at);
    }
    out.push(b']');
    out
}

/// `receipt` as serde writes it, if it is of the shapes this node serves (a legacy or EIP-1559
/// receipt with an EIP-658 status, its logs placed in a block); `None` for any other, which
/// serde then writes.
pub(super) fn receipt_json(receipt: &TransactionReceipt) -> Option<Vec<u8>> {
    let (kind, inner) = match &receipt.inner {
        ReceiptEnvelope::Legacy(inner) => (0u8, inner),
        ReceiptEnvelope::Eip1559(inner) => (2, inner),
        _ => return None,
    };
    let Eip658Value::Eip658(success) = inner.receipt.status else { return None };
    let logs = &inner.receipt.logs;
    let places: Vec<LogAt> = logs.iter().map(LogAt::of).collect::<Option<_>>()?;
    let (Some(tx_index), Some(block_hash), Some(block_number)) =
        (receipt.transaction_index, receipt.block_hash, receipt.block_number)
    else {
        return None;
    };
    if receipt.blob_gas_used.is_some() || receipt.blob_gas_price.is_some() {
        return None;
    }
    let bytes: usize = logs.iter().map(|l| 420 + 68 * l.topics().len() + 2 * l.data().data.len()).sum();
    let mut out = Vec::with_capacity(1_000 + bytes);
    out.extend_from_slice(br#"{"type":"#);
    push_quantity(&mut out, kind);
    out.extend_from_slice(br#","status":"#);
    push_quantity(&mut out, u8::from(success));
    out.extend_from_slice(br#","cumulativeGasUsed":"#);
    push_quantity(&mut out, inner.receipt.cumulative_gas_used);
    out.extend_from_slice(br#","logs":["#);
    for (i, (log, at)) in logs.iter().zip(&places).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_log(&mut out, &log.inner.address, log.topics(), &log.data().data, at);
    }
    out.extend_from_slice(br#"],"logsBloom":"#);
    push_hex(&mut out, inner.logs_bloom.as_slice());
    out.extend_from_slice(br#","transactionHash":"#);
    push_hex(&mut out, receipt.transaction_hash.as_slice());
    out.extend_from_slice(br#","transactionIndex":"#);
    push_quantity(&mut out, tx_index);
    out.extend_from_slice(br#","blockHash":"#);
    push_hex(&mut out, block_hash.as_slice());
    out.extend_from_slice(br#","blockNumber":"#);
    push_quantity(&mut out, block_number);
    out.extend_from_slice(br#","gasUsed":"#);
    push_quantity(&mut out, receipt.gas_used);
    out.extend_from_slice(br#","effectiveGasPrice":"#);
    push_quantity(&mut out, receipt.effective_gas_price);
    out.extend_from_slice(br#","from":"#);
    push_hex(&mut out, receipt.from.as_slice());
    out.extend_from_slice(br#","to":"#);
    push_address(&mut out, receipt.to.as_ref());
    out.extend_from_slice(br#","contractAddress":"#);
    push_address(&mut out, receipt.contract_address.as_ref());
    out.push(b'}');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Receipt, ReceiptWithBloom};
    use alloy_primitives::{Bloom, Bytes};

    #[test]
    fn logs_written_directly_are_the_rpc_logs_serde_writes() {
        let row = |n: u64, topics: usize, data: &[u8]| IndexedLog {
            block_number: n,
            block_hash: B256::repeat_byte(n as u8),
            block_timestamp: 1_700_000_000 + n,
            log_index: n * 3,
            tx_index: n,
            tx_hash: B256::repeat_byte((n as u8).wrapping_add(0xa0)),
            address: Address::repeat_byte(0x42),
            topics: (0..topics).map(|t| B256::repeat_byte(t as u8 + 1)).collect(),
            data: Bytes::copy_from_slice(data),
        };
        for rows in
            [vec![], vec![row(0, 0, b"")], vec![row(1, 4, &[0, 1, 0xff]), row(255, 1, &[7; 100]), row(1 << 40, 2, b"")]]
        {
            let direct: serde_json::Value = serde_json::from_slice(&logs_json(&rows)).expect("valid JSON");
            let serde = serde_json::to_value(super::super::logs::to_rpc_logs(rows)).expect("serialized");
            assert_eq!(direct, serde);
        }
    }

    fn log(n: u64, topics: usize, data: &[u8]) -> Log {
        Log {
            inner: alloy_primitives::Log::new_unchecked(
                Address::repeat_byte(n as u8),
                (0..topics).map(|t| B256::repeat_byte(t as u8 + 9)).collect(),
                Bytes::copy_from_slice(data),
            ),
            block_hash: Some(B256::repeat_byte(0xbb)),
            block_number: Some(77),
            block_timestamp: Some(1_700_000_077),
            transaction_hash: Some(B256::repeat_byte(0xcc)),
            transaction_index: Some(5),
            log_index: Some(12 + n),
            removed: false,
        }
    }

    fn receipt(legacy: bool, success: bool, logs: Vec<Log>, to: Option<Address>, price: u128) -> TransactionReceipt {
        let mut bloom = Bloom::ZERO;
        for l in &logs {
            bloom.accrue_log(&l.inner);
        }
        let inner = ReceiptWithBloom {
            receipt: Receipt { status: Eip658Value::Eip658(success), cumulative_gas_used: 1 << 33, logs },
            logs_bloom: bloom,
        };
        TransactionReceipt {
            inner: if legacy { ReceiptEnvelope::Legacy(inner) } else { ReceiptEnvelope::Eip1559(inner) },
            transaction_hash: B256::repeat_byte(0xcc),
            transaction_index: Some(5),
            block_hash: Some(B256::repeat_byte(0xbb)),
            block_number: Some(77),
            gas_used: 51_234,
            effective_gas_price: price,
            blob_gas_used: None,
            blob_gas_price: None,
            from: Address::repeat_byte(0xf0),
            to,
            contract_address: None,
        }
    }

    /// Every shape the node serves, written directly, is what serde writes; the others are left
    /// to serde.
    #[test]
    fn receipts_written_directly_are_what_serde_writes() {
        let to = Some(Address::repeat_byte(0x70));
        let cases = [
            receipt(false, true, vec![log(1, 3, &[0; 32]), log(2, 0, b""), log(3, 4, &[1, 2, 3])], to, 1_000_000_007),
            receipt(false, false, vec![], to, 0),
            receipt(true, true, vec![log(4, 1, &[0xff; 70])], None, u128::MAX),
            receipt(true, false, vec![], None, 7),
        ];
        for r in &cases {
            let direct: serde_json::Value =
                serde_json::from_slice(&receipt_json(r).expect("a shape the node serves")).expect("valid JSON");
            assert_eq!(direct, serde_json::to_value(r).expect("serialized"));
        }
        let mut blob = cases[0].clone();
        blob.blob_gas_used = Some(1);
        assert!(receipt_json(&blob).is_none(), "left to serde");
        let mut unplaced = cases[0].clone();
        if let ReceiptEnvelope::Eip1559(inner) = &mut unplaced.inner {
            inner.receipt.logs[1].block_timestamp = None;
        }
        assert!(receipt_json(&unplaced).is_none(), "left to serde");
    }
}
