//! The `reports` table: citizen reports in English and Chinese, by
//! department and topic, spiking after rain and on weekend nights.

use jiff::civil::Weekday;

use crate::data::rng::Rng;
use crate::data::table::{Column, Table};
use crate::data::timeseries::MICROS_PER_SECOND;

use super::calendar::Slot;
use super::incidents::NIGHTLIFE;
use super::places::{Name, district, name};
use super::templates::{TemplateWords, add_typo, render};
use super::weather::HourWeather;
use super::{assemble, hour_weight};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Department {
    PublicWorks,
    Sanitation,
    Transportation,
    Parks,
    Police,
    Water,
    NoiseControl,
}

/// Reports by local hour: people write while awake.
const REPORT_HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.7, 1.7, 1.6, 1.5, 1.5, 1.5, 1.4, 1.4, 1.4, 1.3,
    1.2, 1.1, 0.9, 0.6, 0.4,
];

impl Department {
    pub(super) const ALL: [Self; 7] = [
        Self::PublicWorks,
        Self::Sanitation,
        Self::Transportation,
        Self::Parks,
        Self::Police,
        Self::Water,
        Self::NoiseControl,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::PublicWorks => "Public Works",
            Self::Sanitation => "Sanitation",
            Self::Transportation => "Transportation",
            Self::Parks => "Parks",
            Self::Police => "Police",
            Self::Water => "Water",
            Self::NoiseControl => "Noise Control",
        }
    }

    /// Expected reports in this hour.
    fn rate_per_hour(self, slot: &Slot, w: &HourWeather) -> f64 {
        let daytime = hour_weight(&REPORT_HOURS, slot.hour);
        let rest_day = !slot.kind.is_workday();
        let per_day = match self {
            // Potholes open up after rain.
            Self::PublicWorks => 6.0 * daytime * (1.0 + 0.05 * w.rain_last_24h_mm),
            // Weekend trash is reported on Monday.
            Self::Sanitation => {
                let monday = slot.weekday == Weekday::Monday;
                5.5 * daytime * if monday { 1.4 } else { 1.0 }
            }
            Self::Transportation => 4.0 * daytime * if slot.kind.is_workday() { 1.15 } else { 0.7 },
            Self::Parks => {
                let warm = if w.temperature_c > 18.0 { 1.2 } else { 0.8 };
                2.6 * daytime * warm * if rest_day { 1.4 } else { 1.0 }
            }
            Self::Police => 2.6 * (0.6 * daytime + 0.4 * hour_weight(&NIGHTLIFE, slot.hour)),
            // Flooded streets and basements after rain.
            Self::Water => 1.8 * daytime * (1.0 + 0.25 * w.rain_last_24h_mm),
            Self::NoiseControl => {
                let weekend_night = if slot.is_weekend_night() { 1.7 } else { 1.0 };
                3.0 * hour_weight(&NIGHTLIFE, slot.hour) * weekend_night
            }
        };
        per_day / 24.0
    }
}

/// A kind of complaint. Most belong to one department; the shared ones
/// could reasonably be routed to any listed department.
pub(super) struct Topic {
    departments: &'static [Department],
    /// Extra weight per mm of rain in the last 24 hours.
    rain_boost_per_mm: f64,
    pub(super) en: &'static [&'static str],
    pub(super) zh: &'static [&'static str],
}

const fn topic(
    departments: &'static [Department],
    rain_boost_per_mm: f64,
    en: &'static [&'static str],
    zh: &'static [&'static str],
) -> Topic {
    Topic {
        departments,
        rain_boost_per_mm,
        en,
        zh,
    }
}

/// Share of reports drawn from shared, ambiguous topics.
const AMBIGUOUS_SHARE: f64 = 0.12;

