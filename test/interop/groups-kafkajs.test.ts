/**
 * kafkajs 2.2.4 consumer groups (unmodified client) against the broker's group coordinator.
 * Members run in the test process, except for the kill scenario: a member that must die
 * without leaving runs in a child process.
 */
import { groupScenarios, nodeChildMembers } from './group-harness.ts';
import { inProcessMembers } from './groups-node-clients.ts';

groupScenarios('kafkajs consumer groups', 'kjs', inProcessMembers('kafkajs'), { sessionTimeoutMs: 3000, killable: nodeChildMembers('kafkajs') });
