//! Table columns in, table columns out: a dataset's columns planned as a
//! V2 model's input tensors, sent in batches, and the answers turned back
//! into columns.

use super::*;

/// One model input, built from table columns for all rows.
pub(super) struct PlannedInput {
    name: String,
    datatype: String,
    /// Values per row (the mapped columns).
    width: usize,
    /// `[rows]` rather than `[rows, width]`.
    rank1: bool,
    data: TensorData,
}

pub(super) fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" => Some(true),
        "no" | "n" | "false" | "f" => Some(false),
        _ => None,
    }
}

pub(super) fn cell(column: &Column, row: usize, message: impl fmt::Display) -> String {
    format!("column '{}', row {}: {message}", column.name, row + 1)
}

pub(super) fn float_at(column: &Column, row: usize) -> Result<f64, String> {
    if !column.is_valid(row) {
        return Ok(f64::NAN);
    }
    match &column.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            if let Some(b) = yes_no(s) {
                Ok(f64::from(u8::from(b)))
            } else {
                s.trim().parse::<f64>().map_err(|_| {
                    cell(
                        column,
                        row,
                        format!(
                            "'{s}' is not a number or yes/no; map a numeric column or encode the categories first"
                        ),
                    )
                })
            }
        }
        _ => Ok(column.f64_at(row).unwrap_or(f64::NAN)),
    }
}

pub(super) fn int_at(
    column: &Column,
    row: usize,
    datatype: &str,
    min: i64,
    max: i64,
) -> Result<i64, String> {
    if !column.is_valid(row) {
        return Err(cell(
            column,
            row,
            format!(
                "the value is missing and {datatype} has no missing value; fill or drop the missing rows, or map another column"
            ),
        ));
    }
    let value = match &column.values {
        ColumnValues::Integer(v) => v.get(row).copied(),
        ColumnValues::Bool(v) => v.get(row).map(|b| i64::from(*b)),
        ColumnValues::Timestamp(v) => v.get(row).map(|t| t.div_euclid(MICROS_PER_SECOND)),
        ColumnValues::Float(v) => match v.get(row).copied() {
            Some(x) if x.is_nan() => {
                return Err(cell(
                    column,
                    row,
                    format!(
                        "the value is missing and {datatype} has no missing value; fill or drop the missing rows, or map another column"
                    ),
                ));
            }
            Some(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(x as i64),
            Some(x) => {
                return Err(cell(
                    column,
                    row,
                    format!("{x} is not a whole number, which {datatype} needs"),
                ));
            }
            None => None,
        },
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            match yes_no(s) {
                Some(b) => Some(i64::from(b)),
                None => Some(s.trim().parse::<i64>().map_err(|_| {
                    cell(
                        column,
                        row,
                        format!("'{s}' is not a whole number or yes/no, which {datatype} needs"),
                    )
                })?),
            }
        }
    };
    let value = value.ok_or_else(|| cell(column, row, "the row does not exist"))?;
    if value < min || value > max {
        return Err(cell(
            column,
            row,
            format!("{value} is outside the range of {datatype} ({min} to {max})"),
        ));
    }
    Ok(value)
}

pub(super) fn bool_at(column: &Column, row: usize) -> Result<bool, String> {
    if !column.is_valid(row) {
        return Err(cell(
            column,
            row,
            "the value is missing and BOOL has no missing value; fill or drop the missing rows",
        ));
    }
    let not_bool = |shown: String| cell(column, row, format!("{shown} is not true/false or 0/1"));
    match &column.values {
        ColumnValues::Bool(v) => v.get(row).copied().ok_or_else(|| not_bool("?".to_owned())),
        ColumnValues::Integer(_) | ColumnValues::Float(_) => match column.f64_at(row) {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            Some(x) => Err(not_bool(x.to_string())),
            None => Err(not_bool("a missing value".to_owned())),
        },
        ColumnValues::Timestamp(_) => Err(not_bool("a timestamp".to_owned())),
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            match (yes_no(s), s.trim()) {
                (Some(b), _) => Ok(b),
                (None, "1") => Ok(true),
                (None, "0") => Ok(false),
                _ => Err(not_bool(format!("'{s}'"))),
            }
        }
    }
}

