//! English and Simplified Chinese for everything the dashboard shows.
//!
//! The English text is the key, as with gettext: code writes
//! `tr("Open CSV…")` or `trf!("{} rows", n)` and the catalog (`zh_*.rs`, one
//! file per area of the app) maps it to Chinese. A key missing from the
//! catalog shows in English; `tests::every_key_has_a_translation` scans the
//! sources so none goes missing unnoticed.
//!
//! The language is per thread: the app sets it from the workspace at the
//! start of every frame, so tests that run side by side on their own threads
//! each see the language their own app chose. Background jobs that format
//! text for the UI take `current()` with them.
//!
//! Numbers: zh-CN groups digits in threes with commas and uses a point for
//! decimals, as English does, so numbers format the same in both. Dates:
//! Chinese uses year-month-day order with 年/月/日 and 周一…周日 for weekdays
//! (`format_pattern`).

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::sync::OnceLock;

mod zh_city;
mod zh_data;
mod zh_explore;
mod zh_map;
mod zh_models;
mod zh_predict;
mod zh_recommend;
mod zh_shell;
mod zh_text;
mod zh_widgets;

/// A language of the user interface.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh")]
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code used on the command line and in workspace files.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language's name in itself, for the language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// Reads `en`, `english`, `zh`, `zh-CN`, `zh_CN.UTF-8`, `chinese`, ….
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") || s.starts_with("en_") || s == "english" {
            Some(Lang::En)
        } else if s == "zh" || s.starts_with("zh-") || s.starts_with("zh_") || s == "chinese" {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The language of the user's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`),
    /// English when it is neither.
    pub fn from_environment() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default()
    }
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Sets this thread's language.
pub fn set(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
}

/// This thread's language.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

fn zh_catalog() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| catalog_entries().collect())
}

fn catalog_entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    [
        zh_shell::ENTRIES,
        zh_widgets::ENTRIES,
        zh_city::ENTRIES,
        zh_data::ENTRIES,
        zh_explore::ENTRIES,
        zh_map::ENTRIES,
        zh_models::ENTRIES,
        zh_predict::ENTRIES,
        zh_recommend::ENTRIES,
        zh_text::ENTRIES,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// The text in this thread's language.
pub fn tr(en: &'static str) -> &'static str {
    match current() {
        Lang::En => en,
        Lang::Zh => zh_catalog().get(en).copied().unwrap_or(en),
    }
}

/// The text in `lang`, whatever this thread's language.
pub fn tr_in(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Zh => zh_catalog().get(en).copied().unwrap_or(en),
    }
}

/// Fills a template's placeholders: `{}` takes the next argument, `{0}`
/// the first; `{:.1}` / `{2:.3}` give a precision; `{{` and `}}` are
/// braces. A placeholder without an argument is left as written.
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut next = 0;
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            out.push('}');
            rest = after;
            continue;
        }
        let Some(end) = tail.find('}') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let spec = &tail[1..end];
        let (index, precision) = match spec.split_once(':') {
            Some((i, p)) => (i, Some(p)),
            None => (spec, None),
        };
        let index = if index.is_empty() {
            next += 1;
            Some(next - 1)
        } else {
            index.parse::<usize>().ok()
        };
        let precision = match precision {
            None => Ok(None),
            Some(p) => p
                .strip_prefix('.')
                .and_then(|p| p.parse::<usize>().ok())
                .map(Some)
                .ok_or(()),
        };
        match (index.and_then(|i| args.get(i)), precision) {
            (Some(arg), Ok(None)) => {
                let _ = write!(out, "{arg}");
            }
            (Some(arg), Ok(Some(p))) => {
                let _ = write!(out, "{arg:.p$}");
            }
            _ => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `trf!("{} rows from {}", n, name)`: translates the template, then fills
/// it. Translations may reorder arguments with `{0}`, `{1}`.
#[macro_export]
macro_rules! trf {
    ($template:literal $(, $arg:expr)* $(,)?) => {
        $crate::app::i18n::fill(
            $crate::app::i18n::tr($template),
            &[$(&$arg as &dyn ::std::fmt::Display),*],
        )
    };
}

/// A domain's name for people.
pub fn domain_label(d: crate::data::schema::Domain) -> &'static str {
    use crate::data::schema::Domain;
    match d {
        Domain::Traffic => tr("Traffic"),
        Domain::Safety => tr("Public safety"),
        Domain::Environment => tr("Environment"),
        Domain::Reports => tr("Citizen reports"),
        Domain::Services => tr("Service use"),
        Domain::General => tr("General"),
    }
}

