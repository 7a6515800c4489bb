//! The hot-path tally: running sums, SoC statistics and open events, updated once per step.
//!
//! A [`Tally`] lives in the simulation's state (so a snapshot carries it) and is turned into a
//! [`Report`](crate::engine::report::Report) on demand. It sums the steps' average powers and
//! converts to MWh once, when asked for [`Tally::totals`]. Events are tracked piece by piece
//! (a piece is a segment of a step in which nothing changed; an unsplit step is one piece), so
//! grid outages and losses of load start and last to the millisecond; event tracking runs out
//! of line, only while an event is open.

use crate::components::load::{Tier, TierShares};
use crate::engine::fast_forward::StepTable;
use crate::engine::policy::RampRate;
use crate::engine::report::{
    GridOutage, GridRamps, LossOfLoad, SocStats, StepRecord, TierReport, TierTotals, Totals,
    OUTAGE_EPSILON, RAMP_TOLERANCE_MW, UNSERVED_EPSILON_MW,
};
use crate::units::{Duration, Energy, Fraction, Power};
use serde::{Deserialize, Serialize};

/// An end-of-step SoC counts as below the reserve when it is more than this under it: the SoC
/// is a ratio of energies a few roundings from the reserve, and a battery held exactly at its
/// reserve must not count.
const RESERVE_EPSILON: f64 = 1e-12;

/// Per-step sums of the average powers (MW·steps); × the step length gives MWh.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Sums {
    facility: f64,
    aux: f64,
    import: f64,
    export: f64,
    charge: f64,
    discharge: f64,
    #[serde(default)]
    generation: f64,
    unserved: f64,
    curtailment: f64,
    /// Steps with unserved load in any of their segments (the PRAS-style count).
    lol_steps: u64,
    /// Time with unserved load, ms (the sum of the segments').
    lol_ms: u64,
    /// Time with the grid impaired, ms.
    impaired_ms: u64,
}

/// The grid import's step-to-step changes (the full tally only: Monte Carlo samples never
/// read them), in MW per step; [`GridRamps`] divides by the step's length. A change counts only
/// between two steps in which the grid was whole.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Ramps {
    /// The previous step's average import, MW (the run's initial import before step 0).
    last_import: f64,
    /// Whether the grid was whole in the previous step (at the start, before step 0).
    last_whole: bool,
    /// Largest rise (≥ 0) and fall (≤ 0), MW per step.
    up: f64,
    down: f64,
    /// The ramp limit's allowance over a step plus [`RAMP_TOLERANCE_MW`], MW (`f64::MAX`:
    /// none; finite, so a snapshot's JSON keeps it).
    limit: f64,
    /// Changes beyond `limit`.
    over: u64,
}

impl Default for Ramps {
    /// A tally from before ramps were kept (an older snapshot): nothing counted until the next
    /// step has a previous one.
    fn default() -> Ramps {
        Ramps {
            last_import: 0.0,
            last_whole: false,
            up: 0.0,
            down: 0.0,
            limit: f64::MAX,
            over: 0,
        }
    }
}

impl Ramps {
    /// One step's import `import` (MW), the grid whole in it or not. The common step (a
    /// change inside the extremes so far and the limit, the grid whole now and before) costs a
    /// subtraction, a store and three predictable comparisons; the rest is out of line.
    #[inline(always)]
    fn add(&mut self, import: f64, whole: bool) {
        let d = import - self.last_import;
        self.last_import = import;
        if d > self.up || d < self.down || d.abs() > self.limit || !(whole && self.last_whole) {
            self.edge(d, whole);
        }
    }

    /// [`Ramps::add`]'s rare part: a new extreme, a change over the limit, or the grid
    /// impaired now or in the step before (the change is not counted).
    #[cold]
    #[inline(never)]
    fn edge(&mut self, d: f64, whole: bool) {
        if whole && self.last_whole {
            self.up = self.up.max(d);
            self.down = self.down.min(d);
            self.over += u64::from(d.abs() > self.limit);
        }
        self.last_whole = whole;
    }
}

