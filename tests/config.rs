//! Loading registries from layered sources: files in every format, overrides, defaults,
//! provenance, errors that say where, and reloads that publish only what changed.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use syncmap::config::{ConfigError, Loader, Origin, ProblemKind};
use syncmap::{ExposeSecret, Registry, SecretString, SyncRegistry};

/// A value of a field: read by its own `Deserialize`, so its defaults are serde's.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
struct Backend {
    host: String,
    #[serde(default = "one")]
    weight: u32,
}

fn one() -> u32 {
    1
}

#[derive(SyncRegistry, Clone, Debug, PartialEq)]
struct Pool {
    /// Connections kept open.
    #[registry(default = 10, validate = check_pool_size)]
    size: u32,
    timeout_ms: u64,
}

fn check_pool_size(size: &u32) -> Result<(), String> {
    if *size == 0 {
        Err("must be at least 1".to_owned())
    } else {
        Ok(())
    }
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
struct Service {
    #[registry(default = 8080)]
    port: u16,
    name: String,
    tags: Vec<String>,
    replicas: Option<u32>,
    backends: Vec<Backend>,
    #[registry(map)]
    limits: HashMap<String, u32>,
    #[registry(nested)]
    database: Database,
}

/// A fresh directory for one test, removed when dropped.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("a temporary directory"))
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        fs::write(&path, text).expect("write a config file");
        path
    }
}

const BASE_TOML: &str = r#"name = "edge"
tags = ["a", "b"]

[[backends]]
host = "10.0.0.1"

[limits]
eu = 5
us = 7

[database]
url = "postgres://db"
password = "hunter2"

[database.pool]
timeout_ms = 250
"#;

fn file_origin(path: &Path, line: u32, column: u32) -> Origin {
    Origin::File {
        path: path.into(),
        line,
        column,
    }
}

#[test]
fn a_file_fills_every_layer_below_it_and_defaults_fill_the_rest() {
    let dir = Dir::new();
    let base = dir.write("base.toml", BASE_TOML);
    let (config, provenance) = Loader::<ServiceRegistry>::new().file(&base).load().unwrap();
    assert_eq!(config.port(), 8080);
    assert_eq!(config.name(), "edge");
    assert_eq!(config.tags(), ["a", "b"]);
    assert_eq!(config.replicas(), None);
    assert_eq!(
        config.backends(),
        [Backend {
            host: "10.0.0.1".to_owned(),
            weight: 1
        }]
    );
    assert_eq!(config.limits("eu"), Some(5));
    assert_eq!(config.database().pool().size(), 10);
    assert_eq!(config.database().pool().timeout_ms(), 250);
    assert_eq!(
        config
            .database()
            .password()
            .map(|p| p.expose_secret().to_owned()),
        Some("hunter2".to_owned())
    );

    assert_eq!(provenance.get("port"), Some(&Origin::Default));
    assert_eq!(provenance.get("name"), Some(&file_origin(&base, 1, 8)));
    assert_eq!(
        provenance.get("database.pool.timeout_ms"),
        Some(&file_origin(&base, 16, 14))
    );
    assert_eq!(provenance.get("database.pool.size"), Some(&Origin::Default));
    assert_eq!(
        provenance.get("limits[\"us\"]"),
        Some(&file_origin(&base, 9, 6))
    );
    let table = provenance.to_string();
    assert!(table.contains("database.pool.timeout_ms"), "{table}");
    assert!(!table.contains("hunter2"), "{table}");
}

#[test]
fn later_files_and_overrides_win_field_by_field() {
    let dir = Dir::new();
    let base = dir.write("base.toml", BASE_TOML);
    let local = dir.write(
        "local.json",
        r#"{"port": 9000, "database": {"pool": {"size": 3}}}"#,
    );
    let (config, provenance) = Loader::<ServiceRegistry>::new()
        .file(&base)
        .optional_file(&local)
        .optional_file(dir.0.path().join("absent.yaml"))
        .set_labeled("name", "core", "--name")
        .set("limits", "eu=1,ap=2")
        .load()
        .unwrap();
    assert_eq!(config.port(), 9000);
    assert_eq!(config.database().pool().size(), 3);
    assert_eq!(config.database().pool().timeout_ms(), 250);
    assert_eq!(config.database().url(), "postgres://db");
    assert_eq!(config.name(), "core");
    // A map set as a whole replaces the file's map.
    assert_eq!(config.limits("us"), None);
    assert_eq!(config.limits("ap"), Some(2));
    assert_eq!(provenance.get("port"), Some(&file_origin(&local, 1, 10)));
    assert_eq!(
        provenance.get("name"),
        Some(&Origin::Override {
            label: "--name".to_owned()
        })
    );
}

