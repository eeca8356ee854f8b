//! Parquet against CSV: the same 1,000,000-row, 7-column traffic table
//! loaded from its CSV file and from a Parquet file of the same rows
//! (snappy, row groups of 131,072 rows as DuckDB writes them, strings as
//! plain UTF-8 — pandas' default — rather than dictionaries, the harder
//! case for the reader).
//!
//! Run: `cargo bench --bench parquet_load`. Both files are written once
//! (seeded) in the system temp folder; their sizes are printed first.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use cityops::data::table::ColumnValues;
use cityops::data::{Column, LoadOptions, load_dataset};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

#[path = "common/traffic_csv.rs"]
mod traffic_csv;
use traffic_csv::traffic_csv;

const ROW_GROUP: usize = 131_072;

/// One column as an Arrow array, its missing values as nulls.
fn arrow_column(c: &Column) -> (Field, ArrayRef) {
    let valid = |r: usize| c.validity.is_valid(r);
    let n = c.len();
    let (ty, array): (DataType, ArrayRef) = match &c.values {
        ColumnValues::Integer(v) => (
            DataType::Int64,
            Arc::new(Int64Array::from_iter(
                (0..n).map(|r| valid(r).then(|| v[r])),
            )),
        ),
        ColumnValues::Float(v) => (
            DataType::Float64,
            Arc::new(Float64Array::from_iter(
                (0..n).map(|r| valid(r).then(|| v[r])),
            )),
        ),
        ColumnValues::Bool(v) => (
            DataType::Boolean,
            Arc::new(BooleanArray::from_iter(
                (0..n).map(|r| valid(r).then(|| v[r])),
            )),
        ),
        ColumnValues::Timestamp(v) => (
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Arc::new(
                TimestampMicrosecondArray::from_iter((0..n).map(|r| valid(r).then(|| v[r])))
                    .with_timezone("UTC"),
            ),
        ),
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => (
            DataType::Utf8,
            Arc::new(StringArray::from_iter((0..n).map(|r| c.str_at(r)))),
        ),
    };
    (Field::new(&c.name, ty, true), array)
}

/// The traffic table written as Parquet, once.
fn traffic_parquet() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join("cityops_bench_traffic_1m.parquet");
        if path.exists() {
            return path;
        }
        let ds = load_dataset(traffic_csv(), &LoadOptions::default(), &()).expect("load csv");
        let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) =
            ds.table.columns.iter().map(arrow_column).unzip();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("batch");
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .build();
        let tmp = path.with_extension("parquet.part");
        let mut w = ArrowWriter::try_new(std::fs::File::create(&tmp).unwrap(), schema, Some(props))
            .expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        std::fs::rename(&tmp, &path).unwrap();
        path
    })
}

fn main() {
    let csv = traffic_csv();
    let pq = traffic_parquet();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let from_csv = load_dataset(csv, &LoadOptions::default(), &()).expect("csv");
    let from_pq = load_dataset(pq, &LoadOptions::default(), &()).expect("parquet");
    assert_eq!(from_csv.table.n_rows(), from_pq.table.n_rows());
    eprintln!(
        "parquet_load: {} rows; CSV {:.1} MB, Parquet {:.1} MB",
        from_pq.table.n_rows(),
        size(csv),
        size(pq)
    );
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn csv_1m_rows(bencher: divan::Bencher) {
    let path = traffic_csv();
    bencher.bench(|| load_dataset(path, &LoadOptions::default(), &()).expect("load"));
}

#[divan::bench(sample_count = 10)]
fn parquet_1m_rows(bencher: divan::Bencher) {
    let path = traffic_parquet();
    bencher.bench(|| load_dataset(path, &LoadOptions::default(), &()).expect("load"));
}
