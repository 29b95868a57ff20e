#!/usr/bin/env python3
"""Summarize the measurements that bench/run.sh leaves in bench/work.

Reads GNU time's `-v` reports (time-<tool>-<tree>-<run>.txt) and the JSON reports of
both tools, prints a table per scanned tree with the ratios Checkov/nexafi, and
writes the same figures to results.json and results.md in the work directory.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

# Measured configurations: the tool, then its output mode.
CONFIGURATIONS = ("nexafi-json", "nexafi-human", "checkov-json", "checkov-cli")

# Ratios reported, as (label, Checkov configuration, nexafi configuration).
COMPARISONS = (
    ("complete JSON reports", "checkov-json", "nexafi-json"),
    ("failures-only console output", "checkov-cli", "nexafi-human"),
    ("cheapest mode of each tool", "checkov-cli", "nexafi-json"),
)


@dataclass
class Measurement:
    """Median figures of one tool on one tree."""

    tool: str
    tree: str
    runs: int
    wall_seconds: float
    cpu_seconds: float
    peak_mib: float
    resources: int | None
    checks_run: int | None
    failed: int | None
    detail: str


def parse_time_report(path: Path) -> dict[str, float]:
    """Return wall, user+sys CPU seconds and peak RSS in MiB from a `time -v` report."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, separator, value = line.strip().rpartition(": ")
        if separator:
            values[key] = value
    try:
        user = float(values["User time (seconds)"])
        system = float(values["System time (seconds)"])
        peak_kib = int(values["Maximum resident set size (kbytes)"])
        wall = parse_clock(values["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
    except KeyError as missing:
        raise SystemExit(f"error: {path} has no {missing} line; is it a GNU time -v report?")
    return {"wall": wall, "cpu": user + system, "peak_mib": peak_kib / 1024}


def parse_clock(text: str) -> float:
    """Convert `h:mm:ss` or `m:ss.ss` into seconds."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def nexafi_counts(report: Path) -> tuple[int | None, int | None, int | None, str]:
    if not report.exists():
        return None, None, None, "no report"
    data = json.loads(report.read_text(encoding="utf-8"))
    inputs = data.get("inputs", {})
    summary = data.get("summary", {})
    verdicts = sum(summary.get(key, 0) for key in ("pass", "fail", "unknown", "waived", "error"))
    detail = (
        f"{inputs.get('files', '?')} files; pass {summary.get('pass', 0)}, fail {summary.get('fail', 0)}, "
        f"unknown {summary.get('unknown', 0)}, error {summary.get('error', 0)}"
    )
    return inputs.get("resources"), verdicts, summary.get("fail"), detail


def checkov_counts(report: Path) -> tuple[int | None, int | None, int | None, str]:
    if not report.exists() or report.stat().st_size == 0:
        return None, None, None, "no report"
    data = json.loads(report.read_text(encoding="utf-8"))
    reports = data if isinstance(data, list) else [data]
    resources = passed = failed = skipped = parsing_errors = 0
    frameworks = []
    for entry in reports:
        summary = entry.get("summary", {})
        resources += summary.get("resource_count", 0)
        passed += summary.get("passed", 0)
        failed += summary.get("failed", 0)
        skipped += summary.get("skipped", 0)
        parsing_errors += summary.get("parsing_errors", 0)
        if "check_type" in entry:
            frameworks.append(entry["check_type"])
    detail = (
        f"{', '.join(frameworks) or 'no framework'}; pass {passed}, fail {failed}, "
        f"skipped {skipped}, parsing errors {parsing_errors}"
    )
    return resources, passed + failed + skipped, failed, detail


def measure(work: Path, configuration: str, tree: str, repeat: int) -> Measurement | None:
    reports = [work / f"time-{configuration}-{tree}-{run}.txt" for run in range(1, repeat + 1)]
    if not all(path.exists() for path in reports):
        return None
    parsed = [parse_time_report(path) for path in reports]
    # Both output modes of a tool scan the same files, so the JSON report counts for both.
    tool = configuration.split("-")[0]
    counts = nexafi_counts if tool == "nexafi" else checkov_counts
    resources, checks_run, failed, detail = counts(work / f"{tool}-{tree}.json")
    return Measurement(
        tool=configuration,
        tree=tree,
        runs=repeat,
        wall_seconds=statistics.median(item["wall"] for item in parsed),
        cpu_seconds=statistics.median(item["cpu"] for item in parsed),
        peak_mib=statistics.median(item["peak_mib"] for item in parsed),
        resources=resources,
        checks_run=checks_run,
        failed=failed,
        detail=detail,
    )


def ratio(numerator: float, denominator: float) -> str:
    if denominator <= 0:
        return "n/a"
    return f"{numerator / denominator:.1f}x"


def render(measurements: list[Measurement]) -> list[str]:
    lines = [
        "| tree | tool and output | wall s | CPU s | peak MiB | resources | check results | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for item in measurements:
        lines.append(
            f"| {item.tree} | {item.tool} | {item.wall_seconds:.2f} | {item.cpu_seconds:.2f} | "
            f"{item.peak_mib:.1f} | {item.resources if item.resources is not None else '?'} | "
            f"{item.checks_run if item.checks_run is not None else '?'} | "
            f"{item.failed if item.failed is not None else '?'} |"
        )
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="bench/work directory")
    parser.add_argument("--tree", action="append", required=True, help="tree name; repeatable")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool and tree")
    parser.add_argument("--skip-checkov", action="store_true", help="report nexafi only")
    arguments = parser.parse_args(argv)

    configurations = [name for name in CONFIGURATIONS if not (arguments.skip_checkov and name.startswith("checkov"))]
    measurements: list[Measurement] = []
    ratios: dict[str, dict[str, dict[str, str]]] = {}
    for tree in arguments.tree:
        by_configuration = {}
        for configuration in configurations:
            found = measure(arguments.work, configuration, tree, arguments.repeat)
            if found is None:
                print(
                    f"error: measurements of {configuration} on {tree} are missing in {arguments.work}",
                    file=sys.stderr,
                )
                return 2
            measurements.append(found)
            by_configuration[configuration] = found
        for label, checkov_name, nexafi_name in COMPARISONS:
            if checkov_name not in by_configuration:
                continue
            checkov, nexafi = by_configuration[checkov_name], by_configuration[nexafi_name]
            ratios.setdefault(tree, {})[label] = {
                "wall": ratio(checkov.wall_seconds, nexafi.wall_seconds),
                "cpu": ratio(checkov.cpu_seconds, nexafi.cpu_seconds),
                "peak_memory": ratio(checkov.peak_mib, nexafi.peak_mib),
            }

    table = render(measurements)
    print()
    print("\n".join(table))
    print()
    for item in measurements:
        print(f"{item.tree} / {item.tool}: {item.detail}")
    for tree, comparisons in ratios.items():
        for label, figures in comparisons.items():
            print(
                f"{tree}, {label}: Checkov takes {figures['cpu']} the CPU time, {figures['wall']} "
                f"the wall time and {figures['peak_memory']} the peak memory of nexafi"
            )

    results = {
        "measurements": [asdict(item) for item in measurements],
        "ratios_checkov_over_nexafi": ratios,
    }
    (arguments.work / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (arguments.work / "results.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
