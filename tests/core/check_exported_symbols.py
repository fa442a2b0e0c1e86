#!/usr/bin/env python3
"""The symbols Switchboard's libraries export, against a reviewed list.

For each library: the dynamic symbols it defines with strong binding (the
functions and data it exports on purpose; weak ones are inline functions and
template instances the compiler emits as it sees fit), demangled by nm. The
test fails when the set differs from the checked-in list, and when an
exported name is declared in no public header (an internal class or function
exported by accident).

    check_exported_symbols.py --nm NM --headers DIR --lists DIR LIB... [--update]

--update rewrites the lists from the libraries (review the diff, then commit).
"""

import argparse
import os
import re
import subprocess
import sys

# Symbols every shared object defines, and those the sanitizers and coverage
# tools add: not ours.
IGNORED = re.compile(r"^(_init|_fini|_edata|_end|__bss_start|__(a|ub|)san|___asan|__odr_asan|__sanitizer|__sancov|__gcov|__llvm)")
# nm's prefixes for compiler-made symbols of a class.
SPECIAL = re.compile(r"^(vtable for |typeinfo for |typeinfo name for |VTT for |construction vtable for |"
                     r"non-virtual thunk to |virtual thunk to |covariant return thunk to |guard variable for )")


# What Q_PLUGIN_METADATA defines in a plugin module: Qt's entry points.
QT_PLUGIN_ENTRY_POINTS = {"qt_plugin_instance", "qt_plugin_query_metadata", "qt_plugin_query_metadata_v2"}
# A name in Switchboard's namespace as nm prints it, and what follows it.
SWITCHBOARD_NAME = re.compile(r"Switchboard::((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_~][A-Za-z0-9_]*)(.?)")


def exported(nm, library):
    """The strong symbols (what the reviewed list holds) and the weak ones of
    Switchboard's namespace (vtables, template instances: not listed, since
    the compiler emits them as it sees fit, but checked against the headers)."""
    output = subprocess.run([nm, "-D", "--defined-only", "--demangle", library], check=True,
                            capture_output=True, text=True).stdout
    strong, weak = set(), set()
    for line in output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) != 3:
            continue
        kind, name = parts[1], parts[2]
        if IGNORED.match(name):
            continue
        # Strong, global: T (code), D/B/R/G/S (data). Weak: W, V, u.
        if kind in "TDBRGS":
            strong.add(name)
        elif kind in "WVu" and "Switchboard::" in name:
            weak.add(name)
    return sorted(strong), sorted(weak)


def undeclared(symbols, header_words, own=True):
    """The symbols that name a class, namespace or free function of
    Switchboard's namespace that no public header declares: in the symbol's
    own scope and in its parameter and template argument types alike. With
    `own`, a symbol outside Switchboard's namespace is one too (the weak
    ones may be instances of std templates for our types)."""
    missing = []
    for symbol in symbols:
        if symbol in QT_PLUGIN_ENTRY_POINTS:
            continue
        name = SPECIAL.sub("", symbol)
        if own and not name.startswith("Switchboard::"):
            missing.append(symbol)
            continue
        words = []
        for match in SWITCHBOARD_NAME.finditer(name):
            components = match.group(1).split("::")
            # A member function or variable: its own name is moc's or the
            # compiler's as often as ours; its class must be declared.
            if len(components) > 1 and (match.group(2) in ("(", "") or match.start() == 0):
                components = components[:-1]
            words += [c for c in components if not c.startswith(("operator", "~"))]
        if any(word not in header_words for word in words):
            missing.append(symbol)
    return missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nm", default="nm")
    parser.add_argument("--headers", required=True, help="the public headers' directory")
    parser.add_argument("--lists", required=True, help="where the reviewed lists are")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("libraries", nargs="+")
    args = parser.parse_args()

    header_words = set()
    for root, _, files in os.walk(args.headers):
        for file in files:
            if file.endswith((".h", ".h.in")):
                with open(os.path.join(root, file), encoding="utf-8") as f:
                    # The code only: a class named in a comment is not declared.
                    code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", f.read(), flags=re.S)
                    header_words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))

    failed = False
    for library in args.libraries:
        base = re.sub(r"\.so.*$", "", os.path.basename(library))
        list_file = os.path.join(args.lists, base + ".txt")
        symbols, weak = exported(args.nm, library)
        if args.update:
            with open(list_file, "w", encoding="utf-8") as f:
                f.write("".join(s + "\n" for s in symbols))
            print(f"{list_file}: {len(symbols)} symbols")
            continue
        try:
            with open(list_file, encoding="utf-8") as f:
                reviewed = [line.rstrip("\n") for line in f if line.strip()]
        except FileNotFoundError:
            reviewed = []
        added = sorted(set(symbols) - set(reviewed))
        removed = sorted(set(reviewed) - set(symbols))
        if added or removed:
            failed = True
            print(f"{os.path.basename(library)} exports other symbols than {list_file} lists:")
            for symbol in added:
                print(f"  + {symbol}")
            for symbol in removed:
                print(f"  - {symbol}")
        stray = undeclared(symbols, header_words) + undeclared(weak, header_words, own=False)
        if stray:
            failed = True
            print(f"{os.path.basename(library)} exports names that no public header declares "
                  f"(an internal class or function exported by accident?):")
            for symbol in stray:
                print(f"  ! {symbol}")
    if failed:
        print()
        print("An export is API: add one only on purpose. If the change is deliberate (a new")
        print("public class or function, a removed one), update the lists and commit them")
        print("with the change, after reading the diff:")
        print("    cmake --build <build dir> --target update_exported_symbols")
        print("An internal class that tests need belongs in switchboard_internal or")
        print("switchboard_emulator_internal (runtime/CMakeLists.txt), not in the exports.")
        return 1
    if not args.update:
        print(f"exported symbols as listed ({len(args.libraries)} libraries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
