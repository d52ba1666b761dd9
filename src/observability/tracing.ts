// OpenTelemetry trace export: the tracer provider, its exporter (OTLP over HTTP) and the start of
// each request's trace. Loaded only when tracing is on (app.ts imports it dynamically), so a
// server without OTEL_EXPORTER_OTLP_ENDPOINT does not even load the SDK.
//
// The provider is deliberately not registered as the global one: nothing else can then start spans
// under it. A global provider would also need a context manager to parent spans, and would let
// libraries with OpenTelemetry hooks of their own record what this service never records (drizzle's
// carry statement parameters).
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { RequestTrace } from './request-trace.js';
import type { TraceSettings } from '../settings/trace-settings.js';

export interface Tracing {
  /** Starts the trace of one GraphQL HTTP request, as a child of the caller's `traceparent` if it sent a valid one. */
  startRequest(method: string, headers: IncomingHttpHeaders): RequestTrace;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Where spans go instead of the OTLP exporter (tests: an in-memory exporter). */
  spanProcessor?: SpanProcessor;
  /** A bounded, readable name per statement shape: the SQL spans' names. */
  statementName: (text: string) => string;
}

// Node lower-cases incoming header names; a repeated header arrives as an array.
const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

const ROUTE = '/graphql';

export function createTracing(settings: TraceSettings | undefined, options: TracingOptions): Tracing {
  const processor =
    options.spanProcessor ??
    // Batched, in the background: a request never waits for the collector.
    new BatchSpanProcessor(new OTLPTraceExporter({ url: settings!.exportUrl }));
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings?.serviceName ?? 'cardfile' })),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('cardfile');
  const propagator = new W3CTraceContextPropagator();

  return {
    startRequest(method, headers) {
      const parent = headers.traceparent ? propagator.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
      const root = tracer.startSpan(
        `${method} ${ROUTE}`,
        { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_HTTP_ROUTE]: ROUTE, [ATTR_URL_PATH]: ROUTE } },
        parent,
      );
      return new RequestTrace(tracer, root, parent, options.statementName);
    },
    shutdown: () => provider.shutdown(),
  };
}
