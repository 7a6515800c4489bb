#!/usr/bin/env python3
"""Per-file table of a cargo-mutants run, for docs/mutation.md and issue notes.

Usage: scripts/mutants-table.py OUT_DIR... [--missed] [--list LIST_FILE]

Reads OUT_DIR/mutants.out/outcomes.json (or OUT_DIR/outcomes.json) of one or more runs of the
same commit (later runs win for a mutant run twice, as with `cargo mutants --iterate`), or, for
a directory of outcome lists (caught.txt, missed.txt, timeout.txt, unviable.txt, as kept in
docs/mutation/<commit>/), those lists, and
prints a Markdown table: per file, the mutants listed (from LIST_FILE, the output of
`cargo mutants --list` with the same options, when given), run, caught, timeouts (a hang: the
tests did not pass, so caught), unviable (did not build) and missed. With --missed, the missed
mutants' names follow, by file.
"""
import collections
import json
import os
import sys


LISTS = {"caught": "CaughtMutant", "missed": "MissedMutant", "timeout": "Timeout",
         "unviable": "Unviable"}


def outcomes(path):
    if os.path.exists(os.path.join(path, "caught.txt")):
        result = []
        for stem, summary in LISTS.items():
            with open(os.path.join(path, stem + ".txt")) as f:
                for line in f:
                    name = line.strip()
                    if name:
                        result.append({"scenario": {"Mutant": {
                            "name": name, "file": name.split(":", 1)[0]}},
                            "summary": summary})
        return result
    for candidate in (os.path.join(path, "mutants.out", "outcomes.json"),
                      os.path.join(path, "outcomes.json")):
        if os.path.exists(candidate):
            with open(candidate) as f:
                return json.load(f)["outcomes"]
    sys.exit(f"no outcomes.json under {path}")


def main(argv):
    dirs, show_missed, listed = [], False, collections.Counter()
    args = iter(argv)
    for a in args:
        if a == "--missed":
            show_missed = True
        elif a == "--list":
            with open(next(args)) as f:
                for line in f:
                    if line.strip():
                        listed[line.split(":", 1)[0]] += 1
        else:
            dirs.append(a)
    if not dirs:
        sys.exit(__doc__)
    result = {}
    for d in dirs:
        for o in outcomes(d):
            scenario = o["scenario"]
            if not isinstance(scenario, dict) or "Mutant" not in scenario:
                continue  # the baseline
            m = scenario["Mutant"]
            result[m["name"]] = (m["file"], o["summary"])
    per_file = collections.defaultdict(collections.Counter)
    missed = collections.defaultdict(list)
    for name, (file, summary) in result.items():
        per_file[file][summary] += 1
        if summary == "MissedMutant":
            missed[file].append(name)
    files = sorted(set(per_file) | set(listed))
    print("| file | listed | run | caught | timeout | unviable | missed |")
    print("|---|---|---|---|---|---|---|")
    total = collections.Counter()
    for f in files:
        c = per_file[f]
        row = {
            "listed": listed.get(f, 0),
            "run": sum(c.values()),
            "caught": c["CaughtMutant"],
            "timeout": c["Timeout"],
            "unviable": c["Unviable"],
            "missed": c["MissedMutant"],
        }
        total.update(row)
        cells = " | ".join(str(row[k]) for k in
                           ("listed", "run", "caught", "timeout", "unviable", "missed"))
        print(f"| `{f}` | {cells} |")
    cells = " | ".join(str(total[k]) for k in
                       ("listed", "run", "caught", "timeout", "unviable", "missed"))
    print(f"| all | {cells} |")
    if show_missed:
        for f in sorted(missed):
            print(f"\n{f}:")
            for name in sorted(missed[f], key=lambda n: int(n.split(":")[1])):
                print("  " + name.split(":", 1)[1])


if __name__ == "__main__":
    main(sys.argv[1:])
