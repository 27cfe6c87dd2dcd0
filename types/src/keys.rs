//! Keys of the L2 state tree, mirroring `contracts/src/logic/StateKeys.sol`.
//!
//! Every key is `keccak256(abi.encode(uint256 tag, …fields))`. The system contract stores
//! each key at the storage slot of the same number, so a storage slot *is* a tree key;
//! account nonces, kept by the EVM, are placed under [`nonce`].

use alloy_primitives::{Address, B256, U256, keccak256};

/// Tag of an account nonce key.
pub const TAG_NONCE: u64 = 0;
/// Tag of a token metadata key.
pub const TAG_TOKEN: u64 = 1;
/// Tag of a balance key.
pub const TAG_BALANCE: u64 = 2;
/// Tag of a total-supply key.
pub const TAG_SUPPLY: u64 = 3;
/// Tag of a pool reserves key.
pub const TAG_POOL: u64 = 4;
/// Tag of a pool's liquidity token address.
pub const TAG_LP_TOKEN: u64 = 5;
/// Tag of the listed-token counter.
pub const TAG_TOKEN_COUNT: u64 = 6;
/// Tag of a listed-token entry.
pub const TAG_TOKEN_AT: u64 = 7;
/// Tag of the pool counter.
pub const TAG_POOL_COUNT: u64 = 8;
/// Tag of a pool list entry.
pub const TAG_POOL_AT: u64 = 9;
/// Tag of the address of a token created on L2.
pub const TAG_NEW_TOKEN: u64 = 10;
/// Tag of the address of the L2 token standing for an L1 asset (docs/bridge.md §4).
pub const TAG_BRIDGED_TOKEN: u64 = 11;
/// Tag of a bridged token's L1 origin.
pub const TAG_TOKEN_ORIGIN: u64 = 12;
/// Tag of an account's withdrawal counter.
pub const TAG_WITHDRAWAL_COUNT: u64 = 13;
/// Tag of one withdrawal leaf.
pub const TAG_WITHDRAWAL: u64 = 14;
/// Tag of an ERC-20 allowance.
pub const TAG_ALLOWANCE: u64 = 15;
/// Tag of the chain's fee state (docs/fees.md §6).
pub const TAG_FEE_STATE: u64 = 16;
/// Tag of the L1 address the fee vault is withdrawn to (docs/fees.md §6).
pub const TAG_FEE_RECIPIENT: u64 = 17;
/// Tag of the chain's reading of the L1's fees ([`l1_fees`]).
pub const TAG_L1_FEES: u64 = 18;
/// Tag of the chain's clock ([`clock`]).
pub const TAG_CLOCK: u64 = 19;
/// Tag of the chain's price oracles' header (`StateKeys.oracles`).
pub const TAG_ORACLES: u64 = 20;
/// Tag of the list of oracles (`StateKeys.oracleAt`).
pub const TAG_ORACLE_AT: u64 = 21;
/// Tag of an oracle's state (`StateKeys.oracle`).
pub const TAG_ORACLE: u64 = 22;
/// Tag of the money market's header.
pub const TAG_MARKETS: u64 = 23;
/// Tag of a part of a market.
pub const TAG_MARKET: u64 = 24;
/// Tag of an asset's market index.
pub const TAG_MARKET_OF: u64 = 25;
/// Tag of a shard of a market.
pub const TAG_MARKET_SHARD: u64 = 26;
/// Tag of a user's position in a market.
pub const TAG_POSITION: u64 = 27;
/// Tag of the account that holds a shard's cash.
pub const TAG_SHARD_ACCOUNT: u64 = 28;

fn word_u64(v: u64) -> [u8; 32] {
    U256::from(v).to_be_bytes()
}

fn word_address(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// `keccak256` of the words concatenated: of `abi.encode` of static fields.
fn hash_words<'a>(words: impl IntoIterator<Item = &'a [u8; 32]>) -> B256 {
    let mut buf = Vec::with_capacity(32 * 4);
    for w in words {
        buf.extend_from_slice(w);
    }
    keccak256(buf)
}

fn tagged(tag: u64, fields: &[[u8; 32]]) -> B256 {
    hash_words(std::iter::once(&word_u64(tag)).chain(fields))
}

fn address_of(hash: B256) -> Address {
    Address::from_slice(&hash[12..])
}

/// Key of an account's transaction nonce.
pub fn nonce(account: &Address) -> B256 {
    tagged(TAG_NONCE, &[word_address(account)])
}

/// Key of a token's metadata.
pub fn token(token: &Address) -> B256 {
    tagged(TAG_TOKEN, &[word_address(token)])
}

/// Key of the balance of `owner` in `token`.
pub fn balance(token: &Address, owner: &Address) -> B256 {
    tagged(TAG_BALANCE, &[word_address(token), word_address(owner)])
}

/// Key of the amount of `owner`'s `token` that `spender` may move (`transferFrom`).
pub fn allowance(token: &Address, owner: &Address, spender: &Address) -> B256 {
    tagged(TAG_ALLOWANCE, &[word_address(token), word_address(owner), word_address(spender)])
}

