//! The `rollcall` binary. See `rollcall --help`.

/// mimalloc instead of the system allocator: a request allocates and frees dozens of small
/// blocks on whichever runtime thread runs it; glibc's malloc was ~12 % of a SCIM lookup's CPU
/// in the profile (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rollcall_server::cli::main()
}