/// A measure's name for people (pollutant names stay as they are).
pub fn measure_label(m: crate::data::schema::Measure) -> &'static str {
    use crate::data::schema::Measure;
    match m {
        Measure::Volume => tr("volume"),
        Measure::Speed => tr("speed"),
        Measure::Occupancy => tr("occupancy"),
        Measure::Temperature => tr("temperature"),
        Measure::Humidity => tr("humidity"),
        Measure::Wind => tr("wind"),
        Measure::Rain => tr("rain"),
        Measure::Severity => tr("severity"),
        Measure::Other => tr("metric"),
        Measure::Pm25 | Measure::Pm10 | Measure::No2 | Measure::O3 | Measure::Aqi => m.label(),
    }
}

/// A column role's name for people.
pub fn role_label(r: crate::data::schema::Role) -> String {
    use crate::data::schema::Role;
    match r {
        Role::Time => tr("time").to_owned(),
        Role::PlaceId => tr("place").to_owned(),
        Role::Latitude => tr("latitude").to_owned(),
        Role::Longitude => tr("longitude").to_owned(),
        Role::Measure(m) => crate::trf!("metric: {}", measure_label(m)),
        Role::Category => tr("category").to_owned(),
        Role::Text => tr("text").to_owned(),
        Role::Id => tr("id").to_owned(),
        Role::User => tr("user").to_owned(),
        Role::Item => tr("item").to_owned(),
        Role::Rating => tr("rating").to_owned(),
        Role::Count => tr("count").to_owned(),
        Role::Other => tr("other").to_owned(),
    }
}

/// A column kind's name for people.
pub fn kind_label(k: crate::data::table::ColumnKind) -> &'static str {
    use crate::data::table::ColumnKind;
    match k {
        ColumnKind::Integer => tr("integer"),
        ColumnKind::Float => tr("float"),
        ColumnKind::Bool => tr("bool"),
        ColumnKind::Timestamp => tr("timestamp"),
        ColumnKind::Categorical => tr("categorical"),
        ColumnKind::Text => tr("text"),
    }
}

/// An AQI category's name for people (the EPA's names in English).
pub fn aqi_category_label(c: crate::data::aqi::AqiCategory) -> &'static str {
    use crate::data::aqi::AqiCategory as Category;
    match c {
        Category::Good => tr("Good"),
        Category::Moderate => tr("Moderate"),
        Category::UnhealthyForSensitiveGroups => tr("Unhealthy for Sensitive Groups"),
        Category::Unhealthy => tr("Unhealthy"),
        Category::VeryUnhealthy => tr("Very Unhealthy"),
        Category::Hazardous => tr("Hazardous"),
    }
}

/// A prediction task's name for people.
pub fn task_label(t: crate::ml::Task) -> &'static str {
    match t {
        crate::ml::Task::Classify => tr("classify"),
        crate::ml::Task::Regress => tr("regress"),
        crate::ml::Task::Forecast => tr("forecast"),
    }
}

/// A recommender method's name for people.
pub fn method_label(m: crate::recommend::cf::Method) -> &'static str {
    use crate::recommend::cf::Method;
    match m {
        Method::ItemCf => tr("Similar services (item-based)"),
        Method::UserCf => tr("Similar residents (user-based)"),
        Method::Popularity => tr("Most popular"),
    }
}

/// An alert's title and detail in this thread's language.
pub fn alert_text(a: &crate::data::alerts::Alert) -> (String, String) {
    use crate::data::alerts::AlertWhat;
    match &a.what {
        AlertWhat::Aqi {
            level,
            place,
            latest,
        } => (
            crate::trf!("AQI above {:.0} at {}", level, place),
            crate::trf!("AQI {:.0} now", latest),
        ),
        AlertWhat::Speed {
            pct,
            place,
            latest,
            usual,
        } => (
            crate::trf!("Speed below {:.0} % of usual at {}", pct, place),
            crate::trf!("{:.0} now, usually {:.0} at this hour", latest, usual),
        ),
        AlertWhat::Incidents { level, latest } => (
            crate::trf!("More than {:.0} incidents per hour", level),
            crate::trf!("{:.0} in the latest hour", latest),
        ),
        AlertWhat::Forecast {
            level,
            place,
            target,
            predicted,
            hours_ahead,
            model,
        } => (
            crate::trf!("{} forecast above {:.0} at {}", target, level, place),
            crate::trf!(
                "{:.0} expected in {} h (model {})",
                predicted,
                hours_ahead,
                model
            ),
        ),
    }
}

