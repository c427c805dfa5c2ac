/**
 * Kafka's ACL rules, as pure functions over bindings (learned from Kafka's StandardAuthorizer
 * and AclAuthorizer; our own code):
 * - an ACL applies to a resource when its type is the resource's and its pattern matches:
 *   a literal ACL names the resource or is `*`, a prefixed ACL's name starts the resource's;
 * - it applies to a request when its principal is the requester's or `User:*`, and its host
 *   the requester's or `*`;
 * - a DENY applies to its operation (or every one, ALL); an ALLOW also grants what Kafka
 *   implies from it: DESCRIBE from READ, WRITE, DELETE and ALTER, DESCRIBE_CONFIGS from
 *   ALTER_CONFIGS;
 * - any applicable DENY denies, whatever allows; otherwise any applicable ALLOW allows;
 * - super users are allowed everything; when no ACL at all applies to the resource (for
 *   anyone), allow.everyone.if.no.acl.found decides (default: denied).
 */
import {
  type AclAction,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
  type AclResourceType,
  type AuthorizationContext,
  type AuthorizationResult,
  type AuthorizerSettings,
  CLUSTER_RESOURCE_NAME,
  WILDCARD,
  WILDCARD_PRINCIPAL,
} from '../../contracts/authorizer.ts';

/** The operations an ALLOW of `granted` covers beyond itself. */
const IMPLIED: Readonly<Partial<Record<AclOperation, readonly AclOperation[]>>> = Object.freeze({
  describe: ['read', 'write', 'delete', 'alter'],
  'describe-configs': ['alter-configs'],
});

/** True when an ALLOW ACL of operation `granted` allows `wanted`. */
export function allowCovers(granted: AclOperation, wanted: AclOperation): boolean {
  return granted === 'all' || granted === wanted || (IMPLIED[wanted]?.includes(granted) ?? false);
}

/** True when a DENY ACL of operation `denied` denies `wanted` (no implications: a DENY READ leaves DESCRIBE alone). */
export function denyCovers(denied: AclOperation, wanted: AclOperation): boolean {
  return denied === 'all' || denied === wanted;
}

/** True when `acl`'s resource pattern matches the resource `type`/`name`. */
export function patternMatches(acl: Pick<AclBinding, 'resourceType' | 'resourceName' | 'patternType'>, type: AclResourceType, name: string): boolean {
  if (acl.resourceType !== type) return false;
  if (acl.patternType === 'prefixed') return name.startsWith(acl.resourceName);
  return acl.resourceName === WILDCARD || acl.resourceName === name;
}

/** True when `acl` speaks of this requester (principal or `User:*`, host or `*`). */
export function appliesTo(acl: Pick<AclBinding, 'principal' | 'host'>, context: AuthorizationContext): boolean {
  return (acl.principal === context.principal || acl.principal === WILDCARD_PRINCIPAL) && (acl.host === context.host || acl.host === WILDCARD);
}

/**
 * The ACLs of a moment, indexed by resource type and name so a decision looks only at the
 * ACLs that can match: the literal ones of the name, the literal `*` ones, and the prefixed ones.
 */
export class AclIndex {
  /** The index of no ACLs. */
  static readonly EMPTY = new AclIndex([]);

  readonly #literal = new Map<string, AclBinding[]>();
  readonly #prefixed = new Map<AclResourceType, AclBinding[]>();
  readonly #all: readonly AclBinding[];

  constructor(acls: Iterable<AclBinding>) {
    this.#all = [...acls];
    for (const acl of this.#all) {
      if (acl.patternType === 'prefixed') {
        let list = this.#prefixed.get(acl.resourceType);
        if (!list) this.#prefixed.set(acl.resourceType, (list = []));
        list.push(acl);
      } else {
        const key = `${acl.resourceType}\u0000${acl.resourceName}`;
        let list = this.#literal.get(key);
        if (!list) this.#literal.set(key, (list = []));
        list.push(acl);
      }
    }
  }

  /** Every ACL. */
  get all(): readonly AclBinding[] {
    return this.#all;
  }

