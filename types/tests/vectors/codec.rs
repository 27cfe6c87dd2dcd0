//! Batch codec vectors (`testdata/codec-vectors.json`, docs/batch-codec.md), checked here
//! with `rollup_types::codec` and by `contracts/test/BatchCodec.t.sol` with the L1 decoder.
//!
//! Valid cases are encoded by the reference encoder (one is hand-built: a registry with an
//! unused entry, which the decoder must accept). Invalid cases are hand-assembled byte
//! strings, one per rule of §5, each with the error code the first failure in reading order
//! gives.

use super::{word, write_or_check};
use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, hex};
use alloy_sol_types::SolCall;
use rollup_types::{
    ChainConfig, SYSTEM_CONTRACT, SignedTx, TokenCall,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{DAI, USDC, WETH},
    signer::Signer,
};
use serde::{Deserialize, Serialize};

const FILE: &str = "codec-vectors.json";
const CHAIN_ID: u64 = 42_069;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodecVectors {
    comment: String,
    chain_id: u64,
    valid: Vec<ValidCase>,
    invalid: Vec<InvalidCase>,
    numbers: Vec<NumberCase>,
    bad_numbers: Vec<BadNumber>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidCase {
    name: String,
    chunk_size: u32,
    data: Bytes,
    /// Whether re-encoding the decoded batch gives `data` back (the registry is in the
    /// reference encoder's order).
    canonical: bool,
    first_number: u64,
    first_timestamp: u64,
    block_count: u64,
    /// Queue entries the batch consumes.
    queue_count: u64,
    registry: Vec<Address>,
    chunk_count: usize,
    chunks: Vec<ChunkCase>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChunkCase {
    block_number: u64,
    /// The L1 price of a byte its block commits (docs/fees.md §4).
    l1_byte_price: u64,
    /// Its block's timestamp (what the replayed logic reads, docs/fraud-proofs.md §6).
    timestamp: u64,
    /// The chunk's first queue entry, numbered from the batch's first.
    queue_offset: u64,
    /// Queue entries in the chunk: 1 for an entry's chunk, else 0.
    queue_count: u64,
    /// Whether its one transaction is heavy (docs/batch-codec.md §3.1).
    heavy: bool,
    txs: Vec<TxCase>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TxCase {
    hash: B256,
    signed: Bytes,
    sig_hash: B256,
    sender: Address,
    input: Bytes,
    nonce: u64,
    gas_limit: u64,
    eip1559: bool,
    /// The bytes the L1 data fee bills (docs/fees.md §2.2).
    billed_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvalidCase {
    name: String,
    chunk_size: u32,
    data: Bytes,
    error: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NumberCase {
    width: usize,
    value: B256,
    bytes: Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BadNumber {
    width: usize,
    bytes: Bytes,
    error: String,
}

fn chain(chunk_size: u32) -> ChainConfig {
    ChainConfig { chain_id: CHAIN_ID, chunk_size }
}

fn signer(i: u64) -> Signer {
    Signer::new(&word("codec-key", i)).expect("keccak words are valid keys")
}

/// Fees and gas of a transaction to sign.
#[derive(Clone, Copy)]
struct Gas {
    limit: u64,
    priority: u128,
    max: u128,
}

const DEFAULT_GAS: Gas = Gas { limit: 300_000, priority: 0, max: 0 };

fn sign(key: &Signer, eip1559: bool, nonce: u64, gas: Gas, input: Bytes) -> SignedTx {
    sign_to(key, eip1559, nonce, gas, SYSTEM_CONTRACT, input)
}

/// A transaction to `to` (a token, for a token call).
fn sign_to(key: &Signer, eip1559: bool, nonce: u64, gas: Gas, to: Address, input: Bytes) -> SignedTx {
    sign_with_value(key, eip1559, nonce, gas, to, input, U256::ZERO)
}

/// A transfer of `value` ether to `to` (no calldata).
fn sign_ether(key: &Signer, eip1559: bool, nonce: u64, gas: Gas, to: Address, value: U256) -> SignedTx {
    sign_with_value(key, eip1559, nonce, gas, to, Bytes::new(), value)
}

fn sign_with_value(
    key: &Signer,
    eip1559: bool,
    nonce: u64,
    gas: Gas,
    to: Address,
    input: Bytes,
    value: U256,
) -> SignedTx {
    let to = TxKind::Call(to);
    if eip1559 {
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit: gas.limit,
            max_fee_per_gas: gas.max,
            max_priority_fee_per_gas: gas.priority,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        let sig = key.sign_hash(tx.signature_hash());
        SignedTx::Eip1559(tx.into_signed(sig))
    } else {
        let tx =
            TxLegacy { chain_id: Some(CHAIN_ID), nonce, gas_price: gas.max, gas_limit: gas.limit, to, value, input };
        let sig = key.sign_hash(tx.signature_hash());
        SignedTx::Legacy(tx.into_signed(sig))
    }
}

fn transfer(token: Address, to: Address, amount: U256) -> Bytes {
    L2System::transferCall { token, to, amount }.abi_encode().into()
}

fn swap(a: Address, b: Address, amount_in: U256, min_out: U256) -> Bytes {
    L2System::swapCall { tokenIn: a, tokenOut: b, amountIn: amount_in, minAmountOut: min_out }.abi_encode().into()
}

fn units(n: u64, decimals: u8) -> U256 {
    U256::from(n) * U256::from(10u8).pow(U256::from(decimals))
}

const RECIPIENT: Address = address!("0x00000000000000000000000000000000000000aa");

/// The worked example of docs/batch-codec.md §6: the first key whose signature has parity 1.
fn example_batch() -> Batch {
    let tx = (0..)
        .map(|i| sign(&signer(i), true, 0, DEFAULT_GAS, transfer(USDC, RECIPIENT, U256::from(1_000_000u64))))
        .find(|tx| tx.signature().v())
        .expect("half of all signatures have parity 1");
    Batch {
        blocks: vec![BatchBlock {
            number: 5,
            timestamp: 1_700_000_000,
            queue_count: 0,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
            txs: vec![tx],
        }],
    }
}

/// Every operation, both transaction types, fees, odd numbers, queue entries before
/// transactions and alone in a block, chunks of 3.
fn mixed_batch() -> Batch {
    let (a, b) = (signer(10), signer(11));
    let full = U256::from_be_bytes(word("codec-amount", 0).0) >> 8;
    let create_token = L2System::createTokenCall {
        salt: word("codec-salt", 0),
        symbol: "NEW".into(),
        decimals: 6,
        supply: units(1_000_000, 6),
    }
    .abi_encode();
    let create_pool =
        L2System::createPoolCall { tokenA: WETH, tokenB: DAI, amountA: units(10, 18), amountB: units(35_000, 18) }
            .abi_encode();
    let add = L2System::addLiquidityCall {
        tokenA: WETH,
        tokenB: DAI,
        amountADesired: units(15, 17),
        amountBDesired: full,
        minLiquidity: U256::from(1u8),
    }
    .abi_encode();
    let remove = L2System::removeLiquidityCall {
        tokenA: DAI,
        tokenB: WETH,
        liquidity: U256::from(123_456_789u64),
        minAmountA: U256::ZERO,
        minAmountB: U256::MAX,
    }
    .abi_encode();
    let withdraw = L2System::withdrawCall {
        l2Token: Address::from_word(word("codec-bridged", 0)),
        l1Recipient: RECIPIENT,
        amount: units(3, 17),
    }
    .abi_encode();
    let fees = Gas { limit: 76_543, priority: 1_000_000_000, max: 2_500_000_000 };
    let legacy_fee = Gas { limit: 21_000, priority: 0, max: 7 };
    Batch {
        blocks: vec![
            BatchBlock {
                number: 41,
                timestamp: 1_700_000_000,
                queue_count: 2,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign(&a, true, 0, DEFAULT_GAS, transfer(USDC, RECIPIENT, units(25, 6))),
                    sign(&a, false, 1, DEFAULT_GAS, swap(WETH, DAI, units(1, 16), U256::ZERO)),
                    sign(&b, true, 300, fees, create_token.into()),
                    sign(&b, true, 301, DEFAULT_GAS, create_pool.into()),
                    sign(&a, false, 2, legacy_fee, add.into()),
                ],
            },
            BatchBlock {
                number: 42,
                timestamp: 1_700_000_002,
                queue_count: 4,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![],
            },
            BatchBlock {
                number: 43,
                timestamp: 1_700_000_002,
                queue_count: 0,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![],
            },
            BatchBlock {
                number: 44,
                timestamp: 1_700_000_002,
                queue_count: 1,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign(&b, true, 302, DEFAULT_GAS, remove.into()),
                    sign(&a, true, 3, DEFAULT_GAS, swap(DAI, WETH, full, U256::from(u64::MAX))),
                    sign(&a, false, 4, DEFAULT_GAS, withdraw.into()),
                ],
            },
        ],
    }
}

/// Token calls (docs/batch-codec.md §3.3.2): each of the three, both transaction types, a
/// `transferFrom` whose recipient is the token itself and one whose three addresses are one,
/// an unlimited approval, a call of an address that holds no token, and system operations
/// beside them sharing the registry.
fn token_calls_batch() -> Batch {
    let (a, b) = (signer(40), signer(41));
    let nowhere = Address::from_word(word("codec-no-token", 0));
    let call = |c: TokenCall| Bytes::from(c.encode());
    let fees = Gas { limit: 90_000, priority: 3, max: 1_000_000_007 };
    Batch {
        blocks: vec![
            BatchBlock {
                number: 90,
                timestamp: 1_750_000_000,
                queue_count: 0,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign_to(
                        &a,
                        true,
                        0,
                        DEFAULT_GAS,
                        USDC,
                        call(TokenCall::Transfer { to: RECIPIENT, amount: units(7, 6) }),
                    ),
                    sign_to(
                        &a,
                        false,
                        1,
                        fees,
                        DAI,
                        call(TokenCall::Approve { spender: b.address(), amount: U256::MAX }),
                    ),
                    sign(&a, true, 2, DEFAULT_GAS, transfer(DAI, RECIPIENT, units(1, 18))),
                    sign_to(
                        &b,
                        true,
                        0,
                        fees,
                        DAI,
                        call(TokenCall::TransferFrom { from: a.address(), to: RECIPIENT, amount: units(2, 18) }),
                    ),
                ],
            },
            BatchBlock {
                number: 91,
                timestamp: 1_750_000_001,
                queue_count: 1,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign_to(
                        &b,
                        false,
                        1,
                        DEFAULT_GAS,
                        WETH,
                        call(TokenCall::TransferFrom { from: WETH, to: WETH, amount: U256::ZERO }),
                    ),
                    sign_to(
                        &b,
                        true,
                        2,
                        DEFAULT_GAS,
                        USDC,
                        call(TokenCall::TransferFrom { from: RECIPIENT, to: USDC, amount: U256::from(1u8) }),
                    ),
                    sign_to(
                        &a,
                        true,
                        3,
                        DEFAULT_GAS,
                        nowhere,
                        call(TokenCall::Transfer { to: RECIPIENT, amount: U256::from(5u8) }),
                    ),
                    sign_to(
                        &b,
                        true,
                        3,
                        DEFAULT_GAS,
                        USDC,
                        call(TokenCall::Approve { spender: RECIPIENT, amount: U256::ZERO }),
                    ),
                ],
            },
            // Transfers of ether (operation 4 with bit 6): to a new address, a wallet's
            // "cancel" (zero to itself, legacy), a full-precision amount, to a token's address.
            BatchBlock {
                number: 92,
                timestamp: 1_750_000_002,
                queue_count: 0,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign_ether(&a, true, 4, fees, nowhere, units(1, 18)),
                    sign_ether(&b, false, 4, DEFAULT_GAS, b.address(), U256::ZERO),
                    sign_ether(&a, true, 5, DEFAULT_GAS, RECIPIENT, U256::from(123_456_789_012_345_678u64)),
                    sign_ether(&b, true, 5, fees, WETH, U256::MAX),
                ],
            },
        ],
    }
}

/// Transfers to recipients used several times, so that the registry order matters.
fn many_chunks_batch() -> Batch {
    let key = signer(20);
    let mut nonce = 0;
    let blocks = (0..2u64)
        .map(|b| BatchBlock {
            number: 1000 + b,
            timestamp: 1_800_000_000 + 2 * b,
            queue_count: 0,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
            txs: (0..10u64)
                .map(|i| {
                    let to = Address::from_word(word("codec-to", i % 3));
                    let amount = U256::from_be_bytes(word("codec-small", nonce).0) >> 196;
                    nonce += 1;
                    sign(&key, true, nonce - 1, DEFAULT_GAS, transfer([USDC, DAI][i as usize % 2], to, amount))
                })
                .collect(),
        })
        .collect();
    Batch { blocks }
}

/// `swapPath(path, amountIn, minAmountOut, deadline)` calldata.
fn swap_path(path: &[Address], amount_in: U256, min_out: U256, deadline: u64) -> Bytes {
    L2System::swapPathCall {
        path: path.to_vec(),
        amountIn: amount_in,
        minAmountOut: min_out,
        deadline: U256::from(deadline),
    }
    .abi_encode()
    .into()
}

/// Extended operations (docs/batch-codec.md §3.3.3): `swapPath` with paths of 2, 3 and 5
/// tokens (one repeating its first), both transaction types, beside compact operations sharing
/// the registry, and `swapPath` calldata the extended form cannot carry (a path of 1 and of 6
/// tokens, a list at a non-canonical offset), which stays raw.
fn extended_batch() -> Batch {
    let (a, b) = (signer(50), signer(51));
    let fees = Gas { limit: 200_000, priority: 2, max: 1_000_000_002 };
    let mut moved = swap_path(&[WETH, DAI], U256::from(1u8), U256::ZERO, 0).to_vec();
    // The list's offset one word further, the list after one word of padding.
    moved[4 + 31] = 0xa0;
    moved.splice(4 + 32 * 4..4 + 32 * 4, [0u8; 32]);
    Batch {
        blocks: vec![
            BatchBlock {
                number: 120,
                timestamp: 1_760_000_000,
                queue_count: 0,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign(&a, true, 0, fees, swap_path(&[WETH, DAI], units(1, 18), units(3_000, 18), 1_760_000_060)),
                    sign(&a, false, 1, fees, swap_path(&[USDC, WETH, DAI], units(2_500, 6), U256::ZERO, u64::MAX)),
                    sign(&b, true, 0, DEFAULT_GAS, swap(WETH, USDC, units(1, 17), U256::ZERO)),
                    sign(&b, true, 1, fees, swap_path(&[DAI, WETH, USDC, WETH, DAI], U256::MAX, U256::MAX, 0)),
                ],
            },
            BatchBlock {
                number: 121,
                timestamp: 1_760_000_004,
                queue_count: 1,
                l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
                txs: vec![
                    sign(&a, true, 2, fees, swap_path(&[WETH], U256::from(1u8), U256::ZERO, 0)),
                    sign(
                        &a,
                        true,
                        3,
                        fees,
                        swap_path(&[WETH, DAI, WETH, DAI, WETH, DAI], U256::from(1u8), U256::ZERO, 0),
                    ),
                    sign(&b, true, 2, fees, moved.into()),
                ],
            },
        ],
    }
}

