#![doc = include_str!("../README.md")]

pub mod bindings;
pub mod blob;
pub mod block;
pub mod chain;
pub mod codec;
pub mod cpu;
pub mod deposit;
pub mod fault;
pub mod fees;
pub mod genesis;
pub mod idle;
pub mod keccak;
pub mod keys;
pub mod lending;
pub mod ops;
pub mod oracle;
pub mod queue;
pub mod recovered;
pub mod signer;
pub mod smt;
pub mod status;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod token;
pub mod tx;
pub mod witness;

pub use block::{BlockHeader, TxStatus};
pub use chain::{ChainConfig, SYSTEM_CONTRACT};
pub use fault::{FaultKind, Forgery};
pub use ops::Op;
pub use recovered::RecoveredTx;
pub use token::TokenCall;
pub use tx::{Operation, SignedTx, TxError};
