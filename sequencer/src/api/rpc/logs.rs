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
