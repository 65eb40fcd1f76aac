//! Starting and stopping a server: listeners, brain, loop, handlers.

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use feagi_burst_engine::{LoadError, NpuConfig, RustNPU};
use feagi_genome::Genome;
use feagi_runtime::NpuHandle;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::brain::BrainInfo;
use crate::engine::{valid_timestep, Engine, EngineConfig, EngineLinks};
use crate::sensory::{LogOnce, SensoryInbox};
use crate::state::{
    unix_millis, Agents, BrainCell, RequestLog, RequestRecord, ServerState, ServerUrls,
};
use crate::zmq_transport::ZmqListeners;

/// FEAGI's REST port.
pub const DEFAULT_REST_PORT: u16 = 8000;
/// FEAGI's WebSocket registration (command and control) port.
pub const DEFAULT_WS_REGISTRATION_PORT: u16 = 9053;
/// FEAGI's WebSocket visualization port.
pub const DEFAULT_WS_VISUALIZATION_PORT: u16 = 9050;
/// FEAGI's WebSocket sensory port.
pub const DEFAULT_WS_SENSORY_PORT: u16 = 9051;
/// FEAGI's WebSocket motor port.
pub const DEFAULT_WS_MOTOR_PORT: u16 = 9052;
/// FEAGI's ZMQ registration (ROUTER) port.
pub const DEFAULT_ZMQ_REGISTRATION_PORT: u16 = 30001;
/// FEAGI's ZMQ sensory (PULL) port.
pub const DEFAULT_ZMQ_SENSORY_PORT: u16 = 5558;
/// FEAGI's ZMQ motor (PUB) port.
pub const DEFAULT_ZMQ_MOTOR_PORT: u16 = 5564;
/// FEAGI's ZMQ visualization (PUB) port.
pub const DEFAULT_ZMQ_VISUALIZATION_PORT: u16 = 5562;
/// Visualization frames per second at most, by default.
pub const DEFAULT_VIZ_HZ: f64 = 20.0;

/// How to serve.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// Address to bind every listener to (`127.0.0.1`, `0.0.0.0`, `::1`).
    pub host: String,
    /// Host written into advertised URLs; by default the bind host, or
    /// `127.0.0.1` when that is a wildcard address.
    pub advertise_host: Option<String>,
    /// REST port (0: any free port).
    pub rest_port: u16,
    /// WebSocket registration port (0: any free port).
    pub ws_registration_port: u16,
    /// WebSocket visualization port (0: any free port).
    pub ws_visualization_port: u16,
    /// WebSocket sensory port (0: any free port).
    pub ws_sensory_port: u16,
    /// WebSocket motor port (0: any free port).
    pub ws_motor_port: u16,
    /// ZMQ registration port (0: any free port).
    pub zmq_registration_port: u16,
    /// ZMQ sensory port (0: any free port).
    pub zmq_sensory_port: u16,
    /// ZMQ motor port (0: any free port).
    pub zmq_motor_port: u16,
    /// ZMQ visualization port (0: any free port).
    pub zmq_visualization_port: u16,
    /// Bursts per second, overriding the genome's `simulation_timestep`.
    pub hz: Option<f64>,
    /// Visualization frames per second at most (> 0).
    pub viz_hz: f64,
    /// Seed of synaptogenesis.
    pub seed: u64,
    /// Learning on (the default) or off.
    pub plasticity: bool,
    /// The loader's limits (memory budget, synapse budget) for the genome.
    pub load_options: feagi_genome::LoadOptions,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".into(),
            advertise_host: None,
            rest_port: DEFAULT_REST_PORT,
            ws_registration_port: DEFAULT_WS_REGISTRATION_PORT,
            ws_visualization_port: DEFAULT_WS_VISUALIZATION_PORT,
            ws_sensory_port: DEFAULT_WS_SENSORY_PORT,
            ws_motor_port: DEFAULT_WS_MOTOR_PORT,
            zmq_registration_port: DEFAULT_ZMQ_REGISTRATION_PORT,
            zmq_sensory_port: DEFAULT_ZMQ_SENSORY_PORT,
            zmq_motor_port: DEFAULT_ZMQ_MOTOR_PORT,
            zmq_visualization_port: DEFAULT_ZMQ_VISUALIZATION_PORT,
            hz: None,
            viz_hz: DEFAULT_VIZ_HZ,
            seed: 0,
            plasticity: true,
            load_options: feagi_genome::LoadOptions::default(),
        }
    }
}

