//! Where each neuron of a developed area sits (SPEC §2.2): the one home of
//! the voxel-to-neuron-id layout.
//!
//! **Invariant:** a developed area's neurons are the ids `first ..
//! first + W·H·D·n`, laid out voxel by voxel in x, then y, then z order, and
//! within a voxel by k = 0 .. n. Neuroembryogenesis creates them in this
//! order, synaptogenesis and the NPU's voxel lookup compute ids from it.

use std::ops::Range;

use crate::NeuronId;

/// The linear index of voxel (x, y, z) in a grid of `dims` (x slowest, z
/// fastest). The caller ensures the voxel lies inside.
#[inline]
pub fn linear_voxel_index(dims: [u64; 3], [x, y, z]: [u64; 3]) -> u64 {
    (x * dims[1] + y) * dims[2] + z
}

/// The neuron layout of one developed area.
///
/// ```
/// use feagi_types::NeuronGrid;
///
/// // A 2 x 2 x 1 area with 2 neurons per voxel, starting at neuron 10.
/// let grid = NeuronGrid { first: 10, dims: [2, 2, 1], per_voxel: 2 };
/// assert_eq!(grid.neuron_count(), 8);
/// assert_eq!(grid.neurons_at([0, 1, 0]), Some(12..14));
/// assert_eq!(grid.neurons_at([1, 1, 0]), Some(16..18));
/// assert_eq!(grid.neurons_at([2, 0, 0]), None);
/// assert_eq!(grid.voxels().collect::<Vec<_>>(), [[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0]]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeuronGrid {
    /// The id of the neuron (0, 0, 0, k = 0).
    pub first: NeuronId,
    /// Grid W, H, D the neurons are laid out on.
    pub dims: [u32; 3],
    /// Neurons per voxel.
    pub per_voxel: u32,
}

impl NeuronGrid {
    /// The number of voxels.
    pub fn voxel_count(&self) -> u64 {
        self.dims.iter().map(|&d| u64::from(d)).product()
    }

    /// The number of neurons (voxels times neurons per voxel).
    pub fn neuron_count(&self) -> u64 {
        self.voxel_count() * u64::from(self.per_voxel)
    }

    /// Whether voxel (x, y, z) lies inside the grid.
    #[inline]
    pub fn contains(&self, [x, y, z]: [u32; 3]) -> bool {
        x < self.dims[0] && y < self.dims[1] && z < self.dims[2]
    }

    /// The linear index of a voxel inside the grid, `None` outside.
    #[inline]
    pub fn voxel_index(&self, voxel: [u32; 3]) -> Option<u64> {
        self.contains(voxel)
            .then(|| linear_voxel_index(self.dims.map(u64::from), voxel.map(u64::from)))
    }

    /// The id of neuron `k` of the voxel with linear index `voxel_index`, as
    /// u64 (it fits a [`NeuronId`] for every voxel and k inside the grid).
    #[inline]
    pub fn neuron_id(&self, voxel_index: u64, k: u64) -> u64 {
        u64::from(self.first) + voxel_index * u64::from(self.per_voxel) + k
    }

    /// The neurons of voxel (x, y, z), ascending; `None` outside the grid or
    /// when the ids would not fit a [`NeuronId`].
    #[inline]
    pub fn neurons_at(&self, voxel: [u32; 3]) -> Option<Range<NeuronId>> {
        let start = self.neuron_id(self.voxel_index(voxel)?, 0);
        let end = start.checked_add(u64::from(self.per_voxel))?;
        Some(NeuronId::try_from(start).ok()?..NeuronId::try_from(end).ok()?)
    }

    /// Every voxel in layout order (x slowest, z fastest).
    pub fn voxels(&self) -> impl Iterator<Item = [u32; 3]> {
        let [w, h, d] = self.dims;
        (0..w).flat_map(move |x| (0..h).flat_map(move |y| (0..d).map(move |z| [x, y, z])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_creation_order() {
        let grid = NeuronGrid {
            first: 3,
            dims: [3, 2, 2],
            per_voxel: 3,
        };
        let mut next = 3;
        for v in grid.voxels() {
            let ids = grid.neurons_at(v).unwrap();
            assert_eq!(ids, next..next + 3, "voxel {v:?}");
            next += 3;
        }
        assert_eq!(u64::from(next - 3), grid.neuron_count());
        assert_eq!(grid.neurons_at([0, 2, 0]), None);
        assert_eq!(grid.neurons_at([0, 0, 2]), None);
    }
}
