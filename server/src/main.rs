//! The `rollcall` binary. See `rollcall --help`.

fn main() -> std::process::ExitCode {
    rollcall_server::cli::main()
}
