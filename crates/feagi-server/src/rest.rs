//! The REST API (`/v1/...`): the calls Brain Visualizer makes, with the JSON
//! shapes it parses. Handlers read [`ServerState`]; none takes the NPU lock.
//!
//! Errors are FEAGI's error object, `{"code": STATUS, "message": TEXT}`, with
//! the matching HTTP status, for bad bodies, unknown areas, unknown paths
//! (404) and wrong methods (405). CORS is open to any origin.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tower_http::cors::CorsLayer;

use crate::engine::Stimulation;
use crate::state::{RequestRecord, ServerState};

/// Largest request body accepted (bytes).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Longest path the request log keeps (longer ones are cut).
const MAX_LOGGED_PATH: usize = 512;

type Shared = Arc<ServerState>;

/// FEAGI's error JSON with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.status.as_u16(), "message": self.message});
        json_response(self.status, &body)
    }
}

type ApiResult = Result<Response, ApiError>;

fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn ok(value: &Value) -> ApiResult {
    Ok(json_response(StatusCode::OK, value))
}

/// Parses a JSON object body; anything else is a 400.
fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "the request body is not JSON: {e}"
        ))),
    }
}

/// The REST router over `state`.
pub fn router(state: Shared) -> Router {
    let v1 = Router::new()
        .route("/v1/system/health_check", get(health_check))
        .route(
            "/v1/burst_engine/simulation_timestep",
            get(get_timestep).post(set_timestep),
        )
        .route("/v1/burst_engine/burst_counter", get(burst_counter))
        .route("/v1/network/connection_info", get(connection_info))
        .route(
            "/v1/cortical_area/cortical_area/geometry",
            get(|s: State<Shared>| async move { ok(&s.brain().geometry) }),
        )
        .route(
            "/v1/morphology/morphologies",
            get(|s: State<Shared>| async move { ok(&s.brain().morphologies) }),
        )
        .route(
            "/v1/cortical_area/cortical_map_detailed",
            get(|s: State<Shared>| async move { ok(&s.brain().cortical_map_detailed) }),
        )
        .route(
            "/v1/region/regions_members",
            get(|s: State<Shared>| async move { ok(&s.brain().regions_members) }),
        )
        .route("/v1/genome/changes", get(genome_changes))
        .route("/v1/cortical_area/classifiers", get(empty_object))
        .route("/v1/cortical_area/ipu/types", get(empty_object))
        .route("/v1/cortical_area/opu/types", get(empty_object))
        .route(
            "/v1/system/cortical_area_visualization_suppression_threshold",
            get(zero),
        )
        .route(
            "/v1/system/cortical_area_visualization_skip_rate",
            get(zero),
        )
        .route(
            "/v1/neuroplasticity/plasticity_queue_depth",
            get(|s: State<Shared>| async move { ok(&json!(s.plasticity_queue_depth)) }),
        )
        .route("/v1/agent/capabilities/all", get(agent_capabilities))
        .route("/v1/agent/list", get(agent_list))
        .route(
            "/v1/cortical_area/cortical_area_id_list",
            get(|s: State<Shared>| async move {
                let brain = s.brain();
                let ids: Vec<&String> = brain.areas.iter().map(|a| &a.key).collect();
                ok(&json!({ "cortical_ids": ids }))
            }),
        )
        .route(
            "/v1/cortical_area/cortical_area_properties",
            post(area_properties),
        )
        .route(
            "/v1/cortical_area/multi/cortical_area_properties",
            post(multi_area_properties),
        )
        .route("/v1/agent/manual_stimulation", post(manual_stimulation))
        .route("/debug/request_log", get(request_log));
    v1.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CorsLayer::permissive())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log_requests,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn log_requests(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let mut path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_string(),
        |p| p.as_str().to_string(),
    );
    if path.len() > MAX_LOGGED_PATH {
        let mut cut = MAX_LOGGED_PATH;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        path.truncate(cut);
        path.push_str("...");
    }
    let mut response = next.run(request).await;
    let code = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (code.is_client_error() || code.is_server_error()) && !is_json {
        // Errors the framework answered (a body over the limit, ...) become
        // FEAGI's error JSON too, keeping the other headers (CORS).
        let message = if code == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is over {MAX_BODY_BYTES} bytes")
        } else {
            code.canonical_reason().unwrap_or("error").to_string()
        };
        let headers = response.headers().clone();
        response = ApiError::new(code, message).into_response();
        for (name, value) in &headers {
            if name != axum::http::header::CONTENT_TYPE
                && name != axum::http::header::CONTENT_LENGTH
            {
                response.headers_mut().insert(name.clone(), value.clone());
            }
        }
    }
    let status = response.status().as_u16();
    if !path.starts_with("/debug/") {
        tracing::debug!(target: "feagi_server::http", "{method} {path} -> {status}");
        state.requests.push(RequestRecord {
            method,
            path,
            status,
        });
    }
    response
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    tracing::info!("not served: {method} {}", uri.path());
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{method} {} is not served by feagi-rust", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn health_check(State(s): State<Shared>) -> ApiResult {
    ok(&s.health())
}

