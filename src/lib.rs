//! cityops: a native desktop dashboard for city operations.
//!
//! One crate: this library (the core, the app and the command line) and a
//! thin binary in `main.rs`. This page is the map of the code as it stands;
//! the team's DESIGN.md is the intended direction.
//!
//! | module | owns | imports |
//! |---|---|---|
//! | [`data`] | `Table` and typed columns; CSV ingest (`csv_load`: the general loader with its warnings, unclosed-quote recovery and load counts; `csv_fast`: the one-pass, two-core path for large clean files, which gives the same result or defers), type inference (`infer`: the 95 % rule), `file` (only regular files, read through a bound), roles and domains (`schema`), date+time combining, pivot, time bucketing, decimation (gaps kept), AQI, alert rules, the demo city (`demo/`: mod.rs assembles it; calendar, weather, places, templates; one file per table), the time units (`timeseries::MICROS_PER_SECOND/MINUTE/HOUR/DAY`, defined nowhere else), `blame` (`Blame`: each library error says whether it is the user's input), `geojson` (FeatureCollections into shapes and a properties table; errors with the JSON path; projected files refused), `json` (tables from JSON arrays, NDJSON and portal envelopes), `records` (rows of JSON objects typed by the CSV inference, nested objects as dotted columns), `columnar` (Parquet and Arrow IPC with their types, zones and dictionaries; Parquet row groups on two threads), `sheet` (Excel and OpenDocument: sheet choice, header row found below titles, cells typed by the CSV inference), `append` (new rows after a table's own, converted to its column types, what did not fit counted), `Source::Database` (`DatabaseSource`: address without password, table or query) and `Source::Stream` | std, csv, csv-core, jiff, serde_json, arrow-rs (parquet, arrow-ipc), calamine |
//! | [`charts`] | `ChartSpec` (serde), `compute` (spec + dataset + window → `ChartData`, buckets in the dataset's zone, gaps as NaN), `suggest` (the charts of any table), `domain` (`default_dashboard`: a dataset's Traffic, Safety or Environment panels from the columns it has, then suggestions; `Reference::Usual` and `Reference::AqiBands` for the special panels), `map` (map layers: square and hexagonal bins, choropleths joined by a property or by location through a grid index, lines of a GeoJSON or of a table's segment start and end columns (`segment_columns`), earcut triangles; `LayerLook` (shown, opacity) and a spec's `overlays`, more layers of any open dataset on one map; `choropleth_suggestion` pairs a table with open districts whose bounds hold its points), `sql` (the SQL form of a spec — lines, areas, bars, key figures, weekday × hour: `date_trunc` buckets in the dataset's zone, aggregates, filters, window and top groups as `GROUP BY` statements whose results equal `compute`'s; run through the `SqlRunner` trait, no driver), `ChartData::as_table` (every chart's accessible twin), `ChartData::note` (where the figures come from when not the whole table in memory) | `data`, earcut |
//! | [`ml`] | features, the MLP on candle, trainer (`TrainConfig::validate`), metrics and baselines, forecasting, `apply` (a model's predictions as a new dataset, and what to check them by), `dense` (CPU inference) | `data`, candle, gemm |
//! | [`recommend`] | sparse matrix, item/user cosine CF (`CfParams::validate`), popularity, explanations, ranking metrics | `data` |
//! | [`text`] | tokenising, word2vec (`W2vParams::validate`) and its formats, routing, topics, `reports` (the report pipeline the CLI and the Reports view both call: reports from a table, the router by one rule, topics, word map, weekly trends), the BERT encoder | `data`, `ml`, candle |
//! | [`models`] | `ModelKind` and the `CardHeader` every card flattens (`card`; the kind checked once, in `bundle::read_card_of_kind`; cards without a kind read as tabular), bundles (card + safetensors, every size checked against the file before anything is reserved), registry (`describe` and `remove` for the CLI and the Models view — cards only, never weights; a bad model is listed with its reason), `folder` (where the models folder is: flag, `CITYOPS_MODELS`, workspace setting, the user's data folder, which gets the shipped models built into the binary the first time), fetch (staging names, `is_staging`), forecast alerts, `remote` (split by concept: errors and the shared HTTP transport in `mod.rs`, `tensors`, `v2` — the V2 client, which sends binary tensors from `BINARY_MIN_VALUES` values on where the server lists the extension and deploys bundles —, `table` (columns ↔ tensors), `embeddings`), `wire` (the V2 protocol for the client and the server alike: datatypes, `TensorData` — a tensor's flat values with missing ones —, `read_json_data` — the one reader of a tensor's JSON data —, `TensorMeta` and `ModelMetadata`, Triton's binary tensor encoding), `net` (`NetError`: the one network failure of every HTTP client, wrapped by the fetch and remote errors) | the core above, reqwest, half |
//! | [`jobs`] | `Job<T>`: background work with progress, cancel and result | std |
//! | [`sources`] | a dataset from a path or an http(s) URL (downloaded with the model fetcher's safeguards into a private temporary folder, read by the same loaders, deleted); `portal` (Socrata, CKAN and ArcGIS APIs paged as each documents, each page through `models::fetch::fetch_bytes`); `live` (`Watch`: what changed since the last look — a file's appended lines, an API's newer rows, a re-read that differs — and the backoff after failures); `postgres` (a table or query held as its first rows, every covered chart run on the server through `charts::sql`, `page` for keyset paging of the whole table, read-only sessions with a statement timeout, cancel requests, errors with SQLSTATE, table listing, passwords in memory only); `mqtt` (broker address with wildcard filters, JSON payloads to rows, a `Window` bounded by rows and age, malformed payloads counted, reconnect with backoff); `compute_chart` (every chart job's entry: the server for a database table, memory otherwise), `compute_overlays` (a map's further layers, each from its own dataset; one that fails carries its reason) | `data`, `charts`, `models::fetch`, `jobs`, tokio-postgres, rumqttc, rustls |
//! | [`serve`] | the V2 HTTP server over the models folder: `conn` (hyper connections with timeouts, a cap and a shutdown deadline), `guard` (body size and time, Host and Content-Type checks), `limits` (inference slots, shape and answer sizes), `binary` (the binary tensor data extension: body split, sizes checked, binary outputs, on `models::wire`), `repository` (Triton's repository extension: load with uploaded files, staged and checked, swapped in; unload; always behind the token); imports run one way, no circle: adapters (`tabular`, `recommender`, `embeddings`: signature, metadata parameters, inference, no HTTP) → `registry` (the loaded models, replaced or removed while serving; `load_card`) → `state` (what the handlers share, model lookup) → `routes` (every axum handler, `/v1/embeddings` included) | `models`, axum, hyper |
//! | [`app`] | the eframe dashboard: views (Explore and Dashboards on `charts`, the domain views, Predict, Reports, Recommend, Models, Data), `panels` (a chart spec computed in the background and drawn, its table twin, the chart builder, a map's time playback, the `Selection` a click on a map makes for a dashboard's other panels, `chart_image` for the command line), `dashboards` (named `egui_tiles` trees of panels, saved in the workspace, version 2), `raster` (egui's triangles painted into pixels without a GPU), `png_export` (a view laid out at a scale on the UI thread, painted in a job), `state` (the leaf every other part builds on: `Workspace` (with `basemap_for`: Riverton's map under the demo's data only), `ViewId`, `TimeWindow`, `Command`, `ViewCtx`, theme, playlist), `tasks` (every background job of the app's own in one list, typed outcomes), `live` (the live sources' refresh jobs and the top bar's status), `workspace` (the saved file), `feeds` (the MQTT feeds followed: a thread each, window snapshots as dataset revisions), widgets (`open_url`: the Open URL… menu for files, APIs, databases with their table list, and feeds; `map`: walkers' map with its layers (`LayerRef`: each shown or hidden, at its opacity, bottom first; hover and clicks go to the topmost visible one), a legend per layer, the scale bar, a large style for presentations, and the basemap editor; `tiles`: XYZ tiles fetched on the I/O runtime with a size-bounded disk cache and failures kept for the map to show, or read from a local archive; `pmtiles`: the PMTiles v3 reader (and a writer for fixtures)), i18n | everything above, egui, egui_plot, egui_tiles, walkers |
//! | [`cli`] | one file per subcommand (`watch` refreshes a source in a loop through `sources::live`, or follows an MQTT feed; `inspect postgres://…` lists tables; `--table`/`--sql` in `SourceFlags`): a call into the core plus printing; `count` holds every count flag's range (the core's maxima where the core validates); one error → exit-code mapping (`Failure: From<E: Blame>`) | everything but `app` (except to launch it, and `charts --out`/`chart`/`map`, which draw with `app::panels::chart_image`/`chart_image_on`) |
//!
//! Imports point down the table: `data` ← `charts`/`ml`/`recommend`/`text`
//! ← `models` ← `serve`/`app`/`cli`. Nothing in the core knows egui.
//!
//! Where the code departs from DESIGN.md: the V2 protocol module is
//! `models::wire`, not a top-level `v2` (it sits with the client, which
//! `serve` imports anyway); it holds the datatypes, the one value enum, the
//! one reader of tensor JSON, the metadata types and the binary encoding,
//! while the request and answer envelopes stay with each side (the server
//! keeps its outputs as `OutputData` to write FP32 as FP32);
//! the Traffic, Safety and Environment views are kept beside their default
//! dashboards (made from the same domain panels, `charts::default_dashboard`)
//! for what a dashboard panel cannot do yet — the sensor checklist, the
//! incident-type filter, the station-by-station AQI with NowCast notes —
//! and fall back to those panels when a file lacks their columns;
//! sources live in `sources` (not `data::source`), and `jobs` running
//! every long step of the CLI does not exist yet; the Models and Predict views start their own jobs to load
//! and remove bundles (never in `poll`, never on the UI thread) rather
//! than sending commands to the app. The command line draws
//! chart PNGs with the app's panel code (`app::panels::chart_image`) so a
//! chart looks the same everywhere; that is its one import of `app`
//! besides launching it. The card header leaves out the training data's
//! fingerprint that DESIGN.md lists: tabular and recommender cards always
//! carry one and word vectors never do, so it stays in those two cards. The
//! remote and sentence encoders (`models::encoder::ReportEncoder`) reach
//! `text::reports` through its `Encoder` trait, so `text` still does not
//! import `models`; `text::reports` reports progress in English only.
//! Maps use walkers for the view and its projection but not its HTTP
//! tiles (they cannot report a failed tile and their cache has no bound):
//! `app::widgets::tiles` is the `Tiles` source; the demo city's basemap is
//! generated in `data::demo::basemap` and drawn by `app::widgets::map`.
//! A map's layers are one spec with `overlays` (each a map spec of its own
//! dataset) rather than a separate layer type, so the chart builder, the
//! workspace and `sources::compute_chart` serve both. Not built yet from
//! the database issue:
//! scatters, histograms, correlations, maps and tables computed by the
//! server (they use the rows held, and say so).

pub mod app;
pub mod charts;
pub mod cli;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod jobs;
pub mod ml;
pub mod models;
pub mod recommend;
pub mod serve;
pub mod sources;
pub mod text;