/// One segment `[start_ms, end_ms)` of step `step` in which nothing changed, as the tally's event
/// tracking sees it (a step that is not split is one piece).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    pub(crate) step: u64,
    pub(crate) start_ms: u64,
    pub(crate) end_ms: u64,
    /// The grid's available fraction over the piece.
    pub(crate) availability: f64,
    /// Unserved power over the piece, MW.
    pub(crate) unserved_mw: f64,
    /// SoC at the piece's start and end.
    pub(crate) soc_before: f64,
    pub(crate) soc_after: f64,
}

impl Piece {
    /// Whether load went unserved in the piece.
    #[inline(always)]
    pub(crate) fn lost(&self) -> bool {
        self.unserved_mw > UNSERVED_EPSILON_MW
    }
    /// Whether the grid was impaired in the piece.
    #[inline(always)]
    fn impaired(&self) -> bool {
        self.availability < 1.0 - OUTAGE_EPSILON
    }
}

/// The incremental record a simulation keeps; part of its snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    step: Duration,
    steps: u64,
    sums: Sums,
    charge_loss_mwh: f64,
    discharge_loss_mwh: f64,
    self_discharge_mwh: f64,
    max_residual: f64,
    soc_initial: f64,
    soc_min: f64,
    soc_sum: f64,
    soc_last: f64,
    steps_below_reserve: u64,
    /// One past the last step counted in `sums.lol_steps` (0: none yet), so a step with
    /// several lost segments counts once.
    lol_step_end: u64,
    grid_outages: Vec<GridOutage>,
    loss_of_load: Vec<LossOfLoad>,
    open_outage: Option<GridOutage>,
    open_lol: Option<LossOfLoad>,
    /// The grid import's changes (full tally only).
    #[serde(default)]
    ramps: Ramps,
    /// Per-tier sums (tiered loads only, from the first piece with unserved load on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tiers: Option<TierTally>,
}

/// Per-tier loss of load (tiered loads only; see [`crate::components::load::tiers`]), indexed by
/// [`Tier::index`]. Updated only on pieces with unserved load or with a tier's event open.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TierTally {
    /// Unserved energy per tier, MWh.
    unserved_mwh: [f64; 4],
    /// Time with the tier's load unserved, ms.
    lol_ms: [u64; 4],
    /// Steps with the tier's load unserved in any piece of them.
    lol_steps: [u64; 4],
    /// One past the last step counted in `lol_steps`.
    step_end: [u64; 4],
    /// Loss-of-load events per tier.
    events: [u64; 4],
    /// Whether the tier's event is open.
    open: [bool; 4],
    /// Pauses of the deferrable work (its events, with a checkpoint interval).
    pauses: u64,
    /// Work lost since the last checkpoint at each pause, hours.
    lost_hours: f64,
    /// That work as deferrable IT energy, MWh.
    lost_mwh: f64,
}

impl TierTally {
    /// Whether a tier's loss-of-load event is open.
    #[inline(always)]
    pub(crate) fn any_open(&self) -> bool {
        self.open.iter().any(|&o| o)
    }

    /// The per-tier totals for a run of steps of `step_h` hours.
    pub fn report(&self, step_h: f64) -> TierReport {
        let per = |t: Tier| TierTotals {
            tier: t,
            unserved_mwh: self.unserved_mwh[t.index()],
            loss_of_load_hours: Duration::from_millis(self.lol_ms[t.index()])
                .hours()
                .value(),
            loss_of_load_step_hours: self.lol_steps[t.index()] as f64 * step_h,
            events: self.events[t.index()],
        };
        TierReport {
            tiers: Tier::ALL.map(per).to_vec(),
            training_pauses: self.pauses,
            lost_compute_hours: self.lost_hours,
            lost_compute_mwh: self.lost_mwh,
        }
    }
}

