"""A confluent-kafka (librdkafka) group member for the interop tests.

Usage: group-consumer.py BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS [GROUP_INSTANCE_ID]
Prints JSON lines: {"assigned": [partitions]} on every assignment, {"p", "o", "v"} per
record. SIGTERM closes the consumer cleanly (final commit, LeaveGroup); SIGKILL does not.
"""
import json
import signal
import sys

from confluent_kafka import Consumer

bootstrap, group, topic, session = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
instance = sys.argv[5] if len(sys.argv) > 5 else None
running = True


def stop(_signum, _frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def on_assign(_consumer, partitions):
    emit({"assigned": sorted(p.partition for p in partitions)})


def on_revoke(_consumer, _partitions):
    emit({"assigned": []})


config = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "session.timeout.ms": int(session),
    "heartbeat.interval.ms": 200,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 100,
    "fetch.wait.max.ms": 100,
    "broker.address.family": "v4",
}
if instance:
    config["group.instance.id"] = instance
consumer = Consumer(config)
consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while running:
    msg = consumer.poll(0.05)
    if msg is None or msg.error():
        continue
    emit({"p": msg.partition(), "o": msg.offset(), "v": msg.value().decode()})
consumer.close()
