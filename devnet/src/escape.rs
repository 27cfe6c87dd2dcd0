//! The escape hatch from a user's side (docs/bridge.md §7): when the operator stops, anyone
//! freezes the inbox once a queue entry is overdue, and each user takes out on L1 what the
//! frozen state holds for them. Nothing here asks the operator: the state is derived from L1
//! data alone, by a challenger run for the purpose, and proven against the frozen root.

use alloy::{
    network::TransactionBuilder,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt, TransactionRequest},
};
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{Context, Result, anyhow, bail, ensure};
use rollup_fraud_proof::{Challenger, ChallengerConfig};
use rollup_types::{
    ChainConfig,
    bindings::{BatchInbox, BridgeQueueContents, L1Bridge},
    fees::FEE_VAULT,
    genesis::GenesisSpec,
    keys,
    smt::Terminal,
};
use std::{collections::BTreeSet, time::Duration};

/// Where the chain settles, and how to derive its state from L1.
#[derive(Clone, Debug)]
pub struct EscapeConfig {
    /// The L1 JSON-RPC URL.
    pub l1: url::Url,
    /// The batch inbox.
    pub inbox: Address,
    /// The L1 block the inbox was deployed in (where the derivation starts).
    pub from_block: u64,
    /// The chain's parameters.
    pub chain: ChainConfig,
    /// Its genesis.
    pub genesis: GenesisSpec,
    /// The database of the derivation (a challenger's: `sqlite://…`; it resumes from its
    /// snapshots).
    pub db_url: String,
    /// The beacon API that serves the blobs of blob batches (`None`: the L1 RPC URL, as anvil
    /// serves both; an execution node on mainnet does not).
    pub l1_beacon: Option<url::Url>,
    /// Further beacon APIs asked, in order, for a blob the first does not serve (a blob
    /// archive, once beacon nodes have pruned it: docs/bridge.md §7).
    pub l1_beacon_fallbacks: Vec<url::Url>,
}

fn wallet(l1: &url::Url, key: &B256) -> Result<DynProvider> {
    Ok(rollup_l1::signing_provider(l1, key)?.0)
}

async fn view<C: SolCall>(l1: &DynProvider, to: Address, call: C) -> Result<C::Return> {
    rollup_l1::view(l1, to, call).await.context("reading the L1")
}

async fn send(l1: &DynProvider, to: Address, input: Vec<u8>) -> Result<TransactionReceipt> {
    let request = TransactionRequest::default().with_to(to).with_input(input);
    Ok(rollup_l1::send_ok(l1, request, "the L1 transaction").await?)
}

/// Freezes the inbox (anyone may, once a queue entry is overdue); returns the L1 transaction.
pub async fn freeze(config: &EscapeConfig, key: &B256) -> Result<B256> {
    let l1 = wallet(&config.l1, key)?;
    Ok(send(&l1, config.inbox, BatchInbox::freezeCall {}.abi_encode()).await?.transaction_hash)
}

/// The frozen state derived from L1: a challenger that has read every batch, checked to end
/// where the inbox's escape state is.
pub struct FrozenState {
    challenger: Challenger,
    bridge: Address,
    root: B256,
    queue_end: u64,
}

impl std::fmt::Debug for FrozenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrozenState").field("root", &self.root).field("queue_end", &self.queue_end).finish()
    }
}

/// What one side of a pool came to in an escape claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Paid on L1, in the L1 asset the side was bridged from.
    Paid {
        /// The L1 asset (the zero address for ether).
        l1_token: Address,
        /// The amount paid.
        amount: U256,
    },
    /// Held by the bridge for the account paid (`L1Bridge.heldShares`): the side was not
    /// bridged. When it is a pool's liquidity token, [`FrozenState::escape_held_shares`] pays it
    /// from that pool; a token created on L2 has no L1 asset and never pays.
    Held {
        /// The amount of the side's token held.
        amount: U256,
        /// The pool whose liquidity token the side is (`token0 < token1`), found in the frozen
        /// state; `None` for a token created on L2.
        pair: Option<(Address, Address)>,
    },
}

/// An escape claim of a pool's shares, sent.
#[derive(Clone, Debug)]
pub struct PoolEscape {
    /// The L1 account paid: the owner, or the fee recipient for the fee vault.
    pub account: Address,
    /// The pool's shares paid out.
    pub shares: U256,
    /// Each side's token, in the order named, and what it came to.
    pub sides: [(Address, Side); 2],
    /// The L1 transaction.
    pub tx: B256,
}

