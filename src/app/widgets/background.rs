//! Results a view computes from its inputs, computed off the UI thread.
//!
//! A view asks for the value for a key (dataset revision, time range,
//! selection). When the key changes, the work starts as a background job and
//! the view keeps showing the previous value with an "Updating…" note until
//! the new one arrives; a job for a key that is no longer wanted is
//! cancelled (its result is dropped).
//!
//! The job runs in the language of the thread that asked for it (the text
//! it formats is for the UI), and a change of language counts as a change
//! of key, so the value is computed again in the new language.

use std::sync::Arc;

use crate::app::i18n::{self, Lang, tr};
use crate::jobs::{Job, JobProgress};

pub struct Background<K, V> {
    /// The key of `value`, with the language it was computed in.
    done: Option<(K, Lang)>,
    value: Option<Arc<V>>,
    running: Option<((K, Lang), Job<V>)>,
}

impl<K, V> Default for Background<K, V> {
    fn default() -> Self {
        Self {
            done: None,
            value: None,
            running: None,
        }
    }
}

impl<K: PartialEq + Clone, V: Send + 'static> Background<K, V> {
    /// Makes sure the value for `key` is (being) computed. `make_work` is
    /// called only when a new job is needed and returns the work to run.
    pub fn ensure<W>(&mut self, ctx: &egui::Context, key: &K, make_work: impl FnOnce() -> W)
    where
        W: FnOnce(&JobProgress) -> V + Send + 'static,
    {
        let lang = i18n::current();
        self.poll();
        if self
            .done
            .as_ref()
            .is_some_and(|(k, l)| k == key && *l == lang)
        {
            return;
        }
        if self
            .running
            .as_ref()
            .is_some_and(|((k, l), _)| k == key && *l == lang)
        {
            return;
        }
        if let Some((_, old)) = self.running.take() {
            old.cancel();
        }
        let c = ctx.clone();
        let wake = Arc::new(move || c.request_repaint());
        let work = make_work();
        let job = Job::spawn("view", wake, move |p: &JobProgress| {
            i18n::set(lang);
            work(p)
        });
        match job {
            Ok(job) => self.running = Some(((key.clone(), lang), job)),
            Err(_) => {
                // No thread to be had: leave the old value; the next frame
                // tries again.
                ctx.request_repaint_after(std::time::Duration::from_millis(200));
            }
        }
    }

    fn poll(&mut self) {
        let Some((_, job)) = &mut self.running else {
            return;
        };
        // Lost first: after `try_result` has seen the thread gone, a
        // panicked job would look like a running one for ever.
        if job.is_lost() {
            self.running = None;
        } else if let Some(v) = job.try_result()
            && let Some((k, _)) = self.running.take()
        {
            self.done = Some(k);
            self.value = Some(Arc::new(v));
        }
    }

    /// The latest finished value (maybe for an older key).
    pub fn value(&self) -> Option<Arc<V>> {
        self.value.clone()
    }

    /// True while a newer value is being computed: a job whose thread has
    /// ended is not busy, even before its view is drawn again and takes
    /// the value.
    pub fn is_busy(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|(_, job)| job.is_running())
    }
}

/// A small "Updating…" note with a spinner while `busy`.
pub fn updating_ui(ui: &mut egui::Ui, busy: bool) {
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(tr("Updating…"));
        });
    }
}
