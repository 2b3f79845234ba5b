"""Benchmark: what-if throughput and latency of the web planner's API with 32 concurrent clients.

Usage: ``.venv/bin/python bench/serve.py [--run RUN_DIR] [--clients 32] [--requests 4000] [--seconds 30]``.
RUN_DIR needs a surface; without ``--run`` the bench posterior (as ``bench/surface.py``
fits it) is fitted and its surface built first. The server is ``mixscope serve``
in its own process on 127.0.0.1 (loopback only); the clients are asyncio tasks
in this process, each with its own keep-alive connection, posting random plans
to ``/api/evaluate``. The client speaks minimal HTTP/1.1 over asyncio streams
(as wrk would): a full HTTP library costs more CPU per request than the server
spends answering, and both share the same two cores. Two loads:

- ``saturated``: every client sends its next query as soon as the last one is
  answered (the server's ceiling; latency here is mostly queueing);
- ``paced``: every client sends one query per ``--interval`` seconds (a planner
  dragging a slider: the page coalesces input into a query every ~40 ms at most).

Bounded by ``--requests`` and ``--seconds`` per load, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import report  # noqa: E402

HOST = "127.0.0.1"  # never anything else: this bench must not listen beyond the machine


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(run_dir: Path, port: int) -> subprocess.Popen:
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "mixscope", "serve", str(run_dir), "--host", HOST, "--port", str(port)],
        env={**os.environ, "MIXSCOPE_NO_PROGRESS": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def _request(port: int, plan: dict[str, float]) -> bytes:
    body = json.dumps({"spend": plan}).encode()
    head = (f"POST /api/evaluate HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request on a keep-alive connection; read the whole response; return its status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def load(port: int, channels: list[str], current: np.ndarray, clients: int, requests: int,
               seconds: float, interval: float | None, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    # Plans within ±50% of current spend per channel: what a planner explores around today's mix.
    plans = [_request(port, {name: float(v) for name, v in
                             zip(channels, current * rng.uniform(0.5, 1.5, current.size), strict=True)})
             for _ in range(512)]
    latencies: list[float] = []
    errors = 0
    issued = 0
    stop_at = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal errors, issued
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            next_send = time.perf_counter() + (interval or 0) * index / clients  # stagger paced clients
            while issued < requests and time.perf_counter() < stop_at:
                if interval:
                    await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
                    next_send += interval
                issued += 1
                started = time.perf_counter()
                status = await _exchange(reader, writer, plans[issued % len(plans)])
                latencies.append(time.perf_counter() - started)
                errors += status != 200
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall = time.perf_counter() - began
    values = np.array(latencies) * 1000
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "max_ms": round(float(values.max()), 2),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="run directory with a surface (default: fit the bench run)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4000, help="per load, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="per load, at most")
    parser.add_argument("--interval", type=float, default=0.25, help="paced load: seconds between a client's "
                                                                     "queries")
    args = parser.parse_args()
    run_dir = args.run
    if run_dir is None:
        from surface import fit_bench_run

        from mixscope.surface.build import build_surface

        run_dir = fit_bench_run(Path(tempfile.mkdtemp()))
        build_surface(run_dir)

    import httpx

    port = free_port()
    url = f"http://{HOST}:{port}"
    server = start_server(run_dir, port)
    try:
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()
        channels = [channel["name"] for channel in meta["channels"]]
        current = np.array([channel["current"] for channel in meta["channels"]])
        asyncio.run(load(port, channels, current, 4, 200, 10, None, 1))  # warm-up: first-call costs
        results = {}
        paced = f"paced {1 / args.interval:.3g}/s per client"
        for label, interval in (("saturated", None), (paced, args.interval)):
            figures = asyncio.run(load(port, channels, current, args.clients, args.requests, args.seconds,
                                       interval, 0))
            if interval:
                figures["interval_s"] = interval
            figures["cpus"] = os.cpu_count()
            figures["draws"] = meta["n_draws"]
            case = f"what-if /api/evaluate, {label}, {args.clients} clients, {meta['n_draws']} draws"
            results[case] = figures
    finally:
        server.terminate()
        server.wait(timeout=10)
    report("serve", results)


if __name__ == "__main__":
    main()
