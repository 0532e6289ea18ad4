// Types of the Cubed HTTP API (shared/spec/api.md), under the names the
// dash uses. Everything /api/v1/openapi.json describes comes from the
// generated module (openapi.gen.ts, `npm run gen:api`): the documents the
// server builds by hand (root listing, model and report `/schema/`
// documents, generic report rows and responses, error codes) are named
// component schemas there. Written here only what no single document
// fixes: the list envelope and model objects generic over a resource.
import type { components, paths } from './openapi.gen';

type Schemas = components['schemas'];

/** §7: every error code the envelope carries. */
export type ErrorCode = Schemas['ErrorCode'];

/** §7: every error status has this body. */
export type ErrorEnvelope = Schemas['Error'];

/** §3.1 `GET /api/v1/auth/me/` */
export type Me = Schemas['Me'];
export type MeAccount = Me['accounts'][number];

export type LoginRequest = NonNullable<paths['/api/v1/auth/login/']['post']['requestBody']>['content']['application/json'];

/** §4.1 list envelope */
export type ListMeta = Schemas['ListMeta'];

export interface ListResponse<T> {
  meta: ListMeta;
  objects: T[];
}

/** An attribution model (the report pages' model select). */
export type AttributionModel = Schemas['attribution-model'];

/** A model resource object: keys as declared by its schema. */
export interface ResourceObject {
  id?: number | string;
  resource_uri: string;
  [field: string]: unknown;
}

/** §2 `GET /api/v1/`: resource name → list_endpoint and schema URL. */
export type ApiRoot = Schemas['RootListing'];

/** The schema's marker for "no default". */
export const NO_DEFAULT = 'No default provided.';

/** §9 a `/schema/` field (model fields; report dimensions and metrics). */
export type SchemaField = Schemas['SchemaField'];

/** §9 field types */
export type FieldType = SchemaField['type'];

/** 1 = ALL, 2 = ALL_WITH_RELATIONS, or a list of lookups. */
export type FilteringRule = Schemas['FilteringRule'];

/** §9 a model resource's `/schema/` document. */
export type ResourceSchema = Schemas['ModelSchemaDoc'];

/** §10.1 metric types */
export type MetricType = Schemas['MetricType'];

export type ReportDimension = Schemas['ReportDimensionDoc'];

export type ReportMetric = Schemas['ReportMetricDoc'];

/** §9 a report resource's `/schema/` document. */
export type ReportSchema = Schemas['ReportSchemaDoc'];

/** A dict dimension value (§10.1). */
export type DictValue = Schemas['DictValue'];

export type ReportValue = Schemas['ReportValue'];

/** One group of any report, with `compare` and `change` under compare= (§10.5). */
export type ReportRow = Schemas['ReportRow'];

/** §10.6: meta, with totals (a row) and the applied defaults. */
export type ReportMeta = Schemas['ReportMeta'];

export type ReportResponse = Schemas['ReportResponse'];