/// Raw calldata that looks like an operation but has no compact form.
fn raw_lookalikes_batch() -> Batch {
    let key = signer(30);
    let mut longer = transfer(USDC, RECIPIENT, U256::from(1u8)).to_vec();
    longer.push(0);
    let mut dirty = transfer(USDC, RECIPIENT, U256::from(1u8)).to_vec();
    dirty[4] = 1; // a set bit above the 160 bits of the token word
    Batch {
        blocks: vec![BatchBlock {
            number: 7,
            timestamp: 0,
            queue_count: 0,
            l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
            txs: vec![
                sign(&key, true, 0, DEFAULT_GAS, longer.into()),
                sign(&key, true, 1, DEFAULT_GAS, dirty.into()),
                sign(&key, true, 2, DEFAULT_GAS, Bytes::new()),
            ],
        }],
    }
}

fn valid_case(name: &str, chunk_size: u32, batch: &Batch, data: Vec<u8>, canonical: bool) -> ValidCase {
    let chain = chain(chunk_size);
    let header = codec::decode_header(&data, &chain).expect("vector header decodes");
    let chunks = header
        .chunks
        .iter()
        .enumerate()
        .map(|(k, c)| ChunkCase {
            block_number: header.blocks[c.block].number,
            l1_byte_price: header.blocks[c.block].l1_byte_price,
            timestamp: header.blocks[c.block].timestamp,
            queue_offset: c.queue.start,
            queue_count: c.queue.end - c.queue.start,
            heavy: c.heavy,
            txs: codec::decode_chunk(&data, &chain, k).expect("vector chunk decodes").iter().map(tx_case).collect(),
        })
        .collect();
    assert_eq!(codec::decode(&data, &chain).expect("vector decodes").blocks.len(), batch.blocks.len());
    ValidCase {
        name: name.to_owned(),
        chunk_size,
        canonical,
        first_number: header.first_number,
        first_timestamp: header.first_timestamp,
        block_count: header.blocks.len() as u64,
        queue_count: header.queue_count() as u64,
        registry: header.registry.clone(),
        chunk_count: header.chunks.len(),
        chunks,
        data: data.into(),
    }
}

