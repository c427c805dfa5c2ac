/**
 * DescribeAcls (29), CreateAcls (30) and DeleteAcls (31): the ACLs of the metadata image,
 * changed through the controller (persisted on a single broker, committed to the metadata
 * log and replicated in a cluster, forwarded there like the other admin writes). As Kafka:
 * without an authorizer they answer SECURITY_DISABLED; DescribeAcls needs DESCRIBE on the
 * cluster, CreateAcls and DeleteAcls ALTER (CLUSTER_AUTHORIZATION_FAILED). Version 0 knows
 * only literal patterns: its filters mean literal ones, and prefixed ACLs are left out of
 * its answers.
 */
import type { AclBinding, AclBindingFilter } from '../../../contracts/authorizer.ts';
import { ACL_PATTERN_TYPE_CODES } from '../../../contracts/authorizer.ts';
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import { filterMatches } from '../../acl/acl-rules.ts';
import { aclFromWire, aclToWire, filterFromWire, type WireAclFilter } from '../../acl/acl-wire.ts';
import type { Controller } from '../../controller/controller.ts';
import type { MetadataImage } from '../../metadata/metadata-image.ts';
import { toErrorPair } from '../../error-pair.ts';
import { access } from '../access.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

const NO_AUTHORIZER = 'No authorizer is configured on this broker (start it with --authorizer standard)';

/** The filter of a request entry: a filter, null (matches nothing we keep), or the INVALID_REQUEST message. */
function decodeFilter(w: WireAclFilter): AclBindingFilter | null | string {
  const filter = filterFromWire(w);
  if (filter === undefined) return 'The filter has an unknown resource type, pattern type, operation or permission';
  return filter === 'matches-nothing' ? null : filter;
}

/**
 * CreateAcls over any controller (the broker's handler and the controller listener's):
 * entries whose codes name nothing we model are INVALID_REQUEST, the others go to the
 * controller together; a controller failure answers every entry with its code.
 */
export async function answerCreateAcls(controller: Pick<Controller, 'createAcls'>, body: ApiRequest<typeof ApiKey.CreateAcls>): Promise<ApiResponseInput<typeof ApiKey.CreateAcls>> {
  const decoded = body.creations.map((c) => aclFromWire(c));
  const valid = decoded.filter((b): b is AclBinding => b !== undefined);
  let outcomes: Array<{ errorCode: number; errorMessage: string | null }>;
  try {
    outcomes = valid.length > 0 ? await controller.createAcls(valid) : [];
  } catch (error) {
    const failure = toErrorPair(error);
    outcomes = valid.map(() => failure);
  }
  let next = 0;
  const results = decoded.map((b) =>
    b === undefined ? { errorCode: KafkaCode.INVALID_REQUEST, errorMessage: 'The ACL has an unknown or ANY resource type, pattern type, operation or permission' } : outcomes[next++]!,
  );
  return { throttleTimeMs: 0, results };
}

/** DeleteAcls over any controller: each filter's removed ACLs, or its error. */
export async function answerDeleteAcls(controller: Pick<Controller, 'deleteAcls'>, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DeleteAcls>): Promise<ApiResponseInput<typeof ApiKey.DeleteAcls>> {
  const decoded = body.filters.map((f) => decodeFilter(header.apiVersion === 0 ? { ...f, patternTypeFilter: ACL_PATTERN_TYPE_CODES.literal } : f));
  const valid = decoded.filter((f): f is AclBindingFilter | null => typeof f !== 'string');
  let outcomes: Array<{ errorCode: number; errorMessage: string | null; deleted: readonly AclBinding[] }>;
  try {
    outcomes = valid.length > 0 ? await controller.deleteAcls(valid) : [];
  } catch (error) {
    const failure = toErrorPair(error);
    outcomes = valid.map(() => ({ ...failure, deleted: [] }));
  }
  let next = 0;
  const filterResults = decoded.map((f) => {
    if (typeof f === 'string') return { errorCode: KafkaCode.INVALID_REQUEST, errorMessage: f, matchingAcls: [] };
    const outcome = outcomes[next++]!;
    const matchingAcls = outcome.deleted
      .filter((b) => header.apiVersion > 0 || b.patternType === 'literal')
      .map((b) => {
        const w = aclToWire(b);
        return { errorCode: 0, errorMessage: null, resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.resourcePatternType, principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType };
      });
    return { errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, matchingAcls };
  });
  return { throttleTimeMs: 0, filterResults };
}

/** DescribeAcls from an image: the ACLs the filter matches, grouped by resource pattern. */
export function answerDescribeAcls(image: MetadataImage, header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeAcls>): ApiResponseInput<typeof ApiKey.DescribeAcls> {
  const filter = decodeFilter(header.apiVersion === 0 ? { ...body, patternTypeFilter: ACL_PATTERN_TYPE_CODES.literal } : body);
  if (typeof filter === 'string') return { throttleTimeMs: 0, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: filter, resources: [] };
  const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }>();
  if (filter !== null) {
    for (const binding of image.acls.values()) {
      if (!filterMatches(filter, binding) || (header.apiVersion === 0 && binding.patternType !== 'literal')) continue;
      const w = aclToWire(binding);
      const key = `${w.resourceType}\u0000${w.resourcePatternType}\u0000${w.resourceName}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { resourceType: w.resourceType, resourceName: w.resourceName, patternType: w.resourcePatternType, acls: [] }));
      group.acls.push({ principal: w.principal, host: w.host, operation: w.operation, permissionType: w.permissionType });
    }
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...groups.values()] };
}

/** DescribeAcls v0–3 on a broker. */
export const describeAclsHandler: HandlerEntry<typeof ApiKey.DescribeAcls> = {
  apiKey: ApiKey.DescribeAcls,
  versions: { min: 0, max: 3 },
  handle: (ctx: BrokerContext, header, body) => {
    if (!ctx.authorizer) return { throttleTimeMs: 0, errorCode: KafkaCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER, resources: [] };
    if (!access(ctx, header).cluster('describe')) return { throttleTimeMs: 0, errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to describe ACLs', resources: [] };
    return answerDescribeAcls(ctx.image, header, body);
  },
};

/** CreateAcls v0–3 on a broker (the controller writes them). */
export const createAclsHandler: HandlerEntry<typeof ApiKey.CreateAcls> = {
  apiKey: ApiKey.CreateAcls,
  versions: { min: 0, max: 3 },
  handle: (ctx: BrokerContext, header, body) => {
    const refuse = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: body.creations.map(() => ({ errorCode, errorMessage })) });
    if (!ctx.authorizer) return refuse(KafkaCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!access(ctx, header).cluster('alter')) return refuse(KafkaCode.CLUSTER_AUTHORIZATION_FAILED, 'Not authorized to create ACLs');
    return answerCreateAcls(ctx.controller, body);
  },
};

/** DeleteAcls v0–3 on a broker (the controller removes them). */
export const deleteAclsHandler: HandlerEntry<typeof ApiKey.DeleteAcls> = {
  apiKey: ApiKey.DeleteAcls,
  versions: { min: 0, max: 3 },
  handle: (ctx: BrokerContext, header, body) => {
    const refuse = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: body.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!ctx.authorizer) return refuse(KafkaCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!access(ctx, header).cluster('alter')) return refuse(KafkaCode.CLUSTER_AUTHORIZATION_FAILED, 'Not authorized to delete ACLs');
    return answerDeleteAcls(ctx.controller, header, body);
  },
};

