/**
 * The broker's version tables, kept under their old import path: they are derived from
 * the one policy in version-policy.ts (import from there in new code).
 */
export { GROUP_API_VERSIONS, SUPPORTED_VERSIONS, findVersionRange, type ApiVersionRange } from './version-policy.ts';
