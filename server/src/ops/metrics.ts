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
  /** Bytes of patch frames kept for `Last-Event-ID` catch-up, per environment. */
  streamHistoryBytes?(): { environment: string; bytes: number }[];
  /** Open connections and their limits. */
  connections?(): { open: number; streams: number; max: number; reserved: number };
  /** This replica among others: leading the periodic jobs, behind the change log, database pool. */
  replica?(): {
    leader: boolean;
    changeLogLag: number;
    changeFeedConnected: boolean;
    pool?: { size: number; total: number; idle: number; waiting: number };
  };
  /** A relay: its upstream per followed environment, and the events it forwards. */
  relay?(): {
    environments: { environment: string; connected: boolean; staleSeconds: number; refused: boolean }[];
    events: { pending: number; forwarded: number; dropped: number };
  };
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
  private readonly refusals = new Map<string, number>();
  /** Refused logins and admin credentials, by kind (`login`, `api_token`) and reason. */
  private readonly authRefusals = new Map<string, number>();
  /** Browser streams (`/client/v1/stream`) open now and opened since start, per environment. */
  private readonly browserStreams = new Map<string, { open: number; opened: number }>();
  /** Public-surface requests refused before any work, by surface and reason. */
  private readonly publicRejections = new Map<string, number>();
  /** Browser contexts a guard did not count, by reason. */
  private readonly uncountedContexts = new Map<string, number>();

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

  /** A browser stream opened (`+1`) or closed (`-1`) in `environment`. */
  observeBrowserStream(environment: string, delta: 1 | -1): void {
    const entry = this.browserStreams.get(environment) ?? { open: 0, opened: 0 };
    entry.open += delta;
    if (delta === 1) entry.opened++;
    this.browserStreams.set(environment, entry);
  }

  /** Counts a `/client/v1` or `/ofrep/v1` request refused for `reason` (`rate_limited_address`, …). */
  recordPublicRejection(surface: 'client' | 'ofrep', reason: string): void {
    const key = `${surface}\u0000${reason}`;
    this.publicRejections.set(key, (this.publicRejections.get(key) ?? 0) + 1);
  }

  /** Counts browser contexts a guard left out (`address_budget`, `capacity`). */
  recordUncountedContexts(reason: string, count = 1): void {
    this.uncountedContexts.set(reason, (this.uncountedContexts.get(reason) ?? 0) + count);
  }

  /** Counts a refused login (`login`, by limit) or admin credential (`api_token`, by reason). */
  recordAuthRefusal(kind: 'login' | 'api_token', reason: string): void {
    const key = `${kind}\u0000${reason}`;
    this.authRefusals.set(key, (this.authRefusals.get(key) ?? 0) + 1);
  }

  /** Counts a stream refused or a connection closed to keep capacity for the admin API. */
  recordConnectionRefusal(reason: string): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
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
    lines.push(
      '# HELP ringflag_connections_refused_total Streams refused and connections closed to keep headroom, by reason.',
    );
    lines.push('# TYPE ringflag_connections_refused_total counter');
    for (const [reason, value] of this.refusals) {
      lines.push(`ringflag_connections_refused_total{reason="${escapeLabel(reason)}"} ${value}`);
    }
    const connections = gauges.connections?.();
    if (connections) {
      lines.push('# HELP ringflag_open_connections Open HTTP connections (streams included).');
      lines.push('# TYPE ringflag_open_connections gauge');
      lines.push(`ringflag_open_connections ${connections.open}`);
      lines.push('# HELP ringflag_open_streams Open SDK and browser streams.');
      lines.push('# TYPE ringflag_open_streams gauge');
      lines.push(`ringflag_open_streams ${connections.streams}`);
      lines.push('# HELP ringflag_max_connections Connections accepted at most.');
      lines.push('# TYPE ringflag_max_connections gauge');
      lines.push(`ringflag_max_connections ${connections.max}`);
      lines.push(
        '# HELP ringflag_reserved_connections Connections kept for the admin API and health checks.',
      );
      lines.push('# TYPE ringflag_reserved_connections gauge');
      lines.push(`ringflag_reserved_connections ${connections.reserved}`);
    }
    lines.push('# HELP ringflag_stream_history_bytes Bytes of patches kept for Last-Event-ID catch-up.');
    lines.push('# TYPE ringflag_stream_history_bytes gauge');
    for (const { environment, bytes } of gauges.streamHistoryBytes?.() ?? []) {
      lines.push(`ringflag_stream_history_bytes{environment="${escapeLabel(environment)}"} ${bytes}`);
    }
    lines.push('# HELP ringflag_auth_refused_total Refused logins (by limit) and API tokens (by reason).');
    lines.push('# TYPE ringflag_auth_refused_total counter');
    for (const [key, value] of this.authRefusals) {
      const [kind, reason] = key.split('\u0000') as [string, string];
      lines.push(`ringflag_auth_refused_total{kind="${kind}",reason="${escapeLabel(reason)}"} ${value}`);
    }
    lines.push('# HELP ringflag_browser_streams Open browser streams (/client/v1/stream) per environment.');
    lines.push('# TYPE ringflag_browser_streams gauge');
    for (const [environment, { open }] of this.browserStreams) {
      lines.push(`ringflag_browser_streams{environment="${escapeLabel(environment)}"} ${open}`);
    }
    lines.push('# HELP ringflag_browser_streams_opened_total Browser streams opened since start.');
    lines.push('# TYPE ringflag_browser_streams_opened_total counter');
    for (const [environment, { opened }] of this.browserStreams) {
      lines.push(
        `ringflag_browser_streams_opened_total{environment="${escapeLabel(environment)}"} ${opened}`,
      );
    }
    lines.push(
      '# HELP ringflag_public_requests_rejected_total /client/v1 and /ofrep/v1 requests refused (rate limits, capacity).',
    );
    lines.push('# TYPE ringflag_public_requests_rejected_total counter');
    for (const [key, value] of this.publicRejections) {
      const [surface, reason] = key.split('\u0000') as [string, string];
      lines.push(
        `ringflag_public_requests_rejected_total{surface="${surface}",reason="${escapeLabel(reason)}"} ${value}`,
      );
    }
    lines.push('# HELP ringflag_guard_uncounted_contexts_total Browser contexts a guard did not count.');
    lines.push('# TYPE ringflag_guard_uncounted_contexts_total counter');
    for (const [reason, value] of this.uncountedContexts) {
      lines.push(`ringflag_guard_uncounted_contexts_total{reason="${escapeLabel(reason)}"} ${value}`);
    }
    const replica = gauges.replica?.();
    if (replica) {
      lines.push(
        '# HELP ringflag_leader 1 when this replica runs the scheduler, release ticker and guard checks.',
      );
      lines.push('# TYPE ringflag_leader gauge');
      lines.push(`ringflag_leader ${replica.leader ? 1 : 0}`);
      lines.push(
        "# HELP ringflag_change_log_lag Committed revisions not yet published to this replica's streams.",
      );
      lines.push('# TYPE ringflag_change_log_lag gauge');
      lines.push(`ringflag_change_log_lag ${replica.changeLogLag}`);
      lines.push(
        "# HELP ringflag_change_feed_connected 1 when this replica hears other replicas' changes at once.",
      );
      lines.push('# TYPE ringflag_change_feed_connected gauge');
      lines.push(`ringflag_change_feed_connected ${replica.changeFeedConnected ? 1 : 0}`);
      if (replica.pool) {
        lines.push('# HELP ringflag_db_pool_connections Database pool connections by state.');
        lines.push('# TYPE ringflag_db_pool_connections gauge');
        lines.push(`ringflag_db_pool_connections{state="busy"} ${replica.pool.total - replica.pool.idle}`);
        lines.push(`ringflag_db_pool_connections{state="idle"} ${replica.pool.idle}`);
        lines.push('# HELP ringflag_db_pool_size Database pool connections at most.');
        lines.push('# TYPE ringflag_db_pool_size gauge');
        lines.push(`ringflag_db_pool_size ${replica.pool.size}`);
        lines.push('# HELP ringflag_db_pool_waiting Queries waiting for a pool connection.');
        lines.push('# TYPE ringflag_db_pool_waiting gauge');
        lines.push(`ringflag_db_pool_waiting ${replica.pool.waiting}`);
      }
    }
    const relay = gauges.relay?.();
    if (relay) {
      lines.push(
        '# HELP ringflag_relay_upstream_connected 1 while the upstream stream delivers, per environment.',
      );
      lines.push('# TYPE ringflag_relay_upstream_connected gauge');
      for (const { environment, connected } of relay.environments) {
        lines.push(
          `ringflag_relay_upstream_connected{environment="${escapeLabel(environment)}"} ${connected ? 1 : 0}`,
        );
      }
      lines.push(
        '# HELP ringflag_relay_stale_seconds Seconds since the upstream was last heard from while it is away (0 when connected).',
      );
      lines.push('# TYPE ringflag_relay_stale_seconds gauge');
      for (const { environment, staleSeconds } of relay.environments) {
        lines.push(`ringflag_relay_stale_seconds{environment="${escapeLabel(environment)}"} ${staleSeconds}`);
      }
      lines.push(
        "# HELP ringflag_relay_refused 1 when the upstream refuses the relay's key for an environment.",
      );
      lines.push('# TYPE ringflag_relay_refused gauge');
      for (const { environment, refused } of relay.environments) {
        lines.push(`ringflag_relay_refused{environment="${escapeLabel(environment)}"} ${refused ? 1 : 0}`);
      }
      lines.push(
        '# HELP ringflag_relay_events_pending SDK reports and browser contexts waiting to go upstream.',
      );
      lines.push('# TYPE ringflag_relay_events_pending gauge');
      lines.push(`ringflag_relay_events_pending ${relay.events.pending}`);
      lines.push(
        '# HELP ringflag_relay_events_forwarded_total SDK reports and browser contexts sent upstream.',
      );
      lines.push('# TYPE ringflag_relay_events_forwarded_total counter');
      lines.push(`ringflag_relay_events_forwarded_total ${relay.events.forwarded}`);
      lines.push(
        '# HELP ringflag_relay_events_dropped_total SDK reports and browser contexts dropped (too many waiting, or refused upstream).',
      );
      lines.push('# TYPE ringflag_relay_events_dropped_total counter');
      lines.push(`ringflag_relay_events_dropped_total ${relay.events.dropped}`);
    }
    lines.push('# HELP ringflag_process_resident_memory_bytes Resident set size of the server process.');
    lines.push('# TYPE ringflag_process_resident_memory_bytes gauge');
    lines.push(`ringflag_process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return `${lines.join('\n')}\n`;
  }
}
