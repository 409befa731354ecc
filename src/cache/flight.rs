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
use std::sync::Arc;
use std::thread::{self, ThreadId};

use parking_lot::{Condvar, Mutex};

use super::error::{LoadError, LoadErrorKind};

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
    /// `load()`'s result, run by this thread if no other is loading `key`, else the other's.
    /// `path` names the entry in errors.
    pub(crate) fn run(
        &self,
        key: &K,
        path: impl FnOnce() -> String,
        load: impl FnOnce() -> Result<V, LoadError>,
    ) -> Result<V, LoadError> {
        let me = thread::current().id();
        let (flight, leading) = {
            let mut table = self.table.lock();
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
            let mut result = flight.result.lock();
            while result.is_none() {
                flight.done.wait(&mut result);
            }
            return result.clone().expect("finished above");
        }
        let mut landing = Landing {
            flights: self,
            key,
            flight: &flight,
            path: Some(path),
        };
        let result = load();
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
        self.flights.table.lock().remove(self.key);
        *self.flight.result.lock() = Some(result);
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
