//! Reverts of the L1 contracts, by name: an RPC error that carries revert data (a failed
//! estimate or call) is decoded against the errors of every contract the commands talk to, so
//! that a user reads `NothingOverdue { queueEnd: 2, queueLength: 2 }` instead of
//! `custom error 0x98140baf`.

use alloy::transports::{RpcError, TransportErrorKind};
use alloy_sol_types::SolInterface;
use rollup_types::bindings::{BatchInbox, ChunkVerifier, L1Bridge, TestToken};

/// `{Name} { field: value, … }` for revert data of one of the rollup's L1 contracts.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    fn named<E: SolInterface + std::fmt::Debug>(data: &[u8]) -> Option<String> {
        let decoded = E::abi_decode(data).ok()?;
        // `Name(Name { … })` from the derived Debug of the interface enum: keep the inner part.
        let text = format!("{decoded:?}");
        let inner = text.split_once('(').map_or(text.as_str(), |(_, rest)| rest.strip_suffix(')').unwrap_or(rest));
        Some(inner.to_owned())
    }
    named::<BatchInbox::BatchInboxErrors>(data)
        .or_else(|| named::<L1Bridge::L1BridgeErrors>(data))
        .or_else(|| named::<ChunkVerifier::ChunkVerifierErrors>(data))
        .or_else(|| named::<TestToken::TestTokenErrors>(data))
}

/// What an L1 RPC error says, with a revert of the rollup's contracts decoded by name.
pub fn explain(err: &RpcError<TransportErrorKind>) -> String {
    let decoded = err.as_error_resp().and_then(|resp| resp.as_revert_data()).and_then(|data| decode_revert(&data));
    match decoded {
        Some(name) => format!("the L1 contract refused: {name}"),
        None => err.to_string(),
    }
}

/// An L1 RPC error as an `anyhow` error whose message names the revert.
pub fn context(err: RpcError<TransportErrorKind>, what: &str) -> anyhow::Error {
    anyhow::anyhow!("{what}: {}", explain(&err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use alloy_sol_types::SolError;

    #[test]
    fn reverts_of_every_contract_are_named() {
        let inbox = BatchInbox::NothingOverdue { queueEnd: 2, queueLength: U256::from(2u8) }.abi_encode();
        assert_eq!(decode_revert(&inbox).as_deref(), Some("NothingOverdue { queueEnd: 2, queueLength: 2 }"));
        let bridge = L1Bridge::AlreadyEscaped { claim: alloy_primitives::B256::repeat_byte(1) }.abi_encode();
        assert!(decode_revert(&bridge).is_some_and(|s| s.starts_with("AlreadyEscaped { claim: 0x0101")));
        assert_eq!(decode_revert(&[0xde, 0xad, 0xbe, 0xef]), None);
    }
}
