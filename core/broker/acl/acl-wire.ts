/**
 * ACL bindings and filters to and from Kafka's wire form (CreateAcls, DescribeAcls,
 * DeleteAcls: int8 codes for resource type, pattern type, operation and permission). The
 * broker, the controller channel and the admin client all translate here. A code that
 * names nothing we model (UNKNOWN, a delegation token, a user) decodes to undefined and
 * the caller answers it as Kafka does (INVALID_REQUEST for a creation, no match for a filter).
 */
import {
  ACL_OPERATION_CODES,
  ACL_PATTERN_TYPE_CODES,
  ACL_PERMISSION_CODES,
  ACL_RESOURCE_TYPE_CODES,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
  type AclPatternType,
  type AclPermission,
  type AclResourceType,
} from '../../contracts/authorizer.ts';

function inverse<T extends string>(codes: Readonly<Record<T, number>>): ReadonlyMap<number, T> {
  return new Map(Object.entries(codes).map(([name, code]) => [code as number, name as T]));
}

const RESOURCE_TYPES = inverse(ACL_RESOURCE_TYPE_CODES);
const PATTERN_TYPES = inverse(ACL_PATTERN_TYPE_CODES);
const OPERATIONS = inverse(ACL_OPERATION_CODES);
const PERMISSIONS = inverse(ACL_PERMISSION_CODES);

/** A binding as CreateAcls' creation entries and DescribeAcls' answers carry it. */
export interface WireAcl {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A filter as DescribeAcls and DeleteAcls carry it (null strings match any). */
export interface WireAclFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

/** The wire form of a binding. */
export function aclToWire(b: AclBinding): WireAcl {
  return {
    resourceType: ACL_RESOURCE_TYPE_CODES[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ACL_PATTERN_TYPE_CODES[b.patternType],
    principal: b.principal,
    host: b.host,
    operation: ACL_OPERATION_CODES[b.operation],
    permissionType: ACL_PERMISSION_CODES[b.permission],
  };
}

/** The binding of a wire entry, or undefined when a code is ANY, UNKNOWN or not modelled. */
export function aclFromWire(w: WireAcl): AclBinding | undefined {
  const resourceType = RESOURCE_TYPES.get(w.resourceType);
  const patternType = PATTERN_TYPES.get(w.resourcePatternType);
  const operation = OPERATIONS.get(w.operation);
  const permission = PERMISSIONS.get(w.permissionType);
  if (resourceType === undefined || resourceType === 'any') return undefined;
  if (patternType !== 'literal' && patternType !== 'prefixed') return undefined;
  if (operation === undefined || operation === 'any' || permission === undefined || permission === 'any') return undefined;
  return { principal: w.principal, host: w.host, resourceType, resourceName: w.resourceName, patternType, operation, permission };
}

/** The wire form of a filter. */
export function filterToWire(f: AclBindingFilter): WireAclFilter {
  return {
    resourceTypeFilter: ACL_RESOURCE_TYPE_CODES[f.resourceType],
    resourceNameFilter: f.resourceName,
    patternTypeFilter: ACL_PATTERN_TYPE_CODES[f.patternType],
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: ACL_OPERATION_CODES[f.operation],
    permissionType: ACL_PERMISSION_CODES[f.permission],
  };
}

/**
 * The filter of a wire entry; undefined when a code is UNKNOWN (Kafka refuses such a filter
 * with INVALID_REQUEST). A resource type we do not model (delegation token, user) gives
 * `'matches-nothing'`: valid, but no ACL of ours can match it.
 */
export function filterFromWire(w: WireAclFilter): AclBindingFilter | 'matches-nothing' | undefined {
  const patternType = PATTERN_TYPES.get(w.patternTypeFilter);
  const operation = OPERATIONS.get(w.operation);
  const permission = PERMISSIONS.get(w.permissionType);
  if (patternType === undefined || operation === undefined || permission === undefined) return undefined;
  const resourceType = RESOURCE_TYPES.get(w.resourceTypeFilter);
  if (resourceType === undefined) return w.resourceTypeFilter === 6 || w.resourceTypeFilter === 7 ? 'matches-nothing' : undefined;
  return { principal: w.principalFilter, host: w.hostFilter, resourceType, resourceName: w.resourceNameFilter, patternType, operation, permission };
}

/** Kafka's names (`TOPIC`, `PREFIXED`, `DESCRIBE_CONFIGS`, `ALLOW`) for printing. */
export function kafkaName(value: AclResourceType | AclPatternType | AclOperation | AclPermission | 'any' | 'match'): string {
  return value.toUpperCase().replace(/-/g, '_');
}
