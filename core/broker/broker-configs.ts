/** The broker-level settings DescribeConfigs reports (static: set when the broker is built). */
import type { BrokerConfigValue } from './api/context.ts';

/** The options that decide whether a setting is explicit (static broker config) or defaulted. */
export interface BrokerConfigOptions {
  readonly nodeId?: number;
  readonly numPartitions?: number;
  readonly defaultReplicationFactor?: number;
  readonly autoCreateTopics?: boolean;
  readonly retentionCheckIntervalMs?: number;
  readonly groups?: { readonly initialRebalanceDelayMs?: number };
}

/** The static broker settings DescribeConfigs shows, each marked explicit when the options set it. */
export function brokerConfigTable(
  broker: { readonly nodeId: number; readonly autoCreateTopics: boolean },
  numPartitions: number,
  replicationFactor: number,
  options: BrokerConfigOptions,
): Map<string, BrokerConfigValue> {
  const table = new Map<string, BrokerConfigValue>();
  table.set('node.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('broker.id', { value: String(broker.nodeId), explicit: options.nodeId !== undefined, type: 3, doc: 'This broker\'s id.' });
  table.set('num.partitions', { value: String(numPartitions), explicit: options.numPartitions !== undefined, type: 3, doc: 'Partitions of auto-created topics.' });
  table.set('default.replication.factor', { value: String(replicationFactor), explicit: options.defaultReplicationFactor !== undefined, type: 3, doc: 'Replication factor of auto-created topics.' });
  table.set('auto.create.topics.enable', { value: String(broker.autoCreateTopics), explicit: options.autoCreateTopics !== undefined, type: 1, doc: 'Create unknown topics on Metadata and Produce.' });
  table.set('log.retention.check.interval.ms', {
    value: String(options.retentionCheckIntervalMs ?? 300_000),
    explicit: options.retentionCheckIntervalMs !== undefined,
    type: 5,
    doc: 'How often retention runs.',
  });
  const delay = options.groups?.initialRebalanceDelayMs;
  table.set('group.initial.rebalance.delay.ms', {
    value: String(delay ?? 3000),
    explicit: delay !== undefined,
    type: 3,
    doc: 'How long the first rebalance of a new group waits for more members.',
  });
  return table;
}
