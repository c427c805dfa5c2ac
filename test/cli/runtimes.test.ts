/** The same CLI under Deno and Bun: `topics list` and a produce/consume round trip against a broker in this process. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCommand, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;

beforeAll(async () => {
  broker = await startCliBroker();
});
afterAll(() => broker?.close());

const RUNTIMES = [
  { name: 'deno', bin: join(ROOT, 'node_modules/.bin/deno'), prefix: ['run', '-A', 'cli/main.ts'] },
  { name: 'bun', bin: join(ROOT, 'node_modules/.bin/bun'), prefix: ['cli/main.ts'] },
];

describe.each(RUNTIMES)('tributary under $name', ({ name, bin, prefix }) => {
  it.runIf(existsSync(bin))('lists topics and round-trips messages with keys and headers', async () => {
    const topic = `runtime-${name}`;
    const b = ['-b', broker.address];
    const run = (args: string[], input?: string) => runCommand(bin, [...prefix, ...args], { input, env: { NO_COLOR: '1' } });
    const created = await run(['topics', 'create', topic, '-p', '2', ...b]);
    expect(created.code, created.stderr).toBe(0);
    const listed = await run(['topics', 'list', ...b]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')).toContain(topic);
    const produced = await run(['produce', topic, '-K', ':', '-H', 'rt=' + name, ...b], 'k1:one\nk2:two\nk3:three\n');
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await run(['consume', topic, '--exit', '--json', ...b]);
    expect(consumed.code, consumed.stderr).toBe(0);
    const messages = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(messages.map((m) => `${m.key}=${m.value}`).sort()).toEqual(['k1=one', 'k2=two', 'k3=three']);
    expect(messages.every((m) => m.headers.rt === name)).toBe(true);
    const unknown = await run(['consume', 'no-such-topic', '--exit', ...b]);
    expect(unknown.code).toBe(3);
  });
});
