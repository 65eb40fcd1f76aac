//! The cortical area table of an NPU: the areas, which neurons belong to each
//! and how a voxel maps to neurons (SPEC §2.2, §2.4).

use std::collections::HashMap;

use feagi_types::{AreaIndex, CorticalArea, CorticalId, NeuronArray, NeuronGrid, NeuronId};

use crate::error::{NpuError, Result};

/// The neurons of an area: a contiguous id range (every developed area) or,
/// once neurons were added out of order, an ascending list.
#[derive(Clone, Debug)]
enum Members {
    Range { start: NeuronId, end: NeuronId },
    List(Vec<NeuronId>),
}

/// How a voxel maps to neuron ids.
#[derive(Clone, Debug)]
enum VoxelLayout {
    /// Neurons laid out by neuroembryogenesis, so a voxel's neurons are
    /// found by arithmetic.
    Grid(NeuronGrid),
    /// Neurons added one by one through the API.
    Sparse(HashMap<[u32; 3], Vec<NeuronId>>),
}

#[derive(Clone, Debug)]
pub(crate) struct AreaEntry {
    pub(crate) area: CorticalArea,
    members: Members,
    voxels: VoxelLayout,
}

/// Propagation flags of a source area, kept in a flat vector for the burst path.
pub(crate) const FLAG_PSP_UNIFORM: u8 = 1;
pub(crate) const FLAG_MP_DRIVEN_PSP: u8 = 2;

#[derive(Clone, Debug, Default)]
pub(crate) struct AreaTable {
    entries: Vec<AreaEntry>,
    by_id: HashMap<CorticalId, AreaIndex>,
    /// Per area, FLAG_* bits.
    propagation_flags: Vec<u8>,
    /// The FLAG_* bits every area has, when all areas have the same.
    common_flags: Option<u8>,
}

fn flags_of(area: &CorticalArea) -> u8 {
    let p = &area.properties;
    (if p.psp_uniform_distribution {
        FLAG_PSP_UNIFORM
    } else {
        0
    }) | (if p.mp_driven_psp {
        FLAG_MP_DRIVEN_PSP
    } else {
        0
    })
}

impl AreaTable {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Registers an area with no neurons yet.
    pub(crate) fn register(&mut self, area: CorticalArea) -> Result<AreaIndex> {
        if self.by_id.contains_key(&area.id) {
            return Err(NpuError::DuplicateArea(area.id));
        }
        let index = self.entries.len() as AreaIndex;
        self.by_id.insert(area.id, index);
        self.propagation_flags.push(flags_of(&area));
        self.refresh_common_flags();
        self.entries.push(AreaEntry {
            area,
            members: Members::Range { start: 0, end: 0 },
            voxels: VoxelLayout::Sparse(HashMap::new()),
        });
        Ok(index)
    }

    /// Registers a developed area whose neurons are `first .. first + count`
    /// laid out on its neuron grid.
    pub(crate) fn register_developed(
        &mut self,
        area: CorticalArea,
        first: NeuronId,
        count: u32,
    ) -> Result<AreaIndex> {
        let grid = area.neuron_grid(first);
        let index = self.register(area)?;
        let entry = &mut self.entries[index as usize];
        entry.members = Members::Range {
            start: first,
            end: first + count,
        };
        entry.voxels = VoxelLayout::Grid(grid);
        Ok(index)
    }

    pub(crate) fn get(&self, index: AreaIndex) -> Result<&AreaEntry> {
        self.entries
            .get(index as usize)
            .ok_or(NpuError::UnknownArea(index))
    }

    pub(crate) fn get_mut(&mut self, index: AreaIndex) -> Result<&mut AreaEntry> {
        self.entries
            .get_mut(index as usize)
            .ok_or(NpuError::UnknownArea(index))
    }

    pub(crate) fn refresh_flags(&mut self, index: AreaIndex) {
        if let Some(e) = self.entries.get(index as usize) {
            self.propagation_flags[index as usize] = flags_of(&e.area);
            self.refresh_common_flags();
        }
    }

    fn refresh_common_flags(&mut self) {
        let first = self.propagation_flags.first().copied();
        self.common_flags = first.filter(|&f| self.propagation_flags.iter().all(|&g| g == f));
    }

    /// Per area, the FLAG_* bits propagation reads; and the bits of every
    /// area when all areas have the same (then no per-source lookup is needed).
    pub(crate) fn propagation_flags(&self) -> (&[u8], Option<u8>) {
        (&self.propagation_flags, self.common_flags)
    }

