//! The closed operation set as one table (docs/operations.md): for each operation a user
//! transaction may perform, its name, what it calls, its compact form in the batch codec
//! (docs/batch-codec.md §3.3), its scheduled gas (docs/fees.md §2.1) and its relative cost for
//! the executor's workers. Every part of the node reads the operation here: the codec, the fee
//! schedule, admission, key prediction, fault injection.
//!
//! The L1 verifier's twin is `contracts/src/logic/Operations.sol`; both check
//! `testdata/operation-vectors.json`, which this table writes (`types/tests/vectors`).

use crate::{
    SYSTEM_CONTRACT, TokenCall,
    bindings::{L2Lending, L2System},
    token::IErc20Calls,
};
use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use std::fmt;

/// An operation of the closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Op {
    /// A transfer of ether: empty calldata and a value, to any address but the system contract.
    EtherTransfer,
    /// The ledger's `transfer(token, to, amount)`.
    Transfer,
    /// `swap(tokenIn, tokenOut, amountIn, minAmountOut)`.
    Swap,
    /// `createPool(tokenA, tokenB, amountA, amountB)`.
    CreatePool,
    /// `addLiquidity(tokenA, tokenB, amountADesired, amountBDesired, minLiquidity)`.
    AddLiquidity,
    /// `removeLiquidity(tokenA, tokenB, liquidity, minAmountA, minAmountB)`.
    RemoveLiquidity,
    /// `withdraw(l2Token, l1Recipient, amount)` (docs/bridge.md §5.1).
    Withdraw,
    /// `withdrawFees()`: the fee vault's withdrawal (docs/fees.md §6).
    WithdrawFees,
    /// `createToken(salt, symbol, decimals, supply)`.
    CreateToken,
    /// A token's ERC-20 `transfer(to, amount)`.
    TokenTransfer,
    /// A token's ERC-20 `approve(spender, amount)`.
    TokenApprove,
    /// A token's ERC-20 `transferFrom(from, to, amount)`.
    TokenTransferFrom,
    /// `swapPath(path, amountIn, minAmountOut, deadline)`: a swap through up to
    /// [`MAX_PATH`]` − 1` pools (the router).
    SwapPath,
    /// The money market's `supply(asset, amount)` (docs/lending.md §1).
    Supply,
    /// `withdrawSupply(asset, amount)`.
    WithdrawSupply,
    /// `borrow(asset, amount)`.
    Borrow,
    /// `repay(asset, amount)`.
    Repay,
    /// `liquidate(borrower, debtAsset, collateralAsset, amount, minCollateral)`.
    Liquidate,
}

/// Most tokens on a `swapPath` path (four pools).
pub const MAX_PATH: u8 = 5;

/// What a transaction of an operation is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The system contract.
    System,
    /// A token's ERC-20 face.
    Token,
    /// Any address but the system contract (a transfer of ether).
    Account,
}

/// How the batch codec writes an operation's arguments (docs/batch-codec.md §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Operation `code` of §3.3.1: a registry pair, then `amounts` numbers.
    Compact {
        /// The head's operation code.
        code: u8,
        /// Numbers after the pair.
        amounts: u8,
    },
    /// Token call `code` of §3.3.2 (head bit 6).
    TokenCall {
        /// The head's operation code.
        code: u8,
    },
    /// Raw calldata (operation 0): arguments the compact forms do not carry.
    Raw,
    /// An extended operation (§3.3.3, operation code 7): the row's number, then its arguments
    /// by its shape.
    Extended(Shape),
}

/// The arguments of an extended operation, in the order of its Solidity signature: `addresses`
/// addresses, then (when `list_max` is not zero) an address list of `list_min` to `list_max`
/// addresses, then `numbers` 256-bit numbers. Its canonical ABI encoding is what the codec
/// rebuilds (docs/batch-codec.md §3.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Leading address arguments.
    pub addresses: u8,
    /// Shortest address list; with `list_max` 0, no list.
    pub list_min: u8,
    /// Longest address list; 0 for none.
    pub list_max: u8,
    /// Number arguments after the addresses and the list.
    pub numbers: u8,
}

impl Shape {
    /// Whether an address list follows the leading addresses.
    pub const fn has_list(&self) -> bool {
        self.list_max != 0
    }