fn tx_case(tx: &SignedTx) -> TxCase {
    TxCase {
        hash: tx.hash(),
        signed: tx.encoded().into(),
        sig_hash: tx.signature_hash(),
        sender: tx.recover_sender().expect("vector transactions are signed"),
        input: tx.input().clone(),
        nonce: tx.nonce(),
        gas_limit: tx.gas_limit(),
        eip1559: tx.tx_type() == 2,
        billed_bytes: codec::billed_bytes(tx),
    }
}

fn encoded(batch: &Batch, chunk_size: u32) -> Vec<u8> {
    codec::encode(batch, &chain(chunk_size)).expect("vector batches encode")
}

fn valid_cases() -> Vec<ValidCase> {
    let mut out = Vec::new();
    let example = example_batch();
    out.push(valid_case("transfer-example", 64, &example, encoded(&example, 64), true));
    // The same with an unused third registry entry: accepted, not canonical.
    let mut extra = encoded(&example, 64);
    assert_eq!(extra[17], 1, "the example's registry count");
    extra[17] = 2;
    extra.splice(38..38, [0xeeu8; 20]);
    out.push(valid_case("unused-registry-entry", 64, &example, extra, false));
    let mixed = mixed_batch();
    out.push(valid_case("mixed-operations", 3, &mixed, encoded(&mixed, 3), true));
    let many = many_chunks_batch();
    out.push(valid_case("many-chunks", 4, &many, encoded(&many, 4), true));
    let raw = raw_lookalikes_batch();
    out.push(valid_case("raw-lookalikes", 2, &raw, encoded(&raw, 2), true));
    let tokens = token_calls_batch();
    out.push(valid_case("token-calls", 3, &tokens, encoded(&tokens, 3), true));
    let extended = extended_batch();
    out.push(valid_case("extended-operations", 3, &extended, encoded(&extended, 3), true));
    let lending = lending_batch();
    out.push(valid_case("heavy-operations", 3, &lending, encoded(&lending, 3), true));
    // The bounds of §3.5, reached exactly: 256 blocks, and 256 chunks, of queue entries but two.
    let blocks = at_bounds_batch();
    out.push(valid_case("blocks-and-chunks-at-bounds", 64, &blocks, encoded(&blocks, 64), true));
    out
}

