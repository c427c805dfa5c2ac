"""kafka-python: sends the given records with one codec, reports what the client concluded
about the broker (api_version, record-batch magic) and each record's metadata.

stdin: {"bootstrap", "topic", "codec": "none"|"gzip"|"snappy"|"lz4", "acks", "records":
[{"key", "value", "headers", "partition", "timestamp"}]} with base64 keys, values and
header values; partition and timestamp may be null (client's partitioner / clock).
"""
from interop_common import emit, hard_timeout, headers_in, read_args, unb64

hard_timeout(30)
args = read_args()

from kafka import KafkaProducer  # noqa: E402  (after the alarm: a hung import is also caught)

codec = args.get("codec", "none")
producer = KafkaProducer(
    bootstrap_servers=args["bootstrap"],
    client_id="interop-kafka-python",
    compression_type=None if codec == "none" else codec,
    acks=args.get("acks", 1),
    linger_ms=20,
    retries=0,
    request_timeout_ms=10000,
)
emit({
    "event": "config",
    "api_version": list(producer.config["api_version"]),
    "magic": producer._max_usable_produce_magic(),
})
futures = []
for r in args["records"]:
    futures.append(producer.send(
        args["topic"],
        key=unb64(r.get("key")),
        value=unb64(r.get("value")),
        headers=headers_in(r.get("headers")),
        partition=r.get("partition"),
        timestamp_ms=r.get("timestamp"),
    ))
producer.flush(timeout=20)
for f in futures:
    md = f.get(timeout=20)
    emit({"event": "sent", "topic": md.topic, "partition": md.partition, "offset": md.offset, "timestamp": md.timestamp})
producer.close(timeout=5)
emit({"event": "done"})
