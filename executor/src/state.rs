//! The L2 state as revm sees it: account nonces, and the code and storage of the system
//! contract. Nothing else exists on this chain (no deployed contracts, and no ether in revm's
//! accounts: ether is the ledger's balance of `keys::ETHER` in the system contract's storage,
//! and a transfer of ether runs as the ledger's `transfer`) but code that follows from the
//! state: every registered token's address has the runtime
//! code of `L2Token` (its ERC-20 face over the ledger), and for read-only calls Multicall3 has
//! its code at its canonical address.

use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{HashMap, HashSet},
};
use revm::{
    Database, DatabaseCommit, DatabaseRef,
    bytecode::Bytecode,
    primitives::{AddressMap, KECCAK_EMPTY, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};
use rollup_types::{
    RecoveredTx, SYSTEM_CONTRACT,
    bindings::{l2_lending_runtime_code, l2_supply_token_runtime_code, l2_token_runtime_code, multicall3_runtime_code},
    chain::{LENDING, MULTICALL3},
    keys,
};
use std::{
    convert::Infallible,
    sync::{Arc, LazyLock},
};

/// Code served at an address, with its hash.
struct Served {
    code: Bytecode,
    hash: B256,
}

impl Served {
    fn new(runtime: &'static [u8]) -> Self {
        let code = Bytecode::new_raw(Bytes::from_static(runtime));
        let hash = code.hash_slow();
        Self { code, hash }
    }
}

/// The ERC-20 face of a ledger token, at every registered token's address.
static TOKEN_CODE: LazyLock<Served> = LazyLock::new(|| Served::new(l2_token_runtime_code()));
/// The money market's code, which the system contract runs over its own storage.
static LENDING_CODE: LazyLock<Served> = LazyLock::new(|| Served::new(l2_lending_runtime_code()));
/// The ERC-20 face of a market's supplies, for read-only calls.
static SUPPLY_FACE_CODE: LazyLock<Served> = LazyLock::new(|| Served::new(l2_supply_token_runtime_code()));
/// Multicall3, for read-only calls.
static MULTICALL3_CODE: LazyLock<Served> = LazyLock::new(|| Served::new(multicall3_runtime_code()));

/// The account of a registered token: its code, no nonce (no key signs for a token's address).
fn token_account(code: Bytecode) -> AccountInfo {
    AccountInfo { nonce: 0, code_hash: TOKEN_CODE.hash, code: Some(code), ..Default::default() }
}

/// The account of the money market's code ([`LENDING`]): code and nothing else, constant.
fn lending_account() -> AccountInfo {
    AccountInfo { nonce: 1, code_hash: LENDING_CODE.hash, code: Some(LENDING_CODE.code.clone()), ..Default::default() }
}

/// The storage slot of a token's metadata ([`keys::token`]), non-zero once it is registered.
fn token_slot(address: &Address) -> U256 {
    U256::from_be_bytes(keys::token(address).0)
}

/// How many parts the committed state's maps are cut into, by the top bits of the key, so
/// that a block's changes can be applied on several threads at once.
const PARTS: usize = 16;

/// A key of the committed state's maps, with the part it belongs to.
trait PartKey: std::hash::Hash + Eq + Copy {
    fn part(&self) -> usize;
}

impl PartKey for U256 {
    fn part(&self) -> usize {
        // The top four bits: the part of the tree's key space the slot lies in.
        (self.as_limbs()[3] >> 60) as usize
    }
}

impl PartKey for Address {
    fn part(&self) -> usize {
        usize::from(self.0[0] >> 4)
    }
}

/// A hash map cut into [`PARTS`] maps by key.
#[derive(Clone, Debug)]
struct Parted<K, V> {
    parts: Vec<HashMap<K, V>>,
}

impl<K, V> Default for Parted<K, V> {
    fn default() -> Self {
        Self { parts: (0..PARTS).map(|_| HashMap::default()).collect() }
    }
}

impl<K: PartKey, V: Copy> Parted<K, V> {
    fn new(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut map = Self::default();
        for (k, v) in entries {
            map.parts[k.part()].insert(k, v);
        }
        map
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.parts[key.part()].get(key)
    }

    fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.parts.iter().flat_map(HashMap::iter)
    }

    fn len(&self) -> usize {
        self.parts.iter().map(HashMap::len).sum()
    }
}

impl<K: PartKey, V: Copy + Default + PartialEq> Parted<K, V> {
    /// The value of `key` in this map seen through `changes` (zeros kept: a zero is an absent
    /// key), which are looked up only if `changed` (they hold anything).
    fn get_through(&self, changes: &Self, changed: bool, key: &K) -> V {
        if changed && let Some(v) = changes.get(key) {
            return *v;
        }
        self.get(key).copied().unwrap_or_default()
    }

    /// Every non-zero entry of this map seen through `changes`, in no particular order.
    fn iter_through<'a>(&'a self, changes: &'a Self) -> impl Iterator<Item = (K, V)> + 'a {
        self.iter()
            .filter(move |(k, _)| changes.get(k).is_none())
            .chain(changes.iter())
            .filter(|(_, v)| **v != V::default())
            .map(|(k, v)| (*k, *v))
    }
}

/// Writes `value` at `key`; a zero (the default) removes the key or is kept, as `zeros` says.
fn put<K: std::hash::Hash + Eq, V: Copy + Default + PartialEq>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    zeros: Zeros,
) {
    if zeros == Zeros::Remove && value == V::default() {
        map.remove(&key);
    } else {
        map.insert(key, value);
    }
}

