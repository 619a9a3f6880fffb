#!/usr/bin/env python3
"""Validates configuration files against visionwatch's JSON Schema with python3-jsonschema
(Debian 12: 4.10), as an editor would: YAML 1.2 scalars (`off`, `yes` and dates stay strings).

usage: check_schema.py SCHEMA FILE...

Checks that SCHEMA is a valid draft-07 schema, then prints one line per schema error of each
FILE: "FILE<TAB>PATH<TAB>MESSAGE", with PATH spelt as `visionwatch validate` spells it
(routes[0].interval; an unknown key is reported at its own path). Exit 0 when the files were
checked (errors or not), 2 when the schema or a file cannot be read.
"""
import json
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML with YAML 1.2 core schema scalars, as yaml-language-server reads a file."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$", "-+.0123456789"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern), list(first))


def dotted(parts):
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def paths_of(error):
    """The parser's path(s) of one schema error."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        return [dotted(path + [k]) for k in error.instance
                if k not in known and not any(p.search(k) for p in patterns)]
    schema_path = list(error.schema_path)
    if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
        return [dotted(path + [error.instance])]  # a bad key: reported at its own path
    return [dotted(path)]


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 2
    validator = jsonschema.Draft7Validator(schema)
    for name in argv[2:]:
        try:
            with open(name, encoding="utf-8") as f:
                document = yaml.load(f, Loader=Yaml12Loader)
        except (OSError, yaml.YAMLError) as e:
            print(f"{name}: {e}", file=sys.stderr)
            return 2
        for error in validator.iter_errors(document):
            message = " ".join(error.message.split())
            for path in paths_of(error):
                print(f"{name}\t{path}\t{message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
