//! The command line: one subcommand per component or tool, each a flag group of
//! [`crate::args`] (or of [`rollup_bench`]) that turns into its crate's `Config` and runs.

use crate::args::{
    batcher::BatcherArgs,
    bridge::{DepositArgs, FinalizeWithdrawalArgs, ForceTxArgs, WithdrawArgs},
    challenger::ChallengerArgs,
    deploy::DeployArgs,
    devnet::DevnetArgs,
    escape::EscapeCommand,
    sequencer::SequencerArgs,
};
use anyhow::Result;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// An optimistic rollup for DeFi, settled on an Ethereum L1.
#[derive(Debug, Parser)]
#[command(name = "rollup", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the whole system locally: anvil, contracts, sequencer, executor, batcher, challenger.
    Devnet(Box<DevnetArgs>),
    /// Runs the sequencer (HTTP API and block production).
    Sequencer(Box<SequencerArgs>),
    /// Runs the batcher, posting the sequencer's blocks to L1.
    Batcher(BatcherArgs),
    /// Runs the challenger, verifying every batch posted to L1.
    Challenger(ChallengerArgs),
    /// Deploys the L1 contracts of a chain and prints the deployment as JSON.
    Deploy(DeployArgs),
    /// Deposits ether or an ERC-20 from L1 to an L2 account through the bridge (prints its
    /// queue index; `GET /v1/deposits/{index}` on the L2 follows it).
    Deposit(DepositArgs),
    /// Withdraws a bridged token from L2 to an L1 recipient (prints the withdrawal's index).
    Withdraw(WithdrawArgs),
    /// Pays a withdrawal on L1 once its batch is final, with the proof the L2 API builds.
    FinalizeWithdrawal(FinalizeWithdrawalArgs),
    /// Sends a signed L2 transaction through the L1 bridge (forced inclusion: the sequencer
    /// must include it within the inclusion window).
    ForceTx(ForceTxArgs),
    /// The escape hatch, when the operator stops (docs/bridge.md §7): freeze the inbox, then
    /// take out on L1 what the frozen state holds, proven from L1 data alone.
    #[command(subcommand)]
    Escape(EscapeCommand),
    /// Measures a component on this machine.
    #[command(subcommand)]
    Bench(rollup_bench::BenchCommand),
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> Result<()> {
        init_tracing();
        match self.command {
            Command::Devnet(args) => args.run().await,
            Command::Sequencer(args) => args.run().await,
            Command::Batcher(args) => args.run().await,
            Command::Challenger(args) => args.run().await,
            Command::Deploy(args) => args.run().await,
            Command::Deposit(args) => args.run().await,
            Command::Withdraw(args) => args.run().await,
            Command::FinalizeWithdrawal(args) => args.run().await,
            Command::ForceTx(args) => args.run().await,
            Command::Escape(command) => command.run().await,
            Command::Bench(bench) => bench.run().await,
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG`; one JSON object per line when `ROLLUP_LOG_FORMAT`
/// is `json` (for log shippers), human-readable text otherwise.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_writer(std::io::stderr);
    let _ = if std::env::var("ROLLUP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// The spellings of earlier releases still parse, as aliases of the dotted names.
    #[test]
    fn old_spellings_are_aliases() {
        let parse = |args: &[&str]| Cli::try_parse_from(std::iter::once("rollup").chain(args.iter().copied()));
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let inbox = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        for args in [
            &["sequencer", "--db-url", "sqlite://x.sqlite", "--block-time-ms", "40", "--snapshot-interval", "7"][..],
            &["sequencer", "--exec-threads", "2", "--max-block-txs", "24", "--max-l1-backlog-bytes", "0"],
            &["batcher", "--db-url", "sqlite://x", "--l1-rpc", "http://127.0.0.1:8545", "--inbox", inbox, "--key", key],
            &["batcher", "--l1.inbox", inbox, "--key", key, "--interval-ms", "5", "--da", "auto", "--fault", "op-swap"],
            &[
                "challenger",
                "--l1-rpc",
                "http://127.0.0.1:8545",
                "--inbox",
                inbox,
                "--from-block",
                "3",
                "--poll-ms",
                "9",
            ],
            &["deploy", "--l1-rpc", "http://127.0.0.1:8545", "--key", key, "--batcher", inbox, "--bond-wei", "1"],
            &[
                "devnet",
                "--l1.port",
                "9000",
                "--batch-interval-ms",
                "100",
                "--challenge-window",
                "60",
                "--l1-gas-limit",
                "1",
            ],
            &["escape", "freeze", "--l1-rpc", "http://127.0.0.1:8545", "--inbox", inbox, "--key", key],
            &["bench", "e2e", "--l1-gas-limit", "60000000", "--l1-block-time", "2"],
        ] {
            if let Err(err) = parse(args) {
                panic!("{args:?}: {err}");
            }
        }
    }

    /// `--genesis.l1-byte-price` lays out one genesis for every command of a chain: the root a
    /// deployment starts the inbox from is the sequencer's and the challenger's, another price
    /// gives another root, and a price below the floor is refused.
    #[test]
    fn the_genesis_l1_price_is_the_same_parameter_for_every_command() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("rollup").chain(args.iter().copied())).expect("parses").command
        };
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let inbox = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        let price = ["--genesis.l1-byte-price", "80000000000"];
        let Command::Deploy(deploy) = parse(&[&["deploy", "--key", key, "--batcher", inbox][..], &price].concat())
        else {
            panic!("deploy")
        };
        let (_, _, params) = deploy.into_params().expect("params");
        let Command::Sequencer(sequencer) = parse(&[&["sequencer"][..], &price].concat()) else { panic!("sequencer") };
        let sequencer = sequencer.into_config().expect("config");
        let Command::Challenger(challenger) = parse(&[&["challenger", "--l1.inbox", inbox][..], &price].concat())
        else {
            panic!("challenger")
        };
        let challenger = challenger.into_config().expect("config");
        assert_eq!(sequencer.genesis, challenger.genesis);
        assert_eq!(sequencer.genesis.fee_state().l1_byte_price, 80_000_000_000);
        let root = |genesis: &rollup_types::genesis::GenesisSpec| {
            rollup_executor::Executor::genesis(sequencer.chain, genesis).expect("genesis").state_root()
        };
        assert_eq!(params.genesis_state_root, root(&sequencer.genesis));
        assert_ne!(params.genesis_state_root, root(&rollup_types::genesis::GenesisSpec::devnet()));
        let Command::Sequencer(low) = parse(&["sequencer", "--genesis.l1-byte-price", "7"]) else {
            panic!("sequencer")
        };
        let err = low.into_config().expect_err("below the floor");
        assert!(err.to_string().contains("at least 8 wei"), "{err}");
    }

    /// Every `rollup` command README.md and BENCHMARKS.md give with literal arguments parses.
    #[test]
    fn the_documented_commands_parse() {
        let docs = [include_str!("../../../README.md"), include_str!("../../../BENCHMARKS.md")];
        let mut checked = 0;
        for line in docs.iter().flat_map(|doc| doc.lines()) {
            let Some(command) = line.trim().strip_prefix("./target/release/rollup ") else { continue };
            let command = command.split(" #").next().unwrap_or_default().trim_end().trim_end_matches('&');
            if command.contains('$') {
                continue;
            }
            let args = std::iter::once("rollup").chain(command.split_whitespace());
            if let Err(err) = Cli::try_parse_from(args) {
                panic!("{command}: {err}");
            }
            checked += 1;
        }
        assert!(checked >= 20, "{checked} commands found");
    }
}
