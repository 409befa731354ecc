// A misspelt field attribute is an error under the misspelt key, not silently ignored.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
struct Config {
    #[registry(defualt = 30)]
    timeout_secs: u64,
}

fn main() {}
