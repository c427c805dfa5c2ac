/**
 * The `authorizedOperations` bit fields of Metadata (v8+) and DescribeCluster: bit n is
 * set when the caller may perform Kafka's AclOperation n. Without an authorizer Kafka
 * grants every operation the resource type supports, and so do we; a client that did not
 * ask for them gets Kafka's "not requested" value, INT32_MIN.
 */

/** Kafka's AclOperation codes (the bit positions). */
const AclOperation = Object.freeze({
  read: 3,
  write: 4,
  create: 5,
  delete: 6,
  alter: 7,
  describe: 8,
  clusterAction: 9,
  describeConfigs: 10,
  alterConfigs: 11,
  idempotentWrite: 12,
} as const);

function bits(...operations: number[]): number {
  let field = 0;
  for (const op of operations) field |= 1 << op;
  return field;
}

/** What a client that did not ask (or an older version) gets. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** Every operation a topic supports in Kafka (read, write, create, delete, alter, describe, describe/alter configs). */
export const TOPIC_OPERATIONS = bits(
  AclOperation.read, AclOperation.write, AclOperation.create, AclOperation.delete,
  AclOperation.alter, AclOperation.describe, AclOperation.describeConfigs, AclOperation.alterConfigs,
);

/** Every operation the cluster resource supports in Kafka. */
export const CLUSTER_OPERATIONS = bits(
  AclOperation.create, AclOperation.alter, AclOperation.describe, AclOperation.clusterAction,
  AclOperation.describeConfigs, AclOperation.alterConfigs, AclOperation.idempotentWrite,
);

/** The operations a topic and the cluster support, as the authorizer names them, with their bits. */
const SUPPORTED = Object.freeze({
  topic: [['read', AclOperation.read], ['write', AclOperation.write], ['create', AclOperation.create], ['delete', AclOperation.delete], ['alter', AclOperation.alter],
    ['describe', AclOperation.describe], ['describe-configs', AclOperation.describeConfigs], ['alter-configs', AclOperation.alterConfigs]],
  cluster: [['create', AclOperation.create], ['alter', AclOperation.alter], ['describe', AclOperation.describe], ['cluster-action', AclOperation.clusterAction],
    ['describe-configs', AclOperation.describeConfigs], ['alter-configs', AclOperation.alterConfigs], ['idempotent-write', AclOperation.idempotentWrite]],
} as const);

/**
 * The bit field of what `allows` grants on a resource (Kafka asks its authorizer for each
 * operation the resource type supports). `allows` is the request's access check.
 */
export function grantedOperations(type: 'topic' | 'cluster', allows: (operation: (typeof SUPPORTED)[typeof type][number][0]) => boolean): number {
  let field = 0;
  for (const [operation, bit] of SUPPORTED[type]) if (allows(operation)) field |= 1 << bit;
  return field;
}

/** The field to answer: the granted operations when `requested`, else INT32_MIN. */
export function authorizedOperations(requested: boolean | undefined, granted: number): number {
  return requested === true ? granted : OPERATIONS_NOT_REQUESTED;
}
