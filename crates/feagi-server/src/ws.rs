//! The WebSocket servers: the visualization stream, agent registration
//! (FEAGI's command and control channel), sensory input and motor output.
//!
//! Visualization: every client gets the latest frame, one at a time. A client
//! that reads slowly skips frames; one that stops reading blocks only its own
//! task (and is dropped after [`SEND_TIMEOUT`]); memory holds one frame
//! whatever the number of clients. Any path on the port is the stream.
//!
//! Motor: the same, with the motor frame of every burst. Sensory: agents
//! push containers with XYZP structs ([`crate::sensory::ingest`]).
//!
//! Registration: FeagiByteContainer v4 messages with one JSON struct, as
//! FEAGI's `feagi-agent` crate sends them: registration, heartbeat,
//! deregistration, device configuration, health. A malformed or oversized
//! message is logged and dropped; the connection and the server go on.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

use crate::state::{AgentRecord, ServerState};
use crate::wire::fbc::{self, AgentId, AGENT_ID_LEN};

/// A visualization client that has not taken a frame for this long is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest message a visualization client may send (they send none).
const VIZ_MAX_MESSAGE: usize = 4096;
/// Largest command and control message accepted from a registered agent.
pub const CONTROL_MAX_MESSAGE: usize = 1 << 20;
/// Largest message accepted before registration (FEAGI's limit).
pub const PRE_REGISTRATION_MAX: usize = 1024;

type Shared = Arc<ServerState>;

/// The visualization router: a WebSocket upgrade on any path.
pub fn viz_router(state: Shared) -> Router {
    Router::new().fallback(viz_upgrade).with_state(state)
}

/// The sensory router: agents push XYZP containers (any path).
pub fn sensory_router(state: Shared) -> Router {
    Router::new().fallback(sensory_upgrade).with_state(state)
}

/// The motor router: every burst's motor frame to each client (any path).
pub fn motor_router(state: Shared) -> Router {
    Router::new().fallback(motor_upgrade).with_state(state)
}

/// The registration router: a WebSocket upgrade on any path.
pub fn registration_router(state: Shared) -> Router {
    Router::new().fallback(control_upgrade).with_state(state)
}

fn not_a_websocket() -> Response {
    (
        StatusCode::UPGRADE_REQUIRED,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json!({"code": 426, "message": "this port speaks WebSocket only"}).to_string(),
    )
        .into_response()
}

/// Upgrades to a WebSocket whose messages and frames are capped at `max`
/// bytes and hands it to `client`; a plain HTTP request gets 426.
fn upgrade<F, Fut>(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    max: usize,
    client: F,
) -> Response
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    match ws {
        Ok(ws) => ws
            .max_message_size(max)
            .max_frame_size(max)
            .on_upgrade(client),
        Err(_) => not_a_websocket(),
    }
}

async fn viz_upgrade(
    State(s): State<Shared>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(ws, VIZ_MAX_MESSAGE, move |socket| viz_client(socket, s))
}

async fn viz_client(socket: WebSocket, s: Shared) {
    let clients = s.viz_clients.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::info!("visualization client connected ({clients} now)");
    stream_frames(socket, &s, &s.viz, "visualization").await;
    let clients = s.viz_clients.fetch_sub(1, Ordering::Relaxed) - 1;
    tracing::info!("visualization client left ({clients} now)");
}

async fn motor_upgrade(
    State(s): State<Shared>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(ws, VIZ_MAX_MESSAGE, move |socket| async move {
        tracing::info!("motor client connected");
        stream_frames(socket, &s, &s.motor, "motor").await;
        tracing::info!("motor client left");
    })
}

async fn sensory_upgrade(
    State(s): State<Shared>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(ws, crate::sensory::MAX_SENSORY_MESSAGE, move |socket| {
        sensory_client(socket, s)
    })
}

async fn sensory_client(socket: WebSocket, s: Shared) {
    let (_sink, mut stream) = socket.split();
    let mut shutdown = s.shutdown.clone();
    loop {
        let message = tokio::select! {
            m = stream.next() => m,
            _ = stopping(&mut shutdown) => break,
        };
        match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
            Some(Ok(Message::Binary(bytes))) => {
                crate::sensory::ingest(&s, &bytes, "WebSocket");
            }
            Some(Ok(Message::Text(_))) => {
                if s.warned.first("sensory:WebSocket:text") {
                    tracing::warn!("WebSocket sensory: text messages ignored (frames are binary containers; logged once)");
                }
            }
            Some(Ok(_)) => {}
        }
    }
}

