/**
 * What AlterConfigs and IncrementalAlterConfigs share: each resource is answered on its
 * own (one failing topic does not fail the others), and only topics can be altered —
 * broker settings are static here (set at start-up), so a broker resource is
 * INVALID_REQUEST.
 */
import { KafkaCode } from '../../../errors.ts';
import { ResourceType } from './describe-configs.ts';
import { NO_ERROR, toErrorPair } from '../../error-pair.ts';

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

/** Applies `alter` to each topic resource, concurrently, and answers each in order. */
export function alterTopicResources<R extends AlterResource>(resources: readonly R[], alter: (resource: R) => Promise<void>): Promise<AlterResourceResult[]> {
  return Promise.all(
    resources.map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType !== ResourceType.topic) {
        return { ...base, errorCode: KafkaCode.INVALID_REQUEST, errorMessage: 'Only topic configs can be altered; broker settings are static' };
      }
      try {
        await alter(r);
        return { ...base, ...NO_ERROR };
      } catch (error) {
        return { ...base, ...toErrorPair(error) };
      }
    }),
  );
}