fn problems_of(error: &ConfigError) -> Vec<(String, Option<Origin>, ProblemKind)> {
    error
        .problems()
        .iter()
        .map(|p| (p.path().to_owned(), p.origin().cloned(), p.kind().clone()))
        .collect()
}

#[test]
fn one_load_reports_every_problem_with_its_path_and_position() {
    let dir = Dir::new();
    let bad = dir.write(
        "bad.toml",
        r#"prot = 1
port = "http"
tags = ["a", 2]
[[backends]]
hots = "x"
[database]
url = "postgres://db"
[database.pool]
timeout_ms = -5
"#,
    );
    let error = Loader::<ServiceRegistry>::new()
        .file(&bad)
        .load()
        .unwrap_err();
    let problems = problems_of(&error);
    let find = |path: &str| {
        problems
            .iter()
            .find(|(p, _, _)| p == path)
            .unwrap_or_else(|| panic!("no problem at {path}: {error}"))
    };
    assert_eq!(
        find("prot").2,
        ProblemKind::UnknownKey {
            key: "prot".to_owned(),
            did_you_mean: Some("port".to_owned())
        }
    );
    assert_eq!(find("prot").1, Some(file_origin(&bad, 1, 1)));
    assert_eq!(find("port").1, Some(file_origin(&bad, 2, 8)));
    assert_eq!(find("tags[1]").1, Some(file_origin(&bad, 3, 14)));
    assert_eq!(
        find("database.pool.timeout_ms").1,
        Some(file_origin(&bad, 9, 14))
    );
    assert!(matches!(
        &find("name").2,
        ProblemKind::Missing { env_var: None }
    ));
    // A typo inside a value's own struct is caught too, with a suggestion.
    assert_eq!(
        find("backends[0].hots").2,
        ProblemKind::UnknownKey {
            key: "hots".to_owned(),
            did_you_mean: Some("host".to_owned())
        }
    );
    let text = error.to_string();
    assert!(
        text.contains(&format!("{}:2:8: `port`: ", bad.display())),
        "{text}"
    );
}

#[test]
fn unknown_keys_can_be_allowed() {
    let dir = Dir::new();
    let file = dir.write(
        "extra.toml",
        &format!("{BASE_TOML}\n[extra]\nanything = 1\n"),
    );
    let loader = Loader::<ServiceRegistry>::new().file(&file);
    let error = loader.load().unwrap_err();
    assert!(matches!(
        error.problems()[0].kind(),
        ProblemKind::UnknownKey { key, did_you_mean: None } if key == "extra"
    ));
    assert!(loader.allow_unknown_keys().load().is_ok());
}

/// The same mistake in each format: the value of `port` at line 3, column 11.
#[test]
fn positions_are_exact_in_every_format() {
    let dir = Dir::new();
    let cases = [
        ("c.toml", "name = \"x\"\n\nport    = true\n"),
        ("c.json", "{\"name\": \"x\",\n\n\"port\":   true}\n"),
        ("c.yaml", "name: x\n\nport:     true\n"),
    ];
    for (name, text) in cases {
        let file = dir.write(name, text);
        let error = Loader::<PoolOnlyRegistry>::new()
            .file(&file)
            .load()
            .unwrap_err();
        let problems = problems_of(&error);
        assert_eq!(problems.len(), 1, "{name}: {error}");
        assert_eq!(problems[0].0, "port", "{name}");
        assert_eq!(
            problems[0].1,
            Some(file_origin(&file, 3, 11)),
            "{name}: {error}"
        );
    }
}

