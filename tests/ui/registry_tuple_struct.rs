// Tuple fields have no names, so they have no keys. The generated type names still exist (empty),
// so code that names them adds no error of its own.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Pair(u16, String);

fn main() {
    let _: Option<PairRegistry> = None;
}
