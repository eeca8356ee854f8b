//! The US EPA Air Quality Index (AQI), from the official breakpoint tables.
//!
//! The tables are those of the EPA's 2024 revision (the PM2.5 "Good" band
//! ends at 9.0 µg/m³ and the top bands of every pollutant run from 301 to
//! 500). A sub-index is computed by truncating the concentration to the
//! precision EPA prescribes, finding the band that holds it and interpolating
//! linearly inside the band:
//!
//! ```text
//! I = (I_hi − I_lo) / (C_hi − C_lo) · (C − C_lo) + I_lo, rounded to an integer
//! ```
//!
//! The overall AQI is the largest sub-index, and the pollutant that produced
//! it is the dominant one. EPA defines the index on averaged concentrations
//! (24-hour PM2.5 and PM10, 8-hour O3, 1-hour NO2); [`aqi`] does not
//! average, the caller decides what concentrations to pass. For hourly data
//! [`nowcast`] (EPA's NowCast of particles over 12 hours) and [`mean_8h`]
//! (ozone) give the averages the hourly index is reported on.
//!
//! Pure arithmetic: this module depends on nothing but `std`.

/// A pollutant with an AQI breakpoint table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pollutant {
    /// Fine particles, µg/m³ (24-hour table).
    Pm25,
    /// Coarse particles, µg/m³ (24-hour table).
    Pm10,
    /// Ozone, ppm (8-hour table, continued by the 1-hour table above 0.200).
    O3,
    /// Nitrogen dioxide, ppb (1-hour table).
    No2,
}

impl Pollutant {
    pub const ALL: [Self; 4] = [Self::Pm25, Self::Pm10, Self::O3, Self::No2];

    /// The usual short name, e.g. `PM2.5`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pm25 => "PM2.5",
            Self::Pm10 => "PM10",
            Self::O3 => "O3",
            Self::No2 => "NO2",
        }
    }

    /// The unit [`sub_index`] expects for this pollutant.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Pm25 | Self::Pm10 => "µg/m³",
            Self::O3 => "ppm",
            Self::No2 => "ppb",
        }
    }

    /// How many truncation steps make one unit: PM2.5 is truncated to 0.1
    /// µg/m³, PM10 to 1 µg/m³, O3 to 0.001 ppm and NO2 to 1 ppb.
    fn steps_per_unit(self) -> f64 {
        match self {
            Self::Pm25 => 10.0,
            Self::Pm10 | Self::No2 => 1.0,
            Self::O3 => 1000.0,
        }
    }

    /// Breakpoints in truncation steps (tenths of µg/m³ for PM2.5, µg/m³ for
    /// PM10, ppb — i.e. thousandths of a ppm — for O3, ppb for NO2), so that
    /// comparisons are exact integer comparisons.
    fn table(self) -> &'static [Breakpoint] {
        match self {
            Self::Pm25 => PM25_24H,
            Self::Pm10 => PM10_24H,
            Self::O3 => O3_8H_THEN_1H,
            Self::No2 => NO2_1H,
        }
    }
}

/// One band of a breakpoint table: concentrations `c_lo..=c_hi` (in
/// truncation steps) map onto index values `i_lo..=i_hi`.
#[derive(Clone, Copy, Debug)]
struct Breakpoint {
    c_lo: u32,
    c_hi: u32,
    i_lo: u16,
    i_hi: u16,
}

const fn band(c_lo: u32, c_hi: u32, i_lo: u16, i_hi: u16) -> Breakpoint {
    Breakpoint {
        c_lo,
        c_hi,
        i_lo,
        i_hi,
    }
}

/// PM2.5, 24-hour, in tenths of µg/m³ (0.0–9.0, 9.1–35.4, …, 225.5–325.4).
const PM25_24H: &[Breakpoint] = &[
    band(0, 90, 0, 50),
    band(91, 354, 51, 100),
    band(355, 554, 101, 150),
    band(555, 1254, 151, 200),
    band(1255, 2254, 201, 300),
    band(2255, 3254, 301, 500),
];

/// PM10, 24-hour, in µg/m³.
const PM10_24H: &[Breakpoint] = &[
    band(0, 54, 0, 50),
    band(55, 154, 51, 100),
    band(155, 254, 101, 150),
    band(255, 354, 151, 200),
    band(355, 424, 201, 300),
    band(425, 604, 301, 500),
];

