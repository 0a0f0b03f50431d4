#!/usr/bin/env python3
"""validate.py - check JSON lines against tests/json/fetchtrace.schema.json.

Standard library only: implements the subset of JSON Schema (2020-12) the
schema uses - type, enum, const, properties, required, additionalProperties
(boolean), items, minimum, oneOf, anyOf and local $ref - and refuses a
schema that uses any other keyword, so the subset cannot silently grow.

    python3 tests/json/validate.py SCHEMA FILE...   (exit 0: every line valid)
"""
import json
import sys

KNOWN = {"type", "enum", "const", "properties", "required", "additionalProperties",
         "items", "minimum", "oneOf", "anyOf", "$ref", "description", "$schema", "$id",
         "title", "$defs"}


def check_schema(s, where="#"):
    if isinstance(s, dict):
        bad = set(s) - KNOWN
        if bad:
            raise SystemExit("schema %s: unsupported keyword(s) %s" % (where, sorted(bad)))
        if "additionalProperties" in s and not isinstance(s["additionalProperties"], bool):
            raise SystemExit("schema %s: additionalProperties must be a boolean" % where)
        for k, v in s.get("properties", {}).items():
            check_schema(v, where + "/properties/" + k)
        for k, v in s.get("$defs", {}).items():
            check_schema(v, where + "/$defs/" + k)
        if "items" in s:
            check_schema(s["items"], where + "/items")
        for k in ("oneOf", "anyOf"):
            for i, v in enumerate(s.get(k, [])):
                check_schema(v, "%s/%s/%d" % (where, k, i))


def type_ok(v, t):
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    raise SystemExit("schema: unknown type %r" % t)


class Validator:
    def __init__(self, root):
        self.root = root

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise SystemExit("schema: only local $ref supported: %s" % ref)
        s = self.root
        for part in ref[2:].split("/"):
            s = s[part]
        return s

    def errors(self, v, s, path="$"):
        """Yield (path, message) for each way v breaks s."""
        if "$ref" in s:
            yield from self.errors(v, self.resolve(s["$ref"]), path)
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(type_ok(v, t) for t in ts):
                yield path, "type %s, expected %s" % (type(v).__name__, ts)
                return
        if "const" in s and not (v == s["const"] and type(v) is type(s["const"])):
            yield path, "%r is not %r" % (v, s["const"])
        if "enum" in s and not any(v == e and type(v) is type(e) for e in s["enum"]):
            yield path, "%r not in %r" % (v, s["enum"])
        if "minimum" in s and type_ok(v, "number") and v < s["minimum"]:
            yield path, "%r below %r" % (v, s["minimum"])
        if isinstance(v, dict):
            props = s.get("properties", {})
            for k in s.get("required", []):
                if k not in v:
                    yield path, "missing %r" % k
            for k, x in v.items():
                if k in props:
                    yield from self.errors(x, props[k], path + "." + k)
                elif s.get("additionalProperties", True) is False:
                    yield path, "unexpected member %r" % k
        if isinstance(v, list) and "items" in s:
            for i, x in enumerate(v):
                yield from self.errors(x, s["items"], "%s[%d]" % (path, i))
        if "anyOf" in s:
            if not any(not list(self.errors(v, sub, path)) for sub in s["anyOf"]):
                yield path, "matches none of anyOf"
        if "oneOf" in s:
            res = [list(self.errors(v, sub, path)) for sub in s["oneOf"]]
            ok = sum(1 for r in res if not r)
            if ok != 1:
                if ok == 0:
                    # report the errors of the branch whose "type" const matches, if any
                    best = min(res, key=len)
                    yield from best
                yield path, "matches %d of oneOf, expected 1" % ok


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: validate.py SCHEMA FILE...")
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    check_schema(schema)
    val = Validator(schema)
    bad = 0
    for name in sys.argv[2:]:
        with open(name, "rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    obj = json.loads(raw.decode("utf-8", errors="strict"))
                except (UnicodeDecodeError, ValueError) as e:
                    print("%s:%d: not JSON: %s" % (name, n, e))
                    bad += 1
                    continue
                errs = list(val.errors(obj, schema))
                for p, m in errs[:5]:
                    print("%s:%d: %s: %s" % (name, n, p, m))
                bad += bool(errs)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
