import { EXIT, type ExitCode, exitCodeForStatus } from './exit-codes.js';

/** One field-level problem, as the server's problem+json lists them. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * The one error type of the remote commands: a message, the exit code it ends the process with, and
 * field paths when the input (or the server) named them. Anything else thrown is exit 1.
 *
 * @example
 * throw new CliError(EXIT.badInput, '--percent must be a number from 0 to 100');
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly errors: FieldProblem[];
  /** The HTTP status behind the error, when the server answered. */
  readonly status: number | undefined;
  /** The server's problem title ("Conflict"), when it answered with one. */
  readonly title: string | undefined;

  constructor(
    exitCode: ExitCode,
    message: string,
    options: { errors?: FieldProblem[]; status?: number; title?: string } = {},
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.errors = options.errors ?? [];
    this.status = options.status;
    this.title = options.title;
  }
}

/** A usage mistake or a bad file (exit 2). */
export function badInput(message: string, errors: FieldProblem[] = []): CliError {
  return new CliError(EXIT.badInput, message, { errors });
}

/** The server answered with an error status: its problem+json detail and field paths. */
export function fromProblem(status: number, body: unknown): CliError {
  const problem = isRecord(body) ? body : {};
  const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`;
  const title = typeof problem.title === 'string' ? problem.title : undefined;
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(isRecord).map((error) => ({
        path: typeof error.path === 'string' ? error.path : '',
        message: typeof error.message === 'string' ? error.message : JSON.stringify(error),
      }))
    : [];
  return new CliError(exitCodeForStatus(status), detail, { errors, status, title });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
