//! The cache benchmark's measuring tools: the replay counts what it should, the Zipf sampler
//! follows its law, Bélády's bound holds, and `cache-bench --quick` runs end to end.

#![cfg(feature = "cache")]

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use syncmap_bench::cache::belady::optimal_hits;
use syncmap_bench::cache::hit_ratio::{HitRatio, replay};
use syncmap_bench::cache::traces::{SplitMix64, Zipf, scan_mix_keys, uniform_keys, zipf_keys};
use syncmap_bench::cache::{Contender, Moka, QuickCache, SyncMapCache};

const EVERY: Option<NonZeroUsize> = NonZeroUsize::new(1);

/// The replay on every contender, moka both settled and not.
fn replay_all(keys: &[u64], capacity: usize) -> Vec<(&'static str, HitRatio)> {
    vec![
        ("moka", replay::<Moka>(keys, capacity, EVERY).unwrap()),
        (
            "moka, no settle",
            replay::<Moka>(keys, capacity, None).unwrap(),
        ),
        (
            "quick_cache",
            replay::<QuickCache>(keys, capacity, EVERY).unwrap(),
        ),
        (
            "syncmap",
            replay::<SyncMapCache>(keys, capacity, EVERY).unwrap(),
        ),
    ]
}

#[test]
fn one_repeated_key_misses_once_then_always_hits() {
    let keys = vec![42u64; 10_000];
    for (name, hr) in replay_all(&keys, 100) {
        assert_eq!(hr.requests, 10_000, "{name}");
        assert_eq!(hr.hits, 9_999, "{name}");
    }
}

#[test]
fn distinct_keys_never_hit() {
    let keys: Vec<u64> = (0..20_000).collect();
    for (name, hr) in replay_all(&keys, 1_000) {
        assert_eq!(hr.hits, 0, "{name}");
        assert_eq!(hr.ratio(), 0.0, "{name}");
    }
}

#[test]
fn zipf_hit_ratios_are_sane_and_never_beat_the_optimum() {
    let keys = zipf_keys(10_000, 0.99, 100_000, 7);
    for capacity in [100, 1_000] {
        let optimal = optimal_hits(&keys, capacity);
        for (name, hr) in replay_all(&keys, capacity) {
            let ratio = hr.ratio();
            assert!(ratio > 0.0 && ratio < 1.0, "{name} at {capacity}: {ratio}");
            assert!(
                hr.hits <= optimal,
                "{name} at {capacity}: {} > {optimal}",
                hr.hits
            );
            // Both policies are good ones: well within reach of the optimum on Zipf.
            assert!(
                hr.hits as f64 > 0.75 * optimal as f64,
                "{name} at {capacity}: {} hits, optimum {optimal}",
                hr.hits
            );
        }
    }
}

/// A cache that hands back the key instead of the value inserted.
struct Wrong(Mutex<HashSet<u64>>);

impl Contender for Wrong {
    const NAME: &'static str = "wrong";
    fn with_capacity(_: usize) -> Self {
        Self(Mutex::new(HashSet::new()))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.0.lock().unwrap().contains(&key).then_some(key)
    }
    fn insert(&self, key: u64, _: u64) {
        self.0.lock().unwrap().insert(key);
    }
}

#[test]
fn a_wrong_value_is_an_error_not_a_hit() {
    let err = replay::<Wrong>(&[1, 2, 1], 10, None).unwrap_err();
    assert!(err.contains("wrong: get(0x1)"), "{err}");
}

#[test]
fn zipf_frequencies_follow_the_law() {
    const N: u64 = 1_000;
    const SAMPLES: usize = 2_000_000;
    for s in [0.8, 0.99, 1.0, 1.2] {
        let zipf = Zipf::new(N, s);
        let mut rng = SplitMix64::new(s.to_bits());
        let mut counts = vec![0usize; N as usize + 1];
        for _ in 0..SAMPLES {
            let k = zipf.sample(&mut rng);
            assert!((1..=N).contains(&k), "s={s}: rank {k}");
            counts[k as usize] += 1;
        }
        let harmonic: f64 = (1..=N).map(|k| (k as f64).powf(-s)).sum();
        for k in [1usize, 2, 3, 4, 5, 10, 100] {
            let expected = (k as f64).powf(-s) / harmonic;
            let observed = counts[k] as f64 / SAMPLES as f64;
            // Five standard deviations of a binomial proportion: a wrong law fails, noise does not.
            let sigma = (expected * (1.0 - expected) / SAMPLES as f64).sqrt();
            assert!(
                (observed - expected).abs() < 5.0 * sigma,
                "s={s}, rank {k}: observed {observed:.5}, expected {expected:.5}"
            );
        }
    }
    let mut rng = SplitMix64::new(3);
    assert!((0..100).all(|_| Zipf::new(1, 1.1).sample(&mut rng) == 1));
}

