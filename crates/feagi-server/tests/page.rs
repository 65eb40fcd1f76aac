//! The brain page (`GET /`) and the calls only it makes: the embedded files
//! with their content types, the engine figures it plots and the learning
//! report. The page itself runs in a real browser in
//! python/tests/test_browser_page.py.

// Only `serve` of the shared helpers is used here.
#[allow(dead_code)]
mod support;

use feagi_server::RunningServer;
use serde_json::Value;

async fn engine(server: &RunningServer) -> Value {
    let (status, content_type, body) = support::fetch(server, "/v1/feagi_rust/engine").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/json");
    serde_json::from_str(&body).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_files_are_served_with_their_content_types() {
    let server = support::serve(feagi_genome::Genome::default_genome(), 50.0, 20.0).await;
    for (path, want_type, must_contain) in [
        ("/", "text/html; charset=utf-8", "/assets/app.js"),
        (
            "/index.html",
            "text/html; charset=utf-8",
            "id=\"area-table\"",
        ),
        (
            "/assets/app.js",
            "text/javascript; charset=utf-8",
            "/v1/agent/manual_stimulation",
        ),
        (
            "/assets/fbc.js",
            "text/javascript; charset=utf-8",
            "export function decodeFrame",
        ),
        ("/assets/app.css", "text/css; charset=utf-8", "#maps"),
        ("/favicon.ico", "image/svg+xml", "<svg"),
    ] {
        let (status, content_type, body) = support::fetch(&server, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(content_type, want_type, "{path}");
        assert!(body.contains(must_contain), "{path} lacks {must_contain:?}");
    }
    // Unknown files are FEAGI's error JSON; the REST API is unchanged.
    let (status, content_type, body) = support::fetch(&server, "/assets/../Cargo.toml").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(content_type, "application/json");
    let (status, _, body) = support::fetch(&server, "/assets/nope.js").await;
    assert_eq!(status, 404);
    let error: Value = serde_json::from_str(&body).expect("error JSON");
    assert_eq!(error["code"], 404);
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.contains("nope.js")));
    let (status, _, _) = support::fetch(&server, "/v1/system/health_check").await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_figures_count_bursts_and_their_time() {
    let server = support::serve(feagi_genome::Genome::default_genome(), 100.0, 20.0).await;
    let first = engine(&server).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = engine(&server).await;
    let bursts = |v: &Value| v["burst_count"].as_u64().expect("burst_count");
    let total = |v: &Value| v["total_burst_ms"].as_f64().expect("total_burst_ms");
    assert!(
        bursts(&second) >= bursts(&first) + 10,
        "{first} then {second}"
    );
    // Every burst takes some time, and the mean stays under the period.
    assert!(total(&second) > total(&first), "{first} then {second}");
    let mean = (total(&second) - total(&first)) / (bursts(&second) - bursts(&first)) as f64;
    assert!(mean > 0.0 && mean < 10.0, "mean burst time {mean} ms");
    assert!(second["last_burst_ms"].as_f64().is_some_and(|t| t > 0.0));
    assert_eq!(second["frequency_hz"].as_f64(), Some(100.0));
    assert!((second["simulation_timestep"].as_f64().unwrap_or(0.0) - 0.01).abs() < 1e-12);
    assert_eq!(second["genome_num"], 1);
    assert_eq!(second["running"], true);
    assert_eq!(second["error"], Value::Null);
    server.shutdown().await;
}

/// The learning genome of the corpus, when FEAGI_GENOMES has it (CI must).
fn gesture_genome() -> Option<std::path::PathBuf> {
    match std::env::var_os("FEAGI_GENOMES").map(std::path::PathBuf::from) {
        Some(d) if d.is_dir() => Some(d.join("community_gesture_recognition.json")),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but FEAGI_GENOMES ({other:?}) is missing"
            );
            None
        }
    }
}

