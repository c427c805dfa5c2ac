"""confluent-kafka-python (librdkafka): sends the given records with one codec, idempotent
when asked, and prints each delivery report.

stdin: {"bootstrap", "topic", "codec", "idempotent": bool, "acks" (optional), "records": [{"key", "value",
"headers", "partition", "timestamp"}]} (base64 bytes; partition/timestamp may be null)
"""
from interop_common import emit, hard_timeout, headers_in, read_args, unb64

hard_timeout(30)
args = read_args()

from confluent_kafka import Producer  # noqa: E402

config = {
    "bootstrap.servers": args["bootstrap"],
    "client.id": "interop-confluent",
    "compression.type": args.get("codec", "none"),
    "enable.idempotence": bool(args.get("idempotent")),
    "linger.ms": 20,
    # Java-compatible partitioning, so the test can predict where keyed records go.
    "partitioner": "murmur2_random",
    "message.timeout.ms": 20000,
}
if "acks" in args:
    config["acks"] = args["acks"]
errors = []


def on_error(err):
    errors.append(str(err))
    emit({"event": "client-error", "error": str(err)})


config["error_cb"] = on_error
producer = Producer(config)
reports = []


def delivered(err, msg):
    reports.append({
        "event": "sent",
        "error": None if err is None else err.name(),
        "topic": msg.topic(),
        "partition": msg.partition(),
        "offset": msg.offset(),
        "timestamp": list(msg.timestamp()),
        "value": None,
    })


for r in args["records"]:
    kwargs = dict(value=unb64(r.get("value")), key=unb64(r.get("key")), headers=headers_in(r.get("headers")), on_delivery=delivered)
    if r.get("partition") is not None:
        kwargs["partition"] = r["partition"]
    if r.get("timestamp") is not None:
        kwargs["timestamp"] = r["timestamp"]
    producer.produce(args["topic"], **kwargs)
remaining = producer.flush(20)
for rep in reports:
    emit(rep)
emit({"event": "done", "remaining": remaining})
