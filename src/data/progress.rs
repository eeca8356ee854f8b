//! How long-running core work reports progress and learns it was cancelled.
//!
//! The core only sees this trait; `jobs` implements it for background jobs
//! and the CLI for a terminal line. `()` is the no-op sink for tests.

pub trait Progress: Sync {
    /// `fraction` in 0..=1 and a short message ("Reading traffic.csv").
    fn report(&self, fraction: f32, message: &str);

    /// True once the user asked to stop; work should return promptly.
    fn is_cancelled(&self) -> bool;
}

impl Progress for () {
    fn report(&self, _fraction: f32, _message: &str) {}

    fn is_cancelled(&self) -> bool {
        false
    }
}
