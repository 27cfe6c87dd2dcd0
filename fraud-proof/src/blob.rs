//! Showing a blob batch's bytes on L1 (docs/fraud-proofs.md §8): the cells of the blob that
//! hold a range of the data, each with its KZG proof (EIP-7594's cell proofs, from c-kzg), and
//! the blob's commitment, in the uncompressed form of EIP-2537 that the inbox's `BlobVerifier`
//! feeds to the BLS12-381 precompiles.

use alloy::eips::eip4844::{AsCkzg, Blob, c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash};
use alloy_primitives::{B256, Bytes};
use rollup_types::{
    bindings::BlobCell,
    blob::{self, KzgHint},
};

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

/// The blob among `served` whose versioned hash is `hash`. With a `hint` whose commitment has
/// that hash, a blob its proof verifies against is the one (EIP-4844's `verify_blob_kzg_proof`:
/// two pairings, about 2 ms here); otherwise, a hint that names another blob or a proof that
/// verifies none of them, each blob is committed to (a multi-scalar multiplication of 4,096
/// points, about 55 ms here) until one has the hash. CPU work: call it off an async runtime.
pub fn find_blob(served: Vec<Vec<u8>>, hash: B256, hint: Option<KzgHint>) -> Option<Vec<u8>> {
    let settings = EnvKzgSettings::Default.get();
    let blobs: Vec<(Vec<u8>, Blob)> = served
        .into_iter()
        .filter_map(|bytes| Blob::try_from(bytes.as_slice()).ok().map(|blob| (bytes, blob)))
        .collect();
    if let Some(hint) = hint.filter(|h| kzg_to_versioned_hash(&h.commitment) == hash) {
        let commitment = c_kzg::Bytes48::from(hint.commitment);
        let proof = c_kzg::Bytes48::from(hint.proof);
        if let Some(i) = blobs
            .iter()
            .position(|(_, blob)| settings.verify_blob_kzg_proof(blob.as_ckzg(), &commitment, &proof).unwrap_or(false))
        {
            return Some(blobs.into_iter().nth(i)?.0);
        }
    }
    blobs.into_iter().find_map(|(bytes, blob)| {
        let commitment = settings.blob_to_kzg_commitment(blob.as_ckzg()).ok()?;
        (kzg_to_versioned_hash(commitment.to_bytes().as_slice()) == hash).then_some(bytes)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn blob_of(seed: u8) -> Vec<u8> {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed)).collect();
        blob::to_blob(&data, &[]).expect("fits")
    }

    fn hint_of(raw: &[u8]) -> (KzgHint, B256) {
        let settings = EnvKzgSettings::Default.get();
        let blob = Blob::try_from(raw).expect("a blob");
        let commitment = settings.blob_to_kzg_commitment(blob.as_ckzg()).expect("commits").to_bytes();
        let proof = settings.compute_blob_kzg_proof(blob.as_ckzg(), &commitment).expect("proves").to_bytes();
        let hint = KzgHint { commitment: *commitment.as_ref(), proof: *proof.as_ref() };
        (hint, kzg_to_versioned_hash(commitment.as_slice()))
    }

    #[test]
    fn the_blob_is_found_by_its_hint_and_a_wrong_hint_only_costs_a_commitment() {
        let (a, b) = (blob_of(3), blob_of(7));
        let (hint_a, hash_a) = hint_of(&a);
        let (hint_b, hash_b) = hint_of(&b);
        let served = || vec![a.clone(), vec![0xff; 12], b.clone()];
        assert_eq!(find_blob(served(), hash_b, Some(hint_b)).as_deref(), Some(b.as_slice()));
        assert_eq!(find_blob(served(), hash_b, None).as_deref(), Some(b.as_slice()));
        // A hint naming another blob, or whose proof verifies none: the blob is still found.
        assert_eq!(find_blob(served(), hash_b, Some(hint_a)).as_deref(), Some(b.as_slice()));
        let bad_proof = KzgHint { proof: hint_a.proof, ..hint_b };
        assert_eq!(find_blob(served(), hash_b, Some(bad_proof)).as_deref(), Some(b.as_slice()));
        let garbage = KzgHint { commitment: [0x11; 48], proof: [0x22; 48] };
        assert_eq!(find_blob(served(), hash_a, Some(garbage)).as_deref(), Some(a.as_slice()));
        // A blob the server does not have is not found, hint or not.
        assert_eq!(find_blob(vec![a.clone()], hash_b, Some(hint_b)), None);
        assert_eq!(find_blob(Vec::new(), hash_a, Some(hint_a)), None);
    }
}
