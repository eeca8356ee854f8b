//! Simplified Chinese for the models part of the dashboard (see `super`).

pub(super) const ENTRIES: &[(&str, &str)] = &[
    // What each local model is.
    ("unknown", "未知"),
    (
        "{} '{}' · {}: {} vs baseline {} · trained on {} ({} rows, sha256 {}…) · {}",
        "{}“{}” · {}：{}（基线 {}）· 训练数据 {}（{} 行，sha256 {}…）· {}",
    ),
    (
        "{} over {} residents × {} services ({} interactions) · {}",
        "{}，{} 位居民 × {} 项服务（{} 次交互）· {}",
    ),
    (
        "word vectors: {} words × {} dimensions · {}",
        "词向量：{} 个词 × {} 维 · {}",
    ),
    ("incomplete: no {}", "不完整：缺少 {}"),
    ("config.json cannot be read", "无法读取 config.json"),
    (
        "{} encoder, {} layers, {} dimensions (Reports view: Sentence encoder; served at /v1/embeddings)",
        "{} 编码器，{} 层，{} 维（用于“市民反映”视图的“句向量模型”；服务地址 /v1/embeddings）",
    ),
    // Local models folder.
    ("Models folder: {}", "模型文件夹：{}"),
    ("Import model…", "导入模型…"),
    (
        "Copy a model card and its weights into the models folder",
        "将模型卡片及其权重复制到模型文件夹",
    ),
    ("Import a cityops model card", "导入 cityops 模型卡片"),
    ("Model cards", "模型卡片"),
    (
        "No file was chosen (or no file dialog is available: use cityops fetch or copy the files into the models folder).",
        "未选择文件（或无法打开文件对话框：请使用 cityops fetch，或将文件复制到模型文件夹）。",
    ),
    ("Rescan", "重新扫描"),
    (
        "No models in this folder yet: train one in the Predict view, or download or import one.",
        "此文件夹中还没有模型：可在“预测”视图中训练，或下载、导入模型。",
    ),
    ("Really remove {}", "确认移除 {}"),
    ("Keep", "保留"),
    ("Remove {}", "移除 {}"),
    ("Removed {}", "已移除 {}"),
    // Downloads.
    ("Download a model", "下载模型"),
    ("Model URL", "模型 URL"),
    ("sha256 (optional)", "sha256（可选）"),
    ("Expected sha256", "预期 sha256"),
    ("folder name (encoder)", "文件夹名称（编码器）"),
    (
        "For a sentence encoder published as a folder: the URL is the folder's base, and it is saved under this name",
        "用于以文件夹形式发布的句向量模型：URL 为该文件夹的基础地址，下载后以此名称保存",
    ),
    ("Save as folder", "保存为文件夹"),
    ("Download", "下载"),
    ("Downloaded and verified {}", "已下载并校验 {}"),
    (
        "Downloaded {} — no checksum was available: compare it with the publisher's",
        "已下载 {}，但没有可用的校验和：请与发布方提供的校验和核对",
    ),
    ("Cancel download", "取消下载"),
    // Remote inference servers.
    (
        "Remote inference servers (Open Inference Protocol V2: KServe, Triton, MLServer, cityops serve)",
        "远程推理服务器（Open Inference Protocol V2：KServe、Triton、MLServer、cityops serve）",
    ),
    ("Server URL", "服务器 URL"),
    ("Server token", "服务器令牌"),
    ("Connect", "连接"),
    ("● not reachable: {}", "● 无法连接：{}"),
    ("● live and ready", "● 在线，已就绪"),
    ("● live, not ready", "● 在线，未就绪"),
    ("● not live", "● 离线"),
    ("output {} · {} · {}", "输出 {} · {} · {}"),
    ("Deploy {} to the server", "将 {} 部署到服务器"),
    (
        "Upload this model to the server given under Remote inference servers (with its token): the server checks it and serves it at once",
        "将此模型上传到“远程推理服务器”中填写的服务器（需其令牌）：服务器检查后立即提供服务",
    ),
    (
        "Enter the server's URL and token under Remote inference servers first",
        "请先在“远程推理服务器”中填写服务器网址和令牌",
    ),
    (
        "Deployed {} to {}: the server says {}",
        "已将 {} 部署到 {}：服务器返回 {}",
    ),
    ("Deploying…", "正在部署…"),
];
