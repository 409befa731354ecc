//! Registries shared through a real `redis-server`, which each test starts on a free port in a
//! temporary directory and stops. Every wait is on an event or a status, with a generous timeout.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use syncmap::config::{Origin, ProblemKind};
use syncmap::fleet::{Fleet, FleetError, FleetOptions, RedisEngine, SyncStatus};
use syncmap::{Registry, SyncRegistry};

const PATIENCE: Duration = Duration::from_secs(20);

#[derive(SyncRegistry, Clone, Debug, PartialEq, serde::Serialize)]
struct Flags {
    #[registry(default = 8080)]
    port: u16,
    #[registry(default)]
    counter: u64,
    #[registry(default)]
    name: String,
}

/// A `redis-server` of this test's own.
struct Server {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    persistent: bool,
}

impl Server {
    fn start(persistent: bool) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let mut server = Self {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
            persistent,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--save", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.persistent {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            command.args(["--appendonly", "no"]);
        }
        let child = command
            .spawn()
            .expect("redis-server (the Debian package redis-server; .ci/run installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        let client = redis::Client::open(self.url()).unwrap();
        while client
            .get_connection_with_timeout(Duration::from_millis(100))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }

    fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn options() -> FleetOptions {
    FleetOptions {
        poll_interval: Duration::from_millis(100),
        ..FleetOptions::default()
    }
}

fn bind(server: &Server, key: &str, initial: Flags) -> Fleet<FlagsRegistry> {
    let registry = Arc::new(FlagsRegistry::new(initial).unwrap());
    let engine = RedisEngine::new(&server.url(), key)
        .unwrap()
        .timeout(Duration::from_millis(500));
    Fleet::bind(registry, engine, options()).unwrap()
}

fn flags(port: u16) -> Flags {
    Flags {
        port,
        counter: 0,
        name: String::new(),
    }
}

/// Waits until `fleet`'s registry satisfies `done`.
fn eventually(fleet: &Fleet<FlagsRegistry>, what: &str, done: impl Fn(&Flags) -> bool) {
    let registry = fleet.registry();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (value, version) = registry.snapshot_with_version();
        if done(&value) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "never {what}: {value:?} at {version}");
        registry.wait_for_change(version, left);
    }
}

#[test]
fn two_registries_see_each_others_writes_at_the_same_version() {
    let server = Server::start(false);
    let a = bind(&server, "app", flags(1));
    // The store now holds A's state: B takes it, whatever B started with.
    let b = bind(&server, "app", flags(2));
    assert_eq!(b.registry().port(), 1);
    let version = a.update(|f| f.name = "from a".to_owned()).unwrap();
    eventually(&b, "sees a's write", |f| f.name == "from a");
    assert_eq!(b.registry().version(), version);
    assert_eq!(a.registry().version(), version);
    b.update(|f| f.port = 3).unwrap();
    eventually(&a, "sees b's write", |f| f.port == 3);
    assert_eq!(a.registry().version(), b.registry().version());
}

#[test]
fn ten_thousand_updates_from_two_writers_are_neither_lost_nor_reordered_nor_doubled() {
    let server = Server::start(false);
    let a = bind(&server, "count", flags(1));
    let b = bind(&server, "count", flags(1));
    // Every change either side publishes, in order: (version, counter).
    type Seen = Arc<(Mutex<Vec<(u64, u64)>>, Condvar)>;
    let seen: [Seen; 2] = [Arc::default(), Arc::default()];
    let _subscriptions: Vec<_> = [&a, &b]
        .iter()
        .zip(&seen)
        .map(|(fleet, seen)| {
            let seen = Arc::clone(seen);
            fleet.registry().subscribe(move |change| {
                let counter =
                    change
                        .field("counter")
                        .and_then(|f| f.new_value())
                        .map(|v| match v {
                            FlagsValue::Counter(n) => *n,
                            other => panic!("not the counter: {other:?}"),
                        });
                if let Some(counter) = counter {
                    seen.0.lock().unwrap().push((change.version(), counter));
                    seen.1.notify_all();
                }
            })
        })
        .collect();
    thread::scope(|scope| {
        for fleet in [&a, &b] {
            scope.spawn(move || {
                for _ in 0..5_000 {
                    loop {
                        match fleet.update(|f| f.counter += 1) {
                            Ok(_) => break,
                            Err(FleetError::Conflict { .. }) => continue,
                            Err(error) => panic!("{error}"),
                        }
                    }
                }
            });
        }
    });
    eventually(&a, "counts to 10,000", |f| f.counter == 10_000);
    eventually(&b, "counts to 10,000", |f| f.counter == 10_000);
    assert_eq!(a.registry().version(), b.registry().version());
    for seen in &seen {
        // A subscriber is called just after the registry publishes: wait for the last change.
        let seen: Vec<(u64, u64)> = seen
            .1
            .wait_timeout_while(seen.0.lock().unwrap(), PATIENCE, |seen| {
                seen.last().map(|s| s.1) != Some(10_000)
            })
            .unwrap()
            .0
            .clone();
        assert_eq!(seen.last().map(|s| s.1), Some(10_000));
        let backwards: Vec<_> = seen
            .windows(2)
            .filter(|w| w[0].0 >= w[1].0 || w[0].1 >= w[1].1)
            .collect();
        assert!(
            backwards.is_empty(),
            "versions and counts only grow: {backwards:?}"
        );
    }
}

