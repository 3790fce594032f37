/**
 * The mode of a file that holds a secret, in octal as chmod takes it
 * ("0644"), when its group or others have any access to it; null when only
 * its owner has. Readers refuse such a file rather than use a secret others
 * may have read.
 */
export function exposedSecretMode(mode: number): string | null {
  return (mode & 0o077) === 0 ? null : (mode & 0o777).toString(8).padStart(4, '0');
}
