"""Reads a partition from the beginning and produces one record with confluent-kafka-python
(librdkafka), authenticated with SASL/PLAIN, and reports what the broker answered — so a
test sees a principal without READ or WRITE refused with Kafka's authorization errors.

stdin: {"bootstrap", "topic", "group", "username", "password"}
prints {"event": "record", "value"} per record read, {"event": "read-error", "code", "name"}
for a partition error, {"event": "delivered"} or {"event": "produce-error", "code", "name"},
then {"event": "done"}.
"""
import time

from interop_common import emit, hard_timeout, read_args

hard_timeout(40)
args = read_args()

from confluent_kafka import Consumer, KafkaError, Producer  # noqa: E402

common = {
    "bootstrap.servers": args["bootstrap"],
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "PLAIN",
    "sasl.username": args["username"],
    "sasl.password": args["password"],
}

# Subscribed (librdkafka reports a topic's authorization failure to subscribers; an assign()
# only logs it), in a group the principal may use, so only READ on the topic is in question.
consumer = Consumer({**common, "group.id": args["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False, "enable.partition.eof": True})
consumer.subscribe([args["topic"]])
deadline = time.time() + 15
seen = set()
while time.time() < deadline:
    m = consumer.poll(0.2)
    if m is None:
        continue
    if m.error():
        code = m.error().code()
        if code == KafkaError._PARTITION_EOF:
            break
        # librdkafka may report the group's refusal too (it asks the coordinator even when assigning): every distinct error, until the topic's.
        if code not in seen:
            seen.add(code)
            emit({"event": "read-error", "code": code, "name": m.error().name()})
        if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            break
        continue
    emit({"event": "record", "value": m.value().decode()})
consumer.close()

outcome = []
producer = Producer({**common, "message.timeout.ms": 10000, "enable.idempotence": False})
producer.produce(args["topic"], value=b"probe", on_delivery=lambda err, _m: outcome.append(err))
producer.flush(12)
if outcome and outcome[0] is None:
    emit({"event": "delivered"})
elif outcome:
    emit({"event": "produce-error", "code": outcome[0].code(), "name": outcome[0].name()})
emit({"event": "done"})
