//! Live sources in the dashboard: the datasets whose file, URL or API the
//! operator set to refresh every N seconds (kept with the workspace, by
//! source), refreshed in background jobs (`sources::live`), with the
//! status the top bar shows ("live · updated 12 s ago") and, for a source
//! that fails, its last error and the next try (with backoff). A refresh
//! that finds nothing new changes nothing and repaints nothing; the frame
//! loop is only woken when the next refresh is due.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::data::{Dataset, LoadError, Source};
use crate::sources::live::{Refreshed, Watch, backoff};

/// The intervals offered in the Data view, seconds.
pub const CHOICES: [u64; 6] = [10, 30, 60, 300, 900, 3600];

/// The key a refresh setting is kept under: the path or URL.
pub fn source_key(ds: &Dataset) -> Option<String> {
    match &ds.source {
        Source::File(p) => Some(p.display().to_string()),
        Source::Url(u) => Some(u.clone()),
        Source::Database(db) => Some(db.describe()),
        Source::Demo(_) | Source::Derived(_) | Source::Stream(_) => None,
    }
}

/// One live source's state while the app runs.
#[derive(Debug)]
pub struct SourceState {
    pub every: Duration,
    /// What the source looked like at the last refresh; taken by the job
    /// while it runs.
    watch: Option<Watch>,
    pub running: bool,
    pub next_due: Instant,
    pub last_ok: Option<Instant>,
    /// New rows of the last refresh that found any.
    pub last_added: usize,
    pub last_error: Option<String>,
    pub failures: u32,
}

/// A refresh to start: the dataset and what its source looked like.
pub struct Due {
    pub key: String,
    pub id: u64,
    pub dataset: std::sync::Arc<Dataset>,
    pub watch: Option<Watch>,
}

/// What a finished refresh job hands back.
#[derive(Debug)]
pub struct Done {
    pub key: String,
    pub id: u64,
    pub watch: Watch,
    pub result: Result<Refreshed, LoadError>,
}

/// Every live source's state.
#[derive(Debug, Default)]
pub struct Live {
    pub states: HashMap<String, SourceState>,
}

impl Live {
    /// The refreshes due now; also drops the state of sources no longer
    /// open or live, and returns when the next one falls due.
    pub fn due(
        &mut self,
        settings: &std::collections::BTreeMap<String, u64>,
        datasets: &[super::state::DatasetEntry],
        now: Instant,
    ) -> (Vec<Due>, Option<Instant>) {
        let open: Vec<(String, &super::state::DatasetEntry)> = datasets
            .iter()
            .filter_map(|e| source_key(&e.dataset).map(|k| (k, e)))
            .filter(|(k, _)| settings.contains_key(k))
            .collect();
        self.states.retain(|k, _| open.iter().any(|(o, _)| o == k));
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        for (key, entry) in open {
            let every = Duration::from_secs(settings.get(&key).copied().unwrap_or(60));
            let state = self
                .states
                .entry(key.clone())
                .or_insert_with(|| SourceState {
                    every,
                    watch: None,
                    running: false,
                    // A file's first look records it as loaded; a URL was
                    // just fetched.
                    next_due: if matches!(entry.dataset.source, Source::File(_)) {
                        now
                    } else {
                        now + every
                    },
                    last_ok: None,
                    last_added: 0,
                    last_error: None,
                    failures: 0,
                });
            if state.every != every {
                state.every = every;
                state.next_due = now.min(state.next_due);
            }
            if state.running {
                continue;
            }
            if now >= state.next_due {
                state.running = true;
                due.push(Due {
                    key,
                    id: entry.id,
                    dataset: std::sync::Arc::clone(&entry.dataset),
                    watch: state.watch.take(),
                });
            } else {
                next = Some(next.map_or(state.next_due, |n: Instant| n.min(state.next_due)));
            }
        }
        (due, next)
    }