impl PoolEscape {
    /// What the claim paid on L1 of `l1_token`.
    pub fn paid(&self, l1_token: Address) -> U256 {
        self.sides
            .iter()
            .map(|(_, side)| match side {
                Side::Paid { l1_token: t, amount } if *t == l1_token => *amount,
                _ => U256::ZERO,
            })
            .sum()
    }

    /// The pools whose liquidity shares the claim left held (a positive amount), to pay next.
    pub fn held_pairs(&self) -> impl Iterator<Item = (Address, Address)> + '_ {
        self.sides.iter().filter_map(|(_, side)| match side {
            Side::Held { amount, pair: Some(pair) } if !amount.is_zero() => Some(*pair),
            _ => None,
        })
    }
}

impl FrozenState {
    /// Derives the chain from L1 and checks that it ends at the inbox's escape state (the
    /// inbox must be frozen and its last batch final).
    pub async fn derive(config: &EscapeConfig) -> Result<Self> {
        let l1 = ProviderBuilder::new().connect_http(config.l1.clone()).erased();
        let escape = view(&l1, config.inbox, BatchInbox::escapeStateCall {}).await?;
        ensure!(
            escape.ready,
            "the escape hatch is not open: the inbox is not frozen, or its last batch is not final yet"
        );
        let bridge = view(&l1, config.inbox, BatchInbox::bridgeCall {}).await?;
        let mut challenger = Challenger::new(ChallengerConfig {
            l1_rpc: config.l1.clone(),
            inbox: config.inbox,
            from_block: config.from_block,
            db_url: config.db_url.clone(),
            chain: config.chain,
            genesis: config.genesis.clone(),
            poll: Duration::from_millis(100),
            confirmations: 0,
            l1_beacon: config.l1_beacon.clone(),
            l1_beacon_fallbacks: config.l1_beacon_fallbacks.clone(),
            prover_key: None,
            undo_blocks: ChallengerConfig::DEFAULT_UNDO_BLOCKS,
            snapshot_txs: ChallengerConfig::DEFAULT_SNAPSHOT_TXS,
        })
        .await?;
        // On a terminal: how far the derivation is, from the challenger's own status.
        let progress = std::sync::Arc::new(crate::progress::Progress::stderr("deriving the chain from L1"));
        let watcher = progress.shown().then(|| {
            let mut status = challenger.subscribe();
            let (l1, progress) = (l1.clone(), progress.clone());
            tokio::spawn(async move {
                let target = l1.get_block_number().await.unwrap_or_default();
                loop {
                    let (read, checked, verified) = {
                        let s = status.borrow_and_update();
                        (s.l1_block, s.batches_checked, s.last_verified_batch)
                    };
                    let verified = verified.map_or_else(|| "none".to_owned(), |v| v.to_string());
                    progress.update(format_args!(
                        "L1 block {read} of {target}, {checked} batches judged, last verified {verified}"
                    ));
                    if status.changed().await.is_err() {
                        break;
                    }
                }
            })
        });
        let synced = challenger.sync().await;
        if let Some(watcher) = watcher {
            watcher.abort();
            let (checked, verified) = {
                let s = challenger.subscribe();
                let s = s.borrow();
                (s.batches_checked, s.last_verified_batch)
            };
            progress.finish(format_args!("{checked} batches judged, last verified {verified:?}"));
        }
        synced.with_context(|| {
            let beacon = config.l1_beacon.as_ref().unwrap_or(&config.l1);
            let sources: Vec<&str> =
                std::iter::once(beacon).chain(&config.l1_beacon_fallbacks).map(url::Url::as_str).collect();
            format!(
                "deriving the chain from L1 (blobs asked of {}; once beacon nodes have pruned them: a blob archive \
                 or a challenger's database, docs/bridge.md §7)",
                sources.join(", then ")
            )
        })?;
        let (root, _, _) = challenger.state_proof(&B256::ZERO);
        if root != escape.stateRoot {
            let (verified, invalid) = challenger.verified();
            bail!(
                "the state derived from L1 (last batch verified {verified:?}, first invalid {invalid:?}) has root {root}, \
                 the frozen state {}: an invalid batch must be proven fraudulent first",
                escape.stateRoot
            );
        }
        Ok(Self { challenger, bridge, root, queue_end: escape.queueEnd })
    }

