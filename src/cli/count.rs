//! Counts given on the command line (`--top`, `--batch-size`, `--epochs`,
//! `--dim`, …): each flag is parsed by [`count`] into a whole number within
//! a fixed range, so a number that would size an allocation (`--top
//! 1000000000000`) or overflow one (`--top 18446744073709551615`) is a usage
//! error that names the flag and the range (clap exits 2), never an abort.
//! The maxima sit far above any real use and far below what a machine can
//! hold; they live here, in one list, next to the one parser — those of
//! settings the core validates (`TrainConfig`, `W2vParams`, `CfParams`)
//! taken from the core's own constants, so the flag and the check agree.

use clap::builder::TypedValueParser;

/// Results per query (`--top`).
pub const MAX_TOP: u64 = 100_000;
/// Rows per training step (`--batch-size`), as `ml::trainer::MAX_BATCH_SIZE`.
pub const MAX_BATCH_SIZE: u64 = crate::ml::trainer::MAX_BATCH_SIZE as u64;
/// Passes over the data (`--epochs`), as `ml::trainer::MAX_EPOCHS` (and
/// word2vec's `text::word2vec::MAX_EPOCHS`, the same number).
pub const MAX_EPOCHS: u64 = crate::ml::trainer::MAX_EPOCHS as u64;
/// Units in one hidden layer (`--hidden`), as `ml::trainer::MAX_HIDDEN_UNITS`.
pub const MAX_HIDDEN: u64 = crate::ml::trainer::MAX_HIDDEN_UNITS as u64;
/// Forecast horizon, hours (`--horizon`): one leap year.
pub const MAX_HORIZON_HOURS: u64 = 8_784;
/// Word-vector dimension (`--dim`), as `text::word2vec::MAX_DIM`.
pub const MAX_DIM: u64 = crate::text::word2vec::MAX_DIM as u64;
/// Words either side of a word (`--window`), as `text::word2vec::MAX_WINDOW`.
pub const MAX_WINDOW: u64 = crate::text::word2vec::MAX_WINDOW as u64;
/// Negative samples per word (`--negative`), as `text::word2vec::MAX_NEGATIVE`.
pub const MAX_NEGATIVE: u64 = crate::text::word2vec::MAX_NEGATIVE as u64;
/// Worker threads (`--threads`; 0 means every core), as `text::word2vec::MAX_THREADS`.
pub const MAX_THREADS: u64 = crate::text::word2vec::MAX_THREADS as u64;
/// Words kept from a word2vec file (`--max-words`).
pub const MAX_WORDS: u64 = 100_000_000;
/// Texts per forward pass (`text embed --batch`).
pub const MAX_TEXT_BATCH: u64 = 4_096;
/// Rows per remote request (`predict --batch-rows`).
pub const MAX_BATCH_ROWS: u64 = 1_000_000;
/// Neighbours kept per item or user (`--neighbours`), as `recommend::cf::MAX_NEIGHBOURS`.
pub const MAX_NEIGHBOURS: u64 = crate::recommend::cf::MAX_NEIGHBOURS as u64;
/// A whole fetch, seconds (`fetch --deadline-secs`): one day.
pub const MAX_DEADLINE_SECS: u64 = 86_400;
/// Rows fetched from a portal API (`--row-limit`).
pub const MAX_ROW_LIMIT: u64 = 100_000_000;
/// Refreshes of `watch --times`.
pub const MAX_REFRESHES: u64 = u32::MAX as u64;
/// Minimum counts and patience: any number that fits, since none sizes memory.
pub const MAX_PLAIN: u64 = u32::MAX as u64;

/// The parser of a count flag: a whole number from `min` to `max`; clap's
/// error names the flag and the range ("1000000000000 is not in 1..=100000").
pub fn count(min: u64, max: u64) -> impl TypedValueParser<Value = usize> {
    clap::value_parser!(u64)
        .range(min..=max)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Args {
        #[arg(long, default_value_t = 10, value_parser = count(1, MAX_TOP))]
        top: usize,
    }

    #[test]
    fn a_count_beyond_its_maximum_is_a_usage_error_naming_the_flag_and_range() {
        for given in ["1000000000000", "18446744073709551615", "0"] {
            let err = Args::try_parse_from(["t", "--top", given]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("--top"), "{text}");
            assert!(text.contains("1..=100000"), "{text}");
            assert_eq!(err.exit_code(), 2);
        }
        let err = Args::try_parse_from(["t", "--top", "99999999999999999999999"]).unwrap_err();
        assert!(err.to_string().contains("--top"));
        assert_eq!(Args::try_parse_from(["t", "--top", "7"]).unwrap().top, 7);
        assert_eq!(Args::try_parse_from(["t"]).unwrap().top, 10);
    }
}
