/** The consumer group's embedded subscription and assignment formats, versions 0–3. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeConsumerAssignment, decodeConsumerSubscription, encodeConsumerAssignment, encodeConsumerSubscription,
} from '../../core/protocol/index.ts';

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js');

describe('subscription', () => {
  const full = {
    topics: ['a', 'b'],
    userData: new Uint8Array([1, 2]),
    ownedPartitions: [{ topic: 'a', partitions: [0, 3] }],
    generationId: 7,
    rackId: 'rack-2',
  };

  it.each([0, 1, 2, 3])('v%i round trip; fields newer than the version take defaults', (version) => {
    const back = decodeConsumerSubscription(encodeConsumerSubscription(full, version));
    expect(back).toEqual({
      version,
      topics: ['a', 'b'],
      userData: new Uint8Array([1, 2]),
      ownedPartitions: version >= 1 ? full.ownedPartitions : [],
      generationId: version >= 2 ? 7 : -1,
      rackId: version >= 3 ? 'rack-2' : null,
    });
  });

  it('a newer version than we know decodes the fields we know', () => {
    const bytes = encodeConsumerSubscription(full, 3);
    const v9 = new Uint8Array([...bytes, 0xde, 0xad]);
    v9[1] = 9;
    expect(decodeConsumerSubscription(v9)).toMatchObject({ version: 9, topics: ['a', 'b'], rackId: 'rack-2' });
  });

  it('interoperates with kafkajs MemberMetadata', () => {
    const theirs = MemberMetadata.encode({ version: 1, topics: ['x', 'y'], userData: globalThis.Buffer.from([9]) });
    expect(decodeConsumerSubscription(new Uint8Array(theirs))).toMatchObject({ version: 1, topics: ['x', 'y'], userData: new Uint8Array([9]) });
    const ours = encodeConsumerSubscription({ topics: ['x'], userData: new Uint8Array([4]) }, 0);
    expect(MemberMetadata.decode(globalThis.Buffer.from(ours))).toMatchObject({ version: 0, topics: ['x'] });
  });
});

describe('assignment', () => {
  it.each([0, 1, 2, 3])('v%i round trip', (version) => {
    const value = { assignedPartitions: [{ topic: 't', partitions: [1, 2] }, { topic: 'u', partitions: [] }], userData: null };
    expect(decodeConsumerAssignment(encodeConsumerAssignment(value, version))).toEqual({ version, ...value });
  });

  it('an empty assignment (a member left idle) decodes as no partitions', () => {
    expect(decodeConsumerAssignment(new Uint8Array(0))).toEqual({ version: 0, assignedPartitions: [], userData: null });
  });

  it('interoperates with kafkajs MemberAssignment', () => {
    const theirs = MemberAssignment.encode({ version: 0, assignment: { t: [0, 2], u: [1] } });
    expect(decodeConsumerAssignment(new Uint8Array(theirs)).assignedPartitions).toEqual([{ topic: 't', partitions: [0, 2] }, { topic: 'u', partitions: [1] }]);
    const ours = encodeConsumerAssignment({ assignedPartitions: [{ topic: 'v', partitions: [5] }] }, 1);
    expect(MemberAssignment.decode(globalThis.Buffer.from(ours))).toMatchObject({ version: 1, assignment: { v: [5] } });
  });
});
