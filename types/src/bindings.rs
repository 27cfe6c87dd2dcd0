//! Solidity bindings generated from the committed artifacts in `contracts/artifacts/`
//! (kept in step with the sources by `make check-artifacts`). Each contract's bindings live in
//! a module of their own, because an ABI that uses another contract's struct (the inbox's
//! `proveChunkFraud` takes `BatchDecoder.DataProof`) generates a module of that name too.

#![allow(missing_docs)]
// Events with eight fields (`BatchPosted`, `DepositQueued`) generate constructors that take as many.
#![allow(clippy::too_many_arguments)]

mod l2 {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        L2System,
        "../contracts/artifacts/L2System.json"
    );
}

mod l2_lending {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        L2Lending,
        "../contracts/artifacts/L2Lending.json"
    );
}

mod l2_token {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        L2Token,
        "../contracts/artifacts/L2Token.json"
    );
}

mod l2_supply_token {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        L2SupplyToken,
        "../contracts/artifacts/L2SupplyToken.json"
    );
}

mod multicall {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        Multicall3,
        "../contracts/artifacts/Multicall3.json"
    );
}

mod inbox {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        BatchInbox,
        "../contracts/artifacts/BatchInbox.json"
    );
}

mod blob_verifier {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        BlobVerifier,
        "../contracts/artifacts/BlobVerifier.json"
    );
}

mod verifier {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ChunkVerifier,
        "../contracts/artifacts/ChunkVerifier.json"
    );
}

mod decoder {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        BatchDecoder,
        "../contracts/artifacts/BatchDecoder.json"
    );
}

mod replay_logic {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ReplayLogic,
        "../contracts/artifacts/ReplayLogic.json"
    );
}

mod lending_replay {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        LendingReplay,
        "../contracts/artifacts/LendingReplay.json"
    );
}

mod bridge {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        L1Bridge,
        "../contracts/artifacts/L1Bridge.json"
    );
}

mod token {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        TestToken,
        "../contracts/artifacts/TestToken.json"
    );
}

pub use blob_verifier::BlobVerifier;
/// The queue entry contents the bridge's `refundDeposit` takes (its own module, its own type).
pub use bridge::BridgeQueue::Contents as BridgeQueueContents;
pub use bridge::L1Bridge;
/// The data part of a chunk proof, as the inbox's `proveChunkFraud` takes it.
pub use inbox::BatchDecoder::DataProof;
pub use inbox::BatchInbox;
/// A blob cell with its KZG proof, as the inbox's `proveBlobFraud` takes it.
pub use inbox::BlobVerifier::Cell as BlobCell;
/// The queue entry contents of a chunk proof, as the inbox's `proveChunkFraud` takes them.
pub use inbox::BridgeQueue::Contents as QueueContents;
/// The chunk part of a chunk proof, as the inbox's `proveChunkFraud` takes it.
pub use inbox::ChunkVerifier::ChunkProof;
pub use l2::L2System;
/// A market of the L2 genesis (`LendingLogic.MarketParams`).
pub use l2::LendingLogic::MarketParams;
/// An oracle's route in the L2 genesis (`OracleLogic.OracleRoute`).
pub use l2::OracleLogic::OracleRoute;
pub use l2_lending::L2Lending;
pub use l2_supply_token::L2SupplyToken;
pub use l2_token::L2Token;
pub use multicall::Multicall3;
pub use token::TestToken;
/// The same structs as the verifier's `replayChunk` takes them (its own module, its own types).
pub use verifier::BatchDecoder::DataProof as VerifierDataProof;
pub use verifier::BridgeQueue::Contents as VerifierQueueContents;
pub use verifier::ChunkVerifier;

/// Creation code of the L2 system contract.
pub fn l2_system_creation_code() -> &'static [u8] {
    &L2System::BYTECODE
}

/// Runtime code of a token's ERC-20 face, served at every registered token's address (it is
/// never deployed: the executor derives it from the state, see [`crate::token`]).
pub fn l2_token_runtime_code() -> &'static [u8] {
    &L2Token::DEPLOYED_BYTECODE
}

/// Runtime code of the money market (`L2Lending`), served at [`crate::chain::LENDING`]: the
/// system contract runs it over its own storage (a DELEGATECALL), never called on its own.
pub fn l2_lending_runtime_code() -> &'static [u8] {
    &L2Lending::DEPLOYED_BYTECODE
}

/// Runtime code of the ERC-20 face of a market's supplies, served at
/// [`crate::chain::supply_face`] of each market for read-only calls.
pub fn l2_supply_token_runtime_code() -> &'static [u8] {
    &L2SupplyToken::DEPLOYED_BYTECODE
}

/// Runtime code of Multicall3, served at [`crate::chain::MULTICALL3`] for read-only calls.
pub fn multicall3_runtime_code() -> &'static [u8] {
    &Multicall3::DEPLOYED_BYTECODE
}

/// Creation code of the batch inbox.
pub fn batch_inbox_creation_code() -> &'static [u8] {
    &BatchInbox::BYTECODE
}

/// Creation code of the chunk verifier (the L1 step verifier of fraud proofs), to be followed
/// by its constructor's arguments: the decoder and the logic ([`chunk_verifier_deploy_code`]).
pub fn chunk_verifier_creation_code() -> &'static [u8] {
    &ChunkVerifier::BYTECODE
}

/// The chunk verifier's creation code with its constructor's arguments: the batch decoder and
/// the replay logic deployed at `decoder` and `logic`.
pub fn chunk_verifier_deploy_code(decoder: alloy_primitives::Address, logic: alloy_primitives::Address) -> Vec<u8> {
    use alloy_sol_types::SolConstructor;
    let mut code = ChunkVerifier::BYTECODE.to_vec();
    code.extend_from_slice(&ChunkVerifier::constructorCall { decoder_: decoder, logic_: logic }.abi_encode());
    code
}

/// Creation code of the batch decoder the chunk verifier reads batch data with.
pub fn batch_decoder_creation_code() -> &'static [u8] {
    &decoder::BatchDecoder::BYTECODE
}

/// The replay logic's creation code with its constructor's argument: the money market's replay
/// logic (`LendingReplay`) deployed at `lending`, which it delegates the market's calls to.
pub fn replay_logic_deploy_code(lending: alloy_primitives::Address) -> Vec<u8> {
    use alloy_sol_types::SolConstructor;
    let mut code = replay_logic::ReplayLogic::BYTECODE.to_vec();
    code.extend_from_slice(&replay_logic::ReplayLogic::constructorCall { lending }.abi_encode());
    code
}

/// Creation code of the money market's replay logic, deployed before the replay logic.
pub fn lending_replay_creation_code() -> &'static [u8] {
    &lending_replay::LendingReplay::BYTECODE
}

/// Creation code of the L1 bridge.
pub fn l1_bridge_creation_code() -> &'static [u8] {
    &L1Bridge::BYTECODE
}

/// Creation code of the devnet's L1 test token.
pub fn test_token_creation_code() -> &'static [u8] {
    &TestToken::BYTECODE
}
