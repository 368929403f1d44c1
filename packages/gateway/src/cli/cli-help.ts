/**
 * The command table of `picoclaw`: one source for the overview, `<command> --help` and shell
 * completion, so the three cannot drift apart. Completion works like cobra's: the shell script
 * is tiny and asks `picoclaw __complete <words…>` for candidates, so model and MCP server names
 * come from the user's own config.
 */
import { settingsHelp } from '@picoclaw/core';
import { version } from '../version.js';

export interface CommandHelp {
  name: string;
  aliases?: string[];
  synopsis: string;
  summary: string;
  /** Extra paragraphs for `--help`. */
  details?: string;
  subcommands?: string[];
  flags: string[];
  /** What the positional argument after a subcommand names, for completion. */
  argument?: 'model' | 'mcp-server' | 'shell' | 'job';
  /** The subcommands that take that argument (default: test). */
  argumentOf?: string[];
  /** Flags whose value is one of a few words, for completion. */
  flagValues?: Record<string, string[]>;
}

const gatewayFlags = [...settingsHelp('gateway').matchAll(/--[a-z-]+/g)].map((m) => m[0]);

export const commands: CommandHelp[] = [
  {
    name: 'gateway',
    aliases: ['g'],
    synopsis: 'picoclaw gateway [flags]',
    summary: 'run the gateway (channels, agent, MCP tools; HTTP on 127.0.0.1:18790)',
    details: `Runs until SIGTERM or SIGINT; SIGHUP re-reads config.json. Exit codes: 0 after a clean stop,
78 when the config or settings are invalid (a supervisor should not restart), 1 otherwise.
Without a usable model it starts all the same (ready, degraded: no_model) and answers every
message with what to set; "picoclaw config validate" warns about the same thing.

Flags (flag > environment > config.json "gateway" > default):
${settingsHelp('gateway')}`,
    flags: gatewayFlags,
  },
  {
    name: 'agent',
    synopsis: 'picoclaw agent [-m "<message>"] [--session <name>]',
    summary: 'chat from the terminal, or one turn with -m (same models, tools, MCP)',
    details: `Without -m: an interactive chat with line editing and history. Ctrl-C stops the answer in
progress; at the prompt, Ctrl-C twice or /exit leaves.
With -m: one turn; the answer goes to stdout, tool calls and problems to stderr; exit 0 on an answer.

  -m, --message <text>   one turn with this message, then exit
  --session <name>       continue the session "cli:<name>" (default "cli:default")`,
    flags: ['-m', '--message', '--session'],
  },
  {
    name: 'onboard',
    synopsis: 'picoclaw onboard [--force] [--non-interactive] [flags]',
    summary: 'create config.json, .security.yml (0600) and workspace/ for a new home',
    details: `Asks for the essentials on a terminal; with --non-interactive (or without a terminal) takes
them from flags or the environment. Secrets go to .security.yml (mode 0600), never config.json.
Refuses to overwrite an existing config unless --force (the old files are kept as .bak).

  --mistral-key <key>        Mistral API key                      (env MISTRAL_API_KEY)
  --model <vendor/id>        primary model (default mistral/mistral-small-latest)
  --telegram-token <token>   Telegram bot token from @BotFather   (env TELEGRAM_BOT_TOKEN)
  --telegram-allow <ids>     Telegram user ids allowed to chat, comma-separated
  --ha-url <url>             Home Assistant URL, e.g. http://homeassistant.local:8123 (env HA_URL)
  --ha-token <token>         Home Assistant long-lived access token (env HA_TOKEN)
  --force                    overwrite an existing config.json (backups are kept)
  --non-interactive, -y      never prompt

Prefer the environment variables for secrets: command-line arguments are visible in ps.`,
    flags: ['--mistral-key', '--model', '--telegram-token', '--telegram-allow', '--ha-url', '--ha-token', '--force', '--non-interactive', '-y'],
  },
  {
    name: 'status',
    synopsis: 'picoclaw status [--json]',
    summary: 'is the gateway running? channels, MCP servers, models, with reasons',
    details: 'Exit 0 when the gateway is running and ready, 1 otherwise (not running, or not ready).',
    flags: ['--json'],
  },
  {
    name: 'config',
    synopsis: 'picoclaw config path|validate|show [--json]',
    summary: 'where the config is; check it; print it with secrets redacted',
    details: `  path       print the path of config.json
  validate   load it exactly as the gateway does; errors name the line and column (exit 78)
  show       the effective config (defaults, .security.yml and environment applied), secrets redacted`,
    subcommands: ['path', 'validate', 'show'],
    flags: ['--json'],
  },
  {
    name: 'models',
    synopsis: 'picoclaw models list [--json] | test <model_name>',
    summary: 'list the models (primary, fallbacks); test one: latency or the exact error',
    subcommands: ['list', 'test'],
    flags: ['--json'],
    argument: 'model',
  },
  {
    name: 'mcp',
    synopsis: 'picoclaw mcp list [--json] | test <server>',
    summary: 'list the MCP servers; test one: its tools, or why it fails',
    subcommands: ['list', 'test'],
    flags: ['--json'],
    argument: 'mcp-server',
  },
  {
    name: 'cron',
    aliases: ['c'],
    synopsis: 'picoclaw cron list|add|remove|enable|disable|run',
    summary: 'scheduled jobs: reminders and recurring tasks that send to a chat',
    details: `  list                         the jobs: id, name, schedule, target chat, next run, last result
  add --message <text> <when> --channel <name> --to <chat id> [flags]
                               a new job; prints it with its next runs
  remove|enable|disable <id>   (the start of an id is enough when only one job has it)
  run <id>                     run a job now (needs a running gateway)
  targets                      the chats a running gateway can send to (--channel and --to values)

When (one of):
  --at "2026-12-07 08:00"      once, at this local time; "08:00": the next one; "20m": from now
  --in 20m                     once, after this long (s, m, h, d, w; 1h30m)
  --every 30m                  again and again (2h, 1d; a bare number is seconds, as in PicoClaw)
  --cron "0 23 * * *"          a cron expression: minute hour day-of-month month day-of-week
  --tz Europe/Madrid           the zone of --cron and --at (default: the gateway's)

Flags of add:
  -m, --message <text>         what the assistant does when the job runs (required)
  -n, --name <text>            a short name (default: the start of the message)
  --channel <name>             the channel_list entry to send through, e.g. telegram (required)
  --to <chat id>               the chat on that channel, e.g. 123456789 (required)
  -d, --deliver                send the message as it is, without the model (a plain reminder)
  --missed run|skip            a run missed while no gateway ran: run it once later, or skip it
                               (default: run for a one-time job, skip for a repeating one)
  --json                       machine-readable output (every subcommand)
PicoClaw's spelling works too: -n <name> -m <text> (-e <seconds> | -c "<expr>") [-d] --channel --to.

Examples:
  picoclaw cron add -m "take the bins out" --at "2026-12-07 08:00" --deliver --channel telegram --to 123456789
  picoclaw cron add -m "turn off the porch light" --cron "0 23 * * *" --tz Europe/Madrid --channel telegram --to 123456789
  picoclaw cron add -m "which windows are open?" --every 2h --channel mqtt --to kitchen

With a gateway running for this home, changes go through its API and apply at once; without
one, <workspace>/cron/jobs.json is edited and read by the gateway when it starts. With
session.store "redis" the jobs live in Redis: a gateway must run.
Exit codes: 0 done; 1 no gateway where one is needed, or the gateway failed; 2 wrong usage or a
refused job (the message says what to change).`,
    subcommands: ['list', 'add', 'remove', 'enable', 'disable', 'run', 'targets'],
    flags: ['--json', '--name', '--message', '--at', '--in', '--every', '--cron', '--tz', '--channel', '--to', '--deliver', '--missed', '-n', '-m', '-e', '-c', '-d'],
    argument: 'job',
    argumentOf: ['remove', 'enable', 'disable', 'run'],
    flagValues: { '--missed': ['run', 'skip'] },
  },
  {
    name: 'skills',
    synopsis: 'picoclaw skills list|show|install|remove',
    summary: 'installed skills: instructions the assistant reads when a task needs them',
    details: `  list                         the skills: workspace (<workspace>/skills) first, then global (<home>/skills)
  show <name>                  a skill's description and SKILL.md
  install <source>             into <workspace>/skills/<name>; <source> is one of:
      ./my-skill                 a folder holding SKILL.md (and the files beside it)
      https://host/repo.git      a git repository (git clone --depth 1); "#sub/folder" for a skill inside it
      github:<owner>/<repo>[/<path>]  PicoClaw's github registry (tools.skills.registries.github.base_url)
      clawhub:<slug>             PicoClaw's clawhub registry (tools.skills.registries.clawhub.base_url)
    --registry <name>          take <source> as a slug of that registry (PicoClaw's spelling)
    --force                    replace an installed skill of the same name (the old one is moved aside)
  remove <name>                moves the skill to <workspace>/skills/.removed/ (the newest ten are kept
                               there; move it back to restore it). Global skills are removed by hand.
  --json                       machine-readable output

A skill must have a SKILL.md with "name" (lower-case letters, digits, hyphens) and "description"
in its front matter; links, special files, more than 500 files or 8 MB are refused. A running
gateway sees the change at its next message.
Exit codes: 0 done; 2 wrong usage or a refused skill (the message says why); 1 otherwise.`,
    subcommands: ['list', 'show', 'install', 'remove'],
    flags: ['--json', '--force', '--registry'],
    flagValues: { '--registry': ['github', 'clawhub'] },
  },
  {
    name: 'memory',
    synopsis: 'picoclaw memory search <words…> | show [file] | list',
    summary: "the assistant's memory: MEMORY.md and the daily notes",
    details: `  search <words…>              ranked hits in MEMORY.md's sections and the daily notes
  show [file]                  MEMORY.md (default), a day's note: YYYY-MM-DD, today, yesterday
  list                         the memory files with sizes and times
  --limit N                    at most N hits (default 10)
  --json                       machine-readable output

With a gateway running for this home the gateway answers (its API); without one the files
under <workspace>/memory/ are read. Edit them in the dashboard's Memory page, which keeps the
previous version in memory/.history/.`,
    subcommands: ['search', 'show', 'list'],
    flags: ['--json', '--limit'],
  },
  {
    name: 'completion',
    synopsis: 'picoclaw completion bash|zsh|fish',
    summary: 'print a shell completion script',
    details: `  bash:  picoclaw completion bash > ~/.local/share/bash-completion/completions/picoclaw
  zsh:   picoclaw completion zsh > "\${fpath[1]}/_picoclaw"
  fish:  picoclaw completion fish > ~/.config/fish/completions/picoclaw.fish`,
    subcommands: ['bash', 'zsh', 'fish'],
    flags: [],
  },
  { name: 'version', synopsis: 'picoclaw version', summary: 'print the version', flags: [] },
  { name: 'help', synopsis: 'picoclaw help [<command>]', summary: 'this text, or the help of one command', flags: [] },
];

