//! Neuron storage as a structure of arrays (SPEC §2.3): one vector per field,
//! indexed by neuron id, so the burst phases stream only the fields they use.
//!
//! **Invariant:** every column of a [`NeuronArray`] has the same length, the
//! neuron count. The fields are private and neurons are only appended through
//! [`NeuronArray::push`], so the invariant holds by construction; the burst
//! phases get fixed-length slices ([`NeuronArray::columns_mut`]) and can change
//! values but never lengths.

use std::collections::TryReserveError;

use crate::units;
use crate::AreaIndex;
use crate::NeuronId;

/// The static parameters of one neuron, in internal units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronParams {
    /// Firing threshold (gene `firing_threshold` plus the voxel's increment).
    pub threshold: f32,
    /// Gene form: 0 means no limit.
    pub threshold_limit: f32,
    /// Leak coefficient in [0, 1].
    pub leak: f32,
    /// Firing probability in [0, 1].
    pub excitability: f32,
    /// Bursts a neuron ignores input after firing.
    pub refractory_period: u16,
    /// Consecutive fires allowed before the snooze (gene
    /// `consecutive_fire_cnt_max`); 0 and 65535 mean unlimited.
    pub consecutive_fire_limit: u16,
    /// Bursts of extra refractoriness after reaching the consecutive-fire limit.
    pub snooze_period: u16,
    /// Whether V is kept from burst to burst instead of reset.
    pub mp_charge_accumulation: bool,
}

impl Default for NeuronParams {
    fn default() -> Self {
        NeuronParams {
            threshold: 1.0,
            threshold_limit: 0.0,
            leak: 0.0,
            excitability: 1.0,
            refractory_period: 0,
            consecutive_fire_limit: 0,
            snooze_period: 0,
            mp_charge_accumulation: false,
        }
    }
}

/// Every per-neuron field of SPEC §2.3, one column per field, indexed by
/// neuron id. See the module docs for the length invariant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NeuronArray {
    membrane_potential: Vec<f32>,
    threshold: Vec<f32>,
    threshold_limit: Vec<f32>,
    leak: Vec<f32>,
    excitability: Vec<f32>,
    refractory_period: Vec<u16>,
    refractory_countdown: Vec<u16>,
    consecutive_fire_limit: Vec<u16>,
    consecutive_fire_count: Vec<u16>,
    snooze_period: Vec<u16>,
    mp_charge_accumulation: Vec<bool>,
    area: Vec<AreaIndex>,
    x: Vec<u32>,
    y: Vec<u32>,
    z: Vec<u32>,
}

/// Applies `$op` to every column of a [`NeuronArray`].
macro_rules! each_column {
    ($array:expr, $col:ident => $op:expr) => {{
        let a = $array;
        {
            let $col = &mut a.membrane_potential;
            $op;
        }
        {
            let $col = &mut a.threshold;
            $op;
        }
        {
            let $col = &mut a.threshold_limit;
            $op;
        }
        {
            let $col = &mut a.leak;
            $op;
        }
        {
            let $col = &mut a.excitability;
            $op;
        }
        {
            let $col = &mut a.refractory_period;
            $op;
        }
        {
            let $col = &mut a.refractory_countdown;
            $op;
        }
        {
            let $col = &mut a.consecutive_fire_limit;
            $op;
        }
        {
            let $col = &mut a.consecutive_fire_count;
            $op;
        }
        {
            let $col = &mut a.snooze_period;
            $op;
        }
        {
            let $col = &mut a.mp_charge_accumulation;
            $op;
        }
        {
            let $col = &mut a.area;
            $op;
        }
        {
            let $col = &mut a.x;
            $op;
        }
        {
            let $col = &mut a.y;
            $op;
        }
        {
            let $col = &mut a.z;
            $op;
        }
    }};
}

/// Every column of a [`NeuronArray`] as fixed-length slices: the dynamic
/// state mutable, the rest read-only. What the burst phases work on.
#[derive(Debug)]
pub struct NeuronColumnsMut<'a> {
    /// V, per neuron.
    pub membrane_potential: &'a mut [f32],
    /// Remaining refractory (and snooze) bursts, per neuron.
    pub refractory_countdown: &'a mut [u16],
    /// Consecutive fires so far, per neuron.
    pub consecutive_fire_count: &'a mut [u16],
    /// Firing thresholds.
    pub threshold: &'a [f32],
    /// Threshold limits (+inf = none).
    pub threshold_limit: &'a [f32],
    /// Leak coefficients.
    pub leak: &'a [f32],
    /// Firing probabilities.
    pub excitability: &'a [f32],
    /// Refractory periods.
    pub refractory_period: &'a [u16],
    /// Consecutive-fire limits (0 and 65535 = unlimited).
    pub consecutive_fire_limit: &'a [u16],
    /// Snooze periods.
    pub snooze_period: &'a [u16],
    /// Charge accumulation flags.
    pub mp_charge_accumulation: &'a [bool],
    /// Area index of each neuron.
    pub area: &'a [AreaIndex],
}

