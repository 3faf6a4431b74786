import { z } from '@hono/zod-openapi';
import { timestampSchema } from '../../http/openapi-app.js';
import { segmentConfigWireSchema } from '../flags/flag-schemas.js';

/** A segment as a change request proposes it: the SDKs' segment with its name and description. */
export const proposedSegmentSchema = segmentConfigWireSchema
  .extend({ name: z.string(), description: z.string() })
  .openapi('ProposedSegment');

/** A segment as the admin API shows it. */
export const segmentViewSchema = proposedSegmentSchema
  .extend({ createdAt: timestampSchema, updatedAt: timestampSchema })
  .openapi('Segment');
