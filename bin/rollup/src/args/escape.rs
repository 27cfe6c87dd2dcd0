//! `rollup escape`: the escape hatch once the operator has stopped (docs/bridge.md §7).

use super::{BeaconArgs, ChainArgs, L1Args, print_json};
use alloy_primitives::{Address, B256, U256};
use anyhow::Result;
use clap::{Args, Subcommand};
use rollup_devnet::escape::{EscapeConfig, FrozenState, PoolEscape, Side, freeze, refund_deposit};
use rollup_types::{bindings::L1Bridge, keys};
use serde_json::{Value, json};

/// The escape hatch, when the operator stops (docs/bridge.md §7): freeze the inbox, then take
/// out on L1 what the frozen state holds, proven from L1 data alone.
#[derive(Debug, Subcommand)]
pub(crate) enum EscapeCommand {
    /// Freezes the inbox once an entry of the bridge's queue has waited the inbox's freeze delay
    /// (a week where deployed with `rollup deploy`'s default; anyone may): the last resort when
    /// the operator has stopped.
    Freeze(EscapeArgs),
    /// Pays an account its balance of a bridged token in the frozen state, on L1 (the fee
    /// vault's, 0x4200…0011, to the fee recipient the frozen state names).
    Balance {
        #[command(flatten)]
        args: EscapeArgs,
        /// The L1 asset (omit for ether).
        #[arg(long = "token", default_value_t = Address::ZERO)]
        token: Address,
        /// The account (the same address on L1 and L2).
        #[arg(long = "owner")]
        owner: Address,
    },
    /// Pays an account its share of a pool in the frozen state, on L1: each side bridged from
    /// L1 in its L1 asset, pro rata of the reserves. A side that was not bridged is held by the
    /// bridge for the account: if it is another pool's liquidity token, `held-shares` (or
    /// `--nested` here) pays it from that pool; a token created on L2 has no L1 asset and pays
    /// nothing. Name each side by its L1 asset (`--token-a`, the zero address for ether) or by
    /// its L2 token address (`--l2-token-a`: a token created on L2, a liquidity token, or any
    /// token known by it). The fee vault's share goes to the fee recipient.
    Liquidity {
        #[command(flatten)]
        args: EscapeArgs,
        #[command(flatten)]
        pair: PairArgs,
        /// The account.
        #[arg(long = "owner")]
        owner: Address,
        /// Then pay, level by level, the shares of inner pools this claim leaves held (a side
        /// that is a liquidity token), down to the bridged assets: one L1 transaction a level.
        #[arg(long = "nested")]
        nested: bool,
    },
    /// Pays the liquidity shares of a pool that the bridge holds for an account: what escaping
    /// a pool whose side is this pool's liquidity token left held (`liquidity` reports them,
    /// with the pair to name here). Each bridged side is paid pro rata of the reserves; a side
    /// that is itself a liquidity token is held in turn, for the next call (or `--nested`).
    HeldShares {
        #[command(flatten)]
        args: EscapeArgs,
        /// The pool whose liquidity token is held, by its two tokens.
        #[command(flatten)]
        pair: PairArgs,
        /// The account the shares are held for (the fee vault or its fee recipient: the same).
        #[arg(long = "owner")]
        owner: Address,
        /// Then pay, level by level, the shares of inner pools this leaves held.
        #[arg(long = "nested")]
        nested: bool,
    },
    /// Pays a withdrawal written on L2 before the freeze, with a proof derived from L1 alone
    /// (no L2 API needed): its leaf holds only the hash of its L1 asset, recipient and amount,
    /// which are given here and checked against the frozen state before anything is sent.
    Withdrawal {
        #[command(flatten)]
        args: EscapeArgs,
        /// The L2 account that withdrew.
        #[arg(long = "sender")]
        sender: Address,
        /// Its withdrawal's index (0 for its first).
        #[arg(long = "index")]
        index: u64,
        /// The L1 asset withdrawn (omit for ether).
        #[arg(long = "token", default_value_t = Address::ZERO)]
        token: Address,
        /// The L1 recipient it named (default: the sender).
        #[arg(long = "recipient")]
        recipient: Option<Address>,
        /// The amount, in the asset's smallest unit.
        #[arg(long = "amount")]
        amount: U256,
    },
    /// Proves the frozen money market's totals on the bridge, unless someone did, and
    /// registers every account whose positions net below zero at the frozen prices (its debts
    /// pass its supplies): the settlement window opens when the totals are proven, and each
    /// payout then shares the cash with what the shortfalls owe (docs/bridge.md §7.4).
    Shortfalls(EscapeArgs),
    /// Pays an account what its money-market positions net to at the frozen prices (a supplier
    /// its supply, a borrower its collateral less its debt), as its share of every market's
    /// cash of a bridged asset, in that L1 asset; after the settlement window `shortfalls`
    /// opened (docs/bridge.md §7.4).
    Lending {
        #[command(flatten)]
        args: EscapeArgs,
        /// The account.
        #[arg(long = "owner")]
        owner: Address,
    },
    /// Refunds a deposit the frozen state never consumed to the L1 account that made it.
    Refund {
        #[command(flatten)]
        args: EscapeArgs,
        /// The deposit's queue index.
        #[arg(long = "index")]
        index: u64,
    },
}

