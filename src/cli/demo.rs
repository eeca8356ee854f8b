//! `cityops demo export DIR`: writes the demo city's tables as CSV files so
//! users can see the formats cityops reads.

use std::path::PathBuf;

use clap::Subcommand;

use super::Failure;
use crate::data::demo;

#[derive(Subcommand, Debug)]
pub enum DemoCmd {
    /// Write the demo city's tables as CSV files into DIR (created if needed).
    Export {
        /// The folder to write into.
        dir: PathBuf,
    },
}

pub fn run(cmd: DemoCmd) -> Result<(), Failure> {
    match cmd {
        DemoCmd::Export { dir } => {
            let written = demo::export(&dir).map_err(|e| Failure::other(e.to_string()))?;
            for p in written {
                println!("{}", p.display());
            }
            Ok(())
        }
    }
}