/// What a zero written to a map means there: the key is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Zeros {
    /// Remove the key (a map that holds every key it knows).
    Remove,
    /// Keep the zero (a map of changes over another: the zero hides the older value).
    Keep,
}

/// The maps of a state: account nonces and the system contract's storage. A zero nonce or
/// slot is an absent one.
#[derive(Clone, Debug, Default)]
struct Maps {
    nonces: Parted<Address, u64>,
    storage: Parted<U256, U256>,
}

impl Maps {
    fn len(&self) -> usize {
        self.nonces.len() + self.storage.len()
    }

    /// Applies `layers` in order (later layers win) on the calling thread.
    fn apply(&mut self, layers: &[Changes], zeros: Zeros) {
        apply_to_parts(&mut self.nonces.parts, &mut self.storage.parts, 0, layers, zeros);
    }

    /// [`Self::apply`] on the current rayon pool, as `tasks` tasks that each own a range of
    /// the maps' parts and take their keys from every layer.
    fn apply_parallel(&mut self, layers: &[Changes], tasks: usize, zeros: Zeros) {
        use rayon::prelude::*;
        let per_task = PARTS.div_ceil(tasks.clamp(1, PARTS));
        self.nonces
            .parts
            .par_chunks_mut(per_task)
            .zip(self.storage.parts.par_chunks_mut(per_task))
            .enumerate()
            .for_each(|(t, (nonces, storage))| apply_to_parts(nonces, storage, t * per_task, layers, zeros));
    }

    /// Writes `changes` (a map of changes over this one, zeros kept) into this map, part by
    /// part; on the current rayon pool when `parallel`.
    fn fold(&mut self, changes: &Maps, parallel: bool) {
        fn part<K: std::hash::Hash + Eq + Copy, V: Copy + Default + PartialEq>(
            into: &mut HashMap<K, V>,
            from: &HashMap<K, V>,
        ) {
            for (k, v) in from {
                put(into, *k, *v, Zeros::Remove);
            }
        }
        if parallel {
            use rayon::prelude::*;
            self.nonces.parts.par_iter_mut().zip(&changes.nonces.parts).for_each(|(i, f)| part(i, f));
            self.storage.parts.par_iter_mut().zip(&changes.storage.parts).for_each(|(i, f)| part(i, f));
        } else {
            self.nonces.parts.iter_mut().zip(&changes.nonces.parts).for_each(|(i, f)| part(i, f));
            self.storage.parts.iter_mut().zip(&changes.storage.parts).for_each(|(i, f)| part(i, f));
        }
    }
}

/// When the changes over a shared base are folded into a copy of it: once the changes hold
/// `c` entries with `c² ≥ FOLD_SCALE × n` or `c ≥ n / 8`, `n` the base's entries. Each block
/// copies the changes (the state is copied whenever a reader holds the previous one: at every
/// block in the sequencer), and each fold copies the base, so with `w` new keys a block the
/// cost per block is about `c/2 + n·w/c`, least at `c = √(2nw)`; `FOLD_SCALE` is that for
/// blocks of about 4,000 changed keys (a block of 1,300 transfers). The second bound keeps
/// the changes small beside the base, so that most reads look up one map: below about
/// 500,000 entries (`n/8 ≤ √(8192·n)`) it is the one that applies, and a small state is
/// copied at nearly every block, as a copy of it is cheap.
const FOLD_SCALE: usize = 8_192;

/// The committed L2 state.
///
/// A copy of the state is cheap whatever its size: the nonces and storage sit in a base that
/// copies share and in the changes made since, which a copy copies; the changes are folded
/// into the base in place while no copy shares it, else into a copy of it once they are
/// large enough to be worth it ([`FOLD_SCALE`]). Readers that hold the state of a block while
/// the next one is applied (the sequencer's calls, its blocks waiting to be sealed) thus cost
/// a fraction of the state per block instead of all of it.
#[derive(Clone, Debug)]
pub struct State {
    /// The nonces and storage as of some block, shared by the copies made since.
    base: Arc<Maps>,
    /// What changed since `base`, zeros kept: read first.
    recent: Maps,
    /// Entries of `recent` (reads skip it while it is empty).
    recent_len: usize,
    code: Bytecode,
    code_hash: B256,
    /// The block-constant slots: written only by genesis and a block's beginning, so within a
    /// block's items read-only (docs/lending.md §3, rule 2). Reading one conflicts with no
    /// transaction, so the commit check does not count it.
    constant: Arc<HashSet<U256>>,
}

/// The slots no item of a block writes, from a state's genesis-laid-out parts: the oracles'
/// header, entries and words, and the money market's header, markets, indices and asset index.
fn block_constant_slots(storage: &HashMap<U256, U256>) -> HashSet<U256> {
    let slot = |key: B256| U256::from_be_bytes(key.0);
    let read = |key: B256| storage.get(&slot(key)).copied().unwrap_or_default();
    let address = |word: U256| Address::from_word(B256::from(word));
    let mut constant = HashSet::default();
    constant.insert(slot(keys::oracles()));
    for i in 0..read(keys::oracles()).as_limbs()[0] & 0xff {
        let asset = address(read(keys::oracle_at(i)));
        constant.extend([keys::oracle_at(i), keys::oracle(&asset, 0), keys::oracle(&asset, 1)].map(slot));
    }
    constant.insert(slot(keys::markets()));
    for i in 0..read(keys::markets()).as_limbs()[0] & 0xff {
        let asset = address(read(keys::market(i, 0)));
        constant
            .extend([keys::market(i, 0), keys::market(i, 1), keys::market(i, 2), keys::market_of(&asset)].map(slot));
    }
    constant
}

