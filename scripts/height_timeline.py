#!/usr/bin/env python3
"""Where a height's time goes, from the driver's debug events of a kept bench network.

    scripts/bench.sh --rate 2000 --duration 20 --keep-dir \\
        --node-log "info,vellum_node::driver=debug"
    scripts/height_timeline.py /tmp/vellum-bench-XXXXXX

Reads node0.log .. nodeN.log in the directory (the events `height started`, `block built`,
`safety state persisted`, `proposal sent`, `proposal received`, `block validated`, `vote
sent`, `block durable`, and the `committed` lines). For every height that every node committed (the first and
last 20 left out as warm-up and drain), it measures each step from the proposer's own start of
the height, and the other nodes' steps from their own receipt of the proposal, and prints the
median and p90 of each, in milliseconds, how many proposals' safety batches carried the
block below (the block writer had not stored it yet), the proposal's trip, and how long after
its commit each validator's block writer had the block durable (then it is announced).
"""

import collections
import datetime
import pathlib
import re
import statistics
import sys

LINE = re.compile(r"^(\S+)Z\s+\w+\s+\S+: (.*)$")


def events(log):
    """{height: {event name: first time in ms}} and, per proposal, the blocks its safety batch
    carried."""
    by_height = collections.defaultdict(dict)
    waits = []
    previous = None
    current = 0
    for line in log.read_text(errors="replace").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        t = datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1000
        text = m.group(2)
        h = re.search(r"\bheight=(\d+)", text)
        height = int(h.group(1)) if h else current
        name = re.split(r" (height|pending_blocks|micros)=", text)[0].strip()
        if name == "vote sent":
            name = "vote " + re.search(r"kind=(\w+)", text).group(1).lower()
        elif name == "height started":
            current = height
        elif name == "proposal sent" and previous and previous[0] == "safety state persisted":
            waits.append(previous[1])
        if name == "safety state persisted":
            carried = re.search(r"pending_blocks=(\d+)", text)
            previous = (name, int(carried.group(1)) if carried else 0)
        else:
            previous = (name, 0)
        by_height[height].setdefault(name, t)
    return by_height, waits


def summary(name, values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    print(f"  {name:<44} p50 {statistics.median(values):7.2f}  p90 {p90:7.2f}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = pathlib.Path(sys.argv[1])
    logs = sorted(directory.glob("node*.log"))
    if not logs:
        sys.exit(f"no node*.log in {directory}")
    nodes = []
    waits = []
    for log in logs:
        by_height, w = events(log)
        nodes.append(by_height)
        waits.extend(w)
    heights = sorted(
        h for h in set.intersection(*(set(n) for n in nodes))
        if all("committed" in n[h] for n in nodes)
    )[20:-20]
    proposer_steps = collections.defaultdict(list)
    other_steps = collections.defaultdict(list)
    trip = collections.defaultdict(list)
    durable = collections.defaultdict(list)
    intervals = []
    for h in heights:
        senders = [n for n in nodes if "proposal sent" in n[h]]
        if len(senders) != 1 or "height started" not in senders[0][h]:
            continue
        p = senders[0][h]
        start = p["height started"]
        for name in ("block built", "safety state persisted", "proposal sent", "committed"):
            if name in p:
                proposer_steps[name].append(p[name] - start)
        for n in nodes:
            e = n[h]
            if e is p or "proposal received" not in e:
                continue
            received = e["proposal received"]
            if "proposal sent" in p:
                trip["proposal received, after it was sent"].append(received - p["proposal sent"])
            for name in ("block validated", "vote prevote", "vote precommit", "committed"):
                if name in e:
                    other_steps[name].append(e[name] - received)
        for n in nodes:
            if "block durable" in n[h]:
                durable["block durable (stored, synced)"].append(n[h]["block durable"] - n[h]["committed"])
        if h - 1 in heights:
            intervals.append(
                min(n[h]["committed"] for n in nodes) - min(n[h - 1]["committed"] for n in nodes)
            )
    if not proposer_steps:
        sys.exit("no height with debug events: run the nodes with vellum_node::driver=debug")
    print(f"{len(heights)} heights; commit interval p50 {statistics.median(intervals):.2f} ms")
    print("proposer, ms after its own start of the height:")
    for name, values in proposer_steps.items():
        summary(name, values)
    if waits:
        carried = sum(1 for w in waits if w > 0)
        print(f"  {carried} of {len(waits)} proposals carried the block below in their safety batch")
    print("other validators, ms after they received the proposal:")
    for name, values in other_steps.items():
        summary(name, values)
    print("on the network's clock (one machine):")
    for name, values in trip.items():
        summary(name, values)
    if durable:
        print("every validator, ms after its own commit of the height:")
        for name, values in durable.items():
            summary(name, values)


if __name__ == "__main__":
    main()
