// Every bad attribute is reported in one run, each under its own token, and the user's code that
// uses the registry adds no error of its own: the registry is still generated.
use syncmap::{Registry, SyncRegistry};

#[derive(SyncRegistry)]
#[registry(nmae = Settings)]
struct Config {
    #[registry(defualt = 1)]
    port: u16,
    #[registry(rename = 7)]
    host: String,
    #[registry(skip, map)]
    scratch: Vec<u8>,
}

fn main() {
    let config = ConfigRegistry::new(Config {
        port: 8080,
        host: String::new(),
        scratch: Vec::new(),
    })
    .unwrap();
    config.store_port(80);
    config.store_host("localhost".to_owned());
    let _ = Registry::snapshot(&config);
}
