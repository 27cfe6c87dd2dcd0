//! The benchmarks' quick versions that hold a bound: each runs a bench against a real anvil
//! or a devnet and asserts on its report.

mod abuse;
mod bounds;
