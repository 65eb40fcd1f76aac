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
use parking_lot::{Condvar, Mutex};
use tokio::sync::{oneshot, watch};

use crate::brain::{AddedArea, BrainInfo};
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
    /// The brain the area index belongs to ([`BrainInfo::generation`]): the
    /// loop drops stimulation meant for a brain it no longer runs.
    pub generation: u64,
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
    bursts_run: AtomicU64,
    work_ns: AtomicU64,
    max_work_ns: AtomicU64,
    late: AtomicU64,
    restarts: AtomicU64,
    paused: AtomicBool,
    reloading: AtomicBool,
    burst_nanos: AtomicU64,
    burst_nanos_total: AtomicU64,
    jobs: Mutex<Vec<Job>>,
    wake: Condvar,
    swap: Mutex<Option<BrainSwap>>,
}

impl std::fmt::Debug for EngineShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineShared")
            .field("timestep", &self.timestep())
            .field("bursts", &self.bursts())
            .field("running", &self.running())
            .field("paused", &self.paused())
            .field("reloading", &self.reloading())
            .finish_non_exhaustive()
    }
}

/// Work a handler hands to the loop: it runs on the burst thread between
/// bursts, with the NPU.
type Job = Box<dyn FnOnce(&mut RustNPU) + Send>;

/// Why [`EngineShared::query`] has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The loop stopped (or its NPU is poisoned by an internal error).
    #[error("the burst loop is not running")]
    Stopped,
    /// The loop did not get to it in time (a burst longer than the wait).
    #[error("the burst loop did not answer within {0:?}")]
    Timeout(Duration),
}

/// The longest a handler waits for the loop to run its query.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A brain grown from another genome, for the loop to run instead of the
/// current one (see [`EngineShared::swap_brain`]).
pub struct BrainSwap {
    /// The new NPU.
    pub npu: NpuHandle,
    /// How clients see it; its `generation` is the current one plus one.
    pub brain: BrainInfo,
    /// The burst period to switch to (`None`: keep the current one).
    pub timestep: Option<f64>,
    /// Told the first burst of the new brain once it has run.
    pub done: oneshot::Sender<u64>,
}

/// How the loop kept its rate so far ([`EngineShared::pacing`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pacing {
    /// Bursts this loop has run, over every brain it has run (a brain's own
    /// burst count starts again at 0 after a genome upload).
    pub bursts_run: u64,
    /// Time spent working on those bursts (input, burst, frames), in nanoseconds.
    pub work_ns: u64,
    /// The longest such work of one burst, in nanoseconds.
    pub max_work_ns: u64,
    /// Bursts that ended after the next one was due (caught up at once).
    pub late: u64,
    /// Bursts that ended more than a period late: the schedule restarted
    /// from then and the missed bursts were never run.
    pub restarts: u64,
}

impl Pacing {
    /// The mean work of a burst in milliseconds (0 before the first).
    pub fn mean_work_ms(&self) -> f64 {
        if self.bursts_run == 0 {
            0.0
        } else {
            self.work_ns as f64 / self.bursts_run as f64 / 1e6
        }
    }
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

    /// Burst work time and lateness so far.
    pub fn pacing(&self) -> Pacing {
        Pacing {
            bursts_run: self.bursts_run.load(Ordering::Relaxed),
            work_ns: self.work_ns.load(Ordering::Relaxed),
            max_work_ns: self.max_work_ns.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
        }
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

    /// Pauses (true) or resumes (false) the bursts; the loop keeps serving
    /// queries and brain swaps while paused.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
        self.wake.notify_all();
    }

    /// Whether bursts are paused.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// How long the last burst took to compute (under the NPU lock).
    pub fn last_burst_time(&self) -> Duration {
        Duration::from_nanos(self.burst_nanos.load(Ordering::Relaxed))
    }

    /// The sum of [`EngineShared::last_burst_time`] over every burst so far,
    /// in nanoseconds: two readings and the burst counts give the mean burst
    /// time in between.
    pub fn total_burst_nanos(&self) -> u64 {
        self.burst_nanos_total.load(Ordering::Relaxed)
    }

