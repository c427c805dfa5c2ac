/**
 * The metadata records of SCRAM credential changes: each upsertion's StoredKey and
 * ServerKey derived from its SaltedPassword (the salted password itself is not kept), each
 * deletion a removal record. Used by the single broker's controller and the quorum's.
 */
import { credentialFromSaltedPassword, toBase64 } from '../../security/scram.ts';
import type { RemoveUserScramCredentialRecord, UserScramCredentialRecord } from '../metadata/records.ts';
import type { ScramCredentialChanges } from './controller.ts';

/** The records of `changes`: removals first, then the credentials set. */
export async function scramCredentialRecords(changes: ScramCredentialChanges): Promise<Array<UserScramCredentialRecord | RemoveUserScramCredentialRecord>> {
  const removals = changes.deletions.map((d): RemoveUserScramCredentialRecord => ({ type: 'remove-user-scram-credential', name: d.name, mechanism: d.mechanism }));
  const upserts = await Promise.all(changes.upsertions.map(async (u): Promise<UserScramCredentialRecord> => {
    const c = await credentialFromSaltedPassword(u.mechanism, u.saltedPassword, u.salt, u.iterations);
    return { type: 'user-scram-credential', name: u.name, mechanism: u.mechanism, salt: toBase64(c.salt), storedKey: toBase64(c.storedKey), serverKey: toBase64(c.serverKey), iterations: c.iterations };
  }));
  return [...removals, ...upserts];
}
