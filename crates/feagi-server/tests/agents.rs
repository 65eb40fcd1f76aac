//! The agent protocol over ZMQ and WebSocket: registration, heartbeat,
//! deregistration, device configuration (creating areas), sensory frames in,
//! motor frames out, the ZMQ visualization stream, and hostile input on every
//! channel. The clients here are written from the protocol (libzmq sockets as
//! FEAGI's Python SDK uses them, tungstenite for WebSocket).

use std::time::{Duration, Instant};

use feagi_server::wire::fbc::{self, AgentId, AreaNeurons, AGENT_ID_LEN};
use feagi_server::wire::ids;
mod support;

use feagi_server::{RunningServer, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// `iv00_C` (4 x 4 x 3, the SDK camera's centre tile) wired to `omot00`
/// (the rotary motor, 1 x 1 x 9): any input voxel drives motor voxel (0, 0, 1).
fn wired_genome() -> feagi_genome::Genome {
    let mut g = support::default_genome_json();
    let mut area = |id: &str, name: &str, group: &str, dims: [u32; 3], map: Value| {
        support::set_area_genes(
            &mut g,
            id,
            &[
                ("cx-__name-t", json!(name)),
                ("cx-_group-t", json!(group)),
                ("cx-___bbx-i", json!(dims[0])),
                ("cx-___bby-i", json!(dims[1])),
                ("cx-___bbz-i", json!(dims[2])),
                ("cx-_n_cnt-i", json!(1)),
                ("cx-pstcr_-f", json!(1.0)),
                ("nx-fire_t-f", json!(1.0)),
                ("nx-excite-f", json!(100)),
                ("nx-leak_c-f", json!(0.0)),
                ("nx-refrac-i", json!(0)),
                ("cx-dstmap-d", map),
            ],
        );
    };
    area(
        "iv00_C",
        "camera_centre",
        "IPU",
        [4, 4, 3],
        json!({"omot00": [["all_to_0-0-1", [1, 1, 1], 1, false, 1, 1, 1]]}),
    );
    area("omot00", "rotary_motor", "OPU", [1, 1, 9], json!({}));
    g["neuron_morphologies"]["all_to_0-0-1"] = json!({"type": "patterns", "class": "custom",
        "parameters": {"patterns": [[["*", "*", "*"], [0, 0, 1]]]}});
    feagi_genome::Genome::from_json_str(&g.to_string()).expect("the wired genome loads")
}

const CAMERA: &str = "aXN2aUkAAAA=";
const MOTOR: &str = "b21vdAUAAAA=";

async fn serve(genome: feagi_genome::Genome, hz: f64) -> RunningServer {
    support::serve(genome, hz, ServerConfig::default().viz_hz).await
}

fn descriptor(name: &str) -> Value {
    json!({"manufacturer": "feagi-rust", "agent_name": name, "agent_version": 1})
}

fn registration(name: &str, protocol: &str, caps: &[&str]) -> Value {
    json!({"agent_registration": {"client_request_registration": {
        "agent_descriptor": descriptor(name),
        "auth_token": {"value": vec![0u8; 32]},
        "requested_capabilities": caps,
        "connection_protocol": protocol,
        "api_version": {"version": 1}}}})
}

/// What FEAGI's Python SDK sends for one rotary motor (group `group`).
fn rotary_motor_configuration(group: u32) -> Value {
    json!({"agent_configuration": {"AgentConfigurationDetails": {
        "feedbacks": {"registered_feedbacks": []},
        "input_units_and_encoder_properties": {},
        "output_units_and_decoder_properties": {"RotaryMotor": [[
            {"cortical_unit_index": group, "device_grouping": [{"channel_index_override": null,
             "device_properties": {}, "friendly_name": "RotaryMotor_0_ch0", "pipeline_stages": []}],
             "friendly_name": "RotaryMotor_0",
             "io_configuration_flags": {"frame_change_handling": "Absolute",
                                        "percentage_neuron_positioning": "Linear"}},
            {"Percentage": [{"value": 9}, "Linear", true, "D1"]}]]}}}})
}

/// A DEALER on the registration port, as the SDK's command and control client.
struct Control {
    socket: zmq::Socket,
}

impl Control {
    fn connect(context: &zmq::Context, url: &str) -> Control {
        let socket = context.socket(zmq::DEALER).unwrap();
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(3000).unwrap();
        socket.connect(url).unwrap();
        Control { socket }
    }

    fn send_raw(&self, payload: &[u8]) {
        self.socket.send_multipart([&b""[..], payload], 0).unwrap();
    }

    /// Sends `json` under `id` and returns the answer's JSON and agent id.
    fn request(&self, id: &AgentId, json: &Value) -> (Value, AgentId) {
        self.send_raw(&fbc::json_container(0, id, json));
        self.answer().expect("an answer within 3 s")
    }

    fn answer(&self) -> Option<(Value, AgentId)> {
        let parts = self.socket.recv_multipart(0).ok()?;
        let payload = parts.last()?;
        let c = fbc::decode_container(payload).expect("a valid container");
        Some((fbc::decode_json_struct(c.structs[0]).unwrap(), c.agent_id))
    }

    /// True when nothing comes back within `within`.
    fn silent(&self, within: Duration) -> bool {
        self.socket.set_rcvtimeo(within.as_millis() as i32).unwrap();
        let none = self.socket.recv_multipart(0).is_err();
        self.socket.set_rcvtimeo(3000).unwrap();
        none
    }
}

fn session(answer: &Value) -> AgentId {
    let text = answer["agent_registration"]["server_responds_registration"]["success"][0]
        .as_str()
        .unwrap_or_else(|| panic!("not a success: {answer}"));
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
        .try_into()
        .unwrap()
}

fn sensory_frame(agent: &AgentId, areas: &[AreaNeurons]) -> Vec<u8> {
    let refs: Vec<&AreaNeurons> = areas.iter().collect();
    let mut frame = fbc::xyzp_frame(0, &refs);
    frame[4..4 + AGENT_ID_LEN].copy_from_slice(agent);
    frame
}

fn camera(voxels: &[([u32; 3], f32)]) -> AreaNeurons {
    let mut a = AreaNeurons::new(ids::from_base64(CAMERA).unwrap());
    for (v, p) in voxels {
        a.push(*v, *p);
    }
    a
}

/// The motor area's neurons in a motor frame.
fn motor_neurons(frame: &[u8]) -> Vec<[u32; 3]> {
    let c = fbc::decode_container(frame).expect("a valid motor frame");
    let areas = fbc::decode_xyzp_struct(c.structs[0]).expect("an XYZP struct");
    areas
        .iter()
        .filter(|a| ids::to_base64(&a.id) == MOTOR)
        .flat_map(|a| (0..a.len()).map(|i| [a.x[i], a.y[i], a.z[i]]))
        .collect()
}

fn subscriber(context: &zmq::Context, url: &str) -> zmq::Socket {
    let sub = context.socket(zmq::SUB).unwrap();
    sub.set_linger(0).unwrap();
    sub.set_rcvtimeo(100).unwrap();
    sub.set_subscribe(b"").unwrap();
    sub.connect(url).unwrap();
    sub
}

/// Waits for a motor frame in which the motor area fired, within `within`.
fn wait_motor(sub: &zmq::Socket, within: Duration) -> Option<Vec<[u32; 3]>> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(frame) = sub.recv_bytes(0) {
            let neurons = motor_neurons(&frame);
            if !neurons.is_empty() {
                return Some(neurons);
            }
        }
    }
    None
}

