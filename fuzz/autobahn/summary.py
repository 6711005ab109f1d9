"""Summarizes an Autobahn client report: results per section, and every case not OK with the
suite's expectation and what it saw."""
import collections
import json
import os
import sys

PASSING = ("OK", "NON-STRICT", "INFORMATIONAL")
PASSING_CLOSE = ("OK", "INFORMATIONAL")
failed = []
outdir = sys.argv[1]
with open(os.path.join(outdir, "index.json")) as f:
    index = json.load(f)
for agent, cases in sorted(index.items()):
    def key(case_id):
        return [int(p) for p in case_id.split(".")]

    totals = collections.Counter(c["behavior"] for c in cases.values())
    print(f"# Autobahn client cases for {agent}: {len(cases)} cases")
    print()
    print("Written by `make autobahn` (fuzz/autobahn/run.sh): the library's own connection path,")
    print("with the core's test-only echo (see src/main.rs). A case passes when its behaviour is OK,")
    print("NON-STRICT or INFORMATIONAL and its closing behaviour OK or INFORMATIONAL.")
    print()
    print("- overall: " + ", ".join(f"{b} {n}" for b, n in sorted(totals.items())))
    closes = collections.Counter(c["behaviorClose"] for c in cases.values())
    print("- closing behaviour: " + ", ".join(f"{b} {n}" for b, n in sorted(closes.items())))
    bad = sorted(
        (case_id for case_id, c in cases.items()
         if c["behavior"] not in PASSING or c["behaviorClose"] not in PASSING_CLOSE),
        key=key,
    )
    failed.extend(bad)
    print(f"- verdict: {len(cases) - len(bad)} passed, {len(bad)} failed")
    sections = collections.defaultdict(collections.Counter)
    for case_id, c in cases.items():
        sections[case_id.split(".")[0]][c["behavior"]] += 1
    for s in sorted(sections, key=int):
        print(f"- section {s}: " + ", ".join(f"{b} {n}" for b, n in sorted(sections[s].items())))
    print()
    print("Every case whose behaviour or closing behaviour is not OK:")
    print()
    print("case | behavior | close | expectation | result")
    print("--- | --- | --- | --- | ---")
    for case_id in sorted(cases, key=key):
        c = cases[case_id]
        if c["behavior"] == "OK" and c["behaviorClose"] == "OK":
            continue
        with open(os.path.join(outdir, c["reportfile"])) as f:
            report = json.load(f)
        expectation = " ".join(report.get("expectation", "").split())
        result = " ".join(report.get("result", "").split())
        print(f"{case_id} | {c['behavior']} | {c['behaviorClose']} | {expectation[:140]} | {result[:160]}")

if failed:
    print("failed cases: " + " ".join(failed), file=sys.stderr)
    sys.exit(1)
