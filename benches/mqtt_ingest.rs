//! MQTT readings ingested per second with alerts on: a Mosquitto broker
//! started here (Debian's mosquitto package), a publisher sending air
//! readings of 50 stations as JSON lists of 100, and `sources::mqtt`
//! following them into a 100,000-row window — the AQI alert rule checked on
//! the window after every batch, as `cityops watch` and the dashboard do.
//! Timed from the first publish until the last reading is in the window.
//!
//!     cargo bench --bench mqtt_ingest

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/servers.rs"]
mod servers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cityops::data::Progress;
use cityops::data::alerts::{AlertRules, evaluate};
use cityops::sources::mqtt::{self, Address, Bound, FeedEvent, FeedOptions};
use rumqttc::{AsyncClient, MqttOptions, QoS};

const READINGS: u64 = 300_000;
const PER_MESSAGE: u64 = 100;

struct Stop(AtomicBool);

impl Progress for Stop {
    fn report(&self, _: f32, _: &str) {}
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn main() {
    let broker = servers::Mosquitto::start();
    let address = Address::parse(&broker.url("air/#")).unwrap();
    let stop = Arc::new(Stop(AtomicBool::new(false)));
    let state = Arc::new(Mutex::new((false, 0u64, 0usize, 0usize, 0usize)));
    let follower = {
        let (stop, state) = (Arc::clone(&stop), Arc::clone(&state));
        std::thread::spawn(move || {
            let rules = AlertRules::default();
            let opts = FeedOptions {
                bound: Bound {
                    max_rows: 100_000,
                    max_age: None,
                },
                time_zone: jiff::tz::TimeZone::UTC,
                ..FeedOptions::default()
            };
            let mut on = |e: FeedEvent, w: &mqtt::Window| {
                let mut s = state.lock().unwrap();
                match e {
                    FeedEvent::Subscribed => s.0 = true,
                    FeedEvent::Readings { .. } => {
                        let ds = w.dataset("air", "mqtt://bench").unwrap();
                        let alerts = evaluate(&[&ds], &rules);
                        s.1 = w.received;
                        s.2 = w.rows();
                        s.3 += 1;
                        s.4 = alerts.len();
                    }
                    _ => {}
                }
            };
            mqtt::follow(&address, &opts, stop.as_ref(), &mut on).unwrap();
        })
    };
    while !state.lock().unwrap().0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut opts = MqttOptions::new("bench-pub", "127.0.0.1", broker.port);
    opts.set_max_packet_size(1 << 20, 1 << 20)
        .set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(opts, 256);
    rt.spawn(async move {
        loop {
            if let Err(e) = events.poll().await {
                eprintln!("publisher: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let t0 = jiff::Timestamp::from_second(1_780_000_000).unwrap();
    let start = Instant::now();
    rt.block_on(async {
        for m in 0..READINGS / PER_MESSAGE {
            let items: Vec<String> = (0..PER_MESSAGE)
                .map(|k| {
                    let i = m * PER_MESSAGE + k;
                    let station = i % 50;
                    let hour = i / 50;
                    let at = t0 + jiff::SignedDuration::from_hours(hour as i64);
                    let pm = 5.0 + ((i * 37) % 400) as f64 / 4.0;
                    format!(r#"{{"station": "AQ{station}", "time": "{at}", "pm25": {pm}}}"#)
                })
                .collect();
            client
                .publish(
                    "air/bulk",
                    QoS::AtLeastOnce,
                    false,
                    format!("[{}]", items.join(",")),
                )
                .await
                .unwrap();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(600);
    eprintln!("published in {:.2} s", start.elapsed().as_secs_f64());
    while state.lock().unwrap().1 < READINGS {
        let (received, checks) = {
            let s = state.lock().unwrap();
            (s.1, s.3)
        };
        if start.elapsed().as_millis() % 5000 < 5 {
            eprintln!(
                "{received} readings, {checks} batches after {:.1} s",
                start.elapsed().as_secs_f64()
            );
        }
        assert!(
            Instant::now() < deadline,
            "only {received} of {READINGS} readings arrived"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let secs = start.elapsed().as_secs_f64();
    stop.0.store(true, Ordering::Relaxed);
    follower.join().unwrap();
    let s = state.lock().unwrap();
    println!(
        "mqtt_ingest: {READINGS} readings in {secs:.2} s = {:.0} readings/s, alerts on ({} batches checked, {} alerts active at the end); window {} rows",
        READINGS as f64 / secs,
        s.3,
        s.4,
        s.2
    );
}
