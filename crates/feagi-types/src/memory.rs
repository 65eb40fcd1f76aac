//! Memory neurons (SPEC §6.2): the compact store of the neurons that memory
//! areas create for the patterns they remember.
//!
//! **Invariant:** memory neurons have ids from [`MEMORY_NEURON_ID_BASE`] up,
//! in creation order, never reused; they have no synapses and no dynamics
//! state, so they live here and not in the dense per-neuron arrays (a brain
//! with one memory neuron must not grow its arrays to 50 million entries).

use crate::{AreaIndex, NeuronId, MEMORY_NEURON_ID_BASE};

/// One past the last memory neuron id: ids end at 99,999,999 (SPEC §6.2).
pub const MEMORY_NEURON_ID_END: NeuronId = 100_000_000;

/// Whether `id` is in the memory neuron id range.
#[inline]
pub fn is_memory_neuron_id(id: NeuronId) -> bool {
    id >= MEMORY_NEURON_ID_BASE
}

/// One remembered frame of one upstream area: the distinct voxels of the
/// area's fired neurons at `offset` bursts into the pattern's window.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplayFrame {
    /// U: the upstream area.
    pub upstream: AreaIndex,
    /// i: the frame's position in the window, 0 = oldest.
    pub offset: u32,
    /// Distinct voxels, ascending (a memory neuron of U counts as (0, 0, 0)).
    pub voxels: Vec<[u32; 3]>,
}

/// A memory neuron and what it remembers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemoryNeuron {
    /// M: the memory area it belongs to.
    pub area: AreaIndex,
    /// The xxHash64 of the upstream window that identifies its pattern.
    pub pattern: u64,
    /// Bursts left before it dies (while not long-term).
    pub lifespan: i64,
    /// Long-term neurons no longer age.
    pub long_term: bool,
    /// False once it died; its id is never reused.
    pub alive: bool,
    /// How often its pattern was seen (1 at creation, +1 per reactivation).
    pub activations: u64,
    /// The burst that created it.
    pub born: u64,
    /// The window it replays, in storage order (U ascending, then i).
    pub replay: Vec<ReplayFrame>,
}

/// Every memory neuron ever created, indexed by `id - MEMORY_NEURON_ID_BASE`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryNeurons {
    neurons: Vec<MemoryNeuron>,
    alive: usize,
}

impl MemoryNeurons {
    /// How many memory neurons were ever created (dead ones included).
    pub fn created(&self) -> usize {
        self.neurons.len()
    }

    /// How many are alive.
    pub fn alive_count(&self) -> usize {
        self.alive
    }

    /// The id the next memory neuron gets, or `None` when the range is used up.
    pub fn next_id(&self) -> Option<NeuronId> {
        let id = u64::from(MEMORY_NEURON_ID_BASE) + self.neurons.len() as u64;
        (id < u64::from(MEMORY_NEURON_ID_END)).then_some(id as NeuronId)
    }

    /// Creates an alive memory neuron of `area` for `pattern`; `None` when no
    /// memory id is left.
    pub fn create(
        &mut self,
        area: AreaIndex,
        pattern: u64,
        lifespan: i64,
        burst: u64,
    ) -> Option<NeuronId> {
        let id = self.next_id()?;
        self.neurons.push(MemoryNeuron {
            area,
            pattern,
            lifespan,
            long_term: false,
            alive: true,
            activations: 1,
            born: burst,
            replay: Vec::new(),
        });
        self.alive += 1;
        Some(id)
    }

    /// The memory neuron `id`, dead or alive.
    pub fn get(&self, id: NeuronId) -> Option<&MemoryNeuron> {
        let i = id.checked_sub(MEMORY_NEURON_ID_BASE)?;
        self.neurons.get(i as usize)
    }

    /// The memory neuron `id`, mutable.
    pub fn get_mut(&mut self, id: NeuronId) -> Option<&mut MemoryNeuron> {
        let i = id.checked_sub(MEMORY_NEURON_ID_BASE)?;
        self.neurons.get_mut(i as usize)
    }

    /// Marks `id` dead; false when it was not alive.
    pub fn kill(&mut self, id: NeuronId) -> bool {
        match self.get_mut(id) {
            Some(n) if n.alive => {
                n.alive = false;
                self.alive -= 1;
                true
            }
            _ => false,
        }
    }

    /// The area of memory neuron `id`, dead or alive.
    #[inline]
    pub fn area_of(&self, id: NeuronId) -> Option<AreaIndex> {
        self.get(id).map(|n| n.area)
    }

    /// A store holding `neurons` (ids from [`MEMORY_NEURON_ID_BASE`] in
    /// order), as [`Self::iter`] lists them; `None` when there are more than
    /// the id range holds.
    pub fn from_neurons(neurons: Vec<MemoryNeuron>) -> Option<Self> {
        let range = (MEMORY_NEURON_ID_END - MEMORY_NEURON_ID_BASE) as usize;
        (neurons.len() <= range).then(|| MemoryNeurons {
            alive: neurons.iter().filter(|n| n.alive).count(),
            neurons,
        })
    }

    /// Every memory neuron with its id, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (NeuronId, &MemoryNeuron)> {
        self.neurons
            .iter()
            .enumerate()
            .map(|(i, n)| (MEMORY_NEURON_ID_BASE + i as NeuronId, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_the_base_and_are_never_reused() {
        let mut m = MemoryNeurons::default();
        let a = m.create(4, 11, 9, 1).unwrap();
        let b = m.create(4, 12, 9, 1).unwrap();
        assert_eq!((a, b), (50_000_000, 50_000_001));
        assert!(m.kill(a));
        assert!(!m.kill(a));
        assert_eq!(m.create(4, 13, 9, 2), Some(50_000_002));
        assert_eq!((m.created(), m.alive_count()), (3, 2));
        assert_eq!(m.area_of(b), Some(4));
        assert_eq!(m.get(7), None);
        assert!(is_memory_neuron_id(a) && !is_memory_neuron_id(49_999_999));
    }
}
