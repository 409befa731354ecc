//! Keys and values that account for every instance: each construction and clone registers a new
//! instance in a shared ledger, each drop retires it, so a check can tell a leak (an instance
//! never dropped), a double drop and a use after drop apart.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{Hash, Hasher};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::encoding::Encoding;

/// Every instance created against one ledger, and what went wrong with them.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    state: Mutex<LedgerState>,
}

#[derive(Debug, Default)]
struct LedgerState {
    next_id: u64,
    live: HashSet<u64>,
    created: u64,
    /// Violations are recorded rather than panicked on: a panic inside `Drop` while the map is
    /// itself unwinding would abort the whole test binary instead of failing one check.
    violations: Vec<String>,
}

impl Ledger {
    fn state(&self) -> MutexGuard<'_, LedgerState> {
        // A panic never happens while the lock is held, but stay usable if one ever does.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self) -> u64 {
        let mut state = self.state();
        let id = state.next_id;
        state.next_id += 1;
        state.created += 1;
        state.live.insert(id);
        id
    }

    fn retire(&self, id: u64, what: &dyn fmt::Debug) {
        let mut state = self.state();
        if !state.live.remove(&id) {
            state
                .violations
                .push(format!("{what:?} (instance #{id}) was dropped twice"));
        }
    }

    fn check_live(&self, id: u64, what: &dyn fmt::Debug, action: &str) {
        let mut state = self.state();
        if !state.live.contains(&id) {
            state.violations.push(format!(
                "{what:?} (instance #{id}) was {action} after its drop"
            ));
        }
    }

    /// How many of the instances `ids` are still alive.
    pub(crate) fn live_among(&self, ids: &[u64]) -> usize {
        let state = self.state();
        ids.iter().filter(|id| state.live.contains(id)).count()
    }

    /// `Err` describing every leak and violation, or `Ok` with the number of instances created.
    pub(crate) fn audit(&self) -> Result<u64, String> {
        let state = self.state();
        let mut problems = state.violations.clone();
        if !state.live.is_empty() {
            let mut leaked: Vec<_> = state.live.iter().copied().collect();
            leaked.sort_unstable();
            leaked.truncate(16);
            problems.push(format!(
                "{} of {} instances were never dropped (leaked), e.g. instances {leaked:?}",
                state.live.len(),
                state.created
            ));
        }
        if problems.is_empty() {
            Ok(state.created)
        } else {
            Err(problems.join("; "))
        }
    }
}

/// A `T` that registers itself, and each of its clones, in a [`Ledger`].
///
/// Equality and hashing see only the payload, so `Counted<String>` may be looked up by `&str`.
pub(crate) struct Counted<T: fmt::Debug> {
    payload: T,
    id: u64,
    ledger: Arc<Ledger>,
}

impl<T: fmt::Debug> Counted<T> {
    pub(crate) fn new(payload: T, ledger: &Arc<Ledger>) -> Self {
        let id = ledger.register();
        Self {
            payload,
            id,
            ledger: Arc::clone(ledger),
        }
    }

    pub(crate) fn payload(&self) -> &T {
        &self.payload
    }

    /// Which instance this is in its ledger.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<T: fmt::Debug> fmt::Debug for Counted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Counted({:?})", self.payload)
    }
}

impl<T: Clone + fmt::Debug> Clone for Counted<T> {
    fn clone(&self) -> Self {
        self.ledger.check_live(self.id, self, "cloned");
        Self::new(self.payload.clone(), &self.ledger)
    }
}

impl<T: fmt::Debug> Drop for Counted<T> {
    fn drop(&mut self) {
        self.ledger.retire(self.id, &self.payload);
    }
}

impl<T: PartialEq + fmt::Debug> PartialEq for Counted<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ledger.check_live(self.id, self, "compared");
        self.payload == other.payload
    }
}

impl<T: Eq + fmt::Debug> Eq for Counted<T> {}

impl<T: Hash + fmt::Debug> Hash for Counted<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ledger.check_live(self.id, self, "hashed");
        self.payload.hash(state);
    }
}

// Hash and Eq see only the payload, and `String` hashes as its `str` does, so the `Borrow`
// contract (equal borrowed forms hash alike) holds.
impl Borrow<str> for Counted<String> {
    fn borrow(&self) -> &str {
        &self.payload
    }
}

/// `Counted<String>` keys and `Counted<u32>` values against one ledger.
#[derive(Debug, Default)]
pub(crate) struct CountedEncoding {
    pub(crate) ledger: Arc<Ledger>,
}

impl Encoding for CountedEncoding {
    type K = Counted<String>;
    type V = Counted<u32>;

    fn key(&self, name: &'static str) -> Counted<String> {
        Counted::new(name.to_owned(), &self.ledger)
    }

    fn value(&self, number: u32) -> Counted<u32> {
        Counted::new(number, &self.ledger)
    }

    fn number(value: &Counted<u32>) -> u32 {
        *value.payload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_created_and_dropped_once_pass_the_audit() {
        let ledger = Arc::new(Ledger::default());
        let key = Counted::new("k0".to_owned(), &ledger);
        let copy = key.clone();
        assert_eq!(copy, key);
        drop((key, copy));
        assert_eq!(ledger.audit(), Ok(2));
    }

    #[test]
    fn a_counted_instance_prints_as_its_payload() {
        // Failure messages show keys and values this way.
        let ledger = Arc::new(Ledger::default());
        assert_eq!(
            format!("{:?}", Counted::new("k0".to_owned(), &ledger)),
            r#"Counted("k0")"#
        );
    }

    #[test]
    fn the_audit_reports_a_leak() {
        let ledger = Arc::new(Ledger::default());
        std::mem::forget(Counted::new(7_u32, &ledger));
        drop(Counted::new(8_u32, &ledger));
        let report = ledger.audit().expect_err("one instance was leaked");
        assert!(
            report.contains("1 of 2 instances were never dropped"),
            "{report}"
        );
    }

    #[test]
    fn the_audit_reports_a_double_drop_and_a_use_after_drop() {
        // Safe code cannot drop a `Counted` twice or touch a dropped one, so the ledger is told
        // directly what a map's `unsafe` code might do.
        let ledger = Ledger::default();
        let id = ledger.register();
        ledger.retire(id, &"k1");
        assert_eq!(ledger.audit(), Ok(1));
        ledger.check_live(id, &"k1", "hashed");
        ledger.retire(id, &"k1");
        let report = ledger
            .audit()
            .expect_err("instance dropped twice and used after drop");
        assert!(
            report.contains(r#""k1" (instance #0) was hashed after its drop"#),
            "{report}"
        );
        assert!(
            report.contains(r#""k1" (instance #0) was dropped twice"#),
            "{report}"
        );
    }
}
