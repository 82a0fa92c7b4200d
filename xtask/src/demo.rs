//! `cargo xtask demo`: the article, end to end, in the test guest.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("demo: not written yet".into())
}
