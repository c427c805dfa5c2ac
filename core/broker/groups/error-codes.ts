/**
 * The Kafka error numbers the group coordinator answers with, in one place for both
 * managers (names as in core/kafka-error-codes.ts). When the protocol's named codes
 * (`KafkaCode.X`) land, this file is the one to point at them.
 */

/** No error. */
export const NONE = 0;
/** A commit names a partition that does not exist. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** A commit's metadata is longer than offset.metadata.max.bytes. */
export const OFFSET_METADATA_TOO_LARGE = 12;
/** The coordinator is still restoring offsets. */
export const COORDINATOR_LOAD_IN_PROGRESS = 14;
/** The coordinator is not running (or the group was deleted under the request). */
export const COORDINATOR_NOT_AVAILABLE = 15;
/** The request names another generation than the group's. */
export const ILLEGAL_GENERATION = 22;
/** The protocol type or protocols do not fit the group's. */
export const INCONSISTENT_GROUP_PROTOCOL = 23;
/** The group id is empty. */
export const INVALID_GROUP_ID = 24;
/** The member is not (or no longer) in the group. */
export const UNKNOWN_MEMBER_ID = 25;
/** The session timeout is outside group.min/max.session.timeout.ms. */
export const INVALID_SESSION_TIMEOUT = 26;
/** The group is rebalancing: rejoin. */
export const REBALANCE_IN_PROGRESS = 27;
/** DeleteGroups of a group that has members. */
export const NON_EMPTY_GROUP = 68;
/** DeleteGroups of a group that does not exist. */
export const GROUP_ID_NOT_FOUND = 69;
/** OffsetDelete of a partition whose topic the active consumer group still consumes. */
export const GROUP_SUBSCRIBED_TO_TOPIC = 86;
/** A first dynamic join gets its member id with this (KIP-394). */
export const MEMBER_ID_REQUIRED = 79;
/** The group has group.max.size members. */
export const GROUP_MAX_SIZE_REACHED = 81;
/** Another member id holds this group.instance.id (KIP-345). */
export const FENCED_INSTANCE_ID = 82;
