//! MQTT feeds in the dashboard: each feed the operator follows runs on a
//! thread of its own (`sources::mqtt::follow`), and hands over a snapshot
//! of its window with each batch of readings (at most five a second),
//! waking the frame loop only then; the frame takes it into the workspace as a new revision of the
//! feed's dataset, so the panels, maps and alerts of a dashboard update as
//! readings are published. Closing the dataset stops its feed. The top
//! bar's live status counts feeds with the refreshed sources.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::data::{Dataset, Progress};
use crate::sources::mqtt::{self, Address, FeedEvent, FeedOptions, Window};

/// What a feed's thread shares with the frame loop.
#[derive(Default)]
struct Shared {
    /// The newest snapshot of the window, not yet taken.
    snapshot: Option<Dataset>,
    subscribed: bool,
    last_reading: Option<Instant>,
    received: u64,
    malformed: u64,
    /// The last connection failure, and when the next try is.
    error: Option<(String, Instant)>,
}

struct Stop(Arc<AtomicBool>);

impl Progress for Stop {
    fn report(&self, _: f32, _: &str) {}

    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One followed feed.
struct Feed {
    /// The workspace dataset it feeds (`None` before its first readings).
    id: Option<u64>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Every followed feed, by address (as shown, without a password).
#[derive(Default)]
pub struct Feeds {
    feeds: HashMap<String, Feed>,
}

impl std::fmt::Debug for Feeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.feeds.keys()).finish()
    }
}

impl Feeds {
    /// Starts following `url`; an address that cannot be read is the
    /// error, for the operator.
    pub fn follow(
        &mut self,
        url: &str,
        time_zone: jiff::tz::TimeZone,
        ctx: &egui::Context,
    ) -> Result<String, String> {
        let address = Address::parse(url)?;
        let key = address.shown.clone();
        if self.feeds.contains_key(&key) {
            return Ok(key);
        }
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let name = address.name();
        let opts = FeedOptions {
            time_zone,
            ..FeedOptions::default()
        };
        {
            let (shared, stop, ctx) = (Arc::clone(&shared), Arc::clone(&stop), ctx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("cityops-feed {key}"))
                .spawn(move || {
                    let progress = Stop(stop);
                    let mut on = |event: FeedEvent, window: &Window| {
                        let Ok(mut s) = shared.lock() else {
                            return;
                        };
                        match event {
                            FeedEvent::Subscribed => {
                                s.subscribed = true;
                                s.error = None;
                            }
                            FeedEvent::Lost { message, retry_in } => {
                                s.subscribed = false;
                                s.error = Some((message, Instant::now() + retry_in));
                            }
                            FeedEvent::Malformed { .. } => {}
                            // At most five a second: the feed adds
                            // readings to its window in 200 ms batches.
                            FeedEvent::Readings { .. } => {
                                s.last_reading = Some(Instant::now());
                                s.snapshot = window.dataset(&name, &address.shown);
                            }
                        }
                        s.received = window.received;
                        s.malformed = window.malformed;
                        drop(s);
                        ctx.request_repaint();
                    };
                    if let Err(e) = mqtt::follow(&address, &opts, &progress, &mut on)
                        && let Ok(mut s) = shared.lock()
                    {
                        s.error = Some((e.to_string(), Instant::now() + Duration::from_secs(3600)));
                    }
                });
            if let Err(e) = spawned {
                return Err(e.to_string());
            }
        }
        self.feeds.insert(
            key.clone(),
            Feed {
                id: None,
                shared,
                stop,
            },
        );
        Ok(key)
    }

    /// The snapshots that arrived since the last frame, with the dataset
    /// each replaces (`None`: the feed's first, to add). Feeds whose dataset
    /// was closed (`is_open` false) are stopped.
    pub fn take(&mut self, is_open: impl Fn(u64) -> bool) -> Vec<(String, Option<u64>, Dataset)> {
        self.feeds.retain(|_, f| f.id.is_none_or(&is_open));
        let mut out = Vec::new();
        for (key, f) in &self.feeds {
            if let Ok(mut s) = f.shared.lock()
                && let Some(ds) = s.snapshot.take()
            {
                out.push((key.clone(), f.id, ds));
            }
        }
        out
    }

    /// Records the workspace dataset a feed's first snapshot became.
    pub fn set_id(&mut self, key: &str, id: u64) {
        if let Some(f) = self.feeds.get_mut(key) {
            f.id = Some(id);
        }
    }

    /// (feeds, failing, the newest reading) for the top bar.
    pub fn summary(&self) -> (usize, usize, Option<Instant>) {
        let mut failing = 0;
        let mut newest: Option<Instant> = None;
        for f in self.feeds.values() {
            if let Ok(s) = f.shared.lock() {
                if s.error.is_some() {
                    failing += 1;
                }
                newest = newest.max(s.last_reading);
            }
        }
        (self.feeds.len(), failing, newest)
    }

    /// One line per feed, for the status line's hover text.
    pub fn details(&self, now: Instant) -> Vec<String> {
        let mut lines: Vec<String> = self
            .feeds
            .iter()
            .filter_map(|(key, f)| {
                let s = f.shared.lock().ok()?;
                let when = s.last_reading.map_or_else(
                    || super::i18n::tr("not yet").to_owned(),
                    |t| crate::trf!("{} s ago", now.saturating_duration_since(t).as_secs()),
                );
                let mut line = crate::trf!(
                    "{}: {} readings, {} malformed, the latest {}",
                    key,
                    s.received,
                    s.malformed,
                    when
                );
                if let Some((e, at)) = &s.error {
                    line.push_str(&crate::trf!(
                        "\n  disconnected: {}\n  next try in {} s; the readings held are kept",
                        e,
                        at.saturating_duration_since(now).as_secs()
                    ));
                }
                Some(line)
            })
            .collect();
        lines.sort();
        lines
    }
}
