use super::*;

/// Reads the Rust string literal that starts at `s[0] == '"'`; returns its
/// value and the rest after the closing quote.
fn read_literal(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                '0' => out.push('\0'),
                '\n' => {
                    // A line continuation skips the following whitespace.
                    let rest = chars.as_str();
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in 0..rest[..skip].chars().count() {
                        chars.next();
                    }
                }
                'u' => {
                    let rest = chars.as_str();
                    let end = rest.find('}')?;
                    let code = u32::from_str_radix(&rest[1..end], 16).ok()?;
                    out.push(char::from_u32(code)?);
                    for _ in 0..=end {
                        chars.next();
                    }
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

/// Every key the app's sources pass to `tr`, `tr_in` or `trf!`, with where.
fn keys_in_sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut files = vec![];
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("src/app is readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("i18n/tests.rs") {
                files.push(p);
            }
        }
    }
    let mut keys = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source is readable");
        for marker in ["tr(", "trf!(", "tr_in(lang,"] {
            let mut from = 0;
            while let Some(i) = text[from..].find(marker) {
                let at = from + i;
                // `tr(` must not be the end of another name (`attr(`).
                let before = text[..at].chars().next_back();
                let after = &text[at + marker.len()..];
                // The literal may start on the next line (rustfmt).
                let start = at + marker.len() + (after.len() - after.trim_start().len());
                from = at + marker.len();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    || !text[start..].starts_with('"')
                {
                    continue;
                }
                let line = text[..at].lines().count();
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..at].trim_start().starts_with("//") {
                    continue;
                }
                let (key, _) = read_literal(&text[start..])
                    .unwrap_or_else(|| panic!("{}:{line}: unreadable literal", f.display()));
                keys.push((key, format!("{}:{line}", f.display())));
            }
        }
    }
    keys
}

#[test]
fn every_key_has_a_translation() {
    let keys = keys_in_sources();
    assert!(keys.len() > 50, "the scan found only {} keys", keys.len());
    let missing: Vec<String> = keys
        .iter()
        .filter(|(k, _)| !zh_catalog().contains_key(k.as_str()))
        .map(|(k, at)| format!("{at}: {k:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} keys have no Chinese:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

fn placeholders(s: &str) -> Vec<String> {
    let mut v = vec![];
    let mut next = 0;
    let mut rest = s.replace("{{", "").replace("}}", "");
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        let spec = &rest[i + 1..i + j];
        let (idx, prec) = spec.split_once(':').unwrap_or((spec, ""));
        let idx = if idx.is_empty() {
            next += 1;
            next - 1
        } else {
            idx.parse().unwrap_or(usize::MAX)
        };
        v.push(format!("{idx}:{prec}"));
        rest = rest[i + j + 1..].to_owned();
    }
    v.sort();
    v
}

#[test]
fn translations_keep_placeholders_and_agree() {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (en, zh) in catalog_entries() {
        assert_eq!(
            placeholders(en),
            placeholders(zh),
            "placeholders differ: {en:?} → {zh:?}"
        );
        if let Some(other) = seen.insert(en, zh) {
            assert_eq!(other, zh, "two translations of {en:?}");
        }
        assert!(!zh.trim().is_empty(), "empty translation of {en:?}");
    }
}

#[test]
fn fill_handles_order_precision_and_braces() {
    assert_eq!(fill("{} of {}", &[&3, &"ten"]), "3 of ten");
    assert_eq!(fill("{1}的{0}", &[&"a", &"b"]), "b的a");
    assert_eq!(fill("{:.1} km/h", &[&42.26]), "42.3 km/h");
    assert_eq!(fill("{{x}} {}", &[&1]), "{x} 1");
    assert_eq!(fill("{} {}", &[&1]), "1 {}");
    assert_eq!(fill("{0:.2}", &[&1.0]), "1.00");
}

#[test]
fn language_is_per_thread_and_lookups_fall_back() {
    set(Lang::Zh);
    assert_eq!(tr("Overview"), "总览");
    assert_eq!(tr("a text no one translated"), "a text no one translated");
    std::thread::spawn(|| assert_eq!(tr("Overview"), "Overview"))
        .join()
        .expect("thread");
    set(Lang::En);
    assert_eq!(tr("Overview"), "Overview");
    assert_eq!(tr_in(Lang::Zh, "Overview"), "总览");
}

#[test]
fn chinese_dates_read_year_month_day() {
    set(Lang::Zh);
    assert_eq!(format_pattern("%a %b %d", 6), "%-m月%-d日 周六");
    assert_eq!(format_pattern("%Y-%m-%d", 1), "%Y-%m-%d");
    set(Lang::En);
    assert_eq!(format_pattern("%a %b %d", 6), "%a %b %d");
}

#[test]
fn languages_parse_from_locales() {
    assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
    assert_eq!(Lang::parse("en-US"), Some(Lang::En));
    assert_eq!(Lang::parse("fr"), None);
}

#[test]
fn counts_are_grouped_in_threes() {
    assert_eq!(count(0), "0");
    assert_eq!(count(999), "999");
    assert_eq!(count(1000), "1,000");
    assert_eq!(count(26_243_184), "26,243,184");
}

#[test]
fn suggested_chart_titles_read_in_chinese_around_their_column_names() {
    set(Lang::Zh);
    assert_eq!(
        chart_title("speed over time by road"),
        "按road划分的speed随时间变化"
    );
    assert_eq!(chart_title("Rows by BOROUGH"), "按BOROUGH的行数");
    assert_eq!(chart_title("Latest rating"), "最新rating");
    assert_eq!(
        chart_title("Distribution of front seat"),
        "front seat的分布"
    );
    assert_eq!(
        chart_title("drivers killed by law"),
        "按law的drivers killed"
    );
    assert_eq!(chart_title("Rows over time"), "行数随时间变化");
    assert_eq!(chart_title("My own chart"), "My own chart");
    assert_eq!(value_label("mean of speed"), "speed的平均值");
    assert_eq!(value_label("rows"), "行");
    assert_eq!(weekday_label("Sun"), "周日");
    set(Lang::En);
    assert_eq!(chart_title("Rows by BOROUGH"), "Rows by BOROUGH");
}
