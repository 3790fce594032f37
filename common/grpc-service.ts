import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The services of proto/*.proto, each loaded once. Fields arrive camelCase,
 * 64-bit numbers as JS numbers and every field present (defaults filled),
 * which is what each component's message types describe.
 */

export type ProtoService = 'registry/Registry' | 'routed/Routed' | 'agent/Agent';

function protoPath(file: string): string {
  // From common/*.ts (tests) or dist/common/*.js (built).
  for (const up of [`../proto/${file}`, `../../proto/${file}`]) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`proto/${file} not found: run garagenet from its installed tree (dist/ beside proto/)`);
}

const loaded = new Map<ProtoService, ServiceClientConstructor>();

/** `serviceClient('routed/Routed')`: package garagenet.routed.v1 of proto/routed.proto, service Routed. */
export function serviceClient(service: ProtoService): ServiceClientConstructor {
  let client = loaded.get(service);
  if (!client) {
    const [name, serviceName] = service.split('/') as [string, string];
    const definition = loadSync(protoPath(`${name}.proto`), { longs: Number, enums: String, defaults: true, arrays: true, oneofs: false });
    const pkg = loadPackageDefinition(definition) as unknown as { garagenet: Record<string, { v1: GrpcObject }> };
    client = pkg.garagenet[name]!.v1[serviceName] as ServiceClientConstructor;
    loaded.set(service, client);
  }
  return client;
}
