/** The coordinator's lifecycle, which both managers consult before they act. */
import { COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NONE } from './error-codes.ts';

/** new → loading (offsets being restored) → running → closed. */
export type CoordinatorPhase = 'new' | 'loading' | 'running' | 'closed';

/** The error every group request gets in `phase`: NONE only while running. */
export function phaseError(phase: CoordinatorPhase): number {
  if (phase === 'running') return NONE;
  return phase === 'loading' ? COORDINATOR_LOAD_IN_PROGRESS : COORDINATOR_NOT_AVAILABLE;
}
