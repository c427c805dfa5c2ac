/**
 * SaslAuthenticate (key 36): carries SASL authentication bytes.
 * Versions 0–2, flexible from v2.
 */
import { api, f, type ApiSchema } from '../schema.ts';

/** SaslAuthenticate request and response fields, every version. */
export const saslAuthenticateSchema: ApiSchema = api(36, 'SaslAuthenticate', '0-2', 2, {
  request: [
    f('authBytes', 'bytes', '0+'),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('authBytes', 'bytes', '0+'),
    f('sessionLifetimeMs', 'int64', '1+'),
  ],
});
