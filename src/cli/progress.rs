//! Terminal progress on stderr: a single updating line when stderr is a
//! terminal, nothing otherwise (so logs and pipes stay clean).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

use crate::data::Progress;

pub struct TerminalProgress {
    label: String,
    enabled: bool,
    last: Mutex<Option<Instant>>,
}

impl TerminalProgress {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            enabled: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

impl Progress for TerminalProgress {
    fn report(&self, fraction: f32, message: &str) {
        if !self.enabled {
            return;
        }
        if let Ok(mut last) = self.last.lock() {
            if last.is_some_and(|t| t.elapsed().as_millis() < 100) && fraction < 1.0 {
                return;
            }
            *last = Some(Instant::now());
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{} {:>3.0}% {}",
            self.label,
            fraction.clamp(0.0, 1.0) * 100.0,
            message
        );
        let _ = err.flush();
    }

    fn is_cancelled(&self) -> bool {
        false
    }
}
