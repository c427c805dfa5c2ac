/**
 * ApiVersions (key 18): which API versions the broker serves (the handshake every client sends first).
 * Versions 0–4, flexible from v3.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** ApiVersions request and response fields, every version. */
export const apiVersionsSchema: ApiSchema = api(18, 'ApiVersions', '0-4', 3, {
  request: [
    f('clientSoftwareName', 'string', '3+'),
    f('clientSoftwareVersion', 'string', '3+'),
  ],
  response: [
    f('errorCode', 'int16', '0+'),
    a('apiKeys', '0+', [
      f('apiKey', 'int16', '0+'),
      f('minVersion', 'int16', '0+'),
      f('maxVersion', 'int16', '0+'),
    ]),
    f('throttleTimeMs', 'int32', '1+'),
    a('supportedFeatures', '3+', [
      f('name', 'string', '3+'),
      f('minVersion', 'int16', '3+'),
      f('maxVersion', 'int16', '3+'),
    ], { tag: 0, tagged: '3+' }),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1 }),
    a('finalizedFeatures', '3+', [
      f('name', 'string', '3+'),
      f('maxVersionLevel', 'int16', '3+'),
      f('minVersionLevel', 'int16', '3+'),
    ], { tag: 2, tagged: '3+' }),
    f('zkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+' }),
  ],
});
