import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * Loads proto/routed.proto once. Fields arrive camelCase, 64-bit counters as
 * JS numbers and every field present (defaults filled), as messages.ts describes.
 */

function protoPath(): string {
  // From route-daemon/control/*.ts (tests) or dist/route-daemon/control/*.js (built).
  for (const up of ['../../proto/routed.proto', '../../../proto/routed.proto']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('proto/routed.proto not found next to the route daemon code');
}

let cached: ServiceClientConstructor | null = null;

export function routedServiceClient(): ServiceClientConstructor {
  if (!cached) {
    const definition = loadSync(protoPath(), { longs: Number, enums: String, defaults: true, arrays: true, oneofs: false });
    const pkg = loadPackageDefinition(definition) as unknown as { garagenet: { routed: { v1: GrpcObject } } };
    cached = pkg.garagenet.routed.v1.Routed as ServiceClientConstructor;
  }
  return cached;
}
