"""Render a chart with the Helm 4 library (helm-python-sdk) and print the manifests.

Usage: python helm_render.py CHART_DIR [VALUES_FILE ...] [--set EXPR ...]

Prints a JSON object of template name to rendered text on standard output, or the
error on standard error with exit status 1. Values files merge in order, as `helm -f`
does, and `--set` expressions apply last.
"""

import json
import sys

import helm_python as helm


def merge(base, overrides):
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def main(argv):
    chart_dir = argv[0]
    values = {}
    rest = argv[1:]
    index = 0
    while index < len(rest):
        if rest[index] == "--set":
            merge(values, helm.parse_set_string(rest[index + 1]))
            index += 2
            continue
        with open(rest[index], encoding="utf-8") as handle:
            merge(values, helm.values_from_yaml(handle.read()))
        index += 1
    chart = helm.Chart.load(chart_dir)
    try:
        rendered = chart.render(values, name="release-name", namespace="default")
    except helm.HelmError as error:
        print(str(error), file=sys.stderr)
        return 1
    json.dump(rendered, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
