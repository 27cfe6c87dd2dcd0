//! Keccak-256 of many short messages at once.
//!
//! The state tree hashes thousands of independent 64- and 65-byte messages per chunk, one
//! level of the tree at a time. On x86-64 this module runs several of them through one
//! Keccak-f[1600] permutation, each message in one 64-bit lane of 25 vector registers:
//! eight with AVX-512F (rotations are single `vprolq` instructions and χ a single
//! `vpternlogq`), four with AVX2 (a rotation is two shifts and an `or`, χ an `andnot` and an
//! `xor`). Elsewhere, or for a short batch, it hashes them one by one with [`keccak256`].
//! Every path gives exactly `keccak256(message)` for every message.
//!
//! `ROLLUP_KECCAK=scalar` in the environment turns the vector paths off, `ROLLUP_KECCAK=avx2`
//! keeps to four lanes on a CPU that has AVX-512 (for comparisons).

use alloy_primitives::{B256, keccak256};

/// Bytes absorbed per permutation by Keccak-256.
const RATE: usize = 136;

/// How [`keccak256_batch`] hashes on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One message at a time ([`keccak256`]).
    Scalar,
    /// Four messages per permutation (x86-64 with AVX2).
    Avx2,
    /// Eight messages per permutation (x86-64 with AVX-512F).
    Avx512,
}

impl Backend {
    /// The fastest backend this CPU supports, unless `ROLLUP_KECCAK` asks for a slower one.
    pub fn detect() -> Self {
        static DETECTED: std::sync::OnceLock<Backend> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            let wanted = std::env::var("ROLLUP_KECCAK").ok();
            let best = Self::available().last().copied().unwrap_or(Self::Scalar);
            match wanted.as_deref() {
                Some("scalar") => Self::Scalar,
                Some("avx2") if Self::Avx2.supported() => Self::Avx2,
                _ => best,
            }
        })
    }

    /// Every backend this CPU supports, slowest first.
    pub fn available() -> Vec<Self> {
        [Self::Scalar, Self::Avx2, Self::Avx512].into_iter().filter(|b| b.supported()).collect()
    }

    /// Whether this CPU can run the backend.
    pub fn supported(self) -> bool {
        match self {
            Self::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            Self::Avx2 | Self::Avx512 => false,
        }
    }

    /// Messages per permutation.
    pub const fn lanes(self) -> usize {
        match self {
            Self::Scalar => 1,
            Self::Avx2 => 4,
            Self::Avx512 => 8,
        }
    }

    /// Fewest messages worth one vector permutation: its unused lanes are wasted work.
    const fn min_vector(self) -> usize {
        match self {
            Self::Scalar => usize::MAX,
            Self::Avx2 => 2,
            Self::Avx512 => 3,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Scalar => "scalar",
            Self::Avx2 => "four-lane AVX2",
            Self::Avx512 => "eight-lane AVX-512",
        })
    }
}

/// Writes `keccak256(inputs[i])` to `out[i]` for every `i`. Messages must be shorter than
/// the Keccak-256 rate (136 bytes), so each takes one permutation.
///
/// # Panics
/// If `inputs` and `out` differ in length, or `N >= 136`.
pub fn keccak256_batch<const N: usize>(inputs: &[[u8; N]], out: &mut [B256]) {
    keccak256_batch_with(Backend::detect(), inputs, out);
}