    /// The head words of its ABI encoding: the addresses, the list's offset, the numbers.
    pub const fn head_words(&self) -> usize {
        self.addresses as usize + self.has_list() as usize + self.numbers as usize
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSpec {
    /// The operation.
    pub op: Op,
    /// Its name in fault kinds, metrics and the CLI (`op-<name>`).
    pub name: &'static str,
    /// Its Solidity signature; empty for a transfer of ether.
    pub signature: &'static str,
    /// Its selector; zero for a transfer of ether.
    pub selector: [u8; 4],
    /// What it is sent to.
    pub target: Target,
    /// Its form in the batch codec.
    pub form: Form,
    /// Its scheduled gas: the gas it uses, whatever it does (docs/fees.md §2.1).
    pub gas: u64,
    /// Its relative execution cost, for balancing the executor's workers (roughly thousands
    /// of gas, as `rollup bench executor` measures).
    pub cost: u32,
    /// Whether a transaction of it takes a chunk of its own (docs/batch-codec.md §3.1): the
    /// keys it touches, with those its chunk shares, would pass the proof bound at four a chunk
    /// over a ground state (docs/fraud-proofs.md §7.2). Only an extended form can be heavy.
    pub heavy: bool,
}

const fn compact(code: u8, amounts: u8) -> Form {
    Form::Compact { code, amounts }
}

const fn extended(addresses: u8, numbers: u8) -> Form {
    Form::Extended(Shape { addresses, list_min: 0, list_max: 0, numbers })
}

/// The table, in the order of [`Op`] (`OPS[op as usize].op == op`).
pub const OPS: [OpSpec; 18] = [
    OpSpec {
        op: Op::EtherTransfer,
        name: "ether-transfer",
        signature: "",
        selector: [0; 4],
        target: Target::Account,
        form: Form::TokenCall { code: 4 },
        gas: 21_000,
        cost: 30,
        heavy: false,
    },
    OpSpec {
        op: Op::Transfer,
        name: "transfer",
        signature: "transfer(address,address,uint256)",
        selector: L2System::transferCall::SELECTOR,
        target: Target::System,
        form: compact(1, 1),
        gas: 30_000,
        cost: 30,
        heavy: false,
    },
    OpSpec {
        op: Op::Swap,
        name: "swap",
        signature: "swap(address,address,uint256,uint256)",
        selector: L2System::swapCall::SELECTOR,
        target: Target::System,
        form: compact(2, 2),
        gas: 60_000,
        cost: 40,
        heavy: false,
    },
    OpSpec {
        op: Op::CreatePool,
        name: "create-pool",
        signature: "createPool(address,address,uint256,uint256)",
        selector: L2System::createPoolCall::SELECTOR,
        target: Target::System,
        form: compact(3, 2),
        gas: 160_000,
        cost: 200,
        heavy: false,
    },
    OpSpec {
        op: Op::AddLiquidity,
        name: "add-liquidity",
        signature: "addLiquidity(address,address,uint256,uint256,uint256)",
        selector: L2System::addLiquidityCall::SELECTOR,
        target: Target::System,
        form: compact(4, 3),
        gas: 90_000,
        cost: 60,
        heavy: false,
    },
    OpSpec {
        op: Op::RemoveLiquidity,
        name: "remove-liquidity",
        signature: "removeLiquidity(address,address,uint256,uint256,uint256)",
        selector: L2System::removeLiquidityCall::SELECTOR,
        target: Target::System,
        form: compact(5, 3),
        gas: 90_000,
        cost: 60,
        heavy: false,
    },
    OpSpec {
        op: Op::Withdraw,
        name: "withdraw",
        signature: "withdraw(address,address,uint256)",
        selector: L2System::withdrawCall::SELECTOR,
        target: Target::System,
        form: compact(6, 1),
        gas: 60_000,
        cost: 50,
        heavy: false,
    },
    OpSpec {
        op: Op::WithdrawFees,
        name: "withdraw-fees",
        signature: "withdrawFees()",
        selector: L2System::withdrawFeesCall::SELECTOR,
        target: Target::System,
        form: Form::Raw,
        gas: 60_000,
        cost: 50,
        heavy: false,
    },
    OpSpec {
        op: Op::CreateToken,
        name: "create-token",
        signature: "createToken(bytes32,string,uint8,uint256)",
        selector: L2System::createTokenCall::SELECTOR,
        target: Target::System,
        form: Form::Raw,
        gas: 120_000,
        cost: 90,
        heavy: false,
    },
    OpSpec {
        op: Op::TokenTransfer,
        name: "token-transfer",
        signature: "transfer(address,uint256)",
        selector: IErc20Calls::transferCall::SELECTOR,
        target: Target::Token,
        form: Form::TokenCall { code: 1 },
        gas: 30_000,
        cost: 45,
        heavy: false,
    },
    OpSpec {
        op: Op::TokenApprove,
        name: "token-approve",
        signature: "approve(address,uint256)",
        selector: IErc20Calls::approveCall::SELECTOR,
        target: Target::Token,
        form: Form::TokenCall { code: 2 },
        gas: 26_000,
        cost: 45,
        heavy: false,
    },
    OpSpec {
        op: Op::TokenTransferFrom,
        name: "token-transfer-from",
        signature: "transferFrom(address,address,uint256)",
        selector: IErc20Calls::transferFromCall::SELECTOR,
        target: Target::Token,
        form: Form::TokenCall { code: 3 },
        gas: 36_000,
        cost: 45,
        heavy: false,
    },
    OpSpec {
        op: Op::SwapPath,
        name: "swap-path",
        signature: "swapPath(address[],uint256,uint256,uint256)",
        selector: L2System::swapPathCall::SELECTOR,
        target: Target::System,
        form: Form::Extended(Shape { addresses: 0, list_min: 2, list_max: MAX_PATH, numbers: 3 }),
        gas: 150_000,
        cost: 120,
        heavy: false,
    },
    OpSpec {
        op: Op::Supply,
        name: "supply",
        signature: "supply(address,uint256)",
        selector: L2Lending::supplyCall::SELECTOR,
        target: Target::System,
        form: extended(1, 1),
        gas: 100_000,
        cost: 80,
        heavy: false,
    },
    OpSpec {
        op: Op::WithdrawSupply,
        name: "withdraw-supply",
        signature: "withdrawSupply(address,uint256)",
        selector: L2Lending::withdrawSupplyCall::SELECTOR,
        target: Target::System,
        form: extended(1, 1),
        gas: 150_000,
        cost: 150,
        heavy: true,
    },
    OpSpec {
        op: Op::Borrow,
        name: "borrow",
        signature: "borrow(address,uint256)",
        selector: L2Lending::borrowCall::SELECTOR,
        target: Target::System,
        form: extended(1, 1),
        gas: 150_000,
        cost: 150,
        heavy: true,
    },
    OpSpec {
        op: Op::Repay,
        name: "repay",
        signature: "repay(address,uint256)",
        selector: L2Lending::repayCall::SELECTOR,
        target: Target::System,
        form: extended(1, 1),
        gas: 90_000,
        cost: 80,
        heavy: false,
    },
    OpSpec {
        op: Op::Liquidate,
        name: "liquidate",
        signature: "liquidate(address,address,address,uint256,uint256)",
        selector: L2Lending::liquidateCall::SELECTOR,
        target: Target::System,
        form: extended(3, 2),
        gas: 300_000,
        cost: 300,
        heavy: true,
    },
];

impl Op {
    /// Every operation, in table order.
    pub const ALL: [Self; OPS.len()] = {
        let mut all = [Self::EtherTransfer; OPS.len()];
        let mut i = 0;
        while i < OPS.len() {
            all[i] = OPS[i].op;
            i += 1;
        }
        all
    };

    /// Its row of the table.
    pub const fn spec(self) -> &'static OpSpec {
        &OPS[self as usize]
    }

    /// Its name (`swap`, `create-pool`, …).
    pub const fn name(self) -> &'static str {
        self.spec().name
    }

