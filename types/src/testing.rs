//! Fixtures shared by the tests of several crates (feature `test-utils`).

pub mod lending;
pub mod market_model;

use crate::{
    bindings::L2System,
    genesis::{DAI, USDC, WETH},
    signer::Signer,
    token::TokenCall,
    tx::SignedTx,
};
use alloy_primitives::{Address, B256, Bytes, U256, address};
use alloy_sol_types::SolCall;

/// A transfer of 1 USDC to a fixed recipient.
pub fn transfer_calldata() -> Bytes {
    L2System::transferCall {
        token: USDC,
        to: address!("0x00000000000000000000000000000000000000aa"),
        amount: U256::from(1_000_000u64),
    }
    .abi_encode()
    .into()
}

/// A swap of 0.01 WETH for DAI with no minimum.
pub fn swap_calldata() -> Bytes {
    L2System::swapCall { tokenIn: WETH, tokenOut: DAI, amountIn: U256::from(10u64.pow(16)), minAmountOut: U256::ZERO }
        .abi_encode()
        .into()
}

fn signer(key: &[u8; 32]) -> Signer {
    Signer::new(&B256::from(*key)).expect("test keys are valid")
}

/// Signs an EIP-1559 transaction with a raw test key.
pub fn sign_eip1559(key: &[u8; 32], chain_id: u64, nonce: u64, input: Bytes) -> SignedTx {
    signer(key).eip1559(chain_id, nonce, input)
}

/// Signs an EIP-1559 token call of `token` with a raw test key.
pub fn sign_token_call(key: &[u8; 32], chain_id: u64, nonce: u64, token: Address, call: TokenCall) -> SignedTx {
    signer(key).eip1559_to(chain_id, nonce, token, call.encode().into())
}

/// Signs a legacy transaction with a raw test key.
pub fn sign_legacy(key: &[u8; 32], chain_id: u64, nonce: u64, input: Bytes) -> SignedTx {
    signer(key).legacy(chain_id, nonce, input)
}

/// The address of a raw test key.
pub fn address_of(key: &[u8; 32]) -> Address {
    signer(key).address()
}

/// The largest transaction the codec writes for an admissible one: every varint and number at
/// its widest, a raw input of the largest admissible length filled with `fill` (non-zero, so
/// that no byte packs smaller). No operation: inadmissible, but decodable. Its gas limit and
/// fees depend on `fill` (odd numbers, no trailing decimal zero), so that transactions of
/// distinct fills cannot share the batch's defaults.
pub fn widest_tx(signer: &Signer, chain: &crate::ChainConfig, fill: u8) -> SignedTx {
    let k = 2 * u64::from(fill);
    signer.sign_eip1559(alloy_consensus::TxEip1559 {
        chain_id: chain.chain_id,
        nonce: u64::MAX,
        gas_limit: u64::MAX - k,
        max_fee_per_gas: u128::MAX - u128::from(k),
        max_priority_fee_per_gas: u128::MAX - 2 - u128::from(k),
        to: alloy_primitives::TxKind::Call(crate::SYSTEM_CONTRACT),
        value: U256::ZERO,
        access_list: Default::default(),
        input: vec![fill; crate::chain::MAX_INPUT_BYTES].into(),
    })
}
