/**
 * SaslHandshake (key 17): chooses a SASL mechanism.
 * Versions 0–1, never flexible.
 */
import { api, f, type ApiSchema } from '../schema.ts';

/** SaslHandshake request and response fields, every version. */
export const saslHandshakeSchema: ApiSchema = api(17, 'SaslHandshake', '0-1', null, {
  request: [
    f('mechanism', 'string', '0+'),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    f('mechanisms', '[]string', '0+'),
  ],
});
