//! The Open URL… menu: the address of a file or of a portal's API, a
//! `postgres://` database — a table picked from the server's own list (read
//! in the background) or a query, and a password kept in memory only — or
//! an `mqtt://` feed. It sends commands; it opens nothing itself.

use std::path::PathBuf;

use super::Background;
use crate::app::i18n::tr;
use crate::app::state::Command;
use crate::app::theme;
use crate::sources::postgres::{self, TableInfo};

/// What the operator has typed into Open URL….
#[derive(Default)]
pub struct OpenUrl {
    pub url: String,
    /// Keep the rows of an API fetch stopped half-way.
    pub keep_partial: bool,
    db_table: String,
    db_sql: String,
    db_password: String,
    /// How many times the tables were asked for (a new ask reads again).
    listing: u64,
    tables: Background<(String, u64), Result<Vec<TableInfo>, String>>,
}

impl OpenUrl {
    pub fn ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.label(tr(
            "The https address of a CSV, JSON, GeoJSON or Parquet file, of a Socrata, CKAN or ArcGIS API (fetched page by page), or a postgres:// database:",
        ));
        let r = ui.add(
            egui::TextEdit::singleline(&mut self.url)
                .desired_width(420.0)
                .hint_text("https://data.example.gov/resource/abcd-1234.csv"),
        );
        super::name_for_screen_readers(&r, egui::Role::TextInput, tr("Data URL"));
        let url = self.url.trim().to_owned();
        if postgres::is_postgres(&url) {
            self.database_ui(ui, &url, cmds);
            return;
        }
        if crate::sources::mqtt::is_mqtt(&url) {
            ui.label(tr(
                "An MQTT feed: JSON readings on these topics are charted as they arrive (the newest 100,000 kept).",
            ));
            let parsed = crate::sources::mqtt::Address::parse(&url);
            if let Err(e) = &parsed {
                ui.colored_label(theme::BAD, e.clone());
            }
            if ui
                .add_enabled(parsed.is_ok(), egui::Button::new(tr("Follow this feed")))
                .clicked()
            {
                cmds.push(Command::OpenFeed(url));
                ui.close();
            }
            return;
        }
        ui.checkbox(
            &mut self.keep_partial,
            tr("Keep the rows fetched if paging stops half-way (the dataset says it is partial)"),
        );
        let ok = crate::sources::is_url(&url);
        if ui
            .add_enabled(ok, egui::Button::new(tr("Open this URL")))
            .clicked()
        {
            cmds.push(Command::OpenPaths(vec![PathBuf::from(url)]));
            ui.close();
        }
    }

    /// A table (typed, or picked from the server's list) or a query, and
    /// the password (remembered in memory for the charts' connections).
    fn database_ui(&mut self, ui: &mut egui::Ui, url: &str, cmds: &mut Vec<Command>) {
        ui.label(tr(
            "A PostgreSQL table is charted by the database itself; only its first rows are held here.",
        ));
        let r = ui.add(
            egui::TextEdit::singleline(&mut self.db_password)
                .password(true)
                .desired_width(220.0)
                .hint_text(tr("password (not saved)")),
        );
        super::name_for_screen_readers(&r, egui::Role::PasswordInput, tr("Database password"));
        let address = postgres::Address::parse(url);
        if let Err(e) = &address {
            ui.colored_label(theme::BAD, e.message.clone());
        }
        let shown = address.as_ref().map(|a| a.shown.clone()).ok();
        ui.horizontal(|ui| {
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.db_table)
                    .desired_width(300.0)
                    .hint_text("public.readings"),
            );
            super::name_for_screen_readers(&r, egui::Role::TextInput, tr("Table"));
            if ui
                .add_enabled(shown.is_some(), egui::Button::new(tr("List tables")))
                .on_hover_text(tr(
                    "Ask the server which tables and views this user may read",
                ))
                .clicked()
                && let Some(shown) = &shown
            {
                self.remember_password(shown);
                self.listing += 1;
            }
        });
        if let Some(shown) = &shown
            && self.listing > 0
        {
            let key = (shown.clone(), self.listing);
            let target = shown.clone();
            self.tables.ensure(ui.ctx(), &key, move || {
                move |p: &crate::jobs::JobProgress| {
                    postgres::list_tables(&target, p).map_err(|e| e.to_string())
                }
            });
            super::background::updating_ui(ui, self.tables.is_busy());
            match self.tables.value().as_deref() {
                Some(Ok(tables)) if tables.is_empty() => {
                    ui.label(tr("The server has no tables this user may read."));
                }
                Some(Ok(tables)) => {
                    egui::ScrollArea::vertical()
                        .max_height(180.0)
                        .id_salt("server_tables")
                        .show(ui, |ui| {
                            for t in tables {
                                let rows = t.rows_estimate.map_or_else(String::new, |n| {
                                    crate::trf!(
                                        " · about {} rows",
                                        crate::app::i18n::count(n as usize)
                                    )
                                });
                                let label = format!("{} ({}{rows})", t.name, t.kind);
                                if ui
                                    .selectable_label(self.db_table == t.name, label)
                                    .clicked()
                                {
                                    self.db_table = t.name.clone();
                                }
                            }
                        });
                }
                Some(Err(e)) => {
                    ui.colored_label(theme::BAD, e);
                }
                None => {}
            }
        }
        let r = ui.add(
            egui::TextEdit::multiline(&mut self.db_sql)
                .desired_rows(2)
                .desired_width(420.0)
                .hint_text(tr("or a query: SELECT … FROM …")),
        );
        super::name_for_screen_readers(&r, egui::Role::TextInput, tr("SQL query"));
        let table = self.db_table.trim().to_owned();
        let sql = self.db_sql.trim().to_owned();
        let ready = shown.is_some() && (!table.is_empty() || !sql.is_empty());
        if ui
            .add_enabled(ready, egui::Button::new(tr("Open this table")))
            .clicked()
            && let Some(shown) = shown
        {
            self.remember_password(&shown);
            cmds.push(Command::OpenDatabase(crate::data::DatabaseSource {
                url: shown,
                table: (!table.is_empty()).then_some(table.clone()),
                sql: (table.is_empty() && !sql.is_empty()).then_some(sql),
            }));
            ui.close();
        }
    }

    /// Keeps a typed password in memory for `shown` and clears the box.
    fn remember_password(&mut self, shown: &str) {
        if !self.db_password.is_empty() {
            postgres::remember_password(shown, &self.db_password);
            self.db_password.clear();
        }
    }
}
