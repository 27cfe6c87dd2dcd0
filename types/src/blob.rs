//! How a blob batch's data sits in its EIP-4844 blob (docs/fraud-proofs.md §8). A blob is 4,096
//! field elements of 32 bytes; data byte `b` is byte `1 + b % 31` of element `b / 31` (byte 0
//! of every element is zero when written and ignored when read, so that every element is below
//! the BLS modulus whatever the data). The data's length is not in the blob: the post carries it,
//! with the data's segment hashes, and the inbox commits to them as to calldata. The batch's
//! chunk roots end the blob's payload: root `i` of `n` is payload bytes
//! `PAYLOAD_PER_BLOB − 32·(n − i) …` ([`roots_range`]), so the post carries only their count,
//! their hash and the last one (docs/fraud-proofs.md §8.8). Bytes between the data and the roots
//! are zero when written and ignored when read, so reading is total.
//!
//! Element `e` is in cell `e / 64` (EIP-7594's cells: 64 elements whose evaluation points form a
//! coset of the order-64 subgroup), which the L1 verifier opens with one KZG multiproof.

use alloy_primitives::B256;
use core::ops::{Range, RangeInclusive};

/// Bytes in a blob.
pub const BYTES_PER_BLOB: usize = 131_072;
/// Field elements in a blob.
pub const ELEMENTS_PER_BLOB: usize = 4_096;
/// Data bytes a field element carries (its bytes 1 to 31).
pub const BYTES_PER_ELEMENT: usize = 31;
/// Data bytes a blob carries.
pub const PAYLOAD_PER_BLOB: usize = ELEMENTS_PER_BLOB * BYTES_PER_ELEMENT;
/// Field elements in a cell (EIP-7594).
pub const ELEMENTS_PER_CELL: usize = 64;
/// Cells of a blob (the first half of EIP-7594's extended blob).
pub const CELLS_PER_BLOB: usize = ELEMENTS_PER_BLOB / ELEMENTS_PER_CELL;
/// Data bytes a cell carries.
pub const PAYLOAD_PER_CELL: usize = ELEMENTS_PER_CELL * BYTES_PER_ELEMENT;

/// Why bytes are not a blob, or data does not fit one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// Not `BYTES_PER_BLOB` bytes.
    #[error("a blob is {BYTES_PER_BLOB} bytes, not {0}")]
    Shape(usize),
    /// The data and the chunk roots do not fit one blob.
    #[error("{0} bytes of data and chunk roots do not fit in a blob ({PAYLOAD_PER_BLOB} at most)")]
    TooLarge(usize),
}

/// The payload bytes that hold a batch's `count` chunk roots: the last `32 · count`.
/// `count` must fit ([`fits`]).
pub const fn roots_range(count: usize) -> Range<usize> {
    PAYLOAD_PER_BLOB - 32 * count..PAYLOAD_PER_BLOB
}

/// Whether `length` bytes of data and `roots` chunk roots fit one blob (the inbox refuses a post
/// whose do not: `BlobOverfull`).
pub const fn fits(length: usize, roots: usize) -> bool {
    match roots.checked_mul(32) {
        Some(r) => length <= PAYLOAD_PER_BLOB && r <= PAYLOAD_PER_BLOB - length,
        None => false,
    }
}

/// Lays `data` out in one blob, with `roots` at the end of its payload.
pub fn to_blob(data: &[u8], roots: &[B256]) -> Result<Vec<u8>, BlobError> {
    if !fits(data.len(), roots.len()) {
        return Err(BlobError::TooLarge(data.len().saturating_add(roots.len().saturating_mul(32))));
    }
    let mut blob = vec![0u8; BYTES_PER_BLOB];
    write(&mut blob, 0, data);
    let tail: Vec<u8> = roots.iter().flat_map(|r| r.0).collect();
    write(&mut blob, roots_range(roots.len()).start, &tail);
    Ok(blob)
}

/// Writes `bytes` at payload position `from` (which, with them, fits the payload).
fn write(blob: &mut [u8], from: usize, bytes: &[u8]) {
    for (i, byte) in bytes.iter().enumerate() {
        let at = from + i;
        blob[(at / BYTES_PER_ELEMENT) * 32 + 1 + at % BYTES_PER_ELEMENT] = *byte;
    }
}

/// The first `length` data bytes `blob` holds, whatever else it holds.
pub fn payload(blob: &[u8], length: usize) -> Result<Vec<u8>, BlobError> {
    payload_range(blob, 0..length)
}

/// Payload bytes `range` of `blob`.
pub fn payload_range(blob: &[u8], range: Range<usize>) -> Result<Vec<u8>, BlobError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(BlobError::Shape(blob.len()));
    }
    if range.end > PAYLOAD_PER_BLOB {
        return Err(BlobError::TooLarge(range.end));
    }
    Ok(range.map(|at| blob[(at / BYTES_PER_ELEMENT) * 32 + 1 + at % BYTES_PER_ELEMENT]).collect())
}

/// The `count` chunk roots that end `blob`'s payload, whatever else it holds.
pub fn chunk_roots(blob: &[u8], count: usize) -> Result<Vec<B256>, BlobError> {
    if !fits(0, count) {
        return Err(BlobError::TooLarge(count.saturating_mul(32)));
    }
    Ok(payload_range(blob, roots_range(count))?.chunks_exact(32).map(B256::from_slice).collect())
}

