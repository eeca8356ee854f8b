//! Live sensor readings over MQTT: a broker address with topic filters
//! (`mqtt://user@host:1883/city/sensors/#`, `mqtts://` for TLS), JSON
//! payloads — one object per reading, or a list of them — mapped to
//! columns as a JSON file's rows are (nested objects as dotted names,
//! values typed by the CSV inference; the first readings set the types and
//! later ones are converted to them, see `data::append`). Each reading
//! gets the `topic` it came on and its `received_at` time; the time axis is
//! the field the user names, else a time field the payload has, else the
//! arrival time.
//!
//! Readings are kept in a [`Window`] bounded by rows and by age, so memory
//! stays bounded however long a feed runs. A malformed payload is counted
//! (with the latest reason) and skipped, never fatal. A lost connection is
//! retried with backoff, and the subscriptions are made again on every
//! connect. The password comes from the address or `MQTT_PASSWORD`, and a
//! dataset's address never holds it.

use std::time::Duration;

use jiff::tz::TimeZone;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, Transport};
use serde_json::Value;

use crate::data::append::append_rows;
use crate::data::records::Records;
use crate::data::{Dataset, LoadError, LoadWarning, Progress, Role, Source, Table};

/// The largest payload read (bigger ones are refused by the client).
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;
/// Readings kept by default.
pub const DEFAULT_WINDOW_ROWS: usize = 100_000;
/// How often arrived readings are added to the window.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Readings that make a batch be added at once.
const FLUSH_ROWS: usize = 5_000;

/// Whether `spec` is an MQTT address.
pub fn is_mqtt(spec: &str) -> bool {
    let lower = spec.trim_start().to_ascii_lowercase();
    lower.starts_with("mqtt://") || lower.starts_with("mqtts://")
}

/// A broker and the topics to follow.
#[derive(Clone, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: Option<String>,
    password: Option<String>,
    /// Topic filters (`+` and `#` wildcards).
    pub filters: Vec<String>,
    /// The address as shown and saved: no password.
    pub shown: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Address {
    /// Reads `mqtt[s]://[user[:password]@]host[:port]/topic/filter`; more
    /// filters may follow, separated by commas. The path is taken as it is
    /// written (a `#` is a wildcard here, not a URL fragment).
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let usage = "write it as mqtt://host:1883/topic/# (mqtts:// for TLS)";
        let (tls, rest) = if let Some(r) = strip_prefix_ci(url, "mqtts://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(url, "mqtt://") {
            (false, r)
        } else {
            return Err(format!("'{url}' is not an MQTT address; {usage}"));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
                None => (Some(u.to_owned()), None),
            },
            None => (None, None),
        };
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            // [::1]:1883
            let (h, after) = h
                .split_once(']')
                .ok_or_else(|| format!("'{url}': the IPv6 address has no closing ]; {usage}"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p
                    .parse()
                    .map_err(|_| format!("'{url}': port '{p}' is not a number"))?,
                None => default_port,
            };
            (h.to_owned(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_owned(),
                    p.parse()
                        .map_err(|_| format!("'{url}': port '{p}' is not a number"))?,
                ),
                None => (hostport.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(format!("'{url}' names no broker host; {usage}"));
        }
        let filters: Vec<String> = path
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        if filters.is_empty() {
            return Err(format!("'{url}' names no topic; {usage}"));
        }
        for f in &filters {
            check_filter(f).map_err(|e| format!("'{url}': topic filter '{f}' {e}"))?;
        }
        let password = password.or_else(|| std::env::var("MQTT_PASSWORD").ok());
        let scheme = if tls { "mqtts" } else { "mqtt" };
        let who = user.as_ref().map_or_else(String::new, |u| format!("{u}@"));
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let shown = format!("{scheme}://{who}{shown_host}:{port}/{}", filters.join(","));
        Ok(Self {
            host,
            port,
            tls,
            user,
            password,
            filters,
            shown,
        })
    }
}

impl Address {
    /// A dataset name for the feed: its first topic level that is not a
    /// wildcard ("city" for `city/+/air/#`).
    pub fn name(&self) -> String {
        self.filters
            .first()
            .and_then(|f| {
                f.split('/')
                    .find(|l| !l.is_empty() && *l != "+" && *l != "#")
            })
            .unwrap_or("feed")
            .to_owned()
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s.is_char_boundary(prefix.len()))
        .then(|| s.split_at(prefix.len()))
        .filter(|(head, _)| head.eq_ignore_ascii_case(prefix))
        .map(|(_, tail)| tail)
}