async fn get_timestep(State(s): State<Shared>) -> ApiResult {
    ok(&json!(s.engine.timestep()))
}

async fn set_timestep(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let value = body
        .get("simulation_timestep")
        .ok_or_else(|| ApiError::bad_request("missing simulation_timestep"))?;
    let seconds = value
        .as_f64()
        .ok_or_else(|| ApiError::bad_request("simulation_timestep must be a number of seconds"))?;
    if !s.engine.set_timestep(seconds) {
        return Err(ApiError::bad_request(format!(
            "simulation_timestep must be positive and at most 1e6 seconds, got {seconds}"
        )));
    }
    tracing::info!("simulation timestep set to {seconds} s");
    ok(&json!({"message": format!("Timestep set to {seconds}")}))
}

async fn burst_counter(State(s): State<Shared>) -> ApiResult {
    ok(&json!(s.engine.bursts()))
}

async fn connection_info(State(s): State<Shared>) -> ApiResult {
    let u = &s.urls;
    ok(&json!({
        "api": {
            "enabled": true,
            "base_url": u.rest,
            "host": u.host,
            "port": u.rest_port,
            "swagger_url": null,
        },
        "zmq": {
            "enabled": true,
            "host": u.host,
            "ports": {
                "registration": u.zmq_registration_port,
                "sensory": u.zmq_sensory_port,
                "motor": u.zmq_motor_port,
                "visualization": u.zmq_visualization_port,
            },
            "endpoints": {
                "registration": u.zmq_registration,
                "sensory": u.zmq_sensory,
                "motor": u.zmq_motor,
                "visualization": u.zmq_visualization,
            },
        },
        "websocket": {
            "enabled": true,
            "host": u.host,
            "ports": {
                "registration": u.ws_registration_port,
                "visualization": u.ws_visualization_port,
                "sensory": u.ws_sensory_port,
                "motor": u.ws_motor_port,
            },
            "endpoints": {
                "registration": u.ws_registration,
                "visualization": u.ws_visualization,
                "sensory": u.ws_sensory,
                "motor": u.ws_motor,
            },
        },
        "shm": {"enabled": false, "base_path": null, "policy": null, "note": "not served by feagi-rust"},
        "udp": {"enabled": false, "visualization": null, "sensory": null, "note": "not served by feagi-rust"},
        "bluetooth": {"enabled": false, "relay_port": null, "note": "not served by feagi-rust"},
        "stream_status": {
            "zmq_control_started": true,
            "zmq_data_streams_started": true,
            "websocket_started": true,
            "note": "feagi-rust serves registration, visualization, sensory and motor over WebSocket and ZMQ",
        },
    }))
}

/// The value of `key` in a query string (no decoding needed for numbers).
fn query_value<'a>(query: &'a Option<String>, key: &str) -> Option<&'a str> {
    query
        .as_deref()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

async fn genome_changes(State(_): State<Shared>, RawQuery(query): RawQuery) -> ApiResult {
    let since = match query_value(&query, "since") {
        None => 0,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("since must be a number, got {v:?}")))?,
    };
    if let Some(v) = query_value(&query, "limit") {
        v.parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("limit must be a number, got {v:?}")))?;
    }
    // The genome does not change while served (editing is not supported).
    ok(&json!({
        "changes": [],
        "latest_sequence": 0,
        "oldest_available_sequence": 0,
        "gap": since > 0,
        "has_more": false,
    }))
}

async fn empty_object() -> ApiResult {
    ok(&json!({}))
}

async fn zero() -> ApiResult {
    ok(&json!(0))
}

async fn agent_capabilities(State(s): State<Shared>) -> ApiResult {
    // Agents that configured devices; BV (visualization only) has none.
    let mut out = serde_json::Map::new();
    for a in s.agents.list() {
        if let Some(devices) = &a.device_registrations {
            out.insert(
                a.session.clone(),
                json!({
                    "agent_name": a.agent_name,
                    "capabilities": {},
                    "device_registrations": devices,
                }),
            );
        }
    }
    ok(&Value::Object(out))
}

