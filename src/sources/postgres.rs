//! PostgreSQL tables and queries as a source. The dataset holds only the
//! first rows (for the Data view, suggestions and models); every chart of
//! it is a few `GROUP BY` statements the server runs ([`charts::sql`]), so
//! a table of hundreds of millions of readings charts in seconds with
//! little memory here. TimescaleDB, CrateDB and FIWARE's QuantumLeap store
//! speak the same protocol.
//!
//! - **Address**: `postgres://user@host:port/db` (`sslmode=disable`,
//!   `prefer` — the default — or `require`); TLS through rustls with the
//!   platform's certificates. The password comes from the address, from
//!   [`remember_password`] (a prompt) or from `PGPASSWORD`; it is kept in
//!   memory only, and the address a dataset keeps has none.
//! - **Safety**: each session is read-only (`default_transaction_read_only`)
//!   with a statement timeout; names are quoted and tables resolved by the
//!   server (`to_regclass`), so a name is never SQL.
//! - **Cancel** sends PostgreSQL's cancel request, so the server stops too.
//! - **Errors** carry the server's message and SQLSTATE, and say what to do.
//!
//! [`charts::sql`]: crate::charts::sql

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::tz::TimeZone;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::charts::sql::{self, Cell, SqlColumn, SqlKind, SqlTable, ident, literal};
use crate::charts::{self, ChartData, ChartError, ChartSpec};
use crate::data::timeseries::TimeRange;
use crate::data::{
    self, Column, ColumnValues, DatabaseSource, Dataset, LoadError, LoadOptions, LoadWarning,
    Progress, Source, Table, TimestampInfo, Validity,
};

/// Rows held in memory by default: the Data view, suggestions and models
/// use them; charts use the whole table through the server.
pub const DEFAULT_SAMPLE_ROWS: usize = 100_000;
/// What a connection without a password says when the server wants one
/// (the command line then asks for it, where it can).
pub const PASSWORD_MISSING: &str = "the server asks for a password. Set PGPASSWORD, or give it in Open URL… (the dashboard) or when asked (the command line)";
/// How the warning of a dataset holding part of its table begins.
const HELD_FIRST: &str = "the first";
/// How long one statement may run before the server stops it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `spec` is a PostgreSQL address.
pub fn is_postgres(spec: &str) -> bool {
    let lower = spec.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

fn passwords() -> &'static Mutex<HashMap<String, String>> {
    static P: std::sync::OnceLock<Mutex<HashMap<String, String>>> = std::sync::OnceLock::new();
    P.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Keeps `password` in memory for the server at `url` (as shown, without
/// a password), for the connections charts make later. Never saved.
pub fn remember_password(url: &str, password: &str) {
    if let Ok(mut p) = passwords().lock() {
        p.insert(url.to_owned(), password.to_owned());
    }
}

/// A failure, ready for a [`LoadError`] or a [`ChartError`].
#[derive(Debug, Clone, PartialEq)]
pub struct DbError {
    pub url: String,
    pub message: String,
    /// The SQLSTATE, when the server answered.
    pub sqlstate: Option<String>,
    /// The address, password, table or query is at fault.
    pub user_input: bool,
    pub cancelled: bool,
}

impl DbError {
    /// A failure found here (not an answer of the server's).
    fn new(url: &str, message: impl Into<String>, user_input: bool) -> Self {
        Self {
            url: url.to_owned(),
            message: message.into(),
            sqlstate: None,
            user_input,
            cancelled: false,
        }
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.message)
    }
}

impl From<DbError> for LoadError {
    fn from(e: DbError) -> Self {
        if e.cancelled {
            return LoadError::Cancelled;
        }
        LoadError::Database {
            url: e.url,
            message: e.message,
            user_input: e.user_input,
        }
    }
}

impl From<DbError> for ChartError {
    fn from(e: DbError) -> Self {
        if e.cancelled {
            return ChartError::Cancelled;
        }
        ChartError::Database(e.to_string())
    }
}

/// An address taken apart: the connection settings and the address as
/// shown (no password).
pub struct Address {
    config: Config,
    pub shown: String,
}

impl Address {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let url = url.trim();
        let bad = |message: String| DbError::new(&redact(url), message, true);
        if !is_postgres(url) {
            return Err(bad(
                "this is not a PostgreSQL address; write it as postgres://user@host:5432/database"
                    .to_owned(),
            ));
        }
        let mut config = Config::from_str(url).map_err(|e| {
            bad(format!(
                "the address cannot be read ({e}); write it as postgres://user@host:5432/database"
            ))
        })?;
        if config.get_hosts().is_empty() {
            config.host("localhost");
        }
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_owned());
            config.user(&user);
        }
        let user = config.get_user().unwrap_or("postgres").to_owned();
        if config.get_dbname().is_none() {
            config.dbname(&user);
        }
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let shown = format!(
            "postgres://{user}@{host}:{port}/{}",
            config.get_dbname().unwrap_or("")
        );
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .application_name("cityops");
        if config.get_password().is_none() {
            let kept = passwords().lock().ok().and_then(|p| p.get(&shown).cloned());
            if let Some(pw) = kept.or_else(|| std::env::var("PGPASSWORD").ok()) {
                config.password(pw);
            }
        }
        Ok(Self { config, shown })
    }

    /// Whether a password is known for this address.
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }

    /// The password known for this address (from it, a prompt or
    /// `PGPASSWORD`), to keep in memory for later connections.
    pub fn password(&self) -> Option<String> {
        self.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    pub fn set_password(&mut self, password: &str) {
        self.config.password(password);
    }
}

