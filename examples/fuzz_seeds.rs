//! Write the fuzz seed corpora: `cargo run --example fuzz_seeds -- TESTBINS OUTDIR`
//! writes OUTDIR/<target>/<name> for every seed of goaudit::fuzzing::seeds.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, testbins, outdir] = args.as_slice() else {
        eprintln!("usage: fuzz_seeds TESTBINS OUTDIR");
        std::process::exit(2);
    };
    let seeds = goaudit::fuzzing::seeds(std::path::Path::new(testbins));
    for (target, name, bytes) in &seeds {
        let dir = std::path::Path::new(outdir).join(target);
        std::fs::create_dir_all(&dir).expect("create corpus directory");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }
    eprintln!("{} seeds written to {outdir}", seeds.len());
}