    /// The L1 block of the snapshot the derivation resumed from (`None`: from genesis): a
    /// derivation leaves one where it ends, in its database, for the next.
    pub fn resumed_from(&self) -> Option<u64> {
        self.challenger.subscribe().borrow().resumed_from
    }

    /// The frozen state root.
    pub const fn root(&self) -> B256 {
        self.root
    }

    /// The queue entries the frozen state consumed (later deposits are refunded).
    pub const fn queue_end(&self) -> u64 {
        self.queue_end
    }

    /// `key`'s value and proof in the frozen state.
    fn prove(&self, key: B256) -> (U256, Vec<B256>) {
        let (_, value, siblings) = self.challenger.state_proof(&key);
        (U256::from_be_bytes(value.0), siblings)
    }

    /// `owner`'s balance of the bridged token of `l1_token` in the frozen state.
    pub fn balance(&self, l1_token: Address, owner: Address) -> U256 {
        self.prove(keys::balance(&keys::bridged_token(&l1_token), &owner)).0
    }

    /// Pays `owner` its balance of the bridged `l1_token` on L1 (sent from `key`'s account);
    /// the fee vault's goes to the fee recipient ([`Self::paid_to`]).
    pub async fn escape_balance(
        &self,
        config: &EscapeConfig,
        key: &B256,
        l1_token: Address,
        owner: Address,
    ) -> Result<(U256, B256)> {
        let (amount, siblings) = self.prove(keys::balance(&keys::bridged_token(&l1_token), &owner));
        ensure!(!amount.is_zero(), "{owner} holds none of the bridged {l1_token} in the frozen state");
        let l1 = wallet(&config.l1, key)?;
        self.record_fee_recipient(&l1, owner).await?;
        let call = L1Bridge::escapeBalanceCall { l1Token: l1_token, owner, amount, siblings };
        Ok((amount, send(&l1, self.bridge, call.abi_encode()).await?.transaction_hash))
    }

    /// The fee recipient the frozen state names (`None`: none), laid out at genesis.
    pub fn fee_recipient(&self) -> Option<Address> {
        let (value, _) = self.prove(keys::fee_recipient());
        let recipient = Address::from_word(value.into());
        (!recipient.is_zero()).then_some(recipient)
    }

    /// The L1 account an escape claim of `owner` pays: `owner` itself (the same address on both
    /// chains), but the fee recipient for the fee vault, which no key holds; an error when the
    /// frozen state names none.
    pub fn paid_to(&self, owner: Address) -> Result<Address> {
        if owner != FEE_VAULT {
            return Ok(owner);
        }
        self.fee_recipient().ok_or_else(|| {
            anyhow!(
                "the frozen state names no fee recipient (its feeRecipient leaf is absent): \
                 the fee vault's claims cannot be paid to anyone"
            )
        })
    }

    /// Before a claim of the fee vault: records the fee recipient on the bridge from the frozen
    /// state (`proveFeeRecipient`, once for everyone), unless it was recorded already.
    async fn record_fee_recipient(&self, l1: &DynProvider, owner: Address) -> Result<()> {
        if owner != FEE_VAULT {
            return Ok(());
        }
        let recipient = self.paid_to(owner)?;
        let recorded = view(l1, self.bridge, L1Bridge::feeRecipientCall {}).await?;
        if recorded.is_zero() {
            let call = L1Bridge::proveFeeRecipientCall { v: self.value_proof(keys::fee_recipient()) };
            send(l1, self.bridge, call.abi_encode()).await.context("recording the fee recipient")?;
        } else {
            ensure!(
                recorded == recipient,
                "the bridge pays the fee vault to {recorded}, the frozen state names {recipient}"
            );
        }
        Ok(())
    }

    /// `key`'s value in the frozen state with its proof, present or absent
    /// (`L1Bridge.StateValue`).
    fn value_proof(&self, key: B256) -> L1Bridge::StateValue {
        let (_, proof) = self.challenger.state_value_proof(&key);
        let (value, other_key, other_value) = match proof.terminal {
            Terminal::Leaf { key: k, value } if k == key => (value, B256::ZERO, B256::ZERO),
            Terminal::Leaf { key: k, value } => (B256::ZERO, k, value),
            Terminal::Empty => (B256::ZERO, B256::ZERO, B256::ZERO),
        };
        L1Bridge::StateValue { value, otherKey: other_key, otherValue: other_value, siblings: proof.siblings }
    }

