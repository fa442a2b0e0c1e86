#!/usr/bin/env python3
"""Validate JSON values against schemas of the Mistral OpenAPI document.

An independent check of what Switchboard writes (requests, entries, events) and
what its emulator emits (response bodies, SSE payloads): the validator is
python3-jsonschema, not our own code.

Input: JSON Lines, one object per line:
    {"schema": "ConversationRequest", "instance": {...}, "where": "free text"}
`schema` names an entry of `components.schemas`. Output: one line per rejected
instance, then a summary line "N passed, M failed". Exit status 1 if any
instance was rejected or a schema name is unknown, 2 on bad usage.

Usage: validate_openapi.py OPENAPI.yaml [INPUT.jsonl|-]
"""

import json
import sys

import yaml
from jsonschema import Draft202012Validator


def load_spec(path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, "rb") as f:
        return yaml.load(f, Loader=loader)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    spec = load_spec(argv[1])
    components = spec["components"]
    stream = sys.stdin if len(argv) == 2 or argv[2] == "-" else open(argv[2], encoding="utf-8")
    validators = {}
    passed = failed = 0
    for number, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        item = json.loads(line)
        name = item["schema"]
        where = item.get("where", "line %d" % number)
        if name not in components["schemas"]:
            print("%s: unknown schema %r" % (where, name))
            failed += 1
            continue
        validator = validators.get(name)
        if validator is None:
            # The document's internal $refs resolve against this wrapper.
            validator = Draft202012Validator({"$ref": "#/components/schemas/" + name,
                                              "components": components})
            validators[name] = validator
        errors = sorted(validator.iter_errors(item["instance"]), key=lambda e: list(e.path))
        if errors:
            failed += 1
            best = errors[0]
            path = "/".join(str(p) for p in best.absolute_path) or "(root)"
            print("%s: %s rejected at %s: %s" % (where, name, path, best.message[:300]))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
