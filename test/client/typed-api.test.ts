/**
 * The typed surface users get from the package entry: Kafka error codes by name, the
 * closed error-code union, the typed protocol messages, and group events whose listeners
 * receive their own payload type. The type assertions are checked by `tsc --noEmit`.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ApiKey,
  KafkaCode,
  TributaryError,
  type ApiRequest,
  type ApiResponse,
  type ErrorCode,
  type GroupEvents,
  type GroupState,
  type OffsetToCommit,
  type TopicPartition,
} from '../../mod.ts';
import type { Harness } from './helpers.ts';
import { FAST, groupHarness } from './group-helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('typed API from mod.ts', () => {
  it('names Kafka error codes and closes the error-code union', () => {
    expect(KafkaCode.TOPIC_ALREADY_EXISTS).toBe(36);
    expectTypeOf(KafkaCode.NOT_LEADER_OR_FOLLOWER).toEqualTypeOf<6>();
    expectTypeOf<'NOT_LEADER_OR_FOLLOWER'>().toMatchTypeOf<ErrorCode>();
    expectTypeOf<'ERR_NO_SUCH_CODE'>().not.toMatchTypeOf<ErrorCode>();
    expectTypeOf(new TributaryError('ERR_USAGE', 'x').code).toEqualTypeOf<ErrorCode>();
  });

  it('types requests and responses by API key', () => {
    expectTypeOf<ApiResponse<typeof ApiKey.Metadata>['topics'][number]['name']>().toEqualTypeOf<string | null>();
    expectTypeOf<ApiRequest<typeof ApiKey.CreateTopics>['topics'][number]['numPartitions']>().toEqualTypeOf<number>();
  });

  it('gives each group event listener its payload type', async () => {
    h = await groupHarness('in-process');
    const consumer = h.client().consumer({ groupId: 'typed-events', ...FAST });
    expectTypeOf<GroupEvents['group.join']>().toEqualTypeOf<GroupState>();
    const off = consumer.on('partitions.assigned', ({ partitions }) => {
      expectTypeOf(partitions).toEqualTypeOf<readonly TopicPartition[]>();
    });
    consumer.on('commit', ({ offsets }) => expectTypeOf(offsets).toEqualTypeOf<readonly OffsetToCommit[]>());
    consumer.on('heartbeat', (p) => expectTypeOf(p.generationId).toEqualTypeOf<number>());
    expect(typeof off).toBe('function');
    off();
    // From plain JavaScript an unknown event name (even one Object.prototype has) is accepted and never fires.
    const untyped = consumer.on as unknown as (event: string, listener: () => void) => () => void;
    expect(() => untyped.call(consumer, 'toString', () => {})()).not.toThrow();
    expect(() => untyped.call(consumer, 'no.such.event', () => {})()).not.toThrow();
  });
});