fn drain(sub: &zmq::Socket, quiet: Duration) {
    // Until motor frames show no motor activity for `quiet`.
    let mut since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(5);
    while since.elapsed() < quiet && Instant::now() < deadline {
        if let Ok(frame) = sub.recv_bytes(0) {
            if !motor_neurons(&frame).is_empty() {
                since = Instant::now();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmq_registration_heartbeat_configuration_and_deregistration() {
    let server = serve(feagi_genome::Genome::default_genome(), 50.0).await;
    let urls = server.urls().clone();
    let state = server.state().clone();
    let result = tokio::task::spawn_blocking(move || {
        let context = zmq::Context::new();
        let control = Control::connect(&context, &urls.zmq_registration);
        let blank = [0u8; AGENT_ID_LEN];
        // brain_input registers for sensory data ...
        let (answer, id) =
            control.request(&blank, &registration("robot", "Zmq", &["send_sensor_data"]));
        let first = session(&answer);
        assert_eq!(id, first, "the answer is sent under the new session id");
        assert_eq!(
            answer["agent_registration"]["server_responds_registration"]["success"][1],
            json!({"send_sensor_data": {"Zmq": {"url": urls.zmq_sensory}}})
        );
        let (beat, _) = control.request(&first, &json!("heart_beat"));
        assert_eq!(beat, json!("heart_beat"));
        // ... brain_output registers again with the same descriptor: it replaces the session.
        let (answer, _) = control.request(
            &blank,
            &registration(
                "robot",
                "Zmq",
                &["receive_motor_data", "receive_neuron_visualizations"],
            ),
        );
        let second = session(&answer);
        assert_ne!(first, second);
        assert_eq!(
            answer["agent_registration"]["server_responds_registration"]["success"][1],
            json!({"receive_motor_data": {"Zmq": {"url": urls.zmq_motor}},
                   "receive_neuron_visualizations": {"Zmq": {"url": urls.zmq_visualization}}})
        );
        assert_eq!(state.agents.len(), 1);
        // A heartbeat of the replaced session is not answered; the current one's is.
        control.send_raw(&fbc::json_container(0, &first, &json!("heart_beat")));
        assert!(control.silent(Duration::from_millis(300)));
        assert_eq!(
            control.request(&second, &json!("heart_beat")).0,
            json!("heart_beat")
        );

        // The device configuration creates the rotary motor the brain lacks.
        let genome_num = state.brain_cell.genome_num();
        assert!(state.brain().find_wire(MOTOR).is_none());
        let (ack, _) = control.request(&second, &rotary_motor_configuration(0));
        assert_eq!(ack, json!("heart_beat"));
        let deadline = Instant::now() + Duration::from_secs(3);
        while state.brain().find_wire(MOTOR).is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let brain = state.brain();
        let motor = brain.find_wire(MOTOR).expect("the motor area was created");
        assert_eq!(motor.dimensions, [1, 1, 9]);
        assert_eq!(motor.neuron_count, 9);
        assert_eq!(state.brain_cell.genome_num(), genome_num + 1);
        let entry = &brain.geometry[MOTOR];
        assert_eq!(entry["cortical_name"], "Rotary Motor-0-0");
        assert_eq!(entry["cortical_type"], "motor");
        assert_eq!(entry["coordinates_3d"], json!([-20, 0, -10]));
        assert!(brain.regions_members["root"]["outputs"]
            .as_array()
            .unwrap()
            .contains(&json!(MOTOR)));
        // The same configuration again creates nothing more.
        control.request(&second, &rotary_motor_configuration(0));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(state.brain_cell.genome_num(), genome_num + 1);
        assert_eq!(state.engine.created_areas(), 1);

        // Health and burst engine requests.
        let (health, _) =
            control.request(&second, &json!({"health_check": "FeagiHealthCheckRequest"}));
        assert_eq!(
            health["health_check"]["FeagiHealthCheckResponse"]["genome_num"],
            json!(genome_num + 1)
        );
        let (ts, _) = control.request(
            &second,
            &json!({"burst_engine": {"SimulationTimestepRequest": []}}),
        );
        assert_eq!(
            ts["burst_engine"]["SimulationTimeStepResponse"],
            json!(0.02)
        );

        let dereg =
            json!({"agent_registration": {"client_request_deregistration": {"reason": "bye"}}});
        assert_eq!(
            control.request(&second, &dereg).0,
            json!({"agent_registration": {"server_responds_deregistration": "success"}})
        );
        assert_eq!(
            control.request(&second, &dereg).0,
            json!({"agent_registration": {"server_responds_deregistration": "not_registered"}})
        );
        assert!(state.agents.is_empty());
    })
    .await;
    // REST sees the new area too.
    let body: Value = reqwest::Client::new()
        .post(format!(
            "{}/v1/cortical_area/multi/cortical_area_properties",
            server.urls().rest
        ))
        .body(json!([MOTOR, "bm9uZXhpc3Q="]).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body.as_object().map(|m| m.len()), Some(1), "{body}");
    assert_eq!(body[MOTOR]["cortical_dimensions"], json!([1, 1, 9]));
    let health: Value = reqwest::get(format!("{}/v1/system/health_check", server.urls().rest))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["genome_num"], json!(2));
    server.shutdown().await;
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmq_sensory_reaches_the_motor_frames_and_bad_input_is_dropped() {
    let server = serve(wired_genome(), 50.0).await;
    let urls = server.urls().clone();
    let state = server.state().clone();
    let result = tokio::task::spawn_blocking(move || {
        let context = zmq::Context::new();
        let push = context.socket(zmq::PUSH).unwrap();
        push.set_linger(0).unwrap();
        push.connect(&urls.zmq_sensory).unwrap();
        let motor = subscriber(&context, &urls.zmq_motor);
        let agent = [7u8; AGENT_ID_LEN];
        // Idle: motor frames come every burst, empty.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut frames = 0;
        while frames < 3 && Instant::now() < deadline {
            if let Ok(frame) = motor.recv_bytes(0) {
                assert!(motor_neurons(&frame).is_empty());
                frames += 1;
            }
        }
        assert_eq!(frames, 3, "motor frames while idle");

        // One camera voxel drives motor voxel (0, 0, 1) within a few bursts.
        let t0 = Instant::now();
        push.send(sensory_frame(&agent, &[camera(&[([1, 2, 0], 200.0)])]), 0)
            .unwrap();
        let fired = wait_motor(&motor, Duration::from_secs(2)).expect("the motor fires");
        assert_eq!(fired, vec![[0, 0, 1]]);
        let latency = t0.elapsed();
        assert!(latency < Duration::from_millis(500), "{latency:?}");
        drain(&motor, Duration::from_millis(150));

        // Bad input, each dropped, the server going on: garbage, another
        // container version, a truncated container, a JSON struct, p = 0,
        // voxels outside the area, an unknown area, a frame over the size limit.
        let dropped = state.sensory.stats().dropped;
        let good = sensory_frame(&agent, &[camera(&[([0, 0, 0], 9.0)])]);
        let mut version = good.clone();
        version[0] = 3;
        let mut unknown = AreaNeurons::new(*b"iunknown");
        unknown.push([0, 0, 0], 1.0);
        for bad in [
            b"garbage".to_vec(),
            version,
            good[..good.len() - 3].to_vec(),
            fbc::json_container(0, &agent, &json!({"sensory": 1})),
            sensory_frame(&agent, &[camera(&[([0, 0, 0], 0.0), ([3, 3, 2], 0.0)])]),
            sensory_frame(&agent, &[camera(&[([4, 0, 0], 50.0), ([0, 9, 9], 50.0)])]),
            sensory_frame(&agent, &[unknown]),
            sensory_frame(&agent, &[camera(&[([0, 0, 0], f32::NAN)])]),
        ] {
            push.send(bad, 0).unwrap();
        }
        assert!(
            wait_motor(&motor, Duration::from_millis(400)).is_none(),
            "no bad frame reached the motor"
        );
        assert_eq!(
            state.sensory.stats().dropped,
            dropped + 3,
            "garbage, version, truncated"
        );
        // Over the size limit: libzmq closes that connection; a new one works.
        let big = context.socket(zmq::PUSH).unwrap();
        big.set_linger(0).unwrap();
        big.connect(&urls.zmq_sensory).unwrap();
        big.send(vec![4u8; feagi_server::sensory::MAX_SENSORY_MESSAGE + 1], 0)
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let again = context.socket(zmq::PUSH).unwrap();
        again.set_linger(0).unwrap();
        again.connect(&urls.zmq_sensory).unwrap();
        again.send(good.clone(), 0).unwrap();
        assert_eq!(
            wait_motor(&motor, Duration::from_secs(2)),
            Some(vec![[0, 0, 1]]),
            "the server still serves"
        );
        drain(&motor, Duration::from_millis(150));

        // Latest wins: of two frames before the next burst only the last is
        // staged. Sent back to back, the second replaces the first.
        let replaced = state.sensory.stats().replaced;
        let mut sent = 0;
        while state.sensory.stats().replaced == replaced && sent < 200 {
            push.send(good.clone(), 0).unwrap();
            push.send(good.clone(), 0).unwrap();
            sent += 1;
            std::thread::sleep(Duration::from_millis(3));
        }
        assert!(state.sensory.stats().replaced > replaced);
        // Many agents or a flood never grow the inbox beyond its bounds.
        for i in 0..50u8 {
            push.send(
                sensory_frame(&[i; AGENT_ID_LEN], &[camera(&[([0, 0, 0], 5.0)])]),
                0,
            )
            .unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
        assert!(state.engine.running());
    })
    .await;
    server.shutdown().await;
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zmq_hostile_registration_and_visualization_stream() {
    let server = serve(feagi_genome::Genome::default_genome(), 100.0).await;
    let urls = server.urls().clone();
    let state = server.state().clone();
    let result = tokio::task::spawn_blocking(move || {
        let context = zmq::Context::new();
        let control = Control::connect(&context, &urls.zmq_registration);
        // Garbage, too many parts, an oversized unregistered request: no
        // answer, and the channel goes on.
        control.send_raw(b"\x04garbage");
        control
            .socket
            .send_multipart(vec![vec![0u8; 3]; 20], 0)
            .unwrap();
        control.send_raw(&fbc::json_container(
            0,
            &[0; AGENT_ID_LEN],
            &json!({"padding": "x".repeat(2000)}),
        ));
        control.send_raw(&fbc::json_container(0, &[9; AGENT_ID_LEN], &json!("heart_beat")));
        assert!(control.silent(Duration::from_millis(300)));
        let (answer, _) = control.request(
            &[0; AGENT_ID_LEN],
            &registration("viewer", "Zmq", &["receive_neuron_visualizations"]),
        );
        session(&answer);
        // A registration for a transport the server does not serve is refused.
        let (refused, _) = control.request(
            &[0; AGENT_ID_LEN],
            &registration("viewer2", "SharedMemory", &["receive_neuron_visualizations"]),
        );
        assert_eq!(
            refused,
            json!({"agent_registration": {"server_responds_registration": "failed_invalid_request"}})
        );

        // A registered agent asking for far too many areas gets at most the
        // server's bounds, and the server goes on.
        let viewer = session(&answer);
        let groups: Vec<Value> = (0..100u32)
            .map(|g| json!([{"cortical_unit_index": g, "device_grouping": [{}]}, {}]))
            .collect();
        let config = json!({"agent_configuration": {"AgentConfigurationDetails": {
            "input_units_and_encoder_properties": {"SegmentedVision": groups},
            "output_units_and_decoder_properties": {"Teleporter": [], "RotaryMotor": [[{"cortical_unit_index": 0}, {}]]}}}});
        assert_eq!(control.request(&viewer, &config).0, json!("heart_beat"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while state.engine.created_areas() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        let created = state.engine.created_areas();
        assert!(created > 0 && created <= feagi_server::engine::MAX_CREATED_AREAS as u64, "{created}");
        let added: usize = state
            .brain()
            .areas
            .iter()
            .filter(|a| a.kind == feagi_types::AreaKind::Ipu && a.key.starts_with("aXN2"))
            .map(|a| a.neuron_count)
            .sum();
        assert!(added as u64 <= feagi_server::engine::MAX_CREATED_NEURONS, "{added}");
        assert!(state.brain().find_wire(MOTOR).is_none(), "a unit without devices is skipped");
        assert!(state.engine.running());

        // The visualization stream over ZMQ: valid frames.
        let viz = subscriber(&context, &urls.zmq_visualization);
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut frames = 0;
        while frames < 3 && Instant::now() < deadline {
            if let Ok(frame) = viz.recv_bytes(0) {
                let c = fbc::decode_container(&frame).expect("a valid frame");
                fbc::decode_xyzp_struct(c.structs[0]).expect("an XYZP struct");
                frames += 1;
            }
        }
        assert_eq!(frames, 3);
    })
    .await;
    server.shutdown().await;
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_sensory_and_motor() {
    let server = serve(wired_genome(), 50.0).await;
    let urls = server.urls().clone();
    // Registration over WebSocket hands out the WebSocket data endpoints.
    let (mut control, _) = tokio_tungstenite::connect_async(&urls.ws_registration)
        .await
        .unwrap();
    let request = fbc::json_container(
        0,
        &[0; AGENT_ID_LEN],
        &registration(
            "ws-robot",
            "WebSocket",
            &["send_sensor_data", "receive_motor_data"],
        ),
    );
    control.send(Message::Binary(request.into())).await.unwrap();
    let answer = loop {
        match tokio::time::timeout(Duration::from_secs(3), control.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => break b,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no registration answer: {other:?}"),
        }
    };
    let c = fbc::decode_container(&answer).unwrap();
    let answer = fbc::decode_json_struct(c.structs[0]).unwrap();
    assert_eq!(
        answer["agent_registration"]["server_responds_registration"]["success"][1],
        json!({"send_sensor_data": {"WebSocket": {"url": urls.ws_sensory}},
               "receive_motor_data": {"WebSocket": {"url": urls.ws_motor}}})
    );
    let (mut motor, _) = tokio_tungstenite::connect_async(&urls.ws_motor)
        .await
        .unwrap();
    let (mut sensory, _) = tokio_tungstenite::connect_async(&urls.ws_sensory)
        .await
        .unwrap();
    let agent = [3u8; AGENT_ID_LEN];
    // Garbage and text first: dropped, the socket stays open.
    sensory
        .send(Message::Binary(b"nonsense".to_vec().into()))
        .await
        .unwrap();
    sensory.send(Message::Text("hello".into())).await.unwrap();
    let frame = sensory_frame(&agent, &[camera(&[([3, 3, 2], 120.0)])]);
    let mut seen = None;
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut sent = false;
    while seen.is_none() && Instant::now() < deadline {
        if !sent {
            sensory
                .send(Message::Binary(frame.clone().into()))
                .await
                .unwrap();
            sent = true;
        }
        match tokio::time::timeout(Duration::from_millis(500), motor.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => {
                let neurons = motor_neurons(&b);
                if !neurons.is_empty() {
                    seen = Some(neurons);
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    assert_eq!(seen, Some(vec![[0, 0, 1]]));
    assert!(server.state().sensory.stats().dropped >= 1);
    server.shutdown().await;
}
