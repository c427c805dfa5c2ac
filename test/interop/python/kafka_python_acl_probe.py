"""Reads a topic from the beginning in a group, commits an offset on it and produces one
record to it with kafka-python 2.0.2, authenticated with SASL/PLAIN, and reports what the
client raised — so a test sees a principal without READ or WRITE refused with Kafka's
authorization errors.

kafka-python 2.0.2 hides a refused topic in two places: a metadata response that carries
one topic, in error, fails the update without marking the topic unauthorized (the producer
then waits out max_block_ms and raises KafkaTimeoutError), and the consumer's check of
unauthorized topics runs in a metadata callback whose exception it only logs (a subscriber
just gets no partitions). So the probe produces to a topic it may write first (`own`, so the
producer's metadata asks for two topics and records the refusal), and asks for the refusal
on the read side by committing an offset, which needs READ on the topic too.

stdin: {"bootstrap", "topic", "own" (optional), "group", "username", "password", "read_seconds" (default 15)}
prints {"event": "record", "value"} per record read, {"event": "committed"} or
{"event": "commit-error", "name", "errno"}, {"event": "own-delivered"} or
{"event": "own-error", ...}, {"event": "delivered", "offset"} or
{"event": "produce-error", "name", "errno"}, then {"event": "done"}.
"""
import time

from interop_common import emit, hard_timeout, read_args

hard_timeout(40)
args = read_args()

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402
from kafka.structs import OffsetAndMetadata  # noqa: E402

common = dict(
    bootstrap_servers=args["bootstrap"],
    security_protocol="SASL_PLAINTEXT",
    sasl_mechanism="PLAIN",
    sasl_plain_username=args["username"],
    sasl_plain_password=args["password"],
)
topic = args["topic"]
tp = TopicPartition(topic, 0)


def refusal(event, error):
    """The exception's class name and Kafka error code (errno), as the client reports them."""
    return {"event": event, "name": type(error).__name__, "errno": getattr(error, "errno", None), "message": str(error)}


# In a group the principal may use, so only READ on the topic is in question.
consumer = KafkaConsumer(topic, group_id=args["group"], auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100, **common)
deadline = time.time() + args.get("read_seconds", 15)
read = 0
while time.time() < deadline:
    for _tp, records in consumer.poll(timeout_ms=200).items():
        for m in records:
            read += 1
            emit({"event": "record", "value": m.value.decode()})
    # Caught up with what was there when we joined: stop.
    if tp in consumer.assignment() and consumer.position(tp) >= consumer.end_offsets([tp])[tp]:
        break
try:
    consumer.commit({tp: OffsetAndMetadata(read, "")})
    emit({"event": "committed"})
except KafkaError as e:
    emit(refusal("commit-error", e))
consumer.close()

producer = KafkaProducer(max_block_ms=10000, request_timeout_ms=10000, retries=0, **common)
if args.get("own"):
    try:
        producer.send(args["own"], b"own").get(timeout=12)
        emit({"event": "own-delivered"})
    except KafkaError as e:
        emit(refusal("own-error", e))
try:
    meta = producer.send(topic, b"probe").get(timeout=12)
    emit({"event": "delivered", "offset": meta.offset})
except KafkaError as e:
    emit(refusal("produce-error", e))
producer.close()
emit({"event": "done"})
