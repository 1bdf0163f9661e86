/**
 * The runtimes the calibration bench compares against, each running the same model on the same
 * samples in this process:
 * - tfjs-backend-wasm (XNNPACK, SIMD) executing the source model: model.json as tfjs loads it,
 *   a frozen .pb through the test harness's GraphDef → tfjs topology translation;
 * - LiteRT.js (TFLite's kernels with XNNPACK, compiled to WASM) running our float .tflite,
 *   compiled once (the harness's runTflite compiles per call, which would time the compiler).
 * Both run on one thread in Node 20 (tfjs-wasm reports no multithread support there).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAndCompile, Tensor as LiteRtTensor, type CompiledModel } from '@litertjs/core';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { loadRuntime, pinDynamicShapeSignatures } from '../harness/litert.js';
import { decodeGraphDef } from '../harness/tf-graphdef-proto.js';
import { toTfjsArtifacts } from '../harness/tfjs-topology.js';
import { REPO_ROOT, type BenchModel } from './calibration-models.js';
// The harness's GraphDef decoder reads generated/tf-protos.json beside its own folder's parent;
// importing the file makes tsc emit it into dist/generated/ too, where the compiled harness looks.
import '../../generated/tf-protos.json' with { type: 'json' };

/** One forward pass on a sample; returns the first output's values. */
export type ForwardPass = (sample: Float32Array) => Promise<Float32Array | Int32Array | Uint8Array>;

export interface ReferenceRunner {
  label: string;
  run: ForwardPass;
  dispose(): void;
}

let wasmBackend: Promise<string> | undefined;

/** Selects tfjs's wasm backend once; returns a note on its features (SIMD, threads). */
function ensureWasmBackend(): Promise<string> {
  wasmBackend ??= (async () => {
    setWasmPaths(path.join(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return `SIMD ${simd ? 'on' : 'off'}, ${threads ? `${getThreadsCount()} threads` : '1 thread'}`;
  })();
  return wasmBackend;
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function loadTfjsModel(m: BenchModel): Promise<GraphModel> {
  if (m.source.endsWith('.json')) {
    const json = JSON.parse(readFileSync(m.source, 'utf8')) as ModelJson;
    const dir = path.dirname(m.source);
    const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(dir, p))));
    const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
    const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
    return loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  }
  const { topology, weightSpecs, weightData } = toTfjsArtifacts(decodeGraphDef(readFileSync(m.source)));
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData }));
}

export async function tfjsWasmRunner(m: BenchModel): Promise<ReferenceRunner> {
  const features = await ensureWasmBackend();
  const model = await loadTfjsModel(m);
  const inputName = model.inputs[0]?.name;
  const outputName = model.outputs[0]?.name;
  if (inputName === undefined || outputName === undefined) throw new Error(`${m.spec.name}: tfjs sees no input or output`);
  return {
    label: `tfjs-backend-wasm (${features})`,
    async run(sample) {
      const x = tf.tensor(sample, m.spec.inputShape, 'float32');
      const y = model.execute({ [inputName]: x }, outputName) as tf.Tensor;
      const data = y.dataSync() as Float32Array | Int32Array | Uint8Array;
      tf.dispose([x, y]);
      return data;
    },
    dispose: () => model.dispose(),
  };
}

export async function liteRtRunner(m: BenchModel): Promise<ReferenceRunner> {
  await loadRuntime();
  const compiled: CompiledModel = await loadAndCompile(pinDynamicShapeSignatures(m.tflite).bytes, { accelerator: 'wasm' });
  return {
    label: 'LiteRT.js (XNNPACK, WASM, 1 thread)',
    async run(sample) {
      const input = new LiteRtTensor(sample, m.spec.inputShape);
      try {
        const outputs = await compiled.run([input]);
        try {
          return outputs[0]!.toTypedArray() as Float32Array | Int32Array | Uint8Array;
        } finally {
          for (const t of outputs) t.delete();
        }
      } finally {
        input.delete();
      }
    },
    dispose: () => compiled.delete(),
  };
}
