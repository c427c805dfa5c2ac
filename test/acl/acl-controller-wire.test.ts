/**
 * CreateAcls and DeleteAcls as a broker forwards them to a controller over the network: the
 * ControllerChannel sends them to the controller listener, whose QuorumController commits
 * `acl` / `remove-acl` records to the metadata log (what every broker then replays). A
 * controller that is not active answers NOT_CONTROLLER, which the channel follows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveController } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { ControllerChannel } from '../../core/broker/controller/controller-channel.ts';
import type { AclBinding } from '../../core/contracts/authorizer.ts';
import { KafkaCode } from '../../core/errors.ts';
import { startController } from '../cluster/controller-helpers.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const acl: AclBinding = { principal: 'User:alice', host: '*', resourceType: 'group', resourceName: 'g-', patternType: 'prefixed', operation: 'read', permission: 'allow' };

describe('ACL writes over the controller listener', () => {
  it('commit records to the metadata log and come back with their results', async () => {
    const { controller, quorum } = startController();
    await controller.whenIdle();
    const listener = await serveController({ nodeId: 100, controller, quorum, host: '127.0.0.1', port: 0 });
    cleanups.push(() => listener.close());
    const channel = new ControllerChannel({ voters: [{ nodeId: 100, host: '127.0.0.1', port: listener.port }], transport: tcpTransport(), defaultNumPartitions: 1, retryBackoffMs: 5, retryBackoffMaxMs: 20, retryTimeoutMs: 5000 });
    cleanups.push(() => channel.close());

    const invalid = { ...acl, resourceType: 'cluster' as const, resourceName: 'not-kafka-cluster' };
    const created = await channel.createAcls([acl, invalid, acl]);
    expect(created.map((r) => r.errorCode)).toEqual([KafkaCode.NONE, KafkaCode.INVALID_REQUEST, KafkaCode.NONE]);
    // One record: the second creation of the same ACL adds nothing.
    expect([...controller.image.acls.values()]).toEqual([acl]);
    const read = await quorum.read(0, 0);
    expect(read.batches.flatMap((b) => b.records).filter((r) => r.type === 'acl')).toHaveLength(1);

    const deleted = await channel.deleteAcls([{ principal: null, host: null, resourceType: 'group', resourceName: 'g-orders', patternType: 'match', operation: 'any', permission: 'any' }, null]);
    expect(deleted.map((d) => d.deleted)).toEqual([[acl], []]);
    expect(controller.image.acls.size).toBe(0);
    const after = await quorum.read(0, 0);
    expect(after.batches.flatMap((b) => b.records).filter((r) => r.type === 'remove-acl')).toHaveLength(1);
  });
});
