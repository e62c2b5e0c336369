#!/usr/bin/env python3
"""Shuffle the task list of every version, and the key order of each meter, version and task, in
the JSON definitions of a folder, in place: what another tenant's export of the same meters may
look like. Deterministic for a given --seed. Used by scripts/bench-diff.sh (tests/cli_diff.rs
does the same in Rust)."""
import argparse, json, os, random

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("folder")
ap.add_argument("--seed", default="shuffle")
a = ap.parse_args()


def shuffled(rng, obj):
    keys = list(obj)
    rng.shuffle(keys)
    return {k: obj[k] for k in keys}


for name in sorted(os.listdir(a.folder)):
    if not name.endswith(".json"):
        continue
    path = os.path.join(a.folder, name)
    with open(path) as fh:
        doc = json.load(fh)
    rng = random.Random(f"{a.seed}/{name}")
    versions = doc.get("versions") or []
    for i, v in enumerate(versions):
        tasks = [shuffled(rng, t) for t in v.get("tasks") or []]
        rng.shuffle(tasks)
        if "tasks" in v:
            v["tasks"] = tasks
        versions[i] = shuffled(rng, v)
    with open(path, "w") as fh:
        json.dump(shuffled(rng, doc), fh, indent=2)
        fh.write("\n")
