//! Reading a plain-text training corpus: one document per line, tokenised
//! as it is read, with progress by bytes and cancel between lines.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{TextError, Tokenizer};
use crate::data::Progress;

/// The tokenised documents of a UTF-8 text file, one per non-empty line.
/// A line that is not UTF-8 is an error naming the file and line.
pub fn read_corpus(path: &Path, progress: &dyn Progress) -> Result<Vec<Vec<String>>, TextError> {
    let name = path.display().to_string();
    // Only a regular file: a FIFO or /dev/zero would block or never end.
    let (file, len) = crate::data::file::open_regular(path)?;
    // Read no more than the length found, so a file that grows is not followed.
    let file = file.take(len);
    read_documents(BufReader::new(file), &name, len.max(1), progress)
}

/// [`read_corpus`] over any reader; `total` bytes is for the progress.
pub fn read_documents(
    reader: impl Read,
    name: &str,
    total: u64,
    progress: &dyn Progress,
) -> Result<Vec<Vec<String>>, TextError> {
    let tok = Tokenizer::shared();
    let mut reader = BufReader::new(reader);
    let mut docs = Vec::new();
    let mut line = Vec::new();
    let mut read = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| TextError::io(name, &e, "The file could not be read to the end."))?;
        if n == 0 {
            break;
        }
        number += 1;
        read += n as u64;
        let text = std::str::from_utf8(&line).map_err(|e| {
            TextError::at_line(
                name,
                number,
                format!(
                    "not UTF-8 text at byte {} of the line; save the corpus as UTF-8",
                    e.valid_up_to() + 1
                ),
            )
        })?;
        let tokens = tok.tokenize(text);
        if !tokens.is_empty() {
            docs.push(tokens);
        }
        if number.is_multiple_of(1024) {
            if progress.is_cancelled() {
                return Err(TextError::Cancelled);
            }
            progress.report(
                (read as f64 / total as f64).min(1.0) as f32,
                &format!("Reading {name}: {} documents", docs.len()),
            );
        }
    }
    if docs.is_empty() {
        return Err(TextError::Empty(format!("{name} has no words")));
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_document_per_line_with_blank_lines_skipped() {
        let docs = read_documents(
            "Streetlight out on 5th Ave\n\n小区门口垃圾没人清理\r\nlast line".as_bytes(),
            "c.txt",
            100,
            &(),
        )
        .unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[0].contains(&"streetlight".to_owned()));
        assert!(docs[1].contains(&"垃圾".to_owned()), "{:?}", docs[1]);
        assert_eq!(docs[2], ["last", "line"]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_named() {
        let err = read_documents(&b"ok line\nbad \xff here\n"[..], "c.txt", 10, &()).unwrap_err();
        assert!(err.to_string().starts_with("c.txt:2: not UTF-8"), "{err}");
    }

    #[test]
    fn an_empty_file_says_so() {
        let err = read_documents(&b"\n\n"[..], "c.txt", 2, &()).unwrap_err();
        assert!(err.to_string().contains("c.txt has no words"), "{err}");
    }
}
