/**
 * What a fault run records, as plain data the checker judges: every produce outcome,
 * every record a consumer saw, the committed offsets observed over time, the final log read
 * after healing, and the final ISR of every partition.
 */

/** The outcome of sending one unique value. */
export type ProduceOutcome =
  | { readonly kind: 'acked'; readonly producer: string; readonly value: string; readonly partition: number; readonly offset: number }
  | { readonly kind: 'failed'; readonly producer: string; readonly value: string; readonly error: string }
  /** Neither acknowledged nor refused (timeout, connection lost, process ended): may or may not be in the log. */
  | { readonly kind: 'unknown'; readonly producer: string; readonly value: string; readonly error: string };

/** A record as some reader saw it. */
export interface SeenRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** A record a consumer saw during the run. */
export interface ConsumedRecord extends SeenRecord {
  readonly consumer: string;
}

/** One observation of a group's committed offset for a partition (-1: none yet). */
export interface CommitObservation {
  readonly group: string;
  readonly partition: number;
  readonly offset: number;
  /** Observation order (a counter or a timestamp): later observations have larger values. */
  readonly at: number;
}

/** A partition's replicas and ISR as reported at the end. */
export interface PartitionIsr {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
}

/** Everything one run recorded. */
export interface History {
  readonly topic: string;
  readonly produced: readonly ProduceOutcome[];
  readonly consumed: readonly ConsumedRecord[];
  readonly commits: readonly CommitObservation[];
  /** The whole log of every partition, read from the beginning after healing. */
  readonly finalLog: readonly SeenRecord[];
  readonly finalIsr: readonly PartitionIsr[];
}
