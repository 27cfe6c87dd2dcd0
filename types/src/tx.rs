//! Signed L2 transactions: decoding, sender recovery and the admission rules of the closed
//! operation set.
//!
//! Users sign ordinary Ethereum transactions (EIP-1559, or legacy with an EIP-155 chain id)
//! that call one operation of the L2 system contract. Anything else is refused with a
//! [`TxError`] whose [`TxError::code`] is stable.

use crate::{
    bindings::{L2Lending::L2LendingCalls, L2System::L2SystemCalls},
    chain::{ChainConfig, MAX_INPUT_BYTES, MAX_RAW_TX_BYTES, MAX_TX_GAS_LIMIT, MIN_TX_GAS_LIMIT, SYSTEM_CONTRACT},
    keys,
    token::TokenCall,
};
use alloy_consensus::{SignableTransaction, Signed, TxEip1559, TxLegacy, transaction::RlpEcdsaDecodableTx};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, SolInterface};
use secp256k1::{
    Message, SECP256K1,
    ecdsa::{RecoverableSignature, RecoveryId},
};

/// Half the order of secp256k1: signatures with a larger `s` are malleable and refused (EIP-2).
const SECP256K1N_HALF: U256 = U256::from_be_bytes([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
    0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Why a transaction is refused. Each variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The raw transaction is not valid hex.
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// The raw transaction is empty.
    #[error("empty transaction")]
    Empty,
    /// The raw transaction exceeds the size limit.
    #[error("transaction is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Size of the raw transaction.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a valid RLP transaction encoding.
    #[error("invalid RLP encoding: {0}")]
    BadRlp(String),
    /// Only EIP-1559 (type 2) and legacy transactions are accepted.
    #[error("transaction type {0} is not supported; send an EIP-1559 (type 2) or legacy transaction")]
    UnsupportedType(u8),
    /// The signature is malformed or does not recover to a key.
    #[error("invalid signature: {0}")]
    BadSignature(&'static str),
    /// Legacy transactions must carry an EIP-155 chain id.
    #[error("transaction has no chain id; sign it with EIP-155 replay protection for chain {expected}")]
    MissingChainId {
        /// The L2 chain id.
        expected: u64,
    },
    /// Signed for another chain.
    #[error("wrong chain id {got}, this chain is {expected}")]
    WrongChainId {
        /// The L2 chain id.
        expected: u64,
        /// The transaction's chain id.
        got: u64,
    },
    /// Contracts cannot be created on this L2.
    #[error("contract creation is not allowed; call the system contract {SYSTEM_CONTRACT}")]
    ContractCreation,
    /// A transaction calls the system contract, makes a token's `transfer`, `approve` or
    /// `transferFrom` call (canonically encoded) at another address, or sends ether to another
    /// address with no calldata.
    #[error(
        "{0} is not the system contract and the calldata is neither empty (a transfer of ether) nor a \
         canonical ERC-20 transfer, approve or transferFrom; call {SYSTEM_CONTRACT} or a token, or send ether \
         without calldata"
    )]
    NotSystemContract(Address),
    /// Only a transfer of ether (no calldata, to an address other than the system contract)
    /// carries value.
    #[error(
        "only a transfer of ether (no calldata, to any address but the system contract) carries value, got {0} wei"
    )]
    ValueNotAllowed(U256),
    /// Access lists play no part on this L2.
    #[error("access lists are not supported")]
    AccessListNotSupported,
    /// The signed gas limit is outside the accepted range.
    #[error("gas limit {got} is outside [{min}, {max}]")]
    GasLimitOutOfRange {
        /// The signed gas limit.
        got: u64,
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
    /// The signed gas limit is below the operation's scheduled gas (docs/fees.md §2.1), what it
    /// uses whatever happens (geth's "intrinsic gas too low").
    #[error("intrinsic gas too low: gas {got}, minimum needed {need}")]
    IntrinsicGasTooLow {
        /// The signed gas limit.
        got: u64,
        /// The operation's scheduled gas.
        need: u64,
    },
    /// The priority fee exceeds the fee cap (invalid on Ethereum too).
    #[error("max priority fee per gas {tip} exceeds max fee per gas {cap}")]
    TipAboveFeeCap {
        /// Max priority fee per gas.
        tip: u128,
        /// Max fee per gas.
        cap: u128,
    },
    /// The calldata is larger than any operation needs.
    #[error("calldata is {got} bytes, more than the {max} any operation needs")]
    InputTooLarge {
        /// Calldata size.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The calldata does not select an operation of the system contract.
    #[error("calldata is not an operation of the system contract: {0}")]
    UnknownOperation(String),
}

impl TxError {
    /// A stable, machine-readable code for the error.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidHex(_) => "invalid_hex",
            Self::Empty => "empty_transaction",
            Self::TooLarge { .. } => "transaction_too_large",
            Self::BadRlp(_) => "bad_rlp",
            Self::UnsupportedType(_) => "unsupported_tx_type",
            Self::BadSignature(_) => "bad_signature",
            Self::MissingChainId { .. } | Self::WrongChainId { .. } => "wrong_chain_id",
            Self::ContractCreation => "contract_creation",
            Self::NotSystemContract(_) => "not_system_contract",
            Self::ValueNotAllowed(_) => "value_not_allowed",
            Self::AccessListNotSupported => "access_list_not_supported",
            Self::GasLimitOutOfRange { .. } => "gas_limit_out_of_range",
            Self::IntrinsicGasTooLow { .. } => "intrinsic_gas_too_low",
            Self::TipAboveFeeCap { .. } => "tip_above_fee_cap",
            Self::InputTooLarge { .. } => "input_too_large",
            Self::UnknownOperation(_) => "unknown_operation",
        }
    }
}

