//! What both APIs decode and name: hex input, and reverts of the system contract.

use super::ApiError;
use alloy_primitives::{B256, Bytes, hex};
use serde_json::Value;
use std::sync::OnceLock;

/// Decodes `0x`-prefixed (or bare) hex; the error names the first character that is not a
/// hex digit as written (any Unicode character), counted in characters.
pub(crate) fn decode_hex(s: &str) -> Result<Bytes, String> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    let prefix = s.len() - digits.len();
    if let Some((at, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        let position = s[..prefix + at].chars().count();
        return Err(format!("invalid hex: {c:?} at character {position} is not a hex digit"));
    }
    if digits.len() % 2 == 1 {
        return Err(format!("invalid hex: an odd number of digits ({})", digits.len()));
    }
    hex::decode(digits).map(Bytes::from).map_err(|e| format!("invalid hex: {e}"))
}

/// A 32-byte `0x` hash (a transaction's, a block's).
pub(crate) fn parse_hash(s: &str) -> Result<B256, ApiError> {
    s.parse().map_err(|_| ApiError::bad_request("invalid_hash", format!("{s:?} is not a 32-byte 0x-hex hash")))
}

/// Names a revert: a custom error of the system contract, or the raw data.
pub(crate) fn revert_reason(output: &[u8]) -> String {
    if output.is_empty() {
        return "reverted without data".to_owned();
    }
    decoded_error(output).unwrap_or_else(|| format!("reverted with data {}", hex::encode_prefixed(output)))
}

/// A revert's data ABI-decoded as `Name(arg, …)`: `Error(string)` as its message, `Panic`
/// with its code, or one of the system contract's custom errors.
fn decoded_error(output: &[u8]) -> Option<String> {
    use alloy_dyn_abi::{DynSolValue, JsonAbiExt};
    use alloy_sol_types::{Revert, SolError};
    if let Ok(revert) = Revert::abi_decode(output) {
        return Some(revert.reason);
    }
    if let Ok(panic) = alloy_sol_types::Panic::abi_decode(output) {
        return Some(format!("Panic({:#x})", panic.code));
    }
    fn show(v: &DynSolValue) -> String {
        match v {
            DynSolValue::Address(a) => a.to_checksum(None),
            DynSolValue::Uint(u, _) => u.to_string(),
            DynSolValue::Int(i, _) => i.to_string(),
            DynSolValue::Bool(b) => b.to_string(),
            DynSolValue::String(s) => format!("{s:?}"),
            DynSolValue::Bytes(b) => hex::encode_prefixed(b),
            DynSolValue::FixedBytes(w, size) => hex::encode_prefixed(&w[..*size]),
            DynSolValue::Array(a) | DynSolValue::FixedArray(a) | DynSolValue::Tuple(a) => {
                format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", "))
            }
            other => format!("{other:?}"),
        }
    }
    let selector = output.get(..4)?;
    let error = system_json_abi().errors().find(|e| e.selector().as_slice() == selector)?;
    let values = error.abi_decode_input(&output[4..]).ok()?;
    Some(format!("{}({})", error.name, values.iter().map(show).collect::<Vec<_>>().join(", ")))
}

/// The system contract's ABI, typed.
fn system_json_abi() -> &'static alloy_json_abi::JsonAbi {
    static ABI: OnceLock<alloy_json_abi::JsonAbi> = OnceLock::new();
    ABI.get_or_init(|| serde_json::from_value(system_abi().clone()).unwrap_or_default())
}

/// The system contract's ABI: its own artifact's, and the money market's that it runs
/// (`L2Lending`, docs/lending.md) but for what only the system contract itself calls
/// (`createMarkets`, `accrue`) and what both declare.
pub(crate) fn system_abi() -> &'static Value {
    static ABI: OnceLock<Value> = OnceLock::new();
    ABI.get_or_init(|| {
        let abi = |json: &str| {
            serde_json::from_str::<Value>(json).ok().and_then(|a| a.get("abi").cloned()).unwrap_or(Value::Null)
        };
        let mut system = abi(include_str!("../../../contracts/artifacts/L2System.json"));
        let lending = abi(include_str!("../../../contracts/artifacts/L2Lending.json"));
        let signature = |item: &Value| {
            let inputs: Vec<String> = item
                .get("inputs")
                .and_then(Value::as_array)
                .map(|i| i.iter().filter_map(|p| p.get("type")?.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            format!(
                "{}:{}({})",
                item.get("type").and_then(Value::as_str).unwrap_or(""),
                item.get("name").and_then(Value::as_str).unwrap_or(""),
                inputs.join(",")
            )
        };
        if let (Some(own), Some(more)) = (system.as_array_mut(), lending.as_array()) {
            let known: std::collections::HashSet<String> = own.iter().map(signature).collect();
            let internal =
                |item: &Value| matches!(item.get("name").and_then(Value::as_str), Some("createMarkets" | "accrue"));
            own.extend(more.iter().filter(|item| !known.contains(&signature(item)) && !internal(item)).cloned());
        }
        system
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, U256};
    use alloy_sol_types::SolError;
    use rollup_types::bindings::L2Lending;

    #[test]
    fn the_system_abi_holds_the_money_market_it_runs_and_names_its_reverts() {
        let names: Vec<&str> =
            system_abi().as_array().expect("an ABI").iter().filter_map(|item| item.get("name")?.as_str()).collect();
        for name in ["swap", "supply", "borrow", "liquidate", "accountHealth", "Undercollateralized", "Liquidated"] {
            assert!(names.contains(&name), "{name}");
        }
        for name in ["createMarkets", "accrue"] {
            assert!(!names.contains(&name), "{name} is the system contract's own call");
        }
        // Declared by both: once.
        assert_eq!(names.iter().filter(|n| **n == "SYSTEM_CALLER").count(), 1);
        let user = Address::repeat_byte(0x11);
        let revert = L2Lending::Undercollateralized { user, borrowable: U256::from(5u8), debtValue: U256::from(7u8) };
        assert_eq!(
            revert_reason(&revert.abi_encode()),
            format!("Undercollateralized({}, 5, 7)", user.to_checksum(None))
        );
    }
}
