//! `mpirun -np R feagi-npu run GENOME --distributed` fires bit-identically to
//! one process (issue 16): the per-burst digests of the fire queue (ids and
//! firing potentials) that rank 0 writes equal those of `feagi-npu run`, for
//! R = 2, 3 and 4 on the 2-core CI machine (`--oversubscribe`), with
//! plasticity on, for the default genome and every loadable genome of
//! `$FEAGI_GENOMES`; the summaries agree; a genome that fails to load fails the
//! whole job with its located error, printed once by rank 0, also when only
//! one rank fails (a missing rank file, a rank short of memory); a rank that
//! dies ends the job (no hang) with rank 0 saying so and its record ending on
//! a whole burst; a job saved with `--save` (a file per rank) and
//! resumed with `--resume` fires like one uninterrupted process, also on
//! another number of ranks (re-partitioned on load). Built only with `--features mpi`
//! (scripts/test.sh runs it); fails, not skips, under CI without `mpirun`.
#![cfg(feature = "mpi")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

fn feagi_npu() -> &'static str {
    env!("CARGO_BIN_EXE_feagi-npu")
}

/// `mpirun` when it is installed; under CI its absence is a failure.
fn mpirun() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("mpirun"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but mpirun is missing (scripts/install-mpi.sh installs Open MPI)"
        );
        eprintln!("note: mpirun not found; skipping the MPI tests");
    }
    found
}

/// An MPMD job: one rank per argument list, in rank order (`mpirun -np 1 A :
/// -np 1 B ...`); a list starting with `sh` runs a shell command as the rank.
fn mpmd(mpirun: &Path, ranks: &[Vec<String>]) -> Output {
    let mut cmd = Command::new(mpirun);
    cmd.args(["--allow-run-as-root", "--oversubscribe"]);
    for (k, args) in ranks.iter().enumerate() {
        if k > 0 {
            cmd.arg(":");
        }
        cmd.args(["-np", "1"]);
        if args.first().is_some_and(|a| a == "sh") {
            cmd.args(args);
        } else {
            cmd.arg(feagi_npu()).args(args);
        }
    }
    output_within(cmd, Duration::from_secs(300))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Runs `cmd` with a deadline: a hung job fails the test instead of CI.
fn output_within(cmd: Command, limit: Duration) -> Output {
    let mut cmd = assert_cmd::Command::from_std(cmd);
    cmd.timeout(limit);
    cmd.output().expect("the command runs")
}

fn mpi<S: AsRef<std::ffi::OsStr>>(mpirun: &Path, ranks: usize, args: &[S]) -> Output {
    let mut cmd = Command::new(mpirun);
    cmd.args([
        "--allow-run-as-root",
        "--oversubscribe",
        "-np",
        &ranks.to_string(),
    ])
    .arg(feagi_npu())
    .args(args);
    output_within(cmd, Duration::from_secs(300))
}

fn single<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    let mut cmd = Command::new(feagi_npu());
    cmd.args(args);
    output_within(cmd, Duration::from_secs(300))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The summary without what depends on time or on the number of ranks.
fn summary(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        text(&o.stderr),
        text(&o.stdout)
    );
    let mut v: Value = serde_json::from_slice(&o.stdout).expect("one JSON summary on stdout");
    let map = v.as_object_mut().expect("an object");
    for key in [
        "wall_time_s",
        "achieved_hz",
        "median_burst_ms",
        "p99_burst_ms",
        "max_burst_ms",
        "genome",
    ] {
        map.remove(key);
    }
    v
}

