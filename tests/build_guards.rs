//! Builds that must not happen: the plugin compiled to abort on panic.
//!
//! `src/ffi/unwind_required.rs` stands alone, so it is compiled here by
//! itself (metadata only, well under a second) the way the crate would be
//! under each panic strategy.

use std::path::Path;
use std::process::Command;

fn compile(extra: &[&str]) -> (bool, String) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi/unwind_required.rs");
    let out = std::env::temp_dir().join(format!("rs-pppoe-guard-{}", std::process::id()));
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
        ])
        .args(["--crate-name", "unwind_required", "--out-dir"])
        .arg(&out)
        .args(extra)
        .arg(&source)
        .output()
        .expect("run rustc");
    let _ = std::fs::remove_dir_all(&out);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_plugin_refuses_to_build_with_panic_abort() {
    let (ok, stderr) = compile(&["-C", "panic=abort"]);
    assert!(!ok, "a panic=abort build must fail");
    assert!(
        stderr.contains("rs-pppoe.so must be built with panic = \"unwind\""),
        "{stderr}"
    );
    let (ok, stderr) = compile(&["-C", "panic=unwind"]);
    assert!(ok, "the default build goes through: {stderr}");
}
