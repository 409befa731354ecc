//! The syncmap benchmark program (being built).

fn main() {}