async fn agent_list(State(s): State<Shared>) -> ApiResult {
    let ids: Vec<String> = s.agents.list().into_iter().map(|a| a.session).collect();
    ok(&json!(ids))
}

fn cortical_id_of<'a>(
    body: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request(format!("missing {key} (a cortical id string)")))
}

async fn area_properties(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let id = cortical_id_of(&body, "cortical_id")?;
    let brain = s.brain();
    let area = brain
        .find(id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no cortical area {id:?}")))?;
    ok(brain.properties(area).unwrap_or(&Value::Null))
}

async fn multi_area_properties(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let ids: Vec<String> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(list)) => list,
        Ok(Value::Object(map)) => match map.get("cortical_id_list") {
            Some(Value::Array(list)) => list.clone(),
            _ => {
                return Err(ApiError::bad_request(
                    "missing cortical_id_list (an array of ids)",
                ))
            }
        },
        Ok(_) => return Err(ApiError::bad_request("expected an array of cortical ids")),
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "the request body is not JSON: {e}"
            )))
        }
    }
    .into_iter()
    .map(|v| match v {
        Value::String(s) => Ok(s),
        other => Err(ApiError::bad_request(format!(
            "a cortical id must be a string, got {other}"
        ))),
    })
    .collect::<Result<_, _>>()?;
    // As FEAGI: keyed by the ids asked for; unknown ids are left out (agents
    // poll this to see whether their areas exist yet).
    let brain = s.brain();
    let mut out = serde_json::Map::new();
    for id in ids {
        if let Some(area) = brain.find(&id) {
            let properties = brain.properties(area).cloned().unwrap_or(Value::Null);
            out.insert(id, properties);
        }
    }
    ok(&Value::Object(out))
}

/// Potential of a forced firing: far above any threshold (the engine clamps
/// staged input to 1e30).
const FORCE_FIRE_POTENTIAL: f32 = 1e30;

async fn manual_stimulation(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let mode = match body.get("mode") {
        None | Some(Value::Null) => "force_fire",
        Some(Value::String(m)) if m == "force_fire" || m == "candidate" => m.as_str(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "mode must be \"candidate\" or \"force_fire\", got {other}"
            )))
        }
    };
    let payload = match body.get("stimulation_payload") {
        Some(Value::Object(p)) => p,
        _ => {
            return Err(ApiError::bad_request(
                "missing stimulation_payload (an object of cortical id to [[x, y, z], ...])",
            ))
        }
    };
    let mut stimulations = Vec::new();
    let (mut staged, mut skipped) = (0usize, 0usize);
    let brain = s.brain();
    for (id, voxels) in payload {
        let area = brain.find(id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, format!("no cortical area {id:?}"))
        })?;
        let Value::Array(voxels) = voxels else {
            return Err(ApiError::bad_request(format!(
                "the voxels of {id:?} must be an array of [x, y, z]"
            )));
        };
        let mut list = Vec::with_capacity(voxels.len());
        for v in voxels {
            let xyz = v
                .as_array()
                .filter(|a| a.len() == 3)
                .and_then(|a| {
                    let c = |i: usize| a[i].as_u64().and_then(|n| u32::try_from(n).ok());
                    Some([c(0)?, c(1)?, c(2)?])
                })
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "a voxel of {id:?} must be [x, y, z] of non-negative integers, got {v}"
                    ))
                })?;
            let [w, h, d] = area.dimensions;
            if xyz[0] < w && xyz[1] < h && xyz[2] < d {
                list.push(xyz);
            } else {
                skipped += 1;
            }
        }
        staged += list.len();
        let potential = if mode == "force_fire" {
            FORCE_FIRE_POTENTIAL
        } else {
            area.firing_threshold.max(f32::MIN_POSITIVE)
        };
        stimulations.push(Stimulation {
            area: area.index,
            voxels: list,
            potential,
        });
    }
    for stimulation in stimulations {
        if !s.engine.stimulate(stimulation) {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too much stimulation is waiting for the next burst; try again",
            ));
        }
    }
    ok(&json!({
        "success": true,
        "message": format!("{staged} voxels staged for the next burst ({mode})"),
        "staged_voxels": staged,
        "skipped_voxels": skipped,
        "mode": mode,
    }))
}

async fn request_log(State(s): State<Shared>) -> ApiResult {
    ok(&json!(s.requests.snapshot()))
}