/// One process and R = 2, 3, 4 ranks: equal digests, burst by burst, and summaries.
/// `distributed` are options of the MPI runs only. Returns one process's
/// summary (which every job matched).
fn equal_on_2_3_and_4_ranks(
    mpirun: &Path,
    genome: Option<&str>,
    extra: &[&str],
    distributed: &[&str],
) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let digest = |name: &str| dir.path().join(name).display().to_string();
    let mut base: Vec<String> = genome.map(str::to_string).into_iter().collect();
    base.extend(
        ["--bursts", "120", "--seed", "7", "--json"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string()),
    );
    let with = |more: &[&str]| -> Vec<String> {
        let mut a = vec!["run".to_string()];
        a.extend(base.iter().cloned());
        a.extend(more.iter().map(|s| s.to_string()));
        a
    };
    let one_path = digest("one.txt");
    let args = with(&["--digest", &one_path]);
    let one = single(&args);
    let expected_summary = summary(&one);
    let expected = std::fs::read_to_string(&one_path).expect("digest of one process");
    assert_eq!(expected.lines().count(), 120);
    for ranks in [2, 3, 4] {
        let path = digest(&format!("r{ranks}.txt"));
        let mut more = vec!["--distributed", "--digest", &path];
        more.extend(distributed);
        let args = with(&more);
        let got = mpi(mpirun, ranks, &args);
        let got_summary = summary(&got);
        let digests = std::fs::read_to_string(&path).expect("digest of rank 0");
        for (k, (a, b)) in expected.lines().zip(digests.lines()).enumerate() {
            assert_eq!(a, b, "{genome:?}: {ranks} ranks differ at burst {}", k + 1);
        }
        assert_eq!(expected.lines().count(), digests.lines().count());
        assert_eq!(
            got_summary, expected_summary,
            "{genome:?}: the summary of {ranks} ranks"
        );
    }
    expected_summary
}

#[test]
fn the_default_genome_fires_identically_on_2_3_and_4_ranks() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let fired = equal_on_2_3_and_4_ranks(&mpirun, None, &["--pattern", "random:i_sens:0.3"], &[])
        ["total_fired"]
        .as_u64()
        .unwrap_or(0);
    assert!(fired > 120, "the brain must be active: {fired} fired");
}

#[test]
fn input_staged_on_rank_0_only_and_routed_fires_identically() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let fired = equal_on_2_3_and_4_ranks(
        &mpirun,
        None,
        &[
            "--pattern",
            "random:i_sens:0.3",
            "--stimulate",
            "i_sens@0,0,0=2.5",
        ],
        &["--route-input"],
    )["total_fired"]
        .as_u64()
        .unwrap_or(0);
    assert!(fired > 120, "the brain must be active: {fired} fired");
}

#[test]
fn a_learning_genome_fires_identically_on_2_3_and_4_ranks() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let Some(dir) = support::genome_folder() else {
        return;
    };
    let genome = dir
        .join("py_motor_babble_genome.json")
        .display()
        .to_string();
    let summary = equal_on_2_3_and_4_ranks(
        &mpirun,
        Some(&genome),
        &["--pattern", "random:i__bat:0.3"],
        &[],
    );
    let fired = summary["total_fired"].as_u64().unwrap_or(0);
    assert!(fired > 120, "the brain must be active: {fired} fired");
    // It learned, so learning across ranks was compared too.
    let updates = summary["plasticity"]["weight_updates"]
        .as_u64()
        .unwrap_or(0);
    assert!(updates > 0, "no weight updates: {summary}");
}

/// Every loadable genome under mpirun: input on a random 30 % of the voxels
/// of every area that is not a core area, 120 bursts.
#[test]
fn every_loadable_genome_fires_identically_on_2_3_and_4_ranks() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let Some(dir) = support::genome_folder() else {
        return;
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read FEAGI_GENOMES")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let (mut checked, mut active) = (0, 0);
    for path in paths {
        let genome = path.display().to_string();
        let shown = single(&["inspect", "--json", &genome]);
        if !shown.status.success() {
            eprintln!("not loadable, skipped: {genome}");
            continue;
        }
        let shown: Value = serde_json::from_slice(&shown.stdout).expect("inspect --json");
        let mut patterns = Vec::new();
        for area in shown["areas"].as_array().into_iter().flatten() {
            if area["kind"] != "CORE" && area["neurons"].as_u64().unwrap_or(0) > 0 {
                let id = area["cortical_id"].as_str().expect("an id");
                patterns.push("--pattern".to_string());
                patterns.push(format!("random:{id}:0.3"));
            }
        }
        let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let fired = equal_on_2_3_and_4_ranks(&mpirun, Some(&genome), &patterns, &[])["total_fired"]
            .as_u64()
            .unwrap_or(0);
        eprintln!("{genome}: identical on 2, 3 and 4 ranks, {fired} fired");
        checked += 1;
        // More than the power neuron's one per burst.
        active += usize::from(fired > 120);
    }
    assert!(checked >= 5, "only {checked} genomes loaded from {dir:?}");
    assert!(
        active >= 5,
        "only {active} of {checked} genomes were active"
    );
}

