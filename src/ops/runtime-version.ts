/**
 * The `min_runtime_version` metadata every .tflite we write carries: the oldest TFLite runtime
 * release whose kernels support every (builtin op, op version) pair the model uses.
 *
 * A port of TensorFlow's tensorflow/compiler/mlir/lite/tools/versioning/runtime_version.cc
 * (the MLIR converter's copy of tensorflow/lite/tools/versioning/runtime_version.cc):
 * - FindMinimumRuntimeVersionForOp: the table below, transcribed entry for entry (420 entries,
 *   read at tensorflow/tensorflow commit 03f49db5a23ec2b22a59f3f3d72e5744469ea30b);
 * - CompareRuntimeVersion: compareRuntimeVersions;
 * - UpdateMinimumRuntimeVersionForModel: minRuntimeVersion (the maximum over the used ops) and
 *   encodeRuntimeVersionMetadata (the 16-byte, zero-padded metadata buffer).
 *
 * Matching TensorFlow byte for byte matters: tools that compare our output with the official
 * converter's (and runtimes that log or check the field) see the same value. When TensorFlow adds
 * an entry, add it here too; the table must stay a transcription, not a guess.
 */
import { BuiltinOperator as B } from '../../generated/tflite/builtin-operator.js';
import type { BuiltinOperator } from '../../generated/tflite/builtin-operator.js';

/**
 * Rows of [op, first version, runtime versions of that and each following op version]: the row
 * [B.CONV_2D, 1, ['1.5.0', '1.14.0']] stands for upstream's {{CONV_2D, 1}, "1.5.0"} and
 * {{CONV_2D, 2}, "1.14.0"}. Rows follow upstream's order (by first appearance of the op).
 */
