/**
 * The same controller wire without sockets: a broker's ControllerChannel and
 * RemoteMetadataReader reach a ControllerServer through the in-process transport (what an
 * in-process cluster uses), under the same session rules as TCP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControllerChannel } from '../../core/broker/controller/controller-channel.ts';
import { ControllerServer } from '../../core/broker/controller/controller-server.ts';
import { RemoteMetadataReader } from '../../core/broker/quorum/remote-metadata-reader.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import { TestController, TestQuorum } from './controller-test-parts.ts';

const voters = [{ nodeId: 1, host: 'controller-1', port: 9093 }];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function controller(): { server: ControllerServer; quorum: TestQuorum; controller: TestController } {
  const quorum = new TestQuorum(1);
  const controller = new TestController(quorum);
  return { server: new ControllerServer({ nodeId: 1, controller, quorum }), quorum, controller };
}

describe('controller wire in process', () => {
  it('registers and creates topics through the channel, and reads the metadata log back', async () => {
    const node = controller();
    const transport = inProcessTransport(node.server);
    const channel = new ControllerChannel({ voters, transport, defaultNumPartitions: 1 });
    const reader = new RemoteMetadataReader({ voters, transport, nodeId: 3 });
    cleanups.push(() => channel.close(), () => reader.close());
    expect(await channel.registerBroker({ nodeId: 3, clusterId: 'test-cluster', incarnationId: '0f8fad5b-d9cb-469f-a165-70867728950e', host: 'b3', port: 9092, rack: null })).toMatchObject({ errorCode: 0, brokerEpoch: 0 });
    expect((await channel.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1 })).partitions).toHaveLength(2);
    const read = await reader.read(0, 0);
    expect(read.batches).toEqual(node.quorum.batches);
    expect(read.highWatermark).toBe(node.quorum.highWatermark);

    const next = reader.read(read.highWatermark, 60_000);
    while (node.quorum.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    await channel.deleteTopic('orders');
    expect((await next).batches).toEqual(node.quorum.batches.slice(-1));
  });

  it('refuses connections once the controller listener shuts down, and the channel says no controller answered', async () => {
    const node = controller();
    node.server.beginShutdown();
    const channel = new ControllerChannel({ voters, transport: inProcessTransport(node.server), defaultNumPartitions: 1, retryTimeoutMs: 50, retryBackoffMs: 5 });
    cleanups.push(() => channel.close());
    const error = await channel.allocateProducerIds({ brokerId: 3, brokerEpoch: 0 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REQUEST_TIMED_OUT' });
    expect((error as { cause: { code: string } }).cause.code).toBe('ERR_CONNECT_FAILED');
  });
});
