//! The connection layer: accepting TCP connections, serving each with
//! hyper's HTTP/1.1 connection, and the limits that keep hostile or broken
//! clients from starving the server or keeping it alive.
//!
//! # Limits
//!
//! - **Connection cap** (`max_connections`, lowered to what the process's
//!   open-file limit allows: at most half of the soft `RLIMIT_NOFILE` less
//!   32, read from `/proc/self/limits`). Past it, the connection that has
//!   been idle longest (no request in service) is closed to make room; when
//!   every connection is busy, the newcomer gets a `503` written straight to
//!   the socket and is closed. So idle or half-open connections never lock
//!   out a fresh client, and the server never runs out of file descriptors
//!   (a newcomer waiting for an evicted slot holds one more descriptor, so
//!   at most twice the cap are open).
//! - **Idle timeout** (`idle_timeout`): a connection that has no request in
//!   service and has sent nothing for this long — a new connection that says
//!   nothing, a keep-alive connection between requests, or a client that
//!   stopped reading its response — is closed (dropped if it has not closed
//!   half a second after being told to).
//! - **Header-read timeout** (`header_read_timeout`): once the first byte of
//!   a request head has arrived, the whole head must arrive within this
//!   time, or the connection is closed (slowloris). Both timeouts are
//!   checked on a tick of a quarter of the shorter one, at most a second
//!   (so with the defaults a half-sent head is closed 10–11 s after its
//!   first byte).
//! - **Body-read timeout**: see [`super::guard`]; the body is read by the
//!   router, which answers `408` when it does not arrive in time.
//! - **Shutdown deadline** (`shutdown_deadline`): when the shutdown future
//!   completes the listener is closed, every connection is told to finish
//!   its request in flight and close, and after the deadline whatever is
//!   still open is dropped, so a client holding an unsent body cannot keep
//!   the process alive.
//!
//! # Why hyper directly
//!
//! `axum::serve` offers no connection cap, no idle or body timeout and no
//! shutdown deadline. hyper's own `header_read_timeout` counts from when the
//! connection starts waiting for a head, so it cannot tell an idle
//! keep-alive connection from a slow head; it is switched off and both
//! timeouts are kept here by one watchdog per connection that looks at
//! whether a request is in service and when bytes arrived. `hyper` (server,
//! http1) and `hyper-util` (tokio, service) are direct dependencies of the
//! same versions axum already pulls in, so they add no crate to the build;
//! `tower-http` is not used.
//!
//! Uses hyper, hyper-util and tokio; knows nothing of models or routes (it
//! serves any axum [`Router`]).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

/// The limits the connection layer enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub idle_timeout: Duration,
    pub header_read_timeout: Duration,
    pub shutdown_deadline: Duration,
}

/// How long a newcomer waits for the slot of an evicted idle connection.
const ADMIT_WAIT: Duration = Duration::from_secs(1);
/// How long a connection told to close (idle, slow head, evicted) may take
/// to do so before it is dropped; it has no request in service.
const CLOSE_GRACE: Duration = Duration::from_millis(500);
/// Pause after an accept error such as EMFILE, so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);
/// Descriptors kept for everything but connections (the runtime, the
/// blocking pool, files read while serving).
const RESERVED_FDS: usize = 32;

const BUSY_BODY: &str = "{\"error\":\"the server is at its connection limit and every connection is busy; retry in a moment\"}";

/// `requested`, lowered so that twice the cap plus [`RESERVED_FDS`] fits in
/// `fd_limit` (the soft open-file limit; `None` when unknown). At least 1.
pub fn connection_cap(requested: usize, fd_limit: Option<u64>) -> usize {
    let allowed = fd_limit
        .and_then(|l| usize::try_from(l).ok())
        .map_or(usize::MAX, |l| l.saturating_sub(RESERVED_FDS) / 2);
    requested.min(allowed).max(1)
}

