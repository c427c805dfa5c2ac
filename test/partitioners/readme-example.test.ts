/**
 * The README's own partitioner example (`byRegion`, under "Plugins and the conformance
 * suites") run as written against the partitioner conformance suite, as the README tells
 * a plugin author to do: both code blocks of that section, with only the package imports
 * pointed at this checkout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Partitioner } from '../../core/contracts/partitioner.ts';
import type { Registry } from '../../core/registry.ts';

const root = resolve(import.meta.dirname, '../..');

/** The ```ts blocks of the README section that starts with `heading`. */
function blocks(heading: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const end = readme.indexOf('\n## ', start + heading.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const code = blocks('## Plugins and the conformance suites');
const program = code.join('\n')
  .replaceAll("from 'tributary/conformance'", `from ${JSON.stringify(join(root, 'conformance/index.ts'))}`)
  .replaceAll("from 'tributary'", `from ${JSON.stringify(join(root, 'mod.ts'))}`);

// A module inside the checkout (vitest transforms it); its top level registers the
// conformance suite's tests in this file, exactly as the README's vitest file would.
const dir = mkdtempSync(join(root, '.tmp-readme-'));
const file = join(dir, 'by-region.test-module.ts');
writeFileSync(file, `${program}\nexport { byRegion, registry };\n`);
const example = (await import(pathToFileURL(file).href)) as { byRegion: () => Partitioner; registry: Registry };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README byRegion partitioner', () => {
  it('is in the README with its conformance run', () => {
    expect(code).toHaveLength(2);
    expect(code[1]).toContain("partitionerConformance('by-region', byRegion");
  });

  it('registers under its name and partitions by the key\'s first byte', () => {
    const p = example.registry.create('partitioner', 'by-region');
    expect(p.name).toBe('by-region');
    expect(p.partition({ topic: 't', key: new TextEncoder().encode('EU-1'), partitionCount: 10 })).toBe('E'.charCodeAt(0) % 10);
    expect(p.partition({ topic: 't', key: new Uint8Array(0), partitionCount: 10 })).toBe(0);
    expect(p.partition({ topic: 't', key: null, partitionCount: 10 })).toBe(0);
  });
});