/// MQTT's rules for a topic filter: `#` only as the last level, `+` only
/// as a whole level.
fn check_filter(filter: &str) -> Result<(), &'static str> {
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err("may hold # only as its whole last level");
        }
        if level.contains('+') && *level != "+" {
            return Err("may hold + only as a whole level");
        }
    }
    Ok(())
}

/// How many readings a window keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    /// The most recent rows kept.
    pub max_rows: usize,
    /// Readings older than this before the latest one are dropped.
    pub max_age: Option<Duration>,
}

impl Default for Bound {
    fn default() -> Self {
        Self {
            max_rows: DEFAULT_WINDOW_ROWS,
            max_age: None,
        }
    }
}

/// The readings kept, with what arrived and what could not be read.
pub struct Window {
    table: Option<Table>,
    pending: Records,
    bound: Bound,
    tz: TimeZone,
    time_field: Option<String>,
    /// Readings received in all (kept or since dropped).
    pub received: u64,
    /// Payloads that were not JSON objects or lists of objects.
    pub malformed: u64,
    /// The latest malformed payload's topic and reason.
    pub last_malformed: Option<(String, String)>,
    /// Readings dropped to keep the bound.
    pub dropped: u64,
    /// Values that did not convert to their column's type.
    pub cells_set_missing: usize,
    /// Fields of later readings that the first ones lacked (not kept).
    pub fields_left_out: Vec<String>,
}

impl Window {
    pub fn new(bound: Bound, tz: TimeZone, time_field: Option<String>) -> Self {
        Self {
            table: None,
            pending: Records::default(),
            bound,
            tz,
            time_field,
            received: 0,
            malformed: 0,
            last_malformed: None,
            dropped: 0,
            cells_set_missing: 0,
            fields_left_out: Vec::new(),
        }
    }

