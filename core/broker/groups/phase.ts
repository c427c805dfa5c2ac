/** The coordinator's lifecycle, which both managers consult before they act. */
import { KafkaCode } from '../../kafka-error-codes.ts';

/** new → loading (offsets being restored) → running → closed. */
export type CoordinatorPhase = 'new' | 'loading' | 'running' | 'closed';

/** The error every group request gets in `phase`: NONE only while running. */
export function phaseError(phase: CoordinatorPhase): number {
  if (phase === 'running') return KafkaCode.NONE;
  return phase === 'loading' ? KafkaCode.COORDINATOR_LOAD_IN_PROGRESS : KafkaCode.COORDINATOR_NOT_AVAILABLE;
}
