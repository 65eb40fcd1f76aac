//! Errors of the command-line tool: each prints as one line and maps to an exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use feagi_burst_engine::{GenomeError, LoadError, NpuError, SnapshotError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad option value: exit status 2, like clap's own usage errors.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Genome(#[from] GenomeError),
    #[error("{0}")]
    Npu(#[from] NpuError),
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    /// The server could not start (a port in use, a failed burst loop).
    #[error("{0}")]
    Serve(String),
    /// Exit status 1 with nothing printed: another rank of a distributed run
    /// reports the error.
    #[error("")]
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Quiet,
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Genome(g) => CliError::Genome(g),
            LoadError::Npu(n) => CliError::Npu(n),
        }
    }
}

impl CliError {
    pub fn write(path: &std::path::Path, source: std::io::Error) -> Self {
        CliError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A distributed step failed on another rank, which reports why.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub fn is_other_rank(&self) -> bool {
        matches!(self, CliError::Npu(NpuError::OtherRank(_)))
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            _ => ExitCode::from(1),
        }
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
