"""Shrinking an unsafe case to a minimal one that still shows the same
finding: drops setup steps, options (with their values), keys of option
lists and keys of JSON objects, one at a time, while the case stays
unsafe on one of the files it was first found unsafe on; until nothing
more can go.
"""
import copy
import json

import runner

# qemu-system options the grammar writes that take no value.
FLAGS = ("-snapshot",)


def groups(args):
    """args as [option, value] / [flag] / [bare image] lists."""
    out, i = [], 0
    while i < len(args):
        take = 2 if args[i].startswith("-") and args[i] not in FLAGS and \
            i + 1 < len(args) else 1
        out.append(args[i:i + take])
        i += take
    return out


def split_opts(value):
    """A QemuOpts/keyval list split at single commas (",," is a comma)."""
    parts, cur, i = [], "", 0
    while i < len(value):
        if value.startswith(",,", i):
            cur, i = cur + ",,", i + 2
        elif value[i] == ",":
            parts.append(cur)
            cur, i = "", i + 1
        else:
            cur, i = cur + value[i], i + 1
    return parts + [cur]


def json_paths(obj, path=()):
    """The path of every key and list item below obj."""
    items = obj.items() if isinstance(obj, dict) else \
        enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield path + (k,)
        yield from json_paths(v, path + (k,))


def without_path(obj, path):
    obj = copy.deepcopy(obj)
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    del parent[path[-1]]
    return obj


def value_variants(value):
    """Smaller forms of an option's value: one list key or one JSON key
    fewer."""
    if value.startswith("{"):
        try:
            obj = json.loads(value)
        except ValueError:
            return
        for p in list(json_paths(obj)):
            yield json.dumps(without_path(obj, p))
        return
    if value.startswith("json:") or "," not in value:
        return
    parts = split_opts(value)
    for i in range(len(parts)):
        yield ",".join(parts[:i] + parts[i + 1:])


def variants(case):
    """Each case one step smaller than case."""
    for i in range(len(case.setup)):
        yield runner.Case(case.name, case.setup[:i] + case.setup[i + 1:],
                          case.args, case.tags)
    gs = groups(case.args)
    for i, g in enumerate(gs):
        if g[0] == "-M":
            continue
        rest = gs[:i] + gs[i + 1:]
        yield runner.Case(case.name, case.setup, flatten(rest), case.tags)
    for i, g in enumerate(gs):
        for v in value_variants(g[-1]) if len(g) == 2 else ():
            new = gs[:i] + [[g[0], v]] + gs[i + 1:]
            yield runner.Case(case.name, case.setup, flatten(new), case.tags)


def flatten(gs):
    return [a for g in gs for a in g]


def files_of(result):
    return {f.split(": qemu ")[0] for f in result.findings}


def minimize(case, cfg, say):
    """The smallest case found that is unsafe like case on one of its
    files; say(text) tells the progress."""
    first = runner.run_case(case, cfg)
    if not first.unsafe():
        say("%s is %s, not unsafe: nothing to minimize" % (case.name,
                                                           first.cls))
        return None
    want = files_of(first)
    changed = True
    while changed:
        changed, k = False, 0
        while True:
            smaller = list(variants(case))
            if k >= len(smaller):
                break
            r = runner.run_case(smaller[k], cfg)
            if r.cls == first.cls and files_of(r) & want:
                # the k-th variant of the smaller case comes next
                case, changed = smaller[k], True
                say("%s: %d setup steps, %d arguments" % (
                    case.name, len(case.setup), len(case.args)))
            else:
                k += 1
    return runner.Case(case.name + "-min", case.setup, case.args)