const TABLE: readonly (readonly [BuiltinOperator, number, readonly string[]])[] = [
  [B.AVERAGE_POOL_2D, 1, ['1.5.0', '1.14.0', '2.3.0']],
  [B.BATCH_MATMUL, 1, ['2.3.0', '2.3.0', '2.4.0', '2.5.0']],
  // Upstream: version 1 of BROADCAST_TO was rolled back and its builtin code renumbered (the
  // builtin-code shortage), so the table starts at version 2.
  [B.BROADCAST_TO, 2, ['2.5.0', '2.5.0']],
  [B.CONV_2D, 1, ['1.5.0', '1.14.0', '1.14.0', '2.3.0', '2.4.0', '2.9.0', '2.11.0', '2.15.0']],
  [B.DEPTHWISE_CONV_2D, 1, ['1.5.0', '1.12.0', '1.14.0', '2.2.0', '2.3.0', '2.3.0', '2.11.0']],
  [B.ADD, 1, ['1.5.0', '1.14.0', '2.4.0', '2.6.0', '2.13.0', '2.23.0']],
  [B.ADD_N, 1, ['1.14.0']],
  [B.SPACE_TO_BATCH_ND, 1, ['1.6.0', '1.14.0', '2.3.0', '2.12.0']],
  [B.SUB, 1, ['1.6.0', '1.14.0', '2.3.0', '2.4.0', '2.4.0']],
  [B.DENSIFY, 1, ['2.2.0']],
  [B.DIV, 1, ['1.6.0', '2.3.0']],
  [B.BATCH_TO_SPACE_ND, 1, ['1.6.0', '1.14.0', '2.3.0', '2.12.0']],
  [B.CAST, 1, ['1.5.0', '2.7.0', '2.8.0', '2.9.0', '2.12.0', '2.15.0', '2.17.0', '2.21.0']],
  [B.CONCATENATION, 1, ['1.5.0', '1.14.0', '2.3.0', '2.14.0', '2.21.0']],
  [B.DEPTH_TO_SPACE, 1, ['2.1.0', '2.5.0']],
  [B.EMBEDDING_LOOKUP, 1, ['1.13.0', '1.14.0', '1.14.0', '2.18.0', '2.21.0']],
  [B.EMBEDDING_LOOKUP_SPARSE, 1, ['1.5.0']],
  [B.FAKE_QUANT, 1, ['1.5.0', '1.10.0']],
  [B.FULLY_CONNECTED, 1, ['1.5.0', '1.10.0', '1.14.0', '1.14.0', '2.0.0', '2.1.0', '2.3.0', '2.3.0', '2.3.0',
                          '2.11.0', '2.15.0', '2.17.0', '2.18.0', '2.21.0']],
  [B.GATHER, 1, ['1.6.0', '1.14.0', '1.15.0', '2.4.0', '2.5.0', '2.13.0', '2.15.0']],
  [B.GATHER_ND, 1, ['1.14.0', '2.3.0', '2.5.0', '2.13.0', '2.16.0']],
  [B.HASHTABLE_LOOKUP, 1, ['1.5.0']],
  [B.SVDF, 1, ['1.5.0', '1.14.0', '2.2.0', '2.3.0']],
  [B.L2_NORMALIZATION, 1, ['1.5.0', '1.14.0']],
  [B.L2_POOL_2D, 1, ['1.5.0']],
  [B.LOCAL_RESPONSE_NORMALIZATION, 1, ['1.5.0']],
  [B.MAX_POOL_2D, 1, ['1.5.0', '1.14.0', '2.3.0']],
  [B.MAXIMUM, 1, ['1.14.0', '1.14.0', '2.3.0', '2.3.0']],
  [B.MINIMUM, 1, ['1.14.0', '1.14.0', '2.3.0', '2.3.0']],
  [B.MUL, 1, ['1.5.0', '1.14.0', '1.15.0', '2.3.0', '2.6.0', '2.11.0', '2.13.0', '2.23.0']],
  [B.NON_MAX_SUPPRESSION_V4, 1, ['2.1.0']],
  [B.NON_MAX_SUPPRESSION_V5, 1, ['2.1.0']],
  [B.PAD, 1, ['1.5.0', '1.14.0', '2.4.0', '2.6.0', '2.20.0']],
  [B.TILE, 1, ['1.10.1', '2.2.0', '2.8.0']],
  [B.PADV2, 1, ['1.9.0', '1.14.0', '2.4.0', '2.6.0', '2.20.0']],
  [B.RESHAPE, 1, ['1.5.0']],
  [B.SOFTMAX, 1, ['1.5.0', '1.14.0', '2.3.0']],
  [B.SPACE_TO_DEPTH, 1, ['1.5.0', '1.14.0']],
  [B.TRANSPOSE, 1, ['1.6.0', '1.14.0', '1.15.0', '2.3.0', '2.4.0', '2.12.0', '2.14.4', '2.22.0']],
  [B.LSTM, 1, ['1.7.0', '1.10.0', '1.14.0', '2.3.0']],
  [B.UNIDIRECTIONAL_SEQUENCE_LSTM, 1, ['1.13.1', '1.14.0', '2.3.0', '2.12.0']],
  [B.BIDIRECTIONAL_SEQUENCE_LSTM, 1, ['1.14.0', '1.14.0', '1.14.0']],
  [B.BIDIRECTIONAL_SEQUENCE_RNN, 1, ['1.14.0', '1.14.0', '2.3.0']],
  [B.MEAN, 1, ['1.6.0', '1.14.0', '2.4.0']],
  [B.SUM, 1, ['1.10.0', '1.15.0']],
  [B.REDUCE_MAX, 1, ['1.11.0', '1.14.0', '2.5.0']],
  [B.REDUCE_MIN, 1, ['1.11.0', '1.14.0', '2.5.0']],
  [B.REDUCE_PROD, 1, ['1.11.0', '2.6.0']],
  [B.REDUCE_ANY, 1, ['1.11.0']],
  [B.RELU6, 1, ['1.5.0', '1.14.0', '2.5.0']],
  [B.RESIZE_BILINEAR, 1, ['1.7.0', '1.14.0', '2.2.0', '2.5.0']],
  [B.RESIZE_NEAREST_NEIGHBOR, 1, ['1.13.1', '1.14.0', '2.3.0', '2.4.0']],
  [B.RNN, 1, ['1.5.0', '1.14.0', '2.3.0']],
  [B.SKIP_GRAM, 1, ['1.5.0']],
  [B.SQUEEZE, 1, ['1.6.0', '2.5.0']],
  [B.SPLIT, 1, ['1.5.0', '1.14.0', '1.14.0', '2.3.0']],
  [B.SPLIT_V, 1, ['1.13.1', '2.3.0']],
  [B.STRIDED_SLICE, 1, ['1.6.0', '1.14.0', '2.1.0', '2.2.0', '2.5.0', '2.6.0', '2.14.0', '2.14.0']],
  [B.TOPK_V2, 1, ['1.7.0', '1.14.0', '2.13.0']],
  [B.ARG_MAX, 1, ['1.9.0', '1.14.0', '2.9.0']],
  [B.ARG_MIN, 1, ['1.9.0', '1.14.0', '2.9.0']],
  [B.TRANSPOSE_CONV, 1, ['1.9.0', '2.2.0', '2.3.0', '2.13.0', '2.15.0']],
  [B.SPARSE_TO_DENSE, 1, ['1.9.0', '1.14.0', '1.15.0']],
  [B.EXPAND_DIMS, 1, ['1.10.0']],
  [B.PACK, 1, ['1.11.0', '1.14.0', '2.3.0', '2.13.0']],
  [B.SHAPE, 1, ['1.10.0']],
  [B.SLICE, 1, ['1.14.0', '1.14.0', '1.14.0', '2.4.0', '2.5.0', '2.14.0', '2.21.0']],
  [B.TANH, 1, ['1.14.0', '1.14.0', '2.3.0']],
  [B.ONE_HOT, 1, ['1.11.0']],
  [B.UNPACK, 1, ['1.11.0', '1.14.0', '2.2.0', '2.3.0', '2.22.0']],
  [B.LEAKY_RELU, 1, ['1.13.1', '2.3.0']],
  [B.LOGISTIC, 1, ['1.14.0', '1.14.0', '2.3.0']],
  [B.LOG_SOFTMAX, 1, ['1.14.0', '1.14.0']],
  [B.LSH_PROJECTION, 1, ['1.5.0']],
  [B.SQUARED_DIFFERENCE, 1, ['1.13.1', '2.5.0']],
  [B.MIRROR_PAD, 1, ['1.13.1', '2.3.0', '2.12.0']],
  [B.UNIQUE, 1, ['1.14.0']],
  [B.UNIDIRECTIONAL_SEQUENCE_RNN, 1, ['1.14.0', '1.14.0', '2.3.0']],
  [B.WHERE, 1, ['1.14.0', '2.8.0']], // upstream lists (WHERE, 2) far below (WHERE, 1); grouped here
  [B.DEQUANTIZE, 1, ['1.13.1', '1.14.0', '1.15.0', '2.2.0', '2.7.0', '2.18.0', '2.21.0', '2.22.0']],
  [B.REVERSE_SEQUENCE, 1, ['1.14.0']],
  [B.EQUAL, 1, ['1.14.0', '1.14.0', '2.3.0', '2.13.0', '2.21.0']],
  [B.NOT_EQUAL, 1, ['1.14.0', '1.14.0', '2.3.0', '2.21.0']],
  [B.GREATER, 1, ['1.14.0', '1.14.0']],
  [B.GREATER_EQUAL, 1, ['1.14.0', '1.14.0', '2.13.0']],
  [B.LESS, 1, ['1.14.0', '1.14.0', '2.13.0']],
  [B.LESS_EQUAL, 1, ['1.14.0', '1.14.0']],
  [B.SCATTER_ND, 1, ['2.1.0']],
  [B.SEGMENT_SUM, 1, ['2.2.0']],
  [B.SELECT, 1, ['1.14.0', '1.14.0', '2.12.0', '2.12.0']],
  [B.SELECT_V2, 1, ['2.2.0', '2.12.0']],
  [B.IF, 1, ['1.15.0']],
  [B.FLOOR_DIV, 1, ['1.14.0', '1.14.0', '2.13.0']],
  [B.FLOOR, 1, ['1.9.0']],
  [B.CEIL, 1, ['1.14.0']],
  [B.MATRIX_DIAG, 1, ['1.14.0']],
  [B.MATRIX_SET_DIAG, 1, ['1.14.0']],
  [B.ELU, 1, ['1.14.0']],
  [B.QUANTIZE, 1, ['1.14.0', '1.15.0', '2.7.0', '2.21.0', '2.21.0', '2.21.0']],
  [B.ROUND, 1, ['1.14.0']],
  [B.RELU, 1, ['1.5.0', '2.1.0', '2.5.0']],
  [B.RELU_N1_TO_1, 1, ['1.5.0']],
  [B.RELU_0_TO_1, 1, ['2.10.0']],
  [B.PRELU, 1, ['1.8.0']],
  [B.EXP, 1, ['1.7.0', '2.12.0']],
  [B.COS, 1, ['1.14.0']],
  [B.NEG, 1, ['1.9.0']],
  [B.POW, 1, ['1.10.0']],
  [B.LOGICAL_OR, 1, ['1.11.0']],
  [B.LOGICAL_AND, 1, ['1.11.0']],
  [B.LOGICAL_NOT, 1, ['1.11.0']],
  [B.FLOOR_MOD, 1, ['1.13.0', '2.13.0']],
  [B.RANGE, 1, ['1.13.0', '2.14.0']],
  [B.SIN, 1, ['1.9.0']],
  [B.LOG, 1, ['1.14.0', '2.15.0']],
  [B.SQRT, 1, ['1.10.0', '2.21.0']],
  [B.RSQRT, 1, ['1.10.0', '2.5.0', '2.15.0']],
  [B.SQUARE, 1, ['1.12.0']],
  [B.ZEROS_LIKE, 1, ['1.12.0']],
  [B.ABS, 1, ['1.13.0', '2.4.0', '2.5.0', '2.6.0', '2.12.0']],
  [B.HARD_SWISH, 1, ['1.15.0']],
  [B.FILL, 1, ['1.13.0', '2.3.0', '2.5.0', '2.12.0']],
  [B.REVERSE_V2, 1, ['1.14.0', '2.2.0', '2.5.0']],
  [B.RANK, 1, ['1.14.0']],
  [B.WHILE, 1, ['1.15.0']],
  [B.CUMSUM, 1, ['2.4.0']],
  [B.CALL_ONCE, 1, ['2.5.0']],
  [B.RFFT2D, 1, ['2.5.0']],
  [B.CONV_3D, 1, ['2.5.0']],
  [B.IMAG, 1, ['2.5.0']],
  [B.REAL, 1, ['2.5.0']],
  [B.COMPLEX_ABS, 1, ['2.5.0']],
  [B.HASHTABLE, 1, ['2.5.0']],
  [B.HASHTABLE_FIND, 1, ['2.5.0']],
  [B.HASHTABLE_IMPORT, 1, ['2.5.0']],
  [B.HASHTABLE_SIZE, 1, ['2.5.0']],
  [B.REDUCE_ALL, 1, ['2.6.0']],
  [B.CONV_3D_TRANSPOSE, 1, ['2.6.0']],
  [B.VAR_HANDLE, 1, ['2.6.0']],
  [B.READ_VARIABLE, 1, ['2.6.0']],
  [B.ASSIGN_VARIABLE, 1, ['2.6.0']],
  [B.BROADCAST_ARGS, 1, ['2.6.0']],
  [B.RANDOM_STANDARD_NORMAL, 1, ['2.8.0']],
  [B.BUCKETIZE, 1, ['2.8.0']],
  [B.RANDOM_UNIFORM, 1, ['2.8.0']],
  [B.MULTINOMIAL, 1, ['2.8.0']],
  [B.GELU, 1, ['2.9.0', '2.9.0']],
  [B.DYNAMIC_UPDATE_SLICE, 1, ['2.9.0', '2.17.0', '2.19.0', '2.20.0', '2.21.0', '2.22.0']],
  [B.UNSORTED_SEGMENT_PROD, 1, ['2.10.0']],
  [B.UNSORTED_SEGMENT_MAX, 1, ['2.10.0']],
  [B.UNSORTED_SEGMENT_MIN, 1, ['2.11.0']],
  [B.UNSORTED_SEGMENT_SUM, 1, ['2.10.0']],
  [B.ATAN2, 1, ['2.10.0']],
  [B.SIGN, 1, ['2.11.0', '2.12.0']],
  [B.BITCAST, 1, ['2.13.0']],
  [B.BITWISE_XOR, 1, ['2.13.0']],
  [B.RIGHT_SHIFT, 1, ['2.13.0']],
  [B.STABLEHLO_SCATTER, 1, ['2.15.0']],
  [B.DILATE, 1, ['2.15.0']],
  [B.STABLEHLO_RNG_BIT_GENERATOR, 1, ['2.15.0']],
  [B.REDUCE_WINDOW, 1, ['2.15.0']],
  [B.STABLEHLO_GATHER, 1, ['2.16.0']],
  [B.STABLEHLO_ADD, 1, ['2.16.0']],
  [B.STABLEHLO_MULTIPLY, 1, ['2.16.0']],
  [B.STABLEHLO_REDUCE_WINDOW, 1, ['2.16.0']],
  [B.STABLEHLO_MAXIMUM, 1, ['2.16.0']],
  [B.STABLEHLO_MINIMUM, 1, ['2.16.0']],
  [B.STABLEHLO_PAD, 1, ['2.16.0']],
  [B.STABLEHLO_COMPOSITE, 1, ['2.17.0']],
  [B.STABLEHLO_AND, 1, ['2.17.0']],
  [B.STABLEHLO_SHIFT_LEFT, 1, ['2.17.0']],
  [B.STABLEHLO_CBRT, 1, ['2.17.0']],
  [B.STABLEHLO_CASE, 1, ['2.17.0']],];

