#!/usr/bin/env python3
"""Compare DLP scanners on the benchmark corpus: throughput, peak memory and recall.

Reads planted.jsonl, each tool's results and each tool's GNU time output, and prints a
Markdown table per measure. Recall counts only planted values in the files a tool
scanned and of the kinds it looks for.

- nexafi: a finding matches a planted value with the same kind and exact byte span.
- detect-secrets: it reports line numbers and a secret type, so a planted secret counts
  as found when a result is on its line (a PEM block: on its BEGIN line).
- Presidio: a result matches when its entity maps to the planted kind and its span
  overlaps the value.
"""

import argparse
import collections
import json
import os
import re

SECRET_KINDS = [
    "aws-access-key-id", "aws-secret-access-key", "github-token", "gitlab-token",
    "slack-token", "slack-webhook", "stripe-key", "jwt", "private-key", "generic-secret",
]
PRESIDIO_KINDS = {
    "CREDIT_CARD": "card-number",
    "IBAN_CODE": "iban",
    "US_SSN": "us-ssn",
    "EMAIL_ADDRESS": "email-address",
    "ABA_ROUTING_NUMBER": "aba-routing-number",
}


def read_time(path):
    """CPU seconds, wall seconds and peak RSS in MiB from `/usr/bin/time -v` output."""
    text = open(path, encoding="utf-8").read()

    def field(label):
        match = re.search(re.escape(label) + r":\s*(\S+)", text)
        return match.group(1) if match else None

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss_mib = int(field("Maximum resident set size (kbytes)")) / 1024
    return cpu, seconds, rss_mib


def nexafi_found(path):
    report = json.load(open(path, encoding="utf-8"))
    return {(os.path.basename(f["file"]), f["detector"], f["start"], f["end"])
            for f in report["findings"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="directory with planted.jsonl and results")
    parser.add_argument("--peer-files", type=int, required=True,
                        help="number of corpus files the Python peers scanned (the first N)")
    args = parser.parse_args()
    work = args.work

    planted = [json.loads(line) for line in open(os.path.join(work, "planted.jsonl"))]
    corpus = os.path.join(work, "corpus")
    names = sorted(os.listdir(corpus))
    sizes = {name: os.path.getsize(os.path.join(corpus, name)) for name in names}
    peer_names = set(names[:args.peer_files])
    all_bytes = sum(sizes.values())
    peer_bytes = sum(sizes[name] for name in peer_names)

    rows = []
    kinds = sorted({p["kind"] for p in planted})
    recall = collections.defaultdict(dict)

    # nexafi, one run per thread count.
    for label, stem in [("nexafi -j 1", "nexafi-j1"), ("nexafi -j 2", "nexafi-j2")]:
        found = nexafi_found(os.path.join(work, f"{stem}.json"))
        planted_keys = {(p["file"], p["kind"], p["start"], p["end"]) for p in planted}
        for kind in kinds:
            wanted = [p for p in planted if p["kind"] == kind]
            hit = sum((p["file"], kind, p["start"], p["end"]) in found for p in wanted)
            recall[label][kind] = (hit, len(wanted))
        extra = len(found - planted_keys)
        cpu, wall, rss = read_time(os.path.join(work, f"{stem}.time"))
        rows.append((label, all_bytes, cpu, wall, rss, extra))

    # detect-secrets.
    report = json.load(open(os.path.join(work, "detect-secrets.json"), encoding="utf-8"))
    lines = collections.defaultdict(set)
    for path, results in report.get("results", {}).items():
        for result in results:
            lines[os.path.basename(path)].add(result["line_number"])
    planted_lines = collections.defaultdict(set)
    for p in planted:
        if p["file"] in peer_names:
            planted_lines[p["file"]].add(p["line"])
    for kind in SECRET_KINDS:
        wanted = [p for p in planted if p["kind"] == kind and p["file"] in peer_names]
        hit = sum(p["line"] in lines[p["file"]] for p in wanted)
        recall["detect-secrets"][kind] = (hit, len(wanted))
    extra = sum(len(found - planted_lines[name]) for name, found in lines.items())
    cpu, wall, rss = read_time(os.path.join(work, "detect-secrets.time"))
    rows.append(("detect-secrets", peer_bytes, cpu, wall, rss, extra))

    # Presidio.
    results = json.load(open(os.path.join(work, "presidio.json"), encoding="utf-8"))
    by_file = collections.defaultdict(list)
    for result in results:
        kind = PRESIDIO_KINDS.get(result["entity"])
        if kind:
            by_file[result["file"]].append((kind, result["start"], result["end"]))
    matched = set()
    for kind in PRESIDIO_KINDS.values():
        wanted = [p for p in planted if p["kind"] == kind and p["file"] in peer_names]
        hit = 0
        for p in wanted:
            for index, (found_kind, start, end) in enumerate(by_file[p["file"]]):
                if found_kind == kind and start < p["end"] and p["start"] < end:
                    hit += 1
                    matched.add((p["file"], index))
                    break
        recall["presidio"][kind] = (hit, len(wanted))
    extra = sum(1 for name, items in by_file.items() for index in range(len(items))
                if (name, index) not in matched)
    cpu, wall, rss = read_time(os.path.join(work, "presidio.time"))
    rows.append(("presidio (pattern recognisers)", peer_bytes, cpu, wall, rss, extra))

    print("| tool | bytes scanned | CPU s | wall s | MB/s per CPU second | MB/s wall | peak RSS MiB | findings not planted |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, size, cpu, wall, rss, extra in rows:
        mb = size / 1e6
        print(f"| {label} | {size:,} | {cpu:.2f} | {wall:.2f} | {mb / cpu:,.1f} | {mb / wall:,.1f} | {rss:,.1f} | {extra:,} |")
    print()
    tools = list(recall)
    print("| kind | " + " | ".join(tools) + " |")
    print("|---|" + "---:|" * len(tools))
    for kind in kinds:
        cells = []
        for tool in tools:
            if kind in recall[tool]:
                hit, total = recall[tool][kind]
                cells.append(f"{hit}/{total}" if total else "0/0")
            else:
                cells.append("not targeted")
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
