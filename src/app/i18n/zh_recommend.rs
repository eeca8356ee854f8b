//! Simplified Chinese for the recommend part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // Heading and the data.
    (
        "No service-use data is open: open a table of residents and the services they used, or load the demo city.",
        "尚未打开服务使用数据：请打开记录居民及其所用服务的数据表，或加载示例城市。",
    ),
    ("Recommendations — {}", "服务推荐 — {}"),
    (
        "{} residents, {} services, {} interactions ({}) · columns: {} × {}",
        "{} 位居民，{} 项服务，{} 条交互（{}）· 列：{} × {}",
    ),
    ("ratings", "评分"),
    ("usage", "使用记录"),
    // Residents and their recommendations.
    ("Resident", "居民"),
    ("search by id", "按编号搜索"),
    ("Search residents", "搜索居民"),
    ("Method:", "方法："),
    ("Similar services (item CF)", "相似服务（基于服务的 CF）"),
    ("Similar residents (user CF)", "相似居民（基于居民的 CF）"),
    ("Most used", "最常用"),
    ("{} on {} (remote)", "{1} 上的 {0}（远程）"),
    (
        "A recommender served by a server connected in the Models view",
        "由“模型”视图中已连接的服务器提供的推荐器",
    ),
    ("{} has used: {}", "{} 使用过：{}"),
    ("Top {} services for {}", "为 {1} 推荐的前 {0} 项服务"),
    ("popular with many residents", "深受众多居民欢迎"),
    ("because you used {}", "因为您使用过 {}"),
    ("used by similar residents {}", "相似居民 {} 也在使用"),
    // Similar services.
    ("Services similar to", "相似服务，参照："),
    ("Similar to service", "参照服务"),
    // Evaluation.
    ("No evaluation: {}", "无评估结果：{}"),
    ("random", "随机"),
    (
        "Evaluation: top {} on a {} holdout, {} residents",
        "评估：前 {} 项推荐，{}留出集，{} 位居民",
    ),
    ("Method", "方法"),
    ("Precision@k", "精确率@k"),
    ("Recall@k", "召回率@k"),
    ("Coverage", "覆盖率"),
    (
        "Item CF beats popularity on NDCG@{} ({:.3} vs {:.3}).",
        "基于服务的 CF 在 NDCG@{} 上优于热门度基线（{:.3} 对 {:.3}）。",
    ),
    (
        "Item CF does not beat popularity on NDCG@{} ({:.3} vs {:.3}).",
        "基于服务的 CF 在 NDCG@{} 上未优于热门度基线（{:.3} 对 {:.3}）。",
    ),
    ("Precision at k", "前 k 项精确率"),
    // Most used services.
    ("Most used services", "最常用服务"),
    ("residents", "居民数"),
    // Saving and remote recommenders.
    (
        "Save the item-CF recommender as {}/",
        "将基于服务的 CF 推荐器保存为 {}/",
    ),
    ("Recommender name", "推荐器名称"),
    ("Save recommender", "保存推荐器"),
    ("Saved {}", "已保存 {}"),
    ("Asking {}…", "正在请求 {}…"),
    (
        "From {} on {}; a remote model sends scores, not the reasons — choose a local method to see them.",
        "来自 {1} 上的 {0}；远程模型只返回分数，不含推荐理由——选择本地方法即可查看理由。",
    ),
];
