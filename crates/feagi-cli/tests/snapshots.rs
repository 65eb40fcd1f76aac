//! Saved brains through the binary: `run --save`, `--save-every`,
//! `--resume` (burst numbers carry on, the run continues exactly),
//! `inspect SNAPSHOT`, and crash safety: a brain saved over and over while
//! the process is killed at random moments.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use feagi_types::rng::SplitMix64;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("feagi-npu").expect("feagi-npu is built")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("feagi-npu runs")
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

fn json(o: Output) -> Value {
    serde_json::from_slice(&ok(o).stdout).expect("JSON on stdout")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The learning genome when the real genomes are here, else the default.
fn learning_genome() -> Option<String> {
    support::genome("community_gesture_recognition.json")
}

/// The CSV record's lines of bursts `from..` (header dropped).
fn record_from(path: &Path, from: u64) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("record")
        .lines()
        .skip(1)
        .filter(|l| l.split(',').next().and_then(|b| b.parse::<u64>().ok()) >= Some(from))
        .map(str::to_string)
        .collect()
}

#[test]
fn resume_continues_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let genome = learning_genome();
    let mut base: Vec<String> = vec!["run".to_string()];
    base.extend(genome.iter().cloned());
    // Held random input on the genome's first input area.
    let input = if genome.is_some() { "iv00_C" } else { "i_sens" };
    base.extend(["--pattern".into(), format!("random:{input}:0.3:10")]);
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|e| e.to_string()))
            .collect()
    };
    let whole = dir.path().join("whole.csv");
    let whole_run = json(run(&args(&[
        "--bursts",
        "80",
        "--json",
        "--record",
        s(&whole),
    ])
    .iter()
    .map(String::as_str)
    .collect::<Vec<_>>()));

    let snap = dir.path().join("brain.snap");
    json(run(&args(&[
        "--bursts",
        "30",
        "--json",
        "--save",
        s(&snap),
    ])
    .iter()
    .map(String::as_str)
    .collect::<Vec<_>>()));
    let rest = dir.path().join("rest.csv");
    let mut resume_args = vec!["run", "--resume", s(&snap), "--bursts", "50", "--json"];
    resume_args.extend(["--record", s(&rest), "--pattern"]);
    let pattern = format!("random:{input}:0.3:10");
    resume_args.push(&pattern);
    let resumed = json(run(&resume_args));
    assert_eq!(resumed["bursts"], 50);
    let expected = record_from(&whole, 31);
    assert!(!expected.is_empty(), "the run must fire after burst 30");
    assert_eq!(record_from(&rest, 0), expected, "bursts 31..80 differ");
    assert_eq!(
        resumed["plasticity"]["memory_neurons_alive_at_end"],
        whole_run["plasticity"]["memory_neurons_alive_at_end"]
    );

    // inspect reads the snapshot; its burst and sizes are the run's.
    let report = json(run(&["inspect", s(&snap), "--json"]));
    assert_eq!(report["burst"], 30);
    assert_eq!(report["neurons"], whole_run["neurons"]);
    assert_eq!(report["has_genome"], true);
    let text = String::from_utf8(ok(run(&["inspect", s(&snap)])).stdout).unwrap();
    assert!(
        text.contains("burst     30") && text.contains("learned state"),
        "{text}"
    );
}

#[test]
fn snapshot_options_and_bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["run", "--save-every", "5"]);
    assert_eq!(o.status.code(), Some(2), "--save-every needs --save");
    let snap = dir.path().join("a.snap");
    let o = run(&["run", "--save", s(&snap), "--save-every", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--save-every"));
    ok(run(&["run", "--bursts", "3", "--save", s(&snap)]));
    let o = run(&["run", "genome.json", "--resume", s(&snap)]);
    assert_eq!(o.status.code(), Some(2), "a genome and --resume conflict");

    let bytes = std::fs::read(&snap).unwrap();
    let cut = dir.path().join("cut.snap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for args in [vec!["run", "--resume", s(&cut)], vec!["inspect", s(&cut)]] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let message = String::from_utf8_lossy(&o.stderr);
        assert!(
            message.contains("cut.snap") && message.contains("truncated"),
            "{message}"
        );
    }
    let o = run(&["run", "--resume", s(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    // Saving into a missing folder fails without leaving anything.
    let nowhere = dir.path().join("missing").join("b.snap");
    let o = run(&["run", "--bursts", "2", "--save", s(&nowhere)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("b.snap"));
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn killed_while_saving_leaves_a_complete_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let genome = dir.path().join("g.json");
    ok(run(&[
        "gen-genome",
        "--neurons",
        "12000",
        "--fanout",
        "40",
        "-o",
        s(&genome),
    ]));
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let target = work.join("brain.snap");
    let pattern = "random:i_gen0:0.2:5";
    let expected_dir = dir.path().join("expected");
    std::fs::create_dir(&expected_dir).unwrap();
    let mut rng = SplitMix64::new(45);
    let (mut absent, mut complete) = (0, 0);
    for kill in 0..50 {
        // A brain that changes every burst, saved after every burst, killed
        // at a random moment (SIGKILL: no chance to clean up).
        let mut child = bin()
            .args(["run", s(&genome), "--bursts", "100000", "--save-every", "1"])
            .args(["--save", s(&target), "--pattern", pattern])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Every tenth round starts without a file and is killed at once.
        let wait = if kill % 10 == 0 {
            rng.below(30)
        } else {
            rng.below(300)
        };
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap();
        child.wait().unwrap();

        let names = files_in(&work);
        assert!(
            names
                .iter()
                .all(|n| n == "brain.snap" || n == ".brain.snap.tmp"),
            "kill {kill}: unexpected files {names:?}"
        );
        if !target.exists() {
            absent += 1;
            continue;
        }
        // It loads, and it is exactly the snapshot of some burst b.
        let report = json(run(&["inspect", s(&target), "--json"]));
        let b = report["burst"].as_u64().expect("burst");
        let expected = expected_dir.join(format!("{b}.snap"));
        if !expected.exists() {
            let bursts = b.to_string();
            ok(run(&[
                "run",
                s(&genome),
                "--bursts",
                &bursts,
                "--save",
                s(&expected),
                "--pattern",
                pattern,
            ]));
        }
        assert!(
            std::fs::read(&target).unwrap() == std::fs::read(&expected).unwrap(),
            "kill {kill}: the file is not the complete snapshot of burst {b}"
        );
        complete += 1;
        // Start the next round from nothing now and then, so kills before
        // the first save are tried too.
        if kill % 10 == 9 && target.exists() {
            std::fs::remove_file(&target).unwrap();
        }
    }
    eprintln!("50 kills: {complete} complete snapshots, {absent} before the first save");
    assert!(
        complete >= 25,
        "most kills must land after a save ({complete})"
    );
    // The next successful save leaves only the snapshot.
    ok(run(&[
        "run",
        s(&genome),
        "--bursts",
        "2",
        "--save",
        s(&target),
    ]));
    assert_eq!(files_in(&work), ["brain.snap"]);
}
