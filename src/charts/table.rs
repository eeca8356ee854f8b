//! A computed chart as a table of text: the accessible twin of every panel
//! ("View as table"), and what a screen reader or a spreadsheet gets.

use jiff::tz::TimeZone;

use super::compute::format_value;
use super::{ChartData, TableData, TimeBucket, XAxis};

impl ChartData {
    /// The chart's values as rows of text: one row per x (a time in the
    /// dataset's zone, a category or a number) and one column per series;
    /// a heatmap's grid, a key figure's values, or the table itself. A
    /// cell without a value is empty.
    pub fn as_table(&self, tz: &TimeZone) -> TableData {
        if let Some(t) = &self.table {
            return t.clone();
        }
        if let Some(h) = &self.heatmap {
            let mut columns = vec![String::new()];
            columns.extend(h.column_labels.iter().cloned());
            let width = h.column_labels.len();
            let rows = h
                .row_labels
                .iter()
                .enumerate()
                .map(|(r, label)| {
                    let mut row = vec![label.clone()];
                    row.extend((0..width).map(|c| {
                        h.values
                            .get(r * width + c)
                            .copied()
                            .filter(|v| v.is_finite())
                            .map_or_else(String::new, format_value)
                    }));
                    row
                })
                .collect();
            return TableData { columns, rows };
        }
        if let Some(k) = &self.kpi {
            let mut rows = vec![
                vec![self.y_label.clone(), format_value(k.latest)],
                vec!["at".to_owned(), format_time(k.at, self.bucket, tz)],
            ];
            if let Some(u) = k.usual {
                rows.push(vec!["usual".to_owned(), format_value(u)]);
            }
            return TableData {
                columns: vec![String::new(), "value".to_owned()],
                rows,
            };
        }
        if let Some(m) = &self.map
            && m.layer != Some(super::MapLayer::Points)
        {
            return map_table(m);
        }
        if self.x == XAxis::Map {
            let columns = ["group", "longitude", "latitude"]
                .map(str::to_owned)
                .to_vec();
            let rows = self
                .series
                .iter()
                .flat_map(|s| {
                    s.points.iter().map(|p| {
                        vec![
                            s.name.clone(),
                            format!("{:.5}", p[0]),
                            format!("{:.5}", p[1]),
                        ]
                    })
                })
                .collect();
            return TableData { columns, rows };
        }
        let x_name = match &self.x {
            XAxis::Time => "time".to_owned(),
            XAxis::Category(_) => String::new(),
            XAxis::Numeric(name) => name.clone(),
            XAxis::Map | XAxis::None => String::new(),
        };
        let mut columns = vec![x_name];
        columns.extend(self.series.iter().map(|s| s.name.clone()));
        // Every x of any series, in order (series of one chart share their
        // x values except scatters, which are sampled per series).
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p[0]))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let rows = xs
            .iter()
            .map(|&x| {
                let mut row = vec![match &self.x {
                    XAxis::Time => format_time(x, self.bucket, tz),
                    XAxis::Category(labels) => {
                        labels.get(x.max(0.0) as usize).cloned().unwrap_or_default()
                    }
                    _ => format_value(x),
                }];
                row.extend(self.series.iter().map(|s| {
                    s.points
                        .iter()
                        .find(|p| p[0] == x)
                        .map(|p| p[1])
                        .filter(|v| v.is_finite())
                        .map_or_else(String::new, format_value)
                }));
                row
            })
            .collect();
        TableData { columns, rows }
    }
}

/// A bucket's start in the dataset's zone, as precise as the bucket.
fn format_time(secs: f64, bucket: Option<TimeBucket>, tz: &TimeZone) -> String {
    let pattern = match bucket {
        Some(TimeBucket::Year) => "%Y",
        Some(TimeBucket::Quarter | TimeBucket::Month) => "%Y-%m",
        Some(TimeBucket::Week | TimeBucket::Day) => "%Y-%m-%d",
        _ => "%Y-%m-%d %H:%M",
    };
    jiff::Timestamp::from_microsecond((secs * 1e6) as i64)
        .map(|t| t.to_zoned(tz.clone()).strftime(pattern).to_string())
        .unwrap_or_default()
}

/// A map layer's values as rows: each polygon or line by name, or each
/// bin by its south-west corner (a hexagon by its centre), with the value
/// (empty: no rows).
fn map_table(m: &super::MapData) -> TableData {
    let value = |v: f64| {
        if v.is_finite() {
            format_value(v)
        } else {
            String::new()
        }
    };
    let label = m.value_label.clone();
    if !m.bins.is_empty() {
        return TableData {
            columns: vec![
                "longitude".to_owned(),
                "latitude".to_owned(),
                label,
                "rows".to_owned(),
            ],
            rows: m
                .bins
                .iter()
                .map(|b| {
                    vec![
                        format!("{:.5}", b.west),
                        format!("{:.5}", b.south),
                        value(b.value),
                        b.rows.to_string(),
                    ]
                })
                .collect(),
        };
    }
    let rows = m
        .areas
        .iter()
        .map(|a| vec![a.name.clone(), value(a.value)])
        .chain(m.lines.iter().map(|l| vec![l.name.clone(), value(l.value)]))
        .collect();
    TableData {
        columns: vec![String::new(), label],
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ChartKind, Series};
    use super::*;

    #[test]
    fn a_time_series_reads_as_rows_of_local_days_with_gaps_empty() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        // Midnight in Chicago on 1 and 2 June 2026 (UTC−5).
        let day1 = 1_780_290_000.0;
        let mut data = ChartData::new(ChartKind::Line, XAxis::Time, "mean of v".to_owned());
        data.bucket = Some(TimeBucket::Day);
        data.series = vec![
            Series::new(
                "a".to_owned(),
                vec![[day1, 1.5], [day1 + 86_400.0, f64::NAN]],
            ),
            Series::new("b".to_owned(), vec![[day1, 2.0], [day1 + 86_400.0, 3.0]]),
        ];
        let t = data.as_table(&tz);
        assert_eq!(t.columns, ["time", "a", "b"]);
        assert_eq!(
            t.rows,
            [
                ["2026-06-01", "1.500", "2"].map(str::to_owned).to_vec(),
                ["2026-06-02", "", "3"].map(str::to_owned).to_vec(),
            ]
        );
    }

    #[test]
    fn categories_read_by_name() {
        let mut data = ChartData::new(
            ChartKind::Bar,
            XAxis::Category(vec!["Bronx".to_owned(), "other".to_owned()]),
            "rows".to_owned(),
        );
        data.series = vec![Series::new(
            "rows".to_owned(),
            vec![[0.0, 12.0], [1.0, 3.0]],
        )];
        let t = data.as_table(&TimeZone::UTC);
        assert_eq!(t.rows[0], ["Bronx", "12"]);
        assert_eq!(t.rows[1], ["other", "3"]);
    }
}
