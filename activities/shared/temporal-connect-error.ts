/**
 * One clear line for a failed connection to Temporal: the SDKs' errors
 * (gRPC statuses, handshake failures, deadlines) told as what the operator
 * should check — the address, the certificates, the API key.
 */
import type { TemporalConnectionConfig } from './temporal-connection';
import { probeTls } from './tls-probe';

/**
 * The line to print when connecting (or the first call) to Temporal failed;
 * `hint` says how to start a server. With TLS on, a handshake of our own says
 * whether the certificates were the trouble.
 */
export async function explainConnectError(err: unknown, config: TemporalConnectionConfig, hint = ''): Promise<string> {
  const { messages, codes } = unwrap(err);
  const raw = messages.join(': ');
  const at = `Temporal at ${config.address}`;
  const detail = shorten(messages[messages.length - 1] ?? raw);
  if (codes.includes(16) || /UNAUTHENTICATED|Unauthenticated/.test(raw)) {
    return config.hasApiKey
      ? `${at} refused the API key (TEMPORAL_API_KEY or the profile's api_key): ${detail}`
      : `${at} asks for credentials: set TEMPORAL_API_KEY (or api_key in the profile) or a client certificate (${detail})`;
  }
  if (codes.includes(7) || /PERMISSION_DENIED|PermissionDenied/.test(raw))
    return `${at} denied access to namespace ${config.namespace}: ${detail}`;
  const handshake = config.tls !== 'off' ? await probeTls(config.connectOptions) : undefined;
  if (handshake !== undefined) {
    const which =
      config.tls === 'tls'
        ? 'check the server CA (TEMPORAL_TLS_SERVER_CA_CERT_PATH) and whether the server wants a client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH)'
        : 'check the client certificate and key (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH) and the server CA (TEMPORAL_TLS_SERVER_CA_CERT_PATH)';
    if (!/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/.test(handshake))
      return `TLS handshake with ${at} failed: ${which} (${shorten(handshake)})`;
  }
  if (config.tls === 'off' && /wrong version number|http2 framing|PROTOCOL_ERROR|frame/i.test(raw))
    return `${at} did not answer in plain gRPC: it may want TLS (set TEMPORAL_TLS=true or a profile with tls) (${detail})`;
  return `cannot reach ${at} (${detail})${hint ? `; ${hint}` : ''}`;
}

/**
 * The line for a call the server answered with UNAVAILABLE because its own
 * database is down (its persistence says "<Operation> operation failed" or
 * "no usable database connection"), or undefined for any other error.
 */
export function explainDatabaseOutage(
  err: unknown,
  config: Pick<TemporalConnectionConfig, 'address'>,
): string | undefined {
  const { messages, codes } = unwrap(err);
  const raw = messages.join(': ');
  // The SDK core reports a status as text (`Status { code: Unavailable, message: "…" }`); grpc-js as code 14.
  const quoted = /code: Unavailable, message: "((?:[^"\\]|\\.)*)"/.exec(raw)?.[1];
  const said =
    quoted ?? (codes.includes(14) ? messages[messages.length - 1]?.replace(/^14 UNAVAILABLE: /, '') : undefined);
  if (said === undefined || !DATABASE_DOWN.test(said)) return undefined;
  return `Temporal at ${config.address} answers, but its database does not (the server said: ${shorten(said)}): check the server's persistence store (for scripts/prod-stack: PostgreSQL, \`scripts/prod-stack db-start\`); goals already started wait and carry on once it is back`;
}

/** What Temporal's persistence layer answers when its database cannot be reached. */
const DATABASE_DOWN = /\bno usable database connection\b|\b\w+ operation failed\b/i;

/** The messages and gRPC codes of an error and its causes, outermost first. */
function unwrap(err: unknown): { messages: string[]; codes: number[] } {
  const messages: string[] = [];
  const codes: number[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    if (message !== '') messages.push(message);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return { messages, codes };
}

/** At most 300 characters. */
function shorten(message: string): string {
  return message.length > 300 ? `${message.slice(0, 297)}...` : message;
}
