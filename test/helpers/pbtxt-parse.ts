/**
 * The TF protobuf types the pbtxt tests parse into, and the steps from text to message and to
 * bytes. The Root comes from the generated JSON, which keeps the .proto (snake_case) field
 * names, so parsed objects and `plain` output use the names the text does.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { parseTextProto } from '../../src/import/pbtxt.js';

export const tfRoot = protobuf.Root.fromJSON(
  JSON.parse(readFileSync(new URL('../../generated/tf-protos.json', import.meta.url), 'utf8')) as protobuf.INamespace,
);

/** Comparable form of a message: exact 64-bit values, bytes as base64, no defaults. */
export function plain(type: protobuf.Type, msg: protobuf.Message): Record<string, unknown> {
  return type.toObject(msg, { longs: String, bytes: String, defaults: false });
}

/** What the lead does: the parsed object through fromObject. */
export function parseMessage(text: string, type: protobuf.Type): protobuf.Message {
  return type.fromObject(parseTextProto(text, type));
}

export function encodeParsed(text: string, type: protobuf.Type): Uint8Array {
  return type.encode(parseMessage(text, type)).finish();
}
