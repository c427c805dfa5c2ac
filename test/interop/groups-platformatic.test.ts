/**
 * @platformatic/kafka 1.35 consumer groups (unmodified client) against the broker's group coordinator.
 * Members run in the test process, except for the kill scenario: a member that must die
 * without leaving runs in a child process.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type GroupBroker, killChildren, nodeChildMembers, scenarioExactlyOnce, scenarioIdle, scenarioKill, scenarioLeave, scenarioResume, startGroupBroker } from './group-harness.ts';
import { inProcessMembers } from './groups-node-clients.ts';

const SESSION = 3000;
const members = inProcessMembers('platformatic');

let fx: GroupBroker;
beforeAll(async () => {
  fx = await startGroupBroker();
});
afterAll(async () => {
  killChildren();
  await fx?.close();
});

describe('@platformatic/kafka consumer groups', () => {
  it('3 members over 6 partitions consume every record exactly once between them', () => scenarioExactlyOnce(fx, 'pk', members, SESSION));
  it('a member that leaves hands its partitions to the others', () => scenarioLeave(fx, 'pk', members, SESSION));
  it('a restarted group resumes from its committed offsets', () => scenarioResume('pk', members, SESSION));
  it('8 members on 6 partitions leave 2 idle until a member with a partition leaves', () => scenarioIdle(fx, 'pk', members, SESSION));
  it('a member killed with SIGKILL loses its partitions after the session timeout', () => scenarioKill(fx, 'pk-kill', nodeChildMembers('platformatic'), SESSION));
});
