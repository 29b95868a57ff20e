//! Renders Helm charts repeatedly and prints the time per render, for bench/helm/run.sh.
//!
//! Usage: helm_render ROUNDS CHART_DIR...
//!
//! Each round loads and renders every chart once, with its default values and, when the
//! chart contains one, `fidelity-values.yaml` (the values the fidelity test uses). Prints
//! one line per chart: the name, the rounds, and the mean milliseconds per load and
//! render.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use nexafi_iac::helm::render_dir;
use nexafi_model::SourceMap;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(rounds) = args.next().and_then(|text| text.parse::<u32>().ok()) else {
        eprintln!("usage: helm_render ROUNDS CHART_DIR...");
        return ExitCode::from(2);
    };
    let charts: Vec<PathBuf> = args.map(PathBuf::from).collect();
    for chart in &charts {
        let values: Vec<PathBuf> = Some(chart.join("fidelity-values.yaml"))
            .filter(|path| path.is_file())
            .into_iter()
            .collect();
        let started = Instant::now();
        for _ in 0..rounds {
            let sources = SourceMap::new();
            let rendered = render_dir(chart, &values, &[], &sources);
            if let Some(error) = rendered.errors.first() {
                eprintln!("{} failed to render: {error}", chart.display());
                return ExitCode::FAILURE;
            }
        }
        let mean_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds.max(1));
        let name = chart
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name}\t{rounds}\t{mean_ms:.3}");
    }
    ExitCode::SUCCESS
}
