//! `feagi-npu serve`: a FEAGI-compatible brain server over the feagi-rust
//! runtime, for the clients of FEAGI's current protocol (Brain Visualizer,
//! FEAGI agents) unmodified.
//!
//! ```no_run
//! # async fn demo() -> Result<(), feagi_server::ServerError> {
//! use feagi_server::{start, ServerConfig};
//!
//! let genome = feagi_genome::Genome::default_genome();
//! let server = start(ServerConfig::ephemeral(), genome, None).await?;
//! println!("REST at {}", server.urls().rest);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! * [`server`]: listeners, brain, loop and handlers, started by [`start`]
//!   and stopped by [`RunningServer::shutdown`].
//! * [`engine`]: the burst loop on its own thread; it publishes counters in
//!   atomics and the latest visualization frame through a watch channel, so
//!   no handler ever waits on a burst.
//! * [`rest`]: the `/v1` REST API Brain Visualizer calls, FEAGI's error JSON.
//! * [`ws`]: visualization, agent registration (command and control),
//!   sensory and motor over WebSocket; [`ws::handle_control`] is the one
//!   handler of command and control messages for both transports.
//! * [`zmq_transport`]: the same channels over ZeroMQ (FEAGI's Python SDK).
//! * [`sensory`]: agents' sensory frames, checked and kept for the next
//!   burst (latest per agent and area).
//! * [`devices`]: device configurations and the IO areas they create.
//! * [`reload`]: genome upload, grown beside the running brain and swapped
//!   in between two bursts.
//! * [`learning`]: weight histograms and memory counts for the page.
//! * [`page`]: the live brain page at `/` (embedded HTML, JS and CSS).
//! * [`brain`]: the REST view of a developed genome, computed once.
//! * [`state`]: what handlers share: health, request log, agents.
//! * [`wire`]: FeagiByteContainer v4 frames and 8-byte cortical ids.
//!
//! docs/SERVER.md describes running it with Brain Visualizer, the REST
//! subset, the ports and what is not supported yet.

pub mod brain;
pub mod devices;
pub mod engine;
pub mod learning;
pub mod page;
pub mod reload;
pub mod rest;
pub mod sensory;
pub mod server;
pub mod state;
pub mod wire;
pub mod ws;
pub mod zmq_transport;

pub use server::{
    start, RunningServer, ServerConfig, ServerError, DEFAULT_REST_PORT, DEFAULT_VIZ_HZ,
    DEFAULT_WS_MOTOR_PORT, DEFAULT_WS_REGISTRATION_PORT, DEFAULT_WS_SENSORY_PORT,
    DEFAULT_WS_VISUALIZATION_PORT, DEFAULT_ZMQ_MOTOR_PORT, DEFAULT_ZMQ_REGISTRATION_PORT,
    DEFAULT_ZMQ_SENSORY_PORT, DEFAULT_ZMQ_VISUALIZATION_PORT,
};
pub use state::{RequestRecord, ServerUrls};
