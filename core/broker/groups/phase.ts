/** The coordinator's lifecycle, which both managers consult before they act. */
import { KafkaCode } from '../../kafka-error-codes.ts';

/**
 * new → loading (offsets being restored) → running → closed. In a cluster a coordinator of
 * one `__consumer_offsets` partition ends `unloaded` instead when this node stops leading
 * the partition (or never led it): its groups are another broker's now.
 */
export type CoordinatorPhase = 'new' | 'loading' | 'running' | 'closed' | 'unloaded';

/** The error every group request gets in `phase`: NONE only while running. */
export function phaseError(phase: CoordinatorPhase): number {
  if (phase === 'running') return KafkaCode.NONE;
  if (phase === 'loading') return KafkaCode.COORDINATOR_LOAD_IN_PROGRESS;
  return phase === 'unloaded' ? KafkaCode.NOT_COORDINATOR : KafkaCode.COORDINATOR_NOT_AVAILABLE;
}

/** True once the coordinator stopped for good (closed or unloaded): timers that fire late do nothing. */
export function stopped(phase: CoordinatorPhase): boolean {
  return phase === 'closed' || phase === 'unloaded';
}
