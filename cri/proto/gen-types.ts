/**
 * Generates types.ts (TS interfaces of every CRI message, in the shape codec.ts
 * decodes to) from api.proto, so the types cannot drift from the wire format.
 *
 *   npx tsc -p tsconfig.json && node dist/cri/proto/gen-types.js
 *
 * gen-types.test.ts fails when the committed types.ts is out of date.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { PACKAGE, root } from './codec';

export const TYPES_PATH = path.resolve(__dirname, '../../../cri/proto/types.ts');

const SCALARS: Record<string, string> = {
  string: 'string',
  bool: 'boolean',
  bytes: 'Uint8Array',
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  // 64-bit integers are decimal strings: a JS number loses precision past 2^53.
  int64: 'string',
  uint64: 'string',
  sint64: 'string',
  fixed64: 'string',
  sfixed64: 'string',
};

/** `SecurityProfile.ProfileType` → `SecurityProfile_ProfileType` (as Go names it). */
function tsName(obj: protobuf.ReflectionObject): string {
  return obj.fullName.slice(PACKAGE.length + 2).replace(/\./g, '_');
}

function fieldType(field: protobuf.Field): string {
  if (field instanceof protobuf.MapField) {
    return `Record<${SCALARS[field.keyType]}, ${valueType(field)}>`;
  }
  const base = valueType(field);
  if (field.repeated) return `${base}[]`;
  return field.resolvedType instanceof protobuf.Type ? `${base} | null` : base;
}

function valueType(field: protobuf.Field): string {
  return field.resolvedType ? tsName(field.resolvedType) : SCALARS[field.type];
}

function emitEnum(e: protobuf.Enum, out: string[]): void {
  out.push(`export enum ${tsName(e)} {`);
  for (const [name, value] of Object.entries(e.values)) out.push(`  ${name} = ${value},`);
  out.push('}', '');
}

function emitType(t: protobuf.Type, out: string[], names: string[]): void {
  for (const nested of t.nestedArray) {
    if (nested instanceof protobuf.Enum) emitEnum(nested, out);
    else throw new Error(`nested message ${nested.fullName} is not supported`);
  }
  const name = tsName(t);
  names.push(name);
  if (t.fieldsArray.length === 0) {
    out.push(`export type ${name} = Record<string, never>;`, '');
    return;
  }
  out.push(`export interface ${name} {`);
  for (const f of t.fieldsArray) out.push(`  ${f.name}: ${fieldType(f)};`);
  out.push('}', '');
}

export function generateTypes(): string {
  const ns = root.lookup(PACKAGE);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`package ${PACKAGE} not found`);
  const out = [
    '// Generated from api.proto by gen-types.ts; do not edit.',
    '// Messages as codec.ts decodes them: every field present, unset messages',
    '// null, 64-bit integers as decimal strings, enums as numbers.',
    '',
  ];
  const names: string[] = [];
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Enum) emitEnum(obj, out);
    else if (obj instanceof protobuf.Type) emitType(obj, out, names);
  }
  out.push('/** Every message by name, for codec.ts. */', 'export interface Messages {');
  for (const name of names) out.push(`  ${name}: ${name};`);
  out.push('}', '');
  out.push('/** Request and response of every RPC of both services (their names do not clash). */', 'export interface Rpcs {');
  for (const svc of ns.nestedArray) {
    if (!(svc instanceof protobuf.Service)) continue;
    for (const m of svc.methodsArray) {
      out.push(`  ${m.name}: { request: ${tsName(m.resolvedRequestType!)}; response: ${tsName(m.resolvedResponseType!)} };`);
    }
  }
  out.push('}', '');
  return out.join('\n');
}

if (require.main === module) fs.writeFileSync(TYPES_PATH, generateTypes());
