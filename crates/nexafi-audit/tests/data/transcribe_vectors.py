#!/usr/bin/env python3
"""Transcribe Merkle proof test vectors into merkle_vectors.json.

Input: a directory with `inclusion/*.json` and `consistency/*.json`, each one case in the
layout of the transparency-dev/merkle testdata folder (camelCase keys, base64 hashes).
Output (stdout): one JSON document in this crate's layout, with hex hashes and an
`expect` of "valid" or "invalid". A hash that does not decode to 32 bytes is kept as
hex of whatever it decodes to, so the test gets a wrong-length hash.

Usage: transcribe_vectors.py DIR > merkle_vectors.json
"""

import base64
import json
import pathlib
import sys


def to_hex(value):
    return base64.b64decode(value).hex()


def transcribe(directory):
    root = pathlib.Path(directory)
    inclusion = []
    for path in sorted(root.glob("inclusion/*.json")):
        case = json.loads(path.read_text())
        inclusion.append({
            "name": path.stem,
            "leaf_index": case["leafIdx"],
            "tree_size": case["treeSize"],
            "root": to_hex(case["root"]),
            "leaf_hash": to_hex(case["leafHash"]),
            "proof": [to_hex(h) for h in case["proof"] or []],
            "expect": "invalid" if case["wantErr"] else "valid",
        })
    consistency = []
    for path in sorted(root.glob("consistency/*.json")):
        case = json.loads(path.read_text())
        consistency.append({
            "name": path.stem,
            "old_size": case["size1"],
            "new_size": case["size2"],
            "old_root": to_hex(case["root1"]),
            "new_root": to_hex(case["root2"]),
            "proof": [to_hex(h) for h in case["proof"] or []],
            "expect": "invalid" if case["wantErr"] else "valid",
        })
    return {
        "source": "transparency-dev/merkle testdata (RFC 6962 test leaves)",
        "inclusion": inclusion,
        "consistency": consistency,
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: transcribe_vectors.py DIR > merkle_vectors.json")
    json.dump(transcribe(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")
