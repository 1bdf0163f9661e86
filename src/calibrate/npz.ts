/**
 * NumPy .npz archives (numpy.savez / savez_compressed): a zip file of .npy members, one per
 * keyword (`x.npy` for `savez(f, x=...)`, `arr_0.npy` for positional arrays), stored or deflated.
 * Read through the zip central directory, which holds the true sizes: NumPy writes every member
 * with force_zip64, so its local headers carry 0xFFFFFFFF sizes and a zip64 extra field, and
 * only the central directory entries are plain for small members.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { Value } from '../kernels/value.js';
import { ModelFormatError } from '../util/errors.js';
import { readNpy } from './npy.js';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
const STORED = 0;
const DEFLATED = 8;
/** A 32-bit field saturated to this means "the real value is in the zip64 extra field". */
const SATURATED32 = 0xffffffff;

export interface NpzMember {
  /** The array's key: the member name without its `.npy` suffix. */
  key: string;
  /** Decompresses and parses the member (only when asked, so unused arrays cost nothing). */
  read(): Value;
}

function fail(message: string): never {
  throw new ModelFormatError(`.npz archive: ${message}`);
}

/** Offsets past 2^53 cannot occur in a file Node can read whole; refuse rather than round. */
function uint64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail('a zip64 size or offset is out of range');
  return Number(value);
}

function findEndOfCentralDirectory(view: DataView): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  fail('not a zip file (no end of central directory record)');
}

/** Where the central directory starts and how many entries it holds, zip64 or not. */
function centralDirectory(view: DataView): { offset: number; count: number } {
  const eocd = findEndOfCentralDirectory(view);
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_EOCD_LOCATOR_SIGNATURE) {
    const record = uint64(view, locator + 8);
    if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) fail('broken zip64 end of central directory');
    count = uint64(view, record + 32);
    offset = uint64(view, record + 48);
  }
  return { offset, count };
}

/** Replaces saturated 32-bit fields with their zip64 extra-field values, in the spec's order. */
function applyZip64Extra(view: DataView, extraStart: number, extraEnd: number, fields: { size: number; compressedSize: number; localOffset: number }): void {
  for (let at = extraStart; at + 4 <= extraEnd; ) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      for (const key of ['size', 'compressedSize', 'localOffset'] as const) {
        if (fields[key] !== SATURATED32) continue;
        if (field + 8 > at + 4 + length) fail('zip64 extra field is too short');
        fields[key] = uint64(view, field);
        field += 8;
      }
      return;
    }
    at += 4 + length;
  }
}

/** The archive's members in directory order. Throws ModelFormatError on anything malformed. */
export function readNpz(bytes: Uint8Array): NpzMember[] {
  if (bytes.length < 22) fail('file is too short to be a zip file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { offset, count } = centralDirectory(view);
  const members: NpzMember[] = [];
  const decoder = new TextDecoder();
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) fail(`central directory entry ${i} is missing or corrupt`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const fields = { compressedSize: view.getUint32(at + 20, true), size: view.getUint32(at + 24, true), localOffset: view.getUint32(at + 42, true) };
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    applyZip64Extra(view, at + 46 + nameLength, at + 46 + nameLength + extraLength, fields);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue; // a directory entry
    if (!name.endsWith('.npy')) fail(`member "${name}" is not a .npy array`);
    if (flags & 1) fail(`member "${name}" is encrypted`);
    if (method !== STORED && method !== DEFLATED) fail(`member "${name}" uses compression method ${method} (only stored and deflated are read)`);
    members.push({ key: name.slice(0, -'.npy'.length), read: () => readMember(bytes, view, name, method, crc, fields) });
  }
  return members;
}

function readMember(
  bytes: Uint8Array,
  view: DataView,
  name: string,
  method: number,
  crc: number,
  fields: { size: number; compressedSize: number; localOffset: number },
): Value {
  const local = fields.localOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL_SIGNATURE) fail(`member "${name}": local header is missing or corrupt`);
  // The local header's name and extra lengths may differ from the central directory's.
  const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  if (dataStart + fields.compressedSize > bytes.length) fail(`member "${name}" is truncated`);
  const stored = bytes.subarray(dataStart, dataStart + fields.compressedSize);
  let data: Uint8Array;
  try {
    data = method === STORED ? stored : inflateRawSync(stored);
  } catch (err) {
    fail(`member "${name}" does not inflate: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (data.length !== fields.size) fail(`member "${name}" holds ${data.length} bytes, its directory entry says ${fields.size}`);
  if (crc32(data) !== crc) fail(`member "${name}" fails its CRC check (the file is corrupt)`);
  try {
    return readNpy(data);
  } catch (err) {
    fail(`member "${name}": ${err instanceof Error ? err.message : String(err)}`);
  }
}
