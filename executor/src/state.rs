//! The L2 state as revm sees it: account nonces, and the code and storage of the system
//! contract. Nothing else exists on this chain (no ether balances, no other contracts).

use alloy_primitives::{Address, B256, U256, map::HashMap};
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    primitives::{AddressMap, KECCAK_EMPTY, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use rollup_types::{SYSTEM_CONTRACT, keys};
use std::convert::Infallible;

/// The committed L2 state.
#[derive(Clone, Debug)]
pub struct State {
    nonces: HashMap<Address, u64>,
    storage: HashMap<U256, U256>,
    code: Bytecode,
    code_hash: B256,
}

impl State {
    /// A state with the system contract's `code` and `storage` and no nonces.
    pub fn new(code: Bytecode, storage: HashMap<U256, U256>) -> Self {
        let code_hash = code.hash_slow();
        Self { nonces: HashMap::default(), storage, code, code_hash }
    }

    /// The nonce of `account`.
    pub fn nonce(&self, account: &Address) -> u64 {
        self.nonces.get(account).copied().unwrap_or(0)
    }

    /// A storage slot of the system contract (equivalently, a state-tree key).
    pub fn storage(&self, slot: &U256) -> U256 {
        self.storage.get(slot).copied().unwrap_or_default()
    }

    /// The runtime code of the system contract.
    pub fn code(&self) -> &Bytecode {
        &self.code
    }

    /// Every state-tree leaf of this state: storage slots and non-zero nonces.
    pub fn leaves(&self) -> Vec<(B256, B256)> {
        let storage = self.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| ((*k).into(), (*v).into()));
        let nonces = self.nonces.iter().filter(|(_, n)| **n != 0).map(|(a, n)| (keys::nonce(a), U256::from(*n).into()));
        storage.chain(nonces).collect()
    }

    pub(crate) fn apply(&mut self, changes: &Changes) {
        for (account, nonce) in &changes.nonces {
            self.nonces.insert(*account, *nonce);
        }
        for (slot, value) in &changes.storage {
            if value.is_zero() {
                self.storage.remove(slot);
            } else {
                self.storage.insert(*slot, *value);
            }
        }
    }

    fn account(&self, address: &Address, nonce: Option<u64>) -> Option<AccountInfo> {
        if *address == SYSTEM_CONTRACT {
            return Some(AccountInfo {
                nonce: 1,
                code_hash: self.code_hash,
                code: Some(self.code.clone()),
                ..Default::default()
            });
        }
        nonce.map(|nonce| AccountInfo { nonce, code_hash: KECCAK_EMPTY, ..Default::default() })
    }
}

impl DatabaseRef for State {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address, self.nonces.get(&address).copied()))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(if code_hash == self.code_hash { self.code.clone() } else { Bytecode::default() })
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        Ok(if address == SYSTEM_CONTRACT { self.storage(&index) } else { U256::ZERO })
    }

    fn block_hash_ref(&self, _number: u64) -> Result<B256, Self::Error> {
        // The system contract never reads block hashes; nothing may depend on them.
        Ok(B256::ZERO)
    }
}

/// State changes not yet committed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Changes {
    pub(crate) nonces: HashMap<Address, u64>,
    pub(crate) storage: HashMap<U256, U256>,
}

/// A block's pending changes over the committed state, as a revm database.
#[derive(Debug)]
pub(crate) struct Overlay<'a> {
    pub(crate) base: &'a State,
    pub(crate) changes: Changes,
    /// Writes of the last committed transaction, as state-tree leaves.
    pub(crate) last_writes: Vec<(B256, B256)>,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a State) -> Self {
        Self { base, changes: Changes::default(), last_writes: Vec::new() }
    }

    fn nonce(&self, account: &Address) -> Option<u64> {
        self.changes.nonces.get(account).copied().or_else(|| self.base.nonces.get(account).copied())
    }
}

impl Database for Overlay<'_> {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.base.account(&address, self.nonce(&address)))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.base.code_by_hash_ref(code_hash)
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        if address != SYSTEM_CONTRACT {
            return Ok(U256::ZERO);
        }
        Ok(self.changes.storage.get(&index).copied().unwrap_or_else(|| self.base.storage(&index)))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.base.block_hash_ref(number)
    }
}

impl DatabaseCommit for Overlay<'_> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        self.last_writes.clear();
        for (address, account) in changes {
            if address == SYSTEM_CONTRACT {
                for (slot, value) in account.storage {
                    if value.is_changed() {
                        self.changes.storage.insert(slot, value.present_value);
                        self.last_writes.push((slot.into(), value.present_value.into()));
                    }
                }
            } else if account.is_touched() {
                let nonce = account.info.nonce;
                if self.nonce(&address).unwrap_or(0) != nonce {
                    self.changes.nonces.insert(address, nonce);
                    self.last_writes.push((keys::nonce(&address), U256::from(nonce).into()));
                }
            }
        }
        // Deterministic order (the journal is a hash map): by key.
        self.last_writes.sort_unstable_by_key(|(k, _)| *k);
    }
}
