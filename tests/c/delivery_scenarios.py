#!/usr/bin/env python3
"""Turns the delivery scenarios (tests/delivery/scenarios.json) into a C header of step arrays
for tests/c/test_delivery.c, at build time (`make test-c` writes it into build/c; it is not
committed: the JSON table stays the one source).

    python3 tests/c/delivery_scenarios.py tests/delivery/scenarios.json build/c/delivery_scenarios.h

It checks the table as it goes and fails (exit status 1, saying where) on anything the C
runner would not understand: a step not among the table's own `steps`, a field of a step it
does not know or of the wrong type, a step naming a listener no earlier step adds (wait_count,
drain, call_sees), an expected event of a kind listeners do not record, an expectation naming a
listener or a call no step makes. The header's `enum delivery_op` has one value per step of
the table's `steps`, in order, and test_delivery.c switches over it without a default: a step
added to the table fails the C build (-Wswitch -Werror) until the runner knows it.

Only the scenarios for C (no `only`, or an `only` naming "c") get step arrays; the others are
listed with their `only` so that the runner can say why it leaves them out. Standard library
only.
"""

import json
import sys

LANGUAGE = "c"

# The fields a step may have besides `do`, and their JSON types: `str` (a C string), `int` (a
# long, -1 when absent), `bool` (an int, -1 when absent), `object` (its JSON text).
FIELDS = {
    "conversation": "str",
    "mode": "str",
    "listener": "str",
    "on": "str",
    "form": "str",
    "remove_after": "int",
    "text": "str",
    "count": "int",
    "faults": "object",
    "call": "str",
    "as": "str",
    "error": "str",
    "same": "bool",
}

SCENARIO_KEYS = {"name", "why", "only", "why_only", "script", "client", "steps", "expect"}
TABLE_KEYS = {"about", "steps", "wait_limit_ms", "scenarios"}
# What a listener records, and the field each kind carries.
RECORDED = {"bot_message": "text", "livechat_message": "text", "error": "code", "lagged": "missed"}


class TableError(Exception):
    pass


def c_string(s):
    """A C string literal of `s` (UTF-8), safe under C99 (no trigraphs, no greedy escapes)."""
    if s is None:
        return "NULL"
    out = ['"']
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "?":
            out.append("\\?")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def json_text(v):
    return json.dumps(v, ensure_ascii=True, separators=(",", ":"), sort_keys=False)


def c_ident(s):
    return "".join(ch if ch.isalnum() else "_" for ch in s)


def check_type(where, name, kind, v):
    ok = {
        "str": isinstance(v, str),
        "int": isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "bool": isinstance(v, bool),
        "object": isinstance(v, dict),
    }[kind]
    if not ok:
        raise TableError(f"{where}: `{name}` must be {kind}, not {json_text(v)}")


def step_initializer(where, step, ops):
    if not isinstance(step, dict) or "do" not in step:
        raise TableError(f"{where}: a step is an object with `do`")
    op = step["do"]
    if op not in ops:
        raise TableError(f"{where}: `do: {op}` is not one of the table's steps ({', '.join(ops)})")
    parts = [f".op = DELIVERY_{c_ident(op).upper()}"]
    for name, kind in FIELDS.items():
        if name not in step:
            if kind in ("int", "bool"):
                parts.append(f".{c_ident(name)} = -1")
            continue
        v = step[name]
        check_type(where, name, kind, v)
        if kind == "str":
            parts.append(f".{c_ident(name)} = {c_string(v)}")
        elif kind == "int":
            parts.append(f".{c_ident(name)} = {v}")
        elif kind == "bool":
            parts.append(f".{c_ident(name)} = {1 if v else 0}")
        else:
            parts.append(f".{c_ident(name)} = {c_string(json_text(v))}")
    unknown = sorted(set(step) - set(FIELDS) - {"do"})
    if unknown:
        raise TableError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    return "{" + ", ".join(parts) + "}"