#[test]
fn the_learning_report_counts_weights_and_memory_neurons() {
    use feagi_burst_engine::{NpuConfig, RustNPU};
    let Some(path) = gesture_genome() else {
        eprintln!("skipped: FEAGI_GENOMES is not set");
        return;
    };
    let genome = feagi_genome::Genome::from_path(&path).expect("the gesture genome loads");
    let mut npu = RustNPU::from_genome(&genome, NpuConfig::default()).expect("it develops");
    let brain = feagi_server::brain::BrainInfo::new(&genome, &npu, None);
    let before = feagi_server::learning::report(&npu, &brain);
    assert_eq!(before["plasticity"], true);
    let pairs = before["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), npu.stdp_registrations().len());
    for (pair, registration) in pairs.iter().zip(npu.stdp_registrations()) {
        let synapses = npu
            .synapse_weights_between(registration.source_area, registration.destination_area)
            .expect("the pair's areas exist");
        let histogram: Vec<u64> = pair["histogram"]
            .as_array()
            .expect("histogram")
            .iter()
            .map(|c| c.as_u64().expect("a count"))
            .collect();
        assert_eq!(histogram.len(), feagi_server::learning::WEIGHT_BINS);
        assert_eq!(histogram.iter().sum::<u64>(), synapses.weight.len() as u64);
        for (bin, count) in histogram.iter().enumerate() {
            let want = synapses
                .weight
                .iter()
                .filter(|&&w| usize::from(w) / 16 == bin)
                .count() as u64;
            assert_eq!(*count, want, "bin {bin}");
        }
        // Keys are the wire ids the page knows the areas by.
        let source = pair["source"].as_str().expect("a source key");
        assert_eq!(
            brain.find(source).map(|a| a.index),
            Some(registration.source_area)
        );
    }
    let memory = before["memory_areas"].as_array().expect("memory areas");
    assert_eq!(memory.len(), npu.memory_areas().len());
    assert!(!memory.is_empty(), "the gesture genome has a memory area");
    assert_eq!(memory[0]["alive"], 0);

    // Upstream activity makes the memory area remember patterns.
    let upstream: Vec<_> = npu.memory_relations().iter().map(|r| r.upstream).collect();
    for burst in 0..40u32 {
        for &area in &upstream {
            // A third of the area, a different third each burst.
            let pick: Vec<_> = npu
                .neurons_in_area(area)
                .expect("an area")
                .into_iter()
                .filter(|id| (id + burst) % 3 == 0)
                .collect();
            let potentials = vec![1e6f32; pick.len()];
            npu.stage_inputs(&pick, &potentials).expect("staged");
        }
        npu.process_burst(None).expect("a burst");
    }
    let after = feagi_server::learning::report(&npu, &brain);
    let alive = after["memory_areas"][0]["alive"].as_u64().expect("alive");
    let area = npu.memory_areas().next().expect("a memory area").area;
    let counted = npu
        .memory_neurons(area)
        .expect("memory neurons")
        .iter()
        .filter(|(_, n)| n.alive)
        .count() as u64;
    assert_eq!(alive, counted);
    assert!(
        alive > 0,
        "no memory neuron after 40 bursts of input: {after}"
    );
    assert!(after["memory_areas"][0]["long_term"].as_u64() <= Some(alive));
    assert_eq!(after["burst"], 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plasticity_call_answers_from_the_running_brain() {
    // The default genome has no plastic pair and no memory area.
    let server = support::serve(feagi_genome::Genome::default_genome(), 50.0, 20.0).await;
    let (status, content_type, body) = support::fetch(&server, "/v1/feagi_rust/plasticity").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/json");
    let report: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["plasticity"], true);
    assert_eq!(report["pairs"], serde_json::json!([]));
    assert_eq!(report["memory_areas"], serde_json::json!([]));
    assert_eq!(report["bins"], 16);
    assert!(report["burst"].as_u64().is_some_and(|b| b >= 1), "{report}");
    server.shutdown().await;

    let Some(path) = gesture_genome() else {
        return;
    };
    let genome = feagi_genome::Genome::from_path(&path).expect("the gesture genome loads");
    let server = support::serve(genome, 50.0, 20.0).await;
    let (status, _, body) = support::fetch(&server, "/v1/feagi_rust/plasticity").await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).expect("JSON");
    let pair = &report["pairs"][0];
    let brain = server.state().brain();
    let source = pair["source"].as_str().expect("a source key");
    assert!(brain.find(source).is_some(), "{report}");
    let histogram_total: u64 = pair["histogram"]
        .as_array()
        .expect("histogram")
        .iter()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(Some(histogram_total), pair["synapses"].as_u64(), "{report}");
    assert!(histogram_total > 0, "{report}");
    assert_eq!(report["memory_areas"].as_array().map(Vec::len), Some(1));
    server.shutdown().await;
}