/// The address with any password taken out, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn tls() -> Result<MakeRustlsConnect, String> {
    Ok(MakeRustlsConnect::new(super::tls_config()?))
}

/// An open session with the server.
pub struct Db {
    client: Client,
    tls: MakeRustlsConnect,
    pub url: String,
    rt: &'static tokio::runtime::Runtime,
}

/// A table the server has, for browsing.
#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    /// `schema.table`, as `--table` takes it.
    pub name: String,
    /// "table", "view", "materialized view", "partitioned table", "foreign table".
    pub kind: String,
    /// The planner's estimate of its rows (`None` for views, or before the
    /// table was first analysed).
    pub rows_estimate: Option<u64>,
}

impl Db {
    /// Connects, read-only, with the statement timeout.
    pub fn connect(address: &Address, progress: &dyn Progress) -> Result<Self, DbError> {
        let url = address.shown.clone();
        let rt = crate::jobs::runtime().map_err(|e| DbError::new(&url, e.to_string(), false))?;
        let tls = tls().map_err(|e| {
            DbError::new(
                &url,
                format!("TLS could not be set up ({e}); check this computer's certificates"),
                false,
            )
        })?;
        progress.report(0.0, &format!("Connecting to {url}"));
        let config = address.config.clone();
        let connecting = {
            let tls = tls.clone();
            async move { config.connect(tls).await }
        };
        let (client, connection) = block_on_cancellable(rt, connecting, progress, None)
            .map_err(|e| e.into_db(&url, address.has_password()))?;
        rt.spawn(async move {
            // Ends when the client is dropped or the server goes away; a
            // lost connection surfaces as the next query's error.
            let _ = connection.await;
        });
        let db = Self {
            client,
            tls,
            url,
            rt,
        };
        let setup = format!(
            "SET default_transaction_read_only = on; SET standard_conforming_strings = on; SET statement_timeout = {}",
            STATEMENT_TIMEOUT.as_millis()
        );
        db.run(db.client.batch_execute(&setup), progress)?;
        Ok(db)
    }

    /// Runs `fut` on the shared runtime; a cancel sends the server's
    /// cancel request and returns at once.
    fn run<T>(
        &self,
        fut: impl Future<Output = Result<T, tokio_postgres::Error>>,
        progress: &dyn Progress,
    ) -> Result<T, DbError> {
        let cancel = (self.client.cancel_token(), self.tls.clone());
        block_on_cancellable(self.rt, fut, progress, Some(cancel))
            .map_err(|e| e.into_db(&self.url, true))
    }

