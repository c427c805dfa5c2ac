/**
 * The Authorizer conformance suite: Kafka's authorization rules, which every authorizer —
 * the built-in StandardAuthorizer and any of your own — must answer the same way. Run it
 * at the top level of a vitest test file:
 *
 * ```ts
 * import { authorizerConformance } from 'tributary/conformance';
 * authorizerConformance('my-authorizer', (settings, acls) => myAuthorizer(settings, acls));
 * ```
 *
 * The factory builds an authorizer with Kafka's settings (super users,
 * allow.everyone.if.no.acl.found) that holds exactly the ACLs given.
 */
import { describe, expect, it } from 'vitest';
import type { AclAction, AclBinding, AclOperation, AclResourceType, Authorizer, AuthorizerSettings } from '../core/contracts/authorizer.ts';

/** Builds an authorizer with these settings holding exactly these ACLs. */
export type AuthorizerFactory = (settings: AuthorizerSettings, acls: readonly AclBinding[]) => Authorizer;

const ALICE = { principal: 'User:alice', host: '10.0.0.1' };
const BOB = { principal: 'User:bob', host: '10.0.0.2' };

/** An ALLOW/DENY of `operation` on a topic for alice from any host, fields overridable. */
function acl(operation: AclOperation, overrides: Partial<AclBinding> = {}): AclBinding {
  return { principal: 'User:alice', host: '*', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation, permission: 'allow', ...overrides };
}

function action(operation: Exclude<AclOperation, 'all'>, resourceName = 'orders', resourceType: AclResourceType = 'topic'): AclAction {
  return { operation, resourceType, resourceName };
}

const OPERATIONS: ReadonlyArray<Exclude<AclOperation, 'all'>> = ['read', 'write', 'create', 'delete', 'alter', 'describe', 'cluster-action', 'describe-configs', 'alter-configs', 'idempotent-write'];