#[test]
fn optimal_hits_equal_all_repeats_when_everything_fits() {
    let keys = zipf_keys(5_000, 0.8, 50_000, 11);
    let distinct = keys.iter().collect::<HashSet<_>>().len();
    assert_eq!(
        optimal_hits(&keys, distinct) as usize,
        keys.len() - distinct
    );
    assert_eq!(optimal_hits(&keys, 0), 0);
}

/// The best hits from request `i` on, by trying every choice: bypass the missed key, or insert
/// it evicting any one key (or none while there is room).
fn brute_force(keys: &[u64], i: usize, cached: Vec<u64>, capacity: usize) -> u64 {
    let Some(&key) = keys.get(i) else { return 0 };
    if cached.contains(&key) {
        return 1 + brute_force(keys, i + 1, cached, capacity);
    }
    let mut best = brute_force(keys, i + 1, cached.clone(), capacity);
    if capacity == 0 {
        return best;
    }
    let victims: Vec<Option<usize>> = if cached.len() < capacity {
        vec![None]
    } else {
        (0..cached.len()).map(Some).collect()
    };
    for victim in victims {
        let mut next = cached.clone();
        if let Some(v) = victim {
            next.swap_remove(v);
        }
        next.push(key);
        best = best.max(brute_force(keys, i + 1, next, capacity));
    }
    best
}

#[test]
fn optimal_hits_match_an_exhaustive_search_on_small_traces() {
    let mut rng = SplitMix64::new(99);
    for _ in 0..300 {
        let len = 1 + rng.below(12) as usize;
        let alphabet = 1 + rng.below(5);
        let capacity = rng.below(4) as usize;
        let keys: Vec<u64> = (0..len).map(|_| rng.below(alphabet)).collect();
        assert_eq!(
            optimal_hits(&keys, capacity),
            brute_force(&keys, 0, Vec::new(), capacity),
            "{keys:?} at capacity {capacity}"
        );
    }
}

#[test]
fn scan_keys_never_repeat_and_make_a_quarter_of_the_trace() {
    let keys = scan_mix_keys(1_000, 0.99, 500, 20_000, 5);
    assert_eq!(keys.len(), 20_000);
    let scans: Vec<u64> = keys
        .chunks(2_000)
        .flat_map(|cycle| cycle[1_500..].iter().copied())
        .collect();
    assert_eq!(scans.len(), 5_000);
    let hot: HashSet<u64> = keys
        .chunks(2_000)
        .flat_map(|c| c[..1_500].to_vec())
        .collect();
    let distinct: HashSet<u64> = scans.iter().copied().collect();
    assert_eq!(distinct.len(), scans.len(), "a scan key repeats");
    assert!(distinct.is_disjoint(&hot), "a scan key is also a hot key");
    // Uniform keys stay in their range.
    let range: HashSet<u64> = uniform_keys(50, 10_000, 1).into_iter().collect();
    assert_eq!(range.len(), 50);
}

#[test]
fn quick_run_prints_both_tables() {
    let dir = std::env::temp_dir().join(format!("cache-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.md");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cache-bench"))
        .args(["--quick", "--markdown"])
        .arg(&file)
        .output()
        .expect("cache-bench runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(stdout.contains("## Hit ratio (%)"), "{stdout}");
    assert!(stdout.contains("## Throughput (Mops/s)"), "{stdout}");
    assert!(
        stdout.contains("| moka | moka, no settle | quick_cache |"),
        "{stdout}"
    );
    // 3 Zipf traces and the scan trace at 2 capacities; 2 mixes at 2 thread counts.
    assert_eq!(stdout.matches("\n| zipf s=").count(), 8, "{stdout}");
    assert_eq!(
        stdout.matches("\n| read-heavy |").count(),
        2 * 2,
        "{stdout}"
    );
}

#[test]
fn an_unknown_cache_is_refused_by_name() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cache-bench"))
        .args([
            "--quick",
            "--suite",
            "hit-ratio",
            "--cache",
            "quick_cache,nope",
        ])
        .output()
        .expect("cache-bench runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown cache `nope`; known caches: moka, quick_cache"),
        "{stderr}"
    );
}