impl ServerConfig {
    /// Every port 0 and everything else default: for tests.
    pub fn ephemeral() -> Self {
        ServerConfig {
            rest_port: 0,
            ws_registration_port: 0,
            ws_visualization_port: 0,
            ws_sensory_port: 0,
            ws_motor_port: 0,
            zmq_registration_port: 0,
            zmq_sensory_port: 0,
            zmq_motor_port: 0,
            zmq_visualization_port: 0,
            ..Default::default()
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A listener could not be bound.
    #[error("cannot listen for {what} on {addr}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address asked for.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// A configuration value out of range.
    #[error("{0}")]
    Config(String),
    /// The genome did not develop into an NPU.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The burst loop could not start or stopped before its first burst.
    #[error("the burst loop failed: {0}")]
    Engine(String),
}

/// A running server. Dropping it without [`RunningServer::shutdown`] stops
/// the burst loop but leaves the listeners to the runtime.
pub struct RunningServer {
    state: Arc<ServerState>,
    engine: Engine,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    zmq: Option<(Vec<std::thread::JoinHandle<()>>, zmq::Context)>,
}

impl RunningServer {
    /// The URLs clients use.
    pub fn urls(&self) -> &ServerUrls {
        &self.state.urls
    }

    /// Everything the handlers share.
    pub fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    /// Every HTTP request answered so far: method, path, status.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state.requests.snapshot()
    }

    /// Stops accepting, closes open sockets (WebSocket clients get a close
    /// frame), stops the burst loop after the burst under way and waits for
    /// all of it (at most a few seconds for handlers that do not finish).
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        if let Some((threads, context)) = self.zmq.take() {
            // The threads see the flag within a poll period and close their
            // sockets; the context ends once they have.
            let _ = tokio::task::spawn_blocking(move || {
                for t in threads {
                    let _ = t.join();
                }
                drop(context);
            })
            .await;
        }
        let mut engine = self.engine;
        let _ = tokio::task::spawn_blocking(move || engine.stop()).await;
    }
}

fn url_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

async fn bind(what: &'static str, host: &str, port: u16) -> Result<TcpListener, ServerError> {
    let addr = format!("{}:{port}", url_host(host));
    TcpListener::bind(&addr)
        .await
        .map_err(|source| ServerError::Bind { what, addr, source })
}

fn port_of(listener: &TcpListener) -> u16 {
    listener
        .local_addr()
        .map(|a: SocketAddr| a.port())
        .unwrap_or(0)
}

