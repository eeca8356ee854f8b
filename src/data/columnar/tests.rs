use std::sync::Arc;

use arrow_array::builder::{Int32Builder, ListBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Float32Array,
    Int32Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
    TimestampSecondArray, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::*;
use crate::data::ColumnKind;

const ROWS: usize = 3000;

/// A batch of `ROWS` rows starting at row `from`, with every type the
/// loader reads and one it leaves out.
fn batch(from: usize) -> RecordBatch {
    let ids: Vec<i64> = (from..from + ROWS).map(|i| i as i64).collect();
    let big: Vec<u64> = (from..from + ROWS)
        .map(|i| if i == 7 { u64::MAX } else { i as u64 })
        .collect();
    let speed: Vec<Option<f32>> = (from..from + ROWS)
        .map(|i| (i % 10 != 3).then_some(i as f32 / 2.0))
        .collect();
    let ok: Vec<bool> = (from..from + ROWS).map(|i| i % 2 == 0).collect();
    // 2024-06-01T00:00:00Z plus i minutes.
    let zoned: Vec<i64> = (from..from + ROWS)
        .map(|i| 1_717_200_000_000 + i as i64 * 60_000)
        .collect();
    let naive: Vec<i64> = (from..from + ROWS)
        .map(|i| 1_717_200_000 + i as i64 * 3600)
        .collect();
    let days: Vec<i32> = (from..from + ROWS)
        .map(|i| 19_875 + (i % 30) as i32)
        .collect();
    let roads: Vec<String> = (from..from + ROWS)
        .map(|i| format!("road {}", i % 5))
        .collect();
    let notes: Vec<String> = (from..from + ROWS).map(|i| format!("note {i}")).collect();
    let price: Vec<i128> = (from..from + ROWS).map(|i| i as i128 * 25).collect();
    // One dictionary for every batch (an IPC file allows no other).
    let keys: Vec<Option<i32>> = (from..from + ROWS)
        .map(|i| (i % 17 != 0).then_some((i % 3) as i32))
        .collect();
    let district = DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(keys),
        Arc::new(StringArray::from(vec!["North", "South", "East"])),
    )
    .unwrap();
    let mut list = ListBuilder::new(Int32Builder::new());
    for i in from..from + ROWS {
        list.values().append_value(i as i32);
        list.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(UInt64Array::from(big)),
        Arc::new(Float32Array::from(speed)),
        Arc::new(BooleanArray::from(ok)),
        Arc::new(TimestampMillisecondArray::from(zoned).with_timezone("America/Chicago")),
        Arc::new(TimestampSecondArray::from(naive)),
        Arc::new(Date32Array::from(days)),
        Arc::new(StringArray::from(roads)),
        Arc::new(StringArray::from(notes)),
        Arc::new(
            Decimal128Array::from(price)
                .with_precision_and_scale(10, 2)
                .unwrap(),
        ),
        Arc::new(district),
        Arc::new(list.finish()),
    ];
    RecordBatch::try_new(schema(), columns).unwrap()
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("counter", DataType::UInt64, false),
        Field::new("speed", DataType::Float32, true),
        Field::new("ok", DataType::Boolean, false),
        Field::new(
            "observed",
            DataType::Timestamp(TimeUnit::Millisecond, Some("America/Chicago".into())),
            false,
        ),
        Field::new("local", DataType::Timestamp(TimeUnit::Second, None), false),
        Field::new("day", DataType::Date32, false),
        Field::new("road", DataType::Utf8, false),
        Field::new("note", DataType::Utf8, false),
        Field::new("price", DataType::Decimal128(10, 2), false),
        Field::new(
            "district",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        ),
        Field::new(
            "readings",
            DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
            false,
        ),
    ]))
}

fn write_parquet(path: &Path, batches: usize, compression: Compression) {
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(ROWS))
        .build();
    let file = File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, schema(), Some(props)).unwrap();
    for b in 0..batches {
        w.write(&batch(b * ROWS)).unwrap();
    }
    w.close().unwrap();
}

fn load(path: &Path) -> LoadedColumnar {
    let opts = LoadOptions {
        time_zone: Some(TimeZone::UTC),
        ..LoadOptions::default()
    };
    let format = format_of(path).unwrap();
    load_columnar_file(path, format, &opts, &()).unwrap()
}

