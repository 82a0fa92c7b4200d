//! `cargo xtask deb`: the Debian package.

pub fn deb(_args: &[String]) -> Result<(), String> {
    Err("deb: not written yet".into())
}
