//! `rs-pppoe-discovery`: see `rs_pppoe::cli` and rs-pppoe-discovery(8).

// Not part of the library: the plugin inside pppd must never fork.
#[path = "../sys/process.rs"]
mod process;

fn main() {
    let exit = rs_pppoe::cli::run(std::env::args_os().skip(1));
    // Let the kernel's slow release of the packet sockets happen after
    // our caller has our answer.
    process::close_after_exit(exit.sockets);
    std::process::exit(exit.status)
}
