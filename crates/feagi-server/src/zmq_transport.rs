//! The ZeroMQ transport, as FEAGI's Python SDK (feagi-core 2.6, through
//! feagi-rust-py-libs) speaks it:
//!
//! * registration, ROUTER (default 30001): each message `[identity][empty]
//!   [container]` from the agent's DEALER; the reply goes back under the same
//!   envelope. The messages are those of the WebSocket registration channel
//!   ([`crate::ws::handle_control`]).
//! * sensory, PULL (5558): one container with XYZP structs per message,
//!   handed to [`crate::sensory::ingest`].
//! * motor, XPUB (5564): the motor frame of every burst (every output area
//!   that fired; empty when none did), one message, no topic frame.
//! * visualization, XPUB (5562): the visualization frames of the WebSocket
//!   stream.
//!
//! Each socket lives on its own thread (libzmq sockets are not shared). The
//! receiving threads wait at most [`POLL`] before they look at the shutdown
//! flag; the publishing threads wait on the loop's watch channel and send
//! without blocking (libzmq drops a message for a subscriber whose queue of
//! [`PUBLISH_HWM`] messages is full), so a slow subscriber never slows the
//! burst loop or another subscriber. The publishers are XPUB sockets so that
//! the server knows whether anyone subscribed: frames are encoded only then.
//! libzmq refuses messages above [`CONTROL_MAX_MESSAGE`] (registration) and
//! [`MAX_SENSORY_MESSAGE`] (sensory) by closing that peer's connection.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::VizFrame;
use crate::sensory::MAX_SENSORY_MESSAGE;
use crate::server::ServerError;
use crate::state::ServerState;
use crate::ws::CONTROL_MAX_MESSAGE;

/// Longest wait of a receiving thread before it looks at the shutdown flag.
pub const POLL: Duration = Duration::from_millis(20);
/// Messages queued per subscriber before libzmq drops new ones for it.
pub const PUBLISH_HWM: i32 = 4;
/// Parts one message may have (registration: identity, empty, payload).
const MAX_PARTS: usize = 8;
/// Subscription topics a publisher remembers.
const MAX_TOPICS: usize = 1024;

/// The four bound sockets, before their threads start.
pub struct ZmqListeners {
    context: zmq::Context,
    registration: zmq::Socket,
    sensory: zmq::Socket,
    motor: zmq::Socket,
    visualization: zmq::Socket,
}

/// The ports the sockets are bound to: registration, sensory, motor,
/// visualization.
pub type ZmqPorts = [u16; 4];

fn endpoint(host: &str, port: u16) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == 0 {
        format!("tcp://{host}:*")
    } else {
        format!("tcp://{host}:{port}")
    }
}

fn bind_one(
    context: &zmq::Context,
    what: &'static str,
    kind: zmq::SocketType,
    host: &str,
    port: u16,
) -> Result<(zmq::Socket, u16), ServerError> {
    let addr = endpoint(host, port);
    let error = |e: zmq::Error| ServerError::Bind {
        what,
        addr: addr.clone(),
        source: std::io::Error::other(e.to_string()),
    };
    let socket = context.socket(kind).map_err(error)?;
    socket.set_linger(0).map_err(error)?;
    if host.contains(':') {
        socket.set_ipv6(true).map_err(error)?;
    }
    match kind {
        zmq::ROUTER => {
            socket
                .set_maxmsgsize(CONTROL_MAX_MESSAGE as i64)
                .map_err(error)?;
            socket
                .set_rcvtimeo(POLL.as_millis() as i32)
                .map_err(error)?;
        }
        zmq::PULL => {
            socket
                .set_maxmsgsize(MAX_SENSORY_MESSAGE as i64)
                .map_err(error)?;
            // Few queued messages per sender: latest wins anyway, and memory
            // stays bounded (4 x 16 MiB per connection at most).
            socket.set_rcvhwm(4).map_err(error)?;
            socket
                .set_rcvtimeo(POLL.as_millis() as i32)
                .map_err(error)?;
        }
        _ => {
            // Subscribers send only subscriptions.
            socket.set_maxmsgsize(1 << 16).map_err(error)?;
            socket.set_sndhwm(PUBLISH_HWM).map_err(error)?;
        }
    }
    socket.bind(&addr).map_err(error)?;
    let port = socket
        .get_last_endpoint()
        .ok()
        .and_then(Result::ok)
        .and_then(|e| e.rsplit(':').next().and_then(|p| p.parse().ok()))
        .unwrap_or(port);
    Ok((socket, port))
}

impl ZmqListeners {
    /// Binds the four sockets on `host` (port 0: any free port).
    pub fn bind(host: &str, ports: ZmqPorts) -> Result<(ZmqListeners, ZmqPorts), ServerError> {
        let context = zmq::Context::new();
        let (registration, r) =
            bind_one(&context, "ZMQ registration", zmq::ROUTER, host, ports[0])?;
        let (sensory, s) = bind_one(&context, "ZMQ sensory", zmq::PULL, host, ports[1])?;
        let (motor, m) = bind_one(&context, "ZMQ motor", zmq::XPUB, host, ports[2])?;
        let (visualization, v) =
            bind_one(&context, "ZMQ visualization", zmq::XPUB, host, ports[3])?;
        Ok((
            ZmqListeners {
                context,
                registration,
                sensory,
                motor,
                visualization,
            },
            [r, s, m, v],
        ))
    }

