/**
 * DescribeConfigs (key 32): reads topic and broker configs.
 * Versions 0–4, flexible from v4.
 */
import { api, a, f, type ApiSchema } from '../schema.ts';

/** DescribeConfigs request and response fields, every version. */
export const describeConfigsSchema: ApiSchema = api(32, 'DescribeConfigs', '0-4', 4, {
  request: [
    a('resources', '0+', [
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configurationKeys', '[]string', '0+', { nullable: '0+' }),
    ]),
    f('includeSynonyms', 'bool', '1+'),
    f('includeDocumentation', 'bool', '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    a('results', '0+', [
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      a('configs', '0+', [
        f('name', 'string', '0+'),
        f('value', 'string', '0+', { nullable: '0+' }),
        f('readOnly', 'bool', '0+'),
        f('isDefault', 'bool', '0'),
        f('configSource', 'int8', '1+', { default: -1 }),
        f('isSensitive', 'bool', '0+'),
        a('synonyms', '1+', [
          f('name', 'string', '1+'),
          f('value', 'string', '1+', { nullable: '0+' }),
          f('source', 'int8', '1+'),
        ]),
        f('configType', 'int8', '3+'),
        f('documentation', 'string', '3+', { nullable: '0+' }),
      ]),
    ]),
  ],
});
