"""Show and replay dead-lettered records (docs/runbook.md).

    python dlq_replay.py show  activity.scored.v1.dlq [--partition 0] [--from-offset 0] [--limit 20]
    python dlq_replay.py replay activity.scored.v1.dlq --offset 42 [--partition 0] [--yes]

`replay` publishes the record's exact key, body and original headers (event-id included, the
dlq-* headers dropped) back to the topic named in its `dlq-original-topic` header. The event id
is unchanged, so every consumer group that already handled the event skips it as a duplicate;
only the group that dead-lettered it processes it now. Replay only after the cause is fixed.

Needs only aiokafka (present in every service image and in the uv workspace). Connection from
the services' own variables: KINERJA_KAFKA_BOOTSTRAP (default 127.0.0.1:9092) and, for the
production listener, KINERJA_KAFKA_SECURITY_PROTOCOL=SASL_SSL, KINERJA_KAFKA_SASL_MECHANISM,
KINERJA_KAFKA_SASL_USERNAME, KINERJA_KAFKA_SSL_CAFILE; the password from
KINERJA_KAFKA_SASL_PASSWORD or, with --password-stdin, from standard input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.helpers import create_ssl_context

DLQ_PREFIX = "dlq-"
ORIGINAL_TOPIC = "dlq-original-topic"


def connection(password_stdin: bool) -> dict:
    conf: dict = {"bootstrap_servers": os.environ.get("KINERJA_KAFKA_BOOTSTRAP", "127.0.0.1:9092")}
    protocol = os.environ.get("KINERJA_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    conf["security_protocol"] = protocol
    if protocol.startswith("SASL"):
        password = sys.stdin.readline().strip() if password_stdin else os.environ["KINERJA_KAFKA_SASL_PASSWORD"]
        conf.update(
            sasl_mechanism=os.environ.get("KINERJA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            sasl_plain_username=os.environ["KINERJA_KAFKA_SASL_USERNAME"],
            sasl_plain_password=password,
        )
    if protocol.endswith("SSL"):
        conf["ssl_context"] = create_ssl_context(cafile=os.environ.get("KINERJA_KAFKA_SSL_CAFILE"))
    return conf


async def read(conf: dict, topic: str, partition: int, offset: int, limit: int) -> list:
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(**conf, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        consumer.seek(tp, offset)
        records = []
        while len(records) < limit and await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=5000, max_records=limit - len(records))
            if not batch:
                break
            records.extend(batch.get(tp, []))
        return records
    finally:
        await consumer.stop()


def describe(record) -> str:
    headers = "\n".join(f"    {k}: {v.decode(errors='replace')}" for k, v in record.headers or [])
    key = record.key.decode(errors="replace") if record.key is not None else None
    return (f"{record.topic}[{record.partition}]@{record.offset}  key={key}\n{headers}\n"
            f"    body: {record.value.decode(errors='replace')[:2000]}\n")


async def show(conf: dict, args) -> None:
    records = await read(conf, args.topic, args.partition, args.from_offset, args.limit)
    for record in records:
        print(describe(record))
    print(f"{len(records)} record(s)")


async def replay(conf: dict, args) -> None:
    records = await read(conf, args.topic, args.partition, args.offset, 1)
    if not records or records[0].offset != args.offset:
        sys.exit(f"no record at {args.topic}[{args.partition}]@{args.offset}")
    record = records[0]
    headers = dict(record.headers or [])
    if ORIGINAL_TOPIC not in headers:
        sys.exit("the record has no dlq-original-topic header: not a Kinerja dead letter")
    target = headers[ORIGINAL_TOPIC].decode()
    kept = [(k, v) for k, v in record.headers if not k.startswith(DLQ_PREFIX)]
    print(describe(record))
    if not args.yes and not sys.stdin.isatty():
        sys.exit("standard input is not a terminal: confirm with --yes")
    if not args.yes and input(f"replay to {target}? [y/N] ").strip().lower() != "y":
        sys.exit("not replayed")
    producer = AIOKafkaProducer(**conf, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        meta = await producer.send_and_wait(target, record.value, key=record.key, headers=kept)
    finally:
        await producer.stop()
    print(f"replayed to {meta.topic}[{meta.partition}]@{meta.offset}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--password-stdin", action="store_true", help="read the SASL password from stdin")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="print dead letters with their headers")
    s.add_argument("topic")
    s.add_argument("--partition", type=int, default=0)
    s.add_argument("--from-offset", type=int, default=0)
    s.add_argument("--limit", type=int, default=20)
    r = sub.add_parser("replay", help="publish one dead letter back to its original topic")
    r.add_argument("topic")
    r.add_argument("--partition", type=int, default=0)
    r.add_argument("--offset", type=int, required=True)
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = p.parse_args()
    if not args.topic.endswith(".dlq"):
        p.error("give a dead-letter topic (<topic>.dlq)")
    conf = connection(args.password_stdin)
    asyncio.run(show(conf, args) if args.command == "show" else replay(conf, args))


if __name__ == "__main__":
    main()