#[test]
fn conflicting_writes_with_an_expected_version_let_exactly_one_through() {
    let server = Server::start(false);
    let a = bind(&server, "race", flags(1));
    let b = bind(&server, "race", flags(1));
    let version = a.registry().version();
    assert_eq!(b.registry().version(), version);
    let first = a.store_struct_if(flags(10), version);
    let second = b.store_struct_if(flags(20), version);
    assert!(first.is_ok());
    assert!(
        matches!(second, Err(FleetError::Conflict { expected, found }) if expected == version && found == version + 1),
        "{second:?}"
    );
    eventually(&b, "takes a's write", |f| f.port == 10);
}

#[test]
fn a_server_killed_and_restarted_empty_gets_the_fleets_state_back() {
    let mut server = Server::start(false);
    let a = bind(&server, "lost", flags(1));
    let b = bind(&server, "lost", flags(1));
    a.update(|f| f.name = "kept".to_owned()).unwrap();
    eventually(&b, "sees the write", |f| f.name == "kept");
    let before = a.registry().version();

    server.kill9();
    let stale = a.wait_status(PATIENCE, SyncStatus::is_stale);
    assert!(stale.is_stale(), "{stale:?}");
    assert!(matches!(
        a.update(|f| f.port = 9),
        Err(FleetError::Engine(_))
    ));
    assert_eq!(a.registry().name(), "kept", "reads go on");

    server.spawn();
    for fleet in [&a, &b] {
        let status = fleet.wait_status(
            PATIENCE,
            |s| matches!(s, SyncStatus::Synced { version, .. } if *version > before),
        );
        assert!(status.is_synced(), "{status:?}");
    }
    assert_eq!(a.registry().version(), b.registry().version());
    let stored: String = redis::cmd("HGET")
        .arg("lost")
        .arg("f:name")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(stored, "\"kept\"", "the state was published again");
    b.update(|f| f.port = 5).unwrap();
    eventually(&a, "sees writes again", |f| f.port == 5);
}

#[test]
fn a_persistent_server_killed_and_restarted_keeps_its_version() {
    let mut server = Server::start(true);
    let a = bind(&server, "kept", flags(1));
    let version = a.update(|f| f.port = 7).unwrap();
    server.kill9();
    server.spawn();
    let status = a.wait_status(PATIENCE, |s| {
        matches!(s, SyncStatus::Synced { confirmed, .. } if confirmed.elapsed() < Duration::from_millis(50))
    });
    assert!(status.is_synced(), "{status:?}");
    assert_eq!(a.registry().version(), version);
    assert_eq!(a.update(|f| f.port = 8).unwrap(), version + 1);
}

#[test]
fn a_paused_server_makes_the_status_stale_until_it_resumes() {
    let server = Server::start(false);
    let a = bind(&server, "pause", flags(1));
    server.signal("-STOP");
    let stale = a.wait_status(PATIENCE, SyncStatus::is_stale);
    assert!(stale.is_stale(), "{stale:?}");
    assert_eq!(a.registry().port(), 1);
    server.signal("-CONT");
    let synced = a.wait_status(PATIENCE, SyncStatus::is_synced);
    assert!(synced.is_synced(), "{synced:?}");
    a.update(|f| f.port = 2).unwrap();
}

#[test]
fn a_malformed_value_from_another_client_is_reported_and_the_last_good_value_stays() {
    let server = Server::start(false);
    let a = bind(&server, "bad", flags(1));
    let mut other = server.connection();
    let _: () = redis::pipe()
        .atomic()
        .hset("bad", "f:port", "\"eighty\"")
        .hincr("bad", "__version", 1)
        .publish("bad:changes", "x")
        .query(&mut other)
        .unwrap();
    let stale = a.wait_status(PATIENCE, SyncStatus::is_stale);
    assert!(stale.is_stale(), "{stale:?}");
    assert_eq!(a.registry().port(), 1);
    let error = a.last_error().expect("the problems of the bad state");
    let problem = &error.problems()[0];
    assert_eq!(problem.path(), "port");
    assert_eq!(
        problem.origin(),
        Some(&Origin::Remote {
            field: "port".to_owned()
        })
    );
    assert!(matches!(problem.kind(), ProblemKind::Invalid { .. }));
    // A good write repairs it.
    a.store_struct(flags(4)).unwrap();
    assert!(a.wait_status(PATIENCE, SyncStatus::is_synced).is_synced());
    assert_eq!(a.registry().port(), 4);
}

