/**
 * Topic name rules, as Kafka applies them: 1..249 characters from [a-zA-Z0-9._-],
 * and neither "." nor "..". (249 leaves room for the partition suffix in a directory name.)
 * Two names that differ only by '.' versus '_' collide (see {@link collisionKey}).
 */
import { kafkaError } from '../errors.ts';

/** Longest legal topic name. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is ${name.length} characters long; the limit is ${MAX_TOPIC_NAME_LENGTH}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" contains characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/**
 * Names of the broker's internal logs in storage (committed offsets: Kafka's
 * __consumer_offsets; the metadata log of a single-voter controller quorum:
 * __cluster_metadata; a Raft voter's metadata snapshots: __cluster_metadata_snapshot). No
 * topic may be created under them, and no clean-up of stray topic logs may remove them.
 */
export const INTERNAL_LOGS: ReadonlySet<string> = new Set(['__consumer_offsets', '__cluster_metadata', '__cluster_metadata_snapshot']);

/**
 * Kafka's internal topics (Topic.INTERNAL_TOPICS): Metadata marks them `isInternal`
 * (consumers leave them out of pattern subscriptions) and clients cannot produce to them.
 * In a cluster `__consumer_offsets` is one, created by the group coordinator.
 */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

/** Throws `INVALID_TOPIC_EXCEPTION` (17) when `name` is not a legal topic name. */
export function validateTopicName(name: unknown): asserts name is string {
  const problem = topicNameProblem(name);
  if (problem !== null) throw kafkaError(17, problem);
}

/**
 * Throws `INVALID_TOPIC_EXCEPTION` (17) when a topic may not be created as `name` (illegal
 * or internal). `spec.internal` marks the broker's own creation of an internal topic (the
 * group coordinator creating `__consumer_offsets` in a cluster: groups/group-partitioning.ts),
 * which the reservation does not refuse; a controller passes its CreateTopicSpec.
 */
export function validateNewTopicName(name: unknown, spec: { readonly internal?: boolean } = {}): asserts name is string {
  validateTopicName(name);
  if (INTERNAL_LOGS.has(name) && !(spec.internal === true && INTERNAL_TOPICS.has(name))) {
    throw kafkaError(17, `Topic name "${name}" is reserved: the broker keeps ${name.startsWith('__cluster_metadata') ? 'the cluster metadata log' : 'committed offsets'} there`);
  }
}

/**
 * The name with every '.' read as '_'. Kafka refuses a topic whose key equals that of an
 * existing topic of another name (INVALID_TOPIC_EXCEPTION), because metric names replace
 * '.' by '_' and the two topics' metrics would be indistinguishable.
 */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}
