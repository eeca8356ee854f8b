//! Simplified Chinese for maps: the map panel, its layers and legend, the
//! basemap setting and GeoJSON districts (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    ("Map", "地图"),
    ("Map of {}", "{}地图"),
    ("Map layer", "地图图层"),
    ("points", "点"),
    ("bins (counts or means)", "网格（计数或均值）"),
    ("hexagonal bins", "六边形网格"),
    ("lines", "线"),
    ("districts (choropleth)", "区域（分级设色）"),
    ("Districts", "区域"),
    ("Districts (GeoJSON)", "区域（GeoJSON）"),
    (
        "Open a GeoJSON file of districts (drop it onto the window) to colour them.",
        "打开区域的 GeoJSON 文件（拖放到窗口上）即可为其着色。",
    ),
    (
        "Join property (none: by location)",
        "连接属性（无：按位置）",
    ),
    ("equals the column", "等于列"),
    ("no rows", "无数据行"),
    ("{}: {} ({} rows)", "{}：{}（{} 行）"),
    ("congestion (%)", "拥堵（%）"),
    (
        "No places to draw in the selected time range.",
        "所选时间范围内没有可绘制的地点。",
    ),
    ("Loading {} basemap tiles…", "正在加载 {} 个底图瓦片…"),
    (
        "{} basemap tiles could not be loaded: {}",
        "{} 个底图瓦片无法加载：{}",
    ),
    ("Map basemap", "地图底图"),
    (
        "Riverton, the demo city's own map (offline)",
        "河镇（演示城市自带地图，离线）",
    ),
    (
        "None (a plain background; nothing is fetched)",
        "无（纯色背景；不下载任何内容）",
    ),
    (
        "Tile server (XYZ URL template):",
        "瓦片服务器（XYZ URL 模板）：",
    ),
    ("Tile URL template", "瓦片 URL 模板"),
    ("Tile attribution", "瓦片署名"),
    (
        "Attribution, e.g. © OpenStreetMap contributors",
        "署名，例如 © OpenStreetMap contributors",
    ),
    ("Use this tile server", "使用此瓦片服务器"),
    ("In use: {}", "正在使用：{}"),
    (
        "GeoJSON (districts, roads, places)",
        "GeoJSON（区域、道路、地点）",
    ),
    ("maps of districts", "区域地图"),
    ("Could not make the maps of districts", "无法生成区域地图"),
    ("Play over time", "按时间播放"),
    ("Play {} over time", "按时间播放{}"),
    (
        "Show one hour or day at a time, stepping through the data",
        "每次显示一小时或一天，逐步播放数据",
    ),
    ("Pause {}", "暂停{}"),
    ("Play", "播放"),
    ("Play {}", "播放{}"),
    ("Time shown on {}", "{}显示的时间"),
    ("by hour", "按小时"),
    ("by day", "按天"),
    ("Stop", "停止"),
    ("Stop playing {}", "停止播放{}"),
    ("Open URL…", "打开网址…"),
    (
        "The https address of a CSV, JSON or GeoJSON file (an open-data portal's export link):",
        "CSV、JSON 或 GeoJSON 文件的 https 地址（开放数据门户的导出链接）：",
    ),
    ("Data URL", "数据网址"),
    ("Open this URL", "打开此网址"),
    (
        "JSON tables (arrays of objects, NDJSON)",
        "JSON 表格（对象数组、NDJSON）",
    ),
    (
        "Selected on the map: {}. The other panels of {} show only these rows.",
        "已在地图上选择：{}。{1}的其他面板只显示这些行。",
    ),
    ("Clear selection", "清除选择"),
    ("the bin at {:.4}, {:.4}", "位于 {:.4}, {:.4} 的网格"),
];
