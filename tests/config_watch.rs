//! Watching configuration files: real files in temporary directories, changed the ways editors,
//! deploy tools and Kubernetes change them. Every wait is on an event, with a generous timeout.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use syncmap::config::{Loader, ProblemKind, ReloadReport, Trigger, Watcher};
use syncmap::{Registry, SyncRegistry};

/// Long enough for a loaded CI machine; the tests wait on events, so a fast machine is fast.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Limits {
    rate: u32,
    burst: u32,
    #[registry(restart_required)]
    threads: u32,
}

fn text(rate: u32, burst: u32, threads: u32) -> String {
    format!("rate = {rate}\nburst = {burst}\nthreads = {threads}\n")
}

struct Setup {
    _dir: tempfile::TempDir,
    file: PathBuf,
    registry: Arc<LimitsRegistry>,
    watcher: Watcher<LimitsRegistry>,
}

fn setup_at(dir: tempfile::TempDir, file: PathBuf) -> Setup {
    let loader = Loader::<LimitsRegistry>::new()
        .file(&file)
        .debounce(Duration::from_millis(50));
    let (registry, _) = loader.load().unwrap();
    let registry = Arc::new(registry);
    let watcher = loader.watch(Arc::clone(&registry)).unwrap();
    Setup {
        _dir: dir,
        file,
        registry,
        watcher,
    }
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("limits.toml");
    fs::write(&file, text(1, 1, 1)).unwrap();
    setup_at(dir, file)
}

impl Setup {
    /// The next report after attempt `after`; fails the test after [`PATIENCE`].
    fn report_after(&self, after: u64) -> Arc<ReloadReport<Limits>> {
        self.watcher
            .wait_report(after, PATIENCE)
            .unwrap_or_else(|| panic!("no reload after attempt {after}"))
    }

    /// Reports until one has published `rate`, returning it.
    fn until_rate(&self, rate: u32) -> Arc<ReloadReport<Limits>> {
        let mut after = 0;
        loop {
            let report = self.report_after(after);
            after = report.attempt;
            if self.registry.rate() == rate {
                return report;
            }
        }
    }
}

/// Replaces `path`'s content at once (write a sibling, rename it over), so that no reload can
/// read a half-written file.
fn replace(path: &Path, content: &str) {
    let temporary = path.with_extension("tmp");
    fs::write(&temporary, content).unwrap();
    fs::rename(&temporary, path).unwrap();
}

fn changed_paths(report: &ReloadReport<Limits>) -> Vec<String> {
    let reload = report.outcome.as_ref().expect("a successful reload");
    let change = reload.change.as_ref().expect("a change");
    change.fields().iter().map(|f| f.path()).collect()
}

#[test]
fn an_atomic_rename_over_the_file_reloads_only_what_changed() {
    let s = setup();
    replace(&s.file, &text(2, 1, 1));
    let report = s.until_rate(2);
    assert_eq!(report.trigger, Trigger::Files);
    assert_eq!(changed_paths(&report), ["rate"]);
    assert!(report.restart_required().is_empty());
    assert_eq!(s.registry.burst(), 1);
}

#[test]
fn a_truncate_and_rewrite_in_place_reloads() {
    let s = setup();
    fs::write(&s.file, text(3, 3, 1)).unwrap();
    let report = s.until_rate(3);
    assert_eq!(changed_paths(&report), ["rate", "burst"]);
}

#[test]
fn a_kubernetes_symlink_swap_reloads() {
    // ConfigMap volumes: `limits.toml -> ..data/limits.toml`, `..data -> ..<timestamp>`; an
    // update writes a new timestamped directory and renames a new `..data` link over the old.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let version = |name: &str, content: &str| {
        fs::create_dir(root.join(name)).unwrap();
        fs::write(root.join(name).join("limits.toml"), content).unwrap();
    };
    version("..2026_01", &text(1, 1, 1));
    std::os::unix::fs::symlink("..2026_01", root.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/limits.toml", root.join("limits.toml")).unwrap();
    let s = setup_at(dir, root.join("limits.toml"));
    let root = root.as_path();

    version("..2026_02", &text(4, 1, 8));
    std::os::unix::fs::symlink("..2026_02", root.join("..data_tmp")).unwrap();
    fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
    let report = s.until_rate(4);
    assert_eq!(changed_paths(&report), ["rate", "threads"]);
    assert_eq!(report.restart_required(), ["threads"]);
}

#[test]
fn a_deleted_file_is_an_error_until_it_comes_back() {
    let s = setup();
    fs::remove_file(&s.file).unwrap();
    let report = s.report_after(0);
    let error = report
        .outcome
        .as_ref()
        .expect_err("a deleted file is an error");
    assert!(matches!(error.problems()[0].kind(), ProblemKind::Io { .. }));
    assert_eq!(s.registry.rate(), 1, "the last good values stay");
    replace(&s.file, &text(5, 1, 1));
    s.until_rate(5);
}

#[test]
fn an_invalid_edit_keeps_the_old_values_and_reports_the_line() {
    let s = setup();
    let version = s.registry.version();
    replace(&s.file, "rate = 6\nburst = \"lots\"\nthreads = 1\n");
    let report = s.report_after(0);
    let error = report.outcome.as_ref().expect_err("an invalid edit");
    let problem = &error.problems()[0];
    assert_eq!(problem.path(), "burst");
    assert!(
        problem
            .origin()
            .unwrap()
            .to_string()
            .ends_with("limits.toml:2:9"),
        "{error}"
    );
    assert_eq!((s.registry.rate(), s.registry.version()), (1, version));
}