/// A pool, by its two tokens: each by the L1 asset it was bridged from or by its L2 address.
#[derive(Debug, Args)]
pub(crate) struct PairArgs {
    /// One side of the pool, by the L1 asset it was bridged from (zero address: ether).
    #[arg(long = "token-a", required_unless_present = "l2_token_a", conflicts_with = "l2_token_a")]
    token_a: Option<Address>,
    /// One side of the pool, by its L2 token address.
    #[arg(long = "l2-token-a")]
    l2_token_a: Option<Address>,
    /// The other side, by its L1 asset.
    #[arg(long = "token-b", required_unless_present = "l2_token_b", conflicts_with = "l2_token_b")]
    token_b: Option<Address>,
    /// The other side, by its L2 token address.
    #[arg(long = "l2-token-b")]
    l2_token_b: Option<Address>,
}

impl PairArgs {
    /// The two L2 tokens.
    fn tokens(&self) -> Result<(Address, Address)> {
        let side = |l1: Option<Address>, l2: Option<Address>| {
            l2.or_else(|| l1.map(|t| keys::bridged_token(&t)))
                .ok_or_else(|| anyhow::anyhow!("name each side of the pool by --token-… or --l2-token-…"))
        };
        Ok((side(self.token_a, self.l2_token_a)?, side(self.token_b, self.l2_token_b)?))
    }
}

/// A pool claim as JSON: the account paid, the shares, each side paid (in its L1 asset) or held
/// (with the pool to name next when the side is a liquidity token), the L1 transaction.
fn pool_json(escape: &PoolEscape) -> Value {
    let sides: Vec<Value> = escape
        .sides
        .iter()
        .map(|(token, side)| match side {
            Side::Paid { l1_token, amount } => {
                json!({ "token": token, "l1Token": l1_token, "paid": amount.to_string() })
            }
            Side::Held { amount, pair } => json!({
                "token": token,
                "held": amount.to_string(),
                "pairOfLiquidityToken": pair.map(|(t0, t1)| [t0, t1]),
            }),
        })
        .collect();
    json!({ "paidTo": escape.account, "shares": escape.shares.to_string(), "sides": sides, "l1Tx": escape.tx })
}

