/**
 * Certificates for TLS tests, made with openssl in a temporary folder: a CA,
 * a server certificate for localhost/127.0.0.1, a client certificate the CA
 * signed, and a client certificate of another CA (which the server refuses).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Paths of the PEM files made for one test. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not trust. */
  rogueClientCert: string;
  rogueClientKey: string;
  remove(): void;
}

/** Makes the CA, server and client certificates (about a second). */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drydock-certs-'));
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
    );
  const leaf = (name: string, caName: string, ext: string) => {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
    );
    execFileSync(
      'bash',
      [
        '-c',
        `openssl x509 -req -in ${name}.csr -CA ${caName}.pem -CAkey ${caName}.key -CAcreateserial -days 2 -out ${name}.pem -extfile <(printf '%s' "$EXT")`,
      ],
      { cwd: dir, stdio: 'pipe', env: { ...process.env, EXT: ext } },
    );
  };
  ca('test-ca');
  ca('rogue-ca');
  leaf('server', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue-client', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: f('test-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    rogueClientCert: f('rogue-client.pem'),
    rogueClientKey: f('rogue-client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
