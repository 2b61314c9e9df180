#!/usr/bin/env python3
"""Wait until a Kafka broker answers a real metadata request.

A TCP connect is not readiness: the broker binds its port before it serves requests. Here
"ready" means an aiokafka admin client bootstraps (ApiVersions + Metadata round trip) and
``describe_cluster()`` returns at least one broker. Retries until success or the deadline.

Usage: python scripts/wait_kafka.py [--bootstrap 127.0.0.1:9092] [--timeout 90]
Exit status: 0 ready, 1 deadline passed, 2 aiokafka missing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="bootstrap servers (host:port[,host:port])")
    p.add_argument("--timeout", type=float, default=90.0, help="overall deadline in seconds (default 90)")
    p.add_argument("--interval", type=float, default=0.5, help="pause between attempts in seconds")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.add_argument("-v", "--verbose", action="store_true", help="show aiokafka's own log output")
    return p.parse_args(argv)


async def probe(bootstrap: str, attempt_timeout: float) -> dict:
    from aiokafka.admin import AIOKafkaAdminClient

    timeout_ms = max(1000, int(attempt_timeout * 1000))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        await asyncio.wait_for(admin.start(), attempt_timeout)
        cluster = await asyncio.wait_for(admin.describe_cluster(), attempt_timeout)
        if not cluster.get("brokers"):
            raise RuntimeError("metadata response lists no brokers yet")
        return cluster
    finally:
        try:
            await asyncio.wait_for(admin.close(), 5)
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass


async def wait_ready(bootstrap: str, timeout: float, interval: float) -> tuple[bool, str, int]:
    deadline = time.monotonic() + timeout
    attempts = 0
    last_error = "no attempt made"
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, last_error, attempts
        try:
            cluster = await probe(bootstrap, min(10.0, remaining))
            brokers = ", ".join(f"{b['node_id']}@{b['host']}:{b['port']}" for b in cluster["brokers"])
            return True, f"cluster {cluster.get('cluster_id')} brokers [{brokers}]", attempts
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last_error = f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.verbose:
        # aiokafka logs every refused connection at ERROR; retries are expected here.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL + 1)
    try:
        import aiokafka  # noqa: F401
    except ImportError:
        print("wait_kafka: aiokafka is not installed for " + sys.executable, file=sys.stderr)
        return 2

    started = time.monotonic()
    ok, detail, attempts = asyncio.run(wait_ready(args.bootstrap, args.timeout, args.interval))
    elapsed = time.monotonic() - started
    if ok:
        if not args.quiet:
            print(f"wait_kafka: {args.bootstrap} ready after {elapsed:.1f}s ({attempts} attempts): {detail}")
        return 0
    print(
        f"wait_kafka: {args.bootstrap} not ready after {elapsed:.1f}s ({attempts} attempts); last error: {detail}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
