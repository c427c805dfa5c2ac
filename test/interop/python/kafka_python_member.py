"""kafka-python: one long-running consumer-group member. Reports each assignment and every
record it consumes; on a "stop" line (or end of stdin) commits, leaves the group and exits.

stdin: first line {"bootstrap", "topic", "group_id", "session_timeout_ms"}, then "stop".
"""
import sys
import threading

from interop_common import b64, emit, hard_timeout, read_args

hard_timeout(60)
args = read_args()

from kafka import ConsumerRebalanceListener, KafkaConsumer  # noqa: E402

stop = threading.Event()


def wait_for_stop():
    sys.stdin.readline()  # "stop" or EOF (the test went away): either way, finish
    stop.set()


threading.Thread(target=wait_for_stop, daemon=True).start()


class Report(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({"event": "revoked", "partitions": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        emit({"event": "assigned", "partitions": sorted(tp.partition for tp in assigned)})


consumer = KafkaConsumer(
    bootstrap_servers=args["bootstrap"],
    client_id="interop-kafka-python-member",
    group_id=args["group_id"],
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    session_timeout_ms=args.get("session_timeout_ms", 6000),
    heartbeat_interval_ms=200,
    fetch_max_wait_ms=100,
)
consumer.subscribe([args["topic"]], listener=Report())
while not stop.is_set():
    batches = consumer.poll(timeout_ms=100)
    for tp in sorted(batches, key=lambda t: t.partition):
        for m in batches[tp]:
            emit({"event": "record", "partition": m.partition, "offset": m.offset, "key": b64(m.key), "value": b64(m.value)})
consumer.commit()
emit({"event": "committed", "offsets": sorted([tp.partition, consumer.committed(tp)] for tp in consumer.assignment())})
consumer.close()
emit({"event": "done"})
