// Every stored type must be Send + Sync + 'static; the error is under the field's type.
use std::cell::Cell;
use std::rc::Rc;
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    port: u16,
    shared: Rc<String>,
    counter: Cell<u32>,
}

fn main() {}