/// The money market's operations (docs/lending.md): `supply` and `repay` are light, `borrow`,
/// `withdrawSupply` and `liquidate` heavy, each alone in its chunk (docs/batch-codec.md §3.1),
/// in runs and between light ones, and after queue entries.
fn lending_batch() -> Batch {
    use rollup_types::bindings::L2Lending;
    let (a, b) = (signer(60), signer(61));
    let call = |c: &dyn Fn() -> Vec<u8>| Bytes::from(c());
    let supply = call(&|| L2Lending::supplyCall { asset: WETH, amount: units(10, 18) }.abi_encode());
    let borrow = call(&|| L2Lending::borrowCall { asset: USDC, amount: units(2_000, 6) }.abi_encode());
    let repay = call(&|| L2Lending::repayCall { asset: USDC, amount: U256::MAX }.abi_encode());
    let withdraw = call(&|| L2Lending::withdrawSupplyCall { asset: WETH, amount: units(1, 18) }.abi_encode());
    let liquidate = call(&|| {
        L2Lending::liquidateCall {
            borrower: a.address(),
            debtAsset: USDC,
            collateralAsset: WETH,
            amount: units(500, 6),
            minCollateral: U256::ZERO,
        }
        .abi_encode()
    });
    let block = |number, queue_count, txs| BatchBlock {
        number,
        timestamp: 1_765_000_000 + number,
        queue_count,
        l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE,
        txs,
    };
    Batch {
        blocks: vec![
            block(
                200,
                0,
                vec![
                    sign(&a, true, 0, DEFAULT_GAS, supply.clone()),
                    sign(&a, true, 1, DEFAULT_GAS, borrow.clone()),
                    sign(&a, false, 2, DEFAULT_GAS, borrow),
                    sign(&b, true, 0, DEFAULT_GAS, transfer(USDC, RECIPIENT, units(1, 6))),
                    sign(&b, true, 1, DEFAULT_GAS, liquidate),
                    sign(&b, true, 2, DEFAULT_GAS, supply.clone()),
                    sign(&b, true, 3, DEFAULT_GAS, repay.clone()),
                    sign(&b, true, 4, DEFAULT_GAS, supply),
                    sign(&b, true, 5, DEFAULT_GAS, repay),
                ],
            ),
            block(201, 2, vec![sign(&a, true, 3, DEFAULT_GAS, withdraw)]),
        ],
    }
}

/// 256 blocks (the most a batch holds), the first one consuming 254 queue entries, a chunk
/// each, and holding one transaction (with its beginning, 256 chunks, the most), the others
/// empty.
fn at_bounds_batch() -> Batch {
    let key = signer(40);
    let blocks = (0..codec::MAX_BATCH_BLOCKS)
        .map(|b| BatchBlock {
            number: 50 + b,
            timestamp: 1_900_000_000 + b,
            queue_count: if b == 0 { codec::MAX_BATCH_CHUNKS - 2 } else { 0 },
            // Prices of every width, the widest 64-bit one among them.
            l1_byte_price: if b == 1 { u64::MAX } else { 8 + b * 1_000_003 },
            txs: if b == 0 {
                vec![sign(&key, true, 0, DEFAULT_GAS, transfer(USDC, RECIPIENT, U256::from(7u8)))]
            } else {
                Vec::new()
            },
        })
        .collect();
    Batch { blocks }
}

// ---------------------------------------------------------------------------------------------
// Hand-assembled byte strings.

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// A batch assembled field by field: `blocks` are `(delta, queue_count, tx_count)`, chunks are
/// the raw bytes of the chunks of transactions, whose lengths are written unless `lengths`
/// overrides them: each block with items gets the length 0 of its beginning and of each queue
/// entry first, then one length per chunk of 64 transactions (the invalid cases' chunk size,
/// all light unless `runs` says otherwise), from `chunks` in order.
struct Assembly {
    version: u8,
    /// The default gas limit and fees, as written (`00 00 00`: all zero).
    defaults: Vec<u8>,
    first_number: Vec<u8>,
    first_timestamp: u64,
    block_count: Option<u64>,
    blocks: Vec<(u64, u64, u64)>,
    /// Every block's L1 price, as written.
    price: Vec<u8>,
    /// Every block's heavy runs, as written (`00`: none).
    runs: Vec<u8>,
    registry: Vec<Address>,
    lengths: Option<Vec<u64>>,
    chunks: Vec<Vec<u8>>,
    tail: Vec<u8>,
}

