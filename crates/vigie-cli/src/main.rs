//! `vigie`: the safe-city hypervisor's one binary.
//!
//! - `serve` / `demo`: run the engine and the HTTP API (`commands::serve`).
//! - `simulate`: the city simulator, publishing through MQTT (`commands::simulate`).
//! - `device hash`: hash a device secret (`commands::device`).
//! - `user add` / `list` / `unlock` / `reset-totp`: operator accounts (`commands::user`).
//! - `audit verify` / `public-key` / `export`: the audit log (`commands::audit`).
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

/// mimalloc instead of the C library's allocator: the broker workers allocate each reading and
/// the engine thread frees it, and glibc's malloc spent about a seventh of the process's time
/// on that traffic under `vigie bench mqtt` (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// The embedded MQTT broker's address (1884, beside a Mosquitto that may hold 1883).
        #[arg(long, default_value = "127.0.0.1:1884")]
        mqtt_listen: std::net::SocketAddr,
        /// Simulated seconds per wall-clock second.
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Run without the simulator (an empty city waiting for real sensors).
        #[arg(long)]
        no_simulator: bool,
        /// Run without the video analytics of the sample video.
        #[arg(long)]
        no_vision: bool,
    },
    /// Play the city simulator into a broker, as real sensors do (MQTT, QoS 1).
    Simulate {
        /// The city pack whose sensors are simulated.
        #[arg(long, default_value = "cities/demo-metropole")]
        city: PathBuf,
        /// The MQTT broker (Vigie's embedded broker or an external one).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 1883)]
        port: u16,
        /// The device to connect as, and its secret (or VIGIE_SIM_PASSWORD).
        #[arg(long, default_value = "simulateur")]
        username: String,
        #[arg(long, env = "VIGIE_SIM_PASSWORD", hide_env_values = true)]
        password: String,
        /// Simulated seconds per wall-clock second: 1 is live, 60 accelerated.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// The same seed replays the same city.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Scenarios, `kind@delay` in simulated time: flood@10m, fire@2m, intrusion, jam@1h, crowd@30m, silent@5m, power-cut@3m.
        #[arg(long = "scenario")]
        scenarios: Vec<vigie_sim::ScenarioSpec>,
        /// Stop after this many wall-clock seconds.
        #[arg(long)]
        duration_s: Option<u64>,
    },
    /// Device credentials.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Operator accounts, in security.db beside the event log.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit log: check it, print its public key, export it.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
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
    /// Video analytics: the worker, its evaluation.
    Vision {
        #[command(subcommand)]
        command: VisionCommand,
    },
    /// Benchmarks; print Markdown tables for BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// Where the detector's files are and how it runs (shared by the vision commands).
#[derive(clap::Args, Clone)]
struct DetectorArgs {
    /// `ort` (ONNX Runtime, the faster on CPU) or `tract` (pure Rust, no system library).
    #[arg(long, default_value = "ort")]
    backend: String,
    /// The YOLOX-Nano model (`python3 scripts/fetch-assets.py` puts it there).
    #[arg(long, default_value = "assets/yolox_nano.onnx")]
    model: PathBuf,
    /// ONNX Runtime's shared library, for the ort backend.
    #[arg(long, default_value = "assets/libonnxruntime.so")]
    ort_library: PathBuf,
    /// Inference threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// The face detector (CenterFace) that near-field cameras' snapshots go through.
    #[arg(long, default_value = "assets/centerface.onnx")]
    face_model: PathBuf,
}

impl DetectorArgs {
    fn options(&self) -> anyhow::Result<commands::vision::DetectorOptions> {
        let backend = match self.backend.as_str() {
            "ort" => vigie_vision::detect::Backend::Ort,
            "tract" => vigie_vision::detect::Backend::Tract,
            other => anyhow::bail!("--backend {other:?}: use ort or tract"),
        };
        let absolute = |path: &PathBuf| std::path::absolute(path).unwrap_or_else(|_| path.clone());
        Ok(commands::vision::DetectorOptions {
            backend,
            model: absolute(&self.model),
            ort_library: absolute(&self.ort_library),
            threads: self.threads,
            face_model: absolute(&self.face_model),
        })
    }
}

