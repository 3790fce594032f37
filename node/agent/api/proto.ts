import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** Loads proto/agent.proto once: camelCase fields, 64-bit numbers as JS numbers, every field present. */

function protoPath(): string {
  // From node/agent/api/*.ts (tests) or dist/node/agent/api/*.js (built).
  for (const up of ['../../../proto/agent.proto', '../../../../proto/agent.proto']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('proto/agent.proto not found next to the agent code');
}

let cached: ServiceClientConstructor | null = null;

export function agentServiceClient(): ServiceClientConstructor {
  if (!cached) {
    const definition = loadSync(protoPath(), { longs: Number, enums: String, defaults: true, arrays: true, oneofs: false });
    const pkg = loadPackageDefinition(definition) as unknown as { garagenet: { agent: { v1: GrpcObject } } };
    cached = pkg.garagenet.agent.v1.Agent as ServiceClientConstructor;
  }
  return cached;
}
