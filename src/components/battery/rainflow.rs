//! Streaming rainflow cycle counting (ASTM E1049-85, §5.4.4), in the four-point formulation.
//!
//! A [`RainflowCounter`] takes a history one sample at a time (a battery's state of charge, or
//! any other signal) and reports each cycle to a callback as soon as it closes; [`count_cycles`]
//! counts a whole series at once.
//!
//! # Method
//! 1. **Turning points.** Only reversals matter: a sample that continues the current rise or
//!    fall replaces the running extreme, and an equal consecutive sample (a plateau) is no
//!    reversal at all. The first sample is the history's starting point; the last is closed by
//!    [`RainflowCounter::finish`].
//! 2. **Four-point rule.** Each confirmed reversal is pushed on the *residue* stack. While the
//!    stack's last three points `S1 S2 S3` and the latest sample `S4` have an inner range
//!    `|S2 − S3|` no larger than both outer ranges `|S1 − S2|` and `|S3 − S4|`, the range
//!    `S2–S3` is one **full cycle**; `S2` and `S3` are removed. The latest sample may not be a
//!    reversal yet, but a run that continues only widens `|S3 − S4|`, so the cycle is closed for
//!    good the moment the history passes back over `S2`'s level, and it is reported then.
//! 3. **Residue.** At the end of the history each pair of adjacent points left on the stack
//!    is one **half cycle** (ASTM E1049-85 step 6: "count each range that has not been
//!    previously counted as one-half cycle").
//!
//! The four-point rule gives the same cycle table as the standard's three-point procedure (the
//! tests check the standard's worked example and compare the two on random histories); it is the
//! form that suits streaming, since it never needs the starting point rule.
//!
//! Every full cycle removes twice its range from the residue's path and every half cycle covers
//! its range once, so the counted depth — full cycles × range plus half cycles × range / 2 —
//! equals half the history's total variation exactly (a property test checks it).
//!
//! # Memory
//! The counter keeps only the residue, the latest sample and two running sums: no per-sample
//! storage. No range on the residue is smaller than or equal to both its neighbours (else rule 2
//! would have closed it), so its ranges rise strictly and then fall strictly (with at most one
//! tie at the top). For values on a grid of step `δ` inside a span `A` each side holds at most
//! `A/δ` distinct ranges, which bounds the residue at `2·A/δ + 2` points. For a state of charge
//! with random moves it stays at a few dozen (21 for a year of independent random hourly
//! samples, 24 for a month of a minute random walk: see the tests). A nearly periodic history
//! whose swings slowly widen keeps every reversal until they narrow again (two a day, for
//! months, when a battery's daily tops and bottoms drift apart as it ages). A new counter
//! reserves room for [`RESIDUE_RESERVE`] points, so a push allocates only when the residue
//! outgrows that (amortised, at each new largest length past it).
//!
//! # Tags
//! [`RainflowCounter::push_tagged`] attaches a caller's running integral to each sample (for the
//! battery: the stress-weighted distance travelled). Each [`Cycle`] reports the change of that
//! tag and of the total variation along it, so the caller can weigh a cycle by the conditions
//! met along it, independently of how finely the history was sampled:
//! * a **half cycle** spans the history between its two reversals;
//! * a **full cycle** `S2–S3` spans both its halves: from `S2` through `S3` and back to `S2`'s
//!   level, where the history passed back over it and closed the cycle. That crossing lies in
//!   the last step, between the sample before and the one that closed it; the running sums
//!   there are interpolated linearly in the sample (exact for the path, and for a tag that
//!   grows at a constant rate per unit of path within a step, as the battery's does);
//! * each less the cycles counted inside its span, which have their own. The counted cycles
//!   thus partition the history: every stretch of it belongs to exactly one cycle, whose path
//!   is its range (half) or twice it (full), and the tag changes of all the cycles, residue
//!   included, add up to the tag's whole change. A caller whose weight is linear in the tag
//!   change (the battery's cycle fade at the default depth exponent) then gets the same total
//!   however the history pairs into cycles, and a cycle closing inside a half cycle moves
//!   nothing but the split between them.
//!
//! Without the return half a full cycle would carry the conditions of whichever half came
//! first, and which pair of reversals closes first turns on differences of ulps in a nearly
//! periodic history: a daily cycle discharged in the afternoon's heat and recharged in the
//! cool of the night would be weighed by the afternoon on some days and by the night on
//! others.
//!
//! ```
//! use ridethrough::components::battery::rainflow::{count_cycles, CycleCount};
//!
//! // The ASTM E1049-85 example history (§5.4.4): five ranges, 4 cycles in all.
//! let cycles = count_cycles(&[-2.0, 1.0, -3.0, 5.0, -1.0, 3.0, -4.0, 4.0, -2.0]);
//! let full: Vec<f64> = cycles
//!     .iter()
//!     .filter(|c| c.count == CycleCount::Full)
//!     .map(|c| c.range)
//!     .collect();
//! assert_eq!(full, vec![4.0]); // E–F closes inside the history
//! let total: f64 = cycles.iter().map(|c| c.count.weight()).sum();
//! assert_eq!(total, 4.0);
//! ```

