/**
 * The controller over the Raft quorum: exactly one of three QuorumControllers is active
 * (the one whose node leads once its leader-change batch is committed); it serves
 * registrations and topic creations; when its node stops another becomes active with
 * the same image (it replays the committed log), and a deposed controller answers
 * NOT_CONTROLLER.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { QuorumController } from '../../core/broker/controller/quorum-controller.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { KafkaCode } from '../../core/errors.ts';
import { heartbeat, register } from '../cluster/controller-helpers.ts';
import { RaftTestCluster, runFor } from './local-raft-network.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
});

async function controllerCluster() {
  const c = new RaftTestCluster(3);
  await c.start();
  const controllers = new Map<number, QuorumController>();
  const attach = (nodeId: number) => {
    const controller = new QuorumController({ quorum: c.node(nodeId), nodeId, clock: c.clock, logger: silentLogger, numPartitions: 1, defaultReplicationFactor: 1, sessionTimeoutMs: 60_000 });
    controllers.set(nodeId, controller);
    return controller;
  };
  for (const v of c.voters) attach(v.nodeId);
  cleanups.push(async () => {
    for (const ctl of controllers.values()) ctl.close();
    await c.stop();
  });
  const active = async (): Promise<QuorumController> => {
    for (let t = 0; t < 20_000; t += 10) {
      const on = [...controllers.values()].filter((ctl) => ctl.active);
      if (on.length === 1) {
        await on[0]!.whenIdle();
        if (on[0]!.active) return on[0]!;
      }
      if (on.length > 1) throw new Error(`two active controllers: ${on.map((x) => x.nodeId)}`);
      await runFor(c.clock, 10);
    }
    throw new Error('no active controller');
  };
  return { c, controllers, attach, active };
}

describe('QuorumController over RaftQuorum', () => {
  it('one controller is active; after its node stops another takes over with the same image', async () => {
    const { c, controllers, attach, active } = await controllerCluster();
    const first = await active();
    const epoch = await register(first, 10);
    await heartbeat(first, 10, epoch);
    await first.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1 });
    expect(first.image.topic('orders')?.partitions).toHaveLength(2);
    // The active node stops (a crash: no resignation).
    first.close();
    await c.stopNode(first.nodeId);
    controllers.delete(first.nodeId);
    const second = await active();
    expect(second.nodeId).not.toBe(first.nodeId);
    expect(second.image.topic('orders')?.partitions).toHaveLength(2);
    expect(second.image.registration(10)).toMatchObject({ brokerEpoch: epoch, fenced: false });
    await second.createTopic({ name: 'payments', numPartitions: 1, replicationFactor: 1 });
    // The stopped node comes back as a follower; its controller is not active and refuses.
    await c.startNode(first.nodeId);
    const back = attach(first.nodeId);
    await runFor(c.clock, 1000);
    expect(back.active).toBe(false);
    await expect(back.createTopic({ name: 'x', numPartitions: 1, replicationFactor: 1 })).rejects.toMatchObject({ kafkaCode: KafkaCode.NOT_CONTROLLER });
    // Every node's committed log replays to the same topics.
    for (const node of c.nodes.values()) {
      const names = (await node.read(0, 0)).batches.flatMap((b) => b.records).filter((r) => r.type === 'topic').map((r) => (r as { name: string }).name);
      expect(names).toEqual(['orders', 'payments']);
    }
  });

  it('a controller cut off from the quorum loses leadership; its in-flight change fails NOT_CONTROLLER and the new one serves', async () => {
    const { c, active } = await controllerCluster();
    const first = await active();
    await heartbeat(first, 10, await register(first, 10));
    c.network.isolate(first.nodeId);
    const pending = first.createTopic({ name: 'lost', numPartitions: 1, replicationFactor: 1 }).then(
      () => 'committed',
      (error: { kafkaCode?: number }) => error.kafkaCode,
    );
    await runFor(c.clock, 8000);
    expect(await pending).toBe(KafkaCode.NOT_CONTROLLER);
    expect(first.active).toBe(false);
    c.network.heal();
    await runFor(c.clock, 3000);
    const second = await active();
    expect(second.image.registration(10)).toBeDefined();
    expect(second.image.topic('lost')).toBeUndefined();
    await second.createTopic({ name: 'kept', numPartitions: 1, replicationFactor: 1 });
    expect(second.image.topic('kept')).toBeDefined();
  });
});
