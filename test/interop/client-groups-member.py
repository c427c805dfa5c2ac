"""A confluent-kafka (librdkafka) group member with a chosen assignment strategy, for
mixed groups with our consumer (test/interop/client-groups-librdkafka.test.ts).

Usage: client-groups-member.py BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS STRATEGY
Prints JSON lines: {"assigned": [partitions]} with the whole current assignment after
every change (cooperative strategies add and revoke incrementally), {"revoked": [...]}
for each revocation, and {"p", "o", "v"} per record. SIGTERM closes cleanly.
"""
import json
import signal
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, session, strategy = sys.argv[1:6]
running = True
owned = set()


def stop(_signum, _frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_assign(consumer, partitions):
    if strategy == "cooperative-sticky":
        owned.update(p.partition for p in partitions)
    else:
        owned.clear()
        owned.update(p.partition for p in partitions)
    emit({"assigned": sorted(owned)})


def on_revoke(consumer, partitions):
    revoked = sorted(p.partition for p in partitions)
    if strategy == "cooperative-sticky":
        owned.difference_update(revoked)
    else:
        owned.clear()
    emit({"revoked": revoked})
    emit({"assigned": sorted(owned)})


def on_lost(consumer, partitions):
    owned.clear()
    emit({"lost": sorted(p.partition for p in partitions)})
    emit({"assigned": []})


consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "session.timeout.ms": int(session),
    "heartbeat.interval.ms": 200,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 100,
    "fetch.wait.max.ms": 100,
    "broker.address.family": "v4",
    "partition.assignment.strategy": strategy,
})
consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
while running:
    msg = consumer.poll(0.05)
    if msg is None or msg.error():
        continue
    emit({"p": msg.partition(), "o": msg.offset(), "v": msg.value().decode()})
consumer.close()
