//! The genesis of the L2: tokens, balances and pools laid out by the system contract's own
//! constructor (see `contracts/src/l2/L2System.sol`), and the well-known development keys.

use crate::bindings::L2System;
use alloy_primitives::{Address, B256, U256, address, b256};
use alloy_sol_types::SolConstructor;

/// Wrapped ether on L2 (18 decimals).
pub const WETH: Address = address!("0x7000000000000000000000000000000000000001");
/// A dollar stablecoin (6 decimals).
pub const USDC: Address = address!("0x7000000000000000000000000000000000000002");
/// A dollar stablecoin (18 decimals).
pub const DAI: Address = address!("0x7000000000000000000000000000000000000003");
/// Wrapped bitcoin (8 decimals).
pub const WBTC: Address = address!("0x7000000000000000000000000000000000000004");

/// A funded development account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevAccount {
    /// Its address.
    pub address: Address,
    /// Its private key (public knowledge: never use it outside a devnet).
    pub private_key: B256,
}

/// The ten accounts of the standard test mnemonic (`test test … junk`) that anvil funds on
/// L1; the devnet genesis funds the same accounts on L2.
pub const DEV_ACCOUNTS: [DevAccount; 10] = [
    DevAccount {
        address: address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        private_key: b256!("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    },
    DevAccount {
        address: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        private_key: b256!("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    },
    DevAccount {
        address: address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        private_key: b256!("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    },
    DevAccount {
        address: address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
        private_key: b256!("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    },
    DevAccount {
        address: address!("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        private_key: b256!("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    },
    DevAccount {
        address: address!("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
        private_key: b256!("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    },
    DevAccount {
        address: address!("0x976EA74026E726554dB657fA54763abd0C3a0aa9"),
        private_key: b256!("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    },
    DevAccount {
        address: address!("0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
        private_key: b256!("0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    },
    DevAccount {
        address: address!("0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
        private_key: b256!("0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    },
    DevAccount {
        address: address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"),
        private_key: b256!("0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
    },
];

fn units(amount: u64, decimals: u8) -> U256 {
    U256::from(amount) * U256::from(10u64).pow(U256::from(decimals))
}

/// A token present at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisToken {
    /// Its address.
    pub address: Address,
    /// Its symbol (1 to 31 bytes).
    pub symbol: String,
    /// Its decimals.
    pub decimals: u8,
    /// Whole units minted to each funded account.
    pub per_account: u64,
}

/// A pool seeded at genesis by the first funded account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisPool {
    /// One token.
    pub token_a: Address,
    /// Whole units of `token_a` deposited.
    pub amount_a: u64,
    /// The other token.
    pub token_b: Address,
    /// Whole units of `token_b` deposited.
    pub amount_b: u64,
}

/// A price oracle laid out at genesis (`OracleLogic`, docs/lending.md §4): it prices `asset` in
/// the genesis' numeraire by its pool with `via`, or with the numeraire when `via` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisOracle {
    /// The asset it prices.
    pub asset: Address,
    /// The asset its pool pairs it with, an earlier oracle's; `None`: the numeraire.
    pub via: Option<Address>,
}

/// The most oracles a genesis lays out (`OracleLogic.MAX_ORACLES`): each is sampled in every
/// block that holds an item.
pub const MAX_ORACLES: usize = 8;

/// A money market laid out at genesis (`LendingLogic.MarketParams`, docs/lending.md §6): its
/// factors and kink in basis points, its rate model in basis points a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenesisMarket {
    /// The asset lent and borrowed; it needs an oracle, or is the numeraire.
    pub asset: Address,
    /// The share of the supply's value that may be borrowed against.
    pub collateral_factor: u16,
    /// The share of the supply's value below which debt may be liquidated.
    pub liquidation_threshold: u16,
    /// What a liquidator gets above the value it repays.
    pub liquidation_bonus: u16,
    /// The share of the interest the market keeps.
    pub reserve_factor: u16,
    /// The utilization where the rate's slope changes.
    pub kink: u16,
    /// The borrow rate at no utilization.
    pub base_rate: u32,
    /// What the borrow rate rises by from no utilization to the kink.
    pub slope_low: u32,
    /// What it rises by from the kink to full utilization.
    pub slope_high: u32,
}

/// The most markets a genesis lays out (`LendingLogic.MAX_MARKETS`): a health factor reads
/// every one.
pub const MAX_MARKETS: usize = 8;

/// Ether each development account holds at the devnet's genesis: 100 ETH.
pub const DEVNET_ETHER_PER_ACCOUNT: U256 = U256::from_limbs([7_766_279_631_452_241_920, 5, 0, 0]);

/// Everything the genesis state is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisSpec {
    /// Tokens, each minted to every funded account.
    pub tokens: Vec<GenesisToken>,
    /// Wei of ether, the chain's currency ([`crate::keys::ETHER`]), each funded account holds.
    /// The L1 bridge's deployer locks the total ([`Self::genesis_ether`]), so that every
    /// ether balance on L2 is backed on L1.
    pub ether_per_account: U256,
    /// Accounts funded with every token; the first also seeds the pools.
    pub funded: Vec<Address>,
    /// Pools, seeded from the first funded account (which is minted what they need).
    pub pools: Vec<GenesisPool>,
    /// The L1 address the fee vault's ether is withdrawn to (`withdrawFees`, docs/fees.md §6);
    /// zero: the fees stay on L2.
    pub fee_recipient: Address,
    /// The L1 price of a byte the genesis fee state holds (docs/fees.md §4), from which the
    /// first block's price is bounded: a deployment sets it near what a byte costs on its L1,
    /// so that its first blocks do not undercharge while the price climbs from the floor.
    /// Below [`crate::fees::MIN_L1_BYTE_PRICE`] it is the floor.
    pub l1_byte_price: u64,
    /// The chain's reading of the L1's fees at genesis ([`crate::fees::GENESIS_L1_FEES`] by
    /// default), which bounds the L1 price of the blocks before the first reading the inbox
    /// queues is consumed (docs/fees.md §4).
    pub l1_fees: crate::fees::L1Fees,
    /// The asset the oracles price in (raw units of it per raw unit of an asset); zero with no
    /// oracles.
    pub numeraire: Address,
    /// The price oracles, sampled at the beginning of every block that holds an item (at most
    /// [`MAX_ORACLES`], each after the one its route goes through).
    pub oracles: Vec<GenesisOracle>,
    /// The money markets (at most [`MAX_MARKETS`]), each for an asset with an oracle or the
    /// numeraire.
    pub markets: Vec<GenesisMarket>,
    /// Below this debt (raw units of the numeraire) a liquidation may repay all of it.
    pub liquidation_dust: U256,
}

impl GenesisSpec {
    /// The devnet genesis: four tokens, four pools, the ten development accounts funded.
    pub fn devnet() -> Self {
        let token = |address, symbol: &str, decimals, per_account| GenesisToken {
            address,
            symbol: symbol.to_owned(),
            decimals,
            per_account,
        };
        let pool = |token_a, amount_a, token_b, amount_b| GenesisPool { token_a, amount_a, token_b, amount_b };
        Self {
            tokens: vec![
                token(WETH, "WETH", 18, 1_000),
                token(USDC, "USDC", 6, 5_000_000),
                token(DAI, "DAI", 18, 5_000_000),
                token(WBTC, "WBTC", 8, 50),
            ],
            ether_per_account: DEVNET_ETHER_PER_ACCOUNT,
            funded: DEV_ACCOUNTS.iter().map(|a| a.address).collect(),
            // The deployer's account: the operator's.
            fee_recipient: DEV_ACCOUNTS[0].address,
            l1_byte_price: crate::fees::MIN_L1_BYTE_PRICE,
            l1_fees: crate::fees::GENESIS_L1_FEES,
            pools: vec![
                pool(WETH, 1_000, USDC, 3_000_000),
                pool(WETH, 1_000, DAI, 3_000_000),
                pool(USDC, 2_000_000, DAI, 2_000_000),
                pool(WBTC, 50, WETH, 1_000),
            ],
            // Prices in USDC; WBTC through WETH, as no WBTC/USDC pool exists.
            numeraire: USDC,
            oracles: vec![
                GenesisOracle { asset: WETH, via: None },
                GenesisOracle { asset: DAI, via: None },
                GenesisOracle { asset: WBTC, via: Some(WETH) },
            ],
            markets: devnet_markets(),
            // 2,000 USDC, Aave v3's threshold for repaying a whole debt.
            liquidation_dust: U256::from(2_000_000_000u64),
        }
    }

    /// Lays out no oracles (a genesis of tokens and pools only), and so no markets.
    pub fn without_oracles(mut self) -> Self {
        self.numeraire = Address::ZERO;
        self.oracles.clear();
        self.markets.clear();
        self
    }

    /// Adds funded accounts (for benchmarks and tests).
    pub fn with_funded(mut self, accounts: impl IntoIterator<Item = Address>) -> Self {
        self.funded.extend(accounts);
        self
    }

    /// Sets the ether each funded account holds.
    pub const fn with_ether_per_account(mut self, wei: U256) -> Self {
        self.ether_per_account = wei;
        self
    }

    /// Sets the L1 price of a byte of the genesis fee state.
    pub const fn with_l1_byte_price(mut self, wei: u64) -> Self {
        self.l1_byte_price = wei;
        self
    }

    /// The fee state at genesis (docs/fees.md §6): block 0, no gas, the lowest base fee and
    /// this genesis' L1 price.
    pub fn fee_state(&self) -> crate::fees::FeeState {
        let price = self.l1_byte_price.max(crate::fees::MIN_L1_BYTE_PRICE);
        crate::fees::FeeState { l1_byte_price: price, ..crate::fees::FeeState::GENESIS }
    }

    /// All the ether of the genesis: what the L1 bridge's deployer locks.
    pub fn genesis_ether(&self) -> U256 {
        self.ether_per_account * U256::from(self.funded.len())
    }

    fn decimals_of(&self, token: Address) -> u8 {
        self.tokens.iter().find(|t| t.address == token).map_or(18, |t| t.decimals)
    }

    /// ABI-encoded arguments of the `L2System` constructor that lays out this genesis.
    pub fn constructor_args(&self) -> Vec<u8> {
        let tokens = self
            .tokens
            .iter()
            .map(|t| L2System::GenesisToken { token: t.address, symbol: t.symbol.clone(), decimals: t.decimals })
            .collect();
        let mut mints = Vec::new();
        for (i, account) in self.funded.iter().enumerate() {
            if !self.ether_per_account.is_zero() {
                mints.push(L2System::GenesisMint {
                    token: crate::keys::ETHER,
                    to: *account,
                    amount: self.ether_per_account,
                });
            }
            for t in &self.tokens {
                let mut amount = units(t.per_account, t.decimals);
                if i == 0 {
                    // The first account also holds what it deposits into the pools.
                    for p in &self.pools {
                        if p.token_a == t.address {
                            amount += units(p.amount_a, t.decimals);
                        }
                        if p.token_b == t.address {
                            amount += units(p.amount_b, t.decimals);
                        }
                    }
                }
                mints.push(L2System::GenesisMint { token: t.address, to: *account, amount });
            }
        }
        let provider = self.funded.first().copied().unwrap_or_default();
        let pools = self
            .pools
            .iter()
            .map(|p| L2System::GenesisPool {
                provider,
                tokenA: p.token_a,
                tokenB: p.token_b,
                amountA: units(p.amount_a, self.decimals_of(p.token_a)),
                amountB: units(p.amount_b, self.decimals_of(p.token_b)),
            })
            .collect();
        let oracles = L2System::GenesisOracles {
            numeraire: self.numeraire,
            routes: self
                .oracles
                .iter()
                .map(|o| crate::bindings::OracleRoute { asset: o.asset, via: o.via.unwrap_or_default() })
                .collect(),
        };
        let markets = L2System::GenesisMarkets {
            dust: self.liquidation_dust,
            markets: self
                .markets
                .iter()
                .map(|m| crate::bindings::MarketParams {
                    asset: m.asset,
                    collateralFactor: m.collateral_factor,
                    liquidationThreshold: m.liquidation_threshold,
                    liquidationBonus: m.liquidation_bonus,
                    reserveFactor: m.reserve_factor,
                    kink: m.kink,
                    baseRate: m.base_rate,
                    slopeLow: m.slope_low,
                    slopeHigh: m.slope_high,
                })
                .collect(),
        };
        L2System::constructorCall { tokens, mints, pools, oracles_: oracles, markets_: markets }.abi_encode()
    }
}

/// The devnet's markets (docs/lending.md §6 says where each number comes from): every one on
/// Compound III's USDC rate model at launch (1.5 % a year at no utilization, 2.8 % more up to a
/// kink at 80 %, 5 % more above it, 10 % of the interest kept); WETH and WBTC as collateral at
/// Compound III's factors (82.5 % and 70 % borrowable, liquidated at 89.5 % and 77 %, a 5 %
/// bonus), USDC and DAI at Aave v3's USDC's (75 %, 78 %, 4.5 %).
pub fn devnet_markets() -> Vec<GenesisMarket> {
    let market = |asset, collateral_factor, liquidation_threshold, liquidation_bonus| GenesisMarket {
        asset,
        collateral_factor,
        liquidation_threshold,
        liquidation_bonus,
        reserve_factor: 1_000,
        kink: 8_000,
        base_rate: 150,
        slope_low: 280,
        slope_high: 500,
    };
    vec![
        market(USDC, 7_500, 7_800, 450),
        market(WETH, 8_250, 8_950, 500),
        market(DAI, 7_500, 7_800, 450),
        market(WBTC, 7_000, 7_700, 500),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::Signer;

    #[test]
    fn the_devnet_accounts_hold_a_hundred_ether() {
        assert_eq!(DEVNET_ETHER_PER_ACCOUNT, U256::from(100u64) * U256::from(10u64).pow(U256::from(18u64)));
        let spec = GenesisSpec::devnet();
        assert_eq!(spec.genesis_ether(), DEVNET_ETHER_PER_ACCOUNT * U256::from(DEV_ACCOUNTS.len()));
    }

    #[test]
    fn dev_keys_match_their_addresses() {
        for account in DEV_ACCOUNTS {
            assert_eq!(Signer::new(&account.private_key).expect("valid key").address(), account.address);
        }
    }
}
