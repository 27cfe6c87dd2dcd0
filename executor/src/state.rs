//! The L2 state as revm sees it: account nonces, and the code and storage of the system
//! contract. Nothing else exists on this chain (no ether balances, no other contracts).

use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
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

    /// A state from its parts (a restored snapshot).
    pub(crate) fn from_parts(code: Bytecode, nonces: HashMap<Address, u64>, storage: HashMap<U256, U256>) -> Self {
        Self { nonces, ..Self::new(code, storage) }
    }

    /// Every account with a nonce, in no particular order.
    pub fn nonces(&self) -> impl Iterator<Item = (Address, u64)> + '_ {
        self.nonces.iter().map(|(a, n)| (*a, *n))
    }

    /// Every storage slot of the system contract, in no particular order.
    pub fn slots(&self) -> impl Iterator<Item = (U256, U256)> + '_ {
        self.storage.iter().map(|(k, v)| (*k, *v))
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
        self.account_with(&self.code, address, nonce)
    }

    fn account_with(&self, code: &Bytecode, address: &Address, nonce: Option<u64>) -> Option<AccountInfo> {
        if *address == SYSTEM_CONTRACT {
            return Some(AccountInfo {
                nonce: 1,
                code_hash: self.code_hash,
                code: Some(code.clone()),
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

impl Changes {
    pub(crate) fn record(&mut self, write: RawWrite) {
        match write {
            RawWrite::Nonce(account, nonce) => {
                self.nonces.insert(account, nonce);
            }
            RawWrite::Slot(slot, value) => {
                self.storage.insert(slot, value);
            }
        }
    }
}

/// A piece of state as revm reaches it: an account's nonce, or a storage slot of the system
/// contract. Two transactions interact only through keys they both touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Touched {
    Nonce(Address),
    Slot(U256),
}

/// One write of a committed transaction, in the committed state's own terms.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RawWrite {
    Nonce(Address, u64),
    Slot(U256, U256),
}

/// What a worker records for the commit check: which keys its transactions touched (read or
/// wrote), and each transaction's writes so that a valid prefix can be committed alone.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Block position of the first of this worker's transactions to touch each key.
    pub(crate) first_touch: HashMap<Touched, u32>,
    /// Writes of the committed transactions, in order.
    pub(crate) raw: Vec<RawWrite>,
    /// For each transaction of the worker (in its order), the end of its writes in `raw`.
    pub(crate) raw_ends: Vec<u32>,
    /// Block position of the transaction executing now.
    pub(crate) current: u32,
}

impl Recorder {
    fn touch(&mut self, key: Touched) {
        self.first_touch.entry(key).or_insert(self.current);
    }
}

thread_local! {
    /// This thread's own copy of the system contract's code, by code hash.
    static CODE: std::cell::RefCell<Option<(B256, Bytecode)>> = const { std::cell::RefCell::new(None) };
}

/// A copy of `code` that only this thread uses (made once per thread and code).
fn thread_copy(code: &Bytecode, hash: B256) -> Bytecode {
    CODE.with(|cell| {
        let mut cached = cell.borrow_mut();
        match &*cached {
            Some((h, copy)) if *h == hash => copy.clone(),
            _ => {
                let copy = Bytecode::new_raw(Bytes::copy_from_slice(code.original_byte_slice()));
                *cached = Some((hash, copy.clone()));
                copy
            }
        }
    })
}

/// Pending changes over the committed state, as a revm database: this worker's own changes,
/// over earlier layers of the block (`prior`, later layers win), over the committed state.
#[derive(Debug)]
pub(crate) struct Overlay<'a> {
    base: &'a State,
    prior: &'a [Changes],
    /// The block's beneficiary: revm loads it for every transaction, nothing writes it.
    beneficiary: Address,
    pub(crate) changes: Changes,
    /// Writes of the last committed transaction, as state-tree leaves.
    pub(crate) last_writes: Vec<(B256, B256)>,
    /// Set when the commit must check this worker against others.
    pub(crate) recorder: Option<Recorder>,
    /// The system contract's code. revm clones it (an atomic reference count) several times
    /// per transaction: workers on other threads get a private copy, so that they do not all
    /// contend for one cache line.
    code: Bytecode,
}

impl<'a> Overlay<'a> {
    /// An overlay for one task; `beside_others` when other tasks run at the same time: it
    /// then records for the commit check and uses its thread's own copy of the code.
    pub(crate) fn new(base: &'a State, prior: &'a [Changes], beneficiary: Address, beside_others: bool) -> Self {
        let code = if beside_others { thread_copy(&base.code, base.code_hash) } else { base.code.clone() };
        Self {
            base,
            prior,
            beneficiary,
            changes: Changes::default(),
            last_writes: Vec::new(),
            recorder: beside_others.then(Recorder::default),
            code,
        }
    }

    fn nonce(&self, account: &Address) -> Option<u64> {
        if let Some(n) = self.changes.nonces.get(account) {
            return Some(*n);
        }
        for layer in self.prior.iter().rev() {
            if let Some(n) = layer.nonces.get(account) {
                return Some(*n);
            }
        }
        self.base.nonces.get(account).copied()
    }

    fn slot(&self, slot: &U256) -> U256 {
        if let Some(v) = self.changes.storage.get(slot) {
            return *v;
        }
        for layer in self.prior.iter().rev() {
            if let Some(v) = layer.storage.get(slot) {
                return *v;
            }
        }
        self.base.storage(slot)
    }
}

impl Database for Overlay<'_> {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        if address != SYSTEM_CONTRACT
            && address != self.beneficiary
            && let Some(recorder) = &mut self.recorder
        {
            recorder.touch(Touched::Nonce(address));
        }
        Ok(self.base.account_with(&self.code, &address, self.nonce(&address)))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(if code_hash == self.base.code_hash { self.code.clone() } else { Bytecode::default() })
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        if address != SYSTEM_CONTRACT {
            return Ok(U256::ZERO);
        }
        if let Some(recorder) = &mut self.recorder {
            recorder.touch(Touched::Slot(index));
        }
        Ok(self.slot(&index))
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
                        if let Some(recorder) = &mut self.recorder {
                            recorder.raw.push(RawWrite::Slot(slot, value.present_value));
                        }
                    }
                }
            } else if account.is_touched() {
                let nonce = account.info.nonce;
                if self.nonce(&address).unwrap_or(0) != nonce {
                    self.changes.nonces.insert(address, nonce);
                    self.last_writes.push((keys::nonce(&address), U256::from(nonce).into()));
                    if let Some(recorder) = &mut self.recorder {
                        recorder.raw.push(RawWrite::Nonce(address, nonce));
                    }
                }
            }
        }
        // Deterministic order (the journal is a hash map): by key.
        self.last_writes.sort_unstable_by_key(|(k, _)| *k);
    }
}
