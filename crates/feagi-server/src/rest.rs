//! The REST API (`/v1/...`): the calls Brain Visualizer makes, with the JSON
//! shapes it parses. Handlers read [`ServerState`]; none takes the NPU lock.
//!
//! Errors are FEAGI's error object, `{"code": STATUS, "message": TEXT}`, with
//! the matching HTTP status, for bad bodies, unknown areas, unknown paths
//! (404) and wrong methods (405). CORS is open to any origin.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::Router;
use serde_json::{json, Value};
use tower_http::cors::CorsLayer;

use crate::engine::Stimulation;
use crate::reload::ReloadError;
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

/// The HTTP methods the API uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }

    /// `get` or `post`, as OpenAPI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }
}

/// One served call: the route table is the one source of both the router
/// and the OpenAPI description, so the two cannot disagree.
pub struct Endpoint {
    /// Method.
    pub verb: Verb,
    /// Path.
    pub path: &'static str,
    /// What it does, for the OpenAPI description.
    pub summary: &'static str,
    /// Group in the OpenAPI description.
    pub tag: &'static str,
    /// The request body, when the call takes one.
    pub body: Option<&'static str>,
    handler: MethodRouter<Shared>,
}

fn ep<H, T>(
    verb: Verb,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    handler: H,
) -> Endpoint
where
    H: Handler<T, Shared>,
    T: 'static,
{
    Endpoint {
        verb,
        path,
        summary,
        tag,
        body: None,
        handler: on(verb.filter(), handler),
    }
}

impl Endpoint {
    /// Documents the request body.
    fn body(mut self, body: &'static str) -> Self {
        self.body = Some(body);
        self
    }

