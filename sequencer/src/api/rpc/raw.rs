//! Blocks, headers and receipts as the bytes Ethereum encodes them in (`debug_getRawHeader`,
//! `debug_getRawBlock`, `debug_getRawReceipts`, and a block's `size`): the header's RLP, the
//! block's RLP list of its header, its transactions (a typed one as the RLP string of its
//! EIP-2718 bytes, a legacy one as its RLP list, a credit as its type-0x7e bytes) and no
//! uncles, and each receipt's EIP-2718 bytes.

use super::error::RpcError;
use crate::store::{StoredBlock, TxRecord};
use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
use alloy_primitives::{Bloom, Bytes, Log};
use alloy_rlp::{Encodable, Header};
use rollup_executor::TxStatus;
use rollup_types::SignedTx;

/// The block's header, RLP-encoded.
pub(super) fn header(block: &StoredBlock) -> Bytes {
    alloy_rlp::encode(block.header.to_header()).into()
}

/// The block, RLP-encoded: `[header, transactions, uncles]`.
pub(super) fn block(block: &StoredBlock, txs: &[Bytes]) -> Bytes {
    let header = block.header.to_header();
    let tx_payload: usize = txs.iter().map(|raw| tx_length(raw)).sum();
    let txs_header = Header { list: true, payload_length: tx_payload };
    let uncles = Header { list: true, payload_length: 0 };
    let payload = header.length() + txs_header.length() + tx_payload + uncles.length();
    let mut out = Vec::with_capacity(payload + 8);
    Header { list: true, payload_length: payload }.encode(&mut out);
    header.encode(&mut out);
    txs_header.encode(&mut out);
    for raw in txs {
        encode_tx(raw, &mut out);
    }
    uncles.encode(&mut out);
    out.into()
}

/// A legacy transaction (an RLP list) as it is; a typed one as the RLP string of its bytes.
fn is_legacy(raw: &[u8]) -> bool {
    raw.first().is_some_and(|b| *b >= 0xc0)
}

fn tx_length(raw: &[u8]) -> usize {
    if is_legacy(raw) { raw.len() } else { Header { list: false, payload_length: raw.len() }.length() + raw.len() }
}

fn encode_tx(raw: &[u8], out: &mut Vec<u8>) {
    if !is_legacy(raw) {
        Header { list: false, payload_length: raw.len() }.encode(out);
    }
    out.extend_from_slice(raw);
}

/// Each included transaction's receipt as its EIP-2718 bytes, in block order (a credit's with
/// type 0x7e, as OP Stack encodes a deposit's receipt without its nonce fields).
pub(super) fn receipts(records: &[TxRecord]) -> Result<Vec<Bytes>, RpcError> {
    let mut included: Vec<&TxRecord> = records.iter().filter(|r| r.receipt.is_some()).collect();
    included.sort_by_key(|r| r.receipt.as_ref().map(|x| x.index));
    let mut cumulative = 0u64;
    included
        .into_iter()
        .map(|record| {
            let stored = record.receipt.as_ref().ok_or_else(|| RpcError::internal("a receipt"))?;
            cumulative += stored.gas_used;
            let logs: Vec<Log> =
                stored.logs.iter().map(|l| Log::new_unchecked(l.address, l.topics.clone(), l.data.clone())).collect();
            let mut bloom = Bloom::ZERO;
            logs.iter().for_each(|l| bloom.accrue_log(l));
            let receipt = ReceiptWithBloom {
                receipt: Receipt {
                    status: Eip658Value::Eip658(stored.outcome == TxStatus::Success),
                    cumulative_gas_used: cumulative,
                    logs,
                },
                logs_bloom: bloom,
            };
            let ty = if rollup_types::deposit::is_deposit(&record.raw) {
                Some(0x7e)
            } else {
                match SignedTx::decode(&record.raw) {
                    Ok(SignedTx::Legacy(_)) => None,
                    Ok(SignedTx::Eip1559(_)) => Some(0x02),
                    Err(e) => return Err(RpcError::internal(format!("stored transaction: {e}"))),
                }
            };
            let mut out = Vec::with_capacity(receipt.length() + 1);
            out.extend(ty);
            receipt.encode(&mut out);
            Ok(out.into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_rlp::Decodable;

    /// A block's bytes decode back to its header and its transactions' bytes, as a node
    /// syncing raw blocks reads them.
    #[test]
    fn a_raw_block_decodes_to_its_header_and_transactions() {
        let block = StoredBlock {
            header: rollup_types::BlockHeader { number: 7, timestamp: 99, ..Default::default() },
            hash: Default::default(),
            chunk_roots: Vec::new(),
            tx_count: 2,
            batch_bytes: 0,
            queue_txs: 0,
            closing_txs: 0,
        };
        let legacy = Bytes::from(alloy_rlp::encode(vec![1u8, 2, 3]));
        let typed = Bytes::from(vec![0x02, 0xc3, 0x01, 0x02, 0x03]);
        let raw = super::block(&block, &[legacy.clone(), typed.clone()]);
        let mut buf = &raw[..];
        let outer = Header::decode(&mut buf).expect("a list");
        assert!(outer.list && outer.payload_length == buf.len());
        let header = alloy_consensus::Header::decode(&mut buf).expect("the header");
        assert_eq!((header.number, header.timestamp), (7, 99));
        assert_eq!(header, block.header.to_header());
        let txs = Header::decode(&mut buf).expect("the transactions");
        let (mut txs_buf, rest) = buf.split_at(txs.payload_length);
        assert_eq!(&txs_buf[..legacy.len()], &legacy[..]);
        txs_buf = &txs_buf[legacy.len()..];
        assert_eq!(Bytes::decode(&mut txs_buf).expect("the typed one"), typed);
        assert_eq!(rest, &[0xc0], "no uncles");
        assert_eq!(super::header(&block), Bytes::from(alloy_rlp::encode(block.header.to_header())));
    }
}
