/** Paths of the model fixtures and the independent facts recorded about them in manifest.json. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS_DIR = path.join(REPO_ROOT, 'test/fixtures/models');

export interface ManifestTensor {
  name?: string;
  op?: string;
  dtype: string;
  shape: number[] | null | string;
  scale?: number[];
  zero_point?: number[];
}

export interface ManifestEntry {
  id: string;
  path: string;
  format: string;
  op_counts?: Record<string, number>;
  inputs?: ManifestTensor[];
  likely_outputs?: { name: string; op: string }[];
  subgraphs?: { name?: string; inputs: ManifestTensor[]; outputs: ManifestTensor[] }[];
  meta_graphs?: { tags?: string[]; op_counts?: Record<string, number>; inputs?: ManifestTensor[] }[];
}

export const MANIFEST: { models: ManifestEntry[] } = JSON.parse(
  readFileSync(path.join(MODELS_DIR, 'manifest.json'), 'utf8'),
);

export function modelPath(relative: string): string {
  return path.join(MODELS_DIR, relative);
}

export function readModel(relative: string): Uint8Array {
  const buffer = readFileSync(modelPath(relative));
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function manifestModels(format: string): ManifestEntry[] {
  return MANIFEST.models.filter((m) => m.format === format);
}
