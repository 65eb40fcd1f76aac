//! The burst loop of the server: its own thread, paced by the runtime's
//! [`Pacer`], publishing what clients need without ever being waited on.
//!
//! Every burst the thread locks the NPU, stages the stimulation queued by
//! REST calls, runs the burst and, when a visualization frame is due and a
//! client listens, copies the fired neurons' voxels out; then it releases
//! the lock, encodes the frame and publishes it through a
//! [`tokio::sync::watch`] channel (latest wins: a slow reader skips frames,
//! memory holds one frame). Counters live in atomics. No REST or socket
//! handler takes the NPU lock, so none waits on a running burst.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use feagi_burst_engine::{NpuError, RustNPU};
use feagi_runtime::{NpuHandle, Pace, Pacer, RuntimeError, MIN_FREQUENCY_HZ};
use feagi_types::AreaIndex;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::brain::AddedArea;
use crate::devices::AreaRequest;
use crate::sensory::{SensoryArea, SensoryInbox};
use crate::state::BrainCell;
use crate::wire::fbc::{self, AreaNeurons};

/// Voxel entries that may wait for the next burst (manual stimulation).
pub const MAX_PENDING_STIMULATION: usize = 1 << 20;
/// Fired neurons one visualization frame carries at most (64 MiB of XYZP).
pub const MAX_FRAME_NEURONS: usize = 1 << 22;
/// Areas agents' device configurations may create, all together.
pub const MAX_CREATED_AREAS: usize = 256;
/// Neurons those areas may hold, all together (a 128 x 128 x 3 camera area
/// holds 49,152).
pub const MAX_CREATED_NEURONS: u64 = 1 << 21;
/// The longest a paced wait sleeps before it looks at the stop flag and the
/// timestep again.
const WAIT_SLICE: Duration = Duration::from_millis(10);

/// Burst periods the server accepts, in seconds: positive, finite and at
/// most one burst in 11.6 days.
pub fn valid_timestep(seconds: f64) -> bool {
    seconds.is_finite() && seconds > 0.0 && seconds <= 1.0 / MIN_FREQUENCY_HZ
}

/// Voxels of one area staged for the next burst.
#[derive(Clone, Debug, PartialEq)]
pub struct Stimulation {
    /// The area.
    pub area: AreaIndex,
    /// Voxels (x, y, z).
    pub voxels: Vec<[u32; 3]>,
    /// Potential each neuron of those voxels receives.
    pub potential: f32,
}

/// One visualization frame: a FeagiByteContainer v4 with one XYZP struct.
#[derive(Clone, Debug)]
pub struct VizFrame {
    /// The burst it shows.
    pub burst: u64,
    /// The encoded container, shared by every client.
    pub bytes: Bytes,
}

/// The loop's state as other threads see it.
#[derive(Debug)]
pub struct EngineShared {
    stop: AtomicBool,
    timestep_bits: AtomicU64,
    timestep_changed: AtomicBool,
    bursts: AtomicU64,
    last_fired: AtomicU64,
    running: AtomicBool,
    frames: AtomicU64,
    error: Mutex<Option<String>>,
    pending: Mutex<(Vec<Stimulation>, usize)>,
    area_requests: Mutex<Vec<AreaRequest>>,
    created_areas: AtomicU64,
    created_neurons: AtomicU64,
}

impl EngineShared {
    /// The burst period in seconds.
    pub fn timestep(&self) -> f64 {
        f64::from_bits(self.timestep_bits.load(Ordering::Relaxed))
    }

    /// Changes the burst period; the loop picks it up within 10 ms.
    /// Returns false (and changes nothing) for a period [`valid_timestep`]
    /// refuses.
    pub fn set_timestep(&self, seconds: f64) -> bool {
        if !valid_timestep(seconds) {
            return false;
        }
        self.timestep_bits
            .store(seconds.to_bits(), Ordering::Relaxed);
        self.timestep_changed.store(true, Ordering::Release);
        true
    }

    /// Bursts run so far.
    pub fn bursts(&self) -> u64 {
        self.bursts.load(Ordering::Acquire)
    }

    /// Neurons that fired in the last burst.
    pub fn last_fired(&self) -> u64 {
        self.last_fired.load(Ordering::Relaxed)
    }

    /// Whether the loop thread is running bursts.
    pub fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Visualization frames published so far.
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// The error that stopped the loop, if one did.
    pub fn error(&self) -> Option<String> {
        self.error.lock().clone()
    }

