"""Render Helm charts repeatedly with the Helm 4 library (helm-python-sdk).

Usage: python render_helm.py ROUNDS CHART_DIR...

Each round loads and renders every chart once, with its default values and, when the
chart contains one, fidelity-values.yaml (the values the fidelity test uses). Prints one
line per chart: the name, the rounds, and the mean milliseconds per load and render.
"""

import os
import sys
import time

import helm_python as helm


def main(argv):
    rounds = int(argv[0])
    for chart_dir in argv[1:]:
        values = {}
        values_file = os.path.join(chart_dir, "fidelity-values.yaml")
        if os.path.isfile(values_file):
            with open(values_file, encoding="utf-8") as handle:
                values = helm.values_from_yaml(handle.read())
        started = time.perf_counter()
        for _ in range(rounds):
            chart = helm.Chart.load(chart_dir)
            chart.render(values, name="release-name", namespace="default")
            chart.close()
        mean_ms = (time.perf_counter() - started) * 1000.0 / max(rounds, 1)
        print(f"{os.path.basename(chart_dir.rstrip('/'))}\t{rounds}\t{mean_ms:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