    /// Reads one message: a JSON object or a list of objects. Returns the
    /// readings it held; a malformed payload is counted and returns an
    /// error with the reason.
    pub fn add_payload(
        &mut self,
        topic: &str,
        payload: &[u8],
        arrival_micros: i64,
    ) -> Result<usize, String> {
        let mut bad = |reason: String| {
            self.malformed += 1;
            self.last_malformed = Some((topic.to_owned(), reason.clone()));
            Err(reason)
        };
        let value: Value = match serde_json::from_slice(payload) {
            Ok(v) => v,
            Err(e) => {
                let start =
                    String::from_utf8_lossy(payload.get(..40).unwrap_or(payload)).into_owned();
                return bad(format!("not JSON ({e}): {start:?}"));
            }
        };
        let received = jiff::Timestamp::from_microsecond(arrival_micros)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let objects: Vec<serde_json::Map<String, Value>> = match value {
            Value::Object(o) => vec![o],
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::Object(o) => out.push(o),
                        other => {
                            return bad(format!(
                                "item {i} of the list is {}, not an object",
                                kind_of(&other)
                            ));
                        }
                    }
                }
                out
            }
            other => {
                return bad(format!(
                    "the payload is {}, not an object or a list of objects",
                    kind_of(&other)
                ));
            }
        };
        let n = objects.len();
        for mut o in objects {
            o.entry("topic")
                .or_insert_with(|| Value::String(topic.to_owned()));
            o.entry("received_at")
                .or_insert_with(|| Value::String(received.clone()));
            self.pending.push(Some(&o));
        }
        self.received += n as u64;
        Ok(n)
    }

    /// Readings waiting to be added.
    pub fn pending(&self) -> usize {
        self.pending.rows.len()
    }

    /// Adds the readings that arrived to the window and keeps its bound;
    /// returns how many were added.
    pub fn flush(&mut self) -> usize {
        let n = self.pending.rows.len();
        if n == 0 {
            return 0;
        }
        let batch = std::mem::take(&mut self.pending).into_columns(&self.tz);
        let Ok(batch) = Table::new(batch) else {
            return 0;
        };
        let table = match self.table.take() {
            None => batch,
            Some(base) => {
                let (t, report) = append_rows(&base, &batch);
                self.cells_set_missing += report.cells_set_missing;
                for c in report.columns_left_out {
                    if !self.fields_left_out.contains(&c) {
                        self.fields_left_out.push(c);
                    }
                }
                t
            }
        };
        self.table = Some(self.trim(table));
        n
    }

    /// The rows kept: the newest `max_rows`, and none older than `max_age`
    /// before the latest reading.
    fn trim(&mut self, table: Table) -> Table {
        let n = table.n_rows();
        let first = n.saturating_sub(self.bound.max_rows);
        let mut keep: Option<Vec<usize>> = None;
        if let Some(age) = self.bound.max_age
            && let Some(col) = self
                .time_column_of(&table)
                .and_then(|i| table.columns.get(i))
        {
            let latest = (0..n).filter_map(|r| col.timestamp_at(r)).max();
            if let Some(latest) = latest {
                let cutoff = latest.saturating_sub(age.as_micros().min(i64::MAX as u128) as i64);
                let rows: Vec<usize> = (first..n)
                    .filter(|&r| col.timestamp_at(r).is_none_or(|t| t >= cutoff))
                    .collect();
                if rows.len() < n - first {
                    keep = Some(rows);
                }
            }
        }
        match keep {
            Some(rows) => {
                self.dropped += (n - rows.len()) as u64;
                table.take_rows(&rows)
            }
            None if first > 0 => {
                self.dropped += first as u64;
                let rows: Vec<usize> = (first..n).collect();
                table.take_rows(&rows)
            }
            None => table,
        }
    }

    /// The column that is the time axis: the named field, else a time
    /// field of the payload, else the arrival time.
    fn time_column_of(&self, table: &Table) -> Option<usize> {
        if let Some(f) = &self.time_field {
            return table.column_index(f);
        }
        let times: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind() == crate::data::ColumnKind::Timestamp)
            .map(|(i, _)| i)
            .collect();
        let received = table.column_index("received_at");
        times
            .iter()
            .copied()
            .find(|&i| Some(i) != received)
            .or(received)
    }

    /// Rows kept now.
    pub fn rows(&self) -> usize {
        self.table.as_ref().map_or(0, Table::n_rows)
    }

    /// The window as a dataset named `name` (`None` before any reading).
    pub fn dataset(&self, name: &str, url: &str) -> Option<Dataset> {
        let table = self.table.clone()?;
        let time = self.time_column_of(&table);
        let mut ds =
            Dataset::from_table(name, Source::Stream(url.to_owned()), table, self.tz.clone());
        ds.file_format = Some("MQTT");
        if let Some(i) = time
            && let Some(c) = ds.table.columns.get(i)
        {
            let name = c.name.clone();
            let _ = ds.set_role(&name, Role::Time);
        }
        let mut note = |message: String| {
            ds.warnings.push(LoadWarning {
                line: None,
                column: None,
                message,
            });
        };
        if self.malformed > 0 {
            let last = self
                .last_malformed
                .as_ref()
                .map_or_else(String::new, |(t, r)| format!("; the latest, on {t}: {r}"));
            note(format!(
                "{} malformed payloads were skipped{last}",
                self.malformed
            ));
        }
        if self.dropped > 0 {
            note(format!(
                "{} older readings were dropped to keep the window to {} rows{}",
                self.dropped,
                self.bound.max_rows,
                self.bound
                    .max_age
                    .map_or_else(String::new, |a| format!(" and {} s", a.as_secs()))
            ));
        }
        if self.cells_set_missing > 0 {
            note(format!(
                "{} values did not fit their column's type (set by the first readings) and are missing",
                self.cells_set_missing
            ));
        }
        if !self.fields_left_out.is_empty() {
            note(format!(
                "fields the first readings lacked are not kept: {}",
                self.fields_left_out.join(", ")
            ));
        }
        Some(ds)
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What a feed reports as it runs.
#[derive(Debug)]
pub enum FeedEvent {
    /// Connected and subscribed to every filter.
    Subscribed,
    /// The connection failed or was lost; tried again after `retry_in`.
    Lost { message: String, retry_in: Duration },
    /// Readings were added to the window.
    Readings { added: usize },
    /// A payload could not be read (it was skipped).
    Malformed { topic: String, reason: String },
}

/// How a feed runs.
#[derive(Clone, Debug)]
pub struct FeedOptions {
    pub bound: Bound,
    pub time_zone: TimeZone,
    /// The payload field that is the reading's time.
    pub time_field: Option<String>,
    /// Stop after this many readings (`None`: until cancelled).
    pub stop_after: Option<u64>,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            bound: Bound::default(),
            time_zone: TimeZone::system(),
            time_field: None,
            stop_after: None,
        }
    }
}