/// Sends the latest frame of `channel` to one client until it leaves or the
/// server stops: latest wins, a slow client skips frames.
async fn stream_frames(
    socket: WebSocket,
    s: &ServerState,
    channel: &tokio::sync::watch::Sender<Option<crate::engine::VizFrame>>,
    what: &str,
) {
    let (mut sink, mut stream) = socket.split();
    let mut frames = channel.subscribe();
    // A frame already published goes out at once.
    frames.mark_changed();
    let mut shutdown = s.shutdown.clone();
    loop {
        tokio::select! {
            changed = frames.changed() => {
                if changed.is_err() {
                    break;
                }
                let frame = frames.borrow_and_update().clone();
                if let Some(frame) = frame {
                    match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Binary(frame.bytes))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break,
                        Err(_) => {
                            tracing::warn!("{what} client took no frame for {SEND_TIMEOUT:?}: dropped");
                            break;
                        }
                    }
                }
            }
            incoming = stream.next() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                // Clients send nothing the stream needs; pings are answered by the library.
                Some(Ok(_)) => {}
            },
            _ = stopping(&mut shutdown) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
                break;
            }
        }
    }
}

async fn control_upgrade(
    State(s): State<Shared>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    upgrade(ws, CONTROL_MAX_MESSAGE, move |socket| {
        control_client(socket, s)
    })
}

async fn control_client(socket: WebSocket, s: Shared) {
    let (mut sink, mut stream) = socket.split();
    let mut shutdown = s.shutdown.clone();
    loop {
        let message = tokio::select! {
            m = stream.next() => m,
            _ = stopping(&mut shutdown) => break,
        };
        let bytes = match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Text(t))) => {
                tracing::warn!("registration: text message of {} bytes ignored (FEAGI speaks binary containers)", t.len());
                continue;
            }
            Some(Ok(_)) => continue,
        };
        if let Some(reply) = handle_control(&s, &bytes) {
            if sink.send(Message::Binary(reply.into())).await.is_err() {
                break;
            }
        }
    }
}

/// Resolves when the server begins to shut down (or its state is gone).
pub async fn stopping(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await.map(|_| ());
}

fn session_key(id: &AgentId) -> String {
    base64::engine::general_purpose::STANDARD.encode(id)
}

fn new_session_id() -> AgentId {
    let mut id = [0u8; AGENT_ID_LEN];
    if getrandom::fill(&mut id).is_err() || id == [0u8; AGENT_ID_LEN] {
        // No OS randomness: a unique, unpredictable-enough fallback.
        let seed = crate::state::unix_millis() as u64 ^ u64::from(std::process::id());
        for (i, chunk) in id.chunks_mut(8).enumerate() {
            let v = xxhash_rust::xxh3::xxh3_64_with_seed(&(i as u64).to_le_bytes(), seed);
            chunk.copy_from_slice(&v.to_le_bytes());
        }
    }
    id
}

/// Handles one command and control message and returns the reply, if any.
/// Public for tests and other transports: the bytes in, the bytes out.
pub fn handle_control(s: &ServerState, bytes: &[u8]) -> Option<Vec<u8>> {
    let container = match fbc::decode_container(bytes) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "registration: message of {} bytes dropped: {e}",
                bytes.len()
            );
            return None;
        }
    };
    let sender = container.agent_id;
    let registered = sender != [0u8; AGENT_ID_LEN] && s.agents.contains(&session_key(&sender));
    if !registered && bytes.len() > PRE_REGISTRATION_MAX {
        tracing::warn!(
            "registration: {} bytes from an unregistered sender dropped (at most {PRE_REGISTRATION_MAX})",
            bytes.len()
        );
        return None;
    }
    let Some(first) = container.structs.first() else {
        tracing::warn!("registration: empty container dropped");
        return None;
    };
    let message = match fbc::decode_json_struct(first) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("registration: message dropped: {e}");
            return None;
        }
    };
    let reply = |json: Value, id: &AgentId| Some(fbc::json_container(0, id, &json));
    match &message {
        Value::String(s) if s == "heart_beat" => {
            if registered {
                reply(json!("heart_beat"), &sender)
            } else {
                tracing::debug!("registration: heartbeat of an unknown session ignored");
                None
            }
        }
        Value::Object(map) => {
            if let Some(reg) = map.get("agent_registration") {
                if let Some(request) = reg.get("client_request_registration") {
                    let (answer, id) = register(s, request);
                    return reply(
                        json!({"agent_registration": {"server_responds_registration": answer}}),
                        &id,
                    );
                }
                if reg.get("client_request_deregistration").is_some() {
                    let known = s.agents.deregister(&session_key(&sender));
                    if known {
                        tracing::info!("agent {} deregistered", session_key(&sender));
                    }
                    let answer = if known { "success" } else { "not_registered" };
                    return reply(
                        json!({"agent_registration": {"server_responds_deregistration": answer}}),
                        &sender,
                    );
                }
            }
            if let Some(config) = map.get("agent_configuration") {
                if !s.agents.configure(&session_key(&sender), config.clone()) {
                    tracing::warn!(
                        "registration: device configuration from an unknown session ignored"
                    );
                    return None;
                }
                let missing = crate::devices::request_missing_areas(s, config);
                tracing::info!(
                    "agent {} sent its device configuration ({missing} areas to create)",
                    session_key(&sender),
                );
                return reply(json!("heart_beat"), &sender);
            }
            if map.get("health_check").and_then(Value::as_str) == Some("FeagiHealthCheckRequest") {
                return reply(
                    json!({"health_check": {"FeagiHealthCheckResponse": s.health()}}),
                    &sender,
                );
            }
            if let Some(burst) = map.get("burst_engine").and_then(Value::as_object) {
                if burst.contains_key("SimulationTimestepRequest") {
                    return reply(
                        json!({"burst_engine": {"SimulationTimeStepResponse": s.engine.timestep()}}),
                        &sender,
                    );
                }
                if let Some(value) = burst.get("SimulationTimestepChangeRequest") {
                    let done =
                        registered && value.as_f64().is_some_and(|t| s.engine.set_timestep(t));
                    return reply(
                        json!({"burst_engine": {"SimulationTimestepChangeRequestResponse": done}}),
                        &sender,
                    );
                }
            }
            tracing::warn!("registration: unknown message dropped: {}", short(&message));
            None
        }
        other => {
            tracing::warn!("registration: unknown message dropped: {}", short(other));
            None
        }
    }
}

