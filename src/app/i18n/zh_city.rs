//! Simplified Chinese for the city part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // Overview: key figures.
    ("Mean speed, last 24 h", "近 24 小时平均车速"),
    (
        "{:.1} % below typical ({:.1} km/h)",
        "比常态低 {:.1} %（常态 {:.1} km/h）",
    ),
    (
        "{:.1} % above typical ({:.1} km/h)",
        "比常态高 {:.1} %（常态 {:.1} km/h）",
    ),
    (
        "Mean speed of all sensors, hourly, the last 7 days (km/h)",
        "近 7 天全部传感器逐小时平均车速（km/h）",
    ),
    ("Incidents today", "今日事件"),
    ("{:.0} incidents", "{:.0} 起事件"),
    ("Incidents per day, the last 30 days", "近 30 天每日事件数"),
    ("Citizen reports today", "今日市民反映"),
    ("{:.0} reports", "{:.0} 条反映"),
    (
        "Citizen reports per day, the last 30 days",
        "近 30 天每日市民反映数",
    ),
    ("{} · daily average {:.1}", "{} · 日均 {:.1}"),
    ("Worst AQI now", "当前最高 AQI"),
    ("{} at {}", "{0}（{1}）"),
    (
        "Worst AQI of all stations, hourly, the last 3 days",
        "近 3 天全部监测站逐小时最高 AQI",
    ),
    // Overview: page, empty state, open datasets.
    ("City overview", "城市总览"),
    ("No data is open yet.", "尚未打开任何数据。"),
    (
        "None of the open datasets has a measure over time for a key figure. Explore shows the charts each one allows.",
        "已打开的数据集都没有可作关键指标的随时间变化的度量。“探索”会显示每个数据集可绘制的图表。",
    ),
    ("Open datasets", "已打开的数据集"),
    ("{} · usual {} ({} %)", "{} · 通常 {}（{} %）"),
    ("{} ({})", "{}（{}）"),
    // Overview: alerts and thresholds.
    ("Alerts ({} active)", "告警（{} 条生效）"),
    (
        "No threshold is broken in the latest data.",
        "最新数据未超出任何阈值。",
    ),
    ("since {}", "始于 {}"),
    ("acknowledged", "已确认"),
    ("new", "未确认"),
    ("Alert thresholds", "告警阈值"),
    ("AQI above", "AQI 高于"),
    ("Speed below usual for the hour", "车速低于该时段常态的"),
    ("Incidents per hour above", "每小时事件数高于"),
    // Traffic.
    (
        "No traffic data is open. Open a CSV with volume or speed columns, or load the demo city.",
        "尚未打开交通数据。请打开含流量或车速列的 CSV，或加载示例城市。",
    ),
    ("Sensors", "传感器"),
    ("All", "全选"),
    ("None", "全不选"),
    (
        "Select one or more sensors on the left to plot them.",
        "请在左侧选择一个或多个传感器以绘制曲线。",
    ),
    ("Volume", "流量"),
    ("Speed", "车速"),
    (
        "Weekly profile: mean by weekday and hour (all sensors)",
        "周内分布：按星期和小时的均值（全部传感器）",
    ),
    ("No column for this measure.", "没有该指标的列。"),
    (
        "Sensor map: colour shows congestion over the time range (green free flow, red congested)",
        "传感器地图：颜色表示时间范围内的拥堵程度（绿色畅通，红色拥堵）",
    ),
    (
        "The dataset has no latitude/longitude columns, so sensors cannot be placed on a map.",
        "此数据集没有经纬度列，无法在地图上标出传感器。",
    ),
    (
        "Sensor {}\nmean speed {}\nmean volume {}\ncongestion {:.0} %",
        "传感器 {}\n平均车速 {}\n平均流量 {}\n拥堵程度 {:.0} %",
    ),
    // Public safety.
    (
        "No public-safety data is open. Open a CSV of incidents, or load the demo city.",
        "尚未打开公共安全数据。请打开事件 CSV，或加载示例城市。",
    ),
    ("incident", "事件"),
    ("Incident type:", "事件类型："),
    ("All types", "全部类型"),
    ("Incident type", "事件类型"),
    ("{} incidents in the range", "范围内共 {} 起事件"),
    ("mean severity {:.2}", "平均严重程度 {:.2}"),
    ("Incidents by type", "按类型统计事件"),
    ("incidents", "起事件"),
    (
        "Incidents by hour of day (local time)",
        "按一天中的小时统计事件（当地时间）",
    ),
    ("hour", "小时"),
    ("Incidents per day", "每日事件数"),
    ("incidents per day", "每日事件数"),
    (
        "Where: incidents on the map, by type",
        "地点：按类型在地图上显示事件",
    ),
    (
        "The dataset has no latitude/longitude columns, so incidents cannot be placed on a map.",
        "此数据集没有经纬度列，无法在地图上标出事件。",
    ),
    // Environment.
    (
        "No environment data is open. Open an air-quality CSV, or load the demo city.",
        "尚未打开环境数据。请打开空气质量 CSV，或加载示例城市。",
    ),
    (
        "Air Quality Index (US EPA), computed from the pollutant columns (NowCast for particles, 8-hour ozone), on its category bands",
        "空气质量指数（美国 EPA 标准，由污染物列计算：颗粒物用 NowCast，臭氧用 8 小时均值）及其等级色带",
    ),
    (
        "Air Quality Index (US EPA) on its category bands",
        "空气质量指数（美国 EPA 标准）及其等级色带",
    ),
    (
        "No AQI or pollutant columns in this dataset.",
        "此数据集没有 AQI 或污染物列。",
    ),
    ("Pollutant:", "污染物："),
    (
        "This dataset has no column for that pollutant.",
        "此数据集没有该污染物的列。",
    ),
    (
        "Traffic vs NO2, hour by hour (Pearson r = {:.2})",
        "交通流量与 NO2 逐小时对比（Pearson r = {:.2}）",
    ),
    ("Traffic vs NO2, hour by hour", "交通流量与 NO2 逐小时对比"),
    (
        "Needs a traffic dataset with a volume column and an NO2 column here, over the same hours.",
        "需要一个含流量列的交通数据集，且本数据集有 NO2 列，两者时段相同。",
    ),
    ("mean traffic volume (veh/h)", "平均交通流量（veh/h）"),
    ("mean NO2 (ppb)", "平均 NO2（ppb）"),
    ("hours", "小时"),
    // Forecast rule.
    ("Forecast above", "预测值高于"),
    ("by the model", "所用模型"),
    ("Forecast model", "预测模型"),
    (
        "A forecast model in the models folder (Models view) runs on the latest hours of every dataset with its target; an alert is raised where it predicts a value above the level within its horizon.",
        "模型文件夹中的预测模型（见“模型”视图）会在每个含其目标列的数据集的最近数小时数据上运行；若预测在其时间跨度内超过该水平，即发出告警。",
    ),
    ("The forecast rule cannot run: {}", "预测规则无法运行：{}"),
];
