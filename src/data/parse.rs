//! Cell-level parsing: missing-value markers, numbers (with decimal commas),
//! booleans and date-times in the forms open-data portals export.
//!
//! Pure functions over `&str`; the column-level decisions live in `infer`.

use super::timeseries::MICROS_PER_SECOND;

/// Is this cell a missing value? (empty, NA, N/A, null, NaN, -, none, #N/A)
pub fn is_missing(cell: &str) -> bool {
    let s = cell.trim();
    if s.is_empty() {
        return true;
    }
    if s.len() > 5 {
        return false;
    }
    // Called for every cell: compared without allocating.
    const MISSING: [&str; 10] = [
        "na", "n/a", "null", "nan", "-", "--", "none", "#n/a", "nil", "?",
    ];
    MISSING.iter().any(|m| m.eq_ignore_ascii_case(s))
}

pub fn parse_bool(cell: &str) -> Option<bool> {
    let s = cell.trim();
    if s.len() > 5 {
        return None;
    }
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    if is(&["true", "t", "yes", "y"]) {
        Some(true)
    } else if is(&["false", "f", "no", "n"]) {
        Some(false)
    } else {
        None
    }
}

/// An integer without leading zeros (so "007" stays an identifier).
pub fn parse_i64(cell: &str) -> Option<i64> {
    let s = cell.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A finite decimal number. With `decimal_comma`, "3,5" and "1.234,5" are
/// read the European way (used when the delimiter is `;`).
/// `1,234` and `-12,345,678.5`: thousands grouped by commas, as
/// spreadsheets export them into comma-separated files (quoted). Anything
/// else with a comma (`12,,5`, `1,23`) is not a number.
fn parse_thousands(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int_part, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let mut groups = int_part.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = String::with_capacity(s.len());
    digits.push_str(first);
    let mut grouped = false;
    for g in groups {
        if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(g);
        grouped = true;
    }
    if !grouped || (first.starts_with('0')) {
        return None;
    }
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push('.');
        digits.push_str(f);
    }
    let v: f64 = digits.parse().ok()?;
    let v = if s.starts_with('-') { -v } else { v };
    v.is_finite().then_some(v)
}

pub fn parse_f64(cell: &str, decimal_comma: bool) -> Option<f64> {
    let s = cell.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    // "007" and "0001" are identifiers, not numbers.
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    if unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_digit() {
        return None;
    }
    // Only digits, signs, a point, an exponent and (maybe) commas.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b','))
    {
        return None;
    }
    let value = if s.contains(',') {
        if !decimal_comma {
            return parse_thousands(s);
        }
        let mut buf = [0u8; 64];
        let mut n = 0;
        for b in s.bytes() {
            match b {
                b'.' => {} // thousands separator
                b',' => {
                    buf[n] = b'.';
                    n += 1;
                }
                _ => {
                    buf[n] = b;
                    n += 1;
                }
            }
        }
        std::str::from_utf8(&buf[..n]).ok()?.parse::<f64>().ok()?
    } else {
        s.parse::<f64>().ok()?
    };
    value.is_finite().then_some(value)
}

/// How to read dates written as `A/B/YYYY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayOrder {
    MonthFirst,
    DayFirst,
}

/// A parsed date-time before time-zone resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
    /// Seconds east of UTC, when the text carried an offset (or Z/UTC).
    pub offset_secs: Option<i32>,
    /// The first two numbers of an `A/B/YYYY` date, when that form was used.
    pub ambiguous_ab: Option<(u8, u8)>,
}

impl ParsedDateTime {
    /// Microseconds since the epoch, treating the civil time as UTC.
    pub fn naive_micros(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * MICROS_PER_SECOND + i64::from(self.micros)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// well-known algorithm, written out here).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Reads between `min` and `max` digits.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(d - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn rest(&self) -> &[u8] {
        self.b.get(self.i..).unwrap_or_default()
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
}

/// `2024-03` or `2024/03`: a month of monthly statistics, as its first day.
fn parse_year_month(s: &str) -> Option<ParsedDateTime> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && matches!(b.get(4), Some(b'-' | b'/')) && digits(5..7)) {
        return None;
    }
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some(ParsedDateTime {
        year,
        month,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
        offset_secs: None,
        ambiguous_ab: None,
    })
}

