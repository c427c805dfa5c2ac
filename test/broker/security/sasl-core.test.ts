/**
 * The SASL pieces in core, without sockets: SCRAM against RFC 7677's example exchange,
 * our client against our server for each mechanism (right and wrong passwords, unknown
 * users, tampered messages), PLAIN's rules, the PLAIN users file, and the parsing of
 * Kafka's listeners / advertised.listeners / listener.security.protocol.map.
 */
import { describe, expect, it } from 'vitest';
import { scramExchange } from '../../../core/client/sasl-authenticate.ts';
import { parseAdvertisedListeners, parseListeners, parseSecurityProtocolMap } from '../../../core/broker/security/listeners.ts';
import { parsePlainUsers } from '../../../core/broker/security/plain-users.ts';
import { type SaslCredentials, saslServerExchange } from '../../../core/broker/security/sasl-mechanisms.ts';
import { credentialFromSaltedPassword, fromBase64, newScramCredential, saltedPassword, type ScramCredential, type ScramMechanism } from '../../../core/security/scram.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('SCRAM-SHA-256 against RFC 7677 §3', () => {
  it('our client sends the RFC\'s proof and accepts the RFC\'s server signature', async () => {
    const sent: string[] = [];
    const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const replies = [serverFirst, 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='];
    await scramExchange('SCRAM-SHA-256', 'user', 'pencil', async (token) => {
      sent.push(dec.decode(token));
      return enc.encode(replies.shift()!);
    }, 'rOprNGfwEbeRWgbNEkqO');
    expect(sent).toEqual(['n,,n=user,r=rOprNGfwEbeRWgbNEkqO', 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=']);
  });

  it('our client refuses a server that signs wrongly (it does not know the credential)', async () => {
    const replies = ['r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096', 'v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='];
    await expect(scramExchange('SCRAM-SHA-256', 'user', 'pencil', async () => enc.encode(replies.shift()!), 'rOprNGfwEbeRWgbNEkqO')).rejects.toMatchObject({ code: 'ERR_SASL' });
  });

  it('our client refuses a server that asks for fewer than 4096 iterations (a cheap proof to brute-force), before sending any proof', async () => {
    for (const i of [1, 4095]) {
      const sent: string[] = [];
      const replies = [`r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=${i}`, 'v=AAAA'];
      await expect(scramExchange('SCRAM-SHA-256', 'user', 'pencil', async (token) => {
        sent.push(dec.decode(token));
        return enc.encode(replies.shift()!);
      }, 'rOprNGfwEbeRWgbNEkqO')).rejects.toMatchObject({ code: 'ERR_SASL' });
      expect(sent).toHaveLength(1);
    }
  });

  it('the RFC\'s credential checks the RFC\'s proof on our server', async () => {
    const salt = fromBase64('W22ZaJ0SNY7soEsUEjb6gQ==');
    const credential = await credentialFromSaltedPassword('SCRAM-SHA-256', await saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096), salt, 4096);
    const exchange = saslServerExchange('SCRAM-SHA-256', credentialsOf({ user: credential }));
    const first = dec.decode((await exchange.step(enc.encode('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'))).response);
    expect(first).toMatch(/^r=rOprNGfwEbeRWgbNEkqO[^,]+,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096$/);
  });
});

function credentialsOf(scram: Record<string, ScramCredential>, plain: Record<string, string> = {}): SaslCredentials {
  return {
    checkPlain: (u, p) => plain[u] === p,
    scramCredential: (u) => scram[u],
  };
}

async function login(mechanism: ScramMechanism, credentials: SaslCredentials, user: string, password: string): Promise<string | undefined> {
  const server = saslServerExchange(mechanism, credentials);
  let username: string | undefined;
  await scramExchange(mechanism, user, password, async (token) => {
    const step = await server.step(token);
    username = step.username;
    return step.response;
  });
  return username;
}

