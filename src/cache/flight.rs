//! Single-flight loading: however many threads ask for one missing key at once, one of them (the
//! leader) runs the loader and the others wait for its result.
//!
//! The table of loads in flight is locked only to join or leave it, never while a loader runs,
//! so loaders of different keys run in parallel and a loader may read the cache. A loader that
//! asks for its own key is told so ([`LoadErrorKind::Recursive`]) rather than waiting for
//! itself. If a loader panics, a guard finishes its flight with [`LoadErrorKind::Panicked`]
//! while the panic unwinds, so waiters wake and the next call loads again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, PoisonError};

// The model checker's locks and threads under `--cfg loom` (the model is at the end of this
// file); std's otherwise, whose API loom mirrors.
#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(loom)]
use loom::thread::{self, ThreadId};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::thread::{self, ThreadId};

use super::error::{LoadError, LoadErrorKind};

/// No code runs under these locks but this module's own, which does not panic: a poisoned lock
/// holds a consistent state.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The loads in flight of one cache field, by key.
pub(crate) struct Flights<K, V> {
    table: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

struct Flight<V> {
    leader: ThreadId,
    result: Mutex<Option<Result<V, LoadError>>>,
    done: Condvar,
}

impl<K, V> Default for Flights<K, V> {
    fn default() -> Self {
        Self {
            table: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Flights<K, V> {
    /// The value of `key`: `stored()` if it is there once this thread leads the load, else
    /// `load()`'s result, run by this thread if no other is loading `key`, else the other's.
    /// `path` names the entry in errors.
    ///
    /// `stored` is asked again by the leader because a load that finished between the caller's
    /// miss and its joining the table has stored its value and left the table: without a second
    /// look, the key would be loaded twice.
    pub(crate) fn run(
        &self,
        key: &K,
        path: impl FnOnce() -> String,
        stored: impl FnOnce() -> Option<V>,
        load: impl FnOnce() -> Result<V, LoadError>,
    ) -> Result<V, LoadError> {
        let me = thread::current().id();
        let (flight, leading) = {
            let mut table = lock(&self.table);
            match table.get(key) {
                Some(flight) => (Arc::clone(flight), false),
                None => {
                    let flight = Arc::new(Flight {
                        leader: me,
                        result: Mutex::new(None),
                        done: Condvar::new(),
                    });
                    table.insert(key.clone(), Arc::clone(&flight));
                    (flight, true)
                }
            }
        };
        if !leading {
            if flight.leader == me {
                return Err(LoadError::new(path(), LoadErrorKind::Recursive));
            }
            let mut result = lock(&flight.result);
            while result.is_none() {
                result = flight
                    .done
                    .wait(result)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            return result.clone().expect("finished above");
        }
        let mut landing = Landing {
            flights: self,
            key,
            flight: &flight,
            path: Some(path),
        };
        let result = match stored() {
            Some(value) if !cfg!(syncmap_planted_bug = "flight_skips_second_look") => Ok(value),
            _ => load(),
        };
        landing.finish(result.clone());
        result
    }
}

/// Finishes the leader's flight however the loader ends: with its result, or, if it panics,
/// with [`LoadErrorKind::Panicked`].
struct Landing<'a, K: Hash + Eq, V, P: FnOnce() -> String> {
    flights: &'a Flights<K, V>,
    key: &'a K,
    flight: &'a Flight<V>,
    path: Option<P>,
}

impl<K: Hash + Eq, V, P: FnOnce() -> String> Landing<'_, K, V, P> {
    fn finish(&mut self, result: Result<V, LoadError>) {
        self.path = None;
        // Out of the table first: a caller that comes after the result is published must find
        // the stored value or start a new load, never join a finished flight.
        if !cfg!(syncmap_planted_bug = "flight_keeps_finished") {
            lock(&self.flights.table).remove(self.key);
        }
        *lock(&self.flight.result) = Some(result);
        self.flight.done.notify_all();
    }
}

impl<K: Hash + Eq, V, P: FnOnce() -> String> Drop for Landing<'_, K, V, P> {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            self.finish(Err(LoadError::new(path(), LoadErrorKind::Panicked)));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn path() -> String {
        "names[1]".to_owned()
    }

    #[test]
    fn the_leader_takes_a_value_stored_before_it_joined_instead_of_loading() {
        let flights = Flights::<u32, u32>::default();
        let result = flights.run(&1, path, || Some(7), || panic!("loaded a stored key"));
        assert_eq!(result.unwrap(), 7);
    }

    #[test]
    fn a_finished_flight_leaves_the_table() {
        let flights = Flights::<u32, u32>::default();
        let failed = flights.run(
            &1,
            path,
            || None,
            || Err(LoadError::new(path(), LoadErrorKind::Panicked)),
        );
        assert!(failed.is_err());
        let loads = AtomicUsize::new(0);
        let again = flights.run(
            &1,
            path,
            || None,
            || {
                loads.fetch_add(1, Ordering::Relaxed);
                Ok(2)
            },
        );
        assert_eq!(again.unwrap(), 2, "a finished flight's result was reused");
        assert_eq!(loads.load(Ordering::Relaxed), 1);
    }
}

/// Every interleaving of two callers of one missing key, checked by loom
/// (`scripts/loom.sh`): the key is loaded exactly once, both get its value, nobody waits for
/// ever.
#[cfg(all(test, loom))]
mod loom_model {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Mutex};

    use super::*;

    /// A cache of one key: `get_or_load` as the registry does it, over `flights`.
    fn get_or_load(
        flights: &Flights<u32, u32>,
        stored: &Mutex<Option<u32>>,
        loads: &AtomicUsize,
    ) -> u32 {
        if let Some(value) = *stored.lock().unwrap() {
            return value;
        }
        let second_look = || *stored.lock().unwrap();
        let result = flights.run(
            &1,
            || "names[1]".to_owned(),
            second_look,
            || {
                loads.fetch_add(1, Ordering::SeqCst);
                *stored.lock().unwrap() = Some(42);
                Ok(42)
            },
        );
        result.expect("an infallible loader")
    }

    #[test]
    fn two_callers_of_one_missing_key_load_it_once() {
        loom::model(|| {
            let flights = Arc::new(Flights::<u32, u32>::default());
            let stored = Arc::new(Mutex::new(None));
            let loads = Arc::new(AtomicUsize::new(0));
            let other = {
                let (flights, stored, loads) = (
                    Arc::clone(&flights),
                    Arc::clone(&stored),
                    Arc::clone(&loads),
                );
                loom::thread::spawn(move || get_or_load(&flights, &stored, &loads))
            };
            let mine = get_or_load(&flights, &stored, &loads);
            assert_eq!(mine, 42);
            assert_eq!(other.join().unwrap(), 42);
            assert_eq!(loads.load(Ordering::SeqCst), 1, "the key was loaded twice");
        });
    }
}