#[derive(SyncRegistry, Clone, Debug)]
struct PoolOnly {
    name: String,
    port: u16,
}

#[test]
fn syntax_errors_give_the_file_line_and_column() {
    let dir = Dir::new();
    let cases = [
        ("s.toml", "name = \"x\"\nport = = 1\n", 2),
        ("s.json", "{\"name\": \"x\",\n \"port\": }\n", 2),
        ("s.yaml", "name: x\nport: [1, 2\n", 3),
    ];
    for (name, text, line) in cases {
        let file = dir.write(name, text);
        let error = Loader::<PoolOnlyRegistry>::new()
            .file(&file)
            .load()
            .unwrap_err();
        let problem = &error.problems()[0];
        assert!(
            matches!(problem.kind(), ProblemKind::Syntax { .. }),
            "{name}: {error}"
        );
        match problem.origin() {
            Some(Origin::File { line: at, .. }) => assert_eq!(*at, line, "{name}: {error}"),
            other => panic!("{name}: no position: {other:?}"),
        }
    }
}

#[test]
fn a_missing_file_is_an_error_and_an_unknown_extension_too() {
    let dir = Dir::new();
    let error = Loader::<PoolOnlyRegistry>::new()
        .file(dir.0.path().join("absent.toml"))
        .load()
        .unwrap_err();
    assert!(matches!(error.problems()[0].kind(), ProblemKind::Io { .. }));
    let ini = dir.write("c.ini", "name = x");
    let error = Loader::<PoolOnlyRegistry>::new()
        .file(&ini)
        .load()
        .unwrap_err();
    assert!(error.to_string().contains("unknown format"), "{error}");
}

#[test]
fn a_validator_refusal_names_the_value_it_refused_and_where() {
    let dir = Dir::new();
    let file = dir.write("v.toml", &format!("{BASE_TOML}size = 0\n"));
    let error = Loader::<ServiceRegistry>::new()
        .file(&file)
        .load()
        .unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.path(), "database.pool.size");
    assert_eq!(problem.origin(), Some(&file_origin(&file, 17, 8)));
    assert!(matches!(
        problem.kind(),
        ProblemKind::Validation { message } if message == "must be at least 1"
    ));
}

