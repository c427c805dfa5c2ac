/**
 * A {@link GroupLog} over one partition of the replicated `__consumer_offsets` topic, for
 * the coordinator that leads it (cluster mode). Writes go through the replica manager as
 * a produce with acks=-1 would: offsets assigned by the leader, an answer only once every
 * in-sync replica has the records (offsets.commit.timeout.ms at most), so a committed
 * offset survives the loss of its coordinator. Reads (the replay on load) read the local
 * log to its end, as Kafka's coordinator loader does: this node was elected from the ISR,
 * so its log holds everything acknowledged.
 *
 * Every operation first checks that this node still leads the partition at the epoch the
 * coordinator loaded it at: a write from a coordinator that lost its partition would land
 * in a follower's log (NOT_COORDINATOR instead).
 *
 * Compaction keeps offsets: the coordinator appends a snapshot of the live entries and then
 * moves the log start past what it replaces (DeleteRecords on the leader; followers learn
 * the new log start from the leader as with any DeleteRecords).
 */
import { KafkaCode } from '../../kafka-error-codes.ts';
import { concat } from '../../protocol/writer.ts';
import { encodeBatchSync } from '../../records/record-batch.ts';
import type { Partition } from '../partition/partition.ts';
import type { ReplicaManager } from '../replica-manager.ts';
import { CoordinatorWriteError, coordinatorErrorOf } from './group-partitioning.ts';
import type { GroupLog, GroupLogRecords } from './log-group-store.ts';

/** Options of {@link replicatedGroupLog}. */
export interface ReplicatedGroupLogOptions {
  readonly replicaManager: ReplicaManager;
  readonly topic: string;
  readonly partition: number;
  /** The leader epoch the coordinator loaded the partition at: any other means it was lost. */
  readonly leaderEpoch: number;
  /** How long an append waits for the in-sync replicas (offsets.commit.timeout.ms). */
  readonly timeoutMs: number;
}

// Produce v9: the version whose rules our batches meet (magic 2, no zstd question).
const PRODUCE_VERSION = 9;

/** The group log of one `__consumer_offsets` partition this node leads. */
export function replicatedGroupLog(options: ReplicatedGroupLogOptions): GroupLog {
  const { replicaManager, topic, partition: index, leaderEpoch, timeoutMs } = options;
  const name = `${topic}-${index}`;
  const led = (): Partition => {
    const p = replicaManager.partition(topic, index);
    if (!p) throw new CoordinatorWriteError(KafkaCode.NOT_COORDINATOR, `This broker no longer hosts ${name}`);
    if (!p.isLeader || p.leaderEpoch !== leaderEpoch) {
      throw new CoordinatorWriteError(KafkaCode.NOT_COORDINATOR, `This broker no longer leads ${name} at epoch ${leaderEpoch}`);
    }
    return p;
  };
  return {
    startOffset: () => led().log.startOffset(),
    endOffset: () => led().log.endOffset(),
    read: (offset, maxBytes) => led().log.read(offset, maxBytes),
    async append(groups: readonly GroupLogRecords[], now: number): Promise<number> {
      led();
      // Offsets are the leader's to assign: each batch is encoded at 0 and stamped on append.
      const batches = groups.map((records) => encodeBatchSync({ baseOffset: 0, now, records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) }));
      const [result] = await replicaManager.appendRecords({
        acks: -1,
        timeoutMs,
        apiVersion: PRODUCE_VERSION,
        entries: [{ topic, partition: index, records: batches.length === 1 ? batches[0]! : concat(batches) }],
      });
      if (!result || result.errorCode !== KafkaCode.NONE) {
        const code = result?.errorCode ?? KafkaCode.UNKNOWN_SERVER_ERROR;
        throw new CoordinatorWriteError(coordinatorErrorOf(code), `Appending to ${name} failed with error ${code}${result?.errorMessage ? `: ${result.errorMessage}` : ''}`);
      }
      // Acknowledged only when the high watermark passed every record: an acks=-1 wait that
      // ended for another reason than the ISR (shutdown, the partition closed) is no success.
      const end = result.baseOffset + groups.reduce((n, records) => n + records.length, 0);
      const hosted = replicaManager.hostedTopic(topic)?.partitions[index];
      if (!hosted || hosted.highWatermark < end) {
        throw new CoordinatorWriteError(KafkaCode.COORDINATOR_NOT_AVAILABLE, `Appended to ${name} up to ${end}, but the in-sync replicas did not acknowledge it (high watermark ${hosted?.highWatermark ?? -1})`);
      }
      return result.baseOffset;
    },
    async trimBefore(offset: number): Promise<void> {
      led();
      const { errorCode } = await replicaManager.deleteRecords(topic, index, offset);
      if (errorCode !== KafkaCode.NONE) throw new CoordinatorWriteError(coordinatorErrorOf(errorCode), `Moving the log start of ${name} to ${offset} failed with error ${errorCode}`);
    },
  };
}
