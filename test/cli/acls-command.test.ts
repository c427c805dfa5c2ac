/**
 * `tributary acls list|add|remove` through the real CLI against a broker with the standard
 * authorizer, and the broker flags that turn it on. The CLI connects without SASL, as
 * User:ANONYMOUS, so this broker names ANONYMOUS a super user (the way a local operator's
 * loopback connection would be trusted until listeners authenticate).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { resolveBrokerSettings } from '../../cli/broker-config.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { Broker } from '../../core/broker/broker.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { lines, runCli } from './cli-helpers.ts';

let broker: Broker;
let server: TributaryServer;
let b: string[];

beforeAll(async () => {
  broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger: silentLogger, retentionCheckIntervalMs: 0, authorizer: { name: 'standard', superUsers: ['User:ANONYMOUS'] } });
  server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  b = ['-b', server.address];
});
afterAll(() => server?.close());

const alice = { principal: 'User:alice', host: '127.0.0.1' };
const can = (operation: 'read' | 'write' | 'describe', resourceType: 'topic' | 'group', resourceName: string) =>
  broker.authorizer!.authorize(alice, [{ operation, resourceType, resourceName }])[0];

describe('tributary acls', () => {
  it('adds, lists and removes ACLs as kafka-acls.sh does', async () => {
    const added = await runCli(['acls', 'add', '--allow-principal', 'User:alice', '--operation', 'read', '--operation', 'write', '--topic', 'orders', ...b]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Added 2 ACL(s)');
    const prefixed = await runCli(['acls', 'add', '--allow-principal', 'User:alice', '--operation', 'READ', '--group', 'app-', '--resource-pattern-type', 'prefixed', ...b]);
    expect(prefixed.code, prefixed.stderr).toBe(0);
    const denied = await runCli(['acls', 'add', '--deny-principal', 'User:alice', '--deny-host', '127.0.0.1', '--operation', 'write', '--topic', 'orders', ...b]);
    expect(denied.code, denied.stderr).toBe(0);
    expect(can('read', 'topic', 'orders')).toBe('allowed');
    expect(can('write', 'topic', 'orders')).toBe('denied');
    expect(can('read', 'group', 'app-eu')).toBe('allowed');

    const listed = await runCli(['acls', 'list', ...b]);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = lines(listed.stdout);
    expect(rows[0]).toMatch(/PRINCIPAL\s+HOST\s+PERMISSION\s+OPERATION\s+RESOURCE\s+NAME\s+PATTERN/);
    expect(rows).toHaveLength(5);
    expect(listed.stdout).toMatch(/User:alice\s+\*\s+ALLOW\s+READ\s+GROUP\s+app-\s+PREFIXED/);
    expect(listed.stdout).toMatch(/User:alice\s+127\.0\.0\.1\s+DENY\s+WRITE\s+TOPIC\s+orders\s+LITERAL/);

    const json = await runCli(['acls', 'list', '--group', 'app-orders', '--resource-pattern-type', 'match', '--json', ...b]);
    expect(json.code, json.stderr).toBe(0);
    expect(lines(json.stdout).map((l) => JSON.parse(l))).toEqual([{ principal: 'User:alice', host: '*', resourceType: 'group', resourceName: 'app-', patternType: 'prefixed', operation: 'read', permission: 'allow' }]);

    const refused = await runCli(['acls', 'remove', ...b]);
    expect(refused.code).toBe(2);
    const removed = await runCli(['acls', 'remove', '--principal', 'User:alice', '--topic', 'orders', '--operation', 'write', ...b]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed 2 ACL(s)');
    expect(can('write', 'topic', 'orders')).toBe('denied');
    expect(can('read', 'topic', 'orders')).toBe('allowed');
    expect(lines((await runCli(['acls', 'list', '--topic', 'orders', ...b])).stdout)).toHaveLength(2);
  });

  it('refuses what it cannot send, with a usage error', async () => {
    expect((await runCli(['acls', 'add', '--allow-principal', 'alice', '--topic', 't', ...b])).code).toBe(2);
    expect((await runCli(['acls', 'add', '--allow-principal', 'User:alice', '--operation', 'fly', '--topic', 't', ...b])).code).toBe(2);
    expect((await runCli(['acls', 'add', '--allow-principal', 'User:alice', ...b])).code).toBe(2);
  });
});

describe('tributary acls over SASL', () => {
  it('a super user grants, a user without DESCRIBE on the cluster is refused', async () => {
    const secure = new Broker({
      handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger: silentLogger, retentionCheckIntervalMs: 0,
      plainUsers: new Map([['admin', 'admin-secret'], ['alice', 'alice-secret']]),
      authorizer: { name: 'standard', superUsers: ['User:admin'] },
    });
    const s = await startServer(secure, { listeners: [{ name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', host: '127.0.0.1', port: 0 }] });
    try {
      const as = (user: string, password: string) => ({ env: { TRIBUTARY_SASL_MECHANISM: 'plain', TRIBUTARY_SASL_USERNAME: user, TRIBUTARY_SASL_PASSWORD: password } });
      const at = ['-b', s.listeners[0]!.address];
      const added = await runCli(['acls', 'add', '--allow-principal', 'User:alice', '--operation', 'read', '--topic', 'orders', ...at], as('admin', 'admin-secret'));
      expect(added.code, added.stderr).toBe(0);
      expect([...secure.image.acls.values()]).toEqual([{ principal: 'User:alice', host: '*', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'read', permission: 'allow' }]);
      const refused = await runCli(['acls', 'list', ...at], as('alice', 'alice-secret'));
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('CLUSTER_AUTHORIZATION_FAILED');
    } finally {
      await s.close();
    }
  });
});

describe('broker flags of the authorizer', () => {
  it('--authorizer standard --super-users User:admin;User:ops --allow-everyone-if-no-acl-found', () => {
    const settings = resolveBrokerSettings({ authorizer: 'standard', 'super-users': 'User:admin;User:ops', 'allow-everyone-if-no-acl-found': true }, {});
    expect(settings).toMatchObject({ authorizer: 'standard', superUsers: ['User:admin', 'User:ops'], allowEveryoneIfNoAclFound: true });
    expect(resolveBrokerSettings({}, {})).toMatchObject({ authorizer: 'none', superUsers: [], allowEveryoneIfNoAclFound: false });
    expect(resolveBrokerSettings({}, { TRIBUTARY_AUTHORIZER: 'standard', TRIBUTARY_ALLOW_EVERYONE_IF_NO_ACL_FOUND: 'false' })).toMatchObject({ authorizer: 'standard', allowEveryoneIfNoAclFound: false });
    expect(() => resolveBrokerSettings({ 'super-users': 'admin' }, {})).toThrow(/Type:name/);
  });
});
