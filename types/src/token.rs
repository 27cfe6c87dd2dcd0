//! Tokens as ERC-20 contracts: the three state-changing calls a transaction may make to a
//! token address (docs/api.md §3.0d, docs/batch-codec.md §3.3.2).
//!
//! Every registered token (genesis, created on L2, bridged, or a pool's liquidity token) has
//! the runtime code of `contracts/src/l2/L2Token.sol` at its address: the executor serves it
//! there because the token's metadata key is set, so the code follows from the state and the
//! state commitment does not change. The code forwards to the system contract's ledger.
//! `transfer`, `approve` and `transferFrom` of a token are operations of the closed set like
//! the system contract's: the L1 verifier replays them with the same shared logic.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;

alloy_sol_types::sol! {
    /// The state-changing part of ERC-20, as a transaction to a token calls it.
    #[sol(all_derives)]
    interface IErc20Calls {
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}

/// One state-changing ERC-20 call of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCall {
    /// `transfer(to, amount)`: the caller sends `amount` to `to`.
    Transfer {
        /// Recipient.
        to: Address,
        /// Amount in the token's units.
        amount: U256,
    },
    /// `approve(spender, amount)`: `spender` may move up to `amount` of the caller's tokens.
    Approve {
        /// The account allowed to spend.
        spender: Address,
        /// The new allowance (`U256::MAX`: never decreases).
        amount: U256,
    },
    /// `transferFrom(from, to, amount)`: the caller spends `from`'s allowance to it.
    TransferFrom {
        /// Owner of the tokens.
        from: Address,
        /// Recipient.
        to: Address,
        /// Amount in the token's units.
        amount: U256,
    },
}

impl TokenCall {
    /// The call `input` is, if it is one of the three in its canonical ABI encoding: the
    /// selector, exactly the call's length, and address words whose top 12 bytes are zero
    /// (what the L1 verifier's `BatchCodec.hasTokenCallForm` checks).
    pub fn decode(input: &[u8]) -> Option<Self> {
        let selector: [u8; 4] = input.get(..4)?.try_into().ok()?;
        let word = |i: usize| input.get(4 + 32 * i..4 + 32 * (i + 1));
        let address = |i: usize| {
            let w = word(i)?;
            w[..12].iter().all(|b| *b == 0).then(|| Address::from_slice(&w[12..]))
        };
        let amount = |i: usize| word(i).map(U256::from_be_slice);
        match selector {
            IErc20Calls::transferCall::SELECTOR if input.len() == 68 => {
                Some(Self::Transfer { to: address(0)?, amount: amount(1)? })
            }
            IErc20Calls::approveCall::SELECTOR if input.len() == 68 => {
                Some(Self::Approve { spender: address(0)?, amount: amount(1)? })
            }
            IErc20Calls::transferFromCall::SELECTOR if input.len() == 100 => {
                Some(Self::TransferFrom { from: address(0)?, to: address(1)?, amount: amount(2)? })
            }
            _ => None,
        }
    }

    /// The canonical calldata of the call.
    pub fn encode(&self) -> Vec<u8> {
        match *self {
            Self::Transfer { to, amount } => IErc20Calls::transferCall { to, amount }.abi_encode(),
            Self::Approve { spender, amount } => IErc20Calls::approveCall { spender, amount }.abi_encode(),
            Self::TransferFrom { from, to, amount } => IErc20Calls::transferFromCall { from, to, amount }.abi_encode(),
        }
    }

    /// Its name, as in the ABI.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => "transfer",
            Self::Approve { .. } => "approve",
            Self::TransferFrom { .. } => "transferFrom",
        }
    }

    /// The amount it moves or allows.
    pub const fn amount(&self) -> U256 {
        match *self {
            Self::Transfer { amount, .. } | Self::Approve { amount, .. } | Self::TransferFrom { amount, .. } => amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_encoding_is_a_token_call() {
        let (a, b) = (Address::repeat_byte(0x11), Address::repeat_byte(0x22));
        let calls = [
            TokenCall::Transfer { to: a, amount: U256::from(5) },
            TokenCall::Approve { spender: b, amount: U256::MAX },
            TokenCall::TransferFrom { from: a, to: b, amount: U256::from(7) },
        ];
        for call in calls {
            let input = call.encode();
            assert_eq!(TokenCall::decode(&input), Some(call));
            // One byte more or less.
            let mut longer = input.clone();
            longer.push(0);
            assert_eq!(TokenCall::decode(&longer), None, "{}", call.name());
            assert_eq!(TokenCall::decode(&input[..input.len() - 1]), None, "{}", call.name());
            // A dirty address word.
            let mut dirty = input.clone();
            dirty[4] = 1;
            assert_eq!(TokenCall::decode(&dirty), None, "{}", call.name());
        }
        assert_eq!(TokenCall::decode(&[0xa9, 0x05, 0x9c]), None);
        assert_eq!(TokenCall::decode(&[0u8; 68]), None);
    }
}