/// O3 in thousandths of a ppm. Up to 0.200 ppm these are the 8-hour bands.
/// EPA defines no 8-hour values above 0.200 ppm and says to use the 1-hour
/// table there, so the rows after that are the 1-hour bands that reach past
/// 0.200 ppm: the tail of its 151–200 band (0.165–0.204, only reached for
/// 0.201–0.204), 0.205–0.404 → 201–300 and 0.405–0.604 → 301–500. As in
/// EPA's own rule, the index therefore drops from 300 at 0.200 ppm to about
/// 197 at 0.201 ppm.
const O3_8H_THEN_1H: &[Breakpoint] = &[
    band(0, 54, 0, 50),
    band(55, 70, 51, 100),
    band(71, 85, 101, 150),
    band(86, 105, 151, 200),
    band(106, 200, 201, 300),
    band(165, 204, 151, 200),
    band(205, 404, 201, 300),
    band(405, 604, 301, 500),
];

/// NO2, 1-hour, in ppb.
const NO2_1H: &[Breakpoint] = &[
    band(0, 53, 0, 50),
    band(54, 100, 51, 100),
    band(101, 360, 101, 150),
    band(361, 649, 151, 200),
    band(650, 1249, 201, 300),
    band(1250, 2049, 301, 500),
];

/// The concentration in whole truncation steps, or `None` for NaN, negative
/// or infinite input. A tiny tolerance keeps values such as 0.07 ppm (which
/// is 69.999… thousandths in binary floating point) from being cut a step
/// too low.
fn truncated_steps(p: Pollutant, concentration: f64) -> Option<u32> {
    if !concentration.is_finite() || concentration < 0.0 {
        return None;
    }
    let steps = (concentration * p.steps_per_unit() + 1e-9).floor();
    if steps > f64::from(u32::MAX) {
        return Some(u32::MAX);
    }
    Some(steps as u32)
}

/// The AQI sub-index of one pollutant.
///
/// `concentration` is in the unit of [`Pollutant::unit`] (µg/m³ for
/// particles, **ppm** for O3, ppb for NO2). `None` when the value is NaN,
/// negative or above the top of the table (beyond an index of 500).
pub fn sub_index(p: Pollutant, concentration: f64) -> Option<u16> {
    let c = truncated_steps(p, concentration)?;
    let row = p.table().iter().find(|row| c <= row.c_hi)?;
    if c < row.c_lo {
        // The tables leave no gaps between truncated values; stay defensive.
        return Some(row.i_lo);
    }
    let index_span = f64::from(row.i_hi - row.i_lo);
    let conc_span = f64::from(row.c_hi - row.c_lo);
    let index = index_span / conc_span * f64::from(c - row.c_lo) + f64::from(row.i_lo);
    Some(index.round() as u16)
}

/// The top of the AQI scale, reported for concentrations beyond the tables.
const AQI_MAX: u16 = 500;

/// The overall AQI and its dominant pollutant from whichever concentrations
/// are available (`None` or NaN means not measured).
///
/// Units: PM in µg/m³, O3 and NO2 in **ppb** (O3 is converted to ppm here).
/// A concentration above its table counts as the top of the scale (500),
/// since ignoring it would understate the hazard. Ties go to the pollutant
/// listed first (PM2.5, PM10, O3, NO2). `None` when nothing usable is given.
pub fn aqi(
    pm25_ugm3: Option<f64>,
    pm10_ugm3: Option<f64>,
    o3_ppb: Option<f64>,
    no2_ppb: Option<f64>,
) -> Option<(u16, Pollutant)> {
    let readings = [
        (Pollutant::Pm25, pm25_ugm3),
        (Pollutant::Pm10, pm10_ugm3),
        (Pollutant::O3, o3_ppb.map(|ppb| ppb / 1000.0)),
        (Pollutant::No2, no2_ppb),
    ];
    let mut best: Option<(u16, Pollutant)> = None;
    for (pollutant, concentration) in readings {
        let Some(c) = concentration else { continue };
        let index = match sub_index(pollutant, c) {
            Some(index) => index,
            None if c.is_finite() && c >= 0.0 => AQI_MAX,
            None => continue,
        };
        if best.is_none_or(|(top, _)| index > top) {
            best = Some((index, pollutant));
        }
    }
    best
}

