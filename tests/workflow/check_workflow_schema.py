#!/usr/bin/env python3
"""The JSON Schema of the workflow format and the loader agree.

    check_workflow_schema.py SCHEMA OPENAPI WORKFLOWS_DIR INVALID_DIR [SWITCHBOARD]

- the API definitions SCHEMA embeds (an agent's completion_args and
  guardrails: CompletionArgs, GuardrailConfig and every schema they reference)
  are the OpenAPI document's, rewritten as api_definitions() does; on drift the
  expected definitions are printed, to paste into SCHEMA's "definitions";
- every workflow in WORKFLOWS_DIR (*.yaml; the emulator scripts are in its
  scripts/) validates against SCHEMA;
- every fixture in INVALID_DIR is rejected by SCHEMA;
- with SWITCHBOARD (the program), `switchboard validate` accepts every example
  (exit 0) and rejects every fixture (exit 2), so schema and loader agree.

Needs python3-jsonschema and python3-yaml. Exits 1 on any disagreement.
"""

import glob
import json
import os
import subprocess
import sys

import jsonschema
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))
from extract_request_schemas import referenced_schemas  # noqa: E402  (one walk of the spec's $refs)


# The API schemas the loader checks an agent's values against (RequestValidator,
# runtime/api/requestschemas.json), embedded in SCHEMA under the same names.
API_ROOTS = ["CompletionArgs", "GuardrailConfig"]
SPEC_PREFIX = "#/components/schemas/"


def rewrite(node):
    """An OpenAPI 3.1 schema as a draft-07 definition of SCHEMA.

    References point into "definitions"; the vendor extensions (x-...) go;
    objects without `additionalProperties` are closed, since the loader, like
    the server, refuses a key the schema does not list (the spec leaves some of
    them open). Nothing else needs converting for these schemas: const, enum,
    anyOf with {type: null}, minimum/maximum mean the same in draft-07 (the
    `default` beside a $ref is an annotation draft-07 ignores).
    """
    if isinstance(node, list):
        return [rewrite(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-"):
            continue
        if key == "$ref":
            assert value.startswith(SPEC_PREFIX), value
            out[key] = "#/definitions/" + value[len(SPEC_PREFIX):]
        elif key == "properties":
            out[key] = {name: rewrite(schema) for name, schema in value.items()}
        else:
            out[key] = rewrite(value)
    if (node.get("type") == "object" or "properties" in node) and "additionalProperties" not in node:
        out["additionalProperties"] = False
    return out


def api_definitions(spec):
    """API_ROOTS and the schemas they reference, rewritten, by name."""
    schemas = spec["components"]["schemas"]
    names = referenced_schemas(schemas, API_ROOTS)
    return {name: rewrite(schemas[name]) for name in names}


def definition_drift(schema, spec):
    """The problems of SCHEMA's embedded API definitions against the spec's."""
    expected = api_definitions(spec)
    definitions = schema.get("definitions", {})
    problems = []
    for name, definition in expected.items():
        if name not in definitions:
            problems.append(f"'{name}' is missing")
        elif definitions[name] != definition:
            problems.append(f"'{name}' differs from the spec's")
    # The workflow's own definitions are lowerCamelCase; an API one (UpperCamelCase)
    # the spec no longer reaches from API_ROOTS is stale.
    for name in definitions:
        if name[:1].isupper() and name not in expected:
            problems.append(f"'{name}' is not among the spec's definitions for {', '.join(API_ROOTS)}")
    return problems, expected


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def schema_problems(validator, document):
    return sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))


def main(argv):
    if len(argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    schema_path, spec_path, workflows_dir, invalid_dir = argv[1:5]
    switchboard = argv[5] if len(argv) == 6 else None
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)

    failures = 0
    with open(spec_path, "rb") as f:
        spec = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    drift, expected = definition_drift(schema, spec)
    for problem in drift:
        failures += 1
        print(f"FAIL: {schema_path}: the API definition {problem} (in {spec_path})")
    if drift:
        # The checks below would measure against the wrong definitions (or a missing one).
        print("The definitions as the spec has them:\n" + json.dumps(expected, indent=4)[1:-1].strip("\n"))
        print(f"{failures} failure(s)")
        return 1
    print(f"ok: the API definitions of {schema_path} match {spec_path}")

    examples = sorted(glob.glob(os.path.join(workflows_dir, "*.yaml")))
    fixtures = sorted(glob.glob(os.path.join(invalid_dir, "*.yaml")))
    if not examples or not fixtures:
        print(f"FAIL: nothing to check (examples: {len(examples)}, fixtures: {len(fixtures)})")
        return 1

    for path in examples:
        problems = schema_problems(validator, load_yaml(path))
        if problems:
            failures += 1
            for problem in problems:
                where = "/".join(str(p) for p in problem.absolute_path)
                print(f"FAIL: {path}: the schema rejects a valid example at '{where}': {problem.message}")
        else:
            print(f"ok: {path} validates against the schema")

    for path in fixtures:
        if validator.is_valid(load_yaml(path)):
            failures += 1
            print(f"FAIL: {path}: the schema accepts an invalid workflow")
        else:
            print(f"ok: {path} is rejected by the schema")

    if switchboard:
        env = dict(os.environ, MISTRAL_API_KEY="")
        for path, expected in [(p, 0) for p in examples] + [(p, 2) for p in fixtures]:
            result = subprocess.run([switchboard, "validate", "--quiet", path], env=env,
                                    capture_output=True, text=True, timeout=60)
            if result.returncode != expected:
                failures += 1
                print(f"FAIL: {path}: switchboard validate exited {result.returncode}, expected {expected}:\n"
                      f"{result.stderr}")
            else:
                print(f"ok: {path}: switchboard validate exited {expected}")

    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