    /// Queues voxels for the next burst. Returns false when more than
    /// [`MAX_PENDING_STIMULATION`] voxels would be waiting.
    pub fn stimulate(&self, stimulation: Stimulation) -> bool {
        let mut pending = self.pending.lock();
        let total = pending.1 + stimulation.voxels.len();
        if total > MAX_PENDING_STIMULATION {
            return false;
        }
        pending.1 = total;
        pending.0.push(stimulation);
        true
    }

    /// Asks for IO areas (an agent's device configuration); the loop creates
    /// the ones the brain lacks before its next burst and then publishes the
    /// new brain (`genome_num` bumps). Returns at once.
    pub fn request_areas(&self, requests: Vec<AreaRequest>) {
        if !requests.is_empty() {
            self.area_requests.lock().extend(requests);
        }
    }

    /// Areas created at runtime so far.
    pub fn created_areas(&self) -> u64 {
        self.created_areas.load(Ordering::Relaxed)
    }

    fn take_pending(&self) -> Vec<Stimulation> {
        let mut pending = self.pending.lock();
        pending.1 = 0;
        std::mem::take(&mut pending.0)
    }
}

/// What the loop needs to start.
pub struct EngineConfig {
    /// Burst period in seconds.
    pub timestep: f64,
    /// Most visualization frames per second.
    pub viz_hz: f64,
    /// The wire id of each NPU area index (`None`: not shown).
    pub wire_ids: Vec<Option<[u8; 8]>>,
    /// The wire id of each output area, by NPU index (`None`: not an output).
    pub motor_ids: Vec<Option<[u8; 8]>>,
}

/// Where the loop takes its input from and publishes to, besides the
/// counters of [`EngineShared`].
pub struct EngineLinks {
    /// Visualization frames (encoded only while some client subscribed).
    pub viz: Arc<watch::Sender<Option<VizFrame>>>,
    /// Motor frames: every output area, each burst (only while subscribed).
    pub motor: Arc<watch::Sender<Option<VizFrame>>>,
    /// Every burst number.
    pub burst_tx: watch::Sender<u64>,
    /// Agents' sensory frames for the next burst.
    pub sensory: Arc<SensoryInbox>,
    /// The brain clients see, replaced when areas are created.
    pub brain: Arc<BrainCell>,
}

/// The running loop thread.
pub struct Engine {
    shared: Arc<EngineShared>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts the loop on a thread named `feagi-serve-bursts`. The first
    /// burst runs at once; the channels of `links` receive visualization and
    /// motor frames (each only while someone subscribed to it: receivers are
    /// the clients) and every burst number.
    pub fn start(
        npu: NpuHandle,
        config: EngineConfig,
        links: EngineLinks,
    ) -> std::io::Result<Engine> {
        let timestep = if valid_timestep(config.timestep) {
            config.timestep
        } else {
            feagi_genome::DEFAULT_SIMULATION_TIMESTEP
        };
        let shared = Arc::new(EngineShared {
            stop: AtomicBool::new(false),
            timestep_bits: AtomicU64::new(timestep.to_bits()),
            timestep_changed: AtomicBool::new(false),
            bursts: AtomicU64::new(0),
            last_fired: AtomicU64::new(0),
            running: AtomicBool::new(true),
            frames: AtomicU64::new(0),
            error: Mutex::new(None),
            pending: Mutex::new((Vec::new(), 0)),
            area_requests: Mutex::new(Vec::new()),
            created_areas: AtomicU64::new(0),
            created_neurons: AtomicU64::new(0),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("feagi-serve-bursts".into())
            .spawn(move || {
                let shared = thread_shared;
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(&npu, &shared, config, &links)
                }));
                if let Err(payload) = outcome {
                    let why = feagi_runtime::panic_message(payload.as_ref());
                    tracing::error!("burst loop stopped by an internal error: {why}");
                    *shared.error.lock() = Some(why);
                }
                shared.running.store(false, Ordering::Release);
            })?;
        Ok(Engine {
            shared,
            thread: Some(thread),
        })
    }

    /// The state other threads read.
    pub fn shared(&self) -> &Arc<EngineShared> {
        &self.shared
    }

    /// Stops the loop after the burst under way and waits for its thread.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Per-area buffers of the fired neurons of one frame.
struct FrameBuffers {
    areas: Vec<Option<AreaNeurons>>,
    touched: Vec<usize>,
    neurons: usize,
}

