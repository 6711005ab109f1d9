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
    print()
    print("Written by `make autobahn` (fuzz/autobahn/run.sh). The client cannot echo messages (see")
    print("src/main.rs), so a case whose expectation includes an echo fails for that reason alone.")
    print()
    print("- overall: " + ", ".join(f"{b} {n}" for b, n in sorted(totals.items())))
    closes = collections.Counter(c["behaviorClose"] for c in cases.values())
    print("- closing behaviour: " + ", ".join(f"{b} {n}" for b, n in sorted(closes.items())))
    echo = 0
    other_closes = collections.Counter()
    for c in cases.values():
        with open(os.path.join(outdir, c["reportfile"])) as f:
            report = json.load(f)
        text = (report.get("expectation", "") + report.get("description", "")).lower()
        echoing = "echo" in text or "same as case" in text
        if c["behavior"] == "FAILED":
            echo += echoing
        if not echoing and c["behaviorClose"] not in ("OK", "INFORMATIONAL"):
            other_closes[c["behaviorClose"]] += 1
    print(f"- failed cases that expect an echo (or are the same as one that does): {echo}")
    print("  (in those the server gives up waiting for the echo and closes with 1001 Going Away; the")
    print("  client answers with the same code, which the suite marks WRONG CODE against its 1000)")
    others = ", ".join(f"{b} {n}" for b, n in sorted(other_closes.items())) or "none"
    print(f"- closing behaviour not OK in cases that expect no echo: {others}")
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
