/**
 * `npm run check:pack`: packs the package as `npm publish` would (the build runs first,
 * through prepare) without writing a tarball, and fails if the pack misses a file the
 * exports point at or that an entry loads, or carries tests, benches or examples.
 */
import { packedFiles, packIssues } from './pack-contents.ts';

const packed = packedFiles({ ignoreScripts: false });
const issues = packIssues(packed, { withDist: true });
if (issues.length > 0) {
  console.error(`npm pack: ${issues.length} problem(s)\n${issues.map((i) => `  ${i}`).join('\n')}`);
  process.exit(1);
}
console.log(`npm pack: ${packed.size} files, every export target and loaded source present`);
