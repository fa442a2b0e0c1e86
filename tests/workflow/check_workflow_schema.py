#!/usr/bin/env python3
"""The JSON Schema of the workflow format and the loader agree.

    check_workflow_schema.py SCHEMA WORKFLOWS_DIR INVALID_DIR [SWITCHBOARD]

- every workflow in WORKFLOWS_DIR (*.yaml except the emulator scripts,
  *.script.yaml) validates against SCHEMA;
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


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def schema_problems(validator, document):
    return sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    schema_path, workflows_dir, invalid_dir = argv[1:4]
    switchboard = argv[4] if len(argv) == 5 else None
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)

    failures = 0
    examples = sorted(p for p in glob.glob(os.path.join(workflows_dir, "*.yaml"))
                      if not p.endswith(".script.yaml"))
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