    /// Its scheduled gas.
    pub const fn gas(self) -> u64 {
        self.spec().gas
    }

    /// Whether it takes a chunk of its own ([`OpSpec::heavy`]).
    pub const fn heavy(self) -> bool {
        self.spec().heavy
    }

    /// The operation named `name`.
    pub fn by_name(name: &str) -> Option<Self> {
        OPS.iter().find(|s| s.name == name).map(|s| s.op)
    }

    /// The system contract's operation with `selector`.
    pub fn of_system_selector(selector: [u8; 4]) -> Option<Self> {
        OPS.iter().find(|s| s.target == Target::System && s.selector == selector).map(|s| s.op)
    }

    /// The operation of compact code `code` (docs/batch-codec.md §3.3.1).
    pub fn of_compact_code(code: u8) -> Option<Self> {
        OPS.iter().find(|s| matches!(s.form, Form::Compact { code: c, .. } if c == code)).map(|s| s.op)
    }

    /// The operation of extended row `index` (docs/batch-codec.md §3.3.3) and its shape.
    pub fn of_extended_index(index: u64) -> Option<(Self, Shape)> {
        match OPS.get(usize::try_from(index).ok()?)?.form {
            Form::Extended(shape) => Some((OPS[index as usize].op, shape)),
            _ => None,
        }
    }

