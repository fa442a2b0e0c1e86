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

Usage: validate_openapi.py [--closed] OPENAPI.yaml [INPUT.jsonl|-]

--closed: treat every named object schema that declares `properties` but says
nothing about `additionalProperties` as closed (additionalProperties: false).
The spec leaves a few open (ConversationRequestBase, GuardrailConfig, the
moderation configs and thresholds, ValidationError, ...); a writer that must
send "only what the spec allows" is checked against the closed form. Inline
sub-schemas are left alone, so `allOf` extensions (ConversationRequest =
ConversationRequestBase + stream) keep working.
"""

import json
import sys

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


def load_spec(path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, "rb") as f:
        return yaml.load(f, Loader=loader)


def close_objects(schemas):
    for schema in schemas.values():
        if isinstance(schema, dict) and "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False


def main(argv):
    closed = "--closed" in argv[1:]
    argv = [arg for arg in argv if arg != "--closed"]
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    spec = load_spec(argv[1])
    components = spec["components"]
    if closed:
        close_objects(components["schemas"])
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
        # best_match descends into anyOf/oneOf alternatives, so the message
        # names the deepest field that is wrong, not just "not valid under any".
        best = best_match(validator.iter_errors(item["instance"]))
        if best is not None:
            failed += 1
            path = "/".join(str(p) for p in best.absolute_path) or "(root)"
            print("%s: %s rejected at %s: %s" % (where, name, path, best.message[:300]))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