pub(super) const TOPICS: &[Topic] = {
    use Department::{NoiseControl, Parks, Police, PublicWorks, Sanitation, Transportation, Water};
    &[
        // Public Works
        topic(
            &[PublicWorks],
            0.15,
            &[
                "There's a {huge|big|deep|nasty} {pothole|pot hole|hole in the road} on {street}.",
                "{Potholes|Pot holes} all over {street} after the rain, almost blew a tire.",
                "The road surface on {street} is {crumbling|breaking up|full of cracks} near {landmark}.",
                "Please repair the {pothole|broken asphalt|sunken patch} in front of {landmark}.",
            ],
            &[
                "{street}上有个大坑，车开过去很危险",
                "{street}路面坑坑洼洼的，{下雨以后|最近}又多了好几个坑，请尽快修补",
                "{landmark}附近的马路塌了一块，晚上根本看不清",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Streetlight out on {street} for {days} days.",
                "The {street light|streetlight|lamp post} near {landmark} keeps {flickering|going on and off}.",
                "{Whole block|Entire stretch} of {street} is dark at night, the lights are not working.",
            ],
            &[
                "{street}的路灯坏了好几天了，晚上黑漆漆的",
                "{landmark}旁边的路灯一直在闪，麻烦派人来修一下",
                "{street}这一段路灯全都不亮，走夜路很害怕",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Sidewalk slabs lifted on {street}, {someone|an elderly neighbor|my mom} tripped.",
                "Broken curb and cracked sidewalk outside {landmark}.",
                "The curb ramp at {street} and {street2} is broken, a wheelchair can't get up.",
            ],
            &[
                "{street}人行道的砖翘起来了，老人很容易绊倒",
                "{landmark}门口的人行道裂了一大块",
                "{street}和{street2}路口的无障碍坡道坏了，轮椅上不去",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Graffiti sprayed all over the wall at {landmark}.",
                "Someone tagged the underpass on {street} again.",
                "Please remove the graffiti on the bridge over {street}.",
            ],
            &[
                "{landmark}的墙上被人乱涂乱画了",
                "{street}的地下通道又被喷了涂鸦",
                "{street}桥墩上的涂鸦很难看，请清理一下",
            ],
        ),
        // Sanitation
        topic(
            &[Sanitation],
            0.0,
            &[
                "Trash wasn't picked up on {street} this week.",
                "{Garbage|Trash} truck skipped our {block|building} on {street} again.",
                "Missed {garbage|trash} collection on {street}, bins still full after {days} days.",
            ],
            &[
                "小区门口的垃圾没人清理，已经{days}天了",
                "这周垃圾车没来{street}收垃圾",
                "{street}的垃圾好几天没人收了",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Public {trash can|garbage bin|litter bin} at {landmark} is overflowing.",
                "Bins on {street} are overflowing and {smell awful|attract rats|stink}.",
                "Litter everywhere around the overflowing bins on {street}.",
            ],
            &[
                "{street}的垃圾桶满了，臭味很大",
                "{landmark}门口的垃圾桶早就满了，垃圾都溢出来了",
                "{street}垃圾桶旁边老鼠很多",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Someone dumped {an old mattress|a couch|a pile of tires|construction debris} on {street}.",
                "Illegal dumping in the alley behind {street}, {bags of trash|furniture|old appliances} piled up.",
            ],
            &[
                "有人在{street}路边乱扔旧家具和床垫",
                "{street}后面的小巷被人倒了一堆建筑垃圾",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Dead {raccoon|deer|opossum|squirrel} in the road on {street}, please remove.",
                "There is a dead animal on the sidewalk near {landmark}.",
            ],
            &[
                "{street}路中间有只死浣熊，请派人处理",
                "{landmark}附近有动物尸体，味道很大",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Our recycling cart on {street} is broken, we need a replacement.",
                "{Recycling|The blue bin} was not collected on {street}.",
            ],
            &[
                "回收箱被垃圾车压坏了，在{street}，需要换一个新的",
                "{street}的可回收垃圾这周没人收",
            ],
        ),
        // Transportation
        topic(
            &[Transportation],
            0.0,
            &[
                "Traffic light at {street} and {street2} is {stuck on red|out|flashing|not working}.",
                "{Signal|Light} timing on {street} is terrible, the left turn arrow never comes on.",
                "Pedestrian signal at {street} and {street2} doesn't work.",
            ],
            &[
                "{street}和{street2}路口的红绿灯坏了，车都乱开",
                "{street}的左转灯一直不亮，堵得很厉害",
                "{street}路口的行人过街灯不工作",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Cars {always park|keep parking} in the bike lane on {street}.",
                "A car has been blocking my driveway on {street} for {days} days.",
                "Delivery truck double parked on {street} every morning.",
            ],
            &[
                "有车长期违停在{street}，挡住了车道",
                "总有车停在{street}的自行车道上",
                "我家车库门口被别人的车堵住了，{street}",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Bus {stop sign|shelter} on {street} was knocked down.",
                "The {bus|number 12 bus|route 7 bus} is always late at {landmark}, waited 40 minutes.",
                "Bus shelter glass broken on {street}.",
            ],
            &[
                "{street}的公交站牌被撞歪了",
                "公交车老是晚点，在{landmark}站等了四十分钟",
                "{street}公交候车亭的玻璃碎了",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Stop sign at {street} and {street2} is {hidden by a tree|missing|bent over}.",
                "Lane markings on {street} are completely faded.",
                "We need a crosswalk near {landmark}, cars drive too fast.",
            ],
            &[
                "{street}的停车标志被树挡住了",
                "{street}的车道线都磨没了，晚上看不清",
                "{landmark}附近车开得太快，希望加一条斑马线",
            ],
        ),
        // Parks
        topic(
            &[Parks],
            0.0,
            &[
                "Dead tree in {park} looks like it could fall.",
                "A {branch|large limb} is hanging over the path in {park}.",
                "Bushes in {park} are so overgrown they block the path.",
            ],
            &[
                "{park}里有棵树的树枝快断了，怕砸到小孩",
                "{park}有一棵枯树，随时可能倒下",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "{Swing|Slide|Climbing frame} at the {park} playground is broken.",
                "Playground in {park} has {a nail sticking out|broken glass|sharp edges}.",
            ],
            &[
                "{park}的滑梯坏了，有钉子露出来",
                "{park}儿童乐园的秋千链子断了",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "Grass in {park} hasn't been mowed in weeks.",
                "{Weeds|Overgrown bushes} everywhere in {park}.",
                "The {drinking fountain|water fountain} in {park} doesn't work.",
            ],
            &[
                "{park}的草很久没人修剪了",
                "{park}的饮水机不出水",
                "{park}的长椅坏了，没法坐",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "Restrooms in {park} are locked {all day|on weekends}.",
                "Basketball hoop in {park} is broken.",
                "The dog park gate in {park} won't close.",
            ],
            &["{park}的公共厕所周末一直锁着", "{park}的篮球架坏了"],
        ),
        // Police
        topic(
            &[Police],
            0.0,
            &[
                "Suspicious people checking car doors on {street} {last night|at night|every night}.",
                "Someone has been {following|harassing} people near {landmark}.",
            ],
            &[
                "最近晚上{street}总有陌生人在车旁边转悠",
                "{landmark}附近有人跟踪路人，很不安全",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "Abandoned car with no plates on {street} for {days} days.",
                "A {van|car|truck} has been sitting on {street} for weeks with flat tires.",
            ],
            &[
                "{street}停着一辆没有车牌的车，已经停了一个多月",
                "{street}有辆车轮胎都瘪了，好几个星期没人动",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "My car was broken into on {street} {last night|this morning}.",
                "{Packages|Parcels} stolen from porches on {street}.",
                "Bike stolen outside {landmark}.",
            ],
            &[
                "我的车窗被砸了，在{street}",
                "家门口的快递又被偷了，{street}",
                "{landmark}门口锁着的自行车被偷了",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "Drug dealing near {landmark}, kids are afraid to go there.",
                "Cars {racing|drag racing|doing donuts} on {street} every night.",
            ],
            &[
                "{landmark}附近有人吸毒贩毒，孩子们都不敢去",
                "每天晚上都有人在{street}飙车",
            ],
        ),
        // Water
        topic(
            &[Water],
            0.0,
            &[
                "Water {bubbling up|gushing|leaking} from the street on {street}, looks like a broken main.",
                "Water main break at {street} and {street2}!",
            ],
            &[
                "{street}路面一直在冒水，好像是水管爆了",
                "{street}和{street2}路口水管破裂，水流了一地",
            ],
        ),
        topic(
            &[Water],
            0.4,
            &[
                "{Street|Road|Underpass} flooded on {street} after the rain, cars are stuck.",
                "Basement flooding on {street}, water coming up through the floor drain.",
                "Storm drain on {street} is overflowing.",
            ],
            &[
                "下雨后{street}积水很深，车都过不去",
                "一下雨地下室就进水，{street}",
                "{street}的雨水井往外冒水",
            ],
        ),
        topic(
            &[Water],
            0.1,
            &[
                "Sewer smell on {street}, the manhole is {overflowing|leaking}.",
                "Sewage backing up into homes on {street}.",
            ],
            &[
                "下水道反味，{street}的井盖在冒污水",
                "{street}的污水倒灌进家里了",
            ],
        ),
        topic(
            &[Water],
            0.0,
            &[
                "Very low water pressure on {street} since {yesterday|this morning}.",
                "Tap water is {brown|cloudy|rusty} on {street}.",
                "Fire hydrant leaking on {street}.",
            ],
            &[
                "家里水压特别低，{street}这一片都这样",
                "{street}的自来水发黄，不敢喝",
                "{street}的消防栓在漏水",
            ],
        ),
        // Noise Control
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Loud party {upstairs|next door|across the street} on {street} every {night|weekend}.",
                "Music blasting from a {house|apartment|car} on {street} until 3am.",
            ],
            &[
                "楼上每天半夜开派对，吵得睡不着",
                "{street}有家酒吧音乐一直放到凌晨两点",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Construction on {street} starting at 5am, way before allowed hours.",
                "Jackhammering on {street} all night.",
            ],
            &[
                "{street}的工地早上五点就开始施工，太吵了",
                "{street}工地晚上还在施工，噪音很大",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Neighbor's dog {barks|has been barking} all night on {street}.",
                "Dogs barking nonstop on {street}, nobody home.",
            ],
            &[
                "邻居的狗整夜叫个不停",
                "{street}有户人家的狗一直叫，吵得孩子睡不着",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Car alarm going off for an hour on {street}.",
                "{Motorcycles|Loud cars|Modified exhausts} revving on {street} late at night.",
            ],
            &[
                "{street}有辆车的警报器响了一个小时",
                "半夜总有摩托车在{street}轰油门",
            ],
        ),
        // Shared topics: the same words could go to several departments.
        topic(
            &[Water, PublicWorks],
            0.3,
            &[
                "Storm drain clogged on {street}, water pooling across the road.",
                "{Street|Road} flooded at {street}, the {drain|catch basin} is blocked with leaves.",
            ],
            &["{street}的下水口被树叶堵了，路上全是水"],
        ),
        topic(
            &[Parks, PublicWorks, Transportation],
            0.1,
            &[
                "Big tree branch fell across {street} after the storm.",
                "Fallen tree blocking {street}.",
            ],
            &["暴风雨后有大树枝倒在{street}上，车过不去"],
        ),
        topic(
            &[Parks, PublicWorks],
            0.0,
            &[
                "Lights along the path in {park} are out.",
                "Broken lamp post in {park}.",
            ],
            &["{park}里的路灯不亮了"],
        ),
        topic(
            &[Sanitation, Transportation],
            0.0,
            &["Car parked in front of the bins on {street}, the trash truck couldn't get through."],
            &["有车挡住了垃圾桶，垃圾车收不了，{street}"],
        ),
        topic(
            &[Police, NoiseControl],
            0.0,
            &[
                "People shouting and fighting outside on {street} at night.",
                "Loud fight in the apartment next door on {street}.",
            ],
            &["晚上{street}有人大声吵架打架"],
        ),
        topic(
            &[Transportation, PublicWorks, NoiseControl],
            0.0,
            &["Construction crew blocking a lane on {street} all day and it's loud."],
            &["{street}施工占道，又吵又堵"],
        ),
        topic(
            &[Sanitation, Parks],
            0.0,
            &["Trash dumped all over {park}, the bins are overflowing."],
            &["{park}里到处是垃圾，垃圾桶都满了"],
        ),
        topic(
            &[Police, Transportation],
            0.0,
            &["Cars speeding through the school zone on {street}."],
            &["{street}学校门口车开得飞快"],
        ),
        topic(
            &[Water, Parks],
            0.0,
            &["Sprinklers in {park} running nonstop, water everywhere."],
            &["{park}的喷灌一直开着，水都流到路上了"],
        ),
    ]
};

