//! The environment layer, with real environment variables. One test in its own binary: setting
//! variables while another thread reads the environment is undefined behaviour, so nothing else
//! runs here.

use std::collections::BTreeMap;
use std::fs;

use syncmap::config::{Loader, Origin, ProblemKind};
use syncmap::{ExposeSecret, SecretString, SyncRegistry};

#[derive(SyncRegistry, Clone, Debug)]
struct Pool {
    #[registry(default = 10)]
    max_size: u32,
}

#[derive(SyncRegistry, Clone, Debug)]
struct Database {
    url: String,
    #[registry(nested)]
    pool: Pool,
    #[registry(secret)]
    password: Option<SecretString>,
}

#[derive(SyncRegistry, Clone, Debug)]
struct App {
    #[registry(env = "PORT")]
    port: u16,
    log_level: Option<String>,
    allowed_hosts: Vec<String>,
    #[registry(map)]
    limits: BTreeMap<String, u32>,
    #[registry(nested)]
    database: Database,
}

fn set(vars: &[(&str, &str)]) {
    for (name, value) in vars {
        // SAFETY: this binary's only test sets variables before it reads any, on its one
        // thread; no other thread of the process reads the environment meanwhile.
        unsafe { std::env::set_var(name, value) };
    }
}

fn unset(names: &[&str]) {
    for name in names {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(name) };
    }
}

fn env(var: &str) -> Origin {
    Origin::Env {
        var: var.to_owned(),
    }
}

#[test]
fn environment_variables_set_nested_optional_list_map_and_secret_fields() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("db_password");
    fs::write(&secret_file, "s3cret\n").unwrap();
    set(&[
        ("PORT", "9090"),
        ("SVC_LOG_LEVEL", "debug"),
        ("SVC_ALLOWED_HOSTS", "a.example, b.example"),
        ("SVC_LIMITS", "eu=5,us=7"),
        ("SVC_DATABASE__URL", "postgres://db"),
        ("SVC_DATABASE__POOL__MAX_SIZE", "32"),
        ("SVC_DATABASE__PASSWORD_FILE", secret_file.to_str().unwrap()),
    ]);
    let loader = Loader::<AppRegistry>::new().env_prefix("SVC");
    assert_eq!(
        loader.env_var("database.pool.max_size"),
        "SVC_DATABASE__POOL__MAX_SIZE"
    );
    assert_eq!(loader.env_var("port"), "PORT");

    let (app, provenance) = loader.load().unwrap();
    assert_eq!(app.port(), 9090);
    assert_eq!(app.log_level().as_deref(), Some("debug"));
    assert_eq!(app.allowed_hosts(), ["a.example", "b.example"]);
    assert_eq!(app.limits("us"), Some(7));
    assert_eq!(app.database().url(), "postgres://db");
    assert_eq!(app.database().pool().max_size(), 32);
    let password = app.database().password().unwrap();
    assert_eq!(password.expose_secret(), "s3cret");
    assert_eq!(provenance.get("port"), Some(&env("PORT")));
    assert_eq!(
        provenance.get("database.pool.max_size"),
        Some(&env("SVC_DATABASE__POOL__MAX_SIZE"))
    );
    assert_eq!(
        provenance.get("database.password"),
        Some(&Origin::EnvFile {
            var: "SVC_DATABASE__PASSWORD_FILE".to_owned(),
            path: secret_file.as_path().into(),
        })
    );

    // An override beats the environment; a bad value names its variable.
    let with_flag = Loader::<AppRegistry>::new()
        .env_prefix("SVC")
        .set_labeled("port", 1, "--port");
    let (app, _) = with_flag.load().unwrap();
    assert_eq!(app.port(), 1);
    set(&[("SVC_DATABASE__POOL__MAX_SIZE", "many")]);
    let error = loader.load().unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.path(), "database.pool.max_size");
    assert_eq!(problem.origin(), Some(&env("SVC_DATABASE__POOL__MAX_SIZE")));
    assert!(
        error
            .to_string()
            .contains("environment variable SVC_DATABASE__POOL__MAX_SIZE")
    );

    // A secret given twice is refused, and its value is never shown.
    set(&[
        ("SVC_DATABASE__POOL__MAX_SIZE", "32"),
        ("SVC_DATABASE__PASSWORD", "other-secret"),
    ]);
    let error = loader.load().unwrap_err();
    assert!(matches!(
        error.problems()[0].kind(),
        ProblemKind::Conflict { .. }
    ));
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains("other-secret") && !text.contains("s3cret"),
        "{text}"
    );

    // A variable with the prefix that sets no field is a typo.
    unset(&["SVC_DATABASE__PASSWORD"]);
    set(&[("SVC_LOG_LEVL", "info")]);
    let error = loader.load().unwrap_err();
    assert!(
        matches!(
            error.problems()[0].kind(),
            ProblemKind::UnknownKey { key, did_you_mean: Some(guess) }
                if key == "SVC_LOG_LEVL" && guess == "SVC_LOG_LEVEL"
        ),
        "{error}"
    );
    unset(&["SVC_LOG_LEVL"]);

    // A rotated secret file is reloaded by the watcher.
    let (app, _) = loader.load().unwrap();
    let app = std::sync::Arc::new(app);
    let watcher = Loader::<AppRegistry>::new()
        .env_prefix("SVC")
        .debounce(std::time::Duration::from_millis(50))
        .watch(std::sync::Arc::clone(&app))
        .unwrap();
    let rotated = dir.path().join("rotated");
    fs::write(&rotated, "n3w\n").unwrap();
    fs::rename(&rotated, &secret_file).unwrap();
    let mut after = 0;
    while app.database().password().unwrap().expose_secret() != "n3w" {
        let report = watcher
            .wait_report(after, std::time::Duration::from_secs(20))
            .expect("a reload after the secret file changed");
        after = report.attempt;
    }
    drop(watcher);

    // A required field no source sets names the variable that would.
    unset(&["SVC_DATABASE__URL"]);
    let error = loader.load().unwrap_err();
    assert!(matches!(
        error.problems()[0].kind(),
        ProblemKind::Missing { env_var: Some(env_var) } if env_var == "SVC_DATABASE__URL"
    ));
}
