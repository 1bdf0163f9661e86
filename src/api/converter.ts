/**
 * TFLiteConverter: the shape of TensorFlow's `tf.lite.TFLiteConverter` for people who script
 * conversions. Options are properties; `convert()` returns the .tflite bytes.
 *
 *   const converter = TFLiteConverter.fromFrozenGraph('model.pb', ['x'], ['y'], { x: [1, 224, 224, 3] });
 *   converter.allowCustomOps = true;
 *   const tflite = await converter.convert();
 */
import { withFile } from '../util/errors.js';
import { convertGraphDef, type ConversionResult, type WeightQuantization } from './convert.js';
import { readModelFile } from './files.js';

export class TFLiteConverter {
  /** Emit TF ops without a TFLite builtin as CUSTOM ops instead of failing. */
  allowCustomOps = false;
  /** Only FLOAT for now; quantized inference types come with post-training quantization. */
  inferenceType: 'FLOAT' = 'FLOAT';
  /** As TF's target_spec: supportedTypes ['float16'] stores the weights as float16. */
  targetSpec: { supportedTypes: string[] } = { supportedTypes: [] };
  /**
   * As TF's `optimizations`: ['DEFAULT'] (or its deprecated aliases) without a float16 supported
   * type quantizes the weights to int8 for the hybrid kernels (dynamic range), as TF does when no
   * representative dataset is given.
   */
  optimizations: ('DEFAULT' | 'OPTIMIZE_FOR_SIZE' | 'OPTIMIZE_FOR_LATENCY' | 'EXPERIMENTAL_SPARSITY')[] = [];
  /** What the last convert() did, pass by pass. */
  lastResult: ConversionResult | null = null;

  private constructor(
    private readonly source: { bytes: Uint8Array; name: string },
    readonly inputArrays: string[] | undefined,
    readonly outputArrays: string[] | undefined,
    readonly inputShapes: Record<string, number[]> | undefined,
  ) {}

  /**
   * A converter for a frozen GraphDef (`.pb` or `.pbtxt`), given as a path or as bytes. Like TF's
   * from_frozen_graph: input and output node names, and shapes by input name where the graph's
   * own are not fully known.
   */
  static fromFrozenGraph(
    graphDef: string | Uint8Array,
    inputArrays?: string[],
    outputArrays?: string[],
    inputShapes?: Record<string, number[]>,
  ): TFLiteConverter {
    const source = typeof graphDef === 'string' ? { bytes: readModelFile(graphDef), name: graphDef } : { bytes: graphDef, name: '' };
    return new TFLiteConverter(source, inputArrays, outputArrays, inputShapes);
  }

  async convert(): Promise<Uint8Array> {
    const { bytes, name } = this.source;
    try {
      this.lastResult = convertGraphDef(bytes, name, {
        inputArrays: this.inputArrays,
        outputArrays: this.outputArrays,
        inputShapesByName: this.inputShapes,
        allowCustomOps: this.allowCustomOps,
        quantize: this.weightQuantization(),
      });
    } catch (err) {
      throw name === '' ? err : withFile(err, name);
    }
    return this.lastResult.tflite;
  }

  /** TF's choice (lite.py's QuantizationMode): float16 weights, dynamic range, or none. */
  private weightQuantization(): WeightQuantization | undefined {
    if (this.targetSpec.supportedTypes.includes('float16')) return 'float16';
    const quantizing = this.optimizations.some((o) => o === 'DEFAULT' || o === 'OPTIMIZE_FOR_SIZE' || o === 'OPTIMIZE_FOR_LATENCY');
    return quantizing ? 'dynamic' : undefined;
  }
}
