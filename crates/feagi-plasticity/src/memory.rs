//! Memory areas (SPEC §6.2): lifecycle of memory neurons, pattern detection
//! over the upstream areas' ledger windows (xxHash64), forced firing at t+1,
//! and replay of remembered voxels into twin areas.

use std::collections::HashMap;

use feagi_types::memory::is_memory_neuron_id;
use feagi_types::{
    AreaIndex, MemoryAreaGenes, MemoryNeurons, MemoryRelation, MemoryTwin, NeuronId, ReplayFrame,
};

use crate::{PlasticityContext, PlasticityError, PlasticityRule};

/// The potential a memory neuron is forced with at t+1 (SPEC §6.2).
pub const FORCED_POTENTIAL: f32 = 1.5;

/// One memory area and what it remembers.
#[derive(Clone, Debug)]
struct MemoryArea {
    genes: MemoryAreaGenes,
    /// Upstream areas, ascending index.
    upstream: Vec<AreaIndex>,
    /// Pattern hash -> its alive memory neuron. Looked up, never iterated
    /// (SPEC §7.1: nothing may depend on hash order).
    patterns: HashMap<u64, NeuronId>,
    /// Alive memory neurons that are not long-term, ascending id.
    young: Vec<NeuronId>,
}

/// The built-in memory rule of SPEC §6.2 over every memory area.
#[derive(Clone, Debug, Default)]
pub struct MemoryAreas {
    /// Ascending area index.
    areas: Vec<MemoryArea>,
    /// The relations, in the order they were added (each area's `upstream`
    /// is their index by memory area).
    relations: Vec<MemoryRelation>,
    /// Twin relations, ascending (of, twin).
    twins: Vec<MemoryTwin>,
    /// The byte buffer hashed per pattern (reused).
    buffer: Vec<u8>,
}

impl MemoryAreas {
    /// The rule over `areas` (memory genes), `relations` (upstream -> memory
    /// area) and `twins`. Relations into an area without genes are ignored.
    pub fn new(
        areas: &[MemoryAreaGenes],
        relations: &[MemoryRelation],
        twins: &[MemoryTwin],
    ) -> Self {
        let mut rule = MemoryAreas::default();
        for genes in areas {
            rule.add_area(genes.clone());
        }
        for r in relations {
            rule.add_relation(r.clone());
        }
        for t in twins {
            rule.add_twin(*t);
        }
        rule
    }

    /// Makes `genes.area` a memory area (or replaces its genes).
    pub fn add_area(&mut self, mut genes: MemoryAreaGenes) {
        genes.temporal_depth = genes.temporal_depth.max(1);
        genes.init_lifespan = genes.init_lifespan.max(1);
        match self
            .areas
            .binary_search_by_key(&genes.area, |a| a.genes.area)
        {
            Ok(i) => self.areas[i].genes = genes,
            Err(i) => self.areas.insert(
                i,
                MemoryArea {
                    genes,
                    upstream: Vec::new(),
                    patterns: HashMap::new(),
                    young: Vec::new(),
                },
            ),
        }
    }