    /// The operation of a token call.
    pub const fn of_token_call(call: &TokenCall) -> Self {
        match call {
            TokenCall::Transfer { .. } => Self::TokenTransfer,
            TokenCall::Approve { .. } => Self::TokenApprove,
            TokenCall::TransferFrom { .. } => Self::TokenTransferFrom,
        }
    }

    /// The operation a transaction to `to` with `input` performs, by its target and selector
    /// (admission checks the rest of its form): a transfer of ether for empty calldata to
    /// another address than the system contract; a token call in its canonical encoding; for
    /// the system contract, the operation of its selector (`withdrawFees` only as its selector
    /// alone). `None` for anything else.
    pub fn of_call(to: Address, input: &[u8]) -> Option<Self> {
        if to != SYSTEM_CONTRACT {
            if input.is_empty() {
                return Some(Self::EtherTransfer);
            }
            return TokenCall::decode(input).map(|call| Self::of_token_call(&call));
        }
        let op = Self::of_system_selector(input.get(..4)?.try_into().ok()?)?;
        // The fee vault's withdrawal takes no argument.
        (op != Self::WithdrawFees || input.len() == 4).then_some(op)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn the_table_is_in_op_order_with_true_selectors_and_unique_codes() {
        for (i, spec) in OPS.iter().enumerate() {
            assert_eq!(spec.op as usize, i, "{}", spec.name);
            assert_eq!(Op::ALL[i], spec.op);
            assert_eq!(Op::by_name(spec.name), Some(spec.op));
            if !spec.signature.is_empty() {
                assert_eq!(keccak256(spec.signature)[..4], spec.selector, "{}", spec.name);
            }
            for other in &OPS[i + 1..] {
                assert_ne!(spec.name, other.name);
                if spec.target == other.target && spec.target != Target::Account {
                    assert_ne!(spec.selector, other.selector, "{} and {}", spec.name, other.name);
                }
                if matches!(spec.form, Form::Compact { .. } | Form::TokenCall { .. }) {
                    assert_ne!(spec.form, other.form, "{} and {}", spec.name, other.name);
                }
            }
            // An extended form's references fit the codec's 64-bit varints at the largest
            // registry (2048^5 < 2^56), and its calldata the admissible input.
            assert!(!spec.heavy || matches!(spec.form, Form::Extended(_)), "{}", spec.name);
            if let Form::Extended(shape) = spec.form {
                assert_eq!(spec.target, Target::System, "{}", spec.name);
                assert!(shape.addresses <= 5 && shape.list_max <= 5 && shape.list_min <= shape.list_max);
                assert!(!shape.has_list() || shape.list_min >= 1, "{}", spec.name);
                let words = 1 + shape.head_words() + 1 + usize::from(shape.list_max);
                assert!(32 * words <= crate::chain::MAX_INPUT_BYTES, "{}", spec.name);
            }
        }
        // Every state-changing function of the system contract is in the table; the view
        // functions, the system calls and the token entry points are not.
        // (The money market's are the system contract's too: it runs `L2Lending`'s code.)
        assert_eq!(OPS.iter().filter(|s| s.target == Target::System).count(), 14);
    }
}
