import { describe, expect, it } from 'vitest';
import { authorizerConformance } from '../../conformance/authorizer.ts';
import { AclIndex, filterMatches, invalidBinding, sameBinding } from '../../core/broker/acl/acl-rules.ts';
import { StandardAuthorizer } from '../../core/broker/acl/standard-authorizer.ts';
import type { AclBinding, AclBindingFilter } from '../../core/contracts/authorizer.ts';

authorizerConformance('standard', (settings, acls) => {
  const index = new AclIndex(acls);
  return new StandardAuthorizer(settings, () => index);
});

const binding = (overrides: Partial<AclBinding> = {}): AclBinding => ({
  principal: 'User:alice', host: '*', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'read', permission: 'allow', ...overrides,
});
const ANY: AclBindingFilter = { principal: null, host: null, resourceType: 'any', resourceName: null, patternType: 'any', operation: 'any', permission: 'any' };

describe('ACL filters (DescribeAcls, DeleteAcls)', () => {
  it('match everything with every field open', () => {
    expect(filterMatches(ANY, binding())).toBe(true);
    expect(filterMatches(ANY, binding({ resourceType: 'cluster', resourceName: 'kafka-cluster' }))).toBe(true);
  });

  it('narrow by each field', () => {
    expect(filterMatches({ ...ANY, principal: 'User:bob' }, binding())).toBe(false);
    expect(filterMatches({ ...ANY, host: '10.0.0.1' }, binding())).toBe(false);
    expect(filterMatches({ ...ANY, resourceType: 'group' }, binding())).toBe(false);
    expect(filterMatches({ ...ANY, operation: 'write' }, binding())).toBe(false);
    expect(filterMatches({ ...ANY, permission: 'deny' }, binding())).toBe(false);
    expect(filterMatches({ ...ANY, resourceName: 'orders', patternType: 'literal' }, binding())).toBe(true);
    expect(filterMatches({ ...ANY, resourceName: 'orders', patternType: 'prefixed' }, binding())).toBe(false);
    // A filter's name is compared, not matched: a literal filter for `orders` does not take the `*` ACL.
    expect(filterMatches({ ...ANY, resourceName: 'orders', patternType: 'literal' }, binding({ resourceName: '*' }))).toBe(false);
  });

  it('with pattern type MATCH take every ACL that applies to the named resource', () => {
    const match: AclBindingFilter = { ...ANY, resourceType: 'topic', resourceName: 'orders-eu', patternType: 'match' };
    expect(filterMatches(match, binding({ resourceName: 'orders-eu' }))).toBe(true);
    expect(filterMatches(match, binding({ resourceName: '*' }))).toBe(true);
    expect(filterMatches(match, binding({ resourceName: 'orders-', patternType: 'prefixed' }))).toBe(true);
    expect(filterMatches(match, binding({ resourceName: 'orders-us', patternType: 'prefixed' }))).toBe(false);
    expect(filterMatches(match, binding({ resourceName: 'orders' }))).toBe(false);
  });
});

describe('ACL validation', () => {
  it('refuses what Kafka refuses', () => {
    expect(invalidBinding(binding())).toBeNull();
    expect(invalidBinding(binding({ principal: 'alice' }))).toMatch(/principal/);
    expect(invalidBinding(binding({ host: '' }))).toMatch(/host/);
    expect(invalidBinding(binding({ resourceName: '' }))).toMatch(/resource name/);
    expect(invalidBinding(binding({ resourceType: 'cluster', resourceName: 'c' }))).toMatch(/kafka-cluster/);
    expect(invalidBinding(binding({ resourceType: 'cluster', resourceName: 'kafka-cluster' }))).toBeNull();
  });

  it('tells the same ACL apart from a different one', () => {
    expect(sameBinding(binding(), binding())).toBe(true);
    expect(sameBinding(binding(), binding({ permission: 'deny' }))).toBe(false);
  });
});

describe('StandardAuthorizer', () => {
  it('decides over the ACLs current at each call', () => {
    let index = AclIndex.EMPTY;
    const authorizer = new StandardAuthorizer({}, () => index);
    const who = { principal: 'User:alice', host: '127.0.0.1' };
    const read = { operation: 'read', resourceType: 'topic', resourceName: 'orders' } as const;
    expect(authorizer.authorize(who, [read])).toEqual(['denied']);
    index = new AclIndex([binding()]);
    expect(authorizer.authorize(who, [read])).toEqual(['allowed']);
  });
});
