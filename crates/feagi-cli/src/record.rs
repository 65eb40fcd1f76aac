//! `--record FILE`: every fired neuron as CSV rows `burst, cortical_id,
//! neuron_id, x, y, z, potential`, or JSON Lines when the name ends in `.jsonl`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{CliError, Result};

enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    JsonLines(BufWriter<File>),
}

pub struct Recorder {
    path: PathBuf,
    sink: Sink,
    rows: u64,
}

#[derive(serde::Serialize)]
struct Row<'a> {
    burst: u64,
    cortical_id: &'a str,
    neuron_id: u32,
    x: u32,
    y: u32,
    z: u32,
    potential: f32,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Recorder> {
        let file = File::create(path).map_err(|e| CliError::write(path, e))?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
        let sink = if json {
            Sink::JsonLines(BufWriter::new(file))
        } else {
            // The header is written here, so a run in which nothing fires still has one.
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(BufWriter::new(file));
            w.write_record([
                "burst",
                "cortical_id",
                "neuron_id",
                "x",
                "y",
                "z",
                "potential",
            ])
            .map_err(|e| CliError::write(path, e.into()))?;
            Sink::Csv(Box::new(w))
        };
        Ok(Recorder {
            path: path.to_path_buf(),
            sink,
            rows: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        burst: u64,
        cortical_id: &str,
        neuron_id: u32,
        [x, y, z]: [u32; 3],
        potential: f32,
    ) -> Result<()> {
        let row = Row {
            burst,
            cortical_id,
            neuron_id,
            x,
            y,
            z,
            potential,
        };
        let result = match &mut self.sink {
            Sink::Csv(w) => w.serialize(&row).map_err(std::io::Error::from),
            Sink::JsonLines(w) => serde_json::to_writer(&mut *w, &row)
                .map_err(std::io::Error::from)
                .and_then(|_| w.write_all(b"\n")),
        };
        result.map_err(|e| CliError::write(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    /// Writes out what is buffered (the rows of whole bursts).
    pub fn flush(&mut self) -> Result<()> {
        let result = match &mut self.sink {
            Sink::Csv(w) => w.flush(),
            Sink::JsonLines(w) => w.flush(),
        };
        result.map_err(|e| CliError::write(&self.path, e))
    }

    /// Flushes the file; returns the number of rows written.
    pub fn finish(self) -> Result<u64> {
        let path = self.path;
        match self.sink {
            Sink::Csv(mut w) => w.flush().map_err(|e| CliError::write(&path, e))?,
            Sink::JsonLines(mut w) => w.flush().map_err(|e| CliError::write(&path, e))?,
        }
        Ok(self.rows)
    }
}
