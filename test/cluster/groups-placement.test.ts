/**
 * Which `__consumer_offsets` partition holds a group (issue 11, groups across brokers): the
 * same one as Kafka's `Utils.abs(groupId.hashCode()) % partitions`, so that our brokers and
 * Kafka's tools agree on a group's coordinator; and how the topic is created.
 */
import { describe, expect, it } from 'vitest';
import { KafkaCode } from '../../core/kafka-error-codes.ts';
import {
  coordinatorErrorOf,
  groupPartitioning,
  javaStringHashCode,
  kafkaAbs,
  offsetsTopicSpec,
  partitionForGroup,
} from '../../core/broker/groups/group-partitioning.ts';
import { validateNewTopicName } from '../../core/broker/topic-name.ts';

/** Java's definition, s[0]*31^(n-1) + … + s[n-1] over UTF-16 units, in exact arithmetic, then taken as a signed 32-bit int. */
function referenceHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = h * 31n + BigInt(s.charCodeAt(i));
  return Number(BigInt.asIntN(32, h));
}

describe('group placement', () => {
  it('hashes as Java String.hashCode does: values worked out by hand', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    // 97 * 31 + 98
    expect(javaStringHashCode('ab')).toBe(3105);
    // ((97 * 31 + 98) * 31 + 99)
    expect(javaStringHashCode('abc')).toBe(96354);
    // Overflows: "my-group" wraps to a negative int.
    expect(javaStringHashCode('my-group')).toBe(-1906497762);
    // The classic string whose hashCode is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    // Outside the BMP: two UTF-16 units, 0xD83D * 31 + 0xDE00.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
  });

  it('agrees with the exact polynomial on many ids', () => {
    const ids = ['my-group', 'console-consumer-12345', 'group-with-a-rather-long-name-that-overflows-many-times', 'é-ü-ß', 'グループ', '\u{1F600}x'];
    for (let i = 0; i < 200; i++) ids.push(`g-${i * 7919}-${'x'.repeat(i % 13)}`);
    for (const id of ids) expect(javaStringHashCode(id), id).toBe(referenceHash(id));
  });

  it("takes Kafka's Utils.abs: Integer.MIN_VALUE gives 0, not itself", () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(kafkaAbs(7)).toBe(7);
  });

  it('places a group in abs(hashCode) % partitions', () => {
    // 1906497762 % 50 = 12
    expect(partitionForGroup('my-group', 50)).toBe(12);
    expect(partitionForGroup('a', 50)).toBe(47);
    expect(partitionForGroup('ab', 50)).toBe(5);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('polygenelubricants', 7)).toBe(0);
    for (const id of ['x', 'my-group', 'grp-42']) {
      const p = partitionForGroup(id, 3);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(3);
    }
  });

  it("creates __consumer_offsets with Kafka's defaults, the replication factor cut to the live brokers", () => {
    const settings = groupPartitioning();
    expect(settings.numPartitions).toBe(50);
    expect(settings.replicationFactor).toBe(3);
    expect(settings.commitTimeoutMs).toBe(5000);
    const one = offsetsTopicSpec(settings, 1);
    expect(one).toMatchObject({ name: '__consumer_offsets', numPartitions: 50, replicationFactor: 1, internal: true });
    expect(offsetsTopicSpec(settings, 2).replicationFactor).toBe(2);
    expect(offsetsTopicSpec(settings, 5).replicationFactor).toBe(3);
    // Today's Kafka refuses instead (the controller answers INVALID_REPLICATION_FACTOR until enough brokers are up).
    expect(offsetsTopicSpec(groupPartitioning({ strictReplicationFactor: true }), 1).replicationFactor).toBe(3);
    const configs = new Map(one.configs);
    // No time or size retention: only the coordinator's own snapshots trim the log.
    expect(configs.get('retention.ms')).toBe('-1');
    expect(configs.get('retention.bytes')).toBe('-1');
    expect(() => groupPartitioning({ numPartitions: 0 })).toThrow(/offsets.topic.num.partitions/);
  });

  it("maps append errors to group errors as Kafka's coordinator does", () => {
    expect(coordinatorErrorOf(KafkaCode.NOT_ENOUGH_REPLICAS)).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinatorErrorOf(KafkaCode.REQUEST_TIMED_OUT)).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinatorErrorOf(KafkaCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(KafkaCode.COORDINATOR_NOT_AVAILABLE);
    expect(coordinatorErrorOf(KafkaCode.NOT_LEADER_OR_FOLLOWER)).toBe(KafkaCode.NOT_COORDINATOR);
    expect(coordinatorErrorOf(KafkaCode.KAFKA_STORAGE_ERROR)).toBe(KafkaCode.NOT_COORDINATOR);
    expect(coordinatorErrorOf(KafkaCode.MESSAGE_TOO_LARGE)).toBe(KafkaCode.UNKNOWN_SERVER_ERROR);
    expect(coordinatorErrorOf(KafkaCode.INVALID_COMMIT_OFFSET_SIZE)).toBe(KafkaCode.INVALID_COMMIT_OFFSET_SIZE);
  });

  it('reserves __consumer_offsets to the broker: a user creation is refused, the coordinator\'s internal one passes', () => {
    expect(() => validateNewTopicName('__consumer_offsets')).toThrow(/reserved/);
    expect(() => validateNewTopicName('__consumer_offsets', { internal: false })).toThrow(/reserved/);
    expect(() => validateNewTopicName('__consumer_offsets', offsetsTopicSpec(groupPartitioning(), 1))).not.toThrow();
    expect(() => validateNewTopicName('orders', { internal: true })).not.toThrow();
  });
});
