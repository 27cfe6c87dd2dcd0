//! JSON-RPC errors, and the one place where the node's domain errors become them. Codes:
//! -32700 parse, -32600 invalid request, -32601 unknown method, -32602 invalid params, -32000
//! rejected transaction or refused read, -32005 limit reached, -32603 internal, 3 execution
//! reverted (with the revert data).

use crate::{
    api::ApiError,
    error::{StoreError, SubmitClass, SubmitError},
    node::{CallError, HistoryError, StateProofError},
};
use serde_json::{Value, json};

/// A JSON-RPC error object.
#[derive(Clone, Debug)]
pub(super) struct RpcError {
    pub(super) code: i64,
    pub(super) message: String,
    pub(super) data: Option<Value>,
}

impl RpcError {
    pub(super) fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    pub(super) fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }

    pub(super) fn internal(message: impl Into<String>) -> Self {
        Self::new(-32603, message)
    }

    pub(super) fn method_not_found(method: &str) -> Self {
        // geth's wording, which clients match on.
        Self::new(-32601, format!("the method {method} does not exist/is not available"))
    }

    /// A limit was reached; `code` is the stable reason in `data`.
    pub(super) fn limit(code: &'static str, message: impl Into<String>) -> Self {
        Self { code: -32005, message: message.into(), data: Some(json!(code)) }
    }

    pub(super) fn to_json(&self) -> Value {
        let mut err = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            err["data"] = data.clone();
        }
        err
    }
}

impl From<SubmitError> for RpcError {
    fn from(err: SubmitError) -> Self {
        let code = match err.class() {
            SubmitClass::NotNow => -32005,
            SubmitClass::Unavailable | SubmitClass::Internal => -32603,
            SubmitClass::Invalid | SubmitClass::Conflict => -32000,
        };
        Self { code, message: err.to_string(), data: Some(json!(err.code())) }
    }
}

impl From<CallError> for RpcError {
    fn from(err: CallError) -> Self {
        let code = match err {
            CallError::Invalid(_) | CallError::Timeout(_) => -32000,
            CallError::Budget(_) | CallError::Busy(_) => -32005,
        };
        // A call the EVM refused to run (geth's "insufficient funds …", say) carries no data, as
        // geth's does: web3.py reads any string `data` of a call's error as revert data.
        let data = match err {
            CallError::Invalid(_) => None,
            _ => Some(json!(err.code())),
        };
        Self { code, message: err.to_string(), data }
    }
}

impl From<HistoryError> for RpcError {
    fn from(err: HistoryError) -> Self {
        // geth answers "header not found" for a block it does not have; a block older than
        // the history kept says which blocks are.
        let data = match err {
            HistoryError::Pruned { .. } => Some(json!("state_not_kept")),
            HistoryError::NotFound => None,
        };
        Self { code: -32000, message: err.to_string(), data }
    }
}

impl From<StateProofError> for RpcError {
    fn from(err: StateProofError) -> Self {
        match err {
            StateProofError::History(err) => err.into(),
            StateProofError::Busy(err) => err.into(),
            err @ StateProofError::Node(_) => {
                tracing::error!(target: "sequencer::rpc", ?err, "state proof failed");
                Self::internal(err.to_string())
            }
        }
    }
}

impl From<StoreError> for RpcError {
    fn from(err: StoreError) -> Self {
        tracing::error!(target: "sequencer::rpc", ?err, "database error");
        Self::internal(err.to_string())
    }
}

impl From<ApiError> for RpcError {
    fn from(err: ApiError) -> Self {
        let code = if err.status().is_client_error() { -32602 } else { -32603 };
        Self::new(code, err.into_message())
    }
}
