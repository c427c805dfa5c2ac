"""kafka-python: consumes `count` records with KafkaConsumer from the earliest offset (in a
group or, with group_id null, assigning every partition itself), prints every field, and
optionally commits and reports the committed offsets.

stdin: {"bootstrap", "topics", "group_id", "count", "commit": bool, "session_timeout_ms"}
"""
import time

from interop_common import b64, emit, hard_timeout, headers_out, read_args

hard_timeout(40)
args = read_args()

from kafka import KafkaConsumer, TopicPartition  # noqa: E402

group = args.get("group_id")
options = dict(
    bootstrap_servers=args["bootstrap"],
    client_id="interop-kafka-python",
    group_id=group,
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    fetch_max_wait_ms=100,
)
if group is not None:
    options.update(session_timeout_ms=args.get("session_timeout_ms", 6000), heartbeat_interval_ms=200)
consumer = KafkaConsumer(*args["topics"], **options)
emit({"event": "config", "api_version": list(consumer.config["api_version"])})

want = args["count"]
got = 0
deadline = time.time() + 30
while got < want and time.time() < deadline:
    batches = consumer.poll(timeout_ms=200)
    for tp in sorted(batches, key=lambda t: (t.topic, t.partition)):
        for m in batches[tp]:
            got += 1
            emit({
                "event": "record",
                "topic": m.topic,
                "partition": m.partition,
                "offset": m.offset,
                "timestamp": m.timestamp,
                "timestamp_type": m.timestamp_type,
                "key": b64(m.key),
                "value": b64(m.value),
                "headers": headers_out(m.headers),
                "serialized_key_size": m.serialized_key_size,
                "serialized_value_size": m.serialized_value_size,
            })

assignment = sorted(consumer.assignment(), key=lambda t: (t.topic, t.partition))
emit({"event": "assignment", "partitions": [[tp.topic, tp.partition] for tp in assignment]})
emit({"event": "positions", "positions": [[tp.topic, tp.partition, consumer.position(tp)] for tp in assignment]})
if group is not None and args.get("commit"):
    consumer.commit()
    emit({"event": "committed", "offsets": [[tp.topic, tp.partition, consumer.committed(tp)] for tp in assignment]})
consumer.close()
emit({"event": "done", "count": got})
