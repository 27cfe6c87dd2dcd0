//! Keccak-256 of many short messages at once.
//!
//! The state tree hashes thousands of independent 64- and 65-byte messages per chunk, one
//! level of the tree at a time. On x86-64 CPUs with AVX-512 this module runs eight of them
//! through one Keccak-f[1600] permutation, each message in one 64-bit lane of the 25
//! vector registers (rotations are single `vprolq` instructions and χ a single
//! `vpternlogq`); elsewhere, or for a short batch, it hashes them one by one with
//! [`keccak256`]. Both give exactly `keccak256(message)` for every message.
//!
//! `ROLLUP_KECCAK=scalar` in the environment turns the vector path off (for comparisons).

use alloy_primitives::{B256, keccak256};

/// Bytes absorbed per permutation by Keccak-256.
const RATE: usize = 136;

/// Fewest messages worth a vector permutation (its unused lanes are wasted work).
#[cfg(target_arch = "x86_64")]
const MIN_VECTOR: usize = 3;

/// Writes `keccak256(inputs[i])` to `out[i]` for every `i`. Messages must be shorter than
/// the Keccak-256 rate (136 bytes), so each takes one permutation.
///
/// # Panics
/// If `inputs` and `out` differ in length, or `N >= 136`.
pub fn keccak256_batch<const N: usize>(inputs: &[[u8; N]], out: &mut [B256]) {
    const { assert!(N < RATE, "one block per message") };
    assert_eq!(inputs.len(), out.len(), "one output per input");
    #[cfg(target_arch = "x86_64")]
    if inputs.len() >= MIN_VECTOR && x86::enabled() {
        let mut ins = inputs.chunks_exact(8);
        let mut outs = out.chunks_exact_mut(8);
        for (i, o) in (&mut ins).zip(&mut outs) {
            // SAFETY: `enabled` checked that the CPU has AVX-512F.
            unsafe { x86::hash8(i, o) };
        }
        let (rest, rest_out) = (ins.remainder(), outs.into_remainder());
        if rest.len() >= MIN_VECTOR {
            // SAFETY: as above.
            unsafe { x86::hash8(rest, rest_out) };
        } else {
            for (i, o) in rest.iter().zip(rest_out) {
                *o = keccak256(i);
            }
        }
        return;
    }
    for (i, o) in inputs.iter().zip(out) {
        *o = keccak256(i);
    }
}