impl FrameBuffers {
    fn new(wire_ids: &[Option<[u8; 8]>]) -> Self {
        FrameBuffers {
            areas: wire_ids.iter().map(|id| id.map(AreaNeurons::new)).collect(),
            touched: Vec::new(),
            neurons: 0,
        }
    }

    /// Shows (or publishes) area `index` under `id` from now on.
    fn add_area(&mut self, index: AreaIndex, id: [u8; 8]) {
        let i = index as usize;
        if self.areas.len() <= i {
            self.areas.resize(i + 1, None);
        }
        self.areas[i] = Some(AreaNeurons::new(id));
    }

    fn collect(&mut self, npu: &RustNPU) {
        for f in npu.fired_neurons() {
            if self.neurons >= MAX_FRAME_NEURONS {
                break;
            }
            let Some(Some(buf)) = self.areas.get_mut(f.area as usize) else {
                continue;
            };
            if buf.is_empty() {
                self.touched.push(f.area as usize);
            }
            buf.push(f.coordinates, f.potential);
            self.neurons += 1;
        }
    }

    fn encode(&mut self, burst: u64) -> Bytes {
        self.touched.sort_unstable();
        let areas: Vec<&AreaNeurons> = self
            .touched
            .iter()
            .filter_map(|i| self.areas.get(*i).and_then(Option::as_ref))
            .collect();
        // The counter is the burst number modulo 2^16.
        let bytes = fbc::xyzp_frame(burst as u16, &areas);
        for i in self.touched.drain(..) {
            if let Some(Some(buf)) = self.areas.get_mut(i) {
                buf.clear();
            }
        }
        self.neurons = 0;
        Bytes::from(bytes)
    }
}

fn stage_sensory(npu: &mut RustNPU, frames: &[SensoryArea], errors: &mut u64) {
    for f in frames {
        if let Err(e) = npu.stage_sensory(f.area, &f.x, &f.y, &f.z, &f.p) {
            *errors += 1;
            if *errors == 1 || errors.is_power_of_two() {
                tracing::warn!(
                    "sensory input for area {} dropped ({errors} times so far): {e}",
                    f.area
                );
            }
        }
    }
}

/// Creates the requested areas the brain lacks (under the NPU lock).
fn create_areas(
    npu: &mut RustNPU,
    shared: &EngineShared,
    brain: &crate::brain::BrainInfo,
    requests: Vec<AreaRequest>,
) -> Vec<AddedArea> {
    let mut added: Vec<AddedArea> = Vec::new();
    for request in requests {
        let key = crate::wire::ids::to_base64(&request.wire_id);
        if brain.find_wire(&key).is_some()
            || added.iter().any(|a| a.request.wire_id == request.wire_id)
        {
            continue;
        }
        if shared.created_areas() as usize + added.len() >= MAX_CREATED_AREAS {
            tracing::warn!(
                "area {key} ({}) not created: agents created {MAX_CREATED_AREAS} areas already",
                request.name
            );
            continue;
        }
        let id = feagi_types::CorticalId::from_bytes(request.wire_id);
        let mut area = feagi_types::CorticalArea::new(
            id,
            request.name.clone(),
            request.kind,
            request.dimensions,
        );
        area.neurons_per_voxel = 1;
        let properties = area.properties.clone();
        match npu.add_developed_area(area) {
            Ok(index) => {
                let neuron_count = npu.area_neuron_count(index).unwrap_or(0);
                tracing::info!(
                    "created {} area {key} ({}, {} x {} x {}, {neuron_count} neurons) for an agent's devices",
                    if request.kind == feagi_types::AreaKind::Ipu { "input" } else { "output" },
                    request.name,
                    request.dimensions[0],
                    request.dimensions[1],
                    request.dimensions[2],
                );
                added.push(AddedArea {
                    canonical: id.as_string(),
                    request,
                    index,
                    neuron_count,
                    properties,
                });
            }
            Err(e) => tracing::warn!("area {key} ({}) not created: {e}", request.name),
        }
    }
    added
}

fn stage(npu: &mut RustNPU, stimulations: &[Stimulation]) {
    for s in stimulations {
        let xs: Vec<u32> = s.voxels.iter().map(|v| v[0]).collect();
        let ys: Vec<u32> = s.voxels.iter().map(|v| v[1]).collect();
        let zs: Vec<u32> = s.voxels.iter().map(|v| v[2]).collect();
        let ps = vec![s.potential; s.voxels.len()];
        if let Err(e) = npu.stage_sensory(s.area, &xs, &ys, &zs, &ps) {
            tracing::warn!("manual stimulation of area {} dropped: {e}", s.area);
        }
    }
}

