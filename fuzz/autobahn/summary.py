"""Summarizes an Autobahn client report: results per section, and every case not OK with the
suite's expectation and what it saw."""
import collections
import json
import os
import sys

outdir = sys.argv[1]
with open(os.path.join(outdir, "index.json")) as f:
    index = json.load(f)
for agent, cases in sorted(index.items()):
    def key(case_id):
        return [int(p) for p in case_id.split(".")]

    totals = collections.Counter(c["behavior"] for c in cases.values())
    print(f"# Autobahn client cases for {agent}: {len(cases)} cases")
    print("overall: " + ", ".join(f"{b} {n}" for b, n in sorted(totals.items())))
    sections = collections.defaultdict(collections.Counter)
    for case_id, c in cases.items():
        sections[case_id.split(".")[0]][c["behavior"]] += 1
    for s in sorted(sections, key=int):
        print(f"section {s:>2}: " + ", ".join(f"{b} {n}" for b, n in sorted(sections[s].items())))
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