/// Whether [`keccak256_batch`] uses the eight-lane vector permutation on this machine.
pub fn vectorised() -> bool {
    #[cfg(target_arch = "x86_64")]
    return x86::enabled();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::RATE;
    use alloy_primitives::B256;
    use std::{
        arch::x86_64::{
            __m512i, _mm512_loadu_si512, _mm512_rol_epi64, _mm512_set1_epi64, _mm512_setzero_si512,
            _mm512_storeu_si512, _mm512_ternarylogic_epi64, _mm512_xor_si512,
        },
        sync::OnceLock,
    };

    /// The 24 round constants of Keccak-f[1600] (ι step).
    const ROUND_CONSTANTS: [u64; 24] = [
        0x0000_0000_0000_0001,
        0x0000_0000_0000_8082,
        0x8000_0000_0000_808A,
        0x8000_0000_8000_8000,
        0x0000_0000_0000_808B,
        0x0000_0000_8000_0001,
        0x8000_0000_8000_8081,
        0x8000_0000_0000_8009,
        0x0000_0000_0000_008A,
        0x0000_0000_0000_0088,
        0x0000_0000_8000_8009,
        0x0000_0000_8000_000A,
        0x0000_0000_8000_808B,
        0x8000_0000_0000_008B,
        0x8000_0000_0000_8089,
        0x8000_0000_0000_8003,
        0x8000_0000_0000_8002,
        0x8000_0000_0000_0080,
        0x0000_0000_0000_800A,
        0x8000_0000_8000_000A,
        0x8000_0000_8000_8081,
        0x8000_0000_0000_8080,
        0x0000_0000_8000_0001,
        0x8000_0000_8000_8008,
    ];

    /// ternary-logic truth tables: `a ^ b ^ c` and `a ^ (!b & c)`.
    const XOR3: i32 = 0x96;
    const CHI: i32 = 0xD2;

    pub(super) fn enabled() -> bool {
        static ENABLED: OnceLock<bool> = OnceLock::new();
        *ENABLED.get_or_init(|| {
            std::env::var("ROLLUP_KECCAK").map_or(true, |v| v != "scalar")
                && std::arch::is_x86_feature_detected!("avx512f")
        })
    }

    /// Hashes up to eight messages (the missing lanes hash zeros and are dropped).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn hash8<const N: usize>(inputs: &[[u8; N]], out: &mut [B256]) {
        debug_assert!(inputs.len() <= 8 && inputs.len() == out.len());
        // Lane `l` of message `m` at `lanes[l][m]`: each row is one vector register.
        let mut lanes = [[0u64; 8]; RATE / 8];
        for (m, input) in inputs.iter().enumerate() {
            for (l, word) in input.chunks(8).enumerate() {
                let mut w = [0u8; 8];
                w[..word.len()].copy_from_slice(word);
                lanes[l][m] = u64::from_le_bytes(w);
            }
            // Keccak padding: 0x01 after the message, 0x80 in the last byte of the block.
            lanes[N / 8][m] ^= 0x01 << (8 * (N % 8));
            lanes[RATE / 8 - 1][m] ^= 0x80 << 56;
        }
        let mut a = [_mm512_setzero_si512(); 25];
        for (reg, row) in a.iter_mut().zip(&lanes) {
            // SAFETY: `row` is 64 readable bytes.
            *reg = unsafe { _mm512_loadu_si512(row.as_ptr().cast()) };
        }
        permute(&mut a);
        let mut words = [[0u64; 8]; 4];
        for (row, reg) in words.iter_mut().zip(&a) {
            // SAFETY: `row` is 64 writable bytes.
            unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *reg) };
        }
        for (m, o) in out.iter_mut().enumerate() {
            for (l, row) in words.iter().enumerate() {
                o[8 * l..8 * l + 8].copy_from_slice(&row[m].to_le_bytes());
            }
        }
    }

    /// θ and ρ-π for one lane: `b[dst] = rotl(a[src] ^ d[x], r)`, for every
    /// `(src, dst, r, x)` with `src = x + 5y`, `dst = y + 5((2x + 3y) mod 5)` and `r` the
    /// lane's rotation offset.
    macro_rules! theta_rho_pi {
        ($a:ident, $b:ident, $d:ident; $(($src:literal, $dst:literal, $rot:literal, $x:literal)),* $(,)?) => {
            $( $b[$dst] = _mm512_rol_epi64::<$rot>(_mm512_xor_si512($a[$src], $d[$x])); )*
        };
    }

    /// Keccak-f[1600] on eight states at once.
    #[target_feature(enable = "avx512f")]
    fn permute(a: &mut [__m512i; 25]) {
        let mut b = [_mm512_setzero_si512(); 25];
        for rc in ROUND_CONSTANTS {
            // θ: column parities.
            let mut c = [_mm512_setzero_si512(); 5];
            for (x, cx) in c.iter_mut().enumerate() {
                let p = _mm512_ternarylogic_epi64::<XOR3>(a[x], a[x + 5], a[x + 10]);
                *cx = _mm512_ternarylogic_epi64::<XOR3>(p, a[x + 15], a[x + 20]);
            }
            let mut d = [_mm512_setzero_si512(); 5];
            for (x, dx) in d.iter_mut().enumerate() {
                *dx = _mm512_xor_si512(c[(x + 4) % 5], _mm512_rol_epi64::<1>(c[(x + 1) % 5]));
            }
            theta_rho_pi!(a, b, d;
                (0, 0, 0, 0), (1, 10, 1, 1), (2, 20, 62, 2), (3, 5, 28, 3), (4, 15, 27, 4),
                (5, 16, 36, 0), (6, 1, 44, 1), (7, 11, 6, 2), (8, 21, 55, 3), (9, 6, 20, 4),
                (10, 7, 3, 0), (11, 17, 10, 1), (12, 2, 43, 2), (13, 12, 25, 3), (14, 22, 39, 4),
                (15, 23, 41, 0), (16, 8, 45, 1), (17, 18, 15, 2), (18, 3, 21, 3), (19, 13, 8, 4),
                (20, 14, 18, 0), (21, 24, 2, 1), (22, 9, 61, 2), (23, 19, 56, 3), (24, 4, 14, 4),
            );
            // χ, row by row.
            for y in (0..25).step_by(5) {
                for x in 0..5 {
                    a[y + x] = _mm512_ternarylogic_epi64::<CHI>(b[y + x], b[y + (x + 1) % 5], b[y + (x + 2) % 5]);
                }
            }
            // ι.
            a[0] = _mm512_xor_si512(a[0], _mm512_set1_epi64(rc as i64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn check<const N: usize>(rng: &mut StdRng) {
        for len in [0, 1, 2, 3, 7, 8, 9, 16, 17, 23] {
            let inputs: Vec<[u8; N]> = (0..len)
                .map(|_| {
                    let mut m = [0u8; N];
                    rng.fill(&mut m[..]);
                    m
                })
                .collect();
            let mut out = vec![B256::ZERO; len];
            keccak256_batch(&inputs, &mut out);
            for (i, o) in inputs.iter().zip(&out) {
                assert_eq!(*o, keccak256(i), "N = {N}, batch of {len}");
            }
        }
    }

    #[test]
    fn batches_equal_one_by_one() {
        let mut rng = StdRng::seed_from_u64(7);
        check::<0>(&mut rng);
        check::<1>(&mut rng);
        check::<31>(&mut rng);
        check::<64>(&mut rng);
        check::<65>(&mut rng);
        check::<127>(&mut rng);
        check::<135>(&mut rng);
    }

    #[test]
    fn known_answer() {
        // keccak256("") and keccak256 of 64 zero bytes.
        let mut out = [B256::ZERO; 4];
        keccak256_batch(&[[0u8; 0]; 4], &mut out);
        assert_eq!(
            out[3],
            alloy_primitives::b256!("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        );
        keccak256_batch(&[[0u8; 64]; 4], &mut out);
        assert_eq!(
            out[0],
            alloy_primitives::b256!("0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5")
        );
    }
}