    /// The tables and views of every schema but the system ones.
    pub fn tables(&self, progress: &dyn Progress) -> Result<Vec<TableInfo>, DbError> {
        let sql = "SELECT n.nspname::text, c.relname::text, \
             CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' \
             WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' END, \
             CASE WHEN c.relkind IN ('r','m','p') AND c.reltuples >= 0 THEN c.reltuples::float8 END \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r','v','m','p','f') AND NOT c.relispartition \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
             AND has_table_privilege(c.oid, 'SELECT') \
             ORDER BY 1, 2";
        let rows = self.run(self.client.query(sql, &[]), progress)?;
        Ok(rows
            .iter()
            .map(|r| {
                let schema: String = r.try_get(0).unwrap_or_default();
                let name: String = r.try_get(1).unwrap_or_default();
                TableInfo {
                    name: if schema == "public" {
                        name
                    } else {
                        format!("{schema}.{name}")
                    },
                    kind: r
                        .try_get::<_, Option<String>>(2)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                    rows_estimate: r
                        .try_get::<_, Option<f64>>(3)
                        .ok()
                        .flatten()
                        .map(|v| v as u64),
                }
            })
            .collect())
    }

    /// The `FROM` item and columns of a table or query.
    pub fn describe(
        &self,
        source: &DatabaseSource,
        progress: &dyn Progress,
    ) -> Result<(SqlTable, Option<u64>), DbError> {
        let (relation, estimate) = match (&source.table, &source.sql) {
            (Some(t), _) => {
                let sql = format!(
                    "SELECT to_regclass({})::text, (SELECT CASE WHEN reltuples >= 0 THEN reltuples::float8 END FROM pg_class WHERE oid = to_regclass({}))",
                    literal(t),
                    literal(t)
                );
                let rows = self.run(self.client.query(&sql, &[]), progress)?;
                let found: Option<String> = rows.first().and_then(|r| r.try_get(0).ok());
                let Some(name) = found else {
                    let names: Vec<String> = self
                        .tables(progress)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| t.name)
                        .take(30)
                        .collect();
                    let message = format!(
                        "there is no table or view '{t}' that this user may read; {}",
                        if names.is_empty() {
                            "the database has none. Check the database name in the address"
                                .to_owned()
                        } else {
                            format!("the tables are: {}", names.join(", "))
                        }
                    );
                    return Err(DbError {
                        sqlstate: Some("42P01".to_owned()),
                        ..DbError::new(&self.url, message, true)
                    });
                };
                let estimate: Option<f64> = rows.first().and_then(|r| r.try_get(1).ok()).flatten();
                (name, estimate.map(|v| v as u64))
            }
            (None, Some(q)) => {
                let q = q.trim().trim_end_matches(';').trim();
                (format!("({q}) AS src"), None)
            }
            (None, None) => {
                return Err(DbError::new(
                    &self.url,
                    "name a table (--table NAME) or a query (--sql \"SELECT …\")",
                    true,
                ));
            }
        };
        let statement = self.run(
            self.client
                .prepare(&format!("SELECT * FROM {relation} LIMIT 0")),
            progress,
        )?;
        let columns = statement
            .columns()
            .iter()
            .map(|c| SqlColumn {
                name: c.name().to_owned(),
                kind: kind_of(c.type_()),
            })
            .collect();
        Ok((SqlTable { relation, columns }, estimate))
    }

    /// Up to `limit` rows of `table` as a typed table (timestamps without a
    /// zone read in `tz`), streamed with progress.
    pub fn rows(
        &self,
        table: &SqlTable,
        limit: usize,
        tz: &TimeZone,
        progress: &dyn Progress,
    ) -> Result<Table, DbError> {
        let (rows, _) = self.fetch(table, &[], &format!("LIMIT {limit}"), limit, tz, progress)?;
        Ok(rows)
    }

    /// The rows `clause` (`WHERE … ORDER BY … LIMIT …`) selects of `table`,
    /// typed, with the text of the `extra` expressions in the last row.
    fn fetch(
        &self,
        table: &SqlTable,
        extra: &[String],
        clause: &str,
        limit: usize,
        tz: &TimeZone,
        progress: &dyn Progress,
    ) -> Result<(Table, Vec<Option<String>>), DbError> {
        let zone = sql::zone_sql(tz).map_err(|e| DbError::new(&self.url, e.to_string(), true))?;
        // Output names of their own, so that a clause's column names
        // always mean the table's columns.
        let mut select: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} AS \"cityops·{i}\"", read_expr(c, &zone)))
            .collect();
        select.extend(
            extra
                .iter()
                .enumerate()
                .map(|(i, e)| format!("({e})::text AS \"cityops·key{i}\"")),
        );
        let query = format!(
            "SELECT {} FROM {} {clause}",
            if select.is_empty() {
                "1".to_owned()
            } else {
                select.join(", ")
            },
            table.relation
        );
        let n_columns = table.columns.len();
        let mut builders: Vec<Builder> =
            table.columns.iter().map(|c| Builder::new(c.kind)).collect();
        let mut last: Vec<Option<String>> = vec![None; extra.len()];
        let fetch = async {
            let no_params: [&dyn ToSql; 0] = [];
            let stream = self.client.query_raw(&query, no_params).await?;
            let mut stream = std::pin::pin!(stream);
            let mut n = 0usize;
            while let Some(row) = stream.next().await {
                let row = row?;
                for (i, b) in builders.iter_mut().enumerate() {
                    b.push(&row, i);
                }
                for (k, v) in last.iter_mut().enumerate() {
                    *v = row.try_get(n_columns + k).ok().flatten();
                }
                n += 1;
                if n.is_multiple_of(10_000) {
                    progress.report(
                        n as f32 / limit.max(1) as f32,
                        &format!("{} rows read", data::group_digits(n)),
                    );
                }
            }
            Ok(())
        };
        self.run(fetch, progress)?;
        let columns: Vec<Column> = table
            .columns
            .iter()
            .zip(builders)
            .map(|(c, b)| b.finish(&c.name))
            .collect();
        let table =
            Table::new(columns).map_err(|e| DbError::new(&self.url, e.to_string(), false))?;
        Ok((table, last))
    }

    /// The columns that order a table's rows for paging: its primary key,
    /// else `ctid` (the row's place, which PostgreSQL scans by range).
    fn page_key(&self, relation: &str, progress: &dyn Progress) -> Result<Vec<String>, DbError> {
        let sql = format!(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = to_regclass({}) AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
            literal(relation)
        );
        let rows = self.run(self.client.query(&sql, &[]), progress)?;
        let key: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<_, String>(0).ok())
            .map(|k| ident(&k))
            .collect();
        Ok(if key.is_empty() {
            vec!["ctid".to_owned()]
        } else {
            key
        })
    }
}

