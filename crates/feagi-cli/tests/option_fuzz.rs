//! Option fuzzing of the `feagi-npu` binary (issue M2.6): a few hundred
//! generated command lines, every subcommand, option values that are huge,
//! negative, NaN, infinite, empty, not UTF-8 or random text. Every run must
//! exit with status 0, 1 or 2 (never a signal, a panic's 101 or an abort's
//! 134), and a failure must print exactly one line on stderr.
//!
//! Runs that are still going after a deadline (a huge `--bursts`, a tiny
//! `--hz`) get SIGINT, which a well-behaved run answers by finishing
//! cleanly. `FEAGI_FUZZ_SEED` and `FEAGI_FUZZ_CASES` change the seed and
//! the number of command lines.

#![cfg(unix)]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use feagi_types::rng::SplitMix64;

/// How a run may go on before it gets SIGINT, and then before it counts as hung.
const DEADLINE: Duration = Duration::from_millis(1200);
const GRACE: Duration = Duration::from_secs(5);

/// What kind of value an option takes (to pick plausible values more often).
#[derive(Clone, Copy)]
enum Kind {
    Count,
    Real,
    Text,
    Spec,
    OutFile,
    InFile,
    Flag,
}

const RUN: &[(&str, Kind)] = &[
    ("--bursts", Kind::Count),
    ("--hz", Kind::Real),
    ("--seed", Kind::Count),
    ("--save-every", Kind::Count),
    ("--stimulate", Kind::Spec),
    ("--pattern", Kind::Spec),
    ("--record", Kind::OutFile),
    ("--raster", Kind::OutFile),
    ("--save", Kind::OutFile),
    ("--resume", Kind::InFile),
    ("--json", Kind::Flag),
    ("--no-plasticity", Kind::Flag),
];
const BENCH_GLOBAL: &[(&str, Kind)] = &[
    ("--bursts", Kind::Count),
    ("--warmup", Kind::Count),
    ("--sequential", Kind::Flag),
    ("--json", Kind::Flag),
    ("--no-plasticity", Kind::Flag),
];
const BENCH_NET: &[(&str, Kind)] = &[
    ("--neurons", Kind::Count),
    ("--fanout", Kind::Count),
    ("--firing", Kind::Real),
    ("--targets", Kind::Text),
    ("--seed", Kind::Count),
];
const BENCH_SYNTHETIC: &[(&str, Kind)] =
    &[("--plastic", Kind::Flag), ("--snapshot", Kind::OutFile)];
const BENCH_GENOME: &[(&str, Kind)] = &[("--pattern", Kind::Spec), ("--seed", Kind::Count)];
const GEN_GENOME: &[(&str, Kind)] = &[
    ("--neurons", Kind::Count),
    ("--fanout", Kind::Count),
    ("--targets", Kind::Text),
    ("--seed", Kind::Count),
    ("--output", Kind::OutFile),
    ("--force", Kind::Flag),
];
const INSPECT: &[(&str, Kind)] = &[("--seed", Kind::Count), ("--json", Kind::Flag)];
const VALIDATE: &[(&str, Kind)] = &[("--json", Kind::Flag)];

/// Numbers at and past every boundary, and things that are not numbers.
/// No value is both valid and large enough to make a run slow (sizes that
/// fit are small; the huge ones are refused).
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "100",
    "-1",
    "-0",
    "+5",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "99999999999999999999999999",
    "1e3",
    "0x10",
    "1.5",
    " 3",
    "3 ",
    "",
];
const REALS: &[&str] = &[
    "0",
    "1",
    "0.5",
    "1000",
    "1e-6",
    "0.000001",
    "1e-7",
    "1e-20",
    "1e-300",
    "5e-324",
    "1e300",
    "1e999",
    "-1",
    "-0",
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-inf",
    "infinity",
    "",
    "0.01",
    "1.0000001",
    "2",
];
const TEXTS: &[&str] = &[
    "random", "local", "", "RANDOM", "frame", "x", "-", "--", "\u{202e}", "é",
];
const SPECS: &[&str] = &[
    "",
    "=",
    "@",
    ":",
    "i_sens",
    "i_sens=1",
    "i_sens=-1",
    "i_sens=0",
    "i_sens=1e38",
    "i_sens=inf",
    "i_sens=NaN",
    "i_sens@0,0,0",
    "i_sens@0,0,0=2",
    "i_sens@4294967295,0,0",
    "i_sens@-1,0,0",
    "i_sens@0,0",
    "i_sens@,,",
    "___death",
    "___power=5",
    "cNope",
    "random:i_sens:0.5",
    "random:i_sens:0.5:3",
    "random:i_sens:0.5:0",
    "random:i_sens:0.5:18446744073709551615",
    "random:i_sens:NaN",
    "random:i_sens:2",
    "random:i_sens:-0",
    "random::0.5",
    "random:",
    "random:0.5",
    "random:1",
    "bar:i_sens",
    "bar:",
    "bar:o_motr",
    "bar:i_sens:x",
    "frame",
    "wave:i_sens",
];