  /** The ACLs whose pattern matches the resource (for any principal, host or operation). */
  matching(type: AclResourceType, name: string): AclBinding[] {
    const out = [...(this.#literal.get(`${type}\u0000${name}`) ?? [])];
    if (name !== WILDCARD) out.push(...(this.#literal.get(`${type}\u0000${WILDCARD}`) ?? []));
    for (const acl of this.#prefixed.get(type) ?? []) if (name.startsWith(acl.resourceName)) out.push(acl);
    return out;
  }
}

/** Decides one action over `index` under Kafka's rules (see the file comment). */
export function decide(index: AclIndex, settings: AuthorizerSettings, context: AuthorizationContext, action: AclAction): AuthorizationResult {
  if (settings.superUsers?.includes(context.principal)) return 'allowed';
  const acls = index.matching(action.resourceType, action.resourceName);
  let allowed = false;
  for (const acl of acls) {
    if (!appliesTo(acl, context)) continue;
    if (acl.permission === 'deny' && denyCovers(acl.operation, action.operation)) return 'denied';
    if (acl.permission === 'allow' && allowCovers(acl.operation, action.operation)) allowed = true;
  }
  if (allowed) return 'allowed';
  return acls.length === 0 && settings.allowEveryoneIfNoAclFound === true ? 'allowed' : 'denied';
}

/**
 * Whether the requester may perform `operation` on some resource of the type (Kafka's
 * default authorizeByResourceType): allowed when a resource no ACL names would be
 * (super users, allow.everyone.if.no.acl.found), or when an ALLOW of the operation (or
 * ALL) — literal or prefixed — is not cancelled by a DENY of the same name, of a prefix of
 * it, or of `*`. Implications do not apply here, as in Kafka.
 */
export function decideByResourceType(index: AclIndex, settings: AuthorizerSettings, context: AuthorizationContext, operation: Exclude<AclOperation, 'all'>, type: AclResourceType): AuthorizationResult {
  // A name no ACL can hold: decides super users and the no-ACL rule, as Kafka's hard-coded name does.
  if (decide(index, settings, context, { operation, resourceType: type, resourceName: '\u0000' }) === 'allowed') return 'allowed';
  const denyLiteral = new Set<string>();
  const denyPrefix: string[] = [];
  const allowLiteral: string[] = [];
  const allowPrefix: string[] = [];
  for (const acl of index.all) {
    if (acl.resourceType !== type || !appliesTo(acl, context)) continue;
    if (acl.operation !== 'all' && acl.operation !== operation) continue;
    const prefixed = acl.patternType === 'prefixed';
    if (acl.permission === 'deny') prefixed ? denyPrefix.push(acl.resourceName) : denyLiteral.add(acl.resourceName);
    else prefixed ? allowPrefix.push(acl.resourceName) : allowLiteral.push(acl.resourceName);
  }
  if (denyLiteral.has(WILDCARD)) return 'denied';
  const deniedByPrefix = (name: string) => denyPrefix.some((p) => name.startsWith(p));
  for (const name of allowPrefix) if (!deniedByPrefix(name)) return 'allowed';
  for (const name of allowLiteral) if (!denyLiteral.has(name) && (name === WILDCARD || !deniedByPrefix(name))) return 'allowed';
  return 'denied';
}

/** True when `binding` is one of those `filter` means (Kafka's AclBindingFilter.matches). */
export function filterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== 'any' && filter.resourceType !== binding.resourceType) return false;
  if (filter.patternType === 'match') {
    if (filter.resourceName !== null && !patternMatches(binding, binding.resourceType, filter.resourceName)) return false;
  } else {
    if (filter.patternType !== 'any' && filter.patternType !== binding.patternType) return false;
    if (filter.resourceName !== null && filter.resourceName !== binding.resourceName) return false;
  }
  if (filter.principal !== null && filter.principal !== binding.principal) return false;
  if (filter.host !== null && filter.host !== binding.host) return false;
  if (filter.operation !== 'any' && filter.operation !== binding.operation) return false;
  if (filter.permission !== 'any' && filter.permission !== binding.permission) return false;
  return true;
}

const PRINCIPAL_RE = /^[^:]+:.+$/;

/**
 * Why `binding` cannot be stored (Kafka's checks of a new ACL), or null when it can: a
 * principal `Type:name`, a host, a resource name, and `kafka-cluster` as the cluster's name.
 */
export function invalidBinding(binding: AclBinding): string | null {
  if (!PRINCIPAL_RE.test(binding.principal)) return `Invalid principal "${binding.principal}": expected Type:name, e.g. User:alice`;
  if (binding.host.length === 0) return 'The host must not be empty (use * for any host)';
  if (binding.resourceName.length === 0) return 'The resource name must not be empty';
  if (binding.resourceType === 'cluster' && binding.resourceName !== CLUSTER_RESOURCE_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  return null;
}

/** The same ACL (every field equal): a second creation of it adds nothing, as in Kafka. */
export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return a.principal === b.principal && a.host === b.host && a.resourceType === b.resourceType && a.resourceName === b.resourceName
    && a.patternType === b.patternType && a.operation === b.operation && a.permission === b.permission;
}