#[test]
fn a_genome_that_fails_to_load_fails_the_job_with_its_located_error() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"blueprint\": 5}").expect("write");
    let bad = bad.display().to_string();
    let one = single(&["run", &bad, "--bursts", "3"]);
    assert!(!one.status.success());
    let message = text(&one.stderr);
    let message = message.lines().next().unwrap_or_default().to_string();
    assert!(message.contains("bad.json"), "{message}");
    let got = mpi(&mpirun, 2, &["run", &bad, "--distributed", "--bursts", "3"]);
    assert!(!got.status.success(), "the job must fail");
    let err = text(&got.stderr);
    assert!(
        err.lines().any(|l| l == message),
        "rank 0 prints the same located error: {err}"
    );
}

#[test]
fn a_distributed_brain_saved_and_resumed_fires_like_one_uninterrupted_process() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let common = ["--seed", "7", "--pattern", "random:i_sens:0.3", "--json"];
    let run = |more: &[&str]| -> Vec<String> {
        ["run"]
            .iter()
            .chain(&common)
            .chain(more)
            .map(|s| s.to_string())
            .collect()
    };
    let one = single(&run(&["--bursts", "120", "--digest", &path("one.txt")]));
    summary(&one);
    let snap = path("brain.snap");
    let first = run(&[
        "--distributed",
        "--bursts",
        "60",
        "--save",
        &snap,
        "--digest",
        &path("first.txt"),
    ]);
    let first = mpi(&mpirun, 2, &first);
    summary(&first);
    for rank in 0..2 {
        assert!(
            dir.path()
                .join(format!("brain.snap.rank-{rank}-of-2"))
                .is_file(),
            "rank {rank}'s snapshot"
        );
    }
    let second = [
        "run",
        "--resume",
        &snap,
        "--distributed",
        "--bursts",
        "60",
        "--pattern",
        "random:i_sens:0.3",
        "--seed",
        "7",
        "--json",
        "--digest",
        &path("second.txt"),
    ];
    summary(&mpi(&mpirun, 2, &second));
    let expected = std::fs::read_to_string(path("one.txt")).expect("one process");
    let got = std::fs::read_to_string(path("first.txt")).expect("first half")
        + &std::fs::read_to_string(path("second.txt")).expect("second half");
    assert_eq!(expected.lines().count(), 120);
    for (k, (a, b)) in expected.lines().zip(got.lines()).enumerate() {
        assert_eq!(a, b, "the resumed job differs at burst {}", k + 1);
    }
    assert_eq!(expected.lines().count(), got.lines().count());

    // Another number of ranks (3 and 1) resumes the same files re-partitioned,
    // and fires the same.
    for ranks in [3, 1] {
        let digest = path(&format!("second-{ranks}.txt"));
        let again: Vec<&str> = second
            .iter()
            .map(|&a| {
                if a == path("second.txt") {
                    digest.as_str()
                } else {
                    a
                }
            })
            .collect();
        let resumed = mpi(&mpirun, ranks, &again);
        let shown = text(&resumed.stdout);
        summary(&resumed);
        assert!(shown.contains("re-partitioned"), "{shown}");
        let got = std::fs::read_to_string(path("first.txt")).expect("first half")
            + &std::fs::read_to_string(&digest).expect("second half");
        assert_eq!(
            expected, got,
            "resumed on {ranks} ranks from 2 ranks' files"
        );
    }
    // Files of two saves with different rank counts beside each other: refused.
    std::fs::copy(
        path("brain.snap.rank-0-of-2"),
        path("brain.snap.rank-0-of-4"),
    )
    .expect("copy");
    let mixed = mpi(&mpirun, 3, &second);
    assert!(!mixed.status.success());
    let err = text(&mixed.stderr);
    assert!(err.contains("saved by 2 and 4 ranks"), "{err}");
    // ... unless they are the job's own: 2 ranks read theirs.
    summary(&mpi(&mpirun, 2, &second));
    std::fs::remove_file(path("brain.snap.rank-0-of-4")).expect("remove");
    // A rank whose file is missing: rank 0 names it and its error, once;
    // no rank reports the signal mpirun sends when the first one exits.
    let gap = path("gap.snap");
    std::fs::copy(path("brain.snap.rank-0-of-2"), path("gap.snap.rank-0-of-2")).expect("copy");
    let second_gap: Vec<&str> = second
        .iter()
        .map(|&a| if a == snap { gap.as_str() } else { a })
        .collect();
    let gapped = mpi(&mpirun, 2, &second_gap);
    assert!(!gapped.status.success());
    let err = text(&gapped.stderr);
    let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("feagi-npu")).collect();
    assert_eq!(ours.len(), 1, "one error line: {err}");
    assert!(
        ours[0].contains("rank 1: ") && ours[0].contains("gap.snap"),
        "{err}"
    );
    // One rank's file without --distributed: says how to resume it.
    let rank_file = path("brain.snap.rank-0-of-2");
    let alone = single(&["run", "--resume", &rank_file, "--bursts", "1"]);
    assert!(!alone.status.success());
    let err = text(&alone.stderr);
    assert!(err.contains("mpirun -np 2"), "{err}");
    // inspect names the rank.
    let shown = single(&["inspect", &path("brain.snap.rank-1-of-2")]);
    let shown = text(&shown.stdout);
    assert!(
        shown.contains("format version 2") && shown.contains("rank      1 of 2"),
        "{shown}"
    );
    // Saved again by 3 ranks: the other counts' files go, so that a later
    // resume finds this save alone.
    let resave = mpi(
        &mpirun,
        3,
        &[
            "run",
            "--resume",
            &snap,
            "--distributed",
            "--bursts",
            "2",
            "--save",
            &snap,
        ],
    );
    assert!(resave.status.success(), "{}", text(&resave.stderr));
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("brain.snap.rank-"))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "brain.snap.rank-0-of-3",
            "brain.snap.rank-1-of-3",
            "brain.snap.rank-2-of-3"
        ]
    );
}

