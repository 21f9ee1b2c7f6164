//! `vigie`: the safe-city hypervisor's one binary.
//!
//! - `serve` / `demo`: run the engine and the HTTP API (`commands::serve`).
//! - `city check`: validate a city pack (`commands::city`).
//! - `log verify` / `log replay`: check the event log, rebuild projections (`commands::log`).
//! - `rules test`: replay a recorded stream through a rules folder (`commands::rules`).
//! - `bench ingest` / `bench restart`: measured figures for BENCHMARKS.md (`commands::bench`).

mod commands;
mod config;
mod telemetry;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "vigie", version, about = "Vigie — open safe-city hypervisor / hyperviseur urbain open source")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine and the API with a configuration file.
    Serve {
        /// Configuration file (TOML); defaults and VIGIE_* variables apply under and over it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen address, overriding the configuration (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run the demo metropolis live on embedded defaults.
    Demo {
        /// Listen address (default 127.0.0.1:8080; port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Where the demo keeps its event log.
        #[arg(long, default_value = "data/demo.db")]
        store: PathBuf,
    },
    /// City packs.
    City {
        #[command(subcommand)]
        command: CityCommand,
    },
    /// The event log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Rules of a city pack.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Benchmarks; print Markdown tables for BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum CityCommand {
    /// Load and validate a city pack; exits non-zero on any error.
    Check { dir: PathBuf },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Replay a recorded stream (`t=<s> <sensor> <value>` lines) and print the alarms it yields.
    Test {
        /// The rules folder (`rules/*.toml`).
        #[arg(long)]
        rules: PathBuf,
        /// The recorded stream.
        #[arg(long)]
        replay: PathBuf,
        /// The city pack whose sensors the stream names.
        #[arg(long, default_value = "cities/demo-metropole")]
        city: PathBuf,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Check the log: contiguous sequence numbers, every payload decodes, snapshots match a replay.
    Verify {
        /// The event log file (default: the configuration's store.path).
        #[arg(long)]
        store: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Rebuild the projections from the first event and save them as a fresh snapshot.
    Replay {
        #[arg(long)]
        store: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Durable observations/s through the HTTP batch API, against the raw log append rate.
    Ingest {
        /// Observations to send through HTTP.
        #[arg(long, default_value_t = 2_000_000)]
        observations: u64,
        /// Observations per request (at most 10,000).
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
    /// Restart time after many events: snapshot restore against a full replay.
    Restart {
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, listen } => commands::serve::serve(config.as_deref(), listen.as_deref()),
        Command::Demo { listen, store } => commands::serve::demo(listen.as_deref(), &store),
        Command::City { command: CityCommand::Check { dir } } => commands::city::check(&dir),
        Command::Log { command: LogCommand::Verify { store, config } } => {
            commands::log::verify(store.as_deref(), config.as_deref())
        }
        Command::Log { command: LogCommand::Replay { store, config } } => {
            commands::log::replay(store.as_deref(), config.as_deref())
        }
        Command::Rules { command: RulesCommand::Test { rules, replay, city } } => {
            commands::rules::test(&rules, &replay, &city)
        }
        Command::Bench { command: BenchCommand::Ingest { observations, batch, clients } } => {
            commands::bench::ingest(observations, batch, clients)
        }
        Command::Bench { command: BenchCommand::Restart { events } } => commands::bench::restart(events),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
