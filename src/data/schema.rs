//! Column roles and dataset domains, recognised from column names and types.
//!
//! A role says what a column means to the dashboard (the time axis, a place,
//! a measured quantity); the domain says which view a dataset belongs to.
//! Recognition is a guess from names and types; users override roles in the
//! Data view. No egui here.

use serde::{Deserialize, Serialize};

use super::table::{Column, ColumnKind, ColumnValues, Table};

/// A measured quantity the views know how to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Volume,
    Speed,
    Occupancy,
    Pm25,
    Pm10,
    No2,
    O3,
    Aqi,
    Temperature,
    Humidity,
    Wind,
    Rain,
    Severity,
    Other,
}

impl Measure {
    pub const ALL: [Self; 14] = [
        Self::Volume,
        Self::Speed,
        Self::Occupancy,
        Self::Pm25,
        Self::Pm10,
        Self::No2,
        Self::O3,
        Self::Aqi,
        Self::Temperature,
        Self::Humidity,
        Self::Wind,
        Self::Rain,
        Self::Severity,
        Self::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Volume => "volume",
            Self::Speed => "speed",
            Self::Occupancy => "occupancy",
            Self::Pm25 => "PM2.5",
            Self::Pm10 => "PM10",
            Self::No2 => "NO2",
            Self::O3 => "O3",
            Self::Aqi => "AQI",
            Self::Temperature => "temperature",
            Self::Humidity => "humidity",
            Self::Wind => "wind",
            Self::Rain => "rain",
            Self::Severity => "severity",
            Self::Other => "metric",
        }
    }
}

/// What a column means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "measure")]
pub enum Role {
    Time,
    /// Identifies a place: a sensor, a station, a district.
    PlaceId,
    Latitude,
    Longitude,
    Measure(Measure),
    /// A category such as an incident type or a department.
    Category,
    /// Free text, such as a report's description.
    Text,
    /// A row identifier with no meaning for analysis.
    Id,
    /// Who interacted (service-use data).
    User,
    /// What was interacted with (service-use data).
    Item,
    Rating,
    Count,
    Other,
}

impl Role {
    pub fn label(self) -> String {
        match self {
            Self::Time => "time".to_owned(),
            Self::PlaceId => "place".to_owned(),
            Self::Latitude => "latitude".to_owned(),
            Self::Longitude => "longitude".to_owned(),
            Self::Measure(m) => format!("metric: {}", m.label()),
            Self::Category => "category".to_owned(),
            Self::Text => "text".to_owned(),
            Self::Id => "id".to_owned(),
            Self::User => "user".to_owned(),
            Self::Item => "item".to_owned(),
            Self::Rating => "rating".to_owned(),
            Self::Count => "count".to_owned(),
            Self::Other => "other".to_owned(),
        }
    }

    /// The short key used in `--json` output (`time`, `place`, `metric:speed`).
    pub fn key(self) -> String {
        match self {
            Self::Measure(m) => format!("metric:{}", m.label().to_lowercase()),
            other => other.label(),
        }
    }

    /// Every role a user may pick for a column of this kind.
    pub fn choices_for(kind: ColumnKind) -> Vec<Role> {
        let mut out = vec![Self::Other];
        match kind {
            ColumnKind::Timestamp => out.push(Self::Time),
            ColumnKind::Integer | ColumnKind::Float => {
                out.extend([Self::Latitude, Self::Longitude, Self::Rating, Self::Count]);
                out.extend(Measure::ALL.iter().map(|&m| Self::Measure(m)));
                out.extend([Self::PlaceId, Self::Id, Self::User, Self::Item]);
            }
            ColumnKind::Bool => out.push(Self::Category),
            ColumnKind::Categorical | ColumnKind::Text => {
                out.extend([
                    Self::PlaceId,
                    Self::Category,
                    Self::Text,
                    Self::Id,
                    Self::User,
                    Self::Item,
                ]);
            }
        }
        out
    }
}

/// Which part of city operations a dataset is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Traffic,
    Safety,
    Environment,
    Reports,
    Services,
    General,
}

