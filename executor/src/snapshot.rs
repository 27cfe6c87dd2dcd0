//! Snapshots of the committed state, so that a node restarts from a recent block instead of
//! re-executing the chain from genesis.
//!
//! Encoding (version 1), every integer big-endian:
//!
//! ```text
//! "RSNP" ‖ version: u8 = 1
//! ‖ nonce_count: u64 ‖ (address: 20 bytes ‖ nonce: u64) × nonce_count        ascending address
//! ‖ slot_count:  u64 ‖ (slot: 32 bytes ‖ value: 32 bytes) × slot_count       ascending slot
//! ```
//!
//! Zero nonces and zero slots are not written. The system contract's code is not part of a
//! snapshot: it comes from the genesis, which the restoring node lays out itself. A restored
//! state is trusted only once its rebuilt state root equals the root of the block it follows.

use crate::{Executor, ExecutorError, State};
use alloy_primitives::{Address, U256, map::HashMap};
use rollup_types::{ChainConfig, genesis::GenesisSpec, smt::SparseMerkleTree};
use std::sync::Arc;

const MAGIC: &[u8; 4] = b"RSNP";
const VERSION: u8 = 1;

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    /// Not a snapshot, or a version this code does not read.
    #[error("not a version-{VERSION} state snapshot")]
    Header,
    /// The data ends early or has bytes left over.
    #[error("snapshot is truncated or has trailing bytes")]
    Length,
    /// Entries are out of order, repeated or zero.
    #[error("snapshot entries are not strictly ascending and non-zero")]
    Order,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if self.0.len() < n {
            return Err(SnapshotError::Length);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        let bytes = self.take(8)?;
        Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| SnapshotError::Length)?))
    }

    /// A count whose entries of `size` bytes must fit in what is left.
    fn count(&mut self, size: usize) -> Result<usize, SnapshotError> {
        let n = usize::try_from(self.u64()?).map_err(|_| SnapshotError::Length)?;
        if n.checked_mul(size).is_none_or(|bytes| bytes > self.0.len()) {
            return Err(SnapshotError::Length);
        }
        Ok(n)
    }
}

impl State {
    /// Encodes the nonces and storage of this state (see the module documentation).
    pub fn encode_snapshot(&self) -> Vec<u8> {
        let mut nonces: Vec<(Address, u64)> = self.nonces().filter(|(_, n)| *n != 0).collect();
        nonces.sort_unstable();
        let mut slots: Vec<(U256, U256)> = self.slots().filter(|(_, v)| !v.is_zero()).collect();
        slots.sort_unstable();
        let mut out = Vec::with_capacity(5 + 16 + nonces.len() * 28 + slots.len() * 64);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&(nonces.len() as u64).to_be_bytes());
        for (address, nonce) in &nonces {
            out.extend_from_slice(address.as_slice());
            out.extend_from_slice(&nonce.to_be_bytes());
        }
        out.extend_from_slice(&(slots.len() as u64).to_be_bytes());
        for (slot, value) in &slots {
            out.extend_from_slice(&slot.to_be_bytes::<32>());
            out.extend_from_slice(&value.to_be_bytes::<32>());
        }
        out
    }
}

/// Decoded snapshot entries.
type Entries = (Vec<(Address, u64)>, Vec<(U256, U256)>);

fn decode(data: &[u8]) -> Result<Entries, SnapshotError> {
    let mut r = Reader(data);
    if r.take(4).map_err(|_| SnapshotError::Header)? != MAGIC
        || r.take(1).map_err(|_| SnapshotError::Header)? != [VERSION]
    {
        return Err(SnapshotError::Header);
    }
    let n = r.count(28)?;
    let mut nonces = Vec::with_capacity(n);
    for _ in 0..n {
        let address = Address::from_slice(r.take(20)?);
        let nonce = r.u64()?;
        if nonce == 0 || nonces.last().is_some_and(|(prev, _)| *prev >= address) {
            return Err(SnapshotError::Order);
        }
        nonces.push((address, nonce));
    }
    let n = r.count(64)?;
    let mut slots = Vec::with_capacity(n);
    for _ in 0..n {
        let slot = U256::from_be_slice(r.take(32)?);
        let value = U256::from_be_slice(r.take(32)?);
        if value.is_zero() || slots.last().is_some_and(|(prev, _)| *prev >= slot) {
            return Err(SnapshotError::Order);
        }
        slots.push((slot, value));
    }
    if !r.0.is_empty() {
        return Err(SnapshotError::Length);
    }
    Ok((nonces, slots))
}

impl Executor {
    /// An executor over the state encoded in `snapshot`, on the chain of `spec` (whose genesis
    /// supplies the system contract's code). The caller compares [`Self::state_root`] with
    /// the root of the block the snapshot follows before trusting it.
    pub fn from_snapshot(chain: ChainConfig, spec: &GenesisSpec, snapshot: &[u8]) -> Result<Self, ExecutorError> {
        let (nonces, slots) = decode(snapshot)?;
        let genesis = Self::genesis(chain, spec)?;
        let state =
            State::from_parts(genesis.state.code().clone(), nonces.into_iter().collect(), slots.into_iter().collect());
        let mut tree = SparseMerkleTree::new();
        // Sixteen ranges of shards hashed on the current rayon pool.
        tree.update_chunks(vec![state.leaves()], 4);
        Ok(Self { chain, state: Arc::new(state), tree, ..genesis })
    }

    /// The genesis of `spec` with `slots` of the system contract's storage set beside it (a
    /// later value of a slot wins; zeros are absent): a state of millions of leaves in seconds,
    /// for tests and benchmarks that need a large tree, where running the genesis constructor
    /// for each entry would take minutes.
    pub fn genesis_with_slots(
        chain: ChainConfig,
        spec: &GenesisSpec,
        slots: impl IntoIterator<Item = (U256, U256)>,
    ) -> Result<Self, ExecutorError> {
        let genesis = Self::genesis(chain, spec)?;
        let mut storage: HashMap<U256, U256> = genesis.state.slots().collect();
        storage.extend(slots);
        let nonces = genesis.state.nonces().collect();
        let state = State::from_parts(genesis.state.code().clone(), nonces, storage);
        let mut tree = SparseMerkleTree::new();
        tree.update_chunks(vec![state.leaves()], 4);
        Ok(Self { chain, state: Arc::new(state), tree, ..genesis })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_snapshots_are_refused() {
        let good = {
            let mut out = MAGIC.to_vec();
            out.push(VERSION);
            out.extend_from_slice(&1u64.to_be_bytes());
            out.extend_from_slice(&[7; 20]);
            out.extend_from_slice(&3u64.to_be_bytes());
            out.extend_from_slice(&0u64.to_be_bytes());
            out
        };
        assert_eq!(decode(&good).expect("valid").0, vec![(Address::repeat_byte(7), 3)]);
        assert_eq!(decode(b"RSNQ\x01"), Err(SnapshotError::Header));
        assert_eq!(decode(&good[..good.len() - 1]), Err(SnapshotError::Length));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(SnapshotError::Length));
        let mut huge = good[..5].to_vec();
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode(&huge), Err(SnapshotError::Length));
        let mut zero = good.clone();
        zero[33..41].copy_from_slice(&0u64.to_be_bytes());
        assert_eq!(decode(&zero), Err(SnapshotError::Order));
    }
}