fn run(npu: &NpuHandle, shared: &EngineShared, config: EngineConfig, links: &EngineLinks) {
    let viz_period = Duration::try_from_secs_f64(1.0 / config.viz_hz.max(1e-3))
        .unwrap_or(Duration::from_secs(1));
    let mut buffers = FrameBuffers::new(&config.wire_ids);
    let mut motor_buffers = FrameBuffers::new(&config.motor_ids);
    let mut pacer = Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now());
    let mut viz_next = Instant::now();
    let mut plasticity_errors = 0u64;
    let mut sensory_errors = 0u64;
    while !shared.stop.load(Ordering::Acquire) {
        let pending = shared.take_pending();
        let requests = std::mem::take(&mut *shared.area_requests.lock());
        let brain = (!requests.is_empty()).then(|| links.brain.get());
        let sensory = links.sensory.take();
        let want_frame = links.viz.receiver_count() > 0 && Instant::now() >= viz_next;
        let want_motor = links.motor.receiver_count() > 0;
        let outcome = npu.lock().with(|npu| -> Result<(u64, usize, Vec<AddedArea>), NpuError> {
            let added = match &brain {
                Some(brain) => create_areas(npu, shared, brain, requests),
                None => Vec::new(),
            };
            stage(npu, &pending);
            stage_sensory(npu, &sensory, &mut sensory_errors);
            let (burst, fired, error) = match npu.process_burst(None) {
                Ok(r) => (r.burst, r.fired_count, None),
                // The burst itself completed (SPEC: a failing plasticity
                // rule changes nothing); the loop goes on.
                Err(e @ NpuError::Plasticity(_)) => (npu.burst_count(), npu.fire_queue().len(), Some(e)),
                Err(e) => return Err(e),
            };
            if let Some(e) = error {
                plasticity_errors += 1;
                if plasticity_errors == 1 || plasticity_errors.is_power_of_two() {
                    tracing::warn!("plasticity failed in burst {burst} ({plasticity_errors} times so far): {e}");
                }
            }
            if want_frame {
                buffers.collect(npu);
            }
            if want_motor {
                motor_buffers.collect(npu);
            }
            Ok((burst, fired, added))
        });
        let (burst, fired, added) = match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                fail(shared, RuntimeError::Npu(e));
                return;
            }
            Err(e) => {
                fail(shared, e);
                return;
            }
        };
        if !added.is_empty() {
            for a in &added {
                buffers.add_area(a.index, a.request.wire_id);
                if a.request.kind == feagi_types::AreaKind::Opu {
                    motor_buffers.add_area(a.index, a.request.wire_id);
                }
            }
            shared
                .created_areas
                .fetch_add(added.len() as u64, Ordering::Relaxed);
            shared.created_neurons.fetch_add(
                added.iter().map(|a| a.neuron_count as u64).sum(),
                Ordering::Relaxed,
            );
            // Published after the burst that first ran them: a client that
            // sees the new brain can use its areas at once.
            let next = links.brain.get().with_areas(&added);
            links.brain.replace(next);
        }
        shared.last_fired.store(fired as u64, Ordering::Relaxed);
        shared.bursts.store(burst, Ordering::Release);
        links.burst_tx.send_replace(burst);
        if want_motor {
            let bytes = motor_buffers.encode(burst);
            links.motor.send_replace(Some(VizFrame { burst, bytes }));
        }
        if want_frame {
            let bytes = buffers.encode(burst);
            links.viz.send_replace(Some(VizFrame { burst, bytes }));
            shared.frames.fetch_add(1, Ordering::Relaxed);
            let now = Instant::now();
            viz_next += viz_period;
            if viz_next <= now {
                viz_next = now + viz_period;
            }
        }
        // Pace: sleep in slices so a stop or a new timestep is seen quickly.
        if let Pace::SleepUntil(deadline) = pacer.burst_done(Instant::now()) {
            loop {
                if shared.stop.load(Ordering::Acquire)
                    || shared.timestep_changed.load(Ordering::Acquire)
                {
                    break;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(WAIT_SLICE));
            }
        }
        if shared.timestep_changed.swap(false, Ordering::AcqRel) {
            pacer = Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now());
        }
    }
}

fn fail(shared: &EngineShared, e: RuntimeError) {
    tracing::error!("burst loop stopped: {e}");
    *shared.error.lock() = Some(e.to_string());
}
