//! Watching a loader's files and reloading the registry when they change (feature `watch`).
//!
//! The watcher watches each file's parent directory, not the file: an editor's atomic save
//! (write a temporary file, rename it over) and a Kubernetes ConfigMap update (the `..data`
//! symlink swapped) replace the file, and a watch on the file itself would follow the old one.
//! Bursts of events are debounced; then the watcher reads the files, and only when their bytes
//! differ from the last attempt's does it reload: every layer read again, validated, and only
//! the changed fields published, as one change. A reload that fails publishes nothing.
//!
//! One thread of the watcher's own runs the reloads and calls the report callback, outside
//! every lock of the registry; a panic in either is caught and reported, and the thread goes
//! on. Dropping the [`Watcher`] stops the file watch and joins that thread.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use super::error::{ConfigError, Problem, ProblemKind};
use super::fields::ConfigStruct;
use super::loader::{Loader, Reload};
use crate::registry::{Registry, RegistryStruct};

/// What started a reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A watched file changed.
    Files,
    /// [`Watcher::reload_now`].
    Manual,
}

/// The outcome of one reload attempt.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReloadReport<S: RegistryStruct> {
    /// The attempt's number, from 1.
    pub attempt: u64,
    /// What started it.
    pub trigger: Trigger,
    /// What was published (possibly nothing, if no field changed), or every problem found;
    /// on a problem the registry keeps its values.
    pub outcome: Result<Reload<S>, ConfigError>,
}

impl<S: RegistryStruct> ReloadReport<S> {
    /// The paths of the fields marked `#[registry(restart_required)]` that this reload changed:
    /// their new values are published like any other, but the program reads them only at
    /// start, so they take effect at the next restart. (Changed relative to the registry before
    /// the reload, not to the value the program started with.)
    pub fn restart_required(&self) -> Vec<String> {
        let Ok(Reload {
            change: Some(change),
            ..
        }) = &self.outcome
        else {
            return Vec::new();
        };
        change
            .fields()
            .iter()
            .filter(|field| S::key_field(field.key()).is_restart_required())
            .map(|field| field.path())
            .collect()
    }
}

enum Command<S: RegistryStruct> {
    FilesChanged,
    ReloadNow(mpsc::Sender<Arc<ReloadReport<S>>>),
    /// `reload_now` from the watcher's own thread (a callback): run after it returns.
    ReloadQueued,
    Stop,
}

/// The latest report, for [`Watcher::next_report`] and [`Watcher::wait_report`].
struct Latest<S: RegistryStruct> {
    attempt: u64,
    report: Option<Arc<ReloadReport<S>>>,
    wakers: Vec<Waker>,
}

struct Shared<S: RegistryStruct> {
    latest: Mutex<Latest<S>>,
    arrived: Condvar,
}

impl<S: RegistryStruct> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, Latest<S>> {
        // A report callback runs outside this lock, so a poisoned lock held only our own state.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, report: Arc<ReloadReport<S>>) {
        let wakers = {
            let mut latest = self.lock();
            latest.attempt = report.attempt;
            latest.report = Some(report);
            std::mem::take(&mut latest.wakers)
        };
        self.arrived.notify_all();
        for waker in wakers {
            waker.wake();
        }
    }
}

/// A running watch of a loader's files, reloading a registry; stops when dropped.
///
/// Build it with [`Loader::watch`] or [`Loader::watch_with`].
pub struct Watcher<R: Registry> {
    shared: Arc<Shared<R::Struct>>,
    commands: mpsc::Sender<Command<R::Struct>>,
    thread: Option<JoinHandle<()>>,
    // Dropped first: no more file events once the watcher goes.
    debouncer: Option<Debouncer<RecommendedWatcher>>,
}

impl<R: Registry> std::fmt::Debug for Watcher<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("attempts", &self.shared.lock().attempt)
            .finish_non_exhaustive()
    }
}

impl<R: Registry> Watcher<R> {
    /// Reloads now, whatever the files' state, and returns the report (also given to the
    /// callback). `None` if the watcher's thread is gone, or if called from a report callback:
    /// the callback runs on the watcher's thread, so the reload is queued to run after it.
    pub fn reload_now(&self) -> Option<Arc<ReloadReport<R::Struct>>> {
        if self.thread.as_ref().map(|t| t.thread().id()) == Some(std::thread::current().id()) {
            let _ = self.commands.send(Command::ReloadQueued);
            return None;
        }
        let (reply, report) = mpsc::channel();
        self.commands.send(Command::ReloadNow(reply)).ok()?;
        report.recv().ok()
    }

