//! The columnar [`Table`]: typed columns with explicit missing values.
//!
//! Everything else in cityops reads data through this type. It knows nothing
//! about files, plots or models; it must not import egui, candle or tokio.

use std::collections::HashMap;

/// Microseconds since the Unix epoch, in UTC.
pub type TimestampMicros = i64;

/// The storage type of a column, as shown to users (`integer`, `float`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Integer,
    Float,
    Bool,
    Timestamp,
    Categorical,
    Text,
}

impl ColumnKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Float => "float",
            Self::Bool => "bool",
            Self::Timestamp => "timestamp",
            Self::Categorical => "categorical",
            Self::Text => "text",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Float)
    }
}

/// One bit per row: set means the value is present.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Validity {
    bits: Vec<u64>,
    len: usize,
    missing: usize,
}

impl Validity {
    pub fn all_valid(len: usize) -> Self {
        let mut bits = vec![u64::MAX; len.div_ceil(64)];
        if !len.is_multiple_of(64)
            && let Some(last) = bits.last_mut()
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        Self {
            bits,
            len,
            missing: 0,
        }
    }

    pub fn with_capacity(rows: usize) -> Self {
        Self {
            bits: Vec::with_capacity(rows.div_ceil(64)),
            len: 0,
            missing: 0,
        }
    }

    pub fn push(&mut self, valid: bool) {
        let bit = self.len % 64;
        if bit == 0 {
            self.bits.push(0);
        }
        if valid {
            if let Some(word) = self.bits.last_mut() {
                *word |= 1u64 << bit;
            }
        } else {
            self.missing += 1;
        }
        self.len += 1;
    }

    /// Appends `other`'s rows after these, a word at a time.
    pub fn append(&mut self, other: &Validity) {
        let shift = self.len % 64;
        self.bits.truncate(self.len.div_ceil(64));
        if shift == 0 {
            self.bits.extend_from_slice(&other.bits);
        } else {
            for &w in &other.bits {
                if let Some(last) = self.bits.last_mut() {
                    *last |= w << shift;
                }
                self.bits.push(w >> (64 - shift));
            }
        }
        self.len += other.len;
        self.missing += other.missing;
        // Bits past a validity's length are always clear, so the words
        // past the new length are empty.
        self.bits.truncate(self.len.div_ceil(64));
    }