    /// The L1 asset L2 token `token` was bridged from in the frozen state (`None`: created on
    /// L2).
    pub fn origin(&self, token: Address) -> Option<Address> {
        let (_, value, _) = self.challenger.state_proof(&keys::token_origin(&token));
        keys::origin_of(&value)
    }

    /// The pair of L2 tokens (`token0 < token1`) whose pool's liquidity token `token` is in the
    /// frozen state, found among its pools (`None`: it is no pool's).
    pub fn pair_of(&self, token: Address) -> Option<(Address, Address)> {
        let count: u64 = self.prove(keys::pool_count()).0.saturating_to();
        (0..count).find_map(|index| {
            let side = |side| Address::from_word(self.prove(keys::pool_at(index, side)).0.into());
            let (t0, t1) = (side(0), side(1));
            (keys::lp_token(&t0, &t1) == token).then_some((t0, t1))
        })
    }

    /// The number of markets of the frozen money market.
    fn market_count(&self) -> u64 {
        (self.prove(keys::markets()).0 & U256::from(0xffu8)).saturating_to()
    }

    /// Market `index`'s asset in the frozen state.
    fn market_asset(&self, index: u64) -> Address {
        Address::from_word(self.prove(keys::market(index, 0)).0.into())
    }

    /// The frozen price of `asset` in the numeraire (Q128.128), as `L1Bridge.proveLendingTotals`
    /// reads it (zero without a sample, where the bridge refuses the totals).
    fn frozen_price(&self, asset: Address) -> U256 {
        let latest = self.prove(keys::oracle(&asset, 1)).0;
        rollup_types::oracle::lending_price(self.prove(keys::oracles()).0, &asset, latest).unwrap_or_default()
    }

    /// What `user`'s positions net to at the frozen prices over the markets of bridged assets,
    /// in the numeraire (`L1Bridge._netOf`, docs/bridge.md §7.4): its supplies (rounded down)
    /// less its debts (rounded up), each capped at 2^200.
    pub fn lending_net(&self, user: Address) -> i128 {
        use rollup_types::lending::value;
        let cap = |v: U256| v.min(U256::from(1u8) << 200usize);
        let mut net = alloy_primitives::I256::ZERO;
        for index in 0..self.market_count() {
            let position = self.prove(keys::position(&user, index)).0;
            let asset = self.market_asset(index);
            if position.is_zero() || self.origin(asset).is_none() {
                continue;
            }
            let indices = self.prove(keys::market(index, 2)).0;
            let low = U256::from(u128::MAX);
            let price = self.frozen_price(asset);
            let held = cap(value(position & low, indices & low, price, false));
            let owed = cap(value(position >> 128usize, indices >> 128usize, price, true));
            net += alloy_primitives::I256::from_raw(held) - alloy_primitives::I256::from_raw(owed);
        }
        net.try_into().unwrap_or(if net.is_negative() { i128::MIN } else { i128::MAX })
    }

    /// The accounts whose positions net below zero (`registerShortfall` takes them, within the
    /// settlement window), among every account that ever sent a transaction.
    pub fn shortfalls(&self) -> Vec<(Address, i128)> {
        self.challenger.accounts().into_iter().map(|a| (a, self.lending_net(a))).filter(|(_, net)| *net < 0).collect()
    }

    /// `user`'s word in every market, proven present or absent.
    fn position_proofs(&self, user: Address) -> Vec<L1Bridge::StateValue> {
        (0..self.market_count()).map(|i| self.value_proof(keys::position(&user, i))).collect()
    }