impl Tally {
    /// An empty tally for a run of steps of `step` starting at `initial_soc`, with the grid
    /// importing `initial_import` before the first step (`whole`: the grid whole then) and the
    /// policy's `ramp_limit`, if it has one.
    pub(crate) fn new(
        initial_soc: Fraction,
        step: Duration,
        initial_import: Power,
        whole: bool,
        ramp_limit: Option<RampRate>,
    ) -> Tally {
        let limit = match ramp_limit {
            Some(r) => r.over(step.hours()).value() + RAMP_TOLERANCE_MW,
            None => f64::MAX,
        };
        Tally {
            step,
            steps: 0,
            sums: Sums::default(),
            charge_loss_mwh: 0.0,
            discharge_loss_mwh: 0.0,
            self_discharge_mwh: 0.0,
            max_residual: 0.0,
            soc_initial: initial_soc.value(),
            soc_min: initial_soc.value(),
            soc_sum: 0.0,
            soc_last: initial_soc.value(),
            steps_below_reserve: 0,
            lol_step_end: 0,
            grid_outages: Vec::with_capacity(16),
            loss_of_load: Vec::with_capacity(16),
            open_outage: None,
            open_lol: None,
            ramps: Ramps {
                last_import: initial_import.value(),
                last_whole: whole,
                limit,
                ..Ramps::default()
            },
            tiers: None,
        }
    }

    /// Whether a tier's loss-of-load event is open (tiered loads only).
    #[inline(always)]
    pub(crate) fn tier_event_open(&self) -> bool {
        self.tiers.as_ref().is_some_and(TierTally::any_open)
    }

    /// The per-tier sums so far (`None` until a tiered load first went unserved).
    pub fn tier_tally(&self) -> Option<&TierTally> {
        self.tiers.as_ref()
    }

    /// Adds one piece `[start_ms, end_ms)` of step `step` to the per-tier sums: each tier's
    /// unserved power `shares` (MW), opening or closing its event. With `checkpoint` (the
    /// deferrable work's checkpoint interval, ms, and its IT power this step, MW), a deferrable
    /// event that opens is a pause that loses the work since the last checkpoint.
    #[cold]
    #[inline(never)]
    pub(crate) fn tier_piece(
        &mut self,
        step: u64,
        start_ms: u64,
        end_ms: u64,
        shares: &TierShares,
        checkpoint: Option<(u64, f64)>,
    ) {
        let t = self.tiers.get_or_insert_with(TierTally::default);
        let len = Duration::from_millis(end_ms - start_ms);
        let h = len.hours().value();
        for (i, &mw) in shares.iter().enumerate() {
            if mw <= UNSERVED_EPSILON_MW {
                t.open[i] = false;
                continue;
            }
            t.unserved_mwh[i] += mw * h;
            t.lol_ms[i] += len.as_millis();
            if t.step_end[i] <= step {
                t.lol_steps[i] += 1;
                t.step_end[i] = step + 1;
            }
            if !t.open[i] {
                t.open[i] = true;
                t.events[i] += 1;
                if let (true, Some((every, it_mw))) = (i == Tier::Deferrable.index(), checkpoint) {
                    let lost = Duration::from_millis(start_ms % every).hours().value();
                    t.pauses += 1;
                    t.lost_hours += lost;
                    t.lost_mwh += lost * it_mw;
                }
            }
        }
    }