    pub(crate) fn index_of(&self, id: &CorticalId) -> Option<AreaIndex> {
        self.by_id.get(id).copied()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (AreaIndex, &AreaEntry)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i as AreaIndex, e))
    }

    /// Records that neuron `id` (the newest neuron) belongs to `index` at `coords`.
    pub(crate) fn add_member(
        &mut self,
        index: AreaIndex,
        id: NeuronId,
        coords: [u32; 3],
        neurons: &NeuronArray,
    ) {
        let entry = &mut self.entries[index as usize];
        entry.members = match std::mem::replace(&mut entry.members, Members::List(Vec::new())) {
            Members::Range { start, end } if start == end => Members::Range {
                start: id,
                end: id + 1,
            },
            Members::Range { start, end } if end == id => Members::Range { start, end: id + 1 },
            Members::Range { start, end } => {
                let mut list: Vec<NeuronId> = (start..end).collect();
                list.push(id);
                Members::List(list)
            }
            Members::List(mut list) => {
                list.push(id);
                Members::List(list)
            }
        };
        if let VoxelLayout::Grid(_) = entry.voxels {
            // A developed area gains a neuron by hand: switch to an explicit map.
            let mut map: HashMap<[u32; 3], Vec<NeuronId>> = HashMap::new();
            for n in entry.member_ids() {
                if n != id {
                    map.entry(neurons.coordinates(n as usize))
                        .or_default()
                        .push(n);
                }
            }
            entry.voxels = VoxelLayout::Sparse(map);
        }
        if let VoxelLayout::Sparse(map) = &mut entry.voxels {
            map.entry(coords).or_default().push(id);
        }
    }
}

impl AreaEntry {
    pub(crate) fn neuron_count(&self) -> usize {
        match &self.members {
            Members::Range { start, end } => (end - start) as usize,
            Members::List(l) => l.len(),
        }
    }

    /// The area's neurons, ascending.
    pub(crate) fn member_ids(&self) -> Box<dyn Iterator<Item = NeuronId> + '_> {
        match &self.members {
            Members::Range { start, end } => Box::new(*start..*end),
            Members::List(l) => Box::new(l.iter().copied()),
        }
    }

    /// The first neuron id when the area's neurons form one contiguous range.
    pub(crate) fn first_neuron(&self) -> Option<NeuronId> {
        match &self.members {
            Members::Range { start, end } if start < end => Some(*start),
            Members::List(l) => l.first().copied(),
            _ => None,
        }
    }

    /// Whether (x, y, z) lies inside the declared grid.
    pub(crate) fn contains_voxel(&self, x: u32, y: u32, z: u32) -> bool {
        let [w, h, d] = self.area.dimensions;
        x < w && y < h && z < d
    }

    /// Calls `f` for every neuron of voxel (x, y, z), ascending id. Voxels
    /// outside the area have no neurons.
    #[inline]
    /// How many neurons voxel (x, y, z) holds (0 outside the area).
    pub(crate) fn neuron_count_at(&self, x: u32, y: u32, z: u32) -> usize {
        match &self.voxels {
            VoxelLayout::Grid(grid) => grid.neurons_at([x, y, z]).map_or(0, |ids| ids.len()),
            VoxelLayout::Sparse(map) => map.get(&[x, y, z]).map_or(0, Vec::len),
        }
    }

    pub(crate) fn for_each_neuron_at(&self, x: u32, y: u32, z: u32, f: impl FnMut(NeuronId)) {
        match &self.voxels {
            VoxelLayout::Grid(grid) => {
                if let Some(ids) = grid.neurons_at([x, y, z]) {
                    ids.for_each(f);
                }
            }
            VoxelLayout::Sparse(map) => {
                if let Some(ids) = map.get(&[x, y, z]) {
                    ids.iter().copied().for_each(f);
                }
            }
        }
    }
}

impl feagi_plasticity::BrainAreas for AreaTable {
    fn area(&self, index: AreaIndex) -> Option<&CorticalArea> {
        self.get(index).ok().map(|e| &e.area)
    }

    fn for_each_neuron_at(
        &self,
        area: AreaIndex,
        [x, y, z]: [u32; 3],
        f: &mut dyn FnMut(NeuronId),
    ) {
        if let Ok(entry) = self.get(area) {
            entry.for_each_neuron_at(x, y, z, f);
        }
    }

    fn area_count(&self) -> usize {
        self.len()
    }
}
