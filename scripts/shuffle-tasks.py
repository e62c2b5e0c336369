#!/usr/bin/env python3
"""Shuffle the task list of every version (and the order of each meter's top-level keys) in the
JSON definitions of a folder, in place: what another tenant's export of the same meters may look
like. Deterministic for a given --seed. Used by scripts/bench-diff.sh and the tests."""
import argparse, json, os, random

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("folder")
ap.add_argument("--seed", default="shuffle")
a = ap.parse_args()
for name in sorted(os.listdir(a.folder)):
    if not name.endswith(".json"):
        continue
    path = os.path.join(a.folder, name)
    with open(path) as fh:
        doc = json.load(fh)
    rng = random.Random(f"{a.seed}/{name}")
    for v in doc.get("versions", []):
        rng.shuffle(v.get("tasks", []))
    keys = list(doc)
    rng.shuffle(keys)
    with open(path, "w") as fh:
        json.dump({k: doc[k] for k in keys}, fh, indent=2)
        fh.write("\n")