export function findCommand(name: string): CommandHelp | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

export function overview(): string {
  const width = Math.max(...commands.map((c) => c.synopsis.length));
  return `picoclaw ${version} — self-hosted AI assistant

Usage:
${commands.map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`).join('\n')}

Environment: PICOCLAW_HOME (default ~/.picoclaw), PICOCLAW_CONFIG, NO_COLOR.
"picoclaw <command> --help" tells more about one command.`;
}

export function commandHelp(command: CommandHelp): string {
  return `${command.synopsis}\n\n${command.summary}.${command.details ? `\n\n${command.details}` : ''}`;
}

export interface CompletionNames {
  models(): Promise<string[]>;
  mcpServers(): Promise<string[]>;
  jobs(): Promise<string[]>;
}

/** Candidates for the last word of `words` (the words after `picoclaw`). */
export async function complete(words: string[], names: CompletionNames): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const starts = (list: string[]) => list.filter((c) => c.startsWith(current));
  if (before.length === 0) return starts(commands.filter((c) => c.name !== 'help').map((c) => c.name).concat('help'));
  const command = findCommand(before[0]!);
  if (!command) return [];
  if (command.name === 'help') return before.length === 1 ? starts(commands.map((c) => c.name)) : [];
  const values = command.flagValues?.[before.at(-1)!];
  if (values && before.length > 1) return starts(values);
  if (current.startsWith('-')) return starts([...command.flags, '--help']);
  const positional = before.slice(1).filter((w) => !w.startsWith('-'));
  if (command.subcommands && positional.length === 0) return starts(command.subcommands);
  if (positional.length === 1 && (command.argumentOf ?? ['test']).includes(positional[0]!)) {
    if (command.argument === 'model') return starts(await names.models());
    if (command.argument === 'mcp-server') return starts(await names.mcpServers());
    if (command.argument === 'job') return starts(await names.jobs());
  }
  return [];
}

/** The completion scripts: each forwards the words to `picoclaw __complete`. */
export function completionScript(shell: string): string | undefined {
  switch (shell) {
    case 'bash':
      return `# bash completion for picoclaw (picoclaw completion bash)
_picoclaw() {
  local IFS=$'\\n'
  COMPREPLY=($(picoclaw __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _picoclaw picoclaw
`;
    case 'zsh':
      return `#compdef picoclaw
# zsh completion for picoclaw (picoclaw completion zsh)
_picoclaw() {
  local -a candidates
  candidates=("\${(@f)$(picoclaw __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _picoclaw picoclaw
`;
    case 'fish':
      return `# fish completion for picoclaw (picoclaw completion fish)
complete -c picoclaw -f -a '(picoclaw __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`;
    default:
      return undefined;
  }
}
