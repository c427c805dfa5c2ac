/**
 * A cluster member that is started wrong says so and stops, instead of waiting forever:
 * a --controller-quorum address that is a plain broker, a data directory of another node
 * id, a data directory of another cluster.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBroker, type EmbeddedBroker } from '../../adapters/runtime/embedded-broker.ts';
import { createCluster, type EmbeddedCluster } from '../../adapters/runtime/embedded-cluster.ts';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { Storage } from '../../core/contracts/storage.ts';

let single: EmbeddedBroker | undefined;
let cluster: EmbeddedCluster | undefined;
afterEach(async () => {
  await single?.close();
  await cluster?.close();
  single = cluster = undefined;
});

function member(storage: Storage, nodeId: number, port: number): Broker {
  return new Broker({ storage, handlers: DEFAULT_HANDLERS, nodeId, cluster: { voters: [{ nodeId: 1, host: '127.0.0.1', port }], transport: tcpTransport() } });
}

describe('a misconfigured cluster member', () => {
  it('refuses to start when --controller-quorum names a broker port', async () => {
    single = await createBroker({ listen: true });
    const port = Number(single.address!.split(':').pop());
    const broker = member(memoryStorage(), 2, port);
    await expect(broker.start()).rejects.toMatchObject({ code: 'ERR_NOT_A_CONTROLLER' });
    await broker.close();
  });

  it('refuses a data directory that belongs to another node id, and one of another cluster', async () => {
    const storages = new Map<number, Storage>();
    const storageOf = (id: number) => {
      if (!storages.has(id)) storages.set(id, memoryStorage());
      return storages.get(id)!;
    };
    cluster = await createCluster({ brokers: 2, storage: storageOf, heartbeatIntervalMs: 100 });
    await cluster.kill(2);
    // Node 2's storage started as node 3: refused, naming the node it belongs to.
    const wrongId = new Broker({ storage: storageOf(2), handlers: DEFAULT_HANDLERS, nodeId: 3, cluster: { voters: [{ nodeId: 3000, host: 'x', port: 1 }], quorum: cluster.quorum, controller: cluster.controller, transport: tcpTransport() } });
    await expect(wrongId.start()).rejects.toThrow(/belongs to node 2/);
    await wrongId.close().catch(() => undefined);
    // Node 2's storage in another cluster: refused, naming both cluster ids.
    const other = await createCluster({ brokers: 1, heartbeatIntervalMs: 100 });
    try {
      const foreign = new Broker({ storage: storageOf(2), handlers: DEFAULT_HANDLERS, nodeId: 2, cluster: { voters: [{ nodeId: 3000, host: 'x', port: 1 }], quorum: other.quorum, controller: other.controller, transport: tcpTransport() } });
      await expect(foreign.start()).rejects.toMatchObject({ code: 'INCONSISTENT_CLUSTER_ID' });
      await foreign.close().catch(() => undefined);
    } finally {
      await other.close();
    }
  });
});
