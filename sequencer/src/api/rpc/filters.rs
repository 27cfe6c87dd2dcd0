//! Installed filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`)
//! polled with `eth_getFilterChanges`: each keeps a cursor, and one not polled for
//! [`FILTER_TIMEOUT`] is removed, as geth does (docs/api.md §3.4).

use super::{
    error::RpcError,
    logs::{MAX_LOG_RANGE, criteria, get_logs, resolve, to_rpc_logs},
};
use crate::node::{Node, lock};
use alloy_primitives::{B256, U128, keccak256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// A filter not polled for this long is removed.
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(300);
/// Most filters installed at once, over all clients.
pub(crate) const MAX_FILTERS: usize = 10_000;
/// Most block or transaction hashes one poll returns (the rest come with the next poll).
const MAX_HASHES: usize = 10_000;

#[derive(Debug)]
enum Kind {
    /// Logs matching the filter, in blocks after `next - 1`.
    Logs { filter: Box<Filter>, next: u64 },
    /// Hashes of blocks from `next` on.
    Blocks { next: u64 },
    /// Transactions newly held from cursor `next` on.
    Pending { next: u64 },
}

#[derive(Debug)]
struct Installed {
    kind: Kind,
    polled: Instant,
}

/// The filters installed on this node.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    installed: Mutex<HashMap<U128, Installed>>,
    counter: AtomicU64,
}

impl Filters {
    /// An identifier no one can guess from another's (so one client cannot poll or remove
    /// another's filter by counting).
    pub(super) fn new_id(&self) -> U128 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let seed = keccak256(
            [&n.to_be_bytes()[..], &nanos.to_be_bytes(), &(self as *const Self as usize).to_be_bytes()].concat(),
        );
        U128::from_be_slice(&seed[..16])
    }

    fn install(&self, kind: Kind) -> Result<Value, RpcError> {
        let mut installed = lock!(self.installed.lock());
        installed.retain(|_, f| f.polled.elapsed() < FILTER_TIMEOUT);
        if installed.len() >= MAX_FILTERS {
            return Err(RpcError::limit(
                "too_many_filters",
                format!("too many filters installed ({MAX_FILTERS}); uninstall some or let them expire"),
            ));
        }
        let id = self.new_id();
        installed.insert(id, Installed { kind, polled: Instant::now() });
        Ok(json!(id))
    }

    /// `eth_newFilter`: logs from the filter's `fromBlock` (the next block when it is open or
    /// a tag), checked like `eth_getLogs`.
    pub(super) async fn new_log_filter(&self, node: &Node, filter: Filter) -> Result<Value, RpcError> {
        let head = node.head().header.number;
        let next = match filter.block_option {
            FilterBlockOption::AtBlockHash(_) => {
                return Err(RpcError::invalid_params("a filter takes fromBlock and toBlock, not blockHash"));
            }
            FilterBlockOption::Range { from_block: Some(alloy_eips::BlockNumberOrTag::Number(n)), .. } => n,
            FilterBlockOption::Range { from_block: Some(alloy_eips::BlockNumberOrTag::Earliest), .. } => 0,
            FilterBlockOption::Range { .. } => head + 1,
        };
        self.install(Kind::Logs { filter: Box::new(filter), next })
    }

    /// `eth_newBlockFilter`: hashes of the blocks after the head.
    pub(super) fn new_block_filter(&self, node: &Node) -> Result<Value, RpcError> {
        self.install(Kind::Blocks { next: node.head().header.number + 1 })
    }

    /// `eth_newPendingTransactionFilter`: hashes of the transactions held from now on.
    pub(super) fn new_pending_filter(&self, node: &Node) -> Result<Value, RpcError> {
        self.install(Kind::Pending { next: node.events().pending_cursor() })
    }

    /// `eth_uninstallFilter`.
    pub(super) fn uninstall(&self, id: U128) -> bool {
        lock!(self.installed.lock()).remove(&id).is_some()
    }

    fn not_found() -> RpcError {
        RpcError::new(-32000, "filter not found")
    }

    /// `eth_getFilterChanges`: what arrived since the last poll, and the cursor moves past it.
    pub(super) async fn changes(&self, node: &Node, id: U128) -> Result<Value, RpcError> {
        // The cursor is read, then written back once the answer is built (a concurrent poll
        // of the same filter may return the same changes; none is lost).
        let kind = {
            let mut installed = lock!(self.installed.lock());
            let f = installed.get_mut(&id).ok_or_else(Self::not_found)?;
            f.polled = Instant::now();
            match &f.kind {
                Kind::Logs { filter, next } => Kind::Logs { filter: filter.clone(), next: *next },
                Kind::Blocks { next } => Kind::Blocks { next: *next },
                Kind::Pending { next } => Kind::Pending { next: *next },
            }
        };
        let head = node.head().header.number;
        let (answer, next) = match kind {
            Kind::Pending { next } => {
                let (hashes, next) = node.events().pending_since(next, MAX_HASHES);
                (json!(hashes), next)
            }
            Kind::Blocks { next } => {
                let blocks = node.store().blocks_from(next, MAX_HASHES as u64).await?;
                let hashes: Vec<B256> = blocks.iter().filter(|b| b.header.number <= head).map(|b| b.hash).collect();
                (json!(hashes), next + hashes.len() as u64)
            }
            Kind::Logs { filter, next } => {
                let end = filter.block_option.get_to_block().map_or(head, |t| match t {
                    alloy_eips::BlockNumberOrTag::Number(n) => (*n).min(head),
                    _ => head,
                });
                if next > end {
                    (json!([]), next)
                } else {
                    let to = end.min(next + MAX_LOG_RANGE - 1);
                    let query = criteria(&filter, next, to);
                    let max = node.config().max_logs;
                    let mut rows = node.store().logs(&query, max + 1).await?;
                    let mut to = to;
                    if rows.len() > max {
                        // Whole blocks only: the rest comes with the next poll.
                        let last = rows[max].block_number;
                        if last > next {
                            rows.retain(|r| r.block_number < last);
                            to = last - 1;
                        } else {
                            rows = node.store().logs(&criteria(&filter, last, last), usize::MAX >> 1).await?;
                            to = last;
                        }
                    }
                    (json!(to_rpc_logs(rows)), to + 1)
                }
            }
        };
        let mut installed = lock!(self.installed.lock());
        if let Some(f) = installed.get_mut(&id) {
            match &mut f.kind {
                Kind::Logs { next: n, .. } | Kind::Blocks { next: n } | Kind::Pending { next: n } => {
                    *n = (*n).max(next)
                }
            }
        }
        Ok(answer)
    }

    /// `eth_getFilterLogs`: every log the filter matches, as `eth_getLogs` would answer.
    pub(super) async fn logs(&self, node: &Node, id: U128) -> Result<Value, RpcError> {
        let filter = {
            let mut installed = lock!(self.installed.lock());
            let f = installed.get_mut(&id).ok_or_else(Self::not_found)?;
            f.polled = Instant::now();
            match &f.kind {
                Kind::Logs { filter, .. } => filter.clone(),
                _ => return Err(Self::not_found()),
            }
        };
        let query = resolve(node, &filter).await?;
        Ok(json!(to_rpc_logs(get_logs(node, &query).await?)))
    }
}
