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
export function alterTopicResources<R extends AlterResource>(resources: readonly R[], alter: (resource: R) => Promise<void>, alterBroker?: (resource: R) => Promise<void>): Promise<AlterResourceResult[]> {
  return Promise.all(
    resources.map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const broker = r.resourceType === ResourceType.ctx && alterBroker !== undefined;
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
