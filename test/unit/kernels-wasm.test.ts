/**
 * The WebAssembly kernels are committed as built (src/kernels/gemm-wasm-binary.ts) so that
 * installing the package needs no compiler; this fails when that build no longer matches its
 * AssemblyScript source in src/kernels/wasm/ (fix: `npm run build:wasm` and commit the result).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildKernelModule, WASM_KERNELS } from '../../src/kernels/wasm/build.mjs';
import { REPO_ROOT } from '../helpers/fixtures.js';

interface Kernel {
  source: string;
  generated: string;
}

test.each((WASM_KERNELS as Kernel[]).map((k) => [k.generated, k] as const))('%s matches a fresh asc build of its source', async (_name, kernel) => {
  const fresh = (await buildKernelModule(kernel)) as string;
  expect(readFileSync(path.join(REPO_ROOT, kernel.generated), 'utf8'), 'run `npm run build:wasm` and commit the result').toBe(fresh);
}, 60_000);