    /// Proves the frozen money market's totals on the bridge (`proveLendingTotals`), unless
    /// someone did; returns the transaction when this call sent it. The settlement window opens
    /// then (docs/bridge.md §7.4).
    pub async fn prove_lending_totals(&self, config: &EscapeConfig, key: &B256) -> Result<Option<B256>> {
        let l1 = wallet(&config.l1, key)?;
        if !view(&l1, self.bridge, L1Bridge::lendingProvenAtCall {}).await?.is_zero() {
            return Ok(None);
        }
        let markets = (0..self.market_count())
            .map(|i| {
                let asset = self.market_asset(i);
                let shards = rollup_types::lending::SHARDS;
                L1Bridge::MarketProof {
                    config: self.value_proof(keys::market(i, 0)),
                    indices: self.value_proof(keys::market(i, 2)),
                    shards: (0..shards).map(|s| self.value_proof(keys::market_shard(i, s))).collect(),
                    cash: (0..shards)
                        .map(|s| self.value_proof(keys::balance(&asset, &keys::shard_account(s))))
                        .collect(),
                    oracle: self.value_proof(keys::oracle(&asset, 1)),
                    origin: self.value_proof(keys::token_origin(&asset)),
                }
            })
            .collect();
        let call = L1Bridge::proveLendingTotalsCall {
            markets: self.value_proof(keys::markets()),
            oracles: self.value_proof(keys::oracles()),
            p: markets,
        };
        Ok(Some(
            send(&l1, self.bridge, call.abi_encode())
                .await
                .context("proving the money market's totals")?
                .transaction_hash,
        ))
    }

    /// Registers `user`'s shortfall (`registerShortfall`): its positions net below zero, and
    /// every payout shares the cash with what it owes beyond what it holds.
    pub async fn register_shortfall(&self, config: &EscapeConfig, key: &B256, user: Address) -> Result<B256> {
        let net = self.lending_net(user);
        ensure!(net < 0, "{user}'s positions net to {net} in the numeraire: no shortfall");
        let l1 = wallet(&config.l1, key)?;
        let call = L1Bridge::registerShortfallCall { user, positions: self.position_proofs(user) };
        Ok(send(&l1, self.bridge, call.abi_encode()).await?.transaction_hash)
    }

