//! Integration tests of the `feagi-npu` binary: every `run` option, record
//! files against the summary, the raster PNG, `validate` exit codes and
//! messages, `inspect` totals (SPEC §3.5), error handling and Ctrl-C, and
//! plasticity (SPEC §6): `--no-plasticity`, the `plasticity` summary, the
//! STDP pairs `inspect` lists and `bench synthetic --plastic`.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("feagi-npu").expect("feagi-npu is built")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("feagi-npu runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "failed: {}\n{}", stderr(o), stdout(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

#[test]
fn run_default_genome_summary_is_consistent() {
    let s = json(&run(&["run", "--bursts", "120", "--seed", "3", "--json"]));
    assert_eq!(s["bursts"], 120);
    assert_eq!(s["stopped_early"], false);
    assert!(
        s["neurons"].as_u64().unwrap() > 3,
        "the embedded default genome has more than the core areas"
    );
    assert!(s["synapses"].as_u64().unwrap() > 0);
    let per_area: u64 = s["per_area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["fired"].as_u64().unwrap())
        .sum();
    assert_eq!(per_area, s["total_fired"].as_u64().unwrap());
    assert!(s["median_burst_ms"].as_f64().unwrap() <= s["p99_burst_ms"].as_f64().unwrap());
    // The human table names every column of the summary.
    let table = stdout(&run(&["run", "--bursts", "10"]));
    for word in [
        "neurons",
        "synapses",
        "areas",
        "bursts",
        "wall time",
        "achieved rate",
        "median",
        "p99",
        "fired per burst",
    ] {
        assert!(table.contains(word), "table lacks {word}:\n{table}");
    }
}

#[test]
fn record_files_agree_with_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("spikes.csv");
    let jsonl_path = dir.path().join("spikes.jsonl");
    for path in [&csv_path, &jsonl_path] {
        let s = json(&run(&[
            "run",
            "--bursts",
            "80",
            "--record",
            path.to_str().unwrap(),
            "--json",
        ]));
        let total = s["total_fired"].as_u64().unwrap();
        assert!(total > 0);
        let text = std::fs::read_to_string(path).unwrap();
        let rows: Vec<(u64, String)> = if path == &csv_path {
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("burst,cortical_id,neuron_id,x,y,z,potential")
            );
            lines
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    assert_eq!(f.len(), 7, "{l}");
                    f[6].parse::<f32>().unwrap();
                    (f[0].parse().unwrap(), f[1].to_string())
                })
                .collect()
        } else {
            text.lines()
                .map(|l| {
                    let v: Value = serde_json::from_str(l).unwrap();
                    (
                        v["burst"].as_u64().unwrap(),
                        v["cortical_id"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(rows.len() as u64, total, "{}", path.display());
        assert!(rows.iter().all(|(b, _)| (1..=80).contains(b)));
        // Per-area counts agree too.
        for area in s["per_area"].as_array().unwrap() {
            let id = area["cortical_id"].as_str().unwrap();
            let n = rows.iter().filter(|(_, a)| a == id).count() as u64;
            assert_eq!(n, area["fired"].as_u64().unwrap(), "area {id}");
        }
    }
}

#[test]
fn raster_png_has_the_documented_size_and_colours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raster.png");
    let o = run(&["run", "--bursts", "150", "--raster", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1200, 800));
    let colours: std::collections::HashSet<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
    assert!(colours.len() > 4, "only {} colours", colours.len());
}

#[test]
fn stimulate_reproduces_the_essential_genome_trace() {
    // SPEC §8 item 35 through the command line: p = 1 at iic700 (0,0,0).
    let Some(g) = support::genome("core_essential_genome.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("r.csv");
    let s = json(&run(&[
        "run",
        &g,
        "--bursts",
        "12",
        "--stimulate",
        "iic700@0,0,0=1",
        "--record",
        rec.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(s["neurons"], 55_359);
    let text = std::fs::read_to_string(&rec).unwrap();
    let mut per_burst = [0u32; 12];
    for line in text.lines().skip(1) {
        per_burst[line.split(',').next().unwrap().parse::<usize>().unwrap() - 1] += 1;
    }
    assert_eq!(per_burst, [2, 3, 7, 10, 10, 6, 3, 6, 10, 7, 6, 6]);
}

#[test]
fn patterns_drive_input_areas() {
    let Some(g) = support::genome("core_vision_genome.json") else {
        return;
    };
    let quiet = json(&run(&["run", &g, "--bursts", "20", "--json"]));
    for pattern in ["random:iic400:0.2", "bar:iic400"] {
        let s = json(&run(&[
            "run",
            &g,
            "--bursts",
            "20",
            "--seed",
            "5",
            "--pattern",
            pattern,
            "--json",
        ]));
        let fired = |s: &Value| {
            s["per_area"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["cortical_id"] == "iic400__")
                .unwrap()["fired"]
                .as_u64()
                .unwrap()
        };
        assert_eq!(fired(&quiet), 0);
        assert!(fired(&s) > 0, "{pattern} drives iic400");
        // Seeded: the same run twice gives the same counts.
        let again = json(&run(&[
            "run",
            &g,
            "--bursts",
            "20",
            "--seed",
            "5",
            "--pattern",
            pattern,
            "--json",
        ]));
        assert_eq!(s["total_fired"], again["total_fired"]);
    }
    // A whole-area stimulus without coordinates reaches every voxel.
    let s = json(&run(&[
        "run",
        &g,
        "--bursts",
        "1",
        "--stimulate",
        "iic400=5",
        "--json",
    ]));
    assert!(s["total_fired"].as_u64().unwrap() >= 128 * 128 * 3);
}

#[test]
fn hz_paces_bursts() {
    let s = json(&run(&["run", "--bursts", "25", "--hz", "50", "--json"]));
    let hz = s["achieved_hz"].as_f64().unwrap();
    assert!((35.0..=52.0).contains(&hz), "achieved {hz} Hz for --hz 50");
}

#[test]
fn validate_reports_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad_json = dir.path().join("broken.json");
    std::fs::write(
        &bad_json,
        "{\n  \"version\": \"2.0\",\n  \"blueprint\": {,\n}",
    )
    .unwrap();
    let o = run(&["validate", bad_json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("broken.json") && out.contains("line 3") && out.contains("InvalidJson"),
        "{out}"
    );
    assert!(out.contains("FAILED"));

    let missing = run(&["validate", "/no/such/genome.json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("/no/such/genome.json"));

    assert_eq!(run(&["validate"]).status.code(), Some(2), "usage error");

    let Some(good) = support::genome("core_essential_genome.json") else {
        return;
    };
    let o = run(&["validate", &good]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("ok (55359 neurons, 1552 synapses"));

    let Some(bad) = support::genome("py_brightness_change_detection.json") else {
        return;
    };
    let o = run(&["validate", &good, &bad]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("steering_to_forward")
            && out.contains("pattern 7")
            && out.contains("InvalidMorphology"),
        "{out}"
    );
    let j: Value = serde_json::from_slice(&run(&["validate", &bad, "--json"]).stdout).unwrap();
    assert_eq!(j[0]["ok"], false);
    assert_eq!(j[0]["errors"][0]["kind"], "InvalidMorphology");
    assert_eq!(j[0]["errors"][0]["morphology_id"], "steering_to_forward");
    assert_eq!(j[0]["errors"][0]["pattern_index"], 7);
}

#[test]
fn inspect_totals_match_the_spec() {
    let d = json(&run(&["inspect", "--json"]));
    assert!(d["areas"].as_array().unwrap().len() > 3);
    let expected = [
        ("core_essential_genome.json", 26, 55_359, 1_552),
        ("core_vision_genome.json", 26, 204_863, 2_064),
        ("py_essential_genome.json", 25, 13_847, 400),
        ("py_motor_babble_genome.json", 15, 3_023, 6_277),
        ("community_learning_v1_1b.json", 67, 47_315, 33_946),
    ];
    for (file, areas, neurons, synapses) in expected {
        let Some(g) = support::genome(file) else {
            return;
        };
        let j = json(&run(&["inspect", &g, "--json"]));
        assert_eq!(j["areas"].as_array().unwrap().len(), areas, "{file}");
        assert_eq!(
            (
                j["neurons"].as_u64().unwrap(),
                j["synapses"].as_u64().unwrap()
            ),
            (neurons, synapses),
            "{file}"
        );
        let out: u64 = j["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outgoing_synapses"].as_u64().unwrap())
            .sum();
        let inc: u64 = j["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["incoming_synapses"].as_u64().unwrap())
            .sum();
        assert_eq!((out, inc), (synapses, synapses));
    }
    let Some(g) = support::genome("core_essential_genome.json") else {
        return;
    };
    let table = stdout(&run(&["inspect", &g]));
    assert!(
        table.contains("iic400__") && table.contains("15.0 Hz") && table.contains("55359 neurons"),
        "{table}"
    );
}

#[test]
fn errors_are_one_clear_line_and_non_zero() {
    let cases: [(&[&str], i32, &str); 5] = [
        (&["run", "/no/such/file.json"], 1, "/no/such/file.json"),
        (
            &["run", "--bursts", "1", "--stimulate", "cNope__"],
            2,
            "unknown cortical area",
        ),
        (
            &["run", "--bursts", "1", "--pattern", "wave:x"],
            2,
            "bad pattern",
        ),
        (&["run", "--bursts", "1", "--hz", "0"], 2, "--hz"),
        (
            &["run", "--bursts", "1", "--record", "/no/such/dir/r.csv"],
            1,
            "cannot write /no/such/dir/r.csv",
        ),
    ];
    for (args, code, text) in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(text), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn ctrl_c_stops_cleanly_and_still_writes_outputs_and_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("r.csv");
    let png = dir.path().join("r.png");
    let snap = dir.path().join("r.snap");
    let child = bin()
        .args(["run", "--bursts", "100000", "--hz", "100", "--json"])
        .args(["--save", snap.to_str().unwrap()])
        .args([
            "--record",
            rec.to_str().unwrap(),
            "--raster",
            png.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    let s = json(&o);
    assert_eq!(s["stopped_early"], true);
    let bursts = s["bursts"].as_u64().unwrap();
    assert!(bursts > 10 && bursts < 100_000);
    let rows = std::fs::read_to_string(&rec).unwrap().lines().count() as u64 - 1;
    assert_eq!(rows, s["total_fired"].as_u64().unwrap());
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    // --save also saves on Ctrl-C: the brain as it stopped.
    let saved = json(&run(&["inspect", snap.to_str().unwrap(), "--json"]));
    assert_eq!(saved["burst"].as_u64(), Some(bursts));
}

#[test]
fn bench_smoke_reports_every_figure() {
    let s = json(&run(&[
        "bench",
        "synthetic",
        "--neurons",
        "5000",
        "--fanout",
        "10",
        "--firing",
        "0.02",
        "--bursts",
        "30",
        "--warmup",
        "5",
        "--json",
    ]));
    assert_eq!(
        (
            s["neurons"].as_u64(),
            s["synapses"].as_u64(),
            s["bursts"].as_u64()
        ),
        (Some(5000), Some(50_000), Some(30))
    );
    assert_eq!(
        s["fired_per_burst"], 100.0,
        "exactly 2 % of the neurons fire"
    );
    for key in [
        "median_ms",
        "p99_ms",
        "max_ms",
        "build_s",
        "synaptic_events_per_s",
        "peak_rss_mib",
        "ideal_median_ms",
        "engine_to_ideal",
    ] {
        assert!(s[key].as_f64().unwrap() > 0.0, "{key}");
    }
    assert!(s["phases"]["propagation_ms"].as_f64().unwrap() > 0.0);
    let i = json(&run(&[
        "bench",
        "ideal",
        "--neurons",
        "5000",
        "--fanout",
        "10",
        "--bursts",
        "20",
        "--warmup",
        "2",
        "--json",
    ]));
    assert!(i["median_ms"].as_f64().unwrap() > 0.0);
    let g = json(&run(&[
        "bench",
        "genome",
        "--pattern",
        "random:0.1",
        "--bursts",
        "20",
        "--warmup",
        "2",
        "--json",
        &default_genome_path(),
    ]));
    assert!(g["fired_per_burst"].as_f64().unwrap() > 0.0);
    assert_eq!(
        run(&["bench", "synthetic", "--firing", "2", "--bursts", "1"])
            .status
            .code(),
        Some(2)
    );
}

/// The embedded default genome written to a temporary file.
fn default_genome_path() -> String {
    let path = std::env::temp_dir().join(format!("feagi-default-{}.json", std::process::id()));
    std::fs::write(&path, feagi_genome::default_genome_json()).unwrap();
    path.display().to_string()
}

#[test]
fn gen_genome_writes_a_valid_genome_of_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    for (targets, exact) in [("random", true), ("local", false)] {
        let path = dir.path().join(format!("{targets}.json"));
        let p = path.to_str().unwrap();
        let o = run(&[
            "gen-genome",
            "--neurons",
            "4000",
            "--fanout",
            "10",
            "--targets",
            targets,
            "--seed",
            "2",
            "-o",
            p,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let j = json(&run(&["inspect", p, "--json"]));
        assert_eq!(
            j["neurons"], 4003,
            "4000 regular neurons plus the three core ones"
        );
        let synapses = j["synapses"].as_u64().unwrap();
        if exact {
            assert_eq!(
                synapses, 40_000,
                "randomizer rules give exactly K synapses per neuron"
            );
        } else {
            // Vectors that leave the grid at the area edges are dropped.
            assert!((39_000..40_000).contains(&synapses), "{synapses}");
        }
        assert!(
            j["warnings"].as_array().unwrap().is_empty(),
            "{}",
            j["warnings"]
        );
        // The brain runs and stays bounded under 1 % input.
        let s = json(&run(&[
            "run",
            p,
            "--bursts",
            "50",
            "--pattern",
            "random:i_gen0:0.01",
            "--json",
        ]));
        let fired = s["mean_fired_per_burst"].as_f64().unwrap();
        assert!(fired > 1.0 && fired < 400.0, "{fired}");
    }
    assert_eq!(
        run(&["gen-genome", "--neurons", "2", "-o", "/tmp/x.json"])
            .status
            .code(),
        Some(2)
    );
}

/// The keys of `run --json`'s `plasticity` object (documented in summary.rs).
const PLASTICITY_KEYS: [&str; 16] = [
    "enabled",
    "stdp_pairs",
    "memory_areas",
    "weight_updates",
    "potentiations",
    "depressions",
    "synapses_created",
    "memory_neurons_born",
    "memory_neurons_reactivated",
    "memory_neurons_died",
    "memory_neurons_became_long_term",
    "memory_neurons_fired",
    "memory_neurons_alive_at_end",
    "memory_neurons_long_term_at_end",
    "replay_injections",
    "patterns_ignored",
];

#[test]
fn no_plasticity_is_accepted_and_the_summary_has_a_plasticity_object() {
    for (extra, enabled) in [(None, true), (Some("--no-plasticity"), false)] {
        let mut args = vec!["run", "--bursts", "20", "--json"];
        args.extend(extra);
        let s = json(&run(&args));
        let p = s["plasticity"].as_object().expect("a plasticity object");
        let mut keys: Vec<&str> = p.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = PLASTICITY_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected, "{extra:?}");
        assert_eq!(p["enabled"], enabled, "{extra:?}");
        for key in PLASTICITY_KEYS.iter().filter(|k| **k != "enabled") {
            assert!(p[*key].is_u64(), "{key} is a count");
        }
        // The embedded default genome has nothing plastic: nothing learns.
        assert_eq!(p["weight_updates"], 0);
    }
    let on = stdout(&run(&["run", "--bursts", "5"]));
    assert!(
        on.contains("plasticity        on (no plastic rules)"),
        "{on}"
    );
    let off = stdout(&run(&["run", "--bursts", "5", "--no-plasticity"]));
    assert!(off.contains("plasticity        off"), "{off}");
    for workload in [
        &["synthetic", "--neurons", "2000", "--fanout", "5"][..],
        &["genome", &default_genome_path()][..],
    ] {
        let mut args = vec!["bench"];
        args.extend_from_slice(workload);
        args.extend([
            "--bursts",
            "5",
            "--warmup",
            "1",
            "--no-plasticity",
            "--json",
        ]);
        let b = json(&run(&args));
        assert_eq!(b["plasticity"], false, "{workload:?}");
        assert_eq!(b["stdp_updates_per_burst"], 0.0, "{workload:?}");
    }
}

#[test]
fn the_learning_genome_learns_only_with_plasticity() {
    let Some(g) = support::genome("community_learning_v1_1b.json") else {
        return;
    };
    // Its STDP pairs as developed (every rule: C = Lp = Ld = 1, W = 3).
    let d = json(&run(&["inspect", &g, "--json"]));
    let pairs: Vec<(String, String)> = d["stdp_pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            for key in ["plasticity_constant", "ltp_multiplier", "ltd_multiplier"] {
                assert_eq!(p[key], 1, "{p}");
            }
            assert_eq!(p["window"], 3, "{p}");
            assert_eq!(p["bidirectional"], false, "{p}");
            assert_eq!(p["synapses"], 1, "{p}");
            (
                p["source"].as_str().unwrap().to_string(),
                p["destination"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("C31Dow__", "C4Mup___"),
        ("C31Dow__", "CQ2dow__"),
        ("CU2Rig__", "C11sti__"),
        ("CU2Rig__", "CF0sti__"),
        ("CXKUp___", "C4Mup___"),
        ("CXKUp___", "CQ2dow__"),
        ("CZOLef__", "C11sti__"),
        ("CZOLef__", "CF0sti__"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(pairs, expected);
    assert_eq!(d["memory_areas"].as_array().unwrap().len(), 0);
    let table = stdout(&run(&["inspect", &g]));
    assert!(
        table.contains("STDP pairs (8") && table.contains("CZOLef__   -> CF0sti__"),
        "{table}"
    );

    // A held random picture on the vision input, 50 bursts per picture.
    let summary = |extra: &[&str]| {
        let mut args = vec![
            "run",
            &g,
            "--bursts",
            "300",
            "--seed",
            "1",
            "--pattern",
            "random:iv00_C:0.2:50",
            "--json",
        ];
        args.extend_from_slice(extra);
        json(&run(&args))["plasticity"].clone()
    };
    let on = summary(&[]);
    assert_eq!(
        (on["enabled"].clone(), on["stdp_pairs"].clone()),
        (true.into(), 8.into())
    );
    assert!(on["weight_updates"].as_u64().unwrap() > 0, "{on}");
    assert!(on["depressions"].as_u64().unwrap() > 0, "{on}");
    let off = summary(&["--no-plasticity"]);
    assert_eq!(off["enabled"], false);
    assert_eq!(off["stdp_pairs"], 8, "registrations are kept");
    for key in [
        "weight_updates",
        "potentiations",
        "depressions",
        "synapses_created",
    ] {
        assert_eq!(off[key], 0, "{key}: {off}");
    }
    // Holding both ends of CZOLef -> C11sti active potentiates it.
    let both = summary(&["--stimulate", "CZOLef", "--stimulate", "C11sti"]);
    assert!(both["potentiations"].as_u64().unwrap() > 0, "{both}");
    let table = stdout(&run(&[
        "run",
        &g,
        "--bursts",
        "60",
        "--pattern",
        "random:iv00_C:0.2:50",
    ]));
    assert!(
        table.contains("plasticity        on: 8 STDP pairs, 0 memory areas")
            && table.contains("weight updates")
            && table.contains("memory neurons"),
        "{table}"
    );
}

#[test]
fn bench_synthetic_plastic_reports_the_plasticity_phase() {
    let args = [
        "bench",
        "synthetic",
        "--neurons",
        "5000",
        "--fanout",
        "10",
        "--firing",
        "0.02",
        "--bursts",
        "30",
        "--warmup",
        "5",
        "--plastic",
    ];
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let s = json(&run(&with_json));
    assert_eq!(
        (s["plasticity"].clone(), s["stdp_pairs"].clone()),
        (true.into(), 1.into())
    );
    assert!(s["phases"]["plasticity_ms"].as_f64().unwrap() > 0.0);
    // W = 1: every synapse leaving one of the 100 fired neurons, and every
    // synapse reaching one from a silent neuron, is updated: about twice the
    // fired neurons' 1 000 synapses, whatever the 50 000 synapses of the pair.
    let updates = s["stdp_updates_per_burst"].as_f64().unwrap();
    assert!((1000.0..=2500.0).contains(&updates), "{updates}");
    assert!(s["stdp_updates_per_burst"].as_f64().unwrap() > 0.0);
    let table = stdout(&run(&args));
    assert!(
        table.contains("3 plasticity") && table.contains("1 STDP pairs"),
        "{table}"
    );
    // Without --plastic nothing is registered and the phase has no work.
    let plain: Vec<&str> = with_json
        .iter()
        .copied()
        .filter(|a| *a != "--plastic")
        .collect();
    let p = json(&run(&plain));
    assert_eq!(p["stdp_pairs"], 0);
    assert_eq!(p["stdp_updates_per_burst"], 0.0);
}

#[test]
fn memory_areas_show_in_inspect_and_run() {
    let Some(g) = support::genome("community_gesture_recognition.json") else {
        return;
    };
    let d = json(&run(&["inspect", &g, "--json"]));
    let memory = d["memory_areas"].as_array().unwrap();
    assert_eq!(memory.len(), 1);
    let m = &memory[0];
    assert_eq!(m["cortical_id"], "MLIcom__");
    assert_eq!(
        (
            m["temporal_depth"].as_u64(),
            m["init_lifespan"].as_u64(),
            m["lifespan_growth_rate"].as_u64(),
            m["longterm_mem_threshold"].as_u64()
        ),
        (Some(1), Some(4000), Some(2000), Some(2000))
    );
    assert_eq!(
        m["upstream"],
        serde_json::json!(["C76ges__", "COEges__", "CQUdow__", "CYIdow__"])
    );
    assert_eq!(m["twins"], serde_json::json!([]));
    assert!(stdout(&run(&["inspect", &g])).contains("memory areas (1)"));

    // Held input makes patterns; memory neurons fire and are plotted.
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("r.png");
    let rec = dir.path().join("r.csv");
    let s = json(&run(&[
        "run",
        &g,
        "--bursts",
        "100",
        "--pattern",
        "random:iv00_C:0.3:20",
        "--raster",
        png.to_str().unwrap(),
        "--record",
        rec.to_str().unwrap(),
        "--json",
    ]));
    let p = &s["plasticity"];
    assert_eq!(
        (p["memory_areas"].as_u64(), p["stdp_pairs"].as_u64()),
        (Some(1), Some(1))
    );
    let born = p["memory_neurons_born"].as_u64().unwrap();
    assert!(born > 0, "{p}");
    assert_eq!(
        p["memory_neurons_alive_at_end"].as_u64().unwrap(),
        born - p["memory_neurons_died"].as_u64().unwrap()
    );
    let area = s["per_area"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["cortical_id"] == "MLIcom__")
        .unwrap();
    assert_eq!(area["memory_fired"], p["memory_neurons_fired"]);
    assert!(area["memory_fired"].as_u64().unwrap() > 0);
    assert!(area["firing_rate"].as_f64().unwrap() <= 1.0);
    // Memory neurons have ids from 50 000 000 up (SPEC §6.2).
    let memory_rows = std::fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2).unwrap().parse::<u32>().unwrap() >= 50_000_000)
        .count() as u64;
    assert_eq!(memory_rows, p["memory_neurons_fired"].as_u64().unwrap());
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    let off = json(&run(&[
        "run",
        &g,
        "--bursts",
        "100",
        "--pattern",
        "random:iv00_C:0.3:20",
        "--no-plasticity",
        "--json",
    ]));
    assert_eq!(off["plasticity"]["memory_neurons_born"], 0);
}