    /// Accepts request bodies up to `bytes` (instead of [`MAX_BODY_BYTES`]).
    fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

/// Largest genome upload accepted: the loader's own limit, within `usize`.
fn upload_limit(s: &ServerState) -> usize {
    usize::try_from(s.growth.options.max_genome_bytes).unwrap_or(usize::MAX)
}

/// Every call the server answers (besides the OpenAPI description itself).
pub fn endpoints(s: &ServerState) -> Vec<Endpoint> {
    use Verb::{Get, Post};
    let upload = upload_limit(s);
    vec![
        ep(Get, "/v1/system/health_check", "system", "Health: readiness, session, genome_num, counts and hashes", health_check),
        ep(Get, "/v1/burst_engine/simulation_timestep", "burst_engine", "The burst period in seconds (a bare number)", get_timestep),
        ep(Post, "/v1/burst_engine/simulation_timestep", "burst_engine", "Sets the burst period", set_timestep)
            .body("{\"simulation_timestep\": SECONDS}"),
        ep(Get, "/v1/burst_engine/burst_counter", "burst_engine", "Bursts run by the current brain", burst_counter),
        ep(Get, "/v1/burst_engine/status", "burst_engine", "Whether bursts run or are paused, burst count, rate and last burst time", burst_status),
        ep(Get, "/v1/burst_engine/stats", "burst_engine", "Same as /v1/burst_engine/status", burst_status),
        ep(Post, "/v1/burst_engine/control", "burst_engine", "Pauses or resumes the bursts", burst_control)
            .body("{\"action\": \"pause\" | \"resume\" | \"start\" | \"stop\"}"),
        ep(Get, "/v1/burst_engine/fire_queue", "burst_engine", "Neurons that fired in the last burst, by cortical area", fire_queue),
        ep(Get, "/v1/network/connection_info", "network", "URLs of every transport", connection_info),
        ep(Get, "/v1/cortical_area/cortical_area/geometry", "cortical_area", "Every area with its geometry and genes", |s: State<Shared>| async move { ok(&s.brain().geometry) }),
        ep(Get, "/v1/morphology/morphologies", "morphology", "Morphologies of the genome", |s: State<Shared>| async move { ok(&s.brain().morphologies) }),
        ep(Get, "/v1/cortical_area/cortical_map_detailed", "cortical_area", "Mappings between areas", |s: State<Shared>| async move { ok(&s.brain().cortical_map_detailed) }),
        ep(Get, "/v1/region/regions_members", "region", "The root region and its areas", |s: State<Shared>| async move { ok(&s.brain().regions_members) }),
        ep(Get, "/v1/genome/changes", "genome", "Genome changes since a sequence number (none are recorded)", genome_changes),
        ep(Post, "/v1/genome/upload", "genome", "Loads another genome (the JSON as the body); swaps brains atomically once it is developed", upload_genome)
            .body("a genome, JSON")
            .body_limit(upload),
        ep(Post, "/v1/genome/upload/file", "genome", "Loads another genome from a multipart form's file field", upload_genome_file)
            .body("multipart/form-data with the genome file")
            .body_limit(upload.saturating_add(1 << 16)),
        ep(Get, "/v1/cortical_area/classifiers", "cortical_area", "Area classifiers (none)", empty_object),
        ep(Get, "/v1/cortical_area/ipu/types", "cortical_area", "Input area types (none)", empty_object),
        ep(Get, "/v1/cortical_area/opu/types", "cortical_area", "Output area types (none)", empty_object),
        ep(Get, "/v1/system/cortical_area_visualization_suppression_threshold", "system", "Visualization suppression threshold (0)", zero),
        ep(Get, "/v1/system/cortical_area_visualization_skip_rate", "system", "Visualization skip rate (0)", zero),
        ep(Get, "/v1/neuroplasticity/plasticity_queue_depth", "neuroplasticity", "The genome's default STDP window", |s: State<Shared>| async move { ok(&json!(s.brain().plasticity_queue_depth)) }),
        ep(Get, "/v1/agent/capabilities/all", "agent", "Registered agents and their capabilities", agent_capabilities),
        ep(Get, "/v1/agent/list", "agent", "Registered agent ids", agent_list),
        ep(Get, "/v1/cortical_area/cortical_area_id_list", "cortical_area", "Every area id", |s: State<Shared>| async move {
            let brain = s.brain();
            let ids: Vec<&String> = brain.areas.iter().map(|a| &a.key).collect();
            ok(&json!({ "cortical_ids": ids }))
        }),
        ep(Post, "/v1/cortical_area/cortical_area_properties", "cortical_area", "One area's properties", area_properties)
            .body("{\"cortical_id\": ID}"),
        ep(Post, "/v1/cortical_area/multi/cortical_area_properties", "cortical_area", "Several areas' properties", multi_area_properties)
            .body("{\"cortical_id_list\": [ID, ...]} or [ID, ...]"),
        ep(Post, "/v1/agent/manual_stimulation", "agent", "Stimulates voxels in the next burst (candidate or force_fire)", manual_stimulation)
            .body("{\"stimulation_payload\": {ID: [[x, y, z], ...]}, \"mode\": \"candidate\" | \"force_fire\"}"),
        ep(Get, "/v1/feagi_rust/engine", "feagi_rust", "Burst count, rate and burst time (last and total) for the brain page", engine_stats),
        ep(Get, "/v1/feagi_rust/plasticity", "feagi_rust", "Weight histograms of plastic pairs and memory neurons per memory area", plasticity_report),
        ep(Get, "/debug/request_log", "debug", "Every answered request: method, path, status", request_log),
        ep(Get, "/debug/stats", "debug", "Burst loop and stream counters: bursts, burst work, late bursts, frames, clients", debug_stats),
    ]
}

/// Where the OpenAPI description is served (FEAGI's own path).
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// The OpenAPI 3.1 description of `endpoints`.
pub fn openapi(endpoints: &[Endpoint]) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{
        ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, ResponseBuilder,
    };
    let mut paths = PathsBuilder::new();
    for e in endpoints {
        let method = match e.verb {
            Verb::Get => HttpMethod::Get,
            Verb::Post => HttpMethod::Post,
        };
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .tag(e.tag)
            .operation_id(Some(format!(
                "{}{}",
                e.verb.as_str(),
                e.path.replace('/', "_")
            )))
            .response("200", ResponseBuilder::new().description("Success, JSON"))
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("FEAGI's error JSON: {\"code\": STATUS, \"message\": TEXT}"),
            );
        if let Some(body) = e.body {
            let content = if e.path.ends_with("/file") {
                "multipart/form-data"
            } else {
                "application/json"
            };
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .description(Some(body))
                    .content(content, ContentBuilder::new().build())
                    .build(),
            ));
        }
        paths = paths.path(e.path, PathItem::new(method, op.build()));
    }
    paths = paths.path(
        OPENAPI_PATH,
        PathItem::new(
            HttpMethod::Get,
            OperationBuilder::new()
                .summary(Some("This description"))
                .tag("system")
                .response(
                    "200",
                    ResponseBuilder::new().description("OpenAPI 3.1, JSON"),
                )
                .build(),
        ),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("feagi-npu serve")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The FEAGI REST calls feagi-rust serves (docs/SERVER.md lists what is not served yet).",
                ))
                .build(),
        )
        .paths(paths.build())
        .build()
}

