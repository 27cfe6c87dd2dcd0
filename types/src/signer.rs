//! Signing of L2 transactions with raw secp256k1 keys, for tools, tests and benchmarks.

use crate::{chain::SYSTEM_CONTRACT, tx::SignedTx};
use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use secp256k1::{Message, PublicKey, SECP256K1, SecretKey};

/// Signed gas limit used by these helpers: above every operation's scheduled gas
/// (docs/fees.md §2.1).
pub const DEFAULT_GAS_LIMIT: u64 = 300_000;
/// Fee cap (an EIP-1559 transaction's `maxFeePerGas`, a legacy one's `gasPrice`) these helpers
/// sign: 1 gwei, a thousand times the lowest base fee. EIP-1559 transactions tip nothing, so
/// they pay the base fee; a legacy one pays its gas price.
pub const DEFAULT_MAX_FEE: u128 = 1_000_000_000;

/// Why a key cannot sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid secp256k1 private key")]
pub struct InvalidKey;

/// A private key with its address.
#[derive(Clone, Copy, Debug)]
pub struct Signer {
    secret: SecretKey,
    address: Address,
}

impl Signer {
    /// A signer from 32 raw key bytes.
    pub fn new(key: &B256) -> Result<Self, InvalidKey> {
        let secret = SecretKey::from_byte_array(key.0).map_err(|_| InvalidKey)?;
        let public = PublicKey::from_secret_key(SECP256K1, &secret).serialize_uncompressed();
        let address = Address::from_slice(&keccak256(&public[1..])[12..]);
        Ok(Self { secret, address })
    }

    /// The signer's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest.
    pub fn sign_hash(&self, hash: B256) -> Signature {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(hash.0), &self.secret);
        let (id, compact) = sig.serialize_compact();
        let parity = i32::from(id) == 1;
        Signature::new(U256::from_be_slice(&compact[..32]), U256::from_be_slice(&compact[32..]), parity)
    }

    /// An EIP-1559 call of the system contract with the default fees ([`DEFAULT_MAX_FEE`]).
    pub fn eip1559(&self, chain_id: u64, nonce: u64, input: Bytes) -> SignedTx {
        self.eip1559_to(chain_id, nonce, SYSTEM_CONTRACT, input)
    }

    /// An EIP-1559 call of `to` (the system contract, or a token for a token call) with the default
    /// fees ([`DEFAULT_MAX_FEE`]).
    pub fn eip1559_to(&self, chain_id: u64, nonce: u64, to: Address, input: Bytes) -> SignedTx {
        self.eip1559_with(chain_id, nonce, to, U256::ZERO, input)
    }

    /// An EIP-1559 transfer of `value` ether to `to` (no calldata) with the default fees ([`DEFAULT_MAX_FEE`]).
    pub fn eip1559_ether(&self, chain_id: u64, nonce: u64, to: Address, value: U256) -> SignedTx {
        self.eip1559_with(chain_id, nonce, to, value, Bytes::new())
    }

    fn eip1559_with(&self, chain_id: u64, nonce: u64, to: Address, value: U256, input: Bytes) -> SignedTx {
        self.sign_eip1559(TxEip1559 {
            chain_id,
            nonce,
            gas_limit: DEFAULT_GAS_LIMIT,
            max_fee_per_gas: DEFAULT_MAX_FEE,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(to),
            value,
            access_list: Default::default(),
            input,
        })
    }

    /// Signs an EIP-1559 transaction as given (any fields: tests at the codec's bounds).
    pub fn sign_eip1559(&self, tx: TxEip1559) -> SignedTx {
        let signature = self.sign_hash(tx.signature_hash());
        SignedTx::Eip1559(tx.into_signed(signature))
    }

    /// Signs a legacy (EIP-155) transaction as given (any fields: tests at the bounds).
    pub fn sign_legacy(&self, tx: TxLegacy) -> SignedTx {
        let signature = self.sign_hash(tx.signature_hash());
        SignedTx::Legacy(tx.into_signed(signature))
    }

    /// A legacy (EIP-155) call of the system contract at the default gas price ([`DEFAULT_MAX_FEE`]).
    pub fn legacy(&self, chain_id: u64, nonce: u64, input: Bytes) -> SignedTx {
        self.legacy_to(chain_id, nonce, SYSTEM_CONTRACT, input)
    }

    /// A legacy (EIP-155) call of `to` at the default gas price ([`DEFAULT_MAX_FEE`]).
    pub fn legacy_to(&self, chain_id: u64, nonce: u64, to: Address, input: Bytes) -> SignedTx {
        self.legacy_with(chain_id, nonce, to, U256::ZERO, input)
    }

    /// A legacy (EIP-155) transfer of `value` ether to `to` (no calldata) at the default gas price ([`DEFAULT_MAX_FEE`]).
    pub fn legacy_ether(&self, chain_id: u64, nonce: u64, to: Address, value: U256) -> SignedTx {
        self.legacy_with(chain_id, nonce, to, value, Bytes::new())
    }

    fn legacy_with(&self, chain_id: u64, nonce: u64, to: Address, value: U256, input: Bytes) -> SignedTx {
        let tx = TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price: DEFAULT_MAX_FEE,
            gas_limit: DEFAULT_GAS_LIMIT,
            to: TxKind::Call(to),
            value,
            input,
        };
        self.sign_legacy(tx)
    }
}
