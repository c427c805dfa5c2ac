/** Storage policies that belong to the core: the guard around adapters, batch facts, argument checks, flushing, retention. */
export {
  checkAppendArguments,
  checkMaxBytes,
  checkMetadataKey,
  checkMetadataOps,
  checkMetadataValue,
  checkOffsetArgument,
  checkPartitionLogOptions,
  checkTimestampArgument,
} from './arguments.ts';
export { batchInfoOf } from './batch-info.ts';
export { GUARDED, guardStorage, isGuardedStorage } from './guard.ts';
export { FlushScheduler, flushPolicyFromTopicConfig, validateFlushPolicy, type FlushPolicy, type FlushSchedulerOptions } from './flush-policy.ts';
export {
  DEFAULT_RETENTION,
  DEFAULT_RETENTION_BYTES,
  DEFAULT_RETENTION_MS,
  planRetention,
  retentionConfigFromTopicConfig,
  type RetentionConfig,
  type RetentionInput,
  type RetentionPlan,
  type RetentionReason,
} from './retention.ts';
export { RetentionManager, applyRetention, type RetentionManagerOptions, type RetentionOutcome, type RetentionTarget } from './retention-manager.ts';