/** `${op}:${version}` → runtime version: FindMinimumRuntimeVersionForOp's std::map. */
const BY_KEY: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [op, first, versions] of TABLE) {
    versions.forEach((runtime, i) => {
      const key = `${op}:${first + i}`;
      // Upstream builds a std::map from an initializer list, where a repeated key keeps its
      // first value; the transcription has no repeats, and this keeps it that way.
      if (map.has(key)) throw new Error(`runtime-version table repeats ${B[op]} version ${first + i}`);
      map.set(key, runtime);
    });
  }
  return map;
})();

/**
 * The oldest runtime that supports version `version` of builtin `op`, or undefined when the
 * table has no entry (upstream returns an empty string; custom ops, op versions newer than the
 * table, and ops the table never listed all land here).
 */
export function minRuntimeVersionForOp(op: BuiltinOperator, version: number): string | undefined {
  return BY_KEY.get(`${op}:${version}`);
}

/**
 * absl::SimpleAtoi into an int: ASCII whitespace around the number is ignored, one leading '+'
 * or '-' is allowed, then decimal digits only; out of int32 range fails.
 */
function simpleAtoi(text: string): number | undefined {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*$/.exec(text);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value >= -(2 ** 31) && value <= 2 ** 31 - 1 ? value : undefined;
}

