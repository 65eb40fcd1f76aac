//! [`Pacer`]: burst deadlines at a fixed rate, with FEAGI-rust's one catch-up rule.

use std::time::{Duration, Instant};

use crate::burst_loop::LoopError;

/// The slowest rate accepted: one burst in about 11.6 days.
pub const MIN_FREQUENCY_HZ: f64 = 1e-6;

/// The burst period of `frequency_hz` bursts per second; the rate must be
/// finite and at least [`MIN_FREQUENCY_HZ`].
pub fn period_from_hz(frequency_hz: f64) -> Result<Duration, LoopError> {
    if !(frequency_hz.is_finite() && frequency_hz >= MIN_FREQUENCY_HZ) {
        return Err(LoopError::InvalidFrequency(frequency_hz));
    }
    Duration::try_from_secs_f64(1.0 / frequency_hz)
        .map_err(|_| LoopError::InvalidFrequency(frequency_hz))
}

/// What to do after a burst, as decided by [`Pacer::burst_done`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// On time: sleep until this instant, then start the next burst.
    SleepUntil(Instant),
    /// Late by at most one period: start the next burst at once and keep the
    /// schedule (later deadlines stay where they were).
    CatchUp,
    /// Behind by more than one period: start the next burst at once and
    /// restart the schedule from now. Missed bursts are never run.
    Restart,
}

/// Deadline arithmetic for bursts at a fixed rate.
///
/// The catch-up rule (the only one in feagi-rust; the CLI, Python and the
/// [`BurstLoop`](crate::BurstLoop) all use it): burst k is due one period
/// after burst k-1 was due. When a burst ends before the next deadline, sleep
/// until it. When it ends late by at most one period, start the next burst at
/// once and keep the schedule, so the average rate recovers. When it ends
/// behind by more than one period, start at once and restart the schedule
/// from now: the pacer never bursts back-to-back to make up for lost bursts.
///
/// Times are passed in, so a synchronous loop (`feagi-npu run`), a
/// background thread and tests all drive the same arithmetic.
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    period: Duration,
    /// When the current (last started) burst was due.
    due: Instant,
}

impl Pacer {
    /// A pacer whose first burst is due at `start`.
    pub fn new(period: Duration, start: Instant) -> Self {
        Pacer { period, due: start }
    }

    /// A pacer at `frequency_hz` bursts per second (see [`period_from_hz`]).
    pub fn from_hz(frequency_hz: f64, start: Instant) -> Result<Self, LoopError> {
        Ok(Self::new(period_from_hz(frequency_hz)?, start))
    }

    /// The time between burst starts.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// When the last started burst was due.
    pub fn due(&self) -> Instant {
        self.due
    }

    /// Records that a burst ended at `now` and says when the next starts.
    pub fn burst_done(&mut self, now: Instant) -> Pace {
        let Some(next) = self.due.checked_add(self.period) else {
            // The schedule left the clock's range: start over from now.
            self.due = now;
            return Pace::Restart;
        };
        self.due = next;
        if next > now {
            Pace::SleepUntil(next)
        } else if now - next > self.period {
            self.due = now;
            Pace::Restart
        } else {
            Pace::CatchUp
        }
    }

    /// [`Pacer::burst_done`] at the current time, sleeping the calling
    /// thread when the next burst is not due yet.
    pub fn wait(&mut self) -> Pace {
        let pace = self.burst_done(Instant::now());
        if let Pace::SleepUntil(deadline) = pace {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        }
        pace
    }
}
