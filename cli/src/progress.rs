//! Progress bars (indicatif) on standard error: over samples for Monte Carlo studies, over steps
//! for single runs, a spinner for sweeps. Hidden with `--quiet`, under CI (`CI` set) and, as
//! indicatif does, when standard error is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ridethrough::prelude::{Recorder, StepRecord};
use std::time::Duration as WallTime;

/// Steps between two updates of a single run's bar (an update costs far more than a step).
const STEPS_PER_TICK: u64 = 1 << 14;

/// Makes the bars of one program run.
#[derive(Debug, Clone, Copy)]
pub struct Bars {
    hidden: bool,
}

impl Bars {
    /// Bars, hidden when `quiet` or under CI.
    pub fn new(quiet: bool) -> Bars {
        Bars {
            hidden: quiet || std::env::var_os("CI").is_some(),
        }
    }

    /// A bar over `len` units with `template` (indicatif's syntax).
    fn styled(&self, len: u64, template: &str) -> ProgressBar {
        let bar = ProgressBar::new(len);
        bar.set_style(ProgressStyle::with_template(template).expect("the templates are valid"));
        if self.hidden {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar
    }

    /// A bar over `samples` Monte Carlo samples, with a message (e.g. the running EUE).
    pub fn samples(&self, samples: u64) -> ProgressBar {
        self.styled(
            samples,
            "{bar:40} {pos}/{len} samples, {elapsed_precise} elapsed, ETA {eta} {msg}",
        )
    }

    /// A bar over the `steps` of one run.
    pub fn steps(&self, steps: u64) -> ProgressBar {
        self.styled(
            steps,
            "{bar:40} {pos}/{len} steps, {elapsed_precise} elapsed {msg}",
        )
    }

    /// A spinner for work without a count (a survival sweep), with `message`.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        let bar = self.styled(0, "{spinner} {msg} ({elapsed_precise})");
        bar.set_message(message.to_string());
        if !self.hidden {
            bar.enable_steady_tick(WallTime::from_millis(120));
        }
        bar
    }
}

/// A recorder that passes every row to `inner` and moves `bar` to the step every
/// [`STEPS_PER_TICK`] steps; it wants every step only if `inner` does, so a run without a trace
/// still fast-forwards.
pub struct Ticking<'a, R> {
    /// The recorder wrapped.
    pub inner: R,
    bar: &'a ProgressBar,
    next: u64,
}

impl<'a, R> Ticking<'a, R> {
    /// Wraps `inner`, ticking `bar`.
    pub fn new(inner: R, bar: &'a ProgressBar) -> Self {
        Ticking {
            inner,
            bar,
            next: 0,
        }
    }
}

impl<R: Recorder> Recorder for Ticking<'_, R> {
    #[inline]
    fn record(&mut self, row: &StepRecord) {
        self.inner.record(row);
        if row.step >= self.next {
            self.bar.set_position(row.step);
            self.next = row.step + STEPS_PER_TICK;
        }
    }

    fn wants_every_step(&self) -> bool {
        self.inner.wants_every_step()
    }
}
