#!/usr/bin/env python3
"""Prints the highest `rust-version` among the packages in Cargo.lock (read from the unpacked
crates under ~/.cargo/registry/src; run `cargo fetch --locked` first), with the packages that
need it, and fails (exit 1) when meterctl's own `rust-version` in Cargo.toml is lower: it must be
the true minimum. (Our own code's needs are checked by clippy's `incompatible_msrv` lint, which
reads `rust-version`, and by building with that toolchain in .ci/run when it is installed.)

Usage: scripts/msrv.py [--all]   (--all lists every package's rust-version)
"""
import glob
import os
import re
import sys
import tomllib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with open(os.path.join(root, "Cargo.lock"), "rb") as f:
    lock = tomllib.load(f)
home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))

def key(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])

found, missing = [], []
for pkg in lock["package"]:
    if not pkg.get("source", "").startswith("registry+"):
        continue
    paths = glob.glob(os.path.join(home, "registry/src/*", f"{pkg['name']}-{pkg['version']}", "Cargo.toml"))
    if not paths:
        missing.append(f"{pkg['name']} {pkg['version']}")
        continue
    with open(paths[0], "rb") as f:
        manifest = tomllib.load(f)
    rv = manifest.get("package", {}).get("rust-version")
    if isinstance(rv, str):
        found.append((key(rv), rv, pkg["name"], pkg["version"]))
if missing:
    print("not unpacked (run cargo fetch --locked): " + ", ".join(missing), file=sys.stderr)
found.sort(reverse=True)
if "--all" in sys.argv:
    for _, rv, name, ver in found:
        print(f"{rv:8} {name} {ver}")
top = found[0][0]
need = [f"{n} {v}" for k, _, n, v in found if k == top]
print(f"highest rust-version in Cargo.lock: {found[0][1]} ({', '.join(need)})")
with open(os.path.join(root, "Cargo.toml"), "rb") as f:
    ours = tomllib.load(f)["package"]["rust-version"]
print(f"meterctl's rust-version: {ours}")
if key(ours) < top:
    print(f"error: Cargo.toml says rust-version = {ours!r}, but {', '.join(need)} need {found[0][1]}",
          file=sys.stderr)
    sys.exit(1)
sys.exit(1 if missing else 0)
