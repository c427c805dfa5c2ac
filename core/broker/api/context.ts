/**
 * The narrow view of a broker that request handlers get. Handlers never see the Broker
 * class: they read the metadata image, append and read through the replica manager, and
 * send metadata changes to the controller (plus the group coordinator and producer ids).
 * They cannot reach into lifecycle, storage or wiring, and a test can hand a handler a
 * context of its own.
 */
import type { Authorizer } from '../../contracts/authorizer.ts';
import type { Logger } from '../../contracts/logger.ts';
import type { GroupService } from '../groups/group-service.ts';
import type { ProducerIdManager } from '../producer-state/producer-ids.ts';
import type { ReplicaManager } from '../replica-manager.ts';
import type { TopicConfigDefaults } from '../topic-config.ts';
import type { Controller } from '../controller/controller.ts';
import type { MetadataImage } from '../metadata/metadata-image.ts';
import type { BrokerLimits } from '../broker-configs.ts';

/** One version range per API key, as ApiVersions advertises it. */
export interface ApiRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** A broker's address as Metadata and DescribeCluster list it. */
export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** One broker-level setting as DescribeConfigs shows it. */
export interface BrokerConfigValue {
  readonly value: string;
  /** Set in the broker's options (static broker config) rather than defaulted. */
  readonly explicit: boolean;
  /** Kafka's ConfigType number. */
  readonly type: number;
  readonly doc: string;
}

/** What every request handler may use of the broker that runs it. */
export interface BrokerContext {
  /** Resource limits (fetch.max.bytes, socket.request.max.bytes, …). */
  readonly limits: BrokerLimits;
  /** This broker's node id. */
  readonly nodeId: number;
  /** The cluster id (known once the broker started). */
  readonly clusterId: string;
  /** The controller's node id. */
  readonly controllerId: number;
  /** Logger. */
  readonly logger: Logger;
  /** Whether unknown topics are created on Metadata and Produce. */
  readonly autoCreateTopics: boolean;
  /** What this node knows of the cluster: brokers, topics, assignments, leaders, ISRs. */
  readonly image: MetadataImage;
  /** Where metadata changes go (topic creation, deletion, growth, configs). */
  readonly controller: Controller;
  /** Broker-wide topic config defaults, by topic config name. */
  readonly topicDefaults: TopicConfigDefaults;
  /** Broker-level settings as DescribeConfigs shows them. */
  readonly brokerConfigs: ReadonlyMap<string, BrokerConfigValue>;
  /** The group coordinator: of every group on a single node, of the groups whose offsets partitions this node leads in a cluster. */
  readonly groups: GroupService;
  /** The partitions this node hosts: appends, fetches, offset lookups. */
  readonly replicaManager: ReplicaManager;
  /** Producer id allocation (InitProducerId). */
  readonly producerIds: ProducerIdManager;
  /**
   * Who may do what (`--authorizer`): handlers ask through `access(ctx, header)`
   * (api/access.ts). Undefined: no authorizer, every request is allowed.
   */
  readonly authorizer?: Authorizer | undefined;
  /** What ApiVersions advertises. */
  apiVersions(): readonly ApiRange[];
  /**
   * This node's advertised address on listener `name` (advertised.listeners), or undefined
   * when it has no such listener (then the registered address stands).
   */
  listenerAddress?(name: string): { readonly host: string; readonly port: number } | undefined;
}

/**
 * A broker's address as a client that came in on `listener` must see it: this node's own
 * address on that listener (a SASL_SSL client gets the SASL_SSL port), other nodes their
 * registered one (brokers register one listener's address today).
 */
export function addressOn<T extends BrokerEndpoint>(ctx: BrokerContext, listener: string | undefined, endpoint: T): T {
  if (listener === undefined || endpoint.nodeId !== ctx.nodeId || !ctx.listenerAddress) return endpoint;
  const own = ctx.listenerAddress(listener);
  return own === undefined ? endpoint : { ...endpoint, host: own.host, port: own.port };
}