/// Openings people put before the complaint; `true` lower-cases what
/// follows.
const EN_OPENERS: &[(&str, bool)] = &[
    ("Hi, ", true),
    ("Hello. ", false),
    ("Please help: ", false),
    ("URGENT: ", false),
    ("FYI ", true),
    ("Not sure who handles this but ", true),
    ("Good morning, ", true),
];
const EN_CLOSERS: &[&str] = &[
    " Thanks.",
    " Please fix asap.",
    " This is dangerous.",
    " Been like this for {days} days.",
    " Third time reporting this!",
    " Kids walk here every day.",
    " Thank you!",
];
const ZH_CLOSERS: &[&str] = &[
    "，谢谢！",
    "，请尽快处理。",
    "，已经反映过好几次了。",
    "，太危险了。",
    "，希望有关部门管一管。",
    "。",
];

struct ReportRow {
    micros: i64,
    district: usize,
    chinese: bool,
    text: String,
    department: Department,
}

pub(super) fn reports_table(slots: &[Slot], weather: &[HourWeather], rng: &mut Rng) -> Table {
    let mut rows: Vec<ReportRow> = Vec::with_capacity(2800);
    for (slot, w) in slots.iter().zip(weather) {
        for department in Department::ALL {
            let count = rng.poisson(department.rate_per_hour(slot, w));
            for _ in 0..count {
                let micros = slot.utc_micros + rng.range_i64(0, 3599) * MICROS_PER_SECOND;
                let district_index = report_district(department, rng);
                let chinese = rng.bernoulli(district(district_index).chinese_share);
                let text = report_text(department, district_index, chinese, w, rng);
                rows.push(ReportRow {
                    micros,
                    district: district_index,
                    chinese,
                    text,
                    department,
                });
            }
        }
    }
    rows.sort_by_key(|r| r.micros);
    let ids: Vec<String> = (1..=rows.len()).map(|n| format!("RPT-{n:06}")).collect();
    assemble(vec![
        Column::from_timestamps("timestamp", rows.iter().map(|r| r.micros).collect()),
        Column::text("report_id", &ids),
        Column::categorical(
            "district",
            &rows
                .iter()
                .map(|r| district(r.district).name)
                .collect::<Vec<_>>(),
        ),
        Column::categorical(
            "language",
            &rows
                .iter()
                .map(|r| if r.chinese { "zh" } else { "en" })
                .collect::<Vec<_>>(),
        ),
        Column::text(
            "text",
            &rows.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
        ),
        Column::categorical(
            "department",
            &rows
                .iter()
                .map(|r| r.department.label())
                .collect::<Vec<_>>(),
        ),
    ])
}

