import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * A private certificate authority made by the test, as a utility's IT team runs one, and a server
 * certificate it signs: for the SMTP server on loopback to offer STARTTLS with.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 60 * 60 * 1000;

export interface TestCa {
  /** The CA's certificate (PEM): what a client must trust. */
  cert: string;
  /** The same, in a file: for `NODE_EXTRA_CA_CERTS`. */
  certFile: string;
  /** A server certificate for `names` (DNS names) signed by this CA, and its key (PEM). */
  issue(names: string[]): Promise<{ cert: string; key: string }>;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

async function pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

export async function createTestCa(name = 'Utility Test CA'): Promise<TestCa> {
  const keys = await keyPair();
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + DAY);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const cert = ca.toString('pem');
  const certFile = join(mkdtempSync(join(tmpdir(), 'gsan-ca-')), 'ca.pem');
  writeFileSync(certFile, cert);
  let serial = 1;
  return {
    cert,
    certFile,
    async issue(names) {
      const leafKeys = await keyPair();
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: String(++serial).padStart(2, '0'),
        subject: `CN=${names[0]}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingKey: keys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return { cert: leaf.toString('pem'), key: await pem(leafKeys.privateKey) };
    },
  };
}
