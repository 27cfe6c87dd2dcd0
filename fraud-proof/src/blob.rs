//! Showing a blob batch's bytes on L1 (docs/fraud-proofs.md §8): the cells of the blob that
//! hold a range of the data, each with its KZG proof (EIP-7594's cell proofs, from c-kzg), and
//! the blob's commitment, in the uncompressed form of EIP-2537 that the inbox's `BlobVerifier`
//! feeds to the BLS12-381 precompiles.

use alloy::eips::eip4844::{AsCkzg, Blob, env_settings::EnvKzgSettings, kzg_to_versioned_hash};
use alloy_primitives::{B256, Bytes};
use rollup_types::{bindings::BlobCell, blob};

/// Bytes of a G1 point in EIP-2537's encoding (two 64-byte field elements).
pub const G1_BYTES: usize = 128;
/// Bytes of a G2 point in EIP-2537's encoding (four 64-byte field elements).
pub const G2_BYTES: usize = 256;

/// Why an opening could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The bytes are not a blob, or the range is not inside its data.
    #[error("cannot open bytes {from}..{to} of a blob: {reason}")]
    Range {
        /// The first byte.
        from: usize,
        /// One past the last byte.
        to: usize,
        /// Why.
        reason: String,
    },
    /// c-kzg refused the blob (an element at or above the BLS modulus) or failed.
    #[error("KZG: {0}")]
    Kzg(String),
    /// A point c-kzg produced does not decompress.
    #[error("a KZG point does not decompress: {0}")]
    Point(String),
}

/// The blob's commitment and the cells that hold a range of its data, as `BlobVerifier`
/// takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobOpening {
    /// The blob's versioned hash (EIP-4844).
    pub versioned_hash: B256,
    /// The KZG commitment, EIP-2537 encoded (128 bytes).
    pub commitment: Bytes,
    /// The cells, ascending.
    pub cells: Vec<BlobCell>,
}

/// Opens the cells of `raw` (a blob) that hold data bytes `from .. to`.
pub fn open(raw: &[u8], from: usize, to: usize) -> Result<BlobOpening, OpenError> {
    let range = |reason: &str| OpenError::Range { from, to, reason: reason.to_string() };
    if raw.len() != blob::BYTES_PER_BLOB {
        return Err(range("not a blob"));
    }
    if from >= to || to > blob::PAYLOAD_PER_BLOB {
        return Err(range("not a range of a blob's data"));
    }
    let blob = Blob::try_from(raw).map_err(|e| range(&e.to_string()))?;
    let settings = EnvKzgSettings::Default.get();
    let commitment = settings.blob_to_kzg_commitment(blob.as_ckzg()).map_err(|e| OpenError::Kzg(e.to_string()))?;
    let compressed = commitment.to_bytes().into_inner();
    let (cells, proofs) =
        settings.compute_cells_and_kzg_proofs(blob.as_ckzg()).map_err(|e| OpenError::Kzg(e.to_string()))?;
    let mut opened = Vec::new();
    for index in blob::cells_for(from, to) {
        opened.push(BlobCell {
            index: alloy_primitives::U256::from(index),
            values: Bytes::copy_from_slice(&cells[index].to_bytes()),
            proof: Bytes::copy_from_slice(&g1_uncompressed(&proofs[index].to_bytes().into_inner())?),
        });
    }
    Ok(BlobOpening {
        versioned_hash: kzg_to_versioned_hash(&compressed),
        commitment: Bytes::copy_from_slice(&g1_uncompressed(&compressed)?),
        cells: opened,
    })
}

/// A compressed G1 point (ZCash's 48-byte form, as KZG commitments and proofs are written) in
/// EIP-2537's 128-byte form: `x` then `y`, each padded to 64 bytes; the point at infinity is
/// 128 zero bytes.
pub fn g1_uncompressed(compressed: &[u8; 48]) -> Result<[u8; G1_BYTES], OpenError> {
    let mut affine = blst::blst_p1_affine::default();
    // SAFETY: both pointers are to values of the types blst takes; the input is 48 bytes.
    let status = unsafe { blst::blst_p1_uncompress(&mut affine, compressed.as_ptr()) };
    if status != blst::BLST_ERROR::BLST_SUCCESS {
        return Err(OpenError::Point(format!("{status:?}")));
    }
    let mut out = [0u8; G1_BYTES];
    // SAFETY: `affine` is a valid point.
    if unsafe { blst::blst_p1_affine_is_inf(&affine) } {
        return Ok(out);
    }
    let mut xy = [0u8; 96];
    // SAFETY: blst writes 96 bytes (x ‖ y, big-endian) for a G1 point.
    unsafe { blst::blst_p1_affine_serialize(xy.as_mut_ptr(), &affine) };
    out[16..64].copy_from_slice(&xy[..48]);
    out[80..128].copy_from_slice(&xy[48..]);
    Ok(out)
}

/// A compressed G2 point (96 bytes, ZCash's form: `x.c1` first) in EIP-2537's 256-byte form
/// (`x.c0, x.c1, y.c0, y.c1`), negated when `negate`.
pub fn g2_uncompressed(compressed: &[u8; 96], negate: bool) -> Result<[u8; G2_BYTES], OpenError> {
    let mut affine = blst::blst_p2_affine::default();
    // SAFETY: as for G1, with a 96-byte input.
    let status = unsafe { blst::blst_p2_uncompress(&mut affine, compressed.as_ptr()) };
    if status != blst::BLST_ERROR::BLST_SUCCESS {
        return Err(OpenError::Point(format!("{status:?}")));
    }
    if negate {
        let mut point = blst::blst_p2::default();
        // SAFETY: conversions between the affine and projective forms of a valid point.
        unsafe {
            blst::blst_p2_from_affine(&mut point, &affine);
            blst::blst_p2_cneg(&mut point, true);
            blst::blst_p2_to_affine(&mut affine, &point);
        }
    }
    let mut xy = [0u8; 192];
    // SAFETY: blst writes 192 bytes (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, big-endian) for a G2 point.
    unsafe { blst::blst_p2_affine_serialize(xy.as_mut_ptr(), &affine) };
    let mut out = [0u8; G2_BYTES];
    for (i, word) in [1usize, 0, 3, 2].into_iter().enumerate() {
        out[64 * i + 16..64 * i + 64].copy_from_slice(&xy[48 * word..48 * word + 48]);
    }
    Ok(out)
}
