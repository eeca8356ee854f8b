//! Simplified Chinese for the data part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // Empty state and the header's buttons.
    (
        "No data is open. Use Open CSV… or drop a file onto the window.",
        "尚未打开数据。请使用“打开 CSV…”，或将文件拖到窗口中。",
    ),
    ("Dataset shown", "显示的数据集"),
    (
        "Save this dataset as a CSV file",
        "将此数据集另存为 CSV 文件",
    ),
    ("Export time range…", "导出时间范围…"),
    (
        "Save the rows inside the time range chosen in the toolbar as CSV",
        "将工具栏所选时间范围内的行保存为 CSV",
    ),
    // About the dataset.
    ("Source", "来源"),
    ("demo city ({})", "示例城市（{}）"),
    ("Size", "规模"),
    (
        "{} rows × {} columns, {:.1} MB in memory",
        "{} 行 × {} 列，占用内存 {:.1} MB",
    ),
    ("Format", "格式"),
    (
        "delimiter '{}', {}, {:.1} MB file",
        "分隔符“{}”，{}，文件 {:.1} MB",
    ),
    ("Kind of data", "数据类别"),
    ("Time zone", "时区"),
    ("Apply time zone", "应用时区"),
    (
        "timestamps without an offset are read in this zone",
        "未注明时差的时间戳按此时区解读",
    ),
    // Load warnings.
    ("Load warnings ({})", "加载警告（{}）"),
    (
        "The file loaded without warnings.",
        "文件加载完成，没有警告。",
    ),
    (
        "Of {} data lines: {} rows skipped, {} padded, {} read again after a quote that was never closed; {} cells set missing.",
        "共 {} 行数据：跳过 {} 行，补齐 {} 行，因引号未闭合重新读取 {} 行；{} 个单元格设为缺失。",
    ),
    // Columns.
    ("Column", "列"),
    ("Type", "类型"),
    ("Role", "角色"),
    ("Missing", "缺失"),
    ("Min", "最小值"),
    ("Max", "最大值"),
    ("Mean / distinct", "均值 / 不同值数"),
    ("Role of column {}", "列 {} 的角色"),
    ("{} distinct", "{} 个不同值"),
    // Rows.
    ("Rows ({})", "数据行（{}）"),
    ("missing", "缺失"),
    // Pivot long to wide.
    ("(choose)", "（请选择）"),
    ("Pivot long to wide", "长表转宽表"),
    (
        "One row per key (time and station, say) and one column per value of the names column (Ozone, NO2, …), filled from the values column: the layout the views read.",
        "每个键（例如时间和站点）一行，名称列的每个取值（臭氧、NO2 等）一列，由数值列填充：这是各视图读取的布局。",
    ),
    ("Names from", "名称取自"),
    ("Values from", "数值取自"),
    ("Keys:", "键："),
    ("Pivot to a new dataset", "转换为新数据集"),
    (
        "Choose the names column, the values column and at least one key",
        "请选择名称列、数值列以及至少一个键",
    ),
    ("The pivot stopped unexpectedly.", "转换意外中止。"),
    ("{} (wide)", "{}（宽表）"),
    (
        "Made '{}': {} rows × {} columns.",
        "已生成“{}”：{} 行 × {} 列。",
    ),
    (
        "Cells with several readings, which hold their mean: {}.",
        "有多个读数（已取平均值）的单元格：{} 个。",
    ),
    (
        "Rows left out for want of a name or a value: {}.",
        "因缺少名称或数值而略去的行：{} 行。",
    ),
    ("Could not start the pivot: {}", "无法开始转换：{}"),
    ("pivot of {}: {} by {}", "{0} 的转换：按 {2} 展开 {1}"),
    ("The page could not be read.", "无法读取这一页。"),
    ("Rows on the server:", "服务器上的行："),
    ("Browse every row", "浏览所有行"),
    (
        "Read the table from the server 1,000 rows at a time, in key order",
        "按键的顺序从服务器读取这个表，每次 1,000 行",
    ),
    ("Previous page", "上一页"),
    ("Next page", "下一页"),
    (
        "page {}: rows {}–{}, ordered by {}",
        "第 {0} 页：第 {1}–{2} 行，按 {3} 排序",
    ),
    ("Show the rows held", "显示已保留的行"),
];