use serde::{Deserialize, Serialize};

/// Whether a counted cycle is a whole cycle or a half cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleCount {
    /// A half cycle: one range of the residue, counted at the end of the history.
    Half,
    /// A full cycle, closed by the four-point rule.
    Full,
}

impl CycleCount {
    /// 0.5 for a half cycle, 1 for a full cycle.
    #[inline]
    pub fn weight(self) -> f64 {
        match self {
            CycleCount::Half => 0.5,
            CycleCount::Full => 1.0,
        }
    }
}

/// One counted cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    /// Peak-to-valley range `|a − b|` of the cycle's two reversals (for a state of charge: the
    /// depth of discharge as a fraction).
    pub range: f64,
    /// Mean of the two reversals, `(a + b) / 2`.
    pub mean: f64,
    /// Full or half.
    pub count: CycleCount,
    /// Total variation of the history along the cycle, less the cycles counted inside it (see
    /// the module docs' *Tags*): for a half cycle between its two reversals, for a full cycle
    /// from its first reversal through its second and back to the first's level. The cycles
    /// partition the history's path, so this is the cycle's own share: `range` for a half
    /// cycle and `2 · range` for a full one, to rounding.
    pub path: f64,
    /// Change of the caller's tag along the same stretch of history as `path` (0 for untagged
    /// samples).
    pub tag_change: f64,
}

impl Cycle {
    /// The cycle's share of the counted depth: `weight × range` (a full cycle counts its range,
    /// a half cycle half of it).
    #[inline]
    pub fn depth(&self) -> f64 {
        self.count.weight() * self.range
    }

    /// The half cycle between two points of the history, `a` before `b`: the history between
    /// them, less the cycles closed inside it.
    #[inline]
    fn half(a: Point, b: Point) -> Cycle {
        Cycle {
            range: (a.value - b.value).abs(),
            mean: 0.5 * (a.value + b.value),
            count: CycleCount::Half,
            path: (b.path - a.path) - (b.closed.path - a.closed.path),
            tag_change: (b.tag - a.tag) - (b.closed.tag - a.closed.tag),
        }
    }

    /// The full cycle `s2–s3` closed by sample `s4`, the first to pass back over `s2`'s level
    /// (`before` the sample preceding it, which had not), `closed` the cycles counted so far:
    /// along the history from `s2` to the crossing, whose path and tag are interpolated in the
    /// step `before → s4`, less the cycles closed inside it (since `s2`, all of them).
    #[inline]
    fn full(s2: Point, s3: Point, before: Point, s4: Point, closed: Closed) -> Cycle {
        let back = (s4.value - s2.value).abs();
        let share = (back / (s4.value - before.value).abs()).min(1.0);
        Cycle {
            range: (s2.value - s3.value).abs(),
            mean: 0.5 * (s2.value + s3.value),
            count: CycleCount::Full,
            path: ((s4.path - back) - s2.path) - (closed.path - s2.closed.path),
            tag_change: ((s4.tag - share * (s4.tag - before.tag)) - s2.tag)
                - (closed.tag - s2.closed.tag),
        }
    }
}

/// Running sums of the paths and tag changes of the full cycles counted so far, each its own
/// part of the history only (so that no stretch of it counts twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Closed {
    /// Sum of the full cycles' paths.
    path: f64,
    /// Sum of their tag changes.
    tag: f64,
}

impl Closed {
    /// Adds a full cycle.
    #[inline]
    fn add(&mut self, c: &Cycle) {
        self.path += c.path;
        self.tag += c.tag_change;
    }
}

/// A sample of the history with the running sums at its time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Point {
    /// The sample.
    value: f64,
    /// Total variation of the history up to this sample.
    path: f64,
    /// The caller's tag at this sample.
    tag: f64,
    /// The full cycles counted up to this sample (once the sample has closed its own).
    closed: Closed,
    /// On the residue: the caller's weights of the residue's half cycles from its first point
    /// up to this one, summed ([`RainflowCounter::push_weighted`]); 0 elsewhere.
    weight: f64,
}

/// Direction of the current monotone run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Direction {
    /// No move since the start point.
    None,
    /// Rising.
    Up,
    /// Falling.
    Down,
}