/// Every column of a [`NeuronArray`], owned: the form a saved brain is read
/// back into ([`NeuronArray::from_columns`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)] // The columns of NeuronArray, documented on its getters.
pub struct NeuronColumns {
    pub membrane_potential: Vec<f32>,
    pub threshold: Vec<f32>,
    pub threshold_limit: Vec<f32>,
    pub leak: Vec<f32>,
    pub excitability: Vec<f32>,
    pub refractory_period: Vec<u16>,
    pub refractory_countdown: Vec<u16>,
    pub consecutive_fire_limit: Vec<u16>,
    pub consecutive_fire_count: Vec<u16>,
    pub snooze_period: Vec<u16>,
    pub mp_charge_accumulation: Vec<bool>,
    pub area: Vec<AreaIndex>,
    pub x: Vec<u32>,
    pub y: Vec<u32>,
    pub z: Vec<u32>,
}

impl NeuronArray {
    /// The array of `columns`, which must all have the same length (the
    /// column values are taken as they are, e.g. a threshold limit of +inf
    /// for "none"); otherwise the length that differs.
    pub fn from_columns(c: NeuronColumns) -> Result<Self, String> {
        let n = c.membrane_potential.len();
        let lengths = [
            c.threshold.len(),
            c.threshold_limit.len(),
            c.leak.len(),
            c.excitability.len(),
            c.refractory_period.len(),
            c.refractory_countdown.len(),
            c.consecutive_fire_limit.len(),
            c.consecutive_fire_count.len(),
            c.snooze_period.len(),
            c.mp_charge_accumulation.len(),
            c.area.len(),
            c.x.len(),
            c.y.len(),
            c.z.len(),
        ];
        if let Some(bad) = lengths.iter().find(|&&l| l != n) {
            return Err(format!("neuron columns of {n} and {bad} entries"));
        }
        Ok(NeuronArray {
            membrane_potential: c.membrane_potential,
            threshold: c.threshold,
            threshold_limit: c.threshold_limit,
            leak: c.leak,
            excitability: c.excitability,
            refractory_period: c.refractory_period,
            refractory_countdown: c.refractory_countdown,
            consecutive_fire_limit: c.consecutive_fire_limit,
            consecutive_fire_count: c.consecutive_fire_count,
            snooze_period: c.snooze_period,
            mp_charge_accumulation: c.mp_charge_accumulation,
            area: c.area,
            x: c.x,
            y: c.y,
            z: c.z,
        })
    }

    /// The x, y and z columns.
    pub fn voxel_columns(&self) -> [&[u32]; 3] {
        [&self.x, &self.y, &self.z]
    }