/// Key of the total supply of `token`.
pub fn supply(token: &Address) -> B256 {
    tagged(TAG_SUPPLY, &[word_address(token)])
}

/// Orders a token pair as the contracts do (`token0 < token1`).
pub fn sort_pair(a: Address, b: Address) -> (Address, Address) {
    if a < b { (a, b) } else { (b, a) }
}

/// Key of a pool's packed reserves; `token0 < token1`.
pub fn pool(token0: &Address, token1: &Address) -> B256 {
    tagged(TAG_POOL, &[word_address(token0), word_address(token1)])
}

/// Address of a pool's liquidity token; `token0 < token1`.
pub fn lp_token(token0: &Address, token1: &Address) -> Address {
    address_of(tagged(TAG_LP_TOKEN, &[word_address(token0), word_address(token1)]))
}

/// Key of the number of listed tokens.
pub fn token_count() -> B256 {
    tagged(TAG_TOKEN_COUNT, &[])
}

/// Key of the `index`-th listed token.
pub fn token_at(index: u64) -> B256 {
    tagged(TAG_TOKEN_AT, &[word_u64(index)])
}

/// Key of the chain's fee state ([`crate::fees::FeeState`]): the block that last held an
/// item, its scheduled gas and its base fee. No operation writes it.
pub fn fee_state() -> B256 {
    tagged(TAG_FEE_STATE, &[])
}

/// Key of the L1's fees as the chain last read them from the bridge's queue (`StateKeys.l1Fees`,
/// [`crate::fees::L1Fees`], docs/fees.md §4): laid out at genesis, written by the queue's fee
/// reports only.
pub fn l1_fees() -> B256 {
    tagged(TAG_L1_FEES, &[])
}

/// Key of the chain's clock (`StateKeys.clock`): the latest timestamp of a block that held an
/// item, which never goes back. Written only by the system call that begins each such block
/// (`L2System.beginBlock`, docs/lending.md §3).
pub fn clock() -> B256 {
    tagged(TAG_CLOCK, &[])
}

/// Key of the chain's price oracles (`StateKeys.oracles`, docs/lending.md §4): their number in
/// the low byte and the numeraire above it. Laid out at genesis only.
pub fn oracles() -> B256 {
    tagged(TAG_ORACLES, &[])
}

/// Key of the `index`-th oracle (`StateKeys.oracleAt`): its asset (low 160 bits) and its route
/// above it (0: its pool with the numeraire; `j + 1`: its pool with oracle `j`'s asset). Laid
/// out at genesis only.
pub fn oracle_at(index: u64) -> B256 {
    tagged(TAG_ORACLE_AT, &[word_u64(index)])
}

/// Key of part `part` of the oracle of `asset` (`StateKeys.oracle`): 0 its window, 1 its latest
/// sample. Written only by the block's beginning (`OracleLogic`).
pub fn oracle(asset: &Address, part: u64) -> B256 {
    tagged(TAG_ORACLE, &[word_address(asset), word_u64(part)])
}

/// Key of the money market's header (`StateKeys.markets`, docs/lending.md §2): the number of
/// markets (bits 0–7), the market whose turn to accrue is next (8–15), the liquidation dust
/// threshold (16–143). Written at genesis and, for the turn, by the block's beginning only.
pub fn markets() -> B256 {
    tagged(TAG_MARKETS, &[])
}

/// Key of part `part` of the `index`-th market (`StateKeys.market`): 0 its configuration
/// (genesis only), 1 its rate model and last accrual, 2 its indices (its accrual only).
pub fn market(index: u64, part: u64) -> B256 {
    tagged(TAG_MARKET, &[word_u64(index), word_u64(part)])
}

/// Key of the market of `asset` (`StateKeys.marketOf`): its index plus one; genesis only.
pub fn market_of(asset: &Address) -> B256 {
    tagged(TAG_MARKET_OF, &[word_address(asset)])
}

/// Key of shard `shard` of the `index`-th market (`StateKeys.marketShard`): scaled supply (low
/// 128 bits) and scaled debt (high 128 bits) of the shard's users.
pub fn market_shard(index: u64, shard: u64) -> B256 {
    tagged(TAG_MARKET_SHARD, &[word_u64(index), word_u64(shard)])
}

/// Key of `user`'s position in the `index`-th market (`StateKeys.position`): scaled supply
/// (low 128 bits) and scaled debt (high 128 bits).
pub fn position(user: &Address, index: u64) -> B256 {
    tagged(TAG_POSITION, &[word_address(user), word_u64(index)])
}

/// The account that holds the cash of shard `shard` of every market (`StateKeys.shardAccount`).
pub fn shard_account(shard: u64) -> Address {
    address_of(tagged(TAG_SHARD_ACCOUNT, &[word_u64(shard)]))
}

/// The shard of `user` (`LendingLogic.shardOf`): the low three bits of its address.
pub fn shard_of(user: &Address) -> u64 {
    u64::from(user.0[19] & 7)
}

/// Key of the L1 address the fee vault's ether is withdrawn to (`withdrawFees`, docs/fees.md
/// §6), laid out at genesis. No operation writes it.
pub fn fee_recipient() -> B256 {
    tagged(TAG_FEE_RECIPIENT, &[])
}