/// A streaming rainflow counter: push samples, receive cycles as they close, [`finish`] to count
/// the residue as half cycles.
///
/// It is plain data (`Clone + Serialize + Deserialize + PartialEq`), so it can be snapshotted
/// with the rest of a simulation's state and resumed.
///
/// ```
/// use ridethrough::components::battery::rainflow::{Cycle, RainflowCounter};
///
/// let mut counter = RainflowCounter::new();
/// let mut cycles: Vec<Cycle> = Vec::new();
/// // A state of charge: full, down to 20 %, up to 60 %, back to 40 %, up to full.
/// for soc in [1.0, 0.8, 0.5, 0.2, 0.6, 0.4, 1.0] {
///     counter.push(soc, |c| cycles.push(c));
/// }
/// // 0.6 → 0.4 closed as a full cycle of depth 0.2 when the SoC rose past 0.6 again.
/// assert_eq!(cycles.len(), 1);
/// assert!((cycles[0].range - 0.2).abs() < 1e-12);
/// counter.finish(|c| cycles.push(c));
/// // The residue 1.0 → 0.2 → 1.0 is two half cycles of depth 0.8.
/// assert_eq!(cycles.len(), 3);
/// let depth: f64 = cycles.iter().map(|c| c.depth()).sum();
/// assert!((depth - counter.total_variation() / 2.0).abs() < 1e-12);
/// ```
///
/// [`finish`]: RainflowCounter::finish
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RainflowCounter {
    /// Confirmed reversals not yet closed into full cycles, oldest first.
    residue: Vec<Point>,
    /// The latest sample (the running extreme of the current monotone run); `None` before the
    /// first sample.
    last: Option<Point>,
    /// Direction of the run that ends at `last`.
    direction: Direction,
    /// Total variation of the history so far.
    path: f64,
    /// The full cycles counted so far.
    closed: Closed,
}

/// The residue length a new [`RainflowCounter`] has room for before a push allocates: above the
/// few dozen points a state of charge leaves (see the module docs).
pub const RESIDUE_RESERVE: usize = 64;

impl Default for RainflowCounter {
    fn default() -> RainflowCounter {
        RainflowCounter::new()
    }
}

impl RainflowCounter {
    /// An empty counter.
    pub fn new() -> RainflowCounter {
        RainflowCounter {
            residue: Vec::with_capacity(RESIDUE_RESERVE),
            last: None,
            direction: Direction::None,
            path: 0.0,
            closed: Closed::default(),
        }
    }

    /// Adds the next sample of the history (finite); each cycle it closes goes to `on_cycle`.
    #[inline]
    pub fn push<F: FnMut(Cycle)>(&mut self, x: f64, on_cycle: F) {
        self.push_tagged(x, 0.0, on_cycle);
    }

    /// Adds the next sample with the caller's running tag at it (a cumulative quantity such as
    /// a stress integral; see the module docs). Equal consecutive samples are a plateau: the
    /// later ones are ignored, tag included, so a reversal keeps the tag of its first sample.
    #[inline]
    pub fn push_tagged<F: FnMut(Cycle)>(&mut self, x: f64, tag: f64, on_cycle: F) {
        self.push_weighted(x, tag, |_| 0.0, on_cycle);
    }

    /// [`push_tagged`](Self::push_tagged), weighing each range that becomes part of the
    /// residue with `weigh` (called with the half cycle it would count as at the end of the
    /// history): [`residue_weight`](Self::residue_weight) is then the weight of the residue's
    /// half cycles so far, kept as prefix sums on the stack, so a closed cycle's removal costs
    /// nothing and no rounding accumulates. The battery weighs a range by the fade it would add
    /// as a half cycle, so its capacity follows the cycles that have not closed yet.
    pub fn push_weighted<W: FnMut(Cycle) -> f64, F: FnMut(Cycle)>(
        &mut self,
        x: f64,
        tag: f64,
        mut weigh: W,
        mut on_cycle: F,
    ) {
        debug_assert!(x.is_finite(), "rainflow sample {x} is not finite");
        let Some(last) = self.last else {
            self.last = Some(Point {
                value: x,
                path: self.path,
                tag,
                closed: self.closed,
                weight: 0.0,
            });
            return;
        };
        let dx = x - last.value;
        if dx == 0.0 {
            return;
        }
        self.path += dx.abs();
        let direction = if dx > 0.0 {
            Direction::Up
        } else {
            Direction::Down
        };
        if direction != self.direction {
            // `last` is a turning point (or the starting point, on the first move).
            let weight = match self.residue.last() {
                Some(&top) => top.weight + weigh(Cycle::half(top, last)),
                None => 0.0,
            };
            self.residue.push(Point { weight, ..last });
            self.direction = direction;
        }
        let here = Point {
            value: x,
            path: self.path,
            tag,
            closed: self.closed,
            weight: 0.0,
        };
        self.close_full_cycles(last, here, &mut on_cycle);
        // The cycles it closed lie before it.
        self.last = Some(Point {
            closed: self.closed,
            ..here
        });
    }

    /// Ends the history: the latest sample becomes the last turning point, and every range left
    /// on the residue goes to `on_cycle` as a half cycle, oldest first.
    ///
    /// The counter then starts afresh from the latest sample (its running sums continue), so a
    /// history pushed afterwards is counted as a new one beginning there, and nothing is counted
    /// twice. Call it once at the end of a run.
    pub fn finish<F: FnMut(Cycle)>(&mut self, mut on_cycle: F) {
        let Some(last) = self.last else {
            return;
        };
        // Every cycle the latest sample closes as `S4` was closed when it was pushed.
        if self.direction != Direction::None {
            self.residue.push(last);
        }
        for pair in self.residue.windows(2) {
            on_cycle(Cycle::half(pair[0], pair[1]));
        }
        self.residue.clear();
        self.direction = Direction::None;
    }

