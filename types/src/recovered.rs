//! A transaction that passed decoding, signature recovery and the admission rules, with what
//! the executor reads of it at every run computed once: its sender's keys and the bytes its L1
//! data fee bills.

use crate::{
    chain::ChainConfig,
    keys,
    tx::{SignedTx, TxError},
};
use alloy_primitives::{Address, B256};

/// A transaction that passed decoding, signature recovery and the admission rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The signed transaction.
    pub tx: SignedTx,
    /// The recovered sender.
    pub sender: Address,
    /// The state-tree keys of a sender's nonce and of its ether, with the sender they are the
    /// keys of. Every transaction writes its sender's nonce and pays from its ether: the keys
    /// (a keccak-256 each, about 0.3 µs) are computed here, with the recovery and off the
    /// executor's path, rather than at every execution.
    sender_keys: (Address, B256, B256),
    /// The bytes the L1 data fee bills ([`crate::codec::billed_bytes`]), computed with the
    /// keys.
    billed_bytes: u64,
    /// Whether it takes a chunk of its own ([`crate::codec::is_heavy`]).
    heavy: bool,
}

impl RecoveredTx {
    /// Decodes, recovers and admits a raw transaction.
    pub fn from_raw(raw: &[u8], chain: &ChainConfig) -> Result<Self, TxError> {
        let tx = SignedTx::decode(raw)?;
        tx.check_admission(chain)?;
        let sender = tx.recover_sender()?;
        Ok(Self::with_sender(tx, sender))
    }

    /// Recovers and admits an already decoded transaction.
    pub fn from_signed(tx: SignedTx, chain: &ChainConfig) -> Result<Self, TxError> {
        tx.check_admission(chain)?;
        let sender = tx.recover_sender()?;
        Ok(Self::with_sender(tx, sender))
    }

    /// A transaction with a sender taken as given: no admission check and no recovery (tests
    /// and tools that build transactions whose sender they already know).
    pub fn with_sender(tx: SignedTx, sender: Address) -> Self {
        let billed_bytes = crate::codec::billed_bytes(&tx);
        let heavy = crate::codec::is_heavy(&tx);
        let sender_keys = (sender, keys::nonce(&sender), keys::ether_balance(&sender));
        Self { tx, sender, sender_keys, billed_bytes, heavy }
    }

    /// Whether it takes a chunk of its own ([`crate::codec::is_heavy`]: docs/batch-codec.md
    /// §3.1).
    pub fn heavy(&self) -> bool {
        self.heavy
    }

    /// The bytes of the transaction the L1 data fee bills ([`crate::codec::billed_bytes`]).
    pub fn billed_bytes(&self) -> u64 {
        self.billed_bytes
    }

    /// The state-tree key of the sender's nonce ([`keys::nonce`]).
    pub fn sender_nonce_key(&self) -> B256 {
        match self.sender_keys {
            (of, key, _) if of == self.sender => key,
            // `sender` was changed after construction.
            _ => keys::nonce(&self.sender),
        }
    }

    /// The state-tree key of the sender's ether ([`keys::ether_balance`]), which pays its fee.
    pub fn sender_balance_key(&self) -> B256 {
        match self.sender_keys {
            (of, _, key) if of == self.sender => key,
            _ => keys::ether_balance(&self.sender),
        }
    }

    /// The transaction hash.
    pub fn hash(&self) -> B256 {
        self.tx.hash()
    }

    /// The sender's nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::L2System;
    use alloy_primitives::U256;
    use alloy_sol_types::SolCall;

    #[test]
    fn the_sender_nonce_key_is_the_key_of_the_sender() {
        let chain = ChainConfig::default();
        let signer = crate::signer::Signer::new(&B256::repeat_byte(7)).expect("key");
        let input =
            L2System::transferCall { token: Address::repeat_byte(1), to: Address::repeat_byte(2), amount: U256::ZERO }
                .abi_encode()
                .into();
        let mut tx = RecoveredTx::from_signed(signer.eip1559(chain.chain_id, 0, input), &chain).expect("admissible");
        assert_eq!(tx.sender, signer.address());
        assert_eq!(tx.sender_nonce_key(), keys::nonce(&signer.address()));
        // Changed afterwards, the sender's key follows it.
        tx.sender = Address::repeat_byte(9);
        assert_eq!(tx.sender_nonce_key(), keys::nonce(&Address::repeat_byte(9)));
    }
}
