#![doc = include_str!("../README.md")]

pub mod anvil;
pub mod bench;
pub mod cli;
pub mod devnet;
pub mod load;