/// The other process of `two_processes_share_one_registry`.
#[test]
#[ignore = "run as a child process by two_processes_share_one_registry"]
fn fleet_child_process() {
    let Ok(url) = std::env::var("SYNCMAP_FLEET_CHILD_URL") else {
        return;
    };
    let registry = Arc::new(FlagsRegistry::new(flags(0)).unwrap());
    let engine = RedisEngine::new(&url, "procs").unwrap();
    let fleet = Fleet::bind(registry, engine, options()).unwrap();
    fleet.update(|f| f.name = "child".to_owned()).unwrap();
    eventually(&fleet, "sees the parent's port", |f| f.port == 4242);
}

#[test]
fn two_processes_share_one_registry() {
    let server = Server::start(false);
    let parent = bind(&server, "procs", flags(1));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "fleet_child_process", "--nocapture"])
        .env("SYNCMAP_FLEET_CHILD_URL", server.url())
        .spawn()
        .unwrap();
    eventually(&parent, "sees the child's write", |f| f.name == "child");
    parent.update(|f| f.port = 4242).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "the child saw the parent's write"
    );
}

#[test]
fn instances_binding_at_once_to_an_empty_store_all_succeed_on_one_state() {
    let server = Server::start(false);
    for round in 0..10 {
        let key = format!("bind-race-{round}");
        let barrier = std::sync::Barrier::new(3);
        let fleets: Vec<Fleet<FlagsRegistry>> = thread::scope(|scope| {
            let binds: Vec<_> = (0..3u16)
                .map(|n| {
                    let (key, barrier, url) = (&key, &barrier, server.url());
                    scope.spawn(move || {
                        let registry = Arc::new(FlagsRegistry::new(flags(n)).unwrap());
                        let engine = RedisEngine::new(&url, key.as_str()).unwrap();
                        barrier.wait();
                        Fleet::bind(registry, engine, options())
                    })
                })
                .collect();
            binds
                .into_iter()
                .map(|bind| bind.join().unwrap().expect("every bind succeeds"))
                .collect()
        });
        let ports: Vec<u16> = fleets.iter().map(|f| f.registry().port()).collect();
        assert!(
            ports.iter().all(|p| *p == ports[0]),
            "one state won: {ports:?}"
        );
    }
}

#[test]
fn notifications_still_arrive_after_waits_that_timed_out() {
    use syncmap::fleet::Engine;
    let server = Server::start(false);
    let engine = RedisEngine::new(&server.url(), "quiet").unwrap();
    for _ in 0..5 {
        assert!(
            !engine.wait(Duration::from_millis(20)).unwrap(),
            "nothing was published"
        );
    }
    let _: i64 = redis::cmd("PUBLISH")
        .arg("quiet:changes")
        .arg("1")
        .query(&mut server.connection())
        .unwrap();
    // Before the fix, each timed-out wait made the connection skip one later message.
    assert!(engine.wait(PATIENCE).unwrap(), "the notification was lost");
}

#[derive(SyncRegistry, Clone, Debug, serde::Serialize)]
struct WithSecret {
    #[registry(default)]
    port: u16,
    #[registry(secret)]
    #[serde(skip_serializing)]
    token: Option<syncmap::SecretString>,
}

#[test]
fn secret_fields_stay_local_and_never_print() {
    use syncmap::ExposeSecret;
    let server = Server::start(false);
    let bind_with = |token: &str| {
        let registry = WithSecretRegistry::new(WithSecret {
            port: 1,
            token: Some(token.into()),
        })
        .unwrap();
        let engine = RedisEngine::new(&server.url(), "secret").unwrap();
        Fleet::bind(Arc::new(registry), engine, options()).unwrap()
    };
    let a = bind_with("hunter2");
    let b = bind_with("swordfish");
    a.update(|c| c.port = 2).unwrap();
    let registry = b.registry();
    let deadline = Instant::now() + PATIENCE;
    while registry.port() != 2 {
        assert!(Instant::now() < deadline, "b never saw a's write");
        registry.wait_for_change(registry.version(), PATIENCE);
    }
    // Each instance keeps its own secret; the store never saw either.
    let token = |fleet: &Fleet<WithSecretRegistry>| {
        fleet
            .registry()
            .token()
            .map(|t| t.expose_secret().to_owned())
    };
    assert_eq!(token(&a).as_deref(), Some("hunter2"));
    assert_eq!(token(&b).as_deref(), Some("swordfish"));
    let stored: Vec<String> = redis::cmd("HGETALL")
        .arg("secret")
        .query(&mut server.connection())
        .unwrap();
    let printed = format!(
        "{stored:?} {a:?} {:?} {:?} {:?} {:?}",
        a.sync_status(),
        a.registry(),
        a.registry().snapshot(),
        a.registry().changes_since(0).changes()
    );
    for secret in ["hunter2", "swordfish"] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
}
