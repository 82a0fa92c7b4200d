//! The `rs-pppoe-testkit` command line the guest scenarios call. Building
//! this test is also what makes `cargo test --workspace` leave the binary
//! in `target/debug/` for them (`cargo xtask test` passes it to the guest).

use std::process::Command;

use rs_pppoe_testkit::ac::Case;

const BIN: &str = env!("CARGO_BIN_EXE_rs-pppoe-testkit");

#[test]
fn cases_lists_every_case_the_scenarios_can_name() {
    let out = Command::new(BIN).arg("cases").output().expect("run");
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let expected: Vec<&str> = Case::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(names, expected);
}

#[test]
fn a_mistyped_case_or_missing_value_exits_2_saying_what() {
    for (args, says) in [
        (
            &["ac", "eth0", "--case", "wrong-hostuniq"][..],
            "no case wrong-hostuniq",
        ),
        (&["ac", "eth0"], "--case is required"),
        (&["flood", "eth0", "--target"], "every option takes a value"),
        (
            &["padt", "eth0", "--from", "02:00:00:00:00:01"],
            "--to is required",
        ),
        (&["nope"], "usage: rs-pppoe-testkit ac"),
    ] {
        let out = Command::new(BIN).args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
