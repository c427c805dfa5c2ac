"""Produces three records and consumes them back with authentication, in one of two
libraries: confluent-kafka-python (librdkafka) or kafka-python.

stdin: {"library": "confluent" | "kafka-python", "bootstrap", "topic",
"protocol": "SASL_PLAINTEXT" | "SASL_SSL" | "SSL", "mechanism": "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | null,
"username", "password", "ca" (a PEM file, TLS only)}
prints {"event": "sent", "count"}, one {"event": "record", "value"} each, then {"event": "done"},
or {"event": "failed", "error"} when the library reports an error (a refused login).
"""
import time

from interop_common import emit, hard_timeout, read_args

hard_timeout(40)
args = read_args()
VALUES = [b"one", b"two", b"three"]


def confluent():
    from confluent_kafka import Consumer, KafkaException, Producer
    errors = []
    common = {"bootstrap.servers": args["bootstrap"], "security.protocol": args["protocol"], "error_cb": lambda e: errors.append(str(e))}
    if args.get("mechanism"):
        common.update({"sasl.mechanism": args["mechanism"], "sasl.username": args["username"], "sasl.password": args["password"]})
    if args.get("ca"):
        common["ssl.ca.location"] = args["ca"]
    producer = Producer({**common, "message.timeout.ms": 10000})
    for v in VALUES:
        producer.produce(args["topic"], value=v)
    # A refused login is reported through error_cb at once: stop there rather than wait out the delivery timeout.
    deadline = time.time() + 12
    left = producer.flush(0.2)
    while left and time.time() < deadline and not any("uthentication" in e for e in errors):
        left = producer.flush(0.2)
    if left or any("uthentication" in e for e in errors):
        emit({"event": "failed", "error": "; ".join(errors) or "not delivered"})
        return
    emit({"event": "sent", "count": len(VALUES)})
    consumer = Consumer({**common, "group.id": args["topic"] + "-group", "auto.offset.reset": "earliest"})
    consumer.subscribe([args["topic"]])
    got = 0
    deadline = time.time() + 25
    while got < len(VALUES) and time.time() < deadline:
        m = consumer.poll(0.2)
        if m is None or m.error():
            continue
        got += 1
        emit({"event": "record", "value": m.value().decode()})
    consumer.close()


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.errors import KafkaError
    common = dict(bootstrap_servers=args["bootstrap"], security_protocol=args["protocol"])
    if args.get("mechanism"):
        common.update(sasl_mechanism=args["mechanism"], sasl_plain_username=args["username"], sasl_plain_password=args["password"])
    if args.get("ca"):
        common.update(ssl_cafile=args["ca"], ssl_check_hostname=True)
    try:
        producer = KafkaProducer(**common)
        for v in VALUES:
            producer.send(args["topic"], v).get(timeout=10)
        producer.close()
    except Exception as e:  # a refused login surfaces as one of several exception types
        emit({"event": "failed", "error": "%s: %s" % (type(e).__name__, e)})
        return
    emit({"event": "sent", "count": len(VALUES)})
    consumer = KafkaConsumer(args["topic"], group_id=args["topic"] + "-group", auto_offset_reset="earliest", fetch_max_wait_ms=100, **common)
    got = 0
    deadline = time.time() + 25
    while got < len(VALUES) and time.time() < deadline:
        for _tp, records in consumer.poll(timeout_ms=200).items():
            for m in records:
                got += 1
                emit({"event": "record", "value": m.value.decode()})
    consumer.close()


if args["library"] == "confluent":
    confluent()
else:
    kafka_python()
emit({"event": "done"})
