/**
 * Command-line parsing shared by the CLIs (simulate, keeper, fuzz, read-back): Node's `parseArgs` with errors a user
 * understands. A mistake is one line naming the option and what it takes; the usage text comes only with `--help`.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake on the command line: printed as one line, exit status 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `--accounts -5` would make parseArgs complain that the value is "ambiguous" (it starts with a dash); a negative
 * number after an option that takes a value is that option's value, which the option's own check then refuses in
 * words.
 */
export function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? "";
    const next = argv[i + 1];
    const name = token.startsWith("--") ? token.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else {
      out.push(token);
    }
  }
  return out;
}

/** parseArgs' error, in plain words. */
export function plainArgsError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) return `unknown option ${option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    return /argument missing/.test(message) ? `${option} needs a value` : `${option} takes no value`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const value = /'([^']*)'/.exec(message)?.[1] ?? "";
    return `unexpected argument "${value}": every value follows its option (--name value)`;
  }
  return message;
}

/** `parseArgs` (strict, no positionals) over `argv`, throwing UsageError in plain words. */
export function parseOptions<T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: false })
      .values;
  } catch (error) {
    throw new UsageError(plainArgsError(error));
  }
}

/**
 * A whole number from `min` to `max` (`raw` undefined: `fallback`). `what` says what it counts, for the message:
 * "--accounts (borrowers) cannot be negative: give a whole number from 1 to 10,000".
 */
export function wholeNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  what?: string,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (/^\d+$/.test(raw) && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const range =
    max === Number.MAX_SAFE_INTEGER
      ? `of ${min.toLocaleString("en-US")} or more`
      : `from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}`;
  const subject = what === undefined ? `--${flag}` : `--${flag} (${what})`;
  if (/^-\s*\d/.test(raw.trim()))
    return fail(`${subject} cannot be negative: give a whole number ${range}, not ${raw}`);
  if (/^\d+$/.test(raw)) return fail(`${subject} must be a whole number ${range}, got ${raw}`);
  return fail(`${subject} must be a whole number ${range}, got "${raw}"`);
}

function fail(message: string): never {
  throw new UsageError(message);
}

/** The line a CLI prints for a UsageError: the mistake and where the options are listed. */
export const usageLine = (command: string, message: string, help: string): string =>
  `${command}: ${message} (${help} lists the options)\n`;

/**
 * A CLI's `main`: parses `argv` (`"help"` prints `usage` on stdout, exit 0), runs it, and turns a mistake on the
 * command line into one line and exit 2, any other failure into "<command> failed: <reason>" and exit 1.
 */
export async function runCli<T>(
  command: string,
  argv: readonly string[],
  cli: {
    parse: (argv: readonly string[]) => T | "help";
    usage: () => string;
    run: (options: T) => Promise<number>;
    describe?: (error: unknown) => string;
  },
): Promise<number> {
  try {
    const options = cli.parse(argv);
    if (options === "help") {
      process.stdout.write(`${cli.usage()}\n`);
      return 0;
    }
    return await cli.run(options);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(usageLine(command, error.message, `npm run ${command} -- --help`));
      return 2;
    }
    const reason = cli.describe?.(error) ?? (error instanceof Error ? error.message : String(error));
    process.stderr.write(`${command} failed: ${reason}\n`);
    return 1;
  }
}
