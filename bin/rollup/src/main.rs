//! The `rollup` binary: parses the command line and runs it.

use clap::Parser;

/// Stack of every runtime thread. A blob is 128 KiB and is handled by value (KZG commitments,
/// decoding a signed blob transaction), which overflows the default 2 MiB in debug builds.
const THREAD_STACK: usize = 16 * 1024 * 1024;

fn main() {
    let cli = rollup::cli::Cli::parse();
    // rayon's shared threads (a batch's sender recovery in the challenger) by a name of their
    // own, so that their CPU time is told apart (`rollup bench e2e`'s report by stage).
    if let Err(err) = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("rayon-{i}")).build_global() {
        exit_with(&anyhow::anyhow!("cannot start rayon's threads: {err}"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(THREAD_STACK).build()
    {
        Ok(runtime) => runtime,
        Err(err) => exit_with(&anyhow::anyhow!("cannot start the async runtime: {err}")),
    };
    if let Err(err) = runtime.block_on(cli.run()) {
        exit_with(&err);
    }
}

fn exit_with(err: &anyhow::Error) -> ! {
    // The whole chain of causes on one line, without a backtrace.
    #[allow(clippy::print_stderr)]
    {
        eprintln!("error: {err:#}");
    }
    std::process::exit(1);
}
