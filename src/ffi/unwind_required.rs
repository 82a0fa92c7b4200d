// rs-pppoe.so keeps panics out of pppd by catching them at every entry
// point (`plugin::panic_boundary`). With `panic = "abort"` there is nothing
// to catch: a bug would kill pppd on the spot, without its teardown (no
// LCP terminate, no ip-down, no PADT). So a plugin build that aborts on
// panic is refused here, before it can be installed.
//
// This file needs no other part of the crate, so `tests/build_guards.rs`
// compiles it on its own with and without `-C panic=abort`.

#[cfg(panic = "abort")]
compile_error!(
    "rs-pppoe.so must be built with panic = \"unwind\" (the default): its panic boundary \
     cannot catch anything under panic = \"abort\", and a panic would kill pppd without its \
     teardown. Remove -C panic=abort / profile.release.panic = \"abort\"."
);
