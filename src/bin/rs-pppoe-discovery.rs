fn main() {
    rs_pppoe::cli::main()
}
