import { ApiError, type ErrorDetails } from './api-error.ts';

/**
 * One row of the public error table: everything the gateway, the docs and the OpenAPI document
 * say about an error code. The rows live in `errors.ts`; each one produces its error class.
 */
export interface ErrorRow {
  readonly status: number;
  readonly code: string;
  /** The default message: an exact string of the public contract (SPEC §3.1, §10). */
  readonly message: string;
  /** Why a client gets it (docs: send, troubleshooting, endpoints). */
  readonly cause: string;
  /** What the client does about it. */
  readonly fix: string;
  /** Response headers every instance carries (e.g. Retry-After). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Which table of the docs lists it: the public table (SPEC §3.1, the default) or the 3CX one. */
  readonly table?: 'public' | 'threecx';
}

/** The body every error answers with, as the OpenAPI document shows it. */
export interface ErrorExample {
  success: false;
  error: string;
  message: string;
}

/** The error classes of a table, and the table read in its order. */
export class ErrorTable {
  readonly #rows: ErrorRow[] = [];
  readonly #byCode = new Map<string, ErrorRow>();

  /** Adds a row and returns its error class: `class XError extends table.row({...}) {}`. */
  row<const R extends ErrorRow>(row: R) {
    if (this.#byCode.has(row.code)) throw new Error(`error code ${row.code} is in the table twice`);
    this.#rows.push(row);
    this.#byCode.set(row.code, row);
    return class extends ApiError {
      readonly status: R['status'] = row.status;
      readonly code: R['code'] = row.code;
      constructor(details?: ErrorDetails, message: string = row.message) {
        super(message, details);
        if (row.headers) Object.assign(this.headers, row.headers);
      }
    };
  }

  /** Every row, in table order. */
  all(): readonly ErrorRow[] {
    return this.#rows;
  }

  /** The rows of one docs table (`public`: SPEC §3.1 and the other public codes). */
  of(table: NonNullable<ErrorRow['table']>): ErrorRow[] {
    return this.#rows.filter((r) => (r.table ?? 'public') === table);
  }

  get(code: string): ErrorRow | undefined {
    return this.#byCode.get(code);
  }

  /** What the OpenAPI document shows for one code: its status and an example body. */
  openApi(code: string): { status: number; example: ErrorExample } | undefined {
    const row = this.#byCode.get(code);
    return row && { status: row.status, example: { success: false, error: row.code, message: row.message } };
  }
}