/** CompareRuntimeVersion(v1, v2): true when v1 is the older version. */
function runtimeVersionLess(v1: string, v2: string): boolean {
  const vec1 = v1.split('.');
  const vec2 = v2.split('.');
  let i = 0;
  while (i < vec1.length && i < vec2.length) {
    // Upstream skips a position where either side is not a number (rather than failing).
    const a = simpleAtoi(vec1[i]!);
    const b = simpleAtoi(vec2[i]!);
    if (a !== undefined && b !== undefined && a !== b) return a < b;
    ++i;
  }
  // Upstream: "If there are remaining items in v2 not being compared, then v1 should precede
  // v2" — so "2.3" < "2.3.0", and "" (one non-numeric component) < any dotted version.
  return i < vec2.length;
}

/**
 * Three-way form of TensorFlow's CompareRuntimeVersion: negative when `a` is the older runtime,
 * positive when `b` is, zero when neither precedes the other. Components compare as integers
 * ("1.14.0" > "1.5.0"), a non-numeric component is skipped, and a version that is a prefix of a
 * longer one is older ("2.3" < "2.3.0").
 */
export function compareRuntimeVersions(a: string, b: string): number {
  if (runtimeVersionLess(a, b)) return -1;
  if (runtimeVersionLess(b, a)) return 1;
  return 0;
}