/// A chart title in the current language. The titles `charts::suggest`
/// writes follow a few English patterns ("speed over time by road", "Rows
/// by borough", "Distribution of rating"); in Chinese each becomes its
/// Chinese form around the same column names. Other titles (an operator's
/// own) are shown as written.
pub fn chart_title(title: &str) -> String {
    if current() == Lang::En {
        return title.to_owned();
    }
    match title {
        "Rows over time" => return tr("Rows over time").to_owned(),
        "Rows by weekday and hour" => return tr("Rows by weekday and hour").to_owned(),
        "Where" => return tr("Where").to_owned(),
        "Correlations" => return tr("Correlations").to_owned(),
        "Incidents over time" => return tr("Incidents over time").to_owned(),
        "Incidents by weekday and hour" => return tr("Incidents by weekday and hour").to_owned(),
        "Where the sensors are" => return tr("Where the sensors are").to_owned(),
        "Where incidents happened" => return tr("Where incidents happened").to_owned(),
        "Where the stations are" => return tr("Where the stations are").to_owned(),
        _ => {}
    }
    if let Some(a) = title.strip_prefix("Map of ") {
        return crate::trf!("Map of {}", a);
    }
    if let Some(a) = title.strip_suffix(" against the usual") {
        return crate::trf!("{} against the usual", a);
    }
    if let Some((a, b)) = title.split_once(" on the EPA bands by ") {
        return crate::trf!("{} on the EPA bands by {}", a, b);
    }
    if let Some(a) = title.strip_suffix(" on the EPA bands") {
        return crate::trf!("{} on the EPA bands", a);
    }
    if let Some(b) = title.strip_prefix("Incidents by ") {
        return crate::trf!("Incidents by {}", b);
    }
    if let Some(a) = title
        .strip_prefix("Mean ")
        .and_then(|t| t.strip_suffix(" over time"))
    {
        return crate::trf!("Mean {} over time", a);
    }
    if let Some((a, b)) = title.split_once(" over time by ") {
        return crate::trf!("{} over time by {}", a, b);
    }
    if let Some(a) = title.strip_suffix(" over time") {
        return crate::trf!("{} over time", a);
    }
    if let Some(a) = title.strip_suffix(" by weekday and hour") {
        return crate::trf!("{} by weekday and hour", a);
    }
    if let Some(a) = title.strip_prefix("Latest ") {
        return crate::trf!("Latest {}", a);
    }
    if let Some(a) = title.strip_prefix("Distribution of ") {
        return crate::trf!("Distribution of {}", a);
    }
    if let Some(b) = title.strip_prefix("Rows by ") {
        return crate::trf!("Rows by {}", b);
    }
    if let Some((a, b)) = title.rsplit_once(" by ") {
        return crate::trf!("{} by {}", a, b);
    }
    title.to_owned()
}

/// What a chart's values are ("rows", "mean of speed_kmh", as
/// `charts::compute` writes them) in the current language.
pub fn value_label(label: &str) -> String {
    if current() == Lang::En {
        return label.to_owned();
    }
    if label == "rows" {
        return tr("rows").to_owned();
    }
    let Some((agg, column)) = label.split_once(" of ") else {
        return label.to_owned();
    };
    let agg = match agg {
        "count" => tr("count of rows"),
        "sum" => tr("sum"),
        "mean" => tr("mean"),
        "median" => tr("median"),
        "min" => tr("minimum"),
        "max" => tr("maximum"),
        "p95" => tr("95th percentile"),
        _ => return label.to_owned(),
    };
    crate::trf!("{} of {}", agg, column)
}

/// A weekday's short name as `charts` writes it ("Mon") in the current
/// language.
pub fn weekday_label(label: &str) -> String {
    let key = match label {
        "Mon" => "Mon",
        "Tue" => "Tue",
        "Wed" => "Wed",
        "Thu" => "Thu",
        "Fri" => "Fri",
        "Sat" => "Sat",
        "Sun" => "Sun",
        other => return other.to_owned(),
    };
    tr(key).to_owned()
}

/// A count with its digits grouped in threes (`26,243,184`): the grouping
/// both English and zh-CN use.
pub fn count(n: usize) -> String {
    crate::data::group_digits(n)
}

const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// A strftime pattern for this thread's language. English patterns are
/// used as they are; in Chinese, month and weekday names become numbers
/// and 周X, in year-month-day order. `weekday` is 1 = Monday … 7 = Sunday.
pub fn format_pattern(pattern: &str, weekday: i8) -> String {
    if current() == Lang::En {
        return pattern.to_owned();
    }
    let wd = WEEKDAYS_ZH[usize::try_from(weekday.clamp(1, 7) - 1).unwrap_or(0)];
    let p = match pattern {
        "%a %b %d" => "%-m月%-d日 %a".to_owned(),
        "%b %d" => "%-m月%-d日".to_owned(),
        "%b %d %H:%M" => "%-m月%-d日 %H:%M".to_owned(),
        "%a %b %d %H:%M" => "%-m月%-d日 %a %H:%M".to_owned(),
        "%a %b %d %Y %H:%M %Z" => "%Y年%-m月%-d日 %a %H:%M %Z".to_owned(),
        other => other.replace("%b", "%-m月"),
    };
    p.replace("%a", wd).replace("%A", &wd.replace('周', "星期"))
}

#[cfg(test)]
mod tests;
