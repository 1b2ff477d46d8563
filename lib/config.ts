/**
 * Typed settings read from an explicit list of environment variables.
 *
 * Each process declares its own spec: a default per setting with its unit,
 * the variable that overrides it, and a parser that states the accepted form.
 * A bad value stops start-up with the variable, the value and that form.
 */

export interface Parser<T> {
  parse(raw: string): T | undefined;
  accepted: string;
  secret?: boolean;
}

export interface Setting<T> {
  env: string;
  default: T;
  parser: Parser<T>;
}

export type Spec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export class ConfigError extends Error {
  readonly variable: string;
  readonly value: string;
  readonly accepted: string;

  constructor(variable: string, value: string, accepted: string, secret = false) {
    const shown = secret ? '(hidden)' : JSON.stringify(value);
    super(`invalid ${variable}=${shown}: expected ${accepted}`);
    this.name = 'ConfigError';
    this.variable = variable;
    this.value = value;
    this.accepted = accepted;
  }
}

export function integer(min: number, max: number, unit = ''): Parser<number> {
  const suffix = unit === '' ? '' : ` (${unit})`;
  return {
    accepted: `an integer from ${min} to ${max}${suffix}`,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const value = Number(raw.trim());
      return value >= min && value <= max ? value : undefined;
    },
  };
}

/** A TCP port; 0 lets the OS pick a free one. */
export const port: Parser<number> = integer(0, 65_535, 'TCP port, 0 for any free port');

/** A duration in milliseconds, written as an integer. */
export const milliseconds = (min: number, max: number): Parser<number> => integer(min, max, 'milliseconds');

export function url(protocols: string[]): Parser<string> {
  return {
    accepted: `a URL starting with ${protocols.map((protocol) => `${protocol}//`).join(' or ')}`,
    parse(raw) {
      try {
        const parsed = new URL(raw);
        return protocols.includes(parsed.protocol) ? raw : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return {
    accepted: `one of ${values.join(', ')}`,
    parse: (raw) => (values as readonly string[]).includes(raw) ? (raw as T) : undefined,
  };
}

/** A host:port or a host name for a gRPC channel, such as 127.0.0.1:50051. */
export const hostPort: Parser<string> = {
  accepted: 'host:port, such as 127.0.0.1:50051',
  parse: (raw) => /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(raw) ? raw : undefined,
};

export const nonEmpty: Parser<string> = {
  accepted: 'a non-empty string',
  parse: (raw) => raw.trim() === '' ? undefined : raw,
};

export const logLevel = oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);

/**
 * Reads every setting of `spec` from `env`, falling back to its default.
 * Throws a ConfigError for the first variable whose value is invalid.
 */
export function loadConfig<S extends Spec>(spec: S, env: Record<string, string | undefined> = process.env): ConfigOf<S> {
  const config: Record<string, unknown> = {};

  for (const [key, setting] of Object.entries(spec)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      config[key] = setting.default;
      continue;
    }

    const value = setting.parser.parse(raw);
    if (value === undefined) {
      throw new ConfigError(setting.env, raw, setting.parser.accepted, setting.parser.secret);
    }
    config[key] = value;
  }

  return config as ConfigOf<S>;
}

/** Hides the password of a URL such as redis://user:secret@host:6379. */
export function maskUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password === '') return value;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return value;
  }
}

/** Returns the settings in effect, keyed by variable, with URL passwords and secrets masked, for the start-up log line. */
export function describeConfig<S extends Spec>(spec: S, config: ConfigOf<S>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(spec)) {
    const value = (config as Record<string, unknown>)[key];
    if (setting.parser.secret) shown[setting.env] = '***';
    else if (typeof value === 'string') shown[setting.env] = maskUrl(value);
    else shown[setting.env] = value;
  }
  return shown;
}

/**
 * Loads the config or ends the process with exit code 78 (EX_CONFIG) and one
 * line naming the variable, the value and the accepted form.
 */
export function loadConfigOrExit<S extends Spec>(spec: S, env: Record<string, string | undefined> = process.env): ConfigOf<S> {
  try {
    return loadConfig(spec, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(78);
  }
}
