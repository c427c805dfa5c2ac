"""confluent-kafka-python AdminClient: create topics (with configs, and bad ones), cluster
and topic metadata (list_topics), describe topic and broker configs, add partitions,
delete a topic. stdin: {"bootstrap", "topic", "other"}
"""
from interop_common import emit, hard_timeout, read_args

hard_timeout(30)
args = read_args()

from confluent_kafka import KafkaException  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic  # noqa: E402

topic, other = args["topic"], args["other"]
admin = AdminClient({"bootstrap.servers": args["bootstrap"], "client.id": "interop-confluent-admin"})


def outcomes(futures):
    """{name: null | error name} for a dict of futures."""
    out = {}
    for name, f in futures.items():
        try:
            f.result(15)
            out[str(name)] = None
        except KafkaException as e:
            out[str(name)] = e.args[0].name()
    return out


emit({"event": "create", "results": outcomes(admin.create_topics([
    NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "3600000", "max.message.bytes": "200000"}),
    NewTopic(other, num_partitions=2, replication_factor=1),
], operation_timeout=5))})
emit({"event": "create-bad", "results": outcomes(admin.create_topics([
    NewTopic(topic, num_partitions=1, replication_factor=1),
    NewTopic(topic + "-rf3", num_partitions=1, replication_factor=3),
    NewTopic(topic + "-cfg", num_partitions=1, replication_factor=1, config={"no.such.config": "1"}),
]))})
emit({"event": "create-validate-only", "results": outcomes(admin.create_topics([NewTopic(topic + "-dry", 2, 1)], validate_only=True))})

md = admin.list_topics(timeout=10)
emit({
    "event": "metadata",
    "cluster_id": md.cluster_id,
    "controller_id": md.controller_id,
    "orig_broker_id": md.orig_broker_id,
    "brokers": sorted([b.id, b.host, b.port] for b in md.brokers.values()),
    "topics": {name: {
        "error": None if t.error is None else t.error.name(),
        "partitions": sorted([p.id, p.leader, list(p.replicas), list(p.isrs), None if p.error is None else p.error.name()] for p in t.partitions.values()),
    } for name, t in md.topics.items() if name in (topic, other, topic + "-dry")},
})


def describe(resource):
    (res, f), = admin.describe_configs([resource]).items()
    try:
        entries = f.result(15)
    except KafkaException as e:
        return {"error": e.args[0].name()}
    return {"entries": {name: {
        "value": e.value,
        "source": e.source,
        "is_default": e.is_default,
        "is_read_only": e.is_read_only,
        "is_sensitive": e.is_sensitive,
    } for name, e in entries.items()}}


emit({"event": "describe-configs", **describe(ConfigResource("topic", topic))})
emit({"event": "describe-broker-configs", **describe(ConfigResource("broker", "1"))})
emit({"event": "describe-configs-missing", **describe(ConfigResource("topic", topic + "-never-created"))})

emit({"event": "alter-configs", "results": outcomes(admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "7200000"})]))})
emit({"event": "describe-after-alter", **describe(ConfigResource("topic", topic))})

emit({"event": "create-partitions", "results": outcomes(admin.create_partitions([NewPartitions(topic, 5)]))})
emit({"event": "delete", "results": outcomes(admin.delete_topics([other], operation_timeout=5))})
emit({"event": "list-after-delete", "topics": sorted(n for n in admin.list_topics(timeout=10).topics if n in (topic, other))})
emit({"event": "done"})
