//! Date and time of day kept in two columns — NYC's collisions (`CRASH
//! DATE`, `CRASH TIME`), EPA's hourly data (`Date Local`, `Time Local`,
//! `Date GMT`, `Time GMT`) and many other exports — are combined into one
//! timestamp column, so that the data has a time axis with hours.
//!
//! The loader finds the pairs on the raw cells ([`find_pairs`]), builds the
//! combined cells (`date time`, with ` UTC` appended when the names say GMT
//! or UTC) and types them like any other column; the combined column is
//! kept only when it reads as timestamps and the table has no column of
//! full timestamps already (San Francisco's incidents carry `Incident
//! Datetime` next to `Incident Date` and `Incident Time`).

use super::infer::RawColumn;
use super::parse::{self, DayOrder};

/// How many present cells of a column are looked at to decide whether it
/// holds dates only or times of day only; the full column is then typed
/// like any other, with the usual tolerance for bad cells.
const SAMPLE: usize = 200;

/// A date column and a time-of-day column to combine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub date: usize,
    pub time: usize,
    /// The combined column's name, unique among the headers.
    pub name: String,
    /// The names say GMT or UTC: the combined cells are exact instants.
    pub utc: bool,
}

fn sample(raw: &RawColumn) -> impl Iterator<Item = &str> + '_ {
    raw.iter().filter(|c| !parse::is_missing(c)).take(SAMPLE)
}

/// All sampled cells are dates without a time (`2024-03-15`, `03/15/2024`,
/// `15.03.2024`), and there is at least one.
pub fn is_date_only(raw: &RawColumn) -> bool {
    let mut any = false;
    for cell in sample(raw) {
        any = true;
        let date = parse::parse_datetime(cell, DayOrder::MonthFirst)
            .or_else(|| parse::parse_datetime(cell, DayOrder::DayFirst));
        if cell.contains(':') || date.is_none() {
            return false;
        }
    }
    any
}

