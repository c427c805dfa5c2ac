/**
 * The broker's user sources for SASL: PLAIN users from configuration (name → password, as
 * Kafka's JAAS `user_<name>="<password>"` entries), SCRAM users from the metadata image.
 * Also the parser of the `--sasl-plain-users` file.
 */
import { TributaryError } from '../../errors.ts';
import type { ScramCredential, ScramMechanism } from '../../security/scram.ts';
import type { MetadataImage } from '../metadata/metadata-image.ts';
import type { SaslCredentials } from './sasl-mechanisms.ts';

const encoder = new TextEncoder();

// Compares every byte whatever the first difference, so timing does not tell how much of a guess was right.
function sameSecret(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Credentials over configured PLAIN users and the current image's SCRAM credentials. */
export function plainUserCredentials(plainUsers: ReadonlyMap<string, string>, image: () => MetadataImage): SaslCredentials {
  return {
    checkPlain(username: string, password: string): boolean {
      const expected = plainUsers.get(username);
      // An unknown user costs the same comparison as a known one.
      return sameSecret(password, expected ?? '\u0000') && expected !== undefined;
    },
    scramCredential(username: string, mechanism: ScramMechanism): ScramCredential | undefined {
      return image().scramCredential(username, mechanism);
    },
  };
}

/**
 * Parses a PLAIN users file: one `name:password` per line (the first ':' separates, so a
 * password may contain ':'); blank lines and lines starting with '#' are skipped. Also
 * accepts Kafka's JAAS form, `user_alice="alice-secret"` (one or more per line), so a
 * `PlainLoginModule` section copied from a Kafka broker works as is.
 */
export function parsePlainUsers(text: string): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) return;
    const jaas = [...line.matchAll(/\buser_([^=\s]+)\s*=\s*"((?:[^"\\]|\\.)*)"/g)];
    if (jaas.length > 0) {
      for (const m of jaas) users.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'));
      return;
    }
    // Other JAAS lines (the module name, username=/password= of the broker's own login, braces).
    if (/LoginModule|^[{}];?$|^\w+\s*\{|^};?$|^(username|password)\s*=/.test(line)) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new TributaryError('ERR_INVALID_CONFIG_FILE', `PLAIN users file, line ${i + 1}: expected name:password or user_<name>="<password>"`);
    users.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return users;
}
