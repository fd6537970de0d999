/**
 * Loads a history JSON file (the `temporal workflow show --output json` format)
 * as the History message Worker.runReplayHistories takes. The SDK's own
 * historyFromJSON fails in this install ("type must be a Type"): @temporalio/common
 * and @temporalio/proto each carry their own copy of protobufjs, and the
 * protojson of the one rejects the Type objects of the other. So the JSON is
 * parsed with @temporalio/common's protojson against a copy of the schema made
 * with the same protobufjs, and goes through the binary encoding into
 * @temporalio/proto's History.
 */
import * as path from 'path';
import { temporal } from '@temporalio/proto';

interface PbType {
  encode(message: unknown): { finish(): Uint8Array };
}

const commonDir = path.dirname(require.resolve('@temporalio/common/package.json'));
const protobuf = require(require.resolve('protobufjs', { paths: [commonDir] })) as {
  Root: { fromJSON(json: unknown): { lookupType(name: string): PbType } };
};
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [commonDir] })) as {
  fromJson(type: PbType, json: unknown, options: unknown): unknown;
};
const schema = (require('@temporalio/proto/protos/root') as { toJSON(): unknown }).toJSON();

const historyType = protobuf.Root.fromJSON(schema).lookupType('temporal.api.history.v1.History');

/** Parses the content of a history JSON file into a History message. */
export function loadHistory(json: unknown): temporal.api.history.v1.History {
  const message = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  return temporal.api.history.v1.History.decode(historyType.encode(message).finish());
}
