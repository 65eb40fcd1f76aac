//! Genome loading (work in progress).
