//! Random calls of the money market for the tests that check it (docs/lending.md): the Rust
//! properties (`rollup-sequencer`'s `lending_props`) and the differential test of the Rust
//! model, revm and the L1 verifier (`rollup-fraud-proof`'s `lending_model`) draw the same
//! sequences from here.

use crate::{
    bindings::{L2Lending, L2System},
    genesis::{DAI, USDC, WBTC, WETH},
};
use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use rand::Rng;

/// The devnet's markets' assets.
pub const ASSETS: [Address; 4] = [WETH, USDC, DAI, WBTC];

fn units(decimals: u8) -> U256 {
    U256::from(10u64).pow(U256::from(decimals))
}

/// The calls that set up a leveraged position for the WETH sales of [`random_call`] to make
/// liquidatable, with the index of the account that sends each: account 1 lends a million
/// USDC, account 0 supplies 10 WETH and borrows 24,000 USDC against it (against 82.5 % of
/// about 30,000 at the devnet's price).
pub fn leveraged_position() -> [(usize, Bytes); 3] {
    [
        (1, L2Lending::supplyCall { asset: USDC, amount: U256::from(1_000_000) * units(6) }.abi_encode().into()),
        (0, L2Lending::supplyCall { asset: WETH, amount: U256::from(10u8) * units(18) }.abi_encode().into()),
        (0, L2Lending::borrowCall { asset: USDC, amount: U256::from(24_000u64) * units(6) }.abi_encode().into()),
    ]
}

/// A random call of the money market, or a swap that moves a pool's price (and so, over the
/// blocks, the oracle's mean): amounts in the asset's own units, from a tenth of a unit to
/// thousands, so that borrows and withdrawals now pass, now go past the borrowing power;
/// liquidations of one of `borrowers` (most of them healthy: a revert).
pub fn random_call(rng: &mut impl Rng, borrowers: &[Address]) -> Bytes {
    let asset = ASSETS[rng.random_range(0..4)];
    let (decimals, scale) = match asset {
        USDC => (6, 3_000),
        WBTC => (8, 1),
        WETH => (18, 1),
        _ => (18, 3_000),
    };
    let whole = rng.random_range(1..=50u64) * scale + rng.random_range(0..10);
    let amount = U256::from(whole) * units(decimals) / U256::from(10u8);
    let call = match rng.random_range(0..20) {
        0..6 => L2Lending::supplyCall { asset, amount }.abi_encode(),
        6..8 => L2Lending::withdrawSupplyCall { asset, amount }.abi_encode(),
        8..12 => L2Lending::borrowCall { asset, amount: amount / U256::from(2u8) }.abi_encode(),
        12..14 => L2Lending::repayCall { asset, amount: U256::MAX }.abi_encode(),
        14..17 => L2Lending::liquidateCall {
            borrower: borrowers[rng.random_range(0..borrowers.len())],
            debtAsset: asset,
            collateralAsset: ASSETS[rng.random_range(0..4)],
            amount: amount / U256::from(10u8),
            minCollateral: U256::ZERO,
        }
        .abi_encode(),
        _ => {
            // A sale of WETH or WBTC into its pool: the collateral's price falls.
            let (token_in, amount_in) = if rng.random_bool(0.7) {
                (WETH, U256::from(rng.random_range(1..40u64)) * units(18))
            } else {
                (WBTC, U256::from(rng.random_range(1..3u64)) * units(8))
            };
            let token_out = if token_in == WETH { USDC } else { WETH };
            L2System::swapCall { tokenIn: token_in, tokenOut: token_out, amountIn: amount_in, minAmountOut: U256::ZERO }
                .abi_encode()
        }
    };
    call.into()
}
