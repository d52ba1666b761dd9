// Whether to export traces, and where, read from OpenTelemetry's standard variables. Kept apart
// from the tracing SDK, which is loaded only when this says tracing is on.

export interface TraceSettings {
  /** The OTLP/HTTP traces endpoint spans are sent to (…/v1/traces). */
  exportUrl: string;
  /** `service.name` of every span. */
  serviceName: string;
}

type Env = Record<string, string | undefined>;

function httpUrl(name: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below, without the value, which may carry credentials
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error(`${name} must be an http(s) URL`);
  return url;
}

/**
 * Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, to which /v1/traces is
 * appended, as the specification says) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL) is
 * set, unless OTEL_SDK_DISABLED=true. Undefined: off.
 */
export function traceSettingsFrom(env: Env): TraceSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let exportUrl: string;
  if (tracesEndpoint) {
    exportUrl = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint).toString();
  } else if (endpoint) {
    const base = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint).toString();
    exportUrl = `${base.replace(/\/+$/, '')}/v1/traces`;
  } else {
    return undefined;
  }
  return { exportUrl, serviceName: env.OTEL_SERVICE_NAME?.trim() || 'cardfile' };
}
