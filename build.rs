//! Build script: binds the plugin to the pppd ABI found on this machine.
//!
//! pppd checks a plugin's `pppd_version` against its own version string with
//! `strcmp`, and the plugin API differs between 2.4.9 and 2.5.x, so the C shim
//! and the Rust bindings are built for exactly one pppd version per build:
//!
//! 1. find the directory holding `pppd.h`: `PPPD_INCLUDE_DIR`, else
//!    `pkg-config --variable=includedir pppd` + `/pppd`, else
//!    `/usr/include/pppd`;
//! 2. read the version string (`PPPD_VERSION` in `pppdconf.h` for 2.5.x,
//!    `VERSION` in `patchlevel.h` for 2.4.x);
//! 3. compile `c-shim/shim.c` with `cc` and generate `bindings.rs` from
//!    `c-shim/wrapper.h` with `bindgen`;
//! 4. link the shim objects into the cdylib only, so tests and the
//!    `rs-pppoe-discovery` binary never need pppd's symbols, and enable
//!    `--cfg pppd_abi`.
//!
//! Without pppd headers the crate still builds (CLI, library, tests) but the
//! cdylib is not a usable plugin; a `cargo::warning` says so.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pppd_abi)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=c-shim/wrapper.h");
    println!("cargo::rerun-if-changed=c-shim/shim.h");
    println!("cargo::rerun-if-changed=c-shim/shim.c");
    println!("cargo::rerun-if-env-changed=PPPD_INCLUDE_DIR");
    println!("cargo::rerun-if-env-changed=PKG_CONFIG_PATH");

    let Some(include_dir) = find_pppd_include_dir() else {
        println!(
            "cargo::warning=pppd headers not found (set PPPD_INCLUDE_DIR to the folder holding \
             pppd.h, or install ppp-dev); building without the pppd plugin ABI"
        );
        return;
    };
    let version = match read_pppd_version(&include_dir) {
        Ok(version) => version,
        Err(reason) => {
            println!(
                "cargo::warning=cannot read the pppd version from {}: {reason}; building \
                 without the pppd plugin ABI",
                include_dir.display()
            );
            return;
        }
    };
    for header in [
        "pppd.h",
        "pppdconf.h",
        "patchlevel.h",
        "lcp.h",
        "ipcp.h",
        "ccp.h",
    ] {
        let path = include_dir.join(header);
        if path.exists() {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    compile_shim(&include_dir, &version);
    generate_bindings(&include_dir, &out_dir);
    println!("cargo::rustc-cfg=pppd_abi");
    println!("cargo::rustc-env=RS_PPPOE_PPPD_VERSION={}", version.text);
}

/// The pppd version the headers describe.
struct PppdVersion {
    /// Exactly the string pppd compares `pppd_version` against, e.g. "2.5.2".
    text: String,
    /// 2.5 and later expose the `ppp_*` accessor API instead of data symbols.
    is_2_5_api: bool,
}

fn find_pppd_include_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("PPPD_INCLUDE_DIR") {
        let dir = PathBuf::from(dir);
        if dir.join("pppd.h").exists() {
            return Some(dir);
        }
        println!(
            "cargo::warning=PPPD_INCLUDE_DIR={} holds no pppd.h",
            dir.display()
        );
        return None;
    }
    let from_pkg_config = Command::new("pkg-config")
        .args(["--variable=includedir", "pppd"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|dir| PathBuf::from(dir.trim()).join("pppd"));
    [from_pkg_config, Some(PathBuf::from("/usr/include/pppd"))]
        .into_iter()
        .flatten()
        .find(|dir| dir.join("pppd.h").exists())
}

fn read_pppd_version(include_dir: &Path) -> Result<PppdVersion, String> {
    let pppdconf = include_dir.join("pppdconf.h");
    if pppdconf.exists() {
        let text = define_string(&pppdconf, "PPPD_VERSION")?;
        return Ok(PppdVersion {
            text,
            is_2_5_api: true,
        });
    }
    let text = define_string(&include_dir.join("patchlevel.h"), "VERSION")?;
    Ok(PppdVersion {
        text,
        is_2_5_api: false,
    })
}

/// The string literal of `#define <name> "<value>"` in `header`.
fn define_string(header: &Path, name: &str) -> Result<String, String> {
    let source = fs::read_to_string(header).map_err(|e| format!("{}: {e}", header.display()))?;
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("#define"))
        .filter_map(|rest| rest.trim_start().strip_prefix(name))
        .filter(|rest| rest.starts_with([' ', '\t']))
        .find_map(|rest| {
            let value = rest.trim();
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned)
        })
        .ok_or_else(|| format!("no `#define {name} \"...\"` in {}", header.display()))
}

fn compile_shim(include_dir: &Path, version: &PppdVersion) {
    let mut build = cc::Build::new();
    build
        .file("c-shim/shim.c")
        .include("c-shim")
        .include(include_dir)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        // Nothing in the shim is part of the plugin's interface; only the two
        // Rust items pppd looks up are exported (see tests/exports.rs).
        .flag("-fvisibility=hidden")
        .flag("-fno-strict-aliasing");
    if version.is_2_5_api {
        build.define("RS_PPPD_2_5_API", None);
    }
    // Objects, not an archive: an archive member is only pulled in when the
    // linker has already seen a reference to it, and link-arg order is not
    // ours to choose. Only the cdylib gets them.
    for object in build.compile_intermediates() {
        println!("cargo::rustc-link-arg-cdylib={}", object.display());
    }
}

fn generate_bindings(include_dir: &Path, out_dir: &Path) {
    let rust_target = env::var("CARGO_PKG_RUST_VERSION")
        .ok()
        .and_then(|v| bindgen::RustTarget::stable(minor_version(&v)?, 0).ok())
        .unwrap_or(bindgen::RustTarget::stable(85, 0).expect("1.85 is a known Rust target"));
    let bindings = bindgen::Builder::default()
        .header("c-shim/wrapper.h")
        .clang_arg(format!("-I{}", include_dir.display()))
        .clang_arg("-Ic-shim")
        .rust_target(rust_target)
        .use_core()
        .wrap_unsafe_ops(true)
        .layout_tests(false)
        // The shim's API and the constants shared with Rust; nothing of
        // pppd itself is called from Rust.
        .allowlist_function("rs_shim_.*")
        .allowlist_type("rs_.*")
        .allowlist_var("RS_.*")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen could not read c-shim/wrapper.h");
    bindings
        .write_to_file(out_dir.join("bindings.rs"))
        .expect("cannot write bindings.rs");
}

fn minor_version(rust_version: &str) -> Option<u64> {
    rust_version.split('.').nth(1)?.parse().ok()
}
