#!/usr/bin/env python3
"""Enforce the import layering of the engine crate (engine/src).

Every top-level module of the engine (a folder or a file directly under engine/src)
belongs to one layer. A module may import (through a `crate::<module>` path) only
itself, modules of a LOWER layer, and the base modules. Layers, top to bottom:

    top          main, lib, node, admin, nodetool   start-up wiring, admin HTTP API, CLI
                                                     client: may import anything
    transport    CQL connections
    cql          statements
    coordinator  (future) replicas of a token, consistency levels
    cluster      (future) membership, group 0
    messaging    (future) internode RPC  (cluster may import messaging: same band,
                                          cluster above messaging)
    replica      the shard's table API, the only door into storage
    storage      commitlog, memtable, sstable, compaction, flush (knows no schema:
                 it takes StorageOptions)
    runtime      executors, task queues, typed cross-shard calls
    schema       definitions
    model        pure data: tokens, cells, mutations

Base modules, importable by anyone: limits, config, io_properties (the per-shard
metrics live in runtime::metrics). A base
module may itself import only other base modules and `model`. `model` may import only
`limits`; `schema` may import `model` and the base modules.

ALLOWED below is the rule, written out module by module (it is what
docs/ARCHITECTURE.md refers to). `replica` is the only door into storage: transport, cql
and coordinator may not import `storage`.

A top-level module found on disk (engine/src/<name>.rs or engine/src/<name>/) or a
`crate::<name>` path whose <name> is not a key of ALLOWED makes the check fail with a
message asking to add it to the table.

What counts as an import: every `crate::<name>` path in a .rs file under engine/src, after
comments (`//`, `//!`, `///`, nested `/* */`) and string/char literals (plain, byte, raw)
are blanked out: `use` items including groups (`use crate::{a::X, b::{Y, Z}}` gives one
import per member, at the member's line), and inline paths in code or attributes
(`crate::storage::foo()`). `$crate` is not `crate`. In main.rs (the binary crate)
`percore::<name>` is the library and counts as `crate::<name>`, while `crate::` there
names the binary's own items and is not counted. Code under
`#[cfg(test)]` counts like any other code.

`super::` paths are resolved: the module path of each position is the file's path
(`a/b.rs` and `a/b/mod.rs` are `a::b`) plus the inline `mod x { ... }` blocks around it,
found by brace matching on the stripped text; a leading `super::super::...` chain that
climbs to the crate root is then read like `crate::`. A chain that stays inside the
module is an import of the module itself; `self::` never leaves the module. Not handled
(not used in the engine today): `#[path = ...]` attributes, `self::super::`, macros that
build paths, `pub(in crate::x)` (counted as an import like any other path).

Output: one line per forbidden import,
    engine/src/<file>:<line>: <from> -> <to> (crate::<path>) is not allowed: <from> may import <list>
then a summary; exit status 1 if anything is wrong, else `layers ok: N files, M imports
checked` and status 0. `--graph` prints the module-level edge counts (from -> to: count,
self-imports left out, forbidden edges marked) and exits 0.

Standard library only. Run from anywhere: python3 .ci/check_layers.py [--graph]
"""

import argparse
import os
import re
import sys
from collections import Counter, defaultdict

ANY = "*"  # may import anything

BASE = {"limits", "config", "io_properties"}

# module -> the top-level modules it may import besides itself.
ALLOWED = {
    # --- top: start-up wiring, admin HTTP API, CLI client ---------------------------
    "main":         ANY,
    "lib":          ANY,
    "node":         ANY,
    "admin":        ANY,
    "nodetool":     ANY,
    # --- layers, top to bottom ---------------------------------------------------------
    # `replica` is the only door into storage: the layers above it do not import storage.
    "transport":    {"cql", "coordinator", "cluster", "messaging", "replica",
                     "runtime", "schema", "model"} | BASE,
    "cql":          {"coordinator", "cluster", "messaging", "replica",
                     "runtime", "schema", "model"} | BASE,
    "coordinator":  {"cluster", "messaging", "replica", "runtime", "schema",
                     "model"} | BASE,
    "cluster":      {"messaging", "replica", "storage", "runtime", "schema",
                     "model"} | BASE,
    "messaging":    {"replica", "storage", "runtime", "schema", "model"} | BASE,
    "replica":      {"storage", "runtime", "schema", "model"} | BASE,
    # storage takes StorageOptions, not schema definitions: it knows no schema.
    "storage":      {"runtime", "model"} | BASE,
    "runtime":      {"schema", "model"} | BASE,
    "schema":       {"model"} | BASE,
    "model":        {"limits"},
    # --- base modules: importable by anyone; import only base modules and model ------
    "limits":       {"config", "io_properties", "model"},
    "config":       {"limits", "io_properties", "model"},
    "io_properties": {"limits", "config", "model"},
}

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SRC_REL = "engine/src"
SRC = os.path.join(ROOT, SRC_REL)
LIB_CRATE_NAME = "percore"  # how main.rs (the binary crate) names the library