    /// The four-point rule on the top three reversals of the residue and the latest sample
    /// `s4` (`before` the sample preceding it), repeated while it closes cycles.
    #[inline]
    fn close_full_cycles<F: FnMut(Cycle)>(&mut self, before: Point, s4: Point, on_cycle: &mut F) {
        while let [.., s1, s2, s3] = self.residue[..] {
            let inner = (s2.value - s3.value).abs();
            if inner > (s1.value - s2.value).abs() || inner > (s3.value - s4.value).abs() {
                break;
            }
            let cycle = Cycle::full(s2, s3, before, s4, self.closed);
            self.closed.add(&cycle);
            on_cycle(cycle);
            self.residue.truncate(self.residue.len() - 2);
        }
    }

    /// The latest sample, if any.
    #[inline]
    pub fn last_value(&self) -> Option<f64> {
        self.last.map(|p| p.value)
    }

    /// Total variation of the history so far (the sum of `|x_{k+1} − x_k|`): for a state of
    /// charge, twice the equivalent full cycles.
    #[inline]
    pub fn total_variation(&self) -> f64 {
        self.path
    }

    /// The weight of the residue's half cycles, not counting the latest monotone run (0 for a
    /// counter fed by [`push`](Self::push) or [`push_tagged`](Self::push_tagged)): what
    /// [`finish`](Self::finish) would count now, short of its last half cycle, under the
    /// weights given to [`push_weighted`](Self::push_weighted).
    #[inline]
    pub fn residue_weight(&self) -> f64 {
        self.residue.last().map_or(0.0, |p| p.weight)
    }

    /// The half cycle of the latest monotone run, from the residue's last reversal to the
    /// latest sample: the one [`finish`](Self::finish) would count last if the history ended
    /// now (`None` before the history first moves).
    #[inline]
    pub fn latest_run(&self) -> Option<Cycle> {
        if self.direction == Direction::None {
            return None;
        }
        Some(Cycle::half(*self.residue.last()?, self.last?))
    }

    /// Number of reversals held on the residue (the counter's memory, apart from the latest
    /// sample).
    #[inline]
    pub fn residue_len(&self) -> usize {
        self.residue.len()
    }
}

