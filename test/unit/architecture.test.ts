/**
 * Imports flow one way (DESIGN.md): cli → api → {import, passes, calibrate, quantize, export};
 * calibrate → exec → ops; everything → ops → kernels → ir → util. generated/ may be used by
 * any layer. This test fails on an import against that flow, so it stays that way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

const BELOW_OPS = ['ops', 'kernels', 'ir', 'util'];
const ALLOWED: Record<string, string[]> = {
  util: [],
  ir: ['util'],
  kernels: ['ir', 'util'],
  ops: ['kernels', 'ir', 'util'],
  import: BELOW_OPS,
  export: BELOW_OPS,
  passes: BELOW_OPS,
  quantize: BELOW_OPS,
  exec: BELOW_OPS,
  calibrate: ['exec', ...BELOW_OPS],
  api: ['import', 'export', 'passes', 'calibrate', 'quantize', 'exec', ...BELOW_OPS],
  cli: ['api', 'util'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

test('every src/ import follows the layering', () => {
  const src = path.join(REPO_ROOT, 'src');
  const violations: string[] = [];
  const files = sourceFiles(src);
  for (const file of files) {
    const layer = path.relative(src, file).split(path.sep)[0]!;
    expect(Object.keys(ALLOWED), `unknown layer of ${file}`).toContain(layer);
    const specifiers = [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    for (const spec of specifiers) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(src, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) {
        if (!target.startsWith(`..${path.sep}generated${path.sep}`)) violations.push(`${file}: ${spec}`);
        continue;
      }
      const targetLayer = target.split(path.sep)[0]!;
      if (targetLayer !== layer && !ALLOWED[layer]!.includes(targetLayer)) {
        violations.push(`${path.relative(REPO_ROOT, file)} (${layer}) imports ${spec} (${targetLayer})`);
      }
    }
  }
  expect(files.length).toBeGreaterThan(10);
  expect(violations).toEqual([]);
});