    /// Adds one step that is a single segment: its sums ([`Tally::add_step`]) and the step as
    /// the one piece of its events ([`Tally::piece`]). `soc_before` is the SoC at the start of
    /// the step; `r.soc` at its end.
    // Forced: runs every step inside the engine's hot loop (see `Simulation::advance`).
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        r: &StepRecord,
        soc_before: f64,
        reserve: f64,
        import_limit: Power,
        lean: bool,
    ) {
        if lean {
            self.add_lean(r);
        } else {
            self.add_step(r, reserve);
        }
        let impaired = r.availability < 1.0 - OUTAGE_EPSILON;
        let lost = r.unserved_mw > UNSERVED_EPSILON_MW;
        if impaired || self.open_outage.is_some() || lost || self.open_lol.is_some() {
            let start_ms = self.step.as_millis() * r.step;
            let end_ms = start_ms + self.step.as_millis();
            if impaired || self.open_outage.is_some() {
                self.track_outage(
                    r.step,
                    start_ms,
                    end_ms,
                    r.availability,
                    r.unserved_mw,
                    soc_before,
                    r.soc,
                    impaired,
                    lost,
                    import_limit,
                );
            }
            if lost || self.open_lol.is_some() {
                self.track_loss_of_load(r.step, start_ms, end_ms, r.unserved_mw, lost);
            }
        }
    }

    /// Adds what a Monte Carlo sample reads of one step: the step count and the facility and
    /// unserved sums (its events come as for any step). The other sums, the SoC statistics and
    /// the balance residual stay as they were: a lean tally's [`Tally::totals`] has only
    /// `steps`, `facility_mwh`, `unserved_mwh` and the loss-of-load and outage times right.
    #[inline(always)]
    pub(crate) fn add_lean(&mut self, r: &StepRecord) {
        self.steps += 1;
        self.sums.facility += r.facility_mw;
        self.sums.unserved += r.unserved_mw;
    }

    /// Adds one step's sums and SoC statistics (not its events: those come piece by piece).
    #[inline(always)]
    pub(crate) fn add_step(&mut self, r: &StepRecord, reserve: f64) {
        self.steps += 1;
        let m = &mut self.sums;
        m.facility += r.facility_mw;
        m.aux += r.aux_mw;
        m.import += r.import_mw;
        m.export += r.export_mw;
        m.charge += r.charge_mw;
        m.discharge += r.discharge_mw;
        m.generation += r.generation_mw;
        m.unserved += r.unserved_mw;
        m.curtailment += r.curtailment_mw;
        self.max_residual = self.max_residual.max(r.balance_residual_mw().abs());
        self.soc_min = self.soc_min.min(r.soc);
        self.soc_sum += r.soc;
        self.soc_last = r.soc;
        self.steps_below_reserve += u64::from(r.soc < reserve - RESERVE_EPSILON);
        self.ramps
            .add(r.import_mw, r.availability >= 1.0 - OUTAGE_EPSILON);
    }

    /// Adds `n` quiet steps at once (fast-forward): no flows, every step's import its demand
    /// (`facility_mw + total_aux_mw` in total: the sums over the steps of their facility loads
    /// and of their auxiliary draws), no event open or opened. The SoC goes from `soc_first`
    /// after the first step to `soc_last` after the last, linearly (it is constant unless the
    /// battery's capacity fades under it, which moves it by far less than 1 %). The same sums
    /// as `n` calls of [`Tally::add`], up to the order of the additions (and, with fade, the
    /// SoC's linear course).
    #[inline]
    pub(crate) fn skip(
        &mut self,
        n: u64,
        facility_mw: f64,
        total_aux_mw: f64,
        soc_first: f64,
        soc_last: f64,
        reserve: f64,
    ) {
        debug_assert!(self.open_outage.is_none() && self.open_lol.is_none());
        self.steps += n;
        let m = &mut self.sums;
        m.facility += facility_mw;
        m.aux += total_aux_mw;
        m.import += facility_mw + total_aux_mw;
        self.soc_min = self.soc_min.min(soc_first.min(soc_last));
        self.soc_sum += 0.5 * (soc_first + soc_last) * n as f64;
        self.soc_last = soc_last;
        let floor = reserve - RESERVE_EPSILON;
        self.steps_below_reserve += match (soc_first < floor, soc_last < floor) {
            (true, true) => n,
            (false, false) => 0,
            // The reserve crossed inside the stretch: the steps on the low side of the line.
            (first, _) => {
                let at =
                    ((floor - soc_first) / (soc_last - soc_first) * n as f64).clamp(0.0, n as f64);
                let below_from_start = at.round() as u64;
                if first {
                    below_from_start
                } else {
                    n - below_from_start
                }
            }
        };
    }

    /// The grid ramps of a quiet step whose import was `import_mw` with the grid whole (for a
    /// fast-forwarded stretch whose auxiliary draw changes from step to step: see
    /// [`Tally::skip_ramps`] for one whose draw is constant).
    #[inline]
    pub(crate) fn ramp_step(&mut self, import_mw: f64) {
        self.ramps.add(import_mw, true);
    }

    /// The grid ramps of `n` quiet steps from `k` added by [`Tally::skip`] (not for a lean
    /// tally): each step imported its demand, `table.facility(j) + aux_mw`, with the grid whole,
    /// so the changes are the load's, found from the table's block extrema; the steps over a
    /// ramp limit are counted one by one only when the extrema exceed it.
    #[inline]
    pub(crate) fn skip_ramps(&mut self, table: &StepTable, k: u64, n: u64, aux_mw: f64) {
        let to = k + n;
        let r = &mut self.ramps;
        r.add(table.facility(k) + aux_mw, true);
        if n > 1 {
            let (hi, lo) = table.change_extrema(k, to);
            r.up = r.up.max(hi);
            r.down = r.down.min(lo);
            if hi > r.limit || -lo > r.limit {
                r.over += table.changes_over(k, to, r.limit);
            }
            r.last_import = table.facility(to - 1) + aux_mw;
        }
    }

    /// The grid ramps so far.
    pub fn grid_ramps(&self, ramp_limit: Option<RampRate>) -> GridRamps {
        let s = self.step.secs_f64();
        let r = &self.ramps;
        GridRamps {
            step_s: s,
            max_up_mw_per_s: r.up.max(0.0) / s,
            max_down_mw_per_s: (-r.down).max(0.0) / s,
            limit_mw_per_s: ramp_limit.map(RampRate::value),
            steps_over_limit: r.over,
            hours_over_limit: r.over as f64 * self.step.hours().value(),
        }
    }

    /// Whether a grid outage or a loss of load is open (the next piece may extend or close it).
    #[inline]
    pub(crate) fn has_open_event(&self) -> bool {
        self.open_outage.is_some() || self.open_lol.is_some()
    }

    /// Adds one piece to the events: opens, extends or closes the grid outage and the loss of
    /// load, and counts its time with unserved load and with the grid impaired. Pieces come in
    /// order and cover the steps.
    #[inline(always)]
    pub(crate) fn piece(&mut self, p: &Piece, import_limit: Power) {
        let impaired = p.impaired();
        let lost = p.lost();
        if impaired || self.open_outage.is_some() {
            self.track_outage(
                p.step,
                p.start_ms,
                p.end_ms,
                p.availability,
                p.unserved_mw,
                p.soc_before,
                p.soc_after,
                impaired,
                lost,
                import_limit,
            );
        }
        if lost || self.open_lol.is_some() {
            self.track_loss_of_load(p.step, p.start_ms, p.end_ms, p.unserved_mw, lost);
        }
    }

    /// Opens, extends or closes the current grid outage event with the piece `[start_ms,
    /// end_ms)` of step `step` (its fields as scalars, so the hot caller passes registers).
    #[cold]
    fn track_outage(
        &mut self,
        step: u64,
        start_ms: u64,
        end_ms: u64,
        availability: f64,
        unserved_mw: f64,
        soc_before: f64,
        soc_after: f64,
        impaired: bool,
        lost: bool,
        import_limit: Power,
    ) {
        if !impaired {
            if let Some(ev) = self.open_outage.take() {
                self.grid_outages.push(ev);
            }
            return;
        }
        let len = Duration::from_millis(end_ms - start_ms);
        self.sums.impaired_ms += len.as_millis();
        let depth = (import_limit.value() * (1.0 - availability)).max(0.0);
        let ev = self.open_outage.get_or_insert(GridOutage {
            start_step: step,
            end_step: step,
            start: Duration::from_millis(start_ms),
            duration: Duration::ZERO,
            depth_mw: 0.0,
            soc_at_start: soc_before,
            min_soc: soc_before,
            unserved_mwh: 0.0,
            carried_through: true,
        });
        ev.end_step = step + 1;
        ev.duration = ev.duration + len;
        ev.depth_mw = ev.depth_mw.max(depth);
        ev.min_soc = ev.min_soc.min(soc_after);
        if lost {
            ev.unserved_mwh += unserved_mw * len.hours().value();
            ev.carried_through = false;
        }
    }

    /// Opens, extends or closes the current loss-of-load event with the piece `[start_ms,
    /// end_ms)` of step `step`.
    #[cold]
    fn track_loss_of_load(
        &mut self,
        step: u64,
        start_ms: u64,
        end_ms: u64,
        unserved_mw: f64,
        lost: bool,
    ) {
        if !lost {
            if let Some(ev) = self.open_lol.take() {
                self.loss_of_load.push(ev);
            }
            return;
        }
        let len = Duration::from_millis(end_ms - start_ms);
        self.sums.lol_ms += len.as_millis();
        if self.lol_step_end <= step {
            self.sums.lol_steps += 1;
            self.lol_step_end = step + 1;
        }
        let ev = self.open_lol.get_or_insert(LossOfLoad {
            start_step: step,
            end_step: step,
            start: Duration::from_millis(start_ms),
            duration: Duration::ZERO,
            unserved_mwh: 0.0,
            peak_shortfall_mw: 0.0,
        });
        ev.end_step = step + 1;
        ev.duration = ev.duration + len;
        ev.unserved_mwh += unserved_mw * len.hours().value();
        ev.peak_shortfall_mw = ev.peak_shortfall_mw.max(unserved_mw);
    }

    /// Adds battery-internal losses for one step.
    #[inline]
    pub(crate) fn add_losses(&mut self, charge: Energy, discharge: Energy, self_discharge: Energy) {
        self.charge_loss_mwh += charge.value();
        self.discharge_loss_mwh += discharge.value();
        self.self_discharge_mwh += self_discharge.value();
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        let h = self.step.hours().value();
        let m = &self.sums;
        Totals {
            steps: self.steps,
            facility_mwh: m.facility * h,
            aux_mwh: m.aux * h,
            import_mwh: m.import * h,
            export_mwh: m.export * h,
            charge_mwh: m.charge * h,
            discharge_mwh: m.discharge * h,
            charge_loss_mwh: self.charge_loss_mwh,
            discharge_loss_mwh: self.discharge_loss_mwh,
            self_discharge_mwh: self.self_discharge_mwh,
            generation_mwh: m.generation * h,
            unserved_mwh: m.unserved * h,
            curtailment_mwh: m.curtailment * h,
            loss_of_load_hours: Duration::from_millis(m.lol_ms).hours().value(),
            loss_of_load_step_hours: m.lol_steps as f64 * h,
            grid_impaired_hours: Duration::from_millis(m.impaired_ms).hours().value(),
            max_balance_residual_mw: self.max_residual,
        }
    }

    /// Time with unserved load so far, ms.
    pub(crate) fn loss_of_load_ms(&self) -> u64 {
        self.sums.lol_ms
    }

    /// Closed loss-of-load events plus the open one.
    pub fn loss_of_load_events(&self) -> impl Iterator<Item = &LossOfLoad> {
        self.loss_of_load.iter().chain(self.open_lol.iter())
    }

    /// Closed grid outage events plus the open one.
    pub fn grid_outage_events(&self) -> impl Iterator<Item = &GridOutage> {
        self.grid_outages.iter().chain(self.open_outage.iter())
    }

    /// The SoC statistics so far.
    pub fn soc_stats(&self, reserve: f64) -> SocStats {
        let n = self.steps;
        SocStats {
            initial: self.soc_initial,
            min: self.soc_min,
            mean: if n > 0 {
                self.soc_sum / n as f64
            } else {
                self.soc_initial
            },
            last: self.soc_last,
            reserve,
            hours_below_reserve: self.steps_below_reserve as f64 * self.step.hours().value(),
        }
    }
}