/// All sampled cells are times of day (`7:05`, `23:41`, `08:15:30`,
/// `11:47:12 PM`), and there is at least one.
pub fn is_time_only(raw: &RawColumn) -> bool {
    let mut any = false;
    let mut buf = String::new();
    for cell in sample(raw) {
        any = true;
        buf.clear();
        buf.push_str("2000-01-01 ");
        buf.push_str(cell.trim());
        match parse::parse_datetime(&buf, DayOrder::MonthFirst) {
            Some(d) if d.offset_secs.is_none() => {}
            _ => return false,
        }
    }
    any
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// The name with its word "date" turned into "datetime" (in the same
/// case), or "DATE TIME" when it has no such word.
fn combined_name(date: &str, time: &str) -> String {
    // ASCII lower case keeps the byte positions.
    let l = date.to_ascii_lowercase();
    if let Some(at) = l.find("date")
        && let Some(word) = date.get(at..at + 4)
    {
        let suffix = if word == "DATE" { "TIME" } else { "time" };
        return format!("{}{word}{suffix}{}", &date[..at], &date[at + 4..]);
    }
    format!("{date} {time}")
}

/// The pairs to combine. A time column is paired with the date column whose
/// name is its own with "time" for "date" (`Time Local` ↔ `Date Local`);
/// failing that, when the table has exactly one date-only column and one
/// time-of-day column, those two.
pub fn find_pairs(headers: &[String], raw: &[RawColumn]) -> Vec<Pair> {
    let named = |i: usize, words: &[&str]| {
        headers
            .get(i)
            .is_some_and(|h| words.iter().any(|w| lower(h).contains(w)))
    };
    let dates: Vec<usize> = (0..raw.len())
        .filter(|&i| named(i, &["date", "day"]) && raw.get(i).is_some_and(is_date_only))
        .collect();
    let times: Vec<usize> = (0..raw.len())
        .filter(|&i| named(i, &["time", "hour"]) && raw.get(i).is_some_and(is_time_only))
        .collect();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for &t in &times {
        let want = lower(&headers[t]).replace("time", "date");
        if let Some(&d) = dates.iter().find(|&&d| lower(&headers[d]) == want) {
            pairs.push((d, t));
        }
    }
    if pairs.is_empty() && dates.len() == 1 && times.len() == 1 {
        pairs.push((dates[0], times[0]));
    }
    let mut taken: Vec<String> = headers.iter().map(|h| lower(h)).collect();
    pairs
        .into_iter()
        .map(|(date, time)| {
            let mut name = combined_name(&headers[date], &headers[time]);
            if taken.contains(&lower(&name)) {
                name = format!("{} + {}", headers[date], headers[time]);
            }
            taken.push(lower(&name));
            let utc = [date, time].iter().any(|&i| {
                let words = lower(&headers[i]);
                words.contains("gmt") || words.contains("utc")
            });
            Pair {
                date,
                time,
                name,
                utc,
            }
        })
        .collect()
}

/// The combined cells: `date time` (and ` UTC`), empty where either part is
/// missing — a date without its time is not a known instant.
pub fn combined_cells(date: &RawColumn, time: &RawColumn, utc: bool) -> RawColumn {
    let mut out = RawColumn::default();
    let mut cell = String::new();
    for (d, t) in date.iter().zip(time.iter()) {
        cell.clear();
        if !parse::is_missing(d) && !parse::is_missing(t) {
            cell.push_str(d.trim());
            cell.push(' ');
            cell.push_str(t.trim());
            if utc {
                cell.push_str(" UTC");
            }
        }
        out.push(&cell);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(cells: &[&str]) -> RawColumn {
        let mut r = RawColumn::default();
        for c in cells {
            r.push(c);
        }
        r
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn dates_and_times_of_day_are_told_apart() {
        assert!(is_date_only(&raw(&["2024-03-15", "", "2024-03-16"])));
        assert!(is_date_only(&raw(&["03/15/2024", "15.03.2024"])));
        assert!(!is_date_only(&raw(&["2024-03-15 08:00"])));
        assert!(!is_date_only(&raw(&["", "NA"])), "nothing present");
        assert!(is_time_only(&raw(&[
            "7:05",
            "23:41",
            "08:15:30",
            "11:47:12 PM"
        ])));
        assert!(!is_time_only(&raw(&["25:00"])));
        assert!(!is_time_only(&raw(&["08:00+02:00"])));
        assert!(!is_time_only(&raw(&["2024-03-15"])));
    }

    #[test]
    fn pairs_follow_the_names_and_get_readable_names() {
        let epa = headers(&[
            "State Code",
            "Date Local",
            "Time Local",
            "Date GMT",
            "Time GMT",
            "Sample Measurement",
        ]);
        let cols = [
            raw(&["06"]),
            raw(&["2024-01-01"]),
            raw(&["00:00"]),
            raw(&["2024-01-01"]),
            raw(&["08:00"]),
            raw(&["1.5"]),
        ];
        let pairs = find_pairs(&epa, &cols);
        assert_eq!(pairs.len(), 2);
        assert_eq!((pairs[0].date, pairs[0].time, pairs[0].utc), (1, 2, false));
        assert_eq!(pairs[0].name, "Datetime Local");
        assert_eq!((pairs[1].date, pairs[1].time, pairs[1].utc), (3, 4, true));
        assert_eq!(pairs[1].name, "Datetime GMT");

        let nyc = headers(&["CRASH DATE", "CRASH TIME", "BOROUGH"]);
        let cols = [raw(&["09/11/2021"]), raw(&["2:39"]), raw(&["BROOKLYN"])];
        let pairs = find_pairs(&nyc, &cols);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].name, "CRASH DATETIME");

        // One of each, names unrelated: still a pair.
        let h = headers(&["day", "hour_of_report", "count"]);
        let cols = [raw(&["2024-05-01"]), raw(&["13:00"]), raw(&["3"])];
        let pairs = find_pairs(&h, &cols);
        assert_eq!(pairs[0].name, "day hour_of_report");

        // The natural name is taken: a plain one instead.
        let sf = headers(&["Incident Datetime", "Incident Date", "Incident Time"]);
        let cols = [
            raw(&["2023/03/13 11:41:00 PM"]),
            raw(&["2023/03/13"]),
            raw(&["23:41"]),
        ];
        let pairs = find_pairs(&sf, &cols);
        assert_eq!(pairs[0].name, "Incident Date + Incident Time");

        // A time column with nothing to pair: nothing.
        let h = headers(&["time", "value"]);
        assert!(find_pairs(&h, &[raw(&["13:00"]), raw(&["1"])]).is_empty());
    }

    #[test]
    fn combined_cells_join_date_and_time_and_leave_gaps_missing() {
        let d = raw(&["09/11/2021", "", "09/12/2021"]);
        let t = raw(&["2:39", "4:00", ""]);
        let c = combined_cells(&d, &t, false);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec!["09/11/2021 2:39", "", ""]
        );
        let c = combined_cells(&raw(&["2024-01-01"]), &raw(&["08:00"]), true);
        assert_eq!(c.iter().collect::<Vec<_>>(), vec!["2024-01-01 08:00 UTC"]);
    }
}
