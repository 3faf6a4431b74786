import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { clientEvaluationSchema } from '../features/evaluate/evaluation-schemas.js';
import { sdkPayloadWireSchema } from '../features/flags/flag-schemas.js';
import { ofrepBulkSuccessSchema, ofrepSuccessSchema } from '../features/ofrep/ofrep-result.js';
import { ANY_VERSION, createTestApp, type TestApp } from '../test-support/test-app.js';

interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  anyOf?: unknown[];
  oneOf?: unknown[];
  allOf?: unknown[];
  properties?: Record<string, unknown>;
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: SchemaObject }> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** A JSON media type: `application/json`, `application/problem+json`. */
const isJson = (mediaType: string) => /^application\/([\w.-]+\+)?json$/.test(mediaType);

/** Whether a schema says something: a reference, a type, a composition or properties. */
const describes = (schema: SchemaObject | undefined) =>
  schema !== undefined &&
  (schema.$ref !== undefined ||
    schema.type !== undefined ||
    schema.anyOf !== undefined ||
    schema.oneOf !== undefined ||
    schema.allOf !== undefined ||
    schema.properties !== undefined);

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.request<Document>('GET', '/api/v1/openapi.json')).body;
  });
  afterAll(async () => t?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );

  it('gives every 2xx response with a body a media type, and every JSON body a schema', () => {
    const missing: string[] = [];
    for (const { name, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2') || status === '204') continue;
        const content = Object.entries(response.content ?? {});
        if (content.length === 0) missing.push(`${name} ${status}: no content`);
        for (const [mediaType, media] of content) {
          if (isJson(mediaType) && !describes(media.schema)) missing.push(`${name} ${status} ${mediaType}`);
        }
      }
    }
    expect(
      missing,
      'responses without a schema: give them one with responses({ 200: { description, schema } })',
    ).toEqual([]);
  });

  it('answers errors of the admin API as problem+json: a Problem, or a component that extends it', () => {
    const PROBLEM = '#/components/schemas/Problem';
    const isProblem = (ref: string | undefined) => {
      if (ref === PROBLEM) return true;
      const named = ref === undefined ? undefined : doc.components.schemas[ref.split('/').pop() ?? ''];
      return (named?.allOf?.[0] as SchemaObject | undefined)?.$ref === PROBLEM;
    };
    const missing: string[] = [];
    for (const { name, operation } of operations()) {
      if (!name.includes(' /api/')) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        const schema = response.content?.['application/problem+json']?.schema;
        if (/^[45]/.test(status) && !isProblem(schema?.$ref)) missing.push(`${name} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('describes what the SDK surfaces answer, which they write as JSON text', async () => {
    const ENV = 'development';
    const admin = { token: t.adminToken };
    const ok = async (method: string, path: string, body: unknown, status = 200) => {
      const res = await t.request(method, path, { ...admin, body, headers: ANY_VERSION });
      expect(res.status, res.text).toBe(status);
      return res.body as { key: string };
    };
    await ok('POST', '/api/v1/segments', { key: 'staff', included: ['u1'] }, 201);
    await ok('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true }, 201);
    await ok('PUT', `/api/v1/flags/banner/environments/${ENV}`, {
      enabled: true,
      offVariation: 'off',
      rules: [{ id: 'staff', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } }],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: 50_000 },
            { variation: 'off', weight: 50_000 },
          ],
        },
      },
    });
    const server = (await ok('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'server' }, 201)).key;
    const client = (await ok('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'client' }, 201)).key;
    const context = { key: 'u1' };

    const answers: [string, ZodType, unknown][] = [
      [
        'GET /sdk/v1/flags',
        sdkPayloadWireSchema,
        (await t.request('GET', '/sdk/v1/flags', { token: server })).body,
      ],
      [
        'POST /client/v1/evaluate',
        clientEvaluationSchema,
        (await t.request('POST', '/client/v1/evaluate', { token: client, body: { context } })).body,
      ],
      [
        'POST /ofrep/v1/evaluate/flags/banner',
        ofrepSuccessSchema,
        (await t.request('POST', '/ofrep/v1/evaluate/flags/banner', { token: server, body: { context } }))
          .body,
      ],
      [
        'POST /ofrep/v1/evaluate/flags',
        ofrepBulkSuccessSchema,
        (await t.request('POST', '/ofrep/v1/evaluate/flags', { token: server, body: { context } })).body,
      ],
    ];
    for (const [route, schema, body] of answers) {
      expect(JSON.stringify(body), route).toContain('banner');
      expect(schema.safeParse(body).error, route).toBeUndefined();
    }
  });

  it('names the wire types as components, and every reference resolves', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Flag',
        'FlagConfig',
        'Environment',
        'Segment',
        'ChangeRequest',
        'ReleasePlan',
        'AuditEvent',
        'User',
        'ApiToken',
        'SdkKey',
        'Problem',
        'FlagPage',
        'AuditEventPage',
      ]),
    );
    const refs = new Set<string>();
    JSON.stringify(doc, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') refs.add(value);
      return value;
    });
    const unresolved = [...refs].filter(
      (ref) => !(ref.replace('#/components/schemas/', '') in doc.components.schemas),
    );
    expect(unresolved).toEqual([]);
  });
});