/// The cells that hold data bytes `from .. to` (`from < to <= PAYLOAD_PER_BLOB`).
pub const fn cells_for(from: usize, to: usize) -> RangeInclusive<usize> {
    (from / PAYLOAD_PER_CELL)..=((to - 1) / PAYLOAD_PER_CELL)
}

/// Bytes of a blob post's KZG hint ([`KzgHint`]).
pub const KZG_HINT_BYTES: usize = 96;

/// The blob's KZG commitment and blob proof (EIP-4844's `compute_blob_kzg_proof`), which a blob
/// post appends to its call's ABI encoding (docs/fraud-proofs.md §8.6). The L1 does not read them
/// (ABI decoding ignores what follows the arguments); a challenger checks the commitment
/// against the post's versioned hash and the blob against both, and only if either check
/// fails commits to the blob itself: a multi-scalar multiplication of 4,096 points saved per
/// honest post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KzgHint {
    /// The compressed G1 commitment to the blob.
    pub commitment: [u8; 48],
    /// The compressed G1 proof of the blob's evaluation at its Fiat-Shamir challenge.
    pub proof: [u8; 48],
}

impl KzgHint {
    /// The hint's bytes: commitment, then proof.
    pub fn to_bytes(&self) -> [u8; KZG_HINT_BYTES] {
        let mut out = [0; KZG_HINT_BYTES];
        out[..48].copy_from_slice(&self.commitment);
        out[48..].copy_from_slice(&self.proof);
        out
    }

    /// The hint in `bytes`, which must be exactly [`KZG_HINT_BYTES`] long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != KZG_HINT_BYTES {
            return None;
        }
        let (commitment, proof) = bytes.split_at(48);
        Some(Self { commitment: commitment.try_into().ok()?, proof: proof.try_into().ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_round_trips_through_a_blob() {
        for len in [0, 1, 30, 31, 32, 1_984, 120_000, PAYLOAD_PER_BLOB] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let blob = to_blob(&data, &[]).expect("fits");
            assert_eq!(blob.len(), BYTES_PER_BLOB);
            assert!(blob.chunks_exact(32).all(|e| e[0] == 0), "{len}: every element below the modulus");
            assert_eq!(payload(&blob, len).expect("reads"), data, "{len}");
            assert_eq!(payload(&blob, len / 2).expect("reads"), data[..len / 2], "{len}: a prefix");
        }
        assert_eq!(to_blob(&vec![1; PAYLOAD_PER_BLOB + 1], &[]), Err(BlobError::TooLarge(PAYLOAD_PER_BLOB + 1)));
        assert_eq!(payload(&[0; 31], 1), Err(BlobError::Shape(31)));
    }

    #[test]
    fn chunk_roots_end_the_payload_after_the_data() {
        let roots: Vec<B256> = (0..256u16).map(|i| B256::left_padding_from(&i.to_be_bytes())).collect();
        for (len, n) in [(0, 0), (5_000, 3), (120_000, 218), (PAYLOAD_PER_BLOB - 32, 1), (1, 256)] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let blob = to_blob(&data, &roots[..n]).expect("fits");
            assert!(blob.chunks_exact(32).all(|e| e[0] == 0), "{len}: every element below the modulus");
            assert_eq!(payload(&blob, len).expect("reads"), data, "{len}");
            assert_eq!(chunk_roots(&blob, n).expect("reads"), roots[..n], "{len}, {n}");
            let gap = payload_range(&blob, len..roots_range(n).start).expect("reads");
            assert!(gap.iter().all(|b| *b == 0), "{len}, {n}: zeros between");
        }
        assert!(fits(120_000, 218) && !fits(120_000, 219) && !fits(PAYLOAD_PER_BLOB + 1, 0));
        assert!(!fits(0, usize::MAX));
        assert_eq!(to_blob(&vec![1; 120_000], &roots[..219]), Err(BlobError::TooLarge(127_008)));
        assert_eq!(roots_range(2), PAYLOAD_PER_BLOB - 64..PAYLOAD_PER_BLOB);
    }

    #[test]
    fn reading_ignores_the_first_byte_of_each_element_and_what_follows_the_data() {
        let mut blob = to_blob(b"batch", &[]).expect("fits");
        blob[0] = 0x73;
        blob[6] = 9;
        blob[40] = 1;
        assert_eq!(payload(&blob, 5).expect("reads"), b"batch");
        assert_eq!(payload(&blob, 6).expect("reads"), b"batch\x09");
    }

    #[test]
    fn a_segment_spans_at_most_two_cells() {
        assert_eq!(cells_for(0, 1), 0..=0);
        assert_eq!(cells_for(1_024, 2_048), 0..=1);
        assert_eq!(cells_for(1_984, 1_985), 1..=1);
        assert_eq!(cells_for(0, PAYLOAD_PER_BLOB), 0..=CELLS_PER_BLOB - 1);
        for segment in 0..PAYLOAD_PER_BLOB / 1_024 {
            let cells = cells_for(segment * 1_024, segment * 1_024 + 1_024);
            assert!(cells.end() - cells.start() <= 1, "segment {segment}");
        }
    }
}
