//! A burst allocates nothing in steady state (issue: no allocation per
//! burst). A counting global allocator watches 200 bursts of an active
//! random network after warm-up, on the sequential and the parallel path.
//!
//! Warm-up is long because every buffer (each of the 20 ledger frames per
//! area, the fire queue, the candidate list) must reach its high-water mark.
//! The parallel case runs inside a rayon pool: called from outside one,
//! `rayon::join` goes through rayon's global injector queue, which allocates
//! one block per 63 jobs. That allocation is rayon's, amortised, and not
//! per burst.
#![allow(unsafe_code)] // A counting global allocator implements the unsafe GlobalAlloc trait.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn bursts_do_not_allocate_in_steady_state() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for parallel in [false, true] {
        for plastic in [false, true] {
            pool.install(|| steady_state(parallel, plastic));
        }
    }
}

fn steady_state(parallel: bool, plastic: bool) {
    {
        let mut npu = support::random_network::build(3, 20_000, 20);
        npu.set_parallel(parallel, 0);
        if plastic {
            // STDP on every pair of the four random areas (SPEC §6.1), W = 2.
            let areas: Vec<u32> = (3..npu.area_count() as u32).collect();
            for &a in &areas {
                for &b in &areas {
                    npu.add_stdp_pair(feagi_types::StdpRegistration {
                        ltp_multiplier: 2,
                        window: 2,
                        ..feagi_types::StdpRegistration::between(a, b)
                    })
                    .unwrap();
                }
            }
        }
        let ids: Vec<u32> = (3..npu.neuron_count() as u32).step_by(7).collect();
        let potentials = vec![4.0f32; ids.len()];
        // Warm-up: buffers reach their working size, the rayon pool starts.
        for _ in 0..600 {
            npu.stage_inputs(&ids, &potentials).unwrap();
            npu.process_burst(None).unwrap();
        }
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut fired = 0;
        let mut learned = 0;
        for _ in 0..200 {
            npu.stage_inputs(&ids, &potentials).unwrap();
            let r = npu.process_burst(None).unwrap();
            fired += r.fired_count;
            learned += r.plasticity.potentiations + r.plasticity.depressions;
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert!(fired > 10_000, "network must be active ({fired} fired)");
        assert_eq!(
            learned > 0,
            plastic,
            "plastic = {plastic}: {learned} updates"
        );
        assert_eq!(
            allocations, 0,
            "parallel = {parallel}, plastic = {plastic}: {allocations} allocations in 200 bursts"
        );
    }
}
