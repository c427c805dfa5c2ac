/**
 * What AlterConfigs and IncrementalAlterConfigs share: each resource is answered on its
 * own (one failing topic does not fail the others). Topics are altered with `alter`;
 * a broker resource goes to `alterBroker` when there is one (a cluster's controller writes
 * dynamic broker configs to the metadata log) and is INVALID_REQUEST otherwise (a single
 * broker's settings are static, set at start-up).
 */
import { KafkaCode } from '../../../errors.ts';
import { ResourceType } from './describe-configs.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';
import type { RequestAccess } from '../access.ts';

/** One resource of either request, as far as the answer needs it. */
interface AlterResource {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** One resource's answer. */
export interface AlterResourceResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Kafka's check of an alteration: ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or,
 * for a broker resource, on the cluster (CLUSTER_AUTHORIZATION_FAILED); null when allowed.
 */
export function alterConfigsRefusal(can: RequestAccess, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  if (resourceType === ResourceType.topic) {
    return can.allows('alter-configs', 'topic', resourceName) ? null : { errorCode: KafkaCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `Not authorized to alter the configs of topic "${resourceName}"` };
  }
  return can.cluster('alter-configs') ? null : { errorCode: KafkaCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Not authorized to alter broker configs' };
}

/**
 * Applies `alter` to each topic resource (and `alterBroker`, when given, to each broker
 * resource), concurrently, and answers each in order; a resource `refused` answers for (an
 * authorization failure) is not altered.
 */
export function alterTopicResources<R extends AlterResource>(
  resources: readonly R[],
  alter: (resource: R) => Promise<void>,
  refused: (resource: R) => { errorCode: number; errorMessage: string } | null = () => null,
  alterBroker?: (resource: R) => Promise<void>,
): Promise<AlterResourceResult[]> {
  return Promise.all(
    resources.map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const refusal = refused(r);
      if (refusal) return { ...base, ...refusal };
      const broker = r.resourceType === ResourceType.broker && alterBroker !== undefined;
      if (r.resourceType !== ResourceType.topic && !broker) {
        return { ...base, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: 'Only topic configs can be altered; broker settings are static' };
      }
      try {
        await (broker ? alterBroker! : alter)(r);
        return { ...base, ...NO_ERROR };
      } catch (error) {
        return { ...base, ...toErrorPair(error) };
      }
    }),
  );
}
