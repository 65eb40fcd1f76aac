//! WebSocket protocol tests: the visualization stream (frames, rate cap,
//! stimulation showing up, a stalled client) and agent registration (BV's
//! request byte for byte, heartbeat, deregistration, hostile input).

use std::time::{Duration, Instant};

use base64::Engine;
use feagi_server::wire::fbc::{self, AGENT_ID_LEN};
mod support;

use feagi_server::RunningServer;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(hz: f64, viz_hz: f64) -> RunningServer {
    support::serve(feagi_genome::Genome::default_genome(), hz, viz_hz).await
}

/// The default genome plus `c_big_`, 32 x 32 x 8 neurons that the power
/// neuron fires every burst: frames of 128 KiB.
fn busy_genome() -> feagi_genome::Genome {
    let mut g = support::default_genome_json();
    support::set_area_genes(
        &mut g,
        "c_big_",
        &[
            ("cx-__name-t", json!("busy")),
            ("cx-_group-t", json!("CUSTOM")),
            ("cx-___bbx-i", json!(32)),
            ("cx-___bby-i", json!(32)),
            ("cx-___bbz-i", json!(8)),
            ("cx-_n_cnt-i", json!(1)),
            ("nx-fire_t-f", json!(0.5)),
            ("nx-refrac-i", json!(0)),
            ("cx-dstmap-d", json!({})),
        ],
    );
    let b = g["blueprint"].as_object_mut().unwrap();
    b.insert("_____10c-_power-cx-pspuni-b".into(), json!(true));
    b.insert(
        "_____10c-_power-cx-dstmap-d".into(),
        json!({"i_sens": [["projector", [1, 1, 1], 1, false, 1, 1, 1]],
               "c_big_": [["0-0-0_to_all", [1, 1, 1], 1, false, 1, 1, 1]]}),
    );
    feagi_genome::Genome::from_json_str(&g.to_string()).expect("the busy genome loads")
}

async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("WebSocket connects")
        .0
}

