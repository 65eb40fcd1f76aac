//! REST protocol tests: every call served, with the status and JSON shape
//! Brain Visualizer 2.9.0 parses, and FEAGI's error JSON for bad requests.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use feagi_server::{start, RunningServer, ServerConfig};
use serde_json::{json, Value};

async fn serve(hz: f64) -> RunningServer {
    let config = ServerConfig {
        hz: Some(hz),
        ..ServerConfig::ephemeral()
    };
    let raw = serde_json::from_str(feagi_genome::default_genome_json()).ok();
    start(config, feagi_genome::Genome::default_genome(), raw)
        .await
        .expect("the server starts")
}

async fn get(server: &RunningServer, path: &str) -> (u16, String) {
    let (status, content_type, body) = support::fetch(server, path).await;
    assert_eq!(content_type, "application/json", "{path}");
    (status, body)
}

async fn get_json(server: &RunningServer, path: &str) -> Value {
    let (status, body) = get(server, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

async fn post(server: &RunningServer, path: &str, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.urls().rest))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn assert_error(status: u16, body: &Value, want: u16) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["code"], json!(want), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

fn is_int(v: &Value) -> bool {
    v.as_i64().is_some() || v.as_u64().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_bv_makes_answers_with_the_shape_bv_parses() {
    let server = serve(50.0).await;
    let urls = server.urls().clone();

    // health_check: the keys BV requires and the non-optional fields of
    // feagi-agent's HealthCheckResponse, with their JSON types.
    let health = get_json(&server, "/v1/system/health_check").await;
    for key in [
        "burst_engine",
        "influxdb_availability",
        "latest_changes_saved_externally",
        "genome_availability",
        "brain_readiness",
    ] {
        assert!(health[key].is_boolean(), "{key}: {health}");
    }
    for key in [
        "neuron_count_max",
        "synapse_count_max",
        "feagi_session",
        "genome_num",
    ] {
        assert!(is_int(&health[key]), "{key}: {health}");
    }
    assert_eq!(health["genome_availability"], json!(true));
    assert_eq!(health["brain_readiness"], json!(true));
    assert_eq!(health["burst_engine"], json!(true));
    assert!(health["feagi_session"].as_i64().unwrap() > 0);
    assert_eq!(health["genome_num"], json!(1));
    assert_eq!(health["simulation_timestep"], json!(0.02));
    assert_eq!(health["cortical_area_count"], json!(9));

    // simulation_timestep: a bare positive number.
    let (status, body) = get(&server, "/v1/burst_engine/simulation_timestep").await;
    assert_eq!(status, 200);
    assert_eq!(body.trim().parse::<f64>().unwrap(), 0.02);

    // connection_info: BV applies a regex to the raw body first.
    let (status, body) = get(&server, "/v1/network/connection_info").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("\"registration\":\"{}\"", urls.ws_registration)),
        "{body}"
    );
    assert!(urls.ws_registration.starts_with("ws://127.0.0.1:"));
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["websocket"]["enabled"], json!(true));
    assert_eq!(
        info["websocket"]["endpoints"]["visualization"],
        json!(urls.ws_visualization)
    );

    // geometry: the fields BV reads, keyed by base64 8-byte ids.
    let geometry = get_json(&server, "/v1/cortical_area/cortical_area/geometry").await;
    let geometry = geometry.as_object().unwrap();
    assert_eq!(geometry.len(), 9);
    for (key, area) in geometry {
        let bytes = feagi_server::wire::ids::from_base64(key).expect("8-byte base64 key");
        assert!(feagi_server::wire::ids::valid_first_byte(bytes[0]), "{key}");
        assert_eq!(area["cortical_id"], json!(key));
        assert!(area["cortical_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
        assert!(["sensory", "motor", "core", "memory", "custom"]
            .contains(&area["cortical_type"].as_str().unwrap()));
        for field in ["cortical_dimensions", "coordinates_3d"] {
            let v = area[field].as_array().unwrap();
            assert!(v.len() == 3 && v.iter().all(is_int), "{field}: {area}");
        }
        assert_eq!(area["coordinates_2d"].as_array().map(Vec::len), Some(2));
        assert!(area["cortical_sub_group"].is_string());
        assert!(area["visible"].is_boolean());
        assert_eq!(area["parent_region_id"], json!("root"));
    }
    // The legacy ids of the default genome map as FEAGI maps them.
    assert!(geometry.contains_key("X19fcG93ZXI="));
    assert!(
        geometry.contains_key("aW1pcwoAAAA="),
        "i_sens is misc input group 0"
    );

    // regions_members: one root, every area in exactly one region.
    let regions = get_json(&server, "/v1/region/regions_members").await;
    let regions = regions.as_object().unwrap();
    let roots: Vec<&Value> = regions
        .values()
        .filter(|r| r["parent_region_id"].is_null())
        .collect();
    assert_eq!(roots.len(), 1);
    let root = roots[0];
    assert!(root["title"].is_string());
    assert_eq!(root["coordinate_2d"].as_array().map(Vec::len), Some(2));
    assert_eq!(root["coordinate_3d"].as_array().map(Vec::len), Some(3));
    let members: BTreeSet<&str> = root["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(members, geometry.keys().map(String::as_str).collect());
    assert!(root["regions"].as_array().unwrap().is_empty());

    // morphologies: type, parameters and class for each.
    let morphologies = get_json(&server, "/v1/morphology/morphologies").await;
    let morphologies = morphologies.as_object().unwrap();
    for (name, m) in morphologies {
        assert!(
            [
                "vectors",
                "patterns",
                "composite",
                "functions",
                "placeholder"
            ]
            .contains(&m["type"].as_str().unwrap()),
            "{name}"
        );
        assert!(m["parameters"].is_object(), "{name}");
        assert!(m["class"].is_string(), "{name}");
    }

    // cortical_map_detailed: ends in geometry, morphologies in the table.
    let map = get_json(&server, "/v1/cortical_area/cortical_map_detailed").await;
    let map = map.as_object().unwrap();
    assert!(!map.is_empty());
    for (src, dsts) in map {
        assert!(geometry.contains_key(src));
        for (dst, rules) in dsts.as_object().unwrap() {
            assert!(geometry.contains_key(dst));
            for rule in rules.as_array().unwrap() {
                let m = rule["morphology_id"].as_str().unwrap();
                assert!(morphologies.contains_key(m), "{m}");
                assert_eq!(rule["morphology_scalar"].as_array().map(Vec::len), Some(3));
                assert!(rule["postSynapticCurrent_multiplier"].is_number());
                assert!(rule["plasticity_flag"].is_boolean());
            }
        }
    }

    // The rest of BV's startup and steady-state calls.
    for path in [
        "/v1/cortical_area/ipu/types",
        "/v1/cortical_area/opu/types",
        "/v1/cortical_area/classifiers",
        "/v1/agent/capabilities/all",
        "/v1/agent/capabilities/all?include_device_registrations=true",
    ] {
        assert!(get_json(&server, path).await.is_object(), "{path}");
    }
    for path in [
        "/v1/system/cortical_area_visualization_suppression_threshold",
        "/v1/system/cortical_area_visualization_skip_rate",
        "/v1/neuroplasticity/plasticity_queue_depth",
    ] {
        assert!(is_int(&get_json(&server, path).await), "{path}");
    }
    let changes = get_json(&server, "/v1/genome/changes?since=0").await;
    assert_eq!(changes["changes"], json!([]));
    assert_eq!(changes["gap"], json!(false));
    assert!(is_int(&changes["latest_sequence"]));
    let (status, body) = get(&server, "/v1/genome/changes?since=x").await;
    assert_error(status, &serde_json::from_str(&body).unwrap(), 400);

    // The request log saw every call, with its status.
    let log = server.request_log();
    assert!(log
        .iter()
        .any(|r| r.path == "/v1/genome/changes?since=0" && r.status == 200));
    assert!(log
        .iter()
        .any(|r| r.path == "/v1/genome/changes?since=x" && r.status == 400));
    assert_eq!(log.iter().filter(|r| r.status >= 300).count(), 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_timestep_can_be_set_and_bad_values_are_refused() {
    let server = serve(50.0).await;
    let (status, body) = post(
        &server,
        "/v1/burst_engine/simulation_timestep",
        r#"{"simulation_timestep": 0.05}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["message"].is_string());
    let (_, text) = get(&server, "/v1/burst_engine/simulation_timestep").await;
    assert_eq!(text.trim(), "0.05");
    let health = get_json(&server, "/v1/system/health_check").await;
    assert_eq!(health["simulation_timestep"], json!(0.05));

    for bad in [
        "{}",
        r#"{"simulation_timestep": 0}"#,
        r#"{"simulation_timestep": -1}"#,
        r#"{"simulation_timestep": "fast"}"#,
        r#"{"simulation_timestep": 1e300}"#,
        "[0.1]",
        "not json",
        "",
    ] {
        let (status, body) = post(&server, "/v1/burst_engine/simulation_timestep", bad).await;
        assert_error(status, &body, 400);
    }
    let (_, text) = get(&server, "/v1/burst_engine/simulation_timestep").await;
    assert_eq!(text.trim(), "0.05");

    // The loop follows: at 0.05 s, about 20 bursts a second.
    let before = server.state().engine.bursts();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let ran = server.state().engine.bursts() - before;
    assert!((5..=15).contains(&ran), "{ran} bursts in 0.5 s at 20 Hz");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_feagi_error_json_with_the_right_status() {
    let server = serve(50.0).await;
    let (status, body) = get(&server, "/v1/no/such/call").await;
    assert_error(status, &serde_json::from_str(&body).unwrap(), 404);
    let (status, body) = post(&server, "/v1/system/health_check", "{}").await;
    assert_error(status, &body, 405);
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(2 << 20));
    let (status, body) = post(&server, "/v1/burst_engine/simulation_timestep", &big).await;
    assert_error(status, &body, 413);
    let (status, body) = post(
        &server,
        "/v1/cortical_area/cortical_area_properties",
        r#"{"cortical_id": "Y25vcGVfX18="}"#,
    )
    .await;
    assert_error(status, &body, 404);
    let (status, body) = post(&server, "/v1/cortical_area/cortical_area_properties", "{}").await;
    assert_error(status, &body, 400);
    for bad in [
        "{}",
        r#"{"stimulation_payload": []}"#,
        r#"{"stimulation_payload": {"aW1pcwoAAAA=": [[0, 0]]}}"#,
        r#"{"stimulation_payload": {"aW1pcwoAAAA=": [[0, 0, -1]]}}"#,
        r#"{"stimulation_payload": {"aW1pcwoAAAA=": [[0, 0, 0]]}, "mode": "maybe"}"#,
    ] {
        let (status, body) = post(&server, "/v1/agent/manual_stimulation", bad).await;
        assert_error(status, &body, 400);
    }
    let (status, body) = post(
        &server,
        "/v1/agent/manual_stimulation",
        r#"{"stimulation_payload": {"Y25vcGVfX18=": [[0, 0, 0]]}}"#,
    )
    .await;
    assert_error(status, &body, 404);

    // CORS is open (the web build of BV needs it), preflight included.
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/burst_engine/simulation_timestep", server.urls().rest),
        )
        .header("origin", "http://example.test")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
    // The server is still healthy after all of it.
    let health = get_json(&server, "/v1/system/health_check").await;
    assert_eq!(health["brain_readiness"], json!(true));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn area_properties_single_and_multi() {
    let server = serve(50.0).await;
    let (status, body) = post(
        &server,
        "/v1/cortical_area/cortical_area_properties",
        r#"{"cortical_id": "aW1pcwoAAAA="}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["cortical_id"], json!("aW1pcwoAAAA="));
    assert_eq!(body["cortical_type"], json!("sensory"));
    // feagi-rust's own spellings name the same area.
    let (_, by_name) = post(
        &server,
        "/v1/cortical_area/cortical_area_properties",
        r#"{"cortical_id": "i_sens"}"#,
    )
    .await;
    assert_eq!(by_name, body);
    let (status, multi) = post(
        &server,
        "/v1/cortical_area/multi/cortical_area_properties",
        r#"{"cortical_id_list": ["aW1pcwoAAAA=", "X19fcG93ZXI="]}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(multi.as_object().map(|m| m.len()), Some(2));
    assert_eq!(multi["X19fcG93ZXI="]["cortical_type"], json!("core"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_answered_fast_while_bursts_run() {
    let server = serve(1000.0).await;
    let client = reqwest::Client::new();
    let url = format!("{}/v1/system/health_check", server.urls().rest);
    let mut times = Vec::new();
    for _ in 0..100 {
        let t = std::time::Instant::now();
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await.unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    assert!(
        times[98] < std::time::Duration::from_millis(100),
        "p99 {:?}",
        times[98]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_stats_count_bursts_work_and_stream_clients() {
    let server = serve(200.0).await;
    let url = server.urls().ws_visualization.clone();
    let (mut viewer, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("the stream accepts");
    use futures_util::StreamExt;
    // Two frames: the client is counted and frames are published.
    for _ in 0..2 {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), viewer.next())
            .await
            .expect("a frame within 5 s");
    }
    let stats = get_json(&server, "/debug/stats").await;
    let bursts = stats["bursts"].as_u64().unwrap();
    assert!(bursts >= 1, "{stats}");
    assert_eq!(stats["visualization_clients"], json!(1), "{stats}");
    assert!(
        stats["visualization_frames"].as_u64().unwrap() >= 1,
        "{stats}"
    );
    assert!(stats["uptime_s"].as_f64().unwrap() > 0.0, "{stats}");
    assert_eq!(stats["simulation_timestep"], json!(0.005), "{stats}");
    let mean = stats["burst_work_mean_ms"].as_f64().unwrap();
    let max = stats["burst_work_max_ms"].as_f64().unwrap();
    assert!(mean > 0.0 && max >= mean, "{stats}");
    for key in [
        "late_bursts",
        "schedule_restarts",
        "sensory_entries_staged",
        "agents",
    ] {
        assert!(stats[key].is_u64(), "{key}: {stats}");
    }
    // Counters only grow.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let later = get_json(&server, "/debug/stats").await;
    assert!(later["bursts"].as_u64().unwrap() > bursts, "{later}");
    server.shutdown().await;
}
