//! `feagi-npu serve`: a FEAGI-compatible brain server (see docs/SERVER.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use feagi_server::{ServerConfig, ServerUrls};
use serde_json::json;

use crate::error::{CliError, Result};
use crate::run::{load_genome, MemoryLimitArg};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Genome JSON file (the embedded default genome when absent).
    pub genome: Option<PathBuf>,
    /// Bursts per second, overriding the genome's simulation_timestep (at
    /// least 1e-6). Clients can change it later (POST
    /// /v1/burst_engine/simulation_timestep).
    #[arg(long, value_name = "F", value_parser = crate::run::parse_hz)]
    pub hz: Option<f64>,
    /// Address every listener binds to (0.0.0.0 for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Host written into the URLs clients are given (default: --host, or
    /// 127.0.0.1 when --host is a wildcard address).
    #[arg(long, value_name = "HOST")]
    pub advertise_host: Option<String>,
    /// REST port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_REST_PORT)]
    pub rest_port: u16,
    /// WebSocket registration (agent command and control) port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_WS_REGISTRATION_PORT)]
    pub ws_registration_port: u16,
    /// WebSocket visualization port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_WS_VISUALIZATION_PORT)]
    pub viz_port: u16,
    /// WebSocket sensory port: agents push sensor frames (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_WS_SENSORY_PORT)]
    pub ws_sensory_port: u16,
    /// WebSocket motor port: motor frames each burst (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_WS_MOTOR_PORT)]
    pub ws_motor_port: u16,
    /// ZMQ registration (ROUTER) port, FEAGI's Python SDK's (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_ZMQ_REGISTRATION_PORT)]
    pub zmq_registration_port: u16,
    /// ZMQ sensory (PULL) port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_ZMQ_SENSORY_PORT)]
    pub zmq_sensory_port: u16,
    /// ZMQ motor (PUB) port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_ZMQ_MOTOR_PORT)]
    pub zmq_motor_port: u16,
    /// ZMQ visualization (PUB) port (0: any free port).
    #[arg(long, default_value_t = feagi_server::DEFAULT_ZMQ_VISUALIZATION_PORT)]
    pub zmq_viz_port: u16,
    /// Visualization frames per second at most (> 0); each client gets the
    /// latest frame and skips what it cannot take.
    #[arg(long, default_value_t = feagi_server::DEFAULT_VIZ_HZ, value_parser = parse_viz_hz)]
    pub viz_hz: f64,
    /// Seed of synaptogenesis.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Turn learning off (M1 semantics, SPEC §6).
    #[arg(long)]
    pub no_plasticity: bool,
    /// Print the ready line as one JSON object (for scripts), not a readable block.
    #[arg(long)]
    pub json: bool,
    /// Log level on stderr: error, warn, info or debug (debug logs every HTTP request).
    #[arg(long, default_value = "info", value_parser = ["error", "warn", "info", "debug"])]
    pub log_level: String,
    #[command(flatten)]
    pub limits: MemoryLimitArg,
}

fn parse_viz_hz(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("expected a positive number of frames per second".into()),
    }
}