/// [`keccak256_batch`] on a given backend.
///
/// # Panics
/// As [`keccak256_batch`]; also if this CPU does not support `backend`.
pub fn keccak256_batch_with<const N: usize>(backend: Backend, inputs: &[[u8; N]], out: &mut [B256]) {
    const { assert!(N < RATE, "one block per message") };
    assert_eq!(inputs.len(), out.len(), "one output per input");
    assert!(backend.supported(), "{backend} is not supported by this CPU");
    let lanes = backend.lanes();
    for (i, o) in inputs.chunks(lanes).zip(out.chunks_mut(lanes)) {
        let vector = i.len() >= backend.min_vector();
        match backend {
            // SAFETY (both): `backend.supported()` was checked above, and a chunk holds at most
            // `lanes` messages.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if vector => unsafe { x86::hash8(i, o) },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 if vector => unsafe { x86::hash4(i, o) },
            _ => {
                for (i, o) in i.iter().zip(o) {
                    *o = keccak256(i);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::RATE;
    use alloy_primitives::B256;
    use std::arch::x86_64::{
        __m256i, __m512i, _mm256_andnot_si256, _mm256_loadu_si256, _mm256_or_si256, _mm256_set1_epi64x,
        _mm256_setzero_si256, _mm256_slli_epi64, _mm256_srli_epi64, _mm256_storeu_si256, _mm256_xor_si256,
        _mm512_loadu_si512, _mm512_rol_epi64, _mm512_set1_epi64, _mm512_setzero_si512, _mm512_storeu_si512,
        _mm512_ternarylogic_epi64, _mm512_xor_si512,
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

    /// The rate words of up to `L` messages with their padding, word `w` of message `m` at
    /// `[w][m]` (each row is one vector register; missing messages are zeros).
    fn pack<const N: usize, const L: usize>(inputs: &[[u8; N]]) -> [[u64; L]; RATE / 8] {
        debug_assert!(inputs.len() <= L);
        let mut words = [[0u64; L]; RATE / 8];
        for (m, input) in inputs.iter().enumerate() {
            for (w, bytes) in input.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                word[..bytes.len()].copy_from_slice(bytes);
                words[w][m] = u64::from_le_bytes(word);
            }
            // Keccak padding: 0x01 after the message, 0x80 in the last byte of the block.
            words[N / 8][m] ^= 0x01 << (8 * (N % 8));
            words[RATE / 8 - 1][m] ^= 0x80 << 56;
        }
        words
    }

    /// The digests of the messages from the first four words of their states.
    fn unpack<const L: usize>(words: &[[u64; L]; 4], out: &mut [B256]) {
        for (m, o) in out.iter_mut().enumerate() {
            for (w, row) in words.iter().enumerate() {
                o[8 * w..8 * w + 8].copy_from_slice(&row[m].to_le_bytes());
            }
        }
    }

    /// Calls `$step!` with θ and ρ-π's table: `(src, dst, r, x)` for every lane, meaning
    /// `b[dst] = rotl(a[src] ^ d[x], r)`, with `src = x + 5y`, `dst = y + 5((2x + 3y) mod 5)`
    /// and `r` the lane's rotation offset.
    macro_rules! theta_rho_pi {
        ($step:ident) => {
            $step!(
                (0, 0, 0, 0),
                (1, 10, 1, 1),
                (2, 20, 62, 2),
                (3, 5, 28, 3),
                (4, 15, 27, 4),
                (5, 16, 36, 0),
                (6, 1, 44, 1),
                (7, 11, 6, 2),
                (8, 21, 55, 3),
                (9, 6, 20, 4),
                (10, 7, 3, 0),
                (11, 17, 10, 1),
                (12, 2, 43, 2),
                (13, 12, 25, 3),
                (14, 22, 39, 4),
                (15, 23, 41, 0),
                (16, 8, 45, 1),
                (17, 18, 15, 2),
                (18, 3, 21, 3),
                (19, 13, 8, 4),
                (20, 14, 18, 0),
                (21, 24, 2, 1),
                (22, 9, 61, 2),
                (23, 19, 56, 3),
                (24, 4, 14, 4)
            )
        };
    }

    /// Hashes up to eight messages (the missing lanes hash zeros and are dropped).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn hash8<const N: usize>(inputs: &[[u8; N]], out: &mut [B256]) {
        debug_assert!(inputs.len() == out.len());
        let words = pack::<N, 8>(inputs);
        let mut a = [_mm512_setzero_si512(); 25];
        for (reg, row) in a.iter_mut().zip(&words) {
            // SAFETY: `row` is 64 readable bytes.
            *reg = unsafe { _mm512_loadu_si512(row.as_ptr().cast()) };
        }
        permute8(&mut a);
        let mut digest = [[0u64; 8]; 4];
        for (row, reg) in digest.iter_mut().zip(&a) {
            // SAFETY: `row` is 64 writable bytes.
            unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *reg) };
        }
        unpack(&digest, out);
    }

    /// Keccak-f[1600] on eight states at once.
    #[target_feature(enable = "avx512f")]
    fn permute8(a: &mut [__m512i; 25]) {
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
            macro_rules! step {
                ($(($src:literal, $dst:literal, $rot:literal, $x:literal)),*) => {
                    $( b[$dst] = _mm512_rol_epi64::<$rot>(_mm512_xor_si512(a[$src], d[$x])); )*
                };
            }
            theta_rho_pi!(step);
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

    /// Hashes up to four messages (the missing lanes hash zeros and are dropped).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn hash4<const N: usize>(inputs: &[[u8; N]], out: &mut [B256]) {
        debug_assert!(inputs.len() == out.len());
        let words = pack::<N, 4>(inputs);
        let mut a = [_mm256_setzero_si256(); 25];
        for (reg, row) in a.iter_mut().zip(&words) {
            // SAFETY: `row` is 32 readable bytes.
            *reg = unsafe { _mm256_loadu_si256(row.as_ptr().cast()) };
        }
        permute4(&mut a);
        let mut digest = [[0u64; 4]; 4];
        for (row, reg) in digest.iter_mut().zip(&a) {
            // SAFETY: `row` is 32 writable bytes.
            unsafe { _mm256_storeu_si256(row.as_mut_ptr().cast(), *reg) };
        }
        unpack(&digest, out);
    }

    /// `v` rotated left by `R` bits in each 64-bit lane (`R` in 1..64).
    #[target_feature(enable = "avx2")]
    fn rotl4<const R: i32, const L: i32>(v: __m256i) -> __m256i {
        const { assert!(R + L == 64, "a rotation is a left and a right shift of 64 bits in all") };
        _mm256_or_si256(_mm256_slli_epi64::<R>(v), _mm256_srli_epi64::<L>(v))
    }

    /// Keccak-f[1600] on four states at once.
    #[target_feature(enable = "avx2")]
    fn permute4(a: &mut [__m256i; 25]) {
        let mut b = [_mm256_setzero_si256(); 25];
        for rc in ROUND_CONSTANTS {
            // θ: column parities.
            let mut c = [_mm256_setzero_si256(); 5];
            for (x, cx) in c.iter_mut().enumerate() {
                let p = _mm256_xor_si256(_mm256_xor_si256(a[x], a[x + 5]), _mm256_xor_si256(a[x + 10], a[x + 15]));
                *cx = _mm256_xor_si256(p, a[x + 20]);
            }
            let mut d = [_mm256_setzero_si256(); 5];
            for (x, dx) in d.iter_mut().enumerate() {
                *dx = _mm256_xor_si256(c[(x + 4) % 5], rotl4::<1, 63>(c[(x + 1) % 5]));
            }
            macro_rules! lane {
                ($src:literal, $dst:literal, 0, $x:literal) => {
                    b[$dst] = _mm256_xor_si256(a[$src], d[$x]);
                };
                ($src:literal, $dst:literal, $rot:literal, $x:literal) => {
                    b[$dst] = rotl4::<$rot, { 64 - $rot }>(_mm256_xor_si256(a[$src], d[$x]));
                };
            }
            macro_rules! step {
                ($(($src:literal, $dst:literal, $rot:tt, $x:literal)),*) => {
                    $( lane!($src, $dst, $rot, $x); )*
                };
            }
            theta_rho_pi!(step);
            // χ, row by row: `b[x] ^ (!b[x + 1] & b[x + 2])`.
            for y in (0..25).step_by(5) {
                for x in 0..5 {
                    let not_and = _mm256_andnot_si256(b[y + (x + 1) % 5], b[y + (x + 2) % 5]);
                    a[y + x] = _mm256_xor_si256(b[y + x], not_and);
                }
            }
            // ι.
            a[0] = _mm256_xor_si256(a[0], _mm256_set1_epi64x(rc as i64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn check<const N: usize>(rng: &mut StdRng) {
        for len in [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 23] {
            let inputs: Vec<[u8; N]> = (0..len)
                .map(|_| {
                    let mut m = [0u8; N];
                    rng.fill(&mut m[..]);
                    m
                })
                .collect();
            for backend in Backend::available() {
                let mut out = vec![B256::ZERO; len];
                keccak256_batch_with(backend, &inputs, &mut out);
                for (i, o) in inputs.iter().zip(&out) {
                    assert_eq!(*o, keccak256(i), "{backend}, N = {N}, batch of {len}");
                }
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
        for backend in Backend::available() {
            let mut out = [B256::ZERO; 4];
            keccak256_batch_with(backend, &[[0u8; 0]; 4], &mut out);
            assert_eq!(
                out[3],
                alloy_primitives::b256!("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
                "{backend}"
            );
            keccak256_batch_with(backend, &[[0u8; 64]; 4], &mut out);
            assert_eq!(
                out[0],
                alloy_primitives::b256!("0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"),
                "{backend}"
            );
        }
    }
}
