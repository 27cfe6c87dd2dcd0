//! The JSON-RPC methods this node answers, parsed once from a request's `method` and `params`
//! into a typed [`EthRequest`]: the dispatcher never reads untyped parameters, and a new
//! method is one variant, one line in [`EthRequest::parse`] and one arm in the dispatcher.

use super::error::RpcError;
use crate::api::block::BlockTag;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, U64, U128, U256};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_rpc_types_trace::geth::GethDebugTracingOptions;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Most storage keys one `eth_getProof` proves, and one `eth_getStorageValues` reads.
pub(super) const MAX_PROOF_KEYS: usize = 1_000;

/// A parsed JSON-RPC request.
#[derive(Debug)]
pub(super) enum EthRequest {
    /// `web3_clientVersion`.
    ClientVersion,
    /// `eth_chainId`.
    ChainId,
    /// `net_version`.
    NetVersion,
    /// `net_listening`.
    NetListening,
    /// `eth_syncing`.
    Syncing,
    /// `eth_accounts`.
    Accounts,
    /// `eth_blockNumber`.
    BlockNumber,
    /// `eth_gasPrice` and `eth_baseFee`: the next block's base fee (docs/fees.md §3).
    GasPrice,
    /// `eth_capabilities`: which blocks each kind of read answers for.
    Capabilities,
    /// `eth_maxPriorityFeePerGas` and `eth_blobBaseFee`: no tip is needed (the sequencer orders
    /// by arrival), and the L2 has no blobs.
    ZeroFee,
    /// `eth_feeHistory`.
    FeeHistory {
        /// Blocks asked for.
        count: U64,
        /// The newest of them.
        newest: BlockNumberOrTag,
        /// Reward percentiles.
        percentiles: Option<Vec<f64>>,
    },
    /// `eth_getBalance`: the account's ether.
    GetBalance(Address, Option<BlockId>),
    /// `eth_getCode`.
    GetCode(Address, Option<BlockId>),
    /// `eth_getStorageAt`.
    GetStorageAt(Address, U256, Option<BlockId>),
    /// `eth_getStorageValues`: slots of several accounts at one block.
    GetStorageValues(Vec<(Address, Vec<U256>)>, Option<BlockId>),
    /// `eth_getTransactionCount`.
    GetTransactionCount(Address, Option<BlockId>),
    /// `eth_sendRawTransaction`, the hex as sent.
    SendRawTransaction(String),
    /// `eth_getTransactionByHash`.
    GetTransactionByHash(B256),
    /// `eth_getTransactionReceipt`.
    GetTransactionReceipt(B256),
    /// `eth_getBlockByNumber` and `eth_getBlockByHash`: a block id as the REST API takes it
    /// (`latest`, `earliest`, a number or a hash) and whether to give full transactions.
    GetBlock(BlockTag, bool),
    /// `eth_getBlockTransactionCountByHash` and `…ByNumber`.
    BlockTxCount(BlockTag),
    /// `eth_getUncleCountByBlockHash` and `…ByNumber`: 0 for a sealed block.
    UncleCount(BlockTag),
    /// `eth_getTransactionByBlockHashAndIndex` and `…NumberAndIndex`.
    TxByBlockAndIndex(BlockTag, U64),
    /// `eth_coinbase`: the blocks' beneficiary.
    Coinbase,
    /// `eth_createAccessList`: no access list changes what a transaction pays here.
    CreateAccessList(Box<TransactionRequest>, Option<BlockId>),
    /// `debug_getRawHeader`, `debug_getRawBlock`, `debug_getRawReceipts`.
    RawHeader(BlockTag),
    RawBlock(BlockTag),
    RawReceipts(BlockTag),
    /// `debug_getRawTransaction`.
    RawTransaction(B256),
    /// `debug_getBadBlocks`: none (the sequencer seals what it executed).
    BadBlocks,
    /// `debug_traceTransaction`: a transaction and the tracer's options.
    TraceTransaction(B256, Option<Box<GethDebugTracingOptions>>),
    /// `debug_traceBlockByNumber` and `debug_traceBlockByHash`.
    TraceBlock(BlockTag, Option<Box<GethDebugTracingOptions>>),
    /// `eth_call`.
    Call(Box<TransactionRequest>, Option<BlockId>),
    /// `eth_estimateGas`.
    EstimateGas(Box<TransactionRequest>, Option<BlockId>),
    /// `eth_fillTransaction`: the fields a wallet leaves out, filled.
    FillTransaction(Box<TransactionRequest>),
    /// `eth_sendRawTransactionSync` (EIP-7966): the hex as sent and the wait in milliseconds.
    SendRawTransactionSync(String, Option<u64>),
    /// `eth_getBlockReceipts`.
    GetBlockReceipts(BlockId),
    /// `eth_getLogs`.
    GetLogs(Box<Filter>),
    /// `eth_getProof`: an account, storage slots, a block.
    GetProof(Address, Vec<U256>, Option<BlockId>),
    /// `eth_newFilter`.
    NewFilter(Box<Filter>),
    /// `eth_newBlockFilter`.
    NewBlockFilter,
    /// `eth_newPendingTransactionFilter`.
    NewPendingTransactionFilter,
    /// `eth_getFilterChanges`.
    GetFilterChanges(U128),
    /// `eth_getFilterLogs`.
    GetFilterLogs(U128),
    /// `eth_uninstallFilter`.
    UninstallFilter(U128),
}

