use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = goaudit::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let result = goaudit::run(cli, &mut out, &mut err).and_then(|code| {
        use std::io::Write;
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // A closed pipe (`goaudit ... | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("goaudit: {e}");
            ExitCode::from(2)
        }
    }
}