IDENT = r"(?:r#)?[A-Za-z_][A-Za-z0-9_]*"
IDENT_RE = re.compile(IDENT)
CHAR_LIT = re.compile(r"'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|.))'")
RAW_STR = re.compile(r"(?:b|c)?r(#*)\"")


# ------------------------------------------------------------------------- stripping
def strip(text):
    """Blank out comments and string/char literals, keeping offsets and newlines."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "bcr" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) \
                and RAW_STR.match(text, i):
            m = RAW_STR.match(text, i)
            close = '"' + m.group(1)
            j = text.find(close, m.end())
            j = n if j < 0 else j + len(close)
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            m = CHAR_LIT.match(text, i)
            if m:
                blank(i, m.end())
                i = m.end()
            else:  # a lifetime or label
                i += 1
        else:
            i += 1
    return "".join(out)


# -------------------------------------------------------------------------- parsing
def module_path_of(rel):
    """engine/src-relative file -> module path as a list (lib.rs/main.rs -> [])."""
    parts = rel[:-3].split("/")
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return parts


def skip_ws(s, i):
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def read_path(s, i):
    """Read `a::b::{..}` / `a::*` starting at i; return (text, end)."""
    segs = []
    while True:
        i = skip_ws(s, i)
        m = IDENT_RE.match(s, i)
        if m:
            segs.append(m.group(0))
            i = m.end()
        elif i < len(s) and s[i] == "*":
            segs.append("*")
            return "::".join(segs), i + 1
        elif i < len(s) and s[i] == "{":
            end = match_brace(s, i)
            segs.append("{" + " ".join(s[i + 1:end - 1].split()).rstrip(", ") + "}")
            return "::".join(segs), end
        else:
            return "::".join(segs), i
        j = skip_ws(s, i)
        if not s.startswith("::", j):
            return "::".join(segs), i
        k = skip_ws(s, j + 2)
        if k < len(s) and s[k] == "<":  # turbofish: crate::f::<T>()
            return "::".join(segs), i
        i = j + 2


def match_brace(s, i):
    """s[i] == '{'; return the offset after its matching '}'."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(s)