impl State {
    /// A state with the system contract's `code` and `storage` and no nonces.
    pub fn new(code: Bytecode, storage: HashMap<U256, U256>) -> Self {
        Self::from_parts(code, HashMap::default(), storage)
    }

    /// A state from its parts (a restored snapshot).
    pub(crate) fn from_parts(code: Bytecode, nonces: HashMap<Address, u64>, storage: HashMap<U256, U256>) -> Self {
        let code_hash = code.hash_slow();
        let constant = Arc::new(block_constant_slots(&storage));
        let base = Maps {
            nonces: Parted::new(nonces.into_iter().filter(|(_, n)| *n != 0)),
            storage: Parted::new(storage.into_iter().filter(|(_, v)| !v.is_zero())),
        };
        Self { base: Arc::new(base), recent: Maps::default(), recent_len: 0, code, code_hash, constant }
    }

    /// Every account with a nonce, in no particular order.
    pub fn nonces(&self) -> impl Iterator<Item = (Address, u64)> + '_ {
        self.base.nonces.iter_through(&self.recent.nonces)
    }

    /// Every non-zero storage slot of the system contract, in no particular order.
    pub fn slots(&self) -> impl Iterator<Item = (U256, U256)> + '_ {
        self.base.storage.iter_through(&self.recent.storage)
    }

    /// The nonce of `account`.
    pub fn nonce(&self, account: &Address) -> u64 {
        self.base.nonces.get_through(&self.recent.nonces, self.recent_len != 0, account)
    }

    /// A storage slot of the system contract (equivalently, a state-tree key).
    pub fn storage(&self, slot: &U256) -> U256 {
        self.base.storage.get_through(&self.recent.storage, self.recent_len != 0, slot)
    }

    /// The runtime code of the system contract.
    pub fn code(&self) -> &Bytecode {
        &self.code
    }

    /// Whether a token is registered at `address` (it then has the token code; tokens are
    /// never removed).
    pub fn is_token(&self, address: &Address) -> bool {
        !self.storage(&token_slot(address)).is_zero()
    }

    /// The ether `owner` holds: its balance of [`keys::ETHER`] in the ledger
    /// (`eth_getBalance`).
    pub fn ether_balance(&self, owner: &Address) -> U256 {
        self.storage(&keys::ether_balance(owner).into())
    }

    /// The chain's fee state (docs/fees.md §6): the block that last held an item, its
    /// scheduled gas and its base fee. [`FeeState::enter`] gives a later block's.
    ///
    /// [`FeeState::enter`]: rollup_types::fees::FeeState::enter
    pub fn fee_state(&self) -> rollup_types::fees::FeeState {
        rollup_types::fees::FeeState::from_word(self.storage(&keys::fee_state().into()))
    }

    /// The cap on the next block's L1 price by the chain's reading of the L1's fees
    /// ([`rollup_types::fees::l1_price_cap`], docs/fees.md §4).
    pub fn l1_price_cap(&self) -> u64 {
        rollup_types::fees::l1_price_cap(self.storage(&keys::l1_fees().into()))
    }

    /// The code at `address` as read-only calls see it (`eth_getCode`): the system
    /// contract's, a token's, Multicall3's, or none.
    pub fn code_at(&self, address: &Address) -> Option<Bytes> {
        code_in(self, address)
    }

    /// Every state-tree leaf of this state: storage slots and non-zero nonces.
    pub fn leaves(&self) -> Vec<(B256, B256)> {
        let storage = self.slots().map(|(k, v)| (k.into(), v.into()));
        let nonces = self.nonces().map(|(a, n)| (keys::nonce(&a), U256::from(n).into()));
        storage.chain(nonces).collect()
    }

    /// Puts back values that changes overwrote: a zero nonce or slot is an absent one.
    pub(crate) fn restore(&mut self, old: &Changes) {
        self.apply(std::slice::from_ref(old));
    }

    /// Applies a block's changes, `layers` in order (later layers win), on the calling thread.
    pub(crate) fn apply(&mut self, layers: &[Changes]) {
        self.write(layers, None);
    }

    /// [`Self::apply`] on the current rayon pool, as `tasks` tasks that each own a range of
    /// the maps' parts and take their keys from every layer.
    pub(crate) fn apply_parallel(&mut self, layers: &[Changes], tasks: usize) {
        self.write(layers, Some(tasks));
    }

    /// Applies `layers`: into the base when nothing else holds it (the changes made since
    /// folded in first), else into the changes, folded into a copy of the base once large.
    fn write(&mut self, layers: &[Changes], tasks: Option<usize>) {
        let parallel = tasks.is_some();
        let apply = |maps: &mut Maps, zeros| match tasks {
            Some(tasks) => maps.apply_parallel(layers, tasks, zeros),
            None => maps.apply(layers, zeros),
        };
        if let Some(base) = Arc::get_mut(&mut self.base) {
            if self.recent_len != 0 {
                base.fold(&self.recent, parallel);
                self.recent = Maps::default();
                self.recent_len = 0;
            }
            apply(base, Zeros::Remove);
            return;
        }
        apply(&mut self.recent, Zeros::Keep);
        let (c, n) = (self.recent.len(), self.base.len());
        if c.saturating_mul(c) >= FOLD_SCALE.saturating_mul(n) || c.saturating_mul(8) >= n {
            Arc::make_mut(&mut self.base).fold(&self.recent, parallel);
            self.recent = Maps::default();
            self.recent_len = 0;
        } else {
            self.recent_len = c;
        }
    }

    fn system_account(&self, code: &Bytecode) -> AccountInfo {
        AccountInfo { nonce: 1, code_hash: self.code_hash, code: Some(code.clone()), ..Default::default() }
    }
}