/// A signed transaction of one of the accepted types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedTx {
    /// A legacy transaction with an EIP-155 chain id.
    Legacy(Signed<TxLegacy>),
    /// An EIP-1559 transaction.
    Eip1559(Signed<TxEip1559>),
}

impl SignedTx {
    /// Decodes an EIP-2718 encoded transaction (a legacy RLP list or `0x02 ‖ rlp`), without
    /// checking the signature or any admission rule.
    pub fn decode(raw: &[u8]) -> Result<Self, TxError> {
        let Some(&first) = raw.first() else { return Err(TxError::Empty) };
        if raw.len() > MAX_RAW_TX_BYTES {
            return Err(TxError::TooLarge { size: raw.len(), max: MAX_RAW_TX_BYTES });
        }
        let mut buf = raw;
        let tx = match first {
            0xc0.. => {
                let (tx, signature) =
                    TxLegacy::rlp_decode_with_signature(&mut buf).map_err(|e| TxError::BadRlp(e.to_string()))?;
                Self::Legacy(Signed::new_unchecked(tx, signature, keccak256(raw)))
            }
            0x02 => Self::Eip1559(TxEip1559::eip2718_decode(&mut buf).map_err(|e| TxError::BadRlp(e.to_string()))?),
            ty @ (0x01 | 0x03 | 0x04) => return Err(TxError::UnsupportedType(ty)),
            other => return Err(TxError::BadRlp(format!("unexpected first byte 0x{other:02x}"))),
        };
        if !buf.is_empty() {
            return Err(TxError::BadRlp(format!("{} trailing bytes", buf.len())));
        }
        Ok(tx)
    }

    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Legacy(t) => *t.hash(),
            Self::Eip1559(t) => *t.hash(),
        }
    }

    /// EIP-2718 type: 0 or 2.
    pub const fn tx_type(&self) -> u8 {
        match self {
            Self::Legacy(_) => 0,
            Self::Eip1559(_) => 2,
        }
    }

    /// The signature.
    pub const fn signature(&self) -> &Signature {
        match self {
            Self::Legacy(t) => t.signature(),
            Self::Eip1559(t) => t.signature(),
        }
    }

    /// The same transaction carrying `signature` instead (fault injection and tests).
    pub fn with_signature(&self, signature: Signature) -> Self {
        match self {
            Self::Legacy(t) => Self::Legacy(t.tx().clone().into_signed(signature)),
            Self::Eip1559(t) => Self::Eip1559(t.tx().clone().into_signed(signature)),
        }
    }

    /// The hash the sender signed.
    pub fn signature_hash(&self) -> B256 {
        match self {
            Self::Legacy(t) => t.tx().signature_hash(),
            Self::Eip1559(t) => t.tx().signature_hash(),
        }
    }

    /// The chain id, if any (legacy transactions may lack one).
    pub fn chain_id(&self) -> Option<u64> {
        match self {
            Self::Legacy(t) => t.tx().chain_id,
            Self::Eip1559(t) => Some(t.tx().chain_id),
        }
    }

    /// The sender's nonce.
    pub fn nonce(&self) -> u64 {
        match self {
            Self::Legacy(t) => t.tx().nonce,
            Self::Eip1559(t) => t.tx().nonce,
        }
    }

    /// The signed gas limit.
    pub fn gas_limit(&self) -> u64 {
        match self {
            Self::Legacy(t) => t.tx().gas_limit,
            Self::Eip1559(t) => t.tx().gas_limit,
        }
    }

    /// Legacy gas price, or EIP-1559 max fee per gas.
    pub fn max_fee_per_gas(&self) -> u128 {
        match self {
            Self::Legacy(t) => t.tx().gas_price,
            Self::Eip1559(t) => t.tx().max_fee_per_gas,
        }
    }

    /// EIP-1559 max priority fee per gas (None for legacy).
    pub fn max_priority_fee_per_gas(&self) -> Option<u128> {
        match self {
            Self::Legacy(_) => None,
            Self::Eip1559(t) => Some(t.tx().max_priority_fee_per_gas),
        }
    }

    /// Call or create.
    pub fn kind(&self) -> TxKind {
        match self {
            Self::Legacy(t) => t.tx().to,
            Self::Eip1559(t) => t.tx().to,
        }
    }

    /// Value sent, in wei.
    pub fn value(&self) -> U256 {
        match self {
            Self::Legacy(t) => t.tx().value,
            Self::Eip1559(t) => t.tx().value,
        }
    }

    /// Calldata.
    pub fn input(&self) -> &Bytes {
        match self {
            Self::Legacy(t) => &t.tx().input,
            Self::Eip1559(t) => &t.tx().input,
        }
    }

    /// The EIP-2718 encoding (what was signed and submitted).
    pub fn encoded(&self) -> Vec<u8> {
        match self {
            Self::Legacy(t) => t.encoded_2718(),
            Self::Eip1559(t) => t.encoded_2718(),
        }
    }

    /// As an alloy envelope (for RPC responses).
    pub fn to_envelope(&self) -> alloy_consensus::TxEnvelope {
        match self {
            Self::Legacy(t) => t.clone().into(),
            Self::Eip1559(t) => t.clone().into(),
        }
    }

    /// The recipient and the value of a transfer of ether: a transaction with no calldata to
    /// an address other than the system contract (its value may be zero, as a wallet's
    /// "cancel" is). `None` for every other transaction.
    pub fn native_transfer(&self) -> Option<(Address, U256)> {
        native_transfer_to(self.kind().to().copied(), self.input()).map(|to| (to, self.value()))
    }

    /// What the transaction runs on L2: the target and calldata of its call, from its sender,
    /// with no value. A transfer of ether runs as the system contract's
    /// `transfer(ETHER, to, value)` (the ledger holds ether like any token), which the L1
    /// verifier replays the same way; every other transaction as signed.
    pub fn execution_call(&self) -> (Address, Bytes) {
        match self.native_transfer() {
            Some((to, value)) => (SYSTEM_CONTRACT, native_transfer_calldata(to, value)),
            None => (self.kind().to().copied().unwrap_or(SYSTEM_CONTRACT), self.input().clone()),
        }
    }

    /// The scheduled gas of the transaction's operation (docs/fees.md §2.1): the gas it uses.
    /// 0 for a transaction that is no operation of the closed set (which admission refuses).
    pub fn scheduled_gas(&self) -> u64 {
        let to = self.kind().to().copied().unwrap_or(SYSTEM_CONTRACT);
        crate::fees::scheduled_gas(to, self.input()).unwrap_or(0)
    }

    /// What the transaction signed it would pay (docs/fees.md §2).
    pub fn offer(&self) -> crate::fees::Offer {
        crate::fees::Offer {
            gas_limit: self.gas_limit(),
            max_fee: self.max_fee_per_gas(),
            tip: self.max_priority_fee_per_gas(),
            value: self.value(),
        }
    }

    /// Recovers the sender with libsecp256k1, refusing malleable (high-s) signatures.
    pub fn recover_sender(&self) -> Result<Address, TxError> {
        recover_signer(self.signature(), self.signature_hash())
    }

    /// Checks the admission rules that need no state: chain id, target, value, access list,
    /// gas limit, and an operation of the closed set: one of the system contract's, a token
    /// call ([`TokenCall`]) at any other address, or a transfer of ether (no calldata, to any
    /// address but the system contract: [`Self::native_transfer`]), the only transaction that
    /// carries value. Whether a token call's address holds a token is a question of state: a
    /// token call of an address without one consumes the nonce and changes nothing else, and
    /// the sequencer refuses it at the door.
    pub fn check_admission(&self, chain: &ChainConfig) -> Result<(), TxError> {
        match self.chain_id() {
            None => return Err(TxError::MissingChainId { expected: chain.chain_id }),
            Some(id) if id != chain.chain_id => {
                return Err(TxError::WrongChainId { expected: chain.chain_id, got: id });
            }
            Some(_) => {}
        }
        match self.kind() {
            TxKind::Create => return Err(TxError::ContractCreation),
            TxKind::Call(_) => {}
        }
        if !self.value().is_zero() && self.native_transfer().is_none() {
            return Err(TxError::ValueNotAllowed(self.value()));
        }
        if let Self::Eip1559(t) = self
            && !t.tx().access_list.is_empty()
        {
            return Err(TxError::AccessListNotSupported);
        }
        if let Some(tip) = self.max_priority_fee_per_gas()
            && tip > self.max_fee_per_gas()
        {
            return Err(TxError::TipAboveFeeCap { tip, cap: self.max_fee_per_gas() });
        }
        if self.input().len() > MAX_INPUT_BYTES {
            return Err(TxError::InputTooLarge { got: self.input().len(), max: MAX_INPUT_BYTES });
        }
        let gas = self.gas_limit();
        if !(MIN_TX_GAS_LIMIT..=MAX_TX_GAS_LIMIT).contains(&gas) {
            return Err(TxError::GasLimitOutOfRange { got: gas, min: MIN_TX_GAS_LIMIT, max: MAX_TX_GAS_LIMIT });
        }
        match self.kind() {
            TxKind::Call(to) if to != SYSTEM_CONTRACT => {
                if !self.input().is_empty() {
                    TokenCall::decode(self.input()).ok_or(TxError::NotSystemContract(to))?;
                }
            }
            _ => {
                Operation::decode(self.input())?;
            }
        }
        let need = self.scheduled_gas();
        if gas < need {
            return Err(TxError::IntrinsicGasTooLow { got: gas, need });
        }
        Ok(())
    }
}

