//! Solidity bindings generated from the committed artifacts in `contracts/artifacts/`
//! (kept in step with the sources by `make check-artifacts`).

#![allow(missing_docs)]

alloy_sol_types::sol!(
    #[sol(all_derives)]
    L2System,
    "../contracts/artifacts/L2System.json"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    BatchInbox,
    "../contracts/artifacts/BatchInbox.json"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ChunkVerifier,
    "../contracts/artifacts/ChunkVerifier.json"
);

/// Creation code of the L2 system contract.
pub fn l2_system_creation_code() -> &'static [u8] {
    &L2System::BYTECODE
}

/// Creation code of the batch inbox.
pub fn batch_inbox_creation_code() -> &'static [u8] {
    &BatchInbox::BYTECODE
}

/// Creation code of the chunk verifier (the L1 step verifier of fraud proofs).
pub fn chunk_verifier_creation_code() -> &'static [u8] {
    &ChunkVerifier::BYTECODE
}