#[test]
fn a_secret_never_appears_in_an_error() {
    let dir = Dir::new();
    let file = dir.write(
        "s.toml",
        &BASE_TOML.replace("password = \"hunter2\"", "password = [\"hunter2\"]"),
    );
    let error = Loader::<ServiceRegistry>::new()
        .file(&file)
        .load()
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert_eq!(error.problems()[0].path(), "database.password");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn reload_publishes_only_changed_fields_as_one_change_or_nothing() {
    let dir = Dir::new();
    let file = dir.write("r.toml", BASE_TOML);
    let loader = Loader::<ServiceRegistry>::new().file(&file);
    let (config, _) = loader.load().unwrap();
    let before = config.version();

    fs::write(
        &file,
        BASE_TOML.replace("timeout_ms = 250", "timeout_ms = 500"),
    )
    .unwrap();
    let reload = loader.reload(&config).unwrap();
    assert_eq!(reload.version, before + 1);
    let change = reload.change.expect("one change");
    let paths: Vec<String> = change.fields().iter().map(|f| f.path()).collect();
    assert_eq!(paths, ["database.pool.timeout_ms"]);
    assert_eq!(config.database().pool().timeout_ms(), 500);

    // The same content again: no version, no change.
    let again = loader.reload(&config).unwrap();
    assert_eq!(again.version, before + 1);
    assert!(again.change.is_none());

    // A bad edit changes nothing and says why.
    fs::write(
        &file,
        BASE_TOML.replace("timeout_ms = 250", "timeout_ms = \"soon\""),
    )
    .unwrap();
    let error = loader.reload(&config).unwrap_err();
    assert_eq!(error.problems()[0].path(), "database.pool.timeout_ms");
    assert_eq!(config.version(), before + 1);
    assert_eq!(config.database().pool().timeout_ms(), 500);
}

#[test]
fn the_template_documents_every_field_and_reads_back_as_the_defaults() {
    let template = Loader::<ServiceRegistry>::new()
        .env_prefix("APP")
        .template();
    for expected in [
        "# Type: u16. Environment: APP_PORT.\n#port = 8080\n",
        "# Required: no default; set it.\n#name =\n",
        "# Optional.\n#replicas =\n",
        "#[limits]\n",
        "\n[database]\n",
        "\n[database.pool]\n",
        "# Connections kept open.\n# Type: u32. Environment: APP_DATABASE__POOL__SIZE.\n#size = 10\n",
        "set APP_DATABASE__PASSWORD, or APP_DATABASE__PASSWORD_FILE",
    ] {
        assert!(
            template.contains(expected),
            "{expected:?} not in:\n{template}"
        );
    }
    // Uncommenting the defaults gives a file that loads to the defaults.
    let dir = Dir::new();
    let uncommented: String = template
        .lines()
        .filter(|line| !line.starts_with("# ") && *line != "#")
        .map(|line| match line.strip_prefix('#') {
            Some(rest) if rest.contains(" = ") => format!("{rest}\n"),
            _ if line.starts_with('[') => format!("{line}\n"),
            _ => String::new(),
        })
        .collect();
    let file = dir.write(
        "template.toml",
        &format!("name = \"t\"\ntags = []\nbackends = []\n{uncommented}")
            .replace("[database]\n", "[database]\nurl = \"u\"\n")
            .replace("[database.pool]\n", "[database.pool]\ntimeout_ms = 1\n"),
    );
    let (config, provenance) = Loader::<ServiceRegistry>::new().file(&file).load().unwrap();
    assert_eq!(config.port(), 8080);
    assert_eq!(config.database().pool().size(), 10);
    assert!(matches!(provenance.get("port"), Some(Origin::File { .. })));
}

#[test]
fn a_broken_layer_still_lets_every_field_problem_through_but_no_missing_one() {
    let dir = Dir::new();
    let good = dir.write("a.toml", "port = \"http\"\n");
    let broken = dir.write("b.json", "{\"name\": ");
    let error = Loader::<ServiceRegistry>::new()
        .file(&good)
        .file(&broken)
        .load()
        .unwrap_err();
    let kinds: Vec<(&str, &ProblemKind)> = error
        .problems()
        .iter()
        .map(|p| (p.path(), p.kind()))
        .collect();
    assert!(
        matches!(kinds[0], ("", ProblemKind::Syntax { .. })),
        "{error}"
    );
    assert!(kinds.iter().any(|(path, _)| *path == "port"), "{error}");
    assert!(
        !kinds
            .iter()
            .any(|(_, kind)| matches!(kind, ProblemKind::Missing { .. })),
        "{error}"
    );
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    host: String,
}

#[derive(SyncRegistry, Clone, Debug)]
struct Typos {
    strict: Option<Strict>,
    backend: Option<Backend>,
    #[registry(map)]
    ports: HashMap<u16, String>,
    level: Option<u8>,
}

#[test]
fn typos_anywhere_are_reported_once_and_paths_agree_with_provenance() {
    let dir = Dir::new();
    let file = dir.write(
        "t.toml",
        "strict = { host = \"h\", extra = 1 }\n[ports]\n80 = \"http\"\nx = \"bad\"\n",
    );
    let error = Loader::<TyposRegistry>::new()
        .file(&file)
        .set("backend", "host=x,wieght=3")
        .load()
        .unwrap_err();
    let paths: Vec<&str> = error.problems().iter().map(|p| p.path()).collect();
    assert_eq!(
        paths.iter().filter(|p| **p == "strict.extra").count(),
        1,
        "{error}"
    );
    assert!(paths.contains(&"backend.wieght"), "{error}");
    assert!(paths.contains(&"ports[\"x\"]"), "{error}");

    let file = dir.write("ok.toml", "[ports]\n80 = \"http\"\n");
    let (typos, provenance) = Loader::<TyposRegistry>::new()
        .file(&file)
        .set("level", "")
        .load()
        .unwrap();
    assert_eq!(typos.ports(&80), Some("http".to_owned()));
    assert_eq!(typos.level(), None, "empty text unsets an optional field");
    assert!(provenance.get("ports[80]").is_some(), "{provenance}");
}