/// The cell as text; a missing value is the empty string.
pub(super) fn text_at(column: &Column, row: usize) -> String {
    if !column.is_valid(row) {
        return String::new();
    }
    match &column.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            column.str_at(row).unwrap_or_default().to_owned()
        }
        ColumnValues::Integer(v) => v.get(row).map(i64::to_string).unwrap_or_default(),
        ColumnValues::Float(v) => v.get(row).map(f64::to_string).unwrap_or_default(),
        ColumnValues::Bool(v) => v.get(row).map(bool::to_string).unwrap_or_default(),
        ColumnValues::Timestamp(v) => v
            .get(row)
            .map(|&t| {
                jiff::Timestamp::from_microsecond(t)
                    .map_or_else(|_| t.to_string(), |ts| ts.to_string())
            })
            .unwrap_or_default(),
    }
}

pub(super) fn plan_input(
    model: &str,
    meta: &TensorMeta,
    columns: &[&Column],
    rows: usize,
) -> Result<PlannedInput, RemoteError> {
    let err = |message: String| RemoteError::Input {
        model: model.to_owned(),
        tensor: meta.name.clone(),
        message,
    };
    let width = columns.len();
    if width == 0 {
        return Err(err(
            "no columns are mapped to it; map at least one".to_owned()
        ));
    }
    let rank1 = match meta.shape.as_slice() {
        [_] if width == 1 => true,
        [_] => {
            return Err(err(format!(
                "it takes one value per row (shape {}) but {width} columns are mapped; map one column",
                shape_text(&meta.shape)
            )));
        }
        [_, per_row] if *per_row > 0 && *per_row as usize != width => {
            return Err(err(format!(
                "it takes {per_row} values per row (shape {}) but {width} columns are mapped",
                shape_text(&meta.shape)
            )));
        }
        [_, _] => false,
        other => {
            return Err(err(format!(
                "its shape {} cannot be filled from table rows; only [rows] and [rows, values] can",
                shape_text(other)
            )));
        }
    };
    let Some(kind) = data_kind(&meta.datatype) else {
        return Err(err(format!(
            "the model asks for datatype '{}', which cityops cannot build from table columns",
            meta.datatype
        )));
    };
    let cells = || (0..rows).flat_map(|r| columns.iter().map(move |c| (*c, r)));
    let data = match kind {
        DataKind::Float => TensorData::floats(
            cells()
                .map(|(c, r)| float_at(c, r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?,
        ),
        DataKind::Int { min, max } => TensorData::ints(
            cells()
                .map(|(c, r)| int_at(c, r, &meta.datatype, min, max))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?,
        ),
        DataKind::Bool => TensorData::bools(
            cells()
                .map(|(c, r)| bool_at(c, r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?,
        ),
        DataKind::Bytes => TensorData::strings(cells().map(|(c, r)| text_at(c, r))),
    };
    Ok(PlannedInput {
        name: meta.name.clone(),
        datatype: meta.datatype.clone(),
        width,
        rank1,
        data,
    })
}

/// Resolves the mapping (or, when empty, columns named like the inputs)
/// and converts every input for all rows, so bad cells are found before
/// anything is sent.
pub(super) fn plan_inputs(
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
) -> Result<Vec<PlannedInput>, RemoteError> {
    if meta.inputs.is_empty() {
        return Err(RemoteError::NoInputs {
            model: model.to_owned(),
        });
    }
    let rows = table.n_rows();
    let input_err = |tensor: &str, message: String| RemoteError::Input {
        model: model.to_owned(),
        tensor: tensor.to_owned(),
        message,
    };
    if mapping.is_empty() {
        let missing: Vec<String> = meta
            .inputs
            .iter()
            .filter(|i| table.column(&i.name).is_none())
            .map(|i| format!("'{}'", i.name))
            .collect();
        if !missing.is_empty() {
            let available: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("'{}'", c.name))
                .collect();
            return Err(RemoteError::MissingColumns {
                model: model.to_owned(),
                missing: missing.join(", "),
                available: if available.is_empty() {
                    "no columns".to_owned()
                } else {
                    available.join(", ")
                },
            });
        }
        return meta
            .inputs
            .iter()
            .map(|i| {
                let columns: Vec<&Column> = table.column(&i.name).into_iter().collect();
                plan_input(model, i, &columns, rows)
            })
            .collect();
    }
    let names: Vec<String> = meta
        .inputs
        .iter()
        .map(|i| format!("'{}'", i.name))
        .collect();
    let mut planned = Vec::with_capacity(mapping.len());
    for (i, (tensor, column_names)) in mapping.iter().enumerate() {
        if mapping.iter().take(i).any(|(t, _)| t == tensor) {
            return Err(input_err(tensor, "it is mapped twice".to_owned()));
        }
        let Some(tensor_meta) = meta.inputs.iter().find(|m| &m.name == tensor) else {
            return Err(input_err(
                tensor,
                format!(
                    "the model has no such input (it has {}); fix the mapping",
                    names.join(", ")
                ),
            ));
        };
        let columns = column_names
            .iter()
            .map(|name| {
                table.column(name).ok_or_else(|| {
                    input_err(
                        tensor,
                        format!("the table has no column '{name}'; fix the mapping"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        planned.push(plan_input(model, tensor_meta, &columns, rows)?);
    }
    if let Some(unmapped) = meta
        .inputs
        .iter()
        .find(|m| !mapping.iter().any(|(t, _)| t == &m.name))
    {
        return Err(input_err(
            &unmapped.name,
            "no columns are mapped to it; the model needs every input".to_owned(),
        ));
    }
    Ok(planned)
}

/// One output's values, gathered over the batches.
pub(super) struct OutputColumns {
    name: String,
    datatype: String,
    /// Values per row; 1 means one column named like the output.
    width: usize,
    values: OutputValues,
}

pub(super) enum OutputValues {
    /// `[column][row]`.
    Float(Vec<Vec<f64>>),
    Text(Vec<Vec<String>>),
}

impl OutputColumns {
    pub(super) fn new(name: &str, datatype: &str, width: usize) -> Self {
        let values = if datatype.eq_ignore_ascii_case("BYTES") {
            OutputValues::Text(vec![Vec::new(); width])
        } else {
            OutputValues::Float(vec![Vec::new(); width])
        };
        Self {
            name: name.to_owned(),
            datatype: datatype.to_ascii_uppercase(),
            width,
            values,
        }
    }

    /// Appends a batch of `rows` rows; the error names the field and what is wrong.
    pub(super) fn add(&mut self, t: &InferTensor, at: &str, rows: usize) -> Result<(), Bad> {
        let shape_err = |message: String| bad(format!("{at}.shape"), message);
        match t.shape.first() {
            Some(&n) if n == rows as i64 => {}
            _ => {
                return Err(shape_err(format!(
                    "is {} but the batch has {rows} rows",
                    shape_text(&t.shape)
                )));
            }
        }
        let width = t.shape.get(1..).and_then(element_count).unwrap_or(0);
        if width != self.width {
            return Err(shape_err(format!(
                "is {}, with {width} values per row where an earlier batch had {}",
                shape_text(&t.shape),
                self.width
            )));
        }
        if !t.datatype.eq_ignore_ascii_case(&self.datatype) {
            return Err(bad(
                format!("{at}.datatype"),
                format!(
                    "is {} where an earlier batch had {}",
                    t.datatype, self.datatype
                ),
            ));
        }
        match (&mut self.values, &t.data) {
            (OutputValues::Text(cols), TensorData::Bytes(v)) => {
                for (j, col) in cols.iter_mut().enumerate() {
                    col.extend(
                        v.iter()
                            .skip(j)
                            .step_by(width.max(1))
                            .map(|s| s.clone().unwrap_or_default()),
                    );
                }
            }
            (OutputValues::Float(cols), data) => {
                let Some(as_f64) = data.to_f64s() else {
                    return Err(bad(
                        format!("{at}.data"),
                        "has strings for a numeric tensor",
                    ));
                };
                for (j, col) in cols.iter_mut().enumerate() {
                    col.extend(as_f64.iter().skip(j).step_by(width.max(1)).copied());
                }
            }
            (OutputValues::Text(_), _) => {
                return Err(bad(format!("{at}.data"), "has numbers for a BYTES tensor"));
            }
        }
        Ok(())
    }

    pub(super) fn into_columns(self) -> Vec<Column> {
        let name_of = |j: usize| {
            if self.width == 1 {
                self.name.clone()
            } else {
                format!("{}_{j}", self.name)
            }
        };
        match self.values {
            OutputValues::Float(cols) => cols
                .into_iter()
                .enumerate()
                .map(|(j, v)| Column::from_f64(name_of(j), v))
                .collect(),
            OutputValues::Text(cols) => cols
                .into_iter()
                .enumerate()
                .map(|(j, v)| Column::text(name_of(j), &v))
                .collect(),
        }
    }
}

/// Empty columns for the outputs the metadata promises (for an empty table);
/// an output claiming more than [`MAX_OUTPUT_COLUMNS`] values per row is an
/// error naming it.
pub(super) fn empty_outputs(meta: &ModelMetadata, outputs: &[String]) -> Result<Vec<Column>, Bad> {
    let wanted: Vec<&TensorMeta> = if outputs.is_empty() {
        meta.outputs.iter().collect()
    } else {
        meta.outputs
            .iter()
            .filter(|o| outputs.contains(&o.name))
            .collect()
    };
    let mut columns = Vec::new();
    for (i, o) in wanted.into_iter().enumerate() {
        let width = o.shape.get(1..).and_then(element_count).unwrap_or(1);
        if width > MAX_OUTPUT_COLUMNS {
            return Err(bad(
                format!("outputs[{i}].shape"),
                format!(
                    "is {}, {width} values per row; at most {MAX_OUTPUT_COLUMNS} are turned into columns",
                    shape_text(&o.shape)
                ),
            ));
        }
        columns.extend(OutputColumns::new(&o.name, &o.datatype, width).into_columns());
    }
    Ok(columns)
}

/// Sends `table` to `model` in batches of `batch_rows` rows and returns its
/// outputs as columns, with the total time spent waiting for the server.
///
/// `mapping` lists, per model input, the columns stacked into its
/// `[rows, k]` tensor (`[rows]` for one column when the model's input has
/// rank 1), converted to the datatype the metadata asks for: booleans and
/// yes/no become 1/0, categorical and text columns go to BYTES, a missing
/// value is NaN in a float input and an error in an integer or boolean one.
/// An empty `mapping` sends each input the column of the same name. An
/// output of shape `[rows, k]` becomes columns `NAME_0` … `NAME_{k-1}`,
/// `[rows]` or `[rows, 1]` one column `NAME`; BYTES outputs are text
/// columns, all others float. Progress is reported and cancel honoured
/// between batches.
#[allow(clippy::too_many_arguments)]
pub async fn infer_table(
    client: &V2Client,
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
    outputs: &[String],
    batch_rows: usize,
    progress: &dyn Progress,
) -> Result<(Vec<Column>, Duration), RemoteError> {
    let inputs = plan_inputs(model, meta, table, mapping)?;
    let rows = table.n_rows();
    let url = client.http.url(&["v2", "models", model, "infer"])?;
    if rows == 0 {
        let columns = empty_outputs(meta, outputs).map_err(|b| client.http.protocol(&url, b))?;
        return Ok((columns, Duration::ZERO));
    }
    let batch_rows = batch_rows.max(1);
    let mut gathered: Vec<OutputColumns> = Vec::new();
    let mut latency = Duration::ZERO;
    let mut done = 0;
    progress.report(0.0, &format!("Sending {rows} rows to {model}"));
    while done < rows {
        if progress.is_cancelled() {
            return Err(RemoteError::Cancelled {
                model: model.to_owned(),
                rows_done: done,
                rows,
            });
        }
        let end = (done + batch_rows).min(rows);
        let n = end - done;
        let tensors: Vec<InferTensor> = inputs
            .iter()
            .map(|p| InferTensor {
                name: p.name.clone(),
                shape: if p.rank1 {
                    vec![n as i64]
                } else {
                    vec![n as i64, p.width as i64]
                },
                datatype: p.datatype.clone(),
                data: p.data.slice(done * p.width..end * p.width),
            })
            .collect();
        let started = Instant::now();
        let answer = client.infer(model, tensors, outputs).await?;
        latency += started.elapsed();
        // The caller's order when it named outputs, else the server's.
        let order: Vec<(usize, &InferTensor)> = if outputs.is_empty() {
            answer.iter().enumerate().collect()
        } else {
            outputs
                .iter()
                .filter_map(|name| answer.iter().enumerate().find(|(_, t)| &t.name == name))
                .collect()
        };
        for (i, t) in order {
            let at = format!("outputs[{i}]");
            let acc = match gathered.iter().position(|g| g.name == t.name) {
                Some(i) => gathered.get_mut(i),
                None if done == 0 => {
                    let width = t.shape.get(1..).and_then(element_count).unwrap_or(0);
                    // The batch has n >= 1 rows, so the values received
                    // bound the width the shape claims.
                    if width > t.data.len().max(1) || width > MAX_OUTPUT_COLUMNS {
                        return Err(client.http.protocol(
                            &url,
                            bad(
                                format!("{at}.shape"),
                                format!(
                                    "is {}, {width} values per row, but the answer holds {} values for {n} rows (and at most {MAX_OUTPUT_COLUMNS} values per row are turned into columns)",
                                    shape_text(&t.shape),
                                    t.data.len()
                                ),
                            ),
                        ));
                    }
                    gathered.push(OutputColumns::new(&t.name, &t.datatype, width));
                    gathered.last_mut()
                }
                None => None,
            };
            let Some(acc) = acc else {
                return Err(client.http.protocol(
                    &url,
                    bad(
                        at,
                        format!("is '{}', which an earlier batch did not have", t.name),
                    ),
                ));
            };
            acc.add(t, &at, n)
                .map_err(|b| client.http.protocol(&url, b))?;
        }
        if let Some(missing) = gathered
            .iter()
            .find(|g| !answer.iter().any(|t| t.name == g.name))
        {
            return Err(client.http.protocol(
                &url,
                bad(
                    "outputs",
                    format!("has no tensor '{}' in this batch", missing.name),
                ),
            ));
        }
        done = end;
        progress.report(
            done as f32 / rows as f32,
            &format!("Sent {done} of {rows} rows to {model}"),
        );
    }
    let columns = gathered
        .into_iter()
        .flat_map(OutputColumns::into_columns)
        .collect();
    Ok((columns, latency))
}

/// Asks a remote recommender for the `top` best items for `user`: item ids
/// with their scores, best first. The user id goes to the model's text
/// (BYTES) input — the one named `user` when there are several — and `top`
/// to an integer input named `top` when the model has one; the answer is
/// read from its text output (`items`) and numeric output (`scores`).
pub async fn recommend(
    client: &V2Client,
    meta: &ModelMetadata,
    user: &str,
    top: usize,
) -> Result<Vec<(String, f64)>, RemoteError> {
    let pick = |list: &[TensorMeta], name: &str, ok: &dyn Fn(&str) -> bool| -> Option<String> {
        list.iter()
            .find(|t| t.name == name && ok(&t.datatype))
            .or_else(|| list.iter().find(|t| ok(&t.datatype)))
            .map(|t| t.name.clone())
    };
    let is_bytes = |d: &str| d == "BYTES";
    let is_number = |d: &str| matches!(data_kind(d), Some(DataKind::Int { .. } | DataKind::Float));
    let Some(user_input) = pick(&meta.inputs, "user", &is_bytes) else {
        return Err(RemoteError::Input {
            model: meta.name.clone(),
            tensor: "user".to_owned(),
            message:
                "the model has no text (BYTES) input to take a user id; it is not a recommender"
                    .to_owned(),
        });
    };
    let mut inputs = vec![InferTensor {
        name: user_input,
        shape: vec![1],
        datatype: "BYTES".to_owned(),
        data: TensorData::strings([user.to_owned()]),
    }];
    if let Some(t) = meta
        .inputs
        .iter()
        .find(|t| t.name == "top" && matches!(data_kind(&t.datatype), Some(DataKind::Int { .. })))
    {
        inputs.push(InferTensor {
            name: t.name.clone(),
            shape: vec![1],
            datatype: t.datatype.clone(),
            data: TensorData::ints([top as i64]),
        });
    }
    let items_name = pick(&meta.outputs, "items", &is_bytes);
    let scores_name = pick(&meta.outputs, "scores", &is_number);
    let answer = client.infer(&meta.name, inputs, &[]).await?;
    let url = client.http.url(&["v2", "models", &meta.name, "infer"])?;
    let find = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| answer.iter().find(|t| &t.name == n))
    };
    let Some(items) = find(&items_name).and_then(|t| t.data.to_strings()) else {
        return Err(client.http.protocol(
            &url,
            bad("outputs", "has no text (BYTES) tensor of item ids"),
        ));
    };
    let scores: Vec<f64> = find(&scores_name)
        .and_then(|t| t.data.to_f64s())
        .unwrap_or_default();
    Ok(items
        .iter()
        .take(top)
        .enumerate()
        .map(|(i, item)| (item.clone(), scores.get(i).copied().unwrap_or(f64::NAN)))
        .collect())
}

/// [`infer_table`] over only the rows where every mapped column (every
/// column named like an input, when `mapping` is empty) has a value —
/// integer and boolean tensors cannot carry a missing one. The outputs are
/// spread back over all rows, missing where a row was not sent; the third
/// value is how many rows were not sent.
#[allow(clippy::too_many_arguments)]
pub async fn infer_complete_rows(
    client: &V2Client,
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
    outputs: &[String],
    batch_rows: usize,
    progress: &dyn Progress,
) -> Result<(Vec<Column>, Duration, usize), RemoteError> {
    let mapped: Vec<&Column> = if mapping.is_empty() {
        meta.inputs
            .iter()
            .filter_map(|t| table.column(&t.name))
            .collect()
    } else {
        mapping
            .iter()
            .flat_map(|(_, cols)| cols.iter().filter_map(|c| table.column(c)))
            .collect()
    };
    let rows = table.n_rows();
    let complete: Vec<usize> = (0..rows)
        .filter(|&r| mapped.iter().all(|c| c.is_valid(r)))
        .collect();
    let skipped = rows - complete.len();
    if skipped == 0 {
        let (cols, latency) = infer_table(
            client, model, meta, table, mapping, outputs, batch_rows, progress,
        )
        .await?;
        return Ok((cols, latency, 0));
    }
    let sent = table.take_rows(&complete);
    let (cols, latency) = infer_table(
        client, model, meta, &sent, mapping, outputs, batch_rows, progress,
    )
    .await?;
    let spread = cols.iter().map(|c| c.take(&complete, Some(rows))).collect();
    Ok((spread, latency, skipped))
}
