//! The operation table's vectors (`testdata/operation-vectors.json`, docs/operations.md): each
//! row of `rollup_types::ops::OPS`, a canonical call of each operation, and the inbox's fault
//! kinds in order. Checked here and by `contracts/test/Operations.t.sol` against
//! `Operations.sol`, the table's Solidity twin, the codec's and fee schedule's lookups, and
//! `BatchInbox.Fault`.

use super::write_or_check;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rollup_types::{
    FaultKind, Op, SYSTEM_CONTRACT,
    bindings::{L2Lending, L2System},
    fees,
    genesis::{DEV_ACCOUNTS, USDC, WETH},
    ops::{Form, OPS, Target},
    token::IErc20Calls,
};
use serde::{Deserialize, Serialize};

const FILE: &str = "operation-vectors.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OperationVectors {
    comment: String,
    /// Row `i` of the table is operation `i`: its name, selector (0 for a transfer of ether),
    /// target (0 the system contract, 1 a token, 2 any account), codec form (0 compact, 1 token
    /// call, 2 raw, 3 extended), codec code, numbers (after the registry pair of a compact form,
    /// of an extended form), scheduled gas, and an extended form's shape: leading addresses,
    /// shortest and longest address list (0 and 0 for none); whether it is heavy (1: its
    /// transactions take a chunk of their own).
    op_name: Vec<String>,
    op_selector: Vec<U256>,
    op_target: Vec<U256>,
    op_form: Vec<U256>,
    op_code: Vec<U256>,
    op_amounts: Vec<U256>,
    op_gas: Vec<U256>,
    op_addresses: Vec<U256>,
    op_list_min: Vec<U256>,
    op_list_max: Vec<U256>,
    op_heavy: Vec<U256>,
    /// A canonical call of each operation, in table order: its target and calldata.
    call_to: Vec<Address>,
    call_input: Vec<Bytes>,
    /// `BatchInbox.Fault`, in its order.
    fault_name: Vec<String>,
}

const fn target_number(target: Target) -> u64 {
    match target {
        Target::System => 0,
        Target::Token => 1,
        Target::Account => 2,
    }
}

/// (form, code, amounts)
const fn form_numbers(form: Form) -> (u64, u64, u64) {
    match form {
        Form::Compact { code, amounts } => (0, code as u64, amounts as u64),
        Form::TokenCall { code } => (1, code as u64, 0),
        Form::Raw => (2, 0, 0),
        Form::Extended(shape) => (3, 7, shape.numbers as u64),
    }
}

/// (addresses, list_min, list_max) of an extended form; zeros otherwise.
const fn shape_numbers(form: Form) -> (u64, u64, u64) {
    match form {
        Form::Extended(s) => (s.addresses as u64, s.list_min as u64, s.list_max as u64),
        _ => (0, 0, 0),
    }
}

/// A canonical call of `op`.
fn sample(op: Op) -> (Address, Bytes) {
    let (a, b) = (DEV_ACCOUNTS[1].address, DEV_ACCOUNTS[2].address);
    let amount = U256::from(12_345_000u64);
    let system = |input: Vec<u8>| (SYSTEM_CONTRACT, Bytes::from(input));
    let token = |input: Vec<u8>| (USDC, Bytes::from(input));
    match op {
        Op::EtherTransfer => (a, Bytes::new()),
        Op::Transfer => system(L2System::transferCall { token: WETH, to: a, amount }.abi_encode()),
        Op::Swap => system(
            L2System::swapCall { tokenIn: WETH, tokenOut: USDC, amountIn: amount, minAmountOut: U256::from(1u8) }
                .abi_encode(),
        ),
        Op::CreatePool => {
            system(L2System::createPoolCall { tokenA: WETH, tokenB: a, amountA: amount, amountB: amount }.abi_encode())
        }
        Op::AddLiquidity => system(
            L2System::addLiquidityCall {
                tokenA: WETH,
                tokenB: USDC,
                amountADesired: amount,
                amountBDesired: amount,
                minLiquidity: U256::ZERO,
            }
            .abi_encode(),
        ),
        Op::RemoveLiquidity => system(
            L2System::removeLiquidityCall {
                tokenA: WETH,
                tokenB: USDC,
                liquidity: amount,
                minAmountA: U256::ZERO,
                minAmountB: U256::ZERO,
            }
            .abi_encode(),
        ),
        Op::Withdraw => system(L2System::withdrawCall { l2Token: WETH, l1Recipient: b, amount }.abi_encode()),
        Op::WithdrawFees => system(L2System::withdrawFeesCall {}.abi_encode()),
        Op::CreateToken => system(
            L2System::createTokenCall { salt: B256::repeat_byte(7), symbol: "OPS".into(), decimals: 6, supply: amount }
                .abi_encode(),
        ),
        Op::TokenTransfer => token(IErc20Calls::transferCall { to: a, amount }.abi_encode()),
        Op::TokenApprove => token(IErc20Calls::approveCall { spender: a, amount }.abi_encode()),
        Op::TokenTransferFrom => token(IErc20Calls::transferFromCall { from: a, to: b, amount }.abi_encode()),
        Op::SwapPath => system(
            L2System::swapPathCall {
                path: vec![WETH, USDC, a],
                amountIn: amount,
                minAmountOut: U256::from(1u8),
                deadline: U256::from(1_800_000_000u64),
            }
            .abi_encode(),
        ),
        Op::Supply => system(L2Lending::supplyCall { asset: WETH, amount }.abi_encode()),
        Op::WithdrawSupply => system(L2Lending::withdrawSupplyCall { asset: WETH, amount: U256::MAX }.abi_encode()),
        Op::Borrow => system(L2Lending::borrowCall { asset: USDC, amount }.abi_encode()),
        Op::Repay => system(L2Lending::repayCall { asset: USDC, amount }.abi_encode()),
        Op::Liquidate => system(
            L2Lending::liquidateCall {
                borrower: a,
                debtAsset: USDC,
                collateralAsset: WETH,
                amount,
                minCollateral: U256::from(1u8),
            }
            .abi_encode(),
        ),
    }
}