/// The soft open-file limit of this process (Linux), `None` if unlimited or
/// unknown.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Milliseconds since the server started, the clock of [`Slot`].
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now_ms(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

const NEVER: u64 = u64::MAX;

/// What the watchdog and the admission need to know about one connection.
struct Slot {
    clock: Clock,
    /// Requests whose response is not yet produced.
    in_flight: AtomicUsize,
    /// When the connection last became quiet: accepted, or a request done.
    quiet_since_ms: AtomicU64,
    /// When the first byte arrived while quiet (a head started), or NEVER.
    head_since_ms: AtomicU64,
    /// Told to close (evicted or timed out).
    closing: AtomicBool,
    close: tokio::sync::Notify,
}

impl Slot {
    fn new(clock: Clock) -> Self {
        Self {
            clock,
            in_flight: AtomicUsize::new(0),
            quiet_since_ms: AtomicU64::new(clock.now_ms()),
            head_since_ms: AtomicU64::new(NEVER),
            closing: AtomicBool::new(false),
            close: tokio::sync::Notify::new(),
        }
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// No request in service and no byte of the next one: closing it now
    /// loses nothing.
    fn is_quiet(&self) -> bool {
        self.is_idle() && self.head_since_ms.load(Ordering::Relaxed) == NEVER
    }

    fn bytes_arrived(&self) {
        if self.is_idle() && self.head_since_ms.load(Ordering::Relaxed) == NEVER {
            self.head_since_ms
                .store(self.clock.now_ms(), Ordering::Relaxed);
        }
    }

    /// Whether the connection broke the idle or header-read timeout.
    fn overdue(&self, limits: &ConnLimits) -> bool {
        if !self.is_idle() {
            return false;
        }
        let now = self.clock.now_ms();
        let head = self.head_since_ms.load(Ordering::Relaxed);
        let (since, limit) = if head == NEVER {
            (
                self.quiet_since_ms.load(Ordering::Relaxed),
                limits.idle_timeout,
            )
        } else {
            (head, limits.header_read_timeout)
        };
        u128::from(now.saturating_sub(since)) > limit.as_millis()
    }

    /// Asks the connection to close once it has no request in service.
    fn tell_to_close(&self) {
        self.closing.store(true, Ordering::Release);
        self.close.notify_one();
    }
}

/// Marks a request in service until dropped.
struct InService(Arc<Slot>);

impl InService {
    fn begin(slot: &Arc<Slot>) -> Self {
        slot.in_flight.fetch_add(1, Ordering::AcqRel);
        slot.head_since_ms.store(NEVER, Ordering::Relaxed);
        Self(Arc::clone(slot))
    }
}

impl Drop for InService {
    fn drop(&mut self) {
        self.0
            .quiet_since_ms
            .store(self.0.clock.now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that tells its slot when bytes arrive.
struct Watched {
    stream: TcpStream,
    slot: Arc<Slot>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.slot.bytes_arrived();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The open connections, for eviction.
#[derive(Default)]
struct Slots {
    next_id: u64,
    open: HashMap<u64, Arc<Slot>>,
}

struct Shared {
    limits: ConnLimits,
    clock: Clock,
    permits: Arc<Semaphore>,
    slots: Mutex<Slots>,
}

impl Shared {
    fn register(&self) -> (u64, Arc<Slot>) {
        let slot = Arc::new(Slot::new(self.clock));
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let id = slots.next_id;
        slots.next_id += 1;
        slots.open.insert(id, Arc::clone(&slot));
        (id, slot)
    }

    fn unregister(&self, id: u64) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.open.remove(&id);
    }

    /// Tells the connection idle the longest (not already closing) to
    /// close; false when every connection is busy or already closing.
    fn evict_one(&self) -> bool {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let victim = slots
            .open
            .values()
            .filter(|s| s.is_idle() && !s.closing.load(Ordering::Acquire))
            .min_by_key(|s| s.quiet_since_ms.load(Ordering::Relaxed));
        match victim {
            Some(s) => {
                s.tell_to_close();
                true
            }
            None => false,
        }
    }
}

/// Answers 503 straight on the socket, without waiting, and closes it.
fn refuse(stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY_BODY}",
        BUSY_BODY.len()
    );
    // A full send buffer or a gone client: the connection is closed anyway.
    let _ = stream.try_write(response.as_bytes());
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes,
/// then drains the connections for at most `limits.shutdown_deadline`.
/// Returns how many connections were dropped at the deadline.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> usize {
    let shared = Arc::new(Shared {
        limits,
        clock: Clock(Instant::now()),
        permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
        slots: Mutex::new(Slots::default()),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut accept_error_logged = false;
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    accept_error_logged = false;
                    admit(stream, &shared, &app, &stop_rx, &mut tasks);
                }
                Err(e) => {
                    // EMFILE and the like: wait for descriptors to free up.
                    if !accept_error_logged {
                        eprintln!("warning: cannot accept a connection: {e}; retrying");
                        accept_error_logged = true;
                    }
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            },
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_ok() {
        return 0;
    }
    let dropped = tasks.len();
    tasks.shutdown().await;
    dropped
}

/// Starts serving `stream`, making room by evicting an idle connection when
/// the cap is reached, or refuses it with 503 when every connection is busy.
fn admit(
    stream: TcpStream,
    shared: &Arc<Shared>,
    app: &Router,
    stop: &watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) {
    let _ = stream.set_nodelay(true);
    let (shared, app, stop) = (Arc::clone(shared), app.clone(), stop.clone());
    match Arc::clone(&shared.permits).try_acquire_owned() {
        Ok(permit) => {
            tasks.spawn(connection(stream, shared, app, stop, permit));
        }
        Err(_) if shared.evict_one() => {
            tasks.spawn(async move {
                let permits = Arc::clone(&shared.permits);
                match tokio::time::timeout(ADMIT_WAIT, permits.acquire_owned()).await {
                    Ok(Ok(permit)) => connection(stream, shared, app, stop, permit).await,
                    _ => refuse(stream),
                }
            });
        }
        Err(_) => refuse(stream),
    }
}

/// One connection, from accept to close.
async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    app: Router,
    mut stop: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let (id, slot) = shared.register();
    let limits = shared.limits;
    let io = TokioIo::new(Watched {
        stream,
        slot: Arc::clone(&slot),
    });
    let tower = TowerToHyperService::new(app);
    let service_slot = Arc::clone(&slot);
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let in_service = InService::begin(&service_slot);
            let call = hyper::service::Service::call(&tower, request);
            async move {
                let response = call.await;
                drop(in_service);
                response
            }
        });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let tick = (limits.idle_timeout.min(limits.header_read_timeout) / 4)
        .clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    let mut closing_since: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = slot.close.notified(), if closing_since.is_none() => {
                // Evicted while quiet: its descriptor and slot are free at
                // once for the newcomer waiting on them (a graceful close
                // would wait for a request head that may never come).
                if slot.is_quiet() {
                    break;
                }
                conn.as_mut().graceful_shutdown();
                closing_since = Some(Instant::now());
            }
            _ = ticks.tick() => {
                if closing_since.is_none() && slot.overdue(&limits) {
                    slot.closing.store(true, Ordering::Release);
                    conn.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
                if closing_since.is_some_and(|t| t.elapsed() > CLOSE_GRACE) && slot.is_idle() {
                    break;
                }
            }
        }
    }
    shared.unregister(id);
    drop(permit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_descriptors() {
        assert_eq!(connection_cap(256, None), 256);
        assert_eq!(connection_cap(256, Some(64)), 16);
        assert_eq!(connection_cap(256, Some(20)), 1);
        assert_eq!(connection_cap(8, Some(20_000)), 8);
    }

    #[test]
    fn the_open_file_limit_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|l| l > 0));
        }
    }
}
