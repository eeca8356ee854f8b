//! MQTT feeds against a real Mosquitto broker each test starts
//! (`common::servers`), with a real publisher (rumqttc): readings arrive
//! in order, a malformed payload is counted and skipped, the feed comes
//! back after the broker restarts, the window's bound holds over 100,000
//! readings, and `cityops watch mqtt://…` prints readings and alerts.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use cityops::data::Progress;
use cityops::sources::mqtt::{self, Address, Bound, FeedEvent, FeedOptions, Window};
use rumqttc::{AsyncClient, MqttOptions, QoS};

/// Publishes messages on a broker, waiting until each is acknowledged.
struct Publisher {
    rt: tokio::runtime::Runtime,
    client: AsyncClient,
    _pump: tokio::task::JoinHandle<()>,
}

impl Publisher {
    fn new(port: u16) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut opts = MqttOptions::new(format!("test-pub-{port}"), "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut events) = AsyncClient::new(opts, 256);
        let pump = rt.spawn(async move {
            loop {
                if events.poll().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Self {
            rt,
            client,
            _pump: pump,
        }
    }

    fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        let payload = payload.into();
        self.rt
            .block_on(self.client.publish(topic, QoS::AtLeastOnce, false, payload))
            .unwrap();
    }
}

struct Stop(AtomicBool);

impl Progress for Stop {
    fn report(&self, _: f32, _: &str) {}

    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a feed running on its own thread has seen.
#[derive(Default)]
struct Seen {
    subscribed: usize,
    lost: usize,
    malformed: Vec<String>,
    rows: usize,
    received: u64,
    max_rows: usize,
    seq: Vec<f64>,
}

/// Follows `url` on a thread until stopped; returns the shared record of
/// events, the stop flag and the thread (which gives back the window).
fn follow(
    url: &str,
    bound: Bound,
) -> (Arc<Mutex<Seen>>, Arc<Stop>, std::thread::JoinHandle<Window>) {
    let address = Address::parse(url).unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(Stop(AtomicBool::new(false)));
    let handle = {
        let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            let opts = FeedOptions {
                bound,
                time_zone: jiff::tz::TimeZone::UTC,
                ..FeedOptions::default()
            };
            let mut on = |e: FeedEvent, w: &Window| {
                let mut s = seen.lock().unwrap();
                match e {
                    FeedEvent::Subscribed => s.subscribed += 1,
                    FeedEvent::Lost { .. } => s.lost += 1,
                    FeedEvent::Malformed { reason, .. } => s.malformed.push(reason),
                    FeedEvent::Readings { .. } => {
                        s.rows = w.rows();
                        s.max_rows = s.max_rows.max(w.rows());
                        s.received = w.received;
                        if let Some(ds) = w.dataset("feed", "mqtt://test")
                            && let Some(c) = ds.table.column("seq")
                        {
                            s.seq = (0..ds.table.n_rows()).filter_map(|r| c.f64_at(r)).collect();
                        }
                    }
                }
            };
            mqtt::follow(&address, &opts, stop.as_ref(), &mut on).unwrap()
        })
    };
    (seen, stop, handle)
}

fn wait_for(what: &str, seen: &Mutex<Seen>, done: impl Fn(&Seen) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if done(&seen.lock().unwrap()) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn readings_arrive_in_order_and_malformed_ones_are_counted() {
    let broker = servers::Mosquitto::start();
    let (seen, stop, feed) = follow(&broker.url("city/+/speed"), Bound::default());
    wait_for("the subscription", &seen, |s| s.subscribed == 1);
    let publisher = Publisher::new(broker.port);
    for i in 0..50 {
        let topic = format!("city/S{}/speed", i % 3);
        publisher.publish(
            &topic,
            format!(r#"{{"seq": {i}, "speed": {}}}"#, 30 + i % 7),
        );
        if i == 20 {
            publisher.publish("city/S9/speed", "not json at all");
            publisher.publish("city/S9/speed", r#"{"seq": "#);
            publisher.publish("city/S9/speed", "[1, 2, 3]");
        }
    }
    // Not under the filter: never read.
    publisher.publish("city/S1/volume", r#"{"seq": 999}"#);
    wait_for("50 readings", &seen, |s| s.rows == 50);
    std::thread::sleep(Duration::from_millis(300));
    stop.0.store(true, Ordering::Relaxed);
    let window = feed.join().unwrap();
    let s = seen.lock().unwrap();
    assert_eq!(s.seq, (0..50).map(f64::from).collect::<Vec<_>>());
    assert_eq!(s.malformed.len(), 3, "{:?}", s.malformed);
    assert_eq!(window.malformed, 3);
    assert!(s.malformed[0].starts_with("not JSON"), "{}", s.malformed[0]);
    let ds = window
        .dataset("speed", &broker.url("city/+/speed"))
        .unwrap();
    assert_eq!(
        ds.table.column("topic").unwrap().str_at(4),
        Some("city/S1/speed")
    );
    // Without a time field in the payload, the arrival time is the axis.
    assert_eq!(
        ds.time_column().map(|c| c.name.as_str()),
        Some("received_at")
    );
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.message.contains("3 malformed payloads")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn the_feed_comes_back_after_the_broker_restarts() {
    let mut broker = servers::Mosquitto::start();
    let (seen, stop, feed) = follow(&broker.url("plant/#"), Bound::default());
    wait_for("the subscription", &seen, |s| s.subscribed == 1);
    {
        let publisher = Publisher::new(broker.port);
        publisher.publish("plant/a", r#"{"seq": 1}"#);
        wait_for("the first reading", &seen, |s| s.rows == 1);
    }
    broker.stop();
    wait_for("the lost connection", &seen, |s| s.lost >= 1);
    std::thread::sleep(Duration::from_millis(700));
    broker.resume();
    // Subscribed again on the new connection (the broker kept nothing).
    wait_for("the second subscription", &seen, |s| s.subscribed == 2);
    let publisher = Publisher::new(broker.port);
    publisher.publish("plant/b", r#"{"seq": 2}"#);
    wait_for("the reading after the restart", &seen, |s| s.rows == 2);
    stop.0.store(true, Ordering::Relaxed);
    feed.join().unwrap();
    assert_eq!(seen.lock().unwrap().seq, vec![1.0, 2.0]);
}

#[test]
fn the_window_bound_holds_over_100000_readings() {
    let broker = servers::Mosquitto::start();
    let bound = Bound {
        max_rows: 5_000,
        max_age: None,
    };
    let (seen, stop, feed) = follow(&broker.url("bulk/#"), bound);
    wait_for("the subscription", &seen, |s| s.subscribed == 1);
    let publisher = Publisher::new(broker.port);
    // 1,000 messages of 100 readings each (a list per message).
    for m in 0..1000 {
        let items: Vec<String> = (0..100)
            .map(|k| {
                let i = m * 100 + k;
                format!(r#"{{"seq": {i}, "value": {}}}"#, i % 13)
            })
            .collect();
        publisher.publish("bulk/x", format!("[{}]", items.join(",")));
    }
    wait_for("100,000 readings", &seen, |s| s.received == 100_000);
    wait_for("the last batch", &seen, |s| s.seq.last() == Some(&99_999.0));
    stop.0.store(true, Ordering::Relaxed);
    let window = feed.join().unwrap();
    let s = seen.lock().unwrap();
    assert!(s.max_rows <= 5_000, "the window held {} rows", s.max_rows);
    assert_eq!(window.rows(), 5_000);
    assert_eq!(window.dropped, 95_000);
    // The newest 5,000, in order.
    assert_eq!(s.seq.first(), Some(&95_000.0));
    assert!(s.seq.windows(2).all(|w| w[1] == w[0] + 1.0));
}

#[test]
fn watch_prints_readings_and_alerts_as_they_arrive() {
    let broker = servers::Mosquitto::start();
    let mut child = common::cityops()
        .args([
            "watch",
            &broker.url("air/#"),
            "--json",
            "--readings",
            "3",
            "--tz",
            "UTC",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(first["event"], "subscribed", "{first}");
    let publisher = Publisher::new(broker.port);
    publisher.publish(
        "air/AQ1",
        r#"{"station": "AQ1", "time": "2026-06-01T10:00:00Z", "pm25": 8.0}"#,
    );
    publisher.publish("air/AQ1", "{broken");
    publisher.publish(
        "air/AQ1",
        r#"[{"station": "AQ1", "time": "2026-06-01T11:00:00Z", "pm25": 260.0},
            {"station": "AQ1", "time": "2026-06-01T12:00:00Z", "pm25": 280.0}]"#,
    );
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Ok(v) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        events.push(v);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{events:?}");
    let readings: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["event"] == "reading").collect();
    assert_eq!(readings.len(), 3, "{events:?}");
    assert_eq!(readings[2]["values"]["pm25"], 280.0);
    assert_eq!(readings[0]["topic"], "air/AQ1");
    assert!(
        events.iter().any(|e| e["event"] == "malformed"),
        "{events:?}"
    );
    let alert = events
        .iter()
        .find(|e| e["event"] == "alert")
        .unwrap_or_else(|| panic!("no alert in {events:?}"));
    assert!(alert["title"].as_str().unwrap().contains("AQ1"), "{alert}");
}

#[test]
fn a_dashboard_follows_a_feed_as_readings_are_published() {
    use cityops::app::AppOptions;
    use egui_kittest::kittest::Queryable as _;
    let broker = servers::Mosquitto::start();
    let mut h = common::app(
        AppOptions {
            fresh: true,
            time_zone: Some(jiff::tz::TimeZone::UTC),
            view: Some(cityops::app::state::ViewId::Data),
            ..Default::default()
        },
        egui::vec2(1400.0, 900.0),
    );
    common::wait(&mut h);
    common::type_url(&mut h, &broker.url("roads/#"));
    common::click(&mut h, "Follow this feed");
    let rows = |h: &egui_kittest::Harness<'static, cityops::app::CityApp>| {
        h.state()
            .ws
            .datasets
            .iter()
            .find(|e| e.dataset.name == "roads")
            .map(|e| (e.dataset.table.n_rows(), e.revision))
    };
    let step_until = |h: &mut egui_kittest::Harness<'static, cityops::app::CityApp>,
                      what: &str,
                      done: &dyn Fn(Option<(usize, u64)>) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(rows(h)) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}, datasets {:?}",
                rows(h),
                h.state()
                    .ws
                    .datasets
                    .iter()
                    .map(|e| (e.id, e.dataset.name.clone(), e.dataset.table.n_rows()))
                    .collect::<Vec<_>>()
            );
            h.step();
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // The feed subscribes in the background; publish until it is heard.
    let publisher = Publisher::new(broker.port);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seq = 0;
    while rows(&h).is_none() {
        assert!(Instant::now() < deadline, "the feed never showed a reading");
        publisher.publish(
            "roads/S1",
            format!(
                r#"{{"sensor": "S1", "time": "2026-06-01T10:{:02}:00Z", "speed_kmh": 41.5}}"#,
                seq % 60
            ),
        );
        seq += 1;
        for _ in 0..10 {
            h.step();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let (first, revision) = rows(&h).unwrap();
    for i in 0..5 {
        publisher.publish(
            "roads/S2",
            format!(r#"{{"sensor": "S2", "time": "2026-06-01T11:0{i}:00Z", "speed_kmh": 30}}"#),
        );
    }
    step_until(&mut h, "the next readings", &|r| {
        r.is_some_and(|(n, rev)| n >= first + 5 && rev > revision)
    });
    // The top bar says the data is live.
    h.run_steps(2);
    let live = h.query_all_by_label_contains("live · updated").count();
    assert!(live > 0, "no live status in the top bar");
}
