//! [`ServerState`]: what every handler shares. Nothing in it is the NPU:
//! handlers read the [`BrainInfo`], the loop's atomics and the latest frame.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::brain::BrainInfo;
use crate::engine::{EngineShared, VizFrame};

/// Requests the in-memory log keeps (the oldest are dropped first).
pub const REQUEST_LOG_CAPACITY: usize = 10_000;
/// Agents the registry keeps (the oldest registration is dropped first).
pub const MAX_AGENTS: usize = 1024;

/// One answered HTTP request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query, as requested.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// The last [`REQUEST_LOG_CAPACITY`] requests, oldest first.
#[derive(Debug, Default)]
pub struct RequestLog {
    records: Mutex<VecDeque<RequestRecord>>,
}

impl RequestLog {
    /// Records one request.
    pub fn push(&self, record: RequestRecord) {
        let mut records = self.records.lock();
        if records.len() == REQUEST_LOG_CAPACITY {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// A copy of the log, oldest first.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.lock().iter().cloned().collect()
    }
}

/// A registered agent.
#[derive(Clone, Debug, Serialize)]
pub struct AgentRecord {
    /// Its session id in base64 (48 bytes).
    pub session: String,
    /// Manufacturer of its descriptor.
    pub manufacturer: String,
    /// Name of its descriptor.
    pub agent_name: String,
    /// Version of its descriptor.
    pub agent_version: u32,
    /// The capabilities it asked for.
    pub capabilities: Vec<String>,
    /// `WebSocket`, `Zmq`, ...
    pub protocol: String,
    /// Its device configuration, when it sent one.
    pub device_registrations: Option<Value>,
}

/// Registered agents by session id.
#[derive(Debug, Default)]
pub struct Agents {
    inner: Mutex<(BTreeMap<String, AgentRecord>, VecDeque<String>)>,
}

impl Agents {
    /// Registers an agent; an earlier session with the same descriptor is
    /// replaced (an agent that restarts registers again).
    pub fn register(&self, record: AgentRecord) {
        let mut inner = self.inner.lock();
        let (map, order) = &mut *inner;
        let same: Vec<String> = map
            .values()
            .filter(|a| {
                a.manufacturer == record.manufacturer
                    && a.agent_name == record.agent_name
                    && a.agent_version == record.agent_version
            })
            .map(|a| a.session.clone())
            .collect();
        for s in same {
            map.remove(&s);
            order.retain(|o| *o != s);
        }
        while map.len() >= MAX_AGENTS {
            match order.pop_front() {
                Some(oldest) => {
                    map.remove(&oldest);
                }
                None => break,
            }
        }
        order.push_back(record.session.clone());
        map.insert(record.session.clone(), record);
    }

    /// Removes a session; returns whether it was registered.
    pub fn deregister(&self, session: &str) -> bool {
        let mut inner = self.inner.lock();
        let (map, order) = &mut *inner;
        order.retain(|o| o != session);
        map.remove(session).is_some()
    }

    /// Whether a session is registered.
    pub fn contains(&self, session: &str) -> bool {
        self.inner.lock().0.contains_key(session)
    }

    /// Stores the device configuration of a session; false when unknown.
    pub fn configure(&self, session: &str, config: Value) -> bool {
        match self.inner.lock().0.get_mut(session) {
            Some(a) => {
                a.device_registrations = Some(config);
                true
            }
            None => false,
        }
    }

    /// Registered agents.
    pub fn list(&self) -> Vec<AgentRecord> {
        self.inner.lock().0.values().cloned().collect()
    }

    /// Number of registered agents.
    pub fn len(&self) -> usize {
        self.inner.lock().0.len()
    }

    /// Whether none is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The URLs the server advertises (reachable ones, never `0.0.0.0`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerUrls {
    /// Host clients should use.
    pub host: String,
    /// REST base, `http://HOST:PORT`.
    pub rest: String,
    /// WebSocket registration (command and control), `ws://HOST:PORT`.
    pub ws_registration: String,
    /// WebSocket visualization stream, `ws://HOST:PORT`.
    pub ws_visualization: String,
    /// REST port.
    pub rest_port: u16,
    /// Registration port.
    pub ws_registration_port: u16,
    /// Visualization port.
    pub ws_visualization_port: u16,
    /// WebSocket sensory input (agents push XYZP frames), `ws://HOST:PORT`.
    pub ws_sensory: String,
    /// WebSocket motor output (every output area each burst), `ws://HOST:PORT`.
    pub ws_motor: String,
    /// WebSocket sensory port.
    pub ws_sensory_port: u16,
    /// WebSocket motor port.
    pub ws_motor_port: u16,
    /// ZMQ registration (ROUTER), `tcp://HOST:PORT`.
    pub zmq_registration: String,
    /// ZMQ sensory input (PULL), `tcp://HOST:PORT`.
    pub zmq_sensory: String,
    /// ZMQ motor output (PUB), `tcp://HOST:PORT`.
    pub zmq_motor: String,
    /// ZMQ visualization stream (PUB), `tcp://HOST:PORT`.
    pub zmq_visualization: String,
    /// ZMQ registration port.
    pub zmq_registration_port: u16,
    /// ZMQ sensory port.
    pub zmq_sensory_port: u16,
    /// ZMQ motor port.
    pub zmq_motor_port: u16,
    /// ZMQ visualization port.
    pub zmq_visualization_port: u16,
}

/// The brain being served as clients see it, replaced whole when it changes
/// (areas an agent's device configuration created): readers clone the `Arc`
/// under a short read lock and never wait on a burst.
#[derive(Debug)]
pub struct BrainCell {
    info: RwLock<Arc<BrainInfo>>,
    genome_num: AtomicI64,
}

impl BrainCell {
    /// A cell holding the first brain (`genome_num` 1).
    pub fn new(info: BrainInfo) -> Self {
        BrainCell {
            info: RwLock::new(Arc::new(info)),
            genome_num: AtomicI64::new(1),
        }
    }

