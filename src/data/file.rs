//! Reading paths a user, a workspace or a model folder names: only regular
//! files, opened without ever blocking, and read through a bound.
//!
//! A FIFO opened for reading blocks until a writer appears, and `/dev/zero`
//! reports a length of 0 and never ends; both would hang or exhaust a
//! reader that trusts `open` and the file's length. Every reader of a
//! user-named path goes through [`open_regular`] (which refuses anything
//! but a regular file, opening with `O_NONBLOCK` so that a path swapped for
//! a FIFO after the check cannot block either) and reads no more than the
//! length it found, or a maximum it was given ([`read_regular`]).

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why a path could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "{path}: this is {what}, not a regular file; cityops reads only regular files. Save the data to a file and choose that."
    )]
    NotRegular { path: String, what: &'static str },
    #[error(
        "{path}: cannot read the file: {message}. Check that the path is right and the file is readable."
    )]
    Io { path: String, message: String },
    #[error(
        "{path}: the file is {size} bytes, more than the {limit} bytes cityops reads from a file of this kind. Check that this is the right file."
    )]
    TooLarge { path: String, size: u64, limit: u64 },
}

impl From<FileError> for super::LoadError {
    /// The loaders' error for a file that cannot be read, each message
    /// said once.
    fn from(e: FileError) -> Self {
        match e {
            FileError::NotRegular { path, what } => Self::NotAFile { path, what },
            FileError::Io { path, message } => Self::Io { path, message },
            FileError::TooLarge { path, size, limit } => Self::Io {
                path,
                message: format!(
                    "the file is {size} bytes, more than the {limit} bytes cityops reads from a file of this kind"
                ),
            },
        }
    }
}

impl super::Blame for FileError {
    fn is_user_input(&self) -> bool {
        match self {
            Self::NotRegular { .. } | Self::TooLarge { .. } => true,
            Self::Io { path, .. } => super::blame::missing_path(path),
        }
    }
}

/// What a non-regular file is, in words.
fn describe(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else {
        "not an ordinary file"
    }
}

/// Opens `path` for reading when it is a regular file (after following
/// links), and returns it with its length in bytes.
pub fn open_regular(path: &Path) -> Result<(File, u64), FileError> {
    let shown = || path.display().to_string();
    let io = |e: std::io::Error| FileError::Io {
        path: shown(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: shown(),
            what: describe(meta.file_type()),
        });
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never block in open(2), whatever the path has become since the
        // check; reads from a regular file ignore the flag.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            path: shown(),
            what: describe(meta.file_type()),
        });
    }
    Ok((file, meta.len()))
}

/// Reads a whole regular file of at most `max_bytes`. A file that grows
/// while it is read is read only up to the length it had plus one byte, so
/// that the growth is noticed and refused rather than followed.
pub fn read_regular(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(FileError::TooLarge {
            path: path.display().to_string(),
            size: len,
            limit: max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(FileError::TooLarge {
            path: path.display().to_string(),
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// Reads a whole regular file of at most `max_bytes` as UTF-8 text.
pub fn read_regular_to_string(path: &Path, max_bytes: u64) -> Result<String, FileError> {
    let bytes = read_regular(path, max_bytes)?;
    String::from_utf8(bytes).map_err(|e| FileError::Io {
        path: path.display().to_string(),
        message: format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.csv");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("a named pipe (FIFO)"), "{err}");
        assert!(read_regular(&fifo, 100).is_err());
    }

    #[test]
    fn devices_and_folders_are_refused() {
        let err = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("a character device"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("a folder"), "{err}");
    }

    #[test]
    fn a_file_over_the_bound_is_refused_and_one_under_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.txt");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_regular(&p, 5).unwrap(), b"hello");
        assert_eq!(read_regular_to_string(&p, 5).unwrap(), "hello");
        let err = read_regular(&p, 4).unwrap_err();
        assert!(
            matches!(
                err,
                FileError::TooLarge {
                    size: 5,
                    limit: 4,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