    /// Records a finished refresh; returns the new dataset when it changed.
    pub fn finish(&mut self, done: Done, now: Instant) -> Option<Box<Dataset>> {
        let state = self.states.get_mut(&done.key)?;
        state.running = false;
        state.watch = Some(done.watch);
        match done.result {
            Ok(r) => {
                state.failures = 0;
                state.last_error = None;
                state.last_ok = Some(now);
                state.next_due = now + state.every;
                match r {
                    Refreshed::Unchanged => None,
                    Refreshed::Changed { dataset, added, .. } => {
                        state.last_added = added;
                        Some(dataset)
                    }
                }
            }
            Err(e) => {
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(e.to_string());
                state.next_due = now + backoff(state.every, state.failures);
                None
            }
        }
    }

    /// The status line for the top bar, and when it next changes; `None`
    /// when no source is live.
    /// `feeds`: the MQTT feeds' (count, failing, newest reading).
    pub fn status(
        &self,
        now: Instant,
        feeds: (usize, usize, Option<Instant>),
    ) -> Option<(String, bool, Duration)> {
        let (n_feeds, feeds_failing, feeds_newest) = feeds;
        if self.states.is_empty() && n_feeds == 0 {
            return None;
        }
        let failing: Vec<&SourceState> = self
            .states
            .values()
            .filter(|s| s.last_error.is_some())
            .collect();
        if let Some(s) = failing.first() {
            let wait = s.next_due.saturating_duration_since(now).as_secs();
            let text = crate::trf!(
                "live · {} of {} sources failing · next try in {} s",
                failing.len() + feeds_failing,
                self.states.len() + n_feeds,
                wait
            );
            return Some((text, true, Duration::from_secs(1)));
        }
        if feeds_failing > 0 {
            let text = crate::trf!(
                "live · {} of {} feeds disconnected · trying again",
                feeds_failing,
                n_feeds
            );
            return Some((text, true, Duration::from_secs(1)));
        }
        let newest = self
            .states
            .values()
            .filter_map(|s| s.last_ok)
            .chain(feeds_newest)
            .max();
        let Some(at) = newest else {
            return Some((
                super::i18n::tr("live · first refresh").to_owned(),
                false,
                Duration::from_secs(1),
            ));
        };
        let age = now.saturating_duration_since(at).as_secs();
        // Seconds for the first minute, then minutes: the label changes
        // (and the frame repaints) no more often than it must.
        if age < 60 {
            Some((
                crate::trf!("live · updated {} s ago", age),
                false,
                Duration::from_secs(1),
            ))
        } else {
            Some((
                crate::trf!("live · updated {} min ago", age / 60),
                false,
                Duration::from_secs(60 - age % 60),
            ))
        }
    }

    /// Each live source's details, for the status line's hover text.
    /// `feeds`: the MQTT feeds' lines.
    pub fn details(&self, now: Instant, feeds: Vec<String>) -> String {
        let mut lines: Vec<String> = self
            .states
            .iter()
            .map(|(key, s)| {
                let when = s.last_ok.map_or_else(
                    || super::i18n::tr("not yet").to_owned(),
                    |t| crate::trf!("{} s ago", now.saturating_duration_since(t).as_secs()),
                );
                let mut line = crate::trf!(
                    "{}: every {} s, updated {}, {} new rows last time",
                    key,
                    s.every.as_secs(),
                    when,
                    s.last_added
                );
                if let Some(e) = &s.last_error {
                    line.push_str(&crate::trf!(
                        "\n  failing ({} in a row): {}\n  next try in {} s; the data already shown is kept",
                        s.failures,
                        e,
                        s.next_due.saturating_duration_since(now).as_secs()
                    ));
                }
                line
            })
            .collect();
        lines.sort();
        lines.extend(feeds);
        lines.join("\n")
    }
}

/// The refresh job: what the source has new.
pub fn run(
    due: Due,
    opts: &crate::data::LoadOptions,
    progress: &dyn crate::data::Progress,
) -> Done {
    let Due {
        key,
        id,
        dataset,
        watch,
    } = due;
    let (mut watch, first) = match watch {
        Some(w) => (w, false),
        None => (Watch::start(&dataset), true),
    };
    let result = if first && matches!(dataset.source, Source::File(_)) {
        // A file's first look only records it as loaded.
        Ok(Refreshed::Unchanged)
    } else {
        watch.refresh(&dataset, opts, progress)
    };
    Done {
        key,
        id,
        watch,
        result,
    }
}
