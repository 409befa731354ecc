//! The differential engine: replay an [`Op`] sequence on a map and on a `HashMap` model, and
//! report the first result that differs.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;

use super::encoding::{Encoding, Plain};
use super::op::{Op, Outcome};
use crate::{ConcurrentMap, LoadOrStore};

/// The reference: what a map must hold after each operation.
pub(crate) type Model = HashMap<&'static str, u32>;

/// The first place a map disagreed with the model, from [`diff_against_model`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index in the sequence of the operation that disagreed; the sequence's length when every
    /// operation agreed but the final contents did not.
    pub step: usize,
    /// The operation that disagreed; `None` for the final contents check.
    pub op: Option<Op>,
    /// What the model returned (for a `range`, every entry the model held, sorted).
    pub expected: Outcome,
    /// What the map returned.
    pub actual: Outcome,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Some(op) => write!(f, "operation #{} {op:?}", self.step)?,
            None => write!(f, "after all {} operations, the final contents", self.step)?,
        }
        write!(
            f,
            ": the model gave {:?}, the map gave {:?}",
            self.expected, self.actual
        )?;
        if let (Some(Op::Range { stop_after }), Outcome::Visited(_)) = (&self.op, &self.actual) {
            write!(
                f,
                " (a range must visit each key at most once, only keys present, with their \
                 values, and exactly {} of them)",
                stop_after.map_or("all".to_owned(), |n| format!("min({n}, len)"))
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

/// Runs `op` on `map`, a map with `String` keys and `u32` values, and returns what it returned.
///
/// Lookups pass `&str`, through `String: Borrow<str>`.
///
/// ```
/// use syncmap_core::conformance::{apply_op, Op, Outcome};
/// use syncmap_impls::MutexMap;
///
/// let map = MutexMap::new();
/// assert_eq!(apply_op(&map, &Op::Store { key: "k0", value: 3 }), Outcome::Unit);
/// assert_eq!(apply_op(&map, &Op::Load { key: "k0" }), Outcome::Value(Some(3)));
/// ```
pub fn apply_op<M: ConcurrentMap<String, u32> + ?Sized>(map: &M, op: &Op) -> Outcome {
    apply_encoded(&Plain, map, op)
}

/// Replays `ops` on `map` (which should start empty) and on a `HashMap` model, comparing every
/// result and then the final contents (through a full `range`, `len` and `is_empty`); returns the
/// first disagreement.
///
/// ```
/// use syncmap_core::conformance::{diff_against_model, Op};
/// use syncmap_impls::MutexMap;
///
/// let ops = [
///     Op::Store { key: "k1", value: 2 },
///     Op::CompareAndSwap { key: "k1", old: 2, new: 3 },
///     Op::Delete { key: "k2" },
/// ];
/// assert_eq!(diff_against_model(&MutexMap::new(), &ops), Ok(()));
/// ```
pub fn diff_against_model<M: ConcurrentMap<String, u32> + ?Sized>(
    map: &M,
    ops: &[Op],
) -> Result<(), Mismatch> {
    diff_encoded(&Plain, map, ops)
}

/// [`diff_against_model`] for any encoding of keys and values.
pub(crate) fn diff_encoded<E, M>(encoding: &E, map: &M, ops: &[Op]) -> Result<(), Mismatch>
where
    E: Encoding,
    M: ConcurrentMap<E::K, E::V> + ?Sized,
{
    let mut replay = Replay::default();
    for op in ops {
        replay.step(encoding, map, op)?;
    }
    replay.finish(encoding, map)
}

/// A differential run in progress: the model, and how many operations it has seen.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    pub(crate) model: Model,
    steps: usize,
}

impl Replay {
    /// Runs `op` on `map` and the model; `Err` if the results disagree.
    pub(crate) fn step<E, M>(&mut self, encoding: &E, map: &M, op: &Op) -> Result<(), Mismatch>
    where
        E: Encoding,
        M: ConcurrentMap<E::K, E::V> + ?Sized,
    {
        let actual = apply_encoded(encoding, map, op);
        let expected = apply_to_model(&mut self.model, op);
        let step = self.steps;
        self.steps += 1;
        if agrees(op, &expected, &actual) {
            Ok(())
        } else {
            Err(Mismatch {
                step,
                op: Some(op.clone()),
                expected,
                actual,
            })
        }
    }

    /// Compares the final contents of `map` with the model.
    pub(crate) fn finish<E, M>(&self, encoding: &E, map: &M) -> Result<(), Mismatch>
    where
        E: Encoding,
        M: ConcurrentMap<E::K, E::V> + ?Sized,
    {
        check_contents(encoding, map, &self.model).map_err(|(expected, actual)| Mismatch {
            step: self.steps,
            op: None,
            expected,
            actual,
        })
    }
}

/// Compares the whole of `map` with `model`: a full `range` (sorted), `len` and `is_empty`.
pub(crate) fn check_contents<E, M>(
    encoding: &E,
    map: &M,
    model: &Model,
) -> Result<(), (Outcome, Outcome)>
where
    E: Encoding,
    M: ConcurrentMap<E::K, E::V> + ?Sized,
{
    let full_range = Op::Range { stop_after: None };
    let expected = contents_of(model);
    let Outcome::Visited(mut visited) = apply_encoded(encoding, map, &full_range) else {
        unreachable!("range yields Visited")
    };
    visited.sort();
    if visited != expected {
        return Err((Outcome::Visited(expected), Outcome::Visited(visited)));
    }
    for op in [Op::Len, Op::IsEmpty] {
        let actual = apply_encoded(encoding, map, &op);
        let expected = apply_to_model(&mut model.clone(), &op);
        if actual != expected {
            return Err((expected, actual));
        }
    }
    Ok(())
}

/// Every entry of `model`, sorted.
fn contents_of(model: &Model) -> Vec<(String, u32)> {
    let mut entries: Vec<_> = model.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    entries.sort();
    entries
}

/// Whether the map's `actual` result is one the contract allows, given the model's `expected`.
///
/// Every result must be equal, except a `range` that stops early: which entries it visits is up
/// to the map, so it must visit the right number of distinct, present entries.
pub(crate) fn agrees(op: &Op, expected: &Outcome, actual: &Outcome) -> bool {
    match (op, expected, actual) {
        (Op::Range { stop_after }, Outcome::Visited(all), Outcome::Visited(visited)) => {
            let wanted = stop_after.map_or(all.len(), |n| all.len().min(usize::from(n)));
            let mut keys: Vec<_> = visited.iter().map(|(k, _)| k).collect();
            keys.sort();
            keys.dedup();
            visited.len() == wanted
                && keys.len() == visited.len()
                && visited.iter().all(|entry| all.contains(entry))
        }
        _ => expected == actual,
    }
}

/// Runs `op` on `map`, translating names and numbers through `encoding`.
pub(crate) fn apply_encoded<E, M>(encoding: &E, map: &M, op: &Op) -> Outcome
where
    E: Encoding,
    M: ConcurrentMap<E::K, E::V> + ?Sized,
{
    let number = |value: &E::V| E::number(value);
    let lookup = |name: &'static str| encoding.lookup(name);
    match *op {
        Op::Load { key } => Outcome::Value(map.load(&*lookup(key)).as_ref().map(number)),
        Op::LoadWith { key } => Outcome::Value(
            map.load_with(&*lookup(key), |v| number(v).wrapping_mul(3).wrapping_add(1)),
        ),
        Op::ContainsKey { key } => Outcome::Flag(map.contains_key(&*lookup(key))),
        Op::Store { key, value } => {
            map.store(encoding.key(key), encoding.value(value));
            Outcome::Unit
        }
        Op::LoadOrStore { key, value } => Outcome::LoadOrStore(
            map.load_or_store(encoding.key(key), encoding.value(value))
                .map(|v| number(&v)),
        ),
        Op::LoadOrStoreWith { key, value } => {
            let mut built = false;
            let result = map.load_or_store_with(encoding.key(key), || {
                built = true;
                encoding.value(value)
            });
            Outcome::LoadOrStoreWith {
                result: result.map(|v| number(&v)),
                built,
            }
        }
        Op::LoadAndDelete { key } => {
            Outcome::Value(map.load_and_delete(&*lookup(key)).as_ref().map(number))
        }
        Op::Delete { key } => Outcome::Flag(map.delete(&*lookup(key))),
        Op::Swap { key, value } => Outcome::Value(
            map.swap(encoding.key(key), encoding.value(value))
                .as_ref()
                .map(number),
        ),
        Op::CompareAndSwap { key, old, new } => Outcome::Flag(map.compare_and_swap(
            &*lookup(key),
            &encoding.value(old),
            encoding.value(new),
        )),
        Op::CompareAndDelete { key, old } => {
            Outcome::Flag(map.compare_and_delete(&*lookup(key), &encoding.value(old)))
        }
        Op::Update { key, add } => {
            let mut calls = 0;
            let result = map.update(&*lookup(key), |v| {
                calls += 1;
                encoding.value(number(v).wrapping_add(add))
            });
            Outcome::Update {
                result: result.as_ref().map(number),
                calls,
            }
        }
        Op::Compute { key, action } => {
            let result = map.compute(encoding.key(key), |v| {
                action.apply(v.map(number)).map(|n| encoding.value(n))
            });
            Outcome::Value(result.as_ref().map(number))
        }
        Op::Len => Outcome::Len(map.len()),
        Op::IsEmpty => Outcome::Flag(map.is_empty()),
        Op::Range { stop_after } => {
            let mut visited = Vec::new();
            map.range(|k, v| {
                let name: &str = k.borrow();
                visited.push((name.to_owned(), number(v)));
                stop_after.is_none_or(|n| visited.len() < usize::from(n))
            });
            Outcome::Visited(visited)
        }
        Op::Clear => {
            map.clear();
            Outcome::Unit
        }
    }
}

/// Runs `op` on the model: the specification of every method, sequentially.
pub(crate) fn apply_to_model(model: &mut Model, op: &Op) -> Outcome {
    match *op {
        Op::Load { key } => Outcome::Value(model.get(key).copied()),
        Op::LoadWith { key } => {
            Outcome::Value(model.get(key).map(|v| v.wrapping_mul(3).wrapping_add(1)))
        }
        Op::ContainsKey { key } => Outcome::Flag(model.contains_key(key)),
        Op::Store { key, value } => {
            model.insert(key, value);
            Outcome::Unit
        }
        Op::LoadOrStore { key, value } => {
            Outcome::LoadOrStore(model_load_or_store(model, key, value))
        }
        Op::LoadOrStoreWith { key, value } => {
            let result = model_load_or_store(model, key, value);
            Outcome::LoadOrStoreWith {
                built: result.is_stored(),
                result,
            }
        }
        Op::LoadAndDelete { key } => Outcome::Value(model.remove(key)),
        Op::Delete { key } => Outcome::Flag(model.remove(key).is_some()),
        Op::Swap { key, value } => Outcome::Value(model.insert(key, value)),
        Op::CompareAndSwap { key, old, new } => Outcome::Flag(match model.get_mut(key) {
            Some(current) if *current == old => {
                *current = new;
                true
            }
            _ => false,
        }),
        Op::CompareAndDelete { key, old } => {
            let matches = model.get(key) == Some(&old);
            if matches {
                model.remove(key);
            }
            Outcome::Flag(matches)
        }
        Op::Update { key, add } => match model.get_mut(key) {
            Some(current) => {
                *current = current.wrapping_add(add);
                Outcome::Update {
                    result: Some(*current),
                    calls: 1,
                }
            }
            None => Outcome::Update {
                result: None,
                calls: 0,
            },
        },
        Op::Compute { key, action } => {
            let next = action.apply(model.get(key).copied());
            match next {
                Some(value) => model.insert(key, value),
                None => model.remove(key),
            };
            Outcome::Value(next)
        }
        Op::Len => Outcome::Len(model.len()),
        Op::IsEmpty => Outcome::Flag(model.is_empty()),
        Op::Range { .. } => Outcome::Visited(contents_of(model)),
        Op::Clear => {
            model.clear();
            Outcome::Unit
        }
    }
}

fn model_load_or_store(model: &mut Model, key: &'static str, value: u32) -> LoadOrStore<u32> {
    match model.get(key) {
        Some(current) => LoadOrStore::Loaded(*current),
        None => {
            model.insert(key, value);
            LoadOrStore::Stored(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visited(entries: &[(&str, u32)]) -> Outcome {
        Outcome::Visited(entries.iter().map(|&(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn an_early_stopped_range_may_visit_any_present_entries() {
        let all = visited(&[("k0", 0), ("k1", 1), ("k2", 2)]);
        let two = Op::Range {
            stop_after: Some(2),
        };
        assert!(agrees(&two, &all, &visited(&[("k2", 2), ("k0", 0)])));
        assert!(agrees(&two, &all, &visited(&[("k1", 1), ("k2", 2)])));
    }

    #[test]
    fn an_early_stopped_range_must_visit_distinct_present_entries_and_the_right_number() {
        let all = visited(&[("k0", 0), ("k1", 1), ("k2", 2)]);
        let two = Op::Range {
            stop_after: Some(2),
        };
        let rejected = [
            ("a key visited twice", visited(&[("k1", 1), ("k1", 1)])),
            ("an absent key", visited(&[("k1", 1), ("k5", 1)])),
            ("a wrong value", visited(&[("k1", 1), ("k2", 3)])),
            ("too few", visited(&[("k1", 1)])),
            ("too many", visited(&[("k0", 0), ("k1", 1), ("k2", 2)])),
        ];
        for (what, actual) in rejected {
            assert!(!agrees(&two, &all, &actual), "accepted {what}");
        }
    }

    #[test]
    fn a_full_range_must_visit_every_entry_once() {
        let all = visited(&[("k0", 0), ("k1", 1)]);
        let full = Op::Range { stop_after: None };
        assert!(agrees(&full, &all, &visited(&[("k1", 1), ("k0", 0)])));
        assert!(!agrees(&full, &all, &visited(&[("k1", 1), ("k1", 1)])));
        assert!(!agrees(&full, &all, &visited(&[("k1", 1)])));
    }

    #[test]
    fn other_results_must_be_equal() {
        let load = Op::Load { key: "k0" };
        assert!(agrees(
            &load,
            &Outcome::Value(Some(1)),
            &Outcome::Value(Some(1))
        ));
        assert!(!agrees(
            &load,
            &Outcome::Value(Some(1)),
            &Outcome::Value(None)
        ));
    }
}
