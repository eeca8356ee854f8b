//! The demo city's districts and their names (English and Chinese), and
//! distances between places.

/// A name in English and Simplified Chinese.
#[derive(Clone, Copy, Debug)]
pub(super) struct Name {
    pub(super) en: &'static str,
    pub(super) zh: &'static str,
}

pub(super) const fn name(en: &'static str, zh: &'static str) -> Name {
    Name { en, zh }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct District {
    pub(super) name: &'static str,
    pub(super) lat: f64,
    pub(super) lon: f64,
    pub(super) streets: &'static [Name],
    pub(super) landmarks: &'static [Name],
    pub(super) parks: &'static [Name],
    /// Share of citizen reports written in Chinese.
    pub(super) chinese_share: f64,
}

pub(super) const DISTRICTS: [District; 6] = [
    District {
        name: "Downtown",
        lat: 41.882,
        lon: -87.630,
        streets: &[
            name("Madison Street", "麦迪逊街"),
            name("Main Street", "主街"),
            name("Canal Street", "运河街"),
            name("State Street", "州街"),
            name("Washington Avenue", "华盛顿大道"),
        ],
        landmarks: &[
            name("City Hall", "市政厅"),
            name("Central Library", "中央图书馆"),
            name("Union Station", "联合车站"),
            name("Riverton Mall", "河镇购物中心"),
        ],
        parks: &[
            name("Lakefront Gardens", "湖滨花园"),
            name("Union Square Park", "联合广场公园"),
        ],
        chinese_share: 0.25,
    },
    District {
        name: "Riverside",
        lat: 41.860,
        lon: -87.665,
        streets: &[
            name("River Road", "滨河路"),
            name("Elm Avenue", "榆树大道"),
            name("Harbor Boulevard", "港湾大道"),
            name("Ferry Street", "渡口街"),
        ],
        landmarks: &[
            name("Riverside Community Center", "滨河社区中心"),
            name("St. Luke's Hospital", "圣路加医院"),
            name("Riverside Elementary", "滨河小学"),
        ],
        parks: &[name("Riverside Park", "滨河公园")],
        chinese_share: 0.15,
    },
    District {
        name: "Old Town",
        lat: 41.905,
        lon: -87.640,
        streets: &[
            name("Grand Avenue", "格兰德大道"),
            name("Market Street", "市场街"),
            name("Chestnut Street", "栗树街"),
            name("Church Street", "教堂街"),
        ],
        landmarks: &[
            name("Old Town Square", "老城广场"),
            name("St. Mary's Church", "圣玛丽教堂"),
            name("the farmers market", "农贸市场"),
        ],
        parks: &[name("Old Town Commons", "老城公园")],
        chinese_share: 0.20,
    },
    District {
        name: "University Heights",
        lat: 41.915,
        lon: -87.680,
        streets: &[
            name("College Avenue", "学院大道"),
            name("Linden Street", "椴树街"),
            name("Elm Avenue", "榆树大道"),
            name("Grand Avenue", "格兰德大道"),
        ],
        landmarks: &[
            name("Riverton University", "河镇大学"),
            name("University Stadium", "大学体育场"),
            name("the student dorms", "学生宿舍"),
        ],
        parks: &[
            name("Campus Green", "校园草坪"),
            name("Linden Park", "椴树公园"),
        ],
        chinese_share: 0.35,
    },
    District {
        name: "Eastport",
        lat: 41.865,
        lon: -87.600,
        streets: &[
            name("Harbor Boulevard", "港湾大道"),
            name("Dock Street", "码头街"),
            name("Lakeshore Drive", "湖滨大道"),
            name("Pier Street", "栈桥街"),
        ],
        landmarks: &[
            name("Eastport Market", "东港市场"),
            name("the ferry terminal", "轮渡码头"),
            name("Eastport Senior Center", "东港老年活动中心"),
        ],
        parks: &[name("Harbor Point Park", "港角公园")],
        chinese_share: 0.45,
    },
    District {
        name: "Millbrook",
        lat: 41.842,
        lon: -87.640,
        streets: &[
            name("Mill Road", "磨坊路"),
            name("Willow Lane", "柳树巷"),
            name("Main Street", "主街"),
            name("Orchard Street", "果园街"),
        ],
        landmarks: &[
            name("Millbrook Elementary School", "磨溪小学"),
            name("Millbrook Shopping Plaza", "磨溪购物广场"),
            name("the Millbrook library", "磨溪图书馆"),
        ],
        parks: &[
            name("Millbrook Pond Park", "磨溪池塘公园"),
            name("Willow Playground", "柳树游乐场"),
        ],
        chinese_share: 0.12,
    },
];

/// Rough distance in km between two points near 41.9° N.
pub(super) fn distance_km(lat_a: f64, lon_a: f64, lat_b: f64, lon_b: f64) -> f64 {
    let dy = (lat_a - lat_b) * 111.0;
    let dx = (lon_a - lon_b) * 82.7;
    (dx * dx + dy * dy).sqrt()
}

pub(super) fn nearest_district(lat: f64, lon: f64) -> usize {
    let mut best = 0;
    let mut best_km = f64::INFINITY;
    for (index, d) in DISTRICTS.iter().enumerate() {
        let km = distance_km(lat, lon, d.lat, d.lon);
        if km < best_km {
            best = index;
            best_km = km;
        }
    }
    best
}

pub(super) fn district(index: usize) -> &'static District {
    DISTRICTS.get(index).unwrap_or(&DISTRICTS[0])
}
