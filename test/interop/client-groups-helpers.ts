/**
 * Helpers of our group interop tests on top of group-harness.ts: a resume scenario on the
 * running broker (restart of the group, not of the broker).
 */
import { expect } from 'vitest';
import { type GroupBroker, type Member, type MemberFactory, committedToEnd, freshTopic, produceEach, settle, until } from './group-harness.ts';

const ALL = [0, 1, 2, 3, 4, 5];

async function consumed(members: readonly Member[], expected: number): Promise<string[]> {
  await until(`${expected} records consumed`, () => new Set(members.flatMap((m) => m.consumed.map((c) => `${c.partition}:${c.offset}`))).size >= expected);
  return members.flatMap((m) => m.consumed.map((c) => c.value));
}

/** Three members consume and commit, stop; three new members read only what came after. */
export async function resumeScenario(fx: GroupBroker, family: string, start: MemberFactory, sessionTimeoutMs: number): Promise<void> {
  const { topic, group } = await freshTopic(fx.broker, family);
  const first = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  await settle(fx.broker, group, first);
  await produceEach(fx.broker, topic, ALL, 4, 'old');
  await consumed(first, 24);
  await committedToEnd(fx.broker, group, topic);
  await Promise.all(first.map((m) => m.stop()));
  await until('the group to empty', () => fx.broker.groups.group(group)?.state === 'Empty');
  await produceEach(fx.broker, topic, ALL, 3, 'new');
  const second = await Promise.all([0, 1, 2].map(() => start({ group, topic, bootstrap: fx.bootstrap, sessionTimeoutMs })));
  const got = await consumed(second, 18);
  await settle(fx.broker, group, second);
  expect(got.filter((v) => v.includes('-old-'))).toEqual([]);
  expect(got).toHaveLength(18);
  await Promise.all(second.map((m) => m.stop()));
}
