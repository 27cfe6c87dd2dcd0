//! The code an L1 account carries. Since EIP-7702 (Pectra) any externally owned account can
//! carry a delegation to a contract's code, set by a signed authorization; the inbox takes posts
//! only from an account without code (docs/fraud-proofs.md §1.1), so the batcher checks its own
//! account and clears a delegation it finds, with a self-sponsored EIP-7702 transaction
//! authorizing the zero address.

use crate::error::L1Error;
use alloy::{
    eips::eip7702::Authorization,
    network::{TransactionBuilder, TransactionBuilder7702},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, U256};

/// The prefix of an EIP-7702 delegation designator: the account's code is `0xef0100 ‖ address`.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];

/// What code an account carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountCode {
    /// None: an externally owned account without a delegation.
    None,
    /// An EIP-7702 delegation to the code at this address.
    Delegated(Address),
    /// A contract's code, of this many bytes.
    Contract(usize),
}

impl AccountCode {
    /// Classifies `code` as an account holds it.
    pub fn of(code: &[u8]) -> Self {
        match code {
            [] => Self::None,
            [a, b, c, rest @ ..] if [*a, *b, *c] == DELEGATION_PREFIX && rest.len() == 20 => {
                Self::Delegated(Address::from_slice(rest))
            }
            _ => Self::Contract(code.len()),
        }
    }
}

/// The code `address` carries in the latest block.
pub async fn account_code(provider: &DynProvider, address: Address) -> Result<AccountCode, L1Error> {
    let code = provider.get_code_at(address).await?;
    Ok(AccountCode::of(&code))
}

/// Sends from `key`'s account a transaction to `to` with `input` that first delegates the
/// account to `implementation` (EIP-7702; the zero address clears a delegation), and waits for
/// its receipt, whatever its status. The authorization is signed by the account that sends it,
/// so its nonce is the transaction's plus one. `provider` must sign with `key`.
pub async fn send_delegated(
    provider: &DynProvider,
    key: &B256,
    implementation: Address,
    to: Address,
    input: Bytes,
    gas_limit: Option<u64>,
) -> Result<TransactionReceipt, L1Error> {
    let signer = PrivateKeySigner::from_bytes(key).map_err(|e| L1Error::Key(e.to_string()))?;
    let account = signer.address();
    let chain_id = provider.get_chain_id().await?;
    let nonce = provider.get_transaction_count(account).pending().await?;
    let authorization = Authorization { chain_id: U256::from(chain_id), address: implementation, nonce: nonce + 1 };
    let signature = signer.sign_hash_sync(&authorization.signature_hash()).map_err(|e| L1Error::Key(e.to_string()))?;
    let mut request = TransactionRequest::default()
        .with_from(account)
        .with_to(to)
        .with_input(input)
        .with_nonce(nonce)
        .with_authorization_list(vec![authorization.into_signed(signature)]);
    if let Some(gas) = gas_limit {
        request = request.with_gas_limit(gas);
    }
    crate::send(provider, request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_classified() {
        assert_eq!(AccountCode::of(&[]), AccountCode::None);
        let target = Address::repeat_byte(0x42);
        let designator = [DELEGATION_PREFIX.as_slice(), target.as_slice()].concat();
        assert_eq!(AccountCode::of(&designator), AccountCode::Delegated(target));
        // A designator's prefix with another length, and any other code, are a contract's.
        assert_eq!(AccountCode::of(&designator[..22]), AccountCode::Contract(22));
        assert_eq!(AccountCode::of(&[0x60, 0x00]), AccountCode::Contract(2));
    }
}