    /// Marks the start of a genome reload; false when one is under way
    /// already (only one at a time).
    pub fn begin_reload(&self) -> bool {
        self.reloading
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Marks the end of the reload [`EngineShared::begin_reload`] began.
    pub fn end_reload(&self) {
        self.reloading.store(false, Ordering::Release);
    }

    /// Whether a genome reload is under way.
    pub fn reloading(&self) -> bool {
        self.reloading.load(Ordering::Acquire)
    }

    /// Runs `f` on the burst thread with the NPU, between two bursts (while
    /// the loop paces or is paused it answers within milliseconds), and
    /// returns its result. Never holds the NPU lock on the caller's thread.
    pub async fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut RustNPU) -> R + Send + 'static,
    ) -> Result<R, QueryError> {
        if !self.running() {
            return Err(QueryError::Stopped);
        }
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |npu: &mut RustNPU| {
            let _ = tx.send(f(npu));
        });
        self.jobs.lock().push(job);
        self.wake.notify_all();
        match tokio::time::timeout(QUERY_TIMEOUT, rx).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(_)) => Err(QueryError::Stopped),
            Err(_) => Err(QueryError::Timeout(QUERY_TIMEOUT)),
        }
    }

    /// Hands the loop a new brain: it stops the current one after the burst
    /// under way, runs the new one from its next burst and publishes its
    /// [`BrainInfo`] (bumping `genome_num`); `swap.done` hears the new
    /// brain's first burst. Stimulation and sensory input still waiting for
    /// the old brain are dropped.
    pub fn swap_brain(&self, swap: BrainSwap) {
        *self.swap.lock() = Some(swap);
        self.wake.notify_all();
    }

    /// Runs the queued queries (with the NPU lock taken here, on the loop's
    /// thread). A poisoned NPU drops them: their callers hear `Stopped`.
    fn serve_jobs(&self, npu: &NpuHandle) {
        let jobs = std::mem::take(&mut *self.jobs.lock());
        if jobs.is_empty() {
            return;
        }
        let mut guard = npu.lock();
        for job in jobs {
            let _ = guard.with(job);
        }
    }

    /// Sleeps until `deadline`, a query, a swap, a stop or a change of
    /// timestep or pause, serving queries as they come.
    fn wait(&self, npu: &NpuHandle, deadline: Instant) {
        loop {
            self.serve_jobs(npu);
            if self.stop.load(Ordering::Acquire)
                || self.timestep_changed.load(Ordering::Acquire)
                || self.swap.lock().is_some()
            {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut jobs = self.jobs.lock();
            if jobs.is_empty() {
                self.wake.wait_for(&mut jobs, left.min(WAIT_SLICE));
            }
        }
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
            bursts_run: AtomicU64::new(0),
            work_ns: AtomicU64::new(0),
            max_work_ns: AtomicU64::new(0),
            late: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            reloading: AtomicBool::new(false),
            burst_nanos: AtomicU64::new(0),
            burst_nanos_total: AtomicU64::new(0),
            jobs: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            swap: Mutex::new(None),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("feagi-serve-bursts".into())
            .spawn(move || {
                let shared = thread_shared;
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(npu, &shared, config, &links)
                }));
                if let Err(payload) = outcome {
                    let why = feagi_runtime::panic_message(payload.as_ref());
                    tracing::error!("burst loop stopped by an internal error: {why}");
                    *shared.error.lock() = Some(why);
                }
                shared.running.store(false, Ordering::Release);
                // Queries and a swap nobody will serve: their callers hear
                // that the loop stopped.
                shared.jobs.lock().clear();
                shared.swap.lock().take();
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
        self.shared.wake.notify_all();
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

fn stage_sensory(npu: &mut RustNPU, frames: &[SensoryArea], generation: u64, errors: &mut u64) {
    for f in frames.iter().filter(|f| f.generation == generation) {
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

fn stage(npu: &mut RustNPU, stimulations: &[Stimulation], generation: u64) {
    for s in stimulations.iter().filter(|s| s.generation == generation) {
        let xs: Vec<u32> = s.voxels.iter().map(|v| v[0]).collect();
        let ys: Vec<u32> = s.voxels.iter().map(|v| v[1]).collect();
        let zs: Vec<u32> = s.voxels.iter().map(|v| v[2]).collect();
        let ps = vec![s.potential; s.voxels.len()];
        if let Err(e) = npu.stage_sensory(s.area, &xs, &ys, &zs, &ps) {
            tracing::warn!("manual stimulation of area {} dropped: {e}", s.area);
        }
    }
}

/// What the loop keeps between bursts besides the NPU.
struct LoopState {
    buffers: FrameBuffers,
    motor_buffers: FrameBuffers,
    pacer: Pacer,
    generation: u64,
    /// Told after the first burst of a brain swapped in.
    swapped: Option<oneshot::Sender<u64>>,
}

impl LoopState {
    /// Takes in a brain handed over by [`EngineShared::swap_brain`].
    fn swap(
        &mut self,
        npu: &mut NpuHandle,
        swap: BrainSwap,
        shared: &EngineShared,
        links: &EngineLinks,
    ) {
        let BrainSwap {
            npu: new_npu,
            brain,
            timestep,
            done,
        } = swap;
        *npu = new_npu;
        self.buffers = FrameBuffers::new(&brain.wire_ids_by_index());
        self.motor_buffers = FrameBuffers::new(&brain.motor_ids_by_index());
        self.generation = brain.generation;
        // Requests for the old brain: areas are asked for again by the
        // reload (from every agent's device configuration).
        shared.area_requests.lock().clear();
        shared.take_pending();
        let _ = links.sensory.take();
        shared.created_areas.store(0, Ordering::Relaxed);
        shared.created_neurons.store(0, Ordering::Relaxed);
        if let Some(t) = timestep.filter(|t| valid_timestep(*t)) {
            shared.timestep_bits.store(t.to_bits(), Ordering::Relaxed);
        }
        self.pacer = Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now());
        tracing::info!(
            "brain {} swapped in: {} areas, {} neurons, {} synapses",
            brain.generation,
            brain.areas.len(),
            brain.neuron_count,
            brain.synapse_count
        );
        links.brain.replace(brain);
        self.swapped = Some(done);
    }
}

fn run(mut npu: NpuHandle, shared: &EngineShared, config: EngineConfig, links: &EngineLinks) {
    let viz_period = Duration::try_from_secs_f64(1.0 / config.viz_hz.max(1e-3))
        .unwrap_or(Duration::from_secs(1));
    let mut state = LoopState {
        buffers: FrameBuffers::new(&config.wire_ids),
        motor_buffers: FrameBuffers::new(&config.motor_ids),
        pacer: Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now()),
        generation: links.brain.get().generation,
        swapped: None,
    };
    let mut viz_next = Instant::now();
    let mut plasticity_errors = 0u64;
    let mut sensory_errors = 0u64;
    let mut was_paused = false;
    while !shared.stop.load(Ordering::Acquire) {
        shared.serve_jobs(&npu);
        let swap = shared.swap.lock().take();
        if let Some(swap) = swap {
            state.swap(&mut npu, swap, shared, links);
        }
        if shared.paused() {
            was_paused = true;
            shared.wait(&npu, Instant::now() + WAIT_SLICE);
            continue;
        }
        if std::mem::take(&mut was_paused) {
            state.pacer = Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now());
        }
        let generation = state.generation;
        // Burst work for `pacing()`: input, burst, frames out (main's
        // burst_nanos below counts the locked part only).
        let work_started = Instant::now();
        let pending = shared.take_pending();
        let requests = std::mem::take(&mut *shared.area_requests.lock());
        let brain = (!requests.is_empty()).then(|| links.brain.get());
        let sensory = links.sensory.take();
        let want_frame = links.viz.receiver_count() > 0 && Instant::now() >= viz_next;
        let want_motor = links.motor.receiver_count() > 0;
        let (buffers, motor_buffers) = (&mut state.buffers, &mut state.motor_buffers);
        let started = Instant::now();
        let outcome = npu.lock().with(|npu| -> Result<(u64, usize, Vec<AddedArea>), NpuError> {
            let added = match &brain {
                Some(brain) => create_areas(npu, shared, brain, requests),
                None => Vec::new(),
            };
            stage(npu, &pending, generation);
            stage_sensory(npu, &sensory, generation, &mut sensory_errors);
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
        let elapsed = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        shared.burst_nanos.store(elapsed, Ordering::Relaxed);
        shared
            .burst_nanos_total
            .fetch_add(elapsed, Ordering::Relaxed);
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
                state.buffers.add_area(a.index, a.request.wire_id);
                if a.request.kind == feagi_types::AreaKind::Opu {
                    state.motor_buffers.add_area(a.index, a.request.wire_id);
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
        if let Some(done) = state.swapped.take() {
            let _ = done.send(burst);
        }
        if want_motor {
            let bytes = state.motor_buffers.encode(burst);
            links.motor.send_replace(Some(VizFrame { burst, bytes }));
        }
        if want_frame {
            let bytes = state.buffers.encode(burst);
            links.viz.send_replace(Some(VizFrame { burst, bytes }));
            shared.frames.fetch_add(1, Ordering::Relaxed);
            let now = Instant::now();
            viz_next += viz_period;
            if viz_next <= now {
                viz_next = now + viz_period;
            }
        }
        let done = Instant::now();
        let work = u64::try_from(done.duration_since(work_started).as_nanos()).unwrap_or(u64::MAX);
        shared.bursts_run.fetch_add(1, Ordering::Relaxed);
        shared.work_ns.fetch_add(work, Ordering::Relaxed);
        shared.max_work_ns.fetch_max(work, Ordering::Relaxed);
        match state.pacer.burst_done(done) {
            // Wait in slices, serving queries, so that a stop, a swap or a
            // new timestep is seen quickly.
            Pace::SleepUntil(deadline) => shared.wait(&npu, deadline),
            Pace::CatchUp => {
                shared.late.fetch_add(1, Ordering::Relaxed);
            }
            Pace::Restart => {
                shared.restarts.fetch_add(1, Ordering::Relaxed);
            }
        }
        if shared.timestep_changed.swap(false, Ordering::AcqRel) {
            state.pacer = Pacer::new(Duration::from_secs_f64(shared.timestep()), Instant::now());
        }
    }
}

fn fail(shared: &EngineShared, e: RuntimeError) {
    tracing::error!("burst loop stopped: {e}");
    *shared.error.lock() = Some(e.to_string());
}
