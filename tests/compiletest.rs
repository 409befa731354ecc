//! Compile tests: `tests/ui/*.rs` must fail to compile with the error recorded beside each case
//! in its `.stderr` file; `tests/ui-pass/*.rs` must compile and run.
//!
//! Re-bless the expected errors after an intended change with
//! `TRYBUILD=overwrite cargo test --test compiletest`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
