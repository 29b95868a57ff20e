#!/usr/bin/env python3
"""Run Presidio Analyzer's pattern recognisers over files, without an NLP engine.

Presidio's AnalyzerEngine needs a spaCy model, and none can be downloaded here, so this
script builds the predefined pattern recognisers itself and calls each one's analyze()
with nlp_artifacts=None. That runs the regular expressions and each recogniser's
validation (Luhn for cards, mod-97 for IBANs, the SSN and routing-number rules) but not
the engine's context enhancement, which needs the NLP artefacts.

Usage: presidio_scan.py --out results.json FILE...
Each result is {"file", "start", "end", "entity", "score"} with byte offsets in the file.
"""

import argparse
import json
import os

import tldextract

# The e-mail recogniser validates domains with tldextract, which downloads the public
# suffix list on first use. The snapshot bundled with tldextract is used instead, so the
# run makes no network call.
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    AbaRoutingRecognizer,
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    UsSsnRecognizer,
)

# Text handed to one analyze() call, cut at line ends; planted values never span lines.
CHUNK_CHARS = 1 << 20


def chunks(text):
    start = 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            newline = text.rfind("\n", start, end)
            if newline > start:
                end = newline + 1
        yield start, text[start:end]
        start = end


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    recognizers = [
        CreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
        EmailRecognizer(),
        AbaRoutingRecognizer(),
    ]
    results = []
    for path in args.files:
        # The corpus is ASCII, so character offsets are byte offsets.
        with open(path, encoding="ascii") as handle:
            text = handle.read()
        name = os.path.basename(path)
        for base, chunk in chunks(text):
            for recognizer in recognizers:
                for found in recognizer.analyze(
                    text=chunk, entities=recognizer.supported_entities, nlp_artifacts=None
                ):
                    results.append({
                        "file": name,
                        "start": base + found.start,
                        "end": base + found.end,
                        "entity": found.entity_type,
                        "score": found.score,
                    })
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    main()
