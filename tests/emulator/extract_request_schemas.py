#!/usr/bin/env python3
"""Extract the request-body schemas RequestValidator validates against.

The emulator refuses requests the real server would refuse (422), and the
workflow loader refuses completion_args and guardrails the server would refuse,
by walking the request schemas of the OpenAPI document. The runtime embeds only
those schemas (the transitive closure of the six Conversation*Request schemas
and of the two the loader names, documentation keywords removed) as
runtime/api/requestschemas.json, so the library does not carry the 1 MB document. This script writes that file, or with --check
verifies that the committed file still matches the document (a CTest runs it).

Usage: extract_request_schemas.py OPENAPI.yaml OUTPUT.json [--check]
"""

import json
import sys

import yaml

ROOTS = [
    "ConversationRequest", "ConversationStreamRequest",
    "ConversationAppendRequest", "ConversationAppendStreamRequest",
    "ConversationRestartRequest", "ConversationRestartStreamRequest",
    # The workflow loader validates these by name (workflowloader.cpp).
    "CompletionArgs", "GuardrailConfig",
]
DOC_KEYWORDS = {"title", "description", "examples", "x-speakeasy-name-override"}


def strip(node):
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DOC_KEYWORDS:
            continue
        if key == "properties":
            out[key] = {name: strip(schema) for name, schema in value.items()}
        else:
            out[key] = strip(value)
    return out


def referenced_schemas(schemas, roots):
    """The names of ROOTS and of every schema they reference, transitively,
    in the order they are first met (check_workflow_schema.py uses it too)."""
    names = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    name = value.rsplit("/", 1)[-1]
                    if name not in names:
                        names.append(name)
                        walk(schemas[name])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for root in roots:
        if root not in names:
            names.append(root)
            walk(schemas[root])
    return names


def extract(spec):
    schemas = spec["components"]["schemas"]
    return {name: strip(schemas[name]) for name in sorted(referenced_schemas(schemas, ROOTS))}


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--check"):
        print(__doc__, file=sys.stderr)
        return 2
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(argv[1], "rb") as f:
        spec = yaml.load(f, Loader=loader)
    text = json.dumps(extract(spec), indent=1, sort_keys=True) + "\n"
    if len(argv) == 4:
        with open(argv[2], encoding="utf-8") as f:
            if f.read() != text:
                print("%s is out of date; regenerate it with %s" % (argv[2], argv[0]))
                return 1
        print("%s matches %s" % (argv[2], argv[1]))
        return 0
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