fn ready_block(
    urls: &ServerUrls,
    genome: &str,
    areas: usize,
    neurons: u64,
    timestep: f64,
) -> String {
    format!(
        "feagi-npu serve: ready ({genome}: {areas} areas, {neurons} neurons, {:.1} bursts/s)\n  \
         REST                     {}\n  \
         WebSocket registration   {}\n  \
         WebSocket visualization  {}\n  \
         WebSocket sensory        {}\n  \
         WebSocket motor          {}\n  \
         ZMQ registration         {}\n  \
         ZMQ sensory              {}\n  \
         ZMQ motor                {}\n  \
         ZMQ visualization        {}\n\
         Brain Visualizer: FEAGI_MODE=remote FEAGI_API_URL={} FEAGI_WS_HOST={} FEAGI_WS_PORT={}\n\
         Python SDK agents: FEAGI_HOST={} FEAGI_API_PORT={} FEAGI_REGISTRATION_PORT={} \
         FEAGI_SENSORY_PORT={} FEAGI_MOTOR_PORT={}\n\
         Ctrl-C stops the server.",
        1.0 / timestep,
        urls.rest,
        urls.ws_registration,
        urls.ws_visualization,
        urls.ws_sensory,
        urls.ws_motor,
        urls.zmq_registration,
        urls.zmq_sensory,
        urls.zmq_motor,
        urls.zmq_visualization,
        urls.rest,
        urls.host,
        urls.ws_visualization_port,
        urls.host,
        urls.rest_port,
        urls.zmq_registration_port,
        urls.zmq_sensory_port,
        urls.zmq_motor_port,
    )
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    let level = match args.log_level.as_str() {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_ansi(false)
        .try_init();
    let options = args.limits.options();
    let (genome, label, text) = load_genome(args.genome.as_ref(), &options)?;
    let raw = serde_json::from_str(&text).ok();
    let config = ServerConfig {
        host: args.host.clone(),
        advertise_host: args.advertise_host.clone(),
        rest_port: args.rest_port,
        ws_registration_port: args.ws_registration_port,
        ws_visualization_port: args.viz_port,
        ws_sensory_port: args.ws_sensory_port,
        ws_motor_port: args.ws_motor_port,
        zmq_registration_port: args.zmq_registration_port,
        zmq_sensory_port: args.zmq_sensory_port,
        zmq_motor_port: args.zmq_motor_port,
        zmq_visualization_port: args.zmq_viz_port,
        hz: args.hz,
        viz_hz: args.viz_hz,
        seed: args.seed,
        plasticity: !args.no_plasticity,
        load_options: options,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("feagi-serve")
        .build()
        .map_err(|e| CliError::Serve(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let signals = StopSignals::listen();
        let server = feagi_server::start(config, genome, raw)
            .await
            .map_err(|e| CliError::Serve(e.to_string()))?;
        let state = server.state().clone();
        let urls = server.urls().clone();
        let brain = state.brain();
        if args.json {
            outln!(
                "{}",
                json!({
                    "event": "ready",
                    "genome": label,
                    "rest": urls.rest,
                    "ws_registration": urls.ws_registration,
                    "ws_visualization": urls.ws_visualization,
                    "ws_sensory": urls.ws_sensory,
                    "ws_motor": urls.ws_motor,
                    "zmq_registration": urls.zmq_registration,
                    "zmq_sensory": urls.zmq_sensory,
                    "zmq_motor": urls.zmq_motor,
                    "zmq_visualization": urls.zmq_visualization,
                    "rest_port": urls.rest_port,
                    "ws_registration_port": urls.ws_registration_port,
                    "ws_visualization_port": urls.ws_visualization_port,
                    "ws_sensory_port": urls.ws_sensory_port,
                    "ws_motor_port": urls.ws_motor_port,
                    "zmq_registration_port": urls.zmq_registration_port,
                    "zmq_sensory_port": urls.zmq_sensory_port,
                    "zmq_motor_port": urls.zmq_motor_port,
                    "zmq_visualization_port": urls.zmq_visualization_port,
                    "cortical_areas": brain.areas.len(),
                    "neurons": brain.neuron_count,
                    "synapses": brain.synapse_count,
                    "simulation_timestep": state.engine.timestep(),
                    "feagi_session": state.session,
                })
            );
        } else {
            outln!(
                "{}",
                ready_block(
                    &urls,
                    &label,
                    brain.areas.len(),
                    brain.neuron_count,
                    state.engine.timestep()
                )
            );
        }
        signals.wait().await;
        tracing::info!("stopping");
        server.shutdown().await;
        let bursts = state.engine.bursts();
        let pacing = state.engine.pacing();
        errln!(
            "feagi-npu serve: stopped after {bursts} bursts ({:.3} ms of work per burst on average, {:.3} ms at most; {} late, {} schedule restarts; {} visualization frames)",
            pacing.mean_work_ms(),
            pacing.max_work_ns as f64 / 1e6,
            pacing.late,
            pacing.restarts,
            state.engine.frames()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C, SIGTERM and SIGHUP, listened to from the moment this is made:
/// made before the ready line is printed, so a signal sent right after it
/// stops the server instead of killing the process.
struct StopSignals {
    #[cfg(unix)]
    streams: Option<[tokio::signal::unix::Signal; 3]>,
}

impl StopSignals {
    /// Starts listening (inside the runtime).
    fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) {
                (Ok(int), Ok(term), Ok(hup)) => Some([int, term, hup]),
                _ => None,
            };
            StopSignals { streams }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Waits for the first of them.
    async fn wait(self) {
        #[cfg(unix)]
        if let Some([mut int, mut term, mut hup]) = self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