#[cfg(test)]
mod skip_tests {
    use super::*;

    fn tally() -> Tally {
        Tally::new(
            Fraction::ratio(0.5),
            Duration::from_hours(1),
            Power::ZERO,
            true,
            None,
        )
    }

    /// A skipped stretch adds its steps, energies and SoC course as that many steps would:
    /// a constant SoC exactly, a SoC that crosses the reserve line linearly with the steps on
    /// the low side of it counted below.
    #[test]
    fn a_skip_counts_the_steps_below_the_reserve_along_the_line() {
        let mut t = tally();
        t.skip(10, 50.0, 2.0, 0.6, 0.6, 0.2);
        assert_eq!((t.steps, t.steps_below_reserve), (10, 0));
        assert_eq!(t.soc_sum, 6.0);
        assert_eq!(
            (t.sums.facility, t.sums.aux, t.sums.import),
            (50.0, 2.0, 52.0)
        );
        // From 0.25 to 0.15 over 10 steps, reserve 0.2: the line crosses halfway.
        let mut t = tally();
        t.skip(10, 0.0, 0.0, 0.25, 0.15, 0.2);
        assert_eq!(t.steps_below_reserve, 5);
        assert!((t.soc_sum - 2.0).abs() < 1e-12);
        assert_eq!((t.soc_min, t.soc_last), (0.15, 0.15));
        // Rising through it a quarter of the way: the first quarter is below.
        let mut t = tally();
        t.skip(8, 0.0, 0.0, 0.1, 0.5, 0.2);
        assert_eq!(t.steps_below_reserve, 2);
        let mut t = tally();
        t.skip(4, 0.0, 0.0, 0.1, 0.1, 0.2);
        assert_eq!(t.steps_below_reserve, 4);
        // Resting exactly on the line (ε under the reserve) is not below it, nor is ending
        // on it from above.
        let on = 0.2 - RESERVE_EPSILON;
        let mut t = tally();
        t.skip(4, 0.0, 0.0, on, on, 0.2);
        t.skip(4, 0.0, 0.0, 0.3, on, 0.2);
        assert_eq!(t.steps_below_reserve, 0);
    }
}

