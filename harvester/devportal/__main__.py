"""python -m harvester.devportal serve --port 8765 --registry data/demo-sites.csv [--seed N] [--fault site:name]
                                     [--obstacles] [--variants N] [--province]

Serves the simulated portals until killed and prints their URLs. `expected` prints the ground truth
as JSON lines (URLs for the given port).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .faults import FAULTS
from .server import start_world, write_registry
from .world import build_world


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harvester.devportal", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sv = sub.add_parser("serve", help="serve the simulated portals on loopback until killed")
    sv.add_argument("--port", type=int, default=8765, help="port of every site (0: an ephemeral port each)")
    sv.add_argument("--host-base", default="127.0.0.2", help="address of the first site; the others follow")
    sv.add_argument("--registry", default=None, help="write the registry CSV here")
    sv.add_argument("--seed", type=int, default=2024)
    sv.add_argument("--fault", action="append", default=[], metavar="SITE:NAME",
                    help=f"switch a fault on (known: {', '.join(FAULTS)})")
    sv.add_argument("--obstacles", action="store_true", help="add one site per obstacle, its fault switched on")
    sv.add_argument("--chaos", type=float, default=None, metavar="RATE",
                    help="a failing web on every site (devportal/chaos.py): RATE of requests faulted once, e.g. 0.05")
    sv.add_argument("--variants", type=int, default=0, metavar="N",
                    help="serve the variant portals instead: seeds 0…N-1 of every CMS family (devportal/variants.py)")
    sv.add_argument("--province", action="store_true",
                    help="serve the simulated province (devportal/province.py) and print its home page: the seed "
                         "of `harvester discover`; SIGUSR1 applies its overnight changes")
    ex = sub.add_parser("expected", help="print the ground truth as JSON lines")
    ex.add_argument("--port", type=int, default=8765)
    ex.add_argument("--host-base", default="127.0.0.2")
    ex.add_argument("--seed", type=int, default=2024)
    ex.add_argument("--obstacles", action="store_true", help="with the obstacle sites")
    ex.add_argument("--variants", type=int, default=0, metavar="N", help="the variant portals, seeds 0…N-1")
    args = ap.parse_args(argv)

    if args.cmd == "serve" and args.province:
        return _serve_province(args)
    if args.variants:
        from .variants import variant_world
        world = variant_world(range(args.variants))
    else:
        world = build_world(args.seed, obstacles=args.obstacles)
    if args.cmd == "expected":
        from .server import site_host
        bases = {s.site_id: f"http://{site_host(args.host_base, s.index)}:{args.port}" for s in world.sites}
        for r in world.expected_reports(bases):
            print(json.dumps({k: v for k, v in r.__dict__.items() if k != "cells"}, ensure_ascii=False))
        return 0

    for spec in args.fault:
        site_id, _, name = spec.partition(":")
        if name not in FAULTS:
            ap.error(f"unknown fault {name!r}")
        world.site(site_id).faults.add(name)
    if args.chaos is not None:
        for s in world.sites:
            s.faults.add("chaos")
            s.fault_state["chaos_rate"] = args.chaos
    running = start_world(world, host_base=args.host_base, port=args.port)
    if args.registry:
        write_registry(running, args.registry)
        print(f"registry: {args.registry}")
    for s in world.sites:
        state = f" ({', '.join(sorted(s.faults))})" if s.faults else ""
        print(f"{s.site_id:10s} {running.start_url(s.site_id)}{state}  年报: {running.url(s.site_id, s.nb_path)}")
    print(f"{len(world.reports)} expected reports; Ctrl-C to stop", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    running.stop()
    return 0


def _serve_province(args) -> int:
    from .province import province_world, seed_url, start_province
    pw = province_world()
    running = start_province(pw, host_base=args.host_base, port=args.port)
    print(f"province home page (the discovery seed): {seed_url(running)}")
    print(f"{len(pw.truth(running))} sites and columns to discover, {len(pw.live_reports())} reports; "
          f"kill -USR1 {__import__('os').getpid()} to apply the changes; Ctrl-C to stop", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGUSR1, lambda *a: print(f"changed: {pw.change(running)}", flush=True))
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
