//! The `impulse` command line (see `impulse --help` and
//! [`impulse_daemon::cli`]).

fn main() -> std::process::ExitCode {
    impulse_daemon::cli::main()
}
