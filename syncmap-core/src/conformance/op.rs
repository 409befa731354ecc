//! The operations of a differential run, their results, and the proptest strategies that
//! generate them.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::LoadOrStore;

/// The keys of every differential run. Eight, so that operations on one key collide often;
/// strings, so that lookups go through `K: Borrow<str>` (the map holds `String`s, the kit looks
/// them up by `&str`).
pub const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];

/// Values are drawn from `0..VALUE_RANGE` so that `compare_and_swap` and `compare_and_delete`
/// guess the current value often.
pub const VALUE_RANGE: u32 = 4;

/// The longest operation sequence [`ops_strategy`] generates: long enough for a read/dirty map
/// such as `SyncMap` to promote its dirty map several times within one case.
pub const MAX_OPS: usize = 64;

/// One call of a [`ConcurrentMap`](crate::ConcurrentMap) method, with its arguments.
///
/// Keys are names from [`KEYS`]; values are small numbers. The kit maps them onto the key and
/// value types of the map under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `load(key)`.
    Load {
        /// The key looked up.
        key: &'static str,
    },
    /// `load_with(key, |v| 3 * v + 1)`: the closure's result comes back.
    LoadWith {
        /// The key looked up.
        key: &'static str,
    },
    /// `contains_key(key)`.
    ContainsKey {
        /// The key looked up.
        key: &'static str,
    },
    /// `store(key, value)`.
    Store {
        /// The key written.
        key: &'static str,
        /// The value stored.
        value: u32,
    },
    /// `load_or_store(key, value)`.
    LoadOrStore {
        /// The key written.
        key: &'static str,
        /// The value offered.
        value: u32,
    },
    /// `load_or_store_with(key, || value)`; the result records whether the builder ran.
    LoadOrStoreWith {
        /// The key written.
        key: &'static str,
        /// The value the builder returns.
        value: u32,
    },
    /// `load_and_delete(key)`.
    LoadAndDelete {
        /// The key deleted.
        key: &'static str,
    },
    /// `delete(key)`.
    Delete {
        /// The key deleted.
        key: &'static str,
    },
    /// `swap(key, value)`.
    Swap {
        /// The key written.
        key: &'static str,
        /// The new value.
        value: u32,
    },
    /// `compare_and_swap(key, &old, new)`.
    CompareAndSwap {
        /// The key written.
        key: &'static str,
        /// The value expected.
        old: u32,
        /// The value stored on a match.
        new: u32,
    },
    /// `compare_and_delete(key, &old)`.
    CompareAndDelete {
        /// The key deleted.
        key: &'static str,
        /// The value expected.
        old: u32,
    },
    /// `update(key, |v| v + add)`; the result records how often the closure ran.
    Update {
        /// The key updated.
        key: &'static str,
        /// What the closure adds.
        add: u32,
    },
    /// `compute(key, f)` with `f` described by `action`.
    Compute {
        /// The key computed.
        key: &'static str,
        /// What the closure does.
        action: ComputeAction,
    },
    /// `len()`.
    Len,
    /// `is_empty()`.
    IsEmpty,
    /// `range(f)`, where `f` returns `false` after `stop_after` visits (never, if `None`); the
    /// result lists the entries visited.
    Range {
        /// How many visits before the callback asks to stop.
        stop_after: Option<u8>,
    },
    /// `clear()`.
    Clear,
}

/// The closure of an [`Op::Compute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComputeAction {
    /// `|_| Some(value)`: store whatever was there.
    Set(u32),
    /// `|v| v.map(|v| v + n)`: add to a present value, leave an absent key absent.
    AddIfPresent(u32),
    /// `|v| Some(v.map_or(n, |v| v + n))`: add, or insert `n`.
    Upsert(u32),
    /// `|_| None`: delete.
    Remove,
}

impl ComputeAction {
    /// What the closure returns for the current value `current`.
    pub fn apply(self, current: Option<u32>) -> Option<u32> {
        match self {
            Self::Set(value) => Some(value),
            Self::AddIfPresent(n) => current.map(|v| v.wrapping_add(n)),
            Self::Upsert(n) => Some(current.map_or(n, |v| v.wrapping_add(n))),
            Self::Remove => None,
        }
    }
}

/// What one [`Op`] returned, with values as numbers whatever the map's value type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `store` and `clear` return nothing.
    Unit,
    /// `load`, `load_with`, `load_and_delete`, `swap`, `compute`.
    Value(Option<u32>),
    /// `contains_key`, `delete`, `compare_and_swap`, `compare_and_delete`, `is_empty`.
    Flag(bool),
    /// `load_or_store`.
    LoadOrStore(LoadOrStore<u32>),
    /// `load_or_store_with`, and whether the builder ran.
    LoadOrStoreWith {
        /// What the call returned.
        result: LoadOrStore<u32>,
        /// Whether the builder ran (exactly when the key was absent).
        built: bool,
    },
    /// `update`, and how many times its closure ran (once if the key was present, else never).
    Update {
        /// What the call returned.
        result: Option<u32>,
        /// How many times the closure ran.
        calls: usize,
    },
    /// `len`.
    Len(usize),
    /// `range`: the entries visited, in the order visited.
    Visited(Vec<(String, u32)>),
}

