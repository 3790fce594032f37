import { describe, expect, it } from 'vitest';
import { exposedSecretMode } from './secret-mode.js';

describe('exposedSecretMode', () => {
  it('passes a file only its owner may use, and names the mode of any other', () => {
    expect(exposedSecretMode(0o100600)).toBeNull();
    expect(exposedSecretMode(0o100400)).toBeNull();
    expect(exposedSecretMode(0o100700)).toBeNull();
    expect(exposedSecretMode(0o100640)).toBe('0640');
    expect(exposedSecretMode(0o100604)).toBe('0604');
    expect(exposedSecretMode(0o100610)).toBe('0610');
  });
});