/// Where the chain settles and how its state is derived for the escape hatch.
#[derive(Debug, Args)]
pub(crate) struct EscapeArgs {
    #[command(flatten)]
    l1: L1Args,
    /// The L1 block the inbox was deployed in (where the derivation from L1 starts).
    #[arg(long = "l1.from-block", alias = "from-block", env = "ROLLUP_FROM_BLOCK", default_value_t = 0)]
    from_block: u64,
    /// Where the blobs of blob batches are read (docs/bridge.md §7: once beacon nodes have
    /// pruned them, a blob archive, or a copy of a challenger's database as `--db.url`).
    #[command(flatten)]
    beacon: BeaconArgs,
    /// Database of the derivation (a challenger's; it resumes from its snapshots).
    #[arg(long = "db.url", alias = "db-url", env = "ROLLUP_ESCAPE_DB_URL", default_value = "sqlite://escape.sqlite")]
    db_url: String,
    /// Private key of the L1 account that sends the transaction (anyone may: the payment goes
    /// to the account the claim names).
    #[arg(long = "key", env = "ROLLUP_KEY", hide_env_values = true)]
    key: B256,
    #[command(flatten)]
    chain: ChainArgs,
}

impl EscapeArgs {
    fn config(&self) -> Result<EscapeConfig> {
        Ok(EscapeConfig {
            l1: self.l1.rpc.clone(),
            inbox: self.l1.inbox,
            from_block: self.from_block,
            chain: self.chain.config()?,
            genesis: self.chain.genesis()?,
            db_url: self.db_url.clone(),
            l1_beacon: self.beacon.beacon.clone(),
            l1_beacon_fallbacks: self.beacon.fallbacks.clone(),
        })
    }
}

impl EscapeCommand {
    pub(crate) async fn run(self) -> Result<()> {
        match self {
            Self::Freeze(args) => {
                let tx = freeze(&args.config()?, &args.key).await?;
                print_json(&json!({ "frozen": true, "l1Tx": tx }))
            }
            Self::Balance { args, token, owner } => {
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let (amount, tx) = frozen.escape_balance(&config, &args.key, token, owner).await?;
                print_json(&json!({
                    "owner": owner, "paidTo": frozen.paid_to(owner)?, "l1Token": token,
                    "amount": amount.to_string(), "l1Tx": tx,
                }))
            }
            Self::Liquidity { args, pair, owner, nested } => {
                let (a, b) = pair.tokens()?;
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let escape = frozen.escape_liquidity(&config, &args.key, a, b, owner).await?;
                print_pool(&frozen, &config, &args.key, owner, &escape, nested).await
            }
            Self::HeldShares { args, pair, owner, nested } => {
                let (a, b) = pair.tokens()?;
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let escape = frozen.escape_held_shares(&config, &args.key, a, b, owner).await?;
                print_pool(&frozen, &config, &args.key, owner, &escape, nested).await
            }
            Self::Withdrawal { args, sender, index, token, recipient, amount } => {
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let recipient = recipient.unwrap_or(sender);
                let w = L1Bridge::Withdrawal {
                    l2Sender: sender,
                    index: U256::from(index),
                    l1Token: token,
                    recipient,
                    amount,
                };
                let tx = frozen.escape_withdrawal(&config, &args.key, w).await?;
                print_json(&json!({
                    "sender": sender, "index": index, "l1Token": token, "recipient": recipient,
                    "amount": amount.to_string(), "l1Tx": tx,
                }))
            }
            Self::Shortfalls(args) => {
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let totals = frozen.prove_lending_totals(&config, &args.key).await?;
                let mut registered = Vec::new();
                for (user, net) in frozen.shortfalls() {
                    let tx = frozen.register_shortfall(&config, &args.key, user).await?;
                    registered.push(json!({ "user": user, "net": net.to_string(), "l1Tx": tx }));
                }
                print_json(&json!({ "totalsL1Tx": totals, "shortfalls": registered }))
            }
            Self::Lending { args, owner } => {
                let config = args.config()?;
                let frozen = FrozenState::derive(&config).await?;
                let net = frozen.lending_net(owner);
                let amounts = frozen.escape_lending(&config, &args.key, owner).await?;
                print_json(&json!({
                    "owner": owner, "paidTo": frozen.paid_to(owner)?, "net": net.to_string(),
                    "paid": amounts.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }))
            }
            Self::Refund { args, index } => {
                let tx = refund_deposit(&args.config()?, &args.key, index).await?;
                print_json(&json!({ "index": index, "l1Tx": tx }))
            }
        }
    }
}

