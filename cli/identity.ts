/** Who is at the keyboard, for the record of an approval: git's user.email, else the OS user at this host. */
import { execFileSync } from 'child_process';
import * as os from 'os';

/** `git config user.email` when set (what the person's commits carry), else `<os user>@<host>`. */
export function userIdentity(): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (email) return email;
  } catch {
    // No git, or no user.email: the OS user.
  }
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}
