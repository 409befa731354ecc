//! A Wing & Gong linearizability checker for the per-key operations of `ConcurrentMap`, with the
//! memoization of Lowe ("Testing for linearizability", 2017): a search state is the set of
//! operations already linearized plus the key's value, and a state seen once is never explored
//! again.
//!
//! Linearizability is local (Herlihy & Wing): a history is linearizable if and only if each
//! object's sub-history is. Every per-key method touches exactly one key, so each key is an object
//! and its history is checked on its own against a sequential model whose state is the key's
//! value, `Option<u32>`.
//!
//! Written here rather than taken from a crate: the one maintained Rust checker (`stateright`'s
//! linearizability tester) is built around its own actor model and would bring a large dependency
//! tree for forty lines of search.

use std::collections::HashSet;
use std::fmt;

use syncmap_core::LoadOrStore;

/// A per-key method call with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyOp {
    Load,
    ContainsKey,
    Store(u32),
    LoadOrStore(u32),
    LoadOrStoreWith(u32),
    LoadAndDelete,
    Delete,
    Swap(u32),
    CompareAndSwap {
        old: u32,
        new: u32,
    },
    CompareAndDelete {
        old: u32,
    },
    /// `update(key, |v| v + add)`: a compare-and-swap loop, linearizable as one step.
    Update {
        add: u32,
    },
}

/// What a call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ret {
    Unit,
    Value(Option<u32>),
    Flag(bool),
    LoadOrStore(LoadOrStore<u32>),
}

/// One completed call: what it was, what it returned, and when it was invoked and returned,
/// as ticks of one clock shared by all threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) thread: usize,
    pub(crate) op: KeyOp,
    pub(crate) ret: Ret,
    pub(crate) invoke: u64,
    pub(crate) response: u64,
}

/// Applies `op` to a key whose value is `state`: the new value if the call could have returned
/// `ret` there, `None` if not.
pub(crate) fn step(state: Option<u32>, op: KeyOp, ret: Ret) -> Option<Option<u32>> {
    let matches_old = |old: u32| state == Some(old);
    let (expected, next) = match op {
        KeyOp::Load => (Ret::Value(state), state),
        KeyOp::ContainsKey => (Ret::Flag(state.is_some()), state),
        KeyOp::Store(value) => (Ret::Unit, Some(value)),
        KeyOp::LoadOrStore(value) | KeyOp::LoadOrStoreWith(value) => match state {
            Some(current) => (Ret::LoadOrStore(LoadOrStore::Loaded(current)), state),
            None => (Ret::LoadOrStore(LoadOrStore::Stored(value)), Some(value)),
        },
        KeyOp::LoadAndDelete => (Ret::Value(state), None),
        KeyOp::Delete => (Ret::Flag(state.is_some()), None),
        KeyOp::Swap(value) => (Ret::Value(state), Some(value)),
        KeyOp::CompareAndSwap { old, new } => match matches_old(old) {
            true => (Ret::Flag(true), Some(new)),
            false => (Ret::Flag(false), state),
        },
        KeyOp::CompareAndDelete { old } => match matches_old(old) {
            true => (Ret::Flag(true), None),
            false => (Ret::Flag(false), state),
        },
        KeyOp::Update { add } => {
            let next = state.map(|v| v.wrapping_add(add));
            (Ret::Value(next), next)
        }
    };
    (ret == expected).then_some(next)
}

/// Why a history is not linearizable, with enough of it to see why.
#[derive(Debug)]
pub(crate) struct NotLinearizable {
    /// The longest sequence of calls that could be linearized, in that order.
    pub(crate) longest_prefix: Vec<Event>,
    /// The value after that prefix.
    pub(crate) state: Option<u32>,
    /// The calls that could come next (they all began before any other unlinearized call
    /// ended) and none of which fits.
    pub(crate) stuck_on: Vec<Event>,
    /// Search states explored.
    pub(crate) explored: usize,
}

impl fmt::Display for NotLinearizable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable ({} search states explored); the longest linearization has {} calls, \
             ending with value {:?}:",
            self.explored,
            self.longest_prefix.len(),
            self.state
        )?;
        let skip = self.longest_prefix.len().saturating_sub(12);
        for event in &self.longest_prefix[skip..] {
            writeln!(f, "    {event:?}")?;
        }
        writeln!(f, "  and none of these fits next:")?;
        for event in &self.stuck_on {
            writeln!(f, "    {event:?}")?;
        }
        Ok(())
    }
}