    /// Starts one thread per socket. They stop when the server shuts down;
    /// join them, then drop the returned context (which closes libzmq).
    pub fn start(
        self,
        state: Arc<ServerState>,
        runtime: tokio::runtime::Handle,
    ) -> std::io::Result<(Vec<JoinHandle<()>>, zmq::Context)> {
        let ZmqListeners {
            context,
            registration,
            sensory,
            motor,
            visualization,
        } = self;
        let mut threads = Vec::new();
        let s = state.clone();
        threads.push(
            std::thread::Builder::new()
                .name("feagi-zmq-registration".into())
                .spawn(move || registration_loop(registration, &s))?,
        );
        let s = state.clone();
        threads.push(
            std::thread::Builder::new()
                .name("feagi-zmq-sensory".into())
                .spawn(move || sensory_loop(sensory, &s))?,
        );
        for (socket, channel, name) in [
            (motor, state.motor.clone(), "motor"),
            (visualization, state.viz.clone(), "visualization"),
        ] {
            let s = state.clone();
            let rt = runtime.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("feagi-zmq-{name}"))
                    .spawn(move || publish_loop(socket, &channel, &s, &rt, name))?,
            );
        }
        Ok((threads, context))
    }
}

fn stopping(s: &ServerState) -> bool {
    *s.shutdown.borrow()
}

/// One message's parts, or `None` (logged) for one with too many parts;
/// `Err(EAGAIN)` when none came within [`POLL`].
fn recv_parts(socket: &zmq::Socket) -> Result<Option<Vec<Vec<u8>>>, zmq::Error> {
    let mut parts = vec![socket.recv_bytes(0)?];
    let mut too_many = false;
    while socket.get_rcvmore()? {
        let part = socket.recv_bytes(0)?;
        if parts.len() < MAX_PARTS {
            parts.push(part);
        } else {
            too_many = true;
        }
    }
    Ok((!too_many).then_some(parts))
}

fn receive_error(s: &ServerState, what: &str, e: zmq::Error) {
    if s.warned.first(&format!("zmq:{what}:{e}")) {
        tracing::warn!("ZMQ {what}: receive failed: {e} (logged once)");
    }
    std::thread::sleep(POLL);
}

fn registration_loop(socket: zmq::Socket, s: &ServerState) {
    while !stopping(s) {
        let parts = match recv_parts(&socket) {
            Ok(Some(parts)) => parts,
            Ok(None) => {
                if s.warned.first("zmq:registration:parts") {
                    tracing::warn!("ZMQ registration: a message of more than {MAX_PARTS} parts dropped (logged once)");
                }
                continue;
            }
            Err(zmq::Error::EAGAIN) | Err(zmq::Error::EINTR) => continue,
            Err(e) => {
                receive_error(s, "registration", e);
                continue;
            }
        };
        // [identity] [empty]... [payload]: the reply goes back under the
        // same envelope.
        let Some((payload, envelope)) = parts.split_last() else {
            continue;
        };
        if envelope.is_empty() {
            continue;
        }
        if let Some(reply) = crate::ws::handle_control(s, payload) {
            let mut out: Vec<&[u8]> = envelope.iter().map(Vec::as_slice).collect();
            out.push(&reply);
            if let Err(e) = socket.send_multipart(out, zmq::DONTWAIT) {
                tracing::debug!("ZMQ registration: reply not sent: {e}");
            }
        }
    }
}

fn sensory_loop(socket: zmq::Socket, s: &ServerState) {
    while !stopping(s) {
        let parts = match recv_parts(&socket) {
            Ok(Some(parts)) => parts,
            Ok(None) => {
                if s.warned.first("zmq:sensory:parts") {
                    tracing::warn!("ZMQ sensory: a message of more than {MAX_PARTS} parts dropped (logged once)");
                }
                continue;
            }
            Err(zmq::Error::EAGAIN) | Err(zmq::Error::EINTR) => continue,
            Err(e) => {
                receive_error(s, "sensory", e);
                continue;
            }
        };
        if parts.len() > 1 && s.warned.first("zmq:sensory:multipart") {
            tracing::warn!(
                "ZMQ sensory: only the first part of multipart messages is read (logged once)"
            );
        }
        if let Some(first) = parts.first() {
            crate::sensory::ingest(s, first, "ZMQ");
        }
    }
}

/// Reads pending subscription messages; returns whether anyone subscribes.
fn update_topics(socket: &zmq::Socket, topics: &mut BTreeSet<Vec<u8>>) {
    while let Ok(message) = socket.recv_bytes(zmq::DONTWAIT) {
        match message.split_first() {
            Some((1, topic)) if topics.len() < MAX_TOPICS => {
                topics.insert(topic.to_vec());
            }
            Some((0, topic)) => {
                topics.remove(topic);
            }
            _ => {}
        }
    }
}

fn publish_loop(
    socket: zmq::Socket,
    channel: &watch::Sender<Option<VizFrame>>,
    s: &ServerState,
    runtime: &tokio::runtime::Handle,
    name: &str,
) {
    let mut topics: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut frames: Option<watch::Receiver<Option<VizFrame>>> = None;
    while !stopping(s) {
        update_topics(&socket, &mut topics);
        if topics.is_empty() {
            if frames.take().is_some() {
                tracing::info!("ZMQ {name}: no subscriber left");
            }
            std::thread::sleep(POLL);
            continue;
        }
        let receiver = frames.get_or_insert_with(|| {
            tracing::info!("ZMQ {name}: a subscriber joined");
            channel.subscribe()
        });
        let changed =
            runtime.block_on(async { tokio::time::timeout(POLL, receiver.changed()).await });
        match changed {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => continue,
        }
        let frame = receiver.borrow_and_update().clone();
        if let Some(frame) = frame {
            // Never blocks: a full subscriber queue drops the message for it.
            if let Err(e) = socket.send(&frame.bytes[..], zmq::DONTWAIT) {
                tracing::debug!("ZMQ {name}: frame not sent: {e}");
            }
        }
    }
}
