/**
 * A three-broker process cluster for the client interop tests: `tributary broker` processes
 * on free 127.0.0.1 ports (no proxies in between, unlike the fault harness), filesystem
 * storage in a temp directory, node 1 also the controller, short failure detection so a
 * killed broker is fenced within seconds.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../mod.ts';
import type { Client } from '../../core/client/client.ts';
import { BrokerNode } from '../faults/broker-node.ts';
import { freePort } from '../faults/process-cluster.ts';

/** A running cluster of broker processes. */
export interface InteropCluster {
  readonly nodes: ReadonlyMap<number, BrokerNode>;
  /** `127.0.0.1:port` of each node, by node id. */
  readonly addresses: ReadonlyMap<number, string>;
  /** Where data and logs live. */
  readonly root: string;
  /** The address of node `id`. */
  address(id: number): string;
  /** A client of ours bootstrapping from `id` only (closed by close()). */
  client(id: number, clientId: string): Client;
  /** Every node's log (for failure messages). */
  logs(): string;
  /** Kills every node and removes the data (kept when `keep`). */
  close(keep?: boolean): Promise<void>;
}

/** Starts `count` brokers, node 1 first (it serves the controller the others register with). */
export async function startInteropCluster(count = 3): Promise<InteropCluster> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-interop-cluster-'));
  const controllerPort = await freePort();
  const nodes = new Map<number, BrokerNode>();
  const addresses = new Map<number, string>();
  for (let id = 1; id <= count; id++) {
    const port = await freePort();
    addresses.set(id, `127.0.0.1:${port}`);
    const dataDir = join(root, `node-${id}`);
    mkdirSync(dataDir);
    const args = [
      '--node-id', String(id),
      '--port', String(port),
      '--data-dir', dataDir,
      '--storage', 'filesystem',
      '--controller-quorum', `1@127.0.0.1:${controllerPort}`,
      '--default-replication-factor', String(Math.min(3, count)),
      '--group-initial-rebalance-delay-ms', '0',
      '--broker-heartbeat-interval-ms', '250',
      '--broker-session-timeout-ms', '2000',
      '--retention-check-interval-ms', '600000',
      '--log-level', 'info',
    ];
    nodes.set(id, new BrokerNode({ id, port, dataDir, logFile: join(root, `node-${id}.log`), args }));
  }
  const clients: Client[] = [];
  const cluster: InteropCluster = {
    nodes,
    addresses,
    root,
    address(id) {
      const address = addresses.get(id);
      if (!address) throw new Error(`no node ${id}`);
      return address;
    },
    client(id, clientId) {
      const client = createClient({ brokers: [cluster.address(id)], clientId, logLevel: 'silent', requestTimeoutMs: 5_000, connectTimeoutMs: 3_000, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1_000 } });
      clients.push(client);
      return client;
    },
    logs() {
      return [...nodes.values()].map((n) => `----- node ${n.id} -----\n${n.log()}`).join('\n');
    },
    async close(keep = false) {
      await Promise.allSettled(clients.map((c) => c.close()));
      await Promise.allSettled([...nodes.values()].map((n) => n.kill()));
      if (!keep) rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await nodes.get(1)!.start();
    await Promise.all([...nodes.values()].filter((n) => n.id !== 1).map((n) => n.start()));
  } catch (error) {
    await cluster.close(true);
    throw error;
  }
  return cluster;
}
