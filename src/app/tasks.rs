//! Every background job the app itself runs — loading files and the demo
//! city, the file dialog, CSV export, model imports, workspace files,
//! writing PNGs — in one list ([`Tasks`]), each with its kind, a label for
//! the progress line and its typed outcome. The app starts them, shows the
//! loads' progress, and applies each outcome once it arrives; a job whose
//! thread died is reported, never waited on forever. (Views keep their
//! own computations in `widgets::Background`.)

use std::path::PathBuf;
use std::time::Instant;

use super::state::Workspace;
use crate::charts::ChartSpec;
use crate::data::{Dataset, LoadError};
use crate::jobs::{Job, JobProgress, Wake};

/// The charts made for a dataset, off the UI thread: those suggested for
/// it and its default dashboard's.
pub struct Charts {
    pub suggested: Vec<ChartSpec>,
    pub default: Vec<ChartSpec>,
}

impl Charts {
    pub fn of(ds: &Dataset) -> Self {
        Self {
            suggested: crate::charts::suggest(ds),
            default: crate::charts::default_dashboard(ds),
        }
    }
}

/// A loaded dataset and its charts (made in the load job).
pub type Loaded = (Dataset, Charts);

/// Where an export was written and how many rows, `None` when the user
/// closed the dialog.
pub type ExportOutcome = Result<Option<(PathBuf, usize)>, String>;

/// How writing an exported PNG ended.
pub enum PngOutcome {
    /// Where, how large, and whether the folder was chosen for the user
    /// (no file dialog available).
    Saved(PathBuf, [usize; 2], bool),
    NoChoice,
    Failed(String),
}

/// How saving or opening a workspace file ended.
pub enum WorkspaceOutcome {
    Saved(PathBuf),
    Opened(Box<Workspace>, PathBuf),
    /// The dialog was closed without a choice.
    NoChoice,
    Failed(String),
}

/// What a finished task produced.
pub enum Outcome {
    Loaded(Result<Vec<Loaded>, LoadError>),
    /// The files chosen in the open dialog (`None`: closed).
    Picked(Option<Vec<PathBuf>>),
    Exported(ExportOutcome),
    /// A model imported into the models folder: what was done, or why not.
    Imported(Result<String, String>),
    Workspace(WorkspaceOutcome),
    Png(PngOutcome),
    /// A dataset's charts made again after its roles, domain or time zone
    /// changed: the dataset's name and revision, and the charts.
    Charts(String, u64, Charts),
    /// Choropleths of open tables over open GeoJSON districts: the table's
    /// name and the spec, for its default dashboard.
    Choropleths(Vec<(String, ChartSpec)>),
    /// A live source refreshed (or not).
    Refreshed(Box<super::live::Done>),
}

/// What a task does: at most one file dialog, export, workspace file or
/// PNG at a time; any number of loads and imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    Load,
    FileDialog,
    ExportCsv,
    ImportModel,
    Workspace,
    Png,
    Charts,
    /// A live source's refresh (not listed with the loads: the top bar's
    /// live status tells about them).
    Refresh,
}

/// A running task.
pub struct Task {
    pub kind: TaskKind,
    pub label: String,
    pub started: Instant,
    job: Job<Outcome>,
}

impl Task {
    /// `(fraction 0..=1, message)`.
    pub fn progress(&self) -> (f32, String) {
        self.job.progress()
    }

    pub fn cancel(&self) {
        self.job.cancel();
    }
}

/// A task that ended: what it was, and its outcome (`None` when its thread
/// stopped without one — a bug to report, not a wait).
pub struct Finished {
    pub kind: TaskKind,
    pub label: String,
    pub started: Instant,
    pub outcome: Option<Outcome>,
}

/// The app's running tasks.
#[derive(Default)]
pub struct Tasks {
    list: Vec<Task>,
}

impl Tasks {
    /// Starts `work` as a task; the error says why no thread could start.
    pub fn spawn(
        &mut self,
        kind: TaskKind,
        label: impl Into<String>,
        wake: Wake,
        work: impl FnOnce(&JobProgress) -> Outcome + Send + 'static,
    ) -> std::io::Result<()> {
        let label = label.into();
        let job = Job::spawn(label.clone(), wake, work)?;
        self.list.push(Task {
            kind,
            label,
            started: Instant::now(),
            job,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn running(&self, kind: TaskKind) -> bool {
        self.list.iter().any(|t| t.kind == kind)
    }

    pub fn of_kind(&self, kind: TaskKind) -> impl Iterator<Item = &Task> {
        self.list.iter().filter(move |t| t.kind == kind)
    }

    /// Takes the tasks that ended, in the order they were started.
    pub fn finished(&mut self) -> Vec<Finished> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.list.len() {
            let t = &mut self.list[i];
            // Asked first: once `try_result` has seen the thread gone it
            // no longer tells a lost job from a running one.
            let outcome = if t.job.is_lost() {
                Some(None)
            } else {
                t.job.try_result().map(Some)
            };
            match outcome {
                Some(outcome) => {
                    let t = self.list.remove(i);
                    out.push(Finished {
                        kind: t.kind,
                        label: t.label,
                        started: t.started,
                        outcome,
                    });
                }
                None => i += 1,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn wait_all(tasks: &mut Tasks) -> Vec<Finished> {
        let mut done = Vec::new();
        for _ in 0..500 {
            done.extend(tasks.finished());
            if tasks.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        done
    }

    #[test]
    fn tasks_end_with_their_outcome_or_as_lost_and_leave_the_list() {
        let wake: Wake = Arc::new(|| {});
        let mut tasks = Tasks::default();
        tasks
            .spawn(TaskKind::ImportModel, "import", Arc::clone(&wake), |_| {
                Outcome::Imported(Ok("imported".to_owned()))
            })
            .unwrap();
        tasks
            .spawn(TaskKind::Load, "broken", Arc::clone(&wake), |_| {
                panic!("a loader bug")
            })
            .unwrap();
        assert!(tasks.running(TaskKind::Load));
        assert_eq!(tasks.of_kind(TaskKind::ImportModel).count(), 1);
        let done = wait_all(&mut tasks);
        assert!(tasks.is_empty());
        assert_eq!(done.len(), 2);
        let import = done
            .iter()
            .find(|f| f.kind == TaskKind::ImportModel)
            .unwrap();
        assert!(matches!(
            import.outcome,
            Some(Outcome::Imported(Ok(ref m))) if m == "imported"
        ));
        let lost = done.iter().find(|f| f.kind == TaskKind::Load).unwrap();
        assert!(lost.outcome.is_none(), "a dead job is reported as lost");
        assert_eq!(lost.label, "broken");
    }
}
