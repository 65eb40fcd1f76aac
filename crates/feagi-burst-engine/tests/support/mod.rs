//! Helpers shared by the burst-engine integration tests.

#![allow(dead_code)]

pub mod random_network;

use feagi_burst_engine::{
    AreaIndex, AreaKind, CorticalArea, CorticalId, NeuronId, NeuronParams, RustNPU,
    StdpRegistration,
};

/// STDP on areas `a` -> `b` with window `w`, C, Lp, Ld and bidirectional.
pub fn stdp(
    a: AreaIndex,
    b: AreaIndex,
    w: u32,
    c: i64,
    lp: i64,
    ld: i64,
    bidirectional: bool,
) -> StdpRegistration {
    StdpRegistration {
        plasticity_constant: c,
        ltp_multiplier: lp,
        ltd_multiplier: ld,
        window: w,
        bidirectional,
        ..StdpRegistration::between(a, b)
    }
}

pub fn area(id: &str, dims: [u32; 3]) -> CorticalArea {
    CorticalArea::new(
        CorticalId::from_canonical_str(id).unwrap(),
        id.trim_end_matches('_'),
        AreaKind::Custom,
        dims,
    )
}

/// An NPU with the three core areas, so the next neuron added gets id 3 and
/// neuron 1 is the power neuron (the setting of SPEC §8's single-neuron tests).
pub fn core_npu() -> RustNPU {
    let mut npu = RustNPU::new(16, 16, 20).unwrap();
    for id in [CorticalId::DEATH, CorticalId::POWER, CorticalId::FATIGUE] {
        let a = npu
            .register_area(CorticalArea::new(
                id,
                id.to_string(),
                AreaKind::Core,
                [1, 1, 1],
            ))
            .unwrap();
        npu.add_neuron(a, NeuronParams::default(), [0, 0, 0])
            .unwrap();
    }
    npu
}

/// A core NPU plus one test area holding neuron 3 with `params`.
pub fn single(params: NeuronParams) -> (RustNPU, AreaIndex, NeuronId) {
    let mut npu = core_npu();
    let a = npu.register_area(area("cTest___", [1, 1, 1])).unwrap();
    let id = npu.add_neuron(a, params, [0, 0, 0]).unwrap();
    assert_eq!(id, 3);
    (npu, a, id)
}

/// Runs `bursts` bursts, staging `input(t)` (each value in order) on `id`
/// before burst t (numbered from the NPU's next burst), and returns the firing pattern of `id` (`1` fired, `_` not).
pub fn pattern(
    npu: &mut RustNPU,
    id: NeuronId,
    bursts: u64,
    input: impl Fn(u64) -> Vec<f32>,
) -> String {
    let mut out = String::new();
    let first = npu.burst_count() + 1;
    for t in first..first + bursts {
        for p in input(t) {
            npu.stage_input(id, p).unwrap();
        }
        let r = npu.process_burst(None).unwrap();
        assert_eq!(r.burst, t);
        out.push(if r.fired_neurons.contains(&id) {
            '1'
        } else {
            '_'
        });
    }
    out
}

/// Constant input `p` every burst.
pub fn constant(p: f32) -> impl Fn(u64) -> Vec<f32> {
    move |_| vec![p]
}

pub fn params(f: impl FnOnce(&mut NeuronParams)) -> NeuronParams {
    let mut p = NeuronParams::default();
    f(&mut p);
    p
}

/// The folder of real FEAGI genomes (`FEAGI_GENOMES`). Returns `None` (and
/// says so) when it is not available; panics when `CI` is set, because CI
/// must run the real-genome tests.
pub fn genomes_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("FEAGI_GENOMES").map(std::path::PathBuf::from);
    match dir {
        Some(d) if d.is_dir() => Some(d),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but FEAGI_GENOMES ({other:?}) is not a folder: the real-genome tests cannot run"
            );
            eprintln!("note: FEAGI_GENOMES is not set to a folder; skipping the real-genome part of this test");
            None
        }
    }
}
