"""kafka-python KafkaAdminClient on consumer groups: list, describe, committed offsets,
delete. stdin: {"bootstrap", "group_id"}
"""
from interop_common import emit, hard_timeout, read_args

hard_timeout(30)
args = read_args()

from kafka.admin import KafkaAdminClient  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

group = args["group_id"]
admin = KafkaAdminClient(bootstrap_servers=args["bootstrap"], client_id="interop-kafka-python-admin", request_timeout_ms=10000)
emit({"event": "list", "groups": sorted([g[0], g[1]] for g in admin.list_consumer_groups())})
for d in admin.describe_consumer_groups([group]):
    emit({"event": "describe", "group": d.group, "state": d.state, "protocol_type": d.protocol_type, "protocol": d.protocol, "members": len(d.members), "error_code": d.error_code})
offsets = admin.list_consumer_group_offsets(group)
emit({"event": "offsets", "offsets": sorted([tp.topic, tp.partition, o.offset, o.metadata] for tp, o in offsets.items())})
try:
    emit({"event": "delete", "results": [[g, e.__name__] for g, e in admin.delete_consumer_groups([group])]})
except KafkaError as e:
    emit({"event": "delete", "raised": type(e).__name__})
emit({"event": "list-after-delete", "groups": sorted(g[0] for g in admin.list_consumer_groups())})
admin.close()
emit({"event": "done"})
