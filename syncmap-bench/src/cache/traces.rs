//! Key streams: a seeded RNG, a Zipf sampler, and the traces the hit-ratio replay reads.
//!
//! Everything here is deterministic from its seed, so two runs (and two contenders) replay the
//! very same requests. The Zipf sampler is written here rather than taken from `rand_distr`:
//! it is forty lines, and the benchmark then needs no RNG crate whose stream could change
//! under a semver-compatible update and silently change the traces.

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and good enough for workload generation.
///
/// ```
/// use syncmap_bench::cache::traces::SplitMix64;
///
/// let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!((0.0..1.0).contains(&a.next_f64()));
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A uniform float in `[0, 1)` from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[0, n)` (Lemire's multiply-shift; the bias is below 2⁻³² for the
    /// ranges used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// SplitMix64's finalizer: a bijection on `u64` that spreads neighbouring inputs apart.
///
/// Ranks and counters go through it before becoming keys, so that "rank 1" or "the first scan
/// key" is not a small integer that some hasher or shard function might treat specially.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Zipf's law on ranks `1..=n` with exponent `s > 0`: `P(k) ∝ k^-s`.
///
/// Sampled by Hörmann and Derflinger's rejection-inversion ("Rejection-inversion to generate
/// variates from monotone discrete distributions", 1996), as in Apache Commons RNG: constant
/// time per sample and no table, so a universe of a million ranks costs nothing to set up.
///
/// ```
/// use syncmap_bench::cache::traces::{SplitMix64, Zipf};
///
/// let zipf = Zipf::new(1_000, 0.99);
/// let mut rng = SplitMix64::new(1);
/// let k = zipf.sample(&mut rng);
/// assert!((1..=1_000).contains(&k));
/// ```
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    threshold: f64,
}

impl Zipf {
    /// The law on `1..=n` with exponent `s`.
    ///
    /// # Panics
    ///
    /// If `n` is 0 or `s` is not a positive finite number.
    pub fn new(n: u64, s: f64) -> Self {
        assert!(n > 0, "Zipf needs at least one rank");
        assert!(s > 0.0 && s.is_finite(), "Zipf's exponent must be positive");
        let mut zipf = Self {
            n: n as f64,
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            threshold: 0.0,
        };
        zipf.h_integral_x1 = zipf.h_integral(1.5) - 1.0;
        zipf.h_integral_n = zipf.h_integral(zipf.n + 0.5);
        zipf.threshold = 2.0 - zipf.h_integral_inverse(zipf.h_integral(2.5) - zipf.h(2.0));
        zipf
    }

    /// One rank in `1..=n`.
    pub fn sample(&self, rng: &mut SplitMix64) -> u64 {
        loop {
            let u = self.h_integral_n + rng.next_f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            // The first test accepts most samples without evaluating `h_integral` again.
            if k - x <= self.threshold || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u64;
            }
        }
    }

    /// The unnormalised density `x^-s`.
    fn h(&self, x: f64) -> f64 {
        (-self.s * x.ln()).exp()
    }

    /// `∫ h = (x^(1-s) - 1) / (1 - s)`, written so that `s = 1` (where it is `ln x`) is exact.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        helper2((1.0 - self.s) * log_x) * log_x
    }

    /// The inverse of [`Self::h_integral`].
    fn h_integral_inverse(&self, x: f64) -> f64 {
        // Rounding can push `t` just below -1, where the logarithm is undefined.
        let t = (x * (1.0 - self.s)).max(-1.0);
        (helper1(t) * x).exp()
    }
}

/// `ln(1 + x) / x`, continuous at 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// `(e^x - 1) / x`, continuous at 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

/// `requests` keys whose ranks follow Zipf(`universe`, `s`).
pub fn zipf_keys(universe: u64, s: f64, requests: usize, seed: u64) -> Vec<u64> {
    let zipf = Zipf::new(universe, s);
    let mut rng = SplitMix64::new(seed);
    (0..requests)
        .map(|_| mix64(zipf.sample(&mut rng)))
        .collect()
}

/// A hot set under Zipf(`universe`, `s`) interrupted by one-off scans: cycles of
/// `3 * scan_len` Zipf requests followed by `scan_len` keys that never occur anywhere else in
/// the trace, `requests` keys in all. A quarter of the requests are scan keys.
///
/// Scan keys are drawn from a space disjoint from the hot set's (their top bit differs before
/// mixing), so a scan can only pollute a cache, never help it.
pub fn scan_mix_keys(
    universe: u64,
    s: f64,
    scan_len: usize,
    requests: usize,
    seed: u64,
) -> Vec<u64> {
    let zipf = Zipf::new(universe, s);
    let mut rng = SplitMix64::new(seed);
    let scan_len = scan_len.max(1);
    let mut next_scan_key = 1u64 << 63;
    let mut keys = Vec::with_capacity(requests);
    while keys.len() < requests {
        for _ in 0..3 * scan_len {
            keys.push(mix64(zipf.sample(&mut rng)));
        }
        for _ in 0..scan_len {
            keys.push(mix64(next_scan_key));
            next_scan_key += 1;
        }
    }
    keys.truncate(requests);
    keys
}

/// `count` keys uniform over `range` distinct keys.
pub fn uniform_keys(range: u64, count: usize, seed: u64) -> Vec<u64> {
    let mut rng = SplitMix64::new(seed);
    (0..count).map(|_| mix64(rng.below(range))).collect()
}
