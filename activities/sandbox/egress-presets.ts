/**
 * The host names behind each internet preset of the agent phase
 * (`.drydock/environment.json` → `internet.presets`). This file is the one
 * place they are written; change them here and in docs/environment.md's table.
 */
import type { InternetPreset } from '../../workflows/internet-policy';

/** Each preset's domains, as allowlist entries. */
export const EGRESS_PRESETS: Record<InternetPreset, readonly string[]> = {
  'package-registries': [
    // npm
    'registry.npmjs.org',
    // PyPI and its files host
    'pypi.org',
    'files.pythonhosted.org',
    // crates.io, its sparse index and its static host
    'crates.io',
    'index.crates.io',
    'static.crates.io',
    // the Go module proxy and its checksum database
    'proxy.golang.org',
    'sum.golang.org',
    // Maven Central
    'repo.maven.apache.org',
    'repo1.maven.org',
    // Debian
    'deb.debian.org',
    'security.debian.org',
  ],
};