    /// Makes `relation.upstream` an upstream area of `relation.memory_area`;
    /// false when that is not a memory area.
    pub fn add_relation(&mut self, relation: MemoryRelation) -> bool {
        match self
            .areas
            .binary_search_by_key(&relation.memory_area, |a| a.genes.area)
        {
            Ok(i) => {
                let up = &mut self.areas[i].upstream;
                if let Err(j) = up.binary_search(&relation.upstream) {
                    up.insert(j, relation.upstream);
                    self.relations.push(relation);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Makes `twin.twin` receive the replay of `twin.of`.
    pub fn add_twin(&mut self, twin: MemoryTwin) {
        let key = (twin.of, twin.twin);
        if let Err(i) = self.twins.binary_search_by_key(&key, |t| (t.of, t.twin)) {
            self.twins.insert(i, twin);
        }
    }

    /// Rebuilds what each memory area remembers from the memory neurons
    /// (a restored brain): every alive neuron's pattern, and which are not
    /// yet long-term. Fails, changing nothing, when an alive neuron belongs
    /// to an area without memory genes or two share a pattern in one area.
    pub fn restore(&mut self, memory: &MemoryNeurons) -> Result<(), String> {
        let mut areas = self.areas.clone();
        for area in &mut areas {
            area.patterns.clear();
            area.young.clear();
        }
        for (id, n) in memory.iter().filter(|(_, n)| n.alive) {
            let Ok(i) = areas.binary_search_by_key(&n.area, |a| a.genes.area) else {
                return Err(format!(
                    "memory neuron {id} belongs to area {}, which is not a memory area",
                    n.area
                ));
            };
            if areas[i].patterns.insert(n.pattern, id).is_some() {
                return Err(format!(
                    "two alive memory neurons of area {} remember pattern {:#018x}",
                    n.area, n.pattern
                ));
            }
            if !n.long_term {
                areas[i].young.push(id);
            }
        }
        self.areas = areas;
        Ok(())
    }

    /// The memory areas' genes, ascending area.
    pub fn genes(&self) -> impl ExactSizeIterator<Item = &MemoryAreaGenes> {
        self.areas.iter().map(|a| &a.genes)
    }

    /// The relations (upstream -> memory area), in the order they were added.
    pub fn relations(&self) -> &[MemoryRelation] {
        &self.relations
    }

    /// The twin relations, ascending (of, twin).
    pub fn twins(&self) -> &[MemoryTwin] {
        &self.twins
    }

    /// The number of patterns memory area `area` remembers (alive neurons).
    pub fn pattern_count(&self, area: AreaIndex) -> usize {
        self.areas
            .binary_search_by_key(&area, |a| a.genes.area)
            .map_or(0, |i| self.areas[i].patterns.len())
    }

    /// Step 1: long-term conversion, then aging and death.
    fn lifecycle(&mut self, ctx: &mut PlasticityContext<'_>) {
        for area in &mut self.areas {
            let threshold = i64::from(area.genes.longterm_mem_threshold);
            let mut converted = 0u64;
            area.young.retain(|&id| match ctx.memory_mut().get_mut(id) {
                Some(n) if n.lifespan >= threshold => {
                    n.long_term = true;
                    converted += 1;
                    false
                }
                Some(_) => true,
                None => false,
            });
            let mut died = 0u64;
            let patterns = &mut area.patterns;
            area.young.retain(|&id| {
                let memory = ctx.memory_mut();
                let Some(n) = memory.get_mut(id) else {
                    return false;
                };
                n.lifespan -= 1;
                if n.lifespan > 0 {
                    return true;
                }
                let pattern = n.pattern;
                memory.kill(id);
                if patterns.get(&pattern) == Some(&id) {
                    patterns.remove(&pattern);
                }
                died += 1;
                false
            });
            let stats = ctx.stats_mut();
            stats.memory_long_term += converted;
            stats.memory_died += died;
        }
    }

    /// Step 2: pattern detection for every memory area, ascending.
    fn detect(&mut self, ctx: &mut PlasticityContext<'_>) {
        let t = ctx.burst();
        for ai in 0..self.areas.len() {
            let area = &self.areas[ai];
            if area.upstream.is_empty() {
                continue;
            }
            let depth = area.genes.temporal_depth as usize;
            if area
                .upstream
                .iter()
                .any(|&u| ctx.window(u, t, depth).is_none())
            {
                continue;
            }
            // Frames oldest to newest; inside each, upstream areas ascending:
            // the id count, then the ids, all u32 little-endian.
            self.buffer.clear();
            let mut total = 0usize;
            for i in 0..depth {
                for &u in &area.upstream {
                    let ids = ctx
                        .window(u, t, depth)
                        .and_then(|mut frames| frames.nth(i))
                        .unwrap_or(&[]);
                    total += ids.len();
                    self.buffer
                        .extend_from_slice(&(ids.len() as u32).to_le_bytes());
                    for &id in ids {
                        self.buffer.extend_from_slice(&id.to_le_bytes());
                    }
                }
            }
            if total == 0 {
                continue;
            }
            let h = xxhash_rust::xxh64::xxh64(&self.buffer, 0);
            let genes = area.genes.clone();
            let known = area.patterns.get(&h).copied();
            let id = match known {
                Some(id) => {
                    if let Some(n) = ctx.memory_mut().get_mut(id) {
                        n.lifespan += i64::from(genes.lifespan_growth_rate);
                        n.activations += 1;
                    }
                    ctx.stats_mut().memory_reactivated += 1;
                    id
                }
                None => {
                    let created =
                        ctx.memory_mut()
                            .create(genes.area, h, i64::from(genes.init_lifespan), t);
                    let Some(id) = created else {
                        ctx.stats_mut().patterns_ignored += 1;
                        continue;
                    };
                    let area = &mut self.areas[ai];
                    area.patterns.insert(h, id);
                    // New ids are the highest, so `young` stays ascending.
                    area.young.push(id);
                    ctx.stats_mut().memory_born += 1;
                    id
                }
            };
            // The neuron was just found or created, so this cannot fail.
            let _ = ctx.force_memory_neuron(id, FORCED_POTENTIAL);
            self.store_replay(ctx, ai, id, depth);
        }
    }

    /// Stores the window as `id`'s replay frames: per upstream area U and
    /// offset i, the distinct voxels of U's ids, ascending.
    fn store_replay(&self, ctx: &mut PlasticityContext<'_>, ai: usize, id: NeuronId, depth: usize) {
        let t = ctx.burst();
        let upstream = &self.areas[ai].upstream;
        let mut frames: Vec<ReplayFrame> = ctx
            .memory_mut()
            .get_mut(id)
            .map(|n| std::mem::take(&mut n.replay))
            .unwrap_or_default();
        let needed = upstream.len() * depth;
        frames.resize_with(needed, ReplayFrame::default);
        let mut k = 0;
        for &u in upstream {
            for i in 0..depth {
                let frame = &mut frames[k];
                k += 1;
                frame.upstream = u;
                frame.offset = i as u32;
                frame.voxels.clear();
                let ids = ctx
                    .window(u, t, depth)
                    .and_then(|mut f| f.nth(i))
                    .unwrap_or(&[]);
                for &n in ids {
                    let voxel = if is_memory_neuron_id(n) {
                        [0, 0, 0]
                    } else {
                        ctx.neurons().coordinates(n as usize)
                    };
                    frame.voxels.push(voxel);
                }
                frame.voxels.sort_unstable();
                frame.voxels.dedup();
            }
        }
        if let Some(n) = ctx.memory_mut().get_mut(id) {
            n.replay = frames;
        }
    }

    /// Step 3: replay of every memory neuron of these areas that fired at t.
    fn schedule_replay(&self, ctx: &mut PlasticityContext<'_>) {
        let fired = ctx.fired();
        let start = fired.partition_point(|&id| !is_memory_neuron_id(id));
        let (replay, memory, areas, stats) = ctx.replay_parts();
        for &id in &fired[start..] {
            let Some(n) = memory.get(id) else { continue };
            let Ok(ai) = self.areas.binary_search_by_key(&n.area, |a| a.genes.area) else {
                continue;
            };
            let depth = self.areas[ai].genes.temporal_depth as usize;
            // Scheduling order: (i, U, twin, voxel, neuron); frames are stored U-major.
            for i in 0..depth {
                for frame in n.replay.iter().filter(|f| f.offset as usize == i) {
                    let first = self.twins.partition_point(|tw| tw.of < frame.upstream);
                    for tw in self.twins[first..]
                        .iter()
                        .take_while(|tw| tw.of == frame.upstream)
                    {
                        let Some(twin) = areas.area(tw.twin) else {
                            continue;
                        };
                        let potential = twin.properties.firing_threshold;
                        let [w, h, d] = twin.dimensions;
                        for &voxel in &frame.voxels {
                            if voxel[0] >= w || voxel[1] >= h || voxel[2] >= d {
                                continue;
                            }
                            areas.for_each_neuron_at(tw.twin, voxel, &mut |neuron| {
                                replay.schedule(i + 1, neuron, potential);
                                stats.replay_injections += 1;
                            });
                        }
                    }
                }
            }
        }
    }
}

impl PlasticityRule for MemoryAreas {
    fn name(&self) -> &str {
        "memory"
    }

    fn ledger_requirements(&self) -> Vec<(AreaIndex, usize)> {
        self.areas
            .iter()
            .flat_map(|a| {
                let d = a.genes.temporal_depth.max(1) as usize;
                a.upstream.iter().map(move |&u| (u, d))
            })
            .collect()
    }

    fn after_burst(&mut self, ctx: &mut PlasticityContext<'_>) -> Result<(), PlasticityError> {
        if self.areas.is_empty() {
            return Ok(());
        }
        self.lifecycle(ctx);
        self.detect(ctx);
        self.schedule_replay(ctx);
        Ok(())
    }
}