    /// Pays `owner` its positions' net at the frozen prices as a share of every bridged
    /// market's cash (`escapeLending`, after the settlement window), proving the totals first
    /// if no one did. Returns what each market paid, in market order.
    pub async fn escape_lending(&self, config: &EscapeConfig, key: &B256, owner: Address) -> Result<Vec<U256>> {
        let net = self.lending_net(owner);
        ensure!(net > 0, "{owner}'s positions net to {net} in the numeraire: nothing is owed");
        let l1 = wallet(&config.l1, key)?;
        self.prove_lending_totals(config, key).await?;
        self.record_fee_recipient(&l1, owner).await?;
        let call = L1Bridge::escapeLendingCall { owner, positions: self.position_proofs(owner) };
        let receipt = send(&l1, self.bridge, call.abi_encode()).await?;
        let paid = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| L1Bridge::LendingEscaped::decode_log_data(log.data()).ok())
            .ok_or_else(|| anyhow!("no LendingEscaped event in {}", receipt.transaction_hash))?;
        Ok(paid.amounts)
    }

    /// What proves the pool of `a` and `b` in the frozen state (origins in that order).
    fn pool_proof(&self, a: Address, b: Address) -> Result<L1Bridge::PoolProof> {
        ensure!(a != b, "a pool holds two different tokens");
        let (t0, t1) = keys::sort_pair(a, b);
        let (supply, supply_proof) = self.prove(keys::supply(&keys::lp_token(&t0, &t1)));
        let (reserves, reserves_proof) = self.prove(keys::pool(&t0, &t1));
        ensure!(!reserves.is_zero() && !supply.is_zero(), "the frozen state has no pool of {a} and {b}");
        Ok(L1Bridge::PoolProof {
            supply,
            supplyProof: supply_proof,
            reserves,
            reservesProof: reserves_proof,
            originA: self.value_proof(keys::token_origin(&a)),
            originB: self.value_proof(keys::token_origin(&b)),
        })
    }

    /// What `shares` of the pool of `a` and `b` come to, side by side, as the bridge reckons it:
    /// `reserve · shares / supply`, rounded down, paid or held.
    fn pool_share(&self, a: Address, b: Address, shares: U256, pool: &L1Bridge::PoolProof) -> [(Address, Side); 2] {
        let (r0, r1) = (pool.reserves & U256::from(u128::MAX), pool.reserves >> 128);
        let (ra, rb) = if a < b { (r0, r1) } else { (r1, r0) };
        let side = |token: Address, reserve: U256| {
            let amount = reserve * shares / pool.supply;
            let side = match self.origin(token) {
                Some(l1_token) => Side::Paid { l1_token, amount },
                None => Side::Held { amount, pair: self.pair_of(token) },
            };
            (token, side)
        };
        [side(a, ra), side(b, rb)]
    }

    /// Pays `owner` its share of the pool of the L2 tokens `a` and `b` on L1 (the fee vault's:
    /// the fee recipient, [`Self::paid_to`]): each side bridged from L1 in its L1 asset, pro
    /// rata of the proven reserves. A side that was not bridged is held by the bridge for the
    /// account paid: a pool's liquidity token is then paid from its own pool by
    /// [`Self::escape_held_shares`] (or [`Self::escape_held_below`]); a token created on L2 has
    /// no L1 asset and never pays.
    pub async fn escape_liquidity(
        &self,
        config: &EscapeConfig,
        key: &B256,
        a: Address,
        b: Address,
        owner: Address,
    ) -> Result<PoolEscape> {
        let pool = self.pool_proof(a, b)?;
        let (t0, t1) = keys::sort_pair(a, b);
        let (shares, shares_proof) = self.prove(keys::balance(&keys::lp_token(&t0, &t1), &owner));
        ensure!(!shares.is_zero(), "{owner} holds no shares of the pool of {a} and {b} in the frozen state");
        let sides = self.pool_share(a, b, shares, &pool);
        ensure!(
            sides.iter().any(|(_, side)| matches!(side, Side::Paid { .. } | Side::Held { pair: Some(_), .. })),
            "neither {a} nor {b} was bridged from L1 or is a pool's liquidity token: the pool holds no L1 asset to pay out"
        );
        let account = self.paid_to(owner)?;
        let l1 = wallet(&config.l1, key)?;
        self.record_fee_recipient(&l1, owner).await?;
        let call = L1Bridge::escapeLiquidityCall {
            tokenA: a,
            tokenB: b,
            owner,
            p: L1Bridge::LiquidityProof { shares, sharesProof: shares_proof, pool },
        };
        let tx = send(&l1, self.bridge, call.abi_encode()).await?.transaction_hash;
        Ok(PoolEscape { account, shares, sides, tx })
    }

    /// The liquidity shares of the pool of `a` and `b` that the bridge holds for the account
    /// `owner`'s claims pay (`L1Bridge.heldShares` of the pool's liquidity token).
    pub async fn held_shares(&self, config: &EscapeConfig, a: Address, b: Address, owner: Address) -> Result<U256> {
        let l1 = ProviderBuilder::new().connect_http(config.l1.clone()).erased();
        let (t0, t1) = keys::sort_pair(a, b);
        view(&l1, self.bridge, L1Bridge::heldSharesCall { _0: keys::lp_token(&t0, &t1), _1: self.paid_to(owner)? })
            .await
    }

    /// Pays the shares of the pool of `a` and `b` that the bridge holds for `owner` (for the fee
    /// vault, for its fee recipient): what escaping a pool whose side is this pool's liquidity
    /// token left held. Each bridged side is paid pro rata of the proven reserves; a side that
    /// is itself a liquidity token is held in turn (one level per L1 transaction).
    pub async fn escape_held_shares(
        &self,
        config: &EscapeConfig,
        key: &B256,
        a: Address,
        b: Address,
        owner: Address,
    ) -> Result<PoolEscape> {
        let pool = self.pool_proof(a, b)?;
        let account = self.paid_to(owner)?;
        let shares = self.held_shares(config, a, b, owner).await?;
        if shares.is_zero() {
            let (t0, t1) = keys::sort_pair(a, b);
            bail!(
                "the bridge holds no shares of the pool of {a} and {b} (liquidity token {}) for {account}: \
                 they were paid already, or no pool escaped so far has that token as a side \
                 (escape the outer pool first, and name the pair whose liquidity token it holds)",
                keys::lp_token(&t0, &t1)
            );
        }
        let sides = self.pool_share(a, b, shares, &pool);
        let call = L1Bridge::escapeHeldSharesCall { tokenA: a, tokenB: b, account, p: pool };
        let l1 = wallet(&config.l1, key)?;
        let tx = send(&l1, self.bridge, call.abi_encode()).await?.transaction_hash;
        Ok(PoolEscape { account, shares, sides, tx })
    }

    /// Follows what `escape` left held down to the bridged assets: every side that is a pool's
    /// liquidity token is paid from its pool ([`Self::escape_held_shares`], one L1 transaction
    /// each), and so on at every level below. A pool whose held shares are already paid (one
    /// reached twice) is passed over. Returns the claims sent, in order.
    pub async fn escape_held_below(
        &self,
        config: &EscapeConfig,
        key: &B256,
        escape: &PoolEscape,
    ) -> Result<Vec<PoolEscape>> {
        let mut pending: BTreeSet<(Address, Address)> = escape.held_pairs().collect();
        let mut sent = Vec::new();
        while let Some((a, b)) = pending.pop_first() {
            if self.held_shares(config, a, b, escape.account).await?.is_zero() {
                continue;
            }
            let next = self.escape_held_shares(config, key, a, b, escape.account).await?;
            pending.extend(next.held_pairs());
            sent.push(next);
        }
        Ok(sent)
    }

    /// Pays withdrawal `index` of `sender`, written before the freeze, against the frozen
    /// state's batch (the last one, final), with a proof derived from L1 alone: the L2 API is
    /// not needed. `l1_token`, `recipient` and `amount` are the withdrawal's (its leaf holds
    /// only their hash, checked here before anything is sent).
    pub async fn escape_withdrawal(
        &self,
        config: &EscapeConfig,
        key: &B256,
        withdrawal: L1Bridge::Withdrawal,
    ) -> Result<B256> {
        let leaf_key = keys::withdrawal(&withdrawal.l2Sender, withdrawal.index.saturating_to());
        let (value, siblings) = self.prove(leaf_key);
        ensure!(
            !value.is_zero(),
            "{} made no withdrawal {} before the freeze (the frozen state has none)",
            withdrawal.l2Sender,
            withdrawal.index
        );
        let expected = keys::withdrawal_leaf(&withdrawal.l1Token, &withdrawal.recipient, &withdrawal.amount);
        ensure!(
            B256::from(value) == expected,
            "withdrawal {} of {} is not {} of L1 token {} to {}: check the token, recipient and amount",
            withdrawal.index,
            withdrawal.l2Sender,
            withdrawal.amount,
            withdrawal.l1Token,
            withdrawal.recipient
        );
        let l1 = wallet(&config.l1, key)?;
        if view(&l1, self.bridge, L1Bridge::withdrawalFinalizedCall(leaf_key)).await? {
            bail!("withdrawal {} of {} was already paid", withdrawal.index, withdrawal.l2Sender);
        }
        let count: U256 = view(&l1, config.inbox, BatchInbox::batchCountCall {}).await?;
        ensure!(!count.is_zero(), "no batch was posted: the frozen state is the genesis, which holds no withdrawal");
        let call = L1Bridge::finalizeWithdrawalCall { batchIndex: count - U256::from(1u8), w: withdrawal, siblings };
        Ok(send(&l1, self.bridge, call.abi_encode()).await?.transaction_hash)
    }
}

/// Refunds deposit `index`, which the frozen state never consumed, to the L1 account that made
/// it (its contents are read from the bridge's `DepositQueued` event).
pub async fn refund_deposit(config: &EscapeConfig, key: &B256, index: u64) -> Result<B256> {
    let l1 = wallet(&config.l1, key)?;
    let bridge = view(&l1, config.inbox, BatchInbox::bridgeCall {}).await?;
    let filter = Filter::new()
        .address(bridge)
        .event_signature(L1Bridge::DepositQueued::SIGNATURE_HASH)
        .topic1(U256::from(index))
        .from_block(config.from_block);
    let logs = l1.get_logs(&filter).await?;
    let event = logs
        .iter()
        .find_map(|l| L1Bridge::DepositQueued::decode_log_data(&l.inner.data).ok())
        .ok_or_else(|| anyhow!("queue entry {index} is no deposit of bridge {bridge}"))?;
    let entry = rollup_types::queue::QueueEntry::from(&event);
    let e = BridgeQueueContents::from(&entry);
    let call = L1Bridge::refundDepositCall { index: U256::from(index), e };
    Ok(send(&l1, bridge, call.abi_encode()).await?.transaction_hash)
}
