/**
 * Dynamic broker configs in an in-process cluster: AlterConfigs / IncrementalAlterConfigs on
 * the BROKER resource (cluster default "" and one broker's id) go through the metadata log
 * and every broker applies them — its topic defaults, its hosted topics' log configs, what
 * DescribeConfigs shows (DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG) — also after
 * a restart; configs Kafka does not change dynamically are refused with INVALID_CONFIG.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { ConfigOperation, ConfigResourceType } from '../../core/client/admin.ts';
import { KafkaCode } from '../../core/errors.ts';

let cluster: EmbeddedCluster;
let admin: ReturnType<ReturnType<EmbeddedCluster['client']>['admin']>;

beforeAll(async () => {
  cluster = await createCluster({ brokers: 3, heartbeatIntervalMs: 100, sessionTimeoutMs: 2000, leaderRebalance: { enable: false } });
  admin = cluster.client().admin();
  await admin.createTopics({ topics: [{ topic: 'dyn', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }, { topic: 'own', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configs: { 'retention.ms': '5000' } }] });
  await cluster.waitForFullIsr();
}, 30_000);
afterAll(async () => {
  await cluster?.close();
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const brokerConfig = async (node: number, name: string) => {
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: String(node), configNames: [name] }] });
  return described.resources[0]!.configEntries.find((e) => e.configName === name)!;
};

describe('dynamic broker configs', () => {
  it('a cluster default reaches every broker: topic defaults, hosted log configs, DescribeConfigs sources', async () => {
    await admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '', configEntries: [{ name: 'log.retention.ms', value: '123456', operation: ConfigOperation.SET }, { name: 'min.insync.replicas', value: '2' }] }] });
    // Every broker learns it from the metadata log.
    await until(() => [1, 2, 3].every((id) => cluster.broker(id).topicDefaults['retention.ms'] === '123456'));
    const hosted = cluster.broker(1).replicaManager.hostedTopic('dyn')!;
    expect(hosted.logConfig.retentionMs).toBe(123456);
    expect(hosted.logConfig.minInsyncReplicas).toBe(2);
    // A topic's own value wins over the broker default.
    expect(cluster.broker(1).replicaManager.hostedTopic('own')!.logConfig.retentionMs).toBe(5000);
    expect(await brokerConfig(3, 'log.retention.ms')).toMatchObject({ configValue: '123456', configSource: 3, readOnly: false });
    const topicEntry = (await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'dyn' }] })).resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')!;
    expect(topicEntry).toMatchObject({ configValue: '123456', configSource: 3 });
  });

  it('one broker\'s own value overrides the cluster default there only; AlterConfigs replaces a resource\'s configs', async () => {
    await admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '2', configEntries: [{ name: 'log.retention.ms', value: '999' }] }] });
    await until(() => cluster.broker(2).topicDefaults['retention.ms'] === '999');
    expect(await brokerConfig(2, 'log.retention.ms')).toMatchObject({ configValue: '999', configSource: 2 });
    expect(await brokerConfig(1, 'log.retention.ms')).toMatchObject({ configValue: '123456', configSource: 3 });
    expect(cluster.broker(2).replicaManager.hostedTopic('dyn')!.logConfig.retentionMs).toBe(999);
    expect(cluster.broker(1).replicaManager.hostedTopic('dyn')!.logConfig.retentionMs).toBe(123456);
    // AlterConfigs on the cluster default: only log.retention.bytes is left there.
    await admin.alterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '', configEntries: [{ name: 'log.retention.bytes', value: '1048576' }] }] });
    expect(cluster.controller.image.brokerConfigs('')).toEqual(new Map([['log.retention.bytes', '1048576']]));
    await until(() => cluster.broker(1).topicDefaults['retention.bytes'] === '1048576');
    expect(await brokerConfig(1, 'log.retention.ms')).toMatchObject({ configValue: '604800000', configSource: 5 });
    expect(cluster.broker(1).replicaManager.hostedTopic('dyn')!.logConfig.retentionBytes).toBe(1048576);
  });

  it('refuses configs that cannot change dynamically (INVALID_CONFIG) and names that are no broker (INVALID_REQUEST)', async () => {
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '', configEntries: [{ name: 'num.partitions', value: '4' }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_CONFIG });
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: '', configEntries: [{ name: 'log.retention.ms', value: 'soon' }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_CONFIG });
    await expect(admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.BROKER, name: 'b1', configEntries: [{ name: 'log.retention.ms', value: '1' }] }] })).rejects.toMatchObject({ kafkaCode: KafkaCode.INVALID_REQUEST });
  });

  it('a restarted broker applies the dynamic configs again from the metadata log', async () => {
    await cluster.restart(2);
    await cluster.waitForBrokers(3);
    expect(cluster.broker(2).topicDefaults['retention.ms']).toBe('999');
    expect(cluster.broker(2).topicDefaults['retention.bytes']).toBe('1048576');
  }, 30_000);
});
