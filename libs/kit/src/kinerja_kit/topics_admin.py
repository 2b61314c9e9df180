"""Create the registry's topics (and their dead-letter topics) on a broker.

    kinerja-topics create [--bootstrap 127.0.0.1:9092] [--replication 1]
"""

from __future__ import annotations

import argparse
import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kinerja_contracts.topics import all_topic_names, topic_config
from kinerja_kit.settings import ServiceSettings


async def create_topics(client_kwargs: dict, replication: int = 1) -> list[str]:
    """Create missing topics; returns the names created."""
    admin = AIOKafkaAdminClient(**client_kwargs)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = []
        for name in all_topic_names():
            if name in existing:
                continue
            _, partitions, config = topic_config(name)
            new.append(NewTopic(name, partitions, replication, topic_configs=config))
        if new:
            await admin.create_topics(new)
        return [t.name for t in new]
    finally:
        await admin.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("command", choices=["create"])
    p.add_argument("--bootstrap", default=None, help="default: KINERJA_KAFKA_BOOTSTRAP")
    p.add_argument("--replication", type=int, default=1)
    a = p.parse_args()
    settings = ServiceSettings(**({"kafka_bootstrap": a.bootstrap} if a.bootstrap else {}))
    created = asyncio.run(create_topics(settings.kafka_client_kwargs(), a.replication))
    print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else ""))


if __name__ == "__main__":
    main()