/// EPA's NowCast of particle concentrations for the current hour, from the
/// last 12 hourly values, `hours[0]` the current one (`None`: no reading).
/// The weight factor is the smallest over the largest of the readings,
/// floored at 0.5; hour `i` back counts `w^i`. `None` unless two of the
/// three most recent hours have a reading.
pub fn nowcast(hours: &[Option<f64>]) -> Option<f64> {
    let hours = &hours[..hours.len().min(12)];
    let recent = hours.iter().take(3).filter(|h| h.is_some()).count();
    if recent < 2 {
        return None;
    }
    let present = hours.iter().flatten().copied().filter(|c| c.is_finite());
    let (lo, hi) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
        (lo.min(c), hi.max(c))
    });
    let w = if hi > 0.0 { (lo / hi).max(0.5) } else { 1.0 };
    let (mut num, mut den, mut weight) = (0.0, 0.0, 1.0);
    for h in hours {
        if let Some(c) = h.filter(|c| c.is_finite()) {
            num += weight * c;
            den += weight;
        }
        weight *= w;
    }
    (den > 0.0).then(|| num / den)
}

/// The 8-hour mean ending at the current hour (`hours[0]`), as the ozone
/// table wants; `None` unless six of the eight hours have a reading.
pub fn mean_8h(hours: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = hours
        .iter()
        .take(8)
        .flatten()
        .copied()
        .filter(|c| c.is_finite())
        .collect();
    (present.len() >= 6).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

/// The six AQI categories with their official names and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AqiCategory {
    Good,
    Moderate,
    UnhealthyForSensitiveGroups,
    Unhealthy,
    VeryUnhealthy,
    Hazardous,
}

impl AqiCategory {
    pub const ALL: [Self; 6] = [
        Self::Good,
        Self::Moderate,
        Self::UnhealthyForSensitiveGroups,
        Self::Unhealthy,
        Self::VeryUnhealthy,
        Self::Hazardous,
    ];

    /// The category of an index value; anything above 300 is hazardous.
    pub fn from_aqi(aqi: u16) -> Self {
        match aqi {
            0..=50 => Self::Good,
            51..=100 => Self::Moderate,
            101..=150 => Self::UnhealthyForSensitiveGroups,
            151..=200 => Self::Unhealthy,
            201..=300 => Self::VeryUnhealthy,
            _ => Self::Hazardous,
        }
    }

