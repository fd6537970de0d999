/** What the GitHub code host and its auth are configured with (read from the environment by workers/config.ts). */

/** GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY, and where GitHub (or GitHub Enterprise) answers. */
export interface GitHubConfig {
  /** GITHUB_TOKEN: a fine-grained personal access token. */
  token?: string;
  /** GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (PEM text or the path of a PEM file). */
  appId?: string;
  appPrivateKey?: string;
  /** GITHUB_API_URL: the REST API base (`https://api.github.com`; GitHub Enterprise: `https://<host>/api/v3`). */
  apiUrl: string;
  /** DRYDOCK_GITHUB_WEB_URL: where repositories live (`https://github.com`); derived from the API URL when unset. */
  webUrl: string;
  /** DRYDOCK_GITHUB_GIT_URL: base URL git clones and pushes `<owner>/<repo>.git` from; the web URL when unset. */
  gitUrl: string;
}