/// The REST router over `state`.
pub fn router(state: Shared) -> Router {
    let endpoints = endpoints(&state);
    let document = openapi(&endpoints);
    let document = serde_json::to_value(&document).unwrap_or(Value::Null);
    let mut v1 = Router::new().route(
        OPENAPI_PATH,
        get(move || {
            let document = document.clone();
            async move { ok(&document) }
        }),
    );
    for e in endpoints {
        v1 = v1.route(e.path, e.handler);
    }
    let v1 = v1.merge(crate::page::routes());
    v1.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CorsLayer::permissive())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log_requests,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
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
            let limit = if path.starts_with("/v1/genome/upload") {
                upload_limit(&state)
            } else {
                MAX_BODY_BYTES
            };
            format!("the request body is over {limit} bytes")
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

/// Not FEAGI's: what the brain page plots about the loop, from the atomics.
/// `total_burst_ms` over two readings, divided by the bursts in between, is
/// the mean burst time over that interval.
async fn engine_stats(State(s): State<Shared>) -> ApiResult {
    let e = &s.engine;
    let timestep = e.timestep();
    ok(&json!({
        "burst_count": e.bursts(),
        "running": e.running(),
        "paused": e.paused(),
        "simulation_timestep": timestep,
        "frequency_hz": 1.0 / timestep,
        "last_burst_ms": e.last_burst_time().as_secs_f64() * 1e3,
        "total_burst_ms": e.total_burst_nanos() as f64 / 1e6,
        "fired_neuron_count": e.last_fired(),
        "visualization_frames": e.frames(),
        "genome_num": s.brain_cell.genome_num(),
        "error": e.error(),
    }))
}

/// Not FEAGI's: the learning report of [`crate::learning::report`], made on
/// the burst thread between two bursts.
async fn plasticity_report(State(s): State<Shared>) -> ApiResult {
    let cell = s.brain_cell.clone();
    let answer = s
        .engine
        .query(move |npu| {
            // Read on the loop's thread: the published brain is the one
            // this NPU runs.
            crate::learning::report(npu, &cell.get())
        })
        .await
        .map_err(unavailable)?;
    ok(&answer)
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
    if s.engine.reloading() {
        // FEAGI's rule: while a genome loads, changes are refused.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a genome is being loaded; stimulate once it runs",
        ));
    }
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
            generation: brain.generation,
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

/// Not FEAGI's: the loop's and the streams' counters, for load tests.
async fn debug_stats(State(s): State<Shared>) -> ApiResult {
    let e = &s.engine;
    let pacing = e.pacing();
    let bursts = e.bursts();
    let sensory = s.sensory.stats();
    ok(&json!({
        "uptime_s": (crate::state::unix_millis() - s.session) as f64 / 1000.0,
        "bursts": bursts,
        "simulation_timestep": e.timestep(),
        "fired_neuron_count": e.last_fired(),
        "burst_work_mean_ms": pacing.mean_work_ms(),
        "burst_work_max_ms": pacing.max_work_ns as f64 / 1e6,
        "late_bursts": pacing.late,
        "schedule_restarts": pacing.restarts,
        "visualization_frames": e.frames(),
        "visualization_clients": s.viz_clients.load(std::sync::atomic::Ordering::Relaxed),
        "sensory_messages_accepted": sensory.accepted,
        "sensory_messages_dropped": sensory.dropped,
        "sensory_frames_replaced": sensory.replaced,
        "sensory_entries_staged": sensory.staged,
        "agents": s.agents.len(),
    }))
}

fn unavailable(e: crate::engine::QueryError) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

async fn burst_status(State(s): State<Shared>) -> ApiResult {
    let e = &s.engine;
    ok(&json!({
        "active": e.running() && !e.paused(),
        "paused": e.paused(),
        "running": e.running(),
        "burst_count": e.bursts(),
        "frequency_hz": 1.0 / e.timestep(),
        "simulation_timestep": e.timestep(),
        "last_burst_ms": e.last_burst_time().as_secs_f64() * 1e3,
        "fired_neuron_count": e.last_fired(),
        "error": e.error(),
    }))
}