def record_initializer(where, r):
    if not isinstance(r, dict) or r.get("kind") not in RECORDED:
        raise TableError(f"{where}: an expected event is {{kind, ...}} of a recorded kind ({', '.join(RECORDED)})")
    field = RECORDED[r["kind"]]
    if set(r) != {"kind", field}:
        raise TableError(f"{where}: a {r['kind']} event is {{kind, {field}}}, not {json_text(r)}")
    v = r[field]
    if field == "text":
        check_type(where, field, "str", v)
        value = c_string(v)
    else:
        check_type(where, field, "int", v)
        # The value as JSON text, compared with the event's own field.
        value = c_string(json_text(v))
    return "{" + f"{c_string(r['kind'])}, {c_string(field)}, {value}" + "}"


def generate(table, source):
    if not isinstance(table, dict) or set(table) - TABLE_KEYS or not {"steps", "scenarios", "wait_limit_ms"} <= set(table):
        raise TableError(f"the table is an object of {', '.join(sorted(TABLE_KEYS))}")
    ops = list(table["steps"])
    limit = table["wait_limit_ms"]
    check_type("wait_limit_ms", "wait_limit_ms", "int", limit)
    out = [
        f"/* Generated by tests/c/delivery_scenarios.py from {source}: do not edit, do not commit. */",
        "#ifndef DELIVERY_SCENARIOS_H",
        "#define DELIVERY_SCENARIOS_H",
        "",
        "#include <stddef.h>",
        "",
        f"#define DELIVERY_WAIT_LIMIT_MS {limit}",
        "",
        "/* Every step of the table's `steps`, in its order. */",
        "enum delivery_op {",
    ]
    out += [f"    DELIVERY_{c_ident(op).upper()}," for op in ops]
    out += ["};", "", "static const char *const delivery_op_names[] = {"]
    out += [f"    {c_string(op)}," for op in ops]
    out += ["};", ""]
    out += ["/* A step: its fields, NULL (strings, JSON texts) or -1 (numbers, flags) when absent. */", "typedef struct {"]
    out.append("    enum delivery_op op;")
    for name, kind in FIELDS.items():
        ctype = "const char *" if kind in ("str", "object") else "long "
        note = " /* JSON text */" if kind == "object" else (" /* 1 true, 0 false */" if kind == "bool" else "")
        out.append(f"    {ctype}{c_ident(name)};{note}")
    out += [
        "} delivery_step;",
        "",
        "/* An expected event: its kind, the field it carries (`text`, or `code` / `missed` as JSON text). */",
        "typedef struct {",
        "    const char *kind, *field, *value;",
        "} delivery_record;",
        "",
        "typedef struct {",
        "    const char *listener;",
        "    const delivery_record *records;",
        "    size_t count;",
        "} delivery_expect;",
        "",
        "typedef struct {",
        "    const char *as, *error;",
        "} delivery_call;",
        "",
        "typedef struct {",
        "    const char *name, *why;",
        "    const char *script, *client; /* JSON texts */",
        "    const delivery_step *steps;",
        "    size_t n_steps;",
        "    const delivery_expect *expect; /* per listener */",
        "    size_t n_expect;",
        "    const delivery_call *calls; /* `calls`: error kinds by name */",
        "    size_t n_calls;",
        "} delivery_scenario;",
        "",
        "/* A scenario of the table for other languages only. */",
        "typedef struct {",
        "    const char *name, *only, *why_only;",
        "} delivery_elsewhere;",
        "",
    ]
    scenarios, elsewhere = [], []
    names = set()
    for i, s in enumerate(table["scenarios"]):
        where = f"scenario {i}"
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            raise TableError(f"{where}: a scenario is an object with a `name`")
        where = f"scenario {i} ({s['name']})"
        if s["name"] in names:
            raise TableError(f"{where}: two scenarios have this name")
        names.add(s["name"])
        unknown = sorted(set(s) - SCENARIO_KEYS)
        if unknown:
            raise TableError(f"{where}: unknown key(s) {', '.join(unknown)}")
        for key in ("why", "script", "client", "steps", "expect"):
            if key not in s:
                raise TableError(f"{where}: no `{key}`")
        only = s.get("only")
        if only is not None and (not isinstance(only, list) or not all(isinstance(x, str) for x in only)):
            raise TableError(f"{where}: `only` is a list of languages")
        if only is not None and LANGUAGE not in only:
            elsewhere.append((s["name"], ", ".join(only), s.get("why_only", "")))
            continue
        for key in ("script", "client", "expect"):
            check_type(where, key, "object", s[key])
        if not isinstance(s["steps"], list) or not s["steps"]:
            raise TableError(f"{where}: `steps` is a list of steps")
        n = len(scenarios)
        out.append("/* " + s["name"].replace("*/", "* /") + " */")
        out.append(f"static const delivery_step delivery_steps_{n}[] = {{")
        listeners, calls = set(), set()
        for j, step in enumerate(s["steps"]):
            out.append(f"    {step_initializer(f'{where}, step {j}', step, ops)},")
            # wait_count, drain, call_sees: a listener an earlier step added.
            if step.get("do") != "listen" and "listener" in step and step["listener"] not in listeners:
                raise TableError(f"{where}, step {j}: listener `{step['listener']}` is not added by an earlier step")
            if step.get("do") == "listen":
                listeners.add(step.get("listener"))
            if "as" in step and step.get("do") in ("call", "blocking_call_in_callback"):
                calls.add(step["as"])
        out.append("};")
        expects, call_expects = [], []
        for k, (name, events) in enumerate(s["expect"].items()):
            if name == "calls":
                check_type(f"{where}, expect", "calls", "object", events)
                for as_, error in events.items():
                    if as_ not in calls:
                        raise TableError(f"{where}: expect.calls names `{as_}`, which no step starts")
                    check_type(f"{where}, expect.calls", as_, "str", error)
                    call_expects.append((as_, error))
                continue
            if name not in listeners:
                raise TableError(f"{where}: expect names listener `{name}`, which no step adds")
            if not isinstance(events, list):
                raise TableError(f"{where}: expect.{name} is a list of events")
            if events:
                out.append(f"static const delivery_record delivery_records_{n}_{k}[] = {{")
                for m, r in enumerate(events):
                    out.append(f"    {record_initializer(f'{where}, expect.{name}[{m}]', r)},")
                out.append("};")
                expects.append((name, f"delivery_records_{n}_{k}", len(events)))
            else:
                expects.append((name, "NULL", 0))
        if expects:
            out.append(f"static const delivery_expect delivery_expect_{n}[] = {{")
            out += [f"    {{{c_string(name)}, {arr}, {count}}}," for name, arr, count in expects]
            out.append("};")
        if call_expects:
            out.append(f"static const delivery_call delivery_calls_{n}[] = {{")
            out += [f"    {{{c_string(a)}, {c_string(e)}}}," for a, e in call_expects]
            out.append("};")
        scenarios.append(
            "    {"
            + ", ".join(
                [
                    c_string(s["name"]),
                    c_string(s["why"]),
                    c_string(json_text(s["script"])),
                    c_string(json_text(s["client"])),
                    f"delivery_steps_{n}",
                    f"sizeof delivery_steps_{n} / sizeof delivery_steps_{n}[0]",
                    f"delivery_expect_{n}" if expects else "NULL",
                    str(len(expects)),
                    f"delivery_calls_{n}" if call_expects else "NULL",
                    str(len(call_expects)),
                ]
            )
            + "},"
        )
        out.append("")
    if not scenarios:
        raise TableError("no scenario of the table is for C")
    out.append("static const delivery_scenario delivery_scenarios[] = {")
    out += scenarios
    out += ["};", "#define DELIVERY_SCENARIO_COUNT (sizeof delivery_scenarios / sizeof delivery_scenarios[0])", ""]
    out.append("/* Ends with {NULL, NULL, NULL}. */")
    out.append("static const delivery_elsewhere delivery_elsewhere_list[] = {")
    out += [f"    {{{c_string(n)}, {c_string(o)}, {c_string(w)}}}," for n, o, w in elsewhere]
    out += ["    {NULL, NULL, NULL},", "};", "", "#endif", ""]
    return "\n".join(out)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} SCENARIOS.json OUT.h", file=sys.stderr)
        return 2
    source, target = argv[1], argv[2]
    try:
        with open(source, encoding="utf-8") as f:
            table = json.load(f)
        header = generate(table, source)
    except (OSError, ValueError, TableError) as e:
        print(f"{source}: {e}", file=sys.stderr)
        return 1
    with open(target, "w", encoding="utf-8") as f:
        f.write(header)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