    /// The current brain.
    pub fn get(&self) -> Arc<BrainInfo> {
        self.info.read().clone()
    }

    /// Replaces the brain and bumps `genome_num`, so clients refetch it.
    pub fn replace(&self, info: BrainInfo) {
        *self.info.write() = Arc::new(info);
        self.genome_num.fetch_add(1, Ordering::AcqRel);
    }

    /// Bumped per change of the brain; 1 for the first one.
    pub fn genome_num(&self) -> i64 {
        self.genome_num.load(Ordering::Acquire)
    }
}

/// Everything handlers share.
pub struct ServerState {
    /// The brain being served (see [`ServerState::brain`]).
    pub brain_cell: Arc<BrainCell>,
    /// The loop's counters and queues.
    pub engine: Arc<EngineShared>,
    /// New per process: start time in milliseconds since 1970.
    pub session: i64,
    /// How an uploaded genome is grown: the same settings as the first.
    pub growth: crate::reload::Growth,
    /// Advertised URLs.
    pub urls: ServerUrls,
    /// Every answered HTTP request.
    pub requests: RequestLog,
    /// Registered agents.
    pub agents: Agents,
    /// The latest visualization frame; each client subscribes (the loop
    /// encodes frames only while some client is subscribed).
    pub viz: Arc<watch::Sender<Option<VizFrame>>>,
    /// Visualization sockets open now.
    pub viz_clients: AtomicUsize,
    /// The latest motor frame (every output area, each burst).
    pub motor: Arc<watch::Sender<Option<VizFrame>>>,
    /// Sensory frames waiting for the next burst, latest per agent and area.
    pub sensory: Arc<crate::sensory::SensoryInbox>,
    /// Warnings about network input, each logged once.
    pub warned: crate::sensory::LogOnce,
    /// Set once, when the server begins to shut down.
    pub shutdown: watch::Receiver<bool>,
}

/// Milliseconds since 1970 (0 if the clock is before it).
pub fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl ServerState {
    /// The brain being served now.
    pub fn brain(&self) -> Arc<BrainInfo> {
        self.brain_cell.get()
    }

    /// Whether the brain is developed and the loop is running bursts.
    pub fn brain_ready(&self) -> bool {
        self.engine.running() && self.engine.bursts() > 0
    }

    /// The health_check object (every field FEAGI's clients read).
    pub fn health(&self) -> Value {
        let brain = self.brain();
        let ready = self.brain_ready();
        let h = brain.hashes;
        json!({
            "burst_engine": self.engine.running() && !self.engine.paused(),
            "connected_agents": self.agents.len(),
            "influxdb_availability": false,
            "neuron_count_max": feagi_types::MAX_REGULAR_NEURONS,
            "synapse_count_max": feagi_genome::DEFAULT_MAX_SYNAPSES,
            "latest_changes_saved_externally": false,
            "genome_availability": !brain.areas.is_empty(),
            "genome_validity": true,
            "brain_readiness": ready,
            "genome_loading": self.engine.reloading(),
            "genome_state": if self.engine.reloading() { "loading" } else { "loaded" },
            "feagi_session": self.session,
            "fitness": null,
            "cortical_area_count": brain.areas.len(),
            "neuron_count": brain.neuron_count,
            "memory_neuron_count": 0,
            "regular_neuron_count": brain.neuron_count,
            "synapse_count": brain.synapse_count,
            "estimated_brain_size_in_MB": (brain.neuron_count as f64 * 64.0 + brain.synapse_count as f64 * 8.0) / 1e6,
            "genome_num": self.brain_cell.genome_num(),
            "genome_timestamp": brain.genome_timestamp,
            "simulation_timestep": self.engine.timestep(),
            "memory_area_stats": null,
            "amalgamation_pending": null,
            "brain_regions_hash": h.regions,
            "cortical_areas_hash": h.areas,
            "brain_geometry_hash": h.geometry,
            "morphologies_hash": h.morphologies,
            "cortical_mappings_hash": h.mappings,
            "brain_regions_root": crate::brain::ROOT_REGION_ID,
            "genome_change_sequence": 0,
            "burst_count": self.engine.bursts(),
            "fired_neuron_count": self.engine.last_fired(),
        })
    }
}
