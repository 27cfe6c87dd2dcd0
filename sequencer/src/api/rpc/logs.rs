//! Logs for `eth_getLogs`, `eth_getFilterLogs` and log filters: a filter is resolved against
//! the chain into a [`LogQuery`] over the log index, bounded in blocks and in results
//! (docs/api.md §3.3).

use super::error::RpcError;
use crate::node::Node;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U64;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use rollup_chain_store::{IndexedLog, LogQuery};

/// Most blocks one log query spans.
pub(crate) const MAX_LOG_RANGE: u64 = 10_000;

/// The block a tag or number names, with the head for the tags.
fn number_of(tag: BlockNumberOrTag, head: u64) -> u64 {
    match tag {
        BlockNumberOrTag::Number(n) => n,
        BlockNumberOrTag::Earliest => 0,
        _ => head,
    }
}

/// What `filter` asks for, over blocks `from..=to` (empty when `from > to`).
pub(super) fn criteria(filter: &Filter, from: u64, to: u64) -> LogQuery {
    LogQuery {
        from_block: from,
        to_block: to,
        addresses: filter.address.iter().copied().collect(),
        topics: std::array::from_fn(|i| filter.topics[i].iter().copied().collect()),
    }
}

/// The blocks a filter's range names, with `head` for the tags and open ends and the end
/// clamped to it; `None` for a filter by block hash or a range [`resolve`] refuses.
pub(super) fn range(filter: &Filter, head: u64) -> Option<(u64, u64)> {
    let FilterBlockOption::Range { from_block, to_block } = filter.block_option else { return None };
    checked_range(from_block, to_block, head).ok()
}

/// The blocks `from_block..=to_block` name at `head` (open ends at the head, the end clamped
/// to it), refused when reversed or longer than [`MAX_LOG_RANGE`].
fn checked_range(
    from_block: Option<BlockNumberOrTag>,
    to_block: Option<BlockNumberOrTag>,
    head: u64,
) -> Result<(u64, u64), RpcError> {
    let from = from_block.map_or(head, |t| number_of(t, head));
    let to = to_block.map_or(head, |t| number_of(t, head));
    if from > to {
        return Err(RpcError::invalid_params(format!(
            "invalid block range params: fromBlock {from} is after toBlock {to}"
        )));
    }
    // The range asked for is bounded, whether or not the chain reaches its end yet.
    if to - from >= MAX_LOG_RANGE {
        return Err(RpcError::limit(
            "block_range_too_large",
            format!("block range too large: {} blocks, at most {MAX_LOG_RANGE} per query", to - from + 1),
        ));
    }
    Ok((from, to.min(head)))
}

/// Resolves `filter` against the chain: its block hash, or its range (open ends at the head,
/// the end clamped to it), checked against [`MAX_LOG_RANGE`].
pub(super) async fn resolve(node: &Node, filter: &Filter) -> Result<LogQuery, RpcError> {
    let head = node.head().header.number;
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let number = match node.recent().block_by_hash(&hash) {
                Some(recent) => recent.block.header.number,
                None => {
                    let block = node.store().block_by_hash(hash).await?;
                    block.ok_or_else(|| RpcError::new(-32000, "unknown block"))?.header.number
                }
            };
            (number, number)
        }
        FilterBlockOption::Range { from_block, to_block } => checked_range(from_block, to_block, head)?,
    };
    Ok(criteria(filter, from, to))
}

/// The logs `query` matches, refused past the node's bound (`max_logs`) with the range that
/// would fit.
pub(super) async fn get_logs(node: &Node, query: &LogQuery) -> Result<Vec<IndexedLog>, RpcError> {
    if query.from_block > query.to_block {
        return Ok(Vec::new());
    }
    let max = node.config().max_logs;
    // Recent blocks from memory, the same rows the database gives (node/recent.rs).
    let rows = match node.recent().logs(query, max + 1) {
        Some(rows) => rows,
        None => node.store().logs(query, max + 1).await?,
    };
    if rows.len() > max {
        let last = rows[max].block_number;
        let fits = last.saturating_sub(1).max(query.from_block);
        return Err(RpcError::limit(
            "too_many_results",
            format!(
                "query returned more than {max} results. Try with this block range [{:#x}, {:#x}].",
                U64::from(query.from_block),
                U64::from(fits)
            ),
        ));
    }
    Ok(rows)
}

/// Index rows as RPC logs.
pub(super) fn to_rpc_logs(rows: Vec<IndexedLog>) -> Vec<Log> {
    rows.into_iter()
        .map(|row| Log {
            inner: alloy_primitives::Log::new_unchecked(row.address, row.topics, row.data),
            block_hash: Some(row.block_hash),
            block_number: Some(row.block_number),
            block_timestamp: Some(row.block_timestamp),
            transaction_hash: Some(row.tx_hash),
            transaction_index: Some(row.tx_index),
            log_index: Some(row.log_index),
            removed: false,
        })
        .collect()
}

/// Index rows as the JSON array of RPC logs `to_rpc_logs` gives, written directly: a log's
/// fields are hex strings and numbers, which need no escaping, and a log query's answer is
/// hundreds of kilobytes (serde's writer spends most of its time checking each character).
pub(super) fn logs_json(rows: &[IndexedLog]) -> Vec<u8> {
    let bytes: usize = rows.iter().map(|r| 420 + 68 * r.topics.len() + 2 * r.data.len()).sum();
    let mut out = Vec::with_capacity(bytes + 2);
    out.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"address":"#);
        push_hex(&mut out, row.address.as_slice());
        out.extend_from_slice(br#","topics":["#);
        for (t, topic) in row.topics.iter().enumerate() {
            if t > 0 {
                out.push(b',');
            }
            push_hex(&mut out, topic.as_slice());
        }
        out.extend_from_slice(br#"],"data":"#);
        push_hex(&mut out, &row.data);
        out.extend_from_slice(br#","blockHash":"#);
        push_hex(&mut out, row.block_hash.as_slice());
        out.extend_from_slice(br#","blockNumber":"#);
        push_quantity(&mut out, row.block_number);
        out.extend_from_slice(br#","blockTimestamp":"#);
        push_quantity(&mut out, row.block_timestamp);
        out.extend_from_slice(br#","transactionHash":"#);
        push_hex(&mut out, row.tx_hash.as_slice());
        out.extend_from_slice(br#","transactionIndex":"#);
        push_quantity(&mut out, row.tx_index);
        out.extend_from_slice(br#","logIndex":"#);
        push_quantity(&mut out, row.log_index);
        out.extend_from_slice(br#","removed":false}"#);
    }
    out.push(b']');
    out
}

/// `bytes` as a JSON string `"0x…"` (lowercase hex).
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"\"0x");
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    // The slice is exactly twice as long as the input: encoding cannot fail.
    let _ = alloy_primitives::hex::encode_to_slice(bytes, &mut out[start..]);
    out.push(b'"');
}

/// `v` as a JSON quantity `"0x…"` (no leading zeros).
fn push_quantity(out: &mut Vec<u8>, v: u64) {
    use std::io::Write;
    let _ = write!(out, "\"{v:#x}\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, Bytes};

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
            let serde = serde_json::to_value(to_rpc_logs(rows)).expect("serialized");
            assert_eq!(direct, serde);
        }
    }
}