#[derive(Subcommand)]
enum VisionCommand {
    /// Analyse the pack's cameras (vision/*.toml) and publish to a running Vigie.
    Run {
        #[arg(long, default_value = "cities/demo-metropole")]
        city: PathBuf,
        /// Only these cameras (default: every camera of the pack's vision folder).
        #[arg(long = "camera")]
        cameras: Vec<String>,
        /// Read this file or RTSP URL instead of the camera's configured source.
        #[arg(long)]
        source: Option<String>,
        /// Start a file again when it ends.
        #[arg(long = "loop")]
        looped: bool,
        /// Read files as fast as possible instead of at their native speed.
        #[arg(long)]
        fast: bool,
        /// Vigie's HTTP API.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The device to post as (a device of the devices file), and its secret (or VIGIE_VISION_SECRET).
        #[arg(long)]
        device: Option<String>,
        #[arg(long, env = "VIGIE_VISION_SECRET", hide_env_values = true)]
        secret: Option<String>,
        #[command(flatten)]
        detector: DetectorArgs,
    },
    /// Evaluate: count error against a per-frame count file, and MOTChallenge metrics.
    Eval {
        /// A video to run the pipeline on (with --counts and/or --write-mot).
        #[arg(long)]
        video: Option<PathBuf>,
        /// Per-frame person counts (`frame,persons`, 0-based frames).
        #[arg(long)]
        counts: Option<PathBuf>,
        /// Write the tracker's output in MOTChallenge format.
        #[arg(long)]
        write_mot: Option<PathBuf>,
        /// MOTChallenge ground truth, with --hyp (tracker output) to compare.
        #[arg(long)]
        gt: Option<PathBuf>,
        #[arg(long)]
        hyp: Option<PathBuf>,
        #[command(flatten)]
        detector: DetectorArgs,
    },
}