/// Prints a pool claim, after following what it left held when `nested` (each level's claim
/// under `"nested"`).
async fn print_pool(
    frozen: &FrozenState,
    config: &EscapeConfig,
    key: &B256,
    owner: Address,
    escape: &PoolEscape,
    nested: bool,
) -> Result<()> {
    let mut out = pool_json(escape);
    out["owner"] = json!(owner);
    if nested {
        let below = frozen.escape_held_below(config, key, escape).await?;
        out["nested"] = Value::Array(below.iter().map(pool_json).collect());
    }
    print_json(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::challenger::ChallengerArgs;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Escape {
        #[command(subcommand)]
        command: EscapeCommand,
    }

    #[derive(Debug, Parser)]
    struct Challenger {
        #[command(flatten)]
        args: ChallengerArgs,
    }

    /// `rollup escape` reads blobs where `rollup challenger` does: the same flags, into the
    /// configuration the derivation's challenger gets.
    #[test]
    fn the_escape_takes_the_challengers_beacon_flags() {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let inbox = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        let escape = |beacon: &[&str]| {
            let args =
                [&["escape", "balance", "--l1.inbox", inbox, "--key", key, "--owner", inbox][..], beacon].concat();
            let EscapeCommand::Balance { args, .. } = Escape::try_parse_from(args).expect("parses").command else {
                panic!("balance")
            };
            args.config().expect("config")
        };
        let beacon =
            ["--l1.beacon", "http://beacon:5052", "--l1.beacon-fallback", "http://archive-a/,http://archive-b/"];
        let config = escape(&beacon);
        let challenger = Challenger::try_parse_from([&["challenger", "--l1.inbox", inbox][..], &beacon].concat())
            .expect("parses")
            .args
            .into_config()
            .expect("config");
        assert_eq!(config.l1_beacon, challenger.l1_beacon);
        assert_eq!(config.l1_beacon_fallbacks, challenger.l1_beacon_fallbacks);
        assert_eq!(config.l1_beacon.as_ref().map(url::Url::as_str), Some("http://beacon:5052/"));
        let fallbacks: Vec<&str> = config.l1_beacon_fallbacks.iter().map(url::Url::as_str).collect();
        assert_eq!(fallbacks, ["http://archive-a/", "http://archive-b/"], "in order");
        // Without them, the L1 RPC URL serves the blobs (anvil's does).
        let plain = escape(&[]);
        assert_eq!((plain.l1_beacon, plain.l1_beacon_fallbacks), (None, Vec::new()));
    }

    /// The pool claims name each side by its L1 asset or its L2 address, and `--nested` follows
    /// the levels below; a side left unnamed is refused.
    #[test]
    fn pool_claims_parse() {
        let parse = |args: &[&str]| Escape::try_parse_from(std::iter::once("escape").chain(args.iter().copied()));
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let inbox = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        let lp = "0x00000000000000000000000000000000000000aa";
        let ether = "0x0000000000000000000000000000000000000000";
        for command in ["liquidity", "held-shares"] {
            let args = [command, "--l1.inbox", inbox, "--key", key, "--owner", inbox, "--l2-token-a", lp];
            let parsed = parse(&[&args[..], &["--token-b", ether, "--nested"]].concat())
                .unwrap_or_else(|e| panic!("{command}: {e}"))
                .command;
            let (EscapeCommand::Liquidity { pair, nested, .. } | EscapeCommand::HeldShares { pair, nested, .. }) =
                parsed
            else {
                panic!("{command}: {parsed:?}")
            };
            assert!(nested, "{command}");
            let (a, b) = pair.tokens().expect("both sides");
            assert_eq!(
                (a.to_string().to_lowercase(), b),
                (lp.to_string(), rollup_types::keys::bridged_token(&alloy_primitives::Address::ZERO))
            );
            assert!(parse(&args).is_err(), "{command}: one side unnamed");
        }
    }
}
