// A registry needs named fields to turn into keys; an enum has none.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
enum Mode {
    Fast,
    Slow,
}

fn main() {}
