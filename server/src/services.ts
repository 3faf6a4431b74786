import type { AppDeps } from './app-env.js';
import { createApiTokenService } from './features/api-tokens/api-tokens.service.js';
import { createAuditService } from './features/audit/audit.service.js';
import { createAuthService } from './features/auth/auth.service.js';
import { LoginLimiter } from './features/auth/login-limiter.js';
import { createPrincipalResolver } from './features/auth/principal-resolver.js';
import { createChangeRequestService } from './features/change-requests/change-requests.service.js';
import { createClientSurface } from './features/client/client-surface.js';
import { createDemoService } from './features/demo/demo-key.js';
import { createEnvironmentService } from './features/environments/environments.service.js';
import { createFlagConfigService } from './features/flag-configs/flag-configs.service.js';
import { createFlagService } from './features/flags/flags.service.js';
import { createInsightsService } from './features/insights/insights.service.js';
import { createProjectService } from './features/projects/projects.service.js';
import { createServerRelaySource } from './features/relay/relay-source.js';
import type { GuardContextLimits } from './features/releases/guard-contexts.js';
import { createGuardChecker } from './features/releases/guard-figures.js';
import { createGuardIntake } from './features/releases/guard-ingest.js';
import { createReleaseService } from './features/releases/release-plans.service.js';
import { createEventIngest } from './features/sdk/event-ingest.js';
import { createSdkKeyService } from './features/sdk-keys/sdk-keys.service.js';
import { createSegmentService } from './features/segments/segments.service.js';
import type { OidcSettings } from './features/sso/oidc-settings.js';
import { createSsoService } from './features/sso/sso.service.js';
import { createUserService } from './features/users/users.service.js';

/** Options of the services beyond the infrastructure. */
export interface ServiceOptions {
  /** Login attempts per email and client address in 15 minutes (default 10); other limits follow it. */
  loginMaxFailures?: number;
  /** How many new browser contexts one address may add to the guards per minute, and the memory bound. */
  guardContextLimits?: GuardContextLimits;
  /** Single sign-on through an OpenID Connect provider (the `RINGFLAG_OIDC_*` settings); off when absent. */
  oidc?: OidcSettings;
}

/** Every service of the application, built once. */
export type Services = ReturnType<typeof createServices>;

/**
 * The composition root of the services: each is built once, here, from the infrastructure, taking only
 * what it uses. Routes, periodic jobs and seeding all use these instances.
 *
 * @example
 * const services = createServices(deps);
 * await services.flags.list({});
 */
export function createServices(deps: AppDeps, options: ServiceOptions = {}) {
  const { database, clock, logger, metrics } = deps;
  const sdkKeys = createSdkKeyService(deps);
  const guards = createGuardChecker(deps);
  const surface = createClientSurface({
    database,
    hub: deps.hub,
    payloads: deps.payloads,
    findSdkKey: (key) => sdkKeys.find(key),
    clusterCaches: deps.clusterCaches,
    logger,
    clock,
  });
  const guardIntake = createGuardIntake(
    { database, payloads: surface.payloads, hub: deps.hub, clock, logger, metrics, guards },
    options.guardContextLimits,
  );
  const events = createEventIngest({ database, guards: guardIntake, clock });
  // One limiter for password logins and single sign-on callbacks: the per-address bounds hold for both.
  const loginLimiter = new LoginLimiter({ maxFailures: options.loginMaxFailures, clock });
  const auth = createAuthService(deps, loginLimiter, {
    ssoUsersMayUsePassword: options.oidc?.passwordLogin ?? true,
  });
  return {
    auth,
    sso: createSsoService({ ...deps, sessions: auth, limiter: loginLimiter }, options.oidc),
    principals: createPrincipalResolver(deps),
    users: createUserService(deps),
    projects: createProjectService(deps),
    apiTokens: createApiTokenService(deps),
    sdkKeys,
    environments: createEnvironmentService(deps),
    flags: createFlagService(deps),
    configs: createFlagConfigService(deps),
    segments: createSegmentService(deps),
    changeRequests: createChangeRequestService(deps),
    releases: createReleaseService(deps),
    guards,
    guardIntake,
    audit: createAuditService(deps),
    insights: createInsightsService(deps),
    surface,
    events,
    relay: createServerRelaySource({
      database,
      environments: surface.environments,
      payloads: surface.payloads,
      events,
      guards: guardIntake,
    }),
    demo: createDemoService({ database, sdkKeys, findSdkKey: (key) => sdkKeys.find(key) }),
  };
}