def root_members(s, i):
    """Parse what follows `crate::` at offset i.

    Yields (name, name_offset, path_text) for each crate-root member named: one for a
    plain path, one per item of a `{ ... }` group (`self` and `*` skipped)."""
    i = skip_ws(s, i)
    if i < len(s) and s[i] == "{":
        end = match_brace(s, i)
        j, depth, item_start = i + 1, 0, i + 1
        items = []
        while j < end - 1:
            ch = s[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(item_start)
                item_start = j + 1
            j += 1
        items.append(item_start)
        for st in items:
            st = skip_ws(s, st)
            text, _ = read_path(s, st)
            name = text.split("::")[0] if text else ""
            if name and name not in ("self", "*") and not name.startswith("{"):
                yield name.replace("r#", ""), st, text
    else:
        text, _ = read_path(s, i)
        name = text.split("::")[0] if text else ""
        if name and name != "*" and not name.startswith("{"):
            yield name.replace("r#", ""), i, text


TOKENS = re.compile(
    r"(?P<mod>\bmod\s+(?:r#)?(?P<modname>[A-Za-z_]\w*)\s*\{)"
    r"|(?P<open>\{)|(?P<close>\})"
    r"|(?P<crate>(?<![\w$:])(?:::\s*)?(?P<kw>crate|" + LIB_CRATE_NAME + r")\s*::)"
    r"|(?P<super>(?<![\w$:])(?:super\s*::\s*)+)"
)


def scan_file(rel, text):
    """Return a list of (line, target_module, shown_path, same_module_flag)."""
    s = strip(text)
    line_starts = [0] + [m.end() for m in re.finditer("\n", s)]

    def line_of(off):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    is_bin_root = rel == "main.rs"
    base_path = module_path_of(rel)
    stack = []  # entries: module name (inline mod) or None (plain brace)
    found = []
    for m in TOKENS.finditer(s):
        if m.group("mod"):
            stack.append(m.group("modname"))
        elif m.group("open"):
            stack.append(None)
        elif m.group("close"):
            if stack:
                stack.pop()
        elif m.group("crate"):
            # In main.rs `crate::` is the binary crate itself and `percore::` the
            # library; elsewhere `percore` can only be some other identifier.
            if (m.group("kw") == LIB_CRATE_NAME) != is_bin_root:
                continue
            for name, off, text in root_members(s, m.end()):
                found.append((line_of(off), name, m.group("kw") + "::" + text))
        elif m.group("super"):
            k = m.group("super").count("super")
            here = base_path + [x for x in stack if x is not None]
            if k < len(here):
                found.append((line_of(m.start()), here[0], None))
            elif k == len(here):
                prefix = "::".join(["super"] * k) + "::"
                for name, off, text in root_members(s, m.end()):
                    found.append((line_of(off), name, prefix + text))
            # k > len(here): does not compile; ignore
    return found


# ----------------------------------------------------------------------------- main
def allowed_text(frm):
    a = ALLOWED[frm]
    return "anything" if a == ANY else ", ".join(sorted(a)) + " (and itself)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", action="store_true",
                    help="print module-level edge counts (from -> to: count)")
    args = ap.parse_args()

    errors = []  # problems that are not edges (unknown modules)
    on_disk = set()
    for entry in sorted(os.listdir(SRC)):
        p = os.path.join(SRC, entry)
        if os.path.isdir(p):
            on_disk.add(entry)
        elif entry.endswith(".rs"):
            on_disk.add(entry[:-3])
    for mod in sorted(on_disk - set(ALLOWED)):
        errors.append(f"{SRC_REL}/{mod}: top-level module '{mod}' is not in the layer "
                      f"table: add it to ALLOWED in .ci/check_layers.py")

    files = []
    for dirpath, dirnames, filenames in os.walk(SRC):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(".rs"):
                files.append(os.path.relpath(os.path.join(dirpath, f), SRC).replace(os.sep, "/"))

    violations = []
    edges = Counter()
    checked = 0
    unknown_targets = set()
    for rel in files:
        frm = rel.split("/")[0]
        if frm.endswith(".rs"):
            frm = frm[:-3]
        with open(os.path.join(SRC, rel), encoding="utf-8") as fh:
            text = fh.read()
        for line, to, shown in scan_file(rel, text):
            checked += 1
            if to == frm:
                continue
            edges[(frm, to)] += 1
            if to not in ALLOWED:
                if to not in unknown_targets:
                    unknown_targets.add(to)
                    errors.append(f"{SRC_REL}/{rel}:{line}: {shown} names '{to}', which is "
                                  f"not a module in the layer table: add it to ALLOWED in "
                                  f".ci/check_layers.py")
                continue
            if frm not in ALLOWED:
                continue  # reported above
            if ALLOWED[frm] != ANY and to not in ALLOWED[frm]:
                violations.append(f"{SRC_REL}/{rel}:{line}: {frm} -> {to} ({shown}) is not "
                                  f"allowed: {frm} may import {allowed_text(frm)}")

    if args.graph:
        for (frm, to), count in sorted(edges.items()):
            a = ALLOWED.get(frm)
            bad = a is None or to not in ALLOWED or (a != ANY and to not in a)
            print(f"{frm} -> {to}: {count}" + ("   NOT ALLOWED" if bad else ""))
        return 0

    for v in violations:
        print(v)
    for e in errors:
        print(e)
    if violations or errors:
        per_edge = Counter(v.split(": ", 2)[1].split(" (")[0] for v in violations)
        print(f"\n{len(violations)} forbidden imports in {len(per_edge)} module edges"
              + (f", {len(errors)} table errors" if errors else "")
              + f" ({len(files)} files, {checked} imports checked)")
        for edge, count in sorted(per_edge.items()):
            print(f"  {edge}: {count}")
        return 1
    print(f"layers ok: {len(files)} files, {checked} imports checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
