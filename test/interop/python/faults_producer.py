"""confluent-kafka-python (librdkafka) producer for the fault tests: sends unique values
"<prefix>-<seq>" round-robin over the partitions, at a steady rate, until told to stop,
and prints the outcome of every one.

stdin: first line {"bootstrap", "topic", "partitions", "prefix", "interval_ms", "acks",
"idempotent", "message_timeout_ms", "max_seconds"}, then "stop".
stdout: {"event": "acked", "value", "partition", "offset"} or {"event": "unknown", "value",
"error"} per value (also for any not reported by the end), then {"event": "done"}.
"""
import sys
import threading
import time

from interop_common import emit, hard_timeout, read_args

args = read_args()
hard_timeout(args.get("max_seconds", 600) + 120)

from confluent_kafka import KafkaException, Producer  # noqa: E402

stop = threading.Event()


def wait_for_stop():
    sys.stdin.readline()  # "stop" or EOF (the test went away): either way, finish
    stop.set()


threading.Thread(target=wait_for_stop, daemon=True).start()

config = {
    "bootstrap.servers": args["bootstrap"],
    "client.id": "faults-confluent",
    "acks": str(args.get("acks", "all")),
    "enable.idempotence": bool(args.get("idempotent", True)),
    "linger.ms": 5,
    "message.timeout.ms": int(args.get("message_timeout_ms", 60000)),
    "socket.timeout.ms": 5000,
    "reconnect.backoff.max.ms": 1000,
    "topic.metadata.refresh.interval.ms": 2000,
}
producer = Producer({**config, "error_cb": lambda err: emit({"event": "client-error", "error": str(err)})})
pending = set()


def delivered(err, msg):
    value = msg.value().decode("utf-8")
    pending.discard(value)
    if err is None:
        emit({"event": "acked", "value": value, "partition": msg.partition(), "offset": msg.offset()})
    else:
        # A timed-out or otherwise failed delivery may still have been written: the checker
        # demands nothing of it either way, so it is reported as unknown.
        emit({"event": "unknown", "value": value, "error": err.name()})


seq = 0
started = time.time()
interval = args.get("interval_ms", 20) / 1000.0
fatal = None
while not stop.is_set() and time.time() - started < args.get("max_seconds", 600):
    value = "%s-%d" % (args["prefix"], seq)
    try:
        producer.produce(args["topic"], value=value.encode("utf-8"), partition=seq % args["partitions"], on_delivery=delivered)
        pending.add(value)
        seq += 1
    except (BufferError, KafkaException) as e:
        emit({"event": "client-error", "error": str(e)})
    try:
        producer.poll(interval)
    except KafkaException as e:
        # A fatal error (librdkafka gives up on its idempotent producer): nothing more goes out,
        # and what is in flight may or may not have been written — reported as unknown below.
        fatal = str(e)
        emit({"event": "client-error", "error": "fatal: " + fatal})
        break
remaining = 0
if fatal is None:
    remaining = producer.flush(int(args.get("message_timeout_ms", 60000)) / 1000.0 + 5)
for value in sorted(pending):
    emit({"event": "unknown", "value": value, "error": "not reported before exit"})
emit({"event": "done", "sent": seq, "remaining": remaining, "fatal": fatal})
if fatal is not None:
    sys.exit(1)