/// Develops `genome`, starts the burst loop and serves REST, registration,
/// visualization, sensory and motor (WebSocket and ZMQ) on the configured
/// ports. Returns once every listener is
/// up and the first burst has run. `raw` is the genome's JSON, when there is
/// one (morphology parameters pass through as written).
pub async fn start(
    config: ServerConfig,
    genome: Genome,
    raw: Option<Value>,
) -> Result<RunningServer, ServerError> {
    if !(config.viz_hz.is_finite() && config.viz_hz > 0.0) {
        return Err(ServerError::Config(format!(
            "the visualization rate must be a positive number of frames per second, got {}",
            config.viz_hz
        )));
    }
    let timestep = match config.hz {
        Some(hz) => 1.0 / hz,
        None => genome.simulation_timestep(),
    };
    if !valid_timestep(timestep) {
        return Err(ServerError::Config(format!(
            "the burst rate must be between 1e-6 and infinity bursts per second (timestep {timestep} s)"
        )));
    }
    let rest = bind("REST", &config.host, config.rest_port).await?;
    let registration = bind(
        "WebSocket registration",
        &config.host,
        config.ws_registration_port,
    )
    .await?;
    let visualization = bind(
        "WebSocket visualization",
        &config.host,
        config.ws_visualization_port,
    )
    .await?;
    let sensory_ws = bind("WebSocket sensory", &config.host, config.ws_sensory_port).await?;
    let motor_ws = bind("WebSocket motor", &config.host, config.ws_motor_port).await?;
    let (zmq, zmq_ports) = {
        let host = config.host.clone();
        let ports = [
            config.zmq_registration_port,
            config.zmq_sensory_port,
            config.zmq_motor_port,
            config.zmq_visualization_port,
        ];
        tokio::task::spawn_blocking(move || ZmqListeners::bind(&host, ports))
            .await
            .map_err(|e| ServerError::Engine(format!("binding ZMQ stopped: {e}")))??
    };

    let npu_config = NpuConfig {
        seed: config.seed,
        plasticity: config.plasticity,
        ..NpuConfig::default()
    };
    let growth = crate::reload::Growth {
        npu: npu_config.clone(),
        options: config.load_options.clone(),
        keep_timestep: config.hz.is_some(),
    };
    let plasticity = config.plasticity;
    let load_options = config.load_options.clone();
    let (npu, brain) = tokio::task::spawn_blocking(move || {
        let npu = RustNPU::from_genome_with_options(&genome, npu_config, &load_options)?;
        let brain = BrainInfo::new(&genome, &npu, raw.as_ref());
        let handle = NpuHandle::with_warnings(npu, genome.warnings_for(plasticity));
        Ok::<_, LoadError>((handle, brain))
    })
    .await
    .map_err(|e| ServerError::Engine(format!("development stopped: {e}")))??;

    let host = match config.advertise_host.clone() {
        Some(h) => h,
        None if config.host == "0.0.0.0" || config.host == "::" || config.host == "[::]" => {
            "127.0.0.1".into()
        }
        None => config.host.clone(),
    };
    let h = url_host(&host);
    let (rest_port, reg_port, viz_port) = (
        port_of(&rest),
        port_of(&registration),
        port_of(&visualization),
    );
    let (sensory_port, motor_port) = (port_of(&sensory_ws), port_of(&motor_ws));
    let [zr, zs, zm, zv] = zmq_ports;
    let urls = ServerUrls {
        rest: format!("http://{h}:{rest_port}"),
        ws_registration: format!("ws://{h}:{reg_port}"),
        ws_visualization: format!("ws://{h}:{viz_port}"),
        ws_sensory: format!("ws://{h}:{sensory_port}"),
        ws_motor: format!("ws://{h}:{motor_port}"),
        zmq_registration: format!("tcp://{h}:{zr}"),
        zmq_sensory: format!("tcp://{h}:{zs}"),
        zmq_motor: format!("tcp://{h}:{zm}"),
        zmq_visualization: format!("tcp://{h}:{zv}"),
        host,
        rest_port,
        ws_registration_port: reg_port,
        ws_visualization_port: viz_port,
        ws_sensory_port: sensory_port,
        ws_motor_port: motor_port,
        zmq_registration_port: zr,
        zmq_sensory_port: zs,
        zmq_motor_port: zm,
        zmq_visualization_port: zv,
    };

    let viz = Arc::new(watch::Sender::new(None));
    let motor = Arc::new(watch::Sender::new(None));
    let sensory = Arc::new(SensoryInbox::default());
    let (burst_tx, mut burst_rx) = watch::channel(0u64);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let wire_ids = brain.wire_ids_by_index();
    let motor_ids = brain.motor_ids_by_index();
    let brain_cell = Arc::new(BrainCell::new(brain));
    let engine = Engine::start(
        npu,
        EngineConfig {
            timestep,
            viz_hz: config.viz_hz,
            wire_ids,
            motor_ids,
        },
        EngineLinks {
            viz: viz.clone(),
            motor: motor.clone(),
            burst_tx,
            sensory: sensory.clone(),
            brain: brain_cell.clone(),
        },
    )
    .map_err(|e| ServerError::Engine(e.to_string()))?;
    let state = Arc::new(ServerState {
        brain_cell,
        engine: engine.shared().clone(),
        session: unix_millis().max(1),
        growth,
        urls,
        requests: RequestLog::default(),
        agents: Agents::default(),
        viz,
        viz_clients: AtomicUsize::new(0),
        motor,
        sensory,
        warned: LogOnce::default(),
        shutdown: shutdown_rx.clone(),
    });

    let mut tasks = Vec::new();
    for (listener, router) in [
        (rest, crate::rest::router(state.clone())),
        (registration, crate::ws::registration_router(state.clone())),
        (visualization, crate::ws::viz_router(state.clone())),
        (sensory_ws, crate::ws::sensory_router(state.clone())),
        (motor_ws, crate::ws::motor_router(state.clone())),
    ] {
        let mut stop = shutdown_rx.clone();
        tasks.push(tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    crate::ws::stopping(&mut stop).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("a listener stopped: {e}");
            }
        }));
    }

    let zmq = zmq
        .start(state.clone(), tokio::runtime::Handle::current())
        .map_err(|e| ServerError::Engine(format!("the ZMQ threads did not start: {e}")));
    let zmq = match zmq {
        Ok(z) => Some(z),
        Err(e) => {
            let server = RunningServer {
                state,
                engine,
                shutdown: shutdown_tx,
                tasks,
                zmq: None,
            };
            server.shutdown().await;
            return Err(e);
        }
    };

    // Ready once the first burst has run (or the loop failed before it).
    let first = burst_rx.wait_for(|b| *b >= 1).await.is_ok();
    if !first || !engine.shared().running() && engine.shared().bursts() == 0 {
        let why = engine
            .shared()
            .error()
            .unwrap_or_else(|| "stopped before its first burst".into());
        let server = RunningServer {
            state,
            engine,
            shutdown: shutdown_tx,
            tasks,
            zmq,
        };
        server.shutdown().await;
        return Err(ServerError::Engine(why));
    }
    Ok(RunningServer {
        state,
        engine,
        shutdown: shutdown_tx,
        tasks,
        zmq,
    })
}
