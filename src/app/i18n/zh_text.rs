//! Simplified Chinese for the text part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // Where the vectors came from and how reports are encoded.
    ("trained on {}", "基于 {} 训练"),
    ("loaded from {}", "加载自 {}"),
    ("remote embeddings '{}' at {}", "{1} 上的远程嵌入模型“{0}”"),
    (
        "word vectors ({} words × {} dimensions)",
        "词向量（{} 个词 × {} 维）",
    ),
    (
        "the sentence encoder {} ({} layers, {} dimensions)",
        "句向量模型 {}（{} 层，{} 维）",
    ),
    // Background analysis: progress and errors.
    ("no column '{}'", "没有列“{}”"),
    ("Document vectors", "正在计算文档向量"),
    (
        "no word vectors and no embeddings endpoint",
        "既没有词向量，也没有嵌入服务端点",
    ),
    ("No department router: {}", "没有部门分派模型：{}"),
    // Choosing how reports become vectors.
    (
        "No citizen-report data is open: open a table with a text column and a department, or load the demo city.",
        "尚未打开市民反映数据：请打开含文本列和部门列的数据表，或加载示例城市。",
    ),
    ("Reports become vectors with", "反映转为向量的方式："),
    ("Word vectors", "词向量"),
    ("Sentence encoder", "句向量模型"),
    ("Remote embeddings", "远程嵌入"),
    (
        "Train word vectors on the reports (a few seconds for the demo), on a text file, or load a word2vec file to analyse reports.",
        "请用反映数据（示例数据只需几秒）或文本文件训练词向量，或加载 word2vec 文件，以分析市民反映。",
    ),
    (
        "Choose a sentence-encoder folder (config.json, tokenizer.json, model.safetensors — all-MiniLM-L6-v2, for example) and encode the reports; it runs on this computer.",
        "请选择句向量模型文件夹（含 config.json、tokenizer.json、model.safetensors，例如 all-MiniLM-L6-v2）并对反映进行编码；编码在本机运行。",
    ),
    (
        "Give the address and model name of an OpenAI-compatible embeddings endpoint and embed the reports there.",
        "请填写兼容 OpenAI 的嵌入服务端点地址和模型名称，由该服务对反映进行嵌入。",
    ),
    (
        "Reports encoded with {}, {}, {:.0} words/s",
        "反映编码方式：{}，{}，{:.0} 词/秒",
    ),
    ("Reports encoded with {}, {}", "反映编码方式：{}，{}"),
    // Word-vector form.
    ("Word vectors from {} column", "词向量训练数据：{} 的列"),
    ("Text column", "文本列"),
    ("dimensions", "维数"),
    ("Dimensions", "维数"),
    ("epochs", "训练轮数"),
    ("Epochs", "训练轮数"),
    ("min count", "最低词频"),
    ("Min count", "最低词频"),
    ("Train word vectors", "训练词向量"),
    ("load at most", "最多加载"),
    ("all", "全部"),
    (
        "Keep only the most frequent words of a huge word2vec file (0: all)",
        "对很大的 word2vec 文件只保留最常见的词（0：全部）",
    ),
    ("Words to load", "加载词数"),
    ("Train on a text file…", "用文本文件训练…"),
    (
        "A plain-text corpus, one document per line (UTF-8)",
        "纯文本语料，每行一篇文档（UTF-8）",
    ),
    ("Load word vectors…", "加载词向量…"),
    (
        "A cityops bundle (.json) or a word2vec text (.txt, .vec) or binary (.bin) file",
        "cityops 模型包（.json），或 word2vec 文本文件（.txt、.vec）或二进制文件（.bin）",
    ),
    ("Open a text corpus", "打开文本语料"),
    ("Text", "文本"),
    ("Open word vectors", "打开词向量"),
    // Sentence-encoder form.
    ("Choose a sentence-encoder folder", "选择句向量模型文件夹"),
    (
        "folder with config.json, tokenizer.json, model.safetensors",
        "含 config.json、tokenizer.json、model.safetensors 的文件夹",
    ),
    ("Sentence encoder folder", "句向量模型文件夹"),
    ("Choose folder…", "选择文件夹…"),
    (
        "An all-MiniLM-L6-v2-style folder in the Hugging Face layout",
        "Hugging Face 目录格式、与 all-MiniLM-L6-v2 同类的模型文件夹",
    ),
    ("Encode reports", "编码反映"),
    (
        "Runs the encoder on every report on this computer (no network); encoded reports are cached",
        "在本机对每条反映运行编码器（不联网）；编码结果会被缓存",
    ),
    // Remote embeddings form.
    (
        "http://127.0.0.1:8080 (OpenAI-compatible)",
        "http://127.0.0.1:8080（兼容 OpenAI）",
    ),
    ("Embeddings URL", "嵌入服务 URL"),
    ("model name", "模型名称"),
    ("Embedding model", "嵌入模型"),
    ("token (optional)", "令牌（可选）"),
    ("Embeddings token", "嵌入服务令牌"),
    ("Embed reports remotely", "远程嵌入反映"),
    (
        "Sends every report's text to the endpoint (POST /v1/embeddings) in batches of 64",
        "将每条反映的文本分批（每批 64 条）发送到端点（POST /v1/embeddings）",
    ),
    // A typed report: department, similar reports, keywords.
    ("A report", "输入一条反映"),
    ("Report text", "反映文本"),
    ("Encoding the report…", "正在编码反映…"),
    ("Department: {} ({:.0} %)", "部门：{}（{:.0} %）"),
    ("alternatives: {}", "其他可能：{}"),
    (
        "router accuracy on held-out reports {:.1} % (majority department {:.1} %)",
        "分派模型在留出反映上的准确率 {:.1} %（多数部门基线 {:.1} %）",
    ),
    ("Keywords: {}", "关键词：{}"),
    ("Similar past reports", "相似的历史反映"),
    // Topics, word explorer and trends.
    (
        "Topics: the reports in {} groups, on the first two principal components of their vectors",
        "主题：反映分为 {} 组，按其向量的前两个主成分分布",
    ),
    ("Word explorer", "词语探索"),
    ("Word", "词语"),
    (
        "The 300 most frequent words on their first two principal components",
        "最常见的 300 个词在前两个主成分上的分布",
    ),
    ("words", "词语"),
    ("selected", "已选"),
    (
        "Trending terms: reports per week mentioning each",
        "热门词：每周提及各词的反映数",
    ),
    ("reports", "条反映"),
    // Keywords per week.
    ("Keywords week by week", "每周关键词"),
    ("Week of", "周起始日"),
    ("Top terms", "主要词语"),
];
