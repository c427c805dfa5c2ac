import type { Logger } from '../contracts/logger.ts';
import type { Registry } from '../registry.ts';
import type { Cluster } from './cluster.ts';
import type { RetryOptions } from './retry.ts';
import type { SerializerChoices, TopicSettings } from './serde.ts';

/**
 * What every producer and consumer takes from the client that made it: one cluster view,
 * one registry and one logger are shared, so a client's parts agree on brokers, plugins
 * and where their messages go.
 */
export interface ClientParts {
  readonly cluster: Cluster;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly retry: RetryOptions | undefined;
  readonly serializers: SerializerChoices | undefined;
  readonly topics: Readonly<Record<string, TopicSettings>> | undefined;
}
