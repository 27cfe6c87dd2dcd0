//! How a blob batch's data sits in its EIP-4844 blob (docs/fraud-proofs.md §8). A blob is 4,096
//! field elements of 32 bytes; data byte `b` is byte `1 + b % 31` of element `b / 31` (byte 0
//! of every element is zero when written and ignored when read, so that every element is below
//! the BLS modulus whatever the data). The data's length is not in the blob: the post carries it,
//! with the data's segment hashes, and the inbox commits to them as to calldata. Bytes past the
//! length are zero when written and ignored when read, so reading is total.
//!
//! Element `e` is in cell `e / 64` (EIP-7594's cells: 64 elements whose evaluation points form a
//! coset of the order-64 subgroup), which the L1 verifier opens with one KZG multiproof.

use core::ops::RangeInclusive;

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
    /// The data does not fit one blob.
    #[error("{0} bytes do not fit in a blob ({PAYLOAD_PER_BLOB} at most)")]
    TooLarge(usize),
}

/// Lays `data` out in one blob.
pub fn to_blob(data: &[u8]) -> Result<Vec<u8>, BlobError> {
    if data.len() > PAYLOAD_PER_BLOB {
        return Err(BlobError::TooLarge(data.len()));
    }
    let mut blob = vec![0u8; BYTES_PER_BLOB];
    for (e, piece) in data.chunks(BYTES_PER_ELEMENT).enumerate() {
        let at = e * 32 + 1;
        blob[at..at + piece.len()].copy_from_slice(piece);
    }
    Ok(blob)
}

/// The first `length` data bytes `blob` holds, whatever else it holds.
pub fn payload(blob: &[u8], length: usize) -> Result<Vec<u8>, BlobError> {
    if blob.len() != BYTES_PER_BLOB {
        return Err(BlobError::Shape(blob.len()));
    }
    if length > PAYLOAD_PER_BLOB {
        return Err(BlobError::TooLarge(length));
    }
    let mut data = Vec::with_capacity(length);
    for element in blob.chunks_exact(32) {
        let take = (length - data.len()).min(BYTES_PER_ELEMENT);
        if take == 0 {
            break;
        }
        data.extend_from_slice(&element[1..1 + take]);
    }
    Ok(data)
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
            let blob = to_blob(&data).expect("fits");
            assert_eq!(blob.len(), BYTES_PER_BLOB);
            assert!(blob.chunks_exact(32).all(|e| e[0] == 0), "{len}: every element below the modulus");
            assert_eq!(payload(&blob, len).expect("reads"), data, "{len}");
            assert_eq!(payload(&blob, len / 2).expect("reads"), data[..len / 2], "{len}: a prefix");
        }
        assert_eq!(to_blob(&vec![1; PAYLOAD_PER_BLOB + 1]), Err(BlobError::TooLarge(PAYLOAD_PER_BLOB + 1)));
        assert_eq!(payload(&[0; 31], 1), Err(BlobError::Shape(31)));
    }

    #[test]
    fn reading_ignores_the_first_byte_of_each_element_and_what_follows_the_data() {
        let mut blob = to_blob(b"batch").expect("fits");
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
