// A generic struct: type parameters (with bounds and a where clause), a const parameter, a map
// field keyed by a parameter, and the backend chosen per registry.
use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use syncmap::{MutexMap, Registry, SyncRegistry};

#[derive(SyncRegistry)]
struct Table<K, V: Clone, const N: usize>
where
    K: Hash + Eq + Clone + Display,
{
    /// Rows by key.
    #[registry(map)]
    rows: HashMap<K, V>,
    header: [u8; N],
    #[registry(default)]
    revision: u64,
}

fn describe<K, V, const N: usize, M>(table: &TableRegistry<K, V, N, M>) -> String
where
    K: Hash + Eq + Clone + Display + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    M: syncmap::ConcurrentMap<TableKey<K, V, N>, TableValue<K, V, N>> + Send + Sync,
{
    let mut keys = Vec::new();
    table.range_rows(|k, _| {
        keys.push(k.to_string());
        true
    });
    keys.sort();
    format!("v{} {}", table.revision(), keys.join(","))
}

fn main() {
    let table = TableRegistry::<String, Vec<u8>, 2>::new(Table {
        rows: HashMap::new(),
        header: [0, 0],
        revision: 0,
    })
    .unwrap();
    table.store_header([1, 2]);
    table.store_rows("a".to_owned(), vec![1]);
    table.store_rows("b".to_owned(), vec![2]);
    assert_eq!(table.rows("a"), Some(vec![1]));
    assert_eq!(table.header(), [1, 2]);
    assert_eq!(describe(&table), "v0 a,b");

    let on_mutex: TableRegistry<
        u32,
        String,
        0,
        MutexMap<TableKey<u32, String, 0>, TableValue<u32, String, 0>>,
    > = Registry::from_struct(Table { rows: HashMap::new(), header: [], revision: 3 }).unwrap();
    on_mutex.store_rows(1, "one".to_owned());
    let rebuilt = on_mutex.snapshot();
    assert_eq!(rebuilt.rows[&1], "one");
    assert_eq!(rebuilt.revision, 3);
}
