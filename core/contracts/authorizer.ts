/**
 * The Authorizer extension point: whether a principal, connecting from a host, may perform
 * an operation on a resource (Kafka's org.apache.kafka.server.authorizer.Authorizer), and
 * the ACL bindings the built-in one decides from (Kafka's AclBinding / AclBindingFilter).
 *
 * The names are Kafka's, lower-cased and dashed (`describe-configs` for DESCRIBE_CONFIGS);
 * the numbers Kafka puts on the wire for them are here too, so the protocol handlers, the
 * admin client and the CLI translate in one place.
 */

/** The resources ACLs protect. Kafka's delegation tokens and users are not modelled. */
export type AclResourceType = 'topic' | 'group' | 'cluster' | 'transactional-id';

/** How an ACL's resource name matches: the exact name (or `*`, every name), or a prefix (KIP-290). */
export type AclPatternType = 'literal' | 'prefixed';

/** What an ACL allows or denies. `all` stands for every operation. */
export type AclOperation =
  | 'all'
  | 'read'
  | 'write'
  | 'create'
  | 'delete'
  | 'alter'
  | 'describe'
  | 'cluster-action'
  | 'describe-configs'
  | 'alter-configs'
  | 'idempotent-write';

/** Whether a matching ACL allows or denies. */
export type AclPermission = 'allow' | 'deny';

/** The one name the cluster resource has (Kafka's `kafka-cluster`). */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/** The principal of a request no one authenticated (a PLAINTEXT listener, an in-process caller). */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** The principal that matches every principal in an ACL. */
export const WILDCARD_PRINCIPAL = 'User:*';

/** The host that matches every host in an ACL, and the resource name that matches every name of a literal ACL. */
export const WILDCARD = '*';

/**
 * One ACL: `principal` connecting from `host` is allowed or denied `operation` on the
 * resources `resourceType`/`resourceName` names under `patternType`.
 */
export interface AclBinding {
  /** `Type:name`, as Kafka's KafkaPrincipal prints (`User:alice`); `User:*` is every principal. */
  readonly principal: string;
  /** The client's IP address as the broker sees it, or `*` for any host. */
  readonly host: string;
  readonly resourceType: AclResourceType;
  /** A name, a prefix (`prefixed`), or `*` (a literal ACL on every resource of the type). */
  readonly resourceName: string;
  readonly patternType: AclPatternType;
  readonly operation: AclOperation;
  readonly permission: AclPermission;
}

/**
 * Which bindings a DescribeAcls or DeleteAcls means (Kafka's AclBindingFilter): a null
 * field (or `any`) matches every value. `patternType: 'match'` with a resource name takes
 * every binding that would apply to that resource: its literal ACLs, the literal `*` ACLs,
 * and the prefixed ACLs whose prefix the name starts with.
 */
export interface AclBindingFilter {
  readonly principal: string | null;
  readonly host: string | null;
  readonly resourceType: AclResourceType | 'any';
  readonly resourceName: string | null;
  readonly patternType: AclPatternType | 'any' | 'match';
  readonly operation: AclOperation | 'any';
  readonly permission: AclPermission | 'any';
}

/** Who asks (Kafka's AuthorizableRequestContext, the parts an authorizer decides on). */
export interface AuthorizationContext {
  /** `User:alice`; `User:ANONYMOUS` when the connection did not authenticate. */
  readonly principal: string;
  /** The client's IP address (`127.0.0.1`), or `''` when there is none (an in-process caller). */
  readonly host: string;
}

/** One thing asked for: an operation on one named resource. */
export interface AclAction {
  readonly operation: Exclude<AclOperation, 'all'>;
  readonly resourceType: AclResourceType;
  /** The resource's own name (never a pattern); `kafka-cluster` for the cluster. */
  readonly resourceName: string;
}

/** An authorizer's answer to one action. */
export type AuthorizationResult = 'allowed' | 'denied';

/**
 * Decides requests. A broker asks once per request for every action the request needs
 * (the topics of a Produce, …) and answers each entry by its result.
 */
export interface Authorizer {
  /** A name for logs and the conformance suite's titles (`standard`). */
  readonly name: string;
  /** One result per action, in order. */
  authorize(context: AuthorizationContext, actions: readonly AclAction[]): AuthorizationResult[];
  /**
   * Whether the principal may perform `operation` on at least one resource of the type
   * (Kafka's authorizeByResourceType): an idempotent producer without IDEMPOTENT_WRITE on
   * the cluster may still get a producer id when it may WRITE some topic (KIP-679).
   */
  authorizeByResourceType(context: AuthorizationContext, operation: Exclude<AclOperation, 'all'>, resourceType: AclResourceType): AuthorizationResult;
}

/** Settings every authorizer honours (Kafka's super.users and allow.everyone.if.no.acl.found). */
export interface AuthorizerSettings {
  /** Principals allowed everything, whatever the ACLs say (`User:admin`). */
  readonly superUsers?: readonly string[];
  /**
   * When no ACL at all names a resource (any principal, any operation), allow the action.
   * Kafka's default: false — without ACLs, only super users may do anything.
   */
  readonly allowEveryoneIfNoAclFound?: boolean;
}

/** Kafka's ResourceType codes on the wire (ANY is 1; UNKNOWN 0). */
export const ACL_RESOURCE_TYPE_CODES: Readonly<Record<AclResourceType | 'any', number>> = Object.freeze({
  any: 1,
  topic: 2,
  group: 3,
  cluster: 4,
  'transactional-id': 5,
});

/** Kafka's PatternType codes on the wire (UNKNOWN 0). */
export const ACL_PATTERN_TYPE_CODES: Readonly<Record<AclPatternType | 'any' | 'match', number>> = Object.freeze({
  any: 1,
  match: 2,
  literal: 3,
  prefixed: 4,
});

/** Kafka's AclOperation codes on the wire (UNKNOWN 0). */
export const ACL_OPERATION_CODES: Readonly<Record<AclOperation | 'any', number>> = Object.freeze({
  any: 1,
  all: 2,
  read: 3,
  write: 4,
  create: 5,
  delete: 6,
  alter: 7,
  describe: 8,
  'cluster-action': 9,
  'describe-configs': 10,
  'alter-configs': 11,
  'idempotent-write': 12,
});

/** Kafka's AclPermissionType codes on the wire (UNKNOWN 0). */
export const ACL_PERMISSION_CODES: Readonly<Record<AclPermission | 'any', number>> = Object.freeze({
  any: 1,
  deny: 2,
  allow: 3,
});
