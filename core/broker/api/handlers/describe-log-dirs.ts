/**
 * DescribeLogDirs (35): this broker's log directories and, per hosted partition, its size
 * in bytes and offset lag (what kafka-log-dirs.sh and Admin.describeLogDirs print). A broker
 * keeps every log in one storage, so it reports one directory: log.dirs when it has one
 * (filesystem, level), else the storage's name ("memory"). As Kafka: offsetLag is how far the
 * log end is behind the high watermark (0 for a caught-up replica), isFutureKey is false (no
 * moves between directories), and a topic or partition this broker does not host is left out.
 * Total and usable bytes are not known here (-1).
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { access } from '../access.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerContext } from '../context.ts';
import type { HandlerEntry } from '../handler.ts';

/** The directory DescribeLogDirs names for this broker: log.dirs (the data directory, or the storage's name). */
export function logDirOf(ctx: Pick<BrokerContext, 'brokerConfigs'>): string {
  return ctx.brokerConfigs.get('log.dirs')?.value ?? 'memory';
}

function handleDescribeLogDirs(ctx: BrokerContext, body: ApiRequest<typeof ApiKey.DescribeLogDirs>): ApiResponseInput<typeof ApiKey.DescribeLogDirs> {
  const wanted = body.topics === null ? null : new Map(body.topics.map((t) => [t.topic, new Set(t.partitions)]));
  const topics = ctx.replicaManager.hostedTopics().flatMap((topic) => {
    const only = wanted?.get(topic.name);
    if (wanted && !only) return [];
    const partitions = topic.partitions
      .filter((p) => p.open && (!only || only.has(p.partition)))
      .sort((a, b) => a.partition - b.partition)
      .map((p) => ({ partitionIndex: p.partition, partitionSize: p.log.sizeBytes(), offsetLag: Math.max(0, p.highWatermark - p.log.endOffset()), isFutureKey: false }));
    return partitions.length > 0 ? [{ name: topic.name, partitions }] : [];
  });
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    results: [{ errorCode: 0, logDir: logDirOf(ctx), topics, totalBytes: -1, usableBytes: -1 }],
  };
}

/** DescribeLogDirs v0–4. */
export const describeLogDirsHandler: HandlerEntry<typeof ApiKey.DescribeLogDirs> = {
  apiKey: ApiKey.DescribeLogDirs,
  versions: { min: 0, max: 4 },
  // Kafka's check: DESCRIBE on the cluster (v3+ carries the error; older versions get no directories).
  handle: (ctx, header, body) =>
    access(ctx, header).cluster('describe') ? handleDescribeLogDirs(ctx, body) : { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, results: [] },
};
