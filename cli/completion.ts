/**
 * `drydock completion bash|zsh`: a completion script generated from the
 * command tree (commands, subcommands, each command's flags), so it never
 * lags behind the commands.
 */
import type { Command } from 'commander';
import { UsageError } from './errors';

/** Each command path (`start`, `schedule create`) with its flags, and the words that may follow each group. */
interface Tree {
  /** Words after `drydock`: top-level command names. */
  top: string[];
  /** Subcommand names of a group (`schedule` → create, list, …). */
  groups: Map<string, string[]>;
  /** Flags of a command path (`start`, `schedule create`). */
  flags: Map<string, string[]>;
}

function treeOf(program: Command): Tree {
  const flagsOf = (c: Command) =>
    [...c.options.flatMap((o) => [o.long, o.short]), '--help'].filter((f): f is string => !!f);
  const tree: Tree = { top: [], groups: new Map(), flags: new Map([['', flagsOf(program)]]) };
  for (const c of program.commands) {
    tree.top.push(c.name());
    tree.flags.set(c.name(), flagsOf(c));
    if (c.commands.length > 0) {
      tree.groups.set(
        c.name(),
        c.commands.map((s) => s.name()),
      );
      for (const s of c.commands) tree.flags.set(`${c.name()} ${s.name()}`, flagsOf(s));
    }
  }
  return tree;
}

/** The completion script for a shell. */
export function completionScript(program: Command, shell: string | undefined): string {
  if (shell === 'bash') return bashScript(treeOf(program));
  if (shell === 'zsh')
    return `#compdef drydock\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(treeOf(program))}`;
  throw new UsageError(`give the shell: drydock completion bash|zsh${shell ? ` (got ${JSON.stringify(shell)})` : ''}`);
}

function bashScript(t: Tree): string {
  const cases = [...t.flags]
    .filter(([path]) => path !== '')
    .map(([path, flags]) => `    "${path}") flags="${flags.join(' ')}" ;;`)
    .join('\n');
  const groups = [...t.groups].map(([g, subs]) => `    ${g}) subs="${subs.join(' ')}" ;;`).join('\n');
  return `# drydock completion for bash (and zsh through bashcompinit): source <(drydock completion bash)
_drydock() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local cmd="" sub="" subs="" flags="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; break; fi
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${(t.flags.get('') ?? []).join(' ')}" -- "$cur"));
    else COMPREPLY=($(compgen -W "${t.top.join(' ')}" -- "$cur")); fi
    return
  fi
  case $cmd in
${groups}
  esac
  if [[ -n $subs && -z $sub ]]; then
    if [[ $cur != -* ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return; fi
  fi
  local path=$cmd
  [[ -n $subs && -n $sub ]] && path="$cmd $sub"
  case $path in
${cases}
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _drydock drydock
`;
}