struct Files<'a> {
    dir: &'a Path,
    genome: String,
    snapshot: String,
}

impl Files<'_> {
    fn out_files(&self) -> Vec<OsString> {
        let d = self.dir;
        let mut v: Vec<OsString> = ["out.csv", "out.jsonl", "out.png", "out.snap", "out.json"]
            .iter()
            .map(|n| d.join(n).into_os_string())
            .collect();
        v.push(d.as_os_str().to_owned());
        v.push(d.join("missing").join("x.csv").into_os_string());
        v.push(OsString::new());
        v.push(
            d.join(OsString::from_vec(b"bad\xff\xfename.csv".to_vec()))
                .into_os_string(),
        );
        v
    }

    fn in_files(&self) -> Vec<OsString> {
        let d = self.dir;
        vec![
            self.genome.clone().into(),
            self.snapshot.clone().into(),
            d.join("empty").into_os_string(),
            d.join("garbage").into_os_string(),
            d.join("no-such-file").into_os_string(),
            d.as_os_str().to_owned(),
            OsString::new(),
            OsString::from_vec(b"/tmp/\xff\xfe.json".to_vec()),
        ]
    }
}

fn pick<T: Clone>(rng: &mut SplitMix64, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize].clone()
}

/// A random printable string, sometimes long.
fn random_text(rng: &mut SplitMix64) -> OsString {
    let len = if rng.below(10) == 0 {
        5000
    } else {
        rng.below(12) as usize
    };
    let chars = b"abcxyz019_-:@=,. %$\\'\"";
    (0..len)
        .map(|_| chars[rng.below(chars.len() as u64) as usize] as char)
        .collect::<String>()
        .into()
}

fn value(rng: &mut SplitMix64, kind: Kind, files: &Files) -> OsString {
    // One value in eight is off-kind: random text, not UTF-8, or a number.
    match rng.below(16) {
        0 => return random_text(rng),
        1 => return OsString::from_vec(vec![0xff, b'1', 0xfe]),
        _ => {}
    }
    match kind {
        Kind::Count => pick(rng, NUMBERS).into(),
        Kind::Real => pick(rng, REALS).into(),
        Kind::Text => pick(rng, TEXTS).into(),
        Kind::Spec => pick(rng, SPECS).into(),
        Kind::OutFile => pick(rng, &files.out_files()),
        Kind::InFile => pick(rng, &files.in_files()),
        Kind::Flag => OsString::new(),
    }
}

/// Up to `max` options from `table`, each with a value of its kind.
fn options(
    rng: &mut SplitMix64,
    table: &[(&'static str, Kind)],
    max: u64,
    files: &Files,
    args: &mut Vec<OsString>,
) -> Vec<&'static str> {
    let mut chosen = Vec::new();
    for _ in 0..rng.below(max + 1) {
        let (name, kind) = table[rng.below(table.len() as u64) as usize];
        args.push(name.into());
        if !matches!(kind, Kind::Flag) {
            args.push(value(rng, kind, files));
        }
        chosen.push(name);
    }
    chosen
}

/// Defaults that keep a run short, for options the case did not set.
fn short_defaults(args: &mut Vec<OsString>, chosen: &[&str], defaults: &[(&str, &str)]) {
    for (name, v) in defaults {
        if !chosen.contains(name) {
            args.push(name.into());
            args.push(v.into());
        }
    }
}

fn command_line(rng: &mut SplitMix64, files: &Files) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    match rng.below(8) {
        0 | 1 => {
            args.push("run".into());
            if rng.below(3) == 0 {
                args.push(value(rng, Kind::InFile, files));
            }
            let chosen = options(rng, RUN, 4, files, &mut args);
            short_defaults(&mut args, &chosen, &[("--bursts", "3")]);
        }
        2 => {
            args.push("validate".into());
            for _ in 0..rng.below(3) {
                args.push(value(rng, Kind::InFile, files));
            }
            options(rng, VALIDATE, 1, files, &mut args);
        }
        3 => {
            args.push("inspect".into());
            if rng.below(2) == 0 {
                args.push(value(rng, Kind::InFile, files));
            }
            options(rng, INSPECT, 2, files, &mut args);
        }
        4..=6 => {
            args.push("bench".into());
            let mut chosen = options(rng, BENCH_GLOBAL, 2, files, &mut args);
            match rng.below(3) {
                0 => {
                    args.push("synthetic".into());
                    chosen.extend(options(rng, BENCH_NET, 3, files, &mut args));
                    chosen.extend(options(rng, BENCH_SYNTHETIC, 1, files, &mut args));
                }
                1 => {
                    args.push("ideal".into());
                    chosen.extend(options(rng, BENCH_NET, 3, files, &mut args));
                }
                _ => {
                    args.push("genome".into());
                    args.push(if rng.below(4) == 0 {
                        value(rng, Kind::InFile, files)
                    } else {
                        files.genome.clone().into()
                    });
                    chosen.extend(options(rng, BENCH_GENOME, 2, files, &mut args));
                }
            }
            short_defaults(
                &mut args,
                &chosen,
                &[
                    ("--bursts", "3"),
                    ("--warmup", "1"),
                    ("--neurons", "500"),
                    ("--fanout", "4"),
                ],
            );
            // Synthetic options after `genome` are usage errors, which is fine.
        }
        _ => {
            args.push("gen-genome".into());
            let chosen = options(rng, GEN_GENOME, 4, files, &mut args);
            short_defaults(
                &mut args,
                &chosen,
                &[
                    ("--neurons", "400"),
                    ("--fanout", "3"),
                    (
                        "--output",
                        &files.dir.join("gen.json").display().to_string(),
                    ),
                ],
            );
        }
    }
    // Now and then an option where it does not belong, or a stray word.
    match rng.below(20) {
        0 => args.push("--no-such-option".into()),
        1 => args.push(random_text(rng)),
        _ => {}
    }
    args
}

