//! `nexafi test`: loads a suite of live checks, runs the selected tests, prints a line per
//! finished test on standard error and writes the reports.

use std::io::Write;
use std::path::PathBuf;

use nexafi_live::{Kind, Selection, Suite, Test};

use crate::Outcome;
use crate::cli::{TestArgs, TestFormat, TestKind};
use crate::output::write_report;

pub fn run(args: &TestArgs) -> Result<Outcome, super::Error> {
    let destinations = pair_outputs(&args.format, &args.output)?;
    if !args.suite.exists() {
        return Err(super::Error::Usage(format!(
            "suite {} not found; name a suite file (see docs/live-tests.md), for example `nexafi test infrastructure/tests/staging.yaml`",
            args.suite.display()
        )));
    }
    let suite = nexafi_live::load(&args.suite)?;
    let selection = Selection {
        only: args.only.clone(),
        kinds: args.kind.iter().map(|kind| to_kind(*kind)).collect(),
    };
    let tests = selection
        .apply(&suite)
        .map_err(|error| super::Error::Usage(format!("invalid --only pattern: {error}")))?;
    if tests.is_empty() {
        return Err(super::Error::Usage(format!(
            "no test of suite {} matches the --only and --kind filters; run with --list to see the tests",
            args.suite.display()
        )));
    }

    if args.list {
        print_list(&suite, &tests)?;
        return Ok(Outcome::Success);
    }

    let concurrency = args.jobs.map_or(suite.concurrency, usize::from);
    let progress = |result: &nexafi_live::TestResult| {
        eprintln!("{}", nexafi_live::progress_line(result));
    };
    let report = nexafi_live::run_blocking(&suite, &tests, concurrency, &progress)?;
    eprintln!("{}", nexafi_live::summary_line(&report));

    // Render every report before writing any, so an error leaves no partial files.
    let mut rendered = Vec::with_capacity(destinations.len());
    for (format, output) in &destinations {
        let text = match format {
            // On standard output the progress lines already listed every test.
            TestFormat::Human => nexafi_live::render_human(&report, output.is_some()),
            TestFormat::Json => nexafi_live::render_json(&report)?,
            TestFormat::Junit => nexafi_live::render_junit(&report).map_err(|error| {
                super::Error::Usage(format!("cannot write the JUnit report: {error}"))
            })?,
        };
        rendered.push((output.as_deref(), text));
    }
    for (output, text) in rendered {
        write_report(output, &text)?;
    }

    if report.all_passed() {
        Ok(Outcome::Success)
    } else {
        Ok(Outcome::Findings)
    }
}

fn print_list(suite: &Suite, tests: &[&Test]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "suite {} ({}): {} of {} tests selected",
        suite.name,
        suite.path.display(),
        tests.len(),
        suite.tests.len()
    )?;
    let width = tests
        .iter()
        .map(|test| test.name.chars().count())
        .max()
        .unwrap_or(0);
    for test in tests {
        writeln!(
            stdout,
            "{:<10} {:<width$}  {}",
            test.check.kind().as_str(),
            test.name,
            test.check.target()
        )?;
    }
    stdout.flush()
}

fn to_kind(kind: TestKind) -> Kind {
    match kind {
        TestKind::Http => Kind::Http,
        TestKind::Tcp => Kind::Tcp,
        TestKind::Tls => Kind::Tls,
        TestKind::Dns => Kind::Dns,
        TestKind::Postgres => Kind::Postgres,
        TestKind::Redis => Kind::Redis,
        TestKind::Rabbitmq => Kind::Rabbitmq,
        TestKind::Kubernetes => Kind::Kubernetes,
        TestKind::Prometheus => Kind::Prometheus,
    }
}

/// Pairs the n-th --format with the n-th --output, as `nexafi validate` does.
fn pair_outputs(
    formats: &[TestFormat],
    outputs: &[PathBuf],
) -> Result<Vec<(TestFormat, Option<PathBuf>)>, super::Error> {
    super::validate::pair_formats(
        formats,
        outputs,
        TestFormat::Human,
        "--format junit --output nexafi-test.xml",
    )
}
