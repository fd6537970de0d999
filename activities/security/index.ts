/**
 * activities/security: what keeps secrets and hostile repositories in check.
 *
 * - redact.ts: known token shapes and known secret values → `[REDACTED:<kind>]`.
 * - redacting-store.ts: an ArtifactStore decorator; every text artifact is redacted.
 * - redacting-interceptor.ts: activity results and failures are redacted before
 *   they reach history or the worker's log.
 * - hidden-unicode.ts: bidi controls, tag and zero-width characters stripped
 *   from repository instructions (AGENTS.md) and reported.
 * - publish-gate.ts: protected paths (globs), symlinks into or out of them,
 *   secrets (shapes as written, encoded or split; known values in any form)
 *   and hidden Unicode on added lines refuse a change before it becomes a pull
 *   request; patch-files.ts reads the patch, content-scan.ts scans a file's lines.
 * - secret-encodings.ts: the raw, base64, hex and URL-encoded forms of a secret.
 * - payload-codec.ts: optional AES-256-GCM encryption of workflow payloads.
 */
export * from './redact';
export * from './redacting-store';
export * from './redacting-interceptor';
export * from './hidden-unicode';
export * from './publish-gate';
export * from './secret-encodings';
export * from './payload-codec';
export * from './errors';
