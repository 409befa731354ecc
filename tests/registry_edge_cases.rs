//! Edge cases of the 2.0 registry found in review, each with the test that failed before its fix.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use syncmap::{Batch, Registry, RegistrySubscription, SecretString, SyncRegistry};

#[derive(SyncRegistry, Clone, Debug)]
struct Ratio {
    r: f64,
    maybe: Option<f64>,
    #[registry(default = 1)]
    port: u16,
    label: Option<String>,
}

fn ratio() -> RatioRegistry {
    RatioRegistry::new(Ratio {
        r: f64::NAN,
        maybe: Some(f64::NAN),
        port: 8080,
        label: None,
    })
    .unwrap()
}

#[test]
fn update_settles_values_not_equal_to_themselves() {
    let registry = ratio();
    let mut runs = 0;
    assert!(
        (registry.update_r(|_| {
            runs += 1;
            1.5
        }) - 1.5)
            .abs()
            < f64::EPSILON
    );
    assert_eq!(runs, 1, "no other writer: the function runs once");
    assert_eq!(registry.update_maybe(|_| None), None);
    assert_eq!(registry.maybe(), None);
}

#[test]
fn a_batch_storing_a_value_under_another_fields_key_is_refused() {
    let registry = ratio();
    let refused = registry
        .apply(Batch::new().store(RatioKey::Port, RatioValue::Label("x".to_owned())))
        .unwrap_err();
    assert_eq!(refused.failures()[0].path(), "port");
    assert_eq!(registry.port(), 8080);
    assert_eq!(registry.version(), 0);
}

#[test]
fn a_batch_deleting_a_required_field_is_refused_even_with_a_default() {
    let registry = ratio();
    assert!(registry.apply(Batch::new().delete(RatioKey::Port)).is_err());
    assert_eq!(registry.port(), 8080);
    assert_eq!(registry.version(), 0);
}

#[test]
fn a_batch_writing_a_key_twice_publishes_its_last_write_once() {
    let registry = ratio();
    let batch = Batch::new()
        .store(RatioKey::Port, RatioValue::Port(1))
        .store(RatioKey::Port, RatioValue::Port(8080));
    assert_eq!(registry.apply(batch).unwrap(), 0, "the writes cancel out");
    let batch = Batch::new()
        .store(RatioKey::Port, RatioValue::Port(1))
        .store(RatioKey::Port, RatioValue::Port(2));
    assert_eq!(registry.apply(batch).unwrap(), 1);
    let since = registry.changes_since(0);
    assert_eq!(since.changes()[0].fields().len(), 1);
    assert_eq!(
        format!("{:?}", since.changes()[0].fields()[0].new_value()),
        "Some(2)"
    );
}

#[derive(SyncRegistry, Clone, Debug)]
struct WithSecretDefault {
    #[registry(secret, default = SecretString::from("s3cret-default"))]
    token: SecretString,
}

#[test]
fn field_metadata_never_shows_a_secrets_default() {
    let shown = format!(
        "{:?} {:?} {:?}",
        <WithSecretDefaultRegistry>::fields(),
        <WithSecretDefaultRegistry>::leaf_fields(),
        <WithSecretDefaultRegistry>::fields()[0].default()
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    assert_eq!(
        <WithSecretDefaultRegistry>::fields()[0].default(),
        Some("<redacted>")
    );
}

#[test]
fn a_subscription_dropped_by_an_earlier_callback_gets_no_more_calls() {
    let registry = ratio();
    let second: Arc<Mutex<Option<RegistrySubscription>>> = Arc::new(Mutex::new(None));
    let dropper = Arc::clone(&second);
    let _first = registry.subscribe(move |_| {
        drop(dropper.lock().unwrap().take());
    });
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    *second.lock().unwrap() = Some(registry.subscribe(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    }));
    registry.store_port(1);
    registry.store_port(2);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