/// The recipient, when a call of `to` with `input` is a transfer of ether: empty calldata to
/// an address other than the system contract. The one rule for transactions
/// ([`SignedTx::native_transfer`]) and for read-only calls alike.
pub fn native_transfer_to(to: Option<Address>, input: &[u8]) -> Option<Address> {
    to.filter(|to| *to != SYSTEM_CONTRACT && input.is_empty())
}

/// A sender that cannot pay what a transaction may take (defined with the fee rules).
pub use crate::fees::InsufficientFunds;

/// The calldata a transfer of `value` ether to `to` runs as: the system contract's
/// `transfer(ETHER, to, value)`.
pub fn native_transfer_calldata(to: Address, value: U256) -> Bytes {
    crate::bindings::L2System::transferCall { token: keys::ETHER, to, amount: value }.abi_encode().into()
}

/// Recovers the address that produced `signature` over `hash`.
pub fn recover_signer(signature: &Signature, hash: B256) -> Result<Address, TxError> {
    let (r, s) = (signature.r(), signature.s());
    if r.is_zero() || s.is_zero() {
        return Err(TxError::BadSignature("r or s is zero"));
    }
    if s > SECP256K1N_HALF {
        return Err(TxError::BadSignature("s is in the upper half of the curve order (EIP-2)"));
    }
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&r.to_be_bytes::<32>());
    compact[32..].copy_from_slice(&s.to_be_bytes::<32>());
    let id = RecoveryId::try_from(signature.v() as i32).map_err(|_| TxError::BadSignature("bad recovery id"))?;
    let sig =
        RecoverableSignature::from_compact(&compact, id).map_err(|_| TxError::BadSignature("r or s out of range"))?;
    let key = SECP256K1
        .recover_ecdsa(Message::from_digest(hash.0), &sig)
        .map_err(|_| TxError::BadSignature("no public key recovers from this signature"))?;
    let uncompressed = key.serialize_uncompressed();
    Ok(Address::from_slice(&keccak256(&uncompressed[1..])[12..]))
}