/// What the accounts of a state are made of, read from any view of it (the committed state,
/// or an older block's seen through what the blocks since overwrote: [`crate::StateAt`]).
pub(crate) trait Reads {
    /// The committed state underneath (code of the system contract).
    fn base(&self) -> &State;
    /// The nonce of `account`, zero when it has none.
    fn nonce_of(&self, account: &Address) -> u64;
    /// A storage slot of the system contract.
    fn slot(&self, slot: &U256) -> U256;

    /// The fee state (docs/fees.md §6).
    fn fee_state_of(&self) -> rollup_types::fees::FeeState {
        rollup_types::fees::FeeState::from_word(self.slot(&keys::fee_state().into()))
    }
}

impl Reads for State {
    fn base(&self) -> &State {
        self
    }

    fn nonce_of(&self, account: &Address) -> u64 {
        self.nonce(account)
    }

    fn slot(&self, slot: &U256) -> U256 {
        self.storage(slot)
    }
}

/// The account at `address` as a read-only call sees it: the system contract, the money
/// market's code, an account with a nonce, a token, a market's supply face, Multicall3, or
/// nothing.
pub(crate) fn account_in(state: &impl Reads, address: &Address) -> Option<AccountInfo> {
    let base = state.base();
    if *address == SYSTEM_CONTRACT {
        return Some(base.system_account(&base.code));
    }
    if *address == LENDING {
        return Some(lending_account());
    }
    match state.nonce_of(address) {
        0 => {}
        nonce => return Some(eoa(nonce)),
    }
    if !state.slot(&token_slot(address)).is_zero() {
        return Some(token_account(TOKEN_CODE.code.clone()));
    }
    if let Some(market) = rollup_types::chain::face_market(address) {
        let count = state.slot(&U256::from_be_bytes(keys::markets().0)) & U256::from(0xffu8);
        if U256::from(market) < count {
            let code = SUPPLY_FACE_CODE.code.clone();
            return Some(AccountInfo {
                nonce: 0,
                code_hash: SUPPLY_FACE_CODE.hash,
                code: Some(code),
                ..Default::default()
            });
        }
    }
    (*address == MULTICALL3).then(|| AccountInfo {
        nonce: 1,
        code_hash: MULTICALL3_CODE.hash,
        code: Some(MULTICALL3_CODE.code.clone()),
        ..Default::default()
    })
}

/// The code at `address` as read-only calls see it (`eth_getCode`).
pub(crate) fn code_in(state: &impl Reads, address: &Address) -> Option<Bytes> {
    account_in(state, address).and_then(|a| a.code).map(|c| c.original_bytes()).filter(|c| !c.is_empty())
}

impl State {
    /// Code by hash: the system contract's, the token code, the money market's, Multicall3's
    /// and the supply faces' (when `calls`).
    pub(crate) fn code_by_hash(&self, hash: B256, calls: bool) -> Bytecode {
        if hash == self.code_hash {
            self.code.clone()
        } else if hash == TOKEN_CODE.hash {
            TOKEN_CODE.code.clone()
        } else if hash == LENDING_CODE.hash {
            LENDING_CODE.code.clone()
        } else if calls && hash == MULTICALL3_CODE.hash {
            MULTICALL3_CODE.code.clone()
        } else if calls && hash == SUPPLY_FACE_CODE.hash {
            SUPPLY_FACE_CODE.code.clone()
        } else {
            Bytecode::default()
        }
    }
}

/// An account with a nonce and nothing else.
fn eoa(nonce: u64) -> AccountInfo {
    AccountInfo { nonce, code_hash: KECCAK_EMPTY, ..Default::default() }
}

impl DatabaseRef for State {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(account_in(self, &address))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.code_by_hash(code_hash, true))
    }

    fn storage_ref(&self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        Ok(if address == SYSTEM_CONTRACT { self.storage(&index) } else { U256::ZERO })
    }

    fn block_hash_ref(&self, _number: u64) -> Result<B256, Self::Error> {
        // The system contract never reads block hashes; nothing may depend on them.
        Ok(B256::ZERO)
    }
}