/// A search node: the calls that may come next at this depth and which of them is being tried.
struct Frame {
    state_before: Option<u32>,
    candidates: Vec<usize>,
    next: usize,
    chosen: Option<usize>,
}

/// Checks one key's history, starting from `initial` (the value before any of the calls).
///
/// `Ok(order)` gives one linearization (indices into `history`); `Err` gives the longest one found.
pub(crate) fn check_key(
    initial: Option<u32>,
    history: &[Event],
) -> Result<Vec<usize>, NotLinearizable> {
    let mut events: Vec<Event> = history.to_vec();
    events.sort_by_key(|e| e.invoke);
    let n = events.len();
    let mut linearized = vec![0u64; n.div_ceil(64)];
    let is_done = |bits: &[u64], i: usize| bits[i / 64] & (1 << (i % 64)) != 0;
    let mut first_pending = 0;
    let mut state = initial;
    let mut seen: HashSet<(Vec<u64>, Option<u32>)> = HashSet::new();
    let mut path: Vec<usize> = Vec::with_capacity(n);
    let mut longest: (Vec<usize>, Option<u32>, Vec<usize>) = (Vec::new(), initial, Vec::new());

    // The calls that may be linearized next: not yet linearized, and invoked before the earliest
    // response among those not yet linearized (Wing & Gong's "minimal" calls).
    let candidates = |bits: &[u64], first_pending: usize| {
        let mut earliest_response = u64::MAX;
        let mut found = Vec::new();
        for (i, event) in events.iter().enumerate().skip(first_pending) {
            if event.invoke > earliest_response {
                break; // sorted by invoke: nothing later can be minimal or lower the bound
            }
            if !is_done(bits, i) {
                earliest_response = earliest_response.min(event.response);
                found.push(i);
            }
        }
        found.retain(|&i| events[i].invoke < earliest_response);
        found
    };

    let mut stack = vec![Frame {
        state_before: state,
        candidates: candidates(&linearized, first_pending),
        next: 0,
        chosen: None,
    }];
    loop {
        if path.len() == n {
            return Ok(path
                .iter()
                .map(|&i| index_in(history, &events[i]))
                .collect());
        }
        let frame = stack.last_mut().expect("the root frame is never popped");
        if let Some(&candidate) = frame.candidates.get(frame.next) {
            frame.next += 1;
            let event = events[candidate];
            if let Some(next_state) = step(state, event.op, event.ret) {
                linearized[candidate / 64] |= 1 << (candidate % 64);
                if seen.insert((linearized.clone(), next_state)) {
                    frame.chosen = Some(candidate);
                    path.push(candidate);
                    state = next_state;
                    while first_pending < n && is_done(&linearized, first_pending) {
                        first_pending += 1;
                    }
                    let candidates = candidates(&linearized, first_pending);
                    stack.push(Frame {
                        state_before: state,
                        candidates,
                        next: 0,
                        chosen: None,
                    });
                    continue;
                }
                linearized[candidate / 64] &= !(1 << (candidate % 64));
            }
            continue;
        }
        // Every candidate failed here: remember how far we got, then backtrack.
        if path.len() > longest.0.len() || longest.0.is_empty() {
            longest = (path.clone(), state, frame.candidates.clone());
        }
        stack.pop();
        let Some(parent) = stack.last_mut() else {
            let (prefix, state, stuck) = longest;
            return Err(NotLinearizable {
                longest_prefix: prefix.iter().map(|&i| events[i]).collect(),
                state,
                stuck_on: stuck.iter().map(|&i| events[i]).collect(),
                explored: seen.len(),
            });
        };
        let undone = parent
            .chosen
            .take()
            .expect("a child frame has a chosen parent");
        linearized[undone / 64] &= !(1 << (undone % 64));
        first_pending = first_pending.min(undone);
        path.pop();
        state = parent.state_before;
    }
}

/// The position of `event` in the caller's unsorted history (events are unique by their
/// invoke tick, since every tick is taken once).
fn index_in(history: &[Event], event: &Event) -> usize {
    history
        .iter()
        .position(|e| e.invoke == event.invoke)
        .expect("the event came from the history")
}