#[test]
fn a_rank_short_of_memory_fails_the_job_with_its_error_on_rank_0() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let run = ["run", "--distributed", "--bursts", "3"];
    let mut starved = strings(&run);
    starved.extend(strings(&["--memory-limit", "1000"]));
    let got = mpmd(&mpirun, &[strings(&run), starved, strings(&run)]);
    assert!(!got.status.success(), "the job must fail");
    let err = text(&got.stderr);
    let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("feagi-npu")).collect();
    assert_eq!(ours.len(), 1, "one error line, from rank 0: {err}");
    assert!(
        ours[0].starts_with("feagi-npu: error: rank 1: ") && ours[0].contains("memory"),
        "{err}"
    );
}

#[test]
fn a_rank_that_dies_ends_the_job_and_rank_0_says_so() {
    let Some(mpirun) = mpirun() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("fired.jsonl").display().to_string();
    let run = ["run", "--distributed", "--bursts", "1000000", "--hz", "50"];
    let mut rank0 = strings(&run);
    rank0.extend(strings(&["--record", &record]));
    // Rank 1 is killed after 2 s (its shell, the process mpirun watches,
    // then exits with the kill's status).
    let killed = format!(
        "{} {} & pid=$!; sleep 2; kill -9 $pid; wait $pid",
        feagi_npu(),
        run.join(" ")
    );
    let started = std::time::Instant::now();
    let got = mpmd(&mpirun, &[rank0, strings(&["sh", "-c", &killed])]);
    let took = started.elapsed();
    assert!(!got.status.success(), "the job must fail");
    // No hang: mpirun ends the job soon after the rank dies.
    assert!(took < Duration::from_secs(120), "took {took:?}");
    let err = text(&got.stderr);
    assert!(
        err.contains("feagi-npu: stopping after this burst on a signal"),
        "rank 0 says why it stops: {err}"
    );
    // Every record line is whole, from at least one burst.
    let rows = std::fs::read_to_string(&record).expect("rank 0's record");
    assert!(!rows.is_empty(), "bursts ran before the kill");
    for line in rows.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
}