/**
 * The model's minimum runtime version: UpdateMinimumRuntimeVersionForModel's loop. Pass the
 * (builtin, version) of every operator the subgraphs use — upstream walks the operators, so an
 * operator code no operator references contributes nothing. Pairs missing from the table
 * (custom ops included) are skipped; with none known the result is '' (stored as 16 zero bytes).
 */
export function minRuntimeVersion(opCodes: readonly { builtin: BuiltinOperator; version: number }[]): string {
  let modelMinVersion = '';
  for (const { builtin, version } of opCodes) {
    const runtime = minRuntimeVersionForOp(builtin, version);
    if (runtime === undefined) continue;
    // Upstream bumps only on a strictly newer version, starting from "" (older than anything).
    if (runtimeVersionLess(modelMinVersion, runtime)) modelMinVersion = runtime;
  }
  return modelMinVersion;
}

/** Size of the `min_runtime_version` metadata buffer the MLIR exporter (flatbuffer_export.cc) reserves. */
const RUNTIME_VERSION_METADATA_SIZE = 16;

/**
 * The bytes of the `min_runtime_version` metadata buffer, as UpdateMinimumRuntimeVersionForModel
 * leaves them: the exporter reserves 16 zero bytes; the version's bytes are copied to the start
 * and the rest stays zero (no length prefix; a 15-byte version has one trailing NUL). A version of
 * 16 bytes or more is not written at all (upstream logs a warning), leaving all 16 bytes zero.
 */
export function encodeRuntimeVersionMetadata(version: string): Uint8Array {
  const out = new Uint8Array(RUNTIME_VERSION_METADATA_SIZE);
  const bytes = new TextEncoder().encode(version);
  if (bytes.length < RUNTIME_VERSION_METADATA_SIZE) out.set(bytes);
  return out;
}
