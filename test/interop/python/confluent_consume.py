"""confluent-kafka-python (librdkafka): a Consumer in a group reads `count` records from
the earliest offset, prints every field, commits synchronously and reports the committed
offsets.

stdin: {"bootstrap", "topics", "group_id", "count", "session_timeout_ms"}
"""
import time

from interop_common import b64, emit, hard_timeout, headers_out, read_args

hard_timeout(40)
args = read_args()

from confluent_kafka import Consumer, KafkaError  # noqa: E402


def on_error(err):
    emit({"event": "client-error", "error": str(err)})


consumer = Consumer({
    "bootstrap.servers": args["bootstrap"],
    "client.id": "interop-confluent",
    "group.id": args["group_id"],
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": args.get("session_timeout_ms", 6000),
    "heartbeat.interval.ms": 200,
    "fetch.wait.max.ms": 100,
    "error_cb": on_error,
})
consumer.subscribe(args["topics"], on_assign=lambda c, ps: emit({"event": "assigned", "partitions": sorted([p.topic, p.partition] for p in ps)}))
want = args["count"]
got = 0
deadline = time.time() + 30
while got < want and time.time() < deadline:
    m = consumer.poll(0.2)
    if m is None:
        continue
    if m.error():
        if m.error().code() != KafkaError._PARTITION_EOF:
            emit({"event": "consume-error", "error": m.error().name()})
        continue
    got += 1
    ts_type, ts = m.timestamp()
    emit({
        "event": "record",
        "topic": m.topic(),
        "partition": m.partition(),
        "offset": m.offset(),
        "timestamp": ts,
        "timestamp_type": ts_type,
        "key": b64(m.key()),
        "value": b64(m.value()),
        "headers": headers_out(m.headers()),
    })
committed = consumer.commit(asynchronous=False) if got > 0 else []
emit({"event": "commit-result", "offsets": sorted([p.topic, p.partition, p.offset] for p in committed)})
assignment = consumer.assignment()
emit({"event": "committed", "offsets": sorted([p.topic, p.partition, p.offset] for p in consumer.committed(assignment, timeout=10))})
consumer.close()
emit({"event": "done", "count": got})