/// The closed set of operations a transaction may perform: one state-changing function of
/// the L2 system contract, its own or the money market's it runs (`L2Lending`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A function of the system contract's own code.
    System(L2SystemCalls),
    /// A function of the money market's code, run by the system contract.
    Lending(L2LendingCalls),
}

impl Operation {
    /// Decodes calldata into an operation, refusing view functions, malformed arguments and
    /// any encoding but the canonical one (the L1 verifier checks exactly this form; see
    /// docs/fraud-proofs.md §3.1).
    pub fn decode(input: &[u8]) -> Result<Self, TxError> {
        if input.len() < 4 {
            return Err(TxError::UnknownOperation(format!(
                "the calldata ({} bytes) is too short to hold a 4-byte function selector",
                input.len()
            )));
        }
        let selector = || alloy_primitives::hex::encode_prefixed(&input[..4]);
        let selector4: [u8; 4] = input[..4].try_into().unwrap_or_default();
        let (operation, reencoded, name) =
            if L2LendingCalls::valid_selector(selector4) && !L2SystemCalls::valid_selector(selector4) {
                let call = L2LendingCalls::abi_decode_validate(input)
                    .map_err(|e| TxError::UnknownOperation(format!("selector {}: {e}", selector())))?;
                let name = L2LendingCalls::name_by_selector(call.selector()).unwrap_or("unknown");
                let bytes = call.abi_encode();
                (Self::Lending(call), bytes, name)
            } else {
                let call = L2SystemCalls::abi_decode_validate(input)
                    .map_err(|e| TxError::UnknownOperation(format!("selector {}: {e}", selector())))?;
                let name = L2SystemCalls::name_by_selector(call.selector()).unwrap_or("unknown");
                let bytes = call.abi_encode();
                (Self::System(call), bytes, name)
            };
        if reencoded != input {
            return Err(TxError::UnknownOperation(format!(
                "selector {}: the arguments are not in their canonical ABI encoding",
                selector()
            )));
        }
        // The operation table holds every state-changing function a user may call.
        match crate::Op::of_system_selector(selector4) {
            Some(op) => {
                // An address list the codec cannot carry (docs/batch-codec.md §3.3.3).
                if let crate::ops::Form::Extended(shape) = op.spec().form
                    && !crate::codec::has_compact_form(input)
                {
                    return Err(TxError::UnknownOperation(if shape.has_list() {
                        format!(
                            "{}: its address list must hold {} to {} addresses",
                            op.spec().signature,
                            shape.list_min,
                            shape.list_max
                        )
                    } else {
                        format!("{}: the batch codec cannot carry these arguments", op.spec().signature)
                    }));
                }
                Ok(operation)
            }
            None => Err(TxError::UnknownOperation(format!(
                "{name} is not an operation a transaction may perform (a view: call it with eth_call)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::L2System;
    use alloy_sol_types::SolCall;

    fn create_token(symbol: &str) -> Vec<u8> {
        L2System::createTokenCall { salt: B256::ZERO, symbol: symbol.into(), decimals: 6, supply: U256::from(1u64) }
            .abi_encode()
    }

    #[test]
    fn operations_must_be_canonically_encoded() {
        assert!(Operation::decode(&create_token("USD€")).is_ok(), "multi-byte UTF-8 is fine");
        let mut trailing = create_token("AB");
        trailing.push(0);
        let mut dirty_padding = create_token("AB");
        *dirty_padding.last_mut().expect("bytes") = 1;
        let mut moved_offset = create_token("AB");
        moved_offset[4 + 63] = 0xa0;
        moved_offset.extend_from_slice(&[0; 32]);
        let mut not_utf8 = create_token("AB");
        not_utf8[164..166].copy_from_slice(&[0xff, 0xfe]);
        let mut wide_decimals = create_token("AB");
        wide_decimals[4 + 64 + 30] = 1;
        let transfer =
            L2System::transferCall { token: Address::repeat_byte(1), to: Address::repeat_byte(2), amount: U256::ZERO };
        let mut dirty_address = transfer.abi_encode();
        dirty_address[4] = 1;
        for (name, input) in [
            ("a trailing byte", trailing),
            ("dirty padding", dirty_padding),
            ("a non-canonical offset", moved_offset),
            ("a symbol that is not UTF-8", not_utf8),
            ("decimals wider than a byte", wide_decimals),
            ("dirty address bits", dirty_address),
        ] {
            let err = Operation::decode(&input).expect_err(name);
            assert_eq!(err.code(), "unknown_operation", "{name}: {err}");
        }
    }

    /// `swapPath` takes 2 to 5 tokens: the paths the codec's extended form carries
    /// (docs/batch-codec.md §3.3.3); any other is refused at the door, as the L1 verifier
    /// finds it inadmissible.
    #[test]
    fn swap_paths_hold_two_to_five_tokens() {
        let call = |len: usize| {
            L2System::swapPathCall {
                path: (0..len).map(|i| Address::repeat_byte(1 + i as u8)).collect(),
                amountIn: U256::from(1u8),
                minAmountOut: U256::ZERO,
                deadline: U256::MAX,
            }
            .abi_encode()
        };
        for len in 2..=5 {
            assert!(Operation::decode(&call(len)).is_ok(), "{len} tokens");
        }
        for len in [0, 1, 6, 20] {
            let err = Operation::decode(&call(len)).expect_err("refused");
            assert_eq!(err.code(), "unknown_operation", "{len} tokens: {err}");
            assert!(err.to_string().contains("2 to 5 addresses"), "{err}");
        }
    }
}