impl Assembly {
    /// One block of one transaction, registry [USDC, RECIPIENT].
    fn one(tx: Vec<u8>) -> Self {
        Self {
            version: codec::VERSION,
            defaults: vec![0, 0, 0],
            first_number: varint(1),
            first_timestamp: 0,
            block_count: None,
            blocks: vec![(0, 0, 1)],
            price: vec![0x28],
            runs: vec![0],
            registry: vec![USDC, RECIPIENT],
            lengths: None,
            chunks: vec![tx],
            tail: Vec::new(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![self.version];
        out.extend_from_slice(&self.defaults);
        out.extend_from_slice(&self.first_number);
        out.extend(varint(self.first_timestamp));
        out.extend(varint(self.block_count.unwrap_or(self.blocks.len() as u64)));
        for &(delta, queue, count) in &self.blocks {
            out.extend(varint(delta));
            out.extend(varint(queue));
            out.extend(varint(count));
            out.extend_from_slice(&self.price);
            out.extend_from_slice(&self.runs);
        }
        out.extend(varint(self.registry.len() as u64));
        for a in &self.registry {
            out.extend_from_slice(a.as_slice());
        }
        let lengths = self.lengths.clone().unwrap_or_else(|| {
            let mut chunks = self.chunks.iter().map(|c| c.len() as u64);
            let mut out = Vec::new();
            for &(_, queue, count) in &self.blocks {
                if queue > 0 || count > 0 {
                    // The beginning, then one chunk an entry: no byte.
                    out.extend((0..=queue.min(u64::from(u16::MAX))).map(|_| 0));
                    out.extend(chunks.by_ref().take(count.div_ceil(64).min(u64::from(u32::MAX)) as usize));
                }
            }
            out
        });
        for l in lengths {
            out.extend(varint(l));
        }
        for c in &self.chunks {
            out.extend_from_slice(c);
        }
        out.extend_from_slice(&self.tail);
        out
    }
}

/// A transfer transaction field by field: head, nonce, gas, fees, args; then a signature of
/// 64 bytes of 0x11.
fn tx(head: u8, nonce: &[u8], gas: &[u8], fees: &[u8], args: &[u8]) -> Vec<u8> {
    let mut out = vec![head];
    for part in [nonce, gas, fees, args] {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&[0x11; 64]);
    out
}

/// EIP-1559, the default fees (zero in [`Assembly::one`]), transfer.
const HEAD: u8 = 0b0000_1101;
/// Registry pair (0, 1) = 0 · 2 + 1 (USDC to the recipient), amount 1.
const ARGS: [u8; 2] = [0x01, 0x20];

fn good_tx() -> Vec<u8> {
    tx(HEAD, &[0x00], &[0x65], &[], &ARGS)
}

fn invalid_cases() -> Vec<InvalidCase> {
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    let base = Assembly::one(good_tx());
    cases.push(("empty", Vec::new(), "truncated"));
    cases.push(("version-0", Assembly { version: 0, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-1", Assembly { version: 1, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-2", Assembly { version: 2, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-3", Assembly { version: 3, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-4", Assembly { version: 4, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-5", Assembly { version: 5, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-6", Assembly { version: 6, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-7", Assembly { version: 7, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    cases.push(("version-9", Assembly { version: 9, ..Assembly::one(good_tx()) }.bytes(), "unknown_version"));
    // The defaults: a gas limit of 64 bits and two fees of 128, numbers.
    cases.push(("defaults-cut", vec![codec::VERSION, 0x65, 0x00], "truncated"));
    cases.push((
        "default-gas-limit-not-canonical",
        Assembly { defaults: vec![0x05, 0, 0], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    cases.push((
        "default-fee-cap-past-128-bits",
        // (4 · 2^24 + 1) · 10^31 > 2^128.
        Assembly { defaults: vec![0, 0, 0xbf, 0x80, 0x80, 0x80, 0x08], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    // Head bit 1 takes the default gas limit (no field); the default written out is refused.
    assert!(
        codec::decode(
            &Assembly { defaults: vec![0x65, 0, 0], ..Assembly::one(tx(HEAD | 0b10, &[0], &[], &[], &ARGS)) }.bytes(),
            &chain(64)
        )
        .is_ok_and(|b| b.blocks[0].txs[0].gas_limit() == 300_000)
    );
    cases.push((
        "default-gas-limit-written-out",
        Assembly { defaults: vec![0x65, 0, 0], ..Assembly::one(good_tx()) }.bytes(),
        "invalid_field",
    ));
    cases.push((
        "default-fees-written-out",
        Assembly {
            defaults: vec![0, 0x20, 0x29],
            ..Assembly::one(tx(HEAD & !0b100, &[0], &[0x65], &[0x20, 0x29], &ARGS))
        }
        .bytes(),
        "invalid_field",
    ));
    cases.push((
        "legacy-default-gas-price-written-out",
        // The default priority fee is not a legacy transaction's.
        Assembly { defaults: vec![0, 0x20, 0x29], ..Assembly::one(tx(0b0000_1000, &[0], &[0x65], &[0x29], &ARGS)) }
            .bytes(),
        "invalid_field",
    ));
    cases.push((
        "overlong-l1-byte-price",
        Assembly { price: vec![0x80, 0x00], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    cases.push((
        "l1-byte-price-past-64-bits",
        Assembly { price: vec![0x3f], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    cases.push((
        "l1-byte-price-missing",
        // Nor its heavy runs: the registry count 02 is read as the price.
        Assembly { price: vec![], runs: vec![], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    cases.push((
        "overlong-first-number",
        Assembly { first_number: vec![0x81, 0x00], ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    let mut eleven = vec![0xff; 9];
    eleven.push(0x02);
    cases.push((
        "u64-overflow-first-number",
        Assembly { first_number: eleven, ..Assembly::one(good_tx()) }.bytes(),
        "bad_integer",
    ));
    cases.push((
        "zero-blocks",
        Assembly { block_count: Some(0), ..Assembly::one(good_tx()) }.bytes(),
        "bad_block_sequence",
    ));
    let mut max = vec![0xff; 9];
    max.push(0x01);
    cases.push((
        "block-number-overflow",
        Assembly { first_number: max, blocks: vec![(0, 0, 1), (0, 0, 0)], ..Assembly::one(good_tx()) }.bytes(),
        "bad_block_sequence",
    ));
    cases.push((
        "block-count-beyond-data",
        Assembly { block_count: Some(1000), ..Assembly::one(good_tx()) }.bytes(),
        "truncated",
    ));
    cases.push((
        "first-delta-not-zero",
        Assembly { blocks: vec![(1, 0, 1)], ..Assembly::one(good_tx()) }.bytes(),
        "invalid_field",
    ));
    cases.push((
        "timestamp-overflow",
        Assembly { first_timestamp: u64::MAX, blocks: vec![(0, 0, 1), (1, 0, 0)], ..Assembly::one(good_tx()) }.bytes(),
        "bad_block_sequence",
    ));
    cases.push((
        "tx-count-beyond-data",
        Assembly { blocks: vec![(0, 0, 2)], ..Assembly::one(good_tx()) }.bytes(),
        "truncated",
    ));
    cases.push((
        "overlong-queue-count",
        Assembly { blocks: vec![(0, 0, 1)], ..Assembly::one(good_tx()) }.bytes().into_iter().enumerate().fold(
            Vec::new(),
            |mut out, (i, byte)| {
                // Byte 5 is the queue count 0: write it as 80 00.
                if i == 5 {
                    out.extend([0x80, 0x00]);
                } else {
                    out.push(byte);
                }
                out
            },
        ),
        "bad_integer",
    ));
    cases.push((
        "queue-count-beyond-chunk-lengths",
        Assembly { blocks: vec![(0, u64::MAX, 1)], ..Assembly::one(good_tx()) }.bytes(),
        "truncated",
    ));
    cases.push((
        "queue-chunk-with-bytes",
        // Chunk 0 is the beginning, chunks 1 and 2 an entry each (no bytes), chunk 3 the
        // transaction.
        Assembly {
            blocks: vec![(0, 2, 1)],
            lengths: Some(vec![0, 0, good_tx().len() as u64, 0]),
            ..Assembly::one(good_tx())
        }
        .bytes(),
        "trailing_bytes",
    ));
    // Heavy runs (§3.1): within the block's transactions, not empty, maximal, and each
    // transaction of the weight its chunk has.
    cases.push((
        "heavy-runs-truncated",
        Assembly { runs: vec![0x80, 0x01], ..Assembly::one(good_tx()) }.bytes(),
        "truncated",
    ));
    cases.push((
        "heavy-run-empty",
        Assembly { runs: vec![1, 1, 0], lengths: Some(vec![0, 0]), ..Assembly::one(good_tx()) }.bytes(),
        "invalid_field",
    ));
    cases.push((
        "heavy-run-past-transactions",
        Assembly { runs: vec![1, 1, 1], lengths: Some(vec![0, 0, 0]), ..Assembly::one(good_tx()) }.bytes(),
        "invalid_field",
    ));
    cases.push((
        "heavy-runs-not-maximal",
        Assembly {
            blocks: vec![(0, 0, 2)],
            runs: vec![2, 0, 1, 0, 1],
            lengths: Some(vec![0, good_tx().len() as u64, good_tx().len() as u64]),
            chunks: vec![good_tx(), good_tx()],
            ..Assembly::one(good_tx())
        }
        .bytes(),
        "invalid_field",
    ));
    cases.push((
        "light-transaction-in-a-heavy-chunk",
        Assembly { runs: vec![1, 0, 1], ..Assembly::one(good_tx()) }.bytes(),
        "invalid_field",
    ));
    // A borrow (row 15; USDC, 1) written in a chunk of light transactions.
    let borrow = tx(HEAD & !0b0011_1000 | 7 << 3, &[0x00], &[0x65], &[], &[15, 0x00, 0x20]);
    cases.push(("heavy-transaction-in-a-light-chunk", Assembly::one(borrow.clone()).bytes(), "invalid_field"));
    let mut many = Assembly::one(good_tx()).bytes();
    many[9] = 0x7f; // registry count 127: 2540 bytes that are not there
    cases.push(("registry-beyond-data", many, "truncated"));
    cases.push((
        "chunk-lengths-exceed-data",
        Assembly { lengths: Some(vec![0, good_tx().len() as u64 + 1]), ..Assembly::one(good_tx()) }.bytes(),
        "truncated",
    ));
    cases.push((
        "bytes-after-last-chunk",
        Assembly { tail: vec![0], ..Assembly::one(good_tx()) }.bytes(),
        "trailing_bytes",
    ));
    // Two one-transaction blocks (chunk size 64): move one byte of chunk 3 into chunk 1 and
    // back (chunks 0 and 2 are the blocks' beginnings).
    let two = |lengths: Vec<u64>| Assembly {
        blocks: vec![(0, 0, 1), (0, 0, 1)],
        chunks: vec![good_tx(), good_tx()],
        lengths: Some(lengths),
        ..Assembly::one(good_tx())
    };
    let n = good_tx().len() as u64;
    cases.push(("tx-runs-past-its-chunk", two(vec![0, n - 1, 0, n + 1]).bytes(), "truncated"));
    cases.push(("bytes-left-in-chunk", two(vec![0, n + 1, 0, n - 1]).bytes(), "trailing_bytes"));
    // A beginning holds no item: a byte in it is its trailing byte.
    cases.push(("bytes-in-a-beginning", two(vec![1, n - 1, 0, n]).bytes(), "trailing_bytes"));
    // Bit 7: the pair's second address inline, after the first's index.
    let inline_args = [&[0x00][..], RECIPIENT.as_slice(), &[0x20]].concat();
    assert!(
        codec::decode(&Assembly::one(tx(HEAD | 0x80, &[0], &[0x65], &[], &inline_args)).bytes(), &chain(64)).is_ok()
    );
    cases.push((
        "inline-index-out-of-range",
        Assembly::one(tx(HEAD | 0x80, &[0], &[0x65], &[], &[&[0x02][..], RECIPIENT.as_slice(), &[0x20]].concat()))
            .bytes(),
        "invalid_field",
    ));
    cases.push((
        "inline-address-cut",
        Assembly::one([&[HEAD | 0x80, 0, 0x65, 0x00][..], &RECIPIENT.as_slice()[..12]].concat()).bytes(),
        "truncated",
    ));
    cases.push((
        "inline-raw-calldata",
        Assembly::one(tx(0b1000_0101, &[0], &[0x65], &[], &[0x00])).bytes(),
        "invalid_field",
    ));
    cases.push((
        "inline-extended",
        Assembly::one(tx(0b1011_1101, &[0], &[0x65], &[], &[13, 0x00, 0x20])).bytes(),
        "invalid_field",
    ));
    cases.push((
        "inline-ether-to-the-system-contract",
        Assembly::one(tx(0b1110_0101, &[0], &[0x65], &[], &[SYSTEM_CONTRACT.as_slice(), &[0x20]].concat())).bytes(),
        "invalid_field",
    ));
    // Token calls (bit 6): the base transaction with bit 6 is a valid `transfer` of USDC.
    assert!(codec::decode(&Assembly::one(tx(HEAD | 0x40, &[0], &[0x65], &[], &ARGS)).bytes(), &chain(64)).is_ok());
    cases.push((
        "token-call-raw",
        Assembly::one(tx((HEAD & !0b0011_1000) | 0x40, &[0], &[0x65], &[], &[0x00])).bytes(),
        "invalid_field",
    ));
    cases.push((
        "token-call-operation-5",
        Assembly::one(tx((HEAD & !0b0011_1000) | (5 << 3) | 0x40, &[0], &[0x65], &[], &ARGS)).bytes(),
        "invalid_field",
    ));
    // A transfer of ether (operation 4 with bit 6) names its recipient by one registry index:
    // index 2 of a registry of 2, then to the system contract.
    cases.push((
        "ether-index-out-of-range",
        Assembly::one(tx((HEAD & !0b0011_1000) | (4 << 3) | 0x40, &[0], &[0x65], &[], &[0x02, 0x20])).bytes(),
        "invalid_field",
    ));
    cases.push((
        "ether-to-the-system-contract",
        Assembly {
            registry: vec![SYSTEM_CONTRACT, RECIPIENT],
            ..Assembly::one(tx((HEAD & !0b0011_1000) | (4 << 3) | 0x40, &[0], &[0x65], &[], &[0x00, 0x20]))
        }
        .bytes(),
        "invalid_field",
    ));
    cases.push((
        "token-call-of-the-system-contract",
        Assembly {
            registry: vec![SYSTEM_CONTRACT, RECIPIENT],
            ..Assembly::one(tx(HEAD | 0x40, &[0], &[0x65], &[], &ARGS))
        }
        .bytes(),
        "invalid_field",
    ));
    // transferFrom (operation 3): pair 1 (USDC, RECIPIENT), then index 2 of a registry of 2.
    cases.push((
        "token-call-index-out-of-range",
        Assembly::one(tx((HEAD & !0b0011_1000) | (3 << 3) | 0x40, &[0], &[0x65], &[], &[0x01, 0x02, 0x20])).bytes(),
        "invalid_field",
    ));
    // Operation 7 (extended, §3.3.3) names a row of the table: row 1 is compact, row 13 is past
    // the table; row 12 (swapPath) takes a list of 2 to 5 addresses as one reference below R^L
    // (R = 2), then three numbers.
    let extended = |args: &[u8]| Assembly::one(tx(0b0011_1101, &[0], &[0x65], &[], args)).bytes();
    cases.push(("extended-row-not-extended", extended(&ARGS), "invalid_field"));
    cases.push(("extended-row-past-the-table", extended(&[0x0d, 0x02, 0x01, 0x20, 0x20, 0x20]), "invalid_field"));
    cases.push(("extended-list-too-short", extended(&[0x0c, 0x01, 0x01, 0x20, 0x20, 0x20]), "invalid_field"));
    cases.push(("extended-list-too-long", extended(&[0x0c, 0x06, 0x01, 0x20, 0x20, 0x20]), "invalid_field"));
    cases.push(("extended-reference-out-of-range", extended(&[0x0c, 0x02, 0x04, 0x20, 0x20, 0x20]), "invalid_field"));
    cases.push(("extended-overlong-row", extended(&[0x8c, 0x00, 0x02, 0x01, 0x20, 0x20, 0x20]), "bad_integer"));
    assert!(
        codec::decode(&extended(&[0x0c, 0x02, 0x03, 0x20, 0x20, 0x20]), &chain(64)).is_ok(),
        "the largest reference of two addresses, R^2 - 1, names (recipient, recipient)"
    );
    cases.push(("overlong-nonce", Assembly::one(tx(HEAD, &[0x80, 0x00], &[0x65], &[], &ARGS)).bytes(), "bad_integer"));
    // Pair 4 = 2 · 2 + 0 names registry entry 2 of 2.
    cases.push((
        "registry-pair-out-of-range",
        Assembly::one(tx(HEAD, &[0], &[0x65], &[], &[0x04, 0x20])).bytes(),
        "invalid_field",
    ));
    // The defaults are zero: zero fees written out are the defaults written out.
    cases.push((
        "zero-fees-without-bit",
        Assembly::one(tx(HEAD & !0b100, &[0], &[0x65], &[0x00, 0x00], &ARGS)).bytes(),
        "invalid_field",
    ));
    cases.push((
        "legacy-zero-gas-price-without-bit",
        Assembly::one(tx(0b0000_1000, &[0], &[0x65], &[0x00], &ARGS)).bytes(),
        "invalid_field",
    ));
    // 10 written as m = 10, e = 0.
    cases.push((
        "gas-limit-not-canonical",
        Assembly::one(tx(HEAD, &[0], &[0xc0, 0x02], &[], &ARGS)).bytes(),
        "bad_integer",
    ));
    cases.push(("number-zero-tail", Assembly::one(tx(HEAD, &[0], &[0x85, 0x00], &[], &ARGS)).bytes(), "bad_integer"));
    // 10^20 does not fit the gas limit's 64 bits.
    cases.push(("gas-limit-overflow", Assembly::one(tx(HEAD, &[0], &[0x34], &[], &ARGS)).bytes(), "bad_integer"));
    // A priority fee of 2^62 · 10^31 overflows 128 bits.
    let mut fee = vec![0x9f];
    fee.extend(varint(1u64 << 60));
    cases.push((
        "fee-overflow",
        Assembly::one(tx(HEAD & !0b100, &[0], &[0x65], &[&fee[..], &[0x20]].concat(), &ARGS)).bytes(),
        "bad_integer",
    ));
    // An amount of 2^255 · 10: m · 10^e overflows 256 bits.
    let mut huge = vec![0x81];
    let mut tail = vec![0x80; 36];
    tail.push(0x02); // tail = 2^253, m = 2^255, e = 1
    huge.extend(tail);
    cases.push((
        "amount-overflow",
        Assembly::one(tx(HEAD, &[0], &[0x65], &[], &[&[0x01][..], &huge].concat())).bytes(),
        "bad_integer",
    ));
    // Raw calldata holding the exact transfer encoding.
    let mut raw_args = varint(100);
    raw_args.extend_from_slice(&transfer(USDC, RECIPIENT, U256::from(1u8)));
    cases.push((
        "raw-calldata-with-compact-form",
        Assembly::one(tx(0b0000_0101, &[0], &[0x65], &[], &raw_args)).bytes(),
        "invalid_field",
    ));
    // The bounds of §3.5, one past each.
    let mut blocks = vec![(0, 0, 1)];
    blocks.extend(std::iter::repeat_n((0, 0, 0), codec::MAX_BATCH_BLOCKS as usize));
    cases.push(("too-many-blocks", Assembly { blocks, ..Assembly::one(good_tx()) }.bytes(), "too_large"));
    let registry = (0..=codec::MAX_REGISTRY).map(|i| Address::from_word(word("codec-registry", i))).collect();
    cases.push(("registry-too-large", Assembly { registry, ..Assembly::one(good_tx()) }.bytes(), "too_large"));
    let chunks = codec::MAX_BATCH_CHUNKS + 1;
    cases.push((
        "too-many-chunks",
        // The beginning and 256 chunks of entries.
        Assembly {
            blocks: vec![(0, chunks - 1, 0)],
            lengths: Some(vec![0; chunks as usize]),
            chunks: Vec::new(),
            ..Assembly::one(good_tx())
        }
        .bytes(),
        "too_large",
    ));
    cases.push((
        "chunk-longer-than-its-transactions-can-be",
        Assembly { lengths: Some(vec![0, codec::max_chunk_bytes(64) + 1]), ..Assembly::one(good_tx()) }.bytes(),
        "too_large",
    ));
    let mut cut = good_tx();
    cut.truncate(cut.len() - 1);
    cases.push(("signature-cut", Assembly::one(cut).bytes(), "truncated"));
    let mut long_raw = varint(1000);
    long_raw.extend_from_slice(&[0u8; 10]);
    cases.push((
        "raw-input-beyond-chunk",
        Assembly::one(tx(0b0000_0101, &[0], &[0x65], &[], &long_raw)).bytes(),
        "truncated",
    ));
    assert!(codec::decode(&base.bytes(), &chain(64)).is_ok(), "the base of the invalid cases decodes");
    cases
        .into_iter()
        .map(|(name, data, error)| InvalidCase {
            name: name.to_owned(),
            chunk_size: 64,
            data: data.into(),
            error: error.to_owned(),
        })
        .collect()
}

fn number_cases() -> (Vec<NumberCase>, Vec<BadNumber>) {
    let ten = |e: u8| U256::from(10u8).pow(U256::from(e));
    let values: Vec<(usize, U256)> = vec![
        (256, U256::ZERO),
        (256, U256::from(1u8)),
        (64, U256::from(300_000u64)),
        (256, ten(16)),
        (256, ten(18)),
        (256, U256::from(12_345u64)),
        (256, U256::from(15u8) * ten(17)),
        (256, ten(31)),
        (256, ten(32)),
        (256, ten(77)),
        (256, U256::from(123u8) * ten(40)),
        (256, U256::from_be_bytes(word("codec-number", 0).0)),
        (256, U256::MAX),
        (64, U256::from(u64::MAX)),
        (128, U256::from(u128::MAX)),
    ];
    let good = values
        .into_iter()
        .map(|(width, value)| NumberCase { width, value: value.into(), bytes: codec::encode_number(value).into() })
        .collect();
    let bad = [
        (256, "05"),           // zero with an exponent
        (256, "c002"),         // 10 as m = 10, e = 0
        (256, "8000"),         // a zero tail
        (256, "a080"),         // the data ends inside the tail
        (64, "34"),            // 10^20 does not fit 64 bits
        (128, "9f8080808004"), // 2^32 · 10^31 does not fit 128 bits
        (256, "2000"),         // 1, then a byte too many
    ];
    let bad = bad
        .into_iter()
        .map(|(width, h)| {
            let bytes = hex::decode(h).expect("hex");
            let error = codec::decode_number(&bytes, width).expect_err(h).code().to_owned();
            BadNumber { width, bytes: bytes.into(), error }
        })
        .collect();
    (good, bad)
}

fn generate() -> CodecVectors {
    let (numbers, bad_numbers) = number_cases();
    CodecVectors {
        comment: "Batch codec vectors (docs/batch-codec.md). Generated by types/tests/vectors/codec.rs: do not edit; \
                  regenerate with UPDATE_VECTORS=1 cargo test -p rollup-types --test vectors."
            .to_owned(),
        chain_id: CHAIN_ID,
        valid: valid_cases(),
        invalid: invalid_cases(),
        numbers,
        bad_numbers,
    }
}

fn check(file: &CodecVectors) {
    assert!(file.valid.len() >= 5 && file.invalid.len() >= 25, "vector counts");
    for case in &file.valid {
        let chain = ChainConfig { chain_id: file.chain_id, chunk_size: case.chunk_size };
        let batch = codec::decode(&case.data, &chain).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let header = codec::decode_header(&case.data, &chain).expect("header");
        assert_eq!(
            (header.first_number, header.first_timestamp, header.blocks.len() as u64, header.chunks.len()),
            (case.first_number, case.first_timestamp, case.block_count, case.chunk_count),
            "{}",
            case.name
        );
        assert_eq!(header.registry, case.registry, "{}", case.name);
        assert_eq!(header.queue_count(), u128::from(case.queue_count), "{}", case.name);
        let mut all = batch.blocks.iter().flat_map(|b| &b.txs);
        for (k, chunk) in case.chunks.iter().enumerate() {
            let txs = codec::decode_chunk(&case.data, &chain, k).expect("chunk");
            let at = &header.chunks[k];
            let block = &header.blocks[at.block];
            assert_eq!(
                (block.number, block.l1_byte_price, at.queue.start, at.queue.end - at.queue.start, at.heavy),
                (chunk.block_number, chunk.l1_byte_price, chunk.queue_offset, chunk.queue_count, chunk.heavy),
                "{} chunk {k}",
                case.name
            );
            assert_eq!(txs.len(), chunk.txs.len(), "{} chunk {k}", case.name);
            for (tx, want) in txs.iter().zip(&chunk.txs) {
                assert_eq!(&tx_case(tx), want, "{} chunk {k}", case.name);
                assert_eq!(all.next(), Some(tx), "{}: decode and decode_chunk agree", case.name);
            }
        }
        assert!(all.next().is_none(), "{}: every transaction is in a chunk", case.name);
        let again = codec::encode(&batch, &chain).expect("re-encodes");
        assert_eq!(again == case.data.as_ref(), case.canonical, "{}: canonical", case.name);
    }
    for case in &file.invalid {
        let chain = ChainConfig { chain_id: file.chain_id, chunk_size: case.chunk_size };
        let got = codec::decode(&case.data, &chain).map(|_| ()).map_err(|e| e.code());
        assert_eq!(got, Err(case.error.as_str()), "{}", case.name);
    }
    for n in &file.numbers {
        let value = U256::from_be_bytes(n.value.0);
        assert_eq!(codec::decode_number(&n.bytes, n.width), Ok(value), "{value}");
        assert_eq!(codec::encode_number(value), n.bytes.to_vec(), "{value}");
    }
    for n in &file.bad_numbers {
        let got = codec::decode_number(&n.bytes, n.width).map(|_| ()).map_err(|e| e.code());
        assert_eq!(got, Err(n.error.as_str()), "{}", n.bytes);
    }
}

#[test]
fn codec_vectors() {
    write_or_check(FILE, &generate(), check);
}

#[test]
fn example_matches_the_spec() {
    let data = encoded(&example_batch(), 64);
    // docs/batch-codec.md §6, up to the signature.
    let mut want = hex::decode("08 65 00 00 05 80e2cfaa06 01 00 00 01 8002 00 01".replace(' ', "")).expect("hex");
    want.extend_from_slice(USDC.as_slice());
    want.extend(hex::decode("00 58 8f 00 00".replace(' ', "")).expect("hex"));
    want.extend_from_slice(RECIPIENT.as_slice());
    want.push(0x26);
    assert_eq!(&data[..want.len()], &want[..]);
    assert_eq!(data.len(), 128);
    // The y-parity (1) is the top bit of the last word.
    assert_eq!(data[96] & 0x80, 0x80);
}