#[derive(Subcommand)]
enum CityCommand {
    /// Load and validate a city pack; exits non-zero on any error.
    Check { dir: PathBuf },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Print the argon2id hash of a secret read from standard input, for a devices file.
    Hash,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; its password is read from standard input (never from the command line).
    Add {
        #[arg(long)]
        login: String,
        /// operator, supervisor, administrator, auditor, data_protection_officer or integrator.
        #[arg(long)]
        role: String,
        /// The command posts it works for: `all` or a comma-separated list.
        #[arg(long, default_value = "all")]
        posts: String,
        /// The communes it works on: `all` or a comma-separated list of INSEE codes.
        #[arg(long, default_value = "all")]
        communes: String,
        #[arg(long)]
        display_name: Option<String>,
        /// No second factor (machine accounts; people should keep it).
        #[arg(long)]
        no_mfa: bool,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List the accounts: role, scope, second factor, lockout.
    List {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// End an account's lockout.
    Unlock {
        login: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Forget an account's second factor (a lost phone): its next login enrols a new one.
    ResetTotp {
        login: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain and the signed checkpoints; exits non-zero with the first problem.
    Verify {
        /// The audit database (default: audit.db beside the event log).
        #[arg(long)]
        db: Option<PathBuf>,
        /// The published public key (64 hex digits).
        #[arg(long, conflicts_with = "key_file")]
        public_key: Option<String>,
        /// The signing key file, to take the public key from.
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the public key that verifies the checkpoints (creates the signing key if absent).
    PublicKey {
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Sign a checkpoint, then write every entry as JSON lines.
    Export {
        /// The file to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
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
    /// Durable readings/s through MQTT QoS 1, and publish → live-stream latency.
    Mqtt {
        /// Readings sent at the maximum rate.
        #[arg(long, default_value_t = 1_000_000)]
        readings: u64,
        /// MQTT connections sharing them (several per broker worker, so the workers share the load).
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Unacknowledged readings per connection.
        #[arg(long, default_value_t = 1000)]
        window: usize,
        /// The embedded broker's worker threads (default: one per core).
        #[arg(long)]
        broker_workers: Option<usize>,
    },
    /// Rule evaluations per second on one core, in memory, with the demo pack's rules.
    Rules {
        /// Readings to evaluate.
        #[arg(long, default_value_t = 2_000_000)]
        readings: u64,
    },
    /// Video analytics frames/s end to end (decode, detect, track, scene) with each stage's share,
    /// and Python ONNX Runtime's inference-only rate on the same model as the reference.
    Vision {
        #[arg(long, default_value = "assets/vtest.avi")]
        video: PathBuf,
        /// Frames to analyse (the video has 795).
        #[arg(long, default_value_t = 795)]
        frames: u64,
        /// Also measure the tract backend (slower; inference only, on 100 frames).
        #[arg(long)]
        with_tract: bool,
        #[command(flatten)]
        detector: DetectorArgs,
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
        Command::Demo { listen, store, mqtt_listen, speed, seed, no_simulator, no_vision } => {
            let options = commands::serve::DemoOptions {
                store,
                mqtt_listen,
                speed,
                seed,
                simulate: !no_simulator,
                vision: !no_vision,
            };
            commands::serve::demo(listen.as_deref(), options)
        }
        Command::City { command: CityCommand::Check { dir } } => commands::city::check(&dir),
        Command::Device { command: DeviceCommand::Hash } => commands::device::hash(),
        Command::User { command } => match command {
            UserCommand::Add { login, role, posts, communes, display_name, no_mfa, config } => {
                let user = commands::user::NewUser { login, role, posts, communes, display_name, no_mfa };
                commands::user::add(config.as_deref(), &user)
            }
            UserCommand::List { config } => commands::user::list(config.as_deref()),
            UserCommand::Unlock { login, config } => commands::user::unlock(config.as_deref(), &login),
            UserCommand::ResetTotp { login, config } => commands::user::reset_totp(config.as_deref(), &login),
        },
        Command::Audit { command } => match command {
            AuditCommand::Verify { db, public_key, key_file, config } => {
                let request = commands::audit::VerifyRequest { db, public_key, key_file };
                commands::audit::verify(config.as_deref(), &request)
            }
            AuditCommand::PublicKey { key_file, config } => {
                commands::audit::public_key(config.as_deref(), key_file.as_deref())
            }
            AuditCommand::Export { output, config } => commands::audit::export(config.as_deref(), output.as_deref()),
        },
        Command::Simulate { city, host, port, username, password, speed, seed, scenarios, duration_s } => {
            let plan = commands::simulate::SimulationPlan {
                host,
                port,
                username,
                password,
                speed,
                seed,
                scenarios,
                duration: duration_s.map(std::time::Duration::from_secs),
            };
            commands::simulate::simulate(city, plan)
        }
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
        Command::Bench { command: BenchCommand::Vision { video, frames, with_tract, detector } } => {
            detector.options().and_then(|detector| commands::vision_eval::bench(&video, frames, with_tract, &detector))
        }
        Command::Vision {
            command: VisionCommand::Run { city, cameras, source, looped, fast, server, device, secret, detector },
        } => detector.options().and_then(|detector| {
            let options =
                commands::vision::WorkerOptions { source, looped, realtime: !fast, server, device, secret, detector };
            commands::vision::run(&city, &cameras, options)
        }),
        Command::Vision { command: VisionCommand::Eval { video, counts, write_mot, gt, hyp, detector } } => {
            detector.options().and_then(|detector| {
                let request = commands::vision_eval::EvalRequest { video, counts, write_mot, gt, hyp };
                commands::vision_eval::eval(&request, &detector)
            })
        }
        Command::Bench { command: BenchCommand::Rules { readings } } => commands::bench::rules(readings),
        Command::Bench { command: BenchCommand::Mqtt { readings, connections, window, broker_workers } } => {
            commands::bench::mqtt(readings, connections, window, broker_workers)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
