//! Whose move it is after an error: [`Blame`], said once by each library
//! error type (`data`, `ml`, `recommend`, `text`, `models`, `serve`) beside
//! its variants, so the edges need not sort variants again. The command
//! line turns it into its exit code (2 for the user's input, 1 for
//! anything else); the dashboard may use it to word a retry.
//!
//! Imports nothing; every library module may use it.

use std::path::Path;

/// Whether an error is the user's to fix.
pub trait Blame {
    /// True when what the user gave caused the error — a path, a flag, a
    /// column, a parameter, a file or an address they chose — so changing
    /// it fixes it; false when something else failed: the disk, the
    /// network, a server, a cancel, or cityops itself.
    fn is_user_input(&self) -> bool;
}

impl<T: Blame + ?Sized> Blame for &T {
    fn is_user_input(&self) -> bool {
        (**self).is_user_input()
    }
}

/// For an I/O error on `path`: a path that does not exist is the user's
/// (a typo, a wrong folder); one that exists but cannot be read or written
/// is the machine's (permissions, a full disk, a failing drive).
pub fn missing_path(path: &str) -> bool {
    !Path::new(path).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_does_not_exist_is_the_users_and_one_that_exists_is_not() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!missing_path(&dir.path().display().to_string()));
        assert!(missing_path(
            &dir.path().join("no_such_file.csv").display().to_string()
        ));
    }
}
