//! `cargo xtask install` / `uninstall`.

pub fn install(_args: &[String]) -> Result<(), String> {
    Err("install: not written yet".into())
}

pub fn uninstall(_args: &[String]) -> Result<(), String> {
    Err("uninstall: not written yet".into())
}
