/**
 * Commit and resume on the durable storage adapters: a group consumes, commits on stop,
 * the broker restarts on the same directory, and the group resumes exactly after its
 * commits. In-process and over TCP, filesystem and level storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { levelStorage } from '../../adapters/level/index.ts';
import type { Storage } from '../../core/contracts/storage.ts';
import { type Seen, distinctValues, duplicates, groupMembers, produce } from './group-helpers.ts';
import { type Harness, type Mode, harness, until } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const STORAGES: Array<[string, (dir: string) => Storage]> = [
  ['filesystem', (dir) => filesystemStorage({ dir })],
  ['level', (dir) => levelStorage({ location: dir })],
];

function start(mode: Mode, storage: Storage): Promise<Harness> {
  return harness(mode, { storage, groups: { initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100, offsetsRetentionCheckIntervalMs: 0 } });
}

for (const mode of ['in-process', 'tcp'] as const) {
  for (const [name, storage] of STORAGES) {
    describe(`${mode}, ${name} storage`, () => {
      it('a group resumes from the offsets it committed before the broker restarted', async () => {
        const dir = mkdtempSync(join(tmpdir(), `tributary-resume-${name}-`));
        dirs.push(dir);
        let h = await start(mode, storage(dir));
        try {
          const client = h.client();
          await client.admin().createTopics({ topics: [{ topic: 'resume', numPartitions: 3 }] });
          await produce(client, 'resume', 3, 90, 'a');
          const seen: Seen[] = [];
          const first = groupMembers(client, seen);
          const members = [0, 1].map(() => first.make({ groupId: 'durable' }));
          for (const m of members) await m.subscribe({ topics: ['resume'], fromBeginning: true });
          await Promise.all(members.map((m, i) => m.run({ eachMessage: first.handler(i) })));
          await until(() => seen.length >= 90);
          await Promise.all(members.map((m) => m.stop()));
          expect(duplicates(seen)).toBe(0);
        } finally {
          await h.close();
        }

        h = await start(mode, storage(dir));
        try {
          const client = h.client();
          const admin = client.admin();
          const committed = await admin.fetchOffsets({ groupId: 'durable', topics: ['resume'] });
          expect(committed[0]!.partitions.map((p) => p.offset).reduce((a, b) => a + b, 0)).toBe(90);
          await produce(client, 'resume', 3, 30, 'b');
          const seen: Seen[] = [];
          const again = groupMembers(client, seen);
          const member = again.make({ groupId: 'durable' });
          await member.subscribe({ topics: ['resume'], fromBeginning: true });
          await member.run({ eachMessage: again.handler(0) });
          // Restarted from the beginning, the a- records (lower offsets) would come first.
          await until(() => seen.length >= 30);
          await member.stop();
          expect(seen.every((s) => s.value.startsWith('b-'))).toBe(true);
          expect(distinctValues(seen).size).toBe(30);
        } finally {
          await h.close();
        }
      });
    });
  }
}
