import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { CA_KEY_BITS, LEAF_KEY_BITS } from './profile.js';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export type KeyRole = 'ca' | 'leaf';

const BITS: Record<KeyRole, number> = { ca: CA_KEY_BITS, leaf: LEAF_KEY_BITS };

/**
 * RSA key generation runs in OpenSSL on libuv's thread pool, so it overlaps with
 * whatever the main thread does meanwhile (loading modules, reading files) and two
 * keys generate on two cores at once. node-forge's own keygen is far slower.
 */
export function generateRsaKey(bits: number): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (err, publicKey, privateKey) => {
      if (err) reject(err);
      else resolve({ publicKey, privateKey });
    });
  });
}

/**
 * Keys that are started as soon as lab knows it will need them, and taken when the
 * certificate is built. The CLI starts them before it has even loaded lab.yml.
 */
export class KeyPool {
  private readonly pending = new Map<KeyRole, Promise<KeyPair>>();

  /** Starts generating a key for `role` unless one is already under way. */
  start(role: KeyRole): void {
    if (this.pending.has(role)) return;
    const key = generateRsaKey(BITS[role]);
    // A key that is never taken must not turn into an unhandled rejection.
    key.catch(() => undefined);
    this.pending.set(role, key);
  }

  /** The started key, or a new one; each key is handed out once. */
  take(role: KeyRole): Promise<KeyPair> {
    this.start(role);
    const key = this.pending.get(role) as Promise<KeyPair>;
    this.pending.delete(role);
    return key;
  }
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, for RSA the PKCS#1 RSAPublicKey. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'pkcs1', format: 'der' }))
    .digest();
}

export function privateKeyPem(key: KeyObject): string {
  // PKCS#8, like mkcert, so either tool can read the other's keys.
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
