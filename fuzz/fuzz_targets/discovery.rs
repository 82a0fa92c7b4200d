//! libFuzzer entry point of the `discovery` target (body and invariants:
//! `fuzz/src/`). Built without `--cfg fuzzing` — as `cargo test` and
//! `cargo run -p rs-pppoe-fuzz --bin discovery -- FILE...` do — it replays
//! files instead.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rs_pppoe_fuzz::discovery::run(data));

#[cfg(not(fuzzing))]
fn main() {
    rs_pppoe_fuzz::replay_main("discovery");
}