describe('our SCRAM client against our SCRAM server', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: the right password names the user; a wrong one and an unknown user are refused`, async () => {
      const credentials = credentialsOf({ 'we,ird=name': await newScramCredential(mechanism, 'pässword') });
      expect(await login(mechanism, credentials, 'we,ird=name', 'pässword')).toBe('we,ird=name');
      await expect(login(mechanism, credentials, 'we,ird=name', 'password')).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', kafkaCode: 58, username: 'we,ird=name' });
      await expect(login(mechanism, credentials, 'nobody', 'pässword')).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED', detail: 'unknown user' });
    });

    it(`${mechanism}: an unknown user is refused as a wrong password is — same message, same step, a stable salt`, async () => {
      const credentials = credentialsOf({ alice: await newScramCredential(mechanism, 'secret') });
      const generic = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
      const wrong = await login(mechanism, credentials, 'alice', 'guess').catch((e: unknown) => e);
      const unknown = await login(mechanism, credentials, 'nobody', 'guess').catch((e: unknown) => e);
      expect(wrong).toMatchObject({ kafkaCode: 58, message: generic, detail: 'invalid credentials' });
      expect(unknown).toMatchObject({ kafkaCode: 58, message: generic, detail: 'unknown user' });
      // The decoy's server-first looks like a real one, and repeats its salt.
      const firsts = await Promise.all([0, 1].map(async () => dec.decode((await saslServerExchange(mechanism, credentials).step(enc.encode('n,,n=nobody,r=abc'))).response)));
      const salts = firsts.map((f) => /,s=([^,]+),i=(\d+)$/.exec(f)!);
      expect(salts[0]![1]).toBe(salts[1]![1]);
      expect(fromBase64(salts[0]![1]!).length).toBe(32);
      expect(salts[0]![2]).toBe('4096');
    });
  }

  it('a replayed or foreign nonce, a changed channel binding and a malformed message are refused', async () => {
    const credentials = credentialsOf({ u: await newScramCredential('SCRAM-SHA-256', 'p') });
    const server = saslServerExchange('SCRAM-SHA-256', credentials);
    await server.step(enc.encode('n,,n=u,r=abc'));
    await expect(server.step(enc.encode('c=biws,r=abcWRONG,p=AAAA'))).rejects.toMatchObject({ detail: 'invalid SCRAM nonce' });
    const again = saslServerExchange('SCRAM-SHA-256', credentials);
    const first = dec.decode((await again.step(enc.encode('n,,n=u,r=abc'))).response);
    const nonce = /r=([^,]+)/.exec(first)![1];
    await expect(again.step(enc.encode(`c=eSws,r=${nonce},p=AAAA`))).rejects.toMatchObject({ detail: 'invalid SCRAM channel binding' });
    await expect(saslServerExchange('SCRAM-SHA-256', credentials).step(enc.encode('garbage'))).rejects.toMatchObject({ detail: 'invalid SCRAM client-first message' });
    await expect(saslServerExchange('SCRAM-SHA-256', credentials).step(enc.encode('p=tls-unique,,n=u,r=x'))).rejects.toMatchObject({ detail: 'SCRAM channel binding is not supported' });
    // The client sees Kafka's generic message only, whatever the reason.
    await expect(saslServerExchange('SCRAM-SHA-256', credentials).step(enc.encode('garbage'))).rejects.toThrow('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');
  });
});

describe('the SCRAM server parses each message whole, as Kafka\'s grammar says', () => {
  const first = async (message: string) => {
    const credentials = credentialsOf({ u: await newScramCredential('SCRAM-SHA-256', 'p') });
    return saslServerExchange('SCRAM-SHA-256', credentials).step(enc.encode(message));
  };

  it('refuses client-first messages out of order, with channel binding or extensions it cannot honour, or a bad nonce', async () => {
    const refusals: Array<[string, string]> = [
      ['y,,n=u,r=abc', 'SCRAM channel binding is not supported'],
      ['n,,r=abc,n=u', 'invalid SCRAM client-first message'],
      ['n,,n=u,n=v,r=abc', 'invalid SCRAM client-first message'],
      ['n,,n=u,r=ab c', 'invalid SCRAM client-first message'],
      ['n,,n=u,r=', 'invalid SCRAM client-first message'],
      ['n,,n=u=2,r=abc', 'invalid SCRAM client-first message'],
      ['n,,m=ext,n=u,r=abc', 'a SCRAM mandatory extension (m=) is not supported'],
      ['n,,n=u,r=abc,tokenauth=true', 'SCRAM delegation tokens (tokenauth) are not supported'],
      ['n,,n=u,r=abc,', 'invalid SCRAM client-first message'],
    ];
    for (const [message, detail] of refusals) await expect(first(message), message).rejects.toMatchObject({ kafkaCode: 58, detail });
    // What the grammar allows: an authzid equal to the user, escaped names, UTF-8 names, ignored extensions.
    for (const message of ['n,a=u,n=u,r=abc,ext=1', 'n,,n=a=2Cb=3Dc,r=abc', 'n,,n=jürgen,r=abc']) {
      expect(dec.decode((await first(message)).response), message).toMatch(/^r=abc[^,]+,s=[^,]+,i=4096$/);
    }
  });

  it('does not use a stored credential below 4096 iterations, as Kafka', async () => {
    const weak = await newScramCredential('SCRAM-SHA-256', 'p', 1024);
    const exchange = saslServerExchange('SCRAM-SHA-256', credentialsOf({ u: weak }));
    await expect(exchange.step(enc.encode('n,,n=u,r=abc'))).rejects.toMatchObject({ kafkaCode: 58, detail: 'the stored credential has 1024 iterations, below the minimum 4096' });
  });

  it('refuses client-final messages out of order, with loose base64, or a proof of the wrong length', async () => {
    const credentials = credentialsOf({ u: await newScramCredential('SCRAM-SHA-256', 'p') });
    const final = async (make: (nonce: string) => string) => {
      const server = saslServerExchange('SCRAM-SHA-256', credentials);
      const nonce = /r=([^,]+)/.exec(dec.decode((await server.step(enc.encode('n,,n=u,r=abc'))).response))![1]!;
      return server.step(enc.encode(make(nonce)));
    };
    const proof = 'A'.repeat(43) + '=';
    await expect(final((n) => `r=${n},c=biws,p=${proof}`)).rejects.toMatchObject({ detail: 'invalid SCRAM client-final message' });
    await expect(final((n) => `c=biws,r=${n},p= ${proof}`)).rejects.toMatchObject({ detail: 'invalid SCRAM client-final message' });
    await expect(final((n) => `c=biws,r=${n},p=${proof.slice(0, -1)}`)).rejects.toMatchObject({ detail: 'invalid SCRAM client-final message' });
    await expect(final((n) => `c=biws,r=${n},p=AAAA`)).rejects.toMatchObject({ detail: 'a SCRAM proof of 3 bytes (32 expected)' });
    await expect(final((n) => `c=biws,r=${n},p=${proof}`)).rejects.toMatchObject({ detail: 'invalid credentials' });
  });
});

describe('PLAIN', () => {
  const credentials = credentialsOf({}, { alice: 'secret' });
  const step = (token: string) => saslServerExchange('PLAIN', credentials).step(enc.encode(token));

  it('takes authzid NUL user NUL password; the authzid may be empty or the user', async () => {
    expect((await step('\u0000alice\u0000secret')).username).toBe('alice');
    expect((await step('alice\u0000alice\u0000secret')).username).toBe('alice');
  });

  it('refuses a wrong password, another authzid, and malformed tokens, with Kafka\'s messages', async () => {
    await expect(step('\u0000alice\u0000wrong')).rejects.toThrow('Authentication failed: Invalid username or password');
    await expect(step('\u0000bob\u0000secret')).rejects.toThrow('Authentication failed: Invalid username or password');
    await expect(step('bob\u0000alice\u0000secret')).rejects.toThrow(/authorization id that is different/);
    await expect(step('alice-secret')).rejects.toThrow(/invalid PLAIN message/);
    await expect(step('\u0000\u0000secret')).rejects.toThrow(/username not specified/);
  });

  it('reads the users file: name:password lines and Kafka JAAS user_ entries', () => {
    const users = parsePlainUsers([
      '# comment',
      'alice:pa:ss',
      '',
      'KafkaServer {',
      '  org.apache.kafka.common.security.plain.PlainLoginModule required',
      '  username="admin" password="admin-secret"',
      '  user_admin="admin-secret"',
      '  user_bob="b\\"ob";',
      '};',
    ].join('\n'));
    expect([...users]).toEqual([['alice', 'pa:ss'], ['admin', 'admin-secret'], ['bob', 'b"ob']]);
    expect(() => parsePlainUsers('no-colon-here')).toThrow(/line 1/);
  });
});

describe('listeners as Kafka configures them', () => {
  it('parses names, protocols, hosts (IPv6, empty) and ports', () => {
    expect(parseListeners('PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093,SSL://[::1]:9094,SASL_PLAINTEXT://:9095')).toEqual([
      { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'SASL_SSL', securityProtocol: 'SASL_SSL', host: '0.0.0.0', port: 9093 },
      { name: 'SSL', securityProtocol: 'SSL', host: '::1', port: 9094 },
      { name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', host: '', port: 9095 },
    ]);
  });

  it('maps custom names through the protocol map, which replaces the default', () => {
    expect(parseListeners('INTERNAL://127.0.0.1:9092,EXTERNAL://0.0.0.0:9093', 'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL').map((l) => l.securityProtocol)).toEqual(['PLAINTEXT', 'SASL_SSL']);
    expect(() => parseListeners('EXTERNAL://0.0.0.0:9093')).toThrow(/no security protocol for listener EXTERNAL/);
    expect(() => parseListeners('PLAINTEXT://a:1', 'EXTERNAL:SASL_SSL')).toThrow(/no security protocol for listener PLAINTEXT/);
    expect(() => parseSecurityProtocolMap('X:TLS')).toThrow(/NAME:PROTOCOL/);
  });

  it('refuses duplicates and advertised listeners that are not listeners or not routable', () => {
    expect(() => parseListeners('PLAINTEXT://a:1,PLAINTEXT://b:2')).toThrow(/appears twice/);
    expect(() => parseListeners('PLAINTEXT://a:1,SSL://b:1')).toThrow(/port 1 is used by two/);
    const listeners = parseListeners('PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093');
    expect([...parseAdvertisedListeners('SASL_SSL://kafka.example.com:443', listeners)]).toEqual([['SASL_SSL', { host: 'kafka.example.com', port: 443 }]]);
    expect(() => parseAdvertisedListeners('SSL://a:1', listeners)).toThrow(/not one of the listeners/);
    expect(() => parseAdvertisedListeners('SASL_SSL://0.0.0.0:9093', listeners)).toThrow(/non-routable/);
  });
});
