#!/usr/bin/env node
// The `tributary` command under Node: registers the tsx loader so that the TypeScript
// sources run as they are (Deno and Bun run cli/main.ts directly).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
