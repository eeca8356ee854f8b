//! Where the models folder is, wherever cityops runs.
//!
//! The folder in use is the first of:
//!
//! 1. the folder given on the command line (`--models DIR`, or the
//!    subcommand's own flag: `cityops models --dir`, `cityops fetch --out`);
//! 2. the `CITYOPS_MODELS` environment variable;
//! 3. the dashboard's workspace setting (the dashboard only; a setting of
//!    `models`, the relative default of earlier versions, counts as none);
//! 4. the user's data folder: `$XDG_DATA_HOME/cityops/models`, else
//!    `%LOCALAPPDATA%\cityops\models`, else `~/.local/share/cityops/models`
//!    (`models` in the working directory only when none of those variables
//!    is set).
//!
//! Every path is made absolute against the working directory once, here,
//! so what is shown and saved is the full path.
//!
//! # The shipped models
//!
//! The three models trained on the demo city (the repository's `models/`
//! folder, about 120 kB) are built into the binary. The first time the
//! default folder is used and does not exist yet ([`prepare`]), it is
//! created with them: written into a hidden staging folder beside it,
//! synced, and renamed into place in one step, so a crash leaves no half
//! folder and a folder that exists is never written to. Removing a shipped
//! model therefore lasts; deleting the whole folder brings them back. A
//! folder chosen by flag, variable or setting is never filled.
//!
//! Uses std only; reads the environment, writes only in [`install_shipped`].

use std::io::Write;
use std::path::{Path, PathBuf};

/// The environment variable that names the models folder.
pub const MODELS_ENV: &str = "CITYOPS_MODELS";

/// The relative default of earlier versions; as a saved workspace setting
/// it means "not chosen".
const LEGACY_DEFAULT: &str = "models";

/// The models built into the binary: file name and bytes.
pub const SHIPPED: [(&str, &[u8]); 6] = [
    (
        "aqi_forecast.json",
        include_bytes!("../../models/aqi_forecast.json"),
    ),
    (
        "aqi_forecast.safetensors",
        include_bytes!("../../models/aqi_forecast.safetensors"),
    ),
    (
        "incident_risk.json",
        include_bytes!("../../models/incident_risk.json"),
    ),
    (
        "incident_risk.safetensors",
        include_bytes!("../../models/incident_risk.safetensors"),
    ),
    (
        "traffic_volume_forecast.json",
        include_bytes!("../../models/traffic_volume_forecast.json"),
    ),
    (
        "traffic_volume_forecast.safetensors",
        include_bytes!("../../models/traffic_volume_forecast.safetensors"),
    ),
];

/// Which rule chose the folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    Workspace,
    Default,
}

/// The models folder in use and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelsFolder {
    /// Absolute.
    pub path: PathBuf,
    pub origin: Origin,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot set up the models folder {path}: {message}. Check that its parent folder can be written, or choose another folder with --models DIR or {MODELS_ENV}."
)]
pub struct FolderError {
    pub path: String,
    pub message: String,
}

/// The user's data folder for models, from the environment (see the
/// module doc); relative `models` only when no variable names a home.
pub fn default_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| var("LOCALAPPDATA").map(PathBuf::from))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local").join("share")));
    match base {
        Some(base) => absolute(&base.join("cityops").join("models")),
        None => absolute(Path::new(LEGACY_DEFAULT)),
    }
}

/// Whether a saved workspace setting chooses a folder: an empty one, or
/// the relative `models` of earlier versions, does not.
pub fn is_chosen_setting(setting: &Path) -> bool {
    !setting.as_os_str().is_empty() && setting != Path::new(LEGACY_DEFAULT)
}

/// The models folder by the order in the module doc: `flag`, then
/// `CITYOPS_MODELS`, then the workspace `setting`, then [`default_dir`].
pub fn resolve(flag: Option<&Path>, setting: Option<&Path>) -> ModelsFolder {
    let from_env = std::env::var_os(MODELS_ENV).filter(|v| !v.is_empty());
    let (path, origin) = if let Some(flag) = flag {
        (absolute(flag), Origin::Flag)
    } else if let Some(env) = from_env {
        (absolute(Path::new(&env)), Origin::Environment)
    } else if let Some(setting) = setting.filter(|s| is_chosen_setting(s)) {
        (absolute(setting), Origin::Workspace)
    } else {
        (default_dir(), Origin::Default)
    };
    ModelsFolder { path, origin }
}

