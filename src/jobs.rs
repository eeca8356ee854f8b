//! Background work: a [`Job`] runs a closure on a named thread and exposes
//! its progress (fraction + message), a cancel flag and its result.
//!
//! The GUI polls jobs each frame and is woken by the `wake` callback it gave
//! (egui's `request_repaint`), so an idle app does not repaint; the CLI
//! prints the same progress on the terminal. Network I/O runs on one shared
//! tokio runtime ([`runtime`]); compute runs on plain threads. Depends on
//! `data` (for the [`Progress`] trait), std and tokio.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::data::Progress;

/// The process-wide tokio runtime for network I/O (downloads, remote
/// inference, the model server), started on first use with one worker per
/// core.
pub fn runtime() -> std::io::Result<&'static tokio::runtime::Runtime> {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("cityops-io")
        .build()?;
    Ok(RT.get_or_init(|| rt))
}

/// A function the job calls when there is something new to show.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The state shared between a job and whoever watches it.
pub struct JobProgress {
    fraction_bits: AtomicU32,
    message: Mutex<String>,
    cancelled: AtomicBool,
    wake: Wake,
    last_wake: Mutex<Option<Instant>>,
}

impl JobProgress {
    fn new(wake: Wake) -> Self {
        Self {
            fraction_bits: AtomicU32::new(0f32.to_bits()),
            message: Mutex::new(String::new()),
            cancelled: AtomicBool::new(false),
            wake,
            last_wake: Mutex::new(None),
        }
    }

    pub fn fraction(&self) -> f32 {
        f32::from_bits(self.fraction_bits.load(Ordering::Relaxed))
    }

    pub fn message(&self) -> String {
        self.message.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Progress for JobProgress {
    fn report(&self, fraction: f32, message: &str) {
        self.fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        if let Ok(mut m) = self.message.lock()
            && *m != message
        {
            message.clone_into(&mut m);
        }
        // Wake the watcher at most ~30 times a second.
        if let Ok(mut last) = self.last_wake.lock()
            && last.is_none_or(|t| t.elapsed() >= Duration::from_millis(33))
        {
            *last = Some(Instant::now());
            (self.wake)();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// A running (or finished) background job producing a `T`.
pub struct Job<T> {
    label: String,
    progress: Arc<JobProgress>,
    result: Receiver<T>,
    done: Option<T>,
    finished: bool,
    /// Set by the worker thread when it ends, with a result or by a panic.
    ended: Arc<std::sync::atomic::AtomicBool>,
}

/// Marks a job's thread as ended when dropped: after its result is sent,
/// or while unwinding from a panic.
struct EndGuard(Arc<std::sync::atomic::AtomicBool>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a new thread named `cityops-job`. `wake` is called on
    /// progress and when the result is ready.
    pub fn spawn(
        label: impl Into<String>,
        wake: Wake,
        work: impl FnOnce(&JobProgress) -> T + Send + 'static,
    ) -> std::io::Result<Self> {
        let progress = Arc::new(JobProgress::new(wake));
        let (tx, rx) = mpsc::sync_channel(1);
        let p = Arc::clone(&progress);
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let guard = EndGuard(Arc::clone(&ended));
        std::thread::Builder::new()
            .name("cityops-job".to_owned())
            .spawn(move || {
                let out = work(&p);
                let _ = tx.send(out);
                drop(guard);
                (p.wake)();
            })?;
        Ok(Self {
            label: label.into(),
            progress,
            result: rx,
            done: None,
            finished: false,
            ended,
        })
    }
}

impl<T> Job<T> {
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `(fraction 0..=1, message)`.
    pub fn progress(&self) -> (f32, String) {
        (self.progress.fraction(), self.progress.message())
    }

    pub fn cancel(&self) {
        self.progress.cancelled.store(true, Ordering::Relaxed);
        (self.progress.wake)();
    }

    pub fn is_cancelled(&self) -> bool {
        self.progress.is_cancelled()
    }

    /// The result once the job has finished; `None` while it runs. Returns
    /// the value once.
    pub fn try_result(&mut self) -> Option<T> {
        if let Some(v) = self.done.take() {
            return Some(v);
        }
        match self.result.try_recv() {
            Ok(v) => {
                self.finished = true;
                Some(v)
            }
            // A thread gone without a result stays "lost" (`is_lost`),
            // whichever of the two is asked first.
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }

    /// Whether the worker thread is still at work: false once it has sent
    /// its result (taken or not) or panicked. Needs no `&mut`, so a view
    /// that is not drawn, and so does not take its result, is not busy.
    pub fn is_running(&self) -> bool {
        !self.ended.load(Ordering::Acquire)
    }

    /// True when the worker thread ended without a result (it panicked).
    pub fn is_lost(&mut self) -> bool {
        if self.finished || self.done.is_some() {
            return false;
        }
        match self.result.try_recv() {
            Ok(v) => {
                self.done = Some(v);
                false
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => true,
        }
    }

    /// Blocks until the job ends (CLI use).
    pub fn wait(self) -> Option<T> {
        if let Some(v) = self.done {
            return Some(v);
        }
        self.result.recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_wake() -> Wake {
        Arc::new(|| {})
    }

    #[test]
    fn a_job_that_panicked_is_lost_whichever_is_asked_first() {
        let mut job = Job::<u32>::spawn("t", no_wake(), |_| panic!("a bug")).unwrap();
        for _ in 0..500 {
            if job.try_result().is_none() && job.is_lost() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(job.try_result().is_none());
        assert!(
            job.is_lost(),
            "asked after try_result, the job still says it is lost"
        );
    }

    /// A job that has ended is no longer running before anyone takes its
    /// result (a view not drawn leaves it there), nor after a panic.
    #[test]
    fn a_job_ends_running_when_its_thread_ends() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut job = Job::spawn("t", no_wake(), move |_| {
            let _ = rx.recv();
            7
        })
        .unwrap();
        assert!(job.is_running(), "waiting for the go");
        tx.send(()).unwrap();
        let ended = |job: &Job<u32>| {
            (0..500).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(5));
                !job.is_running()
            })
        };
        assert!(ended(&job), "done, its result not taken");
        assert_eq!(job.try_result(), Some(7));
        let panicked = Job::<u32>::spawn("p", no_wake(), |_| panic!("a bug")).unwrap();
        assert!(ended(&panicked), "a panic ends it too");
    }

    #[test]
    fn job_reports_progress_and_result() {
        let job = Job::spawn("count", no_wake(), |p| {
            p.report(0.5, "half");
            21 * 2
        })
        .unwrap();
        assert_eq!(job.wait(), Some(42));
    }

    #[test]
    fn cancel_reaches_the_worker() {
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let mut job = Job::spawn("loop", no_wake(), move |p| {
            let _ = go_rx.recv();
            p.is_cancelled()
        })
        .unwrap();
        job.cancel();
        go_tx.send(()).unwrap();
        let mut out = None;
        for _ in 0..500 {
            out = job.try_result();
            if out.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(out, Some(true));
    }

    #[test]
    fn wake_is_called_when_done() {
        let woken = Arc::new(AtomicBool::new(false));
        let w = Arc::clone(&woken);
        let job = Job::spawn(
            "w",
            Arc::new(move || w.store(true, Ordering::SeqCst)),
            |_| (),
        )
        .unwrap();
        job.wait();
        // The wake runs right after the send; give the thread a moment.
        for _ in 0..500 {
            if woken.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(woken.load(Ordering::SeqCst));
    }
}