#[test]
fn a_hundred_rapid_edits_end_with_the_last_content_in_far_fewer_reloads() {
    let s = setup();
    for rate in 1..=100 {
        fs::write(&s.file, text(rate, 1, 1)).unwrap();
    }
    let report = s.until_rate(100);
    assert!(
        report.attempt < 50,
        "{} reloads for 100 edits",
        report.attempt
    );
}

#[test]
fn reload_now_and_an_unchanged_file_publish_nothing() {
    let s = setup();
    let version = s.registry.version();
    let report = s.watcher.reload_now().expect("the watcher runs");
    assert_eq!(report.trigger, Trigger::Manual);
    let reload = report.outcome.as_ref().unwrap();
    assert!(reload.change.is_none());
    assert_eq!(reload.version, version);
}

/// A waker that unparks the thread that polls.
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

#[test]
fn a_future_awaits_the_next_report_on_any_executor() {
    let s = setup();
    let mut next = Box::pin(s.watcher.next_report());
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    assert!(next.as_mut().poll(&mut cx).is_pending());
    replace(&s.file, &text(7, 1, 1));
    let deadline = std::time::Instant::now() + PATIENCE;
    let report = loop {
        if let Poll::Ready(report) = next.as_mut().poll(&mut cx) {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "never woken");
        thread::park_timeout(PATIENCE);
    };
    assert_eq!(changed_paths(&report), ["rate"]);
}

#[test]
fn a_panicking_callback_loses_its_report_not_the_watcher_and_drop_stops_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("limits.toml");
    fs::write(&file, text(1, 1, 1)).unwrap();
    let loader = Loader::<LimitsRegistry>::new().file(&file);
    let (registry, _) = loader.load().unwrap();
    let registry = Arc::new(registry);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let first = AtomicBool::new(true);
    let watcher = {
        let seen = Arc::clone(&seen);
        loader
            .watch_with(Arc::clone(&registry), move |report| {
                assert!(
                    !first.swap(false, Ordering::SeqCst),
                    "the first report panics"
                );
                seen.lock().unwrap().push(report.attempt);
            })
            .unwrap()
    };
    watcher.reload_now().unwrap();
    watcher.reload_now().unwrap();
    assert_eq!(*seen.lock().unwrap(), [2]);
    drop(watcher);
    // The callback (and its clone of `seen`) lived on the watcher's thread: it is gone.
    assert_eq!(Arc::strong_count(&seen), 1);
}

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Pair {
    left: u64,
    right: u64,
}

#[test]
fn readers_never_see_a_torn_struct_during_a_thousand_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pair.toml");
    let write =
        |path: &Path, n: u64| fs::write(path, format!("left = {n}\nright = {n}\n")).unwrap();
    write(&file, 0);
    let loader = Loader::<PairRegistry>::new().file(&file);
    let (registry, _) = loader.load().unwrap();
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut snapshots = 0u64;
                while !done.load(Ordering::Relaxed) || snapshots == 0 {
                    let pair = registry.snapshot();
                    assert_eq!(pair.left, pair.right, "a torn snapshot");
                    snapshots += 1;
                }
            });
        }
        for n in 1..=1000 {
            write(&file, n);
            let reload = loader.reload(&registry).unwrap();
            assert_eq!(reload.change.map(|c| c.fields().len()), Some(2));
        }
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(
        registry.snapshot(),
        Pair {
            left: 1000,
            right: 1000
        }
    );
}

#[test]
fn a_callback_may_ask_for_a_reload_without_deadlocking_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("limits.toml");
    fs::write(&file, text(1, 1, 1)).unwrap();
    let loader = Loader::<LimitsRegistry>::new().file(&file);
    let (registry, _) = loader.load().unwrap();
    let handle: Arc<Mutex<Option<Arc<Watcher<LimitsRegistry>>>>> = Arc::default();
    let watcher = {
        let handle = Arc::clone(&handle);
        loader
            .watch_with(Arc::new(registry), move |report| {
                if report.attempt == 1 {
                    let watcher = handle.lock().unwrap().clone().expect("set below");
                    // On the watcher's own thread: queued, not waited for.
                    assert!(watcher.reload_now().is_none());
                }
            })
            .unwrap()
    };
    let watcher = Arc::new(watcher);
    *handle.lock().unwrap() = Some(Arc::clone(&watcher));
    watcher.reload_now().unwrap();
    let second = watcher
        .wait_report(1, PATIENCE)
        .expect("the queued reload ran");
    assert_eq!(second.attempt, 2);
    handle.lock().unwrap().take();
}

#[test]
fn an_edit_of_the_file_a_symlink_points_to_in_another_directory_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let (links, targets) = (dir.path().join("links"), dir.path().join("targets"));
    fs::create_dir(&links).unwrap();
    fs::create_dir(&targets).unwrap();
    fs::write(targets.join("limits.toml"), text(1, 1, 1)).unwrap();
    std::os::unix::fs::symlink(targets.join("limits.toml"), links.join("limits.toml")).unwrap();
    let s = setup_at(dir, links.join("limits.toml"));
    replace(&targets.join("limits.toml"), &text(9, 1, 1));
    s.until_rate(9);
}
