//! The Solidity bindings (`src/bindings.rs`) are generated from the committed artifacts at
//! compile time: rebuild them whenever `make contracts` refreshes an artifact.

fn main() {
    println!("cargo:rerun-if-changed=../contracts/artifacts");
}
