//! The rollup on one machine: anvil as the L1 ([`anvil`]), the contracts deployed on it
//! ([`deploy`]), every component in one process ([`Devnet`]), and the clients a user runs
//! against a chain: the bridge ([`bridge`]) and, once the operator stops, the escape hatch
//! ([`escape`]). Long work shows its [`progress`] on a terminal. The system tests in `tests/it`
//! start an anvil or a whole devnet.

pub mod anvil;
pub mod bridge;
mod devnet;
pub mod escape;
pub mod forge;
pub mod progress;

pub use devnet::{Deployment, Devnet, DevnetConfig, deploy};
