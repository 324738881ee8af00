//! `aiperture-serve`: the resident gate (`aiperture serve` runs this binary). Kept apart from
//! `aiperture` so the one-shot hook's binary holds none of the server's code.

use aiperture::server::command::{ServeArgs, run};
use clap::Parser;

/// `aiperture serve`: the gate over HTTP and a Unix socket (docs/http.md).
#[derive(Parser, Debug)]
#[command(name = "aiperture serve", version)]
struct Cli {
    #[command(flatten)]
    args: ServeArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli.args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("aiperture serve: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
