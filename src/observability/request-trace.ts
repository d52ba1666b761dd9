// The trace of one GraphQL HTTP request: its root span and the spans under it. It travels with
// the request (the handler, its ExecutionRecord, its loaders and database handle) and every span is
// started under a parent taken from it, not from a global context manager: that would need
// AsyncLocalStorage, which taxes every promise of every request, traced or not.
//
// What goes into attributes is chosen here, once: statement texts (with $n placeholders, never
// parameter values), names, sizes, codes and outcomes. Never values, error messages (which can quote
// them), headers or tokens.
import { type Attributes, type Context, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { StatementDatabase, StatementObserver } from './statement-observer.js';

/** The request as answered, for the root span's attributes (the figures the log line and metrics carry). */
export interface AnsweredAttributes {
  requestId: string;
  /** A published operation's name, or `other`: the label the metrics use. */
  operation: string;
  outcome: string;
  status: number;
  workspaceId: number | undefined;
  statements: number;
}

export type LookupResult = 'hit' | 'stale' | 'miss' | 'error';

const VERB = /^\s*([a-z]+)/i;

/** Marks a span failed with a code only: an error's message can quote what a statement or document carried. */
export function markFailed(span: Span, error: unknown): void {
  const { code, extensions, name } = (error ?? {}) as { code?: unknown; extensions?: { code?: unknown }; name?: unknown };
  const type = typeof code === 'string' ? code : typeof extensions?.code === 'string' ? extensions.code : typeof name === 'string' ? name : 'Error';
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

export class RequestTrace {
  /** Where a span started now goes: under the execute phase while it runs, else under the root. */
  private parent: Context;
  private readonly rootContext: Context;
  /** Told of each statement the request's database handle sends (DatabaseHandle.counting). */
  readonly statements: StatementObserver;

  constructor(
    private readonly tracer: Tracer,
    readonly root: Span,
    parentContext: Context,
    /** A bounded, readable name per statement shape (StatementLabels). */
    statementName: (text: string) => string,
  ) {
    this.rootContext = trace.setSpan(parentContext, root);
    this.parent = this.rootContext;
    this.statements = (text: string, database: StatementDatabase) => {
      const span = this.child(
        statementName(text),
        {
          // db.system is the name most backends still show; db.system.name is the stable one.
          'db.system': DB_SYSTEM_NAME_VALUE_POSTGRESQL,
          [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
          [ATTR_DB_QUERY_TEXT]: text,
          [ATTR_DB_OPERATION_NAME]: VERB.exec(text)?.[1]?.toUpperCase() ?? 'OTHER',
          'cardfile.db.database': database,
        },
        SpanKind.CLIENT,
      );
      return (error?: unknown) => {
        if (error !== undefined) markFailed(span, error);
        span.end();
      };
    };
  }

  /** Starts a span under the request's current parent; the caller ends it. */
  child(name: string, attributes?: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span {
    return this.tracer.startSpan(name, { kind, attributes }, this.parent);
  }

  /**
   * Starts a phase of the request (parse, validate, execute); returns its end. With `encloses`,
   * the spans started until it ends (loader batches, statements) go under it.
   */
  phase(name: string, attributes?: Attributes, encloses = false): (error?: unknown) => void {
    const span = this.tracer.startSpan(name, { attributes }, this.rootContext);
    if (encloses) this.parent = trace.setSpan(this.rootContext, span);
    return (error) => {
      if (error) markFailed(span, error);
      span.end();
      if (encloses) this.parent = this.rootContext;
    };
  }

  /** A span around `work`, ended when it settles. */
  around<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
    const span = this.child(name, attributes);
    return work().then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        markFailed(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Starts the lookup of one cache tier; returns what ends it with its result. */
  cacheLookup(tier: 'l1' | 'l2'): (result: LookupResult) => void {
    const span = this.child(`cache.lookup ${tier}`, { 'cardfile.cache.tier': tier }, tier === 'l2' ? SpanKind.CLIENT : SpanKind.INTERNAL);
    return (result) => {
      span.setAttribute('cardfile.cache.result', result);
      span.setAttribute('cardfile.cache.hit', result === 'hit' || result === 'stale');
      span.end();
    };
  }

  /** Ends the root span with what the request came to. */
  end(answered: AnsweredAttributes): void {
    const attributes: Attributes = {
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: answered.status,
      'cardfile.request.id': answered.requestId,
      'cardfile.operation': answered.operation,
      'cardfile.cache.outcome': answered.outcome,
      'cardfile.sql.statements': answered.statements,
    };
    if (answered.workspaceId !== undefined) attributes['cardfile.workspace.id'] = answered.workspaceId;
    this.root.setAttributes(attributes);
    // A server span is an error for 5xx answers only: a 4xx is the caller's mistake.
    if (answered.status >= 500) {
      this.root.setAttribute(ATTR_ERROR_TYPE, String(answered.status));
      this.root.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.root.end();
  }
}
