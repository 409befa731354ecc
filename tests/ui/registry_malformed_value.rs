// Values of the wrong kind, each reported under the value.
use syncmap::SyncRegistry;

#[derive(SyncRegistry)]
#[registry(crate = "not a path", name = "Quoted")]
struct Config {
    #[registry(rename = port_number)]
    port: u16,
    #[registry(default = )]
    timeout_secs: u64,
    #[registry(rename)]
    host: String,
}

fn main() {}