impl EthRequest {
    /// Parses `method` with its positional `params`.
    pub(super) fn parse(method: &str, params: Vec<Value>) -> Result<Self, RpcError> {
        let p = Params(params);
        Ok(match method {
            "web3_clientVersion" => Self::ClientVersion,
            "eth_chainId" => Self::ChainId,
            "net_version" => Self::NetVersion,
            "net_listening" => Self::NetListening,
            "eth_syncing" => Self::Syncing,
            "eth_accounts" => Self::Accounts,
            "eth_blockNumber" => Self::BlockNumber,
            "eth_gasPrice" | "eth_baseFee" => Self::GasPrice,
            "eth_capabilities" => Self::Capabilities,
            "eth_maxPriorityFeePerGas" | "eth_blobBaseFee" => Self::ZeroFee,
            "eth_feeHistory" => {
                let percentiles: Option<Vec<f64>> = p.opt(2, "reward percentiles")?;
                if let Some(p) = &percentiles {
                    check_percentiles(p)?;
                }
                Self::FeeHistory { count: p.req(0, "block count")?, newest: p.req(1, "newest block")?, percentiles }
            }
            "eth_getBalance" => Self::GetBalance(p.req(0, "address")?, p.opt(1, "block")?),
            "eth_getCode" => Self::GetCode(p.req(0, "address")?, p.opt(1, "block")?),
            "eth_getStorageAt" => Self::GetStorageAt(p.req(0, "address")?, p.req(1, "slot")?, p.opt(2, "block")?),
            "eth_getStorageValues" => {
                let requests: std::collections::BTreeMap<Address, Vec<U256>> = p.req(0, "storage requests")?;
                let slots: usize = requests.values().map(Vec::len).sum();
                if slots > MAX_PROOF_KEYS {
                    return Err(RpcError::invalid_params(format!(
                        "{slots} storage slots; at most {MAX_PROOF_KEYS} per eth_getStorageValues"
                    )));
                }
                Self::GetStorageValues(requests.into_iter().collect(), p.opt(1, "block")?)
            }
            "eth_getTransactionCount" => Self::GetTransactionCount(p.req(0, "address")?, p.opt(1, "block")?),
            "eth_sendRawTransaction" => Self::SendRawTransaction(p.req(0, "raw transaction")?),
            "eth_getTransactionByHash" => Self::GetTransactionByHash(p.req(0, "transaction hash")?),
            "eth_getTransactionReceipt" => Self::GetTransactionReceipt(p.req(0, "transaction hash")?),
            "eth_getBlockByNumber" | "eth_getBlockByHash" => {
                Self::GetBlock(p.block(0)?, p.opt(1, "full transactions")?.unwrap_or(false))
            }
            "eth_getBlockTransactionCountByHash" | "eth_getBlockTransactionCountByNumber" => {
                Self::BlockTxCount(p.block(0)?)
            }
            "eth_getUncleCountByBlockHash" | "eth_getUncleCountByBlockNumber" => Self::UncleCount(p.block(0)?),
            "eth_getTransactionByBlockHashAndIndex" | "eth_getTransactionByBlockNumberAndIndex" => {
                Self::TxByBlockAndIndex(p.block(0)?, p.req(1, "index")?)
            }
            "eth_coinbase" => Self::Coinbase,
            "eth_createAccessList" => Self::CreateAccessList(p.req(0, "transaction")?, p.opt(1, "block")?),
            "debug_getRawHeader" => Self::RawHeader(p.block(0)?),
            "debug_getRawBlock" => Self::RawBlock(p.block(0)?),
            "debug_getRawReceipts" => Self::RawReceipts(p.block(0)?),
            "debug_getRawTransaction" => Self::RawTransaction(p.req(0, "transaction hash")?),
            "debug_getBadBlocks" => Self::BadBlocks,
            "debug_traceTransaction" => {
                Self::TraceTransaction(p.req(0, "transaction hash")?, p.opt(1, "tracer options")?)
            }
            "debug_traceBlockByNumber" | "debug_traceBlockByHash" => {
                Self::TraceBlock(p.block(0)?, p.opt(1, "tracer options")?)
            }
            "eth_call" => Self::Call(p.req(0, "transaction")?, p.opt(1, "block")?),
            "eth_estimateGas" => Self::EstimateGas(p.req(0, "transaction")?, p.opt(1, "block")?),
            "eth_fillTransaction" => Self::FillTransaction(p.req(0, "transaction")?),
            "eth_sendRawTransactionSync" => {
                let timeout = match p.opt::<Value>(1, "timeout")? {
                    None => None,
                    Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
                        RpcError::invalid_params("parameter 1 (timeout): milliseconds as a non-negative integer")
                    })?),
                    Some(_) => Some(p.req::<U64>(1, "timeout")?.to::<u64>()),
                };
                Self::SendRawTransactionSync(p.req(0, "raw transaction")?, timeout)
            }
            "eth_getBlockReceipts" => Self::GetBlockReceipts(p.req(0, "block")?),
            "eth_getLogs" => Self::GetLogs(p.req(0, "filter")?),
            "eth_getProof" => {
                let slots: Vec<U256> = p.req(1, "storage keys")?;
                if slots.len() > MAX_PROOF_KEYS {
                    return Err(RpcError::invalid_params(format!(
                        "{} storage keys; at most {MAX_PROOF_KEYS} per eth_getProof",
                        slots.len()
                    )));
                }
                Self::GetProof(p.req(0, "address")?, slots, p.opt(2, "block")?)
            }
            "eth_newFilter" => Self::NewFilter(p.req(0, "filter")?),
            "eth_newBlockFilter" => Self::NewBlockFilter,
            "eth_newPendingTransactionFilter" => Self::NewPendingTransactionFilter,
            "eth_getFilterChanges" => Self::GetFilterChanges(p.req(0, "filter id")?),
            "eth_getFilterLogs" => Self::GetFilterLogs(p.req(0, "filter id")?),
            "eth_uninstallFilter" => Self::UninstallFilter(p.req(0, "filter id")?),
            "eth_subscribe" | "eth_unsubscribe" => {
                return Err(RpcError::new(
                    -32601,
                    format!(
                        "{method} is answered only over a WebSocket connection (ws:// on this port), as a single \
                         request, not a batch item"
                    ),
                ));
            }
            _ => return Err(RpcError::method_not_found(method)),
        })
    }
}

