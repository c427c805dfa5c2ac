/**
 * FindCoordinator: on a cluster of one every group and transaction coordinator is this
 * node; with partitioned groups (cluster mode) a group's coordinator is the leader of its
 * `__consumer_offsets` partition, which the group coordinator locates (creating the topic
 * when missing). (librdkafka also reads its presence as "the broker supports lz4".) The
 * group protocol itself is served by the group coordinator, registered separately.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import { addressOn, type BrokerContext } from '../context.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';
import { access } from '../access.ts';

interface Answer {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

// One key: this node, unless the group coordinator places groups (then its partition's leader).
async function answerFor(ctx: BrokerContext, keyType: number, key: string, listener: string | undefined): Promise<Answer> {
  if (keyType !== 0 && keyType !== 1) return { nodeId: -1, host: '', port: -1, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: `Unknown coordinator key type ${keyType}` };
  if (keyType === 0 && ctx.groups.locate) {
    const found = await ctx.groups.locate(key);
    const registered = found.errorCode === KafkaCode.NONE ? ctx.image.broker(found.nodeId) : undefined;
    const broker = registered === undefined ? undefined : addressOn(ctx, listener, registered);
    if (!broker) return { nodeId: -1, host: '', port: -1, errorCode: found.errorCode === KafkaCode.NONE ? KafkaCode.COORDINATOR_NOT_AVAILABLE : found.errorCode, errorMessage: found.errorMessage };
    return { nodeId: broker.nodeId, host: broker.host, port: broker.port, errorCode: KafkaCode.NONE, errorMessage: null };
  }
  const self = addressOn(ctx, listener, ctx.image.broker(ctx.nodeId)!);
  return { nodeId: self.nodeId, host: self.host, port: self.port, errorCode: KafkaCode.NONE, errorMessage: null };
}

async function handleFindCoordinator(ctx: BrokerContext, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.FindCoordinator>): Promise<ApiResponseInput<typeof ApiKey.FindCoordinator>> {
  const keyType = body.keyType ?? 0;
  const keys = header.apiVersion >= 4 ? (body.coordinatorKeys ?? []) : [body.key ?? ''];
  // Kafka's checks: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED) or the transactional id
  // (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), per key.
  const can = access(ctx, header);
  const group = keyType === 0;
  const describable = keyType === 0 || keyType === 1 ? can.filter('describe', group ? 'group' : 'transactional-id', keys) : () => true;
  const refused: Answer = group
    ? { nodeId: -1, host: '', port: -1, errorCode: KafkaCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to describe this group' }
    : { nodeId: -1, host: '', port: -1, errorCode: KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to describe this transactional id' };
  const answers = await Promise.all(keys.map((key) => (describable(key) ? answerFor(ctx, keyType, key, header.listener) : refused)));
  if (header.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: keys.map((key, i) => ({ key, ...answers[i]! })) };
  return { throttleTimeMs: 0, ...answers[0]! };
}

/** FindCoordinator v0–6. */
export const findCoordinatorHandler: HandlerEntry<typeof ApiKey.FindCoordinator> = {
  apiKey: ApiKey.FindCoordinator,
  versions: { min: 0, max: 6 },
  handle: handleFindCoordinator,
};