/// Where a page of a database table starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PageStart {
    #[default]
    First,
    /// After the row with these key values (keyset paging of a table).
    After(Vec<String>),
    /// After this many rows (a query, which has no key).
    Offset(u64),
}

/// One page of a database table or query.
#[derive(Clone, Debug)]
pub struct Page {
    pub table: Table,
    /// Where the next page starts (`None`: this was the last).
    pub next: Option<PageStart>,
    /// How the rows are ordered ("id", "ctid", or "as the query gives them").
    pub ordered_by: String,
}

/// Up to `limit` rows of `source` from `start`: keyset paging on the
/// primary key (or `ctid`) of a table — each page costs the same however
/// deep — and offsets for a query.
pub fn page(
    source: &DatabaseSource,
    start: &PageStart,
    limit: usize,
    tz: &TimeZone,
    progress: &dyn Progress,
) -> Result<Page, LoadError> {
    let address = Address::parse(&source.url)?;
    let db = Db::connect(&address, progress)?;
    let (table, _) = db.describe(source, progress)?;
    let limit = limit.max(1);
    if source.table.is_none() {
        let offset = match start {
            PageStart::Offset(n) => *n,
            _ => 0,
        };
        let clause = format!("OFFSET {offset} LIMIT {}", limit + 1);
        let (mut rows, _) = db.fetch(&table, &[], &clause, limit, tz, progress)?;
        let more = rows.n_rows() > limit;
        if more {
            rows = rows.take_rows(&(0..limit).collect::<Vec<_>>());
        }
        return Ok(Page {
            table: rows,
            next: more.then(|| PageStart::Offset(offset + limit as u64)),
            ordered_by: "as the query gives them".to_owned(),
        });
    }
    let key = db.page_key(&table.relation, progress)?;
    let is_ctid = key.len() == 1 && key.first().is_some_and(|k| k == "ctid");
    let condition = match start {
        PageStart::After(values) if values.len() == key.len() => {
            let literals: Vec<String> = values
                .iter()
                .map(|v| {
                    if is_ctid {
                        format!("{}::tid", literal(v))
                    } else {
                        literal(v)
                    }
                })
                .collect();
            format!("WHERE ({}) > ({})", key.join(", "), literals.join(", "))
        }
        _ => String::new(),
    };
    let clause = format!("{condition} ORDER BY {} LIMIT {limit}", key.join(", "));
    let (rows, last) = db.fetch(&table, &key, &clause, limit, tz, progress)?;
    let full = rows.n_rows() == limit;
    let next = last.into_iter().collect::<Option<Vec<String>>>();
    Ok(Page {
        table: rows,
        next: if full {
            next.map(PageStart::After)
        } else {
            None
        },
        ordered_by: key.join(", "),
    })
}

