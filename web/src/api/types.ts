// Types of the Cubed HTTP API (shared/spec/api.md), written by hand for now.
// When the Go side publishes /api/v1/openapi.json, `openapi-typescript` will
// generate these; keep every API type in this one file so that the generated
// module can replace it (re-export the generated names under these names).

/** §7: every error status has this body. */
export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    message: string;
    fields?: Record<string, string[]>;
    request_id?: string;
  };
}

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

export type Role = 'viewer' | 'editor' | 'admin';

/** §3.1 `GET /api/v1/auth/me/` */
export interface MeAccount {
  id: number;
  name: string;
  role: Role;
  time_zone: string;
  token: string;
  /** ISO 4217 code; not in the spec's list yet, so optional. */
  currency?: string;
}

export interface Me {
  accounts: MeAccount[];
  email: string;
  id: number;
  is_staff: boolean;
  name: string;
}

export interface LoginRequest {
  email: string;
  password: string;
}

/** §4.1 list envelope */
export interface ListMeta {
  limit: number;
  next: string | null;
  offset: number;
  previous: string | null;
  total_count: number;
}

export interface ListResponse<T> {
  meta: ListMeta;
  objects: T[];
}

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

/** §10.6 */
export interface ReportMeta extends Partial<ListMeta> {
  currency: string;
  data_version: string;
  served_from: string;
  total_count: number;
  totals?: ReportRow;
  defaults?: Record<string, unknown>;
  granularity?: string;
}

export interface ReportResponse {
  meta: ReportMeta;
  objects: ReportRow[];
}