/// Makes the folder ready for use: the default folder gets the shipped
/// models the first time ([`install_shipped`]); any other folder is used
/// as it is. Returns whether the shipped models were installed.
pub fn prepare(folder: &ModelsFolder) -> Result<bool, FolderError> {
    match folder.origin {
        Origin::Default => install_shipped(&folder.path),
        Origin::Flag | Origin::Environment | Origin::Workspace => Ok(false),
    }
}

/// Creates `dir` holding the shipped models, atomically, unless it exists
/// (a file, a folder or a link of that name is left as it is). Returns
/// whether it created it. Two processes racing here both succeed; one
/// folder wins.
pub fn install_shipped(dir: &Path) -> Result<bool, FolderError> {
    if dir.symlink_metadata().is_ok() {
        return Ok(false);
    }
    let fail = |path: &Path, e: &dyn std::fmt::Display| FolderError {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Err(fail(dir, &"it has no parent folder"));
    };
    std::fs::create_dir_all(parent).map_err(|e| fail(parent, &e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let staging = parent.join(format!(
        ".{}.{}.{nanos}.part",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::create_dir(&staging).map_err(|e| fail(&staging, &e))?;
    let filled = SHIPPED.iter().try_for_each(|(file, bytes)| {
        let path = staging.join(file);
        std::fs::File::create(&path)
            .and_then(|mut f| {
                f.write_all(bytes)?;
                f.sync_all()
            })
            .map_err(|e| fail(&path, &e))
    });
    let sync = |d: &Path| {
        if let Ok(f) = std::fs::File::open(d) {
            // Best effort: a folder that cannot be synced is still usable.
            let _ = f.sync_all();
        }
    };
    let placed = filled.and_then(|()| {
        sync(&staging);
        std::fs::rename(&staging, dir).map_err(|e| fail(dir, &e))
    });
    match placed {
        Ok(()) => {
            sync(parent);
            Ok(true)
        }
        Err(e) => {
            // Nothing of ours is left behind; the folder that won (another
            // cityops, or the user) is kept as it is.
            let _ = std::fs::remove_dir_all(&staging);
            if dir.is_dir() { Ok(false) } else { Err(e) }
        }
    }
}

/// `path` against the working directory (no file system access; a path
/// that cannot be made absolute is kept as given).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_models_are_installed_once_and_never_over_the_users_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data").join("cityops").join("models");
        assert!(install_shipped(&dir).unwrap());
        let names: Vec<String> = super::super::registry::describe(&dir)
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(
            names,
            ["aqi_forecast", "incident_risk", "traffic_volume_forecast"]
        );
        // No staging folder is left beside it.
        let beside: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, [std::ffi::OsString::from("models")]);
        // A model the user removed stays removed; their own files stay.
        super::super::registry::remove(&dir, "incident_risk").unwrap();
        std::fs::write(dir.join("mine.json"), b"{}").unwrap();
        assert!(!install_shipped(&dir).unwrap());
        assert!(!dir.join("incident_risk.json").exists());
        assert_eq!(std::fs::read(dir.join("mine.json")).unwrap(), b"{}");
    }

    #[test]
    fn the_built_in_models_are_the_repositorys() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        for (file, bytes) in SHIPPED {
            assert_eq!(std::fs::read(shipped.join(file)).unwrap(), bytes, "{file}");
        }
    }

    #[test]
    fn the_flag_wins_and_relative_paths_become_absolute() {
        let chosen = resolve(Some(Path::new("here/models")), Some(Path::new("/srv/m")));
        assert_eq!(chosen.origin, Origin::Flag);
        assert!(chosen.path.is_absolute());
        assert!(chosen.path.ends_with("here/models"));
    }

    #[test]
    fn the_old_relative_default_is_not_a_choice() {
        assert!(!is_chosen_setting(Path::new("models")));
        assert!(!is_chosen_setting(Path::new("")));
        assert!(is_chosen_setting(Path::new("/srv/models")));
        assert!(is_chosen_setting(Path::new("./models")));
    }
}