/// How often each kind of operation is drawn, out of the sum of all weights: stores dominate so
/// maps are usually non-empty, `clear` is rare. Listed simplest first, because shrinking moves
/// toward the start of this table.
const WEIGHTS: [(OpKind, u32); 17] = [
    (OpKind::Load, 3),
    (OpKind::Store, 4),
    (OpKind::Delete, 2),
    (OpKind::ContainsKey, 1),
    (OpKind::Len, 1),
    (OpKind::IsEmpty, 1),
    (OpKind::LoadWith, 1),
    (OpKind::LoadOrStore, 2),
    (OpKind::LoadOrStoreWith, 2),
    (OpKind::LoadAndDelete, 2),
    (OpKind::Swap, 2),
    (OpKind::CompareAndSwap, 2),
    (OpKind::CompareAndDelete, 2),
    (OpKind::Update, 2),
    (OpKind::Compute, 2),
    (OpKind::Range, 1),
    (OpKind::Clear, 1),
];

const TOTAL_WEIGHT: u32 = {
    let mut total = 0;
    let mut i = 0;
    while i < WEIGHTS.len() {
        total += WEIGHTS[i].1;
        i += 1;
    }
    total
};

#[derive(Clone, Copy)]
enum OpKind {
    Load,
    LoadWith,
    ContainsKey,
    Store,
    LoadOrStore,
    LoadOrStoreWith,
    LoadAndDelete,
    Delete,
    Swap,
    CompareAndSwap,
    CompareAndDelete,
    Update,
    Compute,
    Len,
    IsEmpty,
    Range,
    Clear,
}

/// The raw numbers an [`Op`] is made from: which operation (a point in the weight table), which
/// key, and two small numbers for its value arguments.
type RawOp = (u32, usize, u32, u32);

/// Builds the operation that `raw` encodes; every number shrinks toward the simplest choice.
fn op_from_raw((point, key_index, first, second): RawOp) -> Op {
    let mut point = point;
    let mut kind = OpKind::Clear;
    for (candidate, weight) in WEIGHTS {
        if point < weight {
            kind = candidate;
            break;
        }
        point -= weight;
    }
    let key = KEYS[key_index];
    let (value, small) = (first % VALUE_RANGE, 1 + second % 2);
    match kind {
        OpKind::Load => Op::Load { key },
        OpKind::LoadWith => Op::LoadWith { key },
        OpKind::ContainsKey => Op::ContainsKey { key },
        OpKind::Store => Op::Store { key, value },
        OpKind::LoadOrStore => Op::LoadOrStore { key, value },
        OpKind::LoadOrStoreWith => Op::LoadOrStoreWith { key, value },
        OpKind::LoadAndDelete => Op::LoadAndDelete { key },
        OpKind::Delete => Op::Delete { key },
        OpKind::Swap => Op::Swap { key, value },
        OpKind::CompareAndSwap => Op::CompareAndSwap {
            key,
            old: value,
            new: second % VALUE_RANGE,
        },
        OpKind::CompareAndDelete => Op::CompareAndDelete { key, old: value },
        OpKind::Update => Op::Update { key, add: small },
        OpKind::Compute => Op::Compute {
            key,
            // `second` picks the action, so the amount added comes from `first`: taken from
            // `second` too, it would tie each action to one amount.
            action: match second % 4 {
                0 => ComputeAction::Set(value),
                1 => ComputeAction::AddIfPresent(1 + first % 2),
                2 => ComputeAction::Upsert(1 + first % 2),
                _ => ComputeAction::Remove,
            },
        },
        OpKind::Len => Op::Len,
        OpKind::IsEmpty => Op::IsEmpty,
        // `first` = 0 (where shrinking goes) is the plain, full range.
        OpKind::Range => Op::Range {
            stop_after: (first != 0).then(|| 1 + (first % 4) as u8),
        },
        OpKind::Clear => Op::Clear,
    }
}

/// One random operation, weighted so that maps are usually non-empty and `clear` is rare.
///
/// Drawn as a few plain numbers mapped to an [`Op`] (rather than a union of one strategy per
/// variant), which makes generation several times cheaper in debug builds, where the kit usually
/// runs; shrinking still moves toward simpler operations, keys and values.
pub fn op_strategy() -> impl Strategy<Value = Op> {
    (
        0..TOTAL_WEIGHT,
        0..KEYS.len(),
        0..2 * VALUE_RANGE,
        0..2 * VALUE_RANGE,
    )
        .prop_map(op_from_raw)
}

