//! Neuron storage as a structure of arrays (SPEC §2.3): one vector per field,
//! indexed by neuron id, so the burst phases stream only the fields they use.

use crate::units;
use crate::AreaIndex;
use crate::NeuronId;

/// The static parameters of one neuron, in internal units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronParams {
    pub threshold: f32,
    /// Gene form: 0 means no limit.
    pub threshold_limit: f32,
    /// In [0, 1].
    pub leak: f32,
    /// Firing probability in [0, 1].
    pub excitability: f32,
    pub refractory_period: u16,
    /// 0 and 65535 mean unlimited.
    pub consecutive_fire_cap: u16,
    pub snooze_period: u16,
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
            consecutive_fire_cap: 0,
            snooze_period: 0,
            mp_charge_accumulation: false,
        }
    }
}

/// Every per-neuron field of SPEC §2.3. All vectors always have the same
/// length (the neuron count); add neurons only through [`NeuronArray::push`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NeuronArray {
    pub membrane_potential: Vec<f32>,
    pub threshold: Vec<f32>,
    /// +inf when the neuron has no limit (see [`units::threshold_limit_from_gene`]).
    pub threshold_limit: Vec<f32>,
    pub leak: Vec<f32>,
    pub excitability: Vec<f32>,
    pub refractory_period: Vec<u16>,
    pub refractory_countdown: Vec<u16>,
    pub consecutive_fire_cap: Vec<u16>,
    pub consecutive_fire_count: Vec<u16>,
    pub snooze_period: Vec<u16>,
    pub mp_charge_accumulation: Vec<bool>,
    pub area: Vec<AreaIndex>,
    pub x: Vec<u32>,
    pub y: Vec<u32>,
    pub z: Vec<u32>,
    pub valid: Vec<bool>,
}

impl NeuronArray {
    /// Reserves room for `additional` more neurons where memory allows; a
    /// capacity hint, so failing to reserve is not an error.
    pub fn reserve_hint(&mut self, additional: usize) {
        macro_rules! hint {
            ($($field:ident),*) => { $( let _ = self.$field.try_reserve(additional); )* };
        }
        hint!(
            membrane_potential,
            threshold,
            threshold_limit,
            leak,
            excitability,
            refractory_period,
            refractory_countdown,
            consecutive_fire_cap,
            consecutive_fire_count,
            snooze_period,
            mp_charge_accumulation,
            area,
            x,
            y,
            z,
            valid
        );
    }

    pub fn len(&self) -> usize {
        self.membrane_potential.len()
    }

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
        self.valid.push(true);
        self.threshold.push(0.0);
        self.threshold_limit.push(0.0);
        self.leak.push(0.0);
        self.excitability.push(0.0);
        self.refractory_period.push(0);
        self.consecutive_fire_cap.push(0);
        self.snooze_period.push(0);
        self.mp_charge_accumulation.push(false);
        self.set_params(id as usize, params);
        id
    }

    /// Overwrites the static parameters of neuron `i`, keeping its dynamic state
    /// (V, refractory countdown, consecutive count).
    pub fn set_params(&mut self, i: usize, p: &NeuronParams) {
        self.threshold[i] = p.threshold;
        self.threshold_limit[i] = units::threshold_limit_from_gene(p.threshold_limit);
        self.leak[i] = p.leak;
        self.excitability[i] = p.excitability;
        self.refractory_period[i] = p.refractory_period;
        self.consecutive_fire_cap[i] = p.consecutive_fire_cap;
        self.snooze_period[i] = p.snooze_period;
        self.mp_charge_accumulation[i] = p.mp_charge_accumulation;
    }

    pub fn coordinates(&self, i: usize) -> [u32; 3] {
        [self.x[i], self.y[i], self.z[i]]
    }
}
