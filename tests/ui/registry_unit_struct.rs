// A unit struct has no fields to store.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Marker;

fn main() {}