/// Sequences of up to [`MAX_OPS`] random operations; proptest shrinks a failing one to a
/// minimal failing one.
pub fn ops_strategy() -> impl Strategy<Value = Vec<Op>> {
    vec(op_strategy(), 0..=MAX_OPS)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// The operation's variant name, from its `Debug` form.
    fn kind(op: &Op) -> String {
        let text = format!("{op:?}");
        text.split([' ', '(']).next().unwrap_or_default().to_owned()
    }

    /// Every raw draw within the strategy's bounds, each once.
    fn every_op() -> Vec<Op> {
        let mut ops = Vec::new();
        for point in 0..TOTAL_WEIGHT {
            for key_index in 0..KEYS.len() {
                for first in 0..2 * VALUE_RANGE {
                    for second in 0..2 * VALUE_RANGE {
                        ops.push(op_from_raw((point, key_index, first, second)));
                    }
                }
            }
        }
        ops
    }

    #[test]
    fn each_kind_is_drawn_as_often_as_its_weight_says() {
        let per_point = KEYS.len() * (2 * VALUE_RANGE as usize).pow(2);
        let mut counts = BTreeMap::<String, usize>::new();
        for op in every_op() {
            *counts.entry(kind(&op)).or_default() += 1;
        }
        let expected: BTreeMap<String, usize> = [
            ("Load", 3),
            ("Store", 4),
            ("Delete", 2),
            ("ContainsKey", 1),
            ("Len", 1),
            ("IsEmpty", 1),
            ("LoadWith", 1),
            ("LoadOrStore", 2),
            ("LoadOrStoreWith", 2),
            ("LoadAndDelete", 2),
            ("Swap", 2),
            ("CompareAndSwap", 2),
            ("CompareAndDelete", 2),
            ("Update", 2),
            ("Compute", 2),
            ("Range", 1),
            ("Clear", 1),
        ]
        .into_iter()
        .map(|(name, weight)| (name.to_owned(), weight * per_point))
        .collect();
        assert_eq!(counts, expected);
    }

    #[test]
    fn every_argument_the_kit_uses_can_be_drawn() {
        let ops = every_op();
        let mut distinct = BTreeMap::<String, BTreeSet<String>>::new();
        for op in &ops {
            distinct
                .entry(kind(op))
                .or_default()
                .insert(format!("{op:?}"));
        }
        let keys = KEYS.len();
        let values = VALUE_RANGE as usize;
        let count = |name: &str| distinct.get(name).map_or(0, BTreeSet::len);
        // Keyed reads and deletes: every key. Writes: every key with every value.
        for name in ["Load", "LoadWith", "ContainsKey", "LoadAndDelete", "Delete"] {
            assert_eq!(count(name), keys, "{name}");
        }
        for name in [
            "Store",
            "LoadOrStore",
            "LoadOrStoreWith",
            "Swap",
            "CompareAndDelete",
        ] {
            assert_eq!(count(name), keys * values, "{name}");
        }
        assert_eq!(count("CompareAndSwap"), keys * values * values);
        // Update adds 1 or 2; compute sets any value, adds 1 or 2 (two ways) or removes.
        assert_eq!(count("Update"), keys * 2);
        assert_eq!(count("Compute"), keys * (values + 2 + 2 + 1));
        let amounts: BTreeSet<u32> = ops
            .into_iter()
            .filter_map(|op| match op {
                Op::Update { add, .. }
                | Op::Compute {
                    action: ComputeAction::AddIfPresent(add) | ComputeAction::Upsert(add),
                    ..
                } => Some(add),
                _ => None,
            })
            .collect();
        assert_eq!(amounts, BTreeSet::from([1, 2]), "amounts added");
        // A full range, and ranges stopped after 1 to 4 entries.
        assert_eq!(count("Range"), 5);
        for name in ["Len", "IsEmpty", "Clear"] {
            assert_eq!(count(name), 1, "{name}");
        }
    }

    #[test]
    fn each_compute_action_returns_what_its_documentation_says() {
        use ComputeAction::{AddIfPresent, Remove, Set, Upsert};
        let cases = [
            (Set(3), None, Some(3)),
            (Set(3), Some(1), Some(3)),
            (AddIfPresent(2), None, None),
            (AddIfPresent(2), Some(1), Some(3)),
            (Upsert(2), None, Some(2)),
            (Upsert(2), Some(1), Some(3)),
            (Remove, Some(1), None),
            (Remove, None, None),
        ];
        for (action, current, expected) in cases {
            assert_eq!(action.apply(current), expected, "{action:?} on {current:?}");
        }
    }

    #[test]
    fn the_simplest_range_is_the_full_one() {
        // Shrinking moves every number toward 0, so a failing range shrinks to a full one.
        let range_point = TOTAL_WEIGHT - 2;
        assert_eq!(
            op_from_raw((range_point, 0, 0, 0)),
            Op::Range { stop_after: None }
        );
    }
}
