// Preload (`node --import ./hide-packages.mjs`) that makes the packages named in
// TRIBUTARY_HIDE unresolvable, for ESM imports (a resolve hook) and CommonJS requires
// alike, as if they were not installed. Used to prove what the default entry needs.
import Module, { register } from 'node:module';

const hidden = (process.env.TRIBUTARY_HIDE ?? '').split(',').filter(Boolean);
const isHidden = (specifier) => hidden.some((name) => specifier === name || specifier.startsWith(`${name}/`));

register('./hide-packages-hooks.mjs', import.meta.url, { data: { hidden } });

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (isHidden(request)) {
    const error = new Error(`Cannot find module '${request}' (hidden by the test)`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
