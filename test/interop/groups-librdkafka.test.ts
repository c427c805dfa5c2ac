/**
 * librdkafka consumer groups against the broker's group coordinator: kcat in balanced
 * consumer mode (`-G`) and python3-confluent-kafka (Debian), each member a child process,
 * so a member can also die without leaving (SIGKILL).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { type Member, type MemberFactory, childMember, freshTopic, groupScenarios, jsonLinesMember, onLines, produceEach, settle, until } from './group-harness.ts';

const SESSION = 2000;
const SCRIPT = fileURLToPath(new URL('./group-consumer.py', import.meta.url));

const startKcat: MemberFactory = async ({ group, topic, bootstrap, sessionTimeoutMs }) => {
  const child = spawn('kcat', [
    '-b', bootstrap, '-G', group, '-u', '-f', '%p %o %s\\n',
    '-X', `session.timeout.ms=${sessionTimeoutMs}`, '-X', 'heartbeat.interval.ms=200',
    '-X', 'auto.offset.reset=earliest', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100',
    '-X', 'fetch.wait.max.ms=100', '-X', 'broker.address.family=v4',
    topic,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const member = childMember(child, 'SIGINT');
  onLines(child.stdout!, (line) => {
    const m = /^(\d+) (\d+) (.*)$/.exec(line);
    if (m) member.consumed.push({ partition: Number(m[1]), offset: Number(m[2]), value: m[3]! });
  });
  onLines(child.stderr!, (line) => {
    if (line.includes('assigned:')) member.setAssigned([...line.split('assigned:')[1]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])));
    else if (line.includes('revoked:')) member.setAssigned([]);
  });
  return member;
};

const startPython = async ({ group, topic, bootstrap, sessionTimeoutMs, instance }: Parameters<MemberFactory>[0] & { instance?: string }): Promise<Member> => {
  const args = [SCRIPT, bootstrap, group, topic, String(sessionTimeoutMs), ...(instance ? [instance] : [])];
  return jsonLinesMember(spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'inherit'] }));
};

groupScenarios('kcat (librdkafka) balanced consumers', 'kcat', startKcat, { sessionTimeoutMs: SESSION });

groupScenarios('python3-confluent-kafka (librdkafka) consumers', 'py', startPython, { sessionTimeoutMs: SESSION }, (fx) => {
  it('a static member (group.instance.id) that restarts within its session keeps its partitions without a rebalance', async () => {
    const { topic, group } = await freshTopic(fx().broker, 'pystatic');
    const start = (instance: string) => startPython({ group, topic, bootstrap: fx().bootstrap, sessionTimeoutMs: 6000, instance });
    const members = await Promise.all(['a', 'b', 'c'].map(start));
    await settle(fx().broker, group, members);
    const generation = fx().broker.groups.group(group)!.generationId;
    const before = [...members[2]!.assigned()];
    const oldId = fx().broker.groups.group(group)!.staticMembers.get('c');
    await members[2]!.kill!();
    const back = await start('c');
    const now = [members[0]!, members[1]!, back];
    await settle(fx().broker, group, now);
    const g = fx().broker.groups.group(group)!;
    expect(g.generationId).toBe(generation);
    expect(g.staticMembers.get('c')).not.toBe(oldId);
    expect([...back.assigned()]).toEqual(before);
    await produceEach(fx().broker, topic, before, 3, 'static');
    await until('the restarted static member to consume', () => back.consumed.filter((c) => c.value.includes('-static-')).length === 6);
    await Promise.all(now.map((m) => m.stop()));
  });
});