/// Applies the changes of `layers`, in order, whose keys fall in the parts `first..` held
/// by `nonces` and `storage` (the same range of both maps); a zero removes the key or is
/// kept, as `zeros` says.
fn apply_to_parts(
    nonces: &mut [HashMap<Address, u64>],
    storage: &mut [HashMap<U256, U256>],
    first: usize,
    layers: &[Changes],
    zeros: Zeros,
) {
    // The index of a key's part in the slices, if they hold it.
    let mine = |part: usize, held: usize| Some(part.wrapping_sub(first)).filter(|i| *i < held);
    for layer in layers {
        for (account, nonce) in &layer.nonces {
            if let Some(i) = mine(account.part(), nonces.len()) {
                put(&mut nonces[i], *account, *nonce, zeros);
            }
        }
        for (slot, value) in &layer.storage {
            if let Some(i) = mine(slot.part(), storage.len()) {
                put(&mut storage[i], *slot, *value, zeros);
            }
        }
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

impl Touched {
    /// A 64-bit fingerprint of the key, which the commit check works with instead of the key
    /// (a third of the size, and no 33-byte hashing per touch).
    ///
    /// Two keys sharing a fingerprint can only make the check more careful: a worker records
    /// the earlier of their first touches under it, so the position the check computes for
    /// the fingerprint is at or before the one it would compute for either key, and it keeps
    /// fewer transactions, never more. Slots are mostly keccak outputs (uniform already); the
    /// mixing keeps small fixed slots and nonces apart.
    pub(crate) fn fingerprint(&self) -> u64 {
        #[inline]
        fn mix(h: u64, word: u64) -> u64 {
            (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(27)
        }
        match self {
            Self::Slot(slot) => slot.as_limbs().iter().fold(0x5107_u64, |h, w| mix(h, *w)),
            Self::Nonce(account) => {
                let mut words = [0u8; 24];
                words[..20].copy_from_slice(account.as_slice());
                words
                    .chunks_exact(8)
                    .fold(0x4e0c_u64, |h, w| mix(h, u64::from_le_bytes(w.try_into().unwrap_or_default())))
            }
        }
    }
}

/// One write of a committed transaction, in the committed state's own terms.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RawWrite {
    Nonce(Address, u64),
    Slot(U256, U256),
}

/// What a worker records, beyond its changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// Nothing: the worker runs alone.
    Off,
    /// What the commit check needs: the first touch of every key, by fingerprint, and the
    /// writes of each transaction. The worker runs beside others.
    Touches,
    /// The same, and every key touched itself (a fraud proof's witness).
    Keys,
}

/// What a worker records for the commit check: which keys its transactions touched (read or
/// wrote), and each transaction's writes so that a valid prefix can be committed alone.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Block position of the first of this worker's transactions to touch each key, by the
    /// key's [`Touched::fingerprint`].
    pub(crate) first_touch: HashMap<u64, u32>,
    /// Every key touched (only with [`Record::Keys`]).
    pub(crate) keys: Option<alloy_primitives::map::HashSet<Touched>>,
    /// Writes of the committed transactions, in order.
    pub(crate) raw: Vec<RawWrite>,
    /// For each transaction of the worker (in its order), the end of its writes in `raw`.
    pub(crate) raw_ends: Vec<u32>,
    /// Block position of the transaction executing now.
    pub(crate) current: u32,
}

impl Recorder {
    fn touch(&mut self, key: Touched) {
        self.first_touch.entry(key.fingerprint()).or_insert(self.current);
        if let Some(keys) = &mut self.keys {
            keys.insert(key);
        }
    }
}

thread_local! {
    /// This thread's own copy of the system contract's code, by code hash.
    static CODE: std::cell::RefCell<Option<(B256, Bytecode)>> = const { std::cell::RefCell::new(None) };
    /// This thread's own copy of the token code.
    static TOKEN: std::cell::RefCell<Option<(B256, Bytecode)>> = const { std::cell::RefCell::new(None) };
}

/// A copy of `code` that only this thread uses (made once per thread and code).
fn thread_copy(code: &Bytecode, hash: B256) -> Bytecode {
    thread_copy_in(&CODE, code, hash)
}

