#!/usr/bin/env node
// Regenerates everything under generated/ from schema/:
//   generated/tflite/      TypeScript bindings for schema/tflite/schema.fbs (flatc --ts --gen-object-api)
//   generated/tf-protos.json  protobufjs JSON descriptor of the TensorFlow .proto files we read
//
// Usage: node scripts/generate.mjs [--out DIR]   (DIR defaults to generated/; the staleness test
// writes to a temporary folder and compares it with the committed one).
//
// flatc is Debian's flatbuffers-compiler (2.0.8). It rejects the `(deprecated)` attribute on enum
// values, union members and table declarations, which newer schemas use, so those attributes are
// dropped in a preprocessing step. Field-level `(deprecated)` is understood and kept. flatc's
// TypeScript output imports siblings without a file extension; Node's ESM loader needs `.js`,
// so those specifiers are rewritten after generation.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const outDir = outArg >= 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'generated');

/** The TF protos we decode; their transitive imports come along. */
export const PROTO_ROOTS = [
  'tensorflow/core/framework/graph.proto',
  'tensorflow/core/protobuf/meta_graph.proto',
  'tensorflow/core/protobuf/saved_model.proto',
  'tensorflow/core/protobuf/tensor_bundle.proto',
];

function generateFlatbuffers() {
  const work = mkdtempSync(path.join(tmpdir(), 'tflite-fbs-'));
  try {
    const source = readFileSync(path.join(root, 'schema/tflite/schema.fbs'), 'utf8');
    const accepted = source
      .replace(/^(\s*[A-Za-z_][A-Za-z0-9_]*(\s*=\s*-?\d+)?)\s*\(deprecated\)\s*,/gm, '$1,')
      .replace(/^(table\s+[A-Za-z_][A-Za-z0-9_]*)\s*\(deprecated\)/gm, '$1');
    const fbs = path.join(work, 'schema.fbs');
    writeFileSync(fbs, accepted);
    const gen = path.join(work, 'out');
    execFileSync('flatc', ['--ts', '--gen-object-api', '-o', gen, fbs], { stdio: 'pipe' });
    const target = path.join(outDir, 'tflite');
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    copyRewritten(path.join(gen, 'tflite'), target);
    writeFileSync(path.join(target, 'index.ts'), addJsExtensions(
      readFileSync(path.join(gen, 'schema_generated.ts'), 'utf8').replaceAll("'./tflite/", "'./"),
    ));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function copyRewritten(from, to) {
  for (const name of readdirSync(from).sort()) {
    const src = path.join(from, name);
    if (statSync(src).isDirectory()) throw new Error(`unexpected folder in flatc output: ${src}`);
    writeFileSync(path.join(to, name), addJsExtensions(readFileSync(src, 'utf8')));
  }
}

function addJsExtensions(ts) {
  return ts.replace(/(from\s+'\.{1,2}\/[^']+?)(?<!\.js)'/g, "$1.js'");
}

function generateProtos() {
  const pb = new protobuf.Root();
  const schemaDir = path.join(root, 'schema');
  pb.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : path.join(schemaDir, target);
  pb.loadSync(PROTO_ROOTS, { keepCase: true });
  pb.resolveAll();
  const json = JSON.stringify(pb.toJSON({ keepComments: false }), null, 1);
  writeFileSync(path.join(outDir, 'tf-protos.json'), json + '\n');
}

mkdirSync(outDir, { recursive: true });
generateFlatbuffers();
generateProtos();
console.log(`generated bindings in ${path.relative(process.cwd(), outDir) || '.'}`);
