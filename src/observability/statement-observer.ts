// What the database layer tells observers of each statement it sends (traces, statement timing):
// the shape lives here, beside its observers, so that the database layer reports to observability
// and observability never reaches into it.

/** Where a statement went. */
export type StatementDatabase = 'primary' | 'replica';

/**
 * Told of a statement as it is sent, with its text (which holds $n placeholders, never values:
 * the parameters are not passed) and where it goes; returns what to call once it settled.
 */
export type StatementObserver = (text: string, database: StatementDatabase) => (error?: unknown) => void;
