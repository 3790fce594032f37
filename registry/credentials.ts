import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Credentials and single-use secrets. The registry stores only SHA-256 hashes
 * of them in etcd (the secrets are 256 random bits, so a plain hash is enough);
 * callers send them as gRPC metadata `authorization: Bearer <credential>`.
 */

const ADMIN = 'gnadmin';
const NODE = 'gnnode';
const VIEWER = 'gnviewer';
const NAME = /^[a-z0-9-]{1,32}$/;

/** A viewer reads the public view and the experiments' audit logs, nothing else (the looking glass holds one). */
export type Credential =
  | { kind: 'admin'; secret: string }
  | { kind: 'node'; node: string; secret: string }
  | { kind: 'viewer'; viewer: string; secret: string };

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function formatCredential(credential: Credential): string {
  switch (credential.kind) {
    case 'admin': return `${ADMIN}.${credential.secret}`;
    case 'node': return `${NODE}.${credential.node}.${credential.secret}`;
    case 'viewer': return `${VIEWER}.${credential.viewer}.${credential.secret}`;
  }
}

/** Parses a credential string; null if it has none of the known forms. */
export function parseCredential(text: string): Credential | null {
  const parts = text.trim().split('.');
  if (parts[0] === ADMIN && parts.length === 2 && parts[1]) return { kind: 'admin', secret: parts[1] };
  if (parts.length !== 3 || !NAME.test(parts[1]!) || !parts[2]) return null;
  if (parts[0] === NODE) return { kind: 'node', node: parts[1]!, secret: parts[2] };
  if (parts[0] === VIEWER) return { kind: 'viewer', viewer: parts[1]!, secret: parts[2] };
  return null;
}