fn thread_copy_in(
    key: &'static std::thread::LocalKey<std::cell::RefCell<Option<(B256, Bytecode)>>>,
    code: &Bytecode,
    hash: B256,
) -> Bytecode {
    key.with(|cell| {
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
pub(crate) struct Overlay<'a, B: Reads = State> {
    base: &'a B,
    prior: &'a [Changes],
    /// The block's beneficiary: revm loads it for every transaction, nothing writes it.
    beneficiary: Address,
    pub(crate) changes: Changes,
    /// Writes of the last committed transaction, as state-tree leaves.
    pub(crate) last_writes: Vec<(B256, B256)>,
    /// The sender of the transaction executing now and the state-tree key of its nonce
    /// (computed at recovery), which the transaction writes.
    pub(crate) sender: Option<(Address, B256)>,
    /// Set when the commit must check this worker against others.
    pub(crate) recorder: Option<Recorder>,
    /// The system contract's code. revm clones it (an atomic reference count) several times
    /// per transaction: workers on other threads get a private copy, so that they do not all
    /// contend for one cache line.
    code: Bytecode,
    /// The token code, copied the same way.
    token_code: Bytecode,
}

impl<'a, B: Reads> Overlay<'a, B> {
    /// An overlay for one task that records `record`. When it records, other tasks may run at
    /// the same time: it then uses its thread's own copy of the code.
    ///
    /// `txs` is how many transactions it will run: its maps are sized for them up front
    /// (growing a hash map rehashes everything it holds).
    pub(crate) fn new(base: &'a B, prior: &'a [Changes], beneficiary: Address, record: Record, txs: usize) -> Self {
        let beside_others = record != Record::Off;
        let state = base.base();
        let (code, token_code) = if beside_others {
            (thread_copy(&state.code, state.code_hash), thread_copy_in(&TOKEN, &TOKEN_CODE.code, TOKEN_CODE.hash))
        } else {
            (state.code.clone(), TOKEN_CODE.code.clone())
        };
        // A transfer writes a nonce and two slots and touches four keys; most operations
        // write about as much.
        let changes = Changes {
            nonces: HashMap::with_capacity_and_hasher(txs, Default::default()),
            storage: HashMap::with_capacity_and_hasher(2 * txs, Default::default()),
        };
        let recorder = beside_others.then(|| Recorder {
            first_touch: HashMap::with_capacity_and_hasher(4 * txs, Default::default()),
            keys: (record == Record::Keys).then(Default::default),
            raw: Vec::with_capacity(3 * txs),
            raw_ends: Vec::with_capacity(txs),
            current: 0,
        });
        Self { base, prior, beneficiary, changes, last_writes: Vec::new(), sender: None, recorder, code, token_code }
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
        Some(self.base.nonce_of(account)).filter(|n| *n != 0)
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
        self.base.slot(slot)
    }
}

/// A fee taken before a transaction ran ([`Overlay::pay`]).
#[derive(Debug)]
pub(crate) struct Paid {
    /// The sender's ether: its key and slot, its balance after the fee, and this worker's
    /// change of it before (to put back if the transaction does not run).
    key: B256,
    slot: U256,
    after: U256,
    before: Option<U256>,
    /// What was taken.
    pub(crate) charge: rollup_types::fees::Charge,
}

impl Paid {
    /// Adds the payment to the transaction's writes `writes` (sorted by key), unless the
    /// operation wrote the sender's ether itself (its write then holds the final balance);
    /// returns the fee.
    pub(crate) fn add_to(&self, writes: &mut Vec<(B256, B256)>) -> U256 {
        if let Err(at) = writes.binary_search_by_key(&self.key, |(k, _)| *k) {
            writes.insert(at, (self.key, self.after.into()));
        }
        self.charge.fee
    }
}

impl<B: Reads> Overlay<'_, B> {
    /// Takes the fee of `tx` in a block of `base_fee` and `l1_byte_price` from its sender's
    /// ether, before the operation runs (docs/fees.md §2, §5); `Err` when it cannot pay
    /// (nothing changes). A transaction whose nonce is not its sender's pays nothing
    /// (`Ok(None)`): revm refuses it.
    pub(crate) fn pay(
        &mut self,
        tx: &RecoveredTx,
        base_fee: u128,
        l1_byte_price: u64,
    ) -> Result<Option<Paid>, rollup_types::fees::Unpayable> {
        // The nonce and the ether are read whatever comes of it, as the L1 verifier reads them.
        let key = tx.sender_balance_key();
        let slot = U256::from_be_bytes(key.0);
        if let Some(recorder) = &mut self.recorder {
            recorder.touch(Touched::Nonce(tx.sender));
            recorder.touch(Touched::Slot(slot));
        }
        if self.nonce(&tx.sender).unwrap_or(0) != tx.nonce() {
            return Ok(None);
        }
        let balance = self.slot(&slot);
        let l1_gas = rollup_types::fees::l1_gas(tx.billed_bytes(), l1_byte_price, base_fee);
        let charge =
            rollup_types::fees::charge(&tx.tx.offer(), tx.tx.scheduled_gas(), l1_gas, base_fee, tx.sender, balance)?;
        // The charge is at most what the sender was found to hold.
        let after = balance.saturating_sub(charge.fee);
        let before = self.changes.storage.insert(slot, after);
        if let Some(recorder) = &mut self.recorder {
            recorder.raw.push(RawWrite::Slot(slot, after));
        }
        Ok(Some(Paid { key, slot, after, before, charge }))
    }

    /// Uses the nonce of `tx`'s sender without running its operation (a transaction out of
    /// gas, docs/fees.md §2): its one write, as the transaction's writes.
    pub(crate) fn consume_nonce(&mut self, tx: &RecoveredTx) -> Vec<(B256, B256)> {
        let nonce = tx.nonce().saturating_add(1);
        self.changes.nonces.insert(tx.sender, nonce);
        if let Some(recorder) = &mut self.recorder {
            recorder.raw.push(RawWrite::Nonce(tx.sender, nonce));
        }
        vec![(tx.sender_nonce_key(), U256::from(nonce).into())]
    }

    /// Puts back what [`Self::pay`] took, when the transaction did not run after all.
    pub(crate) fn refund(&mut self, paid: Paid) {
        match paid.before {
            Some(v) => self.changes.storage.insert(paid.slot, v),
            None => self.changes.storage.remove(&paid.slot),
        };
        if let Some(recorder) = &mut self.recorder {
            recorder.raw.pop();
        }
    }
}

impl<B: Reads> Database for Overlay<'_, B> {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        if address == SYSTEM_CONTRACT {
            return Ok(Some(self.base.base().system_account(&self.code)));
        }
        // Constant code the system contract runs over its own storage: no touch.
        if address == LENDING {
            return Ok(Some(lending_account()));
        }
        if address == self.beneficiary {
            return Ok(self.nonce(&address).map(eoa));
        }
        if let Some(nonce) = self.nonce(&address) {
            if let Some(recorder) = &mut self.recorder {
                recorder.touch(Touched::Nonce(address));
            }
            return Ok(Some(eoa(nonce)));
        }
        // No nonce: a token, or nothing. A token registered before the block stays one (its
        // metadata never changes), so reading it conflicts with no transaction: it is kept for
        // the witness only, and every call of a hot token does not collide on it.
        let slot = token_slot(&address);
        if !self.base.slot(&slot).is_zero() {
            if let Some(keys) = self.recorder.as_mut().and_then(|r| r.keys.as_mut()) {
                keys.insert(Touched::Slot(slot));
            }
            return Ok(Some(token_account(self.token_code.clone())));
        }
        // Otherwise this block may register it, or give the address a nonce, first.
        if let Some(recorder) = &mut self.recorder {
            recorder.touch(Touched::Nonce(address));
            recorder.touch(Touched::Slot(slot));
        }
        Ok((!self.slot(&slot).is_zero()).then(|| token_account(self.token_code.clone())))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(if code_hash == self.base.base().code_hash {
            self.code.clone()
        } else if code_hash == TOKEN_CODE.hash {
            self.token_code.clone()
        } else if code_hash == LENDING_CODE.hash {
            LENDING_CODE.code.clone()
        } else {
            Bytecode::default()
        })
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, Self::Error> {
        if address != SYSTEM_CONTRACT {
            return Ok(U256::ZERO);
        }
        if let Some(recorder) = &mut self.recorder {
            if self.base.base().constant.contains(&index) {
                // Read-only within the block's items: kept for the witness, not a touch.
                if let Some(keys) = recorder.keys.as_mut() {
                    keys.insert(Touched::Slot(index));
                }
            } else {
                recorder.touch(Touched::Slot(index));
            }
        }
        Ok(self.slot(&index))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.base.base().block_hash_ref(number)
    }
}