/// The next binary message, within `within`.
async fn next_binary<S>(ws: &mut S, within: Duration) -> Option<Vec<u8>>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => return Some(b.to_vec()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// (area id, [x, y, z]) of every neuron in a frame.
fn neurons_of(frame: &[u8]) -> Vec<([u8; 8], [u32; 3])> {
    let c = fbc::decode_container(frame).expect("a valid container");
    assert_eq!(c.structs.len(), 1);
    assert_eq!(c.structs[0][0], fbc::STRUCT_XYZP);
    fbc::decode_xyzp_struct(c.structs[0])
        .expect("a valid XYZP struct")
        .into_iter()
        .flat_map(|a| {
            (0..a.len())
                .map(|i| (a.id, [a.x[i], a.y[i], a.z[i]]))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_are_valid_capped_and_show_stimulation() {
    // 200 bursts/s, at most 20 frames/s.
    let server = serve(200.0, 20.0).await;
    let mut ws = connect(&server.urls().ws_visualization).await;
    let start = Instant::now();
    let mut frames = 0;
    let mut ids = std::collections::BTreeSet::new();
    while start.elapsed() < Duration::from_millis(1000) {
        let Some(frame) = next_binary(&mut ws, Duration::from_secs(2)).await else {
            break;
        };
        for (id, _) in neurons_of(&frame) {
            ids.insert(id);
        }
        frames += 1;
    }
    assert!(
        (10..=25).contains(&frames),
        "{frames} frames in 1 s at a 20 Hz cap"
    );
    // The power area fires every burst; every id is one REST knows.
    let keys: Vec<String> = ids.iter().map(feagi_server::wire::ids::to_base64).collect();
    assert!(keys.contains(&"X19fcG93ZXI=".to_string()), "{keys:?}");
    for key in &keys {
        assert!(server.state().brain().find(key).is_some(), "{key}");
    }

    // Force-fire voxel (1, 0, 0) of the input area: it shows within a few frames.
    let url = format!("{}/v1/agent/manual_stimulation", server.urls().rest);
    let answer: Value = reqwest::Client::new()
        .post(&url)
        .json(&json!({"stimulation_payload": {"aW1pcwoAAAA=": [[1, 0, 0]]}, "mode": "force_fire"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["staged_voxels"], json!(1));
    let wanted = (*b"imis\x0a\0\0\0", [1, 0, 0]);
    let mut seen = false;
    for _ in 0..10 {
        let frame = next_binary(&mut ws, Duration::from_secs(2))
            .await
            .expect("a frame");
        if neurons_of(&frame).contains(&wanted) {
            seen = true;
            break;
        }
    }
    assert!(seen, "the stimulated voxel never showed in the stream");

    // Closing and reopening resumes the stream.
    ws.close(None).await.ok();
    let mut again = connect(&server.urls().ws_visualization).await;
    assert!(next_binary(&mut again, Duration::from_secs(2))
        .await
        .is_some());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_slows_neither_the_loop_nor_other_clients() {
    let server = support::serve(busy_genome(), 100.0, 100.0).await;
    let url = server.urls().ws_visualization.clone();
    // A client with a tiny receive buffer that completes the handshake and never reads again.
    let addr = url.trim_start_matches("ws://").to_string();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    let (mut stalled, _) = tokio_tungstenite::client_async(url.as_str(), stream)
        .await
        .expect("handshake");
    // A second, healthy client.
    let mut healthy = connect(&url).await;
    let before = server.state().engine.bursts();
    let t0 = Instant::now();
    let mut frames = 0;
    while t0.elapsed() < Duration::from_millis(1500) {
        if next_binary(&mut healthy, Duration::from_secs(1))
            .await
            .is_some()
        {
            frames += 1;
        }
    }
    let bursts = server.state().engine.bursts() - before;
    // 150 due; a loop held up by the stalled client would run almost none.
    // The margin is for a loaded CI machine (the tests of this file run together).
    assert!(bursts >= 75, "{bursts} bursts in 1.5 s at 100 Hz");
    assert!(frames >= 30, "the healthy client got {frames} frames");
    // REST still answers at once.
    let t = Instant::now();
    let r = reqwest::get(format!("{}/v1/system/health_check", server.urls().rest))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() < Duration::from_millis(200));
    assert_eq!(
        server
            .state()
            .viz_clients
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    // The stalled client was held back and skipped frames: when it reads
    // again, consecutive frames it gets are more than one burst apart.
    let mut counters = Vec::new();
    let mut largest = 0;
    for _ in 0..40 {
        let frame = next_binary(&mut stalled, Duration::from_secs(2))
            .await
            .expect("a frame");
        largest = largest.max(frame.len());
        counters.push(u16::from_le_bytes([frame[1], frame[2]]));
    }
    assert!(largest > 100_000, "busy frames, at most {largest} bytes");
    let skipped = counters.windows(2).any(|w| w[1].wrapping_sub(w[0]) > 1);
    assert!(skipped, "no frame was skipped: {counters:?}");
    server.shutdown().await;
}

/// Brain Visualizer's registration request, as feagi-agent builds it.
fn bv_registration() -> Value {
    json!({"agent_registration": {"client_request_registration": {
        "agent_descriptor": {"manufacturer": "neuraville", "agent_name": "brain-visualizer", "agent_version": 1},
        "auth_token": {"value": vec![0u8; 32]},
        "requested_capabilities": ["receive_neuron_visualizations"],
        "connection_protocol": "WebSocket",
        "api_version": {"version": 1},
    }}})
}

async fn request(
    ws: &mut Ws,
    id: &[u8; AGENT_ID_LEN],
    message: &Value,
) -> (Value, [u8; AGENT_ID_LEN]) {
    ws.send(Message::Binary(fbc::json_container(0, id, message).into()))
        .await
        .unwrap();
    let reply = next_binary(ws, Duration::from_secs(5))
        .await
        .expect("a reply");
    let c = fbc::decode_container(&reply).expect("a valid container");
    (fbc::decode_json_struct(c.structs[0]).unwrap(), c.agent_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_heartbeat_and_deregistration() {
    let server = serve(50.0, 20.0).await;
    let mut ws = connect(&server.urls().ws_registration).await;
    let blank = [0u8; AGENT_ID_LEN];

    // Garbage, a wrong version, text and an oversized unregistered frame are
    // ignored; the connection still works afterwards.
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    let mut wrong = fbc::json_container(0, &blank, &bv_registration());
    wrong[0] = 3;
    ws.send(Message::Binary(wrong.into())).await.unwrap();
    ws.send(Message::Text("hello".into())).await.unwrap();
    let big = json!({"padding": "x".repeat(2000)});
    ws.send(Message::Binary(fbc::json_container(0, &blank, &big).into()))
        .await
        .unwrap();

    let (answer, id) = request(&mut ws, &blank, &bv_registration()).await;
    let success = &answer["agent_registration"]["server_responds_registration"]["success"];
    let session = success[0].as_str().expect("a session id");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(session)
        .unwrap();
    assert_eq!(decoded.len(), AGENT_ID_LEN);
    assert_eq!(decoded, id.to_vec(), "the header carries the session id");
    assert_ne!(id, blank);
    assert_eq!(
        success[1],
        json!({"receive_neuron_visualizations": {"WebSocket": {"url": server.urls().ws_visualization}}})
    );
    assert_eq!(server.state().agents.len(), 1);

    let (beat, beat_id) = request(&mut ws, &id, &json!("heart_beat")).await;
    assert_eq!(beat, json!("heart_beat"));
    assert_eq!(beat_id, id);

    let (health, _) = request(
        &mut ws,
        &id,
        &json!({"health_check": "FeagiHealthCheckRequest"}),
    )
    .await;
    assert_eq!(
        health["health_check"]["FeagiHealthCheckResponse"]["brain_readiness"],
        json!(true)
    );

    // A second registration with the same descriptor replaces the first.
    let (again, id2) = request(&mut ws, &blank, &bv_registration()).await;
    assert!(again["agent_registration"]["server_responds_registration"]["success"].is_array());
    assert_ne!(id2, id);
    assert_eq!(server.state().agents.len(), 1);

    let dereg = json!({"agent_registration": {"client_request_deregistration": {"reason": null}}});
    let (bye, _) = request(&mut ws, &id2, &dereg).await;
    assert_eq!(
        bye,
        json!({"agent_registration": {"server_responds_deregistration": "success"}})
    );
    let (again, _) = request(&mut ws, &id2, &dereg).await;
    assert_eq!(
        again,
        json!({"agent_registration": {"server_responds_deregistration": "not_registered"}})
    );
    assert!(server.state().agents.is_empty());

    // A ZMQ registration gets the ZMQ endpoints.
    let mut zmq = bv_registration();
    zmq["agent_registration"]["client_request_registration"]["connection_protocol"] = json!("Zmq");
    let (answer, _) = request(&mut ws, &blank, &zmq).await;
    assert_eq!(
        answer["agent_registration"]["server_responds_registration"]["success"][1],
        json!({"receive_neuron_visualizations": {"Zmq": {"url": server.urls().zmq_visualization}}})
    );
    // Transports the server does not serve are refused, not hung.
    let mut bluetooth = bv_registration();
    bluetooth["agent_registration"]["client_request_registration"]["connection_protocol"] =
        json!("BluetoothSerial");
    let (refused, _) = request(&mut ws, &blank, &bluetooth).await;
    assert_eq!(
        refused,
        json!({"agent_registration": {"server_responds_registration": "failed_invalid_request"}})
    );
    let mut bad = bv_registration();
    bad["agent_registration"]["client_request_registration"]["agent_descriptor"]["agent_version"] =
        json!(0);
    let (refused, _) = request(&mut ws, &blank, &bad).await;
    assert_eq!(
        refused["agent_registration"]["server_responds_registration"],
        json!("failed_invalid_request")
    );

    // A plain HTTP request to a WebSocket port is told so.
    let r = reqwest::get(server.urls().ws_registration.replace("ws://", "http://"))
        .await
        .unwrap();
    assert_eq!(r.status(), 426);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_clients_and_releases_ports() {
    let server = serve(50.0, 20.0).await;
    let urls = server.urls().clone();
    let mut viz = connect(&urls.ws_visualization).await;
    assert!(next_binary(&mut viz, Duration::from_secs(2))
        .await
        .is_some());
    let t = Instant::now();
    server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // The client sees the end of the stream.
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match viz.next().await {
                Some(Ok(Message::Binary(_))) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the stream ends");
    assert!(!matches!(end, Some(Ok(Message::Binary(_)))));
    // The ports are free again.
    for port in [
        urls.rest_port,
        urls.ws_registration_port,
        urls.ws_visualization_port,
        urls.ws_sensory_port,
        urls.ws_motor_port,
        urls.zmq_registration_port,
        urls.zmq_sensory_port,
        urls.zmq_motor_port,
        urls.zmq_visualization_port,
    ] {
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is released");
    }
}
