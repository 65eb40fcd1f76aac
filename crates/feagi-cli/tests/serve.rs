//! `feagi-npu serve`: the ready line, a live REST answer, clean stops on
//! SIGINT, SIGTERM and SIGHUP (ports released, status 0), and start-up errors.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("feagi-npu").expect("feagi-npu is built")
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// GET `path` with a bare HTTP/1.1 request; the status and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Every port besides REST, registration and visualization: any free one.
const ALL_OTHER_PORTS_FREE: [&str; 12] = [
    "--ws-sensory-port",
    "0",
    "--ws-motor-port",
    "0",
    "--zmq-registration-port",
    "0",
    "--zmq-sensory-port",
    "0",
    "--zmq-motor-port",
    "0",
    "--zmq-viz-port",
    "0",
];

/// The ready line's port keys.
const PORT_KEYS: [&str; 9] = [
    "rest_port",
    "ws_registration_port",
    "ws_visualization_port",
    "ws_sensory_port",
    "ws_motor_port",
    "zmq_registration_port",
    "zmq_sensory_port",
    "zmq_motor_port",
    "zmq_visualization_port",
];

fn start(extra: &[&str]) -> (Child, Value) {
    let mut child = bin()
        .args([
            "serve",
            "--rest-port",
            "0",
            "--ws-registration-port",
            "0",
            "--viz-port",
            "0",
        ])
        .args(ALL_OTHER_PORTS_FREE)
        .args(["--json", "--log-level", "warn"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, ready)
}

#[test]
fn serves_and_stops_cleanly_on_every_signal() {
    for sig in ["INT", "TERM", "HUP"] {
        let (child, ready) = start(&["--hz", "40"]);
        assert_eq!(ready["event"], "ready");
        let port = ready["rest_port"].as_u64().unwrap() as u16;
        assert_eq!(ready["rest"], format!("http://127.0.0.1:{port}"));
        assert!(ready["ws_visualization"]
            .as_str()
            .unwrap()
            .starts_with("ws://127.0.0.1:"));
        assert_eq!(ready["simulation_timestep"], 0.025);
        let (status, body) = get(port, "/v1/system/health_check");
        assert_eq!(status, 200, "{body}");
        let health: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["brain_readiness"], true);
        let (status, body) = get(port, "/v1/burst_engine/simulation_timestep");
        assert_eq!((status, body.trim()), (200, "0.025"));

        let t = Instant::now();
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "SIG{sig}: {:?} {err}", out.status);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "SIG{sig}: {:?}",
            t.elapsed()
        );
        assert!(err.contains("stopped after"), "{err}");
        assert!(ready["zmq_registration"]
            .as_str()
            .unwrap()
            .starts_with("tcp://127.0.0.1:"));
        let mut distinct = std::collections::BTreeSet::new();
        for key in PORT_KEYS {
            let p = ready[key].as_u64().unwrap() as u16;
            assert!(p > 0, "{key}");
            distinct.insert(p);
            std::net::TcpListener::bind(("127.0.0.1", p)).expect("the port is released");
        }
        assert_eq!(distinct.len(), PORT_KEYS.len(), "{ready}");
    }
}

#[test]
fn a_port_in_use_and_bad_options_are_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = bin()
        .args([
            "serve",
            "--rest-port",
            &port,
            "--ws-registration-port",
            "0",
            "--viz-port",
            "0",
        ])
        .args(ALL_OTHER_PORTS_FREE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen for REST"), "{err}");
    // A ZMQ port in use too.
    let out = bin()
        .args(["serve", "--rest-port", "0", "--ws-registration-port", "0"])
        .args([
            "--viz-port",
            "0",
            "--ws-sensory-port",
            "0",
            "--ws-motor-port",
            "0",
        ])
        .args(["--zmq-registration-port", "0", "--zmq-sensory-port", &port])
        .args(["--zmq-motor-port", "0", "--zmq-viz-port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen for ZMQ sensory"), "{err}");

    for bad in [["--viz-hz", "0"], ["--hz", "-1"], ["--rest-port", "70000"]] {
        let out = bin().arg("serve").args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    let out = bin()
        .args(["serve", "/no/such/genome.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
