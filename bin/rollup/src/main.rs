//! The `rollup` binary: parses the command line and runs it.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = rollup::cli::Cli::parse();
    if let Err(err) = cli.run().await {
        tracing::error!("{err:?}");
        #[allow(clippy::print_stderr)]
        {
            eprintln!("error: {err:?}");
        }
        std::process::exit(1);
    }
}
