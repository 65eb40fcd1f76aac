//! Prints the warnings (or the error) of loading each genome file, one per line.
//!
//! `cargo run -p feagi-genome --example genome_warnings -- FILE...`

use feagi_genome::Genome;

fn main() {
    for file in std::env::args().skip(1) {
        match Genome::from_path(&file) {
            Ok(genome) => {
                for w in genome.warnings() {
                    println!("{:?}: {w}", w.kind);
                }
            }
            Err(e) => println!("error {:?}: {e}", e.kind),
        }
    }
}
