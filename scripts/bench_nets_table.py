#!/usr/bin/env python3
"""Markdown table of ``ludus bench-nets`` against ``scripts/bench_nets_torch.py``.

Usage: bench_nets_table.py FILE.jsonl [FILE.jsonl ...]   (``-`` reads stdin)

Reads the JSON lines both benchmarks print (``{"impl":"ludus"|"pytorch","net":..,"mode":..,
"batch":..,"threads":..,"device":..,"ms":..,"iters":..}``), joins them on
(net, mode, batch, threads, device) and prints one row per key with the milliseconds per call
of each side and ``ludus/pytorch`` (below 1 means Ludus is faster). A side that did not measure a
key shows as ``-``. Lines that do not start with ``{`` (logs) are skipped; a malformed record is
an error, so a broken run cannot yield a quietly incomplete table.
"""

import json
import sys

IMPLS = ("ludus", "pytorch")
ORDER = {
    "net": ("resnet", "transformer", "lstm"),
    "mode": ("forward", "train"),
}


def read_records(paths):
    """Map (net, mode, batch, threads, device) -> {impl: ms}; a later duplicate wins."""
    table = {}
    for path in paths:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.lstrip().startswith("{"):
                    continue
                try:
                    rec = json.loads(line)
                    key = (str(rec["net"]), str(rec["mode"]), int(rec["batch"]),
                           int(rec["threads"]), str(rec["device"]))
                    impl, ms = str(rec["impl"]), float(rec["ms"])
                except (ValueError, KeyError, TypeError) as err:
                    sys.exit(f"bench_nets_table: error: {path}:{number}: bad record ({err}): "
                             f"{line.strip()}")
                if impl not in IMPLS:
                    sys.exit(f"bench_nets_table: error: {path}:{number}: unknown impl {impl!r}")
                if impl in table.get(key, {}):
                    print(f"bench_nets_table: warning: {path}:{number}: duplicate {impl} "
                          f"record for {key}, keeping the later one", file=sys.stderr)
                table.setdefault(key, {})[impl] = ms
    return table


def rank(field, value):
    """Known nets and modes in their usual order, unknown ones after them alphabetically."""
    known = ORDER[field]
    return (known.index(value) if value in known else len(known), value)


def sort_key(key):
    net, mode, batch, threads, device = key
    return (device, rank("net", net), rank("mode", mode), batch, threads)


def fmt_ms(ms):
    return "-" if ms is None else f"{ms:.3f}"


def main():
    paths = sys.argv[1:]
    if not paths or paths[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(0 if paths else 2)
    table = read_records(paths)
    if not table:
        sys.exit("bench_nets_table: error: no records in " + ", ".join(paths))

    print("| net | mode | batch | threads | device | ludus ms | pytorch ms "
          "| ratio (ludus/pytorch) |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for key in sorted(table, key=sort_key):
        net, mode, batch, threads, device = key
        ludus, torch = table[key].get("ludus"), table[key].get("pytorch")
        ratio = f"{ludus / torch:.2f}" if ludus is not None and torch else "-"
        cells = [net, mode, str(batch), str(threads), device, fmt_ms(ludus), fmt_ms(torch), ratio]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
