"""``python -m harvester.demo --datasets N --port P --seed S``: serve a demo portal until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from harvester.demo.portal import DEFAULT_SIZE, DemoPortal, serve


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m harvester.demo",
                                     description="Serve a demo CKAN portal of Jinan's departments.")
    parser.add_argument("--datasets", type=int, default=DEFAULT_SIZE, help="how many datasets the portal holds")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated datasets")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    running = serve(DemoPortal(arguments.datasets, arguments.seed), arguments.host, arguments.port)
    print(f"demo portal with {arguments.datasets} datasets (seed {arguments.seed}) at {running.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
