//! How batch data is laid out in EIP-4844 blobs (docs/batch-codec.md §8.1): the payload
//! `uint32_be(len) ‖ data` is cut into 31-byte pieces, each the low 31 bytes of a 32-byte
//! field element whose first byte is zero (so every element is below the BLS modulus), 4096
//! elements per blob, zero-padded. Decoding refuses anything else.

/// Bytes in a blob.
pub const BYTES_PER_BLOB: usize = 131_072;
/// Field elements in a blob.
const ELEMENTS_PER_BLOB: usize = 4_096;
/// Payload bytes a field element carries.
const BYTES_PER_ELEMENT: usize = 31;
/// Payload bytes a blob carries.
pub const PAYLOAD_PER_BLOB: usize = ELEMENTS_PER_BLOB * BYTES_PER_ELEMENT;
/// Most blobs one batch may use (EIP-4844's per-block maximum under Cancun).
pub const MAX_BLOBS: usize = 6;

/// Why blob contents are not batch data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// No blob, or a blob of the wrong size.
    #[error("expected 1 to {MAX_BLOBS} blobs of {BYTES_PER_BLOB} bytes")]
    Shape,
    /// A field element's first byte is not zero.
    #[error("field element {0} does not start with a zero byte")]
    Element(usize),
    /// The length prefix is larger than the blobs hold.
    #[error("length {0} is more than the blobs hold")]
    Length(u64),
    /// Bytes after the data are not zero, or a whole blob is unused.
    #[error("padding after the data is not zero or fills a whole blob")]
    Padding,
    /// The data does not fit.
    #[error("{0} bytes do not fit in {MAX_BLOBS} blobs")]
    TooLarge(usize),
}

/// Blobs needed for `len` bytes of data.
pub const fn blobs_for(len: usize) -> usize {
    let payload = len + 4;
    let n = payload.div_ceil(PAYLOAD_PER_BLOB);
    if n == 0 { 1 } else { n }
}

/// Lays `data` out in blobs.
pub fn to_blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, BlobError> {
    let len = u32::try_from(data.len()).map_err(|_| BlobError::TooLarge(data.len()))?;
    let count = blobs_for(data.len());
    if count > MAX_BLOBS {
        return Err(BlobError::TooLarge(data.len()));
    }
    let mut payload = Vec::with_capacity(data.len() + 4);
    payload.extend_from_slice(&len.to_be_bytes());
    payload.extend_from_slice(data);
    let mut blobs = vec![vec![0u8; BYTES_PER_BLOB]; count];
    for (i, piece) in payload.chunks(BYTES_PER_ELEMENT).enumerate() {
        let (blob, element) = (i / ELEMENTS_PER_BLOB, i % ELEMENTS_PER_BLOB);
        let at = element * 32 + 1;
        blobs[blob][at..at + piece.len()].copy_from_slice(piece);
    }
    Ok(blobs)
}

/// Reads batch data back from blobs, refusing any other layout.
pub fn from_blobs(blobs: &[&[u8]]) -> Result<Vec<u8>, BlobError> {
    if blobs.is_empty() || blobs.len() > MAX_BLOBS || blobs.iter().any(|b| b.len() != BYTES_PER_BLOB) {
        return Err(BlobError::Shape);
    }
    let mut payload = Vec::with_capacity(blobs.len() * PAYLOAD_PER_BLOB);
    for (b, blob) in blobs.iter().enumerate() {
        for (e, element) in blob.chunks_exact(32).enumerate() {
            if element[0] != 0 {
                return Err(BlobError::Element(b * ELEMENTS_PER_BLOB + e));
            }
            payload.extend_from_slice(&element[1..]);
        }
    }
    let len = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    if len + 4 > payload.len() {
        return Err(BlobError::Length(len as u64));
    }
    if payload[4 + len..].iter().any(|&b| b != 0) || blobs_for(len) != blobs.len() {
        return Err(BlobError::Padding);
    }
    payload.truncate(4 + len);
    payload.drain(..4);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_round_trips_through_blobs_and_nothing_else_decodes() {
        for len in [0, 1, 30, 31, 32, PAYLOAD_PER_BLOB - 4, PAYLOAD_PER_BLOB - 3, 2 * PAYLOAD_PER_BLOB + 7] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            let blobs = to_blobs(&data).expect("fits");
            assert_eq!(blobs.len(), blobs_for(len), "{len}");
            let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
            assert_eq!(from_blobs(&refs).expect("decodes"), data, "{len}");
        }
        let blobs = to_blobs(b"batch").expect("fits");
        let mut bad = blobs[0].clone();
        bad[32] = 1;
        assert_eq!(from_blobs(&[&bad]), Err(BlobError::Element(1)));
        let mut bad = blobs[0].clone();
        bad[100] = 1;
        assert_eq!(from_blobs(&[&bad]), Err(BlobError::Padding));
        let mut bad = blobs[0].clone();
        bad[1] = 0xff;
        assert!(matches!(from_blobs(&[&bad]), Err(BlobError::Length(_))));
        assert_eq!(from_blobs(&[&blobs[0], &blobs[0]]), Err(BlobError::Padding), "a whole unused blob");
        assert_eq!(from_blobs(&[]), Err(BlobError::Shape));
        assert!(to_blobs(&vec![0u8; MAX_BLOBS * PAYLOAD_PER_BLOB]).is_err());
    }
}