/// A session answering a chart's statements, cancelled with `progress`.
struct Runner<'a> {
    db: &'a Db,
    progress: &'a dyn Progress,
}

impl sql::SqlRunner for Runner<'_> {
    fn query(&mut self, statement: &str) -> Result<Vec<Vec<Cell>>, String> {
        let (db, progress) = (self.db, self.progress);
        let rows = db
            .run(db.client.query(statement, &[]), progress)
            .map_err(|e| e.to_string())?;
        Ok(rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let t = r.columns().get(i).map(|c| c.type_().clone());
                        match t {
                            Some(Type::FLOAT8) => r
                                .try_get::<_, Option<f64>>(i)
                                .ok()
                                .flatten()
                                .map_or(Cell::Null, Cell::Num),
                            _ => r
                                .try_get::<_, Option<String>>(i)
                                .ok()
                                .flatten()
                                .map_or(Cell::Null, Cell::Text),
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

/// What charts need to know of a column's type.
fn kind_of(t: &Type) -> SqlKind {
    match *t {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => SqlKind::Integer,
        Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => SqlKind::Float,
        Type::BOOL => SqlKind::Bool,
        Type::TIMESTAMPTZ => SqlKind::Instant,
        Type::TIMESTAMP => SqlKind::Naive,
        Type::DATE => SqlKind::Date,
        _ => SqlKind::Text,
    }
}

/// The expression a column is read as: `int8`, `float8`, `bool`, epoch
/// microseconds (`int8`; infinite timestamps as missing) or `text`.
fn read_expr(c: &SqlColumn, zone: &str) -> String {
    let i = ident(&c.name);
    let micros = |e: String| {
        format!("CASE WHEN isfinite({e}) THEN (extract(epoch FROM {e}) * 1000000)::int8 END")
    };
    match c.kind {
        SqlKind::Integer => format!("{i}::int8"),
        SqlKind::Float => format!("{i}::float8"),
        SqlKind::Bool => i,
        SqlKind::Instant => micros(i),
        SqlKind::Naive => micros(format!("({i} AT TIME ZONE {zone})")),
        SqlKind::Date => micros(format!("({i}::timestamp AT TIME ZONE {zone})")),
        SqlKind::Text => format!("{i}::text"),
    }
}

/// One column being read.
enum Builder {
    Int(Vec<i64>, Validity),
    Float(Vec<f64>, Validity),
    Bool(Vec<bool>, Validity),
    Time(Vec<i64>, Validity, bool),
    Text(Vec<u32>, Vec<String>, HashMap<String, u32>, Validity),
}

impl Builder {
    fn new(kind: SqlKind) -> Self {
        match kind {
            SqlKind::Integer => Self::Int(Vec::new(), Validity::with_capacity(0)),
            SqlKind::Float => Self::Float(Vec::new(), Validity::with_capacity(0)),
            SqlKind::Bool => Self::Bool(Vec::new(), Validity::with_capacity(0)),
            SqlKind::Instant => Self::Time(Vec::new(), Validity::with_capacity(0), true),
            SqlKind::Naive | SqlKind::Date => {
                Self::Time(Vec::new(), Validity::with_capacity(0), false)
            }
            SqlKind::Text => Self::Text(
                Vec::new(),
                Vec::new(),
                HashMap::new(),
                Validity::with_capacity(0),
            ),
        }
    }

    fn push(&mut self, row: &tokio_postgres::Row, i: usize) {
        fn put<T: Default>(vs: &mut Vec<T>, ok: &mut Validity, v: Option<T>) {
            ok.push(v.is_some());
            vs.push(v.unwrap_or_default());
        }
        match self {
            Self::Int(vs, ok) | Self::Time(vs, ok, _) => {
                put(vs, ok, row.try_get::<_, Option<i64>>(i).ok().flatten());
            }
            Self::Float(vs, ok) => put(vs, ok, row.try_get::<_, Option<f64>>(i).ok().flatten()),
            Self::Bool(vs, ok) => put(vs, ok, row.try_get::<_, Option<bool>>(i).ok().flatten()),
            Self::Text(codes, dict, index, ok) => {
                let v: Option<&str> = row.try_get(i).ok().flatten();
                ok.push(v.is_some());
                let code = match v {
                    None => 0,
                    Some(s) => match index.get(s) {
                        Some(&c) => c,
                        None => {
                            let c = dict.len() as u32;
                            dict.push(s.to_owned());
                            index.insert(s.to_owned(), c);
                            c
                        }
                    },
                };
                codes.push(code);
            }
        }
    }

    fn finish(self, name: &str) -> Column {
        match self {
            Self::Int(v, ok) => Column::new(name, ColumnValues::Integer(v), ok),
            Self::Float(v, ok) => Column::new(name, ColumnValues::Float(v), ok),
            Self::Bool(v, ok) => Column::new(name, ColumnValues::Bool(v), ok),
            Self::Time(v, ok, exact) => {
                let mut c = Column::new(name, ColumnValues::Timestamp(v), ok);
                c.timestamp_info = TimestampInfo { has_offset: exact };
                c
            }
            Self::Text(codes, dict, _, ok) => {
                data::columnar::strings_column(name.to_owned(), codes, dict, ok, false)
            }
        }
    }
}

/// A failure of a connect or a statement, before it is described.
enum Failure {
    Cancelled,
    Pg(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(e)
    }
}

impl Failure {
    /// A message that says what failed and what to do; `had_password`:
    /// whether a password was sent (to tell "wrong" from "missing").
    fn into_db(self, url: &str, had_password: bool) -> DbError {
        let e = match self {
            Self::Cancelled => {
                return DbError {
                    cancelled: true,
                    ..DbError::new(
                        url,
                        "cancelled; the server was asked to stop the statement",
                        false,
                    )
                };
            }
            Self::Pg(e) => e,
        };
        if let Some(db) = e.as_db_error() {
            let code = db.code().code().to_owned();
            let advice = match code.as_str() {
                "28P01" | "28000" => {
                    "Check the user name and the password (PGPASSWORD, or the password box)"
                }
                "3D000" => "Check the database name at the end of the address",
                "42P01" => "Check the table's name; `cityops inspect ADDRESS` lists the tables",
                "42703" => "Check the column names of the query",
                "42601" => "Fix the query's syntax",
                "42501" => "Ask the database's owner for SELECT on it, or use another user",
                "57014" => {
                    "The statement was stopped (cancelled, or longer than the statement timeout); narrow the time range or add an index on the time column"
                }
                "53300" => "The server has too many connections; try again later",
                "25006" => "cityops only reads; give a SELECT statement",
                _ => "",
            };
            let mut message = format!("the database answered: {} (SQLSTATE {code})", db.message());
            if let Some(d) = db.detail() {
                message.push_str(&format!("; {d}"));
            }
            if let Some(h) = db.hint() {
                message.push_str(&format!("; hint: {h}"));
            }
            if !advice.is_empty() {
                message.push_str(&format!(". {advice}."));
            }
            let user_input = code.starts_with("28")
                || code.starts_with("3D")
                || code.starts_with("42")
                || code == "25006";
            return DbError {
                url: url.to_owned(),
                message,
                sqlstate: Some(code),
                user_input,
                cancelled: false,
            };
        }
        let detail = chain(&e);
        let lower = detail.to_lowercase();
        let (message, user_input) = if lower.contains("password missing") {
            (
                if had_password {
                    "the server asked for a password that was not accepted".to_owned()
                } else {
                    PASSWORD_MISSING.to_owned()
                },
                true,
            )
        } else if lower.contains("refused") {
            (
                format!(
                    "could not connect ({detail}). Check that the server is running and that the host and port are right"
                ),
                false,
            )
        } else if lower.contains("timed out") || lower.contains("timeout") {
            (
                format!(
                    "no answer within {} s ({detail}). Check the host, the port and the network",
                    CONNECT_TIMEOUT.as_secs()
                ),
                false,
            )
        } else if e.is_closed() || lower.contains("closed") || lower.contains("reset") {
            (
                format!(
                    "the connection to the server was lost ({detail}). Check the network and that the server is running, then try again"
                ),
                false,
            )
        } else if lower.contains("tls") || lower.contains("certificate") || lower.contains("ssl") {
            (
                format!(
                    "the secure connection failed ({detail}). Check that the server's certificate is trusted, or add ?sslmode=disable on a trusted network"
                ),
                false,
            )
        } else {
            (
                format!("{detail}. Check the address and the network"),
                false,
            )
        };
        DbError::new(url, message, user_input)
    }
}

/// An error's chain of causes in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Runs `fut` to completion on `rt` unless `progress` is cancelled first;
/// then `cancel` (the session's cancel token) asks the server to stop.
fn block_on_cancellable<T>(
    rt: &tokio::runtime::Runtime,
    fut: impl Future<Output = Result<T, tokio_postgres::Error>>,
    progress: &dyn Progress,
    cancel: Option<(tokio_postgres::CancelToken, MakeRustlsConnect)>,
) -> Result<T, Failure> {
    rt.block_on(async {
        let watch = async {
            loop {
                if progress.is_cancelled() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            r = fut => r.map_err(Failure::from),
            () = watch => {
                if let Some((token, tls)) = cancel {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(5),
                        token.cancel_query(tls),
                    )
                    .await;
                }
                Err(Failure::Cancelled)
            }
        }
    })
}

/// Opens `source` as a dataset: its first rows (`opts.row_limit`, default
/// [`DEFAULT_SAMPLE_ROWS`]) with their types, and a note of what the
/// charts are computed from.
pub fn load(
    source: &DatabaseSource,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Dataset, LoadError> {
    let address = Address::parse(&source.url)?;
    let db = Db::connect(&address, progress)?;
    // The charts connect again with the address as shown (no password).
    if let Some(pw) = address.password() {
        remember_password(&address.shown, &pw);
    }
    let (table, estimate) = db.describe(source, progress)?;
    let tz = opts.time_zone.clone().unwrap_or_else(TimeZone::system);
    let limit = opts.row_limit.unwrap_or(DEFAULT_SAMPLE_ROWS);
    let rows = db.rows(&table, limit, &tz, progress)?;
    let held = rows.n_rows();
    let name = match (&source.table, &source.sql) {
        (Some(t), _) => t
            .rsplit('.')
            .next()
            .unwrap_or(t)
            .trim_matches('"')
            .to_owned(),
        _ => "query".to_owned(),
    };
    let shown = DatabaseSource {
        url: address.shown.clone(),
        ..source.clone()
    };
    let mut ds = Dataset::from_table(name, Source::Database(shown), rows, tz);
    ds.file_format = Some("PostgreSQL");
    if held >= limit {
        let of = estimate.map_or_else(
            || "more".to_owned(),
            |n| format!("about {}", data::group_digits(n as usize)),
        );
        ds.warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "{HELD_FIRST} {} of {of} rows are held here, for the Data view, suggestions and models; charts are computed by the database over every row",
                data::group_digits(held)
            ),
        });
    }
    Ok(ds)
}

/// The tables of the server at `url`, for `cityops inspect` and browsing.
pub fn list_tables(url: &str, progress: &dyn Progress) -> Result<Vec<TableInfo>, LoadError> {
    let address = Address::parse(url)?;
    let db = Db::connect(&address, progress)?;
    Ok(db.tables(progress)?)
}

/// The chart of `spec` over a database dataset: computed by the server
/// where [`charts::sql`] covers it, else over the rows held here (and the
/// chart says so).
pub fn compute_chart(
    source: &DatabaseSource,
    spec: &ChartSpec,
    ds: &Dataset,
    window: TimeRange,
    progress: &dyn Progress,
) -> Result<ChartData, ChartError> {
    let address = Address::parse(&source.url)?;
    let db = Db::connect(&address, progress)?;
    let (table, _) = db.describe(source, progress)?;
    let mut runner = Runner { db: &db, progress };
    if let Some(data) = sql::compute_sql(spec, ds, &table, window, &mut runner, progress)? {
        return Ok(data);
    }
    let mut data = charts::compute(spec, ds, window, progress)?;
    // Only a dataset holding part of its table says so.
    let partial = ds
        .warnings
        .iter()
        .any(|w| w.message.starts_with(HELD_FIRST));
    if partial {
        data.note = Some(format!(
            "from the first {} rows held here, not the whole table",
            data::group_digits(ds.table.n_rows())
        ));
    }
    Ok(data)
}