    /// The official English name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "Good",
            Self::Moderate => "Moderate",
            Self::UnhealthyForSensitiveGroups => "Unhealthy for Sensitive Groups",
            Self::Unhealthy => "Unhealthy",
            Self::VeryUnhealthy => "Very Unhealthy",
            Self::Hazardous => "Hazardous",
        }
    }

    /// The lowest and highest index values of the category.
    pub fn band(self) -> (u16, u16) {
        match self {
            Self::Good => (0, 50),
            Self::Moderate => (51, 100),
            Self::UnhealthyForSensitiveGroups => (101, 150),
            Self::Unhealthy => (151, 200),
            Self::VeryUnhealthy => (201, 300),
            Self::Hazardous => (301, 500),
        }
    }

    /// The official EPA colour as 8-bit RGB.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Self::Good => [0, 228, 0],
            Self::Moderate => [255, 255, 0],
            Self::UnhealthyForSensitiveGroups => [255, 126, 0],
            Self::Unhealthy => [255, 0, 0],
            Self::VeryUnhealthy => [143, 63, 151],
            Self::Hazardous => [126, 0, 35],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nowcast_weighs_recent_hours_as_epa_prescribes() {
        // Steady air: the plain mean.
        assert_eq!(nowcast(&[Some(12.0); 12]), Some(12.0));
        // w = 10/20 = 0.5: (10 + 0.5·20) / (1 + 0.5).
        let v = nowcast(&[Some(10.0), Some(20.0)]).unwrap();
        assert!((v - 40.0 / 3.0).abs() < 1e-12, "{v}");
        // Fast change: w = 10/50 = 0.2, floored at 0.5.
        let v = nowcast(&[Some(50.0), Some(10.0), None]).unwrap();
        assert!((v - 55.0 / 1.5).abs() < 1e-12, "{v}");
        // A gap further back keeps its weight's place.
        let v = nowcast(&[Some(10.0), Some(10.0), None, Some(10.0)]).unwrap();
        assert!((v - 10.0).abs() < 1e-12);
        // Two of the three latest hours are needed.
        assert_eq!(nowcast(&[Some(10.0), None, None, Some(10.0)]), None);
        assert_eq!(nowcast(&[]), None);
    }

    #[test]
    fn the_8_hour_mean_needs_six_hours() {
        let six = [
            Some(40.0),
            Some(50.0),
            None,
            Some(60.0),
            Some(40.0),
            None,
            Some(50.0),
            Some(60.0),
        ];
        assert_eq!(mean_8h(&six), Some(50.0));
        let five = [
            Some(40.0),
            None,
            None,
            Some(60.0),
            Some(40.0),
            None,
            Some(50.0),
            Some(60.0),
        ];
        assert_eq!(mean_8h(&five), None);
    }

    #[test]
    fn pm25_inside_moderate_band() {
        // 12.0 is in 9.1–35.4 → 51–100:
        // (100 − 51) / (35.4 − 9.1) · (12.0 − 9.1) + 51
        //   = 49 / 26.3 · 2.9 + 51 = 5.403… + 51 = 56.40 → 56.
        assert_eq!(sub_index(Pollutant::Pm25, 12.0), Some(56));
    }

    #[test]
    fn pm25_band_edges_and_truncation() {
        assert_eq!(sub_index(Pollutant::Pm25, 0.0), Some(0));
        assert_eq!(sub_index(Pollutant::Pm25, 9.0), Some(50));
        // 9.09 truncates to 9.0, still Good.
        assert_eq!(sub_index(Pollutant::Pm25, 9.09), Some(50));
        assert_eq!(sub_index(Pollutant::Pm25, 9.1), Some(51));
        assert_eq!(sub_index(Pollutant::Pm25, 35.4), Some(100));
        assert_eq!(sub_index(Pollutant::Pm25, 35.49), Some(100));
        assert_eq!(sub_index(Pollutant::Pm25, 35.5), Some(101));
        assert_eq!(sub_index(Pollutant::Pm25, 325.4), Some(500));
        assert_eq!(sub_index(Pollutant::Pm25, 325.5), None);
    }

    #[test]
    fn pm25_very_unhealthy() {
        // 150.0 is in 125.5–225.4 → 201–300:
        // 99 / 99.9 · 24.5 + 201 = 24.279… + 201 = 225.28 → 225.
        assert_eq!(sub_index(Pollutant::Pm25, 150.0), Some(225));
    }

    #[test]
    fn pm10_truncates_to_integer() {
        // 100 is in 55–154 → 51–100: 49 / 99 · 45 + 51 = 22.27… + 51 → 73.
        assert_eq!(sub_index(Pollutant::Pm10, 100.0), Some(73));
        assert_eq!(sub_index(Pollutant::Pm10, 100.9), Some(73));
        assert_eq!(sub_index(Pollutant::Pm10, 54.9), Some(50));
        assert_eq!(sub_index(Pollutant::Pm10, 604.0), Some(500));
        assert_eq!(sub_index(Pollutant::Pm10, 605.0), None);
    }

    #[test]
    fn ozone_in_ppm_uses_eight_hour_then_one_hour_table() {
        // 0.060 ppm is in 0.055–0.070 → 51–100:
        // 49 / 0.015 · 0.005 + 51 = 16.33… + 51 = 67.33 → 67.
        assert_eq!(sub_index(Pollutant::O3, 0.060), Some(67));
        // 0.070 must not be cut to 0.069 by floating point.
        assert_eq!(sub_index(Pollutant::O3, 0.070), Some(100));
        assert_eq!(sub_index(Pollutant::O3, 0.0709), Some(100));
        assert_eq!(sub_index(Pollutant::O3, 0.071), Some(101));
        assert_eq!(sub_index(Pollutant::O3, 0.200), Some(300));
        // Above 0.200 the 1-hour table takes over: 0.202 is in its
        // 0.165–0.204 → 151–200 band: 49 / 0.039 · 0.037 + 151
        //   = 46.49 + 151 = 197.49 → 197.
        assert_eq!(sub_index(Pollutant::O3, 0.202), Some(197));
        // 0.300 is in 0.205–0.404 → 201–300: 99 / 0.199 · 0.095 + 201
        //   = 47.26… + 201 = 248.26 → 248.
        assert_eq!(sub_index(Pollutant::O3, 0.300), Some(248));
        assert_eq!(sub_index(Pollutant::O3, 0.604), Some(500));
        assert_eq!(sub_index(Pollutant::O3, 0.605), None);
    }

    #[test]
    fn no2_in_ppb() {
        // 150 is in 101–360 → 101–150: 49 / 259 · 49 + 101 = 9.27… + 101 → 110.
        assert_eq!(sub_index(Pollutant::No2, 150.0), Some(110));
        assert_eq!(sub_index(Pollutant::No2, 53.0), Some(50));
        assert_eq!(sub_index(Pollutant::No2, 54.0), Some(51));
        assert_eq!(sub_index(Pollutant::No2, 2049.0), Some(500));
        assert_eq!(sub_index(Pollutant::No2, 2050.0), None);
    }

    #[test]
    fn invalid_concentrations_have_no_index() {
        for p in Pollutant::ALL {
            assert_eq!(sub_index(p, -0.1), None);
            assert_eq!(sub_index(p, f64::NAN), None);
            assert_eq!(sub_index(p, f64::INFINITY), None);
        }
    }

    #[test]
    fn overall_aqi_takes_the_largest_sub_index() {
        // PM2.5 12.0 → 56, PM10 100 → 73, O3 60 ppb → 67, NO2 150 ppb → 110.
        assert_eq!(
            aqi(Some(12.0), Some(100.0), Some(60.0), Some(150.0)),
            Some((110, Pollutant::No2))
        );
        assert_eq!(
            aqi(Some(12.0), None, Some(f64::NAN), Some(20.0)),
            Some((56, Pollutant::Pm25))
        );
        // O3 is given in ppb: 60 ppb = 0.060 ppm → 67.
        assert_eq!(aqi(None, None, Some(60.0), None), Some((67, Pollutant::O3)));
        assert_eq!(aqi(None, None, None, None), None);
        assert_eq!(aqi(Some(-1.0), None, None, None), None);
    }

    #[test]
    fn overall_aqi_caps_off_scale_values_at_500_and_breaks_ties_in_order() {
        assert_eq!(
            aqi(Some(12.0), Some(900.0), None, None),
            Some((500, Pollutant::Pm10))
        );
        // PM2.5 9.0 → 50 and PM10 54 → 50: the tie goes to PM2.5.
        assert_eq!(
            aqi(Some(9.0), Some(54.0), None, None),
            Some((50, Pollutant::Pm25))
        );
    }

    #[test]
    fn categories_follow_bands_and_official_names() {
        assert_eq!(AqiCategory::from_aqi(0), AqiCategory::Good);
        assert_eq!(AqiCategory::from_aqi(50), AqiCategory::Good);
        assert_eq!(AqiCategory::from_aqi(51), AqiCategory::Moderate);
        assert_eq!(
            AqiCategory::from_aqi(101),
            AqiCategory::UnhealthyForSensitiveGroups
        );
        assert_eq!(AqiCategory::from_aqi(200), AqiCategory::Unhealthy);
        assert_eq!(AqiCategory::from_aqi(300), AqiCategory::VeryUnhealthy);
        assert_eq!(AqiCategory::from_aqi(301), AqiCategory::Hazardous);
        assert_eq!(AqiCategory::from_aqi(999), AqiCategory::Hazardous);
        assert_eq!(
            AqiCategory::UnhealthyForSensitiveGroups.label(),
            "Unhealthy for Sensitive Groups"
        );
        assert_eq!(AqiCategory::VeryUnhealthy.rgb(), [143, 63, 151]);
        // Bands tile 0..=500 without gaps.
        let mut next = 0;
        for category in AqiCategory::ALL {
            let (lo, hi) = category.band();
            assert_eq!(lo, next);
            assert_eq!(AqiCategory::from_aqi(lo), category);
            assert_eq!(AqiCategory::from_aqi(hi), category);
            next = hi + 1;
        }
        assert_eq!(next, 501);
    }

    #[test]
    fn tables_are_contiguous_and_increasing() {
        for p in Pollutant::ALL {
            let table = p.table();
            assert_eq!(table.first().unwrap().c_lo, 0);
            assert_eq!(table.last().unwrap().i_hi, 500);
            if p == Pollutant::O3 {
                // Two tables spliced together; checked by the ozone test.
                continue;
            }
            for pair in table.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert!(a.c_lo < a.c_hi, "{p:?}");
                assert_eq!(a.c_hi + 1, b.c_lo, "{p:?}");
                assert_eq!(a.i_hi + 1, b.i_lo, "{p:?}");
            }
        }
    }
}
