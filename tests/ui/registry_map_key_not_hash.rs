// A `map` field's key is part of the backend's key, so it must be Hash + Eq.
use std::collections::BTreeMap;
use syncmap::SyncRegistry;

#[derive(Clone, PartialEq, PartialOrd)]
struct Score(f64);

#[derive(SyncRegistry)]
struct Ranking {
    #[registry(map)]
    by_score: BTreeMap<Score, String>,
}

fn main() {}
