//! Simplified Chinese for the widgets part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // Time-window picker in the top bar.
    ("Time range:", "时间范围："),
    ("Time range", "时间范围"),
    ("Custom range…", "自定义范围…"),
    ("from", "从"),
    ("to", "至"),
    ("Range start", "范围起点"),
    ("Range end", "范围终点"),
    ("Apply range", "应用范围"),
    ("the start is after the end", "起点晚于终点"),
    (
        "'{}' is not a date; write it as 2026-09-01 or 2026-09-01 08:00",
        "“{}”不是日期，请写成 2026-09-01 或 2026-09-01 08:00",
    ),
    // Dataset picker and the top of the domain views.
    ("Dataset:", "数据集："),
    ("Dataset for {}", "{}数据集"),
    (
        "This dataset has no time column. Set a column's role to 'time' in the Data view.",
        "此数据集没有时间列。请在“数据”视图中将某一列的角色设为“时间”。",
    ),
    // Drag and drop.
    ("Drop CSV files to open them", "松开鼠标即可打开 CSV 文件"),
    // Background computations.
    ("Updating…", "正在更新…"),
    // Weekday × hour heatmap.
    ("Mon", "周一"),
    ("Tue", "周二"),
    ("Wed", "周三"),
    ("Thu", "周四"),
    ("Fri", "周五"),
    ("Sat", "周六"),
    ("Sun", "周日"),
    ("{} {} – no data", "{} {} – 无数据"),
];
