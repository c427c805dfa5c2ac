/**
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), KIP-554: which users
 * have SCRAM credentials (mechanism and iterations, never the keys), and setting or removing
 * them. An upsertion carries the salt and the client-computed SaltedPassword; the broker
 * keeps only what SCRAM needs (StoredKey, ServerKey, salt, iterations) as metadata records,
 * persisted by a single broker and replicated by the cluster's controller.
 */
import { KafkaCode } from '../../../errors.ts';
import { ApiKey } from '../../../protocol/api-keys.ts';
import type { ApiRequest, ApiResponseInput } from '../../../protocol/api-messages.ts';
import {
  credentialFromSaltedPassword,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MECHANISMS,
  SCRAM_MIN_ITERATIONS,
  scramHashLength,
  scramMechanismId,
  scramMechanismOf,
  toBase64,
} from '../../../security/scram.ts';
import type { ScramCredentialChange } from '../../controller/controller.ts';
import type { BrokerContext } from '../context.ts';
import type { BrokerRequestHeader, HandlerEntry } from '../handler.ts';

type DescribeResult = NonNullable<ApiResponseInput<typeof ApiKey.DescribeUserScramCredentials>['results']>[number];

function handleDescribe(ctx: BrokerContext, _header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.DescribeUserScramCredentials>): ApiResponseInput<typeof ApiKey.DescribeUserScramCredentials> {
  const all = ctx.image.scramCredentials;
  const describe = (user: string): DescribeResult => {
    const credentials = all.get(user);
    if (!credentials || credentials.size === 0) return { user, errorCode: KafkaCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
    const credentialInfos = SCRAM_MECHANISMS.filter((m) => credentials.has(m)).map((m) => ({ mechanism: scramMechanismId(m), iterations: credentials.get(m)!.iterations }));
    return { user, errorCode: 0, errorMessage: null, credentialInfos };
  };
  // Null or empty: every user with a credential, as Kafka.
  if (body.users === null || body.users.length === 0) {
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: [...all.keys()].sort().map(describe) };
  }
  const counts = new Map<string, number>();
  for (const { name } of body.users) counts.set(name, (counts.get(name) ?? 0) + 1);
  const results = [...counts].map(([name, n]) =>
    n > 1 ? { user: name, errorCode: KafkaCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${name}`, credentialInfos: [] } : describe(name),
  );
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
}

interface UserOutcome {
  errorCode: number;
  errorMessage: string | null;
}

async function handleAlter(ctx: BrokerContext, _header: BrokerRequestHeader, body: ApiRequest<typeof ApiKey.AlterUserScramCredentials>): Promise<ApiResponseInput<typeof ApiKey.AlterUserScramCredentials>> {
  const outcomes = new Map<string, UserOutcome>();
  const fail = (user: string, errorCode: number, errorMessage: string) => {
    if (!outcomes.has(user) || outcomes.get(user)!.errorCode === 0) outcomes.set(user, { errorCode, errorMessage });
  };
  const ok = (user: string) => {
    if (!outcomes.has(user)) outcomes.set(user, { errorCode: 0, errorMessage: null });
  };
  // As Kafka: one user's changes succeed or fail together; the same user and mechanism twice is DUPLICATE_RESOURCE.
  const seen = new Map<string, number>();
  for (const item of [...body.deletions, ...body.upsertions]) seen.set(`${item.mechanism}/${item.name}`, (seen.get(`${item.mechanism}/${item.name}`) ?? 0) + 1);
  const changes = new Map<string, ScramCredentialChange[]>();
  const add = (user: string, change: ScramCredentialChange) => {
    let list = changes.get(user);
    if (!list) changes.set(user, (list = []));
    list.push(change);
  };
  for (const deletion of body.deletions) {
    const mechanism = scramMechanismOf(deletion.mechanism);
    if (deletion.name === '') fail(deletion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (mechanism === undefined) fail(deletion.name, KafkaCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${deletion.mechanism}`);
    else if (seen.get(`${deletion.mechanism}/${deletion.name}`)! > 1) fail(deletion.name, KafkaCode.DUPLICATE_RESOURCE, `A user credential cannot be altered twice in the same request: ${deletion.name}`);
    else if (ctx.image.scramCredential(deletion.name, mechanism) === undefined) fail(deletion.name, KafkaCode.RESOURCE_NOT_FOUND, `Attempt to delete a user credential that does not exist: ${deletion.name} (${mechanism})`);
    else {
      ok(deletion.name);
      add(deletion.name, { type: 'remove-user-scram-credential', name: deletion.name, mechanism });
    }
  }
  for (const upsertion of body.upsertions) {
    const mechanism = scramMechanismOf(upsertion.mechanism);
    if (upsertion.name === '') fail(upsertion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (mechanism === undefined) fail(upsertion.name, KafkaCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${upsertion.mechanism}`);
    else if (seen.get(`${upsertion.mechanism}/${upsertion.name}`)! > 1) fail(upsertion.name, KafkaCode.DUPLICATE_RESOURCE, `A user credential cannot be altered twice in the same request: ${upsertion.name}`);
    else if (upsertion.iterations < SCRAM_MIN_ITERATIONS) fail(upsertion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: ${upsertion.iterations} (at least ${SCRAM_MIN_ITERATIONS})`);
    else if (upsertion.iterations > SCRAM_MAX_ITERATIONS) fail(upsertion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: ${upsertion.iterations} (at most ${SCRAM_MAX_ITERATIONS})`);
    else if (upsertion.salt.length === 0) fail(upsertion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, 'The salt must not be empty');
    else if (upsertion.saltedPassword.length !== scramHashLength(mechanism)) fail(upsertion.name, KafkaCode.UNACCEPTABLE_CREDENTIAL, `The salted password must be ${scramHashLength(mechanism)} bytes for ${mechanism}`);
    else {
      ok(upsertion.name);
      const credential = await credentialFromSaltedPassword(mechanism, upsertion.saltedPassword, upsertion.salt, upsertion.iterations);
      add(upsertion.name, {
        type: 'user-scram-credential',
        name: upsertion.name,
        mechanism,
        salt: toBase64(credential.salt),
        storedKey: toBase64(credential.storedKey),
        serverKey: toBase64(credential.serverKey),
        iterations: credential.iterations,
      });
    }
  }
  const accepted = [...changes].filter(([user]) => outcomes.get(user)?.errorCode === 0).flatMap(([, list]) => list);
  if (accepted.length > 0) {
    try {
      if (!ctx.controller.alterUserScramCredentials) throw new Error('this controller does not keep SCRAM credentials');
      await ctx.controller.alterUserScramCredentials(accepted);
    } catch (error) {
      const code = (error as { kafkaCode?: number }).kafkaCode ?? KafkaCode.UNKNOWN_SERVER_ERROR;
      for (const [user, outcome] of outcomes) if (outcome.errorCode === 0) outcomes.set(user, { errorCode: code, errorMessage: (error as Error).message });
    }
  }
  return { throttleTimeMs: 0, results: [...outcomes].map(([user, o]) => ({ user, errorCode: o.errorCode, errorMessage: o.errorMessage })) };
}

/** DescribeUserScramCredentials v0. */
export const describeUserScramCredentialsHandler: HandlerEntry<typeof ApiKey.DescribeUserScramCredentials> = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  versions: { min: 0, max: 0 },
  handle: handleDescribe,
};

/** AlterUserScramCredentials v0. */
export const alterUserScramCredentialsHandler: HandlerEntry<typeof ApiKey.AlterUserScramCredentials> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: { min: 0, max: 0 },
  handle: handleAlter,
};