/// Positional parameters.
struct Params(Vec<Value>);

impl Params {
    /// Parameter `i`, which must be present.
    fn req<T: DeserializeOwned>(&self, i: usize, what: &str) -> Result<T, RpcError> {
        let v = self.0.get(i).ok_or_else(|| RpcError::invalid_params(format!("missing parameter {i}: {what}")))?;
        T::deserialize(v).map_err(|e| RpcError::invalid_params(format!("parameter {i} ({what}): {e}")))
    }

    /// Parameter `i` as a block: a number (hex or decimal), a hash or a tag (`pending`, `safe`
    /// and `finalized` are the head).
    fn block(&self, i: usize) -> Result<BlockTag, RpcError> {
        match self.req::<Value>(i, "block")? {
            Value::String(s) if s == "pending" || s == "safe" || s == "finalized" => Ok(BlockTag::Latest),
            Value::String(s) => BlockTag::parse(&s).map_err(Into::into),
            Value::Number(n) => BlockTag::parse(&n.to_string()).map_err(Into::into),
            other => Err(RpcError::invalid_params(format!("bad block id {other}"))),
        }
    }

    /// Parameter `i`, absent or `null` being `None`.
    fn opt<T: DeserializeOwned>(&self, i: usize, what: &str) -> Result<Option<T>, RpcError> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.req(i, what).map(Some),
        }
    }
}

/// Most reward percentiles `eth_feeHistory` answers for: the answer holds one reward per
/// percentile per block (up to 1024 blocks), so the count bounds its size (docs/api.md).
const MAX_REWARD_PERCENTILES: usize = 100;

/// Reward percentiles must be at most [`MAX_REWARD_PERCENTILES`], each within 0–100 and
/// non-decreasing (as geth requires).
fn check_percentiles(p: &[f64]) -> Result<(), RpcError> {
    if p.len() > MAX_REWARD_PERCENTILES {
        return Err(RpcError::invalid_params(format!(
            "too many reward percentiles: {}, at most {MAX_REWARD_PERCENTILES}",
            p.len()
        )));
    }
    if let Some(bad) = p.iter().find(|v| !(0.0..=100.0).contains(*v)) {
        return Err(RpcError::invalid_params(format!("invalid reward percentile {bad}: not within 0 and 100")));
    }
    if let Some(w) = p.windows(2).find(|w| w[1] < w[0]) {
        return Err(RpcError::invalid_params(format!(
            "invalid reward percentiles: {} after {}, they must not decrease",
            w[1], w[0]
        )));
    }
    Ok(())
}