/// Parses the date-time forms seen in open-data exports:
/// `2024-03` (a month), `2024-03-01`, `2024-03-01T08:00:00Z`, `2024-03-01 08:00:00.250+01:00`,
/// `2024/03/01 08:00`, `01.03.2024 08:00`, `03/01/2024 08:00:00 AM`
/// (month or day first, as `order` says), with optional offsets
/// (`Z`, `±HH`, `±HHMM`, `±HH:MM`, ` UTC`, ` GMT`).
pub fn parse_datetime(cell: &str, order: DayOrder) -> Option<ParsedDateTime> {
    let s = cell.trim();
    if s.len() == 7 {
        return parse_year_month(s);
    }
    if s.len() < 8 || s.len() > 40 {
        return None;
    }
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let first = c.number(1, 4)?;
    let first_len = c.i;
    let sep = c.peek()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    c.i += 1;
    let (year, month, day, ambiguous_ab);
    if first_len == 4 {
        year = first as i32;
        month = c.number(1, 2)? as u8;
        if !c.eat(sep) {
            return None;
        }
        day = c.number(1, 2)? as u8;
        ambiguous_ab = None;
    } else {
        let second = c.number(1, 2)?;
        if !c.eat(sep) {
            return None;
        }
        year = c.number(4, 4)? as i32;
        let (a, b) = (first as u8, second as u8);
        if sep == b'.' {
            // 01.03.2024 is day first everywhere it is used.
            (day, month) = (a, b);
            ambiguous_ab = None;
        } else {
            (month, day) = match order {
                DayOrder::MonthFirst => (a, b),
                DayOrder::DayFirst => (b, a),
            };
            ambiguous_ab = Some((a, b));
        }
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut out = ParsedDateTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
        offset_secs: None,
        ambiguous_ab,
    };
    if c.done() {
        return Some(out);
    }
    if !(c.eat(b'T') || c.eat(b' ')) {
        return None;
    }
    c.skip_spaces();
    out.hour = c.number(1, 2)? as u8;
    if !c.eat(b':') {
        return None;
    }
    out.minute = c.number(2, 2)? as u8;
    if c.eat(b':') {
        out.second = c.number(2, 2)? as u8;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            let frac = c.number(1, 9)?;
            let digits = (c.i - start) as u32;
            out.micros = if digits >= 6 {
                frac / 10u32.pow(digits - 6)
            } else {
                frac * 10u32.pow(6 - digits)
            };
        }
    }
    // AM/PM
    let save = c.i;
    c.skip_spaces();
    let rest = c.rest();
    if rest.len() >= 2
        && (rest[..2].eq_ignore_ascii_case(b"am") || rest[..2].eq_ignore_ascii_case(b"pm"))
    {
        let pm = rest[..2].eq_ignore_ascii_case(b"pm");
        if out.hour == 0 || out.hour > 12 {
            return None;
        }
        out.hour = match (pm, out.hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
        c.i += 2;
    } else {
        c.i = save;
    }
    if out.hour > 23 || out.minute > 59 || out.second > 60 {
        return None;
    }
    out.second = out.second.min(59); // a leap second reads as :59
    // Offset.
    c.skip_spaces();
    if c.done() {
        return Some(out);
    }
    let rest = c.rest();
    if rest.eq_ignore_ascii_case(b"z")
        || rest.eq_ignore_ascii_case(b"utc")
        || rest.eq_ignore_ascii_case(b"gmt")
    {
        out.offset_secs = Some(0);
        return Some(out);
    }
    let sign: i32 = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.i += 1;
    let hh = c.number(2, 2)? as i32;
    c.eat(b':');
    let mm = if c.done() { 0 } else { c.number(2, 2)? as i32 };
    if !c.done() || hh > 18 || mm > 59 {
        return None;
    }
    out.offset_secs = Some(sign * (hh * 3600 + mm * 60));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_markers_are_recognised() {
        for m in [
            "", "  ", "NA", "n/a", "N/A", "null", "NULL", "NaN", "-", "#N/A", "None",
        ] {
            assert!(is_missing(m), "{m:?}");
        }
        for v in ["0", "nan5", "Nadia", "-1"] {
            assert!(!is_missing(v), "{v:?}");
        }
    }

    #[test]
    fn integers_keep_leading_zero_ids_as_text() {
        assert_eq!(parse_i64("42"), Some(42));
        assert_eq!(parse_i64("-7"), Some(-7));
        assert_eq!(parse_i64("0"), Some(0));
        assert_eq!(parse_i64("007"), None);
        assert_eq!(parse_i64("1.5"), None);
        assert_eq!(parse_i64("99999999999999999999"), None);
    }

    #[test]
    fn floats_with_decimal_commas() {
        assert_eq!(parse_f64("3.25", false), Some(3.25));
        assert_eq!(parse_f64("1e3", false), Some(1000.0));
        assert_eq!(parse_f64("3,5", false), None);
        assert_eq!(parse_f64("3,5", true), Some(3.5));
        assert_eq!(parse_f64("1.234,5", true), Some(1234.5));
        assert_eq!(parse_f64("inf", false), None);
        assert_eq!(parse_f64("12 km", false), None);
        assert_eq!(parse_f64("0001", false), None);
        assert_eq!(parse_f64("0.5", false), Some(0.5));
        assert_eq!(parse_f64("-0.5", false), Some(-0.5));
    }

    #[test]
    fn iso_dates_with_and_without_offsets() {
        let d = parse_datetime("2024-03-01T08:05:09Z", DayOrder::MonthFirst).unwrap();
        assert_eq!(
            (d.year, d.month, d.day, d.hour, d.minute, d.second),
            (2024, 3, 1, 8, 5, 9)
        );
        assert_eq!(d.offset_secs, Some(0));
        let d = parse_datetime("2024-03-01 08:05:09.25+05:30", DayOrder::MonthFirst).unwrap();
        assert_eq!(d.micros, 250_000);
        assert_eq!(d.offset_secs, Some(5 * 3600 + 30 * 60));
        let d = parse_datetime("2024-03-01T08:05-0800", DayOrder::MonthFirst).unwrap();
        assert_eq!(d.offset_secs, Some(-8 * 3600));
        let d = parse_datetime("2024-03-01", DayOrder::MonthFirst).unwrap();
        assert_eq!((d.hour, d.offset_secs), (0, None));
        assert!(parse_datetime("2024-02-30", DayOrder::MonthFirst).is_none());
        assert!(parse_datetime("2024-13-01", DayOrder::MonthFirst).is_none());
        assert!(parse_datetime("2024-03-01 25:00", DayOrder::MonthFirst).is_none());
    }

    #[test]
    fn a_year_and_month_is_the_first_of_that_month() {
        let d = parse_datetime("1983-02", DayOrder::MonthFirst).unwrap();
        assert_eq!((d.year, d.month, d.day, d.hour), (1983, 2, 1, 0));
        assert!(parse_datetime("2024/11", DayOrder::MonthFirst).is_some());
        for not_a_month in [
            "2024-13", "2024-00", "202-011", "2024_03", "12-2024", "abcd-ef",
        ] {
            assert!(
                parse_datetime(not_a_month, DayOrder::MonthFirst).is_none(),
                "{not_a_month}"
            );
        }
    }

    #[test]
    fn us_and_european_date_forms() {
        let d = parse_datetime("03/01/2024 08:00:00 PM", DayOrder::MonthFirst).unwrap();
        assert_eq!((d.month, d.day, d.hour), (3, 1, 20));
        assert_eq!(d.ambiguous_ab, Some((3, 1)));
        let d = parse_datetime("03/01/2024 12:30 AM", DayOrder::DayFirst).unwrap();
        assert_eq!((d.month, d.day, d.hour, d.minute), (1, 3, 0, 30));
        let d = parse_datetime("01.03.2024 08:00", DayOrder::MonthFirst).unwrap();
        assert_eq!((d.month, d.day), (3, 1));
    }

    #[test]
    fn days_from_civil_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        // 2024-03-01T08:00:00Z is 1709280000.
        let d = parse_datetime("2024-03-01T08:00:00Z", DayOrder::MonthFirst).unwrap();
        assert_eq!(d.naive_micros(), 1_709_280_000_000_000);
    }
}