fn report_district(department: Department, rng: &mut Rng) -> usize {
    let weights = match department {
        Department::Parks => [0.8, 1.4, 1.0, 1.1, 1.0, 1.4],
        Department::NoiseControl => [1.4, 0.7, 1.5, 1.8, 0.9, 0.5],
        Department::Water => [0.8, 1.8, 0.8, 0.8, 1.3, 1.3],
        _ => [1.3, 1.0, 1.0, 1.0, 1.0, 0.9],
    };
    rng.weighted_index(&weights).unwrap_or(0)
}

fn report_text(
    department: Department,
    district_index: usize,
    chinese: bool,
    w: &HourWeather,
    rng: &mut Rng,
) -> String {
    let shared = rng.bernoulli(AMBIGUOUS_SHARE);
    let candidates: Vec<&Topic> = TOPICS
        .iter()
        .filter(|t| t.departments.contains(&department) && (t.departments.len() > 1) == shared)
        .collect();
    let weights: Vec<f64> = candidates
        .iter()
        .map(|t| 1.0 + t.rain_boost_per_mm * w.rain_last_24h_mm)
        .collect();
    let Some(topic) = rng.weighted_index(&weights).and_then(|i| candidates.get(i)) else {
        return String::new();
    };

    let d = district(district_index);
    let street = rng
        .choose(d.streets)
        .copied()
        .unwrap_or(name("Main Street", "主街"));
    let street2 = rng
        .choose(d.streets)
        .copied()
        .filter(|s| s.en != street.en)
        .unwrap_or(name("Main Street", "主街"));
    let landmark = rng
        .choose(d.landmarks)
        .copied()
        .unwrap_or(name("City Hall", "市政厅"));
    let park = rng
        .choose(d.parks)
        .copied()
        .unwrap_or(name("Riverside Park", "滨河公园"));
    let days = rng.range_i64(2, 14) as u32;

    let mut text = String::new();
    if chinese {
        // Residents often keep the English street name in Chinese text.
        let pick = |n: Name, rng: &mut Rng| if rng.bernoulli(0.3) { n.en } else { n.zh };
        let words = TemplateWords {
            street: pick(street, rng),
            street2: pick(street2, rng),
            landmark: landmark.zh,
            park: park.zh,
            days,
        };
        let template = rng.choose(topic.zh).copied().unwrap_or_default();
        render(template, &words, rng, &mut text);
        if rng.bernoulli(0.5) {
            let closer = rng.choose(ZH_CLOSERS).copied().unwrap_or("。");
            render(closer, &words, rng, &mut text);
        }
    } else {
        let words = TemplateWords {
            street: street.en,
            street2: street2.en,
            landmark: landmark.en,
            park: park.en,
            days,
        };
        let template = rng.choose(topic.en).copied().unwrap_or_default();
        let mut body = String::new();
        render(template, &words, rng, &mut body);
        if rng.bernoulli(0.3) {
            let (opener, lower_next) = rng.choose(EN_OPENERS).copied().unwrap_or(("", false));
            text.push_str(opener);
            if lower_next && !body.starts_with("I ") {
                let mut chars = body.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_lowercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push_str(&body);
            }
        } else {
            text.push_str(&body);
        }
        if rng.bernoulli(0.4) {
            let closer = rng.choose(EN_CLOSERS).copied().unwrap_or_default();
            render(closer, &words, rng, &mut text);
        }
        if rng.bernoulli(0.08) {
            text = add_typo(&text, rng);
        }
    }
    text
}