/// Key of the number of pools.
pub fn pool_count() -> B256 {
    tagged(TAG_POOL_COUNT, &[])
}

/// Key of one token of the `index`-th pool (`side` 0: token0, 1: token1).
pub fn pool_at(index: u64, side: u64) -> B256 {
    tagged(TAG_POOL_AT, &[word_u64(index), word_u64(side)])
}

/// Address of a token created on L2 by `creator` with `salt`.
pub fn new_token(creator: &Address, salt: &B256) -> Address {
    address_of(tagged(TAG_NEW_TOKEN, &[word_address(creator), salt.0]))
}

/// The chain's native currency: the bridged token of L1 ether (`bridged_token(&Address::ZERO)`,
/// `StateKeys.ETHER`). An account's `eth_getBalance` is its balance of this token, a value
/// transfer moves it, and the token's ERC-20 face shows the same balance.
pub const ETHER: Address = alloy_primitives::address!("0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6");

/// Key of `owner`'s ether: its balance of [`ETHER`] (`eth_getBalance`).
pub fn ether_balance(owner: &Address) -> B256 {
    balance(&ETHER, owner)
}

/// The metadata word of ether ([`token`]'s value): symbol "ETH", 18 decimals
/// (`StateKeys.ETHER_META`).
pub const ETHER_META: U256 = U256::from_limbs([18, 0, 0, 0x4554_4800_0000_0000]);

/// Address of the L2 token that stands for the L1 asset `l1_token` (the zero address for
/// ether).
pub fn bridged_token(l1_token: &Address) -> Address {
    address_of(tagged(TAG_BRIDGED_TOKEN, &[word_address(l1_token)]))
}

/// Key of a bridged token's L1 origin; its value is [`origin_value`].
pub fn token_origin(l2_token: &Address) -> B256 {
    tagged(TAG_TOKEN_ORIGIN, &[word_address(l2_token)])
}

/// The value stored at [`token_origin`]: `uint160(l1Token) | 1 << 160`, so that ether's
/// origin (the zero address) is a non-zero word.
pub fn origin_value(l1_token: &Address) -> B256 {
    let mut w = word_address(l1_token);
    w[11] = 1;
    B256::from(w)
}

/// The L1 asset recorded in a [`token_origin`] value, or `None` for a value that no
/// origin can hold (not a bridged token).
pub fn origin_of(value: &B256) -> Option<Address> {
    (value[..11].iter().all(|b| *b == 0) && value[11] == 1).then(|| Address::from_slice(&value[12..]))
}

/// Key of the number of withdrawals `account` has made.
pub fn withdrawal_count(account: &Address) -> B256 {
    tagged(TAG_WITHDRAWAL_COUNT, &[word_address(account)])
}

/// Key of the `index`-th withdrawal of `account`; its value is [`withdrawal_leaf`].
pub fn withdrawal(account: &Address, index: u64) -> B256 {
    tagged(TAG_WITHDRAWAL, &[word_address(account), word_u64(index)])
}

/// The value of a withdrawal's key: `keccak256(abi.encode(l1Token, recipient, amount))`,
/// as `L1Bridge.withdrawalLeaf` computes it.
pub fn withdrawal_leaf(l1_token: &Address, recipient: &Address, amount: &U256) -> B256 {
    hash_words(&[word_address(l1_token), word_address(recipient), amount.to_be_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn keys_are_abi_encoded_tags() {
        let a = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        let mut manual = vec![0u8; 64];
        manual[44..64].copy_from_slice(a.as_slice());
        assert_eq!(nonce(&a), keccak256(&manual));
        manual[31] = TAG_SUPPLY as u8;
        assert_eq!(supply(&a), keccak256(&manual));
        assert_eq!(token_count(), keccak256(U256::from(TAG_TOKEN_COUNT).to_be_bytes::<32>()));
    }

    #[test]
    fn ether_is_the_bridged_token_of_l1_ether() {
        assert_eq!(ETHER, bridged_token(&Address::ZERO));
        let mut meta = [0u8; 32];
        meta[..3].copy_from_slice(b"ETH");
        meta[31] = 18;
        assert_eq!(ETHER_META, U256::from_be_bytes(meta));
    }

    #[test]
    fn origin_round_trips_and_rejects_other_words() {
        for a in [Address::ZERO, Address::repeat_byte(0xff), address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")] {
            let v = origin_value(&a);
            assert_ne!(v, B256::ZERO);
            assert_eq!(U256::from_be_bytes(v.0), U256::from_be_bytes(word_address(&a)) | (U256::from(1) << 160));
            assert_eq!(origin_of(&v), Some(a));
        }
        assert_eq!(origin_of(&B256::ZERO), None);
        assert_eq!(origin_of(&B256::with_last_byte(1)), None);
        let mut two = origin_value(&Address::ZERO);
        two.0[11] = 2;
        assert_eq!(origin_of(&two), None);
        let mut high = origin_value(&Address::ZERO);
        high.0[0] = 1;
        assert_eq!(origin_of(&high), None);
    }
}
