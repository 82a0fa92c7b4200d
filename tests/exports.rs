//! The built plugin (`librs_pppoe.so`, installed as `rs-pppoe.so`) exports
//! exactly what pppd looks up — `plugin_init` and `pppd_version` — and
//! nothing else, and `pppd_version` is the headers' version string.
//!
//! Uses binutils' `nm` and `objdump` on the cdylib cargo built next to this
//! test. Skipped (with a message) when the build found no pppd headers.

#[cfg(not(pppd_abi))]
#[test]
fn plugin_exports_only_what_pppd_looks_up() {
    eprintln!(
        "SKIPPED: this build found no pppd headers (set PPPD_INCLUDE_DIR or install ppp-dev); \
         the cdylib is not a pppd plugin"
    );
}

#[cfg(pppd_abi)]
mod pppd_plugin {
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use std::process::Command;

    /// The cdylib of this build: cargo builds it with the rlib the tests link.
    fn plugin_path() -> PathBuf {
        let exe = std::env::current_exe().expect("test executable path");
        let deps = exe.parent().expect("deps directory");
        [deps.join("librs_pppoe.so"), deps.join("../librs_pppoe.so")]
            .into_iter()
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("no librs_pppoe.so next to {}", exe.display()))
    }

    fn run(program: &str, args: &[&str]) -> String {
        let output = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} (binutils): {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("nm/objdump print text")
    }

    #[test]
    fn plugin_exports_only_what_pppd_looks_up() {
        let plugin = plugin_path();
        let plugin = plugin.to_str().unwrap();
        let defined: BTreeSet<String> =
            run("nm", &["-D", "--defined-only", "--format=posix", plugin])
                .lines()
                .filter_map(|line| line.split_whitespace().next())
                .map(str::to_owned)
                .collect();
        let expected: BTreeSet<String> = ["plugin_init", "pppd_version"].map(String::from).into();
        assert_eq!(defined, expected, "dynamic symbols of {plugin}");
    }

    #[test]
    fn pppd_version_is_the_headers_version_string() {
        let version = env!("RS_PPPOE_PPPD_VERSION");
        let plugin = plugin_path();
        let plugin = plugin.to_str().unwrap();
        // posix format: name type address size
        let listing = run(
            "nm",
            &["-D", "--defined-only", "--format=posix", "-S", plugin],
        );
        let fields: Vec<&str> = listing
            .lines()
            .find(|line| line.starts_with("pppd_version "))
            .expect("pppd_version is exported")
            .split_whitespace()
            .collect();
        let address = u64::from_str_radix(fields[2], 16).unwrap();
        let size = u64::from_str_radix(fields[3], 16).unwrap();
        assert_eq!(
            size,
            version.len() as u64 + 1,
            "a NUL-terminated \"{version}\""
        );

        let dump = run(
            "objdump",
            &[
                "-s",
                "-j",
                ".rodata",
                &format!("--start-address=0x{address:x}"),
                &format!("--stop-address=0x{:x}", address + size),
                plugin,
            ],
        );
        // Lines look like " 1133f 322e352e 3200  2.5.2." after a section header.
        let bytes: Vec<u8> = dump
            .lines()
            .filter(|line| line.starts_with(' '))
            .flat_map(|line| {
                line.split_whitespace()
                    .skip(1)
                    .take_while(|word| {
                        word.len() % 2 == 0 && word.chars().all(|c| c.is_ascii_hexdigit())
                    })
                    .flat_map(|word| {
                        (0..word.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&word[i..i + 2], 16).unwrap())
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut expected = version.as_bytes().to_vec();
        expected.push(0);
        assert_eq!(
            bytes, expected,
            "pppd compares this with strcmp against its own version"
        );
    }

    /// The symbols the plugin needs from elsewhere, without versions
    /// (`fork@GLIBC_2.2.5` → `fork`).
    fn undefined_symbols() -> Vec<String> {
        let plugin = plugin_path();
        run(
            "nm",
            &[
                "-D",
                "--undefined-only",
                "--format=posix",
                plugin.to_str().unwrap(),
            ],
        )
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|name| name.split('@').next().unwrap_or("").to_owned())
        .collect()
    }

    #[test]
    fn plugin_never_forks() {
        // fork without exec inside pppd would duplicate its state; the
        // helper that does it for rs-pppoe-discovery is not even part of
        // the library (src/sys/process.rs is compiled into that binary only).
        for name in undefined_symbols() {
            assert!(
                !matches!(name.as_str(), "fork" | "vfork" | "_Fork"),
                "the plugin references {name}"
            );
        }
    }

    #[test]
    fn plugin_never_binds_to_glibcs_error_or_warn() {
        // glibc has functions named error() and warn(); the shim looks pppd's up
        // at run time instead of referencing these names.
        for name in undefined_symbols() {
            assert!(
                name != "error" && name != "warn",
                "the plugin references {name}"
            );
        }
    }
}
