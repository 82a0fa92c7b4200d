fn main() {
    println!("cargo::rustc-check-cfg=cfg(pppd_abi)");
}
