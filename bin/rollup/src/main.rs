//! The `rollup` binary: parses the command line and runs it.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = rollup::cli::Cli::parse();
    if let Err(err) = cli.run().await {
        // The whole chain of causes on one line, without a backtrace.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: {err:#}");
        }
        std::process::exit(1);
    }
}
