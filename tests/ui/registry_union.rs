// A union's fields overlap in memory; they cannot be stored one by one.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
