//! Helpers shared by feagi-cli's integration tests.

use std::path::PathBuf;

/// The real-genome folder (`FEAGI_GENOMES`); `None` (with a note) when it is
/// missing, a panic under CI, which must run the real-genome tests.
#[allow(dead_code)] // not every test binary uses every helper
pub fn genome_folder() -> Option<PathBuf> {
    match std::env::var_os("FEAGI_GENOMES").map(PathBuf::from) {
        Some(d) if d.is_dir() => Some(d),
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but FEAGI_GENOMES ({other:?}) is missing"
            );
            eprintln!("note: FEAGI_GENOMES not set; skipping the real-genome part");
            None
        }
    }
}

/// The real genome `name` (see [`genome_folder`]), as a path string.
#[allow(dead_code)]
pub fn genome(name: &str) -> Option<String> {
    genome_folder().map(|d| d.join(name).display().to_string())
}
