//! The workspace file: a tagged, versioned JSON document holding the
//! serialisable part of [`Workspace`] (open files, view, range, playlist,
//! settings, dashboards), written atomically and read through a bound.

use serde::{Deserialize, Serialize};

use super::state::Workspace;

/// The file a workspace is saved to: a tagged, versioned JSON document.
#[derive(Serialize, Deserialize)]
struct WorkspaceFile {
    format: String,
    version: u32,
    workspace: Workspace,
}

const WORKSPACE_FORMAT: &str = "cityops-workspace";
/// Version 2 added dashboards; version 1 files open (without them).
const WORKSPACE_VERSION: u32 = 2;
/// Largest workspace file read, in bytes (a saved workspace is a few KB).
const MAX_WORKSPACE_BYTES: u64 = 64 << 20;

/// Saves a workspace (as serialised by serde, sources recorded) to `path`
/// atomically.
pub fn save_workspace_file(ws: serde_json::Value, path: &std::path::Path) -> Result<(), String> {
    let doc = serde_json::json!({
        "format": WORKSPACE_FORMAT,
        "version": WORKSPACE_VERSION,
        "workspace": ws,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    crate::data::csv_write::write_file_atomically(path, text.as_bytes()).map_err(|e| {
        crate::trf!(
            "{}: {}. Check that the folder is writable.",
            path.display(),
            e
        )
    })
}

/// Reads a workspace file; the error names the file, and the line and
/// column for malformed JSON.
pub fn read_workspace_file(path: &std::path::Path) -> Result<Workspace, String> {
    let name = path.display();
    // Only a regular file of a workspace's size: a FIFO or /dev/zero given
    // as a workspace must not block or fill memory.
    let bytes =
        crate::data::file::read_regular(path, MAX_WORKSPACE_BYTES).map_err(|e| e.to_string())?;
    let doc: WorkspaceFile = serde_json::from_slice(&bytes).map_err(|e| {
        crate::trf!(
            "{}:{}:{}: {}. Is it a workspace saved by cityops?",
            name,
            e.line(),
            e.column(),
            e
        )
    })?;
    if doc.format != WORKSPACE_FORMAT {
        return Err(crate::trf!(
            "{}: not a cityops workspace (its format is '{}')",
            name,
            doc.format
        ));
    }
    if doc.version > WORKSPACE_VERSION {
        return Err(crate::trf!(
            "{}: saved by a newer cityops (workspace version {}; this one reads {}). Update cityops.",
            name,
            doc.version,
            WORKSPACE_VERSION
        ));
    }
    Ok(doc.workspace)
}
