import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * A private certificate authority made by the test, as a utility's IT team runs one, and the server
 * certificates it signs: for the SMTP server on loopback to offer STARTTLS with. Keys from Node's
 * crypto; certificates built and signed by node-forge.
 */

/**
 * Every certificate's validity: fixed and wide, so whatever the clock says (a test may fake it) a
 * certificate is never refused as not yet or no longer valid. 2049 is the last year X.509 writes
 * as UTCTime.
 */
const VALID_FROM = new Date('2000-01-01T00:00:00Z');
const VALID_UNTIL = new Date('2049-12-31T23:59:59Z');

export interface TestCa {
  /** The CA's certificate (PEM): what a client must trust. */
  cert: string;
  /** The same, in a file: for `NODE_EXTRA_CA_CERTS`. */
  certFile: string;
  /** A server certificate for `names` (DNS names) signed by this CA, and its key (PEM). */
  issue(names: string[]): { cert: string; key: string };
  /** Removes `certFile` and its folder: a test run leaves nothing in the temporary directory. */
  remove(): void;
}

function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

function certificate(serial: number, subject: string, publicKey: forge.pki.PublicKey): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial.toString(16).padStart(2, '0');
  cert.publicKey = publicKey;
  cert.validity.notBefore = VALID_FROM;
  cert.validity.notAfter = VALID_UNTIL;
  cert.setSubject([{ name: 'commonName', value: subject }]);
  return cert;
}

export function createTestCa(name = 'Utility Test CA'): TestCa {
  const keys = rsaKeys();
  const ca = certificate(1, name, keys.publicKey);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(keys.privateKey, forge.md.sha256.create());
  const cert = forge.pki.certificateToPem(ca);
  const dir = mkdtempSync(join(tmpdir(), 'gsan-ca-'));
  const certFile = join(dir, 'ca.pem');
  writeFileSync(certFile, cert);
  let serial = 1;
  return {
    cert,
    certFile,
    issue(names) {
      const leafKeys = rsaKeys();
      const leaf = certificate(++serial, names[0], leafKeys.publicKey);
      leaf.setIssuer(ca.subject.attributes);
      leaf.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
        { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
      ]);
      leaf.sign(keys.privateKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(leaf), key: leafKeys.pem };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