/// Backoff after the `failures`-th failure in a row: 0.5 s doubling to 30 s.
pub fn retry_delay(failures: u32) -> Duration {
    let ms = 500u64.saturating_mul(1u64 << failures.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(30_000))
}

/// A window's age: `90s`, `30m`, `12h`, `7d`.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not an age such as 90s, 30m, 12h or 7d"))?;
    let per = match unit.trim() {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("'{other}' is not a unit: use s, m, h or d")),
    };
    if n == 0 {
        return Err("the window's age must be more than 0".to_owned());
    }
    Ok(Duration::from_secs(n.saturating_mul(per)))
}

fn client_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "cityops-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Follows `address` until `progress` is cancelled (or `stop_after`
/// readings arrived), calling `on_event` with each event and the window.
/// Returns the window. Only an address that cannot work (no TLS set-up) is
/// an error; connection failures are retried and reported as events.
pub fn follow(
    address: &Address,
    opts: &FeedOptions,
    progress: &dyn Progress,
    on_event: &mut dyn FnMut(FeedEvent, &Window),
) -> Result<Window, LoadError> {
    let fail = |message: String| LoadError::Download {
        url: address.shown.clone(),
        message,
    };
    let rt = crate::jobs::runtime().map_err(|e| fail(e.to_string()))?;
    let mut mqtt = MqttOptions::new(client_id(), address.host.clone(), address.port);
    mqtt.set_keep_alive(Duration::from_secs(15))
        .set_clean_session(true)
        .set_max_packet_size(MAX_PAYLOAD_BYTES, 64 * 1024);
    if let Some(user) = &address.user {
        mqtt.set_credentials(user.clone(), address.password.clone().unwrap_or_default());
    }
    if address.tls {
        let config =
            super::tls_config().map_err(|e| fail(format!("TLS could not be set up ({e})")))?;
        mqtt.set_transport(Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(std::sync::Arc::new(config)),
        ));
    }
    let mut window = Window::new(opts.bound, opts.time_zone.clone(), opts.time_field.clone());
    rt.block_on(async {
        let (client, mut events) = AsyncClient::new(mqtt, 1024);
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        let mut failures = 0u32;
        let mut waiting_subacks = 0usize;
        progress.report(0.0, &format!("Connecting to {}", address.shown));
        loop {
            if progress.is_cancelled() {
                break;
            }
            if opts.stop_after.is_some_and(|n| window.received >= n) {
                break;
            }
            tokio::select! {
                event = events.poll() => match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        failures = 0;
                        waiting_subacks = address.filters.len();
                        for f in &address.filters {
                            let _ = client.subscribe(f.clone(), QoS::AtLeastOnce).await;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        waiting_subacks = waiting_subacks.saturating_sub(1);
                        if waiting_subacks == 0 {
                            progress.report(0.0, &format!("Following {}", address.shown));
                            on_event(FeedEvent::Subscribed, &window);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let now = jiff::Timestamp::now().as_microsecond();
                        if let Err(reason) = window.add_payload(&p.topic, &p.payload, now) {
                            on_event(FeedEvent::Malformed { topic: p.topic.clone(), reason }, &window);
                        }
                        if window.pending() >= FLUSH_ROWS {
                            let added = window.flush();
                            on_event(FeedEvent::Readings { added }, &window);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let retry_in = retry_delay(failures);
                        on_event(FeedEvent::Lost { message: describe(&e), retry_in }, &window);
                        // Sleep in short steps so a cancel is prompt.
                        let until = tokio::time::Instant::now() + retry_in;
                        while tokio::time::Instant::now() < until && !progress.is_cancelled() {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                },
                _ = tick.tick() => {
                    let added = window.flush();
                    if added > 0 {
                        on_event(FeedEvent::Readings { added }, &window);
                    }
                }
            }
        }
        let added = window.flush();
        if added > 0 {
            on_event(FeedEvent::Readings { added }, &window);
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), client.disconnect()).await;
    });
    Ok(window)
}

/// A connection failure in words, with what to check.
fn describe(e: &rumqttc::ConnectionError) -> String {
    use rumqttc::ConnectionError as E;
    match e {
        E::ConnectionRefused(code) => format!(
            "the broker refused the connection ({code:?}). Check the user name and password"
        ),
        E::NetworkTimeout => "no answer from the broker. Check the host and port".to_owned(),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "could not connect (connection refused). Check that the broker is running and the port is right".to_owned()
        }
        E::Tls(t) => format!("the secure connection failed ({t})"),
        other => format!("the connection was lost ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_wildcards_and_hide_passwords() {
        let a = Address::parse("mqtt://ops:s3cret@broker.city:1884/city/+/air/#").unwrap();
        assert_eq!(a.host, "broker.city");
        assert_eq!(a.port, 1884);
        assert_eq!(a.filters, vec!["city/+/air/#"]);
        assert_eq!(a.shown, "mqtt://ops@broker.city:1884/city/+/air/#");
        assert!(!format!("{a:?}").contains("s3cret"));
        let b = Address::parse("MQTTS://[::1]/a,b/c").unwrap();
        assert!(b.tls);
        assert_eq!((b.host.as_str(), b.port), ("::1", 8883));
        assert_eq!(b.filters, vec!["a", "b/c"]);
        for bad in [
            "mqtt://host",
            "mqtt:///topic",
            "mqtt://host:x/t",
            "mqtt://h/a/#/b",
            "mqtt://h/a+",
            "http://h/t",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn payloads_become_rows_and_bad_ones_are_counted() {
        let mut w = Window::new(Bound::default(), TimeZone::UTC, None);
        let t0 = 1_700_000_000_000_000;
        assert_eq!(
            w.add_payload(
                "s/1",
                br#"{"station": "A", "pm25": 12.5, "time": "2024-05-01T10:00:00Z"}"#,
                t0
            ),
            Ok(1)
        );
        assert_eq!(
            w.add_payload(
                "s/2",
                br#"[{"station": "B", "pm25": 40}, {"station": "C", "pm25": 7}]"#,
                t0
            ),
            Ok(2)
        );
        assert!(w.add_payload("s/3", b"not json", t0).is_err());
        assert!(w.add_payload("s/3", b"[1, 2]", t0).is_err());
        assert!(w.add_payload("s/3", b"42", t0).is_err());
        assert_eq!(w.flush(), 3);
        assert_eq!((w.received, w.malformed, w.rows()), (3, 3, 3));
        let ds = w.dataset("feed", "mqtt://h:1883/s/#").unwrap();
        let pm = ds.table.column("pm25").unwrap();
        assert_eq!(pm.f64_at(1), Some(40.0));
        assert_eq!(ds.table.column("topic").unwrap().str_at(2), Some("s/2"));
        // The payload's own time field is the time axis.
        assert_eq!(ds.time_column().map(|c| c.name.as_str()), Some("time"));
        assert!(
            ds.warnings
                .iter()
                .any(|x| x.message.contains("3 malformed"))
        );
    }

    #[test]
    fn the_window_keeps_its_bounds() {
        let bound = Bound {
            max_rows: 100,
            max_age: Some(Duration::from_secs(3600)),
        };
        let mut w = Window::new(bound, TimeZone::UTC, Some("t".to_owned()));
        let hour = 3_600_000_000i64;
        for i in 0..1000i64 {
            let t = jiff::Timestamp::from_microsecond(i * hour / 10).unwrap();
            let payload = format!(r#"{{"t": "{t}", "seq": {i}}}"#);
            w.add_payload("x", payload.as_bytes(), 0).unwrap();
            if i % 37 == 0 {
                w.flush();
                assert!(w.rows() <= 100);
            }
        }
        w.flush();
        let ds = w.dataset("x", "mqtt://h/x").unwrap();
        // Ten readings an hour, an hour kept: the last 11 (the cutoff is
        // inclusive), newest last.
        let seq = ds.table.column("seq").unwrap();
        assert_eq!(ds.table.n_rows(), 11);
        assert_eq!(seq.f64_at(10), Some(999.0));
        assert_eq!(w.dropped, 989);
    }

    #[test]
    fn ages_are_read_with_units() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_age("90"), Ok(Duration::from_secs(90)));
        assert!(parse_age("0h").is_err());
        assert!(parse_age("3w").is_err());
    }

    #[test]
    fn retries_back_off_to_thirty_seconds() {
        assert_eq!(retry_delay(1), Duration::from_millis(500));
        assert_eq!(retry_delay(2), Duration::from_secs(1));
        assert_eq!(retry_delay(40), Duration::from_secs(30));
    }
}
