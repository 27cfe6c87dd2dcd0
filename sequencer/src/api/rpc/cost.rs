//! What a JSON-RPC request costs, in work units of about a microsecond of one core
//! (docs/api.md §5, "Work budgets"). A request is estimated before it runs, from its
//! parameters, and charged after, from what it did: its answer's bytes (serializing and
//! sending an answer costs about a microsecond per 16 bytes, measured on `eth_feeHistory`
//! answers: 3.6 ms for 56 kB) and the gas of its calls (an `eth_call` that burns 5,000,000 gas
//! in the ecrecover precompile runs about 0.23 s: 20 gas a unit).

use super::{logs, request::EthRequest};
use crate::node::Node;

/// Least a request costs: parsing, dispatch, the smallest answer.
pub(super) const BASE: u64 = 2;
/// Bytes of answer per unit.
pub(super) const BYTES_PER_UNIT: u64 = 16;
/// Gas of calls per unit.
pub(super) const GAS_PER_UNIT: u64 = 20;
/// A lookup in the chain database (a transaction, a receipt, a block's header).
const LOOKUP: u64 = 50;
/// Building one state proof (a path of the state tree).
const PROOF_KEY: u64 = 100;
/// Tracing a block again before its answer is counted: its records, its queue entries, the
/// state before it, and running it (a block of a few thousand transfers runs in tens of
/// milliseconds; what it answers is charged by its bytes after).
const TRACE: u64 = 4 * LOOKUP + 10_000;
/// Bytes of an `eth_feeHistory` answer per value (a base fee, a ratio or a reward).
const FEE_HISTORY_VALUE_BYTES: u64 = 8;

/// Most logs a query over recent blocks answers where it arrives (beyond, it waits for a
/// query slot like any other): about a millisecond of work.
const INLINE_LOGS: usize = 2_000;

/// Whether a request sent alone is answered where it arrives instead of waiting for a query
/// slot: it answers in constant time from memory (reads at the head, a transaction or receipt
/// of a recent block, a small log query over recent blocks: `node.recent()`), or it waits in a
/// fair pool of its own (calls: the call threads; submissions: admission's rates and threads).
pub(super) fn answered_inline(request: &EthRequest, node: &Node) -> bool {
    use alloy_eips::{BlockId, BlockNumberOrTag};
    let at_head = |block: &Option<BlockId>| {
        matches!(block, None | Some(BlockId::Number(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending)))
    };
    match request {
        EthRequest::GetBalance(_, block)
        | EthRequest::GetCode(_, block)
        | EthRequest::GetStorageAt(_, _, block)
        | EthRequest::GetStorageValues(_, block)
        | EthRequest::GetTransactionCount(_, block)
        | EthRequest::Call(_, block)
        | EthRequest::EstimateGas(_, block) => at_head(block),
        EthRequest::GetTransactionReceipt(hash) | EthRequest::GetTransactionByHash(hash) => {
            node.recent().transaction(hash).is_some()
        }
        EthRequest::GetLogs(filter) => {
            let head = node.head().header.number;
            match logs::range(filter, head) {
                Some((from, to)) => node.recent().log_count(from, to).is_some_and(|n| n <= INLINE_LOGS),
                None => false,
            }
        }
        _ => matches!(
            request,
            EthRequest::ClientVersion
                | EthRequest::ChainId
                | EthRequest::NetVersion
                | EthRequest::NetListening
                | EthRequest::Syncing
                | EthRequest::Accounts
                | EthRequest::BlockNumber
                | EthRequest::ZeroFee
                | EthRequest::GasPrice
                | EthRequest::Capabilities
                | EthRequest::SendRawTransaction(_)
                | EthRequest::SendRawTransactionSync(..)
                | EthRequest::NewBlockFilter
                | EthRequest::NewPendingTransactionFilter
                | EthRequest::UninstallFilter(_)
        ),
    }
}

/// Whether the method runs EVM calls, which have a budget of their own per request (gas and
/// time) instead of the request's work units.
pub(super) const fn is_call(request: &EthRequest) -> bool {
    matches!(request, EthRequest::Call(..) | EthRequest::EstimateGas(..) | EthRequest::FillTransaction(_))
}

/// The work `request` is expected to cost, before it runs.
pub(super) fn estimate(request: &EthRequest, max_fee_history: u64) -> u64 {
    match request {
        EthRequest::FeeHistory { count, percentiles, .. } => {
            let blocks = count.to::<u64>().min(max_fee_history);
            let values = blocks * (2 + percentiles.as_ref().map_or(0, |p| p.len() as u64));
            BASE + values * FEE_HISTORY_VALUE_BYTES / BYTES_PER_UNIT
        }
        EthRequest::GetProof(_, slots, _) => LOOKUP + (1 + slots.len() as u64) * PROOF_KEY,
        EthRequest::GetStorageValues(requests, _) => BASE + requests.iter().map(|(_, s)| s.len() as u64).sum::<u64>(),
        EthRequest::GetTransactionByHash(_)
        | EthRequest::GetTransactionReceipt(_)
        | EthRequest::GetBlock(..)
        | EthRequest::GetBlockReceipts(_)
        | EthRequest::GetLogs(_)
        | EthRequest::NewFilter(_)
        | EthRequest::GetFilterChanges(_)
        | EthRequest::GetFilterLogs(_) => LOOKUP,
        EthRequest::Call(..) | EthRequest::EstimateGas(..) | EthRequest::FillTransaction(_) => LOOKUP,
        // The block runs again: a lookup of each of its parts, and its execution.
        EthRequest::TraceTransaction(..) | EthRequest::TraceBlock(..) => TRACE,
        _ => BASE,
    }
}

/// The work a request cost, once answered: at least its estimate, and what its answer and its
/// calls' gas say.
pub(super) fn charged(estimate: u64, answer_bytes: usize, call_gas: u64) -> u64 {
    estimate.max(BASE + answer_bytes as u64 / BYTES_PER_UNIT) + call_gas / GAS_PER_UNIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U64;

    #[test]
    fn fee_history_is_estimated_from_its_answer_and_capped_at_the_blocks_answered() {
        let request = |count: u64, p: usize| EthRequest::FeeHistory {
            count: U64::from(count),
            newest: alloy_eips::BlockNumberOrTag::Latest,
            percentiles: Some(vec![50.0; p]),
        };
        // 1024 blocks of 100 percentiles: 104,448 values of about 8 bytes, ~52,000 units.
        assert_eq!(estimate(&request(1_024, 100), 1_024), BASE + 1_024 * 102 * 8 / 16);
        assert_eq!(estimate(&request(1_000_000, 100), 1_024), estimate(&request(1_024, 100), 1_024));
        assert_eq!(estimate(&request(1, 0), 1_024), BASE + 1);
    }

    #[test]
    fn the_charge_follows_the_answer_and_the_gas() {
        assert_eq!(charged(50, 0, 0), 50);
        assert_eq!(charged(50, 16_000, 0), BASE + 1_000);
        assert_eq!(charged(50, 0, 5_000_000), 50 + 250_000);
    }
}