    /// The latest report, if any attempt was made.
    pub fn latest_report(&self) -> Option<Arc<ReloadReport<R::Struct>>> {
        self.shared.lock().report.clone()
    }

    /// Blocks until an attempt after attempt number `after` has been reported, then returns the
    /// latest report; `None` if `timeout` passed first.
    pub fn wait_report(
        &self,
        after: u64,
        timeout: Duration,
    ) -> Option<Arc<ReloadReport<R::Struct>>> {
        let latest = self.shared.lock();
        let (latest, _) = self
            .shared
            .arrived
            .wait_timeout_while(latest, timeout, |latest| latest.attempt <= after)
            .unwrap_or_else(PoisonError::into_inner);
        if latest.attempt > after {
            latest.report.clone()
        } else {
            None
        }
    }

    /// A future of the next report after the latest one: awaits a reload without blocking a
    /// thread, on any executor (it is woken by the watcher's thread, not by a runtime).
    pub fn next_report(&self) -> NextReport<R::Struct> {
        NextReport {
            after: self.shared.lock().attempt,
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<R: Registry> Drop for Watcher<R> {
    fn drop(&mut self) {
        drop(self.debouncer.take());
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            // The thread catches every panic of a reload or a callback; a join error could only
            // come from a panic of its own loop, which it then has already reported by dying.
            let _ = thread.join();
        }
    }
}

/// The future of [`Watcher::next_report`].
pub struct NextReport<S: RegistryStruct> {
    after: u64,
    shared: Arc<Shared<S>>,
}

impl<S: RegistryStruct> std::fmt::Debug for NextReport<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextReport")
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl<S: RegistryStruct> Future for NextReport<S> {
    type Output = Arc<ReloadReport<S>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut latest = self.shared.lock();
        if latest.attempt > self.after
            && let Some(report) = &latest.report
        {
            return Poll::Ready(Arc::clone(report));
        }
        if !latest.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            latest.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<R> Loader<R>
where
    R: Registry + Send + Sync + 'static,
    R::Struct: ConfigStruct,
{
    /// Watches the loader's files and reloads `registry` when they change (see the module
    /// docs); read reports with [`Watcher::wait_report`] or [`Watcher::next_report`].
    ///
    /// # Errors
    ///
    /// A file's directory cannot be watched (it does not exist, or the system refuses).
    pub fn watch(self, registry: Arc<R>) -> Result<Watcher<R>, WatchError> {
        self.watch_with(registry, |_| {})
    }

    /// [`watch`](Self::watch), calling `on_report` with every report, on the watcher's thread.
    ///
    /// # Errors
    ///
    /// As [`watch`](Self::watch).
    pub fn watch_with(
        self,
        registry: Arc<R>,
        on_report: impl FnMut(&ReloadReport<R::Struct>) + Send + 'static,
    ) -> Result<Watcher<R>, WatchError> {
        let (commands, received) = mpsc::channel::<Command<R::Struct>>();
        let events = commands.clone();
        let mut debouncer =
            new_debouncer(self.debounce_time(), move |result: DebounceEventResult| {
                // Errors of the system watch are followed by a reload too: reading the files is
                // how the watcher finds out what happened.
                let _ = result;
                let _ = events.send(Command::FilesChanged);
            })
            .map_err(|error| WatchError::new(Path::new("."), &error))?;
        // Each file's directory, and the directory of what a symlinked file points to (a
        // ConfigMap's `..data` swap shows in the first, an edit of a linked file in the second).
        // A directory that does not exist (an optional file's, not created yet) is not watched.
        let files = self.watched_files();
        let mut directories: Vec<PathBuf> = files
            .iter()
            .flat_map(|file| {
                let target = std::fs::canonicalize(file).ok();
                [
                    Some(parent_directory(file)),
                    target.as_deref().map(parent_directory),
                ]
            })
            .flatten()
            .filter(|directory| directory.is_dir())
            .collect();
        directories.sort();
        directories.dedup();
        for directory in &directories {
            debouncer
                .watcher()
                .watch(directory, RecursiveMode::NonRecursive)
                .map_err(|error| WatchError::new(directory, &error))?;
        }
        let shared = Arc::new(Shared {
            latest: Mutex::new(Latest {
                attempt: 0,
                report: None,
                wakers: Vec::new(),
            }),
            arrived: Condvar::new(),
        });
        let mut worker = Worker {
            files,
            loader: self,
            registry,
            shared: Arc::clone(&shared),
            on_report: Box::new(on_report),
            last_files: None,
            attempts: 0,
        };
        // The registry was loaded from the files as they are (call `reload_now` if they may
        // have changed since): the first event that leaves them so reloads nothing.
        worker.last_files = Some(worker.read_files());
        let thread = std::thread::Builder::new()
            .name("syncmap-config-watch".to_owned())
            .spawn(move || worker.run(&received))
            .map_err(|error| WatchError::new(Path::new("."), &error))?;
        Ok(Watcher {
            shared,
            commands,
            thread: Some(thread),
            debouncer: Some(debouncer),
        })
    }
}

/// The directory to watch for `file`: its parent, `.` for a bare file name.
fn parent_directory(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A watcher that could not start: a directory the system refuses to watch.
#[derive(Debug)]
pub struct WatchError {
    path: PathBuf,
    message: String,
}

impl WatchError {
    fn new(path: &Path, error: &dyn std::fmt::Display) -> Self {
        Self {
            path: path.to_owned(),
            message: error.to_string(),
        }
    }

    /// The directory that could not be watched.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot watch {}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for WatchError {}

type Callback<S> = Box<dyn FnMut(&ReloadReport<S>) + Send>;

/// The watcher's thread.
struct Worker<R: Registry> {
    /// The files whose bytes decide whether an event is a change.
    files: Vec<PathBuf>,
    loader: Loader<R>,
    registry: Arc<R>,
    shared: Arc<Shared<R::Struct>>,
    on_report: Callback<R::Struct>,
    /// The files' bytes at the last attempt (`None` for an unreadable one).
    last_files: Option<Vec<Option<Vec<u8>>>>,
    attempts: u64,
}

impl<R> Worker<R>
where
    R: Registry,
    R::Struct: ConfigStruct,
{
    fn run(mut self, commands: &mpsc::Receiver<Command<R::Struct>>) {
        while let Ok(command) = commands.recv() {
            match command {
                Command::FilesChanged => {
                    // Events come in bursts and for other files of the directories: reload
                    // only when the files themselves read differently.
                    let files = self.read_files();
                    if self.last_files.as_ref() != Some(&files) {
                        self.last_files = Some(files);
                        self.attempt(Trigger::Files);
                    }
                }
                Command::ReloadQueued => {
                    self.last_files = Some(self.read_files());
                    self.attempt(Trigger::Manual);
                }
                Command::ReloadNow(reply) => {
                    self.last_files = Some(self.read_files());
                    let report = self.attempt(Trigger::Manual);
                    let _ = reply.send(report);
                }
                Command::Stop => return,
            }
        }
    }

    fn read_files(&self) -> Vec<Option<Vec<u8>>> {
        self.files
            .iter()
            .map(|path| std::fs::read(path).ok())
            .collect()
    }

    fn attempt(&mut self, trigger: Trigger) -> Arc<ReloadReport<R::Struct>> {
        self.attempts += 1;
        let (loader, registry) = (&self.loader, &self.registry);
        let outcome =
            catch_unwind(AssertUnwindSafe(|| loader.reload(registry))).unwrap_or_else(|panic| {
                let message = format!("the reload panicked: {}", panic_message(&*panic));
                Err(ConfigError::new(vec![Problem::new(
                    "",
                    None,
                    ProblemKind::Validation { message },
                )]))
            });
        let report = Arc::new(ReloadReport {
            attempt: self.attempts,
            trigger,
            outcome,
        });
        // Published first, so that the callback sees it as the latest.
        self.shared.publish(Arc::clone(&report));
        let on_report = &mut self.on_report;
        // A panicking callback loses its own report, not the watcher.
        let _ = catch_unwind(AssertUnwindSafe(|| on_report(&report)));
        report
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