/// How one command line ended.
#[derive(Default)]
struct Tally {
    codes: [usize; 3],
    interrupted: usize,
}

/// Runs one command line; returns a description of what went wrong, if anything.
fn check(args: &[OsString], cwd: &Path, tally: &mut Tally) -> Option<String> {
    let mut child = Command::cargo_bin("feagi-npu")
        .expect("feagi-npu is built")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("feagi-npu starts");
    let start = Instant::now();
    let mut interrupted = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        let waited = start.elapsed();
        if !interrupted && waited > DEADLINE {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            interrupted = true;
        }
        if waited > DEADLINE + GRACE {
            let _ = child.kill();
            let _ = child.wait();
            return Some("hung: no exit within 5 s of SIGINT".to_string());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut err);
    }
    tally.interrupted += usize::from(interrupted);
    if let Some(code @ 0..=2) = status.code() {
        tally.codes[code as usize] += 1;
    }
    // `validate` reports a genome that fails on stdout, file by file, with
    // status 1 and nothing on stderr.
    let validate_report = args.first().is_some_and(|a| a == "validate") && err.trim().is_empty();
    match status.code() {
        Some(0) => None,
        Some(1) if validate_report => None,
        Some(1 | 2) => {
            let lines: Vec<&str> = err.trim().lines().collect();
            if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
                Some(format!("panic on stderr: {err}"))
            } else if lines.len() != 1 || !lines[0].starts_with("feagi-npu: error: ") {
                Some(format!("stderr is not one error line: {err:?}"))
            } else {
                None
            }
        }
        Some(code) => Some(format!("exit status {code}: {err}")),
        None => Some(format!("killed by a signal ({status:?}): {err}")),
    }
}

#[test]
fn option_fuzz_exits_0_1_or_2_with_one_line_errors() {
    let seed: u64 = std::env::var("FEAGI_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0F0F_2026);
    let cases: usize = std::env::var("FEAGI_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty"), b"").unwrap();
    std::fs::write(d.join("garbage"), b"\x00\xffFEAGI not a genome {[").unwrap();
    let genome = d.join("small.json");
    let snapshot = d.join("small.snap");
    let o = Command::cargo_bin("feagi-npu")
        .unwrap()
        .args(["gen-genome", "--neurons", "400", "--fanout", "3", "-o"])
        .arg(&genome)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::cargo_bin("feagi-npu")
        .unwrap()
        .args(["run", "--bursts", "2", "--save"])
        .arg(&snapshot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = Files {
        dir: d,
        genome: genome.display().to_string(),
        snapshot: snapshot.display().to_string(),
    };

    let mut rng = SplitMix64::new(seed);
    let lines: Vec<Vec<OsString>> = (0..cases).map(|_| command_line(&mut rng, &files)).collect();
    // Two at a time: the machine has two cores and the runs are short.
    let started = Instant::now();
    let (failures, tally) = std::thread::scope(|scope| {
        let (left, right) = lines.split_at(lines.len() / 2);
        let handles: Vec<_> = [left, right]
            .into_iter()
            .map(|half| {
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let failures = half
                        .iter()
                        .filter_map(|args| {
                            check(args, d, &mut tally).map(|problem| format!("{args:?}: {problem}"))
                        })
                        .collect::<Vec<_>>();
                    (failures, tally)
                })
            })
            .collect();
        let mut all = (Vec::new(), Tally::default());
        for h in handles {
            let (failures, tally) = h.join().expect("fuzz thread");
            all.0.extend(failures);
            for k in 0..3 {
                all.1.codes[k] += tally.codes[k];
            }
            all.1.interrupted += tally.interrupted;
        }
        all
    });
    eprintln!(
        "{cases} command lines (seed {seed:#x}) in {:.1} s: status 0/1/2 {:?}, {} interrupted at the deadline",
        started.elapsed().as_secs_f64(),
        tally.codes,
        tally.interrupted
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} command lines misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