    pub fn is_valid(&self, row: usize) -> bool {
        row < self.len
            && self
                .bits
                .get(row / 64)
                .is_some_and(|w| w & (1u64 << (row % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn missing_count(&self) -> usize {
        self.missing
    }

    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

/// Strings stored back to back with offsets: one allocation for a whole column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StringColumn {
    data: String,
    /// `offsets[i]..offsets[i + 1]` is string `i`; `offsets.len() == len + 1`.
    offsets: Vec<u64>,
}

impl StringColumn {
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            data: String::with_capacity(bytes),
            offsets,
        }
    }

    pub fn push(&mut self, s: &str) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.data.push_str(s);
        self.offsets.push(self.data.len() as u64);
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        self.data.get(start..end)
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    pub fn shrink_to_fit(&mut self) {
        self.data.shrink_to_fit();
        self.offsets.shrink_to_fit();
    }

    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.offsets.capacity() * 8
    }
}

/// The values of one column. Missing rows hold a filler value (0, NaN, false,
/// code 0 or "") and are marked in the column's [`Validity`].
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnValues {
    Integer(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(Vec<TimestampMicros>),
    /// Dictionary-encoded strings: `dictionary[codes[row]]`.
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<String>,
    },
    Text(StringColumn),
}

impl ColumnValues {
    pub fn kind(&self) -> ColumnKind {
        match self {
            Self::Integer(_) => ColumnKind::Integer,
            Self::Float(_) => ColumnKind::Float,
            Self::Bool(_) => ColumnKind::Bool,
            Self::Timestamp(_) => ColumnKind::Timestamp,
            Self::Categorical { .. } => ColumnKind::Categorical,
            Self::Text(_) => ColumnKind::Text,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Integer(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Timestamp(v) => v.len(),
            Self::Categorical { codes, .. } => codes.len(),
            Self::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a timestamp column was written in its source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimestampInfo {
    /// Every value carried an explicit UTC offset (or was epoch seconds), so
    /// the instants are exact whatever time zone the dataset is shown in.
    pub has_offset: bool,
}

/// One named, typed column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: ColumnValues,
    pub validity: Validity,
    pub timestamp_info: TimestampInfo,
}

impl Column {
    pub fn new(name: impl Into<String>, values: ColumnValues, validity: Validity) -> Self {
        Self {
            name: name.into(),
            values,
            validity,
            timestamp_info: TimestampInfo::default(),
        }
    }

    /// A column with no missing values.
    pub fn full(name: impl Into<String>, values: ColumnValues) -> Self {
        let len = values.len();
        Self::new(name, values, Validity::all_valid(len))
    }

    pub fn from_f64(name: impl Into<String>, values: Vec<f64>) -> Self {
        let mut validity = Validity::with_capacity(values.len());
        for v in &values {
            validity.push(!v.is_nan());
        }
        Self::new(name, ColumnValues::Float(values), validity)
    }

    pub fn from_i64(name: impl Into<String>, values: Vec<i64>) -> Self {
        Self::full(name, ColumnValues::Integer(values))
    }

    pub fn from_bool(name: impl Into<String>, values: Vec<bool>) -> Self {
        Self::full(name, ColumnValues::Bool(values))
    }

    /// Timestamps in microseconds since the epoch (UTC), exact instants.
    pub fn from_timestamps(name: impl Into<String>, values: Vec<TimestampMicros>) -> Self {
        let mut c = Self::full(name, ColumnValues::Timestamp(values));
        c.timestamp_info.has_offset = true;
        c
    }

    /// Dictionary-encodes the strings.
    pub fn categorical<S: AsRef<str>>(name: impl Into<String>, values: &[S]) -> Self {
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut dictionary = Vec::new();
        let mut codes = Vec::with_capacity(values.len());
        for v in values {
            let v = v.as_ref();
            let code = *index.entry(v).or_insert_with(|| {
                dictionary.push(v.to_owned());
                (dictionary.len() - 1) as u32
            });
            codes.push(code);
        }
        Self::full(name, ColumnValues::Categorical { codes, dictionary })
    }

    pub fn text<S: AsRef<str>>(name: impl Into<String>, values: &[S]) -> Self {
        let bytes = values.iter().map(|s| s.as_ref().len()).sum();
        let mut col = StringColumn::with_capacity(values.len(), bytes);
        for v in values {
            col.push(v.as_ref());
        }
        Self::full(name, ColumnValues::Text(col))
    }

    pub fn kind(&self) -> ColumnKind {
        self.values.kind()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn missing_count(&self) -> usize {
        self.validity.missing_count()
    }

    pub fn is_valid(&self, row: usize) -> bool {
        self.validity.is_valid(row)
    }

    /// The value as a number, for plotting and statistics: integers, floats,
    /// bools (0/1) and timestamps (seconds since the epoch). `None` when
    /// missing or not numeric.
    pub fn f64_at(&self, row: usize) -> Option<f64> {
        if !self.is_valid(row) {
            return None;
        }
        match &self.values {
            ColumnValues::Integer(v) => v.get(row).map(|&x| x as f64),
            ColumnValues::Float(v) => v.get(row).copied().filter(|x| !x.is_nan()),
            ColumnValues::Bool(v) => v.get(row).map(|&b| f64::from(u8::from(b))),
            ColumnValues::Timestamp(v) => v.get(row).map(|&t| t as f64 / 1e6),
            ColumnValues::Categorical { .. } | ColumnValues::Text(_) => None,
        }
    }

    /// The timestamp at `row`, when this is a timestamp column.
    pub fn timestamp_at(&self, row: usize) -> Option<TimestampMicros> {
        if !self.is_valid(row) {
            return None;
        }
        match &self.values {
            ColumnValues::Timestamp(v) => v.get(row).copied(),
            _ => None,
        }
    }

    /// The string at `row` for categorical and text columns.
    pub fn str_at(&self, row: usize) -> Option<&str> {
        if !self.is_valid(row) {
            return None;
        }
        match &self.values {
            ColumnValues::Categorical { codes, dictionary } => {
                let code = *codes.get(row)?;
                dictionary.get(code as usize).map(String::as_str)
            }
            ColumnValues::Text(v) => v.get(row),
            _ => None,
        }
    }

    /// The category code at `row` for categorical columns.
    pub fn code_at(&self, row: usize) -> Option<u32> {
        if !self.is_valid(row) {
            return None;
        }
        match &self.values {
            ColumnValues::Categorical { codes, .. } => codes.get(row).copied(),
            _ => None,
        }
    }

    pub fn dictionary(&self) -> Option<&[String]> {
        match &self.values {
            ColumnValues::Categorical { dictionary, .. } => Some(dictionary),
            _ => None,
        }
    }

    /// Bytes held on the heap by this column's values and validity.
    pub fn heap_bytes(&self) -> usize {
        let values = match &self.values {
            ColumnValues::Integer(v) => v.capacity() * 8,
            ColumnValues::Float(v) => v.capacity() * 8,
            ColumnValues::Bool(v) => v.capacity(),
            ColumnValues::Timestamp(v) => v.capacity() * 8,
            ColumnValues::Categorical { codes, dictionary } => {
                codes.capacity() * 4 + dictionary.iter().map(|s| s.capacity() + 24).sum::<usize>()
            }
            ColumnValues::Text(v) => v.heap_bytes(),
        };
        values + self.validity.heap_bytes() + self.name.capacity()
    }
}

/// A table of equally long columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    n_rows: usize,
}

/// Columns of a table did not have the same length.
#[derive(Debug, thiserror::Error)]
#[error("column '{name}' has {got} rows but the table has {expected}")]
pub struct RaggedColumns {
    pub name: String,
    pub got: usize,
    pub expected: usize,
}

impl super::Blame for RaggedColumns {
    /// Columns are put together by cityops, not typed by the user.
    fn is_user_input(&self) -> bool {
        false
    }
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Result<Self, RaggedColumns> {
        let n_rows = columns.first().map_or(0, Column::len);
        for c in &columns {
            if c.len() != n_rows || c.validity.len() != n_rows {
                return Err(RaggedColumns {
                    name: c.name.clone(),
                    got: c.len(),
                    expected: n_rows,
                });
            }
        }
        Ok(Self { columns, n_rows })
    }

    /// The column names, comma-separated, for messages that list them.
    pub fn column_names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum()
    }

    /// A table of the given rows, in that order (out-of-range rows are
    /// left out).
    pub fn take_rows(&self, rows: &[usize]) -> Table {
        let rows: Vec<usize> = rows.iter().copied().filter(|&r| r < self.n_rows).collect();
        Table {
            columns: self.columns.iter().map(|c| c.take(&rows, None)).collect(),
            n_rows: rows.len(),
        }
    }
}

impl Column {
    /// The values at `rows` (each `< self.len()`), in that order. With
    /// `spread = Some(len)` the opposite: a column of `len` rows where row
    /// `rows[i]` holds this column's value `i` and every other row is
    /// missing.
    pub fn take(&self, rows: &[usize], spread: Option<usize>) -> Column {
        // Source row for each output row (None: missing).
        let source: Vec<Option<usize>> = match spread {
            None => rows.iter().map(|&r| Some(r)).collect(),
            Some(len) => {
                let mut s = vec![None; len];
                for (i, &r) in rows.iter().enumerate() {
                    if let Some(slot) = s.get_mut(r) {
                        *slot = Some(i);
                    }
                }
                s
            }
        };
        fn pick<T: Clone>(v: &[T], source: &[Option<usize>], filler: T) -> Vec<T> {
            source
                .iter()
                .map(|s| {
                    s.and_then(|i| v.get(i))
                        .cloned()
                        .unwrap_or_else(|| filler.clone())
                })
                .collect()
        }
        let values = match &self.values {
            ColumnValues::Integer(v) => ColumnValues::Integer(pick(v, &source, 0)),
            ColumnValues::Float(v) => ColumnValues::Float(pick(v, &source, f64::NAN)),
            ColumnValues::Bool(v) => ColumnValues::Bool(pick(v, &source, false)),
            ColumnValues::Timestamp(v) => ColumnValues::Timestamp(pick(v, &source, 0)),
            ColumnValues::Categorical { codes, dictionary } => ColumnValues::Categorical {
                codes: pick(codes, &source, 0),
                dictionary: dictionary.clone(),
            },
            ColumnValues::Text(v) => {
                let mut out = StringColumn::with_capacity(source.len(), 0);
                for s in &source {
                    out.push(s.and_then(|i| v.get(i)).unwrap_or(""));
                }
                ColumnValues::Text(out)
            }
        };
        let mut validity = Validity::with_capacity(source.len());
        for s in &source {
            validity.push(s.is_some_and(|i| self.validity.is_valid(i)));
        }
        Column {
            name: self.name.clone(),
            values,
            validity,
            timestamp_info: self.timestamp_info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_append_at_every_alignment_is_the_same_as_pushing() {
        for first in [0usize, 1, 63, 64, 65, 130] {
            for second in [0usize, 1, 63, 64, 100] {
                let bit = |i: usize| !(i * 7 + 3).is_multiple_of(5);
                let mut a = Validity::default();
                let mut b = Validity::default();
                let mut pushed = Validity::default();
                for i in 0..first {
                    a.push(bit(i));
                    pushed.push(bit(i));
                }
                for i in 0..second {
                    b.push(bit(i + first));
                    pushed.push(bit(i + first));
                }
                a.append(&b);
                assert_eq!(a, pushed, "{first} + {second}");
            }
        }
    }

    #[test]
    fn rows_taken_and_spread_back_keep_values_and_gaps() {
        let mut validity = Validity::with_capacity(4);
        for v in [true, false, true, true] {
            validity.push(v);
        }
        let t = Table::new(vec![
            Column::new("n", ColumnValues::Integer(vec![10, 0, 30, 40]), validity),
            Column::text("s", &["a", "b", "c", "d"]),
        ])
        .unwrap();
        let sub = t.take_rows(&[3, 1, 9]);
        assert_eq!(sub.n_rows(), 2, "row 9 does not exist");
        let n = sub.column("n").unwrap();
        assert_eq!((n.f64_at(0), n.f64_at(1)), (Some(40.0), None));
        assert_eq!(sub.column("s").unwrap().str_at(1), Some("b"));
        let back = sub.column("s").unwrap().take(&[3, 1], Some(4));
        let got: Vec<Option<&str>> = (0..4).map(|r| back.str_at(r)).collect();
        assert_eq!(got, [None, Some("b"), None, Some("d")]);
    }

    #[test]
    fn validity_tracks_missing_across_word_boundaries() {
        let mut v = Validity::with_capacity(130);
        for i in 0..130 {
            v.push(i % 7 != 0);
        }
        assert_eq!(v.len(), 130);
        assert_eq!(v.missing_count(), 19);
        assert!(!v.is_valid(0));
        assert!(v.is_valid(1));
        assert!(!v.is_valid(126));
        assert!(v.is_valid(129));
        assert!(!v.is_valid(130));
    }

    #[test]
    fn all_valid_has_no_stray_bits() {
        let v = Validity::all_valid(65);
        assert!(v.is_valid(64));
        assert!(!v.is_valid(65));
        assert_eq!(v.missing_count(), 0);
    }

    #[test]
    fn categorical_builder_dictionary_encodes() {
        let c = Column::categorical("road", &["a", "b", "a", "c", "b"]);
        assert_eq!(c.dictionary().map(<[String]>::len), Some(3));
        assert_eq!(c.str_at(2), Some("a"));
        assert_eq!(c.code_at(4), Some(1));
    }

    #[test]
    fn ragged_columns_are_rejected() {
        let err = Table::new(vec![
            Column::from_i64("a", vec![1, 2]),
            Column::from_i64("b", vec![1]),
        ])
        .unwrap_err();
        assert_eq!(err.name, "b");
    }
}