#[cfg(test)]
mod threshold_tests {
    use super::*;

    fn piece(availability: f64, unserved_mw: f64) -> Piece {
        Piece {
            step: 0,
            start_ms: 0,
            end_ms: 1_000,
            availability,
            unserved_mw,
            soc_before: 0.5,
            soc_after: 0.5,
        }
    }

    /// A piece loses load only with more than [`UNSERVED_EPSILON_MW`] unserved, and has the
    /// grid impaired only below `1 − OUTAGE_EPSILON`: exactly at either line it is rounding.
    #[test]
    fn an_event_starts_past_its_line_not_on_it() {
        assert!(!piece(1.0, UNSERVED_EPSILON_MW).lost());
        assert!(piece(1.0, 2.0 * UNSERVED_EPSILON_MW).lost());
        assert!(!piece(1.0 - OUTAGE_EPSILON, 0.0).impaired());
        assert!(piece(1.0 - 2.0 * OUTAGE_EPSILON, 0.0).impaired());
    }

    /// A change of exactly the ramp allowance (plus its tolerance) is within it; more is over.
    #[test]
    fn a_change_of_exactly_the_allowance_is_within_it() {
        let mut r = Ramps {
            last_import: 0.0,
            last_whole: true,
            limit: 5.0,
            ..Ramps::default()
        };
        r.add(5.0, true);
        r.add(0.0, true);
        assert_eq!((r.up, r.down, r.over), (5.0, -5.0, 0));
        r.add(5.5, true);
        assert_eq!((r.up, r.over), (5.5, 1));
        // A change while the grid is impaired, or just after, is not counted.
        r.add(0.0, false);
        r.add(9.0, true);
        assert_eq!((r.up, r.down, r.over), (5.5, -5.0, 1));
    }
}

