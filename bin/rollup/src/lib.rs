#![doc = include_str!("../README.md")]

pub mod anvil;
pub mod batcher_http;
pub mod bench;
pub mod bridge;
pub mod bridge_bench;
pub mod cli;
pub mod codec_bench;
pub mod devnet;
pub mod e2e_bench;
pub mod escape;
pub mod history_bench;
pub mod hostile;
pub mod load;
pub mod post_bench;
pub mod proof_bench;
pub mod tree_bench;
