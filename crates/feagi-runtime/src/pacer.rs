//! [`Pacer`]: burst deadlines at a fixed rate, with FEAGI-rust's one catch-up rule.

use std::time::{Duration, Instant};

use crate::burst_loop::LoopError;

/// The longest slice [`Pacer::wait_unless`] sleeps before it asks whether
/// to stop.
pub const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(20);

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
    /// thread when the next burst is not due yet. The sleep cannot be cut
    /// short: a loop that must stop promptly (on a signal, say) uses
    /// [`Pacer::wait_unless`].
    pub fn wait(&mut self) -> Pace {
        let pace = self.burst_done(Instant::now());
        if let Pace::SleepUntil(deadline) = pace {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        }
        pace
    }

    /// [`Pacer::wait`] that gives up sleeping as soon as `stop` returns true:
    /// the sleep is taken in slices of at most [`STOP_CHECK_INTERVAL`] and
    /// `stop` is asked before each, so a stop is noticed within that time
    /// whatever the period (a 100 s period at 0.01 Hz included).
    ///
    /// The schedule advances exactly as with [`Pacer::burst_done`] (the same
    /// catch-up rule, the same returned [`Pace`]); only the sleep ends early.
    /// The caller tells a stop from a deadline by its own flag.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::{Duration, Instant};
    /// use feagi_runtime::Pacer;
    ///
    /// let stop = AtomicBool::new(true);
    /// let mut pacer = Pacer::new(Duration::from_secs(100), Instant::now());
    /// let t0 = Instant::now();
    /// pacer.wait_unless(|| stop.load(Ordering::SeqCst));
    /// assert!(t0.elapsed() < Duration::from_secs(1));
    /// ```
    pub fn wait_unless(&mut self, mut stop: impl FnMut() -> bool) -> Pace {
        let pace = self.burst_done(Instant::now());
        if let Pace::SleepUntil(deadline) = pace {
            while !stop() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(STOP_CHECK_INTERVAL));
            }
        }
        pace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn on_time_bursts_sleep_until_the_next_deadline() {
        let t0 = Instant::now();
        let mut p = Pacer::new(ms(10), t0);
        assert_eq!(p.burst_done(t0 + ms(3)), Pace::SleepUntil(t0 + ms(10)));
        assert_eq!(p.burst_done(t0 + ms(12)), Pace::SleepUntil(t0 + ms(20)));
        assert_eq!(p.due(), t0 + ms(20));
    }

    #[test]
    fn late_by_at_most_one_period_catches_up_and_keeps_the_schedule() {
        let t0 = Instant::now();
        let mut p = Pacer::new(ms(10), t0);
        // The first burst (due t0) ends at t0+15: the second (due t0+10) starts at once.
        assert_eq!(p.burst_done(t0 + ms(15)), Pace::CatchUp);
        assert_eq!(p.due(), t0 + ms(10));
        // It ends at t0+18: the third stays due at t0+20, not t0+28.
        assert_eq!(p.burst_done(t0 + ms(18)), Pace::SleepUntil(t0 + ms(20)));
        // Exactly one period late still keeps the schedule.
        assert_eq!(p.burst_done(t0 + ms(40)), Pace::CatchUp);
        assert_eq!(p.due(), t0 + ms(30));
        assert_eq!(p.burst_done(t0 + ms(38)), Pace::SleepUntil(t0 + ms(40)));
    }

    #[test]
    fn behind_by_more_than_one_period_restarts_from_now() {
        let t0 = Instant::now();
        let mut p = Pacer::new(ms(10), t0);
        // A 35 ms burst: the second burst (due t0+10) is 25 ms late.
        assert_eq!(p.burst_done(t0 + ms(35)), Pace::Restart);
        assert_eq!(p.due(), t0 + ms(35));
        // The missed bursts are dropped: the next is due one period after now.
        assert_eq!(p.burst_done(t0 + ms(37)), Pace::SleepUntil(t0 + ms(45)));
        // One period and a hair late restarts too.
        // (The burst due at t0+45 is followed by one due at t0+55.)
        let late = t0 + ms(55) + ms(10) + Duration::from_micros(1);
        assert_eq!(p.burst_done(late), Pace::Restart);
    }

    #[test]
    fn a_schedule_beyond_the_clock_restarts() {
        let t0 = Instant::now();
        let mut p = Pacer::new(Duration::MAX, t0);
        assert_eq!(p.burst_done(t0 + ms(1)), Pace::Restart);
        assert_eq!(p.due(), t0 + ms(1));
    }

    #[test]
    fn wait_unless_keeps_the_schedule_and_stops_within_a_slice() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        // Not stopped: it sleeps to the deadline, like `wait`.
        let t0 = Instant::now();
        let mut p = Pacer::new(ms(30), t0);
        assert_eq!(p.wait_unless(|| false), Pace::SleepUntil(t0 + ms(30)));
        assert!(Instant::now() >= t0 + ms(30));
        // The catch-up rule is the same: a burst that ends late starts at once.
        std::thread::sleep(ms(45));
        assert_eq!(p.wait_unless(|| false), Pace::CatchUp);

        // A 100 s period: a stop set from another thread ends the sleep
        // within a slice, not a period.
        let stop = Arc::new(AtomicBool::new(false));
        let setter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(ms(50));
                stop.store(true, Ordering::SeqCst);
            })
        };
        let t1 = Instant::now();
        let mut slow = Pacer::new(Duration::from_secs(100), t1);
        let pace = slow.wait_unless(|| stop.load(Ordering::SeqCst));
        let took = t1.elapsed();
        setter.join().unwrap();
        assert_eq!(pace, Pace::SleepUntil(t1 + Duration::from_secs(100)));
        assert!(took >= ms(50), "{took:?}");
        assert!(took < ms(50) + STOP_CHECK_INTERVAL + ms(500), "{took:?}");
        // Already stopped: no sleep at all.
        let t2 = Instant::now();
        slow.wait_unless(|| true);
        assert!(t2.elapsed() < ms(500));
    }

    #[test]
    fn frequency_is_validated() {
        let t0 = Instant::now();
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e-7] {
            assert!(
                matches!(Pacer::from_hz(bad, t0), Err(LoopError::InvalidFrequency(_))),
                "{bad}"
            );
        }
        assert_eq!(period_from_hz(100.0), Ok(ms(10)));
        assert!(period_from_hz(MIN_FREQUENCY_HZ).is_ok());
    }
}