#[cfg(test)]
mod lean_tests {
    use super::*;

    /// A lean tally (a Monte Carlo sample's) counts its steps and sums the facility and the
    /// unserved power, as its docs promise; the other sums stay at zero.
    #[test]
    fn a_lean_tally_counts_its_steps_and_sums_what_a_sample_reads() {
        let mut t = Tally::new(
            Fraction::ratio(0.5),
            Duration::from_hours(1),
            Power::ZERO,
            true,
            None,
        );
        let row = |k: u64, unserved_mw: f64| StepRecord {
            step: k,
            time_s: 3600.0 * k as f64,
            facility_mw: 10.0,
            aux_mw: 0.5,
            availability: 0.0,
            available_import_mw: 0.0,
            import_mw: 0.0,
            export_mw: 0.0,
            discharge_mw: 10.5 - unserved_mw,
            charge_mw: 0.0,
            generation_mw: 0.0,
            unserved_mw,
            curtailment_mw: 0.0,
            soc: 0.4,
        };
        for (k, u) in [(0, 0.0), (1, 2.5), (2, 10.5)] {
            t.add_lean(&row(k, u));
        }
        let totals = t.totals();
        assert_eq!(totals.steps, 3);
        assert_eq!((totals.facility_mwh, totals.unserved_mwh), (30.0, 13.0));
        assert_eq!((totals.discharge_mwh, totals.aux_mwh), (0.0, 0.0));
    }
}