/// Counts the cycles of a whole series: every full cycle in the order it closes, then the
/// residue's half cycles oldest first — the same cycles, in the same order, as pushing the
/// samples one at a time into a [`RainflowCounter`] and calling
/// [`finish`](RainflowCounter::finish) (a full cycle's `path` to rounding: the batch finds
/// where the history passed back over the cycle's first reversal from the turning point after
/// it, the counter from the sample that closed it). Untagged: every `tag_change` is 0.
///
/// It runs in two passes (turning points first, then the four-point rule on four confirmed
/// turning points), a separate implementation the tests compare with the streaming one, which
/// closes the same cycles as soon as the latest sample allows.
pub fn count_cycles(samples: &[f64]) -> Vec<Cycle> {
    // Pass 1: the turning points, each with the total variation up to it.
    let mut turning: Vec<Point> = Vec::new();
    let mut path = 0.0;
    for (k, &x) in samples.iter().enumerate() {
        if k > 0 {
            path += (x - samples[k - 1]).abs();
        }
        let here = Point {
            value: x,
            path,
            tag: 0.0,
            closed: Closed::default(),
            weight: 0.0,
        };
        match turning[..] {
            [] => turning.push(here),
            [.., last] if x == last.value => {}
            [.., before, last] if (last.value - before.value) * (x - last.value) > 0.0 => {
                *turning.last_mut().expect("matched a last point") = here;
            }
            _ => turning.push(here),
        }
    }
    // Pass 2: the four-point rule over the turning points, then the residue.
    let mut cycles = Vec::new();
    let mut closed = Closed::default();
    let mut stack: Vec<Point> = Vec::with_capacity(turning.len());
    for p in turning {
        stack.push(p);
        while stack.len() >= 4 {
            let n = stack.len();
            let (s1, s2, s3, s4) = (stack[n - 4], stack[n - 3], stack[n - 2], stack[n - 1]);
            let inner = (s2.value - s3.value).abs();
            if inner <= (s1.value - s2.value).abs() && inner <= (s3.value - s4.value).abs() {
                // Untagged, the crossing needs only `s4`: the path is exact on the monotone
                // run that ends at it (the interpolation's `before` does not matter).
                let cycle = Cycle::full(s2, s3, s3, s4, closed);
                closed.add(&cycle);
                cycles.push(cycle);
                stack.drain(n - 3..n - 1);
            } else {
                break;
            }
        }
        // The cycles it closed lie before it.
        if let Some(top) = stack.last_mut() {
            top.closed = closed;
        }
    }
    cycles.extend(stack.windows(2).map(|w| Cycle::half(w[0], w[1])));
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Relative tolerance of the depth identity (a sum of up to a few thousand ranges against a
    /// sum of as many absolute differences: each side rounds at ~1e-16 per term).
    const DEPTH_REL_TOL: f64 = 1e-9;

    /// The ASTM E1049-85 three-point procedure (§5.4.4), written out as the standard states it,
    /// as a reference for the four-point counter. Returns `(range, mean, weight)`.
    fn astm_three_point(samples: &[f64]) -> Vec<(f64, f64, f64)> {
        let mut out = Vec::new();
        let mut points: Vec<f64> = Vec::new();
        // "Read next peak or valley": the turning points of the samples.
        let mut peaks: Vec<f64> = Vec::new();
        for &x in samples {
            match peaks[..] {
                [] => peaks.push(x),
                [.., last] if x == last => {}
                [.., before, last] if (last - before) * (x - last) > 0.0 => {
                    *peaks.last_mut().unwrap() = x;
                }
                _ => peaks.push(x),
            }
        }
        let cycle = |a: f64, b: f64, w: f64| ((a - b).abs(), 0.5 * (a + b), w);
        for p in peaks {
            points.push(p);
            // Step 2: at least three points form X (most recent range) and Y (the one before).
            while points.len() >= 3 {
                let n = points.len();
                let x = (points[n - 1] - points[n - 2]).abs();
                let y = (points[n - 2] - points[n - 3]).abs();
                // Step 3: X < Y, read on.
                if x < y {
                    break;
                }
                // The starting point S is always the oldest point not yet discarded, so Y
                // contains S exactly when only three points remain.
                if n == 3 {
                    // Step 5: Y is a half cycle; discard its first point, S moves on.
                    out.push(cycle(points[0], points[1], 0.5));
                    points.remove(0);
                } else {
                    // Step 4: Y is a full cycle; discard its peak and valley.
                    out.push(cycle(points[n - 3], points[n - 2], 1.0));
                    points.drain(n - 3..n - 1);
                }
            }
        }
        // Step 6: every range not yet counted is a half cycle.
        for w in points.windows(2) {
            out.push(cycle(w[0], w[1], 0.5));
        }
        out
    }

    /// Cycles as a histogram: `(range, mean) → total weight`, sorted, for comparing counts that
    /// split the same cycles into halves and wholes differently.
    fn histogram(cycles: impl IntoIterator<Item = (f64, f64, f64)>) -> Vec<(f64, f64, f64)> {
        let mut v: Vec<(f64, f64, f64)> = cycles.into_iter().collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut out: Vec<(f64, f64, f64)> = Vec::new();
        for (r, m, w) in v {
            match out.last_mut() {
                Some(last) if last.0 == r && last.1 == m => last.2 += w,
                _ => out.push((r, m, w)),
            }
        }
        out
    }

    fn streamed(samples: &[f64]) -> (Vec<Cycle>, RainflowCounter) {
        let mut counter = RainflowCounter::new();
        let mut cycles = Vec::new();
        for &x in samples {
            counter.push(x, |c| cycles.push(c));
        }
        counter.finish(|c| cycles.push(c));
        (cycles, counter)
    }

    fn total_variation(samples: &[f64]) -> f64 {
        samples.windows(2).map(|w| (w[1] - w[0]).abs()).sum()
    }

    /// ASTM E1049-85 (Reapproved 2017), "Standard Practices for Cycle Counting in Fatigue
    /// Analysis", §5.4.4 Rainflow Counting, worked example (Fig. 6): the load history
    /// A…I = −2, 1, −3, 5, −1, 3, −4, 4, −2 and its published cycle table
    ///
    /// | range (units) | cycle counts | events   |
    /// |---------------|--------------|----------|
    /// | 10            | 0            |          |
    /// | 9             | 0.5          | D–G      |
    /// | 8             | 1.0          | C–D, G–H |
    /// | 7             | 0            |          |
    /// | 6             | 0.5          | H–I      |
    /// | 5             | 0            |          |
    /// | 4             | 1.5          | B–C, E–F |
    /// | 3             | 0.5          | A–B      |
    /// | 2             | 0            |          |
    /// | 1             | 0            |          |
    #[test]
    fn astm_e1049_worked_example() {
        let history = [-2.0, 1.0, -3.0, 5.0, -1.0, 3.0, -4.0, 4.0, -2.0];
        let published: [(f64, f64); 10] = [
            (10.0, 0.0),
            (9.0, 0.5),
            (8.0, 1.0),
            (7.0, 0.0),
            (6.0, 0.5),
            (5.0, 0.0),
            (4.0, 1.5),
            (3.0, 0.5),
            (2.0, 0.0),
            (1.0, 0.0),
        ];
        let by_range = |cycles: &[(f64, f64, f64)], range: f64| -> f64 {
            cycles
                .iter()
                .filter(|c| c.0 == range)
                .map(|c| c.2)
                .sum::<f64>()
        };
        let (streaming, _) = streamed(&history);
        let streaming: Vec<(f64, f64, f64)> = streaming
            .iter()
            .map(|c| (c.range, c.mean, c.count.weight()))
            .collect();
        let reference = astm_three_point(&history);
        for (range, count) in published {
            assert_eq!(
                by_range(&streaming, range),
                count,
                "four-point, range {range}"
            );
            assert_eq!(
                by_range(&reference, range),
                count,
                "three-point, range {range}"
            );
        }
        // The one full cycle is E–F (−1 → 3), closed when G (−4) was read.
        let full: Vec<_> = streaming.iter().filter(|c| c.2 == 1.0).collect();
        assert_eq!(full, vec![&(4.0, 1.0, 1.0)]);
        // Nothing else was counted.
        let total: f64 = streaming.iter().map(|c| c.2).sum();
        assert_eq!(total, published.iter().map(|p| p.1).sum::<f64>());
    }

    #[test]
    fn plateaus_and_monotone_runs_are_not_reversals() {
        // Repeats and intermediate samples on a run change nothing.
        let plain = [0.0, 1.0, 0.0, 1.0];
        let padded = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.25, 0.0, 0.0, 0.5, 1.0, 1.0];
        let (a, _) = streamed(&plain);
        let (b, _) = streamed(&padded);
        let key = |c: &Cycle| (c.range, c.mean, c.count);
        assert_eq!(
            a.iter().map(key).collect::<Vec<_>>(),
            b.iter().map(key).collect::<Vec<_>>()
        );
        // 0, 1, 0, 1: the inner range 1–0 closes (ties close, as X ≥ Y in the standard),
        // leaving 0–1 as a half cycle.
        assert_eq!(
            a.iter().map(key).collect::<Vec<_>>(),
            vec![(1.0, 0.5, CycleCount::Full), (1.0, 0.5, CycleCount::Half)]
        );
        // A constant or single-sample history has no cycles; an empty counter finishes quietly.
        assert!(streamed(&[0.3, 0.3, 0.3]).0.is_empty());
        assert!(streamed(&[0.3]).0.is_empty());
        assert!(streamed(&[]).0.is_empty());
        // A single monotone run is one half cycle.
        let (c, _) = streamed(&[0.0, 0.2, 0.2, 0.9]);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].range, c[0].count), (0.9, CycleCount::Half));
    }

    #[test]
    fn finish_starts_a_fresh_history_at_the_last_sample() {
        let mut counter = RainflowCounter::new();
        let mut cycles = Vec::new();
        for x in [0.0, 1.0, 0.5] {
            counter.push(x, |c| cycles.push(c));
        }
        counter.finish(|c| cycles.push(c));
        assert_eq!(cycles.len(), 2); // 0–1 and 1–0.5, halves
        counter.finish(|c| cycles.push(c));
        assert_eq!(cycles.len(), 2, "a second finish counts nothing");
        for x in [0.8, 0.5] {
            counter.push(x, |c| cycles.push(c));
        }
        counter.finish(|c| cycles.push(c));
        // The new history starts at 0.5: 0.5–0.8 and 0.8–0.5.
        assert_eq!(cycles.len(), 4);
        let depth: f64 = cycles.iter().map(Cycle::depth).sum();
        assert!((depth - counter.total_variation() / 2.0).abs() < 1e-15);
    }

    #[test]
    fn tags_and_paths_span_each_cycles_own_history() {
        // Tag = 10 × sample index; the full cycle 0.6–0.4 runs from sample 2 through sample 3
        // and back up to 0.6, two thirds of the way from sample 3 (0.4) to sample 4 (1.0).
        let samples = [1.0, 0.2, 0.6, 0.4, 1.0];
        let mut counter = RainflowCounter::new();
        let mut cycles = Vec::new();
        for (k, &x) in samples.iter().enumerate() {
            counter.push_tagged(x, 10.0 * k as f64, |c| cycles.push(c));
        }
        // The cycle closed as soon as the SoC passed back over 0.6, before 1.0 is known to be
        // a reversal.
        assert_eq!(cycles.len(), 1);
        counter.finish(|c| cycles.push(c));
        let full = cycles[0];
        assert_eq!(full.count, CycleCount::Full);
        assert!((full.tag_change - (10.0 + 10.0 / 3.0)).abs() < 1e-12);
        assert!((full.path - 0.4).abs() < 1e-15);
        // The half cycle 0.2 → 1.0 spans samples 1..4 less the full cycle inside it: a path
        // of 1.2 − 0.4 = 0.8 (its range) and a tag change of 30 − 13.33.
        let last = cycles[2];
        assert!((last.tag_change - (30.0 - (10.0 + 10.0 / 3.0))).abs() < 1e-12);
        assert!((last.path - 0.8).abs() < 1e-15);
        assert!((last.range - 0.8).abs() < 1e-15);
    }

    #[test]
    fn a_full_cycle_carries_the_conditions_of_both_its_halves() {
        // A nearly periodic history, rising at a tag rate of 1 per unit and falling at 3 (a
        // battery recharged in the cool night and discharged in the afternoon heat), whose
        // level drifts slowly up or down. Rising, each fall closes as a full cycle (its range
        // is the smaller of its neighbours'); falling, each rise does. A full cycle's mean tag
        // rate must not depend on which: every one has risen and fallen by its range, so it is
        // 2 whichever half came first (1 or 3 if it carried only that half).
        for drift in [1e-3, -1e-3] {
            let mut counter = RainflowCounter::new();
            let mut cycles = Vec::new();
            let (mut x, mut tag) = (0.5_f64, 0.0_f64);
            counter.push_tagged(x, tag, |c| cycles.push(c));
            for k in 0..50 {
                let level = 0.5 + drift * f64::from(k);
                for (to, rate) in [(level + 0.3, 1.0), (level - 0.3, 3.0)] {
                    // In ten samples, as a stepped run would see it.
                    let from = x;
                    for i in 1..=10 {
                        let next = from + (to - from) * f64::from(i) / 10.0;
                        tag += rate * (next - x).abs();
                        x = next;
                        counter.push_tagged(x, tag, |c| cycles.push(c));
                    }
                }
            }
            let full: Vec<&Cycle> = cycles
                .iter()
                .filter(|c| c.count == CycleCount::Full)
                .collect();
            assert!(
                full.len() >= 40,
                "drift {drift}: {} full cycles",
                full.len()
            );
            for c in full {
                assert!((c.path - 2.0 * c.range).abs() < 1e-12, "{c:?}");
                assert!(
                    (c.tag_change / c.path - 2.0).abs() < 1e-9,
                    "drift {drift}: {c:?}"
                );
            }
        }
    }

    #[test]
    fn the_counter_snapshots_and_resumes() {
        let samples: Vec<f64> = (0..200).map(|k| ((k * 37) % 101) as f64 / 100.0).collect();
        let (whole, _) = streamed(&samples);
        let mut counter = RainflowCounter::new();
        let mut cycles = Vec::new();
        for &x in &samples[..77] {
            counter.push(x, |c| cycles.push(c));
        }
        let json = serde_json::to_string(&counter).unwrap();
        let mut resumed: RainflowCounter = serde_json::from_str(&json).unwrap();
        assert_eq!(resumed, counter);
        for &x in &samples[77..] {
            resumed.push(x, |c| cycles.push(c));
        }
        resumed.finish(|c| cycles.push(c));
        assert_eq!(cycles, whole);
    }

    /// The residue of long random histories stays short (see the module docs' bound).
    #[test]
    fn the_residue_stays_short() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(10);
        // A year of independent hourly SoC samples (the worst case for the residue: every
        // sample a reversal about half the time), and a month of a minute random walk.
        let mut counter = RainflowCounter::new();
        let mut longest = 0;
        for _ in 0..8760 {
            counter.push(rng.random::<f64>(), |_| {});
            longest = longest.max(counter.residue_len());
        }
        assert!(longest <= 40, "hourly: residue reached {longest}");
        let mut counter = RainflowCounter::new();
        let (mut soc, mut longest) = (0.5_f64, 0);
        for _ in 0..30 * 1440 {
            soc = (soc + rng.random_range(-0.01..0.01)).clamp(0.0, 1.0);
            counter.push(soc, |_| {});
            longest = longest.max(counter.residue_len());
        }
        assert!(longest <= 40, "minute walk: residue reached {longest}");
    }

    /// Random histories: real-valued ones, and integer-valued ones full of ties and plateaus.
    fn histories() -> impl Strategy<Value = Vec<f64>> {
        prop_oneof![
            prop::collection::vec(-1.0e3..1.0e3_f64, 0..300),
            prop::collection::vec((-5i32..=5).prop_map(f64::from), 0..300),
            prop::collection::vec(0.0..1.0_f64, 0..2000),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Full cycles × range plus half cycles × range / 2 is half the total variation,
        /// residue included.
        #[test]
        fn counted_depth_is_half_the_total_variation(samples in histories()) {
            let (cycles, counter) = streamed(&samples);
            let depth: f64 = cycles.iter().map(Cycle::depth).sum();
            let tv = total_variation(&samples);
            prop_assert!((depth - tv / 2.0).abs() <= DEPTH_REL_TOL * tv.max(f64::MIN_POSITIVE),
                "depth {depth} vs TV/2 {}", tv / 2.0);
            prop_assert!((counter.total_variation() - tv).abs() <= DEPTH_REL_TOL * tv.max(f64::MIN_POSITIVE));
        }

        /// Streaming gives the cycles of the two-pass batch count, in the same order (a full
        /// cycle's path to rounding), so every running total agrees too.
        #[test]
        fn streaming_equals_batch(samples in histories()) {
            let (streaming, _) = streamed(&samples);
            let batch = count_cycles(&samples);
            // The same cycles; a full cycle's path ends where the history passed back over its
            // first reversal, found from the sample that closed it (streaming) or from the
            // turning point after it (batch), which round differently in the last place.
            let tol = 1e-12 * total_variation(&samples).max(1.0);
            prop_assert_eq!(streaming.len(), batch.len());
            for (a, b) in streaming.iter().zip(&batch) {
                prop_assert_eq!((a.range, a.mean, a.count, a.tag_change), (b.range, b.mean, b.count, b.tag_change));
                prop_assert!((a.path - b.path).abs() <= tol, "{a:?} vs {b:?}");
            }
            let totals = |cs: &[Cycle]| cs.iter().scan(0.0, |acc, c| { *acc += c.depth(); Some(*acc) }).collect::<Vec<f64>>();
            prop_assert_eq!(totals(&streaming), totals(&batch));
        }

        /// With the total variation itself as the tag, every cycle's tag change is its path:
        /// a full cycle's crossing back over its first reversal's level always lies in the
        /// step that closed it, where the tag is interpolated (were it earlier, the clamped
        /// interpolation would fall short of the path).
        #[test]
        fn a_full_cycle_closes_in_the_step_that_crosses_back(samples in histories()) {
            let mut counter = RainflowCounter::new();
            let mut cycles = Vec::new();
            let mut tv = 0.0;
            for (k, &x) in samples.iter().enumerate() {
                if k > 0 {
                    tv += (x - samples[k - 1]).abs();
                }
                counter.push_tagged(x, tv, |c| cycles.push(c));
            }
            counter.finish(|c| cycles.push(c));
            let tol = 1e-12 * tv.max(1.0);
            for c in &cycles {
                prop_assert!((c.tag_change - c.path).abs() <= tol, "{c:?}");
            }
        }

        /// The cycles partition the history: each cycle's path is its range (half) or twice
        /// it (full), and their tag changes, the residue's half cycles included, add up to the
        /// tag's whole change, for any tag that only grows.
        #[test]
        fn the_cycles_partition_the_history(
            samples in histories(),
            rates in prop::collection::vec(0.0f64..10.0, 1..50),
        ) {
            let mut counter = RainflowCounter::new();
            let mut cycles = Vec::new();
            let mut tag = 0.0;
            for (k, &x) in samples.iter().enumerate() {
                if k > 0 {
                    tag += rates[k % rates.len()] * (x - samples[k - 1]).abs();
                }
                counter.push_tagged(x, tag, |c| cycles.push(c));
            }
            counter.finish(|c| cycles.push(c));
            let tv = total_variation(&samples);
            let tol = 1e-12 * tv.max(1.0);
            for c in &cycles {
                let own = c.range * if c.count == CycleCount::Full { 2.0 } else { 1.0 };
                prop_assert!((c.path - own).abs() <= tol, "{:?}", c);
            }
            let tags: f64 = cycles.iter().map(|c| c.tag_change).sum();
            prop_assert!((tags - tag).abs() <= 1e-12 * tag.max(1.0) * 10.0, "{} vs {}", tags, tag);
        }

        /// The residue's weight is, at every sample, the weights of the half cycles that
        /// `finish` would count then, short of the last one (the latest monotone run), summed
        /// oldest first: bit for bit, whatever cycles closed and left the residue before.
        #[test]
        fn the_residue_weight_is_what_finish_would_count_short_of_the_last_run(
            samples in histories(),
        ) {
            // A weight of the range and of the tag change along it, as the battery's fade is.
            let weigh = |c: Cycle| c.range * c.range + 0.25 * c.tag_change;
            let mut counter = RainflowCounter::new();
            let mut tv = 0.0;
            for (k, &x) in samples.iter().enumerate() {
                if k > 0 {
                    tv += (x - samples[k - 1]).abs();
                }
                counter.push_weighted(x, (1.0 + tv).ln(), weigh, |_| {});
                let mut halves = Vec::new();
                counter.clone().finish(|c| halves.push(c));
                let short_of_last = halves.len().saturating_sub(1);
                let want = halves[..short_of_last].iter().fold(0.0, |acc, &c| acc + weigh(c));
                prop_assert_eq!(counter.residue_weight(), want, "at sample {}", k);
            }
        }

        /// The four-point count and the standard's three-point procedure give the same cycle
        /// table (they may split a range into two halves or one whole differently when ranges
        /// tie at the starting point, never the table).
        #[test]
        fn four_point_agrees_with_the_astm_three_point_procedure(samples in histories()) {
            let (streaming, _) = streamed(&samples);
            let four = histogram(streaming.iter().map(|c| (c.range, c.mean, c.count.weight())));
            let three = histogram(astm_three_point(&samples));
            prop_assert_eq!(four, three);
        }
    }
}
