"""kafka-python KafkaAdminClient: create topics (with configs, duplicates, bad input),
list and describe them, describe configs, add partitions, delete a topic. Prints one JSON
line per step with what the client returned.

stdin: {"bootstrap", "topic", "other"}  (two topic names to use)
"""
from interop_common import emit, hard_timeout, read_args

hard_timeout(30)
args = read_args()

from kafka.errors import KafkaError  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic  # noqa: E402

topic, other = args["topic"], args["other"]
admin = KafkaAdminClient(bootstrap_servers=args["bootstrap"], client_id="interop-kafka-python-admin", request_timeout_ms=10000)
emit({"event": "config", "api_version": list(admin.config["api_version"])})


def topic_errors(response):
    """[(name, code, message?)] of a CreateTopics / DeleteTopics response, as [name, code]."""
    return [[t[0], t[1]] for t in response.topic_errors] if hasattr(response, "topic_errors") else [[t[0], t[1]] for t in response.topic_error_codes]


r = admin.create_topics([
    NewTopic(topic, num_partitions=3, replication_factor=1, topic_configs={"retention.ms": "3600000", "cleanup.policy": "delete"}),
    NewTopic(other, num_partitions=1, replication_factor=1),
], timeout_ms=5000)
emit({"event": "create", "version": r.API_VERSION, "errors": topic_errors(r)})

# kafka-python raises the first per-topic error it finds, so each bad request goes alone.
for label, spec in [
    ("exists", NewTopic(topic, num_partitions=1, replication_factor=1)),
    ("replication-factor", NewTopic(topic + "-rf3", num_partitions=1, replication_factor=3)),
    ("bad-name", NewTopic(topic + "-bad/name", num_partitions=1, replication_factor=1)),
]:
    try:
        r = admin.create_topics([spec], timeout_ms=5000)
        emit({"event": "create-bad", "case": label, "errors": topic_errors(r)})
    except KafkaError as e:
        emit({"event": "create-bad", "case": label, "raised": type(e).__name__, "errno": getattr(e, "errno", None)})

r = admin.create_topics([NewTopic(topic + "-dry", num_partitions=2, replication_factor=1)], validate_only=True)
emit({"event": "create-validate-only", "errors": topic_errors(r)})

emit({"event": "list", "topics": sorted(admin.list_topics())})

described = admin.describe_topics([topic])
emit({"event": "describe", "topics": [{
    "topic": t["topic"],
    "error_code": t["error_code"],
    "is_internal": t["is_internal"],
    "partitions": sorted([[p["partition"], p["leader"], list(p["replicas"]), list(p["isr"]), p["error_code"]] for p in t["partitions"]]),
} for t in described]})

cluster = admin.describe_cluster()
emit({"event": "cluster", "brokers": [[b["node_id"], b["host"], b["port"]] for b in cluster["brokers"]], "controller_id": cluster["controller_id"], "cluster_id": cluster.get("cluster_id")})

responses = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
entries = {}
for resp in responses:
    for res in resp.resources:
        error_code, _msg, _rtype, name = res[0], res[1], res[2], res[3]
        emit({"event": "describe-configs-resource", "name": name, "error_code": error_code})
        for e in res[4]:
            entries[e[0]] = {"value": e[1], "read_only": e[2], "source": e[3], "sensitive": e[4]}
emit({"event": "describe-configs", "version": responses[0].API_VERSION, "entries": entries})

responses = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
names = sorted(e[0] for resp in responses for res in resp.resources for e in res[4])
emit({"event": "describe-broker-configs", "error_codes": [res[0] for resp in responses for res in resp.resources], "names": names})

r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "7200000"})])
emit({"event": "alter-configs", "errors": [[res[0], res[3]] for res in r.resources]})

r = admin.create_partitions({topic: NewPartitions(total_count=5)})
emit({"event": "create-partitions", "errors": [[t[0], t[1]] for t in r.topic_errors]})
emit({"event": "describe-after-partitions", "partitions": sorted(p["partition"] for t in admin.describe_topics([topic]) for p in t["partitions"])})

r = admin.delete_topics([other], timeout_ms=5000)
emit({"event": "delete", "errors": topic_errors(r)})
emit({"event": "list-after-delete", "topics": sorted(admin.list_topics())})
admin.close()
emit({"event": "done"})