fn generate() -> OperationVectors {
    let number = |v: u64| U256::from(v);
    let calls: Vec<(Address, Bytes)> = Op::ALL.iter().map(|op| sample(*op)).collect();
    OperationVectors {
        comment: "The operation table (docs/operations.md): rows of rollup_types::ops::OPS and of Operations.sol, \
                  a canonical call of each operation, and BatchInbox.Fault in order. Generated by \
                  types/tests/vectors/ops.rs: do not edit; regenerate with UPDATE_VECTORS=1 cargo test -p \
                  rollup-types --test vectors."
            .to_owned(),
        op_name: OPS.iter().map(|s| s.name.to_owned()).collect(),
        op_selector: OPS.iter().map(|s| number(u64::from(u32::from_be_bytes(s.selector)))).collect(),
        op_target: OPS.iter().map(|s| number(target_number(s.target))).collect(),
        op_form: OPS.iter().map(|s| number(form_numbers(s.form).0)).collect(),
        op_code: OPS.iter().map(|s| number(form_numbers(s.form).1)).collect(),
        op_amounts: OPS.iter().map(|s| number(form_numbers(s.form).2)).collect(),
        op_gas: OPS.iter().map(|s| number(s.gas)).collect(),
        op_addresses: OPS.iter().map(|s| number(shape_numbers(s.form).0)).collect(),
        op_list_min: OPS.iter().map(|s| number(shape_numbers(s.form).1)).collect(),
        op_list_max: OPS.iter().map(|s| number(shape_numbers(s.form).2)).collect(),
        op_heavy: OPS.iter().map(|s| number(u64::from(s.heavy))).collect(),
        call_to: calls.iter().map(|c| c.0).collect(),
        call_input: calls.iter().map(|c| c.1.clone()).collect(),
        fault_name: FaultKind::ALL.iter().map(|k| k.name().to_owned()).collect(),
    }
}

fn check(v: &OperationVectors) {
    assert_eq!(v.op_name.len(), OPS.len());
    for (i, op) in Op::ALL.iter().enumerate() {
        let spec = op.spec();
        assert_eq!(v.op_name[i], spec.name);
        assert_eq!(v.op_gas[i], U256::from(spec.gas), "{op}");
        assert_eq!(v.op_heavy[i], U256::from(u64::from(spec.heavy)), "{op}");
        let (to, input) = (v.call_to[i], &v.call_input[i]);
        // Its canonical call is heavy exactly when its row is.
        assert_eq!(rollup_types::codec::is_heavy_call(&to, input), spec.heavy, "{op}");
        // The call is the operation, of its scheduled gas, and the kind of call its target says.
        assert_eq!(Op::of_call(to, input), Some(*op), "{op}");
        assert_eq!(fees::scheduled_gas(to, input), Some(spec.gas), "{op}");
        assert_eq!(to == SYSTEM_CONTRACT, spec.target == Target::System, "{op}");
        if spec.target == Target::System {
            assert!(rollup_types::Operation::decode(input).is_ok(), "{op}");
        }
    }
    for (i, name) in v.fault_name.iter().enumerate() {
        assert_eq!(FaultKind::from_u8(i as u8).map(FaultKind::name), Some(name.as_str()));
    }
}

#[test]
fn operation_vectors() {
    write_or_check(FILE, &generate(), check);
}
