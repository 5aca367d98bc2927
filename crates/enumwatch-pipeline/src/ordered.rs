//! The last stage of a hunt: alerts arrive in output order, marked by tuning when they were
//! built; the shown ones (and, when asked, the suppressed ones) go to the caller, and the
//! suppressed ones are counted by entry.
//!
//! With `--show-suppressed` the output is the shown alerts and the suppressed ones sorted
//! together, the shown first among alerts that tie in the order (same time, evidence and
//! rule): a suppressed alert waits until the alerts it ties with have gone by.

use enumwatch_alert::{Alert, alert_order};
use enumwatch_event::RunStats;

pub(crate) struct Ordered<'a, 'e> {
    show_suppressed: bool,
    emit: &'e mut dyn FnMut(&Alert) -> bool,
    stats: &'a mut RunStats,
    /// Suppressed alerts, marked, waiting for the end of the alerts they tie with.
    waiting: Vec<Alert>,
    stopped: bool,
}

impl<'a, 'e> Ordered<'a, 'e> {
    pub(crate) fn new(
        show_suppressed: bool,
        emit: &'e mut dyn FnMut(&Alert) -> bool,
        stats: &'a mut RunStats,
    ) -> Self {
        stats.alerts = 0;
        Self {
            show_suppressed,
            emit,
            stats,
            waiting: Vec::new(),
            stopped: false,
        }
    }

    /// The caller asked to stop: later alerts are not judged or handed over.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// The next alert in output order.
    pub(crate) fn put(&mut self, alert: &Alert) {
        if self.stopped {
            return;
        }
        if self
            .waiting
            .first()
            .is_some_and(|w| alert_order(w, alert).is_ne())
        {
            self.release();
        }
        match &alert.suppressed_by {
            None => {
                self.stats.alerts += 1;
                self.hand(alert);
            }
            Some(suppression) => {
                *self
                    .stats
                    .suppressed
                    .entry(suppression.entry.clone())
                    .or_default() += 1;
                if self.show_suppressed {
                    self.waiting.push(alert.clone());
                }
            }
        }
    }

    /// Hand over what still waits.
    pub(crate) fn finish(mut self) {
        self.release();
    }

    fn release(&mut self) {
        for alert in std::mem::take(&mut self.waiting) {
            self.hand(&alert);
        }
    }

    fn hand(&mut self, alert: &Alert) {
        if !self.stopped && !(self.emit)(alert) {
            self.stopped = true;
        }
    }
}