/// What every format must give for `batches` batches of `batch`.
fn check(loaded: &LoadedColumnar, batches: usize) {
    let t = &loaded.table;
    let n = batches * ROWS;
    assert_eq!(t.n_rows(), n);
    let col = |name: &str| t.column(name).unwrap();
    assert_eq!(col("id").kind(), ColumnKind::Integer);
    // File order kept across row groups read on two threads.
    for r in [0, ROWS - 1, ROWS, n - 1] {
        assert_eq!(col("id").f64_at(r), Some(r as f64), "row {r}");
    }
    // The one u64 past i64::MAX is missing and said so.
    assert!(col("counter").f64_at(7).is_none());
    assert_eq!(col("counter").f64_at(8), Some(8.0));
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("1 values of 'counter'"))
    );
    assert!(col("speed").f64_at(3).is_none());
    assert_eq!(col("speed").f64_at(4), Some(2.0));
    assert_eq!(col("ok").kind(), ColumnKind::Bool);
    let observed = col("observed");
    assert_eq!(observed.kind(), ColumnKind::Timestamp);
    assert!(observed.timestamp_info.has_offset);
    assert_eq!(observed.timestamp_at(1), Some(1_717_200_060_000_000));
    // Naive times and dates read in the chosen zone (UTC here).
    assert_eq!(col("local").timestamp_at(0), Some(1_717_200_000_000_000));
    assert!(!col("local").timestamp_info.has_offset);
    assert_eq!(col("day").timestamp_at(0), Some(19_875 * MICROS_PER_DAY));
    // Repeated strings categorical, distinct strings text.
    assert_eq!(col("road").kind(), ColumnKind::Categorical);
    assert_eq!(col("road").str_at(ROWS + 2), Some("road 2"));
    assert_eq!(col("note").kind(), ColumnKind::Text);
    assert_eq!(
        col("note").str_at(n - 1),
        Some(format!("note {}", n - 1).as_str())
    );
    assert_eq!(col("price").f64_at(4), Some(1.0));
    let district = col("district");
    assert_eq!(district.kind(), ColumnKind::Categorical);
    assert_eq!(
        district.dictionary().map(<[String]>::len),
        Some(3),
        "{:?}",
        district.dictionary()
    );
    assert!(district.str_at(0).is_none());
    assert_eq!(
        district.str_at(ROWS + 1),
        Some(["North", "South", "East"][(ROWS + 1) % 3])
    );
    // The list column is left out, by name.
    assert!(t.column("readings").is_none());
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("readings (List"))
    );
}

#[test]
fn parquet_keeps_types_zones_dictionaries_and_order_with_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    for (i, codec) in [
        Compression::SNAPPY,
        Compression::ZSTD(Default::default()),
        Compression::LZ4_RAW,
        Compression::GZIP(Default::default()),
        Compression::UNCOMPRESSED,
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.path().join(format!("readings{i}.parquet"));
        write_parquet(&path, 3, codec);
        check(&load(&path), 3);
    }
}

#[test]
fn a_zoned_file_is_shown_in_its_zone_unless_one_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.parquet");
    write_parquet(&path, 1, Compression::SNAPPY);
    let loaded = load_columnar_file(&path, Format::Parquet, &LoadOptions::default(), &()).unwrap();
    assert_eq!(loaded.time_zone.iana_name(), Some("America/Chicago"));
    assert_eq!(load(&path).time_zone, TimeZone::UTC);
}

#[test]
fn arrow_ipc_file_and_stream_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let file_path = dir.path().join("readings.arrow");
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(File::create(&file_path).unwrap(), &schema())
            .unwrap();
    for b in 0..2 {
        w.write(&batch(b * ROWS)).unwrap();
    }
    w.finish().unwrap();
    check(&load(&file_path), 2);
    let stream_path = dir.path().join("readings.arrows");
    let mut w =
        arrow_ipc::writer::StreamWriter::try_new(File::create(&stream_path).unwrap(), &schema())
            .unwrap();
    for b in 0..2 {
        w.write(&batch(b * ROWS)).unwrap();
    }
    w.finish().unwrap();
    check(&load(&stream_path), 2);
    // A download with no telling name is known by its magic bytes.
    let nameless = dir.path().join("download");
    std::fs::copy(&file_path, &nameless).unwrap();
    assert_eq!(format_of(&nameless), Some(Format::ArrowFile));
}

#[test]
fn a_cut_off_or_fake_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.parquet");
    write_parquet(&path, 2, Compression::SNAPPY);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_columnar_file(&cut, Format::Parquet, &LoadOptions::default(), &()).unwrap_err();
    assert!(matches!(err, LoadError::Format { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("cut.parquet: not a readable Parquet file"),
        "{err}"
    );
    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, "id,speed\n1,2\n").unwrap();
    assert!(matches!(
        load_columnar_file(&fake, Format::Parquet, &LoadOptions::default(), &()),
        Err(LoadError::Format { .. })
    ));
    let empty = dir.path().join("empty.arrow");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        load_columnar_file(&empty, Format::ArrowFile, &LoadOptions::default(), &()),
        Err(LoadError::Empty { .. })
    ));
}

#[test]
fn a_file_larger_than_memory_allows_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    write_parquet(&path, 2, Compression::SNAPPY);
    let opts = LoadOptions {
        memory_limit: Some(1 << 20),
        ..LoadOptions::default()
    };
    let err = load_columnar_file(&path, Format::Parquet, &opts, &()).unwrap_err();
    assert!(err.to_string().contains("memory"), "{err}");
}

#[test]
fn load_dataset_opens_parquet_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readings.parquet");
    write_parquet(&path, 1, Compression::SNAPPY);
    let ds = crate::data::load_dataset(&path, &LoadOptions::default(), &()).unwrap();
    assert_eq!(ds.name, "readings");
    assert_eq!(ds.table.n_rows(), ROWS);
    assert!(ds.schema.find(crate::data::schema::Role::Time).is_some());
}
