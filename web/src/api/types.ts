// Types of the Cubed HTTP API (shared/spec/api.md). What /api/v1/openapi.json
// describes comes from the generated module (openapi.gen.ts, `npm run
// gen:api`) under the names the dash uses. Written by hand, because the
// OpenAPI document leaves them open (`Record<string, never>`): the root
// listing, `/schema/` documents (model and report metadata), report rows'
// totals and defaults, and the error codes' enumeration.
import type { components, paths } from './openapi.gen';

type Schemas = components['schemas'];

/** §7: every error status has this body (the generated `Error`, its code narrowed). */
export type ErrorEnvelope = Schemas['Error'] & { error: { code: ErrorCode } };

export type ErrorCode =
  | 'bad_request'
  | 'invalid_filter'
  | 'invalid_ordering'
  | 'invalid_pagination'
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'throttled'
  | 'internal'
  | 'timeout';

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

/** §2 `GET /api/v1/` */
export type ApiRoot = Record<string, { list_endpoint: string; schema: string }>;

/** §9 field types */
export type FieldType =
  | 'string'
  | 'integer'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'time'
  | 'list'
  | 'dict'
  | 'related';

/** The schema's marker for "no default". */
export const NO_DEFAULT = 'No default provided.';

export interface SchemaField {
  blank: boolean;
  default: unknown;
  help_text: string;
  nullable: boolean;
  primary_key: boolean;
  readonly: boolean;
  type: FieldType;
  unique: boolean;
  verbose_name: string;
  max_length?: number;
  /** Allowed values: plain values, or [value, label] pairs. */
  choices?: Array<string | number | [string | number, string]>;
  related_type?: 'to_one' | 'to_many';
  related_schema?: string;
}

/** 1 = ALL, 2 = ALL_WITH_RELATIONS, or a list of lookups. */
export type FilteringRule = 1 | 2 | string[];

export interface ResourceSchema {
  allowed_detail_http_methods: string[];
  allowed_list_http_methods: string[];
  default_format: string;
  default_limit: number;
  max_limit: number;
  fields: Record<string, SchemaField>;
  filtering?: Record<string, FilteringRule>;
  ordering?: string[];
}

/** §10.1 metric types */
export type MetricType =
  | 'integer'
  | 'float'
  | 'money'
  | 'percentage'
  | 'duration_seconds'
  | 'date'
  | 'dict';

export interface ReportDimension {
  help_text: string;
  timeframes?: string[];
  type: 'string' | 'integer' | 'date' | 'datetime' | 'dict';
  verbose_name: string;
}

export interface ReportMetric {
  aggregation: string;
  help_text: string;
  higher_is_better: boolean;
  totals?: string | null;
  type: MetricType;
  verbose_name: string;
}

export interface ReportSchema extends ResourceSchema {
  dimensions: Record<string, ReportDimension>;
  metrics: Record<string, ReportMetric>;
}

/** A dict dimension value (§10.1). */
export interface DictValue {
  id: number | null;
  name: string;
  [extra: string]: unknown;
}

export type ReportValue = number | string | null | DictValue;

export interface ReportRow {
  [key: string]: ReportValue | Record<string, number | null> | undefined;
  compare?: Record<string, number | null>;
  change?: Record<string, number | null>;
}

/** §10.6: the generated meta, with totals (a row) and the applied defaults. */
export type ReportMeta = Omit<Schemas['ReportMeta'], 'totals' | 'defaults'> & {
  totals?: ReportRow;
  defaults?: Record<string, unknown>;
};

export interface ReportResponse {
  meta: ReportMeta;
  objects: ReportRow[];
}
