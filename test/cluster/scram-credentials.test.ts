/**
 * SCRAM credentials live in the metadata: a single broker persists them in its metadata
 * store (they survive a restart), and a cluster's controller commits them to the metadata
 * log, so every broker knows a user added through any one of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesystemStorage } from '../../adapters/filesystem/index.ts';
import { createBroker } from '../../adapters/runtime/embedded-broker.ts';
import { createCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { startInteropCluster } from '../interop/cluster-fixture.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('SCRAM credentials are metadata', () => {
  it('a single broker keeps them across a restart (filesystem storage)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-scram-'));
    dirs.push(dir);
    const first = await createBroker({ storage: filesystemStorage({ dir }) });
    await first.client({ logLevel: 'silent' }).admin().alterUserScramCredentials({ upsertions: [{ user: 'alice', mechanism: 'scram-sha-512', password: 'pw', iterations: 5000 }] });
    await first.close();
    const second = await createBroker({ storage: filesystemStorage({ dir }) });
    expect(await second.client({ logLevel: 'silent' }).admin().describeUserScramCredentials()).toEqual([{ user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 5000 }] }]);
    expect(second.broker.image.scramCredential('alice', 'SCRAM-SHA-512')?.iterations).toBe(5000);
    await second.close();
  });

  it('a cluster replicates them: added through one broker, every broker knows the user', async () => {
    const cluster = await createCluster({ brokers: 2 });
    try {
      const client = cluster.client({ logLevel: 'silent' });
      await client.admin().alterUserScramCredentials({ upsertions: [{ user: 'bob', mechanism: 'scram-sha-256', password: 'pw' }] });
      await expect.poll(() => [1, 2].map((id) => cluster.broker(id).image.scramCredential('bob', 'SCRAM-SHA-256')?.iterations)).toEqual([4096, 4096]);
      await client.admin().alterUserScramCredentials({ deletions: [{ user: 'bob', mechanism: 'scram-sha-256' }] });
      await expect.poll(() => [1, 2].map((id) => cluster.broker(id).image.scramCredential('bob', 'SCRAM-SHA-256'))).toEqual([undefined, undefined]);
      await client.close();
    } finally {
      await cluster.close();
    }
  });

  it('broker processes forward AlterUserScramCredentials to the controller over its listener', async () => {
    const cluster = await startInteropCluster(2);
    try {
      // Node 2 hosts no controller: it forwards the request to node 1's controller listener.
      await cluster.client(2, 'scram-admin').admin().alterUserScramCredentials({ upsertions: [{ user: 'carol', mechanism: 'scram-sha-256', password: 'pw' }] });
      for (const id of [1, 2]) {
        await expect.poll(() => cluster.client(id, `scram-check-${id}`).admin().describeUserScramCredentials(), { timeout: 10_000 }).toEqual([{ user: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] }]);
      }
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
