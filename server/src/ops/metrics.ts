/** Upper bounds (seconds) of the request latency histogram. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Gauges read at scrape time. */
export interface GaugeSource {
  sseConnections(): { environment: string; count: number }[];
  revisions(): { environment: string; revision: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Prometheus metrics kept in memory: HTTP requests by route and status, a latency histogram per
 * route, file-descriptor exhaustion, and gauges (SSE connections, revisions) read at scrape time.
 *
 * @example
 * metrics.observeRequest('GET', '/api/v1/flags', 200, 0.004);
 * response.end(metrics.render(gauges));
 */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private fdErrors = 0;

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method}\u0000${route}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const histogramKey = `${method}\u0000${route}`;
    let histogram = this.latency.get(histogramKey);
    if (!histogram) {
      histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(histogramKey, histogram);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) histogram.counts[i]!++;
    histogram.sum += seconds;
    histogram.count++;
  }

  /** Counts an EMFILE / ENFILE: the process ran out of file descriptors. */
  recordFdExhaustion(): void {
    this.fdErrors++;
  }

  get fdExhaustionCount(): number {
    return this.fdErrors;
  }

  /** The Prometheus text exposition. */
  render(gauges: GaugeSource): string {
    const lines: string[] = [];
    lines.push('# HELP ringflag_http_requests_total HTTP requests by method, route and status.');
    lines.push('# TYPE ringflag_http_requests_total counter');
    for (const [key, value] of this.requests) {
      const [method, route, status] = key.split('\u0000') as [string, string, string];
      lines.push(
        `ringflag_http_requests_total{method="${method}",route="${escapeLabel(route)}",status="${status}"} ${value}`,
      );
    }
    lines.push(
      '# HELP ringflag_http_request_duration_seconds Time to produce a response (streams: until open).',
    );
    lines.push('# TYPE ringflag_http_request_duration_seconds histogram');
    for (const [key, histogram] of this.latency) {
      const [method, route] = key.split('\u0000') as [string, string];
      const labels = `method="${method}",route="${escapeLabel(route)}"`;
      BUCKETS.forEach((bound, i) => {
        lines.push(
          `ringflag_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${histogram.counts[i]}`,
        );
      });
      lines.push(`ringflag_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${histogram.count}`);
      lines.push(`ringflag_http_request_duration_seconds_sum{${labels}} ${histogram.sum}`);
      lines.push(`ringflag_http_request_duration_seconds_count{${labels}} ${histogram.count}`);
    }
    lines.push('# HELP ringflag_sse_connections Open SDK streams per environment.');
    lines.push('# TYPE ringflag_sse_connections gauge');
    for (const { environment, count } of gauges.sseConnections()) {
      lines.push(`ringflag_sse_connections{environment="${escapeLabel(environment)}"} ${count}`);
    }
    lines.push('# HELP ringflag_environment_revision Current revision per environment.');
    lines.push('# TYPE ringflag_environment_revision gauge');
    for (const { environment, revision } of gauges.revisions()) {
      lines.push(`ringflag_environment_revision{environment="${escapeLabel(environment)}"} ${revision}`);
    }
    lines.push('# HELP ringflag_fd_exhaustion_total Accept or open failures with EMFILE/ENFILE.');
    lines.push('# TYPE ringflag_fd_exhaustion_total counter');
    lines.push(`ringflag_fd_exhaustion_total ${this.fdErrors}`);
    return `${lines.join('\n')}\n`;
  }
}