/// At most 200 characters of a JSON value, for logs.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

const CAPABILITIES: [&str; 4] = [
    "send_sensor_data",
    "receive_motor_data",
    "receive_neuron_visualizations",
    "receive_system_messages",
];
const PROTOCOLS: [&str; 4] = ["WebSocket", "Zmq", "BluetoothSerial", "SharedMemory"];

/// Checks a registration request; returns the answer and the id to send it under.
fn register(s: &ServerState, request: &Value) -> (Value, AgentId) {
    let blank = [0u8; AGENT_ID_LEN];
    let invalid = |why: String| {
        tracing::warn!("registration refused: {why}");
        (json!("failed_invalid_request"), blank)
    };
    let descriptor = request.get("agent_descriptor");
    let text = |key: &str, max: usize| {
        descriptor
            .and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .filter(|t| t.is_ascii() && t.len() <= max)
    };
    let (Some(manufacturer), Some(agent_name)) =
        (text("manufacturer", 128), text("agent_name", 64))
    else {
        return invalid(
            "agent_descriptor needs ASCII manufacturer (<= 128) and agent_name (<= 64)".into(),
        );
    };
    let Some(agent_version) = descriptor
        .and_then(|d| d.get("agent_version"))
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v != 0)
    else {
        return invalid("agent_version must be a non-zero u32".into());
    };
    let token_ok = request
        .get("auth_token")
        .and_then(|t| t.get("value"))
        .and_then(Value::as_array)
        .is_some_and(|v| v.len() == 32 && v.iter().all(|b| b.as_u64().is_some_and(|b| b < 256)));
    if !token_ok {
        return invalid("auth_token.value must be 32 bytes".into());
    }
    let Some(protocol) = request
        .get("connection_protocol")
        .and_then(Value::as_str)
        .filter(|p| PROTOCOLS.contains(p))
    else {
        return invalid("unknown connection_protocol".into());
    };
    let Some(capabilities) = request
        .get("requested_capabilities")
        .and_then(Value::as_array)
        .and_then(|caps| {
            caps.iter()
                .map(|c| {
                    c.as_str()
                        .filter(|c| CAPABILITIES.contains(c))
                        .map(str::to_string)
                })
                .collect::<Option<Vec<String>>>()
        })
    else {
        return invalid("requested_capabilities must name known capabilities".into());
    };
    if protocol != "WebSocket" && protocol != "Zmq" {
        return invalid(format!(
            "{protocol} transport is not served (WebSocket and Zmq are)"
        ));
    }
    let u = &s.urls;
    let mut endpoints = serde_json::Map::new();
    for c in &capabilities {
        let url = match (c.as_str(), protocol) {
            ("receive_neuron_visualizations", "Zmq") => &u.zmq_visualization,
            ("receive_neuron_visualizations", _) => &u.ws_visualization,
            ("send_sensor_data", "Zmq") => &u.zmq_sensory,
            ("send_sensor_data", _) => &u.ws_sensory,
            ("receive_motor_data", "Zmq") => &u.zmq_motor,
            ("receive_motor_data", _) => &u.ws_motor,
            (other, _) => {
                // FEAGI declares system messages but serves none either.
                tracing::info!("capability {other} is not served; registered without it");
                continue;
            }
        };
        endpoints.insert(c.clone(), json!({ protocol: {"url": url} }));
    }
    let id = new_session_id();
    let session = session_key(&id);
    tracing::info!(
        "agent {manufacturer}/{agent_name} v{agent_version} registered over {protocol} for {capabilities:?} (session {session})"
    );
    s.agents.register(AgentRecord {
        session: session.clone(),
        manufacturer: manufacturer.to_string(),
        agent_name: agent_name.to_string(),
        agent_version,
        capabilities,
        protocol: protocol.to_string(),
        device_registrations: None,
    });
    (json!({"success": [session, endpoints]}), id)
}
