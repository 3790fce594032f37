import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * Loads proto/registry.proto once. Fields arrive camelCase, 64-bit numbers as
 * JS numbers and every field present (defaults filled), which is what
 * model.ts describes.
 */

function protoPath(): string {
  // From registry/*.ts (tests) or dist/registry/*.js (built).
  for (const up of ['../proto/registry.proto', '../../proto/registry.proto']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('proto/registry.proto not found next to the registry code');
}

let cached: ServiceClientConstructor | null = null;

export function registryServiceClient(): ServiceClientConstructor {
  if (!cached) {
    const definition = loadSync(protoPath(), { longs: Number, enums: String, defaults: true, arrays: true, oneofs: false });
    const pkg = loadPackageDefinition(definition) as unknown as { garagenet: { registry: { v1: GrpcObject } } };
    cached = pkg.garagenet.registry.v1.Registry as ServiceClientConstructor;
  }
  return cached;
}

export function registryServiceDefinition(): ServiceDefinition {
  return registryServiceClient().service;
}