async fn burst_control(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let pause = match body.get("action").and_then(Value::as_str) {
        Some("pause" | "stop") => true,
        Some("resume" | "start") => false,
        _ => {
            return Err(ApiError::bad_request(
                "action must be \"pause\", \"resume\", \"start\" or \"stop\"",
            ))
        }
    };
    if !s.engine.running() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the burst loop is not running",
        ));
    }
    s.engine.set_paused(pause);
    tracing::info!("bursts {}", if pause { "paused" } else { "resumed" });
    ok(&json!({
        "message": if pause { "Burst engine paused" } else { "Burst engine resumed" },
        "paused": pause,
    }))
}

/// Most neuron ids one fire_queue answer lists.
pub const MAX_FIRE_QUEUE_IDS: usize = 1 << 20;

async fn fire_queue(State(s): State<Shared>) -> ApiResult {
    let cell = s.brain_cell.clone();
    let answer = s
        .engine
        .query(move |npu| {
            // Read on the loop's thread: the published brain is the one
            // this NPU runs.
            let brain = cell.get();
            let mut keys: Vec<Option<&str>> = Vec::new();
            for a in &brain.areas {
                let i = a.index as usize;
                if keys.len() <= i {
                    keys.resize(i + 1, None);
                }
                keys[i] = Some(a.key.as_str());
            }
            let mut areas = serde_json::Map::new();
            let mut total = 0usize;
            for f in npu.fired_neurons() {
                total += 1;
                if total > MAX_FIRE_QUEUE_IDS {
                    continue;
                }
                let key = keys
                    .get(f.area as usize)
                    .copied()
                    .flatten()
                    .map_or_else(|| format!("area_{}", f.area), str::to_string);
                if let Value::Array(ids) = areas.entry(key).or_insert_with(|| json!([])) {
                    ids.push(json!(f.id));
                }
            }
            json!({
                "timestep": npu.burst_count(),
                "total_fired": total,
                "truncated": total > MAX_FIRE_QUEUE_IDS,
                "cortical_areas": areas,
            })
        })
        .await
        .map_err(unavailable)?;
    ok(&answer)
}

fn reload_error(e: ReloadError) -> ApiError {
    let status = match &e {
        ReloadError::Busy => StatusCode::CONFLICT,
        ReloadError::Stopped(_) => StatusCode::SERVICE_UNAVAILABLE,
        e if e.is_capacity() => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, e.to_string())
}

async fn finish_upload(s: &Shared, bytes: Vec<u8>, source: &str) -> ApiResult {
    let r = crate::reload::load_genome(s, bytes, source)
        .await
        .map_err(reload_error)?;
    ok(&json!({
        "success": true,
        "message": format!(
            "Genome {:?} loaded: {} cortical areas, {} neurons, {} synapses",
            r.title, r.areas, r.neurons, r.synapses
        ),
        "genome_num": r.genome_num,
        "genome_title": r.title,
        "cortical_area_count": r.areas,
        "neuron_count": r.neurons,
        "synapse_count": r.synapses,
        "develop_seconds": r.develop_time.as_secs_f64(),
        "first_burst": r.first_burst,
    }))
}

async fn upload_genome(State(s): State<Shared>, body: Bytes) -> ApiResult {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the request body must be a genome (JSON); it is empty",
        ));
    }
    finish_upload(&s, body.to_vec(), "an upload").await
}

async fn upload_genome_file(State(s): State<Shared>, mut form: Multipart) -> ApiResult {
    loop {
        let field = form.next_field().await.map_err(|e| {
            ApiError::new(
                e.status(),
                format!("the upload form is malformed: {}", e.body_text()),
            )
        })?;
        let Some(field) = field else {
            return Err(ApiError::bad_request(
                "the upload form has no file field (send the genome as the field \"file\")",
            ));
        };
        if field.name() == Some("file") || field.file_name().is_some() {
            let name = field.file_name().unwrap_or("genome").to_string();
            let bytes = field.bytes().await.map_err(|e| {
                ApiError::new(
                    e.status(),
                    format!("the upload is unreadable: {}", e.body_text()),
                )
            })?;
            return finish_upload(&s, bytes.to_vec(), &format!("the uploaded file {name:?}")).await;
        }
    }
}