impl<B: Reads> DatabaseCommit for Overlay<'_, B> {
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
            } else if account.is_touched() && address != LENDING {
                // (The money market's code is constant: nothing of it is state.)
                let nonce = account.info.nonce;
                if self.nonce(&address).unwrap_or(0) != nonce {
                    self.changes.nonces.insert(address, nonce);
                    let key = match self.sender {
                        Some((sender, key)) if sender == address => key,
                        _ => keys::nonce(&address),
                    };
                    self.last_writes.push((key, U256::from(nonce).into()));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of the state, sorted: nonces as (address word, nonce), then slots.
    fn sorted(state: &State) -> Vec<(U256, U256)> {
        let mut nonces: Vec<_> =
            state.nonces().map(|(a, n)| (U256::from_be_slice(a.as_slice()), U256::from(n))).collect();
        let mut slots: Vec<_> = state.slots().collect();
        nonces.sort_unstable();
        slots.sort_unstable();
        nonces.extend(slots);
        nonces
    }

    /// A deterministic stream of pseudo-random numbers (a linear congruential generator).
    fn numbers(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            x >> 16
        }
    }

    /// Layers whose keys spread over every part, overwrite each other and delete slots.
    fn layers(seed: u64) -> Vec<Changes> {
        let mut next = numbers(seed);
        (0..5)
            .map(|_| {
                let mut layer = Changes::default();
                for _ in 0..300 {
                    let r = next();
                    // Few distinct keys, so that layers overwrite each other.
                    let slot = U256::from(r % 97) << (200 + (r % 50) as usize);
                    let value = if r.is_multiple_of(7) { U256::ZERO } else { U256::from(next()) };
                    layer.record(RawWrite::Slot(slot, value));
                    let account = Address::repeat_byte((next() % 251) as u8);
                    layer.record(RawWrite::Nonce(account, next() % 1000));
                }
                layer
            })
            .collect()
    }

    #[test]
    fn fingerprints_of_small_slots_hashed_slots_and_nonces_do_not_collide() {
        let mut seen = alloy_primitives::map::HashSet::<u64>::default();
        let mut keys = Vec::new();
        for i in 0..2_000u64 {
            keys.push(Touched::Slot(U256::from(i)));
            keys.push(Touched::Slot(alloy_primitives::keccak256(i.to_be_bytes()).into()));
            keys.push(Touched::Nonce(Address::left_padding_from(&i.to_be_bytes())));
            keys.push(Touched::Nonce(Address::from_word(alloy_primitives::keccak256(i.to_le_bytes()))));
        }
        for key in &keys {
            assert!(seen.insert(key.fingerprint()), "{key:?} collides");
        }
        assert_eq!(Touched::Slot(U256::from(7)).fingerprint(), Touched::Slot(U256::from(7)).fingerprint());
    }

    /// The nonces and slots a state must hold, kept by applying the same changes to plain
    /// ordered maps.
    #[derive(Clone, Default, PartialEq, Debug)]
    struct Model {
        nonces: std::collections::BTreeMap<Address, u64>,
        slots: std::collections::BTreeMap<U256, U256>,
    }

    impl Model {
        fn apply(&mut self, layers: &[Changes]) {
            for layer in layers {
                for (a, n) in &layer.nonces {
                    if *n == 0 {
                        self.nonces.remove(a)
                    } else {
                        self.nonces.insert(*a, *n)
                    };
                }
                for (k, v) in &layer.storage {
                    if v.is_zero() {
                        self.slots.remove(k)
                    } else {
                        self.slots.insert(*k, *v)
                    };
                }
            }
        }

        /// Asserts that `state` holds exactly this, through its iterators and its reads, the
        /// keys `written` included (deleted ones read as absent).
        fn check(&self, state: &State, written: &[Changes], what: &str) {
            let nonces: std::collections::BTreeMap<_, _> = state.nonces().collect();
            let slots: std::collections::BTreeMap<_, _> = state.slots().collect();
            assert_eq!(nonces, self.nonces, "{what}: nonces");
            assert_eq!(slots, self.slots, "{what}: slots");
            assert_eq!(state.leaves().len(), self.nonces.len() + self.slots.len(), "{what}: leaves");
            let nonces = self.nonces.keys().chain(written.iter().flat_map(|l| l.nonces.keys()));
            for a in nonces {
                assert_eq!(state.nonce(a), self.nonces.get(a).copied().unwrap_or(0), "{what}: nonce of {a}");
            }
            let slots = self.slots.keys().chain(written.iter().flat_map(|l| l.storage.keys()));
            for k in slots {
                assert_eq!(state.storage(k), self.slots.get(k).copied().unwrap_or_default(), "{what}: slot {k}");
            }
        }
    }

    /// Distinct keys the blocks of [`block_layers`] write.
    const BLOCK_KEYS: u64 = 30_000;

    /// The `i`th account and slot the blocks write.
    fn block_key(i: u64) -> (Address, U256) {
        let word = alloy_primitives::keccak256(i.to_be_bytes());
        (Address::from_word(word), U256::from_be_bytes(word.0) >> 8)
    }

    /// A block's changes: two layers of 200 slots and 20 nonces each, a tenth of them zero.
    fn block_layers(seed: u64) -> Vec<Changes> {
        let mut next = numbers(seed.wrapping_add(17));
        (0..2)
            .map(|_| {
                let mut layer = Changes::default();
                for n in 0..220 {
                    let (account, slot) = block_key(next() % BLOCK_KEYS);
                    let zero = next().is_multiple_of(10);
                    if n % 11 == 0 {
                        layer.record(RawWrite::Nonce(account, if zero { 0 } else { next() % 1000 + 1 }));
                    } else {
                        layer.record(RawWrite::Slot(slot, if zero { U256::ZERO } else { U256::from(next() + 1) }));
                    }
                }
                layer
            })
            .collect()
    }

    #[test]
    fn copies_held_by_readers_keep_their_values_while_later_blocks_apply() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        // A base of n entries takes the changes made over it in place once nothing else holds
        // it, else into a copy once they hold n/8 entries (below 500,000): with the blocks
        // below (about 420 new keys each) a base of 20,000 slots folds into a copy about every
        // six blocks; one of 0, 50 or 2,000 at every block.
        for base_slots in [0u64, 50, 2_000, 20_000] {
            let initial: HashMap<U256, U256> =
                (0..base_slots).map(|i| (U256::from(i + 1) << 240, U256::from(i + 1))).collect();
            let mut state = State::new(Bytecode::default(), initial.clone());
            let mut model = Model { slots: initial.into_iter().collect(), ..Model::default() };
            // Copies readers hold, with the block they were taken at.
            let mut held: Vec<(u64, State, Model)> = Vec::new();
            let (mut layered, mut folded_shared, mut folded_alone) = (false, false, false);
            for block in 0..60u64 {
                let layers = block_layers(block * 7 + base_slots);
                // Readers hold the state of most blocks until the next one; some copies are
                // kept for long (every tenth block's), and every fifth block has none.
                held.retain(|(taken, _, _)| taken % 10 == 0);
                if block % 5 != 4 {
                    held.push((block, state.clone(), model.clone()));
                }
                let before = state.recent_len;
                let shared = Arc::strong_count(&state.base) > 1;
                if block % 2 == 0 {
                    pool.install(|| state.apply_parallel(&layers, 4));
                } else {
                    state.apply(&layers);
                }
                model.apply(&layers);
                layered |= state.recent_len > 0;
                folded_shared |= shared && state.recent_len == 0 && before > 0;
                folded_alone |= !shared && before > 0;
                model.check(&state, &layers, &format!("base {base_slots}, block {block}"));
                // The copies, at every fifth block (each check reads the whole state).
                for (taken, copy, then) in held.iter().filter(|_| block % 5 == 0) {
                    then.check(copy, &layers, &format!("base {base_slots}, block {block}, copy of block {taken}"));
                }
            }
            if base_slots >= 20_000 {
                assert!(layered, "base {base_slots}: the changes never stood over a shared base");
                assert!(folded_shared, "base {base_slots}: never folded into a copy of the base");
                assert!(folded_alone, "base {base_slots}: never folded into a base nothing else held");
            }

            // Undo over a held copy: the old values come back, the copy keeps the new ones.
            let copy = state.clone();
            let layer = block_layers(1234).remove(0);
            let mut old = Changes::default();
            for a in layer.nonces.keys() {
                old.record(RawWrite::Nonce(*a, state.nonce(a)));
            }
            for k in layer.storage.keys() {
                old.record(RawWrite::Slot(*k, state.storage(k)));
            }
            let after = {
                let mut m = model.clone();
                m.apply(std::slice::from_ref(&layer));
                m
            };
            state.apply(std::slice::from_ref(&layer));
            let written = std::slice::from_ref(&layer);
            after.check(&state, written, "after the undone block");
            let undone = state.clone();
            state.restore(&old);
            model.check(&state, written, "undone");
            after.check(&undone, written, "a copy taken before the undo");
            model.check(&copy, written, "a copy taken before the block");
        }
    }

    #[test]
    fn parallel_apply_equals_apply_in_order() {
        let initial: HashMap<U256, U256> = (0..500u64).map(|i| (U256::from(i) << 240, U256::from(i + 1))).collect();
        for seed in 0..4 {
            let layers = layers(seed);
            let mut expected = State::new(Bytecode::default(), initial.clone());
            expected.apply(&layers);
            for tasks in [1, 2, 3, 4, 7, 16, 40] {
                let mut got = State::new(Bytecode::default(), initial.clone());
                rayon::ThreadPoolBuilder::new()
                    .num_threads(2)
                    .build()
                    .expect("pool")
                    .install(|| got.apply_parallel(&layers, tasks));
                assert_eq!(sorted(&got), sorted(&expected), "seed {seed}, {tasks} tasks");
            }
        }
    }
}