/** Registers the conformance tests of an authorizer built by `factory`. */
export function authorizerConformance(name: string, factory: AuthorizerFactory): void {
  const one = (settings: AuthorizerSettings, acls: readonly AclBinding[], who: typeof ALICE, a: AclAction) => factory(settings, acls).authorize(who, [a])[0];

  describe(`Authorizer conformance: ${name}`, () => {
    it('has a stable, non-empty name', () => {
      const authorizer = factory({}, []);
      expect(typeof authorizer.name).toBe('string');
      expect(authorizer.name.length).toBeGreaterThan(0);
    });

    it('denies everything without ACLs by default (allow.everyone.if.no.acl.found=false)', () => {
      for (const op of OPERATIONS) expect(one({}, [], ALICE, action(op))).toBe('denied');
      expect(one({}, [], ALICE, action('describe', 'kafka-cluster', 'cluster'))).toBe('denied');
    });

    it('allows everything on a resource no ACL names when allow.everyone.if.no.acl.found is set', () => {
      const settings = { allowEveryoneIfNoAclFound: true };
      for (const op of OPERATIONS) expect(one(settings, [], ALICE, action(op))).toBe('allowed');
      // ACLs on another topic leave this one "without ACLs".
      expect(one(settings, [acl('read', { resourceName: 'other', principal: 'User:bob' })], ALICE, action('read'))).toBe('allowed');
    });

    it('applies allow.everyone.if.no.acl.found only when no ACL at all matches the resource', () => {
      const settings = { allowEveryoneIfNoAclFound: true };
      const acls = [acl('read', { principal: 'User:bob' })];
      expect(one(settings, acls, ALICE, action('read'))).toBe('denied');
      expect(one(settings, acls, ALICE, action('write'))).toBe('denied');
      expect(one(settings, acls, BOB, action('read'))).toBe('allowed');
      // A prefixed ACL on the name counts as an ACL of the resource too.
      expect(one(settings, [acl('read', { resourceName: 'ord', patternType: 'prefixed', principal: 'User:bob' })], ALICE, action('read'))).toBe('denied');
    });

    it('allows the principal an ALLOW names, and no one else', () => {
      const acls = [acl('read')];
      expect(one({}, acls, ALICE, action('read'))).toBe('allowed');
      expect(one({}, acls, BOB, action('read'))).toBe('denied');
      expect(one({}, acls, ALICE, action('write'))).toBe('denied');
      expect(one({}, acls, ALICE, action('read', 'other'))).toBe('denied');
    });

    it('lets a DENY beat any ALLOW, a wildcard-principal DENY included', () => {
      expect(one({}, [acl('all'), acl('read', { permission: 'deny' })], ALICE, action('read'))).toBe('denied');
      expect(one({}, [acl('all'), acl('read', { permission: 'deny' })], ALICE, action('write'))).toBe('allowed');
      expect(one({}, [acl('read'), acl('read', { permission: 'deny', principal: 'User:*' })], ALICE, action('read'))).toBe('denied');
      expect(one({}, [acl('read'), acl('all', { permission: 'deny', resourceName: 'ord', patternType: 'prefixed' })], ALICE, action('read'))).toBe('denied');
      expect(one({}, [acl('read', { resourceName: '*' }), acl('read', { permission: 'deny' })], ALICE, action('read'))).toBe('denied');
    });

    it('grants every operation with ALL', () => {
      for (const op of OPERATIONS) expect(one({}, [acl('all')], ALICE, action(op))).toBe('allowed');
    });

    it('implies DESCRIBE from READ, WRITE, DELETE and ALTER, and DESCRIBE_CONFIGS from ALTER_CONFIGS — for ALLOW only', () => {
      for (const op of ['read', 'write', 'delete', 'alter'] as const) expect(one({}, [acl(op)], ALICE, action('describe'))).toBe('allowed');
      expect(one({}, [acl('alter-configs')], ALICE, action('describe-configs'))).toBe('allowed');
      expect(one({}, [acl('create')], ALICE, action('describe'))).toBe('denied');
      expect(one({}, [acl('describe')], ALICE, action('read'))).toBe('denied');
      expect(one({}, [acl('read')], ALICE, action('write'))).toBe('denied');
      expect(one({}, [acl('describe-configs')], ALICE, action('alter-configs'))).toBe('denied');
      expect(one({}, [acl('alter-configs')], ALICE, action('describe'))).toBe('denied');
      // A DENY READ does not deny DESCRIBE (a DENY covers its own operation and ALL only).
      expect(one({}, [acl('describe'), acl('read', { permission: 'deny' })], ALICE, action('describe'))).toBe('allowed');
      expect(one({}, [acl('read'), acl('describe', { permission: 'deny' })], ALICE, action('describe'))).toBe('denied');
    });

    it('allows super users everything, DENY ACLs notwithstanding', () => {
      const settings = { superUsers: ['User:alice'] };
      for (const op of OPERATIONS) expect(one(settings, [acl('all', { permission: 'deny' })], ALICE, action(op))).toBe('allowed');
      expect(one(settings, [], ALICE, action('alter', 'kafka-cluster', 'cluster'))).toBe('allowed');
      expect(one(settings, [], BOB, action('read'))).toBe('denied');
    });

    it('matches User:* to every principal and * to every host; a named host only from there', () => {
      expect(one({}, [acl('read', { principal: 'User:*' })], BOB, action('read'))).toBe('allowed');
      expect(one({}, [acl('read', { principal: 'User:*' })], { principal: 'User:ANONYMOUS', host: '' }, action('read'))).toBe('allowed');
      expect(one({}, [acl('read', { host: '10.0.0.1' })], ALICE, action('read'))).toBe('allowed');
      expect(one({}, [acl('read', { host: '10.0.0.1' })], { ...ALICE, host: '10.0.0.9' }, action('read'))).toBe('denied');
      expect(one({}, [acl('read', { host: '10.0.0.9', permission: 'deny' }), acl('read')], ALICE, action('read'))).toBe('allowed');
    });

    it('matches a literal * resource name to every resource of its type', () => {
      const acls = [acl('read', { resourceName: '*' })];
      expect(one({}, acls, ALICE, action('read', 'anything'))).toBe('allowed');
      expect(one({}, acls, ALICE, action('read', 'anything', 'group'))).toBe('denied');
    });

    it('matches a prefixed ACL to the names that start with its prefix (KIP-290)', () => {
      const acls = [acl('write', { resourceName: 'orders-', patternType: 'prefixed' })];
      expect(one({}, acls, ALICE, action('write', 'orders-eu'))).toBe('allowed');
      expect(one({}, acls, ALICE, action('write', 'orders-'))).toBe('allowed');
      expect(one({}, acls, ALICE, action('write', 'orders'))).toBe('denied');
      expect(one({}, acls, ALICE, action('write', 'xorders-eu'))).toBe('denied');
      // A literal ACL is a name, not a pattern: `orders-*` does not glob.
      expect(one({}, [acl('write', { resourceName: 'orders-*' })], ALICE, action('write', 'orders-eu'))).toBe('denied');
    });

    it('keeps resource types apart (a topic and a group of the same name)', () => {
      const acls = [acl('read', { resourceName: 'x' })];
      expect(one({}, acls, ALICE, action('read', 'x', 'topic'))).toBe('allowed');
      expect(one({}, acls, ALICE, action('read', 'x', 'group'))).toBe('denied');
      expect(one({}, acls, ALICE, action('read', 'x', 'transactional-id'))).toBe('denied');
      expect(one({}, [acl('cluster-action', { resourceType: 'cluster', resourceName: 'kafka-cluster' })], ALICE, action('cluster-action', 'kafka-cluster', 'cluster'))).toBe('allowed');
    });

    it('answers every action of one call, in order', () => {
      const authorizer = factory({}, [acl('read', { resourceName: 'a' }), acl('write', { resourceName: 'b' })]);
      expect(authorizer.authorize(ALICE, [action('read', 'a'), action('read', 'b'), action('write', 'b'), action('describe', 'a'), action('delete', 'c')])).toEqual(['allowed', 'denied', 'allowed', 'allowed', 'denied']);
      expect(authorizer.authorize(ALICE, [])).toEqual([]);
    });

    it('authorizes by resource type: some resource of the type allowed and not denied', () => {
      const byType = (settings: AuthorizerSettings, acls: readonly AclBinding[], who = ALICE) => factory(settings, acls).authorizeByResourceType(who, 'write', 'topic');
      expect(byType({}, [])).toBe('denied');
      expect(byType({}, [acl('write')])).toBe('allowed');
      expect(byType({}, [acl('all', { resourceName: 'p-', patternType: 'prefixed' })])).toBe('allowed');
      expect(byType({}, [acl('write')], BOB)).toBe('denied');
      expect(byType({}, [acl('read')])).toBe('denied');
      expect(byType({}, [acl('write', { resourceType: 'group' })])).toBe('denied');
      expect(byType({}, [acl('write'), acl('write', { permission: 'deny' })])).toBe('denied');
      expect(byType({}, [acl('write', { resourceName: 'orders-eu' }), acl('write', { resourceName: 'orders-', patternType: 'prefixed', permission: 'deny' })])).toBe('denied');
      expect(byType({}, [acl('write'), acl('write', { resourceName: '*', permission: 'deny' })])).toBe('denied');
      expect(byType({}, [acl('write', { resourceName: 'orders-eu', patternType: 'prefixed' }), acl('write', { resourceName: 'orders-', patternType: 'prefixed', permission: 'deny' })])).toBe('denied');
      expect(byType({ superUsers: ['User:alice'] }, [])).toBe('allowed');
      expect(byType({ allowEveryoneIfNoAclFound: true }, [])).toBe('allowed');
    });
  });
}