    /// Reserves room for `additional` more neurons in every column, or fails
    /// without changing the array's contents.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let mut outcome = Ok(());
        each_column!(self, c => if outcome.is_ok() { outcome = c.try_reserve(additional) });
        outcome
    }

    /// Reserves room for `additional` more neurons where memory allows; a
    /// capacity hint, so failing to reserve is not an error.
    pub fn reserve_hint(&mut self, additional: usize) {
        let _ = self.try_reserve(additional);
    }

    /// The number of neurons.
    pub fn len(&self) -> usize {
        self.membrane_potential.len()
    }

    /// Whether there are no neurons.
    pub fn is_empty(&self) -> bool {
        self.membrane_potential.is_empty()
    }

    /// Appends a neuron in its initial state (V 0, countdown 0, count 0) and
    /// returns its id.
    pub fn push(
        &mut self,
        params: &NeuronParams,
        area: AreaIndex,
        [x, y, z]: [u32; 3],
    ) -> NeuronId {
        let id = self.len() as NeuronId;
        self.membrane_potential.push(0.0);
        self.refractory_countdown.push(0);
        self.consecutive_fire_count.push(0);
        self.area.push(area);
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
        self.threshold.push(0.0);
        self.threshold_limit.push(0.0);
        self.leak.push(0.0);
        self.excitability.push(0.0);
        self.refractory_period.push(0);
        self.consecutive_fire_limit.push(0);
        self.snooze_period.push(0);
        self.mp_charge_accumulation.push(false);
        self.set_params(id as usize, params);
        id
    }

    /// Overwrites the static parameters of neuron `i`, keeping its dynamic state
    /// (V, refractory countdown, consecutive count). Panics when `i` is out of range.
    pub fn set_params(&mut self, i: usize, p: &NeuronParams) {
        self.threshold[i] = p.threshold;
        self.threshold_limit[i] = units::threshold_limit_from_gene(p.threshold_limit);
        self.leak[i] = p.leak;
        self.excitability[i] = p.excitability;
        self.refractory_period[i] = p.refractory_period;
        self.consecutive_fire_limit[i] = p.consecutive_fire_limit;
        self.snooze_period[i] = p.snooze_period;
        self.mp_charge_accumulation[i] = p.mp_charge_accumulation;
    }

    /// The static parameters of neuron `i` in gene form (a threshold limit of
    /// 0 when it has none): `set_params(i, &params(i))` changes nothing.
    /// Panics when `i` is out of range.
    pub fn params(&self, i: usize) -> NeuronParams {
        NeuronParams {
            threshold: self.threshold[i],
            threshold_limit: units::threshold_limit_to_option(self.threshold_limit[i])
                .unwrap_or(0.0),
            leak: self.leak[i],
            excitability: self.excitability[i],
            refractory_period: self.refractory_period[i],
            consecutive_fire_limit: self.consecutive_fire_limit[i],
            snooze_period: self.snooze_period[i],
            mp_charge_accumulation: self.mp_charge_accumulation[i],
        }
    }

    /// The voxel (x, y, z) of neuron `i`. Panics when `i` is out of range.
    pub fn coordinates(&self, i: usize) -> [u32; 3] {
        [self.x[i], self.y[i], self.z[i]]
    }

    /// All columns as slices, the dynamic state mutable (for the burst phases).
    pub fn columns_mut(&mut self) -> NeuronColumnsMut<'_> {
        NeuronColumnsMut {
            membrane_potential: &mut self.membrane_potential,
            refractory_countdown: &mut self.refractory_countdown,
            consecutive_fire_count: &mut self.consecutive_fire_count,
            threshold: &self.threshold,
            threshold_limit: &self.threshold_limit,
            leak: &self.leak,
            excitability: &self.excitability,
            refractory_period: &self.refractory_period,
            consecutive_fire_limit: &self.consecutive_fire_limit,
            snooze_period: &self.snooze_period,
            mp_charge_accumulation: &self.mp_charge_accumulation,
            area: &self.area,
        }
    }

    /// V of every neuron, mutable (the length stays fixed).
    pub fn membrane_potential_mut(&mut self) -> &mut [f32] {
        &mut self.membrane_potential
    }

    /// Refractory countdowns, mutable (the length stays fixed).
    pub fn refractory_countdown_mut(&mut self) -> &mut [u16] {
        &mut self.refractory_countdown
    }

    /// Consecutive fire counts, mutable (the length stays fixed).
    pub fn consecutive_fire_count_mut(&mut self) -> &mut [u16] {
        &mut self.consecutive_fire_count
    }
}

/// Read access to one column each.
macro_rules! column_getters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        impl NeuronArray {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> &[$ty] {
                    &self.$name
                }
            )*
        }
    };
}

column_getters! {
    /// V (membrane potential) per neuron.
    membrane_potential: f32;
    /// Firing threshold per neuron.
    threshold: f32;
    /// Threshold limit per neuron; +inf when the neuron has no limit (see
    /// [`units::threshold_limit_from_gene`]).
    threshold_limit: f32;
    /// Leak coefficient per neuron, in [0, 1].
    leak: f32;
    /// Firing probability per neuron, in [0, 1].
    excitability: f32;
    /// Refractory period per neuron.
    refractory_period: u16;
    /// Remaining refractory bursts per neuron.
    refractory_countdown: u16;
    /// Consecutive-fire limit per neuron (0 and 65535 = unlimited).
    consecutive_fire_limit: u16;
    /// Consecutive fires so far per neuron.
    consecutive_fire_count: u16;
    /// Snooze period per neuron.
    snooze_period: u16;
    /// Charge accumulation flag per neuron.
    mp_charge_accumulation: bool;
    /// Area index per neuron.
    area: AreaIndex;
    /// Voxel x per neuron.
    x: u32;
    /// Voxel y per neuron.
    y: u32;
    /// Voxel z per neuron.
    z: u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_grow_together() {
        let mut a = NeuronArray::default();
        a.try_reserve(4).unwrap();
        let p = NeuronParams {
            threshold_limit: 0.0,
            consecutive_fire_limit: 3,
            ..NeuronParams::default()
        };
        assert_eq!(a.push(&p, 2, [1, 2, 3]), 0);
        assert_eq!(a.push(&p, 3, [4, 5, 6]), 1);
        assert_eq!(a.len(), 2);
        for len in [
            a.membrane_potential().len(),
            a.threshold().len(),
            a.threshold_limit().len(),
            a.leak().len(),
            a.excitability().len(),
            a.refractory_period().len(),
            a.refractory_countdown().len(),
            a.consecutive_fire_limit().len(),
            a.consecutive_fire_count().len(),
            a.snooze_period().len(),
            a.mp_charge_accumulation().len(),
            a.area().len(),
            a.x().len(),
            a.y().len(),
            a.z().len(),
        ] {
            assert_eq!(len, 2);
        }
        assert_eq!(a.coordinates(1), [4, 5, 6]);
        assert_eq!(a.area(), &[2, 3]);
        assert!(a.threshold_limit()[0].is_infinite());
        assert_eq!(a.consecutive_fire_limit(), &[3, 3]);
    }
}
