/** Partition assignors: range, round-robin, cooperative-sticky, and choosing them by name. */
import { TributaryError } from '../../errors.ts';
import { cooperativeStickyAssignor } from './cooperative-sticky.ts';
import { rangeAssignor } from './range.ts';
import { roundRobinAssignor } from './round-robin.ts';
import type { PartitionAssignor } from './types.ts';

export { cooperativeStickyAssignor, stickyAssign } from './cooperative-sticky.ts';
export { rangeAssignor } from './range.ts';
export { roundRobinAssignor } from './round-robin.ts';
export {
  compareMembers,
  currentOwners,
  type AssignmentInput,
  type AssignorMember,
  type MemberAssignments,
  type PartitionAssignor,
} from './types.ts';

/** A built-in assignor by name, or an assignor object. */
export type AssignorChoice = 'cooperative-sticky' | 'range' | 'roundrobin' | 'RoundRobinAssigner' | PartitionAssignor;

const BUILT_IN: Readonly<Record<string, () => PartitionAssignor>> = {
  'cooperative-sticky': cooperativeStickyAssignor,
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  RoundRobinAssigner: roundRobinAssignor,
};

/** Resolves names to assignors (`ERR_INVALID_ARGUMENT` for unknown names, duplicates or an empty list). */
export function resolveAssignors(choices: readonly AssignorChoice[]): PartitionAssignor[] {
  if (!Array.isArray(choices) || choices.length === 0) throw new TributaryError('ERR_INVALID_ARGUMENT', 'partitionAssigners needs at least one assignor');
  const out = choices.map((c) => {
    if (typeof c === 'string') {
      const make = BUILT_IN[c];
      if (!make) throw new TributaryError('ERR_INVALID_ARGUMENT', `Unknown partition assignor "${c}" (built in: cooperative-sticky, range, roundrobin)`);
      return make();
    }
    if (!c || typeof c.name !== 'string' || c.name.length === 0 || typeof c.assign !== 'function') {
      throw new TributaryError('ERR_INVALID_ARGUMENT', 'A custom assignor needs a name and an assign function');
    }
    if (c.rebalanceProtocol !== 'eager' && c.rebalanceProtocol !== 'cooperative') {
      throw new TributaryError('ERR_INVALID_ARGUMENT', `Assignor ${c.name}: rebalanceProtocol must be 'eager' or 'cooperative'`);
    }
    return c;
  });
  const names = out.flatMap((a) => [a.name, ...(a.aliases ?? [])]);
  if (new Set(names).size !== names.length) throw new TributaryError('ERR_INVALID_ARGUMENT', `Assignor names must be unique: ${names.join(', ')}`);
  return out;
}
