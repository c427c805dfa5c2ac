/**
 * The harness's process control on one standalone broker (no cluster needed): a paused
 * broker answers nothing until resumed, a killed one restarts on its port and data
 * directory with its records, and its log file keeps every life.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../mod.ts';
import { BrokerNode } from './broker-node.ts';
import { freePort } from './process-cluster.ts';

const dir = mkdtempSync(join(tmpdir(), 'tributary-broker-node-'));
let node: BrokerNode | undefined;

afterAll(async () => {
  await node?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('broker node', () => {
  it('pauses, resumes, kills and restarts a broker process in place', async () => {
    const port = await freePort();
    node = new BrokerNode({ id: 0, port, dataDir: dir, logFile: join(dir, 'node.log'), args: ['--port', String(port), '--data-dir', dir, '--storage', 'filesystem', '--log-level', 'info'] });
    await node.start();
    const client = createClient({ brokers: [`127.0.0.1:${port}`], clientId: 'broker-node-test', logLevel: 'silent', requestTimeoutMs: 1_500, retry: { retries: 0 } });
    try {
      const producer = client.producer();
      await producer.send({ topic: 'kept', messages: [{ value: 'before' }] });
      node.pause();
      expect(node.state).toBe('paused');
      const whilePaused = client.admin().fetchTopicOffsets('kept');
      await expect(whilePaused).rejects.toBeDefined();
      node.resume();
      expect((await client.admin().fetchTopicOffsets('kept'))[0]!.high).toBe(1);

      await node.kill();
      expect(node.state).toBe('down');
      await node.restart();
      expect(node.state).toBe('running');
      const deadline = Date.now() + 30_000;
      let high = -1;
      while (high !== 1 && Date.now() < deadline) {
        high = await client.admin().fetchTopicOffsets('kept').then((o) => o[0]!.high, () => -1);
      }
      expect(high).toBe(1);
      expect(node.log()).toMatch(/SIGSTOP[\s\S]*SIGCONT[\s\S]*kill -9[\s\S]*exited[\s\S]*starting/);
    } finally {
      await client.close();
    }
  }, 120_000);
});
