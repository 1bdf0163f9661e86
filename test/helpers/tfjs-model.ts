/** tfjs-converter running a tfjs graph model (model.json and its weight shards) from disk. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Loads model.json from memory as tfjs's own loader would: the topology, the flattened weights
 * manifest, and the shards concatenated in manifest order.
 */
export async function loadTfjsGraphModel(file: string): Promise<GraphModel> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  const dir = path.dirname(file);
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(dir, p))));
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  return loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }));
}