impl Domain {
    pub const ALL: [Self; 6] = [
        Self::Traffic,
        Self::Safety,
        Self::Environment,
        Self::Reports,
        Self::Services,
        Self::General,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Traffic => "traffic",
            Self::Safety => "safety",
            Self::Environment => "environment",
            Self::Reports => "citizen_reports",
            Self::Services => "service_interactions",
            Self::General => "general",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Traffic => "Traffic",
            Self::Safety => "Public safety",
            Self::Environment => "Environment",
            Self::Reports => "Citizen reports",
            Self::Services => "Service use",
            Self::General => "General",
        }
    }
}

/// The role of every column, in table order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub roles: Vec<Role>,
}

impl Schema {
    /// The first column with this role.
    pub fn find(&self, role: Role) -> Option<usize> {
        self.roles.iter().position(|&r| r == role)
    }

    pub fn find_measure(&self, m: Measure) -> Option<usize> {
        self.find(Role::Measure(m))
    }

    pub fn columns_with(&self, pred: impl Fn(Role) -> bool) -> Vec<usize> {
        self.roles
            .iter()
            .enumerate()
            .filter(|&(_, &r)| pred(r))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Lower-case word pieces of a column name: "SpeedKmh" → ["speed", "kmh"],
/// "pm2.5_ugm3" → ["pm2", "5", "ugm3"], plus the squashed whole ("pm25ugm3").
fn words(name: &str) -> (Vec<String>, String) {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_alphanumeric() {
            if ch.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
            cur.extend(ch.to_lowercase());
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    let squashed = out.concat();
    (out, squashed)
}

fn has(words: &[String], keys: &[&str]) -> bool {
    words.iter().any(|w| keys.contains(&w.as_str()))
}

fn measure_from_name(ws: &[String], squashed: &str) -> Option<Measure> {
    let m = if squashed.starts_with("pm25") || squashed.contains("pm25") {
        Measure::Pm25
    } else if squashed.contains("pm10") {
        Measure::Pm10
    } else if has(ws, &["no2", "nitrogen"]) {
        Measure::No2
    } else if has(ws, &["o3", "ozone"]) {
        Measure::O3
    } else if has(ws, &["aqi"]) {
        Measure::Aqi
    } else if has(ws, &["speed", "velocity", "kmh", "mph"]) && !has(ws, &["wind"]) {
        Measure::Speed
    } else if has(
        ws,
        &["volume", "flow", "vehicles", "veh", "traffic", "vehicle"],
    ) {
        Measure::Volume
    } else if has(ws, &["occupancy", "occ"]) {
        Measure::Occupancy
    } else if has(ws, &["temperature", "temp", "tmp"]) {
        Measure::Temperature
    } else if has(ws, &["humidity", "rh"]) {
        Measure::Humidity
    } else if has(ws, &["wind", "gust"]) {
        Measure::Wind
    } else if has(ws, &["rain", "precipitation", "precip", "rainfall"]) {
        Measure::Rain
    } else if has(ws, &["severity", "priority", "injuries", "casualties"]) {
        Measure::Severity
    } else {
        return None;
    };
    Some(m)
}

fn distinct_fraction(col: &Column) -> f64 {
    let present = (col.len() - col.missing_count()).max(1) as f64;
    match &col.values {
        ColumnValues::Categorical { dictionary, .. } => dictionary.len() as f64 / present,
        ColumnValues::Text(_) => 1.0,
        ColumnValues::Integer(v) => {
            let mut sorted: Vec<i64> = v.iter().take(10_000).copied().collect();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() as f64 / present.min(10_000.0)
        }
        _ => 0.0,
    }
}

/// Guesses the role of one column.
pub fn recognise_role(col: &Column) -> Role {
    let (ws, squashed) = words(&col.name);
    let kind = col.kind();
    match kind {
        ColumnKind::Timestamp => return Role::Time,
        ColumnKind::Bool => return Role::Category,
        _ => {}
    }
    let is_numeric = kind.is_numeric();
    if is_numeric {
        if has(&ws, &["lat", "latitude"]) || squashed == "y" {
            return Role::Latitude;
        }
        if has(&ws, &["lon", "lng", "long", "longitude"]) || squashed == "x" {
            return Role::Longitude;
        }
        if has(&ws, &["rating", "stars", "score"]) {
            return Role::Rating;
        }
    }
    if has(
        &ws,
        &[
            "user", "resident", "citizen", "customer", "member", "person", "patron",
        ],
    ) {
        return Role::User;
    }
    if has(
        &ws,
        &[
            "service",
            "item",
            "product",
            "facility",
            "program",
            "programme",
            "course",
        ],
    ) && !has(&ws, &["category", "type", "department"])
    {
        return Role::Item;
    }
    if let Some(m) = measure_from_name(&ws, &squashed)
        && is_numeric
    {
        return Role::Measure(m);
    }
    let place_words = [
        "sensor",
        "station",
        "site",
        "detector",
        "location",
        "segment",
        "intersection",
        "district",
        "borough",
        "ward",
        "zone",
        "neighborhood",
        "neighbourhood",
        "precinct",
        "beat",
        "road",
        "street",
        "place",
        "camera",
        "counter",
        "area",
        "zip",
        "zipcode",
        "postcode",
        "postal",
        "city",
    ];
    // "SEGMENTID", "stationCode": a place word glued to an id suffix.
    let glued_place_id = place_words.iter().any(|p| {
        squashed.starts_with(p)
            && ["id", "code", "no", "number", "name"].iter().any(|suffix| {
                squashed.len() == p.len() + suffix.len() && squashed.ends_with(suffix)
            })
    });
    if (has(&ws, &place_words) || glued_place_id)
        && !matches!(kind, ColumnKind::Float | ColumnKind::Text)
    {
        return Role::PlaceId;
    }
    if is_numeric {
        // "State Code", "Parameter Code": numbers that name things.
        if has(&ws, &["code"]) {
            return Role::Category;
        }
        if has(&ws, &["count", "visits", "uses", "times", "n"]) {
            return Role::Count;
        }
        if kind == ColumnKind::Integer
            && (has(&ws, &["id", "no", "number", "key"]) || squashed.ends_with("id"))
            && distinct_fraction(col) > 0.9
        {
            return Role::Id;
        }
        return Role::Measure(Measure::Other);
    }
    if has(&ws, &["id", "no", "number", "key", "uuid", "guid", "code"])
        && distinct_fraction(col) > 0.9
    {
        return Role::Id;
    }
    match kind {
        ColumnKind::Text => Role::Text,
        _ if has(
            &ws,
            &[
                "description",
                "text",
                "comment",
                "comments",
                "message",
                "details",
                "narrative",
                "summary",
            ],
        ) =>
        {
            Role::Text
        }
        _ => Role::Category,
    }
}

/// Guesses the domain from the roles and names.
pub fn recognise_domain(table: &Table, schema: &Schema) -> Domain {
    let measures = |ms: &[Measure]| {
        schema
            .roles
            .iter()
            .filter(|r| matches!(r, Role::Measure(m) if ms.contains(m)))
            .count()
    };
    let names: Vec<String> = table
        .columns
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    let name_has = |keys: &[&str]| names.iter().any(|n| keys.iter().any(|k| n.contains(k)));

    let mut scores = [
        (
            Domain::Traffic,
            2 * measures(&[Measure::Volume, Measure::Speed, Measure::Occupancy]),
        ),
        (
            Domain::Environment,
            2 * measures(&[
                Measure::Pm25,
                Measure::Pm10,
                Measure::No2,
                Measure::O3,
                Measure::Aqi,
            ]) + measures(&[
                Measure::Temperature,
                Measure::Humidity,
                Measure::Wind,
                Measure::Rain,
            ]),
        ),
        (Domain::Safety, {
            // Each different word adds weight: "incident" alone is weak
            // (a 311 file has "Incident Zip"), "incident" + "police" not.
            let hits = [
                "incident",
                "crime",
                "offense",
                "offence",
                "collision",
                "accident",
                "arrest",
                "police",
                "call_type",
                "victim",
            ]
            .iter()
            .filter(|k| name_has(&[k]))
            .count();
            (if hits == 0 { 0 } else { 2 + hits }) + measures(&[Measure::Severity])
        }),
        (
            Domain::Reports,
            if name_has(&[
                "complaint",
                "311",
                "descriptor",
                "service_request",
                "agency",
            ]) {
                4
            } else if schema.find(Role::Text).is_some()
                && name_has(&["department", "category", "request", "report"])
            {
                3
            } else {
                0
            },
        ),
        (
            Domain::Services,
            if schema.find(Role::User).is_some() && schema.find(Role::Item).is_some() {
                4
            } else {
                0
            },
        ),
    ];
    scores.sort_by_key(|&(_, s)| std::cmp::Reverse(s));
    match scores.first() {
        Some(&(d, s)) if s >= 2 => d,
        _ => Domain::General,
    }
}

/// In a file of one pollutant in long form (EPA's AirData: `Parameter Name`
/// = "Ozone" on every row, the reading in `Sample Measurement` or
/// `Arithmetic Mean`), the pollutant named by the parameter column.
fn single_parameter_measure(table: &Table) -> Option<Measure> {
    let param = table.columns.iter().find(|c| {
        let (ws, _) = words(&c.name);
        has(&ws, &["parameter", "pollutant"]) && c.dictionary().is_some_and(|d| d.len() == 1)
    })?;
    let value = param.dictionary()?.first()?;
    let (ws, squashed) = words(value);
    measure_from_name(&ws, &squashed)
}

pub fn recognise(table: &Table) -> (Schema, Domain) {
    let mut roles: Vec<Role> = table.columns.iter().map(recognise_role).collect();
    if let Some(m) = single_parameter_measure(table) {
        for (r, c) in roles.iter_mut().zip(&table.columns) {
            let (ws, _) = words(&c.name);
            if *r == Role::Measure(Measure::Other)
                && has(
                    &ws,
                    &[
                        "sample",
                        "measurement",
                        "mean",
                        "value",
                        "concentration",
                        "reading",
                    ],
                )
            {
                *r = Role::Measure(m);
            }
        }
    }
    // Only the first timestamp is the time axis; later ones are attributes.
    let mut seen_time = false;
    for r in &mut roles {
        if *r == Role::Time {
            if seen_time {
                *r = Role::Other;
            }
            seen_time = true;
        }
    }
    ratings_item(table, &mut roles);
    let schema = Schema { roles };
    let domain = recognise_domain(table, &schema);
    (schema, domain)
}

/// In a ratings or interactions table laid out as public rating data is —
/// a user id, the id of the thing rated named after that thing (`bookId`,
/// `film_id`, `ISBN`, `service_code`), a rating, a count or a time — the
/// other id-like column is the item, whatever it is called.
fn ratings_item(table: &Table, roles: &mut [Role]) {
    let Some(user) = roles.iter().position(|r| *r == Role::User) else {
        return;
    };
    if roles.contains(&Role::Item) {
        return;
    }
    let has_signal = roles
        .iter()
        .any(|r| matches!(r, Role::Rating | Role::Count | Role::Time));
    if !has_signal {
        return;
    }
    let id_like = |i: usize, c: &Column| {
        let (ws, squashed) = words(&c.name);
        i != user
            && matches!(
                c.kind(),
                ColumnKind::Integer | ColumnKind::Categorical | ColumnKind::Text
            )
            && matches!(
                roles.get(i),
                Some(Role::Id | Role::Category | Role::Measure(Measure::Other) | Role::Other)
            )
            && (has(
                &ws,
                &["id", "code", "key", "isbn", "asin", "sku", "uuid", "no"],
            ) || squashed.ends_with("id"))
    };
    let item = table
        .columns
        .iter()
        .enumerate()
        .find(|&(i, c)| id_like(i, c))
        .map(|(i, _)| i);
    if let Some(slot) = item.and_then(|i| roles.get_mut(i)) {
        *slot = Role::Item;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cols: Vec<Column>) -> Table {
        Table::new(cols).unwrap()
    }

    #[test]
    fn the_other_id_of_a_ratings_table_is_the_item_whatever_its_name() {
        for (user, item) in [
            ("userId", "movieId"),
            ("user_id", "book_id"),
            ("User-ID", "ISBN"),
            ("member", "film_id"),
        ] {
            let t = table(vec![
                Column::categorical(user, &["u1", "u2", "u1", "u3"]),
                Column::categorical(item, &["b1", "b1", "b2", "b3"]),
                Column::from_f64("rating", vec![4.0, 3.5, 5.0, 2.0]),
                Column::from_timestamps("timestamp", vec![0, 1, 2, 3]),
            ]);
            let (s, d) = recognise(&t);
            assert_eq!(s.find(Role::User), Some(0), "{user}");
            assert_eq!(s.find(Role::Item), Some(1), "{item}");
            assert_eq!(d, Domain::Services, "{user}/{item}");
        }
        // Without a rating, count or time it is just two ids.
        let t = table(vec![
            Column::categorical("user_id", &["u1", "u2"]),
            Column::categorical("group_id", &["g1", "g1"]),
        ]);
        assert_eq!(recognise(&t).0.find(Role::Item), None);
    }

    #[test]
    fn name_words_split_camel_and_snake_case() {
        assert_eq!(words("SpeedKmh").0, vec!["speed", "kmh"]);
        assert_eq!(words("pm2.5_ugm3").1, "pm25ugm3");
        assert_eq!(words("NO2").0, vec!["no2"]);
    }

    #[test]
    fn traffic_table_is_recognised() {
        let t = table(vec![
            Column::from_timestamps("timestamp", vec![0, 3_600_000_000]),
            Column::categorical("sensor_id", &["S1", "S2"]),
            Column::from_f64("latitude", vec![41.0, 41.1]),
            Column::from_f64("lon", vec![-87.0, -87.1]),
            Column::from_i64("volume_veh_per_hour", vec![100, 200]),
            Column::from_f64("speed_kmh", vec![50.0, 40.0]),
            Column::from_f64("Occupancy", vec![0.1, 0.2]),
        ]);
        let (s, d) = recognise(&t);
        assert_eq!(d, Domain::Traffic);
        assert_eq!(
            s.roles,
            vec![
                Role::Time,
                Role::PlaceId,
                Role::Latitude,
                Role::Longitude,
                Role::Measure(Measure::Volume),
                Role::Measure(Measure::Speed),
                Role::Measure(Measure::Occupancy),
            ]
        );
    }

    #[test]
    fn air_quality_and_services_and_reports_are_recognised() {
        let aq = table(vec![
            Column::from_timestamps("date", vec![0]),
            Column::from_f64("PM2.5", vec![10.0]),
            Column::from_f64("NO2", vec![20.0]),
            Column::from_f64("wind_speed_ms", vec![3.0]),
        ]);
        let (s, d) = recognise(&aq);
        assert_eq!(d, Domain::Environment);
        assert_eq!(s.roles[3], Role::Measure(Measure::Wind));

        let svc = table(vec![
            Column::categorical("resident_id", &["R1", "R2"]),
            Column::categorical("service", &["Library", "Pool"]),
            Column::from_i64("rating", vec![4, 5]),
        ]);
        assert_eq!(recognise(&svc).1, Domain::Services);

        let rep = table(vec![
            Column::text("text", &["streetlight out on 5th", "garbage not collected"]),
            Column::categorical("department", &["Public Works", "Sanitation"]),
        ]);
        assert_eq!(recognise(&rep).1, Domain::Reports);
    }

    #[test]
    fn unknown_table_is_general() {
        let t = table(vec![
            Column::from_f64("a", vec![1.0]),
            Column::from_f64("b", vec![2.0]),
        ]);
        assert_eq!(recognise(&t).1, Domain::General);
    }
}
