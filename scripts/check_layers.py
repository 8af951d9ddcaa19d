#!/usr/bin/env python3
"""Fails when a turnd layer includes a header of a layer above it.

Usage: check_layers.py --root turnd FOLDER=DEP,DEP ...   (what turnd/CMakeLists.txt declares)

Each FOLDER of turnd/ is one library; it may include its own headers and those of the layers it
depends on, directly or through them. "." is the top level (server.cpp, reload.cpp, main.cpp),
which may include everything. Runs on every build (target turnd_layers); standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        layer = todo.pop()
        if layer in seen:
            continue
        seen.add(layer)
        todo.extend(graph.get(layer, ()))
    return seen


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("layers", nargs="+", help="FOLDER=DEP,DEP")
    args = parser.parse_args()

    graph: dict[str, set[str]] = {}
    for spec in args.layers:
        folder, _, deps = spec.partition("=")
        graph[folder] = {d for d in deps.split(",") if d}
    known = set(graph)
    problems: list[str] = []

    for layer in sorted(known):
        if layer in closure(graph, layer):
            problems.append(f"layer {layer} depends on itself: the table has a cycle")

    for path in sorted(args.root.rglob("*.[ch]pp")):
        rel = path.relative_to(args.root)
        layer = "." if len(rel.parts) == 1 else rel.parts[0]
        if layer not in known:
            problems.append(f"{rel}: folder '{layer}' is no layer of turnd/CMakeLists.txt")
            continue
        allowed = closure(graph, layer) | {layer}
        for match in INCLUDE.finditer(path.read_text(encoding="utf-8")):
            target = match.group(1)
            parts = Path(target).parts
            if len(parts) == 1:
                # A top-level header ("server.hpp"): only the top level may include it.
                if (args.root / target).exists() and layer != ".":
                    problems.append(f"{rel}: includes \"{target}\" of the top level")
                continue
            if parts[0] not in known or parts[0] in allowed or layer == ".":
                continue  # libstun ("stun/..."), or a layer below
            line = path.read_text(encoding="utf-8")[: match.start()].count("\n") + 1
            problems.append(
                f"{rel}:{line}: layer '{layer}' includes \"{target}\" of layer '{parts[0]}', "
                f"which is not below it (allowed: {', '.join(sorted(allowed))})"
            )

    for p in problems:
        print(f"check_layers: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
