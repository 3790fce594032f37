import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { UserError } from '../common/errors.js';

const run = promisify(execFile);

/**
 * The registry's TLS identity: a self-signed key and certificate made by
 * `init`. Nodes do not trust it through a CA but through its pin (a hash of the
 * certificate) carried in the join string.
 */

export interface TlsFiles {
  keyFile: string;
  certFile: string;
}

/** Creates an EC P-256 key (mode 0600) and a 10-year self-signed certificate naming `hosts`. */
export async function createSelfSignedCert(files: TlsFiles, options: { hosts: string[]; commonName: string }): Promise<void> {
  const san = options.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', files.keyFile, '-out', files.certFile, '-days', '3650',
      '-subj', `/CN=${options.commonName}`, '-addext', `subjectAltName=${san}`,
    ]);
  } catch (err) {
    throw new UserError(`cannot create the registry's TLS certificate: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'install openssl',
      cause: err,
    });
  }
  await run('chmod', ['600', files.keyFile]);
}

/** "sha256:<base64url>" of the certificate's DER bytes, the form carried in join strings. */
export function certPin(certPemOrDer: string | Buffer): string {
  const der = typeof certPemOrDer === 'string' || certPemOrDer.toString('latin1').startsWith('-----BEGIN')
    ? new X509Certificate(certPemOrDer).raw
    : certPemOrDer;
  return `sha256:${createHash('sha256').update(der).digest('base64url')}`;
}

/** PEM text of a DER certificate, to hand to gRPC as the one trusted root. */
export function derToPem(der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
